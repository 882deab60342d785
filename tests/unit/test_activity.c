/*
 * Unit tests of the activity recorder (common/audit/activity*.c): the
 * client named from its User-Agent, secrets redacted, the action in words,
 * notes collected once, the body cap, and the files' retention and size
 * cap, in a scratch data home.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "audit/activity.h"
#include "base/config.h"
#include "base/json.h"
#include "base/util.h"
#include "tap.h"
#include "tmp_store.h"

static void
test_client(void)
{
	static const struct {
		const char	*ua;
		const char	*want;
	} cases[] = {
		{ "Azure AD SCIM Client", "Microsoft Entra ID" },
		{ "Microsoft.AAD.Provisioning/1.0", "Microsoft Entra ID" },
		{ "Microsoft Entra ID SCIM client", "Microsoft Entra ID" },
		{ "Okta SCIM Client 1.0.0", "Okta" },
		{ "okta-scim/2", "Okta" },
		{ "curl/8.5.0", "curl" },
		{ "python-requests/2.31.0", "python-requests" },
		{ "Mozilla/5.0 (X11; Linux)", "Mozilla" },
		{ "OneLogin", "OneLogin" },
		{ "", "unknown" },
		{ NULL, "unknown" },
	};
	char	 buf[80];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(activity_client(cases[i].ua, buf, sizeof(buf)),
		    cases[i].want, cases[i].ua ? cases[i].ua : "(no agent)");
}

/* Redact in, print it unformatted and compare with want. */
static void
redact_is(const struct scim_config *cfg, const char *in, const char *want,
    int line)
{
	cJSON	*v = cJSON_Parse(in);
	char	*got;

	activity_redact(cfg, v);
	got = cJSON_PrintUnformatted(v);
	tap_is_str(got, want, line, in);
	free(got);
	cJSON_Delete(v);
}

static void
test_redact(void)
{
	struct scim_config	 cfg;

	config_defaults(&cfg);
	snprintf(cfg.activity_redact, sizeof(cfg.activity_redact),
	    "employeeNumber, pin");
	redact_is(&cfg, "{\"userName\":\"a\",\"password\":\"s3cret\"}",
	    "{\"userName\":\"a\",\"password\":\"(redacted)\"}", __LINE__);
	redact_is(&cfg, "{\"PassWord\":\"x\",\"a\":1}",
	    "{\"PassWord\":\"(redacted)\",\"a\":1}", __LINE__);
	redact_is(&cfg, "{\"urn:ietf:params:scim:schemas:extension:enterprise:"
	    "2.0:User\":{\"employeeNumber\":\"42\",\"division\":\"d\"}}",
	    "{\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
	    "{\"employeeNumber\":\"(redacted)\",\"division\":\"d\"}}",
	    __LINE__);
	redact_is(&cfg, "{\"Operations\":[{\"op\":\"replace\",\"path\":"
	    "\"password\",\"value\":\"x\"},{\"op\":\"add\",\"value\":{\"pin\":"
	    "\"1234\",\"title\":\"t\"}}]}",
	    "{\"Operations\":[{\"op\":\"replace\",\"path\":\"password\","
	    "\"value\":\"(redacted)\"},{\"op\":\"add\",\"value\":{\"pin\":"
	    "\"(redacted)\",\"title\":\"t\"}}]}", __LINE__);
	redact_is(&cfg, "{\"Operations\":[{\"op\":\"replace\",\"path\":"
	    "\"urn:ietf:params:scim:schemas:core:2.0:User:password\","
	    "\"value\":\"x\"}]}",
	    "{\"Operations\":[{\"op\":\"replace\",\"path\":"
	    "\"urn:ietf:params:scim:schemas:core:2.0:User:password\","
	    "\"value\":\"(redacted)\"}]}", __LINE__);
	redact_is(&cfg, "{\"pinned\":\"kept\"}", "{\"pinned\":\"kept\"}",
	    __LINE__);
}

/* The words for one request. */
static void
words_is(const char *method, const char *res, const char *id, int status,
    const char *body, const char *answer, const char *filter,
    unsigned skipped, const char *want, int line)
{
	struct activity_req	 r;
	cJSON			*b = body ? cJSON_Parse(body) : NULL;
	cJSON			*a = answer ? cJSON_Parse(answer) : NULL;
	cJSON			*tg = cJSON_CreateObject(), *m = cJSON_CreateArray();
	char			*got;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.resource = res;
	r.id = id;
	r.status = status;
	r.answer = a;
	r.filter = filter;
	r.path = "/scim/v2/x";
	got = activity_words(&r, b, skipped, tg, m);
	tap_is_str(got, want, line, want);
	free(got);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(tg);
	cJSON_Delete(m);
}

