/*
 * Resources in and out of the service.  resource_normalize() turns a body
 * a client sent (POST, PUT, or the outcome of a PATCH) into the canonical
 * stored form described in resource.h; resource_render() turns a stored
 * resource into a response body, adding "schemas" and meta.location and
 * applying the RFC 7644 section 3.9 projection (?attributes= and
 * ?excludedAttributes=).
 *
 * Both walk the tables of schema.h, so names, types, mutability and
 * "returned" come from one place.  The leniencies that Microsoft Entra ID
 * and its reference test collection need are handled here, each at the
 * function that implements it: booleans sent as "True"/"False", the
 * enterprise manager as a bare id string, group members as bare id
 * strings or with sub-attributes the schema does not know (the collection
 * sends {"displayName": ..., "value": ...} and expects it back), custom
 * extension objects whose URN is missing from "schemas", and value
 * filters inside ?attributes= (emails[type eq "work"]).
 *
 * Nothing here keeps state; every returned object belongs to the caller.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <unictype.h>
#include <unistr.h>

#include "base/lex.h"
#include "base/error.h"
#include "scim/schema.h"
#include "scim/resource.h"

/* Longest attribute path used in an error detail or a projection entry. */
#define RES_PATH_MAX	512

/* --- small helpers shared by both directions --- */

/* Does s start with "urn:" in any case? */
static bool
is_urn(const char *s)
{
	return s != NULL && strncasecmp(s, "urn:", 4) == 0;
}

/*
 * The schema of rt (core or extension) whose URN is urn[0..len), in any
 * case, or NULL.
 */
