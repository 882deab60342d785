/*
 * Admin accounts, sign-in with throttling, sessions, CSRF tokens and the
 * one-time message slot of the scim-tokens page.  See admin.h for the
 * records and key spaces.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include <libscrypt.h>
#include <nettle/sha2.h>

#include "base/lex.h"
#include "auth/admin.h"
#include "audit/audit.h"
#include "base/json.h"
#include "base/log.h"
#include "auth/token.h"
#include "base/util.h"

#define SP_ADMIN	"admin"
#define SP_LOGIN	"login"
#define SP_SESSION	"session"
#define TOUCH_USEC	(60LL * 1000000)	/* write "seen" once a minute */
#define PURGE_MAX	64			/* expired sessions per sign-in */
#define FLASH_NONCE	16

static bool
copy_str(char *dst, size_t sz, const char *src)
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
static enum scim_err
audit(struct store_txn *t, const struct scim_config *cfg, const char *tenant,
    const char *type, const char *actor, const char *name, bool failure,
    const char *dname, const char *dvalue, struct scim_error *err)
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

static bool
is_lower_hex(const char *s, size_t n)
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

enum admin_role
admin_role_parse(const char *s)
{
	if (s == NULL)
		return ADMIN_ROLE_NONE;
	if (strcmp(s, "owner") == 0)
		return ADMIN_ROLE_OWNER;
	if (strcmp(s, "admin") == 0)
		return ADMIN_ROLE_ADMIN;
	return ADMIN_ROLE_NONE;
}

const char *
admin_role_name(enum admin_role r)
{
	switch (r) {
	case ADMIN_ROLE_OWNER:
		return "owner";
	case ADMIN_ROLE_ADMIN:
		return "admin";
	default:
		return "none";
	}
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
	if (libscrypt_hash(out, password, cfg->scrypt_n,
	    (uint8_t)cfg->scrypt_r, cfg->scrypt_p) == 0)
		return scim_fail(err, SCIM_E_INTERNAL, "scrypt failed");
	return SCIM_OK;
}

/* Check password against an MCF hash (a copy: libscrypt writes into it). */
static bool
password_ok(const char *mcf, const char *password)
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
static const char *
dummy_hash(const struct scim_config *cfg)
{
	static char	 h[SCRYPT_MCF_LEN];
	char		 pw[ADMIN_SID_HEX + 1];

	if (h[0] == '\0' && admin_random_hex(pw))
		libscrypt_hash(h, pw, cfg->scrypt_n, (uint8_t)cfg->scrypt_r,
		    cfg->scrypt_p);
	return h;
}

/* --- accounts --- */

