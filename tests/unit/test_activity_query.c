/*
 * Unit tests of the activity recorder's query about one user
 * (activity_query() with q.user: scimctl activity --user, the page's
 * user history), table-driven over a file of records written here: by
 * userName in any case, by id, through the ids of records named the
 * user (its DELETE has no name), as a member added or removed, in a
 * lookup's filter, and with a name that is not looked for as text (a
 * quote in it: every line parsed).  The query skips lines that cannot
 * name the user before parsing them; these cases fail if it skips one
 * that does.  And activity_get() finds a file's first record, timed by
 * its request's start, before the file (named when it was written) was,
 * and its last, timed after the file's mtime (the kernel's coarse
 * clock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "audit/activity.h"
#include "base/config.h"
#include "base/util.h"
#include "tap.h"
#include "tmp_store.h"

#define U1	"2819c223-7f76-453a-919d-413861904646"
#define U2	"902c246b-6245-4190-8e05-00816be7344a"
#define G1	"e9e30dba-f08f-4109-8486-d5c6a331660a"

/* The records, oldest first, after their id (written before each). */
static const char *const records[] = {
	/* 1: alice created */
	"\"tenant\":\"t\",\"method\":\"POST\",\"status\":201,"
	"\"target\":{\"type\":\"User\",\"id\":\"" U1 "\",\"name\":"
	"\"alice@contoso.com\"}}",
	/* 2: Entra's lookup of alice, before it changes her */
	"\"tenant\":\"t\",\"method\":\"GET\",\"status\":200,"
	"\"filter\":\"userName eq \\\"Alice@Contoso.com\\\"\"}",
	/* 3: bob created */
	"\"tenant\":\"t\",\"method\":\"POST\",\"status\":201,"
	"\"target\":{\"type\":\"User\",\"id\":\"" U2 "\",\"name\":"
	"\"bob@contoso.com\"}}",
	/* 4: alice added to a group */
	"\"tenant\":\"t\",\"method\":\"PATCH\",\"status\":204,"
	"\"target\":{\"type\":\"Group\",\"id\":\"" G1 "\",\"name\":\"Sales\"},"
	"\"members\":[\"" U1 "\"]}",
	/* 5: alice deleted: the id, no name */
	"\"tenant\":\"t\",\"method\":\"DELETE\",\"status\":204,"
	"\"target\":{\"type\":\"User\",\"id\":\"" U1 "\",\"name\":\"\"}}",
	/* 6: another tenant's alice */
	"\"tenant\":\"u\",\"method\":\"POST\",\"status\":201,"
	"\"target\":{\"type\":\"User\",\"id\":\"" U2 "\",\"name\":"
	"\"alice@contoso.com\"}}",
	/* 7: a name with a quote, as JSON writes it */
	"\"tenant\":\"t\",\"method\":\"POST\",\"status\":201,"
	"\"target\":{\"type\":\"User\",\"id\":\"x7\",\"name\":"
	"\"o\\\"hara\"}}",
	/* 8: a group named like alice: not about the user */
	"\"tenant\":\"t\",\"method\":\"POST\",\"status\":201,"
	"\"target\":{\"type\":\"Group\",\"id\":\"g8\",\"name\":"
	"\"alice@contoso.com\"}}",
};
#define NRECORDS	(sizeof(records) / sizeof(records[0]))

/* Who is asked for, in which tenant, and the records found, newest first. */
static const struct {
	const char	*user;
	const char	*tenant;
	const char	*want;		/* record numbers, e.g. "5 4 2 1" */
	int		 line;
} cases[] = {
	{ "alice@contoso.com", "t", "5 4 2 1", __LINE__ },
	{ "ALICE@contoso.COM", "t", "5 4 2 1", __LINE__ },
	{ U1, "t", "5 4 1", __LINE__ },
	{ "bob@contoso.com", "t", "3", __LINE__ },
	{ U2, NULL, "6 3", __LINE__ },
	{ "alice@contoso.com", "u", "6", __LINE__ },
	{ "o\"hara", "t", "7", __LINE__ },
	{ "carol@contoso.com", "t", "", __LINE__ },
	{ "contoso", "t", "", __LINE__ },
};

static char	 ids[NRECORDS][32];

/* Write the records into home's activity directory. */
static bool
write_records(const char *home)
{
	char		 dir[4200], path[4300];
	int64_t		 t0 = util_now_usec() - 60 * 1000000LL;
	struct timeval	 tv[2];
	size_t		 i;
	FILE		*f;

	snprintf(dir, sizeof(dir), "%s/%s", home, ACTIVITY_DIR);
	if (mkdir(dir, 0750) != 0)
		return false;
	/* Named as the writer does: when the first record was written. */
	snprintf(path, sizeof(path), "%s/%016llx-1.jsonl", dir,
	    (unsigned long long)(t0 + 2000000));
	if ((f = fopen(path, "w")) == NULL)
		return false;
	for (i = 0; i < NRECORDS; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%016llx%08x",
		    (unsigned long long)(t0 + (int64_t)i * 1000), (unsigned)i);
		fprintf(f, "{\"id\":\"%s\",%s\n", ids[i], records[i]);
	}
	if (fclose(f) != 0)
		return false;
	/* Stamped by the kernel's coarse clock: before the last record. */
	tv[0].tv_sec = (time_t)((t0 + 7000 - 100) / 1000000);
	tv[0].tv_usec = (suseconds_t)((t0 + 7000 - 100) % 1000000);
	tv[1] = tv[0];
	return utimes(path, tv) == 0;
}

/* The record numbers of the ids in out, as "5 4 2 1", into buf. */
static void
found(const cJSON *out, char *buf, size_t sz)
{
	const cJSON	*r;
	size_t		 i, len = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(r, out) {
		for (i = 0; i < NRECORDS; i++)
			if (strcmp(cJSON_GetObjectItem(r, "id")->valuestring,
			    ids[i]) == 0)
				break;
		len += (size_t)snprintf(buf + len, sz - len, "%s%zu",
		    len ? " " : "", i + 1);
		if (len >= sz)
			return;
	}
}

int
main(void)
{
	struct scim_config	 cfg;
	struct activity_query	 q;
	struct scim_error	 err;
	struct tmp_store	 ts;
	char			 got[128], name[300];
	cJSON			*out;
	size_t			 i;

	if (!tmp_store_init(&ts, "activity-query", &cfg))
		goto out;
	if (!write_records(cfg.home)) {
		ok(false, "write the records");
		goto out;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&q, 0, sizeof(q));
		q.user = cases[i].user;
		q.tenant = cases[i].tenant;
		out = NULL;
		snprintf(name, sizeof(name), "line %d: user %s", cases[i].line,
		    cases[i].user);
		if (activity_query(&cfg, &q, &out, &err) != SCIM_OK) {
			ok(false, "%s", name);
			continue;
		}
		found(out, got, sizeof(got));
		is_str(got, cases[i].want, name);
		cJSON_Delete(out);
	}
	for (i = 0; i < NRECORDS; i++) {
		out = NULL;
		snprintf(name, sizeof(name), "activity_get finds record %zu",
		    i + 1);
		ok(activity_get(&cfg, NULL, ids[i], &out, &err) == SCIM_OK &&
		    strcmp(cJSON_GetObjectItem(out, "id")->valuestring,
		    ids[i]) == 0, "%s", name);
		cJSON_Delete(out);
	}
out:
	tmp_store_done(&ts);
	return tap_done();
}
