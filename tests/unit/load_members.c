/*
 * load_members: build a large group quickly through the store API, for the
 * 100,000-member HTTP test.  Creates N users and one group holding all of
 * them, in non-durable transactions of 5,000 users, and prints the group's
 * id.  Started as root it becomes the data home's owner, like every
 * program of the project.
 *
 *   load_members CONF TENANT N GROUPNAME
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/service.h"
#include "base/json.h"
#include "base/util.h"

#define BATCH	5000

struct load {
	const char	*tenant;
	cJSON		*group;		/* the group record */
	const char	*gid;
	long		 from, to;	/* users [from, to) of this batch */
};

static cJSON *
new_resource(const char *id, const char *name_attr, const char *name,
    const char *type, const char *now)
{
	cJSON	*r = cJSON_CreateObject(), *meta;

	cJSON_AddStringToObject(r, "id", id);
	cJSON_AddStringToObject(r, name_attr, name);
	meta = cJSON_AddObjectToObject(r, "meta");
	cJSON_AddStringToObject(meta, "resourceType", type);
	cJSON_AddStringToObject(meta, "created", now);
	cJSON_AddStringToObject(meta, "lastModified", now);
	cJSON_AddStringToObject(meta, "version", "W/\"1\"");
	return r;
}

static enum scim_err
group_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct load		*l = arg;
	struct store_keys	 k = { l->gid, json_str_or_null(l->group,
				    "displayName"), NULL };

	return store_put(t, STORE_GROUP, l->tenant, &k, l->group, NULL, err);
}

static enum scim_err
batch_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct load	*l = arg;
	char		 id[64], name[80], now[UTIL_TIME_LEN + 1];
	struct store_keys k = { NULL, NULL, NULL };
	cJSON		*u, *m;
	enum scim_err	 rc = SCIM_OK;
	bool		 added;
	long		 i;

	util_time_format(util_now_usec(), now, sizeof(now));
	for (i = l->from; i < l->to && rc == SCIM_OK; i++) {
		snprintf(id, sizeof(id), "bulk-%08ld", i);
		snprintf(name, sizeof(name), "bulk.user.%08ld@example.com", i);
		u = new_resource(id, "userName", name, "User", now);
		k.id = id;
		k.name = name;
		rc = store_put(t, STORE_USER, l->tenant, &k, u, NULL, err);
		cJSON_Delete(u);
		if (rc != SCIM_OK)
			break;
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "value", id);
		cJSON_AddStringToObject(m, "type", "User");
		rc = store_member_add(t, l->tenant, l->gid, id, STORE_USER, m,
		    &added, err);
		cJSON_Delete(m);
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	struct store		*s = NULL;
	struct load		 l;
	char			 gid[UTIL_UUID_LEN + 1], now[UTIL_TIME_LEN + 1];
	long			 n;
	int			 rc = 1;

	if (argc != 5 || !util_parse_long(argv[3], 1, 10000000, &n)) {
		fprintf(stderr, "usage: load_members CONF TENANT N GROUPNAME\n");
		return 2;
	}
	memset(&l, 0, sizeof(l));
	if (config_load(&cfg, argv[1], &err) != SCIM_OK ||
	    service_drop_root(&cfg, &err) != SCIM_OK ||
	    store_open(&s, &cfg, &err) != SCIM_OK)
		goto out;
	util_uuid(gid);
	util_time_format(util_now_usec(), now, sizeof(now));
	l.tenant = argv[2];
	l.gid = gid;
	l.group = new_resource(gid, "displayName", argv[4], "Group", now);
	if (store_run(s, group_fn, &l, &err) != SCIM_OK)
		goto out;
	for (l.from = 0; l.from < n; l.from = l.to) {
		l.to = l.from + BATCH < n ? l.from + BATCH : n;
		if (store_run_nosync(s, batch_fn, &l, &err) != SCIM_OK)
			goto out;
	}
	printf("%s\n", gid);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "load_members: %s\n", err.detail);
	cJSON_Delete(l.group);
	store_close(s);
	return rc;
}
