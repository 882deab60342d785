/*
 * The "assigned" key space: the mapping a sync gave each user (assign.h).
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "roles/assign.h"

enum scim_err
assign_put(struct store_txn *t, const char *tenant, const char *uid,
    const char *group, const cJSON *sources, struct scim_error *err)
{
	cJSON		*rec, *src;
	enum scim_err	 rc;

	src = sources != NULL ? cJSON_Duplicate(sources, true) :
	    cJSON_CreateArray();
	if ((rec = cJSON_CreateObject()) == NULL || src == NULL ||
	    !cJSON_AddItemToObject(rec, "sources", src)) {
		cJSON_Delete(rec);
		cJSON_Delete(src);
		return scim_oom(err);
	}
	if (cJSON_AddStringToObject(rec, "group", group) == NULL) {
		cJSON_Delete(rec);
		return scim_oom(err);
	}
	rc = store_kv_put(t, tenant, ASSIGN_SPACE, uid, rec, err);
	cJSON_Delete(rec);
	return rc;
}

enum scim_err
assign_get(struct store_txn *t, const char *tenant, const char *uid,
    cJSON **out, struct scim_error *err)
{
	enum scim_err	 rc;

	*out = NULL;
	rc = store_kv_get(t, tenant, ASSIGN_SPACE, uid, out, err);
	if (rc == SCIM_E_NOT_FOUND) {
		*out = NULL;
		return SCIM_OK;
	}
	return rc;
}

enum scim_err
assign_del(struct store_txn *t, const char *tenant, const char *uid,
    struct scim_error *err)
{
	enum scim_err	 rc;

	rc = store_kv_del(t, tenant, ASSIGN_SPACE, uid, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}
