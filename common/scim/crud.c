/*
 * /Users and /Groups handlers, shared by scim-users and scim-groups.
 * Each write is one store transaction (store_run) whose body may run more
 * than once, so the transaction functions keep their inputs intact (POST
 * and PUT write the normalised body itself: set_meta() only replaces its
 * id and meta, which a rerun does again) and reset their outputs on
 * entry.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "scim/crud.h"
#include "scim/filter.h"
#include "base/log.h"
#include "scim/patch.h"
#include "scim/resource.h"
#include "scim/schema.h"
#include "base/util.h"

/* What differs between Users and Groups. */
struct kind {
	enum store_kind			 kind;
	const struct resource_type	*rt;
	const char			*name_attr;	/* indexed, unique */
};

static const struct kind kind_user = {
	STORE_USER, &rt_user, "userName"
};
static const struct kind kind_group = {
	STORE_GROUP, &rt_group, "displayName"
};

static const struct kind *
kind_of(const struct scim_call *c)
{
	return strcmp(c->resource, "Groups") == 0 ? &kind_group : &kind_user;
}

/* --- meta and versions --- */

/* The number in a version string W/"n"; 0 when there is none. */
static long
version_num(const char *ver)
{
	long	 n = 0;

	if (ver != NULL && sscanf(ver, "W/\"%ld\"", &n) == 1)
		return n;
	return 0;
}

