/*
 * The scim-tokens admin page: routing, sessions and CSRF checks, the
 * token actions (revoke and delete only after a confirmation view), the
 * audit log view (filters and paging from the query string of a GET, so
 * it works without JavaScript), and the HTML (one inline style and one
 * inline script, both allowed by hash in the Content-Security-Policy).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <nettle/base64.h>
#include <nettle/sha2.h>

#include "base/lex.h"
#include "auth/admin.h"
#include "audit/audit.h"
#include "base/json.h"
#include "base/log.h"
#include "page/page.h"
#include "auth/token.h"
#include "base/util.h"

#define EVENTS_SHOWN	25		/* audit log rows per page */
#define TARGET_MAX	256		/* longest target filter accepted */
#define EVENT_ID_LEN	24		/* audit ids: 16 hex usec + 8 hex */
#define DETAIL_MAX	80		/* bytes of one detail value shown */
#define ORPHAN_BATCH	100		/* tenant-less events read at once */
#define ORPHAN_ROUNDS	20		/* most batches read per page */
#define BASE_MAX	512		/* longest page path accepted */

#define STR_(x)		#x
#define STR(x)		STR_(x)		/* a number macro as a string */

static const char page_style[] =
"*{box-sizing:border-box}"
"body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,"
"sans-serif;color:#1f2933;background:#f4f6f8}"
".wrap{max-width:1180px;margin:0 auto;padding:0 20px}"
"header.top{background:#1f3a5f;color:#fff;padding:12px 0}"
"header.top .wrap{display:flex;align-items:center;gap:12px;flex-wrap:wrap}"
".brand{font-weight:600;letter-spacing:.3px}"
".brand small{font-weight:400;opacity:.75}"
".who{margin-left:auto;font-size:14px;opacity:.95}"
".who form{display:inline;margin-left:8px}"
"main.wrap{padding-top:28px;padding-bottom:40px}"
"h1{font-size:22px;margin:0 0 18px}"
"h2{font-size:17px;margin:0 0 10px}"
".card{background:#fff;border:1px solid #d9e0e7;border-radius:8px;"
"padding:18px 20px;margin:0 0 18px}"
".muted{color:#5b6b7b;font-size:14px}"
".copyrow{display:flex;gap:8px}"
".copyrow input{flex:1;font:14px ui-monospace,SFMono-Regular,Menlo,"
"Consolas,monospace;padding:8px 10px;border:1px solid #b8c4d0;"
"border-radius:6px;background:#f8fafc}"
"button,select,input[type=text],input[type=password]{font:inherit;"
"font-size:14px}"
"select{padding:5px 8px;border:1px solid #9fb0c2;border-radius:6px;"
"background:#fff}"
"button{padding:6px 12px;border-radius:6px;border:1px solid #9fb0c2;"
"background:#fff;color:#1f2933;cursor:pointer}"
"button:hover{background:#eef2f6}"
"button.primary{background:#1f6feb;border-color:#1f6feb;color:#fff}"
"button.primary:hover{background:#1a5fcc}"
"button.danger{color:#b42318;border-color:#e4a9a3}"
"button.danger.solid{background:#b42318;border-color:#b42318;color:#fff}"
"button.danger.solid:hover{background:#912018}"
".confirm{max-width:720px;border-color:#f3b0a8}"
"button.link{background:none;border:none;color:#fff;"
"text-decoration:underline;padding:0}"
"button[disabled]{opacity:.5;cursor:not-allowed}"
"table{width:100%;border-collapse:collapse;font-size:14px}"
"th,td{text-align:left;padding:8px 8px;border-bottom:1px solid #e6ebf0;"
"vertical-align:top}"
"th{font-size:12px;text-transform:uppercase;letter-spacing:.4px;"
"color:#5b6b7b}"
"td.t,.nw{white-space:nowrap}"
"td.id,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
"monospace;font-size:13px}"
"td.actions{min-width:300px}"
".scroll{overflow-x:auto}"
"td.actions form{display:flex;flex-wrap:wrap;gap:6px;align-items:center}"
".badge{display:inline-block;padding:1px 8px;border-radius:10px;"
"font-size:12px;font-weight:600}"
".b-active{background:#dcfce7;color:#166534}"
".b-inactive{background:#fef3c7;color:#92400e}"
".b-expired{background:#fee2e2;color:#991b1b}"
".b-revoked{background:#e5e7eb;color:#374151}"
".banner{border-radius:8px;padding:12px 16px;margin:0 0 14px;"
"border:1px solid}"
".warn{background:#fffbeb;border-color:#f5d37a}"
".bad{background:#fef2f2;border-color:#f3b0a8}"
".ok{background:#f0fdf4;border-color:#9ad9b0}"
".new{border:2px solid #1f6feb;background:#f5f9ff}"
".form-row{display:flex;gap:12px;align-items:flex-end;flex-wrap:wrap}"
".form-row label{display:flex;flex-direction:column;font-size:13px;"
"color:#3e4c59;gap:4px}"
".form-row input[type=text]{padding:6px 10px;border:1px solid #b8c4d0;"
"border-radius:6px;min-width:260px}"
".login{max-width:380px;margin:60px auto}"
".login label{display:block;font-size:13px;color:#3e4c59;margin:10px 0 4px}"
".login input{width:100%;padding:8px 10px;border:1px solid #b8c4d0;"
"border-radius:6px}"
".login button{margin-top:16px;width:100%}"
".form-row input[type=date]{padding:5px 8px;border:1px solid #b8c4d0;"
"border-radius:6px;font:inherit;font-size:14px}"
".form-row a{padding:6px 2px;font-size:14px;color:#1f6feb}"
".pager a{font-size:14px;color:#1f6feb}"
".pager{display:flex;gap:18px;justify-content:flex-end;margin:12px 0 0}"
".filters{margin:0 0 14px}"
".b-failure{background:#fee2e2;color:#991b1b}"
".b-success{background:#dcfce7;color:#166534}"
"td.d{color:#3e4c59;font-size:13px;max-width:380px;overflow-wrap:anywhere}"
"footer{color:#7b8794;font-size:12px;text-align:center;padding:10px 0 30px}";

static const char page_script[] =
"document.querySelectorAll('button[data-copy]').forEach(function(b){"
"b.hidden=false;"
"b.addEventListener('click',function(){"
"var f=document.getElementById(b.getAttribute('data-copy'));"
"var done=function(){b.textContent='Copied';};"
"f.select();"
"if(navigator.clipboard){navigator.clipboard.writeText(f.value)"
".then(done,function(){document.execCommand('copy');done();});}"
"else{document.execCommand('copy');done();}"
"});});";

/* --- the buffer --- */

