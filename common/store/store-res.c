/*
 * Users and groups: their records, the unique name index (folded
 * userName / displayName, store_name_key()), the externalId index, paging by name, and
 * group membership, kept per (group, member) pair both ways: members.db
 * from the group, and "mid is in gid" next to a user's record (layout 3,
 * store-layout.c) or in memberof.db, and each tenant's count of each kind
 * (layout 5, meta.db).  Every write keeps the indexes and the count in
 * step inside the caller's transaction.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <db.h>

#include "base/util.h"
#include "store/store-int.h"

/* --- users and groups --- */

/*
 * The databases of each kind.  Which attribute names a record is the
 * caller's to say (struct store_keys): the store reads none.
 */
static const struct {
	enum dbi	 rec, name, ext, order;
} kind_defs[] = {
	[STORE_USER] =	{ DBI_USERS, DBI_USERS_NAME, DBI_USERS_EXT,
			  DBI_USERS_ORDER },
	[STORE_GROUP] =	{ DBI_GROUPS, DBI_GROUPS_NAME, DBI_GROUPS_EXT,
			  DBI_GROUPS_ORDER },
};

enum dbi
store_rec_dbi(enum store_kind kind)
{
	return kind_defs[kind].rec;
}

/*
 * The numbered copy of the name index (users_order.db, groups_order.db:
 * the same keys and ids, in a DB_RECNUM B-tree, so a page at startIndex
 * is found by its number, store_page_ids()).  Layout 5 builds it
 * (store-layout.c); from then on every change to the name index is made
 * to it too, in the same transaction.  The price: a DB_RECNUM tree keeps
 * a count in every internal page, so each insert and delete write-locks
 * the path to the root until its transaction commits; the commit does
 * not wait for the disk (store_flush() does, after), so writers queue
 * for the in-memory part of a commit only.
 *
 * That path, and the tenant's count (count_add()), are pages every writer
 * of a tenant shares, and locks never wait (store-txn.c): a writer that
 * meets one held aborts and runs again.  So they are taken last, after
 * every other write of store_put() and store_del() (late_writes_apply()),
 * which the write paths make the last write of their transactions
 * (crud.c).
 * From the first of those locks to the commit there is then only the
 * order insert, the count and the commit itself.  Measured with 2 worker
 * processes and 16 connections posting users (durable, 20,000 users
 * loaded): conflicts on users_order.db fell from 42 to 7 per 1,000 POSTs
 * and retries in all from 86 to 59; the count itself never conflicted,
 * before or after (whoever reaches it holds the order path already).
 */
static enum scim_err
order_put(struct store_txn *t, enum store_kind kind, const struct key *k,
    const char *id, struct scim_error *err)
{
	if (!t->s->counted)
		return SCIM_OK;
	return store_rec_put(t, kind_defs[kind].order, k, id, strlen(id), 0,
	    err);
}

