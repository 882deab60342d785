/*
 * The Microsoft Graph client (graph.h): one libcurl easy handle kept for
 * the life of the client (so connections are reused), the token and its
 * expiry, one call with its retries (graph_call()), and paging.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "base/log.h"
#include "base/util.h"
#include "sync/graph.h"

#define GRAPH_SCOPE	"https://graph.microsoft.com/.default"
#define GRAPH_BACKOFF_MS 500	/* first back-off without Retry-After */
#define GRAPH_BACKOFF_MAX_MS 32000
#define GRAPH_TRIES_MAX	12	/* calls of one request, at most */
#define GRAPH_USER_SELECT "id,userPrincipalName,mail,givenName,surname," \
			"displayName,accountEnabled,preferredLanguage," \
			"mobilePhone"

struct graph {
	CURL			*curl;
	struct graph_creds	 cr;
	char			 authority[512];
	char			 url[512];
	char			 ca_file[4096];
	long			 timeout;	/* seconds per call */
	int64_t			 wait_left_ms;	/* throttling budget */
	char			*token;		/* NULL: none held */
	int64_t			 token_until;	/* usec: stop using it */
	struct graph_stats	 st;
};

/* A response as it arrives. */
struct graph_resp {
	char		*body;
	size_t		 len, cap;
	bool		 too_big;
	long		 retry_after;	/* -1: no header */
	long		 status;
};

