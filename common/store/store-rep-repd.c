/*
 * Replication, scim-repd's side (store-rep.h): open the environment as
 * the site's replication process and start repmgr as its listener
 * (store_rep_serve()), publish what it sees every tick in the gate file
 * for the site's other processes (role, master, peers, log end) and log
 * the role's changes (store_rep_tick()), take it back when it closes
 * (store_rep_unpublish()), and read it for scimctl without opening the
 * environment (store_rep_status()).  It owns the layout of struct
 * store_rep_shared's writes; it knows nothing of databases or records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <db.h>

#include "base/config.h"
#include "base/log.h"
#include "store/store-int.h"
#include "store/store-rep.h"
#include "store/store-rep-int.h"

_Static_assert(sizeof(struct store_rep_shared) <= STORE_GATE_REP_SIZE,
    "what scim-repd publishes fits in the gate file");
_Static_assert(STORE_REP_ADDR_MAX == REP_ADDR_MAX &&
    STORE_REP_URL_MAX == REP_URL_MAX, "one size for addresses and URLs");

/* Message threads of the listener: repmgr adds its own few to these. */
#define REPD_THREADS	3
/* Seconds a site keeps trying to join its group at start. */
#define REPD_JOIN_TRIES	120

/* --- the published words (a seqlock for the parts wider than a word) --- */

/* Copy sh's wide words into out (seq-checked); false if always torn. */
static bool
rep_read_all(struct store_rep_shared *sh, struct store_rep_wide *out)
{
	uint32_t	 a, b;
	int		 i;

	for (i = 0; i < 100; i++) {
		a = atomic_load_explicit(&sh->seq, memory_order_acquire);
		if (a & 1)
			continue;
		memcpy(out, &sh->w, sizeof(*out));
		atomic_thread_fence(memory_order_acquire);
		b = atomic_load_explicit(&sh->seq, memory_order_relaxed);
		if (a == b)
			return true;
	}
	return false;
}

bool
store_rep_read_master(struct store_rep_shared *sh, char *master)
{
	struct store_rep_wide	 copy;

	if (!rep_read_all(sh, &copy))
		return false;
	memcpy(master, copy.master, STORE_REP_ADDR_MAX);
	master[STORE_REP_ADDR_MAX - 1] = '\0';
	return true;
}

void
store_rep_unpublish(struct store *s)
{
	struct store_rep_shared	*sh = s->rep_area;
	struct store_rep	*r = s->rep;

	/*
	 * Only the listener publishes: a second scim-repd refused at start
	 * (DB_REP_IGNORE) closes through here and must not wipe its words.
	 */
	if (!r->locked)
		return;
	store_rep_lag_fini();
	s->env->lock_put(s->env, &r->lock);
	s->env->lock_id_free(s->env, r->locker);
	r->locked = false;
	atomic_store_explicit(&sh->role, STORE_ROLE_NONE, memory_order_release);
	atomic_store_explicit(&sh->pid, 0, memory_order_release);
}

/* --- serving --- */

/*
 * repmgr_start() as the listener.  A site that is not yet in the group
 * joins it through a helper, and the master admits one site at a time:
 * a join while another runs fails with DB_REP_UNAVAIL (seen when the
 * three sites of ./bootstrap cluster start together), and so does one
 * while no helper answers.  Both pass: try again, every second, for
 * REPD_JOIN_TRIES seconds (then the supervisor starts the process anew).
 */
static int
rep_start_listener(struct store *s)
{
	struct timespec	 ts = { 1, 0 };
	int		 ret, i;

	for (i = 0; i < REPD_JOIN_TRIES; i++) {
		ret = s->env->repmgr_start(s->env, REPD_THREADS,
		    DB_REP_ELECTION);
		if (ret != DB_REP_UNAVAIL)
			return ret;
		if (i == 0)
			log_info("replication: cannot join the group yet "
			    "(%s); trying again every second",
			    db_strerror(ret));
		nanosleep(&ts, NULL);
	}
	return ret;
}

enum scim_err
store_rep_serve(struct store **out, const struct scim_config *cfg,
    struct scim_error *err)
{
	struct store_rep_shared	*sh;
	struct store		*s;
	enum scim_err		 rc;
	DBT			 obj;
	int			 ret;

