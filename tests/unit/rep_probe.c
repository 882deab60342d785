/*
 * rep_probe: one store operation on a site of a replication group, for
 * tests/unit/test_rep_cluster.sh.  Started as root it becomes the data
 * home's owner, like every program of the project.
 *
 *   rep_probe CONF put KEY VALUE   write key space "rep-probe"; prints
 *                                  the commit token (exit 0), or the
 *                                  error and exit 1 (4: a 503's cause)
 *   rep_probe CONF get KEY         print the value (exit 0), 3 if absent
 *   rep_probe CONF wait TOKEN MS   wait until this site has applied it
 *   rep_probe CONF role            print this site's role
 *   rep_probe CONF putmany N       N writes, one transaction each; prints
 *                                  how many a second
 *   rep_probe CONF checkpoint      one checkpoint (as the checkpoint
 *                                  process makes them, but forced);
 *                                  prints the milliseconds it took
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "store/store.h"
#include "store/store-rep.h"
#include "web/service.h"

#define SPACE	"rep-probe"

struct probe {
	const char	*key;
	const char	*value;
	cJSON		*got;
};

static enum scim_err
probe_put(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct probe	*p = arg;
	cJSON		*v;
	enum scim_err	 rc;

	if ((v = cJSON_CreateString(p->value)) == NULL)
		return scim_oom(err);
	rc = store_kv_put(t, "default", SPACE, p->key, v, err);
	cJSON_Delete(v);
	return rc;
}

static enum scim_err
probe_get(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct probe	*p = arg;

	cJSON_Delete(p->got);
	p->got = NULL;
	return store_kv_get(t, "default", SPACE, p->key, &p->got, err);
}

/* The exit status for a failure: 4 for SCIM_E_UNAVAILABLE (a 503). */
static int
probe_fail(const struct scim_error *err)
{
	fprintf(stderr, "rep_probe: %s\n", err->detail);
	return err->code == SCIM_E_NOT_FOUND ? 3 :
	    err->code == SCIM_E_UNAVAILABLE ? 4 : 1;
}

/* n writes of their own transaction each: the rate, for a comparison. */
static int
probe_many(struct store *s, long n)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct probe		 p = { NULL, "v", NULL };
	char			 key[32];
	int64_t			 t0 = util_now_usec();
	long			 i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "many-%ld", i);
		p.key = key;
		if (store_run(s, probe_put, &p, &err) != SCIM_OK)
			return probe_fail(&err);
	}
	printf("%ld writes in %.2f s: %.0f/s\n", n,
	    (util_now_usec() - t0) / 1e6, n * 1e6 / (util_now_usec() - t0));
	return 0;
}

static int
probe_run(struct store *s, int argc, char *argv[])
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct probe		 p = { NULL, NULL, NULL };
	char			 tok[STORE_REP_TOKEN_MAX];
	int64_t			 t0;

	if (strcmp(argv[2], "put") == 0 && argc == 5) {
		p.key = argv[3];
		p.value = argv[4];
		if (store_run(s, probe_put, &p, &err) != SCIM_OK)
			return probe_fail(&err);
		store_rep_last_token(s, tok, sizeof(tok));
		printf("%s\n", tok);
		return 0;
	}
	if (strcmp(argv[2], "get") == 0 && argc == 4) {
		p.key = argv[3];
		if (store_read(s, probe_get, &p, &err) != SCIM_OK)
			return probe_fail(&err);
		printf("%s\n", cJSON_GetStringValue(p.got));
		cJSON_Delete(p.got);
		return 0;
	}
	if (strcmp(argv[2], "wait") == 0 && argc == 5) {
		if (store_rep_wait_applied(s, argv[3],
		    (unsigned)strtoul(argv[4], NULL, 10), &err) != SCIM_OK)
			return probe_fail(&err);
		return 0;
	}
	if (strcmp(argv[2], "putmany") == 0 && argc == 4)
		return probe_many(s, strtol(argv[3], NULL, 10));
	if (strcmp(argv[2], "checkpoint") == 0 && argc == 3) {
		t0 = util_now_usec();
		if (!store_checkpoint_force(s)) {
			fprintf(stderr, "rep_probe: no checkpoint\n");
			return 1;
		}
		printf("%lld\n", (long long)(util_now_usec() - t0) / 1000);
		return 0;
	}
	if (strcmp(argv[2], "role") == 0 && argc == 3) {
		printf("%s\n", store_rep_role_name(store_rep_role(s)));
		return 0;
	}
	fprintf(stderr, "usage: rep_probe CONF put KEY VALUE | get KEY | "
	    "wait TOKEN MS | role | putmany N | checkpoint\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct scim_config	 cfg;
	struct store		*s;
	int			 rc;

	if (argc < 3) {
		fprintf(stderr, "usage: rep_probe CONF put KEY VALUE | get KEY "
		    "| wait TOKEN MS | role\n");
		return 2;
	}
	log_init("rep_probe", LOG_LVL_WARN);
	if (config_load(&cfg, argv[1], &err) != SCIM_OK ||
	    service_drop_root(&cfg, &err) != SCIM_OK) {
		fprintf(stderr, "rep_probe: %s\n", err.detail);
		return 1;
	}
	if (store_open(&s, &cfg, &err) != SCIM_OK)
		return probe_fail(&err);
	rc = probe_run(s, argc, argv);
	store_close(s);
	return rc;
}
