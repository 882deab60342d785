/*
 * Roles a sync assigned: Manual User Sync (common/sync) decides a user's
 * role from the ordered mappings (roles.h) and the user's groups in the
 * directory it reads (Entra ID), which the store does not hold: a synced
 * user is in no SCIM group.  So the sync records, per user, WHICH mapping
 * gave the role, and the directory groups that led there:
 *
 *   tenant\0assigned\0<user id> -> {"group": "<the mapping's group>",
 *                                   "sources": ["Sales", ...]}
 *
 * The access decision (access.c) reads it: the role is that of the first
 * mapping among those the user's SCIM groups match and the one named
 * here, so "first mapping wins" holds across both.  A record naming a
 * mapping since deleted gives nothing (the default role applies); a
 * changed mapping (deleted and added again with another role) changes
 * the role at once, without a sync.  The record is the mapping's group,
 * not its role, for that reason.
 *
 * A user deleted (through SCIM, by anyone) leaves its record behind: the
 * one place users are deleted (common/scim) must not know this key space.
 * Such a record is unreachable (access.c reads records of users it found)
 * and ids are never used again, so it is garbage, not a grant; every sync
 * run removes it (assign_prune()).
 *
 * OWNS the "assigned" key space and its record.  MUST NOT KNOW Graph,
 * the sync, or what a role allows.
 */
#ifndef SCIM_ASSIGN_H
#define SCIM_ASSIGN_H

#include <cjson/cJSON.h>

#include "base/error.h"
#include "store/store.h"

#define ASSIGN_SPACE	"assigned"

/*
 * Record that user uid of tenant has the role of the mapping of group,
 * reached through sources (an array of strings, borrowed; may be NULL),
 * in transaction t.
 */
enum scim_err	 assign_put(struct store_txn *t, const char *tenant,
		    const char *uid, const char *group, const cJSON *sources,
		    struct scim_error *err);

/*
 * uid's record into *out (a new object the caller deletes; NULL and
 * SCIM_OK when there is none).
 */
enum scim_err	 assign_get(struct store_txn *t, const char *tenant,
		    const char *uid, cJSON **out, struct scim_error *err);

/* Forget uid's record (nothing when there is none). */
enum scim_err	 assign_del(struct store_txn *t, const char *tenant,
		    const char *uid, struct scim_error *err);

/*
 * Forget the records of tenant's users that no longer exist, in
 * transactions of ASSIGN_PRUNE_BATCH records each; *removed (may be NULL)
 * gets how many went.
 */
#define ASSIGN_PRUNE_BATCH	256
enum scim_err	 assign_prune(struct store *s, const char *tenant,
		    size_t *removed, struct scim_error *err);

#endif /* SCIM_ASSIGN_H */
