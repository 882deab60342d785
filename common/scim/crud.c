/*
 * /Users and /Groups handlers, shared by scim-users and scim-groups: the
 * ones on one resource (GET, POST, PUT, PATCH, DELETE), with meta and
 * versions (ETag, If-Match, If-None-Match).  Queries on a collection are
 * in crud-query.c, membership and back-references in members.c, the
 * audit events in crud-audit.c, a /Bulk operation's routing in
 * crud-op.c (see crud-int.h).
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

#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "scim/crud-int.h"
#include "scim/held.h"
#include "scim/managed.h"
#include "scim/members.h"
#include "scim/patch.h"
#include "scim/resource.h"
#include "scim/unique.h"

/*
 * The resource type the call's endpoint serves: its schema, its store
 * kind and its name attribute all come from the one table (schema.c).
 */
const struct resource_type *
crud_rt_of(const struct scim_call *c)
{
	return strcmp(c->resource, "Groups") == 0 ? &rt_group : &rt_user;
}

/* --- the store's keys and its refusals, worded for the client --- */

/* The keys the store indexes res, a resource of type rt, by. */
void
crud_store_keys(const struct resource_type *rt, const cJSON *res,
    struct store_keys *out)
{
	out->id = json_str_or_null(res, "id");
	out->name = json_str_or_null(res, rt->name_attr);
	out->ext = json_str_or_null(res, "externalId");
}

/*
 * store_put() of res, a resource of type rt, replacing old (NULL: a
 * create), the store's refusals worded for the client here: the store
 * speaks in keys and codes.  With text not NULL, *text gets the record as
 * stored (a new string, the caller frees it; NULL unless SCIM_OK), which
 * the answer is made from: the record is printed once.
 */
static enum scim_err
put_record(struct store_txn *t, const struct resource_type *rt,
    const char *tenant, const cJSON *res, const cJSON *old, char **text,
    struct scim_error *err)
{
	struct store_keys	 keys, okeys;
	struct unique_moves	 moves;
	enum scim_err		 rc;
	char			*lname, *rec;

	crud_store_keys(rt, res, &keys);
	if (old != NULL)
		crud_store_keys(rt, old, &okeys);
	if (keys.name == NULL)
		return scim_fail(err, SCIM_E_INVALID_VALUE, "%s is required",
		    rt->name_attr);
	/*
	 * Unique extension values: checked first, claimed after the record
	 * (nothing is read or written when none is declared or moved), so
	 * that a refusal writes nothing: the sync goes on in its
	 * transaction after one.
	 */
	if ((rc = unique_check(t, rt, tenant, keys.id, old, res, &moves,
	    err)) != SCIM_OK) {
		unique_moves_free(&moves);
		return rc;
	}
	/* Printed before the store takes any lock (see store_put()). */
	if ((rec = cJSON_PrintUnformatted(res)) == NULL) {
		unique_moves_free(&moves);
		return scim_oom(err);
	}
	rc = store_put_text(t, rt->kind, tenant, &keys, rec, strlen(rec),
	    old != NULL ? &okeys : NULL, err);
	if (rc == SCIM_OK)
		rc = unique_apply(t, &moves, err);
	unique_moves_free(&moves);
	if (rc == SCIM_OK && text != NULL) {
		*text = rec;
		rec = NULL;
	}
	free(rec);
	if (rc != SCIM_E_UNIQUENESS)
		return rc;
	/* The name index compares folded forms: say the name that way. */
	if ((lname = util_fold(keys.name, true)) == NULL)
		return scim_oom(err);
	rc = scim_fail(err, SCIM_E_UNIQUENESS,
	    "%s \"%s\" is already taken by another %s", rt->name_attr, lname,
	    rt->noun);
	free(lname);
	return rc;
}

/* --- meta and versions --- */

/* The number in a version string W/"n"; 0 when there is none. */
long
crud_version_num(const char *ver)
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
	return crud_version_num(version_str(res));
}

