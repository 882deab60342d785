/*
 * Forwarding to the master (issue 23, "clients need not know which site
 * is master"): on a site of a replication group that is not the master,
 * a request to a forwarded route (service.h ROUTE_FORWARD: the SCIM API
 * of scim-users, scim-groups and scim-bulk) is sent over HTTP to the
 * master's site, and the master's answer is relayed to the client.
 * Reads go too, so a client that wrote through any site reads its write
 * through any site.
 *
 * Between sites:
 *   - the replica marks what it forwards with X-Scim-Forwarded-By (its
 *     own SCIM base URL); a marked request that reaches a site which is
 *     not master is answered 503, never forwarded again (no loops);
 *   - the master answers a marked write that succeeded with
 *     X-Scim-Commit (store_rep_last_token()); the replica waits, a bounded
 *     time, until it has applied that commit before it relays the
 *     answer, so the access gate on the same site sees the write at once.
 *     The replica does not relay X-Scim-Commit: it is the sites' business.
 *
 * OWNS: the choice to serve here, forward or refuse; which request
 * headers go to the master (Authorization, Content-Type, Accept,
 * If-Match, If-None-Match, User-Agent, X-Forwarded-For) and which answer
 * headers come back (Content-Type, Location, ETag, Retry-After,
 * WWW-Authenticate, Allow); the time and size bounds; the commit token's
 * round trip.  The libcurl handle (one per process: its connection to the
 * master is kept open between requests).
 *
 * MUST NOT KNOW: SCIM resources, routes or handlers (the route table
 * says what is forwarded), what the master does with the request, how
 * replication works (store/store-rep.h gives the role, the master's URL
 * and the tokens).
 */
#ifndef SCIM_FORWARD_H
#define SCIM_FORWARD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "base/error.h"
#include "store/store-rep.h"
#include "web/http.h"

#define FORWARD_MARK		"X-Scim-Forwarded-By"
#define FORWARD_MARK_ENV	"HTTP_X_SCIM_FORWARDED_BY"
#define FORWARD_COMMIT		"X-Scim-Commit"
/* Retry-After (seconds) of a 503 when no master answers: repmgr's
 * elections take a few seconds; a client that retries sooner is refused
 * again. */
#define FORWARD_RETRY_AFTER	2
/* How long a replica waits to have applied the master's commit before
 * it relays a write's answer anyway (a warning then). */
#define FORWARD_APPLY_WAIT_MS	2000
/*
 * The largest answer relayed is [http] max_body times this (32 MiB by
 * default).  Not max_body itself: an answer may rightly be larger than
 * any request (a page of 1,000 users, a group of 10,000 members at about
 * 150 bytes a member), and what the master may send the client directly
 * must not be refused through a replica.  The bound is the memory one
 * worker holds for it.
 */
#define FORWARD_ANSWER_FACTOR	32

/* What to do with a request to a forwarded route. */
enum forward_how {
	FORWARD_HERE,		/* this site serves it (master, or alone) */
	FORWARD_RELAY,		/* send it to the master */
	FORWARD_NO_MASTER,	/* 503: no master known (an election runs) */
	FORWARD_LOOP		/* 503: forwarded here, but not master */
};

/*
 * The choice for a site in role whose request carries forwarded_by (the
 * FORWARD_MARK header's value, or NULL).  A site alone serves even a
 * marked request: it has no master to loop to.  Pure; for unit tests.
 */
enum forward_how forward_decide(enum store_role role,
		    const char *forwarded_by);

/* Where and how to forward. */
struct forward_site {
	const char	*master_url;	/* the master's SCIM base URL */
	const char	*self_url;	/* ours: the mark's value */
	unsigned	 connect_ms;	/* connecting to the master */
	unsigned	 timeout_ms;	/* the whole exchange */
	size_t		 max_answer;	/* bytes of answer body */
};

/*
 * Send req (read by http_req_read(); the CGI variables of the current
 * request give Accept, User-Agent, X-Forwarded-For and the path as the
 * client sent it) to site->master_url: the same method, the path after
 * this site's SCIM base (base_len bytes of req->path) and the query
 * string exactly, the headers above, the body.  On SCIM_OK resp holds
 * the master's answer (status, Content-Type, body, Location, ETag and
 * the relayed headers; resp owns all of it) and commit[commit_len] its
 * X-Scim-Commit value or "".  A master that cannot be reached or does not
 * answer within the time-outs is SCIM_E_UNAVAILABLE with Retry-After on
 * resp; an answer larger than site->max_answer is SCIM_E_INTERNAL.  err
 * says which, naming the master.
 */
enum scim_err	 forward_relay(const struct forward_site *site,
		    const struct http_req *req, size_t base_len,
		    struct http_resp *resp, char *commit, size_t commit_len,
		    struct scim_error *err);

/*
 * forward_route() without the store, for tests: the choice for role and
 * the request's mark, then the 503 or the relay to site (whose
 * master_url is NULL when the master is not known).  Returns false when
 * this site serves the request; true when it was answered (*rc, resp,
 * err as forward_relay() says).  commit[commit_len]: the master's
 * X-Scim-Commit value or "".
 */
bool		 forward_run(enum store_role role,
		    const struct forward_site *site,
		    const struct http_req *req, size_t base_len,
		    struct http_resp *resp, char *commit, size_t commit_len,
		    enum scim_err *rc, struct scim_error *err);

/*
 * Is s a site that may have to forward (a replica, or no master known)?
 * Cheap: the caller asks it before anything else.
 */
bool		 forward_active(struct store *s);

/*
 * The accept loop's hook for a forwarded route: decide (forward_decide()
 * with the store's role and the request's mark), relay to the master
 * with cfg's time-outs, wait for the commit, as said above.  Returns
 * false when this site serves the request itself; true when it was
 * answered: *rc SCIM_OK with the master's answer on resp, or an error
 * (err, Retry-After on resp) for the loop to answer.  self_url: this
 * site's SCIM base URL, the mark's value when [replication] url is not
 * set.
 */
bool		 forward_route(struct store *s, const struct scim_config *cfg,
		    const struct http_req *req, size_t base_len,
		    const char *self_url, struct http_resp *resp,
		    enum scim_err *rc, struct scim_error *err);

/*
 * On the master, after a handler answered a forwarded request with rc:
 * when it succeeded (2xx) and replication is on, add X-Scim-Commit with
 * the token of this process's last commit.  Nothing otherwise.
 */
void		 forward_mark_commit(struct store *s,
		    const struct http_req *req, enum scim_err rc,
		    struct http_resp *resp);

#endif /* SCIM_FORWARD_H */
