/*
 * Secret Token and page-helper tests on pure functions, table-driven:
 * token parsing, expiry arithmetic, state transitions, reminder
 * thresholds, validators, the REMOTE_USER map, escaping and cookies;
 * then a new token's record and hash, without a store.  The tests
 * against a store are in test_token_check.c (the live-token limit, the
 * lifecycle and the cached bearer check), test_token_admin.c (sign-in,
 * sessions) and test_token_audit.c (the audit log's shards).
 */
#include "token_fixture.h"
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
	ok(!token_label_valid("a\xc2\x85" "b"), "a C1 control (U+0085) refused");
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
	struct jtext	 b;
	char		 name[64], out[16];
	size_t		 i;
	bool		 found;

	for (i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
		memset(&b, 0, sizeof(b));
		page_esc(&b, esc[i].in);
		snprintf(name, sizeof(name), "page_esc row at line %d",
		    esc[i].line);
		is_str(b.p ? b.p : "", esc[i].out, name);
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

int
main(void)
{
	test_parse();
	test_expiry();
	test_state();
	test_transitions();
	test_reminders();
	test_validators();
	test_remote_map();
	test_page_helpers();
	config_defaults(&cfg);
	token_fixture_config();
	test_hash();
	return tap_done();
}
