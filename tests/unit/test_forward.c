/*
 * Unit tests for web/forward.c without a master: the choice for each
 * role with and without the mark (a forwarded request never goes on), the
 * refusals (503, Retry-After, a detail that says no master is
 * reachable) when no master is known, when the mark shows a loop, and
 * when the master's address refuses connections.  What a master receives
 * and what comes back is tests/http/test_forward.py's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "web/forward.h"
#include "tap.h"

static const struct {
	enum store_role		 role;
	const char		*mark;
	enum forward_how	 want;
} decisions[] = {
	{ STORE_ROLE_ALONE, NULL, FORWARD_HERE },
	{ STORE_ROLE_ALONE, "http://127.0.0.1:1/scim/v2", FORWARD_HERE },
	{ STORE_ROLE_MASTER, NULL, FORWARD_HERE },
	{ STORE_ROLE_MASTER, "http://127.0.0.1:1/scim/v2", FORWARD_HERE },
	{ STORE_ROLE_REPLICA, NULL, FORWARD_RELAY },
	{ STORE_ROLE_REPLICA, "http://127.0.0.1:1/scim/v2", FORWARD_LOOP },
	{ STORE_ROLE_NONE, NULL, FORWARD_NO_MASTER },
	{ STORE_ROLE_NONE, "http://127.0.0.1:1/scim/v2", FORWARD_LOOP },
};

/* A loopback port nothing listens on (bound, then closed). */
static int
closed_port(void)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);
	int			 fd, port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return 1;
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* resp's Retry-After line, or NULL. */
static const char *
retry_after(const struct http_resp *resp)
{
	size_t	 i;

	for (i = 0; i < resp->nheaders; i++)
		if (strncmp(resp->headers[i], "Retry-After: ", 13) == 0)
			return resp->headers[i];
	return NULL;
}

/* One refusal: role, mark and master give *rc 503 with a detail. */
static void
check_refusal(const char *name, enum store_role role, const char *mark,
    const char *master_url, const char *has)
{
	struct forward_site	 site = { master_url, "http://127.0.0.1:2/s",
				    200, 1000, 1 << 20 };
	struct scim_error	 err = { SCIM_OK, "" };
	struct http_req		 req;
	struct http_resp	 resp;
	enum scim_err		 rc = SCIM_OK;
	char			 commit[STORE_REP_TOKEN_MAX], path[] =
				    "/scim/v2/Users";
	bool			 answered;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = "GET";
	req.path = path;
	if (mark != NULL)
		setenv(FORWARD_MARK_ENV, mark, 1);
	else
		unsetenv(FORWARD_MARK_ENV);
	answered = forward_run(role, &site, &req, 8, &resp, commit,
	    sizeof(commit), &rc, &err);
	ok(answered, "%s: answered here", name);
	is_int(rc, SCIM_E_UNAVAILABLE, name);
	is_int(scim_err_status(rc), 503, name);
	is_str(retry_after(&resp), "Retry-After: 2", name);
	ok(strstr(err.detail, "no master is reachable") != NULL &&
	    strstr(err.detail, has) != NULL, "%s: detail \"%s\" has \"%s\"",
	    name, err.detail, has);
	is_str(commit, "", name);
	http_resp_free(&resp);
	unsetenv(FORWARD_MARK_ENV);
}

int
main(void)
{
	char	 url[64];
	size_t	 i;

	for (i = 0; i < sizeof(decisions) / sizeof(decisions[0]); i++)
		tap_ok(forward_decide(decisions[i].role, decisions[i].mark) ==
		    decisions[i].want, __LINE__, "decide row %zu", i);
	check_refusal("no master known", STORE_ROLE_REPLICA, NULL, NULL,
	    "election");
	check_refusal("election", STORE_ROLE_NONE, NULL,
	    "http://127.0.0.1:1/scim/v2", "election");
	check_refusal("loop", STORE_ROLE_REPLICA, "http://127.0.0.1:3/scim/v2",
	    "http://127.0.0.1:1/scim/v2", "forwarded this request here");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/scim/v2",
	    closed_port());
	check_refusal("master refuses connections", STORE_ROLE_REPLICA, NULL,
	    url, "127.0.0.1");
	return tap_done();
}
