/*
 * Held deprovisioning on the page (scim/held.h): the banner every tab
 * shows while the tenant has operations held by the brake, the Held view
 * (GET <base>/held) listing them, and POST <base>/held-action, by which
 * owners approve or reject one (id=) or all (id=all) of them; a
 * rejection may say why (reason=).  Viewers see the list, no buttons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "page/page-int.h"
#include "scim/held.h"
#include "web/service.h"

/* How many of list's operations wait for a decision (state "held"). */
static int
held_waiting(const cJSON *list)
{
	const cJSON	*e;
	int		 n = 0;

	cJSON_ArrayForEach(e, list)
		if (strcmp(json_str(e, "state"), "rejected") != 0)
			n++;
	return n;
}

void
page_held_banner(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct jtext		*b = &pr->html;
	cJSON			*list = NULL;
	int			 n;

	/* A failure to read them must not take every tab down. */
	if (held_list(pr->pc->store, pr->sess.tenant, &list, &err) != SCIM_OK) {
		log_err("held: %s", err.detail);
		return;
	}
	if ((n = held_waiting(list)) > 0) {
		page_printf(b, "<p class=\"banner warn\" id=\"held-banner\">"
		    "%d deprovision%s %s held for approval. <a href=\"", n,
		    n == 1 ? "" : "s", n == 1 ? "is" : "are");
		page_esc(b, pr->base);
		page_puts(b, "/held\">Review them</a></p>\n");
	}
	cJSON_Delete(list);
}

/* A form posting action (and id) to /held-action, as one button. */
static void
held_button(struct page_req *pr, const char *action, const char *id,
    const char *text, bool reason)
{
	struct jtext	*b = &pr->html;

	page_post_form(pr, "/held-action", "inline", pr->sess.csrf);
	page_hidden(b, "id", id);
	if (reason)
		page_puts(b, "<input type=\"text\" name=\"reason\" maxlength=\""
		    STR(HELD_REASON_MAX) "\" placeholder=\"Reason (optional)\" "
		    "aria-label=\"Reason\">");
	page_printf(b, "<button type=\"submit\" name=\"action\" value=\"%s\""
	    "%s>%s</button></form>", action, strcmp(action, "approve") == 0 ?
	    " class=\"primary\"" : "", text);
}

static void
held_row(struct page_req *pr, const cJSON *e, bool owner)
{
	struct jtext	*b = &pr->html;
	const cJSON	*u = cJSON_GetObjectItemCaseSensitive(e, "user");
	const char	*state = json_str(e, "state");

	page_puts(b, "<tr data-id=\"");
	page_esc(b, json_str(e, "id"));
	page_puts(b, "\"><td data-label=\"id\" class=\"id\"><code>");
	page_esc(b, json_str(e, "id"));
	page_puts(b, "</code></td>");
	page_td_labelled(b, "Operation", "op", json_str(e, "op"));
	page_td_labelled(b, "User", "user", *json_str(u, "userName") ?
	    json_str(u, "userName") : json_str(u, "id"));
	page_td_labelled(b, "Since", "since", json_str(e, "since"));
	page_printf(b, "<td data-label=\"State\" class=\"st\"><span class="
	    "\"badge b-%s\">%s</span></td>", strcmp(state, "rejected") == 0 ?
	    "expired" : "active", strcmp(state, "rejected") == 0 ? "rejected" :
	    "held");
	page_puts(b, "<td class=\"actions\">");
	if (owner && strcmp(state, "rejected") != 0) {
		held_button(pr, "approve", json_str(e, "id"), "Approve", false);
		held_button(pr, "reject", json_str(e, "id"), "Reject", true);
	}
	page_puts(b, "</td></tr>\n");
}

/* GET <base>/held. */
void
page_held_tab(struct page_req *pr)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	bool			 owner = pr->sess.role == ADMIN_ROLE_OWNER;
	const cJSON		*e;
	cJSON			*list = NULL;

	if (held_list(pr->pc->store, pr->sess.tenant, &list, &err) != SCIM_OK) {
		page_unavailable(pr, "The held operations", &err);
		return;
	}
	page_tab_head(pr, "Held deprovisions", "/held");
	page_puts(b, "<section class=\"card\" id=\"held\"><p class=\"muted\">"
	    "Deprovisions over [safety] max_deprovisions wait here; the "
	    "client is answered 503 and retries. Approving one applies it; "
	    "rejecting one refuses its retries until the window ends.</p>");
	if (cJSON_GetArraySize(list) == 0)
		page_puts(b, "<p class=\"muted\" id=\"held-empty\">Nothing is "
		    "held.</p>");
	else {
		page_puts(b, "<div class=\"scroll\"><table id=\"heldlist\" "
		    "class=\"cards\"><thead><tr><th>id</th><th>Operation</th>"
		    "<th>User</th><th>Since</th><th>State</th><th></th></tr>"
		    "</thead><tbody>\n");
		cJSON_ArrayForEach(e, list)
			held_row(pr, e, owner);
		page_puts(b, "</tbody></table></div>");
	}
	if (owner && held_waiting(list) > 0) {
		page_puts(b, "<div class=\"form-row\" id=\"held-all\">");
		held_button(pr, "approve", "all", "Approve all", false);
		held_button(pr, "reject", "all", "Reject all", true);
		page_puts(b, "</div>");
	} else if (!owner)
		page_puts(b, "<p class=\"banner warn\">Your role (viewer) lets "
		    "you view the held operations; only owners can approve or "
		    "reject them.</p>");
	page_puts(b, "</section>\n");
	page_foot(pr);
	page_finish(pr, 200);
	cJSON_Delete(list);
}

/*
 * POST <base>/held-action (the CSRF token checked already): owners only;
 * approve or reject, then back to the Held view with what happened.
 */
void
page_held_action(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct scim_ctx		 ctx;
	struct held_decision	 d;
	const char		*act = http_param(&pr->form, "action");
	const char		*id = http_param(&pr->form, "id");
	char			 actor[ADMIN_NAME_MAX + 8];
	cJSON			*done = NULL;
	unsigned		 n = 0;
	enum scim_err		 rc;

	if (pr->sess.role != ADMIN_ROLE_OWNER) {
		page_message(pr, 403, "Forbidden", "Only owners can approve or "
		    "reject held operations.");
		return;
	}
	if (act == NULL || id == NULL || *id == '\0' ||
	    (strcmp(act, "approve") != 0 && strcmp(act, "reject") != 0)) {
		page_message(pr, 400, "Bad request", "Say approve or reject, "
		    "and which operation.");
		return;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = *pr->cfg;		/* read only; nothing here is freed */
	ctx.store = pr->pc->store;
	snprintf(actor, sizeof(actor), "admin:%s", pr->sess.name);
	memset(&d, 0, sizeof(d));
	d.tenant = pr->sess.tenant;
	d.id = strcmp(id, "all") == 0 ? NULL : id;
	d.actor = actor;
	d.reason = http_param(&pr->form, "reason");
	if (d.reason != NULL && *d.reason == '\0')
		d.reason = NULL;
	d.ctx = &ctx;
	if (*act == 'a') {
		rc = held_approve(&d, &done, &err);
		n = (unsigned)cJSON_GetArraySize(done);
		cJSON_Delete(done);
	} else
		rc = held_reject(&d, &n, &err);
	if (rc != SCIM_OK)
		page_flash_put(pr, false, NULL, "%s", err.detail);
	else
		page_flash_put(pr, true, NULL, "%s %u operation%s.",
		    *act == 'a' ? "Approved" : "Rejected", n, n == 1 ? "" :
		    "s");
	page_redirect_to(pr, "/held");
}
