/*
 * The HTTP handlers for /Users and /Groups, written once for both resource
 * types: create, read, query (GET and POST .search), replace, patch and
 * delete, with the store transaction, preconditions (If-Match,
 * If-None-Match), meta/version upkeep, membership and back-references,
 * filters, sorting, paging and attribute projection.
 *
 * Membership rules (documented in scim-fcgi(8)):
 *  - a member "value" must be the id of a user or group of the same
 *    tenant; an unknown id is skipped (not stored) and logged, so a stale
 *    id from a client never creates a dangling reference;
 *  - "type" is filled from what the id is; "display" is kept as sent, else
 *    filled from the member's displayName (or userName);
 *  - adding an existing member is a no-op, removing a non-member is a
 *    no-op (both idempotent, as provisioning clients retry).
 */
#ifndef SCIM_CRUD_H
#define SCIM_CRUD_H

#include "web/service.h"

enum scim_err	 crud_create(struct scim_call *c, struct scim_error *err);
enum scim_err	 crud_get(struct scim_call *c, struct scim_error *err);
enum scim_err	 crud_list(struct scim_call *c, struct scim_error *err);
enum scim_err	 crud_search(struct scim_call *c, struct scim_error *err);
enum scim_err	 crud_replace(struct scim_call *c, struct scim_error *err);
enum scim_err	 crud_patch(struct scim_call *c, struct scim_error *err);
enum scim_err	 crud_delete(struct scim_call *c, struct scim_error *err);

#endif /* SCIM_CRUD_H */
