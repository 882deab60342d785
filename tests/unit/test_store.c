/*
 * Store tests against a real Berkeley DB environment in a temporary
 * directory: put/get, the name and externalId indexes and their
 * uniqueness, tenant isolation, membership both ways, key spaces; two
 * processes writing at once; a process SIGKILLed inside an open
 * transaction while another one carries on; and the cache sized to the
 * data.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "base/json.h"
#include "base/util.h"
#include "tap.h"
#include "store/db_config.h"		/* generated from db/DB_CONFIG */

#define MOVING_KEY_NAME	"memberof_moving"	/* store-layout.c MOVING_KEY */
#define FOLDING_KEY_NAME "names_folding"	/* store-layout.c FOLDING_KEY */

static struct scim_config	 cfg;
static struct store		*s_main;	/* the parent's store */

static cJSON *
mkuser(const char *id, const char *name, const char *ext)
{
	cJSON	*u = cJSON_CreateObject();

	cJSON_AddStringToObject(u, "id", id);
	cJSON_AddStringToObject(u, "userName", name);
	if (ext != NULL)
		cJSON_AddStringToObject(u, "externalId", ext);
	return u;
}

/*
 * The keys the handlers hand the store for res (crud_store_keys()): its
 * id, userName or displayName, and externalId.
 */
static void
keys_of(enum store_kind kind, const cJSON *res, struct store_keys *k)
{
	k->id = json_str_or_null(res, "id");
	k->name = json_str_or_null(res, kind == STORE_USER ? "userName" :
	    "displayName");
	k->ext = json_str_or_null(res, "externalId");
}

/* store_put() of the record res (replacing old, or NULL). */
static enum scim_err
put_rec(struct store_txn *t, enum store_kind kind, const char *tenant,
    const cJSON *res, const cJSON *old, struct scim_error *err)
{
	struct store_keys	 k, ok;

	keys_of(kind, res, &k);
	if (old != NULL)
		keys_of(kind, old, &ok);
	return store_put(t, kind, tenant, &k, res, old != NULL ? &ok : NULL,
	    err);
}

/* --- small transaction bodies --- */

struct put_arg {
	enum store_kind	 kind;
	const char	*tenant;
	cJSON		*res;
	cJSON		*old;
};

static enum scim_err
put_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct put_arg	*p = arg;

	return put_rec(t, p->kind, p->tenant, p->res, p->old, err);
}

static enum scim_err
put(struct store *s, enum store_kind kind, const char *tenant, cJSON *res,
    cJSON *old)
{
	struct put_arg		 p = { kind, tenant, res, old };
	struct scim_error	 err;

	return store_run(s, put_fn, &p, &err);
}

struct get_arg {
	enum store_kind	 kind;
	const char	*tenant;
	const char	*id;
	cJSON		*out;
};

static enum scim_err
get_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct get_arg	*g = arg;

	cJSON_Delete(g->out);
	g->out = NULL;
	return store_get(t, g->kind, g->tenant, g->id, &g->out, err);
}

/* Read a resource's userName/displayName, or NULL (static buffer). */
static const char *
get_name(struct store *s, enum store_kind kind, const char *tenant,
    const char *id)
{
	static char		 buf[256];
	struct get_arg		 g = { kind, tenant, id, NULL };
	struct scim_error	 err;
	const cJSON		*n;

	if (store_read(s, get_fn, &g, &err) != SCIM_OK)
		return NULL;
	n = cJSON_GetObjectItem(g.out, kind == STORE_USER ? "userName" :
	    "displayName");
	snprintf(buf, sizeof(buf), "%s", cJSON_IsString(n) ? n->valuestring :
	    "");
	cJSON_Delete(g.out);
	return buf;
}

struct name_arg {
	enum store_kind	 kind;
	const char	*tenant;
	const char	*name;
	char		 id[STORE_ID_MAX + 1];
};

static enum scim_err
name_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct name_arg	*n = arg;

	return store_find_name(t, n->kind, n->tenant, n->name, n->id, err);
}

static const char *
find_name(struct store *s, enum store_kind kind, const char *tenant,
    const char *name)
{
	static struct name_arg	 n;
	struct scim_error	 err;

	n.kind = kind;
	n.tenant = tenant;
	n.name = name;
	if (store_read(s, name_fn, &n, &err) != SCIM_OK)
		return NULL;
	return n.id;
}

static bool
count_cb(void *arg, const char *id, cJSON *obj, bool *keep)
{
	(void)id; (void)obj; (void)keep;
	(*(int *)arg)++;
	return true;
}

struct scan_arg {
	int		 which;		/* 0 users, 1 external, 2 members,
					   3 a user's groups, 4 a group's */
	const char	*tenant;
	const char	*key;
	int		 n;
};

static enum scim_err
scan_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct scan_arg	*a = arg;

	a->n = 0;
	switch (a->which) {
	case 0:
		return store_scan(t, STORE_USER, a->tenant, count_cb, &a->n,
		    err);
	case 1:
		return store_scan_external(t, STORE_USER, a->tenant, a->key,
		    count_cb, &a->n, err);
	case 2:
		return store_member_scan(t, a->tenant, a->key, count_cb,
		    &a->n, err);
	case 3:
		return store_memberof_scan(t, STORE_USER, a->tenant, a->key,
		    count_cb, &a->n, err);
	default:
		return store_memberof_scan(t, STORE_GROUP, a->tenant, a->key,
		    count_cb, &a->n, err);
	}
}

static int
count(struct store *s, int which, const char *tenant, const char *key)
{
	struct scan_arg		 a = { which, tenant, key, 0 };
	struct scim_error	 err;

	if (store_read(s, scan_fn, &a, &err) != SCIM_OK)
		return -1;
	return a.n;
}

struct member_arg {
	const char	*gid;
	const char	*mid;
	bool		 add;
	bool		 done;
};

static enum scim_err
member_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct member_arg	*m = arg;
	cJSON			*o;
	enum scim_err		 rc;

	if (!m->add)
		return store_member_del(t, "t1", m->gid, m->mid, &m->done,
		    err);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "value", m->mid);
	rc = store_member_add(t, "t1", m->gid, m->mid, STORE_USER, o,
	    &m->done, err);
	cJSON_Delete(o);
	return rc;
}

static bool
member(struct store *s, const char *gid, const char *mid, bool add)
{
	struct member_arg	 m = { gid, mid, add, false };
	struct scim_error	 err;

	if (store_run(s, member_fn, &m, &err) != SCIM_OK)
		return false;
	return m.done;
}

struct del_arg {
	enum store_kind	 kind;
	const char	*id;
};

static enum scim_err
del_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct del_arg		*d = arg;
	struct store_keys	 k;
	cJSON			*old;
	enum scim_err		 rc;

	/* The handlers read the record for its keys; so does the test. */
	if ((rc = store_get(t, d->kind, "t1", d->id, &old, err)) != SCIM_OK)
		return rc;
	keys_of(d->kind, old, &k);
	rc = store_del(t, d->kind, "t1", &k, err);
	cJSON_Delete(old);
	return rc;
}

static enum scim_err
del(struct store *s, enum store_kind kind, const char *id)
{
	struct del_arg		 d = { kind, id };
	struct scim_error	 err;

	return store_run(s, del_fn, &d, &err);
}

/* A transaction body that fails after writing: nothing may remain. */
static enum scim_err
fail_after_write_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	enum scim_err	 rc;

	rc = put_rec(t, STORE_USER, "t1", arg, NULL, err);
	if (rc != SCIM_OK)
		return rc;
	return scim_fail(err, SCIM_E_INVALID_VALUE, "deliberate");
}

