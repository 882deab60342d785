/*
 * Records by key, the layer every other file of the store writes through:
 * the table of databases, keys of NUL-separated parts, the one mapping
 * of Berkeley DB return codes (store_dberr()), get, put and delete of one
 * record, and a walk over the records under a key prefix.  It knows no
 * kind of record: users, groups, tokens and key spaces are store-res.c's
 * and store-kv.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <db.h>

#include "base/log.h"
#include "store/store-int.h"

const struct store_dbdef store_dbdefs[DBI__MAX] = {
	[DBI_USERS] =		{ "users.db", false, 8192, false },
	[DBI_USERS_NAME] =	{ "users_name.db", false, 4096, false },
	[DBI_USERS_EXT] =	{ "users_ext.db", true, 4096, false },
	[DBI_GROUPS] =		{ "groups.db", false, 8192, true },
	[DBI_GROUPS_NAME] =	{ "groups_name.db", false, 4096, false },
	[DBI_GROUPS_EXT] =	{ "groups_ext.db", true, 4096, false },
	[DBI_MEMBERS] =		{ "members.db", false, 8192, false },
	[DBI_MEMBEROF] =	{ "memberof.db", false, 4096, false },
	[DBI_TOKENS] =		{ "tokens.db", false, 4096, true },
	[DBI_META] =		{ "meta.db", false, 4096, false },
	[DBI_KV] =		{ "kv.db", false, 8192, false },
	/* The name indexes again, numbered (store_page_ids(), layout 5). */
	[DBI_USERS_ORDER] =	{ "users_order.db", false, 4096, false, true },
	[DBI_GROUPS_ORDER] =	{ "groups_order.db", false, 4096, false, true },
};

void
store_key_free(struct key *k)
{
	free(k->buf);
	k->buf = NULL;
}

/*
 * store_key_make() into buf (cap bytes) when the key fits there, into
 * memory of its own otherwise: key_drop() frees only that.  The keys of
 * one lookup (a tenant and an id or two) fit a buffer on the caller's
 * stack, and a malloc() and free() per lookup are saved.
 */
static bool
key_make_in(struct key *k, char *buf, size_t cap, const char *a,
    const char *b, const char *c, bool trailing)
{
	const char	*parts[3] = { a, b, c };
	size_t		 n = 0, i, l[3];

	k->len = 0;
	for (i = 0; i < 3 && parts[i] != NULL; i++)
		n += (l[i] = strlen(parts[i])) + 1;
	if (n + 1 <= cap)
		k->buf = buf;
	else if ((k->buf = malloc(n + 1)) == NULL)
		return false;
	for (i = 0; i < 3 && parts[i] != NULL; i++) {
		if (i > 0)
			k->buf[k->len++] = '\0';
		memcpy(k->buf + k->len, parts[i], l[i]);
		k->len += l[i];
	}
	if (trailing)
		k->buf[k->len++] = '\0';
	return true;
}

/* Free what key_make_in() allocated for k (buf: its caller's buffer). */
static void
key_drop(struct key *k, const char *buf)
{
	if (k->buf != buf)
		free(k->buf);
	k->buf = NULL;
}

/* A key buffer on the stack for the lookups below (see key_make_in()). */
#define KEY_STACK	(3 * (STORE_ID_MAX + 1) + 1)

/*
 * Build a key from up to three parts: "a\0b\0c".  With trailing set, a
 * NUL follows the last part too (a scan prefix).  Returns false on
 * allocation failure.
 */
bool
store_key_make(struct key *k, const char *a, const char *b, const char *c,
    bool trailing)
{
	return key_make_in(k, NULL, 0, a, b, c, trailing);
}

void
store_dbt_set(DBT *d, const void *data, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)data;
	d->size = (u_int32_t)len;
}

int
store_db_get(struct store_txn *t, enum dbi d, DBT *key, DBT *data,
    u_int32_t flags)
{
	struct store	*s = t->s;
	int		 ret;

	if (s->rep == NULL)
		return s->db[d]->get(s->db[d], t->txn, key, data, flags);
	/* DB_RMW counts as returning a key: say that it is only read. */
	key->flags |= DB_DBT_READONLY;
	data->flags |= DB_DBT_REALLOC;
	data->data = s->getbuf[d];
	ret = s->db[d]->get(s->db[d], t->txn, key, data, flags);
	if (data->data != NULL)
		s->getbuf[d] = data->data;
	data->flags &= ~DB_DBT_REALLOC;
	key->flags &= ~DB_DBT_READONLY;
	return ret;
}

