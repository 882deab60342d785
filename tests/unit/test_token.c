/*
 * Secret Token, admin account and page-helper tests.  Pure functions are
 * table-driven (token parsing, expiry arithmetic, state transitions,
 * reminder thresholds, escaping, cookies, the REMOTE_USER map); the rest
 * runs against a real Berkeley DB environment in a temporary directory:
 * hashing and verifying, the live-token limit, the lifecycle with its
 * events and tenant scoping, the cached bearer check (revocation,
 * disabling and expiry seen at once despite the cache), sign-in with
 * throttling, sessions with idle expiry, CSRF and the one-time slot.
 *
 * scrypt runs with N=1024 here (the parameters are the configuration's;
 * the cost at the default N=16384 is measured by the benchmark).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <libscrypt.h>

#include "auth/admin.h"
#include "audit/audit.h"
#include "page/page.h"
#include "store/store.h"
#include "auth/token.h"
#include "base/json.h"
#include "base/util.h"
#include "tap.h"

#define DAY	TOKEN_DAY_USEC
#define HOUR	(3600LL * 1000000)

static struct scim_config	 cfg;

/* --- pure functions --- */

static void
test_parse(void)
{
	static const struct {
		int		 line;
		const char	*tok;
		int		 ok;
		const char	*id;
	} t[] = {
		{ __LINE__, "scim_0123456789abcdef_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef", 1, "0123456789abcdef" },
		{ __LINE__, "scim_0123456789ABCDEF_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef", 0, NULL },
		{ __LINE__, "scim_0123456789abcdef_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcde", 0, NULL },
		{ __LINE__, "scim_0123456789abcdef_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdefa", 0, NULL },
		{ __LINE__, "SCIM_0123456789abcdef_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef", 0, NULL },
		{ __LINE__, "scim_0123456789abcdef-"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef", 0, NULL },
		{ __LINE__, "scim_0123456789abcdeg_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef", 0, NULL },
		{ __LINE__, "scim_0123456789abcdef_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcde ", 0, NULL },
		/* Lower-case hex only: the digits' neighbours refused. */
		{ __LINE__, "scim_0123456789ABCDEF_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef", 0, NULL },
		{ __LINE__, "scim_0123456789abcdef_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdeF", 0, NULL },
		{ __LINE__, "scim_0123456789abcde/_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef", 0, NULL },
		{ __LINE__, "scim_0123456789abcdef_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcde:", 0, NULL },
		{ __LINE__, "scim_0123456789abcdef_"
		  "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcde`", 0, NULL },
		{ __LINE__, "", 0, NULL },
		{ __LINE__, NULL, 0, NULL },
	};
	char	 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1], name[64];
	size_t	 i;
	int	 got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		id[0] = '\0';
		got = token_parse(t[i].tok, id, sec);
		snprintf(name, sizeof(name), "token_parse row at line %d",
		    t[i].line);
		is_int(got, t[i].ok, name);
		if (t[i].ok)
			is_str(id, t[i].id, name);
	}
}

static void
test_expiry(void)
{
	static const struct {
		int		 line;
		unsigned	 days;
		int		 valid;
	} d[] = {
		{ __LINE__, 30, 1 }, { __LINE__, 60, 1 }, { __LINE__, 90, 1 },
		{ __LINE__, 180, 1 }, { __LINE__, 365, 1 }, { __LINE__, 0, 0 },
		{ __LINE__, 1, 0 }, { __LINE__, 31, 0 }, { __LINE__, 366, 0 },
		{ __LINE__, 730, 0 },
	};
	char	 name[64];
	size_t	 i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		snprintf(name, sizeof(name), "token_days_valid(%u) (line %d)",
		    d[i].days, d[i].line);
		is_int(token_days_valid(d[i].days), d[i].valid, name);
	}
	is_int(token_expiry(0, 90 * 86400), 90 * DAY, "90 days in usec");
	is_int(token_expiry(1700000000000000LL, 365 * 86400),
	    1700000000000000LL + 365 * DAY, "365 days from a date");
	is_int(token_expiry(5, 1), 1000005, "one second");
}

/* A record in a given state, expiring at expires (usec). */
static cJSON *
mkrec(const char *id, const char *tenant, const char *state,
    int64_t created, int64_t expires)
{
	cJSON	*r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "id", id);
	cJSON_AddStringToObject(r, "tenant", tenant);
	cJSON_AddStringToObject(r, "hash", "");
	cJSON_AddStringToObject(r, "label", "t");
	cJSON_AddNumberToObject(r, "created", (double)created);
	cJSON_AddNumberToObject(r, "expires", (double)expires);
	cJSON_AddNumberToObject(r, "last_used", 0);
	cJSON_AddStringToObject(r, "state", state);
	cJSON_AddArrayToObject(r, "reminded");
	cJSON_AddNumberToObject(r, "renewed", 0);
	return r;
}

static void
test_state(void)
{
	static const struct {
		int		 line;
		const char	*state;
		int64_t		 left;		/* expires - now */
		const char	*want;
	} t[] = {
		{ __LINE__, "active", DAY, "Active" },
		{ __LINE__, "active", 1, "Active" },
		{ __LINE__, "active", 0, "Expired" },
		{ __LINE__, "active", -1, "Expired" },
		{ __LINE__, "inactive", DAY, "Inactive" },
		{ __LINE__, "inactive", -DAY, "Expired" },
		{ __LINE__, "revoked", DAY, "Revoked" },
		{ __LINE__, "revoked", -DAY, "Revoked" },
		{ __LINE__, "bogus", DAY, "Revoked" },
	};
	int64_t	 now = 1800000000000000LL;
	char	 name[80];
	size_t	 i;
	cJSON	*r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = mkrec("0000000000000001", "a", t[i].state, now - DAY,
		    now + t[i].left);
		snprintf(name, sizeof(name), "state %s, %lld usec left (line %d)",
		    t[i].state, (long long)t[i].left, t[i].line);
		is_str(token_state_name(token_state(r, now)), t[i].want, name);
		cJSON_Delete(r);
	}
}

