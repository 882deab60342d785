/*
 * /Bulk (RFC 7644 section 3.7), see bulk.h: a BulkRequest planned
 * (shape, each operation's fields, bulkId references and the order they
 * impose), then run an operation at a time through crud_run_op(), and
 * answered with a BulkResponse.
 *
 * Order: operation A refers to operation B when A's data or path holds
 * the string "bulkId:<B's bulkId>".  B must then run first, whatever the
 * request's order.  Tarjan's algorithm over these references yields the
 * strongly connected components with every component after those it
 * refers to, visiting the operations in request order, so operations that
 * refer to nothing keep the request's order.  A component of more than
 * one operation (or one that refers to itself) is a cycle: section 3.7.1
 * lets the server stop there with 409 (Conflict), and each operation of
 * the cycle is refused so (an operation that only refers to a cycle then
 * fails as a reference to a failed operation does).
 *
 * Held deprovisions (held.h): an operation the brake holds gets 503 and
 * the held SCIM error, whose detail says when to retry (an operation has
 * no headers, section 3.7.3); the whole answer stays 200 and carries
 * Retry-After, so a client that reads headers only waits as it would
 * for a plain request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/bulk.h"
#include "scim/crud.h"
#include "scim/held.h"

/* The methods an operation may name (section 3.7: no GET). */
static const char *const bulk_methods[] = { "POST", "PUT", "PATCH",
    "DELETE" };

size_t
bulk_max_payload(const struct scim_config *cfg)
{
	return cfg->bulk_max_payload < cfg->max_body ? cfg->bulk_max_payload :
	    cfg->max_body;
}

/* --- planning: the request's shape and each operation's fields --- */

/* Does the request's "schemas" name the BulkRequest schema? */
static bool
bulk_is_request(const cJSON *req)
{
	const cJSON	*schemas = cJSON_GetObjectItem(req, "schemas"), *s;

	cJSON_ArrayForEach(s, schemas)
		if (cJSON_IsString(s) &&
		    strcmp(s->valuestring, BULK_SCHEMA_REQUEST) == 0)
			return true;
	return false;
}

/*
 * The string member name of op (any case, as SCIM names are), NULL when
 * absent; *bad when present but not a string.
 */
static const char *
bulk_str(const cJSON *op, const char *name, bool *bad)
{
	const cJSON	*v = cJSON_GetObjectItem(op, name);

	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v)) {
		*bad = true;
		return NULL;
	}
	return v->valuestring;
}

/*
 * Read op's fields into o; a fault that refuses this operation alone
 * goes in o->refused.
 */
static void
bulk_read_op(const cJSON *op, struct bulk_op *o)
{
	const char	*m;
	bool		 bad = false;
	size_t		 i;

	m = bulk_str(op, "method", &bad);
	o->bulk_id = bulk_str(op, "bulkId", &bad);
	o->path = bulk_str(op, "path", &bad);
	o->version = bulk_str(op, "version", &bad);
	o->data = cJSON_GetObjectItem(op, "data");
	if (cJSON_IsNull(o->data))
		o->data = NULL;
	for (i = 0; m != NULL && i < sizeof(bulk_methods) /
	    sizeof(bulk_methods[0]); i++)
		if (strcasecmp(m, bulk_methods[i]) == 0)
			o->method = bulk_methods[i];
	if (bad)
		scim_fail(&o->refused, SCIM_E_INVALID_SYNTAX, "method, bulkId, "
		    "path and version must be strings");
	else if (m == NULL)
		scim_fail(&o->refused, SCIM_E_INVALID_SYNTAX,
		    "the operation has no method");
	else if (o->method == NULL)
		scim_fail(&o->refused, SCIM_E_INVALID_VALUE, "method %.100s "
		    "is not POST, PUT, PATCH or DELETE", m);
	else if (o->path == NULL)
		scim_fail(&o->refused, SCIM_E_INVALID_SYNTAX,
		    "the operation has no path");
	else if (strcmp(o->method, "DELETE") == 0 && o->data != NULL)
		scim_fail(&o->refused, SCIM_E_INVALID_SYNTAX,
		    "a DELETE operation takes no data");
	else if (strcmp(o->method, "DELETE") != 0 && !cJSON_IsObject(o->data))
		scim_fail(&o->refused, SCIM_E_INVALID_SYNTAX,
		    "a %s operation needs data, a JSON object", o->method);
}

