/*
 * scimctl: the operator's shell tool for the audit log and the event hook.
 *
 *   scimctl [-c file] audit [--tenant T] [--since WHEN] [--until WHEN]
 *           [--category C] [--type PREFIX] [--target ID|NAME] [--limit N]
 *   scimctl [-c file] deliver [--max N]
 *   scimctl [-c file] prune [--tenant T]
 *
 * audit prints matching events as JSON lines, newest first (for a SIEM);
 * deliver hands waiting events to the configured hook (for cron);
 * prune deletes events older than [audit] retention_days, of every tenant
 * (the tenant-less refusals too) or of the --tenant named, and says how
 * many, in how many transactions.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lex.h"
#include "audit/audit.h"
#include "scim/filter.h"
#include "base/log.h"
#include "web/service.h"
#include "base/util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: scimctl [-c file] audit [--tenant T] [--since WHEN] "
	    "[--until WHEN]\n"
	    "               [--category C] [--type PREFIX] [--target ID] "
	    "[--limit N]\n"
	    "       scimctl [-c file] deliver [--max N]\n"
	    "       scimctl [-c file] prune [--tenant T]\n"
	    "       scimctl -h | -V\n\n"
	    "  -c, --config FILE  configuration file (default $SCIM_CONF or "
	    "scim.conf)\n"
	    "  --tenant T         tenant (default \"default\"; \"\" for "
	    "auth.failed events);\n"
	    "                     prune: only this tenant (default: all)\n"
	    "  --since, --until   RFC 3339 time, or an age such as 30m, 24h, "
	    "7d\n"
	    "  --category C       scim, tokens, auth or admin\n"
	    "  --type PREFIX      event type or its start, e.g. scim.user.\n"
	    "  --target ID        events about this id or name\n"
	    "  --limit N          at most N events (default 1000)\n"
	    "  --max N            deliver at most N events (default 1000)\n\n"
	    "prune prints \"pruned N events in M transactions\" (at most %d "
	    "events each).\n\n"
	    "See scimctl(8).\n", AUDIT_PRUNE_BATCH);
}

static int
cmd_audit(struct store *s, struct audit_query *q)
{
	struct scim_error	 err;
	cJSON			*arr, *e;
	char			*line;
	unsigned		 want = q->limit, got = 0, n;

	/* Page through the log; each page starts after the last id seen. */
	q->before = NULL;
	while (got < want) {
		q->limit = want - got > 500 ? 500 : want - got;
		if (audit_query(s, q, &arr, &err) != SCIM_OK) {
			fprintf(stderr, "scimctl: %s\n", err.detail);
			return 1;
		}
		n = 0;
		cJSON_ArrayForEach(e, arr) {
			if ((line = cJSON_PrintUnformatted(e)) != NULL) {
				printf("%s\n", line);
				free(line);
			}
			n++;
		}
		got += n;
		free((char *)q->before);
		q->before = n > 0 ? strdup(cJSON_GetObjectItem(
		    cJSON_GetArrayItem(arr, (int)n - 1), "id")->valuestring) :
		    NULL;
		cJSON_Delete(arr);
		if (n < q->limit || q->before == NULL)
			break;
	}
	free((char *)q->before);
	return 0;
}

/* What the command line asked for. */
struct ctl_opts {
	const char		*conf;		/* -c, or NULL */
	struct audit_query	 q;		/* audit */
	const char		*prune_tenant;	/* prune --tenant; NULL: all */
	long			 max;		/* deliver --max */
};

/*
 * Read the options into o.  Returns -1 to go on (optind at the
 * command), or the exit status (-h, -V, a bad option).
 */
static int
ctl_options(int argc, char *argv[], struct ctl_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "tenant", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "category", required_argument, NULL, 'C' },
		{ "type", required_argument, NULL, 'T' },
		{ "target", required_argument, NULL, 'g' },
		{ "limit", required_argument, NULL, 'l' },
		{ "max", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	long			 n;
	int			 ch;

	memset(o, 0, sizeof(*o));
	o->q.tenant = "default";
	o->q.limit = 1000;
	o->max = 1000;
	while ((ch = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1)
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 't': o->q.tenant = o->prune_tenant = optarg; break;
		case 'C': o->q.category = optarg; break;
		case 'T': o->q.type_prefix = optarg; break;
		case 'g': o->q.target = optarg; break;
		case 's':
		case 'u':
			if (!lex_when(optarg, false, util_now_usec(),
			    ch == 's' ? &o->q.since : &o->q.until)) {
				fprintf(stderr, "scimctl: bad time: %s\n",
				    optarg);
				return 2;
			}
			break;
		case 'l':
		case 'm':
			if (!util_parse_long(optarg, 1, 10000000, &n)) {
				usage(stderr);
				return 2;
			}
			if (ch == 'l')
				o->q.limit = (unsigned)n;
			else
				o->max = n;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("scimctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	return -1;
}

/* deliver: hand up to max waiting events to the hook. */
static int
cmd_deliver(struct store *s, const struct scim_config *cfg, long max)
{
	unsigned	 failed, done;

	done = audit_deliver(s, cfg, (unsigned)max, &failed);
	printf("%u delivered, %u failed\n", done, failed);
	return failed ? 1 : 0;
}

/*
 * prune: delete the events older than the retention of tenant, or of
 * every tenant when tenant is NULL (the default: cron's line prunes them
 * all, the tenant-less refusals of unauthenticated clients too).
 */
static int
cmd_prune(struct store *s, const struct scim_config *cfg, const char *tenant)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct audit_prune_stats ps;
	int			 rc;

	rc = audit_prune(s, cfg, tenant, &ps, &err) == SCIM_OK ? 0 : 1;
	printf("pruned %lu event%s in %lu transaction%s\n", ps.events,
	    ps.events == 1 ? "" : "s", ps.txns, ps.txns == 1 ? "" : "s");
	if (rc != 0)
		fprintf(stderr, "scimctl: prune: %s\n", err.detail);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct ctl_opts		 o;
	struct scim_config	 cfg;
	struct scim_error	 err = { SCIM_OK, "" };
	struct store		*s = NULL;
	const char		*cmd;
	int			 rc;

	if ((rc = ctl_options(argc, argv, &o)) >= 0)
		return rc;
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "audit") != 0 && strcmp(cmd, "deliver") != 0 &&
	    strcmp(cmd, "prune") != 0) {
		usage(stderr);
		return 2;
	}
	log_init("scimctl", LOG_LVL_WARN);
	if (config_load(&cfg, o.conf, &err) != SCIM_OK ||
	    service_drop_root(&cfg, &err) != SCIM_OK ||
	    store_open(&s, &cfg, &err) != SCIM_OK) {
		fprintf(stderr, "scimctl: %s\n", err.detail);
		return 1;
	}
	if (strcmp(cmd, "audit") == 0)
		rc = cmd_audit(s, &o.q);
	else if (strcmp(cmd, "deliver") == 0)
		rc = cmd_deliver(s, &cfg, o.max);
	else
		rc = cmd_prune(s, &cfg, o.prune_tenant);
	store_close(s);
	return rc;
}