static void
test_transitions(void)
{
	static const struct {
		int			 line;
		const char		*state;
		int64_t			 left;
		enum token_action	 act;
		enum scim_err		 rc;
		const char		*after;
	} t[] = {
		{ __LINE__, "active", DAY, TOKEN_DISABLE, SCIM_OK, "Inactive" },
		{ __LINE__, "inactive", DAY, TOKEN_DISABLE, SCIM_E_CONFLICT,
		  "Inactive" },
		{ __LINE__, "active", -DAY, TOKEN_DISABLE, SCIM_E_CONFLICT,
		  "Expired" },
		{ __LINE__, "revoked", DAY, TOKEN_DISABLE, SCIM_E_CONFLICT,
		  "Revoked" },
		{ __LINE__, "inactive", DAY, TOKEN_ENABLE, SCIM_OK, "Active" },
		{ __LINE__, "active", DAY, TOKEN_ENABLE, SCIM_E_CONFLICT,
		  "Active" },
		{ __LINE__, "inactive", -DAY, TOKEN_ENABLE, SCIM_E_CONFLICT,
		  "Expired" },
		{ __LINE__, "revoked", DAY, TOKEN_ENABLE, SCIM_E_CONFLICT,
		  "Revoked" },
		{ __LINE__, "active", DAY, TOKEN_RENEW, SCIM_OK, "Active" },
		{ __LINE__, "inactive", DAY, TOKEN_RENEW, SCIM_OK, "Inactive" },
		{ __LINE__, "active", -DAY, TOKEN_RENEW, SCIM_OK, "Active" },
		{ __LINE__, "revoked", DAY, TOKEN_RENEW, SCIM_E_CONFLICT,
		  "Revoked" },
		{ __LINE__, "active", DAY, TOKEN_REVOKE, SCIM_OK, "Revoked" },
		{ __LINE__, "inactive", DAY, TOKEN_REVOKE, SCIM_OK, "Revoked" },
		{ __LINE__, "active", -DAY, TOKEN_REVOKE, SCIM_OK, "Revoked" },
		{ __LINE__, "revoked", DAY, TOKEN_REVOKE, SCIM_E_CONFLICT,
		  "Revoked" },
		{ __LINE__, "revoked", DAY, TOKEN_DELETE, SCIM_OK, "Revoked" },
		{ __LINE__, "active", DAY, TOKEN_DELETE, SCIM_OK, "Active" },
	};
	struct scim_error	 err;
	int64_t			 now = 1800000000000000LL;
	char			 name[96];
	size_t			 i;
	cJSON			*r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = mkrec("0000000000000001", "a", t[i].state, now - 10 * DAY,
		    now + t[i].left);
		snprintf(name, sizeof(name), "%s a %s token (line %d)",
		    token_action_name(t[i].act), t[i].state, t[i].line);
		is_int(token_transition(r, t[i].act, now, 30 * 86400, &err),
		    t[i].rc, name);
		is_str(token_state_name(token_state(r, now)), t[i].after, name);
		if (t[i].act == TOKEN_RENEW && t[i].rc == SCIM_OK) {
			is_int((int64_t)cJSON_GetObjectItem(r,
			    "expires")->valuedouble, now + 30 * DAY,
			    "renew sets expires to now + the lifetime");
			is_int((int64_t)cJSON_GetObjectItem(r,
			    "renewed")->valuedouble, now, "and renewed");
		}
		cJSON_Delete(r);
	}
	is_int(token_transition(r = mkrec("0000000000000001", "a", "active",
	    now, now + DAY), TOKEN_RENEW, now, 0, &err), SCIM_E_INVALID_VALUE,
	    "renew with no lifetime is refused");
	cJSON_Delete(r);
}

static void
test_reminders(void)
{
	static const struct {
		int		 line;
		int64_t		 life;		/* expires - created */
		int64_t		 left;		/* expires - now */
		const char	*state;
		unsigned	 want;
	} t[] = {
		{ __LINE__, 90 * DAY, 60 * DAY, "active", 0 },
		{ __LINE__, 90 * DAY, 30 * DAY, "active", 30 },
		{ __LINE__, 90 * DAY, 29 * DAY, "active", 30 },
		{ __LINE__, 90 * DAY, 14 * DAY, "active", 14 },
		{ __LINE__, 90 * DAY, 8 * DAY, "active", 14 },
		{ __LINE__, 90 * DAY, 7 * DAY, "active", 7 },
		{ __LINE__, 90 * DAY, HOUR, "active", 7 },
		{ __LINE__, 90 * DAY, 7 * DAY, "inactive", 7 },
		{ __LINE__, 90 * DAY, 7 * DAY, "revoked", 0 },
		{ __LINE__, 90 * DAY, -HOUR, "active", 0 },
		/* A 30-day token is not reminded the day it is made. */
		{ __LINE__, 30 * DAY, 30 * DAY - HOUR, "active", 0 },
		{ __LINE__, 30 * DAY, 20 * DAY, "active", 0 },
		{ __LINE__, 30 * DAY, 14 * DAY, "active", 14 },
		{ __LINE__, 30 * DAY, 7 * DAY, "active", 7 },
		{ __LINE__, 14 * DAY, 14 * DAY - HOUR, "active", 0 },
		/* Under a week is always due, whatever the lifetime. */
		{ __LINE__, HOUR, HOUR / 2, "active", 7 },
	};
	int64_t	 now = 1800000000000000LL;
	char	 name[80];
	size_t	 i;
	cJSON	*r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = mkrec("0000000000000001", "a", t[i].state,
		    now + t[i].left - t[i].life, now + t[i].left);
		snprintf(name, sizeof(name), "reminder level (line %d)",
		    t[i].line);
		is_int(token_reminder_level(r, now), t[i].want, name);
		cJSON_Delete(r);
	}
	/* A renewal starts the lifetime again. */
	r = mkrec("0000000000000001", "a", "active", now - 200 * DAY,
	    now + 20 * DAY);
	cJSON_ReplaceItemInObject(r, "renewed",
	    cJSON_CreateNumber((double)(now - 11 * DAY)));
	is_int(token_reminder_level(r, now), 30, "renewed 11 days ago with 20 "
	    "left: 30-day reminder due");
	cJSON_AddItemToArray(cJSON_GetObjectItem(r, "reminded"),
	    cJSON_CreateNumber(30));
	ok(token_reminded(r, 30) && !token_reminded(r, 14),
	    "token_reminded sees the thresholds sent");
	cJSON_Delete(r);
}

static void
test_validators(void)
{
	char	 longlabel[TOKEN_LABEL_MAX + 2];

	memset(longlabel, 'x', sizeof(longlabel) - 1);
	longlabel[sizeof(longlabel) - 1] = '\0';
	ok(token_label_valid(""), "empty label is fine");
	ok(token_label_valid("<script>alert(1)</script>"),
	    "markup is a valid label (it is escaped on output)");
	ok(token_label_valid("Entra ID – prod"), "UTF-8 label");
	ok(!token_label_valid("a\nb"), "newline in a label refused");
	ok(!token_label_valid("a\x7f"), "DEL in a label refused");
	ok(!token_label_valid("a\xc2\x85b"), "a C1 control (U+0085) refused");
	ok(token_label_valid("caf\xc3\xa9 \xc2\xa0x"),
	    "accented letters and a no-break space are fine");
	ok(!token_label_valid("\xff"), "invalid UTF-8 label refused");
	ok(!token_label_valid(longlabel), "overlong label refused");
	ok(token_tenant_valid("default") && token_tenant_valid("acme.eu-1"),
	    "plain tenants");
	ok(!token_tenant_valid("") && !token_tenant_valid("a b") &&
	    !token_tenant_valid("a/b"), "bad tenants refused");
	ok(admin_name_valid("alice") && admin_name_valid("a.b+c@x.org"),
	    "admin names");
	ok(!admin_name_valid("") && !admin_name_valid("a b") &&
	    !admin_name_valid("<x>"), "bad admin names refused");
	ok(admin_email_valid("alice@example.com"), "an e-mail address");
	ok(!admin_email_valid("alice") && !admin_email_valid("a@b@c") &&
	    !admin_email_valid("a b@c") && !admin_email_valid("a@b\r\nBcc: x"),
	    "bad e-mail addresses refused (no header injection)");
}

static void
test_remote_map(void)
{
	static const struct {
		int		 line;
		const char	*map;
		const char	*user;
		int		 found;
		enum admin_role	 role;
		const char	*tenant;
	} t[] = {
		{ __LINE__, "alice:owner bob:admin", "alice", 1,
		  ADMIN_ROLE_OWNER, "default" },
		{ __LINE__, "alice:owner bob:admin", "bob", 1,
		  ADMIN_ROLE_ADMIN, "default" },
		{ __LINE__, "alice:owner,carol:owner@acme", "carol", 1,
		  ADMIN_ROLE_OWNER, "acme" },
		{ __LINE__, "c@x.org:admin@acme", "c@x.org", 1,
		  ADMIN_ROLE_ADMIN, "acme" },
		{ __LINE__, "alice:owner", "alic", 0, ADMIN_ROLE_NONE, NULL },
		{ __LINE__, "alice:owner", "alice2", 0, ADMIN_ROLE_NONE, NULL },
		{ __LINE__, "alice:root", "alice", 0, ADMIN_ROLE_NONE, NULL },
		{ __LINE__, "", "alice", 0, ADMIN_ROLE_NONE, NULL },
		{ __LINE__, "alice", "alice", 0, ADMIN_ROLE_NONE, NULL },
	};
	enum admin_role	 role;
	char		 tenant[STORE_ID_MAX + 1], name[64];
	size_t		 i;
	int		 found;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		role = ADMIN_ROLE_NONE;
		snprintf(name, sizeof(name), "remote_user_roles row at line %d",
		    t[i].line);
		found = admin_remote_role(t[i].map, t[i].user, &role, tenant);
		is_int(found, t[i].found, name);
		if (found) {
			is_int(role, t[i].role, name);
			is_str(tenant, t[i].tenant, name);
		}
	}
}

