/*
 * The rebuild of a tenant's claims (unique.h, unique_rebuild(); scimctl
 * unique): records read a batch per transaction and their values claimed
 * where no claim names them, values two records hold reported, then the
 * claims read a batch per transaction and the stale ones dropped.  Each
 * batch is a transaction of its own, so writers go on meanwhile: a claim
 * is written or dropped only after the holder's record was read in the
 * same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "scim/unique.h"
#include "scim/unique-int.h"

/* One transaction of the rebuild; its outputs are reset on every run. */
struct uniq_rebuild {
	const struct resource_type	*rt;		/* phase 1: records */
	const char			*tenant;
	char				 after[STORE_ID_MAX + 1];
	char				 last[STORE_ID_MAX + 1];
	char				*from;		/* phase 2: claims */
	cJSON				*got;		/* out: records or
							   claims read */
	size_t				 n;
	cJSON				*dups;		/* out: [type, path,
							   value, holder, other] */
	size_t				 claimed;	/* out */
	size_t				 dropped;	/* out */
	/* the record being claimed for (phase 1) */
	struct store_txn		*t;
	const char			*id;
	const cJSON			*rec;
};

/* Keep up to UNIQUE_BATCH records, and the last one's id. */
static bool
uniq_keep_record(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct uniq_rebuild	*b = arg;

	cJSON_AddItemToArray(b->got, obj);
	*keep = true;
	snprintf(b->last, sizeof(b->last), "%s", id);
	return ++b->n < UNIQUE_BATCH;
}

static enum scim_err
uniq_dup_note(struct uniq_rebuild *b, const char *path, const char *v,
    const char *holder)
{
	cJSON	*d = cJSON_CreateArray();

	if (d == NULL)
		return SCIM_E_INTERNAL;
	cJSON_AddItemToArray(d, cJSON_CreateString(b->rt->name));
	cJSON_AddItemToArray(d, cJSON_CreateString(path));
	cJSON_AddItemToArray(d, cJSON_CreateString(v));
	cJSON_AddItemToArray(d, cJSON_CreateString(holder));
	cJSON_AddItemToArray(d, cJSON_CreateString(b->id));
	cJSON_AddItemToArray(b->dups, d);
	return cJSON_GetArraySize(d) == 5 ? SCIM_OK : SCIM_E_INTERNAL;
}

/* Claim the values of b->rec for u that no claim names. */
static enum scim_err
uniq_rebuild_attr(void *arg, const struct uniq_attr *u,
    struct scim_error *err)
{
	struct uniq_rebuild	*b = arg;
	struct unique_list	 vs;
	char			 path[UNIQ_PATH_MAX], *key = NULL;
	cJSON			*claim = NULL;
	const char		*holder;
	bool			 holds;
	size_t			 i;
	enum scim_err		 rc = SCIM_OK;

	if (!uniq_vals_of(u, b->rec, &vs))
		return scim_oom(err);
	uniq_path(u, path, sizeof(path));
	for (i = 0; rc == SCIM_OK && i < vs.n; i++) {
		if ((key = uniq_key(b->rt, path, vs.v[i])) == NULL) {
			rc = scim_oom(err);
			break;
		}
		holds = false;
		rc = uniq_claim_get(b->t, b->tenant, key, &claim, &holder,
		    err);
		if (rc == SCIM_OK && holder != NULL &&
		    strcmp(holder, b->id) != 0)
			rc = uniq_holds(b->t, b->rt, b->tenant, holder, u,
			    vs.v[i], &holds, err);
		if (rc == SCIM_OK && holds &&
		    uniq_dup_note(b, path, vs.v[i], holder) != SCIM_OK)
			rc = scim_oom(err);
		else if (rc == SCIM_OK && !holds && (holder == NULL ||
		    strcmp(holder, b->id) != 0)) {
			rc = uniq_claim_put(b->t, b->tenant, key, b->id, err);
			b->claimed++;
		}
		cJSON_Delete(claim);
		claim = NULL;
		free(key);
	}
	uniq_vals_free(&vs);
	return rc;
}

