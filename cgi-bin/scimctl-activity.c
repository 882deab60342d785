/*
 * scimctl's activity command (scimctl(8)): the provisioning activity
 * records (audit/activity.h), newest first.
 *
 *   scimctl [-c file] activity [--errors] [--since WHEN] [--until WHEN]
 *           [--user NAME] [--client NAME] [--tenant T] [--limit N] [--json]
 *
 * Without --json, one line per request: time, status, method and path,
 * client, token label (or id), the action in words and the duration, and
 * for a refused request its scimType and detail on the next line.  With
 * --json, each record as one JSON object per line.  Bad input is one line
 * on stderr and exit 2; an unreadable activity directory exit 1.
 *
 * scimctl.c hands the command here (scimctl_activity_main()) before it
 * reads its own options, so the two files share no option table.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/activity.h"
#include "base/cli.h"
#include "scimctl.h"

#define PROG		"scimctl"
#define ACT_LIMIT_MAX	1000000

/* What the command line asked for. */
struct act_opts {
	const char		*conf;		/* -c, or NULL */
	struct activity_query	 q;
	bool			 json;
};

static void
act_usage(FILE *f)
{
	fprintf(f,
	    "usage: scimctl [-c file] activity [--errors] [--since WHEN] "
	    "[--until WHEN]\n"
	    "                         [--user NAME] [--client NAME] "
	    "[--tenant T] [--limit N]\n"
	    "                         [--json]\n\n"
	    "  --errors           only requests answered with status 400 or "
	    "more\n"
	    "  --since, --until   RFC 3339 time, or an age such as 30m, 24h, "
	    "7d\n"
	    "  --user NAME        requests about this userName or user id\n"
	    "  --client NAME      e.g. \"Microsoft Entra ID\", Okta, curl\n"
	    "  --tenant T         only this tenant (default: all)\n"
	    "  --limit N          at most N requests (default 100)\n"
	    "  --json             one JSON object per request\n\n"
	    "See scimctl(8).\n");
}

/* Check one option's value into o; -1 to go on, else the exit status. */
static int
act_option(struct act_opts *o, int ch, const char *arg)
{
	long	 n;

	switch (ch) {
	case 'e': o->q.errors = true; break;
	case 'j': o->json = true; break;
	case 'U': o->q.user = arg; break;
	case 'C': o->q.client = arg; break;
	case 't':
		if (!scimctl_tenant_arg(arg))
			return CLI_EX_USAGE;
		o->q.tenant = arg;
		break;
	case 's':
	case 'u':
		if (!scimctl_when_arg(ch == 's' ? "since" : "until", arg,
		    ch == 's' ? &o->q.since : &o->q.until))
			return CLI_EX_USAGE;
		break;
	case 'l':
		if (!cli_number(PROG, "--limit", arg, 1, ACT_LIMIT_MAX, &n))
			return 2;
		o->q.limit = (unsigned)n;
		break;
	case 'h':
		act_usage(stdout);
		return 0;
	default:
		act_usage(stderr);
		return 2;
	}
	return -1;
}

static int
act_options(int argc, char *argv[], struct act_opts *o)
{
	static const struct option longopts[] = {
		{ "errors", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "user", required_argument, NULL, 'U' },
		{ "client", required_argument, NULL, 'C' },
		{ "tenant", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "limit", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		if ((rc = act_option(o, ch, optarg)) >= 0)
			return rc;
	if (optind < argc)
		return cli_usage_error(PROG, "activity: unexpected argument "
		    "\"%s\"", argv[optind]);
	if (o->q.since != 0 && o->q.until != 0 && o->q.since > o->q.until)
		return cli_usage_error(PROG, "--since is after --until: no "
		    "request can match");
	return -1;
}

static const char *
rec_str(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* One record as a line (and its error on the next), for people. */
static void
act_print_line(const cJSON *rec)
{
	const cJSON	*tok = cJSON_GetObjectItemCaseSensitive(rec, "token");
	const cJSON	*st = cJSON_GetObjectItemCaseSensitive(rec, "status");
	const cJSON	*ms = cJSON_GetObjectItemCaseSensitive(rec,
			    "duration_ms");
	const char	*who = rec_str(tok, "label");
	const char	*q = rec_str(rec, "query");

	if (*who == '\0')
		who = *rec_str(tok, "id") ? rec_str(tok, "id") : "-";
	printf("%s  %d  %s %s%s%s  [%s, %s]  %s  (%.1f ms)\n",
	    rec_str(rec, "time"), cJSON_IsNumber(st) ? st->valueint : 0,
	    rec_str(rec, "method"), rec_str(rec, "path"), *q ? "?" : "", q,
	    rec_str(rec, "client"), who, rec_str(rec, "action"),
	    cJSON_IsNumber(ms) ? ms->valuedouble : 0.0);
	if (*rec_str(rec, "detail") != '\0')
		printf("    %s%s%s\n", rec_str(rec, "scimType"),
		    *rec_str(rec, "scimType") ? ": " : "",
		    rec_str(rec, "detail"));
}

static int
act_run(const struct scim_config *cfg, const struct act_opts *o)
{
	struct scim_error	 err = { SCIM_OK, "" };
	const cJSON		*rec;
	cJSON			*all;
	char			*line;

	if (activity_query(cfg, &o->q, &all, &err) != SCIM_OK) {
		fprintf(stderr, "scimctl: activity: %s\n", err.detail);
		return 1;
	}
	cJSON_ArrayForEach(rec, all) {
		if (!o->json) {
			act_print_line(rec);
			continue;
		}
		if ((line = cJSON_PrintUnformatted(rec)) == NULL)
			break;
		printf("%s\n", line);
		free(line);
	}
	cJSON_Delete(all);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
scimctl_activity_main(int argc, char *argv[])
{
	struct act_opts		 o;
	struct scim_config	 cfg;
	struct store		*s = NULL;
	int			 at, rc;

	memset(&o, 0, sizeof(o));
	o.q.limit = 100;
	if ((at = scimctl_command_at(argc, argv, &o.conf)) == 0 ||
	    strcmp(argv[at], "activity") != 0)
		return -1;
	if ((rc = act_options(argc - at, argv + at, &o)) >= 0)
		return rc;
	/* The records are files; the store is opened for its checks. */
	if ((rc = scimctl_open(o.conf, &cfg, &s)) != 0)
		return rc;
	store_close(s);
	return act_run(&cfg, &o);
}
