/*
 * The Activity tab: the provisioning requests the activity recorder kept
 * (audit/activity.h), for the operator who reads why Entra ID or Okta
 * says "Failure".  GET <base>/activity lists the tenant's requests newest
 * first, ACT_SHOWN at a time, filtered by outcome (errors=1), client,
 * user (a userName or id) and since/until (the audit log's forms), paged
 * with "before" (the id of the last one shown).  GET <base>/activity?id=
 * shows one request: every field, the body as recorded (redacted when it
 * was recorded), its notes, and the resource before and after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/activity.h"
#include "base/json.h"
#include "page/page-int.h"

#define ACT_SHOWN	50		/* rows per page */
#define ACT_FIELD_MAX	256		/* longest client or user filter */

/* The filters of the query string; ill-formed ones are left out. */
struct act_filter {
	struct page_log_filter	 log;	/* since, until, before */
	bool			 errors;
	const char		*client;
	const char		*user;
};

static const char *
act_param(const struct http_req *req, const char *name)
{
	const char	*v = http_param(req, name);

	return v == NULL || *v == '\0' || strlen(v) > ACT_FIELD_MAX ? NULL : v;
}

static void
act_filter_read(const struct http_req *req, struct act_filter *f)
{
	const char	*e = http_param(req, "errors");

	page_log_filter_read(req, &f->log);
	f->errors = e != NULL && strcmp(e, "1") == 0;
	f->client = act_param(req, "client");
	f->user = act_param(req, "user");
}

/* An <a> to the list with f's filters and one more (name=value). */
static void
act_link(struct page_req *pr, const struct act_filter *f, const char *name,
    const char *value, const char *cls, const char *text)
{
	struct jtext	 q;

	memset(&q, 0, sizeof(q));
	page_query_add(&q, "errors", f->errors ? "1" : NULL);
	page_query_add(&q, "client", f->client);
	page_query_add(&q, "user", f->user);
	page_query_add(&q, "since", f->log.since_s);
	page_query_add(&q, "until", f->log.until_s);
	page_query_add(&q, name, value);
	page_link(pr, "/activity", &q, cls, text);
	page_buf_free(&q);
}

static void
act_form(struct page_req *pr, const struct act_filter *f)
{
	struct jtext	*b = &pr->html;

	page_puts(b, "<form method=\"get\" action=\"");
	page_esc(b, pr->base);
	page_printf(b, "/activity\" class=\"form-row filters\" "
	    "id=\"activity-filter\"><label>Outcome<select name=\"errors\">"
	    "<option value=\"\">all</option><option value=\"1\"%s>errors"
	    "</option></select></label>", f->errors ? " selected" : "");
	page_labelled_input(b, "Client", "text", "client", " maxlength=\""
	    STR(ACT_FIELD_MAX) "\" placeholder=\"e.g. Microsoft Entra ID\"",
	    f->client ? f->client : "");
	page_labelled_input(b, "User (userName or id)", "text", "user",
	    " maxlength=\"" STR(ACT_FIELD_MAX) "\"", f->user ? f->user : "");
	page_labelled_input(b, "Since (UTC)", "text", "since",
	    " placeholder=\"YYYY-MM-DD\"", f->log.since_s ? f->log.since_s :
	    "");
	page_labelled_input(b, "Until (UTC)", "text", "until",
	    " placeholder=\"YYYY-MM-DD\"", f->log.until_s ? f->log.until_s :
	    "");
	page_puts(b, "<button class=\"primary\" type=\"submit\">Filter"
	    "</button><a id=\"activity-clear\" href=\"");
	page_esc(b, pr->base);
	page_puts(b, "/activity\">Clear</a></form>\n");
}

/*
 * A link to request id showing its RFC 3339 time t as "YYYY-MM-DD
 * HH:MM:SS" (shorter on a phone).
 */
static void
act_time(struct page_req *pr, const char *id, const char *t)
{
	char	 s[20];

	snprintf(s, sizeof(s), "%s", t);
	if (strlen(s) > 10)
		s[10] = ' ';
	page_id_link(pr, "/activity", id, s);
}

