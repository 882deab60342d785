/*
 * The Berkeley DB 5.3 store.  See store.h for the layout.  Conventions:
 * every DBT is zeroed before use; every Berkeley DB error goes through
 * dberr(), which turns deadlocks and lock time-outs into a retry of the
 * whole transaction and DB_RUNRECOVERY into a broken store that the
 * service loop reopens; DB_NOTFOUND is SCIM_E_NOT_FOUND, not an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <db.h>

#include "base/log.h"
#include "store/region.h"
#include "store/store.h"
#include "base/util.h"
#include "store/db_config.h"		/* generated from db/DB_CONFIG */

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
	DBI__MAX
};

static const struct {
	const char	*file;
	bool		 dups;		/* sorted duplicates allowed */
	unsigned	 pagesize;
} dbdefs[DBI__MAX] = {
	[DBI_USERS] =		{ "users.db", false, 8192 },
	[DBI_USERS_NAME] =	{ "users_name.db", false, 4096 },
	[DBI_USERS_EXT] =	{ "users_ext.db", true, 4096 },
	[DBI_GROUPS] =		{ "groups.db", false, 8192 },
	[DBI_GROUPS_NAME] =	{ "groups_name.db", false, 4096 },
	[DBI_GROUPS_EXT] =	{ "groups_ext.db", true, 4096 },
	[DBI_MEMBERS] =		{ "members.db", false, 8192 },
	[DBI_MEMBEROF] =	{ "memberof.db", false, 4096 },
	[DBI_TOKENS] =		{ "tokens.db", false, 4096 },
	[DBI_META] =		{ "meta.db", false, 4096 },
	[DBI_KV] =		{ "kv.db", false, 8192 },
};

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
	struct store_cache	 cache;		/* as the last attach() left it */
	bool			 flush_after;	/* sync = full: commit without
						   sync, then flush the log */
	bool			 defer_flush;	/* ... in store_flush() */
	bool			 unflushed;	/* commits store_flush() owes */
	int			 gate;		/* fd of <home>/scim.gate */
	_Atomic int		*closing;	/* in the gate file, shared */
	_Atomic uint64_t	*busy;		/* ... token/group writers */
	_Atomic uint64_t	*gen;		/* ... and their changes */
	bool			 stale;		/* left a panicked env behind */
	bool			 beside;	/* layout 3: a user's groups are
						   keyed next to its record */
	unsigned		 gate_depth;	/* nested gate_enter() */
};

struct store_txn {
	struct store		*s;
	DB_TXN			*txn;
	bool			 retry;		/* lock conflict: run again */
	const char		*conflict;	/* where the last one was */
	bool			 readonly;	/* store_read(): no DB_RMW */
	bool			 cached;	/* wrote a token or group */
};

#define STORE_BULK_BYTES	(256 * 1024)	/* DB_MULTIPLE_KEY buffer */

/*
 * Token and group records are read on every request, so processes keep
 * what they learnt from them (token.c, crud.c) as long as no process has
 * changed one since: store_records_gen().  A transaction that writes one
 * counts itself busy from its first such write until it has committed or
 * aborted (settle_cached()), and then moves the generation on.
 */
static void
touch_cached(struct store_txn *t, enum dbi d)
{
	if ((d == DBI_TOKENS || d == DBI_GROUPS) && !t->cached) {
		t->cached = true;
		atomic_fetch_add_explicit(t->s->busy, 1, memory_order_acq_rel);
	}
}

static void
settle_cached(struct store_txn *t)
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

/* A key made of NUL-separated parts, heap-allocated. */
struct key {
	char	*buf;
	size_t	 len;
};

static void
key_free(struct key *k)
{
	free(k->buf);
	k->buf = NULL;
}

/*
 * Build a key from up to three parts: "a\0b\0c".  With trailing set, a
 * NUL follows the last part too (a scan prefix).  Returns false on
 * allocation failure.
 */
static bool
key_make(struct key *k, const char *a, const char *b, const char *c,
    bool trailing)
{
	const char	*parts[3] = { a, b, c };
	size_t		 n = 0, i, l;

	k->len = 0;
	for (i = 0; i < 3 && parts[i] != NULL; i++)
		n += strlen(parts[i]) + 1;
	if ((k->buf = malloc(n + 1)) == NULL)
		return false;
	for (i = 0; i < 3 && parts[i] != NULL; i++) {
		if (i > 0)
			k->buf[k->len++] = '\0';
		l = strlen(parts[i]);
		memcpy(k->buf + k->len, parts[i], l);
		k->len += l;
	}
	if (trailing)
		k->buf[k->len++] = '\0';
	return true;
}

static void
dbt_set(DBT *d, const void *data, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)data;
	d->size = (u_int32_t)len;
}

/*
 * Map a Berkeley DB return code to an scim_err.  Deadlocks and lock
 * time-outs mark the transaction for a retry.
 */
static enum scim_err
dberr(struct store_txn *t, int ret, const char *what, struct scim_error *err)
{
	switch (ret) {
	case 0:
		return SCIM_OK;
	case DB_NOTFOUND:
	case DB_KEYEMPTY:
		return scim_fail(err, SCIM_E_NOT_FOUND, "%s: not found", what);
	case DB_LOCK_DEADLOCK:
		t->retry = true;
		t->conflict = what;
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is busy, try again");
	case DB_LOCK_NOTGRANTED:
		t->retry = true;
		t->conflict = what;
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is busy, try again");
	case DB_RUNRECOVERY:
		/* Usually another process recovered it: store_run() reopens. */
		t->s->broken = true;
		log_info("%s: the environment was recovered or panicked (%s)",
		    what, db_strerror(ret));
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is recovering, try again");
	default:
		log_err("%s: %s", what, db_strerror(ret));
		return scim_fail(err, SCIM_E_INTERNAL, "store error in %s",
		    what);
	}
}

static void
store_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env; (void)pfx;
	/*
	 * A panic (another process recovered the environment) repeats on
	 * every call until store_run() opens it again, and the old
	 * environment's handles cannot be closed: expected, not news.
	 */
	if (strstr(msg, "BDB0060") != NULL || strstr(msg, "BDB1581") != NULL ||
	    strstr(msg, "BDB1582") != NULL)
		log_debug("berkeley db: %s", msg);
	else
		log_warn("berkeley db: %s", msg);
}

/* Registry messages (DB_VERB_REGISTER) say when a death means recovery. */
static void
store_msgcall(const DB_ENV *env, const char *msg)
{
	(void)env;
	if (strstr(msg, "recovery required") != NULL)
		log_warn("a process died inside the store: recovering it");
	else
		log_debug("berkeley db: %s", msg);
}

/* Write the default DB_CONFIG to path (0640); false with errno set. */
static bool
put_db_config(const char *path, int flags)
{
	FILE	*f;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | flags, 0640)) < 0)
		return false;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return false;
	}
	fputs(store_db_config_text, f);
	return fclose(f) == 0;
}

/*
 * The DB_CONFIG files earlier versions wrote into new homes, by length and
 * FNV-1a hash: the first had a fixed 64 MiB set_cachesize line (which
 * would keep the cache at that size for good), the second no
 * db_log_zero.  A home whose DB_CONFIG is still exactly one of them gets
 * the current one, through a file of this process's own and a rename, so
 * that no open ever reads half of it; an edited one is the operator's and
 * stays.
 */
static const struct {
	size_t		 len;
	uint64_t	 fnv;
	const char	*what;
} old_db_configs[] = {
	{ 949, 0x6cad26ab9a8563bfULL, "with its fixed 64 MiB cache" },
	{ 1146, 0xc41740bf1caa8af4ULL, "without db_log_zero" },
};
#define DB_CONFIG_OLD_MAX	1146

static void
upgrade_db_config(const char *path)
{
	char		 buf[DB_CONFIG_OLD_MAX + 1], tmp[4300];
	uint64_t	 h = 0xcbf29ce484222325ULL;
	FILE		*f;
	size_t		 n, i;

	if ((f = fopen(path, "r")) == NULL)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
	for (i = 0; i < sizeof(old_db_configs) / sizeof(old_db_configs[0]);
	    i++)
		if (n == old_db_configs[i].len && h == old_db_configs[i].fnv)
			break;
	if (i == sizeof(old_db_configs) / sizeof(old_db_configs[0]))
		return;
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if (!put_db_config(tmp, O_TRUNC) || rename(tmp, path) != 0) {
		log_warn("%s: could not replace the old default: %s", path,
		    strerror(errno));
		unlink(tmp);
		return;
	}
	log_info("%s: the old default (%s) is now the current one", path,
	    old_db_configs[i].what);
}

/*
 * Write the default DB_CONFIG into a home that has none; bring the old
 * default up to date.
 */
static enum scim_err
write_db_config(const char *home, struct scim_error *err)
{
	char	 path[4200];

	snprintf(path, sizeof(path), "%s/DB_CONFIG", home);
	if (put_db_config(path, O_EXCL))
		return SCIM_OK;
	if (errno != EEXIST)
		return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
	upgrade_db_config(path);
	return SCIM_OK;
}

/*
 * Sizing the shared cache.  A lookup that misses the cache reads a page
 * from the file, so a cache that holds every page keeps a filter or GET as
 * fast at 200,000 users as at 1,000 (make bench: the 64 MiB that used to
 * be fixed held about 50,000).  The cache is sized only when the
 * environment is created, so it gets room to grow until the next time:
 * a quarter more than the data, which also covers Berkeley DB's own
 * bookkeeping (a buffer header and hash bucket per page, ~4% with 4 KB
 * pages), and 32 MiB so that a small store being loaded is not evicting
 * at once.
 */
#define MIB			(1024ULL * 1024)
#define CACHE_FLOOR		(80 * MIB)	/* what the fixed 64 MiB gave */
#define CACHE_SLACK		(32 * MIB)
#define CACHE_ROUND		(8 * MIB)
#define GIB			(1024 * MIB)

