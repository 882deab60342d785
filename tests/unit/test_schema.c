/*
 * Unit tests for common/scim/schema.c: the attribute tables (counts and the
 * characteristics Entra and the RFC depend on), the lookups, the
 * attribute path resolver (a table of good and bad paths), and the
 * /Schemas and /ResourceTypes documents (no nulls anywhere, camelCase
 * enum strings, the optional members only where they belong), and the
 * registration of declared extensions (schema_ext_register()).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/schema.h"
#include "tap.h"

#define ENT	SCHEMA_ENTERPRISE_USER
#define CORE	SCHEMA_CORE_USER
#define BASE	"https://scim.example.com/scim/v2"

/* One schema_resolve() case; want_attr NULL means "attr must be NULL". */
struct resolve_case {
	int				 line;
	const struct resource_type	*rt;
	const char			*path;
	enum scim_err			 rc;
	const struct schema		*ext;
	const char			*ext_urn;	/* NULL: must be NULL */
	const char			*want_attr;	/* canonical name */
	const char			*want_sub;	/* NULL: sub NULL */
	const char			*attr_name;
	const char			*sub_name;
};

#define OK_(rt, p, ext, urn, a, s, an, sn) \
	{ __LINE__, (rt), (p), SCIM_OK, (ext), (urn), (a), (s), (an), (sn) }
#define BAD(rt, p) \
	{ __LINE__, (rt), (p), SCIM_E_INVALID_PATH, NULL, NULL, NULL, NULL, \
	    "", "" }

static const struct resolve_case resolve_cases[] = {
	/* plain and dotted names, any case */
	OK_(&rt_user, "userName", NULL, NULL, "userName", NULL,
	    "userName", ""),
	OK_(&rt_user, "USERNAME", NULL, NULL, "userName", NULL,
	    "userName", ""),
	OK_(&rt_user, "name.familyName", NULL, NULL, "name", "familyName",
	    "name", "familyName"),
	OK_(&rt_user, "Name.FamilyName", NULL, NULL, "name", "familyName",
	    "name", "familyName"),
	OK_(&rt_user, "emails.VALUE", NULL, NULL, "emails", "value",
	    "emails", "value"),
	OK_(&rt_user, "addresses.postalcode", NULL, NULL, "addresses",
	    "postalCode", "addresses", "postalCode"),
	OK_(&rt_user, "x509certificates.value", NULL, NULL,
	    "x509Certificates", "value", "x509Certificates", "value"),
	OK_(&rt_user, "groups.$REF", NULL, NULL, "groups", "$ref",
	    "groups", "$ref"),
	/* common attributes */
	OK_(&rt_user, "ID", NULL, NULL, "id", NULL, "id", ""),
	OK_(&rt_user, "externalid", NULL, NULL, "externalId", NULL,
	    "externalId", ""),
	OK_(&rt_user, "meta.LastModified", NULL, NULL, "meta",
	    "lastModified", "meta", "lastModified"),
	OK_(&rt_group, "Meta.created", NULL, NULL, "meta", "created",
	    "meta", "created"),
	/* URN-qualified core and enterprise paths */
	OK_(&rt_user, CORE ":userName", NULL, NULL, "userName", NULL,
	    "userName", ""),
	OK_(&rt_user, "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:"
	    "name.givenname", NULL, NULL, "name", "givenName", "name",
	    "givenName"),
	OK_(&rt_user, ENT ":department", &schema_enterprise_user, ENT,
	    "department", NULL, "department", ""),
	OK_(&rt_user, ENT ":employeeNumber", &schema_enterprise_user, ENT,
	    "employeeNumber", NULL, "employeeNumber", ""),
	OK_(&rt_user, ENT ":manager", &schema_enterprise_user, ENT,
	    "manager", NULL, "manager", ""),
	OK_(&rt_user, ENT ":manager.value", &schema_enterprise_user, ENT,
	    "manager", "value", "manager", "value"),
	OK_(&rt_user, "urn:ietf:params:scim:schemas:extension:Enterprise:2.0:"
	    "user:Manager.DisplayName", &schema_enterprise_user, ENT,
	    "manager", "displayName", "manager", "displayName"),
	OK_(&rt_user, ENT ":nosuch", &schema_enterprise_user, ENT,
	    NULL, NULL, "nosuch", ""),
	/* unknown URNs split at the last ':' */
	OK_(&rt_user, "urn:example:custom:1.0:User:badge", NULL,
	    "urn:example:custom:1.0:User", NULL, NULL, "badge", ""),
	OK_(&rt_user, "urn:ietf:params:scim:schemas:extension:acme:2.0:User:"
	    "site.code", NULL,
	    "urn:ietf:params:scim:schemas:extension:acme:2.0:User", NULL,
	    NULL, "site", "code"),
	/* a known schema that the resource type does not use */
	OK_(&rt_group, CORE ":userName", NULL, CORE, NULL, NULL,
	    "userName", ""),
	OK_(&rt_group, ENT ":department", NULL, ENT, NULL, NULL,
	    "department", ""),
	/* unqualified names are core only, unknown ones kept as given */
	OK_(&rt_user, "department", NULL, NULL, NULL, NULL,
	    "department", ""),
	OK_(&rt_user, "fooBar", NULL, NULL, NULL, NULL, "fooBar", ""),
	OK_(&rt_user, "x-custom_1.Sub-2", NULL, NULL, NULL, NULL,
	    "x-custom_1", "Sub-2"),
	OK_(&rt_user, "name.Nosuch", NULL, NULL, "name", NULL,
	    "name", "Nosuch"),
	OK_(&rt_user, "userName.value", NULL, NULL, "userName", NULL,
	    "userName", "value"),
	OK_(&rt_user, "emails.display", NULL, NULL, "emails", NULL,
	    "emails", "display"),
	OK_(&rt_user, "phoneNumbers.display", NULL, NULL, "phoneNumbers",
	    "display", "phoneNumbers", "display"),
	OK_(&rt_user, "$ref", NULL, NULL, NULL, NULL, "$ref", ""),
	/* Group */
	OK_(&rt_group, "displayname", NULL, NULL, "displayName", NULL,
	    "displayName", ""),
	OK_(&rt_group, "Members.Value", NULL, NULL, "members", "value",
	    "members", "value"),
	OK_(&rt_group, "members.$Ref", NULL, NULL, "members", "$ref",
	    "members", "$ref"),
	OK_(&rt_group, "userName", NULL, NULL, NULL, NULL, "userName", ""),
	OK_(&rt_group, SCHEMA_CORE_GROUP ":members.type", NULL, NULL,
	    "members", "type", "members", "type"),
	/* bad syntax */
	BAD(&rt_user, ""),
	BAD(&rt_user, "a..b"),
	BAD(&rt_user, "a.b.c"),
	BAD(&rt_user, "1abc"),
	BAD(&rt_user, "a b"),
	BAD(&rt_user, ".a"),
	BAD(&rt_user, "a."),
	BAD(&rt_user, "name.1x"),
	BAD(&rt_user, "emails[type eq \"work\"].value"),
	BAD(&rt_user, "a:b"),
	BAD(&rt_user, "$refx"),
	BAD(&rt_user, "urn:"),
	BAD(&rt_user, "urn:x"),
	BAD(&rt_user, ENT),
	BAD(&rt_user, ENT ":"),
	BAD(&rt_user, ENT ":manager.value.x"),
	BAD(&rt_user, ENT ":2manager"),
	BAD(&rt_user, CORE ":name:givenName"),
	BAD(&rt_user, "urn:example:custom:1.0:User:"),
};

