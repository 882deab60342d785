/*
 * Users written outside a request (crud-direct.h), through crud.c's own
 * meta and store write.
 */
#include <cjson/cJSON.h>

#include "base/json.h"
#include "scim/crud-direct.h"
#include "scim/crud-int.h"
#include "scim/resource.h"

enum scim_err
crud_direct_prepare(const cJSON *in, cJSON **out, struct scim_error *err)
{
	cJSON		*norm = NULL;
	enum scim_err	 rc;

	*out = NULL;
	if ((rc = resource_normalize(&rt_user, in, &norm, err)) != SCIM_OK)
		return rc;
	if ((*out = resource_stored(&rt_user, norm)) == NULL)
		return scim_oom(err);
	return SCIM_OK;
}

bool
crud_direct_differs(cJSON *res, const cJSON *old)
{
	if (!resource_set_id(res, json_str(old, "id")))
		return true;
	return !crud_same_content(res, old);
}

enum scim_err
crud_direct_put(struct store_txn *t, const char *tenant, const char *id,
    cJSON *res, const cJSON *old, struct scim_error *err)
{
	if (!crud_meta_set(res, id, &rt_user, old))
		return scim_oom(err);
	return crud_record_put(t, &rt_user, tenant, res, old, err);
}
