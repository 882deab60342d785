/*
 * Transactions: the loop behind store_run(), store_read() and
 * store_run_nosync() that begins, runs, commits and retries (lock
 * conflicts back off, a panicked or stuck environment is opened again);
 * group commit (store_flush()); checkpoints; and the generation of the
 * cached tables that a transaction moves on when it wrote one.  Every
 * transaction runs inside the gate (store-gate.c).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <db.h>

#include "base/log.h"
#include "base/util.h"
#include "store/store-int.h"
#include "store/store-rep.h"

/*
 * Token and group records are read on every request, so processes keep
 * what they learnt from them (token.c, crud.c) as long as no process has
 * changed one since: store_records_gen().  Which databases those are is
 * one column of store_dbdefs[] (cached).  A transaction that writes one
 * counts itself busy from its first such write until it has committed or
 * aborted (store_cached_settle()), and then moves the generation on.
 */
void
store_cached_touch(struct store_txn *t, enum dbi d)
{
	if (store_dbdefs[d].cached && !t->cached) {
		t->cached = true;
		atomic_fetch_add_explicit(t->s->busy, 1, memory_order_acq_rel);
	}
}

void
store_cached_settle(struct store_txn *t)
{
	if (t->cached) {
		t->cached = false;
		atomic_fetch_add_explicit(t->s->gen, 1, memory_order_acq_rel);
		atomic_fetch_sub_explicit(t->s->busy, 1, memory_order_acq_rel);
	}
}

bool
store_records_gen(struct store *s, uint64_t *gen)
{
	uint64_t	 busy;

	busy = atomic_load_explicit(s->busy, memory_order_acquire);
	*gen = atomic_load_explicit(s->gen, memory_order_acquire);
	return busy == 0;
}

struct store *
store_txn_store(struct store_txn *t)
{
	return t->s;
}

/*
 * Has the environment been panicked (another process is running
 * recovery)?  Every locking call checks the panic flag first, so a
 * locker id taken and given back is a cheap probe.
 */
static bool
env_panicked(struct store *s)
{
	u_int32_t	 id;
	int		 ret;

	if ((ret = s->env->lock_id(s->env, &id)) != 0)
		return ret == DB_RUNRECOVERY;
	s->env->lock_id_free(s->env, id);
	return false;
}

/* A checkpoint (txn_checkpoint(kbyte, flags)) behind the gate. */
static bool
checkpoint_run(struct store *s, u_int32_t kbyte, u_int32_t flags)
{
	struct scim_error	 err;
	int			 ret;

	s->since_ckp = 0;
	/* It writes pages into the files: never while a recovery runs. */
	if (s->broken || s->env == NULL || !store_gate_enter(s))
		return false;
	if (env_panicked(s)) {
		s->broken = true;
		store_gate_leave(s);
		return false;
	}
	/* On the master it is replicated: join repmgr first (store-rep.c). */
	if (s->rep != NULL && store_rep_role(s) == STORE_ROLE_MASTER &&
	    store_rep_write_begin(s, &err) != SCIM_OK) {
		store_gate_leave(s);
		return true;
	}
	if ((ret = s->env->txn_checkpoint(s->env, kbyte, 0, flags)) != 0)
		log_warn("checkpoint: %s", db_strerror(ret));
	store_gate_leave(s);
	return true;
}

bool
store_checkpoint(struct store *s)
{
	return checkpoint_run(s, CKP_LOG_KB, 0);
}

bool
store_checkpoint_force(struct store *s)
{
	return checkpoint_run(s, 0, DB_FORCE);
}

void
store_defer_flush(struct store *s)
{
	if (s != NULL)
		s->defer_flush = true;
}

bool
store_unflushed(const struct store *s)
{
	return s != NULL && s->unflushed;
}

