/*
 * GET /Users, /Groups and POST .search: a query's parameters parsed and
 * bounded (query_parse()), then planned (list_plan()): a page with no
 * filter and no sort reads only its records through the name index; a
 * filter that pins the id, the name or externalId reads through an index;
 * anything else scans the tenant's records, holding only the page's
 * matches.  Sorting happens after the scan, on every match (at most
 * [scim] max_sort of them: more is 400 tooMany), then the page is cut; back-references are read in
 * the scan's transaction when the page is known during it, else in a
 * second read.  Entries the answer shows whole are answered from their
 * stored text (crud_answer_text()), the others are parsed and rendered.
 *
 * Cursors (RFC 9865) page beside startIndex: a "cursor" parameter (empty
 * for the first page) walks the tenant in id order from the last id the
 * previous page returned (store_cursor_open(): sealed, tenant-bound,
 * STORE_CURSOR_TIMEOUT), so a resource that exists for the whole walk is
 * returned exactly once however many are created or deleted meanwhile;
 * each page reads only its own records (crud_cursor_fn()).  A previousCursor
 * walks backwards from the first id its page returned (crud_cursor_answer()
 * says which pages have one).
 *
 * OWNS: query planning, sort order, paging.  MUST NOT KNOW: how a record
 * is stored or rendered beyond resource.h, how back-references are found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "scim/crud-int.h"
#include "scim/crud-query-int.h"
#include "scim/filter.h"

/*
 * Is the pos'th match (1-based) on the page of count matches from start
 * (1-based)?  start >= 1 and count >= 0, as query_parse() leaves them.
 */
bool
crud_page_holds(long start, long count, size_t pos)
{
	return pos >= (size_t)start && pos < (size_t)start + (size_t)count;
}

/* One candidate: match it, count it, keep it when on the page. */
bool
crud_list_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct list_ctx	*lc = arg;

	(void)id;
	/*
	 * Records in the stored form carry the answer's "schemas"; older
	 * ones do not.  Filters and sorts see neither, as before.
	 */
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "schemas");
	if (lc->filter_backref) {
		lc->rc = members_load_backref(lc->t, lc->rt, lc->c->auth.tenant,
		    lc->c->base_url, obj, lc->err);
		if (lc->rc != SCIM_OK)
			return false;
	}
	if (lc->q->filter != NULL && !filter_match(lc->q->filter, obj))
		return true;
	lc->total++;
	/*
	 * A sorted query holds every match until the sort: past max_sort
	 * it is refused rather than hold the tenant in this worker.
	 */
	if (lc->q->sorted && lc->total > (size_t)lc->c->ctx->cfg.max_sort) {
		lc->rc = scim_fail(lc->err, SCIM_E_TOO_MANY, "more than %ld "
		    "resources match a query with sortBy (max_sort): narrow "
		    "the filter, or drop sortBy and page through the results",
		    lc->c->ctx->cfg.max_sort);
		return false;
	}
	if (lc->q->sorted ||
	    crud_page_holds(lc->q->start, lc->q->count, lc->total)) {
		if (lc->page_backref && (lc->rc = members_load_backref(lc->t,
		    lc->rt, lc->c->auth.tenant, lc->c->base_url, obj,
		    lc->err)) != SCIM_OK)
			return false;
		cJSON_AddItemToArray(lc->page, obj);
		*keep = true;
	}
	return true;
}

/*
 * Add r's record to lc->page answered from its stored text (a raw item,
 * rendered already), when resource_answer() can: *added says whether it
 * did; r->refs is consumed then.
 */
static enum scim_err
page_add_answer(struct list_ctx *lc, struct read_ctx *r, bool *added,
    struct scim_error *err)
{
	cJSON	*item;
	char	*body, *ver;

	*added = false;
	if ((body = crud_answer_text(r, &ver)) == NULL)
		return SCIM_OK;
	free(ver);
	/*
	 * The item takes body as it is: cJSON_CreateRaw() would copy it, a
	 * malloc, a copy and a free a record.  cJSON_Delete() frees a
	 * valuestring with free() (the program installs no cJSON hooks).
	 */
	if ((item = cJSON_CreateNull()) == NULL) {
		free(body);
		return scim_oom(err);
	}
	item->type = cJSON_Raw;
	item->valuestring = body;
	cJSON_AddItemToArray(lc->page, item);
	*added = true;
	return SCIM_OK;
}

