/*
 * The admin page's accounts against a real Berkeley DB environment in a
 * temporary directory: sign-in, sessions with idle expiry, CSRF and the
 * one-time slot, REMOTE_USER sessions; a session ended with its reason
 * (a new password, the account deleted, REMOTE_USER no longer trusted),
 * sign-in throttled per name and address across processes, and an older
 * password hash redone at the install's cost.
 */
#include "token_fixture.h"
struct kv {
	const char	*key;
	cJSON		*val;
};

static enum scim_err
kv_age(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct kv	*k = arg;
	cJSON		*r = NULL;
	enum scim_err	 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, "session", k->key, &r, err);
	if (rc != SCIM_OK)
		return rc;
	cJSON_ReplaceItemInObject(r, "seen", cJSON_CreateNumber(
	    (double)(util_now_usec() - 31LL * 60 * 1000000)));
	rc = store_kv_put(t, ADMIN_KV_TENANT, "session", k->key, r, err);
	cJSON_Delete(r);
	return rc;
}

struct acct {
	const char	*name;
	const char	*tenant;
	enum admin_role	 role;
	const char	*hash;
};

static enum scim_err
acct_add(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct acct	*a = arg;

	return admin_add(t, a->name, a->tenant, a->role, "o@example.com",
	    a->hash, "test", &cfg, err);
}

/*
 * An owner signs in: a new session with its CSRF token, opened again by
 * its cookie.  The session into *sess, for the steps after.
 */
