/*
 * Forwarding a request from a replica to the master's site and relaying
 * the answer (forward.h): the choice, the libcurl exchange with its
 * bounds, the answer taken apart into a struct http_resp, and the
 * commit token's round trip between the sites.
 */
#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "web/forward.h"

/* Longest answer header kept (Location, WWW-Authenticate ...). */
#define FWD_HEADER_MAX	4096

/* The master's answer as it comes in. */
struct fwd_answer {
	FILE		*mem;		/* open_memstream() of buf */
	char		*buf;		/* owned: the body, see
					   fwd_answer_take() */
	size_t		 size;		/* buf's, once mem is closed */
	size_t		 len;		/* body bytes so far */
	size_t		 max;		/* more is too_big */
	bool		 too_big;
	char		*type;		/* owned header values, or NULL */
	char		*location;
	char		*etag;
	char		*commit;
	char		*relay[3];	/* "Name: value", see relayed[] */
};

/* Answer headers relayed as lines, beside Location and ETag. */
static const char *const relayed[3] = {
	"Retry-After", "WWW-Authenticate", "Allow"
};

/* The process's handle: its connection to the master stays open. */
static CURL	*fwd_curl;

enum forward_how
forward_decide(enum store_role role, const char *forwarded_by)
{
	switch (role) {
	case STORE_ROLE_ALONE:
	case STORE_ROLE_MASTER:
		return FORWARD_HERE;
	case STORE_ROLE_REPLICA:
		return forwarded_by != NULL ? FORWARD_LOOP : FORWARD_RELAY;
	case STORE_ROLE_NONE:
	default:
		return forwarded_by != NULL ? FORWARD_LOOP : FORWARD_NO_MASTER;
	}
}

bool
forward_active(struct store *s)
{
	enum store_role	 role = store_rep_role(s);

	return role == STORE_ROLE_REPLICA || role == STORE_ROLE_NONE;
}

/* --- the answer --- */

static void
fwd_answer_free(struct fwd_answer *a)
{
	size_t	 i;

	if (a->mem != NULL)
		fclose(a->mem);
	free(a->buf);
	free(a->type);
	free(a->location);
	free(a->etag);
	free(a->commit);
	for (i = 0; i < 3; i++)
		free(a->relay[i]);
	memset(a, 0, sizeof(*a));
}

static size_t
fwd_body_cb(char *p, size_t sz, size_t n, void *arg)
{
	struct fwd_answer	*a = arg;
	size_t			 len = sz * n;

	if (len > a->max - a->len) {
		a->too_big = true;
		return 0;		/* curl stops: CURLE_WRITE_ERROR */
	}
	if (fwrite(p, 1, len, a->mem) != len)
		return 0;
	a->len += len;
	return len;
}

/* Replace *slot with a copy of v (n bytes), or "Name: v" when name. */
static bool
fwd_keep(char **slot, const char *name, const char *v, size_t n)
{
	char	*s;

	free(*slot);
	*slot = NULL;
	if (name == NULL)
		s = strndup(v, n);
	else if ((s = malloc(strlen(name) + n + 3)) != NULL)
		sprintf(s, "%s: %.*s", name, (int)n, v);
	return (*slot = s) != NULL;
}

/*
 * One answer header line.  A status line starts a new header block (an
 * interim 100 Continue came before it): what the block before it said
 * is dropped.
 */
static size_t
fwd_header_cb(char *p, size_t sz, size_t n, void *arg)
{
	struct fwd_answer	*a = arg;
	size_t			 len = sz * n, nlen, vlen, i;
	const char		*colon, *v;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		free(a->type);
		free(a->location);
		free(a->etag);
		free(a->commit);
		a->type = a->location = a->etag = a->commit = NULL;
		for (i = 0; i < 3; i++) {
			free(a->relay[i]);
			a->relay[i] = NULL;
		}
		return len;
	}
	if ((colon = memchr(p, ':', len)) == NULL)
		return len;
	nlen = (size_t)(colon - p);
	for (v = colon + 1; v < p + len && (*v == ' ' || *v == '\t'); v++)
		;
	vlen = (size_t)(p + len - v);
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (vlen == 0 || vlen > FWD_HEADER_MAX || memchr(v, '\0', vlen))
		return len;
#define FWD_IS(name)	(nlen == strlen(name) && \
			    strncasecmp(p, name, nlen) == 0)
	if (FWD_IS("Content-Type"))
		return fwd_keep(&a->type, NULL, v, vlen) ? len : 0;
	if (FWD_IS("Location"))
		return fwd_keep(&a->location, NULL, v, vlen) ? len : 0;
	if (FWD_IS("ETag"))
		return fwd_keep(&a->etag, NULL, v, vlen) ? len : 0;
	if (FWD_IS(FORWARD_COMMIT))
		return fwd_keep(&a->commit, NULL, v, vlen) ? len : 0;
	for (i = 0; i < 3; i++)
		if (FWD_IS(relayed[i]))
			return fwd_keep(&a->relay[i], relayed[i], v, vlen) ?
			    len : 0;
