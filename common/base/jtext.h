/*
 * JSON written as text into a growing buffer, for the hot paths that
 * answer or record on every request (the activity recorder's records, a
 * user's "groups" in a GET's answer): a cJSON tree costs a malloc per
 * member and a print, which were most of those paths' cost.
 *
 * OWNS the buffer (struct jtext) and how a string is written as JSON:
 * '"' and '\\' escaped, control characters as \u00xx, bytes that are
 * not UTF-8 as '?'.  MUST NOT KNOW what is written: the callers own
 * their documents' shapes.
 *
 * A write that finds memory short sets b->oom and writes nothing more;
 * the caller checks oom once at the end.  b->p (NUL-terminated, b->len
 * bytes) is the caller's to free(); a zeroed struct jtext is empty.
 */
#ifndef SCIM_JTEXT_H
#define SCIM_JTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct jtext {
	char	*p;
	size_t	 len, cap;
	bool	 oom;
};

/* jtext_reserve()'s slow half: grow b's buffer to hold n more bytes. */
bool		 jtext_grow(struct jtext *b, size_t n);
/*
 * s as a JSON string (quoted), at most max bytes of it, cut before a
 * character; s NULL writes "".
 */
void		 jtext_str(struct jtext *b, const char *s, size_t max);
/* The decimal digits of n. */
void		 jtext_uint(struct jtext *b, unsigned long long n);
/* ,"key":n */
void		 jtext_int(struct jtext *b, const char *key, long long n);

/*
 * Room for n more bytes (and a newline and NUL) in b; false when out of
 * memory (b->oom).  Inline: a record reserves some 35 times, and the
 * buffer, kept across records, nearly always has the room.
 */
static inline bool
jtext_reserve(struct jtext *b, size_t n)
{
	if (b->len + n + 2 <= b->cap && !b->oom)	/* "\n" and NUL */
		return true;
	return jtext_grow(b, n);
}

static inline void
jtext_add(struct jtext *b, const char *s, size_t n)
{
	if (!jtext_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Inline, so that a literal's length (most calls) is found when compiling. */
static inline void
jtext_lit(struct jtext *b, const char *s)
{
	jtext_add(b, s, strlen(s));
}

/* ,"key":"s"; inline, so that a literal key's length is known. */
static inline void
jtext_field(struct jtext *b, const char *key, const char *s, size_t max)
{
	size_t	 n = strlen(key);

	if (!jtext_reserve(b, n + 4))
		return;
	b->p[b->len] = ',';
	b->p[b->len + 1] = '"';
	memcpy(b->p + b->len + 2, key, n);
	memcpy(b->p + b->len + 2 + n, "\":", 2);
	b->len += n + 4;
	jtext_str(b, s, max);
}

#endif /* SCIM_JTEXT_H */
