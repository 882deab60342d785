/*
 * Role mappings: which directory group gives which role at the access
 * gate.  Each tenant has one ordered list; a user's role is that of the
 * FIRST mapping whose group holds the user (directly or through nested
 * groups), else the [roles] default of scim.conf (access.h decides).
 *
 * A mapping names its group by the SCIM group's externalId (Entra sends
 * the group's objectId there) or, when no group has that externalId, by
 * its displayName (any case: Okta sends no externalId).  It may name a
 * group the store does not hold yet.  Roles: owner, admin, member; a
 * member mapping may list the products it grants.  auto_sync (default
 * on) says whether Manual User Sync brings the group's users in.
 *
 * Stored in the tenant's "roles" key space under one key, "mappings", as
 * the whole ordered JSON array, so a change is one write in one
 * transaction, together with its audit event (type role.mapping.added or
 * role.mapping.deleted, actor as the caller says):
 *
 *   [{"group": "...", "role": "member", "products": ["a", "b"],
 *     "autoSync": true}, ...]
 *
 * OWNS the mappings, their rules and their record.  MUST NOT KNOW how a
 * user's groups are found or what a role lets anyone do (access.h, the
 * gate), the command line or HTTP.
 */
#ifndef SCIM_ROLES_H
#define SCIM_ROLES_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "store/store.h"

#define ROLES_SPACE		"roles"
#define ROLES_KEY		"mappings"
#define ROLES_MAX		256	/* mappings per tenant */
#define ROLES_GROUP_MAX		256	/* bytes of a group name */
#define ROLES_PRODUCTS_MAX	64	/* products per mapping */

/* The roles, weakest first, so that a larger one grants more. */
enum role {
	ROLE_NONE,		/* no access */
	ROLE_MEMBER,
	ROLE_ADMIN,
	ROLE_OWNER
};

/* "none", "member", "admin", "owner". */
const char	*role_name(enum role r);
/* Parse one of those (any case) into *out; false for anything else. */
bool		 role_parse(const char *s, enum role *out);

/* One mapping. */
struct role_mapping {
	char		*group;		/* externalId or displayName */
	enum role	 role;		/* ROLE_MEMBER .. ROLE_OWNER */
	char		**products;	/* member only; nproducts of them */
	size_t		 nproducts;
	bool		 auto_sync;	/* Manual User Sync brings it in */
};

/* A tenant's mappings, in order. */
struct role_map {
	struct role_mapping	*v;
	size_t			 n;
};

/* Free what m holds and empty it (m itself is the caller's). */
void		 roles_free(struct role_map *m);
/* Free one mapping's group and products and zero it. */
void		 roles_mapping_clear(struct role_mapping *m);

/*
 * Read tenant's mappings in t into *out (empty when none were ever
 * set); roles_free() it.
 */
enum scim_err	 roles_read(struct store_txn *t, const char *tenant,
		    struct role_map *out, struct scim_error *err);

/* The same in a transaction of its own. */
enum scim_err	 roles_list(struct store *s, const char *tenant,
		    struct role_map *out, struct scim_error *err);

/*
 * Split a comma-separated product list ("a,b") into m's products
 * (replacing any).  SCIM_E_INVALID_VALUE for an empty name, a repeat, or
 * too many.
 */
enum scim_err	 roles_set_products(struct role_mapping *m,
		    const char *list, struct scim_error *err);

/* Who changes the mappings, for the audit event; cfg may be NULL. */
struct roles_change {
	const char			*tenant;
	const char			*actor;	/* "cli", "admin:<name>" */
	const struct scim_config	*cfg;	/* the audit hook */
};

/*
 * Insert m (borrowed; copied) at position (1-based; 0 = at the end).
 * SCIM_E_INVALID_VALUE for an empty or overlong group, a role that is not
 * owner/admin/member, products on a role other than member, a position
 * out of range (1 .. count + 1), too many mappings; SCIM_E_UNIQUENESS
 * when the tenant already maps that group (any case).  The detail names
 * the problem in one line.
 */
enum scim_err	 roles_add(struct store *s, const struct roles_change *ch,
		    const struct role_mapping *m, size_t position,
		    struct scim_error *err);

/* Remove the mapping of group (any case): SCIM_E_NOT_FOUND when none. */
enum scim_err	 roles_delete(struct store *s, const struct roles_change *ch,
		    const char *group, struct scim_error *err);

/* m as stored ({"group", "role", "products", "autoSync"}); NULL on OOM. */
cJSON		*roles_mapping_json(const struct role_mapping *m);

#endif /* SCIM_ROLES_H */
