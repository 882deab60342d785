/*
 * scimctl: the operator's shell tool for the audit log and the event hook.
 *
 *   scimctl [-c file] audit [--tenant T] [--since WHEN] [--until WHEN]
 *           [--category C] [--type PREFIX] [--target ID|NAME] [--limit N]
 *   scimctl [-c file] deliver [--max N]
 *   scimctl [-c file] prune [--tenant T]
 *   scimctl [-c file] unique [--tenant T]
 *
 * audit prints matching events as JSON lines, newest first (for a SIEM);
 * deliver hands waiting events to the configured hook (for cron);
 * prune deletes events older than [audit] retention_days, of every tenant
 * (the tenant-less refusals too) or of the --tenant named, and says how
 * many, in how many transactions; without --tenant it also prunes the
 * activity files ([activity] retention_days and max_mb), silently;
 * unique makes the claims of unique extension values (scim/unique.h)
 * agree with the tenant's records and exits 2 naming each value two
 * records hold.
 *
 * The commands are one table (ctl_cmds: name, function, options, usage);
 * a new command is one entry and its function.  Arguments are checked
 * before anything is opened: each mistake gets one line naming it on
 * stderr and exit status 2 (base/cli.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/lex.h"
#include "audit/activity.h"
#include "audit/audit.h"
#include "auth/token.h"
#include "scim/schema-ext.h"
#include "scim/unique.h"
#include "scim/filter.h"
#include "base/log.h"
#include "web/service.h"
#include "base/util.h"
#include "scimctl.h"

#define PROG		"scimctl"
#define CTL_MAX_EVENTS	10000000	/* --limit, --max */

/* What the command line asked for. */
struct ctl_opts {
	const char		*conf;		/* -c, or NULL */
	struct audit_query	 q;		/* audit (and prune's tenant) */
	long			 max;		/* deliver --max */
	unsigned		 given;		/* CTL_OPT_ bits on the line */
};

/* The options after -c, as bits: which were given, which a command takes. */
#define CTL_OPT_TENANT		0x01
#define CTL_OPT_SINCE		0x02
#define CTL_OPT_UNTIL		0x04
#define CTL_OPT_CATEGORY	0x08
#define CTL_OPT_TYPE		0x10
#define CTL_OPT_TARGET		0x20
#define CTL_OPT_LIMIT		0x40
#define CTL_OPT_MAX		0x80

/* A command: its name, what it runs, the options it takes. */
struct ctl_cmd {
	const char	*name;
	int		(*run)(struct store *, const struct scim_config *,
			    struct ctl_opts *);
	unsigned	 opts;		/* CTL_OPT_ bits */
	const char	*usage;		/* its options, for --help */
};

static int	 cmd_audit(struct store *, const struct scim_config *,
		    struct ctl_opts *);
static int	 cmd_deliver(struct store *, const struct scim_config *,
		    struct ctl_opts *);
static int	 cmd_prune(struct store *, const struct scim_config *,
		    struct ctl_opts *);
static int	 cmd_unique(struct store *, const struct scim_config *,
		    struct ctl_opts *);

static const struct ctl_cmd ctl_cmds[] = {
	{ "audit", cmd_audit, CTL_OPT_TENANT | CTL_OPT_SINCE | CTL_OPT_UNTIL |
	    CTL_OPT_CATEGORY | CTL_OPT_TYPE | CTL_OPT_TARGET | CTL_OPT_LIMIT,
	    "[--tenant T] [--since WHEN] [--until WHEN]\n"
	    "               [--category C] [--type PREFIX] [--target ID] "
	    "[--limit N]" },
	{ "deliver", cmd_deliver, CTL_OPT_MAX, "[--max N]" },
	{ "prune", cmd_prune, CTL_OPT_TENANT, "[--tenant T]" },
	{ "unique", cmd_unique, CTL_OPT_TENANT, "[--tenant T]" },
};
static const size_t ctl_ncmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);

