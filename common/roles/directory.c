/*
 * The directory listings of the admin page (directory.h): users walked
 * in name order with their access lookup, filtered, one page at a time
 * and never more than DIR_SCAN_MAX of them per view; groups by position
 * with member counts; one group's members.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "base/util.h"
#include "roles/directory.h"
#include "store/store-names.h"

/* One run of a users page (it may run again: users_fn resets it). */
struct users_walk {
	struct store_txn		*t;
	const struct scim_config	*cfg;
	const char			*tenant;
	const struct dir_user_query	*q;
	char				*lq;	/* q lower-cased, or NULL */
	bool				 email;	/* q holds an @ */
	bool				 reverse;
	const char			*skip;	/* the boundary, not shown */
	struct dir_users		*out;
	enum scim_err			 rc;
	struct scim_error		*err;
};

void
dir_users_free(struct dir_users *p)
{
	size_t	 i;

	for (i = 0; i < p->n; i++) {
		access_free(&p->v[i].a);
		free(p->v[i].lname);
	}
	free(p->v);
	free(p->resume);
	memset(p, 0, sizeof(*p));
}

/* Does the user's record hold email (any case) among its emails? */
static bool
users_has_email(const cJSON *rec, const char *email)
{
	const cJSON	*e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(rec, "emails"))
		if (strcasecmp(json_str(e, "value"), email) == 0)
			return true;
	return false;
}

/* Does a (looked up) pass the query's filters and, by email, its search? */
static bool
users_match(struct users_walk *w, const struct access *a, const char *lname)
{
	const struct dir_user_query	*q = w->q;
	const char			*by = a->managed_by;
	cJSON				*rec = NULL;
	bool				 hit;

	if ((q->active == 1 && !a->active) || (q->active == 0 && a->active))
		return false;
	if (q->role >= 0 && (int)a->role != q->role)
		return false;
	if (q->managed != NULL && !(strcmp(q->managed, "unknown") == 0 ?
	    *by == '\0' : strncmp(by, q->managed, strlen(q->managed)) == 0))
		return false;
	if (!w->email || strncmp(lname, w->lq, strlen(w->lq)) == 0)
		return true;
	w->rc = store_get(w->t, STORE_USER, w->tenant, a->id, &rec, w->err);
	if (w->rc == SCIM_E_NOT_FOUND)
		w->rc = SCIM_OK;
	hit = rec != NULL && users_has_email(rec, w->q->q);
	cJSON_Delete(rec);
	return hit;
}

/* Keep a (taken over) and lname as the page's next row. */
static bool
users_keep(struct users_walk *w, struct access *a, const char *lname)
{
	struct dir_users	*o = w->out;
	struct dir_user		*v;

	if ((v = realloc(o->v, (o->n + 1) * sizeof(*v))) == NULL)
		return false;
	o->v = v;
	if ((v[o->n].lname = strdup(lname)) == NULL)
		return false;
	v[o->n].a = *a;
	memset(a, 0, sizeof(*a));
	o->n++;
	return true;
}

/* One name index entry: look the user up, filter, keep, or stop. */
static bool
users_each(void *arg, const char *id, const char *lname)
{
	struct users_walk	*w = arg;
	struct dir_users	*o = w->out;
	struct access		 a;
	bool			 go_on = true;

	if (w->skip != NULL && strcmp(lname, w->skip) == 0)
		return true;
	if (w->lq != NULL && !w->email && strncmp(lname, w->lq,
	    strlen(w->lq)) != 0)
		return false;		/* past the names that start so */
	if (o->passed == DIR_SCAN_MAX) {
		o->cut = true;
		return false;
	}
	o->passed++;
	free(o->resume);
	if ((o->resume = strdup(lname)) == NULL) {
		w->rc = scim_oom(w->err);
		return false;
	}
	w->rc = access_lookup_txn(w->t, w->cfg, w->tenant, id, &a, w->err);
	if (w->rc == SCIM_OK && users_match(w, &a, lname) &&
	    w->rc == SCIM_OK) {
		if (o->n == w->q->limit) {
			o->more = true;
			go_on = false;
		} else if (!users_keep(w, &a, lname)) {
			w->rc = scim_oom(w->err);
		}
	}
	access_free(&a);
	return go_on && w->rc == SCIM_OK;
}

static enum scim_err
users_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct users_walk	*w = arg;
	const char		*from;
	struct dir_user		 tmp;
	size_t			 i;
	enum scim_err		 rc;

	dir_users_free(w->out);
	w->t = t;
	w->rc = SCIM_OK;
	w->err = err;
	if (w->reverse)
		from = w->q->before;
	else if (w->q->after != NULL)
		from = w->q->after;
	else
		from = w->email ? NULL : w->lq;
	rc = store_name_walk(t, STORE_USER, w->tenant, from, w->reverse,
	    users_each, w, err);
	if (rc == SCIM_OK)
		rc = w->rc;
	if (rc != SCIM_OK || !w->reverse)
		return rc;
	for (i = 0; i < w->out->n / 2; i++) {
		tmp = w->out->v[i];
		w->out->v[i] = w->out->v[w->out->n - 1 - i];
		w->out->v[w->out->n - 1 - i] = tmp;
	}
	return SCIM_OK;
}

enum scim_err
dir_users_page(struct store *s, const struct scim_config *cfg,
    const char *tenant, const struct dir_user_query *q,
    struct dir_users *out, struct scim_error *err)
{
	struct users_walk	 w;
	enum scim_err		 rc;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.tenant = tenant;
	w.q = q;
	w.out = out;
	w.reverse = q->before != NULL;
	w.skip = w.reverse ? q->before : q->after;
	if (q->q != NULL && *q->q != '\0') {
		if ((w.lq = util_lower(q->q)) == NULL)
			return scim_oom(err);
		w.email = strchr(q->q, '@') != NULL;
	}
	rc = store_read(s, users_fn, &w, err);
	free(w.lq);
	if (rc != SCIM_OK)
		dir_users_free(out);
	return rc;
}

