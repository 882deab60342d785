/*
 * Unit tests for common/scim/patch.c, table-driven: each row is a starting
 * resource, a PatchOp body and either the resource expected afterwards
 * or the error expected.  The rows cover every PATCH shape Microsoft
 * Entra ID sends (shared/reference/entra-scim.md sections 1.4-1.8,
 * checklist items 20-28 and 35-38), the RFC 7644 section 3.5.2 rules,
 * and the error cases.  The same rows are run again with failing
 * allocations, to make sure nothing crashes or leaks (run under ASan or
 * valgrind).  The members hook is tested in test_patch_hook.c, huge,
 * deep and odd values in test_patch_robust.c.
 */
#include "patch_fixture.h"
struct row {
	int				 line;
	const char			*name;
	const struct resource_type	*rt;
	const char			*start;	/* resource */
	const char			*body;	/* PatchOp */
	const char			*want;	/* NULL: error */
	enum scim_err			 err;	/* error expected */
};

#define U(n, s, b, w)	{ __LINE__, (n), &rt_user, (s), (b), (w), SCIM_OK }
#define G(n, s, b, w) \
	{ __LINE__, (n), &rt_group, (s), (b), (w), SCIM_OK }
#define UERR(n, s, b, e) { __LINE__, (n), &rt_user, (s), (b), NULL, (e) }
#define GERR(n, s, b, e) { __LINE__, (n), &rt_group, (s), (b), NULL, (e) }

