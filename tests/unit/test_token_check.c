/*
 * Secret Tokens against a real Berkeley DB environment in a temporary
 * directory: the live-token limit with regeneration, expiry and renewal,
 * the lifecycle's events and listing with tenant scoping; the cached
 * bearer check (revocation, disabling and expiry seen at once despite
 * the cache), the check in two halves around the caller's transaction,
 * the secret checked before the state at one cost, and an old scrypt
 * hash upgraded on first use.
 */
#include "token_fixture.h"
/* --- against a store --- */

struct ins {
	cJSON		*rec;
	const char	*tenant;
	const char	*id;
	struct token_op	 op;
	unsigned	 n;
	cJSON		*out;
};

static enum scim_err
ins_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return token_insert(t, ((struct ins *)arg)->rec, cfg.max_live_tokens,
	    &cfg, err);
}

static enum scim_err
apply_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return token_apply(t, &((struct ins *)arg)->op, err);
}

static enum scim_err
regen_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	return token_regenerate(t, a->tenant, a->id, a->rec,
	    cfg.max_live_tokens, "test", &cfg, err);
}

static enum scim_err
count_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	return token_count_live(t, a->tenant, util_now_usec(), &a->n, err);
}

static enum scim_err
list_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	cJSON_Delete(a->out);
	a->out = NULL;
	return token_list(t, a->tenant, util_now_usec(), &a->out, err);
}

/* Make and store a token; its string into tok; its id returned (static). */
static enum scim_err
make(struct store *s, const char *tenant, int64_t ttl, char *tok,
    struct scim_error *err)
{
	struct ins	 a;
	enum scim_err	 rc;

	memset(&a, 0, sizeof(a));
	rc = token_new_ttl(&cfg, tenant, "lbl", ttl, "test", tok, &a.rec, err);
	if (rc == SCIM_OK)
		rc = store_run(s, ins_fn, &a, err);
	cJSON_Delete(a.rec);
	return rc;
}

static enum scim_err
apply(struct store *s, const char *tenant, const char *tok,
    enum token_action act, struct scim_error *err)
{
	struct ins	 a;
	char		 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];

	memset(&a, 0, sizeof(a));
	if (!token_parse(tok, id, sec))
		return SCIM_E_INTERNAL;
	a.op.tenant = tenant;
	a.op.id = id;
	a.op.act = act;
	a.op.ttl_sec = 90 * 86400;
	a.op.max_live = cfg.max_live_tokens;
	a.op.actor = "test";
	return store_run(s, apply_fn, &a, err);
}

static unsigned
live(struct store *s, const char *tenant)
{
	struct ins		 a;
	struct scim_error	 err;

	memset(&a, 0, sizeof(a));
	a.tenant = tenant;
	if (store_read(s, count_fn, &a, &err) != SCIM_OK)
		return 999;
	return a.n;
}

/*
 * The tokens the test_limit_* steps pass on, in order: each step starts
 * from the tenant "lim" as the one before left it.
 */
static char	 t1[TOKEN_LEN + 1], t2[TOKEN_LEN + 1], t3[TOKEN_LEN + 1];
static char	 t4[TOKEN_LEN + 1], t5[TOKEN_LEN + 1];

/* Two live tokens a tenant; a disabled one still counts. */
static void
test_limit_live(struct store *s)
{
	struct scim_error	 err;

	is_int(make(s, "lim", 90 * 86400, t1, &err), SCIM_OK, "first token");
	is_int(make(s, "lim", 90 * 86400, t2, &err), SCIM_OK, "second token");
	is_int(live(s, "lim"), 2, "two live tokens");
	is_int(make(s, "lim", 90 * 86400, t3, &err), SCIM_E_CONFLICT,
	    "the third is refused");
	ok(strstr(err.detail, "the limit is 2") != NULL,
	    "with a message naming the limit");
	printf("# %s\n", err.detail);
	is_int(make(s, "other", 90 * 86400, t3, &err), SCIM_OK,
	    "another tenant has its own limit");
	is_int(apply(s, "lim", t1, TOKEN_DISABLE, &err), SCIM_OK, "disable one");
	is_int(live(s, "lim"), 2, "a disabled token still counts as live");
	is_int(make(s, "lim", 90 * 86400, t3, &err), SCIM_E_CONFLICT,
	    "so the third is still refused");
}

