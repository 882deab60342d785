/*
 * The stored verifier of a token's secret, and this install's key for it.
 *
 * A secret is 256 random bits: nobody can guess it, so a slow hash adds
 * nothing but cost, and that cost is what an attacker who knows a token
 * id (it is in reminder mails, the audit log, hook events, the page)
 * could make every request pay.  So a secret is checked with a keyed
 * fast hash: the record's "hash" is
 *   "hmac$" hex(HMAC-SHA-256(key, SHA-256(secret)))
 * where key is 256 random bits made once per install, kept in meta.db
 * (TOKEN_KEY_META) beside tokens.db: a copy of tokens.db alone (a dump,
 * a backup of one file) lets nobody test guesses offline, and the
 * secrets' 256 bits make guessing hopeless anyway.  The check costs a
 * few microseconds whether the secret is right or wrong, as does the
 * dummy check of an unknown id (token_verify_dummy()).  Two other forms
 * are read:
 *   "sha256$" hex(SHA-256(secret)): a record made by token_new() and not
 *     stored yet (token_new() runs outside any transaction and cannot
 *     read the key); token_insert() seals it into the hmac form;
 *   "$s1$...": an scrypt MCF string, as every token made before this
 *     scheme: checked with scrypt once, then sealed (token-auth.c).
 */
#include <stdlib.h>
#include <string.h>

#include <libscrypt.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>

#include "base/json.h"
#include "base/lex.h"
#include "base/util.h"
#include "auth/token.h"
#include "auth/token-int.h"

#define HASH_HMAC	"hmac$"
#define HASH_PENDING	"sha256$"
#define TOKEN_KEY_META	"token_hmac_key"
#define HMAC_LEN	(5 + 2 * SHA256_DIGEST_SIZE)	/* "hmac$" + hex */
#define PENDING_LEN	(7 + 2 * SHA256_DIGEST_SIZE)	/* "sha256$" + hex */

static uint64_t		 scrypt_runs;	/* old hashes checked */
static uint64_t		 verify_runs;	/* secrets checked in full */

enum token_hash_form
token_hash_form(const cJSON *rec)
{
	const char	*h = json_str(rec, "hash");

	if (strncmp(h, HASH_HMAC, 5) == 0 && strlen(h) == HMAC_LEN)
		return TOKEN_HASH_HMAC;
	if (strncmp(h, HASH_PENDING, 7) == 0 && strlen(h) == PENDING_LEN)
		return TOKEN_HASH_PENDING;
	if (h[0] == '$')
		return TOKEN_HASH_SCRYPT;
	return TOKEN_HASH_BAD;
}

void
token_sha256(const char *s, uint8_t *digest)
{
	struct sha256_ctx	 sh;

	sha256_init(&sh);
	sha256_update(&sh, strlen(s), (const uint8_t *)s);
	sha256_digest(&sh, SHA256_DIGEST_SIZE, digest);
}

/* HMAC-SHA-256(key, d) as HASH_HMAC + hex into out (TOKEN_HASH_LEN + 1). */
static void
seal_digest(const uint8_t *key, const uint8_t *d, char *out)
{
	struct hmac_sha256_ctx	 hc;
	uint8_t			 mac[SHA256_DIGEST_SIZE];

	hmac_sha256_set_key(&hc, TOKEN_KEY_LEN, key);
	hmac_sha256_update(&hc, SHA256_DIGEST_SIZE, d);
	hmac_sha256_digest(&hc, sizeof(mac), mac);
	memcpy(out, HASH_HMAC, 5);
	util_hex(mac, sizeof(mac), out + 5);
	explicit_bzero(&hc, sizeof(hc));
}

/* The bytes of 2n hex digits at s into out; false when not hex. */
static bool
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = lex_hexval(s[2 * i])) < 0 ||
		    (lo = lex_hexval(s[2 * i + 1])) < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void
token_hash_pending(const char *secret, char *out)
{
	uint8_t	 d[SHA256_DIGEST_SIZE];

	token_sha256(secret, d);
	memcpy(out, HASH_PENDING, 7);
	util_hex(d, sizeof(d), out + 7);
	explicit_bzero(d, sizeof(d));
}

