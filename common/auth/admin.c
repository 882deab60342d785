/*
 * Admin accounts and their passwords (scrypt at [admin] scrypt_n, OWASP's
 * N=2^17 by default; a stale hash is redone at the next sign-in), and the
 * helpers the other admin files share (admin-int.h): the audit record of
 * an admin event, names, roles, random ids.  Sessions and sign-in are in admin-session.c, the
 * one-time slot in admin-flash.c, expiry reminders in admin-remind.c.
 * See admin.h for the records and key spaces.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libscrypt.h>
#include <nettle/sha2.h>

#include "auth/admin.h"
#include "auth/admin-int.h"
#include "audit/audit.h"
#include "base/json.h"
#include "auth/token.h"
#include "base/util.h"

bool
admin_copy_str(char *dst, size_t sz, const char *src)
{
	if (strlen(src) >= sz)
		return false;
	strcpy(dst, src);
	return true;
}

/*
 * Record an admin or auth event through the audit log: actor and target
 * are the account name (actor as "admin:<name>" unless given), detail a
 * name and value (both may be NULL).
 */
enum scim_err
admin_audit(struct store_txn *t, const struct scim_config *cfg,
    const char *tenant, const char *type, const char *actor, const char *name,
    bool failure, const char *dname, const char *dvalue,
    struct scim_error *err)
{
	struct audit_event	 ev;
	char			 who[ADMIN_NAME_MAX + 8];
	cJSON			*d = NULL;
	enum scim_err		 rc;

