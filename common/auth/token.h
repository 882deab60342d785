/*
 * Secret Tokens: the string format, the stored record, the lifecycle
 * (create, disable, enable, renew, regenerate, revoke, delete), expiry
 * reminders, the events each change leaves (token.c), the secret's keyed
 * hash (token-hash.c), and the per-request bearer check with a
 * per-process cache (token-auth.c).
 *
 * Owns: the token record and its rules, the cache of verified tokens.
 * Must not know: HTTP requests and routes (the service loop passes the
 * header and decides when to check), the admin page.
 *
 * A token reads "scim_<id>_<secret>": <id> is 16 hex digits (public, the
 * record key), <secret> 64 hex digits (256 random bits).  Only a keyed
 * hash of the secret is stored (HMAC-SHA-256 under a per-install key in
 * meta.db; token-hash.c says why not scrypt), so the token can be shown
 * once, when it is made, and never again.  Tokens made before carry an
 * scrypt hash: checked with scrypt once, then rewritten in the keyed
 * form by the request that proved the secret.
 *
 * The stored record (tokens.db, JSON):
 *   {"id", "tenant", "hash", "label", "created", "created_by", "expires",
 *    "last_used", "state": "active"|"inactive"|"revoked", "reminded",
 *    "renewed", "revoked_at", "replaces"}
 * times are microseconds since the epoch (0 = never).  "Expired" is not
 * stored: a token whose expires is in the past is expired.  "reminded"
 * lists the reminder thresholds (days) already sent since the last
 * renewal; "replaces" names the token a regenerated one took over from.
 *
 * Events: every change is recorded through the audit log (audit.h), in
 * the same transaction, with type "token.created", "token.disabled",
 * "token.enabled", "token.renewed", "token.revoked" or "token.deleted",
 * the actor given (e.g. "admin:alice", "cli:root"), the token id and
 * label as target; the secret never appears in an event.
 *
 * Verification cost: a few microseconds, the same for a wrong secret on
 * a known id as for an unknown id, so knowing an id buys nothing.  The
 * process remembers a SHA-256 of each token it verified and afterwards
 * only re-reads the record, so revocation, disabling and expiry take
 * effect on the very next request in every process.  Every failure
 * before the secret is proven answers the same 401 ("the bearer token
 * is not valid"): a token's state is told only to whoever holds it.
 */
#ifndef SCIM_TOKEN_H
#define SCIM_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "store/store.h"

#define TOKEN_PREFIX		"scim_"
#define TOKEN_ID_HEX		16
#define TOKEN_SECRET_HEX	64
#define TOKEN_LEN		(5 + TOKEN_ID_HEX + 1 + TOKEN_SECRET_HEX)
#define TOKEN_LAST_USED_USEC	(60LL * 1000000)  /* write last_used at most
						     once a minute */
#define TOKEN_LABEL_MAX		100	/* bytes of a label */
#define TOKEN_DAY_USEC		(86400LL * 1000000)
#define TOKEN_KEY_LEN		32	/* bytes of the install's HMAC key */
#define TOKEN_HASH_LEN		(7 + 64) /* longest keyed or pending hash */

/* The forms of a record's "hash" (token-hash.c). */
enum token_hash_form {
	TOKEN_HASH_BAD,
	TOKEN_HASH_HMAC,	/* "hmac$<hex>": keyed, stored */
	TOKEN_HASH_PENDING,	/* "sha256$<hex>": made, not yet stored */
	TOKEN_HASH_SCRYPT	/* "$s1$...": made before the keyed form */
};

enum token_state {
	TOKEN_ACTIVE,
	TOKEN_INACTIVE,		/* disabled by an owner */
	TOKEN_EXPIRED,		/* derived: expires is past */
	TOKEN_REVOKED
};

/* What an owner can do to an existing token (regenerate is separate). */
enum token_action {
	TOKEN_DISABLE,
	TOKEN_ENABLE,
	TOKEN_RENEW,
	TOKEN_REVOKE,
	TOKEN_DELETE
};

/* Who a verified request speaks for. */
struct token_auth {
	char	 tenant[STORE_ID_MAX + 1];
	char	 token_id[TOKEN_ID_HEX + 1];
};

/* One lifecycle change, for token_apply(). */
struct token_op {
	const char		*tenant;	/* must own the token; NULL: any */
	const char		*id;		/* token id */
	enum token_action	 act;
	int64_t			 ttl_sec;	/* TOKEN_RENEW: new lifetime */
	unsigned		 max_live;	/* live tokens per tenant */
	const char		*actor;		/* for the event */
	const struct scim_config *cfg;		/* audit hook; may be NULL */
};

/*
 * Split "scim_<id>_<secret>" into its id and secret (buffers of
 * TOKEN_ID_HEX + 1 and TOKEN_SECRET_HEX + 1 bytes).  False for anything
 * not exactly of that form.
 */
bool		 token_parse(const char *tok, char *id, char *secret);