static void
test_resolve_table(void)
{
	const struct resolve_case	*c;
	struct schema_path		 p;
	struct scim_error		 err;
	enum scim_err			 rc;
	size_t				 i;
	bool				 pass;

	for (i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]);
	    i++) {
		c = &resolve_cases[i];
		memset(&err, 0, sizeof(err));
		rc = schema_resolve(c->rt, c->path, strlen(c->path), &p, &err);
		pass = rc == c->rc && p.ext == c->ext &&
		    ((c->ext_urn == NULL && p.ext_urn == NULL) ||
		    (c->ext_urn != NULL && p.ext_urn != NULL &&
		    strcmp(c->ext_urn, p.ext_urn) == 0)) &&
		    ((c->want_attr == NULL && p.attr == NULL) ||
		    (c->want_attr != NULL && p.attr != NULL &&
		    strcmp(c->want_attr, p.attr->name) == 0)) &&
		    ((c->want_sub == NULL && p.sub == NULL) ||
		    (c->want_sub != NULL && p.sub != NULL &&
		    strcmp(c->want_sub, p.sub->name) == 0)) &&
		    strcmp(c->attr_name, p.attr_name) == 0 &&
		    strcmp(c->sub_name, p.sub_name) == 0 &&
		    (rc == SCIM_OK || (err.code == rc &&
		    err.detail[0] != '\0'));
		tap_ok(pass, c->line, "resolve \"%s\" on %s", c->path,
		    c->rt->name);
		if (!pass)
			printf("#   rc %d (want %d) ext_urn %s attr %s sub %s "
			    "names \"%s\" \"%s\" detail \"%s\"\n", rc, c->rc,
			    p.ext_urn ? p.ext_urn : "(null)",
			    p.attr ? p.attr->name : "(null)",
			    p.sub ? p.sub->name : "(null)",
			    p.attr_name, p.sub_name, err.detail);
	}
}

