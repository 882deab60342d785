/*
 * Fuzz harness: the parser of declared schema extensions
 * (common/scim/schema-ext.c).  The input is a definition file; when it
 * parses, the definitions are installed into the schema model and
 * exercised as a running program would: each one shown as /Schemas does,
 * the resource types as /ResourceTypes does, a path into each attribute
 * resolved, and a User carrying each extension with a value of every
 * JSON type normalised.  Then the model is restored, so every input
 * starts from the built-in tables.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "scim/schema.h"
#include "scim/schema-ext.h"
#include "scim/resource.h"

#include "fuzz.h"

/* One value of each JSON type, for every attribute of s. */
static void
exercise_values(const struct resource_type *rt, const struct schema *s)
{
	static const char *const values[] = { "\"x\"", "1", "1.5", "true",
	    "null", "[\"x\", 2]", "{\"value\": \"v\", \"a\": 1}",
	    "\"2024-01-01T00:00:00Z\"" };
	struct scim_error	 err;
	cJSON			*in, *out;
	char			 body[1024];
	size_t			 i, v;

	for (i = 0; i < s->nattrs && i < 32; i++)
		for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			snprintf(body, sizeof(body), "{\"userName\": \"u\", "
			    "\"displayName\": \"g\", \"%s\": {\"%s\": %s}}",
			    s->id, s->attrs[i].name, values[v]);
			if ((in = cJSON_Parse(body)) == NULL)
				continue;
			if (resource_normalize(rt, in, &out, &err) == SCIM_OK)
				cJSON_Delete(out);
			cJSON_Delete(in);
		}
}

static void
exercise(const struct schema_ext_set *set)
{
	const struct resource_type	*rt;
	const struct schema		*s;
	struct schema_path		 sp;
	struct scim_error		 err;
	char				 path[512];
	size_t				 i;
	int				 n;

	for (i = 0; resource_type_all[i] != NULL; i++)
		cJSON_Delete(resource_type_to_json(resource_type_all[i], "b"));
	for (i = 0; i < schema_ext_count(set); i++) {
		s = schema_ext_schema(set, i);
		cJSON_Delete(schema_to_json(s, "b"));
		rt = schema_rt_has_ext(&rt_user, s) ? &rt_user : &rt_group;
		if (!schema_rt_has_ext(rt, s))
			abort();	/* installed means listed */
		n = snprintf(path, sizeof(path), "%s:%s%s%s", s->id,
		    s->attrs[0].name, s->attrs[0].nsub ? "." : "",
		    s->attrs[0].nsub ? s->attrs[0].sub[0].name : "");
		if (n > 0 && (size_t)n < sizeof(path) &&
		    (schema_resolve(rt, path, (size_t)n, &sp, &err) !=
		    SCIM_OK || sp.ext != s || sp.attr != &s->attrs[0]))
			abort();	/* a declared attribute resolves */
		exercise_values(rt, s);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schema_ext_set	*set = NULL;
	struct scim_error	 err;

	if (schema_ext_parse((const char *)data, size, &set, &err) !=
	    SCIM_OK) {
		if (set != NULL || strchr(err.detail, '\n') != NULL)
			abort();	/* refused: nothing, in one line */
		return 0;
	}
	if (schema_ext_install(set, &err) == SCIM_OK)
		exercise(set);
	schema_ext_unregister();
	schema_ext_free(set);
	return 0;
}
