/*
 * scim.conf reading with inih: one table of keys (config_keys), each
 * saying where its value goes and what it may be; config_set() applies
 * an entry.  A new key is one line of the table (and its documentation).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
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
config_set_str(char *dst, size_t sz, const char *v)
{
	if (strlen(v) >= sz)
		return false;
	strcpy(dst, v);
	return true;
}

static bool
config_set_uint(unsigned *dst, const char *v, long min, long max)
{
	long	 n;

	if (!util_parse_long(v, min, max, &n))
		return false;
	*dst = (unsigned)n;
	return true;
}

static bool
config_set_bool(bool *dst, const char *v)
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

/* A value a key may take by name (sync = full, level = debug...). */
struct config_choice {
	const char	*name;
	int		 value;
};

static const struct config_choice config_sync_choices[] = {
	{ "full", STORE_SYNC_FULL },
	{ "write", STORE_SYNC_WRITE },
	{ "none", STORE_SYNC_NONE },
	{ NULL, 0 }
};

static const struct config_choice config_level_choices[] = {
	{ "error", LOG_LVL_ERR },
	{ "warning", LOG_LVL_WARN },
	{ "info", LOG_LVL_INFO },
	{ "debug", LOG_LVL_DEBUG },
	{ NULL, 0 }
};

/* [roles] default: what a user no mapping matches gets. */
static const struct config_choice config_role_default_choices[] = {
	{ "member", true },
	{ "none", false },
	{ NULL, 0 }
};

/* [scim] undeclared_extensions: is an undeclared extension refused? */
static const struct config_choice config_undeclared_choices[] = {
	{ "store", false },
	{ "refuse", true },
	{ NULL, 0 }
};

/* Only yes or no: unlike the other booleans, never true/false/1/0. */
static const struct config_choice config_yes_no[] = {
	{ "yes", true },
	{ "no", false },
	{ NULL, 0 }
};

enum config_kind {
	CONFIG_STR,		/* char[size] */
	CONFIG_UINT,		/* unsigned, min..max */
	CONFIG_LONG,		/* long, min..max */
	CONFIG_SIZE,		/* size_t, min..max */
	CONFIG_BOOL,		/* bool: yes/no, true/false, 1/0 */
	CONFIG_CHOICE,		/* int (or bool, by size) from choices */
	CONFIG_UNUSED		/* long, min..max, checked and dropped */
};

/* One key of scim.conf: where its value goes and what it may be. */
struct config_key {
	const char			*section;
	const char			*name;
	enum config_kind		 kind;
	size_t				 off;	/* in struct scim_config */
	size_t				 size;	/* of that field */
	long				 min, max;
	const struct config_choice	*choices;
	/* A further rule on the value once set, or NULL. */
	bool				(*check)(const struct scim_config *,
					    const char *);
};

/* One word of [audit] hook_env; the contract is in config.h. */
int
config_env_next(const char **p, char *buf, size_t sz)
{
	const char	*s = *p + strspn(*p, " \t"), *v, *end;
	size_t		 nlen, vlen;

	if (*s == '\0') {
		*p = s;
		return 0;
	}
	nlen = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_");
	if (nlen == 0 || s[nlen] != '=' || (s[0] >= '0' && s[0] <= '9') ||
	    strncmp(s, "SCIM_EVENT_", 11) == 0)
		return -1;
	v = s + nlen + 1;
	if (*v == '"') {
		if ((end = strchr(++v, '"')) == NULL ||
		    (end[1] != '\0' && end[1] != ' ' && end[1] != '\t'))
			return -1;
		vlen = (size_t)(end - v);
		end++;
	} else {
		vlen = strcspn(v, " \t\"");
		end = v + vlen;
		if (*end == '"')
			return -1;
	}
	if (nlen + 1 + vlen >= sz)
		return -1;
	memcpy(buf, s, nlen + 1);
	memcpy(buf + nlen + 1, v, vlen);
	buf[nlen + 1 + vlen] = '\0';
	*p = end;
	return 1;
}

