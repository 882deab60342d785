/*
 * The simple record spaces: Secret Tokens by public token id (tokens.db),
 * the key spaces other modules own (kv.db: admins, sessions, audit,
 * outbox), and meta.db's named values.  What a token or a value means is
 * its module's business; here they are JSON (or short strings) under a
 * key.
 */
#include <stdbool.h>
#include <string.h>

#include <db.h>

#include "store/store-int.h"

/* --- tokens --- */

enum scim_err
store_token_get(struct store_txn *t, const char *tid, cJSON **out,
    struct scim_error *err)
{
	enum scim_err	 rc;

	*out = NULL;
	if (!store_check_id(tid))
		return scim_fail(err, SCIM_E_NOT_FOUND, "no such token");
	rc = store_key_get(t, DBI_TOKENS, tid, NULL, NULL, out, err);
	return rc;
}

enum scim_err
store_token_get_raw(struct store_txn *t, const char *tid, char **out,
    size_t *len, struct scim_error *err)
{
	*out = NULL;
	*len = 0;
	if (!store_check_id(tid))
		return scim_fail(err, SCIM_E_NOT_FOUND, "no such token");
	return store_key_get_text(t, DBI_TOKENS, tid, NULL, out, len, err);
}

enum scim_err
store_token_put(struct store_txn *t, const char *tid, const cJSON *tok,
    struct scim_error *err)
{
	enum scim_err	 rc;

	if (!store_check_id(tid))
		return scim_fail(err, SCIM_E_INVALID_VALUE, "bad token id");
	rc = store_key_put_json(t, DBI_TOKENS, tid, NULL, NULL, tok, 0, err);
	return rc;
}

enum scim_err
store_token_del(struct store_txn *t, const char *tid, struct scim_error *err)
{
	enum scim_err	 rc;

	if (!store_check_id(tid))
		return scim_fail(err, SCIM_E_NOT_FOUND, "no such token");
	rc = store_key_del(t, DBI_TOKENS, tid, NULL, NULL, err);
	return rc;
}

enum scim_err
store_token_scan(struct store_txn *t, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	struct store_scan_ctx	 sc = { fn, arg, false, false, false };
	struct key		 p = { (char *)"", 0 };

	return store_walk_prefix(t, DBI_TOKENS, &p, NULL, false,
	    store_scan_each, &sc, err);
}

/* --- key spaces --- */

enum scim_err
store_kv_get(struct store_txn *t, const char *tenant, const char *space,
    const char *key, cJSON **out, struct scim_error *err)
{
	return store_key_get(t, DBI_KV, tenant, space, key, out, err);
}

enum scim_err
store_kv_put(struct store_txn *t, const char *tenant, const char *space,
    const char *key, const cJSON *val, struct scim_error *err)
{
	return store_key_put_json(t, DBI_KV, tenant, space, key, val, 0, err);
}

enum scim_err
store_kv_del(struct store_txn *t, const char *tenant, const char *space,
    const char *key, struct scim_error *err)
{
	return store_key_del(t, DBI_KV, tenant, space, key, err);
}

enum scim_err
store_kv_scan(struct store_txn *t, const char *tenant, const char *space,
    const char *from, bool reverse, store_scan_fn fn, void *arg,
    struct scim_error *err)
{
	struct store_scan_ctx	 sc = { fn, arg, false, false, false };
	struct key		 p, f = { NULL, 0 };
	enum scim_err		 rc;

	if (!store_key_make(&p, tenant, space, NULL, true))
		return scim_oom(err);
	if (from != NULL && !store_key_make(&f, tenant, space, from, false)) {
		store_key_free(&p);
		return scim_oom(err);
	}
	rc = store_walk_prefix(t, DBI_KV, &p, from != NULL ? &f : NULL, reverse,
	    store_scan_each, &sc, err);
	store_key_free(&p);
	store_key_free(&f);
	return rc;
}

/* --- meta --- */

enum scim_err
store_meta_get(struct store_txn *t, const char *name, char *buf, size_t sz,
    struct scim_error *err)
{
	DBT	 key, data;
	int	 ret;

	store_dbt_set(&key, name, strlen(name));
	store_dbt_set(&data, NULL, 0);
	t->s->st.gets++;
	ret = store_db_get(t, DBI_META, &key, &data, 0);
	if (ret != 0)
		return store_dberr(t, ret, "meta.db", err);
	if (data.size >= sz)
		return scim_fail(err, SCIM_E_INTERNAL, "meta value too long");
	memcpy(buf, data.data, data.size);
	buf[data.size] = '\0';
	return SCIM_OK;
}

enum scim_err
store_meta_put(struct store_txn *t, const char *name, const char *value,
    struct scim_error *err)
{
	struct key	 k;
	enum scim_err	 rc;

	if (!store_key_make(&k, name, NULL, NULL, false))
		return scim_oom(err);
	rc = store_rec_put(t, DBI_META, &k, value, strlen(value), 0, err);
	store_key_free(&k);
	return rc;
}
