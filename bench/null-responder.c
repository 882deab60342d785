/*
 * null-responder: the FastCGI program that does nothing, for "make bench".
 *
 * Behind the same lighttpd, with the same process count, it is the
 * ceiling every scim-fcgi request path is measured against: the cost of
 * the web server, the FastCGI hop and the programs' own FastCGI layer
 * (http.c: libfcgi's request API, closing without libfcgi's linger once
 * the input is read) with no work at all.  It answers "{}"; with a query
 * string "bytes=N" (N up to 65536) it answers a JSON body of exactly N
 * bytes instead, so the cost of moving a response of a given size can be
 * told apart from the cost of making it.
 */
#include <stdlib.h>
#include <string.h>

#include "web/http.h"

#define MAX_BODY	65536

static char	 body[MAX_BODY + 1];

/* The body size asked for in QUERY_STRING, or 2 ("{}"). */
static size_t
wanted(void)
{
	const char	*qs = getenv("QUERY_STRING");
	char		*end;
	long		 n;

	if (qs == NULL || strncmp(qs, "bytes=", 6) != 0)
		return 2;
	n = strtol(qs + 6, &end, 10);
	if (*end != '\0' || n < 12 || n > MAX_BODY)
		return 2;
	return (size_t)n;
}

int
main(void)
{
	struct http_resp	 resp;
	size_t			 n;

	while (http_accept() >= 0) {
		n = wanted();
		if (n == 2)
			memcpy(body, "{}", 2);
		else {
			/* {"pad":"xxx...x"} */
			memcpy(body, "{\"pad\":\"", 8);
			memset(body + 8, 'x', n - 10);
			memcpy(body + n - 2, "\"}", 2);
		}
		memset(&resp, 0, sizeof(resp));
		resp.status = 200;
		resp.raw = body;
		resp.raw_len = n;
		resp.raw_type = "application/scim+json";
		http_resp_send(&resp);
	}
	return 0;
}