static void
test_basics(struct store *s)
{
	struct scim_error	 err;
	cJSON			*a, *b, *c, *a2, *g;
	enum scim_err		 rc;

	a = mkuser("u1", "Alice@Example.com", "ext-a");
	b = mkuser("u2", "bob", "ext-shared");
	c = mkuser("u3", "carol", "ext-shared");
	is_int(put(s, STORE_USER, "t1", a, NULL), SCIM_OK, "create u1");
	is_int(put(s, STORE_USER, "t1", b, NULL), SCIM_OK, "create u2");
	is_int(put(s, STORE_USER, "t1", c, NULL), SCIM_OK, "create u3");
	is_str(get_name(s, STORE_USER, "t1", "u1"), "Alice@Example.com",
	    "get u1 returns it as stored");
	ok(get_name(s, STORE_USER, "t1", "nope") == NULL, "get unknown id");
	is_str(find_name(s, STORE_USER, "t1", "alice@example.COM"), "u1",
	    "name index is case-insensitive");
	is_int(put(s, STORE_USER, "t1", a, NULL), SCIM_E_CONFLICT,
	    "create with an existing id is a conflict");
	a2 = mkuser("u9", "ALICE@example.com", NULL);
	is_int(put(s, STORE_USER, "t1", a2, NULL), SCIM_E_UNIQUENESS,
	    "userName unique per tenant, any case");
	ok(get_name(s, STORE_USER, "t1", "u9") == NULL,
	    "the refused user was not half-written");
	is_int(put(s, STORE_USER, "t2", a2, NULL), SCIM_OK,
	    "the same userName in another tenant is fine");
	ok(get_name(s, STORE_USER, "t2", "u1") == NULL,
	    "tenant t2 cannot read t1's user");
	is_int(count(s, 0, "t1", NULL), 3, "scan sees t1's 3 users");
	is_int(count(s, 0, "t2", NULL), 1, "scan sees t2's 1 user");
	is_int(count(s, 1, "t1", "ext-shared"), 2,
	    "externalId index holds duplicates");
	is_int(count(s, 1, "t1", "ext-a"), 1, "externalId lookup");
	is_int(count(s, 1, "t1", "ext"), 0,
	    "externalId lookup is exact, not a prefix");
	/* Rename: the old name is released, the new one claimed. */
	cJSON_ReplaceItemInObject(a2, "id", cJSON_CreateString("u1"));
	cJSON_ReplaceItemInObject(a2, "userName", cJSON_CreateString("alice2"));
	is_int(put(s, STORE_USER, "t1", a2, a), SCIM_OK, "rename u1");
	ok(find_name(s, STORE_USER, "t1", "alice@example.com") == NULL,
	    "old name released");
	is_str(find_name(s, STORE_USER, "t1", "ALICE2"), "u1",
	    "new name indexed");
	is_int(count(s, 1, "t1", "ext-a"), 0,
	    "externalId dropped by the rename is unindexed");
	cJSON_ReplaceItemInObject(b, "userName", cJSON_CreateString("alice2"));
	is_int(put(s, STORE_USER, "t1", b, c), SCIM_E_UNIQUENESS,
	    "rename onto a taken name is refused");
	/* A failing transaction leaves nothing behind. */
	cJSON_Delete(a);
	a = mkuser("u7", "zed", "ext-z");
	rc = store_run(s, fail_after_write_fn, a, &err);
	is_int(rc, SCIM_E_INVALID_VALUE, "failing body returns its error");
	ok(get_name(s, STORE_USER, "t1", "u7") == NULL &&
	    find_name(s, STORE_USER, "t1", "zed") == NULL &&
	    count(s, 1, "t1", "ext-z") == 0,
	    "an aborted transaction left no record and no index entry");
	/* Groups and membership. */
	g = cJSON_CreateObject();
	cJSON_AddStringToObject(g, "id", "g1");
	cJSON_AddStringToObject(g, "displayName", "Admins");
	is_int(put(s, STORE_GROUP, "t1", g, NULL), SCIM_OK, "create group");
	is_str(find_name(s, STORE_GROUP, "t1", "admins"), "g1",
	    "group displayName index, any case");
	ok(member(s, "g1", "u1", true), "add u1 to g1");
	ok(!member(s, "g1", "u1", true), "adding again is a no-op");
	ok(member(s, "g1", "u2", true), "add u2 to g1");
	is_int(count(s, 2, "t1", "g1"), 2, "g1 has 2 members");
	is_int(count(s, 3, "t1", "u1"), 1, "u1 is in 1 group");
	ok(member(s, "g1", "u2", false), "remove u2");
	ok(!member(s, "g1", "u2", false), "removing a non-member is a no-op");
	is_int(count(s, 3, "t1", "u2"), 0, "u2's back-reference is gone");
	is_int(del(s, STORE_USER, "u1"), SCIM_OK, "delete u1");
	is_int(count(s, 2, "t1", "g1"), 0, "deleting u1 removed its membership");
	ok(find_name(s, STORE_USER, "t1", "alice2") == NULL,
	    "deleting u1 released its name");
	is_int(del(s, STORE_USER, "u1"), SCIM_E_NOT_FOUND,
	    "delete again is not found");
	ok(member(s, "g1", "u2", true), "add u2 again");
	is_int(del(s, STORE_GROUP, "g1"), SCIM_OK, "delete g1");
	is_int(count(s, 3, "t1", "u2"), 0, "deleting g1 removed u2's "
	    "back-reference");
	cJSON_Delete(a);
	cJSON_Delete(a2);
	cJSON_Delete(b);
	cJSON_Delete(c);
	cJSON_Delete(g);
}

/* Child: write n users with distinct names, each in its own transaction. */
static int
writer(const char *tag, int n)
{
	struct store		*s;
	struct scim_error	 err;
	char			 id[64], name[64];
	cJSON			*u;
	int			 i, bad = 0;

	if (store_open(&s, &cfg, &err) != SCIM_OK)
		return 2;
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s-%04d", tag, i);
		snprintf(name, sizeof(name), "user-%s-%04d", tag, i);
		u = mkuser(id, name, tag);
		if (put(s, STORE_USER, "conc", u, NULL) != SCIM_OK)
			bad++;
		cJSON_Delete(u);
	}
	store_close(s);
	return bad ? 1 : 0;
}

static void
test_concurrent(struct store *s)
{
	pid_t	 p1, p2;
	int	 st1 = -1, st2 = -1;
	struct store_stats st;

	(void)s;
	if ((p1 = fork()) == 0)
		_exit(writer("a", 300));
	if ((p2 = fork()) == 0)
		_exit(writer("b", 300));
	waitpid(p1, &st1, 0);
	waitpid(p2, &st2, 0);
	ok(WIFEXITED(st1) && WEXITSTATUS(st1) == 0,
	    "writer a: all 300 commits succeeded");
	ok(WIFEXITED(st2) && WEXITSTATUS(st2) == 0,
	    "writer b: all 300 commits succeeded");
	is_int(count(s, 0, "conc", NULL), 600,
	    "both writers' 600 users are there");
	is_int(count(s, 1, "conc", "a"), 300, "writer a's index entries");
	is_int(count(s, 1, "conc", "b"), 300, "writer b's index entries");
	store_stats(s, &st);
	ok(1, "(parent retries so far: %llu)",
	    (unsigned long long)st.retries);
}

/* Child: take locks in an open transaction, say so, then wait to die. */
static enum scim_err
hold_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	int		*fd = arg;
	cJSON		*u = mkuser("held", "held-user", NULL);
	enum scim_err	 rc;

	rc = put_rec(t, STORE_USER, "kill", u, NULL, err);
	cJSON_Delete(u);
	if (rc != SCIM_OK)
		return rc;
	if (write(*fd, "x", 1) != 1)
		return SCIM_E_INTERNAL;
	for (;;)
		pause();
}