uint64_t
store_cache_want(uint64_t data, uint64_t max)
{
	uint64_t	 want;

	want = data + data / 4 + CACHE_SLACK;
	want = (want + CACHE_ROUND - 1) / CACHE_ROUND * CACHE_ROUND;
	if (want < CACHE_FLOOR)
		want = CACHE_FLOOR;
	return want < max ? want : max;
}

/* Bytes of the databases in home (a missing file counts 0). */
static uint64_t
data_bytes(const char *home)
{
	struct stat	 st;
	uint64_t	 n = 0;
	char		 path[4200];
	int		 i;

	for (i = 0; i < DBI__MAX; i++) {
		snprintf(path, sizeof(path), "%s/%s", home, dbdefs[i].file);
		if (stat(path, &st) == 0)
			n += (uint64_t)st.st_size;
	}
	return n;
}

/*
 * Does the home's DB_CONFIG set the cache size?  Berkeley DB reads it at
 * DB_ENV->open() and it overrides set_cachesize(): the operator's size
 * wins, and the store neither sizes nor re-creates the environment.
 */
static bool
db_config_sets_cache(const char *home)
{
	FILE		*f;
	char		 path[4200], line[512], *p;
	bool		 found = false;

	snprintf(path, sizeof(path), "%s/DB_CONFIG", home);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		found = strncasecmp(p, "set_cachesize", 13) == 0 &&
		    (p[13] == ' ' || p[13] == '\t');
	}
	fclose(f);
	return found;
}

/*
 * Ask for a whole cache of bytes.  Below 500 MiB, set_cachesize() adds a
 * quarter for Berkeley DB's bookkeeping: ask for 4/5 there, so that the
 * cache made is the size wanted on both sides of that line.
 */
static void
env_set_cache(DB_ENV *env, uint64_t bytes)
{
	if (bytes / 5 * 4 < 500 * MIB)
		bytes = bytes / 5 * 4;
	env->set_cachesize(env, (u_int32_t)(bytes / GIB),
	    (u_int32_t)(bytes % GIB), 1);
}

/* The cache of an open environment, bytes. */
static uint64_t
env_cache_size(DB_ENV *env)
{
	u_int32_t	 gbytes = 0, bytes = 0;
	int		 ncache;

	if (env->get_cachesize(env, &gbytes, &bytes, &ncache) != 0)
		return 0;
	return (uint64_t)gbytes * GIB + bytes;
}

/* Is the cache in place more than an eighth off the size wanted? */
static bool
cache_off(const struct store_cache *c)
{
	uint64_t	 d;

	if (c->want == 0)
		return false;
	d = c->size > c->want ? c->size - c->want : c->want - c->size;
	return d > c->want / 8;
}

/*
 * Key order: bytes, unsigned, a shorter key before every key it begins.
 * That is the order Berkeley DB's own comparison gives, so existing files
 * stay valid (and db5.3_dump, db5.3_verify, which use that one, agree),
 * but it compares a byte at a time: the keys of a lookup share their
 * tenant prefix, and make bench found it 7% of a GET's instructions.
 */
static int
key_cmp(DB *db, const DBT *a, const DBT *b)
{
	u_int32_t	 n = a->size < b->size ? a->size : b->size;
	int		 c;

	(void)db;
	if (n > 0 && (c = memcmp(a->data, b->data, n)) != 0)
		return c;
	return a->size < b->size ? -1 : a->size > b->size;
}

/*
 * The bytes of b that an internal page must keep to tell it from a (a
 * sorts before b): what Berkeley DB does by default, which a database
 * with its own comparison must ask for.
 */
static size_t
key_prefix(DB *db, const DBT *a, const DBT *b)
{
	const unsigned char	*p = a->data, *q = b->data;
	u_int32_t		 n = a->size < b->size ? a->size : b->size;
	u_int32_t		 i;

	(void)db;
	for (i = 0; i < n; i++)
		if (p[i] != q[i])
			return i + 1;
	return a->size < b->size ? a->size + 1 : b->size;
}

/*
 * Open (creating) every database, each in its own auto-committed
 * transaction: one transaction over all of them made two processes that
 * create a new home at the same moment wait on each other's handle locks.
 */
static enum scim_err
open_dbs(struct store *s, struct scim_error *err)
{
	struct store_txn	 t = { s, NULL, false, NULL, false, false };
	int			 ret, i;

	for (i = 0; i < DBI__MAX; i++) {
		if ((ret = db_create(&s->db[i], s->env, 0)) != 0)
			return dberr(&t, ret, "db_create", err);
		s->db[i]->set_pagesize(s->db[i], dbdefs[i].pagesize);
		s->db[i]->set_bt_compare(s->db[i], key_cmp);
		s->db[i]->set_bt_prefix(s->db[i], key_prefix);
		if (dbdefs[i].dups) {
			s->db[i]->set_flags(s->db[i], DB_DUPSORT);
			s->db[i]->set_dup_compare(s->db[i], key_cmp);
		}
		ret = s->db[i]->open(s->db[i], NULL, dbdefs[i].file, NULL,
		    DB_BTREE, DB_CREATE | DB_AUTO_COMMIT, 0660);
		if (ret != 0)
			return dberr(&t, ret, dbdefs[i].file, err);
	}
	return SCIM_OK;
}

/*
 * The gate keeps Berkeley DB recovery apart from every transaction.
 *
 * With DB_REGISTER, recovery runs inside the environment open of whichever
 * process first notices that another died, while the rest may be halfway
 * through a commit or a page write in the old environment: Berkeley DB
 * only panics it and carries on (env_register.c: "the only way to avoid
 * that window entirely is to ensure that all processes in the Berkeley DB
 * environment exit before we run recovery").  The crash suite lost
 * acknowledged writes through that window.
 *
 * So each process holds a shared fcntl lock on byte GATE_IN of
 * <home>/scim.gate for the length of every transaction, and opens the
 * environment (the only moment recovery can run) under an exclusive lock
 * on it.  Recovery then never overlaps a transaction: a commit that
 * returned is in the log that recovery reads, and a process that was idle
 * during a recovery meets the panic at its next call, before it touches a
 * file.  An opener first takes GATE_DOOR exclusively, which new
 * transactions pass through, so they queue behind it instead of starving
 * it.  fcntl locks end with their process: a SIGKILLed one never blocks
 * the gate.  A process stuck inside a transaction (waiting for a latch a
 * dead process held) would, so an opener that has waited 5 times
 * [store] lock_timeout_ms (10 s by default) with the door shut ends it;
 * its web server starts another.  The opener itself is ended by SIGALRM
 * if its open (with recovery) takes STORE_OPEN_STALL_SECONDS.
 *
 * Every process also holds GATE_ATTACHED shared while it has the
 * environment open, so that an opener can tell whether it is alone in
 * it (gate_alone()) before re-creating it with another cache size.
 */
enum {
	GATE_IN,
	GATE_DOOR,
	GATE_ATTACHED,
	GATE_CHECKPOINTER	/* held by the home's checkpoint process */
};

#define STALL_FACTOR	5	/* x lock_timeout_ms: a transaction is stuck */
#define GATE_FILE_SIZE	4096	/* mapped: holds the closing flag */
#define GATE_FLAG_OFFSET 64	/* (locks are on bytes 0 to 3: advisory) */
#define GATE_BUSY_OFFSET 128	/* store_records_gen()'s two counters */
#define GATE_GEN_OFFSET	136

/* An fcntl lock request of type on one byte of the gate file. */
static struct flock
gate_byte(short type, off_t byte)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	return fl;
}

static bool
gate_lock(struct store *s, short type, off_t byte)
{
	struct flock	 fl = gate_byte(type, byte);

	while (fcntl(s->gate, type == F_UNLCK ? F_SETLK : F_SETLKW,
	    &fl) == -1)
		if (errno != EINTR) {
			log_err("%s/scim.gate: %s", s->home, strerror(errno));
			return false;
		}
	return true;
}

/*
 * Enter for one transaction (shared); nested calls only count.  The door
 * is passed only while an opener has said it is closing the gate (a flag
 * in the gate file, mapped by every process): two system calls per
 * transaction instead of four.  The flag only spares the opener from
 * starving; a stale one (its setter was killed) costs the slow path until
 * the next opener clears it.
 */
static bool
gate_enter(struct store *s)
{
	if (s->gate_depth++ > 0)
		return true;
	if ((atomic_load_explicit(s->closing, memory_order_acquire) &&
	    (!gate_lock(s, F_RDLCK, GATE_DOOR) ||
	    !gate_lock(s, F_UNLCK, GATE_DOOR))) ||
	    !gate_lock(s, F_RDLCK, GATE_IN)) {
		s->gate_depth--;
		return false;
	}
	return true;
}

static void
gate_leave(struct store *s)
{
	if (--s->gate_depth > 0)
		return;
	gate_lock(s, F_UNLCK, GATE_IN);
}

/*
 * With the door shut no transaction can begin, so whoever still holds
 * GATE_IN after STALL_FACTOR * lock_timeout_ms has been inside one
 * transaction all that time: stuck on a latch of a dead process.  End
 * it (a death, which the coming open recovers), or the gate would never
 * close.
 */
static void
gate_end_stalled(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_IN);
	FILE		*f;
	char		 path[64], wchan[64] = "";

	if (fcntl(s->gate, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK ||
	    fl.l_pid <= 0)
		return;
	/* Say what it waits for: a futex is a latch of a dead process. */
	snprintf(path, sizeof(path), "/proc/%ld/wchan", (long)fl.l_pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(wchan, sizeof(wchan), f) == NULL)
			wchan[0] = '\0';
		fclose(f);
	}
	log_err("process %ld has been inside one store transaction for "
	    "%u ms (waiting in %s): ending it so that the store can be "
	    "recovered", (long)fl.l_pid, STALL_FACTOR * s->lock_timeout_ms,
	    wchan[0] != '\0' ? wchan : "?");
	if (kill(fl.l_pid, SIGKILL) != 0)
		log_err("kill %ld: %s", (long)fl.l_pid, strerror(errno));
}

