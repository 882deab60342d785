/*
 * The tenant's count (meta.db) and the numbered name index (users_order.db,
 * groups_order.db) against the records they describe, after a mix of
 * creates, renames, deletes and refused creates (a name taken): store_put()
 * and store_del() make those two writes last (store-res.c), and a refusal
 * must have written nothing, since a caller may go on with its transaction
 * after one (sync_create()).  Then the same in two processes writing at
 * once, whose lock conflicts run transactions again.
 *
 * "In step" is checked four ways: store_count() against the records a scan
 * finds, the numbered index's whole listing (store_page_ids()) against
 * the names of those records in order, each name found by the name index,
 * and single entries found by their number.
 */
#include "store_fixture.h"

#define MIX_OPS		400	/* operations of the single-process mix */
#define MIX_IDS		64	/* ids it draws from */
#define CONC_USERS	150	/* users each of the two writers makes */

/* is_int() with a printf-style name. */
#define is_intf(g, w, ...) do {						\
	char	 name_[160];						\
	snprintf(name_, sizeof(name_), __VA_ARGS__);			\
	tap_is_int((g), (w), __LINE__, name_);				\
} while (0)

/* What the mix believes is stored: name of each id, "" when none. */
struct model {
	char	 name[MIX_IDS][32];
	size_t	 live;
};

/* A tiny deterministic generator: the run is the same every time. */
static unsigned
next_rand(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

/* --- small transaction bodies --- */

/* Delete id of kind in tenant, its keys read first as the handlers do. */
struct del_in_arg {
	enum store_kind	 kind;
	const char	*tenant;
	const char	*id;
};

static enum scim_err
del_in_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct del_in_arg	*d = arg;
	struct store_keys	 k;
	cJSON			*old;
	enum scim_err		 rc;

	if ((rc = store_get(t, d->kind, d->tenant, d->id, &old, err)) !=
	    SCIM_OK)
		return rc;
	keys_of(d->kind, old, &k);
	rc = store_del(t, d->kind, d->tenant, &k, err);
	cJSON_Delete(old);
	return rc;
}

static enum scim_err
del_in(struct store *s, enum store_kind kind, const char *tenant,
    const char *id)
{
	struct del_in_arg	 d = { kind, tenant, id };
	struct scim_error	 err;

	return store_run(s, del_in_fn, &d, &err);
}

/* The number of records of kind in tenant, by a scan; -1 on an error. */
struct records_arg {
	enum store_kind	 kind;
	const char	*tenant;
	int		 n;
};

static enum scim_err
records_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct records_arg	*r = arg;

	r->n = 0;
	return store_scan(t, r->kind, r->tenant, count_cb, &r->n, err);
}

static int
records(struct store *s, enum store_kind kind, const char *tenant)
{
	struct records_arg	 r = { kind, tenant, 0 };
	struct scim_error	 err;

	if (store_read(s, records_fn, &r, &err) != SCIM_OK)
		return -1;
	return r.n;
}

/* --- checking --- */

struct listing {
	enum store_kind	 kind;
	const char	*tenant;
	size_t		 total, n;
	char		(*ids)[STORE_ID_MAX + 1];
};

static enum scim_err
listing_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct listing	*l = arg;
	size_t		 total;
	enum scim_err	 rc;

	free(l->ids);
	l->ids = NULL;
	l->n = 0;
	if ((rc = store_count(t, l->kind, l->tenant, &total, err)) != SCIM_OK)
		return rc;
	/* Room for more than the count says: a longer index shows. */
	if ((l->ids = calloc(total + 8, sizeof(*l->ids))) == NULL)
		return scim_oom(err);
	return store_page_ids(t, l->kind, l->tenant, 0, total + 8, &l->total,
	    l->ids, &l->n, err);
}

/* The entry numbered skip in the numbered index, into id ("" if none). */
struct nth {
	enum store_kind	 kind;
	const char	*tenant;
	size_t		 skip;
	char		 id[STORE_ID_MAX + 1];
};

static enum scim_err
nth_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct nth	*x = arg;
	char		 ids[1][STORE_ID_MAX + 1];
	size_t		 total, n = 0;
	enum scim_err	 rc;

	x->id[0] = '\0';
	rc = store_page_ids(t, x->kind, x->tenant, x->skip, 1, &total, ids,
	    &n, err);
	if (rc == SCIM_OK && n == 1)
		memcpy(x->id, ids[0], sizeof(x->id));
	return rc;
}

/*
 * Check tenant's count of kind, its numbered index and its name index
 * against its records: what, the TAP lines' prefix.  When m is given,
 * against the mix's model too.
 */