static void
test_kill(struct store *s)
{
	struct store		*cs;
	struct scim_error	 err;
	struct timespec		 t0, t1;
	int			 fds[2], st;
	char			 c;
	pid_t			 pid;
	cJSON			*u;
	enum scim_err		 rc;
	double			 secs;

	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	if ((pid = fork()) == 0) {
		close(fds[0]);
		if (store_open(&cs, &cfg, &err) != SCIM_OK)
			_exit(2);
		store_run(cs, hold_fn, &fds[1], &err);
		_exit(3);
	}
	close(fds[1]);
	ok(read(fds[0], &c, 1) == 1, "child holds an open write transaction");
	close(fds[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "child killed with SIGKILL inside the transaction");
	/*
	 * This process had the environment open all along, like a sibling
	 * FastCGI worker.  Write the very record the dead child locked.
	 */
	u = mkuser("held", "held-user", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = put(s, STORE_USER, "kill", u, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	is_int(rc, SCIM_OK, "the surviving process writes the same key");
	ok(secs < 10.0, "it carried on after %.2f s (lock time-out %u ms, "
	    "then the reopen recovered the dead child's locks)", secs,
	    cfg.lock_timeout_ms);
	ok(get_name(s, STORE_USER, "kill", "held") != NULL,
	    "the survivor's write is readable");
	is_int(count(s, 0, "kill", NULL), 1,
	    "nothing of the killed transaction remains");
	cJSON_Delete(u);
	/* A fresh process can still open the environment and write. */
	if ((pid = fork()) == 0)
		_exit(writer("after", 5));
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a new process opens the store and writes after the kill");
}

/*
 * The layout version in meta.db: an older store is recorded as this
 * version when opened (version 2 only changed audit keys, which the code
 * reads in both forms); a newer one is refused.
 */
struct meta_arg {
	const char	*value;
	char		 buf[32];
};

static enum scim_err
meta_put_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return store_meta_put(t, "schema_version",
	    ((struct meta_arg *)arg)->value, err);
}

static enum scim_err
meta_get_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct meta_arg	*m = arg;

	return store_meta_get(t, "schema_version", m->buf, sizeof(m->buf),
	    err);
}

/* In a child (one environment handle per process): 0 if it opens. */
static int
open_in_child(void)
{
	struct store		*cs;
	struct scim_error	 err;
	int			 st;
	pid_t			 pid;

	if ((pid = fork()) == 0) {
		if (store_open(&cs, &cfg, &err) != SCIM_OK)
			_exit(1);
		store_close(cs);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_version(struct store *s)
{
	struct meta_arg		 m = { "1", "" };
	struct scim_error	 err;
	char			 want[32];

	snprintf(want, sizeof(want), "%d", STORE_SCHEMA_VERSION);
	store_run(s, meta_put_fn, &m, &err);
	is_int(open_in_child(), 0, "a store of layout version 1 opens");
	store_read(s, meta_get_fn, &m, &err);
	is_str(m.buf, "2", "and is recorded as layout 2, which reads it; "
	    "not moved to 3 while another process has it open");
	m.value = "99";
	store_run(s, meta_put_fn, &m, &err);
	is_int(open_in_child(), 1, "a store of a newer layout is refused");
	m.value = want;
	store_run(s, meta_put_fn, &m, &err);
}

/* --- the regions in huge pages (region.h) --- */

struct regions {
	int	 n;		/* region mappings of the home */
	int	 grown;		/* ... but __db.001, as long as their file */
	int	 others;	/* ... but __db.001 */
	int	 huge;		/* ... asking for huge pages */
};

static void
region_maps(const char *home, struct regions *r)
{
	FILE		*f;
	char		 line[PATH_MAX + 160], real[PATH_MAX], prefix[PATH_MAX + 8];
	unsigned long	 lo, hi;
	struct stat	 st;
	bool		 in = false;
	int		 at;
	char		*nl;

	memset(r, 0, sizeof(*r));
	if (realpath(home, real) == NULL ||
	    (f = fopen("/proc/self/smaps", "r")) == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "%s/__db.0", real);
	while (fgets(line, sizeof(line), f) != NULL) {
		at = 0;
		if (sscanf(line, "%lx-%lx %*s %*x %*x:%*x %*u %n", &lo, &hi,
		    &at) == 2 && at > 0) {
			if ((nl = strchr(line + at, '\n')) != NULL)
				*nl = '\0';
			in = strncmp(line + at, prefix, strlen(prefix)) == 0 &&
			    strlen(line + at) == strlen(prefix) + 2;
			if (!in)
				continue;
			r->n++;
			if (strcmp(line + at + strlen(prefix), "01") == 0)
				continue;
			r->others++;
			if (stat(line + at, &st) == 0 &&
			    (unsigned long)st.st_size == hi - lo)
				r->grown++;
		} else if (in && strncmp(line, "VmFlags:", 8) == 0 &&
		    strstr(line, " hg") != NULL)
			r->huge++;
	}
	fclose(f);
}

/*
 * Every region file but the primary is as long as its mapping (so that
 * the page cache can use huge folios for it), and every region mapping
 * asks for huge pages; a second process still joins the environment.
 */
static void
test_regions(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct store		*s;
	struct scim_error	 err;
	struct regions		 r;

	snprintf(cfg.home, sizeof(cfg.home), "%s/regions", dir);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open a new store"))
		goto out;
	region_maps(cfg.home, &r);
	ok(r.n >= 2 && r.others >= 1, "its region files are mapped");
	is_int(r.grown, r.others, "all but __db.001 as long as their mapping");
	is_int(r.huge, r.n, "every region mapping asks for huge pages");
	is_int(open_in_child(), 0, "another process joins the environment");
	store_close(s);
out:
	cfg = saved;
}

/* --- layout 3: a user's groups next to its record --- */

struct named_meta {
	const char	*name;
	const char	*value;		/* NULL: read into buf */
	char		 buf[32];
};

static enum scim_err
named_meta_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct named_meta	*m = arg;

	if (m->value != NULL)
		return store_meta_put(t, m->name, m->value, err);
	m->buf[0] = '\0';
	return store_meta_get(t, m->name, m->buf, sizeof(m->buf), err);
}

/* meta.db's value of name, "" when absent, "?" on an error. */
static const char *
meta(struct store *s, const char *name, struct named_meta *m)
{
	struct scim_error	 err;
	enum scim_err		 rc;

	m->name = name;
	m->value = NULL;
	rc = store_read(s, named_meta_fn, m, &err);
	return rc == SCIM_OK || rc == SCIM_E_NOT_FOUND ? m->buf : "?";
}

static bool
set_meta(struct store *s, const char *name, const char *value)
{
	struct named_meta	 m = { name, value, "" };
	struct scim_error	 err;

	return store_run(s, named_meta_fn, &m, &err) == SCIM_OK;
}

/*
 * A child holding the gate file's "attached" byte (GATE_ATTACHED, byte 2
 * in store-gate.c) as every process with the store open does, a program of an
 * older version included.  Closing *release lets it go.
 */
static pid_t
hold_attached(const char *home, int *release)
{
	struct flock	 fl;
	char		 path[PATH_MAX + 16], c = 0;
	int		 up[2], down[2];
	pid_t		 pid;

	if (pipe(up) != 0 || pipe(down) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		int	 fd;

		close(up[0]);
		close(down[1]);
		snprintf(path, sizeof(path), "%s/scim.gate", home);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_RDLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = 2;
		fl.l_len = 1;
		if ((fd = open(path, O_RDWR)) < 0 ||
		    fcntl(fd, F_SETLKW, &fl) != 0)
			_exit(1);
		if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	if (pid < 0 || read(up[0], &c, 1) != 1) {
		close(up[0]);
		close(down[1]);
		return -1;
	}
	close(up[0]);
	*release = down[1];
	return pid;
}

static void
let_go(pid_t pid, int release)
{
	close(release);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static bool
add_group(struct store *s, const char *id, const char *name)
{
	cJSON		*g = cJSON_CreateObject();
	enum scim_err	 rc;

	cJSON_AddStringToObject(g, "id", id);
	cJSON_AddStringToObject(g, "displayName", name);
	rc = put(s, STORE_GROUP, "t1", g, NULL);
	cJSON_Delete(g);
	return rc == SCIM_OK;
}

struct nest_arg {
	const char	*gid;
	const char	*mid;
	bool		 done;
};

static enum scim_err
nest_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct nest_arg	*n = arg;
	cJSON		*o = cJSON_CreateObject();
	enum scim_err	 rc;

	cJSON_AddStringToObject(o, "value", n->mid);
	cJSON_AddStringToObject(o, "type", "Group");
	rc = store_member_add(t, "t1", n->gid, n->mid, STORE_GROUP, o,
	    &n->done, err);
	cJSON_Delete(o);
	return rc;
}

/*
 * A store of layout 2 (users' groups in memberof.db) is made the way a
 * program of that layout made it: a store marked 2 and written by a
 * process that is not alone in it, which keeps layout 2.  Opened alone,
 * it moves to layout 3; an open that finds a move unfinished finishes it,
 * alone or not.
 */
static void
test_layout(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct named_meta	 m;
	struct nest_arg		 n = { "g1", "g2", false };
	struct scim_error	 err;
	struct store		*s;
	cJSON			*u;
	int			 release = -1, i;
	pid_t			 pid;
	const char		*ids[] = { "u1", "u2", "u3" };

	snprintf(cfg.home, sizeof(cfg.home), "%s/layout", dir);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open a new store"))
		goto out;
	is_str(meta(s, "schema_version", &m), "5", "a new store is layout 5");
	ok(set_meta(s, "schema_version", "2"), "mark it layout 2");
	store_close(s);
	pid = hold_attached(cfg.home, &release);
	ok(pid > 0, "another process has the store open");
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open it beside that"))
		goto out_child;
	is_str(meta(s, "schema_version", &m), "2", "layout 2 is kept");
	for (i = 0; i < 3; i++) {
		u = mkuser(ids[i], ids[i], NULL);
		put(s, STORE_USER, "t1", u, NULL);
		cJSON_Delete(u);
	}
	ok(add_group(s, "g1", "one") && add_group(s, "g2", "two"),
	    "two groups");
	ok(member(s, "g1", "u1", true) && member(s, "g1", "u2", true) &&
	    store_run(s, nest_fn, &n, &err) == SCIM_OK && n.done,
	    "u1, u2 and group g2 join g1, in memberof.db");
	is_int(count(s, 3, "t1", "u1"), 1, "u1's groups read in layout 2");
	store_close(s);
	let_go(pid, release);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open it alone"))
		goto out;
	is_str(meta(s, "schema_version", &m), "5",
	    "it is now layout 5 (3, then names folded, then counted)");
	is_str(meta(s, MOVING_KEY_NAME, &m), "", "and the move is finished");
	is_int(count(s, 3, "t1", "u1"), 1, "u1's group moved next to it");
	is_int(count(s, 3, "t1", "u2"), 1, "u2's too");
	is_int(count(s, 4, "t1", "g2"), 1, "g2 is still in g1");
	is_int(count(s, 0, "t1", NULL), 3,
	    "a scan of the users sees 3 records, not their memberships");
	is_int(count(s, 2, "t1", "g1"), 3, "g1 has its 3 members");
	ok(member(s, "g1", "u3", true), "u3 joins g1 in layout 3");
	is_int(count(s, 3, "t1", "u3"), 1, "u3 is in g1");
	is_int(del(s, STORE_USER, "u2"), SCIM_OK, "delete u2");
	is_int(count(s, 2, "t1", "g1"), 3, "g1 lost u2 only");
	is_int(count(s, 3, "t1", "u2"), 0, "u2's memberships went with it");
	ok(member(s, "g1", "u3", false), "u3 leaves g1");
	is_int(count(s, 3, "t1", "u3"), 0, "and is in no group");
	is_int(del(s, STORE_GROUP, "g2"), SCIM_OK, "delete g2");
	is_int(count(s, 2, "t1", "g1"), 1, "g1 has u1 left");
	/* An unfinished move: u3 joined in layout 2, then a mover died. */
	ok(set_meta(s, "schema_version", "2"), "mark it layout 2 again");
	store_close(s);
	pid = hold_attached(cfg.home, &release);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open it beside one"))
		goto out_child;
	ok(member(s, "g1", "u3", true), "u3 joins g1 in layout 2");
	ok(set_meta(s, "schema_version", "3") &&
	    set_meta(s, MOVING_KEY_NAME, "1"), "a move began and stopped");
	store_close(s);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK,
	    "open it, still beside another"))
		goto out_child;
	is_str(meta(s, MOVING_KEY_NAME, &m), "", "the move was finished");
	is_int(count(s, 3, "t1", "u3"), 1, "u3's group moved next to it");
	is_int(count(s, 3, "t1", "u1"), 1, "u1's is still there");
	store_close(s);
out_child:
	let_go(pid, release);
out:
	cfg = saved;
}

/* --- layout 4: name keys folded --- */

/* Put user id named name in t1; its rc. */
static enum scim_err
put_user(struct store *s, const char *id, const char *name)
{
	cJSON		*u = mkuser(id, name, NULL);
	enum scim_err	 rc;

	rc = put(s, STORE_USER, "t1", u, NULL);
	cJSON_Delete(u);
	return rc;
}

/* Rename user id of t1 to name; its rc. */
static enum scim_err
rename_user(struct store *s, const char *id, const char *name)
{
	cJSON		*o = NULL, *u;
	struct get_arg	 g = { STORE_USER, "t1", id, NULL };
	struct scim_error err;
	enum scim_err	 rc;

	if ((rc = store_read(s, get_fn, &g, &err)) != SCIM_OK)
		return rc;
	o = g.out;
	u = mkuser(id, name, NULL);
	rc = put(s, STORE_USER, "t1", u, o);
	cJSON_Delete(u);
	cJSON_Delete(o);
	return rc;
}

struct index_arg {
	enum store_kind	 kind;
	size_t		 n;
};

static enum scim_err
index_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct index_arg	*a = arg;

	return store_count(t, a->kind, "t1", &a->n, err);
}

/* Entries of t1's name index of kind (what a listing counts). */
static long
indexed(struct store *s, enum store_kind kind)
{
	struct index_arg	 a = { kind, 0 };
	struct scim_error	 err;

	if (store_read(s, index_fn, &a, &err) != SCIM_OK)
		return -1;
	return (long)a.n;
}

/* find_name(), "" when not found. */
static const char *
found(struct store *s, enum store_kind kind, const char *name)
{
	const char	*id = find_name(s, kind, "t1", name);

	return id != NULL ? id : "";
}

