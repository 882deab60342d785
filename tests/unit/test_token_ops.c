/*
 * The one token-operation layer (auth/token-ops.h) and the audit log's
 * query combinations (audit/audit-query.c), which the admin page and the
 * scim-tokens command line share.  Pure functions are table-driven
 * (audit_id_valid, audit_merge_events, token_ops_label_check,
 * token_ops_lifetime_days); the rest runs against a real
 * Berkeley DB environment in a temporary directory: every operation's
 * code, the token it returns, the event it leaves, and a tenant's log
 * with the tenant-less refusals that name its tokens.
 *
 * The configuration and the store are token_fixture.h's, as in the
 * other token tests (scrypt with N=1024).
 */
#include "auth/token-ops.h"
#include "token_fixture.h"

/* --- pure functions --- */

static void
test_id_valid(void)
{
	static const struct {
		int		 line;
		const char	*id;
		int		 ok;
	} t[] = {
		{ __LINE__, "0123456789abcdef01234567", 1 },
		{ __LINE__, "0123456789abcdef0123456", 0 },
		{ __LINE__, "0123456789abcdef012345678", 0 },
		{ __LINE__, "0123456789ABCDEF01234567", 0 },
		{ __LINE__, "0123456789abcdef0123456g", 0 },
		{ __LINE__, "", 0 },
	};
	char	 name[64];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(name, sizeof(name), "audit_id_valid row at line %d",
		    t[i].line);
		is_int(audit_id_valid(t[i].id), t[i].ok, name);
	}
}

/* An array of events {"id": ...} from a space-separated list of ids. */
static cJSON *
events(const char *ids)
{
	cJSON	*a = cJSON_CreateArray(), *e;
	char	 buf[256], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", ids);
	for (p = strtok_r(buf, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save)) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", p);
		cJSON_AddItemToArray(a, e);
	}
	return a;
}

/* The ids of an array of events, space-separated, into buf. */
static const char *
ids_of(const cJSON *a, char *buf, size_t sz)
{
	const cJSON	*e;
	size_t		 n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(e, a)
		n += (size_t)snprintf(buf + n, sz - n, "%s%s", n ? " " : "",
		    json_str(e, "id"));
	return buf;
}

static void
test_merge(void)
{
	static const struct {
		int		 line;
		const char	*a, *b;
		unsigned	 max;
		const char	*want;
	} t[] = {
		{ __LINE__, "9 7 5", "8 6", 10, "9 8 7 6 5" },
		{ __LINE__, "9 7 5", "8 6", 3, "9 8 7" },
		{ __LINE__, "", "8 6", 10, "8 6" },
		{ __LINE__, "9", "", 10, "9" },
		{ __LINE__, "", "", 10, "" },
		{ __LINE__, "5", "5", 10, "5 5" },
		{ __LINE__, "9 8", "7", 0, "" },
	};
	char	 name[64], got[256];
	cJSON	*a, *b, *m;
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		a = events(t[i].a);
		b = events(t[i].b);
		m = audit_merge_events(a, b, t[i].max);
		snprintf(name, sizeof(name), "audit_merge_events row at line "
		    "%d", t[i].line);
		is_str(ids_of(m, got, sizeof(got)), t[i].want, name);
		cJSON_Delete(a);
		cJSON_Delete(b);
		cJSON_Delete(m);
	}
}

/* token_ops_label_check(): the one label rule of the page and the CLI. */
static void
test_label_check(void)
{
	static const struct {
		int		 line;
		const char	*label;
		int		 ok;
	} t[] = {
		{ __LINE__, "Entra ID production", 1 },
		{ __LINE__, " x ", 1 },
		{ __LINE__, "caf\xc3\xa9", 1 },
		{ __LINE__, "", 0 },
		{ __LINE__, NULL, 0 },
		{ __LINE__, "   ", 0 },
		{ __LINE__, " \xc2\xa0\xe3\x80\x80 ", 0 },	/* NBSP, ideographic */
		{ __LINE__, "a\tb", 0 },			/* a control */
		{ __LINE__, "\xff", 0 },
	};
	struct scim_error	 err;
	char			 name[64];
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(name, sizeof(name), "token_ops_label_check row at "
		    "line %d", t[i].line);
		is_int(token_ops_label_check(t[i].label, &err),
		    t[i].ok ? SCIM_OK : SCIM_E_INVALID_VALUE, name);
	}
	token_ops_label_check("  ", &err);
	ok(strstr(err.detail, "needs a label") != NULL,
	    "a blank label: the detail says a label is needed");
}

