/*
 * Small helpers every module needs: time stamps, identifiers, randomness,
 * encodings and constant-time comparison.  No allocation unless a function
 * says so.
 *
 * Owns: these primitives.  Must not know: SCIM, the store, requests;
 * character classes and small grammars are base/lex.h's.
 */
#ifndef SCIM_UTIL_H
#define SCIM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define UTIL_UUID_LEN	36	/* "xxxxxxxx-xxxx-...", without the NUL */
#define UTIL_TIME_LEN	24	/* "2026-11-22T10:47:31.123Z" */

/* Microseconds since the epoch, from the realtime clock. */
int64_t		 util_now_usec(void);

/*
 * Format usec (microseconds since the epoch) as RFC 3339 UTC with
 * milliseconds into buf (at least UTIL_TIME_LEN + 1 bytes).
 */
void		 util_time_format(int64_t usec, char *buf, size_t sz);

/* A fresh random (v4) UUID in lower case into buf (UTIL_UUID_LEN + 1). */
void		 util_uuid(char *buf);

/*
 * Fill buf with n bytes from getrandom(2), served from a per-thread pool
 * that one call fills (each byte served once, never to a forked child);
 * false on failure.
 */
bool		 util_random(void *buf, size_t n);

/*
 * Into *gen, how many times this process image has been forked into (0
 * in the process that exec'd): a value saved before a fork differs in
 * the child.  No system call.  False (and forks go unseen) when the fork
 * handler could not be registered.
 */
bool		 util_fork_gen(unsigned long *gen);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void		 util_hex(const void *in, size_t n, char *out);

/* Compare n bytes in time independent of where they differ. */
bool		 util_memeq_const(const void *a, const void *b, size_t n);

/*
 * Copy the ASCII-lower-cased s into a new string (malloc; caller frees),
 * NULL on allocation failure.  Non-ASCII bytes are kept as they are.
 */
char		*util_lower(const char *s);

/*
 * The form under which two names are the same name: NFKC, full Unicode
 * case folding, default-ignorable code points (zero-width space, joiners,
 * soft hyphen, ...) dropped, and with trim white space cut from both
 * ends; so "Alice", "\uFF21lice" (fullwidth) and "A\u200Blice" fold alike,
 * "Jos\u00E9" in NFC and NFD too, and "\u212Aelvin" (Kelvin sign) is
 * "kelvin".  Folding a fold changes nothing.  ASCII folds to ASCII lower
 * case.  A new string (malloc; caller frees), NULL on allocation failure.
 * Malformed UTF-8 (refused by the input layer) folds as U+FFFD.
 */
char		*util_fold(const char *s, bool trim);

/*
 * Why s would be refused as a name that identifies something (userName),
 * as a phrase to follow "must not contain ": a default-ignorable code
 * point anywhere, or white space at either end; NULL when none applies.
 */
const char	*util_name_refusal(const char *s);

/* Is s[0..n) well-formed UTF-8 with no NUL byte? */
bool		 util_utf8_valid(const char *s, size_t n);

/*
 * Parse a decimal integer in [min, max] from s (whole string, optional
 * sign, no spaces); false for anything else.
 */
bool		 util_parse_long(const char *s, long min, long max, long *out);

#endif /* SCIM_UTIL_H */
