/*
 * Admin sessions: sign-in with a password, throttled per name and
 * address and per address (the attempt is claimed before scrypt runs),
 * sessions made from the web server's REMOTE_USER, opening, touching and
 * ending a session, and the CSRF token each carries.  A session id never
 * reaches the store: its record key is the id's SHA-256 (admin.h).
 *
 * A session lives only as long as its reason: a password session carries
 * its account's generation stamp ("gen", changed with the password and
 * new for every account made) and dies when the stamp differs; it dies
 * too when the page trusts REMOTE_USER, and a REMOTE_USER session dies
 * when it no longer does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libscrypt.h>

#include "auth/admin.h"
#include "auth/admin-int.h"
#include "audit/audit.h"
#include "base/json.h"
#include "base/log.h"
#include "auth/token.h"
#include "base/util.h"

#define TOUCH_USEC	(60LL * 1000000)	/* write "seen" once a minute */
#define PURGE_MAX	64			/* expired sessions per sign-in */

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
	if (!admin_copy_str(out->name, sizeof(out->name), name) ||
	    !admin_copy_str(out->tenant, sizeof(out->tenant), tenant))
		return scim_fail(err, SCIM_E_INTERNAL, "name too long");
	out->role = role;
	out->remote = remote;
	out->is_new = true;
	return SCIM_OK;
}

/* Write session sess inside t, of account generation gen ("" remote). */
static enum scim_err
session_put(struct store_txn *t, const struct admin_session *sess,
    const char *gen, struct scim_error *err)
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
	    cJSON_AddStringToObject(r, "gen", gen) == NULL ||
	    cJSON_AddNumberToObject(r, "created", (double)now) == NULL ||
	    cJSON_AddNumberToObject(r, "seen", (double)now) == NULL) {
		cJSON_Delete(r);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	rc = store_kv_put(t, ADMIN_KV_TENANT, SP_SESSION, sess->key, r, err);
	cJSON_Delete(r);
	return rc;
}

/* --- dropping what a changed account leaves behind --- */

struct drop_ctx {
	const char	*name;
	bool		 sessions;	/* session records, else login waits */
	cJSON		*keys;		/* the keys to delete */
};

static bool
drop_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct drop_ctx	*dc = arg;
	size_t		 n = strlen(dc->name);
	bool		 match;

	(void)keep;
	if (dc->sessions)
		match = strcmp(json_str(obj, "name"), dc->name) == 0 &&
		    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj,
		    "remote"));
	else if (strncmp(key, dc->name, n) != 0)
		return false;		/* past the name's keys */
	else
		match = key[n] == '\0' || key[n] == ' ';
	if (match)
		cJSON_AddItemToArray(dc->keys, cJSON_CreateString(key));
	return true;
}

