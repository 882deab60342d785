/*
 * Private to unique.c and unique-rebuild.c (unique.h): the unique
 * attributes of a resource type, the values a record holds for one, and
 * the claims' keys and records.  Not for other modules.
 *
 * OWNS: what the two files share.  MUST NOT KNOW: anything another
 * module should rely on; that goes in unique.h.
 */
#ifndef SCIM_UNIQUE_INT_H
#define SCIM_UNIQUE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/error.h"
#include "scim/schema.h"
#include "store/store.h"

/* One unique attribute: its schema, its attribute and sub-attribute. */
struct uniq_attr {
	const struct schema		*s;
	const struct schema_attr	*a;
	const struct schema_attr	*sub;	/* NULL: a itself */
};

/* Longest "urn:attr.sub" path: a URN and two names (schema_path). */
#define UNIQ_PATH_MAX	(sizeof(((struct schema_path *)0)->urn_buf) + \
	2 * sizeof(((struct schema_path *)0)->attr_name) + 2)

typedef enum scim_err (*uniq_attr_fn)(void *arg, const struct uniq_attr *u,
		    struct scim_error *err);

/*
 * Call fn for each unique attribute of rt's extensions, in declaration
 * order, until it returns anything but SCIM_OK (which is returned).
 */
enum scim_err	 uniq_each(const struct resource_type *rt, uniq_attr_fn fn,
		    void *arg, struct scim_error *err);

/* u's path as keys carry it, lower-cased: "urn:attr" or "urn:attr.sub". */
void		 uniq_path(const struct uniq_attr *u, char *buf, size_t sz);

/*
 * The values res (NULL: none) holds for u into vs, sorted, each once;
 * uniq_vals_free() them.  False when memory is short.
 */
bool		 uniq_vals_of(const struct uniq_attr *u, const cJSON *res,
		    struct unique_list *vs);
void		 uniq_vals_free(struct unique_list *vs);
/* Append s (malloc) to l, which takes it; false (s freed) when memory is short. */
bool		 uniq_list_push(struct unique_list *l, char *s);

/* A claim's key "<type> <path> <value>" (malloc; NULL: no memory). */
char		*uniq_key(const struct resource_type *rt, const char *path,
		    const char *v);

/*
 * The claim on key: *rec its record (the caller deletes it; NULL when
 * there is none), *holder the id in it.
 */
enum scim_err	 uniq_claim_get(struct store_txn *t, const char *tenant,
		    const char *key, cJSON **rec, const char **holder,
		    struct scim_error *err);
/* Write the claim on key for id. */
enum scim_err	 uniq_claim_put(struct store_txn *t, const char *tenant,
		    const char *key, const char *id, struct scim_error *err);

/*
 * Does resource holder of type rt still hold value v of u?  *holds is
 * false when it is gone or does not: its claim is stale.
 */
enum scim_err	 uniq_holds(struct store_txn *t,
		    const struct resource_type *rt, const char *tenant,
		    const char *holder, const struct uniq_attr *u,
		    const char *v, bool *holds, struct scim_error *err);

#endif /* SCIM_UNIQUE_INT_H */
