/*
 * Unit tests for common/scim/filter.c: the RFC 7644 section 3.4.2.2 grammar,
 * its evaluation over stored resources, the lenient forms Microsoft's
 * clients send, every class of malformed filter, filter_uses and the
 * null corners of the API.  The helpers filter_eq_hint, filter_parse_sub,
 * filter_parse_datetime and filter_compare are in test_filter_helpers.c.
 *
 * Table-driven: each row is {filter, resource type, expected ids}, where
 * the expected ids are those fixture resources (in fixture order) that
 * match, or ERR when the filter must be rejected as invalidFilter with a
 * detail naming the offset.  A failing row reports its own line.
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

#define ERR	"!invalidFilter"
#define U	(&rt_user)
#define G	(&rt_group)
#define ENT	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define CUST	"urn:ietf:params:scim:schemas:extension:Custom:2.0:User"

/* Stored users, canonical form plus id/meta/groups as handlers load them. */
static const char *const user_json[] = {
	"{\"id\":\"u1\",\"userName\":\"Alice@Example.com\","
	"\"externalId\":\"alice\",\"displayName\":\"Alice Smith\","
	"\"title\":\"Engineer\",\"active\":true,"
	"\"name\":{\"givenName\":\"Alice\",\"familyName\":\"Employee\"},"
	"\"emails\":[{\"value\":\"alice@example.com\",\"type\":\"work\","
	"\"primary\":true},{\"value\":\"alice@home.org\",\"type\":\"home\"}],"
	"\"groups\":[{\"value\":\"g1\",\"display\":\"Admins\","
	"\"type\":\"direct\"}],"
	"\"meta\":{\"resourceType\":\"User\","
	"\"created\":\"2014-01-01T00:00:00Z\","
	"\"lastModified\":\"2020-05-05T10:00:00.1234567+02:00\"},"
	"\"" ENT "\":{\"employeeNumber\":\"1001\",\"department\":\"R&D\","
	"\"manager\":{\"value\":\"u2\",\"displayName\":\"Bob\"}},"
	"\"" CUST "\":{\"costCode\":\"CC-7\",\"level\":3,\"remote\":true,"
	"\"hired\":\"2020-01-01T00:00:00+01:00\"}}",

	"{\"id\":\"u2\",\"userName\":\"bob\",\"externalId\":\"Bob\","
	"\"displayName\":\"Bob Jones\",\"active\":false,"
	"\"name\":{\"givenName\":\"Bob\",\"familyName\":\"Employee\"},"
	"\"emails\":[{\"value\":\"bob@example.org\",\"type\":\"work\","
	"\"primary\":true}],"
	"\"groups\":[{\"value\":\"g1\"},{\"value\":\"g2\"}],"
	"\"meta\":{\"created\":\"2015-10-10T21:38:21.8617980Z\"},"
	"\"" ENT "\":{\"department\":\"Sales\","
	"\"manager\":{\"value\":\"u3\"}}}",

	"{\"id\":\"u3\",\"userName\":\"Olivia\","
	"\"displayName\":\"BobIsAmazing\",\"active\":true,"
	"\"name\":{\"givenName\":\"Olivia\",\"familyName\":\"Employee\"},"
	"\"emails\":[{\"value\":\"olivia@example.com\",\"type\":\"work\"},"
	"{\"value\":\"olivia@EXAMPLE.org\",\"type\":\"other\","
	"\"primary\":false}],"
	"\"meta\":{\"created\":\"2015-10-10T14:38:21.8617979-07:00\"},"
	"\"" ENT "\":{\"manager\":{\"value\":\"u2\"}}}",

	"{\"id\":\"u4\",\"userName\":\"carol\","
	"\"displayName\":\"Carol \\\"CJ\\\" O'Neil \\\\ / x\","
	"\"title\":\"\",\"nickName\":null,\"active\":true,"
	"\"name\":{\"familyName\":\"Other\"},\"emails\":[],"
	"\"phoneNumbers\":[{\"value\":\"+1 555 0100\",\"type\":\"work\"}],"
	"\"meta\":{\"created\":\"2016-02-29T12:00:00+05:30\"}}",

	"{\"id\":\"u5\",\"userName\":\"dave\",\"externalId\":\"dave-ext\","
	"\"active\":true,\"name\":{\"familyName\":\"Employee\"},"
	"\"emails\":[{\"value\":\"dave@example.net\",\"type\":\"work\"}],"
	"\"meta\":{\"created\":\"2021-12-31T23:59:59.999999Z\"},"
	"\"" ENT "\":{\"manager\":\"u1\"}}",

	"{\"id\":\"u6\",\"userName\":\"eve\","
	"\"displayName\":\"Zo\\u00eb \\ud83d\\ude00\","
	"\"meta\":{\"created\":\"2010-06-15T08:00:00-04:00\"}}",
};

