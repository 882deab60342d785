/*
 * The audit log, its retention, and at-least-once delivery of events to
 * the configured hook through an outbox in the store.  See audit.h.
 *
 * Keys.  An event's id is 16 hex digits of the time in microseconds and
 * 8 random hex digits, so ids sort by time.  Its key in the tenant's
 * "audit" space is "s", two hex digits naming one of AUDIT_SHARDS shards,
 * then the id.  Why the shards: Berkeley DB locks whole pages until the
 * transaction ends, and a durable commit ends only after its fsync.  With
 * one time-ordered key range every write transaction of every process
 * appended to the same right-most leaf page, so concurrent writes
 * conflicted there, however unrelated their changes, and were serialized
 * through each other's fsyncs (group commit could never batch them).
 * Each event now goes to a shard drawn at random, i.e. to one of
 * AUDIT_SHARDS right edges; two concurrent writers meet on one with
 * probability 1/AUDIT_SHARDS.  Readers merge the shards by id (newest
 * first), and prune each shard from its oldest end.  Keys written before
 * the shards existed (the bare 24-digit id, which sorts before every "s"
 * key) are read as one more range, so an upgraded store keeps its log.
 *
 * Outbox entries are ""/"outbox"/<due>-<id>, due being 16 hex digits of
 * the next attempt time, so the first entry is the next one due.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/log.h"
#include "base/util.h"

#define AUDIT_SPACE		"audit"
#define OUTBOX_TENANT		""
#define OUTBOX_SPACE		"outbox"
#define AUDIT_SHARDS		64	/* right edges appends spread over */
#define SHARD_PREFIX_LEN	3	/* "s" and two hex digits */
#define AUDIT_KEY_LEN		(SHARD_PREFIX_LEN + AUDIT_ID_LEN)
#define LEGACY_RANGE		AUDIT_SHARDS	/* keys without a shard */
#define RETRY_MAX_USEC		(24LL * 3600 * 1000000)

const char *
audit_category(const char *type)
{
	if (strncmp(type, "scim.", 5) == 0)
		return "scim";
	if (strncmp(type, "token.", 6) == 0)
		return "tokens";
	if (strncmp(type, "auth.", 5) == 0)
		return "auth";
	if (strncmp(type, "admin.", 6) == 0)
		return "admin";
	if (strncmp(type, "sync.", 5) == 0)
		return "sync";
	return "other";
}

bool
audit_hook_wants(const struct scim_config *cfg, const char *type)
{
	const char	*p;
	size_t		 n;

	if (cfg == NULL || cfg->audit_hook[0] == '\0')
		return false;
	for (p = cfg->audit_hook_events; *p != '\0'; p += n) {
		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		if (n == 1 && *p == '*')
			return true;
		if (p[n - 1] == '*' && strncmp(type, p, n - 1) == 0)
			return true;
		if (strlen(type) == n && strncmp(type, p, n) == 0)
			return true;
	}
	return false;
}

/* A new event id: time first, so ids sort by time. */
static void
event_id(int64_t usec, char *buf)
{
	uint32_t	 r = 0;

	util_random(&r, sizeof(r));
	snprintf(buf, AUDIT_ID_LEN + 1, "%016llx%08x", (unsigned long long)usec,
	    r);
}

static int64_t
id_time(const char *id)
{
	char	 hex[17];

	memcpy(hex, id, 16);
	hex[16] = '\0';
	return (int64_t)strtoull(hex, NULL, 16);
}

/*
 * The key prefix of range r (a shard, or LEGACY_RANGE: no prefix) into
 * buf (SHARD_PREFIX_LEN + 1 bytes); returns its length.
 */
static size_t
range_prefix(unsigned r, char *buf)
{
	if (r == LEGACY_RANGE) {
		buf[0] = '\0';
		return 0;
	}
	snprintf(buf, SHARD_PREFIX_LEN + 1, "s%02x", r);
	return SHARD_PREFIX_LEN;
}

/*
 * Does key belong to range r?  On success *id points at its event id.
 * Legacy keys are exactly an id; shard keys are the prefix and an id.
 */
static bool
range_has(unsigned r, const char *key, const char **id)
{
	char	 pfx[SHARD_PREFIX_LEN + 1];
	size_t	 n = range_prefix(r, pfx);

	if (strlen(key) != n + AUDIT_ID_LEN || strncmp(key, pfx, n) != 0 ||
	    strspn(key + n, "0123456789abcdef") != AUDIT_ID_LEN)
		return false;
	*id = key + n;
	return true;
}

