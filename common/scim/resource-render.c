/*
 * Rendering: a stored resource (resource.h's canonical form, with id,
 * meta and any loaded back-reference) made into a response body.  It adds
 * "schemas" (core plus each extension present) and meta.location, and
 * shows what RFC 7644 section 3.9 and the "returned" characteristic
 * allow under the parsed lists of attrsel.h.
 *
 * Order matters: resource-answer.c splices stored text on the promise
 * that rendering puts schemas, id, externalId, core attributes,
 * extensions, custom extensions, the back-reference and meta in that
 * order (see resource_render_core()).
 *
 * Every rendering can move members out of the resource instead of
 * copying them (the *_take forms): a handler that is done with what it
 * read answers without duplicating it.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "scim/schema.h"
#include "scim/attrsel.h"
#include "scim/resource.h"
#include "scim/resource-int.h"

/* --- attributes --- */

/*
 * Copy the object v of complex attribute a, keeping the sub-attributes
 * the lists allow: returned:never ones never, returned:always ones
 * always, returned:request ones only when listed by name, others when
 * listed in inc (if inc restricts) and not listed in exc (if exc
 * restricts).  Sub-attributes the schema does not know (kept on members)
 * follow inc/exc by name.  Returns the copy, possibly empty, or NULL when
 * out of memory.
 */
static bool
sub_shown(const struct schema *sch, const struct schema_attr *a,
    const cJSON *c, const struct attrsel_list *inc,
    const struct attrsel_list *exc)
{
	const struct schema_attr	*s;

	if (c->string == NULL || cJSON_IsNull(c))
		return false;
	s = schema_find_sub(a, c->string);
	if (s != NULL && s->returned == RET_NEVER)
		return false;
	if (s == NULL || s->returned != RET_ALWAYS) {
		if (inc != NULL && !attrsel_sub(inc, sch, a->name, c->string))
			return false;
		if (s != NULL && s->returned == RET_REQUEST && inc == NULL)
			return false;
		if (exc != NULL && attrsel_sub(exc, sch, a->name, c->string))
			return false;
	}
	return true;
}

/*
 * project_object() done on v itself, which the caller owns: the members
 * not shown are deleted from it, the others stay where they are.  Returns
 * v.
 */
static cJSON *
project_object_take(const struct schema *sch, const struct schema_attr *a,
    cJSON *v, const struct attrsel_list *inc, const struct attrsel_list *exc)
{
	cJSON	*c, *next;

	for (c = v->child; c != NULL; c = next) {
		next = c->next;
		if (!sub_shown(sch, a, c, inc, exc))
			cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
	}
	return v;
}

static cJSON *
project_object(const struct schema *sch, const struct schema_attr *a,
    const cJSON *v, const struct attrsel_list *inc,
    const struct attrsel_list *exc)
{
	const cJSON			*c;
	cJSON				*o, *nv;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_ArrayForEach(c, v) {
		if (!sub_shown(sch, a, c, inc, exc))
			continue;
		if ((nv = cJSON_Duplicate(c, true)) == NULL)
			goto nomem;
		if (!cJSON_AddItemToObject(o, c->string, nv)) {
			cJSON_Delete(nv);
			goto nomem;
		}
	}
	return o;
nomem:
	cJSON_Delete(o);
	return NULL;
}

/*
 * Project the multi-valued complex value v (an array) element by element;
 * elements left empty are dropped.  Returns a new array, or NULL when out
 * of memory; *omit is set when a non-empty stored list projected to
 * nothing (an empty stored list, such as loaded "members": [], stays).
 */
static cJSON *
project_array(const struct schema *sch, const struct schema_attr *a,
    const cJSON *v, const struct attrsel_list *inc,
    const struct attrsel_list *exc, bool *omit)
{
	const cJSON	*e;
	cJSON		*arr, *ne;

	*omit = false;
	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	cJSON_ArrayForEach(e, v) {
		if (cJSON_IsObject(e))
			ne = project_object(sch, a, e, inc, exc);
		else
			ne = cJSON_Duplicate(e, true);
		if (ne == NULL)
			goto nomem;
		if (cJSON_IsObject(ne) && ne->child == NULL)
			cJSON_Delete(ne);
		else
			cJSON_AddItemToArray(arr, ne);
	}
	*omit = arr->child == NULL && v->child != NULL;
	return arr;
nomem:
	cJSON_Delete(arr);
	return NULL;
}

/*
 * project_array() done on the array v itself, which the caller owns.
 * Returns v.
 */