/*
 * Put id first and a fresh meta last on res.  created comes from old
 * (NULL for a create); the version counts up from old's.
 */
static bool
set_meta(cJSON *res, const char *id, const struct resource_type *rt,
    const cJSON *old)
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
	cJSON_AddStringToObject(meta, "resourceType", rt->name);
	cJSON_AddStringToObject(meta, "created",
	    cJSON_IsString(created) ? created->valuestring : now);
	cJSON_AddStringToObject(meta, "lastModified", now);
	return cJSON_AddStringToObject(meta, "version", ver) != NULL;
}

/*
 * list is an If-Match / If-None-Match header value: entity tags separated
 * by commas, weak or strong alike (only our W/"n" versions exist), or *.
 */
bool
crud_etag_listed(const char *list, const char *ver)
{
	char		 want[32];
	const char	*p = list;
	size_t		 n;

	snprintf(want, sizeof(want), "\"%ld\"", crud_version_num(ver));
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
	    !crud_etag_listed(c->req.if_match, version_str(old)))
		return scim_fail(err, SCIM_E_PRECONDITION,
		    "If-Match does not match the current version %s",
		    version_str(old) ? version_str(old) : "(none)");
	return SCIM_OK;
}

/* --- reading --- */

/*
 * The store half of a cached bearer check, in the handler's transaction
 * (see token_check_start()); nothing when it is done or not needed.
 */
enum scim_err
crud_token_txn(struct store_txn *t, struct scim_call *c,
    struct scim_error *err)
{
	enum scim_err	 rc;

	if (!c->auth_pending)
		return SCIM_OK;
	if ((rc = token_check_txn(t, &c->auth, err)) == SCIM_OK)
		c->auth_pending = false;
	return rc;
}

/* Free what r read and reset it for another read. */
void
crud_read_clear(struct read_ctx *r)
{
	free(r->text);
	r->text = NULL;
	r->len = 0;
	members_ref_clear(&r->refs);
}

/*
 * Read r->id in t: SCIM_E_NOT_FOUND when there is none.  A user's groups,
 * when wanted, come from the same descent of users.db as its record
 * (members_read_with_backref()): a GET, and a list page 100 times.
 */
enum scim_err
crud_read_one(struct store_txn *t, struct read_ctx *r, struct scim_error *err)
{
	crud_read_clear(r);
	if (r->backref)
		return members_read_with_backref(t, r->rt, r->c->auth.tenant,
		    r->c->base_url, r->id, &r->text, &r->len, &r->refs, err);
	return store_get_raw(t, r->rt->kind, r->c->auth.tenant, r->id,
	    &r->text, &r->len, err);
}

static enum scim_err
get_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct read_ctx	*r = arg;
	enum scim_err	 rc;

	if ((rc = crud_token_txn(t, r->c, err)) != SCIM_OK)
		return rc;
	if ((rc = crud_read_one(t, r, err)) == SCIM_E_NOT_FOUND)
		return scim_fail(err, SCIM_E_NOT_FOUND, "%s %.200s not found",
		    r->rt->name, r->id);
	return rc;
}

/*
 * Can the answer be the stored text with the back-reference put in
 * (resource_answer())?  Only when it shows the whole resource, or all of
 * it but the back-reference.
 */
bool
crud_answers_whole(const struct resource_type *rt, const char *attributes,
    const char *excluded)
{
	return attributes == NULL && (excluded == NULL ||
	    strcasecmp(excluded, rt->backref) == 0);
}

/*
 * The answer for r's record when resource_answer() can make it from the
 * stored text (r->refs is then consumed), else NULL: parse and render it.
 */
char *
crud_answer_text(struct read_ctx *r, char **version)
{
	char	*body;

	*version = NULL;
	if (!resource_answerable(r->text, r->len))
		return NULL;
	body = resource_answer(r->rt, r->text, r->len, r->id, r->refs.arr,
	    r->refs.text, r->refs.len, r->c->base_url, version);
	if (body != NULL)
		r->refs.arr = NULL;	/* consumed */
	return body;
}

