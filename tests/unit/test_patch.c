/*
 * Unit tests for common/scim/patch.c, table-driven: each row is a starting
 * resource, a PatchOp body and either the resource expected afterwards
 * or the error expected.  The rows cover every PATCH shape Microsoft
 * Entra ID sends (shared/reference/entra-scim.md sections 1.4-1.8,
 * checklist items 20-28 and 35-38), the RFC 7644 section 3.5.2 rules,
 * and the error cases.  A second table drives the members hook with a
 * recording hook; the last tests feed huge, deep and odd values, and
 * failing allocations, to make sure nothing crashes or leaks (run under
 * ASan or valgrind).
 *
 * JSON in the tables is written with single quotes, turned into double
 * quotes before parsing, so that \\' in the C source is an escaped quote
 * in the JSON: 'emails[type eq \\'work\\'].value'.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/filter.h"
#include "scim/patch.h"
#include "scim/schema.h"
#include "tap.h"

#define ENT	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define CORE	"urn:ietf:params:scim:schemas:core:2.0:User"
#define CUST	"urn:ietf:params:scim:schemas:extension:Custom:2.0:User"

/* A PatchOp body around ops; operations with and without path. */
#define PO(ops) \
	"{'schemas':['urn:ietf:params:scim:api:messages:2.0:PatchOp']," \
	"'Operations':[" ops "]}"
#define OPV(op, path, val) \
	"{'op':'" op "','path':'" path "','value':" val "}"
#define OPN(op, path)	"{'op':'" op "','path':'" path "'}"
#define OPL(op, val)	"{'op':'" op "','value':" val "}"

/* Work email path and friends. */
#define WORK		"emails[type eq \\'work\\']"
#define WADDR		"addresses[type eq \\'work\\']"

/* Fixtures: the resource bodies (without braces). */
#define U1	"'id':'u1','userName':'bjensen'," \
		"'meta':{'resourceType':'User'}"
#define EM_W	"{'type':'work','value':'b@work.com','primary':true}"
#define EM_H	"{'type':'home','value':'b@home.com'}"
#define UE	U1 ",'emails':[" EM_W "," EM_H "]"
#define UN	U1 ",'name':{'givenName':'Barbara','familyName':'Jensen'}"
#define MGR	"'manager':{'value':'m1','$ref':'../Users/m1'}"
#define UM	U1 ",'" ENT "':{'department':'Tour'," MGR "}"
#define G1B	"'id':'g1','displayName':'Group1'," \
		"'meta':{'resourceType':'Group'}"
#define G1	G1B ",'members':[{'value':'u1'},{'value':'u2'}," \
		"{'value':'u3'}]"

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

/* Turn the single quotes of a table string into double quotes. */
static char *
dq(const char *s)
{
	char	*r, *p;

	if ((r = strdup(s)) == NULL)
		abort();
	for (p = r; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return r;
}

/* Parse a table string; aborts on a broken table. */
static cJSON *
parse(const char *s, int line)
{
	char	*t = dq(s);
	cJSON	*j = cJSON_Parse(t);

	if (j == NULL) {
		fprintf(stderr, "line %d: table JSON does not parse: %s\n",
		    line, t);
		abort();
	}
	free(t);
	return j;
}

/* Print j unformatted as a TAP diagnostic line. */
static void
diag_json(const char *label, const cJSON *j)
{
	char	*s = j != NULL ? cJSON_PrintUnformatted(j) : NULL;

	printf("#   %8s: %s\n", label, s != NULL ? s : "(null)");
	free(s);
}

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

/* --- the members hook --- */

/*
 * What the recording hook saw: an array of {"op", "filter", "value"},
 * "filter" being null when no value filter came, else whether the
 * filter matches {"value":"u2"}.
 */
static cJSON		*calls;
static enum scim_err	 hook_rc;	/* what the hook returns */

static enum scim_err
record_hook(void *arg, enum patch_op op, const struct filter *vf,
    const cJSON *value, struct scim_error *err)
{
	static const char *const names[] = { "add", "remove", "replace" };
	cJSON	*c, *probe;

	(void)arg;
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "op", names[op]);
	if (vf == NULL)
		cJSON_AddNullToObject(c, "filter");
	else {
		probe = cJSON_Parse("{\"value\":\"u2\"}");
		cJSON_AddBoolToObject(c, "filter", filter_match(vf, probe));
		cJSON_Delete(probe);
	}
	cJSON_AddItemToObject(c, "value", value != NULL ?
	    cJSON_Duplicate(value, true) : cJSON_CreateNull());
	cJSON_AddItemToArray(calls, c);
	if (hook_rc != SCIM_OK)
		return scim_fail(err, hook_rc, "member store refused");
	return SCIM_OK;
}