/*
 * Read the records of ids[0..nids) into lc->page, in order.  One the
 * answer shows whole is answered from its stored text; the others are
 * parsed for rendering, with their back-reference when it is shown.
 */
enum scim_err
crud_page_read_ids(struct store_txn *t, struct list_ctx *lc,
    char (*ids)[STORE_ID_MAX + 1], size_t nids, struct scim_error *err)
{
	struct read_ctx	 r = { lc->c, lc->rt, NULL, lc->page_backref, NULL, 0,
			    { NULL, NULL, 0 } };
	cJSON		*item;
	enum scim_err	 rc = SCIM_OK;
	size_t		 i;
	bool		 added = false;

	for (i = 0; rc == SCIM_OK && i < nids; i++) {
		r.id = ids[i];
		if ((rc = crud_read_one(t, &r, err)) == SCIM_E_NOT_FOUND) {
			rc = SCIM_OK;	/* cannot be: the index moves with it */
			continue;
		}
		if (rc == SCIM_OK && lc->shows_whole)
			rc = page_add_answer(lc, &r, &added, err);
		if (rc == SCIM_OK && !added &&
		    (rc = crud_parse_record(&r, &item, err)) == SCIM_OK)
			cJSON_AddItemToArray(lc->page, item);
	}
	crud_read_clear(&r);
	return rc;
}

/* An unfiltered, unsorted page: its ids from the name index, then read. */
static enum scim_err
list_page(struct store_txn *t, struct list_ctx *lc, struct scim_error *err)
{
	char		(*ids)[STORE_ID_MAX + 1] = NULL;
	size_t		 nids = 0;
	enum scim_err	 rc;

	if (lc->q->count > 0 &&
	    (ids = calloc((size_t)lc->q->count, sizeof(*ids))) == NULL)
		return scim_oom(err);
	rc = store_page_ids(t, lc->rt->kind, lc->c->auth.tenant,
	    (size_t)lc->q->start - 1, (size_t)lc->q->count, &lc->total, ids,
	    &nids, err);
	if (rc == SCIM_OK)
		rc = crud_page_read_ids(t, lc, ids, nids, err);
	free(ids);
	return rc;
}

/*
 * The filter pins resource id (an index hit): read it.  When it matches
 * for sure and the answer shows all of it, it is answered from its stored
 * text, as list_page() does; else it is parsed and matched as a scan
 * would.
 */
static enum scim_err
list_one(struct store_txn *t, struct list_ctx *lc, const char *id,
    struct scim_error *err)
{
	struct read_ctx	 r = { lc->c, lc->rt, id, lc->whole && lc->want_backref,
			    NULL, 0, { NULL, NULL, 0 } };
	cJSON		*obj = NULL;
	bool		 added = false, keep = false;
	enum scim_err	 rc;

	/* The back-reference, when the answer may be whole, read with it. */
	if ((rc = crud_read_one(t, &r, err)) == SCIM_E_NOT_FOUND)
		rc = SCIM_OK;
	else if (rc == SCIM_OK && lc->whole &&
	    resource_answerable(r.text, r.len)) {
		rc = page_add_answer(lc, &r, &added, err);
		if (added)
			lc->total = 1;
	}
	if (rc == SCIM_OK && r.text != NULL && !added) {
		/* crud_list_each() reads them if shown */
		members_ref_clear(&r.refs);
		rc = crud_parse_record(&r, &obj, err);
	}
	crud_read_clear(&r);
	if (rc != SCIM_OK || obj == NULL)
		return rc;
	crud_list_each(lc, id, obj, &keep);
	if (!keep)
		cJSON_Delete(obj);
	return lc->rc;
}

