/*
 * One comparison of a filter, "attr op value" or "attr pr": the
 * attribute path resolved against the schema model (canonical names, the
 * extension URN that holds it, what is compared), the operator, the value
 * as JSON string or lenient bare word, and the binding of the value to
 * the attribute's type.  Binding decides how filter-eval.c compares
 * (string with or without case, boolean, number, dateTime instant, or
 * by each stored value's JSON type for attributes no schema knows) and
 * rejects what the type forbids, so a filter that cannot match for a
 * reason the client should hear about fails here, at parse time.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "base/lex.h"
#include "base/util.h"
#include "base/error.h"
#include "scim/filter.h"
#include "scim/filter-int.h"
#include "scim/schema.h"

/* --- operators --- */

/* Indexed by enum fop. */
static const char *const fop_names[] = {
	"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"
};
#define FOP_COUNT	(sizeof(fop_names) / sizeof(fop_names[0]))
#define FOP_LIST	"eq, ne, co, sw, ew, gt, ge, lt, le or pr"

/* The operator spelt by the word at at (length wl), or -1. */
int
filter_op_lookup(const struct parser *p, size_t at, size_t wl)
{
	size_t	 i;

	for (i = 0; i < FOP_COUNT; i++)
		if (filter_word_eq(p->s + at, wl, fop_names[i]))
			return (int)i;
	return -1;
}

/* --- attribute names --- */

/*
 * Fill tg for attribute top whose def is compared: a complex def compares
 * its "value" sub-attribute, or, without one, only pr applies to it.
 */
static void
target_set(struct target *tg, const struct schema_attr *top,
    const struct schema_attr *def)
{
	const struct schema_attr	*a;

	memset(tg, 0, sizeof(*tg));
	tg->top = top;
	tg->def = def;
	if (def != NULL && def->type == ATTR_COMPLEX) {
		if ((a = schema_find_sub(def, "value")) != NULL)
			tg->def = a;
		else
			tg->complex = true;
	}
}

/*
 * Resolve the attribute path s[at..at+len) at the top level: canonical
 * names, the extension URN that holds it, and what a comparison on it
 * compares.  Unknown attributes resolve with NULL definitions; an
 * unqualified name the core schema lacks is looked for in rt's
 * extensions, so "manager" means the enterprise manager.
 */
bool
filter_resolve_top(struct parser *p, struct filter *f, size_t at, size_t len,
    struct target *tg)
{
	struct schema_path		 sp;
	struct scim_error		 e;
	const struct schema_attr	*top, *sd, *a;
	const char			*urn, *name, *sub;
	size_t				 i;

	e.detail[0] = '\0';
	if (schema_resolve(p->rt, p->s + at, len, &sp, &e) != SCIM_OK) {
		filter_perr(p, at, false, "%s", e.detail);
		return false;
	}
	top = sp.attr;
	sd = sp.sub;
	urn = sp.ext != NULL ? sp.ext->id : sp.ext_urn;
	if (urn != NULL && (urn[0] == '\0' || (p->rt != NULL &&
	    p->rt->core != NULL && filter_same_name(urn, p->rt->core->id))))
		urn = NULL;
	name = sp.attr_name;
	sub = sp.sub_name[0] != '\0' ? sp.sub_name : NULL;

	if (top == NULL && urn == NULL && p->rt != NULL &&
	    p->rt->ext != NULL) {
		for (i = 0; p->rt->ext[i] != NULL; i++) {
			if ((a = schema_find(p->rt->ext[i], name)) == NULL)
				continue;
			top = a;
			urn = p->rt->ext[i]->id;
			break;
		}
	}
	if (top != NULL) {
		name = top->name;
		if (sub != NULL && sd == NULL)
			sd = schema_find_sub(top, sub);
		if (sd != NULL)
			sub = sd->name;
	}

	if (urn != NULL &&
	    (f->urn = filter_dup_text(p, urn, strlen(urn))) == NULL)
		return false;
	if ((f->name = filter_dup_text(p, name, strlen(name))) == NULL)
		return false;
	if (sub != NULL &&
	    (f->sub = filter_dup_text(p, sub, strlen(sub))) == NULL)
		return false;