struct hrow {
	int		 line;
	const char	*name;
	const char	*start;
	const char	*body;
	const char	*want;		/* result; NULL: error */
	const char	*calls;		/* the calls recorded */
	enum scim_err	 hrc;		/* what the hook returns */
};

#define H(n, s, b, w, c)	{ __LINE__, (n), (s), (b), (w), (c), SCIM_OK }

static const struct hrow hrows[] = {
	H("Add members goes to the hook",
	    "{" G1B "}",
	    PO(OPV("Add", "members", "[{'$ref':null,'value':'u2'}]")),
	    "{" G1B "}",
	    "[{'op':'add','filter':null,"
	    "'value':[{'$ref':null,'value':'u2'}]}]"),
	H("remove members[value eq] passes the parsed filter",
	    "{" G1B "}",
	    PO(OPN("remove", "members[value eq \\'u2\\']")),
	    "{" G1B "}",
	    "[{'op':'remove','filter':true,'value':null}]"),
	H("filter not matching u2 is passed as such",
	    "{" G1B "}",
	    PO(OPN("remove", "members[value eq \\'u3\\']")),
	    "{" G1B "}",
	    "[{'op':'remove','filter':false,'value':null}]"),
	H("Remove members with a value list passes the list",
	    "{" G1B "}",
	    PO(OPV("Remove", "members", "[{'value':'u2'}]")),
	    "{" G1B "}",
	    "[{'op':'remove','filter':null,'value':[{'value':'u2'}]}]"),
	H("remove members without value",
	    "{" G1B "}",
	    PO(OPN("remove", "members")),
	    "{" G1B "}",
	    "[{'op':'remove','filter':null,'value':null}]"),
	H("members[...].sub is hooked with its filter",
	    "{" G1B "}",
	    PO(OPV("replace", "members[value eq \\'u2\\'].display", "'D'")),
	    "{" G1B "}",
	    "[{'op':'replace','filter':true,'value':'D'}]"),
	H("path in another case is hooked",
	    "{" G1B "}",
	    PO(OPV("ADD", "Members", "[{'value':'u5'}]")),
	    "{" G1B "}",
	    "[{'op':'add','filter':null,'value':[{'value':'u5'}]}]"),
	H("core-qualified members path is hooked",
	    "{" G1B "}",
	    PO(OPV("add", "urn:ietf:params:scim:schemas:core:2.0:Group:members",
	    "[{'value':'u5'}]")),
	    "{" G1B "}",
	    "[{'op':'add','filter':null,'value':[{'value':'u5'}]}]"),
	H("pathless value with members: the rest applies to the JSON",
	    "{" G1B "}",
	    PO(OPL("replace", "{'displayName':'G2',"
	    "'members':[{'value':'u5'}]}")),
	    "{'id':'g1','displayName':'G2','meta':{'resourceType':'Group'}}",
	    "[{'op':'replace','filter':null,'value':[{'value':'u5'}]}]"),
	H("calls come in request order, interleaved",
	    "{" G1B "}",
	    PO(OPV("add", "members", "[{'value':'a'}]") ","
	    OPV("replace", "displayName", "'G3'") ","
	    OPV("remove", "members", "[{'value':'b'}]")),
	    "{'id':'g1','displayName':'G3','meta':{'resourceType':'Group'}}",
	    "[{'op':'add','filter':null,'value':[{'value':'a'}]},"
	    "{'op':'remove','filter':null,'value':[{'value':'b'}]}]"),
	H("Operations [] calls nothing",
	    "{" G1B "}",
	    PO(""),
	    "{" G1B "}",
	    "[]"),
	{ __LINE__, "hook error aborts the patch",
	    "{" G1B "}",
	    PO(OPV("add", "members", "[{'value':'u2'}]") ","
	    OPV("replace", "displayName", "'never'")),
	    NULL,
	    "[{'op':'add','filter':null,'value':[{'value':'u2'}]}]",
	    SCIM_E_CONFLICT },
};

