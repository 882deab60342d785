/*
 * Held deprovisioning (common/scim/held.h): the window and counting rules,
 * table-driven (a window rolls over only once it has ended; n more fit
 * while count + n <= max; Retry-After is the window's rest within its
 * bounds; what counts as a deactivation; the match hash), then the
 * decision against a real store in a temporary directory: the first max
 * apply and are counted, the next is to be held, a held request asked
 * again is "again" (not held twice), another request is held beside it,
 * a rejected one is a 409 naming the reason, an approved one applies
 * uncounted, and a brake that is off decides nothing.  The replay through
 * the handlers is tested over HTTP (tests/http/test_held.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "scim/held.h"
#include "store/store.h"
#include "tap.h"
#include "tmp_store.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN		(60 * (int64_t)1000000)
#define T		"t1"

static const struct {
	int64_t		 start;		/* the window before */
	unsigned	 count;
	int64_t		 now;
	bool		 rolled;	/* want */
	unsigned	 count_after;
} rolls[] = {
	{ 0, 0, 100 * MIN, true, 0 },		/* none yet */
	{ 100 * MIN, 4, 100 * MIN, false, 4 },	/* its first instant */
	{ 100 * MIN, 4, 159 * MIN, false, 4 },
	{ 100 * MIN, 4, 160 * MIN - 1, false, 4 },
	{ 100 * MIN, 4, 160 * MIN, true, 0 },	/* ended: a new one */
	{ 100 * MIN, 4, 500 * MIN, true, 0 },
	{ 100 * MIN, 4, 99 * MIN, true, 0 },	/* the clock went back */
};

static const struct {
	unsigned	 count, n, max;
	bool		 fits;
} fits[] = {
	{ 0, 1, 3, true },
	{ 2, 1, 3, true },
	{ 3, 1, 3, false },
	{ 1, 2, 3, true },
	{ 2, 2, 3, false },	/* a removal of two does not half-fit */
	{ 0, 4, 3, false },
	{ 1000, 1000, 0, true },	/* 0: no brake */
};

static const struct {
	int64_t		 start, now;
	unsigned	 want;
} retries[] = {
	{ 0, 30 * MIN, 900 },			/* capped */
	{ 0, 50 * MIN, 600 },
	{ 0, 59 * MIN + 30 * 1000000, 60 },	/* at least a minute */
	{ 0, 60 * MIN, 60 },
};

static const struct {
	const char	*old, *res;
	bool		 want;
} deacts[] = {
	{ "{\"active\":true}", "{\"active\":false}", true },
	{ "{}", "{\"active\":false}", true },		/* absent: active */
	{ "{\"active\":false}", "{\"active\":false}", false },
	{ "{\"active\":true}", "{\"active\":true}", false },
	{ "{\"active\":false}", "{\"active\":true}", false },
	{ "{\"active\":true}", "{}", false },
};

static struct scim_ctx	 ctx;

/* A call of method on path with body, as token tk of tenant T. */
static void
call_init(struct scim_call *c, const char *method, const char *path,
    const char *body)
{
	memset(c, 0, sizeof(*c));
	c->ctx = &ctx;
	c->req.method = method;
	c->req.path = (char *)path;
	c->req.body = (char *)body;
	c->req.body_len = body ? strlen(body) : 0;
	c->resource = "Users";
	c->id = (char *)path + strlen(path) - 2;
	c->base_url = (char *)"https://h/scim/v2";
	strcpy(c->auth.tenant, T);
	strcpy(c->auth.token_id, "0123456789abcdef");
}

struct decide_arg {
	struct scim_call	*c;
	struct held_note	*n;
};

static enum scim_err
decide_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct decide_arg	*d = arg;
	struct held_op		 op = { "delete", d->c->id, "u", NULL, NULL,
				    NULL, 1 };

	return held_decide(t, d->c, &op, d->n, err);
}

/* Decide c in a transaction: its code, with the note in *n. */
static enum scim_err
decide(struct scim_call *c, struct held_note *n, struct scim_error *err)
{
	struct decide_arg	 d = { c, n };

	return store_run(ctx.store, decide_fn, &d, err);
}