static const char *const group_json[] = {
	"{\"id\":\"g1\",\"displayName\":\"Admins\","
	"\"externalId\":\"ext-admins\",\"members\":["
	"{\"value\":\"u1\",\"display\":\"Alice\",\"type\":\"User\"},"
	"{\"value\":\"u2\"}]}",
	"{\"id\":\"g2\",\"displayName\":\"Sales\",\"members\":[]}",
	("{\"id\":\"g3\",\"displayName\":\"admins-2\",\"members\":["
	"{\"value\":\"u3\",\"$ref\":\"../Users/u3\"}]}"),
};

#define NUSERS	(sizeof(user_json) / sizeof(user_json[0]))
#define NGROUPS	(sizeof(group_json) / sizeof(group_json[0]))

static cJSON	*users[NUSERS];
static cJSON	*groups[NGROUPS];

struct row {
	int				 line;
	const struct resource_type	*rt;
	const char			*filter;
	const char			*want;	/* ids, or ERR */
};

#define R(rt, f, w)	{ __LINE__, (rt), (f), (w) }

static const struct row rows[] = {
	/* eq, caseExact, any-case names and operators */
	R(U, "userName eq \"alice@example.com\"", "u1"),
	R(U, "USERNAME EQ \"ALICE@EXAMPLE.COM\"", "u1"),
	R(U, "userName Eq \"BOB\"", "u2"),
	R(U, "id eq \"u1\"", "u1"),
	R(U, "id eq \"U1\"", ""),
	R(U, "ID eq \"u3\"", "u3"),
	R(U, "externalId eq \"bob\"", ""),
	R(U, "externalId eq \"Bob\"", "u2"),
	R(U, "ExternalID eq \"alice\"", "u1"),
	R(U, "DisplayName eq \"BobIsAmazing\"", "u3"),
	R(U, "displayName eq \"bobisamazing\"", "u3"),
	R(U, "meta.resourceType eq \"user\"", ""),
	R(U, "meta.resourceType eq \"User\"", "u1"),
	/* ne: absent attributes are "not equal" */
	R(U, "userName ne \"bob\"", "u1,u3,u4,u5,u6"),
	R(U, "externalId ne \"alice\"", "u2,u3,u4,u5,u6"),
	R(U, "emails.value ne \"bob@example.org\"", "u1,u3,u4,u5,u6"),
	/* co sw ew */
	R(U, "displayName co \"smith\"", "u1"),
	R(U, "displayName CO \"o\"", "u2,u3,u4,u6"),
	R(U, "userName sw \"O\"", "u3"),
	R(U, "userName ew \".COM\"", "u1"),
	R(U, "userName co \"\"", "u1,u2,u3,u4,u5,u6"),
	R(U, "emails co \"EXAMPLE.ORG\"", "u2,u3"),
	/* gt ge lt le on strings (no case) */
	R(U, "userName gt \"c\"", "u3,u4,u5,u6"),
	R(U, "userName lt \"bob\"", "u1"),
	R(U, "userName le \"BOB\"", "u1,u2"),
	R(U, "userName ge \"eve\"", "u3,u6"),
	/* pr and null */
	R(U, "title pr", "u1"),
	R(U, "emails pr", "u1,u2,u3,u5"),
	R(U, "nickName pr", ""),
	R(U, "name pr", "u1,u2,u3,u4,u5"),
	R(U, "nickName eq null", "u1,u2,u3,u4,u5,u6"),
	R(U, "title eq null", "u2,u3,u4,u5,u6"),
	R(U, "title ne null", "u1"),
	R(U, "emails eq NULL", "u4,u6"),
	R(U, "name pr and not (emails pr)", "u4"),
	R(U, "userName PR", "u1,u2,u3,u4,u5,u6"),
	/* booleans */
	R(U, "active eq true", "u1,u3,u4,u5"),
	R(U, "active eq false", "u2"),
	R(U, "active ne true", "u2,u6"),
	R(U, "ACTIVE eq \"False\"", "u2"),
	R(U, "active eq True", "u1,u3,u4,u5"),
	R(U, "active pr", "u1,u2,u3,u4,u5"),
	R(U, "emails.primary eq true", "u1,u2"),
	R(U, "emails.primary eq false", "u3"),
	/* multi-valued and complex */
	R(U, "emails.value eq \"bob@example.org\"", "u2"),
	R(U, "emails.Value co example.com", "u1,u3"),
	R(U, "emails eq \"alice@example.com\"", "u1"),
	R(U, "emails.type eq \"home\"", "u1"),
	R(U, "name.familyName eq \"Employee\"", "u1,u2,u3,u5"),
	R(U, "groups.value eq \"g2\"", "u2"),
	R(U, "groups eq \"g1\"", "u1,u2"),
	R(U, "groups[display eq \"admins\"]", "u1"),
	/* value paths */
	R(U, "emails[type eq \"work\"].value eq \"olivia@example.com\"",
	    "u3"),
	R(U, "emails[type eq \"work\" and value co \"example.org\"]", "u2"),
	R(U, "emails[type eq \"home\" or primary eq true]", "u1,u2"),
	R(U, "emails[primary eq \"True\"].value sw \"bob\"", "u2"),
	R(U, "emails[not (type eq \"work\")]", "u1,u3"),
	R(U, "emails[type eq \"work\"] and emails[value ew \".org\"]",
	    "u1,u2,u3"),
	R(U, "emails[type eq \"work\" and value ew \".org\"]", "u2"),
	R(U, "emails[type eq \"work\"] eq \"dave@example.net\"", "u5"),
	R(U, "emails[type eq work]", "u1,u2,u3,u5"),
	R(U, "emails[type eq \"work\"].value pr", "u1,u2,u3,u5"),
	R(U, "emails[Type EQ \"WORK\"].Value EW \"example.com\"", "u1,u3"),
	R(U, "emails[ type eq \"work\" ]", "u1,u2,u3,u5"),
	R(U, "phoneNumbers[type eq \"work\" and value sw \"+1\"]", "u4"),
	R(U, "emails[(type eq \"other\") or (type eq \"home\")].value "
	    "co \"o\"", "u1,u3"),
	/* dateTime */
	R(U, "meta.Created gt 2015-10-10T14:38:21.8617979-07:00",
	    "u2,u4,u5"),
	R(U, "meta.created eq \"2015-10-10T21:38:21.861797Z\"", "u3"),
	R(U, "meta.created ge \"2015-10-10T14:38:21.8617979-07:00\"",
	    "u2,u3,u4,u5"),
	R(U, "meta.created lt \"2014-01-01T00:00:00.000001Z\"", "u1,u6"),
	R(U, "meta.created le \"2014-01-01T01:00:00+01:00\"", "u1,u6"),
	R(U, "meta.created ne \"2014-01-01T01:00:00+01:00\"",
	    "u2,u3,u4,u5,u6"),
	R(U, "meta.lastModified gt \"2020-05-05T08:00:00Z\"", "u1"),
	R(U, "meta.lastModified lt \"2020-05-05T08:00:00.123457Z\"", "u1"),
	R(U, "meta.created gt \"2016-02-29T06:29:59Z\" and "
	    "meta.created lt \"2016-02-29T06:30:01Z\"", "u4"),
	R(U, "meta.created sw \"2015\"", "u2,u3"),
	R(U, "meta.created co \"t08\"", "u6"),
	/* extensions, URN-qualified names, manager */
	R(U, ENT ":department eq \"sales\"", "u2"),
	R(U, "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:"
	    "Department eq \"R&D\"", "u1"),
	R(U, ENT ":manager.value eq \"u2\"", "u1,u3"),
	R(U, ENT ":manager eq \"u2\"", "u1,u3"),
	R(U, "manager eq \"u2\"", "u1,u3"),
	R(U, "Manager.Value eq \"u1\"", "u5"),
	R(U, "manager eq \"u1\"", "u5"),
	R(U, "manager pr", "u1,u2,u3,u5"),
	R(U, "id eq \"u1\" and manager eq \"u2\"", "u1"),
	R(U, "id eq \"u2\" and manager eq \"u2\"", ""),
	R(U, "employeeNumber eq \"1001\"", "u1"),
	R(U, ENT ":employeeNumber eq 1001", "u1"),
	R(U, "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"bob\"",
	    "u2"),
	R(U, "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName "
	    "sw \"Ol\"", "u3"),
	R(U, ENT ":manager[value eq \"u3\"]", "u2"),
	/* unknown and custom attributes */
	R(U, "foo eq \"x\"", ""),
	R(U, "foo ne \"x\"", "u1,u2,u3,u4,u5,u6"),
	R(U, "foo pr", ""),
	R(U, "name.foo eq \"x\"", ""),
	R(U, "members eq \"u1\"", ""),
	R(U, CUST ":costCode eq \"cc-7\"", "u1"),
	R(U, CUST ":level gt 2", "u1"),
	R(U, CUST ":level lt 2", ""),
	R(U, CUST ":level eq \"3\"", "u1"),
	R(U, CUST ":remote eq true", "u1"),
	R(U, CUST ":remote eq \"TRUE\"", "u1"),
	R(U, CUST ":hired gt \"2019-12-31T23:00:00Z\"", ""),
	R(U, CUST ":hired ge \"2019-12-31T23:00:00Z\"", "u1"),
	R(U, CUST ":hired co \"+01\"", "u1"),
	/* logic and precedence */
	R(U, "not (userName eq \"bob\")", "u1,u3,u4,u5,u6"),
	R(U, "not(active eq true)", "u2,u6"),
	R(U, "NOT (active eq true)", "u2,u6"),
	R(U, "userName eq \"bob\" or userName eq \"carol\" and "
	    "active eq true", "u2,u4"),
	R(U, "(userName eq \"bob\" or userName eq \"carol\") and "
	    "active eq true", "u4"),
	R(U, "userName eq \"carol\" and active eq true or userName eq \"bob\"",
	    "u2,u4"),
	R(U, "not (userName eq \"bob\") and not (userName eq "
	    "\"alice@example.com\")", "u3,u4,u5,u6"),
	R(U, "not userName eq \"bob\"", "u1,u3,u4,u5,u6"),
	R(U, "not userName eq \"bob\" and active eq true", "u1,u3,u4,u5"),
	R(U, "not not (userName eq \"bob\")", "u2"),
	R(U, "userName eq \"bob\" Or (userName eq \"eve\" OR "
	    "(userName eq \"dave\"))", "u2,u5,u6"),
	R(U, "(((userName eq \"bob\")))", "u2"),
	R(U, "userName eq \"bob\" AND active eq false", "u2"),
	R(U, "userName eq \"bob\" and active eq true", ""),
	R(U, "(userName eq \"bob\")and(active eq false)", "u2"),
	/* white space, values, escapes */
	R(U, "  userName   eq    \"bob\"   ", "u2"),
	R(U, "userName eq \"bob\"    or\t userName eq \"eve\"", "u2,u6"),
	R(U, "userName eq\"bob\"", "u2"),
	R(U, "displayName eq \"Zo\\u00EB \\uD83D\\uDE00\"", "u6"),
	R(U, "displayName eq \"Zo\xc3\xab \xf0\x9f\x98\x80\"", "u6"),
	R(U, "displayName sw \"zO\xc3\xab\"", "u6"),
	R(U, "title eq \"Engin\\u0065er\"", "u1"),
	R(U, "displayName eq \"Carol \\\"CJ\\\" O'Neil \\\\ \\/ x\"", "u4"),
	R(U, "title eq \"Engineer\\b\"", ""),
	R(U, "title ne \"Engineer\\b\\f\\n\\r\\t\"", "u1,u2,u3,u4,u5,u6"),
	R(U, "title ne \"Engineer\"", "u2,u3,u4,u5,u6"),
	R(U, "userName eq bob", "u2"),
	R(U, "userName eq 12", ""),
	R(U, "userName eq \"true\"", ""),

	/* Groups */
	R(G, "members eq \"u1\"", "g1"),
	R(G, "members.value eq \"u3\"", "g3"),
	R(G, "id eq \"g1\" and members eq \"u2\"", "g1"),
	R(G, "id eq \"g2\" and members eq \"u2\"", ""),
	R(G, "members pr", "g1,g3"),
	R(G, "members eq null", "g2"),
	R(G, "displayName eq \"admins\"", "g1"),
	R(G, "displayName sw \"ADMINS\"", "g1,g3"),
	R(G, "members[value eq \"u1\" and type eq \"User\"]", "g1"),
	R(G, "members[$ref ew \"/u3\"]", "g3"),
	R(G, "members[display co \"ali\"].value eq \"u1\"", "g1"),
	R(G, "urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "
	    "\"Sales\"", "g2"),
	R(G, "manager eq \"u2\"", ""),
	R(G, "externalId eq \"EXT-ADMINS\"", ""),
	R(G, "externalId eq \"ext-admins\"", "g1"),
	R(G, "members ne \"u1\"", "g2,g3"),
	/* Member ids are ids: caseExact, whatever members.value's table says. */
	R(G, "members[value eq \"U1\"]", ""),
	R(G, "members[value eq \"U1\" or value eq \"u2\"]", "g1"),
	R(G, "members eq \"U1\"", ""),
	R(G, "members.value eq \"U3\"", ""),
	R(G, "members[type eq \"user\"] eq \"U1\"", ""),
	R(G, "members[value sw \"U\"]", ""),
	R(G, "members[display eq \"ALICE\"]", "g1"),
	R(U, "manager eq \"U2\"", ""),
	R(U, "manager.value eq \"u2\"", "u1,u3"),
	/* Caseless strings compare folded, as the name index keys them. */
	R(U, "userName eq \"\\uff21lice@example.com\"", "u1"),
	R(U, "userName eq \"A\\u200blice@example.com\"", "u1"),
	R(U, "userName eq \" alice@example.com\\u3000\"", "u1"),
	R(U, "userName ne \"\\uff22OB\"", "u1,u3,u4,u5,u6"),
	R(U, "userName sw \"\\uff21\"", "u1"),
	R(U, "userName co \"ice@\"", "u1"),
	R(U, "userName co \"e@ \"", ""),
	R(U, "displayName eq \"zoe\\u0308 \\ud83d\\ude00\"", "u6"),
	R(U, "displayName ew \"\\u00cb \\ud83d\\ude00\"", "u6"),
	R(U, "userName gt \"\\uff23\"", "u3,u4,u5,u6"),
	R(U, "externalId eq \"\\uff22ob\"", ""),

	/* Malformed */
	R(U, "", ERR),
	R(U, "   ", ERR),
	R(U, "userName", ERR),
	R(U, "userName eq", ERR),
	R(U, "userName eq ", ERR),
	R(U, "userName eq \"bob", ERR),
	R(U, "userName xx \"bob\"", ERR),
	R(U, "userName equals \"bob\"", ERR),
	R(U, "userName eq \"bob\" extra", ERR),
	R(U, "userName eq \"bob\"extra", ERR),
	R(U, "userName eq \"bob\")", ERR),
	R(U, "userName eq \"a\"]", ERR),
	R(U, "(userName eq \"bob\"", ERR),
	R(U, "((userName eq \"bob\")", ERR),
	R(U, "userName eq \"a\" and not (userName eq \"b\"", ERR),
	R(U, "emails[type eq \"work\"", ERR),
	R(U, "emails[type eq \"work\"]]", ERR),
	R(U, "emails[]", ERR),
	R(U, "emails[type eq \"work\"].", ERR),
	R(U, "emails[type eq \"work\"].value", ERR),
	R(U, "emails type eq \"work\"]", ERR),
	R(U, "userName eq \"bob\" and", ERR),
	R(U, "and userName eq \"bob\"", ERR),
	R(U, "userName eq \"bob\" or or userName eq \"x\"", ERR),
	R(U, "()", ERR),
	R(U, "userName eq \"x\" and (", ERR),
	R(U, "userName eq (", ERR),
	R(U, "userName eq [", ERR),
	R(U, "userName pr \"x\"", ERR),
	R(U, "not", ERR),
	R(U, "not (", ERR),
	R(U, "1userName eq \"x\"", ERR),
	R(U, "\"userName\" eq \"x\"", ERR),
	R(U, "userName.foo.bar eq \"x\"", ERR),
	R(U, "urn:ietf:params:scim:schemas:core:2.0:User eq \"x\"", ERR),
	R(U, "active gt true", ERR),
	R(U, "active lt false", ERR),
	R(U, "active co \"t\"", ERR),
	R(U, "active eq \"yes\"", ERR),
	R(U, "active eq 1", ERR),
	R(U, "emails.primary gt true", ERR),
	R(U, "emails[primary sw \"t\"]", ERR),
	R(U, "meta.created gt \"yesterday\"", ERR),
	R(U, "meta.created gt 5", ERR),
	R(U, "meta.created gt 2015-10-10", ERR),
	R(U, "name gt \"x\"", ERR),
	R(U, "name eq \"x\"", ERR),
	R(U, "meta lt \"x\"", ERR),
	R(U, "userName gt null", ERR),
	R(U, "userName co null", ERR),
	R(U, "foo gt true", ERR),
	R(U, "userName eq \"\\uZZZZ\"", ERR),
	R(U, "userName eq \"\\u12\"", ERR),
	R(U, "userName eq \"\\uD83D\"", ERR),
	R(U, "userName eq \"\\uD83Dx\"", ERR),
	R(U, "userName eq \"\\uD83D\\u0041\"", ERR),
	R(U, "userName eq \"\\uDE00\"", ERR),
	R(U, "userName eq \"\\u0000\"", ERR),
	R(U, "userName eq \"a\\", ERR),
	R(U, "userName eq \"\\\"", ERR),
	R(U, "userName eq \"\\q\"", ERR),
	R(U, "userName eq \"a\tb\"", ERR),
	R(U, "userName eq \"\xff\"", ERR),
	R(U, "userName eq \"\xc3\"", ERR),
	R(U, "emails[type[value eq \"x\"] eq \"y\"]", ERR),
	R(U, "emails[emails.type eq \"work\"]", ERR),
	R(U, CUST ":x[y eq \"z\"].w.v eq \"a\"", ERR),
	R(U, "name.givenName[value eq \"x\"]", ERR),
	R(U, "emails [type eq \"work\"]", ERR),
};

