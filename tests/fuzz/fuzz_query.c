/*
 * Fuzz harness: the query-string decoder (http_query_parse and
 * http_decode in common/web/http.c) and what the handlers do with the
 * parameters it yields: bounded integers for startIndex and count (as
 * crud.c's query_parse), sortBy through schema_resolve, the filter
 * through filter_parse, attributes/excludedAttributes through
 * resource_wants and resource_render.  The input is also routed as a
 * request path by service_match (ids with ../, %2F, empty segments).
 */
#include <stdbool.h>

#include "base/error.h"
#include "scim/filter.h"
#include "web/http.h"
#include "scim/resource.h"
#include "scim/schema.h"
#include "web/service.h"
#include "base/util.h"

#include "fixtures.h"
#include "fuzz.h"

static enum scim_err
no_handler(struct scim_call *c, struct scim_error *err)
{
	(void)c;
	return scim_fail(err, SCIM_E_INTERNAL, "not called");
}

static const struct route routes[] = {
	{ "GET", "Users", ROUTE_LIST, no_handler, 0 },
	{ "POST", "Users", ROUTE_SEARCH, no_handler, 0 },
	{ "GET", "Users", ROUTE_ITEM, no_handler, 0 },
	{ "GET", "Groups", ROUTE_ITEM, no_handler, 0 },
	{ "GET", "ServiceProviderConfig", ROUTE_LIST, no_handler,
	    ROUTE_NOAUTH },
};

static const struct service svc = {
	.name = "fuzz_query",
	.summary = "fuzz",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
};

static void
use_params(const struct http_req *req, const cJSON *user, const cJSON *group)
{
	struct scim_error	 err;
	struct schema_path	 sp;
	struct filter		*f = NULL;
	const char		*v, *attrs, *excl;
	cJSON			*out;
	long			 n;

	if ((v = http_param(req, "startIndex")) != NULL)
		(void)util_parse_long(v, -(1L << 62), 1L << 62, &n);
	if ((v = http_param(req, "count")) != NULL)
		(void)util_parse_long(v, -(1L << 62), 1L << 62, &n);
	if ((v = http_param(req, "sortBy")) != NULL)
		(void)schema_resolve(&rt_user, v, strlen(v), &sp, &err);
	if ((v = http_param(req, "filter")) != NULL &&
	    filter_parse(v, &rt_user, &f, &err) == SCIM_OK)
		(void)filter_match(f, user);
	filter_free(f);
	attrs = http_param(req, "attributes");
	excl = http_param(req, "excludedAttributes");
	(void)resource_wants(&rt_user, "groups", attrs, excl);
	(void)resource_wants(&rt_group, "members", attrs, excl);
	out = resource_render(&rt_user, user, "https://h/scim/v2", attrs,
	    excl);
	cJSON_Delete(out);
	out = resource_render(&rt_group, group, "https://h/scim/v2", attrs,
	    excl);
	cJSON_Delete(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON		*user, *group;
	struct http_req		 req;
	struct scim_error	 err;
	const char		*rest;
	char			*qs, *d;
	size_t			 base_len;

	if (user == NULL) {
		user = cJSON_Parse(fuzz_user_json);
		group = cJSON_Parse(fuzz_group_json);
		if (user == NULL || group == NULL)
			abort();
	}
	if ((qs = fuzz_strndup(data, size)) == NULL)
		return 0;
	memset(&req, 0, sizeof(req));
	if (http_query_parse(&req, qs, &err) == SCIM_OK)
		use_params(&req, user, group);
	http_req_free(&req);
	/* The raw bytes, NULs included, both ways. */
	free(http_decode((const char *)data, size, true));
	if ((d = http_decode((const char *)data, size, false)) != NULL) {
		(void)util_utf8_valid(d, strlen(d));
		free(d);
	}
	(void)service_match(&svc, qs, &base_len, &rest);
	free(qs);
	return 0;
}
