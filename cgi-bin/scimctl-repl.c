/*
 * scimctl's replication commands (scimctl(8), store-rep.h):
 *
 *   scimctl [-c file] replication status [--json]
 *   scimctl [-c file] replication remove HOST:PORT
 *
 * status prints this site's role (master, replica, or none while no
 * master is known or scim-repd is not running), the master's replication
 * address, this site's log end and (a replica) its lag, and one line per
 * other site: its address, whether this site's scim-repd is connected to
 * it, how far behind the master it is ("-" when this site cannot tell),
 * and its SCIM URL.  --json prints one object instead: role, master,
 * repd, lsn, lag and peers[] {address, url, state, lag}.  It reads what scim-repd
 * publishes in the gate file and never opens the environment, so it is
 * safe while the store recovers.  remove takes the site at HOST:PORT
 * (its [replication] site) out of the group for good (store_rep_remove():
 * the group's size and quorum shrink by one); it opens the store, and
 * needs this site's scim-repd and a master.  Bad usage, replication off
 * in the configuration, or (remove) an address that is this site or no
 * site of the group: one line on stderr and exit 2; no master to confirm
 * the removal: exit 1.
 *
 * scimctl.c hands the command here (scimctl_repl_main()) before it
 * reads its own options, so the two files share no option table.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/cli.h"
#include "base/config.h"
#include "base/log.h"
#include "store/store.h"
#include "store/store-rep.h"
#include "scimctl.h"

#define PROG	"scimctl"

static void
repl_usage(FILE *f)
{
	fprintf(f,
	    "usage: scimctl [-c file] replication status [--json]\n"
	    "       scimctl [-c file] replication remove HOST:PORT\n\n"
	    "status: this site's role in its replication group "
	    "([replication] in\nscim.conf), the master, and each other "
	    "site's state and lag, as this\nsite's scim-repd last saw them.\n"
	    "remove: take the site whose [replication] site is HOST:PORT out "
	    "of the\ngroup for good (the group's size and quorum shrink by "
	    "one).\nSee scimctl(8) and scim-repd(8).\n");
}

/* What follows "replication". */
struct repl_cmd {
	bool		 remove;	/* else status */
	bool		 json;
	char		 host[STORE_REP_ADDR_MAX];
	unsigned	 port;
};

/* The command's words after the options; -1 to go on, else the exit. */
static int
repl_words(int argc, char *argv[], struct repl_cmd *cmd)
{
	const char	*name;

	if (optind >= argc)
		return cli_usage_error(PROG, "replication: status or remove? "
		    "(scimctl replication --help)");
	name = argv[optind++];
	if (strcmp(name, "status") == 0) {
		if (optind < argc)
			return cli_usage_error(PROG, "replication status: "
			    "unexpected argument \"%s\"", argv[optind]);
		return -1;
	}
	if (strcmp(name, "remove") != 0)
		return cli_usage_error(PROG, "replication: unknown command "
		    "\"%s\" (status, remove)", name);
	cmd->remove = true;
	if (cmd->json)
		return cli_usage_error(PROG, "replication remove: --json is "
		    "for status");
	if (optind >= argc)
		return cli_usage_error(PROG, "replication remove: which site? "
		    "(HOST:PORT, as its [replication] site)");
	if (optind + 1 < argc)
		return cli_usage_error(PROG, "replication remove: unexpected "
		    "argument \"%s\"", argv[optind + 1]);
	if (!config_hostport(argv[optind], cmd->host, &cmd->port))
		return cli_usage_error(PROG, "replication remove: \"%s\" is "
		    "not HOST:PORT", argv[optind]);
	return -1;
}

/* Read what follows "replication"; -1 to go on, else the exit status. */
static int
repl_options(int argc, char *argv[], struct repl_cmd *cmd)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1)
		switch (ch) {
		case 'j':
			cmd->json = true;
			break;
		case 'h':
			repl_usage(stdout);
			return 0;
		default:
			return cli_bad_option(PROG, argv, longopts, ch);
		}
	return repl_words(argc, argv, cmd);
}

/* scimctl replication remove: through this site's store. */
static int
repl_remove(const char *conf, const struct repl_cmd *cmd)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct scim_config	 cfg;
	struct store		*s = NULL;
	enum scim_err		 rc;
	int			 ex;

	if ((ex = scimctl_open(conf, &cfg, &s)) != 0)
		return ex;
	rc = store_rep_remove(s, cmd->host, cmd->port, &err);
	store_close(s);
	if (rc != SCIM_OK) {
		fprintf(stderr, "%s: replication remove: %s\n", PROG,
		    err.detail);
		return rc == SCIM_E_BAD_REQUEST ? CLI_EX_USAGE : 1;
	}
	printf("removed %s:%u from the replication group\n", cmd->host,
	    cmd->port);
	return 0;
}

