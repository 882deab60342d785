/*
 * Evaluation of a parsed filter over a stored resource (filter_match),
 * and the comparison sortBy uses (filter_compare), which shares its
 * reading of stored values.
 *
 * Names are looked up with cJSON_GetObjectItem (any case), so custom
 * extension data no schema describes works too.  A multi-valued
 * attribute matches when any element does; a complex value compared
 * without a sub-attribute compares its "value"; a scalar stands for its
 * own "value" (a manager stored as a bare id).  Presence follows RFC 7643
 * section 2.5.  ne is evaluated as the negation of eq over the whole
 * attribute, not per element.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/lex.h"
#include "base/util.h"
#include "scim/filter.h"
#include "scim/filter-int.h"
#include "scim/resource.h"
#include "scim/schema.h"

static bool	 match_node(const struct filter *, const cJSON *);

/* --- comparing strings --- */

/* Do the n bytes at a and b agree (folding ASCII case unless exact)? */
static bool
fold_same(const char *a, const char *b, size_t n, bool exact)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (exact ? a[i] != b[i] :
		    lex_lower((unsigned char)a[i]) !=
		    lex_lower((unsigned char)b[i]))
			return false;
	}
	return true;
}

/* --- evaluation --- */

/*
 * Member name of obj, any case.  A scalar stands for its own "value"
 * (a manager stored as a bare id, a member list of bare ids).
 */
static const cJSON *
member(const cJSON *obj, const char *name)
{
	if (obj == NULL)
		return NULL;
	if (cJSON_IsObject(obj))
		return cJSON_GetObjectItem(obj, name);
	if (!cJSON_IsArray(obj) && filter_same_name(name, "value"))
		return obj;
	return NULL;
}

/*
 * Is x present in the sense of RFC 7643 section 2.5: not null, not an
 * empty string, not an array or object without anything present in it
 * (looked at a few levels deep; deeper, non-empty counts).
 */
static bool
present(const cJSON *x, int depth)
{
	const cJSON	*e;

	if (x == NULL || cJSON_IsNull(x) || cJSON_IsInvalid(x))
		return false;
	if (cJSON_IsString(x))
		return x->valuestring != NULL && x->valuestring[0] != '\0';
	if (cJSON_IsArray(x) || cJSON_IsObject(x)) {
		if (depth >= 3)
			return x->child != NULL;
		cJSON_ArrayForEach(e, x)
			if (present(e, depth + 1))
				return true;
		return false;
	}
	return true;
}

/* Is name[.sub] present anywhere in v (the value of name)? */
static bool
path_present(const cJSON *v, const char *sub)
{
	const cJSON	*e;

	if (v == NULL)
		return false;
	if (sub == NULL)
		return present(v, 0);
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v)
			if (!cJSON_IsArray(e) && present(member(e, sub), 0))
				return true;
		return false;
	}
	return present(member(v, sub), 0);
}

/* Format a JSON number as text, integers without a fraction. */
static void
fmt_number(double d, char *buf, size_t sz)
{
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
		snprintf(buf, sz, "%lld", (long long)d);
	else {
		snprintf(buf, sz, "%.15g", d);
		if (strtod(buf, NULL) != d)
			snprintf(buf, sz, "%.17g", d);
	}
}

/* The string form of a scalar (buf holds numbers), or NULL. */
static const char *
string_form(const cJSON *x, char *buf, size_t sz)
{
	if (cJSON_IsString(x))
		return x->valuestring;
	if (cJSON_IsBool(x))
		return cJSON_IsTrue(x) ? "true" : "false";
	if (cJSON_IsNumber(x)) {
		fmt_number(x->valuedouble, buf, sz);
		return buf;
	}
	return NULL;
}

/*
 * x as a boolean: true/false, or "true"/"false" in any case.  The rule is
 * the resource normaliser's, so a filter reads a stored boolean exactly as
 * a write coerced it.
 */
static bool
value_bool(const cJSON *x, bool *b)
{
	int	 v;

	if (!resource_bool(x, &v))
		return false;
	*b = v != 0;
	return true;
}

