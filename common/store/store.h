/*
 * The Berkeley DB 5.3 store: one transactional environment shared by every
 * FastCGI process of every program (and the command-line tools).
 *
 * It OWNS the data home: the environment and its recovery, the gate that
 * keeps recovery apart from transactions, DB_CONFIG and the cache size,
 * the layout of the databases and its migrations, transactions (retries,
 * group commit, checkpoints), and the records in them: users and groups
 * with their name and externalId indexes, memberships, tokens by id, and
 * key spaces it lends to other modules.
 *
 * It MUST NOT KNOW HTTP, filters, PATCH, the SCIM schema (not even the
 * attributes its indexes are keyed on: the caller hands it the id, name
 * and externalId of a record, struct store_keys, and a member's id and
 * kind), what a client is told (it returns codes; the handlers word
 * them), or what a token, an admin or an audit record means: those
 * modules keep their records in a key space (store_kv_*) or in tokens.db
 * as JSON the store only carries.
 * Its internals are in store-int.h, for the store's own files only.
 *
 * Every key starts with the tenant id and a NUL byte, so one tenant can
 * never reach another's records.  Databases (one file each, in the home):
 *
 *   users.db       tenant\0id -> user JSON (canonical, with id and meta)
 *                  tenant\0id\0gid -> "" (the user is in group gid: kept
 *                  next to its record, so one page has both)
 *   users_name.db  tenant\0lower(userName) -> id            (unique)
 *   users_ext.db   tenant\0externalId -> id                 (duplicates)
 *   groups.db      tenant\0id -> group JSON (without members)
 *   groups_name.db tenant\0lower(displayName) -> id         (unique)
 *   groups_ext.db  tenant\0externalId -> id                 (duplicates)
 *   members.db     tenant\0gid\0member -> member JSON {value,type,display,...}
 *   memberof.db    tenant\0member\0gid -> "" (groups in groups; users too
 *                  in a store of layout 2, see store-layout.c)
 *   tokens.db      token id -> token JSON (tenant inside)
 *   meta.db        name -> value (schema_version, ...)
 *                  count\0tenant\0u|g -> decimal number of the tenant's
 *                  users or groups (layout 5, store_count())
 *   kv.db          tenant\0space\0key -> value (admins, sessions, audit,
 *                  outbox: modules that own a key space)
 *
 * Writes happen in store_run(), which begins a transaction, calls the
 * caller's function and commits.  Lock requests never wait: a conflict
 * aborts and reruns the whole function with back-off; when conflicts have
 * lasted [store] lock_timeout_ms, the process opens the environment again
 * (which recovers it if the lock holder died), and after five times that
 * the request fails with SCIM_E_UNAVAILABLE (503).
 *
 * The environment is opened with DB_REGISTER|DB_RECOVER: full recovery
 * runs when a registered process died inside it.  Recovery and
 * transactions are kept apart by the gate, fcntl locks on <home>/scim.gate
 * (store-gate.c): every transaction holds it shared, every environment open
 * holds it alone, so no process is inside a transaction while another
 * recovers.  A process that stays inside one transaction for 5 times
 * [store] lock_timeout_ms while another waits to open the environment is
 * ended (SIGKILL) by that one; a process inside an open for
 * STORE_OPEN_STALL_SECONDS is ended by SIGALRM (the store owns alarm()
 * during an open).
 *
 * The shared cache is sized to the data (store_cache_want()) whenever the
 * environment is created: at the first open after a process died in it
 * (recovery creates it anew), or, when the cache in place is more than an
 * eighth off that size, at an open that finds no other process in it.
 * Berkeley DB 5.3 cannot safely grow a cache that several processes share
 * (a checkpoint in one process walks cache regions another added without
 * mapping them), so a store that grows gets its larger cache at such an
 * open.  A set_cachesize line in the home's DB_CONFIG turns all of this
 * off: the operator's size holds.
 */
#ifndef SCIM_STORE_H
#define SCIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"

#define STORE_SCHEMA_VERSION	5	/* layout version written in meta.db;
					   2: audit keys sharded (audit.c);
					   3: users' groups in users.db;
					   4: name keys util_fold()ed;
					   5: per-tenant counts in meta.db */
#define STORE_ID_MAX		128	/* longest id or tenant accepted */
#define STORE_OPEN_STALL_SECONDS 600	/* longest open (with recovery) */

struct store;				/* an open environment */
struct store_txn;			/* a transaction inside store_run() */

enum store_kind {
	STORE_USER,
	STORE_GROUP
};

