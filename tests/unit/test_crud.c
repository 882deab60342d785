/*
 * Unit tests for the pure helpers of the /Users and /Groups handlers
 * (common/scim/crud*.c, members.c), table-driven: version strings and
 * If-Match / If-None-Match lists, paging bounds, the value a resource
 * sorts by, SearchRequest members as strings, the "did anything change"
 * comparison of two stored forms, the attribute names an update event
 * lists, the shape rule for a member value, the keys handed to the store,
 * which values are ids, and a resource's URL.  The handlers themselves
 * need a store and are tested over HTTP (tests/http/test_users.py,
 * test_groups.py, test_audit.py).
 *
 * JSON in the tables is written with single quotes, turned into double
 * quotes before parsing.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "scim/crud-int.h"
#include "scim/members.h"
#include "scim/schema.h"
#include "table_json.h"
#include "tap.h"

#define ENT	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

static const struct {
	const char	*ver;
	long		 want;
} versions[] = {
	{ "W/\"1\"", 1 },
	{ "W/\"42\"", 42 },
	{ NULL, 0 },
	{ "", 0 },
	{ "\"3\"", 0 },		/* strong: not a version of ours */
	{ "W/\"x\"", 0 },
	{ "W/3", 0 },
};

static const struct {
	const char	*list;
	const char	*ver;
	bool		 want;
} etags[] = {
	{ "*", "W/\"1\"", true },
	{ "*", NULL, true },
	{ "W/\"1\"", "W/\"1\"", true },
	{ "\"1\"", "W/\"1\"", true },		/* strong form of ours */
	{ "W/\"2\"", "W/\"1\"", false },
	{ "W/\"10\"", "W/\"1\"", false },
	{ "W/\"1\"", "W/\"10\"", false },
	{ "W/\"2\", W/\"1\"", "W/\"1\"", true },
	{ "W/\"2\",W/\"1\"", "W/\"1\"", true },
	{ " \t, W/\"1\" \t", "W/\"1\"", true },
	{ "W/\"2\"", "W/\"1\"", false },
	{ "", "W/\"1\"", false },
	{ "**", "W/\"1\"", false },
	{ "\"0\"", NULL, true },		/* no version reads as 0 */
	{ "W/\"1\"", NULL, false },
};

static const struct {
	long		 start, count;
	size_t		 pos;
	bool		 want;
} pages[] = {
	{ 1, 10, 1, true },
	{ 1, 10, 10, true },
	{ 1, 10, 11, false },
	{ 3, 2, 2, false },
	{ 3, 2, 3, true },
	{ 3, 2, 4, true },
	{ 3, 2, 5, false },
	{ 5, 0, 5, false },			/* count=0: totals only */
	{ 1, 0, 1, false },
	{ 100, 1, 99, false },
	{ 100, 1, 100, true },
};

static const struct {
	const char	*path;
	const char	*res;
	const char	*want;		/* the value as JSON, NULL: none */
} sorts[] = {
	{ "userName", "{'userName':'bjensen'}", "'bjensen'" },
	{ "userName", "{'displayName':'B'}", NULL },
	{ "userName", "{'userName':null}", NULL },
	{ "name.familyName", "{'name':{'familyName':'Jensen'}}", "'Jensen'" },
	{ "name.familyName", "{'name':{}}", NULL },
	/* Multi-valued: the primary, else the first; an object: "value". */
	{ "emails", "{'emails':[{'value':'a@x'},{'value':'b@x',"
	    "'primary':true}]}", "'b@x'" },
	{ "emails", "{'emails':[{'value':'a@x'},{'value':'b@x'}]}",
	    "'a@x'" },
	{ "emails.type", "{'emails':[{'value':'a@x','type':'work'}]}",
	    "'work'" },
	{ "emails", "{'emails':[]}", NULL },
	{ "active", "{'active':false}", "false" },
	{ ENT ":employeeNumber", "{'" ENT "':{'employeeNumber':'7'}}",
	    "'7'" },
	{ ENT ":employeeNumber", "{'employeeNumber':'7'}", NULL },
};

static const struct {
	const char	*body;
	const char	*name;
	const char	*want;
	bool		 bad;
} searches[] = {
	{ "{'filter':'userName eq \\'a\\''}", "filter",
	    "userName eq \"a\"", false },
	{ "{'count':10}", "count", "10", false },
	{ "{'startIndex':-3}", "startIndex", "-3", false },
	{ "{'attributes':['userName','emails']}", "attributes",
	    "userName,emails", false },
	{ "{'attributes':[]}", "attributes", "", false },
	{ "{'attributes':'userName'}", "attributes", "userName", false },
	{ "{}", "filter", NULL, false },
	{ "{'filter':null}", "filter", NULL, false },
	{ "{'Filter':'x'}", "filter", "x", false },	/* any case */
	{ "{'count':true}", "count", NULL, true },
	{ "{'filter':{'a':1}}", "filter", NULL, true },
	{ "{'attributes':['a',1]}", "attributes", "a", true },
};

