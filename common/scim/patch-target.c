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
	if (kind != PATCH_REMOVE && !patch_is_clear(v) &&
	    !patch_is_empty_array(v)) {
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
			if ((rc = patch_set_member(c, cont, name, a, el)) !=
			    SCIM_OK)
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

/* What the steps of patch_op_filtered() share. */
struct filtered {
	const struct patch_path		*pp;
	const struct schema_attr	*a;	/* attr, or NULL: unknown */
	const struct schema_attr	*s;	/* sub, or NULL */
	const char			*name;	/* attr as named */
	const char			*sname;	/* sub as named; "": none */
	cJSON				*cont;	/* holds attr */
	cJSON				*arr;	/* attr's values, when multi */
	cJSON				*nv;	/* the new value, coerced */
	cJSON				*eq;	/* the filter's eq terms */
	cJSON				*last;	/* the value set last */
	bool				 multi;	/* attr is multi-valued */
	bool				 clear;	/* v clears its target */
	bool				 hassub; /* path ends in .sub */
	size_t				 nmatch; /* values selected */
};

/*
 * The new value v for the target of f, coerced once into f->nv (and, for
 * a whole value, the filter's eq terms into f->eq).
 */
static enum scim_err
filtered_coerce(struct patch_ctx *c, struct filtered *f, const cJSON *v)
{
	enum scim_err	 rc = SCIM_OK;

	if (!f->multi && cJSON_IsArray(v))
		v = v->child;
	if (f->hassub && f->s != NULL)
		rc = patch_coerce_simple(f->s, v, &f->nv, c->err);
	else if (f->hassub || f->a == NULL) {
		if (!f->hassub && !cJSON_IsObject(v))
			rc = scim_fail(c->err, SCIM_E_INVALID_VALUE,
			    "\"%s\" with a value filter needs an "
			    "object value", f->name);
		else if ((f->nv = cJSON_Duplicate(v, true)) == NULL)
			rc = scim_oom(c->err);
	} else
		rc = patch_coerce_complex(f->a, v, &f->nv, c->err);
	if (rc != SCIM_OK)
		return rc;
	if (!f->hassub)
		return patch_from_eq(c, f->pp, &f->eq);
	return SCIM_OK;
}

/*
 * Apply op kind to each value of cur (the attribute's array, or its
 * single object) that the filter selects, counting them in f->nmatch.
 */
static enum scim_err
filtered_each(struct patch_ctx *c, enum patch_op kind, struct filtered *f,
    cJSON *cur)
{
	cJSON		*e, *next, *dup;
	enum scim_err	 rc;

	e = f->multi ? (f->arr != NULL ? f->arr->child : NULL) :
	    (cJSON_IsObject(cur) ? cur : NULL);
	for (; e != NULL; e = next) {
		next = f->multi ? e->next : NULL;
		if (!cJSON_IsObject(e) || !filter_match(f->pp->vf, e))
			continue;
		f->nmatch++;
		if ((kind == PATCH_REMOVE || f->clear) && f->hassub) {
			if ((rc = patch_del_member(c, e, f->sname, f->s)) !=
			    SCIM_OK)
				return rc;
			if (!patch_is_hollow(f->a, e))
				continue;
		}
		if (kind == PATCH_REMOVE || f->clear) {
			cJSON_Delete(cJSON_DetachItemViaPointer(
			    f->multi ? f->arr : f->cont, e));
			continue;
		}
		if (f->hassub) {
			if ((dup = cJSON_Duplicate(f->nv, true)) == NULL)
				return scim_oom(c->err);
			if ((rc = patch_set_member(c, e, f->sname, f->s,
			    dup)) != SCIM_OK)
				return rc;
			f->last = e;
		} else if (kind == PATCH_ADD) {
			if ((rc = patch_merge_into(c, f->a, e, f->nv)) !=
			    SCIM_OK)
				return rc;
			f->last = e;
		} else if ((rc = replace_elem(c, f->a, f->cont, f->name,
		    f->arr, e, f->nv, f->eq, &f->last)) != SCIM_OK)
			return rc;
	}
	return SCIM_OK;
}

/*
 * Nothing matched an add or replace: create the value the filter
 * describes (Entra expects it) from its eq terms and the new value.
 */
static enum scim_err
filtered_create(struct patch_ctx *c, enum patch_op kind, struct filtered *f)
{
	cJSON		*el;
	enum scim_err	 rc;

	if (f->hassub && (rc = patch_from_eq(c, f->pp, &f->eq)) != SCIM_OK)
		return rc;
	if (f->eq == NULL && kind == PATCH_ADD && !f->hassub &&
	    (f->eq = cJSON_CreateObject()) == NULL)
		return scim_oom(c->err);
	if (f->eq == NULL || (kind == PATCH_REPLACE && !f->hassub))
		return scim_fail(c->err, SCIM_E_NO_TARGET,
		    "no value of \"%s\" matches the filter", f->name);
	el = f->eq;
	f->eq = NULL;
	if (f->hassub) {
		rc = patch_set_member(c, el, f->sname, f->s, f->nv);
		f->nv = NULL;
	} else {
		rc = patch_merge_into(c, f->a, el, f->nv);
		if (f->a != NULL)
			patch_strip_nulls(el);
	}
	if (rc != SCIM_OK)
		goto fail;
	/* patch_set_member() consumes el, even on failure. */
	if (!f->multi)
		return patch_set_member(c, f->cont, f->name, f->a, el);
	if ((f->arr = patch_ensure_array(f->cont, f->name)) == NULL) {
		rc = scim_oom(c->err);
		goto fail;
	}
	cJSON_AddItemToArray(f->arr, el);
	f->last = el;
	return SCIM_OK;
fail:
	cJSON_Delete(el);
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
	struct filtered	 f;
	cJSON		*cur;
	enum scim_err	 rc = SCIM_OK;

	memset(&f, 0, sizeof(f));
	f.pp = pp;
	f.a = pp->sp.attr;
	f.s = pp->sp.sub;
	f.name = pp->sp.attr_name;
	f.sname = pp->sp.sub_name;
	f.cont = cont;
	cur = cont != NULL ? cJSON_GetObjectItem(cont, f.name) : NULL;
	f.multi = f.a != NULL ? f.a->multi : !cJSON_IsObject(cur);
	f.clear = kind != PATCH_REMOVE && (patch_is_clear(v) ||
	    patch_is_empty_array(v));
	f.hassub = f.sname[0] != '\0';
	f.arr = f.multi && cJSON_IsArray(cur) ? cur : NULL;

	if (kind != PATCH_REMOVE && !f.clear &&
	    (rc = filtered_coerce(c, &f, v)) != SCIM_OK)
		goto done;
	if ((rc = filtered_each(c, kind, &f, cur)) != SCIM_OK)
		goto done;
	if (f.nmatch == 0 && kind == PATCH_REMOVE) {
		rc = scim_fail(c->err, SCIM_E_NO_TARGET,
		    "no value of \"%s\" matches the filter", f.name);
		goto done;
	}
	if (f.nmatch == 0 && !f.clear &&
	    (rc = filtered_create(c, kind, &f)) != SCIM_OK)
		goto done;
	if (f.multi && f.arr != NULL && f.last != NULL && f.a != NULL &&
	    patch_is_primary(f.last))
		patch_primary_only(f.arr, f.last);
done:
	cJSON_Delete(f.eq);
	cJSON_Delete(f.nv);
	patch_tidy(cont, f.name);
	return rc;
}
