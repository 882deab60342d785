/*
 * Admin accounts and browser sessions for the scim-tokens page.
 *
 * An account has a name (unique across the install), the tenant it
 * administers, a role (owner: may change tokens; viewer: may look;
 * "admin", its old name, still reads as viewer), an
 * optional e-mail address (expiry reminders go to a tenant's owners) and
 * an scrypt hash of its password (same [tokens] scrypt parameters as the
 * tokens).  Accounts are made from the shell, never from the page.
 *
 * Key spaces, all under the kv tenant ADMIN_KV_TENANT ("default") so a
 * sign-in needs nothing but a name; each record names its own tenant:
 *   admin/<name>        {"name","tenant","role","email","hash","gen",
 *                        "created","created_by","last_login"}; gen is a
 *                        random stamp, new with each account and password
 *   login/<name> <addr> {"failures","next"}: failed sign-ins in a row of
 *                        name from address addr and when the next attempt
 *                        is allowed (also for names that do not exist, so
 *                        throttling tells nothing)
 *   login-addr/<addr>   the same for every name tried from addr
 *   session/<sha256(sid) hex>
 *                       {"name","tenant","role","remote","csrf","gen",
 *                        "created","seen","flash","secret"}: gen is the
 *                        account's when it signed in, and must still be
 *                        (see admin-session.c)
 *
 * A session id is 256 random bits, sent to the browser as a cookie and
 * never stored: the record key is its SHA-256.  Each session has its own
 * random CSRF token that every form carries.  A new token waiting to be
 * shown once ("secret") is stored encrypted under a key derived from the
 * session id, so the store alone never holds it in the clear.
 *
 * With [admin] trust_remote_user, the web server's own authentication
 * (REMOTE_USER) replaces the password form: [admin] remote_user_roles
 * maps users to roles ("alice:owner bob:viewer carol:owner@acme"); a
 * session is still made, to carry the CSRF token.
 *
 * Files: admin.c (accounts, passwords), admin-session.c (sign-in,
 * sessions, CSRF), admin-flash.c (the one-time slot), admin-remind.c
 * (expiry reminders); admin-int.h holds what they share.
 * Owns: the admin, login and session key spaces.  Must not know: HTTP,
 * cookies and HTML (the page, common/page), how a bearer token is
 * checked (token-auth.c).
 */
#ifndef SCIM_ADMIN_H
#define SCIM_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "store/store.h"

#define ADMIN_KV_TENANT		"default"	/* kv tenant of the spaces */
#define ADMIN_NAME_MAX		64
#define ADMIN_EMAIL_MAX		254
#define ADMIN_PASSWORD_MIN	8
#define ADMIN_PASSWORD_MAX	1024
#define ADMIN_SID_HEX		64		/* 256 bits in hex */
#define ADMIN_COOKIE		"scim_admin"	/* the session cookie */
#define ADMIN_LOGIN_COOKIE	"scim_login"	/* sign-in form CSRF cookie */
#define ADMIN_THROTTLE_FREE	3		/* failures before waiting */
#define ADMIN_THROTTLE_MAX	300		/* longest wait, seconds */

enum admin_role {
	ADMIN_ROLE_NONE,
	ADMIN_ROLE_VIEWER,	/* may view (once called "admin") */
	ADMIN_ROLE_OWNER	/* may view and change */
};
#define ADMIN_ROLE_ADMIN	ADMIN_ROLE_VIEWER	/* the old name */

/* A signed-in browser. */
struct admin_session {
	char		 sid[ADMIN_SID_HEX + 1];	/* the cookie value */
	char		 key[ADMIN_SID_HEX + 1];	/* SHA-256(sid), hex */
	char		 name[ADMIN_NAME_MAX + 1];
	char		 tenant[STORE_ID_MAX + 1];	/* managed tenant */
	enum admin_role	 role;
	bool		 remote;	/* made from REMOTE_USER */
	bool		 is_new;	/* made by this request: set the cookie */
	bool		 has_flash;	/* a message or secret is waiting */
	char		 csrf[ADMIN_SID_HEX + 1];	/* the forms' token */
};

bool		 admin_name_valid(const char *s);	/* 1-64 [A-Za-z0-9._@+-] */
bool		 admin_email_valid(const char *s);	/* a@b, no spaces or <>," */
/* The role of a name ("admin" is viewer's old name), NONE if unknown. */
enum admin_role	 admin_role_parse(const char *s);
const char	*admin_role_name(enum admin_role r);	/* "owner", "viewer" */

/* 256 random bits as 64 hex digits into out (65 bytes); false on failure. */
bool		 admin_random_hex(char *out);

/*
 * scrypt-hash password (ADMIN_PASSWORD_MIN to ADMIN_PASSWORD_MAX bytes of
 * UTF-8) into out (SCRYPT_MCF_LEN bytes).  Slow: call outside a
 * transaction.
 */
enum scim_err	 admin_password_hash(const struct scim_config *cfg,
		    const char *password, char *out, struct scim_error *err);

/*
 * Store a new account inside t (SCIM_E_UNIQUENESS when the name is
 * taken).  hash comes from admin_password_hash(); email may be NULL.
 * Records an "admin.created" event in tenant (cfg, for the audit hook,
 * may be NULL, as everywhere below).
 */
enum scim_err	 admin_add(struct store_txn *t, const char *name,
		    const char *tenant, enum admin_role role,
		    const char *email, const char *hash, const char *actor,
		    const struct scim_config *cfg, struct scim_error *err);