static const struct schema *
rt_schema_n(const struct resource_type *rt, const char *urn, size_t len)
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
static const struct schema_attr *
rt_find(const struct resource_type *rt, const struct schema *s,
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
static bool
obj_put(cJSON *obj, const char *key, cJSON *item)
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
 * Set obj[key] = item like obj_put(), for an item moved from another
 * object: when it already carries key as its name, that string is kept
 * instead of copied.  With absent, the caller has made sure that obj
 * has no member key.  Takes ownership of item.
 */
static bool
obj_put_own(cJSON *obj, const char *key, cJSON *item, bool absent)
{
	cJSON	*old;

	if (item->string == NULL || (item->type & cJSON_StringIsConst) ||
	    strcmp(item->string, key) != 0)
		return obj_put(obj, key, item);
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

static enum scim_err	norm_value(const struct schema_attr *,
			    const cJSON *, const char *, cJSON **,
			    struct scim_error *);

/*
 * Normalise the object v of complex attribute a (named path in errors)
 * into *out: known sub-attributes type-checked under canonical names,
 * readOnly and unknown ones dropped (members keep both).  *out is NULL
 * when nothing is left.
 */
static enum scim_err
norm_complex(const struct schema_attr *a, const cJSON *v, const char *path,
    cJSON **out, struct scim_error *err)
{
	const struct schema_attr	*s;
	const cJSON			*c;
	cJSON				*o = NULL, *nv;
	char				 sub[RES_PATH_MAX];
	bool				 members = schema_keeps_unknown_subs(a);
	enum scim_err			 rc = SCIM_OK;

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
	cJSON_ArrayForEach(c, v) {
		if (c->string == NULL)
			continue;
		s = schema_find_sub(a, c->string);
		if (s == NULL) {
			if (!members || json_empty(c))
				continue;
			if ((nv = cJSON_Duplicate(c, true)) == NULL ||
			    !obj_put(o, c->string, nv))
				goto nomem;
			continue;
		}
		if (s->mutability == MUT_READ_ONLY && !members)
			continue;
		path_join(sub, sizeof(sub), path, '.', s->name);
		if ((rc = norm_value(s, c, sub, &nv, err)) != SCIM_OK)
			goto fail;
		if (nv == NULL)
			cJSON_DeleteItemFromObjectCaseSensitive(o, s->name);
		else if (!obj_put(o, s->name, nv))
			goto nomem;
	}
	if (o->child == NULL) {
		cJSON_Delete(o);
		return SCIM_OK;
	}
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
norm_single(const struct schema_attr *a, const cJSON *v, const char *path,
    cJSON **out, struct scim_error *err)
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
		return norm_complex(a, v, path, out, err);
	}
	if ((*out = cJSON_Duplicate(v, true)) == NULL)
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
norm_value(const struct schema_attr *a, const cJSON *v, const char *path,
    cJSON **out, struct scim_error *err)
{
	const cJSON	*e;
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
			v = v->child;
			if (json_empty(v))
				return SCIM_OK;
		}
		return norm_single(a, v, path, out, err);
	}

	if ((arr = cJSON_CreateArray()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if (!cJSON_IsArray(v)) {
		if ((rc = norm_single(a, v, path, &nv, err)) != SCIM_OK)
			goto fail;
		if (nv != NULL)
			cJSON_AddItemToArray(arr, nv);
	} else {
		cJSON_ArrayForEach(e, v) {
			if (json_empty(e))
				continue;
			if ((rc = norm_single(a, e, path, &nv, err)) !=
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
    const struct schema_attr *a, const cJSON *c, cJSON *obj,
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
	if ((rc = norm_value(a, c, path, &nv, err)) != SCIM_OK)
		return rc;
	if (nv == NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, a->name);
	else if (!obj_put(obj, a->name, nv))
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
			    bool, struct scim_error *);

/*
 * Handle the top-level key c->string, which starts with "urn:":
 *  - an extension URN of rt: its object is normalised against it;
 *  - the core URN of rt: its object holds more core attributes;
 *  - "<core or extension URN>:<attr>": a URN-qualified attribute;
 *  - another schema known to schema.c (the Group URN on a User): dropped;
 *  - anything else holding a non-empty object: a custom extension, kept
 *    verbatim (Entra does not list its URN in "schemas").
 */
static enum scim_err
norm_urn_key(const struct resource_type *rt, const cJSON *c, cJSON *out,
    struct scim_error *err)
{
	const struct schema		*s;
	const struct schema_attr	*a;
	const char			*key = c->string, *colon;
	cJSON				*eo, *nv;

	if ((s = rt_schema_n(rt, key, strlen(key))) != NULL) {
		if (cJSON_IsNull(c))
			return SCIM_OK;
		if (!cJSON_IsObject(c))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "%s must be a JSON object", s->id);
		if (s == rt->core)
			return norm_object(rt, s, c, out, false, err);
		if ((eo = ext_object(out, s)) == NULL)
			return scim_fail(err, SCIM_E_INTERNAL,
			    "out of memory");
		return norm_object(rt, s, c, eo, false, err);
	}

	if ((colon = strrchr(key, ':')) != NULL &&
	    (s = rt_schema_n(rt, key, (size_t)(colon - key))) != NULL) {
		if ((a = rt_find(rt, s, colon + 1)) == NULL)
			return SCIM_OK;
		if (s == rt->core)
			return norm_member(rt, s, a, c, out, err);
		if ((eo = ext_object(out, s)) == NULL)
			return scim_fail(err, SCIM_E_INTERNAL,
			    "out of memory");
		return norm_member(rt, s, a, c, eo, err);
	}

	if (schema_by_urn(key) != NULL || !cJSON_IsObject(c) ||
	    c->child == NULL)
		return SCIM_OK;
	if ((nv = cJSON_Duplicate(c, true)) == NULL || !obj_put(out, key, nv))
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	return SCIM_OK;
}

/*
 * Normalise the members of client object in against schema s into out.
 * top is true for the resource body itself, where "schemas" and URN keys
 * are meaningful; inside an extension or core-URN object they are not.
 */
static enum scim_err
norm_object(const struct resource_type *rt, const struct schema *s,
    const cJSON *in, cJSON *out, bool top, struct scim_error *err)
{
	const struct schema_attr	*a;
	const cJSON			*c;
	enum scim_err			 rc;

	cJSON_ArrayForEach(c, in) {
		if (c->string == NULL)
			continue;
		if (top && strcasecmp(c->string, "schemas") == 0)
			continue;
		if (top && is_urn(c->string)) {
			if ((rc = norm_urn_key(rt, c, out, err)) != SCIM_OK)
				return rc;
			continue;
		}
		if ((a = rt_find(rt, s, c->string)) == NULL)
			continue;
		if ((rc = norm_member(rt, s, a, c, out, err)) != SCIM_OK)
			return rc;
	}
	return SCIM_OK;
}

/*
 * Check that obj (of schema s) carries every required, writable
 * attribute of s.
 */
static enum scim_err
check_required(const struct schema *s, const cJSON *obj,
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
			    "%s is required", s->attrs[i].name);
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
 */
static enum scim_err
check_name(const cJSON *res, const cJSON *old, const char *attr,
    struct scim_error *err)
{
	const cJSON	*v, *was;
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
	return SCIM_OK;
}

enum scim_err
resource_normalize(const struct resource_type *rt, const cJSON *in,
    cJSON **out, struct scim_error *err)
{
	return resource_normalize_change(rt, in, NULL, out, err);
}

enum scim_err
resource_normalize_change(const struct resource_type *rt, const cJSON *in,
    const cJSON *old, cJSON **out, struct scim_error *err)
{
	cJSON		*res = NULL, *eo;
	size_t		 i;
	enum scim_err	 rc;

	*out = NULL;
	if (!cJSON_IsObject(in))
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "the %s resource must be a JSON object", rt->name);
	if ((res = cJSON_CreateObject()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	if ((rc = norm_object(rt, rt->core, in, res, true, err)) != SCIM_OK)
		goto fail;

	/* Extensions that ended up empty are absent. */
	for (i = 0; rt->ext != NULL && rt->ext[i] != NULL; i++) {
		eo = cJSON_GetObjectItemCaseSensitive(res, rt->ext[i]->id);
		if (eo == NULL)
			continue;
		if (eo->child == NULL) {
			cJSON_DeleteItemFromObjectCaseSensitive(res,
			    rt->ext[i]->id);
			continue;
		}
		if ((rc = check_required(rt->ext[i], eo, err)) != SCIM_OK)
			goto fail;
	}
	if ((rc = check_required(rt->core, res, err)) != SCIM_OK ||
	    (rc = check_name(res, old, "userName", err)) != SCIM_OK ||
	    (rc = check_name(res, old, "displayName", err)) != SCIM_OK)
		goto fail;
	*out = res;
	return SCIM_OK;
fail:
	cJSON_Delete(res);
	return rc;
}

/* --- projection lists (?attributes= and ?excludedAttributes=) --- */

/* One entry of an attributes or excludedAttributes list. */
struct sel {
	const struct schema	*sch;		/* core/extension; NULL: other */
	char			 attr[128];	/* canonical; "": whole schema */
	char			 sub[128];	/* as listed; "": whole attr */
	char			 text[RES_PATH_MAX]; /* entry, for URNs
						   of custom extensions */
};

/* A parsed list. */
struct sel_list {
	struct sel	*v;		/* entries that name something */
	size_t		 n;
	bool		 given;		/* the list was present */
};

enum sel_m {
	SEL_NONE,			/* not listed */
	SEL_PART,			/* some sub-attributes listed */
	SEL_WHOLE			/* listed as a whole */
};

/*
 * Copy the entry s[0..len) into dst (size sz) without surrounding blanks
 * and without any value filter: emails[type eq "work"] becomes "emails",
 * emails[type eq "work"].value becomes "emails.value".  Quotes inside the
 * filter are honoured.  Returns false if the result is empty or too long.
 */
static bool
sel_clean(const char *s, size_t len, char *dst, size_t sz)
{
	size_t	 i, n = 0;
	int	 depth = 0;
	bool	 quoted = false;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	for (i = 0; i < len; i++) {
		if (depth > 0) {
			if (quoted && s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '"')
				quoted = !quoted;
			else if (!quoted && s[i] == '[')
				depth++;
			else if (!quoted && s[i] == ']')
				depth--;
			continue;
		}
		if (s[i] == '[') {
			depth = 1;
			continue;
		}
		if (n + 1 >= sz)
			return false;
		dst[n++] = s[i];
	}
	dst[n] = '\0';
	return n > 0;
}

/*
 * Fill e from "attr" or "attr.sub" against schema s of rt; false when
 * the attribute is unknown (such entries are ignored).  A sub-attribute
 * of a complex attribute need not be known (members keep unknown ones);
 * a sub-attribute of a simple attribute names nothing.
 */
static bool
sel_path(const struct resource_type *rt, const struct schema *s,
    const char *p, struct sel *e)
{
	const struct schema_attr	*a, *sa;
	const char			*dot;
	char				 name[128];
	size_t				 alen;

	dot = strchr(p, '.');
	alen = dot != NULL ? (size_t)(dot - p) : strlen(p);
	if (alen == 0 || alen >= sizeof(name) ||
	    (dot != NULL && strchr(dot + 1, '.') != NULL))
		return false;
	memcpy(name, p, alen);
	name[alen] = '\0';
	if ((a = rt_find(rt, s, name)) == NULL)
		return false;
	e->sch = s;
	snprintf(e->attr, sizeof(e->attr), "%s", a->name);
	if (dot == NULL)
		return true;
	if (a->type != ATTR_COMPLEX || dot[1] == '\0' ||
	    strlen(dot + 1) >= sizeof(e->sub))
		return false;
	sa = schema_find_sub(a, dot + 1);
	snprintf(e->sub, sizeof(e->sub), "%s", sa != NULL ? sa->name :
	    dot + 1);
	return true;
}

/*
 * Parse one entry s[0..len) into e; false when it names nothing this
 * resource type knows (it is then ignored, as RFC 7644 permits).
 * Accepted: attr, attr.sub, <schema URN>, <schema URN>:attr[.sub], and
 * any other URN, kept as text to match custom extension objects.
 */
static bool
sel_entry(const struct resource_type *rt, const char *s, size_t len,
    struct sel *e)
{
	const struct schema	*sch;
	const char		*colon;

	memset(e, 0, sizeof(*e));
	if (!sel_clean(s, len, e->text, sizeof(e->text)))
		return false;
	if (!is_urn(e->text))
		return sel_path(rt, rt->core, e->text, e);
	if ((sch = rt_schema_n(rt, e->text, strlen(e->text))) != NULL) {
		e->sch = sch;
		return true;
	}
	colon = strrchr(e->text, ':');
	sch = rt_schema_n(rt, e->text, (size_t)(colon - e->text));
	if (sch != NULL)
		return sel_path(rt, sch, colon + 1, e);
	/* A schema of another resource type names nothing here. */
	if (schema_by_urn(e->text) != NULL)
		return false;
	return true;
}

/*
 * Parse the comma-separated list text (NULL or blank: not given) into l.
 * Commas inside a value filter's brackets or quotes do not split.
 * Returns false on allocation failure only.
 */
static bool
sel_parse(const struct resource_type *rt, const char *text,
    struct sel_list *l)
{
	const char	*p, *start;
	size_t		 cap = 1;
	int		 depth = 0;
	bool		 quoted = false;

	memset(l, 0, sizeof(*l));
	if (text == NULL)
		return true;
	for (p = text; *p != '\0' && isspace((unsigned char)*p); p++)
		continue;
	if (*p == '\0')
		return true;
	l->given = true;
	for (p = text; *p != '\0'; p++)
		if (*p == ',')
			cap++;
	if ((l->v = calloc(cap, sizeof(*l->v))) == NULL)
		return false;
	for (start = p = text;; p++) {
		if (*p == '\\' && quoted && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"' && depth > 0)
			quoted = !quoted;
		else if (!quoted && *p == '[')
			depth++;
		else if (!quoted && *p == ']' && depth > 0)
			depth--;
		if (*p != '\0' && (*p != ',' || depth > 0 || quoted))
			continue;
		if (l->n < cap && sel_entry(rt, start, (size_t)(p - start),
		    &l->v[l->n]))
			l->n++;
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return true;
}

static void
sel_free(struct sel_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* How does l list attribute attr of schema sch? */
static enum sel_m
sel_match(const struct sel_list *l, const struct schema *sch,
    const char *attr)
{
	enum sel_m	 m = SEL_NONE;
	size_t		 i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].sch != sch || sch == NULL)
			continue;
		if (l->v[i].attr[0] == '\0')
			return SEL_WHOLE;
		if (strcasecmp(l->v[i].attr, attr) != 0)
			continue;
		if (l->v[i].sub[0] == '\0')
			return SEL_WHOLE;
		m = SEL_PART;
	}
	return m;
}

/* Does l list sub-attribute sub of attr (schema sch) by name? */
static bool
sel_sub(const struct sel_list *l, const struct schema *sch,
    const char *attr, const char *sub)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].sch == sch && sch != NULL &&
		    strcasecmp(l->v[i].attr, attr) == 0 &&
		    strcasecmp(l->v[i].sub, sub) == 0)
			return true;
	return false;
}

/*
 * How does l list the custom extension object urn (key NULL) or its
 * member key?  "urn" and "urn:key" are whole; "urn:key.sub" is partial,
 * as is "urn:other" when asking about the object.
 */
static enum sel_m
sel_custom(const struct sel_list *l, const char *urn, const char *key)
{
	const char	*t;
	enum sel_m	 m = SEL_NONE;
	size_t		 i, ulen = strlen(urn), klen;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].sch != NULL)
			continue;
		t = l->v[i].text;
		if (strcasecmp(t, urn) == 0)
			return SEL_WHOLE;
		if (strncasecmp(t, urn, ulen) != 0 || t[ulen] != ':')
			continue;
		t += ulen + 1;
		if (key == NULL) {
			m = SEL_PART;
			continue;
		}
		klen = strlen(key);
		if (strncasecmp(t, key, klen) != 0)
			continue;
		if (t[klen] == '\0')
			return SEL_WHOLE;
		if (t[klen] == '.')
			m = SEL_PART;
	}
	return m;
}

