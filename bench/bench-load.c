/*
 * bench-load: the in-process half of "make bench".
 *
 *   bench-load [-c file] load -n USERS [-s SPARE] [-m MEMBERS] [-o IDS]
 *   bench-load [-c file] auth -k TOKEN -o IDS [-t SECONDS]
 *   bench-load [-c file] query -q KIND -o IDS [-t SECONDS] [-r REQUESTS]
 *   bench-load [-c file] count -g GID
 *   bench-load [-c file] relayout
 *   bench-load commit -d DIR [-t SECONDS]
 *   bench-load version
 *
 * load   fills the tenant "default" of the store named by scim.conf with
 *        USERS users, SPARE more users (the pool that PATCH /Groups adds
 *        from) and one group holding the first MEMBERS users, through the
 *        store API in nosync transactions of BATCH records.  Users are built
 *        the way crud.c builds a POSTed one: the body is normalised by
 *        resource_normalize() and put in its stored form (resource_stored()),
 *        then gets "id" after "schemas" and "meta" last.  The
 *        ids go to IDS, one "kind id name" line each (u user, s spare,
 *        g group), for the wrk scripts.
 * query  times in-process the handler of one kind of GET /Users (-q
 *        get, filter, page or cursor: by id, filter=userName eq, a random
 *        full page by startIndex with count=100 (as scim.lua picks it), a
 *        cursor walk with count=100) on
 *        random users of IDS, for -t SECONDS or -r REQUESTS: no FastCGI,
 *        no auth, so under callgrind (--toggle-collect=query_once) the
 *        instructions per request are the store's and the handler's
 *        alone, whatever else runs on the machine.
 * auth   times token_check() on a verified (cached) token: what every
 *        authenticated request pays before its handler runs; alone, and
 *        as the difference between GET /Users/{id} handlers (crud_get()
 *        and serialisation, no FastCGI) run with and without it.
 * count  counts the users of the tenant and the members of group GID.
 * relayout times the move to store layout 5 (the first per-tenant count
 *        and the numbered name indexes, store-layout.c): the store is
 *        marked layout 4, then opened again alone, as an upgrade does.
 * commit measures the ceiling for a durable POST: Berkeley DB itself, one
 *        writer, one 1 KB put per durably committed transaction, in a
 *        scratch environment under DIR (an existing directory, owned by
 *        the service account) with the shipped DB_CONFIG; then the same
 *        through store_run() for comparison.
 *
 * auth and query are in bench-handlers.c.  Every command prints one
 * JSON object on stdout.  Started as root, the
 * store commands become the owner of the data home (as scim-tokens does),
 * so the files they write stay usable by the web server's programs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <db.h>

#include "base/config.h"
#include "base/json.h"
#include "base/log.h"
#include "scim/resource.h"
#include "scim/schema.h"
#include "web/service.h"
#include "store/store.h"
#include "base/util.h"
#include "store/db_config.h"		/* generated from db/DB_CONFIG */
#include "bench/bench-load.h"

#define BATCH		2000	/* records per nosync transaction */
#define CKP_BATCHES	100	/* checkpoint every this many batches */
#define VALUE_SIZE	1024	/* the raw commit test's record */
#define LOAD_USER_BYTES	1400	/* of .db files a loaded user makes, with
				   its indexes: 1,258 MiB for 1,010,000 */

double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
die(const char *what, const struct scim_error *err)
{
	fprintf(stderr, "bench-load: %s: %s\n", what,
	    err != NULL ? err->detail : strerror(errno));
	exit(1);
}

/* Read scim.conf and become the home's owner. */
static void
load_config(const struct opts *o, struct scim_config *cfg)
{
	struct scim_error	 err = { SCIM_OK, "" };

	if (config_load(cfg, o->conf, &err) != SCIM_OK)
		die("config", &err);
	if (service_drop_root(cfg, &err) != SCIM_OK)
		die("privileges", &err);
}

/* Read scim.conf, become the home's owner, open the store. */
struct store *
open_store(const struct opts *o, struct scim_config *cfg)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct store		*s = NULL;

	load_config(o, cfg);
	if (store_open(&s, cfg, &err) != SCIM_OK)
		die("store", &err);
	return s;
}

/* --- load --- */

/*
 * A user body as a provisioning client sends it (about the size of an
 * Entra user: names, one work e-mail, enterprise attributes).  The caller
 * deletes it.
 */