/* Paths longer than the name buffers, and text that is not NUL-ended. */
static void
test_resolve_edges(void)
{
	struct schema_path	 p;
	struct scim_error	 err;
	char			 buf[600];

	is_int(schema_resolve(&rt_user, "userName extra", 8, &p, &err),
	    SCIM_OK, "resolve honours len, not the NUL");
	is_str(p.attr_name, "userName", "resolve of a prefix by len");

	memset(buf, 'a', 200);
	buf[200] = '\0';
	is_int(schema_resolve(&rt_user, buf, strlen(buf), &p, &err),
	    SCIM_E_INVALID_PATH, "200-character name is too long");
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	is_int(schema_resolve(&rt_user, buf, strlen(buf), &p, &err),
	    SCIM_E_INVALID_PATH, "600-character path is too long");
	is_int(schema_resolve(&rt_user, "user\0Name", 9, &p, &err),
	    SCIM_E_INVALID_PATH, "embedded NUL is rejected");
	is_int(schema_resolve(&rt_user, "userName", 8, &p, NULL),
	    SCIM_OK, "err may be NULL");
	is_int(schema_resolve(&rt_user, "a..b", 4, &p, NULL),
	    SCIM_E_INVALID_PATH, "err may be NULL on failure");
	ok(p.attr == NULL && p.attr_name[0] == '\0',
	    "failed resolve leaves out zeroed");
	is_int(schema_resolve(NULL, ENT ":department", strlen(ENT) + 11,
	    &p, &err), SCIM_OK, "resolve with rt NULL");
	ok(p.ext == &schema_enterprise_user && p.attr != NULL,
	    "rt NULL still knows the enterprise URN");
}

static void
test_find(void)
{
	const struct schema_attr	*a, *s;

	a = schema_find(&schema_user, "EMAILS");
	ok(a != NULL && strcmp(a->name, "emails") == 0, "find emails");
	ok(schema_find(&schema_user, "id") == &schema_attr_id,
	    "find id in core User");
	ok(schema_find(&schema_group, "EXTERNALID") ==
	    &schema_attr_external_id, "find externalId in Group");
	ok(schema_find(&schema_user, "meta") == &schema_attr_meta,
	    "find meta in core User");
	ok(schema_find(&schema_enterprise_user, "id") == NULL,
	    "extension has no common attributes");
	ok(schema_find(&schema_user, "department") == NULL,
	    "department is not core");
	ok(schema_find(NULL, "id") == NULL, "find in NULL schema");
	ok(schema_find(&schema_user, NULL) == NULL, "find NULL name");

	s = schema_find_sub(a, "Type");
	ok(s != NULL && strcmp(s->name, "type") == 0, "find_sub emails.type");
	ok(schema_find_sub(a, "display") == NULL, "emails has no display");
	ok(schema_find_sub(schema_find(&schema_user, "userName"), "x") ==
	    NULL, "find_sub on a simple attribute");
	ok(schema_find_sub(NULL, "value") == NULL, "find_sub on NULL");
	s = schema_find_sub(schema_find(&schema_enterprise_user, "MANAGER"),
	    "$REF");
	ok(s != NULL && s->type == ATTR_REFERENCE && s->ref_types != NULL &&
	    strcmp(s->ref_types[0], "User") == 0, "manager.$ref is a "
	    "User reference");

	ok(schema_by_urn(CORE) == &schema_user, "by_urn core User");
	ok(schema_by_urn("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:"
	    "2.0:USER") == &schema_enterprise_user, "by_urn any case");
	ok(schema_by_urn(SCHEMA_CORE_GROUP) == &schema_group, "by_urn Group");
	ok(schema_by_urn("urn:example:nope") == NULL, "by_urn unknown");
	ok(schema_by_urn(NULL) == NULL, "by_urn NULL");

	ok(resource_type_find("User") == &rt_user, "rt by name");
	ok(resource_type_find("group") == &rt_group, "rt by name any case");
	ok(resource_type_find("/Users") == &rt_user, "rt by endpoint");
	ok(resource_type_find("/GROUPS") == &rt_group, "rt endpoint any case");
	ok(resource_type_find("Users") == &rt_user, "rt endpoint sans /");
	ok(resource_type_find("Schemas") == NULL, "rt unknown");
	ok(resource_type_find(NULL) == NULL, "rt NULL");

	is_str(attr_type_name(ATTR_STRING), "string", "type name string");
	is_str(attr_type_name(ATTR_BOOLEAN), "boolean", "type name boolean");
	is_str(attr_type_name(ATTR_DECIMAL), "decimal", "type name decimal");
	is_str(attr_type_name(ATTR_INTEGER), "integer", "type name integer");
	is_str(attr_type_name(ATTR_DATETIME), "dateTime",
	    "type name dateTime");
	is_str(attr_type_name(ATTR_BINARY), "binary", "type name binary");
	is_str(attr_type_name(ATTR_REFERENCE), "reference",
	    "type name reference");
	is_str(attr_type_name(ATTR_COMPLEX), "complex", "type name complex");
}

static size_t
list_len(const char *const *l)
{
	size_t	 n = 0;

	while (l != NULL && l[n] != NULL)
		n++;
	return n;
}