/*
 * A store of layout 3 keyed names by their ASCII lower case: "Alice" and
 * "\uFF21lice" (fullwidth) were two users.  It is made the way a program
 * of that layout made it (marked 3, written beside another process, which
 * keeps layout 3), then opened alone: the keys are folded, a clash keeps
 * both records, the first holding the name.  Then an unfinished fold is
 * finished by an open that is not alone.
 */
static void
test_fold_layout(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct named_meta	 m;
	struct scim_error	 err;
	struct store		*s;
	int			 release = -1;
	pid_t			 pid;

	snprintf(cfg.home, sizeof(cfg.home), "%s/fold", dir);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "fold: a new store"))
		goto out;
	ok(set_meta(s, "schema_version", "3"), "fold: mark it layout 3");
	store_close(s);
	pid = hold_attached(cfg.home, &release);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK,
	    "fold: open it beside another process"))
		goto out_child;
	is_str(meta(s, "schema_version", &m), "3", "fold: layout 3 is kept");
	ok(put_user(s, "u1", "Alice") == SCIM_OK &&
	    put_user(s, "u2", "\xef\xbc\xa1" "lice") == SCIM_OK &&
	    put_user(s, "u3", "Jos\xc3\xa9") == SCIM_OK &&
	    put_user(s, "u4", "Jose\xcc\x81") == SCIM_OK &&
	    put_user(s, "u5", "kelvin") == SCIM_OK &&
	    put_user(s, "u6", "\xe2\x84\xaa" "elvin") == SCIM_OK &&
	    put_user(s, "u7", "Bob") == SCIM_OK &&
	    put_user(s, "u8", "\xef\xbc\xb3" "am") == SCIM_OK,
	    "fold: layout 3 takes names that read alike as different users");
	ok(add_group(s, "g1", "Admins") &&
	    add_group(s, "g2", "\xef\xbc\xa1" "DMINS"),
	    "fold: and groups too");
	is_str(found(s, STORE_USER, "ALICE"), "u1", "fold: ALICE is u1");
	is_str(found(s, STORE_USER, "\xef\xbc\xa1" "lice"), "u2",
	    "fold: the fullwidth one is u2 in layout 3");
	store_close(s);
	let_go(pid, release);

	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "fold: open it alone"))
		goto out;
	is_str(meta(s, "schema_version", &m), "5",
	    "fold: it is layout 5 (folded, then counted)");
	is_str(meta(s, FOLDING_KEY_NAME, &m), "", "fold: the fold finished");
	is_str(found(s, STORE_USER, "\xef\xbc\xa1" "lice"), "u1",
	    "fold: the fullwidth name finds the first Alice");
	is_str(found(s, STORE_USER, "A\xe2\x80\x8b" "lice "), "u1",
	    "fold: so does one with a zero-width space and a space");
	is_str(found(s, STORE_USER, "jose\xcc\x81"), "u3",
	    "fold: NFD finds the NFC name that held the key");
	is_str(found(s, STORE_USER, "KELVIN"), "u5",
	    "fold: the Kelvin sign is a K");
	is_str(found(s, STORE_USER, "sam"), "u8",
	    "fold: a lone fullwidth name is re-keyed");
	is_str(found(s, STORE_GROUP, "admins"), "g1",
	    "fold: group names are folded too");
	ok(get_name(s, STORE_USER, "t1", "u2") != NULL &&
	    get_name(s, STORE_USER, "t1", "u4") != NULL &&
	    get_name(s, STORE_USER, "t1", "u6") != NULL &&
	    get_name(s, STORE_GROUP, "t1", "g2") != NULL,
	    "fold: no record is lost to a clash");
	is_int(indexed(s, STORE_USER), 8,
	    "fold: the clashing users are still listed");
	is_int(put_user(s, "u9", "\xef\xbc\xa1" "LICE"), SCIM_E_UNIQUENESS,
	    "fold: a new name that folds to a taken one is refused");
	is_int(put_user(s, "u9", "bob "), SCIM_E_UNIQUENESS,
	    "fold: so is one with a trailing space");
	is_int(del(s, STORE_USER, "u2"), SCIM_OK, "fold: delete a clashed one");
	is_str(found(s, STORE_USER, "alice"), "u1",
	    "fold: the name stays with the first");
	is_int(indexed(s, STORE_USER), 7, "fold: its old key went with it");
	is_int(rename_user(s, "u6", "Kelvin Two"), SCIM_OK,
	    "fold: rename a clashed one");
	is_str(found(s, STORE_USER, "kelvin"), "u5",
	    "fold: the first keeps its name");
	is_str(found(s, STORE_USER, "kelvin two"), "u6",
	    "fold: the renamed one has its new name");
	is_int(indexed(s, STORE_USER), 7, "fold: and no old key left behind");

	/* An unfinished fold: a mover died after marking layout 4. */
	ok(set_meta(s, "schema_version", "3"), "fold: mark it layout 3 again");
	store_close(s);
	pid = hold_attached(cfg.home, &release);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK,
	    "fold: open it beside one"))
		goto out_child;
	ok(put_user(s, "u10", "\xef\xbc\xba" "ed") == SCIM_OK,
	    "fold: a name keyed the layout-3 way");
	ok(set_meta(s, "schema_version", "4") &&
	    set_meta(s, FOLDING_KEY_NAME, "1"), "fold: a fold began, stopped");
	store_close(s);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK,
	    "fold: open it, still beside another"))
		goto out_child;
	is_str(meta(s, FOLDING_KEY_NAME, &m), "", "fold: the fold finished");
	is_str(found(s, STORE_USER, "zed"), "u10", "fold: Zed is re-keyed");
	store_close(s);
out_child:
	let_go(pid, release);
out:
	cfg = saved;
}

/*
 * Paging walks the name index a bulk buffer at a time: 7,000 users fill
 * several buffers.  Order is by lower-cased name, stable, per tenant.
 */
#define PAGE_USERS	7000

static enum scim_err
load_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	const char	*tenant = arg;
	char		 id[32], name[32];
	cJSON		*u;
	enum scim_err	 rc = SCIM_OK;
	int		 i, n = strcmp(tenant, "page") == 0 ? PAGE_USERS : 3;

	for (i = 0; i < n && rc == SCIM_OK; i++) {
		snprintf(id, sizeof(id), "id-%05d", (i * 7919) % n);
		/* Alternate case: the order must ignore it. */
		snprintf(name, sizeof(name), "%s%05d", i % 2 ? "User" : "user",
		    i);
		u = mkuser(id, name, NULL);
		rc = put_rec(t, STORE_USER, tenant, u, NULL, err);
		cJSON_Delete(u);
	}
	return rc;
}

struct page_arg {
	enum store_kind	 kind;
	const char	*tenant;
	size_t		 skip, limit, total, seen;
	char		 first[32], last[32];
};

/* Note the userName of a user on the page. */
static void
page_note(struct page_arg *pa, const cJSON *obj)
{
	const cJSON	*n = cJSON_GetObjectItem(obj, "userName");

	if (pa->seen++ == 0)
		snprintf(pa->first, sizeof(pa->first), "%s", n->valuestring);
	snprintf(pa->last, sizeof(pa->last), "%s", n->valuestring);
}

static enum scim_err
page_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct page_arg	*pa = arg;
	char		 ids[10][STORE_ID_MAX + 1];
	size_t		 nids, i;
	cJSON		*obj;
	enum scim_err	 rc;

	pa->seen = 0;
	pa->first[0] = pa->last[0] = '\0';
	if (pa->limit > sizeof(ids) / sizeof(ids[0]))
		return scim_fail(err, SCIM_E_INTERNAL, "page too long");
	rc = store_page_ids(t, pa->kind, pa->tenant, pa->skip, pa->limit,
	    &pa->total, ids, &nids, err);
	for (i = 0; rc == SCIM_OK && i < nids; i++) {
		if ((rc = store_get(t, pa->kind, pa->tenant, ids[i], &obj,
		    err)) == SCIM_OK)
			page_note(pa, obj);
		cJSON_Delete(obj);
	}
	return rc;
}

static void
test_page(struct store *s)
{
	struct page_arg		 pa;
	struct scim_error	 err;

	ok(store_run_nosync(s, load_fn, "page", &err) == SCIM_OK &&
	    store_run_nosync(s, load_fn, "page2", &err) == SCIM_OK,
	    "load %d users into one tenant, 3 into another", PAGE_USERS);
	memset(&pa, 0, sizeof(pa));
	pa.kind = STORE_USER;
	pa.tenant = "page";
	pa.limit = 10;
	ok(store_read(s, page_fn, &pa, &err) == SCIM_OK, "first page");
	is_int((int)pa.total, PAGE_USERS, "total counts every user");
	is_int((int)pa.seen, 10, "a page of 10");
	is_str(pa.first, "user00000", "in name order: first");
	is_str(pa.last, "User00009", "in name order, case ignored: tenth");
	pa.skip = 5000;
	ok(store_read(s, page_fn, &pa, &err) == SCIM_OK &&
	    pa.seen == 10 && strcmp(pa.first, "user05000") == 0,
	    "a page deep in the index (beyond the first bulk buffer)");
	pa.skip = PAGE_USERS - 3;
	ok(store_read(s, page_fn, &pa, &err) == SCIM_OK && pa.seen == 3 &&
	    strcmp(pa.last, "User06999") == 0 && pa.total == PAGE_USERS,
	    "the last page is short and ends with the last name");
	pa.skip = PAGE_USERS;
	ok(store_read(s, page_fn, &pa, &err) == SCIM_OK && pa.seen == 0 &&
	    pa.total == PAGE_USERS, "past the end: nothing, same total");
	pa.tenant = "page2";
	pa.skip = 0;
	ok(store_read(s, page_fn, &pa, &err) == SCIM_OK && pa.seen == 3 &&
	    pa.total == 3, "the other tenant sees only its 3 users");
	pa.tenant = "pag";
	ok(store_read(s, page_fn, &pa, &err) == SCIM_OK && pa.seen == 0 &&
	    pa.total == 0, "a tenant whose id is a prefix of another's: none");
}

