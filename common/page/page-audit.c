/*
 * The audit log section of the admin page: its filters and paging come
 * from the query string of a GET (so it works without JavaScript), one
 * page of events is read through audit_query_tenant() (audit/audit.h,
 * which also knows which tenant-less refusals an owner sees), and this
 * file only shows them: the filter form, a notice for ignored filters,
 * the rows, the pager.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/admin.h"
#include "auth/token-ops.h"
#include "base/json.h"
#include "base/lex.h"
#include "base/util.h"
#include "page/page-int.h"

#define EVENTS_SHOWN	25		/* audit log rows per page */
#define TARGET_MAX	256		/* longest target filter accepted */
#define DETAIL_MAX	80		/* bytes of one detail value shown */

static const char *const log_categories[][2] = {
	{ "scim", "SCIM" }, { "tokens", "Tokens" }, { "auth", "Auth" },
	{ "admin", "Admin" }, { "roles", "Roles" }, { "sync", "Sync" },
	{ "safety", "Safety" },
};

/* Add one sentence to the filter notice. */
static void
notice(struct page_log_filter *f, const char *what, const char *value,
    const char *why)
{
	if (f->notice.len > 0)
		page_puts(&f->notice, " ");
	page_esc(&f->notice, what);
	if (value != NULL) {
		page_puts(&f->notice, " “");
		page_esc(&f->notice, value);
		page_puts(&f->notice, "”");
	}
	page_puts(&f->notice, " ");
	page_esc(&f->notice, why);
}

/*
 * Read one time bound, value (NULL or "" for none; end: the bound is the
 * end of what it names), into *usec and *shown, or explain in f's notice
 * why it was ignored.
 */
static void
bound_read(struct page_log_filter *f, const char *what, const char *value,
    bool end, int64_t *usec, const char **shown)
{
	if (value == NULL || *value == '\0')
		return;
	if (lex_when(value, end, util_now_usec(), usec))
		*shown = value;
	else
		notice(f, what, value, "is not a date (YYYY-MM-DD, optionally "
		    "THH:MM) and was ignored.");
}

/*
 * Read the filters from the query string.  A value that is not valid is
 * left out of the query and explained in f->notice (which the caller
 * frees with page_buf_free), so a bad link still shows a page.
 */
void
page_log_filter_read(const struct http_req *req, struct page_log_filter *f)
{
	const char	*cat = http_param(req, "category");
	const char	*target = http_param(req, "target");
	const char	*since = http_param(req, "since");
	const char	*until = http_param(req, "until");
	const char	*before = http_param(req, "before");
	size_t		 i;

	memset(f, 0, sizeof(*f));
	if (cat != NULL && *cat != '\0') {
		for (i = 0; i < sizeof(log_categories) /
		    sizeof(log_categories[0]); i++)
			if (strcmp(cat, log_categories[i][0]) == 0)
				f->category = log_categories[i][0];
		if (f->category == NULL)
			notice(f, "Unknown category", cat, "(choose SCIM, "
			    "Tokens, Auth, Admin, Roles, Sync or Safety): "
			    "showing all categories.");
	}
	if (target != NULL && *target != '\0') {
		if (strlen(target) > TARGET_MAX)
			notice(f, "The target filter is longer than 256 "
			    "bytes", NULL, "and was ignored.");
		else
			f->target = target;
	}
	bound_read(f, "“Since”", since, false, &f->since, &f->since_s);
	bound_read(f, "“Until”", until, true, &f->until, &f->until_s);
	if (f->since != 0 && f->until != 0 && f->since > f->until)
		notice(f, "“Since” is after “until”:", NULL,
		    "no event can match.");
	if (before != NULL && *before != '\0') {
		if (audit_id_valid(before))
			f->before = before;
		else
			notice(f, "The paging position", before,
			    "is not an event id: showing the newest events.");
	}
}

void
page_query_add(struct jtext *q, const char *name, const char *value)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;

	if (value == NULL)
		return;
	page_puts(q, q->len > 0 ? "&" : "?");
	page_puts(q, name);
	page_puts(q, "=");
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			page_put_n(q, (const char *)p, 1);
		else
			page_printf(q, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
}

/* An <a> to the page with the valid filters and, if given, before. */
static void
log_link(struct page_req *pr, const struct page_log_filter *f,
    const char *before, const char *cls, const char *text)
{
	struct jtext	 q;

	memset(&q, 0, sizeof(q));
	page_query_add(&q, "category", f->category);
	page_query_add(&q, "target", f->target);
	page_query_add(&q, "since", f->since_s);
	page_query_add(&q, "until", f->until_s);
	page_query_add(&q, "before", before);
	page_link(pr, "/audit", &q, cls, text);
	page_buf_free(&q);
}

