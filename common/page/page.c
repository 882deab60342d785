/*
 * The scim-tokens admin page: one request, from its path to its answer.
 * This file finds the page's base path and the sub-path asked for, who is
 * asking (session cookie, or the web server's REMOTE_USER), checks the
 * method and the CSRF token of every form post, and hands the request to
 * the sign-in handlers, a tab of the page (page-tabs.c), the token
 * actions (page-tokens.c) or the role mapping actions (page-roles.c);
 * the answer's headers and its end are here too, and
 * the page's icon.  What
 * each file does is in page-int.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/admin.h"
#include "base/log.h"
#include "page/page-int.h"

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

void
page_set_cookie(struct page_req *pr, const char *name, const char *value)
{
	http_resp_header(pr->resp, "Set-Cookie: %s=%s; Path=%s; HttpOnly; "
	    "SameSite=Strict%s%s", name, value, pr->base,
	    pr->req->https ? "; Secure" : "",
	    *value == '\0' ? "; Max-Age=0" : "");
}

void
page_redirect(struct page_req *pr)
{
	page_redirect_to(pr, "");
}

/* 303 See Other to the page's sub-path sub ("" or a tab's, markup). */
void
page_redirect_to(struct page_req *pr, const char *sub)
{
	size_t	 n = strlen(pr->base) + strlen(sub) + 1;

	pr->resp->status = 303;
	if ((pr->resp->location = malloc(n)) != NULL)
		snprintf(pr->resp->location, n, "%s%s", pr->base, sub);
	pr->resp->raw_type = "text/html; charset=utf-8";
}

/* Hand the finished HTML to the response. */
void
page_finish(struct page_req *pr, int status)
{
	pr->resp->status = status;
	if (pr->html.oom) {
		page_buf_free(&pr->html);
		page_puts(&pr->html, "out of memory\n");
		pr->resp->status = 500;
	}
	pr->resp->raw = pr->html.p;
	pr->resp->raw_len = pr->html.len;
	pr->resp->raw_type = "text/html; charset=utf-8";
	memset(&pr->html, 0, sizeof(pr->html));
}

/*
 * GET <base>/favicon.ico: the page's icon, to anyone (it tells nothing),
 * with or without a store.  The page's <head> links it, so browsers do
 * not ask the web server's root, where nothing answers.
 */
static void
page_favicon(struct page_req *pr)
{
	pr->resp->status = 200;
	pr->resp->raw_type = "image/x-icon";
	if ((pr->resp->raw = malloc(page_icon_len)) == NULL) {
		pr->resp->status = 500;
		return;
	}
	memcpy(pr->resp->raw, page_icon, page_icon_len);
	pr->resp->raw_len = page_icon_len;
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
	static const char *const subs[] = { "/login", "/logout", "/action",
	    "/favicon.ico", "/mapping", "/roles", "/users", "/groups",
	    "/audit", "/sync", "/synced", "/sync-action", "/activity",
	    "/held", "/held-action" };
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
	if (n == 0 || n > PAGE_BASE_MAX || path[0] != '/' || !plain_path(path, n))
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
			page_set_cookie(pr, ADMIN_COOKIE, pr->sess.sid);
		pr->signed_in = true;
		return SCIM_OK;
	}
	if (have && admin_session_open(pr->pc->store, pr->cfg, sid, &pr->sess,
	    NULL) == SCIM_OK)
		pr->signed_in = true;
	return SCIM_OK;
}

/*
 * What every request must pass before it is routed: a known path (else
 * 404, with links to the program's own path), a request that could be
 * read, GET, HEAD or POST, an open store, a readable form, and, when the
 * web server authenticates, its user.  Sets *post for a POST.  False
 * when pr has been answered.
 */
