/*
 * scim-groups: the /Groups endpoint (RFC 7644 section 3).  All the work is in
 * common/scim/crud.c, shared with scim-users; this file is the route table.
 */
#include "scim/crud.h"

static const struct route routes[] = {
	{ "GET", "Groups", ROUTE_LIST, crud_list, ROUTE_AUTH_TXN },
	{ "POST", "Groups", ROUTE_LIST, crud_create, 0 },
	{ "POST", "Groups", ROUTE_SEARCH, crud_search, ROUTE_AUTH_TXN },
	{ "GET", "Groups", ROUTE_ITEM, crud_get, ROUTE_AUTH_TXN },
	{ "PUT", "Groups", ROUTE_ITEM, crud_replace, 0 },
	{ "PATCH", "Groups", ROUTE_ITEM, crud_patch, 0 },
	{ "DELETE", "Groups", ROUTE_ITEM, crud_delete, 0 },
};

static const struct service svc = {
	"scim-groups",
	"SCIM 2.0 /Groups endpoint (create, read, query, replace, patch, delete)",
	routes, sizeof(routes) / sizeof(routes[0]), NULL
};

int
main(int argc, char *argv[])
{
	return service_main(&svc, argc, argv);
}
