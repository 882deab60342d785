/*
 * Fuzz harness: a BulkRequest body (common/scim/bulk.c) as scim-bulk reads
 * it, without a store: http_body_json() (the strict JSON reader every
 * handler uses), bulk_plan() (its shape, each operation's fields, bulkId
 * references and their order, cycles), then, standing in for the store,
 * every POST in the planned order given a made-up id, each operation's
 * path and data resolved (bulk_resolve()) and the BulkResponse built.
 * Checks what the plan promises: the order holds every operation once,
 * and every operation comes after those it refers to unless it is
 * refused.
 */
#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"
#include "scim/bulk.h"
#include "web/http.h"

#include "fuzz.h"

#define FUZZ_BULK_MAX_OPS	64

/* The plan's order: a permutation, references before their users. */
static void
check_order(const struct bulk_plan *p)
{
	bool	 seen[FUZZ_BULK_MAX_OPS];
	size_t	 k, d, i;

	memset(seen, 0, sizeof(seen));
	for (k = 0; k < p->nops; k++) {
		i = p->order[k];
		if (i >= p->nops || seen[i])
			abort();
		seen[i] = true;
		if (p->ops[i].refused.code != SCIM_OK)
			continue;
		for (d = 0; d < p->ops[i].ndeps; d++)
			if (!seen[p->ops[i].deps[d]])
				abort();
	}
}

/* Stand in for bulk_run(): made-up ids, resolution, outcomes. */
static void
run_without_store(struct bulk_plan *p)
{
	struct scim_error	 err;
	struct bulk_op		*o;
	char			*path, *body, id[32];
	size_t			 k;

	for (k = 0; k < p->nops; k++) {
		o = &p->ops[p->order[k]];
		o->done = true;
		if (bulk_resolve(p, o, &path, &body, &err) != SCIM_OK)
			return;
		o->status = o->refused.code != SCIM_OK ?
		    scim_err_status(o->refused.code) : 200;
		if (o->refused.code == SCIM_OK && o->method != NULL &&
		    strcmp(o->method, "POST") == 0) {
			snprintf(id, sizeof(id), "id-%zu", k);
			o->new_id = strdup(id);
			o->status = 201;
		}
		if (path != NULL)
			o->location = strdup(path);
		free(path);
		free(body);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req		 req;
	struct bulk_plan	 p;
	struct scim_error	 err;
	cJSON			*j, *resp;

	memset(&req, 0, sizeof(req));
	memset(&p, 0, sizeof(p));
	if ((req.body = fuzz_strndup(data, size)) == NULL)
		return 0;
	req.body_len = size;
	if (http_body_json(&req, &j, &err) == SCIM_OK &&
	    bulk_plan(j, FUZZ_BULK_MAX_OPS, &p, &err) == SCIM_OK) {
		check_order(&p);
		run_without_store(&p);
		resp = bulk_response(&p);
		cJSON_Delete(resp);
	}
	bulk_plan_free(&p);
	free(req.body);
	return 0;
}
