/*
 * What the files of the admin page share, and nothing else includes:
 * the request every handler works with, the page's data, and the markup
 * pieces, handlers and views each file offers the others.
 *
 *   page.c         one request: path, method, session, CSRF, routing
 *   page-html.c    the buffer, markup pieces, the sign-in form, the page
 *   page-tokens.c  token actions (with the confirmation view)
 *   page-tabs.c    the tabs: their table, links and GET dispatch
 *   page-audit.c   the audit log tab (filters, rows, paging)
 *   page-roles.c   the role mappings tab and its actions
 *   page-users.c   the users tab and one user's detail (read-only)
 *   page-groups.c  the groups tab and one group's members (read-only)
 *   page-sync.c    the Entra ID User Sync tab and its actions
 *   page-synced.c  the Synced Users tab; a sync's progress and result
 *   page-activity.c the Activity tab: SCIM requests and one's detail
 *   page-held.c    held deprovisions: the banner, the view, the actions
 *   page-assets.c  the inline style and script, the icon, the CSP
 *
 * The page OWNS presentation and the request's flow; it MUST NOT KNOW how
 * tokens are stored (auth/token-ops.h does that), how the audit log is
 * read (audit/audit.h), how mappings are kept or roles decided
 * (roles/roles.h, roles/access.h) or how the directory is walked
 * (roles/directory.h).
 */
#ifndef SCIM_PAGE_INT_H
#define SCIM_PAGE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "auth/admin.h"
#include "auth/token.h"
#include "page/page.h"

#define PAGE_BASE_MAX	512		/* longest page path accepted */

#define STR_(x)		#x
#define STR(x)		STR_(x)		/* a number macro as a string */

/* The page's one inline style and one inline script (page-assets.c). */
extern const char	 page_style[];
extern const char	 page_script[];

/* The page's icon, /favicon.ico under the page (page-assets.c). */
extern const unsigned char page_icon[];
extern const size_t	 page_icon_len;

/* Everything one request of the page works with. */
struct page_req {
	struct page_ctx		*pc;
	const struct scim_config *cfg;
	const struct http_req	*req;
	struct http_resp	*resp;
	struct http_req		 form;		/* decoded POST fields */
	char			 base[PAGE_BASE_MAX + 1]; /* the page's own path */
	const char		*sub;		/* "", "/login", ... */
	struct admin_session	 sess;
	bool			 signed_in;
	struct jtext		 html;
	const char		*refresh;	/* <meta> refresh content, or NULL */
};

/* What the page shows of the signed-in tenant. */
struct page_view {
	const char	*tenant;
	int64_t		 now;
	cJSON		*tokens;	/* token_list() */
	cJSON		*events;	/* audit_query_tenant() */
	unsigned	 live;
};

/* The audit log's filters, from the page's query string. */
struct page_log_filter {
	const char	*category;	/* "scim", "tokens", "auth", "admin" */
	const char	*target;	/* id or name, or NULL for all */
	const char	*since_s;	/* the since value as given, if valid */
	const char	*until_s;	/* the until value as given, if valid */
	int64_t		 since;		/* usec, 0 = no bound */
	int64_t		 until;		/* usec, 0 = no bound */
	const char	*before;	/* a well-formed event id, or NULL */
	struct jtext	 notice;	/* why some filters were ignored */
};

/* page.c: the answer's headers and how it ends. */
void	 page_set_cookie(struct page_req *pr, const char *name,
	    const char *value);
void	 page_redirect(struct page_req *pr);
void	 page_redirect_to(struct page_req *pr, const char *sub);
void	 page_finish(struct page_req *pr, int status);

/* page-html.c: the buffer and markup pieces (values always escaped). */
void	 page_put_n(struct jtext *b, const char *s, size_t n);
void	 page_hidden(struct jtext *b, const char *name, const char *value);
void	 page_post_form(struct page_req *pr, const char *sub, const char *cls,
	    const char *csrf);
void	 page_labelled_input(struct jtext *b, const char *label,
	    const char *type, const char *name, const char *attrs,
	    const char *value);
void	 page_td_text(struct jtext *b, const char *cls, const char *text);
void	 page_td_labelled(struct jtext *b, const char *label,
	    const char *cls, const char *text);
void	 page_td_badge(struct jtext *b, const char *kind, const char *text);
void	 page_head(struct page_req *pr, const char *title);
void	 page_foot(struct page_req *pr);
void	 page_message(struct page_req *pr, int status, const char *title,
	    const char *msg);
void	 page_unavailable(struct page_req *pr, const char *what,
	    const struct scim_error *err);
