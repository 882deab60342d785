/*
 * SCIM filter expressions (RFC 7644 section 3.4.2.2): a recursive-descent
 * parser into a small tree, and an evaluator over stored resources.
 *
 * filter_parse() reads the text once.  Attribute names are resolved
 * against the schema model there, so each comparison node already knows
 * the canonical name, the extension URN that holds it (if any) and how
 * to compare: as a string with or without case, as a boolean, a number or
 * a dateTime instant.  Operators that make no sense for a known type (gt
 * on a boolean, co on a boolean, anything but pr on a complex attribute
 * without a "value") are rejected then rather than being silently false
 * later.  Attributes the schema does not know are accepted and compared
 * "dynamically": by the JSON type of each stored value, strings without
 * case.  filter_match() looks names up with cJSON_GetObjectItem (any
 * case), so custom extension data no schema describes works too.
 *
 * The tree: AND and OR nodes hold any number of operands (a long chain
 * of "and" is one node, not a deep spine); NOT holds one; CMP is one
 * "attr op value" or "attr pr"; VALPATH is "attr[filter]" whose operand
 * is evaluated against each element of attr, with an optional second
 * operand for the ".sub op value" after the bracket.  Nesting of
 * parentheses, not and value paths is bounded by FILTER_MAX_DEPTH, so
 * parsing, matching and freeing never recurse deeply.
 *
 * Case-insensitive comparison folds ASCII letters only; every other byte
 * compares exactly.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <unistr.h>

#include "base/lex.h"
#include "base/error.h"
#include "scim/filter.h"
#include "scim/schema.h"

enum fop {
	OP_EQ,
	OP_NE,
	OP_CO,
	OP_SW,
	OP_EW,
	OP_GT,
	OP_GE,
	OP_LT,
	OP_LE,
	OP_PR
};

/* Indexed by enum fop. */
static const char *const fop_names[] = {
	"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"
};
#define FOP_COUNT	(sizeof(fop_names) / sizeof(fop_names[0]))
#define FOP_LIST	"eq, ne, co, sw, ew, gt, ge, lt, le or pr"

enum fkind {
	FK_AND,		/* every operand matches */
	FK_OR,		/* some operand matches */
	FK_NOT,		/* kids[0] does not match */
	FK_CMP,		/* name[.sub] op value, or pr */
	FK_VALPATH	/* name[kids[0]], kids[1] on the same element */
};

/* How a CMP node compares the stored values it finds. */
enum fcmp {
	CMP_PRESENCE,	/* pr, eq null, ne null */
	CMP_STRING,	/* string forms; case_exact decides */
	CMP_BOOLEAN,	/* val.b */
	CMP_NUMBER,	/* val.num */
	CMP_DATETIME,	/* val.usec, as instants */
	CMP_DYNAMIC	/* unknown attribute: by each stored value's type */
};

enum fvtype {
	FV_STRING,	/* quoted, or a bare word that is nothing else */
	FV_NUMBER,	/* a bare JSON number */
	FV_BOOL,	/* bare true or false, any case */
	FV_NULL		/* bare null, any case */
};

/* The comparison value of a CMP node. */
struct fvalue {
	enum fvtype	 type;		/* as written in the filter */
	char		*text;		/* decoded string, or the bare token */
	double		 num;		/* numeric value, when has_num */
	long long	 usec;		/* instant, when has_time */
	bool		 b;		/* the boolean, for CMP_BOOLEAN */
	bool		 has_num;	/* text reads as a JSON number */
	bool		 has_time;	/* text reads as a dateTime */
};

struct filter {
	enum fkind	  kind;
	struct filter	**kids;		/* operands of AND/OR/NOT/VALPATH */
	size_t		  nkids;
	size_t		  capkids;
	char		 *urn;		/* extension object holding name */
	char		 *name;		/* attribute; canonical when known */
	char		 *sub;		/* sub-attribute, or NULL */
	enum fop	  op;		/* CMP only */
	enum fcmp	  cmp;		/* CMP only */
	bool		  case_exact;	/* CMP_STRING only */
	struct fvalue	  val;		/* CMP only, unless op is pr */
};

/* What parse time knows about the attribute of a CMP or VALPATH node. */
struct target {
	const struct schema_attr	*top;	  /* attribute, or NULL */
	const struct schema_attr	*def;	  /* what is compared, or NULL */
	bool				 complex; /* def is complex, no value */
};

struct parser {
	const char			*s;	   /* the filter text */
	size_t				 len;
	size_t				 pos;	   /* next byte to read */
	int				 depth;	   /* current nesting */
	const struct resource_type	*rt;	   /* may be NULL */
	bool				 in_sub;   /* names are sub-attributes */
	const struct schema_attr	*parent;   /* ... of this, or NULL */
	const char			*parent_name; /* for messages */
	enum scim_err			 rc;	   /* first failure */
	struct scim_error		*err;	   /* may be NULL */
};