static void
test_page_helpers(void)
{
	static const struct {
		int		 line;
		const char	*in;
		const char	*out;
	} esc[] = {
		{ __LINE__, "plain", "plain" },
		{ __LINE__, "<script>alert(1)</script>",
		  "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ __LINE__, "a & b", "a &amp; b" },
		{ __LINE__, "\"x\" 'y'", "&quot;x&quot; &#39;y&#39;" },
		{ __LINE__, "\" onmouseover=\"alert(1)",
		  "&quot; onmouseover=&quot;alert(1)" },
		{ __LINE__, "", "" },
		{ __LINE__, "Entra – é", "Entra – é" },
	};
	static const struct {
		int		 line;
		const char	*header;
		const char	*name;
		const char	*want;
	} ck[] = {
		{ __LINE__, "scim_admin=abc", "scim_admin", "abc" },
		{ __LINE__, "x=1; scim_admin=abc; y=2", "scim_admin", "abc" },
		{ __LINE__, "xscim_admin=abc", "scim_admin", NULL },
		{ __LINE__, "scim_admin_x=1;scim_admin=z ", "scim_admin", "z" },
		{ __LINE__, "a=1", "scim_admin", NULL },
		{ __LINE__, NULL, "scim_admin", NULL },
	};
	struct page_buf	 b;
	char		 name[64], out[16];
	size_t		 i;
	bool		 found;

	for (i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
		memset(&b, 0, sizeof(b));
		page_esc(&b, esc[i].in);
		snprintf(name, sizeof(name), "page_esc row at line %d",
		    esc[i].line);
		is_str(b.s ? b.s : "", esc[i].out, name);
		page_buf_free(&b);
	}
	for (i = 0; i < sizeof(ck) / sizeof(ck[0]); i++) {
		snprintf(name, sizeof(name), "page_cookie row at line %d",
		    ck[i].line);
		found = page_cookie(ck[i].header, ck[i].name, out, sizeof(out));
		is_str(found ? out : NULL, ck[i].want, name);
	}
	ok(strstr(page_csp(), "default-src 'none'") != NULL &&
	    strstr(page_csp(), "script-src 'sha256-") != NULL &&
	    strstr(page_csp(), "frame-ancestors 'none'") != NULL &&
	    strstr(page_csp(), "unsafe") == NULL,
	    "the CSP allows no inline code but by hash");
}

/* --- against a store --- */

struct ins {
	cJSON		*rec;
	const char	*tenant;
	const char	*id;
	struct token_op	 op;
	unsigned	 n;
	cJSON		*out;
};

static enum scim_err
ins_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return token_insert(t, ((struct ins *)arg)->rec, cfg.max_live_tokens,
	    &cfg, err);
}

static enum scim_err
apply_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return token_apply(t, &((struct ins *)arg)->op, err);
}

static enum scim_err
regen_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	return token_regenerate(t, a->tenant, a->id, a->rec,
	    cfg.max_live_tokens, "test", &cfg, err);
}

static enum scim_err
count_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	return token_count_live(t, a->tenant, util_now_usec(), &a->n, err);
}

static enum scim_err
list_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	cJSON_Delete(a->out);
	a->out = NULL;
	return token_list(t, a->tenant, util_now_usec(), &a->out, err);
}

/* Make and store a token; its string into tok; its id returned (static). */
static enum scim_err
make(struct store *s, const char *tenant, int64_t ttl, char *tok,
    struct scim_error *err)
{
	struct ins	 a;
	enum scim_err	 rc;

	memset(&a, 0, sizeof(a));
	rc = token_new_ttl(&cfg, tenant, "lbl", ttl, "test", tok, &a.rec, err);
	if (rc == SCIM_OK)
		rc = store_run(s, ins_fn, &a, err);
	cJSON_Delete(a.rec);
	return rc;
}

static enum scim_err
apply(struct store *s, const char *tenant, const char *tok,
    enum token_action act, struct scim_error *err)
{
	struct ins	 a;
	char		 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];

	memset(&a, 0, sizeof(a));
	if (!token_parse(tok, id, sec))
		return SCIM_E_INTERNAL;
	a.op.tenant = tenant;
	a.op.id = id;
	a.op.act = act;
	a.op.ttl_sec = 90 * 86400;
	a.op.max_live = cfg.max_live_tokens;
	a.op.actor = "test";
	return store_run(s, apply_fn, &a, err);
}

static unsigned
live(struct store *s, const char *tenant)
{
	struct ins		 a;
	struct scim_error	 err;

	memset(&a, 0, sizeof(a));
	a.tenant = tenant;
	if (store_read(s, count_fn, &a, &err) != SCIM_OK)
		return 999;
	return a.n;
}

static void
test_hash(void)
{
	struct scim_error	 err;
	char			 tok[TOKEN_LEN + 1], id[TOKEN_ID_HEX + 1];
	char			 sec[TOKEN_SECRET_HEX + 1];
	cJSON			*rec = NULL;
	const char		*hash;
	char			*txt;

	is_int(token_new(&cfg, "a", "x", 90, "test", tok, &rec, &err), SCIM_OK,
	    "token_new");
	ok(token_parse(tok, id, sec), "the new token parses");
	is_str(cJSON_GetObjectItem(rec, "id")->valuestring, id,
	    "the record is keyed by the token's id");
	hash = cJSON_GetObjectItem(rec, "hash")->valuestring;
	ok(strncmp(hash, "sha256$", 7) == 0,
	    "the new record's hash waits to be sealed with the install's key");
	txt = cJSON_PrintUnformatted(rec);
	ok(txt != NULL && strstr(txt, sec) == NULL,
	    "the record does not hold the secret");
	free(txt);
	ok(token_verify_secret(rec, sec), "the secret verifies");
	ok(token_verify_secret(rec, sec), "and again");
	sec[0] = sec[0] == '0' ? '1' : '0';
	ok(!token_verify_secret(rec, sec), "a wrong secret does not");
	is_int((int64_t)(cJSON_GetObjectItem(rec, "expires")->valuedouble -
	    cJSON_GetObjectItem(rec, "created")->valuedouble), 90 * DAY,
	    "expires = created + 90 days");
	cJSON_Delete(rec);
	rec = NULL;
	is_int(token_new_ttl(&cfg, "a", "x", 0, "test", tok, &rec, &err),
	    SCIM_E_INVALID_VALUE, "a zero lifetime is refused");
	is_int(token_new_ttl(&cfg, "a b", "x", 60, "test", tok, &rec, &err),
	    SCIM_E_INVALID_VALUE, "a bad tenant is refused");
	is_int(token_new_ttl(&cfg, "a", "x\ny", 60, "test", tok, &rec, &err),
	    SCIM_E_INVALID_VALUE, "a bad label is refused");
}

