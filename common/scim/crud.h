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

/*
 * One write described without a FastCGI request: what a /Bulk operation
 * runs (bulk.h).  path is relative to the service root ("/Users",
 * "/Groups/{id}", not percent-decoded); body is JSON text (NULL for
 * DELETE); version, when not NULL, is checked as an If-Match header
 * would be.
 */
struct crud_op {
	const char	*method;	/* "POST", "PUT", "PATCH", "DELETE" */
	const char	*path;		/* "/Users" or "/Groups/{id}" */
	const char	*body;		/* JSON text, or NULL */
	size_t		 body_len;
	const char	*version;	/* If-Match value, or NULL */
};

/*
 * Run op as parent's tenant and token (checked already: parent's
 * auth), with parent's base URL, through the very handler a single
 * request runs (crud_create, crud_replace, crud_patch, crud_delete):
 * same transaction, checks, audit events and deferred flush.  On
 * SCIM_OK *resp holds the handler's answer (status, location, ETag,
 * body); otherwise err says why, and *resp is empty.  A path that names
 * no /Users or /Groups item is SCIM_E_NOT_FOUND, a method the path does
 * not take SCIM_E_METHOD.  The caller frees *resp (http_resp_free()).
 */
enum scim_err	 crud_run_op(const struct scim_call *parent,
		    const struct crud_op *op, struct http_resp *resp,
		    struct scim_error *err);

#endif /* SCIM_CRUD_H */
