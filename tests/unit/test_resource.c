/*
 * Unit tests for the input side of common/scim/resource.c:
 * resource_normalize() and resource_bool(), each driven by a table of
 * rows, and a PATCH of a resource stored before the name rules.  The
 * rows run on the real User and Group types and on the Widget type of
 * resource_fixture.h.  A failing row prints the expected and actual JSON
 * as TAP diagnostics.  The output side (resource_render(),
 * resource_answer(), resource_wants()) is in test_resource_render.c.
 */
#include "resource_fixture.h"
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

int
main(void)
{
	test_normalize();
	test_bool();
	test_change();
	return tap_done();
}
