/*
 * scim-repd: a site's replication process (scim-repd(8)).  One per data
 * home, long-lived, started before the web server's workers: it opens
 * the environment, starts Berkeley DB's replication manager as the
 * site's listener (the first repmgr_start() caller of the environment;
 * the workers join as subordinates, store-rep.c), and every 100 ms
 * publishes the site's role and master in the gate file for the other
 * processes (store_rep_tick()).  SIGTERM or SIGINT close it cleanly.
 *
 * When the environment is recovered under it (a worker died inside it
 * and the next opener recovered), Berkeley DB cannot release the
 * panicked environment's handles, so it executes itself again: a fresh
 * process opens the new environment and starts repmgr again, with no
 * step by anyone.  After a SIGKILL its supervisor (systemd's
 * Restart=always, ./bootstrap cluster's loop) starts it again; that open
 * recovers the environment through the store's gate.
 *
 * Like every program here it never runs as root: started as root, it
 * becomes the owner of the data home (service_drop_root()).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/config.h"
#include "base/log.h"
#include "store/store.h"
#include "store/store-rep.h"
#include "web/service.h"

#define PROG		"scim-repd"
#define TICK_MS		100	/* how often the role is published */
#define RESTART_MIN_S	1	/* never execute itself faster than this */
#define FD_CLOSE_MAX	4096	/* descriptors closed before re-executing */

static volatile sig_atomic_t	 repd_stop;

static void
repd_on_signal(int sig)
{
	(void)sig;
	repd_stop = 1;
}

static void
repd_usage(FILE *f)
{
	fprintf(f, "usage: %s [-c file]\n\n"
	    "The replication process of one site of a replication group "
	    "([replication]\nin scim.conf): runs until SIGTERM.  See "
	    "scim-repd(8).\n", PROG);
}

/* Read the options; -1 to go on, else the exit status. */
static int
repd_options(int argc, char *argv[], const char **conf)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			*conf = optarg;
			break;
		case 'h':
			repd_usage(stdout);
			return 0;
		default:
			return cli_bad_option(PROG, argv, longopts, ch);
		}
	if (optind < argc)
		return cli_usage_error(PROG, "unexpected argument \"%s\"",
		    argv[optind]);
	return -1;
}

/*
 * Start again as a new process: the environment was recovered under
 * this one.  Every descriptor but the standard ones is closed first (the
 * replication port among them, or the new process could not listen).
 */
static void
repd_reexec(char *argv[], time_t started)
{
	int	 fd;

	if (time(NULL) - started < RESTART_MIN_S)
		sleep(RESTART_MIN_S);
	for (fd = 3; fd < FD_CLOSE_MAX; fd++)
		close(fd);
	execv("/proc/self/exe", argv);
	log_err("cannot execute itself again: %s", strerror(errno));
}

/* Publish the role every TICK_MS until a signal; 0, or 75 to restart. */
static int
repd_loop(struct store *s)
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct timespec		 ts = { 0, TICK_MS * 1000000L };

	while (!repd_stop) {
		if (store_rep_tick(s, &err) != SCIM_OK) {
			log_warn("%s: starting again", err.detail);
			return 75;
		}
		nanosleep(&ts, NULL);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct scim_error	 err = { SCIM_OK, "" };
	struct scim_config	 cfg;
	struct sigaction	 sa;
	struct store		*s;
	const char		*conf = NULL;
	time_t			 started = time(NULL);
	int			 rc;

	if ((rc = repd_options(argc, argv, &conf)) >= 0)
		return rc;
	log_init(PROG, LOG_LVL_INFO);
	if (config_load(&cfg, conf, &err) != SCIM_OK) {
		fprintf(stderr, "%s: %s\n", PROG, err.detail);
		return CLI_EX_USAGE;
	}
	log_init(PROG, cfg.log_level);
	if (cfg.rep_site[0] == '\0') {
		fprintf(stderr, "%s: %s: [replication] site is not set: "
		    "replication is off\n", PROG, cfg.path[0] != '\0' ?
		    cfg.path : "scim.conf");
		return CLI_EX_USAGE;
	}
	if (service_drop_root(&cfg, &err) != SCIM_OK) {
		log_err("%s", err.detail);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = repd_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (store_rep_serve(&s, &cfg, &err) != SCIM_OK) {
		log_err("%s", err.detail);
		return 1;
	}
	log_info("replication process of %s, site %s", cfg.home,
	    cfg.rep_site);
	if ((rc = repd_loop(s)) == 75) {
		/* The old environment cannot be closed: leave it as it is. */
		repd_reexec(argv, started);
		return 1;
	}
	store_close(s);
	log_info("closed");
	return 0;
}