static void
test_rules(void)
{
	struct held_window	 w;
	cJSON			*a, *b;
	char			 name[128], h1[HELD_MATCH_LEN + 1],
				 h2[HELD_MATCH_LEN + 1];
	size_t			 i;
	bool			 r;

	for (i = 0; i < NELEM(rolls); i++) {
		w.start = rolls[i].start;
		w.count = rolls[i].count;
		w.engaged = true;
		r = held_window_roll(&w, rolls[i].now, 60 * MIN);
		snprintf(name, sizeof(name), "roll %zu: rolled", i);
		is_int(r, rolls[i].rolled, name);
		snprintf(name, sizeof(name), "roll %zu: count", i);
		is_int(w.count, rolls[i].count_after, name);
	}
	for (i = 0; i < NELEM(fits); i++) {
		w.start = 1;
		w.count = fits[i].count;
		snprintf(name, sizeof(name), "fits %zu: %u + %u <= %u", i,
		    fits[i].count, fits[i].n, fits[i].max);
		is_int(held_window_fits(&w, fits[i].n, fits[i].max),
		    fits[i].fits, name);
	}
	for (i = 0; i < NELEM(retries); i++) {
		w.start = retries[i].start;
		snprintf(name, sizeof(name), "retry-after %zu", i);
		is_int(held_retry_after(&w, retries[i].now, 60 * MIN),
		    retries[i].want, name);
	}
	for (i = 0; i < NELEM(deacts); i++) {
		a = cJSON_Parse(deacts[i].old);
		b = cJSON_Parse(deacts[i].res);
		snprintf(name, sizeof(name), "deactivates %zu: %s -> %s", i,
		    deacts[i].old, deacts[i].res);
		is_int(held_deactivates(a, b), deacts[i].want, name);
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	held_match("PATCH", "/Users/1", "{}", 2, h1);
	held_match("PATCH", "/Users/1", "{ }", 3, h2);
	is_int(strlen(h1), HELD_MATCH_LEN, "match: its length");
	ok(strcmp(h1, h2) != 0, "match: the body counts");
	held_match("PATCH", "/Users/1", NULL, 0, h1);
	held_match("PATCH", "/Users/", "1", 1, h2);
	ok(strcmp(h1, h2) != 0, "match: no two splits alike");
}

struct expire_arg {
	const char	*id;
};

/* Move rejected record id's time into the past. */
static enum scim_err
expire_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct expire_arg	*x = arg;
	char			 key[64];
	cJSON			*rec;
	enum scim_err		 rc;

	snprintf(key, sizeof(key), "op/%s", x->id);
	if ((rc = store_kv_get(t, T, HELD_SPACE, key, &rec, err)) != SCIM_OK)
		return rc;
	cJSON_ReplaceItemInObject(rec, "untilUsec", cJSON_CreateNumber(1));
	rc = store_kv_put(t, T, HELD_SPACE, key, rec, err);
	cJSON_Delete(rec);
	return rc;
}

static void
test_decide(void)
{
	struct expire_arg	 expire;
	struct scim_call	 c;
	struct held_note	 n;
	struct held_decision	 d = { T, NULL, "test", "not today", &ctx };
	struct scim_error	 err;
	cJSON			*list = NULL;
	char			 path[32];
	unsigned		 rej;
	int			 i;

	memset(&n, 0, sizeof(n));
	ctx.cfg.held_max = 0;
	call_init(&c, "DELETE", "/Users/00", NULL);
	is_int(decide(&c, &n, &err), SCIM_OK, "off: applies");
	ctx.cfg.held_max = 3;
	for (i = 1; i <= 3; i++) {
		snprintf(path, sizeof(path), "/Users/%02d", i);
		call_init(&c, "DELETE", path, NULL);
		is_int(decide(&c, &n, &err), SCIM_OK, "within max: applies");
	}
	call_init(&c, "DELETE", "/Users/04", NULL);
	is_int(decide(&c, &n, &err), SCIM_E_UNAVAILABLE, "over max: 503");
	ok(n.pending && n.op != NULL, "over max: to be held");
	is_int(held_hold(&c, &n, &err), SCIM_E_UNAVAILABLE, "held: 503");
	is_int(c.resp.nheaders, 1, "held: Retry-After");
	http_resp_free(&c.resp);
	is_int(decide(&c, &n, &err), SCIM_E_UNAVAILABLE, "asked again: 503");
	ok(n.again && !n.pending, "asked again: not held twice");
	call_init(&c, "DELETE", "/Users/05", NULL);
	is_int(decide(&c, &n, &err), SCIM_E_UNAVAILABLE, "another: 503");
	is_int(held_hold(&c, &n, &err), SCIM_E_UNAVAILABLE, "another: held");
	http_resp_free(&c.resp);
	is_int(held_list(ctx.store, T, &list, &err), SCIM_OK, "list");
	is_int(cJSON_GetArraySize(list), 2, "list: both");
	is_str(json_str(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0),
	    "user"), "id"), "04", "list: oldest first");
	d.id = json_str(cJSON_GetArrayItem(list, 0), "id");
	is_int(held_reject(&d, &rej, &err), SCIM_OK, "reject one");
	is_int(rej, 1, "reject: one");
	call_init(&c, "DELETE", "/Users/04", NULL);
	is_int(decide(&c, &n, &err), SCIM_E_CONFLICT, "rejected: 409");
	ok(strstr(err.detail, "not today") != NULL, "rejected: says why");
	is_int(held_reject(&d, &rej, &err), SCIM_E_NOT_FOUND,
	    "reject again: not held");
	/* Its time up, the retry is decided anew: held again, afresh. */
	expire.id = d.id;
	is_int(store_run(ctx.store, expire_fn, &expire, &err), SCIM_OK,
	    "rejection's time up");
	is_int(decide(&c, &n, &err), SCIM_E_UNAVAILABLE, "after: 503");
	ok(n.pending, "after: to be held anew");
	is_int(held_hold(&c, &n, &err), SCIM_E_UNAVAILABLE, "after: held");
	http_resp_free(&c.resp);
	cJSON_Delete(list);
	is_int(held_list(ctx.store, T, &list, &err), SCIM_OK, "list again");
	is_int(cJSON_GetArraySize(list), 2, "list: 05 and 04 held anew");
	is_str(json_str(cJSON_GetArrayItem(list, 1), "state"), "held",
	    "list: 04 held, not rejected");
	held_note_free(&n);
	cJSON_Delete(list);
}

int
main(void)
{
	struct tmp_store	 ts;

	test_rules();
	if (!tmp_store_init(&ts, "held", &ctx.cfg))
		goto out;
	ctx.cfg.sync = STORE_SYNC_NONE;
	if (!tmp_store_open(&ts, &ctx.cfg))
		goto out;
	ctx.store = ts.s;
	test_decide();
out:
	tmp_store_done(&ts);
	return tap_done();
}
