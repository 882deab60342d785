/*
 * One write without a FastCGI request: a /Bulk operation (crud.h,
 * crud_run_op()) routed to the /Users and /Groups handlers of crud.c as
 * route_find() routes a request, and run as one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/crud-int.h"

/* The writes crud_run_op() runs: method, item or collection, handler. */
static const struct {
	const char	*method;
	bool		 item;		/* /Users/{id}, not /Users */
	route_fn	 fn;
} crud_op_routes[] = {
	{ "POST", false, crud_create },
	{ "PUT", true, crud_replace },
	{ "PATCH", true, crud_patch },
	{ "DELETE", true, crud_delete },
};

/*
 * Split op->path ("/Users", "/Groups/{id}") into c's resource and id
 * (c->id is new: the caller frees it), as route_find() does for a
 * request; then pick the handler for op->method into *fn.
 */
static enum scim_err
crud_op_route(const struct crud_op *op, struct scim_call *c, route_fn *fn,
    struct scim_error *err)
{
	const char	*p = op->path, *id;
	size_t		 len, i;

	if (*p == '/')
		p++;
	len = strcspn(p, "/");
	if (len == 5 && strncasecmp(p, "Users", 5) == 0)
		c->resource = "Users";
	else if (len == 6 && strncasecmp(p, "Groups", 6) == 0)
		c->resource = "Groups";
	else
		return scim_fail(err, SCIM_E_NOT_FOUND,
		    "no /Users or /Groups endpoint at %.200s", op->path);
	id = p[len] == '/' && p[len + 1] != '\0' ? p + len + 1 : NULL;
	if (id != NULL && strchr(id, '/') != NULL)
		return scim_fail(err, SCIM_E_NOT_FOUND,
		    "no /Users or /Groups endpoint at %.200s", op->path);
	if (id == NULL && p[len] != '\0' && strcmp(p + len, "/") != 0)
		return scim_fail(err, SCIM_E_NOT_FOUND,
		    "no /Users or /Groups endpoint at %.200s", op->path);
	for (i = 0; i < sizeof(crud_op_routes) / sizeof(crud_op_routes[0]);
	    i++)
		if (strcmp(crud_op_routes[i].method, op->method) == 0)
			break;
	if (i == sizeof(crud_op_routes) / sizeof(crud_op_routes[0]) ||
	    crud_op_routes[i].item != (id != NULL))
		return scim_fail(err, SCIM_E_METHOD, "%s is not allowed on "
		    "%.200s", op->method, op->path);
	if (id != NULL && (c->id = strdup(id)) == NULL)
		return scim_oom(err);
	*fn = crud_op_routes[i].fn;
	return SCIM_OK;
}

enum scim_err
crud_run_op(const struct scim_call *parent, const struct crud_op *op,
    struct http_resp *resp, struct scim_error *err)
{
	struct scim_call	 c;
	route_fn		 fn = NULL;
	enum scim_err		 rc;

	memset(resp, 0, sizeof(*resp));
	memset(&c, 0, sizeof(c));
	c.ctx = parent->ctx;
	c.auth = parent->auth;
	c.base_url = parent->base_url;
	c.req.method = op->method;
	c.req.content_type = "application/scim+json";
	c.req.if_match = op->version;
	/* The handlers only read the body; http_req_free() is not called. */
	c.req.body = (char *)(uintptr_t)op->body;
	c.req.body_len = op->body_len;
	if ((rc = crud_op_route(op, &c, &fn, err)) == SCIM_OK &&
	    (rc = fn(&c, err)) == SCIM_OK)
		*resp = c.resp;
	else
		http_resp_free(&c.resp);
	free(c.id);
	return rc;
}