static cJSON *
user_body(const char *kind, long i, char *name, size_t namesz)
{
	char	 buf[128];
	cJSON	*u, *a, *o;

	snprintf(name, namesz, "%s%07ld@bench.example.com", kind, i);
	if ((u = cJSON_CreateObject()) == NULL)
		return NULL;
	a = cJSON_AddArrayToObject(u, "schemas");
	cJSON_AddItemToArray(a, cJSON_CreateString(SCHEMA_CORE_USER));
	cJSON_AddItemToArray(a, cJSON_CreateString(SCHEMA_ENTERPRISE_USER));
	cJSON_AddStringToObject(u, "userName", name);
	snprintf(buf, sizeof(buf), "%s-ext-%07ld", kind, i);
	cJSON_AddStringToObject(u, "externalId", buf);
	o = cJSON_AddObjectToObject(u, "name");
	snprintf(buf, sizeof(buf), "Given%ld", i);
	cJSON_AddStringToObject(o, "givenName", buf);
	snprintf(buf, sizeof(buf), "Family%ld", i);
	cJSON_AddStringToObject(o, "familyName", buf);
	snprintf(buf, sizeof(buf), "Given%ld Family%ld", i, i);
	cJSON_AddStringToObject(o, "formatted", buf);
	cJSON_AddStringToObject(u, "displayName", buf);
	a = cJSON_AddArrayToObject(u, "emails");
	cJSON_AddItemToArray(a, o = cJSON_CreateObject());
	cJSON_AddStringToObject(o, "value", name);
	cJSON_AddStringToObject(o, "type", "work");
	cJSON_AddBoolToObject(o, "primary", 1);
	cJSON_AddStringToObject(u, "title", "Engineer");
	cJSON_AddStringToObject(u, "preferredLanguage", "en-US");
	cJSON_AddBoolToObject(u, "active", 1);
	o = cJSON_AddObjectToObject(u, SCHEMA_ENTERPRISE_USER);
	snprintf(buf, sizeof(buf), "%ld", 100000 + i);
	cJSON_AddStringToObject(o, "employeeNumber", buf);
	snprintf(buf, sizeof(buf), "Department %ld", i % 50);
	cJSON_AddStringToObject(o, "department", buf);
	cJSON_AddStringToObject(o, "organization", "Bench Inc.");
	return u;
}

/*
 * What crud.c's create stores: the normalised body in its stored form
 * (resource_stored()) with "id" after "schemas" and "meta" last
 * (set_meta() there).  The id is id's, or when id is "" a fresh one put
 * there.  NULL on failure.
 */
static cJSON *
stored_form(const struct resource_type *rt, const cJSON *body, char *id)
{
	struct scim_error	 err = { SCIM_OK, "" };
	char			 now[UTIL_TIME_LEN + 1];
	cJSON			*res = NULL, *meta;

	if (resource_normalize(rt, body, &res, &err) != SCIM_OK) {
		fprintf(stderr, "bench-load: normalize: %s\n", err.detail);
		return NULL;
	}
	if ((res = resource_stored(rt, res)) == NULL)
		return NULL;
	if (id[0] == '\0')
		util_uuid(id);
	util_time_format(util_now_usec(), now, sizeof(now));
	if (!resource_set_id(res, id)) {
		cJSON_Delete(res);
		return NULL;
	}
	meta = cJSON_AddObjectToObject(res, "meta");
	cJSON_AddStringToObject(meta, "resourceType", rt->name);
	cJSON_AddStringToObject(meta, "created", now);
	cJSON_AddStringToObject(meta, "lastModified", now);
	cJSON_AddStringToObject(meta, "version", "W/\"1\"");
	return res;
}

/* One transaction's worth of records; the body must not consume them. */
struct batch {
	enum store_kind	 kind;
	const char	*gid;		/* members: the group */
	cJSON		*recs[BATCH];	/* stored forms, or member objects */
	size_t		 n;
	bool		 members;
};

