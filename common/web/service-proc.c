/*
 * The process side of a FastCGI program, apart from its requests:
 * dropping root to the data home's owner, the one checkpoint process per
 * data home (started by a worker, run with --checkpoint), and renewing a
 * process whose store was recovered under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "web/service.h"
#include "web/service-int.h"

/*
 * In the checkpoint process's environment: the id of the worker that
 * started it (service_run_checkpointer()).
 */
#define CKP_PARENT_ENV	"SCIM_CHECKPOINT_PARENT"

enum scim_err
service_drop_root(const struct scim_config *cfg, struct scim_error *err)
{
	struct stat	 st;

	if (geteuid() != 0)
		return SCIM_OK;
	if (stat(cfg->home, &st) != 0)
		return scim_fail(err, SCIM_E_INTERNAL,
		    "refusing to run as root, and the data home %s cannot "
		    "be read (%s): create it owned by the service account",
		    cfg->home, strerror(errno));
	if (st.st_uid == 0)
		return scim_fail(err, SCIM_E_INTERNAL,
		    "refusing to run as root: the data home %s is owned by "
		    "root; chown it to the service account (e.g. www-data)",
		    cfg->home);
	if (setgroups(0, NULL) != 0 || setgid(st.st_gid) != 0 ||
	    setuid(st.st_uid) != 0 || setuid(0) == 0)
		return scim_fail(err, SCIM_E_INTERNAL,
		    "cannot drop privileges to uid %lu: %s",
		    (unsigned long)st.st_uid, strerror(errno));
	return SCIM_OK;
}

/*
 * A checkpoint writes every page changed since the last one: on a busy
 * store that takes up to a second, and a request worker doing it held up
 * the requests queued to it (make bench: POST p99 0.94 s with, 33 ms
 * without).  So one process per home checkpoints for all: this program
 * again, with --checkpoint, started by a worker whose writes made one due
 * when none is running (a lock byte of the gate file says).  It checks
 * every second (txn_checkpoint() itself waits for CKP_LOG_KB of log), and
 * ends when the worker that started it has ended, or the store was
 * recovered under it; the next worker with writes to show starts another.
 * Its standard input is /dev/null, not the FastCGI socket.  If it cannot
 * be started, the worker checkpoints itself.
 */
/*
 * envp with CKP_PARENT_ENV=<this process> in place of any it has (kept
 * for the process's life: it is built once), or envp itself if there is
 * no room.
 */
static char **
ckp_env(char *envp[])
{
	static char	*env[256];
	static char	 mine[sizeof(CKP_PARENT_ENV) + 24];
	size_t		 i, n = 0, klen = strlen(CKP_PARENT_ENV);

	if (env[0] != NULL)
		return env;
	snprintf(mine, sizeof(mine), "%s=%ld", CKP_PARENT_ENV,
	    (long)getpid());
	env[n++] = mine;
	for (i = 0; envp[i] != NULL; i++) {
		if (strncmp(envp[i], CKP_PARENT_ENV, klen) == 0 &&
		    envp[i][klen] == '=')
			continue;
		if (n == sizeof(env) / sizeof(env[0]) - 1) {
			env[0] = NULL;
			return envp;
		}
		env[n++] = envp[i];
	}
	env[n] = NULL;
	return env;
}

void
service_spawn_checkpointer(struct scim_ctx *ctx, int argc, char *argv[],
    char *envp[])
{
	static pid_t			 pid;
	posix_spawn_file_actions_t	 fa;
	char				*args[64];
	int				 i, n = 0, rc, st;

	store_checkpoint_reset(ctx->store);
	/*
	 * The last one this worker started, if it has ended: one that
	 * failed (it could not open the store) would leave the log to grow
	 * if every try failed alike, so this worker checkpoints too.
	 */
	if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid) {
		pid = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			store_checkpoint(ctx->store);
	}
	if (store_checkpointer_running(ctx->store))
		return;
	args[n++] = argv[0];
	args[n++] = (char *)"--checkpoint";
	for (i = 1; i < argc && n < 63; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	if ((rc = posix_spawn_file_actions_init(&fa)) == 0) {
		if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0)) == 0)
			rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, args,
			    ckp_env(envp));
		posix_spawn_file_actions_destroy(&fa);
	}
	if (rc == 0)
		return;
	pid = 0;
	log_warn("cannot start the checkpoint process (%s): checkpointing "
	    "here", strerror(rc));
	store_checkpoint(ctx->store);
}

static volatile sig_atomic_t	 service_ckp_stop;

static void
service_ckp_on_stop(int sig)
{
	(void)sig;
	service_ckp_stop = 1;
}

/*
 * --checkpoint: the process service_spawn_checkpointer() starts.  A web server
 * that signals its process group (SIGTERM, SIGHUP, SIGINT) ends it between
 * two checkpoints, never inside one: that would leave the store to be
 * recovered.
 */
int
service_run_checkpointer(struct scim_ctx *ctx)
{
	const struct timespec	 second = { 1, 0 };
	struct sigaction	 sa;
	struct scim_error	 err;
	pid_t			 parent = getppid();
	const char		*e;
	char			*end;
	long			 want;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = service_ckp_on_stop;
	sa.sa_flags = SA_RESTART;	/* nanosleep() still returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/*
	 * Started by a process that has ended already (a worker can end
	 * between posix_spawn() and here, a busy machine's start-up taking
	 * a while): the first getppid() names whoever adopted this one, and
	 * the loop below would never see its parent change.  The worker
	 * says who it is (CKP_PARENT_ENV); without that, init is taken for
	 * an adopter.  The next worker with writes to show starts another.
	 */
	if ((e = getenv(CKP_PARENT_ENV)) != NULL && *e != '\0') {
		want = strtol(e, &end, 10);
		if (*end == '\0' && want > 0 && (pid_t)want != parent)
			return 0;
	}
	if (parent == 1)
		return 0;
	if (store_open(&ctx->store, &ctx->cfg, &err) != SCIM_OK) {
		log_err("checkpoint: %s", err.detail);
		return 1;
	}
	if (store_checkpointer_claim(ctx->store)) {
		while (!service_ckp_stop && getppid() == parent &&
		    store_checkpoint(ctx->store) && !service_ckp_stop)
			nanosleep(&second, NULL);
	}
	store_close(ctx->store);
	return 0;
}

/*
 * Once the store was recovered under this process, Berkeley DB cannot
 * free the old environment's handles and shared memory: replace the
 * process image with a fresh one.  The PID and the FastCGI socket (fd 0)
 * stay, so the web server sees nothing and no request is refused.  envp
 * is the environment the process started with (http_accept() replaces
 * environ with each request's).  As
 * CGI, or if exec fails, the caller exits instead.
 */
void
service_renew(struct store **store, char *argv[], char *envp[])
{
	http_finish();
	store_close(*store);
	*store = NULL;
	if (!http_is_fastcgi())
		return;
	log_info("the store was recovered under this process: starting "
	    "afresh");
	execve("/proc/self/exe", argv, envp);
	log_err("/proc/self/exe: %s: exiting instead", strerror(errno));
}