enum scim_err
audit_record(struct store_txn *t, const struct scim_config *cfg,
    const struct audit_event *ev, struct scim_error *err)
{
	char		 id[AUDIT_ID_LEN + 1], when[UTIL_TIME_LEN + 1];
	char		 okey[64], key[AUDIT_KEY_LEN + 1];
	int64_t		 now = util_now_usec();
	int64_t		 at = ev->time != 0 ? ev->time : now;
	uint8_t		 shard = 0;
	cJSON		*e, *tg, *box = NULL;
	enum scim_err	 rc;

	event_id(at, id);
	util_random(&shard, sizeof(shard));
	snprintf(key, sizeof(key), "s%02x%s", shard % AUDIT_SHARDS, id);
	util_time_format(at, when, sizeof(when));
	if ((e = cJSON_CreateObject()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	cJSON_AddStringToObject(e, "id", id);
	cJSON_AddStringToObject(e, "time", when);
	cJSON_AddStringToObject(e, "tenant", ev->tenant ? ev->tenant : "");
	cJSON_AddStringToObject(e, "type", ev->type);
	cJSON_AddStringToObject(e, "category", audit_category(ev->type));
	cJSON_AddStringToObject(e, "actor", ev->actor ? ev->actor : "");
	tg = cJSON_AddObjectToObject(e, "target");
	if (ev->target_id != NULL)
		cJSON_AddStringToObject(tg, "id", ev->target_id);
	if (ev->target_name != NULL)
		cJSON_AddStringToObject(tg, "name", ev->target_name);
	cJSON_AddStringToObject(e, "outcome", ev->failure ? "failure" :
	    "success");
	if (ev->details != NULL)
		cJSON_AddItemToObject(e, "details",
		    cJSON_Duplicate(ev->details, true));
	rc = store_kv_put(t, ev->tenant ? ev->tenant : "", AUDIT_SPACE, key, e,
	    err);
	if (rc == SCIM_OK && audit_hook_wants(cfg, ev->type)) {
		snprintf(okey, sizeof(okey), "%016llx-%s",
		    (unsigned long long)now, id);
		if ((box = cJSON_CreateObject()) == NULL) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
			goto out;
		}
		cJSON_AddNumberToObject(box, "attempts", 0);
		cJSON_AddItemToObject(box, "event", e);
		e = NULL;
		rc = store_kv_put(t, OUTBOX_TENANT, OUTBOX_SPACE, okey, box,
		    err);
	}
out:
	cJSON_Delete(e);
	cJSON_Delete(box);
	return rc;
}

/* --- queries --- */

/*
 * A query reads each range newest first and keeps the newest `want`
 * matching events of all ranges seen so far in hits[], newest first.
 * Once hits[] is full, a range is read only down to the oldest hit, so a
 * query visits about want + AUDIT_SHARDS events, not want per shard.
 */
struct hit {
	char	 id[AUDIT_ID_LEN + 1];	/* from the key */
	cJSON	*e;
};

struct query_ctx {
	const struct audit_query	*q;
	unsigned			 range;	/* being read */
	unsigned			 want;
	unsigned			 n;	/* hits so far */
	struct hit			*hits;	/* want entries, newest first */
};

static bool
str_is(const cJSON *o, const char *name, const char *want)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

static bool
query_match(const struct audit_query *q, const cJSON *obj)
{
	const cJSON	*tg, *type;

	type = cJSON_GetObjectItemCaseSensitive(obj, "type");
	if (q->category != NULL && !str_is(obj, "category", q->category))
		return false;
	if (q->type_prefix != NULL && (!cJSON_IsString(type) ||
	    strncmp(type->valuestring, q->type_prefix,
	    strlen(q->type_prefix)) != 0))
		return false;
	if (q->target != NULL) {
		tg = cJSON_GetObjectItemCaseSensitive(obj, "target");
		if (!str_is(tg, "id", q->target) &&
		    !str_is(tg, "name", q->target))
			return false;
	}
	return true;
}

static bool
query_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct query_ctx		*qc = arg;
	const struct audit_query	*q = qc->q;
	const char			*id;
	int64_t				 t;
	unsigned			 i;

	if (!range_has(qc->range, key, &id))
		return false;		/* past the range */
	if (q->before != NULL && strcmp(id, q->before) >= 0)
		return true;		/* the "before" event itself */
	if (qc->n == qc->want && strcmp(id, qc->hits[qc->n - 1].id) <= 0)
		return false;		/* older than every hit */
	t = id_time(id);
	if (q->until != 0 && t > q->until)
		return true;
	if (q->since != 0 && t < q->since)
		return false;		/* older from here on */
	if (!query_match(q, obj))
		return true;
	/* Insert in id order, pushing out the oldest hit when full. */
	for (i = qc->n; i > 0 && strcmp(qc->hits[i - 1].id, id) < 0; i--)
		continue;
	if (qc->n == qc->want)
		cJSON_Delete(qc->hits[--qc->n].e);
	memmove(qc->hits + i + 1, qc->hits + i, (qc->n - i) *
	    sizeof(*qc->hits));
	memcpy(qc->hits[i].id, id, AUDIT_ID_LEN + 1);
	qc->hits[i].e = obj;
	qc->n++;
	*keep = true;
	return true;
}