/* --- groups --- */

/* Count the members passed (arg: a size_t). */
static bool
groups_count(void *arg, const char *id, cJSON *obj, bool *keep)
{
	(void)id;
	(void)obj;
	(void)keep;
	(*(size_t *)arg)++;
	return true;
}

struct groups_ctx {
	const char	*tenant;
	const char	*gid;
	size_t		 skip;
	size_t		 limit;
	size_t		 seen;
	cJSON		*group;
	cJSON		*out;
	size_t		*total;
};

/* One group's row: {"id", "displayName", "externalId", "members"}. */
static enum scim_err
groups_row(struct store_txn *t, struct groups_ctx *g, const char *id,
    struct scim_error *err)
{
	cJSON		*rec = NULL, *row;
	size_t		 n = 0;
	enum scim_err	 rc;

	if ((rc = store_get(t, STORE_GROUP, g->tenant, id, &rec, err)) !=
	    SCIM_OK)
		return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
	if ((rc = store_member_scan(t, g->tenant, id, groups_count, &n,
	    err)) == SCIM_OK) {
		if ((row = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(g->out, row) ||
		    cJSON_AddStringToObject(row, "id", id) == NULL ||
		    cJSON_AddStringToObject(row, "displayName",
		    json_str(rec, "displayName")) == NULL ||
		    cJSON_AddStringToObject(row, "externalId",
		    json_str(rec, "externalId")) == NULL ||
		    cJSON_AddNumberToObject(row, "members", (double)n) == NULL)
			rc = scim_oom(err);
	}
	cJSON_Delete(rec);
	return rc;
}

static enum scim_err
groups_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct groups_ctx	*g = arg;
	char			(*ids)[STORE_ID_MAX + 1];
	size_t			 n = 0, i;
	enum scim_err		 rc;

	cJSON_Delete(g->out);
	if ((g->out = cJSON_CreateArray()) == NULL ||
	    (ids = calloc(g->limit, sizeof(*ids))) == NULL)
		return scim_oom(err);
	rc = store_page_ids(t, STORE_GROUP, g->tenant, g->skip, g->limit,
	    g->total, ids, &n, err);
	for (i = 0; rc == SCIM_OK && i < n; i++)
		rc = groups_row(t, g, ids[i], err);
	free(ids);
	return rc;
}

enum scim_err
dir_groups_page(struct store *s, const char *tenant, size_t skip,
    size_t limit, cJSON **out, size_t *total, struct scim_error *err)
{
	struct groups_ctx	 g;
	enum scim_err		 rc;

	memset(&g, 0, sizeof(g));
	g.tenant = tenant;
	g.skip = skip;
	g.limit = limit < 1 ? 1 : limit > DIR_PAGE_MAX ? DIR_PAGE_MAX : limit;
	g.total = total;
	*total = 0;
	rc = store_read(s, groups_fn, &g, err);
	if (rc != SCIM_OK) {
		cJSON_Delete(g.out);
		g.out = NULL;
	}
	*out = g.out;
	return rc;
}

/* Keep the members of the page (arg: a groups_ctx), count them all. */
static bool
members_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct groups_ctx	*g = arg;

	(void)id;
	g->seen++;
	if (g->seen > g->skip && g->seen <= g->skip + g->limit &&
	    cJSON_AddItemToArray(g->out, obj))
		*keep = true;
	return true;
}

static enum scim_err
members_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct groups_ctx	*g = arg;
	enum scim_err		 rc;

	cJSON_Delete(g->out);
	cJSON_Delete(g->group);
	g->group = NULL;
	g->seen = 0;
	if ((g->out = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	if ((rc = store_get(t, STORE_GROUP, g->tenant, g->gid, &g->group,
	    err)) != SCIM_OK)
		return rc;
	rc = store_member_scan(t, g->tenant, g->gid, members_each, g, err);
	*g->total = g->seen;
	return rc;
}

enum scim_err
dir_group_members(struct store *s, const char *tenant, const char *gid,
    size_t skip, size_t limit, cJSON **group, cJSON **members, size_t *total,
    struct scim_error *err)
{
	struct groups_ctx	 g;
	enum scim_err		 rc;

	memset(&g, 0, sizeof(g));
	g.tenant = tenant;
	g.gid = gid;
	g.skip = skip;
	g.limit = limit;
	g.total = total;
	*total = 0;
	rc = store_read(s, members_fn, &g, err);
	if (rc != SCIM_OK) {
		cJSON_Delete(g.out);
		cJSON_Delete(g.group);
		g.out = g.group = NULL;
	}
	*group = g.group;
	*members = g.out;
	return rc;
}

struct record_ctx {
	const char	*tenant;
	const char	*id;
	cJSON		*rec;
};

static enum scim_err
record_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct record_ctx	*r = arg;

	cJSON_Delete(r->rec);
	r->rec = NULL;
	return store_get(t, STORE_USER, r->tenant, r->id, &r->rec, err);
}

enum scim_err
dir_user_record(struct store *s, const char *tenant, const char *id,
    cJSON **out, struct scim_error *err)
{
	struct record_ctx	 r = { tenant, id, NULL };
	enum scim_err		 rc;

	rc = store_read(s, record_fn, &r, err);
	if (rc != SCIM_OK) {
		cJSON_Delete(r.rec);
		r.rec = NULL;
	}
	*out = r.rec;
	return rc;
}
