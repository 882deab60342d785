/*
 * Manual User Sync: bring the users of mapped Entra ID groups into a
 * tenant's directory, on demand, through Microsoft Graph (graph.h).
 *
 * The role mappings (roles.h) name the groups; a sync reads each mapped
 * group's users (nested groups included), in mapping order, and for each
 * user decides:
 *   create  no user of the tenant has its userPrincipalName as userName:
 *           a SCIM user is created (userName = userPrincipalName, emails
 *           work = mail, name, displayName, active = accountEnabled,
 *           preferredLanguage, phoneNumbers mobile, externalId = the
 *           Entra object id), managedBy "sync";
 *   update  the user exists and its role (the first mapping among its
 *           Entra groups, assign.h) or, for a user the sync manages, its
 *           attributes differ;
 *   none    nothing differs.
 * A user another manager owns (SCIM, an admin) is never rewritten: only
 * the role the sync assigns it changes.  Nobody is ever removed.
 *
 * A sync runs in its own process (scimctl graph sync; the admin page
 * spawns the same command), one at a time per tenant (an fcntl lock on
 * <home>/sync-<tenant in hex>.lock), writing SYNC_BATCH users per
 * transaction with their audit events.  Killed at any point, it is simply
 * run again: every decision is made again from what the store holds.  Its
 * progress and its last result are records in the tenant's "sync" key
 * space, which sync_status() reads for the page:
 *
 *   progress  {"state": "running", "pid", "done", "total", "started"}
 *   last      {"outcome": "success"|"failure", "created", "updated",
 *              "unchanged", "failed", "total", "durationMs", "finished",
 *              "error"}
 *
 * Credentials (tenant id, client id, client secret) are kept per tenant
 * in <home>/graph-<tenant in hex>.json, mode 0600 (only the data home's
 * owner reads it): not in the store, whose files are group-readable.  The
 * secret is never shown, logged or put in an audit event.  For the
 * default tenant ([gate] tenant) [graph] tenant_id, client_id and
 * client_secret_file of scim.conf serve when no file was written.
 *
 * Audit events (category "sync"): sync.started, sync.completed (counts),
 * sync.failed (reason), sync.user.created, sync.user.updated (old and new
 * role), sync.credentials.changed.
 *
 * OWNS the decisions above, the lock, the progress and result records
 * and the credentials file.  MUST NOT KNOW HTTP requests, FastCGI, the
 * command line or how the page shows any of it.
 */
#ifndef SCIM_SYNC_H
#define SCIM_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "store/store.h"
#include "sync/graph.h"

#define SYNC_SPACE	"sync"
#define SYNC_BATCH	500	/* users written per transaction */

/* What a sync did. */
struct sync_result {
	size_t		 total;		/* users read from the mapped groups */
	size_t		 created;
	size_t		 updated;
	size_t		 unchanged;
	size_t		 failed;	/* refused (their detail logged) */
	size_t		 groups_missing; /* mappings naming no Entra group */
	size_t		 pruned;	/* role records of deleted users
					   removed (assign_prune()) */
	int64_t		 duration_ms;
	struct graph_stats graph;	/* the client's counters */
};

/* A run's parameters. */
struct sync_opts {
	const char	*tenant;
	const char	*actor;		/* for audit events: "cli", "admin:x" */
	bool		 auto_only;	/* only mappings with auto_sync on */
	bool		 quiet;		/* no progress lines on stderr */
};

/* --- credentials (sync-cred.c) --- */

/*
 * Store tenant's credentials (secret borrowed, never logged) in its 0600
 * file, replacing any, and record sync.credentials.changed (ids only).
 * SCIM_E_INVALID_VALUE for an empty or overlong value.
 */
enum scim_err	 sync_creds_set(struct store *s,
		    const struct scim_config *cfg, const char *tenant,
		    const char *actor, const struct graph_creds *cr,
		    struct scim_error *err);

/*
 * tenant's credentials into *out: its file, else scim.conf's [graph]
 * keys for [gate] tenant.  SCIM_E_NOT_FOUND, saying how to set them,
 * when neither has them.
 */
enum scim_err	 sync_creds_get(const struct scim_config *cfg,
		    const char *tenant, struct graph_creds *out,
		    struct scim_error *err);

/*
 * What the page shows of tenant's credentials: {"tenantId", "clientId",
 * "source": "file"|"scim.conf", "secret": true} or {"source": "none"};
 * never the secret.  NULL on allocation failure.
 */
cJSON		*sync_creds_json(const struct scim_config *cfg,
		    const char *tenant);

/*
 * The Test button: a token and one page of groups.  *out: {"ok": true,
 * "groups": N (on that page)}; a failure is err, worded with its hint.
 */
enum scim_err	 sync_test(const struct scim_config *cfg, const char *tenant,
		    cJSON **out, struct scim_error *err);

/*
 * The directory's groups (search as graph_groups()) as a new array of
 * {"id", "displayName"} in *out, for the mapping dropdown.
 */
enum scim_err	 sync_groups(const struct scim_config *cfg,
		    const char *tenant, const char *search, cJSON **out,
		    struct scim_error *err);

/* --- preview and sync (sync.c, sync-plan.c) --- */

/*
 * What a sync would do, without writing: a new array in *out of one
 * object per user, {"userName", "mail", "name", "groups": [..], "role",
 * "action": "create"|"update"|"none", "managedBy", "note"} ("note":
 * "managed by SCIM" for a user the sync will not rewrite).
 */
enum scim_err	 sync_preview(struct store *s, const struct scim_config *cfg,
		    const struct sync_opts *o, cJSON **out,
		    struct scim_error *err);

/*
 * Run a sync (see above) and fill *res.  SCIM_E_CONFLICT when another
 * sync of the tenant is running; Graph's errors as graph.h words them.
 * A failure is recorded (sync.failed, the last result) before returning.
 */
enum scim_err	 sync_run(struct store *s, const struct scim_config *cfg,
		    const struct sync_opts *o, struct sync_result *res,
		    struct scim_error *err);

/*
 * For the page: {"running": bool, "pid", "done", "total", "started",
 * "last": {...} or null}.  A progress record left by a sync that died
 * reads as not running ("interrupted": true).
 */
enum scim_err	 sync_status(struct store *s, const struct scim_config *cfg,
		    const char *tenant, cJSON **out, struct scim_error *err);

/*
 * Synced Users: every user of tenant managed by the sync, as a new array
 * of {"id", "userName", "displayName", "active", "role", "groups"} in
 * userName order.
 */
enum scim_err	 sync_users(struct store *s, const struct scim_config *cfg,
		    const char *tenant, cJSON **out, struct scim_error *err);

/* The lock file of tenant's syncs into buf (bsz bytes); false: too long. */
bool		 sync_lock_path(const struct scim_config *cfg,
		    const char *tenant, char *buf, size_t bsz);

#endif /* SCIM_SYNC_H */
