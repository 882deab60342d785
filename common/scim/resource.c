/*
 * Resources in and out of the service: the helpers the files of the
 * resource module share, and normalisation.  resource_normalize() turns
 * a body a client sent (POST, PUT, or the outcome of a PATCH) into the
 * canonical stored form described in resource.h.  The other directions
 * live beside this file: attrsel.c parses the ?attributes= and
 * ?excludedAttributes= lists, resource-render.c turns a stored resource
 * into a response body, resource-answer.c makes the stored form and
 * answers reads from its text.
 *
 * All of them walk the tables of schema.h, so names, types, mutability
 * and "returned" come from one place.  The leniencies that Microsoft
 * Entra ID and its reference test collection need are handled at the
 * function that implements each: booleans sent as "True"/"False", the
 * enterprise manager as a bare id string, group members as bare id
 * strings or with sub-attributes the schema does not know (the collection
 * sends {"displayName": ..., "value": ...} and expects it back; both
 * rules are schema.c's, shared with patch.c), custom extension objects
 * whose URN is missing from "schemas", and value filters inside
 * ?attributes= (emails[type eq "work"]).
 *
 * Nothing here keeps state; every returned object belongs to the caller.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <unictype.h>
#include <unistr.h>

#include "base/lex.h"
#include "base/error.h"
#include "base/util.h"
#include "audit/activity.h"
#include "scim/schema.h"
#include "scim/resource.h"
#include "scim/resource-int.h"

/* --- small helpers shared by the files of the module --- */

/*
 * The schema of rt (core or extension) whose URN is urn[0..len), in any
 * case, or NULL.
 */
const struct schema *
resource_rt_schema(const struct resource_type *rt, const char *urn,
    size_t len)
{
	size_t	 i;

	if (strlen(rt->core->id) == len &&
	    strncasecmp(rt->core->id, urn, len) == 0)
		return rt->core;
	if (rt->ext == NULL)
		return NULL;
	for (i = 0; rt->ext[i] != NULL; i++)
		if (strlen(rt->ext[i]->id) == len &&
		    strncasecmp(rt->ext[i]->id, urn, len) == 0)
			return rt->ext[i];
	return NULL;
}

/*
 * Find attribute name of schema s, which belongs to rt; the common
 * attributes (id, externalId, meta) are found through the core schema
 * even when s is not registered in schema.c (unit tests use their own).
 */
const struct schema_attr *
resource_rt_find(const struct resource_type *rt, const struct schema *s,
    const char *name)
{
	const struct schema_attr	*a;

	if ((a = schema_find(s, name)) != NULL)
		return a;
	if (s != rt->core)
		return NULL;
	if (strcasecmp(name, schema_attr_id.name) == 0)
		return &schema_attr_id;
	if (strcasecmp(name, schema_attr_external_id.name) == 0)
		return &schema_attr_external_id;
	if (strcasecmp(name, schema_attr_meta.name) == 0)
		return &schema_attr_meta;
	return NULL;
}

/*
 * Set obj[key] = item, replacing a member of the same name (exact case).
 * Takes ownership of item: on allocation failure it is freed and false
 * returned.
 */
