/*
 * The Role mappings tab: the tenant's ordered list of mappings (which
 * directory group gives which role at the access gate), and for owners
 * the forms that add one, delete one, or move one up or down, posted to
 * <base>/mapping.  Every change goes through roles/roles.h, which checks
 * it and writes its audit event; this file words the outcome as a flash
 * message on the tab (POST-redirect-GET).
 *
 * roles.h has no "move": a move is a delete and an add at the new
 * position (two transactions, two audit events); when the add fails the
 * mapping is put back where it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/admin.h"
#include "base/log.h"
#include "base/util.h"
#include "page/page-int.h"
#include "roles/roles.h"

#define PRODUCTS_TEXT_MAX	1024	/* bytes of the products field */

/* The one-line rule and how a group is named. */
static void
roles_intro(struct page_req *pr)
{
	page_printf(&pr->html, "<p class=\"muted\" id=\"roles-rule\">A user's "
	    "role at the access gate is that of the first mapping, in this "
	    "order, whose group holds the user (directly or through nested "
	    "groups): the first matching mapping wins; no match: the "
	    "<code>[roles] default</code> of scim.conf (here: %s).</p>"
	    "<p class=\"muted\">Name a group by its Entra ID objectId (the "
	    "SCIM <code>externalId</code>) or by its display name (any "
	    "case).</p>", pr->cfg->roles_default_member ? "member" : "none");
}

/* A small form posting action for the mapping of group. */
static void
mapping_button(struct page_req *pr, const char *group, const char *action,
    const char *text, bool enabled, bool danger)
{
	page_post_form(pr, "/mapping", "inline", pr->sess.csrf);
	page_hidden(&pr->html, "group", group);
	page_printf(&pr->html, "<button type=\"submit\" name=\"action\" "
	    "value=\"%s\"%s%s>%s</button></form>", action,
	    danger ? " class=\"danger\"" : "", enabled ? "" : " disabled",
	    text);
}

static void
mapping_row(struct page_req *pr, const struct role_map *map, size_t i,
    bool owner)
{
	struct jtext			*b = &pr->html;
	const struct role_mapping	*m = &map->v[i];
	size_t				 j;

	page_puts(b, "<tr data-group=\"");
	page_esc(b, m->group);
	page_printf(b, "\"><td data-label=\"Position\" class=\"pos\">%zu</td>",
	    i + 1);
	page_puts(b, "<td data-label=\"Group\" class=\"group\">");
	page_esc(b, m->group);
	page_puts(b, "</td><td data-label=\"Role\" class=\"role\">");
	page_esc(b, role_name(m->role));
	page_puts(b, "</td><td data-label=\"Products\" class=\"products\">");
	for (j = 0; j < m->nproducts; j++) {
		if (j > 0)
			page_puts(b, ", ");
		page_esc(b, m->products[j]);
	}
	if (m->nproducts == 0)
		page_puts(b, m->role == ROLE_MEMBER ? "<span class=\"muted\">"
		    "all</span>" : "<span class=\"muted\">-</span>");
	page_printf(b, "</td><td data-label=\"Auto sync\" class=\"sync\">%s"
	    "</td>", m->auto_sync ? "yes" : "no");
	if (owner) {
		page_puts(b, "<td data-label=\"Actions\" class=\"actions\">");
		mapping_button(pr, m->group, "up", "Move up", i > 0, false);
		mapping_button(pr, m->group, "down", "Move down",
		    i + 1 < map->n, false);
		mapping_button(pr, m->group, "delete", "Delete", true, true);
		page_puts(b, "</td>");
	}
	page_puts(b, "</tr>\n");
}