/*
 * Group commit on a replication group's master.  There every commit waits
 * inside DB_TXN->commit() for a quorum of sites to acknowledge it, with
 * its locks held, and a replica flushes its log for each commit before it
 * acknowledges (docs/DESIGN.md, "Where a replicated commit's time goes"):
 * one request's commit at a time made the group's write rate the inverse
 * of that round trip, and every other writer queued behind the locks of
 * the one waiting.  So while service.c serves a batch of waiting requests
 * (store_defer_flush()), their transactions run as children of one
 * parent, begun at the batch's first durable write and committed by
 * store_flush(): one replicated commit, one wait and one replica fsync
 * for the whole batch.  A child that fails aborts alone (its request gets
 * its own error).  The parent's commit failing (too few sites
 * acknowledged it, a lost mastership) fails every write of the batch, as
 * a failed flush always has: 503, never a 2xx for a write a failover
 * could lose.  While a parent is open every transaction of the process is
 * its child, reads included (one of their own would conflict with the
 * parent's locks).  A lock conflict or a broken environment ends the
 * parent before the retry, so no two processes' parents wait on each
 * other and recovery never meets one.  The parent holds the gate.
 */
static enum scim_err	 store_log_flush(struct store *, struct scim_error *);

static bool
batch_wanted(struct store *s, bool durable)
{
	return s->batch == NULL && durable && s->defer_flush &&
	    s->rep != NULL && store_rep_role(s) == STORE_ROLE_MASTER;
}

static enum scim_err
batch_begin(struct store *s, struct scim_error *err)
{
	struct store_txn	 t;
	int			 ret;

	if (!store_gate_enter(s))
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is not available, try again");
	if ((ret = s->env->txn_begin(s->env, NULL, &s->batch,
	    DB_TXN_NOWAIT)) != 0) {
		memset(&t, 0, sizeof(t));
		t.s = s;
		s->batch = NULL;
		store_gate_leave(s);
		return store_dberr(&t, ret, "txn_begin", err);
	}
	return SCIM_OK;
}

/*
 * Commit the batch's parent (abort it when asked, or if the environment
 * broke), and
 * leave the gate it held.  A failure is kept for store_flush() to report
 * (batch_failed, batch_err): the writes of its children are not known to
 * survive.  The cached tables' generation moves on again, since a child
 * of an aborted parent may have moved it for a change that is gone.
 */
static void
batch_end(struct store *s, bool abort)
{
	struct store_txn	 t;
	struct scim_error	 err = { SCIM_OK, "" };
	enum scim_err		 rc = SCIM_OK;
	int			 ret;

	if (s->batch == NULL)
		return;
	memset(&t, 0, sizeof(t));
	t.s = s;
	t.txn = s->batch;
	s->batch = NULL;
	if (abort || s->broken) {
		t.txn->abort(t.txn);
		rc = scim_fail(&err, SCIM_E_UNAVAILABLE, "the store is "
		    "recovering; the change may not have been applied, try "
		    "again");
	} else {
		store_rep_pre_commit(&t);
		if ((ret = t.txn->commit(t.txn, DB_TXN_WRITE_NOSYNC)) != 0)
			rc = store_dberr(&t, ret, "commit", &err);
		else
			rc = store_rep_post_commit(s, &err);
		if (rc == SCIM_OK) {
			s->unflushed = true;
			s->st.batches++;
		}
	}
	if (rc != SCIM_OK) {
		if (!s->batch_failed)
			s->batch_err = err;
		s->batch_failed = true;
		atomic_fetch_add_explicit(s->gen, 1, memory_order_acq_rel);
	}
	store_gate_leave(s);
}

void
store_batch_abort(struct store *s)
{
	if (s == NULL || s->batch == NULL)
		return;
	batch_end(s, true);
	s->batch_failed = false;
}

/*
 * Flush the log over the commits made since the last flush: store_run()
 * calls it after each durable commit, or leaves it to its caller after
 * store_defer_flush(), committing the batch's parent first.  Behind the
 * gate (nested inside store_run()'s), and a panic met here means the
 * commits it covers may be lost to a crash of the machine: never
 * acknowledge them.
 */
enum scim_err
store_flush(struct store *s, struct scim_error *err)
{
	enum scim_err	 rc;

	if (s == NULL)
		return SCIM_OK;
	batch_end(s, false);
	rc = store_log_flush(s, err);
	if (s->batch_failed) {
		s->batch_failed = false;
		*err = s->batch_err;
		return SCIM_E_UNAVAILABLE;
	}
	return rc;
}