#undef FWD_IS
	return len;
}

/*
 * Move the answer a into resp.  The body and its Content-Type share one
 * allocation, owned by resp->raw: the type is written after the body and
 * a NUL, where resp->raw_type (not owned) points, so http_resp_free()
 * frees both.
 */
static enum scim_err
fwd_answer_take(struct fwd_answer *a, long status, struct http_resp *resp,
    char *commit, size_t commit_len, struct scim_error *err)
{
	const char	*type = a->type != NULL ? a->type :
			    "application/scim+json";
	size_t		 i;
	int		 bad;

	bad = fputc('\0', a->mem) == EOF || fputs(type, a->mem) == EOF;
	bad = fclose(a->mem) != 0 || bad;
	a->mem = NULL;
	if (bad)
		return scim_oom(err);
	resp->status = (int)status;
	resp->raw = a->buf;
	resp->raw_len = a->len;
	resp->raw_type = a->buf + a->len + 1;
	a->buf = NULL;
	resp->location = a->location;
	resp->etag = a->etag;
	a->location = a->etag = NULL;
	for (i = 0; i < 3; i++)
		if (a->relay[i] != NULL &&
		    resp->nheaders < HTTP_MAX_HEADERS) {
			resp->headers[resp->nheaders++] = a->relay[i];
			a->relay[i] = NULL;
		}
	if (commit_len > 0)
		snprintf(commit, commit_len, "%s",
		    a->commit != NULL ? a->commit : "");
	return SCIM_OK;
}

/* --- the request --- */

/* Append line to *h; false when out of memory. */
static bool
fwd_append(struct curl_slist **h, const char *line)
{
	struct curl_slist	*n;

	if ((n = curl_slist_append(*h, line)) == NULL)
		return false;
	*h = n;
	return true;
}

/* Add "name: value" to *h when value is set; false when out of memory. */
static bool
fwd_add(struct curl_slist **h, const char *name, const char *value)
{
	char	*line;
	bool	 ok;

	if (value == NULL)
		return true;
	/* CGI values have no line breaks; never let one make a header. */
	if (strpbrk(value, "\r\n") != NULL)
		return true;
	if ((line = malloc(strlen(name) + strlen(value) + 3)) == NULL)
		return false;
	sprintf(line, "%s: %s", name, value);
	ok = fwd_append(h, line);
	free(line);
	return ok;
}

/*
 * The request's headers for the master.  libcurl adds Accept and, with
 * a body, Content-Type and Expect of its own: a header named with no
 * value ("Accept:") keeps it from sending one the client did not.
 * Returns the list (caller frees with curl_slist_free_all()) or NULL.
 */
