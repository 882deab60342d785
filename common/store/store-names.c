/*
 * The name index walked in name order from a point (store-names.h): a
 * thin wrapper over store_walk_prefix() that hands its caller ids and
 * names instead of Berkeley DB records.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"
#include "store/store-names.h"

struct names_walk {
	store_name_fn	 fn;
	void		*arg;
};

static enum scim_err
names_each(struct store_txn *t, void *arg, const char *rest, size_t restlen,
    const DBT *data, bool *go_on, struct scim_error *err)
{
	struct names_walk	*w = arg;
	char			 id[STORE_ID_MAX + 1];
	char			*name;

	(void)t;
	if (data->size > STORE_ID_MAX)
		return scim_fail(err, SCIM_E_INTERNAL, "corrupt name index");
	memcpy(id, data->data, data->size);
	id[data->size] = '\0';
	/* The key's name part may end in the NUL of a built key. */
	while (restlen > 0 && rest[restlen - 1] == '\0')
		restlen--;
	if ((name = malloc(restlen + 1)) == NULL)
		return scim_oom(err);
	memcpy(name, rest, restlen);
	name[restlen] = '\0';
	*go_on = w->fn(w->arg, id, name);
	free(name);
	return SCIM_OK;
}

enum scim_err
store_name_walk(struct store_txn *t, enum store_kind kind, const char *tenant,
    const char *from, bool reverse, store_name_fn fn, void *arg,
    struct scim_error *err)
{
	struct names_walk	 w = { fn, arg };
	struct key		 prefix, start;
	enum scim_err		 rc;
	enum dbi		 d = kind == STORE_USER ? DBI_USERS_NAME :
				    DBI_GROUPS_NAME;

	memset(&start, 0, sizeof(start));
	if (!store_key_make(&prefix, tenant, NULL, NULL, true))
		return scim_oom(err);
	if (from != NULL && !store_key_make(&start, tenant, from, NULL,
	    false)) {
		store_key_free(&prefix);
		return scim_oom(err);
	}
	rc = store_walk_prefix(t, d, &prefix, from != NULL ? &start : NULL,
	    reverse, names_each, &w, err);
	store_key_free(&start);
	store_key_free(&prefix);
	return rc;
}
