/*
 * Unit tests for declared schema extensions (schema-ext.h): the
 * definition parser, one row per error path with the words its one-line
 * error must contain; every type and characteristic read back; the
 * registration in the schema model (resolution, /Schemas, /ResourceTypes,
 * unregistering); normalising against a declared extension (types,
 * required attributes, a required extension, undeclared URNs stored or
 * refused); and schema_ext_configure() with files.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tap.h"
#include "base/error.h"
#include "scim/schema.h"
#include "scim/schema-ext.h"
#include "scim/resource.h"

#define URN	"urn:example:scim:ext:2.0:User"
/* One definition with attrs (a JSON list body) and more keys. */
#define DEF(more, attrs) \
	"{\"id\": \"" URN "\", \"resourceType\": \"User\"" more \
	", \"attributes\": [" attrs "]}"
#define ATTR(name, more)	"{\"name\": \"" name "\"" more "}"
#define STR(name)		ATTR(name, ", \"type\": \"string\"")

/* A definition that must be refused, and words its error must carry. */
struct bad_case {
	const char	*text;
	const char	*want1;
	const char	*want2;
};

static const struct bad_case bad_cases[] = {
	{ "", "not JSON", NULL },
	{ "{", "not JSON", NULL },
	{ "[]", "non-empty array", NULL },
	{ "42", "non-empty array", NULL },
	{ "[42]", "definition 1", "JSON object" },
	{ "{\"resourceType\": \"User\", \"attributes\": []}",
	    "\"id\"", "missing" },
	{ "{\"id\": 5}", "\"id\" must be a string", NULL },
	{ "{\"id\": \"\"}", "\"id\" must not be empty", NULL },
	{ "{\"id\": \"example:x\"}", "not a schema URN", NULL },
	{ "{\"id\": \"urn:\"}", "not a schema URN", NULL },
	{ "{\"id\": \"urn:a:b:\"}", "not a schema URN", NULL },
	{ "{\"id\": \"urn:a b\"}", "not a schema URN", NULL },
	{ "{\"id\": \"urn:a[b]\"}", "not a schema URN", NULL },
	{ "{\"id\": \"" URN "\", \"attributes\": [" STR("a") "]}",
	    "resourceType", "missing" },
	{ "{\"id\": \"" URN "\", \"resourceType\": \"Device\", "
	    "\"attributes\": [" STR("a") "]}", "Device", "User or Group" },
	{ DEF(", \"resourceType\": \"Group\"", STR("a")),
	    "key \"resourceType\" twice", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"type\": \"integer\"")),
	    "attribute a", "key \"type\" twice" },
	{ DEF(", \"required\": \"yes\"", STR("a")), "\"required\"",
	    "true or false" },
	{ DEF(", \"name\": 3", STR("a")), "\"name\" must be a string", NULL },
	{ DEF(", \"description\": []", STR("a")), "\"description\"", NULL },
	{ DEF(", \"extends\": \"User\"", STR("a")), "unknown key",
	    "extends" },
	{ "{\"id\": \"" URN "\", \"resourceType\": \"User\"}",
	    "\"attributes\"", "non-empty array" },
	{ DEF("", ""), "\"attributes\" must be a non-empty array", NULL },
	{ "{\"id\": \"" URN "\", \"resourceType\": \"User\", "
	    "\"attributes\": {}}", "non-empty array", NULL },
	{ DEF("", "7"), "attribute must be a JSON object", NULL },
	{ DEF("", "{\"type\": \"string\"}"), "has no \"name\"", NULL },
	{ DEF("", ATTR("9lives", ", \"type\": \"string\"")),
	    "not an attribute name", NULL },
	{ DEF("", ATTR("a.b", ", \"type\": \"string\"")),
	    "not an attribute name", NULL },
	{ DEF("", ATTR("a", "")), "attribute a", "\"type\" is missing" },
	{ DEF("", ATTR("a", ", \"type\": \"String\"")), "\"String\"",
	    "not one of string" },
	{ DEF("", ATTR("a", ", \"type\": 1")), "\"type\" must be a string",
	    NULL },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"multiValued\": 1")),
	    "\"multiValued\"", "true or false" },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"caseExact\": null")),
	    "\"caseExact\"", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"required\": \"no\"")),
	    "\"required\"", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"mutability\": "
	    "\"writeonly\"")), "writeonly", "readWrite" },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"returned\": "
	    "\"sometimes\"")), "sometimes", "request" },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"uniqueness\": "
	    "\"tenant\"")), "tenant", "global" },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"description\": 1")),
	    "\"description\"", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"canonicalValues\": "
	    "\"x\"")), "\"canonicalValues\"", "array of strings" },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"canonicalValues\": "
	    "[\"x\", 2]")), "non-empty strings", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"canonicalValues\": "
	    "[\"\"]")), "non-empty strings", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"referenceTypes\": "
	    "[\"User\"]")), "\"referenceTypes\"", "reference attribute only" },
	{ DEF("", ATTR("a", ", \"type\": \"reference\", \"referenceTypes\": "
	    "[1]")), "\"referenceTypes\"", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"subAttributes\": "
	    "[]")), "complex attribute only", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"string\", \"mutable\": true")),
	    "unknown key \"mutable\"", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"complex\"")), "attribute a",
	    "needs \"subAttributes\"" },
	{ DEF("", ATTR("a", ", \"type\": \"complex\", \"subAttributes\": "
	    "[]")), "\"subAttributes\" must be a non-empty array", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"complex\", \"canonicalValues\": "
	    "[\"x\"], \"subAttributes\": [" STR("b") "]")),
	    "no \"canonicalValues\"", NULL },
	{ DEF("", ATTR("a", ", \"type\": \"complex\", \"subAttributes\": ["
	    ATTR("b", ", \"type\": \"complex\"") "]")), "attribute a.b",
	    "cannot be complex" },
	{ DEF("", ATTR("a", ", \"type\": \"complex\", \"subAttributes\": ["
	    STR("b") ", " STR("B") "]")), "attribute a.B", "defined twice" },
	{ DEF("", ATTR("a", ", \"type\": \"complex\", \"subAttributes\": ["
	    ATTR("b", ", \"type\": \"bool\"") "]")), "attribute a.b",
	    "\"bool\"" },
	{ DEF("", STR("a") ", " STR("A")), "attribute A", "defined twice" },
	{ "[" DEF("", STR("a")) ", " DEF("", STR("b")) "]", "definition 2",
	    "defined twice" },
	{ "[" DEF("", STR("a")) ", 1]", "definition 2", "JSON object" },
};