static const char *
version_str(const cJSON *res)
{
	const cJSON	*meta = cJSON_GetObjectItemCaseSensitive(res, "meta");
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(meta, "version");

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long
version_of(const cJSON *res)
{
	return version_num(version_str(res));
}

/*
 * Put id first and a fresh meta last on res.  created comes from old
 * (NULL for a create); the version counts up from old's.
 */
static bool
set_meta(cJSON *res, const char *id, const struct kind *k, const cJSON *old)
{
	const cJSON	*ometa, *created = NULL;
	char		 now[UTIL_TIME_LEN + 1], ver[32];
	cJSON		*meta;

	util_time_format(util_now_usec(), now, sizeof(now));
	snprintf(ver, sizeof(ver), "W/\"%ld\"", old ? version_of(old) + 1 : 1);
	if (old != NULL) {
		ometa = cJSON_GetObjectItemCaseSensitive(old, "meta");
		created = cJSON_GetObjectItemCaseSensitive(ometa, "created");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(res, "meta");
	if (!resource_set_id(res, id))
		return false;
	if ((meta = cJSON_AddObjectToObject(res, "meta")) == NULL)
		return false;
	cJSON_AddStringToObject(meta, "resourceType", k->rt->name);
	cJSON_AddStringToObject(meta, "created",
	    cJSON_IsString(created) ? created->valuestring : now);
	cJSON_AddStringToObject(meta, "lastModified", now);
	return cJSON_AddStringToObject(meta, "version", ver) != NULL;
}

/* Does the If-Match / If-None-Match list name version ver (W/"n")? */
static bool
etag_listed(const char *list, const char *ver)
{
	char		 want[32];
	const char	*p = list;
	size_t		 n;

	snprintf(want, sizeof(want), "\"%ld\"", version_num(ver));
	while (*p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*')
			return true;
		if (n > 2 && strncmp(p, "W/", 2) == 0) {
			p += 2;
			n -= 2;
		}
		if (n == strlen(want) && strncmp(p, want, n) == 0)
			return true;
		p += n;
	}
	return false;
}

static enum scim_err
check_if_match(const struct scim_call *c, const cJSON *old,
    struct scim_error *err)
{
	if (c->req.if_match != NULL &&
	    !etag_listed(c->req.if_match, version_str(old)))
		return scim_fail(err, SCIM_E_PRECONDITION,
		    "If-Match does not match the current version %s",
		    version_str(old) ? version_str(old) : "(none)");
	return SCIM_OK;
}

/* --- back-references: a user's groups, a group's members --- */

struct backref_ctx {
	struct store_txn	*t;
	const char		*tenant;
	const char		*base;
	cJSON			*arr;
	enum scim_err		 rc;
	struct scim_error	*err;
};

/* base + endpoint + "/" + id, a new string (one per back-reference). */
static char *
ref_url(const char *base, const char *endpoint, const char *id)
{
	size_t	 lb = strlen(base), le = strlen(endpoint), li = strlen(id);
	char	*s;

	if ((s = malloc(lb + le + li + 2)) != NULL) {
		memcpy(s, base, lb);
		memcpy(s + lb, endpoint, le);
		s[lb + le] = '/';
		memcpy(s + lb + le + 1, id, li + 1);
	}
	return s;
}

/* Set o's "$ref"; fresh: o is new and has none to replace. */
static bool
add_ref(cJSON *o, const char *base, const char *endpoint, const char *id,
    bool fresh)
{
	char	*u;
	bool	 ok;

	if (base == NULL)
		return true;
	if ((u = ref_url(base, endpoint, id)) == NULL)
		return false;
	if (!fresh)
		cJSON_DeleteItemFromObjectCaseSensitive(o, "$ref");
	ok = cJSON_AddStringToObject(o, "$ref", u) != NULL;
	free(u);
	return ok;
}

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

static bool
group_each(void *arg, const char *gid, cJSON *obj, bool *keep)
{
	struct backref_ctx	*bc = arg;
	cJSON			*e;
	char			*rec = NULL, *name;
	size_t			 len;
	uint64_t		 gen;
	bool			 nomem, settled;

	(void)obj; (void)keep;
	settled = store_records_gen(store_txn_store(bc->t), &gen);
	if (!settled || !group_name_kept(gid, gen, &name, &nomem)) {
		bc->rc = store_get_raw(bc->t, STORE_GROUP, bc->tenant, gid,
		    &rec, &len, bc->err);
		if (bc->rc == SCIM_E_NOT_FOUND) {
			bc->rc = SCIM_OK;
			return true;
		}
		if (bc->rc != SCIM_OK)
			return false;
		name = group_name(gid, rec, len, gen, settled, &nomem);
		free(rec);
	}
	if (nomem || (e = cJSON_CreateObject()) == NULL) {
		free(name);
		bc->rc = scim_oom(bc->err);
		return false;
	}
	cJSON_AddItemToArray(bc->arr, e);
	cJSON_AddStringToObject(e, "value", gid);
	add_ref(e, bc->base, "/Groups", gid, true);
	if (name != NULL)
		cJSON_AddStringToObject(e, "display", name);
	cJSON_AddStringToObject(e, "type", "direct");
	free(name);
	return true;
}

static bool
member_each(void *arg, const char *mid, cJSON *obj, bool *keep)
{
	struct backref_ctx	*bc = arg;
	const cJSON		*type = cJSON_GetObjectItemCaseSensitive(obj,
				    "type");

	if (!add_ref(obj, bc->base, cJSON_IsString(type) &&
	    strcmp(type->valuestring, "Group") == 0 ? "/Groups" : "/Users",
	    mid, false)) {
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
static enum scim_err
read_backref(struct store_txn *t, const struct kind *k, const char *tenant,
    const char *base, const char *id, cJSON **out, struct scim_error *err)
{
	struct backref_ctx	 bc = { t, tenant, base, NULL, SCIM_OK, err };
	enum scim_err		 rc;

	*out = NULL;
	if ((bc.arr = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	if (k->kind == STORE_USER)
		rc = store_memberof_scan(t, STORE_USER, tenant, id,
		    group_each, &bc, err);
	else
		rc = store_member_scan(t, tenant, id, member_each, &bc, err);
	if (rc == SCIM_OK)
		rc = bc.rc;
	if (rc != SCIM_OK || (k->kind == STORE_USER && bc.arr->child == NULL))
		cJSON_Delete(bc.arr);
	else
		*out = bc.arr;
	return rc;
}

/* Give res its back-reference array in place of any it has. */
static void
attach_backref(const struct kind *k, cJSON *res, cJSON *arr)
{
	cJSON_DeleteItemFromObjectCaseSensitive(res, k->rt->backref);
	if (arr != NULL)
		cJSON_AddItemToObject(res, k->rt->backref, arr);
}

/* Attach res's back-reference array, read from the store. */
static enum scim_err
load_backref(struct store_txn *t, const struct kind *k, const char *tenant,
    const char *base, cJSON *res, struct scim_error *err)
{
	const cJSON	*id = cJSON_GetObjectItemCaseSensitive(res, "id");
	cJSON		*arr = NULL;
	enum scim_err	 rc = SCIM_OK;

	if (cJSON_IsString(id))
		rc = read_backref(t, k, tenant, base, id->valuestring, &arr,
		    err);
	if (rc == SCIM_OK)
		attach_backref(k, res, arr);
	return rc;
}

/* --- membership changes (groups) --- */

#define EVENT_MAX_IDS	100	/* member ids listed in one event */

struct members_ctx {
	struct store_txn	*t;
	const char		*tenant;
	const char		*gid;
	size_t			 added;
	size_t			 removed;
	cJSON			*added_ids;	/* first EVENT_MAX_IDS, or NULL */
	cJSON			*removed_ids;
};

static void
note_id(cJSON *list, const char *id)
{
	if (list != NULL && cJSON_GetArraySize(list) < EVENT_MAX_IDS)
		cJSON_AddItemToArray(list, cJSON_CreateString(id));
}

/*
 * Add one member given as a string id or an object with "value".  Unknown
 * ids are skipped (see crud.h); a group cannot contain itself.
 */
static enum scim_err
member_add1(struct members_ctx *mc, const cJSON *v, struct scim_error *err)
{
	const cJSON	*val, *name;
	cJSON		*m = NULL, *target = NULL, *e;
	const char	*mid, *type = "User";
	enum scim_err	 rc;
	bool		 added;

	if (cJSON_IsString(v))
		mid = v->valuestring;
	else if (cJSON_IsObject(v) && cJSON_IsString(val =
	    cJSON_GetObjectItem(v, "value")))
		mid = val->valuestring;
	else
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a member must be an id string or an object with a "
		    "string \"value\"");
	if (strcmp(mid, mc->gid) == 0)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a group cannot be a member of itself");
	rc = store_get(mc->t, STORE_USER, mc->tenant, mid, &target, err);
	if (rc == SCIM_E_NOT_FOUND) {
		type = "Group";
		rc = store_get(mc->t, STORE_GROUP, mc->tenant, mid, &target,
		    err);
	}
	if (rc == SCIM_E_NOT_FOUND) {
		log_info("group %s: member %.64s is not a user or group of "
		    "this tenant; skipped", mc->gid, mid);
		return SCIM_OK;
	}
	if (rc != SCIM_OK)
		return rc;
	if ((m = cJSON_IsObject(v) ? cJSON_Duplicate(v, true) :
	    cJSON_CreateObject()) == NULL) {
		cJSON_Delete(target);
		return scim_oom(err);
	}
	/* value, type from the target; $ref is computed on output. */
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
	rc = store_member_add(mc->t, mc->tenant, mc->gid, m, &added, err);
	if (rc == SCIM_OK && added) {
		mc->added++;
		note_id(mc->added_ids, mid);
	}
	cJSON_Delete(m);
	cJSON_Delete(target);
	return rc;
}

static enum scim_err
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
	const cJSON	*e, *v;
	enum scim_err	 rc;

	if (!cJSON_IsArray(value)) {
		if (cJSON_IsString(value))
			return member_del1(mc, value->valuestring, err);
		if (cJSON_IsString(v = cJSON_GetObjectItem(value, "value")))
			return member_del1(mc, v->valuestring, err);
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "members to remove must be ids or {\"value\": id}");
	}
	cJSON_ArrayForEach(e, value) {
		if (cJSON_IsString(e))
			v = e;
		else if (!cJSON_IsString(v = cJSON_GetObjectItem(e, "value")))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "members to remove must be ids or "
			    "{\"value\": id}");
		if ((rc = member_del1(mc, v->valuestring, err)) != SCIM_OK)
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

static enum scim_err
members_clear(struct members_ctx *mc, struct scim_error *err)
{
	size_t		 n;
	enum scim_err	 rc;

	rc = store_member_clear(mc->t, mc->tenant, mc->gid, &n, err);
	if (rc == SCIM_OK)
		mc->removed += n;
	return rc;
}

/* The PATCH engine hands every "members" operation to this hook. */
static enum scim_err
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

/* --- audit events --- */

/* Record one event about res for the caller's token, in transaction t. */
static enum scim_err
record(struct store_txn *t, const struct scim_call *c, const struct kind *k,
    const char *type, const cJSON *res, const cJSON *details,
    struct scim_error *err)
{
	const cJSON		*id = cJSON_GetObjectItemCaseSensitive(res, "id");
	const cJSON		*name = cJSON_GetObjectItemCaseSensitive(res,
				    k->name_attr);
	char			 actor[64];
	struct audit_event	 ev;

	snprintf(actor, sizeof(actor), "token:%s", c->auth.token_id);
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tenant = c->auth.tenant;
	ev.actor = actor;
	ev.target_id = cJSON_IsString(id) ? id->valuestring : c->id;
	ev.target_name = cJSON_IsString(name) ? name->valuestring : NULL;
	ev.details = details;
	return audit_record(t, &c->ctx->cfg, &ev, err);
}

/* Add the names of what differs between two objects to list. */
static void
diff_names(const cJSON *a, const cJSON *b, const char *prefix, cJSON *list)
{
	const cJSON	*x, *y, *from, *other;
	char		 name[512];
	int		 pass;

	for (pass = 0; pass < 2; pass++) {
		from = pass == 0 ? a : b;
		other = pass == 0 ? b : a;
		cJSON_ArrayForEach(x, from) {
			if (strcmp(x->string, "meta") == 0 ||
			    strcmp(x->string, "id") == 0 ||
			    strcmp(x->string, "schemas") == 0)
				continue;
			y = cJSON_GetObjectItemCaseSensitive(other, x->string);
			if (pass == 1 && y != NULL)
				continue;	/* seen in the first pass */
			if (y != NULL && cJSON_Compare(x, y, true))
				continue;
			/* Extensions: name the attribute inside. */
			if (prefix == NULL && strncmp(x->string, "urn:", 4) == 0 &&
			    cJSON_IsObject(x) && cJSON_IsObject(y)) {
				diff_names(x, y, x->string, list);
				continue;
			}
			snprintf(name, sizeof(name), "%s%s%s", prefix ? prefix :
			    "", prefix ? ":" : "", x->string);
			cJSON_AddItemToArray(list, cJSON_CreateString(name));
		}
	}
}

static bool
is_active(const cJSON *res)
{
	/* An absent "active" is not a blocked user. */
	return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(res, "active"));
}

/*
 * The events of an update from old to res: scim.<kind>.updated with the
 * changed attributes, scim.user.deprovisioned / reactivated when active
 * flips, and the membership changes of mc (may be NULL).
 */
static enum scim_err
record_update(struct store_txn *t, const struct scim_call *c,
    const struct kind *k, const cJSON *old, const cJSON *res,
    const struct members_ctx *mc, struct scim_error *err)
{
	cJSON		*d = cJSON_CreateObject(), *changed, *e;
	enum scim_err	 rc = SCIM_OK;
	bool		 flip = false;

	if (d == NULL || (changed = cJSON_AddArrayToObject(d, "changed")) ==
	    NULL) {
		cJSON_Delete(d);
		return scim_oom(err);
	}
	diff_names(old, res, NULL, changed);
	if (k->kind == STORE_USER && is_active(old) != is_active(res)) {
		flip = true;
		cJSON_ArrayForEach(e, changed)
			if (strcmp(e->valuestring, "active") == 0) {
				cJSON_DetachItemViaPointer(changed, e);
				cJSON_Delete(e);
				break;
			}
	}
	if (cJSON_GetArraySize(changed) > 0)
		rc = record(t, c, k, k->kind == STORE_USER ?
		    "scim.user.updated" : "scim.group.updated", res, d, err);
	if (rc == SCIM_OK && flip)
		rc = record(t, c, k, is_active(res) ? "scim.user.reactivated" :
		    "scim.user.deprovisioned", res, NULL, err);
	cJSON_Delete(d);
	if (rc == SCIM_OK && mc != NULL && mc->added > 0) {
		d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "count", (double)mc->added);
		cJSON_AddItemToObject(d, "ids",
		    cJSON_Duplicate(mc->added_ids, true));
		rc = record(t, c, k, "scim.group.members_added", res, d, err);
		cJSON_Delete(d);
	}
	if (rc == SCIM_OK && mc != NULL && mc->removed > 0) {
		d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "count", (double)mc->removed);
		cJSON_AddItemToObject(d, "ids",
		    cJSON_Duplicate(mc->removed_ids, true));
		rc = record(t, c, k, "scim.group.members_removed", res, d,
		    err);
		cJSON_Delete(d);
	}
	return rc;
}

/* Fresh id lists for a members_ctx (freed by members_ctx_free). */
static bool
members_ctx_lists(struct members_ctx *mc)
{
	mc->added_ids = cJSON_CreateArray();
	mc->removed_ids = cJSON_CreateArray();
	return mc->added_ids != NULL && mc->removed_ids != NULL;
}

static void
members_ctx_free(struct members_ctx *mc)
{
	cJSON_Delete(mc->added_ids);
	cJSON_Delete(mc->removed_ids);
}

/* --- reading --- */

/*
 * The store half of a cached bearer check, in the handler's transaction
 * (see token_check_start()); nothing when it is done or not needed.
 */
static enum scim_err
check_token(struct store_txn *t, struct scim_call *c, struct scim_error *err)
{
	enum scim_err	 rc;

	if (!c->auth_pending)
		return SCIM_OK;
	if ((rc = token_check_txn(t, &c->auth, err)) == SCIM_OK)
		c->auth_pending = false;
	return rc;
}

/*
 * A read of one record: its stored text and, when the answer shows it,
 * its back-reference array.
 */
struct read_ctx {
	struct scim_call	*c;
	const struct kind	*k;
	const char		*id;
	bool			 backref;	/* load groups/members */
	char			*text;		/* out: the record */
	size_t			 len;
	cJSON			*refs;		/* out: its back-reference */
};

static void
read_ctx_clear(struct read_ctx *r)
{
	free(r->text);
	r->text = NULL;
	r->len = 0;
	cJSON_Delete(r->refs);
	r->refs = NULL;
}

/* Read r->id in t: SCIM_E_NOT_FOUND when there is none. */
static enum scim_err
read_one(struct store_txn *t, struct read_ctx *r, struct scim_error *err)
{
	enum scim_err	 rc;

	read_ctx_clear(r);
	rc = store_get_raw(t, r->k->kind, r->c->auth.tenant, r->id, &r->text,
	    &r->len, err);
	if (rc == SCIM_OK && r->backref)
		rc = read_backref(t, r->k, r->c->auth.tenant, r->c->base_url,
		    r->id, &r->refs, err);
	return rc;
}

static enum scim_err
get_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct read_ctx	*r = arg;
	enum scim_err	 rc;

	if ((rc = check_token(t, r->c, err)) != SCIM_OK)
		return rc;
	if ((rc = read_one(t, r, err)) == SCIM_E_NOT_FOUND)
		return scim_fail(err, SCIM_E_NOT_FOUND, "%s %.200s not found",
		    r->k->rt->name, r->id);
	return rc;
}

