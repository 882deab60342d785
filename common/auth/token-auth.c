/*
 * The bearer check: an Authorization header to a verified token_auth,
 * secret first and state after (token.h says why and what it costs),
 * with the per-process cache of verified tokens, the halves a read-only handler
 * splits it into (token_check_start(), token_check_txn()), the token's
 * last use, and the audit record of a refused token.  The token
 * lifecycle is in token.c; the order in which a request runs these is
 * the service loop's (web/service.c, by route flags).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/sha2.h>

#include "audit/audit.h"
#include "base/json.h"
#include "base/log.h"
#include "auth/token.h"
#include "auth/token-int.h"
#include "base/util.h"

/* Per-process cache of verified tokens, keyed by token id. */
#define TOKEN_CACHE_SLOTS	32

struct token_cache_ent {
	char		 id[TOKEN_ID_HEX + 1];	/* "" = free */
	uint8_t		 digest[SHA256_DIGEST_SIZE]; /* cache_digest() */
	int64_t		 last_used;		/* newest value seen or written */
	char		 tenant[STORE_ID_MAX + 1]; /* the record's (never
						   changes for an id) */
	char		*raw;			/* record bytes last found
						   active, or NULL */
	size_t		 raw_len;
	int64_t		 expires;		/* of that record */
	uint64_t	 gen;			/* store_records_gen() then */
	bool		 gen_ok;
	int64_t		 gen_at;		/* when it was read */
};

static struct token_cache_ent	 token_cache[TOKEN_CACHE_SLOTS];
static unsigned			 token_cache_next;	/* round-robin victim */

/* --- the bearer check --- */

/*
 * The one answer to every failure before the secret is proven: an
 * unknown id and a wrong secret must not be told apart.
 */
#define CHECK_REFUSED	"the bearer token is not known or not valid"

struct check_ctx {
	const char	*id;
	bool		 want_key;	/* the secret is to be checked */
	cJSON		*rec;		/* out: the record, NULL if none */
	uint8_t		 key[TOKEN_KEY_LEN]; /* out: the install's key */
	bool		 have_key;	/* out: there is one */
};

/* Read the token's record (none is no error here) and the key if wanted. */
static enum scim_err
check_read(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct check_ctx	*cc = arg;
	enum scim_err		 rc;

	cJSON_Delete(cc->rec);
	cc->rec = NULL;
	rc = store_token_get(t, cc->id, &cc->rec, err);
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	if (!cc->want_key)
		return SCIM_OK;
	rc = token_key_get(t, false, cc->key, err);
	cc->have_key = rc == SCIM_OK;
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

struct seal_ctx {
	const char	*id;
	const char	*secret;	/* proven against old_hash */
	const char	*old_hash;
};

/*
 * Rewrite an scrypt-hashed token's hash in the keyed form, unless the
 * record changed hands meanwhile (regenerated, deleted: then nothing).
 */
static enum scim_err
check_seal(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct seal_ctx	*sc = arg;
	cJSON		*rec = NULL;
	enum scim_err	 rc;

	rc = store_token_get(t, sc->id, &rec, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (rc == SCIM_OK && strcmp(json_str(rec, "hash"), sc->old_hash) == 0 &&
	    (rc = token_seal(t, rec, sc->secret, err)) == SCIM_OK)
		rc = store_token_put(t, sc->id, rec, err);
	cJSON_Delete(rec);
	return rc;
}

struct touch_ctx {
	const char	*id;
	int64_t		 now;
};

static enum scim_err
check_touch(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct touch_ctx	*tc = arg;
	cJSON			*rec = NULL;
	enum scim_err		 rc;

	if ((rc = store_token_get(t, tc->id, &rec, err)) != SCIM_OK)
		return rc;
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "last_used");
	cJSON_AddNumberToObject(rec, "last_used", (double)tc->now);
	rc = store_token_put(t, tc->id, rec, err);
	cJSON_Delete(rec);
	return rc;
}

/*
 * The cache's digest of a parsed token (id and secret, lower-case hex as
 * token_parse() admits them): SHA-256 of their 40 bytes, one SHA-256
 * block where the token's 86 characters took two (a GET pays this on
 * every request).  Hex to bytes is one-to-one for those digits, so one
 * token has one digest.
 */
#define CACHE_NIBBLE(c)	((c) <= '9' ? (c) - '0' : (c) - 'a' + 10)

static void
cache_digest(const char *id, const char *secret, uint8_t *digest)
{
	uint8_t			 raw[(TOKEN_ID_HEX + TOKEN_SECRET_HEX) / 2];
	struct sha256_ctx	 sh;
	size_t			 i;

	/* Digits token_parse() checked: no lex_hexval() call for each. */
	for (i = 0; i < TOKEN_ID_HEX / 2; i++)
		raw[i] = (uint8_t)(CACHE_NIBBLE(id[2 * i]) << 4 |
		    CACHE_NIBBLE(id[2 * i + 1]));
	for (i = 0; i < TOKEN_SECRET_HEX / 2; i++)
		raw[TOKEN_ID_HEX / 2 + i] = (uint8_t)(CACHE_NIBBLE(
		    secret[2 * i]) << 4 | CACHE_NIBBLE(secret[2 * i + 1]));
	sha256_init(&sh);
	sha256_update(&sh, sizeof(raw), raw);
	sha256_digest(&sh, SHA256_DIGEST_SIZE, digest);
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(&sh, sizeof(sh));
}

static struct token_cache_ent *
cache_find(const char *id)
{
	unsigned	 i;

	for (i = 0; i < TOKEN_CACHE_SLOTS; i++)
		if (strcmp(token_cache[i].id, id) == 0)
			return &token_cache[i];
	return NULL;
}

/*
 * Split "Bearer <token>" into the token, its id and its secret; every
 * failure is SCIM_E_UNAUTHORIZED.
 */
static enum scim_err
check_header(const char *authorization, const char **tok, char *id,
    char *secret, struct scim_error *err)
{
	const char	*p;

	if (authorization == NULL || *authorization == '\0')
		return scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "an Authorization: Bearer token is required");
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "the Authorization header must use the Bearer scheme");
	for (p = authorization + 7; *p == ' '; p++)
		continue;
	if (!token_parse(p, id, secret))
		return scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "the bearer token is not a valid scim-fcgi token");
	*tok = p;
	return SCIM_OK;
}

