/*
 * Private to the /Users and /Groups handlers (crud.c, crud-query.c,
 * crud-audit.c, crud-op.c, members.c); not installed, not for other modules.
 *
 * crud.c      the handlers that read and write one resource, meta and
 *             versions (ETags, If-Match), the read of one record;
 * crud-query.c  GET and POST .search on a collection: query planning,
 *             index hints, sorting, paging;
 * crud-audit.c  the audit events of a write and the diff they name;
 * crud-op.c   a /Bulk operation routed to the handlers (crud_run_op());
 * members.c   membership rules and changes, back-references, the
 *             group-name cache (members.h).
 *
 * OWNS: what these files share.  MUST NOT KNOW: anything another module
 * should rely on; that goes in crud.h or members.h.
 */
#ifndef SCIM_CRUD_INT_H
#define SCIM_CRUD_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "scim/crud.h"
#include "scim/members.h"
#include "scim/resource.h"
#include "scim/schema.h"
#include "store/store.h"

/*
 * The resource type the call's endpoint serves (/Groups, else /Users).
 * What differs between Users and Groups is read from it: its store kind,
 * name attribute, back-reference and noun (schema.h).
 */
const struct resource_type *crud_rt_of(const struct scim_call *c);

/* The keys the store indexes res, a resource of type rt, by (res's). */
void		 crud_store_keys(const struct resource_type *rt,
		    const cJSON *res, struct store_keys *out);

/* --- crud.c: meta and versions --- */

/* The number in a version string W/"n"; 0 when there is none. */
long		 crud_version_num(const char *ver);
/* Does the If-Match / If-None-Match list name version ver (W/"n")? */
bool		 crud_etag_listed(const char *list, const char *ver);
/* Do stored forms a and b differ in more than meta and "schemas"? */
bool		 crud_same_content(const cJSON *a, const cJSON *b);

/* --- crud.c: reading one record --- */

/* The store half of a cached bearer check, in the handler's transaction. */
enum scim_err	 crud_token_txn(struct store_txn *t, struct scim_call *c,
		    struct scim_error *err);

/*
 * A read of one record: its stored text and, when the answer shows it,
 * its back-reference array.
 */
struct read_ctx {
	struct scim_call	*c;
	const struct resource_type	*rt;
	const char		*id;
	bool			 backref;	/* load groups/members */
	char			*text;		/* out: the record */
	size_t			 len;
	struct members_ref	 refs;		/* out: its back-reference */
};

void		 crud_read_clear(struct read_ctx *r);
enum scim_err	 crud_read_one(struct store_txn *t, struct read_ctx *r,
		    struct scim_error *err);
bool		 crud_answers_whole(const struct resource_type *rt,
		    const char *attributes, const char *excluded);
char		*crud_answer_text(struct read_ctx *r, char **version);
enum scim_err	 crud_parse_record(struct read_ctx *r, cJSON **out,
		    struct scim_error *err);

/*
 * set_meta() and put_record() for crud-direct.c: give res id and a fresh
 * meta (created and version from old, NULL for a create); write res
 * replacing old (NULL: a create), refusals worded for a client.
 */
bool		 crud_meta_set(cJSON *res, const char *id,
		    const struct resource_type *rt, const cJSON *old);
enum scim_err	 crud_record_put(struct store_txn *t,
		    const struct resource_type *rt, const char *tenant,
		    const cJSON *res, const cJSON *old, struct scim_error *err);

/* --- crud-query.c: pure helpers (exported for tests/unit/test_crud) --- */

/* Is the pos'th match (1-based) on the page start (1-based), count? */
bool		 crud_page_holds(long start, long count, size_t pos);
/* The value res sorts by at path p, or NULL (absent: sorts last). */
const cJSON	*crud_sort_value(const struct schema_path *p,
		    const cJSON *res);
/* A SearchRequest member as a string (the caller frees it), or NULL. */
char		*crud_search_str(const cJSON *body, const char *name,
		    bool *bad);

/* --- crud-audit.c --- */

enum scim_err	 crud_audit_record(struct store_txn *t,
		    const struct scim_call *c, const struct resource_type *rt,
		    const char *type, const cJSON *res, const cJSON *details,
		    struct scim_error *err);
enum scim_err	 crud_audit_update(struct store_txn *t,
		    const struct scim_call *c, const struct resource_type *rt,
		    const cJSON *old, const cJSON *res,
		    const struct members_ctx *mc, struct scim_error *err);
void		 crud_audit_diff_names(const cJSON *a, const cJSON *b,
		    const char *prefix, cJSON *list);

#endif /* SCIM_CRUD_INT_H */