#define NROWS	(sizeof(rows) / sizeof(rows[0]))

/* Ids of the fixture resources f matches, comma-separated, in buf. */
static void
matches(const struct filter *f, const struct resource_type *rt, char *buf,
    size_t sz)
{
	cJSON	**set = rt == G ? groups : users;
	size_t	  n = rt == G ? NGROUPS : NUSERS, i;
	cJSON	 *id;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!filter_match(f, set[i]))
			continue;
		id = cJSON_GetObjectItem(set[i], "id");
		if (buf[0] != '\0')
			strncat(buf, ",", sz - strlen(buf) - 1);
		strncat(buf, id->valuestring, sz - strlen(buf) - 1);
	}
}

/* Run text against the fixtures of rt: the match list, or ERR. */
static void
check(int line, const struct resource_type *rt, const char *text,
    const char *want, const char *label)
{
	struct filter		*f = NULL;
	struct scim_error	 err;
	enum scim_err		 rc;
	char			 got[600], name[160];

	memset(&err, 0, sizeof(err));
	rc = filter_parse(text, rt, &f, &err);
	snprintf(name, sizeof(name), "%s: %.100s", rt == G ? "Groups" :
	    "Users", label != NULL ? label : text);
	if (rc == SCIM_OK)
		matches(f, rt, got, sizeof(got));
	else if (rc == SCIM_E_INVALID_FILTER && f == NULL &&
	    strstr(err.detail, "at offset ") != NULL)
		snprintf(got, sizeof(got), "%s", ERR);
	else
		snprintf(got, sizeof(got), "rc %d: %s", (int)rc, err.detail);
	if (!tap_is_str(got, want, line, name) && rc != SCIM_OK)
		printf("#     detail: %s\n", err.detail);
	filter_free(f);
}

