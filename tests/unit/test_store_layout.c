/*
 * The store's layout moves, against a real Berkeley DB environment in a
 * temporary directory: layout 3 (a user's groups next to its record),
 * layout 4 (name keys folded) and layout 5 (per-tenant counts), each
 * from an older store, with a process still attached or not.
 */

#include "store_fixture.h"

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

/*
 * Close s and open the store at cfg.home again while a child holds the
 * environment (its pid and the end that releases it into *pid and
 * *release; the caller lets it go).  Returns the store, or NULL when the
 * open failed (the TAP line named name says so).
 */
static struct store *
reopen_beside(struct store *s, const char *name, pid_t *pid, int *release)
{
	struct scim_error	 err;

	store_close(s);
	*pid = hold_attached(cfg.home, release);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "%s", name))
		return NULL;
	return s;
}

/* Open the store at cfg.home; NULL when that failed (TAP line name). */
static struct store *
reopen(const char *name)
{
	struct scim_error	 err;
	struct store		*s;

	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "%s", name))
		return NULL;
	return s;
}

/*
 * A store in dir/fold marked layout 3 and written beside another process:
 * names that read alike as different users.  False when it could not be
 * made.
 */
static bool
fold_made(const char *dir)
{
	struct named_meta	 m;
	struct scim_error	 err;
	struct store		*s;
	int			 release = -1;
	pid_t			 pid;

	snprintf(cfg.home, sizeof(cfg.home), "%s/fold", dir);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "fold: a new store"))
		return false;
	ok(set_meta(s, "schema_version", "3"), "fold: mark it layout 3");
	if ((s = reopen_beside(s, "fold: open it beside another process", &pid,
	    &release)) == NULL) {
		let_go(pid, release);
		return false;
	}
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
	return true;
}

/* Opened alone, the keys are folded; a clash keeps both records. */
static struct store *
fold_alone(void)
{
	struct named_meta	 m;
	struct store		*s;

	if ((s = reopen("fold: open it alone")) == NULL)
		return NULL;
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
	return s;
}

/* An unfinished fold: a mover died after marking layout 4.  Closes s. */
static void
fold_resumed(struct store *s)
{
	struct named_meta	 m;
	int			 release = -1;
	pid_t			 pid;

	ok(set_meta(s, "schema_version", "3"), "fold: mark it layout 3 again");
	if ((s = reopen_beside(s, "fold: open it beside one", &pid,
	    &release)) == NULL)
		goto out;
	ok(put_user(s, "u10", "\xef\xbc\xba" "ed") == SCIM_OK,
	    "fold: a name keyed the layout-3 way");
	ok(set_meta(s, "schema_version", "4") &&
	    set_meta(s, FOLDING_KEY_NAME, "1"), "fold: a fold began, stopped");
	store_close(s);
	if ((s = reopen("fold: open it, still beside another")) == NULL)
		goto out;
	is_str(meta(s, FOLDING_KEY_NAME, &m), "", "fold: the fold finished");
	is_str(found(s, STORE_USER, "zed"), "u10", "fold: Zed is re-keyed");
	store_close(s);
out:
	let_go(pid, release);
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
	struct store		*s;

	if (fold_made(dir) && (s = fold_alone()) != NULL)
		fold_resumed(s);
	cfg = saved;
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

/* A new store in dir/count counts as it goes; returns it, or NULL. */
static struct store *
count_new(const char *dir)
{
	struct scim_error	 err;
	struct store		*s;
	cJSON			*u;
	char			 id[16], name[16];
	int			 i;

	snprintf(cfg.home, sizeof(cfg.home), "%s/count", dir);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "count: a new store"))
		return NULL;
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
	return s;
}

/*
 * Layout 4 beside another process: no count kept, walked.  Closes s;
 * false when the open beside failed.
 */
static bool
count_walked(struct store *s)
{
	struct named_meta	 m;
	int			 release = -1;
	pid_t			 pid;

	ok(set_meta(s, "schema_version", "4"), "count: mark it layout 4");
	if ((s = reopen_beside(s, "count: open it beside another process",
	    &pid, &release)) == NULL) {
		let_go(pid, release);
		return false;
	}
	is_str(meta(s, "schema_version", &m), "4", "count: layout 4 kept");
	put_user(s, "u5", "name5");
	put_user(s, "u6", "name6");
	del(s, STORE_USER, "u0");
	ok(del(s, STORE_GROUP, "g1") == SCIM_OK, "count: the last group goes");
	is_int(counted(s, STORE_USER, "t1"), 5,
	    "count: layout 4 counts by a walk");
	store_close(s);
	let_go(pid, release);
	return true;
}

/*
 * Opened alone: counted once, the numbered index built, kept by the
 * writes after.  Returns the store, or NULL.
 */
static struct store *
count_alone(void)
{
	struct named_meta	 m;
	struct scim_error	 err;
	struct store		*s;

	if ((s = reopen("count: open it alone")) == NULL)
		return NULL;
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
	return s;
}

/* A count that began and stopped is finished by the next open.  Closes s. */
static void
count_resumed(struct store *s)
{
	struct named_meta	 m;
	struct scim_error	 err;
	int			 release = -1;
	pid_t			 pid;

	ok(set_meta(s, "schema_version", "4"), "count: layout 4 again");
	if ((s = reopen_beside(s, "count: open beside one", &pid, &release)) ==
	    NULL)
		goto out;
	put_user(s, "u10", "name10");
	ok(set_meta(s, "schema_version", "5") &&
	    set_meta(s, "counts_making", "1"), "count: a count began, stopped");
	store_close(s);
	if ((s = reopen("count: open it, still beside another")) == NULL)
		goto out;
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
out:
	let_go(pid, release);
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
	struct store		*s;

	if ((s = count_new(dir)) != NULL && count_walked(s) &&
	    (s = count_alone()) != NULL)
		count_resumed(s);
	cfg = saved;
}

int
main(void)
{
	struct tmp_store	 ts;

	if (!store_fixture_open(&ts, "store-layout"))
		goto out;
	test_layout(ts.dir);
	test_fold_layout(ts.dir);
	test_count_layout(ts.dir);
out:
	tmp_store_done(&ts);
	return tap_done();
}
