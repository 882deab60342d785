/*
 * The one accept loop of every FastCGI program, and request routing:
 * batches of waiting requests share one flush (group commit), the bearer
 * check runs as each route's flags say, a process whose store was
 * recovered under it renews itself, and one process per data home
 * checkpoints for all.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "audit/activity.h"
#include "audit/audit.h"
#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "scim/schema.h"
#include "scim/schema-ext.h"
#include "web/forward.h"
#include "web/service.h"
#include "web/service-int.h"

extern char **environ;

/* Resource names clients may spell differently. */
static const struct {
	const char	*alias;
	const char	*name;
} aliases[] = {
	/* Microsoft's reference collection asks for this name. */
	{ "serviceConfiguration", "ServiceProviderConfig" },
};

static const char *
canonical(const struct service *svc, const char *seg, size_t len)
{
	size_t	 i;

	for (i = 0; i < svc->nroutes; i++)
		if (strlen(svc->routes[i].resource) == len &&
		    strncasecmp(svc->routes[i].resource, seg, len) == 0)
			return svc->routes[i].resource;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strlen(aliases[i].alias) == len &&
		    strncasecmp(aliases[i].alias, seg, len) == 0)
			return canonical(svc, aliases[i].name,
			    strlen(aliases[i].name));
	return NULL;
}

const char *
service_match(const struct service *svc, const char *path, size_t *base_len,
    const char **rest)
{
	const char	*p = path, *seg, *name;
	size_t		 len;

	while (*p == '/') {
		seg = p + 1;
		len = strcspn(seg, "/");
		if ((name = canonical(svc, seg, len)) != NULL) {
			*base_len = (size_t)(p - path);
			*rest = seg + len;
			return name;
		}
		p = seg + len;
	}
	return NULL;
}

/*
 * The Allow header value for a resource and shape: the methods of its
 * routes, in table order.  Returns a new string (the caller frees it;
 * "" when the resource has no route of that shape), or NULL when out of
 * memory.
 */
static char *
allow_list(const struct service *svc, const char *res, enum route_shape sh)
{
	char	*buf, *p;
	size_t	 i, sz = 1;

	for (i = 0; i < svc->nroutes; i++)
		if (svc->routes[i].resource == res &&
		    svc->routes[i].shape == sh)
			sz += strlen(svc->routes[i].method) + 2;
	if ((buf = p = malloc(sz)) == NULL)
		return NULL;
	*p = '\0';
	for (i = 0; i < svc->nroutes; i++) {
		if (svc->routes[i].resource != res ||
		    svc->routes[i].shape != sh)
			continue;
		p += snprintf(p, sz - (size_t)(p - buf), "%s%s",
		    p == buf ? "" : ", ", svc->routes[i].method);
	}
	return buf;
}

/*
 * The service base URL, for Location and meta.location: the configured
 * one, else the request's host and the path before the resource segment
 * (base_len bytes).  Sets c->base_url (freed with the call).
 */
static enum scim_err
route_base_url(struct scim_call *c, size_t base_len, struct scim_error *err)
{
	const char	*base_url = c->ctx->cfg.base_url;

	if (base_url[0] != '\0')
		c->base_url = strdup(base_url);
	else if ((c->base_url = malloc(strlen(c->req.host_url) +
	    base_len + 1)) != NULL) {
		strcpy(c->base_url, c->req.host_url);
		strncat(c->base_url, c->req.path, base_len);
	}
	if (c->base_url == NULL)
		return scim_oom(err);
	return SCIM_OK;
}

/*
 * Find the route for c's method and path: sets *out, c->resource,
 * c->base_url and (for an item) c->id.  No route for the path is
 * SCIM_E_NOT_FOUND; a path with routes but not for this method is
 * SCIM_E_METHOD, with the Allow value in c->allow (the call owns it: the
 * answers of a batch are held together until its flush, so each needs
 * its own).
 */