static enum scim_err
batch_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct batch		*b = arg;
	const struct resource_type *rt;
	struct store_keys	 k;
	enum scim_err		 rc;
	size_t			 i;
	bool			 added;

	rt = b->kind == STORE_USER ? &rt_user : &rt_group;
	for (i = 0; i < b->n; i++) {
		if (b->members) {
			/* User members only (see cmd_load()). */
			rc = store_member_add(t, TENANT, b->gid,
			    json_str_or_null(b->recs[i], "value"), STORE_USER,
			    b->recs[i], &added, err);
		} else {
			/* The keys crud.c's crud_store_keys() reads. */
			k.id = json_str_or_null(b->recs[i], "id");
			k.name = json_str_or_null(b->recs[i], rt->name_attr);
			k.ext = json_str_or_null(b->recs[i], "externalId");
			rc = store_put(t, b->kind, TENANT, &k, b->recs[i],
			    NULL, err);
		}
		if (rc != SCIM_OK)
			return rc;
	}
	return SCIM_OK;
}

static void
batch_flush(struct store *s, struct batch *b, unsigned *nbatches)
{
	struct scim_error	 err = { SCIM_OK, "" };
	size_t			 i;

	if (b->n == 0)
		return;
	if (store_run_nosync(s, batch_fn, b, &err) != SCIM_OK)
		die("bulk write", &err);
	for (i = 0; i < b->n; i++)
		cJSON_Delete(b->recs[i]);
	b->n = 0;
	if (++*nbatches % CKP_BATCHES == 0)
		store_checkpoint(s);
}

/*
 * What one load holds: the store, the batch, and the users in id order:
 * the j'th smallest id is ids[j], given to user number num[j] (of the
 * names user0000000..., then spare0000000...), whose position is at[].
 */
struct loader {
	struct store	*s;
	struct batch	*b;
	unsigned	 nbatches;
	long		 total;			/* users + spare */
	char		(*ids)[UTIL_UUID_LEN + 1];
	char		(*names)[48];		/* by position, as ids */
	long		*num;			/* position -> user number */
	long		*at;			/* user number -> position */
	char		 gid[UTIL_UUID_LEN + 1];
};

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Every user's id, made up front and sorted: the users then go into
 * users.db in key order, so each B-tree page is filled once, at the
 * right edge, and written once (random UUIDs put each insert on a random
 * page: past the cache, every batch wrote back most of the pages it
 * touched; 1,000,000 users took minutes).  Which user gets which id is
 * a random permutation, as in a store filled by POSTs: neighbours by
 * name (a startIndex page, the group's members) are not neighbours by
 * id, so a page reads 100 scattered records as it would in production.
 * Only the name indexes, a tenth of the data, take random inserts.
 */
static void
load_ids(struct loader *ld)
{
	long	 i, j, t;

	for (i = 0; i < ld->total; i++) {
		util_uuid(ld->ids[i]);
		ld->num[i] = i;
	}
	qsort(ld->ids, (size_t)ld->total, sizeof(*ld->ids), id_cmp);
	srandom(22);
	for (i = ld->total - 1; i > 0; i--) {	/* Fisher-Yates */
		j = random() % (i + 1);
		t = ld->num[i];
		ld->num[i] = ld->num[j];
		ld->num[j] = t;
	}
	for (j = 0; j < ld->total; j++)
		ld->at[ld->num[j]] = j;
}

/* The users (and the spare ones) in id order, in batches. */
static void
load_users(struct loader *ld, long users)
{
	cJSON	*body, *rec;
	long	 j, i;

	ld->b->kind = STORE_USER;
	for (j = 0; j < ld->total; j++) {
		i = ld->num[j];
		body = i < users ?
		    user_body("user", i, ld->names[j], sizeof(ld->names[j])) :
		    user_body("spare", i - users, ld->names[j],
		    sizeof(ld->names[j]));
		if (body == NULL || (rec = stored_form(&rt_user, body,
		    ld->ids[j])) == NULL)
			die("building a user", NULL);
		cJSON_Delete(body);
		ld->b->recs[ld->b->n++] = rec;
		if (ld->b->n == BATCH)
			batch_flush(ld->s, ld->b, &ld->nbatches);
	}
	batch_flush(ld->s, ld->b, &ld->nbatches);
}

/*
 * The big group, then its members, users 0 to members - 1 by number,
 * added in id order (their rows in members.db and users.db fill in key
 * order too).
 */
static void
load_group(struct loader *ld, long members)
{
	cJSON	*body, *rec, *m;
	long	 j;

	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "displayName", "Bench All Users");
	cJSON_AddStringToObject(body, "externalId", "bench-group-all");
	if ((rec = stored_form(&rt_group, body, ld->gid)) == NULL)
		die("building the group", NULL);
	cJSON_Delete(body);
	ld->b->kind = STORE_GROUP;
	ld->b->recs[ld->b->n++] = rec;
	batch_flush(ld->s, ld->b, &ld->nbatches);
	ld->b->members = true;
	ld->b->gid = ld->gid;
	for (j = 0; j < ld->total; j++) {
		if (ld->num[j] >= members)
			continue;
		/* What crud.c's member_add1() stores for a user member. */
		if ((m = cJSON_CreateObject()) == NULL)
			die("memory", NULL);
		cJSON_AddStringToObject(m, "value", ld->ids[j]);
		cJSON_AddStringToObject(m, "type", "User");
		cJSON_AddStringToObject(m, "display", ld->names[j]);
		ld->b->recs[ld->b->n++] = m;
		if (ld->b->n == BATCH)
			batch_flush(ld->s, ld->b, &ld->nbatches);
	}
	batch_flush(ld->s, ld->b, &ld->nbatches);
}

