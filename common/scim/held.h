/*
 * Held deprovisioning: the brake on mass deprovisioning ([safety] in
 * scim.conf(5)).  Per tenant and window, the first max_deprovisions
 * deprovisions apply: a DELETE of a user, a PUT or PATCH that sets a
 * user's "active" to false, the removal of members from a group that a
 * role mapping names (each member counts).  The rest are held: not
 * applied, answered 503 with Retry-After and a detail saying the change
 * waits for an owner's approval (Entra ID and Okta retry on 503, so
 * nothing is lost and the client is never told it was done).
 *
 * The decision is made inside the handler's own transaction
 * (held_decide()), which counts the deprovision in the same transaction
 * as the change: no two processes can both take the last place.  A
 * deprovision over the budget aborts that transaction; held_hold() then
 * writes the held record in one of its own, deciding again there (the
 * count only grows within a window, so it is held again unless the window
 * ended meanwhile: the caller then runs the change once more).
 *
 * A held operation keeps what it takes to run it again: method, path,
 * body, If-Match, tenant and token.  Approving one replays it through
 * the same handler (held-ops.c), in the order they were held, without
 * counting it; the client's retry then finds it done (a DELETE gets 404,
 * a PATCH the same result).  A rejected one is refused with 409 on retry
 * until the end of the window, saying why.  A retry is matched to its
 * record by tenant, method, path (/Users/{id}, /Groups/{id}: an operation
 * of a /Bulk request is the same as a plain one) and a hash of the body;
 * a retry of an operation still held is answered 503 again, not held
 * twice.
 *
 * Records live in the tenant's "held" key space:
 *   window        {"start": usec, "count": n, "engaged": bool}
 *   op/<id>       the held operation (see held_list() for its fields)
 *   match/<hash>  {"id": <id>}: the retry's way to its record
 *
 * Events: held.engaged (an operation held; "first" in details when it
 * engaged the brake for the window, which also mails the tenant's owners
 * through [admin] sendmail), held.approved (with the replay's status),
 * held.rejected (with the reason).
 *
 * OWNS the window, the count, held records, their replay.  MUST NOT KNOW
 * how a handler changes a record (it replays through crud.h), how the
 * answer is written (web/), who the owners are (auth/admin.h says).
 */
#ifndef SCIM_HELD_H
#define SCIM_HELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "store/store.h"
#include "web/service.h"

#define HELD_SPACE		"held"
#define HELD_ID_LEN		20	/* 16 hex digits of usec, 4 random */
#define HELD_MATCH_LEN		32	/* hex digits of the match hash */
#define HELD_RETRY_MIN		60	/* Retry-After bounds, seconds */
#define HELD_RETRY_MAX		900
#define HELD_REASON_MAX		200	/* bytes of a rejection's reason */

/* --- the rules (pure; tests/unit/test_held) --- */

/* One tenant's window. */
struct held_window {
	int64_t		 start;		/* usec; 0: none yet */
	unsigned	 count;		/* deprovisions applied in it */
	bool		 engaged;	/* the brake held one in it */
};

/*
 * The window at now for windows of len usec: w itself while it runs, a
 * new empty one starting now once it has ended (or when there was none).
 * True when a new one started.
 */
bool		 held_window_roll(struct held_window *w, int64_t now,
		    int64_t len);

/* Do n more deprovisions fit in w under max (0: no brake, always)? */
bool		 held_window_fits(const struct held_window *w, unsigned n,
		    unsigned max);

/* Retry-After for a held operation: the window's rest, bounded. */
unsigned	 held_retry_after(const struct held_window *w, int64_t now,
		    int64_t len);

/* Does a change from old to res set a user's "active" to false? */
bool		 held_deactivates(const cJSON *old, const cJSON *res);

/*
 * The match hash of a request (method, path, body of len bytes; body
 * may be NULL) as HELD_MATCH_LEN hex digits in out.
 */
void		 held_match(const char *method, const char *path,
		    const char *body, size_t len,
		    char out[HELD_MATCH_LEN + 1]);

/* --- in a handler's transaction --- */

/* What a deprovision is, for the decision and its record. */
struct held_op {
	const char	*kind;		/* "deactivate", "delete",
					   "remove-members" */
	const char	*user_id;	/* the user (first member removed) */
	const char	*user_name;	/* may be NULL */
	const char	*group_id;	/* remove-members: the group */
	const char	*group_name;
	const cJSON	*members;	/* remove-members: ids, or NULL */
	unsigned	 count;		/* deprovisions it makes */
};

/*
 * What a transaction decided to hold, for after it aborted; the caller
 * zeroes it before the transaction and held_note_free()s it after.
 */
struct held_note {
	bool		 pending;	/* hold it: call held_hold() */
	bool		 again;		/* already held: 503 again */
	unsigned	 retry_after;	/* seconds, for the 503 */
	cJSON		*op;		/* the record to write (pending) */
};

