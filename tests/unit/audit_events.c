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
#include "audit_run.h"

#define BATCH	1000

int
main(int argc, char *argv[])
{
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	struct store		*s = NULL;
	struct audit_run	 b;
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
	b.types[0] = b.types[1] = "test.backdated";
	b.prefix = "backdated-";
	b.newest = util_now_usec() - (int64_t)age * 1000000;
	for (b.from = 0; b.from < n; b.from = b.to) {
		b.to = b.from + BATCH < n ? b.from + BATCH : n;
		if (store_run_nosync(s, audit_run_fn, &b, &err) != SCIM_OK)
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
