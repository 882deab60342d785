/*
 * Group membership for the /Users and /Groups handlers: the rules for a
 * member value, the changes a POST, PUT or PATCH makes to a group's
 * member records (counted and listed for the audit events), and the
 * back-references an answer shows: a group's "members" with their $ref,
 * a user's "groups" with each group's name (kept in a small cache, see
 * members.c).
 *
 * Membership rules (documented in scim-fcgi(8)):
 *  - a member is an id string or an object with a string "value"
 *    (schema_value_id(), which PATCH's listed removal reads too); ids
 *    compare exactly (schema_value_is_id());
 *  - its "value" must be the id of a user or group of the same tenant; an
 *    unknown id is skipped (not stored) and logged, so a stale id from a
 *    client never creates a dangling reference; a group cannot be a member
 *    of itself;
 *  - "type" is filled from what the id is; "display" is kept as sent, else
 *    filled from the member's displayName (or userName);
 *  - adding an existing member is a no-op, removing a non-member is a
 *    no-op (both idempotent, as provisioning clients retry).
 *
 * OWNS: the member rules, member_* store calls made for a change, the
 * group-name cache.  MUST NOT KNOW: HTTP, audit event names, how an
 * answer is rendered (it only hands back JSON arrays to attach).
 */
#ifndef SCIM_MEMBERS_H
#define SCIM_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/patch.h"
#include "scim/schema.h"
#include "store/store.h"

/*
 * The changes made to one group's members in one transaction.  t, tenant
 * and gid are the caller's; the id lists are made by members_ctx_lists()
 * and freed by members_ctx_free().
 */
struct members_ctx {
	struct store_txn	*t;
	const char		*tenant;
	const char		*gid;
	size_t			 added;
	size_t			 removed;
	cJSON			*added_ids;	/* first EVENT_MAX_IDS, or NULL */
	cJSON			*removed_ids;
};

bool		 members_ctx_lists(struct members_ctx *mc);
void		 members_ctx_free(struct members_ctx *mc);

/* Add the members in value (one or an array; null: none). */
enum scim_err	 members_add(struct members_ctx *mc, const cJSON *value,
		    struct scim_error *err);
/* Remove every member of the group. */
enum scim_err	 members_clear(struct members_ctx *mc,
		    struct scim_error *err);
/*
 * The members of group gid that a PUT with members value (one, an array
 * or null) would remove: those it does not list, *n of them, the first
 * EVENT_MAX_IDS of their ids in *out (a new array, the caller's).  For the
 * deprovisioning brake (held.h), which asks before the PUT clears them.
 */
enum scim_err	 members_put_removes(struct store_txn *t, const char *tenant,
		    const char *gid, const cJSON *value, cJSON **out,
		    size_t *n, struct scim_error *err);
/* A patch_hook fn for "members" (arg: a members_ctx). */
enum scim_err	 members_hook(void *arg, enum patch_op op,
		    const struct filter *vf, const cJSON *value,
		    struct scim_error *err);

/*
 * The back-reference array ("groups" of a user, "members" of a group) of
 * resource id in *out (the caller's), NULL when there is nothing to show:
 * members are always shown ([] when none), groups when there are any.
 * base (NULL: none) prefixes each "$ref".
 */
enum scim_err	 members_read_backref(struct store_txn *t,
		    const struct resource_type *rt, const char *tenant,
		    const char *base, const char *id, cJSON **out,
		    struct scim_error *err);
/*
 * A back-reference as read with its resource: a group's members as an
 * array (arr), a user's groups as the text of the object {"groups":[...]}
 * (text, len bytes), what resource_answer() splices into a stored record.
 * The text is written as rendering writes the array (resource_render_attr():
 * each group's value, $ref, display, type, in the schema's order) but
 * without a cJSON tree per group, which with its rendering and printing
 * was a fifth of a GET's instructions.  All NULL: nothing to show.
 */
struct members_ref {
	cJSON	*arr;
	char	*text;
	size_t	 len;
};

/* Free what r holds and empty it. */
void		 members_ref_clear(struct members_ref *r);
/*
 * r's array, for a tree (consumed: r is empty after): arr, or the text
 * parsed.  NULL with *nomem false: nothing to show.
 */
cJSON		*members_ref_take(const struct resource_type *rt,
		    struct members_ref *r, bool *nomem);
/*
 * Resource id's stored text into *text (*len; the caller frees it) and
 * its back-reference into *out (struct members_ref), the caller's to
 * clear; a user's groups found by the same store read as its record
 * (store_get_raw_groups()).  SCIM_E_NOT_FOUND when there is no id.
 */
enum scim_err	 members_read_with_backref(struct store_txn *t,
		    const struct resource_type *rt, const char *tenant,
		    const char *base, const char *id, char **text,
		    size_t *len, struct members_ref *out,
		    struct scim_error *err);
/* Give res the array arr (consumed; NULL: none) in place of any it has. */
void		 members_attach_backref(const struct resource_type *rt,
		    cJSON *res, cJSON *arr);
/* Attach res's back-reference array, read from the store. */
enum scim_err	 members_load_backref(struct store_txn *t,
		    const struct resource_type *rt, const char *tenant,
		    const char *base, cJSON *res, struct scim_error *err);

#endif /* SCIM_MEMBERS_H */
