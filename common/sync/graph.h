/*
 * A Microsoft Graph client for Manual User Sync, on libcurl and cJSON:
 * the OAuth 2.0 client-credentials token (POST {authority}/{tenant id}/
 * oauth2/v2.0/token), the directory's groups (GET {url}/v1.0/groups) and
 * the users of a group, nested groups included (GET {url}/v1.0/groups/
 * {id}/transitiveMembers/microsoft.graph.user).
 *
 * Every page is followed by its @odata.nextLink exactly as given (an
 * absolute URL, which must point at [graph] url's origin: the bearer
 * token is never sent elsewhere); an empty page may still have one.  429,
 * 503 and 504 are retried after Retry-After seconds, or after an
 * exponential back-off with jitter when the header is missing, until
 * [graph] max_wait seconds of waiting in all; a 401 gets a new token
 * once.  Every call has [graph] timeout; TLS is verified (against
 * [graph] ca_file when set); proxies come from the usual environment
 * variables (libcurl reads them).  Plain http is allowed only to a
 * loopback address (the tests' stand-in).
 *
 * Failures fill a struct scim_error whose detail names the error as the
 * server gave it (AADSTS code, Graph error code and message) and, for the
 * errors an owner can fix, what to do ("regenerate the client secret").
 * The client secret never appears in a detail or a log line.
 *
 * OWNS the wire format, the token and its lifetime, paging, retries and
 * the parsers (graph-parse.c, pure, for tests and the fuzz harness).
 * MUST NOT KNOW the store, SCIM, role mappings or what a sync does with
 * what it reads (sync.h).
 */
#ifndef SCIM_GRAPH_H
#define SCIM_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"

#define GRAPH_ID_MAX		128	/* tenant and client ids */
#define GRAPH_SECRET_MAX	1024	/* bytes of a client secret */
#define GRAPH_BODY_MAX		(64L << 20) /* largest response read */
#define GRAPH_TOKEN_MARGIN	120	/* seconds before expiry a token is
					   no longer used */

/* What the token call needs: an app registration of a directory. */
struct graph_creds {
	char		 tenant_id[GRAPH_ID_MAX + 1];
	char		 client_id[GRAPH_ID_MAX + 1];
	char		 secret[GRAPH_SECRET_MAX + 1];
};

/* A directory group (the dropdown of the mappings). */
struct graph_group {
	const char	*id;
	const char	*display_name;	/* "" when it has none */
};

/* A directory user as Graph gives it; "" for what is null or absent. */
struct graph_user {
	const char	*id;
	const char	*upn;		/* userPrincipalName */
	const char	*mail;
	const char	*given;		/* givenName */
	const char	*surname;
	const char	*display;	/* displayName */
	const char	*lang;		/* preferredLanguage */
	const char	*mobile;	/* mobilePhone */
	bool		 enabled;	/* accountEnabled (true when absent) */
};

/* What the client did, for tests and the benchmark. */
struct graph_stats {
	uint64_t	 requests;	/* HTTP calls made */
	uint64_t	 tokens;	/* tokens fetched */
	uint64_t	 retries;	/* calls repeated after 429/503/504 */
	uint64_t	 waited_ms;	/* time spent waiting for them */
	uint64_t	 pages;		/* pages of results read */
};

struct graph;				/* a client; one per process */

/*
 * A client for cr (copied) with cfg's URLs and limits.  No call is made
 * yet.  SCIM_E_INVALID_VALUE when a URL is neither https nor http to a
 * loopback address; graph_close() frees *out.
 */
enum scim_err	 graph_open(struct graph **out, const struct scim_config *cfg,
		    const struct graph_creds *cr, struct scim_error *err);
void		 graph_close(struct graph *g);
void		 graph_stats(const struct graph *g, struct graph_stats *out);

/*
 * Make sure a token is held (fetch one when there is none or it is within
 * GRAPH_TOKEN_MARGIN of its expiry).  SCIM_E_UNAUTHORIZED with the AADSTS
 * code and a hint when the directory refuses.
 */
enum scim_err	 graph_token(struct graph *g, struct scim_error *err);

/* Called for each group / user; return false to stop. */
typedef bool	(*graph_group_fn)(void *arg, const struct graph_group *grp);
typedef bool	(*graph_user_fn)(void *arg, const struct graph_user *u);

/*
 * Every group of the directory (search NULL), or those whose displayName
 * holds search (Graph's $search, with ConsistencyLevel: eventual).
 */
enum scim_err	 graph_groups(struct graph *g, const char *search,
		    graph_group_fn fn, void *arg, struct scim_error *err);

/* Every user in group gid, directly or through nested groups. */
enum scim_err	 graph_members(struct graph *g, const char *gid,
		    graph_user_fn fn, void *arg, struct scim_error *err);

/* --- graph-parse.c: the wire format, pure --- */

/*
 * A token answer: its access_token into *token (a new string the caller
 * frees) and expires_in into *expires_in.  SCIM_E_UNAUTHORIZED when body
 * is no such answer.
 */
enum scim_err	 graph_parse_token(const char *body, size_t len,
		    char **token, long *expires_in, struct scim_error *err);

/*
 * Fill err from a refused call's status and body: an AADSTS answer
 * ({"error": "invalid_client", "error_description": "AADSTS7000215: ...",
 * "error_codes": [...]}) or a Graph one ({"error": {"code", "message"}}),
 * with a hint for what an owner can fix.  Returns err's code:
 * SCIM_E_UNAUTHORIZED (400/401 of the token call, 401), SCIM_E_FORBIDDEN
 * (403), SCIM_E_NOT_FOUND (404), SCIM_E_UNAVAILABLE (429, 5xx), else
 * SCIM_E_INTERNAL.  what names the call ("token", "groups").
 */
enum scim_err	 graph_parse_error(const char *what, long status,
		    const char *body, size_t len, struct scim_error *err);

/*
 * A page of a collection: its "value" array, detached into *value (the
 * caller deletes it), and its @odata.nextLink into *next (a new string,
 * NULL on the last page).  SCIM_E_INTERNAL when body is no such page.
 */
enum scim_err	 graph_parse_page(const char *body, size_t len, cJSON **value,
		    char **next, struct scim_error *err);

/*
 * Read entry o of a members page into *u (its strings borrowed from o):
 * false for an entry that is not a user ("@odata.type" other than
 * "#microsoft.graph.user": a nested group) or has no id or
 * userPrincipalName.
 */
bool		 graph_user_read(const cJSON *o, struct graph_user *u);

/* Entry o of a groups page: false without an id. */
bool		 graph_group_read(const cJSON *o, struct graph_group *grp);

/*
 * A Retry-After header's value: whole seconds (at most 3600), -1 when it
 * is missing or not a number (an HTTP date is treated as missing).
 */
long		 graph_retry_after(const char *value);

/*
 * May url be called: https, or http to 127.0.0.1, ::1 or localhost?
 */
bool		 graph_url_allowed(const char *url);

/*
 * Does url have base's origin (scheme, host and port)?  A nextLink must,
 * so that the token never leaves for another host.
 */
bool		 graph_same_origin(const char *base, const char *url);

#endif /* SCIM_GRAPH_H */