static void
test_bad_definitions(void)
{
	struct schema_ext_set	*set;
	struct scim_error	 err;
	const struct bad_case	*c;
	size_t			 i;
	enum scim_err		 rc;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		c = &bad_cases[i];
		memset(&err, 0, sizeof(err));
		set = (void *)1;
		rc = schema_ext_parse(c->text, strlen(c->text), &set, &err);
		ok(rc == SCIM_E_INVALID_VALUE && set == NULL &&
		    strstr(err.detail, c->want1) != NULL &&
		    (c->want2 == NULL || strstr(err.detail, c->want2) != NULL)
		    && strchr(err.detail, '\n') == NULL,
		    "bad row %zu refused: %s", i, err.detail);
	}
}

/* Size limits: too many attributes, sub-attributes, values, definitions. */
static void
test_limits(void)
{
	struct schema_ext_set	*set;
	struct scim_error	 err;
	char			*buf, *p;
	size_t			 i, sz = 64 * 1024;

	buf = malloc(sz);
	p = buf + sprintf(buf, "{\"id\": \"" URN "\", \"resourceType\": "
	    "\"User\", \"attributes\": [");
	for (i = 0; i <= SCHEMA_EXT_ATTRS_MAX; i++)
		p += sprintf(p, "%s{\"name\": \"a%zu\", \"type\": \"string\"}",
		    i ? "," : "", i);
	strcpy(p, "]}");
	ok(schema_ext_parse(buf, strlen(buf), &set, &err) != SCIM_OK &&
	    strstr(err.detail, "more than 256") != NULL,
	    "more than SCHEMA_EXT_ATTRS_MAX attributes: %s", err.detail);

	p = buf + sprintf(buf, "[");
	for (i = 0; i <= SCHEMA_EXT_MAX; i++)
		p += sprintf(p, "%s{\"id\": \"urn:e:%zu\", \"resourceType\": "
		    "\"Group\", \"attributes\": [{\"name\": \"a\", \"type\": "
		    "\"string\"}]}", i ? "," : "", i);
	strcpy(p, "]");
	ok(schema_ext_parse(buf, strlen(buf), &set, &err) != SCIM_OK &&
	    strstr(err.detail, "more than 16 definitions") != NULL,
	    "more than SCHEMA_EXT_MAX definitions: %s", err.detail);

	p = buf + sprintf(buf, DEF("", "{\"name\": \"a\", \"type\": "
	    "\"string\", \"canonicalValues\": ["));
	/* DEF closes the lists; rebuild by hand instead. */
	p = buf + sprintf(buf, "{\"id\": \"" URN "\", \"resourceType\": "
	    "\"User\", \"attributes\": [{\"name\": \"a\", \"type\": "
	    "\"string\", \"canonicalValues\": [");
	for (i = 0; i <= SCHEMA_EXT_VALUES_MAX; i++)
		p += sprintf(p, "%s\"v%zu\"", i ? "," : "", i);
	strcpy(p, "]}]}");
	ok(schema_ext_parse(buf, strlen(buf), &set, &err) != SCIM_OK &&
	    strstr(err.detail, "more than 256 values") != NULL,
	    "too many canonicalValues: %s", err.detail);

	ok(schema_ext_parse("{\0}", 3, &set, &err) != SCIM_OK && set == NULL,
	    "a NUL in the text is not JSON");
	ok(schema_ext_parse(buf, SCHEMA_EXT_FILE_MAX + 1, &set, &err) !=
	    SCIM_OK && strstr(err.detail, "larger than") != NULL,
	    "over SCHEMA_EXT_FILE_MAX: %s", err.detail);
	free(buf);
}