static const struct row rows[] = {
	/* --- Entra default mode (section 1.4) --- */
	U("Replace work email value",
	    "{" UE "}",
	    PO(OPV("Replace", WORK ".value", "'new@work.com'")),
	    "{" U1 ",'emails':[{'type':'work','value':'new@work.com',"
	    "'primary':true}," EM_H "]}"),
	U("Replace work email value, none there: created",
	    "{" U1 "}",
	    PO(OPV("Replace", WORK ".value", "'b@work.com'")),
	    "{" U1 ",'emails':[{'type':'work','value':'b@work.com'}]}"),
	U("Add work email value, none there: created",
	    "{" U1 "}",
	    PO(OPV("Add", WORK ".value", "'b@work.com'")),
	    "{" U1 ",'emails':[{'type':'work','value':'b@work.com'}]}"),
	U("Add work email value beside a home email",
	    "{" U1 ",'emails':[" EM_H "]}",
	    PO(OPV("Add", WORK ".value", "'b@work.com'")),
	    "{" U1 ",'emails':[" EM_H ",{'type':'work','value':'b@work.com'}"
	    "]}"),
	U("Replace name.familyName keeps givenName",
	    "{" UN "}",
	    PO(OPV("Replace", "name.familyName", "'Smith'")),
	    "{" U1 ",'name':{'givenName':'Barbara','familyName':'Smith'}}"),
	U("Replace name.familyName without name creates it",
	    "{" U1 "}",
	    PO(OPV("Replace", "name.familyName", "'Smith'")),
	    "{" U1 ",'name':{'familyName':'Smith'}}"),
	U("Replace userName",
	    "{" U1 "}",
	    PO(OPV("Replace", "userName", "'barbara@contoso.com'")),
	    "{'id':'u1','userName':'barbara@contoso.com',"
	    "'meta':{'resourceType':'User'}}"),
	U("Replace displayName",
	    "{" U1 ",'displayName':'Old'}",
	    PO(OPV("Replace", "displayName", "'Babs Jensen'")),
	    "{" U1 ",'displayName':'Babs Jensen'}"),
	U("Replace externalId",
	    "{" U1 "}",
	    PO(OPV("Replace", "externalId", "'bjensen-ext'")),
	    "{" U1 ",'externalId':'bjensen-ext'}"),
	U("Replace enterprise employeeNumber creates the extension",
	    "{" U1 "}",
	    PO(OPV("Replace", ENT ":employeeNumber", "'701984'")),
	    "{" U1 ",'" ENT "':{'employeeNumber':'701984'}}"),
	U("Add nickName (previously empty)",
	    "{" U1 "}",
	    PO(OPV("Add", "nickName", "'Babs'")),
	    "{" U1 ",'nickName':'Babs'}"),
	U("Replace active \"False\" (string) disables",
	    "{" U1 ",'active':true}",
	    PO(OPV("Replace", "active", "'False'")),
	    "{" U1 ",'active':false}"),
	U("Replace active \"True\" (string) enables",
	    "{" U1 ",'active':false}",
	    PO(OPV("Replace", "active", "'True'")),
	    "{" U1 ",'active':true}"),
	U("replace active false (boolean)",
	    "{" U1 ",'active':true}",
	    PO(OPV("replace", "active", "false")),
	    "{" U1 ",'active':false}"),
	U("Add active false (deprovisioning with Add)",
	    "{" U1 ",'active':true}",
	    PO(OPV("Add", "active", "false")),
	    "{" U1 ",'active':false}"),
	U("Add active \"False\"",
	    "{" U1 ",'active':true}",
	    PO(OPV("Add", "active", "'False'")),
	    "{" U1 ",'active':false}"),
	U("ADD active \"TRUE\"",
	    "{" U1 "}",
	    PO(OPV("ADD", "active", "'TRUE'")),
	    "{" U1 ",'active':true}"),
	U("op in odd case: rEpLaCe",
	    "{" U1 "}",
	    PO(OPV("rEpLaCe", "title", "'Tour Guide'")),
	    "{" U1 ",'title':'Tour Guide'}"),
	U("Several Adds on addresses[type eq work].* build one address",
	    "{" U1 "}",
	    PO(OPV("Add", WADDR ".streetAddress", "'1 Main St'") ","
	    OPV("Add", WADDR ".locality", "'Springfield'") ","
	    OPV("Add", WADDR ".region", "'IL'") ","
	    OPV("Add", WADDR ".postalCode", "'62701'") ","
	    OPV("Add", WADDR ".country", "'US'") ","
	    OPV("Add", WADDR ".formatted", "'1 Main St, Springfield'")),
	    "{" U1 ",'addresses':[{'type':'work','streetAddress':'1 Main St',"
	    "'locality':'Springfield','region':'IL','postalCode':'62701',"
	    "'country':'US','formatted':'1 Main St, Springfield'}]}"),
	U("Replace on an existing work address sub-attribute",
	    "{" U1 ",'addresses':[{'type':'work','locality':'A'},"
	    "{'type':'home','locality':'B'}]}",
	    PO(OPV("Replace", WADDR ".locality", "'C'")),
	    "{" U1 ",'addresses':[{'type':'work','locality':'C'},"
	    "{'type':'home','locality':'B'}]}"),
	U("Add emails[type eq work].primary \"true\" (string)",
	    "{" U1 ",'emails':[{'type':'home','value':'h','primary':true},"
	    "{'type':'work','value':'w'}]}",
	    PO(OPV("Add", WORK ".primary", "'true'")),
	    "{" U1 ",'emails':[{'type':'home','value':'h','primary':false},"
	    "{'type':'work','value':'w','primary':true}]}"),
	U("Add type then value on emails[type eq work]: one element",
	    "{" U1 "}",
	    PO(OPV("Add", WORK ".type", "'work'") ","
	    OPV("Add", WORK ".value", "'w@x.com'") ","
	    OPV("Add", WORK ".primary", "'True'")),
	    "{" U1 ",'emails':[{'type':'work','value':'w@x.com',"
	    "'primary':true}]}"),
	U("Replace phoneNumbers[type eq mobile].value creates",
	    "{" U1 ",'phoneNumbers':[{'type':'work','value':'1'}]}",
	    PO(OPV("Replace", "phoneNumbers[type eq \\'mobile\\'].value",
	    "'555'")),
	    "{" U1 ",'phoneNumbers':[{'type':'work','value':'1'},"
	    "{'type':'mobile','value':'555'}]}"),

	/* --- aadOptscim062020: pathless ops with dotted/URN keys --- */
	U("pathless replace with dotted and URN keys",
	    "{" UN ",'displayName':'Old'}",
	    PO(OPL("replace", "{'displayName':'Babs','name.givenName':'B',"
	    "'name.familyName':'J','" ENT ":employeeNumber':'42'}")),
	    "{" U1 ",'displayName':'Babs','name':{'givenName':'B',"
	    "'familyName':'J'},'" ENT "':{'employeeNumber':'42'}}"),
	U("pathless add with dotted and URN keys",
	    "{" U1 "}",
	    PO(OPL("add", "{'name.givenName':'B','" ENT ":department':'D',"
	    "'title':'T'}")),
	    "{" U1 ",'name':{'givenName':'B'},'title':'T','" ENT "':"
	    "{'department':'D'}}"),
	U("pathless replace with core-URN-qualified userName",
	    "{" U1 "}",
	    PO(OPL("replace", "{'" CORE ":userName':'bj2','active':false}")),
	    "{'id':'u1','userName':'bj2','meta':{'resourceType':'User'},"
	    "'active':false}"),
	U("pathless add with a nested extension object",
	    "{" UM "}",
	    PO(OPL("add", "{'" ENT "':{'department':'Sales',"
	    "'costCenter':'CC1'}}")),
	    "{" U1 ",'" ENT "':{'department':'Sales','costCenter':'CC1',"
	    MGR "}}"),
	U("pathless replace with the core URN object",
	    "{" U1 "}",
	    PO(OPL("replace", "{'" CORE "':{'title':'T'}}")),
	    "{" U1 ",'title':'T'}"),
	U("pathless replace with a nested name object merges",
	    "{" UN "}",
	    PO(OPL("replace", "{'name':{'middleName':'Jane'}}")),
	    "{" U1 ",'name':{'givenName':'Barbara','familyName':'Jensen',"
	    "'middleName':'Jane'}}"),
	U("pathless add with a filtered key",
	    "{" U1 "}",
	    PO(OPL("add", "{'" WORK ".value':'k@w.com'}")),
	    "{" U1 ",'emails':[{'type':'work','value':'k@w.com'}]}"),
	U("pathless replace echoing id and schemas",
	    "{" U1 "}",
	    PO(OPL("replace", "{'schemas':['" CORE "'],'id':'u1',"
	    "'nickName':'N'}")),
	    "{" U1 ",'nickName':'N'}"),
	U("\"path\": \"\" is taken as no path",
	    "{" U1 "}",
	    PO("{'op':'replace','path':'','value':{'title':'T'}}"),
	    "{" U1 ",'title':'T'}"),

	/* --- clearing with "" and null (validator, checklist 25) --- */
	U("replace title \"\" clears",
	    "{" U1 ",'title':'T'}",
	    PO(OPV("replace", "title", "''")),
	    "{" U1 "}"),
	U("replace title null clears",
	    "{" U1 ",'title':'T'}",
	    PO(OPV("replace", "title", "null")),
	    "{" U1 "}"),
	U("replace enterprise department \"\" clears, extension goes",
	    "{" U1 ",'" ENT "':{'department':'D'}}",
	    PO(OPV("replace", ENT ":department", "''")),
	    "{" U1 "}"),
	U("replace name.givenName \"\" keeps familyName",
	    "{" UN "}",
	    PO(OPV("replace", "name.givenName", "''")),
	    "{" U1 ",'name':{'familyName':'Jensen'}}"),
	U("pathless batch of \"\" and null clears",
	    "{" UN ",'title':'T','nickName':'N'}",
	    PO(OPL("replace", "{'name.givenName':'','name.familyName':null,"
	    "'title':'','nickName':null}")),
	    "{" U1 "}"),
	U("replace work email value \"\" drops the element",
	    "{" UE "}",
	    PO(OPV("replace", WORK ".value", "''")),
	    "{" U1 ",'emails':[" EM_H "]}"),
	U("replace work email value null when absent: no-op",
	    "{" U1 "}",
	    PO(OPV("replace", WORK ".value", "null")),
	    "{" U1 "}"),
	U("replace emails [] clears",
	    "{" UE "}",
	    PO(OPV("replace", "emails", "[]")),
	    "{" U1 "}"),
	U("replace absent title with null: no-op",
	    "{" U1 "}",
	    PO(OPV("replace", "title", "null")),
	    "{" U1 "}"),
	U("Operations [] is a no-op",
	    "{" UE "}",
	    PO(""),
	    "{" UE "}"),
	U("\"operations\" key in any case",
	    "{" U1 "}",
	    "{'OPERATIONS':[" OPV("add", "title", "'T'") "]}",
	    "{" U1 ",'title':'T'}"),

	/* --- manager (section 1.6, checklist 28) --- */
	U("Add manager as a bare id string",
	    "{" U1 "}",
	    PO(OPV("Add", ENT ":manager", "'m1'")),
	    "{" U1 ",'" ENT "':{'manager':{'value':'m1'}}}"),
	U("Add legacy path manager with [{$ref,value}]",
	    "{" U1 "}",
	    PO(OPV("Add", "manager", "[{'$ref':'../Users/m1','value':'m1'}]")),
	    "{" U1 ",'" ENT "':{" MGR "}}"),
	U("Add manager as an object",
	    "{" U1 "}",
	    PO(OPV("add", ENT ":manager", "{'value':'m1'}")),
	    "{" U1 ",'" ENT "':{'manager':{'value':'m1'}}}"),
	U("replace manager with a new id drops the old $ref",
	    "{" UM "}",
	    PO(OPV("replace", ENT ":manager", "'m2'")),
	    "{" U1 ",'" ENT "':{'department':'Tour',"
	    "'manager':{'value':'m2'}}}"),
	U("replace manager with the same id keeps $ref",
	    "{" UM "}",
	    PO(OPV("replace", ENT ":manager", "{'value':'m1'}")),
	    "{" UM "}"),
	U("replace manager \"\" clears it",
	    "{" UM "}",
	    PO(OPV("replace", ENT ":manager", "''")),
	    "{" U1 ",'" ENT "':{'department':'Tour'}}"),
	U("replace manager {value:\"\"} clears it",
	    "{" UM "}",
	    PO(OPV("replace", ENT ":manager", "{'value':''}")),
	    "{" U1 ",'" ENT "':{'department':'Tour'}}"),
	U("replace manager [] clears it",
	    "{" UM "}",
	    PO(OPV("replace", "manager", "[]")),
	    "{" U1 ",'" ENT "':{'department':'Tour'}}"),
	U("remove manager[value eq id]",
	    "{" UM "}",
	    PO(OPN("remove", "manager[value eq \\'m1\\']")),
	    "{" U1 ",'" ENT "':{'department':'Tour'}}"),
	U("remove qualified manager[value eq id], extension emptied",
	    "{" U1 ",'" ENT "':{" MGR "}}",
	    PO(OPN("remove", ENT ":manager[value eq \\'m1\\']")),
	    "{" U1 "}"),
	U("replace manager.value",
	    "{" UM "}",
	    PO(OPV("replace", ENT ":manager.value", "'m3'")),
	    "{" U1 ",'" ENT "':{'department':'Tour','manager':"
	    "{'value':'m3','$ref':'../Users/m1'}}}"),
	U("remove manager with its id as value",
	    "{" UM "}",
	    PO(OPV("remove", ENT ":manager", "'m1'")),
	    "{" U1 ",'" ENT "':{'department':'Tour'}}"),
	U("remove manager with another id as value keeps it",
	    "{" UM "}",
	    PO(OPV("remove", ENT ":manager", "[{'value':'m2'}]")),
	    "{" UM "}"),
	U("remove manager without value",
	    "{" UM "}",
	    PO(OPN("remove", ENT ":manager")),
	    "{" U1 ",'" ENT "':{'department':'Tour'}}"),
	U("pathless add of the qualified manager",
	    "{" U1 "}",
	    PO(OPL("add", "{'" ENT ":manager':'m9'}")),
	    "{" U1 ",'" ENT "':{'manager':{'value':'m9'}}}"),
	U("unqualified department resolves to the enterprise extension",
	    "{" U1 "}",
	    PO(OPV("replace", "Department", "'D'")),
	    "{" U1 ",'" ENT "':{'department':'D'}}"),

	/* --- roles (section 1.8) --- */
	U("Add roles with JSON in a string value, kept as given",
	    "{" U1 "}",
	    PO(OPV("Add", "roles", "[{'value':'{\\'id\\':\\'r1\\'}'}]")),
	    "{" U1 ",'roles':[{'value':'{\\'id\\':\\'r1\\'}'}]}"),
	U("replace roles with the full array",
	    "{" U1 ",'roles':[{'value':'A'}]}",
	    PO(OPV("replace", "roles", "[{'primary':'True','type':'T',"
	    "'display':'Admin','value':'Admin'}]")),
	    "{" U1 ",'roles':[{'primary':true,'type':'T','display':'Admin',"
	    "'value':'Admin'}]}"),
	U("replace roles[primary eq \"True\"].value creates the role",
	    "{" U1 "}",
	    PO(OPV("replace", "roles[primary eq \\'True\\'].value",
	    "'Admin'")),
	    "{" U1 ",'roles':[{'primary':true,'value':'Admin'}]}"),

	U("roles[primary eq \"True\"].value/.display/.type: one role",
	    "{" U1 "}",
	    PO(OPV("Add", "roles[primary eq \\'True\\'].value", "'Admin'") ","
	    OPV("Add", "roles[primary eq \\'True\\'].display", "'Admin'") ","
	    OPV("Add", "roles[primary eq \\'True\\'].type",
	    "'WindowsAzureActiveDirectoryRole'")),
	    "{" U1 ",'roles':[{'primary':true,'value':'Admin',"
	    "'display':'Admin','type':'WindowsAzureActiveDirectoryRole'}]}"),

	/* --- RFC 7644 section 3.5.2 on multi-valued attributes --- */
	U("add emails appends",
	    "{" U1 ",'emails':[" EM_H "]}",
	    PO(OPV("add", "emails", "[{'type':'other','value':'o@x'}]")),
	    "{" U1 ",'emails':[" EM_H ",{'type':'other','value':'o@x'}]}"),
	U("add an email already there is a no-op",
	    "{" UE "}",
	    PO(OPV("add", "emails", "[" EM_H "]")),
	    "{" UE "}"),
	U("add an email with the same value and type merges",
	    "{" UE "}",
	    PO(OPV("add", "emails", "{'type':'home','value':'B@HOME.COM',"
	    "'primary':true}")),
	    "{" U1 ",'emails':[{'type':'work','value':'b@work.com',"
	    "'primary':false},{'type':'home','value':'B@HOME.COM',"
	    "'primary':true}]}"),
	U("add a primary email makes the others non-primary",
	    "{" UE "}",
	    PO(OPV("add", "emails", "[{'type':'other','value':'o',"
	    "'Primary':'True'}]")),
	    "{" U1 ",'emails':[{'type':'work','value':'b@work.com',"
	    "'primary':false}," EM_H ",{'type':'other','value':'o',"
	    "'primary':true}]}"),
	U("replace emails replaces the whole array",
	    "{" UE "}",
	    PO(OPV("replace", "emails", "[{'value':'z@x','type':'work'}]")),
	    "{" U1 ",'emails':[{'value':'z@x','type':'work'}]}"),
	U("replace emails[type eq work] replaces the element",
	    "{" UE "}",
	    PO(OPV("replace", WORK, "{'value':'n@w'}")),
	    "{" U1 ",'emails':[{'value':'n@w','type':'work'}," EM_H "]}"),
	U("add emails[type eq work] merges into the element",
	    "{" UE "}",
	    PO(OPV("add", WORK, "{'value':'n@w'}")),
	    "{" U1 ",'emails':[{'type':'work','value':'n@w','primary':true},"
	    EM_H "]}"),
	U("remove emails[type eq work]",
	    "{" UE "}",
	    PO(OPN("remove", WORK)),
	    "{" U1 ",'emails':[" EM_H "]}"),
	U("remove emails[type eq work].value drops the hollow element",
	    "{" UE "}",
	    PO(OPN("remove", WORK ".value")),
	    "{" U1 ",'emails':[" EM_H "]}"),
	U("remove emails[type eq home] and the array goes",
	    "{" U1 ",'emails':[" EM_H "]}",
	    PO(OPN("remove", "emails[type eq \\'home\\']")),
	    "{" U1 "}"),
	U("remove emails removes all",
	    "{" UE "}",
	    PO(OPN("remove", "emails")),
	    "{" U1 "}"),
	U("remove emails[type eq work].primary keeps the element",
	    "{" UE "}",
	    PO(OPN("Remove", WORK ".primary")),
	    "{" U1 ",'emails':[{'type':'work','value':'b@work.com'}," EM_H
	    "]}"),
	U("replace emails.type sets it on every value",
	    "{" UE "}",
	    PO(OPV("replace", "emails.type", "'other'")),
	    "{" U1 ",'emails':[{'type':'other','value':'b@work.com',"
	    "'primary':true},{'type':'other','value':'b@home.com'}]}"),
	U("filter with and: both terms used to create",
	    "{" U1 "}",
	    PO(OPV("add", "emails[type eq \\'work\\' and primary eq true]"
	    ".value", "'p@w'")),
	    "{" U1 ",'emails':[{'type':'work','primary':true,"
	    "'value':'p@w'}]}"),
	U("add emails[type eq work] object when none: created",
	    "{" U1 "}",
	    PO(OPV("add", WORK, "{'value':'c@w'}")),
	    "{" U1 ",'emails':[{'type':'work','value':'c@w'}]}"),

	/* --- RFC rules on single values and names --- */
	U("add name merges sub-attributes",
	    "{" UN "}",
	    PO(OPV("add", "name", "{'familyName':'Smith','formatted':'B S'}")),
	    "{" U1 ",'name':{'givenName':'Barbara','familyName':'Smith',"
	    "'formatted':'B S'}}"),
	U("replace name merges too (RFC 7644 3.5.2.3)",
	    "{" UN "}",
	    PO(OPV("replace", "name", "{'GivenName':'Babs'}")),
	    "{" U1 ",'name':{'givenName':'Babs','familyName':'Jensen'}}"),
	U("remove name.givenName",
	    "{" UN "}",
	    PO(OPN("remove", "name.givenName")),
	    "{" U1 ",'name':{'familyName':'Jensen'}}"),
	U("remove name.givenName when name is absent: no-op",
	    "{" U1 "}",
	    PO(OPN("remove", "name.givenName")),
	    "{" U1 "}"),
	U("remove title when absent: no-op",
	    "{" U1 "}",
	    PO(OPN("remove", "title")),
	    "{" U1 "}"),
	U("names in any case",
	    "{" U1 "}",
	    PO(OPV("Replace", "NickName", "'N'") ","
	    OPV("Add", "EMAILS[TYPE eq \\'work\\'].VALUE", "'W'") ","
	    OPV("Replace", "urn:ietf:params:scim:schemas:extension:"
	    "ENTERPRISE:2.0:User:Department", "'D'")),
	    "{" U1 ",'nickName':'N','emails':[{'type':'work','value':'W'}],"
	    "'" ENT "':{'department':'D'}}"),
	U("replace the whole enterprise extension by its URN",
	    "{" UM "}",
	    PO(OPV("replace", ENT, "{'department':'X','division':'Y'}")),
	    "{" U1 ",'" ENT "':{'department':'X','division':'Y'," MGR "}}"),
	U("remove the whole enterprise extension by its URN",
	    "{" UM "}",
	    PO(OPN("remove", ENT)),
	    "{" U1 "}"),
	U("unknown core attribute ignored",
	    "{" U1 "}",
	    PO(OPV("add", "favouriteColour", "'blue'") ","
	    OPV("replace", "name.nonsense", "'x'")),
	    "{" U1 "}"),
	U("unknown enterprise attribute ignored",
	    "{" U1 "}",
	    PO(OPV("add", ENT ":shoeSize", "'44'")),
	    "{" U1 "}"),
	U("custom extension attribute kept as sent",
	    "{" U1 "}",
	    PO(OPV("add", CUST ":costCode", "'C1'")),
	    "{" U1 ",'" CUST "':{'costCode':'C1'}}"),
	U("pathless custom extension object kept as sent",
	    "{" U1 "}",
	    PO(OPL("add", "{'" CUST "':{'badge':'B7','level':3}}")),
	    "{" U1 ",'" CUST "':{'badge':'B7','level':3}}"),
	U("add emails [null] changes nothing",
	    "{" U1 "}",
	    PO(OPV("add", "emails", "[null]")),
	    "{" U1 "}"),
	U("remove emails.value empties every value",
	    "{" UE "}",
	    PO(OPN("remove", "emails.value")),
	    "{" U1 "}"),
	U("add to a custom array appends what is new",
	    "{" U1 ",'" CUST "':{'z':[1,2]}}",
	    PO(OPV("add", CUST ":z", "[2,3]")),
	    "{" U1 ",'" CUST "':{'z':[1,2,3]}}"),
	U("member names of an operation in any case",
	    "{" U1 "}",
	    PO("{'OP':'add','Path':'title','VALUE':'T'}"),
	    "{" U1 ",'title':'T'}"),
	U("password (writeOnly) may be set",
	    "{" U1 "}",
	    PO(OPV("replace", "password", "'s3cret'")),
	    "{" U1 ",'password':'s3cret'}"),
	U("replace id with its own value is a no-op",
	    "{" U1 "}",
	    PO(OPV("replace", "id", "'u1'")),
	    "{" U1 "}"),

	/* --- Groups without a hook (sections 1.7, checklist 35-38) --- */
	G("Add members with $ref null",
	    "{" G1B "}",
	    PO(OPV("Add", "members", "[{'$ref':null,'value':'u1'},"
	    "{'$ref':null,'value':'u2'}]")),
	    "{" G1B ",'members':[{'value':'u1'},{'value':'u2'}]}"),
	G("Add a member already there: no-op",
	    "{" G1 "}",
	    PO(OPV("Add", "members", "[{'value':'u2'}]")),
	    "{" G1 "}"),
	G("Remove members with a value list removes only those",
	    "{" G1 "}",
	    PO(OPV("Remove", "members", "[{'value':'u2'}]")),
	    "{" G1B ",'members':[{'value':'u1'},{'value':'u3'}]}"),
	G("Remove members with a value list of absent ids: no-op",
	    "{" G1 "}",
	    PO(OPV("Remove", "members", "[{'value':'u9'}]")),
	    "{" G1 "}"),
	G("Remove members with value [] removes nothing",
	    "{" G1 "}",
	    PO(OPV("Remove", "members", "[]")),
	    "{" G1 "}"),
	G("remove members[value eq id]",
	    "{" G1 "}",
	    PO(OPN("remove", "members[value eq \\'u3\\']")),
	    "{" G1B ",'members':[{'value':'u1'},{'value':'u2'}]}"),
	G("remove members without value or filter removes all",
	    "{" G1 "}",
	    PO(OPN("remove", "members")),
	    "{" G1B "}"),
	G("Replace group displayName",
	    "{" G1 "}",
	    PO(OPV("Replace", "displayName", "'Group2'")),
	    "{'id':'g1','displayName':'Group2','meta':{'resourceType':"
	    "'Group'},'members':[{'value':'u1'},{'value':'u2'},"
	    "{'value':'u3'}]}"),
	G("add a member as a bare id string",
	    "{" G1B "}",
	    PO(OPV("add", "members", "'string id 1'")),
	    "{" G1B ",'members':[{'value':'string id 1'}]}"),
	G("members keep sub-attributes the schema lacks",
	    "{" G1B "}",
	    PO(OPV("add", "members", "[{'displayName':'new User',"
	    "'value':'u4'}]")),
	    "{" G1B ",'members':[{'displayName':'new User','value':'u4'}]}"),
	G("immutable members.type may be added when absent",
	    "{" G1 "}",
	    PO(OPV("add", "members[value eq \\'u2\\'].type", "'User'")),
	    "{" G1B ",'members':[{'value':'u1'},{'value':'u2','type':'User'},"
	    "{'value':'u3'}]}"),
	G("replace members replaces the whole list",
	    "{" G1 "}",
	    PO(OPV("replace", "members", "[{'value':'u8'},{'value':'u9'}]")),
	    "{" G1B ",'members':[{'value':'u8'},{'value':'u9'}]}"),
	G("pathless replace of displayName and members",
	    "{" G1 "}",
	    PO(OPL("replace", "{'displayName':'G',"
	    "'members':[{'value':'u7'}]}")),
	    "{'id':'g1','displayName':'G','meta':{'resourceType':'Group'},"
	    "'members':[{'value':'u7'}]}"),

	/* --- errors --- */
	UERR("replace id: mutability", "{" U1 "}",
	    PO(OPV("replace", "id", "'u2'")), SCIM_E_MUTABILITY),
	UERR("remove id: mutability", "{" U1 "}",
	    PO(OPN("remove", "id")), SCIM_E_MUTABILITY),
	UERR("replace meta: mutability", "{" U1 "}",
	    PO(OPV("replace", "meta", "{'resourceType':'Group'}")),
	    SCIM_E_MUTABILITY),
	UERR("remove meta.created: mutability", "{" U1 "}",
	    PO(OPN("remove", "meta.created")), SCIM_E_MUTABILITY),
	UERR("add groups: mutability", "{" U1 "}",
	    PO(OPV("add", "groups", "[{'value':'g1'}]")), SCIM_E_MUTABILITY),
	UERR("pathless replace with another id: mutability", "{" U1 "}",
	    PO(OPL("replace", "{'id':'u9'}")), SCIM_E_MUTABILITY),
	UERR("replace manager.displayName: mutability", "{" UM "}",
	    PO(OPV("replace", ENT ":manager.displayName", "'Boss'")),
	    SCIM_E_MUTABILITY),
	GERR("replace members[...].value: immutable", "{" G1 "}",
	    PO(OPV("replace", "members[value eq \\'u2\\'].value", "'u9'")),
	    SCIM_E_MUTABILITY),
	GERR("replace members[...] with another value: immutable",
	    "{" G1 "}",
	    PO(OPV("replace", "members[value eq \\'u2\\']",
	    "{'value':'u9','display':'x'}")), SCIM_E_MUTABILITY),
	UERR("unbalanced [: invalidPath", "{" U1 "}",
	    PO(OPV("add", "emails[type eq \\'work\\'", "'x'")),
	    SCIM_E_INVALID_PATH),
	UERR("stray ]: invalidPath", "{" U1 "}",
	    PO(OPV("add", "emails]", "'x'")), SCIM_E_INVALID_PATH),
	UERR("bad value filter: invalidPath", "{" U1 "}",
	    PO(OPV("add", "emails[type eq].value", "'x'")),
	    SCIM_E_INVALID_PATH),
	UERR("empty value filter: invalidPath", "{" U1 "}",
	    PO(OPV("add", "emails[].value", "'x'")), SCIM_E_INVALID_PATH),
	UERR("two dots: invalidPath", "{" U1 "}",
	    PO(OPV("add", "name.givenName.x", "'x'")), SCIM_E_INVALID_PATH),
	UERR("filter on a simple attribute: invalidPath", "{" U1 "}",
	    PO(OPV("replace", "userName[value eq \\'x\\']", "'y'")),
	    SCIM_E_INVALID_PATH),
	UERR("junk after ]: invalidPath", "{" U1 "}",
	    PO(OPV("add", WORK "x", "'y'")), SCIM_E_INVALID_PATH),
	UERR("sub-attribute of a simple attribute: invalidPath", "{" U1 "}",
	    PO(OPV("add", "userName.first", "'y'")), SCIM_E_INVALID_PATH),
	UERR("path not a string: invalidPath", "{" U1 "}",
	    PO("{'op':'add','path':12,'value':'x'}"), SCIM_E_INVALID_PATH),
	UERR("bad characters: invalidPath", "{" U1 "}",
	    PO(OPV("add", "user name", "'x'")), SCIM_E_INVALID_PATH),
	UERR("remove without path: noTarget", "{" UE "}",
	    PO("{'op':'remove'}"), SCIM_E_NO_TARGET),
	UERR("remove a filter matching nothing: noTarget", "{" U1 ",'emails':["
	    EM_W "]}",
	    PO(OPN("remove", "emails[type eq \\'home\\']")),
	    SCIM_E_NO_TARGET),
	UERR("remove manager[value eq other]: noTarget", "{" UM "}",
	    PO(OPN("remove", "manager[value eq \\'m2\\']")),
	    SCIM_E_NO_TARGET),
	UERR("replace filter without .sub matching nothing: noTarget",
	    "{" UE "}",
	    PO(OPV("replace", "emails[type eq \\'other\\']",
	    "{'value':'o'}")), SCIM_E_NO_TARGET),
	UERR("replace with a non-eq filter matching nothing: noTarget",
	    "{" UE "}",
	    PO(OPV("replace", "emails[value co \\'zzz\\'].value", "'o'")),
	    SCIM_E_NO_TARGET),
	UERR("op copy: invalidSyntax", "{" U1 "}",
	    PO(OPV("copy", "title", "'x'")), SCIM_E_INVALID_SYNTAX),
	UERR("op missing: invalidSyntax", "{" U1 "}",
	    PO("{'path':'title','value':'x'}"), SCIM_E_INVALID_SYNTAX),
	UERR("op not a string: invalidSyntax", "{" U1 "}",
	    PO("{'op':1,'path':'title','value':'x'}"),
	    SCIM_E_INVALID_SYNTAX),
	UERR("operation not an object: invalidSyntax", "{" U1 "}",
	    PO("'add'"), SCIM_E_INVALID_SYNTAX),
	UERR("Operations not an array: invalidSyntax", "{" U1 "}",
	    "{'Operations':{'op':'add'}}", SCIM_E_INVALID_SYNTAX),
	UERR("no Operations: invalidSyntax", "{" U1 "}",
	    "{'schemas':['urn:ietf:params:scim:api:messages:2.0:PatchOp']}",
	    SCIM_E_INVALID_SYNTAX),
	UERR("body an array: invalidSyntax", "{" U1 "}",
	    "[" OPV("add", "title", "'x'") "]", SCIM_E_INVALID_SYNTAX),
	UERR("userName an object: invalidValue", "{" U1 "}",
	    PO(OPV("replace", "userName", "{'value':'x'}")),
	    SCIM_E_INVALID_VALUE),
	UERR("active \"maybe\": invalidValue", "{" U1 "}",
	    PO(OPV("replace", "active", "'maybe'")), SCIM_E_INVALID_VALUE),
	UERR("title a number: invalidValue", "{" U1 "}",
	    PO(OPV("replace", "title", "42")), SCIM_E_INVALID_VALUE),
	UERR("emails element a string: invalidValue", "{" U1 "}",
	    PO(OPV("add", "emails", "['a@b']")), SCIM_E_INVALID_VALUE),
	UERR("name a string: invalidValue", "{" U1 "}",
	    PO(OPV("replace", "name", "'Barbara'")), SCIM_E_INVALID_VALUE),
	UERR("primary \"yes\" in a filter path: invalidValue", "{" UE "}",
	    PO(OPV("replace", WORK ".primary", "'yes'")),
	    SCIM_E_INVALID_VALUE),
	UERR("pathless value a string: invalidValue", "{" U1 "}",
	    PO(OPL("add", "'x'")), SCIM_E_INVALID_VALUE),
	UERR("add without value: invalidValue", "{" U1 "}",
	    PO(OPN("add", "title")), SCIM_E_INVALID_VALUE),
	UERR("replace userName \"\": required", "{" U1 "}",
	    PO(OPV("replace", "userName", "''")), SCIM_E_INVALID_VALUE),
	UERR("replace userName null: required", "{" U1 "}",
	    PO(OPV("replace", "userName", "null")), SCIM_E_INVALID_VALUE),
	UERR("remove userName: required", "{" U1 "}",
	    PO(OPN("remove", "userName")), SCIM_E_INVALID_VALUE),
	UERR("pathless userName null: required", "{" U1 "}",
	    PO(OPL("replace", "{'userName':null}")), SCIM_E_INVALID_VALUE),
	UERR("path null on remove: noTarget", "{" U1 "}",
	    PO("{'op':'remove','path':null}"), SCIM_E_NO_TARGET),
	UERR("schema objects nested too deeply: invalidValue", "{" U1 "}",
	    PO(OPL("add", "{'" CORE "':{'" CORE "':{'" CORE "':{'" CORE
	    "':{'title':'deep'}}}}}")), SCIM_E_INVALID_VALUE),
	UERR("remove the core schema: invalidPath", "{" U1 "}",
	    PO(OPN("remove", CORE)), SCIM_E_INVALID_PATH),
	GERR("remove group displayName: required", "{" G1 "}",
	    PO(OPN("remove", "displayName")), SCIM_E_INVALID_VALUE),
	UERR("second op fails after the first applied", "{" U1 "}",
	    PO(OPV("add", "title", "'T'") "," OPV("replace", "id", "'x'")),
	    SCIM_E_MUTABILITY),
};

