/*
 * Group membership for the /Users and /Groups handlers (see members.h):
 * the back-references an answer shows (a user's groups, a group's
 * members), the cache of group names a user's "groups" needs, and the
 * changes to a group's member records that POST, PUT and PATCH make,
 * counted for the audit events.  Every function here runs inside the
 * caller's store transaction and may run again when it is retried: none
 * keeps state across runs except the group-name cache, which is checked
 * against the records' generation before it is believed.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/activity.h"
#include "base/jtext.h"
#include "base/log.h"
#include "base/util.h"
#include "scim/crud-int.h"
#include "scim/filter.h"
#include "scim/members.h"

/* --- the group-name cache --- */

/*
 * A group's displayName, for a user's "groups".  Parsing the whole record
 * for this one name was a third of a GET of a user in a group, and reading
 * it a tenth: a slot per group id keeps the name with the record's bytes
 * and the records' generation it was read at (store_records_gen()).  While
 * no token or group has been written since, the name is the current one
 * and nothing is read (group_name_kept()); after a write, the record is
 * read in the request's transaction again, and bytes seen before give
 * their name without a parse (group_name()).
 */
#define NAME_SLOTS	64
#define NAME_REC_MAX	4096		/* bigger records are not kept */

static struct {
	char		 gid[STORE_ID_MAX + 1];
	uint64_t	 gen;		/* the name holds at this generation */
	bool		 gen_ok;
	int64_t		 gen_at;	/* read then (STORE_GEN_TRUST_USEC) */
	char		*rec;
	size_t		 len;
	char		*name;
} group_names[NAME_SLOTS];

static size_t
name_slot(const char *gid)
{
	uint32_t	 h = 2166136261u;	/* FNV-1a */
	size_t		 i;

	for (i = 0; gid[i] != '\0'; i++)
		h = (h ^ (unsigned char)gid[i]) * 16777619u;
	return h % NAME_SLOTS;
}

/* The name kept for gid at generation gen: true, *name a copy or NULL. */
static bool
group_name_kept(const char *gid, uint64_t gen, char **name, bool *nomem)
{
	size_t	 i = name_slot(gid);

	*name = NULL;
	*nomem = false;
	if (group_names[i].rec == NULL || !group_names[i].gen_ok ||
	    group_names[i].gen != gen || strcmp(group_names[i].gid, gid) != 0 ||
	    util_now_usec() - group_names[i].gen_at >= STORE_GEN_TRUST_USEC)
		return false;
	if (group_names[i].name != NULL &&
	    (*name = strdup(group_names[i].name)) == NULL)
		*nomem = true;
	return true;
}

/*
 * The name in gid's record (len bytes), read at generation gen (gen_ok:
 * no writer was running); a new string, or NULL (no name, or *nomem).
 */
static char *
group_name(const char *gid, const char *rec, size_t len, uint64_t gen,
    bool gen_ok, bool *nomem)
{
	const cJSON	*v;
	cJSON		*g;
	char		*name = NULL;
	size_t		 i = name_slot(gid);

	*nomem = false;
	if (group_names[i].rec != NULL && group_names[i].len == len &&
	    memcmp(group_names[i].rec, rec, len) == 0 &&
	    strcmp(group_names[i].gid, gid) == 0) {
		if (group_names[i].name != NULL &&
		    (name = strdup(group_names[i].name)) == NULL)
			*nomem = true;
		group_names[i].gen = gen;
		group_names[i].gen_ok = gen_ok;
		group_names[i].gen_at = util_now_usec();
		return name;
	}
	if ((g = cJSON_ParseWithLength(rec, len)) == NULL)
		return NULL;		/* corrupt: shown without a name */
	v = cJSON_GetObjectItemCaseSensitive(g, "displayName");
	if (cJSON_IsString(v) && (name = strdup(v->valuestring)) == NULL)
		*nomem = true;
	cJSON_Delete(g);
	if (*nomem || len > NAME_REC_MAX || strlen(gid) > STORE_ID_MAX)
		return name;
	free(group_names[i].rec);
	free(group_names[i].name);
	group_names[i].len = len;
	group_names[i].name = NULL;
	group_names[i].gen_ok = false;
	if ((group_names[i].rec = malloc(len)) == NULL ||
	    (name != NULL && (group_names[i].name = strdup(name)) == NULL)) {
		free(group_names[i].rec);
		group_names[i].rec = NULL;	/* not kept: no harm */
	} else {
		memcpy(group_names[i].rec, rec, len);
		strcpy(group_names[i].gid, gid);
		group_names[i].gen = gen;
		group_names[i].gen_ok = gen_ok;
		group_names[i].gen_at = util_now_usec();
	}
	return name;
}

