/*
 * Unit tests for common/scim/resource.c: resource_normalize(), resource_render(),
 * resource_wants() and resource_bool(), each driven by a table of rows.
 *
 * JSON in the tables is written with single quotes for readability and
 * turned into JSON (' becomes ") before parsing, so no row may contain an
 * apostrophe.  Objects are compared with cJSON_Compare(..., true), which
 * ignores member order; the order resource_render() promises (schemas
 * first, meta last) has its own row-driven check.  A failing row prints
 * the expected and actual JSON as TAP diagnostics.
 *
 * Besides the real User and Group types the tests use a "Widget" type
 * whose schema has the attribute kinds the standard schemas lack
 * (integer, decimal, dateTime, binary, multi-valued strings,
 * returned:request and returned:never at both levels).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/schema.h"
#include "scim/resource.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* --- the test-only Widget type --- */

static const struct schema_attr widget_items_sub[] = {
	{ .name = "value", .type = ATTR_STRING },
	{ .name = "secret", .type = ATTR_STRING, .returned = RET_NEVER },
	{ .name = "extra", .type = ATTR_STRING, .returned = RET_REQUEST },
	{ .name = "primary", .type = ATTR_BOOLEAN },
};

static const struct schema_attr widget_attrs[] = {
	{ .name = "code", .type = ATTR_STRING, .required = true },
	{ .name = "count", .type = ATTR_INTEGER },
	{ .name = "ratio", .type = ATTR_DECIMAL },
	{ .name = "since", .type = ATTR_DATETIME },
	{ .name = "blob", .type = ATTR_BINARY },
	{ .name = "audit", .type = ATTR_STRING, .returned = RET_REQUEST },
	{ .name = "pin", .type = ATTR_STRING, .returned = RET_NEVER,
	  .mutability = MUT_WRITE_ONLY },
	{ .name = "tags", .type = ATTR_STRING, .multi = true },
	{ .name = "items", .type = ATTR_COMPLEX, .multi = true,
	  .sub = widget_items_sub, .nsub = NELEM(widget_items_sub) },
	{ .name = "always", .type = ATTR_STRING, .returned = RET_ALWAYS },
	{ .name = "serial", .type = ATTR_STRING,
	  .mutability = MUT_READ_ONLY },
};

static const struct schema widget_schema = {
	.id = "urn:example:params:scim:schemas:test:2.0:Widget",
	.name = "Widget",
	.description = "Widget",
	.attrs = widget_attrs,
	.nattrs = NELEM(widget_attrs),
};

static const struct schema *const widget_exts[] = { NULL };

static const struct resource_type rt_widget = {
	.name = "Widget",
	.endpoint = "/Widgets",
	.description = "Widget",
	.core = &widget_schema,
	.ext = widget_exts,
};

/* --- helpers --- */

#define CORE	"urn:ietf:params:scim:schemas:core:2.0:User"
#define ENT	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define GROUP	"urn:ietf:params:scim:schemas:core:2.0:Group"
#define CUSTOM	"urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"

/*
 * Parse the single-quoted JSON text q.  Returns a new item the caller
 * frees, or NULL (with a diagnostic) when the row itself is broken.
 */