/* One peer's lag as text: bytes, or "-" when not known. */
static void
repl_lag_text(const struct store_rep_peer *p, char *buf, size_t len)
{
	if (p->lag_known)
		snprintf(buf, len, "%lld", p->lag);
	else
		snprintf(buf, len, "-");
}

static int
repl_print_text(const struct store_rep_status *st)
{
	char	 lag[32];
	size_t	 i;

	printf("role: %s\n", store_rep_role_name(st->role));
	printf("master: %s\n", st->master[0] != '\0' ? st->master : "none");
	if (!st->repd)
		printf("scim-repd: not running\n");
	else
		printf("log end: %lu/%lu\n", st->lsn_file, st->lsn_offset);
	if (st->lag_known)
		printf("lag: %lld\n", st->lag);
	for (i = 0; i < st->npeers; i++) {
		repl_lag_text(&st->peers[i], lag, sizeof(lag));
		printf("peer: %s %s lag %s %s\n", st->peers[i].addr,
		    st->peers[i].connected ? "connected" : "disconnected",
		    lag, st->peers[i].url[0] != '\0' ? st->peers[i].url : "-");
	}
	return 0;
}

static int
repl_print_json(const struct store_rep_status *st)
{
	cJSON	*o, *peers, *p;
	char	*text, lsn[48];
	size_t	 i;

	if ((o = cJSON_CreateObject()) == NULL)
		goto oom;
	snprintf(lsn, sizeof(lsn), "%lu/%lu", st->lsn_file, st->lsn_offset);
	cJSON_AddStringToObject(o, "role", store_rep_role_name(st->role));
	if (st->master[0] != '\0')
		cJSON_AddStringToObject(o, "master", st->master);
	else
		cJSON_AddNullToObject(o, "master");
	cJSON_AddBoolToObject(o, "repd", st->repd);
	cJSON_AddStringToObject(o, "lsn", lsn);
	if (st->lag_known)
		cJSON_AddNumberToObject(o, "lag", (double)st->lag);
	else
		cJSON_AddNullToObject(o, "lag");
	if ((peers = cJSON_AddArrayToObject(o, "peers")) == NULL)
		goto oom;
	for (i = 0; i < st->npeers; i++) {
		if ((p = cJSON_CreateObject()) == NULL)
			goto oom;
		cJSON_AddItemToArray(peers, p);
		cJSON_AddStringToObject(p, "address", st->peers[i].addr);
		if (st->peers[i].url[0] != '\0')
			cJSON_AddStringToObject(p, "url", st->peers[i].url);
		else
			cJSON_AddNullToObject(p, "url");
		cJSON_AddStringToObject(p, "state", st->peers[i].connected ?
		    "connected" : "disconnected");
		if (st->peers[i].lag_known)
			cJSON_AddNumberToObject(p, "lag",
			    (double)st->peers[i].lag);
		else
			cJSON_AddNullToObject(p, "lag");
	}
	if ((text = cJSON_PrintUnformatted(o)) == NULL)
		goto oom;
	printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
	return 0;
oom:
	cJSON_Delete(o);
	fprintf(stderr, "%s: out of memory\n", PROG);
	return 1;
}

int
scimctl_repl_main(int argc, char *argv[])
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct store_rep_status	 st;
	struct scim_config	 cfg;
	struct repl_cmd		 cmd;
	const char		*conf = NULL;
	int			 at, rc;

	if ((at = scimctl_command_at(argc, argv, &conf)) == 0 ||
	    strcmp(argv[at], "replication") != 0)
		return -1;
	memset(&cmd, 0, sizeof(cmd));
	if ((rc = repl_options(argc - at, argv + at, &cmd)) >= 0)
		return rc;
	if (cmd.remove)
		return repl_remove(conf, &cmd);
	log_init(PROG, LOG_LVL_WARN);
	if (config_load(&cfg, conf, &err) != SCIM_OK) {
		fprintf(stderr, "%s: %s\n", PROG, err.detail);
		return 1;
	}
	if (store_rep_status(&cfg, &st, &err) != SCIM_OK) {
		fprintf(stderr, "%s: %s\n", PROG, err.detail);
		return err.code == SCIM_E_NOT_FOUND ? CLI_EX_USAGE : 1;
	}
	return cmd.json ? repl_print_json(&st) : repl_print_text(&st);
}
