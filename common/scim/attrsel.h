/*
 * Attribute selection: the ?attributes= and ?excludedAttributes= lists
 * of RFC 7644 section 3.9, parsed once against a resource type so that a
 * request that renders many resources (a list, a page) or asks whether
 * to load a back-reference first does not parse them again per resource.
 *
 * Owns the list syntax (URN-qualified, dotted, value-filtered entries:
 * emails[type eq "work"] counts as "emails") and the "returned"
 * characteristic rules of showing an attribute.  Must not know how a
 * resource is rendered or stored; resource.h's *_sel functions take a
 * parsed struct attrsel.
 */
#ifndef SCIM_ATTRSEL_H
#define SCIM_ATTRSEL_H

#include <stdbool.h>
#include <stddef.h>

#include "scim/schema.h"

/* Longest entry of a list kept (for URNs of custom extensions). */
#define ATTRSEL_TEXT_MAX	512

/* One entry of an attributes or excludedAttributes list. */
struct attrsel_entry {
	const struct schema	*sch;	/* core/extension; NULL: other */
	char			 attr[128]; /* canonical; "": whole schema */
	char			 sub[128]; /* as listed; "": whole attr */
	char			 text[ATTRSEL_TEXT_MAX]; /* entry, for URNs
					   of custom extensions */
};

/* A parsed list. */
struct attrsel_list {
	struct attrsel_entry	*v;	/* entries that name something */
	size_t			 n;
	bool			 given;	/* the list was present */
};

/* Both lists of one request; all zero means neither was given. */
struct attrsel {
	struct attrsel_list	 inc;	/* ?attributes= */
	struct attrsel_list	 exc;	/* ?excludedAttributes= */
};

enum attrsel_m {
	ATTRSEL_NONE,			/* not listed */
	ATTRSEL_PART,			/* some sub-attributes listed */
	ATTRSEL_WHOLE			/* listed as a whole */
};

/*
 * Parse attributes and excluded (comma-separated, NULL or blank: not
 * given) for resource type rt into *sel.  Entries that name nothing rt
 * knows are ignored, as RFC 7644 permits.  False only when memory is
 * short (*sel is then empty).  Whatever it returns, attrsel_free()
 * releases *sel; rt must outlive it.
 */
bool		 attrsel_parse(const struct resource_type *rt,
		    const char *attributes, const char *excluded,
		    struct attrsel *sel);

/* Free what attrsel_parse() allocated in *sel and empty it. */
void		 attrsel_free(struct attrsel *sel);

/* How does l list attribute attr of schema sch? */
enum attrsel_m	 attrsel_match(const struct attrsel_list *l,
		    const struct schema *sch, const char *attr);

/* Does l list sub-attribute sub of attr (schema sch) by name? */
bool		 attrsel_sub(const struct attrsel_list *l,
		    const struct schema *sch, const char *attr,
		    const char *sub);

/*
 * How does l list the custom extension object urn (key NULL) or its
 * member key?
 */
enum attrsel_m	 attrsel_custom(const struct attrsel_list *l,
		    const char *urn, const char *key);

/*
 * Is attribute a of schema sch shown under inc and exc?  ATTRSEL_NONE,
 * ATTRSEL_WHOLE, or ATTRSEL_PART when only some sub-attributes are (then
 * *mi and *me say which list restricts them).
 */
enum attrsel_m	 attrsel_visible(const struct schema *sch,
		    const struct schema_attr *a,
		    const struct attrsel_list *inc,
		    const struct attrsel_list *exc, enum attrsel_m *mi,
		    enum attrsel_m *me);

#endif /* SCIM_ATTRSEL_H */
