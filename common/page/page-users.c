/*
 * The Users tab (read-only: the SCIM client is the source of truth).
 * GET <base>/users lists the tenant's users 50 at a time in name order,
 * searched by the start of the userName (or an exact email), filtered by
 * status, role and managedBy, paged with "after"/"before" (the name the
 * next page starts after, or the previous ends before).  What a page
 * view costs is roles/directory.h's: at most DIR_SCAN_MAX users passed,
 * and then one record read per row shown, for its last change (the
 * directory's rows carry what the gate needs, not meta).
 * GET <base>/users?id=<id> shows one user: its main attributes, groups,
 * role and the mapping that gave it, managedBy, its history: the SCIM
 * requests about it that the activity recorder kept (time, client,
 * request, status, action, each linking to the request's detail on the
 * Activity tab, which also lists them all), and its audit events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/activity.h"
#include "audit/audit.h"
#include "base/json.h"
#include "page/page-int.h"
#include "roles/directory.h"
#include "roles/roles.h"

#define USERS_SHOWN	50		/* rows per page */
#define USER_EVENTS	25		/* a user's audit events shown */
#define USER_HISTORY	20		/* a user's SCIM requests shown */
#define SEARCH_MAX	256		/* longest search accepted */

static const char *const users_status[] = { "active", "blocked" };
static const char *const users_roles[] = { "owner", "admin", "member",
    "none" };
static const char *const users_managed[] = { "scim", "sync", "admin",
    "unknown" };

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* value if it is one of list's n words, else NULL. */
static const char *
users_word(const char *value, const char *const *list, size_t n)
{
	size_t	 i;

	for (i = 0; value != NULL && i < n; i++)
		if (strcmp(value, list[i]) == 0)
			return list[i];
	return NULL;
}

/* The filters from the query string; ill-formed ones are left out. */
static void
users_query(const struct http_req *req, struct dir_user_query *q)
{
	const char	*role = users_word(http_param(req, "role"), users_roles,
			    NELEM(users_roles));
	const char	*st = users_word(http_param(req, "status"),
			    users_status, NELEM(users_status));
	enum role	 r;

	memset(q, 0, sizeof(*q));
	q->q = http_param(req, "q");
	if (q->q != NULL && (*q->q == '\0' || strlen(q->q) > SEARCH_MAX))
		q->q = NULL;
	q->active = st == NULL ? -1 : strcmp(st, "active") == 0;
	q->role = role != NULL && role_parse(role, &r) ? (int)r : -1;
	q->managed = users_word(http_param(req, "managed"), users_managed,
	    NELEM(users_managed));
	q->after = http_param(req, "after");
	q->before = http_param(req, "before");
	if (q->after != NULL && (*q->after == '\0' || q->before != NULL))
		q->after = NULL;
	if (q->before != NULL && *q->before == '\0')
		q->before = NULL;
	q->limit = USERS_SHOWN;
}

/* The query string of q's filters, with one paging bound. */
static void
users_link(struct page_req *pr, const struct dir_user_query *q,
    const char *bound, const char *value, const char *cls, const char *text)
{
	struct jtext	 s;

	memset(&s, 0, sizeof(s));
	page_query_add(&s, "q", q->q);
	page_query_add(&s, "status", q->active < 0 ? NULL :
	    users_status[q->active ? 0 : 1]);
	page_query_add(&s, "role", q->role < 0 ? NULL :
	    role_name((enum role)q->role));
	page_query_add(&s, "managed", q->managed);
	page_query_add(&s, bound, value);
	page_link(pr, "/users", &s, cls, text);
	page_buf_free(&s);
}

/* A <select> of name with "any" and list's words, chosen selected. */
static void
users_select(struct jtext *b, const char *label, const char *name,
    const char *const *list, size_t n, const char *chosen)
{
	size_t	 i;

	page_printf(b, "<label>%s<select name=\"%s\"><option value=\"\">any"
	    "</option>", label, name);
	for (i = 0; i < n; i++)
		page_printf(b, "<option value=\"%s\"%s>%s</option>", list[i],
		    chosen != NULL && strcmp(chosen, list[i]) == 0 ?
		    " selected" : "", list[i]);
	page_puts(b, "</select></label>");
}

