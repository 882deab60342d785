/*
 * The audit log's shards against a real Berkeley DB environment in a
 * temporary directory: new events spread over the shards beside an
 * event in the layout before them, read newest first across the shards
 * and the old range (in pages, by category, target and time), and
 * pruned by age from every shard in one transaction.
 */
#include "audit_run.h"
#include "token_fixture.h"

#define EVENT_ID_SZ	25	/* an event id: 24 hex digits and a NUL */

struct aud {
	const char	*key;		/* a raw key to put (legacy/old) */
	cJSON		*keys;		/* out of aud_keys_fn: every key */
};

/* Events u0, u1, ... of tenant aud, of two categories. */
static const struct audit_run aud_run = {
	.tenant = "aud",
	.types = { "scim.user.provisioned", "token.created" },
	.prefix = "u",
	.by_id = true,
};

/* Put a hand-made event under a->key (a layout older code wrote). */
static enum scim_err
aud_raw_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct aud	*a = arg;
	cJSON		*e = cJSON_CreateObject(), *tg;
	enum scim_err	 rc;

	cJSON_AddStringToObject(e, "id", a->key + strlen(a->key) - 24);
	cJSON_AddStringToObject(e, "tenant", "aud");
	cJSON_AddStringToObject(e, "type", "scim.user.deleted");
	cJSON_AddStringToObject(e, "category", "scim");
	tg = cJSON_AddObjectToObject(e, "target");
	cJSON_AddStringToObject(tg, "id", "old");
	rc = store_kv_put(t, "aud", "audit", a->key, e, err);
	cJSON_Delete(e);
	return rc;
}

static bool
aud_key_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	(void)obj; (void)keep;
	cJSON_AddItemToArray(arg, cJSON_CreateString(key));
	return true;
}

static enum scim_err
aud_keys_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct aud	*a = arg;

	cJSON_Delete(a->keys);
	a->keys = cJSON_CreateArray();
	return store_kv_scan(t, "aud", "audit", NULL, false, aud_key_each,
	    a->keys, err);
}

/* Page through q with pages of size n; every id, in order, into ids. */
static int
aud_page_all(struct store *s, struct audit_query *q, unsigned n, cJSON *ids)
{
	struct scim_error	 err;
	cJSON			*page, *e;
	char			 last[32] = "";
	int			 pages = 0, got;

	q->limit = n;
	q->before = NULL;
	for (;;) {
		if (audit_query(s, q, &page, &err) != SCIM_OK)
			return -1;
		got = 0;
		cJSON_ArrayForEach(e, page) {
			snprintf(last, sizeof(last), "%s",
			    cJSON_GetObjectItem(e, "id")->valuestring);
			cJSON_AddItemToArray(ids, cJSON_CreateString(last));
			got++;
		}
		cJSON_Delete(page);
		pages++;
		if (got < (int)n)
			break;
		q->before = last;
	}
	q->before = NULL;
	return pages;
}

/*
 * 200 events in batches with one in the layout before shards between
 * them: the new keys spread over the shards, the old one is left as it
 * was.  The old event's id into lid (EVENT_ID_SZ bytes).
 */
static void
test_audit_keys(struct store *s, char *lid)
{
	struct scim_error	 err;
	struct aud		 a;
	struct audit_run	 r = aud_run;
	cJSON			*e;
	const char		*k;
	bool			 shards[64] = { false };
	int			 i, n, nshards = 0, legacy = 0, bad = 0;

	memset(&a, 0, sizeof(a));
	r.to = 100;
	is_int(store_run(s, audit_run_fn, &r, &err), SCIM_OK,
	    "record 100 events");
	/* An event in the layout before shards, between two batches. */
	snprintf(lid, EVENT_ID_SZ, "%016llx%08x",
	    (unsigned long long)util_now_usec(), 0x1234u);
	a.key = lid;
	is_int(store_run(s, aud_raw_fn, &a, &err), SCIM_OK,
	    "put an event under an unsharded key");
	for (i = 0; i < 10; i++) {
		r.from = r.to;
		r.to = r.from + 10;
		store_run(s, audit_run_fn, &r, &err);
	}
	is_int(store_read(s, aud_keys_fn, &a, &err), SCIM_OK, "read the keys");
	is_int(cJSON_GetArraySize(a.keys), 201, "201 keys");
	cJSON_ArrayForEach(e, a.keys) {
		k = e->valuestring;
		if (strlen(k) == 24) {
			legacy++;
			continue;
		}
		if (strlen(k) != 27 || k[0] != 's' ||
		    sscanf(k + 1, "%2x", (unsigned *)&n) != 1 || n >= 64) {
			bad++;
			continue;
		}
		if (!shards[n])
			nshards++;
		shards[n] = true;
	}
	cJSON_Delete(a.keys);
	a.keys = NULL;
	is_int(bad, 0, "every new key is s<2 hex digits><id>");
	is_int(legacy, 1, "the old key is left as it was");
	ok(nshards >= 32, "200 events spread over many shards (%d of 64): "
	    "concurrent writers append at different right edges", nshards);
}

/*
 * Newest first across the shards and the old range (lid), in one page
 * and paged with "before".  Returns every id, newest first, for
 * test_audit_filters() (which frees it).
 */
