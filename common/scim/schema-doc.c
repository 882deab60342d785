/*
 * The discovery documents of RFC 7643 sections 6 and 7: a schema as the
 * /Schemas endpoint shows it (its attributes with every characteristic
 * spelt out) and a resource type as /ResourceTypes shows it.  They are
 * made from the static tables of schema.c, so what a client discovers is
 * what the other modules enforce.
 *
 * Owns the JSON spelling of the characteristics (mutability, returned,
 * uniqueness names) and the meta of discovery documents; must not know
 * how requests are routed or how resources are stored.
 *
 * Everything returned is freshly allocated; the caller frees it with
 * cJSON_Delete.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "scim/schema.h"

const char *
attr_mutability_name(enum attr_mutability m)
{
	switch (m) {
	case MUT_READ_WRITE:
		return "readWrite";
	case MUT_READ_ONLY:
		return "readOnly";
	case MUT_IMMUTABLE:
		return "immutable";
	case MUT_WRITE_ONLY:
		return "writeOnly";
	}
	return "readWrite";
}

const char *
attr_returned_name(enum attr_returned r)
{
	switch (r) {
	case RET_DEFAULT:
		return "default";
	case RET_ALWAYS:
		return "always";
	case RET_NEVER:
		return "never";
	case RET_REQUEST:
		return "request";
	}
	return "default";
}

const char *
attr_uniqueness_name(enum attr_uniqueness u)
{
	switch (u) {
	case UNIQ_NONE:
		return "none";
	case UNIQ_SERVER:
		return "server";
	case UNIQ_GLOBAL:
		return "global";
	}
	return "none";
}

/*
 * Add key: [strings...] to obj from a NULL-terminated list.  Returns
 * false on allocation failure (obj then owns whatever was added).
 */
static bool
add_string_list(cJSON *obj, const char *key, const char *const *list)
{
	cJSON	*arr, *s;
	size_t	 i;

	if ((arr = cJSON_AddArrayToObject(obj, key)) == NULL)
		return false;
	for (i = 0; list[i] != NULL; i++) {
		if ((s = cJSON_CreateString(list[i])) == NULL)
			return false;
		cJSON_AddItemToArray(arr, s);
	}
	return true;
}

/*
 * Add {"resourceType": rtype, "location": base + dir + id} as "meta" to
 * obj.  A trailing '/' on base is dropped so the URL has no "//".
 * Returns false on allocation failure.
 */
static bool
add_meta(cJSON *obj, const char *rtype, const char *base, const char *dir,
    const char *id)
{
	cJSON	*meta;
	char	*loc;
	size_t	 blen, sz;
	bool	 okay;

	if (base == NULL)
		base = "";
	blen = strlen(base);
	if (blen > 0 && base[blen - 1] == '/')
		blen--;
	sz = blen + strlen(dir) + strlen(id) + 1;
	if ((loc = malloc(sz)) == NULL)
		return false;
	snprintf(loc, sz, "%.*s%s%s", (int)blen, base, dir, id);
	okay = (meta = cJSON_AddObjectToObject(obj, "meta")) != NULL &&
	    cJSON_AddStringToObject(meta, "resourceType", rtype) != NULL &&
	    cJSON_AddStringToObject(meta, "location", loc) != NULL;
	free(loc);
	return okay;
}

/*
 * One attribute definition in the RFC 7643 section 7 form, with every
 * characteristic spelt out and nothing null: canonicalValues only when
 * the table has them, referenceTypes only for references, subAttributes
 * only for complex attributes.  Returns a new object for the caller to
 * attach or cJSON_Delete, or NULL when memory ran out.
 */
