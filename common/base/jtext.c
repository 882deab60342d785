/*
 * JSON written as text (see jtext.h): the buffer's growth, and strings
 * and numbers written a word or a digit at a time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/jtext.h"

/* jtext_reserve()'s slow half: grow b's buffer to hold n more bytes. */
bool
jtext_grow(struct jtext *b, size_t n)
{
	char	*np;
	size_t	 cap;

	if (b->oom)
		return false;
	cap = b->cap ? b->cap : 1024;
	while (b->len + n + 2 > cap)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL) {
		b->oom = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t	 n, i;

	if (s[0] < 0x80)
		return 1;
	n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 :
	    s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * The bytes that go into a JSON string as they are: ASCII, not a control
 * character, not '"' or '\\'.  A table, so that a run of them (most of
 * a record) is found with one load and test a byte and copied at once.
 */
static const unsigned char jstr_plain[256] = {
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* 00 */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* 10 */
	1,1,0,1,1,1,1,1,1,1,1,1,1,1,1,1,	/* 20 */
	1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,	/* 30 */
	1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,	/* 40 */
	1,1,1,1,1,1,1,1,1,1,1,1,0,1,1,1,	/* 50 */
	1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,	/* 60 */
	1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,	/* 70 */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* 80 */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* 90 */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* a0 */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* b0 */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* c0 */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* d0 */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* e0 */
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,	/* f0 */
};

/*
 * Are the eight bytes of w all plain (jstr_plain)?  Each test is exact as
 * a yes or no: (v - 1 in each byte) & ~v & 0x80s finds a zero byte of v,
 * (w - 0x20s) & ~w & 0x80s a byte below 0x20, w & 0x80s a byte above
 * ASCII; '"' and '\\' are the zero bytes of w xor them.
 */
static inline bool
jstr_word_plain(uint64_t w)
{
	const uint64_t	 ones = 0x0101010101010101ULL, tops = 0x80 * ones;
	uint64_t	 q = w ^ ('"' * ones), b = w ^ ('\\' * ones);

	return (((w - 0x20 * ones) & ~w) | w | ((q - ones) & ~q) |
	    ((b - ones) & ~b)) & tops ? false : true;
}

/*
 * s as a JSON string, at most max bytes of it (cut before a character),
 * control characters escaped and bytes that are not UTF-8 replaced by
 * '?' (a request's headers reach the recorder unchecked).
 */
void
jtext_str(struct jtext *b, const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)(s ? s : "");
	const unsigned char	*end, *run;
	uint64_t		 w;
	size_t			 n;
	char			*o;
	static const char	 hex[] = "0123456789abcdef";

	/* Each byte kept counts against max, however it is written. */
	end = p + strnlen((const char *)p, max);
	/* Each byte kept may take 6 ("\u00xx"), and the quotes 2. */
	if (!jtext_reserve(b, 6 * (size_t)(end - p) + 2))
		return;
	o = b->p + b->len;
	*o++ = '"';
	while (p < end) {
		for (run = p; (size_t)(end - p) >= 8; p += 8) {
			memcpy(&w, p, 8);
			if (!jstr_word_plain(w))
				break;
		}
		for (; p < end && jstr_plain[*p]; p++)
			continue;
		memcpy(o, run, (size_t)(p - run));
		o += p - run;
		if (p == end)
			break;
		if (*p >= 0x80) {
			/* Its NUL stops utf8_len(): no read past the string. */
			if ((n = utf8_len(p)) == 0) {
				*o++ = '?';
				p++;
				continue;
			}
			if (n > (size_t)(end - p))
				break;	/* a character max would cut */
			memcpy(o, p, n);
			o += n;
			p += n;
		} else if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p++;
		} else {
			memcpy(o, "\\u00", 4);
			o[4] = hex[*p >> 4];
			o[5] = hex[*p & 0xf];
			o += 6;
			p++;
		}
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->p);
}

/* The decimal digits of n (>= 0), written in place. */
void
jtext_uint(struct jtext *b, unsigned long long n)
{
	char	 num[24], *p = num + sizeof(num);
	size_t	 len;

	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	len = (size_t)(num + sizeof(num) - p);
	if (!jtext_reserve(b, len))
		return;
	while (p < num + sizeof(num))		/* a few digits: no call */
		b->p[b->len++] = *p++;
	b->p[b->len] = '\0';
}

/* ,"key":n */
void
jtext_int(struct jtext *b, const char *key, long long n)
{
	jtext_lit(b, ",\"");
	jtext_lit(b, key);
	jtext_lit(b, n < 0 ? "\":-" : "\":");
	jtext_uint(b, n < 0 ? 0ULL - (unsigned long long)n :
	    (unsigned long long)n);
}

