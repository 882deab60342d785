/*
 * Unit tests for the claims of unique extension values (unique.h), on a
 * store in a temporary directory with a declared extension: which
 * declarations are refused; claims made by a create, refused to a second
 * holder (strings folded unless caseExact, numbers by value, each value
 * of a multi-valued attribute and of a sub-attribute), moved by an
 * update, freed by a delete; stale claims taken over; tenants apart; no
 * store work for a write that moves no unique value or for a type that
 * declares none; nothing written by a refusal; and the rebuild, which claims what older records hold,
 * reports values held twice and drops stale claims.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tap.h"
#include "tmp_store.h"
#include "base/config.h"
#include "base/error.h"
#include "scim/schema.h"
#include "scim/schema-ext.h"
#include "scim/unique.h"
#include "store/store.h"

#define URN	"urn:example:scim:uniq:2.0:User"
#define LURN	"urn:example:scim:uniq:2.0:user"	/* as keys have it */
#define T1	"t1"

static const char definition[] =
    "{\"id\": \"" URN "\", \"resourceType\": \"User\", \"attributes\": ["
    "{\"name\": \"badge\", \"type\": \"string\", \"uniqueness\": \"server\"},"
    "{\"name\": \"code\", \"type\": \"string\", \"caseExact\": true,"
    " \"uniqueness\": \"global\"},"
    "{\"name\": \"num\", \"type\": \"integer\", \"uniqueness\": \"server\"},"
    "{\"name\": \"aliases\", \"type\": \"string\", \"multiValued\": true,"
    " \"uniqueness\": \"server\"},"
    "{\"name\": \"cards\", \"type\": \"complex\", \"multiValued\": true,"
    " \"subAttributes\": [{\"name\": \"serial\", \"type\": \"string\","
    " \"uniqueness\": \"server\"}, {\"name\": \"label\", \"type\": \"string\"}]},"
    "{\"name\": \"note\", \"type\": \"string\"}]}";

static struct store	*st;

/* A write: put res as id (NULL: delete id), claims first, as crud.c. */
struct wr {
	const char	*tenant;
	const char	*id;
	const cJSON	*res;
	bool		 claims;	/* false: as a build without them */
};

static enum scim_err
wr_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct wr		*w = arg;
	struct store_keys	 k = { w->id, w->id, NULL }, ok = k;
	cJSON			*old = NULL;
	enum scim_err		 rc;

	rc = store_get(t, STORE_USER, w->tenant, w->id, &old, err);
	if (rc == SCIM_E_NOT_FOUND)
		rc = SCIM_OK;
	if (rc == SCIM_OK && w->claims)
		rc = unique_update(t, &rt_user, w->tenant, w->id, old, w->res,
		    err);
	if (rc == SCIM_OK && w->res != NULL)
		rc = store_put(t, STORE_USER, w->tenant, &k, w->res,
		    old != NULL ? &ok : NULL, err);
	else if (rc == SCIM_OK)
		rc = store_del(t, STORE_USER, w->tenant, &k, err);
	cJSON_Delete(old);
	return rc;
}

/*
 * Write user id with extension object ext (JSON text; NULL: delete the
 * user) in tenant; the error's detail into detail when not NULL.
 */
static enum scim_err
write_user(const char *tenant, const char *id, const char *ext, bool claims,
    char *detail)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct wr		 w = { tenant, id, NULL, claims };
	cJSON			*res = NULL;
	char			 text[4096];
	enum scim_err		 rc;

	if (ext != NULL) {
		snprintf(text, sizeof(text), "{\"id\": \"%s\", \"userName\": "
		    "\"%s\", \"" URN "\": %s}", id, id, ext);
		if ((res = cJSON_Parse(text)) == NULL) {
			printf("# bad test JSON %s\n", text);
			return SCIM_E_INTERNAL;
		}
	}
	w.res = res;
	rc = store_run(st, wr_fn, &w, &err);
	if (detail != NULL)
		snprintf(detail, 512, "%s", rc == SCIM_OK ? "" : err.detail);
	cJSON_Delete(res);
	return rc;
}

