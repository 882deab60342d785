/*
 * Unit tests for the helpers of common/scim/filter.c that the PATCH
 * engine and the store's planner use: filter_eq_hint (what to create from
 * the eq terms), filter_parse_sub (value filters parsed alone and matched
 * on one element), filter_parse_datetime and filter_compare.  Each is
 * driven by a table; a failing row reports its own line.  The grammar and
 * its evaluation over resources are in test_filter.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/filter.h"
#include "scim/schema.h"
#include "tap.h"

#define ERR	"!invalidFilter"	/* as in test_filter.c */
#define U	(&rt_user)
#define G	(&rt_group)
static void
test_eq_hint(void)
{
	static const struct {
		int				 line;
		const struct resource_type	*rt;
		const char			*filter;
		const char			*attr;
		const char			*want;
	} t[] = {
		{ __LINE__, U, "userName eq \"Bob\"", "userName", "Bob" },
		{ __LINE__, U, "USERNAME eq \"Bob\"", "userName", "Bob" },
		{ __LINE__, U, "userName eq \"a\" and active eq true",
		  "userName", "a" },
		{ __LINE__, U, "active eq true and (externalId eq \"x\" and "
		  "id eq \"y\")", "id", "y" },
		{ __LINE__, U, "active eq true and (externalId eq \"x\" or "
		  "id eq \"y\")", "id", NULL },
		{ __LINE__, U, "userName eq \"a\" or userName eq \"b\"",
		  "userName", NULL },
		{ __LINE__, U, "not (userName eq \"a\")", "userName", NULL },
		{ __LINE__, U, "userName ne \"a\"", "userName", NULL },
		{ __LINE__, U, "userName co \"a\"", "userName", NULL },
		{ __LINE__, U, "userName eq null", "userName", NULL },
		{ __LINE__, U, "name.givenName eq \"a\"", "name", NULL },
		{ __LINE__, U, "externalId eq 12345", "externalId", "12345" },
		{ __LINE__, U, "externalId eq \"a\\\"b\"", "externalId",
		  "a\"b" },
		{ __LINE__, U, "userName eq \"a\"", "externalId", NULL },
		{ __LINE__, U, "id eq \"x\" and manager eq \"y\"", "id", "x" },
		{ __LINE__, U, "id eq \"x\" and manager eq \"y\"", "manager",
		  NULL },
		{ __LINE__, U, "emails[type eq \"work\"]", "emails", NULL },
		{ __LINE__, U, "urn:ietf:params:scim:schemas:core:2.0:User:"
		  "userName eq \"z\"", "userName", "z" },
		{ __LINE__, U, "DisplayName eq \"BobIsAmazing\"",
		  "displayName", "BobIsAmazing" },
		{ __LINE__, G, "displayName eq \"Admins\" and members eq "
		  "\"u1\"", "displayName", "Admins" },
		{ __LINE__, G, "id eq \"g\" and members eq \"u\"", "members",
		  "u" },
	};
	struct filter		*f;
	struct scim_error	 err;
	enum scim_err		 rc;
	size_t			 i;
	char			 name[200];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		f = NULL;
		rc = filter_parse(t[i].filter, t[i].rt, &f, &err);
		snprintf(name, sizeof(name), "eq_hint(%s, %s)", t[i].filter,
		    t[i].attr);
		tap_is_str(rc == SCIM_OK ? filter_eq_hint(f, t[i].attr) :
		    "parse error", t[i].want, t[i].line, name);
		filter_free(f);
	}
}

/*
 * Each value filter parsed alone (filter_parse_sub()) and matched on one
 * element.
 */
struct sub_row {
	int		 line;
	const char	*parent;	/* User attribute, or NULL */
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	const char	*element;	/* JSON */
	const char	*want;		/* "1", "0" or ERR */
};

static const struct sub_row sub_rows[] = {
	{ __LINE__, "emails", "type eq \"work\"", 0,
	  "{\"type\":\"work\",\"value\":\"a@b\"}", "1" },
	{ __LINE__, "emails", "Type eq \"WORK\" and primary eq true", 0,
	  "{\"type\":\"work\",\"primary\":true}", "1" },
	{ __LINE__, "emails", "type eq \"work\" and primary eq true", 0,
	  "{\"type\":\"work\"}", "0" },
	{ __LINE__, "emails", "value ew \".org\"", 0,
	  "{\"value\":\"x@y.ORG\"}", "1" },
	{ __LINE__, "emails", "type eq \"work\"]", 14,
	  "{\"type\":\"work\"}", "1" },
	{ __LINE__, "emails", "type eq \"home\"", 0,
	  "{\"type\":\"work\"}", "0" },
	{ __LINE__, "emails", "primary eq \"True\"", 0,
	  "{\"primary\":\"true\"}", "1" },
	/* A stored boolean may be a string in any case, not more. */
	{ __LINE__, "emails", "primary eq true", 0,
	  "{\"primary\":\"TrUe\"}", "1" },
	{ __LINE__, "emails", "primary eq false", 0,
	  "{\"primary\":\"FALSE\"}", "1" },
	{ __LINE__, "emails", "primary eq true", 0,
	  "{\"primary\":\"yes\"}", "0" },
	{ __LINE__, "emails", "primary eq true", 0,
	  "{\"primary\":1}", "0" },
	{ __LINE__, NULL, "value eq \"u1\"", 0, "\"u1\"", "1" },
	{ __LINE__, NULL, "value eq \"U1\"", 0, "{\"value\":\"u1\"}",
	  "1" },
	{ __LINE__, "emails", "type eq", 0, "{}", ERR },
	{ __LINE__, "emails", "x[y eq 1]", 0, "{}", ERR },
	{ __LINE__, "emails", "primary gt 1", 0, "{}", ERR },
	{ __LINE__, "emails", "emails.type eq \"work\"", 0, "{}", ERR },
	{ __LINE__, "emails", "", 0, "{}", ERR },
};