static void
users_form(struct page_req *pr, const struct dir_user_query *q)
{
	struct jtext	*b = &pr->html;

	page_puts(b, "<form method=\"get\" action=\"");
	page_esc(b, pr->base);
	page_puts(b, "/users\" class=\"form-row filters\" id=\"users-filter\">");
	page_labelled_input(b, "Search: start of userName, or an email",
	    "text", "q", " maxlength=\"" STR(SEARCH_MAX) "\" placeholder="
	    "\"e.g. alice or alice@example.com\"", q->q ? q->q : "");
	users_select(b, "Status", "status", users_status, NELEM(users_status),
	    q->active < 0 ? NULL : users_status[q->active ? 0 : 1]);
	users_select(b, "Role", "role", users_roles, NELEM(users_roles),
	    q->role < 0 ? NULL : role_name((enum role)q->role));
	users_select(b, "Managed by", "managed", users_managed,
	    NELEM(users_managed), q->managed);
	page_puts(b, "<button class=\"primary\" type=\"submit\">Filter"
	    "</button><a id=\"users-clear\" href=\"");
	page_esc(b, pr->base);
	page_puts(b, "/users\">Clear</a></form>\n");
}

/* managedBy as shown: "scim (token <id>)", "sync", "admin", "unknown". */
static void
users_managed_by(struct jtext *b, const char *by)
{
	if (*by == '\0')
		page_puts(b, "<span class=\"muted\">unknown</span>");
	else if (strncmp(by, "scim:", 5) == 0) {
		page_puts(b, "scim <span class=\"muted\">(token <code>");
		page_esc(b, by + 5);
		page_puts(b, "</code>)</span>");
	} else
		page_esc(b, by);
}

/*
 * The user's last change (meta.lastModified) as "YYYY-MM-DD HH:MM" UTC
 * into out (PAGE_WHEN_LEN + 1 bytes), "-" when it cannot be read.
 */
static void
users_last_change(struct page_req *pr, const char *id, char *out)
{
	struct scim_error	 err = { SCIM_OK, "" };
	cJSON			*rec = NULL;
	const char		*t;

	snprintf(out, PAGE_WHEN_LEN + 1, "-");
	if (dir_user_record(pr->pc->store, pr->sess.tenant, id, &rec,
	    &err) != SCIM_OK)
		return;
	t = json_str(cJSON_GetObjectItemCaseSensitive(rec, "meta"),
	    "lastModified");
	if (strlen(t) >= 16)
		snprintf(out, PAGE_WHEN_LEN + 1, "%.10s %.5s", t, t + 11);
	cJSON_Delete(rec);
}

static void
users_row(struct page_req *pr, const struct access *a)
{
	struct jtext	*b = &pr->html;
	char		 when[PAGE_WHEN_LEN + 1];
	size_t		 i, shown = 0;

	page_puts(b, "<tr data-id=\"");
	page_esc(b, a->id);
	page_puts(b, "\"><td data-label=\"userName\" class=\"un\">");
	page_id_link(pr, "/users", a->id, a->user_name);
	page_puts(b, "</td><td data-label=\"displayName\">");
	page_esc(b, a->display_name);
	page_printf(b, "</td><td data-label=\"Status\" class=\"st\"><span "
	    "class=\"badge b-%s\">%s</span></td>", a->active ? "active" :
	    "expired", a->active ? "active" : "blocked");
	page_puts(b, "<td data-label=\"Role\" class=\"role\">");
	page_esc(b, role_name(a->role));
	page_puts(b, "</td><td data-label=\"Managed by\" class=\"mb\">");
	users_managed_by(b, a->managed_by);
	page_puts(b, "</td><td data-label=\"Groups\" class=\"groups\">");
	for (i = 0; i < a->ngroups; i++) {
		if (!a->groups[i].direct)
			continue;
		if (shown++ > 0)
			page_puts(b, ", ");
		page_esc(b, *a->groups[i].display_name ?
		    a->groups[i].display_name : a->groups[i].id);
	}
	page_puts(b, "</td>");
	users_last_change(pr, a->id, when);
	page_td_labelled(b, "Last change (UTC)", "lc", when);
	page_puts(b, "</tr>\n");
}

/* Previous and next links, and a note when the walk was cut short. */
static void
users_pager(struct page_req *pr, const struct dir_user_query *q,
    const struct dir_users *p)
{
	struct jtext	*b = &pr->html;
	bool		 back = q->before != NULL;
	bool		 prev = back ? p->more || p->cut : q->after != NULL;
	bool		 next = back || p->more || p->cut;
	const char	*first = p->n > 0 ? p->v[0].lname : NULL;
	const char	*last = p->n > 0 ? p->v[p->n - 1].lname : NULL;

	if (p->cut)
		page_printf(b, "<p class=\"banner warn\" id=\"users-cut\">%zu "
		    "users looked at without filling the page; the %s link "
		    "goes on from where this view stopped.</p>", p->passed,
		    back ? "previous" : "next");
	if (!prev && !next)
		return;
	page_puts(b, "<nav class=\"pager\" aria-label=\"Users pages\">");
	if (prev)
		users_link(pr, q, "before", back && p->cut ? p->resume :
		    first != NULL ? first : q->after, "prev", "← Previous");
	if (next)
		users_link(pr, q, "after", !back && p->cut ? p->resume :
		    last != NULL ? last : q->before, "next", "Next →");
	page_puts(b, "</nav>");
}