void
page_link(struct page_req *pr, const char *sub, const struct jtext *q,
    const char *cls, const char *text)
{
	page_printf(&pr->html, "<a class=\"%s\" href=\"", cls);
	page_esc(&pr->html, pr->base);
	page_puts(&pr->html, sub);
	page_esc(&pr->html, q->p);
	page_puts(&pr->html, "\">");
	page_puts(&pr->html, text);
	page_puts(&pr->html, "</a>");
}

/*
 * Read one page of the log into v->events: EVENTS_SHOWN events and one
 * more, which only tells whether there is an older page.  Owners also
 * see the tenant-less refusals of their own tokens.
 */
enum scim_err
page_log_read(struct page_req *pr, struct page_view *v,
    const struct page_log_filter *f, struct scim_error *err)
{
	struct audit_query	 q;

	memset(&q, 0, sizeof(q));
	q.tenant = pr->sess.tenant;
	q.category = f->category;
	q.target = f->target;
	q.since = f->since;
	q.until = f->until;
	q.before = f->before;
	q.limit = EVENTS_SHOWN + 1;
	return audit_query_tenant(pr->pc->store, &q,
	    pr->sess.role == ADMIN_ROLE_OWNER ? v->tokens : NULL, &v->events,
	    err);
}

/* An audit time ("2026-11-22T10:47:31.123Z") as "2026-11-22 10:47:31 UTC". */
static void
event_time(struct jtext *b, const char *t)
{
	char	 d[11], hms[9];

	if (strlen(t) < 19 || t[10] != 'T') {
		page_esc(b, t);
		return;
	}
	memcpy(d, t, 10);
	d[10] = '\0';
	memcpy(hms, t + 11, 8);
	hms[8] = '\0';
	page_puts(b, "<span class=\"nw\">");
	page_esc(b, d);
	page_puts(b, "</span> <span class=\"nw\">");
	page_esc(b, hms);
	page_puts(b, " UTC</span>");
}

/* Text cut to at most DETAIL_MAX bytes on a UTF-8 boundary, then "…". */
static void
esc_short(struct jtext *b, const char *text)
{
	char	 cut[DETAIL_MAX + 1];
	size_t	 n = strlen(text);

	if (n <= DETAIL_MAX) {
		page_esc(b, text);
		return;
	}
	n = DETAIL_MAX;
	while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
		n--;
	memcpy(cut, text, n);
	cut[n] = '\0';
	page_esc(b, cut);
	page_puts(b, "…");
}

/* An event's details object as "name: value" pairs, long values cut. */
static void
details(struct jtext *b, const cJSON *d)
{
	const cJSON	*v;
	char		*text;
	bool		 first = true;

	cJSON_ArrayForEach(v, d) {
		if (!first)
			page_puts(b, "; ");
		first = false;
		page_esc(b, v->string);
		page_puts(b, ": ");
		if (cJSON_IsString(v))
			esc_short(b, v->valuestring);
		else if ((text = cJSON_PrintUnformatted(v)) != NULL) {
			esc_short(b, text);
			free(text);
		}
	}
}

static void
log_form(struct page_req *pr, const struct page_log_filter *f)
{
	struct jtext	*b = &pr->html;
	size_t		 i;

	page_puts(b, "<form method=\"get\" action=\"");
	page_esc(b, pr->base);
	page_puts(b, "/audit\" class=\"form-row filters\" id=\"audit-filter\">"
	    "<label>Category<select name=\"category\">"
	    "<option value=\"\">All</option>");
	for (i = 0; i < sizeof(log_categories) / sizeof(log_categories[0]);
	    i++)
		page_printf(b, "<option value=\"%s\"%s>%s</option>",
		    log_categories[i][0], f->category != NULL &&
		    strcmp(f->category, log_categories[i][0]) == 0 ?
		    " selected" : "", log_categories[i][1]);
	page_puts(b, "</select></label>");
	page_labelled_input(b, "Target (id or name)", "text", "target",
	    " maxlength=\"" STR(TARGET_MAX) "\" placeholder=\"e.g. "
	    "alice@example.com\"", f->target ? f->target : "");
	page_labelled_input(b, "Since (UTC)", "date", "since", "",
	    f->since_s ? f->since_s : "");
	page_labelled_input(b, "Until (UTC)", "date", "until", "",
	    f->until_s ? f->until_s : "");
	page_puts(b, "<button class=\"primary\" type=\"submit\">"
	    "Filter</button><a id=\"audit-clear\" href=\"");
	page_esc(b, pr->base);
	page_puts(b, "/audit\">Clear</a></form>\n");
}