/* --- rendering --- */

/*
 * Is attribute a of schema sch shown under the lists inc
 * (?attributes=) and exc (?excludedAttributes=)?  Returns SEL_NONE,
 * SEL_WHOLE, or SEL_PART when only some sub-attributes are (then
 * *mi and *me say which list restricts them).
 */
static enum sel_m
attr_visible(const struct schema *sch, const struct schema_attr *a,
    const struct sel_list *inc, const struct sel_list *exc,
    enum sel_m *mi, enum sel_m *me)
{
	*mi = SEL_WHOLE;
	*me = SEL_NONE;
	if (a == &schema_attr_id || a->returned == RET_ALWAYS)
		return SEL_WHOLE;
	if (a->returned == RET_NEVER)
		return SEL_NONE;
	if (inc->given) {
		if ((*mi = sel_match(inc, sch, a->name)) == SEL_NONE)
			return SEL_NONE;
	} else if (a->returned == RET_REQUEST)
		return SEL_NONE;
	if (exc->given && (*me = sel_match(exc, sch, a->name)) == SEL_WHOLE)
		return SEL_NONE;
	return *mi == SEL_PART || *me == SEL_PART ? SEL_PART : SEL_WHOLE;
}

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
    const cJSON *c, const struct sel_list *inc, const struct sel_list *exc)
{
	const struct schema_attr	*s;

	if (c->string == NULL || cJSON_IsNull(c))
		return false;
	s = schema_find_sub(a, c->string);
	if (s != NULL && s->returned == RET_NEVER)
		return false;
	if (s == NULL || s->returned != RET_ALWAYS) {
		if (inc != NULL && !sel_sub(inc, sch, a->name, c->string))
			return false;
		if (s != NULL && s->returned == RET_REQUEST && inc == NULL)
			return false;
		if (exc != NULL && sel_sub(exc, sch, a->name, c->string))
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
    cJSON *v, const struct sel_list *inc, const struct sel_list *exc)
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
    const cJSON *v, const struct sel_list *inc, const struct sel_list *exc)
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
    const cJSON *v, const struct sel_list *inc, const struct sel_list *exc,
    bool *omit)
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
    cJSON *v, const struct sel_list *inc, const struct sel_list *exc,
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
static bool
render_attr(cJSON *out, const struct schema *sch,
    const struct schema_attr *a, cJSON *src, cJSON *v,
    const struct sel_list *inc, const struct sel_list *exc)
{
	const struct sel_list	*pi, *pe;
	cJSON			*nv;
	enum sel_m		 mi, me;
	bool			 omit = false;

	if (v == NULL || cJSON_IsNull(v) ||
	    cJSON_GetObjectItemCaseSensitive(out, a->name) != NULL)
		return true;
	if (attr_visible(sch, a, inc, exc, &mi, &me) == SEL_NONE)
		return true;

	pi = mi == SEL_PART ? inc : NULL;
	pe = me == SEL_PART ? exc : NULL;
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
		return obj_put_own(out, a->name, v, true);
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
	return obj_put(out, a->name, nv);
}

