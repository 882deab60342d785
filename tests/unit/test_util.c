/*
 * Unit tests for util.c and config.c: time formatting, UUIDs and the
 * random pool (fresh bytes after a fork), hex,
 * constant-time comparison, UTF-8 validation, bounded integers, and the
 * scim.conf reader (defaults, every error path).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "tap.h"

static const struct {
	const char	*s;
	size_t		 n;
	bool		 valid;
	const char	*name;
} utf8[] = {
	{ "plain ascii", 11, true, "ascii" },
	{ "caf\xc3\xa9", 5, true, "2-byte" },
	{ "\xe2\x82\xac", 3, true, "3-byte euro" },
	{ "\xf0\x9f\x98\x80", 4, true, "4-byte emoji" },
	{ "\xc3", 1, false, "truncated 2-byte" },
	{ "\xc0\xaf", 2, false, "overlong slash" },
	{ "\xed\xa0\x80", 3, false, "UTF-16 surrogate" },
	{ "\xf4\x90\x80\x80", 4, false, "beyond U+10FFFF" },
	{ "\xff", 1, false, "0xff byte" },
	{ "a\0b", 3, false, "embedded NUL" },
	{ "\x80", 1, false, "lone continuation" },
};

static const struct {
	const char	*s;
	long		 min, max;
	bool		 ok;
	long		 want;
} longs[] = {
	{ "0", 0, 10, true, 0 },
	{ "10", 0, 10, true, 10 },
	{ "11", 0, 10, false, 0 },
	{ "-1", 0, 10, false, 0 },
	{ "-5", -10, 10, true, -5 },
	{ "", 0, 10, false, 0 },
	{ " 1", 0, 10, false, 0 },
	{ "1 ", 0, 10, false, 0 },
	{ "1x", 0, 10, false, 0 },
	{ "99999999999999999999999", 0, 10, false, 0 },
	{ "+7", 0, 10, true, 7 },
};

/* A value for a numeric key and what config_load() makes of it. */
struct key_case {
	const char	*s;
	bool		 ok;
	unsigned	 want;
};

/* [audit] retention_days values. */
static const struct key_case retention[] = {
	{ "1", true, 1 },
	{ "30", true, 30 },
	{ "36500", true, 36500 },
	{ "0", false, 0 },
	{ "36501", false, 0 },
	{ "-1", false, 0 },
	{ "4294967297", false, 0 },
	{ "7d", false, 0 },
	{ "1.5", false, 0 },
	{ "", false, 0 },
};

/* [store] cache_max_mb values. */
static const struct key_case cache_max[] = {
	{ "16", true, 16 },
	{ "512", true, 512 },
	{ "1048576", true, 1048576 },
	{ "15", false, 0 },
	{ "0", false, 0 },
	{ "1048577", false, 0 },
	{ "-64", false, 0 },
	{ "1G", false, 0 },
	{ "512 MB", false, 0 },
	{ "", false, 0 },
};

/* A whole file and whether config_load() takes it. */
static const struct {
	const char	*text;
	bool		 ok;
} conf_kinds[] = {
	{ "[log]\nlevel = warning\n", true },
	{ "[log]\nlevel = loud\n", false },
	{ "[log]\nstore_ops_header = yes\n", true },
	{ "[log]\nstore_ops_header = true\n", false },	/* yes or no only */
	{ "[admin]\ntrust_remote_user = 1\n", true },
	{ "[admin]\ntrust_remote_user = maybe\n", false },
	{ "[admin]\nsession_idle_minutes = 1441\n", false },
	{ "[admin]\nsession_max_hours = 720\n", true },
	{ "[admin]\nunknown = 1\n", false },
	{ "[http]\nmax_body = 1023\n", false },
	{ "[http]\nbase_url = https://h/scim/v2\n", true },
	{ "[tokens]\nscrypt_n = 1024\nscrypt_r = 65\n", false },
	{ "[tokens]\nmax_live = 100\ndefault_days = 3650\n", true },
	{ "[scim]\nmax_results = 0\n", false },
	{ "[audit]\nhook_retry = 0\nhook_timeout = 3600\n", true },
	{ "[audit]\nhook_timeout = 0\n", false },
	{ "[nosuch]\nhome = x\n", false },
};

