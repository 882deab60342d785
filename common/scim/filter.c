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
 *
 * The module is four files (filter-int.h says which holds what).  This
 * one holds the character and string rules the others share, the tree's
 * destructor, and the questions callers ask of a parsed filter: which
 * index may answer it (filter_eq_hint, filter_eq_only) and which
 * attributes it looks at (filter_uses).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/lex.h"
#include "scim/filter.h"
#include "scim/filter-int.h"

/* --- characters and strings --- */

bool
filter_is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Does s[0..len) equal the NUL-terminated lower-case kw, in any case? */
bool
filter_word_eq(const char *s, size_t len, const char *kw)
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
int
filter_fold_cmp(const char *a, const char *b, bool exact)
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

/* Case-insensitive equality of two NUL-terminated strings. */
bool
filter_same_name(const char *a, const char *b)
{
	return filter_fold_cmp(a, b, false) == 0;
}

/*
 * Is s a JSON number (RFC 8259 section 6), whole string?  If so and num
 * is not NULL, store its value.
 */
bool
filter_json_number(const char *s, double *num)
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
	free(f->val.fold);
	free(f);
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
		    !filter_same_name(f->name, attr))
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
	    f->cmp != CMP_STRING || !filter_same_name(f->name, attr))
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
		return filter_same_name(f->name, attr);
	default:
		for (i = 0; i < f->nkids; i++)
			if (filter_uses(f->kids[i], attr))
				return true;
		return false;
	}
}
