/*
 * Fuzz harness: the PATCH path parser and engine (common/scim/patch.c), with
 * what crud.c does around them (resource_normalize of the result,
 * rendering it).
 *
 * Input, either
 *  - a JSON object: a PatchOp body, optionally followed by a NUL byte
 *    and a JSON object used as the resource to patch (normalised first,
 *    as stored resources are); or
 *  - anything else: text used as the "path" of add, replace and remove
 *    operations with a string value and with a value list, so the path
 *    grammar is fuzzed directly from short seeds.
 *
 * Each body is applied to a user and to a group.  The group's "members"
 * operations go to a hook, as in crud.c; the hook evaluates the value
 * filter it is handed against the fixture members and walks the value.
 */
#include <stdbool.h>

#include "base/error.h"
#include "scim/filter.h"
#include "scim/patch.h"
#include "scim/resource.h"
#include "scim/schema.h"

#include "fixtures.h"
#include "fuzz.h"

static enum scim_err
members_hook(void *arg, enum patch_op op, const struct filter *vf,
    const cJSON *value, struct scim_error *err)
{
	const cJSON	*members = arg, *e;
	size_t		 n = 0;

	(void)err;
	if (vf != NULL)
		cJSON_ArrayForEach(e, members)
			(void)filter_match(vf, e);
	if (cJSON_IsArray(value))
		cJSON_ArrayForEach(e, value)
			n += cJSON_IsObject(e) || cJSON_IsString(e);
	/* A member operation on nothing at all: what crud.c rejects. */
	if (op == PATCH_ADD && value != NULL && !cJSON_IsArray(value) &&
	    !cJSON_IsObject(value) && !cJSON_IsString(value) &&
	    !cJSON_IsNull(value))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "bad member");
	return n > 100000 ? SCIM_E_TOO_MANY : SCIM_OK;
}

/* Patch a copy of res (stored form) the way crud.c's patch_fn does. */
static void
apply(const struct resource_type *rt, const cJSON *res, const cJSON *body,
    const cJSON *members)
{
	struct patch_hook	 hook = { "members", members_hook,
				    (void *)members };
	struct scim_error	 err;
	cJSON			*work, *norm = NULL, *out;

	if ((work = cJSON_Duplicate(res, true)) == NULL)
		return;
	if (patch_apply(rt, work, body, rt == &rt_group ? &hook : NULL,
	    &err) == SCIM_OK &&
	    resource_normalize(rt, work, &norm, &err) == SCIM_OK) {
		out = resource_render(rt, norm, "https://h/scim/v2", NULL,
		    NULL);
		cJSON_Delete(out);
	}
	cJSON_Delete(norm);
	cJSON_Delete(work);
}

/* The starting resource: the fuzzer's own when it normalises, else res. */
static cJSON *
start_from(const struct resource_type *rt, const cJSON *res,
    const cJSON *given)
{
	struct scim_error	 err;
	cJSON			*norm = NULL;

	if (given != NULL && resource_normalize(rt, given, &norm, &err) ==
	    SCIM_OK)
		return norm;
	cJSON_Delete(norm);
	return cJSON_Duplicate(res, true);
}

static void
path_mode(const char *path, const cJSON *user, const cJSON *group,
    const cJSON *members)
{
	static const char *const ops[] = { "add", "Replace", "remove" };
	static const char *const values[] = {
	    "\"x@example.com\"",
	    "[{\"value\":\"v\",\"type\":\"work\",\"primary\":true}]",
	};
	cJSON	*body, *opv, *arr;
	size_t	 i, j;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		for (j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
			if ((body = cJSON_CreateObject()) == NULL)
				return;
			arr = cJSON_AddArrayToObject(body, "Operations");
			opv = cJSON_CreateObject();
			if (arr == NULL || opv == NULL) {
				cJSON_Delete(opv);
				cJSON_Delete(body);
				return;
			}
			cJSON_AddItemToArray(arr, opv);
			cJSON_AddStringToObject(opv, "op", ops[i]);
			cJSON_AddStringToObject(opv, "path", path);
			cJSON_AddItemToObject(opv, "value",
			    cJSON_Parse(values[j]));
			apply(&rt_user, user, body, members);
			apply(&rt_group, group, body, members);
			cJSON_Delete(body);
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON	*user, *group, *members;
	char		*head;
	cJSON		*given, *body, *u, *g;

	if (user == NULL) {
		user = cJSON_Parse(fuzz_user_json);
		group = cJSON_Parse(fuzz_group_json);
		if (user == NULL || group == NULL)
			abort();
		/* Stored groups keep members in their own records. */
		members = cJSON_DetachItemFromObject(group, "members");
	}
	if (fuzz_split(data, size, &head, &given) != 0)
		return 0;
	body = cJSON_Parse(head);
	if (cJSON_IsObject(body)) {
		u = start_from(&rt_user, user, given);
		g = start_from(&rt_group, group, given);
		if (u != NULL)
			apply(&rt_user, u, body, members);
		if (g != NULL)
			apply(&rt_group, g, body, members);
		cJSON_Delete(u);
		cJSON_Delete(g);
	} else
		path_mode(head, user, group, members);
	cJSON_Delete(body);
	cJSON_Delete(given);
	free(head);
	return 0;
}