/* The ids file for the wrk scripts: "kind id name" lines, by number. */
static void
write_ids(const char *path, const struct loader *ld, long users)
{
	FILE	*f;
	long	 i;

	if ((f = fopen(path, "w")) == NULL)
		die(path, NULL);
	fprintf(f, "g %s Bench_All_Users\n", ld->gid);
	for (i = 0; i < ld->total; i++)
		fprintf(f, "%c %s %s\n", i < users ? 'u' : 's',
		    ld->ids[ld->at[i]], ld->names[ld->at[i]]);
	if (fclose(f) != 0)
		die(path, NULL);
}

/*
 * A new home gets the shipped DB_CONFIG with a cache for the data the
 * load will write (LOAD_USER_BYTES a user), not the 80 MiB a program
 * gives an empty home: past the cache, the name indexes' random inserts
 * write pages back and read them again.  load_cache_end() puts the
 * shipped file back, so the next program alone sizes the cache to the
 * data as in production (store-env.c).  A home that has a DB_CONFIG
 * (BENCH_CACHE_MB, or a store loaded before) keeps it.  True when it
 * wrote one.
 */
static bool
load_cache_begin(const struct scim_config *cfg, long users)
{
	char		 path[sizeof(cfg->home) + 16];
	uint64_t	 want;
	FILE		*f;

	snprintf(path, sizeof(path), "%s/DB_CONFIG", cfg->home);
	if (access(path, F_OK) == 0 || (f = fopen(path, "w")) == NULL)
		return false;
	want = store_cache_want((uint64_t)users * LOAD_USER_BYTES,
	    (uint64_t)cfg->cache_max_mb << 20);
	fprintf(f, "%sset_cachesize %llu %llu 1\n", store_db_config_text,
	    (unsigned long long)(want >> 30),
	    (unsigned long long)(want & ((1ULL << 30) - 1)));
	return fclose(f) == 0;
}

static void
load_cache_end(const struct scim_config *cfg)
{
	char	 path[sizeof(cfg->home) + 16];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/DB_CONFIG", cfg->home);
	if ((f = fopen(path, "w")) == NULL)
		die(path, NULL);
	fputs(store_db_config_text, f);
	if (fclose(f) != 0)
		die(path, NULL);
}

/*
 * Fill the store (see the top of this file), timing the users, the
 * group's members, and the final checkpoint and close that put the
 * whole store on disk: "seconds" is the load from start to a store
 * another program can open at once.
 */