/* Is the record usable at now?  SCIM_E_UNAUTHORIZED saying why not. */
static enum scim_err
check_state(const cJSON *rec, int64_t now, struct scim_error *err)
{
	switch (token_state(rec, now)) {
	case TOKEN_ACTIVE:
		return SCIM_OK;
	case TOKEN_INACTIVE:
		return scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "the bearer token is disabled");
	case TOKEN_EXPIRED:
		return scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "the bearer token has expired");
	default:
		return scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "the bearer token has been revoked");
	}
}

/* Write last_used when this process has not seen it within the minute. */
static void
touch_if_due(struct store *s, struct token_cache_ent *ce, int64_t now)
{
	struct touch_ctx	 tc;

	if (now - ce->last_used < TOKEN_LAST_USED_USEC)
		return;
	tc.id = ce->id;
	tc.now = now;
	ce->last_used = now;
	if (store_run(s, check_touch, &tc, NULL) != SCIM_OK)
		log_warn("token %s: could not record last use", ce->id);
}

/*
 * Is secret the one of cc's record?  Costs the same for an unknown id
 * (a dummy check) as for a wrong secret.  An old scrypt hash that
 * matches is rewritten in the keyed form, so it costs scrypt once.
 */
static bool
check_secret(struct store *s, struct check_ctx *cc, const char *secret)
{
	struct seal_ctx	 sc;
	const uint8_t	*key = cc->have_key ? cc->key : NULL;

	if (cc->rec == NULL) {
		token_verify_dummy(secret, key);
		return false;
	}
	/* No transaction is open here: an old scrypt hash holds no lock. */
	if (!token_verify_keyed(cc->rec, secret, key))
		return false;
	if (token_hash_form(cc->rec) == TOKEN_HASH_SCRYPT) {
		sc.id = cc->id;
		sc.secret = secret;
		sc.old_hash = json_str(cc->rec, "hash");
		if (store_run(s, check_seal, &sc, NULL) != SCIM_OK)
			log_warn("token %s: could not rewrite its hash", cc->id);
	}
	return true;
}

/* Take ce (or a free or the oldest slot) for token id of digest. */
static struct token_cache_ent *
cache_take(struct token_cache_ent *ce, const char *id, const uint8_t *digest)
{
	if (ce == NULL) {
		ce = &token_cache[token_cache_next];
		token_cache_next = (token_cache_next + 1) % TOKEN_CACHE_SLOTS;
	}
	free(ce->raw);
	ce->raw = NULL;
	ce->gen_ok = false;
	memcpy(ce->id, id, sizeof(ce->id));
	memcpy(ce->digest, digest, SHA256_DIGEST_SIZE);
	ce->last_used = 0;
	return ce;
}

enum scim_err
token_check(struct store *s, const char *authorization,
    struct token_auth *auth, struct scim_error *err)
{
	struct check_ctx	 cc;
	struct token_cache_ent	*ce;
	uint8_t			 digest[SHA256_DIGEST_SIZE];
	char			 id[TOKEN_ID_HEX + 1];
	char			 secret[TOKEN_SECRET_HEX + 1];
	const char		*tok, *tenant;
	int64_t			 now = util_now_usec(), lu;
	bool			 known;
	enum scim_err		 rc;