/* Hold the gate alone: every transaction of every process has ended. */
static bool
gate_close(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_IN);
	struct timespec	 ts = { 0, 1000000 };
	int64_t		 stall;

	if (!gate_lock(s, F_WRLCK, GATE_DOOR))
		return false;
	atomic_store_explicit(s->closing, 1, memory_order_release);
	stall = util_now_usec() +
	    (int64_t)STALL_FACTOR * s->lock_timeout_ms * 1000;
	/* Poll: a blocking wait could not notice a stalled holder. */
	while (fcntl(s->gate, F_SETLK, &fl) == -1) {
		if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
			log_err("%s/scim.gate: %s", s->home, strerror(errno));
			atomic_store_explicit(s->closing, 0,
			    memory_order_release);
			gate_lock(s, F_UNLCK, GATE_DOOR);
			return false;
		}
		if (util_now_usec() >= stall) {
			gate_end_stalled(s);
			stall = util_now_usec() + 1000000;
		}
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 16000000)
			ts.tv_nsec *= 2;
	}
	s->gate_depth = 1;		/* store_run() inside: no relock */
	/*
	 * No transaction of any process is running: a writer counted busy
	 * now died in one (store_records_gen()).
	 */
	atomic_store_explicit(s->busy, 0, memory_order_release);
	atomic_fetch_add_explicit(s->gen, 1, memory_order_acq_rel);
	alarm(STORE_OPEN_STALL_SECONDS);
	return true;
}

/* With the gate closed: has no other process the environment open? */
static bool
gate_alone(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_ATTACHED);

	return fcntl(s->gate, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK;
}

static void
gate_open(struct store *s)
{
	alarm(0);
	s->gate_depth = 0;
	atomic_store_explicit(s->closing, 0, memory_order_release);
	gate_lock(s, F_UNLCK, GATE_IN);
	gate_lock(s, F_UNLCK, GATE_DOOR);
}

/* Close the databases and the environment, keeping s for attach(). */
static void
detach(struct store *s, u_int32_t dbflags)
{
	int	 i;

	for (i = 0; i < DBI__MAX; i++)
		if (s->db[i] != NULL) {
			s->db[i]->close(s->db[i], dbflags);
			s->db[i] = NULL;
		}
	if (s->env != NULL) {
		s->env->close(s->env, 0);
		s->env = NULL;
	}
	gate_lock(s, F_UNLCK, GATE_ATTACHED);
}

/*
 * Open (joining or creating) the environment, with the gate closed: this
 * is when Berkeley DB runs recovery if a process died in it.  The cache
 * gets s->cache.want (when not 0) if the environment is created here;
 * joined, it keeps the size it was created with.
 */
static enum scim_err
env_open(struct store *s, struct scim_error *err)
{
	u_int32_t	 flags;
	int		 ret;

	if ((ret = db_env_create(&s->env, 0)) != 0)
		return scim_fail(err, SCIM_E_INTERNAL, "db_env_create: %s",
		    db_strerror(ret));
	s->env->set_errcall(s->env, store_errcall);
	s->env->set_msgcall(s->env, store_msgcall);
	s->env->set_verbose(s->env, DB_VERB_REGISTER, 1);
	/*
	 * No set_thread_count(): Berkeley DB's thread table serves only
	 * DB_ENV->failchk(), which the store does not use (see below), and
	 * while it exists every call looks its thread up in it (2% of a
	 * GET's instructions).  DB_REGISTER finds dead processes by itself.
	 */
	s->env->set_lk_detect(s->env, DB_LOCK_DEFAULT);
	if (s->cache.want != 0)
		env_set_cache(s->env, s->cache.want);
	if (s->sync == STORE_SYNC_WRITE)
		s->env->set_flags(s->env, DB_TXN_WRITE_NOSYNC, 1);
	else if (s->sync == STORE_SYNC_NONE)
		s->env->set_flags(s->env, DB_TXN_NOSYNC, 1);
	/*
	 * No DB_FAILCHK: a process that died holding a latch may have left
	 * a half-written page in the shared cache, and the crash suite saw
	 * out-of-order keys in members.db when failchk let the others carry
	 * on.  Every death means full recovery, behind the closed gate.
	 */
	flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG |
	    DB_INIT_MPOOL | DB_REGISTER | DB_RECOVER;
	if ((ret = s->env->open(s->env, s->home, flags, 0660)) != 0) {
		s->env->close(s->env, 0);
		s->env = NULL;
		return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", s->home,
		    db_strerror(ret));
	}
	s->cache.size = env_cache_size(s->env);
	region_hugepages(s->home);
	return SCIM_OK;
}

/*
 * Create the environment again, for a cache of the size wanted: only
 * Berkeley DB's creation of the environment sizes it, and an environment
 * that every process left cleanly stays (and is joined) as it was.  Called
 * with the gate closed and no other process in the environment: a forced
 * checkpoint puts every committed change in the databases, so the region
 * files can go.  DB_ENV->remove() refuses (EBUSY) while anything else has
 * the environment open (db_hotbackup, say): the old one is joined again.
 * From the close to the new open this process is not registered, so a
 * death there would leave a half-removed environment that no opener
 * recovers: signals wait until it is registered again.
 */
static enum scim_err
env_recreate(struct store *s, struct scim_error *err)
{
	DB_ENV		*env;
	enum scim_err	 rc;
	sigset_t	 all, old;
	uint64_t	 was = s->cache.size;
	int		 ret;

	if ((ret = s->env->txn_checkpoint(s->env, 0, 0, DB_FORCE)) != 0) {
		log_warn("checkpoint: %s", db_strerror(ret));
		return SCIM_OK;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	s->env->close(s->env, 0);
	s->env = NULL;
	if ((ret = db_env_create(&env, 0)) == 0)
		ret = env->remove(env, s->home, 0);
	rc = env_open(s, err);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret != 0)
		log_info("store cache left at %llu MiB: %s",
		    (unsigned long long)(was / MIB), db_strerror(ret));
	else if (rc == SCIM_OK)
		log_info("store cache %llu MiB for %llu MiB of data (was "
		    "%llu MiB)", (unsigned long long)(s->cache.size / MIB),
		    (unsigned long long)(s->cache.data / MIB),
		    (unsigned long long)(was / MIB));
	return rc;
}

static enum scim_err	raw_put(struct store_txn *, enum dbi, const struct key *,
			    const void *, size_t, u_int32_t,
			    struct scim_error *);
static enum scim_err	raw_del(struct store_txn *, enum dbi, const struct key *,
			    struct scim_error *);

/*
 * The store's layout version (meta.db "schema_version"), recorded in a new
 * store; a newer one is refused.  Layout 2 sharded the audit keys and
 * reads layout 1, so that step is only recorded.  Layout 3 keeps a user's
 * groups next to its record (check_layout()).
 */
struct layout {
	long		 version;
	bool		 moving;	/* a move to layout 3 was not finished */
};

#define MOVING_KEY	"memberof_moving"
#define MOVE_BATCH	2000		/* memberships per transaction */