static struct filter	*parse_or(struct parser *);
static struct filter	*parse_unary(struct parser *);
static bool		 match_node(const struct filter *, const cJSON *);

/* --- characters and strings --- */

static bool
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Can c appear in an attribute path "urn:...:attr.sub"? */
static bool
is_pathch(int c)
{
	return lex_is_alpha(c) || lex_is_digit(c) || c == '_' || c == '-' ||
	    c == '$' || c == ':' || c == '.';
}

/* Does s[0..len) equal the NUL-terminated lower-case kw, in any case? */
static bool
word_eq(const char *s, size_t len, const char *kw)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (kw[i] == '\0' || lex_lower((unsigned char)s[i]) != kw[i])
			return false;
	return kw[len] == '\0';
}

/*
 * Compare NUL-terminated a and b bytewise, folding ASCII case unless
 * exact: <0, 0, >0.
 */
static int
fold_cmp(const char *a, const char *b, bool exact)
{
	int	 ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (!exact) {
			ca = lex_lower(ca);
			cb = lex_lower(cb);
		}
		if (ca != cb || ca == '\0')
			return (ca > cb) - (ca < cb);
	}
}

/* Do the n bytes at a and b agree (folding ASCII case unless exact)? */
static bool
fold_same(const char *a, const char *b, size_t n, bool exact)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (exact ? a[i] != b[i] :
		    lex_lower((unsigned char)a[i]) != lex_lower((unsigned char)b[i]))
			return false;
	}
	return true;
}

/* Case-insensitive equality of two NUL-terminated strings. */
static bool
same_name(const char *a, const char *b)
{
	return fold_cmp(a, b, false) == 0;
}

/*
 * Is s a JSON number (RFC 8259 section 6), whole string?  If so and num
 * is not NULL, store its value.
 */
static bool
json_number(const char *s, double *num)
{
	const char	*q = s;

	if (*q == '-')
		q++;
	if (*q == '0')
		q++;
	else if (lex_is_digit((unsigned char)*q))
		while (lex_is_digit((unsigned char)*q))
			q++;
	else
		return false;
	if (*q == '.') {
		q++;
		if (!lex_is_digit((unsigned char)*q))
			return false;
		while (lex_is_digit((unsigned char)*q))
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!lex_is_digit((unsigned char)*q))
			return false;
		while (lex_is_digit((unsigned char)*q))
			q++;
	}
	if (*q != '\0')
		return false;
	if (num != NULL)
		*num = strtod(s, NULL);
	return true;
}

/* --- dateTime --- */

bool
filter_parse_datetime(const char *s, long long *usec)
{
	return usec != NULL && lex_datetime(s, LEX_DT_SPACE, usec);
}

/* --- tree --- */

void
filter_free(struct filter *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nkids; i++)
		filter_free(f->kids[i]);
	free(f->kids);
	free(f->urn);
	free(f->name);
	free(f->sub);
	free(f->val.text);
	free(f);
}

/* --- parser: errors --- */

/*
 * Describe what stands at offset at, for an error detail: up to 24
 * bytes in quotes (cut on a character boundary, control bytes as '?'),
 * or "end of filter".
 */