enum scim_err
crud_list_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct list_ctx	*lc = arg;
	const struct filter *f = lc->q->filter;
	const char	*hint;
	char		 id[STORE_ID_MAX + 1];
	enum scim_err	 rc;

	cJSON_Delete(lc->page);
	lc->total = 0;
	lc->t = t;
	lc->rc = SCIM_OK;
	lc->err = err;
	if ((lc->page = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	if ((rc = crud_token_txn(t, lc->c, err)) != SCIM_OK)
		return rc;
	/* No filter, no sort: read only the records on the page. */
	if (f == NULL && !lc->q->sorted)
		return list_page(t, lc, err);
	/* Use an index when the filter pins the id, the name or externalId. */
	if (f != NULL && ((hint = filter_eq_hint(f, "id")) != NULL ||
	    (hint = filter_eq_hint(f, lc->rt->name_attr)) != NULL)) {
		if (filter_eq_hint(f, "id") == NULL) {
			rc = store_find_name(t, lc->rt->kind,
			    lc->c->auth.tenant, hint, id, err);
			if (rc == SCIM_E_NOT_FOUND)
				return SCIM_OK;
			if (rc != SCIM_OK)
				return rc;
			hint = id;
		}
		return list_one(t, lc, hint, err);
	} else if (f != NULL &&
	    (hint = filter_eq_hint(f, "externalId")) != NULL)
		rc = store_scan_external(t, lc->rt->kind, lc->c->auth.tenant,
		    hint, crud_list_each, lc, err);
	else
		rc = store_scan(t, lc->rt->kind, lc->c->auth.tenant, crud_list_each,
		    lc, err);
	if (rc != SCIM_OK)
		return rc;
	return lc->rc;
}

/* The first value at a sort path (multi-valued: the primary, else first). */
const cJSON *
crud_sort_value(const struct schema_path *p, const cJSON *res)
{
	const cJSON	*v, *e, *prim;

	v = p->ext_urn ? cJSON_GetObjectItem(res, p->ext_urn) : res;
	v = cJSON_GetObjectItem(v, p->attr_name);
	if (cJSON_IsArray(v)) {
		e = v->child;
		cJSON_ArrayForEach(prim, v)
			if (cJSON_IsTrue(cJSON_GetObjectItem(prim, "primary")))
				e = prim;
		v = e;
	}
	if (p->sub_name[0] != '\0')
		v = cJSON_GetObjectItem(v, p->sub_name);
	else if (cJSON_IsObject(v))
		v = cJSON_GetObjectItem(v, "value");
	return (v == NULL || cJSON_IsNull(v)) ? NULL : v;
}

static const struct query	*sort_q;	/* for qsort's comparator */

static int
sort_cmp(const void *a, const void *b)
{
	const cJSON		*x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
	const struct schema_attr *d = sort_q->sort.sub ? sort_q->sort.sub :
				    sort_q->sort.attr;
	const cJSON		*vx = crud_sort_value(&sort_q->sort, x);
	const cJSON		*vy = crud_sort_value(&sort_q->sort, y);
	int			 r;

	/* Absent values go last in either order. */
	if (vx == NULL || vy == NULL)
		return (vx == NULL) - (vy == NULL);
	r = filter_compare(vx, vy, d ? d->type : ATTR_STRING,
	    d ? d->case_exact : false);
	return sort_q->descending ? -r : r;
}

/* Sort lc->page and cut it to the requested page. */
static enum scim_err
sort_and_cut(struct list_ctx *lc, struct scim_error *err)
{
	cJSON	**v, *e, *page;
	size_t	 n = (size_t)cJSON_GetArraySize(lc->page), i = 0;

	if (n == 0)
		return SCIM_OK;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return scim_oom(err);
	while ((e = cJSON_DetachItemFromArray(lc->page, 0)) != NULL)
		v[i++] = e;
	sort_q = lc->q;
	qsort(v, n, sizeof(*v), sort_cmp);
	page = lc->page;
	for (i = 0; i < n; i++) {
		if (crud_page_holds(lc->q->start, lc->q->count, i + 1))
			cJSON_AddItemToArray(page, v[i]);
		else
			cJSON_Delete(v[i]);
	}
	free(v);
	return SCIM_OK;
}

static enum scim_err
backrefs_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct list_ctx	*lc = arg;
	cJSON		*e;
	enum scim_err	 rc;

	cJSON_ArrayForEach(e, lc->page)
		if ((rc = members_load_backref(t, lc->rt, lc->c->auth.tenant,
		    lc->c->base_url, e, err)) != SCIM_OK)
			return rc;
	return SCIM_OK;
}

/*
 * Plan the query q of call c into lc: its attribute lists parsed (freed
 * by attrsel_free(&lc->sel) whatever this returns), which
 * back-references to read and when, and whether entries may be answered
 * from their stored text.  False when memory is short.
 */
