/*
 * Role mappings and the access decision against a real store in a
 * temporary directory: the mapping rules (roles, products only for
 * member, positions, duplicates), their order, the first match winning,
 * externalId before displayName, nested groups, the [roles] default,
 * mappings that name a group the store does not hold yet, break-glass
 * names, managedBy, and the JSON the gate's callers see.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "roles/access.h"
#include "roles/assign.h"
#include "roles/roles.h"
#include "scim/managed.h"
#include "store/store.h"
#include "tap.h"
#include "tmp_store.h"

#define T	"t1"

static struct scim_config	 cfg;
static struct store		*st;

/* --- building a directory --- */

struct put_arg {
	enum store_kind	 kind;
	cJSON		*res;
};

static enum scim_err
put_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct put_arg		*p = arg;
	struct store_keys	 k;

	/* the keys the handlers hand the store (crud_store_keys()) */
	k.id = json_str_or_null(p->res, "id");
	k.name = json_str_or_null(p->res, p->kind == STORE_USER ?
	    "userName" : "displayName");
	k.ext = json_str_or_null(p->res, "externalId");
	return store_put(t, p->kind, T, &k, p->res, NULL, err);
}

static void
put(enum store_kind kind, cJSON *res)
{
	struct put_arg		 p = { kind, res };
	struct scim_error	 err;

	if (store_run(st, put_fn, &p, &err) != SCIM_OK)
		printf("# put: %s\n", err.detail);
	cJSON_Delete(res);
}

static void
user(const char *id, const char *name, bool active)
{
	cJSON	*u = cJSON_CreateObject();

	cJSON_AddStringToObject(u, "id", id);
	cJSON_AddStringToObject(u, "userName", name);
	cJSON_AddStringToObject(u, "displayName", name);
	cJSON_AddBoolToObject(u, "active", active);
	put(STORE_USER, u);
}

static void
group(const char *id, const char *name, const char *ext)
{
	cJSON	*g = cJSON_CreateObject();

	cJSON_AddStringToObject(g, "id", id);
	cJSON_AddStringToObject(g, "displayName", name);
	if (ext != NULL)
		cJSON_AddStringToObject(g, "externalId", ext);
	put(STORE_GROUP, g);
}

struct member_arg {
	const char	*gid, *mid, *type;
};

static enum scim_err
member_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct member_arg	*m = arg;
	cJSON			*o = cJSON_CreateObject();
	bool			 added;
	enum scim_err		 rc;

	cJSON_AddStringToObject(o, "value", m->mid);
	cJSON_AddStringToObject(o, "type", m->type);
	rc = store_member_add(t, T, m->gid, m->mid,
	    strcmp(m->type, "Group") == 0 ? STORE_GROUP : STORE_USER, o,
	    &added, err);
	cJSON_Delete(o);
	return rc;
}

static void
member(const char *gid, const char *mid, const char *type)
{
	struct member_arg	 m = { gid, mid, type };
	struct scim_error	 err;

	if (store_run(st, member_fn, &m, &err) != SCIM_OK)
		printf("# member: %s\n", err.detail);
}

static enum scim_err
managed_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return managed_put(t, T, arg, "scim", "tok1", err);
}

/* --- mappings --- */

static enum scim_err
add(const char *group, const char *role, const char *products,
    size_t position)
{
	struct roles_change	 ch = { T, "test", NULL };
	struct role_mapping	 m;
	struct scim_error	 err;
	enum scim_err		 rc = SCIM_OK;

	memset(&m, 0, sizeof(m));
	m.group = (char *)group;
	m.auto_sync = true;
	if (!role_parse(role, &m.role))
		m.role = (enum role)99;
	if (products != NULL)
		rc = roles_set_products(&m, products, &err);
	if (rc == SCIM_OK)
		rc = roles_add(st, &ch, &m, position, &err);
	m.group = NULL;			/* the caller's */
	roles_mapping_clear(&m);
	return rc;
}

static enum scim_err
del(const char *group)
{
	struct roles_change	 ch = { T, "test", NULL };
	struct scim_error	 err;

	return roles_delete(st, &ch, group, &err);
}