	target_set(tg, top, sub != NULL ? sd : top);
	tg->id_value = filter_is_id_value(top, tg->def);
	return true;
}

bool
filter_is_id_value(const struct schema_attr *parent,
    const struct schema_attr *def)
{
	return def != NULL && schema_value_is_id(parent) &&
	    def == schema_find_sub(parent, "value");
}

/*
 * Resolve s[at..at+len) as a sub-attribute of parent (which may be NULL
 * for an unknown attribute): inside a value filter, or after "].".  The
 * name must be a plain ATTRNAME or "$ref".
 */
bool
filter_resolve_sub(struct parser *p, struct filter *f, size_t at, size_t len,
    const struct schema_attr *parent, const char *parent_name,
    struct target *tg)
{
	const struct schema_attr	*sd;

	if (!lex_is_attrname(p->s + at, len)) {
		filter_perr(p, at, true, "expected a sub-attribute name of "
		    "'%s' (letters, digits, '-' or '_'; no '.', ':' or nested "
		    "brackets)", parent_name != NULL ? parent_name : "?");
		return false;
	}
	if ((f->name = filter_dup_text(p, p->s + at, len)) == NULL)
		return false;
	sd = schema_find_sub(parent, f->name);
	if (sd != NULL) {
		free(f->name);
		if ((f->name = filter_dup_text(p, sd->name,
		    strlen(sd->name))) == NULL)
			return false;
	}
	target_set(tg, sd, sd);
	tg->id_value = filter_is_id_value(parent, sd);
	return true;
}

/* --- values --- */

/* Read 4 hex digits at offset at into *cp. */
static bool
hex4(const struct parser *p, size_t at, unsigned long *cp)
{
	size_t	 i;
	int	 v;

	if (p->len - at < 4)
		return false;
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if ((v = lex_hexval((unsigned char)p->s[at + i])) < 0)
			return false;
		*cp = (*cp << 4) | (unsigned long)v;
	}
	return true;
}

/*
 * Decode the escape "\uhhhh" at offset i (the backslash), and the
 * "\uhhhh" of the low surrogate after it when it is a high one, into *cp;
 * *extra is 6 when a second escape was read, else 0.  Returns false (p
 * fails) on bad hex, \u0000 and lone surrogates.
 */
static bool
decode_u_escape(struct parser *p, size_t i, unsigned long *cp,
    size_t *extra)
{
	unsigned long	 lo;

	*extra = 0;
	if (!hex4(p, i + 2, cp)) {
		filter_perr(p, i, false, "expected four hex digits after "
		    "'\\u'");
		return false;
	}
	if (*cp == 0) {
		filter_perr(p, i, false, "'\\u0000' is not allowed in a "
		    "filter value");
		return false;
	}
	if (*cp >= 0xdc00 && *cp <= 0xdfff) {
		filter_perr(p, i, false, "'\\u%04lX' is a low surrogate "
		    "without a high one", *cp);
		return false;
	}
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (i + 7 >= p->len || p->s[i + 6] != '\\' ||
		    p->s[i + 7] != 'u' || !hex4(p, i + 8, &lo) ||
		    lo < 0xdc00 || lo > 0xdfff) {
			filter_perr(p, i, false, "'\\u%04lX' is a high "
			    "surrogate without a low one after it", *cp);
			return false;
		}
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		*extra = 6;
	}
	return true;
}

/*
 * Decode the escape at offset *ip (a backslash with a byte after it) into
 * *op, which has room up to end; advance *ip past the escape and *op past
 * the bytes written.  Returns false (p fails) on an invalid escape.
 */
