/*
 * Unit tests for the output side of common/scim/resource.c:
 * resource_render() (with the order it promises: schemas first, meta
 * last), resource_stored() and resource_answer(), and resource_wants(),
 * each driven by a table of rows; then the render and wants rows again
 * with the attribute lists parsed once (attrsel_parse()).  The rows run
 * on the real User and Group types and on the Widget type of
 * resource_fixture.h.  A failing row prints the expected and actual JSON
 * as TAP diagnostics.
 */
#include "resource_fixture.h"
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
		    excluded != NULL ? NULL : refs, NULL, 0, BASE, &ver);
		if (excluded == NULL)
			refs = NULL;		/* consumed */
		is_str(got ? got : "(null)", wtext, "answer: same bytes as "
		    "render");
		is_str(ver ? ver : "(null)", cJSON_GetObjectItem(
		    cJSON_GetObjectItem(res, "meta"), "version")->valuestring,
		    "answer: version for the ETag");
	} else
		ok(resource_answer(rt, text, len, "x", NULL, NULL, 0, BASE, &ver) ==
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
	ok(resource_answer(&rt_user, nometa, strlen(nometa), "u", NULL, NULL, 0, BASE,
	    &ver) == NULL && ver == NULL, "answer: none without meta");
	/* A meta that already has a location: rendered instead. */
	refs = cJSON_Parse("[{\"value\":\"g1\"}]");
	ok(resource_answer(&rt_user, withloc, strlen(withloc), "u", refs, NULL, 0, BASE,
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
	test_render();
	test_answer();
	test_wants();
	test_sel_once();
	return tap_done();
}