#define ALICE	"{\"id\":\"u1\",\"userName\":\"alice@contoso.com\"}"

static void
test_words(void)
{
	words_is("POST", "Users", NULL, 201, "{\"userName\":\"alice@contoso.com\"}",
	    ALICE, NULL, 0, "created alice@contoso.com", __LINE__);
	words_is("POST", "Users", NULL, 409, "{\"userName\":\"alice@contoso.com\"}",
	    "{\"status\":\"409\"}", NULL, 0, "failed to create alice@contoso.com",
	    __LINE__);
	words_is("PATCH", "Users", "u1", 200, "{\"Operations\":[{\"op\":"
	    "\"Replace\",\"path\":\"active\",\"value\":\"False\"}]}", ALICE, NULL,
	    0, "deactivated alice@contoso.com", __LINE__);
	words_is("PATCH", "Users", "u1", 200, "{\"Operations\":[{\"op\":"
	    "\"replace\",\"value\":{\"active\":true}}]}", ALICE, NULL, 0,
	    "reactivated alice@contoso.com", __LINE__);
	words_is("PATCH", "Users", "u1", 200, "{\"Operations\":[{\"op\":"
	    "\"replace\",\"path\":\"title\",\"value\":\"x\"},{\"op\":\"add\","
	    "\"path\":\"name.givenName\",\"value\":\"A\"}]}", ALICE, NULL, 0,
	    "updated alice@contoso.com (title, name.givenName)", __LINE__);
	words_is("PUT", "Users", "u1", 200, "{\"userName\":\"alice@contoso.com\","
	    "\"active\":false}", ALICE, NULL, 0, "deactivated alice@contoso.com",
	    __LINE__);
	words_is("PATCH", "Groups", "g1", 204, "{\"Operations\":[{\"op\":\"Add\","
	    "\"path\":\"members\",\"value\":[{\"value\":\"a\"},{\"value\":\"b\"},"
	    "{\"value\":\"c\"}]}]}", "{\"id\":\"g1\",\"displayName\":\"Sales\"}",
	    NULL, 0, "added 3 members to Sales", __LINE__);
	words_is("PATCH", "Groups", "g1", 204, "{\"Operations\":[{\"op\":\"Add\","
	    "\"path\":\"members\",\"value\":[{\"value\":\"a\"},{\"value\":\"b\"}]}"
	    ",{\"op\":\"Remove\",\"path\":\"members[value eq \\\"c\\\"]\"}]}",
	    "{\"id\":\"g1\",\"displayName\":\"Sales\"}", NULL, 1,
	    "added 1 member to Sales; removed 1 member from Sales", __LINE__);
	words_is("DELETE", "Users", "u1", 204, NULL, NULL, NULL, 0,
	    "deleted user u1", __LINE__);
	words_is("GET", "Users", NULL, 200, NULL, NULL,
	    "userName eq \"alice@contoso.com\"", 0,
	    "looked up users where userName eq \"alice@contoso.com\"", __LINE__);
	words_is("GET", "Groups", NULL, 200, NULL, NULL, NULL, 0,
	    "listed groups", __LINE__);
	words_is("GET", "Users", "u1", 200, NULL, ALICE, NULL, 0,
	    "read user alice@contoso.com", __LINE__);
	words_is("GET", "Schemas", NULL, 200, NULL, NULL, NULL, 0,
	    "read Schemas", __LINE__);
	words_is("POST", "Groups", NULL, 201, "{\"displayName\":\"Sales\","
	    "\"members\":[{\"value\":\"a\"}]}", "{\"id\":\"g1\",\"displayName\":"
	    "\"Sales\"}", NULL, 0, "created group Sales with 1 member", __LINE__);
	words_is("GET", NULL, NULL, 404, NULL, NULL, NULL, 0,
	    "failed to GET /scim/v2/x", __LINE__);
}

