/*
 * The audit log and its retention; the outbox entries the hook is handed
 * (audit-hook.c delivers them).  See audit.h.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "audit/audit-int.h"
#include "base/log.h"
#include "base/util.h"

#define AUDIT_SPACE		"audit"
#define AUDIT_SHARDS		64	/* right edges appends spread over */
#define SHARD_PREFIX_LEN	3	/* "s" and two hex digits */
#define AUDIT_KEY_LEN		(SHARD_PREFIX_LEN + AUDIT_ID_LEN)
#define LEGACY_RANGE		AUDIT_SHARDS	/* keys without a shard */
#define TENANTS_SPACE		"audit-tenants"	/* ""'s: tenants with events */

/* Event type prefixes and their categories; anything else is "other". */
static const struct {
	const char	*prefix;
	const char	*category;
} audit_prefixes[] = {
	{ "scim.", "scim" }, { "token.", "tokens" }, { "auth.", "auth" },
	{ "admin.", "admin" }, { "role.", "roles" }, { "sync.", "sync" },
	{ "held.", "safety" },
};

const char *const audit_categories[] = {
	"scim", "tokens", "auth", "admin", "roles", "sync", "safety", "other",
	NULL
};

const char *
audit_category(const char *type)
{
	size_t	 i;

	for (i = 0; i < sizeof(audit_prefixes) / sizeof(audit_prefixes[0]);
	    i++)
		if (strncmp(type, audit_prefixes[i].prefix,
		    strlen(audit_prefixes[i].prefix)) == 0)
			return audit_prefixes[i].category;
	return "other";
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

int64_t
audit_id_time(const char *id)
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

/*
 * Keep e, the hook's copy of an event, within AUDIT_EVENT_MAX bytes as
 * JSON: an event carries what a client sent (a userName, a list of member
 * ids), and the hook reads it through a pipe.  Over the cap, "details"
 * keep only their numbers and booleans (a count) and gain "truncated":
 * true, and the target's name is cut to AUDIT_NAME_MAX bytes at a UTF-8
 * character boundary; every other member is short by construction (ids,
 * tenant, type, actor).  The log keeps the whole event.  Returns false
 * when out of memory.
 */
static bool
event_cap(cJSON *e)
{
	char	*text, name[AUDIT_NAME_MAX + 1];
	cJSON	*tg, *nm, *old, *d, *v;
	size_t	 len, n;

	if ((text = cJSON_PrintUnformatted(e)) == NULL)
		return false;
	len = strlen(text);
	free(text);
	if (len <= AUDIT_EVENT_MAX)
		return true;
	old = cJSON_DetachItemFromObjectCaseSensitive(e, "details");
	if ((d = cJSON_AddObjectToObject(e, "details")) == NULL) {
		cJSON_Delete(old);
		return false;
	}
	cJSON_ArrayForEach(v, old)
		if (cJSON_IsNumber(v) || cJSON_IsBool(v))
			cJSON_AddItemToObject(d, v->string,
			    cJSON_Duplicate(v, false));
	cJSON_Delete(old);
	if (cJSON_AddTrueToObject(d, "truncated") == NULL)
		return false;
	tg = cJSON_GetObjectItemCaseSensitive(e, "target");
	nm = cJSON_GetObjectItemCaseSensitive(tg, "name");
	if (cJSON_IsString(nm) && (n = strlen(nm->valuestring)) >
	    AUDIT_NAME_MAX) {
		n = AUDIT_NAME_MAX;
		while (n > 0 && ((unsigned char)nm->valuestring[n] & 0xc0) ==
		    0x80)
			n--;
		memcpy(name, nm->valuestring, n);
		name[n] = '\0';
		if (!cJSON_ReplaceItemInObjectCaseSensitive(tg, "name",
		    cJSON_CreateString(name)))
			return false;
	}
	return true;
}

/*
 * Note tenant in the list of tenants with events, which `scimctl prune`
 * walks (the store has no list of tenants).  Not for scim.* events, the
 * busy path: a read in a write transaction locks its page for writing
 * (DB_RMW) until the commit, and one page shared by every provisioning
 * write would serialize them all.  A tenant's SCIM changes are made with
 * its tokens, whose token.* events (rare) note it, and prune also walks
 * the tenants of the tokens there are.  Read first, so that only a
 * tenant's first event writes there.
 */
static enum scim_err
tenant_note(struct store_txn *t, const char *tenant, const char *category,
    struct scim_error *err)
{
	cJSON		*o = NULL;
	enum scim_err	 rc;

	if (tenant[0] == '\0' || strcmp(category, "scim") == 0)
		return SCIM_OK;		/* "" is always pruned */
	rc = store_kv_get(t, OUTBOX_TENANT, TENANTS_SPACE, tenant, &o, err);
	cJSON_Delete(o);
	if (rc != SCIM_E_NOT_FOUND)
		return rc;
	if ((o = cJSON_CreateObject()) == NULL)
		return scim_oom(err);
	rc = store_kv_put(t, OUTBOX_TENANT, TENANTS_SPACE, tenant, o, err);
	cJSON_Delete(o);
	return rc;
}

enum scim_err
audit_record(struct store_txn *t, const struct scim_config *cfg,
    const struct audit_event *ev, struct scim_error *err)
{
	char		 id[AUDIT_ID_LEN + 1], when[UTIL_TIME_LEN + 1];
	char		 okey[64], key[AUDIT_KEY_LEN + 1];
	const char	*tenant = ev->tenant ? ev->tenant : "";
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
	cJSON_AddStringToObject(e, "tenant", tenant);
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
	rc = tenant_note(t, tenant, audit_category(ev->type), err);
	if (rc == SCIM_OK)
		rc = store_kv_put(t, tenant, AUDIT_SPACE, key, e, err);
	if (rc == SCIM_OK && audit_hook_wants(cfg, ev->type)) {
		snprintf(okey, sizeof(okey), "%016llx-%s",
		    (unsigned long long)now, id);
		if (!event_cap(e) || (box = cJSON_CreateObject()) == NULL) {
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
	t = audit_id_time(id);
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
	if (!range_has(pc->range, key, &id) || audit_id_time(id) >= pc->cutoff)
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

/* Prune one tenant; adds to *st. */
static enum scim_err
prune_tenant(struct store *s, struct prune_ctx *pc, const char *tenant,
    struct audit_prune_stats *st, struct scim_error *err)
{
	enum scim_err	 rc = SCIM_OK;

	pc->tenant = tenant;
	pc->start = 0;
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
	return rc;
}

/* Add name to the array of tenant names a, once. */
static void
tenants_add(cJSON *a, const char *name)
{
	const cJSON	*v;

	cJSON_ArrayForEach(v, a)
		if (strcmp(v->valuestring, name) == 0)
			return;
	cJSON_AddItemToArray(a, cJSON_CreateString(name));
}

static bool
tenants_noted_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	(void)obj; (void)keep;
	tenants_add(arg, key);
	return true;
}

static bool
tenants_tokens_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	const cJSON	*t = cJSON_GetObjectItemCaseSensitive(obj, "tenant");

	(void)key; (void)keep;
	if (cJSON_IsString(t))
		tenants_add(arg, t->valuestring);
	return true;
}

/*
 * Every tenant that may have events into the array *(cJSON **)arg: ""
 * (refusals) and "default", those noted by tenant_note(), and every
 * tenant that has a token (the only tenants of a log older than the list).
 */
static enum scim_err
tenants_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	cJSON		**out = arg;
	enum scim_err	 rc;

	cJSON_Delete(*out);
	if ((*out = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	tenants_add(*out, "");
	tenants_add(*out, "default");
	rc = store_kv_scan(t, OUTBOX_TENANT, TENANTS_SPACE, NULL, false,
	    tenants_noted_each, *out, err);
	if (rc == SCIM_OK)
		rc = store_token_scan(t, tenants_tokens_each, *out, err);
	return rc;
}

enum scim_err
audit_prune(struct store *s, const struct scim_config *cfg,
    const char *tenant, struct audit_prune_stats *st,
    struct scim_error *err)
{
	struct prune_ctx	*pc;
	const cJSON		*v;
	cJSON			*all = NULL;
	enum scim_err		 rc = SCIM_OK;

	memset(st, 0, sizeof(*st));
	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	/* Fixed once: events written while pruning are never candidates. */
	pc->cutoff = util_now_usec() -
	    (int64_t)cfg->audit_retention_days * 86400 * 1000000;
	if (tenant != NULL)
		rc = prune_tenant(s, pc, tenant, st, err);
	else if ((rc = store_read(s, tenants_fn, &all, err)) == SCIM_OK)
		cJSON_ArrayForEach(v, all)
			if ((rc = prune_tenant(s, pc, v->valuestring, st,
			    err)) != SCIM_OK)
				break;
	cJSON_Delete(all);
	free(pc);
	return rc;
}
