/*
 * Walking the name index of users or groups in name order from a point,
 * for a listing that pages by position in that order (the admin page's
 * Users tab): a search by the start of a name seeks straight to it, and
 * "the next page" starts after the last name shown, so a page view reads
 * only the index entries it passes, never the whole tenant.
 *
 * OWNS nothing new: a read-only view of the name indexes store.h keeps.
 * MUST NOT KNOW what the caller does with the ids it is handed.
 */
#ifndef SCIM_STORE_NAMES_H
#define SCIM_STORE_NAMES_H

#include <stdbool.h>

#include "base/error.h"
#include "store/store.h"

/*
 * Called for each entry: its id and its name as indexed (lower-cased).
 * Return true to go on, false to stop.
 */
typedef bool	(*store_name_fn)(void *arg, const char *id, const char *lname);

/*
 * Walk kind's name index of tenant from lname `from` (lower-cased;
 * inclusive; NULL = the first, or with reverse the last), in ascending
 * name order, or descending with reverse (from is then the last entry
 * visited, if it exists).  Costs one positioning and one step per entry
 * passed to fn.
 */
enum scim_err	 store_name_walk(struct store_txn *t, enum store_kind kind,
		    const char *tenant, const char *from, bool reverse,
		    store_name_fn fn, void *arg, struct scim_error *err);

#endif /* SCIM_STORE_NAMES_H */
