/*
 * The "assigned" key space: the mapping a sync gave each user (assign.h).
 */
#include <stdlib.h>
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

/* One batch of assign_prune(): where it starts, what it read and did. */
struct prune_ctx {
	const char	*tenant;
	char		 from[STORE_ID_MAX + 1];	/* "" = the first */
	char		 ids[ASSIGN_PRUNE_BATCH][STORE_ID_MAX + 1];
	size_t		 n;
	char		 next[STORE_ID_MAX + 1];	/* "" = no more */
	size_t		 removed;			/* in this batch */
};

static bool
prune_each(void *arg, const char *uid, cJSON *obj, bool *keep)
{
	struct prune_ctx	*pc = arg;

	(void)obj;
	(void)keep;
	if (strlen(uid) > STORE_ID_MAX)
		return true;	/* not a key assign_put() wrote */
	if (pc->n == ASSIGN_PRUNE_BATCH) {
		strcpy(pc->next, uid);
		return false;
	}
	strcpy(pc->ids[pc->n++], uid);
	return true;
}

/*
 * Read the batch from pc->from on and delete the records of missing users
 * (a rerun after a lock conflict starts it again: every output is reset).
 */
static enum scim_err
prune_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct prune_ctx	*pc = arg;
	char			*raw;
	size_t			 i, len;
	enum scim_err		 rc;

	pc->n = pc->removed = 0;
	pc->next[0] = '\0';
	rc = store_kv_scan(t, pc->tenant, ASSIGN_SPACE, pc->from[0] != '\0' ?
	    pc->from : NULL, false, prune_each, pc, err);
	for (i = 0; rc == SCIM_OK && i < pc->n; i++) {
		rc = store_get_raw(t, STORE_USER, pc->tenant, pc->ids[i], &raw,
		    &len, err);
		if (rc == SCIM_OK) {
			free(raw);
			continue;
		}
		if (rc == SCIM_E_NOT_FOUND &&
		    (rc = assign_del(t, pc->tenant, pc->ids[i], err)) ==
		    SCIM_OK)
			pc->removed++;
	}
	return rc;
}

enum scim_err
assign_prune(struct store *s, const char *tenant, size_t *removed,
    struct scim_error *err)
{
	struct prune_ctx	*pc;
	size_t			 total = 0;
	enum scim_err		 rc;

	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return scim_oom(err);
	pc->tenant = tenant;
	do {
		if ((rc = store_run(s, prune_fn, pc, err)) != SCIM_OK)
			break;
		total += pc->removed;
		strcpy(pc->from, pc->next);
	} while (pc->from[0] != '\0');
	if (removed != NULL)
		*removed = total;
	free(pc);
	return rc;
}