static void
test_admin_signin(struct store *s, struct admin_session *sess)
{
	struct scim_error	 err;
	struct admin_session	 again;
	struct acct		 a;
	char			 hash[SCRYPT_MCF_LEN];

	is_int(admin_password_hash(&cfg, "short", hash, &err),
	    SCIM_E_INVALID_VALUE, "a short password is refused");
	is_int(admin_password_hash(&cfg, "correct horse", hash, &err), SCIM_OK,
	    "hash a password");
	a.name = "alice";
	a.tenant = "acme";
	a.role = ADMIN_ROLE_OWNER;
	a.hash = hash;
	is_int(store_run(s, acct_add, &a, &err), SCIM_OK, "add an owner");
	is_int(store_run(s, acct_add, &a, &err), SCIM_E_UNIQUENESS,
	    "names are unique");
	is_int(admin_login(s, &cfg, "alice", "correct horse", "127.0.0.1",
	    sess, &err), SCIM_OK, "sign in");
	ok(sess->is_new && strlen(sess->sid) == ADMIN_SID_HEX &&
	    strlen(sess->csrf) == ADMIN_SID_HEX, "a new session with a CSRF "
	    "token");
	is_str(sess->tenant, "acme", "for the account's tenant");
	is_int(sess->role, ADMIN_ROLE_OWNER, "with its role");
	is_int(admin_session_open(s, &cfg, sess->sid, &again, &err), SCIM_OK,
	    "the cookie opens the session");
	ok(admin_csrf_ok(&again, sess->csrf), "its CSRF token matches");
	ok(!admin_csrf_ok(&again, NULL) && !admin_csrf_ok(&again, "") &&
	    !admin_csrf_ok(&again, sess->sid), "nothing else does");
	is_int(admin_session_open(s, &cfg, sess->key, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the stored key is not a session id");
}

/* The one-time slot. */
static void
test_admin_flash(struct store *s, struct admin_session *sess)
{
	struct scim_error	 err;
	struct admin_session	 again;
	char			*msg, *secret, tok[TOKEN_LEN + 1];

	strcpy(tok, "scim_0123456789abcdef_0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef");
	is_int(admin_flash_put(s, sess, "+made", tok, &err), SCIM_OK,
	    "leave a message and a token");
	is_int(admin_session_open(s, &cfg, sess->sid, &again, &err), SCIM_OK,
	    "reopen");
	ok(again.has_flash, "something is waiting");
	is_int(admin_flash_take(s, &again, &msg, &secret, &err), SCIM_OK,
	    "take it");
	is_str(msg, "+made", "the message");
	is_str(secret, tok, "the token, decrypted with the session id");
	free(msg);
	free(secret);
	is_int(admin_flash_take(s, &again, &msg, &secret, &err), SCIM_OK,
	    "take again");
	ok(msg == NULL && secret == NULL, "it was shown once");
	is_int(admin_flash_put(s, sess, NULL, tok, &err), SCIM_OK,
	    "leave a token");
	memcpy(again.sid, "00", 2);
	is_int(admin_flash_take(s, &again, &msg, &secret, &err), SCIM_OK,
	    "take it with the wrong session id");
	ok(secret == NULL, "it does not decrypt");
	free(msg);
	free(secret);
}

/* Idle time-out, then sign out. */
static void
test_admin_idle(struct store *s, struct admin_session *sess)
{
	struct scim_error	 err;
	struct admin_session	 again;
	struct kv		 k;

	k.key = sess->key;
	is_int(store_run(s, kv_age, &k, &err), SCIM_OK,
	    "pretend 31 minutes passed");
	is_int(admin_session_open(s, &cfg, sess->sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the idle session has ended");
	is_int(admin_session_open(s, &cfg, sess->sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "and is gone");

	/* Sign out. */
	is_int(admin_login(s, &cfg, "alice", "correct horse", NULL, sess,
	    &err), SCIM_OK, "sign in again");
	is_int(admin_session_end(s, &cfg, sess, &err), SCIM_OK, "sign out");
	is_int(admin_session_open(s, &cfg, sess->sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the session is over");
}

/* Failures: same answer for a wrong password and an unknown name. */
static void
test_admin_failures(struct store *s)
{
	struct scim_error	 err;
	struct admin_session	 sess;
	int			 i;

	is_int(admin_login(s, &cfg, "alice", "wrong horse", "10.0.0.1", &sess,
	    &err), SCIM_E_UNAUTHORIZED, "a wrong password is refused");
	is_str(err.detail, "The name or password is wrong.", "vaguely");
	is_int(admin_login(s, &cfg, "mallory", "whatever1", "10.0.0.1", &sess,
	    &err), SCIM_E_UNAUTHORIZED, "an unknown name is refused");
	is_str(err.detail, "The name or password is wrong.", "the same way");
	for (i = 0; i < 2; i++)
		admin_login(s, &cfg, "alice", "wrong horse", "10.0.0.1",
		    &sess, &err);
	is_int(admin_login(s, &cfg, "alice", "correct horse", "10.0.0.1",
	    &sess, &err), SCIM_E_FORBIDDEN,
	    "after 3 failures even the right password must wait");
	ok(strstr(err.detail, "wait") != NULL, "the message says to wait");
	sleep(2);
	is_int(admin_login(s, &cfg, "alice", "correct horse", "10.0.0.1",
	    &sess, &err), SCIM_OK, "after the wait it works");
	is_int(admin_login(s, &cfg, "alice", "wrong horse", "10.0.0.1", &sess,
	    &err), SCIM_E_UNAUTHORIZED, "a success reset the count");
	is_int(admin_login(s, &cfg, "alice", "correct horse", "10.0.0.1",
	    &sess, &err), SCIM_OK, "no wait after one failure");
}

/* REMOTE_USER (its sessions live only while the page trusts it). */
static void
test_admin_remote(struct store *s)
{
	struct scim_error	 err;
	struct admin_session	 sess, again;

	cfg.trust_remote_user = true;
	snprintf(cfg.remote_user_roles, sizeof(cfg.remote_user_roles),
	    "bob:admin@acme");
	is_int(admin_session_remote(s, &cfg, "eve", NULL, &sess, &err),
	    SCIM_E_FORBIDDEN, "an unmapped REMOTE_USER is refused");
	is_int(admin_session_remote(s, &cfg, "bob", NULL, &sess, &err),
	    SCIM_OK, "a mapped one gets a session");
	ok(sess.is_new && sess.remote && sess.role == ADMIN_ROLE_ADMIN,
	    "a new remote session with the mapped role");
	is_int(admin_session_remote(s, &cfg, "bob", sess.sid, &again, &err),
	    SCIM_OK, "the cookie finds it again");
	ok(!again.is_new && strcmp(again.csrf, sess.csrf) == 0,
	    "the same session (same CSRF token)");
	is_int(admin_session_remote(s, &cfg, "carol", sess.sid, &again, &err),
	    SCIM_E_FORBIDDEN, "another user cannot ride on bob's cookie");
	cfg.remote_user_roles[0] = '\0';
	cfg.trust_remote_user = false;
}

/* --- sessions and sign-in hardening --- */

struct acct_op {
	const char	*name;
	const char	*hash;		/* set_password: the new hash */
};

static enum scim_err
acct_set_pw(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct acct_op	*o = arg;

	return admin_set_password(t, o->name, o->hash, err);
}

static enum scim_err
acct_del(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct acct_op	*o = arg;

	return admin_delete(t, o->name, "test", &cfg, err);
}

/* The stored password hash of name into out (SCRYPT_MCF_LEN), or "". */
static enum scim_err
acct_hash_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct acct_op	*o = arg;
	cJSON		*a = NULL;
	enum scim_err	 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, "admin", o->name, &a, err);
	if (rc == SCIM_OK)
		snprintf((char *)o->hash, SCRYPT_MCF_LEN, "%s",
		    json_str(a, "hash"));
	cJSON_Delete(a);
	return rc;
}

/* Add account name (tenant, role, hash) in a transaction of its own. */
static enum scim_err
add_account(struct store *s, const char *name, const char *tenant,
    enum admin_role role, const char *hash, struct scim_error *err)
{
	struct acct	 a = { name, tenant, role, hash };

	return store_run(s, acct_add, &a, err);
}

/*
 * A session ends with its reason: a new password, the account deleted
 * (and made again under the same name, with another tenant and role),
 * REMOTE_USER no longer trusted.
 */
static void
test_sessions_end(struct store *s)
{
	struct scim_error	 err;
	struct admin_session	 sess, again;
	struct acct_op		 o;
	char			 h1[SCRYPT_MCF_LEN], h2[SCRYPT_MCF_LEN];

	is_int(admin_password_hash(&cfg, "first password", h1, &err), SCIM_OK,
	    "hash a password");
	is_int(admin_password_hash(&cfg, "second password", h2, &err), SCIM_OK,
	    "and another");
	is_int(add_account(s, "dave", "dave-co", ADMIN_ROLE_OWNER, h1, &err),
	    SCIM_OK, "add dave");
	is_int(admin_login(s, &cfg, "dave", "first password", "10.1.0.1",
	    &sess, &err), SCIM_OK, "dave signs in");
	o.name = "dave";
	o.hash = h2;
	is_int(store_run(s, acct_set_pw, &o, &err), SCIM_OK,
	    "dave's password is changed");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the session of the old password is over");

	is_int(admin_login(s, &cfg, "dave", "second password", "10.1.0.1",
	    &sess, &err), SCIM_OK, "dave signs in with the new one");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err), SCIM_OK,
	    "that session works");
	is_int(store_run(s, acct_del, &o, &err), SCIM_OK, "dave is deleted");
	is_int(add_account(s, "dave", "other-co", ADMIN_ROLE_ADMIN, h1, &err),
	    SCIM_OK, "a new dave, of another tenant");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the old dave's cookie opens nothing");
	ok(strcmp(again.tenant, "other-co") != 0,
	    "and gets nothing of the new account");

	cfg.trust_remote_user = true;
	snprintf(cfg.remote_user_roles, sizeof(cfg.remote_user_roles),
	    "frank:owner@remote-co");
	is_int(admin_session_remote(s, &cfg, "frank", NULL, &sess, &err),
	    SCIM_OK, "a REMOTE_USER session");
	cfg.trust_remote_user = false;
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED,
	    "refused once trust_remote_user is turned off");
	cfg.trust_remote_user = true;
	is_int(admin_session_remote(s, &cfg, "frank", sess.sid, &again, &err),
	    SCIM_OK, "turned on again, frank gets a session");
	ok(again.is_new, "a new one: the old one was ended");
	cfg.trust_remote_user = false;
	cfg.remote_user_roles[0] = '\0';
	is_int(admin_login(s, &cfg, "dave", "first password", "10.1.0.1",
	    &sess, &err), SCIM_OK, "a password session");
	cfg.trust_remote_user = true;
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "refused while the page trusts REMOTE_USER");
	cfg.trust_remote_user = false;
}

/*
 * nproc processes, each making tries sign-in attempts for name with a
 * wrong password, all released at once; the number answered
 * SCIM_E_UNAUTHORIZED (the password was checked) and SCIM_E_FORBIDDEN.
 */
static void
parallel_logins(const char *name, int nproc, int tries, int *checked,
    int *waited)
{
	int	 go[2], res[2], i, j, st;
	char	 c;
	pid_t	 pid;

	*checked = *waited = 0;
	if (pipe(go) != 0 || pipe(res) != 0)
		return;
	for (i = 0; i < nproc; i++) {
		if ((pid = fork()) != 0)
			continue;
		struct store		*cs;
		struct scim_error	 err;
		struct admin_session	 sess;
		enum scim_err		 rc;

		close(go[1]);
		if (store_open(&cs, &cfg, &err) != SCIM_OK)
			_exit(1);
		(void)read(go[0], &c, 1);	/* until the parent closes */
		for (j = 0; j < tries; j++) {
			rc = admin_login(cs, &cfg, name, "wrong password",
			    "10.2.0.1", &sess, &err);
			c = rc == SCIM_E_UNAUTHORIZED ? 'u' :
			    rc == SCIM_E_FORBIDDEN ? 'f' : '?';
			(void)write(res[1], &c, 1);
		}
		store_close(cs);
		_exit(0);
	}
	close(go[0]);
	close(res[1]);
	usleep(300000);			/* let them all open the store */
	close(go[1]);
	while (read(res[0], &c, 1) == 1) {
		*checked += c == 'u';
		*waited += c == 'f';
	}
	close(res[0]);
	for (i = 0; i < nproc; i++)
		(void)wait(&st);
}

/*
 * Throttling: the attempt is claimed before the password is checked, so
 * parallel attempts get one check between them; a name is throttled per
 * address, and an address across names.
 */
static void
test_login_throttle(struct store *s)
{
	struct scim_error	 err;
	struct admin_session	 sess;
	char			 h[SCRYPT_MCF_LEN], name[32];
	int			 i, checked, waited;

	is_int(admin_password_hash(&cfg, "grace password", h, &err), SCIM_OK,
	    "hash a password");
	is_int(add_account(s, "grace", "acme", ADMIN_ROLE_OWNER, h, &err),
	    SCIM_OK, "add grace");
	for (i = 0; i < 3; i++)
		admin_login(s, &cfg, "grace", "wrong password", "10.2.0.1",
		    &sess, &err);
	sleep(2);			/* the 1-second wait is over */
	parallel_logins("grace", 4, 2, &checked, &waited);
	is_int(checked, 1, "8 attempts in 4 processes: one password check");
	is_int(waited, 7, "the others told to wait");

	cfg.login_wait = 60;		/* no test here outlasts a wait */
	is_int(admin_login(s, &cfg, "grace", "grace password", "10.2.0.1",
	    &sess, &err), SCIM_E_FORBIDDEN, "grace must wait at 10.2.0.1");
	is_int(admin_login(s, &cfg, "grace", "grace password", "10.2.0.2",
	    &sess, &err), SCIM_OK,
	    "but not from another address: no lockout from one address");
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "nobody%d", i);
		is_int(admin_login(s, &cfg, name, "wrong password",
		    "10.3.0.1", &sess, &err), SCIM_E_UNAUTHORIZED,
		    "one address tries many names");
	}
	is_int(admin_login(s, &cfg, "dave", "first password", "10.3.0.1",
	    &sess, &err), SCIM_E_FORBIDDEN,
	    "after 10 failures the address waits, whatever the name");
	cfg.login_wait = 1;
}

