/*
 * bench-load's in-process handler timers (see bench-load.c for the
 * command line): auth times the cached bearer check and GET /Users/{id}
 * with and without it; query times one kind of GET /Users handler alone,
 * for wall clock or, under callgrind, instructions per request.  Both
 * run the handlers as scim-users does, minus FastCGI.
 *
 * OWNS: building a scim_call by hand.  MUST NOT KNOW: how the store is
 * loaded (bench-load.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"
#include "base/util.h"
#include "scim/crud.h"
#include "web/http.h"
#include "web/service.h"
#include "bench/bench-load.h"

/* --- auth --- */

/*
 * The ids (names false) or the names of the users ("u" lines) of an ids
 * file, in its order; exits on failure.  The caller frees each and v.
 */
static char **
read_users(const char *path, bool names, size_t *n)
{
	char	 line[256], id[UTIL_UUID_LEN + 1], name[64], **v = NULL, **nv;
	size_t	 cap = 0;
	FILE	*f;

	*n = 0;
	if ((f = fopen(path, "r")) == NULL)
		die(path, NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "u %36s %63s", id, name) != 2)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				die("memory", NULL);
			v = nv;
		}
		if ((v[(*n)++] = strdup(names ? name : id)) == NULL)
			die("memory", NULL);
	}
	fclose(f);
	if (*n == 0) {
		fprintf(stderr, "bench-load: %s: no users\n", path);
		exit(1);
	}
	return v;
}

/*
 * One GET /Users/{id} as scim-users runs it, minus the FastCGI I/O: the
 * bearer check (when hdr is not NULL; its store half inside crud_get()'s
 * transaction), crud_get() and the serialisation http_resp_send() does.
 */
static void
get_once(struct scim_ctx *ctx, const char *hdr, char *id)
{
	struct scim_call	 c;
	struct scim_error	 err = { SCIM_OK, "" };
	char			*text;

	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.req.method = "GET";
	c.resource = "Users";
	c.base_url = (char *)"http://127.0.0.1/scim/v2";
	c.id = id;
	/* As serve_one() does: a cached token is read in crud_get()'s
	 * transaction. */
	if (hdr != NULL) {
		if (token_check_start(ctx->store, hdr, &c.auth,
		    &c.auth_pending, &err) != SCIM_OK)
			die("token_check", &err);
	} else
		strcpy(c.auth.tenant, TENANT);
	if (crud_get(&c, &err) != SCIM_OK)
		die("GET", &err);
	if (c.auth_pending)
		die("GET left the token unchecked", NULL);
	if (hdr != NULL)
		token_touch(ctx->store, &c.auth);
	/* Answers made from the stored text are already printed. */
	if (c.resp.body != NULL) {
		if ((text = cJSON_PrintUnformatted(c.resp.body)) == NULL)
			die("memory", NULL);
		free(text);
	} else if (c.resp.raw == NULL)
		die("GET gave no answer", NULL);
	http_resp_free(&c.resp);
}

/*
 * Time the cached bearer check alone, then GET /Users/{id} handlers on
 * random users with and without it, alternating in short rounds so both
 * see the same cache state: the difference is what auth adds.
 */
int
cmd_auth(const struct opts *o)
{
	struct scim_ctx		 ctx;
	struct scim_error	 err = { SCIM_OK, "" };
	struct token_auth	 auth;
	char			 hdr[TOKEN_LEN + 16], **ids;
	double			 t0, t1, first, hot, with = 0, without = 0;
	double			 end;
	long			 n = 0, nwith = 0, nwithout = 0;
	size_t			 nids;
	int			 i, round;

	if (o->token == NULL || o->ids == NULL) {
		fprintf(stderr, "bench-load: auth needs -k TOKEN -o IDS\n");
		return 2;
	}
	ids = read_users(o->ids, false, &nids);
	memset(&ctx, 0, sizeof(ctx));
	ctx.store = open_store(o, &ctx.cfg);
	snprintf(hdr, sizeof(hdr), "Bearer %s", o->token);
	/* The first check runs scrypt and fills the per-process cache. */
	t0 = now_s();
	if (token_check(ctx.store, hdr, &auth, &err) != SCIM_OK)
		die("token_check", &err);
	first = now_s() - t0;
	t0 = now_s();
	do {
		for (i = 0; i < 256; i++, n++)
			if (token_check(ctx.store, hdr, &auth, &err) !=
			    SCIM_OK)
				die("token_check", &err);
		t1 = now_s();
	} while (t1 - t0 < o->seconds / 2);
	hot = t1 - t0;
	srandom(1);
	end = now_s() + o->seconds;
	for (round = 0; now_s() < end; round++) {
		t0 = now_s();
		for (i = 0; i < 200; i++, nwithout++)
			get_once(&ctx, NULL, ids[random() % (long)nids]);
		without += now_s() - t0;
		t0 = now_s();
		for (i = 0; i < 200; i++, nwith++)
			get_once(&ctx, hdr, ids[random() % (long)nids]);
		with += now_s() - t0;
	}
	printf("{\"first_check_ms\": %.1f, \"checks\": %ld, "
	    "\"token_check_us\": %.3f, \"get_handler_us\": %.2f, "
	    "\"get_handler_with_auth_us\": %.2f, \"auth_added_us\": %.2f, "
	    "\"rounds\": %d, \"scrypt_runs\": %llu, \"tenant\": \"%s\"}\n",
	    first * 1e3, n, hot * 1e6 / (double)n,
	    without * 1e6 / (double)nwithout,
	    with * 1e6 / (double)nwith,
	    with * 1e6 / (double)nwith - without * 1e6 / (double)nwithout,
	    round, (unsigned long long)token_scrypt_count(), auth.tenant);
	store_close(ctx.store);
	for (i = 0; i < (int)nids; i++)
		free(ids[i]);
	free(ids);
	return 0;
}