void		 held_note_free(struct held_note *n);

/*
 * Decide deprovision op of call c in its transaction t: SCIM_OK to apply
 * it (counted in t), or an error that aborts t: SCIM_E_CONFLICT (409)
 * when an owner rejected this request, SCIM_E_UNAVAILABLE with n->pending
 * (over the budget: the caller runs held_hold()) or n->again (held
 * already).  An approved request being replayed applies uncounted.
 * SCIM_OK at once when the brake is off.  Resets n on entry (a rerun).
 */
enum scim_err	 held_decide(struct store_txn *t, const struct scim_call *c,
		    const struct held_op *op, struct held_note *n,
		    struct scim_error *err);

/*
 * Is group gid of tenant (its record grp) named by a role mapping?  By
 * externalId, else (when no group has that externalId) by displayName,
 * any case, as the gate reads mappings (roles.h).
 */
enum scim_err	 held_group_mapped(struct store_txn *t, const char *tenant,
		    const cJSON *grp, bool *yes, struct scim_error *err);

/*
 * After the handler's transaction aborted with n->pending: write the
 * held record in a transaction of its own (deciding again there) and
 * make the answer: SCIM_E_UNAVAILABLE with Retry-After on c->resp.
 * SCIM_OK when the window ended meanwhile and the operation fits now:
 * the caller runs its transaction again.  Mails the owners when this
 * engaged the brake for the window.
 */
enum scim_err	 held_hold(struct scim_call *c, struct held_note *n,
		    struct scim_error *err);

/* The answer to a retry of an operation still held (n->again). */
enum scim_err	 held_again(struct scim_call *c, const struct held_note *n,
		    struct scim_error *err);

/*
 * store_run(fn, arg) for c's write, which the brake may hold: n is the
 * note fn's held_decide() fills (reset before each run of fn, so a rerun
 * never sees an earlier one).  A hold aborts fn's transaction;
 * held_hold() then records it and answers 503 (held_again() for one held
 * before), or, when the window ended meanwhile, fn runs again (a few
 * times at most).  Just store_run() while the brake is off.
 */
enum scim_err	 held_run(struct scim_call *c, store_fn fn, void *arg,
		    struct held_note *n, struct scim_error *err);

/*
 * The Retry-After a held operation of tenant gets now (the window's
 * rest, bounded) into *secs; 0 when the brake is off or held nothing in
 * the current window.  For /Bulk: its operations answer in its body,
 * so the header of the whole answer is asked for here.
 */
enum scim_err	 held_retry_now(const struct scim_ctx *ctx,
		    const char *tenant, unsigned *secs,
		    struct scim_error *err);

/* --- owners: list, approve, reject (held-ops.c; scimctl, the page) --- */

/*
 * The tenant's held and rejected operations, oldest first, in *out (a
 * new array; caller deletes): one object each with "id", "state" ("held",
 * "rejected", or "approved" when an approval ended before its replay did:
 * approving it again finishes it), "op" (deactivate, delete, remove-members), "method",
 * "path" (/Users/{id}, /Groups/{id}), "user" {"id", "userName"},
 * "group" {"id", "displayName"} for a removal, "members", "count",
 * "since" (RFC 3339), "token", and for a rejected one "reason", "by" and
 * "until" (when retries stop being refused).  Rejected ones whose time is up are left out.
 */
enum scim_err	 held_list(struct store *s, const char *tenant, cJSON **out,
		    struct scim_error *err);

/* Who decides, for the events. */
struct held_decision {
	const char			*tenant;
	const char			*id;	/* one operation; NULL: all */
	const char			*actor;	/* "cli", "admin:<name>" */
	const char			*reason; /* reject: why (may be NULL) */
	struct scim_ctx			*ctx;	/* config and store */
};

/*
 * Approve the operation d->id (or every held one, oldest first, with
 * any whose approval did not end): each is
 * replayed through its handler and its record removed, with a
 * held.approved event naming the replay's status.  *out (may be NULL)
 * gets a new array of {"id", "status", "detail"}, one per operation.
 * SCIM_E_NOT_FOUND when d->id is not held.  A replay that fails (412: the
 * user changed since, 404: gone) is reported there, not as an error.
 */
enum scim_err	 held_approve(const struct held_decision *d, cJSON **out,
		    struct scim_error *err);

/*
 * Reject d->id (or every held one): retries are refused with 409 until
 * the end of the current window; held.rejected events.  *n (may be
 * NULL) counts them.  SCIM_E_NOT_FOUND when d->id is not held;
 * SCIM_E_INVALID_VALUE for a reason over HELD_REASON_MAX bytes or with a
 * control character (it is shown to the client).
 */
enum scim_err	 held_reject(const struct held_decision *d, unsigned *n,
		    struct scim_error *err);

#endif /* SCIM_HELD_H */
