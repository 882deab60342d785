/*
 * Characters and the small grammars several modules read: ASCII classes,
 * hex digits, attribute names (RFC 7643 section 2.1), RFC 3339 date-times
 * and the "when" of a command-line or page filter.  One place for each
 * rule; the filter parser, the schema's path resolver, the resource
 * normaliser, the HTTP decoder, the admin page and scimctl all read here.
 *
 * Owns: character classes and these lexical rules, nothing else.  Must not
 * know: SCIM resources, the store, requests.  Locale-free (no <ctype.h>):
 * the same bytes mean the same thing in every process.
 */
#ifndef SCIM_LEX_H
#define SCIM_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool
lex_is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline bool
lex_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* c in lower case, ASCII only. */
static inline int
lex_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* The value of hex digit c (either case), or -1. */
int		 lex_hexval(int c);

/*
 * Is s[0..len) an ATTRNAME, ALPHA *(ALPHA / DIGIT / "-" / "_") (RFC 7643
 * section 2.1), or "$ref" in any case?
 */
bool		 lex_is_attrname(const char *s, size_t len);

/* What lex_datetime() accepts besides RFC 3339's own syntax. */
#define LEX_DT_SPACE	0x01	/* a space for the 'T' (filters, RFC 3339
				   section 5.6's note) */

/*
 * Is s a date-time "YYYY-MM-DDThh:mm:ss[.frac][Z|+hh:mm|-hh:mm]" as
 * RFC 3339 and xsd:dateTime (RFC 7643 section 2.3.5) have it?  'T' and
 * 'Z' may be lower case, a missing zone means UTC, the fraction may have
 * any number of digits (past six they are dropped), a leap second :60
 * counts as the next second; fields are range-checked, leap years
 * included.  flags: LEX_DT_*.  When it is and usec is not NULL, *usec is
 * the instant in microseconds since 1970-01-01T00:00:00Z.
 */
bool		 lex_datetime(const char *s, unsigned flags, long long *usec);

/*
 * A "when" as an operator types it in a filter of the audit log (the
 * page's boxes, scimctl's --since/--until): a date "2026-11-22", a date
 * and time "2026-11-22T10:47" or "2026-11-22 10:47:31" (UTC), an RFC 3339
 * date-time, or an age before now_usec, "90s", "30m", "24h", "7d".  A
 * date or a time without seconds covers its whole day or minute: with end
 * set, *usec is the last microsecond of it, else the first.  False for
 * anything else, dates that do not exist (2026-02-30) included.
 */
bool		 lex_when(const char *s, bool end, int64_t now_usec,
		    int64_t *usec);

#endif /* SCIM_LEX_H */
