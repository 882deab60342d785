/*
 * scimctl's Manual User Sync commands (scimctl(8), common/sync/sync.h):
 *
 *   scimctl [-c file] graph credentials --tenant-id ID --client-id ID
 *           --secret-file FILE [--tenant T]
 *   scimctl [-c file] graph test [--tenant T]
 *   scimctl [-c file] graph groups [--search TEXT] [--json] [--tenant T]
 *   scimctl [-c file] graph preview [--auto] [--json] [--tenant T]
 *   scimctl [-c file] graph sync [--auto] [--quiet] [--tenant T]
 *   scimctl [-c file] graph status [--tenant T]
 *   scimctl [-c file] graph users [--json] [--tenant T]
 *
 * Exit status: 0 done; 1 a failure (Graph's or the store's, one line on
 * stderr with its hint); 2 bad arguments; 3 another sync of the tenant is
 * running.  The tenant defaults to [gate] tenant.  The admin page runs
 * `scimctl graph sync --tenant T` as its own process for Sync Now, and
 * cron runs `scimctl graph sync --auto`.
 *
 * scimctl.c hands these commands here (scimctl_graph_main()) before it
 * reads its own options.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/json.h"
#include "base/log.h"
#include "sync/sync.h"
#include "scimctl.h"

#define PROG	"scimctl"

/* What the command line asked for. */
struct graph_opts {
	const char	*conf;		/* -c, or NULL */
	const char	*tenant;	/* --tenant, or NULL: [gate] tenant */
	const char	*tenant_id;	/* --tenant-id */
	const char	*client_id;	/* --client-id */
	const char	*secret_file;	/* --secret-file ("-": stdin) */
	const char	*search;	/* --search */
	bool		 json, auto_only, quiet;
	const char	*sub;		/* the word after "graph" */
};

static void
graph_usage(FILE *f)
{
	fprintf(f,
	    "usage: scimctl [-c file] graph credentials --tenant-id ID "
	    "--client-id ID\n"
	    "                         --secret-file FILE [--tenant T]\n"
	    "       scimctl [-c file] graph test [--tenant T]\n"
	    "       scimctl [-c file] graph groups [--search TEXT] [--json] "
	    "[--tenant T]\n"
	    "       scimctl [-c file] graph preview [--auto] [--json] "
	    "[--tenant T]\n"
	    "       scimctl [-c file] graph sync [--auto] [--quiet] "
	    "[--tenant T]\n"
	    "       scimctl [-c file] graph status [--tenant T]\n"
	    "       scimctl [-c file] graph users [--json] [--tenant T]\n\n"
	    "Manual User Sync: import the users of mapped Entra ID groups "
	    "(scimctl roles)\nthrough Microsoft Graph.  See scimctl(8).\n");
}

/* Read the options after "graph"; -1 to go on, else the exit status. */
static int
graph_options(int argc, char *argv[], struct graph_opts *o)
{
	static const struct option longopts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "tenant-id", required_argument, NULL, 'T' },
		{ "client-id", required_argument, NULL, 'C' },
		{ "secret-file", required_argument, NULL, 'S' },
		{ "search", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "auto", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1)
		switch (ch) {
		case 't': o->tenant = optarg; break;
		case 'T': o->tenant_id = optarg; break;
		case 'C': o->client_id = optarg; break;
		case 'S': o->secret_file = optarg; break;
		case 's': o->search = optarg; break;
		case 'j': o->json = true; break;
		case 'a': o->auto_only = true; break;
		case 'q': o->quiet = true; break;
		case 'h':
			graph_usage(stdout);
			return 0;
		default:
			return cli_bad_option(PROG, argv, longopts, ch);
		}
	if (optind + 1 != argc) {
		graph_usage(stderr);
		return CLI_EX_USAGE;
	}
	o->sub = argv[optind];
	return -1;
}

