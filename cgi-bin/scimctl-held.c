/*
 * scimctl's held-deprovisioning commands (scimctl(8), held.h):
 *
 *   scimctl [-c file] held list [--json] [--tenant T]
 *   scimctl [-c file] held approve ID|--all [--tenant T]
 *   scimctl [-c file] held reject ID|--all [--reason TEXT] [--tenant T]
 *
 * list prints one line per held (or rejected) operation, oldest first,
 * or with --json one object per line; approve replays the operations
 * through the handlers that held them and prints each one's id, status
 * and outcome; reject refuses their retries for the rest of the window.
 * Bad input (a reason over 200 bytes too) is one line on stderr and exit
 * 2; an ID that is not held is exit 3; a failure of the store is exit 1.  The tenant defaults to
 * "default", as for scimctl audit.
 *
 * scimctl.c hands the command here (scimctl_held_main()) before it reads
 * its own options, so the two files share no option table.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "auth/token.h"
#include "base/json.h"
#include "scim/held.h"
#include "web/service.h"
#include "scimctl.h"

#define PROG	"scimctl"

/* What the command line asked for. */
struct held_opts {
	const char	*conf;		/* -c, or NULL */
	const char	*tenant;	/* --tenant */
	const char	*reason;	/* --reason (reject) */
	bool		 json;		/* --json (list) */
	bool		 all;		/* --all (approve, reject) */
	const char	*verb;		/* list, approve, reject */
	const char	*id;		/* the operation, or NULL */
};

static void
held_usage(FILE *f)
{
	fprintf(f,
	    "usage: scimctl [-c file] held list [--json] [--tenant T]\n"
	    "       scimctl [-c file] held approve ID|--all [--tenant T]\n"
	    "       scimctl [-c file] held reject ID|--all [--reason TEXT] "
	    "[--tenant T]\n\n"
	    "Deprovisions over [safety] max_deprovisions are held until an "
	    "owner\napproves (they are applied, in order) or rejects them "
	    "(retries get 409\nuntil the window ends).  See scimctl(8).\n");
}

/* Read what follows "held"; -1 to go on, else the exit status. */
static int
held_options(int argc, char *argv[], struct held_opts *o)
{
	static const struct option longopts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		switch (ch) {
		case 't':
			if (!token_tenant_valid(optarg))
				return cli_usage_error(PROG, "--tenant: \"%s\" "
				    "is not a tenant", optarg);
			o->tenant = optarg;
			break;
		case 'r': o->reason = optarg; break;
		case 'j': o->json = true; break;
		case 'a': o->all = true; break;
		case 'h':
			held_usage(stdout);
			return 0;
		default:
			held_usage(stderr);
			return CLI_EX_USAGE;
		}
	if (optind >= argc)
		return cli_usage_error(PROG, "held: list, approve or reject?");
	o->verb = argv[optind++];
	if (optind < argc)
		o->id = argv[optind++];
	if (optind < argc)
		return cli_usage_error(PROG, "held %s: unexpected argument "
		    "\"%s\"", o->verb, argv[optind]);
	if (strcmp(o->verb, "list") == 0) {
		if (o->id != NULL || o->all || o->reason != NULL)
			return cli_usage_error(PROG, "held list takes only "
			    "--json and --tenant");
	} else if (strcmp(o->verb, "approve") == 0 ||
	    strcmp(o->verb, "reject") == 0) {
		if ((o->id != NULL) == o->all)
			return cli_usage_error(PROG, "held %s: give an ID or "
			    "--all", o->verb);
		if (o->json || (o->reason != NULL &&
		    strcmp(o->verb, "reject") != 0))
			return cli_usage_error(PROG, "held %s does not take "
			    "%s", o->verb, o->json ? "--json" : "--reason");
	} else
		return cli_usage_error(PROG, "held: unknown command \"%s\" "
		    "(list, approve, reject)", o->verb);
	return -1;
}

/* The exit status of a failed command: 3 for an operation not held. */
static int
held_fail(const struct scim_error *err)
{
	fprintf(stderr, "%s: %s\n", PROG, err->detail);
	return err->code == SCIM_E_NOT_FOUND ? 3 :
	    err->code == SCIM_E_INVALID_VALUE ? CLI_EX_USAGE : 1;
}

/* held list: a line (or a JSON object) per operation, oldest first. */
static int
cmd_held_list(struct scim_ctx *ctx, const struct held_opts *o)
{
	struct scim_error	 err = { SCIM_OK, "" };
	const cJSON		*e, *u, *g;
	cJSON			*arr;
	char			*line;

	if (held_list(ctx->store, o->tenant, &arr, &err) != SCIM_OK)
		return held_fail(&err);
	cJSON_ArrayForEach(e, arr) {
		if (o->json) {
			if ((line = cJSON_PrintUnformatted(e)) == NULL)
				break;
			printf("%s\n", line);
			free(line);
			continue;
		}
		u = cJSON_GetObjectItemCaseSensitive(e, "user");
		g = cJSON_GetObjectItemCaseSensitive(e, "group");
		printf("%s\t%s\t%s\t%s\t%s", json_str(e, "id"),
		    json_str(e, "state"), json_str(e, "since"),
		    json_str(e, "op"), json_str(u, "userName"));
		if (g != NULL)
			printf("\tgroup=%s\tcount=%lld",
			    json_str(g, "displayName"),
			    (long long)json_int(e, "count"));
		printf("\n");
	}
	cJSON_Delete(arr);
	return e == NULL ? 0 : 1;
}

/* held approve|reject ID|--all. */
static int
cmd_held_decide(struct scim_ctx *ctx, const struct held_opts *o)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct held_decision	 d = { o->tenant, o->id, "cli", o->reason,
				    ctx };
	const cJSON		*e;
	cJSON			*done = NULL;
	enum scim_err		 rc;
	unsigned		 n = 0;

	if (strcmp(o->verb, "reject") == 0) {
		rc = held_reject(&d, &n, &err);
		if (rc == SCIM_OK || n > 0)
			printf("rejected %u operation%s\n", n,
			    n == 1 ? "" : "s");
		return rc == SCIM_OK ? 0 : held_fail(&err);
	}
	rc = held_approve(&d, &done, &err);
	cJSON_ArrayForEach(e, done)
		printf("%s\t%lld\t%s\n", json_str(e, "id"),
		    (long long)json_int(e, "status"), json_str(e, "detail"));
	cJSON_Delete(done);
	return rc == SCIM_OK ? 0 : held_fail(&err);
}

int
scimctl_held_main(int argc, char *argv[])
{
	struct held_opts	 o;
	struct scim_ctx		*ctx;
	int			 at, rc;

	memset(&o, 0, sizeof(o));
	o.tenant = "default";
	if ((at = scimctl_command_at(argc, argv, &o.conf)) == 0 ||
	    strcmp(argv[at], "held") != 0)
		return -1;
	if ((rc = held_options(argc - at, argv + at, &o)) >= 0)
		return rc;
	/* The handlers a replay runs read the whole context: keep it off
	   the stack, with the configuration inside. */
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return 1;
	}
	if ((rc = scimctl_open(o.conf, &ctx->cfg, &ctx->store)) == 0) {
		rc = strcmp(o.verb, "list") == 0 ? cmd_held_list(ctx, &o) :
		    cmd_held_decide(ctx, &o);
		store_close(ctx->store);
	}
	free(ctx);
	return rc;
}
