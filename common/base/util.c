/*
 * Small helpers: time stamps, identifiers, randomness, encodings.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <unistr.h>
#include <uuid/uuid.h>

#include "base/util.h"

int64_t
util_now_usec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
util_time_format(int64_t usec, char *buf, size_t sz)
{
	time_t		 t = (time_t)(usec / 1000000);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(usec % 1000000 / 1000));
}

void
util_uuid(char *buf)
{
	uuid_t	 u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, buf);
}

bool
util_random(void *buf, size_t n)
{
	unsigned char	*p = buf;
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