static enum scim_err
order_del(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *key, struct scim_error *err)
{
	enum scim_err	 rc;

	if (!t->s->counted)
		return SCIM_OK;
	rc = store_key_del(t, kind_defs[kind].order, tenant, key, NULL, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/*
 * The writes of one store_put() or store_del() that every writer of the
 * tenant shares, gathered while it makes its others and made last by
 * late_writes_apply().
 */
struct late_writes {
	const char		*released;	/* name index key removed (the
						   caller's), or NULL */
	char			*legacy;	/* ... and its old fold (owned),
						   or NULL */
	const struct key	*claimed;	/* name index key added, NULL:
						   none */
	const char		*id;		/* ... whose entry is id */
	int			 delta;		/* the count's move: 1, -1, 0 */
};

enum scim_err
store_get(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *id, cJSON **out, struct scim_error *err)
{
	enum scim_err	 rc;

	*out = NULL;
	if (!store_check_id(id) || !store_check_id(tenant))
		return scim_fail(err, SCIM_E_NOT_FOUND, "not found");
	rc = store_key_get(t, kind_defs[kind].rec, tenant, id, NULL, out, err);
	return rc;
}

enum scim_err
store_get_raw(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *id, char **out, size_t *len, struct scim_error *err)
{
	*out = NULL;
	*len = 0;
	if (!store_check_id(id) || !store_check_id(tenant))
		return scim_fail(err, SCIM_E_NOT_FOUND, "not found");
	return store_key_get_text(t, kind_defs[kind].rec, tenant, id, out, len,
	    err);
}

char *
store_name_key(const struct store *s, const char *name)
{
	return s->folded ? util_fold(name, true) : util_lower(name);
}

/*
 * Point the name index entry k (tenant\0lname) at id; another id there is
 * a clash, SCIM_E_UNIQUENESS, which the caller words for its client.  A
 * new entry is noted in lw for the numbered copy (late_writes_apply()).
 */
static enum scim_err
name_claim(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *lname, const struct key *k, const char *id,
    struct late_writes *lw, struct scim_error *err)
{
	enum scim_err	 rc;
	enum dbi	 d = kind_defs[kind].name;
	char		*have;
	size_t		 len;

	rc = store_key_get_text(t, d, tenant, lname, &have, &len, err);
	if (rc == SCIM_OK && (len != strlen(id) || memcmp(have, id, len) != 0))
		rc = scim_fail(err, SCIM_E_UNIQUENESS, "name \"%s\" taken",
		    lname);
	free(have);
	if (rc != SCIM_E_NOT_FOUND)
		return rc;
	if ((rc = store_rec_put(t, d, k, id, strlen(id), 0, err)) == SCIM_OK)
		lw->claimed = k;
	return rc;
}

/*
 * Remove the name index entry lname when it is id's; an entry another id
 * holds stays.  Two users whose names folded alike when layout 4 came
 * (store-layout.c) left the second indexed under its old key: that one
 * is the old fold of name, removed too when it is id's.  What was removed
 * is noted in lw for the numbered copy (late_writes_apply()).
 */
static enum scim_err
name_release(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *name, const char *lname, const char *id,
    struct late_writes *lw, struct scim_error *err)
{
	enum dbi	 d = kind_defs[kind].name;
	enum scim_err	 rc;
	char		*have, *legacy = NULL;
	const char	*key = lname;
	size_t		 len;
	int		 round;

	for (round = 0; round < 2; round++) {
		rc = store_key_get_text(t, d, tenant, key, &have, &len, err);
		if (rc == SCIM_OK && len == strlen(id) &&
		    memcmp(have, id, len) == 0 &&
		    (rc = store_key_del(t, d, tenant, key, NULL, err)) ==
		    SCIM_OK) {
			if (round == 0)
				lw->released = lname;
			else {
				lw->legacy = legacy;
				legacy = NULL;
			}
		}
		free(have);
		if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
			break;
		rc = SCIM_OK;
		if (round > 0 || !t->s->folded)
			break;
		if ((legacy = util_lower(name)) == NULL) {
			rc = scim_oom(err);
			break;
		}
		if (strcmp(legacy, lname) == 0)
			break;
		key = legacy;
	}
	free(legacy);
	return rc;
}

/*
 * Move id's entry in the externalId index (not unique) from oext to ext;
 * either may be NULL (none).
 */
static enum scim_err
ext_move(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *id, const char *oext, const char *ext,
    struct scim_error *err)
{
	struct key	 k;
	enum scim_err	 rc;

	if (oext != NULL && (ext == NULL || strcmp(ext, oext) != 0)) {
		if (!store_key_make(&k, tenant, oext, NULL, false))
			return scim_oom(err);
		rc = store_rec_del_dup(t, kind_defs[kind].ext, &k, id, err);
		store_key_free(&k);
		if (rc != SCIM_OK)
			return rc;
	}
	if (ext != NULL && (oext == NULL || strcmp(ext, oext) != 0)) {
		if (!store_key_make(&k, tenant, ext, NULL, false))
			return scim_oom(err);
		rc = store_rec_put(t, kind_defs[kind].ext, &k, id, strlen(id),
		    DB_NODUPDATA, err);
		store_key_free(&k);
		if (rc == SCIM_E_CONFLICT)
			rc = SCIM_OK;
		if (rc != SCIM_OK)
			return rc;
	}
	return SCIM_OK;
}

/* --- per-tenant counts --- */

/*
 * The counter of kind in tenant: meta.db count\0tenant\0u|g, a decimal
 * number.  One record per tenant and kind means that every create in a
 * tenant writes one page of meta.db: its lock is held only until the
 * commit is in the log buffer (the flush comes after, store_flush()), so
 * concurrent creates queue for microseconds, not for a disk sync.
 */
static bool
count_key(struct key *k, enum store_kind kind, const char *tenant)
{
	return store_key_make(k, "count", tenant,
	    kind == STORE_USER ? "u" : "g", false);
}

/*
 * The count in data (a decimal number) into *n; false when it is not one
 * (or too long).
 */
static bool
count_parse(const DBT *data, size_t *n)
{
	char	 buf[32];
	long	 v;

	if (data->size >= sizeof(buf))
		return false;
	memcpy(buf, data->data, data->size);
	buf[data->size] = '\0';
	if (!util_parse_long(buf, 0, 1L << 62, &v))
		return false;
	*n = (size_t)v;
	return true;
}

/* Read the counter (rmw: lock it for the write to come). */
static enum scim_err
count_get(struct store_txn *t, enum store_kind kind, const char *tenant,
    bool rmw, size_t *n, struct scim_error *err)
{
	struct key	 k;
	DBT		 key, data;
	int		 ret;

	*n = 0;
	if (!count_key(&k, kind, tenant))
		return scim_oom(err);
	store_dbt_set(&key, k.buf, k.len);
	store_dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = store_db_get(t, DBI_META, &key, &data, rmw ? DB_RMW : 0);
	store_key_free(&k);
	if (ret == DB_NOTFOUND)
		return SCIM_OK;		/* a tenant with nothing yet */
	if (ret != 0)
		return store_dberr(t, ret, "meta.db", err);
	if (!count_parse(&data, n))
		return scim_fail(err, SCIM_E_INTERNAL, "corrupt count");
	return SCIM_OK;
}

enum scim_err
store_count_put(struct store_txn *t, enum store_kind kind,
    const char *tenant, size_t n, struct scim_error *err)
{
	struct key	 k;
	char		 buf[32];
	enum scim_err	 rc;

	if (!count_key(&k, kind, tenant))
		return scim_oom(err);
	snprintf(buf, sizeof(buf), "%zu", n);
	rc = store_rec_put(t, DBI_META, &k, buf, strlen(buf), 0, err);
	store_key_free(&k);
	return rc;
}

/*
 * Move the counter by delta (+1, -1), when the store keeps counts.  One
 * cursor reads it (write-locked) and writes it back in place: one B-tree
 * search and one cursor a create, where a get and a put made two of each
 * (the record is the same, in the same transaction).
 */
static enum scim_err
count_add(struct store_txn *t, enum store_kind kind, const char *tenant,
    int delta, struct scim_error *err)
{
	DB		*db = t->s->db[DBI_META];
	DBC		*c = NULL;
	struct key	 k;
	DBT		 key, data;
	char		 buf[32];
	size_t		 n = 0;
	int		 ret, cret;
	enum scim_err	 rc = SCIM_OK;

	if (!t->s->counted)
		return SCIM_OK;
	if (!count_key(&k, kind, tenant))
		return scim_oom(err);
	store_dbt_set(&key, k.buf, k.len);
	store_dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	if ((ret = db->cursor(db, t->txn, &c, 0)) != 0)
		goto out;
	ret = c->get(c, &key, &data, DB_SET | DB_RMW);
	if (ret != 0 && ret != DB_NOTFOUND)
		goto out;
	if (ret == 0 && !count_parse(&data, &n)) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "corrupt count");
		goto out;
	}
	if (delta < 0 && n == 0) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "count below zero");
		goto out;
	}
	snprintf(buf, sizeof(buf), "%zu", delta < 0 ? n - 1 : n + 1);
	store_dbt_set(&data, buf, strlen(buf));
	t->s->st.puts++;
	store_cached_touch(t, DBI_META);
	/* A tenant's first: its record is made (key still set). */
	ret = c->put(c, &key, &data, ret == 0 ? DB_CURRENT : DB_KEYFIRST);
