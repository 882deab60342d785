/*
 * Unit tests for the members hook of common/scim/patch.c, table-driven:
 * each row is a group, a PatchOp body, the group expected afterwards (or
 * the hook's error) and the calls a recording hook saw, with whether
 * the value filter it was handed matches {"value":"u2"}.  The members
 * operations go to the hook in request order; the rest applies to the
 * JSON.
 */
#include "patch_fixture.h"
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

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(hrows) / sizeof(hrows[0]); i++)
		run_hrow(&hrows[i]);
	return tap_done();
}
