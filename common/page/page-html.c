/*
 * The admin page's HTML: the buffer every answer is written into (base/jtext),
 * the markup pieces (every value goes through page_esc()), the sign-in
 * form with signing in and out, and the page itself (the Tenant URL, the
 * token table, the create form; the audit log section is page-audit.c's).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/admin.h"
#include "auth/token.h"
#include "auth/token-ops.h"
#include "base/json.h"
#include "base/log.h"
#include "base/util.h"
#include "page/page-int.h"

/* --- the buffer (base/jtext.h's) --- */

void
page_put_n(struct jtext *b, const char *s, size_t n)
{
	jtext_add(b, s, n);
}

void
page_puts(struct jtext *b, const char *markup)
{
	page_put_n(b, markup, strlen(markup));
}

void
page_printf(struct jtext *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !jtext_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
page_esc(struct jtext *b, const char *text)
{
	const char	*p, *run;

	if (text == NULL)
		return;
	for (p = run = text; *p != '\0'; p++) {
		const char *ent = NULL;

		switch (*p) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			continue;
		}
		page_put_n(b, run, (size_t)(p - run));
		page_puts(b, ent);
		run = p + 1;
	}
	page_put_n(b, run, (size_t)(p - run));
}

void
page_buf_free(struct jtext *b)
{
	if (b->p != NULL)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* --- markup pieces --- */

/* A hidden form field (name is markup, value is escaped). */
void
page_hidden(struct jtext *b, const char *name, const char *value)
{
	page_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	page_esc(b, value);
	page_puts(b, "\">");
}

/*
 * Open a form that posts to the page's sub-path sub ("/action", ...),
 * of class cls unless NULL (both markup), with csrf as its first field.
 */
void
page_post_form(struct page_req *pr, const char *sub, const char *cls,
    const char *csrf)
{
	struct jtext	*b = &pr->html;

	page_puts(b, "<form method=\"post\" action=\"");
	page_esc(b, pr->base);
	page_puts(b, sub);
	page_puts(b, "\"");
	if (cls != NULL)
		page_printf(b, " class=\"%s\"", cls);
	page_puts(b, ">");
	page_hidden(b, "csrf", csrf);
}

/*
 * A <label> around an <input> of type and name (markup; attrs, more
 * markup, goes into the tag), holding value (escaped) unless NULL.
 */
void
page_labelled_input(struct jtext *b, const char *label, const char *type,
    const char *name, const char *attrs, const char *value)
{
	page_printf(b, "<label>%s<input type=\"%s\" name=\"%s\"%s", label,
	    type, name, attrs);
	if (value != NULL) {
		page_puts(b, " value=\"");
		page_esc(b, value);
		page_puts(b, "\"");
	}
	page_puts(b, "></label>");
}

/* A table cell of class cls (markup) unless NULL, holding text (escaped). */
void
page_td_text(struct jtext *b, const char *cls, const char *text)
{
	if (cls != NULL)
		page_printf(b, "<td class=\"%s\">", cls);
	else
		page_puts(b, "<td>");
	page_esc(b, text);
	page_puts(b, "</td>");
}

/*
 * A cell of a "cards" table: on a phone it shows label (markup) before
 * text (escaped); cls (markup) may be NULL.
 */
void
page_td_labelled(struct jtext *b, const char *label, const char *cls,
    const char *text)
{
	page_printf(b, "<td data-label=\"%s\"", label);
	if (cls != NULL)
		page_printf(b, " class=\"%s\"", cls);
	page_puts(b, ">");
	page_esc(b, text);
	page_puts(b, "</td>");
}

/* A table cell with a badge of class "b-<kind>" showing text (escaped). */
void
page_td_badge(struct jtext *b, const char *kind, const char *text)
{
	page_puts(b, "<td><span class=\"badge b-");
	page_esc(b, kind);
	page_puts(b, "\">");
	page_esc(b, text);
	page_puts(b, "</span></td>");
}

/* Open the HTML document: head, style, top bar (with sign-out when in). */
void
page_head(struct page_req *pr, const char *title)
{
	struct jtext	*b = &pr->html;

	page_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">");
	if (pr->refresh != NULL) {
		/* A running sync's progress, without JavaScript. */
		page_puts(b, "<meta http-equiv=\"refresh\" content=\"");
		page_esc(b, pr->refresh);
		page_puts(b, "\">");
	}
	page_puts(b, "<title>");
	page_esc(b, title);
	page_puts(b, " · scim-fcgi</title><link rel=\"icon\" "
	    "type=\"image/x-icon\" href=\"");
	page_esc(b, pr->base);
	page_puts(b, "/favicon.ico\"><style>");
	page_puts(b, page_style);
	page_puts(b, "</style></head>\n<body>\n<header class=\"top\">"
	    "<div class=\"wrap\"><span class=\"brand\">scim-fcgi "
	    "<small>Secret Tokens</small></span>");
	if (pr->signed_in) {
		page_puts(b, "<span class=\"who\">Signed in as <strong>");
		page_esc(b, pr->sess.name);
		page_puts(b, "</strong> (");
		page_esc(b, admin_role_name(pr->sess.role));
		page_puts(b, ") · tenant <strong>");
		page_esc(b, pr->sess.tenant);
		page_puts(b, "</strong>");
		page_post_form(pr, "/logout", NULL, pr->sess.csrf);
		page_puts(b, "<button class=\"link\" type=\"submit\">"
		    "Sign out</button></form></span>");
	}
	page_puts(b, "</div></header>\n<main class=\"wrap\">\n");
}

