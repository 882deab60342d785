/*
 * scim.conf reading with inih: one table of keys, each with a setter.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "base/config.h"
#include "base/log.h"
#include "base/util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif

struct config_ctx {
	struct scim_config	*cfg;
	struct scim_error	*err;
	enum scim_err		 rc;
};

static bool
set_str(char *dst, size_t sz, const char *v)
{
	if (strlen(v) >= sz)
		return false;
	strcpy(dst, v);
	return true;
}

static bool
set_uint(unsigned *dst, const char *v, long min, long max)
{
	long	 n;

	if (!util_parse_long(v, min, max, &n))
		return false;
	*dst = (unsigned)n;
	return true;
}

static bool
set_bool(bool *dst, const char *v)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0)
		*dst = true;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0)
		*dst = false;
	else
		return false;
	return true;
}

/*
 * The [admin] section (scim-tokens page and reminders).  Sets *ok and
 * returns true when section/name is one of its keys.
 */
static bool
config_admin(struct scim_config *c, const char *section, const char *name,
    const char *value, bool *ok)
{
	if (strcasecmp(section, "admin") != 0)
		return false;
	if (strcasecmp(name, "session_idle_minutes") == 0)
		*ok = set_uint(&c->session_idle_minutes, value, 1, 24 * 60);
	else if (strcasecmp(name, "session_max_hours") == 0)
		*ok = set_uint(&c->session_max_hours, value, 1, 24 * 30);
	else if (strcasecmp(name, "trust_remote_user") == 0)
		*ok = set_bool(&c->trust_remote_user, value);
	else if (strcasecmp(name, "remote_user_roles") == 0)
		*ok = set_str(c->remote_user_roles,
		    sizeof(c->remote_user_roles), value);
	else if (strcasecmp(name, "sendmail") == 0)
		*ok = set_str(c->sendmail, sizeof(c->sendmail), value);
	else if (strcasecmp(name, "mail_from") == 0)
		*ok = set_str(c->mail_from, sizeof(c->mail_from), value) &&
		    strpbrk(value, "\r\n") == NULL;
	else if (strcasecmp(name, "tenant_url") == 0)
		*ok = set_str(c->tenant_url, sizeof(c->tenant_url), value);
	else
		return false;
	return true;
}

static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_ctx	*ctx = user;
	struct scim_config	*c = ctx->cfg;
	long			 n;
	bool			 ok;

	if (ctx->rc != SCIM_OK)
		return 0;
#define KEY(s, k)	(strcasecmp(section, s) == 0 && strcasecmp(name, k) == 0)
	if (KEY("store", "home"))
		ok = set_str(c->home, sizeof(c->home), value);
	else if (KEY("store", "sync")) {
		ok = true;
		if (strcasecmp(value, "full") == 0)
			c->sync = STORE_SYNC_FULL;
		else if (strcasecmp(value, "write") == 0)
			c->sync = STORE_SYNC_WRITE;
		else if (strcasecmp(value, "none") == 0)
			c->sync = STORE_SYNC_NONE;
		else
			ok = false;
	} else if (KEY("store", "max_processes"))
		/*
		 * Obsolete, and ignored: it sized Berkeley DB's thread
		 * table, which only failchk used, and the store no longer
		 * uses either.  Still ACCEPTED, with its old range checked,
		 * so that an operator's existing scim.conf keeps loading
		 * (etc/scim.conf and scim.conf(5) say it is no longer used).
		 */
		ok = util_parse_long(value, 8, 100000, &n);
	else if (KEY("store", "lock_timeout_ms"))
		ok = set_uint(&c->lock_timeout_ms, value, 10, 600000);
	else if (KEY("store", "cache_max_mb"))
		ok = set_uint(&c->cache_max_mb, value, CACHE_MAX_MB_MIN,
		    CACHE_MAX_MB_MAX);
	else if (KEY("http", "base_url"))
		ok = set_str(c->base_url, sizeof(c->base_url), value);
	else if (KEY("http", "max_body")) {
		if ((ok = util_parse_long(value, 1024, 1L << 30, &n)))
			c->max_body = (size_t)n;
	} else if (KEY("scim", "default_count"))
		ok = util_parse_long(value, 1, 100000, &c->default_count);
	else if (KEY("scim", "max_results"))
		ok = util_parse_long(value, 1, 100000, &c->max_results);
	else if (KEY("tokens", "scrypt_n"))
		ok = set_uint(&c->scrypt_n, value, 2, 1 << 24) &&
		    (c->scrypt_n & (c->scrypt_n - 1)) == 0;
	else if (KEY("tokens", "scrypt_r"))
		ok = set_uint(&c->scrypt_r, value, 1, 64);
	else if (KEY("tokens", "scrypt_p"))
		ok = set_uint(&c->scrypt_p, value, 1, 64);
	else if (KEY("tokens", "max_live"))
		ok = set_uint(&c->max_live_tokens, value, 1, 100);
	else if (KEY("tokens", "default_days"))
		ok = set_uint(&c->default_days, value, 1, 3650);
	else if (KEY("log", "level")) {
		ok = true;
		if (strcasecmp(value, "error") == 0)
			c->log_level = LOG_LVL_ERR;
		else if (strcasecmp(value, "warning") == 0)
			c->log_level = LOG_LVL_WARN;
		else if (strcasecmp(value, "info") == 0)
			c->log_level = LOG_LVL_INFO;
		else if (strcasecmp(value, "debug") == 0)
			c->log_level = LOG_LVL_DEBUG;
		else
			ok = false;
	} else if (KEY("audit", "retention_days"))
		ok = set_uint(&c->audit_retention_days, value, 1, 36500);
	else if (KEY("audit", "hook"))
		ok = set_str(c->audit_hook, sizeof(c->audit_hook), value);
	else if (KEY("audit", "hook_events"))
		ok = set_str(c->audit_hook_events, sizeof(c->audit_hook_events),
		    value);
	else if (KEY("audit", "hook_timeout"))
		ok = set_uint(&c->audit_hook_timeout, value, 1, 3600);
	else if (KEY("audit", "hook_retry"))
		ok = set_uint(&c->audit_hook_retry, value, 0, 86400);
	else if (KEY("log", "store_ops_header")) {
		ok = true;
		if (strcasecmp(value, "yes") == 0)
			c->store_ops_header = true;
		else if (strcasecmp(value, "no") == 0)
			c->store_ops_header = false;
		else
			ok = false;
	} else if (config_admin(c, section, name, value, &ok))
		;	/* [admin]: see config_admin() */
	else {
		ctx->rc = scim_fail(ctx->err, SCIM_E_INTERNAL,
		    "%s: unknown key [%s] %s", c->path, section, name);
		return 0;
	}