static void
run_hrow(const struct hrow *r)
{
	static const struct patch_hook	 hook = { "members", record_hook,
					    NULL };
	struct scim_error		 err;
	cJSON				*dup, *body, *want = NULL, *wcalls;
	enum scim_err			 rc;
	bool				 pass;

	calls = cJSON_CreateArray();
	hook_rc = r->hrc;
	dup = parse(r->start, r->line);
	body = parse(r->body, r->line);
	wcalls = parse(r->calls, r->line);
	if (r->want != NULL)
		want = parse(r->want, r->line);
	memset(&err, 0, sizeof(err));
	rc = patch_apply(&rt_group, dup, body, &hook, &err);
	if (want != NULL)
		pass = rc == SCIM_OK && cJSON_Compare(dup, want, true);
	else
		pass = rc == r->hrc && err.code == rc &&
		    strstr(err.detail, "refused") != NULL;
	pass = pass && cJSON_Compare(calls, wcalls, true);
	ok(pass, "hook line %d: %s", r->line, r->name);
	if (!pass) {
		printf("#   rc %d, detail: %s\n", (int)rc, err.detail);
		diag_json("got", dup);
		diag_json("expected", want);
		diag_json("calls", calls);
		diag_json("want", wcalls);
	}
	cJSON_Delete(calls);
	calls = NULL;
	cJSON_Delete(dup);
	cJSON_Delete(body);
	cJSON_Delete(wcalls);
	cJSON_Delete(want);
}

/* --- robustness --- */

/* Build {"Operations":[{"op":op,"path":path,"value":value}]}, taking value. */
static cJSON *
one_op(const char *op, const char *path, cJSON *value)
{
	cJSON	*body, *ops, *o;

	body = cJSON_CreateObject();
	ops = cJSON_AddArrayToObject(body, "Operations");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "op", op);
	if (path != NULL)
		cJSON_AddStringToObject(o, "path", path);
	if (value != NULL)
		cJSON_AddItemToObject(o, "value", value);
	cJSON_AddItemToArray(ops, o);
	return body;
}

/*
 * 20,000 members added (half of them twice) and 10,000 removed by a
 * value list, without the hook: the result is exact and it finishes in
 * well under a second (no quadratic scans).
 */
static void
test_huge(void)
{
	struct scim_error	 err;
	cJSON			*g, *vals, *body, *m;
	char			 id[32];
	clock_t			 t0;
	double			 secs;
	enum scim_err		 rc;
	int			 i;

	g = parse("{" G1B "}", __LINE__);
	vals = cJSON_CreateArray();
	for (i = 0; i < 30000; i++) {
		snprintf(id, sizeof(id), "user-%d", i % 20000);
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "value", id);
		cJSON_AddItemToArray(vals, m);
	}
	body = one_op("add", "members", vals);
	t0 = clock();
	rc = patch_apply(&rt_group, g, body, NULL, &err);
	cJSON_Delete(body);
	is_int(rc, SCIM_OK, "huge add succeeds");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(g, "members")), 20000,
	    "huge add: duplicates were no-ops");

	vals = cJSON_CreateArray();
	for (i = 0; i < 20000; i += 2) {
		snprintf(id, sizeof(id), "user-%d", i);
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "value", id);
		cJSON_AddItemToArray(vals, m);
	}
	body = one_op("Remove", "members", vals);
	rc = patch_apply(&rt_group, g, body, NULL, &err);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	cJSON_Delete(body);
	is_int(rc, SCIM_OK, "huge listed remove succeeds");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(g, "members")), 10000,
	    "huge listed remove removed exactly the listed");
	ok(secs < 20.0, "huge add and remove took %.2f s", secs);
	cJSON_Delete(g);
}

