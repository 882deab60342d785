/*
 * Unit tests for the strict input layer: query-string splitting and
 * decoding (split on '&' first, then '+' and %XX), parameter lookup, JSON
 * body checks, error bodies, and the routing of paths to resources.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/http.h"
#include "web/service.h"
#include "tap.h"

static const struct {
	const char	*qs;
	int		 rc;
	const char	*name;
	const char	*want;		/* value of name, NULL = absent */
} queries[] = {
	{ "filter=userName+eq+%22bob%22", SCIM_OK, "filter",
	  "userName eq \"bob\"" },
	{ "filter=userName eq \"7d42\"", SCIM_OK, "filter",
	  "userName eq \"7d42\"" },
	{ "FILTER=a", SCIM_OK, "filter", "a" },
	{ "filter=externalId+eq+%22a%26b%22&count=5", SCIM_OK, "filter",
	  "externalId eq \"a&b\"" },
	{ "filter=x&count=5", SCIM_OK, "count", "5" },
	{ "a=1&&b=2", SCIM_OK, "b", "2" },
	{ "flag", SCIM_OK, "flag", "" },
	{ "x=%e2%82%ac", SCIM_OK, "x", "\xe2\x82\xac" },
	{ "x=1%2B1", SCIM_OK, "x", "1+1" },
	{ "x=%zz", SCIM_E_INVALID_SYNTAX, "x", NULL },
	{ "x=%4", SCIM_E_INVALID_SYNTAX, "x", NULL },
	{ "x=%", SCIM_E_INVALID_SYNTAX, "x", NULL },
	{ "x=%00", SCIM_E_INVALID_SYNTAX, "x", NULL },
	{ "x=%ff", SCIM_E_INVALID_SYNTAX, "x", NULL },
	{ "x=%c0%af", SCIM_E_INVALID_SYNTAX, "x", NULL },
	{ "", SCIM_OK, "x", NULL },
	{ "unknown=1", SCIM_OK, "filter", NULL },
};

static const struct route routes[] = {
	{ "GET", "Users", ROUTE_LIST, NULL, 0 },
	{ "GET", "ServiceProviderConfig", ROUTE_LIST, NULL, 0 },
};
static const struct service svc = {
	.name = "t",
	.summary = "t",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
};

static const struct {
	const char	*path;
	const char	*res;		/* NULL = no match */
	size_t		 base_len;
	const char	*rest;
} paths[] = {
	{ "/scim/v2/Users", "Users", 8, "" },
	{ "/scim/v2/Users/abc", "Users", 8, "/abc" },
	{ "/scim/v2/users/abc", "Users", 8, "/abc" },
	{ "/Users", "Users", 0, "" },
	{ "/tenant/a/scim/Users/.search", "Users", 14, "/.search" },
	{ "/scim/v2/serviceConfiguration", "ServiceProviderConfig", 8, "" },
	{ "/scim/v2/Groups", NULL, 0, NULL },
	{ "/scim/v2/UsersX", NULL, 0, NULL },
	{ "", NULL, 0, NULL },
};

/* Query strings: each parameter's value, or the refusal. */
static void
test_queries(void)
{
	struct http_req		 req;
	struct scim_error	 err;
	enum scim_err		 rc;
	char			 name[200];
	size_t			 i;

	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		memset(&req, 0, sizeof(req));
		rc = http_query_parse(&req, queries[i].qs, &err);
		snprintf(name, sizeof(name), "query \"%s\"", queries[i].qs);
		if (is_int(rc, queries[i].rc, name) && rc == SCIM_OK)
			is_str(http_param(&req, queries[i].name),
			    queries[i].want, name);
		http_req_free(&req);
	}
}