static int
cmd_load(const struct opts *o)
{
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	struct loader		 ld;
	double			 t0, t_users, t_group, t_close;
	long			 members;
	bool			 cache;

	if (o->users < 1 || o->spare < 0 || o->members < 0) {
		fprintf(stderr, "bench-load: load needs -n >= 1\n");
		return 2;
	}
	members = o->members < o->users ? o->members : o->users;
	memset(&ld, 0, sizeof(ld));
	ld.total = o->users + o->spare;
	load_config(o, &cfg);
	cache = load_cache_begin(&cfg, ld.total);
	if (store_open(&ld.s, &cfg, &err) != SCIM_OK)
		die("store", &err);
	if ((ld.b = calloc(1, sizeof(*ld.b))) == NULL ||
	    (ld.ids = calloc((size_t)ld.total, sizeof(*ld.ids))) == NULL ||
	    (ld.names = calloc((size_t)ld.total, sizeof(*ld.names))) == NULL ||
	    (ld.num = calloc((size_t)ld.total, sizeof(*ld.num))) == NULL ||
	    (ld.at = calloc((size_t)ld.total, sizeof(*ld.at))) == NULL)
		die("memory", NULL);
	t0 = now_s();
	load_ids(&ld);
	load_users(&ld, o->users);
	t_users = now_s() - t0;
	load_group(&ld, members);
	t_group = now_s() - t0 - t_users;
	store_checkpoint(ld.s);
	store_close(ld.s);
	if (cache)
		load_cache_end(&cfg);
	t_close = now_s() - t0 - t_users - t_group;
	if (o->ids != NULL)
		write_ids(o->ids, &ld, o->users);
	printf("{\"users\": %ld, \"spare\": %ld, \"group_id\": \"%s\", "
	    "\"group_members\": %ld, \"users_seconds\": %.2f, "
	    "\"users_per_s\": %.0f, \"members_seconds\": %.2f, "
	    "\"close_seconds\": %.2f, \"seconds\": %.2f, \"batch\": %d}\n",
	    o->users, o->spare, ld.gid, members, t_users,
	    (double)ld.total / t_users, t_group, t_close,
	    t_users + t_group + t_close, BATCH);
	free(ld.ids);
	free(ld.names);
	free(ld.num);
	free(ld.at);
	free(ld.b);
	return 0;
}

/* --- count --- */

struct count_ctx {
	const char	*gid;
	size_t		 users, members;
};

static bool
count_each(void *arg, const char *id, cJSON *obj, bool *keep)
{
	(void)id; (void)obj; (void)keep;
	(*(size_t *)arg)++;
	return true;
}

static enum scim_err
count_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct count_ctx	*cc = arg;
	enum scim_err		 rc;

	cc->members = 0;
	if ((rc = store_count(t, STORE_USER, TENANT, &cc->users, err)) !=
	    SCIM_OK)
		return rc;
	return store_member_scan(t, TENANT, cc->gid, count_each,
	    &cc->members, err);
}

static enum scim_err
mark_layout4(struct store_txn *t, void *arg, struct scim_error *err)
{
	(void)arg;
	return store_meta_put(t, "schema_version", "4", err);
}

static int
cmd_relayout(const struct opts *o)
{
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	struct count_ctx	 cc = { "-", 0, 0 };
	struct store		*s;
	double			 t0, t1;

	s = open_store(o, &cfg);
	if (store_run(s, mark_layout4, NULL, &err) != SCIM_OK)
		die("relayout", &err);
	store_close(s);
	t0 = now_s();
	s = open_store(o, &cfg);
	t1 = now_s();
	if (store_read(s, count_fn, &cc, &err) != SCIM_OK)
		die("count", &err);
	printf("{\"seconds\": %.3f, \"users\": %zu}\n", t1 - t0, cc.users);
	store_close(s);
	return 0;
}

static int
cmd_count(const struct opts *o)
{
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	struct count_ctx	 cc = { o->gid, 0, 0 };
	struct store		*s;

	if (o->gid == NULL) {
		fprintf(stderr, "bench-load: count needs -g GID\n");
		return 2;
	}
	s = open_store(o, &cfg);
	if (store_read(s, count_fn, &cc, &err) != SCIM_OK)
		die("count", &err);
	printf("{\"users\": %zu, \"group_members\": %zu}\n", cc.users,
	    cc.members);
	store_close(s);
	return 0;
}

/* --- commit --- */

static void
dbdie(const char *what, int ret)
{
	fprintf(stderr, "bench-load: %s: %s\n", what, db_strerror(ret));
	exit(1);
}

/*
 * Berkeley DB alone: durable commits of one 1 KB put each, one writer,
 * for `seconds`, in a new environment in dir.  Returns commits/s.
 */
