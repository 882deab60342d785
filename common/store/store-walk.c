/*
 * Walks of a tenant's records in id order, the way cursors go (RFC 9865,
 * crud-query.c): forwards after an id (nextCursor) or backwards before
 * one (previousCursor), whole records or their ids alone; and a user's
 * record read with its groups, whose rows follow it in users.db when
 * they are kept beside it (store layout 3), in one descent.
 *
 * Forward walks read in bulk (store_bulk_next(): DB_MULTIPLE_KEY, many
 * pairs a get), the numbered index's pages too (store-res.c): a DB_NEXT
 * a pair cost ~3.6k instructions, most of a page of ids.  Berkeley DB
 * reads bulk forwards only: backward walks step as before.
 *
 * OWNS: the order of users.db's keys as these walks read them
 * (tenant\0id, then tenant\0id\0gid); bulk reads.  MUST NOT KNOW: what a
 * record holds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <db.h>

#include "store/store-int.h"

/* --- bulk reads --- */

/*
 * Most gets of one store_bulk_next(): an empty buffer's, then a grown
 * one's (a pair that did not fit says how big it is), then one more.
 */
#define BULK_TRIES	4
#define BULK_GROW_MAX	(64UL * 1024 * 1024)	/* past a record's size */

/*
 * A walk's first buffer when its caller names none.  Each get fills the
 * buffer whatever the walk needs (pages past its end too), so a walk
 * starts small and doubles its buffer at each refill up to
 * STORE_BULK_BYTES: a short walk copies a page or two (a cursor page of
 * 10 users), a long one at most twice what it reads.
 */
#define BULK_FIRST	(8 * 1024)

struct store_bulk_tune	 store_bulk_tune;

/* (Re)size b's buffer to n bytes, rounded up as bulk gets want. */
static bool
bulk_size(struct store_bulk *b, size_t n)
{
	void	*mem;

	n = (n + 1023) & ~(size_t)1023;
	if ((mem = realloc(b->buf.data, n)) == NULL)
		return false;
	b->buf.data = mem;
	b->buf.ulen = (u_int32_t)n;
	return true;
}

void
store_bulk_start(struct store_txn *t, struct store_bulk *b, DBC *c,
    const void *key, size_t len, u_int32_t op, size_t bytes, bool keys_only)
{
	u_int32_t	 pg = 0;

	memset(b, 0, sizeof(*b));
	b->c = c;
	b->start = key;
	b->startlen = len;
	b->op = op;
	b->single = !t->readonly;
	b->keys_only = keys_only;
	if (store_bulk_tune.bytes != 0)
		bytes = store_bulk_tune.bytes;
	else if (bytes == 0)
		bytes = BULK_FIRST;
	else if (bytes > STORE_BULK_BYTES)
		bytes = STORE_BULK_BYTES;
	if (c->dbp->get_pagesize(c->dbp, &pg) == 0 && bytes < pg)
		bytes = pg;
	b->buf.ulen = (u_int32_t)bytes;	/* allocated by the first get */
	b->buf.flags = DB_DBT_USERMEM;
}

/* A write's walk: one pair a get, what the walks did before bulk. */
static int
bulk_single(struct store_bulk *b, DBT *key, DBT *data)
{
	if (b->last != 0)
		return b->last;
	if (b->op != DB_NEXT)
		store_dbt_set(key, b->start, b->startlen);
	store_dbt_set(data, NULL, 0);
	if (b->keys_only)
		data->flags = DB_DBT_PARTIAL;
	b->last = b->c->get(b->c, key, data, b->op);
	b->op = DB_NEXT;
	return b->last;
}

/*
 * Fill b's buffer: 0, DB_BUFFER_SMALL when it was grown to hold the pair
 * that did not fit (the cursor has not moved: get again), or the error
 * that ends the walk (b->last).
 */
