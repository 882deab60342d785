/*
 * The PATCH engine (RFC 7644 section 3.5.2), with every shape Microsoft
 * Entra ID sends (see docs/entra-notes in shared/reference/entra-scim.md):
 *
 *  - "op" in any case (Add, add, ADD, Replace, Remove);
 *  - paths: attr, attr.sub, urn:...:attr[.sub], attr[filter], attr[filter].sub;
 *  - add/replace on attr[filter].sub when no element matches creates the
 *    element from the filter's eq terms (emails[type eq "work"].value
 *    creates {"type":"work","value":...}); several such adds in one
 *    request fill one element;
 *  - pathless add/replace whose value object has plain, dotted
 *    ("name.givenName") or URN-qualified keys
 *    ("urn:...:enterprise:2.0:User:employeeNumber"), or nested extension
 *    objects;
 *  - "True"/"False" strings (any case) for boolean attributes, including
 *    sub-attributes such as primary;
 *  - "" or null as the value of add/replace clears an optional attribute;
 *  - the manager as a bare id string, as {"value":...} or as
 *    [{"value":...,"$ref":...}]; remove manager[value eq "id"];
 *  - "Operations": [] is a no-op.
 *
 * At most PATCH_MAX_OPS operations per request: each one costs time in
 * the size of the attribute it changes, so many small operations on one
 * growing multi-valued attribute cost their number squared (a 1 MiB body
 * of 10,000 email adds took 6 s).  More is SCIM_E_TOO_LARGE (413, as RFC
 * 7644 section 3.7.4 answers a bulk request over its maxOperations;
 * ServiceProviderConfig has no place to announce a PATCH limit).  Clients
 * send member changes as few operations with many values, which is cheap.
 *
 * Errors: readOnly or immutable targets -> SCIM_E_MUTABILITY; unparsable
 * path -> SCIM_E_INVALID_PATH; remove without path, or replace/remove
 * with a value filter that matches nothing -> SCIM_E_NO_TARGET; a bad op
 * or body -> SCIM_E_INVALID_SYNTAX; a value of the wrong JSON type ->
 * SCIM_E_INVALID_VALUE; removing a required attribute ->
 * SCIM_E_INVALID_VALUE.
 *
 * Owns: applying operations to one resource's JSON (patch.c the engine,
 * patch-path.c paths, patch-target.c the three kinds of target,
 * patch-value.c coercion and merging; patch-int.h is private).  Must not
 * know: the store (group members go through the caller's hook), HTTP.
 */
#ifndef SCIM_PATCH_H
#define SCIM_PATCH_H

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/filter.h"
#include "scim/schema.h"

#define PATCH_MAX_OPS	1000	/* Operations in one request */

enum patch_op {
	PATCH_ADD,
	PATCH_REMOVE,
	PATCH_REPLACE
};

/*
 * Operations on one top-level attribute can be handed to the caller
 * instead of being applied to the JSON (Groups hand over "members", which
 * live in their own store records and may number 100,000).
 *
 * op is the operation; vfilter is the value filter of "members[...]" or
 * NULL; value is the op's value for that attribute (for a pathless op,
 * the "members" member of its value object), or NULL.  Called in request
 * order, interleaved with the JSON operations.  The hook returns SCIM_OK
 * or an error, which aborts the patch.
 */
struct patch_hook {
	const char	*attr;		/* canonical top-level name, "members" */
	enum scim_err	(*fn)(void *arg, enum patch_op op,
			    const struct filter *vfilter,
			    const cJSON *value, struct scim_error *err);
	void		*arg;
};

/*
 * Apply the PatchOp request body to res, a stored resource of type rt
 * (canonical names; extensions under their URN).  hook may be NULL.
 *
 * res is modified in place and may be left half-changed on failure:
 * callers patch a duplicate and keep it only on SCIM_OK (the store
 * transaction is aborted on failure, so hooked operations also vanish).
 * body must have "Operations" (any case) as an array; "schemas" is not
 * enforced.  The result is not re-validated here: callers pass it through
 * resource_normalize() before storing it.
 */
enum scim_err	 patch_apply(const struct resource_type *rt, cJSON *res,
		    const cJSON *body, const struct patch_hook *hook,
		    struct scim_error *err);

#endif /* SCIM_PATCH_H */