static void
act_row(struct page_req *pr, const cJSON *r)
{
	struct jtext	*b = &pr->html;
	long long	 st = (long long)json_int(r, "status");

	page_puts(b, "<tr data-id=\"");
	page_esc(b, json_str(r, "id"));
	page_puts(b, "\"><td data-label=\"Time\" class=\"time\">");
	act_time(pr, json_str(r, "id"), json_str(r, "time"));
	page_puts(b, "</td>");
	page_td_labelled(b, "Client", "client", json_str(r, "client"));
	page_puts(b, "<td data-label=\"Request\" class=\"req\"><code>");
	page_esc(b, json_str(r, "method"));
	page_puts(b, " ");
	page_esc(b, json_str(r, "path"));
	page_puts(b, "</code></td>");
	page_printf(b, "<td data-label=\"Status\" class=\"st\"><span class="
	    "\"badge b-%s\">%lld</span></td>", st >= 400 ? "expired" :
	    "active", st);
	page_td_labelled(b, "Action", "action", json_str(r, "action"));
	page_printf(b, "<td data-label=\"Duration\" class=\"dur\">%lld ms"
	    "</td></tr>\n", (long long)json_int(r, "duration_ms"));
}

void
page_activity_table(struct page_req *pr, const char *id, const cJSON *rows,
    unsigned max)
{
	struct jtext	*b = &pr->html;
	const cJSON	*r;
	unsigned	 i = 0;

	page_printf(b, "<div class=\"scroll\"><table id=\"%s\" class=\"cards"
	    "\"><thead><tr><th>Time (UTC)</th><th>Client</th><th>Request</th>"
	    "<th>Status</th><th>Action</th><th>Duration</th></tr></thead>"
	    "<tbody>\n", id);
	cJSON_ArrayForEach(r, rows)
		if (i++ < max)
			act_row(pr, r);
	page_puts(b, "</tbody></table></div>");
}

static void
act_list(struct page_req *pr)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	struct act_filter	 f;
	struct activity_query	 q;
	cJSON			*rows = NULL;
	const cJSON		*last;
	int			 n;

	memset(&f, 0, sizeof(f));
	act_filter_read(pr->req, &f);
	memset(&q, 0, sizeof(q));
	q.tenant = pr->sess.tenant;
	q.errors = f.errors;
	q.client = f.client;
	q.user = f.user;
	q.since = f.log.since;
	q.until = f.log.until;
	q.before = f.log.before;
	q.limit = ACT_SHOWN + 1;	/* one more: is there an older page? */
	if (activity_query(pr->cfg, &q, &rows, &err) != SCIM_OK) {
		page_unavailable(pr, "The activity records", &err);
		goto out;
	}
	page_tab_head(pr, "Activity", "/activity");
	page_puts(b, "<section class=\"card\" id=\"activity\"><p class=\""
	    "muted\">The SCIM requests your provisioning client made, newest "
	    "first. Secrets in request bodies were removed when recorded.</p>");
	if (f.log.notice.p != NULL) {
		page_puts(b, "<p class=\"banner warn\" id=\"activity-notice\">");
		page_puts(b, f.log.notice.p);
		page_puts(b, "</p>");
	}
	act_form(pr, &f);
	n = cJSON_GetArraySize(rows);
	if (n == 0)
		page_puts(b, "<p class=\"muted\" id=\"activity-empty\">No "
		    "request matches.</p>");
	else
		page_activity_table(pr, "activitylist", rows, ACT_SHOWN);
	if (n > ACT_SHOWN) {
		last = cJSON_GetArrayItem(rows, ACT_SHOWN - 1);
		page_puts(b, "<nav class=\"pager\" aria-label=\"Activity "
		    "pages\">");
		act_link(pr, &f, "before", json_str(last, "id"), "next",
		    "Older →");
		page_puts(b, "</nav>");
	}
	page_puts(b, "</section>\n");
	page_foot(pr);
	page_finish(pr, 200);
out:
	page_buf_free(&f.log.notice);
	cJSON_Delete(rows);
}

