/*
 * bench-load: the in-process half of "make bench".
 *
 *   bench-load [-c file] load -n USERS [-s SPARE] [-m MEMBERS] [-o IDS]
 *   bench-load [-c file] auth -k TOKEN -o IDS [-t SECONDS]
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
 * Every command prints one JSON object on stdout.  Started as root, the
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
#include "scim/crud.h"
#include "web/http.h"
#include "base/log.h"
#include "scim/resource.h"
#include "scim/schema.h"
#include "web/service.h"
#include "store/store.h"
#include "auth/token.h"
#include "base/util.h"
#include "store/db_config.h"		/* generated from db/DB_CONFIG */

#define TENANT		"default"
#define BATCH		2000	/* records per nosync transaction */
#define CKP_BATCHES	16	/* checkpoint every this many batches */
#define VALUE_SIZE	1024	/* the raw commit test's record */

struct opts {
	const char	*conf;		/* -c */
	long		 users;		/* -n */
	long		 spare;		/* -s */
	long		 members;	/* -m */
	const char	*gid;		/* -g */
	const char	*ids;		/* -o */
	const char	*token;		/* -k */
	const char	*dir;		/* -d */
	double		 seconds;	/* -t */
};

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const struct scim_error *err)
{
	fprintf(stderr, "bench-load: %s: %s\n", what,
	    err != NULL ? err->detail : strerror(errno));
	exit(1);
}

/* Read scim.conf, become the home's owner, open the store. */
static struct store *
open_store(const struct opts *o, struct scim_config *cfg)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct store		*s = NULL;

	if (config_load(cfg, o->conf, &err) != SCIM_OK)
		die("config", &err);
	if (service_drop_root(cfg, &err) != SCIM_OK)
		die("privileges", &err);
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
 * (resource_stored()) with a fresh "id" after "schemas" and "meta" last
 * (set_meta() there).  NULL on failure.
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

static int
cmd_load(const struct opts *o)
{
	struct scim_config	 cfg;
	struct store		*s;
	struct batch		*b;
	char			 name[48], id[UTIL_UUID_LEN + 1];
	char			 gid[UTIL_UUID_LEN + 1];
	char			(*ids)[UTIL_UUID_LEN + 1];
	char			(*names)[48];
	cJSON			*body, *rec, *m;
	FILE			*f;
	double			 t0, t_users, t_group;
	long			 i, total = o->users + o->spare, members;
	unsigned		 nb = 0;

	if (o->users < 1 || o->spare < 0 || o->members < 0) {
		fprintf(stderr, "bench-load: load needs -n >= 1\n");
		return 2;
	}
	members = o->members < o->users ? o->members : o->users;
	s = open_store(o, &cfg);
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (ids = calloc((size_t)total, sizeof(*ids))) == NULL ||
	    (names = calloc((size_t)total, sizeof(*names))) == NULL)
		die("memory", NULL);
	t0 = now_s();
	b->kind = STORE_USER;
	for (i = 0; i < total; i++) {
		body = i < o->users ? user_body("user", i, name, sizeof(name)) :
		    user_body("spare", i - o->users, name, sizeof(name));
		if (body == NULL || (rec = stored_form(&rt_user, body, id)) ==
		    NULL)
			die("building a user", NULL);
		cJSON_Delete(body);
		memcpy(ids[i], id, sizeof(ids[i]));
		snprintf(names[i], sizeof(names[i]), "%s", name);
		b->recs[b->n++] = rec;
		if (b->n == BATCH)
			batch_flush(s, b, &nb);
	}
	batch_flush(s, b, &nb);
	t_users = now_s() - t0;

	/* The big group, then its members in batches. */
	t0 = now_s();
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "displayName", "Bench All Users");
	cJSON_AddStringToObject(body, "externalId", "bench-group-all");
	if ((rec = stored_form(&rt_group, body, gid)) == NULL)
		die("building the group", NULL);
	cJSON_Delete(body);
	b->kind = STORE_GROUP;
	b->recs[b->n++] = rec;
	batch_flush(s, b, &nb);
	b->members = true;
	b->gid = gid;
	for (i = 0; i < members; i++) {
		/* What crud.c's member_add1() stores for a user member. */
		if ((m = cJSON_CreateObject()) == NULL)
			die("memory", NULL);
		cJSON_AddStringToObject(m, "value", ids[i]);
		cJSON_AddStringToObject(m, "type", "User");
		cJSON_AddStringToObject(m, "display", names[i]);
		b->recs[b->n++] = m;
		if (b->n == BATCH)
			batch_flush(s, b, &nb);
	}
	batch_flush(s, b, &nb);
	store_checkpoint(s);
	t_group = now_s() - t0;

	if (o->ids != NULL) {
		if ((f = fopen(o->ids, "w")) == NULL)
			die(o->ids, NULL);
		fprintf(f, "g %s Bench_All_Users\n", gid);
		for (i = 0; i < total; i++)
			fprintf(f, "%c %s %s\n", i < o->users ? 'u' : 's',
			    ids[i], names[i]);
		if (fclose(f) != 0)
			die(o->ids, NULL);
	}
	store_close(s);
	printf("{\"users\": %ld, \"spare\": %ld, \"group_id\": \"%s\", "
	    "\"group_members\": %ld, \"users_seconds\": %.2f, "
	    "\"users_per_s\": %.0f, \"members_seconds\": %.2f, "
	    "\"batch\": %d}\n", o->users, o->spare, gid, members, t_users,
	    (double)total / t_users, t_group, BATCH);
	free(ids);
	free(names);
	free(b);
	return 0;
}

