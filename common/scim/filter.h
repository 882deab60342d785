/*
 * SCIM filter expressions (RFC 7644 section 3.4.2.2): parser and evaluator.
 *
 * The whole grammar: eq ne co sw ew gt ge lt le pr, and/or/not, grouping
 * parentheses, value paths attr[filter] with an optional .sub after the
 * bracket, sub-attributes, URN-qualified attribute names.  Attribute names
 * and operators match in any case.  String comparison honours caseExact
 * from the schema (unknown attributes compare case-insensitively);
 * dateTime values compare as instants; booleans and numbers as such.
 *
 * Tolerated beyond the RFC (Microsoft's reference collection sends them):
 * unquoted comparison values (name.familyName eq Employee), which compare
 * as strings unless they read as true/false/null or a JSON number.
 *
 * A multi-valued attribute matches when any of its values matches.  A
 * complex attribute compared without a sub-attribute compares its "value"
 * sub-attribute (members eq "id", manager eq "id").
 *
 * Owns: the grammar, the parsed tree and matching a resource against it
 * (filter.c, filter-parse.c, filter-term.c, filter-eval.c; filter-int.h
 * is private).  Must not know: the store or query planning (crud-query.c
 * asks filter_eq_hint() which index could serve), requests.
 */
#ifndef SCIM_FILTER_H
#define SCIM_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/schema.h"

struct filter;				/* opaque parsed expression */

/* Longest filter text accepted; longer is SCIM_E_INVALID_FILTER. */
#define FILTER_MAX_LEN		8192
/* Deepest nesting of parentheses, not and value paths accepted. */
#define FILTER_MAX_DEPTH	64

/*
 * Parse text (NUL-terminated) as a filter over resources of type rt.
 * On success *out is a new expression the caller frees with filter_free().
 * Errors are SCIM_E_INVALID_FILTER with a detail naming the position.
 */
enum scim_err	 filter_parse(const char *text,
		    const struct resource_type *rt, struct filter **out,
		    struct scim_error *err);

/*
 * Parse text[0..len) as the filter inside a value path "parent[...]":
 * attribute names are sub-attributes of parent (e.g. type, value,
 * primary).  parent may be NULL for an unknown attribute.  Used by the
 * PATCH engine for paths like emails[type eq "work"].value.
 */
enum scim_err	 filter_parse_sub(const char *text, size_t len,
		    const struct resource_type *rt,
		    const struct schema_attr *parent, struct filter **out,
		    struct scim_error *err);

/*
 * Does resource (a stored resource, canonical names, extension objects
 * under their URN) match f?  For a filter from filter_parse_sub(), pass
 * one element of the multi-valued attribute as resource.
 */
bool		 filter_match(const struct filter *f, const cJSON *resource);

void		 filter_free(struct filter *f);

/*
 * If every match of f requires "attr eq <string>" (attr is a canonical
 * top-level name such as "userName", "externalId", "id", "displayName";
 * the term may be the whole filter or one operand of a top-level "and"),
 * return that string so the caller can use an index; else NULL.  The
 * pointer lives as long as f.
 */
const char	*filter_eq_hint(const struct filter *f, const char *attr);

/*
 * If f is nothing but "attr eq <string>" (attr as for filter_eq_hint()),
 * return that string and say in *case_exact whether the comparison is
 * case-exact; else NULL.  A resource whose attr equals the string (folding
 * ASCII case unless case-exact) matches f, without filter_match().
 */
const char	*filter_eq_only(const struct filter *f, const char *attr,
		    bool *case_exact);

/*
 * Does f mention the top-level attribute attr (canonical name, e.g.
 * "members" or "groups") anywhere?  Lets callers skip loading expensive
 * attributes that the filter cannot look at.
 */
bool		 filter_uses(const struct filter *f, const char *attr);

/*
 * Compare two JSON scalar values of attribute type t: returns <0, 0, >0;
 * case_exact applies to strings.  Exposed for sortBy.
 */
int		 filter_compare(const cJSON *a, const cJSON *b,
		    enum attr_type t, bool case_exact);

/*
 * Parse an RFC 3339 / xsd:dateTime string into microseconds since the
 * epoch (UTC).  Fractions beyond microseconds are truncated.  Returns
 * false for anything else.
 */
bool		 filter_parse_datetime(const char *s, long long *usec);

#endif /* SCIM_FILTER_H */