	memset(auth, 0, sizeof(*auth));
	memset(&cc, 0, sizeof(cc));
	if ((rc = check_header(authorization, &tok, id, secret, err)) !=
	    SCIM_OK)
		goto out;
	/* Seen and verified by this process: no need for the key. */
	cache_digest(id, secret, digest);
	ce = cache_find(id);
	known = ce != NULL &&
	    util_memeq_const(ce->digest, digest, sizeof(digest));
	cc.id = id;
	cc.want_key = !known;
	if ((rc = store_read(s, check_read, &cc, err)) != SCIM_OK)
		goto out;
	/* The secret first: the record's state is its holder's business. */
	if (!known && !check_secret(s, &cc, secret)) {
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED, CHECK_REFUSED);
		goto out;
	}
	if (cc.rec == NULL) {
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED, CHECK_REFUSED);
		goto out;
	}
	if ((rc = check_state(cc.rec, now, err)) != SCIM_OK)
		goto out;
	tenant = json_str(cc.rec, "tenant");
	if (strlen(tenant) > STORE_ID_MAX || *tenant == '\0') {
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED, "token has no tenant");
		goto out;
	}
	if (!known)
		ce = cache_take(ce, id, digest);
	strcpy(ce->tenant, tenant);
	strcpy(auth->tenant, tenant);
	strcpy(auth->token_id, id);
	if ((lu = json_int(cc.rec, "last_used")) > ce->last_used)
		ce->last_used = lu;
	/* Last used: at most one write a minute per token. */
	touch_if_due(s, ce, now);
	rc = SCIM_OK;
out:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(cc.key, sizeof(cc.key));
	cJSON_Delete(cc.rec);
	return rc;
}

enum scim_err
token_check_start(struct store *s, const char *authorization,
    struct token_auth *auth, bool *pending, struct scim_error *err)
{
	struct token_cache_ent	*ce;
	uint8_t			 digest[SHA256_DIGEST_SIZE];
	char			 id[TOKEN_ID_HEX + 1];
	char			 secret[TOKEN_SECRET_HEX + 1];
	const char		*tok;
	enum scim_err		 rc;

	*pending = false;
	memset(auth, 0, sizeof(*auth));
	rc = check_header(authorization, &tok, id, secret, err);
	if (rc == SCIM_OK)
		cache_digest(id, secret, digest);
	explicit_bzero(secret, sizeof(secret));
	if (rc != SCIM_OK)
		return rc;
	ce = cache_find(id);
	if (ce == NULL || ce->tenant[0] == '\0' ||
	    !util_memeq_const(ce->digest, digest, sizeof(digest)))
		return token_check(s, authorization, auth, err);
	strcpy(auth->tenant, ce->tenant);
	strcpy(auth->token_id, ce->id);
	*pending = true;
	return SCIM_OK;
}

/*
 * Can ce, the cache's entry for auth's token, be trusted without reading
 * the record?  Yes when no token record has been written since it was
 * found active (store_records_gen(), read within STORE_GEN_TRUST_USEC):
 * only expiry can differ.  Sets *gen and *settled for a read to come.
 * Needs no transaction: the generation is in the environment's memory.
 */
static bool
cache_trusted(struct store *s, const struct token_cache_ent *ce,
    const struct token_auth *auth, int64_t now, uint64_t *gen,
    bool *settled)
{
	*settled = store_records_gen(s, gen);
	return ce != NULL && ce->raw != NULL && ce->gen_ok && *settled &&
	    ce->gen == *gen && now - ce->gen_at < STORE_GEN_TRUST_USEC &&
	    ce->expires > now && strcmp(ce->tenant, auth->tenant) == 0;
}

enum scim_err
token_check_txn(struct store_txn *t, const struct token_auth *auth,
    struct scim_error *err)
{
	struct token_cache_ent	*ce = cache_find(auth->token_id);
	cJSON			*rec = NULL;
	char			*raw = NULL;
	size_t			 len;
	int64_t			 lu, now = util_now_usec();
	uint64_t		 gen;
	bool			 settled;
	enum scim_err		 rc;

