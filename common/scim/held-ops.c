/*
 * Held deprovisioning (held.h), the owners' half: the list of held
 * operations, their approval (each replayed through the handler that
 * held it, in the order they were held) and their rejection, with the
 * events; and the mail that tells the owners the brake engaged.
 *
 * An approval is three steps, not one transaction: the record is marked
 * approved (so the replay's own decision lets it through uncounted), the
 * request is replayed through crud.h in its own transaction as it would
 * have been, and the record is removed with the held.approved event.  A
 * process that dies between them leaves an approved record, which a
 * second approval replays again: the operations are idempotent (a DELETE
 * already done is a 404, a PATCH already applied changes nothing).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "audit/audit.h"
#include "auth/admin.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "scim/crud.h"
#include "scim/held.h"
#include "scim/held-int.h"

/* --- events --- */

/* The fields of a record an event or a list shows (not body, match). */
static const char *const held_shown[] = {
	"id", "state", "op", "method", "path", "user", "group", "members",
	"count", "since", "token", "reason", "by", "until"
};

cJSON *
held_event_details(const cJSON *rec)
{
	const cJSON	*v;
	cJSON		*d;
	size_t		 i;

	if ((d = cJSON_CreateObject()) == NULL)
		return NULL;
	for (i = 0; i < sizeof(held_shown) / sizeof(held_shown[0]); i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(rec,
		    held_shown[i])) != NULL &&
		    !cJSON_AddItemToObject(d, held_shown[i],
		    cJSON_Duplicate(v, true))) {
			cJSON_Delete(d);
			return NULL;
		}
	return d;
}

void
held_event_target(const cJSON *rec, struct audit_event *ev)
{
	const cJSON	*u = cJSON_GetObjectItemCaseSensitive(rec, "user");
	const cJSON	*g = cJSON_GetObjectItemCaseSensitive(rec, "group");

	if (g != NULL) {
		ev->target_id = json_str_or_null(g, "id");
		ev->target_name = json_str_or_null(g, "displayName");
	} else {
		ev->target_id = json_str_or_null(u, "id");
		ev->target_name = json_str_or_null(u, "userName");
	}
}

/* Record event type about rec by actor, with extra in its details. */
static enum scim_err
held_audit(struct store_txn *t, const struct held_decision *d,
    const char *type, const cJSON *rec, const cJSON *extra,
    struct scim_error *err)
{
	struct audit_event	 ev;
	const cJSON		*e;
	cJSON			*det;
	enum scim_err		 rc;

	if ((det = held_event_details(rec)) == NULL)
		return scim_oom(err);
	cJSON_ArrayForEach(e, extra)
		cJSON_AddItemToObject(det, e->string, cJSON_Duplicate(e, true));
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tenant = d->tenant;
	ev.actor = d->actor;
	held_event_target(rec, &ev);
	ev.details = det;
	rc = audit_record(t, &d->ctx->cfg, &ev, err);
	cJSON_Delete(det);
	return rc;
}

/* --- the list --- */

struct list_ctx {
	const char	*tenant;
	bool		 undecided;	/* held or approved only (to approve
					   or reject), not rejected */
	bool		 held_only;	/* not approved either (to reject) */
	int64_t		 now;
	cJSON		*out;
	bool		 oom;
};

static bool
list_each(void *arg, const char *key, cJSON *rec, bool *keep)
{
	struct list_ctx	*l = arg;
	const char	*state = json_str(rec, "state");
	cJSON		*o;

	(void)keep;
	if (strncmp(key, HELD_PREFIX_OP, strlen(HELD_PREFIX_OP)) != 0)
		return false;		/* past the op/ keys */
	/* Approved is shown too: an approval that died before its end. */
	if (strcmp(state, "rejected") == 0 ? l->undecided ||
	    json_int(rec, "untilUsec") <= l->now :
	    l->held_only && strcmp(state, "held") != 0)
		return true;
	if ((o = held_event_details(rec)) == NULL) {
		l->oom = true;
		return false;
	}
	cJSON_AddItemToArray(l->out, o);
	return true;
}