/* n operations, each adding one email to the user: {"Operations":[...]}. */
static cJSON *
email_ops(int n)
{
	cJSON	*body, *ops, *o, *v;
	char	 addr[32];
	int	 i;

	body = cJSON_CreateObject();
	ops = cJSON_AddArrayToObject(body, "Operations");
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "e%d@example.com", i);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "op", "add");
		cJSON_AddStringToObject(o, "path", "emails");
		v = cJSON_AddArrayToObject(o, "value");
		cJSON_AddItemToArray(v, cJSON_CreateObject());
		cJSON_AddStringToObject(v->child, "value", addr);
		cJSON_AddItemToArray(ops, o);
	}
	return body;
}

/*
 * 1000 operations (PATCH_MAX_OPS) are applied; one more is refused
 * before any is (413): each add to a growing array costs its length, so
 * 10,000 of them took seconds.
 */
static void
test_many_ops(void)
{
	struct scim_error	 err;
	cJSON			*u, *body;
	clock_t			 t0;
	double			 secs;
	enum scim_err		 rc;

	u = parse("{" U1 "}", __LINE__);
	body = email_ops(1000);
	t0 = clock();
	rc = patch_apply(&rt_user, u, body, NULL, &err);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	is_int(rc, SCIM_OK, "1000 (PATCH_MAX_OPS) operations are applied");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(u, "emails")),
	    1000, "... every one of them");
	ok(secs < 1.0, "... in %.3f s", secs);
	cJSON_Delete(body);
	cJSON_Delete(u);

	u = parse("{" U1 "}", __LINE__);
	body = email_ops(1001);
	rc = patch_apply(&rt_user, u, body, NULL, &err);
	is_int(rc, SCIM_E_TOO_LARGE, "1001 operations are refused");
	is_int(scim_err_status(rc), 413, "... with 413");
	ok(strstr(err.detail, "at most 1000 Operations") != NULL,
	    "... saying the limit: %s", err.detail);
	ok(cJSON_GetObjectItem(u, "emails") == NULL, "... and none applied");
	cJSON_Delete(body);
	body = email_ops(10000);
	t0 = clock();
	rc = patch_apply(&rt_user, u, body, NULL, &err);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ok(rc == SCIM_E_TOO_LARGE && secs < 0.5,
	    "10,000 operations refused in %.3f s", secs);
	cJSON_Delete(body);
	cJSON_Delete(u);
}

/* A value nested depth levels deep: [[[...["x"]...]]]. */
static cJSON *
deep_value(int depth)
{
	cJSON	*v = cJSON_CreateString("x"), *a;
	int	 i;

	for (i = 0; i < depth; i++) {
		a = i % 2 ? cJSON_CreateArray() : cJSON_CreateObject();
		if (cJSON_IsArray(a))
			cJSON_AddItemToArray(a, v);
		else
			cJSON_AddItemToObject(a, "k", v);
		v = a;
	}
	return v;
}