static double
raw_commits(const char *dir, double seconds, long *count)
{
	DB_ENV		*env;
	DB		*db;
	DB_TXN		*txn;
	DBT		 key, data;
	char		 path[4200], val[VALUE_SIZE], k[32];
	FILE		*f;
	double		 t0, t1;
	long		 n = 0;
	int		 ret, i;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		die(dir, NULL);
	if ((size_t)snprintf(path, sizeof(path), "%s/DB_CONFIG", dir) >=
	    sizeof(path) || (f = fopen(path, "w")) == NULL)
		die(path, NULL);
	fputs(store_db_config_text, f);
	fclose(f);
	util_random(val, sizeof(val));
	if ((ret = db_env_create(&env, 0)) != 0)
		dbdie("db_env_create", ret);
	/* The 64 MiB the shipped DB_CONFIG had, as a small store gets. */
	env->set_cachesize(env, 0, 64 * 1024 * 1024, 1);
	if ((ret = env->open(env, dir, DB_CREATE | DB_INIT_TXN |
	    DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL, 0660)) != 0)
		dbdie(dir, ret);
	if ((ret = db_create(&db, env, 0)) != 0)
		dbdie("db_create", ret);
	db->set_pagesize(db, 8192);
	if ((ret = db->open(db, NULL, "raw.db", NULL, DB_BTREE,
	    DB_CREATE | DB_AUTO_COMMIT, 0660)) != 0)
		dbdie("raw.db", ret);
	t0 = now_s();
	do {
		for (i = 0; i < 16; i++, n++) {
			snprintf(k, sizeof(k), "%016lx", (unsigned long)n *
			    2654435761UL);
			memset(&key, 0, sizeof(key));
			memset(&data, 0, sizeof(data));
			key.data = k;
			key.size = (u_int32_t)strlen(k);
			data.data = val;
			data.size = sizeof(val);
			if ((ret = env->txn_begin(env, NULL, &txn, 0)) != 0)
				dbdie("txn_begin", ret);
			if ((ret = db->put(db, txn, &key, &data, 0)) != 0)
				dbdie("put", ret);
			if ((ret = txn->commit(txn, 0)) != 0)
				dbdie("commit", ret);
		}
		t1 = now_s();
	} while (t1 - t0 < seconds);
	db->close(db, 0);
	env->close(env, 0);
	*count = n;
	return (double)n / (t1 - t0);
}

struct kv_ctx {
	const char	*key;
	const cJSON	*val;
};

static enum scim_err
kv_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct kv_ctx	*kc = arg;

	return store_kv_put(t, TENANT, "bench", kc->key, kc->val, err);
}

/* The same through store_run() with default (full) durability. */
static double
store_commits(const char *dir, double seconds, long *count)
{
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	struct store		*s;
	struct kv_ctx		 kc;
	unsigned char		 rnd[VALUE_SIZE / 2 - 16];
	char			 hex[VALUE_SIZE], k[32];
	cJSON			*val;
	double			 t0, t1;
	long			 n = 0;
	int			 i;

	config_defaults(&cfg);
	if ((size_t)snprintf(cfg.home, sizeof(cfg.home), "%s", dir) >=
	    sizeof(cfg.home))
		die(dir, NULL);
	cfg.sync = STORE_SYNC_FULL;
	if (store_open(&s, &cfg, &err) != SCIM_OK)
		die("store", &err);
	util_random(rnd, sizeof(rnd));
	util_hex(rnd, sizeof(rnd), hex);	/* ~1 KB once quoted */
	if ((val = cJSON_CreateString(hex)) == NULL)
		die("memory", NULL);
	kc.key = k;
	kc.val = val;
	t0 = now_s();
	do {
		for (i = 0; i < 16; i++, n++) {
			snprintf(k, sizeof(k), "%016lx", (unsigned long)n *
			    2654435761UL);
			if (store_run(s, kv_fn, &kc, &err) != SCIM_OK)
				die("store_run", &err);
		}
		t1 = now_s();
	} while (t1 - t0 < seconds);
	cJSON_Delete(val);
	store_close(s);
	*count = n;
	return (double)n / (t1 - t0);
}