/* store_flush()'s flush of the log. */
static enum scim_err
store_log_flush(struct store *s, struct scim_error *err)
{
	int	 ret;

	if (!s->unflushed)
		return SCIM_OK;
	s->unflushed = false;
	if (s->broken || s->env == NULL || !store_gate_enter(s))
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the store is "
		    "recovering; the change may not have been applied, try "
		    "again");
	if ((ret = s->env->log_flush(s->env, NULL)) != 0 || env_panicked(s)) {
		if (ret != 0)
			log_err("log_flush: %s", db_strerror(ret));
		else {
			s->broken = true;
			log_err("environment panicked before a flush");
		}
		store_gate_leave(s);
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the store could "
		    "not make the change durable; it may not have been "
		    "applied, try again");
	}
	store_gate_leave(s);
	return SCIM_OK;
}

void
store_checkpoint_reset(struct store *s)
{
	if (s != NULL)
		s->since_ckp = 0;
}

bool
store_checkpoint_due(const struct store *s)
{
	return s != NULL && s->since_ckp >= CKP_COMMITS;
}

/*
 * Run fn in a transaction until it commits or fails for good.  Lock
 * requests never wait (DB_TXN_NOWAIT): Berkeley DB checks lock time-outs
 * only when its deadlock detector runs, so a request queued behind a
 * process that was SIGKILLed would wait forever (and keep the gate from
 * closing for the recovery that would free it).  Instead a conflict
 * aborts and retries with growing back-off, outside the gate.  Once
 * conflicts have lasted lock_timeout_ms, the environment is opened again:
 * if the holder died, that open runs recovery; after five times that the
 * caller gets SCIM_E_UNAVAILABLE.  A transaction that met a panic before
 * its commit (another process recovered while this one was idle) did not
 * happen, so it runs again in the new environment.
 *
 * store_txn_run() is the loop; store_txn_attempt() is one pass through
 * the gate, store_txn_commit() its commit, store_txn_reopen() and
 * store_txn_backoff() what happens between passes.
 */

/* What one store_run() call asked for. */
struct txn_call {
	store_fn	 fn;
	void		*arg;
	u_int32_t	 tflags;	/* txn_begin() flags */
	bool		 readonly;	/* store_read() */
	bool		 flush;		/* commit unsynced, then flush */
};

/* The retry state of one store_run() call, across its passes. */
struct txn_retry {
	int64_t		 start;		/* first conflict, usec; 0: none */
	int64_t		 next_check;	/* reopen when conflicts last */
	int64_t		 give_up;	/* ... and fail after this */
	int64_t		 timeout;	/* lock_timeout_ms, usec */
	unsigned	 backoff;	/* microseconds */
	unsigned	 reopens;	/* since the last lasting conflict */
};

/* How one pass ended. */
enum txn_outcome {
	TXN_DONE,			/* store_run() returns its rc */
	TXN_AGAIN,			/* broken: reopen and run again */
	TXN_CONFLICT			/* lock conflict: back off, again */
};

/*
 * The environment is broken (panicked, or opened again on purpose after
 * lasting conflicts): open it again, three times at most per lasting
 * conflict, and never from inside another transaction.
 */
static enum scim_err
store_txn_reopen(struct store *s, struct txn_retry *r,
    struct scim_error *err)
{
	if (s->gate_depth > 0 || r->reopens++ >= 3)
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is recovering, try again");
	if (store_env_reattach(s, err) != SCIM_OK) {
		log_err("reopen: %s", err->detail);
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is recovering, try again");
	}
	return SCIM_OK;
}

/*
 * Commit a child of the batch's parent: into the parent, which
 * store_flush() commits (and replicates) for the batch.  Its write is
 * owed that flush like a deferred one.
 */
static bool
store_txn_commit_child(struct store *s, struct store_txn *t,
    const struct txn_call *call, enum scim_err *rc, struct scim_error *err)
{
	int	 ret;

	ret = t->txn->commit(t->txn, 0);
	t->txn = NULL;
	if (ret != 0) {
		*rc = store_dberr(t, ret, "commit", err);
		return false;
	}
	if (call->flush) {
		s->unflushed = true;
		s->st.deferred++;
	}
	s->st.commits++;
	if (!call->readonly)
		s->since_ckp++;
	*rc = SCIM_OK;
	return true;
}