static bool
list_plan(struct list_ctx *lc, struct scim_call *c, struct query *q)
{
	bool	 exact;

	memset(lc, 0, sizeof(*lc));
	lc->c = c;
	lc->rt = crud_rt_of(c);
	lc->q = q;
	if (!attrsel_parse(lc->rt, q->attributes, q->excluded, &lc->sel))
		return false;
	lc->filter_backref = q->filter != NULL &&
	    filter_uses(q->filter, lc->rt->backref);
	lc->want_backref = resource_wants_sel(lc->rt, lc->rt->backref,
	    &lc->sel) != 0;
	/*
	 * Unsorted, the page is known during the scan: read its back-
	 * references in the same transaction instead of a second one.
	 */
	lc->page_backref = lc->want_backref && !lc->filter_backref &&
	    !q->sorted;
	lc->shows_whole = crud_answers_whole(lc->rt, q->attributes,
	    q->excluded);
	lc->whole = !q->sorted && q->start == 1 && q->count >= 1 &&
	    lc->shows_whole &&
	    (filter_eq_only(q->filter, "id", &exact) != NULL ||
	    (filter_eq_only(q->filter, lc->rt->name_attr, &exact) != NULL &&
	    !exact));
	return true;
}

/*
 * The page's entries rendered, in order, into *out (a new array, the
 * caller's); lc->page is emptied: each entry is rendered from its own
 * members and consumed.
 */
static enum scim_err
list_render(struct list_ctx *lc, cJSON **out, struct scim_error *err)
{
	cJSON			*e, *r;

	if ((*out = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	while ((e = lc->page->child) != NULL) {
		cJSON_DetachItemViaPointer(lc->page, e);
		if (cJSON_IsRaw(e)) {	/* answered from its stored text */
			cJSON_AddItemToArray(*out, e);
			continue;
		}
		if (!lc->want_backref)
			cJSON_DeleteItemFromObjectCaseSensitive(e,
			    lc->rt->backref);
		r = resource_render_take_sel(lc->rt, e, lc->c->base_url,
		    &lc->sel);
		if (r == NULL) {
			cJSON_Delete(*out);
			*out = NULL;
			return scim_oom(err);
		}
		cJSON_AddItemToArray(*out, r);
	}
	return SCIM_OK;
}

/* Run the parsed query q and answer with its ListResponse. */
static enum scim_err
run_query(struct scim_call *c, struct query *q, struct scim_error *err)
{
	struct list_ctx	 lc;
	cJSON		*out = NULL;
	enum scim_err	 rc;

	if (!list_plan(&lc, c, q)) {
		rc = scim_oom(err);
		goto out;
	}
	if (q->cursor != NULL && (rc = crud_cursor_begin(c, q, err)) != SCIM_OK)
		goto out;
	if ((rc = store_read(c->ctx->store, q->cursor != NULL ? crud_cursor_fn :
	    crud_list_fn, &lc, err)) != SCIM_OK)
		goto out;
	if (q->sorted && (rc = sort_and_cut(&lc, err)) != SCIM_OK)
		goto out;
	if (lc.want_backref && !lc.filter_backref && !lc.page_backref &&
	    (rc = store_read(c->ctx->store, backrefs_fn, &lc, err)) !=
	    SCIM_OK)
		goto out;
	if ((rc = list_render(&lc, &out, err)) != SCIM_OK)
		goto out;
	if ((c->resp.body = service_list_response(lc.total,
	    (size_t)q->start, out)) == NULL)
		rc = scim_oom(err);
	else if (q->cursor != NULL)
		rc = crud_cursor_answer(c, q, &lc, err);
out:
	attrsel_free(&lc.sel);
	cJSON_Delete(lc.page);
	return rc;
}

/*
 * Fill q from the query parameters (or the .search body's strings).
 * startIndex < 1 means 1; count < 0 means 0; count above max_results is
 * cut to it (RFC 7644 section 3.4.2.4; RFC 9865 section 4 maxPageSize,
 * "regardless of what is specified for the count").  With q->cursor set,
 * startIndex is refused (two paging methods at once) and so is sortBy:
 * a cursor walks in id order, the one order that stays put while
 * resources are created, renamed and deleted (RFC 9865 section 2.2 asks
 * sorted cursor pages only where sorting is implemented for them).
 */
static enum scim_err
query_parse(struct scim_call *c, struct query *q, const char *filter,
    const char *start, const char *count, const char *sort_by,
    const char *sort_order, struct scim_error *err)
{
	const struct resource_type	*rt = crud_rt_of(c);
	enum scim_err		 rc;
	long			 n;

	q->start = 1;
	q->count = c->ctx->cfg.default_count;
	q->filter_text = filter;
	if (q->cursor != NULL && start != NULL)
		return scim_fail(err, SCIM_E_INVALID_VALUE, "startIndex and "
		    "cursor are two ways to page (RFC 9865 section 2.4): "
		    "send one of them");
	if (q->cursor != NULL && sort_by != NULL && *sort_by != '\0')
		return scim_fail(err, SCIM_E_INVALID_VALUE, "sortBy is not "
		    "supported with cursor: cursor pages come in a stable "
		    "server order; use startIndex paging to sort");
	if (start != NULL) {
		if (!util_parse_long(start, -(1L << 62), 1L << 62, &n))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "startIndex must be an integer");
		q->start = n < 1 ? 1 : n;
	}
	if (count != NULL) {
		if (!util_parse_long(count, -(1L << 62), 1L << 62, &n))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "count must be an integer");
		q->count = n < 0 ? 0 : n;
	}
	if (q->count > c->ctx->cfg.max_results)
		q->count = c->ctx->cfg.max_results;
	if (sort_by != NULL && *sort_by != '\0') {
		rc = schema_resolve(rt, sort_by, strlen(sort_by), &q->sort,
		    err);
		if (rc != SCIM_OK)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "sortBy: %s", err->detail);
		q->sorted = true;
	}
	if (sort_order != NULL) {
		if (strcasecmp(sort_order, "descending") == 0)
			q->descending = true;
		else if (strcasecmp(sort_order, "ascending") != 0)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "sortOrder must be \"ascending\" or "
			    "\"descending\"");
	}
	if (filter != NULL && *filter != '\0')
		return filter_parse(filter, rt, &q->filter, err);
	return SCIM_OK;
}