	if (dname != NULL && ((d = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(d, dname, dvalue ? dvalue : "") == NULL)) {
		cJSON_Delete(d);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	snprintf(who, sizeof(who), "admin:%s", name);
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tenant = tenant;
	ev.actor = actor ? actor : who;
	ev.target_name = name;
	ev.failure = failure;
	ev.details = d;
	rc = audit_record(t, cfg, &ev, err);
	cJSON_Delete(d);
	return rc;
}

bool
admin_is_lower_hex(const char *s, size_t n)
{
	size_t	 i;

	if (s == NULL || strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return false;
	return true;
}

bool
admin_name_valid(const char *s)
{
	size_t	 n = strlen(s);

	return n >= 1 && n <= ADMIN_NAME_MAX && strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._@+-") == n;
}

bool
admin_email_valid(const char *s)
{
	const char	*at = strchr(s, '@');
	size_t		 i, n = strlen(s);

	if (n < 3 || n > ADMIN_EMAIL_MAX || at == NULL || at == s ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ||
		    strchr("<>,;:\"()[]\\", s[i]) != NULL)
			return false;
	return true;
}

/*
 * The roles, by the name stored and shown.  "admin" is the old name of
 * viewer: it could only ever view, and an owner reading "admin" took it
 * for the stronger role.  Accounts and remote_user_roles maps written
 * with it keep working; new records say "viewer".
 */
static const struct {
	const char	*name;
	enum admin_role	 role;
} admin_roles[] = {
	{ "owner",	ADMIN_ROLE_OWNER },
	{ "viewer",	ADMIN_ROLE_VIEWER },
	{ "admin",	ADMIN_ROLE_VIEWER },	/* the old name, read only */
};

enum admin_role
admin_role_parse(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return ADMIN_ROLE_NONE;
	for (i = 0; i < sizeof(admin_roles) / sizeof(admin_roles[0]); i++)
		if (strcmp(s, admin_roles[i].name) == 0)
			return admin_roles[i].role;
	return ADMIN_ROLE_NONE;
}

/* The first name in admin_roles is the one written. */
const char *
admin_role_name(enum admin_role r)
{
	size_t	 i;

	for (i = 0; i < sizeof(admin_roles) / sizeof(admin_roles[0]); i++)
		if (admin_roles[i].role == r)
			return admin_roles[i].name;
	return "none";
}

bool
admin_random_hex(char *out)
{
	unsigned char	 b[ADMIN_SID_HEX / 2];

	if (!util_random(b, sizeof(b)))
		return false;
	util_hex(b, sizeof(b), out);
	explicit_bzero(b, sizeof(b));
	return true;
}

void
admin_sha256_hex(const char *s, char *out)
{
	struct sha256_ctx	 sh;
	uint8_t			 d[SHA256_DIGEST_SIZE];

	sha256_init(&sh);
	sha256_update(&sh, strlen(s), (const uint8_t *)s);
	sha256_digest(&sh, sizeof(d), d);
	util_hex(d, sizeof(d), out);
}

/* --- passwords --- */

enum scim_err
admin_password_hash(const struct scim_config *cfg, const char *password,
    char *out, struct scim_error *err)
{
	size_t	 n = strlen(password);

	if (n < ADMIN_PASSWORD_MIN || n > ADMIN_PASSWORD_MAX ||
	    !util_utf8_valid(password, n))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a password is %d to %d bytes of UTF-8 text",
		    ADMIN_PASSWORD_MIN, ADMIN_PASSWORD_MAX);
	if (libscrypt_hash(out, password, cfg->admin_scrypt_n,
	    (uint8_t)cfg->scrypt_r, cfg->scrypt_p) == 0)
		return scim_fail(err, SCIM_E_INTERNAL, "scrypt failed");
	return SCIM_OK;
}

/*
 * libscrypt's MCF string reads "$s1$" then two hex digits each of
 * log2(N), r and p: a hash is stale when any is below the install's.
 */
bool
admin_password_stale(const struct scim_config *cfg, const char *mcf)
{
	unsigned	 logn, r, p, want = 0;

	while ((1U << (want + 1)) <= cfg->admin_scrypt_n)
		want++;
	if (strncmp(mcf, "$s1$", 4) != 0 ||
	    sscanf(mcf + 4, "%2x%2x%2x", &logn, &r, &p) != 3)
		return false;		/* not ours to judge */
	return logn < want || r < cfg->scrypt_r || p < cfg->scrypt_p;
}

/* Check password against an MCF hash (a copy: libscrypt writes into it). */
bool
admin_password_ok(const char *mcf, const char *password)
{
	char	*h;
	int	 ok;

	if ((h = strdup(mcf)) == NULL)
		return false;
	ok = libscrypt_check(h, password);
	free(h);
	return ok > 0;
}

/*
 * A hash of a random password with this install's parameters, made once
 * per process: unknown names are checked against it so that they take as
 * long as known ones.
 */
const char *
admin_dummy_hash(const struct scim_config *cfg)
{
	static char	 h[SCRYPT_MCF_LEN];
	char		 pw[ADMIN_SID_HEX + 1];

	if (h[0] == '\0' && admin_random_hex(pw))
		libscrypt_hash(h, pw, cfg->admin_scrypt_n,
		    (uint8_t)cfg->scrypt_r, cfg->scrypt_p);
	return h;
}

/* --- accounts --- */

enum scim_err
admin_add(struct store_txn *t, const char *name, const char *tenant,
    enum admin_role role, const char *email, const char *hash,
    const char *actor, const struct scim_config *cfg, struct scim_error *err)
{
	cJSON		*a = NULL;
	char		 gen[ADMIN_SID_HEX + 1];
	enum scim_err	 rc;

	if (!admin_name_valid(name))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "an admin name is 1 to %d letters, digits, '.', '_', "
		    "'@', '+' or '-'", ADMIN_NAME_MAX);
	if (!token_tenant_valid(tenant))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "bad tenant");
	if (role == ADMIN_ROLE_NONE)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "the role is owner or viewer");
	if (email != NULL && *email != '\0' && !admin_email_valid(email))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "\"%s\" is not an e-mail address", email);
	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_ADMIN, name, &a, err);
	cJSON_Delete(a);
	a = NULL;
	if (rc == SCIM_OK)
		return scim_fail(err, SCIM_E_UNIQUENESS,
		    "there is already an admin named \"%s\"", name);
	if (rc != SCIM_E_NOT_FOUND)
		return rc;
	/* A new stamp: a session of an earlier account of this name dies. */
	if (!admin_random_hex(gen))
		return scim_fail(err, SCIM_E_INTERNAL, "no randomness");
	if ((a = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(a, "name", name) == NULL ||
	    cJSON_AddStringToObject(a, "tenant", tenant) == NULL ||
	    cJSON_AddStringToObject(a, "role", admin_role_name(role)) == NULL ||
	    cJSON_AddStringToObject(a, "email", email ? email : "") == NULL ||
	    cJSON_AddStringToObject(a, "hash", hash) == NULL ||
	    cJSON_AddStringToObject(a, "gen", gen) == NULL ||
	    cJSON_AddNumberToObject(a, "created",
	    (double)util_now_usec()) == NULL ||
	    cJSON_AddStringToObject(a, "created_by", actor ? actor : "") ==
	    NULL ||
	    cJSON_AddNumberToObject(a, "last_login", 0) == NULL) {
		cJSON_Delete(a);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	rc = store_kv_put(t, ADMIN_KV_TENANT, SP_ADMIN, name, a, err);
	cJSON_Delete(a);
	if (rc == SCIM_OK)
		rc = admin_audit(t, cfg, tenant, "admin.created",
		    actor ? actor : "", name, false, "role",
		    admin_role_name(role), err);
	return rc;
}

enum scim_err
admin_set_password(struct store_txn *t, const char *name, const char *hash,
    struct scim_error *err)
{
	cJSON		*a = NULL;
	char		 gen[ADMIN_SID_HEX + 1];
	enum scim_err	 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_ADMIN, name, &a, err);
	if (rc == SCIM_E_NOT_FOUND)
		return scim_fail(err, SCIM_E_NOT_FOUND, "no admin named \"%s\"",
		    name);
	if (rc != SCIM_OK)
		return rc;
	/* A new password ends every session the old one opened. */
	if (!admin_random_hex(gen))
		rc = scim_fail(err, SCIM_E_INTERNAL, "no randomness");
	else if (!json_set(a, "hash", cJSON_CreateString(hash)) ||
	    !json_set(a, "gen", cJSON_CreateString(gen)))
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	else
		rc = store_kv_put(t, ADMIN_KV_TENANT, SP_ADMIN, name, a, err);
	cJSON_Delete(a);
	if (rc == SCIM_OK)
		rc = admin_sessions_drop(t, name, err);
	if (rc == SCIM_OK)
		rc = admin_login_clear(t, name, err);
	return rc;
}