/*
 * Run one row on a duplicate of the start resource, as callers do; on
 * error the original must be untouched and err must say why.
 */
static void
run_row(const struct row *r)
{
	struct scim_error	 err;
	cJSON			*orig, *orig2, *dup, *body, *want = NULL;
	enum scim_err		 rc;
	bool			 pass;

	orig = parse(r->start, r->line);
	orig2 = parse(r->start, r->line);
	body = parse(r->body, r->line);
	if (r->want != NULL)
		want = parse(r->want, r->line);
	if ((dup = cJSON_Duplicate(orig, true)) == NULL)
		abort();
	memset(&err, 0, sizeof(err));
	rc = patch_apply(r->rt, dup, body, NULL, &err);
	if (want != NULL)
		pass = rc == SCIM_OK && cJSON_Compare(dup, want, true);
	else
		pass = rc == r->err && err.code == rc &&
		    err.detail[0] != '\0' && cJSON_Compare(orig, orig2, true);
	ok(pass, "line %d: %s", r->line, r->name);
	if (!pass) {
		printf("#   rc %d (want %d), detail: %s\n", (int)rc,
		    (int)r->err, err.detail);
		diag_json("got", dup);
		diag_json("expected", want);
	}
	cJSON_Delete(orig);
	cJSON_Delete(orig2);
	cJSON_Delete(dup);
	cJSON_Delete(body);
	cJSON_Delete(want);
}

