/*
 * The admin page's directory listings (roles/directory.h) against a real
 * store in a temporary directory: users paged forwards and backwards in
 * name order, the search by the start of a userName and by an exact
 * email, the filters, the DIR_SCAN_MAX bound on what one view walks and
 * going on from where it stopped; groups with member counts and one
 * group's members paged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "roles/directory.h"
#include "scim/managed.h"
#include "store/store.h"
#include "tap.h"
#include "tmp_store.h"

#define T	"t1"
#define NUSERS	(DIR_SCAN_MAX + 100)

static struct scim_config	 cfg;
static struct store		*st;

/* The users user0000 .. (blocked: user2050), one with an odd email. */
static enum scim_err
users_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct store_keys	 k;
	char			 id[16], name[16];
	cJSON			*u, *e;
	enum scim_err		 rc = SCIM_OK;
	int			 i;

	(void)arg;
	for (i = 0; i < NUSERS && rc == SCIM_OK; i++) {
		snprintf(id, sizeof(id), "id%04d", i);
		snprintf(name, sizeof(name), "user%04d", i);
		u = cJSON_CreateObject();
		cJSON_AddStringToObject(u, "id", id);
		cJSON_AddStringToObject(u, "userName", name);
		cJSON_AddBoolToObject(u, "active", i != 2050);
		if (i == 7) {
			e = cJSON_AddArrayToObject(u, "emails");
			cJSON_AddItemToArray(e, cJSON_CreateObject());
			cJSON_AddStringToObject(cJSON_GetArrayItem(e, 0), "value",
			    "Seven@Example.com");
		}
		k.id = id;
		k.name = name;
		k.ext = NULL;
		rc = store_put(t, STORE_USER, T, &k, u, NULL, err);
		cJSON_Delete(u);
	}
	if (rc == SCIM_OK)
		rc = managed_put(t, T, "id0003", "sync", NULL, err);
	return rc;
}

/* Groups g0 (3 members), g1 (none), g2 (1). */
static enum scim_err
groups_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	static const char *const names[] = { "Alpha", "Beta", "Gamma" };
	struct store_keys	 k;
	char			 id[8], mid[16];
	cJSON			*g, *m;
	enum scim_err		 rc = SCIM_OK;
	bool			 added;
	int			 i;

	(void)arg;
	for (i = 0; i < 3 && rc == SCIM_OK; i++) {
		snprintf(id, sizeof(id), "g%d", i);
		g = cJSON_CreateObject();
		cJSON_AddStringToObject(g, "id", id);
		cJSON_AddStringToObject(g, "displayName", names[i]);
		cJSON_AddStringToObject(g, "externalId", names[i] + 1);
		k.id = id;
		k.name = names[i];
		k.ext = names[i] + 1;
		rc = store_put(t, STORE_GROUP, T, &k, g, NULL, err);
		cJSON_Delete(g);
	}
	for (i = 0; i < 4 && rc == SCIM_OK; i++) {
		snprintf(mid, sizeof(mid), "id%04d", i);
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "value", mid);
		cJSON_AddStringToObject(m, "type", "User");
		rc = store_member_add(t, T, i < 3 ? "g0" : "g2", mid, STORE_USER,
		    m, &added, err);
		cJSON_Delete(m);
	}
	return rc;
}

/* One page into *p (freed first); returns the call's code. */
static enum scim_err
page(struct dir_users *p, const char *q, int active, const char *managed,
    const char *after, const char *before)
{
	struct dir_user_query	 dq;
	struct scim_error	 err;
	enum scim_err		 rc;

	memset(&dq, 0, sizeof(dq));
	dq.q = q;
	dq.active = active;
	dq.role = -1;
	dq.managed = managed;
	dq.after = after;
	dq.before = before;
	dq.limit = 50;
	dir_users_free(p);
	if ((rc = dir_users_page(st, &cfg, T, &dq, p, &err)) != SCIM_OK)
		printf("# %s\n", err.detail);
	return rc;
}

static const char *
name_at(const struct dir_users *p, size_t i)
{
	return i < p->n ? p->v[i].a.user_name : "(none)";
}