/* Paths: the route each one takes, its base and the rest. */
static void
test_routes(void)
{
	const char	*rest, *res;
	char		 name[200];
	size_t		 i, base;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		base = 0;
		rest = NULL;
		res = service_match(&svc, paths[i].path, &base, &rest);
		snprintf(name, sizeof(name), "route \"%s\"", paths[i].path);
		is_str(res, paths[i].res, name);
		if (res != NULL) {
			is_int((long long)base, (long long)paths[i].base_len,
			    name);
			is_str(rest, paths[i].rest, name);
		}
	}
}

/* JSON bodies: what is refused and what is fine. */
static void
test_bodies(void)
{
	struct http_req		 req;
	struct scim_error	 err;
	cJSON			*j;

	memset(&req, 0, sizeof(req));
	req.body = (char *)"{\"userName\":\"a\",\"USERNAME\":\"b\"}";
	req.body_len = strlen(req.body);
	is_int(http_body_json(&req, &j, &err), SCIM_E_INVALID_SYNTAX,
	    "duplicate names (any case) are refused");
	req.body = (char *)"[1,2]";
	req.body_len = 5;
	is_int(http_body_json(&req, &j, &err), SCIM_E_INVALID_SYNTAX,
	    "a top-level array is refused");
	req.body = (char *)"{\"a\":";
	req.body_len = 5;
	is_int(http_body_json(&req, &j, &err), SCIM_E_INVALID_SYNTAX,
	    "truncated JSON is refused");
	req.body = (char *)"{\"a\":1}";
	req.body_len = 7;
	req.content_type = "text/html";
	is_int(http_body_json(&req, &j, &err), SCIM_E_MEDIA_TYPE,
	    "a non-JSON content type is refused");
	req.content_type = "application/scim+json; charset=utf-8";
	ok(http_body_json(&req, &j, &err) == SCIM_OK && cJSON_IsObject(j),
	    "application/scim+json with charset is fine");
	cJSON_Delete(j);
	req.content_type = NULL;
	ok(http_body_json(&req, &j, &err) == SCIM_OK,
	    "no content type is fine (Entra sometimes sends none)");
	cJSON_Delete(j);
}

/* HTTP_MAX_HEADERS headers fit; one more fails, loudly, and changes nothing. */
static void
test_header_room(void)
{
	struct http_resp	 resp;
	int			 i, took = 0;

	memset(&resp, 0, sizeof(resp));
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		took += http_resp_header(&resp, "X-N%d: %d", i, i);
	is_int(took, HTTP_MAX_HEADERS, "HTTP_MAX_HEADERS headers kept");
	ok(!http_resp_header(&resp, "X-Extra: 1"), "one more is refused "
	    "(and logged)");
	is_int((int)resp.nheaders, HTTP_MAX_HEADERS, "the table is unchanged");
	http_resp_free(&resp);
}

/* Error bodies and a header that would split the answer. */
static void
test_errors(void)
{
	struct http_resp	 resp;
	struct scim_error	 err;

	memset(&resp, 0, sizeof(resp));
	scim_fail(&err, SCIM_E_UNIQUENESS, "userName taken");
	http_resp_error(&resp, &err);
	is_int(resp.status, 409, "uniqueness is 409");
	is_str(cJSON_GetObjectItem(resp.body, "status")->valuestring, "409",
	    "status is a string");
	is_str(cJSON_GetObjectItem(resp.body, "scimType")->valuestring,
	    "uniqueness", "scimType set");
	is_str(cJSON_GetObjectItem(resp.body, "detail")->valuestring,
	    "userName taken", "detail set");
	http_resp_free(&resp);
	scim_fail(&err, SCIM_E_NOT_FOUND, "gone");
	http_resp_error(&resp, &err);
	ok(cJSON_GetObjectItem(resp.body, "scimType") == NULL,
	    "404 has no scimType");
	http_resp_free(&resp);
	ok(!http_resp_header(&resp, "X-Evil: a\r\nSet-Cookie: b"),
	    "a header with CR/LF is refused");
	http_resp_free(&resp);
	test_header_room();
}

int
main(void)
{
	test_queries();
	test_routes();
	test_bodies();
	test_errors();
	return tap_done();
}
