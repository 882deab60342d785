/*
 * The filter grammar (RFC 7644 section 3.4.2.2) by recursive descent:
 *
 *   filter     = orChain
 *   orChain    = andChain *( SP "or" SP andChain )
 *   andChain   = unary *( SP "and" SP unary )
 *   unary      = "(" filter ")" / "not" [SP] unary / attrExp
 *   attrExp    = attrPath SP "pr" / attrPath SP compareOp SP compValue
 *              / attrPath "[" valFilter "]" [ "." subAttr ]
 *                [ SP compareOp SP compValue ]
 *
 * with the public entry points filter_parse() and filter_parse_sub(), the
 * error reporting every parser file uses (the first failure wins, with
 * its offset and what was found there), and the small reading steps
 * (words, white space, nesting).  What one comparison means, its
 * attribute, operator and value, is filter-term.c's.
 *
 * A chain of "and" or "or" becomes one n-ary node; nesting of
 * parentheses, not and value paths is bounded by FILTER_MAX_DEPTH.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "base/lex.h"
#include "base/error.h"
#include "scim/filter.h"
#include "scim/filter-int.h"
#include "scim/schema.h"

static struct filter	*parse_or(struct parser *);
static struct filter	*parse_unary(struct parser *);

/* --- characters --- */

/* Can c appear in an attribute path "urn:...:attr.sub"? */
static bool
is_pathch(int c)
{
	return lex_is_alpha(c) || lex_is_digit(c) || c == '_' || c == '-' ||
	    c == '$' || c == ':' || c == '.';
}

/* --- errors --- */

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
void
filter_perr(struct parser *p, size_t at, bool found, const char *fmt, ...)
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

/* Record running out of memory, in scim_oom()'s one wording. */
void
filter_oom(struct parser *p)
{
	if (p->rc == SCIM_OK)
		p->rc = scim_oom(p->err);
}

/* --- building blocks --- */

static struct filter *
node_new(struct parser *p, enum fkind kind)
{
	struct filter	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		filter_oom(p);
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
			filter_oom(p);
			return false;
		}
		f->kids = nk;
		f->capkids = cap;
	}
	f->kids[f->nkids++] = kid;
	return true;
}

/* A NUL-terminated copy of s[0..len), or NULL (and p fails). */
char *
filter_dup_text(struct parser *p, const char *s, size_t len)
{
	char	*d;

	if ((d = malloc(len + 1)) == NULL) {
		filter_oom(p);
		return NULL;
	}
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void
filter_skip_ws(struct parser *p)
{
	while (p->pos < p->len && filter_is_ws((unsigned char)p->s[p->pos]))
		p->pos++;
}

/*
 * Length of the word at offset at: the bytes up to white space, a
 * parenthesis, a bracket, a quote or the end.  Operators and the
 * keywords and/or/not are words.
 */
size_t
filter_word_len(const struct parser *p, size_t at)
{
	size_t	 i;
	int	 c;

	for (i = at; i < p->len; i++) {
		c = (unsigned char)p->s[i];
		if (filter_is_ws(c) || c == '(' || c == ')' || c == '[' ||
		    c == ']' || c == '"')
			break;
	}
	return i - at;
}

/*
 * If the next word (after white space) is the keyword kw, consume it and
 * return true; otherwise leave the position alone.
 */
static bool
next_keyword(struct parser *p, const char *kw)
{
	size_t	 save = p->pos, wl;

	filter_skip_ws(p);
	wl = filter_word_len(p, p->pos);
	if (wl > 0 && filter_word_eq(p->s + p->pos, wl, kw)) {
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
		filter_perr(p, at, false, "nested deeper than %d levels of "
		    "parentheses, not and value paths", FILTER_MAX_DEPTH);
		return false;
	}
	return true;
}

/* Consume the closing c (after white space) of what opened at open. */
static bool
expect_close(struct parser *p, char c, size_t open)
{
	filter_skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == c) {
		p->pos++;
		return true;
	}
	filter_perr(p, p->pos, true, "expected '%c' to close the '%c' at "
	    "offset %zu", c, c == ')' ? '(' : '[', open);
	return false;
}

/* --- grammar --- */

/*
 * The bracket of a value path, "[" valFilter "]", at p->pos, for the
 * attribute of f (tg as resolved): f becomes a VALPATH whose first
 * operand is the inner filter, read with names as sub-attributes of
 * tg->top.  On failure the caller frees f.
 */
static bool
parse_valfilter(struct parser *p, struct filter *f, const struct target *tg)
{
	struct filter	*inner;
	size_t		 open = p->pos;
	char		 nbuf[260];

	if (p->in_sub) {
		filter_perr(p, open, false, "value filters cannot be nested");
		return false;
	}
	if (f->sub != NULL) {
		filter_perr(p, open, false, "a value filter applies to an "
		    "attribute, not to the sub-attribute '%s'",
		    filter_display_name(f, nbuf, sizeof(nbuf)));
		return false;
	}
	if (!enter(p, open))
		return false;
	f->kind = FK_VALPATH;
	p->pos = open + 1;
	p->in_sub = true;
	p->parent = tg->top;
	p->parent_name = f->name;
	inner = parse_or(p);
	p->in_sub = false;
	p->parent = NULL;
	p->parent_name = NULL;
	if (inner == NULL)
		return false;
	if (!node_add(p, f, inner)) {
		filter_free(inner);
		return false;
	}
	if (!expect_close(p, ']', open))
		return false;
	p->depth--;
	return true;
}