bool
resource_obj_put(cJSON *obj, const char *key, cJSON *item)
{
	cJSON	*old;

	if ((old = cJSON_GetObjectItemCaseSensitive(obj, key)) != NULL)
		cJSON_Delete(cJSON_DetachItemViaPointer(obj, old));
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

/*
 * Set obj[key] = item like resource_obj_put(), for an item moved from
 * another object: when it already carries key as its name, that string
 * is kept instead of copied.  With absent, the caller has made sure that obj
 * has no member key.  Takes ownership of item.
 */
bool
resource_obj_put_own(cJSON *obj, const char *key, cJSON *item, bool absent)
{
	cJSON	*old;

	if (item->string == NULL || (item->type & cJSON_StringIsConst) ||
	    strcmp(item->string, key) != 0)
		return resource_obj_put(obj, key, item);
	/* absent: the caller knows obj has no key yet. */
	if (!absent &&
	    (old = cJSON_GetObjectItemCaseSensitive(obj, key)) != NULL)
		cJSON_Delete(cJSON_DetachItemViaPointer(obj, old));
	/* Appending to the member list keeps the item's own name. */
	if (!cJSON_AddItemToArray(obj, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

/*
 * dst = a + sep + b (sep 0: none), cut to sz - 1 bytes as snprintf()
 * would.  The attribute paths named in errors are built for every member
 * normalised, so this is on the write path's hot loop.
 */
static void
path_join(char *dst, size_t sz, const char *a, char sep, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), n = 0;

	if (sz == 0)
		return;
	if (la > sz - 1)
		la = sz - 1;
	memcpy(dst, a, la);
	n = la;
	if (sep != '\0' && n < sz - 1)
		dst[n++] = sep;
	if (lb > sz - 1 - n)
		lb = sz - 1 - n;
	memcpy(dst + n, b, lb);
	dst[n + lb] = '\0';
}

/* Does v stand for "no value": null, "", [] or {}? */
static bool
json_empty(const cJSON *v)
{
	if (v == NULL || cJSON_IsNull(v))
		return true;
	if (cJSON_IsString(v))
		return v->valuestring == NULL || v->valuestring[0] == '\0';
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child == NULL;
	return false;
}

int
resource_bool(const cJSON *v, int *b)
{
	if (cJSON_IsBool(v)) {
		*b = cJSON_IsTrue(v) ? 1 : 0;
		return 1;
	}
	if (cJSON_IsString(v) && v->valuestring != NULL) {
		if (strcasecmp(v->valuestring, "true") == 0) {
			*b = 1;
			return 1;
		}
		if (strcasecmp(v->valuestring, "false") == 0) {
			*b = 0;
			return 1;
		}
	}
	return 0;
}

/* --- normalisation --- */

/*
 * Normalising a body its caller drops afterwards (a request's, a PATCH's
 * working copy) moves its values into the result instead of copying them
 * (resource_normalize_take()): a copy was a node, its value and its name
 * made, and the original's three freed, for every member of a POST.  The
 * functions below get, beside each value v they read, from: the object
 * or array v may be taken out of, or NULL when the input is the caller's
 * to keep (then v is copied).  A loop over members that may be taken
 * saves each one's next before it.
 */

/*
 * v for the result: taken out of from, or a copy when from is NULL.
 * NULL when memory is short.
 */
static cJSON *
norm_take(cJSON *from, const cJSON *v)
{
	/* v is a member of from, which the caller may change: not const. */
	if (from != NULL)
		return cJSON_DetachItemViaPointer(from, (cJSON *)(uintptr_t)v);
	return cJSON_Duplicate(v, true);
}

/* v as a container its own members may be taken out of (see above). */
static cJSON *
norm_from(cJSON *from, const cJSON *v)
{
	return from != NULL ? (cJSON *)(uintptr_t)v : NULL;
}

static enum scim_err	norm_value(const struct schema_attr *,
			    const cJSON *, cJSON *, const char *, cJSON **,
			    struct scim_error *);

/*
 * Does o, a value of complex attribute a (named path), carry each
 * required, writable sub-attribute?  No built-in sub-attribute is
 * flagged required (RFC 7643 prints manager.value's REQUIRED only in its
 * description), so only declared extensions meet this rule.
 */
static enum scim_err
check_required_subs(const struct schema_attr *a, const cJSON *o,
    const char *path, struct scim_error *err)
{
	size_t	 i;

	for (i = 0; i < a->nsub; i++)
		if (a->sub[i].required &&
		    a->sub[i].mutability != MUT_READ_ONLY &&
		    cJSON_GetObjectItemCaseSensitive(o, a->sub[i].name) ==
		    NULL)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s.%s is required", path, a->sub[i].name);
	return SCIM_OK;
}

/*
 * Normalise the object v of complex attribute a (named path in errors)
 * into *out: known sub-attributes type-checked under canonical names,
 * readOnly and unknown ones dropped (members keep both).  *out is NULL
 * when nothing is left.
 */
static enum scim_err
norm_complex(const struct schema_attr *a, const cJSON *v, cJSON *from,
    const char *path, cJSON **out, struct scim_error *err)
{
	const struct schema_attr	*s;
	const cJSON			*c, *next;
	cJSON				*o = NULL, *nv, *vf;
	char				 sub[RES_PATH_MAX];
	bool				 members;
	enum scim_err			 rc = SCIM_OK;

	members = schema_keeps_unknown_subs(a);
	*out = NULL;
	if (cJSON_IsString(v) && schema_takes_bare_value(a)) {
		if ((o = cJSON_CreateObject()) == NULL ||
		    cJSON_AddStringToObject(o, "value", v->valuestring) ==
		    NULL)
			goto nomem;
		*out = o;
		return SCIM_OK;
	}
	if (!cJSON_IsObject(v))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "%s must be a complex value (a JSON object)", path);
	if ((o = cJSON_CreateObject()) == NULL)
		goto nomem;
	vf = norm_from(from, v);
	for (c = v->child; c != NULL; c = next) {
		next = c->next;		/* c may be taken */
		if (c->string == NULL)
			continue;
		s = schema_find_sub(a, c->string);
		if (s == NULL) {
			if (!members || json_empty(c))
				continue;
			if ((nv = norm_take(vf, c)) == NULL ||
			    !resource_obj_put_own(o, nv->string, nv, false))
				goto nomem;
			continue;
		}
		if (s->mutability == MUT_READ_ONLY && !members)
			continue;
		path_join(sub, sizeof(sub), path, '.', s->name);
		if ((rc = norm_value(s, c, vf, sub, &nv, err)) != SCIM_OK)
			goto fail;
		if (nv == NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(o, s->name);
		else if (!resource_obj_put_own(o, s->name, nv, false))
			goto nomem;
	}
	if (o->child == NULL) {
		cJSON_Delete(o);
		return SCIM_OK;
	}
	if ((rc = check_required_subs(a, o, path, err)) != SCIM_OK)
		goto fail;
	*out = o;
	return SCIM_OK;
nomem:
	rc = scim_fail(err, SCIM_E_INTERNAL, "out of memory");
fail:
	cJSON_Delete(o);
	return rc;
}

/*
 * Normalise one (non-empty) value of attribute a, which for a
 * multi-valued attribute is one element.  *out is a new item, or NULL
 * when the value reduces to nothing.
 */
static enum scim_err
norm_single(const struct schema_attr *a, const cJSON *v, cJSON *from,
    const char *path, cJSON **out, struct scim_error *err)
{
	double	 d;
	int	 b;

	*out = NULL;
	switch (a->type) {
	case ATTR_STRING:
	case ATTR_REFERENCE:
	case ATTR_BINARY:
		if (!cJSON_IsString(v))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s must be a string", path);
		break;
	case ATTR_DATETIME:
		if (!cJSON_IsString(v) || !lex_datetime(v->valuestring, 0, NULL))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s must be a dateTime such as "
			    "\"2024-05-01T12:00:00Z\"", path);
		break;
	case ATTR_BOOLEAN:
		if (!resource_bool(v, &b))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s must be a boolean", path);
		if ((*out = cJSON_CreateBool(b)) == NULL)
			return scim_fail(err, SCIM_E_INTERNAL,
			    "out of memory");
		return SCIM_OK;
	case ATTR_INTEGER:
		d = cJSON_IsNumber(v) ? v->valuedouble : 0.5;
		if (!(d > -9.0e15 && d < 9.0e15) || d != (double)(long long)d)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s must be an integer", path);
		break;
	case ATTR_DECIMAL:
		if (!cJSON_IsNumber(v))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s must be a number", path);
		break;
	case ATTR_COMPLEX:
		return norm_complex(a, v, from, path, out, err);
	}
	if ((*out = norm_take(from, v)) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	return SCIM_OK;
}

/*
 * Normalise the value v of attribute a into *out (NULL: omit it).  null,
 * "", [] and {} are "no value".  A multi-valued attribute given a single
 * value gets it wrapped in an array; at most one element may be primary.
 * A single-valued complex attribute given a one-element array (Entra's
 * legacy manager form [{"value": ...}]) is unwrapped.
 */
static enum scim_err
norm_value(const struct schema_attr *a, const cJSON *v, cJSON *from,
    const char *path, cJSON **out, struct scim_error *err)
{
	const cJSON	*e, *next;
	cJSON		*arr = NULL, *nv;
	int		 primaries = 0;
	enum scim_err	 rc;

	*out = NULL;
	if (json_empty(v))
		return SCIM_OK;
	if (!a->multi) {
		if (cJSON_IsArray(v)) {
			if (a->type != ATTR_COMPLEX ||
			    cJSON_GetArraySize(v) != 1)
				return scim_fail(err, SCIM_E_INVALID_VALUE,
				    "%s is single-valued and must not be an "
				    "array", path);
			from = norm_from(from, v);
			v = v->child;
			if (json_empty(v))
				return SCIM_OK;
		}
		return norm_single(a, v, from, path, out, err);
	}

	if ((arr = cJSON_CreateArray()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if (!cJSON_IsArray(v)) {
		if ((rc = norm_single(a, v, from, path, &nv, err)) != SCIM_OK)
			goto fail;
		if (nv != NULL)
			cJSON_AddItemToArray(arr, nv);
	} else {
		from = norm_from(from, v);
		for (e = v->child; e != NULL; e = next) {
			next = e->next;		/* e may be taken */
			if (json_empty(e))
				continue;
			if ((rc = norm_single(a, e, from, path, &nv, err)) !=
			    SCIM_OK)
				goto fail;
			if (nv != NULL)
				cJSON_AddItemToArray(arr, nv);
		}
	}
	if (arr->child == NULL) {
		cJSON_Delete(arr);
		return SCIM_OK;
	}
	if (a->type == ATTR_COMPLEX) {
		cJSON_ArrayForEach(e, arr)
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e,
			    "primary")))
				primaries++;
		if (primaries > 1) {
			rc = scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s has more than one value with \"primary\": "
			    "true", path);
			goto fail;
		}
	}
	*out = arr;
	return SCIM_OK;
fail:
	cJSON_Delete(arr);
	return rc;
}

/*
 * Normalise client member c, known as attribute a of schema s, into obj
 * (the resource, or its extension object).  readOnly attributes are
 * dropped; a later spelling of the same attribute wins over an earlier
 * one.
 */
static enum scim_err
norm_member(const struct resource_type *rt, const struct schema *s,
    const struct schema_attr *a, const cJSON *c, cJSON *from, cJSON *obj,
    struct scim_error *err)
{
	cJSON		*nv;
	char		 path[RES_PATH_MAX];
	enum scim_err	 rc;

	if (a->mutability == MUT_READ_ONLY)
		return SCIM_OK;
	if (s == rt->core)
		path_join(path, sizeof(path), a->name, '\0', "");
	else
		path_join(path, sizeof(path), s->id, ':', a->name);
	if ((rc = norm_value(a, c, from, path, &nv, err)) != SCIM_OK)
		return rc;
	if (nv == NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, a->name);
	else if (!resource_obj_put_own(obj, a->name, nv, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	return SCIM_OK;
}

/* The object out[ext->id], created when absent; NULL when out of memory. */
static cJSON *
ext_object(cJSON *out, const struct schema *ext)
{
	cJSON	*eo;

	if ((eo = cJSON_GetObjectItemCaseSensitive(out, ext->id)) != NULL)
		return eo;
	if ((eo = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!cJSON_AddItemToObject(out, ext->id, eo)) {
		cJSON_Delete(eo);
		return NULL;
	}
	return eo;
}

static enum scim_err	norm_object(const struct resource_type *,
			    const struct schema *, const cJSON *, cJSON *,
			    cJSON *, bool, const cJSON *, struct scim_error *);

/*
 * The top-level key c->string names an extension no declaration knows
 * (custom, or a URN-qualified attribute of one).  By default a non-empty
 * object there is kept verbatim (Entra does not list its URN in
 * "schemas"); with [scim] undeclared_extensions = refuse it is an error,
 * unless old (the resource being changed, or NULL) holds the same value
 * already: what was stored before the operator chose to refuse can still
 * be carried through a PATCH of something else.
 */
static enum scim_err
norm_undeclared(const cJSON *c, cJSON *from, const cJSON *old, cJSON *out,
    struct scim_error *err)
{
	const char	*key = c->string;
	cJSON		*nv;

	if (schema_ext_undeclared_refused() && !json_empty(c) &&
	    !cJSON_Compare(c, cJSON_GetObjectItemCaseSensitive(old, key),
	    true))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "%s is not a declared schema extension of this resource "
		    "type (this service refuses undeclared extensions)", key);
	if (!cJSON_IsObject(c) || c->child == NULL)
		return SCIM_OK;
	if ((nv = norm_take(from, c)) == NULL ||
	    !resource_obj_put_own(out, key, nv, false))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	return SCIM_OK;
}

/*
 * Handle the top-level key c->string, which starts with "urn:":
 *  - an extension URN of rt: its object is normalised against it;
 *  - the core URN of rt: its object holds more core attributes;
 *  - "<core or extension URN>:<attr>": a URN-qualified attribute;
 *  - another schema known to schema.c (the Group URN on a User): dropped;
 *  - anything else: an undeclared extension (norm_undeclared()).
 */
static enum scim_err
norm_urn_key(const struct resource_type *rt, const cJSON *c, cJSON *from,
    cJSON *out, const cJSON *old, struct scim_error *err)
{
	const struct schema		*s;
	const struct schema_attr	*a;
	const char			*key = c->string, *colon;
	cJSON				*eo;

	if ((s = resource_rt_schema(rt, key, strlen(key))) != NULL) {
		if (cJSON_IsNull(c))
			return SCIM_OK;
		if (!cJSON_IsObject(c))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s must be a JSON object", s->id);
		if (s == rt->core)
			return norm_object(rt, s, c, norm_from(from, c), out,
			    false, NULL, err);
		if ((eo = ext_object(out, s)) == NULL)
			return scim_fail(err, SCIM_E_INTERNAL,
			    "out of memory");
		return norm_object(rt, s, c, norm_from(from, c), eo, false,
		    NULL, err);
	}

	if ((colon = strrchr(key, ':')) != NULL &&
	    (s = resource_rt_schema(rt, key, (size_t)(colon - key))) != NULL) {
		if ((a = resource_rt_find(rt, s, colon + 1)) == NULL) {
			activity_note("ignored attribute %.200s: not in the "
			    "schema", key);
			return SCIM_OK;
		}
		if (s == rt->core)
			return norm_member(rt, s, a, c, from, out, err);
		if ((eo = ext_object(out, s)) == NULL)
			return scim_fail(err, SCIM_E_INTERNAL,
			    "out of memory");
		return norm_member(rt, s, a, c, from, eo, err);
	}

	if (schema_by_urn(key) != NULL)
		return SCIM_OK;
	return norm_undeclared(c, from, old, out, err);
}

/*
 * Normalise the members of client object in against schema s into out.
 * top is true for the resource body itself, where "schemas" and URN keys
 * are meaningful; inside an extension or core-URN object they are not.
 * old is the resource being changed (NULL: a new one).
 */
static enum scim_err
norm_object(const struct resource_type *rt, const struct schema *s,
    const cJSON *in, cJSON *from, cJSON *out, bool top, const cJSON *old,
    struct scim_error *err)
{
	const struct schema_attr	*a;
	const cJSON			*c, *next;
	enum scim_err			 rc;

	for (c = in->child; c != NULL; c = next) {
		next = c->next;		/* c may be taken (from) */
		if (c->string == NULL)
			continue;
		if (top && strcasecmp(c->string, "schemas") == 0)
			continue;
		if (top && schema_is_urn(c->string)) {
			if ((rc = norm_urn_key(rt, c, from, out, old, err)) !=
			    SCIM_OK)
				return rc;
			continue;
		}
		if ((a = resource_rt_find(rt, s, c->string)) == NULL) {
			activity_note("ignored attribute %.200s: not in the "
			    "schema", c->string);
			continue;
		}
		if ((rc = norm_member(rt, s, a, c, from, out, err)) !=
		    SCIM_OK)
			return rc;
	}
	return SCIM_OK;
}

/*
 * Check that obj (of schema s) carries every required, writable
 * attribute of s.  ext is s's URN when s is an extension (the error names
 * the attribute with it), NULL for the core schema.
 */
static enum scim_err
check_required(const struct schema *s, const char *ext, const cJSON *obj,
    struct scim_error *err)
{
	size_t	 i;

	for (i = 0; i < s->nattrs; i++) {
		if (!s->attrs[i].required ||
		    s->attrs[i].mutability == MUT_READ_ONLY)
			continue;
		if (cJSON_GetObjectItemCaseSensitive(obj,
		    s->attrs[i].name) == NULL)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s%s%s is required", ext != NULL ? ext : "",
			    ext != NULL ? ":" : "", s->attrs[i].name);
	}
	return SCIM_OK;
}

/*
 * Extensions of res that ended up empty are absent; each one present
 * carries its required attributes, and each one declared required is
 * present, unless old (the resource being changed) lacked it too: a
 * resource stored before the extension was declared can still be changed
 * without it.
 */
static enum scim_err
check_extensions(const struct resource_type *rt, cJSON *res,
    const cJSON *old, struct scim_error *err)
{
	const struct schema	*ext;
	cJSON			*eo;
	size_t			 i;
	enum scim_err		 rc;

	for (i = 0; rt->ext != NULL && (ext = rt->ext[i]) != NULL; i++) {
		eo = cJSON_GetObjectItemCaseSensitive(res, ext->id);
		if (eo != NULL && eo->child == NULL) {
			cJSON_DeleteItemFromObjectCaseSensitive(res, ext->id);
			eo = NULL;
		}
		if (eo != NULL) {
			if ((rc = check_required(ext, ext->id, eo, err)) !=
			    SCIM_OK)
				return rc;
			continue;
		}
		if (rt->ext_required == NULL || !rt->ext_required[i] ||
		    (old != NULL &&
		    cJSON_GetObjectItemCaseSensitive(old, ext->id) == NULL))
			continue;
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "the schema extension %s is required on a %s", ext->id,
		    rt->name);
	}
	return SCIM_OK;
}

/*
 * Does cp show nothing: white space (U+0020, no-break, ideographic and
 * the other spaces, line and paragraph separators) or a character
 * drawn with no width (zero-width space and joiners, word joiner, BOM,
 * soft hyphen, Hangul fillers, variation selectors, ...)?
 */
static bool
blank_char(ucs4_t cp)
{
	return uc_is_property_white_space(cp) ||
	    uc_is_property_default_ignorable_code_point(cp);
}

/*
 * The names people and clients tell resources apart by (userName, and
 * displayName) must show something and hold nothing that breaks a line,
 * a log or an export: refuse one that is only blanks, or that contains a
 * control character (U+0000-U+001F, U+007F-U+009F; tabs and newlines
 * too).  "" never gets here: an empty string is an absent attribute.
 * An identifying name (userName: ident) must also not carry what makes
 * two names look the same (util_name_refusal()): an invisible character,
 * white space at either end.  A group's displayName is not refused for
 * these (directories send such group names; the unique index folds them
 * away, so they still cannot make a second group of the same name).
 */
static enum scim_err
check_name(const cJSON *res, const cJSON *old, const char *attr,
    bool ident, struct scim_error *err)
{
	const cJSON	*v, *was;
	const char	*why;
	const uint8_t	*p, *end;
	ucs4_t		 cp;
	size_t		 pos = 0;
	bool		 blank = true;

	v = cJSON_GetObjectItemCaseSensitive(res, attr);
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return SCIM_OK;
	/* Unchanged by this change: it was stored before the rules. */
	was = old != NULL ? cJSON_GetObjectItemCaseSensitive(old, attr) : NULL;
	if (cJSON_IsString(was) && was->valuestring != NULL &&
	    strcmp(was->valuestring, v->valuestring) == 0)
		return SCIM_OK;
	p = (const uint8_t *)v->valuestring;
	end = p + strlen(v->valuestring);
	/*
	 * Malformed bytes (the input layer refuses them; stored data might
	 * not have been checked) decode as U+FFFD.
	 */
	while (p < end) {
		/*
		 * ASCII, most names, without the Unicode tables: its control
		 * characters are U+0000-U+001F and U+007F, and of the rest
		 * only the space is white space or ignorable.
		 */
		if (*p < 0x80 && *p >= 0x20 && *p != 0x7f) {
			blank = blank && *p == ' ';
			p++;
			pos++;
			continue;
		}
		p += u8_mbtouc(&cp, p, (size_t)(end - p));
		pos++;
		if (uc_is_general_category(cp, UC_CATEGORY_Cc))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s must not contain control characters "
			    "(U+%04lX at character %zu)", attr,
			    (unsigned long)cp, pos);
		if (!blank_char(cp))
			blank = false;
	}
	if (blank)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "%s must not be only blanks", attr);
	if (ident && (why = util_name_refusal(v->valuestring)) != NULL)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "%s must not contain %s: names that differ only so would "
		    "look the same", attr, why);
	return SCIM_OK;
}