/* Regenerate at the limit: the old one is revoked in the same txn. */
static void
test_limit_regenerate(struct store *s)
{
	struct scim_error	 err;
	struct ins		 a;
	char			 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];

	memset(&a, 0, sizeof(a));
	token_parse(t2, id, sec);
	a.tenant = "lim";
	a.id = id;
	is_int(token_new(&cfg, "lim", "", 30, "test", t4, &a.rec, &err),
	    SCIM_OK, "a token for regenerate");
	is_int(store_run(s, regen_fn, &a, &err), SCIM_OK,
	    "regenerate works at the limit");
	is_str(cJSON_GetObjectItem(a.rec, "replaces")->valuestring, id,
	    "the new token names the one it replaces");
	is_str(cJSON_GetObjectItem(a.rec, "label")->valuestring, "lbl",
	    "and takes over its label");
	cJSON_Delete(a.rec);
	is_int(live(s, "lim"), 2, "still two live tokens");
	a.rec = NULL;
	is_int(token_new(&cfg, "lim", "", 30, "test", t5, &a.rec, &err),
	    SCIM_OK, "another token for regenerate");
	is_int(store_run(s, regen_fn, &a, &err), SCIM_E_CONFLICT,
	    "a revoked token cannot be regenerated");
	cJSON_Delete(a.rec);
	is_int(apply(s, "lim", t1, TOKEN_REVOKE, &err), SCIM_OK,
	    "revoke one");
	is_int(live(s, "lim"), 1, "revoked tokens do not count");
}

/* An expired token does not count; renewing it must respect the limit. */
static void
test_limit_expired(struct store *s)
{
	struct scim_error	 err;

	is_int(make(s, "lim", 1, t3, &err), SCIM_OK, "a one-second token");
	is_int(live(s, "lim"), 2, "counts while it lives");
	sleep(2);
	is_int(live(s, "lim"), 1, "no longer once expired");
	is_int(make(s, "lim", 90 * 86400, t5, &err), SCIM_OK,
	    "so a new one fits");
	is_int(apply(s, "lim", t3, TOKEN_RENEW, &err), SCIM_E_CONFLICT,
	    "renewing the expired one would exceed the limit: refused");
	is_int(apply(s, "lim", t5, TOKEN_DELETE, &err), SCIM_OK, "delete one");
	is_int(apply(s, "lim", t3, TOKEN_RENEW, &err), SCIM_OK,
	    "now the expired token can be renewed");
	is_int(live(s, "lim"), 2, "and is live again");
	is_int(apply(s, "other", t3, TOKEN_REVOKE, &err), SCIM_E_NOT_FOUND,
	    "another tenant cannot touch it");
	is_int(apply(s, NULL, t3, TOKEN_DISABLE, &err), SCIM_OK,
	    "the command line (any tenant) can");
	is_int(apply(s, "lim", t5, TOKEN_DELETE, &err), SCIM_E_NOT_FOUND,
	    "a deleted token is gone");
}