/* token_ops_lifetime_days(): the offered lifetime nearest a token's own. */
static void
test_lifetime_days(void)
{
	static const struct {
		int		 line;
		int64_t		 created, renewed, expires;	/* days */
		unsigned	 want;
	} t[] = {
		{ __LINE__, 0, 0, 365, 365 },
		{ __LINE__, 0, 0, 90, 90 },
		{ __LINE__, 0, 0, 3, 30 },
		{ __LINE__, 0, 0, 272, 180 },	/* nearer 180 than 365 */
		{ __LINE__, 0, 0, 273, 365 },
		{ __LINE__, 0, 0, 45, 30 },	/* a tie: the shorter */
		{ __LINE__, 0, 300, 330, 30 },	/* from the last renewal */
		{ __LINE__, 0, 10, 375, 365 },
	};
	char	 name[64];
	cJSON	*rec;
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rec = cJSON_CreateObject();
		cJSON_AddNumberToObject(rec, "created",
		    (double)(t[i].created * TOKEN_DAY_USEC));
		cJSON_AddNumberToObject(rec, "renewed",
		    (double)(t[i].renewed * TOKEN_DAY_USEC));
		cJSON_AddNumberToObject(rec, "expires",
		    (double)(t[i].expires * TOKEN_DAY_USEC));
		snprintf(name, sizeof(name), "token_ops_lifetime_days row at "
		    "line %d", t[i].line);
		is_int(token_ops_lifetime_days(rec), t[i].want, name);
		cJSON_Delete(rec);
	}
}

/* --- against a store --- */

/* Events of type in tenant's log naming target id. */
static int
count_events(struct store *s, const char *tenant, const char *type,
    const char *id)
{
	struct scim_error	 err;
	struct audit_query	 q;
	cJSON			*a = NULL;
	const cJSON		*e;
	int			 n = 0;

	memset(&q, 0, sizeof(q));
	q.tenant = tenant;
	q.type_prefix = type;
	q.target = id;
	if (audit_query(s, &q, &a, &err) != SCIM_OK)
		return -1;
	cJSON_ArrayForEach(e, a)
		n++;
	cJSON_Delete(a);
	return n;
}

/* token_ops_change(): the token before and after, in one transaction. */
static void
test_change(struct store *s)
{
	struct scim_error	 err;
	struct token_op		 op;
	char			 tok[TOKEN_LEN + 1], id[TOKEN_ID_HEX + 1];
	cJSON			*rec = NULL, *before = NULL, *after = NULL;
	int64_t			 now = util_now_usec();

	is_int(token_ops_create(s, &cfg, "chg", "Entra prod", 365 * 86400,
	    "t:me", tok, &rec, &err), SCIM_OK, "change: a token to change");
	snprintf(id, sizeof(id), "%s", json_str(rec, "id"));
	cJSON_Delete(rec);
	memset(&op, 0, sizeof(op));
	op.tenant = "chg";
	op.id = id;
	op.act = TOKEN_RENEW;
	op.ttl_sec = 90 * 86400;
	op.max_live = cfg.max_live_tokens;
	op.actor = "t:me";
	is_int(token_ops_change(s, &op, now, &before, &after, &err), SCIM_OK,
	    "change: renew OK");
	is_str(json_str(before, "label"), "Entra prod", "change: before");
	ok(json_int(before, "expires") > json_int(after, "expires") &&
	    json_int(after, "expires") >= now + 90 * TOKEN_DAY_USEC,
	    "change: after has the new, earlier expiry");
	is_str(json_str(after, "hash"), "", "change: public copies only");
	cJSON_Delete(before);
	cJSON_Delete(after);
	op.act = TOKEN_DELETE;
	is_int(token_ops_change(s, &op, now, &before, &after, &err), SCIM_OK,
	    "change: delete OK");
	ok(before != NULL && after == NULL, "change: nothing after a delete");
	cJSON_Delete(before);
	is_int(token_ops_change(s, &op, now, &before, &after, &err),
	    SCIM_E_NOT_FOUND, "change: a missing token is not found");
	ok(before == NULL && after == NULL, "change: nothing on failure");
}

