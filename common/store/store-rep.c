/*
 * Replication, the side every process of a site shares (store-rep.h):
 * [replication] read into struct store_rep, the environment set up for
 * the replication manager (repmgr) before it is opened, the role that
 * scim-repd publishes in the gate file read back without a system call,
 * the master's URL, and the checks around a writing transaction: only
 * on the master, only once this process can send its log records to the
 * replicas (it joins repmgr as a subordinate), and a commit that too few
 * sites acknowledged is never reported as done.  scim-repd's own side
 * (the listener, what it publishes) is store-rep-repd.c.  The design,
 * and why, is docs/DESIGN.md "Replication".
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <db.h>

#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "store/store-int.h"
#include "store/store-rep.h"
#include "store/store-rep-int.h"

/*
 * Set by the event callback in the committing thread: Berkeley DB fires
 * DB_EVENT_REP_PERM_FAILED synchronously inside DB_TXN->commit() when the
 * acknowledgements did not arrive in time (repmgr_net.c, __repmgr_send),
 * in whichever process committed, subordinates included.
 */
static _Thread_local bool rep_perm_failed;

const char *
store_rep_role_name(enum store_role r)
{
	switch (r) {
	case STORE_ROLE_ALONE:	return "alone";
	case STORE_ROLE_MASTER:	return "master";
	case STORE_ROLE_REPLICA: return "replica";
	case STORE_ROLE_NONE:	break;
	}
	return "none";
}

