/*
 * Replication: this site's part in a Berkeley DB replication group run by
 * the replication manager (repmgr), configured by [replication] in
 * scim.conf.  With no [replication] site set, replication is off and
 * every function here answers as for a store alone.
 *
 * It OWNS the replication side of the environment: the repmgr sites, the
 * ack policy and time-out, elections, the role this site has now (kept
 * where every process of the site reads it without a system call), the
 * master's SCIM base URL (mapped from its replication address through
 * [replication] url and peers), commit tokens for read-your-writes, and
 * turning an unconfirmed commit (DB_EVENT_REP_PERM_FAILED) or a write on
 * a replica into SCIM_E_UNAVAILABLE.
 *
 * It MUST NOT KNOW HTTP or SCIM: forwarding a request to the master is
 * the web layer's (web/forward.c), which asks this module only for the
 * role, the master's URL and the tokens.
 *
 * CONTRACT for this round (the web layer and ./bootstrap cluster rely on
 * it; the stubs in store-rep.c answer "alone" until repmgr is wired in):
 */
#ifndef SCIM_STORE_REP_H
#define SCIM_STORE_REP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct store;

enum store_role {
	STORE_ROLE_ALONE,	/* replication off: this store is all */
	STORE_ROLE_MASTER,	/* this site is the group's master */
	STORE_ROLE_REPLICA,	/* another site is master */
	STORE_ROLE_NONE		/* no master known (an election runs) */
};

#define STORE_REP_TOKEN_MAX	64	/* a commit token as text, NUL incl. */
#define STORE_REP_URL_MAX	512	/* a site's SCIM base URL, NUL incl. */

/* The role of this site now; cheap (shared memory, no system call). */
enum store_role	 store_rep_role(struct store *s);

/*
 * The master's SCIM base URL (as [replication] url or peers name it,
 * e.g. "http://127.0.0.1:8080/scim/v2") copied into buf[len]; false
 * when no master is known, this site is master, or the master's address
 * is not in this site's configuration.
 */
bool		 store_rep_master_url(struct store *s, char *buf,
		    size_t len);

/*
 * The commit token of the last transaction this process committed with
 * replication on, as text, into buf[len] (len >= STORE_REP_TOKEN_MAX);
 * false when replication is off or nothing was committed yet.
 */
bool		 store_rep_last_token(struct store *s, char *buf,
		    size_t len);

/*
 * Wait at most ms milliseconds until this site has applied the commit a
 * token (from store_rep_last_token() on the master) names.  SCIM_OK
 * when it has, or when replication is off; SCIM_E_UNAVAILABLE (with a
 * detail) when it has not in time; SCIM_E_BAD_REQUEST for a token that
 * is not one.
 */
enum scim_err	 store_rep_wait_applied(struct store *s, const char *token,
		    unsigned ms, struct scim_error *err);

/* --- added by the replication core (store-rep*.c) --- */

#define STORE_REP_PEERS_MAX	8	/* sites besides this one */
#define STORE_REP_ADDR_MAX	256	/* "host:port", NUL incl. */

struct scim_config;

/* One other site of the group, as this site's scim-repd last saw it. */
struct store_rep_peer {
	char		 addr[STORE_REP_ADDR_MAX];	/* host:port */
	char		 url[STORE_REP_URL_MAX];	/* "" when not in peers */
	bool		 connected;	/* scim-repd has a connection */
	bool		 lag_known;	/* lag is meaningful */
	long long	 lag;		/* bytes of log behind the master */
};

/* What scimctl replication status prints (store_rep_status()). */
struct store_rep_status {
	enum store_role		 role;
	char			 master[STORE_REP_ADDR_MAX]; /* "" unknown */
	bool			 repd;		/* scim-repd is running */
	long			 repd_pid;
	unsigned long		 lsn_file;	/* this site's log end */
	unsigned long		 lsn_offset;
	bool			 lag_known;	/* a replica's own lag: */
	long long		 lag;		/* bytes behind the master */
	size_t			 npeers;
	struct store_rep_peer	 peers[STORE_REP_PEERS_MAX];
};

/*
 * This site's replication state as its scim-repd last published it in
 * <home>/scim.gate, read without opening the environment (so without
 * ever running recovery).  SCIM_E_NOT_FOUND when replication is off in
 * cfg; SCIM_E_INTERNAL when the gate file cannot be read.
 */
enum scim_err	 store_rep_status(const struct scim_config *cfg,
		    struct store_rep_status *out, struct scim_error *err);

/*
 * Remove the site at host:port from the replication group (scimctl
 * replication remove): Berkeley DB's DB_SITE->remove(), carried out by
 * the master (from a replica it asks the master).  The group's size, and
 * so its quorum, shrinks by one; the removed site, if it still runs,
 * hears of it and stops replicating.  SCIM_E_BAD_REQUEST when replication is
 * off, when host:port is this site, or is not a site of the group (the
 * group's list as this site knows it); SCIM_E_UNAVAILABLE when no master
 * could confirm it.
 */
enum scim_err	 store_rep_remove(struct store *s, const char *host,
		    unsigned port, struct scim_error *err);

/* The name of a role as scimctl and the logs print it. */
const char	*store_rep_role_name(enum store_role r);

/*
 * For scim-repd only: open the store as this site's replication process
 * (the environment alone, no database handle) and start the replication
 * manager as its listener, calling an election when no master is known.
 * *out is closed by store_close().  SCIM_E_UNAVAILABLE when another
 * process already is the replication process of this environment.
 */
enum scim_err	 store_rep_serve(struct store **out,
		    const struct scim_config *cfg, struct scim_error *err);

/*
 * For scim-repd, every 100 ms or so: publish the role, the master, the
 * peers and the log end for the site's other processes, and log role
 * changes.  SCIM_E_UNAVAILABLE when the environment was recovered or
 * panicked under it: the process must start again (scim-repd re-executes
 * itself), since Berkeley DB cannot release a panicked environment.
 */
enum scim_err	 store_rep_tick(struct store *s, struct scim_error *err);

#endif /* SCIM_STORE_REP_H */
