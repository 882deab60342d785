/*
 * The admin page's tabs: one table of them (sub-path, name, view), the
 * row of links across the top of every signed-in view, and the GET
 * dispatch to the view of the tab asked for.  Each tab is a plain link,
 * so the page works without JavaScript; a tab's own filters and paging
 * are in its query string.  The Tokens tab is the page's own path, as it
 * always was; the audit log's filters on that path (bookmarks from when
 * the log was on it) still show the log.  Below the row, every tab says
 * when deprovisions are held for approval (page-held.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/admin.h"
#include "base/log.h"
#include "page/page-int.h"

struct page_tab {
	const char	*sub;		/* "" or "/users", ... */
	const char	*name;		/* the link's text; NULL: not in the
					   row (reached by a link) */
	void		(*serve)(struct page_req *);
};

static const struct page_tab page_tab_list[] = {
	{ "", "Tokens", page_dashboard },
	{ "/roles", "Role mappings", page_roles_tab },
	{ "/users", "Users", page_users_tab },
	{ "/groups", "Groups", page_groups_tab },
	{ "/sync", "Entra ID User Sync", page_sync_tab },
	{ "/synced", "Synced Users", page_synced_tab },
	{ "/audit", "Audit log", page_audit_tab },
	{ "/activity", "Activity", page_activity_tab },
	{ "/held", NULL, page_held_tab },
};

#define PAGE_TABS	(sizeof(page_tab_list) / sizeof(page_tab_list[0]))

/* Does the query string carry one of the audit log's filters? */
static bool
audit_asked(const struct http_req *req)
{
	static const char *const names[] = { "category", "target", "since",
	    "until", "before" };
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (http_param(req, names[i]) != NULL)
			return true;
	return false;
}

bool
page_tab_serve(struct page_req *pr)
{
	size_t	 i;

	for (i = 0; i < PAGE_TABS; i++)
		if (strcmp(pr->sub, page_tab_list[i].sub) == 0)
			break;
	if (i == PAGE_TABS)
		return false;
	if (!pr->signed_in)
		page_login_form(pr, 200, NULL);
	else if (i == 0 && audit_asked(pr->req))
		page_audit_tab(pr);
	else
		page_tab_list[i].serve(pr);
	return true;
}

void
page_tabs(struct page_req *pr, const char *sub)
{
	struct jtext	*b = &pr->html;
	size_t		 i;

	page_puts(b, "<nav class=\"tabs\" aria-label=\"Sections\">");
	for (i = 0; i < PAGE_TABS; i++) {
		if (page_tab_list[i].name == NULL)
			continue;
		page_puts(b, "<a href=\"");
		page_esc(b, pr->base);
		page_puts(b, page_tab_list[i].sub);
		page_printf(b, "\" id=\"tab-%s\"", *page_tab_list[i].sub ?
		    page_tab_list[i].sub + 1 : "tokens");
		if (strcmp(sub, page_tab_list[i].sub) == 0)
			page_puts(b, " aria-current=\"page\"");
		page_printf(b, ">%s</a>", page_tab_list[i].name);
	}
	page_puts(b, "</nav>\n");
	/* Held deprovisions wait for an owner: say so wherever one looks. */
	page_held_banner(pr);
}

void
page_flash_show(struct page_req *pr, const char *msg)
{
	struct jtext	*b = &pr->html;

	if (msg == NULL)
		return;
	page_printf(b, "<div class=\"banner %s\" role=\"status\" "
	    "id=\"flash\">", msg[0] == '+' ? "ok" : "bad");
	page_esc(b, msg + 1);
	page_puts(b, "</div>\n");
}

void
page_tab_head(struct page_req *pr, const char *title, const char *sub)
{
	struct scim_error	 err = { SCIM_OK, "" };
	char			*msg = NULL, *secret = NULL;

	/* A tab other than Tokens never has a new secret to show. */
	if (pr->sess.has_flash && admin_flash_take(pr->pc->store, &pr->sess,
	    &msg, &secret, &err) != SCIM_OK)
		log_err("flash: %s", err.detail);
	page_head(pr, title);
	page_tabs(pr, sub);
	page_puts(&pr->html, "<h1>");
	page_esc(&pr->html, title);
	page_puts(&pr->html, "</h1>\n");
	page_flash_show(pr, msg);
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	free(msg);
}

void
page_id_link(struct page_req *pr, const char *sub, const char *id,
    const char *text)
{
	struct jtext	 q;

	memset(&q, 0, sizeof(q));
	page_query_add(&q, "id", id);
	page_puts(&pr->html, "<a href=\"");
	page_esc(&pr->html, pr->base);
	page_puts(&pr->html, sub);
	page_esc(&pr->html, q.p);
	page_puts(&pr->html, "\">");
	page_esc(&pr->html, text);
	page_puts(&pr->html, "</a>");
	page_buf_free(&q);
}