static const char full_def[] =
    "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:Schema\"],"
    " \"id\": \"" URN "\", \"name\": \"Example\", \"description\": \"Ex\","
    " \"resourceType\": \"user\", \"required\": true, \"meta\": {},"
    " \"attributes\": ["
    "  {\"name\": \"s\", \"type\": \"string\", \"caseExact\": true,"
    "   \"canonicalValues\": [\"x\", \"y\"], \"uniqueness\": \"server\"},"
    "  {\"name\": \"b\", \"type\": \"boolean\", \"required\": true},"
    "  {\"name\": \"d\", \"type\": \"decimal\", \"returned\": \"request\"},"
    "  {\"name\": \"i\", \"type\": \"integer\", \"multiValued\": true},"
    "  {\"name\": \"t\", \"type\": \"dateTime\", \"mutability\": "
    "   \"readOnly\"},"
    "  {\"name\": \"bin\", \"type\": \"binary\", \"returned\": \"never\","
    "   \"mutability\": \"writeOnly\"},"
    "  {\"name\": \"r\", \"type\": \"reference\", \"referenceTypes\":"
    "   [\"external\"], \"mutability\": \"immutable\", \"description\":"
    "   \"a link\"},"
    "  {\"name\": \"c\", \"type\": \"complex\", \"multiValued\": true,"
    "   \"subAttributes\": [{\"name\": \"value\", \"type\": \"string\"},"
    "   {\"name\": \"n\", \"type\": \"integer\", \"required\": true}]}"
    " ]}";