out:
	if (c != NULL && (cret = c->close(c)) != 0 && ret == 0)
		ret = cret;
	store_key_free(&k);
	if (rc == SCIM_OK && ret != 0)
		rc = store_dberr(t, ret, "meta.db", err);
	return rc;
}

/*
 * Make lw's writes, the ones every writer of the tenant shares (see
 * order_put()), and free what lw owns: the numbered copies of the name
 * index keys removed, then of the one added, then the count.  Called on
 * every path out of store_put() and store_del() once lw may hold
 * something; with rc not SCIM_OK (the caller's own writes failed) it only
 * frees and returns rc.
 */
static enum scim_err
late_writes_apply(struct store_txn *t, enum store_kind kind,
    const char *tenant, struct late_writes *lw, enum scim_err rc,
    struct scim_error *err)
{
	if (rc == SCIM_OK && lw->released != NULL)
		rc = order_del(t, kind, tenant, lw->released, err);
	if (rc == SCIM_OK && lw->legacy != NULL)
		rc = order_del(t, kind, tenant, lw->legacy, err);
	if (rc == SCIM_OK && lw->claimed != NULL)
		rc = order_put(t, kind, lw->claimed, lw->id, err);
	if (rc == SCIM_OK && lw->delta != 0)
		rc = count_add(t, kind, tenant, lw->delta, err);
	free(lw->legacy);
	lw->legacy = NULL;
	return rc;
}