static void
users_list(struct page_req *pr)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	struct dir_user_query	 q;
	struct dir_users	 p;
	size_t			 i;

	users_query(pr->req, &q);
	if (dir_users_page(pr->pc->store, pr->cfg, pr->sess.tenant, &q, &p,
	    &err) != SCIM_OK) {
		page_unavailable(pr, "The users", &err);
		return;
	}
	page_tab_head(pr, "Users", "/users");
	page_puts(b, "<section class=\"card\" id=\"users\"><p class=\"muted\">"
	    "Entra ID (or your SCIM client) is the source of truth: change "
	    "users there. Search matches the start of the userName (any "
	    "case); a search with an @ also finds the user whose email it "
	    "is.</p>");
	users_form(pr, &q);
	if (p.n == 0)
		page_puts(b, "<p class=\"muted\" id=\"users-empty\">No user "
		    "matches.</p>");
	else {
		page_puts(b, "<div class=\"scroll\"><table id=\"userlist\" "
		    "class=\"cards\"><thead><tr><th>userName</th>"
		    "<th>displayName</th><th>Status</th><th>Role</th>"
		    "<th>Managed by</th><th>Groups</th><th>Last change (UTC)"
		    "</th></tr></thead><tbody>\n");
		for (i = 0; i < p.n; i++)
			users_row(pr, &p.v[i].a);
		page_puts(b, "</tbody></table></div>");
	}
	users_pager(pr, &q, &p);
	page_puts(b, "</section>\n");
	page_foot(pr);
	page_finish(pr, 200);
	dir_users_free(&p);
}

/* One line of the detail's list: a term and its (escaped) value. */
static void
users_fact(struct jtext *b, const char *term, const char *value)
{
	page_printf(b, "<dt>%s</dt><dd>", term);
	page_esc(b, *value ? value : "-");
	page_puts(b, "</dd>");
}

/* Where the role came from: the mapping, the default, or break-glass. */
static void
users_role_source(struct page_req *pr, const struct access *a)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	struct role_map		 map = { NULL, 0 };

	page_puts(b, "<dt>Role</dt><dd id=\"user-role\"><strong>");
	page_esc(b, role_name(a->role));
	page_puts(b, "</strong> <span class=\"muted\">");
	if (a->break_glass)
		page_puts(b, "([gate] always_allow: break-glass)");
	else if (a->mapping < 0)
		page_puts(b, "(no mapping matched: [roles] default)");
	else if (roles_list(pr->pc->store, pr->sess.tenant, &map, &err) ==
	    SCIM_OK && (size_t)a->mapping < map.n) {
		page_printf(b, "(mapping #%d, group “", a->mapping + 1);
		page_esc(b, map.v[a->mapping].group);
		page_puts(b, "”)");
	} else
		page_printf(b, "(mapping #%d)", a->mapping + 1);
	page_puts(b, "</span></dd>");
	roles_free(&map);
}

static void
users_groups(struct page_req *pr, const struct access *a)
{
	struct jtext	*b = &pr->html;
	size_t		 i;

	page_puts(b, "<dt>Groups</dt><dd id=\"user-groups\">");
	if (a->ngroups == 0)
		page_puts(b, "<span class=\"muted\">none</span>");
	for (i = 0; i < a->ngroups; i++) {
		page_id_link(pr, "/groups", a->groups[i].id,
		    *a->groups[i].display_name ? a->groups[i].display_name :
		    a->groups[i].id);
		if (!a->groups[i].direct)
			page_puts(b, " <span class=\"muted\">(nested)</span>");
		if (i + 1 < a->ngroups)
			page_puts(b, ", ");
	}
	page_puts(b, "</dd>");
}

/* The main attributes of the record. */
static void
users_record(struct jtext *b, const cJSON *rec)
{
	const cJSON	*name = cJSON_GetObjectItemCaseSensitive(rec, "name");
	const cJSON	*meta = cJSON_GetObjectItemCaseSensitive(rec, "meta");
	const cJSON	*e;

	users_fact(b, "id", json_str(rec, "id"));
	users_fact(b, "externalId", json_str(rec, "externalId"));
	users_fact(b, "userName", json_str(rec, "userName"));
	users_fact(b, "displayName", json_str(rec, "displayName"));
	users_fact(b, "Given name", json_str(name, "givenName"));
	users_fact(b, "Family name", json_str(name, "familyName"));
	page_puts(b, "<dt>Emails</dt><dd>");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(rec, "emails")) {
		page_esc(b, json_str(e, "value"));
		page_puts(b, " ");
	}
	page_puts(b, "</dd>");
	users_fact(b, "Created", json_str(meta, "created"));
	users_fact(b, "Last modified", json_str(meta, "lastModified"));
}