static void
test_limit(struct store *s)
{
	struct scim_error	 err;
	struct ins		 a;
	char			 t1[TOKEN_LEN + 1], t2[TOKEN_LEN + 1];
	char			 t3[TOKEN_LEN + 1], t4[TOKEN_LEN + 1];
	char			 t5[TOKEN_LEN + 1], id[TOKEN_ID_HEX + 1];
	char			 sec[TOKEN_SECRET_HEX + 1], *txt;
	struct audit_query	 q;

	is_int(make(s, "lim", 90 * 86400, t1, &err), SCIM_OK, "first token");
	is_int(make(s, "lim", 90 * 86400, t2, &err), SCIM_OK, "second token");
	is_int(live(s, "lim"), 2, "two live tokens");
	is_int(make(s, "lim", 90 * 86400, t3, &err), SCIM_E_CONFLICT,
	    "the third is refused");
	ok(strstr(err.detail, "the limit is 2") != NULL,
	    "with a message naming the limit");
	printf("# %s\n", err.detail);
	is_int(make(s, "other", 90 * 86400, t3, &err), SCIM_OK,
	    "another tenant has its own limit");
	is_int(apply(s, "lim", t1, TOKEN_DISABLE, &err), SCIM_OK, "disable one");
	is_int(live(s, "lim"), 2, "a disabled token still counts as live");
	is_int(make(s, "lim", 90 * 86400, t3, &err), SCIM_E_CONFLICT,
	    "so the third is still refused");
	/* Regenerate at the limit: the old one is revoked in the same txn. */
	memset(&a, 0, sizeof(a));
	token_parse(t2, id, sec);
	a.tenant = "lim";
	a.id = id;
	is_int(token_new(&cfg, "lim", "", 30, "test", t4, &a.rec, &err),
	    SCIM_OK, "a token for regenerate");
	is_int(store_run(s, regen_fn, &a, &err), SCIM_OK,
	    "regenerate works at the limit");
	is_str(cJSON_GetObjectItem(a.rec, "replaces")->valuestring, id,
	    "the new token names the one it replaces");
	is_str(cJSON_GetObjectItem(a.rec, "label")->valuestring, "lbl",
	    "and takes over its label");
	cJSON_Delete(a.rec);
	is_int(live(s, "lim"), 2, "still two live tokens");
	a.rec = NULL;
	is_int(token_new(&cfg, "lim", "", 30, "test", t5, &a.rec, &err),
	    SCIM_OK, "another token for regenerate");
	is_int(store_run(s, regen_fn, &a, &err), SCIM_E_CONFLICT,
	    "a revoked token cannot be regenerated");
	cJSON_Delete(a.rec);
	is_int(apply(s, "lim", t1, TOKEN_REVOKE, &err), SCIM_OK,
	    "revoke one");
	is_int(live(s, "lim"), 1, "revoked tokens do not count");
	/* An expired token does not count; renewing it must respect the limit. */
	is_int(make(s, "lim", 1, t3, &err), SCIM_OK, "a one-second token");
	is_int(live(s, "lim"), 2, "counts while it lives");
	sleep(2);
	is_int(live(s, "lim"), 1, "no longer once expired");
	is_int(make(s, "lim", 90 * 86400, t5, &err), SCIM_OK,
	    "so a new one fits");
	is_int(apply(s, "lim", t3, TOKEN_RENEW, &err), SCIM_E_CONFLICT,
	    "renewing the expired one would exceed the limit: refused");
	is_int(apply(s, "lim", t5, TOKEN_DELETE, &err), SCIM_OK, "delete one");
	is_int(apply(s, "lim", t3, TOKEN_RENEW, &err), SCIM_OK,
	    "now the expired token can be renewed");
	is_int(live(s, "lim"), 2, "and is live again");
	is_int(apply(s, "other", t3, TOKEN_REVOKE, &err), SCIM_E_NOT_FOUND,
	    "another tenant cannot touch it");
	is_int(apply(s, NULL, t3, TOKEN_DISABLE, &err), SCIM_OK,
	    "the command line (any tenant) can");
	is_int(apply(s, "lim", t5, TOKEN_DELETE, &err), SCIM_E_NOT_FOUND,
	    "a deleted token is gone");

	memset(&a, 0, sizeof(a));
	memset(&q, 0, sizeof(q));
	q.tenant = "lim";
	q.limit = 50;
	is_int(audit_query(s, &q, &a.out, &err), SCIM_OK, "read the events");
	ok(cJSON_GetArraySize(a.out) >= 10, "every change left an event");
	is_str(cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0),
	    "type")->valuestring, "token.disabled", "newest first");
	is_str(cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0),
	    "category")->valuestring, "tokens", "in the tokens category");
	is_str(cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 1),
	    "type")->valuestring, "token.renewed", "then the renewal");
	a.tenant = "lim";
	txt = cJSON_PrintUnformatted(a.out);
	ok(txt != NULL && strstr(txt, "scim_") == NULL,
	    "events hold no token");
	free(txt);
	cJSON_Delete(a.out);
	a.out = NULL;
	is_int(store_read(s, list_fn, &a, &err), SCIM_OK, "list the tenant");
	is_int(cJSON_GetArraySize(a.out), 4, "four tokens left in it (two revoked)");
	ok(cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0), "hash") == NULL &&
	    cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0), "status") != NULL,
	    "listed tokens carry a status and no hash");
	ok(cJSON_GetArrayItem(a.out, 0)->next == NULL ||
	    cJSON_GetObjectItem(cJSON_GetArrayItem(a.out, 0),
	    "created")->valuedouble >= cJSON_GetObjectItem(cJSON_GetArrayItem(
	    a.out, 1), "created")->valuedouble, "newest first");
	cJSON_Delete(a.out);
}

static enum scim_err
show_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	cJSON_Delete(a->out);
	a->out = NULL;
	return token_get(t, NULL, a->id, &a->out, err);
}

/* The stored last_used of token tok (usec), or -1. */
static int64_t
last_used(struct store *s, const char *tok)
{
	struct ins		 a;
	struct scim_error	 err;
	char			 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];
	int64_t			 v = -1;

	memset(&a, 0, sizeof(a));
	if (!token_parse(tok, id, sec))
		return -1;
	a.id = id;
	if (store_read(s, show_fn, &a, &err) == SCIM_OK)
		v = (int64_t)cJSON_GetObjectItem(a.out, "last_used")->valuedouble;
	cJSON_Delete(a.out);
	return v;
}

