/*
 * The token operations of token-ops.h: a store callback per operation
 * (each may run several times, so it resets its outputs and consumes
 * nothing, as store.h's store_fn asks) and the function that makes the
 * token, if any, and runs the callback.  Before this file the page and
 * the command line each wrapped token.h in callbacks of their own.
 */
#include <stdbool.h>
#include <string.h>

#include "auth/token-ops.h"
#include "base/util.h"

/* What a callback works with; each uses only its part. */
struct ops_arg {
	const struct scim_config *cfg;
	const char		*tenant;	/* NULL: any */
	const char		*id;
	const char		*actor;
	int64_t			 now;
	bool			 public;	/* ops_get: token_public() */
	cJSON			*rec;		/* in: the new record */
	cJSON			*out;		/* out: list or get */
	unsigned		*live;		/* out: ops_list, may be NULL */
};

static enum scim_err
ops_insert(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ops_arg	*oa = arg;

	return token_insert(t, oa->rec, oa->cfg->max_live_tokens, oa->cfg,
	    err);
}

static enum scim_err
ops_regen(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ops_arg	*oa = arg;

	return token_regenerate(t, oa->tenant, oa->id, oa->rec,
	    oa->cfg->max_live_tokens, oa->actor, oa->cfg, err);
}

static enum scim_err
ops_apply(struct store_txn *t, void *arg, struct scim_error *err)
{
	return token_apply(t, arg, err);
}

static enum scim_err
ops_list(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ops_arg	*oa = arg;
	enum scim_err	 rc;

	cJSON_Delete(oa->out);
	oa->out = NULL;
	if ((rc = token_list(t, oa->tenant, oa->now, &oa->out, err)) !=
	    SCIM_OK || oa->live == NULL)
		return rc;
	return token_count_live(t, oa->tenant, oa->now, oa->live, err);
}

static enum scim_err
ops_get(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ops_arg	*oa = arg;
	cJSON		*rec = NULL;
	enum scim_err	 rc;

	cJSON_Delete(oa->out);
	oa->out = NULL;
	if (!oa->public)
		return token_get(t, oa->tenant, oa->id, &oa->out, err);
	if ((rc = token_get(t, oa->tenant, oa->id, &rec, err)) != SCIM_OK)
		return rc;
	oa->out = token_public(rec, oa->now);
	cJSON_Delete(rec);
	return oa->out ? SCIM_OK : scim_oom(err);
}

/*
 * Make a token (outside any transaction: scrypt is slow), then store it
 * with fn.  tok and *rec as token_ops_create() says.
 */
static enum scim_err
ops_issue(struct store *s, store_fn fn, struct ops_arg *oa,
    const char *new_tenant, const char *label, int64_t ttl_sec, char *tok,
    cJSON **rec, struct scim_error *err)
{
	enum scim_err	 rc;

	tok[0] = '\0';
	*rec = NULL;
	rc = token_new_ttl(oa->cfg, new_tenant, label, ttl_sec, oa->actor, tok,
	    &oa->rec, err);
	if (rc == SCIM_OK)
		rc = store_run(s, fn, oa, err);
	if (rc != SCIM_OK) {
		explicit_bzero(tok, TOKEN_LEN + 1);
		cJSON_Delete(oa->rec);
		return rc;
	}
	*rec = oa->rec;
	return SCIM_OK;
}

enum scim_err
token_ops_create(struct store *s, const struct scim_config *cfg,
    const char *tenant, const char *label, int64_t ttl_sec, const char *actor,
    char *tok, cJSON **rec, struct scim_error *err)
{
	struct ops_arg	 oa;

	memset(&oa, 0, sizeof(oa));
	oa.cfg = cfg;
	oa.tenant = tenant;
	oa.actor = actor;
	return ops_issue(s, ops_insert, &oa, tenant, label, ttl_sec, tok, rec,
	    err);
}

enum scim_err
token_ops_regenerate(struct store *s, const struct scim_config *cfg,
    const char *tenant, const char *old_id, int64_t ttl_sec,
    const char *actor, char *tok, cJSON **rec, struct scim_error *err)
{
	struct ops_arg	 oa;

	memset(&oa, 0, sizeof(oa));
	oa.cfg = cfg;
	oa.tenant = tenant;
	oa.id = old_id;
	oa.actor = actor;
	/*
	 * Any valid tenant will do for the new record: token_regenerate()
	 * gives it the old token's tenant and label.
	 */
	return ops_issue(s, ops_regen, &oa, tenant != NULL ? tenant :
	    "default", "", ttl_sec, tok, rec, err);
}

enum scim_err
token_ops_apply(struct store *s, const struct token_op *op,
    struct scim_error *err)
{
	struct token_op	 o = *op;	/* store_run() takes a mutable arg */

	return store_run(s, ops_apply, &o, err);
}

/* Run the read fn; its out (NULL on failure) goes to *out. */
static enum scim_err
ops_read(struct store *s, store_fn fn, struct ops_arg *oa, cJSON **out,
    struct scim_error *err)
{
	enum scim_err	 rc;

	rc = store_read(s, fn, oa, err);
	if (rc != SCIM_OK) {
		cJSON_Delete(oa->out);
		oa->out = NULL;
	}
	*out = oa->out;
	return rc;
}

enum scim_err
token_ops_list(struct store *s, const char *tenant, int64_t now,
    cJSON **out, unsigned *live, struct scim_error *err)
{
	struct ops_arg	 oa;

	memset(&oa, 0, sizeof(oa));
	oa.tenant = tenant;
	oa.now = now;
	oa.live = live;
	return ops_read(s, ops_list, &oa, out, err);
}

enum scim_err
token_ops_get(struct store *s, const char *tenant, const char *id,
    bool public, int64_t now, cJSON **out, struct scim_error *err)
{
	struct ops_arg	 oa;

	memset(&oa, 0, sizeof(oa));
	oa.tenant = tenant;
	oa.id = id;
	oa.public = public;
	oa.now = now;
	return ops_read(s, ops_get, &oa, out, err);
}