static int
bulk_get(struct store_bulk *b)
{
	DBT		 k;
	size_t		 n;
	int		 ret;

	n = b->buf.ulen;
	if (b->grow)
		n = 2 * n < STORE_BULK_BYTES ? 2 * n : STORE_BULK_BYTES;
	if ((b->buf.data == NULL || n != b->buf.ulen) && !bulk_size(b, n))
		return b->last = ENOMEM;
	b->grow = false;
	store_dbt_set(&k, b->start, b->startlen);
	ret = b->c->get(b->c, &k, &b->buf, b->op | DB_MULTIPLE_KEY);
	if (ret == DB_BUFFER_SMALL) {
		store_bulk_tune.grows++;
		n = b->buf.size > 2 * (size_t)b->buf.ulen ? b->buf.size :
		    2 * (size_t)b->buf.ulen;
		if (n > BULK_GROW_MAX)
			return b->last = DB_BUFFER_SMALL;
		return bulk_size(b, n) ? DB_BUFFER_SMALL : (b->last = ENOMEM);
	}
	if (ret != 0)
		return b->last = ret;
	store_bulk_tune.gets++;
	b->op = DB_NEXT;
	b->grow = b->buf.ulen < STORE_BULK_BYTES && store_bulk_tune.bytes == 0;
	DB_MULTIPLE_INIT(b->p, &b->buf);
	return 0;
}

/*
 * The walk's next pair, from the buffer while it has one, else from a
 * get after the last pair it held (the cursor stands there).
 */
int
store_bulk_next(struct store_bulk *b, DBT *key, DBT *data)
{
	void		*kp, *dp;
	u_int32_t	 kl, dl;
	int		 i, ret;

	if (b->single)
		return bulk_single(b, key, data);
	for (i = 0; i < BULK_TRIES; i++) {
		if (b->p != NULL) {
			DB_MULTIPLE_KEY_NEXT(b->p, &b->buf, kp, kl, dp, dl);
			if (b->p != NULL) {
				store_dbt_set(key, kp, kl);
				store_dbt_set(data, dp, dl);
				return 0;
			}
		}
		if (b->last != 0)
			return b->last;
		if ((ret = bulk_get(b)) != 0 && ret != DB_BUFFER_SMALL)
			return ret;
	}
	return b->last = DB_BUFFER_SMALL;
}

void
store_bulk_end(struct store_bulk *b)
{
	free(b->buf.data);
	b->buf.data = NULL;
	b->p = NULL;
}

/* Whether key begins with prefix p (the walks' end: past the tenant). */
static bool
key_in(const DBT *key, const struct key *p)
{
	return key->size >= p->len && memcmp(key->data, p->buf, p->len) == 0;
}

/*
 * store_walk_prefix() forwards, read in bulk: the same pairs in the same
 * order, each() told the same, the walk's end the same.
 */
enum scim_err
store_walk_bulk(struct store_txn *t, enum dbi d, const struct key *prefix,
    const struct key *from, store_walk_fn each, void *arg,
    struct scim_error *err)
{
	const struct key *k = from != NULL ? from : prefix;
	DB		*db = t->s->db[d];
	DBC		*c = NULL;
	DBT		 key, data;
	struct store_bulk b;
	enum scim_err	 rc = SCIM_OK;
	bool		 go_on = true;
	int		 ret;

