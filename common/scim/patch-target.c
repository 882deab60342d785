/*
 * The three kinds of target a PATCH operation applies to: a whole
 * attribute (patch_op_whole()), a sub-attribute of a complex attribute
 * (patch_op_sub()), or the values a value filter selects
 * (patch_op_filtered()).  Each gets the container (the resource or an
 * extension object) and the parsed path from patch.c, and the leniencies
 * patch.c's header lists for its kind of target.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/filter.h"
#include "scim/patch.h"
#include "scim/patch-int.h"
#include "scim/resource.h"
#include "scim/schema.h"

/* --- the three kinds of target --- */

/*
 * Add or replace cont[name], an attribute of an unknown extension, with
 * v as sent: add appends to an array and merges into an object, anything
 * else is set.
 */
static enum scim_err
set_schemaless(struct patch_ctx *c, enum patch_op kind, cJSON *cont,
    const char *name, const cJSON *v)
{
	cJSON		*cur, *nv, *arr = NULL;
	enum scim_err	 rc;

	cur = cJSON_GetObjectItem(cont, name);
	if ((nv = cJSON_Duplicate(v, true)) == NULL)
		return scim_oom(c->err);
	if (kind == PATCH_ADD && cJSON_IsArray(cur)) {
		if (!cJSON_IsArray(nv)) {
			if ((arr = cJSON_CreateArray()) == NULL) {
				rc = scim_oom(c->err);
				goto done;
			}
			cJSON_AddItemToArray(arr, nv);
			nv = arr;
		}
		rc = patch_add_elems(c, NULL, cur, nv);
	} else if (kind == PATCH_ADD && cJSON_IsObject(cur) &&
	    cJSON_IsObject(nv))
		rc = patch_merge_into(c, NULL, cur, nv);
	else {
		rc = patch_set_member(c, cont, name, NULL, nv);
		nv = NULL;
	}
done:
	cJSON_Delete(nv);
	return rc;
}

/*
 * Add the values v (an array or one value) to multi-valued attribute a
 * at cont[name], or replace its values with them.
 */
static enum scim_err
set_multi(struct patch_ctx *c, enum patch_op kind, cJSON *cont,
    const struct schema_attr *a, const char *name, const cJSON *v)
{
	cJSON		*cur, *nv = NULL, *arr;
	enum scim_err	 rc;

	cur = cJSON_GetObjectItem(cont, name);
	if ((rc = patch_coerce_multi(a, v, &nv, c->err)) != SCIM_OK)
		goto done;
	if (kind == PATCH_REPLACE && nv->child == NULL) {
		/* Nothing but nulls: the attribute is cleared. */
		if (cur != NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(cont, cur));
	} else if (kind == PATCH_REPLACE) {
		rc = patch_set_member(c, cont, name, a, nv);
		nv = NULL;
	} else if ((arr = patch_ensure_array(cont, name)) == NULL)
		rc = scim_oom(c->err);
	else
		rc = patch_add_elems(c, a, arr, nv);
done:
	cJSON_Delete(nv);
	return rc;
}

/*
 * Add or replace single-valued complex attribute a at cont[name] with
 * v.  Both merge sub-attributes (RFC 7644 section 3.5.2.3) -- except
 * that a new "value" (a different manager) starts afresh, so that no
 * stale "$ref" outlives it.  An array stands for its first element
 * (the legacy manager shape).
 */
static enum scim_err
set_complex(struct patch_ctx *c, cJSON *cont, const struct schema_attr *a,
    const char *name, const cJSON *v)
{
	cJSON		*cur, *nv = NULL;
	const cJSON	*cv, *nvv;
	bool		 fresh;
	enum scim_err	 rc;

	cur = cJSON_GetObjectItem(cont, name);
	if ((rc = patch_coerce_complex(a, cJSON_IsArray(v) ? v->child : v, &nv,
	    c->err)) != SCIM_OK)
		goto done;
	cv = cJSON_IsObject(cur) ? cJSON_GetObjectItem(cur, "value") : NULL;
	nvv = cJSON_GetObjectItem(nv, "value");
	fresh = cv != NULL && nvv != NULL && !cJSON_IsNull(nvv) &&
	    !patch_same_value(schema_find_sub(a, "value"), cv, nvv);
	if (cJSON_IsObject(cur) && !fresh) {
		rc = patch_merge_into(c, a, cur, nv);
		if (rc == SCIM_OK && patch_is_hollow(a, cur))
			cJSON_Delete(cJSON_DetachItemViaPointer(cont, cur));
		goto done;
	}
	patch_strip_nulls(nv);
	if (nv->child != NULL) {
		rc = patch_set_member(c, cont, name, a, nv);
		nv = NULL;
	}
done:
	cJSON_Delete(nv);
	return rc;
}