/* Reset what one run of a rebuild transaction fills. */
static bool
uniq_rebuild_reset(struct uniq_rebuild *b)
{
	cJSON_Delete(b->got);
	cJSON_Delete(b->dups);
	b->got = cJSON_CreateArray();
	b->dups = cJSON_CreateArray();
	b->n = b->claimed = b->dropped = 0;
	b->last[0] = '\0';
	return b->got != NULL && b->dups != NULL;
}

/* Phase 1: claim the values of the next UNIQUE_BATCH records. */
static enum scim_err
uniq_rebuild_records(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct uniq_rebuild	*b = arg;
	const cJSON		*rec;
	enum scim_err		 rc;

	if (!uniq_rebuild_reset(b))
		return scim_oom(err);
	b->t = t;
	if ((rc = store_scan_after(t, b->rt->kind, b->tenant, b->after,
	    false, uniq_keep_record, b, err)) != SCIM_OK)
		return rc;
	cJSON_ArrayForEach(rec, b->got) {
		b->rec = rec;
		if ((b->id = json_str_or_null(rec, "id")) == NULL)
			continue;
		if ((rc = uniq_each(b->rt, uniq_rebuild_attr, b, err)) !=
		    SCIM_OK)
			return rc;
	}
	return SCIM_OK;
}

/* Keep up to UNIQUE_BATCH claims as [key, holder], past b->from. */
static bool
uniq_keep_claim(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct uniq_rebuild	*b = arg;
	const char		*holder = json_str_or_null(obj, "id");
	cJSON			*c;

	(void)keep;
	if (b->from != NULL && strcmp(key, b->from) == 0)
		return true;		/* the last batch's last */
	if ((c = cJSON_CreateArray()) == NULL)
		return false;
	cJSON_AddItemToArray(c, cJSON_CreateString(key));
	cJSON_AddItemToArray(c, cJSON_CreateString(holder ? holder : ""));
	cJSON_AddItemToArray(b->got, c);
	return ++b->n < UNIQUE_BATCH;
}

/* What uniq_find() looks for and finds. */
struct uniq_find {
	const char		*path;
	struct uniq_attr	 u;
	bool			 found;
};

static enum scim_err
uniq_find_attr(void *arg, const struct uniq_attr *u, struct scim_error *err)
{
	struct uniq_find	*f = arg;
	char			 path[UNIQ_PATH_MAX];

	(void)err;
	uniq_path(u, path, sizeof(path));
	if (strcmp(path, f->path) != 0)
		return SCIM_OK;
	f->u = *u;
	f->found = true;
	return SCIM_E_CONFLICT;		/* stop the walk */
}

/* Is claim key (held by holder) stale?  Unparsable keys are. */
static enum scim_err
uniq_claim_stale(struct store_txn *t, const char *tenant, const char *key,
    const char *holder, bool *stale, struct scim_error *err)
{
	const struct resource_type	*rt;
	struct uniq_find		 f;
	char				 type[16], path[UNIQ_PATH_MAX];
	const char			*p, *q;
	bool				 holds;
	enum scim_err			 rc;

	*stale = true;
	if ((p = strchr(key, ' ')) == NULL || (size_t)(p - key) >=
	    sizeof(type) || (q = strchr(p + 1, ' ')) == NULL ||
	    (size_t)(q - p - 1) >= sizeof(path))
		return SCIM_OK;
	memcpy(type, key, (size_t)(p - key));
	type[p - key] = '\0';
	memcpy(path, p + 1, (size_t)(q - p - 1));
	path[q - p - 1] = '\0';
	if ((rt = resource_type_find(type)) == NULL)
		return SCIM_OK;
	memset(&f, 0, sizeof(f));
	f.path = path;
	(void)uniq_each(rt, uniq_find_attr, &f, err);
	if (!f.found || *holder == '\0')
		return SCIM_OK;
	if ((rc = uniq_holds(t, rt, tenant, holder, &f.u, q + 1, &holds,
	    err)) != SCIM_OK)
		return rc;
	*stale = !holds;
	return SCIM_OK;
}