/* Each bad filter and the exact detail of its error (what clients see). */
struct detail_row {
	int		 line;
	const char	*filter;
	const char	*detail;
};

static const struct detail_row detail_rows[] = {
	{ __LINE__, "userName xx \"bob\"",
	  "invalid filter at offset 9: unknown operator (expected eq, "
	  "ne, co, sw, ew, gt, ge, lt, le or pr), found 'xx \"bob\"'" },
	{ __LINE__, "(userName eq \"bob\"",
	  "invalid filter at offset 18: expected ')' to close the '(' "
	  "at offset 0, found end of filter" },
	{ __LINE__, "userName eq",
	  "invalid filter at offset 11: expected a value after 'eq', "
	  "found end of filter" },
	{ __LINE__, "active gt true",
	  "invalid filter at offset 7: 'gt' cannot be applied to the "
	  "boolean attribute 'active' (only eq, ne and pr)" },
	{ __LINE__, "userName eq \"x\" y",
	  "invalid filter at offset 16: expected 'and', 'or' or the "
	  "end of the filter, found 'y'" },
	{ __LINE__, "userName eq \"x\")",
	  "invalid filter at offset 15: unbalanced ')'" },
	{ __LINE__, "userName eq \"\\uD83D\"",
	  "invalid filter at offset 13: '\\uD83D' is a high surrogate "
	  "without a low one after it" },
	{ __LINE__, "emails[type eq \"work\"",
	  "invalid filter at offset 21: expected ']' to close the '[' "
	  "at offset 6, found end of filter" },
	/* Each failure of the string decoder. */
	{ __LINE__, "userName eq \"ab",
	  "invalid filter at offset 12: unterminated string (expected "
	  "a closing '\"')" },
	{ __LINE__, "userName eq \"ab\\",
	  "invalid filter at offset 12: unterminated string (a '\\' "
	  "ends the filter)" },
	{ __LINE__, "userName eq \"a\tb\"",
	  "invalid filter at offset 14: control character 0x09 in a "
	  "string (escape it)" },
	{ __LINE__, "userName eq \"a\\xb\"",
	  "invalid filter at offset 14: invalid escape '\\x' in a "
	  "string (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t "
	  "\\uhhhh)" },
	{ __LINE__, "userName eq \"\\u00\"",
	  "invalid filter at offset 13: expected four hex digits after "
	  "'\\u'" },
	{ __LINE__, "userName eq \"\\u0000\"",
	  "invalid filter at offset 13: '\\u0000' is not allowed in a "
	  "filter value" },
	{ __LINE__, "userName eq \"\\uDC00\"",
	  "invalid filter at offset 13: '\\uDC00' is a low surrogate "
	  "without a high one" },
	{ __LINE__, "userName eq \"\\uD83D\\u0041\"",
	  "invalid filter at offset 13: '\\uD83D' is a high surrogate "
	  "without a low one after it" },
	/* Each failure of binding a value to the attribute's type. */
	{ __LINE__, "userName gt null",
	  "invalid filter at offset 9: null can only be compared with "
	  "eq or ne, not 'gt'" },
	{ __LINE__, "name eq \"x\"",
	  "invalid filter at offset 5: 'name' is a complex attribute: "
	  "'eq' needs one of its sub-attributes (or use pr)" },
	{ __LINE__, "nosuch lt false",
	  "invalid filter at offset 7: true and false can only be "
	  "compared with eq or ne, not 'lt'" },
	{ __LINE__, "active co \"t\"",
	  "invalid filter at offset 7: 'co' cannot be applied to the "
	  "boolean attribute 'active' (only eq, ne and pr)" },
	{ __LINE__, "active eq \"yes\"",
	  "invalid filter at offset 10: the boolean attribute 'active' "
	  "needs true or false, found '\"yes\"'" },
	{ __LINE__, "meta.created gt \"x\"",
	  "invalid filter at offset 16: the dateTime attribute "
	  "'meta.created' needs an RFC 3339 date-time such as "
	  "\"2015-10-10T14:38:21Z\", found '\"x\"'" },
	{ __LINE__, "x509Certificates.value ge \"a\"",
	  "invalid filter at offset 23: 'ge' cannot be applied to the "
	  "binary attribute 'x509Certificates.value'" },
	/* The value-path grammar. */
	{ __LINE__, "emails.type[value eq \"x\"]",
	  "invalid filter at offset 11: a value filter applies to an "
	  "attribute, not to the sub-attribute 'emails.type'" },
	{ __LINE__, "emails[type[value eq \"x\"]]",
	  "invalid filter at offset 11: value filters cannot be "
	  "nested" },
	{ __LINE__, "emails[type eq \"work\"].value",
	  "invalid filter at offset 28: expected an operator (eq, ne, "
	  "co, sw, ew, gt, ge, lt, le or pr) after 'value', found end "
	  "of filter" },
	{ __LINE__, "emails[type eq \"work\"].a.b eq \"x\"",
	  "invalid filter at offset 23: expected a sub-attribute name "
	  "of 'emails' (letters, digits, '-' or '_'; no '.', ':' or "
	  "nested brackets), found 'a.b eq \"x\"'" },
	{ __LINE__, "not",
	  "invalid filter at offset 3: expected '(' after 'not', found "
	  "end of filter" },
};

