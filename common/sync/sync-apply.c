/*
 * One user of a sync against the store (sync-int.h): find it by userName,
 * decide create / update / none, and when writing, write the user through
 * the SCIM write path (crud-direct.h), who manages it (managed.h), the
 * mapping that gave its role (assign.h) and its audit event, all in the
 * caller's transaction.  The same function decides for the preview (no
 * writes) and the run, so the two never disagree.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "base/json.h"
#include "base/util.h"
#include "roles/access.h"
#include "roles/assign.h"
#include "scim/crud-direct.h"
#include "sync/sync-int.h"

const char *
sync_action_name(enum sync_action a)
{
	switch (a) {
	case SYNC_CREATE:
		return "create";
	case SYNC_UPDATE:
		return "update";
	case SYNC_NONE:
		return "none";
	case SYNC_FAILED:
		return "failed";
	}
	return "none";
}

/* Does the role record rec already say mapping group, from sources? */
static bool
sync_assign_same(const cJSON *rec, const char *group, const cJSON *sources)
{
	return rec != NULL && strcasecmp(json_str(rec, "group"), group) == 0 &&
	    cJSON_Compare(cJSON_GetObjectItemCaseSensitive(rec, "sources"),
	    sources, true);
}

/* Record event type for user id (u) with details, in t. */
static enum scim_err
sync_user_event(struct store_txn *t, const struct sync_apply_ctx *c,
    const char *type, const char *id, const struct sync_user *u,
    const struct sync_decision *d, struct scim_error *err)
{
	struct audit_event	 ev;
	cJSON			*det;
	enum scim_err		 rc;

	if ((det = cJSON_CreateObject()) == NULL ||
	    (d->action == SYNC_UPDATE && !cJSON_AddStringToObject(det,
	    "oldRole", role_name(d->old_role))) ||
	    !cJSON_AddStringToObject(det, d->action == SYNC_UPDATE ?
	    "newRole" : "role", role_name(d->new_role)) ||
	    !cJSON_AddItemToObject(det, "groups",
	    cJSON_Duplicate(u->sources, true)) ||
	    (d->action == SYNC_UPDATE && !cJSON_AddBoolToObject(det,
	    "attributes", d->attrs))) {
		cJSON_Delete(det);
		return scim_oom(err);
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tenant = c->tenant;
	ev.actor = c->actor;
	ev.target_id = id;
	ev.target_name = u->upn;
	ev.details = det;
	rc = audit_record(t, c->cfg, &ev, err);
	cJSON_Delete(det);
	return rc;
}

/* The role u's mapping gives (what the new record will say). */
static enum role
sync_mapped_role(const struct sync_apply_ctx *c, const struct sync_user *u)
{
	return c->plan->map.v[u->mapping].role;
}

/* Create u: its record, its manager, its role record, its event. */
static enum scim_err
sync_create(struct store_txn *t, const struct sync_apply_ctx *c,
    struct sync_user *u, struct sync_decision *d, struct scim_error *err)
{
	const char	*group = c->plan->map.v[u->mapping].group;
	enum scim_err	 rc;

	d->action = SYNC_CREATE;
	d->new_role = sync_mapped_role(c, u);
	util_uuid(d->id);
	if (!c->write)
		return SCIM_OK;
	rc = crud_direct_put(t, c->tenant, d->id, u->res, NULL, err);
	if (rc == SCIM_E_UNIQUENESS || rc == SCIM_E_INVALID_VALUE) {
		snprintf(u->error, sizeof(u->error), "%.150s", err->detail);
		d->action = SYNC_FAILED;
		return SCIM_OK;
	}
	if (rc == SCIM_OK)
		rc = managed_put(t, c->tenant, d->id, "sync", NULL, err);
	if (rc == SCIM_OK)
		rc = assign_put(t, c->tenant, d->id, group, u->sources, err);
	if (rc == SCIM_OK)
		rc = sync_user_event(t, c, "sync.user.created", d->id, u, d,
		    err);
	return rc;
}

/*
 * Update u, user d->id (stored as old): its attributes when the sync
 * manages it and they differ, its role record when that differs.
 */
static enum scim_err
sync_update(struct store_txn *t, const struct sync_apply_ctx *c,
    struct sync_user *u, const cJSON *old, struct sync_decision *d,
    struct scim_error *err)
{
	const char	*group = c->plan->map.v[u->mapping].group;
	struct access	 a;
	cJSON		*rec = NULL;
	bool		 same_rec;
	enum scim_err	 rc;

	memset(&a, 0, sizeof(a));
	if ((rc = access_lookup_txn(t, c->cfg, c->tenant, d->id, &a, err)) !=
	    SCIM_OK || (rc = assign_get(t, c->tenant, d->id, &rec, err)) !=
	    SCIM_OK)
		goto out;
	d->old_role = a.role;
	snprintf(d->managed_by, sizeof(d->managed_by), "%s", a.managed_by);
	/* Only a user the sync manages has its attributes rewritten. */
	d->attrs = strcmp(a.managed_by, "sync") == 0 &&
	    crud_direct_differs(u->res, old);
	same_rec = sync_assign_same(rec, group, u->sources);
	/*
	 * The role once the record is written, for the preview: the
	 * mapping's, unless an earlier one of the user's SCIM groups wins
	 * (access.c).  A run reads it back from the gate below.
	 */
	d->new_role = same_rec || (a.mapping >= 0 &&
	    (size_t)a.mapping < u->mapping && (rec == NULL ||
	    strcasecmp(json_str(rec, "group"),
	    c->plan->map.v[a.mapping].group) != 0)) ? a.role :
	    sync_mapped_role(c, u);
	d->action = d->attrs || d->new_role != d->old_role ? SYNC_UPDATE :
	    SYNC_NONE;
	if (!c->write)
		goto out;
	if (d->attrs && (rc = crud_direct_put(t, c->tenant, d->id, u->res, old,
	    err)) != SCIM_OK) {
		if (rc == SCIM_E_UNIQUENESS || rc == SCIM_E_INVALID_VALUE) {
			snprintf(u->error, sizeof(u->error), "%.150s",
			    err->detail);
			d->action = SYNC_FAILED;
			rc = SCIM_OK;
		}
		goto out;
	}
	if (!same_rec && (rc = assign_put(t, c->tenant, d->id, group,
	    u->sources, err)) != SCIM_OK)
		goto out;
	/* What the gate now says (the transaction reads its own writes). */
	if (!same_rec) {
		access_free(&a);
		if ((rc = access_lookup_txn(t, c->cfg, c->tenant, d->id, &a,
		    err)) != SCIM_OK)
			goto out;
		d->new_role = a.role;
		d->action = d->attrs || d->new_role != d->old_role ?
		    SYNC_UPDATE : SYNC_NONE;
	}
	if (d->action == SYNC_UPDATE)
		rc = sync_user_event(t, c, "sync.user.updated", d->id, u, d,
		    err);
out:
	cJSON_Delete(rec);
	access_free(&a);
	return rc;
}

enum scim_err
sync_apply(struct store_txn *t, const struct sync_apply_ctx *c,
    struct sync_user *u, struct sync_decision *d, struct scim_error *err)
{
	cJSON		*old = NULL;
	enum scim_err	 rc;

	memset(d, 0, sizeof(*d));
	if (u->res == NULL) {		/* the SCIM rules refused it */
		d->action = SYNC_FAILED;
		return SCIM_OK;
	}
	rc = store_find_name(t, STORE_USER, c->tenant, u->upn, d->id, err);
	if (rc == SCIM_E_NOT_FOUND) {
		snprintf(d->managed_by, sizeof(d->managed_by), "sync");
		return sync_create(t, c, u, d, err);
	}
	if (rc != SCIM_OK ||
	    (rc = store_get(t, STORE_USER, c->tenant, d->id, &old, err)) !=
	    SCIM_OK)
		return rc;
	rc = sync_update(t, c, u, old, d, err);
	cJSON_Delete(old);
	return rc;
}