/*
 * Out of memory: for each table row, make the Nth cJSON allocation
 * inside patch_apply() fail (and every one after it), for each N until
 * the patch needs fewer.  Nothing may crash or leak (ASan, valgrind);
 * the result is any code in range.
 */
static long	 fail_after = -1;	/* allocations left; -1: no limit */

static void *
failing_malloc(size_t n)
{
	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	return malloc(n);
}

static void
test_oom(void)
{
	cJSON_Hooks		 hooks = { failing_malloc, free };
	struct scim_error	 err;
	cJSON			*res, *body;
	size_t			 i, runs = 0, bad = 0;
	long			 n;
	enum scim_err		 rc;

	cJSON_InitHooks(&hooks);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (n = 0; ; n++) {
			res = parse(rows[i].start, rows[i].line);
			body = parse(rows[i].body, rows[i].line);
			fail_after = n;
			rc = patch_apply(rows[i].rt, res, body, NULL, &err);
			runs++;
			if ((unsigned)rc >= SCIM_E__MAX)
				bad++;
			/* Done once the patch ran without hitting the limit. */
			if (fail_after > 0)
				n = -2;
			fail_after = -1;
			cJSON_Delete(res);
			cJSON_Delete(body);
			if (n == -2)
				break;
		}
	}
	cJSON_InitHooks(NULL);
	ok(bad == 0, "%zu runs with failing allocations, %zu misbehaved",
	    runs, bad);
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_oom();
	return tap_done();
}