/*
 * Map a Berkeley DB return code to an scim_err.  Deadlocks and lock
 * time-outs mark the transaction for a retry.
 */
enum scim_err
store_dberr(struct store_txn *t, int ret, const char *what,
    struct scim_error *err)
{
	switch (ret) {
	case 0:
		return SCIM_OK;
	case DB_NOTFOUND:
	case DB_KEYEMPTY:
		return scim_fail(err, SCIM_E_NOT_FOUND, "%s: not found", what);
	case DB_LOCK_DEADLOCK:
		t->retry = true;
		t->conflict = what;
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is busy, try again");
	case DB_LOCK_NOTGRANTED:
		t->retry = true;
		t->conflict = what;
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is busy, try again");
	case DB_RUNRECOVERY:
		/* Usually another process recovered it: store_run() reopens. */
		t->s->broken = true;
		log_info("%s: the environment was recovered or panicked (%s)",
		    what, db_strerror(ret));
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is recovering, try again");
	/* Replication (store-rep.c, docs/DESIGN.md "Replication"). */
	case DB_REP_LOCKOUT:
		/* This replica is synchronising with the master: wait. */
		t->retry = true;
		t->conflict = what;
		return scim_fail(err, SCIM_E_UNAVAILABLE, "this site is "
		    "synchronising with the replication group, try again");
	case DB_REP_HANDLE_DEAD:
		/* An election rolled back changes: open the handles again. */
		t->s->broken = true;
		log_info("%s: %s", what, db_strerror(ret));
		return scim_fail(err, SCIM_E_UNAVAILABLE,
		    "the store is recovering, try again");
	case ENOENT:
		/* A new replica not yet sent the databases by the master. */
		if (t->s->rep == NULL)
			break;
		return scim_fail(err, SCIM_E_UNAVAILABLE, "this site has not "
		    "yet received the store from the master of its "
		    "replication group; try again");
	case EACCES:
	case DB_REP_UNAVAIL:
		if (t->s->rep == NULL)
			break;
		return scim_fail(err, SCIM_E_UNAVAILABLE, "this site is a "
		    "replica of the replication group (the change must be "
		    "made on the master); try again");
	default:
		break;
	}
	log_err("%s: %s", what, db_strerror(ret));
	return scim_fail(err, SCIM_E_INTERNAL, "store error in %s", what);
}

bool
store_check_id(const char *s)
{
	return s != NULL && *s != '\0' && strlen(s) <= STORE_ID_MAX;
}

enum scim_err
store_rec_get(struct store_txn *t, enum dbi d, const struct key *k, cJSON **out,
    struct scim_error *err)
{
	DBT	 key, data;
	int	 ret;

	*out = NULL;
	store_dbt_set(&key, k->buf, k->len);
	store_dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = store_db_get(t, d, &key, &data, t->readonly ? 0 : DB_RMW);
	if (ret != 0)
		return store_dberr(t, ret, store_dbdefs[d].file, err);
	*out = cJSON_ParseWithLength(data.data, data.size);
	if (*out == NULL)
		return scim_fail(err, SCIM_E_INTERNAL,
		    "corrupt record in %s", store_dbdefs[d].file);
	return SCIM_OK;
}

enum scim_err
store_rec_put(struct store_txn *t, enum dbi d, const struct key *k,
    const void *val, size_t len, u_int32_t flags, struct scim_error *err)
{
	DBT	 key, data;
	int	 ret;

	store_dbt_set(&key, k->buf, k->len);
	store_dbt_set(&data, val, len);
	t->s->st.puts++;
	store_cached_touch(t, d);
	ret = t->s->db[d]->put(t->s->db[d], t->txn, &key, &data, flags);
	if (ret == DB_KEYEXIST)
		return scim_fail(err, SCIM_E_CONFLICT, "already exists");
	return store_dberr(t, ret, store_dbdefs[d].file, err);
}