enum scim_err
store_put(struct store_txn *t, enum store_kind kind, const char *tenant,
    const struct store_keys *keys, const cJSON *res,
    const struct store_keys *old, struct scim_error *err)
{
	char		*text;
	enum scim_err	 rc;

	/*
	 * The record's text first: from the name claim on, a page other
	 * writers append to (names in order) is locked until the commit.
	 */
	if ((text = cJSON_PrintUnformatted(res)) == NULL)
		return scim_oom(err);
	rc = store_put_text(t, kind, tenant, keys, text, strlen(text), old,
	    err);
	free(text);
	return rc;
}

enum scim_err
store_put_text(struct store_txn *t, enum store_kind kind, const char *tenant,
    const struct store_keys *keys, const char *text, size_t len,
    const struct store_keys *old, struct scim_error *err)
{
	const char		*id = keys->id, *name = keys->name;
	const char		*ext = keys->ext, *oname = NULL, *oext = NULL;
	char			*lname = NULL, *loname = NULL;
	struct key		 k = { NULL, 0 }, nk = { NULL, 0 };
	struct late_writes	 lw = { NULL, NULL, NULL, id, 0 };
	enum scim_err		 rc;

	if (!store_check_id(id) || !store_check_id(tenant))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "bad id");
	if (name == NULL)
		return scim_fail(err, SCIM_E_INVALID_VALUE, "no name");
	if (old != NULL) {
		oname = old->name;
		oext = old->ext;
	}
	if ((lname = store_name_key(t->s, name)) == NULL ||
	    (oname != NULL &&
	    (loname = store_name_key(t->s, oname)) == NULL) ||
	    !store_key_make(&k, tenant, id, NULL, false)) {
		rc = scim_oom(err);
		goto out;
	}
	/*
	 * Name index: claim the new name, release the old one.  The claim
	 * comes first, so that a refusal (SCIM_E_UNIQUENESS) has written
	 * nothing: sync_create() goes on with its transaction after one.
	 */
	if (loname == NULL || strcmp(loname, lname) != 0) {
		if (!store_key_make(&nk, tenant, lname, NULL, false)) {
			rc = scim_oom(err);
			goto out;
		}
		if ((rc = name_claim(t, kind, tenant, lname, &nk, id, &lw,
		    err)) != SCIM_OK)
			goto out;
		if (loname != NULL && (rc = name_release(t, kind, tenant,
		    oname, loname, id, &lw, err)) != SCIM_OK)
			goto out;
	}
	if ((rc = ext_move(t, kind, tenant, id, oext, ext, err)) != SCIM_OK)
		goto out;
	rc = store_rec_put(t, kind_defs[kind].rec, &k, text, len,
	    old == NULL ? DB_NOOVERWRITE : 0, err);
	if (old == NULL)
		lw.delta = 1;
out:
	rc = late_writes_apply(t, kind, tenant, &lw, rc, err);
	store_key_free(&k);
	store_key_free(&nk);
	free(lname);
	free(loname);
	return rc;
}

/* Collect ids from a scan into a NULL-terminated array. */
struct idlist {
	char	**v;
	size_t	 n, cap;
	bool	 oom;
};

static bool
idlist_add(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct idlist	*l = arg;
	char		**nv;

	(void)obj; (void)keep;
	if (l->n + 1 >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL) {
			l->oom = true;
			return false;
		}
		l->v = nv;
	}
	if ((l->v[l->n] = strdup(id)) == NULL) {
		l->oom = true;
		return false;
	}
	l->v[++l->n] = NULL;
	return true;
}