/* Exact error details: what a client sees. */
static void
test_details(void)
{
	const struct detail_row	*r;
	struct filter		*f;
	struct scim_error	 err;
	size_t			 i;

	for (i = 0; i < sizeof(detail_rows) / sizeof(detail_rows[0]); i++) {
		r = &detail_rows[i];
		memset(&err, 0, sizeof(err));
		f = NULL;
		filter_parse(r->filter, U, &f, &err);
		tap_is_str(err.detail, r->detail, r->line, r->filter);
		filter_free(f);
	}
}

/* Length and nesting limits, and a long flat chain. */
static void
test_limits(void)
{
	char	*s, *q;
	size_t	 i, n;

	/* 64 levels of parentheses are fine, 65 are not. */
	s = malloc(1024);
	q = s;
	for (i = 0; i < FILTER_MAX_DEPTH; i++)
		*q++ = '(';
	q += sprintf(q, "userName eq \"bob\"");
	for (i = 0; i < FILTER_MAX_DEPTH; i++)
		*q++ = ')';
	*q = '\0';
	check(__LINE__, U, s, "u2", "64 nested parentheses");
	memmove(s + 1, s, strlen(s) + 1);
	s[0] = '(';
	strcat(s, ")");
	check(__LINE__, U, s, ERR, "65 nested parentheses");
	free(s);

	/* A depth bomb just under the length limit. */
	n = FILTER_MAX_LEN - 16;
	s = malloc(n + 1);
	memset(s, '(', n);
	s[n] = '\0';
	check(__LINE__, U, s, ERR, "8176 x '('");
	for (i = 0; i + 4 <= n; i += 4)
		memcpy(s + i, "not(", 4);
	s[i] = '\0';
	check(__LINE__, U, s, ERR, "2044 x 'not('");
	for (i = 0; i + 4 <= n; i += 4)
		memcpy(s + i, "not ", 4);
	s[i] = '\0';
	check(__LINE__, U, s, ERR, "2044 x 'not '");
	for (i = 0; i + 7 <= n; i += 7)
		memcpy(s + i, "a[b eq ", 7);
	s[i] = '\0';
	check(__LINE__, U, s, ERR, "nested value paths");
	free(s);

	/* 1 MB of input. */
	n = 1024 * 1024;
	s = malloc(n + 1);
	memset(s, '(', n);
	s[n] = '\0';
	check(__LINE__, U, s, ERR, "1 MB of '('");
	memset(s, 'a', n);
	check(__LINE__, U, s, ERR, "1 MB attribute name");
	free(s);

	/* Exactly FILTER_MAX_LEN is accepted, one more byte is not. */
	s = malloc(FILTER_MAX_LEN + 2);
	n = (size_t)sprintf(s, "userName eq \"");
	memset(s + n, 'x', FILTER_MAX_LEN - n - 1);
	s[FILTER_MAX_LEN - 1] = '"';
	s[FILTER_MAX_LEN] = '\0';
	check(__LINE__, U, s, "", "filter of exactly FILTER_MAX_LEN bytes");
	s[FILTER_MAX_LEN - 1] = 'x';
	s[FILTER_MAX_LEN] = '"';
	s[FILTER_MAX_LEN + 1] = '\0';
	check(__LINE__, U, s, ERR, "filter of FILTER_MAX_LEN + 1 bytes");
	free(s);

	/* A long flat chain is one node, not a deep tree. */
	s = malloc(FILTER_MAX_LEN + 1);
	q = s;
	for (i = 0; q - s < FILTER_MAX_LEN - 40; i++)
		q += sprintf(q, "%sid ne \"x%zu\"", i ? " and " : "", i);
	check(__LINE__, U, s, "u1,u2,u3,u4,u5,u6", "long and chain");
	q = s;
	for (i = 0; q - s < FILTER_MAX_LEN - 40; i++)
		q += sprintf(q, "%sid eq \"x%zu\"", i ? " or " : "", i);
	q += sprintf(q, " or id eq \"u4\"");
	check(__LINE__, U, s, "u4", "long or chain");
	free(s);
}

