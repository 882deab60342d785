/*
 * The store's cache and regions, against real Berkeley DB environments
 * in a temporary directory: the cache sized to the data (and to the
 * configured ceiling), a DB_CONFIG edited by hand left alone, an old
 * release's DB_CONFIG brought up to date, and the regions mapped in huge
 * pages.  Each case makes a home of its own beside the fixture's store,
 * which stays open meanwhile.
 */

#include "store_fixture.h"

/* --- the cache sized to the data --- */

#define MIB		(1024ULL * 1024)
#define BLOB_MIB	56	/* enough data for more than the floor */

static const struct {
	uint64_t	 data, max, want;
} cache_wants[] = {
	{ 0, 1024 * 1024 * MIB, 80 * MIB },		/* the floor */
	{ 38 * MIB, 1024 * 1024 * MIB, 80 * MIB },	/* 79.5 rounds up */
	{ 48 * MIB, 1024 * 1024 * MIB, 96 * MIB },	/* 92 rounds up */
	{ 292 * MIB, 1024 * 1024 * MIB, 400 * MIB },	/* 397 */
	{ 1024 * MIB, 1024 * 1024 * MIB, 1312 * MIB },
	{ 100 * 1024 * MIB, 16 * 1024 * MIB, 16 * 1024 * MIB }, /* capped */
	{ 0, 16 * MIB, 16 * MIB },			/* cap below floor */
};

/* Within Berkeley DB's rounding (a few KB) of the size wanted? */
static bool
cache_near(uint64_t size, uint64_t want)
{
	return size >= want && size < want + MIB;
}

struct blob_arg {
	char		 key[8];
	const char	*value;
};

static enum scim_err
blob_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct blob_arg	*b = arg;
	cJSON		*v = cJSON_CreateString(b->value);
	enum scim_err	 rc;

	rc = store_kv_put(t, "cache", "blob", b->key, v, err);
	cJSON_Delete(v);
	return rc;
}

/* Write n values of 1 MiB into the store at cfg.home. */
static bool
fill_mib(int n)
{
	struct store		*s;
	struct scim_error	 err;
	struct blob_arg		 b;
	char			*value;
	bool			 good;
	int			 i;

	if ((value = malloc(MIB + 1)) == NULL)
		return false;
	memset(value, 'x', MIB);
	value[MIB] = '\0';
	b.value = value;
	if (store_open(&s, &cfg, &err) != SCIM_OK) {
		free(value);
		return false;
	}
	for (i = 0, good = true; i < n && good; i++) {
		snprintf(b.key, sizeof(b.key), "%04d", i);
		good = store_run_nosync(s, blob_fn, &b, &err) == SCIM_OK;
	}
	store_close(s);
	free(value);
	return good;
}

/* Open the store at cfg.home, note its cache and close it again. */
static bool
cache_of(struct store_cache *c)
{
	struct store		*s;
	struct scim_error	 err;

	memset(c, 0, sizeof(*c));
	if (store_open(&s, &cfg, &err) != SCIM_OK) {
		printf("# %s\n", err.detail);
		return false;
	}
	store_cache(s, c);
	store_close(s);
	return true;
}

/* Child: keep the store at cfg.home open until told to go. */
static void
cache_holder(int ready, int go)
{
	struct store		*s;
	struct scim_error	 err;
	char			 c;

	if (store_open(&s, &cfg, &err) != SCIM_OK ||
	    write(ready, "r", 1) != 1)
		_exit(2);
	if (read(go, &c, 1) < 0)
		_exit(3);
	store_close(s);
	_exit(0);
}

/*
 * The old default DB_CONFIGs below differ in their cache settings (and
 * the pages they point to); before and after those they read the same.
 */
#define DB_CONFIG_OLD_HEAD \
    "# Berkeley DB environment settings for scim-fcgi.\n" \
    "#\n" \
    "# scim-fcgi writes this file into a new data home the first time a program\n" \
    "# opens it; afterwards the copy in the home is the one that counts (edit it\n" \
    "# there and restart the programs).  Settings here override the defaults\n"

#define DB_CONFIG_OLD_TAIL \
    "\n" \
    "# Resolve deadlocks as soon as a lock request conflicts.\n" \
    "set_lk_detect DB_LOCK_DEFAULT\n" \
    "\n" \
    "# Room for large transactions (bulk member loads, group deletes).\n" \
    "set_lk_max_locks 200000\n" \
    "set_lk_max_objects 200000\n" \
    "set_lk_max_lockers 20000\n" \
    "\n" \
    "# Transaction log: 1 MiB buffer, 16 MiB files, removed once no longer\n" \
    "# needed for normal recovery (use db_hotbackup for backups).\n" \
    "set_lg_bsize 1048576\n" \
    "set_lg_max 16777216\n" \
    "log_set_config db_log_auto_remove on\n"

