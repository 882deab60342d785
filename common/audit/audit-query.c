/*
 * Reading the audit log the way a tenant's reader wants it: its own
 * events, and the tenant-less refusals that named one of its tokens,
 * merged newest first.  audit_query() (audit.c) reads one tenant's
 * shards; this file only combines its answers, so it knows nothing of
 * keys, shards or the store's layout, and nothing of how events are
 * shown (the admin page, page-audit.c, does that).
 */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "base/json.h"

#define ORPHAN_BATCH	100		/* tenant-less events read at once */
#define ORPHAN_ROUNDS	20		/* most batches read per query */

bool
audit_id_valid(const char *s)
{
	return strlen(s) == AUDIT_ID_LEN && strspn(s, "0123456789abcdef") ==
	    AUDIT_ID_LEN;
}

static const char *
event_id_of(const cJSON *e)
{
	return json_str(e, "id");
}

/* Is id one of the tenant's tokens (tokens: token_list())? */
static bool
names_token(const cJSON *tokens, const char *id)
{
	const cJSON	*tk;

	if (*id == '\0')
		return false;
	cJSON_ArrayForEach(tk, tokens)
		if (strcmp(json_str(tk, "id"), id) == 0)
			return true;
	return false;
}

/*
 * Move the events of batch that name one of tokens onto out, while
 * *got < want; the rest are deleted with batch by the caller.
 */
static void
orphans_take(cJSON *batch, const cJSON *tokens, unsigned want, cJSON *out,
    unsigned *got)
{
	cJSON	*e;

	while (*got < want && (e = cJSON_DetachItemFromArray(batch, 0)) !=
	    NULL) {
		if (names_token(tokens, json_str(
		    cJSON_GetObjectItemCaseSensitive(e, "target"), "id"))) {
			cJSON_AddItemToArray(out, e);
			(*got)++;
		} else
			cJSON_Delete(e);
	}
}

enum scim_err
audit_query_orphans(struct store *s, const struct audit_query *base,
    const cJSON *tokens, unsigned want, cJSON **out, struct scim_error *err)
{
	struct audit_query	 q = *base;
	char			 last[AUDIT_ID_LEN + 1];
	cJSON			*batch = NULL;
	unsigned		 got = 0, round, n;
	enum scim_err		 rc = SCIM_OK;

	if ((*out = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	q.tenant = "";
	q.category = "auth";
	q.limit = ORPHAN_BATCH;
	for (round = 0; round < ORPHAN_ROUNDS && got < want; round++) {
		if ((rc = audit_query(s, &q, &batch, err)) != SCIM_OK)
			break;
		n = (unsigned)cJSON_GetArraySize(batch);
		if (n == 0)
			break;
		snprintf(last, sizeof(last), "%s",
		    event_id_of(cJSON_GetArrayItem(batch, (int)n - 1)));
		orphans_take(batch, tokens, want, *out, &got);
		cJSON_Delete(batch);
		batch = NULL;
		if (n < ORPHAN_BATCH || strlen(last) != AUDIT_ID_LEN)
			break;
		q.before = last;
	}
	/* The empty batch that ended the walk. */
	cJSON_Delete(batch);
	if (rc != SCIM_OK) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

/* Event ids begin with their time in hex, so they compare as times. */
cJSON *
audit_merge_events(cJSON *a, cJSON *b, unsigned max)
{
	cJSON		*out, *ha, *hb;
	unsigned	 n = 0;

	if ((out = cJSON_CreateArray()) == NULL)
		return NULL;
	while (n < max) {
		ha = cJSON_GetArrayItem(a, 0);
		hb = cJSON_GetArrayItem(b, 0);
		if (ha == NULL && hb == NULL)
			break;
		if (hb == NULL || (ha != NULL &&
		    strcmp(event_id_of(ha), event_id_of(hb)) >= 0))
			cJSON_AddItemToArray(out,
			    cJSON_DetachItemFromArray(a, 0));
		else
			cJSON_AddItemToArray(out,
			    cJSON_DetachItemFromArray(b, 0));
		n++;
	}
	return out;
}

enum scim_err
audit_query_tenant(struct store *s, const struct audit_query *q,
    const cJSON *tokens, cJSON **out, struct scim_error *err)
{
	cJSON		*own = NULL, *orph = NULL;
	unsigned	 want = q->limit ? q->limit : 100;
	enum scim_err	 rc;

	*out = NULL;
	if ((rc = audit_query(s, q, &own, err)) != SCIM_OK)
		return rc;
	if (tokens == NULL || (q->category != NULL &&
	    strcmp(q->category, "auth") != 0)) {
		*out = own;
		return SCIM_OK;
	}
	if ((rc = audit_query_orphans(s, q, tokens, want, &orph, err)) !=
	    SCIM_OK) {
		cJSON_Delete(own);
		return rc;
	}
	*out = audit_merge_events(own, orph, want);
	cJSON_Delete(own);
	cJSON_Delete(orph);
	if (*out == NULL)
		return scim_oom(err);
	return SCIM_OK;
}
