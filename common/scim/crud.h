/*
 * The HTTP handlers for /Users and /Groups, written once for both resource
 * types: create, read, query (GET and POST .search), replace, patch and
 * delete, with the store transaction, preconditions (If-Match,
 * If-None-Match), meta/version upkeep, membership and back-references
 * (the rules: members.h), filters, sorting, paging and attribute
 * projection.  Each returns a status for the service loop to answer
 * with; the response hangs off the call.
 *
 * OWNS: what a request on /Users or /Groups does to the store and says
 * back.  MUST NOT KNOW: FastCGI, how tokens are verified (service.c),
 * how records are laid out (store.h), how resources are rendered
 * (resource.h).
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
