/*
 * Role mappings (roles.h): their rules, their JSON record in the "roles"
 * key space, and the two changes (add at a position, delete), each one
 * transaction with its audit event.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "base/util.h"
#include "roles/roles.h"

static const char *const role_names[] = {
	[ROLE_NONE] = "none",
	[ROLE_MEMBER] = "member",
	[ROLE_ADMIN] = "admin",
	[ROLE_OWNER] = "owner"
};

const char *
role_name(enum role r)
{
	if ((unsigned)r >= sizeof(role_names) / sizeof(role_names[0]))
		return "none";
	return role_names[r];
}

bool
role_parse(const char *s, enum role *out)
{
	size_t	 i;

	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcasecmp(s, role_names[i]) == 0) {
			*out = (enum role)i;
			return true;
		}
	return false;
}

void
roles_mapping_clear(struct role_mapping *m)
{
	size_t	 i;

	free(m->group);
	for (i = 0; i < m->nproducts; i++)
		free(m->products[i]);
	free(m->products);
	memset(m, 0, sizeof(*m));
}

void
roles_free(struct role_map *m)
{
	size_t	 i;

	for (i = 0; i < m->n; i++)
		roles_mapping_clear(&m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* Append a copy of product p to m: false on allocation failure. */
static bool
roles_product_add(struct role_mapping *m, const char *p)
{
	char	**v;

	if ((v = realloc(m->products, (m->nproducts + 1) * sizeof(*v))) ==
	    NULL)
		return false;
	m->products = v;
	if ((v[m->nproducts] = strdup(p)) == NULL)
		return false;
	m->nproducts++;
	return true;
}

/* Does m already list product p? */
static bool
roles_has_product(const struct role_mapping *m, const char *p)
{
	size_t	 i;

	for (i = 0; i < m->nproducts; i++)
		if (strcmp(m->products[i], p) == 0)
			return true;
	return false;
}

enum scim_err
roles_set_products(struct role_mapping *m, const char *list,
    struct scim_error *err)
{
	char		 one[ROLES_GROUP_MAX + 1];
	const char	*p = list;
	size_t		 n;

	for (n = 0; n < m->nproducts; n++)
		free(m->products[n]);
	free(m->products);
	m->products = NULL;
	m->nproducts = 0;
	for (;;) {
		n = strcspn(p, ",");
		while (n > 0 && p[0] == ' ')
			p++, n--;
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0 || n > ROLES_GROUP_MAX)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "bad product list: \"%.200s\"", list);
		memcpy(one, p, n);
		one[n] = '\0';
		if (roles_has_product(m, one))
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "product listed twice: %s", one);
		if (m->nproducts == ROLES_PRODUCTS_MAX)
			return scim_fail(err, SCIM_E_INVALID_VALUE,
			    "more than %d products", ROLES_PRODUCTS_MAX);
		if (!roles_product_add(m, one))
			return scim_oom(err);
		p += strcspn(p, ",");
		if (*p == '\0')
			return SCIM_OK;
		p++;
	}
}

cJSON *
roles_mapping_json(const struct role_mapping *m)
{
	cJSON	*o, *a;
	size_t	 i;

	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "group", m->group) == NULL ||
	    cJSON_AddStringToObject(o, "role", role_name(m->role)) == NULL ||
	    (a = cJSON_AddArrayToObject(o, "products")) == NULL ||
	    cJSON_AddBoolToObject(o, "autoSync", m->auto_sync) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (i = 0; i < m->nproducts; i++)
		if (!cJSON_AddItemToArray(a,
		    cJSON_CreateString(m->products[i]))) {
			cJSON_Delete(o);
			return NULL;
		}
	return o;
}

