/*
 * The Synced Users tab (GET <base>/synced, read-only): every user of the
 * tenant that Manual User Sync imported, with its role and the Entra ID
 * groups it came from (sync_users()), 50 a page (page=N).  And the sync
 * status card the Entra ID User Sync tab shows: a running sync's
 * progress (N of M users, a <progress> bar; the tab refreshes itself
 * while it runs) and the last result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "page/page-int.h"
#include "sync/sync.h"

#define SYNCED_SHOWN	50		/* rows per page */
#define SYNCED_PAGES	100000		/* highest page=N accepted */

/* The last result: its outcome, counts and duration. */
static void
sync_last(struct jtext *b, const cJSON *last)
{
	bool	 ok = strcmp(json_str(last, "outcome"), "success") == 0;
	int64_t	 ms = json_int(last, "durationMs");

	page_printf(b, "<div id=\"sync-last\"><h3>Last sync: %s</h3>",
	    ok ? "success" : "failed");
	if (!ok) {
		page_puts(b, "<p class=\"banner bad\" id=\"sync-last-error\">");
		page_esc(b, json_str(last, "error"));
		page_puts(b, "</p><p class=\"muted\">");
		page_esc(b, page_sync_advice);
		page_puts(b, "</p>");
	}
	page_printf(b, "<dl class=\"facts\"><dt>Created</dt><dd class=\"created\">"
	    "%lld</dd><dt>Updated</dt><dd class=\"updated\">%lld</dd>"
	    "<dt>Unchanged</dt><dd class=\"unchanged\">%lld</dd><dt>Failed</dt>"
	    "<dd class=\"failed\">%lld</dd><dt>Duration</dt><dd class=\""
	    "duration\">%lld.%01lld s</dd><dt>Finished</dt><dd>",
	    (long long)json_int(last, "created"),
	    (long long)json_int(last, "updated"),
	    (long long)json_int(last, "unchanged"),
	    (long long)json_int(last, "failed"), (long long)(ms / 1000),
	    (long long)(ms % 1000 / 100));
	page_esc(b, json_str(last, "finished"));
	page_puts(b, "</dd></dl>");
	if (json_int(last, "groupsMissing") > 0)
		page_printf(b, "<p class=\"banner warn\">%lld mapping(s) named "
		    "no Entra ID group; check their names on the Role mappings "
		    "tab.</p>", (long long)json_int(last, "groupsMissing"));
	if (ok && json_int(last, "total") == 0)
		page_puts(b, "<p class=\"banner warn\">No users to sync: the "
		    "mapped groups had no users.</p>");
	page_puts(b, "</div>");
}

void
page_sync_status(struct page_req *pr, const cJSON *st)
{
	struct jtext	*b = &pr->html;
	const cJSON	*last = cJSON_GetObjectItem(st, "last");
	long long	 done = (long long)json_int(st, "done");
	long long	 total = (long long)json_int(st, "total");

	page_puts(b, "<section class=\"card\" id=\"sync-status\"><h2>Status"
	    "</h2>");
	if (cJSON_IsTrue(cJSON_GetObjectItem(st, "running")) && total == 0)
		/* Still reading the groups: how many is not known yet. */
		page_puts(b, "<p id=\"sync-running\" role=\"status\">A sync "
		    "is running: reading the mapped groups from Entra ID, 0 of "
		    "? users.</p><progress id=\"sync-progress\">reading"
		    "</progress><p class=\"muted\">This page refreshes itself "
		    "every few seconds.</p>");
	else if (cJSON_IsTrue(cJSON_GetObjectItem(st, "running"))) {
		page_printf(b, "<p id=\"sync-running\" role=\"status\">A sync "
		    "is running: <strong>%lld of %lld users</strong>.</p>"
		    "<progress id=\"sync-progress\" max=\"%lld\" value=\"%lld\">"
		    "%lld of %lld</progress><p class=\"muted\">This page "
		    "refreshes itself every few seconds.</p>", done, total,
		    total, done, done, total);
	} else if (pr->refresh != NULL)
		page_puts(b, "<p id=\"sync-starting\" role=\"status\">The sync "
		    "is starting…</p>");
	else if (cJSON_IsTrue(cJSON_GetObjectItem(st, "interrupted")))
		page_printf(b, "<p class=\"banner warn\" id=\"sync-interrupted\">"
		    "A sync stopped at %lld of %lld users without finishing; "
		    "run it again: it goes on safely.</p>", done, total);
	if (cJSON_IsObject(last))
		sync_last(b, last);
	else if (!cJSON_IsTrue(cJSON_GetObjectItem(st, "running")))
		page_puts(b, "<p class=\"muted\" id=\"sync-never\">No sync has "
		    "run yet.</p>");
	page_puts(b, "</section>\n");
}