/*
 * Can the answer be the stored text with the back-reference put in
 * (resource_answer())?  Only when it shows the whole resource, or all of
 * it but the back-reference.
 */
static bool
answers_whole(const struct kind *k, const char *attributes,
    const char *excluded)
{
	return attributes == NULL && (excluded == NULL ||
	    strcasecmp(excluded, k->rt->backref) == 0);
}

/*
 * The answer for r's record when resource_answer() can make it from the
 * stored text (r->refs is then consumed), else NULL: parse and render it.
 */
static char *
answer_text(struct read_ctx *r, char **version)
{
	char	*body;

	*version = NULL;
	if (!resource_answerable(r->text, r->len))
		return NULL;
	body = resource_answer(r->k->rt, r->text, r->len, r->id, r->refs,
	    r->c->base_url, version);
	if (body != NULL)
		r->refs = NULL;
	return body;
}

/* r's record parsed, with its back-reference (consumed) attached. */
static enum scim_err
parse_record(struct read_ctx *r, cJSON **out, struct scim_error *err)
{
	if ((*out = cJSON_ParseWithLength(r->text, r->len)) == NULL ||
	    !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return scim_fail(err, SCIM_E_INTERNAL, "%s %.200s: corrupt "
		    "record", r->k->rt->name, r->id);
	}
	if (r->backref) {
		attach_backref(r->k, *out, r->refs);
		r->refs = NULL;
	}
	return SCIM_OK;
}

