/*
 * The store's private header: what its files (store-*.c) share and no
 * other module may include.  Not installed.
 *
 *   store-env.c     open and close the environment, DB_CONFIG, cache size
 *   store-gate.c    the gate that keeps recovery apart from transactions
 *   store-layout.c  layout versions and the move to layout 3
 *   store-txn.c     the transaction loop, group commit, checkpoints
 *   store-rec.c     records by key: get, put, delete, walk a prefix
 *   store-res.c     users and groups, their indexes, membership
 *   store-kv.c      tokens, other modules' key spaces, meta.db
 *   store-rep.c     replication: environment set-up, role, commits
 *   store-rep-repd.c  ... scim-repd's side: listener, published state
 *
 * Conventions: every DBT is zeroed before use (store_dbt_set()); every
 * Berkeley DB error goes through store_dberr(), which turns deadlocks and
 * lock time-outs into a retry of the whole transaction and DB_RUNRECOVERY
 * into a broken store that the transaction loop reopens; DB_NOTFOUND is
 * SCIM_E_NOT_FOUND, not an error.
 */
#ifndef SCIM_STORE_INT_H
#define SCIM_STORE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <db.h>

#include "store/store.h"

/* The databases, one file each in the home (see store.h). */
enum dbi {
	DBI_USERS,
	DBI_USERS_NAME,
	DBI_USERS_EXT,
	DBI_GROUPS,
	DBI_GROUPS_NAME,
	DBI_GROUPS_EXT,
	DBI_MEMBERS,
	DBI_MEMBEROF,
	DBI_TOKENS,
	DBI_META,
	DBI_KV,
	DBI_USERS_ORDER,
	DBI_GROUPS_ORDER,
	DBI__MAX
};

/* How each database is made, and whether other modules cache it. */
struct store_dbdef {
	const char	*file;
	bool		 dups;		/* sorted duplicates allowed */
	unsigned	 pagesize;
	bool		 cached;	/* read on every request and kept by
					   processes: every write moves
					   store_records_gen() on */
	bool		 recnum;	/* DB_RECNUM: positions by number */
};

extern const struct store_dbdef store_dbdefs[DBI__MAX];	/* store-rec.c */

struct store_rep;	/* store-rep.c's; NULL while replication is off */

struct store {
	DB_ENV			*env;
	DB			*db[DBI__MAX];
	bool			 broken;	/* DB_RUNRECOVERY seen */
	unsigned		 since_ckp;	/* writes since checkpoint */
	unsigned		 lock_timeout_ms; /* conflicts before reopen */
	struct store_stats	 st;
	char			*home;
	enum store_sync		 sync;
	uint64_t		 cache_max;	/* [store] cache_max_mb, bytes */
	struct store_cache	 cache;		/* as the last attach left it */
	bool			 flush_after;	/* sync = full: commit without
						   sync, then flush the log */
	bool			 defer_flush;	/* ... in store_flush() */
	bool			 unflushed;	/* commits store_flush() owes */
	DB_TXN			*batch;		/* replicated master: the parent
						   of a batch's transactions */
	bool			 batch_failed;	/* a parent of this batch did
						   not commit: batch_err */
	struct scim_error	 batch_err;
	int			 gate;		/* fd of <home>/scim.gate */
	_Atomic int		*closing;	/* in the gate file, shared */
	struct store_gate_slot	*slots;		/* ... the process slots */
	struct store_gate_slot	*slot;		/* this process's, NULL: it
						   enters by fcntl only */
	unsigned long		 slot_gen;	/* util_fork_gen() at the claim */
	bool			 gate_fast;	/* the outermost enter is on
						   the slot, not GATE_IN */
	_Atomic uint64_t	*busy;		/* ... cached-table writers */
	_Atomic uint64_t	*gen;		/* ... and their changes */
	bool			 stale;		/* left a panicked env behind */
	bool			 beside;	/* layout 3: a user's groups are
						   keyed next to its record */
	bool			 folded;	/* layout 4: name index keys are
						   util_fold()ed, not
						   util_lower()ed */
	bool			 counted;	/* layout 5: meta.db keeps each
						   tenant's count (store_count()) */
	unsigned		 gate_depth;	/* nested store_gate_enter() */
	struct store_rep	*rep;		/* replication, NULL: off */
	void			*rep_area;	/* gate file's replication words */
	void			*getbuf[DBI__MAX]; /* DB->get() results when
						   DB_THREAD (replication) */
};

