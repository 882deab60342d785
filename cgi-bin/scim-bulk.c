/*
 * scim-bulk: the /Bulk endpoint (RFC 7644 section 3.7).  A program of its
 * own, not a route of scim-users: one BulkRequest may hold a thousand
 * writes and keep its process busy for seconds, and single requests to
 * /Users and /Groups must not queue behind it.  All the work is in
 * common/scim/bulk.c, which runs each operation through the /Users and
 * /Groups handlers of common/scim/crud.c; this file is the route table.
 * The loop checks the bearer token once for the whole request.
 */
#include "scim/bulk.h"

static const struct route routes[] = {
	{ "POST", "Bulk", ROUTE_LIST, bulk_post, ROUTE_FORWARD },
};

static const struct service svc = {
	"scim-bulk",
	"SCIM 2.0 /Bulk endpoint (many writes to /Users and /Groups at once)",
	routes, sizeof(routes) / sizeof(routes[0]), NULL
};

int
main(int argc, char *argv[])
{
	return service_main(&svc, argc, argv);
}