static enum scim_err
check_version(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct layout	*l = arg;
	char		 buf[32];
	enum scim_err	 rc;

	l->moving = false;
	rc = store_meta_get(t, "schema_version", buf, sizeof(buf), err);
	if (rc == SCIM_E_NOT_FOUND) {
		l->version = STORE_SCHEMA_VERSION;
		snprintf(buf, sizeof(buf), "%d", STORE_SCHEMA_VERSION);
		return store_meta_put(t, "schema_version", buf, err);
	}
	if (rc != SCIM_OK)
		return rc;
	if (!util_parse_long(buf, 1, 1000000, &l->version) ||
	    l->version > STORE_SCHEMA_VERSION)
		return scim_fail(err, SCIM_E_INTERNAL,
		    "store layout version %s is newer than this program (%d)",
		    buf, STORE_SCHEMA_VERSION);
	if (l->version < 2) {
		l->version = 2;
		return store_meta_put(t, "schema_version", "2", err);
	}
	rc = store_meta_get(t, MOVING_KEY, buf, sizeof(buf), err);
	l->moving = rc == SCIM_OK;
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/* Record layout 3 and that the move to it has begun. */
static enum scim_err
move_begin(struct store_txn *t, void *arg, struct scim_error *err)
{
	enum scim_err	 rc;

	(void)arg;
	if ((rc = store_meta_put(t, "schema_version", "3", err)) != SCIM_OK)
		return rc;
	return store_meta_put(t, MOVING_KEY, "1", err);
}

static enum scim_err
move_end(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct key	 k = { (char *)MOVING_KEY, strlen(MOVING_KEY) };
	enum scim_err	 rc;

	(void)arg;
	rc = raw_del(t, DBI_META, &k, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

struct move_ctx {
	char		 from[3 * (STORE_ID_MAX + 1)];	/* where to go on */
	size_t		 fromlen;			/* 0: the start */
	char		 next[3 * (STORE_ID_MAX + 1)];	/* ... after this one */
	size_t		 nextlen;
	size_t		 moved;
	size_t		 batch;				/* moved by this one */
	bool		 done;
};

/*
 * Move the next MOVE_BATCH users' memberships (tenant\0uid\0gid, whose
 * tenant\0uid is a user's record) from memberof.db to users.db.  Groups'
 * memberships (nested groups) stay; so do entries naming no user.
 */
static enum scim_err
move_batch(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct move_ctx	*m = arg;
	DB		*users = t->s->db[DBI_USERS];
	DBC		*c = NULL;
	DBT		 key, data, rk, rd;
	struct key	 k;
	enum scim_err	 rc = SCIM_OK;
	char		*nul;
	size_t		 n = 0, rlen;
	int		 ret;

	m->done = false;
	m->batch = 0;
	m->nextlen = m->fromlen;
	memcpy(m->next, m->from, m->fromlen);
	if ((ret = t->s->db[DBI_MEMBEROF]->cursor(t->s->db[DBI_MEMBEROF],
	    t->txn, &c, 0)) != 0)
		return dberr(t, ret, "cursor", err);
	dbt_set(&key, m->from, m->fromlen);
	dbt_set(&data, NULL, 0);
	ret = c->get(c, &key, &data, m->fromlen > 0 ? DB_SET_RANGE | DB_RMW :
	    DB_FIRST | DB_RMW);
	for (; ret == 0 && n < MOVE_BATCH; ret = c->get(c, &key, &data,
	    DB_NEXT | DB_RMW)) {
		if (key.size >= sizeof(m->next))
			continue;		/* no key of ours is this long */
		memcpy(m->next, key.data, key.size);
		m->nextlen = key.size;
		/* tenant\0uid\0gid: the record's key is tenant\0uid. */
		if ((nul = memchr(m->next, '\0', key.size)) == NULL ||
		    (nul = memchr(nul + 1, '\0',
		    key.size - (size_t)(nul + 1 - m->next))) == NULL)
			continue;
		rlen = (size_t)(nul - m->next);
		dbt_set(&rk, m->next, rlen);
		dbt_set(&rd, NULL, 0);
		rd.flags = DB_DBT_PARTIAL;	/* existence only */
		t->s->st.gets++;
		ret = users->get(users, t->txn, &rk, &rd, 0);
		if (ret == DB_NOTFOUND)
			continue;
		if (ret != 0) {
			rc = dberr(t, ret, "users.db", err);
			goto out;
		}
		k.buf = m->next;
		k.len = m->nextlen;
		if ((rc = raw_put(t, DBI_USERS, &k, "", 0, 0, err)) != SCIM_OK)
			goto out;
		t->s->st.dels++;
		if ((ret = c->del(c, 0)) != 0)
			break;
		n++;
	}
	if (ret == DB_NOTFOUND)
		m->done = true;
	else if (ret != 0)
		rc = dberr(t, ret, "memberof.db", err);
	m->batch = n;
out:
	c->close(c);
	return rc;
}

/*
 * Layout 3 keeps the "user uid is in group gid" half of each membership
 * in users.db under tenant\0uid\0gid, next to the user's record
 * (tenant\0uid), instead of in memberof.db: reading a user then finds its
 * groups on the page its record is on, one random page instead of two
 * (the GET handler in-process, over random users of a 260,000-user
 * store: 8.8 -> 7.9 us).  Groups' memberships (nested groups) stay in
 * memberof.db.
 *
 * An open of a layout-2 store moves them, in transactions of MOVE_BATCH,
 * under the closed gate, but only when no other process has the
 * environment open: a program of an older version, still running during
 * an upgrade, would go on using memberof.db.  The move first records
 * layout 3 (which older programs refuse to open) and MOVING_KEY; an open
 * that finds that mark finishes the move (whoever began it died).  Not
 * alone, the process uses layout 2 as it is (s->beside false) until an
 * open that is alone moves it (the next start of the web server).
 */
static enum scim_err
check_layout(struct store *s, struct scim_error *err)
{
	struct layout	 l;
	struct move_ctx	*m;
	enum scim_err	 rc;

	if ((rc = store_run(s, check_version, &l, err)) != SCIM_OK)
		return rc;
	if (l.version >= 3 && !l.moving) {
		s->beside = true;
		return SCIM_OK;
	}
	if (l.version < 3 && !gate_alone(s)) {
		s->beside = false;
		log_info("%s: store layout %ld kept while other processes "
		    "(perhaps of an older version) have the store open; the "
		    "first program to open it alone moves it to layout 3",
		    s->home, l.version);
		return SCIM_OK;
	}
	s->beside = true;
	if (l.version < 3 && (rc = store_run(s, move_begin, NULL, err)) !=
	    SCIM_OK)
		return rc;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	while ((rc = store_run(s, move_batch, m, err)) == SCIM_OK) {
		m->moved += m->batch;
		memcpy(m->from, m->next, m->nextlen);
		m->fromlen = m->nextlen;
		if (m->done)
			break;
	}
	if (rc == SCIM_OK)
		rc = store_run(s, move_end, NULL, err);
	if (rc == SCIM_OK)
		log_info("%s: store layout 3: moved %zu users' memberships "
		    "next to their records", s->home, m->moved);
	free(m);
	return rc;
}

/*
 * Open the environment, with a cache sized to the data if it is created,
 * and the databases; with the gate closed.
 */
static enum scim_err
attach(struct store *s, struct scim_error *err)
{
	enum scim_err	 rc;

	if (!gate_close(s))
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store's gate is not available");
	s->cache.data = data_bytes(s->home);
	s->cache.want = db_config_sets_cache(s->home) ? 0 :
	    store_cache_want(s->cache.data, s->cache_max);
	if ((rc = env_open(s, err)) != SCIM_OK ||
	    (cache_off(&s->cache) && gate_alone(s) &&
	    (rc = env_recreate(s, err)) != SCIM_OK))
		goto out;
	s->broken = false;
	if ((rc = open_dbs(s, err)) != SCIM_OK ||
	    (rc = check_layout(s, err)) != SCIM_OK)
		detach(s, 0);
	else
		gate_lock(s, F_RDLCK, GATE_ATTACHED);
out:
	gate_open(s);
	return rc;
}

/*
 * Leave a broken environment (or one stuck in lock conflicts) and open it
 * again.  Nothing is flushed: the log holds every commit, and a panicked
 * environment must not write at all.
 */
static enum scim_err
reattach(struct store *s, struct scim_error *err)
{
	s->st.reopens++;
	if (s->broken)
		s->stale = true;
	detach(s, DB_NOSYNC);
	return attach(s, err);
}

enum scim_err
store_open(struct store **out, const struct scim_config *cfg,
    struct scim_error *err)
{
	struct store	*s;
	struct stat	 st;
	enum scim_err	 rc;
	void		*map;
	char		 path[4200];

	*out = NULL;
	if (mkdir(cfg->home, 0750) != 0 && errno != EEXIST)
		return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", cfg->home,
		    strerror(errno));
	if ((rc = write_db_config(cfg->home, err)) != SCIM_OK)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->home = strdup(cfg->home)) == NULL) {
		free(s);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	s->lock_timeout_ms = cfg->lock_timeout_ms;
	s->sync = cfg->sync;
	s->flush_after = cfg->sync == STORE_SYNC_FULL;
	s->cache_max = (uint64_t)cfg->cache_max_mb * MIB;
	snprintf(path, sizeof(path), "%s/scim.gate", cfg->home);
	if ((s->gate = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) < 0 ||
	    fstat(s->gate, &st) != 0 ||
	    (st.st_size < GATE_FILE_SIZE &&
	    ftruncate(s->gate, GATE_FILE_SIZE) != 0) ||
	    (map = mmap(NULL, GATE_FILE_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED, s->gate, 0)) == MAP_FAILED) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
		if (s->gate >= 0)
			close(s->gate);
		free(s->home);
		free(s);
		return rc;
	}
	s->closing = (_Atomic int *)((char *)map + GATE_FLAG_OFFSET);
	s->busy = (_Atomic uint64_t *)((char *)map + GATE_BUSY_OFFSET);
	s->gen = (_Atomic uint64_t *)((char *)map + GATE_GEN_OFFSET);
	if ((rc = attach(s, err)) != SCIM_OK) {
		munmap((char *)s->closing - GATE_FLAG_OFFSET, GATE_FILE_SIZE);
		close(s->gate);
		free(s->home);
		free(s);
		return rc;
	}
	*out = s;
	return SCIM_OK;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	/* Closing flushes dirty pages: never while a recovery runs. */
	if (!s->broken && gate_enter(s)) {
		detach(s, 0);
		gate_leave(s);
	} else
		detach(s, DB_NOSYNC);
	munmap((char *)s->closing - GATE_FLAG_OFFSET, GATE_FILE_SIZE);
	close(s->gate);
	free(s->home);
	free(s);
}

bool
store_stale(const struct store *s)
{
	return s->stale;
}

void
store_cache(const struct store *s, struct store_cache *out)
{
	*out = s->cache;
}

void
store_stats(const struct store *s, struct store_stats *out)
{
	*out = s->st;
}

