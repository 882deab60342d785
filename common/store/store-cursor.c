/*
 * Sealed positions in a tenant's walk: the cursors of RFC 9865 (cursor-
 * based pagination for SCIM).  A cursor is a key, not a saved result: a
 * nextCursor names the last resource id a page returned, so the next page
 * begins after that id in users.db's (tenant, id) order and nothing is
 * held between requests; a previousCursor names the first id a page
 * returned, and the page before it is walked backwards from there.  A
 * resource that exists for the whole walk is met exactly once whatever is
 * created or deleted meanwhile: ids never change, and a walk that only
 * follows nextCursor only moves forward in their order.
 *
 * The text a client sees is base64url (RFC 4648 section 5, no padding:
 * only RFC 3986 unreserved characters, as RFC 9865 section 2 requires) of
 *
 *	version(1) kind(1) issued(8) count(4) query(8) idlen(1) id mac(16)
 *
 * (integers big-endian; kind's bit 7 is set for a previousCursor, which
 * version 1 never set, so the cursors issued before it still open).  mac is HMAC-SHA-256, cut to 16 bytes, under a
 * per-install key kept in meta.db, over a label, the tenant and all that
 * precedes it: a client cannot forge a walk into another tenant or
 * another position (RFC 9865 section 5.2: forged cursors detected,
 * "invalidCursor"), and the tenant is never written into the text.
 *
 * OWNS: the cursor's encoding, its seal and its key in meta.db.
 * MUST NOT KNOW: what a query means (query is the caller's digest of it).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nettle/base64.h>
#include <nettle/hmac.h>

#include "base/lex.h"
#include "base/util.h"
#include "store/store-int.h"

#define CURSOR_VERSION	1
#define CURSOR_KEY_META	"cursor_hmac_key"
#define CURSOR_LABEL	"scim-fcgi cursor 1"	/* domain of the MAC */
#define CURSOR_MAC_LEN	16
#define CURSOR_BACKWARD	0x80	/* in the kind byte: a previousCursor */
#define CURSOR_SKEW	300	/* seconds a cursor may come from the future
				   (another host's clock) */
#define CURSOR_RAW_MAX	(1 + 1 + 8 + 4 + STORE_CURSOR_QLEN + 1 + \
			    STORE_ID_MAX + CURSOR_MAC_LEN)

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The MAC of raw[0..len) for tenant under key into mac. */
static void
cursor_mac(const uint8_t *key, const char *tenant, const uint8_t *raw,
    size_t len, uint8_t *mac)
{
	struct hmac_sha256_ctx	 hc;
	uint8_t			 full[SHA256_DIGEST_SIZE];

	hmac_sha256_set_key(&hc, STORE_CURSOR_KEY_LEN, key);
	hmac_sha256_update(&hc, sizeof(CURSOR_LABEL), (const uint8_t *)
	    CURSOR_LABEL);
	hmac_sha256_update(&hc, strlen(tenant) + 1, (const uint8_t *)tenant);
	hmac_sha256_update(&hc, len, raw);
	hmac_sha256_digest(&hc, sizeof(full), full);
	memcpy(mac, full, CURSOR_MAC_LEN);
}

bool
store_cursor_seal(const uint8_t *key, const char *tenant,
    const struct store_cursor *c, char *out, size_t outsz)
{
	struct base64_encode_ctx b;
	uint8_t		 raw[CURSOR_RAW_MAX];
	size_t		 idlen = strlen(c->at), len = 0, n;

	if (idlen > STORE_ID_MAX ||
	    outsz < BASE64_ENCODE_LENGTH(CURSOR_RAW_MAX) + 1)
		return false;
	raw[len++] = CURSOR_VERSION;
	raw[len++] = (uint8_t)c->kind | (c->backward ? CURSOR_BACKWARD : 0);
	put_be(raw + len, c->issued, 8);
	len += 8;
	put_be(raw + len, c->count, 4);
	len += 4;
	memcpy(raw + len, c->query, STORE_CURSOR_QLEN);
	len += STORE_CURSOR_QLEN;
	raw[len++] = (uint8_t)idlen;
	memcpy(raw + len, c->at, idlen);
	len += idlen;
	cursor_mac(key, tenant, raw, len, raw + len);
	len += CURSOR_MAC_LEN;
	base64url_encode_init(&b);
	n = base64_encode_update(&b, out, len, raw);
	n += base64_encode_final(&b, out + n);
	/* Unpadded: '=' is not an unreserved character. */
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	return true;
}

