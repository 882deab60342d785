/*
 * Small helpers: time stamps, identifiers, randomness, encodings.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>
#include <uuid/uuid.h>

#include "base/lex.h"
#include "base/util.h"

int64_t
util_now_usec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* util_time_format() by gmtime_r() and snprintf(), for any time. */
static void
time_format_full(int64_t usec, char *buf, size_t sz)
{
	time_t		 t = (time_t)(usec / 1000000);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(usec % 1000000 / 1000));
}

/*
 * A POST formats the time twice (meta, the activity record), and
 * gmtime_r() with snprintf() cost 3.7k instructions a call: the text of
 * the last second formatted is kept (per thread) and only the
 * milliseconds written into it.  Times before 1970 or past year 9999, and
 * short buffers, are formatted in full every time.
 */
void
util_time_format(int64_t usec, char *buf, size_t sz)
{
	static _Thread_local char	 sec_text[UTIL_TIME_LEN + 1];
	static _Thread_local int64_t	 sec_of = -1;
	char				 full[64];
	int64_t				 sec = usec / 1000000;
	int				 ms = (int)(usec % 1000000 / 1000);

	if (usec < 0 || sz < sizeof(sec_text)) {
		time_format_full(usec, buf, sz);
		return;
	}
	if (sec != sec_of) {
		time_format_full(usec, full, sizeof(full));
		if (strlen(full) != UTIL_TIME_LEN) {	/* past 9999 */
			time_format_full(usec, buf, sz);
			return;
		}
		memcpy(sec_text, full, sizeof(sec_text));
		sec_of = sec;
	}
	memcpy(buf, sec_text, sizeof(sec_text));
	/* "...:SS.mmmZ" */
	buf[UTIL_TIME_LEN - 4] = (char)('0' + ms / 100);
	buf[UTIL_TIME_LEN - 3] = (char)('0' + ms / 10 % 10);
	buf[UTIL_TIME_LEN - 2] = (char)('0' + ms % 10);
}

/*
 * Randomness is served from a pool that one getrandom(2) fills: a durable
 * POST called getrandom(2) three times (its id, two draws of the audit
 * record) and libuuid's uuid_generate_random() added getpid, getuid,
 * getpid, getppid and gettid for its own fallback: 8 of the 26 system
 * calls it made.  The bytes are still the kernel's, each served once and
 * wiped from the pool as it is served.  The pool is per thread (no lock;
 * scim-repd's repmgr threads never draw), and a forked child starts with
 * an empty one (util_forked(), registered before the first fill), so a
 * child never serves what its parent has or will.  Requests larger than
 * RANDOM_DIRECT bytes go straight to getrandom(2), never through the
 * pool; so does everything if the fork handler cannot be registered.
 */
#define RANDOM_POOL	512	/* bytes per refill */
#define RANDOM_DIRECT	128	/* larger requests skip the pool */

static _Thread_local struct {
	unsigned char	 buf[RANDOM_POOL];
	size_t		 left;		/* unserved: the last left bytes */
} random_pool;
static pthread_once_t	 util_fork_once = PTHREAD_ONCE_INIT;
static bool		 util_fork_tracked;	/* the handler is in */
static unsigned long	 util_fork_count;	/* forks since exec */

/* pthread_atfork() child handler: nothing of the parent's is served. */
static void
util_forked(void)
{
	explicit_bzero(random_pool.buf, sizeof(random_pool.buf));
	random_pool.left = 0;
	util_fork_count++;
}

static void
util_fork_register(void)
{
	util_fork_tracked = pthread_atfork(NULL, NULL, util_forked) == 0;
}

bool
util_fork_gen(unsigned long *gen)
{
	pthread_once(&util_fork_once, util_fork_register);
	*gen = util_fork_count;
	return util_fork_tracked;
}

/* getrandom(2) n bytes into p, retrying short reads and EINTR. */
static bool
util_getrandom(unsigned char *p, size_t n)
{
	ssize_t		 got;

	while (n > 0) {
		got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += got;
		n -= (size_t)got;
	}
	return true;
}

bool
util_random(void *buf, size_t n)
{
	unsigned char	*from;
	unsigned long	 gen;

	if (n > RANDOM_DIRECT || (random_pool.left < n &&
	    !util_fork_gen(&gen)))
		return util_getrandom(buf, n);
	if (random_pool.left < n) {
		explicit_bzero(random_pool.buf, sizeof(random_pool.buf));
		random_pool.left = 0;
		if (!util_getrandom(random_pool.buf, sizeof(random_pool.buf)))
			return false;
		random_pool.left = sizeof(random_pool.buf);
	}
	from = random_pool.buf + sizeof(random_pool.buf) - random_pool.left;
	memcpy(buf, from, n);
	explicit_bzero(from, n);
	random_pool.left -= n;
	return true;
}

/*
 * A version-4 UUID (RFC 9562 section 5.4): 122 bits from util_random(),
 * the version nibble 0100 and the variant bits 10.  Should getrandom(2)
 * fail, libuuid's own generator (which has a fallback) makes it.
 */
void
util_uuid(char *buf)
{
	uuid_t	 u;

	if (util_random(u, sizeof(u))) {
		u[6] = (u[6] & 0x0f) | 0x40;
		u[8] = (u[8] & 0x3f) | 0x80;
	} else
		uuid_generate_random(u);
	uuid_unparse_lower(u, buf);
}