static void
test_ops(struct store *s)
{
	struct scim_error	 err;
	struct token_op		 op;
	char			 tok[TOKEN_LEN + 1], old[TOKEN_ID_HEX + 1];
	char			 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];
	cJSON			*rec = NULL, *out = NULL;
	unsigned		 live = 99;

	is_int(token_ops_create(s, &cfg, "ops", "first", 30 * 86400, "t:me",
	    tok, &rec, &err), SCIM_OK, "create: OK");
	ok(token_parse(tok, id, sec), "create: the token is returned");
	is_str(json_str(rec, "id"), id, "create: and its record");
	is_str(json_str(rec, "label"), "first", "create: with its label");
	snprintf(old, sizeof(old), "%s", id);
	cJSON_Delete(rec);
	is_int(count_events(s, "ops", "token.created", old), 1,
	    "create: one token.created event");

	is_int(token_ops_create(s, &cfg, "bad tenant!", "", 86400, "t:me",
	    tok, &rec, &err), SCIM_E_INVALID_VALUE, "create: bad tenant");
	ok(rec == NULL && tok[0] == '\0', "create: no record, no token");

	is_int(token_ops_list(s, "ops", util_now_usec(), &out, &live, &err),
	    SCIM_OK, "list: OK");
	is_int(cJSON_GetArraySize(out), 1, "list: one token");
	is_int(live, 1, "list: one live token");
	cJSON_Delete(out);

	is_int(token_ops_get(s, "ops", old, false, 0, &out, &err), SCIM_OK,
	    "get: OK");
	ok(*json_str(out, "hash") != '\0', "get: the stored record");
	cJSON_Delete(out);
	is_int(token_ops_get(s, NULL, old, true, util_now_usec(), &out,
	    &err), SCIM_OK, "get public, any tenant: OK");
	is_str(json_str(out, "status"), "Active", "get public: a status");
	is_str(json_str(out, "hash"), "", "get public: no hash");
	cJSON_Delete(out);
	is_int(token_ops_get(s, "other", old, false, 0, &out, &err),
	    SCIM_E_NOT_FOUND, "get: another tenant's token is not found");
	ok(out == NULL, "get: nothing returned");

	memset(&op, 0, sizeof(op));
	op.tenant = "ops";
	op.id = old;
	op.act = TOKEN_DISABLE;
	op.max_live = cfg.max_live_tokens;
	op.actor = "t:me";
	is_int(token_ops_apply(s, &op, &err), SCIM_OK, "disable: OK");
	is_int(token_ops_apply(s, &op, &err), SCIM_E_CONFLICT,
	    "disable twice: conflict");
	is_int(count_events(s, "ops", "token.disabled", old), 1,
	    "disable: one token.disabled event");

	is_int(token_ops_regenerate(s, &cfg, NULL, old, 60 * 86400, "t:me",
	    tok, &rec, &err), SCIM_OK, "regenerate, any tenant: OK");
	ok(token_parse(tok, id, sec) && strcmp(id, old) != 0,
	    "regenerate: a new token");
	is_str(json_str(rec, "tenant"), "ops", "regenerate: old tenant");
	is_str(json_str(rec, "label"), "first", "regenerate: old label");
	is_str(json_str(rec, "replaces"), old, "regenerate: replaces old");
	cJSON_Delete(rec);
	is_int(token_ops_regenerate(s, &cfg, "ops", old, 86400, "t:me", tok,
	    &rec, &err), SCIM_E_CONFLICT, "regenerate a revoked token");
	ok(rec == NULL && tok[0] == '\0', "regenerate: no record, no token");

	test_change(s);
	op.act = TOKEN_DELETE;
	is_int(token_ops_apply(s, &op, &err), SCIM_OK, "delete: OK");
	op.id = "0000000000000000";
	is_int(token_ops_apply(s, &op, &err), SCIM_E_NOT_FOUND,
	    "delete a missing token: not found");
}