static void
usage(FILE *f)
{
	size_t	 i;

	for (i = 0; i < ctl_ncmds; i++)
		fprintf(f, "%s scimctl [-c file] %s%s%s\n",
		    i == 0 ? "usage:" : "      ", ctl_cmds[i].name,
		    *ctl_cmds[i].usage ? " " : "", ctl_cmds[i].usage);
	fprintf(f,
	    "       scimctl [-c file] roles list|add|delete ... "
	    "(scimctl roles -h)\n"
	    "       scimctl [-c file] user NAME [--tenant T] [--json]\n"
	    "       scimctl [-c file] users [--role R] [--tenant T] [--json]\n"
	    "       scimctl [-c file] graph credentials|test|groups|preview|"
	    "sync|status|users ...\n"
	    "                         (scimctl graph -h)\n"
	    "       scimctl [-c file] held list|approve|reject ... "
	    "(scimctl held -h)\n"
	    "       scimctl [-c file] activity [--errors] [--since WHEN] "
	    "[--user NAME] [--json]\n"
	    "                         [--tenant T] [--limit N] "
	    "(scimctl activity -h)\n"
	    "       scimctl [-c file] replication status [--json]\n"
	    "       scimctl -h | -V\n\n"
	    "  -c, --config FILE  configuration file (default $SCIM_CONF or "
	    "scim.conf)\n"
	    "  --tenant T         tenant (default \"default\"; \"\" for "
	    "auth.failed events);\n"
	    "                     prune: only this tenant (default: all)\n"
	    "  --since, --until   RFC 3339 time, or an age such as 30m, 24h, "
	    "7d\n"
	    "  --category C       scim, tokens, auth, admin, roles, sync, "
	    "safety or other\n"
	    "  --type PREFIX      event type or its start, e.g. scim.user.\n"
	    "  --target ID        events about this id or name\n"
	    "  --limit N          at most N events (default 1000)\n"
	    "  --max N            deliver at most N events (default 1000)\n\n"
	    "prune prints \"pruned N events in M transactions\" (at most %d "
	    "events each).\n"
	    "unique claims the values of attributes declared unique that no "
	    "claim names\n"
	    "(records written before the declaration), drops stale claims, "
	    "and exits 2\n"
	    "naming each value two records hold.\n\n"
	    "See scimctl(8).\n", AUDIT_PRUNE_BATCH);
}