/* Each schema's size, the lists of schemas and types, the extensions. */
static void
test_tables(void)
{
	size_t	 n;

	is_int(schema_user.nattrs, 21, "core User has 21 attributes");
	is_int(schema_enterprise_user.nattrs, 6, "enterprise has 6");
	is_int(schema_group.nattrs, 2, "Group has 2 attributes");
	is_str(schema_user.description, "User Account", "User description");
	is_str(schema_enterprise_user.description, "Enterprise User",
	    "enterprise description");
	is_str(schema_group.description, "Group", "Group description");
	for (n = 0; schema_all[n] != NULL; n++)
		;
	is_int(n, 3, "schema_all lists 3 schemas");
	for (n = 0; resource_type_all[n] != NULL; n++)
		;
	is_int(n, 2, "resource_type_all lists 2 types");
	ok(rt_user.ext[0] == &schema_enterprise_user && rt_user.ext[1] ==
	    NULL, "User has the enterprise extension");
	ok(rt_group.ext[0] == NULL, "Group has no extension");
}

/* How many sub-attributes each complex attribute has. */
static void
test_tables_subs(void)
{
	is_int(schema_find(&schema_user, "name")->nsub, 6, "name has 6 subs");
	is_int(schema_find(&schema_user, "addresses")->nsub, 8,
	    "addresses has 8 subs");
	is_int(schema_find(&schema_user, "emails")->nsub, 3,
	    "emails has 3 subs (no display)");
	is_int(schema_find(&schema_user, "groups")->nsub, 4,
	    "groups has 4 subs");
	is_int(schema_find(&schema_group, "members")->nsub, 4,
	    "members has 4 subs");
	is_int(schema_find(&schema_enterprise_user, "manager")->nsub, 3,
	    "manager has 3 subs");
	is_int(schema_attr_meta.nsub, 5, "meta has 5 subs");
}

/* The characteristics other modules rely on. */
static void
test_tables_traits(void)
{
	const struct schema_attr	*a;

	a = schema_find(&schema_user, "userName");
	ok(a->required && !a->case_exact && a->uniqueness == UNIQ_SERVER,
	    "userName required, caseExact false, unique");
	ok(schema_attr_id.case_exact && schema_attr_id.returned == RET_ALWAYS &&
	    schema_attr_id.mutability == MUT_READ_ONLY &&
	    schema_attr_id.uniqueness == UNIQ_SERVER,
	    "id caseExact, always, readOnly, server");
	ok(schema_attr_external_id.case_exact &&
	    schema_attr_external_id.mutability == MUT_READ_WRITE,
	    "externalId caseExact readWrite");
	a = schema_find(&schema_user, "password");
	ok(a->mutability == MUT_WRITE_ONLY && a->returned == RET_NEVER,
	    "password writeOnly, never returned");
	ok(schema_find(&schema_user, "groups")->mutability == MUT_READ_ONLY,
	    "groups readOnly");
	ok(schema_find(&schema_user, "active")->type == ATTR_BOOLEAN,
	    "active boolean");
	a = schema_find(&schema_group, "displayName");
	ok(a->required && a->uniqueness == UNIQ_SERVER,
	    "Group displayName required and unique");
	a = schema_find(&schema_group, "members");
	ok(a->multi && schema_find_sub(a, "value")->mutability ==
	    MUT_IMMUTABLE && schema_find_sub(a, "$ref")->mutability ==
	    MUT_IMMUTABLE && schema_find_sub(a, "type")->mutability ==
	    MUT_IMMUTABLE, "members value/$ref/type immutable");
	ok(schema_find_sub(schema_find(&schema_enterprise_user, "manager"),
	    "displayName")->mutability == MUT_READ_ONLY,
	    "manager.displayName readOnly");
	ok(schema_find_sub(&schema_attr_meta, "lastModified")->type ==
	    ATTR_DATETIME, "meta.lastModified dateTime");

	a = schema_find_sub(schema_find(&schema_user, "emails"), "type");
	ok(list_len(a->canonical) == 3 && strcmp(a->canonical[0], "work") ==
	    0, "emails.type canonicalValues work/home/other");
	a = schema_find_sub(schema_find(&schema_user, "phoneNumbers"), "type");
	ok(list_len(a->canonical) == 6 && strcmp(a->canonical[2], "mobile") ==
	    0, "phoneNumbers.type has 6 canonicalValues");
	a = schema_find_sub(schema_find(&schema_user, "addresses"), "type");
	is_int(list_len(a->canonical), 3, "addresses.type canonicalValues");
	a = schema_find_sub(schema_find(&schema_user, "photos"), "type");
	ok(list_len(a->canonical) == 2 && strcmp(a->canonical[1],
	    "thumbnail") == 0, "photos.type photo/thumbnail");
	a = schema_find_sub(schema_find(&schema_user, "ims"), "type");
	ok(list_len(a->canonical) > 0, "ims.type has canonicalValues");
	a = schema_find_sub(schema_find(&schema_group, "members"), "type");
	ok(list_len(a->canonical) == 2 && strcmp(a->canonical[0], "User") ==
	    0, "members.type User/Group");
}

/* Does the tree under j hold a JSON null anywhere? */
static bool
has_null(const cJSON *j)
{
	const cJSON	*c;

	if (cJSON_IsNull(j))
		return true;
	cJSON_ArrayForEach(c, j)
		if (has_null(c))
			return true;
	return false;
}