/* A term and its escaped value, "-" when empty. */
static void
act_fact(struct jtext *b, const char *id, const char *term,
    const char *value)
{
	page_printf(b, "<dt>%s</dt><dd id=\"act-%s\">", term, id);
	page_esc(b, value != NULL && *value ? value : "-");
	page_puts(b, "</dd>");
}

/* v pretty-printed and escaped in a <pre>, or "none". */
static void
act_json(struct jtext *b, const char *id, const char *title,
    const cJSON *v)
{
	char	*s;

	page_printf(b, "<h3>%s</h3>", title);
	if (v == NULL || cJSON_IsNull(v)) {
		page_printf(b, "<p class=\"muted\" id=\"act-%s\">none</p>", id);
		return;
	}
	s = cJSON_IsString(v) ? NULL : cJSON_Print(v);
	page_printf(b, "<pre class=\"scroll json\" id=\"act-%s\">", id);
	page_esc(b, s != NULL ? s : cJSON_IsString(v) ? v->valuestring : "");
	page_puts(b, "</pre>");
	cJSON_free(s);
}

static void
act_detail(struct page_req *pr, const char *id)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	const cJSON		*tk, *tg, *e;
	cJSON			*r = NULL;
	char			 num[64];
	enum scim_err		 rc;

	rc = activity_get(pr->cfg, pr->sess.tenant, id, &r, &err);
	if (rc == SCIM_E_NOT_FOUND) {
		page_message(pr, 404, "No such request", "No request with "
		    "that id is kept for this tenant.");
		return;
	}
	if (rc != SCIM_OK) {
		page_unavailable(pr, "The activity records", &err);
		return;
	}
	tk = cJSON_GetObjectItemCaseSensitive(r, "token");
	tg = cJSON_GetObjectItemCaseSensitive(r, "target");
	page_tab_head(pr, "Request", "/activity");
	page_puts(b, "<section class=\"card\" id=\"request\"><h2><code>");
	page_esc(b, json_str(r, "method"));
	page_puts(b, " ");
	page_esc(b, json_str(r, "path"));
	page_puts(b, "</code></h2><dl class=\"facts\">");
	act_fact(b, "id", "id", json_str(r, "id"));
	act_fact(b, "time", "Time", json_str(r, "time"));
	act_fact(b, "client", "Client", json_str(r, "client"));
	act_fact(b, "ua", "User-Agent", json_str(r, "user_agent"));
	act_fact(b, "token", "Token", json_str(tk, "label"));
	act_fact(b, "token-id", "Token id", json_str(tk, "id"));
	act_fact(b, "query", "Query", json_str(r, "query"));
	snprintf(num, sizeof(num), "%lld", (long long)json_int(r, "status"));
	act_fact(b, "status", "Status", num);
	act_fact(b, "scimtype", "scimType", json_str(r, "scimType"));
	act_fact(b, "detail", "Detail", json_str(r, "detail"));
	act_fact(b, "action", "Action", json_str(r, "action"));
	act_fact(b, "target", "Target", json_str(tg, "name"));
	snprintf(num, sizeof(num), "%lld ms",
	    (long long)json_int(r, "duration_ms"));
	act_fact(b, "duration", "Duration", num);
	page_puts(b, "<dt>Notes</dt><dd id=\"act-notes\">");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "notes")) {
		page_puts(b, "<div>");
		page_esc(b, cJSON_IsString(e) ? e->valuestring : "");
		page_puts(b, "</div>");
	}
	page_puts(b, "</dd></dl>");
	act_json(b, "body", "Request body", cJSON_GetObjectItemCaseSensitive(r,
	    "body"));
	act_json(b, "before", "Before", cJSON_GetObjectItemCaseSensitive(r,
	    "before"));
	act_json(b, "after", "After", cJSON_GetObjectItemCaseSensitive(r,
	    "after"));
	page_puts(b, "</section>\n");
	page_foot(pr);
	page_finish(pr, 200);
	cJSON_Delete(r);
}

/* GET <base>/activity, or with id=, one request. */
void
page_activity_tab(struct page_req *pr)
{
	const char	*id = http_param(pr->req, "id");

	if (id != NULL && *id != '\0')
		act_detail(pr, id);
	else
		act_list(pr);
}