enum scim_err
admin_add(struct store_txn *t, const char *name, const char *tenant,
    enum admin_role role, const char *email, const char *hash,
    const char *actor, const struct scim_config *cfg, struct scim_error *err)
{
	cJSON		*a = NULL;
	enum scim_err	 rc;

	if (!admin_name_valid(name))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "an admin name is 1 to %d letters, digits, '.', '_', "
		    "'@', '+' or '-'", ADMIN_NAME_MAX);
	if (!token_tenant_valid(tenant))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "bad tenant");
	if (role == ADMIN_ROLE_NONE)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "the role is owner or admin");
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
	if ((a = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(a, "name", name) == NULL ||
	    cJSON_AddStringToObject(a, "tenant", tenant) == NULL ||
	    cJSON_AddStringToObject(a, "role", admin_role_name(role)) == NULL ||
	    cJSON_AddStringToObject(a, "email", email ? email : "") == NULL ||
	    cJSON_AddStringToObject(a, "hash", hash) == NULL ||
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
		rc = audit(t, cfg, tenant, "admin.created", actor ? actor : "",
		    name, false, "role", admin_role_name(role), err);
	return rc;
}

enum scim_err
admin_set_password(struct store_txn *t, const char *name, const char *hash,
    struct scim_error *err)
{
	cJSON		*a = NULL;
	enum scim_err	 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_ADMIN, name, &a, err);
	if (rc == SCIM_E_NOT_FOUND)
		return scim_fail(err, SCIM_E_NOT_FOUND, "no admin named \"%s\"",
		    name);
	if (rc != SCIM_OK)
		return rc;
	if (!json_set(a, "hash", cJSON_CreateString(hash)))
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	else
		rc = store_kv_put(t, ADMIN_KV_TENANT, SP_ADMIN, name, a, err);
	cJSON_Delete(a);
	if (rc == SCIM_OK) {
		rc = store_kv_del(t, ADMIN_KV_TENANT, SP_LOGIN, name, err);
		if (rc == SCIM_E_NOT_FOUND)
			rc = SCIM_OK;
	}
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
		rc = audit(t, cfg, json_str(a, "tenant"), "admin.deleted",
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

/* --- sessions --- */

/* Is session record r past its idle or absolute limit at now? */
static bool
session_expired(const cJSON *r, const struct scim_config *cfg, int64_t now)
{
	return now - json_int(r, "seen") >
	    (int64_t)cfg->session_idle_minutes * 60 * 1000000 ||
	    now - json_int(r, "created") >
	    (int64_t)cfg->session_max_hours * 3600 * 1000000;
}

struct purge_ctx {
	const struct scim_config	*cfg;
	int64_t				 now;
	char				 keys[PURGE_MAX][ADMIN_SID_HEX + 1];
	size_t				 n;
};

static bool
purge_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct purge_ctx	*pc = arg;

	(void)keep;
	if (session_expired(obj, pc->cfg, pc->now) &&
	    strlen(key) == ADMIN_SID_HEX)
		strcpy(pc->keys[pc->n++], key);
	return pc->n < PURGE_MAX;
}

/* Delete up to PURGE_MAX expired session records inside t. */
static enum scim_err
purge_sessions(struct store_txn *t, const struct scim_config *cfg,
    struct scim_error *err)
{
	struct purge_ctx	*pc;
	enum scim_err		 rc;
	size_t			 i;

	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	pc->cfg = cfg;
	pc->now = util_now_usec();
	rc = store_kv_scan(t, ADMIN_KV_TENANT, SP_SESSION, NULL, false,
	    purge_each, pc, err);
	for (i = 0; rc == SCIM_OK && i < pc->n; i++)
		rc = store_kv_del(t, ADMIN_KV_TENANT, SP_SESSION, pc->keys[i],
		    err);
	free(pc);
	return rc;
}

/* Fill a new session (ids made now, before any transaction). */
static enum scim_err
session_init(struct admin_session *out, const char *name,
    const char *tenant, enum admin_role role, bool remote,
    struct scim_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!admin_random_hex(out->sid) || !admin_random_hex(out->csrf))
		return scim_fail(err, SCIM_E_INTERNAL, "no randomness");
	admin_sha256_hex(out->sid, out->key);
	if (!copy_str(out->name, sizeof(out->name), name) ||
	    !copy_str(out->tenant, sizeof(out->tenant), tenant))
		return scim_fail(err, SCIM_E_INTERNAL, "name too long");
	out->role = role;
	out->remote = remote;
	out->is_new = true;
	return SCIM_OK;
}

/* Write session sess inside t. */
static enum scim_err
session_put(struct store_txn *t, const struct admin_session *sess,
    struct scim_error *err)
{
	int64_t		 now = util_now_usec();
	cJSON		*r;
	enum scim_err	 rc;