	if (cfg->rep_site[0] == '\0')
		return scim_fail(err, SCIM_E_INTERNAL, "%s: [replication] "
		    "site is not set: replication is off",
		    cfg->path[0] != '\0' ? cfg->path : "scim.conf");
	if ((rc = store_open_as(&s, cfg, true, err)) != SCIM_OK)
		return rc;
	s->rep->logged_role = -1;
	/*
	 * DB_REP_ELECTION: join as a replica and call an election when no
	 * master answers (the group creator's very first start makes it
	 * master of a group of one instead).  A process that is not the
	 * first repmgr_start() caller of the region is a subordinate
	 * (DB_REP_IGNORE): another scim-repd runs (workers never start
	 * first, store-rep.c), so this one must not stay.
	 */
	/* The lag exchange's messages (store-rep-lag.c), before the start. */
	if ((ret = store_rep_lag_init(s->env)) == 0)
		ret = rep_start_listener(s);
	if (ret == DB_REP_IGNORE) {
		store_close(s);
		return scim_fail(err, SCIM_E_UNAVAILABLE, "another process is "
		    "already the replication process of %s", cfg->home);
	}
	if (ret != 0) {
		store_close(s);
		return scim_fail(err, SCIM_E_INTERNAL, "repmgr_start: %s",
		    db_strerror(ret));
	}
	/* The listener's lock: workers join repmgr only while it is held. */
	store_dbt_set(&obj, STORE_REP_LOCK_OBJ, strlen(STORE_REP_LOCK_OBJ));
	if ((ret = s->env->lock_id(s->env, &s->rep->locker)) != 0 ||
	    (ret = s->env->lock_get(s->env, s->rep->locker, 0, &obj,
	    DB_LOCK_WRITE, &s->rep->lock)) != 0) {
		store_close(s);
		return scim_fail(err, SCIM_E_INTERNAL, "lock: %s",
		    db_strerror(ret));
	}
	s->rep->locked = true;
	sh = s->rep_area;
	atomic_store_explicit(&sh->beat_ms, store_rep_now_ms(),
	    memory_order_release);
	atomic_store_explicit(&sh->pid, (int32_t)getpid(),
	    memory_order_release);
	*out = s;
	return SCIM_OK;
}

/* The address of site eid ("" when unknown) into addr. */
static void
rep_site_addr(DB_ENV *env, int eid, char *addr)
{
	DB_SITE		*site;
	const char	*host;
	u_int		 port;

	addr[0] = '\0';
	if (eid == DB_EID_INVALID ||
	    env->repmgr_site_by_eid(env, eid, &site) != 0)
		return;
	if (site->get_address(site, &host, &port) == 0)
		snprintf(addr, STORE_REP_ADDR_MAX, "%s:%u", host, port);
	site->close(site);
}

/* The peers as this process's repmgr sees them, into pub. */
static void
rep_read_peers_now(struct store *s, struct store_rep_wide *pub)
{
	DB_REPMGR_SITE	*list = NULL;
	u_int		 n = 0, i;

	pub->npeers = 0;
	if (s->env->repmgr_site_list(s->env, &n, &list) != 0)
		return;
	for (i = 0; i < n && pub->npeers < STORE_REP_PEERS_MAX; i++) {
		snprintf(pub->peers[pub->npeers].addr, STORE_REP_ADDR_MAX,
		    "%s:%u", list[i].host, list[i].port);
		pub->peers[pub->npeers].connected =
		    list[i].status == DB_REPMGR_CONNECTED;
		pub->peers[pub->npeers].lag_known = 0;
		pub->peers[pub->npeers].lag = 0;
		pub->npeers++;
	}
	free(list);
}

/* Log a change of role or master. */
static void
rep_log_role(struct store_rep *r, enum store_role role, const char *master)
{
	if ((int)role == r->logged_role &&
	    strcmp(master, r->logged_master) == 0)
		return;
	r->logged_role = (int)role;
	snprintf(r->logged_master, sizeof(r->logged_master), "%s", master);
	switch (role) {
	case STORE_ROLE_MASTER:
		log_info("replication: this site (%s) became master", r->site);
		break;
	case STORE_ROLE_REPLICA:
		log_info("replication: this site (%s) is a replica of %s",
		    r->site, master);
		break;
	default:
		log_info("replication: no master known; an election runs");
		break;
	}
}

