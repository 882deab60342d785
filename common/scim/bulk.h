/*
 * /Bulk (RFC 7644 section 3.7): many writes to /Users and /Groups in one
 * request.  A BulkRequest is first planned (bulk_plan(): its shape
 * checked, each operation's fields read, the "bulkId:" references found
 * and the operations put in an order where every operation runs after
 * those it refers to; the operations of a reference cycle refused with
 * 409, as section 3.7.1 allows), then run one operation at a time
 * through crud_run_op(), the handlers of single requests: each operation
 * is its own transaction, with its own audit events, and the service
 * loop's one flush makes them all durable before the BulkResponse is
 * sent.
 *
 * OWNS: the BulkRequest and BulkResponse messages, bulkId references and
 * the order they impose, failOnErrors, maxOperations and maxPayloadSize.
 * MUST NOT KNOW: what an operation does to the store (crud.c), FastCGI,
 * how the token was checked (the service loop did it, once).
 */
#ifndef SCIM_BULK_H
#define SCIM_BULK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/config.h"
#include "base/error.h"
#include "web/service.h"

#define BULK_SCHEMA_REQUEST \
	"urn:ietf:params:scim:api:messages:2.0:BulkRequest"
#define BULK_SCHEMA_RESPONSE \
	"urn:ietf:params:scim:api:messages:2.0:BulkResponse"
/* The prefix of a reference to another operation's new resource. */
#define BULK_REF_PREFIX		"bulkId:"

/* One operation of a BulkRequest, and once run, its outcome. */
struct bulk_op {
	const char	*method;	/* "POST"...: upper case; NULL: bad */
	const char	*bulk_id;	/* as sent, or NULL */
	const char	*path;		/* as sent, or NULL */
	const char	*version;	/* as sent, or NULL */
	const cJSON	*data;		/* as sent, or NULL */
	size_t		*deps;		/* the operations it refers to */
	size_t		 ndeps;
	struct scim_error refused;	/* code != SCIM_OK: it will not run,
					   for this reason */
	/* The outcome (bulk_run()): */
	bool		 done;		/* run or refused: in the response */
	int		 status;	/* HTTP status */
	char		*location;	/* the resource's URL, or NULL */
	char		*etag;		/* W/"n", or NULL */
	cJSON		*response;	/* the SCIM error of a failure */
	char		*new_id;	/* a POST's new id, for references */
};

/* A POST's bulkId and its operation (bulk_plan.ids). */
struct bulk_id {
	const char	*id;
	size_t		 op;		/* index in bulk_plan.ops */
};

/* A planned BulkRequest. */
struct bulk_plan {
	cJSON		*req;		/* the request: the ops point in it */
	struct bulk_op	*ops;		/* in the request's order */
	size_t		 nops;
	struct bulk_id	*ids;		/* the POSTs' bulkIds, sorted */
	size_t		 nids;
	size_t		*order;		/* the order to run them in */
	long		 fail_on_errors; /* stop after this many; 0: never */
};

/*
 * The largest BulkRequest, in bytes, that cfg lets through: [scim]
 * bulk_max_payload, but never more than [http] max_body, above which no
 * body is read at all.  Published as bulk.maxPayloadSize.
 */
size_t		 bulk_max_payload(const struct scim_config *cfg);

/*
 * Plan the BulkRequest req (taken over: freed with the plan, whatever
 * this returns).  Refuses the whole request, as section 3.7 says, when
 * it is not a BulkRequest (SCIM_E_INVALID_SYNTAX), failOnErrors is not a
 * positive integer or a bulkId is given twice (SCIM_E_INVALID_VALUE), or
 * it has more than max_ops operations (SCIM_E_TOO_LARGE).  A fault of one
 * operation (no method, an unknown one, data on a DELETE, a reference to
 * no operation's bulkId, a reference cycle...) refuses that operation
 * alone (bulk_op.refused).  bulk_plan_free() *p either way.
 */
enum scim_err	 bulk_plan(cJSON *req, size_t max_ops, struct bulk_plan *p,
		    struct scim_error *err);
void		 bulk_plan_free(struct bulk_plan *p);

/*
 * Run p's operations in p->order as c's tenant and token, each through
 * crud_run_op(), until failOnErrors errors have happened; the rest are
 * not run.  "bulkId:X" strings in an operation's data and path become
 * the id X's POST created; a reference to an operation that failed makes
 * this one fail with 409.  Outcomes go in p->ops.  Fails only when
 * memory runs out.
 */
enum scim_err	 bulk_run(const struct scim_call *c, struct bulk_plan *p,
		    struct scim_error *err);

/*
 * What operation o of p sends to crud_run_op(): its path (*path) and its
 * data as JSON text (*body, NULL when it has none), every "bulkId:X" in
 * them made the id X's POST created (bulk_op.new_id; left as is while
 * that is NULL).  New strings, the caller's; SCIM_OK or out of memory.
 * Exposed for the fuzz harness, which sets new_id itself.
 */
enum scim_err	 bulk_resolve(const struct bulk_plan *p,
		    const struct bulk_op *o, char **path, char **body,
		    struct scim_error *err);

/* p's BulkResponse, the operations that ran in request order; NULL: OOM. */
cJSON		*bulk_response(const struct bulk_plan *p);

/* The route handler for POST /Bulk: limits, plan, run, answer. */
enum scim_err	 bulk_post(struct scim_call *c, struct scim_error *err);

#endif /* SCIM_BULK_H */