#define put_user(id, ext)	write_user(T1, (id), (ext), true, NULL)

/* Read the holder of a claim (key after "User "), "" when none. */
struct claim_rd {
	const char	*tenant;
	const char	*key;
	char		 holder[STORE_ID_MAX + 1];
};

static enum scim_err
claim_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct claim_rd	*c = arg;
	cJSON		*o = NULL;
	const cJSON	*id;
	enum scim_err	 rc;

	c->holder[0] = '\0';
	rc = store_kv_get(t, c->tenant, UNIQUE_SPACE, c->key, &o, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	id = cJSON_GetObjectItem(o, "id");
	if (cJSON_IsString(id))
		snprintf(c->holder, sizeof(c->holder), "%s", id->valuestring);
	cJSON_Delete(o);
	return rc;
}

static const char *
holder_in(const char *tenant, const char *key)
{
	static struct claim_rd	 c;
	struct scim_error	 err;

	c.tenant = tenant;
	c.key = key;
	if (store_read(st, claim_fn, &c, &err) != SCIM_OK)
		return "(error)";
	return c.holder;
}

#define holder(key)	holder_in(T1, (key))

static enum scim_err
claim_put_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	const char	**kv = arg;
	cJSON		*o = cJSON_CreateObject();
	enum scim_err	 rc;

	cJSON_AddStringToObject(o, "id", kv[1]);
	rc = store_kv_put(t, T1, UNIQUE_SPACE, kv[0], o, err);
	cJSON_Delete(o);
	return rc;
}

/* Plant a claim of key for id, as a crash or another build might. */
static void
plant_claim(const char *key, const char *id)
{
	struct scim_error	 err;
	const char		*kv[2] = { key, id };

	if (store_run(st, claim_put_fn, kv, &err) != SCIM_OK)
		printf("# plant %s: %s\n", key, err.detail);
}

static void
test_refusals(void)
{
	static const struct {
		const char	*attr;
		const char	*want;	/* NULL: accepted */
	} rows[] = {
		{ "{\"name\": \"b\", \"type\": \"boolean\", \"uniqueness\": "
		    "\"server\"}", "boolean cannot be unique" },
		{ "{\"name\": \"c\", \"type\": \"complex\", \"uniqueness\": "
		    "\"global\", \"subAttributes\": [{\"name\": \"s\", "
		    "\"type\": \"string\"}]}", "complex attribute cannot" },
		{ "{\"name\": \"b\", \"type\": \"boolean\"}", NULL },
		{ "{\"name\": \"c\", \"type\": \"complex\", \"subAttributes\": "
		    "[{\"name\": \"s\", \"type\": \"string\", \"uniqueness\": "
		    "\"server\"}]}", NULL },
		{ "{\"name\": \"d\", \"type\": \"dateTime\", \"uniqueness\": "
		    "\"server\"}", NULL },
		{ "{\"name\": \"r\", \"type\": \"reference\", \"uniqueness\": "
		    "\"server\", \"multiValued\": true}", NULL },
	};
	struct schema_ext_set	*set;
	struct scim_error	 err;
	char			 text[1024];
	enum scim_err		 rc;
	size_t			 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), "{\"id\": \"urn:x:y\", "
		    "\"resourceType\": \"User\", \"attributes\": [%s]}",
		    rows[i].attr);
		err.detail[0] = '\0';
		rc = schema_ext_parse(text, strlen(text), &set, &err);
		if (rows[i].want == NULL)
			ok(rc == SCIM_OK, "row %zu accepted (%s)", i,
			    err.detail);
		else
			ok(rc == SCIM_E_INVALID_VALUE &&
			    strstr(err.detail, rows[i].want) != NULL,
			    "row %zu refused: %s", i, err.detail);
		schema_ext_free(set);
	}
}