static bool
grow(struct page_buf *b, size_t more)
{
	char	*n;
	size_t	 cap;

	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	if ((n = realloc(b->s, cap)) == NULL) {
		b->oom = true;
		return false;
	}
	b->s = n;
	b->cap = cap;
	return true;
}

static void
put_n(struct page_buf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
page_puts(struct page_buf *b, const char *markup)
{
	put_n(b, markup, strlen(markup));
}

void
page_printf(struct page_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
page_esc(struct page_buf *b, const char *text)
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
		put_n(b, run, (size_t)(p - run));
		page_puts(b, ent);
		run = p + 1;
	}
	put_n(b, run, (size_t)(p - run));
}

void
page_buf_free(struct page_buf *b)
{
	if (b->s != NULL)
		explicit_bzero(b->s, b->cap);
	free(b->s);
	memset(b, 0, sizeof(*b));
}

bool
page_cookie(const char *header, const char *name, char *out, size_t sz)
{
	const char	*p = header;
	size_t		 nlen = strlen(name), vlen;

	if (header == NULL)
		return false;
	while (*p != '\0') {
		p += strspn(p, " \t;");
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			vlen = strcspn(p, ";");
			while (vlen > 0 && (p[vlen - 1] == ' ' ||
			    p[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= sz)
				return false;
			memcpy(out, p, vlen);
			out[vlen] = '\0';
			return true;
		}
		p += strcspn(p, ";");
	}
	return false;
}

/* 'sha256-<base64>' of text into out (at least 60 bytes). */
static void
csp_hash(const char *text, char *out)
{
	struct sha256_ctx	 sh;
	uint8_t			 d[SHA256_DIGEST_SIZE];
	char			 b64[BASE64_ENCODE_RAW_LENGTH(SHA256_DIGEST_SIZE)
				    + 1];

	sha256_init(&sh);
	sha256_update(&sh, strlen(text), (const uint8_t *)text);
	sha256_digest(&sh, sizeof(d), d);
	base64_encode_raw(b64, sizeof(d), d);
	b64[sizeof(b64) - 1] = '\0';
	snprintf(out, 64, "'sha256-%s'", b64);
}

const char *
page_csp(void)
{
	static char	 csp[512];
	char		 sh[64], jh[64];

	if (csp[0] == '\0') {
		csp_hash(page_style, sh);
		csp_hash(page_script, jh);
		snprintf(csp, sizeof(csp), "default-src 'none'; style-src %s; "
		    "script-src %s; img-src 'self'; form-action 'self'; "
		    "frame-ancestors 'none'; base-uri 'none'", sh, jh);
	}
	return csp;
}

/* --- one request --- */

/* Everything one request of the page works with. */
struct page_req {
	struct page_ctx		*pc;
	const struct scim_config *cfg;
	const struct http_req	*req;
	struct http_resp	*resp;
	struct http_req		 form;		/* decoded POST fields */
	char			 base[BASE_MAX + 1]; /* the page's own path */
	const char		*sub;		/* "", "/login", ... */
	struct admin_session	 sess;
	bool			 signed_in;
	struct page_buf		 html;
};

/* The headers every answer carries. */
static void
common_headers(struct page_req *pr)
{
	http_resp_header(pr->resp, "Content-Security-Policy: %s", page_csp());
	http_resp_header(pr->resp, "Cache-Control: no-store");
	http_resp_header(pr->resp, "X-Content-Type-Options: nosniff");
	http_resp_header(pr->resp, "Referrer-Policy: no-referrer");
	http_resp_header(pr->resp, "X-Frame-Options: DENY");
}

static void
set_cookie(struct page_req *pr, const char *name, const char *value)
{
	http_resp_header(pr->resp, "Set-Cookie: %s=%s; Path=%s; HttpOnly; "
	    "SameSite=Strict%s%s", name, value, pr->base,
	    pr->req->https ? "; Secure" : "",
	    *value == '\0' ? "; Max-Age=0" : "");
}

static void
redirect(struct page_req *pr)
{
	pr->resp->status = 303;
	pr->resp->location = strdup(pr->base);
	pr->resp->raw_type = "text/html; charset=utf-8";
}

/* Hand the finished HTML to the response. */
static void
finish(struct page_req *pr, int status)
{
	pr->resp->status = status;
	if (pr->html.oom) {
		page_buf_free(&pr->html);
		page_puts(&pr->html, "out of memory\n");
		pr->resp->status = 500;
	}
	pr->resp->raw = pr->html.s;
	pr->resp->raw_len = pr->html.len;
	pr->resp->raw_type = "text/html; charset=utf-8";
	memset(&pr->html, 0, sizeof(pr->html));
}

/* --- markup pieces --- */

/* A hidden form field (name is markup, value is escaped). */
static void
hidden(struct page_buf *b, const char *name, const char *value)
{
	page_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	page_esc(b, value);
	page_puts(b, "\">");
}

/*
 * Open a form that posts to the page's sub-path sub ("/action", ...),
 * of class cls unless NULL (both markup), with csrf as its first field.
 */
static void
post_form(struct page_req *pr, const char *sub, const char *cls,
    const char *csrf)
{
	struct page_buf	*b = &pr->html;

	page_puts(b, "<form method=\"post\" action=\"");
	page_esc(b, pr->base);
	page_puts(b, sub);
	page_puts(b, "\"");
	if (cls != NULL)
		page_printf(b, " class=\"%s\"", cls);
	page_puts(b, ">");
	hidden(b, "csrf", csrf);
}

/*
 * A <label> around an <input> of type and name (markup; attrs, more
 * markup, goes into the tag), holding value (escaped) unless NULL.
 */
static void
labelled_input(struct page_buf *b, const char *label, const char *type,
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
static void
td_text(struct page_buf *b, const char *cls, const char *text)
{
	if (cls != NULL)
		page_printf(b, "<td class=\"%s\">", cls);
	else
		page_puts(b, "<td>");
	page_esc(b, text);
	page_puts(b, "</td>");
}

/* A table cell with a badge of class "b-<kind>" showing text (escaped). */
static void
td_badge(struct page_buf *b, const char *kind, const char *text)
{
	page_puts(b, "<td><span class=\"badge b-");
	page_esc(b, kind);
	page_puts(b, "\">");
	page_esc(b, text);
	page_puts(b, "</span></td>");
}

static void
head(struct page_req *pr, const char *title)
{
	struct page_buf	*b = &pr->html;

	page_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\"><title>");
	page_esc(b, title);
	page_puts(b, " · scim-fcgi</title><style>");
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
		post_form(pr, "/logout", NULL, pr->sess.csrf);
		page_puts(b, "<button class=\"link\" type=\"submit\">"
		    "Sign out</button></form></span>");
	}
	page_puts(b, "</div></header>\n<main class=\"wrap\">\n");
}