void
page_sync_groups(struct jtext *b, const cJSON *groups)
{
	const cJSON	*g;
	bool		 first = true;

	cJSON_ArrayForEach(g, groups) {
		if (!first)
			page_puts(b, ", ");
		page_esc(b, cJSON_IsString(g) ? g->valuestring : "");
		first = false;
	}
}

/* One synced user. */
static void
synced_row(struct page_req *pr, const cJSON *u)
{
	struct jtext	*b = &pr->html;

	page_puts(b, "<tr><td data-label=\"userName\" class=\"un\">");
	page_id_link(pr, "/users", json_str(u, "id"), json_str(u, "userName"));
	page_puts(b, "</td><td data-label=\"displayName\">");
	page_esc(b, json_str(u, "displayName"));
	page_printf(b, "</td><td data-label=\"Status\">%s</td>",
	    cJSON_IsFalse(cJSON_GetObjectItem(u, "active")) ? "blocked" :
	    "active");
	page_puts(b, "<td data-label=\"Role\" class=\"role\">");
	page_esc(b, json_str(u, "role"));
	page_puts(b, "</td><td data-label=\"Source groups\" class=\"groups\">");
	page_sync_groups(b, cJSON_GetObjectItem(u, "groups"));
	page_puts(b, "</td></tr>\n");
}

/* Previous and next links of page n (from 1) of pages. */
static void
synced_pager(struct page_req *pr, long n, long pages)
{
	struct jtext	*b = &pr->html;

	if (pages <= 1)
		return;
	page_puts(b, "<nav class=\"pager\" aria-label=\"Synced users pages\">");
	if (n > 1) {
		page_puts(b, "<a class=\"prev\" href=\"");
		page_esc(b, pr->base);
		page_printf(b, "/synced?page=%ld\">← Previous</a>", n - 1);
	}
	page_printf(b, "<span class=\"muted\">page %ld of %ld</span>", n,
	    pages);
	if (n < pages) {
		page_puts(b, "<a class=\"next\" href=\"");
		page_esc(b, pr->base);
		page_printf(b, "/synced?page=%ld\">Next →</a>", n + 1);
	}
	page_puts(b, "</nav>");
}

/* GET <base>/synced. */
void
page_synced_tab(struct page_req *pr)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	const char		*ps = http_param(pr->req, "page");
	cJSON			*users = NULL;
	long			 n = 1, pages, total, i;

	if (ps != NULL && !util_parse_long(ps, 1, SYNCED_PAGES, &n))
		n = 1;
	if (sync_users(pr->pc->store, pr->cfg, pr->sess.tenant, &users,
	    &err) != SCIM_OK) {
		page_unavailable(pr, "The synced users", &err);
		return;
	}
	total = cJSON_GetArraySize(users);
	pages = (total + SYNCED_SHOWN - 1) / SYNCED_SHOWN;
	if (n > pages)
		n = pages > 0 ? pages : 1;
	page_tab_head(pr, "Synced Users", "/synced");
	page_printf(b, "<section class=\"card\" id=\"synced\"><p class=\"muted\">"
	    "Users imported by Manual User Sync (managedBy sync): %ld. A sync "
	    "never removes one; SCIM deprovisions.</p>", total);
	if (total == 0)
		page_puts(b, "<p class=\"muted\" id=\"synced-empty\">No synced "
		    "users yet: run a sync on the Entra ID User Sync tab.</p>");
	else {
		page_puts(b, "<div class=\"scroll\"><table id=\"synced-users\" "
		    "class=\"cards\"><thead><tr><th>userName</th>"
		    "<th>displayName</th><th>Status</th><th>Role</th>"
		    "<th>Source groups</th></tr></thead><tbody>\n");
		for (i = (n - 1) * SYNCED_SHOWN; i < total &&
		    i < n * SYNCED_SHOWN; i++)
			synced_row(pr, cJSON_GetArrayItem(users, (int)i));
		page_puts(b, "</tbody></table></div>");
	}
	synced_pager(pr, n, pages);
	page_puts(b, "</section>\n");
	page_foot(pr);
	page_finish(pr, 200);
	cJSON_Delete(users);
}
