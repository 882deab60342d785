/*
 * One request and its response over FastCGI (or plain CGI: a single
 * request on the process's standard input and output when standard input
 * is not a socket).  This is the only module that includes libfcgi's
 * headers.
 *
 * The strict input layer lives here: CONTENT_LENGTH is capped before the
 * body is read (413), the query string is split on '&' before '+' and
 * %XX are decoded, decoded text must be UTF-8 without NUL bytes, and the
 * body must be UTF-8 without NUL bytes.
 */
#ifndef SCIM_HTTP_H
#define SCIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"

#define HTTP_MAX_PARAMS		64	/* query parameters kept */
#define HTTP_MAX_QUERY		(64 * 1024)	/* longest query string */

struct http_param {
	char	*name;		/* decoded */
	char	*value;		/* decoded */
};

/* A request.  Everything here is owned by it and freed by http_req_free. */
struct http_req {
	const char		*method;	/* REQUEST_METHOD */
	char			*path;		/* SCRIPT_NAME + PATH_INFO */
	struct http_param	 params[HTTP_MAX_PARAMS];
	size_t			 nparams;
	const char		*authorization;	/* HTTP_AUTHORIZATION or NULL */
	const char		*content_type;	/* CONTENT_TYPE or NULL */
	const char		*if_match;	/* HTTP_IF_MATCH or NULL */
	const char		*if_none_match;	/* HTTP_IF_NONE_MATCH or NULL */
	const char		*cookie;	/* HTTP_COOKIE or NULL */
	const char		*remote_addr;	/* REMOTE_ADDR or NULL */
	const char		*remote_user;	/* REMOTE_USER or NULL */
	const char		*user_agent;	/* HTTP_USER_AGENT or NULL */
	const char		*query;		/* QUERY_STRING or NULL */
	const char		*server_addr;	/* SERVER_ADDR or NULL */
	bool			 https;		/* HTTPS=on or REQUEST_SCHEME */
	char			*host_url;	/* "https://host[:port]" */
	char			*body;		/* NUL-terminated, or NULL */
	size_t			 body_len;
	bool			 body_json;	/* http_body_json() found the
						   body one JSON object (it
						   sets this) */
};

/* Extra response headers (Set-Cookie, CSP...). */
#define HTTP_MAX_HEADERS	12

/*
 * A response; body or raw is sent after the headers.  Both: raw is body
 * as printed (a handler that had the text already), and is what is sent;
 * body is kept for what reads the answer (the activity record).
 */
struct http_resp {
	int		 status;	/* 200 when 0 */
	cJSON		*body;		/* owned: sent as application/scim+json */
	char		*raw;		/* owned: sent as is, with raw_type */
	size_t		 raw_len;
	const char	*raw_type;	/* e.g. "text/html; charset=utf-8" */
	char		*location;	/* owned, or NULL */
	char		*etag;		/* owned, or NULL: W/"..." */
	const char	*allow;		/* for 405; not owned: must live
					   until the response is sent */
	char		*headers[HTTP_MAX_HEADERS];	/* owned "Name: v" */
	size_t		 nheaders;
};

/*
 * Wait for the next request (FCGX_Accept_r): >= 0 when there is one, < 0
 * when the web server closed the listening socket.  As plain CGI, the
 * first call returns the one request and the second returns -1.
 */
int		 http_accept(void);

/*
 * Group commit (see store_flush()): take another request that is already
 * waiting, while the answers to those before it are held.  Returns its
 * slot (see http_select()), which is now the current request, or -1 when
 * none is waiting (or HTTP_BATCH_MAX are open, or as CGI).  It never
 * waits for one to come.  16: the shipped lighttpd configurations send
 * all of a program's writes to one process (docs/DESIGN.md, "One writer
 * per program"), which then finds as many waiting as the clients keep
 * open; measured with 16 connections, 16 instead of 8 made durable POSTs
 * about a fifth faster.
 */
#define HTTP_BATCH_MAX	16
int		 http_accept_more(void);

/* The current request's slot; make slot's request the current one. */
int		 http_current(void);
void		 http_select(int slot);

/*
 * Fill req from the CGI environment and standard input.  The body is read
 * only for methods that carry one, and only up to cfg->max_body bytes:
 * more is SCIM_E_TOO_LARGE.  A bad query string or body encoding is
 * SCIM_E_INVALID_SYNTAX / SCIM_E_BAD_REQUEST with a detail.  On error req
 * holds what was read; call http_req_free() either way.
 */
enum scim_err	 http_req_read(struct http_req *req,
		    const struct scim_config *cfg, struct scim_error *err);

/* Free what req owns and zero it. */
void		 http_req_free(struct http_req *req);

/*
 * Split and decode a query string into req->params: split on '&', then on
 * the first '=', then decode '+' and %XX.  Exposed for unit tests.
 */
enum scim_err	 http_query_parse(struct http_req *req, const char *qs,
		    struct scim_error *err);

/* The value of query parameter name (case-insensitive), or NULL. */
const char	*http_param(const struct http_req *req, const char *name);

/*
 * Parse the body as JSON.  Content-Type is checked loosely: absent, or
 * any type mentioning "json", is accepted; anything else is
 * SCIM_E_MEDIA_TYPE.  An empty body or malformed JSON is
 * SCIM_E_INVALID_SYNTAX, and so are data after the JSON value and a
 * \u0000 escape (cJSON would cut the string there); a top-level value
 * other than an object is SCIM_E_INVALID_SYNTAX; duplicate member names
 * (compared case-insensitively, as SCIM names are) are
 * SCIM_E_INVALID_SYNTAX.
 * *out is new; the caller deletes it.
 */
enum scim_err	 http_body_json(const struct http_req *req, cJSON **out,
		    struct scim_error *err);

/* Add a header line "Name: value" to resp; false when full. */
bool		 http_resp_header(struct http_resp *resp, const char *fmt, ...)
		    __attribute__((format(__printf__, 2, 3)));

/*
 * Turn err into a SCIM error body on resp (RFC 7644 section 3.12:
 * schemas, status as a string, scimType when one applies, detail).
 */
void		 http_resp_error(struct http_resp *resp,
		    const struct scim_error *err);

/* Write resp to the client: status, headers, body. */
void		 http_resp_send(const struct http_resp *resp);

/*
 * The body the last http_resp_send() printed from resp->body, or sent as
 * its text (resp->raw beside it): unformatted JSON, *len bytes, not
 * NUL-terminated for certain, valid until the next http_resp_send() or
 * until resp is freed; NULL when it sent none or printed it into a
 * buffer it freed.  Lets the activity record keep an answer without
 * printing it twice.
 */
const char	*http_resp_sent_body(size_t *len);

/*
 * End the current request now: the rest of its input is read and the
 * connection closed at once (see http.c), so the client has its whole
 * answer and the process may do more work before the next accept.
 * http_accept() does it for a request not yet ended.
 */
void		 http_finish(void);

/* Is this process a FastCGI responder (not a one-request CGI run)? */
bool		 http_is_fastcgi(void);

/* Free what resp owns and zero it. */
void		 http_resp_free(struct http_resp *resp);

/* Reason phrase for an HTTP status. */
const char	*http_reason(int status);

/* Percent-decode s[0..n) ('+' as space when plus) into a new string;
 * NULL on a bad escape, an encoded NUL (%00) or allocation failure. */
char		*http_decode(const char *s, size_t n, bool plus);

#endif /* SCIM_HTTP_H */