static void
foot(struct page_req *pr)
{
	page_puts(&pr->html, "</main>\n<footer>scim-fcgi " PACKAGE_VERSION
	    " · SCIM 2.0 provisioning</footer>\n<script>");
	page_puts(&pr->html, page_script);
	page_puts(&pr->html, "</script>\n</body></html>\n");
}

/* A short page with a heading and a message. */
static void
message_page(struct page_req *pr, int status, const char *title,
    const char *msg)
{
	head(pr, title);
	page_puts(&pr->html, "<section class=\"card\"><h1>");
	page_esc(&pr->html, title);
	page_puts(&pr->html, "</h1><p>");
	page_esc(&pr->html, msg);
	page_puts(&pr->html, "</p><p><a href=\"");
	page_esc(&pr->html, pr->base);
	page_puts(&pr->html, "\">Back to Secret Tokens</a></p></section>\n");
	foot(pr);
	finish(pr, status);
}

/* "2026-11-22 10:47 UTC", or "never" for 0. */
static void
when(struct page_buf *b, int64_t usec)
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

/* A token as "<label> (<id>)". */
static void
token_name(struct page_buf *b, const cJSON *tk)
{
	page_puts(b, "<strong>");
	page_esc(b,
	    *json_str(tk, "label") ? json_str(tk, "label") : "(no label)");
	page_puts(b, "</strong> (<code>");
	page_esc(b, json_str(tk, "id"));
	page_puts(b, "</code>)");
}

/* --- the sign-in form --- */

static void
login_page(struct page_req *pr, int status, const char *error)
{
	struct page_buf	*b = &pr->html;
	char		 csrf[ADMIN_SID_HEX + 1];

	/* The form's CSRF token doubles as a cookie (double submit). */
	if (!page_cookie(pr->req->cookie, ADMIN_LOGIN_COOKIE, csrf,
	    sizeof(csrf)) || strlen(csrf) != ADMIN_SID_HEX) {
		if (!admin_random_hex(csrf)) {
			message_page(pr, 500, "Error", "no randomness");
			return;
		}
		set_cookie(pr, ADMIN_LOGIN_COOKIE, csrf);
	}
	head(pr, "Sign in");
	page_puts(b, "<section class=\"card login\"><h1>Sign in</h1>"
	    "<p class=\"muted\">Manage the Secret Tokens that Microsoft "
	    "Entra ID uses to provision users.</p>");
	if (error != NULL) {
		page_puts(b, "<div class=\"banner bad\" role=\"alert\">");
		page_esc(b, error);
		page_puts(b, "</div>");
	}
	post_form(pr, "/login", NULL, csrf);
	page_puts(b, "<label for=\"name\">Name</label>"
	    "<input id=\"name\" name=\"name\" type=\"text\" "
	    "autocomplete=\"username\" required autofocus>"
	    "<label for=\"password\">Password</label>"
	    "<input id=\"password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" required>"
	    "<button class=\"primary\" type=\"submit\">Sign in</button>"
	    "</form></section>\n");
	foot(pr);
	finish(pr, status);
}

static void
do_login(struct page_req *pr)
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
		message_page(pr, 403, "Forbidden", "The form did not carry "
		    "a valid CSRF token. Reload the page and try again.");
		return;
	}
	rc = admin_login(pr->pc->store, pr->cfg, http_param(&pr->form, "name"),
	    http_param(&pr->form, "password"), pr->req->remote_addr,
	    &pr->sess, &err);
	if (rc == SCIM_E_UNAUTHORIZED || rc == SCIM_E_FORBIDDEN) {
		login_page(pr, rc == SCIM_E_FORBIDDEN ? 403 : 401, err.detail);
		return;
	}
	if (rc != SCIM_OK) {
		log_err("sign-in: %s", err.detail);
		message_page(pr, scim_err_status(rc), "Error",
		    "The sign-in could not be completed; try again.");
		return;
	}
	set_cookie(pr, ADMIN_COOKIE, pr->sess.sid);
	set_cookie(pr, ADMIN_LOGIN_COOKIE, "");
	redirect(pr);
}

static void
do_logout(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };

	if (admin_session_end(pr->pc->store, pr->cfg, &pr->sess, &err) !=
	    SCIM_OK)
		log_err("sign-out: %s", err.detail);
	set_cookie(pr, ADMIN_COOKIE, "");
	redirect(pr);
}

/* --- token actions --- */

/* Leave "+message" (success) or "-message" (failure) for the next view. */
static void
flash(struct page_req *pr, bool ok, const char *secret, const char *fmt,
    ...)
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

struct act_insert {
	const cJSON			*rec;
	cJSON				*newrec;
	const char			*tenant;
	const char			*id;
	unsigned			 max_live;
	const char			*actor;
	const struct scim_config	*cfg;
};

static enum scim_err
act_insert(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct act_insert	*ai = arg;

	return token_insert(t, ai->rec, ai->max_live, ai->cfg, err);
}

static enum scim_err
act_regen(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct act_insert	*ai = arg;

	return token_regenerate(t, ai->tenant, ai->id, ai->newrec,
	    ai->max_live, ai->actor, ai->cfg, err);
}