static bool
wants_backref(const struct scim_call *c, const struct kind *k)
{
	return resource_wants(k->rt, k->rt->backref,
	    http_param(&c->req, "attributes"),
	    http_param(&c->req, "excludedAttributes")) != 0;
}

/*
 * Answer with res rendered (status 200/201), its ETag, and for 201 its
 * Location.  res is consumed: the answer is built from its own members.
 */
static enum scim_err
respond(struct scim_call *c, const struct kind *k, cJSON *res,
    int status, struct scim_error *err)
{
	const cJSON	*meta = cJSON_GetObjectItemCaseSensitive(res, "meta");
	const cJSON	*ver = cJSON_GetObjectItemCaseSensitive(meta,
			    "version");
	const cJSON	*id = cJSON_GetObjectItemCaseSensitive(res, "id");

	c->resp.status = status;
	if ((cJSON_IsString(ver) && (c->resp.etag =
	    strdup(ver->valuestring)) == NULL) ||
	    (status == 201 && cJSON_IsString(id) && (c->resp.location =
	    ref_url(c->base_url, k->rt->endpoint, id->valuestring)) == NULL)) {
		cJSON_Delete(res);
		return scim_oom(err);
	}
	c->resp.body = resource_render_take(k->rt, res, c->base_url,
	    http_param(&c->req, "attributes"),
	    http_param(&c->req, "excludedAttributes"));
	return c->resp.body == NULL ? scim_oom(err) : SCIM_OK;
}

enum scim_err
crud_get(struct scim_call *c, struct scim_error *err)
{
	struct read_ctx	 r = { c, kind_of(c), c->id, false, NULL, 0, NULL };
	cJSON		*res = NULL;
	char		*body = NULL, *ver = NULL;
	enum scim_err	 rc;

	r.backref = wants_backref(c, r.k);
	if ((rc = store_read(c->ctx->store, get_fn, &r, err)) != SCIM_OK)
		goto out;
	if (answers_whole(r.k, http_param(&c->req, "attributes"),
	    http_param(&c->req, "excludedAttributes")))
		body = answer_text(&r, &ver);
	if (body == NULL) {
		/* A record stored plain, or an answer that picks from it. */
		if ((rc = parse_record(&r, &res, err)) != SCIM_OK)
			goto out;
		if (version_str(res) != NULL &&
		    (ver = strdup(version_str(res))) == NULL) {
			rc = scim_oom(err);
			goto out;
		}
	}
	if (c->req.if_none_match != NULL &&
	    etag_listed(c->req.if_none_match, ver)) {
		c->resp.status = 304;
		c->resp.etag = ver;
		ver = NULL;
		goto out;
	}
	if (body != NULL) {
		c->resp.status = 200;
		c->resp.etag = ver;
		ver = NULL;
		c->resp.raw_len = strlen(body);
		c->resp.raw = body;
		c->resp.raw_type = "application/scim+json";
		body = NULL;
	} else {
		rc = respond(c, r.k, res, 200, err);
		res = NULL;
	}
out:
	read_ctx_clear(&r);
	cJSON_Delete(res);
	free(body);
	free(ver);
	return rc;
}

/* --- queries --- */

struct query {
	struct filter		*filter;
	long			 start;		/* 1-based */
	long			 count;
	struct schema_path	 sort;
	bool			 sorted;
	bool			 descending;
	const char		*attributes;
	const char		*excluded;
};

struct list_ctx {
	struct scim_call	*c;
	const struct kind	*k;
	struct query		*q;
	struct store_txn	*t;
	bool			 filter_backref; /* filter reads it */
	bool			 want_backref;	/* output shows it */
	bool			 page_backref;	/* load it for page entries in
						   the scan's transaction */
	size_t			 total;
	cJSON			*page;		/* out: matching, in order */
	bool			 shows_whole;	/* answers_whole() */
	bool			 whole;		/* and a filter that an index
						   hit matches, a page of it */
	enum scim_err		 rc;
	struct scim_error	*err;
};

/* One candidate: match it, count it, keep it when on the page. */
static bool
list_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct list_ctx	*lc = arg;

	(void)id;
	/*
	 * Records in the stored form carry the answer's "schemas"; older
	 * ones do not.  Filters and sorts see neither, as before.
	 */
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "schemas");
	if (lc->filter_backref) {
		lc->rc = load_backref(lc->t, lc->k, lc->c->auth.tenant,
		    lc->c->base_url, obj, lc->err);
		if (lc->rc != SCIM_OK)
			return false;
	}
	if (lc->q->filter != NULL && !filter_match(lc->q->filter, obj))
		return true;
	lc->total++;
	if (lc->q->sorted ||
	    (lc->total >= (size_t)lc->q->start &&
	    lc->total < (size_t)lc->q->start + (size_t)lc->q->count)) {
		if (lc->page_backref && (lc->rc = load_backref(lc->t, lc->k,
		    lc->c->auth.tenant, lc->c->base_url, obj, lc->err)) !=
		    SCIM_OK)
			return false;
		cJSON_AddItemToArray(lc->page, obj);
		*keep = true;
	}
	return true;
}

/*
 * Add r's record to lc->page answered from its stored text (a raw item,
 * rendered already), when resource_answer() can: *added says whether it
 * did; r->refs is consumed then.
 */
static enum scim_err
page_add_answer(struct list_ctx *lc, struct read_ctx *r, bool *added,
    struct scim_error *err)
{
	cJSON	*item;
	char	*body, *ver;

	*added = false;
	if ((body = answer_text(r, &ver)) == NULL)
		return SCIM_OK;
	free(ver);
	item = cJSON_CreateRaw(body);
	free(body);
	if (item == NULL)
		return scim_oom(err);
	cJSON_AddItemToArray(lc->page, item);
	*added = true;
	return SCIM_OK;
}

/*
 * An unfiltered, unsorted page: its ids from the name index, then each
 * record read as stored.  One the answer shows whole is answered from its
 * stored text; the others are parsed for rendering, with their
 * back-reference when it is shown.
 */