/* Phase 2: drop the stale claims among the next UNIQUE_BATCH. */
static enum scim_err
uniq_rebuild_claims(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct uniq_rebuild	*b = arg;
	const cJSON		*c;
	const char		*key;
	bool			 stale;
	enum scim_err		 rc;

	if (!uniq_rebuild_reset(b))
		return scim_oom(err);
	if ((rc = store_kv_scan(t, b->tenant, UNIQUE_SPACE, b->from, false,
	    uniq_keep_claim, b, err)) != SCIM_OK)
		return rc;
	cJSON_ArrayForEach(c, b->got) {
		key = cJSON_GetArrayItem(c, 0)->valuestring;
		if ((rc = uniq_claim_stale(t, b->tenant, key,
		    cJSON_GetArrayItem(c, 1)->valuestring, &stale, err)) !=
		    SCIM_OK)
			return rc;
		if (stale && (rc = store_kv_del(t, b->tenant, UNIQUE_SPACE,
		    key, err)) != SCIM_OK)
			return rc;
		b->dropped += stale;
	}
	return SCIM_OK;
}

/* Report the duplicates of a committed batch to dup. */
static void
uniq_report_dups(const cJSON *dups, unique_dup_fn dup, void *arg)
{
	const cJSON	*d;

	if (dup == NULL)
		return;
	cJSON_ArrayForEach(d, dups)
		dup(arg, cJSON_GetArrayItem(d, 0)->valuestring,
		    cJSON_GetArrayItem(d, 1)->valuestring,
		    cJSON_GetArrayItem(d, 2)->valuestring,
		    cJSON_GetArrayItem(d, 3)->valuestring,
		    cJSON_GetArrayItem(d, 4)->valuestring);
}

/* Phase 1 for one resource type: every record, a batch at a time. */
static enum scim_err
uniq_rebuild_type(struct store *s, struct uniq_rebuild *b,
    unique_dup_fn dup, void *arg, struct unique_report *out,
    struct scim_error *err)
{
	enum scim_err	 rc;

	b->after[0] = '\0';
	for (;;) {
		if ((rc = store_run(s, uniq_rebuild_records, b, err)) !=
		    SCIM_OK)
			return rc;
		out->records += b->n;
		out->claimed += b->claimed;
		out->dups += (size_t)cJSON_GetArraySize(b->dups);
		uniq_report_dups(b->dups, dup, arg);
		if (b->n < UNIQUE_BATCH)
			return SCIM_OK;
		memcpy(b->after, b->last, sizeof(b->after));
	}
}

enum scim_err
unique_rebuild(struct store *s, const char *tenant, unique_dup_fn dup,
    void *arg, struct unique_report *out, struct scim_error *err)
{
	struct uniq_rebuild	 b;
	const struct resource_type *const *rtp;
	const cJSON		*lastc;
	enum scim_err		 rc = SCIM_OK;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	b.tenant = tenant;
	for (rtp = resource_type_all; rc == SCIM_OK && *rtp != NULL; rtp++) {
		b.rt = *rtp;
		if (unique_declared(b.rt))
			rc = uniq_rebuild_type(s, &b, dup, arg, out, err);
	}
	while (rc == SCIM_OK) {
		if ((rc = store_run(s, uniq_rebuild_claims, &b, err)) !=
		    SCIM_OK)
			break;
		out->dropped += b.dropped;
		if (b.n < UNIQUE_BATCH)
			break;
		lastc = cJSON_GetArrayItem(b.got, (int)b.n - 1);
		free(b.from);
		if ((b.from = strdup(cJSON_GetArrayItem(lastc,
		    0)->valuestring)) == NULL)
			rc = scim_oom(err);
	}
	free(b.from);
	cJSON_Delete(b.got);
	cJSON_Delete(b.dups);
	return rc;
}
