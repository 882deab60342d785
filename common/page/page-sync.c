/*
 * The Entra ID User Sync tab (GET <base>/sync) and its actions (POST
 * <base>/sync-action): the tenant's Graph credentials (owners set them;
 * the client secret is write-only, never put back into a page), a Test
 * button, the directory's groups as a picker for the role mappings, the
 * preview of what a sync would do, and Sync Now with the running sync's
 * progress and the last result (page-synced.c shows those).
 *
 * Reading views are GETs (?view=preview, ?view=groups&q=...): they call
 * Graph but change nothing.  Every change is a POST with the session's
 * CSRF token, owners only, answered 303 back to the tab with a flash
 * message (POST-redirect-GET), so the secret never comes back, not even
 * in a browser's "resend the form".
 *
 * Sync Now never runs a sync inside the FastCGI request: it starts
 * [graph] scimctl ("graph sync --tenant T --quiet") as its own process,
 * detached (double fork, new session, /dev/null for its standard files,
 * a small environment), and the tab then shows the progress that process
 * records.  One sync at a time per tenant is sync.h's lock; the page
 * asks sync_status() first so a second click says a sync is running.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/admin.h"
#include "base/json.h"
#include "base/log.h"
#include "page/page-int.h"
#include "roles/roles.h"
#include "sync/sync.h"

#define SYNC_SEARCH_MAX	120		/* longest group search accepted */

const char page_sync_advice[] = "If the token is expired or invalid: "
    "press Test again; if it still fails, regenerate the client secret "
    "(Entra ID: App registrations, Certificates & secrets) and save it "
    "here.";

/* The tenant's credentials as stored, never the secret. */
static void
sync_creds_card(struct page_req *pr, bool owner)
{
	struct jtext	*b = &pr->html;
	cJSON		*cj = sync_creds_json(pr->cfg, pr->sess.tenant);
	const char	*src = json_str(cj, "source");
	bool		 have = src != NULL && strcmp(src, "none") != 0;

	page_puts(b, "<section class=\"card\" id=\"sync-creds\"><h2>App "
	    "registration</h2><p class=\"muted\">The SSO app registration's "
	    "application permissions User.Read.All, GroupMember.Read.All and "
	    "Group.Read.All, with admin consent; no Enterprise Application is "
	    "needed.</p>");
	if (have) {
		page_puts(b, "<dl class=\"facts\" id=\"creds-stored\"><dt>Tenant "
		    "id</dt><dd>");
		page_esc(b, json_str(cj, "tenantId"));
		page_puts(b, "</dd><dt>Client id</dt><dd>");
		page_esc(b, json_str(cj, "clientId"));
		page_puts(b, "</dd><dt>Client secret</dt><dd>stored (never "
		    "shown again)</dd><dt>From</dt><dd>");
		page_esc(b, strcmp(src, "file") == 0 ? "this page or scimctl" :
		    "scim.conf [graph]");
		page_puts(b, "</dd></dl>");
	} else
		page_puts(b, "<p class=\"banner warn\" id=\"creds-none\">No "
		    "credentials yet.</p>");
	if (owner) {
		page_post_form(pr, "/sync-action", "form-row", pr->sess.csrf);
		page_hidden(b, "action", "credentials");
		page_labelled_input(b, "Tenant id", "text", "tenant_id",
		    " maxlength=\"" STR(GRAPH_ID_MAX) "\" required "
		    "autocomplete=\"off\"", have ? json_str(cj, "tenantId") :
		    NULL);
		page_labelled_input(b, "Client id", "text", "client_id",
		    " maxlength=\"" STR(GRAPH_ID_MAX) "\" required "
		    "autocomplete=\"off\"", have ? json_str(cj, "clientId") :
		    NULL);
		/* Write-only: never a value attribute. */
		page_labelled_input(b, "Client secret", "password",
		    "client_secret", " maxlength=\"" STR(GRAPH_SECRET_MAX)
		    "\" required autocomplete=\"new-password\"", NULL);
		page_puts(b, "<button class=\"primary\" type=\"submit\">Save "
		    "credentials</button></form>");
		if (have) {
			page_post_form(pr, "/sync-action", "inline",
			    pr->sess.csrf);
			page_puts(b, "<button type=\"submit\" name=\"action\" "
			    "value=\"test\" id=\"sync-test\">Test</button>"
			    "</form>");
		}
	}
	page_puts(b, "</section>\n");
	cJSON_Delete(cj);
}