static int
cmd_audit(struct store *s, const struct scim_config *cfg, struct ctl_opts *o)
{
	struct audit_query	*q = &o->q;
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

static const struct option ctl_longopts[] = {
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

/* Each CTL_OPT_ bit's getopt value, in bit order (for "does not take"). */
static const char ctl_opt_vals[] = "tsuCTglm";

/*
 * Check one option's value and keep it in o.  Returns -1 to go on, or
 * the exit status after saying what was wrong.
 */
static int
ctl_option(struct ctl_opts *o, int ch, const char *arg)
{
	const char	*p;
	long		 n;
	size_t		 i;

	switch (ch) {
	case 't':
		/* "" is the tenant of refused requests (auth.failed). */
		if (!scimctl_tenant_arg(arg))
			return CLI_EX_USAGE;
		o->q.tenant = arg;
		break;
	case 'C':
		for (i = 0; audit_categories[i] != NULL; i++)
			if (strcmp(arg, audit_categories[i]) == 0)
				break;
		if (audit_categories[i] == NULL)
			return cli_usage_error(PROG, "--category: \"%s\" is not "
			    "scim, tokens, auth, admin, roles, sync, safety or "
			    "other", arg);
		o->q.category = arg;
		break;
	case 'T': o->q.type_prefix = arg; break;
	case 'g': o->q.target = arg; break;
	case 's':
	case 'u':
		if (!scimctl_when_arg(ch == 's' ? "since" : "until", arg,
		    ch == 's' ? &o->q.since : &o->q.until))
			return CLI_EX_USAGE;
		break;
	case 'l':
		if (!cli_number(PROG, "--limit", arg, 1, CTL_MAX_EVENTS, &n))
			return 2;
		o->q.limit = (unsigned)n;
		break;
	case 'm':
		if (!cli_number(PROG, "--max", arg, 1, CTL_MAX_EVENTS, &o->max))
			return 2;
		break;
	}
	if ((p = strchr(ctl_opt_vals, ch)) != NULL)
		o->given |= 1U << (p - ctl_opt_vals);
	return -1;
}

/*
 * Read the options into o.  Returns -1 to go on (optind at the
 * command), or the exit status (-h, -V, a bad option).
 */
static int
ctl_options(int argc, char *argv[], struct ctl_opts *o)
{
	int	 ch, rc;

	memset(o, 0, sizeof(*o));
	o->q.tenant = "default";
	o->q.limit = 1000;
	o->max = 1000;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:hV", ctl_longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'c':
			o->conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("scimctl %s\n", PACKAGE_VERSION);
			return 0;
		case '?':
		case ':':
			return cli_bad_option(PROG, argv, ctl_longopts, ch);
		default:
			if ((rc = ctl_option(o, ch, optarg)) >= 0)
				return rc;
		}
	if ((o->given & (CTL_OPT_SINCE | CTL_OPT_UNTIL)) ==
	    (CTL_OPT_SINCE | CTL_OPT_UNTIL) && o->q.since > o->q.until)
		return cli_usage_error(PROG, "--since is after --until: no "
		    "event can match");
	return -1;
}

/* deliver: hand up to max waiting events to the hook. */
static int
cmd_deliver(struct store *s, const struct scim_config *cfg,
    struct ctl_opts *o)
{
	unsigned	 failed, done;

	done = audit_deliver(s, cfg, (unsigned)o->max, &failed);
	printf("%u delivered, %u failed\n", done, failed);
	return failed ? 1 : 0;
}

/*
 * prune: delete the events older than the retention of --tenant, or of
 * every tenant when it is not given (the default: cron's line prunes them
 * all, the tenant-less refusals of unauthenticated clients too).
 */
static int
cmd_prune(struct store *s, const struct scim_config *cfg, struct ctl_opts *o)
{
	const char		*tenant = o->given & CTL_OPT_TENANT ?
				    o->q.tenant : NULL;
	struct scim_error	 err = { SCIM_OK, "" };
	struct audit_prune_stats ps;
	int			 rc;

	rc = audit_prune(s, cfg, tenant, &ps, &err) == SCIM_OK ? 0 : 1;
	/* The activity files too (every tenant's: they are shared). */
	if (tenant == NULL)
		activity_prune(cfg, 0, NULL);
	printf("pruned %lu event%s in %lu transaction%s\n", ps.events,
	    ps.events == 1 ? "" : "s", ps.txns, ps.txns == 1 ? "" : "s");
	if (rc != 0)
		fprintf(stderr, "scimctl: prune: %s\n", err.detail);
	return rc;
}

/* unique: one line per value two records of the tenant hold. */
static void
unique_dup_line(void *arg, const char *type, const char *path,
    const char *value, const char *holder, const char *other)
{
	(void)arg;
	printf("duplicate: %s %s \"%s\" is held by %s and %s\n", type, path,
	    value, holder, other);
}

/*
 * unique: make the tenant's claims of unique extension values agree
 * with its records (unique_rebuild()): 0, 2 when values are held twice
 * (the operator decides which record keeps each), 1 on a store error.
 */
static int
cmd_unique(struct store *s, const struct scim_config *cfg,
    struct ctl_opts *o)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct unique_report	 r;

	(void)cfg;
	if (unique_rebuild(s, o->q.tenant, unique_dup_line, NULL, &r,
	    &err) != SCIM_OK) {
		fprintf(stderr, "scimctl: unique: %s\n", err.detail);
		return 1;
	}
	printf("%zu record%s read, %zu claim%s written, %zu stale claim%s "
	    "removed, %zu value%s held twice\n", r.records,
	    r.records == 1 ? "" : "s", r.claimed, r.claimed == 1 ? "" : "s",
	    r.dropped, r.dropped == 1 ? "" : "s", r.dups,
	    r.dups == 1 ? "" : "s");
	return r.dups > 0 ? 2 : 0;
}

/*
 * The command in argv (argc words after the options), checked against
 * what it takes before anything is opened.  Returns it, or NULL after
 * saying in one line what was wrong.
 */