static const struct {
	const char	*a, *b;
	bool		 want;
} sames[] = {
	{ "{'id':'1','userName':'a'}", "{'id':'1','userName':'a'}", true },
	{ "{'id':'1','userName':'a','meta':{'version':'W/\\'1\\''}}",
	    "{'id':'1','userName':'a','meta':{'version':'W/\\'2\\''}}", true },
	{ "{'schemas':['x'],'userName':'a'}", "{'userName':'a'}", true },
	{ "{'userName':'a'}", "{'userName':'b'}", false },
	{ "{'userName':'a'}", "{'userName':'a','active':true}", false },
	{ "{'userName':'a','active':true}", "{'userName':'a'}", false },
	{ "{'userName':'a'}", "{'UserName':'a'}", false },	/* exact */
	{ "{'a':1,'b':2}", "{'b':2,'a':1}", true },		/* any order */
	{ "[1]", "[1]", false },				/* objects only */
	{ "{}", "{'meta':{}}", true },
};

static const struct {
	const char	*a, *b;
	const char	*want;		/* the names, as a JSON array */
} diffs[] = {
	{ "{'userName':'a'}", "{'userName':'a'}", "[]" },
	{ "{'userName':'a','title':'x'}", "{'userName':'a','title':'y'}",
	    "['title']" },
	{ "{'userName':'a'}", "{'userName':'a','title':'y'}", "['title']" },
	{ "{'userName':'a','title':'x'}", "{'userName':'a'}", "['title']" },
	{ "{'id':'1','meta':{'v':1},'schemas':['a']}",
	    "{'id':'2','meta':{'v':2},'schemas':['b']}", "[]" },
	{ "{'a':1,'b':2}", "{'b':3,'c':4}", "['a','b','c']" },
	{ "{'urn:x':{'p':1,'q':2}}", "{'urn:x':{'p':1,'q':3}}",
	    "['urn:x:q']" },
	{ "{'urn:x':{'p':1}}", "{}", "['urn:x']" },
	{ "{'urn:x':{'p':1}}", "{'urn:x':'s'}", "['urn:x']" },
	/* Only the top level looks inside an extension. */
	{ "{'urn:x':{'urn:y':{'p':1}}}", "{'urn:x':{'urn:y':{'p':2}}}",
	    "['urn:x:urn:y']" },
};