/*
 * The gate: a process opening the environment after another died (so
 * Berkeley DB recovers it) waits until every open transaction has ended,
 * and a commit made meanwhile survives the recovery.  Before the gate,
 * recovery ran at once under the open transaction, which then committed
 * into the abandoned environment.
 */
struct gate_arg {
	int	 fds[2];		/* the opener and the latecomer say
					   "o" and "l" here when done */
	int	 go[2];			/* the latecomer starts on a byte */
	pid_t	 opener, late;
	bool	 waited;		/* the opener was still waiting */
	bool	 held;		/* the latecomer was held at the door */
};

/* Attached before the opener comes; starts a transaction when told. */
static void
latecomer(struct gate_arg *g)
{
	struct store		*cs;
	struct store_stats	 st;
	struct scim_error	 err;
	cJSON			*u;
	char			 c;

	close(g->go[1]);
	if (store_open(&cs, &cfg, &err) != SCIM_OK ||
	    write(g->fds[1], "r", 1) != 1 || read(g->go[0], &c, 1) != 1)
		_exit(2);
	u = mkuser("gate-late", "gate-late-user", NULL);
	if (put(cs, STORE_USER, "gate", u, NULL) != SCIM_OK)
		_exit(3);
	/* 'L': it ran after opening the recovered environment itself. */
	store_stats(cs, &st);
	if (write(g->fds[1], st.reopens > 0 ? "L" : "l", 1) != 1)
		_exit(4);
	_exit(0);
}

/*
 * Open the store and say so on fd (as soon as it is open: closing may
 * wait for the latecomer's own reopen), then look for the held write.
 */
static int
open_and_check(int fd)
{
	struct store		*cs;
	struct scim_error	 err;
	int			 found;

	if (store_open(&cs, &cfg, &err) != SCIM_OK)
		return 2;
	if (write(fd, "o", 1) != 1)
		return 4;
	found = get_name(cs, STORE_USER, "gate", "gate-held") != NULL;
	store_close(cs);
	return found ? 0 : 1;
}

static enum scim_err
gate_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct gate_arg	*g = arg;
	struct pollfd	 pfd;
	cJSON		*u = mkuser("gate-held", "gate-user", NULL);
	enum scim_err	 rc;
	int		 st;

	rc = put_rec(t, STORE_USER, "gate", u, NULL, err);
	cJSON_Delete(u);
	if (rc != SCIM_OK || g->opener != 0)
		return rc;
	if ((g->opener = fork()) == 0) {
		close(g->fds[0]);
		st = open_and_check(g->fds[1]);
		_exit(st);
	}
	/* Still in the transaction: the opener must be waiting. */
	pfd.fd = g->fds[0];
	pfd.events = POLLIN;
	g->waited = poll(&pfd, 1, 500) == 0;
	/* A transaction that starts now waits behind the opener. */
	if (write(g->go[1], "g", 1) != 1)
		return scim_fail(err, SCIM_E_INTERNAL, "pipe");
	g->held = poll(&pfd, 1, 500) == 0;
	return SCIM_OK;
}

static void
test_gate(struct store *s)
{
	struct gate_arg		 g;
	struct store_stats	 before, after;
	struct scim_error	 err;
	int			 ready[2], st;
	char			 c;
	pid_t			 dead;
	ssize_t			 n1, n2;
	char			 two[2];

	memset(&g, 0, sizeof(g));
	if (pipe(ready) != 0 || pipe(g.fds) != 0 || pipe(g.go) != 0) {
		ok(0, "pipe");
		return;
	}
	if ((g.late = fork()) == 0)
		latecomer(&g);
	close(g.go[0]);
	ok(read(g.fds[0], &c, 1) == 1 && c == 'r',
	    "a second process has the store open");
	/* A process dies inside the environment: the next open recovers. */
	if ((dead = fork()) == 0) {
		struct store *ds;

		if (store_open(&ds, &cfg, &err) != SCIM_OK)
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	ok(read(ready[0], &c, 1) == 1, "a process opened the store");
	kill(dead, SIGKILL);
	waitpid(dead, &st, 0);
	close(ready[0]);
	close(ready[1]);
	store_stats(s, &before);
	is_int(store_run(s, gate_fn, &g, &err), SCIM_OK,
	    "a transaction committed while the next opener waited");
	ok(g.waited, "the opener (it will recover) waited for the open "
	    "transaction to end");
	ok(g.held, "a transaction begun while the opener waited was held "
	    "back at the door");
	/*
	 * Which comes first on the pipe is up to the scheduler (the opener
	 * may be preempted right after opening); what counts is that the
	 * held transaction ran in the recovered environment, which the
	 * latecomer had to open again: it never ran beside the recovery.
	 */
	n1 = read(g.fds[0], two, 1);
	n2 = read(g.fds[0], two + 1, 1);
	ok(n1 == 1 && n2 == 1 && memchr(two, 'o', 2) != NULL,
	    "then the opener opened the store");
	ok(n1 == 1 && n2 == 1 && memchr(two, 'L', 2) != NULL,
	    "and the held transaction ran (and committed) only in the "
	    "recovered environment, which it opened again");
	waitpid(g.late, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "in the recovered environment, with no error");
	waitpid(g.opener, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "after recovery the opener sees the committed write (status %d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	ok(get_name(s, STORE_USER, "gate", "gate-held") != NULL,
	    "this process reads it too, from the recovered environment");
	store_stats(s, &after);
	ok(after.reopens == before.reopens + 1,
	    "by opening the store again on its own (%llu reopen)",
	    (unsigned long long)(after.reopens - before.reopens));
	close(g.fds[0]);
	close(g.fds[1]);
	close(g.go[1]);
}

/*
 * A process stuck inside a transaction (here: paused, as on a latch that
 * a killed process held) would keep the gate from closing for ever; the
 * next opener ends it after 5 x lock_timeout_ms and recovers.
 */
static enum scim_err
stuck_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	int		*fd = arg;
	cJSON		*u = mkuser("stuck", "stuck-user", NULL);
	enum scim_err	 rc;

	rc = put_rec(t, STORE_USER, "stall", u, NULL, err);
	cJSON_Delete(u);
	if (rc != SCIM_OK)
		return rc;
	if (write(*fd, "s", 1) != 1)
		return SCIM_E_INTERNAL;
	for (;;)
		pause();
}