static cJSON *
project_array_take(const struct schema *sch, const struct schema_attr *a,
    cJSON *v, const struct attrsel_list *inc, const struct attrsel_list *exc,
    bool *omit)
{
	cJSON	*e, *next;
	bool	 had = v->child != NULL;

	for (e = v->child; e != NULL; e = next) {
		next = e->next;
		if (!cJSON_IsObject(e))
			continue;
		project_object_take(sch, a, e, inc, exc);
		if (e->child == NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(v, e));
	}
	*omit = v->child == NULL && had;
	return v;
}

/*
 * Add the stored value v of attribute a (schema sch) to out as the lists
 * allow.  With take, v is a member of src, which the caller owns: it is
 * moved to out (or left in src) instead of copied.  Returns false when
 * out of memory.
 */
bool
resource_render_attr(cJSON *out, const struct schema *sch,
    const struct schema_attr *a, cJSON *src, cJSON *v,
    const struct attrsel_list *inc, const struct attrsel_list *exc)
{
	const struct attrsel_list	*pi, *pe;
	cJSON			*nv;
	enum attrsel_m		 mi, me;
	bool			 omit = false;

	if (v == NULL || cJSON_IsNull(v) ||
	    cJSON_GetObjectItemCaseSensitive(out, a->name) != NULL)
		return true;
	if (attrsel_visible(sch, a, inc, exc, &mi, &me) == ATTRSEL_NONE)
		return true;

	pi = mi == ATTRSEL_PART ? inc : NULL;
	pe = me == ATTRSEL_PART ? exc : NULL;
	if (src != NULL) {
		cJSON_DetachItemViaPointer(src, v);
		if (a->type == ATTR_COMPLEX && cJSON_IsObject(v)) {
			project_object_take(sch, a, v, pi, pe);
			omit = v->child == NULL;
		} else if (a->type == ATTR_COMPLEX && cJSON_IsArray(v))
			project_array_take(sch, a, v, pi, pe, &omit);
		if (omit) {
			cJSON_Delete(v);
			return true;
		}
		/* Checked above: out has no a->name yet. */
		return resource_obj_put_own(out, a->name, v, true);
	}
	if (a->type == ATTR_COMPLEX && cJSON_IsObject(v)) {
		nv = project_object(sch, a, v, pi, pe);
		omit = nv != NULL && nv->child == NULL;
	} else if (a->type == ATTR_COMPLEX && cJSON_IsArray(v))
		nv = project_array(sch, a, v, pi, pe, &omit);
	else
		nv = cJSON_Duplicate(v, true);
	if (nv == NULL)
		return false;
	if (omit) {
		cJSON_Delete(nv);
		return true;
	}
	return resource_obj_put(out, a->name, nv);
}

/*
 * Render the custom extension object v stored under urn into out (and
 * its URN into schemas) as the lists allow.  Its members are not in any
 * schema table, so they are selected by name only.
 */
static bool
render_custom(cJSON *out, cJSON *schemas, const char *urn, cJSON *src,
    cJSON *v, const struct attrsel_list *inc, const struct attrsel_list *exc)
{
	const cJSON	*c;
	cJSON		*o, *nv, *s, *e, *next;
	enum attrsel_m	 mi = ATTRSEL_WHOLE, me = ATTRSEL_NONE;

	if (inc->given && (mi = attrsel_custom(inc, urn, NULL)) == ATTRSEL_NONE)
		return true;
	if (exc->given &&
	    (me = attrsel_custom(exc, urn, NULL)) == ATTRSEL_WHOLE)
		return true;
	if (src != NULL) {
		/* Moved, not copied: v's members not shown are deleted. */
		cJSON_DetachItemViaPointer(src, v);
		for (e = v->child; e != NULL; e = next) {
			next = e->next;
			if (e->string != NULL && !(mi == ATTRSEL_PART &&
			    attrsel_custom(inc, urn, e->string) ==
			    ATTRSEL_NONE) && !(me == ATTRSEL_PART &&
			    attrsel_custom(exc, urn, e->string) ==
			    ATTRSEL_WHOLE))
				continue;
			cJSON_Delete(cJSON_DetachItemViaPointer(v, e));
		}
		if (v->child == NULL) {
			cJSON_Delete(v);
			return true;
		}
		if (!resource_obj_put_own(out, urn, v, false) ||
		    (s = cJSON_CreateString(urn)) == NULL)
			return false;
		cJSON_AddItemToArray(schemas, s);
		return true;
	}
	if ((o = cJSON_CreateObject()) == NULL)
		return false;
	cJSON_ArrayForEach(c, v) {
		if (c->string == NULL)
			continue;
		if (mi == ATTRSEL_PART && attrsel_custom(inc, urn, c->string) ==
		    ATTRSEL_NONE)
			continue;
		if (me == ATTRSEL_PART && attrsel_custom(exc, urn, c->string) ==
		    ATTRSEL_WHOLE)
			continue;
		if ((nv = cJSON_Duplicate(c, true)) == NULL)
			goto nomem;
		if (!cJSON_AddItemToObject(o, c->string, nv)) {
			cJSON_Delete(nv);
			goto nomem;
		}
	}
	if (o->child == NULL) {
		cJSON_Delete(o);
		return true;
	}
	/* resource_obj_put() owns o from here, whatever it returns. */
	if (!resource_obj_put(out, urn, o) ||
	    (s = cJSON_CreateString(urn)) == NULL)
		return false;
	cJSON_AddItemToArray(schemas, s);
	return true;
nomem:
	cJSON_Delete(o);
	return false;
}