static bool
in_list(const char *s, const char *const *l)
{
	for (; *l != NULL; l++)
		if (strcmp(s, *l) == 0)
			return true;
	return false;
}

/* The string member key of o, or "" when it is missing or not a string. */
static const char *
str_or_empty(const cJSON *o, const char *key)
{
	const char	*s;

	s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
	return s != NULL ? s : "";
}

static const char *const types[] = { "string", "boolean", "decimal",
    "integer", "dateTime", "binary", "reference", "complex", NULL };
static const char *const muts[] = { "readWrite", "readOnly", "immutable",
    "writeOnly", NULL };
static const char *const rets[] = { "always", "never", "default",
    "request", NULL };
static const char *const uniqs[] = { "none", "server", "global", NULL };

/*
 * Is every attribute object in arr (and its subAttributes) complete:
 * all characteristics present with the right JSON type and camelCase
 * values, referenceTypes only on references, subAttributes only on
 * complex attributes?
 */
static bool
attrs_well_formed(const cJSON *arr)
{
	const cJSON	*a, *t, *subs;
	const char	*keys_s[] = { "name", "description", NULL };
	const char	*keys_b[] = { "multiValued", "required", "caseExact",
			    NULL };
	size_t		 i;

	cJSON_ArrayForEach(a, arr) {
		for (i = 0; keys_s[i] != NULL; i++)
			if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a,
			    keys_s[i])))
				return false;
		for (i = 0; keys_b[i] != NULL; i++)
			if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(a,
			    keys_b[i])))
				return false;
		t = cJSON_GetObjectItemCaseSensitive(a, "type");
		if (!cJSON_IsString(t) || !in_list(t->valuestring, types))
			return false;
		if (!in_list(str_or_empty(a, "mutability"), muts) ||
		    !in_list(str_or_empty(a, "returned"), rets) ||
		    !in_list(str_or_empty(a, "uniqueness"), uniqs))
			return false;
		if (cJSON_HasObjectItem(a, "referenceTypes") !=
		    (strcmp(t->valuestring, "reference") == 0))
			return false;
		subs = cJSON_GetObjectItemCaseSensitive(a, "subAttributes");
		if ((subs != NULL) != (strcmp(t->valuestring, "complex") == 0))
			return false;
		if (subs != NULL && (!cJSON_IsArray(subs) ||
		    cJSON_GetArraySize(subs) == 0 || !attrs_well_formed(subs)))
			return false;
	}
	return true;
}

/* The attribute object named name in the "attributes" array of doc. */
static const cJSON *
json_attr(const cJSON *arr, const char *name)
{
	const cJSON	*a;

	cJSON_ArrayForEach(a, arr)
		if (strcmp(str_or_empty(a, "name"), name) == 0)
			return a;
	return NULL;
}

static const char *
json_str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Every schema as JSON: well formed, no nulls, id and meta left out. */
static void
test_schema_json(void)
{
	cJSON		*doc;
	const cJSON	*attrs;
	size_t		 i;
	bool		 core;

	for (i = 0; schema_all[i] != NULL; i++) {
		doc = schema_to_json(schema_all[i], BASE);
		ok(doc != NULL, "schema_to_json %s", schema_all[i]->name);
		ok(!has_null(doc), "no nulls in %s", schema_all[i]->name);
		attrs = cJSON_GetObjectItemCaseSensitive(doc, "attributes");
		core = schema_all[i] == &schema_user ||
		    schema_all[i] == &schema_group;
		is_int(cJSON_GetArraySize(attrs), (long long)
		    schema_all[i]->nattrs + (core ? 1 : 0),
		    "attributes listed (+ externalId on core schemas)");
		ok(attrs_well_formed(attrs), "attributes of %s well formed",
		    schema_all[i]->name);
		ok(json_attr(attrs, "id") == NULL && json_attr(attrs, "meta") ==
		    NULL, "%s lists neither id nor meta", schema_all[i]->name);
		ok((json_attr(attrs, "externalId") != NULL) == core,
		    "%s lists externalId only if it is a core schema "
		    "(Entra maps it)", schema_all[i]->name);
		cJSON_Delete(doc);
	}
}

