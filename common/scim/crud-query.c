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
 * each page reads only its own records (cursor_fn()).  A previousCursor
 * walks backwards from the first id its page returned (cursor_answer()
 * says which pages have one).
 *
 * OWNS: query planning, sort order, paging.  MUST NOT KNOW: how a record
 * is stored or rendered beyond resource.h, how back-references are found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <nettle/sha2.h>

#include "base/util.h"
#include "scim/crud-int.h"
#include "scim/filter.h"

/* A parsed query: what matches, which page, in what order, shown how. */
struct query {
	struct filter		*filter;
	long			 start;		/* 1-based */
	long			 count;
	struct schema_path	 sort;
	bool			 sorted;
	bool			 descending;
	const char		*attributes;
	const char		*excluded;
	const char		*filter_text;	/* as sent */
	const char		*cursor;	/* RFC 9865 "cursor", NULL: none
						   ("": the first page) */
	struct store_cursor	 cur;		/* where the walk goes on */
};

/*
 * Most records a filtered cursor page examines: past them the page is
 * answered short, with a nextCursor from the last one examined (RFC 9865
 * section 2: a provider "MAY return fewer results"), so a sparse filter
 * costs bounded work per request instead of a walk of the tenant.
 */
#define CURSOR_EXAMINE_MAX	10000

/*
 * One run of a query: its plan (list_plan()) and, out, the matches the
 * transaction found; list_fn() resets the outputs, as it may run again.
 */
struct list_ctx {
	struct scim_call	*c;
	const struct resource_type	*rt;
	struct query		*q;
	struct store_txn	*t;
	bool			 filter_backref; /* filter reads it */
	bool			 want_backref;	/* output shows it */
	bool			 page_backref;	/* load it for page entries in
						   the scan's transaction */
	size_t			 total;
	cJSON			*page;		/* out: matching, in order */
	struct attrsel		 sel;		/* q's lists, parsed once for
						   every entry rendered */
	bool			 shows_whole;	/* crud_answers_whole() */
	bool			 whole;		/* and a filter that an index
						   hit matches, a page of it */
	bool			 no_total;	/* out: total unknown (cursor
						   page of a filter) */
	bool			 pinned;	/* out: a cursor query answered
						   whole from an index */
	bool			 more;		/* out: a cursor walk goes on
						   (backwards: past lo) */
	char			 lo[STORE_ID_MAX + 1]; /* out: lowest and */
	char			 hi[STORE_ID_MAX + 1]; /* highest id that a
						   cursor page covers */
	size_t			 examined;	/* by a cursor walk */
	enum scim_err		 rc;
	struct scim_error	*err;
};

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
static bool
list_each(void *arg, const char *id, cJSON *obj, bool *keep)
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
	item = cJSON_CreateRaw(body);
	free(body);
	if (item == NULL)
		return scim_oom(err);
	cJSON_AddItemToArray(lc->page, item);
	*added = true;
	return SCIM_OK;
}

/*
 * crud_read_one() of r, a user's groups read with its record when they
 * are wanted (members_read_with_backref(): one descent of users.db, not
 * two; a page makes 100 of them).
 */
static enum scim_err
page_read_one(struct store_txn *t, struct read_ctx *r, struct scim_error *err)
{
	if (!r->backref)
		return crud_read_one(t, r, err);
	crud_read_clear(r);
	return members_read_with_backref(t, r->rt, r->c->auth.tenant,
	    r->c->base_url, r->id, &r->text, &r->len, &r->refs, err);
}

/*
 * Read the records of ids[0..nids) into lc->page, in order.  One the
 * answer shows whole is answered from its stored text; the others are
 * parsed for rendering, with their back-reference when it is shown.
 */