/* Order bulk_ids entries by bulkId (qsort, bsearch). */
static int
bulk_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bulk_id *)a)->id,
	    ((const struct bulk_id *)b)->id);
}

/* The index of the POST whose bulkId is id, or p->nops when none. */
static size_t
bulk_find(const struct bulk_plan *p, const char *id)
{
	struct bulk_id		 key = { id, 0 };
	const struct bulk_id	*hit;

	hit = p->nids == 0 ? NULL : bsearch(&key, p->ids, p->nids,
	    sizeof(*p->ids), bulk_id_cmp);
	return hit != NULL ? hit->op : p->nops;
}

/* Is s a reference "bulkId:X"?  Then X, else NULL. */
static const char *
bulk_ref(const char *s)
{
	size_t	 n = sizeof(BULK_REF_PREFIX) - 1;

	return strncmp(s, BULK_REF_PREFIX, n) == 0 && s[n] != '\0' ?
	    s + n : NULL;
}

/*
 * Add the operation that id names to o's references (once); an id no
 * POST of the request has refuses o.  False when memory runs out.
 */
static bool
bulk_add_dep(const struct bulk_plan *p, struct bulk_op *o, const char *id)
{
	size_t	 j = bulk_find(p, id), k, *d;

	if (j == p->nops) {
		if (o->refused.code == SCIM_OK)
			scim_fail(&o->refused, SCIM_E_INVALID_VALUE, "no POST "
			    "operation of this request has bulkId %.200s", id);
		return true;
	}
	for (k = 0; k < o->ndeps; k++)
		if (o->deps[k] == j)
			return true;
	if ((d = realloc(o->deps, (o->ndeps + 1) * sizeof(*d))) == NULL)
		return false;
	o->deps = d;
	o->deps[o->ndeps++] = j;
	return true;
}

/* Every "bulkId:X" string under v (data) into o's references. */
static bool
bulk_scan_refs(const struct bulk_plan *p, struct bulk_op *o, const cJSON *v)
{
	const cJSON	*c;
	const char	*id;

	if (cJSON_IsString(v))
		return (id = bulk_ref(v->valuestring)) == NULL ||
		    bulk_add_dep(p, o, id);
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		for (c = v->child; c != NULL; c = c->next)
			if (!bulk_scan_refs(p, o, c))
				return false;
	return true;
}

/* A path's "/Groups/bulkId:X": X, else NULL. */
static const char *
bulk_path_ref(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return slash != NULL ? bulk_ref(slash + 1) : NULL;
}

/* --- planning: the order (Tarjan's strongly connected components) --- */

struct bulk_tarjan {
	struct bulk_plan	*p;
	size_t			*index;		/* visit number + 1; 0: new */
	size_t			*low;
	size_t			*stack;
	bool			*on_stack;
	size_t			 sp, next, nout;
};

/*
 * Visit operation v: emit, into p->order, its component once every
 * component it refers to is emitted.  Recursion depth is at most the
 * number of operations ([scim] bulk_max_operations, 10000 at most).
 */
static void
bulk_visit(struct bulk_tarjan *t, size_t v)
{
	struct bulk_op	*o = &t->p->ops[v];
	size_t		 k, w, first;
	bool		 cycle;

	t->index[v] = t->low[v] = ++t->next;
	t->stack[t->sp++] = v;
	t->on_stack[v] = true;
	for (k = 0; k < o->ndeps; k++) {
		w = o->deps[k];
		if (t->index[w] == 0) {
			bulk_visit(t, w);
			if (t->low[w] < t->low[v])
				t->low[v] = t->low[w];
		} else if (t->on_stack[w] && t->index[w] < t->low[v])
			t->low[v] = t->index[w];
	}
	if (t->low[v] != t->index[v])
		return;
	/* v roots a component: the stack from v up. */
	for (first = t->sp; t->stack[first - 1] != v; first--)
		;
	first--;
	cycle = t->sp - first > 1;
	for (k = 0; k < o->ndeps && !cycle; k++)
		cycle = o->deps[k] == v;
	for (k = first; k < t->sp; k++) {
		w = t->stack[k];
		t->on_stack[w] = false;
		t->p->order[t->nout++] = w;
		if (cycle && t->p->ops[w].refused.code == SCIM_OK)
			scim_fail(&t->p->ops[w].refused, SCIM_E_CONFLICT,
			    "bulkId references in a cycle (RFC 7644 section "
			    "3.7.1): this operation refers, through others, to "
			    "itself");
	}
	t->sp = first;
}