/* An <a> to the page's sub (markup), of id (markup, or NULL). */
static void
sync_link(struct page_req *pr, const char *sub, const char *id,
    const char *text)
{
	page_puts(&pr->html, "<a href=\"");
	page_esc(&pr->html, pr->base);
	page_puts(&pr->html, sub);
	if (id != NULL)
		page_printf(&pr->html, "\" id=\"%s\" class=\"button", id);
	page_printf(&pr->html, "\">%s</a>", text);
}

/* Links to the reading views, and Sync Now for owners. */
static void
sync_run_card(struct page_req *pr, bool owner, const cJSON *st)
{
	struct jtext	*b = &pr->html;

	page_puts(b, "<section class=\"card\" id=\"sync-run\"><h2>Preview and "
	    "sync</h2><p class=\"muted\">The role mappings name the groups; a "
	    "user in several gets the first mapping's role. A sync creates "
	    "and updates users, never removes one (SCIM deprovisions). All "
	    "sync operations are logged in the Audit log.</p><p>");
	sync_link(pr, "/sync?view=preview", "sync-preview", "Preview");
	if (owner) {
		page_puts(b, " ");
		sync_link(pr, "/sync?view=groups", "sync-groups",
		    "Pick a group from Entra ID");
	}
	page_puts(b, " ");
	sync_link(pr, "/roles", "sync-roles", "Role mappings");
	page_puts(b, "</p>");
	if (owner) {
		page_post_form(pr, "/sync-action", "inline", pr->sess.csrf);
		page_printf(b, "<button class=\"primary\" type=\"submit\" "
		    "name=\"action\" value=\"run\" id=\"sync-now\">%s</button>"
		    "</form>", cJSON_IsTrue(cJSON_GetObjectItem(st, "running")) ?
		    "Sync Now (one is running)" : "Sync Now");
	}
	page_puts(b, "</section>\n");
}

/* One row of the preview. */
static void
preview_row(struct jtext *b, const cJSON *u)
{
	const char	*action = json_str(u, "action");
	const char	*note = json_str(u, "note");

	page_puts(b, "<tr><td data-label=\"Email\" class=\"un\">");
	page_esc(b, *json_str(u, "mail") ? json_str(u, "mail") :
	    json_str(u, "userName"));
	page_puts(b, "</td><td data-label=\"Name\">");
	page_esc(b, json_str(u, "name"));
	page_puts(b, "</td><td data-label=\"Source groups\">");
	page_sync_groups(b, cJSON_GetObjectItem(u, "groups"));
	page_puts(b, "</td><td data-label=\"Role\" class=\"role\">");
	page_esc(b, json_str(u, "role"));
	page_printf(b, "</td><td data-label=\"Action\" class=\"action\">%s",
	    strcmp(action, "create") == 0 ? "Create" :
	    strcmp(action, "update") == 0 ? "Update" : "none");
	if (note != NULL && *note != '\0') {
		page_puts(b, " <span class=\"muted note\">(");
		page_esc(b, note);
		page_puts(b, ")</span>");
	}
	page_puts(b, "</td></tr>\n");
}

