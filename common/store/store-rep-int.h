/*
 * Replication's private header, for store-rep.c and store-rep-repd.c
 * only: this process's replication state (struct store_rep) and the
 * words scim-repd publishes in the gate file for every process of the
 * site (struct store_rep_shared).
 */
#ifndef SCIM_STORE_REP_INT_H
#define SCIM_STORE_REP_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <db.h>

#include "base/config.h"
#include "store/store-rep.h"

/*
 * The lock scim-repd holds in the environment's lock region while it is
 * the replication process: a worker joins repmgr only while it is held
 * (store-rep.c, rep_repd_in_region()).
 */
#define STORE_REP_LOCK_OBJ	"scim-repd listener"
/* Descriptors store_rep_nodelay() looks at, at most. */
#define STORE_REP_FD_SCAN_MAX	4096
/* A writer looks for new connections to set TCP_NODELAY on this often. */
#define STORE_REP_NODELAY_MS	1000
/* scim-repd ticks every 100 ms; silent this long, it is taken as gone. */
#define STORE_REP_STALE_MS	3000

/* This process's replication state (s->rep). */
struct store_rep {
	char		 site[REP_ADDR_MAX];	/* [replication] site */
	char		 host[REP_ADDR_MAX];	/* ... its host */
	unsigned	 port;			/* ... and port */
	char		 url[REP_URL_MAX];	/* this site's SCIM URL */
	size_t		 npeers;
	char		 peer_addr[STORE_REP_PEERS_MAX][REP_ADDR_MAX];
	char		 peer_url[STORE_REP_PEERS_MAX][REP_URL_MAX];
	bool		 creator;
	unsigned	 priority;
	bool		 ack_all;		/* DB_REPMGR_ACKS_ALL */
	unsigned	 ack_timeout_ms;
	unsigned	 election_timeout_ms;
	unsigned	 heartbeat_ms;
	bool		 daemon;		/* this is scim-repd */
	bool		 joined;	/* repmgr_start() done on this handle */
	int64_t		 nodelay_ms;	/* last store_rep_nodelay() */
	DB_TXN_TOKEN	 pending;	/* filled by the commit under way */
	DB_TXN_TOKEN	 last;		/* of the last acknowledged commit */
	bool		 have_last;
	_Atomic bool	 changed;	/* an event came: tick at once */
	_Atomic bool	 panicked;	/* DB_EVENT_PANIC came */
	/* scim-repd: */
	DB_LOCK		 lock;		/* STORE_REP_LOCK_OBJ, held */
	u_int32_t	 locker;
	bool		 locked;
	int		 logged_role;	/* last role logged, -1 none */
	long long	 self_lag;	/* bytes behind the master ... */
	int64_t		 self_lag_at;	/* ... as it said then, 0: never */
	char		 logged_master[REP_ADDR_MAX];
};

/* One peer as scim-repd publishes it. */
struct store_rep_shared_peer {
	char		 addr[STORE_REP_ADDR_MAX];
	int32_t		 connected;
	int32_t		 lag_known;
	int64_t		 lag;
};

/* What scim-repd publishes that is wider than a word. */
struct store_rep_wide {
	char			 master[STORE_REP_ADDR_MAX];
	uint32_t		 lsn_file, lsn_offset;
	int64_t			 self_lag;	/* bytes behind the master */
	int32_t			 self_lag_known;
	uint32_t		 npeers;
	struct store_rep_shared_peer peers[STORE_REP_PEERS_MAX];
};

/*
 * In the gate file at STORE_GATE_REP_OFFSET, written by scim-repd only.
 * role, pid, beat_ms and connected are read alone, atomically; w under
 * seq (odd while scim-repd writes it; a reader copies, and copies again
 * if seq moved).
 */
struct store_rep_shared {
	_Atomic int32_t		 role;		/* enum store_role */
	_Atomic int32_t		 pid;		/* scim-repd, 0: none */
	_Atomic int64_t		 beat_ms;	/* its last tick, monotonic */
	_Atomic uint32_t	 connected;	/* peers it is connected to */
	_Atomic uint32_t	 seq;
	struct store_rep_wide	 w;
};

/* TCP_NODELAY on this process's TCP sockets (repmgr's among them). */
void		 store_rep_nodelay(void);

/* store-rep-lag.c: the lag exchange between the sites' scim-repd. */
int		 store_rep_lag_init(DB_ENV *env);
void		 store_rep_lag_fini(void);
void		 store_rep_lag_tick(struct store *s, enum store_role role,
		    const DB_LSN *own, struct store_rep_wide *pub);

/* The monotonic clock in milliseconds (no system call: vDSO). */
int64_t		 store_rep_now_ms(void);

/* Copy the master's address out of sh (seq-checked); false if torn. */
bool		 store_rep_read_master(struct store_rep_shared *sh,
		    char *master);

#endif /* SCIM_STORE_REP_INT_H */