/* The DB_CONFIG every home got before the cache was sized to the data. */
static const char db_config_v1[] =
    DB_CONFIG_OLD_HEAD
    "# compiled into the programs.  See db/README and scim.conf(5).\n"
    "\n"
    "# Shared cache for all processes: ~1 KB per user record, 64 MiB keeps\n"
    "# about 50,000 users and their indexes hot; raise it for larger tenants.\n"
    "set_cachesize 0 67108864 1\n"
    DB_CONFIG_OLD_TAIL;

/* The default DB_CONFIG of the version that sized the cache (no db_log_zero). */
static const char db_config_v2[] =
    DB_CONFIG_OLD_HEAD
    "# compiled into the programs.  See scim.conf(5) and scim-fcgi(8).\n"
    "\n"
    "# Shared cache for all processes: no set_cachesize line, because the\n"
    "# programs size the cache to the data whenever the environment is created\n"
    "# (5/4 of the databases plus 32 MiB, at least 80 MiB, at most [store]\n"
    "# cache_max_mb; see scim.conf(5)).  A set_cachesize line in the home's\n"
    "# copy of this file wins over that, for example for 1 GiB:\n"
    "#set_cachesize 1 0 1\n"
    DB_CONFIG_OLD_TAIL;

/* Write text into cfg.home's DB_CONFIG, open, and read DB_CONFIG back. */
static bool
open_with_db_config(const char *text, struct store_cache *c, char *back,
    size_t sz)
{
	char	 path[4200];
	FILE	*f;
	size_t	 n;

	mkdir(cfg.home, 0750);
	snprintf(path, sizeof(path), "%s/DB_CONFIG", cfg.home);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 ||
	    fclose(f) != 0 || !cache_of(c) || (f = fopen(path, "r")) == NULL)
		return false;
	n = fread(back, 1, sz - 1, f);
	back[n] = '\0';
	fclose(f);
	return true;
}

static void
test_old_db_config(const char *dir)
{
	static const char	*olds[] = { db_config_v1, db_config_v2 };
	struct store_cache	 c;
	static char		 back[4096], edited[sizeof(db_config_v2) + 16];
	bool			 opened;
	size_t			 i;

	cfg.cache_max_mb = 1024;
	for (i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
		snprintf(cfg.home, sizeof(cfg.home), "%s/old-default-%zu",
		    dir, i + 1);
		opened = open_with_db_config(olds[i], &c, back, sizeof(back));
		ok(opened && strcmp(back, store_db_config_text) == 0 &&
		    c.want == 80 * MIB && cache_near(c.size, c.want),
		    "a home with old default DB_CONFIG v%zu gets the current "
		    "one, and a cache sized to the data (%llu bytes)", i + 1,
		    (unsigned long long)c.size);
		snprintf(cfg.home, sizeof(cfg.home), "%s/old-edited-%zu", dir,
		    i + 1);
		snprintf(edited, sizeof(edited), "%s#\n", olds[i]);
		opened = open_with_db_config(edited, &c, back, sizeof(back));
		ok(opened && strcmp(back, edited) == 0 &&
		    (i > 0 || c.want == 0),
		    "an edited v%zu is the operator's: left as it is", i + 1);
	}
}

