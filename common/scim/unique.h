/*
 * Uniqueness of declared extension attributes (RFC 7643 section 7
 * "uniqueness": server or global; RFC 7644 section 3.3: a value another
 * resource holds is 409 "uniqueness").  The store keeps only userName
 * and a Group's displayName unique; the attributes an operator declares
 * unique in [scim] extensions (schema-ext.h) are kept unique here, by
 * claims in the store's kv key space "unique":
 *
 *   tenant\0unique\0<type> <path> <value> -> {"id": "<holder>"}
 *
 * <type> is the resource type's name ("User", "Group"), <path> the
 * attribute's lower-cased "urn:attr" or "urn:attr.sub", <value> one
 * value as compared: a string folded as userName is (util_fold()) unless
 * caseExact, numbers printed by one rule (%.17g, so 1 and 1.0 are one
 * value), dateTime, reference and binary values exactly; a value longer
 * than UNIQUE_VALUE_MAX bytes is keyed by its first bytes and its
 * SHA-256 (store scans hand keys over cut at 1 KiB).  A multi-valued
 * attribute, or a sub-attribute of a multi-valued complex one, is unique
 * per value.  "global" is kept as "server": each tenant is a service
 * provider of its own, and no claim crosses tenants.
 *
 * Claims move in the transaction of the write that moves the value
 * (unique_check() and unique_apply() around crud.c's one put,
 * unique_update() before its one delete).  A claim is
 * trusted only as far as its holder's record agrees: a claim whose
 * holder is gone or no longer holds the value is taken over, so a stale
 * claim never refuses a write.  Values stored before the declaration
 * have no claims until unique_rebuild() (scimctl unique) makes them.
 *
 * OWNS: which declarations may be unique (unique_refusal()), the key
 * space "unique" and its key format, the values compared, the refusal's
 * words.  MUST NOT KNOW: HTTP, PATCH or Bulk (it sees a record before
 * and after), how the store lays out its files, scim.conf.
 */
#ifndef SCIM_UNIQUE_H
#define SCIM_UNIQUE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/schema.h"
#include "store/store.h"

/* The kv key space the claims live in. */
#define UNIQUE_SPACE	"unique"

/* Longest value keyed as it is (see above). */
#define UNIQUE_VALUE_MAX	256

/* Records (or claims) one transaction of unique_rebuild() handles. */
#define UNIQUE_BATCH	200

/*
 * Why attribute a cannot be declared with its uniqueness, as a phrase
 * for a configuration error; NULL when it can (uniqueness none always
 * can).  A boolean has two values and a complex attribute none of its
 * own: both are refused.
 */
const char	*unique_refusal(const struct schema_attr *a);

/* Does any extension of rt declare an attribute unique? */
bool		 unique_declared(const struct resource_type *rt);

/* Strings (malloc), the list's: values of a record, or claim keys. */
struct unique_list {
	char		**v;
	size_t		  n;
	size_t		  cap;
};

/* The claims a write moves: found by unique_check(), written by unique_apply(). */
struct unique_moves {
	const char		*tenant;
	const char		*id;
	struct unique_list	 put;		/* keys to claim for id */
	struct unique_list	 del;		/* keys of id's claims to drop */
};

/*
 * The claims resource id, of type rt in tenant, moves from what old
 * holds (NULL: a create) to what res holds (NULL: a delete), read in the
 * write's transaction t into *mv (reset here; unique_moves_free() it
 * whatever this returns).  Reads only, so a refusal here, or one by
 * store_put() after it, writes nothing.  Values in both are not looked
 * at: a write that changes no unique value, and any write of a type
 * declaring none, does no store work.  SCIM_E_UNIQUENESS when a value of
 * res is claimed by another resource whose record still holds it; err's
 * detail names the attribute and the value for the client.
 */
enum scim_err	 unique_check(struct store_txn *t,
		    const struct resource_type *rt, const char *tenant,
		    const char *id, const cJSON *old, const cJSON *res,
		    struct unique_moves *mv, struct scim_error *err);

/*
 * Write the claims mv moves, in the same transaction, once the record
 * is written (nothing when mv is empty).
 */
enum scim_err	 unique_apply(struct store_txn *t,
		    const struct unique_moves *mv, struct scim_error *err);
void		 unique_moves_free(struct unique_moves *mv);

/* unique_check() and unique_apply() at once (a delete, tests). */
enum scim_err	 unique_update(struct store_txn *t,
		    const struct resource_type *rt, const char *tenant,
		    const char *id, const cJSON *old, const cJSON *res,
		    struct scim_error *err);

/* What unique_rebuild() did. */
struct unique_report {
	size_t		 records;	/* records read */
	size_t		 claimed;	/* claims written */
	size_t		 dropped;	/* stale claims removed */
	size_t		 dups;		/* values held by two records */
};

/*
 * Called once per value found held by two records: the resource type,
 * the attribute's path, the value as compared, the claim's holder and
 * the other record.
 */
typedef void	(*unique_dup_fn)(void *arg, const char *type,
		    const char *path, const char *value, const char *holder,
		    const char *other);

/*
 * Make tenant's claims agree with its records, UNIQUE_BATCH per
 * transaction, while writers go on: claim every unique value a record
 * holds and no claim names (a claim already there is kept; each value
 * held twice is reported to dup), then remove the claims whose holder is
 * gone, no longer holds the value, or whose attribute is no longer
 * declared unique.  Counts in *out.
 */
enum scim_err	 unique_rebuild(struct store *s, const char *tenant,
		    unique_dup_fn dup, void *arg, struct unique_report *out,
		    struct scim_error *err);

#endif /* SCIM_UNIQUE_H */