/* filter_parse_sub: value filters as the PATCH engine uses them. */
static void
test_sub(void)
{
	const struct sub_row		*r;
	const struct schema_attr	*parent;
	struct filter			*f;
	struct scim_error		 err;
	enum scim_err			 rc;
	cJSON				*e;
	size_t				 i, len;
	char				 name[200];
	const char			*got;

	for (i = 0; i < sizeof(sub_rows) / sizeof(sub_rows[0]); i++) {
		r = &sub_rows[i];
		parent = r->parent != NULL ?
		    schema_find(&schema_user, r->parent) : NULL;
		len = r->len != 0 ? r->len : strlen(r->text);
		f = NULL;
		memset(&err, 0, sizeof(err));
		rc = filter_parse_sub(r->text, len, U, parent, &f, &err);
		e = cJSON_Parse(r->element);
		if (rc == SCIM_E_INVALID_FILTER && f == NULL)
			got = ERR;
		else if (rc != SCIM_OK)
			got = err.detail;
		else
			got = filter_match(f, e) ? "1" : "0";
		snprintf(name, sizeof(name), "parse_sub(%s, %.*s) on %s",
		    r->parent != NULL ? r->parent : "NULL", (int)len,
		    r->text, r->element);
		tap_is_str(got, r->want, r->line, name);
		cJSON_Delete(e);
		filter_free(f);
	}
}

/* The PATCH engine learns what to create from the eq terms. */
static void
test_sub_eq_hint(void)
{
	const struct schema_attr	*parent;
	struct filter			*f;
	struct scim_error		 err;
	enum scim_err			 rc;
	const char			*text;

	parent = schema_find(&schema_user, "emails");
	f = NULL;
	text = "type eq \"work\" and primary eq true";
	rc = filter_parse_sub(text, strlen(text), U, parent, &f, &err);
	is_int(rc, SCIM_OK, "parse_sub for eq_hint");
	is_str(filter_eq_hint(f, "type"), "work", "sub eq_hint(type)");
	is_str(filter_eq_hint(f, "value"), NULL, "sub eq_hint(value)");
	filter_free(f);
}