/*
 * The offered lifetimes in days (30, 60, 90, 180, 365), shortest first,
 * ended by 0: the one list the page's choices and token_days_valid() read.
 */
extern const unsigned	 token_days_offered[];

/* Is days one of token_days_offered? */
bool		 token_days_valid(unsigned days);

/* from (usec) plus ttl_sec seconds, in usec. */
int64_t		 token_expiry(int64_t from, int64_t ttl_sec);

/* Is s a usable label (UTF-8, no control characters, short)? */
bool		 token_label_valid(const char *s);

/* Is s a usable tenant id (1-64 of A-Z a-z 0-9 . _ @ -)? */
bool		 token_tenant_valid(const char *s);

/*
 * Make a new token for tenant: random id and secret.  Writes the token
 * string to out (TOKEN_LEN + 1 bytes) and the record to *rec (the caller
 * deletes it) with state active and the given expiry in days; its hash
 * is in the pending form until token_insert() stores it.
 */
enum scim_err	 token_new(const struct scim_config *cfg, const char *tenant,
		    const char *label, unsigned days, const char *created_by,
		    char *out, cJSON **rec, struct scim_error *err);

/* The same with the lifetime in seconds (any positive number). */
enum scim_err	 token_new_ttl(const struct scim_config *cfg,
		    const char *tenant, const char *label, int64_t ttl_sec,
		    const char *created_by, char *out, cJSON **rec,
		    struct scim_error *err);

/* --- the secret's hash (token-hash.c) --- */

enum token_hash_form token_hash_form(const cJSON *rec);

/* The pending form of secret's hash into out (TOKEN_HASH_LEN + 1). */
void		 token_hash_pending(const char *secret, char *out);

/*
 * This install's HMAC key (TOKEN_KEY_LEN bytes) from meta.db in t into
 * key; made and stored when absent and create (t must write then),
 * else SCIM_E_NOT_FOUND.
 */
enum scim_err	 token_key_get(struct store_txn *t, bool create,
		    uint8_t *key, struct scim_error *err);

/*
 * Does secret match the record's hash?  key (may be NULL: a keyed hash
 * then never matches) is the install's.  Constant time and a few
 * microseconds for the keyed and pending forms; one scrypt run (slow:
 * never inside a transaction) for an old scrypt hash.
 */
bool		 token_verify_keyed(const cJSON *rec, const char *secret,
		    const uint8_t *key);

/* token_verify_keyed() without a key (pending and scrypt forms). */
bool		 token_verify_secret(const cJSON *rec, const char *secret);

/* The work of a keyed check, for an id that has no record. */
void		 token_verify_dummy(const char *secret, const uint8_t *key);

/*
 * Rewrite rec's hash in the keyed form inside t (making the key when
 * there is none): from the pending form, or from the scrypt form when
 * the secret (proven by the caller) is given.  Other forms: unchanged.
 */
enum scim_err	 token_seal(struct store_txn *t, cJSON *rec,
		    const char *secret, struct scim_error *err);

/*
 * Store a record made by token_new() inside transaction t, refusing with
 * SCIM_E_CONFLICT when the tenant already has max_live live (active or
 * inactive, unexpired) tokens.  Records a "token.created" event (actor:
 * the record's created_by; cfg, for the audit hook, may be NULL).  The
 * stored copy's hash is sealed with the install's key (token_seal()).
 */
enum scim_err	 token_insert(struct store_txn *t, const cJSON *rec,
		    unsigned max_live, const struct scim_config *cfg,
		    struct scim_error *err);

/* The state of a record at time now (usec). */
enum token_state token_state(const cJSON *rec, int64_t now);
const char	*token_state_name(enum token_state st);	/* "Active", ... */

/* Live tokens (active or inactive, not expired) of tenant. */
enum scim_err	 token_count_live(struct store_txn *t, const char *tenant,
		    int64_t now, unsigned *n, struct scim_error *err);

/* "disable", "enable", "renew", "revoke", "delete" and back. */
const char	*token_action_name(enum token_action act);
bool		 token_action_parse(const char *s, enum token_action *act);

/*
 * Change rec in place as act does at time now, or refuse with
 * SCIM_E_CONFLICT and a detail saying why (disabling a disabled token,
 * enabling an expired one, anything but delete on a revoked one...).
 * TOKEN_DELETE changes nothing and always succeeds.  No store access.
 */
enum scim_err	 token_transition(cJSON *rec, enum token_action act,
		    int64_t now, int64_t ttl_sec, struct scim_error *err);

/*
 * Apply op inside t: read the token (SCIM_E_NOT_FOUND when absent or of
 * another tenant), token_transition(), enforce the live-token limit when
 * a renewal brings an expired token back, write (or delete) it and the
 * event.
 */
enum scim_err	 token_apply(struct store_txn *t, const struct token_op *op,
		    struct scim_error *err);