static void
check_in_step(struct store *s, enum store_kind kind, const char *tenant,
    const struct model *m, const char *what)
{
	struct listing		 l = { kind, tenant, 0, 0, NULL };
	struct scim_error	 err;
	struct nth		 x;
	const char		*prev = "", *name, *id;
	char			 prevbuf[256];
	size_t			 i, nrec, bad_order = 0, bad_name = 0;
	size_t			 bad_nth = 0;

	nrec = (size_t)records(s, kind, tenant);
	if (!ok(store_read(s, listing_fn, &l, &err) == SCIM_OK,
	    "%s: read the count and the numbered index", what)) {
		printf("# %s\n", err.detail);
		free(l.ids);
		return;
	}
	is_intf((int)l.total, (int)nrec, "%s: the count is the number of "
	    "records", what);
	is_intf((int)l.n, (int)nrec, "%s: the numbered index lists each "
	    "record once", what);
	if (m != NULL)
		is_intf((int)nrec, (int)m->live, "%s: as many records as "
		    "the mix made", what);
	prevbuf[0] = '\0';
	for (i = 0; i < l.n; i++) {
		/* Names are lower-case ASCII here: folded, the same. */
		if ((name = get_name(s, kind, tenant, l.ids[i])) == NULL) {
			bad_name++;
			continue;
		}
		if (strcmp(prev, name) >= 0)
			bad_order++;
		id = find_name(s, kind, tenant, name);
		if (id == NULL || strcmp(id, l.ids[i]) != 0)
			bad_name++;
		snprintf(prevbuf, sizeof(prevbuf), "%s", name);
		prev = prevbuf;
		if (i % 7 == 0) {
			memset(&x, 0, sizeof(x));
			x.kind = kind;
			x.tenant = tenant;
			x.skip = i;
			if (store_read(s, nth_fn, &x, &err) != SCIM_OK ||
			    strcmp(x.id, l.ids[i]) != 0)
				bad_nth++;
		}
	}
	is_intf((int)bad_name, 0, "%s: every listed id is a record its name "
	    "finds", what);
	is_intf((int)bad_order, 0, "%s: listed in name order", what);
	is_intf((int)bad_nth, 0, "%s: entries found by their number", what);
	free(l.ids);
}

/* --- the mix --- */

/*
 * One transaction of the mix: a create refused because the name is taken,
 * then one that is not, committed together (what sync_create() does).
 */
struct pair_arg {
	const char	*tenant;
	cJSON		*taken, *fresh;
	enum scim_err	 first;
};

static enum scim_err
refused_then_made_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct pair_arg	*p = arg;

	p->first = put_rec(t, STORE_USER, p->tenant, p->taken, NULL, err);
	if (p->first != SCIM_E_UNIQUENESS)
		return p->first == SCIM_OK ? SCIM_E_INTERNAL : p->first;
	return put_rec(t, STORE_USER, p->tenant, p->fresh, NULL, err);
}

/* A live id of m other than not, or -1. */
static int
pick_live(const struct model *m, unsigned *seed, int not)
{
	int	 i, at = (int)(next_rand(seed) % MIX_IDS);

	for (i = 0; i < MIX_IDS; i++, at = (at + 1) % MIX_IDS)
		if (m->name[at][0] != '\0' && at != not)
			return at;
	return -1;
}

/* One step of the mix; false when the store did what the model did not. */
static bool
mix_step(struct store *s, struct model *m, unsigned *seed, int step)
{
	struct pair_arg	 p;
	struct scim_error err;
	char		 id[32], fresh[32];
	cJSON		*u, *old;
	int		 op = (int)(next_rand(seed) % 5), i, j;
	bool		 good;
	enum scim_err	 rc;

	i = (int)(next_rand(seed) % MIX_IDS);
	snprintf(id, sizeof(id), "mix-%02d", i);
	snprintf(fresh, sizeof(fresh), "name-%04u-%03d", next_rand(seed) %
	    10000, step);
	if (op <= 1 && m->name[i][0] == '\0') {		/* create */
		u = mkuser(id, fresh, NULL);
		good = put(s, STORE_USER, "mix", u, NULL) == SCIM_OK;
		cJSON_Delete(u);
		snprintf(m->name[i], sizeof(m->name[i]), "%s", fresh);
		m->live++;
		return good;
	}
	if (op <= 1 || op == 2) {			/* refused create */
		if ((j = pick_live(m, seed, -1)) < 0 || m->name[i][0] != '\0')
			return true;
		u = mkuser(id, m->name[j], NULL);
		rc = put(s, STORE_USER, "mix", u, NULL);
		cJSON_Delete(u);
		if (rc != SCIM_E_UNIQUENESS)
			return false;
		/* And the same refusal inside a transaction that commits. */
		memset(&p, 0, sizeof(p));
		p.tenant = "mix";
		p.taken = mkuser(id, m->name[j], NULL);
		p.fresh = mkuser(id, fresh, NULL);
		rc = store_run(s, refused_then_made_fn, &p, &err);
		cJSON_Delete(p.taken);
		cJSON_Delete(p.fresh);
		snprintf(m->name[i], sizeof(m->name[i]), "%s", fresh);
		m->live++;
		return rc == SCIM_OK && p.first == SCIM_E_UNIQUENESS;
	}
	if ((i = pick_live(m, seed, -1)) < 0)
		return true;
	snprintf(id, sizeof(id), "mix-%02d", i);
	old = mkuser(id, m->name[i], NULL);
	if (op == 3) {					/* rename */
		j = pick_live(m, seed, i);
		u = mkuser(id, j >= 0 && next_rand(seed) % 2 ? m->name[j] :
		    fresh, NULL);
		rc = put(s, STORE_USER, "mix", u, old);
		good = j >= 0 && strcmp(json_str(u, "userName"),
		    m->name[j]) == 0 ? rc == SCIM_E_UNIQUENESS : rc == SCIM_OK;
		if (rc == SCIM_OK)
			snprintf(m->name[i], sizeof(m->name[i]), "%s", fresh);
		cJSON_Delete(u);
	} else {					/* delete */
		good = del_in(s, STORE_USER, "mix", id) == SCIM_OK;
		m->name[i][0] = '\0';
		m->live--;
	}
	cJSON_Delete(old);
	return good;
}

