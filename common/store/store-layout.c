/*
 * The store's layout version (meta.db "schema_version") and the moves
 * between layouts the store still makes: from layout 2 to 3, which keeps
 * a user's groups next to its record in users.db, and from 3 to 4, which
 * keys the name indexes by util_fold() instead of util_lower(), and from
 * 4 to 5, which counts each tenant's users and groups once into meta.db
 * (store_count(), kept in step by every write after).  Runs
 * inside an open (store-env.c), behind the closed gate, through
 * store_run().
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <db.h>

#include "base/log.h"
#include "base/util.h"
#include "store/store-int.h"
#include "store/store-rep.h"

/*
 * The store's layout version (meta.db "schema_version"), recorded in a new
 * store; a newer one is refused.  Layout 2 sharded the audit keys and
 * reads layout 1, so that step is only recorded.  Layout 3 keeps a user's
 * groups next to its record, layout 4 folds names (store_layout_check()).
 */
struct layout {
	long		 version;
	bool		 moving;	/* a move to layout 3 was not finished */
	bool		 folding;	/* ... or one to layout 4 */
	bool		 counting;	/* ... or one to layout 5 */
};

#define MOVING_KEY	"memberof_moving"
#define FOLDING_KEY	"names_folding"
#define MOVE_BATCH	2000		/* memberships per transaction */
#define FOLD_BATCH	2000		/* name keys per transaction */
#define COUNTING_KEY	"counts_making"
#define COUNT_BATCH	10000		/* name keys counted per transaction */