static void
test_cache(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct store_cache	 c;
	uint64_t		 grown;
	size_t			 i;
	int			 ready[2], go[2], st, fd;
	char			 ch, path[4200];
	bool			 opened;
	pid_t			 pid;

	for (i = 0; i < sizeof(cache_wants) / sizeof(cache_wants[0]); i++)
		ok(store_cache_want(cache_wants[i].data, cache_wants[i].max) ==
		    cache_wants[i].want, "%llu MiB of data, at most %llu MiB: "
		    "a cache of %llu MiB",
		    (unsigned long long)(cache_wants[i].data / MIB),
		    (unsigned long long)(cache_wants[i].max / MIB),
		    (unsigned long long)(cache_wants[i].want / MIB));

	snprintf(cfg.home, sizeof(cfg.home), "%s/cache", dir);
	cfg.cache_max_mb = 1024;
	opened = cache_of(&c);
	ok(opened && c.want == 80 * MIB && cache_near(c.size, c.want),
	    "a new store gets the 80 MiB floor (%llu bytes)",
	    (unsigned long long)c.size);
	ok(fill_mib(BLOB_MIB), "%d MiB written", BLOB_MIB);
	opened = cache_of(&c);
	ok(opened && c.data >= BLOB_MIB * MIB &&
	    c.data < (BLOB_MIB + 8) * MIB,
	    "the data counted: %llu bytes", (unsigned long long)c.data);
	ok(c.want == store_cache_want(c.data, 1024 * MIB) &&
	    c.want >= 96 * MIB && cache_near(c.size, c.want),
	    "opened alone, the environment is made again for the data: "
	    "%llu bytes", (unsigned long long)c.size);
	grown = c.size;

	if (pipe(ready) != 0 || pipe(go) != 0) {
		ok(0, "pipe");
		cfg = saved;
		return;
	}
	if ((pid = fork()) == 0) {
		close(ready[0]);
		close(go[1]);
		cache_holder(ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	ok(read(ready[0], &ch, 1) == 1, "another process holds the store");
	cfg.cache_max_mb = 64;
	opened = cache_of(&c);
	ok(opened && c.want == 64 * MIB && c.size == grown,
	    "while it does, an opener joins the cache in place");
	close(go[1]);
	close(ready[0]);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the other process left");
	opened = cache_of(&c);
	ok(opened && cache_near(c.size, 64 * MIB),
	    "alone again, cache_max_mb caps the cache: %llu bytes",
	    (unsigned long long)c.size);

	/* 48 MiB asked in DB_CONFIG: Berkeley DB adds its quarter. */
	snprintf(cfg.home, sizeof(cfg.home), "%s/manual", dir);
	mkdir(cfg.home, 0750);
	snprintf(path, sizeof(path), "%s/DB_CONFIG", cfg.home);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) < 0 ||
	    write(fd, "set_cachesize 0 50331648 1\n", 27) != 27) {
		ok(0, "%s", path);
		cfg = saved;
		return;
	}
	close(fd);
	opened = cache_of(&c);
	ok(opened && c.want == 0 && cache_near(c.size, 60 * MIB),
	    "a set_cachesize line in the home's DB_CONFIG wins: %llu bytes",
	    (unsigned long long)c.size);
	test_old_db_config(dir);
	cfg = saved;
}

/* --- the regions in huge pages (region.h) --- */

struct regions {
	int	 n;		/* region mappings of the home */
	int	 grown;		/* ... but __db.001, as long as their file */
	int	 others;	/* ... but __db.001 */
	int	 huge;		/* ... asking for huge pages */
};

static void
region_maps(const char *home, struct regions *r)
{
	FILE		*f;
	char		 line[PATH_MAX + 160], real[PATH_MAX], prefix[PATH_MAX + 8];
	unsigned long	 lo, hi;
	struct stat	 st;
	bool		 in = false;
	int		 at;
	char		*nl;

	memset(r, 0, sizeof(*r));
	if (realpath(home, real) == NULL ||
	    (f = fopen("/proc/self/smaps", "r")) == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "%s/__db.0", real);
	while (fgets(line, sizeof(line), f) != NULL) {
		at = 0;
		if (sscanf(line, "%lx-%lx %*s %*x %*x:%*x %*u %n", &lo, &hi,
		    &at) == 2 && at > 0) {
			if ((nl = strchr(line + at, '\n')) != NULL)
				*nl = '\0';
			in = strncmp(line + at, prefix, strlen(prefix)) == 0 &&
			    strlen(line + at) == strlen(prefix) + 2;
			if (!in)
				continue;
			r->n++;
			if (strcmp(line + at + strlen(prefix), "01") == 0)
				continue;
			r->others++;
			if (stat(line + at, &st) == 0 &&
			    (unsigned long)st.st_size == hi - lo)
				r->grown++;
		} else if (in && strncmp(line, "VmFlags:", 8) == 0 &&
		    strstr(line, " hg") != NULL)
			r->huge++;
	}
	fclose(f);
}

/*
 * Every region file but the primary is as long as its mapping (so that
 * the page cache can use huge folios for it), and every region mapping
 * asks for huge pages; a second process still joins the environment.
 */
static void
test_regions(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct store		*s;
	struct scim_error	 err;
	struct regions		 r;

	snprintf(cfg.home, sizeof(cfg.home), "%s/regions", dir);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open a new store"))
		goto out;
	region_maps(cfg.home, &r);
	ok(r.n >= 2 && r.others >= 1, "its region files are mapped");
	is_int(r.grown, r.others, "all but __db.001 as long as their mapping");
	is_int(r.huge, r.n, "every region mapping asks for huge pages");
	is_int(open_in_child(), 0, "another process joins the environment");
	store_close(s);
out:
	cfg = saved;
}

int
main(void)
{
	struct tmp_store	 ts;

	if (!store_fixture_open(&ts, "store-cache"))
		goto out;
	test_cache(ts.dir);
	test_regions(ts.dir);
out:
	tmp_store_done(&ts);
	return tap_done();
}