enum scim_err
store_rec_put_json(struct store_txn *t, enum dbi d, const struct key *k,
    const cJSON *obj, u_int32_t flags, struct scim_error *err)
{
	enum scim_err	 rc;
	char		*text;

	if ((text = cJSON_PrintUnformatted(obj)) == NULL)
		return scim_oom(err);
	rc = store_rec_put(t, d, k, text, strlen(text), flags, err);
	free(text);
	return rc;
}

enum scim_err
store_rec_del(struct store_txn *t, enum dbi d, const struct key *k,
    struct scim_error *err)
{
	DBT	 key;

	store_dbt_set(&key, k->buf, k->len);
	t->s->st.dels++;
	store_cached_touch(t, d);
	return store_dberr(t, t->s->db[d]->del(t->s->db[d], t->txn, &key, 0),
	    store_dbdefs[d].file, err);
}

/* The operations above on the key a\0b[\0c], built and freed here. */
enum scim_err
store_key_get(struct store_txn *t, enum dbi d, const char *a, const char *b,
    const char *c, cJSON **out, struct scim_error *err)
{
	struct key	 k;
	char		 kbuf[KEY_STACK];
	enum scim_err	 rc;

	*out = NULL;
	if (!key_make_in(&k, kbuf, sizeof(kbuf), a, b, c, false))
		return scim_oom(err);
	rc = store_rec_get(t, d, &k, out, err);
	key_drop(&k, kbuf);
	return rc;
}

/* The stored bytes under key (a, b), NUL-terminated, in *out (a copy). */
enum scim_err
store_key_get_text(struct store_txn *t, enum dbi d, const char *a,
    const char *b, char **out, size_t *len, struct scim_error *err)
{
	struct key	 k;
	char		 kbuf[KEY_STACK];
	DBT		 key, data;
	int		 ret;

	*out = NULL;
	*len = 0;
	if (!key_make_in(&k, kbuf, sizeof(kbuf), a, b, NULL, false))
		return scim_oom(err);
	store_dbt_set(&key, k.buf, k.len);
	store_dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = store_db_get(t, d, &key, &data, t->readonly ? 0 : DB_RMW);
	key_drop(&k, kbuf);
	if (ret != 0)
		return store_dberr(t, ret, store_dbdefs[d].file, err);
	if ((*out = malloc(data.size + 1)) == NULL)
		return scim_oom(err);
	memcpy(*out, data.data, data.size);
	(*out)[data.size] = '\0';
	*len = data.size;
	return SCIM_OK;
}

enum scim_err
store_key_put_json(struct store_txn *t, enum dbi d, const char *a,
    const char *b, const char *c, const cJSON *obj, u_int32_t flags,
    struct scim_error *err)
{
	struct key	 k;
	char		 kbuf[KEY_STACK];
	enum scim_err	 rc;

	if (!key_make_in(&k, kbuf, sizeof(kbuf), a, b, c, false))
		return scim_oom(err);
	rc = store_rec_put_json(t, d, &k, obj, flags, err);
	key_drop(&k, kbuf);
	return rc;
}

enum scim_err
store_key_del(struct store_txn *t, enum dbi d, const char *a, const char *b,
    const char *c, struct scim_error *err)
{
	struct key	 k;
	char		 kbuf[KEY_STACK];
	enum scim_err	 rc;

	if (!key_make_in(&k, kbuf, sizeof(kbuf), a, b, c, false))
		return scim_oom(err);
	rc = store_rec_del(t, d, &k, err);
	key_drop(&k, kbuf);
	return rc;
}

