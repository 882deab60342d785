/*
 * scim-meta: the discovery endpoints of RFC 7644 section 4 -
 * /ServiceProviderConfig, /Schemas[/{urn}], /ResourceTypes[/{name}] - all
 * drawn from the one schema model in common/scim/schema.c.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scim/bulk.h"
#include "scim/schema.h"
#include "store/store.h"
#include "web/service.h"

static cJSON *
feature(cJSON *parent, const char *name, bool supported)
{
	cJSON	*o = cJSON_AddObjectToObject(parent, name);

	if (o != NULL)
		cJSON_AddBoolToObject(o, "supported", supported);
	return o;
}

static enum scim_err
spc(struct scim_call *c, struct scim_error *err)
{
	cJSON	*d, *a, *o, *meta;
	char	 loc[1200];

	if ((d = cJSON_CreateObject()) == NULL)
		return scim_oom(err);
	c->resp.body = d;
	a = cJSON_AddArrayToObject(d, "schemas");
	cJSON_AddItemToArray(a, cJSON_CreateString(SCHEMA_SPC));
	cJSON_AddStringToObject(d, "documentationUri",
	    "https://datatracker.ietf.org/doc/html/rfc7644");
	feature(d, "patch", true);
	/* What scim-bulk enforces (413 beyond either). */
	if ((o = feature(d, "bulk", true)) != NULL) {
		cJSON_AddNumberToObject(o, "maxOperations",
		    (double)c->ctx->cfg.bulk_max_operations);
		cJSON_AddNumberToObject(o, "maxPayloadSize",
		    (double)bulk_max_payload(&c->ctx->cfg));
	}
	if ((o = feature(d, "filter", true)) != NULL)
		cJSON_AddNumberToObject(o, "maxResults",
		    (double)c->ctx->cfg.max_results);
	feature(d, "changePassword", false);
	feature(d, "sort", true);
	feature(d, "etag", true);
	/*
	 * RFC 9865 section 4: both methods; index stays the default, as
	 * section 2.4 asks of a provider that had only index paging.  The
	 * RFC has no member for previousCursor (returning it is OPTIONAL):
	 * a page that has one says so itself.
	 */
	if ((o = cJSON_AddObjectToObject(d, "pagination")) != NULL) {
		cJSON_AddBoolToObject(o, "cursor", true);
		cJSON_AddBoolToObject(o, "index", true);
		cJSON_AddStringToObject(o, "defaultPaginationMethod", "index");
		cJSON_AddNumberToObject(o, "defaultPageSize",
		    (double)c->ctx->cfg.default_count);
		cJSON_AddNumberToObject(o, "maxPageSize",
		    (double)c->ctx->cfg.max_results);
		cJSON_AddNumberToObject(o, "cursorTimeout",
		    STORE_CURSOR_TIMEOUT);
	}
	a = cJSON_AddArrayToObject(d, "authenticationSchemes");
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddStringToObject(o, "type", "oauthbearertoken");
		cJSON_AddStringToObject(o, "name", "OAuth Bearer Token");
		cJSON_AddStringToObject(o, "description",
		    "A Secret Token made on the scim-tokens page, sent as "
		    "Authorization: Bearer <token>");
		cJSON_AddBoolToObject(o, "primary", true);
		cJSON_AddItemToArray(a, o);
	}
	meta = cJSON_AddObjectToObject(d, "meta");
	cJSON_AddStringToObject(meta, "resourceType", "ServiceProviderConfig");
	snprintf(loc, sizeof(loc), "%s/ServiceProviderConfig", c->base_url);
	cJSON_AddStringToObject(meta, "location", loc);
	return SCIM_OK;
}

static enum scim_err
schemas_list(struct scim_call *c, struct scim_error *err)
{
	cJSON	*arr, *s;
	size_t	 i;

	if ((arr = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	for (i = 0; schema_all[i] != NULL; i++) {
		if ((s = schema_to_json(schema_all[i], c->base_url)) == NULL) {
			cJSON_Delete(arr);
			return scim_oom(err);
		}
		cJSON_AddItemToArray(arr, s);
	}
	if ((c->resp.body = service_list_response(i, 1, arr)) == NULL)
		return scim_oom(err);
	return SCIM_OK;
}

static enum scim_err
schemas_get(struct scim_call *c, struct scim_error *err)
{
	const struct schema	*s = schema_by_urn(c->id);

	if (s == NULL)
		return scim_fail(err, SCIM_E_NOT_FOUND, "no schema %.300s",
		    c->id);
	if ((c->resp.body = schema_to_json(s, c->base_url)) == NULL)
		return scim_oom(err);
	return SCIM_OK;
}

static enum scim_err
types_list(struct scim_call *c, struct scim_error *err)
{
	cJSON	*arr, *t;
	size_t	 i;

	if ((arr = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	for (i = 0; resource_type_all[i] != NULL; i++) {
		t = resource_type_to_json(resource_type_all[i], c->base_url);
		if (t == NULL) {
			cJSON_Delete(arr);
			return scim_oom(err);
		}
		cJSON_AddItemToArray(arr, t);
	}
	if ((c->resp.body = service_list_response(i, 1, arr)) == NULL)
		return scim_oom(err);
	return SCIM_OK;
}

static enum scim_err
types_get(struct scim_call *c, struct scim_error *err)
{
	size_t	 i;

	for (i = 0; resource_type_all[i] != NULL; i++)
		if (strcasecmp(resource_type_all[i]->name, c->id) == 0)
			break;
	if (resource_type_all[i] == NULL)
		return scim_fail(err, SCIM_E_NOT_FOUND,
		    "no resource type %.300s", c->id);
	c->resp.body = resource_type_to_json(resource_type_all[i],
	    c->base_url);
	return c->resp.body == NULL ? scim_oom(err) : SCIM_OK;
}

static const struct route routes[] = {
	{ "GET", "ServiceProviderConfig", ROUTE_LIST, spc, 0 },
	{ "GET", "Schemas", ROUTE_LIST, schemas_list, 0 },
	{ "GET", "Schemas", ROUTE_ITEM, schemas_get, 0 },
	{ "GET", "ResourceTypes", ROUTE_LIST, types_list, 0 },
	{ "GET", "ResourceTypes", ROUTE_ITEM, types_get, 0 },
};

static const struct service svc = {
	"scim-meta",
	"SCIM discovery: /ServiceProviderConfig, /Schemas, /ResourceTypes",
	routes, sizeof(routes) / sizeof(routes[0]), NULL
};

int
main(int argc, char *argv[])
{
	return service_main(&svc, argc, argv);
}
