/*
 * Who manages each user: how the account arrived.  `scim` (created by a
 * POST through SCIM, with the id of the token that made it), `sync`
 * (created by Manual User Sync) or `admin` (created by an operator).  The
 * record lives beside the user in the tenant's "managed" key space,
 * keyed by the user's id, written in the transaction that creates the
 * user and deleted in the one that deletes it:
 *
 *   tenant\0managed\0<user id> -> {"by": "scim", "token": "<token id>"}
 *
 * It is not part of the SCIM resource, so no SCIM answer shows it.
 *
 * OWNS the "managed" key space and its record.  MUST NOT KNOW what the
 * gate or the sync make of it (common/roles reads it with managed_get()).
 */
#ifndef SCIM_MANAGED_H
#define SCIM_MANAGED_H

#include "base/error.h"
#include "store/store.h"

#define MANAGED_SPACE	"managed"
#define MANAGED_BY_MAX	80	/* "scim:" + a token id, with room */

/*
 * Record that user uid of tenant is managed by by ("scim", "sync",
 * "admin"), through token (the token id for "scim"; NULL otherwise), in
 * transaction t.
 */
enum scim_err	 managed_put(struct store_txn *t, const char *tenant,
		    const char *uid, const char *by, const char *token,
		    struct scim_error *err);

/* Forget uid's record (nothing when there is none). */
enum scim_err	 managed_del(struct store_txn *t, const char *tenant,
		    const char *uid, struct scim_error *err);

/*
 * uid's manager as one word into buf (MANAGED_BY_MAX bytes): "scim:<token
 * id>", "sync", "admin", or "" when there is no record (users created
 * before the record existed).
 */
enum scim_err	 managed_get(struct store_txn *t, const char *tenant,
		    const char *uid, char *buf, struct scim_error *err);

#endif /* SCIM_MANAGED_H */