/* x as a number: a JSON number, or a string that is exactly one. */
static bool
value_number(const cJSON *x, double *d)
{
	if (cJSON_IsNumber(x)) {
		*d = x->valuedouble;
		return true;
	}
	return cJSON_IsString(x) && x->valuestring != NULL &&
	    filter_json_number(x->valuestring, d);
}

/* Does three-way result c satisfy op?  (ne is evaluated as eq.) */
static bool
ord_ok(enum fop op, int c)
{
	switch (op) {
	case OP_GT:
		return c > 0;
	case OP_GE:
		return c >= 0;
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	default:
		return c == 0;
	}
}

static int
cmp_double(double a, double b)
{
	return (a > b) - (a < b);
}

static int
cmp_ll(long long a, long long b)
{
	return (a > b) - (a < b);
}

/* Exact string comparison have op want.  (ne is evaluated as eq.) */
static bool
str_ok_exact(enum fop op, const char *have, const char *want)
{
	size_t	 hl, wl, i;

	hl = strlen(have);
	wl = strlen(want);
	switch (op) {
	case OP_CO:
		for (i = 0; i + wl <= hl; i++)
			if (memcmp(have + i, want, wl) == 0)
				return true;
		return false;
	case OP_SW:
		return hl >= wl && memcmp(have, want, wl) == 0;
	case OP_EW:
		return hl >= wl && memcmp(have + hl - wl, want, wl) == 0;
	default:
		return ord_ok(op, filter_fold_cmp(have, want, true));
	}
}