/*
 * Commit t, whose fn returned SCIM_OK.  True when the call is done, with
 * *rc what store_run() returns; false when the commit failed (*rc from
 * store_dberr()), to be handled like a failed fn.
 */
static bool
store_txn_commit(struct store *s, struct store_txn *t,
    const struct txn_call *call, enum scim_err *rc, struct scim_error *err)
{
	int	 ret;

	/*
	 * Durable commits release their locks before the fsync: the commit
	 * writes the log without syncing, then the flush makes it durable
	 * before the answer (still behind the gate, so before any
	 * recovery).  The log is sequential: a transaction that read this
	 * one's changes commits after it, and its own flush covers them, so
	 * nothing acknowledged rests on an unflushed change, and concurrent
	 * writers no longer queue behind each other's fsync.  A reader may
	 * see a change a few hundred microseconds before it is durable; only
	 * a power cut in that window could take it back, before its writer
	 * was told.
	 */
	if (t->child)
		return store_txn_commit_child(s, t, call, rc, err);
	store_rep_pre_commit(t);
	ret = t->txn->commit(t->txn, call->flush ? DB_TXN_WRITE_NOSYNC : 0);
	t->txn = NULL;
	if (ret != 0) {
		*rc = store_dberr(t, ret, "commit", err);
		return false;
	}
	/*
	 * Replication: committed here, but acknowledged by too few sites
	 * (a failover could lose it): never answered as done.
	 */
	if (!call->readonly && (*rc = store_rep_post_commit(s, err)) !=
	    SCIM_OK)
		return true;
	/*
	 * The flush is owed; store_flush() pays it now, or for a batch of
	 * requests (store_defer_flush()).
	 */
	if (call->flush) {
		s->unflushed = true;
		if (s->defer_flush)
			s->st.deferred++;
		else if ((*rc = store_flush(s, err)) != SCIM_OK)
			return true;
	}
	if (!call->readonly && env_panicked(s)) {
		/*
		 * Cannot happen behind the gate unless Berkeley DB panicked
		 * on its own: never acknowledge a write whose survival is
		 * unknown.
		 */
		s->broken = true;
		log_err("environment panicked around a commit");
		*rc = scim_fail(err, SCIM_E_UNAVAILABLE, "the store is "
		    "recovering; the change may not have been applied, try "
		    "again");
		return true;
	}
	s->st.commits++;
	if (!call->readonly)
		s->since_ckp++;
	*rc = SCIM_OK;
	return true;
}

/*
 * One pass: enter the gate, begin, run fn, commit (or abort), and leave
 * the gate, on every path through the one exit.  *rc is what store_run()
 * returns when the outcome is TXN_DONE.
 */
static enum txn_outcome
store_txn_attempt(struct store *s, struct store_txn *t,
    const struct txn_call *call, enum scim_err *rc, struct scim_error *err)
{
	enum txn_outcome	 out;
	bool			 committing = false;
	int			 ret;

	if (!store_gate_enter(s)) {
		*rc = scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is not available, try again");
		return TXN_DONE;
	}
	memset(t, 0, sizeof(*t));
	t->s = s;
	t->readonly = call->readonly;
	/* Replication: writes only on the master (store-rep.c). */
	if (s->rep != NULL && !call->readonly &&
	    (*rc = store_rep_write_begin(s, err)) != SCIM_OK) {
		out = TXN_DONE;
		goto leave;
	}
	if (batch_wanted(s, call->flush) && (*rc = batch_begin(s, err)) != SCIM_OK) {
		out = s->broken ? TXN_AGAIN : TXN_DONE;
		goto leave;
	}
	t->child = s->batch != NULL;
	if ((ret = s->env->txn_begin(s->env, s->batch, &t->txn,
	    call->tflags | DB_TXN_NOWAIT)) != 0) {
		*rc = store_dberr(t, ret, "txn_begin", err);
		out = s->broken ? TXN_AGAIN : TXN_DONE;
		goto leave;
	}
	*rc = call->fn(t, call->arg, err);
	/* A cursor kept for reuse (store-walk.c) ends before its txn. */
	if (t->users_cur != NULL) {
		t->users_cur->close(t->users_cur);
		t->users_cur = NULL;
		t->users_at_len = 0;
	}
	if (*rc == SCIM_OK && !t->retry) {
		committing = true;
		if (store_txn_commit(s, t, call, rc, err)) {
			out = TXN_DONE;
			goto leave;
		}
	}
	if (t->txn != NULL)
		t->txn->abort(t->txn);
	if (s->broken && committing && !call->readonly) {
		*rc = scim_fail(err, SCIM_E_UNAVAILABLE, "the store is "
		    "recovering; the change may not have been applied, try "
		    "again");
		out = TXN_DONE;
	} else if (s->broken)
		out = TXN_AGAIN;	/* it did not happen: run it again */
	else
		out = t->retry ? TXN_CONFLICT : TXN_DONE;
leave:
	store_cached_settle(t);
	store_gate_leave(s);
	return out;
}