/*
 * The target is a whole attribute (no filter, no sub-attribute): apply
 * op kind with value v (NULL for a remove without one).  cont holds the
 * attribute; it is NULL when the extension object is absent.
 */
enum scim_err
patch_op_whole(struct patch_ctx *c, enum patch_op kind, cJSON *cont,
    const struct patch_path *pp, const cJSON *v)
{
	const struct schema_attr	*a = pp->sp.attr;
	const char			*name = pp->sp.attr_name;
	cJSON				*cur, *nv;
	bool				 multi;
	enum scim_err			 rc;

	cur = cont != NULL ? cJSON_GetObjectItem(cont, name) : NULL;
	multi = a != NULL ? a->multi : cJSON_IsArray(cur);

	if (kind == PATCH_ADD && multi && patch_is_empty_array(v))
		return SCIM_OK;
	if (kind != PATCH_REMOVE && !patch_is_clear(v) && !patch_is_empty_array(v)) {
		if (a == NULL)
			return set_schemaless(c, kind, cont, name, v);
		if (a->multi)
			return set_multi(c, kind, cont, a, name, v);
		if (a->type == ATTR_COMPLEX)
			return set_complex(c, cont, a, name, v);
		if ((rc = patch_coerce_simple(a, v, &nv, c->err)) != SCIM_OK)
			return rc;
		return patch_set_member(c, cont, name, a, nv);
	}

	/* remove, or add/replace clearing with null, "" or []. */
	if (a != NULL && a->required)
		return scim_fail(c->err, SCIM_E_INVALID_VALUE,
		    "\"%s\" is required and cannot be removed", name);
	if (cur == NULL)
		return SCIM_OK;
	if (kind == PATCH_REMOVE && multi && v != NULL && !cJSON_IsNull(v)) {
		/* Entra: {"op":"Remove","path":"members","value":[...]}. */
		if (!cJSON_IsArray(cur))
			return SCIM_OK;
		return patch_remove_listed(c, a, cur, v);
	}
	if (kind == PATCH_REMOVE && !multi && cJSON_IsObject(cur) &&
	    schema_find_sub(a, "value") != NULL && v != NULL &&
	    !cJSON_IsNull(v) && !patch_names_one(a, cur, v))
		return SCIM_OK;	/* names another manager: keep it */
	if (a != NULL && a->mutability == MUT_IMMUTABLE)
		return scim_fail(c->err, SCIM_E_MUTABILITY,
		    "\"%s\" is immutable and cannot be removed", name);
	cJSON_Delete(cJSON_DetachItemViaPointer(cont, cur));
	return SCIM_OK;
}

/*
 * Remove sub-attribute sname (definition s, NULL: unknown) from the value
 * cur of attribute a held at cont[name], or from every value when multi;
 * values left hollow go too.
 */
static enum scim_err
clear_sub(struct patch_ctx *c, cJSON *cont, const struct schema_attr *a,
    const char *name, cJSON *cur, bool multi, const char *sname,
    const struct schema_attr *s)
{
	cJSON		*e, *next;
	enum scim_err	 rc = SCIM_OK;

	if (multi && cJSON_IsArray(cur)) {
		for (e = cur->child; e != NULL; e = next) {
			next = e->next;
			if (!cJSON_IsObject(e) ||
			    cJSON_GetObjectItem(e, sname) == NULL)
				continue;
			if ((rc = patch_del_member(c, e, sname, s)) != SCIM_OK)
				break;
			if (patch_is_hollow(a, e))
				cJSON_Delete(cJSON_DetachItemViaPointer(cur,
				    e));
		}
	} else if (!multi && cJSON_IsObject(cur)) {
		rc = patch_del_member(c, cur, sname, s);
		if (rc == SCIM_OK && patch_is_hollow(a, cur))
			cJSON_Delete(cJSON_DetachItemViaPointer(cont, cur));
	}
	patch_tidy(cont, name);
	return rc;
}

/*
 * The target is attr.sub without a filter: the sub-attribute of a
 * single-valued complex attribute, or of every value of a multi-valued
 * one (a value is created when there is none).
 */