/* Decode unpadded base64url text into raw (at most CURSOR_RAW_MAX). */
static bool
cursor_decode(const char *text, uint8_t *raw, size_t *len)
{
	struct base64_decode_ctx b;
	char		 buf[BASE64_ENCODE_LENGTH(CURSOR_RAW_MAX) + 4];
	size_t		 tl = strlen(text), i;

	/* A lone character in the last quantum is never base64. */
	if (tl == 0 || tl % 4 == 1 || tl + 3 >= sizeof(buf))
		return false;
	for (i = 0; i < tl; i++)
		if (!(lex_is_alpha(text[i]) || lex_is_digit(text[i]) ||
		    text[i] == '-' || text[i] == '_'))
			return false;
	memcpy(buf, text, tl);
	while (tl % 4 != 0)
		buf[tl++] = '=';
	base64url_decode_init(&b);
	*len = CURSOR_RAW_MAX;
	if (!base64_decode_update(&b, len, raw, tl, buf) ||
	    !base64_decode_final(&b))
		return false;
	return true;
}

enum store_cursor_rc
store_cursor_open(const uint8_t *key, const char *tenant, const char *text,
    uint64_t now, unsigned timeout, struct store_cursor *c)
{
	uint8_t		 raw[CURSOR_RAW_MAX], mac[CURSOR_MAC_LEN];
	size_t		 len, idlen;

	memset(c, 0, sizeof(*c));
	if (!cursor_decode(text, raw, &len) ||
	    len < 1 + 1 + 8 + 4 + STORE_CURSOR_QLEN + 1 + CURSOR_MAC_LEN ||
	    raw[0] != CURSOR_VERSION)
		return STORE_CURSOR_INVALID;
	idlen = raw[1 + 1 + 8 + 4 + STORE_CURSOR_QLEN];
	if (len != 1 + 1 + 8 + 4 + STORE_CURSOR_QLEN + 1 + idlen +
	    CURSOR_MAC_LEN || idlen > STORE_ID_MAX)
		return STORE_CURSOR_INVALID;
	cursor_mac(key, tenant, raw, len - CURSOR_MAC_LEN, mac);
	if (!util_memeq_const(mac, raw + len - CURSOR_MAC_LEN,
	    CURSOR_MAC_LEN))
		return STORE_CURSOR_INVALID;
	/* Sealed by this install for this tenant: its fields are ours. */
	c->backward = (raw[1] & CURSOR_BACKWARD) != 0;
	c->kind = (raw[1] & ~CURSOR_BACKWARD) == STORE_GROUP ? STORE_GROUP :
	    STORE_USER;
	c->issued = get_be(raw + 2, 8);
	c->count = (uint32_t)get_be(raw + 10, 4);
	memcpy(c->query, raw + 14, STORE_CURSOR_QLEN);
	memcpy(c->at, raw + 15 + STORE_CURSOR_QLEN, idlen);
	c->at[idlen] = '\0';
	if ((raw[1] & ~CURSOR_BACKWARD) != c->kind ||
	    (idlen > 0 && !store_check_id(c->at)))
		return STORE_CURSOR_INVALID;
	if (c->issued > now + CURSOR_SKEW)
		return STORE_CURSOR_INVALID;
	if (now - (c->issued > now ? now : c->issued) > timeout)
		return STORE_CURSOR_EXPIRED;
	return STORE_CURSOR_OK;
}

/* Parse the key's hex text from meta.db into key. */
static bool
cursor_key_parse(const char *hex, uint8_t *key)
{
	size_t	 i;
	int	 hi, lo;

	if (strlen(hex) != 2 * STORE_CURSOR_KEY_LEN)
		return false;
	for (i = 0; i < STORE_CURSOR_KEY_LEN; i++) {
		if ((hi = lex_hexval(hex[2 * i])) < 0 ||
		    (lo = lex_hexval(hex[2 * i + 1])) < 0)
			return false;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

enum scim_err
store_cursor_key(struct store_txn *t, bool create, uint8_t *key,
    struct scim_error *err)
{
	char		 hex[2 * STORE_CURSOR_KEY_LEN + 1];
	enum scim_err	 rc;

	rc = store_meta_get(t, CURSOR_KEY_META, hex, sizeof(hex), err);
	if (rc == SCIM_OK)
		return cursor_key_parse(hex, key) ? SCIM_OK :
		    scim_fail(err, SCIM_E_INTERNAL, "corrupt %s",
		    CURSOR_KEY_META);
	if (rc != SCIM_E_NOT_FOUND || !create)
		return rc;
	if (!util_random(key, STORE_CURSOR_KEY_LEN))
		return scim_fail(err, SCIM_E_INTERNAL, "no random bytes");
	util_hex(key, STORE_CURSOR_KEY_LEN, hex);
	rc = store_meta_put(t, CURSOR_KEY_META, hex, err);
	explicit_bzero(hex, sizeof(hex));
	return rc;
}