#undef KEY
	if (!ok) {
		ctx->rc = scim_fail(ctx->err, SCIM_E_INTERNAL,
		    "%s: bad value for [%s] %s: \"%s\"", c->path, section,
		    name, value);
		return 0;
	}
	return 1;
}

/*
 * The default [store] cache_max_mb: a quarter of physical memory, so that
 * a store sized to its data never crowds out the web server and the page
 * cache, and no more than CACHE_MAX_MB_DEFAULT_CAP.
 */
static unsigned
default_cache_max_mb(void)
{
	long		 pages = sysconf(_SC_PHYS_PAGES);
	long		 pagesize = sysconf(_SC_PAGESIZE);
	uint64_t	 mb;

	if (pages <= 0 || pagesize <= 0)
		return CACHE_MAX_MB_UNKNOWN;
	mb = (uint64_t)pages * (uint64_t)pagesize / 4 / (1024 * 1024);
	if (mb < CACHE_MAX_MB_MIN)
		mb = CACHE_MAX_MB_MIN;
	if (mb > CACHE_MAX_MB_DEFAULT_CAP)
		mb = CACHE_MAX_MB_DEFAULT_CAP;
	return (unsigned)mb;
}

void
config_defaults(struct scim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->home, sizeof(cfg->home), "%s/lib/scim-fcgi",
	    LOCALSTATEDIR);
	cfg->sync = STORE_SYNC_FULL;
	cfg->lock_timeout_ms = 2000;
	cfg->cache_max_mb = default_cache_max_mb();
	cfg->max_body = 1024 * 1024;
	cfg->default_count = 100;
	cfg->max_results = 1000;
	cfg->scrypt_n = 16384;
	cfg->scrypt_r = 8;
	cfg->scrypt_p = 1;
	cfg->max_live_tokens = 2;
	cfg->default_days = 90;
	cfg->log_level = LOG_LVL_INFO;
	cfg->audit_retention_days = 365;
	strcpy(cfg->audit_hook_events, "*");
	cfg->audit_hook_timeout = 10;
	cfg->audit_hook_retry = 60;
	/* [admin] */
	cfg->session_idle_minutes = 30;
	cfg->session_max_hours = 12;
	cfg->trust_remote_user = false;
}

enum scim_err
config_load(struct scim_config *cfg, const char *path,
    struct scim_error *err)
{
	struct config_ctx	 ctx = { cfg, err, SCIM_OK };
	bool			 explicit = true;
	FILE			*f;
	int			 line;

	config_defaults(cfg);
	if (path == NULL && (path = getenv("SCIM_CONF")) == NULL) {
		path = SYSCONFDIR "/scim-fcgi/scim.conf";
		explicit = false;
	}
	if ((f = fopen(path, "r")) == NULL) {
		if (explicit || errno != ENOENT)
			return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", path,
			    strerror(errno));
	} else {
		snprintf(cfg->path, sizeof(cfg->path), "%s", path);
		line = ini_parse_file(f, config_handler, &ctx);
		fclose(f);
		if (ctx.rc != SCIM_OK)
			return ctx.rc;
		if (line != 0)
			return scim_fail(err, SCIM_E_INTERNAL,
			    "%s:%d: syntax error", path, line);
	}
	return SCIM_OK;
}
