/*
 * Forward walks read in bulk (store-walk.c's store_bulk_next(): many
 * pairs a get, DB_MULTIPLE_KEY) against what they must find: every id
 * once, in order, each record with its own key, nothing of the tenants
 * on either side, at every start; and the numbered index's pages
 * (store_page_ids()) at every position.  The buffer is made as small as
 * Berkeley DB allows (a page), so a walk takes many gets, and records
 * are sized around it: some near a page, some past the overflow size,
 * some larger than the buffer itself, which must grow (DB_BUFFER_SMALL)
 * without a pair lost or read twice.  The same walks in a write
 * transaction (a pair a get) and with the usual buffer must agree.
 */
#include "store_fixture.h"
#include "store/store-int.h"		/* store_bulk_tune */

#define BK_USERS	60		/* in the walked tenant, "bk" */
#define BP_USERS	600		/* in the paged one, "bp": its index
					   fills a dozen 4 KB pages */
#define BK_IDLEN	16
#define BP_NAMELEN	64

/* Bytes of filler in user i's record: cycles around the 8 KB page. */
static size_t
bk_pad(int i)
{
	static const size_t sizes[] = { 10, 900, 2000, 2100, 3900, 6000,
	    7900, 8100, 9000, 20000, 40, 500 };

	return sizes[i % (int)(sizeof(sizes) / sizeof(sizes[0]))];
}

/* User i of a tenant of n: ids in order, names in another order. */
static void
bk_id(int i, char *id, size_t len)
{
	snprintf(id, len, "b-%03d", i);
}

static int
bk_rank(int i, int n)
{
	return (i * 37) % n;		/* 37 is prime to 60 and 600 */
}

static void
bk_name(int i, int n, char *name, size_t len)
{
	snprintf(name, len, "name-long-enough-to-fill-index-pages-%03d",
	    bk_rank(i, n));
}

struct load_arg {
	const char	*tenant;
	int		 n;
	bool		 small;		/* no filler */
};

static enum scim_err
bk_load_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct load_arg	*l = arg;
	char		 id[BK_IDLEN], name[BP_NAMELEN], *pad;
	size_t		 padlen;
	cJSON		*u;
	enum scim_err	 rc = SCIM_OK;
	int		 i;

	for (i = 0; i < l->n && rc == SCIM_OK; i++) {
		bk_id(i, id, sizeof(id));
		bk_name(i, l->n, name, sizeof(name));
		padlen = l->small ? 0 : bk_pad(i);
		if ((pad = malloc(padlen + 1)) == NULL)
			return scim_oom(err);
		memset(pad, 'a' + i % 26, padlen);
		pad[padlen] = '\0';
		u = mkuser(id, name, NULL);
		cJSON_AddStringToObject(u, "nickName", pad);
		rc = put_rec(t, STORE_USER, l->tenant, u, NULL, err);
		cJSON_Delete(u);
		free(pad);
	}
	return rc;
}

/* What a walk met: ids joined by ',', and a record whose id was not its. */
struct bk_walk {
	const char	*after;
	bool		 ids_only;
	int		 stop;		/* ids to take, 0: all */
	char		 got[BK_USERS * BK_IDLEN];
	int		 n;
	bool		 mismatch;
	bool		 write;		/* walk in a write transaction */
};

static bool
bk_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	struct bk_walk	*w = arg;
	size_t		 l = strlen(w->got);
	const char	*rid;

	(void)keep;
	if (!w->ids_only && (obj == NULL || (rid =
	    json_str_or_null(obj, "id")) == NULL || strcmp(rid, id) != 0))
		w->mismatch = true;
	snprintf(w->got + l, sizeof(w->got) - l, "%s%s", l > 0 ? "," : "",
	    id);
	return w->stop == 0 || ++w->n < w->stop;
}

static enum scim_err
bk_walk_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct bk_walk	*w = arg;

	w->got[0] = '\0';
	w->n = 0;
	w->mismatch = false;
	return store_scan_after(t, STORE_USER, "bk", w->after, w->ids_only,
	    bk_each, w, err);
}

/* The ids of users from..to-1 (to: at most from + stop) joined by ','. */
static void
bk_want(int from, int stop, char *buf, size_t len)
{
	char	 id[BK_IDLEN];
	size_t	 l = 0;
	int	 i;

	buf[0] = '\0';
	for (i = from; i < BK_USERS && (stop == 0 || i < from + stop); i++) {
		bk_id(i, id, sizeof(id));
		l += (size_t)snprintf(buf + l, len - l, "%s%s", l > 0 ? "," :
		    "", id);
	}
}

/*
 * Walk from every start (the tenant's first, then after each id), all
 * of it and three ids, keys only and whole records.  The count of
 * failures, each reported.
 */
static int
bk_walks(struct store *s, bool write, const char *how)
{
	struct bk_walk		 w;
	struct scim_error	 err;
	char			 after[BK_IDLEN], want[sizeof(w.got)];
	int			 i, stop, only, bad = 0;
	enum scim_err		 rc;

	for (only = 0; only < 2; only++)
		for (stop = 0; stop <= 3; stop += 3)
			for (i = -1; i < BK_USERS; i++) {
				memset(&w, 0, sizeof(w));
				w.ids_only = only;
				w.stop = stop;
				if (i >= 0) {
					bk_id(i, after, sizeof(after));
					w.after = after;
				}
				rc = write ? store_run(s, bk_walk_fn, &w,
				    &err) : store_read(s, bk_walk_fn, &w, &err);
				bk_want(i + 1, stop, want, sizeof(want));
				if (rc == SCIM_OK && !w.mismatch &&
				    strcmp(w.got, want) == 0)
					continue;
				if (bad++ < 3)
					printf("# %s: after %s (%s, %d): rc %d, "
					    "%s, got %s\n", how, i < 0 ? "start" :
					    after, only ? "ids" : "records",
					    stop, rc, w.mismatch ?
					    "a record under another id" : "",
					    w.got);
			}
	return bad;
}