static enum scim_err
act_apply(struct store_txn *t, void *arg, struct scim_error *err)
{
	return token_apply(t, arg, err);
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

/* Does act cut a client off for good, so that the page asks first? */
static bool
needs_confirm(enum token_action act)
{
	return act == TOKEN_REVOKE || act == TOKEN_DELETE;
}

struct confirm_arg {
	const char	*tenant;
	const char	*id;
	cJSON		*rec;		/* out: token_get() */
};

static enum scim_err
confirm_read(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct confirm_arg	*ca = arg;

	cJSON_Delete(ca->rec);
	ca->rec = NULL;
	return token_get(t, ca->tenant, ca->id, &ca->rec, err);
}

/* The confirmation view of act on tk (token_public() at now). */
static void
confirm_page(struct page_req *pr, enum token_action act, const cJSON *tk,
    enum token_state st)
{
	struct page_buf	*b = &pr->html;
	const char	*verb = act == TOKEN_DELETE ? "Delete" : "Revoke";

	head(pr, act == TOKEN_DELETE ? "Delete token" : "Revoke token");
	page_printf(b, "<section class=\"card confirm\" id=\"confirm\">"
	    "<h1>%s this token?</h1><p>You are about to %s token ", verb,
	    act == TOKEN_DELETE ? "delete" : "revoke");
	token_name(b, tk);
	page_puts(b, ".</p><p class=\"muted\">Status ");
	page_esc(b, json_str(tk, "status"));
	page_puts(b, " · expires ");
	when(b, json_int(tk, "expires"));
	page_puts(b, " · last used ");
	when(b, json_int(tk, "last_used"));
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
	post_form(pr, "/action", "form-row", pr->sess.csrf);
	hidden(b, "id", json_str(tk, "id"));
	hidden(b, "confirm", "yes");
	page_printf(b, "<button type=\"submit\" class=\"danger solid\" "
	    "id=\"confirm-yes\" name=\"action\" value=\"%s\">%s token"
	    "</button><a id=\"confirm-cancel\" href=\"",
	    token_action_name(act), verb);
	page_esc(b, pr->base);
	page_puts(b, "\">Cancel</a></form></section>\n");
	foot(pr);
	finish(pr, 200);
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
	struct confirm_arg	 ca;
	enum token_state	 st = TOKEN_ACTIVE;
	int64_t			 now = util_now_usec();
	cJSON			*tk = NULL;
	enum scim_err		 rc;

	memset(&ca, 0, sizeof(ca));
	ca.tenant = pr->sess.tenant;
	ca.id = id;
	rc = store_read(pr->pc->store, confirm_read, &ca, &err);
	if (rc == SCIM_OK) {
		st = token_state(ca.rec, now);
		if ((tk = token_public(ca.rec, now)) == NULL)
			rc = scim_fail(&err, SCIM_E_INTERNAL, "out of memory");
		else
			/* On the stored copy, thrown away: a dry run. */
			rc = token_transition(ca.rec, act, now, 0, &err);
	}
	if (rc == SCIM_OK)
		confirm_page(pr, act, tk, st);
	else if (rc == SCIM_E_NOT_FOUND || rc == SCIM_E_CONFLICT) {
		flash(pr, false, NULL, "Could not %s the token: %s",
		    token_action_name(act), err.detail);
		redirect(pr);
	} else {
		log_err("page: %s", err.detail);
		message_page(pr, 503, "Unavailable", "The token store cannot be "
		    "read right now; try again in a moment.");
	}
	cJSON_Delete(tk);
	cJSON_Delete(ca.rec);
}

static void
do_action(struct page_req *pr)
{
	static const char *const done[] = {
		[TOKEN_DISABLE] = "disabled", [TOKEN_ENABLE] = "enabled",
		[TOKEN_RENEW] = "renewed", [TOKEN_REVOKE] = "revoked",
		[TOKEN_DELETE] = "deleted",
	};
	struct scim_error	 err = { SCIM_OK, "" };
	struct act_insert	 ai;
	struct token_op		 op;
	const char		*action = http_param(&pr->form, "action");
	const char		*id = http_param(&pr->form, "id");
	const char		*label = http_param(&pr->form, "label");
	const char		*days_s = http_param(&pr->form, "days");
	const char		*confirm = http_param(&pr->form, "confirm");
	bool			 confirmed = confirm != NULL &&
				    strcmp(confirm, "yes") == 0;
	char			 tok[TOKEN_LEN + 1];
	char			 actor[ADMIN_NAME_MAX + 8];
	cJSON			*rec = NULL;
	long			 days = pr->cfg->default_days;
	enum scim_err		 rc;

	tok[0] = '\0';
	snprintf(actor, sizeof(actor), "admin:%s", pr->sess.name);
	if (pr->sess.role != ADMIN_ROLE_OWNER) {
		log_warn("\"%s\" (role %s) tried to %s a token",
		    pr->sess.name, admin_role_name(pr->sess.role),
		    action ? action : "change");
		message_page(pr, 403, "Forbidden", "Only owners can create "
		    "or change tokens; your role lets you view them.");
		return;
	}
	if (days_s != NULL && (!util_parse_long(days_s, 1, 3650, &days) ||
	    !token_days_valid((unsigned)days))) {
		flash(pr, false, NULL, "The lifetime must be 30, 60, 90, 180 "
		    "or 365 days.");
		goto out;
	}
	if (token_action_parse(action, &op.act) && needs_confirm(op.act) &&
	    !confirmed) {
		confirm_ask(pr, op.act, id);
		return;
	}
	memset(&ai, 0, sizeof(ai));
	ai.tenant = pr->sess.tenant;
	ai.id = id;
	ai.max_live = pr->cfg->max_live_tokens;
	ai.actor = actor;
	ai.cfg = pr->cfg;
	if (action != NULL && strcmp(action, "create") == 0) {
		rc = token_new(pr->cfg, pr->sess.tenant, label ? label : "",
		    (unsigned)days, actor, tok, &rec, &err);
		ai.rec = rec;
		if (rc == SCIM_OK)
			rc = store_run(pr->pc->store, act_insert, &ai, &err);
		if (rc == SCIM_OK)
			flash(pr, true, tok, "Token %s created; it expires in "
			    "%ld days.", json_str(rec, "id"), days);
		else
			flash(pr, false, NULL, "The token was not created: %s",
			    err.detail);
	} else if (action != NULL && strcmp(action, "regenerate") == 0) {
		rc = token_new(pr->cfg, pr->sess.tenant, "", (unsigned)days,
		    actor, tok, &rec, &err);
		ai.newrec = rec;
		if (rc == SCIM_OK)
			rc = store_run(pr->pc->store, act_regen, &ai, &err);
		if (rc == SCIM_OK)
			flash(pr, true, tok, "Token %s regenerated as %s: the "
			    "old one is revoked. Paste the new one into Entra "
			    "ID now.", id, json_str(rec, "id"));
		else
			flash(pr, false, NULL, "The token was not "
			    "regenerated: %s", err.detail);
	} else if (token_action_parse(action, &op.act)) {
		op.tenant = pr->sess.tenant;
		op.id = id;
		op.ttl_sec = days * 86400;
		op.max_live = pr->cfg->max_live_tokens;
		op.actor = actor;
		op.cfg = pr->cfg;
		rc = store_run(pr->pc->store, act_apply, &op, &err);
		if (rc == SCIM_OK)
			flash(pr, true, NULL, "Token %s %s.", id, done[op.act]);
		else
			flash(pr, false, NULL, "Could not %s the token: %s",
			    action, err.detail);
	} else
		flash(pr, false, NULL, "Unknown action.");
out:
	explicit_bzero(tok, sizeof(tok));
	cJSON_Delete(rec);
	redirect(pr);
}

/* --- the page --- */

struct view {
	const char	*tenant;
	int64_t		 now;
	cJSON		*tokens;	/* token_list() */
	cJSON		*events;	/* audit_query() */
	unsigned	 live;
};

static enum scim_err
view_read(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct view	*v = arg;
	enum scim_err	 rc;

	cJSON_Delete(v->tokens);
	v->tokens = NULL;
	if ((rc = token_list(t, v->tenant, v->now, &v->tokens, err)) !=
	    SCIM_OK)
		return rc;
	return token_count_live(t, v->tenant, v->now, &v->live, err);
}

/* The Tenant URL to paste into Entra ID. */
static void
tenant_url(struct page_req *pr, char *out, size_t sz)
{
	if (pr->cfg->tenant_url[0] != '\0')
		snprintf(out, sz, "%s", pr->cfg->tenant_url);
	else if (pr->cfg->base_url[0] != '\0')
		snprintf(out, sz, "%s", pr->cfg->base_url);
	else
		snprintf(out, sz, "%s/scim/v2", pr->req->host_url);
}

/* "in 13 days", "in 5 hours", "within the hour". */
static void
time_left(struct page_buf *b, int64_t usec)
{
	int64_t	 h = usec / (3600LL * 1000000);

	if (h >= 48)
		page_printf(b, "in %lld days", (long long)((h + 12) / 24));
	else if (h >= 1)
		page_printf(b, "in %lld hour%s", (long long)h, h == 1 ? "" : "s");
	else
		page_puts(b, "within the hour");
}

static void
banners(struct page_req *pr, const struct view *v)
{
	struct page_buf	*b = &pr->html;
	const cJSON	*tk;
	unsigned	 live = 0;

	cJSON_ArrayForEach(tk, v->tokens)
		if (token_reminder_level(tk, v->now) > 0) {
			page_puts(b, "<div class=\"banner warn\" role=\"status\">"
			    "Token ");
			token_name(b, tk);
			page_puts(b, " expires ");
			time_left(b, json_int(tk, "expires") - v->now);
			page_puts(b, ", on ");
			when(b, json_int(tk, "expires"));
			page_puts(b, ". Renew it, or regenerate it and paste the "
			    "new token into Entra ID.</div>\n");
		}
	cJSON_ArrayForEach(tk, v->tokens)
		if (strcmp(json_str(tk, "status"), "Active") == 0)
			live++;
	if (live == 0 && cJSON_GetArraySize(v->tokens) > 0)
		page_puts(b, "<div class=\"banner bad\" role=\"status\">"
		    "No token of this tenant is active: provisioning requests "
		    "are refused until one is.</div>\n");
}

static void
new_token_panel(struct page_buf *b, const char *secret)
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

static void
days_select(struct page_buf *b, unsigned def, const char *label)
{
	static const unsigned	 choices[] = { 30, 60, 90, 180, 365 };
	size_t			 i;

	page_printf(b, "<select name=\"days\" aria-label=\"%s\">", label);
	for (i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
		page_printf(b, "<option value=\"%u\"%s>%u days</option>",
		    choices[i], choices[i] == def ? " selected" : "",
		    choices[i]);
	page_puts(b, "</select>");
}

static void
action_button(struct page_buf *b, const char *act, const char *text,
    bool danger)
{
	page_printf(b, "<button type=\"submit\" name=\"action\" value=\"%s\"%s>"
	    "%s</button>", act, danger ? " class=\"danger\"" : "", text);
}

static void
token_table(struct page_req *pr, const struct view *v)
{
	static const char *const times[] = { "created", "expires",
	    "last_used" };
	struct page_buf	*b = &pr->html;
	const cJSON	*tk;
	const char	*st;
	bool		 owner = pr->sess.role == ADMIN_ROLE_OWNER;
	char		 lower[16];
	size_t		 i;

	page_puts(b, "<section class=\"card\"><h2>Tokens</h2>");
	page_printf(b, "<p class=\"muted\">%u of %u live tokens in use "
	    "(active or disabled, not expired).</p>", v->live,
	    pr->cfg->max_live_tokens);
	if (cJSON_GetArraySize(v->tokens) == 0) {
		page_puts(b, "<p>No tokens yet.</p></section>\n");
		return;
	}
	page_puts(b, "<div class=\"scroll\"><table id=\"tokens\"><thead><tr><th>Label</th>"
	    "<th>Token ID</th><th>Status</th><th>Created At</th>"
	    "<th>Expires At</th><th>Last Used</th><th>Created By</th>");
	if (owner)
		page_puts(b, "<th>Actions</th>");
	page_puts(b, "</tr></thead><tbody>\n");
	cJSON_ArrayForEach(tk, v->tokens) {
		st = json_str(tk, "status");
		for (i = 0; st[i] != '\0' && i + 1 < sizeof(lower); i++)
			lower[i] = (char)(st[i] | 0x20);
		lower[i] = '\0';
		page_puts(b, "<tr data-id=\"");
		page_esc(b, json_str(tk, "id"));
		page_puts(b, "\">");
		td_text(b, "label", json_str(tk, "label"));
		td_text(b, "id", json_str(tk, "id"));
		td_badge(b, lower, st);
		for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			page_puts(b, "<td>");
			when(b, json_int(tk, times[i]));
			page_puts(b, "</td>");
		}
		td_text(b, NULL, json_str(tk, "created_by"));
		if (owner) {
			page_puts(b, "<td class=\"actions\">");
			post_form(pr, "/action", NULL, pr->sess.csrf);
			hidden(b, "id", json_str(tk, "id"));
			if (strcmp(st, "Revoked") != 0) {
				days_select(b, pr->cfg->default_days,
				    "Lifetime for renew or regenerate");
				action_button(b, "renew", "Renew", false);
				action_button(b, "regenerate", "Regenerate",
				    false);
				if (strcmp(st, "Active") == 0)
					action_button(b, "disable", "Disable",
					    false);
				else if (strcmp(st, "Inactive") == 0)
					action_button(b, "enable", "Enable",
					    false);
				action_button(b, "revoke", "Revoke", true);
			}
			action_button(b, "delete", "Delete", true);
			page_puts(b, "</form></td>");
		}
		page_puts(b, "</tr>\n");
	}
	page_puts(b, "</tbody></table></div></section>\n");
}

static void
create_form(struct page_req *pr, const struct view *v)
{
	struct page_buf	*b = &pr->html;
	bool		 full = v->live >= pr->cfg->max_live_tokens;

	page_puts(b, "<section class=\"card\"><h2>Create a token</h2>");
	if (full)
		page_printf(b, "<p class=\"banner warn\">This tenant already has "
		    "%u live tokens, the most allowed. Revoke or delete one, "
		    "or regenerate one instead.</p>", v->live);
	post_form(pr, "/action", "form-row", pr->sess.csrf);
	labelled_input(b, "Label", "text", "label", " maxlength=\""
	    STR(TOKEN_LABEL_MAX) "\" placeholder=\"e.g. Entra ID production\"",
	    NULL);
	page_puts(b, "<label>Expires after");
	days_select(b, pr->cfg->default_days, "Lifetime");
	page_printf(b, "</label><button class=\"primary\" type=\"submit\" "
	    "name=\"action\" value=\"create\"%s>Create token</button>"
	    "</form></section>\n", full ? " disabled" : "");
}

/* --- the audit log --- */

/* The audit log's filters, from the page's query string. */
struct log_filter {
	const char	*category;	/* "scim", "tokens", "auth", "admin" */
	const char	*target;	/* id or name, or NULL for all */
	const char	*since_s;	/* the since value as given, if valid */
	const char	*until_s;	/* the until value as given, if valid */
	int64_t		 since;		/* usec, 0 = no bound */
	int64_t		 until;		/* usec, 0 = no bound */
	const char	*before;	/* a well-formed event id, or NULL */
	struct page_buf	 notice;	/* why some filters were ignored */
};

static const char *const log_categories[][2] = {
	{ "scim", "SCIM" }, { "tokens", "Tokens" }, { "auth", "Auth" },
	{ "admin", "Admin" },
};

/* Add one sentence to the filter notice. */
static void
notice(struct log_filter *f, const char *what, const char *value,
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
bound_read(struct log_filter *f, const char *what, const char *value,
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
static void
log_filter_read(const struct http_req *req, struct log_filter *f)
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
			    "Tokens, Auth or Admin): showing all categories.");
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
		if (strlen(before) == EVENT_ID_LEN && strspn(before,
		    "0123456789abcdef") == EVENT_ID_LEN)
			f->before = before;
		else
			notice(f, "The paging position", before,
			    "is not an event id: showing the newest events.");
	}
}