/*
 * The user's history: the newest USER_HISTORY SCIM requests about it
 * from the activity recorder, and a link to all of them on the Activity
 * tab.  who: its userName, so that the client's lookups by userName and
 * a POST refused before it had an id are found too, and through the
 * records that name it, those by its id (activity_query()); its id when
 * it has no name.  Records that cannot be read are said so; the rest of
 * the page stands.
 */
static void
users_history(struct page_req *pr, const char *who)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	struct activity_query	 aq;
	struct jtext		 q;
	cJSON			*rows = NULL;
	int			 n;

	memset(&aq, 0, sizeof(aq));
	aq.tenant = pr->sess.tenant;
	aq.user = who;
	aq.limit = USER_HISTORY + 1;	/* one more: are there older? */
	page_puts(b, "<section class=\"card\" id=\"history\"><h2>History"
	    "</h2><p class=\"muted\">The SCIM requests about this user, "
	    "newest first, as the activity recorder kept them");
	if (!pr->cfg->activity_enabled)
		page_puts(b, " (it is off now: [activity] enabled)");
	page_puts(b, ".</p>");
	if (activity_query(pr->cfg, &aq, &rows, &err) != SCIM_OK) {
		page_puts(b, "<p class=\"banner warn\" id=\"history-error\">"
		    "The activity records cannot be read: ");
		page_esc(b, err.detail);
		page_puts(b, "</p></section>\n");
		return;
	}
	if ((n = cJSON_GetArraySize(rows)) == 0)
		page_puts(b, "<p class=\"muted\" id=\"history-empty\">No "
		    "request about this user is kept.</p>");
	else
		page_activity_table(pr, "userhistory", rows, USER_HISTORY);
	memset(&q, 0, sizeof(q));
	page_query_add(&q, "user", who);
	page_puts(b, "<p>");
	page_link(pr, "/activity", &q, "user-activity", n > USER_HISTORY ?
	    "All the SCIM requests about this user →" : "These requests on "
	    "the Activity tab →");
	page_puts(b, "</p></section>\n");
	page_buf_free(&q);
	cJSON_Delete(rows);
}

static void
users_detail(struct page_req *pr, const char *id)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	struct audit_query	 aq;
	struct access		 a;
	cJSON			*rec = NULL, *events = NULL;
	enum scim_err		 rc;

	memset(&aq, 0, sizeof(aq));
	aq.tenant = pr->sess.tenant;
	aq.target = id;
	aq.limit = USER_EVENTS;
	rc = dir_user_record(pr->pc->store, pr->sess.tenant, id, &rec, &err);
	if (rc == SCIM_E_NOT_FOUND) {
		page_message(pr, 404, "No such user", "This tenant has no user "
		    "with that id.");
		return;
	}
	if (rc != SCIM_OK || access_lookup(pr->pc->store, pr->cfg,
	    pr->sess.tenant, id, &a, &err) != SCIM_OK ||
	    audit_query(pr->pc->store, &aq, &events, &err) != SCIM_OK) {
		if (rc == SCIM_OK)
			access_free(&a);
		cJSON_Delete(rec);
		page_unavailable(pr, "The user", &err);
		return;
	}
	page_tab_head(pr, "User", "/users");
	page_puts(b, "<section class=\"card\" id=\"user\"><h2>");
	page_esc(b, a.user_name);
	page_puts(b, "</h2><dl class=\"facts\">");
	users_record(b, rec);
	page_printf(b, "<dt>Status</dt><dd id=\"user-status\">%s</dd>",
	    a.active ? "active" : "blocked");
	users_role_source(pr, &a);
	page_puts(b, "<dt>Managed by</dt><dd id=\"user-managed\">");
	users_managed_by(b, a.managed_by);
	page_puts(b, "</dd>");
	users_groups(pr, &a);
	page_puts(b, "</dl></section>\n");
	users_history(pr, *a.user_name != '\0' ? a.user_name : id);
	page_puts(b, "<section class=\"card\" id=\"audit\"><h2>Audit events"
	    "</h2>");
	if (cJSON_GetArraySize(events) == 0)
		page_puts(b, "<p class=\"muted\">None.</p>");
	else
		(void)page_log_table(pr, events, USER_EVENTS);
	page_puts(b, "</section>\n");
	page_foot(pr);
	page_finish(pr, 200);
	access_free(&a);
	cJSON_Delete(rec);
	cJSON_Delete(events);
}

/* GET <base>/users, or with id=, one user. */
void
page_users_tab(struct page_req *pr)
{
	const char	*id = http_param(pr->req, "id");

	if (id != NULL && *id != '\0')
		users_detail(pr, id);
	else
		users_list(pr);
}