/* Every change above left an event without the token; the listing. */
static void
test_limit_events(struct store *s)
{
	struct scim_error	 err;
	struct ins		 a;
	char			*txt;
	struct audit_query	 q;

	memset(&a, 0, sizeof(a));
	memset(&q, 0, sizeof(q));
	q.tenant = "lim";
	q.limit = 50;
	is_int(audit_query(s, &q, &a.out, &err), SCIM_OK, "read the events");
	ok(cJSON_GetArraySize(a.out) >= 10, "every change left an event");
	is_str(cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0),
	    "type")->valuestring, "token.disabled", "newest first");
	is_str(cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0),
	    "category")->valuestring, "tokens", "in the tokens category");
	is_str(cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 1),
	    "type")->valuestring, "token.renewed", "then the renewal");
	a.tenant = "lim";
	txt = cJSON_PrintUnformatted(a.out);
	ok(txt != NULL && strstr(txt, "scim_") == NULL,
	    "events hold no token");
	free(txt);
	cJSON_Delete(a.out);
	a.out = NULL;
	is_int(store_read(s, list_fn, &a, &err), SCIM_OK, "list the tenant");
	is_int(cJSON_GetArraySize(a.out), 4, "four tokens left in it (two revoked)");
	ok(cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0), "hash") == NULL &&
	    cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0), "status") != NULL,
	    "listed tokens carry a status and no hash");
	ok(cJSON_GetArrayItem(a.out, 0)->next == NULL ||
	    cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0),
	    "created")->valuedouble >= cJSON_GetObjectItem(cJSON_GetArrayItem(
	    a.out, 1), "created")->valuedouble, "newest first");
	cJSON_Delete(a.out);
}

static enum scim_err
show_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	cJSON_Delete(a->out);
	a->out = NULL;
	return token_get(t, NULL, a->id, &a->out, err);
}

/* The stored last_used of token tok (usec), or -1. */
static int64_t
last_used(struct store *s, const char *tok)
{
	struct ins		 a;
	struct scim_error	 err;
	char			 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];
	int64_t			 v = -1;

	memset(&a, 0, sizeof(a));
	if (!token_parse(tok, id, sec))
		return -1;
	a.id = id;
	if (store_read(s, show_fn, &a, &err) == SCIM_OK)
		v = (int64_t)cJSON_GetObjectItem(a.out, "last_used")->valuedouble;
	cJSON_Delete(a.out);
	return v;
}

/* A token as a client sends it, right and wrong. */
struct bearer {
	char	 tok[TOKEN_LEN + 1];	/* the token */
	char	 hdr[TOKEN_LEN + 16];	/* its Authorization header */
	char	 bad[TOKEN_LEN + 16];	/* hdr with a wrong secret */
};

/* Fill b's headers from b->tok. */
static void
bearer_headers(struct bearer *b)
{
	size_t	 last;

	snprintf(b->hdr, sizeof(b->hdr), "Bearer %s", b->tok);
	snprintf(b->bad, sizeof(b->bad), "%s", b->hdr);
	last = strlen(b->bad) - 1;
	b->bad[last] = b->bad[last] == '0' ? '1' : '0';
}

/* make() a token of tenant for ttl seconds into b, with its headers. */
static enum scim_err
make_bearer(struct store *s, const char *tenant, int64_t ttl,
    struct bearer *b, struct scim_error *err)
{
	enum scim_err	 rc;

	memset(b, 0, sizeof(*b));
	if ((rc = make(s, tenant, ttl, b->tok, err)) == SCIM_OK)
		bearer_headers(b);
	return rc;
}