/* Is the ASCII c Unicode White_Space (tab to carriage return, space)? */
static bool
ascii_white(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * The folded form of have (util_fold(), trimmed unless op compares
 * pieces) as the bytes *s[0..*n): ASCII, the common case, is only cut at
 * its ends, as folding would (its case is folded in the comparison);
 * anything else is folded into *alloc (the caller frees).  False when
 * memory is short.
 */
static bool
fold_view(enum fop op, const char *have, const char **s, size_t *n,
    char **alloc)
{
	const unsigned char	*p;
	size_t			 len;
	bool			 trim = !filter_op_substr(op);

	*alloc = NULL;
	for (p = (const unsigned char *)have; *p != '\0' && *p < 0x80; p++)
		continue;
	if (*p != '\0') {
		if ((*alloc = util_fold(have, trim)) == NULL)
			return false;
		*s = *alloc;
		*n = strlen(*alloc);
		return true;
	}
	len = (size_t)(p - (const unsigned char *)have);
	while (trim && len > 0 && ascii_white((unsigned char)*have)) {
		have++;
		len--;
	}
	while (trim && len > 0 && ascii_white((unsigned char)have[len - 1]))
		len--;
	*s = have;
	*n = len;
	return true;
}

/*
 * Caseless string comparison: the folded have op wfold, the value's fold
 * (fold_value() in filter-term.c), so that names that fold alike, as the
 * name indexes key them, compare equal.
 */
static bool
str_ok_folded(enum fop op, const char *have, const char *wfold)
{
	const char	*h;
	char		*alloc;
	size_t		 hl, wl, i, m;
	int		 c = 0;
	bool		 r = false;

	if (!fold_view(op, have, &h, &hl, &alloc))
		return false;
	wl = strlen(wfold);
	switch (op) {
	case OP_CO:
		for (i = 0; !r && i + wl <= hl; i++)
			r = fold_same(h + i, wfold, wl, false);
		break;
	case OP_SW:
		r = hl >= wl && fold_same(h, wfold, wl, false);
		break;
	case OP_EW:
		r = hl >= wl && fold_same(h + hl - wl, wfold, wl, false);
		break;
	default:
		m = hl < wl ? hl : wl;
		for (i = 0; c == 0 && i < m; i++)
			c = lex_lower((unsigned char)h[i]) -
			    lex_lower((unsigned char)wfold[i]);
		if (c == 0)
			c = (hl > wl) - (hl < wl);
		r = ord_ok(op, (c > 0) - (c < 0));
		break;
	}
	free(alloc);
	return r;
}

/* String comparison have op f's value.  (ne is evaluated as eq.) */
static bool
str_ok(const struct filter *f, const char *have, bool exact)
{
	if (have == NULL || f->val.text == NULL)
		return false;
	if (exact || f->val.fold == NULL)
		return str_ok_exact(f->op, have, f->val.text);
	return str_ok_folded(f->op, have, f->val.fold);
}

/* An unknown attribute: compare by the stored value's JSON type. */
static bool
test_dynamic(const struct filter *f, const cJSON *x)
{
	const struct fvalue	*v = &f->val;
	const char		*s;
	char			 buf[40];
	long long		 t;
	double			 d;

	if (!filter_op_substr(f->op)) {
		if (v->type == FV_BOOL && cJSON_IsBool(x))
			return ord_ok(f->op,
			    (int)cJSON_IsTrue(x) - (int)v->b);
		if (v->has_num && value_number(x, &d) &&
		    (v->type == FV_NUMBER || cJSON_IsNumber(x)))
			return ord_ok(f->op, cmp_double(d, v->num));
		if (v->has_time && cJSON_IsString(x) &&
		    filter_parse_datetime(x->valuestring, &t))
			return ord_ok(f->op, cmp_ll(t, v->usec));
	}
	s = string_form(x, buf, sizeof(buf));
	return str_ok(f, s, false);
}

/* Does the scalar x satisfy f (ne evaluated as eq)? */
static bool
test_value(const struct filter *f, const cJSON *x)
{
	const char	*s;
	char		 buf[40];
	long long	 t;
	double		 d;
	bool		 b;

	if (x == NULL || cJSON_IsNull(x) || cJSON_IsObject(x) ||
	    cJSON_IsArray(x) || cJSON_IsInvalid(x))
		return false;
	switch (f->cmp) {
	case CMP_STRING:
		s = string_form(x, buf, sizeof(buf));
		return str_ok(f, s, f->case_exact);
	case CMP_BOOLEAN:
		return value_bool(x, &b) && b == f->val.b;
	case CMP_NUMBER:
		return value_number(x, &d) &&
		    ord_ok(f->op, cmp_double(d, f->val.num));
	case CMP_DATETIME:
		return cJSON_IsString(x) && x->valuestring != NULL &&
		    filter_parse_datetime(x->valuestring, &t) &&
		    ord_ok(f->op, cmp_ll(t, f->val.usec));
	case CMP_DYNAMIC:
		return test_dynamic(f, x);
	case CMP_PRESENCE:
		break;
	}
	return false;
}

/*
 * Does one element e of name (or its whole value) hold a value that
 * satisfies f?  With a sub-attribute, e's sub; without, e itself, or
 * its "value" when e is an object.
 */
static bool
test_element(const struct filter *f, const cJSON *e)
{
	const cJSON	*x, *y;

	x = f->sub != NULL ? member(e, f->sub) : e;
	if (x == NULL)
		return false;
	if (cJSON_IsArray(x)) {
		cJSON_ArrayForEach(y, x)
			if (test_value(f, cJSON_IsObject(y) ?
			    member(y, "value") : y))
				return true;
		return false;
	}
	if (cJSON_IsObject(x))
		x = member(x, "value");
	return test_value(f, x);
}

/* The object f's names are looked up in: ctx or its extension. */
static const cJSON *
holder(const struct filter *f, const cJSON *ctx)
{
	if (f->urn == NULL)
		return ctx;
	return cJSON_IsObject(ctx) ? cJSON_GetObjectItem(ctx, f->urn) : NULL;
}

static bool
match_cmp(const struct filter *f, const cJSON *ctx)
{
	const cJSON	*v, *e;
	bool		 hit = false;

	v = member(holder(f, ctx), f->name);
	if (f->op == OP_PR)
		return path_present(v, f->sub);
	if (f->cmp == CMP_PRESENCE) {
		hit = path_present(v, f->sub);
		return f->op == OP_EQ ? !hit : hit;
	}
	if (v != NULL && cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v)
			if (!cJSON_IsArray(e) && test_element(f, e)) {
				hit = true;
				break;
			}
	} else if (v != NULL)
		hit = test_element(f, v);
	return f->op == OP_NE ? !hit : hit;
}