static void
test_notes_and_cap(void)
{
	struct scim_config	 cfg;
	struct activity_notes	 n;
	struct activity_req	 r;
	char			*big;
	cJSON			*rec;
	const cJSON		*v;

	config_defaults(&cfg);
	activity_begin(&n);
	activity_note("ignored attribute %s: not in the schema", "nickName2");
	activity_note("ignored attribute %s: not in the schema", "nickName2");
	activity_skipped_member("1234");
	activity_skipped_member("1234");	/* the store function ran again */
	activity_begin(NULL);
	activity_note("not collected");
	is_int(n.n, 2, "a note is kept once");
	is_int(n.skipped, 1, "a skipped member is counted once");

	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.resource = "Users";
	r.status = 201;
	r.start_usec = util_now_usec();
	r.end_usec = r.start_usec + 1500;
	big = malloc(10000);
	memset(big, 'x', 9999);
	big[9999] = '\0';
	memcpy(big, "{\"userName\":\"", 13);
	memcpy(big + 9996, "\"}", 3);
	r.body = big;
	rec = activity_build(&cfg, &r, &n, "Entra");
	v = cJSON_GetObjectItem(rec, "body");
	ok(cJSON_IsString(v) && strlen(v->valuestring) <= ACTIVITY_BODY_MAX,
	    "a long body is cut to ACTIVITY_BODY_MAX");
	ok(cJSON_IsTrue(cJSON_GetObjectItem(rec, "body_truncated")),
	    "and says so");
	v = cJSON_GetObjectItem(rec, "duration_ms");
	ok(cJSON_IsNumber(v) && v->valuedouble == 1.5, "duration_ms 1.5");
	v = cJSON_GetObjectItem(rec, "action");
	ok(cJSON_IsString(v) && strstr(v->valuestring, "; ignored attribute "
	    "nickName2: not in the schema; skipped member 1234: not a user of "
	    "this tenant") != NULL, "notes follow the action");
	is_str(cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "token"),
	    "label")->valuestring, "Entra", "token label");
	cJSON_Delete(rec);
	r.body = "not json";
	rec = activity_build(&cfg, &r, NULL, NULL);
	is_str(cJSON_GetObjectItem(rec, "body")->valuestring,
	    "(not JSON, 8 bytes)", "a body that is not JSON is not kept");
	cJSON_Delete(rec);
	free(big);
	activity_notes_free(&n);
}

/*
 * Is body (a user created, JSON) put into the record as it came?  Only
 * when it holds no control character and is at most ACTIVITY_BODY_MAX
 * bytes: the test looks at eight bytes at a time, so a control character
 * is tried at every offset of the first words and of the tail.
 */
static bool
body_kept(const char *body)
{
	struct scim_config	 cfg;
	struct activity_req	 r;
	cJSON			*answer;
	char			*line, *want;
	size_t			 len;
	bool			 kept;

	config_defaults(&cfg);
	answer = cJSON_Parse("{\"id\":\"u1\",\"userName\":\"a\"}");
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.resource = "Users";
	r.status = 201;
	r.body = body;
	r.body_json = true;
	r.answer = answer;
	line = activity_format(&cfg, &r, NULL, NULL, &len);
	want = malloc(strlen(body) + 16);
	sprintf(want, ",\"body\":%s,", body);
	kept = line != NULL && strstr(line, want) != NULL;
	free(want);
	free(line);
	cJSON_Delete(answer);
	return kept;
}

static void
test_body_plain(void)
{
	char	 body[ACTIVITY_BODY_MAX + 8], name[80];
	size_t	 at, n;
	int	 c;

	strcpy(body, "{\"userName\":\"a\",\"title\":\""
	    "\xc3\xa9t\xc3\xa9 x\x7f\"}");
	ok(body_kept(body), "UTF-8 and DEL are plain");
	n = strlen(body);
	for (at = 13; at < n - 2; at++)
		for (c = 0x01; c < 0x20; c += 0x1e) {
			strcpy(body, "{\"userName\":\"a\",\"title\":\""
			    "\xc3\xa9t\xc3\xa9 x\x7f\"}");
			body[at] = (char)c;
			snprintf(name, sizeof(name), "control 0x%02x at %zu: "
			    "not as it came", c, at);
			ok(!body_kept(body), "%s", name);
		}
	/* The cap: a body of ACTIVITY_BODY_MAX bytes is kept, one more not. */
	memset(body, ' ', sizeof(body));
	memcpy(body, "{\"userName\":\"a\"", 15);
	body[ACTIVITY_BODY_MAX - 1] = '}';
	body[ACTIVITY_BODY_MAX] = '\0';
	ok(body_kept(body), "a body of ACTIVITY_BODY_MAX bytes is kept");
	body[ACTIVITY_BODY_MAX - 1] = ' ';
	body[ACTIVITY_BODY_MAX] = '}';
	body[ACTIVITY_BODY_MAX + 1] = '\0';
	ok(!body_kept(body), "one byte more is not");
}