static cJSON *
test_audit_order(struct store *s, const char *lid)
{
	struct audit_query	 q;
	cJSON			*ids, *all, *e;
	char			 prev[25] = "";
	bool			 ordered = true;
	int			 i, n = -1;

	memset(&q, 0, sizeof(q));
	q.tenant = "aud";
	all = cJSON_CreateArray();
	is_int(aud_page_all(s, &q, 1000, all), 1, "one page of everything");
	is_int(cJSON_GetArraySize(all), 201, "201 events in the log");
	i = 0;
	cJSON_ArrayForEach(e, all) {
		if (prev[0] != '\0' && strcmp(prev, e->valuestring) <= 0)
			ordered = false;
		snprintf(prev, sizeof(prev), "%s", e->valuestring);
		if (strcmp(e->valuestring, lid) == 0)
			n = i;
		i++;
	}
	ok(ordered, "strictly newest first");
	is_int(n, 100, "the old event sits between the batches");
	ids = cJSON_CreateArray();
	is_int(aud_page_all(s, &q, 7, ids), 29, "29 pages of 7");
	ok(cJSON_Compare(ids, all, true),
	    "paging with \"before\" visits the same events in the same order");
	cJSON_Delete(ids);
	return all;
}

/* The same log by category, target and time, paged; frees all. */
static void
test_audit_filters(struct store *s, cJSON *all)
{
	struct audit_query	 q;
	cJSON			*ids, *e;
	char			 oid[25];
	int			 n;

	memset(&q, 0, sizeof(q));
	q.tenant = "aud";
	ids = cJSON_CreateArray();
	q.category = "tokens";
	aud_page_all(s, &q, 9, ids);
	is_int(cJSON_GetArraySize(ids), 100, "a category, paged: 100 events");
	cJSON_Delete(ids);
	ids = cJSON_CreateArray();
	q.category = NULL;
	q.target = "u150";
	aud_page_all(s, &q, 5, ids);
	is_int(cJSON_GetArraySize(ids), 1, "a target: one event");
	cJSON_Delete(ids);
	ids = cJSON_CreateArray();
	q.target = NULL;
	/* since: the 50 newest (ids begin with their time). */
	snprintf(oid, sizeof(oid), "%s",
	    cJSON_GetArrayItem(all, 49)->valuestring);
	oid[16] = '\0';
	q.since = (int64_t)strtoull(oid, NULL, 16);
	for (n = 0, e = all->child; e != NULL; e = e->next)
		if (strncmp(e->valuestring, oid, 16) >= 0)
			n++;
	aud_page_all(s, &q, 8, ids);
	is_int(cJSON_GetArraySize(ids), n, "since: the newest events only");
	cJSON_Delete(ids);
	ids = cJSON_CreateArray();
	q.until = q.since;
	q.since = 0;
	for (n = 0, e = all->child; e != NULL; e = e->next)
		if (strncmp(e->valuestring, oid, 16) <= 0)
			n++;
	aud_page_all(s, &q, 8, ids);
	is_int(cJSON_GetArraySize(ids), n, "until: the older events only");
	cJSON_Delete(ids);
	cJSON_Delete(all);
}

/* Retention: expired events go from every shard and the old range. */
static void
test_audit_prune(struct store *s)
{
	struct scim_error	 err;
	struct aud		 a;
	struct audit_prune_stats ps;
	struct scim_config	 c = cfg;
	char			 key[64], oid[25];
	int			 i;
	int64_t			 now = util_now_usec();

	memset(&a, 0, sizeof(a));
	snprintf(oid, sizeof(oid), "%016llx%08x",
	    (unsigned long long)(now - 400 * DAY), 1u);
	a.key = oid;
	store_run(s, aud_raw_fn, &a, &err);
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "s%02x%016llx%08x", i * 13,
		    (unsigned long long)(now - 400 * DAY + i), 2u);
		a.key = key;
		store_run(s, aud_raw_fn, &a, &err);
	}
	c.audit_retention_days = 365;
	is_int(audit_prune(s, &c, "aud", &ps, &err), SCIM_OK, "prune");
	is_int((long long)ps.events, 4,
	    "prune removes the 4 expired events (3 shards, 1 old key)");
	is_int((long long)ps.txns, 1, "in one transaction across the shards");
	is_int(audit_prune(s, &c, "aud", &ps, &err), SCIM_OK, "prune again");
	is_int((long long)ps.events, 0, "and only those");
	is_int((long long)ps.txns, 0, "no empty transaction");
	is_int(store_read(s, aud_keys_fn, &a, &err), SCIM_OK, "read the keys");
	is_int(cJSON_GetArraySize(a.keys), 201, "the rest are kept");
	cJSON_Delete(a.keys);
}

int
main(void)
{
	struct tmp_store	 ts;
	struct store		*s;
	char			 lid[EVENT_ID_SZ];
	cJSON			*all;

	if (!token_fixture_open(&ts, "token-audit"))
		goto out;
	s = ts.s;
	test_audit_keys(s, lid);
	all = test_audit_order(s, lid);
	test_audit_filters(s, all);
	test_audit_prune(s);
out:
	tmp_store_done(&ts);
	return tap_done();
}