/* Every type and characteristic read into the tables. */
static void
test_good_definition(void)
{
	struct schema_ext_set		*set = NULL;
	struct scim_error		 err = { SCIM_OK, "" };
	const struct schema		*s;
	const struct schema_attr	*a;

	ok(schema_ext_parse(full_def, strlen(full_def), &set, &err) ==
	    SCIM_OK, "full definition parses: %s", err.detail);
	if (set == NULL)
		return;
	is_int((long long)schema_ext_count(set), 1, "one definition");
	s = schema_ext_schema(set, 0);
	ok(schema_ext_schema(set, 1) == NULL, "no second definition");
	is_str(s->id, URN, "id");
	is_str(s->name, "Example", "name");
	is_str(s->description, "Ex", "description");
	is_int((long long)s->nattrs, 8, "eight attributes");
	a = schema_find(s, "S");
	ok(a != NULL && a->type == ATTR_STRING && a->case_exact &&
	    a->uniqueness == UNIQ_SERVER && a->canonical != NULL &&
	    strcmp(a->canonical[1], "y") == 0 && a->canonical[2] == NULL,
	    "string, caseExact, canonicalValues, uniqueness");
	a = schema_find(s, "b");
	ok(a != NULL && a->type == ATTR_BOOLEAN && a->required &&
	    !a->multi && a->mutability == MUT_READ_WRITE &&
	    a->returned == RET_DEFAULT && a->uniqueness == UNIQ_NONE,
	    "boolean, required, the defaults");
	a = schema_find(s, "d");
	ok(a != NULL && a->type == ATTR_DECIMAL && a->returned == RET_REQUEST,
	    "decimal, returned request");
	a = schema_find(s, "i");
	ok(a != NULL && a->type == ATTR_INTEGER && a->multi,
	    "integer, multiValued");
	a = schema_find(s, "t");
	ok(a != NULL && a->type == ATTR_DATETIME &&
	    a->mutability == MUT_READ_ONLY, "dateTime, readOnly");
	a = schema_find(s, "bin");
	ok(a != NULL && a->type == ATTR_BINARY && a->returned == RET_NEVER &&
	    a->mutability == MUT_WRITE_ONLY, "binary, never, writeOnly");
	a = schema_find(s, "r");
	ok(a != NULL && a->type == ATTR_REFERENCE &&
	    a->mutability == MUT_IMMUTABLE && a->ref_types != NULL &&
	    strcmp(a->ref_types[0], "external") == 0 &&
	    strcmp(a->description, "a link") == 0,
	    "reference, referenceTypes, immutable, description");
	a = schema_find(s, "c");
	ok(a != NULL && a->type == ATTR_COMPLEX && a->multi && a->nsub == 2 &&
	    schema_find_sub(a, "N") != NULL &&
	    schema_find_sub(a, "n")->type == ATTR_INTEGER &&
	    schema_find_sub(a, "n")->required, "complex with sub-attributes");
	schema_ext_free(set);
}

/* Registered: resolution, discovery, then back to the built-in tables. */
static void
test_registered(void)
{
	struct schema_ext_set	*set = NULL, *two = NULL;
	struct scim_error	 err = { SCIM_OK, "" };
	struct schema_path	 sp;
	const struct schema	*s;
	cJSON			*j, *e;
	char			*txt;
	static const char	 path[] = URN ":c.N";
	static const char	 clash[] =
	    "{\"id\": \"urn:ietf:params:scim:schemas:extension:enterprise:"
	    "2.0:User\", \"resourceType\": \"User\", \"attributes\": ["
	    STR("a") "]}";
	static const char	 prefix[] =
	    "[{\"id\": \"urn:p:q\", \"resourceType\": \"Group\", "
	    "\"attributes\": [" STR("a") "]}, {\"id\": \"urn:p:q:r\", "
	    "\"resourceType\": \"User\", \"attributes\": [" STR("a") "]}]";

	if (schema_ext_parse(full_def, strlen(full_def), &set, &err) !=
	    SCIM_OK)
		return;
	s = schema_ext_schema(set, 0);
	ok(schema_ext_install(set, &err) == SCIM_OK, "installed");
	ok(schema_rt_has_ext(&rt_user, s) && !schema_rt_has_ext(&rt_group, s),
	    "a User extension only");
	ok(schema_by_urn("URN:EXAMPLE:scim:ext:2.0:User") == s,
	    "found by URN in any case");
	ok(schema_resolve(&rt_user, path, strlen(path), &sp, &err) ==
	    SCIM_OK && sp.ext == s && sp.attr == schema_find(s, "c") &&
	    strcmp(sp.sub_name, "n") == 0, "URN path resolves canonically");
	j = resource_type_to_json(&rt_user, "https://h/scim/v2");
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "schemaExtensions"), 1);
	txt = cJSON_PrintUnformatted(e);
	is_str(txt, "{\"schema\":\"" URN "\",\"required\":true}",
	    "/ResourceTypes/User lists it, required");
	free(txt);
	cJSON_Delete(j);
	j = schema_to_json(s, "https://h/scim/v2");
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "attributes"), 6);
	txt = cJSON_PrintUnformatted(e);
	is_str(txt, "{\"name\":\"r\",\"type\":\"reference\",\"multiValued\":"
	    "false,\"description\":\"a link\",\"required\":false,\"caseExact\":"
	    "false,\"mutability\":\"immutable\",\"returned\":\"default\","
	    "\"uniqueness\":\"none\",\"referenceTypes\":[\"external\"]}",
	    "/Schemas shows the attribute as declared");
	free(txt);
	cJSON_Delete(j);

	/* A second install of the same URN, or the enterprise one, clashes. */
	ok(schema_ext_install(set, &err) != SCIM_OK &&
	    strstr(err.detail, "already defined") != NULL,
	    "the same URN twice: %s", err.detail);
	ok(!schema_rt_has_ext(&rt_user, s), "a failed install removes all");
	ok(schema_ext_parse(clash, strlen(clash), &two, &err) == SCIM_OK &&
	    schema_ext_install(two, &err) != SCIM_OK &&
	    strstr(err.detail, "already defined") != NULL,
	    "the enterprise URN: %s", err.detail);
	schema_ext_free(two);
	ok(schema_ext_parse(prefix, strlen(prefix), &two, &err) == SCIM_OK &&
	    schema_ext_install(two, &err) != SCIM_OK &&
	    strstr(err.detail, "begins with") != NULL,
	    "one URN the prefix of another: %s", err.detail);
	ok(rt_group.ext[0] == NULL, "Group's list emptied again");
	schema_ext_free(two);

	schema_ext_unregister();
	ok(rt_user.ext[0] == &schema_enterprise_user && rt_user.ext[1] == NULL
	    && schema_by_urn(URN) == NULL, "unregistered: built-ins only");
	schema_ext_free(set);
}