/* [audit] hook_env: every word a well-formed assignment. */
static bool
config_env_words(const struct scim_config *c, const char *value)
{
	char	 buf[sizeof(c->audit_hook_env)];
	int	 r;

	while ((r = config_env_next(&value, buf, sizeof(buf))) == 1)
		continue;
	return r == 0;
}

static bool
config_power_of_two(const struct scim_config *c, const char *value)
{
	(void)value;
	return (c->scrypt_n & (c->scrypt_n - 1)) == 0;
}

static bool
config_admin_power_of_two(const struct scim_config *c, const char *value)
{
	(void)value;
	return (c->admin_scrypt_n & (c->admin_scrypt_n - 1)) == 0;
}

/* A header value: a line break would let it add headers of its own. */
static bool
config_one_line(const struct scim_config *c, const char *value)
{
	(void)c;
	return strpbrk(value, "\r\n") == NULL;
}

/* A value that must not be empty ([gate] tenant). */
static bool
config_nonempty(const struct scim_config *c, const char *value)
{
	(void)c;
	return value[0] != '\0';
}

/* [replication] ack_policy (the same on every site of a group). */
static const struct config_choice config_ack_choices[] = {
	{ "quorum", REP_ACK_QUORUM },
	{ "all", REP_ACK_ALL },
	{ NULL, 0 }
};

bool
config_hostport(const char *s, char *host, unsigned *port)
{
	const char	*colon = strrchr(s, ':');
	size_t		 hlen;
	long		 n;

	if (colon == NULL || (hlen = (size_t)(colon - s)) == 0 ||
	    hlen >= REP_ADDR_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-") != hlen ||
	    !util_parse_long(colon + 1, 1, 65535, &n))
		return false;
	if (host != NULL) {
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		*port = (unsigned)n;
	}
	return true;
}

/* A site's SCIM base URL: http(s)://, one line, no blank. */
static bool
config_site_url(const char *v)
{
	return (strncmp(v, "http://", 7) == 0 ||
	    strncmp(v, "https://", 8) == 0) && strlen(v) < REP_URL_MAX &&
	    strpbrk(v, " \t\r\n") == NULL && strlen(v) > 8;
}

int
config_peer_next(const char **p, char *addr, char *url)
{
	const char	*s = *p + strspn(*p, " \t,"), *end, *blank;
	size_t		 alen, ulen;

	if (*s == '\0') {
		*p = s;
		return 0;
	}
	end = s + strcspn(s, ",");
	blank = s + strcspn(s, " \t");
	if (blank >= end || (alen = (size_t)(blank - s)) >= REP_ADDR_MAX)
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	blank += strspn(blank, " \t");
	ulen = strcspn(blank, " \t,");
	if (!config_hostport(addr, NULL, NULL) || ulen >= REP_URL_MAX ||
	    blank + ulen + strspn(blank + ulen, " \t") != end)
		return -1;
	memcpy(url, blank, ulen);
	url[ulen] = '\0';
	if (!config_site_url(url))
		return -1;
	*p = end;
	return 1;
}

/* [replication] site, url and peers: "" (the default: off) or valid. */
static bool
config_check_site(const struct scim_config *c, const char *value)
{
	(void)c;
	return value[0] == '\0' || config_hostport(value, NULL, NULL);
}

static bool
config_check_url(const struct scim_config *c, const char *value)
{
	(void)c;
	return value[0] == '\0' || config_site_url(value);
}

/* [replication] peers: every entry well formed, at least one. */
static bool
config_check_peers(const struct scim_config *c, const char *value)
{
	char	 addr[REP_ADDR_MAX], url[REP_URL_MAX];
	int	 r, n = 0;

	(void)c;
	if (value[0] == '\0')
		return true;
	while ((r = config_peer_next(&value, addr, url)) == 1)
		n++;
	return r == 0 && n > 0;
}

#define CF(f)	offsetof(struct scim_config, f), \
		sizeof(((struct scim_config *)0)->f)
#define CF_NONE	0, 0
/* Spelt so that tests/deploy/conf_keys.sh finds every key here. */
#define KEY(section, name)	section, name