static void
hits_clear(struct query_ctx *qc)
{
	while (qc->n > 0)
		cJSON_Delete(qc->hits[--qc->n].e);
}

static enum scim_err
query_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct query_ctx	*qc = arg;
	const char		*tenant = qc->q->tenant ? qc->q->tenant : "";
	char			 from[SHARD_PREFIX_LEN + 64 + 1];
	size_t			 n;
	enum scim_err		 rc = SCIM_OK;

	hits_clear(qc);
	for (qc->range = 0; rc == SCIM_OK && qc->range <= LEGACY_RANGE;
	    qc->range++) {
		/* Start at "before" in this range, or after its last key. */
		n = range_prefix(qc->range, from);
		snprintf(from + n, sizeof(from) - n, "%.64s",
		    qc->q->before != NULL ? qc->q->before : "g");
		rc = store_kv_scan(t, tenant, AUDIT_SPACE, from, true,
		    query_each, qc, err);
	}
	return rc;
}

enum scim_err
audit_query(struct store *s, const struct audit_query *q, cJSON **out,
    struct scim_error *err)
{
	struct query_ctx	 qc;
	enum scim_err		 rc;
	unsigned		 i;

	*out = NULL;
	memset(&qc, 0, sizeof(qc));
	qc.q = q;
	qc.want = q->limit ? q->limit : 100;
	if ((qc.hits = calloc(qc.want, sizeof(*qc.hits))) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = store_read(s, query_fn, &qc, err);
	if (rc == SCIM_OK && (*out = cJSON_CreateArray()) == NULL)
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if (rc == SCIM_OK) {
		for (i = 0; i < qc.n; i++)
			cJSON_AddItemToArray(*out, qc.hits[i].e);
		qc.n = 0;
	}
	hits_clear(&qc);
	free(qc.hits);
	return rc;
}

/* --- delivery --- */

struct claim_ctx {
	int64_t	 now;
	int64_t	 lease;		/* usec an attempt may take */
	char	 key[64];	/* out: the claimed (new) key */
	cJSON	*box;		/* out: the claimed entry */
};

static bool
claim_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct claim_ctx	*cc = arg;

	if (strlen(key) >= sizeof(cc->key) || id_time(key) > cc->now)
		return false;		/* nothing due */
	snprintf(cc->key, sizeof(cc->key), "%s", key);
	cc->box = obj;
	*keep = true;
	return false;
}

/* Take the first due entry and push its due time past the lease. */
static enum scim_err
claim_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct claim_ctx	*cc = arg;
	const cJSON		*ev, *id;
	cJSON			*att;
	enum scim_err		 rc;
	char			 old[64];

	cJSON_Delete(cc->box);
	cc->box = NULL;
	cc->key[0] = '\0';
	rc = store_kv_scan(t, OUTBOX_TENANT, OUTBOX_SPACE, NULL, false,
	    claim_each, cc, err);
	if (rc != SCIM_OK || cc->box == NULL)
		return rc;
	snprintf(old, sizeof(old), "%s", cc->key);
	if ((rc = store_kv_del(t, OUTBOX_TENANT, OUTBOX_SPACE, old, err)) !=
	    SCIM_OK)
		return rc;
	ev = cJSON_GetObjectItemCaseSensitive(cc->box, "event");
	id = cJSON_GetObjectItemCaseSensitive(ev, "id");
	if (!cJSON_IsString(id))
		return SCIM_OK;		/* a broken entry: dropped */
	att = cJSON_GetObjectItemCaseSensitive(cc->box, "attempts");
	if (cJSON_IsNumber(att))
		cJSON_SetNumberValue(att, att->valuedouble + 1);
	snprintf(cc->key, sizeof(cc->key), "%016llx-%s",
	    (unsigned long long)(cc->now + cc->lease), id->valuestring);
	return store_kv_put(t, OUTBOX_TENANT, OUTBOX_SPACE, cc->key, cc->box,
	    err);
}