/* Normalise body (JSON text) as a User; *detail gets the error or "". */
static enum scim_err
norm(const char *body, const char *old_text, cJSON **out, char *detail)
{
	struct scim_error	 err = { SCIM_OK, "" };
	cJSON			*in = cJSON_Parse(body), *old = NULL;
	enum scim_err		 rc;

	if (old_text != NULL)
		old = cJSON_Parse(old_text);
	*out = NULL;
	rc = resource_normalize_change(&rt_user, in, old, out, &err);
	snprintf(detail, 512, "%s", err.detail);
	cJSON_Delete(in);
	cJSON_Delete(old);
	return rc;
}

#define USER(more)	"{\"userName\": \"u\"" more "}"
#define EXT(body)	", \"" URN "\": {" body "}"

struct norm_case {
	const char	*body;
	const char	*old;
	enum scim_err	 want;
	const char	*want_text;	/* the result, or words of the error */
};

/*
 * Against full_def (required: true; b and c.n required, t readOnly).
 */
static const struct norm_case norm_cases[] = {
	{ USER(EXT("\"b\": \"TRUE\", \"S\": \"x\", \"t\": \"2024-01-01T00:00:00Z\","
	    " \"i\": 3, \"d\": 1.5, \"c\": {\"value\": \"v\", \"n\": 2}")), NULL,
	    SCIM_OK, "{\"userName\":\"u\",\"" URN "\":{\"b\":true,\"s\":\"x\","
	    "\"i\":[3],\"d\":1.5,\"c\":[{\"value\":\"v\",\"n\":2}]}}" },
	{ USER(", \"" URN ":b\": false"), NULL, SCIM_OK,
	    "{\"userName\":\"u\",\"" URN "\":{\"b\":false}}" },
	{ USER(""), NULL, SCIM_E_INVALID_VALUE,
	    "schema extension " URN " is required" },
	{ USER(""), USER(""), SCIM_OK, "{\"userName\":\"u\"}" },
	{ USER(""), USER(EXT("\"b\": true")), SCIM_E_INVALID_VALUE,
	    "is required" },
	{ USER(EXT("\"s\": \"x\"")), NULL, SCIM_E_INVALID_VALUE,
	    URN ":b is required" },
	{ USER(EXT("\"b\": true, \"c\": {\"value\": \"v\"}")), NULL,
	    SCIM_E_INVALID_VALUE, URN ":c.n is required" },
	{ USER(EXT("\"b\": true, \"c\": [{\"value\": \"v\", \"n\": 1}, "
	    "{\"n\": 2}]")), NULL, SCIM_OK,
	    "\"c\":[{\"value\":\"v\",\"n\":1},{\"n\":2}]" },
	{ USER(EXT("\"b\": 1")), NULL, SCIM_E_INVALID_VALUE,
	    URN ":b must be a boolean" },
	{ USER(EXT("\"b\": true, \"i\": 2.5")), NULL, SCIM_E_INVALID_VALUE,
	    URN ":i must be an integer" },
	{ USER(EXT("\"b\": true, \"d\": \"1\"")), NULL, SCIM_E_INVALID_VALUE,
	    URN ":d must be a number" },
	{ USER(EXT("\"b\": true, \"s\": [\"x\"]")), NULL,
	    SCIM_E_INVALID_VALUE, "single-valued" },
	{ USER(EXT("\"b\": true, \"r\": 5")), NULL, SCIM_E_INVALID_VALUE,
	    URN ":r must be a string" },
	{ USER(EXT("\"b\": true, \"c\": {\"n\": \"2\"}")), NULL,
	    SCIM_E_INVALID_VALUE, URN ":c.n must be an integer" },
	{ USER(", \"" URN "\": 5"), NULL, SCIM_E_INVALID_VALUE,
	    "must be a JSON object" },
	/* readOnly t is dropped; an unknown attribute too. */
	{ USER(EXT("\"b\": true, \"t\": \"no date\", \"zz\": 1")), NULL,
	    SCIM_OK, "{\"userName\":\"u\",\"" URN "\":{\"b\":true}}" },
};