/* Delete exactly the (key, id) pair from a duplicates index. */
enum scim_err
store_rec_del_dup(struct store_txn *t, enum dbi d, const struct key *k,
    const char *id, struct scim_error *err)
{
	DBC		*c = NULL;
	DBT		 key, data;
	enum scim_err	 rc;
	int		 ret;

	if ((ret = t->s->db[d]->cursor(t->s->db[d], t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	store_dbt_set(&key, k->buf, k->len);
	store_dbt_set(&data, id, strlen(id));
	t->s->st.steps++;
	ret = c->get(c, &key, &data, DB_GET_BOTH | DB_RMW);
	if (ret == 0) {
		t->s->st.dels++;
		ret = c->del(c, 0);
	}
	rc = ret == DB_NOTFOUND ? SCIM_OK : store_dberr(t, ret, "index", err);
	c->close(c);
	return rc;
}

/*
 * Walk every record whose key starts with prefix[0..plen), from `from`
 * when given (a full key at or after which to start), forwards or
 * backwards.  each() gets the key remainder after the prefix and the data.
 */
enum scim_err
store_walk_prefix(struct store_txn *t, enum dbi d, const struct key *prefix,
    const struct key *from, bool reverse, store_walk_fn each, void *arg,
    struct scim_error *err)
{
	DBC		*c = NULL;
	DBT		 key, data;
	enum scim_err	 rc = SCIM_OK;
	bool		 go_on = true;
	char		*hi = NULL;
	int		 ret;

	if ((ret = t->s->db[d]->cursor(t->s->db[d], t->txn, &c, 0)) != 0)
		return store_dberr(t, ret, "cursor", err);
	store_dbt_set(&data, NULL, 0);
	if (!reverse) {
		if (from != NULL)
			store_dbt_set(&key, from->buf, from->len);
		else
			store_dbt_set(&key, prefix->buf, prefix->len);
		ret = c->get(c, &key, &data, DB_SET_RANGE);
	} else {
		/* Position after the range, then step back into it. */
		if (from != NULL) {
			store_dbt_set(&key, from->buf, from->len);
			ret = c->get(c, &key, &data, DB_SET_RANGE);
			if (ret == 0 && (key.size != from->len ||
			    memcmp(key.data, from->buf, from->len) != 0))
				ret = c->get(c, &key, &data, DB_PREV);
			else if (ret == DB_NOTFOUND)
				ret = c->get(c, &key, &data, DB_LAST);
		} else {
			if ((hi = malloc(prefix->len + 1)) == NULL) {
				c->close(c);
				return scim_oom(err);
			}
			memcpy(hi, prefix->buf, prefix->len);
			hi[prefix->len] = (char)0xff;
			store_dbt_set(&key, hi, prefix->len + 1);
			ret = c->get(c, &key, &data, DB_SET_RANGE);
			if (ret == 0)
				ret = c->get(c, &key, &data, DB_PREV);
			else if (ret == DB_NOTFOUND)
				ret = c->get(c, &key, &data, DB_LAST);
		}
	}
	while (ret == 0 && go_on) {
		t->s->st.steps++;
		if (key.size < prefix->len ||
		    memcmp(key.data, prefix->buf, prefix->len) != 0)
			break;
		rc = each(t, arg, (const char *)key.data + prefix->len,
		    key.size - prefix->len, &data, &go_on, err);
		if (rc != SCIM_OK)
			break;
		ret = c->get(c, &key, &data, reverse ? DB_PREV : DB_NEXT);
	}
	if (rc == SCIM_OK && ret != 0 && ret != DB_NOTFOUND)
		rc = store_dberr(t, ret, store_dbdefs[d].file, err);
	free(hi);
	c->close(c);
	return rc;
}

/* A walk callback that parses JSON data and hands it to a scan callback. */
enum scim_err
store_scan_each(struct store_txn *t, void *arg, const char *rest,
    size_t restlen, const DBT *data, bool *go_on, struct scim_error *err)
{
	struct store_scan_ctx	*sc = arg;
	char			 id[STORE_ID_MAX * 8 + 1];
	cJSON			*obj = NULL;
	bool			 keep = false;
	const char		*src = rest;
	size_t			 n = restlen;

	(void)t;
	if (sc->records && memchr(rest, '\0', restlen) != NULL)
		return SCIM_OK;		/* a user's membership, not a record */
	if (sc->data_is_id) {
		src = data->data;
		n = data->size;
	}
	if (n >= sizeof(id))
		n = sizeof(id) - 1;
	memcpy(id, src, n);
	id[n] = '\0';
	if (!sc->ids_only) {
		obj = cJSON_ParseWithLength(data->data, data->size);
		if (obj == NULL)
			return scim_fail(err, SCIM_E_INTERNAL,
			    "corrupt record");
	}
	*go_on = sc->fn(sc->arg, id, obj, &keep);
	if (!keep)
		cJSON_Delete(obj);
	return SCIM_OK;
}