/* The User schema as JSON: its header and the attributes clients read. */
static void
test_schema_json_user(void)
{
	cJSON		*doc;
	const cJSON	*attrs, *a, *subs, *cv;
	char		*text;

	doc = schema_to_json(&schema_user, BASE "/");
	text = cJSON_PrintUnformatted(doc);
	ok(text != NULL && strstr(text, "\"User Account\"") != NULL,
	    "User schema says User Account");
	ok(text != NULL && strstr(text, "null") == NULL,
	    "serialised User schema has no null");
	free(text);
	is_str(cJSON_GetStringValue(cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(doc, "schemas"), 0)),
	    SCHEMA_SCHEMA, "schemas is the Schema URN");
	is_str(json_str(doc, "id"), CORE, "id is the URN");
	is_str(json_str(doc, "name"), "User", "name User");
	is_str(json_str(cJSON_GetObjectItemCaseSensitive(doc, "meta"),
	    "location"), BASE "/Schemas/" CORE,
	    "meta.location, base's trailing slash dropped");
	is_str(json_str(cJSON_GetObjectItemCaseSensitive(doc, "meta"),
	    "resourceType"), "Schema", "meta.resourceType Schema");

	attrs = cJSON_GetObjectItemCaseSensitive(doc, "attributes");
	a = json_attr(attrs, "userName");
	is_str(json_str(a, "type"), "string", "userName type string");
	is_str(json_str(a, "mutability"), "readWrite", "userName readWrite");
	is_str(json_str(a, "returned"), "default", "userName default");
	is_str(json_str(a, "uniqueness"), "server", "userName server");
	ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "required")),
	    "userName required true");
	ok(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "caseExact")),
	    "userName caseExact false");
	ok(!cJSON_HasObjectItem(a, "canonicalValues") &&
	    !cJSON_HasObjectItem(a, "referenceTypes") &&
	    !cJSON_HasObjectItem(a, "subAttributes"),
	    "userName has no optional members");
	a = json_attr(attrs, "password");
	ok(strcmp(json_str(a, "mutability"), "writeOnly") == 0 &&
	    strcmp(json_str(a, "returned"), "never") == 0,
	    "password writeOnly never");
	a = json_attr(attrs, "profileUrl");
	is_str(cJSON_GetStringValue(cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(a, "referenceTypes"), 0)),
	    "external", "profileUrl referenceTypes external");
	a = json_attr(attrs, "emails");
	ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "multiValued")),
	    "emails multiValued");
	subs = cJSON_GetObjectItemCaseSensitive(a, "subAttributes");
	ok(json_attr(subs, "display") == NULL, "emails.display not published");
	cv = cJSON_GetObjectItemCaseSensitive(json_attr(subs, "type"),
	    "canonicalValues");
	ok(cJSON_GetArraySize(cv) == 3 && strcmp(cJSON_GetStringValue(
	    cJSON_GetArrayItem(cv, 0)), "work") == 0,
	    "emails.type canonicalValues published");
	a = json_attr(attrs, "addresses");
	cv = cJSON_GetObjectItemCaseSensitive(json_attr(
	    cJSON_GetObjectItemCaseSensitive(a, "subAttributes"), "type"),
	    "canonicalValues");
	is_int(cJSON_GetArraySize(cv), 3, "addresses.type canonicalValues");
	a = json_attr(attrs, "groups");
	is_str(json_str(a, "mutability"), "readOnly", "groups readOnly");
	cJSON_Delete(doc);
}

/* The Group and enterprise schemas as JSON, and no schema. */
static void
test_schema_json_others(void)
{
	cJSON		*doc;
	const cJSON	*a;

	doc = schema_to_json(&schema_group, BASE);
	a = json_attr(cJSON_GetObjectItemCaseSensitive(doc, "attributes"),
	    "members");
	a = json_attr(cJSON_GetObjectItemCaseSensitive(a, "subAttributes"),
	    "value");
	is_str(json_str(a, "mutability"), "immutable",
	    "members.value immutable");
	cJSON_Delete(doc);

	doc = schema_to_json(&schema_enterprise_user, NULL);
	is_str(json_str(cJSON_GetObjectItemCaseSensitive(doc, "meta"),
	    "location"), "/Schemas/" ENT, "NULL base gives a relative URL");
	is_str(json_str(doc, "name"), "EnterpriseUser", "enterprise name");
	cJSON_Delete(doc);

	ok(schema_to_json(NULL, BASE) == NULL, "schema_to_json(NULL)");
}

static void
test_resource_type_json(void)
{
	cJSON		*doc;
	const cJSON	*ext, *e;

	doc = resource_type_to_json(&rt_user, BASE);
	ok(doc != NULL && !has_null(doc), "User resource type, no nulls");
	is_str(cJSON_GetStringValue(cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(doc, "schemas"), 0)),
	    SCHEMA_RESOURCE_TYPE, "schemas is the ResourceType URN");
	is_str(json_str(doc, "id"), "User", "rt id User");
	is_str(json_str(doc, "name"), "User", "rt name User");
	is_str(json_str(doc, "endpoint"), "/Users", "rt endpoint /Users");
	is_str(json_str(doc, "description"), "User Account",
	    "rt description");
	is_str(json_str(doc, "schema"), CORE, "rt schema core User");
	ext = cJSON_GetObjectItemCaseSensitive(doc, "schemaExtensions");
	e = cJSON_GetArrayItem(ext, 0);
	ok(cJSON_GetArraySize(ext) == 1 && strcmp(json_str(e, "schema"),
	    ENT) == 0, "schemaExtensions lists enterprise");
	ok(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "required")),
	    "enterprise extension not required");
	is_str(json_str(cJSON_GetObjectItemCaseSensitive(doc, "meta"),
	    "location"), BASE "/ResourceTypes/User", "rt meta.location");
	is_str(json_str(cJSON_GetObjectItemCaseSensitive(doc, "meta"),
	    "resourceType"), "ResourceType", "rt meta.resourceType");
	cJSON_Delete(doc);

	doc = resource_type_to_json(&rt_group, BASE);
	ok(doc != NULL && !has_null(doc), "Group resource type, no nulls");
	is_str(json_str(doc, "endpoint"), "/Groups", "Group endpoint");
	is_str(json_str(doc, "schema"), SCHEMA_CORE_GROUP, "Group schema");
	ok(!cJSON_HasObjectItem(doc, "schemaExtensions"),
	    "Group has no schemaExtensions");
	cJSON_Delete(doc);

	ok(resource_type_to_json(NULL, BASE) == NULL,
	    "resource_type_to_json(NULL)");
}