enum scim_err
crud_list(struct scim_call *c, struct scim_error *err)
{
	struct query	 q;
	const struct http_req *r = &c->req;
	enum scim_err	 rc;

	memset(&q, 0, sizeof(q));
	q.attributes = http_param(r, "attributes");
	q.excluded = http_param(r, "excludedAttributes");
	q.cursor = http_param(r, "cursor");
	rc = query_parse(c, &q, http_param(r, "filter"),
	    http_param(r, "startIndex"), http_param(r, "count"),
	    http_param(r, "sortBy"), http_param(r, "sortOrder"), err);
	if (rc == SCIM_OK)
		rc = run_query(c, &q, err);
	filter_free(q.filter);
	return rc;
}

/* A SearchRequest member as a string: numbers printed, arrays joined. */
char *
crud_search_str(const cJSON *body, const char *name, bool *bad)
{
	const cJSON	*v = cJSON_GetObjectItem(body, name), *e;
	char		 buf[64], *s = NULL, *ns;
	size_t		 len = 0, n;

	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsNumber(v)) {
		snprintf(buf, sizeof(buf), "%.0f", v->valuedouble);
		return strdup(buf);
	}
	if (cJSON_IsArray(v)) {
		if ((s = strdup("")) == NULL)
			return NULL;
		cJSON_ArrayForEach(e, v) {
			if (!cJSON_IsString(e)) {
				*bad = true;
				break;
			}
			n = strlen(e->valuestring);
			if ((ns = realloc(s, len + n + 2)) == NULL) {
				free(s);
				return NULL;
			}
			s = ns;
			if (len > 0)
				s[len++] = ',';
			memcpy(s + len, e->valuestring, n + 1);
			len += n;
		}
		return s;
	}
	*bad = true;
	return NULL;
}

enum scim_err
crud_search(struct scim_call *c, struct scim_error *err)
{
	static const char *const names[] = { "filter", "startIndex", "count",
	    "sortBy", "sortOrder", "attributes", "excludedAttributes",
	    "cursor" };
	char		*v[8] = { NULL };
	struct query	 q;
	cJSON		*body = NULL;
	enum scim_err	 rc;
	bool		 bad = false;
	size_t		 i;

	memset(&q, 0, sizeof(q));
	if ((rc = http_body_json(&c->req, &body, err)) != SCIM_OK)
		return rc;
	for (i = 0; i < 8; i++)
		v[i] = crud_search_str(body, names[i], &bad);
	if (bad) {
		rc = scim_fail(err, SCIM_E_INVALID_VALUE,
		    "a SearchRequest member has the wrong type");
		goto out;
	}
	q.attributes = v[5];
	q.excluded = v[6];
	q.cursor = v[7];	/* RFC 9865 section 3: in the body */
	rc = query_parse(c, &q, v[0], v[1], v[2], v[3], v[4], err);
	if (rc == SCIM_OK)
		rc = run_query(c, &q, err);
out:
	for (i = 0; i < 8; i++)
		free(v[i]);
	filter_free(q.filter);
	cJSON_Delete(body);
	return rc;
}