struct store_txn {
	struct store		*s;
	DB_TXN			*txn;
	bool			 retry;		/* lock conflict: run again */
	const char		*conflict;	/* where the last one was */
	bool			 readonly;	/* store_read(): no DB_RMW */
	bool			 cached;	/* wrote a cached table */
	bool			 child;		/* of the batch's parent */
	DBC			*users_cur;	/* a read's cursor on users.db,
						   kept for its next record
						   (store_get_raw_groups());
						   closed before the end */
	size_t			 users_at_len;	/* the key users_cur is on,
						   in users_at; 0: unknown */
	char			 users_at[2 * (STORE_ID_MAX + 1)];
};

/*
 * store_checkpoint() writes one when the log written since the last
 * checkpoint reaches CKP_LOG_KB (programs call it every CKP_COMMITS
 * writes, store.h): a checkpoint writes every page changed since the last
 * one (a page changed by many writes in between only once), and recovery
 * after a crash replays at most this much log.  1 MiB made a checkpoint of
 * every ~250 creates (make bench: POST /Users 3,469 -> 4,024 req/s with
 * 16 MiB).
 */
#define CKP_LOG_KB	16384

/* --- store-env.c --- */

/*
 * Open the environment (recovering it if a process died in it) and the
 * databases, with the gate closed; store_env_detach() undoes it.
 * store_env_reattach() leaves a broken environment (or one stuck in lock
 * conflicts) and opens it again.
 */
enum scim_err	 store_env_attach(struct store *s, struct scim_error *err);
enum scim_err	 store_env_reattach(struct store *s, struct scim_error *err);
void		 store_env_detach(struct store *s, u_int32_t dbflags);
/* store_open(), or with daemon set scim-repd's (store_rep_serve()). */
enum scim_err	 store_open_as(struct store **out,
		    const struct scim_config *cfg, bool daemon,
		    struct scim_error *err);

/* --- store-gate.c --- */

/*
 * The gate file's layout, for store-gate.c and its unit test: the closing
 * flag, the byte every slow-path transaction holds shared, and the process
 * slots (store-gate.c's top comment): STORE_GATE_SLOTS of one cache line
 * each from STORE_GATE_SLOTS_OFFSET, the first byte of each the fcntl
 * lock its owner holds for life.
 */
#define STORE_GATE_CLOSING_OFFSET 64
#define STORE_GATE_IN_BYTE	0
#define STORE_GATE_SLOTS_OFFSET	4096
#define STORE_GATE_SLOTS	128
#define STORE_GATE_FILE_SIZE	(STORE_GATE_SLOTS_OFFSET + \
				    STORE_GATE_SLOTS * 64)

struct store_gate_slot {
	_Atomic int		 in_txn;	/* 1: inside a transaction */
	_Atomic int		 pid;		/* the owner's, after its lock */
	char			 pad[56];	/* a cache line each */
};

/*
 * Open and map <home>/scim.gate into s (gate, closing, slots, busy, gen)
 * and claim this process's slot (none free: s->slot stays NULL); on
 * failure nothing is left open.  store_gate_fini() gives the slot back,
 * unmaps and closes it.
 */
enum scim_err	 store_gate_init(struct store *s, struct scim_error *err);
void		 store_gate_fini(struct store *s);
/*
 * Be inside the gate for one transaction (nested calls only count): on
 * the slot with no system call, or by fcntl (store-gate.c).
 */
bool		 store_gate_enter(struct store *s);
void		 store_gate_leave(struct store *s);
/*
 * Hold the gate alone (every transaction of every process has ended,
 * ending a stalled one), for an open; store_gate_open() lets them in.
 */
bool		 store_gate_close(struct store *s);
void		 store_gate_open(struct store *s);
/* With the gate closed: has no other process the environment open? */
bool		 store_gate_alone(struct store *s);
/* Say that this process has the environment open, or no longer. */
void		 store_gate_hold_attached(struct store *s);
void		 store_gate_drop_attached(struct store *s);

/*
 * Bytes of the gate file (from STORE_GATE_REP_OFFSET) that store-rep.c
 * lays out: the role scim-repd publishes for the site's processes.
 */
#define STORE_GATE_REP_OFFSET	512
#define STORE_GATE_REP_SIZE	3584

/* --- store-rep.c (store-rep.h has the public side) --- */

/*
 * Set s->rep from cfg's [replication] (left NULL when site is not set);
 * store_rep_fini() frees it.  daemon: this process is scim-repd.
 */
enum scim_err	 store_rep_init(struct store *s, const struct scim_config *cfg,
		    bool daemon, struct scim_error *err);
void		 store_rep_fini(struct store *s);
/* Extra DB_ENV->open() flags: DB_INIT_REP | DB_THREAD, or 0. */
u_int32_t	 store_rep_env_flags(const struct store *s);
/* Configure env (not yet open): sites, policy, time-outs, events. */
enum scim_err	 store_rep_env_config(struct store *s, DB_ENV *env,
		    struct scim_error *err);