static void
test_stall(void)
{
	struct scim_config	 fast = cfg;
	struct store		*cs;
	struct scim_error	 err;
	struct timespec		 t0, t1;
	int			 fds[2], st_stuck = 0, st_open = 0;
	char			 c;
	pid_t			 stuck, opener;
	double			 secs;

	fast.lock_timeout_ms = 100;		/* stuck after 0.5 s */
	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	if ((stuck = fork()) == 0) {
		close(fds[0]);
		if (store_open(&cs, &fast, &err) != SCIM_OK)
			_exit(2);
		store_run(cs, stuck_fn, &fds[1], &err);
		_exit(3);
	}
	close(fds[1]);
	ok(read(fds[0], &c, 1) == 1, "a process is stuck inside a transaction");
	close(fds[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((opener = fork()) == 0) {
		if (store_open(&cs, &fast, &err) != SCIM_OK)
			_exit(2);
		store_close(cs);
		_exit(0);
	}
	waitpid(opener, &st_open, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	waitpid(stuck, &st_stuck, 0);
	ok(WIFSIGNALED(st_stuck) && WTERMSIG(st_stuck) == SIGKILL,
	    "the next opener ended the stuck process");
	ok(WIFEXITED(st_open) && WEXITSTATUS(st_open) == 0,
	    "and opened the store (recovering it)");
	ok(secs >= 0.45 && secs < 30.0, "after %.1f s (5 x 100 ms, then "
	    "recovery)", secs);
	ok(get_name(s_main, STORE_USER, "stall",
	    "stuck") == NULL, "nothing of the stuck transaction remains");
}

/*
 * Eight processes creating the same new home at once (as lighttpd's
 * freshly spawned workers and scim-tokens do on a first start) all open
 * it and write.
 */
static void
test_first_open_race(const char *dir)
{
	struct scim_config	 saved = cfg;
	pid_t			 pids[8];
	int			 round, i, st, bad = 0;
	char			 tag[16];

	for (round = 0; round < 5; round++) {
		snprintf(cfg.home, sizeof(cfg.home), "%s/race%d", dir, round);
		for (i = 0; i < 8; i++) {
			snprintf(tag, sizeof(tag), "r%d", i);
			if ((pids[i] = fork()) == 0)
				_exit(writer(tag, 3));
		}
		for (i = 0; i < 8; i++) {
			waitpid(pids[i], &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				bad++;
		}
	}
	cfg = saved;
	is_int(bad, 0, "5 rounds of 8 processes creating a new home at once "
	    "all open it and write");
}

struct kv_arg {
	int	 phase;
	int	 n;
};

static bool
kv_cb(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct kv_arg	*k = arg;

	(void)obj; (void)keep;
	if (k->n == 0 && k->phase == 1)
		k->phase = strcmp(key, "c") == 0 ? 2 : 3;
	k->n++;
	return true;
}

static enum scim_err
kv_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct kv_arg	*k = arg;
	cJSON		*v = cJSON_CreateObject();
	const char	*keys[] = { "a", "b", "c" };
	enum scim_err	 rc = SCIM_OK;
	size_t		 i;

	for (i = 0; i < 3 && rc == SCIM_OK; i++)
		rc = store_kv_put(t, "t1", "space", keys[i], v, err);
	cJSON_Delete(v);
	if (rc != SCIM_OK)
		return rc;
	k->n = 0;
	k->phase = 1;
	return store_kv_scan(t, "t1", "space", NULL, true, kv_cb, k, err);
}

/*
 * Keys in the order Berkeley DB's own comparison gives (unsigned bytes, a
 * key before the keys it begins), which the store's memcmp comparison
 * must keep: files written before it, and db5.3_verify, use that order.
 */
static const char *const ordered_keys[] = {
	"a", "a b", "a-", "aa", "aa\x7f", "ab", "a\xc3\xa9", "b", "\xc3\xa9",
	"\xff",
};
#define NORDERED	(sizeof(ordered_keys) / sizeof(ordered_keys[0]))

struct order_arg {
	size_t	 n;
	bool	 in_order;
};

static bool
order_cb(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct order_arg	*o = arg;

	(void)obj; (void)keep;
	if (o->n >= NORDERED || strcmp(key, ordered_keys[o->n]) != 0)
		o->in_order = false;
	o->n++;
	return true;
}

static enum scim_err
order_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct order_arg	*o = arg;
	cJSON			*v = cJSON_CreateObject();
	enum scim_err		 rc = SCIM_OK;
	size_t			 i;

	/* Inserted in another order than the one they must come out in. */
	for (i = 0; i < NORDERED && rc == SCIM_OK; i++)
		rc = store_kv_put(t, "t1", "order",
		    ordered_keys[(i * 7) % NORDERED], v, err);
	cJSON_Delete(v);
	o->n = 0;
	o->in_order = true;
	return rc != SCIM_OK ? rc :
	    store_kv_scan(t, "t1", "order", NULL, false, order_cb, o, err);
}

static void
test_kv(struct store *s)
{
	struct kv_arg		 k = { 0, 0 };
	struct order_arg	 o;
	struct scim_error	 err;

	is_int(store_run(s, kv_fn, &k, &err), SCIM_OK, "kv put and scan");
	is_int(k.n, 3, "reverse scan sees 3 keys");
	is_int(k.phase, 2, "reverse scan starts at the last key");
	is_int(store_run(s, order_fn, &o, &err), SCIM_OK, "kv keys scanned");
	ok(o.n == NORDERED && o.in_order, "keys come out in unsigned byte "
	    "order, a key before the keys it begins (%zu keys)", o.n);
}

/* --- the records generation --- */

struct gen_arg {
	int	 fd;		/* -1, or: write a byte here, then wait */
	bool	 settled;	/* store_records_gen() inside, after the put */
};

static enum scim_err
token_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct gen_arg	*g = arg;
	cJSON		*rec = cJSON_CreateObject();
	uint64_t	 gen;
	enum scim_err	 rc;

	cJSON_AddStringToObject(rec, "tenant", "t1");
	rc = store_token_put(t, "00112233445566778899aabb", rec, err);
	cJSON_Delete(rec);
	g->settled = store_records_gen(store_txn_store(t), &gen);
	if (rc == SCIM_OK && g->fd >= 0 && write(g->fd, "w", 1) == 1)
		pause();		/* until killed */
	return rc;
}

/*
 * Writing a token (or group) moves the shared generation on when the
 * transaction ends, and is "not settled" while it runs; other writes do
 * not move it.  A writer killed inside its transaction leaves it not
 * settled (so processes read instead of trusting what they kept) until
 * the next open of the store closes the gate, which settles it.
 */
static void
test_records_gen(struct store *s)
{
	struct gen_arg		 g = { -1, true };
	struct kv_arg		 k = { 0, 0 };
	struct scim_error	 err;
	struct store		*s2;
	uint64_t		 g0, g1;
	int			 fds[2], st;
	pid_t			 pid;
	char			 c;

	ok(store_records_gen(s, &g0), "settled at rest");
	store_run(s, kv_fn, &k, &err);
	ok(store_records_gen(s, &g1) && g1 == g0, "a kv write leaves the "
	    "generation as it was");
	ok(store_run(s, token_fn, &g, &err) == SCIM_OK && !g.settled,
	    "not settled inside a transaction that wrote a token");
	ok(store_records_gen(s, &g1) && g1 != g0, "settled after it, and "
	    "the generation moved on");
	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	if ((pid = fork()) == 0) {
		struct store	*cs;

		close(fds[0]);
		g.fd = fds[1];
		if (store_open(&cs, &cfg, &err) != SCIM_OK)
			_exit(2);
		store_run(cs, token_fn, &g, &err);
		_exit(3);
	}
	close(fds[1]);
	ok(read(fds[0], &c, 1) == 1, "a child wrote a token and waits");
	close(fds[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ok(!store_records_gen(s, &g0), "killed there, it leaves the "
	    "generation not settled");
	if (store_open(&s2, &cfg, &err) == SCIM_OK)
		store_close(s2);
	ok(store_records_gen(s, &g1) && g1 != g0, "the next open settles "
	    "it (%llu -> %llu)", (unsigned long long)g0,
	    (unsigned long long)g1);
}

/*
 * Which writes move the generation is one column of the store's table of
 * databases: groups.db and tokens.db.  A user, a membership (members.db
 * and the user's side) and a group's delete are checked here: the first
 * two leave it, the delete (it writes groups.db) moves it.
 */
static void
test_records_gen_tables(struct store *s)
{
	cJSON		*u = mkuser("gen-u1", "gen.user", NULL);
	cJSON		*g = cJSON_CreateObject();
	uint64_t	 g0, g1;

	cJSON_AddStringToObject(g, "id", "gen-g1");
	cJSON_AddStringToObject(g, "displayName", "gen group");
	store_records_gen(s, &g0);
	ok(put(s, STORE_USER, "t1", u, NULL) == SCIM_OK &&
	    store_records_gen(s, &g1) && g1 == g0, "a user write leaves the "
	    "generation as it was");
	ok(put(s, STORE_GROUP, "t1", g, NULL) == SCIM_OK &&
	    store_records_gen(s, &g1) && g1 != g0, "a group write moves it "
	    "on");
	store_records_gen(s, &g0);
	ok(member(s, "gen-g1", "gen-u1", true) &&
	    store_records_gen(s, &g1) && g1 == g0, "adding a member (no "
	    "write to groups.db) leaves it");
	ok(del(s, STORE_GROUP, "gen-g1") == SCIM_OK &&
	    store_records_gen(s, &g1) && g1 != g0, "deleting the group "
	    "moves it on");
	store_records_gen(s, &g0);
	ok(del(s, STORE_USER, "gen-u1") == SCIM_OK &&
	    store_records_gen(s, &g1) && g1 == g0, "deleting the user "
	    "leaves it");
	cJSON_Delete(u);
	cJSON_Delete(g);
}

/* --- group commit --- */

static enum scim_err
read_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	char	 buf[32];

	(void)arg;
	return store_meta_get(t, "schema_version", buf, sizeof(buf), err);
}

/*
 * A durable store that defers its flushes: a write leaves one owed, a
 * read does not, store_flush() pays it; without the deferral (or with
 * sync = write) nothing is ever owed.
 */
static void
test_defer_flush(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct store		*s;
	struct store_stats	 st;
	struct scim_error	 err;
	struct kv_arg		 k = { 0, 0 };

	snprintf(cfg.home, sizeof(cfg.home), "%s/defer", dir);
	cfg.sync = STORE_SYNC_FULL;
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open a durable store"))
		goto out;
	ok(store_run(s, kv_fn, &k, &err) == SCIM_OK && !store_unflushed(s),
	    "without deferral a durable write is flushed by store_run()");
	store_defer_flush(s);
	ok(store_read(s, read_fn, NULL, &err) == SCIM_OK &&
	    !store_unflushed(s), "a read leaves no flush owed");
	ok(store_run(s, kv_fn, &k, &err) == SCIM_OK && store_unflushed(s),
	    "a deferred durable write leaves a flush owed");
	ok(store_run(s, kv_fn, &k, &err) == SCIM_OK && store_unflushed(s),
	    "a second one shares it");
	store_stats(s, &st);
	is_int((int)st.deferred, 2, "both counted as deferred");
	ok(store_flush(s, &err) == SCIM_OK && !store_unflushed(s),
	    "store_flush() pays it");
	ok(store_flush(s, &err) == SCIM_OK, "and has nothing more to do");
	store_close(s);
	cfg.sync = STORE_SYNC_WRITE;
	snprintf(cfg.home, sizeof(cfg.home), "%s/defer-write", dir);
	if (store_open(&s, &cfg, &err) == SCIM_OK) {
		store_defer_flush(s);
		ok(store_run(s, kv_fn, &k, &err) == SCIM_OK &&
		    !store_unflushed(s), "sync = write owes no flush");
		store_close(s);
	}
out:
	cfg = saved;
}

/* --- the cache sized to the data --- */

#define MIB		(1024ULL * 1024)
#define BLOB_MIB	56	/* enough data for more than the floor */

static const struct {
	uint64_t	 data, max, want;
} cache_wants[] = {
	{ 0, 1024 * 1024 * MIB, 80 * MIB },		/* the floor */
	{ 38 * MIB, 1024 * 1024 * MIB, 80 * MIB },	/* 79.5 rounds up */
	{ 48 * MIB, 1024 * 1024 * MIB, 96 * MIB },	/* 92 rounds up */
	{ 292 * MIB, 1024 * 1024 * MIB, 400 * MIB },	/* 397 */
	{ 1024 * MIB, 1024 * 1024 * MIB, 1312 * MIB },
	{ 100 * 1024 * MIB, 16 * 1024 * MIB, 16 * 1024 * MIB }, /* capped */
	{ 0, 16 * MIB, 16 * MIB },			/* cap below floor */
};

/* Within Berkeley DB's rounding (a few KB) of the size wanted? */
static bool
cache_near(uint64_t size, uint64_t want)
{
	return size >= want && size < want + MIB;
}

struct blob_arg {
	char		 key[8];
	const char	*value;
};

static enum scim_err
blob_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct blob_arg	*b = arg;
	cJSON		*v = cJSON_CreateString(b->value);
	enum scim_err	 rc;

	rc = store_kv_put(t, "cache", "blob", b->key, v, err);
	cJSON_Delete(v);
	return rc;
}

/* Write n values of 1 MiB into the store at cfg.home. */
static bool
fill_mib(int n)
{
	struct store		*s;
	struct scim_error	 err;
	struct blob_arg		 b;
	char			*value;
	bool			 good;
	int			 i;

	if ((value = malloc(MIB + 1)) == NULL)
		return false;
	memset(value, 'x', MIB);
	value[MIB] = '\0';
	b.value = value;
	if (store_open(&s, &cfg, &err) != SCIM_OK) {
		free(value);
		return false;
	}
	for (i = 0, good = true; i < n && good; i++) {
		snprintf(b.key, sizeof(b.key), "%04d", i);
		good = store_run_nosync(s, blob_fn, &b, &err) == SCIM_OK;
	}
	store_close(s);
	free(value);
	return good;
}

/* Open the store at cfg.home, note its cache and close it again. */
static bool
cache_of(struct store_cache *c)
{
	struct store		*s;
	struct scim_error	 err;

	memset(c, 0, sizeof(*c));
	if (store_open(&s, &cfg, &err) != SCIM_OK) {
		printf("# %s\n", err.detail);
		return false;
	}
	store_cache(s, c);
	store_close(s);
	return true;
}

/* Child: keep the store at cfg.home open until told to go. */
static void
cache_holder(int ready, int go)
{
	struct store		*s;
	struct scim_error	 err;
	char			 c;

	if (store_open(&s, &cfg, &err) != SCIM_OK ||
	    write(ready, "r", 1) != 1)
		_exit(2);
	if (read(go, &c, 1) < 0)
		_exit(3);
	store_close(s);
	_exit(0);
}

/* The DB_CONFIG every home got before the cache was sized to the data. */
static const char db_config_v1[] =
    "# Berkeley DB environment settings for scim-fcgi.\n"
    "#\n"
    "# scim-fcgi writes this file into a new data home the first time a program\n"
    "# opens it; afterwards the copy in the home is the one that counts (edit it\n"
    "# there and restart the programs).  Settings here override the defaults\n"
    "# compiled into the programs.  See db/README and scim.conf(5).\n"
    "\n"
    "# Shared cache for all processes: ~1 KB per user record, 64 MiB keeps\n"
    "# about 50,000 users and their indexes hot; raise it for larger tenants.\n"
    "set_cachesize 0 67108864 1\n"
    "\n"
    "# Resolve deadlocks as soon as a lock request conflicts.\n"
    "set_lk_detect DB_LOCK_DEFAULT\n"
    "\n"
    "# Room for large transactions (bulk member loads, group deletes).\n"
    "set_lk_max_locks 200000\n"
    "set_lk_max_objects 200000\n"
    "set_lk_max_lockers 20000\n"
    "\n"
    "# Transaction log: 1 MiB buffer, 16 MiB files, removed once no longer\n"
    "# needed for normal recovery (use db_hotbackup for backups).\n"
    "set_lg_bsize 1048576\n"
    "set_lg_max 16777216\n"
    "log_set_config db_log_auto_remove on\n";

/* The default DB_CONFIG of the version that sized the cache (no db_log_zero). */
static const char db_config_v2[] =
    "# Berkeley DB environment settings for scim-fcgi.\n"
    "#\n"
    "# scim-fcgi writes this file into a new data home the first time a program\n"
    "# opens it; afterwards the copy in the home is the one that counts (edit it\n"
    "# there and restart the programs).  Settings here override the defaults\n"
    "# compiled into the programs.  See scim.conf(5) and scim-fcgi(8).\n"
    "\n"
    "# Shared cache for all processes: no set_cachesize line, because the\n"
    "# programs size the cache to the data whenever the environment is created\n"
    "# (5/4 of the databases plus 32 MiB, at least 80 MiB, at most [store]\n"
    "# cache_max_mb; see scim.conf(5)).  A set_cachesize line in the home's\n"
    "# copy of this file wins over that, for example for 1 GiB:\n"
    "#set_cachesize 1 0 1\n"
    "\n"
    "# Resolve deadlocks as soon as a lock request conflicts.\n"
    "set_lk_detect DB_LOCK_DEFAULT\n"
    "\n"
    "# Room for large transactions (bulk member loads, group deletes).\n"
    "set_lk_max_locks 200000\n"
    "set_lk_max_objects 200000\n"
    "set_lk_max_lockers 20000\n"
    "\n"
    "# Transaction log: 1 MiB buffer, 16 MiB files, removed once no longer\n"
    "# needed for normal recovery (use db_hotbackup for backups).\n"
    "set_lg_bsize 1048576\n"
    "set_lg_max 16777216\n"
    "log_set_config db_log_auto_remove on\n";

/* Write text into cfg.home's DB_CONFIG, open, and read DB_CONFIG back. */
static bool
open_with_db_config(const char *text, struct store_cache *c, char *back,
    size_t sz)
{
	char	 path[4200];
	FILE	*f;
	size_t	 n;

	mkdir(cfg.home, 0750);
	snprintf(path, sizeof(path), "%s/DB_CONFIG", cfg.home);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 ||
	    fclose(f) != 0 || !cache_of(c) || (f = fopen(path, "r")) == NULL)
		return false;
	n = fread(back, 1, sz - 1, f);
	back[n] = '\0';
	fclose(f);
	return true;
}