static enum scim_err
bulk_order(struct bulk_plan *p, struct scim_error *err)
{
	struct bulk_tarjan	 t;
	size_t			 v, n = p->nops ? p->nops : 1;
	enum scim_err		 rc = SCIM_OK;

	memset(&t, 0, sizeof(t));
	t.p = p;
	if ((p->order = calloc(n, sizeof(size_t))) == NULL ||
	    (t.index = calloc(n, sizeof(size_t))) == NULL ||
	    (t.low = calloc(n, sizeof(size_t))) == NULL ||
	    (t.stack = calloc(n, sizeof(size_t))) == NULL ||
	    (t.on_stack = calloc(n, sizeof(bool))) == NULL)
		rc = scim_oom(err);
	for (v = 0; rc == SCIM_OK && v < p->nops; v++)
		if (t.index[v] == 0)
			bulk_visit(&t, v);
	free(t.index);
	free(t.low);
	free(t.stack);
	free(t.on_stack);
	return rc;
}

/* --- planning --- */

/* failOnErrors into p: absent is 0 (never stop), else a positive integer. */
static enum scim_err
bulk_fail_on_errors(const cJSON *req, struct bulk_plan *p,
    struct scim_error *err)
{
	const cJSON	*f = cJSON_GetObjectItem(req, "failOnErrors");

	p->fail_on_errors = 0;
	if (f == NULL || cJSON_IsNull(f))
		return SCIM_OK;
	if (!cJSON_IsNumber(f) || f->valuedouble < 1 || f->valuedouble > 1e9 ||
	    f->valuedouble != (double)(long)f->valuedouble)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "failOnErrors must be a positive integer");
	p->fail_on_errors = (long)f->valuedouble;
	return SCIM_OK;
}

/*
 * Index the POSTs' bulkIds (p->ids, sorted, for bulk_find()): a lookup
 * per reference stays O(log n) in a request of thousands.  Refuses the
 * whole request when two POSTs share a bulkId.
 */
static enum scim_err
bulk_index_ids(struct bulk_plan *p, struct scim_error *err)
{
	size_t	 i;

	if ((p->ids = calloc(p->nops ? p->nops : 1, sizeof(*p->ids))) == NULL)
		return scim_oom(err);
	for (i = 0; i < p->nops; i++)
		if (p->ops[i].bulk_id != NULL && p->ops[i].method != NULL &&
		    strcmp(p->ops[i].method, "POST") == 0) {
			p->ids[p->nids].id = p->ops[i].bulk_id;
			p->ids[p->nids++].op = i;
		}
	qsort(p->ids, p->nids, sizeof(*p->ids), bulk_id_cmp);
	for (i = 1; i < p->nids; i++)
		if (strcmp(p->ids[i - 1].id, p->ids[i].id) == 0)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "bulkId %.200s is given to more than one POST",
			    p->ids[i].id);
	return SCIM_OK;
}

enum scim_err
bulk_plan(cJSON *req, size_t max_ops, struct bulk_plan *p,
    struct scim_error *err)
{
	const cJSON	*ops, *op;
	const char	*id;
	enum scim_err	 rc;
	size_t		 i;

