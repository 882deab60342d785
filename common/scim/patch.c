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
 *
 * This file is the op engine: the PatchOp body, each operation, pathless
 * values and the extension objects.  patch-path.c parses paths,
 * patch-target.c applies an operation to each kind of target, and
 * patch-value.c coerces, compares, hashes and merges values; they share
 * patch-int.h.
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

/* Deepest nesting of schema-URN objects inside a pathless value. */
#define PATCH_MAX_NEST	4

static enum scim_err	apply_path(struct patch_ctx *, enum patch_op,
			    const char *, const cJSON *);
static enum scim_err	apply_pathless(struct patch_ctx *, enum patch_op,
			    const cJSON *);

/*
 * The container of the attribute sp names: the resource, or the object
 * of its extension.  With create, a missing extension object is added.
 * *out is NULL when it is missing and not created.
 */
static enum scim_err
container(struct patch_ctx *c, const struct schema_path *sp, bool create,
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
	if (patch_set_member(c, c->res, sp->ext_urn, NULL, n) != SCIM_OK)
		return SCIM_E_INTERNAL;
	*out = n;
	return SCIM_OK;
}

/* Is the attribute of pp the one the hook takes over? */
static bool
hooked(const struct patch_ctx *c, const struct patch_path *pp)
{
	return c->hook != NULL && c->hook->fn != NULL &&
	    c->hook->attr != NULL && pp->sp.ext_urn == NULL &&
	    strcasecmp(pp->sp.attr_name, c->hook->attr) == 0;
}

/* Apply op kind with value v (NULL: none) to the parsed path pp. */
static enum scim_err
apply_parsed(struct patch_ctx *c, enum patch_op kind,
    const struct patch_path *pp, const cJSON *v)
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

	if (cont == NULL && (kind == PATCH_REMOVE || patch_is_clear(v) ||
	    patch_is_empty_array(v))) {
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
		rc = patch_op_filtered(c, kind, cont, pp, v);
	else if (hassub)
		rc = patch_op_sub(c, kind, cont, pp, v);
	else
		rc = patch_op_whole(c, kind, cont, pp, v);
	patch_tidy(cont, sp->attr_name);
	if (cont != c->res && cont->child == NULL)
		patch_tidy(c->res, sp->ext_urn);
	return rc;
}

/*
 * Apply op kind to the extension object under urn as a whole: remove (or
 * a clearing value) deletes it; add and replace apply each member of the
 * object v as the path "urn:member".
 */
static enum scim_err
apply_ext_object(struct patch_ctx *c, enum patch_op kind, const char *urn,
    const cJSON *v)
{
	const cJSON	*k;
	char		*path;
	size_t		 ulen, klen;
	enum scim_err	 rc;
	cJSON		*o;

	if (kind == PATCH_REMOVE || patch_is_clear(v)) {
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
apply_path(struct patch_ctx *c, enum patch_op kind, const char *text,
    const cJSON *v)
{
	const struct schema	*s;
	struct patch_path		*pp;
	enum scim_err		 rc;

	if (schema_is_urn(text) &&
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
	/* struct patch_path is large: keep it off the recursion's stack. */
	if ((pp = malloc(sizeof(*pp))) == NULL)
		return scim_oom(c->err);
	rc = patch_path_parse(c, text, pp);
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
apply_pathless(struct patch_ctx *c, enum patch_op kind, const cJSON *v)
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
		if (schema_is_urn(k->string) &&
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
apply_op(struct patch_ctx *c, const cJSON *op, size_t i)
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
	struct patch_ctx	 c;
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
				patch_rewrap(err, rc, what);
			} else if (err != NULL)
				err->code = rc;
			break;
		}
		i++;
	}
	return rc;
}