static enum scim_err
list_page(struct store_txn *t, struct list_ctx *lc, struct scim_error *err)
{
	struct read_ctx	 r = { lc->c, lc->k, NULL, lc->page_backref, NULL, 0,
			    NULL };
	char		(*ids)[STORE_ID_MAX + 1] = NULL;
	size_t		 nids = 0, i;
	cJSON		*item;
	enum scim_err	 rc;
	bool		 added = false;

	if (lc->q->count > 0 &&
	    (ids = calloc((size_t)lc->q->count, sizeof(*ids))) == NULL)
		return scim_oom(err);
	rc = store_page_ids(t, lc->k->kind, lc->c->auth.tenant,
	    (size_t)lc->q->start - 1, (size_t)lc->q->count, &lc->total, ids,
	    &nids, err);
	for (i = 0; rc == SCIM_OK && i < nids; i++) {
		r.id = ids[i];
		if ((rc = read_one(t, &r, err)) == SCIM_E_NOT_FOUND) {
			rc = SCIM_OK;	/* cannot be: the index moves with it */
			continue;
		}
		if (rc == SCIM_OK && lc->shows_whole)
			rc = page_add_answer(lc, &r, &added, err);
		if (rc == SCIM_OK && !added &&
		    (rc = parse_record(&r, &item, err)) == SCIM_OK)
			cJSON_AddItemToArray(lc->page, item);
	}
	read_ctx_clear(&r);
	free(ids);
	return rc;
}

/*
 * The filter pins resource id (an index hit): read it.  When it matches
 * for sure and the answer shows all of it, it is answered from its stored
 * text, as list_page() does; else it is parsed and matched as a scan
 * would.
 */
static enum scim_err
list_one(struct store_txn *t, struct list_ctx *lc, const char *id,
    struct scim_error *err)
{
	struct read_ctx	 r = { lc->c, lc->k, id, false, NULL, 0, NULL };
	cJSON		*obj = NULL;
	bool		 added = false, keep = false;
	enum scim_err	 rc;

	if ((rc = read_one(t, &r, err)) == SCIM_E_NOT_FOUND)
		rc = SCIM_OK;
	else if (rc == SCIM_OK && lc->whole &&
	    resource_answerable(r.text, r.len)) {
		if (lc->want_backref)
			rc = read_backref(t, lc->k, lc->c->auth.tenant,
			    lc->c->base_url, id, &r.refs, err);
		if (rc == SCIM_OK)
			rc = page_add_answer(lc, &r, &added, err);
		if (added)
			lc->total = 1;
	}
	if (rc == SCIM_OK && r.text != NULL && !added) {
		cJSON_Delete(r.refs);	/* list_each() reads them if shown */
		r.refs = NULL;
		rc = parse_record(&r, &obj, err);
	}
	read_ctx_clear(&r);
	if (rc != SCIM_OK || obj == NULL)
		return rc;
	list_each(lc, id, obj, &keep);
	if (!keep)
		cJSON_Delete(obj);
	return lc->rc;
}

static enum scim_err
list_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct list_ctx	*lc = arg;
	const struct filter *f = lc->q->filter;
	const char	*hint;
	char		 id[STORE_ID_MAX + 1];
	enum scim_err	 rc;

	cJSON_Delete(lc->page);
	lc->total = 0;
	lc->t = t;
	lc->rc = SCIM_OK;
	lc->err = err;
	if ((lc->page = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	if ((rc = check_token(t, lc->c, err)) != SCIM_OK)
		return rc;
	/* No filter, no sort: read only the records on the page. */
	if (f == NULL && !lc->q->sorted)
		return list_page(t, lc, err);
	/* Use an index when the filter pins the id, the name or externalId. */
	if (f != NULL && ((hint = filter_eq_hint(f, "id")) != NULL ||
	    (hint = filter_eq_hint(f, lc->k->name_attr)) != NULL)) {
		if (filter_eq_hint(f, "id") == NULL) {
			rc = store_find_name(t, lc->k->kind,
			    lc->c->auth.tenant, hint, id, err);
			if (rc == SCIM_E_NOT_FOUND)
				return SCIM_OK;
			if (rc != SCIM_OK)
				return rc;
			hint = id;
		}
		return list_one(t, lc, hint, err);
	} else if (f != NULL &&
	    (hint = filter_eq_hint(f, "externalId")) != NULL)
		rc = store_scan_external(t, lc->k->kind, lc->c->auth.tenant,
		    hint, list_each, lc, err);
	else
		rc = store_scan(t, lc->k->kind, lc->c->auth.tenant, list_each,
		    lc, err);
	if (rc != SCIM_OK)
		return rc;
	return lc->rc;
}

/* The first value at a sort path (multi-valued: the primary, else first). */
static const cJSON *
sort_value(const struct schema_path *p, const cJSON *res)
{
	const cJSON	*v, *e, *prim;

	v = p->ext_urn ? cJSON_GetObjectItem(res, p->ext_urn) : res;
	v = cJSON_GetObjectItem(v, p->attr_name);
	if (cJSON_IsArray(v)) {
		e = v->child;
		cJSON_ArrayForEach(prim, v)
			if (cJSON_IsTrue(cJSON_GetObjectItem(prim, "primary")))
				e = prim;
		v = e;
	}
	if (p->sub_name[0] != '\0')
		v = cJSON_GetObjectItem(v, p->sub_name);
	else if (cJSON_IsObject(v))
		v = cJSON_GetObjectItem(v, "value");
	return (v == NULL || cJSON_IsNull(v)) ? NULL : v;
}

static const struct query	*sort_q;	/* for qsort's comparator */

static int
sort_cmp(const void *a, const void *b)
{
	const cJSON		*x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
	const struct schema_attr *d = sort_q->sort.sub ? sort_q->sort.sub :
				    sort_q->sort.attr;
	const cJSON		*vx = sort_value(&sort_q->sort, x);
	const cJSON		*vy = sort_value(&sort_q->sort, y);
	int			 r;

	/* Absent values go last in either order. */
	if (vx == NULL || vy == NULL)
		return (vx == NULL) - (vy == NULL);
	r = filter_compare(vx, vy, d ? d->type : ATTR_STRING,
	    d ? d->case_exact : false);
	return sort_q->descending ? -r : r;
}

/* Sort lc->page and cut it to the requested page. */
static enum scim_err
sort_and_cut(struct list_ctx *lc, struct scim_error *err)
{
	cJSON	**v, *e, *page;
	size_t	 n = (size_t)cJSON_GetArraySize(lc->page), i = 0;

	if (n == 0)
		return SCIM_OK;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return scim_oom(err);
	while ((e = cJSON_DetachItemFromArray(lc->page, 0)) != NULL)
		v[i++] = e;
	sort_q = lc->q;
	qsort(v, n, sizeof(*v), sort_cmp);
	page = lc->page;
	for (i = 0; i < n; i++) {
		if (i + 1 >= (size_t)lc->q->start &&
		    i + 1 < (size_t)lc->q->start + (size_t)lc->q->count)
			cJSON_AddItemToArray(page, v[i]);
		else
			cJSON_Delete(v[i]);
	}
	free(v);
	return SCIM_OK;
}

struct backrefs_ctx {
	struct list_ctx	*lc;
};

static enum scim_err
backrefs_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct list_ctx	*lc = arg;
	cJSON		*e;
	enum scim_err	 rc;

	cJSON_ArrayForEach(e, lc->page)
		if ((rc = load_backref(t, lc->k, lc->c->auth.tenant,
		    lc->c->base_url, e, err)) != SCIM_OK)
			return rc;
	return SCIM_OK;
}