	if ((r = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(r, "name", sess->name) == NULL ||
	    cJSON_AddStringToObject(r, "tenant", sess->tenant) == NULL ||
	    cJSON_AddStringToObject(r, "role",
	    admin_role_name(sess->role)) == NULL ||
	    cJSON_AddBoolToObject(r, "remote", sess->remote) == NULL ||
	    cJSON_AddStringToObject(r, "csrf", sess->csrf) == NULL ||
	    cJSON_AddNumberToObject(r, "created", (double)now) == NULL ||
	    cJSON_AddNumberToObject(r, "seen", (double)now) == NULL) {
		cJSON_Delete(r);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	rc = store_kv_put(t, ADMIN_KV_TENANT, SP_SESSION, sess->key, r, err);
	cJSON_Delete(r);
	return rc;
}

struct login_ctx {
	const struct scim_config	*cfg;
	const char			*name;
	const char			*remote_addr;
	cJSON				*acct;	/* out (read) */
	cJSON				*throttle; /* out (read) */
	struct admin_session		*sess;	/* new session (success) */
	int64_t				 now;
	unsigned			 failures; /* out (failure) */
	int64_t				 wait;	/* out (failure), seconds */
};

static enum scim_err
login_read(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct login_ctx	*lc = arg;
	enum scim_err		 rc;

	cJSON_Delete(lc->acct);
	cJSON_Delete(lc->throttle);
	lc->acct = lc->throttle = NULL;
	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_ADMIN, lc->name, &lc->acct,
	    err);
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_LOGIN, lc->name,
	    &lc->throttle, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/* Seconds to wait after n failures in a row. */
static int64_t
throttle_wait(unsigned n)
{
	if (n < ADMIN_THROTTLE_FREE)
		return 0;
	n -= ADMIN_THROTTLE_FREE;
	if (n >= 9 || (1 << n) > ADMIN_THROTTLE_MAX)
		return ADMIN_THROTTLE_MAX;
	return (int64_t)1 << n;
}

static enum scim_err
login_failed(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct login_ctx	*lc = arg;
	cJSON			*r = NULL;
	char			 detail[96];
	enum scim_err		 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_LOGIN, lc->name, &r, err);
	if (rc == SCIM_E_NOT_FOUND)
		r = cJSON_CreateObject();
	else if (rc != SCIM_OK)
		return rc;
	lc->failures = (unsigned)json_int(r, "failures") + 1;
	lc->wait = throttle_wait(lc->failures);
	if (r == NULL || !json_set(r, "failures",
	    cJSON_CreateNumber(lc->failures)) || !json_set(r, "next",
	    cJSON_CreateNumber((double)(lc->now + lc->wait * 1000000)))) {
		cJSON_Delete(r);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	rc = store_kv_put(t, ADMIN_KV_TENANT, SP_LOGIN, lc->name, r, err);
	cJSON_Delete(r);
	if (rc != SCIM_OK)
		return rc;
	snprintf(detail, sizeof(detail), "sign-in failed from %.45s (%u in a "
	    "row)", lc->remote_addr ? lc->remote_addr : "-", lc->failures);
	return audit(t, lc->cfg, lc->acct ? json_str(lc->acct, "tenant") : "",
	    "admin.login_failed", NULL, lc->name, true, "reason", detail,
	    err);
}

static enum scim_err
login_ok(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct login_ctx	*lc = arg;
	cJSON			*a = NULL;
	enum scim_err		 rc;

	rc = store_kv_del(t, ADMIN_KV_TENANT, SP_LOGIN, lc->name, err);
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_ADMIN, lc->name, &a, err);
	if (rc != SCIM_OK)
		return rc;
	if (!json_set(a, "last_login", cJSON_CreateNumber((double)lc->now))) {
		cJSON_Delete(a);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	rc = store_kv_put(t, ADMIN_KV_TENANT, SP_ADMIN, lc->name, a, err);
	cJSON_Delete(a);
	if (rc == SCIM_OK)
		rc = purge_sessions(t, lc->cfg, err);
	if (rc == SCIM_OK)
		rc = session_put(t, lc->sess, err);
	if (rc == SCIM_OK)
		rc = audit(t, lc->cfg, lc->sess->tenant, "admin.login", NULL,
		    lc->name, false, "remote_addr", lc->remote_addr, err);
	return rc;
}

enum scim_err
admin_login(struct store *s, const struct scim_config *cfg,
    const char *name, const char *password, const char *remote_addr,
    struct admin_session *out, struct scim_error *err)
{
	struct login_ctx	 lc;
	enum admin_role		 role;
	const char		*hash;
	bool			 ok;
	enum scim_err		 rc;

	memset(out, 0, sizeof(*out));
	memset(&lc, 0, sizeof(lc));
	lc.cfg = cfg;
	lc.name = name;
	lc.remote_addr = remote_addr;
	lc.now = util_now_usec();
	if (name == NULL || password == NULL || !admin_name_valid(name)) {
		log_warn("sign-in refused: malformed name from %s",
		    remote_addr ? remote_addr : "-");
		return scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "The name or password is wrong.");
	}
	if ((rc = store_read(s, login_read, &lc, err)) != SCIM_OK)
		goto out;
	if (json_int(lc.throttle, "next") > lc.now) {
		log_warn("sign-in for \"%s\" from %s refused: waiting after "
		    "%d failures", name, remote_addr ? remote_addr : "-",
		    (int)json_int(lc.throttle, "failures"));
		rc = scim_fail(err, SCIM_E_FORBIDDEN,
		    "Too many failed sign-ins for this name: wait %d seconds "
		    "and try again.",
		    (int)((json_int(lc.throttle, "next") - lc.now) / 1000000 +
		    1));
		goto out;
	}
	/* No transaction is open while scrypt runs. */
	hash = lc.acct != NULL ? json_str(lc.acct, "hash") : dummy_hash(cfg);
	ok = strlen(password) <= ADMIN_PASSWORD_MAX &&
	    password_ok(hash, password) && lc.acct != NULL;
	role = admin_role_parse(json_str(lc.acct, "role"));
	if (!ok || role == ADMIN_ROLE_NONE) {
		if (store_run(s, login_failed, &lc, NULL) != SCIM_OK)
			log_err("could not record a failed sign-in");
		log_warn("sign-in failed for \"%s\" from %s (%u in a row)",
		    name, remote_addr ? remote_addr : "-", lc.failures);
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "The name or password is wrong.");
		goto out;
	}
	if ((rc = session_init(out, name, json_str(lc.acct, "tenant"), role,
	    false,
	    err)) != SCIM_OK)
		goto out;
	lc.sess = out;
	if ((rc = store_run(s, login_ok, &lc, err)) != SCIM_OK)
		goto out;
	log_info("\"%s\" signed in from %s", name,
	    remote_addr ? remote_addr : "-");
out:
	if (rc != SCIM_OK)
		memset(out, 0, sizeof(*out));
	cJSON_Delete(lc.acct);
	cJSON_Delete(lc.throttle);
	return rc;
}