/* The tenant's mappings as "group:role,group:role". */
static const char *
order(void)
{
	static char		 buf[512];
	struct role_map		 m;
	struct scim_error	 err;
	size_t			 i;

	buf[0] = '\0';
	if (roles_list(st, T, &m, &err) != SCIM_OK) {
		snprintf(buf, sizeof(buf), "%s", err.detail);
		return buf;
	}
	for (i = 0; i < m.n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		    "%s%s:%s", i ? "," : "", m.v[i].group,
		    role_name(m.v[i].role));
	roles_free(&m);
	return buf;
}

static void
test_names(void)
{
	static const struct {
		const char	*in;
		bool		 ok;
		enum role	 want;
	} t[] = {
		{ "owner", true, ROLE_OWNER }, { "Admin", true, ROLE_ADMIN },
		{ "MEMBER", true, ROLE_MEMBER }, { "none", true, ROLE_NONE },
		{ "root", false, ROLE_NONE }, { "", false, ROLE_NONE },
	};
	enum role	 r;
	size_t		 i;
	bool		 got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = ROLE_NONE;
		got = role_parse(t[i].in, &r);
		ok(got == t[i].ok && r == t[i].want, "role_parse(\"%s\")",
		    t[i].in);
	}
	is_str(role_name(ROLE_OWNER), "owner", "role_name(owner)");
	is_str(role_name(ROLE_NONE), "none", "role_name(none)");
}

static void
test_rules(void)
{
	struct role_mapping	 m;
	struct scim_error	 err;

	is_str(order(), "", "no mappings at first");
	is_int(add("Admins", "admin", NULL, 0), SCIM_OK, "add admin");
	is_int(add("Staff", "member", "p1,p2", 0), SCIM_OK,
	    "add member with products");
	is_int(add("x", "owner", "p1", 0), SCIM_E_INVALID_VALUE,
	    "products only for member");
	is_int(add("x", "none", NULL, 0), SCIM_E_INVALID_VALUE,
	    "role none cannot be mapped");
	is_int(add("x", "bogus", NULL, 0), SCIM_E_INVALID_VALUE,
	    "unknown role");
	is_int(add("", "member", NULL, 0), SCIM_E_INVALID_VALUE,
	    "empty group");
	is_int(add("staff", "admin", NULL, 0), SCIM_E_UNIQUENESS,
	    "duplicate group, any case");
	is_int(add("x", "member", NULL, 4), SCIM_E_INVALID_VALUE,
	    "position beyond count + 1");
	is_int(add("First", "owner", NULL, 1), SCIM_OK, "add at position 1");
	is_int(add("Third", "member", NULL, 3), SCIM_OK, "add at position 3");
	is_str(order(), "First:owner,Admins:admin,Third:member,Staff:member",
	    "mappings keep their order");
	is_int(del("FIRST"), SCIM_OK, "delete, any case");
	is_int(del("third"), SCIM_OK, "delete another");
	is_int(del("nope"), SCIM_E_NOT_FOUND, "delete a missing mapping");
	is_str(order(), "Admins:admin,Staff:member", "after the deletes");

	memset(&m, 0, sizeof(m));
	is_int(roles_set_products(&m, "a, b", &err), SCIM_OK, "products a, b");
	is_int(m.nproducts, 2, "two products");
	is_int(roles_set_products(&m, "a,,b", &err), SCIM_E_INVALID_VALUE,
	    "empty product");
	is_int(roles_set_products(&m, "a,a", &err), SCIM_E_INVALID_VALUE,
	    "repeated product");
	roles_mapping_clear(&m);
}

/* Look name up; "role/why/mapping" or the error. */
static const char *
decide(const char *name)
{
	static char		 buf[sizeof(((struct scim_error *)0)->detail)];
	struct access		 a;
	struct scim_error	 err;

	if (access_lookup(st, &cfg, T, name, &a, &err) != SCIM_OK) {
		access_free(&a);
		snprintf(buf, sizeof(buf), "%s", err.detail);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s/%s/%d", role_name(a.role),
	    access_why_name(a.why), a.mapping);
	access_free(&a);
	return buf;
}