static enum scim_err
page_read_ids(struct store_txn *t, struct list_ctx *lc,
    char (*ids)[STORE_ID_MAX + 1], size_t nids, struct scim_error *err)
{
	struct read_ctx	 r = { lc->c, lc->rt, NULL, lc->page_backref, NULL, 0,
			    NULL };
	cJSON		*item;
	enum scim_err	 rc = SCIM_OK;
	size_t		 i;
	bool		 added = false;

	for (i = 0; rc == SCIM_OK && i < nids; i++) {
		r.id = ids[i];
		if ((rc = page_read_one(t, &r, err)) == SCIM_E_NOT_FOUND) {
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
		rc = page_read_ids(t, lc, ids, nids, err);
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
			    NULL, 0, NULL };
	cJSON		*obj = NULL;
	bool		 added = false, keep = false;
	enum scim_err	 rc;

	/* The back-reference, when the answer may be whole, read with it. */
	if ((rc = page_read_one(t, &r, err)) == SCIM_E_NOT_FOUND)
		rc = SCIM_OK;
	else if (rc == SCIM_OK && lc->whole &&
	    resource_answerable(r.text, r.len)) {
		rc = page_add_answer(lc, &r, &added, err);
		if (added)
			lc->total = 1;
	}
	if (rc == SCIM_OK && r.text != NULL && !added) {
		cJSON_Delete(r.refs);	/* list_each() reads them if shown */
		r.refs = NULL;
		rc = crud_parse_record(&r, &obj, err);
	}
	crud_read_clear(&r);
	if (rc != SCIM_OK || obj == NULL)
		return rc;
	list_each(lc, id, obj, &keep);
	if (!keep)
		cJSON_Delete(obj);
	return lc->rc;
}

static enum scim_err
list_fn(struct store_txn *t, void *arg, struct scim_error *err)
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
		    hint, list_each, lc, err);
	else
		rc = store_scan(t, lc->rt->kind, lc->c->auth.tenant, list_each,
		    lc, err);
	if (rc != SCIM_OK)
		return rc;
	return lc->rc;
}

/* --- cursors (RFC 9865) --- */

/* The ids of a cursor page, and one more: does the walk go on? */
struct cursor_ids {
	char		(*ids)[STORE_ID_MAX + 1];
	size_t		 n, want;
};

static bool
cursor_id_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct cursor_ids	*ci = arg;

	(void)obj; (void)keep;
	snprintf(ci->ids[ci->n++], STORE_ID_MAX + 1, "%s", id);
	return ci->n < ci->want;
}

/*
 * Note id, met by a cursor walk, in the span the page covers: forwards
 * the first one met is its lowest, backwards its highest.
 */
static void
cursor_span(struct list_ctx *lc, const char *id)
{
	bool	 back = lc->q->cur.backward;

	if ((back ? lc->hi : lc->lo)[0] == '\0')
		snprintf(back ? lc->hi : lc->lo, sizeof(lc->lo), "%s", id);
	snprintf(back ? lc->lo : lc->hi, sizeof(lc->lo), "%s", id);
}

/*
 * One record of a filtered cursor walk: matched as a scan would
 * (list_each() keeps the first count matches: a cursor page starts at
 * 1).  The walk stops at the match after a full page, which belongs to
 * the next page, or when CURSOR_EXAMINE_MAX were examined; either way it
 * goes on (lc->more) past the last one the page covers.
 */
static bool
cursor_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct list_ctx	*lc = arg;

	if (!list_each(lc, id, obj, keep))
		return false;		/* lc->rc says why */
	if (lc->total > (size_t)lc->q->count) {
		lc->more = true;
		return false;
	}
	cursor_span(lc, id);
	if (++lc->examined >= CURSOR_EXAMINE_MAX) {
		lc->more = true;
		return false;
	}
	return true;
}

/* Walk q's cursor's way from its position: after it, or before it. */
static enum scim_err
cursor_walk(struct store_txn *t, struct list_ctx *lc, bool ids_only,
    store_scan_fn fn, void *arg, struct scim_error *err)
{
	const struct store_cursor *cur = &lc->q->cur;

	return (cur->backward ? store_scan_before : store_scan_after)(t,
	    lc->rt->kind, lc->c->auth.tenant, cur->at, ids_only, fn, arg,
	    err);
}

/* Turn ids[0..n) around: a backward walk meets a page last id first. */
static void
ids_reverse(char (*ids)[STORE_ID_MAX + 1], size_t n)
{
	char	 tmp[STORE_ID_MAX + 1];
	size_t	 i;

	for (i = 0; n > 0 && i < n - 1 - i; i++) {
		memcpy(tmp, ids[i], sizeof(tmp));
		memcpy(ids[i], ids[n - 1 - i], sizeof(tmp));
		memcpy(ids[n - 1 - i], tmp, sizeof(tmp));
	}
}

/* An unfiltered cursor page: count + 1 ids past the cursor, then read. */
static enum scim_err
cursor_page(struct store_txn *t, struct list_ctx *lc, struct scim_error *err)
{
	struct cursor_ids	 ci = { NULL, 0, (size_t)lc->q->count + 1 };
	size_t			 i;
	enum scim_err		 rc;

	if ((rc = store_count(t, lc->rt->kind, lc->c->auth.tenant,
	    &lc->total, err)) != SCIM_OK || lc->q->count == 0)
		return rc;
	if ((ci.ids = calloc(ci.want, sizeof(*ci.ids))) == NULL)
		return scim_oom(err);
	rc = cursor_walk(t, lc, true, cursor_id_each, &ci, err);
	if (rc == SCIM_OK && ci.n > (size_t)lc->q->count) {
		lc->more = true;
		ci.n = (size_t)lc->q->count;
	}
	if (lc->q->cur.backward)
		ids_reverse(ci.ids, ci.n);
	for (i = 0; i < ci.n; i++)
		cursor_span(lc, ci.ids[lc->q->cur.backward ? ci.n - 1 - i : i]);
	if (rc == SCIM_OK)
		rc = page_read_ids(t, lc, ci.ids, ci.n, err);
	free(ci.ids);
	return rc;
}