enum scim_err
token_key_get(struct store_txn *t, bool create, uint8_t *key,
    struct scim_error *err)
{
	char		 hex[2 * TOKEN_KEY_LEN + 2];
	enum scim_err	 rc;

	rc = store_meta_get(t, TOKEN_KEY_META, hex, sizeof(hex), err);
	if (rc == SCIM_E_NOT_FOUND && create) {
		if (!util_random(key, TOKEN_KEY_LEN))
			return scim_fail(err, SCIM_E_INTERNAL,
			    "no randomness");
		util_hex(key, TOKEN_KEY_LEN, hex);
		rc = store_meta_put(t, TOKEN_KEY_META, hex, err);
		explicit_bzero(hex, sizeof(hex));
		return rc;
	}
	if (rc != SCIM_OK)
		return rc;
	if (strlen(hex) != 2 * TOKEN_KEY_LEN ||
	    !unhex(hex, key, TOKEN_KEY_LEN))
		rc = scim_fail(err, SCIM_E_INTERNAL, "corrupt %s in meta.db",
		    TOKEN_KEY_META);
	explicit_bzero(hex, sizeof(hex));
	return rc;
}

bool
token_verify_keyed(const cJSON *rec, const char *secret, const uint8_t *key)
{
	const char	*h = json_str(rec, "hash");
	char		 want[TOKEN_HASH_LEN + 1];
	char		*copy;
	uint8_t		 d[SHA256_DIGEST_SIZE];
	bool		 ok;
	int		 r;

	verify_runs++;
	switch (token_hash_form(rec)) {
	case TOKEN_HASH_HMAC:
		/* Without the key, check something of the same cost. */
		token_sha256(secret, d);
		seal_digest(key ? key : d, d, want);
		ok = util_memeq_const(want, h, HMAC_LEN) && key != NULL;
		break;
	case TOKEN_HASH_PENDING:
		token_hash_pending(secret, want);
		ok = util_memeq_const(want, h, PENDING_LEN);
		break;
	case TOKEN_HASH_SCRYPT:
		/* libscrypt_check() writes into its argument: use a copy. */
		if ((copy = strdup(h)) == NULL)
			return false;
		scrypt_runs++;
		r = libscrypt_check(copy, secret);
		free(copy);
		return r > 0;
	default:
		return false;
	}
	explicit_bzero(d, sizeof(d));
	explicit_bzero(want, sizeof(want));
	return ok;
}

bool
token_verify_secret(const cJSON *rec, const char *secret)
{
	return token_verify_keyed(rec, secret, NULL);
}

void
token_verify_dummy(const char *secret, const uint8_t *key)
{
	uint8_t		 d[SHA256_DIGEST_SIZE];
	char		 want[TOKEN_HASH_LEN + 1];
	static volatile char sink;

	token_sha256(secret, d);
	seal_digest(key ? key : d, d, want);
	sink = (char)util_memeq_const(want, want + 1, HMAC_LEN - 1);
	(void)sink;
	explicit_bzero(d, sizeof(d));
}

enum scim_err
token_seal(struct store_txn *t, cJSON *rec, const char *secret,
    struct scim_error *err)
{
	uint8_t		 key[TOKEN_KEY_LEN], d[SHA256_DIGEST_SIZE];
	char		 out[TOKEN_HASH_LEN + 1];
	enum token_hash_form form = token_hash_form(rec);
	enum scim_err	 rc;

	if (form == TOKEN_HASH_PENDING)
		(void)unhex(json_str(rec, "hash") + 7, d, sizeof(d));
	else if (form == TOKEN_HASH_SCRYPT && secret != NULL)
		token_sha256(secret, d);
	else
		return SCIM_OK;
	if ((rc = token_key_get(t, true, key, err)) == SCIM_OK) {
		seal_digest(key, d, out);
		if (!json_set(rec, "hash", cJSON_CreateString(out)))
			rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	explicit_bzero(key, sizeof(key));
	explicit_bzero(d, sizeof(d));
	return rc;
}

uint64_t
token_scrypt_count(void)
{
	return scrypt_runs;
}

uint64_t
token_verify_count(void)
{
	return verify_runs;
}