static void
test_normalize(void)
{
	struct schema_ext_set	*set = NULL;
	struct scim_error	 err = { SCIM_OK, "" };
	const struct norm_case	*c;
	cJSON			*out;
	char			 detail[512], *txt;
	size_t			 i;
	enum scim_err		 rc;

	if (schema_ext_parse(full_def, strlen(full_def), &set, &err) !=
	    SCIM_OK || schema_ext_install(set, &err) != SCIM_OK) {
		ok(0, "install: %s", err.detail);
		return;
	}
	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		c = &norm_cases[i];
		rc = norm(c->body, c->old, &out, detail);
		txt = out != NULL ? cJSON_PrintUnformatted(out) : NULL;
		ok(rc == c->want && (rc == SCIM_OK ? txt != NULL &&
		    strstr(txt, c->want_text) != NULL :
		    strstr(detail, c->want_text) != NULL),
		    "normalise row %zu: %s", i, rc == SCIM_OK ? txt : detail);
		free(txt);
		cJSON_Delete(out);
	}
	schema_ext_unregister();
	schema_ext_free(set);
}

/* Undeclared URNs: stored by default, refused on request, old kept. */
static void
test_undeclared(void)
{
	static const char	 body[] =
	    USER(", \"urn:other:ext\": {\"a\": 1}");
	static const char	 qualified[] = USER(", \"urn:other:ext:a\": 1");
	cJSON			*out;
	char			 detail[512], *txt;

	ok(norm(body, NULL, &out, detail) == SCIM_OK &&
	    cJSON_GetObjectItem(out, "urn:other:ext") != NULL,
	    "stored as sent by default");
	cJSON_Delete(out);
	schema_ext_refuse_undeclared(true);
	ok(norm(body, NULL, &out, detail) == SCIM_E_INVALID_VALUE &&
	    strstr(detail, "urn:other:ext is not a declared") != NULL,
	    "refused, naming the URN: %s", detail);
	ok(norm(qualified, NULL, &out, detail) == SCIM_E_INVALID_VALUE &&
	    strstr(detail, "urn:other:ext:a") != NULL,
	    "a qualified attribute of one refused: %s", detail);
	ok(norm(body, body, &out, detail) == SCIM_OK,
	    "kept when the resource had it already: %s", detail);
	cJSON_Delete(out);
	ok(norm(USER(", \"urn:other:ext\": {\"a\": 2}"), body, &out,
	    detail) == SCIM_E_INVALID_VALUE, "a change to it refused");
	ok(norm(USER(", \"urn:other:ext\": null"), body, &out, detail) ==
	    SCIM_OK, "removing it is allowed");
	txt = out != NULL ? cJSON_PrintUnformatted(out) : NULL;
	is_str(txt, "{\"userName\":\"u\"}", "removed");
	free(txt);
	cJSON_Delete(out);
	ok(norm(USER(", \"urn:ietf:params:scim:schemas:core:2.0:Group\": "
	    "{\"displayName\": \"g\"}"), NULL, &out, detail) == SCIM_OK,
	    "another type's known schema is still dropped");
	cJSON_Delete(out);
	schema_ext_refuse_undeclared(false);
}