static enum scim_err
check_version(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct layout	*l = arg;
	char		 buf[32];
	enum scim_err	 rc;

	/* Every mark, whichever way this returns (a new store has none). */
	memset(l, 0, sizeof(*l));
	rc = store_meta_get(t, "schema_version", buf, sizeof(buf), err);
	if (rc == SCIM_E_NOT_FOUND) {
		l->version = STORE_SCHEMA_VERSION;
		snprintf(buf, sizeof(buf), "%d", STORE_SCHEMA_VERSION);
		return store_meta_put(t, "schema_version", buf, err);
	}
	if (rc != SCIM_OK)
		return rc;
	if (!util_parse_long(buf, 1, 1000000, &l->version) ||
	    l->version > STORE_SCHEMA_VERSION)
		return scim_fail(err, SCIM_E_INTERNAL,
		    "store layout version %s is newer than this program (%d)",
		    buf, STORE_SCHEMA_VERSION);
	if (l->version < 2) {
		l->version = 2;
		return store_meta_put(t, "schema_version", "2", err);
	}
	rc = store_meta_get(t, MOVING_KEY, buf, sizeof(buf), err);
	l->moving = rc == SCIM_OK;
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	rc = store_meta_get(t, FOLDING_KEY, buf, sizeof(buf), err);
	l->folding = rc == SCIM_OK;
	if (rc != SCIM_OK && rc != SCIM_E_NOT_FOUND)
		return rc;
	rc = store_meta_get(t, COUNTING_KEY, buf, sizeof(buf), err);
	l->counting = rc == SCIM_OK;
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

/* What a move records when it begins: its layout and its mark. */
struct step {
	const char	*version;	/* "3", "4", "5" */
	const char	*mark;		/* MOVING_KEY, FOLDING_KEY, COUNTING_KEY */
};

/* Record the layout of step arg and that the move to it has begun. */
static enum scim_err
step_begin(struct store_txn *t, void *arg, struct scim_error *err)
{
	const struct step	*st = arg;
	enum scim_err		 rc;

	rc = store_meta_put(t, "schema_version", st->version, err);
	if (rc != SCIM_OK)
		return rc;
	return store_meta_put(t, st->mark, "1", err);
}

/* The move of step arg is done: remove its mark. */
static enum scim_err
step_end(struct store_txn *t, void *arg, struct scim_error *err)
{
	const struct step	*st = arg;
	struct key		 k = { (char *)st->mark, strlen(st->mark) };
	enum scim_err		 rc;

	rc = store_rec_del(t, DBI_META, &k, err);
	return rc == SCIM_E_NOT_FOUND ? SCIM_OK : rc;
}

struct move_ctx {
	char		 from[3 * (STORE_ID_MAX + 1)];	/* where to go on */
	size_t		 fromlen;			/* 0: the start */
	char		 next[3 * (STORE_ID_MAX + 1)];	/* ... after this one */
	size_t		 nextlen;
	size_t		 moved;
	size_t		 batch;				/* moved by this one */
	bool		 done;
};

/*
 * Move the next MOVE_BATCH users' memberships (tenant\0uid\0gid, whose
 * tenant\0uid is a user's record) from memberof.db to users.db.  Groups'
 * memberships (nested groups) stay; so do entries naming no user.
 */
static enum scim_err
move_batch(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct move_ctx	*m = arg;
	DBC		*c = NULL;
	DBT		 key, data, rk, rd;
	struct key	 k;
	enum scim_err	 rc = SCIM_OK;
	char		*nul;
	size_t		 n = 0, rlen;
	int		 ret;

	m->done = false;
	m->batch = 0;
	m->nextlen = m->fromlen;
	memcpy(m->next, m->from, m->fromlen);
	if ((ret = t->s->db[DBI_MEMBEROF]->cursor(t->s->db[DBI_MEMBEROF],
	    t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	store_dbt_set(&key, m->from, m->fromlen);
	store_dbt_set(&data, NULL, 0);
	ret = c->get(c, &key, &data, m->fromlen > 0 ? DB_SET_RANGE | DB_RMW :
	    DB_FIRST | DB_RMW);
	for (; ret == 0 && n < MOVE_BATCH; ret = c->get(c, &key, &data,
	    DB_NEXT | DB_RMW)) {
		if (key.size >= sizeof(m->next))
			continue;		/* no key of ours is this long */
		memcpy(m->next, key.data, key.size);
		m->nextlen = key.size;
		/* tenant\0uid\0gid: the record's key is tenant\0uid. */
		if ((nul = memchr(m->next, '\0', key.size)) == NULL ||
		    (nul = memchr(nul + 1, '\0',
		    key.size - (size_t)(nul + 1 - m->next))) == NULL)
			continue;
		rlen = (size_t)(nul - m->next);
		store_dbt_set(&rk, m->next, rlen);
		store_dbt_set(&rd, NULL, 0);
		rd.flags = DB_DBT_PARTIAL;	/* existence only */
		t->s->st.gets++;
		ret = store_db_get(t, DBI_USERS, &rk, &rd, 0);
		if (ret == DB_NOTFOUND)
			continue;
		if (ret != 0) {
			rc = store_dberr(t, ret, "users.db", err);
			goto out;
		}
		k.buf = m->next;
		k.len = m->nextlen;
		if ((rc = store_rec_put(t, DBI_USERS, &k, "", 0, 0, err)) !=
		    SCIM_OK)
			goto out;
		t->s->st.dels++;
		if ((ret = c->del(c, 0)) != 0)
			break;
		n++;
	}
	if (ret == DB_NOTFOUND)
		m->done = true;
	else if (ret != 0)
		rc = store_dberr(t, ret, "memberof.db", err);
	m->batch = n;
out:
	c->close(c);
	return rc;
}

/*
 * Not alone in a store of layout have (older than want): keep it as it
 * is, for the programs (perhaps of an older version) that share it.
 */
static enum scim_err
layout_kept(struct store *s, long have, int want)
{
	log_info("%s: store layout %ld kept while other processes (perhaps "
	    "of an older version) have the store open; the first program to "
	    "open it alone moves it to layout %d", s->home, have, want);
	return SCIM_OK;
}

/* --- layout 4: name index keys folded --- */

/* One name index entry to re-key: tenant\0oldname -> tenant\0fold. */
struct fold_entry {
	char		*okey, *nkey;
	size_t		 olen, nlen;
	char		 id[STORE_ID_MAX + 1];
};

struct fold_ctx {
	enum dbi	 d;				/* the index */
	char		*from;				/* go on after */
	size_t		 fromlen;			/* 0: the start */
	char		*start;				/* ... where the
							   batch began */
	size_t		 startlen;
	struct fold_entry e[FOLD_BATCH];		/* this batch */
	size_t		 n;
	size_t		 rekeyed, clashes;		/* by this batch */
	bool		 done;
};

static void
fold_clear(struct fold_ctx *f)
{
	size_t	 i;

	for (i = 0; i < f->n; i++) {
		free(f->e[i].okey);
		free(f->e[i].nkey);
	}
	f->n = 0;
}

/*
 * Note the key k (tenant\0name) of the index entry for id when its name
 * folds to another key: false when memory is short.
 */
static bool
fold_note(struct fold_ctx *f, const DBT *k, const DBT *v)
{
	struct fold_entry	*e = &f->e[f->n];
	const char		*nul;
	char			*name, *folded;
	size_t			 tlen;

	if ((nul = memchr(k->data, '\0', k->size)) == NULL ||
	    v->size > STORE_ID_MAX)
		return true;			/* not a key of ours */
	tlen = (size_t)(nul - (const char *)k->data);
	if ((name = strndup(nul + 1, k->size - tlen - 1)) == NULL)
		return false;
	folded = util_fold(name, true);
	free(name);
	if (folded == NULL)
		return false;
	if (strlen(folded) == k->size - tlen - 1 &&
	    memcmp(folded, nul + 1, k->size - tlen - 1) == 0) {
		free(folded);
		return true;
	}
	e->olen = k->size;
	e->nlen = tlen + 1 + strlen(folded);
	e->okey = malloc(e->olen);
	e->nkey = malloc(e->nlen);
	if (e->okey == NULL || e->nkey == NULL) {
		free(e->okey);
		free(e->nkey);
		free(folded);
		return false;
	}
	memcpy(e->okey, k->data, e->olen);
	memcpy(e->nkey, k->data, tlen + 1);
	memcpy(e->nkey + tlen + 1, folded, e->nlen - tlen - 1);
	memcpy(e->id, v->data, v->size);
	e->id[v->size] = '\0';
	free(folded);
	f->n++;
	return true;
}

/*
 * Read the next FOLD_BATCH entries of f->d from f->from on whose key
 * changes under util_fold(), into f->e; f->from becomes the last key
 * read, f->done true at the end of the index.
 */
static enum scim_err
fold_read(struct store_txn *t, struct fold_ctx *f, struct scim_error *err)
{
	DB		*db = t->s->db[f->d];
	DBC		*c = NULL;
	DBT		 key, data;
	enum scim_err	 rc = SCIM_OK;
	char		*last;
	int		 ret;

	if ((ret = db->cursor(db, t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	store_dbt_set(&key, f->from, f->fromlen);
	store_dbt_set(&data, NULL, 0);
	ret = c->get(c, &key, &data, f->fromlen > 0 ? DB_SET_RANGE : DB_FIRST);
	for (; ret == 0 && f->n < FOLD_BATCH;
	    ret = c->get(c, &key, &data, DB_NEXT)) {
		t->s->st.steps++;
		if (key.size == f->fromlen &&
		    memcmp(key.data, f->from, f->fromlen) == 0)
			continue;		/* done by the last batch */
		if ((last = malloc(key.size + 1)) == NULL) {
			rc = scim_oom(err);
			break;
		}
		memcpy(last, key.data, key.size);
		free(f->from);
		f->from = last;
		f->fromlen = key.size;
		if (!fold_note(f, &key, &data)) {
			rc = scim_oom(err);
			break;
		}
	}
	if (rc == SCIM_OK && ret == DB_NOTFOUND)
		f->done = true;
	else if (rc == SCIM_OK && ret != 0)
		rc = store_dberr(t, ret, store_dbdefs[f->d].file, err);
	c->close(c);
	return rc;
}

/*
 * Re-key one batch (store_run: resets its outputs, may run again): each
 * entry moves to its folded key, unless another id holds that key
 * already: two records whose names now fold alike.  Both records stay;
 * the first keeps the folded key, the second its old one (listed and
 * counted as before, found by its own id, released by store_del()), and
 * the clash is logged for the administrator.
 */
static enum scim_err
fold_batch(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct fold_ctx		*f = arg;
	struct fold_entry	*e;
	struct key		 ok, nk;
	DB			*db = t->s->db[f->d];
	DBT			 key, data;
	enum scim_err		 rc;
	size_t			 i;
	int			 ret;

	fold_clear(f);
	f->done = false;
	f->rekeyed = f->clashes = 0;
	free(f->from);
	f->from = NULL;
	f->fromlen = 0;
	if (f->startlen > 0) {
		if ((f->from = malloc(f->startlen)) == NULL)
			return scim_oom(err);
		memcpy(f->from, f->start, f->startlen);
		f->fromlen = f->startlen;
	}
	if ((rc = fold_read(t, f, err)) != SCIM_OK)
		return rc;
	for (i = 0; i < f->n; i++) {
		e = &f->e[i];
		store_dbt_set(&key, e->nkey, e->nlen);
		store_dbt_set(&data, NULL, 0);
		data.flags = DB_DBT_MALLOC;
		t->s->st.gets++;
		ret = db->get(db, t->txn, &key, &data, DB_RMW);
		if (ret == 0 && (data.size != strlen(e->id) ||
		    memcmp(data.data, e->id, data.size) != 0)) {
			log_warn("%s: %s: in tenant \"%s\" the names of %.*s "
			    "and %s now fold alike (\"%.*s\"): both records "
			    "are kept, %.*s holds the name, %s stays under "
			    "its old key until it is renamed or deleted",
			    t->s->home, store_dbdefs[f->d].file, e->nkey,
			    (int)data.size, (char *)data.data, e->id,
			    (int)(e->nlen - strlen(e->nkey) - 1),
			    e->nkey + strlen(e->nkey) + 1,
			    (int)data.size, (char *)data.data, e->id);
			free(data.data);
			f->clashes++;
			continue;
		}
		free(data.data);
		if (ret != 0 && ret != DB_NOTFOUND)
			return store_dberr(t, ret, store_dbdefs[f->d].file,
			    err);
		ok.buf = e->okey;
		ok.len = e->olen;
		nk.buf = e->nkey;
		nk.len = e->nlen;
		if ((ret == DB_NOTFOUND && (rc = store_rec_put(t, f->d, &nk,
		    e->id, strlen(e->id), 0, err)) != SCIM_OK) ||
		    ((rc = store_rec_del(t, f->d, &ok, err)) != SCIM_OK &&
		    rc != SCIM_E_NOT_FOUND))
			return rc;
		f->rekeyed++;
	}
	return SCIM_OK;
}

/*
 * Layout 4 keys users_name.db and groups_name.db by util_fold() of the
 * name (NFKC, full case folding, invisible characters dropped, white
 * space cut at the ends) instead of by its ASCII lower case, so names
 * that read alike are one name.  The old key is itself a name: its fold
 * is the fold of the name it came from.  Re-keyed in transactions of
 * FOLD_BATCH, under the same rules as the move to layout 3 (below).
 */
static enum scim_err
store_fold_names(struct store *s, struct scim_error *err)
{
	static const enum dbi	 idx[] = { DBI_USERS_NAME, DBI_GROUPS_NAME };
	struct fold_ctx		*f;
	enum scim_err		 rc = SCIM_OK;
	size_t			 i, rekeyed = 0, clashes = 0;

	for (i = 0; rc == SCIM_OK && i < sizeof(idx) / sizeof(idx[0]); i++) {
		if ((f = calloc(1, sizeof(*f))) == NULL)
			return scim_oom(err);
		f->d = idx[i];
		while ((rc = store_run(s, fold_batch, f, err)) == SCIM_OK) {
			rekeyed += f->rekeyed;
			clashes += f->clashes;
			if (f->done)
				break;
			/* Committed: the next batch begins where it ended. */
			free(f->start);
			f->start = f->from;
			f->startlen = f->fromlen;
			f->from = NULL;
			f->fromlen = 0;
		}
		fold_clear(f);
		free(f->from);
		free(f->start);
		free(f);
	}
	if (rc == SCIM_OK)
		log_info("%s: store layout 4: %zu names re-keyed by their "
		    "Unicode fold, %zu clashes kept under their old keys",
		    s->home, rekeyed, clashes);
	return rc;
}

/* --- layout 5: per-tenant counts --- */

/* Where a count stands between two batches. */
struct count_at {
	char		*from;			/* next key to count; NULL:
						   the start */
	size_t		 fromlen;
	char		 tenant[STORE_ID_MAX + 1];	/* being counted */
	size_t		 n;				/* ... so far */
};

struct count_ctx {
	enum dbi	 d;
	enum dbi	 order;		/* its numbered copy, filled */
	enum store_kind	 kind;
	struct count_at	 at;		/* committed */
	struct count_at	 next;		/* what this batch reaches */
	size_t		 tenants;	/* counted, by this batch */
	bool		 done;
};

/* Close the tenant being counted: its counter written. */
static enum scim_err
count_close(struct store_txn *t, struct count_ctx *cc, struct count_at *a,
    struct scim_error *err)
{
	if (a->tenant[0] == '\0')
		return SCIM_OK;
	cc->tenants++;
	return store_count_put(t, cc->kind, a->tenant, a->n, err);
}

/*
 * Count the next COUNT_BATCH keys of the name index cc->d by tenant (the
 * key's part before its first NUL), writing each tenant's counter when
 * its last key is passed, and copy them into its numbered twin.  Starts from cc->at every time (store_run()
 * may run it again); the caller takes cc->next once it committed.
 */
static enum scim_err
count_batch(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct count_ctx *cc = arg;
	struct count_at	*a = &cc->next;
	DB		*db = t->s->db[cc->d];
	DBC		*c = NULL;
	DBT		 key, data;
	struct key	 k;
	enum scim_err	 rc = SCIM_OK;
	size_t		 i, tl;
	int		 ret;

	free(a->from);
	*a = cc->at;
	a->from = NULL;
	cc->tenants = 0;
	if ((ret = db->cursor(db, t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	store_dbt_set(&key, cc->at.from, cc->at.fromlen);
	store_dbt_set(&data, NULL, 0);
	ret = c->get(c, &key, &data, cc->at.from != NULL ? DB_SET_RANGE :
	    DB_FIRST);
	for (i = 0; ret == 0 && i < COUNT_BATCH; i++) {
		k.buf = key.data;
		k.len = key.size;
		if ((rc = store_rec_put(t, cc->order, &k, data.data, data.size,
		    0, err)) != SCIM_OK)
			goto out;
		tl = strnlen(key.data, key.size);
		if (tl > STORE_ID_MAX) {
			rc = scim_fail(err, SCIM_E_INTERNAL, "corrupt key");
			goto out;
		}
		if (strlen(a->tenant) != tl ||
		    memcmp(a->tenant, key.data, tl) != 0) {
			if ((rc = count_close(t, cc, a, err)) != SCIM_OK)
				goto out;
			memcpy(a->tenant, key.data, tl);
			a->tenant[tl] = '\0';
			a->n = 0;
		}
		a->n++;
		ret = c->get(c, &key, &data, DB_NEXT);
	}
	if (ret == DB_NOTFOUND) {
		cc->done = true;
		rc = count_close(t, cc, a, err);
	} else if (ret != 0)
		rc = store_dberr(t, ret, store_dbdefs[cc->d].file, err);
	else if ((a->from = malloc(key.size)) == NULL)
		rc = scim_oom(err);
	else {
		memcpy(a->from, key.data, key.size);
		a->fromlen = key.size;
	}
out:
	c->close(c);
	return rc;
}

/*
 * Start layout 5 afresh: the numbered indexes emptied, and every count
 * in meta.db (count\0...) removed, so a tenant that has nothing left
 * keeps no count from an earlier try.
 */
static enum scim_err
count_clear(struct store_txn *t, void *arg, struct scim_error *err)
{
	static const char	 prefix[] = "count";	/* and its NUL */
	DB			*db = t->s->db[DBI_META];
	DBC			*c = NULL;
	DBT			 key, data;
	u_int32_t		 n;
	int			 ret;

	(void)arg;
	if ((ret = t->s->db[DBI_USERS_ORDER]->truncate(
	    t->s->db[DBI_USERS_ORDER], t->txn, &n, 0)) != 0 ||
	    (ret = t->s->db[DBI_GROUPS_ORDER]->truncate(
	    t->s->db[DBI_GROUPS_ORDER], t->txn, &n, 0)) != 0)
		return store_dberr(t, ret, "truncate", err);
	if ((ret = db->cursor(db, t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	store_dbt_set(&key, prefix, sizeof(prefix));
	store_dbt_set(&data, NULL, 0);
	data.flags = DB_DBT_PARTIAL;
	for (ret = c->get(c, &key, &data, DB_SET_RANGE); ret == 0;
	    ret = c->get(c, &key, &data, DB_NEXT)) {
		if (key.size < sizeof(prefix) ||
		    memcmp(key.data, prefix, sizeof(prefix)) != 0)
			break;
		if ((ret = c->del(c, 0)) != 0)
			break;
	}
	c->close(c);
	if (ret != 0 && ret != DB_NOTFOUND)
		return store_dberr(t, ret, "meta.db", err);
	return SCIM_OK;
}

/*
 * Layout 5 keeps each tenant's number of users and of groups in meta.db
 * (count\0tenant\0u|g), moved by store_put() and store_del() in the
 * write's own transaction, so totalResults is one read instead of a walk
 * of the tenant's name index, and a numbered copy of each name index
 * (users_order.db, groups_order.db: DB_RECNUM, store-res.c), so a page at
 * startIndex N is found by its number instead of by walking N keys.  The
 * first count walks both name indexes once, filling the copies, in
 * transactions of COUNT_BATCH, under the same rules
 * as the moves to layouts 3 and 4: begun only alone, recorded first
 * (layout 5 and COUNTING_KEY), and finished by any open that finds the
 * mark.  An unfinished count is taken up from the start, after
 * count_clear(): counting again is harmless.
 */
static enum scim_err
store_count_all(struct store *s, struct scim_error *err)
{
	static const struct {
		enum dbi	 d, order;
		enum store_kind	 kind;
	} idx[] = {
		{ DBI_USERS_NAME, DBI_USERS_ORDER, STORE_USER },
		{ DBI_GROUPS_NAME, DBI_GROUPS_ORDER, STORE_GROUP },
	};
	struct count_ctx	*cc;
	enum scim_err		 rc = SCIM_OK;
	size_t			 i, tenants = 0;

	if ((rc = store_run(s, count_clear, NULL, err)) != SCIM_OK)
		return rc;
	for (i = 0; rc == SCIM_OK && i < sizeof(idx) / sizeof(idx[0]); i++) {
		if ((cc = calloc(1, sizeof(*cc))) == NULL)
			return scim_oom(err);
		cc->d = idx[i].d;
		cc->order = idx[i].order;
		cc->kind = idx[i].kind;
		while ((rc = store_run(s, count_batch, cc, err)) == SCIM_OK) {
			tenants += cc->tenants;
			free(cc->at.from);
			cc->at = cc->next;	/* committed: go on from it */
			cc->next.from = NULL;
			if (cc->done)
				break;
		}
		free(cc->at.from);
		free(cc->next.from);
		free(cc);
	}
	if (rc == SCIM_OK)
		log_info("%s: store layout 5: %zu per-tenant counts made",
		    s->home, tenants);
	return rc;
}

/*
 * Layout 3 keeps the "user uid is in group gid" half of each membership
 * in users.db under tenant\0uid\0gid, next to the user's record
 * (tenant\0uid), instead of in memberof.db: reading a user then finds its
 * groups on the page its record is on, one random page instead of two
 * (the GET handler in-process, over random users of a 260,000-user
 * store: 8.8 -> 7.9 us).  Groups' memberships (nested groups) stay in
 * memberof.db.
 *
 * An open of a layout-2 store moves them, in transactions of MOVE_BATCH,
 * under the closed gate, but only when no other process has the
 * environment open: a program of an older version, still running during
 * an upgrade, would go on using memberof.db.  The move first records
 * layout 3 (which older programs refuse to open) and MOVING_KEY; an open
 * that finds that mark finishes the move (whoever began it died).  Not
 * alone, the process uses layout 2 as it is (s->beside false) until an
 * open that is alone moves it (the next start of the web server).
 */
static enum scim_err
layout_move_memberof(struct store *s, struct scim_error *err)
{
	static const struct step	 st = { "3", MOVING_KEY };
	struct move_ctx			*m;
	enum scim_err			 rc = SCIM_OK;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return scim_oom(err);
	while ((rc = store_run(s, move_batch, m, err)) == SCIM_OK) {
		m->moved += m->batch;
		memcpy(m->from, m->next, m->nextlen);
		m->fromlen = m->nextlen;
		if (m->done)
			break;
	}
	if (rc == SCIM_OK)
		rc = store_run(s, step_end, (void *)&st, err);
	if (rc == SCIM_OK)
		log_info("%s: store layout 3: moved %zu users' memberships "
		    "next to their records", s->home, m->moved);
	free(m);
	return rc;
}

/*
 * Check the layout, and move the store on to layout 5 when it may: a move
 * that was begun (its mark in meta.db) is always finished; one that was
 * not begins only when this process is alone in the environment.  Sets
 * s->beside, s->folded and s->counted to what the layout the store is
 * left in keeps.
 */
enum scim_err
store_layout_check(struct store *s, struct scim_error *err)
{
	static const struct step	 to3 = { "3", MOVING_KEY };
	static const struct step	 to4 = { "4", FOLDING_KEY };
	static const struct step	 to5 = { "5", COUNTING_KEY };
	struct layout			 l;
	enum scim_err			 rc;
	bool				 alone;

	/*
	 * Replication: only the master writes, so it alone records and
	 * moves the layout; a replica (or a site while no master is known)
	 * reads the one it was sent, and gets a moved one by replication.
	 */
	if (s->rep != NULL && store_rep_role(s) != STORE_ROLE_MASTER) {
		if ((rc = store_read(s, check_version, &l, err)) != SCIM_OK)
			return rc;
		s->beside = l.version >= 3 && !l.moving;
		s->folded = l.version >= 4 && !l.folding;
		s->counted = l.version >= 5 && !l.counting;
		return SCIM_OK;
	}
	if ((rc = store_run(s, check_version, &l, err)) != SCIM_OK)
		return rc;
	alone = store_gate_alone(s);
	s->beside = l.version >= 3 && !l.moving;
	s->folded = l.version >= 4 && !l.folding;
	s->counted = l.version >= 5 && !l.counting;
	if (!s->beside) {
		if (!l.moving && !alone)
			return layout_kept(s, l.version, 3);
		s->beside = true;
		if (!l.moving && (rc = store_run(s, step_begin, (void *)&to3,
		    err)) != SCIM_OK)
			return rc;
		if ((rc = layout_move_memberof(s, err)) != SCIM_OK)
			return rc;
		l.version = 3;
	}
	if (!s->folded) {
		if (!l.folding && !alone)
			return layout_kept(s, l.version, 4);
		if (!l.folding && (rc = store_run(s, step_begin, (void *)&to4,
		    err)) != SCIM_OK)
			return rc;
		/* Claims made while folding must use the new keys. */
		s->folded = true;
		if ((rc = store_fold_names(s, err)) != SCIM_OK)
			return rc;
		if ((rc = store_run(s, step_end, (void *)&to4, err)) != SCIM_OK)
			return rc;
		l.version = 4;
	}
	if (!s->counted) {
		if (!l.counting && !alone)
			return layout_kept(s, l.version, 5);
		if (!l.counting && (rc = store_run(s, step_begin, (void *)&to5,
		    err)) != SCIM_OK)
			return rc;
		/* Nothing writes until the open returns: count, then keep. */
		if ((rc = store_count_all(s, err)) != SCIM_OK)
			return rc;
		if ((rc = store_run(s, step_end, (void *)&to5, err)) != SCIM_OK)
			return rc;
		s->counted = true;
	}
	return rc;
}
