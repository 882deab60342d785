/*
 * Fuzz harness: the filter parser and evaluator (common/scim/filter.c).
 *
 * Input: filter text, optionally followed by a NUL byte and a JSON value.
 * The text is parsed as a /Users filter, a /Groups filter, and as the
 * inside of the value paths emails[...] and members[...] (the PATCH
 * engine's use).  Every filter that parses is evaluated against the
 * fixture user and group, against the JSON value when there is one (as a
 * resource, and each of its elements as a multi-valued element), and
 * asked for its index hints.  The text also goes to the dateTime parser,
 * and a JSON array has its neighbours compared as every attribute type
 * (sortBy's comparator).
 */
#include <stdbool.h>

#include "base/error.h"
#include "scim/filter.h"
#include "scim/schema.h"

#include "fixtures.h"
#include "fuzz.h"

static void
evaluate(const struct filter *f, const cJSON *user, const cJSON *group,
    const cJSON *extra)
{
	static const char *const hints[] = { "id", "userName", "externalId",
	    "displayName", "value", "members", "groups", "emails" };
	const cJSON	*e;
	size_t		 i;

	(void)filter_match(f, user);
	(void)filter_match(f, group);
	if (extra != NULL) {
		(void)filter_match(f, extra);
		if (cJSON_IsArray(extra) || cJSON_IsObject(extra))
			cJSON_ArrayForEach(e, extra)
				(void)filter_match(f, e);
	}
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		(void)filter_eq_hint(f, hints[i]);
		(void)filter_uses(f, hints[i]);
	}
}

static void
parse_and_match(const char *text, const cJSON *user, const cJSON *group,
    const cJSON *extra)
{
	struct scim_error	 err;
	struct filter		*f = NULL;
	const struct schema_attr *emails, *members;

	if (filter_parse(text, &rt_user, &f, &err) == SCIM_OK)
		evaluate(f, user, group, extra);
	filter_free(f);
	f = NULL;
	if (filter_parse(text, &rt_group, &f, &err) == SCIM_OK)
		evaluate(f, user, group, extra);
	filter_free(f);
	f = NULL;
	emails = schema_find(&schema_user, "emails");
	if (filter_parse_sub(text, strlen(text), &rt_user, emails, &f,
	    &err) == SCIM_OK)
		evaluate(f, cJSON_GetObjectItem(user, "emails")->child, group,
		    extra);
	filter_free(f);
	f = NULL;
	members = schema_find(&schema_group, "members");
	if (filter_parse_sub(text, strlen(text), &rt_group, members, &f,
	    &err) == SCIM_OK)
		evaluate(f, cJSON_GetObjectItem(group, "members")->child, user,
		    extra);
	filter_free(f);
	f = NULL;
	/* An unknown parent attribute (custom extension value paths). */
	if (filter_parse_sub(text, strlen(text), &rt_user, NULL, &f,
	    &err) == SCIM_OK)
		evaluate(f, user, group, extra);
	filter_free(f);
}

static void
compare_neighbours(const cJSON *arr)
{
	static const enum attr_type types[] = { ATTR_STRING, ATTR_BOOLEAN,
	    ATTR_DECIMAL, ATTR_INTEGER, ATTR_DATETIME, ATTR_BINARY,
	    ATTR_REFERENCE, ATTR_COMPLEX };
	const cJSON	*a;
	size_t		 i;

	if (!cJSON_IsArray(arr))
		return;
	for (a = arr->child; a != NULL && a->next != NULL; a = a->next)
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			(void)filter_compare(a, a->next, types[i], true);
			(void)filter_compare(a->next, a, types[i], false);
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON	*user, *group;
	char		*text;
	cJSON		*extra;
	long long	 usec;

	if (user == NULL) {
		user = cJSON_Parse(fuzz_user_json);
		group = cJSON_Parse(fuzz_group_json);
		if (user == NULL || group == NULL)
			abort();
	}
	if (fuzz_split(data, size, &text, &extra) != 0)
		return 0;
	parse_and_match(text, user, group, extra);
	(void)filter_parse_datetime(text, &usec);
	compare_neighbours(extra);
	cJSON_Delete(extra);
	free(text);
	return 0;
}
