/*
 * The plan of a sync (sync-int.h): the mappings to sync, the Entra group
 * each names (by object id, else by displayName in any case), and every
 * user of those groups once, with the first mapping that holds it and the
 * names of all its mapped groups.  Users are kept in an array with an
 * open-addressing index on their object id, so 10,000 users are found in
 * constant time each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/log.h"
#include "scim/crud-direct.h"
#include "sync/sync-int.h"

void
sync_plan_free(struct sync_plan *p)
{
	size_t	 i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].eid);
		free(p->v[i].upn);
		free(p->v[i].mail);
		free(p->v[i].name);
		cJSON_Delete(p->v[i].sources);
		cJSON_Delete(p->v[i].res);
	}
	free(p->v);
	free(p->slots);
	free(p->used);
	roles_free(&p->map);
	memset(p, 0, sizeof(*p));
}

/* FNV-1a of s. */
static size_t
sync_hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* The slot of eid: where it is, or the empty one where it would go. */
static size_t
sync_slot(const struct sync_plan *p, const char *eid)
{
	size_t	 i = sync_hash(eid) & (p->nslots - 1);

	while (p->slots[i] != 0 && strcmp(p->v[p->slots[i] - 1].eid,
	    eid) != 0)
		i = (i + 1) & (p->nslots - 1);
	return i;
}

/* Room for one more user, the index at most half full. */
static bool
sync_plan_grow(struct sync_plan *p)
{
	struct sync_user	*v;
	size_t			 i, cap, *old = p->slots, nold = p->nslots;

	if (p->n == p->cap) {
		cap = p->cap ? p->cap * 2 : 256;
		if ((v = realloc(p->v, cap * sizeof(*v))) == NULL)
			return false;
		p->v = v;
		p->cap = cap;
	}
	if (2 * (p->n + 1) <= p->nslots)
		return true;
	p->nslots = nold ? nold * 2 : 512;
	if ((p->slots = calloc(p->nslots, sizeof(size_t))) == NULL) {
		p->slots = old;
		p->nslots = nold;
		return false;
	}
	for (i = 0; i < nold; i++)
		if (old[i] != 0)
			p->slots[sync_slot(p, p->v[old[i] - 1].eid)] = old[i];
	free(old);
	return true;
}

/*
 * The SCIM User body of u, as a client would send it: only what Graph
 * gave (null and empty values left out).
 */
static cJSON *
sync_user_body(const struct graph_user *u)
{
	cJSON	*o, *n, *a, *e;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "userName", u->upn);
	cJSON_AddStringToObject(o, "externalId", u->id);
	cJSON_AddBoolToObject(o, "active", u->enabled);
	if (*u->display)
		cJSON_AddStringToObject(o, "displayName", u->display);
	if ((*u->given || *u->surname) &&
	    (n = cJSON_AddObjectToObject(o, "name")) != NULL) {
		if (*u->given)
			cJSON_AddStringToObject(n, "givenName", u->given);
		if (*u->surname)
			cJSON_AddStringToObject(n, "familyName", u->surname);
	}
	if (*u->mail && (a = cJSON_AddArrayToObject(o, "emails")) != NULL &&
	    (e = cJSON_CreateObject()) != NULL && cJSON_AddItemToArray(a, e)) {
		cJSON_AddStringToObject(e, "value", u->mail);
		cJSON_AddStringToObject(e, "type", "work");
		cJSON_AddBoolToObject(e, "primary", true);
	}
	if (*u->lang)
		cJSON_AddStringToObject(o, "preferredLanguage", u->lang);
	if (*u->mobile &&
	    (a = cJSON_AddArrayToObject(o, "phoneNumbers")) != NULL &&
	    (e = cJSON_CreateObject()) != NULL && cJSON_AddItemToArray(a, e)) {
		cJSON_AddStringToObject(e, "value", u->mobile);
		cJSON_AddStringToObject(e, "type", "mobile");
	}
	return o;
}

/* A new plan entry for u, first seen in mapping m. */
static bool
sync_user_init(struct sync_user *e, const struct graph_user *u, size_t m)
{
	struct scim_error	 err;
	cJSON			*body;
	size_t			 n;

	memset(e, 0, sizeof(*e));
	e->mapping = m;
	n = strlen(u->given) + strlen(u->surname) + 2;
	if ((e->eid = strdup(u->id)) == NULL ||
	    (e->upn = strdup(u->upn)) == NULL ||
	    (e->mail = strdup(u->mail)) == NULL ||
	    (e->name = malloc(n + strlen(u->display))) == NULL ||
	    (e->sources = cJSON_CreateArray()) == NULL)
		return false;
	if (*u->display)
		strcpy(e->name, u->display);
	else
		snprintf(e->name, n, "%s%s%s", u->given,
		    *u->given && *u->surname ? " " : "", u->surname);
	if ((body = sync_user_body(u)) == NULL)
		return false;
	/* A user the SCIM rules refuse is reported, not fatal. */
	if (crud_direct_prepare(body, &e->res, &err) != SCIM_OK) {
		if (err.code == SCIM_E_INTERNAL) {
			cJSON_Delete(body);
			return false;
		}
		snprintf(e->error, sizeof(e->error), "%.150s", err.detail);
	}
	cJSON_Delete(body);
	return true;
}