static void
test_check(struct store *s)
{
	struct scim_error	 err;
	struct token_auth	 au;
	char			 tok[TOKEN_LEN + 1], hdr[TOKEN_LEN + 16];
	char			 bad[TOKEN_LEN + 16];
	struct store_stats	 st0, st1;
	uint64_t		 n0;

	token_cache_clear();
	is_int(make(s, "chk", 90 * 86400, tok, &err), SCIM_OK, "a token");
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	n0 = token_verify_count();
	is_int(token_check(s, hdr, &au, &err), SCIM_OK, "it is accepted");
	is_str(au.tenant, "chk", "for its tenant");
	is_int(token_verify_count() - n0, 1, "after one full check");
	store_stats(s, &st0);
	is_int(token_check(s, hdr, &au, &err), SCIM_OK, "accepted again");
	store_stats(s, &st1);
	is_int((long long)(st1.puts - st0.puts), 0,
	    "last use is not written again within the minute");
	is_int(last_used(s, tok) > 0, 1, "the first use was recorded");
	snprintf(bad, sizeof(bad), "bearer  %s", tok);
	is_int(token_check(s, bad, &au, &err), SCIM_OK,
	    "the scheme in any case, extra spaces");
	is_int(token_verify_count() - n0, 1, "from the cache: no more checks");
	/* A wrong secret for a cached id is checked in full. */
	snprintf(bad, sizeof(bad), "%s", hdr);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	is_int(token_check(s, bad, &au, &err), SCIM_E_UNAUTHORIZED,
	    "a wrong secret with a known id is refused");
	is_int(token_verify_count() - n0, 2, "after its own check");
	is_int(token_check(s, hdr, &au, &err), SCIM_OK,
	    "the right one is still cached");
	is_int(token_verify_count() - n0, 2, "no check for it");
	is_int(apply(s, NULL, tok, TOKEN_DISABLE, &err), SCIM_OK, "disable it");
	is_int(token_check(s, hdr, &au, &err), SCIM_E_UNAUTHORIZED,
	    "disabled: refused at once despite the cache");
	ok(strstr(err.detail, "disabled") != NULL, "saying it is disabled");
	is_int(apply(s, NULL, tok, TOKEN_ENABLE, &err), SCIM_OK, "enable it");
	is_int(token_check(s, hdr, &au, &err), SCIM_OK, "accepted again");
	is_int(apply(s, NULL, tok, TOKEN_REVOKE, &err), SCIM_OK, "revoke it");
	is_int(token_check(s, hdr, &au, &err), SCIM_E_UNAUTHORIZED,
	    "revoked: refused at once despite the cache");
	ok(strstr(err.detail, "revoked") != NULL, "saying it is revoked");
	is_int(make(s, "chk", 1, tok, &err), SCIM_OK, "a one-second token");
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	is_int(token_check(s, hdr, &au, &err), SCIM_OK, "accepted while valid");
	sleep(2);
	is_int(token_check(s, hdr, &au, &err), SCIM_E_UNAUTHORIZED,
	    "expired: refused despite the cache");
	ok(strstr(err.detail, "expired") != NULL, "saying it has expired");
	is_int(token_check(s, NULL, &au, &err), SCIM_E_UNAUTHORIZED,
	    "no header");
	is_int(token_check(s, "Basic YTpi", &au, &err), SCIM_E_UNAUTHORIZED,
	    "another scheme");
	is_int(token_check(s, "Bearer scim_0123456789abcdef_"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    &au, &err), SCIM_E_UNAUTHORIZED, "an unknown id");
}

struct kv {
	const char	*key;
	cJSON		*val;
};

static enum scim_err
kv_age(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct kv	*k = arg;
	cJSON		*r = NULL;
	enum scim_err	 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, "session", k->key, &r, err);
	if (rc != SCIM_OK)
		return rc;
	cJSON_ReplaceItemInObject(r, "seen", cJSON_CreateNumber(
	    (double)(util_now_usec() - 31LL * 60 * 1000000)));
	rc = store_kv_put(t, ADMIN_KV_TENANT, "session", k->key, r, err);
	cJSON_Delete(r);
	return rc;
}

struct acct {
	const char	*name;
	const char	*tenant;
	enum admin_role	 role;
	const char	*hash;
};

static enum scim_err
acct_add(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct acct	*a = arg;

	return admin_add(t, a->name, a->tenant, a->role, "o@example.com",
	    a->hash, "test", &cfg, err);
}

static void
test_admin(struct store *s)
{
	struct scim_error	 err;
	struct admin_session	 sess, again;
	struct acct		 a;
	struct kv		 k;
	char			 hash[SCRYPT_MCF_LEN];
	char			*msg, *secret, tok[TOKEN_LEN + 1];
	int			 i;

	is_int(admin_password_hash(&cfg, "short", hash, &err),
	    SCIM_E_INVALID_VALUE, "a short password is refused");
	is_int(admin_password_hash(&cfg, "correct horse", hash, &err), SCIM_OK,
	    "hash a password");
	a.name = "alice";
	a.tenant = "acme";
	a.role = ADMIN_ROLE_OWNER;
	a.hash = hash;
	is_int(store_run(s, acct_add, &a, &err), SCIM_OK, "add an owner");
	is_int(store_run(s, acct_add, &a, &err), SCIM_E_UNIQUENESS,
	    "names are unique");
	is_int(admin_login(s, &cfg, "alice", "correct horse", "127.0.0.1",
	    &sess, &err), SCIM_OK, "sign in");
	ok(sess.is_new && strlen(sess.sid) == ADMIN_SID_HEX &&
	    strlen(sess.csrf) == ADMIN_SID_HEX, "a new session with a CSRF "
	    "token");
	is_str(sess.tenant, "acme", "for the account's tenant");
	is_int(sess.role, ADMIN_ROLE_OWNER, "with its role");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err), SCIM_OK,
	    "the cookie opens the session");
	ok(admin_csrf_ok(&again, sess.csrf), "its CSRF token matches");
	ok(!admin_csrf_ok(&again, NULL) && !admin_csrf_ok(&again, "") &&
	    !admin_csrf_ok(&again, sess.sid), "nothing else does");
	is_int(admin_session_open(s, &cfg, sess.key, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the stored key is not a session id");

	/* The one-time slot. */
	strcpy(tok, "scim_0123456789abcdef_0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef");
	is_int(admin_flash_put(s, &sess, "+made", tok, &err), SCIM_OK,
	    "leave a message and a token");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err), SCIM_OK,
	    "reopen");
	ok(again.has_flash, "something is waiting");
	is_int(admin_flash_take(s, &again, &msg, &secret, &err), SCIM_OK,
	    "take it");
	is_str(msg, "+made", "the message");
	is_str(secret, tok, "the token, decrypted with the session id");
	free(msg);
	free(secret);
	is_int(admin_flash_take(s, &again, &msg, &secret, &err), SCIM_OK,
	    "take again");
	ok(msg == NULL && secret == NULL, "it was shown once");
	is_int(admin_flash_put(s, &sess, NULL, tok, &err), SCIM_OK,
	    "leave a token");
	memcpy(again.sid, "00", 2);
	is_int(admin_flash_take(s, &again, &msg, &secret, &err), SCIM_OK,
	    "take it with the wrong session id");
	ok(secret == NULL, "it does not decrypt");
	free(msg);
	free(secret);

	/* Idle time-out. */
	k.key = sess.key;
	is_int(store_run(s, kv_age, &k, &err), SCIM_OK,
	    "pretend 31 minutes passed");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the idle session has ended");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "and is gone");

	/* Sign out. */
	is_int(admin_login(s, &cfg, "alice", "correct horse", NULL, &sess,
	    &err), SCIM_OK, "sign in again");
	is_int(admin_session_end(s, &cfg, &sess, &err), SCIM_OK, "sign out");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the session is over");

	/* Failures: same answer for a wrong password and an unknown name. */
	is_int(admin_login(s, &cfg, "alice", "wrong horse", "10.0.0.1", &sess,
	    &err), SCIM_E_UNAUTHORIZED, "a wrong password is refused");
	is_str(err.detail, "The name or password is wrong.", "vaguely");
	is_int(admin_login(s, &cfg, "mallory", "whatever1", "10.0.0.1", &sess,
	    &err), SCIM_E_UNAUTHORIZED, "an unknown name is refused");
	is_str(err.detail, "The name or password is wrong.", "the same way");
	for (i = 0; i < 2; i++)
		admin_login(s, &cfg, "alice", "wrong horse", "10.0.0.1",
		    &sess, &err);
	is_int(admin_login(s, &cfg, "alice", "correct horse", "10.0.0.1",
	    &sess, &err), SCIM_E_FORBIDDEN,
	    "after 3 failures even the right password must wait");
	ok(strstr(err.detail, "wait") != NULL, "the message says to wait");
	sleep(2);
	is_int(admin_login(s, &cfg, "alice", "correct horse", "10.0.0.1",
	    &sess, &err), SCIM_OK, "after the wait it works");
	is_int(admin_login(s, &cfg, "alice", "wrong horse", "10.0.0.1", &sess,
	    &err), SCIM_E_UNAUTHORIZED, "a success reset the count");
	is_int(admin_login(s, &cfg, "alice", "correct horse", "10.0.0.1",
	    &sess, &err), SCIM_OK, "no wait after one failure");

	/* REMOTE_USER (its sessions live only while the page trusts it). */
	cfg.trust_remote_user = true;
	snprintf(cfg.remote_user_roles, sizeof(cfg.remote_user_roles),
	    "bob:admin@acme");
	is_int(admin_session_remote(s, &cfg, "eve", NULL, &sess, &err),
	    SCIM_E_FORBIDDEN, "an unmapped REMOTE_USER is refused");
	is_int(admin_session_remote(s, &cfg, "bob", NULL, &sess, &err),
	    SCIM_OK, "a mapped one gets a session");
	ok(sess.is_new && sess.remote && sess.role == ADMIN_ROLE_ADMIN,
	    "a new remote session with the mapped role");
	is_int(admin_session_remote(s, &cfg, "bob", sess.sid, &again, &err),
	    SCIM_OK, "the cookie finds it again");
	ok(!again.is_new && strcmp(again.csrf, sess.csrf) == 0,
	    "the same session (same CSRF token)");
	is_int(admin_session_remote(s, &cfg, "carol", sess.sid, &again, &err),
	    SCIM_E_FORBIDDEN, "another user cannot ride on bob's cookie");
	cfg.remote_user_roles[0] = '\0';
	cfg.trust_remote_user = false;
}