void	 page_when(struct jtext *b, int64_t usec);
#define PAGE_WHEN_LEN	20	/* "2026-11-22 10:47 UTC" */
void	 page_when_text(int64_t usec, char *out);
#define PAGE_REF_MAX	(TOKEN_LABEL_MAX + TOKEN_ID_HEX + 8)
void	 page_token_ref(char *out, size_t sz, const char *label,
	    const char *id);
void	 page_token_name(struct jtext *b, const cJSON *tk);

/* page-html.c: the sign-in form, signing in and out, the page. */
void	 page_login_form(struct page_req *pr, int status, const char *error);
void	 page_login(struct page_req *pr);
void	 page_logout(struct page_req *pr);
void	 page_dashboard(struct page_req *pr);

/* page-tokens.c: POST <base>/action. */
void	 page_action(struct page_req *pr);
/* Leave "+message" (ok) or "-message" for the next view (printf fmt). */
void	 page_flash_put(struct page_req *pr, bool ok, const char *secret,
	    const char *fmt, ...) __attribute__((format(__printf__, 4, 5)));

/*
 * page-tabs.c: serve GET of a tab (false: pr->sub is none, the caller
 * redirects), the row of tabs with sub's current, the flash message
 * (msg as admin_flash_take() gave it, may be NULL), and a tab's opening:
 * head, tabs, <h1>title, the flash message taken.
 */
bool	 page_tab_serve(struct page_req *pr);
/* An <a> to the page's sub with ?id=id, showing text (escaped). */
void	 page_id_link(struct page_req *pr, const char *sub, const char *id,
	    const char *text);
void	 page_tabs(struct page_req *pr, const char *sub);
void	 page_flash_show(struct page_req *pr, const char *msg);
void	 page_tab_head(struct page_req *pr, const char *title,
	    const char *sub);

/* The tabs' views (GET), and POST <base>/mapping (page-roles.c). */
void	 page_audit_tab(struct page_req *pr);
void	 page_roles_tab(struct page_req *pr);
void	 page_users_tab(struct page_req *pr);
void	 page_groups_tab(struct page_req *pr);
void	 page_mapping_action(struct page_req *pr);
void	 page_activity_tab(struct page_req *pr);
/*
 * page-activity.c: the table (id: its markup id) of at most max of the
 * activity records rows, newest first, each time linking to the
 * request's detail on the Activity tab.
 */
void	 page_activity_table(struct page_req *pr, const char *id,
	    const cJSON *rows, unsigned max);
/*
 * page-held.c: the banner when the tenant has held deprovisions (nothing
 * otherwise, or when they cannot be read), GET <base>/held, and POST
 * <base>/held-action.
 */
void	 page_held_banner(struct page_req *pr);
void	 page_held_tab(struct page_req *pr);
void	 page_held_action(struct page_req *pr);
/* page-sync.c: what to do when Graph refuses (the product's advice). */
extern const char page_sync_advice[];
void	 page_sync_tab(struct page_req *pr);
void	 page_synced_tab(struct page_req *pr);
void	 page_sync_action(struct page_req *pr);

/*
 * page-synced.c: the sync status card (progress while a sync runs, with
 * pr->refresh set; the last result) from sync_status()'s object st.
 */
void	 page_sync_status(struct page_req *pr, const cJSON *st);
/* page-synced.c: a user's source groups (strings), comma-separated. */
void	 page_sync_groups(struct jtext *b, const cJSON *groups);

/*
 * page-audit.c: append "name=value" to a query string q (starting it
 * with "?"), the value percent-encoded; nothing when value is NULL.
 */
void	 page_query_add(struct jtext *q, const char *name,
	    const char *value);
/*
 * The events table (#events) of at most max of events; returns the id of
 * the last one shown (inside events), or NULL.
 */
const char *page_log_table(struct page_req *pr, const cJSON *events,
	    unsigned max);
/* An <a> of class cls to the page's sub with query q (text is markup). */
void	 page_link(struct page_req *pr, const char *sub,
	    const struct jtext *q, const char *cls, const char *text);

/*
 * page-audit.c: read the filters (f->notice is freed by the caller with
 * page_buf_free), read one page of events into v->events, show them.
 */
void	 page_log_filter_read(const struct http_req *req,
	    struct page_log_filter *f);
enum scim_err page_log_read(struct page_req *pr, struct page_view *v,
	    const struct page_log_filter *f, struct scim_error *err);
void	 page_log_section(struct page_req *pr, const struct page_view *v,
	    const struct page_log_filter *f);

#endif /* SCIM_PAGE_INT_H */