static void
test_old_db_config(const char *dir)
{
	static const char	*olds[] = { db_config_v1, db_config_v2 };
	struct store_cache	 c;
	static char		 back[4096], edited[sizeof(db_config_v2) + 16];
	bool			 opened;
	size_t			 i;

	cfg.cache_max_mb = 1024;
	for (i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
		snprintf(cfg.home, sizeof(cfg.home), "%s/old-default-%zu",
		    dir, i + 1);
		opened = open_with_db_config(olds[i], &c, back, sizeof(back));
		ok(opened && strcmp(back, store_db_config_text) == 0 &&
		    c.want == 80 * MIB && cache_near(c.size, c.want),
		    "a home with old default DB_CONFIG v%zu gets the current "
		    "one, and a cache sized to the data (%llu bytes)", i + 1,
		    (unsigned long long)c.size);
		snprintf(cfg.home, sizeof(cfg.home), "%s/old-edited-%zu", dir,
		    i + 1);
		snprintf(edited, sizeof(edited), "%s#\n", olds[i]);
		opened = open_with_db_config(edited, &c, back, sizeof(back));
		ok(opened && strcmp(back, edited) == 0 &&
		    (i > 0 || c.want == 0),
		    "an edited v%zu is the operator's: left as it is", i + 1);
	}
}

static void
test_cache(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct store_cache	 c;
	uint64_t		 grown;
	size_t			 i;
	int			 ready[2], go[2], st, fd;
	char			 ch, path[4200];
	bool			 opened;
	pid_t			 pid;

	for (i = 0; i < sizeof(cache_wants) / sizeof(cache_wants[0]); i++)
		ok(store_cache_want(cache_wants[i].data, cache_wants[i].max) ==
		    cache_wants[i].want, "%llu MiB of data, at most %llu MiB: "
		    "a cache of %llu MiB",
		    (unsigned long long)(cache_wants[i].data / MIB),
		    (unsigned long long)(cache_wants[i].max / MIB),
		    (unsigned long long)(cache_wants[i].want / MIB));

	snprintf(cfg.home, sizeof(cfg.home), "%s/cache", dir);
	cfg.cache_max_mb = 1024;
	opened = cache_of(&c);
	ok(opened && c.want == 80 * MIB && cache_near(c.size, c.want),
	    "a new store gets the 80 MiB floor (%llu bytes)",
	    (unsigned long long)c.size);
	ok(fill_mib(BLOB_MIB), "%d MiB written", BLOB_MIB);
	opened = cache_of(&c);
	ok(opened && c.data >= BLOB_MIB * MIB &&
	    c.data < (BLOB_MIB + 8) * MIB,
	    "the data counted: %llu bytes", (unsigned long long)c.data);
	ok(c.want == store_cache_want(c.data, 1024 * MIB) &&
	    c.want >= 96 * MIB && cache_near(c.size, c.want),
	    "opened alone, the environment is made again for the data: "
	    "%llu bytes", (unsigned long long)c.size);
	grown = c.size;

	if (pipe(ready) != 0 || pipe(go) != 0) {
		ok(0, "pipe");
		cfg = saved;
		return;
	}
	if ((pid = fork()) == 0) {
		close(ready[0]);
		close(go[1]);
		cache_holder(ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	ok(read(ready[0], &ch, 1) == 1, "another process holds the store");
	cfg.cache_max_mb = 64;
	opened = cache_of(&c);
	ok(opened && c.want == 64 * MIB && c.size == grown,
	    "while it does, an opener joins the cache in place");
	close(go[1]);
	close(ready[0]);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the other process left");
	opened = cache_of(&c);
	ok(opened && cache_near(c.size, 64 * MIB),
	    "alone again, cache_max_mb caps the cache: %llu bytes",
	    (unsigned long long)c.size);

	/* 48 MiB asked in DB_CONFIG: Berkeley DB adds its quarter. */
	snprintf(cfg.home, sizeof(cfg.home), "%s/manual", dir);
	mkdir(cfg.home, 0750);
	snprintf(path, sizeof(path), "%s/DB_CONFIG", cfg.home);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) < 0 ||
	    write(fd, "set_cachesize 0 50331648 1\n", 27) != 27) {
		ok(0, "%s", path);
		cfg = saved;
		return;
	}
	close(fd);
	opened = cache_of(&c);
	ok(opened && c.want == 0 && cache_near(c.size, 60 * MIB),
	    "a set_cachesize line in the home's DB_CONFIG wins: %llu bytes",
	    (unsigned long long)c.size);
	test_old_db_config(dir);
	cfg = saved;
}

/* --- RFC 9865 cursors (store-cursor.c) --- */

static enum scim_err
cursor_key_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return store_cursor_key(t, true, arg, err);
}

/*
 * A sealed cursor opens to what was sealed, for its tenant only, under
 * its key only; any altered byte, another tenant, another install's key
 * or a future date is invalid; age past the timeout is expired, but only
 * once the seal holds.
 */
