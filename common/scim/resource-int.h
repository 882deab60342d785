/*
 * Internals shared by the files of the resource module (resource.c,
 * attrsel.c, resource-render.c, resource-answer.c); not installed, not
 * for other modules, which use resource.h.
 *
 * Owns the helpers both directions need (URN and attribute lookups
 * against one resource type, cJSON member replacement) and the renderer
 * entry points the stored form and the answer splicer reuse.  Must not
 * know requests, storage or HTTP.
 */
#ifndef SCIM_RESOURCE_INT_H
#define SCIM_RESOURCE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "scim/schema.h"
#include "scim/attrsel.h"

/* Longest attribute path used in an error detail or a projection entry. */
#define RES_PATH_MAX	ATTRSEL_TEXT_MAX

/* resource.c */

/*
 * The schema of rt (core or extension) whose URN is urn[0..len), in any
 * case, or NULL.
 */
const struct schema *resource_rt_schema(const struct resource_type *rt,
		    const char *urn, size_t len);

/*
 * Attribute name of schema s of rt, or NULL; the common attributes (id,
 * externalId, meta) are found through the core schema.
 */
const struct schema_attr *resource_rt_find(const struct resource_type *rt,
		    const struct schema *s, const char *name);

/*
 * obj[key] = item, replacing a member of that name (exact case).  Takes
 * ownership of item whatever it returns; false when memory is short.
 */
bool		 resource_obj_put(cJSON *obj, const char *key, cJSON *item);

/*
 * resource_obj_put() for an item moved from another object, keeping its
 * own name string when it is key; with absent the caller knows obj has no
 * member key.  Takes ownership of item.
 */
bool		 resource_obj_put_own(cJSON *obj, const char *key,
		    cJSON *item, bool absent);

/* resource-render.c */

/*
 * Add stored value v of attribute a (schema sch) to out as the lists inc
 * and exc allow.  With src (v's parent, owned by the caller), v is moved
 * instead of copied.  False when memory is short.
 */
bool		 resource_render_attr(cJSON *out, const struct schema *sch,
		    const struct schema_attr *a, cJSON *src, cJSON *v,
		    const struct attrsel_list *inc,
		    const struct attrsel_list *exc);

/*
 * resource_render_sel() on res, or with take on res itself: the answer
 * is built from res's own members, moved instead of copied, and res is
 * left with what was not shown (the caller still deletes it).  A new
 * object, NULL when memory is short.
 */
cJSON		*resource_render_core(const struct resource_type *rt,
		    cJSON *res, bool take, const char *base,
		    const struct attrsel *sel);

#endif /* SCIM_RESOURCE_INT_H */
