/*
 * The audit events of the /Users and /Groups handlers: one event per
 * create or delete, and for an update the attributes that changed
 * (scim.user.updated / scim.group.updated), an active flag that flipped
 * (scim.user.deprovisioned / reactivated) and the members added and
 * removed (scim.group.members_added / members_removed).  Each is recorded
 * in the write's own transaction, so an event exists exactly when its
 * change does.
 *
 * OWNS: event names and their details.  MUST NOT KNOW: how the change was
 * made (PUT, PATCH), HTTP.
 */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "scim/crud-int.h"

/* Record one event about res for the caller's token, in transaction t. */
enum scim_err
crud_audit_record(struct store_txn *t, const struct scim_call *c,
    const struct resource_type *rt, const char *type, const cJSON *res,
    const cJSON *details, struct scim_error *err)
{
	const cJSON		*id = cJSON_GetObjectItemCaseSensitive(res, "id");
	const cJSON		*name = cJSON_GetObjectItemCaseSensitive(res,
				    rt->name_attr);
	char			 actor[64];
	struct audit_event	 ev;

	snprintf(actor, sizeof(actor), "token:%s", c->auth.token_id);
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tenant = c->auth.tenant;
	ev.actor = actor;
	ev.target_id = cJSON_IsString(id) ? id->valuestring : c->id;
	ev.target_name = cJSON_IsString(name) ? name->valuestring : NULL;
	ev.details = details;
	return audit_record(t, &c->ctx->cfg, &ev, err);
}

/* Add the names of what differs between two objects to list. */
void
crud_audit_diff_names(const cJSON *a, const cJSON *b, const char *prefix,
    cJSON *list)
{
	const cJSON	*x, *y, *from, *other;
	char		 name[512];
	int		 pass;

	for (pass = 0; pass < 2; pass++) {
		from = pass == 0 ? a : b;
		other = pass == 0 ? b : a;
		cJSON_ArrayForEach(x, from) {
			if (strcmp(x->string, "meta") == 0 ||
			    strcmp(x->string, "id") == 0 ||
			    strcmp(x->string, "schemas") == 0)
				continue;
			y = cJSON_GetObjectItemCaseSensitive(other, x->string);
			if (pass == 1 && y != NULL)
				continue;	/* seen in the first pass */
			if (y != NULL && cJSON_Compare(x, y, true))
				continue;
			/* Extensions: name the attribute inside. */
			if (prefix == NULL && strncmp(x->string, "urn:", 4) == 0 &&
			    cJSON_IsObject(x) && cJSON_IsObject(y)) {
				crud_audit_diff_names(x, y, x->string,
				    list);
				continue;
			}
			snprintf(name, sizeof(name), "%s%s%s", prefix ? prefix :
			    "", prefix ? ":" : "", x->string);
			cJSON_AddItemToArray(list, cJSON_CreateString(name));
		}
	}
}

static bool
is_active(const cJSON *res)
{
	/* An absent "active" is not a blocked user. */
	return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(res, "active"));
}

/* One membership event: how many members, and the first ids (as noted). */
static enum scim_err
record_members(struct store_txn *t, const struct scim_call *c,
    const struct resource_type *rt, const char *type, const cJSON *res,
    size_t n, const cJSON *ids, struct scim_error *err)
{
	cJSON		*d = cJSON_CreateObject();
	enum scim_err	 rc;

	cJSON_AddNumberToObject(d, "count", (double)n);
	cJSON_AddItemToObject(d, "ids", cJSON_Duplicate(ids, true));
	rc = crud_audit_record(t, c, rt, type, res, d, err);
	cJSON_Delete(d);
	return rc;
}

/*
 * The events of an update from old to res: scim.<kind>.updated with the
 * changed attributes, scim.user.deprovisioned / reactivated when active
 * flips, and the membership changes of mc (may be NULL).
 */
enum scim_err
crud_audit_update(struct store_txn *t, const struct scim_call *c,
    const struct resource_type *rt, const cJSON *old, const cJSON *res,
    const struct members_ctx *mc, struct scim_error *err)
{
	cJSON		*d = cJSON_CreateObject(), *changed, *e;
	enum scim_err	 rc = SCIM_OK;
	bool		 flip = false;

	if (d == NULL || (changed = cJSON_AddArrayToObject(d, "changed")) ==
	    NULL) {
		cJSON_Delete(d);
		return scim_oom(err);
	}
	crud_audit_diff_names(old, res, NULL, changed);
	if (rt->kind == STORE_USER && is_active(old) != is_active(res)) {
		flip = true;
		cJSON_ArrayForEach(e, changed)
			if (strcmp(e->valuestring, "active") == 0) {
				cJSON_DetachItemViaPointer(changed, e);
				cJSON_Delete(e);
				break;
			}
	}
	if (cJSON_GetArraySize(changed) > 0)
		rc = crud_audit_record(t, c, rt, rt->kind == STORE_USER ?
		    "scim.user.updated" : "scim.group.updated", res, d,
		    err);
	if (rc == SCIM_OK && flip)
		rc = crud_audit_record(t, c, rt, is_active(res) ?
		    "scim.user.reactivated" : "scim.user.deprovisioned", res,
		    NULL, err);
	cJSON_Delete(d);
	if (rc == SCIM_OK && mc != NULL && mc->added > 0)
		rc = record_members(t, c, rt, "scim.group.members_added", res,
		    mc->added, mc->added_ids, err);
	if (rc == SCIM_OK && mc != NULL && mc->removed > 0)
		rc = record_members(t, c, rt, "scim.group.members_removed", res,
		    mc->removed, mc->removed_ids, err);
	return rc;
}