/* Operation counters of one process, for tests and the benchmark. */
struct store_stats {
	uint64_t	 gets;		/* point reads */
	uint64_t	 puts;		/* writes */
	uint64_t	 dels;		/* deletes */
	uint64_t	 steps;		/* cursor positionings and steps */
	uint64_t	 commits;	/* committed transactions */
	uint64_t	 retries;	/* transactions run again */
	uint64_t	 reopens;	/* environment opened again (recovery,
					   lasting conflicts) */
	uint64_t	 deferred;	/* durable commits left to
					   store_flush() */
	uint64_t	 batches;	/* batches' parents committed
					   (replicated master) */
};

/* The shared cache, as the last open of this process found it. */
struct store_cache {
	uint64_t	 data;		/* bytes of the databases */
	uint64_t	 want;		/* store_cache_want(data), 0 when the
					   home's DB_CONFIG sets the size */
	uint64_t	 size;		/* the environment's cache, bytes */
};

/*
 * The cache for data bytes of databases, capped at max bytes: 5/4 of the
 * data plus 32 MiB, rounded up to 8 MiB, at least 80 MiB.  This is the
 * whole cache, Berkeley DB's bookkeeping included (the size that
 * DB_ENV->get_cachesize() and db_stat -m report).
 */
uint64_t	 store_cache_want(uint64_t data, uint64_t max);

/*
 * Open (creating if needed) the environment in cfg->home.  On a fresh
 * home, db/DB_CONFIG defaults are written there first.  *out is freed by
 * store_close().  Errors are SCIM_E_INTERNAL with the Berkeley DB message.
 */
enum scim_err	 store_open(struct store **out,
		    const struct scim_config *cfg, struct scim_error *err);
void		 store_close(struct store *s);

/*
 * Has this process left a recovered (panicked) environment behind?
 * store_run() opens the environment again by itself, but Berkeley DB
 * cannot release the old one's file handles and shared memory, so a
 * long-running program should exit when it is idle (its web server starts
 * a fresh one).
 */
bool		 store_stale(const struct store *s);

/* The cache the store has. */
void		 store_cache(const struct store *s, struct store_cache *out);

/* Counters since store_open(). */
void		 store_stats(const struct store *s, struct store_stats *out);

/*
 * The body of a transaction.  It may run several times (after a deadlock
 * or lock time-out): it must not free or consume its inputs, and must
 * reset any output it fills at its start.  Return SCIM_OK to commit;
 * anything else aborts and is returned by store_run().
 */
typedef enum scim_err (*store_fn)(struct store_txn *t, void *arg,
		    struct scim_error *err);

/*
 * Run fn inside a transaction, committing on SCIM_OK.  Lock conflicts
 * rerun fn with back-off (see above); SCIM_E_UNAVAILABLE when they last.
 */
enum scim_err	 store_run(struct store *s, store_fn fn, void *arg,
		    struct scim_error *err);

/*
 * Run fn in a read-only transaction (read-committed isolation, no write
 * locks taken on reads).  fn must not write.
 */
enum scim_err	 store_read(struct store *s, store_fn fn, void *arg,
		    struct scim_error *err);

/* Run fn without durability on commit (bulk loads, benchmarks). */
enum scim_err	 store_run_nosync(struct store *s, store_fn fn, void *arg,
		    struct scim_error *err);

/* The store a transaction belongs to. */
struct store	*store_txn_store(struct store_txn *t);

/* --- users and groups --- */

/*
 * What the store keys a user or group by, read from the record by the
 * caller (the store never reads an attribute): its id, its unique name
 * (userName, displayName; indexed lower-cased) and its externalId.
 */
struct store_keys {
	const char	*id;
	const char	*name;		/* NULL: none (refused by store_put) */
	const char	*ext;		/* NULL: none */
};

/*
 * Read resource id of kind for tenant into *out (a new cJSON object the
 * caller deletes).  SCIM_E_NOT_FOUND when absent.  The group JSON has no
 * members: read those with store_member_scan().
 */
enum scim_err	 store_get(struct store_txn *t, enum store_kind kind,
		    const char *tenant, const char *id, cJSON **out,
		    struct scim_error *err);

/*
 * The stored text of a user or group (len bytes, NUL-terminated) in *out,
 * which the caller frees: for an answer made from the text itself.
 */
enum scim_err	 store_get_raw(struct store_txn *t, enum store_kind kind,
		    const char *tenant, const char *id, char **out,
		    size_t *len, struct scim_error *err);