/*
 * Regenerate inside t: revoke old_id (of tenant, or any tenant when NULL)
 * and store newrec (made by token_new() before the transaction, for the
 * same tenant) in the same transaction, so a client never holds two live
 * tokens for long and never none.  newrec gets "replaces": old_id.
 * A revoked token cannot be regenerated (SCIM_E_CONFLICT).
 */
enum scim_err	 token_regenerate(struct store_txn *t, const char *tenant,
		    const char *old_id, cJSON *newrec, unsigned max_live,
		    const char *actor, const struct scim_config *cfg,
		    struct scim_error *err);

/*
 * Read token id into *out (caller deletes); SCIM_E_NOT_FOUND when absent
 * or not of tenant (NULL: any tenant).  The record includes the hash.
 */
enum scim_err	 token_get(struct store_txn *t, const char *tenant,
		    const char *id, cJSON **out, struct scim_error *err);

/*
 * A copy of rec fit to show: without the hash, with "status" (the state
 * name at now).  NULL on allocation failure; caller deletes.
 */
cJSON		*token_public(const cJSON *rec, int64_t now);

/*
 * The tokens of tenant (NULL: all), newest first, as token_public()
 * objects in a new array *out (caller deletes).
 */
enum scim_err	 token_list(struct store_txn *t, const char *tenant,
		    int64_t now, cJSON **out, struct scim_error *err);

/*
 * Reminders.  A threshold T (30, 14, 7 days) is due for a live token
 * when it expires within T days and its lifetime (from creation or the
 * last renewal) was longer than T days (7 is due whatever the lifetime):
 * so a 30-day token is reminded at 14 and 7 days, not on the day it was
 * made.  Returns the smallest due threshold, or 0 when none is.
 */
unsigned	 token_reminder_level(const cJSON *rec, int64_t now);

/* Was the reminder for threshold days sent since the last renewal? */
bool		 token_reminded(const cJSON *rec, unsigned days);

/* Record inside t that the reminder for threshold days went out. */
enum scim_err	 token_mark_reminded(struct store_txn *t,
		    const struct scim_config *cfg, const char *id,
		    unsigned days, struct scim_error *err);

/*
 * Check an Authorization header value ("Bearer <token>", scheme in any
 * case).  On success fills *auth.  Every failure is SCIM_E_UNAUTHORIZED
 * with a detail that never repeats the token, and that is the same for
 * an unknown id, a wrong secret and a token of no tenant; only a caller
 * who proved the secret learns that it is disabled, expired or revoked.
 * An old scrypt hash is rewritten in the keyed form once the secret
 * matches it.  Store trouble is SCIM_E_UNAVAILABLE.
 */
enum scim_err	 token_check(struct store *s, const char *authorization,
		    struct token_auth *auth, struct scim_error *err);

/*
 * The same check in two halves, so that a read-only handler can make
 * the store half inside its own transaction instead of a transaction of
 * its own (one transaction less per request).  token_check_start():
 * when this process has verified this very token before, fills *auth
 * from its cache and sets *pending: the token's record has not been
 * read yet, and the caller must call token_check_txn() inside the
 * transaction that serves the request (or token_check_finish()) and
 * answer its error.  Otherwise it runs token_check() (*pending false).
 * Revocation, disabling and expiry still take effect on the next request.
 */
enum scim_err	 token_check_start(struct store *s,
		    const char *authorization, struct token_auth *auth,
		    bool *pending, struct scim_error *err);

/*
 * Read the record of auth's token in t: SCIM_E_UNAUTHORIZED when it is
 * gone, not active, expired or of another tenant.  Writes nothing.
 */
enum scim_err	 token_check_txn(struct store_txn *t,
		    const struct token_auth *auth, struct scim_error *err);

/* token_check_txn() in a read transaction of its own. */
enum scim_err	 token_check_finish(struct store *s,
		    const struct token_auth *auth, struct scim_error *err);

/*
 * After a request made with a verified token: record its last use when
 * due (at most one write a minute per token and process).
 */
void		 token_touch(struct store *s, const struct token_auth *auth);

/* A refused bearer token, as the request showed it. */
struct token_refusal {
	const char	*authorization;	/* the header, or NULL: only the
					   public token id in it is kept */
	const char	*method;
	const char	*path;
	const char	*remote_addr;	/* or NULL */
	const char	*reason;	/* the refusal's detail */
};

/*
 * Record an "auth.failed" event for tr in its own transaction, at most
 * 20 a minute per process (a flood of bad tokens must not flood the
 * audit log).  Failures are logged, not returned: the request is
 * refused either way.
 */
void		 token_audit_refused(struct store *s,
		    const struct scim_config *cfg,
		    const struct token_refusal *tr);

/* Forget every cached verification (tests; after fork). */
void		 token_cache_clear(void);

/* How many scrypt verifications this process ran (tests, benchmark):
   only old, not yet rewritten hashes still cost one. */
uint64_t	 token_scrypt_count(void);

/* How many secrets this process checked in full, in any form (tests). */
uint64_t	 token_verify_count(void);

#endif /* SCIM_TOKEN_H */