/* Deeply nested values: refused for schema attributes, kept for custom. */
static void
test_deep(void)
{
	struct scim_error	 err;
	cJSON			*u, *body;
	enum scim_err		 rc;

	u = parse("{" U1 "}", __LINE__);
	body = one_op("add", "title", deep_value(900));
	rc = patch_apply(&rt_user, u, body, NULL, &err);
	is_int(rc, SCIM_E_INVALID_VALUE, "deep value for title refused");
	cJSON_Delete(body);
	body = one_op("add", "emails", deep_value(900));
	rc = patch_apply(&rt_user, u, body, NULL, &err);
	ok(rc == SCIM_OK && cJSON_GetObjectItem(u, "emails") == NULL,
	    "deep value for emails: unknown sub-attributes dropped");
	cJSON_Delete(body);
	body = one_op("add", "emails", deep_value(901));
	rc = patch_apply(&rt_user, u, body, NULL, &err);
	ok(rc == SCIM_OK && cJSON_GetObjectItem(u, "emails") == NULL,
	    "deep object for emails: unknown sub-attributes dropped");
	cJSON_Delete(body);
	body = one_op("add", "name.givenName", deep_value(901));
	rc = patch_apply(&rt_user, u, body, NULL, &err);
	is_int(rc, SCIM_E_INVALID_VALUE, "deep value for a sub refused");
	cJSON_Delete(body);
	body = one_op("add", CUST ":deep", deep_value(900));
	rc = patch_apply(&rt_user, u, body, NULL, &err);
	is_int(rc, SCIM_OK, "deep value for a custom attribute kept");
	cJSON_Delete(body);
	body = one_op("add", NULL, deep_value(901));
	rc = patch_apply(&rt_user, u, body, NULL, &err);
	is_int(rc, SCIM_OK, "deep pathless object: unknown keys ignored");
	cJSON_Delete(body);
	cJSON_Delete(u);
}

/*
 * Every op on every path with every kind of value, on a rich user and
 * on a group with and without the hook: each must return a code in
 * range and leave a valid object (sanitizers watch for the rest).
 */
static enum scim_err
null_hook(void *arg, enum patch_op op, const struct filter *vf,
    const cJSON *value, struct scim_error *err)
{
	(void)arg;
	(void)op;
	(void)vf;
	(void)value;
	(void)err;
	return SCIM_OK;
}

static void
test_matrix(void)
{
	static const char *const ops[] = { "add", "replace", "remove" };
	static const char *const paths[] = {
		NULL, "", "userName", "active", "name", "name.givenName",
		"emails", WORK ".value", WORK, "emails.value",
		"emails[value co \\'x\\' or type eq \\'y\\']",
		"emails[not (type eq \\'work\\')].primary", "meta",
		"meta.created", "id", "groups", "members",
		"members[value eq \\'u2\\']",
		"members[value eq \\'u2\\'].value",
		ENT, ENT ":manager", ENT ":manager.value",
		ENT ":manager[value eq \\'m1\\']", "manager", CUST,
		CUST ":x", CUST ":x.y", CUST ":x[a eq \\'b\\'].c", CORE,
		"urn:ietf:params:scim:schemas:core:2.0:Group",
		"urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
		"displayName", "roles[primary eq true]", "x509Certificates",
		"addresses[type eq \\'work\\' and primary eq false].country",
		"emails[type eq \\'work\\']]", "[", "]", ".", "a..b",
		"urn:", "urn::x", "emails[type eq \\'wo]rk\\'].value",
	};
	static const char *const values[] = {
		NULL, "null", "''", "'x'", "'True'", "true", "false", "0",
		"1.5", "-1e400", "[]", "{}", "[null]", "['a','b']",
		"[{'value':'u2'}]", "[{'value':'u2','primary':true},"
		"{'value':'u3','primary':'true'}]", "{'value':'m2'}",
		"{'value':null}", "{'type':'work','value':'w'}",
		"{'givenName':'G','familyName':null}", "[[[]]]",
		"{'" ENT "':{'manager':'m5'}}", "{'members':'u9'}",
		"{'" CORE "':{'" CORE "':{'" CORE "':{'" CORE "':{'" CORE
		"':{'title':'deep'}}}}}}", "[{}]", "{'value':{'a':1}}",
	};
	static const char *const starts[] = {
		"{" UE ",'active':true," "'name':{'givenName':'B'},"
		"'roles':[{'value':'r','primary':true}],'" ENT "':{"
		MGR "},'" CUST "':{'x':{'y':1},'z':[1,2]}}",
		"{" G1 "}",
		"{'id':'odd','emails':{'value':'not-an-array'},"
		"'name':'not-an-object','" ENT "':'not-an-object',"
		"'members':'x'}",
	};
	static const struct patch_hook	 hook = { "members", null_hook,
					    NULL };
	struct scim_error	 err;
	cJSON			*res, *body, *v;
	char			*p;
	size_t			 i, j, k, s, h, n = 0, bad = 0;
	enum scim_err		 rc;

	for (s = 0; s < sizeof(starts) / sizeof(starts[0]); s++)
	for (h = 0; h < 2; h++)
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
	for (j = 0; j < sizeof(paths) / sizeof(paths[0]); j++)
	for (k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
		res = parse(starts[s], __LINE__);
		v = values[k] != NULL ? parse(values[k], __LINE__) : NULL;
		p = paths[j] != NULL ? dq(paths[j]) : NULL;
		body = one_op(ops[i], p, v);
		free(p);
		memset(&err, 0, sizeof(err));
		rc = patch_apply(s == 1 ? &rt_group : &rt_user, res, body,
		    h ? &hook : NULL, &err);
		if ((unsigned)rc >= SCIM_E__MAX || !cJSON_IsObject(res) ||
		    (rc != SCIM_OK && err.detail[0] == '\0'))
			bad++;
		n++;
		cJSON_Delete(body);
		cJSON_Delete(res);
	}
	ok(bad == 0, "%zu op/path/value combinations, %zu misbehaved", n,
	    bad);
}