static void
describe(const struct parser *p, size_t at, char *buf, size_t sz)
{
	size_t	 n, i;
	char	 part[25];

	if (at >= p->len) {
		snprintf(buf, sz, "end of filter");
		return;
	}
	n = p->len - at;
	if (n > sizeof(part) - 1) {
		n = sizeof(part) - 1;
		while (n > 0 && ((unsigned char)p->s[at + n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		part[i] = (unsigned char)p->s[at + i] < 0x20 ? '?' :
		    p->s[at + i];
	part[n] = '\0';
	snprintf(buf, sz, "'%s'%s", part, at + n < p->len ? "..." : "");
}

/*
 * Record the first failure: SCIM_E_INVALID_FILTER with "at offset N:
 * <what>", followed by what was found there when found is set.
 */
static void __attribute__((format(printf, 4, 5)))
perr(struct parser *p, size_t at, bool found, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[320], got[48];

	if (p->rc != SCIM_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (found) {
		describe(p, at, got, sizeof(got));
		p->rc = scim_fail(p->err, SCIM_E_INVALID_FILTER,
		    "invalid filter at offset %zu: %s, found %s", at, msg,
		    got);
	} else
		p->rc = scim_fail(p->err, SCIM_E_INVALID_FILTER,
		    "invalid filter at offset %zu: %s", at, msg);
}

static void
oom(struct parser *p)
{
	if (p->rc == SCIM_OK)
		p->rc = scim_fail(p->err, SCIM_E_INTERNAL,
		    "out of memory parsing a filter");
}

/* --- parser: building blocks --- */

static struct filter *
node_new(struct parser *p, enum fkind kind)
{
	struct filter	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		oom(p);
		return NULL;
	}
	f->kind = kind;
	return f;
}

/* Append kid to f; on failure the caller still owns kid. */
static bool
node_add(struct parser *p, struct filter *f, struct filter *kid)
{
	struct filter	**nk;
	size_t		  cap;

	if (f->nkids == f->capkids) {
		cap = f->capkids != 0 ? f->capkids * 2 : 2;
		if ((nk = realloc(f->kids, cap * sizeof(*nk))) == NULL) {
			oom(p);
			return false;
		}
		f->kids = nk;
		f->capkids = cap;
	}
	f->kids[f->nkids++] = kid;
	return true;
}

/* A NUL-terminated copy of s[0..len), or NULL (and p fails). */
static char *
dup_text(struct parser *p, const char *s, size_t len)
{
	char	*d;

	if ((d = malloc(len + 1)) == NULL) {
		oom(p);
		return NULL;
	}
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len && is_ws((unsigned char)p->s[p->pos]))
		p->pos++;
}

/*
 * Length of the word at offset at: the bytes up to white space, a
 * parenthesis, a bracket, a quote or the end.  Operators and the
 * keywords and/or/not are words.
 */
static size_t
word_len(const struct parser *p, size_t at)
{
	size_t	 i;
	int	 c;

	for (i = at; i < p->len; i++) {
		c = (unsigned char)p->s[i];
		if (is_ws(c) || c == '(' || c == ')' || c == '[' ||
		    c == ']' || c == '"')
			break;
	}
	return i - at;
}

/* The operator spelt by the word at at (length wl), or -1. */
static int
op_lookup(const struct parser *p, size_t at, size_t wl)
{
	size_t	 i;

	for (i = 0; i < FOP_COUNT; i++)
		if (word_eq(p->s + at, wl, fop_names[i]))
			return (int)i;
	return -1;
}

/*
 * If the next word (after white space) is the keyword kw, consume it and
 * return true; otherwise leave the position alone.
 */
static bool
next_keyword(struct parser *p, const char *kw)
{
	size_t	 save = p->pos, wl;

	skip_ws(p);
	wl = word_len(p, p->pos);
	if (wl > 0 && word_eq(p->s + p->pos, wl, kw)) {
		p->pos += wl;
		return true;
	}
	p->pos = save;
	return false;
}

/* Enter one level of nesting at offset at; false when too deep. */
static bool
enter(struct parser *p, size_t at)
{
	if (++p->depth > FILTER_MAX_DEPTH) {
		perr(p, at, false, "nested deeper than %d levels of "
		    "parentheses, not and value paths", FILTER_MAX_DEPTH);
		return false;
	}
	return true;
}

/* Consume the closing c (after white space) of what opened at open. */
static bool
expect_close(struct parser *p, char c, size_t open)
{
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == c) {
		p->pos++;
		return true;
	}
	perr(p, p->pos, true, "expected '%c' to close the '%c' at offset %zu",
	    c, c == ')' ? '(' : '[', open);
	return false;
}

/* --- parser: attribute names --- */

/*
 * Resolve the attribute path s[at..at+len) at the top level: canonical
 * names, the extension URN that holds it, and what a comparison on it
 * compares.  Unknown attributes resolve with NULL definitions; an
 * unqualified name the core schema lacks is looked for in rt's
 * extensions, so "manager" means the enterprise manager.
 */
static bool
resolve_top(struct parser *p, struct filter *f, size_t at, size_t len,
    struct target *tg)
{
	struct schema_path		 sp;
	struct scim_error		 e;
	const struct schema_attr	*top, *sd, *a;
	const char			*urn, *name, *sub;
	size_t				 i;

	e.detail[0] = '\0';
	if (schema_resolve(p->rt, p->s + at, len, &sp, &e) != SCIM_OK) {
		perr(p, at, false, "%s", e.detail);
		return false;
	}
	top = sp.attr;
	sd = sp.sub;
	urn = sp.ext != NULL ? sp.ext->id : sp.ext_urn;
	if (urn != NULL && (urn[0] == '\0' || (p->rt != NULL &&
	    p->rt->core != NULL && same_name(urn, p->rt->core->id))))
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

	if (urn != NULL && (f->urn = dup_text(p, urn, strlen(urn))) == NULL)
		return false;
	if ((f->name = dup_text(p, name, strlen(name))) == NULL)
		return false;
	if (sub != NULL && (f->sub = dup_text(p, sub, strlen(sub))) == NULL)
		return false;

	memset(tg, 0, sizeof(*tg));
	tg->top = top;
	if (sub != NULL)
		tg->def = sd;
	else
		tg->def = top;
	if (tg->def != NULL && tg->def->type == ATTR_COMPLEX) {
		if ((a = schema_find_sub(tg->def, "value")) != NULL)
			tg->def = a;
		else
			tg->complex = true;
	}
	return true;
}

/*
 * Resolve s[at..at+len) as a sub-attribute of parent (which may be NULL
 * for an unknown attribute): inside a value filter, or after "].".  The
 * name must be a plain ATTRNAME or "$ref".
 */
static bool
resolve_sub(struct parser *p, struct filter *f, size_t at, size_t len,
    const struct schema_attr *parent, const char *parent_name,
    struct target *tg)
{
	const struct schema_attr	*sd, *a;

	if (!lex_is_attrname(p->s + at, len)) {
		perr(p, at, true, "expected a sub-attribute name of '%s' "
		    "(letters, digits, '-' or '_'; no '.', ':' or nested "
		    "brackets)", parent_name != NULL ? parent_name : "?");
		return false;
	}
	if ((f->name = dup_text(p, p->s + at, len)) == NULL)
		return false;
	sd = schema_find_sub(parent, f->name);
	if (sd != NULL) {
		free(f->name);
		if ((f->name = dup_text(p, sd->name, strlen(sd->name))) ==
		    NULL)
			return false;
	}
	memset(tg, 0, sizeof(*tg));
	tg->top = sd;
	tg->def = sd;
	if (sd != NULL && sd->type == ATTR_COMPLEX) {
		if ((a = schema_find_sub(sd, "value")) != NULL)
			tg->def = a;
		else
			tg->complex = true;
	}
	return true;
}

/* --- parser: values --- */

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
 * Read the JSON string (RFC 8259 section 7) starting with the quote at
 * p->pos into *out (the caller frees it), decoding escapes; \uhhhh
 * surrogate pairs become one UTF-8 character.  Lone surrogates, \u0000,
 * unknown escapes and raw control characters are errors.
 */
static bool
parse_string(struct parser *p, char **out)
{
	size_t		 open = p->pos, i = p->pos + 1;
	unsigned long	 cp, lo;
	char		*buf, *o, *end;
	int		 c, w;

	/* Decoding never makes a string longer than its source. */
	if ((buf = malloc(p->len - open + 1)) == NULL) {
		oom(p);
		return false;
	}
	o = buf;
	end = buf + (p->len - open + 1);
	for (;;) {
		if (i >= p->len) {
			perr(p, open, false, "unterminated string (expected "
			    "a closing '\"')");
			goto fail;
		}
		c = (unsigned char)p->s[i];
		if (c == '"')
			break;
		if (c < 0x20) {
			perr(p, i, false, "control character 0x%02x in a "
			    "string (escape it)", c);
			goto fail;
		}
		if (c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= p->len) {
			perr(p, open, false, "unterminated string (a '\\' "
			    "ends the filter)");
			goto fail;
		}
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
			if (!hex4(p, i + 2, &cp)) {
				perr(p, i, false, "expected four hex digits "
				    "after '\\u'");
				goto fail;
			}
			if (cp == 0) {
				perr(p, i, false, "'\\u0000' is not allowed "
				    "in a filter value");
				goto fail;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				perr(p, i, false, "'\\u%04lX' is a low "
				    "surrogate without a high one", cp);
				goto fail;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (i + 7 >= p->len || p->s[i + 6] != '\\' ||
				    p->s[i + 7] != 'u' ||
				    !hex4(p, i + 8, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff) {
					perr(p, i, false, "'\\u%04lX' is a "
					    "high surrogate without a low "
					    "one after it", cp);
					goto fail;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			}
			/*
			 * Surrogates are refused above and the buffer is
			 * large enough, so this does not fail; were it to,
			 * o must not move back.
			 */
			if ((w = u8_uctomb((uint8_t *)o, (ucs4_t)cp,
			    end - o)) < 0) {
				perr(p, i, false, "'\\u%04lX' cannot be "
				    "encoded", cp);
				goto fail;
			}
			o += w;
			i += 4;
			break;
		default:
			perr(p, i, false, "invalid escape '\\%c' in a string "
			    "(expected one of \\\" \\\\ \\/ \\b \\f \\n \\r "
			    "\\t \\uhhhh)", c < 0x80 && c >= 0x20 ? c : '?');
			goto fail;
		}
		i += 2;
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
		perr(p, at, true, "expected a value after '%s'", opname);
		return false;
	}
	if (c == '"') {
		v->type = FV_STRING;
		return parse_string(p, &v->text);
	}
	for (end = at; end < p->len; end++) {
		c = (unsigned char)p->s[end];
		if (is_ws(c) || c == ')' || c == ']')
			break;
	}
	if ((v->text = dup_text(p, p->s + at, end - at)) == NULL)
		return false;
	p->pos = end;
	if (word_eq(v->text, end - at, "true") ||
	    word_eq(v->text, end - at, "false")) {
		v->type = FV_BOOL;
		v->b = lex_lower((unsigned char)v->text[0]) == 't';
	} else if (word_eq(v->text, end - at, "null"))
		v->type = FV_NULL;
	else if (json_number(v->text, &v->num)) {
		v->type = FV_NUMBER;
		v->has_num = true;
	} else
		v->type = FV_STRING;
	return true;
}

/* "name" or "name.sub" of f, for messages. */
static const char *
display_name(const struct filter *f, char *buf, size_t sz)
{
	if (f->sub == NULL)
		return f->name;
	snprintf(buf, sz, "%s.%s", f->name, f->sub);
	return buf;
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
	struct fvalue			*v = &f->val;
	const char			*op = fop_names[f->op], *nm;
	char				 nbuf[260];
	bool				 ord, substr;

	nm = display_name(f, nbuf, sizeof(nbuf));
	ord = f->op == OP_GT || f->op == OP_GE || f->op == OP_LT ||
	    f->op == OP_LE;
	substr = f->op == OP_CO || f->op == OP_SW || f->op == OP_EW;

	if (v->type == FV_NULL) {
		if (f->op != OP_EQ && f->op != OP_NE) {
			perr(p, oat, false, "null can only be compared with "
			    "eq or ne, not '%s'", op);
			return false;
		}
		f->cmp = CMP_PRESENCE;
		return true;
	}
	if (tg->complex) {
		perr(p, oat, false, "'%s' is a complex attribute: '%s' needs "
		    "one of its sub-attributes (or use pr)", nm, op);
		return false;
	}
	if (d == NULL) {
		if (v->type == FV_BOOL && ord) {
			perr(p, oat, false, "true and false can only be "
			    "compared with eq or ne, not '%s'", op);
			return false;
		}
		f->cmp = CMP_DYNAMIC;
		if (v->type == FV_STRING) {
			v->has_num = json_number(v->text, &v->num);
			v->has_time = filter_parse_datetime(v->text,
			    &v->usec);
		}
		return true;
	}

	f->case_exact = d->case_exact;
	switch (d->type) {
	case ATTR_BOOLEAN:
		if (ord || substr) {
			perr(p, oat, false, "'%s' cannot be applied to the "
			    "boolean attribute '%s' (only eq, ne and pr)", op,
			    nm);
			return false;
		}
		if (v->type == FV_STRING && (same_name(v->text, "true") ||
		    same_name(v->text, "false")))
			v->b = lex_lower((unsigned char)v->text[0]) == 't';
		else if (v->type != FV_BOOL) {
			perr(p, vat, true, "the boolean attribute '%s' needs "
			    "true or false", nm);
			return false;
		}
		f->cmp = CMP_BOOLEAN;
		break;
	case ATTR_DECIMAL:
	case ATTR_INTEGER:
		if (substr) {
			f->cmp = CMP_STRING;
			f->case_exact = false;
			break;
		}
		if (v->type == FV_BOOL || !json_number(v->text, &v->num)) {
			perr(p, vat, true, "the numeric attribute '%s' needs "
			    "a number", nm);
			return false;
		}
		v->has_num = true;
		f->cmp = CMP_NUMBER;
		break;
	case ATTR_DATETIME:
		if (substr) {
			f->cmp = CMP_STRING;
			break;
		}
		if (v->type != FV_STRING ||
		    !filter_parse_datetime(v->text, &v->usec)) {
			perr(p, vat, true, "the dateTime attribute '%s' needs "
			    "an RFC 3339 date-time such as "
			    "\"2015-10-10T14:38:21Z\"", nm);
			return false;
		}
		v->has_time = true;
		f->cmp = CMP_DATETIME;
		break;
	case ATTR_BINARY:
		if (ord) {
			perr(p, oat, false, "'%s' cannot be applied to the "
			    "binary attribute '%s'", op, nm);
			return false;
		}
		f->cmp = CMP_STRING;
		break;
	case ATTR_COMPLEX:
		perr(p, oat, false, "'%s' is a complex attribute: '%s' needs "
		    "one of its sub-attributes", nm, op);
		return false;
	case ATTR_STRING:
	case ATTR_REFERENCE:
	default:
		f->cmp = CMP_STRING;
		break;
	}
	return true;
}

/*
 * Read " op value" or " pr" after the attribute of f (a CMP node whose
 * names are set) and bind it to the attribute's type.
 */
static bool
parse_opvalue(struct parser *p, struct filter *f, const struct target *tg)
{
	size_t	 oat, vat, wl;
	int	 op;
	char	 nbuf[260];

	skip_ws(p);
	oat = p->pos;
	wl = word_len(p, oat);
	if (wl == 0) {
		perr(p, oat, true, "expected an operator (" FOP_LIST ") after "
		    "'%s'", display_name(f, nbuf, sizeof(nbuf)));
		return false;
	}
	if ((op = op_lookup(p, oat, wl)) < 0) {
		perr(p, oat, true, "unknown operator (expected " FOP_LIST
		    ")");
		return false;
	}
	p->pos += wl;
	f->op = (enum fop)op;
	if (f->op == OP_PR) {
		f->cmp = CMP_PRESENCE;
		return true;
	}
	skip_ws(p);
	vat = p->pos;
	if (!parse_value(p, &f->val, fop_names[op]))
		return false;
	return bind_value(p, f, tg, oat, vat);
}

/* --- parser: grammar --- */

/*
 * attrExp / valuePath at p->pos:
 *   attrPath SP "pr"
 *   attrPath SP compareOp SP compValue
 *   attrPath "[" valFilter "]" [ "." subAttr ] [ SP compareOp ... ]
 * The trailing ".sub op value" (and, leniently, a bare " op value",
 * which compares the element's "value") applies to the same element
 * that satisfied the bracket.
 */
static struct filter *
parse_attrexp(struct parser *p)
{
	struct filter	*f, *inner, *tail = NULL;
	struct target	 tg, ttg;
	size_t		 at = p->pos, end, open, sat, wl, q;
	char		 nbuf[260];

	wl = word_len(p, at);
	if (at >= p->len || (!lex_is_alpha((unsigned char)p->s[at]) &&
	    p->s[at] != '$') || word_eq(p->s + at, wl, "and") ||
	    word_eq(p->s + at, wl, "or")) {
		perr(p, at, true, "expected an attribute name, '(' or 'not'");
		return NULL;
	}
	for (end = at; end < p->len && is_pathch((unsigned char)p->s[end]);
	    end++)
		continue;
	if ((f = node_new(p, FK_CMP)) == NULL)
		return NULL;
	if (p->in_sub) {
		if (!resolve_sub(p, f, at, end - at, p->parent,
		    p->parent_name, &tg))
			goto fail;
	} else if (!resolve_top(p, f, at, end - at, &tg))
		goto fail;
	p->pos = end;

	if (end >= p->len || p->s[end] != '[') {
		if (!parse_opvalue(p, f, &tg))
			goto fail;
		return f;
	}

	/* A value path. */
	open = end;
	if (p->in_sub) {
		perr(p, open, false, "value filters cannot be nested");
		goto fail;
	}
	if (f->sub != NULL) {
		perr(p, open, false, "a value filter applies to an attribute, "
		    "not to the sub-attribute '%s'",
		    display_name(f, nbuf, sizeof(nbuf)));
		goto fail;
	}
	if (!enter(p, open))
		goto fail;
	f->kind = FK_VALPATH;
	p->pos = open + 1;
	p->in_sub = true;
	p->parent = tg.top;
	p->parent_name = f->name;
	inner = parse_or(p);
	p->in_sub = false;
	p->parent = NULL;
	p->parent_name = NULL;
	if (inner == NULL)
		goto fail;
	if (!node_add(p, f, inner)) {
		filter_free(inner);
		goto fail;
	}
	if (!expect_close(p, ']', open))
		goto fail;
	p->depth--;

	if (p->pos < p->len && p->s[p->pos] == '.') {
		sat = ++p->pos;
		for (end = sat; end < p->len &&
		    is_pathch((unsigned char)p->s[end]); end++)
			continue;
		if ((tail = node_new(p, FK_CMP)) == NULL)
			goto fail;
		if (!resolve_sub(p, tail, sat, end - sat, tg.top, f->name,
		    &ttg))
			goto fail;
		p->pos = end;
	} else {
		/* Leniently, "attr[...] op value" compares the value. */
		q = p->pos;
		while (q < p->len && is_ws((unsigned char)p->s[q]))
			q++;
		wl = word_len(p, q);
		if (q == p->pos || wl == 0 || op_lookup(p, q, wl) < 0)
			return f;
		if ((tail = node_new(p, FK_CMP)) == NULL ||
		    (tail->name = dup_text(p, "value", 5)) == NULL)
			goto fail;
		memset(&ttg, 0, sizeof(ttg));
		ttg.top = ttg.def = schema_find_sub(tg.top, "value");
	}
	if (!parse_opvalue(p, tail, &ttg))
		goto fail;
	if (!node_add(p, f, tail))
		goto fail;
	return f;
fail:
	filter_free(tail);
	filter_free(f);
	return NULL;
}

/*
 * "(" filter ")", "not" "(" filter ")", or an attribute expression.
 * Leniently, "not" may also precede an attribute expression without
 * parentheses (it then binds tighter than and/or).  A "not" followed
 * by an operator is an attribute that happens to be called "not".
 */
static struct filter *
parse_unary(struct parser *p)
{
	struct filter	*f, *inner;
	size_t		 at, q, wl;
	int		 c;

	skip_ws(p);
	at = p->pos;
	c = at < p->len ? (unsigned char)p->s[at] : '\0';
	if (at >= p->len || c == ')' || c == ']') {
		perr(p, at, true, "expected an attribute name, '(' or 'not'");
		return NULL;
	}
	if (c == '(') {
		if (!enter(p, at))
			return NULL;
		p->pos++;
		if ((inner = parse_or(p)) == NULL)
			return NULL;
		if (!expect_close(p, ')', at)) {
			filter_free(inner);
			return NULL;
		}
		p->depth--;
		return inner;
	}
	wl = word_len(p, at);
	if (!word_eq(p->s + at, wl, "not"))
		return parse_attrexp(p);

	q = at + wl;
	while (q < p->len && is_ws((unsigned char)p->s[q]))
		q++;
	if (q >= p->len) {
		perr(p, q, true, "expected '(' after 'not'");
		return NULL;
	}
	if (p->s[q] != '(') {
		wl = word_len(p, q);
		if (q == at + 3 || (wl > 0 && op_lookup(p, q, wl) >= 0))
			return parse_attrexp(p);
	}
	if (!enter(p, at))
		return NULL;
	if ((f = node_new(p, FK_NOT)) == NULL)
		return NULL;
	p->pos = q;
	if ((inner = parse_unary(p)) == NULL) {
		filter_free(f);
		return NULL;
	}
	if (!node_add(p, f, inner)) {
		filter_free(inner);
		filter_free(f);
		return NULL;
	}
	p->depth--;
	return f;
}

/*
 * operand *( SP kw SP operand ) into one n-ary node of kind (FK_AND with
 * unary operands, FK_OR with "and" chains), or the single operand.
 */
static struct filter *
parse_chain(struct parser *p, enum fkind kind)
{
	struct filter	*left, *node = NULL, *right;
	const char	*kw = kind == FK_AND ? "and" : "or";

	left = kind == FK_AND ? parse_unary(p) : parse_chain(p, FK_AND);
	if (left == NULL)
		return NULL;
	while (next_keyword(p, kw)) {
		right = kind == FK_AND ? parse_unary(p) :
		    parse_chain(p, FK_AND);
		if (right == NULL)
			goto fail;
		if (node == NULL) {
			if ((node = node_new(p, kind)) == NULL ||
			    !node_add(p, node, left)) {
				filter_free(right);
				goto fail;
			}
			left = NULL;
		}
		if (!node_add(p, node, right)) {
			filter_free(right);
			goto fail;
		}
	}
	return node != NULL ? node : left;
fail:
	filter_free(left);
	filter_free(node);
	return NULL;
}

static struct filter *
parse_or(struct parser *p)
{
	return parse_chain(p, FK_OR);
}

/*
 * Parse the whole of p's text: limits, encoding, the expression, and
 * nothing after it.  Returns the tree or NULL with p->rc set.
 */
static struct filter *
parse_all(struct parser *p)
{
	struct filter	*f;
	const uint8_t	*bad;

	if (p->len > FILTER_MAX_LEN) {
		perr(p, FILTER_MAX_LEN, false, "filter is longer than %d "
		    "bytes", FILTER_MAX_LEN);
		return NULL;
	}
	if (memchr(p->s, '\0', p->len) != NULL) {
		perr(p, (size_t)((const char *)memchr(p->s, '\0', p->len) -
		    p->s), false, "NUL byte in filter");
		return NULL;
	}
	if ((bad = u8_check((const uint8_t *)p->s, p->len)) != NULL) {
		perr(p, (size_t)(bad - (const uint8_t *)p->s), false,
		    "invalid UTF-8");
		return NULL;
	}
	skip_ws(p);
	if (p->pos >= p->len) {
		perr(p, p->pos, false, "empty filter");
		return NULL;
	}
	if ((f = parse_or(p)) == NULL)
		return NULL;
	skip_ws(p);
	if (p->pos < p->len) {
		if (p->s[p->pos] == ')' || p->s[p->pos] == ']')
			perr(p, p->pos, false, "unbalanced '%c'",
			    p->s[p->pos]);
		else
			perr(p, p->pos, true, "expected 'and', 'or' or the "
			    "end of the filter");
		filter_free(f);
		return NULL;
	}
	return f;
}

enum scim_err
filter_parse(const char *text, const struct resource_type *rt,
    struct filter **out, struct scim_error *err)
{
	struct parser	 p;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.rt = rt;
	p.err = err;
	if (text == NULL)
		return scim_fail(err, SCIM_E_INVALID_FILTER,
		    "invalid filter at offset 0: empty filter");
	p.s = text;
	/* Look no further than one byte past the limit. */
	while (p.len <= FILTER_MAX_LEN && text[p.len] != '\0')
		p.len++;
	*out = parse_all(&p);
	return p.rc;
}

enum scim_err
filter_parse_sub(const char *text, size_t len,
    const struct resource_type *rt, const struct schema_attr *parent,
    struct filter **out, struct scim_error *err)
{
	struct parser	 p;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.rt = rt;
	p.err = err;
	p.in_sub = true;
	p.parent = parent;
	p.parent_name = parent != NULL ? parent->name : NULL;
	if (text == NULL)
		len = 0;
	p.s = text != NULL ? text : "";
	p.len = len;
	*out = parse_all(&p);
	return p.rc;
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
	if (!cJSON_IsArray(obj) && same_name(name, "value"))
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

/* x as a boolean: true/false, or "true"/"false" in any case. */
static bool
value_bool(const cJSON *x, bool *b)
{
	if (cJSON_IsBool(x)) {
		*b = cJSON_IsTrue(x);
		return true;
	}
	if (cJSON_IsString(x) && x->valuestring != NULL) {
		if (same_name(x->valuestring, "true")) {
			*b = true;
			return true;
		}
		if (same_name(x->valuestring, "false")) {
			*b = false;
			return true;
		}
	}
	return false;
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
	    json_number(x->valuestring, d);
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

/* String comparison have op want.  (ne is evaluated as eq.) */
static bool
str_ok(enum fop op, const char *have, const char *want, bool exact)
{
	size_t	 hl, wl, i;

	if (have == NULL || want == NULL)
		return false;
	switch (op) {
	case OP_CO:
		hl = strlen(have);
		wl = strlen(want);
		for (i = 0; i + wl <= hl; i++)
			if (fold_same(have + i, want, wl, exact))
				return true;
		return false;
	case OP_SW:
		wl = strlen(want);
		return strlen(have) >= wl && fold_same(have, want, wl, exact);
	case OP_EW:
		hl = strlen(have);
		wl = strlen(want);
		return hl >= wl && fold_same(have + hl - wl, want, wl, exact);
	default:
		return ord_ok(op, fold_cmp(have, want, exact));
	}
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
	bool			 substr;

	substr = f->op == OP_CO || f->op == OP_SW || f->op == OP_EW;
	if (!substr) {
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
	return str_ok(f->op, s, v->text, false);
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
		return str_ok(f->op, s, f->val.text, f->case_exact);
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

/* --- questions about a parsed filter --- */

/*
 * A string "attr eq" term of f itself or of one operand of a top-level
 * "and" (searched depth-first through nested "and"s, which imply the
 * same).  Only string comparisons count: the caller looks the string up
 * in an index keyed by it.
 */
const char *
filter_eq_hint(const struct filter *f, const char *attr)
{
	const char	*h;
	size_t		 i;

	if (f == NULL || attr == NULL)
		return NULL;
	switch (f->kind) {
	case FK_CMP:
		if (f->op != OP_EQ || f->urn != NULL || f->sub != NULL ||
		    !same_name(f->name, attr))
			return NULL;
		if (f->cmp == CMP_STRING ||
		    (f->cmp == CMP_DYNAMIC && f->val.type == FV_STRING))
			return f->val.text;
		return NULL;
	case FK_AND:
		for (i = 0; i < f->nkids; i++)
			if ((h = filter_eq_hint(f->kids[i], attr)) != NULL)
				return h;
		return NULL;
	default:
		return NULL;
	}
}

const char *
filter_eq_only(const struct filter *f, const char *attr, bool *case_exact)
{
	if (f == NULL || attr == NULL || f->kind != FK_CMP ||
	    f->op != OP_EQ || f->urn != NULL || f->sub != NULL ||
	    f->cmp != CMP_STRING || !same_name(f->name, attr))
		return NULL;
	*case_exact = f->case_exact;
	return f->val.text;
}

/*
 * Names inside a value filter are sub-attributes of the bracketed
 * attribute, so they are not looked at; the bracketed attribute is.
 */
bool
filter_uses(const struct filter *f, const char *attr)
{
	size_t	 i;

	if (f == NULL || attr == NULL)
		return false;
	switch (f->kind) {
	case FK_CMP:
	case FK_VALPATH:
		return same_name(f->name, attr);
	default:
		for (i = 0; i < f->nkids; i++)
			if (filter_uses(f->kids[i], attr))
				return true;
		return false;
	}
}

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
	return fold_cmp(sa, sb, case_exact);
}
