/*
 * The access decision (access.h): find the user, gather its groups
 * (direct, then nested, breadth first), walk the tenant's mappings in
 * order and take the first whose group the user is in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/util.h"
#include "roles/access.h"
#include "roles/assign.h"

/* A user's groups while the lookup gathers them. */
struct access_walk {
	struct access	*a;
	char		**ext;		/* each group's externalId, or NULL */
	unsigned	*depth;		/* 0: the user is a member itself */
	size_t		 cap;
	unsigned	 level;		/* depth of what is being added */
	bool		 nomem;
};

const char *
access_why_name(enum access_why why)
{
	switch (why) {
	case ACCESS_OK:
		return "ok";
	case ACCESS_UNKNOWN:
		return "unknown";
	case ACCESS_INACTIVE:
		return "inactive";
	case ACCESS_NO_ROLE:
		return "no_role";
	}
	return "unknown";
}

bool
access_allowed(const struct access *a)
{
	return a->why == ACCESS_OK;
}

void
access_free(struct access *a)
{
	size_t	 i;

	free(a->user_name);
	free(a->display_name);
	for (i = 0; i < a->nproducts; i++)
		free(a->products[i]);
	free(a->products);
	for (i = 0; i < a->ngroups; i++) {
		free(a->groups[i].id);
		free(a->groups[i].display_name);
	}
	free(a->groups);
	memset(a, 0, sizeof(*a));
	a->mapping = -1;
}

static void
access_walk_free(struct access_walk *w)
{
	size_t	 i;

	for (i = 0; i < w->a->ngroups; i++)
		free(w->ext[i]);
	free(w->ext);
	free(w->depth);
}

/* Is name listed in [gate] always_allow (comma separated, any case)? */
static bool
access_break_glass(const struct scim_config *cfg, const char *name)
{
	const char	*p;
	size_t		 n, len = strlen(name);

	if (cfg == NULL || len == 0)
		return false;
	for (p = cfg->gate_always_allow; *p != '\0'; p += n) {
		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == len && strncasecmp(p, name, n) == 0)
			return true;
		p += strcspn(p, ",");
		n = 0;
	}
	return false;
}

/* Room for twice as many groups in w: false on allocation failure. */
static bool
access_walk_grow(struct access_walk *w)
{
	struct access_group	*g;
	char			**ext;
	unsigned		*depth;
	size_t			 cap = w->cap ? w->cap * 2 : 8;

	if ((g = realloc(w->a->groups, cap * sizeof(*g))) == NULL)
		return false;
	w->a->groups = g;
	if ((ext = realloc(w->ext, cap * sizeof(*ext))) == NULL)
		return false;
	w->ext = ext;
	if ((depth = realloc(w->depth, cap * sizeof(*depth))) == NULL)
		return false;
	w->depth = depth;
	w->cap = cap;
	return true;
}

/* store_memberof_scan(): note group gid unless it is known already. */
static bool
access_group_each(void *arg, const char *gid, cJSON *obj, bool *keep)
{
	struct access_walk	*w = arg;
	struct access		*a = w->a;
	struct access_group	*g;
	size_t			 i;

	(void)obj;
	(void)keep;
	for (i = 0; i < a->ngroups; i++)
		if (strcmp(a->groups[i].id, gid) == 0)
			return true;
	if (a->ngroups == ACCESS_GROUPS_MAX)
		return false;
	if (a->ngroups == w->cap && !access_walk_grow(w))
		goto nomem;
	g = &a->groups[a->ngroups];
	memset(g, 0, sizeof(*g));
	w->ext[a->ngroups] = NULL;
	w->depth[a->ngroups] = w->level;
	g->direct = w->level == 0;
	if ((g->id = strdup(gid)) == NULL)
		goto nomem;
	a->ngroups++;
	return true;
nomem:
	w->nomem = true;
	return false;
}

/* Read group i's record for its displayName and externalId. */
static enum scim_err
access_group_names(struct store_txn *t, const char *tenant,
    struct access_walk *w, size_t i, struct scim_error *err)
{
	struct access_group	*g = &w->a->groups[i];
	cJSON			*rec = NULL;
	const cJSON		*ext;
	enum scim_err		 rc;