struct open_ctx {
	const char	*key;
	cJSON		*sess;		/* out */
	cJSON		*acct;		/* out */
};

static enum scim_err
open_read(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct open_ctx	*oc = arg;
	enum scim_err	 rc;

	cJSON_Delete(oc->sess);
	cJSON_Delete(oc->acct);
	oc->sess = oc->acct = NULL;
	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_SESSION, oc->key, &oc->sess,
	    err);
	if (rc != SCIM_OK || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    oc->sess, "remote")))
		return rc;
	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_ADMIN,
	    json_str(oc->sess, "name"),
	    &oc->acct, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

static enum scim_err
session_del(struct store_txn *t, void *arg, struct scim_error *err)
{
	enum scim_err	 rc;

	rc = store_kv_del(t, ADMIN_KV_TENANT, SP_SESSION, arg, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

static enum scim_err
session_touch(struct store_txn *t, void *arg, struct scim_error *err)
{
	cJSON		*r = NULL;
	enum scim_err	 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_SESSION, arg, &r, err);
	if (rc != SCIM_OK)
		return rc;
	if (json_set(r, "seen", cJSON_CreateNumber((double)util_now_usec())))
		rc = store_kv_put(t, ADMIN_KV_TENANT, SP_SESSION, arg, r, err);
	cJSON_Delete(r);
	return rc;
}

enum scim_err
admin_session_open(struct store *s, const struct scim_config *cfg,
    const char *sid, struct admin_session *out, struct scim_error *err)
{
	struct open_ctx	 oc = { NULL, NULL, NULL };
	int64_t		 now = util_now_usec();
	const cJSON	*who;
	enum scim_err	 rc;

	memset(out, 0, sizeof(*out));
	if (!is_lower_hex(sid, ADMIN_SID_HEX))
		return scim_fail(err, SCIM_E_UNAUTHORIZED, "not signed in");
	strcpy(out->sid, sid);
	admin_sha256_hex(sid, out->key);
	oc.key = out->key;
	rc = store_read(s, open_read, &oc, err);
	if (rc == SCIM_E_NOT_FOUND) {
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED, "not signed in");
		goto out;
	}
	if (rc != SCIM_OK)
		goto out;
	if (session_expired(oc.sess, cfg, now)) {
		(void)store_run(s, session_del, out->key, NULL);
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "Your session has ended; please sign in again.");
		goto out;
	}
	out->remote = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(oc.sess,
	    "remote"));
	if (!out->remote && oc.acct == NULL) {
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "this admin account no longer exists");
		goto out;
	}
	/* A password account's current role and tenant apply at once. */
	who = out->remote ? oc.sess : oc.acct;
	out->role = admin_role_parse(json_str(who, "role"));
	if (!copy_str(out->name, sizeof(out->name),
	    json_str(oc.sess, "name")) ||
	    !copy_str(out->tenant, sizeof(out->tenant),
	    json_str(who, "tenant")) ||
	    !copy_str(out->csrf, sizeof(out->csrf),
	    json_str(oc.sess, "csrf")) ||
	    out->role == ADMIN_ROLE_NONE) {
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED, "bad session");
		goto out;
	}
	out->has_flash = *json_str(oc.sess, "flash") != '\0' ||
	    *json_str(oc.sess, "secret") != '\0';
	if (now - json_int(oc.sess, "seen") >= TOUCH_USEC &&
	    store_run(s, session_touch, out->key, NULL) != SCIM_OK)
		log_warn("could not record session activity");
	rc = SCIM_OK;
