/*
 * Claims of unique extension values (unique.h): what a declaration may
 * say, the values a record holds for each unique attribute, and the
 * claims moved by a write (the rebuild is in unique-rebuild.c).
 *
 * A write compares the values the record held with those it will hold,
 * both as sorted lists, and touches only the difference: unique_check()
 * reads the claim of each value dropped and of each value added, and
 * unique_apply(), once the record is written, drops the first (when the
 * resource holds them) and writes the second.  Reading the holder's
 * record happens only when a claim names another resource, to tell a
 * real holder from a stale claim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/sha2.h>

#include "base/json.h"
#include "base/lex.h"
#include "base/util.h"
#include "scim/unique.h"
#include "scim/unique-int.h"

const char *
unique_refusal(const struct schema_attr *a)
{
	if (a->uniqueness == UNIQ_NONE)
		return NULL;
	if (a->type == ATTR_BOOLEAN)
		return "a boolean cannot be unique (it has two values)";
	if (a->type == ATTR_COMPLEX)
		return "a complex attribute cannot be unique (declare "
		    "\"uniqueness\" on the sub-attributes whose values must "
		    "be)";
	return NULL;
}

/* Is a, or one of its sub-attributes, declared unique? */
static bool
uniq_attr_declared(const struct schema_attr *a)
{
	size_t	 j;

	if (a->type != ATTR_COMPLEX)
		return a->uniqueness != UNIQ_NONE;
	for (j = 0; j < a->nsub; j++)
		if (a->sub[j].uniqueness != UNIQ_NONE)
			return true;
	return false;
}

bool
unique_declared(const struct resource_type *rt)
{
	const struct schema	*s;
	size_t			 e, i;

	for (e = 0; (s = rt->ext[e]) != NULL; e++)
		for (i = 0; i < s->nattrs; i++)
			if (uniq_attr_declared(&s->attrs[i]))
				return true;
	return false;
}

/*
 * Call fn for each unique attribute of rt's extensions, in declaration
 * order, until it returns anything but SCIM_OK (which is returned).
 */
enum scim_err
uniq_each(const struct resource_type *rt, uniq_attr_fn fn, void *arg,
    struct scim_error *err)
{
	struct uniq_attr	 u;
	size_t			 e, i, j;
	enum scim_err		 rc;

	for (e = 0; (u.s = rt->ext[e]) != NULL; e++)
		for (i = 0; i < u.s->nattrs; i++) {
			u.a = &u.s->attrs[i];
			u.sub = NULL;
			if (u.a->type != ATTR_COMPLEX) {
				if (u.a->uniqueness != UNIQ_NONE &&
				    (rc = fn(arg, &u, err)) != SCIM_OK)
					return rc;
				continue;
			}
			for (j = 0; j < u.a->nsub; j++) {
				u.sub = &u.a->sub[j];
				if (u.sub->uniqueness != UNIQ_NONE &&
				    (rc = fn(arg, &u, err)) != SCIM_OK)
					return rc;
			}
		}
	return SCIM_OK;
}

/* u's name "urn:attr" or "urn:attr.sub" as declared, for a message. */
static void
uniq_name(const struct uniq_attr *u, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s:%s%s%s", u->s->id, u->a->name,
	    u->sub != NULL ? "." : "", u->sub != NULL ? u->sub->name : "");
}

/* The same lower-cased, as keys carry it (URNs and names: ASCII). */
void
uniq_path(const struct uniq_attr *u, char *buf, size_t sz)
{
	char	*p;

	uniq_name(u, buf, sz);
	for (p = buf; *p != '\0'; p++)
		*p = (char)lex_lower((unsigned char)*p);
}

/* Bytes of a long value's key form kept as they are (see below). */
#define UNIQ_LONG_PREFIX	200

/*
 * The key form of a value longer than UNIQUE_VALUE_MAX, which v (malloc)
 * is freed for: its first bytes (cut at a character), " ... sha256:" and
 * the hex SHA-256 of the whole: 273 to 276 bytes, more than
 * UNIQUE_VALUE_MAX, so no value kept whole has the same form.  NULL when
 * memory is short.
 */