static size_t
graph_write_cb(char *p, size_t sz, size_t n, void *arg)
{
	struct graph_resp	*r = arg;
	size_t			 len = sz * n, cap;
	char			*b;

	if (r->len + len + 1 > (size_t)GRAPH_BODY_MAX) {
		r->too_big = true;
		return 0;
	}
	if (r->len + len + 1 > r->cap) {
		cap = r->cap ? r->cap : 16384;
		while (cap < r->len + len + 1)
			cap *= 2;
		if ((b = realloc(r->body, cap)) == NULL)
			return 0;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static size_t
graph_header_cb(char *p, size_t sz, size_t n, void *arg)
{
	struct graph_resp	*r = arg;
	size_t			 len = sz * n;
	char			 line[128];

	if (len > 12 && len < sizeof(line) &&
	    strncasecmp(p, "Retry-After:", 12) == 0) {
		memcpy(line, p + 12, len - 12);
		line[len - 12] = '\0';
		r->retry_after = graph_retry_after(line);
	}
	return len;
}

static void
graph_trim_slash(char *s)
{
	size_t	 n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

enum scim_err
graph_open(struct graph **out, const struct scim_config *cfg,
    const struct graph_creds *cr, struct scim_error *err)
{
	struct graph	*g;

	*out = NULL;
	if (!graph_url_allowed(cfg->graph_authority) ||
	    !graph_url_allowed(cfg->graph_url))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "[graph] authority "
		    "and url must be https (http only to a loopback address)");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (g = calloc(1, sizeof(*g))) == NULL)
		return scim_oom(err);
	if ((g->curl = curl_easy_init()) == NULL) {
		free(g);
		return scim_oom(err);
	}
	g->cr = *cr;
	snprintf(g->authority, sizeof(g->authority), "%s",
	    cfg->graph_authority);
	snprintf(g->url, sizeof(g->url), "%s", cfg->graph_url);
	/* A trailing '/' is not doubled in what is built on them. */
	graph_trim_slash(g->authority);
	graph_trim_slash(g->url);
	snprintf(g->ca_file, sizeof(g->ca_file), "%s", cfg->graph_ca_file);
	g->timeout = cfg->graph_timeout;
	g->wait_left_ms = (int64_t)cfg->graph_max_wait * 1000;
	*out = g;
	return SCIM_OK;
}

void
graph_close(struct graph *g)
{
	if (g == NULL)
		return;
	curl_easy_cleanup(g->curl);
	if (g->token != NULL) {
		memset(g->token, 0, strlen(g->token));
		free(g->token);
	}
	memset(&g->cr, 0, sizeof(g->cr));
	free(g);
}

void
graph_stats(const struct graph *g, struct graph_stats *out)
{
	*out = g->st;
}

/*
 * One HTTP exchange: GET url (form NULL) or POST form, with hdrs.  The
 * answer in *r (body freed by the caller).  SCIM_E_UNAVAILABLE when the
 * call itself failed (time-out, refused, TLS).
 */
static enum scim_err
graph_exchange(struct graph *g, const char *url, const char *form,
    struct curl_slist *hdrs, struct graph_resp *r, struct scim_error *err)
{
	CURL		*c = g->curl;
	CURLcode	 cc;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, g->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, g->timeout < 10 ?
	    g->timeout : 10L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (g->ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, g->ca_file);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "scim-fcgi-sync/1");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, graph_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, graph_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (form != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	g->st.requests++;
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		return scim_fail(err, SCIM_E_UNAVAILABLE, "Graph: %s%s",
		    r->too_big ? "answer too large" : curl_easy_strerror(cc),
		    cc == CURLE_PEER_FAILED_VERIFICATION ||
		    cc == CURLE_SSL_CACERT_BADFILE ? " (check [graph] "
		    "ca_file)" : "");
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	return SCIM_OK;
}

/* Sleep ms milliseconds (signals aside). */
static void
graph_sleep_ms(int64_t ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * How long to wait before try n+1 after a 429/503/504: Retry-After when
 * given, else GRAPH_BACKOFF_MS * 2^n with jitter (half to all of it).
 */
static int64_t
graph_backoff_ms(long retry_after, unsigned n)
{
	int64_t		 ms;
	uint32_t	 rnd = 0;

	if (retry_after >= 0)
		return (int64_t)retry_after * 1000;
	ms = (int64_t)GRAPH_BACKOFF_MS << (n < 7 ? n : 7);
	if (ms > GRAPH_BACKOFF_MAX_MS)
		ms = GRAPH_BACKOFF_MAX_MS;
	(void)util_random(&rnd, sizeof(rnd));
	return ms / 2 + (int64_t)(rnd % (uint32_t)(ms / 2 + 1));
}

/* The token call itself. */
static enum scim_err
graph_fetch_token(struct graph *g, struct scim_error *err)
{
	struct curl_slist	*h = NULL;
	struct graph_resp	 r;
	char			 url[1024], *form = NULL, *cid, *sec;
	long			 exp;
	size_t			 n;
	enum scim_err		 rc;

	cid = curl_easy_escape(g->curl, g->cr.client_id, 0);
	sec = curl_easy_escape(g->curl, g->cr.secret, 0);
	n = (cid ? strlen(cid) : 0) + (sec ? strlen(sec) : 0) + 200;
	if (cid == NULL || sec == NULL || (form = malloc(n)) == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	snprintf(form, n, "grant_type=client_credentials&client_id=%s&"
	    "client_secret=%s&scope=%s", cid, sec,
	    "https%3A%2F%2Fgraph.microsoft.com%2F.default");
	snprintf(url, sizeof(url), "%s/%s/oauth2/v2.0/token", g->authority,
	    g->cr.tenant_id);
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h,
	    "Content-Type: application/x-www-form-urlencoded");
	rc = graph_exchange(g, url, form, h, &r, err);
	g->st.tokens++;
	if (rc == SCIM_OK && r.status != 200)
		rc = graph_parse_error("token", r.status, r.body, r.len, err);
	else if (rc == SCIM_OK) {
		free(g->token);
		g->token = NULL;
		rc = graph_parse_token(r.body, r.len, &g->token, &exp, err);
		/* Keep it until shortly before it expires. */
		if (exp > 2 * GRAPH_TOKEN_MARGIN)
			exp -= GRAPH_TOKEN_MARGIN;
		else
			exp /= 2;
		g->token_until = util_now_usec() + (int64_t)exp * 1000000;
	}
	if (r.body != NULL)
		memset(r.body, 0, r.len);
	free(r.body);
out:
	curl_slist_free_all(h);
	if (form != NULL)
		memset(form, 0, strlen(form));
	free(form);
	if (sec != NULL)
		memset(sec, 0, strlen(sec));
	curl_free(sec);
	curl_free(cid);
	return rc;
}

/* Wait ms of the throttling budget; false when it does not hold ms. */
static bool
graph_wait(struct graph *g, int64_t ms, long status)
{
	if (ms > g->wait_left_ms)
		return false;
	g->wait_left_ms -= ms;
	g->st.retries++;
	g->st.waited_ms += (uint64_t)ms;
	log_info("Graph: HTTP %ld, waiting %lld ms", status, (long long)ms);
	graph_sleep_ms(ms);
	return true;
}

enum scim_err
graph_token(struct graph *g, struct scim_error *err)
{
	unsigned	 tries;
	enum scim_err	 rc;

	if (g->token != NULL && util_now_usec() < g->token_until)
		return SCIM_OK;
	/* A busy or unreachable token endpoint is tried a few times. */
	for (tries = 0; ; tries++) {
		rc = graph_fetch_token(g, err);
		if (rc != SCIM_E_UNAVAILABLE || tries == 3 ||
		    !graph_wait(g, graph_backoff_ms(-1, tries), 0))
			return rc;
	}
}

/*
 * GET url with the token: retries 429/503/504 within the waiting budget,
 * gets a new token once on 401.  The 200 answer's body in *r.
 */
static enum scim_err
graph_get(struct graph *g, const char *url, bool eventual,
    struct graph_resp *r, struct scim_error *err)
{
	struct curl_slist	*h;
	char			 auth[8192];
	unsigned		 tries;
	bool			 renewed = false;
	int64_t			 ms;
	enum scim_err		 rc;

	memset(r, 0, sizeof(*r));
	for (tries = 0; tries < GRAPH_TRIES_MAX; tries++) {
		if ((rc = graph_token(g, err)) != SCIM_OK)
			return rc;
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    g->token);
		h = curl_slist_append(NULL, auth);
		h = curl_slist_append(h, "Accept: application/json");
		if (eventual)
			h = curl_slist_append(h, "ConsistencyLevel: eventual");
		rc = graph_exchange(g, url, NULL, h, r, err);
		curl_slist_free_all(h);
		memset(auth, 0, sizeof(auth));
		if (rc == SCIM_OK && r->status == 200)
			return SCIM_OK;
		if (rc == SCIM_OK && r->status == 401 && !renewed) {
			renewed = true;		/* expired: a new one, once */
			g->token_until = 0;
		} else if (rc == SCIM_OK && r->status != 429 &&
		    r->status != 503 && r->status != 504)
			break;
		else {
			ms = graph_backoff_ms(rc == SCIM_OK ? r->retry_after :
			    -1, tries);
			if (!graph_wait(g, ms, r->status))
				break;
		}
		free(r->body);
		memset(r, 0, sizeof(*r));
	}
	if (rc == SCIM_OK)
		rc = graph_parse_error(strstr(url, "/groups/") ? "members" :
		    "groups", r->status, r->body, r->len, err);
	free(r->body);
	memset(r, 0, sizeof(*r));
	return rc;
}

/* Call each(arg, entry) for every entry of every page from url on. */
static enum scim_err
graph_pages(struct graph *g, const char *first, bool eventual,
    bool (*each)(void *, const cJSON *), void *arg, struct scim_error *err)
{
	struct graph_resp	 r;
	char			*url, *next = NULL;
	cJSON			*value = NULL, *e;
	bool			 go = true;
	enum scim_err		 rc = SCIM_OK;

	if ((url = strdup(first)) == NULL)
		return scim_oom(err);
	while (url != NULL && go) {
		if ((rc = graph_get(g, url, eventual, &r, err)) != SCIM_OK)
			break;
		rc = graph_parse_page(r.body, r.len, &value, &next, err);
		free(r.body);
		if (rc != SCIM_OK)
			break;
		g->st.pages++;
		cJSON_ArrayForEach(e, value)
			if (!(go = each(arg, e)))
				break;
		cJSON_Delete(value);
		free(url);
		url = next;
		if (url != NULL && !graph_same_origin(g->url, url)) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "Graph: a "
			    "nextLink leads away from [graph] url");
			break;
		}
	}
	free(url);
	return rc;
}