static long	 fail_after;	/* cJSON allocations left before failing */

static void *
failing_malloc(size_t sz)
{
	if (fail_after-- <= 0)
		return NULL;
	return malloc(sz);
}

/*
 * Make the Nth cJSON allocation fail for every N until the document
 * builds: each attempt must return NULL and (under ASan or valgrind)
 * leave nothing behind.
 */
static void
test_alloc_failure(void)
{
	cJSON_Hooks	 hooks = { failing_malloc, free };
	cJSON		*doc;
	long		 n;
	int		 nulls;

	cJSON_InitHooks(&hooks);
	for (n = 0, nulls = 0; ; n++) {
		fail_after = n;
		if ((doc = schema_to_json(&schema_user, BASE)) != NULL)
			break;
		nulls++;
	}
	cJSON_Delete(doc);
	ok(nulls > 100 && n == nulls,
	    "schema_to_json returns NULL on each of %d failed allocations",
	    nulls);
	for (n = 0, nulls = 0; ; n++) {
		fail_after = n;
		if ((doc = resource_type_to_json(&rt_user, BASE)) != NULL)
			break;
		nulls++;
	}
	cJSON_Delete(doc);
	ok(nulls > 10 && n == nulls, "resource_type_to_json returns NULL "
	    "on each of %d failed allocations", nulls);
	cJSON_InitHooks(NULL);
}

/*
 * schema_takes_bare_value() and schema_keeps_unknown_subs() over every
 * attribute of every table: the one rule that resource.c and patch.c
 * used to write twice holds for the enterprise manager and Group members
 * only, and an unknown attribute (NULL) takes nothing.
 */
static void
test_attr_rules(void)
{
	const struct schema		*s;
	const struct schema_attr	*a;
	size_t				 i, j;
	int				 bare, keeps;
	bool				 want_bare, want_keeps;

	for (i = 0; (s = schema_all[i]) != NULL; i++)
		for (j = 0; j < s->nattrs; j++) {
			a = &s->attrs[j];
			want_keeps = s == &schema_group &&
			    strcmp(a->name, "members") == 0;
			want_bare = want_keeps ||
			    (s == &schema_enterprise_user &&
			    strcmp(a->name, "manager") == 0);
			bare = schema_takes_bare_value(a);
			keeps = schema_keeps_unknown_subs(a);
			ok(bare == want_bare && keeps == want_keeps,
			    "%s %s: bare value %d, keeps unknown %d",
			    s->name, a->name, bare, keeps);
		}
	ok(!schema_takes_bare_value(NULL), "NULL takes no bare value");
	ok(!schema_keeps_unknown_subs(NULL), "NULL keeps nothing");
	ok(schema_rt_has_ext(&rt_user, &schema_enterprise_user),
	    "User has the enterprise extension");
	ok(!schema_rt_has_ext(&rt_group, &schema_enterprise_user),
	    "Group has no enterprise extension");
	ok(!schema_rt_has_ext(&rt_user, &schema_user),
	    "a core schema is no extension");
	ok(schema_is_urn("URN:x") && schema_is_urn("urn:") &&
	    !schema_is_urn("urn") && !schema_is_urn("userName") &&
	    !schema_is_urn(NULL), "schema_is_urn: any case, NULL is not");
}

/* --- declared extensions (schema_ext_register) --- */

static const struct schema_attr reg_attrs[] = {
	{ .name = "badge", .type = ATTR_INTEGER },
	{ .name = "costCenter", .type = ATTR_STRING, .case_exact = true },
};
static const struct schema reg_group_ext = {
	.id = "urn:example:group:ext", .name = "GroupExt", .description = "",
	.attrs = reg_attrs, .nattrs = 2,
};
static const struct schema reg_user_ext = {
	.id = "urn:example:user:ext", .name = "UserExt", .description = "",
	.attrs = reg_attrs, .nattrs = 2,
};