/* Fill m from one stored mapping: false when it is malformed or on OOM. */
static bool
roles_mapping_from(const cJSON *o, struct role_mapping *m)
{
	const cJSON	*g = cJSON_GetObjectItemCaseSensitive(o, "group");
	const cJSON	*r = cJSON_GetObjectItemCaseSensitive(o, "role");
	const cJSON	*a = cJSON_GetObjectItemCaseSensitive(o, "autoSync");
	const cJSON	*p;

	memset(m, 0, sizeof(*m));
	if (!cJSON_IsString(g) || !cJSON_IsString(r) ||
	    !role_parse(r->valuestring, &m->role) ||
	    (m->group = strdup(g->valuestring)) == NULL)
		return false;
	m->auto_sync = !cJSON_IsFalse(a);
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, "products"))
		if (cJSON_IsString(p) && !roles_product_add(m, p->valuestring))
			return false;
	return true;
}

enum scim_err
roles_read(struct store_txn *t, const char *tenant, struct role_map *out,
    struct scim_error *err)
{
	cJSON		*arr = NULL;
	const cJSON	*o;
	enum scim_err	 rc;
	int		 n;

	memset(out, 0, sizeof(*out));
	rc = store_kv_get(t, tenant, ROLES_SPACE, ROLES_KEY, &arr, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;
	if (rc != SCIM_OK)
		return rc;
	if ((n = cJSON_GetArraySize(arr)) > 0 &&
	    (out->v = calloc((size_t)n, sizeof(*out->v))) == NULL) {
		cJSON_Delete(arr);
		return scim_oom(err);
	}
	cJSON_ArrayForEach(o, arr) {
		if (!roles_mapping_from(o, &out->v[out->n])) {
			roles_mapping_clear(&out->v[out->n]);
			rc = scim_fail(err, SCIM_E_INTERNAL, "tenant %.200s: "
			    "corrupt role mapping", tenant);
			break;
		}
		out->n++;
	}
	cJSON_Delete(arr);
	if (rc != SCIM_OK)
		roles_free(out);
	return rc;
}

struct roles_list_ctx {
	const char	*tenant;
	struct role_map	*out;
};

static enum scim_err
roles_list_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct roles_list_ctx	*l = arg;

	roles_free(l->out);
	return roles_read(t, l->tenant, l->out, err);
}

enum scim_err
roles_list(struct store *s, const char *tenant, struct role_map *out,
    struct scim_error *err)
{
	struct roles_list_ctx	 l = { tenant, out };

	memset(out, 0, sizeof(*out));
	return store_read(s, roles_list_fn, &l, err);
}

/* The index of group's mapping in m (any case), or -1. */
static int
roles_find(const struct role_map *m, const char *group)
{
	size_t	 i;

	for (i = 0; i < m->n; i++)
		if (strcasecmp(m->v[i].group, group) == 0)
			return (int)i;
	return -1;
}

/* Is m, about to join map, a mapping the rules allow?  Words why not. */
static enum scim_err
roles_check(const struct role_map *map, const struct role_mapping *m,
    size_t position, struct scim_error *err)
{
	if (m->group == NULL || m->group[0] == '\0' ||
	    strlen(m->group) > ROLES_GROUP_MAX ||
	    !util_utf8_valid(m->group, strlen(m->group)))
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "bad group name (1 to %d bytes of UTF-8)", ROLES_GROUP_MAX);
	if (m->role != ROLE_MEMBER && m->role != ROLE_ADMIN &&
	    m->role != ROLE_OWNER)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "role must be owner, admin or member, not %s",
		    role_name(m->role));
	if (m->nproducts > 0 && m->role != ROLE_MEMBER)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "products are for role member only, not %s",
		    role_name(m->role));
	if (position > map->n + 1)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "position %zu out of range (1 to %zu)", position,
		    map->n + 1);
	if (map->n >= ROLES_MAX)
		return scim_fail(err, SCIM_E_INVALID_VALUE,
		    "more than %d mappings", ROLES_MAX);
	if (roles_find(map, m->group) >= 0)
		return scim_fail(err, SCIM_E_UNIQUENESS,
		    "group %.200s is mapped already", m->group);
	return SCIM_OK;
}