/* returned never and request, as a read shows a declared extension. */
static void
test_render(void)
{
	struct schema_ext_set	*set = NULL;
	struct scim_error	 err = { SCIM_OK, "" };
	cJSON			*out = NULL, *r;
	char			 detail[512], *txt;

	if (schema_ext_parse(full_def, strlen(full_def), &set, &err) !=
	    SCIM_OK || schema_ext_install(set, &err) != SCIM_OK) {
		ok(0, "install: %s", err.detail);
		return;
	}
	ok(norm(USER(EXT("\"b\": false, \"bin\": \"c2VjcmV0\", \"d\": 2.5")),
	    NULL, &out, detail) == SCIM_OK, "written: %s", detail);
	r = resource_render(&rt_user, out, "https://h", NULL, NULL);
	txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, URN));
	is_str(txt, "{\"b\":false}", "never and request are not shown");
	free(txt);
	cJSON_Delete(r);
	r = resource_render(&rt_user, out, "https://h", URN ":d,userName",
	    NULL);
	txt = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, URN));
	is_str(txt, "{\"d\":2.5}", "request is shown when asked for");
	free(txt);
	cJSON_Delete(r);
	cJSON_Delete(out);
	schema_ext_unregister();
	schema_ext_free(set);
}

/* Write text to a new temporary file; its name into path. */
static void
write_tmp(char *path, const char *text)
{
	int	 fd;
	FILE	*f;

	strcpy(path, "/tmp/test_schema_ext.XXXXXX");
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

static void
test_configure(void)
{
	struct scim_error	 err = { SCIM_OK, "" };
	char			 good[64], bad[64];

	write_tmp(good, full_def);
	write_tmp(bad, "{\"id\": \"urn:x\", \"resourceType\": \"User\", "
	    "\"attributes\": [{\"name\": \"a\"}]}");
	ok(schema_ext_configure(NULL, false, &err) == SCIM_OK &&
	    rt_user.ext[1] == NULL, "no file: nothing declared");
	ok(schema_ext_configure(good, true, &err) == SCIM_OK &&
	    schema_by_urn(URN) != NULL && schema_ext_undeclared_refused(),
	    "a good file installs");
	ok(schema_ext_configure(good, false, &err) == SCIM_OK &&
	    rt_user.ext[2] == NULL && !schema_ext_undeclared_refused(),
	    "configuring again replaces, not adds");
	ok(schema_ext_configure(bad, false, &err) != SCIM_OK &&
	    strncmp(err.detail, bad, strlen(bad)) == 0 &&
	    strstr(err.detail, "\"type\" is missing") != NULL,
	    "a bad file: one line naming it: %s", err.detail);
	ok(schema_by_urn(URN) == NULL, "and nothing is left declared");
	ok(schema_ext_configure("/nonexistent/ext.json", false, &err) !=
	    SCIM_OK && strstr(err.detail, "/nonexistent/ext.json: No such")
	    != NULL, "a missing file: %s", err.detail);
	ok(schema_ext_configure("/tmp", false, &err) != SCIM_OK &&
	    strstr(err.detail, "/tmp: ") != NULL, "a directory: %s",
	    err.detail);
	schema_ext_unload();
	unlink(good);
	unlink(bad);
}

int
main(void)
{
	test_bad_definitions();
	test_limits();
	test_good_definition();
	test_registered();
	test_normalize();
	test_undeclared();
	test_render();
	test_configure();
	return tap_done();
}
