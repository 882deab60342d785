/*
 * The directory as the admin page lists it: users with their status,
 * role, groups and manager, one page at a time, searched and filtered;
 * groups with their member counts; one group's members.  Read-only: the
 * SCIM client (Entra ID) is the source of truth.
 *
 * What a page view costs.  Users are walked in the name index's order
 * (store-names.h) from where the page starts: a search by the start of
 * a userName seeks straight there and stops at the first name past it;
 * "next" starts after the last name shown, "previous" walks backwards
 * from the first.  Each user passed costs one access lookup (access.h: a
 * few B-tree reads), and one read of its record when the search is an
 * email address (emails are not indexed, so that search walks from the
 * first name).  A view passes at most DIR_SCAN_MAX users: when filters
 * match few, the page says where it stopped and "next" goes on from
 * there.  Groups page by position (store_page_ids(), which counts the
 * name index), each group's members counted by walking its member list.
 *
 * OWNS those listings.  MUST NOT KNOW HTML or how roles are decided
 * (access.h) or stored.
 */
#ifndef SCIM_DIRECTORY_H
#define SCIM_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "roles/access.h"
#include "store/store.h"

#define DIR_PAGE_MAX	200	/* rows per page at most */
#define DIR_SCAN_MAX	2000	/* users passed per page view at most */

/* Which users, from where. */
struct dir_user_query {
	const char	*q;		/* start of userName (any case), or
					   with an @ also an exact email;
					   NULL or "" for all */
	int		 active;	/* -1 any, 1 active, 0 blocked */
	int		 role;		/* -1 any, else an enum role */
	const char	*managed;	/* "scim", "sync", "admin", "unknown",
					   NULL any */
	const char	*after;		/* indexed name: start after it */
	const char	*before;	/* indexed name: end before it */
	size_t		 limit;		/* rows wanted, 1 .. DIR_PAGE_MAX */
};

/* One user of a page. */
struct dir_user {
	struct access	 a;		/* role, groups, managedBy, ... */
	char		*lname;		/* its name index key, for paging */
};

/* One page of users; dir_users_free() it. */
struct dir_users {
	struct dir_user	*v;
	size_t		 n;
	bool		 more;		/* matches past the page's end (in
					   the walk's direction) */
	bool		 cut;		/* DIR_SCAN_MAX users passed */
	char		*resume;	/* then: the last name passed */
	size_t		 passed;	/* users looked at */
};

/*
 * One page of tenant's users matching q.  Rows are in name order (also
 * for q->before).  Errors are the store's.
 */
enum scim_err	 dir_users_page(struct store *s, const struct scim_config *cfg,
		    const char *tenant, const struct dir_user_query *q,
		    struct dir_users *out, struct scim_error *err);
void		 dir_users_free(struct dir_users *p);

/*
 * A page of tenant's groups, by name, skipping skip: a new array in *out
 * (caller deletes) of {"id", "displayName", "externalId", "members"
 * (count)}, and *total groups in all.
 */
enum scim_err	 dir_groups_page(struct store *s, const char *tenant,
		    size_t skip, size_t limit, cJSON **out, size_t *total,
		    struct scim_error *err);

/*
 * Group gid's record (*group, caller deletes) and a page of its members
 * ({"value", "type", "display"} as stored) in *members, *total in all.
 * SCIM_E_NOT_FOUND when there is no such group.
 */
enum scim_err	 dir_group_members(struct store *s, const char *tenant,
		    const char *gid, size_t skip, size_t limit, cJSON **group,
		    cJSON **members, size_t *total, struct scim_error *err);

/* User id's record (*out, caller deletes); SCIM_E_NOT_FOUND when none. */
enum scim_err	 dir_user_record(struct store *s, const char *tenant,
		    const char *id, cJSON **out, struct scim_error *err);

#endif /* SCIM_DIRECTORY_H */