static enum scim_err
run_query(struct scim_call *c, struct query *q, struct scim_error *err)
{
	struct list_ctx	 lc;
	cJSON		*out = NULL, *e, *r;
	enum scim_err	 rc;
	bool		 exact;

	memset(&lc, 0, sizeof(lc));
	lc.c = c;
	lc.k = kind_of(c);
	lc.q = q;
	lc.filter_backref = q->filter != NULL &&
	    filter_uses(q->filter, lc.k->rt->backref);
	lc.want_backref = resource_wants(lc.k->rt, lc.k->rt->backref,
	    q->attributes, q->excluded) != 0;
	/*
	 * Unsorted, the page is known during the scan: read its back-
	 * references in the same transaction instead of a second one.
	 */
	lc.page_backref = lc.want_backref && !lc.filter_backref &&
	    !q->sorted;
	lc.shows_whole = answers_whole(lc.k, q->attributes, q->excluded);
	lc.whole = !q->sorted && q->start == 1 && q->count >= 1 &&
	    lc.shows_whole &&
	    (filter_eq_only(q->filter, "id", &exact) != NULL ||
	    (filter_eq_only(q->filter, lc.k->name_attr, &exact) != NULL &&
	    !exact));
	if ((rc = store_read(c->ctx->store, list_fn, &lc, err)) != SCIM_OK)
		goto out;
	if (q->sorted && (rc = sort_and_cut(&lc, err)) != SCIM_OK)
		goto out;
	if (lc.want_backref && !lc.filter_backref && !lc.page_backref &&
	    (rc = store_read(c->ctx->store, backrefs_fn, &lc, err)) !=
	    SCIM_OK)
		goto out;
	if ((out = cJSON_CreateArray()) == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	/* Each entry is rendered from its own members and consumed. */
	while ((e = lc.page->child) != NULL) {
		cJSON_DetachItemViaPointer(lc.page, e);
		if (cJSON_IsRaw(e)) {	/* answered from its stored text */
			cJSON_AddItemToArray(out, e);
			continue;
		}
		if (!lc.want_backref)
			cJSON_DeleteItemFromObjectCaseSensitive(e,
			    lc.k->rt->backref);
		r = resource_render_take(lc.k->rt, e, c->base_url,
		    q->attributes, q->excluded);
		if (r == NULL) {
			cJSON_Delete(out);
			rc = scim_oom(err);
			goto out;
		}
		cJSON_AddItemToArray(out, r);
	}
	if ((c->resp.body = service_list_response(lc.total,
	    (size_t)q->start, out)) == NULL)
		rc = scim_oom(err);
out:
	cJSON_Delete(lc.page);
	return rc;
}

/*
 * Fill q from the query parameters (or the .search body's strings).
 * startIndex < 1 means 1; count < 0 means 0; count above max_results is
 * cut to it (RFC 7644 section 3.4.2.4).
 */
static enum scim_err
query_parse(struct scim_call *c, struct query *q, const char *filter,
    const char *start, const char *count, const char *sort_by,
    const char *sort_order, struct scim_error *err)
{
	const struct kind	*k = kind_of(c);
	enum scim_err		 rc;
	long			 n;

	q->start = 1;
	q->count = c->ctx->cfg.default_count;
	if (start != NULL) {
		if (!util_parse_long(start, -(1L << 62), 1L << 62, &n))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "startIndex must be an integer");
		q->start = n < 1 ? 1 : n;
	}
	if (count != NULL) {
		if (!util_parse_long(count, -(1L << 62), 1L << 62, &n))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "count must be an integer");
		q->count = n < 0 ? 0 : n;
	}
	if (q->count > c->ctx->cfg.max_results)
		q->count = c->ctx->cfg.max_results;
	if (sort_by != NULL && *sort_by != '\0') {
		rc = schema_resolve(k->rt, sort_by, strlen(sort_by), &q->sort,
		    err);
		if (rc != SCIM_OK)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "sortBy: %s", err->detail);
		q->sorted = true;
	}
	if (sort_order != NULL) {
		if (strcasecmp(sort_order, "descending") == 0)
			q->descending = true;
		else if (strcasecmp(sort_order, "ascending") != 0)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "sortOrder must be \"ascending\" or "
			    "\"descending\"");
	}
	if (filter != NULL && *filter != '\0')
		return filter_parse(filter, k->rt, &q->filter, err);
	return SCIM_OK;
}

enum scim_err
crud_list(struct scim_call *c, struct scim_error *err)
{
	struct query	 q;
	const struct http_req *r = &c->req;
	enum scim_err	 rc;

	memset(&q, 0, sizeof(q));
	q.attributes = http_param(r, "attributes");
	q.excluded = http_param(r, "excludedAttributes");
	rc = query_parse(c, &q, http_param(r, "filter"),
	    http_param(r, "startIndex"), http_param(r, "count"),
	    http_param(r, "sortBy"), http_param(r, "sortOrder"), err);
	if (rc == SCIM_OK)
		rc = run_query(c, &q, err);
	filter_free(q.filter);
	return rc;
}

/* A SearchRequest member as a string: numbers printed, arrays joined. */
static char *
search_str(const cJSON *body, const char *name, bool *bad)
{
	const cJSON	*v = cJSON_GetObjectItem(body, name), *e;
	char		 buf[64], *s = NULL, *ns;
	size_t		 len = 0, n;

	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsNumber(v)) {
		snprintf(buf, sizeof(buf), "%.0f", v->valuedouble);
		return strdup(buf);
	}
	if (cJSON_IsArray(v)) {
		if ((s = strdup("")) == NULL)
			return NULL;
		cJSON_ArrayForEach(e, v) {
			if (!cJSON_IsString(e)) {
				*bad = true;
				break;
			}
			n = strlen(e->valuestring);
			if ((ns = realloc(s, len + n + 2)) == NULL) {
				free(s);
				return NULL;
			}
			s = ns;
			if (len > 0)
				s[len++] = ',';
			memcpy(s + len, e->valuestring, n + 1);
			len += n;
		}
		return s;
	}
	*bad = true;
	return NULL;
}