	memset(p, 0, sizeof(*p));
	p->req = req;
	if (!bulk_is_request(req))
		return scim_fail(err, SCIM_E_INVALID_SYNTAX, "schemas must "
		    "hold %s", BULK_SCHEMA_REQUEST);
	ops = cJSON_GetObjectItem(req, "Operations");
	if (!cJSON_IsArray(ops))
		return scim_fail(err, SCIM_E_INVALID_SYNTAX,
		    "a BulkRequest needs Operations, an array");
	if ((rc = bulk_fail_on_errors(req, p, err)) != SCIM_OK)
		return rc;
	p->nops = (size_t)cJSON_GetArraySize(ops);
	if (p->nops > max_ops) {
		rc = scim_fail(err, SCIM_E_TOO_LARGE, "the number of "
		    "operations (%zu) exceeds the maxOperations (%zu)",
		    p->nops, max_ops);
		p->nops = 0;
		return rc;
	}
	if ((p->ops = calloc(p->nops ? p->nops : 1, sizeof(*p->ops))) == NULL)
		return scim_oom(err);
	i = 0;
	cJSON_ArrayForEach(op, ops) {
		if (!cJSON_IsObject(op))
			return scim_fail(err, SCIM_E_INVALID_SYNTAX,
			    "Operations[%zu] is not an object", i);
		bulk_read_op(op, &p->ops[i++]);
	}
	if ((rc = bulk_index_ids(p, err)) != SCIM_OK)
		return rc;
	for (i = 0; i < p->nops; i++) {
		if (p->ops[i].refused.code != SCIM_OK)
			continue;
		if (!bulk_scan_refs(p, &p->ops[i], p->ops[i].data) ||
		    ((id = bulk_path_ref(p->ops[i].path)) != NULL &&
		    !bulk_add_dep(p, &p->ops[i], id)))
			return scim_oom(err);
	}
	return bulk_order(p, err);
}

void
bulk_plan_free(struct bulk_plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nops && p->ops != NULL; i++) {
		free(p->ops[i].deps);
		free(p->ops[i].location);
		free(p->ops[i].etag);
		free(p->ops[i].new_id);
		cJSON_Delete(p->ops[i].response);
	}
	free(p->ops);
	free(p->ids);
	free(p->order);
	cJSON_Delete(p->req);
	memset(p, 0, sizeof(*p));
}

/* --- running --- */

/* The URL of path (relative to the service root); NULL: out of memory. */
static char *
bulk_location(const struct scim_call *c, const char *path)
{
	char	*s;

	if ((s = malloc(strlen(c->base_url) + strlen(path) + 2)) != NULL)
		sprintf(s, "%s%s%s", c->base_url, path[0] == '/' ? "" : "/",
		    path);
	return s;
}

/*
 * o failed with e: its status, the SCIM error as its response and,
 * unless it is a POST (section 3.7.3: a failed POST has none), the
 * location of the resource its path names.
 */
static enum scim_err
bulk_failed(const struct scim_call *c, struct bulk_op *o, const char *path,
    const struct scim_error *e, struct scim_error *err)
{
	struct http_resp	 resp;

	memset(&resp, 0, sizeof(resp));
	http_resp_error(&resp, e);
	o->status = resp.status;
	if ((o->response = resp.body) == NULL)
		return scim_oom(err);
	if (path != NULL && (o->method == NULL ||
	    strcmp(o->method, "POST") != 0) &&
	    (o->location = bulk_location(c, path)) == NULL)
		return scim_oom(err);
	return SCIM_OK;
}

/*
 * Replace every "bulkId:X" string under v (a copy of o's data) with the
 * id X's POST created (left as is when it created none).  False when
 * memory runs out.
 */
static bool
bulk_subst(const struct bulk_plan *p, cJSON *v)
{
	const char	*id;
	size_t		 j;
	cJSON		*c;

	if (cJSON_IsString(v)) {
		if ((id = bulk_ref(v->valuestring)) == NULL ||
		    (j = bulk_find(p, id)) == p->nops ||
		    p->ops[j].new_id == NULL)
			return true;
		return cJSON_SetValuestring(v, p->ops[j].new_id) != NULL;
	}
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		for (c = v->child; c != NULL; c = c->next)
			if (!bulk_subst(p, c))
				return false;
	return true;
}

/*
 * o's path with a trailing "bulkId:X" made X's new id, as sent when X
 * created nothing (the caller frees it).
 */