/* Does element e satisfy the bracket and the trailing comparison? */
static bool
match_element(const struct filter *f, const cJSON *e)
{
	if (cJSON_IsArray(e) || !match_node(f->kids[0], e))
		return false;
	return f->nkids < 2 || match_node(f->kids[1], e);
}

static bool
match_valpath(const struct filter *f, const cJSON *ctx)
{
	const cJSON	*v, *e;

	v = member(holder(f, ctx), f->name);
	if (v == NULL || cJSON_IsNull(v))
		return false;
	if (!cJSON_IsArray(v))
		return match_element(f, v);
	cJSON_ArrayForEach(e, v)
		if (match_element(f, e))
			return true;
	return false;
}

static bool
match_node(const struct filter *f, const cJSON *ctx)
{
	size_t	 i;

	switch (f->kind) {
	case FK_AND:
		for (i = 0; i < f->nkids; i++)
			if (!match_node(f->kids[i], ctx))
				return false;
		return true;
	case FK_OR:
		for (i = 0; i < f->nkids; i++)
			if (match_node(f->kids[i], ctx))
				return true;
		return false;
	case FK_NOT:
		return !match_node(f->kids[0], ctx);
	case FK_CMP:
		return match_cmp(f, ctx);
	case FK_VALPATH:
		return match_valpath(f, ctx);
	}
	return false;
}

/* A NULL filter matches everything; a NULL resource nothing. */
bool
filter_match(const struct filter *f, const cJSON *resource)
{
	if (resource == NULL)
		return false;
	if (f == NULL)
		return true;
	return match_node(f, resource);
}

/* --- sortBy --- */

/*
 * The scalar a multi-valued or complex value sorts by: the primary
 * element (else the first) of an array, then the "value" of an object.
 */
static const cJSON *
sort_scalar(const cJSON *v)
{
	const cJSON	*e, *pick = NULL;
	bool		 b;

	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v)
			if (value_bool(member(e, "primary"), &b) && b) {
				pick = e;
				break;
			}
		v = pick != NULL ? pick : v->child;
	}
	if (cJSON_IsObject(v))
		v = member(v, "value");
	if (v == NULL || cJSON_IsNull(v) || cJSON_IsObject(v) ||
	    cJSON_IsArray(v) || cJSON_IsInvalid(v))
		return NULL;
	return v;
}

/*
 * Missing values (NULL, null, empty arrays or objects) sort after every
 * value, as RFC 7644 section 3.4.2.3 asks for ascending order.  Values
 * that do not read as type t compare by their string forms.
 */
int
filter_compare(const cJSON *a, const cJSON *b, enum attr_type t,
    bool case_exact)
{
	const char	*sa, *sb;
	char		 ba[40], bb[40];
	long long	 ta, tb;
	double		 da, db;
	bool		 xa, xb;

	a = sort_scalar(a);
	b = sort_scalar(b);
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	switch (t) {
	case ATTR_BOOLEAN:
		if (value_bool(a, &xa) && value_bool(b, &xb))
			return (int)xa - (int)xb;
		break;
	case ATTR_DECIMAL:
	case ATTR_INTEGER:
		if (value_number(a, &da) && value_number(b, &db))
			return cmp_double(da, db);
		break;
	case ATTR_DATETIME:
		if (cJSON_IsString(a) && cJSON_IsString(b) &&
		    filter_parse_datetime(a->valuestring, &ta) &&
		    filter_parse_datetime(b->valuestring, &tb))
			return cmp_ll(ta, tb);
		break;
	default:
		break;
	}
	sa = string_form(a, ba, sizeof(ba));
	sb = string_form(b, bb, sizeof(bb));
	if (sa == NULL || sb == NULL)
		return (sa == NULL) - (sb == NULL);
	return filter_fold_cmp(sa, sb, case_exact);
}

