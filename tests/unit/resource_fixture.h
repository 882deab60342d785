/*
 * What the resource tests share (test_resource, test_resource_render):
 * a test-only "Widget" type whose schema has the attribute kinds the
 * standard schemas lack (integer, decimal, dateTime, binary,
 * multi-valued strings, returned:request and returned:never at both
 * levels), the schema URNs, and the helpers that parse a single-quoted
 * table string and compare or print JSON as TAP diagnostics.
 * Header-only, like tap.h; every function is static and marked unused,
 * so each program takes what it needs.
 *
 * JSON in the tables is written with single quotes for readability and
 * turned into JSON (' becomes ") before parsing, so no row may contain an
 * apostrophe.  Objects are compared with cJSON_Compare(..., true), which
 * ignores member order.
 */
#ifndef SCIM_RESOURCE_FIXTURE_H
#define SCIM_RESOURCE_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/schema.h"
#include "scim/resource.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* --- the test-only Widget type --- */

static const struct schema_attr widget_items_sub[] = {
	{ .name = "value", .type = ATTR_STRING },
	{ .name = "secret", .type = ATTR_STRING, .returned = RET_NEVER },
	{ .name = "extra", .type = ATTR_STRING, .returned = RET_REQUEST },
	{ .name = "primary", .type = ATTR_BOOLEAN },
};

static const struct schema_attr widget_attrs[] = {
	{ .name = "code", .type = ATTR_STRING, .required = true },
	{ .name = "count", .type = ATTR_INTEGER },
	{ .name = "ratio", .type = ATTR_DECIMAL },
	{ .name = "since", .type = ATTR_DATETIME },
	{ .name = "blob", .type = ATTR_BINARY },
	{ .name = "audit", .type = ATTR_STRING, .returned = RET_REQUEST },
	{ .name = "pin", .type = ATTR_STRING, .returned = RET_NEVER,
	  .mutability = MUT_WRITE_ONLY },
	{ .name = "tags", .type = ATTR_STRING, .multi = true },
	{ .name = "items", .type = ATTR_COMPLEX, .multi = true,
	  .sub = widget_items_sub, .nsub = NELEM(widget_items_sub) },
	{ .name = "always", .type = ATTR_STRING, .returned = RET_ALWAYS },
	{ .name = "serial", .type = ATTR_STRING,
	  .mutability = MUT_READ_ONLY },
};

static const struct schema widget_schema = {
	.id = "urn:example:params:scim:schemas:test:2.0:Widget",
	.name = "Widget",
	.description = "Widget",
	.attrs = widget_attrs,
	.nattrs = NELEM(widget_attrs),
};

static const struct schema *const widget_exts[] = { NULL };

static const struct resource_type rt_widget __attribute__((unused)) = {
	.name = "Widget",
	.endpoint = "/Widgets",
	.description = "Widget",
	.core = &widget_schema,
	.ext = widget_exts,
};

/* --- helpers --- */

#define CORE	"urn:ietf:params:scim:schemas:core:2.0:User"
#define ENT	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define GROUP	"urn:ietf:params:scim:schemas:core:2.0:Group"
#define CUSTOM	"urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"

/* The resource types of the table rows. */
#define U	&rt_user
#define G	&rt_group
#define W	&rt_widget

/*
 * Parse the single-quoted JSON text q.  Returns a new item the caller
 * frees, or NULL (with a diagnostic) when the row itself is broken.
 */
static __attribute__((unused)) cJSON *
parse_q(const char *q, int line)
{
	cJSON	*v;
	char	*s, *p;

	if ((s = strdup(q)) == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	if ((v = cJSON_Parse(s)) == NULL)
		printf("# row at line %d: bad JSON in the table: %s\n", line,
		    s);
	free(s);
	return v;
}

/* Print a JSON value as a TAP diagnostic line. */
static __attribute__((unused)) void
diag_json(const char *label, const cJSON *v)
{
	char	*s;

	s = v != NULL ? cJSON_PrintUnformatted(v) : NULL;
	printf("#   %9s: %s\n", label, s != NULL ? s : "(null)");
	free(s);
}

/* Check got against the single-quoted expectation want. */
static __attribute__((unused)) void
check_json(const cJSON *got, const char *want, int line, const char *name)
{
	cJSON	*w;
	int	 pass;

	w = parse_q(want, line);
	pass = w != NULL && got != NULL && cJSON_Compare(got, w, true);
	ok(pass, "%s (row at line %d)", name, line);
	if (!pass) {
		diag_json("expected", w);
		diag_json("got", got);
	}
	cJSON_Delete(w);
}


#endif /* SCIM_RESOURCE_FIXTURE_H */
