/*
 * Resources in and out: turn what a client sent into the canonical stored
 * form, and turn a stored resource into what a response shows.
 *
 * Canonical stored form: attribute names spelt as in the schema tables;
 * extension attributes under the canonical URN key; booleans as JSON
 * booleans; complex single values as objects (the enterprise manager is
 * always {"value": id, ...}); multi-valued attributes as arrays; absent,
 * null and empty-array attributes omitted; no "id", "meta", "schemas" or
 * readOnly attributes (the handlers add id/meta, the renderer adds
 * schemas).  Values are otherwise kept exactly as sent (no reformatting of
 * emails, phone numbers or names).
 *
 * The module owns the canonical form, rendering, the ?attributes= lists
 * (attrsel.h) and the stored text answers are spliced from; its files
 * share resource-int.h.  It must not know storage, requests or HTTP: the
 * handlers (crud.c) hand it parsed JSON and stored text.
 */
#ifndef SCIM_RESOURCE_H
#define SCIM_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/schema.h"
#include "scim/attrsel.h"

/*
 * The URL of resource id of type rt: base + endpoint + "/" + id, a
 * trailing '/' on base not doubled.  The one spelling of it, for
 * meta.location, a 201's Location and each back-reference's "$ref".  A
 * new string the caller frees; NULL when base or id is missing or memory
 * is short.
 */
char		*resource_location(const struct resource_type *rt,
		    const char *id, const char *base);

/*
 * Normalise a client-sent resource body (POST, PUT, or the result of a
 * PATCH) of type rt into a new canonical object in *out, which the caller
 * frees with cJSON_Delete.
 *
 *  - names are matched case-insensitively and rewritten canonically;
 *  - unknown attributes and unknown schema URNs are ignored (dropped);
 *    an object under an unknown "urn:..." key is kept as sent (custom
 *    extensions arrive without their URN in "schemas");
 *  - readOnly attributes (id, meta, groups, manager.displayName...) are
 *    dropped silently, as RFC 7644 section 3.3 allows;
 *  - boolean attributes accept "true"/"false" strings in any case;
 *  - a single object given for a multi-valued attribute is wrapped into a
 *    one-element array; the manager may be a bare id string;
 *  - a value of the wrong JSON type is SCIM_E_INVALID_VALUE naming the
 *    attribute; a missing required attribute (userName for User,
 *    displayName for Group) is SCIM_E_INVALID_VALUE; so is a userName or
 *    displayName that is only blanks or holds a control character
 *    (U+0000-U+001F, U+007F-U+009F); more than one
 *    "primary": true in one multi-valued attribute is
 *    SCIM_E_INVALID_VALUE.
 */
enum scim_err	 resource_normalize(const struct resource_type *rt,
		    const cJSON *in, cJSON **out, struct scim_error *err);

/*
 * resource_normalize() for a change of old (PATCH): a userName or
 * displayName left as old had it is not checked again, so a resource
 * stored before the name rules can still be changed (deactivated, say)
 * without being renamed first.
 */
enum scim_err	 resource_normalize_change(const struct resource_type *rt,
		    const cJSON *in, const cJSON *old, cJSON **out,
		    struct scim_error *err);

/*
 * resource_normalize_change() (old NULL: resource_normalize()) of a body
 * the caller has no more use for: in is consumed (deleted whatever this
 * returns), its values moved into *out instead of copied.
 */
enum scim_err	 resource_normalize_take(const struct resource_type *rt,
		    cJSON *in, const cJSON *old, cJSON **out,
		    struct scim_error *err);

/*
 * Build the response body for stored resource res (which includes id,
 * meta and, when loaded, members/groups): adds "schemas" (core plus each
 * extension present), fills meta.location from base ("https://h/scim/v2")
 * as base + endpoint + "/" + id, and applies the RFC 7644 section 3.9
 * rules: attributes (comma-separated list, NULL for none) keeps only the
 * listed attributes plus returned:always ones; excluded removes the listed
 * ones except returned:always; returned:never attributes never appear;
 * returned:request ones only when listed.  List entries may be
 * URN-qualified, dotted (name.givenName) or carry a value filter
 * (emails[type eq "work"], treated as the whole attribute).  Returns a new
 * object the caller frees.
 */
cJSON		*resource_render(const struct resource_type *rt,
		    const cJSON *res, const char *base,
		    const char *attributes, const char *excluded);

/*
 * resource_render() that builds the answer from res's own members instead
 * of copies: res is consumed (deleted) whatever happens, so a handler that
 * is done with what it read or wrote answers without duplicating it.  The
 * result is the same as resource_render()'s.
 */
