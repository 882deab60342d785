/*
 * The access decision: may this directory user sign in, and with which
 * role?  What the access gate (scim-authz) and `scimctl user` ask.
 *
 * A lookup is a few B-tree reads: the user by its name index (any case)
 * or its id, its groups (kept next to its record), the groups those are
 * in (nested groups, followed to ACCESS_DEPTH_MAX levels), each group's
 * record for its names, the tenant's mappings (one key), and for each
 * mapping in order the group it names (the externalId index, else the
 * name index).  The first mapping whose group is among the user's groups
 * gives the role (roles.h); none gives [roles] default (member, or none).
 *
 * The user may sign in when it exists, is active and has a role other
 * than none.  A name listed in [gate] always_allow (break-glass
 * accounts) may always sign in, with role owner, whatever the directory
 * says, even when the directory does not hold it.
 *
 * OWNS that decision.  MUST NOT KNOW HTTP, FastCGI, the command line, or
 * how the mappings are stored (roles.h).
 */
#ifndef SCIM_ACCESS_H
#define SCIM_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "roles/roles.h"
#include "scim/managed.h"
#include "store/store.h"

#define ACCESS_DEPTH_MAX	16	/* levels of nested groups followed */
#define ACCESS_GROUPS_MAX	1024	/* groups of one user looked at */

/* Why a user may not sign in. */
enum access_why {
	ACCESS_OK,		/* it may */
	ACCESS_UNKNOWN,		/* no such user */
	ACCESS_INACTIVE,	/* active is false */
	ACCESS_NO_ROLE		/* no mapping, and [roles] default = none */
};

/* One group the user is in. */
struct access_group {
	char		*id;
	char		*display_name;	/* "" when the group has none */
	bool		 direct;	/* a member itself, not via nesting */
};

/* What access_lookup() found; access_free() releases it. */
struct access {
	bool			 found;		/* the directory holds the user */
	bool			 active;	/* its active (true when absent) */
	bool			 break_glass;	/* named in [gate] always_allow */
	enum role		 role;		/* what it signs in as */
	enum access_why		 why;		/* ACCESS_OK: it may sign in */
	int			 mapping;	/* index of the mapping that gave
						   the role; -1 the default */
	bool			 auto_sync;	/* that mapping's auto_sync
						   (false for the default) */
	char			 id[STORE_ID_MAX + 1];
	char			*user_name;	/* as stored ("" unknown) */
	char			*display_name;	/* "" when it has none */
	char			**products;	/* the mapping's, nproducts */
	size_t			 nproducts;
	struct access_group	*groups;	/* direct first, then nested */
	size_t			 ngroups;
	char			 managed_by[MANAGED_BY_MAX]; /* "scim:<token
						   id>", "sync", "admin", ""
						   unknown */
};

/*
 * Decide for name_or_id (a userName, any case, or a user id) in tenant,
 * filling *out (always; access_free() it, also on failure).  A user the
 * directory does not hold is not an error: out->found is false and
 * out->why ACCESS_UNKNOWN (unless break-glass).  Errors are the store's.
 */
enum scim_err	 access_lookup(struct store *s,
		    const struct scim_config *cfg, const char *tenant,
		    const char *name_or_id, struct access *out,
		    struct scim_error *err);

/*
 * The same for a sign-on name (REMOTE_USER at the gate): found by
 * userName only, never by id, so that a sign-on name that happens to be
 * another user's id cannot borrow that user's access.
 */
enum scim_err	 access_lookup_signon(struct store *s,
		    const struct scim_config *cfg, const char *tenant,
		    const char *name, struct access *out,
		    struct scim_error *err);

/*
 * access_lookup() inside the caller's (read) transaction t.  *out is
 * overwritten, not freed: access_free() what an earlier call filled.
 */
enum scim_err	 access_lookup_txn(struct store_txn *t,
		    const struct scim_config *cfg, const char *tenant,
		    const char *name_or_id, struct access *out,
		    struct scim_error *err);

/* May a sign in?  (a->why == ACCESS_OK) */
bool		 access_allowed(const struct access *a);

/* "ok", "unknown", "inactive", "no_role". */
const char	*access_why_name(enum access_why why);

/*
 * a as JSON: {"id", "userName", "displayName", "active", "role",
 * "products": [], "groups": [{"id", "displayName"}], "managedBy"}; NULL
 * on allocation failure.  The caller deletes it.
 */
cJSON		*access_json(const struct access *a);

/* Free what a holds and zero it. */
void		 access_free(struct access *a);

#endif /* SCIM_ACCESS_H */
