/*
 * scim-users: the /Users endpoint (RFC 7644 section 3).  All the work is in
 * common/scim/crud.c, shared with scim-groups; this file is the route table.
 */
#include "scim/crud.h"

static const struct route routes[] = {
	{ "GET", "Users", ROUTE_LIST, crud_list, ROUTE_AUTH_TXN },
	{ "POST", "Users", ROUTE_LIST, crud_create, 0 },
	{ "POST", "Users", ROUTE_SEARCH, crud_search, ROUTE_AUTH_TXN },
	{ "GET", "Users", ROUTE_ITEM, crud_get, ROUTE_AUTH_TXN },
	{ "PUT", "Users", ROUTE_ITEM, crud_replace, 0 },
	{ "PATCH", "Users", ROUTE_ITEM, crud_patch, 0 },
	{ "DELETE", "Users", ROUTE_ITEM, crud_delete, 0 },
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