/* Is this process scim-repd (which opens no database)? */
bool		 store_rep_is_daemon(const struct store *s);
/* Just opened, no database yet: on the master, join repmgr now. */
void		 store_rep_attached(struct store *s);
/* The environment handle is going: forget this process's repmgr state. */
void		 store_rep_detached(struct store *s);
/*
 * Before a writing transaction begins, inside the gate: SCIM_OK when
 * this site is master and this process can send its log records to the
 * replicas (it joins the replication manager as a subordinate the
 * first time), else SCIM_E_UNAVAILABLE saying why.
 */
enum scim_err	 store_rep_write_begin(struct store *s,
		    struct scim_error *err);
/* Around a writing commit: ask for its token, then check its acks. */
void		 store_rep_pre_commit(struct store_txn *t);
enum scim_err	 store_rep_post_commit(struct store *s,
		    struct scim_error *err);

/* --- store-rep-repd.c --- */

/* Forget what scim-repd published (it is closing, cleanly). */
void		 store_rep_unpublish(struct store *s);

/* --- store-layout.c --- */

/*
 * Check (recording it in a new store) the layout version, and move a
 * layout-2 store to layout 3 when this process is alone in it; sets
 * s->beside.  Called by an open, with the gate closed.
 */
enum scim_err	 store_layout_check(struct store *s, struct scim_error *err);

/* --- store-res.c, for store-layout.c --- */

/*
 * The name index key of name in s (util_fold() in layout 4, util_lower()
 * before it), a new string (caller frees), NULL when memory is short.
 */
char		*store_name_key(const struct store *s, const char *name);

/* --- store-txn.c --- */

/*
 * A write to a cached table (store_dbdefs[].cached) counts the transaction
 * busy until store_cached_settle(), at its end, moves the generation on.
 */
void		 store_cached_touch(struct store_txn *t, enum dbi d);
void		 store_cached_settle(struct store_txn *t);

/* --- store-rec.c --- */

/* A key made of NUL-separated parts, heap-allocated. */
struct key {
	char	*buf;
	size_t	 len;
};

/*
 * Build a key from up to three parts: "a\0b\0c".  With trailing set, a
 * NUL follows the last part too (a scan prefix).  Returns false on
 * allocation failure.  store_key_free() frees the buffer.
 */
bool		 store_key_make(struct key *k, const char *a, const char *b,
		    const char *c, bool trailing);
void		 store_key_free(struct key *k);

/* Zero a DBT and point it at len bytes of data (not copied). */
void		 store_dbt_set(DBT *d, const void *data, size_t len);

/*
 * DB->get() on database d.  data->data then points at bytes valid until
 * the next get on d by this process, as Berkeley DB's own return buffer
 * is; with replication on (every handle DB_THREAD, which refuses that
 * buffer) they are in s->getbuf[d], grown with DB_DBT_REALLOC.
 */
int		 store_db_get(struct store_txn *t, enum dbi d, DBT *key,
		    DBT *data, u_int32_t flags);

/*
 * Map a Berkeley DB return code to an scim_err, the one place that does.
 * Deadlocks and lock time-outs mark the transaction for a retry;
 * DB_RUNRECOVERY marks the store broken.
 */
enum scim_err	 store_dberr(struct store_txn *t, int ret, const char *what,
		    struct scim_error *err);

/* An id or tenant the store accepts: not empty, STORE_ID_MAX at most. */
bool		 store_check_id(const char *s);

/*
 * Records of database d by a built key.  store_rec_get() parses the JSON
 * into *out (caller deletes); store_rec_put() returns SCIM_E_CONFLICT for
 * DB_KEYEXIST (with DB_NOOVERWRITE or DB_NODUPDATA in flags);
 * store_rec_del_dup() deletes exactly the (key, id) pair of a duplicates
 * index, and an absent one is SCIM_OK.
 */
enum scim_err	 store_rec_get(struct store_txn *t, enum dbi d,
		    const struct key *k, cJSON **out, struct scim_error *err);
enum scim_err	 store_rec_put(struct store_txn *t, enum dbi d,
		    const struct key *k, const void *val, size_t len,
		    u_int32_t flags, struct scim_error *err);
enum scim_err	 store_rec_put_json(struct store_txn *t, enum dbi d,
		    const struct key *k, const cJSON *obj, u_int32_t flags,
		    struct scim_error *err);
enum scim_err	 store_rec_del(struct store_txn *t, enum dbi d,
		    const struct key *k, struct scim_error *err);
enum scim_err	 store_rec_del_dup(struct store_txn *t, enum dbi d,
		    const struct key *k, const char *id,
		    struct scim_error *err);

/*
 * The same on the key a\0b[\0c], built and freed inside.
 * store_key_get_text() copies the stored bytes, NUL-terminated, into
 * *out (caller frees), *len of them.
 */