/* Close the document, with the page's one script. */
void
page_foot(struct page_req *pr)
{
	page_puts(&pr->html, "</main>\n<footer>scim-fcgi " PACKAGE_VERSION
	    " · SCIM 2.0 provisioning</footer>\n<script>");
	page_puts(&pr->html, page_script);
	page_puts(&pr->html, "</script>\n</body></html>\n");
}

/* A short page with a heading and a message. */
void
page_message(struct page_req *pr, int status, const char *title,
    const char *msg)
{
	page_head(pr, title);
	page_puts(&pr->html, "<section class=\"card\"><h1>");
	page_esc(&pr->html, title);
	page_puts(&pr->html, "</h1><p>");
	page_esc(&pr->html, msg);
	page_puts(&pr->html, "</p><p><a href=\"");
	page_esc(&pr->html, pr->base);
	page_puts(&pr->html, "\">Back to Secret Tokens</a></p></section>\n");
	page_foot(pr);
	page_finish(pr, status);
}

/* The store failed reading what (e.g. "The users"): log err, answer 503. */
void
page_unavailable(struct page_req *pr, const char *what,
    const struct scim_error *err)
{
	char	 msg[160];

	log_err("page: %s", err->detail);
	snprintf(msg, sizeof(msg), "%s cannot be read right now; try again "
	    "in a moment.", what);
	page_message(pr, 503, "Unavailable", msg);
}

/* "2026-11-22 10:47 UTC", or "never" for 0. */
void
page_when(struct jtext *b, int64_t usec)
{
	char	 t[UTIL_TIME_LEN + 1];

	if (usec == 0) {
		page_puts(b, "<span class=\"muted\">never</span>");
		return;
	}
	/* Date and time each kept on one line. */
	util_time_format(usec, t, sizeof(t));
	t[10] = '\0';
	t[16] = '\0';
	page_puts(b, "<span class=\"nw\">");
	page_esc(b, t);
	page_puts(b, "</span> <span class=\"nw\">");
	page_esc(b, t + 11);
	page_puts(b, " UTC</span>");
}

/* "2026-11-22 10:47 UTC" into out (PAGE_WHEN_LEN + 1 bytes). */
void
page_when_text(int64_t usec, char *out)
{
	char	 t[UTIL_TIME_LEN + 1];

	util_time_format(usec, t, sizeof(t));
	snprintf(out, PAGE_WHEN_LEN + 1, "%.10s %.5s UTC", t, t + 11);
}

/*
 * A token for a message, as text: "\"<label>\" (<id>)", or "(<id>)"
 * without a label, into out (sz bytes).
 */
void
page_token_ref(char *out, size_t sz, const char *label, const char *id)
{
	if (label != NULL && *label != '\0')
		snprintf(out, sz, "\"%s\" (%s)", label, id);
	else
		snprintf(out, sz, "(%s)", id);
}