out:
	if (rc != SCIM_OK)
		memset(out, 0, sizeof(*out));
	cJSON_Delete(oc.sess);
	cJSON_Delete(oc.acct);
	return rc;
}

bool
admin_remote_role(const char *map, const char *user, enum admin_role *role,
    char *tenant)
{
	const char	*p = map, *end, *colon, *at;
	size_t		 len, ulen = strlen(user);
	char		 rname[16];

	while (*p != '\0') {
		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if (len == 0)
			break;
		end = p + len;
		colon = memchr(p, ':', len);
		if (colon != NULL && (size_t)(colon - p) == ulen &&
		    strncmp(p, user, ulen) == 0) {
			at = memchr(colon + 1, '@', (size_t)(end - colon - 1));
			len = (size_t)((at ? at : end) - colon - 1);
			if (len >= sizeof(rname))
				return false;
			memcpy(rname, colon + 1, len);
			rname[len] = '\0';
			if ((*role = admin_role_parse(rname)) ==
			    ADMIN_ROLE_NONE)
				return false;
			if (at == NULL)
				strcpy(tenant, "default");
			else {
				len = (size_t)(end - at - 1);
				if (len == 0 || len > STORE_ID_MAX)
					return false;
				memcpy(tenant, at + 1, len);
				tenant[len] = '\0';
			}
			return true;
		}
		p = end;
	}
	return false;
}

struct remote_ctx {
	struct admin_session	*sess;
	const struct scim_config *cfg;
};

static enum scim_err
remote_new(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct remote_ctx	*rc = arg;
	enum scim_err		 r;

	if ((r = purge_sessions(t, rc->cfg, err)) != SCIM_OK)
		return r;
	if ((r = session_put(t, rc->sess, err)) != SCIM_OK)
		return r;
	return audit(t, rc->cfg, rc->sess->tenant, "admin.login", NULL,
	    rc->sess->name, false, "via", "REMOTE_USER", err);
}

