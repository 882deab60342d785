/*
 * The token operations of token-ops.h: a store callback per operation
 * (each may run several times, so it resets its outputs and consumes
 * nothing, as store.h's store_fn asks) and the function that makes the
 * token, if any, and runs the callback.  Before this file the page and
 * the command line each wrapped token.h in callbacks of their own.
 */
#include <stdbool.h>
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "auth/token-ops.h"
#include "base/json.h"
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
	struct token_op		*op;		/* ops_change */
	cJSON			*before;	/* out: ops_change */
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

/* Reset oa's outputs: a store callback may run several times. */
static void
ops_reset(struct ops_arg *oa)
{
	cJSON_Delete(oa->out);
	cJSON_Delete(oa->before);
	oa->out = oa->before = NULL;
}

/* Read token id of tenant in t as token_public() at now into *out. */
static enum scim_err
ops_public(struct store_txn *t, const char *tenant, const char *id,
    int64_t now, cJSON **out, struct scim_error *err)
{
	cJSON		*rec = NULL;
	enum scim_err	 rc;

	if ((rc = token_get(t, tenant, id, &rec, err)) != SCIM_OK)
		return rc;
	*out = token_public(rec, now);
	cJSON_Delete(rec);
	return *out != NULL ? SCIM_OK : scim_oom(err);
}

static enum scim_err
ops_change(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct ops_arg	*oa = arg;
	enum scim_err	 rc;

	ops_reset(oa);
	if ((rc = ops_public(t, oa->op->tenant, oa->op->id, oa->now,
	    &oa->before, err)) != SCIM_OK ||
	    (rc = token_apply(t, oa->op, err)) != SCIM_OK ||
	    oa->op->act == TOKEN_DELETE)
		return rc;
	/* token_apply() read the clock itself: the state follows it. */
	return ops_public(t, oa->op->tenant, oa->op->id, util_now_usec(),
	    &oa->out, err);
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

	ops_reset(oa);
	if (!oa->public)
		return token_get(t, oa->tenant, oa->id, &oa->out, err);
	return ops_public(t, oa->tenant, oa->id, oa->now, &oa->out, err);
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

enum scim_err
token_ops_change(struct store *s, const struct token_op *op, int64_t now,
    cJSON **before, cJSON **after, struct scim_error *err)
{
	struct token_op	 o = *op;	/* store_run() takes a mutable arg */
	struct ops_arg	 oa;
	enum scim_err	 rc;

	memset(&oa, 0, sizeof(oa));
	oa.op = &o;
	oa.now = now;
	if ((rc = store_run(s, ops_change, &oa, err)) != SCIM_OK)
		ops_reset(&oa);
	if (before != NULL)
		*before = oa.before;
	else
		cJSON_Delete(oa.before);
	if (after != NULL)
		*after = oa.out;
	else
		cJSON_Delete(oa.out);
	return rc;
}

bool
token_ops_label_blank(const char *label)
{
	const uint8_t	*p, *end;
	ucs4_t		 cp;

	if (label == NULL)
		return true;
	/* u8_mbtouc() moves on by at least one byte, valid UTF-8 or not. */
	p = (const uint8_t *)label;
	for (end = p + strlen(label); p < end; ) {
		p += u8_mbtouc(&cp, p, (size_t)(end - p));
		if (!uc_is_property_white_space(cp))
			return false;
	}
	return true;
}

enum scim_err
token_ops_label_check(const char *label, struct scim_error *err)
{
	if (token_ops_label_blank(label))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "a token needs a "
		    "label that says what uses it, e.g. \"Entra ID production\": "
		    "it is how the token is told apart from the others");
	if (!token_label_valid(label))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "a label is at most "
		    "%d bytes of UTF-8 text without control characters",
		    TOKEN_LABEL_MAX);
	return SCIM_OK;
}

unsigned
token_ops_lifetime_days(const cJSON *rec)
{
	const unsigned	*d, *best = token_days_offered;
	int64_t		 start, life, diff, bestdiff = INT64_MAX;

	if ((start = json_int(rec, "renewed")) == 0)
		start = json_int(rec, "created");
	life = json_int(rec, "expires") - start;
	for (d = token_days_offered; *d != 0; d++) {
		diff = life - (int64_t)*d * TOKEN_DAY_USEC;
		if (diff < 0)
			diff = -diff;
		if (diff < bestdiff) {
			best = d;
			bestdiff = diff;
		}
	}
	return *best;
}