/* A token as "<label> (<id>)". */
void
page_token_name(struct jtext *b, const cJSON *tk)
{
	page_puts(b, "<strong>");
	page_esc(b,
	    *json_str(tk, "label") ? json_str(tk, "label") : "(no label)");
	page_puts(b, "</strong> (<code>");
	page_esc(b, json_str(tk, "id"));
	page_puts(b, "</code>)");
}

/* --- the sign-in form --- */

/* The sign-in form, answered with status (error, escaped, if any). */
void
page_login_form(struct page_req *pr, int status, const char *error)
{
	struct jtext	*b = &pr->html;
	char		 csrf[ADMIN_SID_HEX + 1];

	/* The form's CSRF token doubles as a cookie (double submit). */
	if (!page_cookie(pr->req->cookie, ADMIN_LOGIN_COOKIE, csrf,
	    sizeof(csrf)) || strlen(csrf) != ADMIN_SID_HEX) {
		if (!admin_random_hex(csrf)) {
			page_message(pr, 500, "Error", "no randomness");
			return;
		}
		page_set_cookie(pr, ADMIN_LOGIN_COOKIE, csrf);
	}
	page_head(pr, "Sign in");
	page_puts(b, "<section class=\"card login\"><h1>Sign in</h1>"
	    "<p class=\"muted\">Manage the Secret Tokens that Microsoft "
	    "Entra ID uses to provision users.</p>");
	if (error != NULL) {
		page_puts(b, "<div class=\"banner bad\" role=\"alert\">");
		page_esc(b, error);
		page_puts(b, "</div>");
	}
	page_post_form(pr, "/login", NULL, csrf);
	page_puts(b, "<label for=\"name\">Name</label>"
	    "<input id=\"name\" name=\"name\" type=\"text\" "
	    "autocomplete=\"username\" required autofocus>"
	    "<label for=\"password\">Password</label>"
	    "<input id=\"password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" required>"
	    "<button class=\"primary\" type=\"submit\">Sign in</button>"
	    "</form></section>\n");
	page_foot(pr);
	page_finish(pr, status);
}

/*
 * POST <base>/login: check the sign-in form's double-submit CSRF token,
 * then admin_login(); a session cookie and a redirect, or the form again.
 */
void
page_login(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };
	char			 cookie[ADMIN_SID_HEX + 1];
	const char		*csrf = http_param(&pr->form, "csrf");
	enum scim_err		 rc;

	if (!page_cookie(pr->req->cookie, ADMIN_LOGIN_COOKIE, cookie,
	    sizeof(cookie)) || strlen(cookie) != ADMIN_SID_HEX ||
	    csrf == NULL || strlen(csrf) != ADMIN_SID_HEX ||
	    !util_memeq_const(cookie, csrf, ADMIN_SID_HEX)) {
		log_warn("sign-in form without a valid CSRF token from %s",
		    pr->req->remote_addr ? pr->req->remote_addr : "-");
		page_message(pr, 403, "Forbidden", "The form did not carry "
		    "a valid CSRF token. Reload the page and try again.");
		return;
	}
	rc = admin_login(pr->pc->store, pr->cfg, http_param(&pr->form, "name"),
	    http_param(&pr->form, "password"), pr->req->remote_addr,
	    &pr->sess, &err);
	if (rc == SCIM_E_UNAUTHORIZED || rc == SCIM_E_FORBIDDEN) {
		page_login_form(pr, rc == SCIM_E_FORBIDDEN ? 403 : 401, err.detail);
		return;
	}
	if (rc != SCIM_OK) {
		log_err("sign-in: %s", err.detail);
		page_message(pr, scim_err_status(rc), "Error",
		    "The sign-in could not be completed; try again.");
		return;
	}
	page_set_cookie(pr, ADMIN_COOKIE, pr->sess.sid);
	page_set_cookie(pr, ADMIN_LOGIN_COOKIE, "");
	page_redirect(pr);
}

/* POST <base>/logout: end the session, clear its cookie. */
void
page_logout(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };

	if (admin_session_end(pr->pc->store, pr->cfg, &pr->sess, &err) !=
	    SCIM_OK)
		log_err("sign-out: %s", err.detail);
	page_set_cookie(pr, ADMIN_COOKIE, "");
	page_redirect(pr);
}

/* --- the page --- */