/* --- query --- */

/*
 * One GET /Users request of kind q (see the top) as scim-users runs its
 * handler, minus FastCGI and auth; the answer serialised.  cursor holds
 * the walk's next cursor ("" to start), updated.  Not inlined: callgrind
 * counts from its entry (--toggle-collect=query_once).
 */
__attribute__((noinline)) static void
query_once(struct scim_ctx *ctx, const char *q, const char *id,
    const char *name, size_t nusers, char *cursor, size_t cursorsz)
{
	struct scim_call	 c;
	struct scim_error	 err = { SCIM_OK, "" };
	char			 qs[512], *text;
	const cJSON		*next;
	enum scim_err		 rc;

	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.req.method = "GET";
	c.resource = "Users";
	c.base_url = (char *)"http://127.0.0.1/scim/v2";
	strcpy(c.auth.tenant, TENANT);
	if (strcmp(q, "filter") == 0)
		snprintf(qs, sizeof(qs), "filter=userName%%20eq%%20%%22%s%%22",
		    name);
	else if (strcmp(q, "page") == 0)
		snprintf(qs, sizeof(qs), "startIndex=%ld&count=100",
		    1 + random() % (nusers > 100 ? (long)nusers - 99 : 1));
	else
		snprintf(qs, sizeof(qs), "cursor=%s&count=100", cursor);
	if (strcmp(q, "get") == 0) {
		c.id = (char *)id;
		rc = crud_get(&c, &err);
	} else if ((rc = http_query_parse(&c.req, qs, &err)) == SCIM_OK)
		rc = crud_list(&c, &err);
	if (rc != SCIM_OK)
		die(q, &err);
	if (strcmp(q, "cursor") == 0) {
		next = cJSON_GetObjectItem(c.resp.body, "nextCursor");
		snprintf(cursor, cursorsz, "%s", cJSON_IsString(next) ?
		    next->valuestring : "");
	}
	if (c.resp.body != NULL) {
		if ((text = cJSON_PrintUnformatted(c.resp.body)) == NULL)
			die("memory", NULL);
		free(text);
	}
	http_req_free(&c.req);
	http_resp_free(&c.resp);
}

int
cmd_query(const struct opts *o)
{
	static const char *const kinds[] = { "get", "filter", "page",
	    "cursor" };
	struct scim_ctx	 ctx;
	char		 cursor[STORE_CURSOR_TEXT_MAX] = "", **ids, **names;
	double		 t0, t, end;
	long		 n = 0, r;
	size_t		 nids, nnames, i;

	for (i = 0; o->query != NULL && i < 4; i++)
		if (strcmp(o->query, kinds[i]) == 0)
			break;
	if (o->query == NULL || i == 4 || o->ids == NULL) {
		fprintf(stderr, "bench-load: query needs -q get|filter|page|"
		    "cursor -o IDS\n");
		return 2;
	}
	ids = read_users(o->ids, false, &nids);
	names = read_users(o->ids, true, &nnames);
	memset(&ctx, 0, sizeof(ctx));
	ctx.store = open_store(o, &ctx.cfg);
	srandom(1);
	end = now_s() + o->seconds;
	t0 = now_s();
	do {
		r = random() % (long)nids;
		query_once(&ctx, o->query, ids[r], names[r], nids, cursor,
		    sizeof(cursor));
		n++;
	} while (o->requests > 0 ? n < o->requests : now_s() < end);
	t = now_s() - t0;
	printf("{\"query\": \"%s\", \"users\": %zu, \"requests\": %ld, "
	    "\"us_per_request\": %.2f}\n", o->query, nids, n, t * 1e6 /
	    (double)n);
	store_close(ctx.store);
	for (i = 0; i < nids; i++)
		free(ids[i]);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(ids);
	free(names);
	return 0;
}