	rc = store_get(t, STORE_GROUP, tenant, g->id, &rec, err);
	if (rc == SCIM_E_NOT_FOUND)
		rc = SCIM_OK;		/* a dangling reference: no names */
	if (rc != SCIM_OK)
		return rc;
	g->display_name = strdup(json_str(rec, "displayName"));
	ext = cJSON_GetObjectItemCaseSensitive(rec, "externalId");
	if (cJSON_IsString(ext) &&
	    (w->ext[i] = strdup(ext->valuestring)) == NULL)
		rc = scim_oom(err);
	cJSON_Delete(rec);
	if (g->display_name == NULL)
		rc = scim_oom(err);
	return rc;
}

/*
 * Gather the groups of user uid: those it is a member of, then the
 * groups those are in, level by level, to ACCESS_DEPTH_MAX levels and
 * ACCESS_GROUPS_MAX groups, each with its names.
 */
static enum scim_err
access_groups(struct store_txn *t, const char *tenant, const char *uid,
    struct access_walk *w, struct scim_error *err)
{
	size_t		 i;
	enum scim_err	 rc;

	w->level = 0;
	rc = store_memberof_scan(t, STORE_USER, tenant, uid,
	    access_group_each, w, err);
	for (i = 0; rc == SCIM_OK && !w->nomem && i < w->a->ngroups; i++) {
		if (w->depth[i] + 1 >= ACCESS_DEPTH_MAX)
			continue;
		w->level = w->depth[i] + 1;
		rc = store_memberof_scan(t, STORE_GROUP, tenant,
		    w->a->groups[i].id, access_group_each, w, err);
	}
	if (rc == SCIM_OK && w->nomem)
		rc = scim_oom(err);
	for (i = 0; rc == SCIM_OK && i < w->a->ngroups; i++)
		rc = access_group_names(t, tenant, w, i, err);
	return rc;
}

/* store_scan_external(): one is enough. */
static bool
access_any(void *arg, const char *id, cJSON *obj, bool *keep)
{
	(void)id;
	(void)obj;
	(void)keep;
	*(bool *)arg = true;
	return false;
}

/*
 * Does mapping m name one of the user's groups?  By externalId first;
 * only when no group of the tenant has externalId m->group (one index
 * read) by displayName, any case.
 */
static enum scim_err
access_matches(struct store_txn *t, const char *tenant,
    const struct access_walk *w, const struct role_mapping *m, bool *yes,
    struct scim_error *err)
{
	const struct access	*a = w->a;
	bool			 ext_used = false;
	size_t			 i;
	enum scim_err		 rc;

	*yes = false;
	for (i = 0; i < a->ngroups; i++)
		if (w->ext[i] != NULL && strcmp(w->ext[i], m->group) == 0) {
			*yes = true;
			return SCIM_OK;
		}
	if ((rc = store_scan_external(t, STORE_GROUP, tenant, m->group,
	    access_any, &ext_used, err)) != SCIM_OK)
		return rc;
	if (ext_used)
		return SCIM_OK;		/* it names another group */
	for (i = 0; i < a->ngroups; i++)
		if (strcasecmp(a->groups[i].display_name, m->group) == 0) {
			*yes = true;
			break;
		}
	return SCIM_OK;
}

/* Take mapping m's role and products. */
static bool
access_take(struct access *a, const struct role_mapping *m, size_t i)
{
	size_t	 j;

	for (j = 0; j < a->nproducts; j++)	/* an earlier mapping's */
		free(a->products[j]);
	free(a->products);
	a->products = NULL;
	a->nproducts = 0;
	a->role = m->role;
	a->mapping = (int)i;
	a->auto_sync = m->auto_sync;
	if (m->nproducts == 0)
		return true;
	if ((a->products = calloc(m->nproducts, sizeof(char *))) == NULL)
		return false;
	for (j = 0; j < m->nproducts; j++) {
		if ((a->products[j] = strdup(m->products[j])) == NULL)
			return false;
		a->nproducts++;
	}
	return true;
}

/*
 * The mapping a sync assigned the user (assign.h), when it comes before
 * the one its SCIM groups gave (w->a->mapping, -1 for none): take it.
 */