/*
 * Write res, the record keyed by keys (an id and a name are required:
 * SCIM_E_INVALID_VALUE without), and keep the name and externalId
 * indexes in step.  old holds the keys of the stored version being
 * replaced, or is NULL for a create (then an existing id is
 * SCIM_E_CONFLICT).  A name already used by another resource of the
 * tenant (compared lower-cased) is SCIM_E_UNIQUENESS; err's detail is
 * the store's, for logs: the caller words the client's message.  A
 * refusal writes nothing.  It takes the locks every writer of the tenant
 * shares (the count, the numbered name index) last, and they are held
 * until the commit: make it the transaction's last write (store_del()
 * too).
 */
enum scim_err	 store_put(struct store_txn *t, enum store_kind kind,
		    const char *tenant, const struct store_keys *keys,
		    const cJSON *res, const struct store_keys *old,
		    struct scim_error *err);

/*
 * store_put() of a record already printed: text (len bytes, the caller's)
 * is stored as it is.  A caller that answers with the record it wrote
 * prints it once (crud.c): the answer is made from this text.
 */
enum scim_err	 store_put_text(struct store_txn *t, enum store_kind kind,
		    const char *tenant, const struct store_keys *keys,
		    const char *text, size_t len,
		    const struct store_keys *old, struct scim_error *err);

/*
 * Delete the resource keyed by old (the keys of its stored version) with
 * its index entries and every membership it has: a user leaves all its
 * groups, a group loses all its members (and is removed from groups it is
 * a member of).  SCIM_E_NOT_FOUND when absent.
 */
enum scim_err	 store_del(struct store_txn *t, enum store_kind kind,
		    const char *tenant, const struct store_keys *old,
		    struct scim_error *err);

/* Look up the id for a userName / displayName (any case): SCIM_E_NOT_FOUND
 * when none.  id must hold STORE_ID_MAX + 1 bytes. */
enum scim_err	 store_find_name(struct store_txn *t, enum store_kind kind,
		    const char *tenant, const char *name, char *id,
		    struct scim_error *err);

/*
 * Callback for scans: return true to go on, false to stop.  obj is only
 * valid during the call (the scanner deletes it afterwards) unless the
 * callback sets *keep to true, in which case it owns obj.
 */
typedef bool	(*store_scan_fn)(void *arg, const char *id, cJSON *obj,
		    bool *keep);

/* Call fn for every resource of kind in tenant, in id order. */
enum scim_err	 store_scan(struct store_txn *t, enum store_kind kind,
		    const char *tenant, store_scan_fn fn, void *arg,
		    struct scim_error *err);
/*
 * store_scan() from the first id after `after` (NULL or "": the first);
 * with ids_only, fn gets obj NULL and no record is parsed.
 */
enum scim_err	 store_scan_after(struct store_txn *t, enum store_kind kind,
		    const char *tenant, const char *after, bool ids_only,
		    store_scan_fn fn, void *arg, struct scim_error *err);
/*
 * The same backwards, in descending id order: from the last id below
 * `before` (NULL or "": the tenant's last id) down.
 */
enum scim_err	 store_scan_before(struct store_txn *t, enum store_kind kind,
		    const char *tenant, const char *before, bool ids_only,
		    store_scan_fn fn, void *arg, struct scim_error *err);

/*
 * One page of kind's resources of tenant, in the order of their
 * folded names: skip the first skip and put the ids of the next limit (at
 * most) into ids, *nids of them, and their number into *total
 * (store_count()).  The page is found by walking the name index from
 * whichever end is nearer: min(skip, total - skip) keys, no record read
 * (the caller reads the page's, with store_get_raw() say).
 */
enum scim_err	 store_page_ids(struct store_txn *t, enum store_kind kind,
		    const char *tenant, size_t skip, size_t limit,
		    size_t *total, char (*ids)[STORE_ID_MAX + 1], size_t *nids,
		    struct scim_error *err);

/* Call fn for every resource whose externalId is exactly ext. */
enum scim_err	 store_scan_external(struct store_txn *t,
		    enum store_kind kind, const char *tenant, const char *ext,
		    store_scan_fn fn, void *arg, struct scim_error *err);

/*
 * Number of resources of kind in tenant: from the tenant's counter in
 * meta.db, which store_put() and store_del() move in the transaction of
 * the write (layout 5, store-layout.c); in a store not yet counted, by a
 * walk of the name index.
 */
enum scim_err	 store_count(struct store_txn *t, enum store_kind kind,
		    const char *tenant, size_t *n, struct scim_error *err);

/* --- cursors (RFC 9865), store-cursor.c --- */