/* Delete the keys of space that drop_each() picks for name. */
static enum scim_err
drop_keys(struct store_txn *t, const char *space, const char *name,
    bool sessions, struct scim_error *err)
{
	struct drop_ctx	 dc = { name, sessions, NULL };
	const cJSON	*k;
	enum scim_err	 rc;

	if ((dc.keys = cJSON_CreateArray()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = store_kv_scan(t, ADMIN_KV_TENANT, space,
	    sessions ? NULL : name, false, drop_each, &dc, err);
	cJSON_ArrayForEach(k, dc.keys) {
		if (rc != SCIM_OK)
			break;
		if (!cJSON_IsString(k)) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
			break;
		}
		rc = store_kv_del(t, ADMIN_KV_TENANT, space, k->valuestring,
		    err);
		if (rc == SCIM_E_NOT_FOUND)
			rc = SCIM_OK;
	}
	cJSON_Delete(dc.keys);
	return rc;
}

enum scim_err
admin_sessions_drop(struct store_txn *t, const char *name,
    struct scim_error *err)
{
	return drop_keys(t, SP_SESSION, name, true, err);
}

enum scim_err
admin_login_clear(struct store_txn *t, const char *name,
    struct scim_error *err)
{
	return drop_keys(t, SP_LOGIN, name, false, err);
}

/* --- sign-in --- */

/*
 * Throttling.  A name tried from one address may fail
 * ADMIN_THROTTLE_FREE times in a row, then waits [admin] login_wait
 * seconds, doubling with each further failure up to ADMIN_THROTTLE_MAX;
 * one address may fail THROTTLE_ADDR_FREE times in a row whatever the
 * names, then waits the same way.  So nobody can lock a name out from
 * one address (the wait is that address's), nor try many names from
 * one.  The attempt is counted as a failure BEFORE scrypt runs, in the
 * transaction that checks the waits, so parallel attempts cannot all
 * pass one check; a success clears both counters.
 */
#define THROTTLE_ADDR_FREE	10
#define THROTTLE_ADDR_LEN	64	/* bytes of REMOTE_ADDR kept */

struct login_ctx {
	const struct scim_config	*cfg;
	const char			*name;
	const char			*remote_addr;
	char				 addr[THROTTLE_ADDR_LEN + 1];
	char				 pair[ADMIN_NAME_MAX + 2 +
					    THROTTLE_ADDR_LEN];
	cJSON				*acct;	/* out (claim) */
	const char			*new_hash; /* rehashed (success) */
	struct admin_session		*sess;	/* new session (success) */
	int64_t				 now;
	unsigned			 failures; /* out: of name here */
	int64_t				 wait_left; /* out: usec, 0 = go */
};

/* Seconds to wait after n failures in a row, the first free being free. */
static int64_t
throttle_wait(const struct scim_config *cfg, unsigned n, unsigned free)
{
	int64_t	 w;

	if (n < free)
		return 0;
	n -= free;
	if (n >= 9)
		return ADMIN_THROTTLE_MAX;
	w = (int64_t)cfg->login_wait << n;
	return w > ADMIN_THROTTLE_MAX ? ADMIN_THROTTLE_MAX : w;
}

/*
 * Count one more failure of counter space/key at lc->now (the claim);
 * *failures is the new count.  Or, when its wait is not over, note it
 * in lc->wait_left and change nothing.
 */
static enum scim_err
throttle_claim(struct store_txn *t, struct login_ctx *lc, const char *space,
    const char *key, unsigned free, bool write, unsigned *failures,
    struct scim_error *err)
{
	cJSON		*r = NULL;
	int64_t		 next;
	enum scim_err	 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, space, key, &r, err);
	if (rc == SCIM_E_NOT_FOUND)
		r = cJSON_CreateObject();
	else if (rc != SCIM_OK)
		return rc;
	if (r == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	*failures = (unsigned)json_int(r, "failures") + 1;
	if ((next = json_int(r, "next")) > lc->now &&
	    next - lc->now > lc->wait_left)
		lc->wait_left = next - lc->now;
	rc = SCIM_OK;
	if (write && (!json_set(r, "failures", cJSON_CreateNumber(*failures)) ||
	    !json_set(r, "next", cJSON_CreateNumber((double)(lc->now +
	    throttle_wait(lc->cfg, *failures, free) * 1000000)))))
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	else if (write)
		rc = store_kv_put(t, ADMIN_KV_TENANT, space, key, r, err);
	cJSON_Delete(r);
	return rc;
}

/*
 * Read the account and claim the attempt: refuse (lc->wait_left) when
 * either counter says wait, else count it as a failure in both.
 */
static enum scim_err
login_claim(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct login_ctx	*lc = arg;
	unsigned		 n;
	enum scim_err		 rc;

	cJSON_Delete(lc->acct);
	lc->acct = NULL;
	lc->wait_left = 0;
	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_ADMIN, lc->name, &lc->acct,
	    err);
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	if ((rc = throttle_claim(t, lc, SP_LOGIN, lc->pair,
	    ADMIN_THROTTLE_FREE, false, &lc->failures, err)) != SCIM_OK ||
	    (rc = throttle_claim(t, lc, SP_LOGIN_ADDR, lc->addr,
	    THROTTLE_ADDR_FREE, false, &n, err)) != SCIM_OK ||
	    lc->wait_left > 0)
		return rc;
	if ((rc = throttle_claim(t, lc, SP_LOGIN, lc->pair,
	    ADMIN_THROTTLE_FREE, true, &lc->failures, err)) != SCIM_OK)
		return rc;
	return throttle_claim(t, lc, SP_LOGIN_ADDR, lc->addr,
	    THROTTLE_ADDR_FREE, true, &n, err);
}

/* The audit record of a failed sign-in (already counted by the claim). */
static enum scim_err
login_failed(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct login_ctx	*lc = arg;
	char			 detail[96];

	snprintf(detail, sizeof(detail), "sign-in failed from %.45s (%u in a "
	    "row)", lc->addr, lc->failures);
	return admin_audit(t, lc->cfg,
	    lc->acct ? json_str(lc->acct, "tenant") : "",
	    "admin.login_failed", NULL, lc->name, true, "reason", detail,
	    err);
}

static enum scim_err
login_ok(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct login_ctx	*lc = arg;
	cJSON			*a = NULL;
	enum scim_err		 rc;

	rc = store_kv_del(t, ADMIN_KV_TENANT, SP_LOGIN, lc->pair, err);
	if (rc == SCIM_OK || rc == SCIM_E_NOT_FOUND)
		rc = store_kv_del(t, ADMIN_KV_TENANT, SP_LOGIN_ADDR, lc->addr,
		    err);
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	rc = store_kv_get(t, ADMIN_KV_TENANT, SP_ADMIN, lc->name, &a, err);
	if (rc != SCIM_OK)
		return rc;
	/* The password proven is still the account's: or no session. */
	if (strcmp(json_str(a, "hash"), json_str(lc->acct, "hash")) != 0) {
		cJSON_Delete(a);
		return scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "The name or password is wrong.");
	}
	if (!json_set(a, "last_login", cJSON_CreateNumber((double)lc->now)) ||
	    (lc->new_hash != NULL &&
	    !json_set(a, "hash", cJSON_CreateString(lc->new_hash)))) {
		cJSON_Delete(a);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	rc = store_kv_put(t, ADMIN_KV_TENANT, SP_ADMIN, lc->name, a, err);
	if (rc == SCIM_OK)
		rc = purge_sessions(t, lc->cfg, err);
	if (rc == SCIM_OK)
		rc = session_put(t, lc->sess, json_str(a, "gen"), err);
	cJSON_Delete(a);
	if (rc == SCIM_OK)
		rc = admin_audit(t, lc->cfg, lc->sess->tenant, "admin.login",
		    NULL, lc->name, false, "remote_addr", lc->remote_addr,
		    err);
	return rc;
}