static void
test_uses(void)
{
	static const struct {
		int				 line;
		const struct resource_type	*rt;
		const char			*filter;
		const char			*attr;
		int				 want;
	} t[] = {
		{ __LINE__, G, "members eq \"u\"", "members", 1 },
		{ __LINE__, G, "displayName eq \"x\"", "members", 0 },
		{ __LINE__, G, "displayName eq \"x\" or not "
		  "(members[value eq \"u\"])", "members", 1 },
		{ __LINE__, G, "MEMBERS.value eq \"u\"", "members", 1 },
		{ __LINE__, U, "emails[value eq \"x\"]", "value", 0 },
		{ __LINE__, U, "emails[value eq \"x\"]", "emails", 1 },
		{ __LINE__, U, "groups.value eq \"g\"", "groups", 1 },
		{ __LINE__, U, "userName eq \"groups\"", "groups", 0 },
	};
	struct filter		*f;
	struct scim_error	 err;
	size_t			 i;
	char			 name[200];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		f = NULL;
		snprintf(name, sizeof(name), "uses(%s, %s)", t[i].filter,
		    t[i].attr);
		if (filter_parse(t[i].filter, t[i].rt, &f, &err) != SCIM_OK)
			tap_ok(0, t[i].line, "%s: %s", name, err.detail);
		else
			tap_is_int(filter_uses(f, t[i].attr), t[i].want,
			    t[i].line, name);
		filter_free(f);
	}
}