/* Append "name=value" to a query string, percent-encoding the value. */
static void
query_add(struct page_buf *q, const char *name, const char *value)
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
			put_n(q, (const char *)p, 1);
		else
			page_printf(q, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
}

/* An <a> to the page with the valid filters and, if given, before. */
static void
log_link(struct page_req *pr, const struct log_filter *f,
    const char *before, const char *cls, const char *text)
{
	struct page_buf	 q;

	memset(&q, 0, sizeof(q));
	query_add(&q, "category", f->category);
	query_add(&q, "target", f->target);
	query_add(&q, "since", f->since_s);
	query_add(&q, "until", f->until_s);
	query_add(&q, "before", before);
	page_printf(&pr->html, "<a class=\"%s\" href=\"", cls);
	page_esc(&pr->html, pr->base);
	page_esc(&pr->html, q.s);
	page_puts(&pr->html, "#audit\">");
	page_puts(&pr->html, text);
	page_puts(&pr->html, "</a>");
	page_buf_free(&q);
}

static const char *
event_id_of(const cJSON *e)
{
	return json_str(e, "id");
}

/* Is id one of the tenant's tokens (tokens: token_list())? */
static bool
tenant_token(const cJSON *tokens, const char *id)
{
	const cJSON	*tk;

	if (*id == '\0')
		return false;
	cJSON_ArrayForEach(tk, tokens)
		if (strcmp(json_str(tk, "id"), id) == 0)
			return true;
	return false;
}

