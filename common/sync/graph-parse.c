/*
 * The Microsoft Graph wire format (graph.h), without I/O: token answers,
 * error bodies with their hints, collection pages, user and group
 * entries, Retry-After, and which URLs may be called.  Pure functions, so
 * tests/unit/test_graph.c and tests/fuzz/fuzz_graph.c reach all of it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "sync/graph.h"

/* What an owner can do about an AADSTS error (the product's advice). */
static const struct graph_hint {
	long		 code;
	const char	*hint;
} graph_hints[] = {
	{ 7000215, "the client secret is wrong: regenerate the client "
	    "secret and set it again (scimctl graph credentials)" },
	{ 7000222, "the client secret has expired: regenerate the client "
	    "secret and set it again (scimctl graph credentials)" },
	{ 700016, "no such application in this directory: check the client "
	    "id and the tenant id" },
	{ 90002, "no such tenant: check the tenant id" },
	{ 900023, "the tenant id is not valid: check it" },
	{ 1002012, "the scope must be https://graph.microsoft.com/.default" },
};

/* The hint for the first AADSTS code in text ("AADSTS7000215: ..."). */
static const char *
graph_aadsts_hint(const char *text, long *code)
{
	const char	*p;
	size_t		 i;

	*code = 0;
	if (text == NULL || (p = strstr(text, "AADSTS")) == NULL)
		return NULL;
	*code = strtol(p + 6, NULL, 10);
	for (i = 0; i < sizeof(graph_hints) / sizeof(graph_hints[0]); i++)
		if (graph_hints[i].code == *code)
			return graph_hints[i].hint;
	return NULL;
}

/* The hint for a Graph error code, by status and code. */
static const char *
graph_code_hint(long status, const char *code)
{
	if (status == 401 || strcmp(code, "InvalidAuthenticationToken") == 0)
		return "the access token was refused: test the credentials "
		    "again (scimctl graph test), regenerate the client secret "
		    "if that fails";
	if (status == 403 || strcmp(code, "Authorization_RequestDenied") == 0)
		return "the app lacks a permission: grant User.Read.All, "
		    "GroupMember.Read.All and Group.Read.All (application) "
		    "with admin consent";
	if (status == 404)
		return "no such group in the directory: check the mapping";
	if (status == 429 || status >= 500)
		return "Graph is busy or failing: run the sync again later";
	return NULL;
}

static enum scim_err
graph_status_code(const char *what, long status)
{
	if (status == 401 || (status == 400 && strcmp(what, "token") == 0))
		return SCIM_E_UNAUTHORIZED;
	if (status == 403)
		return SCIM_E_FORBIDDEN;
	if (status == 404)
		return SCIM_E_NOT_FOUND;
	if (status == 429 || status >= 500)
		return SCIM_E_UNAVAILABLE;
	return SCIM_E_INTERNAL;
}

/* First line of s, at most n bytes, into buf (bsz bytes). */
static void
graph_first_line(const char *s, char *buf, size_t bsz)
{
	size_t	 n = strcspn(s, "\r\n");

	if (n >= bsz)
		n = bsz - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

enum scim_err
graph_parse_error(const char *what, long status, const char *body,
    size_t len, struct scim_error *err)
{
	cJSON		*o = cJSON_ParseWithLength(body ? body : "", len);
	const cJSON	*e = cJSON_GetObjectItemCaseSensitive(o, "error");
	const char	*code = "", *msg = "", *hint;
	char		 line[300];
	long		 aad = 0;
	enum scim_err	 rc = graph_status_code(what, status);

	if (cJSON_IsString(e)) {	/* the identity platform's shape */
		code = e->valuestring;
		msg = json_str(o, "error_description");
		hint = graph_aadsts_hint(msg, &aad);
	} else {			/* Graph's {"error": {code, message}} */
		code = json_str(e, "code");
		msg = json_str(e, "message");
		hint = NULL;
	}
	if (hint == NULL && aad == 0)
		hint = graph_code_hint(status, code);
	graph_first_line(msg, line, sizeof(line));
	scim_fail(err, rc, "Graph %s: HTTP %ld%s%s%s%s%s%s", what, status,
	    *code ? " " : "", code, *line ? ": " : "", line,
	    hint ? "; " : "", hint ? hint : "");
	cJSON_Delete(o);
	return rc;
}

enum scim_err
graph_parse_token(const char *body, size_t len, char **token,
    long *expires_in, struct scim_error *err)
{
	cJSON		*o = cJSON_ParseWithLength(body, len);
	const cJSON	*at = cJSON_GetObjectItemCaseSensitive(o, "access_token");
	const cJSON	*ex = cJSON_GetObjectItemCaseSensitive(o, "expires_in");
	enum scim_err	 rc = SCIM_OK;

	*token = NULL;
	*expires_in = 0;
	if (!cJSON_IsString(at) || at->valuestring[0] == '\0')
		rc = scim_fail(err, SCIM_E_UNAUTHORIZED, "Graph token: the "
		    "answer holds no access_token");
	else if ((*token = strdup(at->valuestring)) == NULL)
		rc = scim_oom(err);
	/* expires_in is a number, or a string of one in older answers. */
	if (cJSON_IsNumber(ex))
		*expires_in = ex->valuedouble > 86400 * 365 ? 86400 * 365 :
		    (long)ex->valuedouble;
	else if (cJSON_IsString(ex))
		*expires_in = strtol(ex->valuestring, NULL, 10);
	if (*expires_in <= 0)
		*expires_in = 300;	/* unknown: assume a short life */
	cJSON_Delete(o);
	return rc;
}

enum scim_err
graph_parse_page(const char *body, size_t len, cJSON **value, char **next,
    struct scim_error *err)
{
	cJSON		*o = cJSON_ParseWithLength(body, len);
	const cJSON	*nl = cJSON_GetObjectItemCaseSensitive(o,
			    "@odata.nextLink");
	enum scim_err	 rc = SCIM_OK;

	*value = NULL;
	*next = NULL;
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "value"))) {
		cJSON_Delete(o);
		return scim_fail(err, SCIM_E_INTERNAL, "Graph answered with "
		    "no \"value\" array");
	}
	*value = cJSON_DetachItemFromObjectCaseSensitive(o, "value");
	if (cJSON_IsString(nl) && nl->valuestring[0] != '\0' &&
	    (*next = strdup(nl->valuestring)) == NULL) {
		cJSON_Delete(*value);
		*value = NULL;
		rc = scim_oom(err);
	}
	cJSON_Delete(o);
	return rc;
}