static cJSON *
parse_q(const char *q, int line)
{
	cJSON	*v;
	char	*s, *p;

	if ((s = strdup(q)) == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	if ((v = cJSON_Parse(s)) == NULL)
		printf("# row at line %d: bad JSON in the table: %s\n", line,
		    s);
	free(s);
	return v;
}

/* Print a JSON value as a TAP diagnostic line. */
static void
diag_json(const char *label, const cJSON *v)
{
	char	*s;

	s = v != NULL ? cJSON_PrintUnformatted(v) : NULL;
	printf("#   %9s: %s\n", label, s != NULL ? s : "(null)");
	free(s);
}

/* Check got against the single-quoted expectation want. */
static void
check_json(const cJSON *got, const char *want, int line, const char *name)
{
	cJSON	*w;
	int	 pass;

	w = parse_q(want, line);
	pass = w != NULL && got != NULL && cJSON_Compare(got, w, true);
	ok(pass, "%s (row at line %d)", name, line);
	if (!pass) {
		diag_json("expected", w);
		diag_json("got", got);
	}
	cJSON_Delete(w);
}

/* --- resource_normalize() --- */

struct norm_row {
	int				 line;
	const struct resource_type	*rt;
	const char			*name;
	const char			*in;	/* single-quoted JSON */
	const char			*want;	/* expected, or NULL */
	enum scim_err			 code;	/* expected when want NULL */
	const char			*detail; /* substring, or NULL */
};

#define U	&rt_user
#define G	&rt_group
#define W	&rt_widget
#define OKROW(rt, name, in, want) \
	{ __LINE__, rt, name, in, want, SCIM_OK, NULL }
#define ERRROW(rt, name, in, code, detail) \
	{ __LINE__, rt, name, in, NULL, code, detail }

static const struct norm_row norm_rows[] = {
	/* Entra, entra-scim.md 1.3: current documented POST body. */
	OKROW(U, "Entra POST body (schemas, meta, roles:[] dropped)",
	    "{'schemas':['" CORE "','" ENT "'],"
	    "'externalId':'0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',"
	    "'userName':'Test_User_ab6490ee@testuser.com','active':true,"
	    "'emails':[{'primary':true,'type':'work',"
	    "'value':'Test_User_fd0ea19b@testuser.com'}],"
	    "'meta':{'resourceType':'User'},"
	    "'name':{'formatted':'givenName familyName',"
	    "'familyName':'familyName','givenName':'givenName'},"
	    "'roles':[]}",
	    "{'externalId':'0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',"
	    "'userName':'Test_User_ab6490ee@testuser.com','active':true,"
	    "'emails':[{'primary':true,'type':'work',"
	    "'value':'Test_User_fd0ea19b@testuser.com'}],"
	    "'name':{'formatted':'givenName familyName',"
	    "'familyName':'familyName','givenName':'givenName'}}"),
	/* Entra, older example: nulls and the misspelt enterprise URN. */
	OKROW(U, "Entra POST body with nulls and misspelt schema URN",
	    "{'externalId':'jyoung','userName':'jyoung@testuser.com',"
	    "'active':true,'addresses':null,'displayName':'Joy Young',"
	    "'emails':[{'type':'work','value':'jyoung@Contoso.com',"
	    "'primary':true}],'meta':{'resourceType':'User'},"
	    "'name':{'familyName':'Young','givenName':'Joy'},"
	    "'phoneNumbers':null,'preferredLanguage':null,'title':null,"
	    "'department':null,'manager':null,"
	    "'schemas':['" CORE "',"
	    "'urn:ietf:params:scim:schemas:extension:enterprise:2.0User'],"
	    "'roles':[]}",
	    "{'externalId':'jyoung','userName':'jyoung@testuser.com',"
	    "'active':true,'displayName':'Joy Young',"
	    "'emails':[{'type':'work','value':'jyoung@Contoso.com',"
	    "'primary':true}],"
	    "'name':{'familyName':'Young','givenName':'Joy'}}"),
	OKROW(U, "active 'True' string becomes true",
	    "{'userName':'u','active':'True'}",
	    "{'userName':'u','active':true}"),
	OKROW(U, "active 'FALSE' string becomes false",
	    "{'userName':'u','active':'FALSE'}",
	    "{'userName':'u','active':false}"),
	ERRROW(U, "active 'yes' is invalid",
	    "{'userName':'u','active':'yes'}", SCIM_E_INVALID_VALUE,
	    "active must be a boolean"),
	ERRROW(U, "active 1 is invalid",
	    "{'userName':'u','active':1}", SCIM_E_INVALID_VALUE, "active"),
	OKROW(U, "active '' is omitted",
	    "{'userName':'u','active':''}", "{'userName':'u'}"),
	OKROW(U, "names in any case are rewritten canonically",
	    "{'UserName':'u','NAME':{'GivenName':'g','FAMILYNAME':'f'},"
	    "'EMAILS':[{'Value':'a@x','Type':'work','Primary':'true'}],"
	    "'EXTERNALID':'e'}",
	    "{'userName':'u','name':{'givenName':'g','familyName':'f'},"
	    "'emails':[{'value':'a@x','type':'work','primary':true}],"
	    "'externalId':'e'}"),
	OKROW(U, "enterprise Department and Manager.Value in any case",
	    "{'userName':'u','" ENT "':{'Department':'Sales',"
	    "'Manager':{'Value':'m1','displayName':'Boss',"
	    "'$ref':'../Users/m1'}}}",
	    "{'userName':'u','" ENT "':{'department':'Sales',"
	    "'manager':{'value':'m1','$ref':'../Users/m1'}}}"),
	OKROW(U, "enterprise URN key in another case",
	    "{'userName':'u','URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:"
	    "ENTERPRISE:2.0:USER':{'employeeNumber':'42'}}",
	    "{'userName':'u','" ENT "':{'employeeNumber':'42'}}"),
	OKROW(U, "manager as a bare id string",
	    "{'userName':'u','" ENT "':{'manager':'m1'}}",
	    "{'userName':'u','" ENT "':{'manager':{'value':'m1'}}}"),
	OKROW(U, "manager '' is omitted, then the empty extension too",
	    "{'userName':'u','" ENT "':{'manager':''}}",
	    "{'userName':'u'}"),
	OKROW(U, "manager with only readOnly displayName is omitted",
	    "{'userName':'u','" ENT "':{'manager':{'displayName':'B'},"
	    "'division':'D'}}",
	    "{'userName':'u','" ENT "':{'division':'D'}}"),
	OKROW(U, "legacy manager array of one is unwrapped",
	    "{'userName':'u','" ENT "':{'manager':[{'$ref':'../Users/m1',"
	    "'value':'m1'}]}}",
	    "{'userName':'u','" ENT "':{'manager':{'$ref':'../Users/m1',"
	    "'value':'m1'}}}"),
	ERRROW(U, "manager as a number is invalid",
	    "{'userName':'u','" ENT "':{'manager':7}}",
	    SCIM_E_INVALID_VALUE, "manager"),
	ERRROW(U, "enterprise extension as a string is invalid",
	    "{'userName':'u','" ENT "':'Sales'}",
	    SCIM_E_INVALID_VALUE, ENT),
	OKROW(U, "enterprise extension null is omitted",
	    "{'userName':'u','" ENT "':null}", "{'userName':'u'}"),
	OKROW(U, "URN-qualified attribute names",
	    "{'" CORE ":userName':'u','" ENT ":employeeNumber':'42'}",
	    "{'userName':'u','" ENT "':{'employeeNumber':'42'}}"),
	OKROW(U, "custom extension without schemas entry kept verbatim",
	    "{'schemas':['" CORE "'],'userName':'u',"
	    "'" CUSTOM "':{'costCode':'A1','Nested':{'x':1,'y':null}}}",
	    "{'userName':'u','" CUSTOM "':{'costCode':'A1',"
	    "'Nested':{'x':1,'y':null}}}"),
	OKROW(U, "custom URN key with a non-object value dropped",
	    "{'userName':'u','" CUSTOM "':'x','urn:x:y':{}}",
	    "{'userName':'u'}"),
	OKROW(U, "object under the core URN merges as core attributes",
	    "{'" CORE "':{'userName':'u','displayName':'D','id':'x'},"
	    "'title':'T'}",
	    "{'userName':'u','displayName':'D','title':'T'}"),
	OKROW(U, "Group URN object on a User is dropped",
	    "{'userName':'u','" GROUP "':{'displayName':'G'}}",
	    "{'userName':'u'}"),
	OKROW(U, "unknown and misspelt attributes are ignored",
	    "{'userName':'u','userame':'typo','foo':{'bar':1},"
	    "'name.givenName':'g','emails':[{'value':'a@x','display':'A',"
	    "'bogus':1}]}",
	    "{'userName':'u','emails':[{'value':'a@x'}]}"),
	OKROW(U, "id, meta, groups and schemas are dropped",
	    "{'id':'123','userName':'u','meta':{'created':'x'},"
	    "'groups':[{'value':'g1'}],'schemas':'nonsense'}",
	    "{'userName':'u'}"),
	OKROW(U, "later spelling of the same attribute wins",
	    "{'userName':'a','USERNAME':'b'}", "{'userName':'b'}"),
	ERRROW(U, "missing userName", "{'displayName':'D'}",
	    SCIM_E_INVALID_VALUE, "userName is required"),
	ERRROW(U, "PUT with typo userame has no userName",
	    "{'userame':'u','active':true}", SCIM_E_INVALID_VALUE,
	    "userName is required"),
	ERRROW(U, "empty userName", "{'userName':''}",
	    SCIM_E_INVALID_VALUE, "userName is required"),
	ERRROW(U, "null userName", "{'userName':null}",
	    SCIM_E_INVALID_VALUE, "userName is required"),
	/* Names that show nothing or hold control characters. */
	ERRROW(U, "userName of spaces", "{'userName':'   '}",
	    SCIM_E_INVALID_VALUE, "userName must not be only blanks"),
	ERRROW(U, "userName of no-break and ideographic spaces",
	    "{'userName':'\\u00a0\\u3000\\u200b'}", SCIM_E_INVALID_VALUE,
	    "userName must not be only blanks"),
	ERRROW(U, "userName of spaces ASCII and not",
	    "{'userName':' \\u00a0 \\u3000 '}", SCIM_E_INVALID_VALUE,
	    "userName must not be only blanks"),
	ERRROW(U, "userName with a tab", "{'userName':'a\\tb'}",
	    SCIM_E_INVALID_VALUE,
	    "userName must not contain control characters (U+0009 at "
	    "character 2)"),
	ERRROW(U, "userName of a newline", "{'userName':'\\n'}",
	    SCIM_E_INVALID_VALUE, "U+000A at character 1"),
	ERRROW(U, "userName with U+0001", "{'userName':'ab\\u0001'}",
	    SCIM_E_INVALID_VALUE, "U+0001 at character 3"),
	ERRROW(U, "userName with U+001F", "{'userName':'\\u001fa'}",
	    SCIM_E_INVALID_VALUE, "U+001F"),
	ERRROW(U, "userName with DEL", "{'userName':'\\u00e9\\u007f'}",
	    SCIM_E_INVALID_VALUE, "U+007F at character 2"),
	ERRROW(U, "userName with a C1 control", "{'userName':'a\\u0085'}",
	    SCIM_E_INVALID_VALUE, "U+0085"),
	ERRROW(U, "userName of Hangul fillers, soft hyphen, LRM",
	    "{'userName':'\\u3164\\u00ad\\u200e\\uffa0'}",
	    SCIM_E_INVALID_VALUE, "userName must not be only blanks"),
	ERRROW(U, "control counted in characters, not bytes",
	    "{'userName':'\\ud83d\\ude00\\u00e9\\u0007'}",
	    SCIM_E_INVALID_VALUE, "U+0007 at character 3"),
	OKROW(U, "emoji joined by U+200D is not blank (displayName)",
	    "{'userName':'u','displayName':'\\ud83d\\udc69\\u200d\\ud83d\\udcbb'}",
	    "{'userName':'u','displayName':'\\ud83d\\udc69\\u200d\\ud83d\\udcbb'}"),
	/* userName: nothing that makes two names look the same. */
	ERRROW(U, "userName with a zero-width space",
	    "{'userName':'A\\u200blice'}", SCIM_E_INVALID_VALUE,
	    "userName must not contain an invisible (default-ignorable) "
	    "character"),
	ERRROW(U, "userName of an emoji ZWJ sequence",
	    "{'userName':'\\ud83d\\udc69\\u200d\\ud83d\\udcbb'}",
	    SCIM_E_INVALID_VALUE, "invisible (default-ignorable)"),
	ERRROW(U, "userName with a soft hyphen",
	    "{'userName':'al\\u00adice'}", SCIM_E_INVALID_VALUE,
	    "invisible (default-ignorable)"),
	ERRROW(U, "userName with a leading space", "{'userName':' alice'}",
	    SCIM_E_INVALID_VALUE,
	    "userName must not contain white space at its start or end"),
	ERRROW(U, "userName with a trailing space", "{'userName':'alice '}",
	    SCIM_E_INVALID_VALUE, "white space at its start or end"),
	ERRROW(U, "userName ending in a no-break space",
	    "{'userName':'alice\\u00a0'}", SCIM_E_INVALID_VALUE,
	    "white space at its start or end"),
	OKROW(U, "fullwidth and Kelvin-sign userNames are kept as sent",
	    "{'userName':'\\uff21lice\\u212a'}",
	    "{'userName':'\\uff21lice\\u212a'}"),
	ERRROW(U, "user displayName of spaces",
	    "{'userName':'u','displayName':'  '}", SCIM_E_INVALID_VALUE,
	    "displayName must not be only blanks"),
	ERRROW(U, "user displayName with a carriage return",
	    "{'userName':'u','displayName':'A\\rB'}", SCIM_E_INVALID_VALUE,
	    "displayName must not contain control characters"),
	OKROW(U, "names with inner (and displayName outer) spaces kept",
	    "{'userName':'J\\u00fcrgen M\\u00fcller',"
	    "'displayName':' \\u5c71\\u7530 \\u592a\\u90ce '}",
	    "{'userName':'J\\u00fcrgen M\\u00fcller',"
	    "'displayName':' \\u5c71\\u7530 \\u592a\\u90ce '}"),
	OKROW(U, "empty user displayName is absent, not blank",
	    "{'userName':'u','displayName':''}", "{'userName':'u'}"),
	ERRROW(U, "userName of the wrong type", "{'userName':42}",
	    SCIM_E_INVALID_VALUE, "userName must be a string"),
	ERRROW(U, "single-valued displayName given an array",
	    "{'userName':'u','displayName':['x']}", SCIM_E_INVALID_VALUE,
	    "displayName"),
	ERRROW(U, "name given as a string", "{'userName':'u','name':'Bob'}",
	    SCIM_E_INVALID_VALUE, "name must be a complex value"),
	OKROW(U, "empty name object is omitted",
	    "{'userName':'u','name':{'givenName':null}}", "{'userName':'u'}"),
	OKROW(U, "single email object wrapped into an array",
	    "{'userName':'u','emails':{'value':'a@x','type':'work'}}",
	    "{'userName':'u','emails':[{'value':'a@x','type':'work'}]}"),
	OKROW(U, "null and empty email elements skipped",
	    "{'userName':'u','emails':[null,{},{'value':''},"
	    "{'value':'a@x'}]}",
	    "{'userName':'u','emails':[{'value':'a@x'}]}"),
	ERRROW(U, "email element as a string is invalid",
	    "{'userName':'u','emails':['a@x']}", SCIM_E_INVALID_VALUE,
	    "emails"),
	ERRROW(U, "email value of the wrong type",
	    "{'userName':'u','emails':[{'value':5}]}", SCIM_E_INVALID_VALUE,
	    "emails.value must be a string"),
	ERRROW(U, "two primary emails",
	    "{'userName':'u','emails':[{'value':'a','primary':true},"
	    "{'value':'b','primary':true}]}", SCIM_E_INVALID_VALUE,
	    "primary"),
	ERRROW(U, "two primary phone numbers given as strings",
	    "{'userName':'u','phoneNumbers':[{'value':'1','primary':'True'},"
	    "{'value':'2','primary':'TRUE'}]}", SCIM_E_INVALID_VALUE,
	    "phoneNumbers"),
	OKROW(U, "one primary true, one primary 'false'",
	    "{'userName':'u','addresses':[{'locality':'A','primary':'true'},"
	    "{'locality':'B','primary':'false'}]}",
	    "{'userName':'u','addresses':[{'locality':'A','primary':true},"
	    "{'locality':'B','primary':false}]}"),
	ERRROW(U, "primary 'maybe' is invalid",
	    "{'userName':'u','emails':[{'value':'a','primary':'maybe'}]}",
	    SCIM_E_INVALID_VALUE, "emails.primary must be a boolean"),
	OKROW(U, "values kept byte-for-byte (no outer spaces: refused)",
	    "{'userName':'Zo\\u00eb@Example.COM',"
	    "'phoneNumbers':[{'value':'+1 (555) 010-0000 ext. 7',"
	    "'type':'WORK'}],'password':'s3cr3t'}",
	    "{'userName':'Zo\\u00eb@Example.COM',"
	    "'phoneNumbers':[{'value':'+1 (555) 010-0000 ext. 7',"
	    "'type':'WORK'}],'password':'s3cr3t'}"),
	ERRROW(U, "body that is not an object", "['userName']",
	    SCIM_E_INVALID_SYNTAX, NULL),

	/* Groups. */
	OKROW(G, "Entra group POST with the ADSCIM schema URI",
	    "{'schemas':['" GROUP "','http://schemas.microsoft.com/2006/11/"
	    "ResourceManagement/ADSCIM/2.0/Group'],"
	    "'externalId':'8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',"
	    "'displayName':'Group1DisplayName',"
	    "'meta':{'resourceType':'Group'}}",
	    "{'externalId':'8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',"
	    "'displayName':'Group1DisplayName'}"),
	ERRROW(G, "group displayName of spaces", "{'displayName':' \\u2003 '}",
	    SCIM_E_INVALID_VALUE, "displayName must not be only blanks"),
	ERRROW(G, "group displayName with a tab",
	    "{'displayName':'Sales\\tEMEA'}", SCIM_E_INVALID_VALUE,
	    "displayName must not contain control characters (U+0009"),
	ERRROW(G, "group without displayName", "{'members':[]}",
	    SCIM_E_INVALID_VALUE, "displayName is required"),
	OKROW(G, "members keep an unknown displayName sub-attribute",
	    "{'displayName':'g','members':[{'displayName':'new User',"
	    "'value':'u1'}]}",
	    "{'displayName':'g','members':[{'displayName':'new User',"
	    "'value':'u1'}]}"),
	OKROW(G, "members as plain strings",
	    "{'displayName':'g','members':['string id 1','',"
	    "{'value':'u2'}]}",
	    "{'displayName':'g','members':[{'value':'string id 1'},"
	    "{'value':'u2'}]}"),
	OKROW(G, "a single member string is wrapped",
	    "{'displayName':'g','members':'u1'}",
	    "{'displayName':'g','members':[{'value':'u1'}]}"),
	OKROW(G, "members $ref null dropped, names canonical, display kept",
	    "{'displayName':'g','members':[{'$ref':null,'Value':'u1',"
	    "'TYPE':'User','Display':'Joy'}]}",
	    "{'displayName':'g','members':[{'value':'u1','type':'User',"
	    "'display':'Joy'}]}"),
	OKROW(G, "empty members omitted",
	    "{'displayName':'g','members':[]}", "{'displayName':'g'}"),
	ERRROW(G, "member given as a number", "{'displayName':'g',"
	    "'members':[5]}", SCIM_E_INVALID_VALUE, "members"),
	ERRROW(G, "member value of the wrong type", "{'displayName':'g',"
	    "'members':[{'value':true}]}", SCIM_E_INVALID_VALUE,
	    "members.value"),
	OKROW(G, "enterprise extension object on a Group is dropped",
	    "{'displayName':'g','" ENT "':{'department':'x'}}",
	    "{'displayName':'g'}"),

	/* Types the standard schemas lack. */
	OKROW(W, "integer, decimal, dateTime, binary",
	    "{'code':'c','count':3,'ratio':0.25,"
	    "'since':'2015-10-10T14:38:21.8617979-07:00','blob':'AAEC'}",
	    "{'code':'c','count':3,'ratio':0.25,"
	    "'since':'2015-10-10T14:38:21.8617979-07:00','blob':'AAEC'}"),
	ERRROW(W, "integer with a fraction", "{'code':'c','count':3.5}",
	    SCIM_E_INVALID_VALUE, "count must be an integer"),
	ERRROW(W, "integer as a string", "{'code':'c','count':'3'}",
	    SCIM_E_INVALID_VALUE, "count"),
	ERRROW(W, "decimal as a string", "{'code':'c','ratio':'0.5'}",
	    SCIM_E_INVALID_VALUE, "ratio must be a number"),
	ERRROW(W, "dateTime on 30 February",
	    "{'code':'c','since':'2024-02-30T00:00:00Z'}",
	    SCIM_E_INVALID_VALUE, "since must be a dateTime"),
	ERRROW(W, "dateTime 29 February of a common year",
	    "{'code':'c','since':'2023-02-29T00:00:00Z'}",
	    SCIM_E_INVALID_VALUE, "since"),
	ERRROW(W, "dateTime that is prose", "{'code':'c','since':'yesterday'}",
	    SCIM_E_INVALID_VALUE, "since"),
	ERRROW(W, "dateTime with a bad zone",
	    "{'code':'c','since':'2024-01-01T00:00:00+0100'}",
	    SCIM_E_INVALID_VALUE, "since"),
	ERRROW(W, "dateTime as a number", "{'code':'c','since':20240101}",
	    SCIM_E_INVALID_VALUE, "since"),
	OKROW(W, "dateTime leap day, leap second, lower-case t and z",
	    "{'code':'c','since':'2024-02-29t23:59:60z'}",
	    "{'code':'c','since':'2024-02-29t23:59:60z'}"),
	OKROW(W, "dateTime without a zone (xsd:dateTime)",
	    "{'code':'c','since':'2024-05-01T12:00:00.5'}",
	    "{'code':'c','since':'2024-05-01T12:00:00.5'}"),
	ERRROW(W, "binary as a number", "{'code':'c','blob':1}",
	    SCIM_E_INVALID_VALUE, "blob"),
	OKROW(W, "multi-valued string wrapped and emptied of nulls",
	    "{'code':'c','tags':'a','TAGS':['b',null,''],'serial':'s'}",
	    "{'code':'c','tags':['b']}"),
	ERRROW(W, "multi-valued string element of the wrong type",
	    "{'code':'c','tags':['a',1]}", SCIM_E_INVALID_VALUE,
	    "tags must be a string"),
	ERRROW(W, "missing required code", "{'count':1}",
	    SCIM_E_INVALID_VALUE, "code is required"),
	OKROW(W, "complex elements: unknown sub dropped, never kept",
	    "{'code':'c','items':[{'value':'v','secret':'s','x':1}]}",
	    "{'code':'c','items':[{'value':'v','secret':'s'}]}"),
};

/*
 * Row r again through resource_normalize_take(), which moves the
 * values out of a body instead of copying them: the same code and the
 * same output, member for member and in the same order (printed alike);
 * and resource_normalize() left its input (in, after it) as parsed.
 */
static void
norm_take_row(const struct norm_row *r, const cJSON *in, const cJSON *out,
    enum scim_err rc)
{
	struct scim_error	 err;
	cJSON			*again, *tout = NULL;
	char			*a, *b;
	enum scim_err		 trc;

	memset(&err, 0, sizeof(err));
	again = parse_q(r->in, r->line);
	ok(cJSON_Compare(again, in, true), "normalize: %s: input kept "
	    "(row at line %d)", r->name, r->line);
	trc = resource_normalize_take(r->rt, again, NULL, &tout, &err);
	a = out != NULL ? cJSON_PrintUnformatted(out) : NULL;
	b = tout != NULL ? cJSON_PrintUnformatted(tout) : NULL;
	ok(trc == rc && (a == NULL) == (b == NULL) &&
	    (a == NULL || strcmp(a, b) == 0), "normalize_take: %s: as "
	    "copied (row at line %d)", r->name, r->line);
	if (a != NULL && b != NULL && strcmp(a, b) != 0)
		printf("#   copied: %s\n#    taken: %s\n", a, b);
	free(a);
	free(b);
	cJSON_Delete(tout);
}

static void
test_normalize(void)
{
	const struct norm_row	*r;
	struct scim_error	 err;
	cJSON			*in, *out;
	enum scim_err		 rc;
	size_t			 i;
	int			 pass;

	for (i = 0; i < NELEM(norm_rows); i++) {
		r = &norm_rows[i];
		memset(&err, 0, sizeof(err));
		out = NULL;
		if ((in = parse_q(r->in, r->line)) == NULL) {
			ok(0, "normalize: %s (row at line %d)", r->name,
			    r->line);
			continue;
		}
		rc = resource_normalize(r->rt, in, &out, &err);
		if (r->want != NULL) {
			if (rc != SCIM_OK)
				printf("# row at line %d: error %d: %s\n",
				    r->line, (int)rc, err.detail);
			check_json(out, r->want, r->line, r->name);
		} else {
			pass = rc == r->code && out == NULL &&
			    err.code == r->code && (r->detail == NULL ||
			    strstr(err.detail, r->detail) != NULL);
			ok(pass, "%s (row at line %d)", r->name, r->line);
			if (!pass) {
				printf("#   expected: error %d containing "
				    "\"%s\"\n", (int)r->code,
				    r->detail != NULL ? r->detail : "");
				printf("#        got: error %d \"%s\"\n",
				    (int)rc, err.detail);
				diag_json("output", out);
			}
		}
		norm_take_row(r, in, out, rc);
		cJSON_Delete(in);
		cJSON_Delete(out);
	}
}

/* --- resource_render() --- */

#define BASE	"https://h/scim/v2"
#define LOC_U1	"https://h/scim/v2/Users/u1"

/* A stored User as the handlers hand it over. */
static const char stored_user[] =
    "{'id':'u1','externalId':'e1','userName':'bjensen',"
    "'name':{'givenName':'Barbara','familyName':'Jensen'},"
    "'displayName':'Babs','active':true,'password':'secret',"
    "'emails':[{'value':'b@work','type':'work','primary':true},"
    "{'value':'b@home','type':'home'}],"
    "'groups':[{'value':'g1','display':'G'}],"
    "'" ENT "':{'department':'Sales','manager':{'value':'m1'}},"
    "'" CUSTOM "':{'costCode':'A1','x':1},"
    "'meta':{'resourceType':'User','created':'2024-01-01T00:00:00Z',"
    "'lastModified':'2024-01-02T00:00:00Z','version':'W/1'}}";

static const char stored_group[] =
    "{'id':'g1','displayName':'Admins',"
    "'members':[{'value':'u1','displayName':'new User'},"
    "{'value':'u2','type':'User'}],"
    "'meta':{'resourceType':'Group','created':'2024-01-01T00:00:00Z',"
    "'lastModified':'2024-01-01T00:00:00Z'}}";

static const char stored_widget[] =
    "{'id':'w1','code':'c','audit':'a','pin':'1234','always':'yes',"
    "'items':[{'value':'v','secret':'s','extra':'e'}]}";

#define RENDERED_META \
    "'meta':{'resourceType':'User','created':'2024-01-01T00:00:00Z'," \
    "'lastModified':'2024-01-02T00:00:00Z','version':'W/1'," \
    "'location':'" LOC_U1 "'}"

struct render_row {
	int				 line;
	const struct resource_type	*rt;
	const char			*name;
	const char			*res;	/* single-quoted JSON */
	const char			*base;
	const char			*attributes;
	const char			*excluded;
	const char			*want;	/* single-quoted JSON */
};

static const struct render_row render_rows[] = {
	{ __LINE__, U, "full user: schemas, no password, meta.location",
	  stored_user, BASE, NULL, NULL,
	  "{'schemas':['" CORE "','" ENT "','" CUSTOM "'],'id':'u1',"
	  "'externalId':'e1','userName':'bjensen',"
	  "'name':{'givenName':'Barbara','familyName':'Jensen'},"
	  "'displayName':'Babs','active':true,"
	  "'emails':[{'value':'b@work','type':'work','primary':true},"
	  "{'value':'b@home','type':'home'}],"
	  "'groups':[{'value':'g1','display':'G'}],"
	  "'" ENT "':{'department':'Sales','manager':{'value':'m1'}},"
	  "'" CUSTOM "':{'costCode':'A1','x':1}," RENDERED_META "}" },
	{ __LINE__, U, "attributes=userName,emails",
	  stored_user, BASE, "userName,emails", NULL,
	  "{'schemas':['" CORE "'],'id':'u1','userName':'bjensen',"
	  "'emails':[{'value':'b@work','type':'work','primary':true},"
	  "{'value':'b@home','type':'home'}]}" },
	{ __LINE__, U, "attributes=emails[type eq \"work\"] is emails",
	  stored_user, BASE, "emails[type eq \"work\"]", NULL,
	  "{'schemas':['" CORE "'],'id':'u1',"
	  "'emails':[{'value':'b@work','type':'work','primary':true},"
	  "{'value':'b@home','type':'home'}]}" },
	{ __LINE__, U, "attributes=emails[value eq \"b@home\"].value",
	  stored_user, BASE, "emails[value eq \"b@home\"].value", NULL,
	  "{'schemas':['" CORE "'],'id':'u1',"
	  "'emails':[{'value':'b@work'},{'value':'b@home'}]}" },
	{ __LINE__, U, "attributes=name.givenName keeps only that",
	  stored_user, BASE, "name.givenName", NULL,
	  "{'schemas':['" CORE "'],'id':'u1',"
	  "'name':{'givenName':'Barbara'}}" },
	{ __LINE__, U, "attributes URN-qualified enterprise department",
	  stored_user, BASE, ENT ":department", NULL,
	  "{'schemas':['" CORE "','" ENT "'],'id':'u1',"
	  "'" ENT "':{'department':'Sales'}}" },
	{ __LINE__, U, "attributes URN-qualified core, any case",
	  stored_user, BASE, "URN:ietf:params:scim:schemas:core:2.0:User:"
	  "USERNAME", NULL,
	  "{'schemas':['" CORE "'],'id':'u1','userName':'bjensen'}" },
	{ __LINE__, U, "attributes trimmed, any case, meta when listed",
	  stored_user, BASE, " UserName , META ", NULL,
	  "{'schemas':['" CORE "'],'id':'u1','userName':'bjensen',"
	  RENDERED_META "}" },
	{ __LINE__, U, "attributes=meta.created",
	  stored_user, BASE, "meta.created", NULL,
	  "{'schemas':['" CORE "'],'id':'u1',"
	  "'meta':{'created':'2024-01-01T00:00:00Z'}}" },
	{ __LINE__, U, "attributes=password shows only what is always",
	  stored_user, BASE, "password", NULL,
	  "{'schemas':['" CORE "'],'id':'u1'}" },
	{ __LINE__, U, "attributes with unknown names only",
	  stored_user, BASE, "nosuch,alsoNot.this,urn:x:y:z", NULL,
	  "{'schemas':['" CORE "'],'id':'u1'}" },
	{ __LINE__, U, "attributes=emails.type",
	  stored_user, BASE, "emails.type", NULL,
	  "{'schemas':['" CORE "'],'id':'u1',"
	  "'emails':[{'type':'work'},{'type':'home'}]}" },
	{ __LINE__, U, "attributes names a custom extension attribute",
	  stored_user, BASE, CUSTOM ":costCode", NULL,
	  "{'schemas':['" CORE "','" CUSTOM "'],'id':'u1',"
	  "'" CUSTOM "':{'costCode':'A1'}}" },
	{ __LINE__, U, "attributes names the whole enterprise extension",
	  stored_user, BASE, ENT, NULL,
	  "{'schemas':['" CORE "','" ENT "'],'id':'u1',"
	  "'" ENT "':{'department':'Sales','manager':{'value':'m1'}}}" },
	{ __LINE__, U, "excludedAttributes=emails,id keeps id",
	  stored_user, BASE, NULL, "emails,id,schemas",
	  "{'schemas':['" CORE "','" ENT "','" CUSTOM "'],'id':'u1',"
	  "'externalId':'e1','userName':'bjensen',"
	  "'name':{'givenName':'Barbara','familyName':'Jensen'},"
	  "'displayName':'Babs','active':true,"
	  "'groups':[{'value':'g1','display':'G'}],"
	  "'" ENT "':{'department':'Sales','manager':{'value':'m1'}},"
	  "'" CUSTOM "':{'costCode':'A1','x':1}," RENDERED_META "}" },
	{ __LINE__, U, "excluded name.familyName, enterprise, custom, meta",
	  stored_user, BASE, NULL,
	  "name.familyName," ENT "," CUSTOM ",meta,groups,emails",
	  "{'schemas':['" CORE "'],'id':'u1','externalId':'e1',"
	  "'userName':'bjensen','name':{'givenName':'Barbara'},"
	  "'displayName':'Babs','active':true}" },
	{ __LINE__, U, "excluded enterprise manager and custom x",
	  stored_user, NULL, NULL,
	  ENT ":manager," CUSTOM ":x,userName,name,displayName,active,"
	  "emails,groups,externalId,meta",
	  "{'schemas':['" CORE "','" ENT "','" CUSTOM "'],'id':'u1',"
	  "'" ENT "':{'department':'Sales'},"
	  "'" CUSTOM "':{'costCode':'A1'}}" },
	{ __LINE__, U, "no base: meta as stored, no location",
	  "{'id':'u1','userName':'b','meta':{'resourceType':'User'}}",
	  NULL, NULL, NULL,
	  "{'schemas':['" CORE "'],'id':'u1','userName':'b',"
	  "'meta':{'resourceType':'User'}}" },
	{ __LINE__, U, "base with a trailing slash; stale location replaced",
	  "{'id':'u1','userName':'b','meta':{'location':'http://old/x'}}",
	  BASE "/", NULL, NULL,
	  "{'schemas':['" CORE "'],'id':'u1','userName':'b',"
	  "'meta':{'location':'" LOC_U1 "'}}" },
	{ __LINE__, U, "stored empty enterprise object not in schemas",
	  "{'id':'u1','userName':'b','" ENT "':{},'foo':'bar'}",
	  NULL, NULL, NULL,
	  "{'schemas':['" CORE "'],'id':'u1','userName':'b'}" },
	{ __LINE__, G, "group: unknown member sub-attribute is shown",
	  stored_group, BASE, NULL, NULL,
	  "{'schemas':['" GROUP "'],'id':'g1','displayName':'Admins',"
	  "'members':[{'value':'u1','displayName':'new User'},"
	  "{'value':'u2','type':'User'}],"
	  "'meta':{'resourceType':'Group','created':'2024-01-01T00:00:00Z',"
	  "'lastModified':'2024-01-01T00:00:00Z',"
	  "'location':'" BASE "/Groups/g1'}}" },
	{ __LINE__, G, "group: excludedAttributes=members",
	  stored_group, NULL, NULL, "members",
	  "{'schemas':['" GROUP "'],'id':'g1','displayName':'Admins',"
	  "'meta':{'resourceType':'Group','created':'2024-01-01T00:00:00Z',"
	  "'lastModified':'2024-01-01T00:00:00Z'}}" },
	{ __LINE__, G, "group: attributes=members.value",
	  stored_group, NULL, "members.value", NULL,
	  "{'schemas':['" GROUP "'],'id':'g1',"
	  "'members':[{'value':'u1'},{'value':'u2'}]}" },
	{ __LINE__, G, "group: comma inside a filter does not split",
	  stored_group, NULL,
	  "displayName,members[value eq \"a,b\" or value eq \"]\"]", NULL,
	  "{'schemas':['" GROUP "'],'id':'g1','displayName':'Admins',"
	  "'members':[{'value':'u1','displayName':'new User'},"
	  "{'value':'u2','type':'User'}]}" },
	{ __LINE__, G, "group: loaded empty member list shows as []",
	  "{'id':'g1','displayName':'G','members':[]}", NULL, NULL, NULL,
	  "{'schemas':['" GROUP "'],'id':'g1','displayName':'G',"
	  "'members':[]}" },
	{ __LINE__, W, "widget: request and never hidden by default",
	  stored_widget, NULL, NULL, NULL,
	  "{'schemas':['urn:example:params:scim:schemas:test:2.0:Widget'],"
	  "'id':'w1','code':'c','always':'yes','items':[{'value':'v'}]}" },
	{ __LINE__, W, "widget: returned:request shown when listed",
	  stored_widget, NULL, "audit,items.extra", NULL,
	  "{'schemas':['urn:example:params:scim:schemas:test:2.0:Widget'],"
	  "'id':'w1','audit':'a','always':'yes','items':[{'extra':'e'}]}" },
	{ __LINE__, W, "widget: returned:always cannot be excluded",
	  stored_widget, NULL, NULL, "always,id,code,items",
	  "{'schemas':['urn:example:params:scim:schemas:test:2.0:Widget'],"
	  "'id':'w1','always':'yes'}" },
	{ __LINE__, W, "widget: returned:never even when listed",
	  stored_widget, NULL, "pin,items.secret", NULL,
	  "{'schemas':['urn:example:params:scim:schemas:test:2.0:Widget'],"
	  "'id':'w1','always':'yes'}" },
};

/* The member names of object o joined with ',', into buf. */
static void
key_order(const cJSON *o, char *buf, size_t sz)
{
	const cJSON	*c;
	size_t		 n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(c, o) {
		n += snprintf(buf + n, n < sz ? sz - n : 0, "%s%s",
		    n > 0 ? "," : "", c->string);
		if (n >= sz)
			return;
	}
}

static void
test_render(void)
{
	const struct render_row	*r;
	cJSON			*res, *out, *take;
	char			 keys[1024], *a, *b;
	size_t			 i;

	for (i = 0; i < NELEM(render_rows); i++) {
		r = &render_rows[i];
		if ((res = parse_q(r->res, r->line)) == NULL) {
			ok(0, "render: %s (row at line %d)", r->name,
			    r->line);
			continue;
		}
		out = resource_render(r->rt, res, r->base, r->attributes,
		    r->excluded);
		check_json(out, r->want, r->line, r->name);
		/* The consuming variant prints the very same bytes. */
		take = resource_render_take(r->rt, cJSON_Duplicate(res, true),
		    r->base, r->attributes, r->excluded);
		a = cJSON_PrintUnformatted(out);
		b = cJSON_PrintUnformatted(take);
		is_str(b ? b : "(null)", a ? a : "(null)", "render_take: same "
		    "bytes as render");
		free(a);
		free(b);
		cJSON_Delete(take);
		cJSON_Delete(out);
		cJSON_Delete(res);
	}

	/* Member order: schemas, id, externalId, schema order, ext, meta. */
	res = parse_q(stored_user, __LINE__);
	out = resource_render(&rt_user, res, BASE, NULL, NULL);
	key_order(out, keys, sizeof(keys));
	is_str(keys, "schemas,id,externalId,userName,name,displayName,"
	    "active,emails," ENT "," CUSTOM ",groups,meta",
	    "render: members in schema order, schemas first, the "
	    "back-reference and meta last");
	cJSON_Delete(out);
	cJSON_Delete(res);

	/* The input is not modified. */
	res = parse_q(stored_group, __LINE__);
	out = resource_render(&rt_group, res, BASE, "members.value",
	    "members");
	cJSON_Delete(out);
	out = parse_q(stored_group, __LINE__);
	ok(cJSON_Compare(res, out, true), "render: stored resource unchanged");
	cJSON_Delete(out);
	cJSON_Delete(res);
}

/* --- resource_stored() and resource_answer() --- */

/*
 * resource_answer_take() of stored (a copy), as a handler answers a
 * record it wrote: byte for byte what rendering it gives, when it can be
 * made; never with a back-reference in it, which rendering orders.
 */
static void
answer_take_case(const struct resource_type *rt, const cJSON *stored,
    const cJSON *refs, const char *excluded, bool answerable,
    const char *name)
{
	const cJSON	*id;
	cJSON		*res, *want, *got;
	char		*wtext, *gtext, *gtext2, *text, *bare;
	size_t		 len;

	want = resource_render(rt, stored, BASE, NULL, NULL);
	wtext = cJSON_PrintUnformatted(want);
	res = cJSON_Duplicate(stored, true);
	text = cJSON_PrintUnformatted(res);	/* as the store has it */
	got = resource_answer_take(rt, res, BASE);
	ok((got != NULL) == answerable, "answer_take: %s: %s", name,
	    answerable ? "made" : "not made from a plain record");
	gtext = cJSON_PrintUnformatted(got != NULL ? got : res);
	if (got != NULL) {
		is_str(gtext, wtext, "answer_take: same bytes as render");
		/* The text stored, the location put in: the same again. */
		id = cJSON_GetObjectItem(got, "id");
		len = strlen(text);
		ok(resource_answer_locate(rt, &text, &len, id->valuestring,
		    BASE) && len == strlen(text), "answer_locate: %s: made",
		    name);
		is_str(text, wtext, "answer_locate: same bytes as render");
		/* Without a base no location: the text as it was. */
		bare = cJSON_PrintUnformatted(stored);
		gtext2 = strdup(bare);
		len = strlen(bare);
		ok(resource_answer_locate(rt, &bare, &len, id->valuestring,
		    NULL) && strcmp(bare, gtext2) == 0,
		    "answer_locate: %s: no base, no location", name);
		free(bare);
		free(gtext2);
		/* A text that does not end as a record's is refused. */
		bare = strdup("{\"schemas\":[],\"meta\":\"x\"}");
		len = strlen(bare);
		ok(!resource_answer_locate(rt, &bare, &len, id->valuestring,
		    BASE) && len == strlen(bare), "answer_locate: %s: refused "
		    "after a string", name);
		free(bare);
	} else
		ok(cJSON_Compare(res, stored, true), "answer_take: %s: the "
		    "record left as it was", name);
	free(gtext);
	free(text);
	cJSON_Delete(res);
	/* With the back-reference attached, as a group's PUT has it. */
	if (refs != NULL && excluded == NULL) {
		res = cJSON_Duplicate(stored, true);
		cJSON_AddItemToObject(res, rt->backref,
		    cJSON_Duplicate(refs, true));
		got = cJSON_Duplicate(res, true);
		ok(resource_answer_take(rt, res, BASE) == NULL &&
		    cJSON_Compare(res, got, true), "answer_take: %s: none "
		    "with a back-reference, the record as it was", name);
		cJSON_Delete(got);
		cJSON_Delete(res);
	}
	free(wtext);
	cJSON_Delete(want);
}

/*
 * Store res (single-quoted JSON, a record as a handler has it, its
 * back-reference attached as a read would) the way crud.c does, and answer
 * from the stored text: the answer must be, byte for byte, what rendering
 * the record gives; excluded is NULL or the back-reference.
 */
static void
answer_case(const struct resource_type *rt, const char *json,
    const char *excluded, bool answerable, const char *name)
{
	cJSON	*res, *refs, *stored, *want;
	char	*text, *got = NULL, *wtext, *ver = NULL;
	size_t	 len;

	if ((res = parse_q(json, __LINE__)) == NULL) {
		ok(0, "answer: %s: parse", name);
		return;
	}
	want = resource_render(rt, res, BASE, NULL, excluded);
	wtext = cJSON_PrintUnformatted(want);
	refs = cJSON_DetachItemFromObjectCaseSensitive(res, rt->backref);
	stored = resource_stored(rt, cJSON_Duplicate(res, true));
	text = cJSON_PrintUnformatted(stored);
	len = strlen(text);
	ok(resource_answerable(text, len) == answerable,
	    "answer: %s: stored %s", name, answerable ? "as shown" : "plain");
	answer_take_case(rt, stored, refs, excluded, answerable, name);
	/* The stored form loses nothing of the record. */
	cJSON_DeleteItemFromObjectCaseSensitive(stored, "schemas");
	ok(cJSON_Compare(stored, res, true), "answer: %s: same content",
	    name);
	if (answerable) {
		got = resource_answer(rt, text, len,
		    cJSON_GetObjectItem(res, "id")->valuestring,
		    excluded != NULL ? NULL : refs, BASE, &ver);
		if (excluded == NULL)
			refs = NULL;		/* consumed */
		is_str(got ? got : "(null)", wtext, "answer: same bytes as "
		    "render");
		is_str(ver ? ver : "(null)", cJSON_GetObjectItem(
		    cJSON_GetObjectItem(res, "meta"), "version")->valuestring,
		    "answer: version for the ETag");
	} else
		ok(resource_answer(rt, text, len, "x", NULL, BASE, &ver) ==
		    NULL && ver == NULL, "answer: %s: none from a plain "
		    "record", name);
	free(got);
	free(ver);
	free(text);
	free(wtext);
	cJSON_Delete(refs);
	cJSON_Delete(stored);
	cJSON_Delete(want);
	cJSON_Delete(res);
}

static void
test_answer(void)
{
	static const char	user[] =
	    "{'id':'u1','externalId':'e1','userName':'bjensen',"
	    "'name':{'givenName':'Barbara','familyName':'Jensen'},"
	    "'displayName':'Babs \\u00e9\\n\\\"q\\\"','active':true,"
	    "'emails':[{'value':'b@work','type':'work','primary':true}],"
	    "'x509Certificates':[{'value':'AAAA'}],"
	    "'groups':[{'value':'g1','display':'G'}],"
	    "'" ENT "':{'department':'Sales','manager':{'value':'m1'}},"
	    "'" CUSTOM "':{'costCode':'A1','x':1.5,'meta':{'n':1}},"
	    "'meta':{'resourceType':'User','created':'2024-01-01T00:00:00Z',"
	    "'lastModified':'2024-01-02T00:00:00Z','version':'W/\\\"3\\\"'}}";
	static const char	nogroups[] =
	    "{'userName':'a','id':'u2','meta':{'resourceType':'User',"
	    "'version':'W/\\\"1\\\"'},'title':'T'}";
	static const char	group[] =
	    "{'id':'g1','displayName':'Admins','externalId':'x',"
	    "'members':[{'value':'u1','display':'B','type':'User'}],"
	    "'meta':{'resourceType':'Group','created':'2024-01-01T00:00:00Z',"
	    "'lastModified':'2024-01-01T00:00:00Z','version':'W/\\\"2\\\"'}}";
	static const char	empty_group[] =
	    "{'id':'g2','displayName':'None','members':[],"
	    "'meta':{'resourceType':'Group','version':'W/\\\"1\\\"'}}";
	static const char	plain[] = "{\"id\":\"u1\",\"userName\":\"a\","
	    "\"meta\":{\"version\":\"W/\\\"1\\\"\"}}";
	static const char	nometa[] = "{\"schemas\":[\"x\"],\"id\":\"u\","
	    "\"userName\":\"a\",\"title\":{\"x\":1}}";
	static const char	withloc[] = "{\"schemas\":[\"x\"],\"id\":\"u\","
	    "\"userName\":\"a\",\"meta\":{\"version\":\"W/\\\"1\\\"\","
	    "\"location\":\"http://old/Users/u\"}}";
	cJSON			*refs;
	char			*ver = (char *)"x";

	answer_case(&rt_user, user, NULL, true, "user with groups");
	answer_case(&rt_user, user, "groups", true, "excludedAttributes="
	    "groups");
	answer_case(&rt_user, nogroups, NULL, true, "user in no group");
	answer_case(&rt_group, group, NULL, true, "group with members");
	answer_case(&rt_group, group, "members", true,
	    "excludedAttributes=members");
	answer_case(&rt_group, empty_group, NULL, true, "group of none");
	/* Never shown, so kept in a plain record that reads render. */
	answer_case(&rt_user, stored_user, NULL, false, "user with a "
	    "password");
	/* Records written before the stored form. */
	ok(!resource_answerable(plain, strlen(plain)),
	    "answer: a record stored plain is not answered from");
	ok(resource_answer(&rt_user, nometa, strlen(nometa), "u", NULL, BASE,
	    &ver) == NULL && ver == NULL, "answer: none without meta");
	/* A meta that already has a location: rendered instead. */
	refs = cJSON_Parse("[{\"value\":\"g1\"}]");
	ok(resource_answer(&rt_user, withloc, strlen(withloc), "u", refs, BASE,
	    &ver) == NULL && ver == NULL && cJSON_GetArraySize(refs) == 1,
	    "answer: none from a meta with a location; the back-reference "
	    "is the caller's again");
	cJSON_Delete(refs);
}

/* --- resource_wants() --- */

struct wants_row {
	int				 line;
	const struct resource_type	*rt;
	const char			*attr;
	const char			*attributes;
	const char			*excluded;
	int				 want;
};

static const struct wants_row wants_rows[] = {
	{ __LINE__, U, "groups", NULL, NULL, 1 },
	{ __LINE__, U, "groups", "userName,emails", NULL, 0 },
	{ __LINE__, U, "groups", NULL, "Groups", 0 },
	{ __LINE__, U, "groups", "groups.display", NULL, 1 },
	{ __LINE__, U, "groups", NULL, "groups.display", 1 },
	{ __LINE__, U, "password", NULL, NULL, 0 },
	{ __LINE__, U, "id", "userName", "id", 1 },
	{ __LINE__, U, "department", ENT ":department", NULL, 1 },
	{ __LINE__, G, "members", NULL, NULL, 1 },
	{ __LINE__, G, "members", NULL, "members", 0 },
	{ __LINE__, G, "members", "displayName", NULL, 0 },
	{ __LINE__, G, "members", "members[value eq \"x\"]", NULL, 1 },
	{ __LINE__, G, "members", "   ", NULL, 1 },
	{ __LINE__, W, "audit", NULL, NULL, 0 },
	{ __LINE__, W, "audit", "audit", NULL, 1 },
};

static void
test_wants(void)
{
	const struct wants_row	*r;
	char			 name[256];
	size_t			 i;

	for (i = 0; i < NELEM(wants_rows); i++) {
		r = &wants_rows[i];
		snprintf(name, sizeof(name), "wants %s attributes=%s "
		    "excluded=%s (row at line %d)", r->attr,
		    r->attributes != NULL ? r->attributes : "(none)",
		    r->excluded != NULL ? r->excluded : "(none)", r->line);
		is_int(resource_wants(r->rt, r->attr, r->attributes,
		    r->excluded), r->want, name);
	}
}

/* --- resource_bool() --- */

struct bool_row {
	int		 line;
	const char	*json;		/* single-quoted JSON */
	int		 ok;		/* expected return */
	int		 b;		/* expected value when ok */
};

static const struct bool_row bool_rows[] = {
	{ __LINE__, "true", 1, 1 },
	{ __LINE__, "false", 1, 0 },
	{ __LINE__, "'True'", 1, 1 },
	{ __LINE__, "'FALSE'", 1, 0 },
	{ __LINE__, "'tRuE'", 1, 1 },
	{ __LINE__, "'yes'", 0, 0 },
	{ __LINE__, "''", 0, 0 },
	{ __LINE__, "1", 0, 0 },
	{ __LINE__, "null", 0, 0 },
	{ __LINE__, "['true']", 0, 0 },
};

/*
 * A PATCH of a resource stored before the name rules: its unchanged name
 * is not checked again (Entra can still deactivate it), a new bad name is.
 */
static void
test_change(void)
{
	struct scim_error	 err;
	cJSON			*old, *in, *out = NULL;

	old = cJSON_Parse("{\"userName\":\"legacy\\tname\",\"active\":true}");
	in = cJSON_Parse("{\"userName\":\"legacy\\tname\",\"active\":false}");
	is_int(resource_normalize(&rt_user, in, &out, &err),
	    SCIM_E_INVALID_VALUE, "a control character in a new name: refused");
	cJSON_Delete(out);
	out = NULL;
	is_int(resource_normalize_change(&rt_user, in, old, &out, &err),
	    SCIM_OK, "the same name left as stored: the change goes through");
	cJSON_Delete(out);
	out = NULL;
	cJSON_ReplaceItemInObject(in, "userName",
	    cJSON_CreateString("other\tname"));
	is_int(resource_normalize_change(&rt_user, in, old, &out, &err),
	    SCIM_E_INVALID_VALUE, "renaming to another bad name: refused");
	cJSON_Delete(out);
	out = NULL;
	cJSON_Delete(in);
	cJSON_Delete(old);
	/* A userName stored with a trailing space before the rule. */
	old = cJSON_Parse("{\"userName\":\"spaced \",\"active\":true}");
	in = cJSON_Parse("{\"userName\":\"spaced \",\"active\":false}");
	is_int(resource_normalize_change(&rt_user, in, old, &out, &err),
	    SCIM_OK, "a stored name with a trailing space: the change goes "
	    "through");
	cJSON_Delete(out);
	out = NULL;
	cJSON_ReplaceItemInObject(in, "userName",
	    cJSON_CreateString("spaced\u00a0"));
	is_int(resource_normalize_change(&rt_user, in, old, &out, &err),
	    SCIM_E_INVALID_VALUE, "renaming to a trailing space: refused");
	cJSON_Delete(out);
	cJSON_Delete(in);
	cJSON_Delete(old);
}

static void
test_bool(void)
{
	const struct bool_row	*r;
	cJSON			*v;
	int			 b, got;
	size_t			 i;

	for (i = 0; i < NELEM(bool_rows); i++) {
		r = &bool_rows[i];
		v = parse_q(r->json, r->line);
		b = -1;
		got = v != NULL ? resource_bool(v, &b) : -1;
		ok(got == r->ok && (!r->ok || b == r->b),
		    "resource_bool(%s) (row at line %d)", r->json, r->line);
		if (got != r->ok || (r->ok && b != r->b))
			printf("#   expected: %d/%d\n#        got: %d/%d\n",
			    r->ok, r->b, got, b);
		cJSON_Delete(v);
	}
	ok(resource_bool(NULL, &b) == 0, "resource_bool(NULL)");
}

/*
 * The lists parsed once (attrsel_parse()) and handed to every rendering
 * give what parsing them per call gives: the render rows again through
 * resource_render_sel() and resource_render_take_sel() with one parsed
 * struct attrsel used twice, and the wants rows through
 * resource_wants_sel().
 */
static void
test_sel_once(void)
{
	const struct render_row	*r;
	const struct wants_row	*w;
	struct attrsel		 sel;
	cJSON			*res, *out, *once, *take;
	char			*a, *b, *c;
	size_t			 i;

	for (i = 0; i < NELEM(render_rows); i++) {
		r = &render_rows[i];
		if ((res = parse_q(r->res, r->line)) == NULL)
			continue;
		ok(attrsel_parse(r->rt, r->attributes, r->excluded, &sel),
		    "attrsel_parse: %s (row at line %d)", r->name, r->line);
		out = resource_render(r->rt, res, r->base, r->attributes,
		    r->excluded);
		once = resource_render_sel(r->rt, res, r->base, &sel);
		take = resource_render_take_sel(r->rt,
		    cJSON_Duplicate(res, true), r->base, &sel);
		a = cJSON_PrintUnformatted(out);
		b = cJSON_PrintUnformatted(once);
		c = cJSON_PrintUnformatted(take);
		is_str(b ? b : "(null)", a ? a : "(null)", "render_sel: same "
		    "bytes as render");
		is_str(c ? c : "(null)", a ? a : "(null)", "render_take_sel: "
		    "same bytes as render");
		free(a);
		free(b);
		free(c);
		cJSON_Delete(take);
		cJSON_Delete(once);
		cJSON_Delete(out);
		cJSON_Delete(res);
		attrsel_free(&sel);
	}
	for (i = 0; i < NELEM(wants_rows); i++) {
		w = &wants_rows[i];
		ok(attrsel_parse(w->rt, w->attributes, w->excluded, &sel),
		    "attrsel_parse (wants row at line %d)", w->line);
		is_int(resource_wants_sel(w->rt, w->attr, &sel), w->want,
		    "resource_wants_sel");
		attrsel_free(&sel);
	}
}

int
main(void)
{
	test_normalize();
	test_render();
	test_answer();
	test_wants();
	test_bool();
	test_change();
	test_sel_once();
	return tap_done();
}