/* --- back-references: a user's groups, a group's members --- */

struct backref_ctx {
	struct store_txn	*t;
	const char		*tenant;
	const char		*base;
	cJSON			*arr;
	enum scim_err		 rc;
	struct scim_error	*err;
	struct jtext		 text;	/* group_text_each()'s */
};

/* Set (or replace) o's "$ref". */
static bool
add_ref(cJSON *o, const char *base, const struct resource_type *rt,
    const char *id)
{
	char	*u;
	bool	 ok;

	if (base == NULL)
		return true;
	if ((u = resource_location(rt, id, base)) == NULL)
		return false;
	cJSON_DeleteItemFromObjectCaseSensitive(o, "$ref");
	ok = cJSON_AddStringToObject(o, "$ref", u) != NULL;
	free(u);
	return ok;
}

/*
 * gid's displayName for a user's "groups", from the name cache or its
 * record: 1 with *name (a new string, or NULL when it has none); 0 when
 * the group is gone (a row left by a delete in flight: skip it); -1 to
 * stop, bc->rc saying why.
 */
static int
group_display(struct backref_ctx *bc, const char *gid, char **name)
{
	char		*rec = NULL;
	size_t		 len;
	uint64_t	 gen;
	bool		 nomem, settled;

	settled = store_records_gen(store_txn_store(bc->t), &gen);
	if (!settled || !group_name_kept(gid, gen, name, &nomem)) {
		bc->rc = store_get_raw(bc->t, STORE_GROUP, bc->tenant, gid,
		    &rec, &len, bc->err);
		if (bc->rc == SCIM_E_NOT_FOUND) {
			bc->rc = SCIM_OK;
			return 0;
		}
		if (bc->rc != SCIM_OK)
			return -1;
		*name = group_name(gid, rec, len, gen, settled, &nomem);
		free(rec);
	}
	if (nomem) {
		free(*name);
		*name = NULL;
		bc->rc = scim_oom(bc->err);
		return -1;
	}
	return 1;
}

/*
 * A store_scan_fn: gid as an item of bc->text, the object
 * {"groups":[...]} as rendering would print it (struct members_ref); the
 * closing "]}" is groups_text_end()'s.  The one way a user's groups are
 * made: a tree of them is this text parsed (members_ref_take()).
 */
static bool
group_text_each(void *arg, const char *gid, cJSON *obj, bool *keep)
{
	struct backref_ctx	*bc = arg;
	char			*name = NULL, *u = NULL;
	int			 shown;

	(void)obj; (void)keep;
	if ((shown = group_display(bc, gid, &name)) <= 0)
		return shown == 0;
	jtext_lit(&bc->text, bc->text.len == 0 ? "{\"groups\":[{\"value\":" :
	    ",{\"value\":");
	jtext_str(&bc->text, gid, SIZE_MAX);
	if (bc->base != NULL &&
	    (u = resource_location(&rt_group, gid, bc->base)) == NULL)
		bc->text.oom = true;
	if (u != NULL) {
		jtext_lit(&bc->text, ",\"$ref\":");
		jtext_str(&bc->text, u, SIZE_MAX);
	}
	if (name != NULL) {
		jtext_lit(&bc->text, ",\"display\":");
		jtext_str(&bc->text, name, SIZE_MAX);
	}
	jtext_lit(&bc->text, ",\"type\":\"direct\"}");
	free(u);
	free(name);
	if (bc->text.oom) {
		bc->rc = scim_oom(bc->err);
		return false;
	}
	return true;
}