/* --- auth --- */

/* The user ids of an ids file ("u" lines); exits on failure. */
static char **
read_user_ids(const char *path, size_t *n)
{
	char	 line[256], id[UTIL_UUID_LEN + 1], **v = NULL, **nv;
	size_t	 cap = 0;
	FILE	*f;

	*n = 0;
	if ((f = fopen(path, "r")) == NULL)
		die(path, NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "u %36s", id) != 1)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				die("memory", NULL);
			v = nv;
		}
		if ((v[(*n)++] = strdup(id)) == NULL)
			die("memory", NULL);
	}
	fclose(f);
	if (*n == 0) {
		fprintf(stderr, "bench-load: %s: no user ids\n", path);
		exit(1);
	}
	return v;
}

/*
 * One GET /Users/{id} as scim-users runs it, minus the FastCGI I/O: the
 * bearer check (when hdr is not NULL; its store half inside crud_get()'s
 * transaction), crud_get() and the serialisation http_resp_send() does.
 */
static void
get_once(struct scim_ctx *ctx, const char *hdr, char *id)
{
	struct scim_call	 c;
	struct scim_error	 err = { SCIM_OK, "" };
	char			*text;

	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.req.method = "GET";
	c.resource = "Users";
	c.base_url = (char *)"http://127.0.0.1/scim/v2";
	c.id = id;
	/* As serve_one() does: a cached token is read in crud_get()'s
	 * transaction. */
	if (hdr != NULL) {
		if (token_check_start(ctx->store, hdr, &c.auth,
		    &c.auth_pending, &err) != SCIM_OK)
			die("token_check", &err);
	} else
		strcpy(c.auth.tenant, TENANT);
	if (crud_get(&c, &err) != SCIM_OK)
		die("GET", &err);
	if (c.auth_pending)
		die("GET left the token unchecked", NULL);
	if (hdr != NULL)
		token_touch(ctx->store, &c.auth);
	/* Answers made from the stored text are already printed. */
	if (c.resp.body != NULL) {
		if ((text = cJSON_PrintUnformatted(c.resp.body)) == NULL)
			die("memory", NULL);
		free(text);
	} else if (c.resp.raw == NULL)
		die("GET gave no answer", NULL);
	http_resp_free(&c.resp);
}

/*
 * Time the cached bearer check alone, then GET /Users/{id} handlers on
 * random users with and without it, alternating in short rounds so both
 * see the same cache state: the difference is what auth adds.
 */