/*
 * Render the custom extension object v stored under urn into out (and
 * its URN into schemas) as the lists allow.  Its members are not in any
 * schema table, so they are selected by name only.
 */
static bool
render_custom(cJSON *out, cJSON *schemas, const char *urn, cJSON *src,
    cJSON *v, const struct sel_list *inc, const struct sel_list *exc)
{
	const cJSON	*c;
	cJSON		*o, *nv, *s, *e, *next;
	enum sel_m	 mi = SEL_WHOLE, me = SEL_NONE;

	if (inc->given && (mi = sel_custom(inc, urn, NULL)) == SEL_NONE)
		return true;
	if (exc->given && (me = sel_custom(exc, urn, NULL)) == SEL_WHOLE)
		return true;
	if (src != NULL) {
		/* Moved, not copied: v's members not shown are deleted. */
		cJSON_DetachItemViaPointer(src, v);
		for (e = v->child; e != NULL; e = next) {
			next = e->next;
			if (e->string != NULL && !(mi == SEL_PART &&
			    sel_custom(inc, urn, e->string) == SEL_NONE) &&
			    !(me == SEL_PART &&
			    sel_custom(exc, urn, e->string) == SEL_WHOLE))
				continue;
			cJSON_Delete(cJSON_DetachItemViaPointer(v, e));
		}
		if (v->child == NULL) {
			cJSON_Delete(v);
			return true;
		}
		if (!obj_put_own(out, urn, v, false) ||
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
		if (mi == SEL_PART && sel_custom(inc, urn, c->string) ==
		    SEL_NONE)
			continue;
		if (me == SEL_PART && sel_custom(exc, urn, c->string) ==
		    SEL_WHOLE)
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
	/* obj_put() owns o from here, whatever it returns. */
	if (!obj_put(out, urn, o) || (s = cJSON_CreateString(urn)) == NULL)
		return false;
	cJSON_AddItemToArray(schemas, s);
	return true;
nomem:
	cJSON_Delete(o);
	return false;
}

/*
 * base + endpoint + "/" + id (a trailing '/' on base is not doubled), a
 * new string; NULL when base or id is missing or memory is short.
 */
static char *
location_of(const struct resource_type *rt, const char *id, const char *base)
{
	char		*url;
	size_t		 blen, sz;

	if (base == NULL || id == NULL)
		return NULL;
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	sz = blen + strlen(rt->endpoint) + 1 + strlen(id) + 1;
	if ((url = malloc(sz)) != NULL)
		snprintf(url, sz, "%.*s%s/%s", (int)blen, base, rt->endpoint,
		    id);
	return url;
}

static char *
meta_location(const struct resource_type *rt, const cJSON *res,
    const char *base)
{
	const cJSON	*id = cJSON_GetObjectItemCaseSensitive(res, "id");

	return location_of(rt, cJSON_IsString(id) ? id->valuestring : NULL,
	    base);
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
	if (loc == NULL || !obj_put(m, "location", loc)) {
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
		if (!obj_put(res, "meta", meta))
			return NULL;
	}
	if ((url = meta_location(rt, res, base)) == NULL)
		return meta;
	loc = cJSON_CreateString(url);
	free(url);
	if (loc == NULL || !obj_put(meta, "location", loc))
		return NULL;
	return meta;
}

/* Is key the URN of a custom extension object, not of any schema? */
static bool
is_custom_urn(const struct resource_type *rt, const cJSON *c)
{
	return c->string != NULL && is_urn(c->string) &&
	    cJSON_IsObject(c) &&
	    rt_schema_n(rt, c->string, strlen(c->string)) == NULL &&
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

/*
 * resource_render() on res, or with take on res itself: the answer is
 * built from res's own members, moved instead of copied, and res is left
 * with what was not shown (the caller still deletes it).
 */
static cJSON *
render(const struct resource_type *rt, cJSON *res, bool take,
    const char *base, const char *attributes, const char *excluded)
{
	static const struct schema_attr	*const head[] = {
		&schema_attr_id, &schema_attr_external_id
	};
	const struct schema		*ext;
	const struct schema_attr	*a, *backref = NULL;
	cJSON				*ev, *c, *next, *src;
	cJSON				*out = NULL, *schemas, *eo, *meta = NULL,
					*s;
	struct sel_list			 inc, exc;
	size_t				 i, j;
	bool				 ok = false;

	memset(&exc, 0, sizeof(exc));
	if (!sel_parse(rt, attributes, &inc) ||
	    !sel_parse(rt, excluded, &exc))
		goto cleanup;
	/* meta.location needs the id, which moves to out first. */
	if (take && (meta = meta_take(rt, res, base)) == NULL)
		goto cleanup;
	src = take ? res : NULL;
	if ((out = cJSON_CreateObject()) == NULL ||
	    (schemas = cJSON_AddArrayToObject(out, "schemas")) == NULL ||
	    (s = cJSON_CreateString(rt->core->id)) == NULL)
		goto cleanup;
	cJSON_AddItemToArray(schemas, s);

	for (i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		if (!render_attr(out, rt->core, head[i], src,
		    get_ci(res, head[i]->name), &inc, &exc))
			goto cleanup;
	for (i = 0; i < rt->core->nattrs; i++) {
		a = &rt->core->attrs[i];
		if (strcmp(a->name, "meta") == 0)
			continue;
		if (rt->backref != NULL && strcmp(a->name, rt->backref) == 0) {
			backref = a;
			continue;
		}
		if (!render_attr(out, rt->core, a, src, get_ci(res, a->name),
		    &inc, &exc))
			goto cleanup;
	}

	for (i = 0; rt->ext != NULL && (ext = rt->ext[i]) != NULL; i++) {
		ev = get_ci(res, ext->id);
		if (!cJSON_IsObject(ev))
			continue;
		if ((eo = cJSON_CreateObject()) == NULL)
			goto cleanup;
		for (j = 0; j < ext->nattrs; j++)
			if (!render_attr(eo, ext, &ext->attrs[j],
			    take ? ev : NULL,
			    get_ci(ev, ext->attrs[j].name), &inc,
			    &exc)) {
				cJSON_Delete(eo);
				goto cleanup;
			}
		if (eo->child == NULL) {
			cJSON_Delete(eo);
			continue;
		}
		if (!obj_put(out, ext->id, eo) ||
		    (s = cJSON_CreateString(ext->id)) == NULL)
			goto cleanup;
		cJSON_AddItemToArray(schemas, s);
	}
	for (c = res->child; c != NULL; c = next) {
		next = c->next;
		if (is_custom_urn(rt, c) &&
		    !render_custom(out, schemas, c->string, src, c, &inc,
		    &exc))
			goto cleanup;
	}
	/* Last before meta: see resource_answer(). */
	if (backref != NULL && !render_attr(out, rt->core, backref, src,
	    get_ci(res, backref->name), &inc, &exc))
		goto cleanup;

	if (take) {
		if (meta->child != NULL && !render_attr(out, rt->core,
		    &schema_attr_meta, res, meta, &inc, &exc))
			goto cleanup;
		meta = NULL;		/* res's own */
	} else {
		if ((meta = meta_copy(rt, res, base)) == NULL)
			goto cleanup;
		if (meta->child != NULL && !render_attr(out, rt->core,
		    &schema_attr_meta, NULL, meta, &inc, &exc))
			goto cleanup;
	}
	ok = true;
cleanup:
	if (!take)
		cJSON_Delete(meta);
	sel_free(&inc);
	sel_free(&exc);
	if (!ok) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}

cJSON *
resource_render(const struct resource_type *rt, const cJSON *res,
    const char *base, const char *attributes, const char *excluded)
{
	/* Without take, render() only reads res. */
	return render(rt, (cJSON *)res, false, base, attributes, excluded);
}

cJSON *
resource_render_take(const struct resource_type *rt, cJSON *res,
    const char *base, const char *attributes, const char *excluded)
{
	cJSON	*out;

	if (res == NULL)
		return NULL;
	out = render(rt, res, true, base, attributes, excluded);
	cJSON_Delete(res);
	return out;
}

/* Is every member of o an empty object (what rendering left of it)? */
static bool
all_shown(const cJSON *o)
{
	const cJSON	*c;

	for (c = o->child; c != NULL; c = c->next)
		if (!(cJSON_IsObject(c) && c->child == NULL) &&
		    !cJSON_IsNull(c))
			return false;
	return true;
}

/* Move what rendering left in src (not shown) into out, merging objects. */
static void
keep_rest(cJSON *out, cJSON *src)
{
	cJSON	*c, *d, *have;

	while ((c = src->child) != NULL) {
		cJSON_DetachItemViaPointer(src, c);
		have = c->string != NULL ?
		    cJSON_GetObjectItemCaseSensitive(out, c->string) : NULL;
		if (cJSON_IsObject(c) && c->child == NULL)
			cJSON_Delete(c);
		else if (cJSON_IsObject(have) && cJSON_IsObject(c)) {
			while ((d = c->child) != NULL)
				cJSON_AddItemToArray(have,
				    cJSON_DetachItemViaPointer(c, d));
			cJSON_Delete(c);
		} else
			cJSON_AddItemToArray(out, c);	/* keeps c->string */
	}
}

cJSON *
resource_stored(const struct resource_type *rt, cJSON *res)
{
	cJSON	*out, *meta;

	if (res == NULL)
		return NULL;
	if (rt->backref != NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(res, rt->backref);
	cJSON_DeleteItemFromObjectCaseSensitive(res, "schemas");
	if ((out = render(rt, res, true, NULL, NULL, NULL)) != NULL) {
		/* render() gave res an empty meta if it had none. */
		meta = cJSON_GetObjectItemCaseSensitive(res, "meta");
		if (cJSON_IsObject(meta) && meta->child == NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(res, meta));
		if (!all_shown(res)) {
			/* A plain record: no "schemas" to say it is shown. */
			cJSON_DeleteItemFromObjectCaseSensitive(out,
			    "schemas");
			keep_rest(out, res);
		}
	}
	cJSON_Delete(res);
	return out;
}

bool
resource_set_id(cJSON *res, const char *id)
{
	cJSON	*idv, *after = NULL;

	cJSON_DeleteItemFromObjectCaseSensitive(res, "id");
	if ((idv = cJSON_CreateString(id)) == NULL)
		return false;
	if ((idv->string = strdup("id")) == NULL) {
		cJSON_Delete(idv);
		return false;
	}
	/* cJSON_InsertItemInArray() takes arrays only (Debian's cJSON). */
	if (res->child != NULL && res->child->string != NULL &&
	    strcmp(res->child->string, "schemas") == 0)
		after = res->child;
	if (res->child == NULL) {
		idv->prev = idv;
		res->child = idv;
	} else if (after == NULL) {
		idv->next = res->child;
		idv->prev = res->child->prev;
		res->child->prev = idv;
		res->child = idv;
	} else {
		idv->prev = after;
		idv->next = after->next;
		if (after->next != NULL)
			after->next->prev = idv;
		else
			res->child->prev = idv;	/* the new last member */
		after->next = idv;
	}
	return true;
}

static const char	shown_head[] = "{\"schemas\":[";
static const char	meta_key[] = ",\"meta\":{";

bool
resource_answerable(const char *text, size_t len)
{
	return len > sizeof(shown_head) + sizeof(meta_key) &&
	    memcmp(text, shown_head, sizeof(shown_head) - 1) == 0 &&
	    text[len - 2] == '}' && text[len - 1] == '}';
}

/* The JSON string for s (quoted, escaped), a new string; NULL: no memory. */
static char *
json_string(const char *s)
{
	cJSON	*v;
	char	*out;

	if ((v = cJSON_CreateString(s)) == NULL)
		return NULL;
	out = cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	return out;
}

char *
resource_answer(const struct resource_type *rt, const char *text,
    size_t len, const char *id, cJSON *backref, const char *base,
    char **version)
{
	static const struct sel_list	 none;
	const size_t			 klen = sizeof(meta_key) - 1;
	const struct schema_attr	*a;
	static const char		 ver_key[] = "\"version\":";
	static const char		 loc_key[] = "\"location\":";
	const char			*p, *mt, *vs;
	cJSON				*tail = NULL, *hold = NULL, *ver = NULL;
	char				*url = NULL, *loc = NULL, *tt = NULL;
	char				*out = NULL, *o;
	cJSON				*given = backref;
	size_t				 head, mlen, tlen = 0, llen = 0;

	*version = NULL;
	if (!resource_answerable(text, len))
		goto out;
	/* meta is the last member and holds no object: find it from the end. */
	for (p = text + len - 2 - klen; p > text; p--)
		if (*p == ',' && memcmp(p, meta_key, klen) == 0)
			break;
	if (p == text)
		goto out;
	head = (size_t)(p - text);
	mt = p + klen - 1;			/* meta's own text, "{...}" */
	mlen = len - 1 - (head + klen - 1);
	/*
	 * Rendered, meta would be these very members (stored without a
	 * location) with "location" last, so its text is kept and the
	 * location put in.  Its members are the handlers' (resourceType,
	 * created, lastModified, version: strings, no objects), so a key is
	 * found by its quoted name and colon, which no string can hold
	 * unescaped; cJSON decodes the version's value.
	 */
	if (mlen < 3 || memmem(mt, mlen, loc_key, sizeof(loc_key) - 1) != NULL)
		goto out;
	if ((p = memmem(mt, mlen, ver_key, sizeof(ver_key) - 1)) != NULL) {
		vs = p + sizeof(ver_key) - 1;
		ver = cJSON_ParseWithLengthOpts(vs, (size_t)(mt + mlen - vs),
		    NULL, false);
		if (!cJSON_IsString(ver) ||
		    (*version = strdup(ver->valuestring)) == NULL)
			goto out;
	}
	p = text + head;
	if ((url = location_of(rt, id, base)) != NULL) {
		if ((loc = json_string(url)) == NULL)
			goto out;
		llen = strlen(loc);
	}
	/* The back-reference, rendered as render() would. */
	if (backref != NULL) {
		if (rt->backref == NULL ||
		    (a = schema_find(rt->core, rt->backref)) == NULL ||
		    (tail = cJSON_CreateObject()) == NULL ||
		    (hold = cJSON_CreateObject()) == NULL)
			goto out;
		cJSON_AddItemToObject(hold, rt->backref, backref);
		if (!render_attr(tail, rt->core, a, hold,
		    cJSON_GetObjectItemCaseSensitive(hold, rt->backref), &none,
		    &none))
			goto out;
		if (tail->child != NULL &&
		    (tt = cJSON_PrintUnformatted(tail)) == NULL)
			goto out;
		tlen = tt != NULL ? strlen(tt) : 0;
	}
	/* text to meta, ","backref, ,"meta":{members,"location":url}} */
	if ((out = malloc(head + tlen + klen + mlen + 12 + llen + 3)) == NULL)
		goto out;
	memcpy(out, text, head);
	o = out + head;
	if (tt != NULL) {
		*o++ = ',';
		memcpy(o, tt + 1, tlen - 2);		/* without { } */
		o += tlen - 2;
	}
	memcpy(o, p, klen - 1 + mlen - 1);		/* ,"meta":{members */
	o += klen - 1 + mlen - 1;
	if (loc != NULL) {
		memcpy(o, ",\"location\":", 12);
		o += 12;
		memcpy(o, loc, llen);
		o += llen;
	}
	memcpy(o, "}}", 3);
	given = NULL;			/* taken: hold or tail has it */
out:
	if (out == NULL) {
		free(*version);
		*version = NULL;
	}
	/* No answer: the caller keeps its back-reference. */
	if (given != NULL) {
		if (hold != NULL && given == cJSON_GetObjectItemCaseSensitive(
		    hold, rt->backref))
			cJSON_DetachItemViaPointer(hold, given);
		else if (tail != NULL && given ==
		    cJSON_GetObjectItemCaseSensitive(tail, rt->backref))
			cJSON_DetachItemViaPointer(tail, given);
	}
	cJSON_Delete(hold);
	cJSON_Delete(tail);
	cJSON_Delete(ver);
	free(url);
	free(loc);
	free(tt);
	return out;
}

int
resource_wants(const struct resource_type *rt, const char *attr,
    const char *attributes, const char *excluded)
{
	const struct schema		*sch = rt->core;
	const struct schema_attr	*a;
	struct sel_list			 inc, exc;
	enum sel_m			 mi, me;
	size_t				 i;
	int				 wants = 1;

	memset(&exc, 0, sizeof(exc));
	/* When memory is short, say yes: loading too much is harmless. */
	if (!sel_parse(rt, attributes, &inc) ||
	    !sel_parse(rt, excluded, &exc))
		goto cleanup;
	a = rt_find(rt, sch, attr);
	for (i = 0; a == NULL && rt->ext != NULL && rt->ext[i] != NULL; i++)
		if ((a = schema_find(rt->ext[i], attr)) != NULL)
			sch = rt->ext[i];
	if (a == NULL)
		wants = !inc.given;
	else
		wants = attr_visible(sch, a, &inc, &exc, &mi, &me) !=
		    SEL_NONE;
cleanup:
	sel_free(&inc);
	sel_free(&exc);
	return wants;
}