/*
 * Refused requests are recorded without a tenant (the token was not
 * accepted, so it vouches for none).  Collect into *out (new array,
 * newest first; caller deletes) up to want of those that name one of
 * the tenant's own tokens and match q, reading at most ORPHAN_ROUNDS
 * batches so a flood of refusals cannot make the page slow.
 */
static enum scim_err
orphan_events(struct page_req *pr, const struct view *v,
    const struct audit_query *base, unsigned want, cJSON **out,
    struct scim_error *err)
{
	struct audit_query	 q = *base;
	char			 last[EVENT_ID_LEN + 1];
	cJSON			*batch = NULL, *e;
	unsigned		 got = 0, round, n;
	enum scim_err		 rc = SCIM_OK;

	if ((*out = cJSON_CreateArray()) == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	q.tenant = "";
	q.category = "auth";
	q.limit = ORPHAN_BATCH;
	for (round = 0; round < ORPHAN_ROUNDS && got < want; round++) {
		if ((rc = audit_query(pr->pc->store, &q, &batch, err)) !=
		    SCIM_OK)
			break;
		n = (unsigned)cJSON_GetArraySize(batch);
		if (n == 0)
			break;
		snprintf(last, sizeof(last), "%s",
		    event_id_of(cJSON_GetArrayItem(batch, (int)n - 1)));
		while (got < want && (e = cJSON_DetachItemFromArray(batch,
		    0)) != NULL) {
			if (tenant_token(v->tokens, json_str(
			    cJSON_GetObjectItemCaseSensitive(e, "target"),
			    "id"))) {
				cJSON_AddItemToArray(*out, e);
				got++;
			} else
				cJSON_Delete(e);
		}
		cJSON_Delete(batch);
		batch = NULL;
		if (n < ORPHAN_BATCH || strlen(last) != EVENT_ID_LEN)
			break;
		q.before = last;
	}
	if (rc != SCIM_OK) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * Merge two arrays of events, newest first, into a new one of at most
 * max events; a and b are emptied (their leftovers deleted by the
 * caller).  Event ids begin with their time in hex, so they compare as
 * times.
 */
static cJSON *
merge_events(cJSON *a, cJSON *b, unsigned max)
{
	cJSON		*out, *ha, *hb;
	unsigned	 n = 0;

	if ((out = cJSON_CreateArray()) == NULL)
		return NULL;
	while (n < max) {
		ha = cJSON_GetArrayItem(a, 0);
		hb = cJSON_GetArrayItem(b, 0);
		if (ha == NULL && hb == NULL)
			break;
		if (hb == NULL || (ha != NULL &&
		    strcmp(event_id_of(ha), event_id_of(hb)) >= 0))
			cJSON_AddItemToArray(out,
			    cJSON_DetachItemFromArray(a, 0));
		else
			cJSON_AddItemToArray(out,
			    cJSON_DetachItemFromArray(b, 0));
		n++;
	}
	return out;
}

/*
 * Read one page of the log into v->events: EVENTS_SHOWN events and one
 * more, which only tells whether there is an older page.  Owners also
 * see the tenant-less refusals of their own tokens (orphan_events()).
 */
static enum scim_err
log_read(struct page_req *pr, struct view *v, const struct log_filter *f,
    struct scim_error *err)
{
	struct audit_query	 q;
	cJSON			*own = NULL, *orph = NULL;
	enum scim_err		 rc;

	memset(&q, 0, sizeof(q));
	q.tenant = pr->sess.tenant;
	q.category = f->category;
	q.target = f->target;
	q.since = f->since;
	q.until = f->until;
	q.before = f->before;
	q.limit = EVENTS_SHOWN + 1;
	if ((rc = audit_query(pr->pc->store, &q, &own, err)) != SCIM_OK)
		return rc;
	if (pr->sess.role != ADMIN_ROLE_OWNER || (f->category != NULL &&
	    strcmp(f->category, "auth") != 0)) {
		v->events = own;
		return SCIM_OK;
	}
	if ((rc = orphan_events(pr, v, &q, EVENTS_SHOWN + 1, &orph, err)) !=
	    SCIM_OK) {
		cJSON_Delete(own);
		return rc;
	}
	v->events = merge_events(own, orph, EVENTS_SHOWN + 1);
	cJSON_Delete(own);
	cJSON_Delete(orph);
	if (v->events == NULL)
		return scim_fail(err, SCIM_E_INTERNAL, "out of memory");
	return SCIM_OK;
}

/* An audit time ("2026-11-22T10:47:31.123Z") as "2026-11-22 10:47:31 UTC". */
static void
event_time(struct page_buf *b, const char *t)
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
esc_short(struct page_buf *b, const char *text)
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
details(struct page_buf *b, const cJSON *d)
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
log_form(struct page_req *pr, const struct log_filter *f)
{
	struct page_buf	*b = &pr->html;
	size_t		 i;

	page_puts(b, "<form method=\"get\" action=\"");
	page_esc(b, pr->base);
	page_puts(b, "#audit\" class=\"form-row filters\" id=\"audit-filter\">"
	    "<label>Category<select name=\"category\">"
	    "<option value=\"\">All</option>");
	for (i = 0; i < sizeof(log_categories) / sizeof(log_categories[0]);
	    i++)
		page_printf(b, "<option value=\"%s\"%s>%s</option>",
		    log_categories[i][0], f->category != NULL &&
		    strcmp(f->category, log_categories[i][0]) == 0 ?
		    " selected" : "", log_categories[i][1]);
	page_puts(b, "</select></label>");
	labelled_input(b, "Target (id or name)", "text", "target",
	    " maxlength=\"" STR(TARGET_MAX) "\" placeholder=\"e.g. "
	    "alice@example.com\"", f->target ? f->target : "");
	labelled_input(b, "Since (UTC)", "date", "since", "",
	    f->since_s ? f->since_s : "");
	labelled_input(b, "Until (UTC)", "date", "until", "",
	    f->until_s ? f->until_s : "");
	page_puts(b, "<button class=\"primary\" type=\"submit\">"
	    "Filter</button><a id=\"audit-clear\" href=\"");
	page_esc(b, pr->base);
	page_puts(b, "#audit\">Clear</a></form>\n");
}

static void
log_row(struct page_buf *b, const cJSON *e)
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
	td_text(b, NULL, json_str(e, "actor"));
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
	td_badge(b, strcmp(outcome, "failure") == 0 ? "failure" : "success",
	    outcome);
	page_puts(b, "<td class=\"d\">");
	details(b, cJSON_GetObjectItemCaseSensitive(e, "details"));
	page_puts(b, "</td></tr>\n");
}

/* The audit log section: filter form, notice, one page of events. */
static void
log_section(struct page_req *pr, const struct view *v,
    const struct log_filter *f)
{
	struct page_buf	*b = &pr->html;
	const cJSON	*e;
	const char	*last = NULL;
	unsigned	 n = 0, total = (unsigned)cJSON_GetArraySize(v->events);
	bool		 filtered = f->category || f->target || f->since ||
			    f->until;

	page_puts(b, "<section class=\"card\" id=\"audit\"><h2>Audit log</h2>"
	    "<p class=\"muted\">What was done in this tenant, newest first");
	if (pr->sess.role == ADMIN_ROLE_OWNER)
		page_puts(b, ", with refused requests that named one of its "
		    "tokens");
	page_puts(b, ". Times are UTC.</p>");
	log_form(pr, f);
	if (f->notice.len > 0) {
		page_puts(b, "<div class=\"banner warn\" role=\"status\" "
		    "id=\"audit-notice\">");
		page_puts(b, f->notice.s);
		page_puts(b, "</div>");
	}
	if (total == 0) {
		page_printf(b, "<p class=\"muted\" id=\"audit-empty\">%s</p>",
		    f->before ? "No older events." : filtered ?
		    "No event matches these filters." : "Nothing yet.");
	} else {
		page_puts(b, "<div class=\"scroll\"><table id=\"events\">"
		    "<thead><tr><th>Time</th><th>Event</th><th>Actor</th>"
		    "<th>Target</th><th>Outcome</th><th>Details</th></tr>"
		    "</thead><tbody>\n");
		cJSON_ArrayForEach(e, v->events) {
			if (n == EVENTS_SHOWN)
				break;
			log_row(b, e);
			last = json_str(e, "id");
			n++;
		}
		page_puts(b, "</tbody></table></div>");
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

static void
dashboard(struct page_req *pr)
{
	struct page_buf		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	struct log_filter	 f;
	struct view		 v;
	char			*msg = NULL, *secret = NULL, url[1200];

	memset(&v, 0, sizeof(v));
	v.tenant = pr->sess.tenant;
	v.now = util_now_usec();
	log_filter_read(pr->req, &f);
	if (pr->sess.has_flash && admin_flash_take(pr->pc->store, &pr->sess,
	    &msg, &secret, &err) != SCIM_OK)
		log_err("flash: %s", err.detail);
	if (store_read(pr->pc->store, view_read, &v, &err) != SCIM_OK ||
	    log_read(pr, &v, &f, &err) != SCIM_OK) {
		log_err("page: %s", err.detail);
		message_page(pr, 503, "Unavailable", "The token store cannot be "
		    "read right now; try again in a moment.");
		goto out;
	}
	if (f.notice.oom)
		pr->html.oom = true;
	head(pr, "Secret Tokens");
	page_puts(b, "<h1>Secret Tokens</h1>\n");
	if (msg != NULL) {
		page_printf(b, "<div class=\"banner %s\" role=\"status\" "
		    "id=\"flash\">", msg[0] == '+' ? "ok" : "bad");
		page_esc(b, msg + 1);
		page_puts(b, "</div>\n");
	}
	if (secret != NULL)
		new_token_panel(b, secret);
	banners(pr, &v);
	tenant_url(pr, url, sizeof(url));
	page_puts(b, "<section class=\"card\"><h2>Tenant URL</h2>"
	    "<p class=\"muted\">Paste it into Entra ID (Provisioning → Admin "
	    "Credentials → Tenant URL) together with a Secret Token.</p>"
	    "<div class=\"copyrow\"><input id=\"tenant-url\" type=\"text\" "
	    "readonly aria-label=\"Tenant URL\" value=\"");
	page_esc(b, url);
	page_puts(b, "\"><button type=\"button\" data-copy=\"tenant-url\" "
	    "hidden>Copy</button></div></section>\n");
	token_table(pr, &v);
	if (pr->sess.role == ADMIN_ROLE_OWNER)
		create_form(pr, &v);
	else
		page_puts(b, "<p class=\"banner warn\">Your role (admin) lets "
		    "you view the tokens; only owners can create or change "
		    "them.</p>\n");
	log_section(pr, &v, &f);
	foot(pr);
	finish(pr, 200);
out:
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	free(secret);
	free(msg);
	page_buf_free(&f.notice);
	cJSON_Delete(v.tokens);
	cJSON_Delete(v.events);
}

/* --- routing --- */

static bool
plain_path(const char *s, size_t n)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/._-~") >= n;
}

/*
 * Find the page's base path and the sub-path asked for.  The web server
 * says where the program is mounted (SCRIPT_NAME) and what follows
 * (PATH_INFO); without SCRIPT_NAME the known sub-paths are taken off the
 * end of the path.  False for an unknown sub-path or a path that could
 * not safely go into Set-Cookie and Location.
 */
static bool
split_path(struct page_req *pr)
{
	static const char *const subs[] = { "/login", "/logout", "/action" };
	const char	*sn = getenv("SCRIPT_NAME"), *pi = getenv("PATH_INFO");
	const char	*path = pr->req->path ? pr->req->path : "";
	size_t		 n, l, i;

	pr->sub = "";
	if (sn != NULL && *sn != '\0') {
		path = sn;
		n = strlen(sn);
		if (pi != NULL && *pi != '\0' && strcmp(pi, "/") != 0) {
			for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
				if (strcmp(pi, subs[i]) == 0)
					pr->sub = subs[i];
			if (*pr->sub == '\0')
				return false;
		}
	} else {
		n = strlen(path);
		for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
			l = strlen(subs[i]);
			if (n > l && strcmp(path + n - l, subs[i]) == 0) {
				pr->sub = subs[i];
				n -= l;
				break;
			}
		}
	}
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0 || n > BASE_MAX || path[0] != '/' || !plain_path(path, n))
		return false;
	memcpy(pr->base, path, n);
	pr->base[n] = '\0';
	return true;
}