int64_t
store_rep_now_ms(void)
{
	struct timespec	 ts;

	/* CLOCK_MONOTONIC is read in the vDSO: no system call. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- set-up --- */

/* Add the peers of cfg to r: addresses and URLs. */
static enum scim_err
rep_read_peers(struct store_rep *r, const struct scim_config *cfg,
    struct scim_error *err)
{
	const char	*p = cfg->rep_peers;
	char		 addr[REP_ADDR_MAX], url[REP_URL_MAX];
	int		 k;

	while ((k = config_peer_next(&p, addr, url)) == 1) {
		if (r->npeers == STORE_REP_PEERS_MAX)
			return scim_fail(err, SCIM_E_INTERNAL, "[replication] "
			    "peers: more than %d sites", STORE_REP_PEERS_MAX);
		snprintf(r->peer_addr[r->npeers], REP_ADDR_MAX, "%s", addr);
		snprintf(r->peer_url[r->npeers], REP_URL_MAX, "%s", url);
		r->npeers++;
	}
	if (k < 0)
		return scim_fail(err, SCIM_E_INTERNAL, "[replication] peers: "
		    "not \"HOST:PORT URL, ...\"");
	return SCIM_OK;
}

enum scim_err
store_rep_init(struct store *s, const struct scim_config *cfg, bool daemon,
    struct scim_error *err)
{
	struct store_rep	*r;
	enum scim_err		 rc;

	s->rep = NULL;
	if (cfg->rep_site[0] == '\0')
		return SCIM_OK;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return scim_oom(err);
	if (!config_hostport(cfg->rep_site, r->host, &r->port)) {
		free(r);
		return scim_fail(err, SCIM_E_INTERNAL, "[replication] site: "
		    "not HOST:PORT");
	}
	snprintf(r->site, sizeof(r->site), "%s", cfg->rep_site);
	snprintf(r->url, sizeof(r->url), "%s", cfg->rep_url);
	if ((rc = rep_read_peers(r, cfg, err)) != SCIM_OK) {
		free(r);
		return rc;
	}
	r->creator = cfg->rep_creator;
	r->priority = cfg->rep_priority;
	r->ack_all = cfg->rep_ack_policy == REP_ACK_ALL;
	r->ack_timeout_ms = cfg->rep_ack_timeout_ms;
	r->election_timeout_ms = cfg->rep_election_timeout_ms;
	r->heartbeat_ms = cfg->rep_heartbeat_ms;
	r->daemon = daemon;
	s->rep = r;
	return SCIM_OK;
}

void
store_rep_fini(struct store *s)
{
	int	 i;

	for (i = 0; i < DBI__MAX; i++) {
		free(s->getbuf[i]);
		s->getbuf[i] = NULL;
	}
	free(s->rep);
	s->rep = NULL;
}

bool
store_rep_is_daemon(const struct store *s)
{
	return s->rep != NULL && s->rep->daemon;
}

u_int32_t
store_rep_env_flags(const struct store *s)
{
	/* repmgr runs threads of its own: every handle is DB_THREAD. */
	return s->rep != NULL ? DB_INIT_REP | DB_THREAD : 0;
}

/*
 * Berkeley DB's events.  In a subordinate only PERM_FAILED can come
 * (rep_mgrmulti); the others reach scim-repd, whose tick reads the state
 * they announce from rep_stat() anyway: here they only wake it.
 */
static void
rep_event(DB_ENV *env, u_int32_t event, void *info)
{
	struct store	*s = env->app_private;

	(void)info;
	switch (event) {
	case DB_EVENT_REP_PERM_FAILED:
		rep_perm_failed = true;
		break;
	case DB_EVENT_PANIC:
		if (s != NULL && s->rep != NULL)
			atomic_store(&s->rep->panicked, true);
		break;
	case DB_EVENT_REP_ELECTED:
		log_info("replication: this site won an election");
		break;
	case DB_EVENT_REP_DUPMASTER:
		log_warn("replication: another site was master too; this "
		    "one steps down");
		break;
	case DB_EVENT_REP_JOIN_FAILURE:
		log_err("replication: this site could not join the group "
		    "(is a peer of [replication] peers up?)");
		break;
	case DB_EVENT_REP_LOCAL_SITE_REMOVED:
		log_err("replication: this site was removed from the group");
		break;
	default:
		break;
	}
	if (s != NULL && s->rep != NULL)
		atomic_store(&s->rep->changed, true);
}

/* repmgr_site() for host:port with one flag set (0: none). */
static int
rep_add_site(DB_ENV *env, const char *host, unsigned port, u_int32_t which,
    u_int32_t which2)
{
	DB_SITE	*site;
	int	 ret;

	if ((ret = env->repmgr_site(env, host, port, &site, 0)) != 0)
		return ret;
	if (which != 0)
		ret = site->set_config(site, which, 1);
	if (ret == 0 && which2 != 0)
		ret = site->set_config(site, which2, 1);
	site->close(site);
	return ret;
}

/*
 * The time-outs (docs/DESIGN.md says why these): the master's heartbeat
 * every heartbeat_ms, and a replica that hears nothing for three of them
 * calls an election; a lost connection is tried again every second, not
 * every 30 s; an election gives up after election_timeout_ms and is
 * tried again a second later; a full election (all sites) is not waited
 * for longer than an election.  A checkpoint on the master pauses
 * CKP_DELAY_MS, not 5.3's 30 s, before it logs its record: the replicas
 * were told to start flushing their caches when the master started its
 * own flush, and have had that long already.  The pause is spent inside
 * the checkpoint's transaction (store_checkpoint()), where 30 s held any
 * opener that needed recovery (and behind it, at the gate's door, every
 * new transaction of the site) until the opener ended the checkpoint
 * process as stalled.
 */
#define CKP_DELAY_MS	250
static int
rep_set_timeouts(DB_ENV *env, const struct store_rep *r)
{
	const struct { int which; unsigned ms; } t[] = {
		{ DB_REP_ACK_TIMEOUT, r->ack_timeout_ms },
		{ DB_REP_ELECTION_TIMEOUT, r->election_timeout_ms },
		{ DB_REP_FULL_ELECTION_TIMEOUT, r->election_timeout_ms },
		{ DB_REP_ELECTION_RETRY, 1000 },
		{ DB_REP_CONNECTION_RETRY, 1000 },
		{ DB_REP_HEARTBEAT_SEND, r->heartbeat_ms },
		{ DB_REP_HEARTBEAT_MONITOR, 3 * r->heartbeat_ms },
		{ DB_REP_CHECKPOINT_DELAY, CKP_DELAY_MS },
	};
	size_t	 i;
	int	 ret;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if ((ret = env->rep_set_timeout(env, t[i].which,
		    (db_timeout_t)t[i].ms * 1000)) != 0)
			return ret;
	return 0;
}

enum scim_err
store_rep_env_config(struct store *s, DB_ENV *env, struct scim_error *err)
{
	struct store_rep	*r = s->rep;
	char			 host[REP_ADDR_MAX];
	unsigned		 port;
	size_t			 i;
	int			 ret;

	if (r == NULL)
		return SCIM_OK;
	env->app_private = s;
	/*
	 * Every process names the same local site: one that joins an
	 * environment inherits it from the region, and may repeat it.
	 * The peers are bootstrap helpers: once this site is in the group,
	 * the membership database says who the sites are.
	 */
	if ((ret = env->set_event_notify(env, rep_event)) != 0 ||
	    (ret = rep_add_site(env, r->host, r->port, DB_LOCAL_SITE,
	    r->creator ? DB_GROUP_CREATOR : 0)) != 0)
		goto fail;
	for (i = 0; i < r->npeers; i++) {
		if (!config_hostport(r->peer_addr[i], host, &port))
			continue;
		if ((ret = rep_add_site(env, host, port, DB_BOOTSTRAP_HELPER,
		    0)) != 0)
			goto fail;
	}
	if ((ret = env->repmgr_set_ack_policy(env, r->ack_all ?
	    DB_REPMGR_ACKS_ALL : DB_REPMGR_ACKS_QUORUM)) != 0 ||
	    (ret = env->rep_set_priority(env, r->priority)) != 0 ||
	    (ret = env->rep_set_config(env, DB_REPMGR_CONF_ELECTIONS, 1)) != 0 ||
	    (ret = rep_set_timeouts(env, r)) != 0)
		goto fail;
	/*
	 * Bulk transfer: a transaction's log records go to the replicas
	 * as one message, sent when its commit record is written, instead
	 * of one message (and one wake-up of a replica's message thread)
	 * per record.  It changes nothing of what an acknowledgement
	 * means: a commit still sends at once and waits for the quorum,
	 * and the replica still flushes its log before it acknowledges.
	 * Measured (bench/README, make bench-cluster): the master's
	 * durable POST rate went up 1.05 to 1.6 times.
	 */
	if ((ret = env->rep_set_config(env, DB_REP_CONF_BULK, 1)) != 0)
		goto fail;
	return SCIM_OK;
fail:
	return scim_fail(err, SCIM_E_INTERNAL, "[replication]: %s",
	    db_strerror(ret));
}

void
store_rep_detached(struct store *s)
{
	if (s->rep == NULL)
		return;
	s->rep->joined = false;
	if (s->rep->daemon)
		store_rep_unpublish(s);
}

/*
 * TCP_NODELAY on every TCP socket of this process, which includes
 * repmgr's connections (Berkeley DB 5.3 leaves Nagle on).  Without it a
 * replica's acknowledgement, a few bytes written while its previous one
 * is not yet acknowledged by TCP, waits for the master's delayed ACK:
 * every commit took 40 ms on loopback (measured with strace: the
 * committing thread woke 40-48 ms after each send).  repmgr makes its
 * connections in its own threads, so the sockets are found by walking
 * this process's descriptors; a socket that is not TCP refuses the
 * option, harmlessly.
 */
void
store_rep_nodelay(void)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	socklen_t	 len;
	long		 fd;
	int		 on, n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((e = readdir(d)) != NULL && n++ < STORE_REP_FD_SCAN_MAX) {
		if (!util_parse_long(e->d_name, 3, 1L << 30, &fd) ||
		    fd == dirfd(d) || fstat((int)fd, &st) != 0 ||
		    !S_ISSOCK(st.st_mode))
			continue;
		len = sizeof(on);
		if (getsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    &len) != 0 || on != 0)
			continue;
		on = 1;
		setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
	closedir(d);
}

