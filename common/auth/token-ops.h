/*
 * Token operations: each one store transaction around the lifecycle
 * functions of token.h, the one layer that both the admin page
 * (common/page/page-tokens.c) and the command line (cgi-bin/scim-tokens.c)
 * call to create, regenerate, renew, disable, enable, revoke, delete,
 * list and read tokens.
 *
 * OWNS: making a token before its transaction (scrypt is slow) and the
 * transaction that stores it or changes one; what a failure is, as an
 * enum scim_err with err's detail (SCIM_E_NOT_FOUND, SCIM_E_CONFLICT,
 * SCIM_E_INVALID_VALUE...).
 * MUST NOT KNOW: words for people, HTML, exit statuses, output formats,
 * sessions or roles; the caller words the outcome.
 */
#ifndef SCIM_TOKEN_OPS_H
#define SCIM_TOKEN_OPS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "auth/token.h"
#include "base/config.h"
#include "base/error.h"
#include "store/store.h"

/*
 * Make a token for tenant (label may be NULL: none) lasting ttl_sec and
 * store it, refused with SCIM_E_CONFLICT when the tenant already has
 * cfg's max_live_tokens live ones.  On success the token string is in tok
 * (TOKEN_LEN + 1 bytes, shown once: the caller zeroes it) and its record
 * in *rec (caller deletes); on failure *rec is NULL and tok "".
 */
enum scim_err	 token_ops_create(struct store *s,
		    const struct scim_config *cfg, const char *tenant,
		    const char *label, int64_t ttl_sec, const char *actor,
		    char *tok, cJSON **rec, struct scim_error *err);

/*
 * Replace old_id (of tenant; NULL: of any tenant) with a new token lasting
 * ttl_sec, revoking old_id in the same transaction (token_regenerate());
 * the new one takes over the old one's tenant and label.  tok and *rec
 * as for token_ops_create().
 */
enum scim_err	 token_ops_regenerate(struct store *s,
		    const struct scim_config *cfg, const char *tenant,
		    const char *old_id, int64_t ttl_sec, const char *actor,
		    char *tok, cJSON **rec, struct scim_error *err);

/* Apply op (renew, disable, enable, revoke, delete) in one transaction. */
enum scim_err	 token_ops_apply(struct store *s, const struct token_op *op,
		    struct scim_error *err);

/*
 * The tokens of tenant (NULL: all) at now as token_list() does, into *out
 * (caller deletes); when live is not NULL, also how many of them are live
 * (token_count_live()), read in the same transaction.
 */
enum scim_err	 token_ops_list(struct store *s, const char *tenant,
		    int64_t now, cJSON **out, unsigned *live,
		    struct scim_error *err);

/*
 * Token id of tenant (NULL: any) into *out (caller deletes): its stored
 * record, hash included (token_get()), or with public set its
 * token_public() copy at now.
 */
enum scim_err	 token_ops_get(struct store *s, const char *tenant,
		    const char *id, bool public, int64_t now, cJSON **out,
		    struct scim_error *err);

/*
 * Apply op like token_ops_apply(), and read the token in the same
 * transaction: *before (may be NULL: not wanted) its token_public() copy
 * as it was, *after (may be NULL) as it is now, NULL once deleted; the
 * caller deletes both.  On failure both are NULL.  The page names the
 * token by its label and tells a renewal's new expiry from these.
 */
enum scim_err	 token_ops_change(struct store *s, const struct token_op *op,
		    int64_t now, cJSON **before, cJSON **after,
		    struct scim_error *err);

/* Is label empty or only white space (Unicode's)?  NULL is. */
bool		 token_ops_label_blank(const char *label);

/*
 * May label name a new token: token_label_valid(), and not empty or only
 * white space (a blank label leaves a row nobody can tell apart)?  The
 * one rule for the page and the command line; SCIM_E_INVALID_VALUE with
 * a detail that says what to give otherwise.
 */
enum scim_err	 token_ops_label_check(const char *label,
		    struct scim_error *err);

/*
 * The offered lifetime (token_days_offered) nearest to rec's own: from
 * its last renewal, or its creation, to its expiry; the shorter of two
 * equally near.  A renewal offers it first, so that renewing a 365-day
 * token does not quietly make it a 90-day one.
 */
unsigned	 token_ops_lifetime_days(const cJSON *rec);

#endif /* SCIM_TOKEN_OPS_H */
