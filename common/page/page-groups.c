/*
 * The Groups tab (read-only).  GET <base>/groups lists the tenant's
 * groups 50 at a time in name order (page=N, by position: the store
 * counts its name index for it), with externalId and member count;
 * GET <base>/groups?id=<id> shows one group and its members, 50 at a
 * time (mpage=N; its member list is walked to count them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "page/page-int.h"
#include "roles/directory.h"

#define GROUPS_SHOWN	50		/* rows per page */

/* The 1-based page number in param name, 1 when absent or bad. */
static size_t
groups_pageno(const struct http_req *req, const char *name)
{
	const char	*s = http_param(req, name);
	long		 n;

	if (s == NULL || !util_parse_long(s, 1, 1000000, &n))
		return 1;
	return (size_t)n;
}

/* Previous/next links for page no of total rows (id: a group's). */
static void
groups_pager(struct page_req *pr, const char *id, const char *param,
    size_t no, size_t total)
{
	struct jtext	 q;
	char		 n[24];
	size_t		 pages = (total + GROUPS_SHOWN - 1) / GROUPS_SHOWN;

	if (pages <= 1)
		return;
	page_printf(&pr->html, "<nav class=\"pager\" aria-label=\"Pages\">"
	    "<span class=\"muted\">page %zu of %zu</span>", no, pages);
	if (no > 1) {
		memset(&q, 0, sizeof(q));
		page_query_add(&q, "id", id);
		snprintf(n, sizeof(n), "%zu", no - 1);
		page_query_add(&q, param, n);
		page_link(pr, "/groups", &q, "prev", "← Previous");
		page_buf_free(&q);
	}
	if (no < pages) {
		memset(&q, 0, sizeof(q));
		page_query_add(&q, "id", id);
		snprintf(n, sizeof(n), "%zu", no + 1);
		page_query_add(&q, param, n);
		page_link(pr, "/groups", &q, "next", "Next →");
		page_buf_free(&q);
	}
	page_puts(&pr->html, "</nav>");
}

static void
groups_list(struct page_req *pr)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	size_t			 no = groups_pageno(pr->req, "page"), total;
	const cJSON		*g;
	cJSON			*rows;

	if (dir_groups_page(pr->pc->store, pr->sess.tenant,
	    (no - 1) * GROUPS_SHOWN, GROUPS_SHOWN, &rows, &total, &err) !=
	    SCIM_OK) {
		page_unavailable(pr, "The groups", &err);
		return;
	}
	page_tab_head(pr, "Groups", "/groups");
	page_printf(b, "<section class=\"card\" id=\"groups\"><p class=\"muted\">"
	    "%zu groups. Entra ID (or your SCIM client) is the source of "
	    "truth: change groups there.</p>", total);
	if (cJSON_GetArraySize(rows) == 0)
		page_puts(b, "<p class=\"muted\" id=\"groups-empty\">No groups "
		    "here.</p>");
	else {
		page_puts(b, "<div class=\"scroll\"><table id=\"grouplist\" "
		    "class=\"cards\"><thead><tr><th>Display name</th>"
		    "<th>externalId</th><th>Members</th></tr></thead><tbody>\n");
		cJSON_ArrayForEach(g, rows) {
			page_puts(b, "<tr data-id=\"");
			page_esc(b, json_str(g, "id"));
			page_puts(b, "\"><td data-label=\"Name\" class=\"gn\">");
			page_id_link(pr, "/groups", json_str(g, "id"),
			    json_str(g, "displayName"));
			page_puts(b, "</td>");
			page_puts(b, "<td data-label=\"externalId\" "
			    "class=\"id\">");
			page_esc(b, json_str(g, "externalId"));
			page_puts(b, "</td>");
			page_printf(b, "<td data-label=\"Members\" class=\"mc\">"
			    "%lld</td></tr>\n", (long long)json_int(g,
			    "members"));
		}
		page_puts(b, "</tbody></table></div>");
	}
	groups_pager(pr, NULL, "page", no, total);
	page_puts(b, "</section>\n");
	page_foot(pr);
	page_finish(pr, 200);
	cJSON_Delete(rows);
}

static void
groups_detail(struct page_req *pr, const char *id)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	size_t			 no = groups_pageno(pr->req, "mpage"), total;
	const cJSON		*m;
	cJSON			*group = NULL, *members = NULL;
	enum scim_err		 rc;

	rc = dir_group_members(pr->pc->store, pr->sess.tenant, id,
	    (no - 1) * GROUPS_SHOWN, GROUPS_SHOWN, &group, &members, &total,
	    &err);
	if (rc == SCIM_E_NOT_FOUND) {
		page_message(pr, 404, "No such group", "This tenant has no "
		    "group with that id.");
		return;
	}
	if (rc != SCIM_OK) {
		page_unavailable(pr, "The group", &err);
		return;
	}
	page_tab_head(pr, "Group", "/groups");
	page_puts(b, "<section class=\"card\" id=\"group\"><h2>");
	page_esc(b, json_str(group, "displayName"));
	page_puts(b, "</h2><dl class=\"facts\"><dt>id</dt><dd>");
	page_esc(b, json_str(group, "id"));
	page_puts(b, "</dd><dt>externalId</dt><dd>");
	page_esc(b, *json_str(group, "externalId") ?
	    json_str(group, "externalId") : "-");
	page_printf(b, "</dd><dt>Members</dt><dd id=\"group-count\">%zu</dd>"
	    "</dl>", total);
	if (cJSON_GetArraySize(members) > 0) {
		page_puts(b, "<ul id=\"members\">");
		cJSON_ArrayForEach(m, members) {
			page_puts(b, "<li>");
			page_id_link(pr, strcmp(json_str(m, "type"), "Group") ==
			    0 ? "/groups" : "/users", json_str(m, "value"),
			    *json_str(m, "display") ? json_str(m, "display") :
			    json_str(m, "value"));
			if (strcmp(json_str(m, "type"), "Group") == 0)
				page_puts(b, " <span class=\"muted\">(group)"
				    "</span>");
			page_puts(b, "</li>");
		}
		page_puts(b, "</ul>");
	}
	groups_pager(pr, id, "mpage", no, total);
	page_puts(b, "</section>\n");
	page_foot(pr);
	page_finish(pr, 200);
	cJSON_Delete(group);
	cJSON_Delete(members);
}

/* GET <base>/groups, or with id=, one group. */
void
page_groups_tab(struct page_req *pr)
{
	const char	*id = http_param(pr->req, "id");

	if (id != NULL && *id != '\0')
		groups_detail(pr, id);
	else
		groups_list(pr);
}