/* Does each option belong to o->sub?  Says which does not. */
static bool
graph_words_ok(const struct graph_opts *o)
{
	const char	*s = o->sub;
	bool		 cred = strcmp(s, "credentials") == 0;

	if (!cred && strcmp(s, "test") != 0 && strcmp(s, "groups") != 0 &&
	    strcmp(s, "preview") != 0 && strcmp(s, "sync") != 0 &&
	    strcmp(s, "status") != 0 && strcmp(s, "users") != 0) {
		cli_usage_error(PROG, "graph: unknown command \"%s\"", s);
		return false;
	}
	if (cred != (o->tenant_id != NULL) || cred != (o->client_id != NULL) ||
	    cred != (o->secret_file != NULL)) {
		cli_usage_error(PROG, "graph credentials takes --tenant-id, "
		    "--client-id and --secret-file, and only it does");
		return false;
	}
	if ((o->search && strcmp(s, "groups") != 0) ||
	    (o->auto_only && strcmp(s, "preview") != 0 &&
	    strcmp(s, "sync") != 0) || (o->quiet && strcmp(s, "sync") != 0) ||
	    (o->json && strcmp(s, "groups") != 0 && strcmp(s, "preview") != 0 &&
	    strcmp(s, "users") != 0)) {
		cli_usage_error(PROG, "graph %s: an option that belongs to "
		    "another command (scimctl graph -h)", s);
		return false;
	}
	return true;
}

/* Print v, one line, and delete it. */
static int
graph_print(cJSON *v)
{
	char	*line = v ? cJSON_PrintUnformatted(v) : NULL;

	cJSON_Delete(v);
	if (line == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return 1;
	}
	printf("%s\n", line);
	free(line);
	return 0;
}

/* One line per element of arr (JSON), or fn's text; deletes arr. */
static int
graph_print_each(cJSON *arr, bool json, void (*text)(const cJSON *))
{
	const cJSON	*e;
	char		*line;
	int		 rc = 0;

	cJSON_ArrayForEach(e, arr) {
		if (!json) {
			text(e);
			continue;
		}
		if ((line = cJSON_PrintUnformatted(e)) == NULL) {
			rc = 1;
			break;
		}
		printf("%s\n", line);
		free(line);
	}
	cJSON_Delete(arr);
	return rc;
}

/* A JSON array of strings as "a, b". */
static void
graph_print_list(const cJSON *a)
{
	const cJSON	*e;

	cJSON_ArrayForEach(e, a)
		printf("%s%s", e == a->child ? "" : ", ",
		    cJSON_IsString(e) ? e->valuestring : "");
}

static void
graph_group_text(const cJSON *g)
{
	printf("%s\t%s\n", json_str(g, "id"),
	    json_str(g, "displayName"));
}

static void
graph_preview_text(const cJSON *u)
{
	printf("%s\t%s\t%s\t", json_str(u, "action"),
	    json_str(u, "userName"), json_str(u, "role"));
	graph_print_list(cJSON_GetObjectItemCaseSensitive(u, "groups"));
	if (*json_str(u, "note"))
		printf("\t(%s)", json_str(u, "note"));
	printf("\n");
}

static void
graph_user_text(const cJSON *u)
{
	printf("%s\t%s\t%s\t", json_str(u, "userName"),
	    json_str(u, "role"),
	    cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(u, "active")) ?
	    "inactive" : "active");
	graph_print_list(cJSON_GetObjectItemCaseSensitive(u, "groups"));
	printf("\n");
}

/*
 * graph credentials' secret: the first line of its file, read before
 * scimctl drops root (the file may be root's own), into cr.
 */
static int
graph_read_secret(const struct graph_opts *o, struct graph_creds *cr)
{
	FILE	*f;
	int	 rc = 0;

	memset(cr, 0, sizeof(*cr));
	f = strcmp(o->secret_file, "-") == 0 ? stdin :
	    fopen(o->secret_file, "r");
	if (f == NULL || fgets(cr->secret, sizeof(cr->secret), f) == NULL) {
		fprintf(stderr, "%s: %s: no secret to read\n", PROG,
		    o->secret_file);
		rc = CLI_EX_USAGE;
	}
	if (f != NULL && f != stdin)
		fclose(f);
	cr->secret[strcspn(cr->secret, "\r\n")] = '\0';
	snprintf(cr->tenant_id, sizeof(cr->tenant_id), "%s", o->tenant_id);
	snprintf(cr->client_id, sizeof(cr->client_id), "%s", o->client_id);
	return rc;
}

/* graph credentials: keep cr for tenant. */
static int
cmd_graph_credentials(struct store *s, const struct scim_config *cfg,
    const char *tenant, const struct graph_creds *cr)
{
	struct scim_error	 err = { SCIM_OK, "" };

	if (sync_creds_set(s, cfg, tenant, "cli", cr, &err) != SCIM_OK) {
		fprintf(stderr, "%s: %s\n", PROG, err.detail);
		return err.code == SCIM_E_INVALID_VALUE ? CLI_EX_USAGE : 1;
	}
	return 0;
}