#define STORE_CURSOR_KEY_LEN	32	/* bytes of the install's MAC key */
#define STORE_CURSOR_QLEN	8	/* bytes of the caller's query digest */
#define STORE_CURSOR_TEXT_MAX	256	/* a sealed cursor's text, with NUL */
/*
 * Seconds a cursor stays valid after the page that returned it: the
 * ServiceProviderConfig's pagination.cursorTimeout (RFC 9865 section 4).
 * A walk may last longer; each page's cursor is new.
 */
#define STORE_CURSOR_TIMEOUT	3600

/*
 * A position in a walk of kind's resources, in id order: the page after
 * the id at (a nextCursor; "": the first page), or with backward the
 * page before it (a previousCursor; "": the last page).
 */
struct store_cursor {
	enum store_kind	 kind;
	bool		 backward;		/* the page before at */
	uint64_t	 issued;		/* unix seconds */
	uint32_t	 count;			/* the walk's page size */
	uint8_t		 query[STORE_CURSOR_QLEN]; /* caller's digest */
	char		 at[STORE_ID_MAX + 1];	/* where the page starts */
};

enum store_cursor_rc {
	STORE_CURSOR_OK,
	STORE_CURSOR_INVALID,	/* not ours, altered, or another tenant's */
	STORE_CURSOR_EXPIRED	/* ours, issued more than timeout ago */
};

/*
 * Seal c for tenant under key into out (STORE_CURSOR_TEXT_MAX bytes):
 * base64url without padding.  False when c->at is too long.
 */
bool		 store_cursor_seal(const uint8_t *key, const char *tenant,
		    const struct store_cursor *c, char *out, size_t outsz);
/*
 * Open text sealed for tenant under key into c.  The seal is checked
 * before the age, so a forged cursor is never called expired.
 */
enum store_cursor_rc store_cursor_open(const uint8_t *key,
		    const char *tenant, const char *text, uint64_t now,
		    unsigned timeout, struct store_cursor *c);
/*
 * This install's cursor key (STORE_CURSOR_KEY_LEN bytes) from meta.db
 * into key; made and stored when absent and create (t must write then),
 * else SCIM_E_NOT_FOUND.
 */
enum scim_err	 store_cursor_key(struct store_txn *t, bool create,
		    uint8_t *key, struct scim_error *err);

/* --- group membership, stored per (group, member) pair both ways --- */

/*
 * Add mid, a user or a group (mkind), to group gid with member, the
 * record to keep for it (carried, not read).  *added is false when it was
 * already a member (nothing is written then).  A mid that is no valid id
 * is SCIM_E_INVALID_VALUE (the caller words it).
 */
enum scim_err	 store_member_add(struct store_txn *t, const char *tenant,
		    const char *gid, const char *mid, enum store_kind mkind,
		    const cJSON *member, bool *added, struct scim_error *err);

/* Remove member mid from gid; *removed is false when it was not one. */
enum scim_err	 store_member_del(struct store_txn *t, const char *tenant,
		    const char *gid, const char *mid, bool *removed,
		    struct scim_error *err);

/* Call fn for each member of gid (obj is the member JSON; id its value). */
enum scim_err	 store_member_scan(struct store_txn *t, const char *tenant,
		    const char *gid, store_scan_fn fn, void *arg,
		    struct scim_error *err);

/* Remove every member of gid; *n (may be NULL) gets how many. */
enum scim_err	 store_member_clear(struct store_txn *t, const char *tenant,
		    const char *gid, size_t *n, struct scim_error *err);

/*
 * Call fn for each group mid, a user or a group (kind), belongs to (obj
 * is NULL; id is the gid).
 */
enum scim_err	 store_memberof_scan(struct store_txn *t,
		    enum store_kind kind, const char *tenant, const char *mid,
		    store_scan_fn fn, void *arg, struct scim_error *err);
/*
 * store_get_raw() of user id and store_memberof_scan() of it in one: with
 * the memberships beside the records (store layout 3) the rows follow the
 * record's key, so one descent of users.db finds both (a list page reads
 * 100 users: half its descents).  *out is the caller's, also when fn
 * stopped the walk; on an error it is NULL.
 */
enum scim_err	 store_get_raw_groups(struct store_txn *t,
		    const char *tenant, const char *id, char **out,
		    size_t *len, store_scan_fn fn, void *arg,
		    struct scim_error *err);

/* --- tokens (by public token id) --- */

enum scim_err	 store_token_get(struct store_txn *t, const char *tid,
		    cJSON **out, struct scim_error *err);
/*
 * The stored bytes of token tid (JSON text), NUL-terminated, in *out
 * (caller frees), for a caller that only needs to know whether the
 * record changed since it last parsed it.
 */