/* Every key of scim.conf (scim.conf(5), scim-tokens(8) for [admin]). */
static const struct config_key config_keys[] = {
	{ KEY("store", "home"), CONFIG_STR, CF(home), 0, 0, NULL, NULL },
	{ KEY("store", "sync"), CONFIG_CHOICE, CF(sync), 0, 0,
	    config_sync_choices, NULL },
	/*
	 * Obsolete, and ignored: it sized Berkeley DB's thread table, which
	 * only failchk used, and the store no longer uses either.  Still
	 * accepted, with its old range checked, so that an operator's
	 * existing scim.conf keeps loading (etc/scim.conf and scim.conf(5)
	 * say it is no longer used).
	 */
	{ KEY("store", "max_processes"), CONFIG_UNUSED, CF_NONE, 8, 100000,
	    NULL, NULL },
	{ KEY("store", "lock_timeout_ms"), CONFIG_UINT, CF(lock_timeout_ms),
	    10, 600000, NULL, NULL },
	{ KEY("store", "cache_max_mb"), CONFIG_UINT, CF(cache_max_mb),
	    CACHE_MAX_MB_MIN, CACHE_MAX_MB_MAX, NULL, NULL },
	{ KEY("http", "base_url"), CONFIG_STR, CF(base_url), 0, 0, NULL, NULL },
	{ KEY("http", "max_body"), CONFIG_SIZE, CF(max_body), 1024, 1L << 30,
	    NULL, NULL },
	{ KEY("scim", "default_count"), CONFIG_LONG, CF(default_count),
	    1, 100000, NULL, NULL },
	{ KEY("scim", "max_results"), CONFIG_LONG, CF(max_results), 1, 100000,
	    NULL, NULL },
	{ KEY("scim", "max_sort"), CONFIG_LONG, CF(max_sort), 1, 1000000,
	    NULL, NULL },
	{ KEY("scim", "bulk_max_operations"), CONFIG_UINT,
	    CF(bulk_max_operations), 1, 10000, NULL, NULL },
	{ KEY("scim", "bulk_max_payload"), CONFIG_SIZE, CF(bulk_max_payload),
	    1024, 1L << 30, NULL, NULL },
	{ KEY("scim", "extensions"), CONFIG_STR, CF(extensions), 0, 0, NULL,
	    NULL },
	{ KEY("scim", "undeclared_extensions"), CONFIG_CHOICE,
	    CF(refuse_undeclared_ext), 0, 0, config_undeclared_choices, NULL },
	{ KEY("tokens", "scrypt_n"), CONFIG_UINT, CF(scrypt_n), 2, 1 << 24,
	    NULL, config_power_of_two },
	{ KEY("tokens", "scrypt_r"), CONFIG_UINT, CF(scrypt_r), 1, 64,
	    NULL, NULL },
	{ KEY("tokens", "scrypt_p"), CONFIG_UINT, CF(scrypt_p), 1, 64,
	    NULL, NULL },
	{ KEY("tokens", "max_live"), CONFIG_UINT, CF(max_live_tokens), 1, 100,
	    NULL, NULL },
	{ KEY("tokens", "default_days"), CONFIG_UINT, CF(default_days), 1, 3650,
	    NULL, NULL },
	{ KEY("log", "level"), CONFIG_CHOICE, CF(log_level), 0, 0,
	    config_level_choices, NULL },
	{ KEY("log", "store_ops_header"), CONFIG_CHOICE, CF(store_ops_header),
	    0, 0, config_yes_no, NULL },
	{ KEY("audit", "retention_days"), CONFIG_UINT, CF(audit_retention_days),
	    1, 36500, NULL, NULL },
	{ KEY("audit", "hook"), CONFIG_STR, CF(audit_hook), 0, 0, NULL, NULL },
	{ KEY("audit", "hook_events"), CONFIG_STR, CF(audit_hook_events), 0, 0,
	    NULL, NULL },
	{ KEY("audit", "hook_timeout"), CONFIG_UINT, CF(audit_hook_timeout),
	    1, 3600, NULL, NULL },
	{ KEY("audit", "hook_retry"), CONFIG_UINT, CF(audit_hook_retry),
	    0, 86400, NULL, NULL },
	{ KEY("audit", "hook_env"), CONFIG_STR, CF(audit_hook_env), 0, 0,
	    NULL, config_env_words },
	{ KEY("activity", "enabled"), CONFIG_BOOL, CF(activity_enabled),
	    0, 0, NULL, NULL },
	{ KEY("activity", "retention_days"), CONFIG_UINT,
	    CF(activity_retention_days), 1, 3650, NULL, NULL },
	{ KEY("activity", "max_mb"), CONFIG_UINT, CF(activity_max_mb),
	    1, 1048576, NULL, NULL },
	{ KEY("activity", "redact"), CONFIG_STR, CF(activity_redact), 0, 0,
	    NULL, NULL },
	{ KEY("admin", "session_idle_minutes"), CONFIG_UINT,
	    CF(session_idle_minutes), 1, 24 * 60, NULL, NULL },
	{ KEY("admin", "session_max_hours"), CONFIG_UINT, CF(session_max_hours),
	    1, 24 * 30, NULL, NULL },
	{ KEY("admin", "trust_remote_user"), CONFIG_BOOL, CF(trust_remote_user),
	    0, 0, NULL, NULL },
	{ KEY("admin", "scrypt_n"), CONFIG_UINT, CF(admin_scrypt_n), 2, 1 << 24,
	    NULL, config_admin_power_of_two },
	{ KEY("admin", "login_wait"), CONFIG_UINT, CF(login_wait), 1, 300,
	    NULL, NULL },
	{ KEY("admin", "remote_user_roles"), CONFIG_STR, CF(remote_user_roles),
	    0, 0, NULL, NULL },
	{ KEY("admin", "sendmail"), CONFIG_STR, CF(sendmail), 0, 0,
	    NULL, NULL },
	{ KEY("admin", "mail_from"), CONFIG_STR, CF(mail_from), 0, 0, NULL,
	    config_one_line },
	{ KEY("admin", "tenant_url"), CONFIG_STR, CF(tenant_url), 0, 0, NULL,
	    NULL },
	{ KEY("roles", "default"), CONFIG_CHOICE, CF(roles_default_member),
	    0, 0, config_role_default_choices, NULL },
	{ KEY("gate", "tenant"), CONFIG_STR, CF(gate_tenant), 0, 0, NULL,
	    config_nonempty },
	{ KEY("gate", "always_allow"), CONFIG_STR, CF(gate_always_allow), 0, 0,
	    NULL, NULL },
	{ KEY("graph", "authority"), CONFIG_STR, CF(graph_authority), 0, 0,
	    NULL, config_nonempty },
	{ KEY("graph", "url"), CONFIG_STR, CF(graph_url), 0, 0, NULL,
	    config_nonempty },
	{ KEY("graph", "tenant_id"), CONFIG_STR, CF(graph_tenant_id), 0, 0,
	    NULL, NULL },
	{ KEY("graph", "client_id"), CONFIG_STR, CF(graph_client_id), 0, 0,
	    NULL, NULL },
	{ KEY("graph", "client_secret_file"), CONFIG_STR,
	    CF(graph_client_secret_file), 0, 0, NULL, NULL },
	{ KEY("graph", "ca_file"), CONFIG_STR, CF(graph_ca_file), 0, 0, NULL,
	    NULL },
	{ KEY("graph", "scimctl"), CONFIG_STR, CF(graph_scimctl), 0, 0, NULL,
	    config_nonempty },
	{ KEY("graph", "timeout"), CONFIG_UINT, CF(graph_timeout), 1, 600,
	    NULL, NULL },
	{ KEY("graph", "max_wait"), CONFIG_UINT, CF(graph_max_wait), 0, 3600,
	    NULL, NULL },
	{ KEY("safety", "max_deprovisions"), CONFIG_UINT, CF(held_max),
	    0, 1000000, NULL, NULL },
	{ KEY("safety", "window_minutes"), CONFIG_UINT,
	    CF(held_window_minutes), 1, 7 * 24 * 60, NULL, NULL },
	{ KEY("replication", "site"), CONFIG_STR, CF(rep_site), 0, 0, NULL,
	    config_check_site },
	{ KEY("replication", "url"), CONFIG_STR, CF(rep_url), 0, 0, NULL,
	    config_check_url },
	{ KEY("replication", "peers"), CONFIG_STR, CF(rep_peers), 0, 0, NULL,
	    config_check_peers },
	{ KEY("replication", "creator"), CONFIG_CHOICE, CF(rep_creator), 0, 0,
	    config_yes_no, NULL },
	{ KEY("replication", "priority"), CONFIG_UINT, CF(rep_priority),
	    0, 1000000, NULL, NULL },
	{ KEY("replication", "ack_policy"), CONFIG_CHOICE, CF(rep_ack_policy),
	    0, 0, config_ack_choices, NULL },
	{ KEY("replication", "ack_timeout_ms"), CONFIG_UINT,
	    CF(rep_ack_timeout_ms), 10, 600000, NULL, NULL },
	{ KEY("replication", "election_timeout_ms"), CONFIG_UINT,
	    CF(rep_election_timeout_ms), 100, 600000, NULL, NULL },
	{ KEY("replication", "heartbeat_ms"), CONFIG_UINT, CF(rep_heartbeat_ms),
	    50, 60000, NULL, NULL },
	/* [replication]: forwarding to the master (web/forward.h) */
	{ KEY("replication", "forward_connect_ms"), CONFIG_UINT,
	    CF(rep_forward_connect_ms), 10, 60000, NULL, NULL },
	{ KEY("replication", "forward_timeout_ms"), CONFIG_UINT,
	    CF(rep_forward_timeout_ms), 100, 600000, NULL, NULL },
};

