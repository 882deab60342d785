/*
 * scim.conf: an INI file read once at start-up (inih).  Every key, its
 * default and its meaning are documented in scim.conf(5) and in the sample
 * etc/scim.conf.  Unknown sections or keys are errors, so a typo never
 * silently falls back to a default.
 *
 * Owns: the file's syntax, every key's default, range and the one table
 * of keys (config.c).  Must not know: what a key does to the module that
 * reads it, the store, requests.
 */
#ifndef SCIM_CONFIG_H
#define SCIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

enum store_sync {
	STORE_SYNC_FULL,	/* fsync the log on commit (default) */
	STORE_SYNC_WRITE,	/* write the log, no fsync (survives a crash
				   of the programs, not of the machine) */
	STORE_SYNC_NONE		/* neither (tests and benchmarks only) */
};

/* [replication] ack_policy: the acknowledgements a commit waits for. */
enum rep_ack {
	REP_ACK_QUORUM,		/* a majority of the electable sites */
	REP_ACK_ALL		/* every site of the group */
};
#define REP_ADDR_MAX	256	/* "host:port", NUL included */
#define REP_URL_MAX	512	/* a site's SCIM base URL, NUL included */

/*
 * [store] cache_max_mb, in MiB: its bounds.  The default is a quarter of
 * physical memory, at most CACHE_MAX_MB_DEFAULT_CAP; CACHE_MAX_MB_UNKNOWN
 * when sysconf() cannot tell.
 */
#define CACHE_MAX_MB_MIN	 16
#define CACHE_MAX_MB_MAX	 1048576	/* 1 TiB */
#define CACHE_MAX_MB_DEFAULT_CAP 16384		/* 16 GiB: ~8 million users */
#define CACHE_MAX_MB_UNKNOWN	 1024

struct scim_config {
	char		 path[4096];	/* the file read, "" if none */
	/* [store] */
	char		 home[4096];	/* Berkeley DB environment directory */
	enum store_sync	 sync;		/* commit durability */
	unsigned	 lock_timeout_ms; /* conflicts before reopening */
	unsigned	 cache_max_mb;	/* largest automatic cache, MiB */
	/* [http] */
	char		 base_url[1024]; /* "" = derive from the request */
	size_t		 max_body;	/* bytes; larger bodies get 413 */
	/* [scim] */
	long		 default_count;	/* page size when count is absent */
	long		 max_results;	/* largest page; filter.maxResults */
	long		 max_sort;	/* most matches a sorted query holds */
	unsigned	 bulk_max_operations; /* bulk.maxOperations */
	size_t		 bulk_max_payload; /* bytes; bulk.maxPayloadSize */
	char		 extensions[4096]; /* declared extensions' file, "" none */
	bool		 refuse_undeclared_ext; /* undeclared_extensions =
					   refuse (false: store) */
	/* [tokens] */
	unsigned	 scrypt_n;	/* scrypt cost N (power of two) */
	unsigned	 scrypt_r;	/* scrypt block size r */
	unsigned	 scrypt_p;	/* scrypt parallelism p */
	unsigned	 max_live_tokens; /* live tokens per tenant */
	unsigned	 default_days;	/* token lifetime when not given */
	/* [log] */
	int		 log_level;	/* enum log_level */
	bool		 store_ops_header; /* X-Scim-Store-Ops on responses */
	/* [audit] */
	unsigned	 audit_retention_days; /* events kept this long */
	char		 audit_hook[1024];	/* command run per event, "" none */
	char		 audit_hook_events[1024]; /* types, "*" or "scim.user.*" */
	unsigned	 audit_hook_timeout;	/* seconds before the hook is killed */
	unsigned	 audit_hook_retry;	/* first retry delay, seconds */
	char		 audit_hook_env[2048];	/* NAME=value ... for the hook */

	/* [activity]: the provisioning activity recorder (audit/activity.h) */
	bool		 activity_enabled;	/* record every SCIM request */
	unsigned	 activity_retention_days; /* records kept this long */
	unsigned	 activity_max_mb;	/* all records' files, MiB */
	char		 activity_redact[1024];	/* attribute names removed
						   from bodies, besides
						   password */

	/*
	 * [admin]: the scim-tokens admin page and its reminders (owned by
	 * the tokens area; documented in scim-tokens(8)).
	 */
	unsigned	 session_idle_minutes; /* sign out after this idle time */
	unsigned	 session_max_hours; /* sign out this long after login */
	bool		 trust_remote_user; /* accept the web server's REMOTE_USER */
	unsigned	 admin_scrypt_n; /* scrypt N of admin passwords */
	unsigned	 login_wait;	/* first sign-in wait, seconds */
	char		 remote_user_roles[2048]; /* "user:role[@tenant] ..." */
	char		 sendmail[1024]; /* reminder mail command, "" = print */
	char		 mail_from[256]; /* From: of reminder mail, "" = sendmail's */
	char		 tenant_url[1024]; /* Tenant URL shown on the page */