/* --- the role, as scim-repd published it --- */

enum store_role
store_rep_role(struct store *s)
{
	struct store_rep_shared	*sh;

	if (s == NULL || s->rep == NULL)
		return STORE_ROLE_ALONE;
	sh = s->rep_area;
	/* A scim-repd that stopped ticking knows nothing any more. */
	if (atomic_load_explicit(&sh->pid, memory_order_acquire) == 0 ||
	    store_rep_now_ms() - atomic_load_explicit(&sh->beat_ms,
	    memory_order_acquire) > STORE_REP_STALE_MS)
		return STORE_ROLE_NONE;
	return (enum store_role)atomic_load_explicit(&sh->role,
	    memory_order_acquire);
}

bool
store_rep_master_url(struct store *s, char *buf, size_t len)
{
	struct store_rep_shared	*sh;
	char			 master[STORE_REP_ADDR_MAX];
	size_t			 i;

	if (len > 0)
		buf[0] = '\0';
	if (store_rep_role(s) != STORE_ROLE_REPLICA)
		return false;
	sh = s->rep_area;
	if (!store_rep_read_master(sh, master) || master[0] == '\0')
		return false;
	for (i = 0; i < s->rep->npeers; i++)
		if (strcmp(s->rep->peer_addr[i], master) == 0) {
			if (strlen(s->rep->peer_url[i]) >= len)
				return false;
			snprintf(buf, len, "%s", s->rep->peer_url[i]);
			return true;
		}
	return false;
}