static void
test_writes(void)
{
	char	 detail[512];

	ok(unique_declared(&rt_user), "User declares unique attributes");
	ok(!unique_declared(&rt_group), "Group declares none");

	/* A create claims; a second holder is refused, folded. */
	is_int(put_user("u1", "{\"badge\": \"Alpha\", \"code\": \"X1\", "
	    "\"num\": 7, \"aliases\": [\"a\", \"b\", \"a\"], \"cards\": "
	    "[{\"serial\": \"S1\"}, {\"serial\": \"S2\", \"label\": \"x\"}]}"),
	    SCIM_OK, "u1 created");
	is_str(holder("User " LURN ":badge alpha"), "u1", "badge claimed "
	    "folded");
	is_str(holder("User " LURN ":code X1"), "u1", "caseExact kept");
	is_str(holder("User " LURN ":num 7"), "u1", "integer");
	is_str(holder("User " LURN ":aliases b"), "u1", "each value");
	is_str(holder("User " LURN ":cards.serial s2"), "u1", "sub-attribute");
	is_int(write_user(T1, "u2", "{\"badge\": \" ALPHA \"}", true, detail),
	    SCIM_E_UNIQUENESS, "same badge in another case refused");
	ok(strstr(detail, URN ":badge \"alpha\"") != NULL &&
	    strstr(detail, "another user") != NULL, "detail: %s", detail);
	is_int(put_user("u2", "{\"code\": \"x1\"}"), SCIM_OK,
	    "caseExact: another case is another value");
	is_int(put_user("u3", "{\"code\": \"X1\"}"), SCIM_E_UNIQUENESS,
	    "caseExact: the same value refused");
	is_int(put_user("u3", "{\"num\": 7.0}"), SCIM_E_UNIQUENESS,
	    "7.0 is 7");
	is_int(put_user("u3", "{\"aliases\": [\"c\", \"B\"]}"),
	    SCIM_E_UNIQUENESS, "one value of a list taken");
	is_int(write_user(T1, "u3", "{\"cards\": [{\"serial\": \"s1\"}]}",
	    true, detail), SCIM_E_UNIQUENESS, "a sub-attribute's value taken");
	ok(strstr(detail, URN ":cards.serial") != NULL, "detail: %s", detail);
	is_str(holder("User " LURN ":aliases c"), "", "a refusal writes "
	    "nothing");
	is_int(write_user("t2", "u9", "{\"badge\": \"alpha\"}", true, NULL),
	    SCIM_OK, "another tenant may hold the value");
	is_str(holder_in("t2", "User " LURN ":badge alpha"), "u9",
	    "claimed in its tenant");

	/* An update moves the claims; a delete frees them. */
	is_int(put_user("u1", "{\"badge\": \"Beta\", \"code\": \"X1\", "
	    "\"num\": 8, \"aliases\": [\"b\"]}"), SCIM_OK, "u1 updated");
	is_str(holder("User " LURN ":badge alpha"), "", "old badge freed");
	is_str(holder("User " LURN ":badge beta"), "u1", "new badge claimed");
	is_str(holder("User " LURN ":aliases a"), "", "dropped value freed");
	is_str(holder("User " LURN ":cards.serial s1"), "", "sub freed");
	is_str(holder("User " LURN ":num 8"), "u1", "number moved");
	is_int(put_user("u2", "{\"badge\": \"alpha\", \"code\": \"x1\", "
	    "\"aliases\": [\"a\"], \"cards\": {\"serial\": \"S1\"}}"), SCIM_OK,
	    "freed values taken by u2 (a single complex value too)");
	is_int(put_user("u2", NULL), SCIM_OK, "u2 deleted");
	is_str(holder("User " LURN ":badge alpha"), "", "delete frees");
	is_str(holder("User " LURN ":cards.serial s1"), "", "delete frees "
	    "subs");
	is_int(put_user("u3", "{\"badge\": \"alpha\"}"), SCIM_OK,
	    "and the value is free");

	/* Stale claims never refuse. */
	plant_claim("User " LURN ":badge gamma", "u1");
	plant_claim("User " LURN ":badge delta", "ghost");
	is_int(put_user("u4", "{\"badge\": \"Gamma\"}"), SCIM_OK,
	    "claim of a record without the value taken over");
	is_int(put_user("u5", "{\"badge\": \"delta\"}"), SCIM_OK,
	    "claim of a missing record taken over");
	is_str(holder("User " LURN ":badge gamma"), "u4", "u4 holds it");
	is_str(holder("User " LURN ":badge delta"), "u5", "u5 holds it");
	/* A value that moves away from a claim someone else holds. */
	plant_claim("User " LURN ":badge eta", "u4");
	is_int(put_user("u5", "{\"badge\": \"eta\"}"), SCIM_OK,
	    "u5 takes eta (u4 does not hold it)");
	is_int(put_user("u5", "{\"badge\": \"delta\"}"), SCIM_OK,
	    "u5 back to delta");
	is_str(holder("User " LURN ":badge eta"), "", "eta freed by u5");
}

