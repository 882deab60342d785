/*
 * RFC 9865 cursor pages of GET /Users, /Groups and POST .search (the
 * query is crud-query.c's): a "cursor" parameter, empty for the first
 * page, walks the tenant in id order from the position its cursor holds
 * (store_cursor_open(): sealed, tenant-bound, STORE_CURSOR_TIMEOUT).  A
 * nextCursor holds the last id its page covered and the walk goes on
 * after it, so a resource that exists for the whole walk is returned
 * exactly once however many are created or deleted meanwhile; a
 * previousCursor holds the first id and the page before it is walked
 * backwards (crud_cursor_answer() says which pages have which).  Each
 * page reads only its own records.
 *
 * OWNS: cursor pages, their cursors' meaning and errors.  MUST NOT KNOW:
 * how a cursor is encoded and sealed (store-cursor.c), how the store
 * walks (store-walk.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nettle/sha2.h>

#include "scim/crud-query-int.h"
#include "scim/filter.h"

/*
 * Most records a filtered cursor page examines: past them the page is
 * answered short, with a nextCursor from the last one examined (RFC 9865
 * section 2: a provider "MAY return fewer results"), so a sparse filter
 * costs bounded work per request instead of a walk of the tenant.
 */
#define CURSOR_EXAMINE_MAX	10000

/* The ids of a cursor page, and one more: does the walk go on? */
struct cursor_ids {
	char		(*ids)[STORE_ID_MAX + 1];
	size_t		 n, want;
};

/*
 * Copy id (a store id: at most STORE_ID_MAX bytes, which the store
 * checks) into dst of STORE_ID_MAX + 1 bytes.  Not snprintf(): a page
 * copies 300 ids, and snprintf's format machinery cost 110k instructions
 * of a 1.8M cursor page (callgrind).
 */
static void
id_copy(char *dst, const char *id)
{
	size_t	 n = strnlen(id, STORE_ID_MAX);

	memcpy(dst, id, n);
	dst[n] = '\0';
}

static bool
cursor_id_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct cursor_ids	*ci = arg;

	(void)obj; (void)keep;
	id_copy(ci->ids[ci->n++], id);
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
		id_copy(back ? lc->hi : lc->lo, id);
	id_copy(back ? lc->lo : lc->hi, id);
}

/*
 * One record of a filtered cursor walk: matched as a scan would
 * (crud_list_each() keeps the first count matches: a cursor page starts at
 * 1).  The walk stops at the match after a full page, which belongs to
 * the next page, or when CURSOR_EXAMINE_MAX were examined; either way it
 * goes on (lc->more) past the last one the page covers.
 */
static bool
cursor_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct list_ctx	*lc = arg;

	if (!crud_list_each(lc, id, obj, keep))
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
		rc = crud_page_read_ids(t, lc, ci.ids, ci.n, err);
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
 * (id, the name) is answered from its index as crud_list_fn() does, whole,
 * with no cursor to follow.  Another filter is matched on the walk and
 * its totalResults is left out: counting it is the walk of the tenant a
 * cursor avoids (RFC 9865 section 2: a provider "unable to estimate
 * totalResults MAY choose to omit" it).
 */
enum scim_err
crud_cursor_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct list_ctx	*lc = arg;
	const struct filter *f = lc->q->filter;
	enum scim_err	 rc;

	lc->pinned = f != NULL && (filter_eq_hint(f, "id") != NULL ||
	    filter_eq_hint(f, lc->rt->name_attr) != NULL);
	if (lc->pinned)
		return crud_list_fn(t, arg, err);
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
enum scim_err
crud_cursor_begin(struct scim_call *c, struct query *q, struct scim_error *err)
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
enum scim_err
crud_cursor_answer(struct scim_call *c, struct query *q, struct list_ctx *lc,
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