/* ?view=preview: what a sync would do, from Graph and the store. */
static void
sync_preview_view(struct page_req *pr)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	struct sync_opts	 o = { pr->sess.tenant, NULL, false, true };
	cJSON			*rows = NULL;
	const cJSON		*u;

	page_puts(b, "<section class=\"card\" id=\"preview\"><h2>Preview</h2>");
	if (sync_preview(pr->pc->store, pr->cfg, &o, &rows, &err) != SCIM_OK) {
		page_puts(b, "<p class=\"banner bad\" id=\"preview-error\">");
		page_esc(b, err.detail);
		page_puts(b, "</p><p class=\"muted\">");
		page_esc(b, page_sync_advice);
		page_puts(b, "</p>");
	} else if (cJSON_GetArraySize(rows) == 0)
		page_puts(b, "<p class=\"banner warn\" id=\"preview-empty\">No "
		    "users to sync: the mapped groups have no users. Check the "
		    "mappings' groups, and that the app has GroupMember.Read.All "
		    "and User.Read.All with admin consent.</p>");
	else {
		page_printf(b, "<p id=\"preview-count\">%d users.</p>",
		    cJSON_GetArraySize(rows));
		page_puts(b, "<div class=\"scroll\"><table id=\"preview-rows\" "
		    "class=\"cards\"><thead><tr><th>Email</th><th>Name</th>"
		    "<th>Source groups</th><th>Role</th><th>Action</th></tr>"
		    "</thead><tbody>\n");
		cJSON_ArrayForEach(u, rows)
			preview_row(b, u);
		page_puts(b, "</tbody></table></div>");
	}
	page_puts(b, "</section>\n");
	cJSON_Delete(rows);
}

/* One group of the picker: its name and a form that maps it. */
static void
groups_row(struct page_req *pr, const cJSON *g)
{
	struct jtext	*b = &pr->html;

	page_puts(b, "<tr><td data-label=\"Group\" class=\"group\">");
	page_esc(b, json_str(g, "displayName"));
	page_puts(b, " <small class=\"muted\">");
	page_esc(b, json_str(g, "id"));
	page_puts(b, "</small></td><td data-label=\"Map to\">");
	page_post_form(pr, "/mapping", "inline", pr->sess.csrf);
	page_hidden(b, "action", "add");
	page_hidden(b, "group", json_str(g, "id"));
	page_puts(b, "<select name=\"role\" aria-label=\"Role\">"
	    "<option value=\"member\">member</option>"
	    "<option value=\"admin\">admin</option>"
	    "<option value=\"owner\">owner</option></select> "
	    "<button type=\"submit\">Add mapping</button></form></td></tr>\n");
}

/* ?view=groups (owners): the directory's groups, searched. */
static void
sync_groups_view(struct page_req *pr)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	const char		*q = http_param(pr->req, "q");
	cJSON			*list = NULL;
	const cJSON		*g;

	if (q != NULL && (*q == '\0' || strlen(q) > SYNC_SEARCH_MAX))
		q = NULL;
	page_puts(b, "<section class=\"card\" id=\"groups-pick\"><h2>Groups "
	    "in Entra ID</h2><form method=\"get\" action=\"");
	page_esc(b, pr->base);
	page_puts(b, "/sync\" class=\"form-row\">");
	page_hidden(b, "view", "groups");
	page_labelled_input(b, "Search by name", "search", "q",
	    " maxlength=\"" STR(SYNC_SEARCH_MAX) "\"", q);
	page_puts(b, "<button type=\"submit\">Search</button></form>");
	if (sync_groups(pr->cfg, pr->sess.tenant, q, &list, &err) != SCIM_OK) {
		page_puts(b, "<p class=\"banner bad\" id=\"groups-error\">");
		page_esc(b, err.detail);
		page_puts(b, "</p><p class=\"muted\">");
		page_esc(b, page_sync_advice);
		page_puts(b, "</p>");
	} else if (cJSON_GetArraySize(list) == 0)
		page_puts(b, q != NULL ? "<p class=\"muted\" id=\"groups-none\">"
		    "No group matches.</p>" : "<p class=\"banner warn\" "
		    "id=\"groups-none\">No groups came back from Entra ID: the "
		    "app registration needs the Group.Read.All application "
		    "permission, and an administrator must grant admin consent "
		    "for it.</p>");
	else {
		page_puts(b, "<p class=\"muted\">A mapping added here goes last "
		    "with Auto sync on; order and edit it on the Role mappings "
		    "tab.</p><div class=\"scroll\"><table id=\"graph-groups\" "
		    "class=\"cards\"><thead><tr><th>Group</th><th>Map to role"
		    "</th></tr></thead><tbody>\n");
		cJSON_ArrayForEach(g, list)
			groups_row(pr, g);
		page_puts(b, "</tbody></table></div>");
	}
	page_puts(b, "</section>\n");
	cJSON_Delete(list);
}