/*
 * A refusal writes nothing, even when the caller commits after it (the
 * sync goes on in its transaction): badge is free, code is taken.
 */
static enum scim_err
refused_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	cJSON		*res = arg;
	enum scim_err	 rc;

	rc = unique_update(t, &rt_user, T1, "r1", NULL, res, err);
	return rc == SCIM_E_UNIQUENESS ? SCIM_OK : SCIM_E_INTERNAL;
}

static void
test_refusal_writes_nothing(void)
{
	struct scim_error	 err;
	cJSON			*res = cJSON_Parse("{\"" URN "\": {\"badge\": "
				    "\"free-one\", \"code\": \"X1\"}}");

	is_int(store_run(st, refused_fn, res, &err), SCIM_OK,
	    "refused, and the transaction committed");
	is_str(holder("User " LURN ":badge free-one"), "", "no claim written "
	    "for the attribute checked before the refusal");
	cJSON_Delete(res);
}

/* Store work of one unique_update(), in gets + puts + dels. */
struct upd {
	const cJSON	*old, *res;
	const struct resource_type *rt;
};

static enum scim_err
upd_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct upd	*u = arg;

	return unique_update(t, u->rt, T1, "u1", u->old, u->res, err);
}

static long long
work_of(const struct resource_type *rt, const char *old, const char *res)
{
	struct store_stats	 a, b;
	struct scim_error	 err;
	cJSON			*o = cJSON_Parse(old), *r = cJSON_Parse(res);
	struct upd		 u = { o, r, rt };
	enum scim_err		 rc;

	store_stats(st, &a);
	rc = store_run(st, upd_fn, &u, &err);
	store_stats(st, &b);
	cJSON_Delete(o);
	cJSON_Delete(r);
	if (rc != SCIM_OK)
		return -1;
	return (long long)((b.gets - a.gets) + (b.puts - a.puts) +
	    (b.dels - a.dels));
}

static void
test_no_work(void)
{
	is_int(work_of(&rt_user, "{\"" URN "\": {\"badge\": \"Beta\", "
	    "\"note\": \"a\"}}", "{\"" URN "\": {\"badge\": \"BETA\", "
	    "\"note\": \"b\"}}"), 0, "same unique values: no store work");
	is_int(work_of(&rt_group, "{\"" URN "\": {\"badge\": \"x\"}}",
	    "{\"" URN "\": {\"badge\": \"y\"}}"), 0,
	    "a type without unique attributes: no store work");
	ok(work_of(&rt_user, "{}", "{\"" URN "\": {\"badge\": \"Zeta\"}}") >
	    0, "a new value: store work");
}

/* What the rebuild reported. */
struct dups {
	int	 n;
	char	 last[512];
};

static void
dup_note(void *arg, const char *type, const char *path, const char *value,
    const char *holder, const char *other)
{
	struct dups	*d = arg;

	d->n++;
	snprintf(d->last, sizeof(d->last), "%s %s %s %s %s", type, path,
	    value, holder, other);
}