/* r's record parsed, with its back-reference (consumed) attached. */
enum scim_err
crud_parse_record(struct read_ctx *r, cJSON **out, struct scim_error *err)
{
	cJSON	*arr;
	bool	 nomem;

	if ((*out = cJSON_ParseWithLength(r->text, r->len)) == NULL ||
	    !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return scim_fail(err, SCIM_E_INTERNAL, "%s %.200s: corrupt "
		    "record", r->rt->name, r->id);
	}
	if (r->backref) {
		arr = members_ref_take(r->rt, &r->refs, &nomem);
		if (nomem) {
			cJSON_Delete(*out);
			*out = NULL;
			return scim_oom(err);
		}
		members_attach_backref(r->rt, *out, arr);
	}
	return SCIM_OK;
}

/*
 * The call's ?attributes= and ?excludedAttributes= parsed into *sel,
 * once per request (attrsel_free() it whatever this returns); false when
 * memory is short.
 */
static bool
call_sel(const struct scim_call *c, const struct resource_type *rt,
    struct attrsel *sel)
{
	return attrsel_parse(rt, http_param(&c->req, "attributes"),
	    http_param(&c->req, "excludedAttributes"), sel);
}

/* Does the answer under sel show rt's back-reference? */
static bool
wants_backref(const struct resource_type *rt, const struct attrsel *sel)
{
	return resource_wants_sel(rt, rt->backref, sel) != 0;
}

/*
 * Answer with res rendered under sel (status 200/201), its ETag, and for
 * 201 its Location.  res is consumed: the answer is built from its own
 * members.  text, when not NULL, holds res as printed (what a write
 * stored; a string the call may take): a whole answer is then sent as
 * that text with meta.location put in (resource_answer_locate()), and res
 * stays the answer's tree only for what reads it (the activity record).
 */
static enum scim_err
respond(struct scim_call *c, const struct resource_type *rt,
    const struct attrsel *sel, cJSON *res, char **text, int status,
    struct scim_error *err)
{
	const cJSON	*meta = cJSON_GetObjectItemCaseSensitive(res, "meta");
	const cJSON	*ver = cJSON_GetObjectItemCaseSensitive(meta,
			    "version");
	const cJSON	*id = cJSON_GetObjectItemCaseSensitive(res, "id");
	size_t		 len;

	c->resp.status = status;
	if ((cJSON_IsString(ver) && (c->resp.etag =
	    strdup(ver->valuestring)) == NULL) ||
	    (status == 201 && cJSON_IsString(id) && (c->resp.location =
	    resource_location(rt, id->valuestring, c->base_url)) ==
	    NULL)) {
		cJSON_Delete(res);
		return scim_oom(err);
	}
	/* A whole answer from a record in stored form is that record. */
	if (sel->inc.given || sel->exc.given ||
	    (c->resp.body = resource_answer_take(rt, res, c->base_url)) ==
	    NULL) {
		c->resp.body = resource_render_take_sel(rt, res, c->base_url,
		    sel);
		return c->resp.body == NULL ? scim_oom(err) : SCIM_OK;
	}
	/*
	 * ... and as sent, its text with the location put in: the same
	 * bytes as printing the tree, which then is not printed (a
	 * kilobyte's printing per write).  Without it the tree is printed.
	 */
	if (text == NULL || *text == NULL)
		return SCIM_OK;
	len = strlen(*text);
	if (resource_answer_locate(rt, text, &len, cJSON_IsString(id) ?
	    id->valuestring : NULL, c->base_url)) {
		c->resp.raw = *text;
		c->resp.raw_len = len;
		c->resp.raw_type = "application/scim+json";
		*text = NULL;
	}
	return SCIM_OK;
}