static cJSON *
attr_to_json(const struct schema_attr *a)
{
	cJSON	*o, *subs, *sub;
	size_t	 i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "name", a->name) == NULL ||
	    cJSON_AddStringToObject(o, "type",
	    attr_type_name(a->type)) == NULL ||
	    cJSON_AddBoolToObject(o, "multiValued", a->multi) == NULL ||
	    cJSON_AddStringToObject(o, "description",
	    a->description != NULL ? a->description : "") == NULL ||
	    cJSON_AddBoolToObject(o, "required", a->required) == NULL ||
	    cJSON_AddBoolToObject(o, "caseExact", a->case_exact) == NULL ||
	    cJSON_AddStringToObject(o, "mutability",
	    attr_mutability_name(a->mutability)) == NULL ||
	    cJSON_AddStringToObject(o, "returned",
	    attr_returned_name(a->returned)) == NULL ||
	    cJSON_AddStringToObject(o, "uniqueness",
	    attr_uniqueness_name(a->uniqueness)) == NULL)
		goto fail;
	if (a->canonical != NULL &&
	    !add_string_list(o, "canonicalValues", a->canonical))
		goto fail;
	if (a->type == ATTR_REFERENCE && a->ref_types != NULL &&
	    !add_string_list(o, "referenceTypes", a->ref_types))
		goto fail;
	if (a->type == ATTR_COMPLEX) {
		if ((subs = cJSON_AddArrayToObject(o, "subAttributes")) ==
		    NULL)
			goto fail;
		for (i = 0; i < a->nsub; i++) {
			if ((sub = attr_to_json(&a->sub[i])) == NULL)
				goto fail;
			cJSON_AddItemToArray(subs, sub);
		}
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/*
 * The schema s as served at /Schemas/{id}.  Of the common attributes only
 * externalId is listed, on the core schemas: the RFC's examples omit all
 * three, but Entra maps externalId by default and its validator looks for
 * every mapped attribute in /Schemas (id and meta are not client-owned).
 * Returns a new object the caller frees with cJSON_Delete, or NULL when
 * memory ran out or s is NULL.
 */
cJSON *
schema_to_json(const struct schema *s, const char *base)
{
	cJSON	*o, *attrs, *a;
	size_t	 i;

	if (s == NULL || (o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!add_string_list(o, "schemas",
	    (const char *const []){ SCHEMA_SCHEMA, NULL }) ||
	    cJSON_AddStringToObject(o, "id", s->id) == NULL ||
	    cJSON_AddStringToObject(o, "name", s->name) == NULL ||
	    cJSON_AddStringToObject(o, "description", s->description) ==
	    NULL ||
	    (attrs = cJSON_AddArrayToObject(o, "attributes")) == NULL)
		goto fail;
	for (i = 0; i < s->nattrs; i++) {
		if ((a = attr_to_json(&s->attrs[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(attrs, a);
	}
	if (s == &schema_user || s == &schema_group) {
		if ((a = attr_to_json(&schema_attr_external_id)) == NULL)
			goto fail;
		cJSON_AddItemToArray(attrs, a);
	}
	if (!add_meta(o, "Schema", base, "/Schemas/", s->id))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/*
 * The resource type rt as served at /ResourceTypes/{name}; the id is the
 * name.  "schemaExtensions" appears only when rt has extensions, each
 * with required as declared (false for the enterprise User).  Returns a new object the caller frees with
 * cJSON_Delete, or NULL when memory ran out or rt is NULL.
 */
cJSON *
resource_type_to_json(const struct resource_type *rt, const char *base)
{
	cJSON	*o, *exts, *e;
	size_t	 i;

	if (rt == NULL || (o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!add_string_list(o, "schemas",
	    (const char *const []){ SCHEMA_RESOURCE_TYPE, NULL }) ||
	    cJSON_AddStringToObject(o, "id", rt->name) == NULL ||
	    cJSON_AddStringToObject(o, "name", rt->name) == NULL ||
	    cJSON_AddStringToObject(o, "endpoint", rt->endpoint) == NULL ||
	    cJSON_AddStringToObject(o, "description", rt->description) ==
	    NULL ||
	    cJSON_AddStringToObject(o, "schema", rt->core->id) == NULL)
		goto fail;
	if (rt->ext != NULL && rt->ext[0] != NULL) {
		if ((exts = cJSON_AddArrayToObject(o, "schemaExtensions")) ==
		    NULL)
			goto fail;
		for (i = 0; rt->ext[i] != NULL; i++) {
			if ((e = cJSON_CreateObject()) == NULL)
				goto fail;
			cJSON_AddItemToArray(exts, e);
			if (cJSON_AddStringToObject(e, "schema",
			    rt->ext[i]->id) == NULL ||
			    cJSON_AddBoolToObject(e, "required",
			    rt->ext_required != NULL &&
			    rt->ext_required[i]) == NULL)
				goto fail;
		}
	}
	if (!add_meta(o, "ResourceType", base, "/ResourceTypes/", rt->name))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}
