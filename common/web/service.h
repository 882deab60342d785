/*
 * The life of a FastCGI program: options, configuration, privilege drop,
 * the store opened once, then the one accept loop every program runs.  It
 * routes each request through a static table of {method, resource,
 * shape, handler, flags}, checks the bearer token as the route's flags
 * say, and writes whatever the handler left in the response (or a SCIM
 * error body when it returned an error); or it hands every request to
 * one page handler (scim-tokens' admin page).  Either way the loop owns
 * group commit (one flush per batch of waiting requests), the
 * checkpoint process and the renewal of a process whose store was
 * recovered under it.
 *
 * Owns: the scim_call and its memory, routing, the order of the bearer
 * check.  Must not know: what a handler does, how a token is verified
 * (auth/token.h), what the page shows.
 */
#ifndef SCIM_SERVICE_H
#define SCIM_SERVICE_H

#include "base/config.h"
#include "base/error.h"
#include "web/http.h"
#include "store/store.h"
#include "auth/token.h"
#include "audit/activity.h"

/* What one program has for the whole of its life. */
struct scim_ctx {
	struct scim_config	 cfg;
	struct store		*store;
};

/* One request being served. */
/*
 * Room for what an activity record keeps of a request's method,
 * User-Agent and query string (activity.h cuts them there), and 4 bytes
 * more each so a character that starts within the cut stays whole.
 */
#define SERVICE_ACT_BUF	(ACTIVITY_METHOD_MAX + ACTIVITY_UA_MAX + ACTIVITY_QUERY_MAX + 3 * 5)

struct scim_call {
	struct scim_ctx		*ctx;
	struct http_req		 req;
	struct http_resp	 resp;
	struct token_auth	 auth;		/* who is asking */
	const char		*resource;	/* canonical name matched */
	char			*base_url;	/* "https://h/scim/v2" */
	char			*id;		/* decoded item id or NULL */
	char			*allow;		/* the 405's Allow value that
						   resp.allow points to, or
						   NULL: a batch holds several
						   answers at once */
	bool			 auth_pending;	/* cached token: its record is
						   still to be read, by the
						   handler's transaction
						   (ROUTE_AUTH_TXN) or the
						   loop, see token-auth.c */
	bool			 mark_commit;	/* a ROUTE_FORWARD request:
						   serve_send() adds the
						   commit token once its batch
						   is flushed (web/forward.h) */
	/* For its activity record (audit/activity.h); routes only. */
	int64_t			 start_usec;	/* when it was accepted; 0 for
						   a page: not recorded */
	const char		*act_env[3];	/* REQUEST_METHOD,
						   HTTP_USER_AGENT and
						   QUERY_STRING (or NULL),
						   copied into act_buf: the
						   record is made after the
						   request's variables are
						   freed */
	char			 act_buf[SERVICE_ACT_BUF]; /* as much of
						   each as a record keeps: no
						   allocation per request */
	struct activity_notes	 notes;		/* what was skipped for it */
};

typedef enum scim_err (*route_fn)(struct scim_call *c,
		    struct scim_error *err);

enum route_shape {
	ROUTE_LIST,		/* /Users */
	ROUTE_ITEM,		/* /Users/{id} */
	ROUTE_SEARCH		/* /Users/.search */
};

/*
 * What the loop does about the bearer token, per route.  By default it
 * checks the token before the handler runs.  ROUTE_AUTH_TXN: a read-only
 * handler that, when the token was verified from this process's cache
 * (scim_call.auth_pending), reads its record inside its own read
 * transaction (token_check_txn()), one transaction less per request; a
 * writer must not (the record would stay locked until its durable
 * commit), so only readers carry it.
 */
#define ROUTE_NOAUTH	0x01	/* no bearer token needed */
#define ROUTE_AUTH_TXN	0x02	/* the handler finishes the token check */
/*
 * ROUTE_FORWARD: on a replica of a replication group, the master serves
 * it (web/forward.h): the request is relayed before the token check (the
 * master checks it) and not recorded here (the master records it).
 */
#define ROUTE_FORWARD	0x04	/* the master's to serve */

struct route {
	const char	*method;	/* "GET", "POST", ... */
	const char	*resource;	/* canonical: "Users", "Schemas" ... */
	enum route_shape shape;
	route_fn	 fn;
	unsigned	 flags;
};

/*
 * A program that answers every request itself (an HTML page, not SCIM):
 * req was read by http_req_read(), whose failure is passed as read_err
 * (NULL otherwise); ctx->store may be NULL (it could not be opened).
 * Fills resp; the loop sends it, zeroes resp->raw (it may show a secret)
 * and frees it.
 */
typedef void (*service_page_fn)(struct scim_ctx *ctx, struct http_req *req,
		    const struct scim_error *read_err, struct http_resp *resp);

struct service {
	const char		*name;		/* program name */
	const char		*summary;	/* one line for --help */
	const struct route	*routes;
	size_t			 nroutes;
	service_page_fn		 page;		/* instead of routes, or NULL */
};

/*
 * The whole program: parse argv (-c FILE, -h, -V, --checkpoint), then
 * service_serve().  Returns the exit status.
 */
int		 service_main(const struct service *svc, int argc,
		    char *argv[]);

/*
 * Load the configuration (conf, or NULL for $SCIM_CONF or the default),
 * drop root, open the store and serve until the web server closes the
 * socket; or, with checkpoint, be the data home's checkpoint process.
 * argv is the program's whole argument vector: the checkpoint process is
 * started with it after "--checkpoint", so the program must accept that
 * option.  For programs with options of their own (scim-tokens).
 * Returns the exit status.
 */
int		 service_serve(const struct service *svc, const char *conf,
		    bool checkpoint, int argc, char *argv[]);

/*
 * Split path into the service base and the part from a resource segment
 * on: finds the first segment naming one of the program's resources (any
 * case; "serviceConfiguration" is an alias of ServiceProviderConfig).
 * Exposed for unit tests.  Returns the canonical resource name and sets
 * *base_len (bytes of path before the segment) and *rest (after it), or
 * NULL when no segment matches.
 */
const char	*service_match(const struct service *svc, const char *path,
		    size_t *base_len, const char **rest);

/*
 * When started as root, become the owner of the data home (cfg->home):
 * refuses when it is missing or owned by root.  Opens nothing: callers
 * open the store after it, so its files are the owner's.  Used by
 * command-line programs too.
 */
enum scim_err	 service_drop_root(const struct scim_config *cfg,
		    struct scim_error *err);

/*
 * Close the store and replace this FastCGI process's image with a fresh
 * one (same PID and socket) after store_stale(): Berkeley DB cannot free
 * a recovered environment.  envp: the environment at start (save environ
 * before the first http_accept()).  Returns only as CGI or when exec fails; the
 * caller then exits.
 */
void		 service_renew(struct store **store, char *argv[],
		    char *envp[]);

/*
 * A ListResponse (RFC 7644 section 3.4.2) around resources (an array,
 * taken over: freed with the result), or NULL on allocation failure.
 * "Resources" is always present, [] when empty.
 */
cJSON		*service_list_response(size_t total, size_t start_index,
		    cJSON *resources);

#endif /* SCIM_SERVICE_H */
