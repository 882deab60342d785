/*
 * The PATCH engine (RFC 7644 section 3.5.2): apply a PatchOp body to a
 * stored resource in place, with the tolerance Microsoft Entra ID needs
 * (patch.h lists the shapes; shared/reference/entra-scim.md sections
 * 1.4-1.8 says where each comes from).
 *
 * Each operation's path is parsed with schema_resolve() for the part
 * outside brackets and filter_parse_sub() for a value filter, then an
 * optional ".sub".  Its value is coerced to the schema (canonical
 * sub-attribute names, "True"/"False" strings to booleans, a bare id to
 * {"value": id}), and it is applied to one of three kinds of target: a
 * whole attribute (op_whole), a sub-attribute of a complex attribute
 * (op_sub), or the values a filter selects (op_filtered).  A pathless
 * add or replace is a list of such paths: each key of its value object
 * is applied as if it were the path of an operation of its own.
 *
 * Deliberate leniencies, each for a client seen in the field:
 *  - attributes the schema does not know, under the core schema or a
 *    known extension, are ignored silently: Entra sends whatever the
 *    tenant admin mapped, and a 400 would fail that user on every cycle.
 *    Attributes under an unknown "urn:" are applied as sent (custom
 *    extensions, which resource_normalize() keeps too);
 *  - "path": "" or null is taken as no path;
 *  - add or replace on attr[filter].sub that matches nothing creates the
 *    value from the filter's "eq" terms, for replace as well as add
 *    (Entra's default mapping replaces emails[type eq "work"].value on a
 *    user that has no work email);
 *  - a readOnly attribute set to the value it already has is a no-op
 *    (clients echo "id" in pathless replaces);
 *  - null or "" clears; clearing what is absent is a no-op;
 *  - remove "members" with a "value" list removes only the listed values
 *    (Entra's default member removal; RFC-literal servers emptied whole
 *    groups), and matching nothing there is a no-op;
 *  - a bare string given for the manager or a member means
 *    {"value": string}, and an array given for a single-valued complex
 *    attribute (the legacy manager shape) means its first element;
 *  - an unqualified name the core schema lacks resolves in the
 *    extensions ("path": "manager", Entra's legacy manager mapping);
 *  - remove "manager" with a value removes it only when the value names
 *    the current manager;
 *  - an element added to a multi-valued attribute that has the same
 *    "value" and "type" as one already there is merged into it rather
 *    than appended (RFC 7644 section 3.5.2.1: no duplicates).
 *
 * Nothing here is quadratic in the size of a multi-valued attribute:
 * duplicate detection and listed removal hash each value, so a 1 MiB
 * body of members cannot stall a worker.
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

#include "base/error.h"
#include "scim/filter.h"
#include "scim/patch.h"
#include "scim/resource.h"
#include "scim/schema.h"

/* Longest path accepted: a qualified attribute, a filter and a sub. */
#define PATCH_PATH_MAX	(FILTER_MAX_LEN + 1024)

/* Deepest nesting of schema-URN objects inside a pathless value. */
#define PATCH_MAX_NEST	4

#define FNV_SEED	14695981039346656037ULL
#define FNV_PRIME	1099511628211ULL

/* What the operations of one request share. */
struct pctx {
	const struct resource_type	*rt;
	cJSON				*res;	/* being patched */
	const struct patch_hook		*hook;	/* or NULL */
	struct scim_error		*err;	/* or NULL */
	int				 nest;	/* pathless depth */
};

/* A parsed "path": attribute, value filter, sub-attribute. */
struct ppath {
	struct schema_path	 sp;	/* attr, and the sub after '.' */
	struct filter		*vf;	/* value filter, or NULL */
	const char		*ftext;	/* the filter text inside [] */
	size_t			 flen;	/* its length */
};

/* A hash set of the values of a multi-valued attribute. */
struct eslot {
	uint64_t	 h;		/* elem_hash() of e */
	cJSON		*e;		/* NULL: slot free */
};

struct etab {
	struct eslot	*slot;
	size_t		 mask;		/* slots - 1; slots: 2^k */
	size_t		 n;		/* slots used */
};

static enum scim_err	apply_path(struct pctx *, enum patch_op,
			    const char *, const cJSON *);
static enum scim_err	apply_pathless(struct pctx *, enum patch_op,
			    const cJSON *);

/* Does v clear its target: JSON null or ""? */
static bool
is_clear(const cJSON *v)
{
	return cJSON_IsNull(v) || (cJSON_IsString(v) &&
	    (v->valuestring == NULL || v->valuestring[0] == '\0'));
}

static bool
is_empty_array(const cJSON *v)
{
	return cJSON_IsArray(v) && v->child == NULL;
}

/* Is e a value whose "primary" sub-attribute is true? */
static bool
is_primary(const cJSON *e)
{
	return cJSON_IsObject(e) &&
	    cJSON_IsTrue(cJSON_GetObjectItem(e, "primary"));
}

/*
 * Are x and y the same value of attribute or sub-attribute def (NULL:
 * unknown)?  Strings honour caseExact; anything else compares deeply.
 */
static bool
same_value(const struct schema_attr *def, const cJSON *x, const cJSON *y)
{
	if (cJSON_IsString(x) && cJSON_IsString(y) &&
	    x->valuestring != NULL && y->valuestring != NULL) {
		if (def != NULL && !def->case_exact)
			return strcasecmp(x->valuestring, y->valuestring) == 0;
		return strcmp(x->valuestring, y->valuestring) == 0;
	}
	return cJSON_Compare(x, y, true);
}

/*
 * Set obj[name] = nv, replacing a member of that name in any case and
 * spelling the key as name.  nv is consumed, even on failure.  def (may
 * be NULL) defines the member: an immutable one may only be set when it
 * is absent or to the value it already has.
 */
static enum scim_err
set_member(struct pctx *c, cJSON *obj, const char *name,
    const struct schema_attr *def, cJSON *nv)
{
	cJSON	*old;

	old = cJSON_GetObjectItem(obj, name);
	if (old != NULL && def != NULL && def->mutability == MUT_IMMUTABLE &&
	    !same_value(def, old, nv)) {
		cJSON_Delete(nv);
		return scim_fail(c->err, SCIM_E_MUTABILITY,
		    "\"%s\" is immutable and already has a value", name);
	}
	if (old != NULL ? !cJSON_ReplaceItemInObject(obj, name, nv) :
	    !cJSON_AddItemToObject(obj, name, nv)) {
		cJSON_Delete(nv);
		return scim_oom(c->err);
	}
	return SCIM_OK;
}

/* Delete obj[name] (any case) unless def says it is immutable. */
static enum scim_err
del_member(struct pctx *c, cJSON *obj, const char *name,
    const struct schema_attr *def)
{
	cJSON	*old;

	if ((old = cJSON_GetObjectItem(obj, name)) == NULL)
		return SCIM_OK;
	if (def != NULL && def->mutability == MUT_IMMUTABLE)
		return scim_fail(c->err, SCIM_E_MUTABILITY,
		    "\"%s\" is immutable and cannot be removed", name);
	cJSON_Delete(cJSON_DetachItemViaPointer(obj, old));
	return SCIM_OK;
}

