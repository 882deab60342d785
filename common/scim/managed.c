/*
 * The "managed" key space: who manages each user (managed.h).
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "scim/managed.h"

enum scim_err
managed_put(struct store_txn *t, const char *tenant, const char *uid,
    const char *by, const char *token, struct scim_error *err)
{
	cJSON		*rec;
	enum scim_err	 rc;

	if ((rec = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(rec, "by", by) == NULL ||
	    (token != NULL && cJSON_AddStringToObject(rec, "token",
	    token) == NULL)) {
		cJSON_Delete(rec);
		return scim_oom(err);
	}
	rc = store_kv_put(t, tenant, MANAGED_SPACE, uid, rec, err);
	cJSON_Delete(rec);
	return rc;
}

enum scim_err
managed_del(struct store_txn *t, const char *tenant, const char *uid,
    struct scim_error *err)
{
	enum scim_err	 rc;

	rc = store_kv_del(t, tenant, MANAGED_SPACE, uid, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

enum scim_err
managed_get(struct store_txn *t, const char *tenant, const char *uid,
    char *buf, struct scim_error *err)
{
	cJSON		*rec = NULL;
	const cJSON	*by, *tok;
	enum scim_err	 rc;

	buf[0] = '\0';
	rc = store_kv_get(t, tenant, MANAGED_SPACE, uid, &rec, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (rc != SCIM_OK)
		return rc;
	by = cJSON_GetObjectItemCaseSensitive(rec, "by");
	tok = cJSON_GetObjectItemCaseSensitive(rec, "token");
	if (cJSON_IsString(by) && cJSON_IsString(tok))
		snprintf(buf, MANAGED_BY_MAX, "%s:%s", by->valuestring,
		    tok->valuestring);
	else if (cJSON_IsString(by))
		snprintf(buf, MANAGED_BY_MAX, "%s", by->valuestring);
	cJSON_Delete(rec);
	return SCIM_OK;
}
