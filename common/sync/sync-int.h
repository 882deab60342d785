/*
 * Private to Manual User Sync (sync.c, sync-plan.c, sync-apply.c,
 * sync-cred.c); not installed.
 *
 * sync-cred.c   credentials, the Graph client for a tenant, Test, groups;
 * sync-plan.c   reading the mapped groups' users into a plan (one entry
 *               per Entra user, with its first mapping and its groups);
 * sync-apply.c  one user's decision against the store, and its writes;
 * sync.c        preview, the run (lock, batches, progress, result),
 *               status and the synced users.
 *
 * OWNS what these files share.  MUST NOT KNOW anything another module
 * should rely on: that goes in sync.h.
 */
#ifndef SCIM_SYNC_INT_H
#define SCIM_SYNC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "roles/roles.h"
#include "scim/managed.h"
#include "sync/sync.h"

/* What a sync does to one user. */
enum sync_action {
	SYNC_CREATE,
	SYNC_UPDATE,
	SYNC_NONE,
	SYNC_FAILED		/* refused: its body is not a valid User */
};

/* One Entra user of the mapped groups. */
struct sync_user {
	char		*eid;		/* Entra object id */
	char		*upn;		/* userPrincipalName: the userName */
	char		*mail;		/* "" when none */
	char		*name;		/* displayName, else given surname */
	size_t		 mapping;	/* first mapping that holds it */
	cJSON		*sources;	/* names of its mapped groups */
	cJSON		*res;		/* its stored form (crud-direct.h) */
	char		 error[160];	/* why it was refused, or "" */
};

/* Every user of the mapped groups. */
struct sync_plan {
	struct role_map	 map;		/* the tenant's mappings */
	bool		*used;		/* per mapping: synced by this run */
	struct sync_user *v;
	size_t		 n, cap;
	size_t		*slots;		/* open addressing on eid: index+1 */
	size_t		 nslots;
	size_t		 missing;	/* mappings naming no Entra group */
};

/* One user's decision (sync_apply()). */
struct sync_decision {
	enum sync_action action;
	char		 id[STORE_ID_MAX + 1];	/* the store's user id */
	char		 managed_by[MANAGED_BY_MAX];
	enum role	 old_role, new_role;
	bool		 attrs;		/* attributes differ (sync-managed) */
};

/* sync-cred.c */
bool		 sync_home_path(const struct scim_config *cfg,
		    const char *prefix, const char *tenant,
		    const char *suffix, char *buf, size_t bsz);
enum scim_err	 sync_graph_open(const struct scim_config *cfg,
		    const char *tenant, struct graph **g,
		    struct scim_error *err);

/* sync-plan.c */

/*
 * Read tenant's mappings (auto_sync ones only when auto_only) and the
 * users of their groups through g into *p (sync_plan_free() it, also on
 * failure).  SCIM_E_NOT_FOUND when no mapping is to be synced.
 */
enum scim_err	 sync_plan_read(struct store *s, struct graph *g,
		    const char *tenant, bool auto_only, struct sync_plan *p,
		    struct scim_error *err);
void		 sync_plan_free(struct sync_plan *p);

/* sync-apply.c */

/* Everything sync_apply() needs besides the user. */
struct sync_apply_ctx {
	const struct scim_config *cfg;
	const struct sync_plan	*plan;
	const char		*tenant;
	const char		*actor;
	bool			 write;		/* false: decide only (preview) */
};

/*
 * Decide what to do with u in transaction t into *d and, when c->write,
 * do it: the user's record, who manages it, the role record (assign.h)
 * and the audit event, all in t.  Errors are the store's (they abort t);
 * a user the store refuses (its name) is SCIM_OK with d->action
 * SYNC_FAILED and u->error set.
 */
enum scim_err	 sync_apply(struct store_txn *t,
		    const struct sync_apply_ctx *c, struct sync_user *u,
		    struct sync_decision *d, struct scim_error *err);

/* "create", "update", "none", "failed". */
const char	*sync_action_name(enum sync_action a);

#endif /* SCIM_SYNC_INT_H */