/* See resource.h: the one place that spells a resource's URL. */
char *
resource_location(const struct resource_type *rt, const char *id,
    const char *base)
{
	char		*url;
	size_t		 blen, elen, ilen;

	if (base == NULL || id == NULL)
		return NULL;
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	elen = strlen(rt->endpoint);
	ilen = strlen(id);
	/* Copies, not an snprintf: a GET makes one of these every time. */
	if ((url = malloc(blen + elen + 1 + ilen + 1)) == NULL)
		return NULL;
	memcpy(url, base, blen);
	memcpy(url + blen, rt->endpoint, elen);
	url[blen + elen] = '/';
	memcpy(url + blen + elen + 1, id, ilen + 1);
	return url;
}

static char *
meta_location(const struct resource_type *rt, const cJSON *res,
    const char *base)
{
	const cJSON	*id = cJSON_GetObjectItemCaseSensitive(res, "id");

	return resource_location(rt,
	    cJSON_IsString(id) ? id->valuestring : NULL, base);
}

/*
 * A copy of the stored meta (an empty object if there is none) with
 * "location" set when base and id are known.  NULL when out of memory.
 */
static cJSON *
meta_copy(const struct resource_type *rt, const cJSON *res,
    const char *base)
{
	const cJSON	*meta, *id;
	cJSON		*m, *loc;
	char		*url;

	meta = cJSON_GetObjectItemCaseSensitive(res, "meta");
	id = cJSON_GetObjectItemCaseSensitive(res, "id");
	m = cJSON_IsObject(meta) ? cJSON_Duplicate(meta, true) :
	    cJSON_CreateObject();
	if (m == NULL || base == NULL || !cJSON_IsString(id))
		return m;
	if ((url = meta_location(rt, res, base)) == NULL) {
		cJSON_Delete(m);
		return NULL;
	}
	loc = cJSON_CreateString(url);
	free(url);
	if (loc == NULL || !resource_obj_put(m, "location", loc)) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

/*
 * meta_copy() done on res itself (for rendering that consumes res): its
 * "meta" becomes an object (emptied if it was something else) with
 * "location" set, and is returned; NULL when out of memory.
 */
static cJSON *
meta_take(const struct resource_type *rt, cJSON *res, const char *base)
{
	cJSON	*meta, *loc;
	char	*url;

	meta = cJSON_GetObjectItemCaseSensitive(res, "meta");
	if (!cJSON_IsObject(meta)) {
		if ((meta = cJSON_CreateObject()) == NULL)
			return NULL;
		if (!resource_obj_put(res, "meta", meta))
			return NULL;
	}
	if ((url = meta_location(rt, res, base)) == NULL)
		return meta;
	loc = cJSON_CreateString(url);
	free(url);
	if (loc == NULL || !resource_obj_put(meta, "location", loc))
		return NULL;
	return meta;
}

/* Is key the URN of a custom extension object, not of any schema? */
static bool
is_custom_urn(const struct resource_type *rt, const cJSON *c)
{
	return c->string != NULL && schema_is_urn(c->string) &&
	    cJSON_IsObject(c) &&
	    resource_rt_schema(rt, c->string, strlen(c->string)) == NULL &&
	    schema_by_urn(c->string) == NULL;
}

/*
 * cJSON_GetObjectItem() (the first member named name in any case) with a
 * cheap first-letter test before the full comparison: rendering looks up
 * every attribute of the schema, most of them absent.
 */
static cJSON *
get_ci(const cJSON *obj, const char *name)
{
	cJSON	*c;
	int	 first = tolower((unsigned char)name[0]);

	if (obj == NULL)
		return NULL;
	for (c = obj->child; c != NULL; c = c->next)
		if (c->string != NULL &&
		    tolower((unsigned char)c->string[0]) == first &&
		    strcasecmp(c->string, name) == 0)
			return c;
	return NULL;
}

/* --- the whole resource --- */

/*
 * Render id, externalId and the core attributes of res into out, in
 * schema order, except meta and the back-reference, which go last;
 * *backref gets the back-reference's definition when rt has one.  src
 * as for resource_render_attr().  False when memory is short.
 */
static bool
render_core_attrs(cJSON *out, const struct resource_type *rt, cJSON *res,
    cJSON *src, const struct attrsel *sel,
    const struct schema_attr **backref)
{
	static const struct schema_attr	*const head[] = {
		&schema_attr_id, &schema_attr_external_id
	};
	const struct schema_attr	*a;
	size_t				 i;

	for (i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		if (!resource_render_attr(out, rt->core, head[i], src,
		    get_ci(res, head[i]->name), &sel->inc, &sel->exc))
			return false;
	for (i = 0; i < rt->core->nattrs; i++) {
		a = &rt->core->attrs[i];
		if (strcmp(a->name, "meta") == 0)
			continue;
		if (rt->backref != NULL && strcmp(a->name, rt->backref) == 0) {
			*backref = a;
			continue;
		}
		if (!resource_render_attr(out, rt->core, a, src,
		    get_ci(res, a->name), &sel->inc, &sel->exc))
			return false;
	}
	return true;
}

/*
 * Render each extension object of res that rt knows into out, its URN
 * into schemas when anything of it is shown.  With take, members move
 * out of res's extension objects.  False when memory is short.
 */
static bool
render_extensions(cJSON *out, cJSON *schemas, const struct resource_type *rt,
    cJSON *res, bool take, const struct attrsel *sel)
{
	const struct schema	*ext;
	cJSON			*ev, *eo, *s;
	size_t			 i, j;

	for (i = 0; rt->ext != NULL && (ext = rt->ext[i]) != NULL; i++) {
		ev = get_ci(res, ext->id);
		if (!cJSON_IsObject(ev))
			continue;
		if ((eo = cJSON_CreateObject()) == NULL)
			return false;
		for (j = 0; j < ext->nattrs; j++)
			if (!resource_render_attr(eo, ext, &ext->attrs[j],
			    take ? ev : NULL,
			    get_ci(ev, ext->attrs[j].name), &sel->inc,
			    &sel->exc)) {
				cJSON_Delete(eo);
				return false;
			}
		if (eo->child == NULL) {
			cJSON_Delete(eo);
			continue;
		}
		if (!resource_obj_put(out, ext->id, eo) ||
		    (s = cJSON_CreateString(ext->id)) == NULL)
			return false;
		cJSON_AddItemToArray(schemas, s);
	}
	return true;
}

/* Render every custom extension object of res; src as for render_custom(). */
static bool
render_customs(cJSON *out, cJSON *schemas, const struct resource_type *rt,
    cJSON *res, cJSON *src, const struct attrsel *sel)
{
	cJSON	*c, *next;

	for (c = res->child; c != NULL; c = next) {
		next = c->next;
		if (is_custom_urn(rt, c) &&
		    !render_custom(out, schemas, c->string, src, c, &sel->inc,
		    &sel->exc))
			return false;
	}
	return true;
}

/*
 * Render meta last.  With take, meta is res's own (from meta_take()) and
 * moves; otherwise a copy with the location is made and rendered from.
 * False when memory is short.
 */
static bool
render_meta(cJSON *out, const struct resource_type *rt, cJSON *res,
    bool take, cJSON *meta, const char *base, const struct attrsel *sel)
{
	bool	 ok;

	if (take)
		return meta->child == NULL || resource_render_attr(out,
		    rt->core, &schema_attr_meta, res, meta, &sel->inc,
		    &sel->exc);
	if ((meta = meta_copy(rt, res, base)) == NULL)
		return false;
	ok = meta->child == NULL || resource_render_attr(out, rt->core,
	    &schema_attr_meta, NULL, meta, &sel->inc, &sel->exc);
	cJSON_Delete(meta);
	return ok;
}

cJSON *
resource_render_core(const struct resource_type *rt, cJSON *res, bool take,
    const char *base, const struct attrsel *sel)
{
	const struct schema_attr	*backref = NULL;
	cJSON				*src, *out, *schemas, *s;
	cJSON				*meta = NULL;

	/* meta.location needs the id, which moves to out first. */
	if (take && (meta = meta_take(rt, res, base)) == NULL)
		return NULL;
	src = take ? res : NULL;
	if ((out = cJSON_CreateObject()) == NULL ||
	    (schemas = cJSON_AddArrayToObject(out, "schemas")) == NULL ||
	    (s = cJSON_CreateString(rt->core->id)) == NULL)
		goto fail;
	cJSON_AddItemToArray(schemas, s);
	if (!render_core_attrs(out, rt, res, src, sel, &backref) ||
	    !render_extensions(out, schemas, rt, res, take, sel) ||
	    !render_customs(out, schemas, rt, res, src, sel))
		goto fail;
	/* Last before meta: see resource_answer(). */
	if (backref != NULL && !resource_render_attr(out, rt->core, backref,
	    src, get_ci(res, backref->name), &sel->inc, &sel->exc))
		goto fail;
	if (!render_meta(out, rt, res, take, meta, base, sel))
		goto fail;
	return out;
fail:
	cJSON_Delete(out);
	return NULL;
}

cJSON *
resource_render_sel(const struct resource_type *rt, const cJSON *res,
    const char *base, const struct attrsel *sel)
{
	/* Without take, resource_render_core() only reads res. */
	return resource_render_core(rt, (cJSON *)res, false, base, sel);
}

cJSON *
resource_render_take_sel(const struct resource_type *rt, cJSON *res,
    const char *base, const struct attrsel *sel)
{
	cJSON	*out;

	if (res == NULL)
		return NULL;
	out = resource_render_core(rt, res, true, base, sel);
	cJSON_Delete(res);
	return out;
}

cJSON *
resource_render(const struct resource_type *rt, const cJSON *res,
    const char *base, const char *attributes, const char *excluded)
{
	struct attrsel	 sel;
	cJSON		*out = NULL;

	if (attrsel_parse(rt, attributes, excluded, &sel))
		out = resource_render_sel(rt, res, base, &sel);
	attrsel_free(&sel);
	return out;
}

cJSON *
resource_render_take(const struct resource_type *rt, cJSON *res,
    const char *base, const char *attributes, const char *excluded)
{
	struct attrsel	 sel;
	cJSON		*out = NULL;

	if (res == NULL)
		return NULL;
	if (attrsel_parse(rt, attributes, excluded, &sel))
		out = resource_render_take_sel(rt, res, base, &sel);
	else
		cJSON_Delete(res);
	attrsel_free(&sel);
	return out;
}

/*
 * The core attribute that is rt's back-reference, found once per process
 * for each type (resource types are static tables): every GET and list
 * asks whether its answer shows it, and the search is a case-blind
 * comparison with each attribute of the schema before it.
 */
static const struct schema_attr *
backref_attr(const struct resource_type *rt)
{
	static struct {
		const struct resource_type	*rt;
		const struct schema_attr	*a;
	}				 memo[4];
	static unsigned			 next;
	unsigned			 i;

	for (i = 0; i < 4; i++)
		if (memo[i].rt == rt)
			return memo[i].a;
	i = next++ % 4;
	memo[i].rt = rt;
	memo[i].a = resource_rt_find(rt, rt->core, rt->backref);
	return memo[i].a;
}

int
resource_wants_sel(const struct resource_type *rt, const char *attr,
    const struct attrsel *sel)
{
	const struct schema		*sch = rt->core;
	const struct schema_attr	*a;
	enum attrsel_m			 mi, me;
	size_t				 i;

	a = attr == rt->backref && attr != NULL ? backref_attr(rt) :
	    resource_rt_find(rt, sch, attr);
	for (i = 0; a == NULL && rt->ext != NULL && rt->ext[i] != NULL; i++)
		if ((a = schema_find(rt->ext[i], attr)) != NULL)
			sch = rt->ext[i];
	if (a == NULL)
		return !sel->inc.given;
	return attrsel_visible(sch, a, &sel->inc, &sel->exc, &mi, &me) !=
	    ATTRSEL_NONE;
}

int
resource_wants(const struct resource_type *rt, const char *attr,
    const char *attributes, const char *excluded)
{
	struct attrsel	 sel;
	int		 wants = 1;

	/* When memory is short, say yes: loading too much is harmless. */
	if (attrsel_parse(rt, attributes, excluded, &sel))
		wants = resource_wants_sel(rt, attr, &sel);
	attrsel_free(&sel);
	return wants;
}
