/*
 * Held deprovisioning (held.h), the half that runs with a request: the
 * window and its count, the decision inside the handler's transaction,
 * the held record written after that transaction aborted, the 503 that
 * answers it, and the owners' mail when the brake engages.  The owners'
 * half (list, approve and replay, reject) is in held-ops.c.
 *
 * Why here, beside the handlers, and not in a module of its own: it
 * decides inside their transactions and replays through them, so a
 * module above or below them would depend on them both ways.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/sha2.h>

#include "audit/audit.h"
#include "auth/admin.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "roles/roles.h"
#include "scim/held.h"
#include "scim/held-int.h"

#define USEC_PER_MIN	(60 * (int64_t)1000000)

/* --- the rules --- */

bool
held_window_roll(struct held_window *w, int64_t now, int64_t len)
{
	if (w->start != 0 && now >= w->start && now < w->start + len)
		return false;
	w->start = now;
	w->count = 0;
	w->engaged = false;
	return true;
}

bool
held_window_fits(const struct held_window *w, unsigned n, unsigned max)
{
	return max == 0 || (uint64_t)w->count + n <= max;
}

unsigned
held_retry_after(const struct held_window *w, int64_t now, int64_t len)
{
	int64_t	 left = (w->start + len - now + 999999) / 1000000;

	if (left < HELD_RETRY_MIN)
		return HELD_RETRY_MIN;
	return left > HELD_RETRY_MAX ? HELD_RETRY_MAX : (unsigned)left;
}

/* A user without "active" is active (RFC 7643 leaves it to the server). */
bool
held_deactivates(const cJSON *old, const cJSON *res)
{
	return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(res, "active")) &&
	    !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(old, "active"));
}

void
held_match(const char *method, const char *path, const char *body,
    size_t len, char out[HELD_MATCH_LEN + 1])
{
	struct sha256_ctx	 sh;
	uint8_t			 d[SHA256_DIGEST_SIZE];

	sha256_init(&sh);
	/* Each part with its NUL, so that no two splits hash alike. */
	sha256_update(&sh, strlen(method) + 1, (const uint8_t *)method);
	sha256_update(&sh, strlen(path) + 1, (const uint8_t *)path);
	if (body != NULL)
		sha256_update(&sh, len, (const uint8_t *)body);
	sha256_digest(&sh, sizeof(d), d);
	util_hex(d, HELD_MATCH_LEN / 2, out);
	out[HELD_MATCH_LEN] = '\0';
}

int64_t
held_window_len(const struct scim_config *cfg)
{
	return (int64_t)cfg->held_window_minutes * USEC_PER_MIN;
}

/* --- the records --- */

/*
 * The path a request is matched and replayed by: /Users/{id} or
 * /Groups/{id}, whatever the service's base, so that an operation of a
 * /Bulk request (which has no path of its own) and its retry as a plain
 * request are the same operation.
 */
static void
held_call_path(const struct scim_call *c, char *buf, size_t sz)
{
	snprintf(buf, sz, "/%s/%s", c->resource, c->id ? c->id : "");
}

enum scim_err
held_window_read(struct store_txn *t, const char *tenant,
    struct held_window *w, struct scim_error *err)
{
	cJSON		*o = NULL;
	enum scim_err	 rc;

	memset(w, 0, sizeof(*w));
	rc = store_kv_get(t, tenant, HELD_SPACE, HELD_KEY_WINDOW, &o, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (rc != SCIM_OK)
		return rc;
	w->start = json_int(o, "start");
	w->count = (unsigned)json_int(o, "count");
	w->engaged = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
	    "engaged"));
	cJSON_Delete(o);
	return SCIM_OK;
}

enum scim_err
held_window_write(struct store_txn *t, const char *tenant,
    const struct held_window *w, struct scim_error *err)
{
	cJSON		*o;
	enum scim_err	 rc;

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "start", (double)w->start) == NULL ||
	    cJSON_AddNumberToObject(o, "count", w->count) == NULL ||
	    cJSON_AddBoolToObject(o, "engaged", w->engaged) == NULL) {
		cJSON_Delete(o);
		return scim_oom(err);
	}
	rc = store_kv_put(t, tenant, HELD_SPACE, HELD_KEY_WINDOW, o, err);
	cJSON_Delete(o);
	return rc;
}

