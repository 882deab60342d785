/*
 * The one-time slot of an admin session: a message and a new token shown
 * once, on the next page, then gone.  The token is stored encrypted under
 * a keystream derived from the session id, which only the browser holds,
 * so the store alone never has it in the clear.
 */
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "base/lex.h"
#include "auth/admin.h"
#include "auth/admin-int.h"
#include "audit/audit.h"
#include "base/json.h"
#include "base/log.h"
#include "auth/token.h"
#include "base/util.h"

#define FLASH_NONCE	16

/* --- the one-time slot --- */

/*
 * XOR buf with a keystream of SHA-256(label, sid, nonce, block number):
 * the key is the session id, which only the browser holds.
 */
static void
flash_xor(const char *sid, const uint8_t *nonce, uint8_t *buf, size_t n)
{
	static const char	 label[] = "scim-tokens flash v1";
	struct sha256_ctx	 sh;
	uint8_t			 ks[SHA256_DIGEST_SIZE], blk;
	size_t			 off, i;

	for (off = 0, blk = 0; off < n; off += sizeof(ks), blk++) {
		sha256_init(&sh);
		sha256_update(&sh, sizeof(label), (const uint8_t *)label);
		sha256_update(&sh, strlen(sid), (const uint8_t *)sid);
		sha256_update(&sh, FLASH_NONCE, nonce);
		sha256_update(&sh, 1, &blk);
		sha256_digest(&sh, sizeof(ks), ks);
		for (i = 0; i < sizeof(ks) && off + i < n; i++)
			buf[off + i] ^= ks[i];
	}
	explicit_bzero(ks, sizeof(ks));
}

struct flash_ctx {
	const char	*key;
	const char	*msg;		/* put */
	const char	*secret_hex;	/* put: nonce + ciphertext */
	char		*msg_out;	/* take */
	char		*secret_out;	/* take: still encrypted (hex) */
};

static enum scim_err
flash_put_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct flash_ctx	*fc = arg;
	cJSON			*r = NULL;
	enum scim_err		 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_SESSION, fc->key, &r, err);
	if (rc != SCIM_OK)
		return rc;
	if ((fc->msg != NULL && !json_set(r, "flash",
	    cJSON_CreateString(fc->msg))) ||
	    (fc->secret_hex != NULL && !json_set(r, "secret",
	    cJSON_CreateString(fc->secret_hex))))
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	else
		rc = store_kv_put(t, ADMIN_KV_TENANT, SP_SESSION, fc->key, r,
		    err);
	cJSON_Delete(r);
	return rc;
}

enum scim_err
admin_flash_put(struct store *s, const struct admin_session *sess,
    const char *msg, const char *secret, struct scim_error *err)
{
	struct flash_ctx	 fc;
	uint8_t			*buf = NULL;
	char			*hex = NULL;
	size_t			 n;
	enum scim_err		 rc;

	memset(&fc, 0, sizeof(fc));
	fc.key = sess->key;
	fc.msg = msg;
	if (secret != NULL) {
		n = strlen(secret);
		if ((buf = malloc(FLASH_NONCE + n)) == NULL ||
		    (hex = malloc(2 * (FLASH_NONCE + n) + 1)) == NULL) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
			goto out;
		}
		if (!util_random(buf, FLASH_NONCE)) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "no randomness");
			goto out;
		}
		memcpy(buf + FLASH_NONCE, secret, n);
		flash_xor(sess->sid, buf, buf + FLASH_NONCE, n);
		util_hex(buf, FLASH_NONCE + n, hex);
		fc.secret_hex = hex;
	}
	rc = store_run(s, flash_put_fn, &fc, err);
out:
	if (buf != NULL)
		explicit_bzero(buf, FLASH_NONCE + (secret ? strlen(secret) : 0));
	free(buf);
	free(hex);
	return rc;
}

static enum scim_err
flash_take_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct flash_ctx	*fc = arg;
	cJSON			*r = NULL;
	enum scim_err		 rc;

	free(fc->msg_out);
	free(fc->secret_out);
	fc->msg_out = fc->secret_out = NULL;
	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_SESSION, fc->key, &r, err);
	if (rc != SCIM_OK)
		return rc;
	if (*json_str(r, "flash") != '\0' &&
	    (fc->msg_out = strdup(json_str(r, "flash"))) == NULL)
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if (rc == SCIM_OK && *json_str(r, "secret") != '\0' &&
	    (fc->secret_out = strdup(json_str(r, "secret"))) == NULL)
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if (rc == SCIM_OK) {
		cJSON_DeleteItemFromObjectCaseSensitive(r, "flash");
		cJSON_DeleteItemFromObjectCaseSensitive(r, "secret");
		rc = store_kv_put(t, ADMIN_KV_TENANT, SP_SESSION, fc->key, r,
		    err);
	}
	cJSON_Delete(r);
	return rc;
}

enum scim_err
admin_flash_take(struct store *s, const struct admin_session *sess,
    char **msg, char **secret, struct scim_error *err)
{
	struct flash_ctx	 fc;
	uint8_t			*buf = NULL;
	char			 id[TOKEN_ID_HEX + 1];
	char			 sec[TOKEN_SECRET_HEX + 1];
	size_t			 n = 0, i;
	enum scim_err		 rc;
	int			 hi, lo;

	*msg = *secret = NULL;
	memset(&fc, 0, sizeof(fc));
	fc.key = sess->key;
	if ((rc = store_run(s, flash_take_fn, &fc, err)) != SCIM_OK)
		goto out;
	*msg = fc.msg_out;
	fc.msg_out = NULL;
	if (fc.secret_out == NULL)
		goto out;
	n = strlen(fc.secret_out) / 2;
	if (n <= FLASH_NONCE || (buf = malloc(n + 1)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		hi = lex_hexval((unsigned char)fc.secret_out[2 * i]);
		lo = lex_hexval((unsigned char)fc.secret_out[2 * i + 1]);
		if (hi < 0 || lo < 0)
			goto out;
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	flash_xor(sess->sid, buf, buf + FLASH_NONCE, n - FLASH_NONCE);
	buf[n] = '\0';
	/* Anything but a well-formed token (wrong key?) is dropped. */
	if (token_parse((char *)buf + FLASH_NONCE, id, sec))
		*secret = strdup((char *)buf + FLASH_NONCE);
	explicit_bzero(sec, sizeof(sec));
out:
	if (buf != NULL) {
		explicit_bzero(buf, n + 1);
		free(buf);
	}
	free(fc.msg_out);
	free(fc.secret_out);
	return rc;
}