/* Declared extensions register on their type and resolve by URN. */
static void
test_ext_register(void)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct schema_path	 sp;
	static const char	 gpath[] = "urn:example:group:ext:Badge";
	static const char	 upath[] = "urn:example:user:ext:costcenter";

	ok(schema_ext_register(&rt_group, &reg_group_ext, true, &err) ==
	    SCIM_OK, "a Group extension registers");
	ok(schema_ext_register(&rt_user, &reg_user_ext, false, &err) ==
	    SCIM_OK, "a User extension registers");
	ok(schema_rt_has_ext(&rt_group, &reg_group_ext) &&
	    !schema_rt_has_ext(&rt_user, &reg_group_ext),
	    "each on its own resource type");
	ok(rt_user.ext[0] == &schema_enterprise_user &&
	    rt_user.ext[1] == &reg_user_ext && rt_user.ext[2] == NULL,
	    "User: enterprise first, then the declared one");
	ok(schema_by_urn("URN:example:GROUP:ext") == &reg_group_ext,
	    "schema_by_urn finds a declared one in any case");
	ok(schema_resolve(&rt_group, gpath, strlen(gpath), &sp, &err) ==
	    SCIM_OK && sp.ext == &reg_group_ext && sp.attr == &reg_attrs[0] &&
	    strcmp(sp.attr_name, "badge") == 0, "Group URN path resolves");
	ok(schema_resolve(&rt_user, gpath, strlen(gpath), &sp, &err) ==
	    SCIM_OK && sp.ext == NULL && sp.attr == NULL &&
	    strcmp(sp.ext_urn, "urn:example:group:ext") == 0,
	    "another type's extension resolves as unknown");
	ok(schema_resolve(&rt_user, upath, strlen(upath), &sp, &err) ==
	    SCIM_OK && sp.ext == &reg_user_ext &&
	    strcmp(sp.attr_name, "costCenter") == 0,
	    "User URN path resolves canonically");
}

/* The registered extensions in the ResourceType documents. */
static void
test_ext_listed(void)
{
	cJSON		*doc;
	const cJSON	*e;

	doc = resource_type_to_json(&rt_group, BASE);
	e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc,
	    "schemaExtensions"), 0);
	ok(e != NULL && strcmp(json_str(e, "schema"),
	    "urn:example:group:ext") == 0 &&
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "required")),
	    "Group lists its extension, required");
	cJSON_Delete(doc);
	doc = resource_type_to_json(&rt_user, BASE);
	e = cJSON_GetObjectItemCaseSensitive(doc, "schemaExtensions");
	ok(cJSON_GetArraySize(e) == 2 && cJSON_IsFalse(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(e, 1),
	    "required")), "User lists two, the declared one not required");
	cJSON_Delete(doc);
}

/* What may not register; unregistering restores the built-in lists. */
static void
test_ext_refused(void)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct schema		 more;

	ok(schema_ext_register(&rt_user, &reg_group_ext, false, &err) ==
	    SCIM_E_INVALID_VALUE && strstr(err.detail, "already defined"),
	    "the same URN twice: %s", err.detail);
	ok(schema_ext_register(&rt_user, &schema_group, false, &err) ==
	    SCIM_E_INVALID_VALUE, "a built-in URN: %s", err.detail);
	more = reg_user_ext;
	more.id = "urn:example:user:ext:more";
	ok(schema_ext_register(&rt_user, &more, false, &err) ==
	    SCIM_E_INVALID_VALUE && strstr(err.detail, "begins with"),
	    "a URN that extends another's: %s", err.detail);
	ok(schema_ext_register(NULL, &reg_user_ext, false, &err) ==
	    SCIM_E_INVALID_VALUE, "no resource type");

	schema_ext_unregister();
	ok(rt_user.ext[1] == NULL && rt_group.ext[0] == NULL &&
	    schema_all[3] == NULL && schema_by_urn("urn:example:user:ext") ==
	    NULL, "unregistered: the built-in lists again");
}

/* SCHEMA_EXT_MAX extensions register, one more does not. */
static void
test_ext_max(void)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct schema		 many[SCHEMA_EXT_MAX + 1];
	char			 ids[SCHEMA_EXT_MAX + 1][32];
	size_t			 i;

	for (i = 0; i <= SCHEMA_EXT_MAX; i++) {
		snprintf(ids[i], sizeof(ids[i]), "urn:example:n%zu", i);
		many[i] = reg_user_ext;
		many[i].id = ids[i];
	}
	for (i = 0; i < SCHEMA_EXT_MAX; i++)
		if (schema_ext_register(i % 2 ? &rt_user : &rt_group, &many[i],
		    false, &err) != SCIM_OK)
			break;
	is_int((long long)i, SCHEMA_EXT_MAX, "SCHEMA_EXT_MAX register");
	ok(schema_ext_register(&rt_user, &many[SCHEMA_EXT_MAX], false,
	    &err) == SCIM_E_INVALID_VALUE && strstr(err.detail, "more than"),
	    "one more is refused: %s", err.detail);
	schema_ext_unregister();
	ok(schema_all[3] == NULL && rt_user.ext[1] == NULL,
	    "unregistered again");
}

int
main(void)
{
	test_resolve_table();
	test_resolve_edges();
	test_find();
	test_tables();
	test_tables_subs();
	test_tables_traits();
	test_schema_json();
	test_schema_json_user();
	test_schema_json_others();
	test_resource_type_json();
	test_alloc_failure();
	test_attr_rules();
	test_ext_register();
	test_ext_listed();
	test_ext_refused();
	test_ext_max();
	return tap_done();
}