#undef CF
#undef CF_NONE
#undef KEY

/* config_set_choice() writes an int, or a bool by its size. */
_Static_assert(sizeof(enum store_sync) == sizeof(int),
    "[store] sync is set as an int");

/* Set choice value v (by name, any case) into dst of size bytes. */
static bool
config_set_choice(void *dst, size_t size, const struct config_choice *ch,
    const char *v)
{
	for (; ch->name != NULL; ch++) {
		if (strcasecmp(v, ch->name) != 0)
			continue;
		if (size == sizeof(bool))
			*(bool *)dst = ch->value != 0;
		else
			*(int *)dst = ch->value;
		return true;
	}
	return false;
}

/* Set key k of c from value: false when the value is not one it takes. */
static bool
config_set(struct scim_config *c, const struct config_key *k,
    const char *value)
{
	void	*dst = (char *)c + k->off;
	long	 n;
	bool	 ok = false;

	switch (k->kind) {
	case CONFIG_STR:
		ok = config_set_str(dst, k->size, value);
		break;
	case CONFIG_UINT:
		ok = config_set_uint(dst, value, k->min, k->max);
		break;
	case CONFIG_LONG:
		ok = util_parse_long(value, k->min, k->max, dst);
		break;
	case CONFIG_SIZE:
		if ((ok = util_parse_long(value, k->min, k->max, &n)))
			*(size_t *)dst = (size_t)n;
		break;
	case CONFIG_BOOL:
		ok = config_set_bool(dst, value);
		break;
	case CONFIG_CHOICE:
		ok = config_set_choice(dst, k->size, k->choices, value);
		break;
	case CONFIG_UNUSED:
		ok = util_parse_long(value, k->min, k->max, &n);
		break;
	}
	return ok && (k->check == NULL || k->check(c, value));
}