static enum scim_err
route_find(const struct service *svc, struct scim_call *c,
    const struct route **out, struct scim_error *err)
{
	const char	*res, *rest, *method = c->req.method;
	enum route_shape shape;
	size_t		 base_len, i, len;
	enum scim_err	 rc;

	*out = NULL;
	if ((res = service_match(svc, c->req.path, &base_len, &rest)) == NULL)
		return scim_fail(err, SCIM_E_NOT_FOUND,
		    "no SCIM endpoint at %.200s", c->req.path);
	if (*rest == '\0' || strcmp(rest, "/") == 0)
		shape = ROUTE_LIST;
	else if (strcasecmp(rest, "/.search") == 0)
		shape = ROUTE_SEARCH;
	else {
		len = strlen(rest + 1);
		if (rest[len] == '/')	/* one trailing slash is fine */
			len--;
		if (len == 0 || memchr(rest + 1, '/', len) != NULL)
			return scim_fail(err, SCIM_E_NOT_FOUND,
			    "no SCIM endpoint at %.200s", c->req.path);
		if ((c->id = strndup(rest + 1, len)) == NULL)
			return scim_fail(err, SCIM_E_INTERNAL,
			    "out of memory");
		shape = ROUTE_ITEM;
	}
	c->resource = res;
	if ((rc = route_base_url(c, base_len, err)) != SCIM_OK)
		return rc;
	for (i = 0; i < svc->nroutes; i++)
		if (svc->routes[i].resource == res &&
		    svc->routes[i].shape == shape &&
		    strcmp(svc->routes[i].method, method) == 0) {
			*out = &svc->routes[i];
			return SCIM_OK;
		}
	if ((c->allow = allow_list(svc, res, shape)) == NULL)
		return scim_oom(err);
	if (c->allow[0] == '\0')
		return scim_fail(err, SCIM_E_NOT_FOUND,
		    "no SCIM endpoint at %.200s", c->req.path);
	c->resp.allow = c->allow;
	return scim_fail(err, SCIM_E_METHOD,
	    "%s is not allowed here; use %s", method, c->allow);
}

/* --- the bearer check, as the route's flags say --- */

/* A refused token, for the audit log (rate-limited in token-auth.c). */
static void
auth_refused(struct scim_ctx *ctx, const struct scim_call *c,
    const char *reason)
{
	struct token_refusal	 tr;

	tr.authorization = c->req.authorization;
	tr.method = c->req.method;
	tr.path = c->req.path;
	tr.remote_addr = c->req.remote_addr;
	tr.reason = reason;
	token_audit_refused(ctx->store, &ctx->cfg, &tr);
}

/*
 * Before the handler: check the bearer token unless the route needs
 * none.  A token verified from this process's cache leaves its record to
 * be read (c->auth_pending): by a ROUTE_AUTH_TXN handler in its own
 * read transaction, one transaction per request, not two; for any other
 * handler here, in a read transaction of its own: inside a writer's it
 * would be write-locked until the durable commit.  A cached token then
 * compares its record's bytes instead of parsing it (token_check()
 * would).
 */
static enum scim_err
auth_begin(struct scim_ctx *ctx, struct scim_call *c, const struct route *r,
    struct scim_error *err)
{
	enum scim_err	 rc;

	if (r->flags & ROUTE_NOAUTH)
		return SCIM_OK;
	rc = token_check_start(ctx->store, c->req.authorization, &c->auth,
	    &c->auth_pending, err);
	if (rc == SCIM_OK && c->auth_pending &&
	    !(r->flags & ROUTE_AUTH_TXN)) {
		rc = token_check_finish(ctx->store, &c->auth, err);
		c->auth_pending = false;
	}
	if (rc == SCIM_E_UNAUTHORIZED)
		auth_refused(ctx, c, err->detail);
	return rc;
}

/*
 * After the handler returned rc: a check it left pending (it ended, with
 * an error, before it read the token) is made now, and whatever it
 * answered, a token that is no longer good gets 401.  Then a refusal is
 * recorded, or the token's last use.  Returns the request's outcome.
 */
static enum scim_err
auth_end(struct scim_ctx *ctx, struct scim_call *c, const struct route *r,
    enum scim_err rc, struct scim_error *err)
{
	struct scim_error	 err2 = { SCIM_OK, "" };
	enum scim_err		 rc2;

	if (c->auth_pending) {
		if ((rc2 = token_check_finish(ctx->store, &c->auth, &err2)) !=
		    SCIM_OK) {
			http_resp_free(&c->resp);
			memset(&c->resp, 0, sizeof(c->resp));
			rc = rc2;
			*err = err2;
		}
		c->auth_pending = false;
	}
	if (r->flags & ROUTE_NOAUTH)
		return rc;
	if (rc == SCIM_E_UNAUTHORIZED)
		auth_refused(ctx, c, err->detail);
	else
		token_touch(ctx->store, &c->auth);
	return rc;
}