/* The null corners of the API. */
static void
test_api(void)
{
	struct filter		*f = (struct filter *)1;
	struct scim_error	 err;

	is_int(filter_parse(NULL, U, &f, &err), SCIM_E_INVALID_FILTER,
	    "filter_parse(NULL)");
	ok(f == NULL, "filter_parse(NULL) leaves *out NULL");
	ok(filter_match(NULL, users[0]), "NULL filter matches");
	is_int(filter_parse("userName pr", U, &f, &err), SCIM_OK,
	    "userName pr");
	ok(!filter_match(f, NULL), "nothing matches a NULL resource");
	is_str(filter_eq_hint(NULL, "userName"), NULL, "eq_hint(NULL)");
	ok(!filter_uses(NULL, "members"), "uses(NULL)");
	filter_free(f);
	filter_free(NULL);
	f = NULL;
	is_int(filter_parse("foo eq \"x\"", NULL, &f, &err), SCIM_OK,
	    "parse without a resource type");
	ok(filter_match(f, users[0]) == false, "unknown attr, no rt");
	filter_free(f);
	f = NULL;
	is_int(filter_parse("userName eq \"bob\"", NULL, &f, &err), SCIM_OK,
	    "userName without a resource type");
	ok(filter_match(f, users[1]), "... still compares without case");
	filter_free(f);
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < NUSERS; i++)
		if ((users[i] = cJSON_Parse(user_json[i])) == NULL) {
			printf("Bail out! fixture user %zu\n", i);
			return 1;
		}
	for (i = 0; i < NGROUPS; i++)
		if ((groups[i] = cJSON_Parse(group_json[i])) == NULL) {
			printf("Bail out! fixture group %zu\n", i);
			return 1;
		}

	for (i = 0; i < NROWS; i++)
		check(rows[i].line, rows[i].rt, rows[i].filter, rows[i].want,
		    NULL);
	test_details();
	test_limits();
	test_uses();
	test_api();

	for (i = 0; i < NUSERS; i++)
		cJSON_Delete(users[i]);
	for (i = 0; i < NGROUPS; i++)
		cJSON_Delete(groups[i]);
	return tap_done();
}