/*
 * Turn lc->page around, for a page walked backwards: each entry in turn
 * to the front (a page is at most max_results long).
 */
static void
page_reverse(struct list_ctx *lc)
{
	cJSON	*e;
	int	 i, n = cJSON_GetArraySize(lc->page);

	for (i = 1; i < n; i++)
		if ((e = cJSON_DetachItemFromArray(lc->page, i)) != NULL)
			cJSON_InsertItemInArray(lc->page, 0, e);
}

/*
 * A cursor page: after lc->q->cur.at in id order, or for a
 * previousCursor the page before it.  A filter that pins one resource
 * (id, the name) is answered from its index as list_fn() does, whole,
 * with no cursor to follow.  Another filter is matched on the walk and
 * its totalResults is left out: counting it is the walk of the tenant a
 * cursor avoids (RFC 9865 section 2: a provider "unable to estimate
 * totalResults MAY choose to omit" it).
 */
static enum scim_err
cursor_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct list_ctx	*lc = arg;
	const struct filter *f = lc->q->filter;
	enum scim_err	 rc;

	lc->pinned = f != NULL && (filter_eq_hint(f, "id") != NULL ||
	    filter_eq_hint(f, lc->rt->name_attr) != NULL);
	if (lc->pinned)
		return list_fn(t, arg, err);
	cJSON_Delete(lc->page);
	lc->total = lc->examined = 0;
	lc->t = t;
	lc->rc = SCIM_OK;
	lc->err = err;
	lc->more = false;
	lc->lo[0] = lc->hi[0] = '\0';
	lc->no_total = f != NULL;
	if ((lc->page = cJSON_CreateArray()) == NULL)
		return scim_oom(err);
	if ((rc = crud_token_txn(t, lc->c, err)) != SCIM_OK)
		return rc;
	if (f == NULL)
		return cursor_page(t, lc, err);
	if (lc->q->count == 0)
		return SCIM_OK;
	rc = cursor_walk(t, lc, false, cursor_each, lc, err);
	if (rc == SCIM_OK && lc->q->cur.backward)
		page_reverse(lc);
	return rc != SCIM_OK ? rc : lc->rc;
}

static enum scim_err
cursor_key_read(struct store_txn *t, void *arg, struct scim_error *err)
{
	return store_cursor_key(t, false, arg, err);
}

static enum scim_err
cursor_key_make(struct store_txn *t, void *arg, struct scim_error *err)
{
	return store_cursor_key(t, true, arg, err);
}

/*
 * This install's cursor key, read once per process (it never changes),
 * made by the first request that needs it.  Returns a pointer to the
 * process's copy, or NULL with err set.
 */
static const uint8_t *
cursor_key(struct scim_call *c, struct scim_error *err)
{
	static uint8_t	 key[STORE_CURSOR_KEY_LEN];
	static bool	 have;
	enum scim_err	 rc;

	if (have)
		return key;
	rc = store_read(c->ctx->store, cursor_key_read, key, err);
	if (rc == SCIM_E_NOT_FOUND)
		rc = store_run(c->ctx->store, cursor_key_make, key, err);
	if (rc != SCIM_OK)
		return NULL;
	have = true;
	return key;
}

/*
 * Where q's walk goes on: the first page ("" cursor), or the position its
 * cursor holds, checked: sealed by this install for this tenant and this
 * kind (else 400 invalidCursor), for the same filter (the client MUST
 * repeat the query, RFC 9865 section 2; invalidCursor), with the same
 * count (invalidCount), younger than STORE_CURSOR_TIMEOUT
 * (expiredCursor).  The errors are RFC 9865 section 2.1's.
 */