static void
test_check(struct store *s)
{
	struct scim_error	 err;
	struct token_auth	 au;
	struct bearer		 b;
	char			 loose[TOKEN_LEN + 16];
	struct store_stats	 st0, st1;
	uint64_t		 n0;

	token_cache_clear();
	is_int(make_bearer(s, "chk", 90 * 86400, &b, &err), SCIM_OK,
	    "a token");
	n0 = token_verify_count();
	is_int(token_check(s, b.hdr, &au, &err), SCIM_OK, "it is accepted");
	is_str(au.tenant, "chk", "for its tenant");
	is_int(token_verify_count() - n0, 1, "after one full check");
	store_stats(s, &st0);
	is_int(token_check(s, b.hdr, &au, &err), SCIM_OK, "accepted again");
	store_stats(s, &st1);
	is_int((long long)(st1.puts - st0.puts), 0,
	    "last use is not written again within the minute");
	is_int(last_used(s, b.tok) > 0, 1, "the first use was recorded");
	snprintf(loose, sizeof(loose), "bearer  %s", b.tok);
	is_int(token_check(s, loose, &au, &err), SCIM_OK,
	    "the scheme in any case, extra spaces");
	is_int(token_verify_count() - n0, 1, "from the cache: no more checks");
	/* A wrong secret for a cached id is checked in full. */
	is_int(token_check(s, b.bad, &au, &err), SCIM_E_UNAUTHORIZED,
	    "a wrong secret with a known id is refused");
	is_int(token_verify_count() - n0, 2, "after its own check");
	is_int(token_check(s, b.hdr, &au, &err), SCIM_OK,
	    "the right one is still cached");
	is_int(token_verify_count() - n0, 2, "no check for it");
	is_int(apply(s, NULL, b.tok, TOKEN_DISABLE, &err), SCIM_OK,
	    "disable it");
	is_int(token_check(s, b.hdr, &au, &err), SCIM_E_UNAUTHORIZED,
	    "disabled: refused at once despite the cache");
	ok(strstr(err.detail, "disabled") != NULL, "saying it is disabled");
	is_int(apply(s, NULL, b.tok, TOKEN_ENABLE, &err), SCIM_OK, "enable it");
	is_int(token_check(s, b.hdr, &au, &err), SCIM_OK, "accepted again");
	is_int(apply(s, NULL, b.tok, TOKEN_REVOKE, &err), SCIM_OK, "revoke it");
	is_int(token_check(s, b.hdr, &au, &err), SCIM_E_UNAUTHORIZED,
	    "revoked: refused at once despite the cache");
	ok(strstr(err.detail, "revoked") != NULL, "saying it is revoked");
	is_int(make_bearer(s, "chk", 1, &b, &err), SCIM_OK,
	    "a one-second token");
	is_int(token_check(s, b.hdr, &au, &err), SCIM_OK,
	    "accepted while valid");
	sleep(2);
	is_int(token_check(s, b.hdr, &au, &err), SCIM_E_UNAUTHORIZED,
	    "expired: refused despite the cache");
	ok(strstr(err.detail, "expired") != NULL, "saying it has expired");
	is_int(token_check(s, NULL, &au, &err), SCIM_E_UNAUTHORIZED,
	    "no header");
	is_int(token_check(s, "Basic YTpi", &au, &err), SCIM_E_UNAUTHORIZED,
	    "another scheme");
	is_int(token_check(s, "Bearer scim_0123456789abcdef_"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    &au, &err), SCIM_E_UNAUTHORIZED, "an unknown id");
}

/* --- the bearer check in two halves --- */

struct half {
	struct token_auth	 auth;
};

static enum scim_err
half_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return token_check_txn(t, &((struct half *)arg)->auth, err);
}