bool
graph_user_read(const cJSON *o, struct graph_user *u)
{
	const cJSON	*t = cJSON_GetObjectItemCaseSensitive(o, "@odata.type");
	const cJSON	*en = cJSON_GetObjectItemCaseSensitive(o,
			    "accountEnabled");

	memset(u, 0, sizeof(*u));
	if (!cJSON_IsObject(o))
		return false;
	/* The cast gives users only; /members also gives nested groups. */
	if (t != NULL && (!cJSON_IsString(t) ||
	    strcmp(t->valuestring, "#microsoft.graph.user") != 0))
		return false;
	u->id = json_str(o, "id");
	u->upn = json_str(o, "userPrincipalName");
	u->mail = json_str(o, "mail");
	u->given = json_str(o, "givenName");
	u->surname = json_str(o, "surname");
	u->display = json_str(o, "displayName");
	u->lang = json_str(o, "preferredLanguage");
	u->mobile = json_str(o, "mobilePhone");
	u->enabled = !cJSON_IsFalse(en);
	return u->id[0] != '\0' && u->upn[0] != '\0';
}

bool
graph_group_read(const cJSON *o, struct graph_group *grp)
{
	grp->id = json_str(o, "id");
	grp->display_name = json_str(o, "displayName");
	return cJSON_IsObject(o) && grp->id[0] != '\0';
}

long
graph_retry_after(const char *value)
{
	char	*end;
	long	 n;

	if (value == NULL)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (!isdigit((unsigned char)*value))
		return -1;
	n = strtol(value, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (*end != '\0' || n < 0)
		return -1;
	return n > 3600 ? 3600 : n;
}

/*
 * Split url into its origin's parts: scheme length, host (without
 * brackets) and the origin's length (up to the path).  False when url has
 * no "scheme://host".
 */
static bool
graph_origin(const char *url, size_t *scheme, char *host, size_t hsz,
    size_t *origin)
{
	const char	*p = strstr(url, "://"), *h, *e;
	size_t		 n;

	if (p == NULL)
		return false;
	*scheme = (size_t)(p - url);
	h = p + 3;
	n = strcspn(h, "/?#");
	*origin = (size_t)(h - url) + n;
	if (h[0] == '[') {
		if ((e = memchr(h, ']', n)) == NULL)
			return false;
		h++;
		n = (size_t)(e - h);
	} else if ((e = memchr(h, ':', n)) != NULL)
		n = (size_t)(e - h);
	if (n == 0 || n >= hsz || memchr(h, '@', n) != NULL)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	return true;
}

bool
graph_url_allowed(const char *url)
{
	char	 host[256];
	size_t	 scheme, origin;

	if (!graph_origin(url, &scheme, host, sizeof(host), &origin))
		return false;
	if (scheme == 5 && strncasecmp(url, "https", 5) == 0)
		return true;
	return scheme == 4 && strncasecmp(url, "http", 4) == 0 &&
	    (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 ||
	    strcasecmp(host, "localhost") == 0);
}

bool
graph_same_origin(const char *base, const char *url)
{
	char	 h1[256], h2[256];
	size_t	 s1, s2, o1, o2;

	if (!graph_origin(base, &s1, h1, sizeof(h1), &o1) ||
	    !graph_origin(url, &s2, h2, sizeof(h2), &o2))
		return false;
	return o1 == o2 && strncasecmp(base, url, o1) == 0 &&
	    graph_url_allowed(url);
}