/* inih's callback: one key; returns 0 (stop) on the first error. */
static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_ctx	*ctx = user;
	struct scim_config	*c = ctx->cfg;
	size_t			 i;

	if (ctx->rc != SCIM_OK)
		return 0;
	for (i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
		if (strcasecmp(section, config_keys[i].section) == 0 &&
		    strcasecmp(name, config_keys[i].name) == 0)
			break;
	if (i == sizeof(config_keys) / sizeof(config_keys[0])) {
		ctx->rc = scim_fail(ctx->err, SCIM_E_INTERNAL,
		    "%s: unknown key [%s] %s", c->path, section, name);
		return 0;
	}
	if (!config_set(c, &config_keys[i], value)) {
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
	cfg->max_sort = 10000;
	cfg->bulk_max_operations = 1000;
	cfg->bulk_max_payload = 1024 * 1024;
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
	cfg->activity_enabled = true;
	cfg->activity_retention_days = 14;
	cfg->activity_max_mb = 256;
	/* [admin] */
	cfg->session_idle_minutes = 30;
	cfg->session_max_hours = 12;
	cfg->trust_remote_user = false;
	/* [roles], [gate] */
	cfg->roles_default_member = true;
	cfg->held_max = 0;		/* the brake is off */
	cfg->held_window_minutes = 60;
	strcpy(cfg->gate_tenant, "default");
	cfg->admin_scrypt_n = 1 << 17;	/* OWASP's scrypt minimum */
	cfg->login_wait = 1;
	/* [graph] */
	strcpy(cfg->graph_authority, "https://login.microsoftonline.com");
	strcpy(cfg->graph_url, "https://graph.microsoft.com");
	strcpy(cfg->graph_scimctl, SBINDIR "/scimctl");
	cfg->graph_timeout = 30;
	cfg->graph_max_wait = 300;
	/* [replication]: off until site is set */
	cfg->rep_priority = 100;
	cfg->rep_ack_policy = REP_ACK_QUORUM;
	cfg->rep_ack_timeout_ms = 2000;
	cfg->rep_election_timeout_ms = 2000;
	cfg->rep_heartbeat_ms = 500;
	/*
	 * [replication] forwarding: a master on the same network connects
	 * in a millisecond.  A whole request is bounded by the slowest write:
	 * a BulkRequest of 1,000 POSTs took 0.2 s on one site (2 cores,
	 * test_bulk's shape), so 5 s leaves room for the quorum's acks and a
	 * loaded master, and stays below the 10 s many clients wait.
	 */
	cfg->rep_forward_connect_ms = 1000;
	cfg->rep_forward_timeout_ms = 5000;
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
	/* The forwarder and the peers' maps need this site's URL. */
	if (cfg->rep_site[0] != '\0' && cfg->rep_url[0] == '\0')
		return scim_fail(err, SCIM_E_INTERNAL, "%s: [replication] "
		    "site is set but url (this site's SCIM base URL) is not",
		    path);
	return SCIM_OK;
}

/*
 * Where ./bootstrap's quick start keeps its scim.conf, most likely first:
 * beside the program's own folder (the quick start runs copies from
 * <home>/bin), the checkout's run/ (the program run from cgi-bin/ or from
 * the checkout), then the home bootstrap uses as root.  The first that
 * exists goes into buf (PATH_MAX bytes, absolute); false if none does.
 */
static bool
config_quickstart_conf(char *buf)
{
	static const char *const rel[] = { "../scim.conf",
	    "../run/scim.conf" };
	char	 exe[PATH_MAX], cand[PATH_MAX + 32], *slash;
	ssize_t	 n;
	size_t	 i;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(cand, sizeof(cand), "%s/%s", exe, rel[i]);
			if (realpath(cand, buf) != NULL)
				return true;
		}
	}
	if (realpath("run/scim.conf", buf) != NULL)
		return true;
	if (access("/var/lib/scim-fcgi-quickstart/scim.conf", F_OK) == 0) {
		snprintf(buf, PATH_MAX,
		    "/var/lib/scim-fcgi-quickstart/scim.conf");
		return true;
	}
	return false;
}

enum scim_err
config_require_file(const struct scim_config *cfg, const char *prog,
    struct scim_error *err)
{
	char	 qs[PATH_MAX];

	if (cfg->path[0] != '\0' || access(cfg->home, F_OK) == 0)
		return SCIM_OK;
	if (config_quickstart_conf(qs))
		return scim_fail(err, SCIM_E_NOT_FOUND, "no scim.conf found; "
		    "the quick start's is %s: %s -c %s ...", qs, prog, qs);
	return scim_fail(err, SCIM_E_NOT_FOUND, "no scim.conf found (-c, "
	    "$SCIM_CONF or %s/scim-fcgi/scim.conf) and no store in %s: "
	    "%s -c FILE ...", SYSCONFDIR, cfg->home, prog);
}