static enum scim_err
list_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct list_ctx	*l = arg;
	enum scim_err	 rc;

	cJSON_Delete(l->out);
	l->oom = false;
	if ((l->out = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	rc = store_kv_scan(t, l->tenant, HELD_SPACE, HELD_PREFIX_OP, false,
	    list_each, l, err);
	if (rc == SCIM_OK && l->oom)
		rc = scim_oom(err);
	return rc;
}

enum scim_err
held_list(struct store *s, const char *tenant, cJSON **out,
    struct scim_error *err)
{
	struct list_ctx	 l = { tenant, false, false, util_now_usec(), NULL,
			    false };
	enum scim_err	 rc;

	rc = store_read(s, list_fn, &l, err);
	if (rc != SCIM_OK) {
		cJSON_Delete(l.out);
		l.out = NULL;
	}
	*out = l.out;
	return rc;
}

/*
 * The ids to decide: d->id, or every held one, oldest first, and to
 * approve, those whose approval did not end.
 */
static enum scim_err
held_targets(const struct held_decision *d, bool approve, cJSON **ids,
    struct scim_error *err)
{
	struct list_ctx	 l = { d->tenant, true, !approve, 0, NULL, false };
	cJSON		*e;
	enum scim_err	 rc;

	*ids = NULL;
	if (d->id != NULL) {
		if ((*ids = cJSON_CreateArray()) == NULL ||
		    !cJSON_AddItemToArray(*ids, cJSON_CreateString(d->id)))
			return scim_oom(err);
		return SCIM_OK;
	}
	if ((rc = store_read(d->ctx->store, list_fn, &l, err)) != SCIM_OK) {
		cJSON_Delete(l.out);
		return rc;
	}
	if ((*ids = cJSON_CreateArray()) == NULL) {
		cJSON_Delete(l.out);
		return scim_oom(err);
	}
	cJSON_ArrayForEach(e, l.out)
		cJSON_AddItemToArray(*ids, cJSON_CreateString(json_str(e,
		    "id")));
	cJSON_Delete(l.out);
	return SCIM_OK;
}

/* --- one decision on one record --- */

struct decide_ctx {
	const struct held_decision	*d;
	const char			*id;
	const char			*to;	/* "approved", "rejected" */
	cJSON				*rec;	/* out: the record, before */
	const cJSON			*extra;	/* approve: the replay */
	bool				 done;	/* remove it (approved) */
};

/* Read record id in *rec: SCIM_E_NOT_FOUND worded for the owner. */
static enum scim_err
held_read(struct store_txn *t, const char *tenant, const char *id,
    cJSON **rec, struct scim_error *err)
{
	char		 key[HELD_KEY_MAX];
	enum scim_err	 rc;

	if (strlen(id) != HELD_ID_LEN)
		return scim_fail(err, SCIM_E_NOT_FOUND, "no held operation "
		    "%.64s", id);
	held_key(key, sizeof(key), HELD_PREFIX_OP, id);
	rc = store_kv_get(t, tenant, HELD_SPACE, key, rec, err);
	if (rc == SCIM_E_NOT_FOUND)
		return scim_fail(err, SCIM_E_NOT_FOUND, "no held operation "
		    "%s", id);
	return rc;
}

/*
 * Mark the record approved or rejected (it must be held, or approved
 * already for an approval run again), or, with done, remove the approved
 * one with its event.
 */
static enum scim_err
decide_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct decide_ctx		*x = arg;
	const struct held_decision	*d = x->d;
	struct held_window		 w;
	char				 key[HELD_KEY_MAX], until[UTIL_TIME_LEN + 1];
	int64_t				 now = util_now_usec(), end;
	const char			*state;
	cJSON				*r;
	enum scim_err			 rc;

	cJSON_Delete(x->rec);
	x->rec = NULL;
	if ((rc = held_read(t, d->tenant, x->id, &x->rec, err)) != SCIM_OK)
		return rc;
	state = json_str(x->rec, "state");
	if (x->done) {
		if ((rc = held_forget(t, d->tenant, x->rec, err)) != SCIM_OK)
			return rc;
		return held_audit(t, d, "held.approved", x->rec, x->extra,
		    err);
	}
	if (strcmp(state, "held") != 0 && !(strcmp(x->to, "approved") == 0 &&
	    strcmp(state, "approved") == 0))
		return scim_fail(err, SCIM_E_NOT_FOUND, "operation %s is not "
		    "held (it is %s)", x->id, state);
	if ((r = cJSON_Duplicate(x->rec, true)) == NULL)
		return scim_oom(err);
	cJSON_ReplaceItemInObject(r, "state", cJSON_CreateString(x->to));
	if (strcmp(x->to, "rejected") == 0) {
		/* Refused until the running window ends (or one from now). */
		if ((rc = held_window_read(t, d->tenant, &w, err)) != SCIM_OK) {
			cJSON_Delete(r);
			return rc;
		}
		end = w.start + held_window_len(&d->ctx->cfg);
		if (end <= now)
			end = now + held_window_len(&d->ctx->cfg);
		util_time_format(end, until, sizeof(until));
		cJSON_AddStringToObject(r, "reason", d->reason ? d->reason :
		    "");
		cJSON_AddStringToObject(r, "by", d->actor);
		cJSON_AddStringToObject(r, "until", until);
		cJSON_AddNumberToObject(r, "untilUsec", (double)end);
	}
	held_key(key, sizeof(key), HELD_PREFIX_OP, x->id);
	rc = store_kv_put(t, d->tenant, HELD_SPACE, key, r, err);
	if (rc == SCIM_OK && strcmp(x->to, "rejected") == 0)
		rc = held_audit(t, d, "held.rejected", r, NULL, err);
	cJSON_Delete(r);
	return rc;
}