/* Write pub into sh's wide words under its seq. */
static void
rep_publish(struct store_rep_shared *sh, const struct store_rep_wide *pub)
{
	uint32_t	 seq;

	seq = atomic_load_explicit(&sh->seq, memory_order_relaxed);
	atomic_store_explicit(&sh->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(&sh->w, pub, sizeof(*pub));
	atomic_store_explicit(&sh->seq, seq + 2, memory_order_release);
}

enum scim_err
store_rep_tick(struct store *s, struct scim_error *err)
{
	struct store_rep_shared	*sh = s->rep_area;
	struct store_rep_wide	 pub;
	DB_REP_STAT		*st = NULL;
	DB_LSN			 own;
	enum store_role		 role;
	uint32_t		 i, conn = 0;
	int			 ret;

	atomic_store(&s->rep->changed, false);
	if (atomic_load(&s->rep->panicked) ||
	    (ret = s->env->rep_stat(s->env, &st, 0)) != 0) {
		store_rep_unpublish(s);
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the environment "
		    "was recovered or panicked under the replication process");
	}
	memset(&pub, 0, sizeof(pub));
	if (st->st_status == DB_REP_MASTER)
		role = STORE_ROLE_MASTER;
	else if (st->st_master != DB_EID_INVALID)
		role = STORE_ROLE_REPLICA;
	else
		role = STORE_ROLE_NONE;
	own = st->st_next_lsn;
	pub.lsn_file = own.file;
	pub.lsn_offset = own.offset;
	if (role != STORE_ROLE_NONE)
		rep_site_addr(s->env, st->st_master, pub.master);
	free(st);
	rep_read_peers_now(s, &pub);
	store_rep_lag_tick(s, role, &own, &pub);
	for (i = 0; i < pub.npeers; i++)
		conn += pub.peers[i].connected ? 1 : 0;
	rep_publish(sh, &pub);
	atomic_store_explicit(&sh->connected, conn, memory_order_release);
	atomic_store_explicit(&sh->role, role, memory_order_release);
	atomic_store_explicit(&sh->beat_ms, store_rep_now_ms(),
	    memory_order_release);
	atomic_store_explicit(&sh->pid, (int32_t)getpid(),
	    memory_order_release);
	rep_log_role(s->rep, role, pub.master);
	/* Connections accepted since the last tick: no Nagle (store-rep.c). */
	store_rep_nodelay();
	return SCIM_OK;
}

/* --- status, for scimctl --- */

enum scim_err
store_rep_status(const struct scim_config *cfg, struct store_rep_status *out,
    struct scim_error *err)
{
	struct store_rep_shared	*sh;
	struct store_rep_wide	 copy;
	char			 path[4200], addr[REP_ADDR_MAX];
	char			 url[REP_URL_MAX];
	const char		*p;
	void			*map;
	size_t			 i;
	bool			 members;
	int			 fd;

	memset(out, 0, sizeof(*out));
	if (cfg->rep_site[0] == '\0')
		return scim_fail(err, SCIM_E_NOT_FOUND, "replication is off "
		    "(no [replication] site in %s)", cfg->path[0] != '\0' ?
		    cfg->path : "scim.conf");
	snprintf(path, sizeof(path), "%s/scim.gate", cfg->home);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
	map = mmap(NULL, STORE_GATE_REP_OFFSET + STORE_GATE_REP_SIZE,
	    PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
	sh = (struct store_rep_shared *)((char *)map + STORE_GATE_REP_OFFSET);
	out->repd_pid = atomic_load(&sh->pid);
	out->repd = out->repd_pid != 0 && store_rep_now_ms() -
	    atomic_load(&sh->beat_ms) <= STORE_REP_STALE_MS;
	out->role = out->repd ? (enum store_role)atomic_load(&sh->role) :
	    STORE_ROLE_NONE;
	memset(&copy, 0, sizeof(copy));
	if (out->repd && rep_read_all(sh, &copy)) {
		snprintf(out->master, sizeof(out->master), "%s", copy.master);
		out->lsn_file = copy.lsn_file;
		out->lsn_offset = copy.lsn_offset;
		out->lag_known = copy.self_lag_known != 0;
		out->lag = copy.self_lag;
		for (i = 0; i < copy.npeers && i < STORE_REP_PEERS_MAX; i++) {
			snprintf(out->peers[i].addr, STORE_REP_ADDR_MAX, "%s",
			    copy.peers[i].addr);
			out->peers[i].connected = copy.peers[i].connected;
			out->peers[i].lag_known = copy.peers[i].lag_known;
			out->peers[i].lag = copy.peers[i].lag;
		}
		out->npeers = i;
	}
	munmap(map, STORE_GATE_REP_OFFSET + STORE_GATE_REP_SIZE);
	/*
	 * The URLs of the sites from [replication] peers, and those peers
	 * themselves while scim-repd knows no member yet.  Once it does,
	 * the group's membership is the list: a peer of scim.conf outside
	 * it was removed (scimctl replication remove) or never joined.
	 */
	members = out->npeers > 0;
	p = cfg->rep_peers;
	while (config_peer_next(&p, addr, url) == 1) {
		for (i = 0; i < out->npeers; i++)
			if (strcmp(out->peers[i].addr, addr) == 0)
				break;
		if (i == out->npeers) {
			if (members)
				continue;
			if (i == STORE_REP_PEERS_MAX)
				continue;
			snprintf(out->peers[i].addr, STORE_REP_ADDR_MAX, "%s",
			    addr);
			out->npeers++;
		}
		snprintf(out->peers[i].url, STORE_REP_URL_MAX, "%s", url);
	}
	return SCIM_OK;
}