static void
test_check_halves(struct store *s)
{
	struct scim_error	 err;
	struct half		 h;
	struct token_auth	 a2;
	struct bearer		 b;
	char			 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];
	bool			 pending = true;
	uint64_t		 runs;

	token_cache_clear();
	is_int(make_bearer(s, "halves", 90 * 86400, &b, &err), SCIM_OK,
	    "a token");
	token_parse(b.tok, id, sec);
	runs = token_verify_count();
	memset(&h, 0, sizeof(h));
	is_int(token_check_start(s, b.hdr, &h.auth, &pending, &err), SCIM_OK,
	    "start: an uncached token is checked in full");
	ok(!pending, "nothing left pending");
	is_int((long long)(token_verify_count() - runs), 1, "checked in full");
	is_int(token_check_start(s, b.hdr, &h.auth, &pending, &err), SCIM_OK,
	    "start: now from the cache");
	ok(pending, "the record is still to be read");
	is_str(h.auth.tenant, "halves", "the tenant comes from the cache");
	is_str(h.auth.token_id, id, "and the token id");
	is_int((long long)(token_verify_count() - runs), 1, "no more checks");
	is_int(store_read(s, half_fn, &h, &err), SCIM_OK,
	    "the record read in the caller's transaction: good");
	is_int(token_check_finish(s, &h.auth, &err), SCIM_OK,
	    "or in one of its own");
	/* Same id, wrong secret: never taken from the cache. */
	is_int(token_check_start(s, b.bad, &a2, &pending, &err),
	    SCIM_E_UNAUTHORIZED, "a wrong secret for a cached id is refused");
	ok(!pending && a2.tenant[0] == '\0', "and vouches for no tenant");
	is_int(apply(s, "halves", b.tok, TOKEN_DISABLE, &err), SCIM_OK,
	    "disable it");
	is_int(token_check_start(s, b.hdr, &h.auth, &pending, &err), SCIM_OK,
	    "start still answers from the cache");
	is_int(store_read(s, half_fn, &h, &err), SCIM_E_UNAUTHORIZED,
	    "but the read in the transaction refuses it");
	ok(strstr(err.detail, "disabled") != NULL, "saying it is disabled");
	is_int(apply(s, "halves", b.tok, TOKEN_REVOKE, &err), SCIM_OK,
	    "revoke it");
	is_int(token_check_finish(s, &h.auth, &err), SCIM_E_UNAUTHORIZED,
	    "revoked: refused");
	ok(strstr(err.detail, "revoked") != NULL, "saying it is revoked");
	is_int(apply(s, "halves", b.tok, TOKEN_DELETE, &err), SCIM_OK,
	    "delete it");
	is_int(token_check_finish(s, &h.auth, &err), SCIM_E_UNAUTHORIZED,
	    "deleted: refused");
	/* A tenant that does not match the record (a forged auth). */
	is_int(make_bearer(s, "halves2", 90 * 86400, &b, &err), SCIM_OK,
	    "another token");
	is_int(token_check_start(s, b.hdr, &h.auth, &pending, &err), SCIM_OK,
	    "checked");
	strcpy(h.auth.tenant, "halves");
	is_int(token_check_finish(s, &h.auth, &err), SCIM_E_UNAUTHORIZED,
	    "a record of another tenant is refused");
}

/* --- the secret before the state, at one cost (hardening) --- */

/* n token_check()s of hdr, every one refused. */
static void
refuse_n(struct store *s, const char *hdr, int n)
{
	struct scim_error	 err;
	struct token_auth	 au;
	int			 i, refused = 0;

	for (i = 0; i < n; i++)
		refused += token_check(s, hdr, &au, &err) ==
		    SCIM_E_UNAUTHORIZED;
	is_int(refused, n, "every check refused");
}

/*
 * Knowing a token's id must buy nothing: a wrong secret on a known id
 * runs no scrypt, as an unknown id runs none (it cost a full scrypt), and is
 * refused in the same words whatever the token's state (they said
 * "disabled", "revoked", "expired" without the secret).
 */