enum scim_err
crud_get(struct scim_call *c, struct scim_error *err)
{
	struct read_ctx	 r = { c, crud_rt_of(c), c->id, false, NULL, 0,
			    { NULL, NULL, 0 } };
	struct attrsel	 sel;
	cJSON		*res = NULL;
	char		*body = NULL, *ver = NULL;
	enum scim_err	 rc;

	if (!call_sel(c, r.rt, &sel)) {
		rc = scim_oom(err);
		goto out;
	}
	r.backref = wants_backref(r.rt, &sel);
	if ((rc = store_read(c->ctx->store, get_fn, &r, err)) != SCIM_OK)
		goto out;
	if (crud_answers_whole(r.rt, http_param(&c->req, "attributes"),
	    http_param(&c->req, "excludedAttributes")))
		body = crud_answer_text(&r, &ver);
	if (body == NULL) {
		/* A record stored plain, or an answer that picks from it. */
		if ((rc = crud_parse_record(&r, &res, err)) != SCIM_OK)
			goto out;
		if (version_str(res) != NULL &&
		    (ver = strdup(version_str(res))) == NULL) {
			rc = scim_oom(err);
			goto out;
		}
	}
	if (c->req.if_none_match != NULL &&
	    crud_etag_listed(c->req.if_none_match, ver)) {
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
		rc = respond(c, r.rt, &sel, res, NULL, 200, err);
		res = NULL;
	}
out:
	attrsel_free(&sel);
	crud_read_clear(&r);
	cJSON_Delete(res);
	free(body);
	free(ver);
	return rc;
}

/* --- writing --- */

struct write_ctx {
	struct scim_call	*c;
	const struct resource_type	*rt;
	const cJSON		*in;		/* the PatchOp body (patch) */
	const cJSON		*members;	/* groups: members to set */
	char			 id[UTIL_UUID_LEN + 1];
	bool			 backref;	/* answer shows groups/members */
	struct attrsel		 sel;		/* the answer's lists */
	char			*text;		/* out: res as stored, or NULL
						   (put_record()) */
	cJSON			*res;		/* out: what was stored; for
						   create/put, the normalised
						   input, which set_meta() makes
						   the record again on every
						   run of the transaction */
	bool			 changed;	/* out: anything written */
	struct held_note	 held;		/* out: the brake held it */
};

static enum scim_err
backref_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct write_ctx	*w = arg;

	return members_load_backref(t, w->rt, w->c->auth.tenant, w->c->base_url,
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
		    "answer: %s", w->rt->name, w->c->id ? w->c->id : w->id,
		    w->rt->backref, err.detail);
		cJSON_DeleteItemFromObjectCaseSensitive(w->res,
		    w->rt->backref);
	}
}

/* --- the deprovisioning brake (held.h) --- */

/*
 * Is w's change from old to res (NULL: a DELETE) a deprovision: a user
 * set inactive or deleted, or members leaving a group a role mapping
 * names (mc: those a PATCH removed; NULL for a PUT, which replaces the
 * members with w->members)?  Then the brake decides (held_decide()):
 * SCIM_OK goes on, anything else aborts the transaction.  Nothing is read
 * while the brake is off.
 */
