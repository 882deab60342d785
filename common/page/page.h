/*
 * The scim-tokens admin page: server-rendered HTML that works without
 * JavaScript, and the request handling behind it.
 *
 *   GET  <base>          the Tokens tab (or the sign-in form); with one
 *                        of the audit log's filters, the log: category
 *                        (scim|tokens|auth|admin), target (id or name), since and until (UTC
 *                        YYYY-MM-DD, optionally THH:MM[:SS]) and before
 *                        (an event id: the next page starts after it)
 *   GET  <base>/roles    the role mappings (owners get the forms)
 *   GET  <base>/users    users: q (start of userName, or an email),
 *                        status (active|blocked), role, managed
 *                        (scim|sync|admin|unknown), after / before (the
 *                        name a page starts after / ends before); with
 *                        id=<user id>, that user
 *   GET  <base>/groups   groups (page=N); with id=<group id>, that group
 *                        and its members (mpage=N)
 *   GET  <base>/audit    the audit log (the filters above)
 *   GET  <base>/sync     Entra ID User Sync: credentials (never the
 *                        secret), status and last result; view=preview
 *                        (what a sync would do), view=groups&q=TEXT
 *                        (owners: Entra groups to map)
 *   GET  <base>/synced   the users the sync imported (page=N)
 *   GET  <base>/activity the SCIM requests recorded: errors=1, client,
 *                        user, since, until, before (a record id: the
 *                        next page starts after it); with id=<record
 *                        id>, that request, with the resource before
 *                        and after it
 *   GET  <base>/held     held deprovisions (owners get the buttons)
 *   GET  <base>/favicon.ico  the page's icon (anyone may fetch it)
 *   POST <base>/login    sign in (name, password, csrf)
 *   POST <base>/logout   sign out (csrf)
 *   POST <base>/action   action=create|regenerate|renew|disable|enable|
 *                        revoke|delete, id, days, label, confirm, csrf
 *   POST <base>/mapping  action=add|delete|up|down, group, role,
 *                        products, position, auto_sync, csrf (owners)
 *   POST <base>/sync-action  action=credentials (tenant_id, client_id,
 *                        client_secret)|test|run, csrf (owners); run
 *                        starts [graph] scimctl detached
 *   POST <base>/held-action  action=approve|reject, id (or "all"),
 *                        reason, csrf (owners)
 *
 * Every POST answers 303 See Other back to <base> (POST-redirect-GET;
 * a mapping's to <base>/roles, a sync action's to <base>/sync, a held
 * one's to <base>/held),
 * except a failed sign-in, which shows the form again, and revoke,
 * delete, or a renewal that would move the expiry earlier, without
 * confirm=yes: those change nothing and answer with a confirmation view
 * (what will happen; a button that posts the action again with
 * confirm=yes, a Cancel link back).  A new token is shown
 * once, on the next GET, from the session's one-time slot.
 *
 * Every value written into HTML goes through page_esc().  Every answer
 * carries a strict Content-Security-Policy (no source allowed but the
 * hashes of the page's one inline style and one inline script, forms
 * posting only to the page itself, no framing), "Cache-Control: no-store"
 * (pages may show a secret), nosniff, no referrer and "X-Frame-Options:
 * DENY".
 *
 * OWNS the page's HTML, its routes, sessions' cookies and CSRF checks.
 * MUST NOT KNOW how tokens, accounts, events, mappings or the directory
 * are stored: it calls auth/token-ops.h, auth/admin.h, audit/audit.h,
 * roles/roles.h, roles/access.h, roles/directory.h, sync/sync.h,
 * audit/activity.h and scim/held.h.  page-int.h says
 * which of its files does what.
 */
#ifndef SCIM_PAGE_H
#define SCIM_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "base/jtext.h"
#include "web/http.h"
#include "store/store.h"


/*
 * The page is written into a struct jtext (base/jtext.h): p is the text
 * (NUL-terminated, NULL when empty); oom is set, and appends stop, on
 * allocation failure.
 */

/* Append trusted markup as is. */
void		 page_puts(struct jtext *b, const char *markup);

/* Append printf-formatted trusted markup (never pass a value in %s). */
void		 page_printf(struct jtext *b, const char *fmt, ...)
		    __attribute__((format(__printf__, 2, 3)));

/* Append text HTML-escaped (& < > " ' become entities); NULL is "". */
void		 page_esc(struct jtext *b, const char *text);

/* Free what b holds (zeroing it first: it may hold a secret). */
void		 page_buf_free(struct jtext *b);

/*
 * Find cookie name in a Cookie header value and copy its value into out
 * (sz bytes).  False when absent or too long.
 */
bool		 page_cookie(const char *header, const char *name, char *out,
		    size_t sz);

/* The Content-Security-Policy header value the page sends. */
const char	*page_csp(void);

/* What the page needs for the life of the program. */
struct page_ctx {
	const struct scim_config	*cfg;
	struct store			*store;
};

/*
 * Serve one request: req was read by http_req_read() (a failure there is
 * passed as read_err, NULL otherwise, and answered with an error page).
 * Fills resp (HTML in raw, headers); the caller sends and frees it.
 */
void		 page_serve(struct page_ctx *pc, const struct http_req *req,
		    const struct scim_error *read_err, struct http_resp *resp);

#endif /* SCIM_PAGE_H */
