/*
 * Unit tests for base/lex.c, table-driven: hex digits, attribute names,
 * RFC 3339 date-times (with and without the space separator) and the
 * "when" of audit filters (dates, minutes, seconds, ages, full
 * date-times; the end of a span).
 */
#include <stdio.h>
#include <string.h>

#include "base/lex.h"
#include "tap.h"

static const struct {
	const char	*s;
	bool		 ok;
} names[] = {
	{ "userName", true }, { "a", true }, { "a-b_c9", true },
	{ "$ref", true }, { "$REF", true }, { "", false }, { "9a", false },
	{ "-a", false }, { "a.b", false }, { "a b", false }, { "$re", false },
};

static const struct {
	const char	*s;
	unsigned	 flags;
	bool		 ok;
	long long	 usec;
} dts[] = {
	{ "1970-01-01T00:00:00Z", 0, true, 0 },
	{ "2026-11-22T10:47:31.123Z", 0, true, 1795344451123000LL },
	{ "2026-11-22t10:47:31.123z", 0, true, 1795344451123000LL },
	{ "2026-11-22T10:47:31.1234567Z", 0, true, 1795344451123456LL },
	{ "2026-11-22T10:47:31", 0, true, 1795344451000000LL },
	{ "2026-11-22T12:47:31+02:00", 0, true, 1795344451000000LL },
	{ "2026-11-22 10:47:31Z", 0, false, 0 },
	{ "2026-11-22 10:47:31Z", LEX_DT_SPACE, true, 1795344451000000LL },
	{ "2024-02-29T00:00:00Z", 0, true, 1709164800000000LL },
	{ "2026-02-29T00:00:00Z", 0, false, 0 },
	{ "2026-13-01T00:00:00Z", 0, false, 0 },
	{ "2026-11-22T24:00:00Z", 0, false, 0 },
	{ "2026-11-22T10:47:31.Z", 0, false, 0 },
	{ "2026-11-22T10:47:31+2:00", 0, false, 0 },
	{ "2026-11-22T10:47:31Zx", 0, false, 0 },
	{ "2026-11-22", 0, false, 0 },
};

#define NOW	1795344451000000LL	/* 2026-11-22T10:47:31Z */

static const struct {
	const char	*s;
	bool		 end;
	bool		 ok;
	long long	 usec;
} whens[] = {
	{ "2026-11-22", false, true, 1795305600000000LL },
	{ "2026-11-22", true, true, 1795391999999999LL },
	{ "2026-11-22T10:47", false, true, 1795344420000000LL },
	{ "2026-11-22 10:47", true, true, 1795344479999999LL },
	{ "2026-11-22T10:47:31", true, true, 1795344451999999LL },
	{ "2026-11-22T10:47:31Z", true, true, 1795344451000000LL },
	{ "2026-11-22T12:47:31+02:00", false, true, 1795344451000000LL },
	{ "90s", false, true, NOW - 90000000LL },
	{ "7d", false, true, NOW - 7 * 86400000000LL },
	{ "7w", false, false, 0 },
	{ "-7d", false, false, 0 },
	{ "d", false, false, 0 },
	{ "2026-02-30", false, false, 0 },
	{ "1969-12-31", false, false, 0 },
	{ "2026-11-22T10", false, false, 0 },
	{ "2026-11-22T10:47:61", false, false, 0 },
	{ "yesterday", false, false, 0 },
	{ "", false, false, 0 },
};

int
main(void)
{
	long long	 us;
	int64_t		 w;
	size_t		 i;
	bool		 got;

	is_int(lex_hexval('0'), 0, "hex 0");
	is_int(lex_hexval('a'), 10, "hex a");
	is_int(lex_hexval('F'), 15, "hex F");
	is_int(lex_hexval('g'), -1, "hex g");
	is_int(lex_hexval('/'), -1, "hex /");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ok(lex_is_attrname(names[i].s, strlen(names[i].s)) ==
		    names[i].ok, "attrname \"%s\" %s", names[i].s,
		    names[i].ok ? "accepted" : "refused");
	for (i = 0; i < sizeof(dts) / sizeof(dts[0]); i++) {
		us = -1;
		got = lex_datetime(dts[i].s, dts[i].flags, &us);
		ok(got == dts[i].ok, "datetime \"%s\" flags %u %s", dts[i].s,
		    dts[i].flags, dts[i].ok ? "accepted" : "refused");
		if (got && dts[i].ok)
			is_int(us, dts[i].usec, dts[i].s);
	}
	ok(!lex_datetime(NULL, 0, &us), "datetime NULL refused");
	ok(lex_datetime("2026-11-22T10:47:31Z", 0, NULL), "datetime check only");
	for (i = 0; i < sizeof(whens) / sizeof(whens[0]); i++) {
		w = -1;
		got = lex_when(whens[i].s, whens[i].end, NOW, &w);
		ok(got == whens[i].ok, "when \"%s\" end %d %s", whens[i].s,
		    whens[i].end, whens[i].ok ? "accepted" : "refused");
		if (got && whens[i].ok)
			is_int(w, whens[i].usec, whens[i].s);
	}
	return tap_done();
}