/* One change: what it does, and the event it records. */
struct roles_write {
	const struct roles_change	*ch;
	const struct role_mapping	*add;		/* to insert, or NULL */
	size_t				 position;	/* 1-based; 0 = end */
	const char			*del;		/* group to delete */
};

/* map as its stored array (with added inserted, and skipping skip). */
static cJSON *
roles_array(const struct role_map *map, const struct role_mapping *added,
    size_t at, int skip)
{
	cJSON	*arr, *o;
	size_t	 i;

	if ((arr = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i <= map->n; i++) {
		if (added != NULL && i == at &&
		    ((o = roles_mapping_json(added)) == NULL ||
		    !cJSON_AddItemToArray(arr, o)))
			goto fail;
		if (i == map->n || (int)i == skip)
			continue;
		if ((o = roles_mapping_json(&map->v[i])) == NULL ||
		    !cJSON_AddItemToArray(arr, o))
			goto fail;
	}
	return arr;
fail:
	cJSON_Delete(arr);
	return NULL;
}

/* Record the change's event, its details the mapping and its position. */
static enum scim_err
roles_audit(struct store_txn *t, const struct roles_write *w,
    const struct role_mapping *m, size_t position, struct scim_error *err)
{
	struct audit_event	 ev;
	cJSON			*d;
	enum scim_err		 rc;

	if ((d = roles_mapping_json(m)) == NULL ||
	    cJSON_AddNumberToObject(d, "position", (double)position) == NULL) {
		cJSON_Delete(d);
		return scim_oom(err);
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = w->add != NULL ? "role.mapping.added" :
	    "role.mapping.deleted";
	ev.tenant = w->ch->tenant;
	ev.actor = w->ch->actor != NULL ? w->ch->actor : "cli";
	ev.target_name = m->group;
	ev.details = d;
	rc = audit_record(t, w->ch->cfg, &ev, err);
	cJSON_Delete(d);
	return rc;
}

static enum scim_err
roles_write_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct roles_write	*w = arg;
	struct role_map		 map;
	cJSON			*arr = NULL;
	size_t			 at = 0;
	int			 skip = -1;
	enum scim_err		 rc;

	if ((rc = roles_read(t, w->ch->tenant, &map, err)) != SCIM_OK)
		return rc;
	if (w->add != NULL) {
		if ((rc = roles_check(&map, w->add, w->position, err)) !=
		    SCIM_OK)
			goto out;
		at = w->position == 0 ? map.n : w->position - 1;
	} else if ((skip = roles_find(&map, w->del)) < 0) {
		rc = scim_fail(err, SCIM_E_NOT_FOUND, "no mapping for group "
		    "%.200s", w->del);
		goto out;
	}
	if ((arr = roles_array(&map, w->add, at, skip)) == NULL) {
		rc = scim_oom(err);
		goto out;
	}
	if ((rc = store_kv_put(t, w->ch->tenant, ROLES_SPACE, ROLES_KEY, arr,
	    err)) != SCIM_OK)
		goto out;
	rc = w->add != NULL ? roles_audit(t, w, w->add, at + 1, err) :
	    roles_audit(t, w, &map.v[skip], (size_t)skip + 1, err);
out:
	cJSON_Delete(arr);
	roles_free(&map);
	return rc;
}

enum scim_err
roles_add(struct store *s, const struct roles_change *ch,
    const struct role_mapping *m, size_t position, struct scim_error *err)
{
	struct roles_write	 w = { ch, m, position, NULL };

	return store_run(s, roles_write_fn, &w, err);
}

enum scim_err
roles_delete(struct store *s, const struct roles_change *ch,
    const char *group, struct scim_error *err)
{
	struct roles_write	 w = { ch, NULL, 0, group };

	return store_run(s, roles_write_fn, &w, err);
}