/* "in 13 days", "in 5 hours", "within the hour". */
static void
time_left(struct jtext *b, int64_t usec)
{
	int64_t	 h = usec / (3600LL * 1000000);

	if (h >= 48)
		page_printf(b, "in %lld days", (long long)((h + 12) / 24));
	else if (h >= 1)
		page_printf(b, "in %lld hour%s", (long long)h, h == 1 ? "" : "s");
	else
		page_puts(b, "within the hour");
}

/* " It was last used on <when>." or " It was never used." */
static void
last_used(struct jtext *b, const cJSON *tk)
{
	if (json_int(tk, "last_used") == 0) {
		page_puts(b, " It was never used.");
		return;
	}
	page_puts(b, " It was last used on ");
	page_when(b, json_int(tk, "last_used"));
	page_puts(b, ".");
}

/*
 * A banner for each token near expiry (the reminder thresholds) and each
 * expired one, whatever the others' state: an active token beside them
 * does not mean Entra ID uses that one.  Each says when the token was
 * last used, which tells the one Entra ID holds.  Another banner when no
 * token is active at all.
 */
static void
banners(struct page_req *pr, const struct page_view *v)
{
	struct jtext	*b = &pr->html;
	const cJSON	*tk;
	unsigned	 live = 0;

	cJSON_ArrayForEach(tk, v->tokens) {
		if (token_reminder_level(tk, v->now) > 0) {
			page_puts(b, "<div class=\"banner warn\" role=\"status\">"
			    "Token ");
			page_token_name(b, tk);
			page_puts(b, " expires ");
			time_left(b, json_int(tk, "expires") - v->now);
			page_puts(b, ", on ");
			page_when(b, json_int(tk, "expires"));
			page_puts(b, ".");
			last_used(b, tk);
			page_puts(b, " Renew it, or regenerate it and paste the "
			    "new token into Entra ID.</div>\n");
		} else if (strcmp(json_str(tk, "status"), "Expired") == 0) {
			page_puts(b, "<div class=\"banner bad expired\" "
			    "role=\"status\">Token ");
			page_token_name(b, tk);
			page_puts(b, " expired on ");
			page_when(b, json_int(tk, "expires"));
			page_puts(b, ": requests that carry it are refused.");
			last_used(b, tk);
			page_puts(b, " Renew it if Entra ID still uses it, or "
			    "delete it.</div>\n");
		}
		if (strcmp(json_str(tk, "status"), "Active") == 0)
			live++;
	}
	if (live == 0 && cJSON_GetArraySize(v->tokens) > 0)
		page_puts(b, "<div class=\"banner bad\" role=\"status\">"
		    "No token of this tenant is active: provisioning requests "
		    "are refused until one is.</div>\n");
}

/*
 * The Tenant URL to paste into Entra ID, with a copy button.  Unless
 * [admin] tenant_url or [http] base_url sets it, it is guessed from the
 * request's Host, which through a tunnel or a proxy is not the address
 * Entra ID can reach: a warning says so, and where to set it.
 */
static void
tenant_url_card(struct page_req *pr)
{
	struct jtext	*b = &pr->html;
	char		 url[1200];
	bool		 guessed = false;

	if (pr->cfg->tenant_url[0] != '\0')
		snprintf(url, sizeof(url), "%s", pr->cfg->tenant_url);
	else if (pr->cfg->base_url[0] != '\0')
		snprintf(url, sizeof(url), "%s", pr->cfg->base_url);
	else {
		snprintf(url, sizeof(url), "%s/scim/v2", pr->req->host_url);
		guessed = true;
	}
	page_puts(b, "<section class=\"card\"><h2>Tenant URL</h2>"
	    "<p class=\"muted\">Paste it into Entra ID (Provisioning → Admin "
	    "Credentials → Tenant URL) together with a Secret Token.</p>"
	    "<div class=\"copyrow\"><input id=\"tenant-url\" type=\"text\" "
	    "readonly aria-label=\"Tenant URL\" value=\"");
	page_esc(b, url);
	page_puts(b, "\"><button type=\"button\" data-copy=\"tenant-url\" "
	    "hidden>Copy</button></div>");
	if (guessed)
		page_puts(b, "<p class=\"banner warn urlwarn\" id=\"url-warn\" "
		    "role=\"status\">This address was guessed from the one your "
		    "browser used, which may not be the one Entra ID can reach "
		    "(through an SSH tunnel it reads localhost). Set "
		    "<code>base_url</code> in the <code>[http]</code> section "
		    "of <code>scim.conf</code> to the server's public HTTPS "
		    "URL, e.g. <code>https://scim.example.com/scim/v2</code>; "
		    "see scim.conf(5).</p>");
	page_puts(b, "</section>\n");
}