/* --- sessions and sign-in hardening --- */

struct acct_op {
	const char	*name;
	const char	*hash;		/* set_password: the new hash */
};

static enum scim_err
acct_set_pw(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct acct_op	*o = arg;

	return admin_set_password(t, o->name, o->hash, err);
}

static enum scim_err
acct_del(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct acct_op	*o = arg;

	return admin_delete(t, o->name, "test", &cfg, err);
}

/* The stored password hash of name into out (SCRYPT_MCF_LEN), or "". */
static enum scim_err
acct_hash_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct acct_op	*o = arg;
	cJSON		*a = NULL;
	enum scim_err	 rc;

	rc = store_kv_get(t, ADMIN_KV_TENANT, "admin", o->name, &a, err);
	if (rc == SCIM_OK)
		snprintf((char *)o->hash, SCRYPT_MCF_LEN, "%s",
		    json_str(a, "hash"));
	cJSON_Delete(a);
	return rc;
}

/* Add account name (tenant, role, hash) in a transaction of its own. */
static enum scim_err
add_account(struct store *s, const char *name, const char *tenant,
    enum admin_role role, const char *hash, struct scim_error *err)
{
	struct acct	 a = { name, tenant, role, hash };

	return store_run(s, acct_add, &a, err);
}

/*
 * A session ends with its reason: a new password, the account deleted
 * (and made again under the same name, with another tenant and role),
 * REMOTE_USER no longer trusted.
 */
static void
test_sessions_end(struct store *s)
{
	struct scim_error	 err;
	struct admin_session	 sess, again;
	struct acct_op		 o;
	char			 h1[SCRYPT_MCF_LEN], h2[SCRYPT_MCF_LEN];

	is_int(admin_password_hash(&cfg, "first password", h1, &err), SCIM_OK,
	    "hash a password");
	is_int(admin_password_hash(&cfg, "second password", h2, &err), SCIM_OK,
	    "and another");
	is_int(add_account(s, "dave", "dave-co", ADMIN_ROLE_OWNER, h1, &err),
	    SCIM_OK, "add dave");
	is_int(admin_login(s, &cfg, "dave", "first password", "10.1.0.1",
	    &sess, &err), SCIM_OK, "dave signs in");
	o.name = "dave";
	o.hash = h2;
	is_int(store_run(s, acct_set_pw, &o, &err), SCIM_OK,
	    "dave's password is changed");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the session of the old password is over");

	is_int(admin_login(s, &cfg, "dave", "second password", "10.1.0.1",
	    &sess, &err), SCIM_OK, "dave signs in with the new one");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err), SCIM_OK,
	    "that session works");
	is_int(store_run(s, acct_del, &o, &err), SCIM_OK, "dave is deleted");
	is_int(add_account(s, "dave", "other-co", ADMIN_ROLE_ADMIN, h1, &err),
	    SCIM_OK, "a new dave, of another tenant");
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "the old dave's cookie opens nothing");
	ok(strcmp(again.tenant, "other-co") != 0,
	    "and gets nothing of the new account");

	cfg.trust_remote_user = true;
	snprintf(cfg.remote_user_roles, sizeof(cfg.remote_user_roles),
	    "frank:owner@remote-co");
	is_int(admin_session_remote(s, &cfg, "frank", NULL, &sess, &err),
	    SCIM_OK, "a REMOTE_USER session");
	cfg.trust_remote_user = false;
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED,
	    "refused once trust_remote_user is turned off");
	cfg.trust_remote_user = true;
	is_int(admin_session_remote(s, &cfg, "frank", sess.sid, &again, &err),
	    SCIM_OK, "turned on again, frank gets a session");
	ok(again.is_new, "a new one: the old one was ended");
	cfg.trust_remote_user = false;
	cfg.remote_user_roles[0] = '\0';
	is_int(admin_login(s, &cfg, "dave", "first password", "10.1.0.1",
	    &sess, &err), SCIM_OK, "a password session");
	cfg.trust_remote_user = true;
	is_int(admin_session_open(s, &cfg, sess.sid, &again, &err),
	    SCIM_E_UNAUTHORIZED, "refused while the page trusts REMOTE_USER");
	cfg.trust_remote_user = false;
}

/*
 * nproc processes, each making tries sign-in attempts for name with a
 * wrong password, all released at once; the number answered
 * SCIM_E_UNAUTHORIZED (the password was checked) and SCIM_E_FORBIDDEN.
 */
static void
parallel_logins(const char *name, int nproc, int tries, int *checked,
    int *waited)
{
	int	 go[2], res[2], i, j, st;
	char	 c;
	pid_t	 pid;

	*checked = *waited = 0;
	if (pipe(go) != 0 || pipe(res) != 0)
		return;
	for (i = 0; i < nproc; i++) {
		if ((pid = fork()) != 0)
			continue;
		struct store		*cs;
		struct scim_error	 err;
		struct admin_session	 sess;
		enum scim_err		 rc;

		close(go[1]);
		if (store_open(&cs, &cfg, &err) != SCIM_OK)
			_exit(1);
		(void)read(go[0], &c, 1);	/* until the parent closes */
		for (j = 0; j < tries; j++) {
			rc = admin_login(cs, &cfg, name, "wrong password",
			    "10.2.0.1", &sess, &err);
			c = rc == SCIM_E_UNAUTHORIZED ? 'u' :
			    rc == SCIM_E_FORBIDDEN ? 'f' : '?';
			(void)write(res[1], &c, 1);
		}
		store_close(cs);
		_exit(0);
	}
	close(go[0]);
	close(res[1]);
	usleep(300000);			/* let them all open the store */
	close(go[1]);
	while (read(res[0], &c, 1) == 1) {
		*checked += c == 'u';
		*waited += c == 'f';
	}
	close(res[0]);
	for (i = 0; i < nproc; i++)
		(void)wait(&st);
}

/*
 * Throttling: the attempt is claimed before the password is checked, so
 * parallel attempts get one check between them; a name is throttled per
 * address, and an address across names.
 */