enum scim_err
crud_search(struct scim_call *c, struct scim_error *err)
{
	static const char *const names[] = { "filter", "startIndex", "count",
	    "sortBy", "sortOrder", "attributes", "excludedAttributes" };
	char		*v[7] = { NULL };
	struct query	 q;
	cJSON		*body = NULL;
	enum scim_err	 rc;
	bool		 bad = false;
	size_t		 i;

	memset(&q, 0, sizeof(q));
	if ((rc = http_body_json(&c->req, &body, err)) != SCIM_OK)
		return rc;
	for (i = 0; i < 7; i++)
		v[i] = search_str(body, names[i], &bad);
	if (bad) {
		rc = scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a SearchRequest member has the wrong type");
		goto out;
	}
	q.attributes = v[5];
	q.excluded = v[6];
	rc = query_parse(c, &q, v[0], v[1], v[2], v[3], v[4], err);
	if (rc == SCIM_OK)
		rc = run_query(c, &q, err);
out:
	for (i = 0; i < 7; i++)
		free(v[i]);
	filter_free(q.filter);
	cJSON_Delete(body);
	return rc;
}

/* --- writing --- */

struct write_ctx {
	struct scim_call	*c;
	const struct kind	*k;
	const cJSON		*in;		/* the PatchOp body (patch) */
	const cJSON		*members;	/* groups: members to set */
	char			 id[UTIL_UUID_LEN + 1];
	bool			 backref;	/* answer shows groups/members */
	cJSON			*res;		/* out: what was stored; for
						   create/put, the normalised
						   input, which set_meta() makes
						   the record again on every
						   run of the transaction */
	bool			 changed;	/* out: anything written */
};

static enum scim_err
backref_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct write_ctx	*w = arg;

	return load_backref(t, w->k, w->c->auth.tenant, w->c->base_url,
	    w->res, err);
}

/*
 * The back-references (a user's groups, a group's members) of what a write
 * stored, for its answer, read after the write committed.  Inside the
 * write transaction every read takes a write lock (DB_RMW): a user's
 * groups would lock each group's page until the durable commit, so
 * concurrent writes to any users of a common group would conflict there
 * and run one fsync after another.
 */
static void
write_backref(struct write_ctx *w)
{
	struct scim_error	 err;

	if (!w->backref || w->res == NULL)
		return;
	/*
	 * The write is committed: an error now (the store began recovery)
	 * must not make the answer say it failed.  Answer without them.
	 */
	if (store_read(w->c->ctx->store, backref_fn, w, &err) != SCIM_OK) {
		log_warn("%s %s written, but its %s could not be read for the "
		    "answer: %s", w->k->rt->name, w->c->id ? w->c->id : w->id,
		    w->k->rt->backref, err.detail);
		cJSON_DeleteItemFromObjectCaseSensitive(w->res,
		    w->k->rt->backref);
	}
}

static enum scim_err
create_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct write_ctx	*w = arg;
	struct members_ctx	 mc = { t, w->c->auth.tenant, w->id, 0, 0,
				    NULL, NULL };
	enum scim_err		 rc;

	if (!set_meta(w->res, w->id, w->k, NULL) || !members_ctx_lists(&mc)) {
		rc = scim_oom(err);
		goto out;
	}
	if ((rc = store_put(t, w->k->kind, w->c->auth.tenant, w->res, NULL,
	    err)) != SCIM_OK)
		goto out;
	if (w->members != NULL &&
	    (rc = members_add(&mc, w->members, err)) != SCIM_OK)
		goto out;
	rc = record(t, w->c, w->k, w->k->kind == STORE_USER ?
	    "scim.user.provisioned" : "scim.group.created", w->res, NULL, err);
	if (rc == SCIM_OK && mc.added > 0) {
		mc.removed = 0;
		rc = record_update(t, w->c, w->k, w->res, w->res, &mc, err);
	}
out:
	members_ctx_free(&mc);
	return rc;
}

/* Normalise the request body; groups' members come out separately. */
static enum scim_err
read_resource(struct scim_call *c, const struct kind *k, cJSON **res,
    cJSON **members, struct scim_error *err)
{
	cJSON		*body = NULL;
	enum scim_err	 rc;

	*res = *members = NULL;
	if ((rc = http_body_json(&c->req, &body, err)) != SCIM_OK)
		return rc;
	rc = resource_normalize(k->rt, body, res, err);
	cJSON_Delete(body);
	if (rc == SCIM_OK && k->kind == STORE_GROUP)
		*members = cJSON_DetachItemFromObjectCaseSensitive(*res,
		    "members");
	return rc;
}

/*
 * POST and PUT: read and normalise the body, run fn (create_fn or
 * replace_fn) in a transaction, answer with status and the stored result.
 */
static enum scim_err
write_resource(struct scim_call *c, store_fn fn, int status,
    struct scim_error *err)
{
	struct write_ctx	 w;
	cJSON			*in = NULL, *members = NULL;
	enum scim_err		 rc;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.k = kind_of(c);
	if ((rc = read_resource(c, w.k, &in, &members, err)) != SCIM_OK)
		goto out;
	/*
	 * The transaction writes the normalised input, in its stored form
	 * (resource_stored()), itself: set_meta()
	 * replaces its id and meta on every run, and nothing else in it
	 * changes, so a rerun after a conflict needs no fresh copy.
	 */
	w.res = resource_stored(w.k->rt, in);
	in = NULL;
	if (w.res == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	w.members = members;
	/* A new user has no groups yet: no need to look. */
	w.backref = wants_backref(c, w.k) &&
	    (status != 201 || w.k->kind == STORE_GROUP);
	util_uuid(w.id);
	if ((rc = store_run(c->ctx->store, fn, &w, err)) != SCIM_OK)
		goto out;
	write_backref(&w);
	rc = respond(c, w.k, w.res, status, err);
	w.res = NULL;
out:
	cJSON_Delete(in);
	cJSON_Delete(members);
	cJSON_Delete(w.res);
	return rc;
}

static enum scim_err
replace_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct write_ctx	*w = arg;
	struct members_ctx	 mc = { t, w->c->auth.tenant, w->c->id, 0, 0,
				    NULL, NULL };
	cJSON			*old = NULL;
	enum scim_err		 rc;

	if (!members_ctx_lists(&mc)) {
		members_ctx_free(&mc);
		return scim_oom(err);
	}
	rc = store_get(t, w->k->kind, w->c->auth.tenant, w->c->id, &old, err);
	if (rc == SCIM_E_NOT_FOUND) {
		rc = scim_fail(err, SCIM_E_NOT_FOUND, "%s %.200s not found",
		    w->k->rt->name, w->c->id);
		goto out;
	}
	if (rc != SCIM_OK || (rc = check_if_match(w->c, old, err)) !=
	    SCIM_OK)
		goto out;
	if (!set_meta(w->res, w->c->id, w->k, old)) {
		rc = scim_oom(err);
		goto out;
	}
	if ((rc = store_put(t, w->k->kind, w->c->auth.tenant, w->res, old,
	    err)) != SCIM_OK)
		goto out;
	if (w->k->kind == STORE_GROUP) {
		/* PUT replaces the member list with the one sent. */
		if ((rc = members_clear(&mc, err)) != SCIM_OK ||
		    (rc = members_add(&mc, w->members, err)) != SCIM_OK)
			goto out;
	}
	rc = record_update(t, w->c, w->k, old, w->res,
	    w->k->kind == STORE_GROUP ? &mc : NULL, err);
out:
	members_ctx_free(&mc);
	cJSON_Delete(old);
	return rc;
}