void
store_stats_reset(struct store *s)
{
	memset(&s->st, 0, sizeof(s->st));
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

bool
store_checkpoint(struct store *s)
{
	int	 ret;

	s->since_ckp = 0;
	/* It writes pages into the files: never while a recovery runs. */
	if (s->broken || s->env == NULL || !gate_enter(s))
		return false;
	if (env_panicked(s)) {
		s->broken = true;
		gate_leave(s);
		return false;
	}
	if ((ret = s->env->txn_checkpoint(s->env, CKP_LOG_KB, 0, 0)) != 0)
		log_warn("checkpoint: %s", db_strerror(ret));
	gate_leave(s);
	return true;
}

bool
store_checkpointer_running(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_CHECKPOINTER);

	return fcntl(s->gate, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

bool
store_checkpointer_claim(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_CHECKPOINTER);

	return fcntl(s->gate, F_SETLK, &fl) == 0;
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
 * Flush the log over the commits made since the last flush: store_run()
 * calls it after each durable commit, or leaves it to its caller after
 * store_defer_flush().  Behind the gate (nested inside store_run()'s), and
 * a panic met here means the commits it covers may be lost to a crash of
 * the machine: never acknowledge them.
 */
enum scim_err
store_flush(struct store *s, struct scim_error *err)
{
	int	 ret;

	if (s == NULL || !s->unflushed)
		return SCIM_OK;
	s->unflushed = false;
	if (s->broken || s->env == NULL || !gate_enter(s))
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
		gate_leave(s);
		return scim_fail(err, SCIM_E_UNAVAILABLE, "the store could "
		    "not make the change durable; it may not have been "
		    "applied, try again");
	}
	gate_leave(s);
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
 */
static enum scim_err
run(struct store *s, store_fn fn, void *arg, u_int32_t tflags,
    bool readonly, struct scim_error *err)
{
	struct store_txn	 t;
	struct timespec		 ts;
	enum scim_err		 rc;
	int64_t			 now, start = 0, next_check = 0, give_up = 0;
	int64_t			 timeout = (int64_t)s->lock_timeout_ms * 1000;
	unsigned		 backoff = 50;	/* microseconds */
	unsigned		 reopens = 0;
	unsigned char		 jitter;
	bool			 committing;
	bool			 flush = !readonly && tflags == 0 &&
				    s->flush_after;
	int			 ret;

	for (;;) {
		if (s->broken) {
			if (s->gate_depth > 0 || reopens++ >= 3)
				return scim_fail(err, SCIM_E_UNAVAILABLE,
				    "the store is recovering, try again");
			if ((rc = reattach(s, err)) != SCIM_OK) {
				log_err("reopen: %s", err->detail);
				return scim_fail(err, SCIM_E_UNAVAILABLE,
				    "the store is recovering, try again");
			}
		}
		if (!gate_enter(s))
			return scim_fail(err, SCIM_E_UNAVAILABLE,
			    "the store is not available, try again");
		memset(&t, 0, sizeof(t));
		t.s = s;
		t.readonly = readonly;
		committing = false;
		if ((ret = s->env->txn_begin(s->env, NULL, &t.txn,
		    tflags | DB_TXN_NOWAIT)) != 0) {
			rc = dberr(&t, ret, "txn_begin", err);
			gate_leave(s);
			if (s->broken)
				continue;
			return rc;
		}
		rc = fn(&t, arg, err);
		if (rc == SCIM_OK && !t.retry) {
			/*
			 * Durable commits release their locks before the
			 * fsync: the commit writes the log without syncing,
			 * then the flush makes it durable before the answer
			 * (still behind the gate, so before any recovery).
			 * The log is sequential: a transaction that read
			 * this one's changes commits after it, and its own
			 * flush covers them, so nothing acknowledged rests
			 * on an unflushed change, and concurrent writers no
			 * longer queue behind each other's fsync.  A reader
			 * may see a change a few hundred microseconds before
			 * it is durable; only a power cut in that window
			 * could take it back, before its writer was told.
			 */
			committing = true;
			ret = t.txn->commit(t.txn, flush ?
			    DB_TXN_WRITE_NOSYNC : 0);
			t.txn = NULL;
			/*
			 * The flush is owed; store_flush() pays it now, or
			 * for a batch of requests (store_defer_flush()).
			 */
			if (ret == 0 && flush) {
				s->unflushed = true;
				if (s->defer_flush)
					s->st.deferred++;
				else if ((rc = store_flush(s, err)) != SCIM_OK) {
					settle_cached(&t);
					gate_leave(s);
					return rc;
				}
			}
			if (ret == 0 && !readonly && env_panicked(s)) {
				/*
				 * Cannot happen behind the gate unless
				 * Berkeley DB panicked on its own: never
				 * acknowledge a write whose survival is
				 * unknown.
				 */
				s->broken = true;
				settle_cached(&t);
				gate_leave(s);
				log_err("environment panicked around a commit");
				return scim_fail(err, SCIM_E_UNAVAILABLE,
				    "the store is recovering; the change may "
				    "not have been applied, try again");
			}
			if (ret == 0) {
				s->st.commits++;
				if (!readonly)
					s->since_ckp++;
				settle_cached(&t);
				gate_leave(s);
				return SCIM_OK;
			}
			rc = dberr(&t, ret, "commit", err);
		}
		if (t.txn != NULL)
			t.txn->abort(t.txn);
		settle_cached(&t);
		gate_leave(s);
		if (s->broken) {
			if (committing && !readonly)
				return scim_fail(err, SCIM_E_UNAVAILABLE,
				    "the store is recovering; the change may "
				    "not have been applied, try again");
			continue;	/* it did not happen: run it again */
		}
		if (!t.retry)
			return rc;
		s->st.retries++;
		now = util_now_usec();
		if (start == 0) {
			start = now;
			next_check = now + timeout;
			give_up = now + 5 * timeout;
		}
		if (now >= give_up) {
			log_warn("gave up after %lld ms of lock conflicts "
			    "(last on %s, %llu retries so far)",
			    (long long)(now - start) / 1000,
			    t.conflict ? t.conflict : "?",
			    (unsigned long long)s->st.retries);
			return scim_fail(err, SCIM_E_UNAVAILABLE,
			    "the store is busy, try again");
		}
		/*
		 * Conflicts for this long: perhaps the holder was killed.
		 * Opening the environment again finds out, and recovers.
		 */
		if (now >= next_check && s->gate_depth == 0) {
			next_check = now + timeout;
			log_warn("lock conflicts for %lld ms (last on %s): "
			    "opening the store again",
			    (long long)(now - start) / 1000,
			    t.conflict ? t.conflict : "?");
			s->broken = true;
			reopens = 0;
			continue;
		}
		util_random(&jitter, 1);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(backoff + backoff * jitter / 256) * 1000L;
		nanosleep(&ts, NULL);
		if (backoff < 20000)
			backoff *= 2;
	}
}

enum scim_err
store_run(struct store *s, store_fn fn, void *arg, struct scim_error *err)
{
	return run(s, fn, arg, 0, false, err);
}

enum scim_err
store_read(struct store *s, store_fn fn, void *arg, struct scim_error *err)
{
	return run(s, fn, arg, DB_READ_COMMITTED, true, err);
}

enum scim_err
store_run_nosync(struct store *s, store_fn fn, void *arg,
    struct scim_error *err)
{
	return run(s, fn, arg, DB_TXN_NOSYNC, false, err);
}

/* --- raw record helpers --- */

static enum scim_err
raw_get(struct store_txn *t, enum dbi d, const struct key *k, cJSON **out,
    struct scim_error *err)
{
	DBT	 key, data;
	int	 ret;

	*out = NULL;
	dbt_set(&key, k->buf, k->len);
	dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = t->s->db[d]->get(t->s->db[d], t->txn, &key, &data,
	    t->readonly ? 0 : DB_RMW);
	if (ret != 0)
		return dberr(t, ret, dbdefs[d].file, err);
	*out = cJSON_ParseWithLength(data.data, data.size);
	if (*out == NULL)
		return scim_fail(err, SCIM_E_INTERNAL,
		    "corrupt record in %s", dbdefs[d].file);
	return SCIM_OK;
}

static enum scim_err
raw_put(struct store_txn *t, enum dbi d, const struct key *k,
    const void *val, size_t len, u_int32_t flags, struct scim_error *err)
{
	DBT	 key, data;
	int	 ret;

	dbt_set(&key, k->buf, k->len);
	dbt_set(&data, val, len);
	t->s->st.puts++;
	touch_cached(t, d);
	ret = t->s->db[d]->put(t->s->db[d], t->txn, &key, &data, flags);
	if (ret == DB_KEYEXIST)
		return scim_fail(err, SCIM_E_CONFLICT, "already exists");
	return dberr(t, ret, dbdefs[d].file, err);
}

static enum scim_err
raw_put_json(struct store_txn *t, enum dbi d, const struct key *k,
    const cJSON *obj, u_int32_t flags, struct scim_error *err)
{
	enum scim_err	 rc;
	char		*text;

	if ((text = cJSON_PrintUnformatted(obj)) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = raw_put(t, d, k, text, strlen(text), flags, err);
	free(text);
	return rc;
}

static enum scim_err
raw_del(struct store_txn *t, enum dbi d, const struct key *k,
    struct scim_error *err)
{
	DBT	 key;

	dbt_set(&key, k->buf, k->len);
	t->s->st.dels++;
	touch_cached(t, d);
	return dberr(t, t->s->db[d]->del(t->s->db[d], t->txn, &key, 0),
	    dbdefs[d].file, err);
}

/* The operations above on the key a\0b[\0c], built and freed here. */
static enum scim_err
key_get(struct store_txn *t, enum dbi d, const char *a, const char *b,
    const char *c, cJSON **out, struct scim_error *err)
{
	struct key	 k;
	enum scim_err	 rc;

	*out = NULL;
	if (!key_make(&k, a, b, c, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = raw_get(t, d, &k, out, err);
	key_free(&k);
	return rc;
}

/* The stored bytes under key (a, b), NUL-terminated, in *out (a copy). */
static enum scim_err
key_get_text(struct store_txn *t, enum dbi d, const char *a, const char *b,
    char **out, size_t *len, struct scim_error *err)
{
	struct key	 k;
	DBT		 key, data;
	int		 ret;

	*out = NULL;
	*len = 0;
	if (!key_make(&k, a, b, NULL, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	dbt_set(&key, k.buf, k.len);
	dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = t->s->db[d]->get(t->s->db[d], t->txn, &key, &data,
	    t->readonly ? 0 : DB_RMW);
	key_free(&k);
	if (ret != 0)
		return dberr(t, ret, dbdefs[d].file, err);
	if ((*out = malloc(data.size + 1)) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	memcpy(*out, data.data, data.size);
	(*out)[data.size] = '\0';
	*len = data.size;
	return SCIM_OK;
}

static enum scim_err
key_put_json(struct store_txn *t, enum dbi d, const char *a, const char *b,
    const char *c, const cJSON *obj, u_int32_t flags, struct scim_error *err)
{
	struct key	 k;
	enum scim_err	 rc;

	if (!key_make(&k, a, b, c, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = raw_put_json(t, d, &k, obj, flags, err);
	key_free(&k);
	return rc;
}

static enum scim_err
key_del(struct store_txn *t, enum dbi d, const char *a, const char *b,
    const char *c, struct scim_error *err)
{
	struct key	 k;
	enum scim_err	 rc;

	if (!key_make(&k, a, b, c, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = raw_del(t, d, &k, err);
	key_free(&k);
	return rc;
}

/* Delete exactly the (key, id) pair from a duplicates index. */
static enum scim_err
raw_del_dup(struct store_txn *t, enum dbi d, const struct key *k,
    const char *id, struct scim_error *err)
{
	DBC		*c = NULL;
	DBT		 key, data;
	enum scim_err	 rc;
	int		 ret;

	if ((ret = t->s->db[d]->cursor(t->s->db[d], t->txn, &c, 0)) != 0)
		return dberr(t, ret, "cursor", err);
	dbt_set(&key, k->buf, k->len);
	dbt_set(&data, id, strlen(id));
	t->s->st.steps++;
	ret = c->get(c, &key, &data, DB_GET_BOTH | DB_RMW);
	if (ret == 0) {
		t->s->st.dels++;
		ret = c->del(c, 0);
	}
	rc = ret == DB_NOTFOUND ? SCIM_OK : dberr(t, ret, "index", err);
	c->close(c);
	return rc;
}

/*
 * Walk every record whose key starts with prefix[0..plen), from `from`
 * when given (a full key at or after which to start), forwards or
 * backwards.  each() gets the key remainder after the prefix and the data.
 */
typedef enum scim_err (*walk_fn)(struct store_txn *t, void *arg,
		    const char *rest, size_t restlen, const DBT *data,
		    bool *go_on, struct scim_error *err);

static enum scim_err
walk(struct store_txn *t, enum dbi d, const struct key *prefix,
    const struct key *from, bool reverse, walk_fn each, void *arg,
    struct scim_error *err)
{
	DBC		*c = NULL;
	DBT		 key, data;
	enum scim_err	 rc = SCIM_OK;
	bool		 go_on = true;
	char		*hi = NULL;
	int		 ret;

	if ((ret = t->s->db[d]->cursor(t->s->db[d], t->txn, &c, 0)) != 0)
		return dberr(t, ret, "cursor", err);
	dbt_set(&data, NULL, 0);
	if (!reverse) {
		if (from != NULL)
			dbt_set(&key, from->buf, from->len);
		else
			dbt_set(&key, prefix->buf, prefix->len);
		ret = c->get(c, &key, &data, DB_SET_RANGE);
	} else {
		/* Position after the range, then step back into it. */
		if (from != NULL) {
			dbt_set(&key, from->buf, from->len);
			ret = c->get(c, &key, &data, DB_SET_RANGE);
			if (ret == 0 && (key.size != from->len ||
			    memcmp(key.data, from->buf, from->len) != 0))
				ret = c->get(c, &key, &data, DB_PREV);
			else if (ret == DB_NOTFOUND)
				ret = c->get(c, &key, &data, DB_LAST);
		} else {
			if ((hi = malloc(prefix->len + 1)) == NULL) {
				c->close(c);
				return scim_fail(err, SCIM_E_INTERNAL,
				    "out of memory");
			}
			memcpy(hi, prefix->buf, prefix->len);
			hi[prefix->len] = (char)0xff;
			dbt_set(&key, hi, prefix->len + 1);
			ret = c->get(c, &key, &data, DB_SET_RANGE);
			if (ret == 0)
				ret = c->get(c, &key, &data, DB_PREV);
			else if (ret == DB_NOTFOUND)
				ret = c->get(c, &key, &data, DB_LAST);
		}
	}
	while (ret == 0 && go_on) {
		t->s->st.steps++;
		if (key.size < prefix->len ||
		    memcmp(key.data, prefix->buf, prefix->len) != 0)
			break;
		rc = each(t, arg, (const char *)key.data + prefix->len,
		    key.size - prefix->len, &data, &go_on, err);
		if (rc != SCIM_OK)
			break;
		ret = c->get(c, &key, &data, reverse ? DB_PREV : DB_NEXT);
	}
	if (rc == SCIM_OK && ret != 0 && ret != DB_NOTFOUND)
		rc = dberr(t, ret, dbdefs[d].file, err);
	free(hi);
	c->close(c);
	return rc;
}

/* A walk callback that parses JSON data and hands it to a scan callback. */
struct scan_ctx {
	store_scan_fn	 fn;
	void		*arg;
	bool		 ids_only;	/* data is an id, obj is NULL */
	bool		 data_is_id;	/* data (not the key) holds the id */
	bool		 records;	/* skip tenant\0uid\0gid rows */
};

static enum scim_err
scan_each(struct store_txn *t, void *arg, const char *rest, size_t restlen,
    const DBT *data, bool *go_on, struct scim_error *err)
{
	struct scan_ctx	*sc = arg;
	char		 id[STORE_ID_MAX * 8 + 1];
	cJSON		*obj = NULL;
	bool		 keep = false;
	const char	*src = rest;
	size_t		 n = restlen;

	(void)t;
	if (sc->records && memchr(rest, '\0', restlen) != NULL)
		return SCIM_OK;		/* a user's membership, not a record */
	if (sc->data_is_id) {
		src = data->data;
		n = data->size;
	}
	if (n >= sizeof(id))
		n = sizeof(id) - 1;
	memcpy(id, src, n);
	id[n] = '\0';
	if (!sc->ids_only) {
		obj = cJSON_ParseWithLength(data->data, data->size);
		if (obj == NULL)
			return scim_fail(err, SCIM_E_INTERNAL,
			    "corrupt record");
	}
	*go_on = sc->fn(sc->arg, id, obj, &keep);
	if (!keep)
		cJSON_Delete(obj);
	return SCIM_OK;
}

/* --- users and groups --- */

static const struct {
	enum dbi	 rec, name, ext;
	const char	*name_attr;
} kinds[] = {
	[STORE_USER] =	{ DBI_USERS, DBI_USERS_NAME, DBI_USERS_EXT,
			  "userName" },
	[STORE_GROUP] =	{ DBI_GROUPS, DBI_GROUPS_NAME, DBI_GROUPS_EXT,
			  "displayName" },
};

static bool
check_id(const char *s)
{
	return s != NULL && *s != '\0' && strlen(s) <= STORE_ID_MAX;
}

enum scim_err
store_get(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *id, cJSON **out, struct scim_error *err)
{
	enum scim_err	 rc;

	*out = NULL;
	if (!check_id(id) || !check_id(tenant))
		return scim_fail(err, SCIM_E_NOT_FOUND, "not found");
	rc = key_get(t, kinds[kind].rec, tenant, id, NULL, out, err);
	return rc;
}

enum scim_err
store_get_raw(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *id, char **out, size_t *len, struct scim_error *err)
{
	*out = NULL;
	*len = 0;
	if (!check_id(id) || !check_id(tenant))
		return scim_fail(err, SCIM_E_NOT_FOUND, "not found");
	return key_get_text(t, kinds[kind].rec, tenant, id, out, len, err);
}

static const char *
json_str(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Point the lower-cased name index at id; another id there is a clash. */
static enum scim_err
name_claim(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *lname, const char *id, struct scim_error *err)
{
	struct key	 k;
	enum scim_err	 rc;
	enum dbi	 d = kinds[kind].name;
	char		*have;
	size_t		 len;

	rc = key_get_text(t, d, tenant, lname, &have, &len, err);
	if (rc == SCIM_OK && (len != strlen(id) || memcmp(have, id, len) != 0))
		rc = scim_fail(err, SCIM_E_UNIQUENESS,
		    "%s \"%s\" is already taken by another %s",
		    kinds[kind].name_attr, lname,
		    kind == STORE_USER ? "user" : "group");
	free(have);
	if (rc != SCIM_E_NOT_FOUND)
		return rc;
	if (!key_make(&k, tenant, lname, NULL, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = raw_put(t, d, &k, id, strlen(id), 0, err);
	key_free(&k);
	return rc;
}

enum scim_err
store_put(struct store_txn *t, enum store_kind kind, const char *tenant,
    const cJSON *res, const cJSON *old, struct scim_error *err)
{
	const char	*id = json_str(res, "id");
	const char	*name = json_str(res, kinds[kind].name_attr);
	const char	*ext = json_str(res, "externalId");
	const char	*oname = NULL, *oext = NULL;
	char		*lname = NULL, *loname = NULL;
	struct key	 k = { NULL, 0 };
	enum scim_err	 rc;

	if (!check_id(id) || !check_id(tenant))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "bad id");
	if (name == NULL)
		return scim_fail(err, SCIM_E_INVALID_VALUE, "%s is required",
		    kinds[kind].name_attr);
	if (old != NULL) {
		oname = json_str(old, kinds[kind].name_attr);
		oext = json_str(old, "externalId");
	}
	if ((lname = util_lower(name)) == NULL ||
	    (oname != NULL && (loname = util_lower(oname)) == NULL)) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
		goto out;
	}
	/* Name index: claim the new name, release the old one. */
	if (loname == NULL || strcmp(loname, lname) != 0) {
		if ((rc = name_claim(t, kind, tenant, lname, id, err)) !=
		    SCIM_OK)
			goto out;
		if (loname != NULL) {
			if (!key_make(&k, tenant, loname, NULL, false)) {
				rc = scim_fail(err, SCIM_E_INTERNAL,
				    "out of memory");
				goto out;
			}
			rc = raw_del(t, kinds[kind].name, &k, err);
			key_free(&k);
			if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
				goto out;
		}
	}
	/* externalId index (not unique). */
	if (oext != NULL && (ext == NULL || strcmp(ext, oext) != 0)) {
		if (!key_make(&k, tenant, oext, NULL, false)) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
			goto out;
		}
		rc = raw_del_dup(t, kinds[kind].ext, &k, id, err);
		key_free(&k);
		if (rc != SCIM_OK)
			goto out;
	}
	if (ext != NULL && (oext == NULL || strcmp(ext, oext) != 0)) {
		if (!key_make(&k, tenant, ext, NULL, false)) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
			goto out;
		}
		rc = raw_put(t, kinds[kind].ext, &k, id, strlen(id),
		    DB_NODUPDATA, err);
		key_free(&k);
		if (rc == SCIM_E_CONFLICT)
			rc = SCIM_OK;
		if (rc != SCIM_OK)
			goto out;
	}
	if (!key_make(&k, tenant, id, NULL, false)) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
		goto out;
	}
	rc = raw_put_json(t, kinds[kind].rec, &k, res,
	    old == NULL ? DB_NOOVERWRITE : 0, err);
	key_free(&k);
out:
	free(lname);
	free(loname);
	return rc;
}

/* Collect ids from a scan into a NULL-terminated array. */
struct idlist {
	char	**v;
	size_t	 n, cap;
	bool	 oom;
};

static bool
idlist_add(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct idlist	*l = arg;
	char		**nv;

	(void)obj; (void)keep;
	if (l->n + 1 >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL) {
			l->oom = true;
			return false;
		}
		l->v = nv;
	}
	if ((l->v[l->n] = strdup(id)) == NULL) {
		l->oom = true;
		return false;
	}
	l->v[++l->n] = NULL;
	return true;
}

static void
idlist_free(struct idlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/*
 * Where "mid is in group gid" is kept (see check_layout()): next to the
 * record of a user in a store of layout 3, in memberof.db otherwise.
 */
static enum dbi
memberof_dbi(const struct store *s, enum store_kind kind)
{
	return s->beside && kind == STORE_USER ? DBI_USERS : DBI_MEMBEROF;
}

/* Remove "mid is in group gid", for a member of either kind. */
static enum scim_err
memberof_del(struct store_txn *t, const char *tenant, const char *mid,
    const char *gid, struct scim_error *err)
{
	enum scim_err	 rc = SCIM_E_NOT_FOUND;

	if (t->s->beside)
		rc = key_del(t, DBI_USERS, tenant, mid, gid, err);
	if (rc == SCIM_E_NOT_FOUND)
		rc = key_del(t, DBI_MEMBEROF, tenant, mid, gid, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/* Remove the pair (group gid, member mid) from both membership indexes. */
static enum scim_err
pair_del(struct store_txn *t, const char *tenant, const char *gid,
    const char *mid, struct scim_error *err)
{
	enum scim_err	 rc;

	rc = key_del(t, DBI_MEMBERS, tenant, gid, mid, err);
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	return memberof_del(t, tenant, mid, gid, err);
}

enum scim_err
store_del(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *id, struct scim_error *err)
{
	struct idlist	 groups = { NULL, 0, 0, false };
	cJSON		*old = NULL;
	const char	*name, *ext;
	char		*lname = NULL;
	struct key	 k = { NULL, 0 };
	enum scim_err	 rc;
	size_t		 i;

	if ((rc = store_get(t, kind, tenant, id, &old, err)) != SCIM_OK)
		return rc;
	name = json_str(old, kinds[kind].name_attr);
	ext = json_str(old, "externalId");
	if (name != NULL) {
		if ((lname = util_lower(name)) == NULL ||
		    !key_make(&k, tenant, lname, NULL, false)) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
			goto out;
		}
		rc = raw_del(t, kinds[kind].name, &k, err);
		key_free(&k);
		if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
			goto out;
	}
	if (ext != NULL) {
		if (!key_make(&k, tenant, ext, NULL, false)) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
			goto out;
		}
		rc = raw_del_dup(t, kinds[kind].ext, &k, id, err);
		key_free(&k);
		if (rc != SCIM_OK)
			goto out;
	}
	/* Leave every group this resource belongs to. */
	rc = store_memberof_scan(t, kind, tenant, id, idlist_add, &groups,
	    err);
	if (rc != SCIM_OK)
		goto out;
	if (groups.oom) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < groups.n; i++)
		if ((rc = pair_del(t, tenant, groups.v[i], id, err)) !=
		    SCIM_OK)
			goto out;
	if (kind == STORE_GROUP &&
	    (rc = store_member_clear(t, tenant, id, NULL, err)) != SCIM_OK)
		goto out;
	if (!key_make(&k, tenant, id, NULL, false)) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
		goto out;
	}
	rc = raw_del(t, kinds[kind].rec, &k, err);
	key_free(&k);
out:
	idlist_free(&groups);
	free(lname);
	cJSON_Delete(old);
	return rc;
}

enum scim_err
store_find_name(struct store_txn *t, enum store_kind kind,
    const char *tenant, const char *name, char *id, struct scim_error *err)
{
	struct key	 k;
	DBT		 key, data;
	char		*lname;
	enum dbi	 d = kinds[kind].name;
	int		 ret;

	id[0] = '\0';
	if ((lname = util_lower(name)) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if (!key_make(&k, tenant, lname, NULL, false)) {
		free(lname);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	free(lname);
	dbt_set(&key, k.buf, k.len);
	dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = t->s->db[d]->get(t->s->db[d], t->txn, &key, &data, 0);
	key_free(&k);
	if (ret != 0)
		return dberr(t, ret, dbdefs[d].file, err);
	if (data.size > STORE_ID_MAX)
		return scim_fail(err, SCIM_E_INTERNAL, "corrupt index");
	memcpy(id, data.data, data.size);
	id[data.size] = '\0';
	return SCIM_OK;
}

enum scim_err
store_scan(struct store_txn *t, enum store_kind kind, const char *tenant,
    store_scan_fn fn, void *arg, struct scim_error *err)
{
	struct scan_ctx	 sc = { fn, arg, false, false, true };
	struct key	 p;
	enum scim_err	 rc;

	if (!key_make(&p, tenant, NULL, NULL, true))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = walk(t, kinds[kind].rec, &p, NULL, false, scan_each, &sc, err);
	key_free(&p);
	return rc;
}

/* Resolve ids found in an index to records, then call the scan callback. */
struct resolve_ctx {
	enum store_kind	 kind;
	const char	*tenant;
	store_scan_fn	 fn;
	void		*arg;
};

static enum scim_err
resolve_each(struct store_txn *t, void *arg, const char *rest,
    size_t restlen, const DBT *data, bool *go_on, struct scim_error *err)
{
	struct resolve_ctx	*rc = arg;
	char			 id[STORE_ID_MAX + 1];
	cJSON			*obj = NULL;
	bool			 keep = false;
	enum scim_err		 r;

	(void)rest;
	if (restlen != 0)	/* a longer key that shares the prefix */
		return SCIM_OK;
	if (data->size > STORE_ID_MAX)
		return scim_fail(err, SCIM_E_INTERNAL, "corrupt index");
	memcpy(id, data->data, data->size);
	id[data->size] = '\0';
	r = store_get(t, rc->kind, rc->tenant, id, &obj, err);
	if (r == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (r != SCIM_OK)
		return r;
	*go_on = rc->fn(rc->arg, id, obj, &keep);
	if (!keep)
		cJSON_Delete(obj);
	return SCIM_OK;
}

enum scim_err
store_scan_external(struct store_txn *t, enum store_kind kind,
    const char *tenant, const char *ext, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	struct resolve_ctx	 rc = { kind, tenant, fn, arg };
	struct key		 p;
	enum scim_err		 r;

	if (!key_make(&p, tenant, ext, NULL, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	r = walk(t, kinds[kind].ext, &p, NULL, false, resolve_each, &rc, err);
	key_free(&p);
	return r;
}

static enum scim_err
count_each(struct store_txn *t, void *arg, const char *rest, size_t restlen,
    const DBT *data, bool *go_on, struct scim_error *err)
{
	(void)t; (void)rest; (void)restlen; (void)data; (void)go_on;
	(void)err;
	(*(size_t *)arg)++;
	return SCIM_OK;
}

enum scim_err
store_count(struct store_txn *t, enum store_kind kind, const char *tenant,
    size_t *n, struct scim_error *err)
{
	struct key	 p;
	enum scim_err	 rc;

	*n = 0;
	if (!key_make(&p, tenant, NULL, NULL, true))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = walk(t, kinds[kind].name, &p, NULL, false, count_each, n, err);
	key_free(&p);
	return rc;
}

enum scim_err
store_page_ids(struct store_txn *t, enum store_kind kind, const char *tenant,
    size_t skip, size_t limit, size_t *total, char (*ids)[STORE_ID_MAX + 1],
    size_t *nids, struct scim_error *err)
{
	DB		*db = t->s->db[kinds[kind].name];
	DBC		*c = NULL;
	DBT		 key, data;
	struct key	 p;
	enum scim_err	 rc = SCIM_OK;
	size_t		 n = 0, klen, dlen;
	void		*buf = NULL, *pos, *kp, *dp;
	int		 ret;

	/*
	 * Count and pick the page from the name index, one small record per
	 * resource (a few MB for 100,000 users, so it stays in the cache),
	 * read a page of records at a time (DB_MULTIPLE_KEY).  Walking the
	 * records themselves read the whole users.db on every listing.  The
	 * order (by lower-cased name) is stable between requests.
	 */
	*total = 0;
	*nids = 0;
	if (!key_make(&p, tenant, NULL, NULL, true) ||
	    (buf = malloc(STORE_BULK_BYTES)) == NULL) {
		key_free(&p);
		free(buf);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	if ((ret = db->cursor(db, t->txn, &c, 0)) != 0) {
		rc = dberr(t, ret, "cursor", err);
		goto out;
	}
	dbt_set(&key, p.buf, p.len);
	dbt_set(&data, buf, STORE_BULK_BYTES);
	data.ulen = STORE_BULK_BYTES;
	data.flags = DB_DBT_USERMEM;
	for (ret = c->get(c, &key, &data, DB_SET_RANGE | DB_MULTIPLE_KEY);
	    ret == 0;
	    ret = c->get(c, &key, &data, DB_NEXT | DB_MULTIPLE_KEY)) {
		t->s->st.steps++;
		DB_MULTIPLE_INIT(pos, &data);
		for (;;) {
			DB_MULTIPLE_KEY_NEXT(pos, &data, kp, klen, dp, dlen);
			if (pos == NULL)
				break;
			if (klen < p.len || memcmp(kp, p.buf, p.len) != 0)
				goto walked;
			n++;
			if (n <= skip || n > skip + limit)
				continue;
			if (dlen > STORE_ID_MAX) {
				rc = scim_fail(err, SCIM_E_INTERNAL,
				    "corrupt name index");
				goto out;
			}
			memcpy(ids[*nids], dp, dlen);
			ids[(*nids)++][dlen] = '\0';
		}
	}
	if (ret != DB_NOTFOUND) {
		rc = dberr(t, ret, dbdefs[kinds[kind].name].file, err);
		goto out;
	}
walked:
	*total = n;
out:
	if (c != NULL)
		c->close(c);
	free(buf);
	key_free(&p);
	return rc;
}

/* --- membership --- */

enum scim_err
store_member_add(struct store_txn *t, const char *tenant, const char *gid,
    const cJSON *member, bool *added, struct scim_error *err)
{
	const char	*mid = json_str(member, "value");
	const char	*type = json_str(member, "type");
	struct key	 k;
	enum scim_err	 rc;

	*added = false;
	if (!check_id(mid))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a member needs a \"value\" of at most %d bytes",
		    STORE_ID_MAX);
	rc = key_put_json(t, DBI_MEMBERS, tenant, gid, mid, member, DB_NOOVERWRITE, err);
	if (rc == SCIM_E_CONFLICT)
		return SCIM_OK;		/* already a member: no-op */
	if (rc != SCIM_OK)
		return rc;
	if (!key_make(&k, tenant, mid, gid, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = raw_put(t, memberof_dbi(t->s, type != NULL &&
	    strcmp(type, "Group") == 0 ? STORE_GROUP : STORE_USER), &k, "", 0,
	    0, err);
	key_free(&k);
	if (rc == SCIM_OK)
		*added = true;
	return rc;
}

enum scim_err
store_member_del(struct store_txn *t, const char *tenant, const char *gid,
    const char *mid, bool *removed, struct scim_error *err)
{
	enum scim_err	 rc;

	*removed = false;
	if (!check_id(mid))
		return SCIM_OK;
	rc = key_del(t, DBI_MEMBERS, tenant, gid, mid, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (rc != SCIM_OK)
		return rc;
	*removed = true;
	return memberof_del(t, tenant, mid, gid, err);
}

enum scim_err
store_member_has(struct store_txn *t, const char *tenant, const char *gid,
    const char *mid, bool *is, struct scim_error *err)
{
	struct key	 k;
	DBT		 key, data;
	int		 ret;

	*is = false;
	if (!check_id(mid))
		return SCIM_OK;
	if (!key_make(&k, tenant, gid, mid, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	dbt_set(&key, k.buf, k.len);
	dbt_set(&data, NULL, 0);
	data.flags = DB_DBT_PARTIAL;	/* existence only: read no data */
	t->s->st.gets++;
	ret = t->s->db[DBI_MEMBERS]->get(t->s->db[DBI_MEMBERS], t->txn, &key,
	    &data, 0);
	key_free(&k);
	if (ret == DB_NOTFOUND)
		return SCIM_OK;
	if (ret != 0)
		return dberr(t, ret, "members.db", err);
	*is = true;
	return SCIM_OK;
}

enum scim_err
store_member_scan(struct store_txn *t, const char *tenant, const char *gid,
    store_scan_fn fn, void *arg, struct scim_error *err)
{
	struct scan_ctx	 sc = { fn, arg, false, false, false };
	struct key	 p;
	enum scim_err	 rc;

	if (!key_make(&p, tenant, gid, NULL, true))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = walk(t, DBI_MEMBERS, &p, NULL, false, scan_each, &sc, err);
	key_free(&p);
	return rc;
}

enum scim_err
store_member_clear(struct store_txn *t, const char *tenant, const char *gid,
    size_t *n, struct scim_error *err)
{
	struct scan_ctx	 sc = { idlist_add, NULL, true, false, false };
	struct idlist	 l = { NULL, 0, 0, false };
	struct key	 p;
	enum scim_err	 rc;
	size_t		 i;

	if (n != NULL)
		*n = 0;
	sc.arg = &l;
	if (!key_make(&p, tenant, gid, NULL, true))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = walk(t, DBI_MEMBERS, &p, NULL, false, scan_each, &sc, err);
	key_free(&p);
	if (rc == SCIM_OK && l.oom)
		rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	for (i = 0; rc == SCIM_OK && i < l.n; i++)
		rc = pair_del(t, tenant, gid, l.v[i], err);
	if (rc == SCIM_OK && n != NULL)
		*n = l.n;
	idlist_free(&l);
	return rc;
}

enum scim_err
store_memberof_scan(struct store_txn *t, enum store_kind kind,
    const char *tenant, const char *mid, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	struct scan_ctx	 sc = { fn, arg, true, false, false };
	struct key	 p;
	enum scim_err	 rc;

	if (!check_id(mid))
		return SCIM_OK;
	if (!key_make(&p, tenant, mid, NULL, true))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = walk(t, memberof_dbi(t->s, kind), &p, NULL, false, scan_each, &sc,
	    err);
	key_free(&p);
	return rc;
}

/* --- tokens --- */

enum scim_err
store_token_get(struct store_txn *t, const char *tid, cJSON **out,
    struct scim_error *err)
{
	enum scim_err	 rc;

	*out = NULL;
	if (!check_id(tid))
		return scim_fail(err, SCIM_E_NOT_FOUND, "no such token");
	rc = key_get(t, DBI_TOKENS, tid, NULL, NULL, out, err);
	return rc;
}

enum scim_err
store_token_get_raw(struct store_txn *t, const char *tid, char **out,
    size_t *len, struct scim_error *err)
{
	*out = NULL;
	*len = 0;
	if (!check_id(tid))
		return scim_fail(err, SCIM_E_NOT_FOUND, "no such token");
	return key_get_text(t, DBI_TOKENS, tid, NULL, out, len, err);
}

enum scim_err
store_token_put(struct store_txn *t, const char *tid, const cJSON *tok,
    struct scim_error *err)
{
	enum scim_err	 rc;

	if (!check_id(tid))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "bad token id");
	rc = key_put_json(t, DBI_TOKENS, tid, NULL, NULL, tok, 0, err);
	return rc;
}

enum scim_err
store_token_del(struct store_txn *t, const char *tid, struct scim_error *err)
{
	enum scim_err	 rc;

	if (!check_id(tid))
		return scim_fail(err, SCIM_E_NOT_FOUND, "no such token");
	rc = key_del(t, DBI_TOKENS, tid, NULL, NULL, err);
	return rc;
}

enum scim_err
store_token_scan(struct store_txn *t, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	struct scan_ctx	 sc = { fn, arg, false, false, false };
	struct key	 p = { (char *)"", 0 };

	return walk(t, DBI_TOKENS, &p, NULL, false, scan_each, &sc, err);
}

/* --- key spaces --- */

enum scim_err
store_kv_get(struct store_txn *t, const char *tenant, const char *space,
    const char *key, cJSON **out, struct scim_error *err)
{
	return key_get(t, DBI_KV, tenant, space, key, out, err);
}

enum scim_err
store_kv_put(struct store_txn *t, const char *tenant, const char *space,
    const char *key, const cJSON *val, struct scim_error *err)
{
	return key_put_json(t, DBI_KV, tenant, space, key, val, 0, err);
}

enum scim_err
store_kv_del(struct store_txn *t, const char *tenant, const char *space,
    const char *key, struct scim_error *err)
{
	return key_del(t, DBI_KV, tenant, space, key, err);
}

enum scim_err
store_kv_scan(struct store_txn *t, const char *tenant, const char *space,
    const char *from, bool reverse, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	struct scan_ctx	 sc = { fn, arg, false, false, false };
	struct key	 p, f = { NULL, 0 };
	enum scim_err	 rc;

	if (!key_make(&p, tenant, space, NULL, true))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if (from != NULL && !key_make(&f, tenant, space, from, false)) {
		key_free(&p);
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	}
	rc = walk(t, DBI_KV, &p, from != NULL ? &f : NULL, reverse,
	    scan_each, &sc, err);
	key_free(&p);
	key_free(&f);
	return rc;
}

/* --- meta --- */

enum scim_err
store_meta_get(struct store_txn *t, const char *name, char *buf, size_t sz,
    struct scim_error *err)
{
	DBT	 key, data;
	int	 ret;

	dbt_set(&key, name, strlen(name));
	dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = t->s->db[DBI_META]->get(t->s->db[DBI_META], t->txn, &key,
	    &data, 0);
	if (ret != 0)
		return dberr(t, ret, "meta.db", err);
	if (data.size >= sz)
		return scim_fail(err, SCIM_E_INTERNAL, "meta value too long");
	memcpy(buf, data.data, data.size);
	buf[data.size] = '\0';
	return SCIM_OK;
}

enum scim_err
store_meta_put(struct store_txn *t, const char *name, const char *value,
    struct scim_error *err)
{
	struct key	 k;
	enum scim_err	 rc;

	if (!key_make(&k, name, NULL, NULL, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	rc = raw_put(t, DBI_META, &k, value, strlen(value), 0, err);
	key_free(&k);
	return rc;
}
