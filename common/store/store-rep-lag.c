/*
 * Replication lag, for scimctl replication status: Berkeley DB 5.3 keeps
 * each site's position on the master only inside repmgr, so the sites'
 * scim-repd tell each other over a repmgr message channel (5.2+).  Once
 * a second, a replica's scim-repd sends the master "ADDRESS FILE OFFSET"
 * (its log end) and gets back the master's log end: the replica then
 * knows how far behind it is, and the master how far behind each replica
 * is.  Only scim-repd runs this; the state is this process's (one store
 * per scim-repd), shared with repmgr's message threads under a mutex.
 * It owns the message's format; it knows nothing of the published words
 * (store-rep-repd.c puts the numbers there).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <db.h>

#include "base/log.h"
#include "store/store-int.h"
#include "store/store-rep-int.h"

#define LAG_EVERY_MS	1000		/* a replica reports this often */
#define LAG_WAIT_US	200000		/* and waits this long for the answer */
#define LAG_FRESH_MS	5000		/* a report older than this is no lag */

/* The last report of one replica, on the master. */
struct lag_seen {
	char		 addr[STORE_REP_ADDR_MAX];
	DB_LSN		 lsn;
	int64_t		 at_ms;
};

static pthread_mutex_t	 lag_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lag_seen	 lag_seen[STORE_REP_PEERS_MAX];
static DB_LSN		 lag_own;	/* this site's log end, last tick */
static DB_CHANNEL	*lag_chan;	/* to DB_EID_MASTER, a replica's */
static int64_t		 lag_sent_ms;

/* Bytes of log from a to b (b at or after a), with files of lg_max. */
static long long
lag_bytes(const DB_LSN *a, const DB_LSN *b, u_int32_t lg_max)
{
	long long	 d;

	d = ((long long)b->file - a->file) * lg_max + b->offset - a->offset;
	return d > 0 ? d : 0;
}

/* "ADDRESS FILE OFFSET" or "FILE OFFSET" (addr NULL) into lsn. */
static bool
lag_parse(const DBT *d, char *addr, DB_LSN *lsn)
{
	char		 text[STORE_REP_ADDR_MAX + 32];
	unsigned long	 f, o;

	if (d->size == 0 || d->size >= sizeof(text))
		return false;
	memcpy(text, d->data, d->size);
	text[d->size] = '\0';
	if (addr != NULL ? sscanf(text, "%255s %lu %lu", addr, &f, &o) != 3 :
	    sscanf(text, "%lu %lu", &f, &o) != 2)
		return false;
	lsn->file = (u_int32_t)f;
	lsn->offset = (u_int32_t)o;
	return true;
}

/* On the master, in a repmgr message thread: keep a replica's report. */
static void
lag_dispatch(DB_ENV *env, DB_CHANNEL *responder, DBT *req, u_int32_t nreq,
    u_int32_t flags)
{
	char	 addr[STORE_REP_ADDR_MAX], text[32];
	DB_LSN	 lsn;
	DBT	 resp;
	size_t	 i, slot = 0;

	(void)env;
	if (nreq == 1 && lag_parse(&req[0], addr, &lsn)) {
		pthread_mutex_lock(&lag_mu);
		for (i = 0; i < STORE_REP_PEERS_MAX; i++) {
			if (strcmp(lag_seen[i].addr, addr) == 0) {
				slot = i;
				break;
			}
			if (lag_seen[i].at_ms < lag_seen[slot].at_ms)
				slot = i;
		}
		snprintf(lag_seen[slot].addr, STORE_REP_ADDR_MAX, "%s", addr);
		lag_seen[slot].lsn = lsn;
		lag_seen[slot].at_ms = store_rep_now_ms();
		snprintf(text, sizeof(text), "%lu %lu",
		    (unsigned long)lag_own.file, (unsigned long)lag_own.offset);
		pthread_mutex_unlock(&lag_mu);
	} else
		snprintf(text, sizeof(text), "0 0");
	if ((flags & DB_REPMGR_NEED_RESPONSE) == 0)
		return;
	store_dbt_set(&resp, text, strlen(text));
	responder->send_msg(responder, &resp, 1, 0);
}

int
store_rep_lag_init(DB_ENV *env)
{
	return env->repmgr_msg_dispatch(env, lag_dispatch, 0);
}

void
store_rep_lag_fini(void)
{
	if (lag_chan != NULL) {
		lag_chan->close(lag_chan, 0);
		lag_chan = NULL;
	}
}

/* A replica: report to the master, learn its own lag. */
static void
lag_report(struct store *s, const DB_LSN *own, u_int32_t lg_max)
{
	char	 text[STORE_REP_ADDR_MAX + 32];
	DB_LSN	 master;
	DBT	 req, resp;

	if (store_rep_now_ms() - lag_sent_ms < LAG_EVERY_MS)
		return;
	lag_sent_ms = store_rep_now_ms();
	if (lag_chan == NULL &&
	    s->env->repmgr_channel(s->env, DB_EID_MASTER, &lag_chan, 0) != 0) {
		lag_chan = NULL;
		return;
	}
	snprintf(text, sizeof(text), "%s %lu %lu", s->rep->site,
	    (unsigned long)own->file, (unsigned long)own->offset);
	store_dbt_set(&req, text, strlen(text));
	memset(&resp, 0, sizeof(resp));
	resp.flags = DB_DBT_MALLOC;
	if (lag_chan->send_request(lag_chan, &req, 1, &resp, LAG_WAIT_US,
	    0) != 0)
		return;
	if (lag_parse(&resp, NULL, &master) && master.file != 0) {
		s->rep->self_lag = lag_bytes(own, &master, lg_max);
		s->rep->self_lag_at = store_rep_now_ms();
	}
	free(resp.data);
}

void
store_rep_lag_tick(struct store *s, enum store_role role, const DB_LSN *own,
    struct store_rep_wide *pub)
{
	u_int32_t	 lg_max = 0;
	uint32_t	 i, j;

	if (s->env->get_lg_max(s->env, &lg_max) != 0 || lg_max == 0)
		lg_max = 10 * 1024 * 1024;
	pthread_mutex_lock(&lag_mu);
	lag_own = *own;
	pthread_mutex_unlock(&lag_mu);
	if (role == STORE_ROLE_REPLICA)
		lag_report(s, own, lg_max);
	else
		s->rep->self_lag_at = 0;
	pub->self_lag_known = s->rep->self_lag_at != 0 &&
	    store_rep_now_ms() - s->rep->self_lag_at < LAG_FRESH_MS;
	pub->self_lag = pub->self_lag_known ? s->rep->self_lag : 0;
	for (i = 0; i < pub->npeers; i++) {
		if (role == STORE_ROLE_REPLICA &&
		    strcmp(pub->peers[i].addr, pub->master) == 0) {
			pub->peers[i].lag_known = 1;	/* the master */
			pub->peers[i].lag = 0;
			continue;
		}
		if (role != STORE_ROLE_MASTER)
			continue;
		pthread_mutex_lock(&lag_mu);
		for (j = 0; j < STORE_REP_PEERS_MAX; j++)
			if (strcmp(lag_seen[j].addr, pub->peers[i].addr) == 0 &&
			    store_rep_now_ms() - lag_seen[j].at_ms <
			    LAG_FRESH_MS) {
				pub->peers[i].lag_known = 1;
				pub->peers[i].lag = lag_bytes(&lag_seen[j].lsn,
				    own, lg_max);
			}
		pthread_mutex_unlock(&lag_mu);
	}
}