static void
directory(void)
{
	group("gA", "Admins", "ext-admins");
	group("gS", "Staff", NULL);
	group("gSub", "Sub", NULL);
	group("gY", "obj-1", NULL);		/* displayName obj-1 */
	group("gZ", "Zeta", "obj-1");		/* externalId obj-1 */
	member("gA", "gSub", "Group");
	user("u-alice", "alice@example.com", true);
	user("u-bob", "bob@example.com", true);
	user("u-carol", "carol@example.com", true);
	user("u-dave", "dave@example.com", false);
	user("u-erin", "erin@example.com", true);
	user("u-frank", "frank@example.com", true);
	user("u-gina", "gina@example.com", true);
	member("gS", "u-alice", "User");
	member("gSub", "u-bob", "User");
	member("gA", "u-dave", "User");
	member("gA", "u-erin", "User");
	member("gS", "u-erin", "User");
	member("gY", "u-frank", "User");
	member("gZ", "u-gina", "User");
}

static void
test_decide(void)
{
	/* Mappings now: Admins (by its externalId) admin, Staff member. */
	del("Admins");
	is_int(add("ext-admins", "admin", NULL, 1), SCIM_OK,
	    "map Admins by externalId");
	is_str(decide("alice@example.com"), "member/ok/1", "member by name");
	is_str(decide("ALICE@Example.com"), "member/ok/1", "name any case");
	is_str(decide("u-alice"), "member/ok/1", "by id");
	is_str(decide("bob@example.com"), "admin/ok/0", "nested group");
	is_str(decide("erin@example.com"), "admin/ok/0", "first match wins");
	del("Staff");
	add("staff", "member", NULL, 1);
	is_str(decide("erin@example.com"), "member/ok/0",
	    "moving the mapping first changes the role");
	is_str(decide("carol@example.com"), "member/ok/-1",
	    "no match: default member");
	cfg.roles_default_member = false;
	is_str(decide("carol@example.com"), "none/no_role/-1",
	    "no match: default none");
	cfg.roles_default_member = true;
	is_str(decide("dave@example.com"), "admin/inactive/1",
	    "inactive user");
	is_str(decide("nobody@example.com"), "none/unknown/-1",
	    "unknown user");

	add("obj-1", "owner", NULL, 0);
	is_str(decide("gina@example.com"), "owner/ok/2",
	    "externalId matches");
	is_str(decide("frank@example.com"), "member/ok/-1",
	    "externalId before displayName: another group's name does not");
	del("obj-1");
	add("OBJ-1", "owner", NULL, 0);
	is_str(decide("frank@example.com"), "owner/ok/2",
	    "no group has externalId OBJ-1: displayName, any case");

	is_int(add("Ghost", "owner", NULL, 1), SCIM_OK,
	    "a mapping may name a missing group");
	is_str(decide("carol@example.com"), "member/ok/-1",
	    "the missing group gives nobody its role");
	group("gG", "ghost", NULL);
	member("gG", "u-carol", "User");
	is_str(decide("carol@example.com"), "owner/ok/0",
	    "the group arrives: its users get the role");

	snprintf(cfg.gate_always_allow, sizeof(cfg.gate_always_allow),
	    "root , Dave@example.com");
	is_str(decide("dave@example.com"), "owner/ok/2",
	    "break-glass passes an inactive user as owner");
	is_str(decide("root"), "owner/ok/-1", "break-glass unknown to the "
	    "directory");
	is_str(decide("u-dave"), "owner/ok/2", "break-glass by id");
	cfg.gate_always_allow[0] = '\0';
}