static bool
decode_escape(struct parser *p, size_t *ip, char **op, char *end)
{
	size_t		 i = *ip, extra;
	unsigned long	 cp;
	char		*o = *op;
	int		 c, w;

	c = (unsigned char)p->s[i + 1];
	switch (c) {
	case '"':
	case '\\':
	case '/':
		*o++ = (char)c;
		break;
	case 'b':
		*o++ = '\b';
		break;
	case 'f':
		*o++ = '\f';
		break;
	case 'n':
		*o++ = '\n';
		break;
	case 'r':
		*o++ = '\r';
		break;
	case 't':
		*o++ = '\t';
		break;
	case 'u':
		if (!decode_u_escape(p, i, &cp, &extra))
			return false;
		i += extra;
		/*
		 * Surrogates are refused above and the buffer is large
		 * enough, so this does not fail; were it to, o must not move
		 * back.
		 */
		if ((w = u8_uctomb((uint8_t *)o, (ucs4_t)cp, end - o)) < 0) {
			filter_perr(p, i, false, "'\\u%04lX' cannot be "
			    "encoded", cp);
			return false;
		}
		o += w;
		i += 4;
		break;
	default:
		filter_perr(p, i, false, "invalid escape '\\%c' in a string "
		    "(expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t "
		    "\\uhhhh)", c < 0x80 && c >= 0x20 ? c : '?');
		return false;
	}
	*ip = i + 2;
	*op = o;
	return true;
}

/*
 * Read the JSON string (RFC 8259 section 7) starting with the quote at
 * p->pos into *out (the caller frees it), decoding escapes; \uhhhh
 * surrogate pairs become one UTF-8 character.  Lone surrogates, \u0000,
 * unknown escapes and raw control characters are errors.
 */
static bool
parse_string(struct parser *p, char **out)
{
	size_t		 open = p->pos, i = p->pos + 1;
	char		*buf, *o, *end;
	int		 c;

	/* Decoding never makes a string longer than its source. */
	if ((buf = malloc(p->len - open + 1)) == NULL) {
		filter_oom(p);
		return false;
	}
	o = buf;
	end = buf + (p->len - open + 1);
	for (;;) {
		if (i >= p->len) {
			filter_perr(p, open, false, "unterminated string "
			    "(expected a closing '\"')");
			goto fail;
		}
		c = (unsigned char)p->s[i];
		if (c == '"')
			break;
		if (c < 0x20) {
			filter_perr(p, i, false, "control character 0x%02x "
			    "in a string (escape it)", c);
			goto fail;
		}
		if (c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= p->len) {
			filter_perr(p, open, false, "unterminated string (a "
			    "'\\' ends the filter)");
			goto fail;
		}
		if (!decode_escape(p, &i, &o, end))
			goto fail;
	}
	*o = '\0';
	p->pos = i + 1;
	*out = buf;
	return true;
fail:
	free(buf);
	return false;
}

/*
 * Read the comparison value at p->pos into v: a JSON string, or a bare
 * word (up to white space, ')' or ']') that is true/false/null in any
 * case, a JSON number, or else a string.  opname is for messages.
 */
static bool
parse_value(struct parser *p, struct fvalue *v, const char *opname)
{
	size_t	 at = p->pos, end;
	int	 c;

	c = at < p->len ? (unsigned char)p->s[at] : '\0';
	if (at >= p->len || c == ')' || c == ']' || c == '(' || c == '[') {
		filter_perr(p, at, true, "expected a value after '%s'", opname);
		return false;
	}
	if (c == '"') {
		v->type = FV_STRING;
		return parse_string(p, &v->text);
	}
	for (end = at; end < p->len; end++) {
		c = (unsigned char)p->s[end];
		if (filter_is_ws(c) || c == ')' || c == ']')
			break;
	}
	if ((v->text = filter_dup_text(p, p->s + at, end - at)) == NULL)
		return false;
	p->pos = end;
	if (filter_word_eq(v->text, end - at, "true") ||
	    filter_word_eq(v->text, end - at, "false")) {
		v->type = FV_BOOL;
		v->b = lex_lower((unsigned char)v->text[0]) == 't';
	} else if (filter_word_eq(v->text, end - at, "null"))
		v->type = FV_NULL;
	else if (filter_json_number(v->text, &v->num)) {
		v->type = FV_NUMBER;
		v->has_num = true;
	} else
		v->type = FV_STRING;
	return true;
}