static void
test_users(void)
{
	struct dir_users	 p;
	char			 last[16];

	memset(&p, 0, sizeof(p));
	ok(page(&p, NULL, -1, NULL, NULL, NULL) == SCIM_OK, "first page");
	is_int((long long)p.n, 50, "50 users");
	is_str(name_at(&p, 0), "user0000", "in name order");
	ok(p.more && !p.cut, "more after it");
	is_int((long long)p.passed, 51, "51 users looked at (one to know)");
	snprintf(last, sizeof(last), "%s", p.v[49].lname);
	page(&p, NULL, -1, NULL, last, NULL);
	is_str(name_at(&p, 0), "user0050", "next starts after the last");
	page(&p, NULL, -1, NULL, NULL, "user0050");
	ok(p.n == 50 && strcmp(name_at(&p, 0), "user0000") == 0 &&
	    strcmp(name_at(&p, 49), "user0049") == 0 && !p.more,
	    "previous: the 50 before, in order, none before them");
	page(&p, "USER01", -1, NULL, NULL, NULL);
	ok(p.n == 50 && strcmp(name_at(&p, 0), "user0100") == 0 && p.more &&
	    p.passed == 51, "search seeks to the start of the name");
	page(&p, "user01", -1, NULL, "user0149", NULL);
	ok(p.n == 50 && !p.more && !p.cut && p.passed == 50,
	    "and stops at the first name past it");
	page(&p, "seven@example.COM", -1, NULL, NULL, NULL);
	ok(p.n == 1 && strcmp(name_at(&p, 0), "user0007") == 0,
	    "an email finds the user whose emails hold it");
	page(&p, NULL, -1, "sync", NULL, NULL);
	ok(p.n == 1 && strcmp(name_at(&p, 0), "user0003") == 0 && p.cut,
	    "managedBy sync: one, and the walk cut at DIR_SCAN_MAX");
	page(&p, NULL, 0, NULL, NULL, NULL);
	ok(p.n == 0 && p.cut && p.passed == DIR_SCAN_MAX &&
	    strcmp(p.resume, "user1999") == 0,
	    "blocked: none in the first DIR_SCAN_MAX; it says where it stopped");
	snprintf(last, sizeof(last), "%s", p.resume);
	page(&p, NULL, 0, NULL, last, NULL);
	ok(p.n == 1 && strcmp(name_at(&p, 0), "user2050") == 0 && !p.cut &&
	    !p.more, "going on from there finds it");
	dir_users_free(&p);
}

static void
test_groups(void)
{
	struct scim_error	 err;
	cJSON			*rows = NULL, *g = NULL, *m = NULL;
	size_t			 total = 0;

	ok(dir_groups_page(st, T, 0, 2, &rows, &total, &err) == SCIM_OK,
	    "groups page");
	ok(total == 3 && cJSON_GetArraySize(rows) == 2 &&
	    strcmp(json_str(cJSON_GetArrayItem(rows, 0), "displayName"),
	    "Alpha") == 0 && json_int(cJSON_GetArrayItem(rows, 0),
	    "members") == 3 && strcmp(json_str(cJSON_GetArrayItem(rows, 0),
	    "externalId"), "lpha") == 0, "two of three, with counts");
	cJSON_Delete(rows);
	dir_groups_page(st, T, 2, 2, &rows, &total, &err);
	ok(cJSON_GetArraySize(rows) == 1 && json_int(cJSON_GetArrayItem(rows,
	    0), "members") == 1, "the last one");
	cJSON_Delete(rows);
	ok(dir_group_members(st, T, "g0", 1, 1, &g, &m, &total, &err) ==
	    SCIM_OK && total == 3 && cJSON_GetArraySize(m) == 1 &&
	    strcmp(json_str(g, "displayName"), "Alpha") == 0,
	    "members paged, counted");
	cJSON_Delete(g);
	cJSON_Delete(m);
	is_int(dir_group_members(st, T, "nope", 0, 5, &g, &m, &total, &err),
	    SCIM_E_NOT_FOUND, "no such group");
}

int
main(void)
{
	struct tmp_store	 ts;
	struct scim_error	 err;

	if (!tmp_store_init(&ts, "dir", &cfg))
		goto out;
	cfg.sync = STORE_SYNC_NONE;
	if (!tmp_store_open(&ts, &cfg))
		goto out;
	st = ts.s;
	if (!ok(store_run(st, users_fn, NULL, &err) == SCIM_OK &&
	    store_run(st, groups_fn, NULL, &err) == SCIM_OK, "fill it")) {
		printf("# %s\n", err.detail);
		goto out;
	}
	test_users();
	test_groups();
out:
	tmp_store_done(&ts);
	return tap_done();
}