static char *
bulk_resolve_path(const struct bulk_plan *p, const struct bulk_op *o)
{
	const char	*id = bulk_path_ref(o->path);
	size_t		 j, n;
	char		*s;

	if (id == NULL || (j = bulk_find(p, id)) == p->nops ||
	    p->ops[j].new_id == NULL)
		return strdup(o->path);
	n = (size_t)(strrchr(o->path, '/') - o->path) + 1;
	if ((s = malloc(n + strlen(p->ops[j].new_id) + 1)) == NULL)
		return NULL;
	memcpy(s, o->path, n);
	strcpy(s + n, p->ops[j].new_id);
	return s;
}

/*
 * The first of o's references whose operation created nothing (it
 * failed, or was refused), worded into e; false when all resolve.
 */
static bool
bulk_unresolved(const struct bulk_plan *p, const struct bulk_op *o,
    struct scim_error *e)
{
	size_t	 k;

	for (k = 0; k < o->ndeps; k++)
		if (p->ops[o->deps[k]].new_id == NULL) {
			scim_fail(e, SCIM_E_CONFLICT, "bulkId %.200s cannot be "
			    "resolved: the operation that creates it failed",
			    p->ops[o->deps[k]].bulk_id);
			return true;
		}
	return false;
}

/*
 * Take the answer of o's successful run: status, version, location (a
 * POST's from the handler, else the service URL and path) and, for a
 * POST, the new id that references to it become.
 */
static enum scim_err
bulk_succeeded(const struct scim_call *c, struct bulk_op *o,
    const char *path, struct http_resp *resp, struct scim_error *err)
{
	const char	*slash;

	o->status = resp->status;
	o->etag = resp->etag;
	resp->etag = NULL;
	if (resp->location != NULL) {
		o->location = resp->location;
		resp->location = NULL;
	} else
		o->location = bulk_location(c, path);
	if (o->location == NULL)
		return scim_oom(err);
	if (strcmp(o->method, "POST") == 0 &&
	    ((slash = strrchr(o->location, '/')) == NULL ||
	    (o->new_id = strdup(slash + 1)) == NULL))
		return scim_oom(err);
	return SCIM_OK;
}

enum scim_err
bulk_resolve(const struct bulk_plan *p, const struct bulk_op *o, char **path,
    char **body, struct scim_error *err)
{
	cJSON	*data = NULL;

	*path = *body = NULL;
	if ((o->path != NULL && (*path = bulk_resolve_path(p, o)) == NULL) ||
	    (o->data != NULL && ((data = cJSON_Duplicate(o->data, true)) ==
	    NULL || !bulk_subst(p, data) ||
	    (*body = cJSON_PrintUnformatted(data)) == NULL))) {
		cJSON_Delete(data);
		free(*path);
		*path = NULL;
		return scim_oom(err);
	}
	cJSON_Delete(data);
	return SCIM_OK;
}

/* Run operation o (its references resolved first); its outcome into o. */
static enum scim_err
bulk_run_one(const struct scim_call *c, const struct bulk_plan *p,
    struct bulk_op *o, struct scim_error *err)
{
	struct scim_error	 e = { SCIM_OK, "" };
	struct crud_op		 op;
	struct http_resp	 resp;
	char			*path, *body;
	enum scim_err		 rc;

	o->done = true;
	memset(&resp, 0, sizeof(resp));
	if ((rc = bulk_resolve(p, o, &path, &body, err)) != SCIM_OK)
		return rc;
	if (o->refused.code != SCIM_OK || bulk_unresolved(p, o, &e)) {
		rc = bulk_failed(c, o, path, o->refused.code != SCIM_OK ?
		    &o->refused : &e, err);
		goto out;
	}
	op.method = o->method;
	op.path = path;
	op.body = body;
	op.body_len = body != NULL ? strlen(body) : 0;
	op.version = o->version;
	if (crud_run_op(c, &op, &resp, &e) == SCIM_OK)
		rc = bulk_succeeded(c, o, path, &resp, err);
	else
		rc = bulk_failed(c, o, path, &e, err);
out:
	http_resp_free(&resp);
	free(body);
	free(path);
	return rc;
}

enum scim_err
bulk_run(const struct scim_call *c, struct bulk_plan *p,
    struct scim_error *err)
{
	struct bulk_op	*o;
	enum scim_err	 rc;
	long		 errors = 0;
	size_t		 k;