/* Who is asking: sets pr->sess and pr->signed_in. */
static enum scim_err
identify(struct page_req *pr, struct scim_error *err)
{
	char		 sid[ADMIN_SID_HEX + 2];
	bool		 have;

	have = page_cookie(pr->req->cookie, ADMIN_COOKIE, sid, sizeof(sid));
	if (pr->cfg->trust_remote_user) {
		if (pr->req->remote_user == NULL)
			return scim_fail(err, SCIM_E_UNAUTHORIZED,
			    "This page trusts the web server to authenticate "
			    "you, and it did not: check its configuration.");
		if (admin_session_remote(pr->pc->store, pr->cfg,
		    pr->req->remote_user, have ? sid : NULL, &pr->sess,
		    err) != SCIM_OK)
			return err->code;
		if (pr->sess.is_new)
			set_cookie(pr, ADMIN_COOKIE, pr->sess.sid);
		pr->signed_in = true;
		return SCIM_OK;
	}
	if (have && admin_session_open(pr->pc->store, pr->cfg, sid, &pr->sess,
	    NULL) == SCIM_OK)
		pr->signed_in = true;
	return SCIM_OK;
}

void
page_serve(struct page_ctx *pc, const struct http_req *req,
    const struct scim_error *read_err, struct http_resp *resp)
{
	struct page_req		 pr;
	struct scim_error	 err = { SCIM_OK, "" };
	const char		*sn;
	bool			 post;

	memset(&pr, 0, sizeof(pr));
	pr.pc = pc;
	pr.cfg = pc->cfg;
	pr.req = req;
	pr.resp = resp;
	common_headers(&pr);
	if (!split_path(&pr)) {
		/* Links on the error page lead to the program's own path. */
		sn = getenv("SCRIPT_NAME");
		if (sn == NULL || *sn != '/' || strlen(sn) > BASE_MAX ||
		    !plain_path(sn, strlen(sn)))
			sn = "/";
		strcpy(pr.base, sn);
		message_page(&pr, 404, "Not found", "There is no page here.");
		goto out;
	}
	if (read_err != NULL) {
		message_page(&pr, scim_err_status(read_err->code), "Bad request",
		    read_err->detail);
		goto out;
	}
	post = strcmp(req->method, "POST") == 0;
	if (!post && strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		resp->allow = "GET, POST";
		message_page(&pr, 405, "Method not allowed",
		    "This page answers GET and POST only.");
		goto out;
	}
	if (pc->store == NULL) {
		message_page(&pr, 503, "Unavailable", "The token store is not "
		    "available; try again in a moment.");
		goto out;
	}
	if (post && req->body != NULL &&
	    http_query_parse(&pr.form, req->body, &err) != SCIM_OK) {
		message_page(&pr, 400, "Bad request", err.detail);
		goto out;
	}
	if (identify(&pr, &err) != SCIM_OK) {
		message_page(&pr, scim_err_status(err.code), "Not allowed",
		    err.detail);
		goto out;
	}
	if (!post) {
		if (*pr.sub != '\0')
			redirect(&pr);
		else if (pr.signed_in)
			dashboard(&pr);
		else
			login_page(&pr, 200, NULL);
		goto out;
	}
	if (strcmp(pr.sub, "/login") == 0) {
		if (pr.cfg->trust_remote_user)
			redirect(&pr);
		else
			do_login(&pr);
		goto out;
	}
	if (*pr.sub == '\0') {
		resp->allow = "GET";
		message_page(&pr, 405, "Method not allowed",
		    "Forms post to the page's actions, not to the page.");
		goto out;
	}
	if (!pr.signed_in) {
		redirect(&pr);
		goto out;
	}
	if (!admin_csrf_ok(&pr.sess, http_param(&pr.form, "csrf"))) {
		log_warn("form post without a valid CSRF token by \"%s\" from %s",
		    pr.sess.name, req->remote_addr ? req->remote_addr : "-");
		message_page(&pr, 403, "Forbidden", "The form did not carry a "
		    "valid CSRF token. Reload the page and try again.");
		goto out;
	}
	if (strcmp(pr.sub, "/logout") == 0)
		do_logout(&pr);
	else
		do_action(&pr);
out:
	http_req_free(&pr.form);
	page_buf_free(&pr.html);
	explicit_bzero(&pr.sess, sizeof(pr.sess));
}