/* --- the replay --- */

/*
 * Run the request of record rec again through its handler, as its token
 * would: the status it answered (or its error's) in *status and what
 * went wrong in err.
 */
static void
held_replay(struct scim_ctx *ctx, const char *tenant, const cJSON *rec,
    int *status, struct scim_error *err)
{
	struct scim_call	 c;
	const char		*method = json_str(rec, "method");
	route_fn		 fn;
	enum scim_err		 rc;

	memset(&c, 0, sizeof(c));
	memset(err, 0, sizeof(*err));
	c.ctx = ctx;
	c.req.method = method;
	c.req.path = (char *)json_str(rec, "path");
	c.req.body = (char *)json_str_or_null(rec, "body");
	c.req.body_len = c.req.body ? strlen(c.req.body) : 0;
	c.req.content_type = "application/scim+json";
	c.req.if_match = json_str_or_null(rec, "ifMatch");
	c.resource = strcmp(json_str(rec, "resource"), "Groups") == 0 ?
	    "Groups" : "Users";
	c.id = (char *)json_str(rec, "rid");
	c.base_url = (char *)json_str(rec, "baseUrl");
	snprintf(c.auth.tenant, sizeof(c.auth.tenant), "%s", tenant);
	snprintf(c.auth.token_id, sizeof(c.auth.token_id), "%s",
	    json_str(rec, "token"));
	fn = strcmp(method, "DELETE") == 0 ? crud_delete :
	    strcmp(method, "PUT") == 0 ? crud_replace : crud_patch;
	if ((rc = fn(&c, err)) == SCIM_OK) {
		*status = c.resp.status ? c.resp.status : 200;
		snprintf(err->detail, sizeof(err->detail), "applied");
	} else
		*status = scim_err_status(rc);
	http_resp_free(&c.resp);
}

/* Approve one held operation: mark, replay, remove with its event. */
static enum scim_err
held_approve1(const struct held_decision *d, const char *id, cJSON *out,
    struct scim_error *err)
{
	struct decide_ctx	 x = { d, id, "approved", NULL, NULL, false };
	struct scim_error	 rerr;
	cJSON			*res = NULL;
	int			 status;
	enum scim_err		 rc;

	if ((rc = store_run(d->ctx->store, decide_fn, &x, err)) != SCIM_OK)
		goto out;
	held_replay(d->ctx, d->tenant, x.rec, &status, &rerr);
	if ((res = cJSON_CreateObject()) == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	cJSON_AddStringToObject(res, "id", id);
	cJSON_AddNumberToObject(res, "status", status);
	cJSON_AddStringToObject(res, "detail", rerr.detail);
	x.extra = res;
	x.done = true;
	if ((rc = store_run(d->ctx->store, decide_fn, &x, err)) == SCIM_OK &&
	    out != NULL) {
		cJSON_AddItemToArray(out, res);
		res = NULL;
	}
out:
	cJSON_Delete(res);
	cJSON_Delete(x.rec);
	return rc;
}

enum scim_err
held_approve(const struct held_decision *d, cJSON **out,
    struct scim_error *err)
{
	cJSON		*ids = NULL, *e, *res = NULL;
	enum scim_err	 rc;

