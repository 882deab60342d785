/*
 * Synced Users (sync.h, sync_users()): every user the sync manages, with
 * the role the gate gives it and the Entra groups the sync found it in.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "roles/access.h"
#include "roles/assign.h"
#include "sync/sync-int.h"

/* The ids of the users the sync manages ("managed" key space). */
struct sync_ids {
	char	**v;
	size_t	 n, cap;
	bool	 nomem;
};

static bool
sync_ids_each(void *arg, const char *uid, cJSON *obj, bool *keep)
{
	struct sync_ids	*l = arg;
	char		**v;

	(void)keep;
	if (strcmp(json_str(obj, "by"), "sync") != 0)
		return true;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			goto nomem;
		l->v = v;
	}
	if ((l->v[l->n] = strdup(uid)) == NULL)
		goto nomem;
	l->n++;
	return true;
nomem:
	l->nomem = true;
	return false;
}

struct sync_users_read {
	const struct scim_config	*cfg;
	const char			*tenant;
	struct sync_ids			 ids;
	cJSON				*out;
};

/* One synced user's entry: NULL when it is gone or memory is short. */
static cJSON *
sync_users_entry(struct store_txn *t, struct sync_users_read *r,
    const char *uid, struct scim_error *err, enum scim_err *rc)
{
	struct access	 a;
	cJSON		*rec = NULL, *o = NULL, *src;

	if ((*rc = access_lookup_txn(t, r->cfg, r->tenant, uid, &a, err)) !=
	    SCIM_OK || !a.found ||
	    (*rc = assign_get(t, r->tenant, uid, &rec, err)) != SCIM_OK)
		goto out;
	src = cJSON_GetObjectItemCaseSensitive(rec, "sources");
	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddStringToObject(o, "id", a.id) ||
	    !cJSON_AddStringToObject(o, "userName", a.user_name) ||
	    !cJSON_AddStringToObject(o, "displayName", a.display_name) ||
	    !cJSON_AddBoolToObject(o, "active", a.active) ||
	    !cJSON_AddStringToObject(o, "role", role_name(a.role)) ||
	    !cJSON_AddItemToObject(o, "groups", src ?
	    cJSON_Duplicate(src, true) : cJSON_CreateArray())) {
		cJSON_Delete(o);
		o = NULL;
		*rc = scim_oom(err);
	}
out:
	cJSON_Delete(rec);
	access_free(&a);
	return o;
}

static enum scim_err
sync_users_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct sync_users_read	*r = arg;
	cJSON			*e;
	size_t			 i;
	enum scim_err		 rc;

	for (i = 0; i < r->ids.n; i++)
		free(r->ids.v[i]);
	r->ids.n = 0;
	cJSON_Delete(r->out);
	if ((r->out = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	rc = store_kv_scan(t, r->tenant, MANAGED_SPACE, NULL, false,
	    sync_ids_each, &r->ids, err);
	if (rc == SCIM_OK && r->ids.nomem)
		rc = scim_oom(err);
	for (i = 0; rc == SCIM_OK && i < r->ids.n; i++)
		if ((e = sync_users_entry(t, r, r->ids.v[i], err, &rc)) !=
		    NULL)
			cJSON_AddItemToArray(r->out, e);
	return rc;
}

static int
sync_users_cmp(const void *a, const void *b)
{
	return strcasecmp(json_str(*(cJSON *const *)a, "userName"),
	    json_str(*(cJSON *const *)b, "userName"));
}

enum scim_err
sync_users(struct store *s, const struct scim_config *cfg,
    const char *tenant, cJSON **out, struct scim_error *err)
{
	struct sync_users_read	 r;
	cJSON			**v = NULL;
	size_t			 i, n;
	enum scim_err		 rc;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.tenant = tenant;
	*out = NULL;
	rc = store_read(s, sync_users_fn, &r, err);
	n = (size_t)cJSON_GetArraySize(r.out);
	if (rc == SCIM_OK && n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		rc = scim_oom(err);
	if (rc == SCIM_OK) {
		for (i = 0; i < n; i++)
			v[i] = cJSON_DetachItemFromArray(r.out, 0);
		qsort(v, n, sizeof(*v), sync_users_cmp);
		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(r.out, v[i]);
		*out = r.out;
		r.out = NULL;
	}
	free(v);
	cJSON_Delete(r.out);
	for (i = 0; i < r.ids.n; i++)
		free(r.ids.v[i]);
	free(r.ids.v);
	return rc;
}