/* GET <base>/sync. */
void
page_sync_tab(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };
	const char		*view = http_param(pr->req, "view");
	bool			 owner = pr->sess.role == ADMIN_ROLE_OWNER;
	cJSON			*st = NULL;

	if (sync_status(pr->pc->store, pr->cfg, pr->sess.tenant, &st, &err) !=
	    SCIM_OK) {
		page_unavailable(pr, "The sync's status", &err);
		return;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItem(st, "running")))
		pr->refresh = "3";
	else if (http_param(pr->req, "started") != NULL)
		pr->refresh = "1; url=sync";	/* the process is starting */
	page_tab_head(pr, "Entra ID User Sync", "/sync");
	if (!owner)
		page_puts(&pr->html, "<p class=\"banner warn\" id=\"sync-viewer\">"
		    "Your role (viewer) lets you view the sync; only owners can "
		    "change its credentials or run it.</p>\n");
	sync_creds_card(pr, owner);
	page_sync_status(pr, st);
	sync_run_card(pr, owner, st);
	if (view != NULL && strcmp(view, "preview") == 0)
		sync_preview_view(pr);
	else if (view != NULL && strcmp(view, "groups") == 0 && owner)
		sync_groups_view(pr);
	page_foot(pr);
	page_finish(pr, 200);
	cJSON_Delete(st);
}

/* --- POST <base>/sync-action --- */

/* action=credentials: the three fields, stored through sync.h. */
static void
sync_creds_save(struct page_req *pr, const char *actor)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct graph_creds	 cr;
	const char		*tid = http_param(&pr->form, "tenant_id");
	const char		*cid = http_param(&pr->form, "client_id");
	const char		*sec = http_param(&pr->form, "client_secret");

	memset(&cr, 0, sizeof(cr));
	if (tid == NULL || *tid == '\0' || cid == NULL || *cid == '\0' ||
	    sec == NULL || *sec == '\0')
		page_flash_put(pr, false, NULL, "The tenant id, the client id "
		    "and the client secret are all needed (the secret is never "
		    "shown again: enter it each time you save).");
	else if (strlen(tid) > GRAPH_ID_MAX || strlen(cid) > GRAPH_ID_MAX ||
	    strlen(sec) > GRAPH_SECRET_MAX)
		page_flash_put(pr, false, NULL, "A value is too long: ids have "
		    "at most " STR(GRAPH_ID_MAX) " characters, the secret "
		    STR(GRAPH_SECRET_MAX) ".");
	else {
		strcpy(cr.tenant_id, tid);
		strcpy(cr.client_id, cid);
		strcpy(cr.secret, sec);
		if (sync_creds_set(pr->pc->store, pr->cfg, pr->sess.tenant,
		    actor, &cr, &err) != SCIM_OK)
			page_flash_put(pr, false, NULL, "%s", err.detail);
		else
			page_flash_put(pr, true, NULL, "Credentials saved; the "
			    "client secret will not be shown again. Press Test "
			    "to check them.");
	}
	explicit_bzero(&cr, sizeof(cr));
}

/* action=test: a token and one page of groups. */
static void
sync_test_flash(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };
	cJSON			*out = NULL;

	if (sync_test(pr->cfg, pr->sess.tenant, &out, &err) != SCIM_OK)
		page_flash_put(pr, false, NULL, "Test failed: %s", err.detail);
	else if (json_int(out, "groups") == 0)
		page_flash_put(pr, false, NULL, "Signed in, but no groups came "
		    "back: the app registration needs the Group.Read.All "
		    "application permission with admin consent.");
	else
		page_flash_put(pr, true, NULL, "Test succeeded: signed in to "
		    "Microsoft Graph and read %lld groups.",
		    (long long)json_int(out, "groups"));
	cJSON_Delete(out);
}

/*
 * Start scimctl graph sync for the tenant in its own process, detached
 * (see the top).  The grandchild is never waited for; the child is.
 * False (and errno) when the fork failed.
 */