enum scim_err
admin_session_remote(struct store *s, const struct scim_config *cfg,
    const char *user, const char *sid, struct admin_session *out,
    struct scim_error *err)
{
	struct remote_ctx	 rc;
	enum admin_role		 role;
	char			 tenant[STORE_ID_MAX + 1];
	enum scim_err		 r;

	memset(out, 0, sizeof(*out));
	if (user == NULL || !admin_remote_role(cfg->remote_user_roles, user,
	    &role, tenant) || strlen(user) > ADMIN_NAME_MAX) {
		log_warn("REMOTE_USER \"%.64s\" has no role in [admin] "
		    "remote_user_roles", user ? user : "");
		return scim_fail(err, SCIM_E_FORBIDDEN,
		    "Your account has no role on this page.");
	}
	if (sid != NULL && admin_session_open(s, cfg, sid, out, NULL) ==
	    SCIM_OK && out->remote && strcmp(out->name, user) == 0) {
		/* The map may have changed since: it wins. */
		out->role = role;
		strcpy(out->tenant, tenant);
		return SCIM_OK;
	}
	if ((r = session_init(out, user, tenant, role, true, err)) != SCIM_OK)
		return r;
	rc.sess = out;
	rc.cfg = cfg;
	if ((r = store_run(s, remote_new, &rc, err)) != SCIM_OK)
		memset(out, 0, sizeof(*out));
	return r;
}

struct end_ctx {
	const struct admin_session	*sess;
	const struct scim_config	*cfg;
};

static enum scim_err
end_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct end_ctx	*ec = arg;
	enum scim_err	 rc;

	if ((rc = session_del(t, (void *)ec->sess->key, err)) != SCIM_OK)
		return rc;
	return audit(t, ec->cfg, ec->sess->tenant, "admin.logout", NULL,
	    ec->sess->name, false, NULL, NULL, err);
}

enum scim_err
admin_session_end(struct store *s, const struct scim_config *cfg,
    const struct admin_session *sess, struct scim_error *err)
{
	struct end_ctx	 ec = { sess, cfg };

	return store_run(s, end_fn, &ec, err);
}

bool
admin_csrf_ok(const struct admin_session *sess, const char *presented)
{
	if (presented == NULL || strlen(presented) != ADMIN_SID_HEX ||
	    strlen(sess->csrf) != ADMIN_SID_HEX)
		return false;
	return util_memeq_const(sess->csrf, presented, ADMIN_SID_HEX);
}

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

/* --- expiry reminders --- */

struct remind_ctx {
	const struct scim_config *cfg;
	const char	*tenant;
	const char	*id;
	unsigned	 days;
	cJSON		*out;
};

static enum scim_err
remind_tokens(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct remind_ctx	*rc = arg;

	cJSON_Delete(rc->out);
	rc->out = NULL;
	return token_list(t, NULL, util_now_usec(), &rc->out, err);
}

static enum scim_err
remind_owners(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct remind_ctx	*rc = arg;

	cJSON_Delete(rc->out);
	rc->out = NULL;
	return admin_owner_emails(t, rc->tenant, &rc->out, err);
}

static enum scim_err
remind_mark(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct remind_ctx	*rc = arg;

	return token_mark_reminded(t, rc->cfg, rc->id, rc->days, err);
}