struct graph_each {
	graph_group_fn	 gfn;
	graph_user_fn	 ufn;
	void		*arg;
};

static bool
graph_group_each(void *arg, const cJSON *o)
{
	struct graph_each	*e = arg;
	struct graph_group	 grp;

	return !graph_group_read(o, &grp) || e->gfn(e->arg, &grp);
}

static bool
graph_user_each(void *arg, const cJSON *o)
{
	struct graph_each	*e = arg;
	struct graph_user	 u;

	return !graph_user_read(o, &u) || e->ufn(e->arg, &u);
}

enum scim_err
graph_groups(struct graph *g, const char *search, graph_group_fn fn,
    void *arg, struct scim_error *err)
{
	struct graph_each	 e = { fn, NULL, arg };
	char			 url[2048], *q = NULL, *term;
	enum scim_err		 rc;

	if (search != NULL && *search != '\0') {
		/* $search="displayName:TEXT" (quotes in TEXT dropped). */
		if ((term = malloc(strlen(search) + 32)) == NULL)
			return scim_oom(err);
		sprintf(term, "\"displayName:%s\"", search);
		for (char *p = term + 1; p[1] != '\0'; p++)
			if (*p == '"')
				*p = ' ';
		q = curl_easy_escape(g->curl, term, 0);
		free(term);
		if (q == NULL)
			return scim_oom(err);
	}
	snprintf(url, sizeof(url), "%s/v1.0/groups?$select=id,displayName&"
	    "$top=999%s%s", g->url, q ? "&$search=" : "", q ? q : "");
	curl_free(q);
	rc = graph_pages(g, url, q != NULL, graph_group_each, &e, err);
	return rc;
}

enum scim_err
graph_members(struct graph *g, const char *gid, graph_user_fn fn, void *arg,
    struct scim_error *err)
{
	struct graph_each	 e = { NULL, fn, arg };
	char			 url[2048], *id;
	enum scim_err		 rc;

	if ((id = curl_easy_escape(g->curl, gid, 0)) == NULL)
		return scim_oom(err);
	snprintf(url, sizeof(url), "%s/v1.0/groups/%s/transitiveMembers/"
	    "microsoft.graph.user?$select=" GRAPH_USER_SELECT "&$top=999",
	    g->url, id);
	curl_free(id);
	rc = graph_pages(g, url, false, graph_user_each, &e, err);
	return rc;
}