/* Record a tenant-less auth.failed event naming token id. */
static enum scim_err
refusal_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct audit_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = "auth.failed";
	ev.tenant = "";
	ev.actor = "-";
	ev.target_id = arg;
	ev.failure = true;
	return audit_record(t, NULL, &ev, err);
}

static void
test_tenant_log(struct store *s)
{
	struct scim_error	 err;
	struct audit_query	 q;
	char			 tok[TOKEN_LEN + 1], mine[TOKEN_ID_HEX + 1];
	cJSON			*rec = NULL, *tokens = NULL, *out = NULL;

	if (!ok(token_ops_create(s, &cfg, "log", "", 86400, "t:me", tok,
	    &rec, &err) == SCIM_OK, "log: a token"))
		return;
	snprintf(mine, sizeof(mine), "%s", json_str(rec, "id"));
	cJSON_Delete(rec);
	/* No refusal yet: the walk for them ends on an empty batch (freed). */
	token_ops_list(s, "log", util_now_usec(), &tokens, NULL, &err);
	memset(&q, 0, sizeof(q));
	q.tenant = "log";
	q.limit = 10;
	is_int(audit_query_tenant(s, &q, tokens, &out, &err), SCIM_OK,
	    "tenant log with tokens, no refusal yet: OK");
	is_int(cJSON_GetArraySize(out), 1, "no refusal yet: its own event");
	cJSON_Delete(out);
	cJSON_Delete(tokens);
	tokens = NULL;
	store_run(s, refusal_fn, mine, &err);
	store_run(s, refusal_fn, "ffffffffffffffff", &err);
	token_ops_list(s, "log", util_now_usec(), &tokens, NULL, &err);
	is_int(audit_query_tenant(s, &q, NULL, &out, &err), SCIM_OK,
	    "tenant log without tokens: OK");
	is_int(cJSON_GetArraySize(out), 1, "only the tenant's own event");
	cJSON_Delete(out);
	is_int(audit_query_tenant(s, &q, tokens, &out, &err), SCIM_OK,
	    "tenant log with tokens: OK");
	is_int(cJSON_GetArraySize(out), 2, "and the refusal naming its token");
	is_str(json_str(cJSON_GetArrayItem(out, 0), "type"), "auth.failed",
	    "newest first");
	cJSON_Delete(out);
	q.category = "tokens";
	is_int(audit_query_tenant(s, &q, tokens, &out, &err), SCIM_OK,
	    "category tokens: OK");
	is_int(cJSON_GetArraySize(out), 1, "category tokens: no refusals");
	cJSON_Delete(out);
	q.category = NULL;
	q.limit = 1;
	is_int(audit_query_tenant(s, &q, tokens, &out, &err), SCIM_OK,
	    "limit 1: OK");
	is_int(cJSON_GetArraySize(out), 1, "limit 1: one event in all");
	cJSON_Delete(out);
	cJSON_Delete(tokens);
}

int
main(void)
{
	struct tmp_store	 ts;

	test_id_valid();
	test_merge();
	test_label_check();
	test_lifetime_days();
	if (token_fixture_open(&ts, "token-ops")) {
		test_ops(ts.s);
		test_tenant_log(ts.s);
	}
	tmp_store_done(&ts);
	return tap_done();
}