static char *
uniq_long_value(char *v)
{
	struct sha256_ctx	 ctx;
	uint8_t			 dig[SHA256_DIGEST_SIZE];
	char			*out;
	size_t			 n = UNIQ_LONG_PREFIX, i, len;

	while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
		n--;
	len = UNIQ_LONG_PREFIX + 12 + 2 * sizeof(dig) + 1;
	if ((out = malloc(len)) != NULL) {
		sha256_init(&ctx);
		sha256_update(&ctx, strlen(v), (const uint8_t *)v);
		sha256_digest(&ctx, sizeof(dig), dig);
		memcpy(out, v, n);
		memcpy(out + n, " ... sha256:", 12);
		n += 12;
		for (i = 0; i < sizeof(dig); i++)
			n += (size_t)snprintf(out + n, len - n, "%02x",
			    dig[i]);
	}
	free(v);
	return out;
}

void
uniq_vals_free(struct unique_list *vs)
{
	size_t	 i;

	for (i = 0; i < vs->n; i++)
		free(vs->v[i]);
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

bool
uniq_list_push(struct unique_list *l, char *s)
{
	char	**nv;
	size_t	  cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 4;
		if ((nv = realloc(l->v, cap * sizeof(*nv))) == NULL) {
			free(s);
			return false;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return true;
}

/*
 * One value x of attribute a, as compared, added to vs; values of the
 * wrong JSON type (normalising refuses them; a record stored before the
 * declaration may hold them) are left out.  False when memory is short.
 */
static bool
uniq_vals_add(struct unique_list *vs, const struct schema_attr *a,
    const cJSON *x)
{
	char	 num[64], *v;
	double	 d;

	if (a->type == ATTR_INTEGER || a->type == ATTR_DECIMAL) {
		if (!cJSON_IsNumber(x))
			return true;
		d = x->valuedouble == 0 ? 0 : x->valuedouble;	/* -0 */
		snprintf(num, sizeof(num), "%.17g", d);
		v = strdup(num);
	} else if (!cJSON_IsString(x))
		return true;
	else if (a->type == ATTR_STRING && !a->case_exact)
		v = util_fold(x->valuestring, true);	/* as userName */
	else
		v = strdup(x->valuestring);
	if (v != NULL && strlen(v) > UNIQUE_VALUE_MAX)
		v = uniq_long_value(v);
	return v != NULL && uniq_list_push(vs, v);
}

/* x, a value or an array of them, added to vs. */
static bool
uniq_vals_add_all(struct unique_list *vs, const struct schema_attr *a,
    const cJSON *x)
{
	const cJSON	*e;

	if (!cJSON_IsArray(x))
		return uniq_vals_add(vs, a, x);
	cJSON_ArrayForEach(e, x)
		if (!uniq_vals_add(vs, a, e))
			return false;
	return true;
}

static int
uniq_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The values res (NULL: none) holds for u into vs, sorted, each once.
 * False when memory is short.
 */
bool
uniq_vals_of(const struct uniq_attr *u, const cJSON *res,
    struct unique_list *vs)
{
	const cJSON	*ext, *x, *e;
	size_t		 i, k;

	memset(vs, 0, sizeof(*vs));
	ext = cJSON_GetObjectItem(res, u->s->id);
	if ((x = cJSON_GetObjectItem(ext, u->a->name)) == NULL)
		return true;
	if (u->sub == NULL) {
		if (!uniq_vals_add_all(vs, u->a, x))
			goto oom;
	} else if (cJSON_IsArray(x)) {
		cJSON_ArrayForEach(e, x)
			if (!uniq_vals_add_all(vs, u->sub,
			    cJSON_GetObjectItem(e, u->sub->name)))
				goto oom;
	} else if (!uniq_vals_add_all(vs, u->sub,
	    cJSON_GetObjectItem(x, u->sub->name)))
		goto oom;
	if (vs->n < 2)
		return true;
	qsort(vs->v, vs->n, sizeof(*vs->v), uniq_cmp);
	for (i = 1, k = 1; i < vs->n; i++) {
		if (strcmp(vs->v[i], vs->v[k - 1]) == 0)
			free(vs->v[i]);
		else
			vs->v[k++] = vs->v[i];
	}
	vs->n = k;
	return true;
oom:
	uniq_vals_free(vs);
	return false;
}

static bool
uniq_vals_has(const struct unique_list *vs, const char *v)
{
	return vs->n > 0 && bsearch(&v, vs->v, vs->n, sizeof(*vs->v),
	    uniq_cmp) != NULL;
}

/* The claim's key "<type> <path> <value>" (malloc; NULL: no memory). */
char *
uniq_key(const struct resource_type *rt, const char *path, const char *v)
{
	size_t	 len = strlen(rt->name) + strlen(path) + strlen(v) + 3;
	char	*k;

	if ((k = malloc(len)) != NULL)
		snprintf(k, len, "%s %s %s", rt->name, path, v);
	return k;
}

/*
 * The holder of the claim on key into *holder (the claim's record: the
 * caller deletes it; NULL when there is no claim).
 */
enum scim_err
uniq_claim_get(struct store_txn *t, const char *tenant, const char *key,
    cJSON **rec, const char **holder, struct scim_error *err)
{
	enum scim_err	 rc;

	*holder = NULL;
	rc = store_kv_get(t, tenant, UNIQUE_SPACE, key, rec, err);
	if (rc == SCIM_E_NOT_FOUND) {
		*rec = NULL;
		return SCIM_OK;
	}
	if (rc == SCIM_OK)
		*holder = json_str_or_null(*rec, "id");
	return rc;
}

enum scim_err
uniq_claim_put(struct store_txn *t, const char *tenant, const char *key,
    const char *id, struct scim_error *err)
{
	cJSON		*o;
	enum scim_err	 rc;

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "id", id) == NULL) {
		cJSON_Delete(o);
		return scim_oom(err);
	}
	rc = store_kv_put(t, tenant, UNIQUE_SPACE, key, o, err);
	cJSON_Delete(o);
	return rc;
}

