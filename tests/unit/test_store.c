/*
 * Store tests against a real Berkeley DB environment in a temporary
 * directory: put/get, the name and externalId indexes and their
 * uniqueness, tenant isolation, membership both ways, key spaces, pages
 * and RFC 9865 cursors; two processes writing at once; a process
 * SIGKILLed inside an open transaction while another one carries on; the
 * records generation and group commit.  The gate is in test_store_gate.c,
 * the cache and regions in test_store_cache.c, the layout moves in
 * test_store_layout.c.
 */

#include "store_fixture.h"

/*
 * Users: create, read, the name and externalId indexes, uniqueness per
 * tenant in any case, tenants apart, scans, and a rename.
 */
static void
test_basics(struct store *s)
{
	cJSON			*a, *b, *c, *a2;

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
	cJSON_Delete(a);
	cJSON_Delete(a2);
	cJSON_Delete(b);
	cJSON_Delete(c);
}

/* A failing transaction leaves nothing behind. */
static void
test_aborted(struct store *s)
{
	struct scim_error	 err;
	cJSON			*a;
	enum scim_err		 rc;

	a = mkuser("u7", "zed", "ext-z");
	rc = store_run(s, fail_after_write_fn, a, &err);
	is_int(rc, SCIM_E_INVALID_VALUE, "failing body returns its error");
	ok(get_name(s, STORE_USER, "t1", "u7") == NULL &&
	    find_name(s, STORE_USER, "t1", "zed") == NULL &&
	    count(s, 1, "t1", "ext-z") == 0,
	    "an aborted transaction left no record and no index entry");
	cJSON_Delete(a);
}

/* Groups and membership, and what deleting either does to the other. */
static void
test_groups(struct store *s)
{
	cJSON			*g;

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
	cJSON_Delete(g);
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

/*
 * Keys of every length around the stack buffer a lookup builds its key
 * in (store-rec.c, 3 * 129 + 1 bytes), and far past it: each put, read
 * back whole (a key cut short or run over would find another or none)
 * and deleted.
 */
struct long_arg {
	size_t	 ok;		/* keys that went through */
	size_t	 tried;
};

static enum scim_err
long_keys_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	static const size_t	 lens[] = { 1, 128, 250, 255, 256, 257, 258,
	    300, 1000 };
	struct long_arg		*l = arg;
	char			 key[1001], space[130];
	cJSON			*v, *got = NULL, *gone = NULL;
	enum scim_err		 rc = SCIM_OK;
	size_t			 i;

	l->ok = l->tried = 0;
	memset(space, 's', 129);
	space[129] = '\0';
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(key, 'k', lens[i]);
		key[lens[i]] = '\0';
		key[lens[i] - 1] = 'z';		/* the last byte counts */
		l->tried++;
		v = cJSON_CreateNumber((double)lens[i]);
		rc = store_kv_put(t, "t1", space, key, v, err);
		cJSON_Delete(v);
		if (rc != SCIM_OK)
			return rc;
		key[lens[i] - 1] = 'k';
		if (store_kv_get(t, "t1", space, key, &got, err) !=
		    SCIM_E_NOT_FOUND)
			continue;
		key[lens[i] - 1] = 'z';
		if ((rc = store_kv_get(t, "t1", space, key, &got, err)) !=
		    SCIM_OK)
			return rc;
		if (cJSON_IsNumber(got) &&
		    got->valuedouble == (double)lens[i] &&
		    store_kv_del(t, "t1", space, key, err) == SCIM_OK &&
		    store_kv_get(t, "t1", space, key, &gone, err) ==
		    SCIM_E_NOT_FOUND)
			l->ok++;
		cJSON_Delete(got);
		cJSON_Delete(gone);
		got = gone = NULL;
	}
	return SCIM_OK;
}

static void
test_kv(struct store *s)
{
	struct kv_arg		 k = { 0, 0 };
	struct long_arg		 l;
	struct order_arg	 o;
	struct scim_error	 err;

	is_int(store_run(s, long_keys_fn, &l, &err), SCIM_OK,
	    "kv keys of 1 to 1000 bytes");
	ok(l.ok == l.tried && l.tried > 0, "each long key put, read whole and "
	    "deleted (%zu of %zu)", l.ok, l.tried);

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

/* --- RFC 9865 cursors (store-cursor.c) --- */

static enum scim_err
cursor_key_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	return store_cursor_key(t, true, arg, err);
}

