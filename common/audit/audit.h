/*
 * The audit log and the event hook.
 *
 * Every change is recorded by audit_record() inside the store transaction
 * that makes it, so there is no change without its event and no event
 * without its change.  Events live in the tenant's "audit" key space,
 * keyed by time, and are pruned after [audit] retention_days.
 *
 * When scim.conf names a hook command, events of the chosen types are
 * also put in an outbox (same transaction).  audit_deliver() runs the hook
 * with the event JSON on standard input (at most AUDIT_EVENT_MAX bytes),
 * in an environment of PATH, SCIM_EVENT_TYPE, SCIM_EVENT_ID and [audit]
 * hook_env only, under a deadline that kills its whole process group,
 * and removes the entry only when the hook exits 0; failures are retried
 * with exponential back-off.  An entry is claimed (leased) before the
 * hook runs, so two processes never deliver it at once; delivery is at least once, and the event's "id"
 * lets a hook ignore a repeat.  Workers deliver after their response has
 * been sent, so a slow or failing hook never slows or fails a request;
 * `scimctl deliver` does the same from cron.
 *
 * Files: audit.c writes events (and outbox entries), reads one tenant's
 * (audit_query()) and prunes; audit-hook.c delivers to the hook;
 * audit-query.c combines such reads into what a tenant's reader sees (its
 * own events and the tenant-less refusals naming its tokens).
 *
 * OWNS events, their keys, the outbox and retention.  MUST NOT KNOW who
 * reads the log or how it is shown (the admin page, scimctl).
 *
 * An event (JSON):
 *   {"id", "time" (RFC 3339), "tenant", "type", "category" (scim, tokens,
 *    auth, admin, sync), "actor", "target": {"id", "name"}, "outcome"
 *    ("success" | "failure"), "details": {...}}
 */
#ifndef SCIM_AUDIT_H
#define SCIM_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "store/store.h"

#define AUDIT_ID_LEN	24	/* 16 hex digits of usec, 8 random */
/*
 * The largest event handed to the hook, as JSON: beyond it "details" keep
 * only their numbers and booleans and gain "truncated": true, and the
 * target's name is cut to AUDIT_NAME_MAX bytes, so that the hook's
 * standard input stays well below a pipe's buffer.  The log keeps the
 * whole event.
 */
#define AUDIT_EVENT_MAX	16384
#define AUDIT_NAME_MAX	1024

/* What happened; every pointer is borrowed for the call. */
struct audit_event {
	const char	*type;		/* "scim.user.provisioned", ... */
	const char	*tenant;	/* "" when unknown (auth.failed) */
	const char	*actor;		/* "token:<id>", "admin:<name>", "cli" */
	const char	*target_id;	/* may be NULL */
	const char	*target_name;	/* may be NULL */
	bool		 failure;	/* outcome "failure" instead of "success" */
	const cJSON	*details;	/* may be NULL; copied */
	int64_t		 time;		/* usec since the epoch; 0 = now (only
					   tests back-date events) */
};

/*
 * The category of an event type, by its first word: scim, tokens (token.),
 * auth, admin, roles (role.), sync, safety (held.), else other.
 */
const char	*audit_category(const char *type);

/* Every category audit_category() gives, "other" last; NULL-terminated. */
extern const char *const audit_categories[];

/*
 * Record ev in transaction t (and in the outbox when cfg's hook wants its
 * type).  cfg may be NULL (no hook).  Returns a store error, which aborts
 * the caller's transaction with the change it describes.
 */
enum scim_err	 audit_record(struct store_txn *t,
		    const struct scim_config *cfg, const struct audit_event *ev,
		    struct scim_error *err);

/* A query over one tenant's events, newest first. */
struct audit_query {
	const char	*tenant;
	const char	*category;	/* NULL = all */
	const char	*type_prefix;	/* NULL = all, e.g. "scim.user." */
	const char	*target;	/* NULL = all; id or name, exact */
	int64_t		 since;		/* usec, 0 = no bound */
	int64_t		 until;		/* usec, 0 = no bound */
	const char	*before;	/* paging: event id to start after */
	unsigned	 limit;		/* at most this many (0 = 100) */
};

/*
 * Fill *out with a new JSON array of the matching events, newest first.
 */
enum scim_err	 audit_query(struct store *s, const struct audit_query *q,
		    cJSON **out, struct scim_error *err);

/* Is s an event id (AUDIT_ID_LEN lowercase hex digits)? */
bool		 audit_id_valid(const char *s);

/*
 * Refused requests are recorded without a tenant (the token was not
 * accepted, so it vouches for none).  Fill *out with a new array (newest
 * first; caller deletes) of up to want of those that match base (its
 * tenant and category aside) and name one of tokens (a token_list()
 * array) as their target, reading a bounded number of batches so that a
 * flood of refusals cannot make a reader slow.  audit-query.c.
 */
enum scim_err	 audit_query_orphans(struct store *s,
		    const struct audit_query *base, const cJSON *tokens,
		    unsigned want, cJSON **out, struct scim_error *err);

/*
 * Merge two arrays of events, newest first, into a new one of at most
 * max events (NULL on allocation failure); what is merged is detached
 * from a and b, which the caller still deletes.
 */
cJSON		*audit_merge_events(cJSON *a, cJSON *b, unsigned max);

/*
 * One page of a tenant's log: audit_query(q), and when tokens is not
 * NULL and q asks for auth events (or any category), merged with the
 * tenant-less refusals that name one of tokens (audit_query_orphans()),
 * at most q->limit events in all.  *out is a new array; caller deletes.
 */
enum scim_err	 audit_query_tenant(struct store *s,
		    const struct audit_query *q, const cJSON *tokens,
		    cJSON **out, struct scim_error *err);

/*
 * Deliver up to max due outbox entries through cfg's hook (see above).
 * Returns how many were delivered; *failed (may be NULL) counts hook
 * failures.  Does nothing without a hook.
 */
unsigned	 audit_deliver(struct store *s, const struct scim_config *cfg,
		    unsigned max, unsigned *failed);

/* What audit_prune() did. */
struct audit_prune_stats {
	unsigned long	 events;	/* events deleted */
	unsigned long	 txns;		/* transactions that deleted some */
};

/*
 * Delete tenant's (NULL: every tenant's, "" included) events older than
 * cfg's retention in transactions of at most AUDIT_PRUNE_BATCH events, so pruning never holds locks for long:
 * N old events of a tenant take exactly ceil(N / AUDIT_PRUNE_BATCH)
 * transactions.  Every tenant: "", "default", those with a token, and
 * those a token or admin event was recorded for since the log has kept a
 * list of them (scim.* events are not noted: see tenant_note()).
 * Fills *st (also when it fails: what was deleted before the failure) and
 * returns the error of the transaction that failed, if one did.
 */
#define AUDIT_PRUNE_BATCH	500
enum scim_err	 audit_prune(struct store *s, const struct scim_config *cfg,
		    const char *tenant, struct audit_prune_stats *st,
		    struct scim_error *err);

/*
 * Does cfg's hook want events of this type?  auth.* types only when a
 * pattern of hook_events starting with "auth." names them, never by '*'
 * (they come from unauthenticated clients).  audit-hook.c.
 */
bool		 audit_hook_wants(const struct scim_config *cfg,
		    const char *type);

#endif /* SCIM_AUDIT_H */