/* What the default cache_max_mb should be on this machine. */
static unsigned
cache_max_default(void)
{
	unsigned long long	 mb;

	mb = (unsigned long long)sysconf(_SC_PHYS_PAGES) *
	    (unsigned long long)sysconf(_SC_PAGESIZE) / 4 / (1024 * 1024);
	if (mb < CACHE_MAX_MB_MIN)
		mb = CACHE_MAX_MB_MIN;
	return mb > CACHE_MAX_MB_DEFAULT_CAP ? CACHE_MAX_MB_DEFAULT_CAP :
	    (unsigned)mb;
}

static int
conf_from(const char *text, struct scim_config *cfg, struct scim_error *err)
{
	char	 path[] = "/tmp/scim-conf-test-XXXXXX";
	int	 fd = mkstemp(path), rc;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	rc = (int)config_load(cfg, path, err);
	unlink(path);
	return rc;
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Each value of key in [section]: accepted as its want (read from *field,
 * a member of *cfg), or refused with an error that names the key.
 */
static void
check_key(const char *section, const char *key, const struct key_case *c,
    size_t n, struct scim_config *cfg, const unsigned *field)
{
	struct scim_error	 err;
	char			 buf[256];
	size_t			 i;
	int			 rc;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "[%s]\n%s = %s\n", section, key,
		    c[i].s);
		rc = conf_from(buf, cfg, &err);
		ok(rc == (c[i].ok ? SCIM_OK : SCIM_E_INTERNAL) &&
		    (!c[i].ok || *field == c[i].want) &&
		    (c[i].ok || strstr(err.detail, key) != NULL),
		    "%s = \"%s\" %s", key, c[i].s,
		    c[i].ok ? "accepted" : "refused, naming the key");
	}
}

/*
 * Names that must be the same name (finding: uniqueness folded ASCII
 * case only), and ones that must stay apart.
 */
static const struct {
	const char	*a, *b;
	bool		 same;
	const char	*why;
} folds[] = {
	{ "Alice", "alice", true, "ASCII case" },
	{ "Alice", "\xef\xbc\xa1" "lice", true, "fullwidth A (U+FF21)" },
	{ "Alice", "A\xe2\x80\x8blice", true, "zero-width space inside" },
	{ "alice", "alice ", true, "trailing space" },
	{ "alice", " alice", true, "leading space" },
	{ "alice", "\xe3\x80\x80" "alice\xc2\xa0", true,
	    "ideographic and no-break spaces at the ends" },
	{ "Jos\xc3\xa9", "Jose\xcc\x81", true, "NFC and NFD" },
	{ "Kelvin", "\xe2\x84\xaa" "elvin", true, "Kelvin sign (U+212A)" },
	{ "STRASSE", "stra\xc3\x9f" "e", true, "sharp s folds to ss" },
	{ "alice", "alicia", false, "different names" },
	{ "a lice", "alice", false, "inner space kept" },
	{ "bob", "b\xc3\xb6" "b", false, "o and o-umlaut differ" },
};

static const struct {
	const char	*s;
	bool		 refused;
	const char	*why;
} refusals[] = {
	{ "alice", false, "a plain name" },
	{ "Jos\xc3\xa9 Silva", false, "an inner space" },
	{ "A\xe2\x80\x8blice", true, "zero-width space" },
	{ "al\xc2\xad" "ice", true, "soft hyphen" },
	{ "alice\xe2\x80\x8d", true, "zero-width joiner at the end" },
	{ " alice", true, "leading space" },
	{ "alice ", true, "trailing space" },
	{ "\xe3\x80\x80" "alice", true, "leading ideographic space" },
};