static void
new_token_panel(struct jtext *b, const char *secret)
{
	page_puts(b, "<section class=\"card new\" id=\"new-token\">"
	    "<h2>Your new Secret Token</h2><p><strong>Copy it now: it is "
	    "shown only this once.</strong> Paste it into Entra ID "
	    "(Provisioning → Admin Credentials → Secret Token).</p>"
	    "<div class=\"copyrow\"><input id=\"new-token-value\" "
	    "type=\"text\" readonly aria-label=\"New Secret Token\" "
	    "value=\"");
	page_esc(b, secret);
	page_puts(b, "\"><button type=\"button\" data-copy=\"new-token-value\" "
	    "hidden>Copy</button></div></section>\n");
}

/* The lifetimes offered (token_days_offered), def selected. */
static void
days_select(struct jtext *b, unsigned def, const char *label)
{
	const unsigned	*d;

	page_printf(b, "<select name=\"days\" aria-label=\"%s\">", label);
	for (d = token_days_offered; *d != 0; d++)
		page_printf(b, "<option value=\"%u\"%s>%u days</option>", *d,
		    *d == def ? " selected" : "", *d);
	page_puts(b, "</select>");
}

static void
action_button(struct jtext *b, const char *act, const char *text,
    bool danger)
{
	page_printf(b, "<button type=\"submit\" name=\"action\" value=\"%s\"%s>"
	    "%s</button>", act, danger ? " class=\"danger\"" : "", text);
}

/*
 * Open a cell of the token table; label (markup) is its column's name,
 * which a phone shows above the value (the table becomes cards there).
 */
static void
token_td(struct jtext *b, const char *cls, const char *label)
{
	page_puts(b, "<td");
	if (cls != NULL)
		page_printf(b, " class=\"%s\"", cls);
	page_printf(b, " data-label=\"%s\">", label);
}

/*
 * The actions an owner may take on tk (status st).  Renew and regenerate
 * offer the token's own lifetime first (token_ops_lifetime_days()).
 */
static void
token_actions(struct page_req *pr, const cJSON *tk, const char *st)
{
	struct jtext	*b = &pr->html;

	token_td(b, "actions", "Actions");
	page_post_form(pr, "/action", NULL, pr->sess.csrf);
	page_hidden(b, "id", json_str(tk, "id"));
	if (strcmp(st, "Revoked") != 0) {
		days_select(b, token_ops_lifetime_days(tk),
		    "Lifetime for renew or regenerate");
		action_button(b, "renew", "Renew", false);
		action_button(b, "regenerate", "Regenerate", false);
		if (strcmp(st, "Active") == 0)
			action_button(b, "disable", "Disable", false);
		else if (strcmp(st, "Inactive") == 0)
			action_button(b, "enable", "Enable", false);
		action_button(b, "revoke", "Revoke", true);
	}
	action_button(b, "delete", "Delete", true);
	page_puts(b, "</form></td>");
}

/* One row of the token table. */
static void
token_row(struct page_req *pr, const cJSON *tk, bool owner)
{
	static const struct {
		const char	*key;
		const char	*label;
	} times[] = { { "created", "Created At" }, { "expires", "Expires At" },
	    { "last_used", "Last Used" } };
	struct jtext	*b = &pr->html;
	const char	*st = json_str(tk, "status");
	char		 lower[16];
	size_t		 i;

	for (i = 0; st[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)(st[i] | 0x20);
	lower[i] = '\0';
	page_puts(b, "<tr data-id=\"");
	page_esc(b, json_str(tk, "id"));
	page_puts(b, "\">");
	token_td(b, "label", "Label");
	page_esc(b, json_str(tk, "label"));
	page_puts(b, "</td>");
	token_td(b, "id", "Token ID");
	page_esc(b, json_str(tk, "id"));
	page_puts(b, "</td>");
	token_td(b, NULL, "Status");
	page_puts(b, "<span class=\"badge b-");
	page_esc(b, lower);
	page_puts(b, "\">");
	page_esc(b, st);
	page_puts(b, "</span></td>");
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		token_td(b, times[i].key, times[i].label);
		page_when(b, json_int(tk, times[i].key));
		page_puts(b, "</td>");
	}
	token_td(b, NULL, "Created By");
	page_esc(b, json_str(tk, "created_by"));
	page_puts(b, "</td>");
	if (owner)
		token_actions(pr, tk, st);
	page_puts(b, "</tr>\n");
}