static int
cmd_auth(const struct opts *o)
{
	struct scim_ctx		 ctx;
	struct scim_error	 err = { SCIM_OK, "" };
	struct token_auth	 auth;
	char			 hdr[TOKEN_LEN + 16], **ids;
	double			 t0, t1, first, hot, with = 0, without = 0;
	double			 end;
	long			 n = 0, nwith = 0, nwithout = 0;
	size_t			 nids;
	int			 i, round;

	if (o->token == NULL || o->ids == NULL) {
		fprintf(stderr, "bench-load: auth needs -k TOKEN -o IDS\n");
		return 2;
	}
	ids = read_user_ids(o->ids, &nids);
	memset(&ctx, 0, sizeof(ctx));
	ctx.store = open_store(o, &ctx.cfg);
	snprintf(hdr, sizeof(hdr), "Bearer %s", o->token);
	/* The first check runs scrypt and fills the per-process cache. */
	t0 = now_s();
	if (token_check(ctx.store, hdr, &auth, &err) != SCIM_OK)
		die("token_check", &err);
	first = now_s() - t0;
	t0 = now_s();
	do {
		for (i = 0; i < 256; i++, n++)
			if (token_check(ctx.store, hdr, &auth, &err) !=
			    SCIM_OK)
				die("token_check", &err);
		t1 = now_s();
	} while (t1 - t0 < o->seconds / 2);
	hot = t1 - t0;
	srandom(1);
	end = now_s() + o->seconds;
	for (round = 0; now_s() < end; round++) {
		t0 = now_s();
		for (i = 0; i < 200; i++, nwithout++)
			get_once(&ctx, NULL, ids[random() % (long)nids]);
		without += now_s() - t0;
		t0 = now_s();
		for (i = 0; i < 200; i++, nwith++)
			get_once(&ctx, hdr, ids[random() % (long)nids]);
		with += now_s() - t0;
	}
	printf("{\"first_check_ms\": %.1f, \"checks\": %ld, "
	    "\"token_check_us\": %.3f, \"get_handler_us\": %.2f, "
	    "\"get_handler_with_auth_us\": %.2f, \"auth_added_us\": %.2f, "
	    "\"rounds\": %d, \"scrypt_runs\": %llu, \"tenant\": \"%s\"}\n",
	    first * 1e3, n, hot * 1e6 / (double)n,
	    without * 1e6 / (double)nwithout,
	    with * 1e6 / (double)nwith,
	    with * 1e6 / (double)nwith - without * 1e6 / (double)nwithout,
	    round, (unsigned long long)token_scrypt_count(), auth.tenant);
	store_close(ctx.store);
	for (i = 0; i < (int)nids; i++)
		free(ids[i]);
	free(ids);
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
	    "       bench-load [-c file] count -g GID\n"
	    "       bench-load [-c file] relayout\n"
	    "       bench-load commit -d DIR [-t SECONDS]\n"
	    "       bench-load version\n");
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	const char	*cmd;
	char		*end;
	long		 n;
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
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
#ifdef __GLIBC__
	optind = 0;		/* glibc: start afresh on the new vector */
#else
	optind = 1;
	optreset = 1;
#endif
	while ((ch = getopt(argc, argv, "n:s:m:g:o:k:d:t:")) != -1)
		switch (ch) {
		case 'n':
		case 's':
		case 'm':
			if (!util_parse_long(optarg, 0, 100000000, &n)) {
				fprintf(stderr, "bench-load: -%c: a count, "
				    "please\n", ch);
				return 2;
			}
			if (ch == 'n')
				o.users = n;
			else if (ch == 's')
				o.spare = n;
			else
				o.members = n;
			break;
		case 'g':
			o.gid = optarg;
			break;
		case 'o':
			o.ids = optarg;
			break;
		case 'k':
			o.token = optarg;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 't':
			o.seconds = strtod(optarg, &end);
			if (o.seconds <= 0 || o.seconds > 600)
				o.seconds = 2.0;
			break;
		default:
			usage(stderr);
			return 2;
		}
	if (strcmp(cmd, "load") == 0)
		return cmd_load(&o);
	if (strcmp(cmd, "auth") == 0)
		return cmd_auth(&o);
	if (strcmp(cmd, "count") == 0)
		return cmd_count(&o);
	if (strcmp(cmd, "relayout") == 0)
		return cmd_relayout(&o);
	if (strcmp(cmd, "commit") == 0)
		return cmd_commit(&o);
	if (strcmp(cmd, "version") == 0)
		return cmd_version();
	usage(stderr);
	return 2;
}