enum scim_err
resource_normalize(const struct resource_type *rt, const cJSON *in,
    cJSON **out, struct scim_error *err)
{
	return resource_normalize_change(rt, in, NULL, out, err);
}

/*
 * resource_normalize_change(), its values taken out of in when from is
 * in (see norm_take()), copied when from is NULL.
 */
static enum scim_err
normalize(const struct resource_type *rt, const cJSON *in, cJSON *from,
    const cJSON *old, cJSON **out, struct scim_error *err)
{
	cJSON		*res = NULL;
	enum scim_err	 rc;

	*out = NULL;
	if (!cJSON_IsObject(in))
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "the %s resource must be a JSON object", rt->name);
	if ((res = cJSON_CreateObject()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if ((rc = norm_object(rt, rt->core, in, from, res, true, old, err)) !=
	    SCIM_OK || (rc = check_extensions(rt, res, old, err)) != SCIM_OK)
		goto fail;
	if ((rc = check_required(rt->core, NULL, res, err)) != SCIM_OK ||
	    (rc = check_name(res, old, "userName", true, err)) != SCIM_OK ||
	    (rc = check_name(res, old, "displayName", false, err)) != SCIM_OK)
		goto fail;
	*out = res;
	return SCIM_OK;
fail:
	cJSON_Delete(res);
	return rc;
}

enum scim_err
resource_normalize_change(const struct resource_type *rt, const cJSON *in,
    const cJSON *old, cJSON **out, struct scim_error *err)
{
	return normalize(rt, in, NULL, old, out, err);
}

enum scim_err
resource_normalize_take(const struct resource_type *rt, cJSON *in,
    const cJSON *old, cJSON **out, struct scim_error *err)
{
	enum scim_err	 rc;

	rc = normalize(rt, in, in, old, out, err);
	cJSON_Delete(in);
	return rc;
}