	if (out != NULL)
		*out = NULL;
	if ((res = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	if ((rc = held_targets(d, true, &ids, err)) != SCIM_OK)
		goto out;
	cJSON_ArrayForEach(e, ids)
		if ((rc = held_approve1(d, e->valuestring, res, err)) !=
		    SCIM_OK)
			break;
out:
	cJSON_Delete(ids);
	if (out != NULL)
		*out = res;
	else
		cJSON_Delete(res);
	return rc;
}

/* At most HELD_REASON_MAX bytes, no control characters. */
static bool
held_reason_valid(const char *r)
{
	size_t	 i;

	for (i = 0; r[i] != '\0'; i++)
		if ((unsigned char)r[i] < 0x20 || r[i] == 0x7f)
			return false;
	return i <= HELD_REASON_MAX;
}

enum scim_err
held_reject(const struct held_decision *d, unsigned *n,
    struct scim_error *err)
{
	struct decide_ctx	 x = { d, NULL, "rejected", NULL, NULL, false };
	cJSON			*ids = NULL, *e;
	enum scim_err		 rc;

	if (n != NULL)
		*n = 0;
	if (d->reason != NULL && !held_reason_valid(d->reason))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "a reason is at "
		    "most %d bytes on one line", HELD_REASON_MAX);
	if ((rc = held_targets(d, false, &ids, err)) != SCIM_OK)
		return rc;
	cJSON_ArrayForEach(e, ids) {
		x.id = e->valuestring;
		if ((rc = store_run(d->ctx->store, decide_fn, &x, err)) !=
		    SCIM_OK)
			break;
		if (n != NULL)
			(*n)++;
	}
	cJSON_Delete(x.rec);
	cJSON_Delete(ids);
	return rc;
}

/* --- the owners' mail --- */

static enum scim_err
owners_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct list_ctx	*l = arg;

	cJSON_Delete(l->out);
	l->out = NULL;
	return admin_owner_emails(t, l->tenant, &l->out, err);
}

/* The message (headers and body) to owners about rec, to f. */
static void
held_mail_write(FILE *f, const struct scim_config *cfg, const char *tenant,
    const cJSON *owners, const cJSON *rec)
{
	const cJSON	*o;
	const cJSON	*u = cJSON_GetObjectItemCaseSensitive(rec, "user");

	if (cfg->mail_from[0] != '\0')
		fprintf(f, "From: %s\n", cfg->mail_from);
	fprintf(f, "To: ");
	cJSON_ArrayForEach(o, owners)
		fprintf(f, "%s%s", o == owners->child ? "" : ", ",
		    o->valuestring);
	fprintf(f, "\nSubject: [scim-fcgi] Deprovisioning held for tenant "
	    "%s\nContent-Type: text/plain; charset=utf-8\n\n", tenant);
	fprintf(f, "More than %u deprovisions within %u minutes came for "
	    "tenant %s.\nThe rest are held, not applied, until an owner "
	    "approves or rejects\nthem; the first held: %s of %s (%s).\n\n"
	    "The identity provider retries them, so nothing is lost.  If this "
	    "is\na mistake (a scoping filter, say), reject them:\n\n"
	    "    scimctl held list --tenant %s\n"
	    "    scimctl held reject --all --tenant %s\n\n"
	    "If they are intended, approve them:\n\n"
	    "    scimctl held approve --all --tenant %s\n",
	    cfg->held_max, cfg->held_window_minutes, tenant,
	    json_str(rec, "op"), json_str(u, "userName"), json_str(u, "id"),
	    tenant, tenant, tenant);
}

void
held_mail(struct scim_ctx *ctx, const char *tenant, const cJSON *rec)
{
	struct list_ctx		 l = { tenant, false, false, 0, NULL, false };
	struct scim_error	 err;
	struct sigaction	 ign, old;
	FILE			*f;
	int			 st;

	if (ctx->cfg.sendmail[0] == '\0')
		return;
	if (store_read(ctx->store, owners_fn, &l, &err) != SCIM_OK) {
		log_warn("held: the owners of %s could not be read for the "
		    "mail: %s", tenant, err.detail);
		goto out;
	}
	if (cJSON_GetArraySize(l.out) == 0)
		goto out;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	if ((f = popen(ctx->cfg.sendmail, "w")) == NULL) {
		log_warn("held: %s: %s", ctx->cfg.sendmail, strerror(errno));
		goto out;
	}
	sigaction(SIGPIPE, &ign, &old);	/* a mailer that exits early */
	held_mail_write(f, &ctx->cfg, tenant, l.out, rec);
	fflush(f);
	st = pclose(f);
	sigaction(SIGPIPE, &old, NULL);
	if (st != 0)
		log_warn("held: %s failed (status %d): the owners of %s were "
		    "not told", ctx->cfg.sendmail, st, tenant);
out:
	cJSON_Delete(l.out);
}