/*
 * The record's query field for query q: the JSON string between
 * ,"query": and ,"status": (no body, no filter lie between them), in
 * got (size bytes), or "" when the record is not there.
 */
static const char *
query_field(const char *q, char *got, size_t size)
{
	struct scim_config	 cfg;
	struct activity_req	 r;
	const char		*a, *b;
	char			*line;
	size_t			 len;

	config_defaults(&cfg);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.status = 200;
	r.query = q;
	got[0] = '\0';
	if ((line = activity_format(&cfg, &r, NULL, NULL, &len)) == NULL)
		return got;
	if ((a = strstr(line, ",\"query\":")) != NULL &&
	    (b = strstr(a, ",\"status\":")) != NULL &&
	    (size_t)(b - a - 9) < size) {
		memcpy(got, a + 9, (size_t)(b - a - 9));
		got[b - a - 9] = '\0';
	}
	free(line);
	return got;
}

/*
 * The record's JSON strings (a request's headers and query, unchecked):
 * runs of plain bytes copied, '"' and '\\' and every control character
 * escaped, valid UTF-8 kept, other bytes '?', and the cap of
 * ACTIVITY_QUERY_MAX bytes cutting before a character, never in one.
 * test_escape_* check them in turn.
 */

/* Strings and their JSON strings in the query fields. */
struct escape_row {
	const char	*in;
	const char	*want;
};