void
util_hex(const void *in, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*p = in;
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

bool
util_memeq_const(const void *a, const void *b, size_t n)
{
	const volatile unsigned char	*x = a, *y = b;
	unsigned char			 diff = 0;
	size_t				 i;

	for (i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

char *
util_lower(const char *s)
{
	size_t	 i, n = strlen(s);
	char	*out;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	return out;
}

#define FOLD_ROUNDS	4	/* folds of a fold, until it stands still */

/*
 * One round of util_fold(): default-ignorable code points dropped (and
 * malformed bytes read as U+FFFD), then
 * NFKC and full case folding (u8_casefold), then, when trim, white space
 * cut from both ends.  A new string (malloc), NULL on allocation failure.
 */
static char *
fold_round(const char *s, bool trim)
{
	const uint8_t	*p = (const uint8_t *)s, *end = p + strlen(s);
	const uint8_t	*a, *b, *q;
	uint8_t		*kept, *out;
	size_t		 klen = 0, olen = 0;
	ucs4_t		 cp;
	int		 n;

	/* Re-encoded: a malformed byte (1) becomes U+FFFD (3). */
	if ((kept = malloc(3 * (size_t)(end - p) + 1)) == NULL)
		return NULL;
	while (p < end) {
		p += u8_mbtouc(&cp, p, (size_t)(end - p));
		if (!uc_is_property_default_ignorable_code_point(cp) &&
		    (n = u8_uctomb(kept + klen, cp, 4)) > 0)
			klen += (size_t)n;
	}
	out = u8_casefold(kept, klen, NULL, UNINORM_NFKC, NULL, &olen);
	free(kept);
	if (out == NULL)
		return NULL;
	a = out;
	b = out + olen;
	/* White space at either end (NFKC made the wide ones U+0020). */
	while (trim && a < b && (n = u8_mbtouc(&cp, a, (size_t)(b - a))) > 0 &&
	    uc_is_property_white_space(cp))
		a += n;
	while (trim && a < b && (q = u8_prev(&cp, b, a)) != NULL &&
	    uc_is_property_white_space(cp))
		b = q;
	if ((kept = malloc((size_t)(b - a) + 1)) != NULL) {
		memcpy(kept, a, (size_t)(b - a));
		kept[b - a] = '\0';
	}
	free(out);
	return (char *)kept;
}

/*
 * Folding again may still change a string (a case fold that composes
 * anew under NFKC): fold until it stands still, so that the fold of a
 * fold is itself and an index key never lands where it would be folded
 * once more.
 */
/*
 * util_fold() of an ASCII string, or NULL with *ascii false when s is
 * not ASCII.  Within ASCII, NFKC changes nothing, the full case fold is
 * lower case, no code point is default-ignorable and the white space is
 * U+0009 to U+000D and U+0020: the same result as fold_round(), without
 * its two conversions and allocations (4.4 us against some 50 ns for a
 * 23-byte userName; every filter on userName and every name index key
 * folds one).
 */
static char *
fold_ascii(const char *s, bool trim, bool *ascii)
{
	const char	*a = s, *b;
	char		*out;
	size_t		 i, n;

	for (b = s; *b != '\0'; b++)
		if ((unsigned char)*b >= 0x80) {
			*ascii = false;
			return NULL;
		}
	*ascii = true;
	while (trim && a < b && (*a == ' ' || (*a >= '\t' && *a <= '\r')))
		a++;
	while (trim && b > a && (b[-1] == ' ' ||
	    (b[-1] >= '\t' && b[-1] <= '\r')))
		b--;
	n = (size_t)(b - a);
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		out[i] = (char)lex_lower((unsigned char)a[i]);
	out[n] = '\0';
	return out;
}

char *
util_fold(const char *s, bool trim)
{
	char	*f, *g;
	bool	 ascii;
	int	 i;

	if ((f = fold_ascii(s, trim, &ascii)) != NULL || ascii)
		return f;
	if ((f = fold_round(s, trim)) == NULL)
		return NULL;
	for (i = 1; i < FOLD_ROUNDS; i++) {
		if ((g = fold_round(f, trim)) == NULL) {
			free(f);
			return NULL;
		}
		if (strcmp(f, g) == 0) {
			free(g);
			break;
		}
		free(f);
		f = g;
	}
	return f;
}

const char *
util_name_refusal(const char *s)
{
	const uint8_t	*p = (const uint8_t *)s, *end = p + strlen(s);
	ucs4_t		 cp;
	bool		 first = true;

	while (p < end) {
		p += u8_mbtouc(&cp, p, (size_t)(end - p));
		if (uc_is_property_default_ignorable_code_point(cp))
			return "an invisible (default-ignorable) character "
			    "such as a zero-width space or joiner";
		if (uc_is_property_white_space(cp) && (first || p == end))
			return "white space at its start or end";
		first = false;
	}
	return NULL;
}

/*
 * u8_check() holds to RFC 3629 (no overlong forms, no surrogates, nothing
 * past U+10FFFF) but takes U+0000 as a character: NUL is refused here.
 */
bool
util_utf8_valid(const char *s, size_t n)
{
	return memchr(s, '\0', n) == NULL &&
	    u8_check((const uint8_t *)s, n) == NULL;
}

bool
util_parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}