/*
 * Replace the password hash of name inside t: a new generation, so its
 * sessions end (and are deleted), and its sign-in waits end.
 */
enum scim_err	 admin_set_password(struct store_txn *t, const char *name,
		    const char *hash, struct scim_error *err);

/* Delete account name inside t (its sessions are deleted with it). */
enum scim_err	 admin_delete(struct store_txn *t, const char *name,
		    const char *actor, const struct scim_config *cfg,
		    struct scim_error *err);

/*
 * Accounts of tenant (NULL: all), by name, without hashes, as a new array
 * in *out (caller deletes).
 */
enum scim_err	 admin_list(struct store_txn *t, const char *tenant,
		    cJSON **out, struct scim_error *err);

/* E-mail addresses of tenant's owners, a new array of strings. */
enum scim_err	 admin_owner_emails(struct store_txn *t, const char *tenant,
		    cJSON **out, struct scim_error *err);

/*
 * Sign in with name and password from remote_addr (may be NULL).  A name
 * that failed ADMIN_THROTTLE_FREE or more times in a row from that
 * address, or an address that failed 10 times in a row whatever the
 * names, must wait [admin] login_wait << (n - free) seconds (at most
 * ADMIN_THROTTLE_MAX) before the next attempt: sooner is
 * SCIM_E_FORBIDDEN without checking the password.  The attempt is
 * counted as a failure before the password is checked, in the
 * transaction that checks the wait; a success clears both counts.  A
 * password hash of a lower cost than [admin] scrypt_n is redone.  A wrong name or
 * password is SCIM_E_UNAUTHORIZED (same time and message either way:
 * unknown names are checked against a dummy hash), is logged with
 * remote_addr and recorded as an "auth.failed" event (tenant "" for an
 * unknown name).  On success fills *out
 * with a new session (is_new set) and leaves an "admin.login" event.
 * scrypt runs with no transaction open.
 */
enum scim_err	 admin_login(struct store *s, const struct scim_config *cfg,
		    const char *name, const char *password,
		    const char *remote_addr, struct admin_session *out,
		    struct scim_error *err);

/*
 * Find the session of cookie value sid.  SCIM_E_UNAUTHORIZED when there
 * is none, it was idle longer than [admin] session_idle_minutes or is
 * older than session_max_hours, its kind of sign-in is off (REMOTE_USER
 * without trust_remote_user, a password with it), or its account is
 * gone or of another generation (the record is deleted then).  The account's current role and tenant apply.  The
 * "seen" time is written at most once a minute.
 */
enum scim_err	 admin_session_open(struct store *s,
		    const struct scim_config *cfg, const char *sid,
		    struct admin_session *out, struct scim_error *err);

/*
 * The session of a REMOTE_USER: user must be in [admin]
 * remote_user_roles (else SCIM_E_FORBIDDEN).  Reuses the session of
 * cookie sid (may be NULL) when it belongs to the same user, else makes
 * one (is_new set).
 */
enum scim_err	 admin_session_remote(struct store *s,
		    const struct scim_config *cfg, const char *user,
		    const char *sid, struct admin_session *out,
		    struct scim_error *err);

/*
 * Look user up in a remote_user_roles map ("user:role[@tenant] ...",
 * separated by spaces or commas; tenant defaults to "default").  False
 * when absent or malformed.  tenant has STORE_ID_MAX + 1 bytes.
 */
bool		 admin_remote_role(const char *map, const char *user,
		    enum admin_role *role, char *tenant);

/* Sign out: delete the session record, with an "admin.logout" event. */
enum scim_err	 admin_session_end(struct store *s,
		    const struct scim_config *cfg,
		    const struct admin_session *sess, struct scim_error *err);

/* Does presented match the session's CSRF token (constant time)? */
bool		 admin_csrf_ok(const struct admin_session *sess,
		    const char *presented);

/*
 * Leave a message (may be NULL) and a new token to show once (may be
 * NULL; stored encrypted with the session id) for the next page view.
 */
enum scim_err	 admin_flash_put(struct store *s,
		    const struct admin_session *sess, const char *msg,
		    const char *secret, struct scim_error *err);

/*
 * Take (read and delete) what admin_flash_put() left: *msg and *secret
 * are new strings or NULL; the caller frees them (and should
 * explicit_bzero the secret first).
 */
enum scim_err	 admin_flash_take(struct store *s,
		    const struct admin_session *sess, char **msg,
		    char **secret, struct scim_error *err);

/*
 * Send the expiry reminders that are due (token_reminder_level(), not yet
 * token_reminded()) to the owners of each token's tenant: through
 * cfg->sendmail (the message, with its To: header, on the command's
 * standard input), or written to out when no mail command is set or the
 * tenant has no owner with an address.  Each one sent is recorded so it
 * goes out once per threshold.  With dry_run, only a line per due
 * reminder is written to out.  *sent counts those sent.  A mail command
 * that fails is SCIM_E_INTERNAL (after trying the other reminders).
 */
enum scim_err	 admin_remind(struct store *s, const struct scim_config *cfg,
		    bool dry_run, FILE *out, unsigned *sent,
		    struct scim_error *err);

/* The SHA-256 of s in lower-case hex into out (65 bytes). */
void		 admin_sha256_hex(const char *s, char *out);

#endif /* SCIM_ADMIN_H */