/* Is password the account's (or, with none, spend the same time)? */
static bool
login_password_ok(const struct login_ctx *lc, const char *password)
{
	const char	*hash;

	/* No transaction is open while scrypt runs. */
	hash = lc->acct != NULL ? json_str(lc->acct, "hash") :
	    admin_dummy_hash(lc->cfg);
	return strlen(password) <= ADMIN_PASSWORD_MAX &&
	    admin_password_ok(hash, password) && lc->acct != NULL;
}

enum scim_err
admin_login(struct store *s, const struct scim_config *cfg,
    const char *name, const char *password, const char *remote_addr,
    struct admin_session *out, struct scim_error *err)
{
	struct login_ctx	 lc;
	enum admin_role		 role;
	char			 rehash[SCRYPT_MCF_LEN];
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
	snprintf(lc.addr, sizeof(lc.addr), "%s",
	    remote_addr && *remote_addr ? remote_addr : "-");
	snprintf(lc.pair, sizeof(lc.pair), "%s %s", name, lc.addr);
	if ((rc = store_run(s, login_claim, &lc, err)) != SCIM_OK)
		goto out;
	if (lc.wait_left > 0) {
		log_warn("sign-in for \"%s\" from %s refused: waiting after "
		    "failures", name, lc.addr);
		rc = scim_fail(err, SCIM_E_FORBIDDEN,
		    "Too many failed sign-ins for this name: wait %d seconds "
		    "and try again.", (int)(lc.wait_left / 1000000 + 1));
		goto out;
	}
	role = admin_role_parse(json_str(lc.acct, "role"));
	if (!login_password_ok(&lc, password) || role == ADMIN_ROLE_NONE) {
		if (store_run(s, login_failed, &lc, NULL) != SCIM_OK)
			log_err("could not record a failed sign-in");
		log_warn("sign-in failed for \"%s\" from %s (%u in a row)",
		    name, lc.addr, lc.failures);
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "The name or password is wrong.");
		goto out;
	}
	/* An older, cheaper hash is redone at the install's cost. */
	if (admin_password_stale(cfg, json_str(lc.acct, "hash")) &&
	    admin_password_hash(cfg, password, rehash, NULL) == SCIM_OK)
		lc.new_hash = rehash;
	if ((rc = session_init(out, name, json_str(lc.acct, "tenant"), role,
	    false, err)) != SCIM_OK)
		goto out;
	lc.sess = out;
	if ((rc = store_run(s, login_ok, &lc, err)) != SCIM_OK)
		goto out;
	log_info("\"%s\" signed in from %s", name, lc.addr);
out:
	if (rc != SCIM_OK)
		memset(out, 0, sizeof(*out));
	explicit_bzero(rehash, sizeof(rehash));
	cJSON_Delete(lc.acct);
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

/*
 * Does the session oc read still have its reason?  Its kind of sign-in
 * must be on (REMOTE_USER sessions with [admin] trust_remote_user, the
 * others without), and a password session's account must exist and be
 * of the generation it signed in to (not since given a new password,
 * not deleted and made again).
 */
static bool
session_current(const struct open_ctx *oc, const struct scim_config *cfg,
    bool remote)
{
	if (remote != cfg->trust_remote_user)
		return false;
	return remote || (oc->acct != NULL &&
	    strcmp(json_str(oc->sess, "gen"), json_str(oc->acct, "gen")) == 0);
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
	if (!admin_is_lower_hex(sid, ADMIN_SID_HEX))
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
	if (!session_current(&oc, cfg, out->remote)) {
		(void)store_run(s, session_del, out->key, NULL);
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED,
		    "Your session has ended; please sign in again.");
		goto out;
	}
	/* A password account's current role and tenant apply at once. */
	who = out->remote ? oc.sess : oc.acct;
	out->role = admin_role_parse(json_str(who, "role"));
	if (!admin_copy_str(out->name, sizeof(out->name),
	    json_str(oc.sess, "name")) ||
	    !admin_copy_str(out->tenant, sizeof(out->tenant),
	    json_str(who, "tenant")) ||
	    !admin_copy_str(out->csrf, sizeof(out->csrf),
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
	if ((r = session_put(t, rc->sess, "", err)) != SCIM_OK)
		return r;
	return admin_audit(t, rc->cfg, rc->sess->tenant, "admin.login", NULL,
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
	return admin_audit(t, ec->cfg, ec->sess->tenant, "admin.logout", NULL,
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
