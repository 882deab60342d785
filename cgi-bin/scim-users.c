/*
 * scim-users: the /Users endpoint (RFC 7644 section 3).  All the work is in
 * common/scim/crud.c, shared with scim-groups; this file is the route table.
 */
#include "scim/crud.h"

/*
 * A reader finishes the token check in its own transaction; a writer
 * must not.  On a replica the master serves both (ROUTE_FORWARD).
 */
#define READER	(ROUTE_AUTH_TXN | ROUTE_FORWARD)
#define WRITER	ROUTE_FORWARD

static const struct route routes[] = {
	{ "GET", "Users", ROUTE_LIST, crud_list, READER },
	{ "POST", "Users", ROUTE_LIST, crud_create, WRITER },
	{ "POST", "Users", ROUTE_SEARCH, crud_search, READER },
	{ "GET", "Users", ROUTE_ITEM, crud_get, READER },
	{ "PUT", "Users", ROUTE_ITEM, crud_replace, WRITER },
	{ "PATCH", "Users", ROUTE_ITEM, crud_patch, WRITER },
	{ "DELETE", "Users", ROUTE_ITEM, crud_delete, WRITER },
};

static const struct service svc = {
	"scim-users",
	"SCIM 2.0 /Users endpoint (create, read, query, replace, patch, delete)",
	routes, sizeof(routes) / sizeof(routes[0]), NULL
};

int
main(int argc, char *argv[])
{
	return service_main(&svc, argc, argv);
}