static enum scim_err
crud_held_check(struct store_txn *t, struct write_ctx *w, const cJSON *old,
    const cJSON *res, const struct members_ctx *mc, struct scim_error *err)
{
	struct held_op	 op;
	cJSON		*gone = NULL;
	size_t		 ngone = 0;
	bool		 mapped;
	enum scim_err	 rc;

	if (w->c->ctx->cfg.held_max == 0)
		return SCIM_OK;
	memset(&op, 0, sizeof(op));
	if (w->rt->kind == STORE_USER) {
		if (res != NULL && !held_deactivates(old, res))
			return SCIM_OK;
		op.kind = res == NULL ? "delete" : "deactivate";
		op.user_id = w->c->id;
		op.user_name = json_str_or_null(old, "userName");
		op.count = 1;
		return held_decide(t, w->c, &op, &w->held, err);
	}
	if (res == NULL || (mc != NULL && mc->removed == 0))
		return SCIM_OK;		/* deleting a group is not counted */
	if ((rc = held_group_mapped(t, w->c->auth.tenant, old, &mapped,
	    err)) != SCIM_OK || !mapped)
		return rc;
	if (mc == NULL && (rc = members_put_removes(t, w->c->auth.tenant,
	    w->c->id, w->members, &gone, &ngone, err)) != SCIM_OK)
		return rc;
	op.kind = "remove-members";
	op.group_id = w->c->id;
	op.group_name = json_str_or_null(old, "displayName");
	op.members = mc != NULL ? mc->removed_ids : gone;
	op.user_id = cJSON_GetArrayItem(op.members, 0) != NULL ?
	    cJSON_GetArrayItem(op.members, 0)->valuestring : NULL;
	op.count = (unsigned)(mc != NULL ? mc->removed : ngone);
	rc = held_decide(t, w->c, &op, &w->held, err);
	cJSON_Delete(gone);
	return rc;
}

/*
 * The transactions of the writes below make store_put() or store_del()
 * their last write: it takes the locks every writer of the tenant shares
 * (the tenant's count and the numbered name index, store-res.c), which
 * are then held from there to the commit only, and a concurrent writer
 * meets them less often (locks never wait: a conflict runs the whole
 * transaction again).  A refusal found there (a name taken) aborts what
 * was written before it.
 */
static enum scim_err
create_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct write_ctx	*w = arg;
	struct members_ctx	 mc = { t, w->c->auth.tenant, w->id, 0, 0,
				    NULL, NULL };
	enum scim_err		 rc;

	free(w->text);
	w->text = NULL;
	if (!set_meta(w->res, w->id, w->rt, NULL) || !members_ctx_lists(&mc)) {
		rc = scim_oom(err);
		goto out;
	}
	/* Who manages the user (the gate shows it), beside its record. */
	if (w->rt->kind == STORE_USER && (rc = managed_put(t,
	    w->c->auth.tenant, w->id, "scim", w->c->auth.token_id, err)) !=
	    SCIM_OK)
		goto out;
	if (w->members != NULL &&
	    (rc = members_add(&mc, w->members, err)) != SCIM_OK)
		goto out;
	rc = crud_audit_record(t, w->c, w->rt, w->rt->kind == STORE_USER ?
	    "scim.user.provisioned" : "scim.group.created", w->res, NULL, err);
	if (rc == SCIM_OK && mc.added > 0) {
		mc.removed = 0;
		rc = crud_audit_update(t, w->c, w->rt, w->res, w->res, &mc,
		    err);
	}
	if (rc == SCIM_OK)
		rc = put_record(t, w->rt, w->c->auth.tenant, w->res, NULL,
		    &w->text, err);
out:
	members_ctx_free(&mc);
	return rc;
}