/* NULL and odd arguments. */
static void
test_args(void)
{
	struct scim_error	 err;
	cJSON			*u, *body;

	u = parse("{" U1 "}", __LINE__);
	body = parse(PO(""), __LINE__);
	is_int(patch_apply(&rt_user, u, NULL, NULL, &err),
	    SCIM_E_INVALID_SYNTAX, "NULL body");
	is_int(patch_apply(&rt_user, NULL, body, NULL, &err),
	    SCIM_E_INTERNAL, "NULL resource");
	is_int(patch_apply(&rt_user, u, body, NULL, NULL), SCIM_OK,
	    "NULL err on success");
	cJSON_Delete(body);
	body = parse(PO(OPV("replace", "id", "'zz'")), __LINE__);
	is_int(patch_apply(&rt_user, u, body, NULL, NULL),
	    SCIM_E_MUTABILITY, "NULL err on failure");
	cJSON_Delete(body);
	body = parse(PO(OPV("replace", "id", "'zz'")), __LINE__);
	memset(&err, 0, sizeof(err));
	patch_apply(&rt_user, u, body, NULL, &err);
	ok(strncmp(err.detail, "Operations[0]", 13) == 0,
	    "detail names the operation: %s", err.detail);
	cJSON_Delete(body);
	cJSON_Delete(u);
}

/*
 * The copy discipline patch.h asks of callers: a failing request may
 * leave its target half-changed, so the caller patches a duplicate and
 * the original stays as it was.
 */
static void
test_copy(void)
{
	struct scim_error	 err;
	cJSON			*orig, *dup, *body, *before;

	orig = parse("{" U1 "}", __LINE__);
	before = parse("{" U1 "}", __LINE__);
	dup = cJSON_Duplicate(orig, true);
	body = parse(PO(OPV("add", "title", "'T'") ","
	    OPV("add", "nickName", "'N'") ","
	    OPV("replace", "meta", "{}")), __LINE__);
	is_int(patch_apply(&rt_user, dup, body, NULL, &err),
	    SCIM_E_MUTABILITY, "third op fails");
	ok(cJSON_GetObjectItem(dup, "title") != NULL,
	    "the duplicate is half-changed");
	ok(cJSON_Compare(orig, before, true), "the original is untouched");
	cJSON_Delete(orig);
	cJSON_Delete(before);
	cJSON_Delete(dup);
	cJSON_Delete(body);
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
	for (i = 0; i < sizeof(hrows) / sizeof(hrows[0]); i++)
		run_hrow(&hrows[i]);
	test_args();
	test_copy();
	test_deep();
	test_huge();
	test_many_ops();
	test_matrix();
	test_oom();
	return tap_done();
}