/* Write one reminder message (headers and body) for token tk to f. */
static void
remind_write(FILE *f, const struct scim_config *cfg, const cJSON *tk,
    const cJSON *owners, unsigned level, int64_t now)
{
	const cJSON	*o;
	char		 e[UTIL_TIME_LEN + 1];
	long		 left = (long)((json_int(tk, "expires") - now +
			    TOKEN_DAY_USEC - 1) / TOKEN_DAY_USEC);
	bool		 first = true;

	if (cfg->mail_from[0] != '\0')
		fprintf(f, "From: %s\n", cfg->mail_from);
	if (cJSON_GetArraySize(owners) > 0) {
		fprintf(f, "To: ");
		cJSON_ArrayForEach(o, owners) {
			fprintf(f, "%s%s", first ? "" : ", ", o->valuestring);
			first = false;
		}
		fprintf(f, "\n");
	}
	util_time_format(json_int(tk, "expires"), e, sizeof(e));
	fprintf(f, "Subject: [scim-fcgi] Secret Token %s of tenant %s "
	    "expires in %ld day%s\n", json_str(tk, "id"),
	    json_str(tk, "tenant"),
	    left, left == 1 ? "" : "s");
	fprintf(f, "Content-Type: text/plain; charset=utf-8\n\n");
	fprintf(f, "The Secret Token \"%s\" (id %s) of tenant %s expires on\n"
	    "%s (%u-day reminder).\n\n"
	    "When it expires, Microsoft Entra ID (or any SCIM client using it)\n"
	    "can no longer provision users.  Renew it, or regenerate it and\n"
	    "paste the new token into Entra ID, on the scim-tokens page or "
	    "with\n\n    scim-tokens renew %s --days 90\n\n",
	    json_str(tk, "label"),
	    json_str(tk, "id"), json_str(tk, "tenant"), e, level,
	    json_str(tk, "id"));
}

enum scim_err
admin_remind(struct store *s, const struct scim_config *cfg, bool dry_run,
    FILE *out, unsigned *sent, struct scim_error *err)
{
	struct remind_ctx	 all, ow;
	struct sigaction	 ign, old;
	const cJSON		*tk;
	int64_t			 now = util_now_usec();
	unsigned		 level;
	FILE			*f;
	int			 st;
	enum scim_err		 rc, mailrc = SCIM_OK;

	*sent = 0;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	memset(&all, 0, sizeof(all));
	memset(&ow, 0, sizeof(ow));
	all.cfg = cfg;
	if ((rc = store_read(s, remind_tokens, &all, err)) != SCIM_OK)
		goto out;
	cJSON_ArrayForEach(tk, all.out) {
		level = token_reminder_level(tk, now);
		if (level == 0 || token_reminded(tk, level))
			continue;
		if (dry_run) {
			fprintf(out, "would remind: token %s of tenant %s (%u "
			    "days)\n", json_str(tk, "id"),
			    json_str(tk, "tenant"), level);
			continue;
		}
		ow.tenant = json_str(tk, "tenant");
		if ((rc = store_read(s, remind_owners, &ow, err)) != SCIM_OK)
			goto out;
		if (cfg->sendmail[0] != '\0' && cJSON_GetArraySize(ow.out) > 0) {
			fflush(out);
			if ((f = popen(cfg->sendmail, "w")) == NULL) {
				mailrc = scim_fail(err, SCIM_E_INTERNAL,
				    "%s: %s", cfg->sendmail, strerror(errno));
				continue;
			}
			/* A mailer that exits early must not kill us. */
			sigaction(SIGPIPE, &ign, &old);
			remind_write(f, cfg, tk, ow.out, level, now);
			fflush(f);
			st = pclose(f);
			sigaction(SIGPIPE, &old, NULL);
			if (st != 0) {
				mailrc = scim_fail(err, SCIM_E_INTERNAL,
				    "%s failed (%s %d): the reminder for %s "
				    "was not sent", cfg->sendmail,
				    WIFEXITED(st) ? "exit status" : "status",
				    WIFEXITED(st) ? WEXITSTATUS(st) : st,
				    json_str(tk, "id"));
				continue;
			}
		} else {
			/* No mail command, or no owner address: print. */
			remind_write(out, cfg, tk, ow.out, level, now);
			fprintf(out, "\n");
		}
		all.id = json_str(tk, "id");
		all.days = level;
		if ((rc = store_run(s, remind_mark, &all, err)) != SCIM_OK)
			goto out;
		(*sent)++;
	}
	rc = mailrc;
out:
	cJSON_Delete(all.out);
	cJSON_Delete(ow.out);
	return rc;
}