	if (cache_trusted(store_txn_store(t), ce, auth, now, &gen, &settled))
		return SCIM_OK;
	rc = store_token_get_raw(t, auth->token_id, &raw, &len, err);
	if (rc == SCIM_E_NOT_FOUND)
		return scim_fail(err, SCIM_E_UNAUTHORIZED, CHECK_REFUSED);
	if (rc != SCIM_OK)
		return rc;
	/* The very bytes found active before: only expiry can differ. */
	if (ce != NULL && ce->raw != NULL && ce->raw_len == len &&
	    memcmp(ce->raw, raw, len) == 0 && ce->expires > now &&
	    strcmp(ce->tenant, auth->tenant) == 0) {
		ce->gen = gen;
		ce->gen_ok = settled;
		ce->gen_at = now;
		free(raw);
		return SCIM_OK;
	}
	if ((rec = cJSON_ParseWithLength(raw, len)) == NULL) {
		free(raw);
		return scim_fail(err, SCIM_E_INTERNAL, "corrupt token record");
	}
	if ((rc = check_state(rec, now, err)) == SCIM_OK &&
	    strcmp(json_str(rec, "tenant"), auth->tenant) != 0)
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "the bearer token is not valid");
	if (rc == SCIM_OK && ce != NULL) {
		/* Another process may have written last_used. */
		if ((lu = json_int(rec, "last_used")) > ce->last_used)
			ce->last_used = lu;
		free(ce->raw);
		ce->raw = raw;
		ce->raw_len = len;
		ce->expires = json_int(rec, "expires");
		ce->gen = gen;
		ce->gen_ok = settled;
		ce->gen_at = now;
		raw = NULL;
	}
	free(raw);
	cJSON_Delete(rec);
	return rc;
}

static enum scim_err
check_txn_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return token_check_txn(t, arg, err);
}

enum scim_err
token_check_finish(struct store *s, const struct token_auth *auth,
    struct scim_error *err)
{
	uint64_t	 gen;
	bool		 settled;

	/*
	 * What token_check_txn() would find first, without a transaction
	 * to find it in: a write (POST, PATCH) then runs one transaction,
	 * not a read one for its token and its own.
	 */
	if (cache_trusted(s, cache_find(auth->token_id), auth, util_now_usec(),
	    &gen, &settled))
		return SCIM_OK;
	return store_read(s, check_txn_fn, (void *)auth, err);
}

void
token_touch(struct store *s, const struct token_auth *auth)
{
	struct token_cache_ent	*ce;

	if (auth->token_id[0] != '\0' &&
	    (ce = cache_find(auth->token_id)) != NULL)
		touch_if_due(s, ce, util_now_usec());
}

void
token_cache_clear(void)
{
	unsigned	 i;

	for (i = 0; i < TOKEN_CACHE_SLOTS; i++)
		free(token_cache[i].raw);
	memset(token_cache, 0, sizeof(token_cache));
	token_cache_next = 0;
}

/* --- refused tokens --- */

/*
 * At most TOKEN_REFUSALS_PER_MIN auth.failed events per process a
 * minute, so a flood of bad tokens cannot flood the audit log.
 */
#define TOKEN_REFUSALS_PER_MIN	20

struct refusal_ctx {
	const struct scim_config	*cfg;
	const struct token_refusal	*tr;
};

static enum scim_err
refusal_record(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct refusal_ctx		*rctx = arg;
	const struct token_refusal	*tr = rctx->tr;
	struct audit_event		 ev;
	const char			*a = tr->authorization, *p;
	char				 tid[TOKEN_ID_HEX + 1] = "";
	cJSON				*d;
	enum scim_err			 rc;

	/* The public token id, when the header holds something like one. */
	if (a != NULL && (p = strstr(a, TOKEN_PREFIX)) != NULL &&
	    strspn(p + 5, "0123456789abcdef") >= TOKEN_ID_HEX) {
		memcpy(tid, p + 5, TOKEN_ID_HEX);
		tid[TOKEN_ID_HEX] = '\0';
	}
	if ((d = cJSON_CreateObject()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	cJSON_AddStringToObject(d, "reason", tr->reason);
	cJSON_AddStringToObject(d, "method", tr->method);
	cJSON_AddStringToObject(d, "path", tr->path);
	if (tr->remote_addr != NULL)
		cJSON_AddStringToObject(d, "remote_addr", tr->remote_addr);
	memset(&ev, 0, sizeof(ev));
	ev.type = "auth.failed";
	ev.tenant = "";
	ev.actor = tid[0] ? "token" : "anonymous";
	ev.target_id = tid[0] ? tid : NULL;
	ev.failure = true;
	ev.details = d;
	rc = audit_record(t, rctx->cfg, &ev, err);
	cJSON_Delete(d);
	return rc;
}

void
token_audit_refused(struct store *s, const struct scim_config *cfg,
    const struct token_refusal *tr)
{
	static int64_t		 window;
	static unsigned		 count;
	struct refusal_ctx	 rc = { cfg, tr };
	int64_t			 now = util_now_usec();

	if (now - window > 60LL * 1000000) {
		window = now;
		count = 0;
	}
	if (++count > TOKEN_REFUSALS_PER_MIN)
		return;
	if (store_run(s, refusal_record, &rc, NULL) != SCIM_OK)
		log_warn("could not record auth.failed");
}
