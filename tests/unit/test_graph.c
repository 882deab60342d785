/*
 * Unit tests for sync/graph-parse.c, table-driven: token answers, error
 * bodies (AADSTS and Graph shapes) with their codes and hints, pages with
 * and without a nextLink, user entries (nested groups skipped, null mail,
 * disabled accounts), Retry-After, which URLs may be called and which
 * nextLinks may be followed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/graph.h"
#include "tap.h"

/* A string literal and its length, as the parsers take them. */
#define LIT(s)	(s), strlen(s)

static const struct {
	const char	*what;
	long		 status;
	const char	*body;
	enum scim_err	 code;
	const char	*has;		/* in the detail */
	const char	*has2;
} errors[] = {
	{ "token", 401, "{\"error\":\"invalid_client\",\"error_description\":"
	    "\"AADSTS7000215: Invalid client secret provided.\\r\\nTrace ID: x\","
	    "\"error_codes\":[7000215]}", SCIM_E_UNAUTHORIZED, "AADSTS7000215",
	    "regenerate the client secret" },
	{ "token", 401, "{\"error\":\"invalid_client\",\"error_description\":"
	    "\"AADSTS7000222: The provided client secret keys are expired.\"}",
	    SCIM_E_UNAUTHORIZED, "has expired", "invalid_client" },
	{ "token", 400, "{\"error\":\"unauthorized_client\","
	    "\"error_description\":\"AADSTS700016: Application not found\"}",
	    SCIM_E_UNAUTHORIZED, "AADSTS700016", "check the client id" },
	{ "token", 400, "{\"error\":\"invalid_request\",\"error_description\":"
	    "\"AADSTS90002: Tenant 'x' not found.\"}", SCIM_E_UNAUTHORIZED,
	    "AADSTS90002", "check the tenant id" },
	{ "groups", 401, "{\"error\":{\"code\":\"InvalidAuthenticationToken\","
	    "\"message\":\"Lifetime validation failed\"}}", SCIM_E_UNAUTHORIZED,
	    "InvalidAuthenticationToken: Lifetime", "regenerate" },
	{ "groups", 403, "{\"error\":{\"code\":\"Authorization_RequestDenied\","
	    "\"message\":\"Insufficient privileges\"}}", SCIM_E_FORBIDDEN,
	    "Authorization_RequestDenied", "Group.Read.All" },
	{ "members", 404, "{\"error\":{\"code\":\"Request_ResourceNotFound\","
	    "\"message\":\"Resource 'g' does not exist.\"}}", SCIM_E_NOT_FOUND,
	    "Request_ResourceNotFound", "check the mapping" },
	{ "groups", 429, "", SCIM_E_UNAVAILABLE, "HTTP 429", "run the sync "
	    "again later" },
	{ "groups", 503, "<html>busy</html>", SCIM_E_UNAVAILABLE, "HTTP 503",
	    "busy" },
	{ "groups", 400, "not json", SCIM_E_INTERNAL, "HTTP 400", "" },
};

static const struct {
	const char	*s;
	long		 want;
} retry_afters[] = {
	{ "1", 1 }, { " 30\r\n", 30 }, { "0", 0 }, { "99999", 3600 },
	{ "", -1 }, { "x", -1 }, { "-1", -1 }, { "1.5", -1 },
	{ "Wed, 21 Oct 2015 07:28:00 GMT", -1 },
};

static const struct {
	const char	*url;
	bool		 ok;
} urls[] = {
	{ "https://graph.microsoft.com", true },
	{ "https://login.microsoftonline.com/t/oauth2", true },
	{ "http://127.0.0.1:8080", true }, { "http://localhost/x", true },
	{ "http://[::1]:9/x", true }, { "http://graph.microsoft.com", false },
	{ "http://127.0.0.2", false }, { "ftp://127.0.0.1", false },
	{ "https://", false }, { "graph.microsoft.com", false },
	{ "http://user@127.0.0.1/", false },
};

static const struct {
	const char	*base, *url;
	bool		 ok;
} origins[] = {
	{ "https://graph.microsoft.com", "https://graph.microsoft.com/v1.0/"
	    "groups?$skiptoken=X", true },
	{ "https://graph.microsoft.com", "https://graph.microsoft.com.evil/"
	    "v1.0", false },
	{ "https://graph.microsoft.com", "https://evil.example/v1.0", false },
	{ "https://graph.microsoft.com", "http://graph.microsoft.com/v1.0",
	    false },
	{ "http://127.0.0.1:8080", "http://127.0.0.1:8080/v1.0/x", true },
	{ "http://127.0.0.1:8080", "http://127.0.0.1:8081/v1.0/x", false },
};