static const struct escape_row escape_rows[] = {
	{ "", "\"\"" },
	{ "abc", "\"abc\"" },
	{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
	{ "\"\\\"", "\"\\\"\\\\\\\"\"" },
	{ "tab\there\nnl\r\x7f",
	  "\"tab\\u0009here\\u000anl\\u000d\x7f\"" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80!",
	  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80!\"" },
	{ "\xff" "a\xc3" "b\xc0\xaf", "\"?a?b??\"" },
	{ "\xe2\x82", "\"??\"" },
	{ "x\xc3", "\"x?\"" },
};

/* Each kind of byte and how it is written. */
struct kind_row {
	const char	*in;
	const char	*out;
};

static const struct kind_row kind_rows[] = {
	{ "\"", "\\\"" }, { "\\", "\\\\" }, { "\x01", "\\u0001" },
	{ "\x1f", "\\u001f" }, { "\x7f", "\x7f" }, { " ", " " },
	{ "\xc3\xa9", "\xc3\xa9" }, { "\xff", "?" },
	{ "\xe2\x82\xac", "\xe2\x82\xac" },
};

/* The query fields as JSON strings: quotes, controls, UTF-8 and not. */
static void
test_escape(void)
{
	char	 got[ACTIVITY_QUERY_MAX + 64];
	size_t	 i;

	for (i = 0; i < sizeof(escape_rows) / sizeof(escape_rows[0]); i++)
		is_str(query_field(escape_rows[i].in, got, sizeof(got)),
		    escape_rows[i].want, escape_rows[i].want);
}

/* Every control character, alone and between plain bytes. */
static void
test_escape_controls(void)
{
	char	 in[ACTIVITY_QUERY_MAX + 8], want[ACTIVITY_QUERY_MAX + 16];
	char	 got[ACTIVITY_QUERY_MAX + 64], name[64];
	int	 c;

	for (c = 1; c < 0x20; c++) {
		snprintf(in, sizeof(in), "a%cb", c);
		snprintf(want, sizeof(want), "\"a\\u00%02xb\"", c);
		snprintf(name, sizeof(name), "control 0x%02x", c);
		is_str(query_field(in, got, sizeof(got)), want, name);
	}
}

/* Each kind of byte at each place of the first words and the tail. */
static void
test_escape_places(void)
{
	const struct kind_row	*k;
	char			 in[ACTIVITY_QUERY_MAX + 8];
	char			 want[ACTIVITY_QUERY_MAX + 16];
	char			 got[ACTIVITY_QUERY_MAX + 64], name[64];
	size_t			 i, at, n;

	for (i = 0; i < sizeof(kind_rows) / sizeof(kind_rows[0]); i++)
		for (at = 0; at < 20; at++) {
			k = &kind_rows[i];
			memset(in, 'x', 24);
			memcpy(in + at, k->in, strlen(k->in));
			in[24] = '\0';
			n = strlen(k->in);
			snprintf(want, sizeof(want), "\"%.*s%s%.*s\"", (int)at,
			    in, k->out, (int)(24 - at - n), in + at + n);
			snprintf(name, sizeof(name), "%s at %zu", k->out, at);
			is_str(query_field(in, got, sizeof(got)), want, name);
		}
}

/* The cap: 1,024 bytes of the query, whole characters only. */
static void
test_escape_cap(void)
{
	char	 in[ACTIVITY_QUERY_MAX + 8], want[ACTIVITY_QUERY_MAX + 16];
	char	 got[ACTIVITY_QUERY_MAX + 64];

	memset(in, 'a', ACTIVITY_QUERY_MAX - 1);
	strcpy(in + ACTIVITY_QUERY_MAX - 1, "\xc3\xa9");
	want[0] = '"';
	memset(want + 1, 'a', ACTIVITY_QUERY_MAX - 1);
	strcpy(want + ACTIVITY_QUERY_MAX, "\"");
	is_str(query_field(in, got, sizeof(got)), want,
	    "a character the cap would cut is left out");
	strcpy(in + ACTIVITY_QUERY_MAX - 1, "\"x");
	strcpy(want + ACTIVITY_QUERY_MAX, "\\\"\"");
	is_str(query_field(in, got, sizeof(got)), want,
	    "an escaped byte counts one against the cap");
	strcpy(in + ACTIVITY_QUERY_MAX - 1, "\x01x");
	strcpy(want + ACTIVITY_QUERY_MAX, "\\u0001\"");
	is_str(query_field(in, got, sizeof(got)), want,
	    "a control character counts one against the cap");
	strcpy(in + ACTIVITY_QUERY_MAX - 1, "\xffx");
	strcpy(want + ACTIVITY_QUERY_MAX, "?\"");
	is_str(query_field(in, got, sizeof(got)), want,
	    "a byte that is not UTF-8 counts one against the cap");
	strcpy(in + ACTIVITY_QUERY_MAX - 2, "\xc3\xa9x");
	strcpy(want + ACTIVITY_QUERY_MAX - 1, "\xc3\xa9\"");
	is_str(query_field(in, got, sizeof(got)), want,
	    "a character that ends at the cap is kept");
	in[ACTIVITY_QUERY_MAX - 2] = want[ACTIVITY_QUERY_MAX - 1] = 'a';
	strcpy(in + ACTIVITY_QUERY_MAX - 1, "bc");
	strcpy(want + ACTIVITY_QUERY_MAX, "b\"");
	is_str(query_field(in, got, sizeof(got)), want,
	    "plain bytes are cut at the cap");
}

/*
 * A user created: a body the loop found JSON goes in as sent when nothing
 * in it could need redacting, else it is parsed and redacted as always;
 * "after" is the answer's text as sent when the loop has it.
 */
static void
test_body_as_sent(void)
{
	static const struct {
		const char	*body;
		const char	*redact;	/* [activity] redact */
		bool		 as_sent;
		const char	*hidden;	/* must not be in the record */
	} cases[] = {
		{ "{\"userName\":\"a\",  \"title\":\"x\"}", "", true, NULL },
		{ "{\"userName\":\"a\",\"Password\":\"s3cret\"}", "", false,
		  "s3cret" },
		{ "{\"userName\":\"a\",\"pass\\u0077ord\":\"s3cret\"}", "",
		  false, "s3cret" },
		{ "{\"userName\":\"a\",\"title\":\"CEO\"}", "x, Title", false,
		  "CEO" },
		{ "{\"userName\":\"a\",\n\"title\":\"x\"}", "", false, NULL },
		{ "{\"userName\":\"a\",\"emails\":[{\"primary\":true}]}", "",
		  true, NULL },
	};
	struct scim_config	 cfg;
	struct activity_req	 r;
	cJSON			*answer, *rec;
	char			*line, want[256];
	size_t			 i, len;

	config_defaults(&cfg);
	answer = cJSON_Parse("{\"id\":\"u1\",\"userName\":\"a\"}");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cfg.activity_redact, sizeof(cfg.activity_redact), "%s",
		    cases[i].redact);
		memset(&r, 0, sizeof(r));
		r.method = "POST";
		r.resource = "Users";
		r.status = 201;
		r.body = cases[i].body;
		r.body_json = true;
		r.answer = answer;
		r.answer_text = "{\"id\":\"u1\",  \"userName\":\"a\"}";
		r.answer_len = strlen(r.answer_text);
		line = activity_format(&cfg, &r, NULL, NULL, &len);
		snprintf(want, sizeof(want), ",\"body\":%s,", cases[i].body);
		is_int(line != NULL && strstr(line, want) != NULL,
		    cases[i].as_sent, cases[i].body);
		ok(cases[i].hidden == NULL || strstr(line, cases[i].hidden) ==
		    NULL, "nothing redacted is kept");
		rec = cJSON_Parse(line);
		ok(cJSON_IsObject(cJSON_GetObjectItem(rec, "body")),
		    "the body is the JSON object");
		is_str(json_str(cJSON_GetObjectItem(rec, "target"), "name"), "a",
		    "the user is named");
		if (cfg.activity_redact[0] == '\0')
			ok(line != NULL && strstr(line, "\"after\":{\"id\":\"u1\","
			    "  \"userName\"") != NULL, "after: the text sent");
		cJSON_Delete(rec);
		free(line);
	}
	cJSON_Delete(answer);
}