/* "name" or "name.sub" of f, for messages. */
const char *
filter_display_name(const struct filter *f, char *buf, size_t sz)
{
	if (f->sub == NULL)
		return f->name;
	snprintf(buf, sz, "%s.%s", f->name, f->sub);
	return buf;
}

/* --- binding a value to the attribute's type --- */

/*
 * Bind f's value for an attribute no schema describes: it compares by
 * each stored value's JSON type, so note whether the text also reads as
 * a number or an instant.  oat is the operator's offset.
 */
static bool
bind_dynamic(struct parser *p, struct filter *f, size_t oat)
{
	struct fvalue	*v = &f->val;

	if (v->type == FV_BOOL && filter_op_orders(f->op)) {
		filter_perr(p, oat, false, "true and false can only be "
		    "compared with eq or ne, not '%s'", fop_names[f->op]);
		return false;
	}
	f->cmp = CMP_DYNAMIC;
	if (v->type == FV_STRING) {
		v->has_num = filter_json_number(v->text, &v->num);
		v->has_time = filter_parse_datetime(v->text, &v->usec);
	}
	return true;
}

/*
 * Bind f's value to the boolean attribute nm: only eq and ne, and true or
 * false, bare or quoted.  oat and vat are the offsets of the operator and
 * of the value.
 */
static bool
bind_boolean(struct parser *p, struct filter *f, size_t oat, size_t vat,
    const char *nm)
{
	struct fvalue	*v = &f->val;

	if (filter_op_orders(f->op) || filter_op_substr(f->op)) {
		filter_perr(p, oat, false, "'%s' cannot be applied to the "
		    "boolean attribute '%s' (only eq, ne and pr)",
		    fop_names[f->op], nm);
		return false;
	}
	if (v->type == FV_STRING && (filter_same_name(v->text, "true") ||
	    filter_same_name(v->text, "false")))
		v->b = lex_lower((unsigned char)v->text[0]) == 't';
	else if (v->type != FV_BOOL) {
		filter_perr(p, vat, true, "the boolean attribute '%s' needs "
		    "true or false", nm);
		return false;
	}
	f->cmp = CMP_BOOLEAN;
	return true;
}

/*
 * Bind f's value to the integer or decimal attribute nm: co, sw and ew
 * compare string forms without case; the rest need a number at vat.
 */
static bool
bind_number(struct parser *p, struct filter *f, size_t vat, const char *nm)
{
	struct fvalue	*v = &f->val;

	if (filter_op_substr(f->op)) {
		f->cmp = CMP_STRING;
		f->case_exact = false;
		return true;
	}
	if (v->type == FV_BOOL || !filter_json_number(v->text, &v->num)) {
		filter_perr(p, vat, true, "the numeric attribute '%s' needs "
		    "a number", nm);
		return false;
	}
	v->has_num = true;
	f->cmp = CMP_NUMBER;
	return true;
}

/*
 * Bind f's value to the dateTime attribute nm: co, sw and ew compare the
 * text; the rest need an RFC 3339 date-time at vat, compared as instants.
 */
static bool
bind_datetime(struct parser *p, struct filter *f, size_t vat,
    const char *nm)
{
	struct fvalue	*v = &f->val;

	if (filter_op_substr(f->op)) {
		f->cmp = CMP_STRING;
		return true;
	}
	if (v->type != FV_STRING ||
	    !filter_parse_datetime(v->text, &v->usec)) {
		filter_perr(p, vat, true, "the dateTime attribute '%s' needs "
		    "an RFC 3339 date-time such as \"2015-10-10T14:38:21Z\"",
		    nm);
		return false;
	}
	v->has_time = true;
	f->cmp = CMP_DATETIME;
	return true;
}

/*
 * Decide how f compares, from the attribute's type and the value, and
 * reject what the type forbids: oat and vat are the offsets of the
 * operator and of the value.
 */