/* Delete the members of obj whose value is JSON null. */
static void
strip_nulls(cJSON *obj)
{
	cJSON	*k, *next;

	if (!cJSON_IsObject(obj))
		return;
	for (k = obj->child; k != NULL; k = next) {
		next = k->next;
		if (cJSON_IsNull(k))
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, k));
	}
}

/* Delete cont[name] when it is an empty object or array. */
static void
tidy(cJSON *cont, const char *name)
{
	cJSON	*v;

	if (cont == NULL || (v = cJSON_GetObjectItem(cont, name)) == NULL)
		return;
	if ((cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child == NULL)
		cJSON_Delete(cJSON_DetachItemViaPointer(cont, v));
}

/*
 * Does the value e of complex attribute a (NULL: unknown) say nothing
 * any more, now that sub-attributes were cleared from it?  A value of an
 * attribute with a "value" sub-attribute is hollow without it (a manager
 * with only "$ref", an email with only "type"); any other is hollow when
 * nothing but "type" and "primary" is left.
 */
static bool
is_hollow(const struct schema_attr *a, const cJSON *e)
{
	const cJSON	*k;

	if (!cJSON_IsObject(e))
		return false;
	if (a == NULL)
		return e->child == NULL;
	if (schema_find_sub(a, "value") != NULL)
		return cJSON_GetObjectItem(e, "value") == NULL;
	cJSON_ArrayForEach(k, e)
		if (k->string == NULL || (strcasecmp(k->string, "type") != 0 &&
		    strcasecmp(k->string, "primary") != 0))
			return false;
	return true;
}

/* Set "primary" false on every value of arr but keep. */
static void
primary_only(cJSON *arr, const cJSON *keep)
{
	cJSON	*e, *p;

	cJSON_ArrayForEach(e, arr) {
		if (e == keep || !cJSON_IsObject(e))
			continue;
		p = cJSON_GetObjectItem(e, "primary");
		if (cJSON_IsTrue(p))
			p->type = (p->type & ~0xFF) | cJSON_False;
	}
}

/*
 * Return cont[name] as an array, creating it (or wrapping a stray
 * single object into one) when needed; NULL when out of memory.
 */
static cJSON *
ensure_array(cJSON *cont, const char *name)
{
	cJSON	*cur, *arr;

	cur = cJSON_GetObjectItem(cont, name);
	if (cJSON_IsArray(cur))
		return cur;
	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	if (cur != NULL) {
		cur = cJSON_DetachItemViaPointer(cont, cur);
		if (cJSON_IsObject(cur))
			cJSON_AddItemToArray(arr, cur);
		else
			cJSON_Delete(cur);
	}
	if (!cJSON_AddItemToObject(cont, name, arr)) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

/* --- value coercion --- */

/*
 * Coerce v to the simple type of def (a non-complex attribute or
 * sub-attribute) into a new *out: strings stay strings, booleans accept
 * "true"/"false" strings in any case, numbers must be numbers.  Returns
 * SCIM_E_INVALID_VALUE for a wrong JSON type; err may be NULL.
 */
static enum scim_err
coerce_simple(const struct schema_attr *def, const cJSON *v, cJSON **out,
    struct scim_error *err)
{
	int	 b;

	*out = NULL;
	switch (def->type) {
	case ATTR_BOOLEAN:
		if (!resource_bool(v, &b))
			goto bad;
		*out = cJSON_CreateBool(b);
		break;
	case ATTR_INTEGER:
		if (!cJSON_IsNumber(v) || !(v->valuedouble > -9.0e18 &&
		    v->valuedouble < 9.0e18) ||
		    v->valuedouble != (double)(long long)v->valuedouble)
			goto bad;
		*out = cJSON_Duplicate(v, false);
		break;
	case ATTR_DECIMAL:
		if (!cJSON_IsNumber(v))
			goto bad;
		*out = cJSON_Duplicate(v, false);
		break;
	case ATTR_COMPLEX:
		goto bad;
	default:
		if (!cJSON_IsString(v) || v->valuestring == NULL)
			goto bad;
		*out = cJSON_CreateString(v->valuestring);
		break;
	}
	if (*out == NULL)
		return scim_oom(err);
	return SCIM_OK;
bad:
	return scim_fail(err, SCIM_E_INVALID_VALUE, "\"%s\" must be a %s",
	    def->name, attr_type_name(def->type));
}

/*
 * Coerce v to one value of complex attribute a into a new object *out:
 * sub-attribute names made canonical, readOnly and unknown ones dropped
 * (RFC 7644 section 3.3 lets a server ignore them; members keep unknown
 * ones), each other one coerced to its type, and null or "" kept as JSON
 * null so that a merge deletes that sub-attribute.  A bare string is
 * {"value": string} for the manager and members.
 */
static enum scim_err
coerce_complex(const struct schema_attr *a, const cJSON *v, cJSON **out,
    struct scim_error *err)
{
	const struct schema_attr	*s;
	const cJSON			*k;
	cJSON				*o, *nv;
	const char			*name;
	enum scim_err			 rc;

	*out = NULL;
	if ((o = cJSON_CreateObject()) == NULL)
		return scim_oom(err);
	if (cJSON_IsString(v) && schema_takes_bare_value(a)) {
		s = schema_find_sub(a, "value");
		if ((rc = coerce_simple(s, v, &nv, err)) != SCIM_OK)
			goto fail;
		if (!cJSON_AddItemToObject(o, s->name, nv)) {
			cJSON_Delete(nv);
			goto nomem;
		}
		*out = o;
		return SCIM_OK;
	}
	if (!cJSON_IsObject(v)) {
		rc = scim_fail(err, SCIM_E_INVALID_VALUE,
		    "\"%s\" must be a complex value (a JSON object)", a->name);
		goto fail;
	}
	cJSON_ArrayForEach(k, v) {
		if (k->string == NULL)
			continue;
		s = schema_find_sub(a, k->string);
		if (s == NULL && !schema_keeps_unknown_subs(a))
			continue;
		if (s != NULL && s->mutability == MUT_READ_ONLY)
			continue;
		name = s != NULL ? s->name : k->string;
		if (is_clear(k))
			nv = cJSON_CreateNull();
		else if (s == NULL)
			nv = cJSON_Duplicate(k, true);
		else if ((rc = coerce_simple(s, k, &nv, err)) != SCIM_OK)
			goto fail;
		if (nv == NULL)
			goto nomem;
		/* The last of several spellings of one name wins. */
		cJSON_DeleteItemFromObject(o, name);
		if (!cJSON_AddItemToObject(o, name, nv)) {
			cJSON_Delete(nv);
			goto nomem;
		}
	}
	*out = o;
	return SCIM_OK;
nomem:
	rc = scim_oom(err);
fail:
	cJSON_Delete(o);
	return rc;
}

/*
 * Coerce v to one value of attribute a (for a multi-valued attribute,
 * one element) into a new *out; a NULL a (unknown extension) copies v.
 */
static enum scim_err
coerce_elem(const struct schema_attr *a, const cJSON *v, cJSON **out,
    struct scim_error *err)
{
	if (a == NULL) {
		if ((*out = cJSON_Duplicate(v, true)) == NULL)
			return scim_oom(err);
		return SCIM_OK;
	}
	if (a->type == ATTR_COMPLEX)
		return coerce_complex(a, v, out, err);
	return coerce_simple(a, v, out, err);
}

/*
 * Coerce v (an array, or one value) to a new array *out of values of
 * multi-valued attribute a (NULL: unknown): null and "" elements are
 * skipped, so are elements that reduce to nothing.
 */
static enum scim_err
coerce_multi(const struct schema_attr *a, const cJSON *v, cJSON **out,
    struct scim_error *err)
{
	const cJSON	*e, *one;
	cJSON		*arr, *nv;
	enum scim_err	 rc = SCIM_OK;

	*out = NULL;
	if ((arr = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	one = cJSON_IsArray(v) ? v->child : v;
	for (e = one; e != NULL; e = cJSON_IsArray(v) ? e->next : NULL) {
		if (is_clear(e))
			continue;
		if ((rc = coerce_elem(a, e, &nv, err)) != SCIM_OK)
			goto fail;
		if (a != NULL)
			strip_nulls(nv);
		if (a != NULL && cJSON_IsObject(nv) && nv->child == NULL) {
			cJSON_Delete(nv);
			continue;
		}
		cJSON_AddItemToArray(arr, nv);
	}
	*out = arr;
	return SCIM_OK;
fail:
	cJSON_Delete(arr);
	return rc;
}

/* --- hashing values of multi-valued attributes --- */

/* FNV-1a of s folded to lower case, continuing from h. */
static uint64_t
hash_str(uint64_t h, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		h ^= (unsigned char)tolower((unsigned char)*s);
		h *= FNV_PRIME;
	}
	return h;
}

/*
 * A hash of v equal for all values same_elem() may call equal: strings
 * fold case, object members combine by addition so their order does not
 * matter, and all numbers hash alike (cJSON compares them with a
 * tolerance).  Recursion is bounded by cJSON's parse nesting limit.
 */
static uint64_t
hash_json(const cJSON *v)
{
	const cJSON	*k;
	uint64_t	 h;

	switch (v->type & 0xFF) {
	case cJSON_String:
		return hash_str(FNV_SEED ^ 's', v->valuestring);
	case cJSON_Array:
		h = FNV_SEED ^ 'a';
		cJSON_ArrayForEach(k, v)
			h = (h ^ hash_json(k)) * FNV_PRIME;
		return h;
	case cJSON_Object:
		h = FNV_SEED ^ 'o';
		cJSON_ArrayForEach(k, v)
			h += hash_str(FNV_SEED, k->string) * 31 + hash_json(k);
		return h;
	default:
		return (uint64_t)(v->type & 0xFF);
	}
}

/*
 * The identity hash of a value of a multi-valued attribute: its "value"
 * sub-attribute when it has one, else the whole value.  A bare string
 * hashes like an object with that "value".
 */
static uint64_t
elem_hash(const cJSON *e)
{
	const cJSON	*v;

	if (cJSON_IsObject(e) && (v = cJSON_GetObjectItem(e, "value")) != NULL)
		return hash_json(v);
	return hash_json(e);
}

static void
etab_free(struct etab *t)
{
	free(t->slot);
	t->slot = NULL;
}

/* Insert e with hash h; false when out of memory. */
static bool
etab_put(struct etab *t, cJSON *e, uint64_t h)
{
	struct eslot	*old, *ns;
	size_t		 i, j, oldsz, nsz;

	if (t->slot == NULL || (t->n + 1) * 2 > t->mask + 1) {
		oldsz = t->slot == NULL ? 0 : t->mask + 1;
		nsz = oldsz == 0 ? 16 : oldsz * 2;
		if ((ns = calloc(nsz, sizeof(*ns))) == NULL)
			return false;
		old = t->slot;
		for (i = 0; i < oldsz; i++) {
			if (old[i].e == NULL)
				continue;
			for (j = old[i].h & (nsz - 1); ns[j].e != NULL;
			    j = (j + 1) & (nsz - 1))
				continue;
			ns[j] = old[i];
		}
		free(old);
		t->slot = ns;
		t->mask = nsz - 1;
	}
	for (i = h & t->mask; t->slot[i].e != NULL; i = (i + 1) & t->mask)
		continue;
	t->slot[i].h = h;
	t->slot[i].e = e;
	t->n++;
	return true;
}

/*
 * Step through the entries of hash h: start with *i = SIZE_MAX; returns
 * the next candidate or NULL.
 */
static cJSON *
etab_next(const struct etab *t, uint64_t h, size_t *i)
{
	if (t->slot == NULL)
		return NULL;
	*i = *i == SIZE_MAX ? h & t->mask : (*i + 1) & t->mask;
	for (; t->slot[*i].e != NULL; *i = (*i + 1) & t->mask)
		if (t->slot[*i].h == h)
			return t->slot[*i].e;
	return NULL;
}

/*
 * Are x and y the same value of multi-valued attribute a (NULL:
 * unknown), so that adding y where x is is no new value?  Deeply equal
 * values are; so are values with the same "value" and the same "type"
 * (or none), which RFC 7643 treats as one value described twice.
 */
static bool
same_elem(const struct schema_attr *a, const cJSON *x, const cJSON *y)
{
	const struct schema_attr	*vs;
	const cJSON			*xv, *yv, *xt, *yt;

	if (cJSON_Compare(x, y, true))
		return true;
	if (!cJSON_IsObject(x) || !cJSON_IsObject(y) ||
	    (vs = schema_find_sub(a, "value")) == NULL)
		return false;
	xv = cJSON_GetObjectItem(x, "value");
	yv = cJSON_GetObjectItem(y, "value");
	if (xv == NULL || yv == NULL || !same_value(vs, xv, yv))
		return false;
	xt = cJSON_GetObjectItem(x, "type");
	yt = cJSON_GetObjectItem(y, "type");
	if (xt == NULL || yt == NULL)
		return xt == yt;
	return cJSON_IsString(xt) && cJSON_IsString(yt) &&
	    strcasecmp(xt->valuestring, yt->valuestring) == 0;
}

/*
 * Is e a value that the remove-list item it names?  An object item with
 * "value" names the values with that "value", a string names the values
 * whose "value" it is, anything else names deeply equal values.
 */
static bool
listed(const struct schema_attr *a, const cJSON *e, const cJSON *it)
{
	const struct schema_attr	*vs;
	const cJSON			*iv, *ev;

	vs = schema_find_sub(a, "value");
	ev = cJSON_IsObject(e) ? cJSON_GetObjectItem(e, "value") : e;
	if (cJSON_IsObject(it) &&
	    (iv = cJSON_GetObjectItem(it, "value")) != NULL)
		return cJSON_IsObject(e) && ev != NULL &&
		    same_value(vs, ev, iv);
	if (cJSON_IsString(it))
		return ev != NULL && same_value(vs, ev, it);
	return cJSON_Compare(e, it, true);
}

/*
 * Does list (an array of remove-list items, or one item) name the
 * single complex value cur?  For remove "manager" with a value.
 */
static bool
names_one(const struct schema_attr *a, const cJSON *cur, const cJSON *list)
{
	const cJSON	*it;

	if (!cJSON_IsArray(list))
		return listed(a, cur, list);
	cJSON_ArrayForEach(it, list)
		if (listed(a, cur, it))
			return true;
	return false;
}

/* --- merging and adding values --- */

/*
 * Merge the coerced object src into dst, a value of complex attribute a
 * (NULL: unknown): each member of src replaces or adds that
 * sub-attribute, and a JSON null deletes it.  Immutable sub-attributes
 * may only be added.
 */
static enum scim_err
merge_into(struct pctx *c, const struct schema_attr *a, cJSON *dst,
    const cJSON *src)
{
	const struct schema_attr	*s;
	const cJSON			*k;
	cJSON				*nv;
	enum scim_err			 rc;

	cJSON_ArrayForEach(k, src) {
		if (k->string == NULL)
			continue;
		s = schema_find_sub(a, k->string);
		if (cJSON_IsNull(k))
			rc = del_member(c, dst, k->string, s);
		else if ((nv = cJSON_Duplicate(k, true)) == NULL)
			rc = scim_oom(c->err);
		else
			rc = set_member(c, dst, k->string, s, nv);
		if (rc != SCIM_OK)
			return rc;
	}
	return SCIM_OK;
}

/*
 * Add the values of the coerced array nv to arr, the values of
 * multi-valued attribute a (NULL: unknown), emptying nv.  A value that is
 * already there (same_elem) is merged into the one there instead; a
 * value added or merged with "primary": true makes the others false
 * (RFC 7643 section 2.4).
 */
static enum scim_err
add_elems(struct pctx *c, const struct schema_attr *a, cJSON *arr,
    cJSON *nv)
{
	struct etab	 t = { NULL, 0, 0 };
	cJSON		*e, *x, *prim = NULL;
	size_t		 i;
	uint64_t	 h;
	enum scim_err	 rc = SCIM_OK;

	cJSON_ArrayForEach(e, arr)
		if (!etab_put(&t, e, elem_hash(e)))
			goto nomem;
	while ((e = nv->child) != NULL) {
		cJSON_DetachItemViaPointer(nv, e);
		h = elem_hash(e);
		i = SIZE_MAX;
		while ((x = etab_next(&t, h, &i)) != NULL)
			if (same_elem(a, x, e))
				break;
		if (x != NULL) {
			if (cJSON_IsObject(x) && cJSON_IsObject(e))
				rc = merge_into(c, a, x, e);
			cJSON_Delete(e);
			if (rc != SCIM_OK)
				goto done;
			if (is_primary(x))
				prim = x;
			continue;
		}
		cJSON_AddItemToArray(arr, e);
		if (!etab_put(&t, e, h))
			goto nomem;
		if (is_primary(e))
			prim = e;
	}
	if (prim != NULL && a != NULL)
		primary_only(arr, prim);
	goto done;
nomem:
	rc = scim_oom(c->err);
done:
	etab_free(&t);
	return rc;
}

/*
 * Remove from arr, the values of multi-valued attribute a (NULL:
 * unknown), those that an item of list names (see listed()).  list is
 * an array or one item.  Values not there are no error: Entra removes
 * members it believes present.
 */
static enum scim_err
remove_listed(struct pctx *c, const struct schema_attr *a, cJSON *arr,
    const cJSON *list)
{
	struct etab	 t = { NULL, 0, 0 };
	const cJSON	*it, *first;
	cJSON		*e, *next, *x;
	size_t		 i;
	uint64_t	 h;
	enum scim_err	 rc = SCIM_OK;

	first = cJSON_IsArray(list) ? list->child : list;
	for (it = first; it != NULL; it = cJSON_IsArray(list) ? it->next :
	    NULL)
		if (!etab_put(&t, (cJSON *)it, elem_hash(it))) {
			rc = scim_oom(c->err);
			goto done;
		}
	for (e = arr->child; e != NULL; e = next) {
		next = e->next;
		h = elem_hash(e);
		i = SIZE_MAX;
		while ((x = etab_next(&t, h, &i)) != NULL)
			if (listed(a, e, x))
				break;
		if (x != NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(arr, e));
	}
done:
	etab_free(&t);
	return rc;
}

/* --- the three kinds of target --- */

/*
 * Add or replace cont[name], an attribute of an unknown extension, with
 * v as sent: add appends to an array and merges into an object, anything
 * else is set.
 */
static enum scim_err
set_schemaless(struct pctx *c, enum patch_op kind, cJSON *cont,
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
		rc = add_elems(c, NULL, cur, nv);
	} else if (kind == PATCH_ADD && cJSON_IsObject(cur) &&
	    cJSON_IsObject(nv))
		rc = merge_into(c, NULL, cur, nv);
	else {
		rc = set_member(c, cont, name, NULL, nv);
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
set_multi(struct pctx *c, enum patch_op kind, cJSON *cont,
    const struct schema_attr *a, const char *name, const cJSON *v)
{
	cJSON		*cur, *nv = NULL, *arr;
	enum scim_err	 rc;

	cur = cJSON_GetObjectItem(cont, name);
	if ((rc = coerce_multi(a, v, &nv, c->err)) != SCIM_OK)
		goto done;
	if (kind == PATCH_REPLACE && nv->child == NULL) {
		/* Nothing but nulls: the attribute is cleared. */
		if (cur != NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(cont, cur));
	} else if (kind == PATCH_REPLACE) {
		rc = set_member(c, cont, name, a, nv);
		nv = NULL;
	} else if ((arr = ensure_array(cont, name)) == NULL)
		rc = scim_oom(c->err);
	else
		rc = add_elems(c, a, arr, nv);
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
set_complex(struct pctx *c, cJSON *cont, const struct schema_attr *a,
    const char *name, const cJSON *v)
{
	cJSON		*cur, *nv = NULL;
	const cJSON	*cv, *nvv;
	bool		 fresh;
	enum scim_err	 rc;

	cur = cJSON_GetObjectItem(cont, name);
	if ((rc = coerce_complex(a, cJSON_IsArray(v) ? v->child : v, &nv,
	    c->err)) != SCIM_OK)
		goto done;
	cv = cJSON_IsObject(cur) ? cJSON_GetObjectItem(cur, "value") : NULL;
	nvv = cJSON_GetObjectItem(nv, "value");
	fresh = cv != NULL && nvv != NULL && !cJSON_IsNull(nvv) &&
	    !same_value(schema_find_sub(a, "value"), cv, nvv);
	if (cJSON_IsObject(cur) && !fresh) {
		rc = merge_into(c, a, cur, nv);
		if (rc == SCIM_OK && is_hollow(a, cur))
			cJSON_Delete(cJSON_DetachItemViaPointer(cont, cur));
		goto done;
	}
	strip_nulls(nv);
	if (nv->child != NULL) {
		rc = set_member(c, cont, name, a, nv);
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
static enum scim_err
op_whole(struct pctx *c, enum patch_op kind, cJSON *cont,
    const struct ppath *pp, const cJSON *v)
{
	const struct schema_attr	*a = pp->sp.attr;
	const char			*name = pp->sp.attr_name;
	cJSON				*cur, *nv;
	bool				 multi;
	enum scim_err			 rc;

	cur = cont != NULL ? cJSON_GetObjectItem(cont, name) : NULL;
	multi = a != NULL ? a->multi : cJSON_IsArray(cur);

	if (kind == PATCH_ADD && multi && is_empty_array(v))
		return SCIM_OK;
	if (kind != PATCH_REMOVE && !is_clear(v) && !is_empty_array(v)) {
		if (a == NULL)
			return set_schemaless(c, kind, cont, name, v);
		if (a->multi)
			return set_multi(c, kind, cont, a, name, v);
		if (a->type == ATTR_COMPLEX)
			return set_complex(c, cont, a, name, v);
		if ((rc = coerce_simple(a, v, &nv, c->err)) != SCIM_OK)
			return rc;
		return set_member(c, cont, name, a, nv);
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
		return remove_listed(c, a, cur, v);
	}
	if (kind == PATCH_REMOVE && !multi && cJSON_IsObject(cur) &&
	    schema_find_sub(a, "value") != NULL && v != NULL &&
	    !cJSON_IsNull(v) && !names_one(a, cur, v))
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
clear_sub(struct pctx *c, cJSON *cont, const struct schema_attr *a,
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
			if ((rc = del_member(c, e, sname, s)) != SCIM_OK)
				break;
			if (is_hollow(a, e))
				cJSON_Delete(cJSON_DetachItemViaPointer(cur,
				    e));
		}
	} else if (!multi && cJSON_IsObject(cur)) {
		rc = del_member(c, cur, sname, s);
		if (rc == SCIM_OK && is_hollow(a, cur))
			cJSON_Delete(cJSON_DetachItemViaPointer(cont, cur));
	}
	tidy(cont, name);
	return rc;
}

/*
 * The target is attr.sub without a filter: the sub-attribute of a
 * single-valued complex attribute, or of every value of a multi-valued
 * one (a value is created when there is none).
 */
static enum scim_err
op_sub(struct pctx *c, enum patch_op kind, cJSON *cont,
    const struct ppath *pp, const cJSON *v)
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
	if (kind == PATCH_REMOVE || is_clear(v))
		return clear_sub(c, cont, a, name, cur, multi, sname, s);

	if (s != NULL)
		rc = coerce_simple(s, v, &nv, c->err);
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
			if ((rc = set_member(c, cont, name, a, el)) != SCIM_OK)
				goto done;
			cur = el;
		}
		rc = set_member(c, cur, sname, s, nv);
		nv = NULL;
		goto done;
	}

	if ((cur = ensure_array(cont, name)) == NULL) {
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
		if ((rc = set_member(c, e, sname, s, dup)) != SCIM_OK)
			goto done;
		last = e;
	}
	if (last != NULL && is_primary(last))
		primary_only(cur, last);
done:
	cJSON_Delete(nv);
	return rc;
}

/*
 * Scan one term of a value filter at *pp (before end) for from_eq():
 * name eq value.  Fills name[0..nsz) and *val (a new item); false when
 * the text is not such a term.
 */
static bool
eq_term(const char **pp, const char *end, char *name, size_t nsz,
    cJSON **val)
{
	const char	*p = *pp, *q;
	char		*tok = NULL;
	char		*ep;
	double		 d;
	size_t		 n;

	*val = NULL;
	while (p < end && isspace((unsigned char)*p))
		p++;
	for (q = p; q < end && (isalnum((unsigned char)*q) || *q == '_' ||
	    *q == '-' || *q == '$'); q++)
		continue;
	if (q == p || (size_t)(q - p) >= nsz || q == end ||
	    !isspace((unsigned char)*q))
		return false;
	memcpy(name, p, (size_t)(q - p));
	name[q - p] = '\0';
	for (p = q; p < end && isspace((unsigned char)*p); p++)
		continue;
	if (end - p < 3 || strncasecmp(p, "eq", 2) != 0 ||
	    !isspace((unsigned char)p[2]))
		return false;
	for (p += 2; p < end && isspace((unsigned char)*p); p++)
		continue;
	if (p < end && *p == '"') {
		for (q = p + 1; q < end && *q != '"'; q++)
			if (*q == '\\' && q + 1 < end)
				q++;
		if (q >= end)
			return false;
		q++;
		*val = cJSON_ParseWithLength(p, (size_t)(q - p));
	} else {
		for (q = p; q < end && !isspace((unsigned char)*q) &&
		    *q != ')'; q++)
			continue;
		if (q == p)
			return false;
		n = (size_t)(q - p);
		if ((tok = malloc(n + 1)) == NULL)
			return false;
		memcpy(tok, p, n);
		tok[n] = '\0';
		d = strtod(tok, &ep);
		if (strcasecmp(tok, "true") == 0)
			*val = cJSON_CreateTrue();
		else if (strcasecmp(tok, "false") == 0)
			*val = cJSON_CreateFalse();
		else if (strcasecmp(tok, "null") != 0 && *ep == '\0')
			*val = cJSON_CreateNumber(d);
		else if (strcasecmp(tok, "null") != 0)
			*val = cJSON_CreateString(tok);
		free(tok);
	}
	if (*val == NULL || cJSON_IsNull(*val)) {
		cJSON_Delete(*val);
		*val = NULL;
		return false;
	}
	*pp = q;
	return true;
}

/*
 * Build in *out the value that the filter of pp describes, when it is a
 * conjunction of "sub eq value" terms (emails[type eq "work"] gives
 * {"type":"work"}; roles[primary eq "True"] gives {"primary":true}).
 * *out is NULL when the filter says anything else.  Returns an error
 * only when out of memory.
 */
static enum scim_err
from_eq(struct pctx *c, const struct ppath *pp, cJSON **out)
{
	const struct schema_attr	*a = pp->sp.attr, *s;
	const char			*p = pp->ftext;
	const char			*end = pp->ftext + pp->flen;
	char				 name[128];
	cJSON				*o, *val, *nv;

	*out = NULL;
	if ((o = cJSON_CreateObject()) == NULL)
		return scim_oom(c->err);
	for (;;) {
		if (!eq_term(&p, end, name, sizeof(name), &val))
			goto none;
		s = schema_find_sub(a, name);
		if (a != NULL && s == NULL) {
			cJSON_Delete(val);
			goto none;
		}
		if (s != NULL) {
			if (coerce_simple(s, val, &nv, NULL) != SCIM_OK) {
				cJSON_Delete(val);
				goto none;
			}
			cJSON_Delete(val);
			val = nv;
		}
		cJSON_DeleteItemFromObject(o, s != NULL ? s->name : name);
		if (!cJSON_AddItemToObject(o, s != NULL ? s->name : name,
		    val)) {
			cJSON_Delete(val);
			cJSON_Delete(o);
			return scim_oom(c->err);
		}
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			break;
		if (end - p < 4 || strncasecmp(p, "and", 3) != 0 ||
		    !isspace((unsigned char)p[3]))
			goto none;
		p += 3;
	}
	*out = o;
	return SCIM_OK;
none:
	cJSON_Delete(o);
	return SCIM_OK;
}

/*
 * Replace value e of attribute a (held in arr, or at cont[name] when a
 * is single-valued) by a copy of the coerced object nv, completed with
 * the filter's eq terms eq (may be NULL).  Immutable sub-attributes must
 * keep their value.  *repl is the new value.
 */
static enum scim_err
replace_elem(struct pctx *c, const struct schema_attr *a, cJSON *cont,
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
		strip_nulls(ne);
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
		if (k == NULL || !same_value(&a->sub[i], x, k)) {
			rc = scim_fail(c->err, SCIM_E_MUTABILITY,
			    "\"%s.%s\" is immutable", name, a->sub[i].name);
			goto fail;
		}
	}
	if (arr == NULL) {
		/* set_member() consumes ne, also on failure. */
		if ((rc = set_member(c, cont, name, a, ne)) == SCIM_OK)
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
static enum scim_err
op_filtered(struct pctx *c, enum patch_op kind, cJSON *cont,
    const struct ppath *pp, const cJSON *v)
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
	clear = kind != PATCH_REMOVE && (is_clear(v) || is_empty_array(v));
	hassub = sname[0] != '\0';
	arr = multi && cJSON_IsArray(cur) ? cur : NULL;

	/* The new value, coerced once. */
	if (kind != PATCH_REMOVE && !clear) {
		if (!multi && cJSON_IsArray(v))
			v = v->child;
		if (hassub && s != NULL)
			rc = coerce_simple(s, v, &nv, c->err);
		else if (hassub || a == NULL) {
			if (!hassub && !cJSON_IsObject(v))
				rc = scim_fail(c->err, SCIM_E_INVALID_VALUE,
				    "\"%s\" with a value filter needs an "
				    "object value", name);
			else if ((nv = cJSON_Duplicate(v, true)) == NULL)
				rc = scim_oom(c->err);
		} else
			rc = coerce_complex(a, v, &nv, c->err);
		if (rc != SCIM_OK)
			goto done;
		if (!hassub && (rc = from_eq(c, pp, &eq)) != SCIM_OK)
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
			if ((rc = del_member(c, e, sname, s)) != SCIM_OK)
				goto done;
			if (!is_hollow(a, e))
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
			if ((rc = set_member(c, e, sname, s, dup)) != SCIM_OK)
				goto done;
			last = e;
		} else if (kind == PATCH_ADD) {
			if ((rc = merge_into(c, a, e, nv)) != SCIM_OK)
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
		if (hassub && (rc = from_eq(c, pp, &eq)) != SCIM_OK)
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
			rc = set_member(c, el, sname, s, nv);
			nv = NULL;
		} else {
			rc = merge_into(c, a, el, nv);
			if (a != NULL)
				strip_nulls(el);
		}
		if (rc != SCIM_OK)
			goto done;
		if (!multi) {
			rc = set_member(c, cont, name, a, el);
			el = NULL;
			goto done;
		}
		if ((arr = ensure_array(cont, name)) == NULL) {
			rc = scim_oom(c->err);
			goto done;
		}
		cJSON_AddItemToArray(arr, el);
		last = el;
		el = NULL;
	}
	if (multi && arr != NULL && last != NULL && a != NULL &&
	    is_primary(last))
		primary_only(arr, last);
done:
	cJSON_Delete(el);
	cJSON_Delete(eq);
	cJSON_Delete(nv);
	tidy(cont, name);
	return rc;
}

/* --- paths --- */

/*
 * The ']' closing the '[' at lb, skipping brackets inside quoted
 * strings; NULL when there is none.
 */
static const char *
match_bracket(const char *lb)
{
	const char	*p;
	int		 depth = 0;
	bool		 inq = false;

	for (p = lb; *p != '\0'; p++) {
		if (inq) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				inq = false;
		} else if (*p == '"')
			inq = true;
		else if (*p == '[')
			depth++;
		else if (*p == ']' && --depth == 0)
			return p;
	}
	return NULL;
}

/*
 * Re-raise the error in err as code, its detail prefixed with what.
 */
static enum scim_err
rewrap(struct scim_error *err, enum scim_err code, const char *what)
{
	char	 tmp[sizeof(err->detail)];

	if (err == NULL)
		return code;
	snprintf(tmp, sizeof(tmp), "%s", err->detail);
	return scim_fail(err, code, "%s%s", what, tmp);
}

/*
 * An unqualified name that the core schema does not know may name an
 * extension attribute: Entra's legacy mappings send "path": "manager"
 * for the enterprise manager (entra-scim.md section 1.6).  Resolve it
 * in the first extension of rt that defines it.
 */
static void
resolve_ext_alias(const struct resource_type *rt, struct schema_path *sp)
{
	const struct schema_attr	*a;
	size_t				 i;

	if (sp->attr != NULL || sp->ext_urn != NULL || rt->ext == NULL)
		return;
	for (i = 0; rt->ext[i] != NULL; i++) {
		if ((a = schema_find(rt->ext[i], sp->attr_name)) == NULL)
			continue;
		sp->ext = rt->ext[i];
		sp->ext_urn = rt->ext[i]->id;
		sp->attr = a;
		snprintf(sp->attr_name, sizeof(sp->attr_name), "%s", a->name);
		if (sp->sub_name[0] != '\0' &&
		    (sp->sub = schema_find_sub(a, sp->sub_name)) != NULL)
			snprintf(sp->sub_name, sizeof(sp->sub_name), "%s",
			    sp->sub->name);
		return;
	}
}

/*
 * Parse text as attrPath ["[" valFilter "]"] ["." subAttr] into *pp.
 * On success the caller frees pp->vf with filter_free().  Anything else
 * is SCIM_E_INVALID_PATH.
 */
static enum scim_err
path_parse(struct pctx *c, const char *text, struct ppath *pp)
{
	struct schema_path	 tail;
	const char		*lb, *rb;
	char			*buf;
	size_t			 len, plen, tlen;
	enum scim_err		 rc;

	memset(pp, 0, sizeof(*pp));
	len = strlen(text);
	if (len > PATCH_PATH_MAX)
		return scim_fail(c->err, SCIM_E_INVALID_PATH,
		    "path is longer than %d characters", PATCH_PATH_MAX);
	if ((lb = strchr(text, '[')) == NULL) {
		if (strchr(text, ']') != NULL)
			return scim_fail(c->err, SCIM_E_INVALID_PATH,
			    "path \"%.64s\" has an unbalanced ']'", text);
		rc = schema_resolve(c->rt, text, len, &pp->sp, c->err);
		if (rc == SCIM_OK)
			resolve_ext_alias(c->rt, &pp->sp);
		return rc;
	}
	plen = (size_t)(lb - text);
	if ((rc = schema_resolve(c->rt, text, plen, &pp->sp, c->err)) !=
	    SCIM_OK)
		return rc;
	resolve_ext_alias(c->rt, &pp->sp);
	if (pp->sp.sub_name[0] != '\0')
		return scim_fail(c->err, SCIM_E_INVALID_PATH,
		    "path \"%.64s\": a value filter must follow the "
		    "attribute, not a sub-attribute", text);
	if ((rb = match_bracket(lb)) == NULL)
		return scim_fail(c->err, SCIM_E_INVALID_PATH,
		    "path \"%.64s\" has an unbalanced '['", text);
	pp->ftext = lb + 1;
	pp->flen = (size_t)(rb - lb - 1);

	if (rb[1] == '.') {
		/* Resolve "attr.sub" to learn the sub-attribute. */
		tlen = strlen(rb + 1);
		if ((buf = malloc(plen + tlen + 1)) == NULL)
			return scim_oom(c->err);
		memcpy(buf, text, plen);
		memcpy(buf + plen, rb + 1, tlen + 1);
		rc = schema_resolve(c->rt, buf, plen + tlen, &tail, c->err);
		free(buf);
		if (rc != SCIM_OK)
			return rc;
		resolve_ext_alias(c->rt, &tail);
		pp->sp.sub = tail.sub;
		memcpy(pp->sp.sub_name, tail.sub_name,
		    sizeof(pp->sp.sub_name));
	} else if (rb[1] != '\0')
		return scim_fail(c->err, SCIM_E_INVALID_PATH,
		    "path \"%.64s\": only \".subAttribute\" may follow ']'",
		    text);

	if (pp->sp.attr != NULL && pp->sp.attr->type != ATTR_COMPLEX)
		return scim_fail(c->err, SCIM_E_INVALID_PATH,
		    "path \"%.64s\": \"%s\" is not complex and takes no "
		    "value filter", text, pp->sp.attr_name);
	if (filter_parse_sub(pp->ftext, pp->flen, c->rt, pp->sp.attr,
	    &pp->vf, c->err) != SCIM_OK) {
		pp->vf = NULL;
		return rewrap(c->err, SCIM_E_INVALID_PATH,
		    "bad value filter in path: ");
	}
	return SCIM_OK;
}

/*
 * The container of the attribute sp names: the resource, or the object
 * of its extension.  With create, a missing extension object is added.
 * *out is NULL when it is missing and not created.
 */
static enum scim_err
container(struct pctx *c, const struct schema_path *sp, bool create,
    cJSON **out)
{
	cJSON	*o, *n;

	*out = c->res;
	if (sp->ext_urn == NULL)
		return SCIM_OK;
	o = cJSON_GetObjectItem(c->res, sp->ext_urn);
	if (cJSON_IsObject(o)) {
		*out = o;
		return SCIM_OK;
	}
	*out = NULL;
	if (!create)
		return SCIM_OK;
	if ((n = cJSON_CreateObject()) == NULL)
		return scim_oom(c->err);
	if (set_member(c, c->res, sp->ext_urn, NULL, n) != SCIM_OK)
		return SCIM_E_INTERNAL;
	*out = n;
	return SCIM_OK;
}

/* Is the attribute of pp the one the hook takes over? */
static bool
hooked(const struct pctx *c, const struct ppath *pp)
{
	return c->hook != NULL && c->hook->fn != NULL &&
	    c->hook->attr != NULL && pp->sp.ext_urn == NULL &&
	    strcasecmp(pp->sp.attr_name, c->hook->attr) == 0;
}

/* Apply op kind with value v (NULL: none) to the parsed path pp. */
static enum scim_err
apply_parsed(struct pctx *c, enum patch_op kind, const struct ppath *pp,
    const cJSON *v)
{
	const struct schema_path	*sp = &pp->sp;
	const struct schema_attr	*a = sp->attr;
	cJSON				*cont, *cur;
	bool				 hassub = sp->sub_name[0] != '\0';
	enum scim_err			 rc;

	if (hooked(c, pp)) {
		rc = c->hook->fn(c->hook->arg, kind, pp->vf, v, c->err);
		if (rc != SCIM_OK && c->err != NULL &&
		    c->err->code == SCIM_OK)
			scim_fail(c->err, rc, "\"%s\" operation refused",
			    sp->attr_name);
		return rc;
	}

	/*
	 * Unknown attributes are ignored, not refused: Entra sends what
	 * the tenant admin mapped, and refusing would fail the user on
	 * every cycle.  Those under an unknown extension URN are kept as
	 * sent (a known schema of another resource type is ignored).
	 */
	if (a == NULL && (sp->ext != NULL || sp->ext_urn == NULL ||
	    schema_by_urn(sp->ext_urn) != NULL))
		return SCIM_OK;
	if (a != NULL && hassub && a->type != ATTR_COMPLEX)
		return scim_fail(c->err, SCIM_E_INVALID_PATH,
		    "\"%s\" is not complex and has no sub-attribute \"%s\"",
		    sp->attr_name, sp->sub_name);
	if (a != NULL && hassub && sp->sub == NULL)
		return SCIM_OK;

	if ((rc = container(c, sp, false, &cont)) != SCIM_OK)
		return rc;
	cur = cont != NULL ? cJSON_GetObjectItem(cont, sp->attr_name) : NULL;
	if (a != NULL && a->mutability == MUT_READ_ONLY) {
		/* Setting what is already there changes nothing. */
		if (kind != PATCH_REMOVE && pp->vf == NULL && !hassub &&
		    cur != NULL && v != NULL && cJSON_Compare(cur, v, true))
			return SCIM_OK;
		return scim_fail(c->err, SCIM_E_MUTABILITY,
		    "\"%s\" is readOnly", sp->attr_name);
	}
	if (sp->sub != NULL && sp->sub->mutability == MUT_READ_ONLY)
		return scim_fail(c->err, SCIM_E_MUTABILITY,
		    "\"%s.%s\" is readOnly", sp->attr_name, sp->sub_name);

	if (cont == NULL && (kind == PATCH_REMOVE || is_clear(v) ||
	    is_empty_array(v))) {
		if (kind == PATCH_REMOVE && pp->vf != NULL)
			return scim_fail(c->err, SCIM_E_NO_TARGET,
			    "no value of \"%s\" matches the filter",
			    sp->attr_name);
		return SCIM_OK;
	}
	if (cont == NULL &&
	    (rc = container(c, sp, true, &cont)) != SCIM_OK)
		return rc;

	if (pp->vf != NULL)
		rc = op_filtered(c, kind, cont, pp, v);
	else if (hassub)
		rc = op_sub(c, kind, cont, pp, v);
	else
		rc = op_whole(c, kind, cont, pp, v);
	tidy(cont, sp->attr_name);
	if (cont != c->res && cont->child == NULL)
		tidy(c->res, sp->ext_urn);
	return rc;
}

/*
 * Apply op kind to the extension object under urn as a whole: remove (or
 * a clearing value) deletes it; add and replace apply each member of the
 * object v as the path "urn:member".
 */
static enum scim_err
apply_ext_object(struct pctx *c, enum patch_op kind, const char *urn,
    const cJSON *v)
{
	const cJSON	*k;
	char		*path;
	size_t		 ulen, klen;
	enum scim_err	 rc;
	cJSON		*o;

	if (kind == PATCH_REMOVE || is_clear(v)) {
		if ((o = cJSON_GetObjectItem(c->res, urn)) != NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(c->res, o));
		return SCIM_OK;
	}
	if (!cJSON_IsObject(v))
		return scim_fail(c->err, SCIM_E_INVALID_VALUE,
		    "the value for \"%s\" must be an object", urn);
	ulen = strlen(urn);
	cJSON_ArrayForEach(k, v) {
		if (k->string == NULL)
			continue;
		klen = strlen(k->string);
		if ((path = malloc(ulen + klen + 2)) == NULL)
			return scim_oom(c->err);
		memcpy(path, urn, ulen);
		path[ulen] = ':';
		memcpy(path + ulen + 1, k->string, klen + 1);
		rc = apply_path(c, kind, path, k);
		free(path);
		if (rc != SCIM_OK)
			return rc;
	}
	return SCIM_OK;
}

/*
 * Apply op kind with value v (NULL: none) to the path text.  A path that
 * is only a schema URN means the whole core (a pathless operation) or
 * the whole extension object.
 */
static enum scim_err
apply_path(struct pctx *c, enum patch_op kind, const char *text,
    const cJSON *v)
{
	const struct schema	*s;
	struct ppath		*pp;
	enum scim_err		 rc;

	if (strncasecmp(text, "urn:", 4) == 0 &&
	    (s = schema_by_urn(text)) != NULL) {
		if (s == c->rt->core) {
			if (kind == PATCH_REMOVE)
				return scim_fail(c->err, SCIM_E_INVALID_PATH,
				    "cannot remove the core schema");
			return apply_pathless(c, kind, v);
		}
		if (schema_rt_has_ext(c->rt, s))
			return apply_ext_object(c, kind, s->id, v);
		return SCIM_OK;
	}
	/* struct ppath is large: keep it off the recursion's stack. */
	if ((pp = malloc(sizeof(*pp))) == NULL)
		return scim_oom(c->err);
	rc = path_parse(c, text, pp);
	if (rc == SCIM_OK)
		rc = apply_parsed(c, kind, pp, v);
	if (pp->vf != NULL)
		filter_free(pp->vf);
	free(pp);
	return rc;
}

/*
 * A pathless add or replace: v is an object whose members are applied
 * one by one, each key taken as a path.  Keys may be plain
 * ("displayName"), dotted ("name.givenName"), URN-qualified
 * ("urn:...:enterprise:2.0:User:employeeNumber") or a schema URN whose
 * value is the object of that schema.  An unknown "urn:" key with an
 * object value is taken as a custom extension object (Entra's custom
 * attributes are never complex).
 */
static enum scim_err
apply_pathless(struct pctx *c, enum patch_op kind, const cJSON *v)
{
	const cJSON	*k;
	enum scim_err	 rc = SCIM_OK;

	if (!cJSON_IsObject(v))
		return scim_fail(c->err, SCIM_E_INVALID_VALUE,
		    "an operation without a path needs an object value");
	if (++c->nest > PATCH_MAX_NEST) {
		rc = scim_fail(c->err, SCIM_E_INVALID_VALUE,
		    "schema objects are nested too deeply");
		goto done;
	}
	cJSON_ArrayForEach(k, v) {
		if (k->string == NULL)
			continue;
		if (strncasecmp(k->string, "urn:", 4) == 0 &&
		    schema_by_urn(k->string) == NULL && cJSON_IsObject(k))
			rc = apply_ext_object(c, kind, k->string, k);
		else
			rc = apply_path(c, kind, k->string, k);
		if (rc != SCIM_OK)
			break;
	}
done:
	c->nest--;
	return rc;
}

/* Apply Operations[i], the object op. */
static enum scim_err
apply_op(struct pctx *c, const cJSON *op, size_t i)
{
	const cJSON	*o, *path, *value;
	enum patch_op	 kind;

	if (!cJSON_IsObject(op))
		return scim_fail(c->err, SCIM_E_INVALID_SYNTAX,
		    "Operations[%zu] is not an object", i);
	o = cJSON_GetObjectItem(op, "op");
	if (!cJSON_IsString(o) || o->valuestring == NULL)
		return scim_fail(c->err, SCIM_E_INVALID_SYNTAX,
		    "Operations[%zu] has no \"op\" string", i);
	if (strcasecmp(o->valuestring, "add") == 0)
		kind = PATCH_ADD;
	else if (strcasecmp(o->valuestring, "remove") == 0)
		kind = PATCH_REMOVE;
	else if (strcasecmp(o->valuestring, "replace") == 0)
		kind = PATCH_REPLACE;
	else
		return scim_fail(c->err, SCIM_E_INVALID_SYNTAX,
		    "Operations[%zu]: \"op\" must be add, remove or replace, "
		    "not \"%.32s\"", i, o->valuestring);

	path = cJSON_GetObjectItem(op, "path");
	value = cJSON_GetObjectItem(op, "value");
	if (cJSON_IsNull(path) || (cJSON_IsString(path) &&
	    path->valuestring[0] == '\0'))
		path = NULL;
	if (path != NULL && !cJSON_IsString(path))
		return scim_fail(c->err, SCIM_E_INVALID_PATH,
		    "Operations[%zu]: \"path\" must be a string", i);
	if (kind != PATCH_REMOVE && value == NULL)
		return scim_fail(c->err, SCIM_E_INVALID_VALUE,
		    "Operations[%zu]: %s needs a \"value\"", i,
		    kind == PATCH_ADD ? "add" : "replace");
	if (path == NULL && kind == PATCH_REMOVE)
		return scim_fail(c->err, SCIM_E_NO_TARGET,
		    "Operations[%zu]: remove needs a \"path\"", i);
	if (path == NULL)
		return apply_pathless(c, kind, value);
	return apply_path(c, kind, path->valuestring, value);
}

/*
 * See patch.h.  Errors carry a detail naming the operation's index.
 */
enum scim_err
patch_apply(const struct resource_type *rt, cJSON *res, const cJSON *body,
    const struct patch_hook *hook, struct scim_error *err)
{
	struct pctx	 c;
	const cJSON	*ops, *op;
	char		 what[48];
	size_t		 i = 0;
	enum scim_err	 rc = SCIM_OK;

	c.rt = rt;
	c.res = res;
	c.hook = hook;
	c.err = err;
	c.nest = 0;
	if (rt == NULL || !cJSON_IsObject(res))
		return scim_fail(err, SCIM_E_INTERNAL,
		    "patch_apply: no resource to patch");
	ops = cJSON_IsObject(body) ?
	    cJSON_GetObjectItem(body, "Operations") : NULL;
	if (!cJSON_IsArray(ops))
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "a PatchOp body needs an \"Operations\" array");
	cJSON_ArrayForEach(op, ops)
		if (++i > PATCH_MAX_OPS)
			return scim_fail(err, SCIM_E_TOO_LARGE,
			    "a PATCH request may have at most %d Operations: "
			    "send the rest in another request, or several "
			    "values in one operation", PATCH_MAX_OPS);
	i = 0;
	cJSON_ArrayForEach(op, ops) {
		if (err != NULL)
			err->code = SCIM_OK;
		if ((rc = apply_op(&c, op, i)) != SCIM_OK) {
			if (err != NULL && strncmp(err->detail, "Operations[",
			    11) != 0) {
				snprintf(what, sizeof(what),
				    "Operations[%zu]: ", i);
				rewrap(err, rc, what);
			} else if (err != NULL)
				err->code = rc;
			break;
		}
		i++;
	}
	return rc;
}
