/*
 * The admin page's token actions (POST <base>/action): create,
 * regenerate, renew, disable, enable, revoke and delete, each one call
 * into auth/token-ops.h, whose code and detail this file words for the
 * owner as a flash message shown on the next view (POST-redirect-GET),
 * naming the token by its label and id.  Revoke and delete first answer
 * with a confirmation view, and so does a renewal that would move the
 * expiry earlier.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "auth/admin.h"
#include "auth/token.h"
#include "auth/token-ops.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "page/page-int.h"

/* Leave "+message" (success) or "-message" (failure) for the next view. */
void
page_flash_put(struct page_req *pr, bool ok, const char *secret,
    const char *fmt, ...)
{
	struct scim_error	 err = { SCIM_OK, "" };
	char			 msg[600];
	va_list			 ap;

	msg[0] = ok ? '+' : '-';
	va_start(ap, fmt);
	vsnprintf(msg + 1, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (admin_flash_put(pr->pc->store, &pr->sess, msg, secret, &err) !=
	    SCIM_OK)
		log_err("flash: %s", err.detail);
}

/*
 * Revoking or deleting a token cuts its client off for good, so the first
 * post of either (without confirm=yes) only answers with this view: what
 * will happen, in plain words, and a form that posts the same action
 * again with confirm=yes.  It works without JavaScript and writes
 * nothing, no audit event either; the CSRF check has already run, and
 * runs again on the confirming post.
 */

/* What revoking [0] or deleting [1] a token does, by its state. */
static const char *const confirm_what[2][4] = {
	{
		[TOKEN_ACTIVE] = "Entra ID stops provisioning as soon as the "
		    "token is revoked; this cannot be undone.",
		[TOKEN_INACTIVE] = "The token is disabled, and once revoked "
		    "it can never be enabled again; this cannot be undone.",
		[TOKEN_EXPIRED] = "The token has expired, and once revoked it "
		    "can never be renewed; this cannot be undone.",
		[TOKEN_REVOKED] = "The token is already revoked.",
	}, {
		[TOKEN_ACTIVE] = "Entra ID stops provisioning as soon as the "
		    "token is deleted; this cannot be undone.",
		[TOKEN_INACTIVE] = "The token is disabled, and once deleted "
		    "it can never be enabled again; this cannot be undone.",
		[TOKEN_EXPIRED] = "The token has expired, and once deleted it "
		    "can never be renewed; this cannot be undone.",
		[TOKEN_REVOKED] = "The token is revoked and lets no client "
		    "in: deleting it removes it from the list for good.",
	},
};

/*
 * Renewing sets the expiry to now plus the lifetime chosen: for a token
 * made for a year, a shorter choice brings its end nearer, which is
 * rarely meant (the page used to offer 90 days on every row).  Such a
 * renewal asks first too, with the old and the new date.
 */
static void
renew_confirm_page(struct page_req *pr, const cJSON *tk, long days,
    int64_t to)
{
	struct jtext	*b = &pr->html;

	page_head(pr, "Renew token");
	page_puts(b, "<section class=\"card confirm\" id=\"confirm\">"
	    "<h1>Shorten this token's life?</h1><p>You are about to renew "
	    "token ");
	page_token_name(b, tk);
	page_printf(b, " for %ld days.</p><div class=\"banner warn\" "
	    "role=\"alert\" id=\"confirm-what\"><strong>Its expiry moves "
	    "earlier: from ", days);
	page_when(b, json_int(tk, "expires"));
	page_puts(b, " to ");
	page_when(b, to);
	page_puts(b, ".</strong> To keep it longer, go back and choose a "
	    "longer lifetime.</div>");
	page_post_form(pr, "/action", "form-row", pr->sess.csrf);
	page_hidden(b, "id", json_str(tk, "id"));
	page_printf(b, "<input type=\"hidden\" name=\"days\" value=\"%ld\">",
	    days);
	page_hidden(b, "confirm", "yes");
	page_printf(b, "<button type=\"submit\" class=\"primary\" "
	    "id=\"confirm-yes\" name=\"action\" value=\"renew\">Renew for "
	    "%ld days</button><a id=\"confirm-cancel\" href=\"", days);
	page_esc(b, pr->base);
	page_puts(b, "\">Cancel</a></form></section>\n");
	page_foot(pr);
	page_finish(pr, 200);
}

/*
 * Before renewing token id for days: when that would move its expiry
 * earlier, answer with renew_confirm_page() and return true.  False when
 * the renewal may go ahead (the token may also be missing or revoked:
 * the renewal itself says so).
 */
static bool
renew_ask(struct page_req *pr, const char *id, long days)
{
	struct scim_error	 err = { SCIM_OK, "" };
	int64_t			 now = util_now_usec(), to;
	cJSON			*tk = NULL;
	bool			 asked = false;

	to = token_expiry(now, (int64_t)days * 86400);
	if (token_ops_get(pr->pc->store, pr->sess.tenant, id, true, now, &tk,
	    &err) == SCIM_OK && json_int(tk, "expires") > to &&
	    strcmp(json_str(tk, "status"), "Revoked") != 0) {
		renew_confirm_page(pr, tk, days, to);
		asked = true;
	}
	cJSON_Delete(tk);
	return asked;
}

/* Does act cut a client off for good, so that the page asks first? */
static bool
needs_confirm(enum token_action act)
{
	return act == TOKEN_REVOKE || act == TOKEN_DELETE;
}

/* The confirmation view of act on tk (token_public() at now). */
static void
confirm_page(struct page_req *pr, enum token_action act, const cJSON *tk,
    enum token_state st)
{
	struct jtext	*b = &pr->html;
	const char	*verb = act == TOKEN_DELETE ? "Delete" : "Revoke";

	page_head(pr, act == TOKEN_DELETE ? "Delete token" : "Revoke token");
	page_printf(b, "<section class=\"card confirm\" id=\"confirm\">"
	    "<h1>%s this token?</h1><p>You are about to %s token ", verb,
	    act == TOKEN_DELETE ? "delete" : "revoke");
	page_token_name(b, tk);
	page_puts(b, ".</p><p class=\"muted\">Status ");
	page_esc(b, json_str(tk, "status"));
	page_puts(b, " · expires ");
	page_when(b, json_int(tk, "expires"));
	page_puts(b, " · last used ");
	page_when(b, json_int(tk, "last_used"));
	page_puts(b, "</p><div class=\"banner bad\" role=\"alert\" "
	    "id=\"confirm-what\"><strong>");
	page_puts(b, confirm_what[act == TOKEN_DELETE][st]);
	page_puts(b, "</strong>");
	if (st == TOKEN_ACTIVE)
		page_puts(b, " Every request that carries it is refused from "
		    "then on. To replace it, use Regenerate instead: it makes "
		    "a new token and revokes this one in one step.");
	if (act == TOKEN_DELETE)
		page_puts(b, " Its events stay in the audit log.");
	page_puts(b, "</div>");
	page_post_form(pr, "/action", "form-row", pr->sess.csrf);
	page_hidden(b, "id", json_str(tk, "id"));
	page_hidden(b, "confirm", "yes");
	page_printf(b, "<button type=\"submit\" class=\"danger solid\" "
	    "id=\"confirm-yes\" name=\"action\" value=\"%s\">%s token"
	    "</button><a id=\"confirm-cancel\" href=\"",
	    token_action_name(act), verb);
	page_esc(b, pr->base);
	page_puts(b, "\">Cancel</a></form></section>\n");
	page_foot(pr);
	page_finish(pr, 200);
}

/*
 * Ask before act on token id: show the confirmation view, or, when the
 * token is not there or act would be refused anyway, say so the way the
 * action would (a message and back to the page).
 */
static void
confirm_ask(struct page_req *pr, enum token_action act, const char *id)
{
	struct scim_error	 err = { SCIM_OK, "" };
	enum token_state	 st = TOKEN_ACTIVE;
	int64_t			 now = util_now_usec();
	cJSON			*rec = NULL, *tk = NULL;
	enum scim_err		 rc;

	rc = token_ops_get(pr->pc->store, pr->sess.tenant, id, false, now,
	    &rec, &err);
	if (rc == SCIM_OK) {
		st = token_state(rec, now);
		if ((tk = token_public(rec, now)) == NULL)
			rc = scim_oom(&err);
		else
			/* On the stored copy, thrown away: a dry run. */
			rc = token_transition(rec, act, now, 0, &err);
	}
	if (rc == SCIM_OK)
		confirm_page(pr, act, tk, st);
	else if (rc == SCIM_E_NOT_FOUND || rc == SCIM_E_CONFLICT) {
		page_flash_put(pr, false, NULL, "Could not %s the token: %s",
		    token_action_name(act), err.detail);
		page_redirect(pr);
	} else {
		log_err("page: %s", err.detail);
		page_message(pr, 503, "Unavailable", "The token store cannot be "
		    "read right now; try again in a moment.");
	}
	cJSON_Delete(tk);
	cJSON_Delete(rec);
}

/*
 * create (regen false) or regenerate old_id: a new token for the owner's
 * tenant, left in the flash slot to be shown once.  A new token needs a
 * label (token_ops_label_check()); a regenerated one keeps its own.
 */
static void
action_issue(struct page_req *pr, const char *actor, bool regen,
    const char *old_id, const char *label, long days)
{
	struct scim_error	 err = { SCIM_OK, "" };
	char			 tok[TOKEN_LEN + 1], ref[PAGE_REF_MAX];
	char			 when[PAGE_WHEN_LEN + 1];
	cJSON			*rec = NULL;
	enum scim_err		 rc;

	tok[0] = '\0';
	if (!regen && (rc = token_ops_label_check(label, &err)) == SCIM_OK)
		rc = token_ops_create(pr->pc->store, pr->cfg, pr->sess.tenant,
		    label, days * 86400, actor, tok, &rec, &err);
	else if (regen)
		rc = token_ops_regenerate(pr->pc->store, pr->cfg,
		    pr->sess.tenant, old_id, days * 86400, actor, tok, &rec,
		    &err);
	if (rc != SCIM_OK) {
		page_flash_put(pr, false, NULL, "The token was not %s: %s",
		    regen ? "regenerated" : "created", err.detail);
		goto out;
	}
	/* A regenerated token has taken over the old one's label. */
	page_token_ref(ref, sizeof(ref), json_str(rec, "label"),
	    regen ? old_id : json_str(rec, "id"));
	page_when_text(json_int(rec, "expires"), when);
	if (!regen)
		page_flash_put(pr, true, tok, "Token %s created; it expires on %s, in "
		    "%ld days.", ref, when, days);
	else
		page_flash_put(pr, true, tok, "Token %s regenerated as %s (it expires "
		    "on %s): the old one is revoked. Paste the new one into "
		    "Entra ID now.", ref, json_str(rec, "id"), when);
out:
	explicit_bzero(tok, sizeof(tok));
	cJSON_Delete(rec);
}

/*
 * renew, disable, enable, revoke (confirmed) or delete (confirmed), with
 * a message that names the token by its label and, for a renewal, says
 * its new expiry.
 */
static void
action_apply(struct page_req *pr, const char *actor, enum token_action act,
    const char *action, const char *id, long days)
{
	static const char *const done[] = {
		[TOKEN_DISABLE] = "disabled", [TOKEN_ENABLE] = "enabled",
		[TOKEN_RENEW] = "renewed", [TOKEN_REVOKE] = "revoked",
		[TOKEN_DELETE] = "deleted",
	};
	struct scim_error	 err = { SCIM_OK, "" };
	struct token_op		 op;
	char			 ref[PAGE_REF_MAX], when[PAGE_WHEN_LEN + 1];
	cJSON			*before = NULL, *after = NULL;

	memset(&op, 0, sizeof(op));
	op.tenant = pr->sess.tenant;
	op.id = id;
	op.act = act;
	op.ttl_sec = days * 86400;
	op.max_live = pr->cfg->max_live_tokens;
	op.actor = actor;
	op.cfg = pr->cfg;
	if (token_ops_change(pr->pc->store, &op, util_now_usec(), &before,
	    &after, &err) != SCIM_OK) {
		page_flash_put(pr, false, NULL, "Could not %s the token: %s",
		    action, err.detail);
		return;
	}
	page_token_ref(ref, sizeof(ref), json_str(before, "label"),
	    json_str(before, "id"));
	if (act == TOKEN_RENEW && after != NULL) {
		page_when_text(json_int(after, "expires"), when);
		page_flash_put(pr, true, NULL, "Token %s renewed: it now expires on %s, "
		    "in %ld days.", ref, when, days);
	} else
		page_flash_put(pr, true, NULL, "Token %s %s.", ref, done[act]);
	cJSON_Delete(before);
	cJSON_Delete(after);
}

/* "The lifetime must be 30, 60, 90, 180 or 365 days." */
static void
flash_bad_days(struct page_req *pr)
{
	char		 list[128];
	const unsigned	*d;
	size_t		 n = 0;

	list[0] = '\0';
	for (d = token_days_offered; *d != 0 && n < sizeof(list); d++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u",
		    d == token_days_offered ? "" : d[1] == 0 ? " or " : ", ",
		    *d);
	page_flash_put(pr, false, NULL, "The lifetime must be %s days.", list);
}

/*
 * POST <base>/action: only owners change tokens; the lifetime is checked
 * first, revoke and delete ask first (confirm_ask()), so does a renewal
 * that moves the expiry earlier (renew_ask()), and every other outcome
 * is a flash message and a redirect back to the page.
 */
void
page_action(struct page_req *pr)
{
	const char		*action = http_param(&pr->form, "action");
	const char		*id = http_param(&pr->form, "id");
	const char		*days_s = http_param(&pr->form, "days");
	const char		*confirm = http_param(&pr->form, "confirm");
	bool			 confirmed = confirm != NULL &&
				    strcmp(confirm, "yes") == 0;
	char			 actor[ADMIN_NAME_MAX + 8];
	enum token_action	 act;
	long			 days = pr->cfg->default_days;
	bool			 known;

	snprintf(actor, sizeof(actor), "admin:%s", pr->sess.name);
	if (pr->sess.role != ADMIN_ROLE_OWNER) {
		log_warn("\"%s\" (role %s) tried to %s a token",
		    pr->sess.name, admin_role_name(pr->sess.role),
		    action ? action : "change");
		page_message(pr, 403, "Forbidden", "Only owners can create "
		    "or change tokens; your role lets you view them.");
		return;
	}
	known = token_action_parse(action, &act);
	if (days_s != NULL && (!util_parse_long(days_s, 1, 3650, &days) ||
	    !token_days_valid((unsigned)days)))
		flash_bad_days(pr);
	else if (known && !confirmed && needs_confirm(act)) {
		confirm_ask(pr, act, id);
		return;
	} else if (known && !confirmed && act == TOKEN_RENEW && id != NULL &&
	    renew_ask(pr, id, days))
		return;
	else if (action != NULL && strcmp(action, "create") == 0)
		action_issue(pr, actor, false, NULL,
		    http_param(&pr->form, "label"), days);
	else if (action != NULL && strcmp(action, "regenerate") == 0)
		action_issue(pr, actor, true, id, NULL, days);
	else if (known)
		action_apply(pr, actor, act, action, id, days);
	else
		page_flash_put(pr, false, NULL, "Unknown action.");
	page_redirect(pr);
}