static bool
request_ok(struct page_req *pr, const struct scim_error *read_err,
    bool *post)
{
	struct scim_error	 err = { SCIM_OK, "" };
	const char		*sn;

	if (!split_path(pr)) {
		/* Links on the error page lead to the program's own path. */
		sn = getenv("SCRIPT_NAME");
		if (sn == NULL || *sn != '/' || strlen(sn) > PAGE_BASE_MAX ||
		    !plain_path(sn, strlen(sn)))
			sn = "/";
		strcpy(pr->base, sn);
		page_message(pr, 404, "Not found", "There is no page here.");
		return false;
	}
	if (read_err != NULL) {
		page_message(pr, scim_err_status(read_err->code), "Bad request",
		    read_err->detail);
		return false;
	}
	*post = strcmp(pr->req->method, "POST") == 0;
	if (!*post && strcmp(pr->req->method, "GET") != 0 &&
	    strcmp(pr->req->method, "HEAD") != 0) {
		pr->resp->allow = "GET, POST";
		page_message(pr, 405, "Method not allowed",
		    "This page answers GET and POST only.");
		return false;
	}
	if (strcmp(pr->sub, "/favicon.ico") == 0) {
		if (*post) {
			pr->resp->allow = "GET";
			page_message(pr, 405, "Method not allowed",
			    "The icon answers GET only.");
		} else
			page_favicon(pr);
		return false;
	}
	if (pr->pc->store == NULL) {
		page_message(pr, 503, "Unavailable", "The token store is not "
		    "available; try again in a moment.");
		return false;
	}
	if (*post && pr->req->body != NULL &&
	    http_query_parse(&pr->form, pr->req->body, &err) != SCIM_OK) {
		page_message(pr, 400, "Bad request", err.detail);
		return false;
	}
	if (identify(pr, &err) != SCIM_OK) {
		page_message(pr, scim_err_status(err.code), "Not allowed",
		    err.detail);
		return false;
	}
	return true;
}

/*
 * A form post: sign in, or, signed in and with the session's CSRF token,
 * sign out or a token action.  The page itself takes no posts.
 */
static void
serve_post(struct page_req *pr)
{
	if (strcmp(pr->sub, "/login") == 0) {
		if (pr->cfg->trust_remote_user)
			page_redirect(pr);
		else
			page_login(pr);
		return;
	}
	if (*pr->sub == '\0') {
		pr->resp->allow = "GET";
		page_message(pr, 405, "Method not allowed",
		    "Forms post to the page's actions, not to the page.");
		return;
	}
	if (!pr->signed_in) {
		page_redirect(pr);
		return;
	}
	if (!admin_csrf_ok(&pr->sess, http_param(&pr->form, "csrf"))) {
		log_warn("form post without a valid CSRF token by \"%s\" from %s",
		    pr->sess.name, pr->req->remote_addr ? pr->req->remote_addr :
		    "-");
		page_message(pr, 403, "Forbidden", "The form did not carry a "
		    "valid CSRF token. Reload the page and try again.");
		return;
	}
	if (strcmp(pr->sub, "/logout") == 0)
		page_logout(pr);
	else if (strcmp(pr->sub, "/mapping") == 0)
		page_mapping_action(pr);
	else if (strcmp(pr->sub, "/action") == 0)
		page_action(pr);
	else if (strcmp(pr->sub, "/sync-action") == 0)
		page_sync_action(pr);
	else if (strcmp(pr->sub, "/held-action") == 0)
		page_held_action(pr);
	else {
		pr->resp->allow = "GET";
		page_message(pr, 405, "Method not allowed",
		    "Forms post to the page's actions, not to its tabs.");
	}
}

void
page_serve(struct page_ctx *pc, const struct http_req *req,
    const struct scim_error *read_err, struct http_resp *resp)
{
	struct page_req		 pr;
	bool			 post = false;

	memset(&pr, 0, sizeof(pr));
	pr.pc = pc;
	pr.cfg = pc->cfg;
	pr.req = req;
	pr.resp = resp;
	common_headers(&pr);
	if (!request_ok(&pr, read_err, &post))
		goto out;
	if (post)
		serve_post(&pr);
	else if (!page_tab_serve(&pr))
		page_redirect(&pr);
out:
	http_req_free(&pr.form);
	page_buf_free(&pr.html);
	explicit_bzero(&pr.sess, sizeof(pr.sess));
}