	/* [roles]: role mappings (common/roles, scimctl(8) roles) */
	bool		 roles_default_member; /* no mapping matched: member
					   (true) or none, no access (false) */
	/* [gate]: the access gate (scim-authz, scimctl user) */
	char		 gate_tenant[129];	/* tenant whose directory it asks */
	char		 gate_always_allow[2048]; /* break-glass userNames,
						   comma separated */
	/* [graph]: Microsoft Graph for Manual User Sync (common/sync) */
	char		 graph_authority[512];	/* token endpoint's base */
	char		 graph_url[512];	/* Graph's base URL */
	char		 graph_tenant_id[129];	/* default tenant's directory */
	char		 graph_client_id[129];	/* its app registration */
	char		 graph_client_secret_file[4096]; /* file with its secret */
	char		 graph_ca_file[4096];	/* CA bundle, "" = system's */
	char		 graph_scimctl[4096];	/* what the page's Sync Now runs */
	unsigned	 graph_timeout;		/* seconds per HTTP call */
	unsigned	 graph_max_wait;	/* seconds of throttling waits
						   per run, in all */
	/* [safety]: the mass deprovisioning brake (common/scim/held.h) */
	unsigned	 held_max;	/* deprovisions per tenant and window
					   that apply; 0 = no brake */
	unsigned	 held_window_minutes; /* the window's length */
	/*
	 * [replication]: this site's part in a Berkeley DB replication
	 * group (store/store-rep.h, scim-repd(8)); off while rep_site is "".
	 */
	char		 rep_site[REP_ADDR_MAX];	/* HOST:PORT to listen on */
	char		 rep_url[REP_URL_MAX];	/* this site's SCIM base URL */
	char		 rep_peers[4096];	/* "HOST:PORT URL, ..." */
	bool		 rep_creator;	/* create the group on first start */
	unsigned	 rep_priority;	/* election priority, 0 = never master */
	int		 rep_ack_policy; /* enum rep_ack */
	unsigned	 rep_ack_timeout_ms; /* wait this long for acks */
	unsigned	 rep_election_timeout_ms; /* one election's limit */
	unsigned	 rep_heartbeat_ms; /* master's heartbeat interval */
	/* [replication], forwarding to the master (common/web/forward.h) */
	unsigned	 rep_forward_connect_ms; /* connecting to the master */
	unsigned	 rep_forward_timeout_ms; /* a whole forwarded request */
};

/*
 * One entry of [replication] peers, "HOST:PORT URL", comma separated:
 * reads the entry at *p into addr (REP_ADDR_MAX) and url (REP_URL_MAX),
 * advancing *p.  Returns 1 with an entry, 0 at the end, -1 on a malformed
 * one (no blank between the two, a bad address or URL, too long).
 */
int		 config_peer_next(const char **p, char *addr, char *url);

/*
 * Is s a replication address, HOST:PORT (a host name or IPv4 address,
 * port 1 to 65535)?  With host non-NULL (REP_ADDR_MAX bytes) and port,
 * they get its parts.
 */
bool		 config_hostport(const char *s, char *host, unsigned *port);

/*
 * One assignment of an [audit] hook_env value: words NAME=value apart by
 * blanks, NAME a shell variable name not starting with SCIM_EVENT_ (the
 * program sets those), value up to the next blank, or between double
 * quotes (NAME="a b"; no quote inside).  Reads the word at *p (skipping
 * blanks), writes "NAME=value" into buf (sz bytes) and advances *p.
 * Returns 1 with a word, 0 at the end, -1 on a malformed word or one
 * longer than buf.
 */
int		 config_env_next(const char **p, char *buf, size_t sz);

/* Fill cfg with the built-in defaults. */
void		 config_defaults(struct scim_config *cfg);

/*
 * Load defaults, then the file: path if not NULL, else $SCIM_CONF, else
 * SYSCONFDIR/scim-fcgi/scim.conf (which may be absent: defaults apply).
 * Errors name the file and line.
 */
enum scim_err	 config_load(struct scim_config *cfg, const char *path,
		    struct scim_error *err);

/*
 * For the command-line tools, after config_load() and before they open
 * the store: SCIM_OK when cfg was read from a file or its store home
 * exists.  Otherwise (no scim.conf anywhere, so opening the store would
 * silently make a new one in the default home) SCIM_E_NOT_FOUND, with err
 * saying in one line which "prog -c FILE" to give: the quick start's
 * scim.conf when one exists (see ./bootstrap), else that -c is needed.
 * The servers do not call it: with no file they keep the defaults.
 */
enum scim_err	 config_require_file(const struct scim_config *cfg,
		    const char *prog, struct scim_error *err);

#endif /* SCIM_CONFIG_H */