enum scim_err
admin_delete(struct store_txn *t, const char *name, const char *actor,
    const struct scim_config *cfg, struct scim_error *err)
{
	cJSON		*a = NULL;
	enum scim_err	 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_ADMIN, name, &a, err);
	if (rc == SCIM_E_NOT_FOUND)
		return scim_fail(err, SCIM_E_NOT_FOUND, "no admin named \"%s\"",
		    name);
	if (rc == SCIM_OK)
		rc = store_kv_del(t, ADMIN_KV_TENANT, SP_ADMIN, name, err);
	if (rc == SCIM_OK)
		rc = admin_sessions_drop(t, name, err);
	if (rc == SCIM_OK)
		rc = admin_audit(t, cfg, json_str(a, "tenant"), "admin.deleted",
		    actor ? actor : "", name, false, NULL, NULL, err);
	cJSON_Delete(a);
	return rc;
}

struct acct_ctx {
	const char	*tenant;
	bool		 emails;	/* owners' addresses only */
	cJSON		*out;
};

static bool
acct_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct acct_ctx	*ac = arg;

	(void)key;
	if (ac->tenant != NULL
	    && strcmp(json_str(obj, "tenant"), ac->tenant) != 0)
		return true;
	if (ac->emails) {
		if (strcmp(json_str(obj, "role"), "owner") == 0 &&
		    *json_str(obj, "email") != '\0')
			cJSON_AddItemToArray(ac->out,
			    cJSON_CreateString(json_str(obj, "email")));
		return true;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "hash");
	cJSON_AddItemToArray(ac->out, obj);
	*keep = true;
	return true;
}

static enum scim_err
acct_scan(struct store_txn *t, const char *tenant, bool emails, cJSON **out,
    struct scim_error *err)
{
	struct acct_ctx	 ac = { tenant, emails, NULL };
	enum scim_err	 rc;

	*out = NULL;
	if ((ac.out = cJSON_CreateArray()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = store_kv_scan(t, ADMIN_KV_TENANT, SP_ADMIN, NULL, false,
	    acct_each, &ac, err);
	if (rc != SCIM_OK) {
		cJSON_Delete(ac.out);
		return rc;
	}
	*out = ac.out;
	return SCIM_OK;
}

enum scim_err
admin_list(struct store_txn *t, const char *tenant, cJSON **out,
    struct scim_error *err)
{
	return acct_scan(t, tenant, false, out, err);
}

enum scim_err
admin_owner_emails(struct store_txn *t, const char *tenant, cJSON **out,
    struct scim_error *err)
{
	return acct_scan(t, tenant, true, out, err);
}