/*
 * After a lock conflict: SCIM_OK to run again (after a back-off with
 * jitter, or at once with s->broken set when conflicts have lasted
 * lock_timeout_ms), SCIM_E_UNAVAILABLE when they have lasted five times
 * that.
 */
static enum scim_err
store_txn_backoff(struct store *s, const struct store_txn *t,
    struct txn_retry *r, struct scim_error *err)
{
	struct timespec	 ts;
	int64_t		 now;
	unsigned char	 jitter;

	s->st.retries++;
	now = util_now_usec();
	if (r->start == 0) {
		r->start = now;
		r->next_check = now + r->timeout;
		r->give_up = now + 5 * r->timeout;
	}
	if (now >= r->give_up) {
		log_warn("gave up after %lld ms of lock conflicts "
		    "(last on %s, %llu retries so far)",
		    (long long)(now - r->start) / 1000,
		    t->conflict ? t->conflict : "?",
		    (unsigned long long)s->st.retries);
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is busy, try again");
	}
	/*
	 * Conflicts for this long: perhaps the holder was killed.  Opening
	 * the environment again finds out, and recovers.
	 */
	if (now >= r->next_check && s->gate_depth == 0) {
		r->next_check = now + r->timeout;
		log_warn("lock conflicts for %lld ms (last on %s): "
		    "opening the store again",
		    (long long)(now - r->start) / 1000,
		    t->conflict ? t->conflict : "?");
		s->broken = true;
		r->reopens = 0;
		return SCIM_OK;
	}
	util_random(&jitter, 1);
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(r->backoff + r->backoff * jitter / 256) * 1000L;
	nanosleep(&ts, NULL);
	if (r->backoff < 20000)
		r->backoff *= 2;
	return SCIM_OK;
}

static enum scim_err
store_txn_run(struct store *s, store_fn fn, void *arg, u_int32_t tflags,
    bool readonly, struct scim_error *err)
{
	struct txn_call		 call = { fn, arg, tflags, readonly, false };
	struct txn_retry	 r = { 0, 0, 0,
				    (int64_t)s->lock_timeout_ms * 1000, 50, 0 };
	struct store_txn	 t;
	enum txn_outcome	 out;
	enum scim_err		 rc;

	/* Durable commits flush after the commit (store_txn_commit()). */
	call.flush = !readonly && tflags == 0 && s->flush_after;
	for (;;) {
		if (s->broken && (rc = store_txn_reopen(s, &r, err)) !=
		    SCIM_OK)
			break;
		out = store_txn_attempt(s, &t, &call, &rc, err);
		if (out == TXN_DONE)
			break;
		/* Not while holding a parent's locks, nor into a recovery. */
		batch_end(s, false);
		if (out == TXN_CONFLICT &&
		    (rc = store_txn_backoff(s, &t, &r, err)) != SCIM_OK)
			break;
	}
	return rc;
}

enum scim_err
store_run(struct store *s, store_fn fn, void *arg, struct scim_error *err)
{
	return store_txn_run(s, fn, arg, 0, false, err);
}

enum scim_err
store_read(struct store *s, store_fn fn, void *arg, struct scim_error *err)
{
	return store_txn_run(s, fn, arg, DB_READ_COMMITTED, true, err);
}

enum scim_err
store_run_nosync(struct store *s, store_fn fn, void *arg,
    struct scim_error *err)
{
	return store_txn_run(s, fn, arg, DB_TXN_NOSYNC, false, err);
}