static enum scim_err
access_assigned(struct store_txn *t, const char *tenant,
    const struct role_map *map, struct access *a, struct scim_error *err)
{
	cJSON		*rec = NULL;
	const char	*group;
	size_t		 i, end;
	enum scim_err	 rc;

	if ((rc = assign_get(t, tenant, a->id, &rec, err)) != SCIM_OK ||
	    rec == NULL)
		return rc;
	group = json_str(rec, "group");
	end = a->mapping < 0 ? map->n : (size_t)a->mapping;
	for (i = 0; i < end; i++)
		if (strcasecmp(map->v[i].group, group) == 0) {
			if (!access_take(a, &map->v[i], i))
				rc = scim_oom(err);
			break;
		}
	cJSON_Delete(rec);
	return rc;
}

/*
 * The role of the user whose groups w holds: the first mapping its
 * groups match or a sync assigned it, else the default.
 */
static enum scim_err
access_role(struct store_txn *t, const struct scim_config *cfg,
    const char *tenant, struct access_walk *w, struct scim_error *err)
{
	struct role_map	 map;
	size_t		 i;
	bool		 yes = false;
	enum scim_err	 rc;

	w->a->role = cfg == NULL || cfg->roles_default_member ? ROLE_MEMBER :
	    ROLE_NONE;
	w->a->mapping = -1;
	if ((rc = roles_read(t, tenant, &map, err)) != SCIM_OK)
		return rc;
	for (i = 0; i < map.n; i++) {
		if ((rc = access_matches(t, tenant, w, &map.v[i], &yes,
		    err)) != SCIM_OK)
			break;
		if (yes) {
			if (!access_take(w->a, &map.v[i], i))
				rc = scim_oom(err);
			break;
		}
	}
	if (rc == SCIM_OK)
		rc = access_assigned(t, tenant, &map, w->a, err);
	roles_free(&map);
	return rc;
}

/* Find the user by name (any case), else, when by_id, by id. */
static enum scim_err
access_find(struct store_txn *t, const char *tenant, const char *name,
    bool by_id, cJSON **rec, struct scim_error *err)
{
	char		 id[STORE_ID_MAX + 1];
	enum scim_err	 rc;

	*rec = NULL;
	rc = store_find_name(t, STORE_USER, tenant, name, id, err);
	if (rc == SCIM_E_NOT_FOUND && by_id)
		return store_get(t, STORE_USER, tenant, name, rec, err);
	if (rc != SCIM_OK)
		return rc;
	return store_get(t, STORE_USER, tenant, id, rec, err);
}

/* Fill a's names and flags from the user's record. */
static enum scim_err
access_user(struct access *a, const cJSON *rec, struct scim_error *err)
{
	const cJSON	*active = cJSON_GetObjectItemCaseSensitive(rec,
			    "active");

	a->found = true;
	a->active = !cJSON_IsFalse(active);
	snprintf(a->id, sizeof(a->id), "%s", json_str(rec, "id"));
	free(a->user_name);
	free(a->display_name);
	a->user_name = strdup(json_str(rec, "userName"));
	a->display_name = strdup(json_str(rec, "displayName"));
	if (a->user_name == NULL || a->display_name == NULL)
		return scim_oom(err);
	return SCIM_OK;
}

/* Why a may not sign in, from what was found; break-glass overrides. */
static void
access_decide(struct access *a)
{
	if (a->break_glass) {
		a->role = ROLE_OWNER;
		a->why = ACCESS_OK;
	} else if (!a->found)
		a->why = ACCESS_UNKNOWN;
	else if (!a->active)
		a->why = ACCESS_INACTIVE;
	else if (a->role == ROLE_NONE)
		a->why = ACCESS_NO_ROLE;
	else
		a->why = ACCESS_OK;
}

/* access_lookup_txn(), finding the user by name only unless by_id. */
static enum scim_err
access_lookup_in(struct store_txn *t, const struct scim_config *cfg,
    const char *tenant, const char *name_or_id, bool by_id,
    struct access *out, struct scim_error *err)
{
	struct access_walk	 w;
	cJSON			*rec = NULL;
	enum scim_err		 rc;