/* "op/<id>", "match/<hash>": the keys of a record and its match. */
void
held_key(char *buf, size_t sz, const char *prefix, const char *name)
{
	snprintf(buf, sz, "%s%s", prefix, name);
}

/*
 * The record the request of c was held under (matched by its hash, then
 * checked: method, path and body the same) in *out, or NULL.
 */
static enum scim_err
held_find(struct store_txn *t, const struct scim_call *c, const char *match,
    cJSON **out, struct scim_error *err)
{
	char		 key[HELD_KEY_MAX];
	cJSON		*m = NULL, *rec = NULL;
	const char	*body;
	char		 path[STORE_ID_MAX + 16];
	enum scim_err	 rc;

	*out = NULL;
	held_call_path(c, path, sizeof(path));
	held_key(key, sizeof(key), HELD_PREFIX_MATCH, match);
	rc = store_kv_get(t, c->auth.tenant, HELD_SPACE, key, &m, err);
	if (rc == SCIM_OK) {
		held_key(key, sizeof(key), HELD_PREFIX_OP, json_str(m, "id"));
		rc = store_kv_get(t, c->auth.tenant, HELD_SPACE, key, &rec,
		    err);
	}
	cJSON_Delete(m);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (rc != SCIM_OK)
		return rc;
	/* No body and an empty one are the same (as they hash): a DELETE of
	   a /Bulk request has none, its retry as a plain request "". */
	body = json_str(rec, "body");
	if (strcmp(json_str(rec, "method"), c->req.method) == 0 &&
	    strcmp(json_str(rec, "path"), path) == 0 &&
	    strcmp(body, c->req.body != NULL ? c->req.body : "") == 0)
		*out = rec;
	else
		cJSON_Delete(rec);	/* another request, same hash */
	return SCIM_OK;
}

/* Remove record rec (its op/ and match/ keys). */
enum scim_err
held_forget(struct store_txn *t, const char *tenant, const cJSON *rec,
    struct scim_error *err)
{
	char		 key[HELD_KEY_MAX];
	enum scim_err	 rc;