static void
idlist_free(struct idlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/*
 * Where "mid is in group gid" is kept (see store_layout_check()): next to the
 * record of a user in a store of layout 3, in memberof.db otherwise.
 */
static enum dbi
memberof_dbi(const struct store *s, enum store_kind kind)
{
	return s->beside && kind == STORE_USER ? DBI_USERS : DBI_MEMBEROF;
}

/* Remove "mid is in group gid", for a member of either kind. */
static enum scim_err
memberof_del(struct store_txn *t, const char *tenant, const char *mid,
    const char *gid, struct scim_error *err)
{
	enum scim_err	 rc = SCIM_E_NOT_FOUND;

	if (t->s->beside)
		rc = store_key_del(t, DBI_USERS, tenant, mid, gid, err);
	if (rc == SCIM_E_NOT_FOUND)
		rc = store_key_del(t, DBI_MEMBEROF, tenant, mid, gid, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/* Remove the pair (group gid, member mid) from both membership indexes. */
static enum scim_err
pair_del(struct store_txn *t, const char *tenant, const char *gid,
    const char *mid, struct scim_error *err)
{
	enum scim_err	 rc;

	rc = store_key_del(t, DBI_MEMBERS, tenant, gid, mid, err);
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	return memberof_del(t, tenant, mid, gid, err);
}

enum scim_err
store_del(struct store_txn *t, enum store_kind kind, const char *tenant,
    const struct store_keys *old, struct scim_error *err)
{
	struct idlist		 groups = { NULL, 0, 0, false };
	const char		*id = old->id, *name = old->name;
	const char		*ext = old->ext;
	char			*lname = NULL;
	struct key		 k = { NULL, 0 };
	struct late_writes	 lw = { NULL, NULL, NULL, id, -1 };
	enum scim_err		 rc;
	size_t			 i;

	/*
	 * The record first: an absent one is SCIM_E_NOT_FOUND with nothing
	 * else touched.  (A user's tenant\0id\0gid keys beside it are
	 * other keys, left to the membership walk below.)  The count and
	 * the numbered index come last (late_writes_apply()).
	 */
	if (!store_check_id(id) || !store_check_id(tenant))
		return scim_fail(err, SCIM_E_NOT_FOUND, "not found");
	if (!store_key_make(&k, tenant, id, NULL, false))
		return scim_oom(err);
	rc = store_rec_del(t, kind_defs[kind].rec, &k, err);
	store_key_free(&k);
	if (rc != SCIM_OK)
		return rc;
	if (name != NULL) {
		if ((lname = store_name_key(t->s, name)) == NULL) {
			rc = scim_oom(err);
			goto out;
		}
		if ((rc = name_release(t, kind, tenant, name, lname, id, &lw,
		    err)) != SCIM_OK)
			goto out;
	}
	if (ext != NULL) {
		if (!store_key_make(&k, tenant, ext, NULL, false)) {
			rc = scim_oom(err);
			goto out;
		}
		rc = store_rec_del_dup(t, kind_defs[kind].ext, &k, id, err);
		store_key_free(&k);
		if (rc != SCIM_OK)
			goto out;
	}
	/* Leave every group this resource belongs to. */
	rc = store_memberof_scan(t, kind, tenant, id, idlist_add, &groups,
	    err);
	if (rc != SCIM_OK)
		goto out;
	if (groups.oom) {
		rc = scim_oom(err);
		goto out;
	}
	for (i = 0; i < groups.n; i++)
		if ((rc = pair_del(t, tenant, groups.v[i], id, err)) !=
		    SCIM_OK)
			goto out;
	if (kind == STORE_GROUP)
		rc = store_member_clear(t, tenant, id, NULL, err);
out:
	rc = late_writes_apply(t, kind, tenant, &lw, rc, err);
	idlist_free(&groups);
	free(lname);
	return rc;
}

enum scim_err
store_find_name(struct store_txn *t, enum store_kind kind,
    const char *tenant, const char *name, char *id, struct scim_error *err)
{
	struct key	 k;
	DBT		 key, data;
	char		*lname;
	enum dbi	 d = kind_defs[kind].name;
	int		 ret;

	id[0] = '\0';
	if ((lname = store_name_key(t->s, name)) == NULL)
		return scim_oom(err);
	if (!store_key_make(&k, tenant, lname, NULL, false)) {
		free(lname);
		return scim_oom(err);
	}
	free(lname);
	store_dbt_set(&key, k.buf, k.len);
	store_dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = store_db_get(t, d, &key, &data, 0);
	store_key_free(&k);
	if (ret != 0)
		return store_dberr(t, ret, store_dbdefs[d].file, err);
	if (data.size > STORE_ID_MAX)
		return scim_fail(err, SCIM_E_INTERNAL, "corrupt index");
	memcpy(id, data.data, data.size);
	id[data.size] = '\0';
	return SCIM_OK;
}

enum scim_err
store_scan(struct store_txn *t, enum store_kind kind, const char *tenant,
    store_scan_fn fn, void *arg, struct scim_error *err)
{
	return store_scan_after(t, kind, tenant, NULL, false, fn, arg, err);
}

/* Resolve ids found in an index to records, then call the scan callback. */
struct resolve_ctx {
	enum store_kind	 kind;
	const char	*tenant;
	store_scan_fn	 fn;
	void		*arg;
};

static enum scim_err
ext_resolve_each(struct store_txn *t, void *arg, const char *rest,
    size_t restlen, const DBT *data, bool *go_on, struct scim_error *err)
{
	struct resolve_ctx	*rc = arg;
	char			 id[STORE_ID_MAX + 1];
	cJSON			*obj = NULL;
	bool			 keep = false;
	enum scim_err		 r;

	(void)rest;
	if (restlen != 0)	/* a longer key that shares the prefix */
		return SCIM_OK;
	if (data->size > STORE_ID_MAX)
		return scim_fail(err, SCIM_E_INTERNAL, "corrupt index");
	memcpy(id, data->data, data->size);
	id[data->size] = '\0';
	r = store_get(t, rc->kind, rc->tenant, id, &obj, err);
	if (r == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (r != SCIM_OK)
		return r;
	*go_on = rc->fn(rc->arg, id, obj, &keep);
	if (!keep)
		cJSON_Delete(obj);
	return SCIM_OK;
}

enum scim_err
store_scan_external(struct store_txn *t, enum store_kind kind,
    const char *tenant, const char *ext, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	struct resolve_ctx	 rc = { kind, tenant, fn, arg };
	struct key		 p;
	enum scim_err		 r;

	if (!store_key_make(&p, tenant, ext, NULL, false))
		return scim_oom(err);
	r = store_walk_prefix(t, kind_defs[kind].ext, &p, NULL, false,
	    ext_resolve_each, &rc, err);
	store_key_free(&p);
	return r;
}

static enum scim_err
name_count_each(struct store_txn *t, void *arg, const char *rest,
    size_t restlen, const DBT *data, bool *go_on, struct scim_error *err)
{
	(void)t; (void)rest; (void)restlen; (void)data; (void)go_on;
	(void)err;
	(*(size_t *)arg)++;
	return SCIM_OK;
}

enum scim_err
store_count(struct store_txn *t, enum store_kind kind, const char *tenant,
    size_t *n, struct scim_error *err)
{
	struct key	 p;
	enum scim_err	 rc;

	*n = 0;
	if (t->s->counted)
		return count_get(t, kind, tenant, false, n, err);
	if (!store_key_make(&p, tenant, NULL, NULL, true))
		return scim_oom(err);
	rc = store_walk_prefix(t, kind_defs[kind].name, &p, NULL, false,
	    name_count_each, n, err);
	store_key_free(&p);
	return rc;
}

/* A walk of the name index that keeps the ids of a span of its keys. */
struct span_ctx {
	size_t		 skip, limit, seen;
	char		(*ids)[STORE_ID_MAX + 1];
	size_t		*nids;
};

static enum scim_err
span_each(struct store_txn *t, void *arg, const char *rest,
    size_t restlen, const DBT *data, bool *go_on, struct scim_error *err)
{
	struct span_ctx	*sp = arg;

	(void)t; (void)rest; (void)restlen; (void)err;
	if (sp->seen++ < sp->skip)
		return SCIM_OK;
	if (data->size > STORE_ID_MAX)
		return scim_fail(err, SCIM_E_INTERNAL, "corrupt name index");
	memcpy(sp->ids[*sp->nids], data->data, data->size);
	sp->ids[(*sp->nids)++][data->size] = '\0';
	*go_on = *sp->nids < sp->limit;
	return SCIM_OK;
}

/*
 * Bulk buffer bytes a pair of the numbered index takes: its page's share
 * (tenant\0name and an id, ~85 bytes at the 64% fill of a loaded index)
 * and its four offsets, with room for the page a span starts inside.
 */
#define ORDER_PAIR_BYTES	128

/*
 * The page of a counted store: the tenant's first key in the numbered
 * index, its number, then the page from number + skip on (O(log n) pages
 * read, however deep the page).
 */
static enum scim_err
page_by_number(struct store_txn *t, enum store_kind kind,
    const struct key *p, size_t skip, size_t limit,
    char (*ids)[STORE_ID_MAX + 1], size_t *nids, struct scim_error *err)
{
	enum dbi	 d = kind_defs[kind].order;
	DB		*db = t->s->db[d];
	DBC		*c = NULL;
	DBT		 key, data;
	struct store_bulk b;
	db_recno_t	 rn = 0;
	int		 ret;

	if ((ret = db->cursor(db, t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	store_dbt_set(&key, p->buf, p->len);
	store_dbt_set(&data, NULL, 0);
	data.flags = DB_DBT_PARTIAL;
	ret = c->get(c, &key, &data, DB_SET_RANGE);
	if (ret == 0 && (key.size < p->len ||
	    memcmp(key.data, p->buf, p->len) != 0))
		ret = DB_NOTFOUND;
	if (ret == 0) {
		store_dbt_set(&data, &rn, sizeof(rn));
		data.ulen = sizeof(rn);
		data.flags = DB_DBT_USERMEM;
		ret = c->get(c, &key, &data, DB_GET_RECNO);
	}
	/* The page itself in bulk, from its number on (store-walk.c). */
	rn += (db_recno_t)skip;
	store_bulk_start(t, &b, c, &rn, sizeof(rn), DB_SET_RECNO,
	    (limit + 1) * ORDER_PAIR_BYTES, false);
	while (ret == 0 && *nids < limit &&
	    (ret = store_bulk_next(&b, &key, &data)) == 0) {
		t->s->st.steps++;
		if (key.size < p->len || memcmp(key.data, p->buf, p->len) != 0)
			break;
		if (data.size > STORE_ID_MAX) {
			store_bulk_end(&b);
			c->close(c);
			return scim_fail(err, SCIM_E_INTERNAL,
			    "corrupt name order");
		}
		memcpy(ids[*nids], data.data, data.size);
		ids[(*nids)++][data.size] = '\0';
	}
	store_bulk_end(&b);
	c->close(c);
	if (ret != 0 && ret != DB_NOTFOUND)
		return store_dberr(t, ret, store_dbdefs[d].file, err);
	return SCIM_OK;
}

enum scim_err
store_page_ids(struct store_txn *t, enum store_kind kind, const char *tenant,
    size_t skip, size_t limit, size_t *total, char (*ids)[STORE_ID_MAX + 1],
    size_t *nids, struct scim_error *err)
{
	struct span_ctx	 sp = { 0, 0, 0, ids, nids };
	struct key	 p;
	enum scim_err	 rc;
	size_t		 end, i, j;
	bool		 reverse;
	char		 tmp[STORE_ID_MAX + 1];

	/*
	 * A counted store has the tenant's count and the numbered index: the
	 * page is found by its number.  Otherwise (layout 4, kept while an
	 * older program shares the store) the walk stops at the page: from
	 * the start when it is in the first half, else backwards from the
	 * end, a quarter of the tenant on average, no record read.
	 */
	*nids = 0;
	if ((rc = store_count(t, kind, tenant, total, err)) != SCIM_OK)
		return rc;
	if (skip >= *total || limit == 0)
		return SCIM_OK;
	if (!store_key_make(&p, tenant, NULL, NULL, true))
		return scim_oom(err);
	if (t->s->counted) {
		rc = page_by_number(t, kind, &p, skip, limit, ids, nids, err);
		store_key_free(&p);
		return rc;
	}
	end = *total - skip < limit ? *total : skip + limit;
	reverse = skip > *total - end;
	sp.skip = reverse ? *total - end : skip;
	sp.limit = end - skip;
	rc = reverse ? store_walk_prefix(t, kind_defs[kind].name, &p, NULL,
	    true, span_each, &sp, err) : store_walk_bulk(t,
	    kind_defs[kind].name, &p, NULL, span_each, &sp, err);
	store_key_free(&p);
	for (i = 0, j = *nids; reverse && i + 1 < j; i++, j--) {
		memcpy(tmp, ids[i], sizeof(tmp));
		memcpy(ids[i], ids[j - 1], sizeof(tmp));
		memcpy(ids[j - 1], tmp, sizeof(tmp));
	}
	return rc;
}

/* --- membership --- */

enum scim_err
store_member_add(struct store_txn *t, const char *tenant, const char *gid,
    const char *mid, enum store_kind mkind, const cJSON *member, bool *added,
    struct scim_error *err)
{
	struct key	 k;
	enum scim_err	 rc;

	*added = false;
	if (!store_check_id(mid))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "bad member id");
	rc = store_key_put_json(t, DBI_MEMBERS, tenant, gid, mid, member,
	    DB_NOOVERWRITE, err);
	if (rc == SCIM_E_CONFLICT)
		return SCIM_OK;		/* already a member: no-op */
	if (rc != SCIM_OK)
		return rc;
	if (!store_key_make(&k, tenant, mid, gid, false))
		return scim_oom(err);
	rc = store_rec_put(t, memberof_dbi(t->s, mkind), &k, "", 0, 0, err);
	store_key_free(&k);
	if (rc == SCIM_OK)
		*added = true;
	return rc;
}

enum scim_err
store_member_del(struct store_txn *t, const char *tenant, const char *gid,
    const char *mid, bool *removed, struct scim_error *err)
{
	enum scim_err	 rc;

	*removed = false;
	if (!store_check_id(mid))
		return SCIM_OK;
	rc = store_key_del(t, DBI_MEMBERS, tenant, gid, mid, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (rc != SCIM_OK)
		return rc;
	*removed = true;
	return memberof_del(t, tenant, mid, gid, err);
}

enum scim_err
store_member_scan(struct store_txn *t, const char *tenant, const char *gid,
    store_scan_fn fn, void *arg, struct scim_error *err)
{
	struct store_scan_ctx	 sc = { fn, arg, false, false, false };
	struct key		 p;
	enum scim_err		 rc;

	if (!store_key_make(&p, tenant, gid, NULL, true))
		return scim_oom(err);
	rc = store_walk_prefix(t, DBI_MEMBERS, &p, NULL, false,
	    store_scan_each, &sc, err);
	store_key_free(&p);
	return rc;
}

enum scim_err
store_member_clear(struct store_txn *t, const char *tenant, const char *gid,
    size_t *n, struct scim_error *err)
{
	struct store_scan_ctx	 sc = { idlist_add, NULL, true, false, false };
	struct idlist		 l = { NULL, 0, 0, false };
	struct key		 p;
	enum scim_err		 rc;
	size_t			 i;

	if (n != NULL)
		*n = 0;
	sc.arg = &l;
	if (!store_key_make(&p, tenant, gid, NULL, true))
		return scim_oom(err);
	rc = store_walk_prefix(t, DBI_MEMBERS, &p, NULL, false,
	    store_scan_each, &sc, err);
	store_key_free(&p);
	if (rc == SCIM_OK && l.oom)
		rc = scim_oom(err);
	for (i = 0; rc == SCIM_OK && i < l.n; i++)
		rc = pair_del(t, tenant, gid, l.v[i], err);
	if (rc == SCIM_OK && n != NULL)
		*n = l.n;
	idlist_free(&l);
	return rc;
}

enum scim_err
store_memberof_scan(struct store_txn *t, enum store_kind kind,
    const char *tenant, const char *mid, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	struct store_scan_ctx	 sc = { fn, arg, true, false, false };
	struct key		 p;
	enum scim_err		 rc;

	if (!store_check_id(mid))
		return SCIM_OK;
	if (!store_key_make(&p, tenant, mid, NULL, true))
		return scim_oom(err);
	rc = store_walk_prefix(t, memberof_dbi(t->s, kind), &p, NULL, false,
	    store_scan_each, &sc, err);
	store_key_free(&p);
	return rc;
}
