/*
 * Users written outside an HTTP request, by Manual User Sync
 * (common/sync): the same normalisation, stored form, meta and indexes
 * as a POST or PUT on /Users (crud.c), so that SCIM GETs, filters and
 * the gate see such a user like any other.  The caller's transaction;
 * the caller records its own audit event and who manages the user.
 *
 * OWNS nothing new: it lends crud.c's write path.  MUST NOT KNOW where
 * the user came from.
 */
#ifndef SCIM_CRUD_DIRECT_H
#define SCIM_CRUD_DIRECT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "store/store.h"

/*
 * A User body (what a client would POST: in, borrowed) in its stored
 * form without id and meta, into *out (the caller deletes it).
 * SCIM_E_INVALID_VALUE as resource_normalize() says.
 */
enum scim_err	 crud_direct_prepare(const cJSON *in, cJSON **out,
		    struct scim_error *err);

/*
 * Would writing res (from crud_direct_prepare()) over old (a stored user)
 * change anything but meta?  res gets old's id.
 */
bool		 crud_direct_differs(cJSON *res, const cJSON *old);

/*
 * Write res (crud_direct_prepare()'s) as user id of tenant, replacing
 * old (its stored record; NULL: a create).  res becomes the stored
 * record (id and meta set).  SCIM_E_UNIQUENESS when another user has its
 * userName; SCIM_E_CONFLICT when id exists on a create.
 */
enum scim_err	 crud_direct_put(struct store_txn *t, const char *tenant,
		    const char *id, cJSON *res, const cJSON *old,
		    struct scim_error *err);

#endif /* SCIM_CRUD_DIRECT_H */