static void
test_cursor(struct store *s)
{
	struct store_cursor	 c, o;
	struct scim_error	 err;
	uint8_t			 key[STORE_CURSOR_KEY_LEN], key2[STORE_CURSOR_KEY_LEN];
	char			 text[STORE_CURSOR_TEXT_MAX], bad[STORE_CURSOR_TEXT_MAX];
	uint64_t		 now = (uint64_t)time(NULL);
	size_t			 i;
	bool			 unreserved = true;

	ok(store_run(s, cursor_key_fn, key, &err) == SCIM_OK &&
	    store_run(s, cursor_key_fn, key2, &err) == SCIM_OK &&
	    memcmp(key, key2, sizeof(key)) == 0,
	    "cursor: the install's key is made once and kept");
	memset(&c, 0, sizeof(c));
	c.kind = STORE_GROUP;
	c.issued = now;
	c.count = 100;
	memcpy(c.query, "12345678", STORE_CURSOR_QLEN);
	snprintf(c.after, sizeof(c.after), "%s",
	    "2819c223-7f76-453a-919d-413861904646");
	ok(store_cursor_seal(key, "t1", &c, text, sizeof(text)),
	    "cursor: sealed");
	for (i = 0; text[i] != '\0'; i++)
		if (!((text[i] >= 'A' && text[i] <= 'Z') ||
		    (text[i] >= 'a' && text[i] <= 'z') ||
		    (text[i] >= '0' && text[i] <= '9') || text[i] == '-' ||
		    text[i] == '_'))
			unreserved = false;
	ok(unreserved && strstr(text, "t1") == NULL,
	    "cursor: RFC 3986 unreserved characters only, no tenant in it");
	ok(store_cursor_open(key, "t1", text, now, 3600, &o) ==
	    STORE_CURSOR_OK && o.kind == STORE_GROUP && o.count == 100 &&
	    o.issued == now && memcmp(o.query, "12345678", 8) == 0 &&
	    strcmp(o.after, c.after) == 0, "cursor: opens to what was sealed");
	is_int(store_cursor_open(key, "t2", text, now, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: another tenant's is invalid");
	is_int(store_cursor_open(key, "t", text, now, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: so is a tenant that is a prefix");
	key2[0] ^= 1;
	is_int(store_cursor_open(key2, "t1", text, now, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: another install's is invalid");
	for (i = 0; text[i] != '\0'; i++) {
		memcpy(bad, text, sizeof(bad));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		if (store_cursor_open(key, "t1", bad, now, 3600, &o) !=
		    STORE_CURSOR_INVALID)
			break;
	}
	is_int((long)i, (long)strlen(text),
	    "cursor: every altered character makes it invalid");
	memcpy(bad, text, sizeof(bad));
	bad[strlen(bad) - 1] = '\0';
	is_int(store_cursor_open(key, "t1", bad, now, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: a cut one is invalid");
	is_int(store_cursor_open(key, "t1", "", now, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: an empty text is no cursor");
	is_int(store_cursor_open(key, "t1", "a+b/c==", now, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: nor is base64 with + / =");
	is_int(store_cursor_open(key, "t1", text, now + 3601, 3600, &o),
	    STORE_CURSOR_EXPIRED, "cursor: older than the timeout: expired");
	ok(store_cursor_open(key, "t1", text, now + 3600, 3600, &o) ==
	    STORE_CURSOR_OK, "cursor: at the timeout still valid");
	memcpy(bad, text, sizeof(bad));
	bad[3] = bad[3] == 'A' ? 'B' : 'A';
	is_int(store_cursor_open(key, "t1", bad, now + 9999, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: a forged old one is invalid, "
	    "not expired");
	c.issued = now + 3600;
	ok(store_cursor_seal(key, "t1", &c, text, sizeof(text)) &&
	    store_cursor_open(key, "t1", text, now, 3600, &o) ==
	    STORE_CURSOR_INVALID, "cursor: one from the future is invalid");
}

/* --- layout 5: per-tenant counts --- */

struct count_arg {
	enum store_kind	 kind;
	const char	*tenant;
	size_t		 n;
};

static enum scim_err
count_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct count_arg	*c = arg;

	return store_count(t, c->kind, c->tenant, &c->n, err);
}

/* store_count() of kind in tenant, or -1. */
static long
counted(struct store *s, enum store_kind kind, const char *tenant)
{
	struct count_arg	 c = { kind, tenant, 0 };
	struct scim_error	 err;

	if (store_read(s, count_fn, &c, &err) != SCIM_OK)
		return -1;
	return (long)c.n;
}

/*
 * A new store counts as it goes: creates and deletes move the count in
 * their transaction, a refused create or a failed transaction does not.
 * A store of layout 4 (written while another process had it open, so no
 * count was kept) is counted once by the open that is alone; a count
 * that began and stopped is finished by any open.
 */
static void
test_count_layout(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct named_meta	 m;
	struct scim_error	 err;
	struct store		*s;
	cJSON			*u;
	int			 release = -1;
	pid_t			 pid;
	char			 id[16], name[16];
	int			 i;

	snprintf(cfg.home, sizeof(cfg.home), "%s/count", dir);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "count: a new store"))
		goto out;
	is_int(counted(s, STORE_USER, "t1"), 0, "count: none yet");
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "u%d", i);
		snprintf(name, sizeof(name), "name%d", i);
		put_user(s, id, name);
	}
	u = mkuser("u9", "user9", NULL);
	put(s, STORE_USER, "t2", u, NULL);
	cJSON_Delete(u);
	is_int(counted(s, STORE_USER, "t1"), 5, "count: 5 creates");
	is_int(counted(s, STORE_USER, "t2"), 1, "count: per tenant");
	ok(put_user(s, "u1", "other") != SCIM_OK && put_user(s, "u7",
	    "NAME1") != SCIM_OK, "count: a taken id, a taken name refused");
	is_int(counted(s, STORE_USER, "t1"), 5,
	    "count: refused creates count nothing");
	ok(del(s, STORE_USER, "u3") == SCIM_OK, "count: delete one");
	ok(del(s, STORE_USER, "u3") != SCIM_OK, "count: again: not found");
	is_int(counted(s, STORE_USER, "t1"), 4,
	    "count: the delete counted, once");
	ok(add_group(s, "g1", "G1"), "count: a group");
	is_int(counted(s, STORE_GROUP, "t1"), 1, "count: groups apart");

	/* Layout 4 beside another process: no count kept, walked. */
	ok(set_meta(s, "schema_version", "4"), "count: mark it layout 4");
	store_close(s);
	pid = hold_attached(cfg.home, &release);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK,
	    "count: open it beside another process"))
		goto out_child;
	is_str(meta(s, "schema_version", &m), "4", "count: layout 4 kept");
	put_user(s, "u5", "name5");
	put_user(s, "u6", "name6");
	del(s, STORE_USER, "u0");
	ok(del(s, STORE_GROUP, "g1") == SCIM_OK, "count: the last group goes");
	is_int(counted(s, STORE_USER, "t1"), 5,
	    "count: layout 4 counts by a walk");
	store_close(s);
	let_go(pid, release);
	pid = -1;
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK,
	    "count: open it alone"))
		goto out;
	is_str(meta(s, "schema_version", &m), "5", "count: now layout 5");
	is_str(meta(s, "counts_making", &m), "", "count: and the count done");
	is_int(counted(s, STORE_USER, "t1"), 5, "count: t1 counted once");
	is_int(counted(s, STORE_USER, "t2"), 1, "count: t2 too");
	is_int(counted(s, STORE_GROUP, "t1"), 0,
	    "count: no group left: 0, not the count of before");
	{
		struct page_arg	 pa = { STORE_USER, "t1", 3, 2, 0, 0, "", "" };

		ok(store_read(s, page_fn, &pa, &err) == SCIM_OK &&
		    pa.total == 5 && pa.seen == 2 &&
		    strcmp(pa.first, "name5") == 0 &&
		    strcmp(pa.last, "name6") == 0,
		    "count: the numbered index was built: 4-5 of 5");
	}
	put_user(s, "u8", "name8");
	is_int(counted(s, STORE_USER, "t1"), 6,
	    "count: kept by writes after");

	/* A count that began and stopped is finished by the next open. */
	ok(set_meta(s, "schema_version", "4"), "count: layout 4 again");
	store_close(s);
	pid = hold_attached(cfg.home, &release);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK,
	    "count: open beside one"))
		goto out_child;
	put_user(s, "u10", "name10");
	ok(set_meta(s, "schema_version", "5") &&
	    set_meta(s, "counts_making", "1"), "count: a count began, stopped");
	store_close(s);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK,
	    "count: open it, still beside another"))
		goto out_child;
	is_str(meta(s, "counts_making", &m), "", "count: the count finished");
	is_int(counted(s, STORE_USER, "t1"), 7, "count: right");
	{
		struct page_arg	 pa = { STORE_USER, "t1", 0, 10, 0, 0, "", "" };

		ok(store_read(s, page_fn, &pa, &err) == SCIM_OK &&
		    pa.total == 7 && pa.seen == 7 &&
		    strcmp(pa.first, "name1") == 0 &&
		    strcmp(pa.last, "name8") == 0,
		    "count: and the numbered index rebuilt, not doubled");
	}
	store_close(s);
out_child:
	if (pid != -1)
		let_go(pid, release);
out:
	cfg = saved;
}

int
main(void)
{
	struct store		*s;
	struct scim_error	 err;
	char			 tmpl[] = "/tmp/scim-store-test-XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	config_defaults(&cfg);
	snprintf(cfg.home, sizeof(cfg.home), "%s/db", tmpl);
	cfg.sync = STORE_SYNC_WRITE;
	cfg.lock_timeout_ms = 500;
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open a new store")) {
		printf("# %s\n", err.detail);
		return tap_done();
	}
	test_basics(s);
	test_kv(s);
	test_page(s);
	test_cursor(s);
	test_version(s);
	test_concurrent(s);
	test_kill(s);
	test_records_gen(s);
	test_records_gen_tables(s);
	test_gate(s);
	s_main = s;
	test_stall();
	test_first_open_race(tmpl);
	test_cache(tmpl);
	test_defer_flush(tmpl);
	test_layout(tmpl);
	test_fold_layout(tmpl);
	test_count_layout(tmpl);
	test_regions(tmpl);
	store_close(s);
	if (getenv("SCIM_TEST_KEEP") == NULL) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpl);
	}
	return tap_done();
}