/* --- writes --- */

/*
 * Is scim-repd the replication process of this environment (the region
 * this process has open)?  It holds a lock on STORE_REP_LOCK_OBJ from
 * the moment it became the listener until it closes; recovery makes a
 * new region without it.  A lock request that is not granted says so,
 * with no system call.
 */
static bool
rep_repd_in_region(struct store *s)
{
	DBT		 obj;
	DB_LOCK		 lock;
	u_int32_t	 id;
	int		 ret;

	if (s->env->lock_id(s->env, &id) != 0)
		return false;
	store_dbt_set(&obj, STORE_REP_LOCK_OBJ, strlen(STORE_REP_LOCK_OBJ));
	ret = s->env->lock_get(s->env, id, DB_LOCK_NOWAIT, &obj, DB_LOCK_READ,
	    &lock);
	if (ret == 0)
		s->env->lock_put(s->env, &lock);
	s->env->lock_id_free(s->env, id);
	return ret == DB_LOCK_NOTGRANTED;
}

/*
 * Connections to the replicas that this process has (subordinates open
 * their own, to send their log records).
 */
static unsigned
rep_connected(struct store *s)
{
	DB_REPMGR_SITE	*list = NULL;
	u_int		 n = 0, i, c = 0;

	if (s->env->repmgr_site_list(s->env, &n, &list) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (list[i].status == DB_REPMGR_CONNECTED)
			c++;
	free(list);
	return c;
}

/*
 * Join the replication manager as a subordinate: repmgr_start() in a
 * process that is not the first makes it one (DB_REP_IGNORE), with no
 * message thread, only its own connections.  Never the first: scim-repd
 * must be the listener in this very region (rep_repd_in_region()), and
 * the gate this runs in keeps any recovery (a new region) away until
 * repmgr_start() has returned.  Then wait, a bounded time, for as many
 * connections as scim-repd has: a commit sent before they are up would
 * find nobody to acknowledge it.
 */
static enum scim_err
rep_join(struct store *s, struct scim_error *err)
{
	struct store_rep_shared	*sh = s->rep_area;
	struct timespec		 ts = { 0, 10 * 1000000 };
	int64_t			 until;
	unsigned		 want;
	int			 ret;

	if (!rep_repd_in_region(s))
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the replication "
		    "process of this site (scim-repd) is not running; try "
		    "again");
	ret = s->env->repmgr_start(s->env, 0, DB_REP_CLIENT);
	if (ret != 0 && ret != DB_REP_IGNORE) {
		log_err("repmgr_start: %s", db_strerror(ret));
		return scim_fail(err, SCIM_E_UNAVAILABLE, "this site could "
		    "not join its replication group; try again");
	}
	s->rep->joined = true;
	want = atomic_load_explicit(&sh->connected, memory_order_acquire);
	until = store_rep_now_ms() + s->rep->ack_timeout_ms;
	while (rep_connected(s) < want && store_rep_now_ms() < until)
		nanosleep(&ts, NULL);
	store_rep_nodelay();
	s->rep->nodelay_ms = store_rep_now_ms();
	return SCIM_OK;
}