static void
test_mix(struct store *s)
{
	struct model	 m;
	unsigned	 seed = 20240607u;
	int		 step, bad = 0;
	char		 gid[32], gname[32];

	memset(&m, 0, sizeof(m));
	for (step = 0; step < MIX_OPS; step++) {
		if (!mix_step(s, &m, &seed, step))
			bad++;
		if (step == MIX_OPS / 2)
			check_in_step(s, STORE_USER, "mix", &m, "half-way");
	}
	is_intf(bad, 0, "mix: %d creates, renames, deletes and refused "
	    "creates did what they should", MIX_OPS);
	check_in_step(s, STORE_USER, "mix", &m, "mix");
	/* Groups keep their own count: a few, one refused, one deleted. */
	for (step = 0; step < 5; step++) {
		snprintf(gid, sizeof(gid), "mixg-%d", step);
		snprintf(gname, sizeof(gname), "group %d", step);
		ok(add_group(s, gid, gname), "group %s made", gid);
	}
	ok(!add_group(s, "mixg-x", "group 3"), "a group with a taken name "
	    "is refused");
	ok(del_in(s, STORE_GROUP, "t1", "mixg-1") == SCIM_OK,
	    "a group deleted");
	check_in_step(s, STORE_GROUP, "t1", NULL, "groups");
}

/* --- two processes at once --- */

/*
 * Child: make CONC_USERS users in tenant "both", delete every third,
 * and try a taken name after each tenth: what the store did wrong, as the
 * exit status's bits (0: nothing).
 */
static int
conc_writer(const char *tag)
{
	struct store		*s;
	struct scim_error	 err;
	char			 id[64], name[64], first[64];
	cJSON			*u;
	int			 i, bad = 0;

	if (store_open(&s, &cfg, &err) != SCIM_OK)
		return 2;
	snprintf(first, sizeof(first), "both-%s-0000", tag);
	for (i = 0; i < CONC_USERS; i++) {
		snprintf(id, sizeof(id), "%s-%04d", tag, i);
		snprintf(name, sizeof(name), "both-%s-%04d", tag, i);
		u = mkuser(id, name, NULL);
		if (put(s, STORE_USER, "both", u, NULL) != SCIM_OK)
			bad |= 1;
		cJSON_Delete(u);
		if (i % 3 == 2 && del_in(s, STORE_USER, "both", id) !=
		    SCIM_OK)
			bad |= 4;
		if (i % 10 == 9) {
			snprintf(id, sizeof(id), "%s-x%04d", tag, i);
			u = mkuser(id, first, NULL);
			if (put(s, STORE_USER, "both", u, NULL) !=
			    SCIM_E_UNIQUENESS)
				bad |= 8;
			cJSON_Delete(u);
		}
	}
	store_close(s);
	return bad;
}

static void
test_two_writers(struct store *s)
{
	struct store_stats	 st;
	pid_t			 p1, p2;
	int			 st1 = -1, st2 = -1;

	if ((p1 = fork()) == 0)
		_exit(conc_writer("a"));
	if ((p2 = fork()) == 0)
		_exit(conc_writer("b"));
	waitpid(p1, &st1, 0);
	waitpid(p2, &st2, 0);
	ok(WIFEXITED(st1) && WEXITSTATUS(st1) == 0, "writer a did what it "
	    "should (status %d)", WIFEXITED(st1) ? WEXITSTATUS(st1) : -1);
	ok(WIFEXITED(st2) && WEXITSTATUS(st2) == 0, "writer b did what it "
	    "should (status %d)", WIFEXITED(st2) ? WEXITSTATUS(st2) : -1);
	check_in_step(s, STORE_USER, "both", NULL, "two writers");
	store_stats(s, &st);
	ok(1, "(parent retries: %llu)", (unsigned long long)st.retries);
}

int
main(void)
{
	struct tmp_store	 ts;
	struct store		*s;

	if (!store_fixture_open(&ts, "store-count"))
		goto out;
	s = ts.s;
	s_main = s;
	test_mix(s);
	test_two_writers(s);
out:
	tmp_store_done(&ts);
	return tap_done();
}