static void
test_login_throttle(struct store *s)
{
	struct scim_error	 err;
	struct admin_session	 sess;
	char			 h[SCRYPT_MCF_LEN], name[32];
	int			 i, checked, waited;

	is_int(admin_password_hash(&cfg, "grace password", h, &err), SCIM_OK,
	    "hash a password");
	is_int(add_account(s, "grace", "acme", ADMIN_ROLE_OWNER, h, &err),
	    SCIM_OK, "add grace");
	for (i = 0; i < 3; i++)
		admin_login(s, &cfg, "grace", "wrong password", "10.2.0.1",
		    &sess, &err);
	sleep(2);			/* the 1-second wait is over */
	parallel_logins("grace", 4, 2, &checked, &waited);
	is_int(checked, 1, "8 attempts in 4 processes: one password check");
	is_int(waited, 7, "the others told to wait");

	cfg.login_wait = 60;		/* no test here outlasts a wait */
	is_int(admin_login(s, &cfg, "grace", "grace password", "10.2.0.1",
	    &sess, &err), SCIM_E_FORBIDDEN, "grace must wait at 10.2.0.1");
	is_int(admin_login(s, &cfg, "grace", "grace password", "10.2.0.2",
	    &sess, &err), SCIM_OK,
	    "but not from another address: no lockout from one address");
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "nobody%d", i);
		is_int(admin_login(s, &cfg, name, "wrong password",
		    "10.3.0.1", &sess, &err), SCIM_E_UNAUTHORIZED,
		    "one address tries many names");
	}
	is_int(admin_login(s, &cfg, "dave", "first password", "10.3.0.1",
	    &sess, &err), SCIM_E_FORBIDDEN,
	    "after 10 failures the address waits, whatever the name");
	cfg.login_wait = 1;
}

/* An older, cheaper hash is accepted and redone at the install's cost. */
static void
test_password_upgrade(struct store *s)
{
	struct scim_error	 err;
	struct admin_session	 sess;
	struct acct_op		 o;
	struct scim_config	 def;
	char			 h[SCRYPT_MCF_LEN], now[SCRYPT_MCF_LEN];

	config_defaults(&def);
	is_int(def.admin_scrypt_n, 1 << 17,
	    "admin passwords: OWASP's N=2^17 by default");
	ok(libscrypt_hash(h, "heidi password", 512, 8, 1) != 0,
	    "a hash at N=2^9");
	is_int(add_account(s, "heidi", "acme", ADMIN_ROLE_OWNER, h, &err),
	    SCIM_OK, "add heidi");
	is_int(admin_login(s, &cfg, "heidi", "heidi password", "10.4.0.1",
	    &sess, &err), SCIM_OK, "she signs in");
	o.name = "heidi";
	o.hash = now;
	is_int(store_read(s, acct_hash_fn, &o, &err), SCIM_OK, "read back");
	ok(strncmp(now, "$s1$0a0801$", 11) == 0,
	    "the hash is redone at the configured N=2^10");
	is_int(admin_login(s, &cfg, "heidi", "heidi password", "10.4.0.1",
	    &sess, &err), SCIM_OK, "and the password still works");
}

/* --- the bearer check in two halves --- */

struct half {
	struct token_auth	 auth;
};

static enum scim_err
half_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return token_check_txn(t, &((struct half *)arg)->auth, err);
}

static void
test_check_halves(struct store *s)
{
	struct scim_error	 err;
	struct half		 h;
	struct token_auth	 a2;
	char			 tok[TOKEN_LEN + 1], hdr[TOKEN_LEN + 16];
	char			 bad[TOKEN_LEN + 16];
	char			 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];
	bool			 pending = true;
	uint64_t		 runs;

	token_cache_clear();
	is_int(make(s, "halves", 90 * 86400, tok, &err), SCIM_OK, "a token");
	token_parse(tok, id, sec);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	runs = token_verify_count();
	memset(&h, 0, sizeof(h));
	is_int(token_check_start(s, hdr, &h.auth, &pending, &err), SCIM_OK,
	    "start: an uncached token is checked in full");
	ok(!pending, "nothing left pending");
	is_int((long long)(token_verify_count() - runs), 1, "checked in full");
	is_int(token_check_start(s, hdr, &h.auth, &pending, &err), SCIM_OK,
	    "start: now from the cache");
	ok(pending, "the record is still to be read");
	is_str(h.auth.tenant, "halves", "the tenant comes from the cache");
	is_str(h.auth.token_id, id, "and the token id");
	is_int((long long)(token_verify_count() - runs), 1, "no more checks");
	is_int(store_read(s, half_fn, &h, &err), SCIM_OK,
	    "the record read in the caller's transaction: good");
	is_int(token_check_finish(s, &h.auth, &err), SCIM_OK,
	    "or in one of its own");
	/* Same id, wrong secret: never taken from the cache. */
	snprintf(bad, sizeof(bad), "Bearer %s", tok);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	is_int(token_check_start(s, bad, &a2, &pending, &err),
	    SCIM_E_UNAUTHORIZED, "a wrong secret for a cached id is refused");
	ok(!pending && a2.tenant[0] == '\0', "and vouches for no tenant");
	is_int(apply(s, "halves", tok, TOKEN_DISABLE, &err), SCIM_OK,
	    "disable it");
	is_int(token_check_start(s, hdr, &h.auth, &pending, &err), SCIM_OK,
	    "start still answers from the cache");
	is_int(store_read(s, half_fn, &h, &err), SCIM_E_UNAUTHORIZED,
	    "but the read in the transaction refuses it");
	ok(strstr(err.detail, "disabled") != NULL, "saying it is disabled");
	is_int(apply(s, "halves", tok, TOKEN_REVOKE, &err), SCIM_OK,
	    "revoke it");
	is_int(token_check_finish(s, &h.auth, &err), SCIM_E_UNAUTHORIZED,
	    "revoked: refused");
	ok(strstr(err.detail, "revoked") != NULL, "saying it is revoked");
	is_int(apply(s, "halves", tok, TOKEN_DELETE, &err), SCIM_OK,
	    "delete it");
	is_int(token_check_finish(s, &h.auth, &err), SCIM_E_UNAUTHORIZED,
	    "deleted: refused");
	/* A tenant that does not match the record (a forged auth). */
	is_int(make(s, "halves2", 90 * 86400, tok, &err), SCIM_OK,
	    "another token");
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	is_int(token_check_start(s, hdr, &h.auth, &pending, &err), SCIM_OK,
	    "checked");
	strcpy(h.auth.tenant, "halves");
	is_int(token_check_finish(s, &h.auth, &err), SCIM_E_UNAUTHORIZED,
	    "a record of another tenant is refused");
}

/* --- the secret before the state, at one cost (hardening) --- */

/* n token_check()s of hdr, every one refused. */
static void
refuse_n(struct store *s, const char *hdr, int n)
{
	struct scim_error	 err;
	struct token_auth	 au;
	int			 i, refused = 0;

	for (i = 0; i < n; i++)
		refused += token_check(s, hdr, &au, &err) ==
		    SCIM_E_UNAUTHORIZED;
	is_int(refused, n, "every check refused");
}

/* hdr with the last digit of the secret changed. */
static void
wrong_secret(const char *hdr, char *bad, size_t sz)
{
	snprintf(bad, sz, "%s", hdr);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
}

/*
 * Knowing a token's id must buy nothing: a wrong secret on a known id
 * runs no scrypt, as an unknown id runs none (it cost a full scrypt), and is
 * refused in the same words whatever the token's state (they said
 * "disabled", "revoked", "expired" without the secret).
 */