/*
 * End what group_text_each() wrote, rc the scan's outcome: out gets the
 * text (nothing when there were no groups).  Returns rc, or the failure.
 */
static enum scim_err
groups_text_end(struct backref_ctx *bc, enum scim_err rc,
    struct members_ref *out)
{
	if (rc == SCIM_OK)
		rc = bc->rc;
	if (rc == SCIM_OK && bc->text.len > 0) {
		jtext_lit(&bc->text, "]}");
		if (bc->text.oom)
			rc = scim_oom(bc->err);
	}
	if (rc == SCIM_OK && bc->text.len > 0) {
		out->text = bc->text.p;
		out->len = bc->text.len;
	} else
		free(bc->text.p);
	memset(&bc->text, 0, sizeof(bc->text));
	return rc;
}

static bool
member_each(void *arg, const char *mid, cJSON *obj, bool *keep)
{
	struct backref_ctx	*bc = arg;
	const cJSON		*type = cJSON_GetObjectItemCaseSensitive(obj,
				    "type");

	if (!add_ref(obj, bc->base, cJSON_IsString(type) &&
	    strcmp(type->valuestring, "Group") == 0 ? &rt_group : &rt_user,
	    mid)) {
		bc->rc = scim_oom(bc->err);
		return false;
	}
	cJSON_AddItemToArray(bc->arr, obj);
	*keep = true;
	return true;
}

/*
 * The back-reference array ("groups" or "members") of resource id in *out,
 * NULL when there is nothing to show: members are always shown ([] when
 * none), groups when there are any.
 */
enum scim_err
members_read_backref(struct store_txn *t, const struct resource_type *rt,
    const char *tenant, const char *base, const char *id, cJSON **out,
    struct scim_error *err)
{
	struct backref_ctx	 bc = { t, tenant, base, NULL, SCIM_OK, err,
				    { NULL, 0, 0, false } };
	struct members_ref	 ref;
	enum scim_err		 rc;
	bool			 nomem;

