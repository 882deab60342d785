/*
 * Robustness of common/scim/patch.c: huge member lists (no quadratic
 * scans), many operations, deeply nested values, every op on every path
 * with every kind of value (with and without a hook), NULL and odd
 * arguments, and a failed patch leaving the caller's original alone.
 * Nothing may crash or leak (run under ASan or valgrind); the failing
 * allocations are in test_patch.c, over its table.
 */
#include "patch_fixture.h"
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

int
main(void)
{
	test_args();
	test_copy();
	test_deep();
	test_huge();
	test_many_ops();
	test_matrix();
	return tap_done();
}