static void
test_secret_first(struct store *s)
{
	struct scim_error	 err;
	struct token_auth	 au;
	char			 tok[TOKEN_LEN + 1], hdr[TOKEN_LEN + 16];
	char			 bad[TOKEN_LEN + 16];
	char			 unknown_detail[sizeof(err.detail)];
	uint64_t		 runs;
	static const struct {
		enum token_action	 act;
		const char		*word;
	} states[] = {
		{ TOKEN_DISABLE, "disabled" },
		{ TOKEN_REVOKE, "revoked" },
	};
	size_t			 i;

	token_cache_clear();
	is_int(make(s, "first", 90 * 86400, tok, &err), SCIM_OK, "a token");
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	is_int(token_check(s, hdr, &au, &err), SCIM_OK, "it is accepted");
	wrong_secret(hdr, bad, sizeof(bad));
	runs = token_scrypt_count();
	/*
	 * Counted, not timed: the expensive step is scrypt, and a wrong
	 * secret on a known id must run none, as an unknown id runs none.
	 */
	refuse_n(s, bad, 20);
	refuse_n(s, "Bearer scim_0123456789abcdef_"
	    "0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef", 20);
	is_int((long long)(token_scrypt_count() - runs), 0,
	    "and runs no scrypt");
	is_int(token_check(s, "Bearer scim_0123456789abcdef_"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    &au, &err), SCIM_E_UNAUTHORIZED, "an unknown id is refused");
	snprintf(unknown_detail, sizeof(unknown_detail), "%s", err.detail);
	is_int(token_check(s, bad, &au, &err), SCIM_E_UNAUTHORIZED,
	    "a wrong secret is refused");
	is_str(err.detail, unknown_detail, "in the same words");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		is_int(apply(s, NULL, tok, states[i].act, &err), SCIM_OK,
		    states[i].word);
		is_int(token_check(s, bad, &au, &err), SCIM_E_UNAUTHORIZED,
		    "a wrong secret is refused");
		is_str(err.detail, unknown_detail,
		    "without telling the token's state");
		is_int(token_check(s, hdr, &au, &err), SCIM_E_UNAUTHORIZED,
		    "the right secret is refused too");
		ok(strstr(err.detail, states[i].word) != NULL,
		    "and its holder is told why");
	}
	is_int(make(s, "first", 1, tok, &err), SCIM_OK, "a one-second token");
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	wrong_secret(hdr, bad, sizeof(bad));
	sleep(2);
	is_int(token_check(s, bad, &au, &err), SCIM_E_UNAUTHORIZED,
	    "expired, wrong secret: refused");
	is_str(err.detail, unknown_detail, "without saying it expired");
	is_int(token_check(s, hdr, &au, &err), SCIM_E_UNAUTHORIZED,
	    "expired, right secret: refused");
	ok(strstr(err.detail, "expired") != NULL, "saying it expired");
}

static enum scim_err
put_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ins	*a = arg;

	return store_token_put(t, a->id, a->rec, err);
}

/*
 * A token made before the keyed hash (an scrypt MCF hash) keeps working;
 * the first request that proves its secret rewrites the hash, and from
 * then on nothing costs scrypt.
 */
static void
test_old_hash_upgraded(struct store *s)
{
	struct scim_error	 err;
	struct token_auth	 au;
	struct ins		 a;
	char			 tok[TOKEN_LEN + 1], hdr[TOKEN_LEN + 16];
	char			 bad[TOKEN_LEN + 16], mcf[SCRYPT_MCF_LEN];
	char			 id[TOKEN_ID_HEX + 1], sec[TOKEN_SECRET_HEX + 1];
	uint64_t		 runs;

	token_cache_clear();
	memset(&a, 0, sizeof(a));
	is_int(token_new(&cfg, "old", "x", 90, "test", tok, &a.rec, &err),
	    SCIM_OK, "a token");
	token_parse(tok, id, sec);
	ok(libscrypt_hash(mcf, sec, 1024, 8, 1) != 0, "its scrypt hash");
	cJSON_ReplaceItemInObject(a.rec, "hash", cJSON_CreateString(mcf));
	a.id = id;
	is_int(store_run(s, put_fn, &a, &err), SCIM_OK,
	    "stored as an old release stored it");
	cJSON_Delete(a.rec);
	a.rec = NULL;
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	runs = token_scrypt_count();
	is_int(token_check(s, hdr, &au, &err), SCIM_OK, "it is accepted");
	is_str(au.tenant, "old", "for its tenant");
	is_int((long long)(token_scrypt_count() - runs), 1, "with scrypt");
	is_int(store_read(s, show_fn, &a, &err), SCIM_OK, "read it back");
	ok(strncmp(json_str(a.out, "hash"), "hmac$", 5) == 0,
	    "its hash is now the keyed one");
	token_cache_clear();
	is_int(token_check(s, hdr, &au, &err), SCIM_OK,
	    "accepted by a process that never saw it");
	wrong_secret(hdr, bad, sizeof(bad));
	is_int(token_check(s, bad, &au, &err), SCIM_E_UNAUTHORIZED,
	    "a wrong secret is refused");
	is_int((long long)(token_scrypt_count() - runs), 1,
	    "neither ran scrypt");
	cJSON_Delete(a.out);
}

/* --- the audit log's shards --- */

struct aud {
	int		 from, n;	/* record events from..from+n-1 */
	int64_t		 legacy_usec;	/* 0, or put one unsharded event */
	const char	*key;		/* a raw key to put (legacy/old) */
	cJSON		*keys;		/* out of aud_keys_fn: every key */
};

static enum scim_err
aud_record_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct aud		*a = arg;
	struct audit_event	 ev;
	char			 target[16];
	enum scim_err		 rc = SCIM_OK;
	int			 i;

	for (i = a->from; rc == SCIM_OK && i < a->from + a->n; i++) {
		snprintf(target, sizeof(target), "u%d", i);
		memset(&ev, 0, sizeof(ev));
		ev.type = i % 2 ? "token.created" : "scim.user.provisioned";
		ev.tenant = "aud";
		ev.actor = "test";
		ev.target_id = target;
		rc = audit_record(t, NULL, &ev, err);
	}
	return rc;
}

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

static void
test_audit_shards(struct store *s)
{
	struct scim_error	 err;
	struct audit_query	 q;
	struct aud		 a;
	struct audit_prune_stats ps;
	struct scim_config	 c = cfg;
	cJSON			*ids, *all, *e;
	char			 key[64], lid[25], oid[25], prev[25] = "";
	const char		*k;
	bool			 shards[64] = { false }, ordered = true;
	int			 i, n, nshards = 0, legacy = 0, bad = 0;
	int64_t			 now = util_now_usec();

	memset(&a, 0, sizeof(a));
	a.n = 100;
	is_int(store_run(s, aud_record_fn, &a, &err), SCIM_OK,
	    "record 100 events");
	/* An event in the layout before shards, between two batches. */
	snprintf(lid, sizeof(lid), "%016llx%08x",
	    (unsigned long long)util_now_usec(), 0x1234u);
	a.key = lid;
	is_int(store_run(s, aud_raw_fn, &a, &err), SCIM_OK,
	    "put an event under an unsharded key");
	a.from = 100;
	for (i = 0; i < 10; i++, a.from += 10) {
		a.n = 10;
		store_run(s, aud_record_fn, &a, &err);
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

	/* Newest first across the shards and the old range, paged. */
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

	/* Retention: expired events go from every shard and the old range. */
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
	struct store		*s;
	struct scim_error	 err;
	char			 tmpl[] = "/tmp/scim-token-test-XXXXXX";
	char			 cmd[128];

	test_parse();
	test_expiry();
	test_state();
	test_transitions();
	test_reminders();
	test_validators();
	test_remote_map();
	test_page_helpers();

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	config_defaults(&cfg);
	snprintf(cfg.home, sizeof(cfg.home), "%s/db", tmpl);
	cfg.sync = STORE_SYNC_NONE;
	cfg.scrypt_n = 1024;
	cfg.admin_scrypt_n = 1024;
	test_hash();
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open a new store")) {
		printf("# %s\n", err.detail);
		return tap_done();
	}
	test_limit(s);
	test_check(s);
	test_admin(s);
	test_sessions_end(s);
	test_login_throttle(s);
	test_password_upgrade(s);
	test_check_halves(s);
	test_secret_first(s);
	test_old_hash_upgraded(s);
	test_audit_shards(s);
	store_close(s);
	if (getenv("SCIM_TEST_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpl);
	}
	return tap_done();
}