enum scim_err
patch_op_sub(struct patch_ctx *c, enum patch_op kind, cJSON *cont,
    const struct patch_path *pp, const cJSON *v)
{
	const struct schema_attr	*a = pp->sp.attr, *s = pp->sp.sub;
	const char			*name = pp->sp.attr_name;
	const char			*sname = pp->sp.sub_name;
	cJSON				*cur, *e, *nv = NULL, *el, *dup;
	cJSON				*last = NULL;
	bool				 multi;
	enum scim_err			 rc = SCIM_OK;

	cur = cont != NULL ? cJSON_GetObjectItem(cont, name) : NULL;
	multi = a != NULL ? a->multi : cJSON_IsArray(cur);
	if (kind == PATCH_REMOVE || patch_is_clear(v))
		return clear_sub(c, cont, a, name, cur, multi, sname, s);

	if (s != NULL)
		rc = patch_coerce_simple(s, v, &nv, c->err);
	else if ((nv = cJSON_Duplicate(v, true)) == NULL)
		rc = scim_oom(c->err);
	if (rc != SCIM_OK)
		goto done;

	if (!multi) {
		if (!cJSON_IsObject(cur)) {
			if ((el = cJSON_CreateObject()) == NULL) {
				rc = scim_oom(c->err);
				goto done;
			}
			if ((rc = patch_set_member(c, cont, name, a, el)) != SCIM_OK)
				goto done;
			cur = el;
		}
		rc = patch_set_member(c, cur, sname, s, nv);
		nv = NULL;
		goto done;
	}

	if ((cur = patch_ensure_array(cont, name)) == NULL) {
		rc = scim_oom(c->err);
		goto done;
	}
	if (cur->child == NULL) {
		if ((el = cJSON_CreateObject()) == NULL) {
			rc = scim_oom(c->err);
			goto done;
		}
		cJSON_AddItemToArray(cur, el);
	}
	cJSON_ArrayForEach(e, cur) {
		if (!cJSON_IsObject(e))
			continue;
		if ((dup = cJSON_Duplicate(nv, true)) == NULL) {
			rc = scim_oom(c->err);
			goto done;
		}
		if ((rc = patch_set_member(c, e, sname, s, dup)) != SCIM_OK)
			goto done;
		last = e;
	}
	if (last != NULL && patch_is_primary(last))
		patch_primary_only(cur, last);
done:
	cJSON_Delete(nv);
	return rc;
}

/*
 * Replace value e of attribute a (held in arr, or at cont[name] when a
 * is single-valued) by a copy of the coerced object nv, completed with
 * the filter's eq terms eq (may be NULL).  Immutable sub-attributes must
 * keep their value.  *repl is the new value.
 */
static enum scim_err
replace_elem(struct patch_ctx *c, const struct schema_attr *a, cJSON *cont,
    const char *name, cJSON *arr, cJSON *e, const cJSON *nv,
    const cJSON *eq, cJSON **repl)
{
	const cJSON	*k;
	cJSON		*ne, *x;
	size_t		 i;
	enum scim_err	 rc;

	*repl = NULL;
	if ((ne = cJSON_Duplicate(nv, true)) == NULL)
		return scim_oom(c->err);
	if (a != NULL)
		patch_strip_nulls(ne);
	cJSON_ArrayForEach(k, eq) {
		if (cJSON_GetObjectItem(ne, k->string) != NULL)
			continue;
		if ((x = cJSON_Duplicate(k, true)) == NULL)
			goto nomem;
		if (!cJSON_AddItemToObject(ne, k->string, x)) {
			cJSON_Delete(x);
			goto nomem;
		}
	}
	for (i = 0; a != NULL && i < a->nsub; i++) {
		if (a->sub[i].mutability != MUT_IMMUTABLE ||
		    (x = cJSON_GetObjectItem(e, a->sub[i].name)) == NULL)
			continue;
		k = cJSON_GetObjectItem(ne, a->sub[i].name);
		if (k == NULL || !patch_same_value(&a->sub[i], x, k)) {
			rc = scim_fail(c->err, SCIM_E_MUTABILITY,
			    "\"%s.%s\" is immutable", name, a->sub[i].name);
			goto fail;
		}
	}
	if (arr == NULL) {
		/* patch_set_member() consumes ne, also on failure. */
		if ((rc = patch_set_member(c, cont, name, a, ne)) == SCIM_OK)
			*repl = ne;
		return rc;
	}
	if (!cJSON_ReplaceItemViaPointer(arr, e, ne))
		goto nomem;
	*repl = ne;
	return SCIM_OK;
nomem:
	rc = scim_oom(c->err);
fail:
	cJSON_Delete(ne);
	return rc;
}

/*
 * The target is attr[filter] or attr[filter].sub: the values of attr
 * (or the single value of a single-valued complex attribute, as in
 * manager[value eq "id"]) that the filter selects.
 */
