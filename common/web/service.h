/*
 * The life of a FastCGI program: options, configuration, privilege drop,
 * the store opened once, then the accept loop that routes each request
 * through a static table of {method, resource, shape, handler}, checks
 * the bearer token, and writes whatever the handler left in the response
 * (or a SCIM error body when it returned an error).
 */
#ifndef SCIM_SERVICE_H
#define SCIM_SERVICE_H

#include "base/config.h"
#include "base/error.h"
#include "web/http.h"
#include "store/store.h"
#include "auth/token.h"

/* What one program has for the whole of its life. */
struct scim_ctx {
	struct scim_config	 cfg;
	struct store		*store;
};

/* One request being served. */
struct scim_call {
	struct scim_ctx		*ctx;
	struct http_req		 req;
	struct http_resp	 resp;
	struct token_auth	 auth;		/* who is asking */
	const char		*resource;	/* canonical name matched */
	char			*base_url;	/* "https://h/scim/v2" */
	char			*id;		/* decoded item id or NULL */
	bool			 auth_pending;	/* cached token: its record is
						   still to be read (the
						   handler's transaction does,
						   see token_check_start()) */
};

typedef enum scim_err (*route_fn)(struct scim_call *c,
		    struct scim_error *err);

enum route_shape {
	ROUTE_LIST,		/* /Users */
	ROUTE_ITEM,		/* /Users/{id} */
	ROUTE_SEARCH		/* /Users/.search */
};

#define ROUTE_NOAUTH	0x01	/* no bearer token needed */

struct route {
	const char	*method;	/* "GET", "POST", ... */
	const char	*resource;	/* canonical: "Users", "Schemas" ... */
	enum route_shape shape;
	route_fn	 fn;
	unsigned	 flags;
};

struct service {
	const char		*name;		/* program name */
	const char		*summary;	/* one line for --help */
	const struct route	*routes;
	size_t			 nroutes;
};

/*
 * The whole program: parse argv (-c FILE, -h, -V), load the
 * configuration, drop root, open the store, serve until the web server
 * closes the socket.  Returns the exit status.
 */
int		 service_main(const struct service *svc, int argc,
		    char *argv[]);

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
 * Open the store for cfg and drop privileges when started as root (to
 * the owner of the data home, creating it for www-data if asked).  Used
 * by command-line programs too.
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