	if ((ret = db->cursor(db, t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	store_bulk_start(t, &b, c, k->buf, k->len, DB_SET_RANGE, 0, false);
	while (go_on && (ret = store_bulk_next(&b, &key, &data)) == 0) {
		t->s->st.steps++;
		if (!key_in(&key, prefix))
			break;
		rc = each(t, arg, (const char *)key.data + prefix->len,
		    key.size - prefix->len, &data, &go_on, err);
		if (rc != SCIM_OK)
			break;
	}
	if (rc == SCIM_OK && ret != 0 && ret != DB_NOTFOUND)
		rc = store_dberr(t, ret, store_dbdefs[d].file, err);
	store_bulk_end(&b);
	c->close(c);
	return rc;
}

/* --- walks in id order --- */

/*
 * The ids of kind's records of tenant from key f on (prefix p), keys
 * only: a cursor page reads its records afterwards, answered from their
 * stored text, so the walk copies none of them (DB_DBT_PARTIAL).
 * Backwards, the walk starts at the last key below f (f NULL: the
 * tenant's last key) and goes down.
 */
static enum scim_err
ids_walk(struct store_txn *t, enum store_kind kind, const struct key *p,
    const struct key *f, bool backward, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	enum dbi	 d = store_rec_dbi(kind);
	DB		*db = t->s->db[d];
	DBC		*c = NULL;
	DBT		 key, data;
	struct store_bulk b;
	char		 id[STORE_ID_MAX + 1], hi[STORE_ID_MAX + 2];
	const char	*rest;
	size_t		 n;
	bool		 go_on = true, keep = false;
	int		 ret;

	if ((ret = db->cursor(db, t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	if (f == NULL && backward) {
		/* Past the tenant's keys: its prefix and a byte above all. */
		n = p->len < sizeof(hi) - 1 ? p->len : sizeof(hi) - 1;
		memcpy(hi, p->buf, n);
		hi[n++] = (char)0xff;
		store_dbt_set(&key, hi, n);
	} else if (f == NULL)
		store_dbt_set(&key, p->buf, p->len);
	else
		store_dbt_set(&key, f->buf, f->len);
	/*
	 * Forwards in bulk: whole records come with their keys (bulk gets
	 * take no DB_DBT_PARTIAL), still far cheaper than a get a key.
	 */
	store_bulk_start(t, &b, c, key.data, key.size, DB_SET_RANGE, 0, true);
	store_dbt_set(&data, NULL, 0);
	data.flags = DB_DBT_PARTIAL;
	if (!backward)
		ret = store_bulk_next(&b, &key, &data);
	else if ((ret = c->get(c, &key, &data, DB_SET_RANGE)) == 0 ||
	    ret == DB_NOTFOUND)
		/* The first key at or past the start: step below it. */
		ret = c->get(c, &key, &data, ret == 0 ? DB_PREV : DB_LAST);
	for (; ret == 0 && go_on; ret = backward ? c->get(c, &key, &data,
	    DB_PREV) : store_bulk_next(&b, &key, &data)) {
		t->s->st.steps++;
		if (!key_in(&key, p))
			break;
		rest = (const char *)key.data + p->len;
		n = key.size - p->len;
		if (n == 0 || n > STORE_ID_MAX || memchr(rest, '\0', n) != NULL)
			continue;	/* a user's membership, not a record */
		memcpy(id, rest, n);
		id[n] = '\0';
		go_on = fn(arg, id, NULL, &keep);
	}
	store_bulk_end(&b);
	c->close(c);
	if (ret != 0 && ret != DB_NOTFOUND)
		return store_dberr(t, ret, store_dbdefs[d].file, err);
	return SCIM_OK;
}

/* A backward scan's callback: the id it starts from is not below it. */
struct below_ctx {
	store_scan_fn	 fn;
	void		*arg;
	const char	*before;
};

static bool
below_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct below_ctx	*bc = arg;

	if (strcmp(id, bc->before) == 0)
		return true;
	return bc->fn(bc->arg, id, obj, keep);
}

/*
 * store_scan_after() and store_scan_before(): from the id at (NULL or
 * "": the tenant's first, or backward its last) on, at excluded.
 */
static enum scim_err
scan_from(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *at, bool backward, bool ids_only, store_scan_fn fn,
    void *arg, struct scim_error *err)
{
	struct below_ctx	 bc = { fn, arg, at };
	struct store_scan_ctx	 sc = { fn, arg, false, false, true };
	struct key		 p, f = { NULL, 0 };
	enum scim_err		 rc;

	if (!store_key_make(&p, tenant, NULL, NULL, true))
		return scim_oom(err);
	/*
	 * Forwards from tenant\0at\0\1: past at's record, before any longer
	 * id (tenant\0atX sorts after it, X being above NUL); at's
	 * tenant\0at\0gid rows in between are skipped as membership.
	 * Backwards from tenant\0at: every key below it is an id below at
	 * or a membership row of one.
	 */
	if (at != NULL && *at != '\0' && !store_key_make(&f, tenant, at,
	    backward ? NULL : "\1", false)) {
		store_key_free(&p);
		return scim_oom(err);
	}
	if (backward && f.buf != NULL) {
		sc.fn = below_each;	/* store_walk_prefix() starts at at */
		sc.arg = &bc;
	}
	if (ids_only)
		rc = ids_walk(t, kind, &p, f.buf != NULL ? &f : NULL, backward,
		    fn, arg, err);
	else if (backward)
		rc = store_walk_prefix(t, store_rec_dbi(kind), &p,
		    f.buf != NULL ? &f : NULL, true, store_scan_each, &sc, err);
	else
		rc = store_walk_bulk(t, store_rec_dbi(kind), &p,
		    f.buf != NULL ? &f : NULL, store_scan_each, &sc, err);
	store_key_free(&p);
	store_key_free(&f);
	return rc;
}

enum scim_err
store_scan_after(struct store_txn *t, enum store_kind kind,
    const char *tenant, const char *after, bool ids_only, store_scan_fn fn,
    void *arg, struct scim_error *err)
{
	return scan_from(t, kind, tenant, after, false, ids_only, fn, arg,
	    err);
}

enum scim_err
store_scan_before(struct store_txn *t, enum store_kind kind,
    const char *tenant, const char *before, bool ids_only, store_scan_fn fn,
    void *arg, struct scim_error *err)
{
	return scan_from(t, kind, tenant, before, true, ids_only, fn, arg,
	    err);
}

/*
 * The walk of store_get_raw_groups() from the record at k: its text,
 * then the tenant\0id\0gid rows right after it.  The walk ends on the
 * key after those rows, the next record's, which a read keeps
 * (t->users_at): a page in id order (a cursor page) then reads each
 * record where the cursor already is, without a descent from the root.
 */
static enum scim_err
raw_groups_walk(struct store_txn *t, DBC *c, const struct key *k,
    char **out, size_t *len, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	DBT		 key, data;
	char		 gid[STORE_ID_MAX + 1];
	size_t		 n;
	bool		 go_on = true, keep = false;
	int		 ret;

	store_dbt_set(&key, k->buf, k->len);
	store_dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = DB_NOTFOUND;
	if (t->users_at_len == k->len &&
	    memcmp(t->users_at, k->buf, k->len) == 0)
		ret = c->get(c, &key, &data, DB_CURRENT);
	t->users_at_len = 0;
	if (ret != 0) {
		store_dbt_set(&key, k->buf, k->len);
		store_dbt_set(&data, NULL, 0);
		ret = c->get(c, &key, &data, DB_SET | (t->readonly ? 0 :
		    DB_RMW));
	}
	if (ret != 0)
		return store_dberr(t, ret, store_dbdefs[DBI_USERS].file, err);
	if ((*out = malloc(data.size + 1)) == NULL)
		return scim_oom(err);
	memcpy(*out, data.data, data.size);
	(*out)[data.size] = '\0';
	*len = data.size;
	data.flags = DB_DBT_PARTIAL;	/* membership rows: keys only */
	while (go_on && (ret = c->get(c, &key, &data, DB_NEXT)) == 0) {
		t->s->st.steps++;
		n = key.size - k->len - 1;
		if (key.size <= k->len + 1 || n > STORE_ID_MAX ||
		    memcmp(key.data, k->buf, k->len) != 0 ||
		    ((const char *)key.data)[k->len] != '\0') {
			/* Past the user's rows: on the next record's key. */
			if (t->readonly && key.size <= sizeof(t->users_at)) {
				memcpy(t->users_at, key.data, key.size);
				t->users_at_len = key.size;
			}
			break;
		}
		memcpy(gid, (const char *)key.data + k->len + 1, n);
		gid[n] = '\0';
		go_on = fn(arg, gid, NULL, &keep);
	}
	if (ret != 0 && ret != DB_NOTFOUND) {
		free(*out);
		*out = NULL;
		*len = 0;
		return store_dberr(t, ret, store_dbdefs[DBI_USERS].file, err);
	}
	return SCIM_OK;
}

enum scim_err
store_get_raw_groups(struct store_txn *t, const char *tenant, const char *id,
    char **out, size_t *len, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	DB		*db = t->s->db[DBI_USERS];
	DBC		*c = NULL;
	struct key	 k;
	enum scim_err	 rc;
	int		 ret;

	*out = NULL;
	*len = 0;
	if (!t->s->beside) {
		rc = store_get_raw(t, STORE_USER, tenant, id, out, len, err);
		return rc != SCIM_OK ? rc : store_memberof_scan(t, STORE_USER,
		    tenant, id, fn, arg, err);
	}
	if (!store_check_id(id) || !store_check_id(tenant))
		return scim_fail(err, SCIM_E_NOT_FOUND, "not found");
	if (!store_key_make(&k, tenant, id, NULL, false))
		return scim_oom(err);
	/*
	 * A read transaction keeps its cursor for the next record (a page
	 * reads a hundred: opening and closing one each was a fifth of a
	 * record's cost); store-txn.c closes it before the commit.  A write
	 * opens its own, as every other write path does.
	 */
	if (t->readonly && t->users_cur != NULL)
		c = t->users_cur;
	else if ((ret = db->cursor(db, t->txn, &c, 0)) != 0) {
		store_key_free(&k);
		return store_dberr(t, ret, "cursor", err);
	}
	rc = raw_groups_walk(t, c, &k, out, len, fn, arg, err);
	if (t->readonly && rc == SCIM_OK)
		t->users_cur = c;
	else {
		c->close(c);
		if (c == t->users_cur) {
			t->users_cur = NULL;
			t->users_at_len = 0;
		}
	}
	store_key_free(&k);
	return rc;
}