/* Reading one group's users into the plan. */
struct sync_reader {
	struct sync_plan	*p;
	size_t			 mapping;
	const char		*group;		/* its Entra displayName */
	bool			 nomem;
};

/* Has array a the string s? */
static bool
sync_has(const cJSON *a, const char *s)
{
	const cJSON	*e;

	cJSON_ArrayForEach(e, a)
		if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
			return true;
	return false;
}

static bool
sync_reader_user(void *arg, const struct graph_user *u)
{
	struct sync_reader	*r = arg;
	struct sync_plan	*p = r->p;
	struct sync_user	*e;
	size_t			 slot;

	if (!sync_plan_grow(p))
		goto nomem;
	slot = sync_slot(p, u->id);
	if (p->slots[slot] == 0) {
		e = &p->v[p->n];
		if (!sync_user_init(e, u, r->mapping)) {
			p->n++;		/* so that sync_plan_free() frees it */
			goto nomem;
		}
		p->slots[slot] = ++p->n;
	} else
		e = &p->v[p->slots[slot] - 1];
	if (!sync_has(e->sources, r->group) && !cJSON_AddItemToArray(
	    e->sources, cJSON_CreateString(r->group)))
		goto nomem;
	return true;
nomem:
	r->nomem = true;
	return false;
}

/* The directory's groups, for finding the ones the mappings name. */
struct sync_dir {
	cJSON	*groups;	/* [{"id", "displayName"}] */
};

static bool
sync_dir_add(void *arg, const struct graph_group *grp)
{
	cJSON	*e;

	if ((e = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToArray(arg, e))
		return false;
	return cJSON_AddStringToObject(e, "id", grp->id) &&
	    cJSON_AddStringToObject(e, "displayName", grp->display_name);
}

/*
 * The Entra group mapping group names: its object id, else its
 * displayName (any case).  NULL when the directory has none.
 */
static const cJSON *
sync_dir_find(const cJSON *groups, const char *group)
{
	const cJSON	*g;

	cJSON_ArrayForEach(g, groups)
		if (strcmp(json_str(g, "id"), group) == 0)
			return g;
	cJSON_ArrayForEach(g, groups)
		if (strcasecmp(json_str(g, "displayName"), group) == 0)
			return g;
	return NULL;
}

/* Read the users of every mapping to sync, in order. */
static enum scim_err
sync_plan_members(struct graph *g, const cJSON *groups, struct sync_plan *p,
    struct scim_error *err)
{
	struct sync_reader	 r;
	const cJSON		*grp;
	size_t			 i;
	enum scim_err		 rc = SCIM_OK;

	for (i = 0; i < p->map.n && rc == SCIM_OK; i++) {
		if (!p->used[i])
			continue;
		if ((grp = sync_dir_find(groups, p->map.v[i].group)) == NULL) {
			log_warn("sync: mapping %zu names %s, which the "
			    "directory does not have", i + 1,
			    p->map.v[i].group);
			p->missing++;
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.p = p;
		r.mapping = i;
		r.group = *json_str(grp, "displayName") ?
		    json_str(grp, "displayName") : json_str(grp, "id");
		rc = graph_members(g, json_str(grp, "id"), sync_reader_user,
		    &r, err);
		if (rc == SCIM_OK && r.nomem)
			rc = scim_oom(err);
	}
	return rc;
}

enum scim_err
sync_plan_read(struct store *s, struct graph *g, const char *tenant,
    bool auto_only, struct sync_plan *p, struct scim_error *err)
{
	cJSON		*groups = NULL;
	size_t		 i, nused = 0;
	enum scim_err	 rc;

	memset(p, 0, sizeof(*p));
	if ((rc = roles_list(s, tenant, &p->map, err)) != SCIM_OK)
		return rc;
	if (p->map.n > 0 && (p->used = calloc(p->map.n, sizeof(bool))) ==
	    NULL)
		return scim_oom(err);
	for (i = 0; i < p->map.n; i++)
		if ((p->used[i] = !auto_only || p->map.v[i].auto_sync))
			nused++;
	if (nused == 0)
		return scim_fail(err, SCIM_E_NOT_FOUND, "no role mappings to "
		    "sync%s: add one with scimctl roles add", auto_only ?
		    " (none has auto sync on)" : "");
	if ((groups = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	rc = graph_groups(g, NULL, sync_dir_add, groups, err);
	if (rc == SCIM_OK)
		rc = sync_plan_members(g, groups, p, err);
	cJSON_Delete(groups);
	return rc;
}