struct settle_ctx {
	const char	*key;		/* the claimed key */
	bool		 ok;		/* hook succeeded */
	int64_t		 retry_at;	/* when not ok */
	const cJSON	*box;
};

static enum scim_err
settle_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct settle_ctx	*sc = arg;
	const cJSON		*ev, *id;
	char			 key[64];
	enum scim_err		 rc;

	rc = store_kv_del(t, OUTBOX_TENANT, OUTBOX_SPACE, sc->key, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;		/* someone else settled it */
	if (rc != SCIM_OK || sc->ok)
		return rc;
	ev = cJSON_GetObjectItemCaseSensitive(sc->box, "event");
	id = cJSON_GetObjectItemCaseSensitive(ev, "id");
	snprintf(key, sizeof(key), "%016llx-%s",
	    (unsigned long long)sc->retry_at, id->valuestring);
	return store_kv_put(t, OUTBOX_TENANT, OUTBOX_SPACE, key, sc->box, err);
}

/*
 * Run the hook with text on its standard input; true when it exited 0
 * within timeout seconds.  The hook's output goes to our standard error.
 */
static bool
run_hook(const struct scim_config *cfg, const char *text, const char *type,
    const char *id)
{
	struct timespec	 ts = { 0, 20 * 1000 * 1000 };
	int		 in[2], st, nul;
	pid_t		 pid, w;
	size_t		 len = strlen(text), off = 0;
	ssize_t		 n;
	int64_t		 deadline;

	if (pipe(in) != 0)
		return false;
	if ((pid = fork()) < 0) {
		close(in[0]);
		close(in[1]);
		return false;
	}
	if (pid == 0) {
		/* fd 0 may be the FastCGI listening socket: replace it. */
		dup2(in[0], 0);
		if ((nul = open("/dev/null", O_WRONLY)) >= 0)
			dup2(nul, 1);
		closefrom(3);
		setenv("SCIM_EVENT_TYPE", type, 1);
		setenv("SCIM_EVENT_ID", id, 1);
		execl("/bin/sh", "sh", "-c", cfg->audit_hook, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	while (off < len && (n = write(in[1], text + off, len - off)) > 0)
		off += (size_t)n;
	close(in[1]);
	deadline = util_now_usec() + (int64_t)cfg->audit_hook_timeout *
	    1000000;
	for (;;) {
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return false;
		if (util_now_usec() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			log_warn("audit hook timed out on event %s", id);
			return false;
		}
		nanosleep(&ts, NULL);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		log_warn("audit hook failed on event %s (status %d)", id, st);
		return false;
	}
	return true;
}

unsigned
audit_deliver(struct store *s, const struct scim_config *cfg, unsigned max,
    unsigned *failed)
{
	struct claim_ctx	 cc;
	struct settle_ctx	 sc;
	struct scim_error	 err;
	const cJSON		*ev, *att, *type, *id;
	unsigned		 done = 0, bad = 0, i;
	int64_t			 backoff;
	char			*text;

	if (failed != NULL)
		*failed = 0;
	if (cfg->audit_hook[0] == '\0')
		return 0;
	memset(&cc, 0, sizeof(cc));
	for (i = 0; i < max; i++) {
		cc.now = util_now_usec();
		cc.lease = ((int64_t)cfg->audit_hook_timeout + 30) * 1000000;
		if (store_run(s, claim_fn, &cc, &err) != SCIM_OK) {
			log_warn("audit outbox: %s", err.detail);
			break;
		}
		if (cc.box == NULL)
			break;
		ev = cJSON_GetObjectItemCaseSensitive(cc.box, "event");
		type = cJSON_GetObjectItemCaseSensitive(ev, "type");
		id = cJSON_GetObjectItemCaseSensitive(ev, "id");
		if (!cJSON_IsString(type) || !cJSON_IsString(id) ||
		    (text = cJSON_PrintUnformatted(ev)) == NULL) {
			cJSON_Delete(cc.box);
			cc.box = NULL;
			continue;
		}
		memset(&sc, 0, sizeof(sc));
		sc.key = cc.key;
		sc.box = cc.box;
		sc.ok = run_hook(cfg, text, type->valuestring, id->valuestring);
		free(text);
		if (!sc.ok) {
			bad++;
			att = cJSON_GetObjectItemCaseSensitive(cc.box,
			    "attempts");
			backoff = (int64_t)cfg->audit_hook_retry * 1000000;
			for (int k = 1; cJSON_IsNumber(att) &&
			    k < att->valueint && backoff < RETRY_MAX_USEC; k++)
				backoff *= 2;
			if (backoff > RETRY_MAX_USEC)
				backoff = RETRY_MAX_USEC;
			sc.retry_at = util_now_usec() + backoff;
		}
		if (store_run(s, settle_fn, &sc, &err) != SCIM_OK)
			log_warn("audit outbox: %s", err.detail);
		else if (sc.ok)
			done++;
		cJSON_Delete(cc.box);
		cc.box = NULL;
		if (!sc.ok)
			break;		/* the hook is failing: later */
	}
	cJSON_Delete(cc.box);
	if (failed != NULL)
		*failed = bad;
	return done;
}

/* --- retention --- */

struct prune_ctx {
	const char	*tenant;
	int64_t		 cutoff;	/* events before this go */
	unsigned	 start;		/* first range this transaction scans */
	unsigned	 range;		/* the range being scanned */
	char		 keys[AUDIT_PRUNE_BATCH][AUDIT_KEY_LEN + 1];
	unsigned	 n;		/* keys[] used */
	bool		 more;		/* old events beyond keys[] remain */
};

/*
 * Collect the keys of old events of one range, oldest first; keys are
 * time-ordered within a range, so the first recent one ends it.  Looking
 * one key past a full batch tells whether another transaction is needed,
 * so N events never cost an extra, empty one.
 */
static bool
prune_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct prune_ctx	*pc = arg;
	const char		*id;

	(void)obj; (void)keep;
	if (!range_has(pc->range, key, &id) || id_time(id) >= pc->cutoff)
		return false;
	if (pc->n == AUDIT_PRUNE_BATCH) {
		pc->more = true;
		return false;
	}
	memcpy(pc->keys[pc->n++], key, strlen(key) + 1);
	return true;
}

/*
 * Delete up to AUDIT_PRUNE_BATCH of the expired events, range after range
 * from pc->start; pc->range is where the next transaction goes on.
 */
static enum scim_err
prune_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct prune_ctx	*pc = arg;
	char			 from[SHARD_PREFIX_LEN + 1];
	enum scim_err		 rc = SCIM_OK;
	unsigned		 i;

	pc->n = 0;
	pc->more = false;
	for (pc->range = pc->start; pc->range <= LEGACY_RANGE; pc->range++) {
		rc = store_kv_scan(t, pc->tenant, AUDIT_SPACE,
		    range_prefix(pc->range, from) > 0 ? from : NULL, false,
		    prune_each, pc, err);
		if (rc != SCIM_OK || pc->more)
			break;
	}
	for (i = 0; rc == SCIM_OK && i < pc->n; i++)
		rc = store_kv_del(t, pc->tenant, AUDIT_SPACE, pc->keys[i], err);
	return rc;
}

enum scim_err
audit_prune(struct store *s, const struct scim_config *cfg,
    const char *tenant, struct audit_prune_stats *st,
    struct scim_error *err)
{
	struct prune_ctx	*pc;
	enum scim_err		 rc = SCIM_OK;

	memset(st, 0, sizeof(*st));
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	pc->tenant = tenant;
	/* Fixed once: events written while pruning are never candidates. */
	pc->cutoff = util_now_usec() -
	    (int64_t)cfg->audit_retention_days * 86400 * 1000000;
	do {
		if ((rc = store_run(s, prune_fn, pc, err)) != SCIM_OK) {
			log_warn("audit prune: %s", err->detail);
			break;
		}
		st->events += pc->n;
		if (pc->n > 0)
			st->txns++;
		pc->start = pc->range;
	} while (pc->more);
	free(pc);
	return rc;
}