/* --- one request --- */

/* Open the store for requests: durable commits flushed per batch. */
static enum scim_err
open_store(struct scim_ctx *ctx, struct scim_error *err)
{
	enum scim_err	 rc;

	if ((rc = store_open(&ctx->store, &ctx->cfg, err)) == SCIM_OK)
		store_defer_flush(ctx->store);
	return rc;
}

/*
 * On a replica, a ROUTE_FORWARD route is the master's (web/forward.h):
 * true when c was answered that way, *rc its outcome.  Such a request is
 * not recorded here: the master records it.
 */
static bool
serve_forward(const struct service *svc, struct scim_call *c,
    const struct route *r, enum scim_err *rc, struct scim_error *err)
{
	const char	*rest;
	size_t		 base_len;

	if (!(r->flags & ROUTE_FORWARD) || !forward_active(c->ctx->store) ||
	    service_match(svc, c->req.path, &base_len, &rest) == NULL ||
	    !forward_route(c->ctx->store, &c->ctx->cfg, &c->req, base_len,
	    c->base_url, &c->resp, rc, err))
		return false;
	c->start_usec = 0;
	return true;
}

/* Read c's request, route it, check its token and run its handler. */
static enum scim_err
serve_route(const struct service *svc, struct scim_call *c,
    struct scim_error *err)
{
	const struct route	*r;
	enum scim_err		 rc;

	if ((rc = http_req_read(&c->req, &c->ctx->cfg, err)) != SCIM_OK)
		return rc;
	if ((rc = route_find(svc, c, &r, err)) != SCIM_OK)
		return rc;
	if (serve_forward(svc, c, r, &rc, err))
		return rc;
	if ((rc = auth_begin(c->ctx, c, r, err)) != SCIM_OK)
		return rc;
	rc = r->fn(c, err);
	rc = auth_end(c->ctx, c, r, rc, err);
	/*
	 * The commit token is known once the batch's flush has committed
	 * it (on a replicated master the batch is one transaction).
	 */
	c->mark_commit = (r->flags & ROUTE_FORWARD) && rc == SCIM_OK;
	return rc;
}

/* Read c's request and hand it to the program's page, whatever it is. */
static void
serve_page(const struct service *svc, struct scim_call *c)
{
	struct scim_error	 err = { SCIM_OK, "" };
	enum scim_err		 rc;

	rc = http_req_read(&c->req, &c->ctx->cfg, &err);
	svc->page(c->ctx, &c->req, rc != SCIM_OK ? &err : NULL, &c->resp);
}

/* Turn a handler's failure into the SCIM error answer on c->resp. */
static void
serve_error(struct scim_call *c, enum scim_err rc, struct scim_error *err)
{
	size_t	 i;

	if (rc == SCIM_E_UNAUTHORIZED)
		http_resp_header(&c->resp,
		    "WWW-Authenticate: Bearer realm=\"SCIM\"");
	if (err->code == SCIM_OK)
		scim_fail(err, rc, NULL);
	/* A 503 that says when to retry (a held deprovision: the brake
	   working) is an expected outcome, logged as info. */
	for (i = 0; i < c->resp.nheaders && strncasecmp(c->resp.headers[i],
	    "Retry-After:", 12) != 0; i++)
		continue;
	if (scim_err_status(rc) >= 500)
		log_msg(i < c->resp.nheaders ? LOG_LVL_INFO : LOG_LVL_ERR,
		    "%s %s: %s", c->req.method ? c->req.method : "-",
		    c->req.path ? c->req.path : "-", err->detail);
	/*
	 * Every other 503 says when to come back too (a busy or recovering
	 * store, a replica, a failover, unconfirmed acks: all short).
	 */
	if (rc == SCIM_E_UNAVAILABLE && i == c->resp.nheaders)
		http_resp_header(&c->resp, "Retry-After: 2");
	http_resp_error(&c->resp, err);
}

