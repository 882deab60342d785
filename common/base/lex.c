/*
 * Characters and small grammars: see lex.h.
 */
#include <stdlib.h>

#include "base/lex.h"

int
lex_hexval(int c)
{
	if (lex_is_digit(c))
		return c - '0';
	c = lex_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool
lex_is_attrname(const char *s, size_t len)
{
	size_t	 i;

	if (len == 4 && s[0] == '$' && lex_lower((unsigned char)s[1]) == 'r' &&
	    lex_lower((unsigned char)s[2]) == 'e' &&
	    lex_lower((unsigned char)s[3]) == 'f')
		return true;
	if (len == 0 || !lex_is_alpha((unsigned char)s[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!lex_is_alpha((unsigned char)s[i]) &&
		    !lex_is_digit((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return false;
	return true;
}

/* --- dates and times --- */

/* Read exactly n digits at *q into *v, advancing *q. */
static bool
lex_digits(const char **q, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!lex_is_digit((unsigned char)(*q)[i]))
			return false;
		*v = *v * 10 + ((*q)[i] - '0');
	}
	*q += n;
	return true;
}

static int
month_days(int y, int m)
{
	static const int days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static long long
days_from_civil(long long y, int m, int d)
{
	long long	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD" at *q into y, mo, d, range-checked; advances *q. */
static bool
lex_date(const char **q, int *y, int *mo, int *d)
{
	if (!lex_digits(q, 4, y) || **q != '-')
		return false;
	(*q)++;
	if (!lex_digits(q, 2, mo) || **q != '-')
		return false;
	(*q)++;
	if (!lex_digits(q, 2, d))
		return false;
	return *mo >= 1 && *mo <= 12 && *d >= 1 && *d <= month_days(*y, *mo);
}

/* ".frac" at *q (none is fine) as microseconds; advances *q. */
static bool
lex_fraction(const char **q, long long *frac)
{
	int	 nd = 0;

	*frac = 0;
	if (**q != '.')
		return true;
	(*q)++;
	if (!lex_is_digit((unsigned char)**q))
		return false;
	for (; lex_is_digit((unsigned char)**q); (*q)++)
		if (nd < 6) {
			*frac = *frac * 10 + (**q - '0');
			nd++;
		}
	for (; nd < 6; nd++)
		*frac *= 10;
	return true;
}

/* "Z", "+hh:mm", "-hh:mm" or nothing at *q as seconds east of UTC. */
static bool
lex_zone(const char **q, long long *east)
{
	int	 sign, oh, om;

	*east = 0;
	if (**q == 'Z' || **q == 'z') {
		(*q)++;
		return true;
	}
	if (**q != '+' && **q != '-')
		return true;
	sign = **q == '-' ? -1 : 1;
	(*q)++;
	if (!lex_digits(q, 2, &oh) || **q != ':')
		return false;
	(*q)++;
	if (!lex_digits(q, 2, &om) || oh > 23 || om > 59)
		return false;
	*east = sign * (oh * 3600LL + om * 60LL);
	return true;
}

bool
lex_datetime(const char *s, unsigned flags, long long *usec)
{
	const char	*q = s;
	int		 y, mo, d, h, mi, sec;
	long long	 frac, east;

	if (s == NULL || !lex_date(&q, &y, &mo, &d))
		return false;
	if (*q != 'T' && *q != 't' && !(*q == ' ' && (flags & LEX_DT_SPACE)))
		return false;
	q++;
	if (!lex_digits(&q, 2, &h) || *q != ':')
		return false;
	q++;
	if (!lex_digits(&q, 2, &mi) || *q != ':')
		return false;
	q++;
	if (!lex_digits(&q, 2, &sec) || h > 23 || mi > 59 || sec > 60)
		return false;
	if (!lex_fraction(&q, &frac) || !lex_zone(&q, &east) || *q != '\0')
		return false;
	if (usec != NULL)
		*usec = (days_from_civil(y, mo, d) * 86400LL + h * 3600LL +
		    mi * 60LL + sec - east) * 1000000LL + frac;
	return true;
}

/* An age "90s", "30m", "24h", "7d" before now_usec. */
static bool
lex_age(const char *s, int64_t now_usec, int64_t *usec)
{
	char		*end;
	long		 n;
	int64_t		 unit;

	if (!lex_is_digit((unsigned char)*s))
		return false;
	n = strtol(s, &end, 10);
	if (n < 0 || n > 100L * 365 * 86400 || end[0] == '\0' ||
	    end[1] != '\0')
		return false;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return false;
	}
	*usec = now_usec - (int64_t)n * unit * 1000000;
	return true;
}

bool
lex_when(const char *s, bool end, int64_t now_usec, int64_t *usec)
{
	const char	*q = s;
	int		 y, mo, d, h = 0, mi = 0, sec = 0;
	long long	 span = 86400, t;

	if (s == NULL)
		return false;
	if (lex_age(s, now_usec, usec))
		return true;
	if (!lex_date(&q, &y, &mo, &d) || y < 1970)
		return false;
	if (*q == 'T' || *q == 't' || *q == ' ') {
		q++;
		if (!lex_digits(&q, 2, &h) || *q != ':')
			return false;
		q++;
		if (!lex_digits(&q, 2, &mi) || h > 23 || mi > 59)
			return false;
		span = 60;
		if (*q == ':') {
			q++;
			if (!lex_digits(&q, 2, &sec) || sec > 59)
				return false;
			span = 1;
		}
	}
	if (*q != '\0') {
		/* a zone or a fraction: a full RFC 3339 date-time */
		if (!lex_datetime(s, LEX_DT_SPACE, &t))
			return false;
		*usec = t;
		return true;
	}
	t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec;
	*usec = (t + (end ? span : 0)) * 1000000LL - (end ? 1 : 0);
	return true;
}