static void
check_fold(void)
{
	char	*fa, *fb, *ff;
	size_t	 i;

	for (i = 0; i < NELEM(folds); i++) {
		fa = util_fold(folds[i].a, true);
		fb = util_fold(folds[i].b, true);
		ok(fa != NULL && fb != NULL &&
		    (strcmp(fa, fb) == 0) == folds[i].same,
		    "fold: %s %s (\"%s\" vs \"%s\")", folds[i].why,
		    folds[i].same ? "folds alike" : "stays apart",
		    fa ? fa : "(null)", fb ? fb : "(null)");
		ff = fb != NULL ? util_fold(fb, true) : NULL;
		ok(ff != NULL && strcmp(ff, fb) == 0,
		    "fold: folding the fold of %s changes nothing",
		    folds[i].why);
		free(fa);
		free(fb);
		free(ff);
	}
	fa = util_fold("  MiXeD@Ex.COM ", false);
	is_str(fa, "  mixed@ex.com ", "fold without trim keeps the ends");
	free(fa);
	fa = util_fold("MiXeD@Ex.COM", true);
	is_str(fa, "mixed@ex.com", "ASCII folds as util_lower does");
	free(fa);
	/* The ASCII fast path agrees with the Unicode one: every ASCII
	 * byte, and the same bytes with a zero-width space inside (dropped,
	 * so that string takes the Unicode path). */
	{
		char	 ascii[160], both[160];
		int	 c, n = 0, m = 0;

		for (c = 1; c < 128; c++) {
			ascii[n++] = (char)c;
			both[m++] = (char)c;
			if (c == 64) {
				memcpy(both + m, "\xe2\x80\x8b", 3);
				m += 3;
			}
		}
		ascii[n] = both[m] = '\0';
		fa = util_fold(ascii, true);
		fb = util_fold(both, true);
		ok(fa != NULL && fb != NULL && strcmp(fa, fb) == 0,
		    "fold: every ASCII byte folds as the Unicode path does");
		free(fa);
		free(fb);
		fa = util_fold(" \t\r\n\v\fMiXeD\v ", true);
		fb = util_fold(" \t\r\n\v\fMi\xe2\x80\x8bXeD\v ", true);
		ok(fa != NULL && fb != NULL && strcmp(fa, "mixed") == 0 &&
		    strcmp(fa, fb) == 0, "fold: ASCII white space trimmed as "
		    "Unicode's");
		free(fa);
		free(fb);
	}
	fa = util_fold("Ab\xff" "C", true);
	is_str(fa, "ab\xef\xbf\xbd" "c", "a malformed byte folds as U+FFFD");
	free(fa);
	fa = util_fold("\xe2\x80\x8b ", true);
	is_str(fa, "", "an invisible name folds to nothing, not to a failure");
	free(fa);
	for (i = 0; i < NELEM(refusals); i++)
		ok((util_name_refusal(refusals[i].s) != NULL) ==
		    refusals[i].refused, "name: %s %s", refusals[i].why,
		    refusals[i].refused ? "refused" : "taken");
}

/* --- UUIDs and the random pool --- */

#define NUUIDS	10000

static int
uuid_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Every id a version 4 UUID (RFC 9562: the 13th hex digit 4, the 17th
 * 8, 9, a or b) and all NUUIDS of them distinct.
 */
