/*
 * Fuzz harness: the Microsoft Graph wire format (common/sync/graph-parse.c),
 * what arrives from the network before anything trusts it.  The input is
 * read as a token answer, as an error body of each call at the statuses
 * the client sees, as a collection page whose entries are read as users
 * and as groups, as a Retry-After value, and as a URL to call and a
 * nextLink to follow.
 */
#include <stdbool.h>

#include "base/error.h"
#include "sync/graph.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 400, 401, 403, 404, 429, 503 };
	struct scim_error	 err;
	struct graph_user	 u;
	struct graph_group	 g;
	const cJSON		*e;
	cJSON			*value = NULL;
	char			*s, *tok = NULL, *next = NULL;
	long			 exp;
	size_t			 i;

	if ((s = fuzz_strndup(data, size)) == NULL)
		return 0;
	if (graph_parse_token(s, size, &tok, &exp, &err) == SCIM_OK)
		free(tok);
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		(void)graph_parse_error("token", statuses[i], s, size, &err);
		(void)graph_parse_error("groups", statuses[i], s, size, &err);
	}
	if (graph_parse_page(s, size, &value, &next, &err) == SCIM_OK) {
		cJSON_ArrayForEach(e, value) {
			(void)graph_user_read(e, &u);
			(void)graph_group_read(e, &g);
		}
		if (next != NULL)
			(void)graph_same_origin("https://graph.microsoft.com",
			    next);
		cJSON_Delete(value);
		free(next);
	}
	(void)graph_retry_after(s);
	(void)graph_url_allowed(s);
	(void)graph_same_origin("http://127.0.0.1:8080", s);
	free(s);
	return 0;
}