	*out = NULL;
	if (rt->kind == STORE_USER) {
		memset(&ref, 0, sizeof(ref));
		rc = groups_text_end(&bc, store_memberof_scan(t, STORE_USER,
		    tenant, id, group_text_each, &bc, err), &ref);
		if (rc == SCIM_OK &&
		    (*out = members_ref_take(rt, &ref, &nomem)) == NULL && nomem)
			rc = scim_oom(err);
		return rc;
	}
	if ((bc.arr = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	rc = store_member_scan(t, tenant, id, member_each, &bc, err);
	if (rc == SCIM_OK)
		rc = bc.rc;
	if (rc != SCIM_OK)
		cJSON_Delete(bc.arr);
	else
		*out = bc.arr;
	return rc;
}

void
members_ref_clear(struct members_ref *r)
{
	cJSON_Delete(r->arr);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

cJSON *
members_ref_take(const struct resource_type *rt, struct members_ref *r,
    bool *nomem)
{
	cJSON	*o, *arr = r->arr;

	*nomem = false;
	r->arr = NULL;
	if (arr == NULL && r->text != NULL) {
		/* Only memory can fail it: the text is ours. */
		if ((o = cJSON_ParseWithLength(r->text, r->len)) == NULL ||
		    (arr = cJSON_DetachItemFromObjectCaseSensitive(o,
		    rt->backref)) == NULL)
			*nomem = true;
		cJSON_Delete(o);
	}
	members_ref_clear(r);
	return arr;
}

enum scim_err
members_read_with_backref(struct store_txn *t,
    const struct resource_type *rt, const char *tenant, const char *base,
    const char *id, char **text, size_t *len, struct members_ref *out,
    struct scim_error *err)
{
	struct backref_ctx	 bc = { t, tenant, base, NULL, SCIM_OK, err,
				    { NULL, 0, 0, false } };
	enum scim_err		 rc;

	memset(out, 0, sizeof(*out));
	if (rt->kind != STORE_USER) {
		rc = store_get_raw(t, rt->kind, tenant, id, text, len, err);
		return rc != SCIM_OK ? rc : members_read_backref(t, rt,
		    tenant, base, id, &out->arr, err);
	}
	rc = groups_text_end(&bc, store_get_raw_groups(t, tenant, id, text,
	    len, group_text_each, &bc, err), out);
	if (rc != SCIM_OK) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return rc;
}

/* Give res its back-reference array in place of any it has. */
void
members_attach_backref(const struct resource_type *rt, cJSON *res, cJSON *arr)
{
	cJSON_DeleteItemFromObjectCaseSensitive(res, rt->backref);
	if (arr != NULL)
		cJSON_AddItemToObject(res, rt->backref, arr);
}

/* Attach res's back-reference array, read from the store. */
enum scim_err
members_load_backref(struct store_txn *t, const struct resource_type *rt,
    const char *tenant, const char *base, cJSON *res, struct scim_error *err)
{
	const cJSON	*id = cJSON_GetObjectItemCaseSensitive(res, "id");
	cJSON		*arr = NULL;
	enum scim_err	 rc = SCIM_OK;

	if (cJSON_IsString(id))
		rc = members_read_backref(t, rt, tenant, base, id->valuestring,
		    &arr, err);
	if (rc == SCIM_OK)
		members_attach_backref(rt, res, arr);
	return rc;
}

/* --- membership changes (groups) --- */

#define EVENT_MAX_IDS	100	/* member ids listed in one event */

/* Fresh id lists for a members_ctx (freed by members_ctx_free). */
bool
members_ctx_lists(struct members_ctx *mc)
{
	mc->added_ids = cJSON_CreateArray();
	mc->removed_ids = cJSON_CreateArray();
	return mc->added_ids != NULL && mc->removed_ids != NULL;
}

void
members_ctx_free(struct members_ctx *mc)
{
	cJSON_Delete(mc->added_ids);
	cJSON_Delete(mc->removed_ids);
}

static void
note_id(cJSON *list, const char *id)
{
	if (list != NULL && cJSON_GetArraySize(list) < EVENT_MAX_IDS)
		cJSON_AddItemToArray(list, cJSON_CreateString(id));
}

/*
 * Look member id mid up among the tenant's users, then its groups:
 * *target the record (the caller's), *type "User" or "Group".
 * SCIM_E_NOT_FOUND, with err untouched by its own words, when it is
 * neither.
 */
static enum scim_err
member_target(struct members_ctx *mc, const char *mid, cJSON **target,
    const char **type, struct scim_error *err)
{
	enum scim_err	 rc;

	*type = "User";
	rc = store_get(mc->t, STORE_USER, mc->tenant, mid, target, err);
	if (rc == SCIM_E_NOT_FOUND) {
		*type = "Group";
		rc = store_get(mc->t, STORE_GROUP, mc->tenant, mid, target,
		    err);
	}
	return rc;
}

/*
 * The member record to store for v (as sent) naming mid, a target of
 * type: v's sub-attributes with value and type from the target, no $ref
 * (computed on output), and a display filled from the target when v has
 * none.  A new object (the caller's), or NULL when out of memory.
 */
static cJSON *
member_record(const cJSON *v, const char *mid, const char *type,
    const cJSON *target)
{
	const cJSON	*name;
	cJSON		*m, *e;

	if ((m = cJSON_IsObject(v) ? cJSON_Duplicate(v, true) :
	    cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_DeleteItemFromObject(m, "value");
	cJSON_DeleteItemFromObject(m, "type");
	cJSON_DeleteItemFromObject(m, "$ref");
	cJSON_AddStringToObject(m, "value", mid);
	cJSON_AddStringToObject(m, "type", type);
	e = cJSON_GetObjectItem(m, "display");
	if (!cJSON_IsString(e) || *e->valuestring == '\0') {
		cJSON_DeleteItemFromObject(m, "display");
		name = cJSON_GetObjectItemCaseSensitive(target, "displayName");
		if (!cJSON_IsString(name))
			name = cJSON_GetObjectItemCaseSensitive(target,
			    "userName");
		if (cJSON_IsString(name))
			cJSON_AddStringToObject(m, "display",
			    name->valuestring);
	}
	return m;
}

/*
 * Add one member given as a string id or an object with "value".  Unknown
 * ids are skipped (see members.h); a group cannot contain itself.
 */
static enum scim_err
member_add1(struct members_ctx *mc, const cJSON *v, struct scim_error *err)
{
	cJSON		*m, *target = NULL;
	const char	*mid, *type;
	enum scim_err	 rc;
	bool		 added;

	if ((mid = schema_value_id(v)) == NULL)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a member must be an id string or an object with a "
		    "string \"value\"");
	if (strcmp(mid, mc->gid) == 0)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a group cannot be a member of itself");
	rc = member_target(mc, mid, &target, &type, err);
	if (rc == SCIM_E_NOT_FOUND) {
		log_info("group %s: member %.64s is not a user or group of "
		    "this tenant; skipped", mc->gid, mid);
		activity_skipped_member(mid);
		return SCIM_OK;
	}
	if (rc != SCIM_OK)
		return rc;
	if ((m = member_record(v, mid, type, target)) == NULL) {
		cJSON_Delete(target);
		return scim_oom(err);
	}
	rc = store_member_add(mc->t, mc->tenant, mc->gid, mid,
	    strcmp(type, "Group") == 0 ? STORE_GROUP : STORE_USER, m, &added,
	    err);
	if (rc == SCIM_E_INVALID_VALUE)	/* the store's word for a bad id */
		rc = scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a member needs a \"value\" of at most %d bytes",
		    STORE_ID_MAX);
	if (rc == SCIM_OK && added) {
		mc->added++;
		note_id(mc->added_ids, mid);
	}
	cJSON_Delete(m);
	cJSON_Delete(target);
	return rc;
}

enum scim_err
members_add(struct members_ctx *mc, const cJSON *value,
    struct scim_error *err)
{
	const cJSON	*e;
	enum scim_err	 rc;

	if (value == NULL || cJSON_IsNull(value))
		return SCIM_OK;
	if (!cJSON_IsArray(value))
		return member_add1(mc, value, err);
	cJSON_ArrayForEach(e, value)
		if ((rc = member_add1(mc, e, err)) != SCIM_OK)
			return rc;
	return SCIM_OK;
}

static enum scim_err
member_del1(struct members_ctx *mc, const char *mid, struct scim_error *err)
{
	enum scim_err	 rc;
	bool		 removed;

	rc = store_member_del(mc->t, mc->tenant, mc->gid, mid, &removed, err);
	if (rc == SCIM_OK && removed) {
		mc->removed++;
		note_id(mc->removed_ids, mid);
	}
	return rc;
}

/* Remove the members listed in value (ids or {"value": id} objects). */
static enum scim_err
members_del_listed(struct members_ctx *mc, const cJSON *value,
    struct scim_error *err)
{
	const cJSON	*e;
	const char	*mid;
	enum scim_err	 rc;

	if (!cJSON_IsArray(value)) {
		if ((mid = schema_value_id(value)) != NULL)
			return member_del1(mc, mid, err);
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "members to remove must be ids or {\"value\": id}");
	}
	cJSON_ArrayForEach(e, value) {
		if ((mid = schema_value_id(e)) == NULL)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "members to remove must be ids or "
			    "{\"value\": id}");
		if ((rc = member_del1(mc, mid, err)) != SCIM_OK)
			return rc;
	}
	return SCIM_OK;
}

struct match_ctx {
	const struct filter	*f;
	cJSON			*ids;
	bool			 oom;
};

static bool
match_each(void *arg, const char *mid, cJSON *obj, bool *keep)
{
	struct match_ctx	*mx = arg;
	cJSON			*s;

	(void)keep;
	if (!filter_match(mx->f, obj))
		return true;
	if ((s = cJSON_CreateString(mid)) == NULL) {
		mx->oom = true;
		return false;
	}
	cJSON_AddItemToArray(mx->ids, s);
	return true;
}

/* Remove the members matching a value filter (members[...]). */
static enum scim_err
members_del_matching(struct members_ctx *mc, const struct filter *f,
    struct scim_error *err)
{
	struct match_ctx	 mx = { f, NULL, false };
	const char		*hint = filter_eq_hint(f, "value");
	enum scim_err		 rc;