static const struct ctl_cmd *
ctl_command(const struct ctl_opts *o, int argc, char *argv[])
{
	const struct ctl_cmd	*c = NULL;
	unsigned		 extra;
	size_t			 i, j;

	if (argc == 0) {
		cli_usage_error(PROG, "no command given (scimctl --help lists "
		    "them)");
		return NULL;
	}
	for (i = 0; i < ctl_ncmds && c == NULL; i++)
		if (strcmp(ctl_cmds[i].name, argv[0]) == 0)
			c = &ctl_cmds[i];
	if (c == NULL) {
		cli_usage_error(PROG, "unknown command \"%s\" (scimctl --help "
		    "lists them)", argv[0]);
		return NULL;
	}
	if (argc > 1) {
		cli_usage_error(PROG, "%s: unexpected argument \"%s\"",
		    c->name, argv[1]);
		return NULL;
	}
	if ((extra = o->given & ~c->opts) != 0) {
		for (i = 0; (extra & (1U << i)) == 0; i++)
			;
		for (j = 0; ctl_longopts[j].val != ctl_opt_vals[i];
		    j++)
			;
		cli_usage_error(PROG, "%s does not take --%s", c->name,
		    ctl_longopts[j].name);
		return NULL;
	}
	return c;
}

int
scimctl_command_at(int argc, char *argv[], const char **conf)
{
	int	 i;

	for (i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			*conf = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			*conf = argv[i] + 9;
		else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0')
			*conf = argv[i] + 2;
		else
			return argv[i][0] == '-' ? 0 : i;
	}
	return 0;
}

bool
scimctl_tenant_arg(const char *arg)
{
	if (*arg == '\0' || token_tenant_valid(arg))
		return true;
	cli_usage_error(PROG, "--tenant: \"%s\" is not a tenant: 1 to 64 "
	    "letters, digits, '.', '_', '@' or '-', or \"\"", arg);
	return false;
}

bool
scimctl_when_arg(const char *opt, const char *arg, int64_t *out)
{
	if (lex_when(arg, false, util_now_usec(), out))
		return true;
	cli_usage_error(PROG, "--%s: \"%s\" is not an RFC 3339 time "
	    "(2026-11-01T00:00:00Z) or an age (90s, 30m, 24h, 7d)", opt, arg);
	return false;
}

int
scimctl_open(const char *conf, struct scim_config *cfg, struct store **s)
{
	struct scim_error	 err = { SCIM_OK, "" };

	log_init("scimctl", LOG_LVL_WARN);
	if (config_load(cfg, conf, &err) != SCIM_OK) {
		fprintf(stderr, "scimctl: %s\n", err.detail);
		return 1;
	}
	/* No scim.conf anywhere: say which -c, make no store by mistake. */
	if (config_require_file(cfg, PROG, &err) != SCIM_OK) {
		fprintf(stderr, "scimctl: %s\n", err.detail);
		return CLI_EX_USAGE;
	}
	/*
	 * The declared extensions, as the programs load them: a user the
	 * sync writes is checked against the same schema as one Entra
	 * sends, and a bad definition stops scimctl as it stops them.
	 */
	if (schema_ext_configure(cfg->extensions, cfg->refuse_undeclared_ext,
	    &err) != SCIM_OK) {
		fprintf(stderr, "scimctl: %s\n", err.detail);
		return 1;
	}
	if (service_drop_root(cfg, &err) != SCIM_OK ||
	    store_open(s, cfg, &err) != SCIM_OK) {
		fprintf(stderr, "scimctl: %s\n", err.detail);
		return 1;
	}
	return 0;
}

/*
 * The families of commands in files of their own: each runs argv and
 * returns its exit status when argv's command is one of its, else -1.
 */
static int (*const ctl_families[])(int, char *[]) = {
	scimctl_roles_main,	/* roles, user, users */
	scimctl_graph_main,	/* graph */
	scimctl_held_main,	/* held */
	scimctl_activity_main,	/* activity */
	scimctl_repl_main,	/* replication */
};

int
main(int argc, char *argv[])
{
	struct ctl_opts		 o;
	struct scim_config	 cfg;
	struct store		*s = NULL;
	const struct ctl_cmd	*c;
	size_t			 i;
	int			 rc;

	/* Command families with files of their own (scimctl.h). */
	for (i = 0; i < sizeof(ctl_families) / sizeof(ctl_families[0]); i++)
		if ((rc = ctl_families[i](argc, argv)) >= 0)
			return rc;
	if ((rc = ctl_options(argc, argv, &o)) >= 0)
		return rc;
	if ((c = ctl_command(&o, argc - optind, argv + optind)) == NULL)
		return CLI_EX_USAGE;
	if ((rc = scimctl_open(o.conf, &cfg, &s)) != 0)
		return rc;
	rc = c->run(s, &cfg, &o);
	store_close(s);
	return rc;
}