static void
token_table(struct page_req *pr, const struct page_view *v)
{
	struct jtext	*b = &pr->html;
	const cJSON	*tk;
	bool		 owner = pr->sess.role == ADMIN_ROLE_OWNER;

	page_puts(b, "<section class=\"card\"><h2>Tokens</h2>");
	page_printf(b, "<p class=\"muted\">%u of %u live tokens in use "
	    "(active or disabled, not expired).</p>", v->live,
	    pr->cfg->max_live_tokens);
	if (cJSON_GetArraySize(v->tokens) == 0) {
		page_puts(b, "<p>No tokens yet.</p></section>\n");
		return;
	}
	page_puts(b, "<div class=\"scroll\"><table id=\"tokens\"><thead><tr>"
	    "<th>Label</th><th>Token ID</th><th>Status</th><th>Created At</th>"
	    "<th>Expires At</th><th>Last Used</th><th>Created By</th>");
	if (owner)
		page_puts(b, "<th>Actions</th>");
	page_puts(b, "</tr></thead><tbody>\n");
	cJSON_ArrayForEach(tk, v->tokens)
		token_row(pr, tk, owner);
	page_puts(b, "</tbody></table></div></section>\n");
}

static void
create_form(struct page_req *pr, const struct page_view *v)
{
	struct jtext	*b = &pr->html;
	bool		 full = v->live >= pr->cfg->max_live_tokens;

	page_puts(b, "<section class=\"card\"><h2>Create a token</h2>");
	if (full)
		page_printf(b, "<p class=\"banner warn\">This tenant already has "
		    "%u live tokens, the most allowed. Revoke or delete one, "
		    "or regenerate one instead.</p>", v->live);
	page_post_form(pr, "/action", "form-row", pr->sess.csrf);
	page_labelled_input(b, "Label", "text", "label", " maxlength=\""
	    STR(TOKEN_LABEL_MAX) "\" placeholder=\"e.g. Entra ID production\"",
	    NULL);
	page_puts(b, "<label>Expires after");
	days_select(b, pr->cfg->default_days, "Lifetime");
	page_printf(b, "</label><button class=\"primary\" type=\"submit\" "
	    "name=\"action\" value=\"create\"%s>Create token</button>"
	    "</form></section>\n", full ? " disabled" : "");
}

/*
 * GET <base> signed in, the Tokens tab: the flash message and one-time
 * secret, reminders, the Tenant URL, the tokens, the create form
 * (owners).  The audit log has its own tab (page-audit.c).
 */
void
page_dashboard(struct page_req *pr)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	struct page_view	 v;
	char			*msg = NULL, *secret = NULL;

	memset(&v, 0, sizeof(v));
	v.tenant = pr->sess.tenant;
	v.now = util_now_usec();
	if (pr->sess.has_flash && admin_flash_take(pr->pc->store, &pr->sess,
	    &msg, &secret, &err) != SCIM_OK)
		log_err("flash: %s", err.detail);
	if (token_ops_list(pr->pc->store, v.tenant, v.now, &v.tokens,
	    &v.live, &err) != SCIM_OK) {
		page_unavailable(pr, "The token store", &err);
		goto out;
	}
	page_head(pr, "Secret Tokens");
	page_tabs(pr, "");
	page_puts(b, "<h1>Secret Tokens</h1>\n");
	page_flash_show(pr, msg);
	if (secret != NULL)
		new_token_panel(b, secret);
	banners(pr, &v);
	tenant_url_card(pr);
	token_table(pr, &v);
	if (pr->sess.role == ADMIN_ROLE_OWNER)
		create_form(pr, &v);
	else
		page_puts(b, "<p class=\"banner warn\">Your role (viewer) "
		    "lets you view the tokens; only owners can create or "
		    "change them.</p>\n");
	page_foot(pr);
	page_finish(pr, 200);
out:
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	free(msg);
	cJSON_Delete(v.tokens);
}