static void
test_details(void)
{
	struct access		 a;
	struct scim_error	 err;
	cJSON			*j;
	char			*s;

	if (store_run(st, managed_fn, (void *)"u-bob", &err) != SCIM_OK)
		printf("# managed: %s\n", err.detail);
	access_lookup(st, &cfg, T, "bob@example.com", &a, &err);
	is_int(a.ngroups, 2, "bob: two groups");
	if (a.ngroups == 2) {
		is_str(a.groups[0].display_name, "Sub", "direct group first");
		ok(a.groups[0].direct && !a.groups[1].direct, "direct flags");
		is_str(a.groups[1].id, "gA", "then the nested one");
	}
	is_str(a.managed_by, "scim:tok1", "managedBy");
	j = access_json(&a);
	s = cJSON_PrintUnformatted(j);
	is_str(s, "{\"id\":\"u-bob\",\"userName\":\"bob@example.com\","
	    "\"displayName\":\"bob@example.com\",\"active\":true,"
	    "\"role\":\"admin\",\"products\":[],\"groups\":[{\"id\":\"gSub\","
	    "\"displayName\":\"Sub\"},{\"id\":\"gA\",\"displayName\":"
	    "\"Admins\"}],\"managedBy\":\"scim:tok1\"}", "access_json");
	free(s);
	cJSON_Delete(j);
	access_free(&a);

	del("ghost");
	del("staff");
	add("Staff", "member", "p1,p2", 1);
	access_lookup(st, &cfg, T, "alice@example.com", &a, &err);
	is_int(a.nproducts, 2, "member's products");
	if (a.nproducts == 2)
		is_str(a.products[1], "p2", "in order");
	is_str(a.managed_by, "", "no record: managedBy empty");
	access_free(&a);

	/* A sign-on name is a userName only, never another user's id. */
	access_lookup(st, &cfg, T, "u-alice", &a, &err);
	ok(a.found && strcmp(a.id, "u-alice") == 0, "lookup by id finds it");
	access_free(&a);
	access_lookup_signon(st, &cfg, T, "u-alice", &a, &err);
	ok(!a.found && a.why == ACCESS_UNKNOWN, "sign-on by an id: unknown");
	access_free(&a);
	access_lookup_signon(st, &cfg, T, "ALICE@example.com", &a, &err);
	ok(a.found && strcmp(a.id, "u-alice") == 0, "sign-on by name, any case");
	access_free(&a);
}

/* --- role records of deleted users (assign_prune) --- */

struct assign_arg {
	const char	*uid;
	bool		 del;		/* assign_get() then, not assign_put() */
	bool		 found;		/* out */
};

static enum scim_err
assign_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct assign_arg	*a = arg;
	cJSON			*rec = NULL;
	enum scim_err		 rc;

	if (!a->del)
		return assign_put(t, T, a->uid, "Sales", NULL, err);
	rc = assign_get(t, T, a->uid, &rec, err);
	a->found = rec != NULL;
	cJSON_Delete(rec);
	return rc;
}

static bool
assign_has(const char *uid)
{
	struct assign_arg	 a = { uid, true, false };
	struct scim_error	 err;

	return store_read(st, assign_fn, &a, &err) == SCIM_OK && a.found;
}

/*
 * More stale records than one batch holds, around two of users that
 * exist: every stale one goes, in batches, and the live ones stay.
 */
static void
test_prune(void)
{
	struct assign_arg	 a = { NULL, false, false };
	struct scim_error	 err;
	char			 uid[64];
	size_t			 i, n = ASSIGN_PRUNE_BATCH + 44, removed = 99;
	bool			 all = true;

	user("prune-live-a", "prune.a@example.com", true);
	user("prune-live-z", "prune.z@example.com", true);
	for (i = 0; i < n + 2; i++) {
		if (i < n)
			snprintf(uid, sizeof(uid), "prune-gone-%04zu", i);
		a.uid = i < n ? uid : i == n ? "prune-live-a" :
		    "prune-live-z";
		all = all && store_run(st, assign_fn, &a, &err) == SCIM_OK;
	}
	ok(all && assign_has("prune-gone-0000") && assign_has("prune-live-a"),
	    "role records written for %zu missing users and 2 live ones", n);
	ok(assign_prune(st, T, &removed, &err) == SCIM_OK,
	    "assign_prune() runs");
	ok(removed == n, "it removed %zu records (want %zu, more than the "
	    "batch of %d)", removed, n, ASSIGN_PRUNE_BATCH);
	for (i = 0, all = true; i < n; i++) {
		snprintf(uid, sizeof(uid), "prune-gone-%04zu", i);
		all = all && !assign_has(uid);
	}
	ok(all, "no record of a missing user is left");
	ok(assign_has("prune-live-a") && assign_has("prune-live-z"),
	    "the records of users that exist are kept");
	ok(assign_prune(st, T, &removed, &err) == SCIM_OK && removed == 0,
	    "a second run removes nothing");
}

int
main(void)
{
	struct tmp_store	 ts;

	if (!tmp_store_init(&ts, "roles", &cfg))
		goto out;
	cfg.sync = STORE_SYNC_NONE;
	if (!tmp_store_open(&ts, &cfg))
		goto out;
	st = ts.s;
	test_names();
	test_rules();
	directory();
	test_decide();
	test_details();
	test_prune();
out:
	tmp_store_done(&ts);
	return tap_done();
}