static struct curl_slist *
fwd_headers(const struct forward_site *site, const struct http_req *req)
{
	struct curl_slist	*h = NULL;
	const char		*xff = getenv("HTTP_X_FORWARDED_FOR");
	const char		*accept = getenv("HTTP_ACCEPT");
	char			*chain = NULL;
	bool			 ok;

	if (req->remote_addr != NULL && (chain = malloc((xff != NULL ?
	    strlen(xff) + 2 : 0) + strlen(req->remote_addr) + 1)) != NULL)
		sprintf(chain, "%s%s%s", xff != NULL ? xff : "",
		    xff != NULL ? ", " : "", req->remote_addr);
	ok = fwd_add(&h, "Authorization", req->authorization) &&
	    fwd_add(&h, "Content-Type", req->content_type) &&
	    fwd_add(&h, "Accept", accept) &&
	    fwd_add(&h, "If-Match", req->if_match) &&
	    fwd_add(&h, "If-None-Match", req->if_none_match) &&
	    fwd_add(&h, "User-Agent", getenv("HTTP_USER_AGENT")) &&
	    fwd_add(&h, "X-Forwarded-For", chain != NULL ? chain : xff) &&
	    fwd_add(&h, FORWARD_MARK, site->self_url) &&
	    (req->content_type != NULL || fwd_append(&h, "Content-Type:")) &&
	    (accept != NULL || fwd_append(&h, "Accept:")) &&
	    fwd_append(&h, "Expect:");
	free(chain);
	if (!ok) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

/*
 * The path after this site's SCIM base as the client sent it: from
 * REQUEST_URI (not decoded, before the web server's rewrites) when it
 * has the same base as req->path and decodes to the same rest (any case:
 * the rewrites fix the case of resource names); else req->path's rest,
 * percent-encoded again, so a path the web server resolved (dot
 * segments) reaches the master as it was routed here.  Returns a new
 * string (caller frees) or NULL when out of memory.
 */
static char *
fwd_tail(const struct http_req *req, size_t base_len)
{
	static const char hex[] = "0123456789ABCDEF";
	const char	*uri = getenv("REQUEST_URI"), *t;
	char		*out, *o;
	size_t		 n;
	bool		 same;

	if (uri != NULL && strncmp(uri, req->path, base_len) == 0 &&
	    uri[base_len] == '/') {
		n = strcspn(uri + base_len, "?#");
		out = http_decode(uri + base_len, n, false);
		same = out != NULL && strcasecmp(out, req->path + base_len) == 0;
		free(out);
		if (same)
			return strndup(uri + base_len, n);
	}
	t = req->path + base_len;
	if ((out = o = malloc(strlen(t) * 3 + 1)) == NULL)
		return NULL;
	for (; *t != '\0'; t++) {
		n = (unsigned char)*t;
		if (strchr("-._~/", (int)n) != NULL || (n >= '0' && n <= '9') ||
		    ((n | 0x20) >= 'a' && (n | 0x20) <= 'z'))
			*o++ = *t;
		else {
			*o++ = '%';
			*o++ = hex[n >> 4];
			*o++ = hex[n & 15];
		}
	}
	*o = '\0';
	return out;
}

/* The master's URL for req: its base, the tail, the query string. */
static char *
fwd_url(const struct forward_site *site, const struct http_req *req,
    size_t base_len)
{
	const char	*qs = getenv("QUERY_STRING");
	char		*tail, *url;
	size_t		 blen = strlen(site->master_url), sz;

	while (blen > 0 && site->master_url[blen - 1] == '/')
		blen--;
	if ((tail = fwd_tail(req, base_len)) == NULL)
		return NULL;
	sz = blen + strlen(tail) + (qs != NULL ? strlen(qs) + 1 : 0) + 1;
	if ((url = malloc(sz)) != NULL)
		snprintf(url, sz, "%.*s%s%s%s", (int)blen, site->master_url,
		    tail, qs != NULL && qs[0] != '\0' ? "?" : "",
		    qs != NULL ? qs : "");
	free(tail);
	return url;
}

/* Set c up for one exchange of method with url, body and headers h. */
static void
fwd_setopt(CURL *c, const struct forward_site *site,
    const struct http_req *req, const char *url, struct curl_slist *h,
    struct fwd_answer *a)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)site->connect_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)site->timeout_ms);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwd_body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fwd_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	if (strcmp(req->method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else if (strcmp(req->method, "POST") == 0 ||
	    strcmp(req->method, "PUT") == 0 ||
	    strcmp(req->method, "PATCH") == 0 || req->body != NULL) {
		/* POSTFIELDS sends the body as is; the method is set next. */
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
}

/* A failed exchange as the client's error: 503 unless the answer was
 * too large. */
static enum scim_err
fwd_failed(const struct forward_site *site, CURLcode cc,
    const struct fwd_answer *a, struct http_resp *resp,
    struct scim_error *err)
{
	if (a->too_big)
		return scim_fail(err, SCIM_E_INTERNAL, "the master's answer "
		    "is larger than %zu bytes, the most this site relays",
		    site->max_answer);
	http_resp_header(resp, "Retry-After: %d", FORWARD_RETRY_AFTER);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return scim_fail(err, SCIM_E_UNAVAILABLE, "no master is "
		    "reachable: the master (%.200s) did not answer within "
		    "%u ms; a write may still be carried out there, so read "
		    "before you send it again", site->master_url,
		    site->timeout_ms);
	return scim_fail(err, SCIM_E_UNAVAILABLE, "no master is reachable: "
	    "%.200s: %s; try again", site->master_url, curl_easy_strerror(cc));
}

enum scim_err
forward_relay(const struct forward_site *site, const struct http_req *req,
    size_t base_len, struct http_resp *resp, char *commit,
    size_t commit_len, struct scim_error *err)
{
	struct fwd_answer	 a;
	struct curl_slist	*h = NULL;
	char			*url = NULL;
	long			 status = 0;
	CURLcode		 cc;
	enum scim_err		 rc;

	memset(&a, 0, sizeof(a));
	a.max = site->max_answer;
	if ((a.mem = open_memstream(&a.buf, &a.size)) == NULL)
		return scim_oom(err);
	if (commit_len > 0)
		commit[0] = '\0';
	if (fwd_curl == NULL && (curl_global_init(CURL_GLOBAL_DEFAULT) !=
	    CURLE_OK || (fwd_curl = curl_easy_init()) == NULL)) {
		rc = scim_fail(err, SCIM_E_INTERNAL,
		    "cannot start libcurl to forward to the master");
		goto out;
	}
	if ((url = fwd_url(site, req, base_len)) == NULL ||
	    (h = fwd_headers(site, req)) == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	fwd_setopt(fwd_curl, site, req, url, h, &a);
	cc = curl_easy_perform(fwd_curl);
	curl_easy_getinfo(fwd_curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK || status < 100 || status > 599)
		rc = fwd_failed(site, cc, &a, resp, err);
	else
		rc = fwd_answer_take(&a, status, resp, commit, commit_len,
		    err);
out:
	curl_slist_free_all(h);
	free(url);
	fwd_answer_free(&a);
	return rc;
}

/* --- the hooks --- */

/* The 503 of a site that cannot forward: why, and when to try again. */
static enum scim_err
fwd_refuse(enum forward_how how, const char *by, struct http_resp *resp,
    struct scim_error *err)
{
	http_resp_header(resp, "Retry-After: %d", FORWARD_RETRY_AFTER);
	if (how == FORWARD_LOOP)
		return scim_fail(err, SCIM_E_UNAVAILABLE, "no master is "
		    "reachable: %.200s forwarded this request here, but this "
		    "site is not the master (an election may have moved it); "
		    "try again", by);
	return scim_fail(err, SCIM_E_UNAVAILABLE, "no master is reachable: "
	    "an election is running or the master's URL is not known here "
	    "([replication] peers); try again in a few seconds");
}

bool
forward_run(enum store_role role, const struct forward_site *site,
    const struct http_req *req, size_t base_len, struct http_resp *resp,
    char *commit, size_t commit_len, enum scim_err *rc,
    struct scim_error *err)
{
	const char		*by = getenv(FORWARD_MARK_ENV);
	enum forward_how	 how;

	if (commit_len > 0)
		commit[0] = '\0';
	if ((how = forward_decide(role, by)) == FORWARD_HERE)
		return false;
	if (how == FORWARD_RELAY && site->master_url == NULL)
		how = FORWARD_NO_MASTER;
	if (how != FORWARD_RELAY)
		*rc = fwd_refuse(how, by, resp, err);
	else
		*rc = forward_relay(site, req, base_len, resp, commit,
		    commit_len, err);
	return true;
}

bool
forward_route(struct store *s, const struct scim_config *cfg,
    const struct http_req *req, size_t base_len, const char *self_url,
    struct http_resp *resp, enum scim_err *rc, struct scim_error *err)
{
	struct scim_error	 werr = { SCIM_OK, "" };
	struct forward_site	 site;
	char			 url[STORE_REP_URL_MAX];
	char			 token[STORE_REP_TOKEN_MAX];
	enum store_role		 role = store_rep_role(s);

	site.master_url = role == STORE_ROLE_REPLICA &&
	    store_rep_master_url(s, url, sizeof(url)) ? url : NULL;
	/* The mark names this site as the group knows it. */
	site.self_url = cfg->rep_url[0] != '\0' ? cfg->rep_url : self_url;
	site.connect_ms = cfg->rep_forward_connect_ms;
	site.timeout_ms = cfg->rep_forward_timeout_ms;
	site.max_answer = cfg->max_body * FORWARD_ANSWER_FACTOR;
	if (!forward_run(role, &site, req, base_len, resp, token,
	    sizeof(token), rc, err))
		return false;
	/* The gate on this site must see the write once its client has. */
	if (*rc == SCIM_OK && resp->status >= 200 && resp->status < 300 &&
	    token[0] != '\0' && store_rep_wait_applied(s, token,
	    FORWARD_APPLY_WAIT_MS, &werr) != SCIM_OK)
		log_warn("%s %s: answered before this site applied the "
		    "master's commit %s: %s", req->method, req->path, token,
		    werr.detail);
	return true;
}

void
forward_mark_commit(struct store *s, const struct http_req *req,
    enum scim_err rc, struct http_resp *resp)
{
	char	 token[STORE_REP_TOKEN_MAX];

	if (rc != SCIM_OK || (resp->status != 0 && (resp->status < 200 ||
	    resp->status > 299)) || strcmp(req->method, "GET") == 0 ||
	    getenv(FORWARD_MARK_ENV) == NULL)
		return;
	if (store_rep_last_token(s, token, sizeof(token)))
		http_resp_header(resp, FORWARD_COMMIT ": %s", token);
}