enum scim_err
crud_create(struct scim_call *c, struct scim_error *err)
{
	return write_resource(c, create_fn, 201, err);
}

enum scim_err
crud_replace(struct scim_call *c, struct scim_error *err)
{
	return write_resource(c, replace_fn, 200, err);
}

/* The first member of o named key (exact case) other than skip. */
static const cJSON *
member_but(const cJSON *o, const char *key, const cJSON *skip)
{
	const cJSON	*c;

	for (c = o->child; c != NULL; c = c->next)
		if (c != skip && c->string != NULL && strcmp(c->string,
		    key) == 0)
			return c;
	return NULL;
}

/*
 * Compare two stored forms, ignoring meta and "schemas" (which a record
 * stored plain lacks): what cJSON_Compare() says of copies of a and b
 * without them, without making the copies, which cost more than the
 * comparison.
 */
static bool
same_content(const cJSON *a, const cJSON *b)
{
	const cJSON	*ma = cJSON_GetObjectItemCaseSensitive(a, "meta");
	const cJSON	*mb = cJSON_GetObjectItemCaseSensitive(b, "meta");
	const cJSON	*x, *y;
	int		 pass;

	if (!cJSON_IsObject(a) || !cJSON_IsObject(b))
		return false;
	for (pass = 0; pass < 2; pass++) {
		for (x = a->child; x != NULL; x = x->next) {
			if (x == ma || (x->string != NULL &&
			    strcmp(x->string, "schemas") == 0))
				continue;
			if (x->string == NULL ||
			    (y = member_but(b, x->string, mb)) == NULL ||
			    !cJSON_Compare(x, y, true))
				return false;
		}
		y = a, a = b, b = y;
		y = ma, ma = mb, mb = y;
	}
	return true;
}

static enum scim_err
patch_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct write_ctx	*w = arg;
	struct members_ctx	 mc = { t, w->c->auth.tenant, w->c->id, 0, 0,
				    NULL, NULL };
	struct patch_hook	 hook = { "members", members_hook, &mc };
	cJSON			*old = NULL, *work = NULL, *norm = NULL;
	enum scim_err		 rc;

	cJSON_Delete(w->res);
	w->res = NULL;
	w->changed = false;
	if (!members_ctx_lists(&mc)) {
		members_ctx_free(&mc);
		return scim_oom(err);
	}
	rc = store_get(t, w->k->kind, w->c->auth.tenant, w->c->id, &old, err);
	if (rc == SCIM_E_NOT_FOUND) {
		rc = scim_fail(err, SCIM_E_NOT_FOUND, "%s %.200s not found",
		    w->k->rt->name, w->c->id);
		goto out;
	}
	if (rc != SCIM_OK || (rc = check_if_match(w->c, old, err)) !=
	    SCIM_OK)
		goto out;
	if ((work = cJSON_Duplicate(old, true)) == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	rc = patch_apply(w->k->rt, work, w->in,
	    w->k->kind == STORE_GROUP ? &hook : NULL, err);
	if (rc != SCIM_OK)
		goto out;
	if ((rc = resource_normalize_change(w->k->rt, work, old, &norm,
	    err)) != SCIM_OK)
		goto out;
	if ((norm = resource_stored(w->k->rt, norm)) == NULL ||
	    !set_meta(norm, w->c->id, w->k, old)) {
		rc = scim_oom(err);
		goto out;
	}
	if (mc.added + mc.removed > 0 || !same_content(norm, old)) {
		if ((rc = store_put(t, w->k->kind, w->c->auth.tenant, norm,
		    old, err)) != SCIM_OK ||
		    (rc = record_update(t, w->c, w->k, old, norm, &mc, err)) !=
		    SCIM_OK)
			goto out;
		w->changed = true;
		w->res = norm;
	} else {
		w->res = old;		/* nothing changed: no new version */
		old = NULL;
	}
	norm = w->res == norm ? NULL : norm;
out:
	members_ctx_free(&mc);
	cJSON_Delete(old);
	cJSON_Delete(work);
	cJSON_Delete(norm);
	return rc;
}

enum scim_err
crud_patch(struct scim_call *c, struct scim_error *err)
{
	struct write_ctx	 w;
	cJSON			*body = NULL;
	enum scim_err		 rc;
	bool			 show;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.k = kind_of(c);
	if ((rc = http_body_json(&c->req, &body, err)) != SCIM_OK)
		return rc;
	w.in = body;
	/* Users answer 200 with the resource; groups 204 unless asked. */
	show = w.k->kind == STORE_USER ||
	    http_param(&c->req, "attributes") != NULL ||
	    http_param(&c->req, "excludedAttributes") != NULL;
	w.backref = show && wants_backref(c, w.k);
	if ((rc = store_run(c->ctx->store, patch_fn, &w, err)) != SCIM_OK)
		goto out;
	write_backref(&w);
	if (show) {
		rc = respond(c, w.k, w.res, 200, err);
		w.res = NULL;
	} else {
		c->resp.status = 204;
		c->resp.etag = strdup(cJSON_GetObjectItem(cJSON_GetObjectItem(
		    w.res, "meta"), "version")->valuestring);
	}
out:
	cJSON_Delete(body);
	cJSON_Delete(w.res);
	return rc;
}

static enum scim_err
delete_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct write_ctx	*w = arg;
	cJSON			*old = NULL;
	enum scim_err		 rc;

	rc = store_get(t, w->k->kind, w->c->auth.tenant, w->c->id, &old, err);
	if (rc == SCIM_OK)
		rc = check_if_match(w->c, old, err);
	if (rc == SCIM_OK)
		rc = store_del(t, w->k->kind, w->c->auth.tenant, w->c->id,
		    err);
	if (rc == SCIM_OK)
		rc = record(t, w->c, w->k, w->k->kind == STORE_USER ?
		    "scim.user.deleted" : "scim.group.deleted", old, NULL, err);
	if (rc == SCIM_E_NOT_FOUND)
		rc = scim_fail(err, SCIM_E_NOT_FOUND, "%s %.200s not found",
		    w->k->rt->name, w->c->id);
	cJSON_Delete(old);
	return rc;
}

enum scim_err
crud_delete(struct scim_call *c, struct scim_error *err)
{
	struct write_ctx	 w;
	enum scim_err		 rc;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.k = kind_of(c);
	if ((rc = store_run(c->ctx->store, delete_fn, &w, err)) == SCIM_OK)
		c->resp.status = 204;
	return rc;
}
