/*
 * The environment: open and close it (store_open(), store_close()), with
 * recovery and the databases; write and upgrade the home's DB_CONFIG;
 * size the shared cache to the data, re-creating the environment for it
 * when this process is alone in it; Berkeley DB's error and message
 * callbacks.  Opens run behind the closed gate (store-gate.c) and check
 * the layout (store-layout.c) before anyone uses the databases.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <db.h>

#include "base/log.h"
#include "store/region.h"
#include "store/store-int.h"
#include "store/db_config.h"		/* generated from db/DB_CONFIG */

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
		snprintf(path, sizeof(path), "%s/%s", home,
		    store_dbdefs[i].file);
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
	struct store_txn	 t = { .s = s };
	int			 ret, i;

	for (i = 0; i < DBI__MAX; i++) {
		if ((ret = db_create(&s->db[i], s->env, 0)) != 0)
			return store_dberr(&t, ret, "db_create", err);
		s->db[i]->set_pagesize(s->db[i], store_dbdefs[i].pagesize);
		s->db[i]->set_bt_compare(s->db[i], key_cmp);
		s->db[i]->set_bt_prefix(s->db[i], key_prefix);
		if (store_dbdefs[i].dups) {
			s->db[i]->set_flags(s->db[i], DB_DUPSORT);
			s->db[i]->set_dup_compare(s->db[i], key_cmp);
		}
		if (store_dbdefs[i].recnum)
			s->db[i]->set_flags(s->db[i], DB_RECNUM);
		ret = s->db[i]->open(s->db[i], NULL, store_dbdefs[i].file, NULL,
		    DB_BTREE, DB_CREATE | DB_AUTO_COMMIT, 0660);
		if (ret != 0)
			return store_dberr(&t, ret, store_dbdefs[i].file, err);
	}
	return SCIM_OK;
}

/* Close the databases and the environment, keeping s for an attach. */
void
store_env_detach(struct store *s, u_int32_t dbflags)
{
	int	 i;

	for (i = 0; i < DBI__MAX; i++)
		if (s->db[i] != NULL) {
			s->db[i]->close(s->db[i], dbflags);
			s->db[i] = NULL;
		}
	if (s->env != NULL) {
		store_rep_detached(s);
		s->env->close(s->env, 0);
		s->env = NULL;
	}
	store_gate_drop_attached(s);
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
	/* Replication: the sites and policies, before the open. */
	if (store_rep_env_config(s, s->env, err) != SCIM_OK) {
		s->env->close(s->env, 0);
		s->env = NULL;
		return err->code;
	}
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
	    DB_INIT_MPOOL | DB_REGISTER | DB_RECOVER | store_rep_env_flags(s);
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

/*
 * Open the environment, with a cache sized to the data if it is created,
 * and the databases; with the gate closed.
 */
enum scim_err
store_env_attach(struct store *s, struct scim_error *err)
{
	enum scim_err	 rc;

	if (!store_gate_close(s))
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store's gate is not available");
	s->cache.data = data_bytes(s->home);
	s->cache.want = db_config_sets_cache(s->home) ? 0 :
	    store_cache_want(s->cache.data, s->cache_max);
	/*
	 * Re-creating the environment would drop the replication state in
	 * its region (and scim-repd is attached anyway): not with it on.
	 */
	if ((rc = env_open(s, err)) != SCIM_OK ||
	    (s->rep == NULL && cache_off(&s->cache) && store_gate_alone(s) &&
	    (rc = env_recreate(s, err)) != SCIM_OK))
		goto out;
	s->broken = false;
	store_rep_attached(s);
	/* scim-repd replicates the environment and opens no database. */
	if (store_rep_is_daemon(s))
		store_gate_hold_attached(s);
	else if ((rc = open_dbs(s, err)) != SCIM_OK ||
	    (rc = store_layout_check(s, err)) != SCIM_OK)
		store_env_detach(s, 0);
	else
		store_gate_hold_attached(s);
out:
	store_gate_open(s);
	return rc;
}

/*
 * Leave a broken environment (or one stuck in lock conflicts) and open it
 * again.  Nothing is flushed: the log holds every commit, and a panicked
 * environment must not write at all.
 */
enum scim_err
store_env_reattach(struct store *s, struct scim_error *err)
{
	s->st.reopens++;
	if (s->broken)
		s->stale = true;
	store_env_detach(s, DB_NOSYNC);
	return store_env_attach(s, err);
}

enum scim_err
store_open_as(struct store **out, const struct scim_config *cfg, bool daemon,
    struct scim_error *err)
{
	struct store	*s;
	enum scim_err	 rc;

	*out = NULL;
	if (mkdir(cfg->home, 0750) != 0 && errno != EEXIST)
		return scim_fail(err, SCIM_E_INTERNAL, "%s: %s", cfg->home,
		    strerror(errno));
	if ((rc = write_db_config(cfg->home, err)) != SCIM_OK)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->home = strdup(cfg->home)) == NULL) {
		free(s);
		return scim_oom(err);
	}
	s->lock_timeout_ms = cfg->lock_timeout_ms;
	s->sync = cfg->sync;
	s->flush_after = cfg->sync == STORE_SYNC_FULL;
	s->cache_max = (uint64_t)cfg->cache_max_mb * MIB;
	if ((rc = store_rep_init(s, cfg, daemon, err)) != SCIM_OK) {
		free(s->home);
		free(s);
		return rc;
	}
	if ((rc = store_gate_init(s, err)) != SCIM_OK) {
		store_rep_fini(s);
		free(s->home);
		free(s);
		return rc;
	}
	if ((rc = store_env_attach(s, err)) != SCIM_OK) {
		store_gate_fini(s);
		store_rep_fini(s);
		free(s->home);
		free(s);
		return rc;
	}
	*out = s;
	return SCIM_OK;
}

enum scim_err
store_open(struct store **out, const struct scim_config *cfg,
    struct scim_error *err)
{
	return store_open_as(out, cfg, false, err);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_batch_abort(s);
	/* Closing flushes dirty pages: never while a recovery runs. */
	if (!s->broken && store_gate_enter(s)) {
		store_env_detach(s, 0);
		store_gate_leave(s);
	} else
		store_env_detach(s, DB_NOSYNC);
	store_gate_fini(s);
	store_rep_fini(s);
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
