/*
 * Internals shared by the files of the admin module (admin.c,
 * admin-session.c, admin-flash.c, admin-remind.c); not installed, not
 * for other modules: they use admin.h.
 */
#ifndef SCIM_ADMIN_INT_H
#define SCIM_ADMIN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/admin.h"

/*
 * Key spaces under ADMIN_KV_TENANT (admin.h describes the records).
 * Sign-in throttling (admin-session.c) keeps two kinds of counter, each
 * {"failures","next"}: login/<name> <address> for a name tried from one
 * address, login-addr/<address> for every name tried from it.
 */
#define SP_ADMIN	"admin"
#define SP_LOGIN	"login"
#define SP_LOGIN_ADDR	"login-addr"
#define SP_SESSION	"session"

/* Copy src into dst (sz bytes); false, copying nothing, when too long. */
bool		 admin_copy_str(char *dst, size_t sz, const char *src);

/*
 * Record an admin or auth event through the audit log inside t: actor
 * and target are the account name (actor as "admin:<name>" unless
 * given), detail a name and value (both may be NULL).
 */
enum scim_err	 admin_audit(struct store_txn *t,
		    const struct scim_config *cfg, const char *tenant,
		    const char *type, const char *actor, const char *name,
		    bool failure, const char *dname, const char *dvalue,
		    struct scim_error *err);

/* Is s (not NULL) exactly n lower-case hex digits? */
bool		 admin_is_lower_hex(const char *s, size_t n);

/* Does password match the MCF hash mcf (libscrypt_check on a copy)? */
bool		 admin_password_ok(const char *mcf, const char *password);

/*
 * Was mcf made with a lower cost than this install's ([admin] scrypt_n,
 * [tokens] scrypt_r and scrypt_p)?  Then the next sign-in rehashes it.
 */
bool		 admin_password_stale(const struct scim_config *cfg,
		    const char *mcf);

/* Delete, inside t, the password sessions of account name. */
enum scim_err	 admin_sessions_drop(struct store_txn *t, const char *name,
		    struct scim_error *err);

/* Delete, inside t, every sign-in wait of name (from any address). */
enum scim_err	 admin_login_clear(struct store_txn *t, const char *name,
		    struct scim_error *err);

/*
 * A hash of a random password with this install's parameters, made once
 * per process (static storage): unknown names are checked against it so
 * that they take as long as known ones.
 */
const char	*admin_dummy_hash(const struct scim_config *cfg);

#endif /* SCIM_ADMIN_INT_H */