static bool
bind_value(struct parser *p, struct filter *f, const struct target *tg,
    size_t oat, size_t vat)
{
	const struct schema_attr	*d = tg->def;
	const char			*op = fop_names[f->op], *nm;
	char				 nbuf[260];

	nm = filter_display_name(f, nbuf, sizeof(nbuf));
	if (f->val.type == FV_NULL) {
		if (f->op != OP_EQ && f->op != OP_NE) {
			filter_perr(p, oat, false, "null can only be "
			    "compared with eq or ne, not '%s'", op);
			return false;
		}
		f->cmp = CMP_PRESENCE;
		return true;
	}
	if (tg->complex) {
		filter_perr(p, oat, false, "'%s' is a complex attribute: '%s' "
		    "needs one of its sub-attributes (or use pr)", nm, op);
		return false;
	}
	if (d == NULL)
		return bind_dynamic(p, f, oat);

	/* Ids are caseExact (RFC 7643 section 3.1), whatever the table says. */
	f->case_exact = d->case_exact || tg->id_value;
	switch (d->type) {
	case ATTR_BOOLEAN:
		return bind_boolean(p, f, oat, vat, nm);
	case ATTR_DECIMAL:
	case ATTR_INTEGER:
		return bind_number(p, f, vat, nm);
	case ATTR_DATETIME:
		return bind_datetime(p, f, vat, nm);
	case ATTR_BINARY:
		if (filter_op_orders(f->op)) {
			filter_perr(p, oat, false, "'%s' cannot be applied "
			    "to the binary attribute '%s'", op, nm);
			return false;
		}
		f->cmp = CMP_STRING;
		break;
	case ATTR_COMPLEX:
		filter_perr(p, oat, false, "'%s' is a complex attribute: '%s' "
		    "needs one of its sub-attributes", nm, op);
		return false;
	case ATTR_STRING:
	case ATTR_REFERENCE:
	default:
		f->cmp = CMP_STRING;
		break;
	}
	return true;
}

/* --- one comparison --- */

/*
 * A caseless string comparison compares folded forms (util_fold()), the
 * form the name indexes are keyed by, so "userName eq" agrees with the
 * unique index: fold the value once here.  eq, ne and the orderings
 * compare whole names (white space at the ends cut, as the index does);
 * co, sw and ew compare pieces, whose ends are kept.
 */
static bool
fold_value(struct parser *p, struct filter *f)
{
	if (f->val.text == NULL || !((f->cmp == CMP_STRING &&
	    !f->case_exact) || f->cmp == CMP_DYNAMIC))
		return true;
	if ((f->val.fold = util_fold(f->val.text,
	    !filter_op_substr(f->op))) == NULL) {
		filter_oom(p);
		return false;
	}
	return true;
}

/*
 * Read " op value" or " pr" after the attribute of f (a CMP node whose
 * names are set) and bind it to the attribute's type.
 */
bool
filter_parse_opvalue(struct parser *p, struct filter *f,
    const struct target *tg)
{
	size_t	 oat, vat, wl;
	int	 op;
	char	 nbuf[260];

	filter_skip_ws(p);
	oat = p->pos;
	wl = filter_word_len(p, oat);
	if (wl == 0) {
		filter_perr(p, oat, true, "expected an operator (" FOP_LIST
		    ") after '%s'", filter_display_name(f, nbuf, sizeof(nbuf)));
		return false;
	}
	if ((op = filter_op_lookup(p, oat, wl)) < 0) {
		filter_perr(p, oat, true, "unknown operator (expected " FOP_LIST
		    ")");
		return false;
	}
	p->pos += wl;
	f->op = (enum fop)op;
	if (f->op == OP_PR) {
		f->cmp = CMP_PRESENCE;
		return true;
	}
	filter_skip_ws(p);
	vat = p->pos;
	if (!parse_value(p, &f->val, fop_names[op]))
		return false;
	if (!bind_value(p, f, tg, oat, vat))
		return false;
	return fold_value(p, f);
}