/* An older, cheaper hash is accepted and redone at the install's cost. */
static void
test_password_upgrade(struct store *s)
{
	struct scim_error	 err;
	struct admin_session	 sess;
	struct acct_op		 o;
	struct scim_config	 def;
	char			 h[SCRYPT_MCF_LEN], now[SCRYPT_MCF_LEN];

	config_defaults(&def);
	is_int(def.admin_scrypt_n, 1 << 17,
	    "admin passwords: OWASP's N=2^17 by default");
	ok(libscrypt_hash(h, "heidi password", 512, 8, 1) != 0,
	    "a hash at N=2^9");
	is_int(add_account(s, "heidi", "acme", ADMIN_ROLE_OWNER, h, &err),
	    SCIM_OK, "add heidi");
	is_int(admin_login(s, &cfg, "heidi", "heidi password", "10.4.0.1",
	    &sess, &err), SCIM_OK, "she signs in");
	o.name = "heidi";
	o.hash = now;
	is_int(store_read(s, acct_hash_fn, &o, &err), SCIM_OK, "read back");
	ok(strncmp(now, "$s1$0a0801$", 11) == 0,
	    "the hash is redone at the configured N=2^10");
	is_int(admin_login(s, &cfg, "heidi", "heidi password", "10.4.0.1",
	    &sess, &err), SCIM_OK, "and the password still works");
}

int
main(void)
{
	struct tmp_store	 ts;
	struct store		*s;
	struct admin_session	 sess;

	if (!token_fixture_open(&ts, "token-admin"))
		goto out;
	s = ts.s;
	test_admin_signin(s, &sess);
	test_admin_flash(s, &sess);
	test_admin_idle(s, &sess);
	test_admin_failures(s);
	test_admin_remote(s);
	test_sessions_end(s);
	test_login_throttle(s);
	test_password_upgrade(s);
out:
	tmp_store_done(&ts);
	return tap_done();
}
