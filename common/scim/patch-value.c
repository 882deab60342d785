/*
 * Values for the PATCH engine: coercing what a client sent to the schema
 * (canonical sub-attribute names, "True"/"False" strings to booleans, a
 * bare id to {"value": id} where schema_takes_bare_value() allows it),
 * comparing values, and the member edits every target uses.
 *
 * Duplicate detection and listed removal hash each value of a
 * multi-valued attribute into a small open-addressing table, so adding
 * or removing n members costs O(n), not O(n^2): a 1 MiB body of members
 * cannot stall a worker.
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
#include "scim/patch.h"
#include "scim/patch-int.h"
#include "scim/resource.h"
#include "scim/schema.h"

#define FNV_SEED	14695981039346656037ULL
#define FNV_PRIME	1099511628211ULL

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

/* --- small predicates and member edits --- */

/* Does v clear its target: JSON null or ""? */
bool
patch_is_clear(const cJSON *v)
{
	return cJSON_IsNull(v) || (cJSON_IsString(v) &&
	    (v->valuestring == NULL || v->valuestring[0] == '\0'));
}

bool
patch_is_empty_array(const cJSON *v)
{
	return cJSON_IsArray(v) && v->child == NULL;
}

/* Is e a value whose "primary" sub-attribute is true? */
bool
patch_is_primary(const cJSON *e)
{
	return cJSON_IsObject(e) &&
	    cJSON_IsTrue(cJSON_GetObjectItem(e, "primary"));
}

/*
 * Are x and y the same value of attribute or sub-attribute def (NULL:
 * unknown)?  Strings honour caseExact; anything else compares deeply.
 */
bool
patch_same_value(const struct schema_attr *def, const cJSON *x, const cJSON *y)
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
enum scim_err
patch_set_member(struct patch_ctx *c, cJSON *obj, const char *name,
    const struct schema_attr *def, cJSON *nv)
{
	cJSON	*old;

	old = cJSON_GetObjectItem(obj, name);
	if (old != NULL && def != NULL && def->mutability == MUT_IMMUTABLE &&
	    !patch_same_value(def, old, nv)) {
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
enum scim_err
patch_del_member(struct patch_ctx *c, cJSON *obj, const char *name,
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
void
patch_strip_nulls(cJSON *obj)
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
void
patch_tidy(cJSON *cont, const char *name)
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
bool
patch_is_hollow(const struct schema_attr *a, const cJSON *e)
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
void
patch_primary_only(cJSON *arr, const cJSON *keep)
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
cJSON *
patch_ensure_array(cJSON *cont, const char *name)
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
enum scim_err
patch_coerce_simple(const struct schema_attr *def, const cJSON *v, cJSON **out,
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
enum scim_err
patch_coerce_complex(const struct schema_attr *a, const cJSON *v, cJSON **out,
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
		if ((rc = patch_coerce_simple(s, v, &nv, err)) != SCIM_OK)
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
		if (patch_is_clear(k))
			nv = cJSON_CreateNull();
		else if (s == NULL)
			nv = cJSON_Duplicate(k, true);
		else if ((rc = patch_coerce_simple(s, k, &nv, err)) != SCIM_OK)
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
		return patch_coerce_complex(a, v, out, err);
	return patch_coerce_simple(a, v, out, err);
}

/*
 * Coerce v (an array, or one value) to a new array *out of values of
 * multi-valued attribute a (NULL: unknown): null and "" elements are
 * skipped, so are elements that reduce to nothing.
 */
enum scim_err
patch_coerce_multi(const struct schema_attr *a, const cJSON *v, cJSON **out,
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
		if (patch_is_clear(e))
			continue;
		if ((rc = coerce_elem(a, e, &nv, err)) != SCIM_OK)
			goto fail;
		if (a != NULL)
			patch_strip_nulls(nv);
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
 * Are x and y the same "value" sub-attribute of complex attribute a?  Its
 * caseExact says, except where the value is a resource id, which compares
 * exactly (schema_value_is_id(): the store keys members so).
 */
static bool
same_sub_value(const struct schema_attr *a, const cJSON *x, const cJSON *y)
{
	if (schema_value_is_id(a))
		return patch_same_value(NULL, x, y);	/* exact */
	return patch_same_value(schema_find_sub(a, "value"), x, y);
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
	const cJSON	*xv, *yv, *xt, *yt;

	if (cJSON_Compare(x, y, true))
		return true;
	if (!cJSON_IsObject(x) || !cJSON_IsObject(y) ||
	    schema_find_sub(a, "value") == NULL)
		return false;
	xv = cJSON_GetObjectItem(x, "value");
	yv = cJSON_GetObjectItem(y, "value");
	if (xv == NULL || yv == NULL || !same_sub_value(a, xv, yv))
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
 * whose "value" it is, anything else names deeply equal values.  The
 * "value"s compare as same_sub_value() says: ids exactly.  (The
 * handlers' member removal reads the same item shapes for members,
 * schema_value_id(), and removes by exact id.)
 */
static bool
listed(const struct schema_attr *a, const cJSON *e, const cJSON *it)
{
	const cJSON	*iv, *ev;

	ev = cJSON_IsObject(e) ? cJSON_GetObjectItem(e, "value") : e;
	if (cJSON_IsObject(it) &&
	    (iv = cJSON_GetObjectItem(it, "value")) != NULL)
		return cJSON_IsObject(e) && ev != NULL &&
		    same_sub_value(a, ev, iv);
	if (cJSON_IsString(it))
		return ev != NULL && same_sub_value(a, ev, it);
	return cJSON_Compare(e, it, true);
}

/*
 * Does list (an array of remove-list items, or one item) name the
 * single complex value cur?  For remove "manager" with a value.
 */
bool
patch_names_one(const struct schema_attr *a, const cJSON *cur,
    const cJSON *list)
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
enum scim_err
patch_merge_into(struct patch_ctx *c, const struct schema_attr *a, cJSON *dst,
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
			rc = patch_del_member(c, dst, k->string, s);
		else if ((nv = cJSON_Duplicate(k, true)) == NULL)
			rc = scim_oom(c->err);
		else
			rc = patch_set_member(c, dst, k->string, s, nv);
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
enum scim_err
patch_add_elems(struct patch_ctx *c, const struct schema_attr *a, cJSON *arr,
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
				rc = patch_merge_into(c, a, x, e);
			cJSON_Delete(e);
			if (rc != SCIM_OK)
				goto done;
			if (patch_is_primary(x))
				prim = x;
			continue;
		}
		cJSON_AddItemToArray(arr, e);
		if (!etab_put(&t, e, h))
			goto nomem;
		if (patch_is_primary(e))
			prim = e;
	}
	if (prim != NULL && a != NULL)
		patch_primary_only(arr, prim);
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
enum scim_err
patch_remove_listed(struct patch_ctx *c, const struct schema_attr *a,
    cJSON *arr, const cJSON *list)
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