enum scim_err
patch_op_filtered(struct patch_ctx *c, enum patch_op kind, cJSON *cont,
    const struct patch_path *pp, const cJSON *v)
{
	const struct schema_attr	*a = pp->sp.attr, *s = pp->sp.sub;
	const char			*name = pp->sp.attr_name;
	const char			*sname = pp->sp.sub_name;
	cJSON				*cur, *arr, *e, *next, *dup;
	cJSON				*nv = NULL, *eq = NULL, *el = NULL;
	cJSON				*last = NULL;
	bool				 multi, clear, hassub;
	size_t				 nmatch = 0;
	enum scim_err			 rc = SCIM_OK;

	cur = cont != NULL ? cJSON_GetObjectItem(cont, name) : NULL;
	multi = a != NULL ? a->multi : !cJSON_IsObject(cur);
	clear = kind != PATCH_REMOVE && (patch_is_clear(v) || patch_is_empty_array(v));
	hassub = sname[0] != '\0';
	arr = multi && cJSON_IsArray(cur) ? cur : NULL;

	/* The new value, coerced once. */
	if (kind != PATCH_REMOVE && !clear) {
		if (!multi && cJSON_IsArray(v))
			v = v->child;
		if (hassub && s != NULL)
			rc = patch_coerce_simple(s, v, &nv, c->err);
		else if (hassub || a == NULL) {
			if (!hassub && !cJSON_IsObject(v))
				rc = scim_fail(c->err, SCIM_E_INVALID_VALUE,
				    "\"%s\" with a value filter needs an "
				    "object value", name);
			else if ((nv = cJSON_Duplicate(v, true)) == NULL)
				rc = scim_oom(c->err);
		} else
			rc = patch_coerce_complex(a, v, &nv, c->err);
		if (rc != SCIM_OK)
			goto done;
		if (!hassub && (rc = patch_from_eq(c, pp, &eq)) != SCIM_OK)
			goto done;
	}

	e = multi ? (arr != NULL ? arr->child : NULL) :
	    (cJSON_IsObject(cur) ? cur : NULL);
	for (; e != NULL; e = next) {
		next = multi ? e->next : NULL;
		if (!cJSON_IsObject(e) || !filter_match(pp->vf, e))
			continue;
		nmatch++;
		if ((kind == PATCH_REMOVE || clear) && hassub) {
			if ((rc = patch_del_member(c, e, sname, s)) != SCIM_OK)
				goto done;
			if (!patch_is_hollow(a, e))
				continue;
		}
		if (kind == PATCH_REMOVE || clear) {
			cJSON_Delete(cJSON_DetachItemViaPointer(
			    multi ? arr : cont, e));
			continue;
		}
		if (hassub) {
			if ((dup = cJSON_Duplicate(nv, true)) == NULL) {
				rc = scim_oom(c->err);
				goto done;
			}
			if ((rc = patch_set_member(c, e, sname, s, dup)) != SCIM_OK)
				goto done;
			last = e;
		} else if (kind == PATCH_ADD) {
			if ((rc = patch_merge_into(c, a, e, nv)) != SCIM_OK)
				goto done;
			last = e;
		} else if ((rc = replace_elem(c, a, cont, name, arr, e, nv,
		    eq, &last)) != SCIM_OK)
			goto done;
	}

	if (nmatch == 0 && kind == PATCH_REMOVE) {
		rc = scim_fail(c->err, SCIM_E_NO_TARGET,
		    "no value of \"%s\" matches the filter", name);
		goto done;
	}
	if (nmatch == 0 && !clear) {
		/* Create the value the filter describes (Entra expects it). */
		if (hassub && (rc = patch_from_eq(c, pp, &eq)) != SCIM_OK)
			goto done;
		if (eq == NULL && kind == PATCH_ADD && !hassub &&
		    (eq = cJSON_CreateObject()) == NULL) {
			rc = scim_oom(c->err);
			goto done;
		}
		if (eq == NULL || (kind == PATCH_REPLACE && !hassub)) {
			rc = scim_fail(c->err, SCIM_E_NO_TARGET,
			    "no value of \"%s\" matches the filter", name);
			goto done;
		}
		el = eq;
		eq = NULL;
		if (hassub) {
			rc = patch_set_member(c, el, sname, s, nv);
			nv = NULL;
		} else {
			rc = patch_merge_into(c, a, el, nv);
			if (a != NULL)
				patch_strip_nulls(el);
		}
		if (rc != SCIM_OK)
			goto done;
		if (!multi) {
			rc = patch_set_member(c, cont, name, a, el);
			el = NULL;
			goto done;
		}
		if ((arr = patch_ensure_array(cont, name)) == NULL) {
			rc = scim_oom(c->err);
			goto done;
		}
		cJSON_AddItemToArray(arr, el);
		last = el;
		el = NULL;
	}
	if (multi && arr != NULL && last != NULL && a != NULL &&
	    patch_is_primary(last))
		patch_primary_only(arr, last);
done:
	cJSON_Delete(el);
	cJSON_Delete(eq);
	cJSON_Delete(nv);
	patch_tidy(cont, name);
	return rc;
}