/* What this request cost the store (tests, capacity planning). */
static void
serve_store_ops(struct scim_call *c, const struct store_stats *before,
    const struct store_stats *after)
{
	http_resp_header(&c->resp, "X-Scim-Store-Ops: gets=%llu puts=%llu "
	    "dels=%llu steps=%llu retries=%llu txns=%llu",
	    (unsigned long long)(after->gets - before->gets),
	    (unsigned long long)(after->puts - before->puts),
	    (unsigned long long)(after->dels - before->dels),
	    (unsigned long long)(after->steps - before->steps),
	    (unsigned long long)(after->retries - before->retries),
	    (unsigned long long)(after->commits - before->commits));
	/* Which process answered: tests see where the web server routes. */
	http_resp_header(&c->resp, "X-Scim-Worker: %ld", (long)getpid());
}

/*
 * Keep what the activity record needs of the request's variables, as
 * much of each as the record keeps, in c->act_buf: no allocation.  A
 * request that could not be read keeps what the environment says.
 */
static void
serve_activity_env(struct scim_call *c)
{
	static const size_t keep[3] = { ACTIVITY_METHOD_MAX + 4,
	    ACTIVITY_UA_MAX + 4, ACTIVITY_QUERY_MAX + 4 };
	const char	*v[3];
	char		*p = c->act_buf;
	size_t		 i, n;

	if (c->req.path != NULL) {
		v[0] = c->req.method;
		v[1] = c->req.user_agent;
		v[2] = c->req.query;
	} else {
		v[0] = getenv("REQUEST_METHOD");
		v[1] = getenv("HTTP_USER_AGENT");
		v[2] = getenv("QUERY_STRING");
	}
	for (i = 0; i < 3; i++) {
		if (v[i] == NULL)
			continue;
		n = strnlen(v[i], keep[i]);
		memcpy(p, v[i], n);
		p[n] = '\0';
		c->act_env[i] = p;
		p += n + 1;
	}
}

/* Is addr (a CGI SERVER_ADDR or REMOTE_ADDR) a loopback address? */
static bool
addr_loopback(const char *addr)
{
	if (strncmp(addr, "::ffff:", 7) == 0)
		addr += 7;
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strcmp(addr, "localhost") == 0;
}

/*
 * Without [http] base_url the client's Host header makes Location,
 * meta.location and the page's Tenant URL.  That is fine on loopback (a
 * test, ./bootstrap run) but not where clients reach the server, so say
 * it, once per process: at the first request that arrived on, or came
 * from, an address other than loopback.
 */
static void
warn_base_url(const struct scim_config *cfg, const struct http_req *req)
{
	static bool	 warned;
	const char	*srv, *rem;

	if (warned || cfg->base_url[0] != '\0')
		return;
	/* The request's variables, read once (not a getenv() each). */
	if (req->path != NULL) {
		srv = req->server_addr;
		rem = req->remote_addr;
	} else {
		srv = getenv("SERVER_ADDR");
		rem = getenv("REMOTE_ADDR");
	}
	if ((srv == NULL || addr_loopback(srv)) &&
	    (rem == NULL || addr_loopback(rem)))
		return;
	warned = true;
	log_warn("[http] base_url is not set: URLs in answers are made from "
	    "the client's Host header; set base_url in %s",
	    cfg->path[0] != '\0' ? cfg->path : "scim.conf");
}

/*
 * Read the current request into c (whose previous request serve_send()
 * freed) and answer it: c->resp holds the answer, not yet sent
 * (serve_send()); *wrote says whether it committed a change still to be
 * flushed.  A store that cannot be opened is 503 for a route; a page is
 * served without one (it says so itself).
 */
static void
serve_handle(const struct service *svc, struct scim_ctx *ctx,
    struct scim_call *c, bool *wrote)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct store_stats	 before, after;
	enum scim_err		 rc = SCIM_OK;

	memset(c, 0, sizeof(*c));
	memset(&before, 0, sizeof(before));
	c->ctx = ctx;
	*wrote = false;
	if (ctx->store == NULL && open_store(ctx, &err) != SCIM_OK) {
		log_err("%s", err.detail);
		rc = scim_fail(&err, SCIM_E_UNAVAILABLE,
		    "the store is not available, try again");
	}
	if (ctx->store != NULL)
		store_stats(ctx->store, &before);
	if (svc->page != NULL)
		serve_page(svc, c);
	else {
		c->start_usec = util_now_usec();
		activity_begin(&c->notes);
		if (rc != SCIM_OK || (rc = serve_route(svc, c, &err)) !=
		    SCIM_OK)
			serve_error(c, rc, &err);
		activity_begin(NULL);
		serve_activity_env(c);
	}
	warn_base_url(&ctx->cfg, &c->req);
	if (ctx->store != NULL) {
		store_stats(ctx->store, &after);
		*wrote = after.deferred > before.deferred;
		if (ctx->cfg.store_ops_header)
			serve_store_ops(c, &before, &after);
	}
}