	held_key(key, sizeof(key), HELD_PREFIX_OP, json_str(rec, "id"));
	rc = store_kv_del(t, tenant, HELD_SPACE, key, err);
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	held_key(key, sizeof(key), HELD_PREFIX_MATCH, json_str(rec, "match"));
	rc = store_kv_del(t, tenant, HELD_SPACE, key, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/* The held record for op of c (a new object), or NULL when short. */
static cJSON *
held_record(const struct scim_call *c, const struct held_op *op,
    const char *match, int64_t now)
{
	char		 id[HELD_ID_LEN + 1], since[UTIL_TIME_LEN + 1];
	char		 path[STORE_ID_MAX + 16];
	unsigned char	 rnd[2];
	cJSON		*r, *u;

	if (!util_random(rnd, sizeof(rnd)))
		rnd[0] = rnd[1] = 0;
	snprintf(id, sizeof(id), "%016llx%02x%02x", (unsigned long long)now,
	    rnd[0], rnd[1]);
	util_time_format(now, since, sizeof(since));
	held_call_path(c, path, sizeof(path));
	if ((r = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(r, "id", id);
	cJSON_AddStringToObject(r, "state", "held");
	cJSON_AddStringToObject(r, "op", op->kind);
	cJSON_AddStringToObject(r, "method", c->req.method);
	cJSON_AddStringToObject(r, "path", path);
	cJSON_AddStringToObject(r, "resource", c->resource);
	cJSON_AddStringToObject(r, "rid", c->id);
	if (c->req.body != NULL)
		cJSON_AddStringToObject(r, "body", c->req.body);
	if (c->req.if_match != NULL)
		cJSON_AddStringToObject(r, "ifMatch", c->req.if_match);
	cJSON_AddStringToObject(r, "baseUrl", c->base_url ? c->base_url : "");
	cJSON_AddStringToObject(r, "token", c->auth.token_id);
	cJSON_AddStringToObject(r, "match", match);
	if ((u = cJSON_AddObjectToObject(r, "user")) != NULL) {
		cJSON_AddStringToObject(u, "id", op->user_id ? op->user_id :
		    "");
		cJSON_AddStringToObject(u, "userName", op->user_name ?
		    op->user_name : "");
	}
	if (op->group_id != NULL &&
	    (u = cJSON_AddObjectToObject(r, "group")) != NULL) {
		cJSON_AddStringToObject(u, "id", op->group_id);
		cJSON_AddStringToObject(u, "displayName", op->group_name ?
		    op->group_name : "");
	}
	if (op->members != NULL)
		cJSON_AddItemToObject(r, "members",
		    cJSON_Duplicate(op->members, true));
	cJSON_AddNumberToObject(r, "count", op->count);
	cJSON_AddStringToObject(r, "since", since);
	if (cJSON_AddNumberToObject(r, "sinceUsec", (double)now) == NULL) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/* --- in a handler's transaction --- */

void
held_note_free(struct held_note *n)
{
	cJSON_Delete(n->op);
	memset(n, 0, sizeof(*n));
}

/*
 * The 503's detail for held operation id, saying when to retry: the
 * Retry-After header says it too, but an operation of a /Bulk request
 * has no header of its own, only this detail (RFC 7644 section 3.7.3).
 */
static enum scim_err
held_fail_held(struct scim_error *err, const struct scim_config *cfg,
    const char *id, unsigned retry_after)
{
	return scim_fail(err, SCIM_E_UNAVAILABLE, "this deprovision is held: "
	    "more than %u deprovisions within %u minutes; it waits for an "
	    "owner's approval (held operation %s); retry after %u seconds",
	    cfg->held_max, cfg->held_window_minutes, id, retry_after);
}

/*
 * A retry of a request held before (rec): applied uncounted when
 * approved, 503 again while held, 409 while rejected; *go_on when the
 * rejection's time is up (the record is removed and the request decided
 * as new).
 */
static enum scim_err
held_retry(struct store_txn *t, const struct scim_call *c, const cJSON *rec,
    struct held_note *n, bool *go_on, struct scim_error *err)
{
	const struct scim_config	*cfg = &c->ctx->cfg;
	const char			*state = json_str(rec, "state");
	struct held_window		 w;
	int64_t				 now = util_now_usec();
	char				 until[UTIL_TIME_LEN + 1];
	enum scim_err			 rc;

	*go_on = false;
	if (strcmp(state, "approved") == 0)
		return SCIM_OK;
	if (strcmp(state, "held") == 0) {
		if ((rc = held_window_read(t, c->auth.tenant, &w, err)) !=
		    SCIM_OK)
			return rc;
		n->again = true;
		n->retry_after = held_retry_after(&w, now,
		    held_window_len(cfg));
		return held_fail_held(err, cfg, json_str(rec, "id"),
		    n->retry_after);
	}
	if (now < json_int(rec, "untilUsec")) {
		util_time_format(json_int(rec, "untilUsec"), until,
		    sizeof(until));
		return scim_fail(err, SCIM_E_CONFLICT, "this deprovision was "
		    "rejected by %s (held operation %s): %s; it is refused "
		    "until %s", json_str(rec, "by"), json_str(rec, "id"),
		    json_str(rec, "reason")[0] ? json_str(rec, "reason") :
		    "no reason given", until);
	}
	*go_on = true;
	return held_forget(t, c->auth.tenant, rec, err);
}

enum scim_err
held_decide(struct store_txn *t, const struct scim_call *c,
    const struct held_op *op, struct held_note *n, struct scim_error *err)
{
	const struct scim_config	*cfg = &c->ctx->cfg;
	struct held_window		 w;
	int64_t				 now = util_now_usec();
	char				 match[HELD_MATCH_LEN + 1];
	char				 path[STORE_ID_MAX + 16];
	cJSON				*rec = NULL;
	enum scim_err			 rc;
	bool				 go_on;

	held_note_free(n);
	if (cfg->held_max == 0 || op->count == 0)
		return SCIM_OK;
	held_call_path(c, path, sizeof(path));
	held_match(c->req.method, path, c->req.body, c->req.body_len, match);
	if ((rc = held_find(t, c, match, &rec, err)) != SCIM_OK)
		return rc;
	if (rec != NULL) {
		rc = held_retry(t, c, rec, n, &go_on, err);
		cJSON_Delete(rec);
		if (!go_on || rc != SCIM_OK)
			return rc;
	}
	if ((rc = held_window_read(t, c->auth.tenant, &w, err)) != SCIM_OK)
		return rc;
	held_window_roll(&w, now, held_window_len(cfg));
	if (held_window_fits(&w, op->count, cfg->held_max)) {
		w.count += op->count;
		return held_window_write(t, c->auth.tenant, &w, err);
	}
	/* Over the budget: abort, and let held_hold() write the record. */
	if ((n->op = held_record(c, op, match, now)) == NULL)
		return scim_oom(err);
	n->pending = true;
	n->retry_after = held_retry_after(&w, now, held_window_len(cfg));
	return held_fail_held(err, cfg, json_str(n->op, "id"), n->retry_after);
}

/* --- groups a role mapping names --- */

static bool
held_any(void *arg, const char *id, cJSON *obj, bool *keep)
{
	(void)id;
	(void)obj;
	(void)keep;
	*(bool *)arg = true;
	return false;
}

enum scim_err
held_group_mapped(struct store_txn *t, const char *tenant, const cJSON *grp,
    bool *yes, struct scim_error *err)
{
	struct role_map	 map;
	const char	*ext = json_str_or_null(grp, "externalId");
	const char	*name = json_str_or_null(grp, "displayName");
	bool		 used;
	size_t		 i;
	enum scim_err	 rc;

	*yes = false;
	if ((rc = roles_read(t, tenant, &map, err)) != SCIM_OK)
		return rc;
	for (i = 0; i < map.n && !*yes && rc == SCIM_OK; i++) {
		if (ext != NULL && strcmp(ext, map.v[i].group) == 0) {
			*yes = true;
			break;
		}
		if (name == NULL || strcasecmp(name, map.v[i].group) != 0)
			continue;
		/* By name only when no group has it as its externalId. */
		used = false;
		rc = store_scan_external(t, STORE_GROUP, tenant, map.v[i].group,
		    held_any, &used, err);
		*yes = rc == SCIM_OK && !used;
	}
	roles_free(&map);
	return rc;
}

/* --- after the handler's transaction: the hold --- */

struct hold_ctx {
	const struct scim_call	*c;
	struct held_note	*n;
	bool			 fits;		/* out: the window ended */
	bool			 first;		/* out: engaged the brake */
	bool			 again;		/* out: held meanwhile */
};

/* The held.engaged event of record rec. */
static enum scim_err
held_audit_engaged(struct store_txn *t, const struct scim_call *c,
    const cJSON *rec, bool first, struct scim_error *err)
{
	struct audit_event	 ev;
	char			 actor[64];
	cJSON			*d;
	enum scim_err		 rc;

	if ((d = held_event_details(rec)) == NULL)
		return scim_oom(err);
	cJSON_AddBoolToObject(d, "first", first);
	snprintf(actor, sizeof(actor), "token:%s", c->auth.token_id);
	memset(&ev, 0, sizeof(ev));
	ev.type = "held.engaged";
	ev.tenant = c->auth.tenant;
	ev.actor = actor;
	held_event_target(rec, &ev);
	ev.details = d;
	rc = audit_record(t, &c->ctx->cfg, &ev, err);
	cJSON_Delete(d);
	return rc;
}

static enum scim_err
hold_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct hold_ctx			*h = arg;
	const struct scim_call		*c = h->c;
	const struct scim_config	*cfg = &c->ctx->cfg;
	struct held_window		 w;
	char				 key[HELD_KEY_MAX];
	cJSON				*rec = NULL, *m;
	enum scim_err			 rc;

	h->fits = h->first = h->again = false;
	if ((rc = held_find(t, c, json_str(h->n->op, "match"), &rec, err)) !=
	    SCIM_OK)
		return rc;
	if (rec != NULL && strcmp(json_str(rec, "state"), "held") == 0) {
		/* Another process held the same request first. */
		cJSON_Delete(h->n->op);
		h->n->op = rec;
		h->again = true;
		return SCIM_OK;
	}
	/* A rejection whose time is up (held_retry() saw it so). */
	if (rec != NULL) {
		rc = held_forget(t, c->auth.tenant, rec, err);
		cJSON_Delete(rec);
		if (rc != SCIM_OK)
			return rc;
	}
	if ((rc = held_window_read(t, c->auth.tenant, &w, err)) != SCIM_OK)
		return rc;
	held_window_roll(&w, util_now_usec(), held_window_len(cfg));
	if (held_window_fits(&w, (unsigned)json_int(h->n->op, "count"),
	    cfg->held_max)) {
		h->fits = true;
		return SCIM_OK;
	}
	h->first = !w.engaged;
	w.engaged = true;
	held_key(key, sizeof(key), HELD_PREFIX_OP, json_str(h->n->op, "id"));
	if ((rc = store_kv_put(t, c->auth.tenant, HELD_SPACE, key, h->n->op,
	    err)) != SCIM_OK)
		return rc;
	if ((m = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(m, "id", json_str(h->n->op, "id")) ==
	    NULL) {
		cJSON_Delete(m);
		return scim_oom(err);
	}
	held_key(key, sizeof(key), HELD_PREFIX_MATCH,
	    json_str(h->n->op, "match"));
	rc = store_kv_put(t, c->auth.tenant, HELD_SPACE, key, m, err);
	cJSON_Delete(m);
	if (rc == SCIM_OK)
		rc = held_window_write(t, c->auth.tenant, &w, err);
	if (rc == SCIM_OK)
		rc = held_audit_engaged(t, c, h->n->op, h->first, err);
	return rc;
}

enum scim_err
held_again(struct scim_call *c, const struct held_note *n,
    struct scim_error *err)
{
	http_resp_header(&c->resp, "Retry-After: %u", n->retry_after);
	if (err->code != SCIM_E_UNAVAILABLE)
		held_fail_held(err, &c->ctx->cfg, json_str(n->op, "id"),
		    n->retry_after);
	return SCIM_E_UNAVAILABLE;
}

enum scim_err
held_hold(struct scim_call *c, struct held_note *n, struct scim_error *err)
{
	struct hold_ctx	 h = { c, n, false, false, false };
	enum scim_err	 rc;

	if ((rc = store_run(c->ctx->store, hold_fn, &h, err)) != SCIM_OK)
		return rc;
	if (h.fits)
		return SCIM_OK;
	if (h.first)
		held_mail(c->ctx, c->auth.tenant, n->op);
	http_resp_header(&c->resp, "Retry-After: %u", n->retry_after);
	return held_fail_held(err, &c->ctx->cfg, json_str(n->op, "id"),
	    n->retry_after);
}

struct held_run_ctx {
	store_fn		 fn;
	void			*arg;
	struct held_note	*n;
};

/* The handler's fn with the note reset first. */
static enum scim_err
held_run_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct held_run_ctx	*r = arg;

	held_note_free(r->n);
	return r->fn(t, r->arg, err);
}

enum scim_err
held_run(struct scim_call *c, store_fn fn, void *arg, struct held_note *n,
    struct scim_error *err)
{
	struct held_run_ctx	 r = { fn, arg, n };
	enum scim_err		 rc;
	int			 i;

	if (c->ctx->cfg.held_max == 0)
		return store_run(c->ctx->store, fn, arg, err);
	for (i = 0; i < 3; i++) {
		rc = store_run(c->ctx->store, held_run_fn, &r, err);
		if (rc == SCIM_OK || (!n->pending && !n->again))
			goto out;
		if (n->again) {
			rc = held_again(c, n, err);
			goto out;
		}
		if ((rc = held_hold(c, n, err)) != SCIM_OK)
			goto out;
	}
	rc = scim_fail(err, SCIM_E_UNAVAILABLE, "the deprovisioning window "
	    "kept changing while this was decided; retry");
out:
	held_note_free(n);
	return rc;
}

/* --- when a /Bulk request's held operations may be retried --- */

struct retry_now_ctx {
	const struct scim_ctx	*ctx;
	const char		*tenant;
	unsigned		*secs;
};

static enum scim_err
retry_now_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct retry_now_ctx		*r = arg;
	const struct scim_config	*cfg = &r->ctx->cfg;
	struct held_window		 w;
	int64_t				 now = util_now_usec();
	enum scim_err			 rc;

	*r->secs = 0;
	if ((rc = held_window_read(t, r->tenant, &w, err)) != SCIM_OK)
		return rc;
	if (w.engaged && !held_window_roll(&w, now, held_window_len(cfg)))
		*r->secs = held_retry_after(&w, now, held_window_len(cfg));
	return SCIM_OK;
}

enum scim_err
held_retry_now(const struct scim_ctx *ctx, const char *tenant,
    unsigned *secs, struct scim_error *err)
{
	struct retry_now_ctx	 r = { ctx, tenant, secs };

	*secs = 0;
	if (ctx->cfg.held_max == 0)
		return SCIM_OK;
	return store_read(ctx->store, retry_now_fn, &r, err);
}