static void
test_secret_first(struct store *s)
{
	struct scim_error	 err;
	struct token_auth	 au;
	struct bearer		 b;
	char			 unknown_detail[sizeof(err.detail)];
	uint64_t		 runs;
	static const struct {
		enum token_action	 act;
		const char		*word;
	} states[] = {
		{ TOKEN_DISABLE, "disabled" },
		{ TOKEN_REVOKE, "revoked" },
	};
	size_t			 i;

	token_cache_clear();
	is_int(make_bearer(s, "first", 90 * 86400, &b, &err), SCIM_OK,
	    "a token");
	is_int(token_check(s, b.hdr, &au, &err), SCIM_OK, "it is accepted");
	runs = token_scrypt_count();
	/*
	 * Counted, not timed: the expensive step is scrypt, and a wrong
	 * secret on a known id must run none, as an unknown id runs none.
	 */
	refuse_n(s, b.bad, 20);
	refuse_n(s, "Bearer scim_0123456789abcdef_"
	    "0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef", 20);
	is_int((long long)(token_scrypt_count() - runs), 0,
	    "and runs no scrypt");
	is_int(token_check(s, "Bearer scim_0123456789abcdef_"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    &au, &err), SCIM_E_UNAUTHORIZED, "an unknown id is refused");
	snprintf(unknown_detail, sizeof(unknown_detail), "%s", err.detail);
	is_int(token_check(s, b.bad, &au, &err), SCIM_E_UNAUTHORIZED,
	    "a wrong secret is refused");
	is_str(err.detail, unknown_detail, "in the same words");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		is_int(apply(s, NULL, b.tok, states[i].act, &err), SCIM_OK,
		    states[i].word);
		is_int(token_check(s, b.bad, &au, &err), SCIM_E_UNAUTHORIZED,
		    "a wrong secret is refused");
		is_str(err.detail, unknown_detail,
		    "without telling the token's state");
		is_int(token_check(s, b.hdr, &au, &err), SCIM_E_UNAUTHORIZED,
		    "the right secret is refused too");
		ok(strstr(err.detail, states[i].word) != NULL,
		    "and its holder is told why");
	}
	is_int(make_bearer(s, "first", 1, &b, &err), SCIM_OK,
	    "a one-second token");
	sleep(2);
	is_int(token_check(s, b.bad, &au, &err), SCIM_E_UNAUTHORIZED,
	    "expired, wrong secret: refused");
	is_str(err.detail, unknown_detail, "without saying it expired");
	is_int(token_check(s, b.hdr, &au, &err), SCIM_E_UNAUTHORIZED,
	    "expired, right secret: refused");
	ok(strstr(err.detail, "expired") != NULL, "saying it expired");
}

static enum scim_err
put_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	return store_token_put(t, a->id, a->rec, err);
}

/*
 * A token made before the keyed hash (an scrypt MCF hash) keeps working;
 * the first request that proves its secret rewrites the hash, and from
 * then on nothing costs scrypt.
 */
static void
test_old_hash_upgraded(struct store *s)
{
	struct scim_error	 err;
	struct token_auth	 au;
	struct ins		 a;
	struct bearer		 b;
	char			 mcf[SCRYPT_MCF_LEN];
	char			 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];
	uint64_t		 runs;

	token_cache_clear();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	is_int(token_new(&cfg, "old", "x", 90, "test", b.tok, &a.rec, &err),
	    SCIM_OK, "a token");
	token_parse(b.tok, id, sec);
	ok(libscrypt_hash(mcf, sec, 1024, 8, 1) != 0, "its scrypt hash");
	cJSON_ReplaceItemInObject(a.rec, "hash", cJSON_CreateString(mcf));
	a.id = id;
	is_int(store_run(s, put_fn, &a, &err), SCIM_OK,
	    "stored as an old release stored it");
	cJSON_Delete(a.rec);
	a.rec = NULL;
	bearer_headers(&b);
	runs = token_scrypt_count();
	is_int(token_check(s, b.hdr, &au, &err), SCIM_OK, "it is accepted");
	is_str(au.tenant, "old", "for its tenant");
	is_int((long long)(token_scrypt_count() - runs), 1, "with scrypt");
	is_int(store_read(s, show_fn, &a, &err), SCIM_OK, "read it back");
	ok(strncmp(json_str(a.out, "hash"), "hmac$", 5) == 0,
	    "its hash is now the keyed one");
	token_cache_clear();
	is_int(token_check(s, b.hdr, &au, &err), SCIM_OK,
	    "accepted by a process that never saw it");
	is_int(token_check(s, b.bad, &au, &err), SCIM_E_UNAUTHORIZED,
	    "a wrong secret is refused");
	is_int((long long)(token_scrypt_count() - runs), 1,
	    "neither ran scrypt");
	cJSON_Delete(a.out);
}

int
main(void)
{
	struct tmp_store	 ts;
	struct store		*s;

	if (!token_fixture_open(&ts, "token-check"))
		goto out;
	s = ts.s;
	test_limit_live(s);
	test_limit_regenerate(s);
	test_limit_expired(s);
	test_limit_events(s);
	test_check(s);
	test_check_halves(s);
	test_secret_first(s);
	test_old_hash_upgraded(s);
out:
	tmp_store_done(&ts);
	return tap_done();
}
