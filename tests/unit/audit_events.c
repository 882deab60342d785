/*
 * audit_events: write back-dated audit events through the audit API, for
 * the retention test (tests/http/test_audit.py).  Writes N events of type
 * "test.backdated" for TENANT, the first AGE seconds old and each next one
 * a millisecond older, in non-durable transactions of 1,000, and prints
 * how many.  Events can only be back-dated here: the programs always
 * record the current time.  Started as root it becomes the data home's
 * owner, like every program of the project.
 *
 *   audit_events CONF TENANT N AGE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "web/service.h"
#include "base/util.h"

#define BATCH	1000

struct backdate {
	const struct scim_config *cfg;
	const char	*tenant;
	int64_t		 newest;	/* usec of event 0 */
	long		 from, to;	/* events [from, to) of this batch */
};

static enum scim_err
batch_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct backdate		*b = arg;
	struct audit_event	 ev;
	char			 name[32];
	enum scim_err		 rc = SCIM_OK;
	long			 i;

	for (i = b->from; i < b->to && rc == SCIM_OK; i++) {
		snprintf(name, sizeof(name), "backdated-%ld", i);
		memset(&ev, 0, sizeof(ev));
		ev.type = "test.backdated";
		ev.tenant = b->tenant;
		ev.actor = "test";
		ev.target_name = name;
		ev.time = b->newest - (int64_t)i * 1000;
		rc = audit_record(t, b->cfg, &ev, err);
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	struct store		*s = NULL;
	struct backdate		 b;
	long			 n, age;
	int			 rc = 1;

	if (argc != 5 || !util_parse_long(argv[3], 1, 10000000, &n) ||
	    !util_parse_long(argv[4], 0, 100L * 366 * 86400, &age)) {
		fprintf(stderr, "usage: audit_events CONF TENANT N AGE\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	if (config_load(&cfg, argv[1], &err) != SCIM_OK ||
	    service_drop_root(&cfg, &err) != SCIM_OK ||
	    store_open(&s, &cfg, &err) != SCIM_OK)
		goto out;
	b.cfg = &cfg;
	b.tenant = argv[2];
	b.newest = util_now_usec() - (int64_t)age * 1000000;
	for (b.from = 0; b.from < n; b.from = b.to) {
		b.to = b.from + BATCH < n ? b.from + BATCH : n;
		if (store_run_nosync(s, batch_fn, &b, &err) != SCIM_OK)
			goto out;
	}
	printf("%ld events\n", n);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "audit_events: %s\n", err.detail);
	store_close(s);
	return rc;
}