static void
test_tokens(void)
{
	struct scim_error	 err;
	char			*tok = NULL;
	long			 exp = 0;

	ok(graph_parse_token(LIT("{\"token_type\":\"Bearer\",\"expires_in\":3599,"
	    "\"access_token\":\"abc\"}"), &tok, &exp, &err) == SCIM_OK,
	    "token answer read");
	is_str(tok, "abc", "access_token");
	is_int(exp, 3599, "expires_in");
	free(tok);
	ok(graph_parse_token(LIT("{\"expires_in\":\"60\","
	    "\"access_token\":\"x\"}"), &tok, &exp, &err) == SCIM_OK,
	    "expires_in as a string");
	is_int(exp, 60, "string expires_in");
	free(tok);
	ok(graph_parse_token(LIT("{\"expires_in\":60}"), &tok, &exp, &err) ==
	    SCIM_E_UNAUTHORIZED && tok == NULL, "no access_token refused");
	ok(graph_parse_token(LIT("{\"access_token\":\"y\"}"), &tok, &exp,
	    &err) == SCIM_OK && exp == 300, "no expires_in: a short life");
	free(tok);
}

static void
test_errors(void)
{
	struct scim_error	 err;
	size_t			 i;
	enum scim_err		 rc;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		rc = graph_parse_error(errors[i].what, errors[i].status,
		    errors[i].body, strlen(errors[i].body), &err);
		is_int(rc, errors[i].code, errors[i].has);
		ok(strstr(err.detail, errors[i].has) != NULL &&
		    strstr(err.detail, errors[i].has2) != NULL &&
		    strchr(err.detail, '\n') == NULL,
		    "detail of %s %ld: %s", errors[i].what, errors[i].status,
		    err.detail);
	}
}

static void
test_pages(void)
{
	struct scim_error	 err;
	struct graph_user	 u;
	struct graph_group	 g;
	const char		*p1 = "{\"value\":[{\"@odata.type\":"
				    "\"#microsoft.graph.user\",\"id\":\"1\","
				    "\"userPrincipalName\":\"a@x\",\"mail\":null,"
				    "\"accountEnabled\":false},{\"@odata.type\":"
				    "\"#microsoft.graph.group\",\"id\":\"g\"},"
				    "{\"id\":\"2\",\"userPrincipalName\":\"b@x\","
				    "\"mail\":\"b@x\",\"givenName\":\"B\"},"
				    "{\"id\":\"3\"}],\"@odata.nextLink\":"
				    "\"https://graph.microsoft.com/v1.0/groups/"
				    "g/members?$skiptoken=Z\"}";
	cJSON			*v = NULL, *e;
	char			*next = NULL;

	ok(graph_parse_page(p1, strlen(p1), &v, &next, &err) == SCIM_OK,
	    "page read");
	is_str(next, "https://graph.microsoft.com/v1.0/groups/g/members?"
	    "$skiptoken=Z", "nextLink kept exactly");
	is_int(cJSON_GetArraySize(v), 4, "page entries");
	e = cJSON_GetArrayItem(v, 0);
	ok(graph_user_read(e, &u) && !u.enabled && strcmp(u.mail, "") == 0,
	    "disabled user with null mail");
	ok(!graph_user_read(cJSON_GetArrayItem(v, 1), &u), "nested group "
	    "skipped");
	ok(graph_user_read(cJSON_GetArrayItem(v, 2), &u) && u.enabled &&
	    strcmp(u.given, "B") == 0, "user without @odata.type (the cast)");
	ok(!graph_user_read(cJSON_GetArrayItem(v, 3), &u), "user without "
	    "userPrincipalName skipped");
	ok(graph_group_read(cJSON_GetArrayItem(v, 1), &g) &&
	    strcmp(g.id, "g") == 0 && strcmp(g.display_name, "") == 0,
	    "group entry");
	cJSON_Delete(v);
	free(next);
	ok(graph_parse_page(LIT("{\"value\":[],\"@odata.nextLink\":\"https://"
	    "graph.microsoft.com/n\"}"), &v, &next, &err) == SCIM_OK &&
	    cJSON_GetArraySize(v) == 0 && next != NULL,
	    "empty page with a nextLink");
	cJSON_Delete(v);
	free(next);
	ok(graph_parse_page(LIT("{\"value\":[]}"), &v, &next, &err) ==
	    SCIM_OK && next == NULL, "last page");
	cJSON_Delete(v);
	ok(graph_parse_page(LIT("{\"value\":{}}"), &v, &next, &err) ==
	    SCIM_E_INTERNAL && v == NULL, "value not an array refused");
	ok(graph_parse_page(LIT("["), &v, &next, &err) == SCIM_E_INTERNAL,
	    "not JSON refused");
}

int
main(void)
{
	size_t	 i;

	test_tokens();
	test_errors();
	test_pages();
	for (i = 0; i < sizeof(retry_afters) / sizeof(retry_afters[0]); i++)
		is_int(graph_retry_after(retry_afters[i].s),
		    retry_afters[i].want, retry_afters[i].s);
	is_int(graph_retry_after(NULL), -1, "no Retry-After");
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		ok(graph_url_allowed(urls[i].url) == urls[i].ok, "%s %s",
		    urls[i].url, urls[i].ok ? "allowed" : "refused");
	for (i = 0; i < sizeof(origins) / sizeof(origins[0]); i++)
		ok(graph_same_origin(origins[i].base, origins[i].url) ==
		    origins[i].ok, "nextLink %s %s", origins[i].url,
		    origins[i].ok ? "followed" : "refused");
	return tap_done();
}