cJSON		*resource_render_take(const struct resource_type *rt,
		    cJSON *res, const char *base, const char *attributes,
		    const char *excluded);

/*
 * resource_render() and resource_render_take() with lists already parsed
 * by attrsel_parse(), so that a request rendering many resources (a list
 * response) parses its ?attributes= and ?excludedAttributes= once.  The
 * result is the same as theirs for the same lists.
 */
cJSON		*resource_render_sel(const struct resource_type *rt,
		    const cJSON *res, const char *base,
		    const struct attrsel *sel);
cJSON		*resource_render_take_sel(const struct resource_type *rt,
		    cJSON *res, const char *base, const struct attrsel *sel);

/*
 * The stored form of res (consumed; NULL when memory is short): res as
 * resource_render() shows it with no lists and no base, "schemas" first,
 * then id, externalId, attributes in schema order, extensions, custom
 * extensions and meta (the back-reference is never stored), so that a
 * read can answer with the stored text itself (resource_answer()).  When
 * such an answer would not show everything in res (a password), the rest
 * is kept and "schemas" left out: a plain record, which reads render.
 */
cJSON		*resource_stored(const struct resource_type *rt, cJSON *res);

/*
 * Give res the member "id" (replacing any) where answers show it: first,
 * or after "schemas" in the stored form.  False when memory is short.
 */
bool		 resource_set_id(cJSON *res, const char *id);

/*
 * Is text (len bytes, a stored record) in resource_stored() form, so that
 * resource_answer() can answer with it?
 */
bool		 resource_answerable(const char *text, size_t len);

/*
 * The answer to a read of a record stored in resource_stored() form, made
 * from its text (len bytes) without parsing all of it: the back-reference
 * goes in before meta and meta.location is set from base and id.  The
 * back-reference is backref (the "groups" or "members" array, consumed
 * with an answer, left to the caller without one), or backref_text when
 * it is not NULL: the object {"groups":[...]} as text, backref_len bytes,
 * written as rendering would write it (members.h, struct members_ref);
 * both NULL show none.  It is, byte for byte, what printing
 * resource_render() of the parsed record with the back-reference
 * attached and no lists gives.  A new string, NULL when text is not in
 * that form (a stored meta with a location is not) or memory is short:
 * then parse and render it.  *version gets meta.version (a new string,
 * for the ETag) or NULL.
 */
char		*resource_answer(const struct resource_type *rt,
		    const char *text, size_t len, const char *id,
		    cJSON *backref, const char *backref_text,
		    size_t backref_len, const char *base, char **version);

/*
 * res (a record in resource_stored() form just written, its id and meta
 * set) made, in place, what resource_render_take_sel() with no lists
 * would make of it: the same members in the same order, meta.location
 * last in meta when base and its id are known.  Returns res, or NULL
 * with res untouched when it is not in that form ("schemas" first, meta
 * last holding strings only and no location), holds a back-reference
 * (whose members rendering orders) or memory is short: then render it.
 * Spares a new tree of every member for the answer to a POST or PUT.
 */
cJSON		*resource_answer_take(const struct resource_type *rt,
		    cJSON *res, const char *base);

/*
 * The text of the answer resource_answer_take() made of res (id and
 * base as given to it), made from *text (*len bytes, res as printed
 * before it was taken, NUL-terminated, owned by the caller): meta.location
 * is put in as meta's last member, the string grown in place (*text and
 * *len updated).  The same bytes as printing the answer's tree.  False
 * when *text does not end as such a record does or memory is short
 * (*text is then unchanged): print the tree.
 */
bool		 resource_answer_locate(const struct resource_type *rt,
		    char **text, size_t *len, const char *id,
		    const char *base);

/*
 * Would resource_render() with these lists show top-level attribute attr
 * (canonical name)?  Lets handlers skip loading members or groups.
 */
int		 resource_wants(const struct resource_type *rt,
		    const char *attr, const char *attributes,
		    const char *excluded);

/* resource_wants() with lists already parsed by attrsel_parse(). */
int		 resource_wants_sel(const struct resource_type *rt,
		    const char *attr, const struct attrsel *sel);

/*
 * Coerce a JSON value for a boolean attribute: true/false, or a string
 * "true"/"false" in any case.  Returns 1 and sets *b on success, 0 for
 * anything else.
 */
int		 resource_bool(const cJSON *v, int *b);

#endif /* SCIM_RESOURCE_H */