	/* members[value eq "id"]: one record, no scan. */
	if (hint != NULL)
		return member_del1(mc, hint, err);
	if ((mx.ids = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	rc = store_member_scan(mc->t, mc->tenant, mc->gid, match_each, &mx,
	    err);
	if (rc == SCIM_OK && mx.oom)
		rc = scim_oom(err);
	if (rc == SCIM_OK)
		rc = members_del_listed(mc, mx.ids, err);
	cJSON_Delete(mx.ids);
	return rc;
}

enum scim_err
members_clear(struct members_ctx *mc, struct scim_error *err)
{
	size_t		 n;
	enum scim_err	 rc;

	rc = store_member_clear(mc->t, mc->tenant, mc->gid, &n, err);
	if (rc == SCIM_OK)
		mc->removed += n;
	return rc;
}

/* --- what a PUT would remove (the deprovisioning brake) --- */

struct put_removes_ctx {
	const cJSON	*value;		/* the members the PUT keeps */
	cJSON		*out;
	size_t		 n;
	bool		 oom;
};

/* Is mid listed in value (one member or an array of them)? */
static bool
members_listed(const cJSON *value, const char *mid)
{
	const cJSON	*e;
	const char	*id;

	if (value == NULL || cJSON_IsNull(value))
		return false;
	if (!cJSON_IsArray(value))
		return (id = schema_value_id(value)) != NULL &&
		    strcmp(id, mid) == 0;
	cJSON_ArrayForEach(e, value)
		if ((id = schema_value_id(e)) != NULL && strcmp(id, mid) == 0)
			return true;
	return false;
}

static bool
put_removes_each(void *arg, const char *mid, cJSON *obj, bool *keep)
{
	struct put_removes_ctx	*pr = arg;

	(void)obj; (void)keep;
	if (members_listed(pr->value, mid))
		return true;
	if (pr->n++ < EVENT_MAX_IDS &&
	    !cJSON_AddItemToArray(pr->out, cJSON_CreateString(mid))) {
		pr->oom = true;
		return false;
	}
	return true;
}

enum scim_err
members_put_removes(struct store_txn *t, const char *tenant, const char *gid,
    const cJSON *value, cJSON **out, size_t *n, struct scim_error *err)
{
	struct put_removes_ctx	 pr = { value, NULL, 0, false };
	enum scim_err		 rc;

	*out = NULL;
	if ((pr.out = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	rc = store_member_scan(t, tenant, gid, put_removes_each, &pr, err);
	if (rc == SCIM_OK && pr.oom)
		rc = scim_oom(err);
	if (rc != SCIM_OK)
		cJSON_Delete(pr.out);
	else
		*out = pr.out;
	*n = pr.n;
	return rc;
}

/* The PATCH engine hands every "members" operation to this hook. */
enum scim_err
members_hook(void *arg, enum patch_op op, const struct filter *vf,
    const cJSON *value, struct scim_error *err)
{
	struct members_ctx	*mc = arg;
	enum scim_err		 rc;

	switch (op) {
	case PATCH_ADD:
		return members_add(mc, value, err);
	case PATCH_REMOVE:
		if (vf != NULL)
			return members_del_matching(mc, vf, err);
		/* Entra's {"op":"Remove","path":"members","value":[...]}
		   removes only the listed members, never all of them. */
		if (value != NULL && !cJSON_IsNull(value))
			return members_del_listed(mc, value, err);
		return members_clear(mc, err);
	case PATCH_REPLACE:
		rc = vf != NULL ? members_del_matching(mc, vf, err) :
		    members_clear(mc, err);
		if (rc != SCIM_OK)
			return rc;
		return members_add(mc, value, err);
	}
	return scim_fail(err, SCIM_E_INVALID_SYNTAX, "bad operation");
}