/* The add form: group, role, products (member), position, auto sync. */
static void
mapping_form(struct page_req *pr, size_t n)
{
	struct jtext	*b = &pr->html;

	page_puts(b, "<section class=\"card\" id=\"mapping-add\"><h2>Add a "
	    "mapping</h2>");
	page_post_form(pr, "/mapping", "form-row", pr->sess.csrf);
	page_hidden(b, "action", "add");
	page_labelled_input(b, "Group (objectId or name)", "text", "group",
	    " maxlength=\"" STR(ROLES_GROUP_MAX) "\" required placeholder="
	    "\"e.g. SCIM Admins\"", NULL);
	page_puts(b, "<label>Role<select name=\"role\">"
	    "<option value=\"member\">member</option>"
	    "<option value=\"admin\">admin</option>"
	    "<option value=\"owner\">owner</option></select></label>");
	page_labelled_input(b, "Products (member only, comma-separated; "
	    "none: all)", "text", "products", " maxlength=\""
	    STR(PRODUCTS_TEXT_MAX) "\" placeholder=\"e.g. crm,billing\"",
	    NULL);
	page_printf(b, "<label>Position<input type=\"number\" name=\"position\" "
	    "min=\"1\" max=\"%zu\" placeholder=\"%zu (last)\"></label>", n + 1,
	    n + 1);
	page_puts(b, "<label>Auto sync<select name=\"auto_sync\">"
	    "<option value=\"yes\">yes</option><option value=\"no\">no"
	    "</option></select></label><button class=\"primary\" "
	    "type=\"submit\">Add mapping</button></form></section>\n");
}

/* GET <base>/roles. */
void
page_roles_tab(struct page_req *pr)
{
	struct jtext		*b = &pr->html;
	struct scim_error	 err = { SCIM_OK, "" };
	struct role_map		 map = { NULL, 0 };
	bool			 owner = pr->sess.role == ADMIN_ROLE_OWNER;
	size_t			 i;

	if (roles_list(pr->pc->store, pr->sess.tenant, &map, &err) !=
	    SCIM_OK) {
		page_unavailable(pr, "The role mappings", &err);
		return;
	}
	page_tab_head(pr, "Role mappings", "/roles");
	page_puts(b, "<section class=\"card\" id=\"roles\">");
	roles_intro(pr);
	if (map.n == 0)
		page_puts(b, "<p id=\"roles-empty\">No mappings yet: every "
		    "user gets the default role.</p>");
	else {
		page_puts(b, "<div class=\"scroll\"><table id=\"mappings\" "
		    "class=\"cards\"><thead><tr><th>#</th><th>Group</th>"
		    "<th>Role</th><th>Products</th><th>Auto sync</th>");
		if (owner)
			page_puts(b, "<th>Actions</th>");
		page_puts(b, "</tr></thead><tbody>\n");
		for (i = 0; i < map.n; i++)
			mapping_row(pr, &map, i, owner);
		page_puts(b, "</tbody></table></div>");
	}
	page_puts(b, "</section>\n");
	if (owner)
		mapping_form(pr, map.n);
	else
		page_puts(b, "<p class=\"banner warn\" id=\"roles-viewer\">Your "
		    "role (viewer) lets you view the mappings; only owners can "
		    "change them.</p>\n");
	page_foot(pr);
	page_finish(pr, 200);
	roles_free(&map);
}

/* --- POST <base>/mapping --- */

/* action=add: the form's fields checked, then roles_add(). */
static void
mapping_add(struct page_req *pr, const struct roles_change *ch)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct role_mapping	 m;
	const char		*group = http_param(&pr->form, "group");
	const char		*role = http_param(&pr->form, "role");
	const char		*products = http_param(&pr->form, "products");
	const char		*pos = http_param(&pr->form, "position");
	const char		*sync = http_param(&pr->form, "auto_sync");
	long			 position = 0;

	memset(&m, 0, sizeof(m));
	m.group = (char *)(group != NULL ? group : "");
	m.auto_sync = sync == NULL || strcmp(sync, "no") != 0;
	if (!role_parse(role != NULL ? role : "", &m.role) ||
	    m.role == ROLE_NONE) {
		page_flash_put(pr, false, NULL, "The role must be owner, admin "
		    "or member.");
		return;
	}
	if (pos != NULL && *pos != '\0' &&
	    !util_parse_long(pos, 1, ROLES_MAX + 1, &position)) {
		page_flash_put(pr, false, NULL, "The position must be a number "
		    "from 1 to the number of mappings plus one.");
		return;
	}
	if (products != NULL && *products != '\0' &&
	    roles_set_products(&m, products, &err) != SCIM_OK) {
		page_flash_put(pr, false, NULL, "%s", err.detail);
		goto out;
	}
	if (roles_add(pr->pc->store, ch, &m, (size_t)position, &err) !=
	    SCIM_OK)
		page_flash_put(pr, false, NULL, "%s", err.detail);
	else
		page_flash_put(pr, true, NULL, "Mapping of group \"%s\" to role "
		    "%s added.", m.group, role_name(m.role));