/*
 * What may follow the "]" of the value path f: ".sub op value", or,
 * leniently, a bare " op value" comparing the element's "value", added
 * to f as its second operand; or nothing.  On failure the caller frees f.
 */
static bool
parse_valpath_tail(struct parser *p, struct filter *f,
    const struct target *tg)
{
	struct filter	*tail;
	struct target	 ttg;
	size_t		 sat, end, q, wl;

	if (p->pos < p->len && p->s[p->pos] == '.') {
		sat = ++p->pos;
		for (end = sat; end < p->len &&
		    is_pathch((unsigned char)p->s[end]); end++)
			continue;
		if ((tail = node_new(p, FK_CMP)) == NULL)
			return false;
		if (!filter_resolve_sub(p, tail, sat, end - sat, tg->top,
		    f->name, &ttg))
			goto fail;
		p->pos = end;
	} else {
		/* Leniently, "attr[...] op value" compares the value. */
		q = p->pos;
		while (q < p->len && filter_is_ws((unsigned char)p->s[q]))
			q++;
		wl = filter_word_len(p, q);
		if (q == p->pos || wl == 0 || filter_op_lookup(p, q, wl) < 0)
			return true;
		if ((tail = node_new(p, FK_CMP)) == NULL)
			return false;
		if ((tail->name = filter_dup_text(p, "value", 5)) == NULL)
			goto fail;
		memset(&ttg, 0, sizeof(ttg));
		ttg.top = ttg.def = schema_find_sub(tg->top, "value");
		ttg.id_value = filter_is_id_value(tg->top, ttg.def);
	}
	if (!filter_parse_opvalue(p, tail, &ttg))
		goto fail;
	if (!node_add(p, f, tail))
		goto fail;
	return true;
fail:
	filter_free(tail);
	return false;
}

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
	struct filter	*f;
	struct target	 tg;
	size_t		 at = p->pos, end, wl;

	wl = filter_word_len(p, at);
	if (at >= p->len || (!lex_is_alpha((unsigned char)p->s[at]) &&
	    p->s[at] != '$') || filter_word_eq(p->s + at, wl, "and") ||
	    filter_word_eq(p->s + at, wl, "or")) {
		filter_perr(p, at, true, "expected an attribute name, '(' or "
		    "'not'");
		return NULL;
	}
	for (end = at; end < p->len && is_pathch((unsigned char)p->s[end]);
	    end++)
		continue;
	if ((f = node_new(p, FK_CMP)) == NULL)
		return NULL;
	if (p->in_sub) {
		if (!filter_resolve_sub(p, f, at, end - at, p->parent,
		    p->parent_name, &tg))
			goto fail;
	} else if (!filter_resolve_top(p, f, at, end - at, &tg))
		goto fail;
	p->pos = end;

	if (end >= p->len || p->s[end] != '[') {
		if (!filter_parse_opvalue(p, f, &tg))
			goto fail;
		return f;
	}
	if (!parse_valfilter(p, f, &tg) || !parse_valpath_tail(p, f, &tg))
		goto fail;
	return f;
fail:
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

	filter_skip_ws(p);
	at = p->pos;
	c = at < p->len ? (unsigned char)p->s[at] : '\0';
	if (at >= p->len || c == ')' || c == ']') {
		filter_perr(p, at, true, "expected an attribute name, '(' or "
		    "'not'");
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
	wl = filter_word_len(p, at);
	if (!filter_word_eq(p->s + at, wl, "not"))
		return parse_attrexp(p);

	q = at + wl;
	while (q < p->len && filter_is_ws((unsigned char)p->s[q]))
		q++;
	if (q >= p->len) {
		filter_perr(p, q, true, "expected '(' after 'not'");
		return NULL;
	}
	if (p->s[q] != '(') {
		wl = filter_word_len(p, q);
		if (q == at + 3 || (wl > 0 && filter_op_lookup(p, q, wl) >= 0))
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
		filter_perr(p, FILTER_MAX_LEN, false, "filter is longer than "
		    "%d bytes", FILTER_MAX_LEN);
		return NULL;
	}
	if (memchr(p->s, '\0', p->len) != NULL) {
		filter_perr(p, (size_t)((const char *)memchr(p->s, '\0',
		    p->len) - p->s), false, "NUL byte in filter");
		return NULL;
	}
	if ((bad = u8_check((const uint8_t *)p->s, p->len)) != NULL) {
		filter_perr(p, (size_t)(bad - (const uint8_t *)p->s), false,
		    "invalid UTF-8");
		return NULL;
	}
	filter_skip_ws(p);
	if (p->pos >= p->len) {
		filter_perr(p, p->pos, false, "empty filter");
		return NULL;
	}
	if ((f = parse_or(p)) == NULL)
		return NULL;
	filter_skip_ws(p);
	if (p->pos < p->len) {
		if (p->s[p->pos] == ')' || p->s[p->pos] == ']')
			filter_perr(p, p->pos, false, "unbalanced '%c'",
			    p->s[p->pos]);
		else
			filter_perr(p, p->pos, true, "expected 'and', 'or' or "
			    "the end of the filter");
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