	memset(out, 0, sizeof(*out));
	out->mapping = -1;
	memset(&w, 0, sizeof(w));
	w.a = out;
	out->break_glass = access_break_glass(cfg, name_or_id);
	rc = access_find(t, tenant, name_or_id, by_id, &rec, err);
	if (rc == SCIM_E_NOT_FOUND) {
		out->user_name = strdup(name_or_id);
		out->display_name = strdup("");
		rc = out->user_name && out->display_name ? SCIM_OK :
		    scim_oom(err);
		goto out;
	}
	if (rc != SCIM_OK || (rc = access_user(out, rec, err)) != SCIM_OK)
		goto out;
	/* Found by id: break-glass is by userName. */
	out->break_glass = out->break_glass ||
	    access_break_glass(cfg, out->user_name);
	if ((rc = access_groups(t, tenant, out->id, &w, err)) != SCIM_OK ||
	    (rc = access_role(t, cfg, tenant, &w, err)) != SCIM_OK)
		goto out;
	rc = managed_get(t, tenant, out->id, out->managed_by, err);
out:
	if (rc == SCIM_OK)
		access_decide(out);
	access_walk_free(&w);
	cJSON_Delete(rec);
	return rc;
}

enum scim_err
access_lookup_txn(struct store_txn *t, const struct scim_config *cfg,
    const char *tenant, const char *name_or_id, struct access *out,
    struct scim_error *err)
{
	return access_lookup_in(t, cfg, tenant, name_or_id, true, out, err);
}

struct access_ctx {
	const struct scim_config	*cfg;
	const char			*tenant;
	const char			*name;
	bool				 by_id;
	struct access			*out;
};

static enum scim_err
access_lookup_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct access_ctx	*c = arg;

	access_free(c->out);		/* what an aborted run left */
	return access_lookup_in(t, c->cfg, c->tenant, c->name, c->by_id,
	    c->out, err);
}

/* One read transaction around access_lookup_in(). */
static enum scim_err
access_lookup_read(struct store *s, struct access_ctx *c,
    struct scim_error *err)
{
	memset(c->out, 0, sizeof(*c->out));
	c->out->mapping = -1;
	return store_read(s, access_lookup_fn, c, err);
}

enum scim_err
access_lookup(struct store *s, const struct scim_config *cfg,
    const char *tenant, const char *name_or_id, struct access *out,
    struct scim_error *err)
{
	struct access_ctx	 c = { cfg, tenant, name_or_id, true, out };

	return access_lookup_read(s, &c, err);
}

enum scim_err
access_lookup_signon(struct store *s, const struct scim_config *cfg,
    const char *tenant, const char *name, struct access *out,
    struct scim_error *err)
{
	struct access_ctx	 c = { cfg, tenant, name, false, out };

	return access_lookup_read(s, &c, err);
}

cJSON *
access_json(const struct access *a)
{
	cJSON	*o, *p, *g, *e;
	size_t	 i;

	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(o, "id", a->id) ||
	    !cJSON_AddStringToObject(o, "userName",
	    a->user_name ? a->user_name : "") ||
	    !cJSON_AddStringToObject(o, "displayName",
	    a->display_name ? a->display_name : "") ||
	    !cJSON_AddBoolToObject(o, "active", a->active) ||
	    !cJSON_AddStringToObject(o, "role", role_name(a->role)) ||
	    (p = cJSON_AddArrayToObject(o, "products")) == NULL ||
	    (g = cJSON_AddArrayToObject(o, "groups")) == NULL ||
	    !cJSON_AddStringToObject(o, "managedBy", a->managed_by))
		goto fail;
	for (i = 0; i < a->nproducts; i++)
		if (!cJSON_AddItemToArray(p, cJSON_CreateString(
		    a->products[i])))
			goto fail;
	for (i = 0; i < a->ngroups; i++) {
		if ((e = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(g, e) ||
		    !cJSON_AddStringToObject(e, "id", a->groups[i].id) ||
		    !cJSON_AddStringToObject(e, "displayName",
		    a->groups[i].display_name ? a->groups[i].display_name :
		    ""))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}