out:
	m.group = NULL;			/* the form's */
	roles_mapping_clear(&m);
}

/* action=up|down: delete and add one place away (see the top). */
static void
mapping_move(struct page_req *pr, const struct roles_change *ch,
    const char *group, int by)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct role_map		 map = { NULL, 0 };
	size_t			 i;

	if (roles_list(pr->pc->store, ch->tenant, &map, &err) != SCIM_OK) {
		page_flash_put(pr, false, NULL, "%s", err.detail);
		return;
	}
	for (i = 0; i < map.n; i++)
		if (strcasecmp(map.v[i].group, group) == 0)
			break;
	if (i == map.n)
		page_flash_put(pr, false, NULL, "No mapping of group \"%s\".",
		    group);
	else if ((by < 0 && i == 0) || (by > 0 && i + 1 == map.n))
		page_flash_put(pr, false, NULL, "The mapping of group \"%s\" is "
		    "already %s.", group, by < 0 ? "first" : "last");
	else if (roles_delete(pr->pc->store, ch, map.v[i].group, &err) !=
	    SCIM_OK)
		page_flash_put(pr, false, NULL, "%s", err.detail);
	else if (roles_add(pr->pc->store, ch, &map.v[i],
	    (size_t)((long)i + 1 + by), &err) != SCIM_OK) {
		log_err("moving mapping \"%s\": %s", group, err.detail);
		if (roles_add(pr->pc->store, ch, &map.v[i], i + 1, &err) !=
		    SCIM_OK)
			log_err("putting mapping \"%s\" back: %s", group,
			    err.detail);
		page_flash_put(pr, false, NULL, "The mapping of group \"%s\" "
		    "could not be moved; try again.", group);
	} else
		page_flash_put(pr, true, NULL, "Mapping of group \"%s\" moved "
		    "to position %ld.", map.v[i].group, (long)i + 1 + by);
	roles_free(&map);
}

/*
 * POST <base>/mapping (the CSRF token checked already): only owners;
 * action=add|delete|up|down, group; then back to the tab.
 */
void
page_mapping_action(struct page_req *pr)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct roles_change	 ch;
	const char		*action = http_param(&pr->form, "action");
	const char		*group = http_param(&pr->form, "group");
	char			 actor[ADMIN_NAME_MAX + 8];

	if (pr->sess.role != ADMIN_ROLE_OWNER) {
		log_warn("\"%s\" (role %s) tried to change a role mapping",
		    pr->sess.name, admin_role_name(pr->sess.role));
		page_message(pr, 403, "Forbidden", "Only owners can change the "
		    "role mappings; your role lets you view them.");
		return;
	}
	snprintf(actor, sizeof(actor), "admin:%s", pr->sess.name);
	ch.tenant = pr->sess.tenant;
	ch.actor = actor;
	ch.cfg = pr->cfg;
	if (action != NULL && strcmp(action, "add") == 0)
		mapping_add(pr, &ch);
	else if (group == NULL || *group == '\0')
		page_flash_put(pr, false, NULL, "Which mapping? The form named "
		    "no group.");
	else if (action != NULL && strcmp(action, "delete") == 0) {
		if (roles_delete(pr->pc->store, &ch, group, &err) != SCIM_OK)
			page_flash_put(pr, false, NULL, "%s", err.detail);
		else
			page_flash_put(pr, true, NULL, "Mapping of group \"%s\" "
			    "deleted.", group);
	} else if (action != NULL && (strcmp(action, "up") == 0 ||
	    strcmp(action, "down") == 0))
		mapping_move(pr, &ch, group, strcmp(action, "up") == 0 ? -1 : 1);
	else
		page_flash_put(pr, false, NULL, "Unknown action.");
	page_redirect_to(pr, "/roles");
}