static void
log_row(struct jtext *b, const cJSON *e)
{
	const cJSON	*tg = cJSON_GetObjectItemCaseSensitive(e, "target");
	const char	*outcome = json_str(e, "outcome");

	page_puts(b, "<tr data-id=\"");
	page_esc(b, json_str(e, "id"));
	page_puts(b, "\" data-category=\"");
	page_esc(b, json_str(e, "category"));
	page_puts(b, "\"><td class=\"t\">");
	event_time(b, json_str(e, "time"));
	page_puts(b, "</td><td class=\"type\"><code>");
	page_esc(b, json_str(e, "type"));
	page_puts(b, "</code>");
	if (*json_str(e, "tenant") == '\0')
		page_puts(b, " <span class=\"muted\">(no tenant)</span>");
	page_puts(b, "</td>");
	page_td_text(b, NULL, json_str(e, "actor"));
	page_puts(b, "<td class=\"target\">");
	if (*json_str(tg, "name") != '\0')
		page_esc(b, json_str(tg, "name"));
	if (*json_str(tg, "name") != '\0' && *json_str(tg, "id") != '\0')
		page_puts(b, "<br>");
	if (*json_str(tg, "id") != '\0') {
		page_puts(b, "<code>");
		page_esc(b, json_str(tg, "id"));
		page_puts(b, "</code>");
	}
	page_puts(b, "</td>");
	page_td_badge(b, strcmp(outcome, "failure") == 0 ? "failure" : "success",
	    outcome);
	page_puts(b, "<td class=\"d\">");
	details(b, cJSON_GetObjectItemCaseSensitive(e, "details"));
	page_puts(b, "</td></tr>\n");
}

const char *
page_log_table(struct page_req *pr, const cJSON *events, unsigned max)
{
	struct jtext	*b = &pr->html;
	const cJSON	*e;
	const char	*last = NULL;
	unsigned	 n = 0;

	page_puts(b, "<div class=\"scroll\"><table id=\"events\">"
	    "<thead><tr><th>Time</th><th>Event</th><th>Actor</th>"
	    "<th>Target</th><th>Outcome</th><th>Details</th></tr>"
	    "</thead><tbody>\n");
	cJSON_ArrayForEach(e, events) {
		if (n == max)
			break;
		log_row(b, e);
		last = json_str(e, "id");
		n++;
	}
	page_puts(b, "</tbody></table></div>");
	return last;
}

/* The audit log section: filter form, notice, one page of events. */
void
page_log_section(struct page_req *pr, const struct page_view *v,
    const struct page_log_filter *f)
{
	struct jtext	*b = &pr->html;
	const char	*last = NULL;
	unsigned	 total = (unsigned)cJSON_GetArraySize(v->events);
	bool		 filtered = f->category || f->target || f->since ||
			    f->until;

	page_puts(b, "<section class=\"card\" id=\"audit\">"
	    "<p class=\"muted\">What was done in this tenant, newest first");
	if (pr->sess.role == ADMIN_ROLE_OWNER)
		page_puts(b, ", with refused requests that named one of its "
		    "tokens");
	page_puts(b, ". Times are UTC.</p>");
	log_form(pr, f);
	if (f->notice.len > 0) {
		page_puts(b, "<div class=\"banner warn\" role=\"status\" "
		    "id=\"audit-notice\">");
		page_puts(b, f->notice.p);
		page_puts(b, "</div>");
	}
	if (total == 0) {
		page_printf(b, "<p class=\"muted\" id=\"audit-empty\">%s</p>",
		    f->before ? "No older events." : filtered ?
		    "No event matches these filters." : "Nothing yet.");
	} else {
		last = page_log_table(pr, v->events, EVENTS_SHOWN);
	}
	if (f->before != NULL || total > EVENTS_SHOWN) {
		page_puts(b, "<nav class=\"pager\" aria-label=\"Audit log "
		    "pages\">");
		if (f->before != NULL)
			log_link(pr, f, NULL, "newest", "← Newest");
		if (total > EVENTS_SHOWN && last != NULL)
			log_link(pr, f, last, "older", "Older events →");
		page_puts(b, "</nav>");
	}
	page_puts(b, "</section>\n");
}


/*
 * GET <base>/audit (and <base> with a filter of the log): the log's tab.
 * Owners' tokens are read too, for the refused requests that name one.
 */
void
page_audit_tab(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct page_log_filter	 f;
	struct page_view	 v;

	memset(&v, 0, sizeof(v));
	v.tenant = pr->sess.tenant;
	v.now = util_now_usec();
	page_log_filter_read(pr->req, &f);
	if ((pr->sess.role == ADMIN_ROLE_OWNER && token_ops_list(pr->pc->store,
	    v.tenant, v.now, &v.tokens, &v.live, &err) != SCIM_OK) ||
	    page_log_read(pr, &v, &f, &err) != SCIM_OK) {
		page_unavailable(pr, "The audit log", &err);
		goto out;
	}
	if (f.notice.oom)
		pr->html.oom = true;
	page_tab_head(pr, "Audit log", "/audit");
	page_log_section(pr, &v, &f);
	page_foot(pr);
	page_finish(pr, 200);
out:
	page_buf_free(&f.notice);
	cJSON_Delete(v.tokens);
	cJSON_Delete(v.events);
}