/*
 * Record c, answered and ended, in the activity log (audit/activity.h),
 * right after http_resp_send() sent its answer (whose printed text the
 * record reuses).
 */
static void
serve_activity(struct scim_ctx *ctx, struct scim_call *c)
{
	struct activity_req	 r;

	memset(&r, 0, sizeof(r));
	r.tenant = c->auth.tenant;
	r.token_id = c->auth.token_id;
	r.method = c->act_env[0] != NULL ? c->act_env[0] : "-";
	r.user_agent = c->act_env[1];
	r.path = c->req.path;
	r.query = c->act_env[2];
	r.filter = http_param(&c->req, "filter");
	r.body = c->req.body;
	r.body_json = c->req.body_json;
	r.resource = c->resource;
	r.id = c->id;
	r.status = c->resp.status != 0 ? c->resp.status : 200;
	r.answer = c->resp.body;
	if (r.answer != NULL)
		r.answer_text = http_resp_sent_body(&r.answer_len);
	r.start_usec = c->start_usec;
	r.end_usec = util_now_usec();
	activity_record(&ctx->cfg, ctx->store, &r, &c->notes);
	activity_notes_free(&c->notes);
}

/*
 * Answer a handled request and end it, freeing what the call holds.
 * unflushed: the flush its change waited for failed (err), so it must
 * not be told it succeeded.  batch: how many requests shared the flush
 * (X-Scim-Batch, with the store-ops header).
 */
static void
serve_send(struct scim_ctx *ctx, struct scim_call *c, bool unflushed,
    const struct scim_error *err, size_t batch)
{
	if (unflushed) {
		log_err("%s %s: %s", c->req.method ? c->req.method : "-",
		    c->req.path ? c->req.path : "-", err->detail);
		http_resp_free(&c->resp);
		/* Short, as every 503 of a busy or recovering store. */
		http_resp_header(&c->resp, "Retry-After: 2");
		http_resp_error(&c->resp, err);
	} else if (c->mark_commit)
		forward_mark_commit(ctx->store, &c->req, SCIM_OK, &c->resp);
	if (ctx->cfg.store_ops_header)
		http_resp_header(&c->resp, "X-Scim-Batch: %zu", batch);
	http_resp_send(&c->resp);
	if (c->start_usec != 0) {
		/* The client has its whole answer before the record is made. */
		http_finish();
		serve_activity(ctx, c);
	}
	/*
	 * A page may have shown a new token.  After the record, which
	 * reads an answer sent as text (http_resp_sent_body()).
	 */
	if (c->resp.raw != NULL)
		explicit_bzero(c->resp.raw, c->resp.raw_len);
	http_resp_free(&c->resp);
	http_req_free(&c->req);
	free(c->base_url);
	free(c->id);
	free(c->allow);
	http_finish();
}

/*
 * Serve the request just accepted, and with it those already waiting
 * while its change is still to be flushed (at most HTTP_BATCH_MAX): one
 * flush then makes all their changes durable before any is answered.  A
 * process alone under a steady stream of writes thus pays one fsync per
 * batch instead of one per request; with nothing waiting, the batch is
 * the one request and nothing waits longer than before.
 */
static void
serve_batch(const struct service *svc, struct scim_ctx *ctx)
{
	static struct scim_call	 calls[HTTP_BATCH_MAX];
	struct scim_error	 err = { SCIM_OK, "" };
	bool			 wrote[HTTP_BATCH_MAX];
	int			 slot[HTTP_BATCH_MAX];
	bool			 flushed;
	size_t			 n = 0, i;

	do {
		slot[n] = http_current();
		serve_handle(svc, ctx, &calls[n], &wrote[n]);
		n++;
	} while (n < HTTP_BATCH_MAX && store_unflushed(ctx->store) &&
	    http_accept_more() >= 0);
	flushed = store_flush(ctx->store, &err) == SCIM_OK;
	for (i = 0; i < n; i++) {
		http_select(slot[i]);
		serve_send(ctx, &calls[i], wrote[i] && !flushed, &err, n);
	}
	/* Hand waiting events to the hook once the clients have answers. */
	if (ctx->cfg.audit_hook[0] != '\0' && ctx->store != NULL)
		audit_deliver(ctx->store, &ctx->cfg, 16, NULL);
}

