/*
 * Internals shared by the files of the PATCH engine (patch.c, the op
 * engine; patch-target.c, the three kinds of target; patch-path.c, path
 * parsing; patch-value.c, value coercion, hashing and merging).  Not
 * installed; other modules use patch.h.
 *
 * Owns the per-request context and the parsed path.  Must not know
 * storage, HTTP, or how a resource is rendered.
 */
#ifndef SCIM_PATCH_INT_H
#define SCIM_PATCH_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/filter.h"
#include "scim/patch.h"
#include "scim/schema.h"

/* What the operations of one request share. */
struct patch_ctx {
	const struct resource_type	*rt;
	cJSON				*res;	/* being patched */
	const struct patch_hook		*hook;	/* or NULL */
	struct scim_error		*err;	/* or NULL */
	int				 nest;	/* pathless depth */
};

/* A parsed "path": attribute, value filter, sub-attribute. */
struct patch_path {
	struct schema_path	 sp;	/* attr, and the sub after '.' */
	struct filter		*vf;	/* value filter, or NULL */
	const char		*ftext;	/* the filter text inside [] */
	size_t			 flen;	/* its length */
};

/*
 * patch-value.c: small predicates and member edits.  The contract of
 * each is over its definition; c->err gets the detail of a failure.
 */

/* Does v clear its target: JSON null or ""? */
bool		 patch_is_clear(const cJSON *v);
/* Is v the empty array? */
bool		 patch_is_empty_array(const cJSON *v);
/* Is e a value whose "primary" sub-attribute is true? */
bool		 patch_is_primary(const cJSON *e);
/* Are x and y the same value of def (NULL: unknown)? */
bool		 patch_same_value(const struct schema_attr *def, const cJSON *x,
		    const cJSON *y);
/* obj[name] = nv (consumed, even on failure); immutable def kept. */
enum scim_err	 patch_set_member(struct patch_ctx *c, cJSON *obj,
		    const char *name, const struct schema_attr *def, cJSON *nv);
/* Delete obj[name] (any case) unless def says it is immutable. */
enum scim_err	 patch_del_member(struct patch_ctx *c, cJSON *obj,
		    const char *name, const struct schema_attr *def);
/* Delete the members of obj whose value is JSON null. */
void		 patch_strip_nulls(cJSON *obj);
/* Delete cont[name] when it is an empty object or array. */
void		 patch_tidy(cJSON *cont, const char *name);
/* Does value e of a say nothing any more (sub-attributes cleared)? */
bool		 patch_is_hollow(const struct schema_attr *a, const cJSON *e);
/* Set "primary" false on every value of arr but keep. */
void		 patch_primary_only(cJSON *arr, const cJSON *keep);
/* cont[name] as an array, created when needed; NULL: no memory. */
cJSON		*patch_ensure_array(cJSON *cont, const char *name);

/* patch-value.c: coercion of a value to the schema (new *out). */

enum scim_err	 patch_coerce_simple(const struct schema_attr *def,
		    const cJSON *v, cJSON **out, struct scim_error *err);
enum scim_err	 patch_coerce_complex(const struct schema_attr *a,
		    const cJSON *v, cJSON **out, struct scim_error *err);
enum scim_err	 patch_coerce_multi(const struct schema_attr *a, const cJSON *v,
		    cJSON **out, struct scim_error *err);

/* patch-value.c: merging, adding and removing values by hashed identity. */

/* Does list name the single complex value cur (remove manager)? */
bool		 patch_names_one(const struct schema_attr *a, const cJSON *cur,
		    const cJSON *list);
enum scim_err	 patch_merge_into(struct patch_ctx *c,
		    const struct schema_attr *a, cJSON *dst, const cJSON *src);
enum scim_err	 patch_add_elems(struct patch_ctx *c,
		    const struct schema_attr *a, cJSON *arr, cJSON *nv);
enum scim_err	 patch_remove_listed(struct patch_ctx *c,
		    const struct schema_attr *a, cJSON *arr, const cJSON *list);

/* patch-path.c */

/* Parse a "path" into *pp; patch_apply() frees pp->vf. */
enum scim_err	 patch_path_parse(struct patch_ctx *c, const char *text,
		    struct patch_path *pp);
/* *out: the value the "eq" terms of pp's filter describe, or NULL. */
enum scim_err	 patch_from_eq(struct patch_ctx *c, const struct patch_path *pp,
		    cJSON **out);
/* Re-raise the error in err as code, its detail prefixed with what. */
enum scim_err	 patch_rewrap(struct scim_error *err, enum scim_err code,
		    const char *what);

/* patch-target.c: apply op kind to one kind of target in container cont. */

enum scim_err	 patch_op_whole(struct patch_ctx *c, enum patch_op kind,
		    cJSON *cont, const struct patch_path *pp, const cJSON *v);
enum scim_err	 patch_op_sub(struct patch_ctx *c, enum patch_op kind,
		    cJSON *cont, const struct patch_path *pp, const cJSON *v);
enum scim_err	 patch_op_filtered(struct patch_ctx *c, enum patch_op kind,
		    cJSON *cont, const struct patch_path *pp, const cJSON *v);

#endif /* SCIM_PATCH_INT_H */