/*
 * Right after the environment is opened, before any database handle:
 * on the master, opening a database writes a log record, and Berkeley
 * DB 5.3 then starts a select thread of its own in a process that has
 * not called repmgr_start() ("autostart", log_put.c); a later
 * repmgr_start() would start a second one and lose track of the first,
 * which then ran on while DB_ENV->close() unmapped the regions under it
 * (a SIGSEGV at exit, seen about once in fifteen short-lived writers).
 * So a process on the master joins first.
 */
void
store_rep_attached(struct store *s)
{
	struct scim_error	 err;

	if (s->rep == NULL || s->rep->daemon ||
	    store_rep_role(s) != STORE_ROLE_MASTER)
		return;
	if (rep_join(s, &err) != SCIM_OK)
		log_info("%s", err.detail);
}

enum scim_err
store_rep_write_begin(struct store *s, struct scim_error *err)
{
	switch (store_rep_role(s)) {
	case STORE_ROLE_ALONE:
		return SCIM_OK;
	case STORE_ROLE_MASTER:
		break;
	case STORE_ROLE_REPLICA:
		return scim_fail(err, SCIM_E_UNAVAILABLE, "this site is a "
		    "replica of the replication group (the change must be "
		    "made on the master); try again");
	case STORE_ROLE_NONE:
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the replication "
		    "group has no master at the moment (an election is "
		    "running, or this site's scim-repd is down); try again");
	}
	if (!s->rep->joined)
		return rep_join(s, err);
	/* Connections made again since (a peer restarted): no Nagle. */
	if (store_rep_now_ms() - s->rep->nodelay_ms > STORE_REP_NODELAY_MS) {
		store_rep_nodelay();
		s->rep->nodelay_ms = store_rep_now_ms();
	}
	return SCIM_OK;
}

void
store_rep_pre_commit(struct store_txn *t)
{
	rep_perm_failed = false;
	if (t->s->rep != NULL && !t->readonly)
		t->txn->set_commit_token(t->txn, &t->s->rep->pending);
}

/*
 * After a commit that returned 0: with too few acknowledgements the
 * change is in this site's log but a failover could lose it, so the
 * caller is told it failed (and may retry: an idempotent retry finds it
 * done, a create finds a conflict, as after any 503).
 */
enum scim_err
store_rep_post_commit(struct store *s, struct scim_error *err)
{
	if (s->rep == NULL)
		return SCIM_OK;
	if (rep_perm_failed) {
		rep_perm_failed = false;
		log_warn("replication: a commit was not acknowledged by "
		    "enough sites within %u ms", s->rep->ack_timeout_ms);
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the change was not "
		    "confirmed by enough sites of the replication group; "
		    "retry");
	}
	s->rep->last = s->rep->pending;
	s->rep->have_last = true;
	return SCIM_OK;
}

/* --- group membership --- */

/* Is host:port a site of the group, as this site's region lists it? */
static bool
rep_is_member(struct store *s, const char *host, unsigned port)
{
	DB_REPMGR_SITE	*list = NULL;
	u_int		 n = 0, i;
	bool		 found = false;

	if (s->env->repmgr_site_list(s->env, &n, &list) != 0)
		return false;
	for (i = 0; i < n && !found; i++)
		found = list[i].port == port &&
		    strcmp(list[i].host, host) == 0;
	free(list);
	return found;
}