static void
check_uuids(void)
{
	char	(*ids)[UTIL_UUID_LEN + 1];
	size_t	 i, badform = 0, same = 0;

	if ((ids = calloc(NUUIDS, sizeof(*ids))) == NULL) {
		ok(0, "calloc");
		return;
	}
	for (i = 0; i < NUUIDS; i++) {
		util_uuid(ids[i]);
		if (strlen(ids[i]) != UTIL_UUID_LEN || ids[i][8] != '-' ||
		    ids[i][13] != '-' || ids[i][18] != '-' ||
		    ids[i][23] != '-' || ids[i][14] != '4' ||
		    strchr("89ab", ids[i][19]) == NULL ||
		    strspn(ids[i], "0123456789abcdef-") != UTIL_UUID_LEN)
			badform++;
	}
	qsort(ids, NUUIDS, sizeof(*ids), uuid_cmp);
	for (i = 1; i < NUUIDS; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			same++;
	is_int((long long)badform, 0, "10,000 ids: version 4, variant 10, "
	    "lower-case hex");
	is_int((long long)same, 0, "10,000 ids: all distinct");
	free(ids);
}

/*
 * The pool never serves the same bytes twice: not to two draws of this
 * process, not to a forked child and its parent (each draws 32 bytes
 * after the fork, from a pool the parent had filled before it).
 */
static void
check_random_fork(void)
{
	unsigned char	 first[32], second[32], mine[32], child[32];
	unsigned char	 big[300], zero[300];
	int		 fds[2], st;
	pid_t		 pid;

	ok(util_random(first, sizeof(first)) &&
	    util_random(second, sizeof(second)) &&
	    memcmp(first, second, sizeof(first)) != 0,
	    "two draws get different bytes");
	memset(zero, 0, sizeof(zero));
	ok(util_random(big, sizeof(big)) && memcmp(big, zero, 32) != 0 &&
	    memcmp(big + 268, zero, 32) != 0,
	    "a draw larger than the pool serves is filled");
	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	if ((pid = fork()) == 0) {
		close(fds[0]);
		_exit(util_random(child, sizeof(child)) &&
		    write(fds[1], child, sizeof(child)) ==
		    (ssize_t)sizeof(child) ? 0 : 1);
	}
	close(fds[1]);
	ok(util_random(mine, sizeof(mine)), "the parent draws after a fork");
	ok(read(fds[0], child, sizeof(child)) == (ssize_t)sizeof(child),
	    "the child drew");
	waitpid(pid, &st, 0);
	close(fds[0]);
	ok(memcmp(mine, child, sizeof(mine)) != 0,
	    "a forked child and its parent draw different bytes");
}

/*
 * What util_time_format() must write, made another way (strftime(),
 * then the milliseconds), cut to sz - 1 bytes as snprintf() cuts.
 */
static void
time_reference(int64_t usec, char *buf, size_t sz)
{
	time_t		 t = (time_t)(usec / 1000000);
	struct tm	 tm;
	char		 whole[64];
	size_t		 n;

	gmtime_r(&t, &tm);
	n = strftime(whole, sizeof(whole), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(whole + n, sizeof(whole) - n, ".%03dZ",
	    (int)(usec % 1000000 / 1000));
	snprintf(buf, sz, "%s", whole);
}

/*
 * util_time_format() keeps the text of the last second it formatted:
 * each millisecond of a second, the seconds either side (forwards and
 * back), a minute, day and year turning, and the times it formats in
 * full (before 1970, past 9999, into a short buffer) all as the
 * reference writes them.
 */
static void
check_time_cache(void)
{
	static const int64_t	 at[] = { 0, 999999, 1000000, 59999999,
	    60000000, 1763808451123456LL, 1763808451999999LL,
	    1763808452000000LL, 1763808450999000LL, 1767225599999999LL,
	    1767225600000000LL, 253402300799999999LL, 253402300800000000LL,
	    253402300800123456LL, -1, -1000, -1000001, 1763808451000000LL };
	static const size_t	 sizes[] = { 64, UTIL_TIME_LEN + 1,
	    UTIL_TIME_LEN, 11, 1 };
	char			 got[64], want[64];
	size_t			 i, j, bad = 0;
	int64_t			 u;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			memset(got, 'x', sizeof(got));
			memset(want, 'x', sizeof(want));
			util_time_format(at[i], got, sizes[j]);
			time_reference(at[i], want, sizes[j]);
			if (memcmp(got, want, sizes[j]) != 0 && bad++ == 0)
				printf("# %lld (%zu bytes): got %.*s, "
				    "want %.*s\n", (long long)at[i], sizes[j],
				    (int)sizes[j], got, (int)sizes[j], want);
		}
	for (u = 1763808451000000LL; u < 1763808453000000LL; u += 997) {
		util_time_format(u, got, UTIL_TIME_LEN + 1);
		time_reference(u, want, UTIL_TIME_LEN + 1);
		if (strcmp(got, want) != 0 && bad++ == 0)
			printf("# %lld: got %s, want %s\n", (long long)u, got,
			    want);
	}
	is_int((long long)bad, 0, "time: as formatted in full, each time");
}

/* Time, UUIDs, randomness, hex, constant-time compare, case folding. */
static void
test_helpers(void)
{
	char		 buf[64], u1[UTIL_UUID_LEN + 1], u2[UTIL_UUID_LEN + 1];
	unsigned char	 bytes[3] = { 0x00, 0xab, 0xff };
	char		*low;

	util_time_format(0, buf, sizeof(buf));
	is_str(buf, "1970-01-01T00:00:00.000Z", "epoch formats as RFC 3339");
	util_time_format(1763808451123456LL, buf, sizeof(buf));
	is_str(buf, "2025-11-22T10:47:31.123Z", "milliseconds kept");
	check_time_cache();
	util_uuid(u1);
	util_uuid(u2);
	is_int((long long)strlen(u1), UTIL_UUID_LEN, "uuid length");
	ok(u1[14] == '4', "uuid is version 4");
	ok(strcmp(u1, u2) != 0, "two uuids differ");
	check_uuids();
	check_random_fork();
	util_hex(bytes, 3, buf);
	is_str(buf, "00abff", "hex encoding");
	ok(util_memeq_const("abc", "abc", 3), "memeq equal");
	ok(!util_memeq_const("abc", "abd", 3), "memeq differs at the end");
	low = util_lower("MiXeD@Ex.COM");
	is_str(low, "mixed@ex.com", "lower-casing");
	free(low);
	check_fold();
}

/* The utf8 and parse_long tables. */
static void
test_parsers(void)
{
	long	 v;
	size_t	 i;

	for (i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++)
		ok(util_utf8_valid(utf8[i].s, utf8[i].n) == utf8[i].valid,
		    "utf8: %s", utf8[i].name);
	for (i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
		v = 0;
		ok(util_parse_long(longs[i].s, longs[i].min, longs[i].max,
		    &v) == longs[i].ok && (!longs[i].ok || v == longs[i].want),
		    "parse_long \"%s\" in [%ld,%ld]", longs[i].s, longs[i].min,
		    longs[i].max);
	}
}

/* scim.conf: defaults, a valid file, unknown keys and bad values. */
static void
test_conf_file(void)
{
	struct scim_config	 cfg;
	struct scim_error	 err;

	config_defaults(&cfg);
	is_int(cfg.max_body, 1024 * 1024, "default max_body is 1 MiB");
	is_int(cfg.scrypt_n, 16384, "default scrypt N");
	is_int(cfg.max_live_tokens, 2, "default live token limit");
	is_int(conf_from("[store]\nhome = /x/y\nsync = write\n[http]\n"
	    "max_body = 2048\n[scim]\nmax_results = 50\n", &cfg, &err),
	    SCIM_OK, "a valid file loads");
	is_str(cfg.home, "/x/y", "store.home read");
	is_int(cfg.sync, STORE_SYNC_WRITE, "store.sync read");
	is_int(cfg.max_body, 2048, "http.max_body read");
	is_int(cfg.max_results, 50, "scim.max_results read");
	is_int(cfg.default_count, 100, "unset keys keep defaults");
	is_int(conf_from("[store]\nhoem = /x\n", &cfg, &err),
	    SCIM_E_INTERNAL, "an unknown key is an error");
	ok(strstr(err.detail, "hoem") != NULL, "the error names the key");
	is_int(conf_from("[store]\nsync = sometimes\n", &cfg, &err),
	    SCIM_E_INTERNAL, "a bad value is an error");
	is_int(conf_from("[store]\nmax_processes = 512\n", &cfg, &err),
	    SCIM_OK, "store.max_processes (no longer used) still loads");
	is_int(conf_from("[store]\nmax_processes = 7\n", &cfg, &err),
	    SCIM_E_INTERNAL, "store.max_processes is still checked");
	is_int(conf_from("[tokens]\nscrypt_n = 1000\n", &cfg, &err),
	    SCIM_E_INTERNAL, "scrypt_n must be a power of two");
	is_int(conf_from("[store\nhome = x\n", &cfg, &err), SCIM_E_INTERNAL,
	    "a syntax error is an error");
}

/* The keys with ranges and their defaults; a missing file. */
static void
test_conf_ranges(void)
{
	struct scim_config	 cfg;
	struct scim_error	 err;

	/* [audit] retention_days: whole days, 1 to 36500 (100 years). */
	config_defaults(&cfg);
	is_int(cfg.audit_retention_days, 365, "default retention is 365 days");
	check_key("audit", "retention_days", retention, NELEM(retention),
	    &cfg, &cfg.audit_retention_days);
	/* [store] cache_max_mb: MiB, 16 to 1 TiB. */
	config_defaults(&cfg);
	is_int(cfg.cache_max_mb, cache_max_default(),
	    "default cache_max_mb is a quarter of memory, at most 16 GiB");
	check_key("store", "cache_max_mb", cache_max, NELEM(cache_max), &cfg,
	    &cfg.cache_max_mb);
	is_int(config_load(&cfg, "/nonexistent/scim.conf", &err),
	    SCIM_E_INTERNAL, "an explicit missing file is an error");
}

/* Every kind of key in the table, each way it can go wrong. */
static void
test_conf_kinds(void)
{
	struct scim_config	 cfg;
	struct scim_error	 err;
	size_t			 i;

	for (i = 0; i < NELEM(conf_kinds); i++)
		ok(conf_from(conf_kinds[i].text, &cfg, &err) ==
		    (conf_kinds[i].ok ? SCIM_OK : SCIM_E_INTERNAL),
		    "conf \"%s\"", conf_kinds[i].text);
	is_int(conf_from("[log]\nlevel = DEBUG\nstore_ops_header = yes\n"
	    "[admin]\ntrust_remote_user = true\nsendmail = /bin/mail -t\n"
	    "mail_from = a@b.c\n[audit]\nhook = /bin/true\n"
	    "[scim]\ndefault_count = 7\n", &cfg, &err), SCIM_OK,
	    "a file with every kind of key loads");
	is_int(cfg.log_level, LOG_LVL_DEBUG, "log.level read (any case)");
	ok(cfg.store_ops_header, "log.store_ops_header read");
	ok(cfg.trust_remote_user, "admin.trust_remote_user read");
	is_str(cfg.sendmail, "/bin/mail -t", "admin.sendmail read");
	is_str(cfg.mail_from, "a@b.c", "admin.mail_from read");
	is_str(cfg.audit_hook, "/bin/true", "audit.hook read");
	is_int(cfg.default_count, 7, "scim.default_count read");
	is_int(conf_from("[log]\nstore_ops_header = no\n", &cfg, &err),
	    SCIM_OK, "store_ops_header = no loads");
	ok(!cfg.store_ops_header, "store_ops_header = no read");
}

int
main(void)
{
	test_helpers();
	test_parsers();
	test_conf_file();
	test_conf_ranges();
	test_conf_kinds();
	return tap_done();
}