static int
cmd_commit(const struct opts *o)
{
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	char			 raw[4096], lib[4096];
	double			 r, l;
	long			 rn, ln;

	if (o->dir == NULL) {
		fprintf(stderr, "bench-load: commit needs -d DIR\n");
		return 2;
	}
	/* As root, become DIR's owner like the store commands do. */
	config_defaults(&cfg);
	if ((size_t)snprintf(cfg.home, sizeof(cfg.home), "%s", o->dir) >=
	    sizeof(cfg.home) ||
	    (size_t)snprintf(raw, sizeof(raw), "%s/raw", o->dir) >=
	    sizeof(raw) ||
	    (size_t)snprintf(lib, sizeof(lib), "%s/store", o->dir) >=
	    sizeof(lib)) {
		fprintf(stderr, "bench-load: %s: name too long\n", o->dir);
		return 2;
	}
	if (service_drop_root(&cfg, &err) != SCIM_OK)
		die("privileges", &err);
	r = raw_commits(raw, o->seconds, &rn);
	l = store_commits(lib, o->seconds, &ln);
	printf("{\"raw_commits_per_s\": %.0f, \"raw_commits\": %ld, "
	    "\"store_commits_per_s\": %.0f, \"store_commits\": %ld, "
	    "\"value_bytes\": %d, \"seconds\": %.1f}\n", r, rn, l, ln,
	    VALUE_SIZE, o->seconds);
	return 0;
}

static int
cmd_version(void)
{
	int	 maj, min, patch;

	db_version(&maj, &min, &patch);
	printf("{\"scim_fcgi\": \"%s\", \"berkeley_db\": \"%d.%d.%d\", "
	    "\"cjson\": \"%s\"}\n", PACKAGE_VERSION, maj, min, patch,
	    cJSON_Version());
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-load [-c file] load -n USERS [-s SPARE] "
	    "[-m MEMBERS] [-o IDS]\n"
	    "       bench-load [-c file] auth -k TOKEN -o IDS [-t SECONDS]\n"
	    "       bench-load [-c file] query -q get|filter|page|cursor "
	    "-o IDS [-t SECONDS]\n"
	    "                  [-r REQUESTS]\n"
	    "       bench-load [-c file] count -g GID\n"
	    "       bench-load [-c file] relayout\n"
	    "       bench-load commit -d DIR [-t SECONDS]\n"
	    "       bench-load version\n");
}

/*
 * The command's options (after its name, argv[0]) into o.  Returns 0, or
 * 2 when one is bad (said on stderr).
 */
static int
parse_opts(int argc, char *argv[], struct opts *o)
{
	char	*end;
	long	 n;
	int	 ch;

#ifdef __GLIBC__
	optind = 0;		/* glibc: start afresh on the new vector */
#else
	optind = 1;
	optreset = 1;
#endif
	while ((ch = getopt(argc, argv, "n:s:m:g:o:k:d:t:q:r:")) != -1)
		switch (ch) {
		case 'q':
			o->query = optarg;
			break;
		case 'n':
		case 's':
		case 'm':
		case 'r':
			if (!util_parse_long(optarg, 0, 100000000, &n)) {
				fprintf(stderr, "bench-load: -%c: a count, "
				    "please\n", ch);
				return 2;
			}
			*(ch == 'n' ? &o->users : ch == 's' ? &o->spare :
			    ch == 'r' ? &o->requests : &o->members) = n;
			break;
		case 'g':
			o->gid = optarg;
			break;
		case 'o':
			o->ids = optarg;
			break;
		case 'k':
			o->token = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 't':
			o->seconds = strtod(optarg, &end);
			if (o->seconds <= 0 || o->seconds > 600)
				o->seconds = 2.0;
			break;
		default:
			usage(stderr);
			return 2;
		}
	return 0;
}

/* The commands, by name. */
static const struct {
	const char	*name;
	int		(*run)(const struct opts *);
} cmds[] = {
	{ "load",	cmd_load },
	{ "auth",	cmd_auth },
	{ "query",	cmd_query },
	{ "count",	cmd_count },
	{ "relayout",	cmd_relayout },
	{ "commit",	cmd_commit },
};

int
main(int argc, char *argv[])
{
	struct opts	 o;
	size_t		 i;
	int		 ch;

	memset(&o, 0, sizeof(o));
	o.members = 100000;
	o.seconds = 2.0;
	log_init("bench-load", LOG_LVL_WARN);
	/* "+": stop at the command; its options are parsed next. */
	while ((ch = getopt(argc, argv, "+c:")) != -1)
		if (ch == 'c')
			o.conf = optarg;
		else {
			usage(stderr);
			return 2;
		}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "version") == 0)
		return cmd_version();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			return parse_opts(argc, argv, &o) != 0 ? 2 :
			    cmds[i].run(&o);
	usage(stderr);
	return 2;
}