enum scim_err
store_rep_remove(struct store *s, const char *host, unsigned port,
    struct scim_error *err)
{
	DB_SITE	*site;
	int	 ret;

	if (s == NULL || s->rep == NULL)
		return scim_fail(err, SCIM_E_BAD_REQUEST, "replication is off "
		    "([replication] site is not set in scim.conf)");
	if (port == s->rep->port && strcmp(host, s->rep->host) == 0)
		return scim_fail(err, SCIM_E_BAD_REQUEST, "%s:%u is this site; "
		    "remove it from another site of the group", host, port);
	if (s->env == NULL || !rep_is_member(s, host, port))
		return scim_fail(err, SCIM_E_BAD_REQUEST, "%s:%u is not a site of "
		    "this replication group (scimctl replication status "
		    "lists them)", host, port);
	if (!s->rep->joined && rep_join(s, err) != SCIM_OK)
		return SCIM_E_UNAVAILABLE;
	if ((ret = s->env->repmgr_site(s->env, host, port, &site, 0)) == 0)
		ret = site->remove(site);	/* closes site */
	if (ret != 0) {
		log_warn("replication: removing %s:%u: %s", host, port,
		    db_strerror(ret));
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the group's master "
		    "did not confirm the removal of %s:%u (%s); try again "
		    "once the group has a master", host, port,
		    db_strerror(ret));
	}
	return SCIM_OK;
}

/* --- commit tokens --- */

bool
store_rep_last_token(struct store *s, char *buf, size_t len)
{
	size_t	 i;

	if (len > 0)
		buf[0] = '\0';
	if (s == NULL || s->rep == NULL || !s->rep->have_last ||
	    len < 2 * DB_TXN_TOKEN_SIZE + 1)
		return false;
	for (i = 0; i < DB_TXN_TOKEN_SIZE; i++)
		snprintf(buf + 2 * i, 3, "%02x", s->rep->last.buf[i]);
	return true;
}

/* Parse a token's hex text; false when it is not one. */
static bool
rep_token_parse(const char *text, DB_TXN_TOKEN *tok)
{
	unsigned	 v;
	size_t		 i;

	if (text == NULL || strlen(text) != 2 * DB_TXN_TOKEN_SIZE ||
	    strspn(text, "0123456789abcdefABCDEF") != 2 * DB_TXN_TOKEN_SIZE)
		return false;
	for (i = 0; i < DB_TXN_TOKEN_SIZE; i++) {
		if (sscanf(text + 2 * i, "%2x", &v) != 1)
			return false;
		tok->buf[i] = (u_int8_t)v;
	}
	return true;
}

enum scim_err
store_rep_wait_applied(struct store *s, const char *token, unsigned ms,
    struct scim_error *err)
{
	DB_TXN_TOKEN	 tok;
	int		 ret;

	if (s == NULL || s->rep == NULL)
		return SCIM_OK;
	if (!rep_token_parse(token, &tok))
		return scim_fail(err, SCIM_E_BAD_REQUEST, "not a commit token");
	if (s->broken || s->env == NULL || !store_gate_enter(s))
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the store is "
		    "recovering, try again");
	ret = s->env->txn_applied(s->env, &tok, (db_timeout_t)ms * 1000, 0);
	store_gate_leave(s);
	switch (ret) {
	case 0:
	case DB_KEYEMPTY:		/* a transaction that wrote nothing */
		return SCIM_OK;
	case DB_TIMEOUT:
		return scim_fail(err, SCIM_E_UNAVAILABLE, "this site has not "
		    "yet applied the change (waited %u ms); try again", ms);
	case DB_NOTFOUND:
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the change was "
		    "rolled back by a failover; it was never confirmed");
	case DB_RUNRECOVERY:
		s->broken = true;
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the store is "
		    "recovering, try again");
	default:
		log_warn("txn_applied: %s", db_strerror(ret));
		return scim_fail(err, SCIM_E_UNAVAILABLE, "this site cannot "
		    "tell whether it has the change (%s); try again",
		    db_strerror(ret));
	}
}
