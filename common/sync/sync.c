/*
 * Manual User Sync's runs (sync.h): the preview, the sync itself (its
 * lock, batches, progress and last result, its audit events), the status
 * the page reads and the list of synced users.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "roles/access.h"
#include "roles/assign.h"
#include "sync/sync-int.h"

/* --- preview --- */

/* One batch of the preview, read in one transaction. */
struct sync_look {
	struct sync_apply_ctx	*c;
	struct sync_plan	*p;
	size_t			 from, to;
	cJSON			*out;		/* the batch's entries */
};

/* The preview's entry for u. */
static cJSON *
sync_look_entry(const struct sync_user *u, const struct sync_decision *d)
{
	cJSON	*o;
	bool	 other = d->action != SYNC_CREATE &&
		    strcmp(d->managed_by, "sync") != 0;

	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(o, "userName", u->upn) ||
	    !cJSON_AddStringToObject(o, "mail", u->mail) ||
	    !cJSON_AddStringToObject(o, "name", u->name) ||
	    !cJSON_AddItemToObject(o, "groups",
	    cJSON_Duplicate(u->sources, true)) ||
	    !cJSON_AddStringToObject(o, "role", role_name(d->new_role)) ||
	    !cJSON_AddStringToObject(o, "action",
	    sync_action_name(d->action)) ||
	    !cJSON_AddStringToObject(o, "managedBy", d->managed_by) ||
	    (other && !cJSON_AddStringToObject(o, "note",
	    strncmp(d->managed_by, "scim", 4) == 0 ? "managed by SCIM" :
	    "not managed by the sync")) ||
	    (u->error[0] && !cJSON_AddStringToObject(o, "error", u->error))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static enum scim_err
sync_look_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct sync_look	*l = arg;
	struct sync_decision	 d;
	size_t			 i;
	enum scim_err		 rc = SCIM_OK;

	cJSON_Delete(l->out);
	if ((l->out = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	for (i = l->from; i < l->to && rc == SCIM_OK; i++) {
		if ((rc = sync_apply(t, l->c, &l->p->v[i], &d, err)) ==
		    SCIM_OK && !cJSON_AddItemToArray(l->out,
		    sync_look_entry(&l->p->v[i], &d)))
			rc = scim_oom(err);
	}
	return rc;
}

enum scim_err
sync_preview(struct store *s, const struct scim_config *cfg,
    const struct sync_opts *o, cJSON **out, struct scim_error *err)
{
	struct sync_plan	 p;
	struct sync_apply_ctx	 c = { cfg, &p, o->tenant, o->actor, false };
	struct sync_look	 l = { &c, &p, 0, 0, NULL };
	struct graph		*g = NULL;
	cJSON			*e;
	enum scim_err		 rc;

	memset(&p, 0, sizeof(p));
	if ((*out = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	if ((rc = sync_graph_open(cfg, o->tenant, &g, err)) != SCIM_OK ||
	    (rc = sync_plan_read(s, g, o->tenant, o->auto_only, &p, err)) !=
	    SCIM_OK)
		goto out;
	for (l.from = 0; l.from < p.n && rc == SCIM_OK; l.from = l.to) {
		l.to = l.from + SYNC_BATCH < p.n ? l.from + SYNC_BATCH : p.n;
		if ((rc = store_read(s, sync_look_fn, &l, err)) != SCIM_OK)
			break;
		while ((e = cJSON_DetachItemFromArray(l.out, 0)) != NULL)
			cJSON_AddItemToArray(*out, e);
	}
out:
	cJSON_Delete(l.out);
	sync_plan_free(&p);
	graph_close(g);
	if (rc != SCIM_OK) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

/* --- the run --- */

/* One tenant's lock: false with err set when another sync holds it. */
static enum scim_err
sync_lock(const struct scim_config *cfg, const char *tenant, int *fd,
    struct scim_error *err)
{
	struct flock	 fl;
	char		 path[4200];

	if (!sync_lock_path(cfg, tenant, path, sizeof(path)))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "tenant too long");
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(*fd, F_SETLK, &fl) == 0)
		return SCIM_OK;
	(void)fcntl(*fd, F_GETLK, &fl);
	close(*fd);
	*fd = -1;
	return scim_fail(err, SCIM_E_CONFLICT, "a sync of tenant %s is "
	    "already running (pid %ld)", tenant, (long)fl.l_pid);
}

/* The pid of the process holding tenant's lock, 0 when none does. */
static long
sync_lock_holder(const struct scim_config *cfg, const char *tenant)
{
	struct flock	 fl;
	char		 path[4200];
	int		 fd;

	if (!sync_lock_path(cfg, tenant, path, sizeof(path)) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_RDLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == -1)
		fl.l_type = F_UNLCK;
	close(fd);
	return fl.l_type == F_UNLCK ? 0 : (long)fl.l_pid;
}

/* A run's records, written with its events. */
struct sync_run {
	struct sync_apply_ctx	 c;
	struct sync_plan	 p;
	const struct sync_opts	*o;
	struct sync_result	*res;
	int64_t			 started;	/* usec */
	size_t			 from, to;	/* the batch being written */
	size_t			 n[4];		/* the batch's actions */
	const char		*error;		/* a failure's reason */
};

/* The progress record: done of total users. */
static enum scim_err
sync_progress_put(struct store_txn *t, const struct sync_run *r, size_t done,
    struct scim_error *err)
{
	char		 ts[UTIL_TIME_LEN + 1];
	cJSON		*o;
	enum scim_err	 rc;

	util_time_format(r->started, ts, sizeof(ts));
	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(o, "state", "running") ||
	    !cJSON_AddNumberToObject(o, "pid", (double)getpid()) ||
	    !cJSON_AddNumberToObject(o, "done", (double)done) ||
	    !cJSON_AddNumberToObject(o, "total", (double)r->p.n) ||
	    !cJSON_AddStringToObject(o, "started", ts)) {
		cJSON_Delete(o);
		return scim_oom(err);
	}
	rc = store_kv_put(t, r->o->tenant, SYNC_SPACE, "progress", o, err);
	cJSON_Delete(o);
	return rc;
}

/* An event of the run itself (sync.started, .completed, .failed). */
static enum scim_err
sync_run_event(struct store_txn *t, const struct sync_run *r,
    const char *type, const cJSON *details, struct scim_error *err)
{
	struct audit_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tenant = r->o->tenant;
	ev.actor = r->o->actor;
	ev.failure = r->error != NULL;
	ev.details = details;
	return audit_record(t, r->c.cfg, &ev, err);
}

static enum scim_err
sync_start_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct sync_run	*r = arg;
	cJSON		*det;
	enum scim_err	 rc;

	if ((det = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddBoolToObject(det, "auto", r->o->auto_only) ||
	    !cJSON_AddNumberToObject(det, "pid", (double)getpid())) {
		cJSON_Delete(det);
		return scim_oom(err);
	}
	if ((rc = sync_progress_put(t, r, 0, err)) == SCIM_OK)
		rc = sync_run_event(t, r, "sync.started", det, err);
	cJSON_Delete(det);
	return rc;
}

static enum scim_err
sync_batch_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct sync_run		*r = arg;
	struct sync_decision	 d;
	size_t			 i;
	enum scim_err		 rc = SCIM_OK;

	memset(r->n, 0, sizeof(r->n));
	for (i = r->from; i < r->to && rc == SCIM_OK; i++)
		if ((rc = sync_apply(t, &r->c, &r->p.v[i], &d, err)) ==
		    SCIM_OK)
			r->n[d.action]++;
	if (rc == SCIM_OK)
		rc = sync_progress_put(t, r, r->to, err);
	return rc;
}

/* The last result as recorded, from r. */
static cJSON *
sync_result_json(const struct sync_run *r)
{
	const struct sync_result *s = r->res;
	char			 ts[UTIL_TIME_LEN + 1];
	cJSON			*o;

	util_time_format(util_now_usec(), ts, sizeof(ts));
	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(o, "outcome", r->error ? "failure" :
	    "success") ||
	    !cJSON_AddNumberToObject(o, "created", (double)s->created) ||
	    !cJSON_AddNumberToObject(o, "updated", (double)s->updated) ||
	    !cJSON_AddNumberToObject(o, "unchanged", (double)s->unchanged) ||
	    !cJSON_AddNumberToObject(o, "failed", (double)s->failed) ||
	    !cJSON_AddNumberToObject(o, "total", (double)s->total) ||
	    !cJSON_AddNumberToObject(o, "groupsMissing",
	    (double)s->groups_missing) ||
	    !cJSON_AddNumberToObject(o, "pruned", (double)s->pruned) ||
	    !cJSON_AddNumberToObject(o, "durationMs", (double)s->duration_ms) ||
	    !cJSON_AddStringToObject(o, "finished", ts) ||
	    (r->error && !cJSON_AddStringToObject(o, "error", r->error))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static enum scim_err
sync_end_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct sync_run	*r = arg;
	cJSON		*last;
	enum scim_err	 rc;

	if ((last = sync_result_json(r)) == NULL)
		return scim_oom(err);
	rc = store_kv_put(t, r->o->tenant, SYNC_SPACE, "last", last, err);
	if (rc == SCIM_OK)
		rc = store_kv_del(t, r->o->tenant, SYNC_SPACE, "progress",
		    err);
	if (rc == SCIM_E_NOT_FOUND)
		rc = SCIM_OK;
	if (rc == SCIM_OK)
		rc = sync_run_event(t, r, r->error ? "sync.failed" :
		    "sync.completed", last, err);
	cJSON_Delete(last);
	return rc;
}

/* Write the plan in batches, counting into r->res. */
static enum scim_err
sync_write(struct store *s, struct sync_run *r, struct scim_error *err)
{
	size_t		 i;
	enum scim_err	 rc = SCIM_OK;

	for (r->from = 0; r->from < r->p.n; r->from = r->to) {
		r->to = r->from + SYNC_BATCH < r->p.n ? r->from + SYNC_BATCH :
		    r->p.n;
		if ((rc = store_run(s, sync_batch_fn, r, err)) != SCIM_OK)
			break;
		r->res->created += r->n[SYNC_CREATE];
		r->res->updated += r->n[SYNC_UPDATE];
		r->res->unchanged += r->n[SYNC_NONE];
		r->res->failed += r->n[SYNC_FAILED];
		for (i = r->from; i < r->to; i++)
			if (r->p.v[i].error[0] != '\0')
				log_warn("sync: %s not written: %s",
				    r->p.v[i].upn, r->p.v[i].error);
		if (!r->o->quiet)
			fprintf(stderr, "sync: %zu of %zu users\n", r->to,
			    r->p.n);
	}
	return rc;
}

enum scim_err
sync_run(struct store *s, const struct scim_config *cfg,
    const struct sync_opts *o, struct sync_result *res,
    struct scim_error *err)
{
	struct sync_run		 r;
	struct scim_error	 err2;
	struct graph		*g = NULL;
	enum scim_err		 rc;
	int			 fd;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.c.cfg = cfg;
	r.c.plan = &r.p;
	r.c.tenant = o->tenant;
	r.c.actor = o->actor;
	r.c.write = true;
	r.o = o;
	r.res = res;
	r.started = util_now_usec();
	if ((rc = sync_lock(cfg, o->tenant, &fd, err)) != SCIM_OK)
		return rc;
	if ((rc = store_run(s, sync_start_fn, &r, err)) != SCIM_OK)
		goto out;
	if ((rc = sync_graph_open(cfg, o->tenant, &g, err)) == SCIM_OK &&
	    (rc = sync_plan_read(s, g, o->tenant, o->auto_only, &r.p, err)) ==
	    SCIM_OK) {
		res->total = r.p.n;
		res->groups_missing = r.p.missing;
		rc = sync_write(s, &r, err);
	}
	/* Records of users deleted since (assign.h): after the writes. */
	if (rc == SCIM_OK)
		rc = assign_prune(s, o->tenant, &res->pruned, err);
	if (g != NULL)
		graph_stats(g, &res->graph);
	res->duration_ms = (util_now_usec() - r.started) / 1000;
	r.error = rc != SCIM_OK ? err->detail : NULL;
	/* The result is recorded even when the run failed. */
	if (store_run(s, sync_end_fn, &r, &err2) != SCIM_OK && rc == SCIM_OK) {
		*err = err2;
		rc = err2.code;
	}
out:
	graph_close(g);
	sync_plan_free(&r.p);
	close(fd);
	return rc;
}

/* --- what the page reads --- */

struct sync_status_read {
	const char	*tenant;
	cJSON		*progress, *last;
};

static enum scim_err
sync_status_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct sync_status_read	*r = arg;
	enum scim_err		 rc;

	cJSON_Delete(r->progress);
	cJSON_Delete(r->last);
	r->progress = r->last = NULL;
	rc = store_kv_get(t, r->tenant, SYNC_SPACE, "progress", &r->progress,
	    err);
	if (rc == SCIM_E_NOT_FOUND)
		rc = SCIM_OK;
	if (rc == SCIM_OK)
		rc = store_kv_get(t, r->tenant, SYNC_SPACE, "last", &r->last,
		    err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

enum scim_err
sync_status(struct store *s, const struct scim_config *cfg,
    const char *tenant, cJSON **out, struct scim_error *err)
{
	struct sync_status_read	 r = { tenant, NULL, NULL };
	long			 pid = sync_lock_holder(cfg, tenant);
	enum scim_err		 rc;
	cJSON			*o;

	*out = NULL;
	if ((rc = store_read(s, sync_status_fn, &r, err)) != SCIM_OK)
		goto out;
	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddBoolToObject(o, "running", pid != 0) ||
	    !cJSON_AddNumberToObject(o, "pid", (double)pid) ||
	    !cJSON_AddNumberToObject(o, "done", (double)json_int(r.progress,
	    "done")) ||
	    !cJSON_AddNumberToObject(o, "total", (double)json_int(r.progress,
	    "total")) ||
	    !cJSON_AddStringToObject(o, "started", json_str(r.progress,
	    "started")) ||
	    !cJSON_AddBoolToObject(o, "interrupted", pid == 0 &&
	    r.progress != NULL) ||
	    !cJSON_AddItemToObject(o, "last", r.last ? r.last :
	    cJSON_CreateNull())) {
		cJSON_Delete(o);
		rc = scim_oom(err);
		goto out;
	}
	r.last = NULL;
	*out = o;
out:
	cJSON_Delete(r.progress);
	cJSON_Delete(r.last);
	return rc;
}