enum scim_err	 store_key_get(struct store_txn *t, enum dbi d,
		    const char *a, const char *b, const char *c, cJSON **out,
		    struct scim_error *err);
enum scim_err	 store_key_get_text(struct store_txn *t, enum dbi d,
		    const char *a, const char *b, char **out, size_t *len,
		    struct scim_error *err);
enum scim_err	 store_key_put_json(struct store_txn *t, enum dbi d,
		    const char *a, const char *b, const char *c,
		    const cJSON *obj, u_int32_t flags, struct scim_error *err);
enum scim_err	 store_key_del(struct store_txn *t, enum dbi d,
		    const char *a, const char *b, const char *c,
		    struct scim_error *err);

/*
 * Walk every record whose key starts with prefix, from `from` when given
 * (a full key at or after which to start), forwards or backwards.  each()
 * gets the key remainder after the prefix and the data, and clears
 * *go_on to stop; its failure ends the walk and is returned.
 */
typedef enum scim_err (*store_walk_fn)(struct store_txn *t, void *arg,
		    const char *rest, size_t restlen, const DBT *data,
		    bool *go_on, struct scim_error *err);
enum scim_err	 store_walk_prefix(struct store_txn *t, enum dbi d,
		    const struct key *prefix, const struct key *from,
		    bool reverse, store_walk_fn each, void *arg,
		    struct scim_error *err);

/*
 * A forward walk read in bulk (store-walk.c): one c->get() with
 * DB_MULTIPLE_KEY fills a buffer with many key/data pairs, handed out one
 * at a time by store_bulk_next() (0, DB_NOTFOUND at the end, or the
 * get's error: store_dberr() it).  The pairs point into the buffer until
 * the next call.  store_bulk_start() positions nothing: the first get is
 * op (DB_SET_RANGE, DB_SET_RECNO: key[0..len) must live until then),
 * the next ones DB_NEXT.  A write's walk (not t->readonly) reads a pair a
 * get, as before, so its transaction locks no page it does not reach;
 * keys_only then skips the data (DB_DBT_PARTIAL).  bytes: the first
 * buffer (0: a small one), rounded up to 1 KB and the page size, doubled
 * at each refill up to STORE_BULK_BYTES and grown when a pair does not
 * fit; store_bulk_end() frees it.
 */
#define STORE_BULK_BYTES	(64 * 1024)
struct store_bulk {
	DBC		*c;
	const void	*start;		/* the first get's key */
	size_t		 startlen;
	u_int32_t	 op;		/* the next get's, DB_NEXT after one */
	bool		 single;	/* a pair a get: a write's walk */
	bool		 keys_only;	/* ... wanting no data */
	DBT		 buf;		/* DB_DBT_USERMEM, ulen bytes */
	void		*p;		/* DB_MULTIPLE_KEY_NEXT()'s place */
	bool		 grow;		/* double the buffer at the next get */
	int		 last;		/* what the last get said, 0: go on */
};
/* Tests' hooks: every bulk buffer's bytes (0: the callers'), counts. */
extern struct store_bulk_tune {
	size_t		 bytes;
	unsigned long	 gets, grows;
} store_bulk_tune;
void		 store_bulk_start(struct store_txn *t, struct store_bulk *b,
		    DBC *c, const void *key, size_t len, u_int32_t op,
		    size_t bytes, bool keys_only);
int		 store_bulk_next(struct store_bulk *b, DBT *key, DBT *data);
void		 store_bulk_end(struct store_bulk *b);
enum scim_err	 store_walk_bulk(struct store_txn *t, enum dbi d,
		    const struct key *prefix, const struct key *from,
		    store_walk_fn each, void *arg, struct scim_error *err);

/*
 * A walk callback (arg: a struct store_scan_ctx) that hands each record,
 * parsed, to a store_scan_fn.
 */
struct store_scan_ctx {
	store_scan_fn	 fn;
	void		*arg;
	bool		 ids_only;	/* data is an id, obj is NULL */
	bool		 data_is_id;	/* data (not the key) holds the id */
	bool		 records;	/* skip tenant\0uid\0gid rows */
};

enum scim_err	 store_scan_each(struct store_txn *t, void *arg,
		    const char *rest, size_t restlen, const DBT *data,
		    bool *go_on, struct scim_error *err);

/* --- store-res.c --- */

/* The database of kind's records (users.db, groups.db). */
enum dbi	 store_rec_dbi(enum store_kind kind);
/* Set tenant's count of kind to n (layout 5's first count). */
enum scim_err	 store_count_put(struct store_txn *t, enum store_kind kind,
		    const char *tenant, size_t n, struct scim_error *err);

#endif /* SCIM_STORE_INT_H */
