/*
 * What the store tests share (test_store, test_store_gate,
 * test_store_cache, test_store_layout, test_store_count,
 * test_store_bulk): small transaction bodies that put, get, find, count,
 * link, page and delete records, the meta helpers the layout tests read
 * and set, a child that holds the environment open, and the store they
 * all open first (in a tmp_store.h directory).  Header-only, like tap.h;
 * every function is static and marked unused, so each test program
 * takes what it needs.
 */
#ifndef SCIM_STORE_FIXTURE_H
#define SCIM_STORE_FIXTURE_H

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
#include "tmp_store.h"
#include "store/db_config.h"		/* generated from db/DB_CONFIG */

#define MOVING_KEY_NAME	"memberof_moving"	/* store-layout.c MOVING_KEY */
#define FOLDING_KEY_NAME "names_folding"	/* store-layout.c FOLDING_KEY */

static __attribute__((unused)) struct scim_config	 cfg;
static __attribute__((unused)) struct store		*s_main;	/* the parent's store */

static __attribute__((unused)) cJSON *
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
static __attribute__((unused)) void
keys_of(enum store_kind kind, const cJSON *res, struct store_keys *k)
{
	k->id = json_str_or_null(res, "id");
	k->name = json_str_or_null(res, kind == STORE_USER ? "userName" :
	    "displayName");
	k->ext = json_str_or_null(res, "externalId");
}

/* store_put() of the record res (replacing old, or NULL). */
static __attribute__((unused)) enum scim_err
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

static __attribute__((unused)) enum scim_err
put_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct put_arg	*p = arg;

	return put_rec(t, p->kind, p->tenant, p->res, p->old, err);
}

static __attribute__((unused)) enum scim_err
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

static __attribute__((unused)) enum scim_err
get_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct get_arg	*g = arg;

	cJSON_Delete(g->out);
	g->out = NULL;
	return store_get(t, g->kind, g->tenant, g->id, &g->out, err);
}

/* Read a resource's userName/displayName, or NULL (static buffer). */
static __attribute__((unused)) const char *
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

static __attribute__((unused)) enum scim_err
name_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct name_arg	*n = arg;

	return store_find_name(t, n->kind, n->tenant, n->name, n->id, err);
}

static __attribute__((unused)) const char *
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

static __attribute__((unused)) bool
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

static __attribute__((unused)) enum scim_err
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

static __attribute__((unused)) int
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

static __attribute__((unused)) enum scim_err
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

static __attribute__((unused)) bool
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

static __attribute__((unused)) enum scim_err
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

static __attribute__((unused)) enum scim_err
del(struct store *s, enum store_kind kind, const char *id)
{
	struct del_arg		 d = { kind, id };
	struct scim_error	 err;

	return store_run(s, del_fn, &d, &err);
}

/* A transaction body that fails after writing: nothing may remain. */
static __attribute__((unused)) enum scim_err
fail_after_write_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	enum scim_err	 rc;

	rc = put_rec(t, STORE_USER, "t1", arg, NULL, err);
	if (rc != SCIM_OK)
		return rc;
	return scim_fail(err, SCIM_E_INVALID_VALUE, "deliberate");
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

static __attribute__((unused)) enum scim_err
meta_put_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return store_meta_put(t, "schema_version",
	    ((struct meta_arg *)arg)->value, err);
}

static __attribute__((unused)) enum scim_err
meta_get_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct meta_arg	*m = arg;

	return store_meta_get(t, "schema_version", m->buf, sizeof(m->buf),
	    err);
}

/* In a child (one environment handle per process): 0 if it opens. */
static __attribute__((unused)) int
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

/* --- the layout tests' meta helpers --- */

struct named_meta {
	const char	*name;
	const char	*value;		/* NULL: read into buf */
	char		 buf[32];
};

static __attribute__((unused)) enum scim_err
named_meta_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct named_meta	*m = arg;

	if (m->value != NULL)
		return store_meta_put(t, m->name, m->value, err);
	m->buf[0] = '\0';
	return store_meta_get(t, m->name, m->buf, sizeof(m->buf), err);
}

/* meta.db's value of name, "" when absent, "?" on an error. */
static __attribute__((unused)) const char *
meta(struct store *s, const char *name, struct named_meta *m)
{
	struct scim_error	 err;
	enum scim_err		 rc;

	m->name = name;
	m->value = NULL;
	rc = store_read(s, named_meta_fn, m, &err);
	return rc == SCIM_OK || rc == SCIM_E_NOT_FOUND ? m->buf : "?";
}

static __attribute__((unused)) bool
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
static __attribute__((unused)) pid_t
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

static __attribute__((unused)) void
let_go(pid_t pid, int release)
{
	close(release);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static __attribute__((unused)) bool
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

static __attribute__((unused)) enum scim_err
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

/* --- layout 4: name keys folded --- */

/* Put user id named name in t1; its rc. */
static __attribute__((unused)) enum scim_err
put_user(struct store *s, const char *id, const char *name)
{
	cJSON		*u = mkuser(id, name, NULL);
	enum scim_err	 rc;

	rc = put(s, STORE_USER, "t1", u, NULL);
	cJSON_Delete(u);
	return rc;
}

/* Rename user id of t1 to name; its rc. */
static __attribute__((unused)) enum scim_err
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

static __attribute__((unused)) enum scim_err
index_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct index_arg	*a = arg;

	return store_count(t, a->kind, "t1", &a->n, err);
}

/* Entries of t1's name index of kind (what a listing counts). */
static __attribute__((unused)) long
indexed(struct store *s, enum store_kind kind)
{
	struct index_arg	 a = { kind, 0 };
	struct scim_error	 err;

	if (store_read(s, index_fn, &a, &err) != SCIM_OK)
		return -1;
	return (long)a.n;
}

/* find_name(), "" when not found. */
static __attribute__((unused)) const char *
found(struct store *s, enum store_kind kind, const char *name)
{
	const char	*id = find_name(s, kind, "t1", name);

	return id != NULL ? id : "";
}

/* --- pages by position --- */

/*
 * Paging walks the name index a bulk buffer at a time: 7,000 users fill
 * several buffers.  Order is by lower-cased name, stable, per tenant.
 */
#define PAGE_USERS	7000

static __attribute__((unused)) enum scim_err
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
static __attribute__((unused)) void
page_note(struct page_arg *pa, const cJSON *obj)
{
	const cJSON	*n = cJSON_GetObjectItem(obj, "userName");

	if (pa->seen++ == 0)
		snprintf(pa->first, sizeof(pa->first), "%s", n->valuestring);
	snprintf(pa->last, sizeof(pa->last), "%s", n->valuestring);
}

static __attribute__((unused)) enum scim_err
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

/* Child: write n users with distinct names, each in its own transaction. */
static __attribute__((unused)) int
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

/*
 * Make a temporary directory /tmp/scim-NAME-XXXXXX and open a new store
 * in it with the store tests' settings into ts (tmp_store.h): cfg is its
 * configuration.  False (with a TAP point) when either fails; call
 * tmp_store_done() either way.
 */
static __attribute__((unused)) bool
store_fixture_open(struct tmp_store *ts, const char *name)
{
	if (!tmp_store_init(ts, name, &cfg))
		return false;
	cfg.sync = STORE_SYNC_WRITE;
	cfg.lock_timeout_ms = 500;
	return tmp_store_open(ts, &cfg);
}

#endif /* SCIM_STORE_FIXTURE_H */