static void
test_rebuild(void)
{
	struct unique_report	 r;
	struct scim_error	 err;
	struct dups		 d = { 0, "" };
	char			 longv[400], key[600];

	/* Records from before the declaration: no claims. */
	is_int(write_user(T1, "v1", "{\"badge\": \"eps\", \"code\": \"Z\"}",
	    false, NULL), SCIM_OK, "v1 without claims");
	is_int(write_user(T1, "v2", "{\"badge\": \"EPS\"}", false, NULL),
	    SCIM_OK, "v2 without claims, the same badge");
	plant_claim("User " LURN ":badge omega", "u1");
	plant_claim("User urn:gone:x v", "u1");
	plant_claim("Device " LURN ":badge x", "u1");
	is_int(unique_rebuild(st, T1, dup_note, &d, &r, &err), SCIM_OK,
	    "rebuild");
	is_int(d.n, 1, "one value held twice");
	is_str(d.last, "User " LURN ":badge eps v1 v2", "named");
	is_int((long long)r.dups, 1, "counted");
	is_int((long long)r.claimed, 2, "eps and Z claimed");
	is_int((long long)r.dropped, 4, "zeta, omega, unknown path and type "
	    "dropped");
	is_str(holder("User " LURN ":badge eps"), "v1", "first holder kept");
	is_str(holder("User " LURN ":code Z"), "v1", "Z claimed");
	is_str(holder("User " LURN ":badge beta"), "u1", "live claim kept");
	is_str(holder("User " LURN ":badge omega"), "", "stale claim dropped");
	d.n = 0;
	is_int(unique_rebuild(st, T1, dup_note, &d, &r, &err), SCIM_OK,
	    "rebuild again");
	ok(r.claimed == 0 && r.dropped == 0 && d.n == 1,
	    "nothing more to do, the duplicate stays (%zu %zu %d)", r.claimed,
	    r.dropped, d.n);
	is_int(put_user("v2", NULL), SCIM_OK, "v2 deleted");

	/* Long values are keyed by a digest, and survive a rebuild. */
	memset(longv, 'x', 300);
	longv[300] = '\0';
	snprintf(key, sizeof(key), "{\"badge\": \"%s\"}", longv);
	is_int(put_user("w1", key), SCIM_OK, "a 300-byte badge");
	memset(longv, 'X', 300);
	snprintf(key, sizeof(key), "{\"badge\": \"%s\"}", longv);
	is_int(put_user("w2", key), SCIM_E_UNIQUENESS, "refused folded");
	longv[299] = 'Y';
	snprintf(key, sizeof(key), "{\"badge\": \"%s\"}", longv);
	is_int(put_user("w2", key), SCIM_OK, "a different long value");
	d.n = 0;
	is_int(unique_rebuild(st, T1, dup_note, &d, &r, &err), SCIM_OK,
	    "rebuild with long values");
	ok(r.claimed == 0 && r.dropped == 0, "their claims are good (%zu %zu)",
	    r.claimed, r.dropped);
}

int
main(void)
{
	struct schema_ext_set	*set = NULL;
	struct scim_config	 cfg;
	struct scim_error	 err;
	struct tmp_store	 ts;

	test_refusals();
	if (!ok(schema_ext_parse(definition, strlen(definition), &set,
	    &err) == SCIM_OK && schema_ext_install(set, &err) == SCIM_OK,
	    "extension declared")) {
		printf("# %s\n", err.detail);
		return tap_done();
	}
	if (tmp_store_init(&ts, "unique", &cfg)) {
		cfg.sync = STORE_SYNC_NONE;
		if (tmp_store_open(&ts, &cfg)) {
			st = ts.s;
			test_writes();
			test_refusal_writes_nothing();
			test_no_work();
			test_rebuild();
		}
	}
	tmp_store_done(&ts);
	schema_ext_unregister();
	schema_ext_free(set);
	return tap_done();
}