/* graph sync: one line of counts. */
static int
cmd_graph_sync(struct store *s, const struct scim_config *cfg,
    const char *tenant, const struct graph_opts *o)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct sync_opts	 so = { tenant, o->auto_only ? "cron" : "cli",
				    o->auto_only, o->quiet };
	struct sync_result	 r;

	if (sync_run(s, cfg, &so, &r, &err) != SCIM_OK) {
		fprintf(stderr, "%s: sync failed: %s\n", PROG, err.detail);
		return err.code == SCIM_E_CONFLICT ? 3 : 1;
	}
	printf("created %zu, updated %zu, unchanged %zu, failed %zu of %zu "
	    "users in %lld ms\n", r.created, r.updated, r.unchanged, r.failed,
	    r.total, (long long)r.duration_ms);
	if (r.total == 0)
		printf("No users to sync: the mapped groups have no users\n");
	if (r.groups_missing > 0)
		printf("%zu mapping(s) name no group of the directory\n",
		    r.groups_missing);
	if (r.pruned > 0)
		printf("forgot the role records of %zu deleted user(s)\n",
		    r.pruned);
	return 0;
}

/* Run o->sub. */
static int
graph_run(struct store *s, const struct scim_config *cfg,
    const struct graph_opts *o, const struct graph_creds *cr)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct sync_opts	 so;
	const char		*tenant = o->tenant ? o->tenant :
				    cfg->gate_tenant;
	cJSON			*v = NULL;

	if (strcmp(o->sub, "credentials") == 0)
		return cmd_graph_credentials(s, cfg, tenant, cr);
	if (strcmp(o->sub, "sync") == 0)
		return cmd_graph_sync(s, cfg, tenant, o);
	memset(&so, 0, sizeof(so));
	so.tenant = tenant;
	so.actor = "cli";
	so.auto_only = o->auto_only;
	if (strcmp(o->sub, "test") == 0 &&
	    sync_test(cfg, tenant, &v, &err) == SCIM_OK) {
		cJSON_AddItemToObject(v, "credentials",
		    sync_creds_json(cfg, tenant));
		return graph_print(v);
	}
	if (strcmp(o->sub, "groups") == 0 &&
	    sync_groups(cfg, tenant, o->search, &v, &err) == SCIM_OK)
		return graph_print_each(v, o->json, graph_group_text);
	if (strcmp(o->sub, "preview") == 0 &&
	    sync_preview(s, cfg, &so, &v, &err) == SCIM_OK) {
		if (cJSON_GetArraySize(v) == 0 && !o->json)
			printf("No users to sync\n");
		return graph_print_each(v, o->json, graph_preview_text);
	}
	if (strcmp(o->sub, "status") == 0 &&
	    sync_status(s, cfg, tenant, &v, &err) == SCIM_OK)
		return graph_print(v);
	if (strcmp(o->sub, "users") == 0 &&
	    sync_users(s, cfg, tenant, &v, &err) == SCIM_OK)
		return graph_print_each(v, o->json, graph_user_text);
	fprintf(stderr, "%s: %s\n", PROG, err.detail);
	return 1;
}

int
scimctl_graph_main(int argc, char *argv[])
{
	struct graph_opts	 o;
	struct graph_creds	 cr;
	struct scim_config	 cfg;
	struct store		*s = NULL;
	int			 at, rc;

	memset(&o, 0, sizeof(o));
	memset(&cr, 0, sizeof(cr));
	if ((at = scimctl_command_at(argc, argv, &o.conf)) == 0 ||
	    strcmp(argv[at], "graph") != 0)
		return -1;
	if ((rc = graph_options(argc - at, argv + at, &o)) >= 0)
		return rc;
	if (!graph_words_ok(&o))
		return CLI_EX_USAGE;
	if (o.secret_file != NULL && (rc = graph_read_secret(&o, &cr)) != 0)
		return rc;
	if ((rc = scimctl_open(o.conf, &cfg, &s)) == 0) {
		log_init(PROG, cfg.log_level);
		rc = graph_run(s, &cfg, &o, &cr);
		store_close(s);
	}
	memset(&cr, 0, sizeof(cr));
	return rc;
}