static bool
sync_spawn(struct page_req *pr)
{
	static const char *const keep[] = { "http_proxy", "https_proxy",
	    "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY",
	    "SCIM_CONF", "TZ", "LANG" };
	char		*argv[10], *envp[sizeof(keep) / sizeof(keep[0]) + 2];
	char		 env[sizeof(keep) / sizeof(keep[0])][1024];
	size_t		 i, n = 0, e = 0;
	const char	*v;
	sigset_t	 none;
	pid_t		 pid;
	int		 st, fd;

	argv[n++] = (char *)"scimctl";
	if (pr->cfg->path[0] != '\0') {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)pr->cfg->path;
	}
	argv[n++] = (char *)"graph";
	argv[n++] = (char *)"sync";
	argv[n++] = (char *)"--tenant";
	argv[n++] = (char *)pr->sess.tenant;
	argv[n++] = (char *)"--quiet";
	argv[n] = NULL;
	envp[e++] = (char *)"PATH=/usr/local/bin:/usr/bin:/bin";
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if ((v = getenv(keep[i])) != NULL && snprintf(env[i],
		    sizeof(env[i]), "%s=%s", keep[i], v) < (int)sizeof(env[i]))
			envp[e++] = env[i];
	envp[e] = NULL;
	if ((pid = fork()) == -1)
		return false;
	if (pid == 0) {
		/* The child: a new session, then the grandchild runs. */
		if (setsid() == -1 || fork() != 0)
			_exit(0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		execve(pr->cfg->graph_scimctl, argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return true;
}

/* action=run: Sync Now, unless one is running. */
static void
sync_now(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };
	cJSON			*st = NULL;

	if (sync_status(pr->pc->store, pr->cfg, pr->sess.tenant, &st, &err) !=
	    SCIM_OK)
		page_flash_put(pr, false, NULL, "%s", err.detail);
	else if (cJSON_IsTrue(cJSON_GetObjectItem(st, "running")))
		page_flash_put(pr, false, NULL, "A sync is already running "
		    "(%lld of %lld users); wait for it to finish.",
		    (long long)json_int(st, "done"),
		    (long long)json_int(st, "total"));
	else if (access(pr->cfg->graph_scimctl, X_OK) != 0) {
		log_err("Sync Now: cannot run %s: %s", pr->cfg->graph_scimctl,
		    strerror(errno));
		page_flash_put(pr, false, NULL, "The sync could not be started: "
		    "[graph] scimctl of scim.conf names no program this server "
		    "can run.");
	} else if (!sync_spawn(pr)) {
		log_err("Sync Now: fork: %s", strerror(errno));
		page_flash_put(pr, false, NULL, "The sync could not be started; "
		    "try again in a moment.");
	} else {
		log_info("Sync Now by \"%s\" for tenant %s", pr->sess.name,
		    pr->sess.tenant);
		page_flash_put(pr, true, NULL, "Sync started. This page follows "
		    "its progress.");
		cJSON_Delete(st);
		page_redirect_to(pr, "/sync?started=1");
		return;
	}
	cJSON_Delete(st);
	page_redirect_to(pr, "/sync");
}

/*
 * POST <base>/sync-action (the CSRF token checked already): only owners;
 * action=credentials|test|run; then back to the tab.
 */
void
page_sync_action(struct page_req *pr)
{
	const char	*action = http_param(&pr->form, "action");
	char		 actor[ADMIN_NAME_MAX + 8];

	if (pr->sess.role != ADMIN_ROLE_OWNER) {
		log_warn("\"%s\" (role %s) tried a sync action",
		    pr->sess.name, admin_role_name(pr->sess.role));
		page_message(pr, 403, "Forbidden", "Only owners can change the "
		    "sync's credentials or run it; your role lets you view it.");
		return;
	}
	snprintf(actor, sizeof(actor), "admin:%s", pr->sess.name);
	if (action != NULL && strcmp(action, "run") == 0) {
		sync_now(pr);
		return;
	}
	if (action != NULL && strcmp(action, "credentials") == 0)
		sync_creds_save(pr, actor);
	else if (action != NULL && strcmp(action, "test") == 0)
		sync_test_flash(pr);
	else
		page_flash_put(pr, false, NULL, "Unknown action.");
	page_redirect_to(pr, "/sync");
}