	for (k = 0; k < p->nops; k++) {
		if (p->fail_on_errors > 0 && errors >= p->fail_on_errors)
			break;
		o = &p->ops[p->order[k]];
		if ((rc = bulk_run_one(c, p, o, err)) != SCIM_OK)
			return rc;
		if (o->status >= 400)
			errors++;
	}
	return SCIM_OK;
}

/* --- answering --- */

/* One Operations entry of the BulkResponse for o. */
static cJSON *
bulk_op_json(const struct bulk_op *o)
{
	cJSON	*j, *resp = NULL;
	char	 status[8];

	if ((j = cJSON_CreateObject()) == NULL)
		return NULL;
	/* A copy: the answer outlives the plan. */
	if (o->response != NULL &&
	    (resp = cJSON_Duplicate(o->response, true)) == NULL) {
		cJSON_Delete(j);
		return NULL;
	}
	snprintf(status, sizeof(status), "%d", o->status);
	if ((o->location != NULL &&
	    !cJSON_AddStringToObject(j, "location", o->location)) ||
	    (o->method != NULL &&
	    !cJSON_AddStringToObject(j, "method", o->method)) ||
	    (o->bulk_id != NULL &&
	    !cJSON_AddStringToObject(j, "bulkId", o->bulk_id)) ||
	    (o->etag != NULL &&
	    !cJSON_AddStringToObject(j, "version", o->etag)) ||
	    !cJSON_AddStringToObject(j, "status", status) ||
	    (resp != NULL && !cJSON_AddItemToObject(j, "response", resp))) {
		cJSON_Delete(resp);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

cJSON *
bulk_response(const struct bulk_plan *p)
{
	cJSON	*r, *a, *s, *j;
	size_t	 i;

	if ((r = cJSON_CreateObject()) == NULL ||
	    (s = cJSON_AddArrayToObject(r, "schemas")) == NULL ||
	    (a = cJSON_AddArrayToObject(r, "Operations")) == NULL)
		goto fail;
	cJSON_AddItemToArray(s, cJSON_CreateString(BULK_SCHEMA_RESPONSE));
	if (cJSON_GetArraySize(s) != 1)
		goto fail;
	for (i = 0; i < p->nops; i++) {
		if (!p->ops[i].done)
			continue;
		if ((j = bulk_op_json(&p->ops[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(a, j);
	}
	return r;
fail:
	cJSON_Delete(r);
	return NULL;
}

/*
 * When an operation of p got 503 and the brake held something in the
 * window, Retry-After on c's answer.  Reading the window may fail: the
 * answer then goes without the header (each held operation's detail
 * says when to retry anyway).
 */
static void
bulk_retry_after(struct scim_call *c, const struct bulk_plan *p)
{
	struct scim_error	 e = { SCIM_OK, "" };
	unsigned		 secs = 0;
	size_t			 i;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].done && p->ops[i].status == 503)
			break;
	if (i < p->nops && held_retry_now(c->ctx, c->auth.tenant, &secs,
	    &e) == SCIM_OK && secs > 0)
		http_resp_header(&c->resp, "Retry-After: %u", secs);
}

enum scim_err
bulk_post(struct scim_call *c, struct scim_error *err)
{
	const struct scim_config *cfg = &c->ctx->cfg;
	struct bulk_plan	 p;
	cJSON			*req;
	enum scim_err		 rc;

	memset(&p, 0, sizeof(p));
	if (c->req.body_len > bulk_max_payload(cfg))
		return scim_fail(err, SCIM_E_TOO_LARGE, "the size of the bulk "
		    "operation (%zu bytes) exceeds the maxPayloadSize (%zu)",
		    c->req.body_len, bulk_max_payload(cfg));
	if ((rc = http_body_json(&c->req, &req, err)) != SCIM_OK)
		return rc;
	if ((rc = bulk_plan(req, cfg->bulk_max_operations, &p, err)) ==
	    SCIM_OK && (rc = bulk_run(c, &p, err)) == SCIM_OK) {
		c->resp.status = 200;
		if ((c->resp.body = bulk_response(&p)) == NULL)
			rc = scim_oom(err);
		else
			bulk_retry_after(c, &p);
	}
	bulk_plan_free(&p);
	return rc;
}