enum scim_err	 store_token_get_raw(struct store_txn *t, const char *tid,
		    char **out, size_t *len, struct scim_error *err);
enum scim_err	 store_token_put(struct store_txn *t, const char *tid,
		    const cJSON *tok, struct scim_error *err);
enum scim_err	 store_token_del(struct store_txn *t, const char *tid,
		    struct scim_error *err);
/* Every token (all tenants), in token id order. */
enum scim_err	 store_token_scan(struct store_txn *t, store_scan_fn fn,
		    void *arg, struct scim_error *err);

/* --- key spaces for other modules (admins, sessions, audit, outbox) --- */

/* Read tenant/space/key into *out (cJSON, caller deletes). */
enum scim_err	 store_kv_get(struct store_txn *t, const char *tenant,
		    const char *space, const char *key, cJSON **out,
		    struct scim_error *err);
enum scim_err	 store_kv_put(struct store_txn *t, const char *tenant,
		    const char *space, const char *key, const cJSON *val,
		    struct scim_error *err);
enum scim_err	 store_kv_del(struct store_txn *t, const char *tenant,
		    const char *space, const char *key,
		    struct scim_error *err);
/*
 * Call fn for the keys of tenant/space from key `from` (inclusive; NULL =
 * first), ascending, or descending when reverse is true (from = NULL then
 * means the last key).
 */
enum scim_err	 store_kv_scan(struct store_txn *t, const char *tenant,
		    const char *space, const char *from, bool reverse,
		    store_scan_fn fn, void *arg, struct scim_error *err);

/* Read and write meta.db values (short strings). */
enum scim_err	 store_meta_get(struct store_txn *t, const char *name,
		    char *buf, size_t sz, struct scim_error *err);
enum scim_err	 store_meta_put(struct store_txn *t, const char *name,
		    const char *value, struct scim_error *err);

/*
 * Group commit.  With sync = full, store_run() makes every commit durable
 * (flushes the log) before it returns.  After store_defer_flush() it
 * leaves that flush to store_flush(), which one process calls once for
 * several requests before any of them is answered: the log is sequential,
 * so one flush makes every earlier commit durable.  store_unflushed():
 * is a flush owed?  store_flush() returns SCIM_E_UNAVAILABLE when the
 * commits it was to cover may not survive a crash of the machine; their
 * requests must not be told they succeeded.  On a replication group's
 * master the batch's transactions are children of one parent that
 * store_flush() commits, so that the batch waits for the group's
 * acknowledgement once (store-txn.c); store_batch_abort() drops an open
 * one (at exit).
 */
void		 store_defer_flush(struct store *s);
bool		 store_unflushed(const struct store *s);
enum scim_err	 store_flush(struct store *s, struct scim_error *err);
void		 store_batch_abort(struct store *s);

/*
 * Write a checkpoint if enough log has accumulated (cheap otherwise): the
 * dirty pages go to the files, and the log before them is no longer
 * needed by recovery.  It can take a while on a busy store, so programs
 * run it between requests, when store_checkpoint_due() says enough
 * writes (CKP_COMMITS) were made since the last one, after the client
 * has its answer.  "Enough log" is CKP_LOG_KB (store-int.h).
 */
#define CKP_COMMITS	256
bool		 store_checkpoint(struct store *s);
/* The same whatever the log written since the last one (tests). */
bool		 store_checkpoint_force(struct store *s);
bool		 store_checkpoint_due(const struct store *s);
/*
 * The generation of the token and group records, shared by the processes
 * of a home: it moves on whenever a transaction that wrote one ends (and
 * whenever the store is opened).  What a process learnt from a token or
 * group record read at generation g still holds while the generation is
 * g.  False while such a transaction is running (or died in one): trust
 * nothing kept, read.  Read it before reading the records.  Trust it for
 * STORE_GEN_TRUST_USEC at most, then read again: a process of an older
 * version (during an upgrade) writes without moving it on.
 */
#define STORE_GEN_TRUST_USEC	1000000
bool		 store_records_gen(struct store *s, uint64_t *gen);

/* Start counting writes again (another process checkpoints). */
void		 store_checkpoint_reset(struct store *s);
/*
 * One process per home checkpoints for all (scim-fcgi(8), --checkpoint):
 * is it running?  Become it (false: another is).  store_checkpoint()
 * returns false once the store is no longer usable (recovered under it).
 */
bool		 store_checkpointer_running(struct store *s);
bool		 store_checkpointer_claim(struct store *s);

#endif /* SCIM_STORE_H */