static const struct {
	const char	*v;
	const char	*want;		/* the id, NULL: not a member value */
} member_ids[] = {
	{ "'u1'", "u1" },
	{ "{'value':'u1'}", "u1" },
	{ "{'Value':'u1','display':'x'}", "u1" },	/* any case */
	{ "{'value':1}", NULL },
	{ "{'display':'x'}", NULL },
	{ "{}", NULL },
	{ "1", NULL },
	{ "null", NULL },
	{ "['u1']", NULL },
	{ "[{'value':'u1'}]", NULL },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_sort_values(void)
{
	struct schema_path	 p;
	struct scim_error	 err;
	cJSON			*res, *want;
	const cJSON		*got;
	char			*s;
	size_t			 i;
	bool			 pass;

	for (i = 0; i < NELEM(sorts); i++) {
		memset(&p, 0, sizeof(p));
		if (schema_resolve(&rt_user, sorts[i].path,
		    strlen(sorts[i].path), &p, &err) != SCIM_OK) {
			ok(0, "sort %zu: resolve %s: %s", i, sorts[i].path,
			    err.detail);
			continue;
		}
		res = table_json(sorts[i].res);
		want = table_json(sorts[i].want);
		got = crud_sort_value(&p, res);
		s = got != NULL ? cJSON_PrintUnformatted(got) : NULL;
		pass = want == NULL ? got == NULL : got != NULL &&
		    cJSON_Compare(got, want, true);
		if (!ok(pass, "sort %zu: %s of %s", i, sorts[i].path,
		    sorts[i].res))
			printf("#   expected: %s\n#        got: %s\n",
			    sorts[i].want ? sorts[i].want : "(none)",
			    s ? s : "(none)");
		free(s);
		cJSON_Delete(res);
		cJSON_Delete(want);
	}
}

static void
test_searches(void)
{
	cJSON	*body;
	char	*got, name[96];
	bool	 bad;
	size_t	 i;

	for (i = 0; i < NELEM(searches); i++) {
		body = table_json(searches[i].body);
		bad = false;
		got = crud_search_str(body, searches[i].name, &bad);
		snprintf(name, sizeof(name), "search %zu: %s", i,
		    searches[i].body);
		is_str(got, searches[i].want, name);
		is_int(bad, searches[i].bad, name);
		free(got);
		cJSON_Delete(body);
	}
}

static void
test_diffs(void)
{
	cJSON	*a, *b, *list, *want;
	char	*s, name[128];
	size_t	 i;

	for (i = 0; i < NELEM(diffs); i++) {
		a = table_json(diffs[i].a);
		b = table_json(diffs[i].b);
		want = table_json(diffs[i].want);
		if ((list = cJSON_CreateArray()) == NULL)
			abort();
		crud_audit_diff_names(a, b, NULL, list);
		s = cJSON_PrintUnformatted(list);
		snprintf(name, sizeof(name), "diff %zu: %s -> %s", i,
		    diffs[i].a, diffs[i].b);
		if (!ok(cJSON_Compare(list, want, true), "%s", name))
			printf("#   expected: %s\n#        got: %s\n",
			    diffs[i].want, s);
		free(s);
		cJSON_Delete(a);
		cJSON_Delete(b);
		cJSON_Delete(want);
		cJSON_Delete(list);
	}
}

/*
 * The keys crud hands the store (crud_store_keys()), what is an id
 * (exact: schema_value_is_id()), and the one URL spelling the Location
 * header and each "$ref" now share with meta.location.
 */
static void
test_seams(void)
{
	static const struct {
		const struct resource_type	*rt;
		const char			*res;
		const char			*id, *name, *ext;
	} keys[] = {
		{ &rt_user, "{'id':'u1','userName':'Bob','externalId':'e1'}",
		  "u1", "Bob", "e1" },
		{ &rt_user, "{'id':'u2','displayName':'Bob'}", "u2", NULL,
		  NULL },
		{ &rt_group, "{'id':'g1','displayName':'Ops'}", "g1", "Ops",
		  NULL },
		{ &rt_group, "{'displayName':7,'externalId':['x']}", NULL, NULL,
		  NULL },
	};
	static const struct {
		const char	*base;
		const char	*want;
	} urls[] = {
		{ "https://h/scim/v2", "https://h/scim/v2/Groups/g1" },
		{ "https://h/scim/v2/", "https://h/scim/v2/Groups/g1" },
		{ "https://h/scim/v2//", "https://h/scim/v2/Groups/g1" },
	};
	struct store_keys	 k;
	char			 name[160], *u;
	cJSON			*r;
	size_t			 i;

	for (i = 0; i < NELEM(keys); i++) {
		r = table_json(keys[i].res);
		crud_store_keys(keys[i].rt, r, &k);
		snprintf(name, sizeof(name), "keys %zu: %s", i, keys[i].res);
		is_str(k.id, keys[i].id, name);
		is_str(k.name, keys[i].name, name);
		is_str(k.ext, keys[i].ext, name);
		cJSON_Delete(r);
	}
	is_int(schema_value_is_id(schema_find(&schema_group, "members")),
	    true, "members.value is an id");
	is_int(schema_value_is_id(schema_find(&schema_enterprise_user,
	    "manager")), true, "manager.value is an id");
	is_int(schema_value_is_id(schema_find(&schema_user, "emails")),
	    false, "emails.value is no id");
	is_int(schema_value_is_id(NULL), false, "unknown attribute");
	for (i = 0; i < NELEM(urls); i++) {
		u = resource_location(&rt_group, "g1", urls[i].base);
		snprintf(name, sizeof(name), "url %zu: %s", i, urls[i].base);
		is_str(u, urls[i].want, name);
		free(u);
	}
}

int
main(void)
{
	cJSON	*a, *b;
	char	 name[128];
	size_t	 i;

	for (i = 0; i < NELEM(versions); i++) {
		snprintf(name, sizeof(name), "version %zu: %s", i,
		    versions[i].ver ? versions[i].ver : "(null)");
		is_int(crud_version_num(versions[i].ver), versions[i].want,
		    name);
	}
	for (i = 0; i < NELEM(etags); i++) {
		snprintf(name, sizeof(name), "etag %zu: [%s] names %s", i,
		    etags[i].list, etags[i].ver ? etags[i].ver : "(null)");
		is_int(crud_etag_listed(etags[i].list, etags[i].ver),
		    etags[i].want, name);
	}
	for (i = 0; i < NELEM(pages); i++) {
		snprintf(name, sizeof(name), "page %zu: start %ld count %ld "
		    "holds %zu", i, pages[i].start, pages[i].count,
		    pages[i].pos);
		is_int(crud_page_holds(pages[i].start, pages[i].count,
		    pages[i].pos), pages[i].want, name);
	}
	test_sort_values();
	test_searches();
	for (i = 0; i < NELEM(sames); i++) {
		a = table_json(sames[i].a);
		b = table_json(sames[i].b);
		snprintf(name, sizeof(name), "same %zu: %s vs %s", i,
		    sames[i].a, sames[i].b);
		is_int(crud_same_content(a, b), sames[i].want, name);
		is_int(crud_same_content(b, a), sames[i].want, name);
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	test_diffs();
	for (i = 0; i < NELEM(member_ids); i++) {
		a = table_json(member_ids[i].v);
		snprintf(name, sizeof(name), "member id %zu: %s", i,
		    member_ids[i].v);
		is_str(schema_value_id(a), member_ids[i].want, name);
		cJSON_Delete(a);
	}
	test_seams();
	return tap_done();
}