struct bk_page {
	size_t		 skip, limit, total, nids;
	char		 ids[BP_USERS][STORE_ID_MAX + 1];
};

static enum scim_err
bk_page_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct bk_page	*p = arg;

	return store_page_ids(t, STORE_USER, "bp", p->skip, p->limit,
	    &p->total, p->ids, &p->nids, err);
}

/*
 * Every page of 1, 7, 100 and all at every position of tenant "bp"
 * against its users in name order.  The count of failures, each
 * reported.
 */
static int
bk_pages(struct store *s, bool write, const char *how)
{
	static const size_t limits[] = { 1, 7, 100, BP_USERS };
	static char	 byname[BP_USERS][BK_IDLEN];
	static struct bk_page p;
	struct scim_error err;
	size_t		 l, k, want;
	int		 i, bad = 0;
	enum scim_err	 rc;

	for (i = 0; i < BP_USERS; i++)
		bk_id(i, byname[bk_rank(i, BP_USERS)], BK_IDLEN);
	for (l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
		for (p.skip = 0; p.skip <= BP_USERS; p.skip++) {
			p.limit = limits[l];
			rc = write ? store_run(s, bk_page_fn, &p, &err) :
			    store_read(s, bk_page_fn, &p, &err);
			want = BP_USERS - p.skip < p.limit ? BP_USERS -
			    p.skip : p.limit;
			for (k = 0; rc == SCIM_OK && k < p.nids && k < want;
			    k++)
				if (strcmp(p.ids[k], byname[p.skip + k]) != 0)
					break;
			if (rc == SCIM_OK && p.total == BP_USERS &&
			    p.nids == want && k == want)
				continue;
			if (bad++ < 3)
				printf("# %s: page at %zu of %zu: rc %d, total "
				    "%zu, %zu ids, wrong from %zu\n", how,
				    p.skip, p.limit, rc, p.total, p.nids, k);
		}
	return bad;
}

int
main(void)
{
	struct tmp_store	 ts;
	struct store		*s;
	struct scim_error	 err;
	struct load_arg		 l;
	unsigned long		 gets, grows;
	bool			 loaded;

	if (!store_fixture_open(&ts, "store-bulk"))
		goto out;
	s = ts.s;
	/* Neighbours on both sides of the walked tenant "bk". */
	l.tenant = "bj"; l.n = 5; l.small = false;
	loaded = store_run(s, bk_load_fn, &l, &err) == SCIM_OK;
	l.tenant = "bl";
	loaded = loaded && store_run(s, bk_load_fn, &l, &err) == SCIM_OK;
	l.tenant = "bk"; l.n = BK_USERS;
	loaded = loaded && store_run(s, bk_load_fn, &l, &err) == SCIM_OK;
	l.tenant = "bp"; l.n = BP_USERS; l.small = true;
	loaded = loaded && store_run(s, bk_load_fn, &l, &err) == SCIM_OK;
	ok(loaded && add_group(s, "bg1", "walkers") && add_group(s, "bg2",
	    "more"), "load %d users of 10 B to 20 KB, 5 on each side, %d "
	    "small ones", BK_USERS, BP_USERS);
	/* Membership rows beside users (a walk of ids skips them). */
	ok(member(s, "bg1", "b-007", true) && member(s, "bg2", "b-007",
	    true) && member(s, "bg1", "b-059", true), "three memberships");

	store_bulk_tune.bytes = 1;	/* a page: the least Berkeley DB takes */
	gets = store_bulk_tune.gets;
	grows = store_bulk_tune.grows;
	is_int(bk_walks(s, false, "page-sized buffer"), 0,
	    "walks from every start with a page-sized buffer");
	ok(store_bulk_tune.gets - gets > 2 * 4 * (BK_USERS + 1),
	    "they took several gets each (%lu for %d walks)",
	    store_bulk_tune.gets - gets, 4 * (BK_USERS + 1));
	ok(store_bulk_tune.grows > grows, "records larger than the buffer "
	    "grew it (%lu times)", store_bulk_tune.grows - grows);
	gets = store_bulk_tune.gets;
	is_int(bk_pages(s, false, "page-sized buffer"), 0,
	    "pages by position at every position, page-sized buffer");
	ok(store_bulk_tune.gets - gets > 4 * (BP_USERS + 1),
	    "several gets a page (%lu for %d pages)",
	    store_bulk_tune.gets - gets, 4 * (BP_USERS + 1));

	store_bulk_tune.bytes = 0;
	is_int(bk_walks(s, false, "usual buffer"), 0,
	    "walks from every start with the usual buffer");
	is_int(bk_pages(s, false, "usual buffer"), 0,
	    "pages at every position with the usual buffer");

	gets = store_bulk_tune.gets;
	is_int(bk_walks(s, true, "write"), 0,
	    "walks in a write transaction");
	is_int(bk_pages(s, true, "write"), 0,
	    "pages in a write transaction");
	is_int((long)(store_bulk_tune.gets - gets), 0,
	    "a write's walks read a pair a get, no bulk");

out:
	tmp_store_done(&ts);
	return tap_done();
}