/*
 * Does resource holder of type rt still hold value v of u?  False when
 * it is gone: its claim is stale.
 */
enum scim_err
uniq_holds(struct store_txn *t, const struct resource_type *rt,
    const char *tenant, const char *holder, const struct uniq_attr *u,
    const char *v, bool *holds, struct scim_error *err)
{
	struct unique_list	 vs;
	cJSON			*rec = NULL;
	enum scim_err		 rc;

	*holds = false;
	rc = store_get(t, rt->kind, tenant, holder, &rec, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (rc != SCIM_OK)
		return rc;
	if (!uniq_vals_of(u, rec, &vs))
		rc = scim_oom(err);
	else
		*holds = uniq_vals_has(&vs, v);
	uniq_vals_free(&vs);
	cJSON_Delete(rec);
	return rc;
}

/* --- a write --- */

/* What unique_check() walks the attributes with. */
struct uniq_write {
	struct store_txn		*t;
	const struct resource_type	*rt;
	const cJSON			*old;
	const cJSON			*res;
	struct unique_moves		*mv;
};

/* Drop the claim on key (taken: the list takes it) if it is mv->id's. */
static enum scim_err
uniq_release(struct uniq_write *w, char *key, struct scim_error *err)
{
	cJSON		*rec;
	const char	*holder;
	enum scim_err	 rc;

	rc = uniq_claim_get(w->t, w->mv->tenant, key, &rec, &holder, err);
	if (rc == SCIM_OK && holder != NULL && strcmp(holder, w->mv->id) == 0)
		key = uniq_list_push(&w->mv->del, key) ? NULL : key;
	cJSON_Delete(rec);
	free(key);
	return rc;
}

/*
 * Claim key (value v of u; taken: the list takes it) for mv->id:
 * refused when another resource holds it, taken over when its claim is
 * stale.
 */
static enum scim_err
uniq_claim(struct uniq_write *w, const struct uniq_attr *u, char *key,
    const char *v, struct scim_error *err)
{
	char		 name[UNIQ_PATH_MAX];
	cJSON		*rec;
	const char	*holder;
	bool		 holds = false;
	enum scim_err	 rc;

	if ((rc = uniq_claim_get(w->t, w->mv->tenant, key, &rec, &holder,
	    err)) != SCIM_OK)
		goto out;
	if (holder != NULL && strcmp(holder, w->mv->id) == 0)
		goto out;		/* ours already */
	if (holder != NULL && (rc = uniq_holds(w->t, w->rt, w->mv->tenant,
	    holder, u, v, &holds, err)) != SCIM_OK)
		goto out;
	if (holds) {
		uniq_name(u, name, sizeof(name));
		rc = scim_fail(err, SCIM_E_UNIQUENESS, "%s \"%s\" is "
		    "already taken by another %s", name, v, w->rt->noun);
		goto out;
	}
	if (!uniq_list_push(&w->mv->put, key))
		rc = scim_oom(err);
	key = NULL;
out:
	cJSON_Delete(rec);
	free(key);
	return rc;
}

/*
 * The claims of one attribute that move from w->old's values to
 * w->res's: each value only one of them holds.
 */
static enum scim_err
uniq_check_attr(void *arg, const struct uniq_attr *u, struct scim_error *err)
{
	struct uniq_write	*w = arg;
	struct unique_list	 ov, nv;
	char			 path[UNIQ_PATH_MAX], *key;
	size_t			 i;
	enum scim_err		 rc = SCIM_OK;

	if (!uniq_vals_of(u, w->old, &ov))
		return scim_oom(err);
	if (!uniq_vals_of(u, w->res, &nv)) {
		uniq_vals_free(&ov);
		return scim_oom(err);
	}
	uniq_path(u, path, sizeof(path));
	for (i = 0; rc == SCIM_OK && i < ov.n + nv.n; i++) {
		if (i < ov.n ? uniq_vals_has(&nv, ov.v[i]) :
		    uniq_vals_has(&ov, nv.v[i - ov.n]))
			continue;		/* held before and after */
		if ((key = uniq_key(w->rt, path, i < ov.n ? ov.v[i] :
		    nv.v[i - ov.n])) == NULL)
			rc = scim_oom(err);
		else if (i < ov.n)
			rc = uniq_release(w, key, err);
		else
			rc = uniq_claim(w, u, key, nv.v[i - ov.n], err);
	}
	uniq_vals_free(&ov);
	uniq_vals_free(&nv);
	return rc;
}

enum scim_err
unique_check(struct store_txn *t, const struct resource_type *rt,
    const char *tenant, const char *id, const cJSON *old, const cJSON *res,
    struct unique_moves *mv, struct scim_error *err)
{
	struct uniq_write	 w = { t, rt, old, res, mv };

	memset(mv, 0, sizeof(*mv));
	mv->tenant = tenant;
	mv->id = id;
	if (id == NULL || !unique_declared(rt))
		return SCIM_OK;
	return uniq_each(rt, uniq_check_attr, &w, err);
}

enum scim_err
unique_apply(struct store_txn *t, const struct unique_moves *mv,
    struct scim_error *err)
{
	enum scim_err	 rc = SCIM_OK;
	size_t		 i;

	for (i = 0; rc == SCIM_OK && i < mv->del.n; i++)
		rc = store_kv_del(t, mv->tenant, UNIQUE_SPACE, mv->del.v[i],
		    err);
	for (i = 0; rc == SCIM_OK && i < mv->put.n; i++)
		rc = uniq_claim_put(t, mv->tenant, mv->put.v[i], mv->id, err);
	return rc;
}

void
unique_moves_free(struct unique_moves *mv)
{
	uniq_vals_free(&mv->put);
	uniq_vals_free(&mv->del);
}

enum scim_err
unique_update(struct store_txn *t, const struct resource_type *rt,
    const char *tenant, const char *id, const cJSON *old, const cJSON *res,
    struct scim_error *err)
{
	struct unique_moves	 mv;
	enum scim_err		 rc;

	if ((rc = unique_check(t, rt, tenant, id, old, res, &mv, err)) ==
	    SCIM_OK)
		rc = unique_apply(t, &mv, err);
	unique_moves_free(&mv);
	return rc;
}