/* Make dir/name of size bytes, last written age_days ago. */
static void
make_file(const char *dir, int64_t start, size_t size, int age_days,
    const char *line)
{
	char		 path[4200];
	struct timeval	 tv[2];
	FILE		*f;
	size_t		 i;

	snprintf(path, sizeof(path), "%s/%016llx-1.jsonl", dir,
	    (unsigned long long)start);
	f = fopen(path, "w");
	if (line != NULL)
		fputs(line, f);
	for (i = line ? strlen(line) : 0; i < size; i++)
		fputc(i % 100 == 99 ? '\n' : ' ', f);
	fclose(f);
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= age_days * 86400;
	tv[1] = tv[0];
	utimes(path, tv);
}

static unsigned
count_files(const char *dir)
{
	char	 cmd[4300], buf[32] = "";
	FILE	*p;

	snprintf(cmd, sizeof(cmd), "ls %s | wc -l", dir);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), p) == NULL)
			buf[0] = '\0';
		pclose(p);
	}
	return (unsigned)atoi(buf);
}

static void
test_files(void)
{
	struct scim_config		 cfg;
	struct activity_prune_stats	 st;
	struct activity_query		 q;
	struct activity_req		 r;
	struct scim_error		 err;
	struct tmp_store		 ts;
	char				 dir[4200], line[256];
	int64_t				 now = util_now_usec();
	int64_t				 old = now - 20LL * 86400 * 1000000;
	cJSON				*out = NULL;

	if (!tmp_store_init(&ts, "activity", &cfg))
		goto out;
	cfg.activity_retention_days = 14;
	cfg.activity_max_mb = 1;
	snprintf(dir, sizeof(dir), "%s/activity", cfg.home);
	mkdir(dir, 0750);

	/* One request recorded by this process. */
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.resource = "Users";
	r.tenant = "default";
	r.status = 200;
	r.start_usec = now;
	r.end_usec = now + 100;
	activity_record(&cfg, NULL, &r, NULL);
	/* An expired file, with an expired record in a recent file too. */
	snprintf(line, sizeof(line), "{\"id\":\"%016llx00000000\",\"tenant\":"
	    "\"default\",\"status\":500}\n", (unsigned long long)old);
	make_file(dir, old, 200, 20, line);
	make_file(dir, old + 1, 200, 0, line);
	memset(&q, 0, sizeof(q));
	ok(activity_query(&cfg, &q, &out, &err) == SCIM_OK, "query");
	is_int(cJSON_GetArraySize(out), 1, "records past retention are not "
	    "shown");
	cJSON_Delete(out);
	activity_prune(&cfg, 0, &st);
	is_int((long long)st.files, 1, "prune deletes the expired file");

	/* The cap: three 600 KB files, 1 MiB allowed. */
	make_file(dir, now - 3000, 600 * 1024, 0, NULL);
	make_file(dir, now - 2000, 600 * 1024, 0, NULL);
	make_file(dir, now - 1000, 600 * 1024, 0, NULL);
	activity_prune(&cfg, 0, &st);
	is_int((long long)st.files, 3, "the cap deletes the oldest files");
	is_int(count_files(dir), 2, "the newest 600 KB file and this "
	    "process's are kept");
	q.errors = true;
	ok(activity_query(&cfg, &q, &out, &err) == SCIM_OK &&
	    cJSON_GetArraySize(out) == 0, "--errors: no status >= 400 left");
	cJSON_Delete(out);
out:
	tmp_store_done(&ts);
}

int
main(void)
{
	test_client();
	test_redact();
	test_words();
	test_notes_and_cap();
	test_body_as_sent();
	test_escape();
	test_escape_controls();
	test_escape_places();
	test_escape_cap();
	test_body_plain();
	test_files();
	return tap_done();
}