/*
 * test_cursor(), continued: c sealed as text with key at now; what is
 * refused, and how (invalid, expired), and the backward kind.
 */
static void
test_cursor_refused(const uint8_t *key, struct store_cursor *c,
    char *text, uint64_t now)
{
	struct store_cursor	 o;
	char			 bad[STORE_CURSOR_TEXT_MAX];
	size_t			 i;

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
	c->backward = true;
	ok(store_cursor_seal(key, "t1", c, text, STORE_CURSOR_TEXT_MAX) &&
	    store_cursor_open(key, "t1", text, now, 3600, &o) ==
	    STORE_CURSOR_OK && o.backward && o.kind == STORE_GROUP &&
	    strcmp(o.at, c->at) == 0,
	    "cursor: a previousCursor opens backward, of its kind");
	c->backward = false;
	c->issued = now + 3600;
	ok(store_cursor_seal(key, "t1", c, text, STORE_CURSOR_TEXT_MAX) &&
	    store_cursor_open(key, "t1", text, now, 3600, &o) ==
	    STORE_CURSOR_INVALID, "cursor: one from the future is invalid");
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
	char			 text[STORE_CURSOR_TEXT_MAX];
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
	snprintf(c.at, sizeof(c.at), "%s",
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
	    strcmp(o.at, c.at) == 0 && !o.backward,
	    "cursor: opens to what was sealed");
	is_int(store_cursor_open(key, "t2", text, now, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: another tenant's is invalid");
	is_int(store_cursor_open(key, "t", text, now, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: so is a tenant that is a prefix");
	key2[0] ^= 1;
	is_int(store_cursor_open(key2, "t1", text, now, 3600, &o),
	    STORE_CURSOR_INVALID, "cursor: another install's is invalid");
	test_cursor_refused(key, &c, text, now);
}

/* --- walks backwards (previousCursor), a user read with its groups --- */

struct walk_arg {
	const char	*at;
	bool		 ids_only;
	char		 got[64];	/* the first two ids, "a,b" */
	int		 n;
	char		*text;
	size_t		 len;
};

static bool
walk_cb(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct walk_arg	*w = arg;
	size_t		 l = strlen(w->got);

	(void)keep;
	if (!w->ids_only && obj == NULL)
		return false;
	snprintf(w->got + l, sizeof(w->got) - l, "%s%s", l > 0 ? "," : "",
	    id);
	return ++w->n < 2;
}

static enum scim_err
before_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct walk_arg	*w = arg;

	w->got[0] = '\0';
	w->n = 0;
	return store_scan_before(t, STORE_USER, "t1", w->at, w->ids_only,
	    walk_cb, w, err);
}

static enum scim_err
groups_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct walk_arg	*w = arg;

	w->got[0] = '\0';
	w->n = 0;
	free(w->text);
	w->text = NULL;
	return store_get_raw_groups(t, "t1", w->at, &w->text, &w->len,
	    walk_cb, w, err);
}

/*
 * store_scan_before() walks down from below its id (or the tenant's
 * last), whole records or ids only, past the membership rows beside a
 * user; store_get_raw_groups() reads a user and its groups in one.
 */
static void
test_walks(struct store *s)
{
	static const char *const ids[] = { "zw1", "zw2", "zw3", "zw4", "zw5" };
	struct walk_arg		 w;
	struct scim_error	 err;
	size_t			 i;
	int			 only;

	for (i = 0; i < 5; i++)
		ok(put_user(s, ids[i], ids[i]) == SCIM_OK, "walks: put %s",
		    ids[i]);
	ok(add_group(s, "zg1", "walkers") && add_group(s, "zg2", "more") &&
	    member(s, "zg1", "zw2", true) && member(s, "zg2", "zw2", true) &&
	    member(s, "zg1", "zw5", true), "walks: zw2 in two groups, zw5 "
	    "in one");
	for (only = 0; only < 2; only++) {
		memset(&w, 0, sizeof(w));
		w.ids_only = only;
		w.at = "zw3";
		ok(store_read(s, before_fn, &w, &err) == SCIM_OK &&
		    strcmp(w.got, "zw2,zw1") == 0, "walks: before zw3 (%s): "
		    "%s", only ? "ids" : "records", w.got);
		w.at = "zw25";
		ok(store_read(s, before_fn, &w, &err) == SCIM_OK &&
		    strcmp(w.got, "zw2,zw1") == 0, "walks: before an id that "
		    "is none (%s): %s", only ? "ids" : "records", w.got);
		w.at = "";
		ok(store_read(s, before_fn, &w, &err) == SCIM_OK &&
		    strcmp(w.got, "zw5,zw4") == 0, "walks: from the end "
		    "(%s): %s", only ? "ids" : "records", w.got);
	}
	memset(&w, 0, sizeof(w));
	w.ids_only = true;
	w.at = "zw2";
	ok(store_read(s, groups_fn, &w, &err) == SCIM_OK && w.text != NULL &&
	    strstr(w.text, "\"zw2\"") != NULL && strcmp(w.got, "zg1,zg2") == 0,
	    "walks: zw2 and its groups in one read: %s", w.got);
	w.at = "zw3";
	ok(store_read(s, groups_fn, &w, &err) == SCIM_OK && w.text != NULL &&
	    w.n == 0, "walks: zw3, in no group");
	w.at = "zw";
	is_int(store_read(s, groups_fn, &w, &err), SCIM_E_NOT_FOUND,
	    "walks: no user, not found (not zw2's rows)");
	free(w.text);
}

/* One read transaction reading the ids of seq, in turn, with their groups. */
struct seq_arg {
	const char *const *seq;
	char		 got[256];	/* "id:g1,g2;id:;..." */
};

static enum scim_err
seq_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct seq_arg		*q = arg;
	struct walk_arg		 w;
	size_t			 i, l;
	enum scim_err		 rc = SCIM_OK;

	q->got[0] = '\0';
	for (i = 0; rc == SCIM_OK && q->seq[i] != NULL; i++) {
		memset(&w, 0, sizeof(w));
		w.ids_only = true;
		rc = store_get_raw_groups(t, "t1", q->seq[i], &w.text, &w.len,
		    walk_cb, &w, err);
		l = strlen(q->got);
		snprintf(q->got + l, sizeof(q->got) - l, "%s%s:%s",
		    i > 0 ? ";" : "", rc == SCIM_OK && w.text != NULL &&
		    strstr(w.text, q->seq[i]) != NULL ? q->seq[i] : "?",
		    w.got);
		free(w.text);
	}
	return rc;
}

/*
 * A read that walked a user's group rows stays on the next record's key
 * and reads that record there, without a descent (store-walk.c): reads
 * in id order take that way, others the descent, and both give the
 * record asked for with its own groups (test_walks() made them: zw2 in
 * zg1 and zg2, zw5 in zg1).
 */
static void
test_positioned_reads(struct store *s)
{
	static const char *const seq[] = { "zw1", "zw2", "zw3", "zw5", "zw4",
	    "zw4", "zw5", "zw2", "zw3", NULL };
	struct seq_arg		 q = { seq, "" };
	struct scim_error	 err;

	ok(store_read(s, seq_fn, &q, &err) == SCIM_OK && strcmp(q.got,
	    "zw1:;zw2:zg1,zg2;zw3:;zw5:zg1;zw4:;zw4:;zw5:zg1;zw2:zg1,zg2;"
	    "zw3:") == 0, "positioned reads: in and out of id order, each "
	    "record with its own groups: %s", q.got);
}

int
main(void)
{
	struct tmp_store	 ts;
	struct store		*s;

	if (!store_fixture_open(&ts, "store-test"))
		goto out;
	s = ts.s;
	test_basics(s);
	test_aborted(s);
	test_groups(s);
	test_kv(s);
	test_page(s);
	test_walks(s);
	test_positioned_reads(s);
	test_cursor(s);
	test_version(s);
	test_concurrent(s);
	test_kill(s);
	test_records_gen(s);
	test_records_gen_tables(s);
	test_defer_flush(ts.dir);
out:
	tmp_store_done(&ts);
	return tap_done();
}