/* Normalise the request body; groups' members come out separately. */
static enum scim_err
read_resource(struct scim_call *c, const struct resource_type *rt, cJSON **res,
    cJSON **members, struct scim_error *err)
{
	cJSON		*body = NULL;
	enum scim_err	 rc;

	*res = *members = NULL;
	if ((rc = http_body_json(&c->req, &body, err)) != SCIM_OK)
		return rc;
	rc = resource_normalize_take(rt, body, NULL, res, err);
	if (rc == SCIM_OK && rt->kind == STORE_GROUP)
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
	w.rt = crud_rt_of(c);
	if ((rc = read_resource(c, w.rt, &in, &members, err)) != SCIM_OK)
		goto out;
	/*
	 * The transaction writes the normalised input, in its stored form
	 * (resource_stored()), itself: set_meta()
	 * replaces its id and meta on every run, and nothing else in it
	 * changes, so a rerun after a conflict needs no fresh copy.
	 */
	w.res = resource_stored(w.rt, in);
	in = NULL;
	if (w.res == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	w.members = members;
	if (!call_sel(c, w.rt, &w.sel)) {
		rc = scim_oom(err);
		goto out;
	}
	/* A new user has no groups yet: no need to look. */
	w.backref = wants_backref(w.rt, &w.sel) &&
	    (status != 201 || w.rt->kind == STORE_GROUP);
	util_uuid(w.id);
	if ((rc = held_run(c, fn, &w, &w.held, err)) != SCIM_OK)
		goto out;
	write_backref(&w);
	rc = respond(c, w.rt, &w.sel, w.res, &w.text, status, err);
	w.res = NULL;
out:
	attrsel_free(&w.sel);
	free(w.text);
	cJSON_Delete(in);
	cJSON_Delete(members);
	cJSON_Delete(w.res);
	return rc;
}

/*
 * The stored resource a PUT or PATCH changes, in *old (the caller's),
 * checked against If-Match; a missing one is a 404 worded for the client.
 */
static enum scim_err
read_current(struct store_txn *t, struct write_ctx *w, cJSON **old,
    struct scim_error *err)
{
	enum scim_err	 rc;

	rc = store_get(t, w->rt->kind, w->c->auth.tenant, w->c->id, old, err);
	if (rc == SCIM_E_NOT_FOUND)
		return scim_fail(err, SCIM_E_NOT_FOUND, "%s %.200s not found",
		    w->rt->name, w->c->id);
	if (rc != SCIM_OK)
		return rc;
	return check_if_match(w->c, *old, err);
}

static enum scim_err
replace_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct write_ctx	*w = arg;
	struct members_ctx	 mc = { t, w->c->auth.tenant, w->c->id, 0, 0,
				    NULL, NULL };
	cJSON			*old = NULL;
	enum scim_err		 rc;

	free(w->text);
	w->text = NULL;
	if (!members_ctx_lists(&mc)) {
		members_ctx_free(&mc);
		return scim_oom(err);
	}
	if ((rc = read_current(t, w, &old, err)) != SCIM_OK ||
	    (rc = crud_held_check(t, w, old, w->res, NULL, err)) != SCIM_OK)
		goto out;
	if (!set_meta(w->res, w->c->id, w->rt, old)) {
		rc = scim_oom(err);
		goto out;
	}
	if (w->rt->kind == STORE_GROUP) {
		/* PUT replaces the member list with the one sent. */
		if ((rc = members_clear(&mc, err)) != SCIM_OK ||
		    (rc = members_add(&mc, w->members, err)) != SCIM_OK)
			goto out;
	}
	if ((rc = crud_audit_update(t, w->c, w->rt, old, w->res,
	    w->rt->kind == STORE_GROUP ? &mc : NULL, err)) != SCIM_OK)
		goto out;
	/* Last: a rename moves the numbered name index (see create_fn). */
	rc = put_record(t, w->rt, w->c->auth.tenant, w->res, old, &w->text,
	    err);
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
bool
crud_same_content(const cJSON *a, const cJSON *b)
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
	free(w->text);
	w->text = NULL;
	w->changed = false;
	if (!members_ctx_lists(&mc)) {
		members_ctx_free(&mc);
		return scim_oom(err);
	}
	if ((rc = read_current(t, w, &old, err)) != SCIM_OK)
		goto out;
	if ((work = cJSON_Duplicate(old, true)) == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	rc = patch_apply(w->rt, work, w->in,
	    w->rt->kind == STORE_GROUP ? &hook : NULL, err);
	if (rc != SCIM_OK)
		goto out;
	rc = resource_normalize_take(w->rt, work, old, &norm, err);
	work = NULL;			/* consumed */
	if (rc != SCIM_OK)
		goto out;
	if ((norm = resource_stored(w->rt, norm)) == NULL ||
	    !set_meta(norm, w->c->id, w->rt, old)) {
		rc = scim_oom(err);
		goto out;
	}
	if ((rc = crud_held_check(t, w, old, norm, &mc, err)) != SCIM_OK)
		goto out;
	if (mc.added + mc.removed > 0 || !crud_same_content(norm, old)) {
		/* The record last (see create_fn). */
		if ((rc = crud_audit_update(t, w->c, w->rt, old, norm, &mc,
		    err)) != SCIM_OK ||
		    (rc = put_record(t, w->rt, w->c->auth.tenant, norm,
		    old, &w->text, err)) != SCIM_OK)
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
	w.rt = crud_rt_of(c);
	if ((rc = http_body_json(&c->req, &body, err)) != SCIM_OK)
		return rc;
	w.in = body;
	/* Users answer 200 with the resource; groups 204 unless asked. */
	show = w.rt->kind == STORE_USER ||
	    http_param(&c->req, "attributes") != NULL ||
	    http_param(&c->req, "excludedAttributes") != NULL;
	if (!call_sel(c, w.rt, &w.sel)) {
		rc = scim_oom(err);
		goto out;
	}
	w.backref = show && wants_backref(w.rt, &w.sel);
	if ((rc = held_run(c, patch_fn, &w, &w.held, err)) != SCIM_OK)
		goto out;
	write_backref(&w);
	if (show) {
		rc = respond(c, w.rt, &w.sel, w.res, &w.text, 200, err);
		w.res = NULL;
	} else {
		c->resp.status = 204;
		c->resp.etag = strdup(cJSON_GetObjectItem(cJSON_GetObjectItem(
		    w.res, "meta"), "version")->valuestring);
	}
out:
	attrsel_free(&w.sel);
	free(w.text);
	cJSON_Delete(body);
	cJSON_Delete(w.res);
	return rc;
}

static enum scim_err
delete_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct write_ctx	*w = arg;
	struct store_keys	 keys;
	cJSON			*old = NULL;
	enum scim_err		 rc;

	rc = store_get(t, w->rt->kind, w->c->auth.tenant, w->c->id, &old, err);
	if (rc == SCIM_OK)
		rc = check_if_match(w->c, old, err);
	if (rc == SCIM_OK)
		rc = crud_held_check(t, w, old, NULL, NULL, err);
	if (rc == SCIM_OK && w->rt->kind == STORE_USER)
		rc = managed_del(t, w->c->auth.tenant, w->c->id, err);
	if (rc == SCIM_OK)
		rc = crud_audit_record(t, w->c, w->rt,
		    w->rt->kind == STORE_USER ? "scim.user.deleted" :
		    "scim.group.deleted", old, NULL, err);
	if (rc == SCIM_OK)
		rc = unique_update(t, w->rt, w->c->auth.tenant, w->c->id, old,
		    NULL, err);
	/* The record and its indexes last (see create_fn). */
	if (rc == SCIM_OK) {
		crud_store_keys(w->rt, old, &keys);
		keys.id = w->c->id;	/* the record read is the one keyed */
		rc = store_del(t, w->rt->kind, w->c->auth.tenant, &keys, err);
	}
	if (rc == SCIM_E_NOT_FOUND)
		rc = scim_fail(err, SCIM_E_NOT_FOUND, "%s %.200s not found",
		    w->rt->name, w->c->id);
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
	w.rt = crud_rt_of(c);
	if ((rc = held_run(c, delete_fn, &w, &w.held, err)) == SCIM_OK)
		c->resp.status = 204;
	return rc;
}

/* --- for writers outside a request (crud-direct.c) --- */

bool
crud_meta_set(cJSON *res, const char *id, const struct resource_type *rt,
    const cJSON *old)
{
	return set_meta(res, id, rt, old);
}

enum scim_err
crud_record_put(struct store_txn *t, const struct resource_type *rt,
    const char *tenant, const cJSON *res, const cJSON *old,
    struct scim_error *err)
{
	return put_record(t, rt, tenant, res, old, NULL, err);
}