static void
service_usage(const struct service *svc, FILE *f)
{
	fprintf(f, "usage: %s [-hV] [-c file]\n"
	    "%s\n\n"
	    "  -c, --config FILE  read FILE instead of $SCIM_CONF or the "
	    "default scim.conf\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n"
	    "      --checkpoint   be the data home's checkpoint process (the\n"
	    "                     programs start it themselves)\n\n"
	    "Run by a web server as a FastCGI (or CGI) program; see %s(8).\n",
	    svc->name, svc->summary, "scim-fcgi");
}

int
service_main(const struct service *svc, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "checkpoint", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	bool			 checkpoint = false;
	const char		*conf = NULL;
	int			 ch;

	while ((ch = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			service_usage(svc, stdout);
			return 0;
		case 'V':
			printf("%s %s\n", svc->name, PACKAGE_VERSION);
			return 0;
		case 'K':
			checkpoint = true;
			break;
		default:
			service_usage(svc, stderr);
			return 2;
		}
	return service_serve(svc, conf, checkpoint, argc, argv);
}

int
service_serve(const struct service *svc, const char *conf, bool checkpoint,
    int argc, char *argv[])
{
	struct scim_ctx		 ctx;
	struct scim_error	 err = { SCIM_OK, "" };
	char			**env0;

	memset(&ctx, 0, sizeof(ctx));
	log_init(svc->name, LOG_LVL_INFO);
	if (config_load(&ctx.cfg, conf, &err) != SCIM_OK) {
		log_err("%s", err.detail);
		return 1;
	}
	log_init(svc->name, (enum log_level)ctx.cfg.log_level);
	/* A bad definition stops the program, as a bad key does. */
	if (schema_ext_configure(ctx.cfg.extensions,
	    ctx.cfg.refuse_undeclared_ext, &err) != SCIM_OK) {
		log_err("%s", err.detail);
		return 1;
	}
	if (service_drop_root(&ctx.cfg, &err) != SCIM_OK) {
		log_err("%s", err.detail);
		return 1;
	}
	if (checkpoint)
		return service_run_checkpointer(&ctx);
	env0 = environ;
	/* Open the store now; a failure is retried on each request. */
	if (open_store(&ctx, &err) != SCIM_OK)
		log_err("%s", err.detail);
	while (http_accept() >= 0) {
		serve_batch(svc, &ctx);
		if (ctx.store != NULL && store_stale(ctx.store)) {
			service_renew(&ctx.store, argv, env0);
			break;
		}
		/* Not in the request path: the clients have their answers. */
		if (store_checkpoint_due(ctx.store)) {
			if (http_is_fastcgi())
				service_spawn_checkpointer(&ctx, argc, argv, env0);
			else
				store_checkpoint(ctx.store);
		}
	}
	store_close(ctx.store);
	return 0;
}

/*
 * Add the count n to o as key.  Printing a cJSON number costs a
 * "%1.15g" sprintf and a sscanf that checks it reads back; a count is a
 * whole number, so below 10^15 (where "%1.15g" prints every digit, no
 * exponent) it goes in as the digits themselves, which print the same.
 */
static void
add_count(cJSON *o, const char *key, size_t n)
{
	char	 buf[24], *p = buf + sizeof(buf) - 1;

	if (n >= (size_t)1000000000000000ULL) {
		cJSON_AddNumberToObject(o, key, (double)n);
		return;
	}
	*p = '\0';
	do {
		*--p = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	cJSON_AddRawToObject(o, key, p);
}

cJSON *
service_list_response(size_t total, size_t start_index, cJSON *resources)
{
	cJSON	*l, *schemas;

	if ((l = cJSON_CreateObject()) == NULL ||
	    (schemas = cJSON_AddArrayToObject(l, "schemas")) == NULL) {
		cJSON_Delete(l);
		cJSON_Delete(resources);
		return NULL;
	}
	cJSON_AddItemToArray(schemas, cJSON_CreateString(SCHEMA_LIST_RESPONSE));
	add_count(l, "totalResults", total);
	add_count(l, "itemsPerPage", (size_t)cJSON_GetArraySize(resources));
	add_count(l, "startIndex", start_index);
	cJSON_AddItemToObject(l, "Resources", resources);
	return l;
}
