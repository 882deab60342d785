/*
 * PATCH paths: "[urn:]attr[.sub]", "attr[filter]" and "attr[filter].sub".
 * The part outside brackets goes to schema_resolve(), the filter to
 * filter_parse_sub(); an unqualified name the core schema lacks resolves
 * in the extensions (Entra's legacy "path": "manager").  The "eq" terms
 * of a value filter also describe the value to create when an add or
 * replace on attr[filter].sub matches nothing (patch_from_eq()).
 */
#include <ctype.h>
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

/* Longest path accepted: a qualified attribute, a filter and a sub. */
#define PATCH_PATH_MAX	(FILTER_MAX_LEN + 1024)

/* --- values from a filter's "eq" terms --- */

/*
 * Scan one term of a value filter at *pp (before end) for patch_from_eq():
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
enum scim_err
patch_from_eq(struct patch_ctx *c, const struct patch_path *pp, cJSON **out)
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
			if (patch_coerce_simple(s, val, &nv, NULL) != SCIM_OK) {
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
enum scim_err
patch_rewrap(struct scim_error *err, enum scim_err code, const char *what)
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
enum scim_err
patch_path_parse(struct patch_ctx *c, const char *text, struct patch_path *pp)
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
		return patch_rewrap(c->err, SCIM_E_INVALID_PATH,
		    "bad value filter in path: ");
	}
	return SCIM_OK;
}