static void
test_datetime(void)
{
	static const struct {
		int		 line;
		const char	*s;
		int		 ok;
		long long	 usec;
	} t[] = {
		{ __LINE__, "1970-01-01T00:00:00Z", 1, 0 },
		{ __LINE__, "1970-01-01T00:00:00.000001Z", 1, 1 },
		{ __LINE__, "1969-12-31T23:59:59Z", 1, -1000000 },
		{ __LINE__, "2015-10-10T14:38:21.8617979-07:00", 1,
		  1444513101861797LL },
		{ __LINE__, "2015-10-10T21:38:21.861797Z", 1,
		  1444513101861797LL },
		{ __LINE__, "2015-10-10T21:38:21.86179799999999Z", 1,
		  1444513101861797LL },
		{ __LINE__, "2015-10-10T21:38:21.8617+00:00", 1,
		  1444513101861700LL },
		{ __LINE__, "2000-02-29T12:00:00+05:30", 1, 951805800000000LL },
		{ __LINE__, "2015-10-10 14:38:21z", 1, 1444487901000000LL },
		{ __LINE__, "2015-10-10t14:38:21", 1, 1444487901000000LL },
		{ __LINE__, "2015-10-10T14:38:21.123456789-00:00", 1,
		  1444487901123456LL },
		{ __LINE__, "2016-12-31T23:59:60Z", 1, 1483228800000000LL },
		{ __LINE__, "9999-12-31T23:59:59Z", 1, 253402300799000000LL },
		{ __LINE__, "0001-01-01T00:00:00Z", 1, -62135596800000000LL },
		{ __LINE__, "2001-02-29T12:00:00Z", 0, 0 },
		{ __LINE__, "1900-02-29T12:00:00Z", 0, 0 },
		{ __LINE__, "2015-13-01T00:00:00Z", 0, 0 },
		{ __LINE__, "2015-00-01T00:00:00Z", 0, 0 },
		{ __LINE__, "2015-04-31T00:00:00Z", 0, 0 },
		{ __LINE__, "2015-10-10T24:00:00Z", 0, 0 },
		{ __LINE__, "2015-10-10T23:60:00Z", 0, 0 },
		{ __LINE__, "2015-10-10T23:59:61Z", 0, 0 },
		{ __LINE__, "2015-10-10T14:38Z", 0, 0 },
		{ __LINE__, "2015-10-10", 0, 0 },
		{ __LINE__, "2015-10-10T14:38:21.Z", 0, 0 },
		{ __LINE__, "2015-10-10T14:38:21+0700", 0, 0 },
		{ __LINE__, "2015-10-10T14:38:21+24:00", 0, 0 },
		{ __LINE__, "2015-10-10T14:38:21+07:60", 0, 0 },
		{ __LINE__, "2015-10-10T14:38:21Zjunk", 0, 0 },
		{ __LINE__, "15-10-10T14:38:21Z", 0, 0 },
		{ __LINE__, "2015-1-10T14:38:21Z", 0, 0 },
		{ __LINE__, "2015-10-10X14:38:21Z", 0, 0 },
		{ __LINE__, " 2015-10-10T14:38:21Z", 0, 0 },
		{ __LINE__, "", 0, 0 },
	};
	long long	 us;
	size_t		 i;
	char		 name[100];
	bool		 ok;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		us = 42;
		ok = filter_parse_datetime(t[i].s, &us);
		snprintf(name, sizeof(name), "datetime \"%s\"", t[i].s);
		if (t[i].ok)
			tap_is_int(ok ? us : -42, t[i].usec, t[i].line, name);
		else
			tap_ok(!ok && us == 42, t[i].line, "%s rejected", name);
	}
	ok = filter_parse_datetime(NULL, &us);
	ok(!ok, "datetime NULL rejected");
}

static void
test_compare(void)
{
	static const struct {
		int		 line;
		const char	*a, *b;		/* JSON, or NULL */
		enum attr_type	 t;
		bool		 exact;
		int		 want;		/* sign */
	} t[] = {
		{ __LINE__, "\"abc\"", "\"ABD\"", ATTR_STRING, false, -1 },
		{ __LINE__, "\"abc\"", "\"ABC\"", ATTR_STRING, false, 0 },
		{ __LINE__, "\"a\"", "\"B\"", ATTR_STRING, true, 1 },
		{ __LINE__, "\"2015-10-10T14:38:21-07:00\"",
		  "\"2015-10-10T20:38:21Z\"", ATTR_DATETIME, false, 1 },
		{ __LINE__, "\"2015-10-10T14:38:21-07:00\"",
		  "\"2015-10-10T21:38:21.000Z\"", ATTR_DATETIME, false, 0 },
		{ __LINE__, "2", "10", ATTR_INTEGER, false, -1 },
		{ __LINE__, "\"2\"", "\"10\"", ATTR_STRING, false, 1 },
		{ __LINE__, "1.5", "\"1.25\"", ATTR_DECIMAL, false, 1 },
		{ __LINE__, "false", "true", ATTR_BOOLEAN, false, -1 },
		{ __LINE__, NULL, "\"a\"", ATTR_STRING, false, 1 },
		{ __LINE__, "\"a\"", "null", ATTR_STRING, false, -1 },
		{ __LINE__, "[]", "[]", ATTR_STRING, false, 0 },
		{ __LINE__, "[{\"value\":\"z\"},{\"value\":\"a\","
		  "\"primary\":true}]", "\"b\"", ATTR_STRING, false, -1 },
		{ __LINE__, "[{\"value\":\"z\"},{\"value\":\"a\"}]", "\"b\"",
		  ATTR_STRING, false, 1 },
		{ __LINE__, "{\"value\":\"u2\"}", "\"U1\"", ATTR_STRING, false,
		  1 },
	};
	cJSON	*a, *b;
	size_t	 i;
	int	 c;
	char	 name[200];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		a = t[i].a != NULL ? cJSON_Parse(t[i].a) : NULL;
		b = t[i].b != NULL ? cJSON_Parse(t[i].b) : NULL;
		c = filter_compare(a, b, t[i].t, t[i].exact);
		snprintf(name, sizeof(name), "compare(%s, %s)",
		    t[i].a != NULL ? t[i].a : "NULL", t[i].b);
		tap_is_int((c > 0) - (c < 0), t[i].want, t[i].line, name);
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
}

int
main(void)
{
	test_eq_hint();
	test_sub();
	test_sub_eq_hint();
	test_datetime();
	test_compare();
	return tap_done();
}