static enum scim_err
cursor_begin(struct scim_call *c, struct query *q, struct scim_error *err)
{
	const struct resource_type *rt = crud_rt_of(c);
	const uint8_t	*key;
	struct sha256_ctx sh;
	uint8_t		 d[SHA256_DIGEST_SIZE];
	struct store_cursor got;

	if ((key = cursor_key(c, err)) == NULL)
		return err->code;
	sha256_init(&sh);
	sha256_update(&sh, strlen(rt->name) + 1, (const uint8_t *)rt->name);
	if (q->filter_text != NULL)
		sha256_update(&sh, strlen(q->filter_text),
		    (const uint8_t *)q->filter_text);
	sha256_digest(&sh, sizeof(d), d);
	memset(&q->cur, 0, sizeof(q->cur));
	q->cur.kind = rt->kind;
	q->cur.count = (uint32_t)q->count;
	memcpy(q->cur.query, d, STORE_CURSOR_QLEN);
	if (*q->cursor == '\0')
		return SCIM_OK;
	switch (store_cursor_open(key, c->auth.tenant, q->cursor,
	    (uint64_t)time(NULL), STORE_CURSOR_TIMEOUT, &got)) {
	case STORE_CURSOR_EXPIRED:
		return scim_fail(err, SCIM_E_EXPIRED_CURSOR, "the cursor is "
		    "older than cursorTimeout (%d seconds): start again with "
		    "an empty cursor", STORE_CURSOR_TIMEOUT);
	case STORE_CURSOR_OK:
		if (got.kind == rt->kind &&
		    memcmp(got.query, q->cur.query, STORE_CURSOR_QLEN) == 0)
			break;
		/* FALLTHROUGH */
	default:
		return scim_fail(err, SCIM_E_INVALID_CURSOR, "the cursor is "
		    "not a nextCursor or previousCursor of this query: send an "
		    "empty cursor for the first page, then a page's "
		    "nextCursor or previousCursor with the query unchanged");
	}
	if (got.count != q->cur.count)
		return scim_fail(err, SCIM_E_INVALID_COUNT, "count must stay "
		    "%u, the count of the walk's first page",
		    (unsigned)got.count);
	q->cur.backward = got.backward;
	memcpy(q->cur.at, got.at, sizeof(q->cur.at));
	return SCIM_OK;
}

/* Seal cur as the member name of c's answer (nextCursor, previousCursor). */
static enum scim_err
cursor_add(struct scim_call *c, const char *name,
    const struct store_cursor *cur, struct scim_error *err)
{
	const uint8_t	*key;
	char		 text[STORE_CURSOR_TEXT_MAX];

	if ((key = cursor_key(c, err)) == NULL)
		return err->code;
	if (!store_cursor_seal(key, c->auth.tenant, cur, text, sizeof(text)))
		return scim_fail(err, SCIM_E_INTERNAL, "cursor too long");
	if (cJSON_AddStringToObject(c->resp.body, name, text) == NULL)
		return scim_oom(err);
	return SCIM_OK;
}

/*
 * Make the ListResponse body a cursor page's: no startIndex, no
 * totalResults when it is unknown, a nextCursor unless the walk is over
 * (RFC 9865 section 2: its absence is what says so) and a previousCursor
 * unless the page is the first (which "MUST NOT" have one).
 *
 * The page covers ids lo..hi (what its walk met, matching or not).  A
 * page walked forwards from a position gets the next page after hi when
 * the walk stopped short, and the page before lo unless it began at the
 * start (met nothing: before the end, as there is nothing after).  A
 * page walked backwards gets the page before lo when its walk stopped
 * short, else it is the first page; and the page after hi unless it was
 * the last (met nothing: from the start, as there is nothing before).
 */
static enum scim_err
cursor_answer(struct scim_call *c, struct query *q, struct list_ctx *lc,
    struct scim_error *err)
{
	struct store_cursor	 next = q->cur, prev = q->cur;
	bool			 from_end = q->cur.at[0] == '\0';
	bool			 want_next, want_prev;
	enum scim_err		 rc = SCIM_OK;

	cJSON_DeleteItemFromObjectCaseSensitive(c->resp.body, "startIndex");
	if (lc->no_total)
		cJSON_DeleteItemFromObjectCaseSensitive(c->resp.body,
		    "totalResults");
	if (lc->pinned || q->count == 0)
		return SCIM_OK;
	next.backward = false;
	prev.backward = true;
	next.issued = prev.issued = (uint64_t)time(NULL);
	snprintf(next.at, sizeof(next.at), "%s", lc->hi);
	snprintf(prev.at, sizeof(prev.at), "%s", lc->lo);
	if (!q->cur.backward) {
		want_next = lc->more;
		want_prev = !from_end;
	} else {
		want_next = !from_end;
		want_prev = lc->more;
	}
	if (want_next)
		rc = cursor_add(c, "nextCursor", &next, err);
	if (rc == SCIM_OK && want_prev)
		rc = cursor_add(c, "previousCursor", &prev, err);
	return rc;
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
	if (q->cursor != NULL && (rc = cursor_begin(c, q, err)) != SCIM_OK)
		goto out;
	if ((rc = store_read(c->ctx->store, q->cursor != NULL ? cursor_fn :
	    list_fn, &lc, err)) != SCIM_OK)
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
		rc = cursor_answer(c, q, &lc, err);
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
