/*
 * The event hook: which events it wants (hook_events), and at-least-once
 * delivery of the outbox entries audit_record() wrote, each through one
 * run of the hook under a deadline, in an environment of its own.  See
 * audit.h for the contract and scim.conf(5) for what an operator sets.
 *
 * OWNS the hook's process (its environment, process group, deadline) and
 * the outbox's claim/settle protocol.  MUST NOT KNOW what the hook does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/audit-int.h"
#include "base/log.h"
#include "base/util.h"

#define RETRY_MAX_USEC		(24LL * 3600 * 1000000)
#define HOOK_PATH		"/usr/local/bin:/usr/bin:/bin"

/*
 * Does pattern p (n bytes: a type, a prefix ending in '*', or '*') name
 * type?  auth.* events come from requests nobody authenticated, with
 * what the client sent in them (its path): only a pattern that itself
 * starts with "auth." hands them to the hook, never '*' or "a*".
 */
static bool
hook_pattern_names(const char *p, size_t n, const char *type)
{
	if (strncmp(type, "auth.", 5) == 0 && (n < 5 ||
	    strncmp(p, "auth.", 5) != 0))
		return false;
	if (n == 1 && *p == '*')
		return true;
	if (p[n - 1] == '*' && strncmp(type, p, n - 1) == 0)
		return true;
	return strlen(type) == n && strncmp(type, p, n) == 0;
}

bool
audit_hook_wants(const struct scim_config *cfg, const char *type)
{
	const char	*p;
	size_t		 n;

	if (cfg == NULL || cfg->audit_hook[0] == '\0')
		return false;
	for (p = cfg->audit_hook_events; *p != '\0'; p += n) {
		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		if (hook_pattern_names(p, n, type))
			return true;
	}
	return false;
}

/* --- delivery --- */

struct claim_ctx {
	int64_t	 now;
	int64_t	 lease;		/* usec an attempt may take */
	char	 key[64];	/* out: the claimed (new) key */
	cJSON	*box;		/* out: the claimed entry */
};

static bool
claim_each(void *arg, const char *key, cJSON *obj, bool *keep)
{
	struct claim_ctx	*cc = arg;

	if (strlen(key) >= sizeof(cc->key) || audit_id_time(key) > cc->now)
		return false;		/* nothing due */
	snprintf(cc->key, sizeof(cc->key), "%s", key);
	cc->box = obj;
	*keep = true;
	return false;
}

/* Take the first due entry and push its due time past the lease. */
static enum scim_err
claim_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct claim_ctx	*cc = arg;
	const cJSON		*ev, *id;
	cJSON			*att;
	enum scim_err		 rc;
	char			 old[64];

	cJSON_Delete(cc->box);
	cc->box = NULL;
	cc->key[0] = '\0';
	rc = store_kv_scan(t, OUTBOX_TENANT, OUTBOX_SPACE, NULL, false,
	    claim_each, cc, err);
	if (rc != SCIM_OK || cc->box == NULL)
		return rc;
	snprintf(old, sizeof(old), "%s", cc->key);
	if ((rc = store_kv_del(t, OUTBOX_TENANT, OUTBOX_SPACE, old, err)) !=
	    SCIM_OK)
		return rc;
	ev = cJSON_GetObjectItemCaseSensitive(cc->box, "event");
	id = cJSON_GetObjectItemCaseSensitive(ev, "id");
	if (!cJSON_IsString(id))
		return SCIM_OK;		/* a broken entry: dropped */
	att = cJSON_GetObjectItemCaseSensitive(cc->box, "attempts");
	if (cJSON_IsNumber(att))
		cJSON_SetNumberValue(att, att->valuedouble + 1);
	snprintf(cc->key, sizeof(cc->key), "%016llx-%s",
	    (unsigned long long)(cc->now + cc->lease), id->valuestring);
	return store_kv_put(t, OUTBOX_TENANT, OUTBOX_SPACE, cc->key, cc->box,
	    err);
}

struct settle_ctx {
	const char	*key;		/* the claimed key */
	bool		 ok;		/* hook succeeded */
	int64_t		 retry_at;	/* when not ok */
	const cJSON	*box;
};

static enum scim_err
settle_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct settle_ctx	*sc = arg;
	const cJSON		*ev, *id;
	char			 key[64];
	enum scim_err		 rc;

	rc = store_kv_del(t, OUTBOX_TENANT, OUTBOX_SPACE, sc->key, err);
	if (rc == SCIM_E_NOT_FOUND)
		return SCIM_OK;		/* someone else settled it */
	if (rc != SCIM_OK || sc->ok)
		return rc;
	ev = cJSON_GetObjectItemCaseSensitive(sc->box, "event");
	id = cJSON_GetObjectItemCaseSensitive(ev, "id");
	snprintf(key, sizeof(key), "%016llx-%s",
	    (unsigned long long)sc->retry_at, id->valuestring);
	return store_kv_put(t, OUTBOX_TENANT, OUTBOX_SPACE, key, sc->box, err);
}

/*
 * The hook's whole environment, never the request's (which in CGI holds
 * the client's Authorization and Cookie headers, and in FastCGI is gone
 * by delivery time): [audit] hook_env's assignments, PATH (HOOK_PATH
 * unless hook_env sets one), SCIM_EVENT_TYPE and SCIM_EVENT_ID.  Returns
 * a NULL-terminated array in one allocation (caller frees), or NULL.
 */
static char **
hook_envp(const struct scim_config *cfg, const char *type, const char *id)
{
	const char	*p = cfg->audit_hook_env;
	size_t		 words = 0, sz, i = 0;
	char		**envp, *buf, *end;
	bool		 path = false;
	int		 r;

	for (r = 0; p[r] != '\0'; r++)
		words += p[r] == '=';
	sz = strlen(p) + 1 + sizeof("PATH=" HOOK_PATH) +
	    sizeof("SCIM_EVENT_TYPE=") + strlen(type) +
	    sizeof("SCIM_EVENT_ID=") + strlen(id);
	if ((envp = calloc(1, (words + 4) * sizeof(char *) + sz)) == NULL)
		return NULL;
	buf = (char *)(envp + words + 4);
	end = buf + sz;
	/* Each word comes out no longer than it went in: all fit. */
	while (i < words &&
	    (r = config_env_next(&p, buf, (size_t)(end - buf))) == 1) {
		path |= strncmp(buf, "PATH=", 5) == 0;
		envp[i++] = buf;
		buf += strlen(buf) + 1;
	}
	if (!path) {
		envp[i++] = buf;
		buf += sprintf(buf, "PATH=%s", HOOK_PATH) + 1;
	}
	envp[i++] = buf;
	buf += sprintf(buf, "SCIM_EVENT_TYPE=%s", type) + 1;
	envp[i++] = buf;
	sprintf(buf, "SCIM_EVENT_ID=%s", id);
	return envp;
}

/* In the child: become the hook, in a process group of its own. */
static void
hook_exec(const struct scim_config *cfg, int in, char **envp)
{
	int	 nul;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	/* fd 0 may be the FastCGI listening socket: replace it. */
	dup2(in, 0);
	if ((nul = open("/dev/null", O_WRONLY)) >= 0)
		dup2(nul, 1);
	closefrom(3);
	execle("/bin/sh", "sh", "-c", cfg->audit_hook, (char *)NULL, envp);
	_exit(127);
}

/*
 * Run the hook with text on its standard input; true when it exited 0
 * within timeout seconds.  The deadline covers writing the event too
 * (the pipe is non-blocking: a hook that reads nothing cannot hold the
 * worker), and at the deadline the hook's whole process group is killed,
 * not only the shell.  The hook's output goes to our standard error.
 */
static bool
run_hook(const struct scim_config *cfg, const char *text, const char *type,
    const char *id)
{
	struct pollfd	 pf;
	char		**envp;
	int		 in[2], st, fd;
	pid_t		 pid, w;
	size_t		 len = strlen(text), off = 0;
	ssize_t		 n;
	int64_t		 deadline;

	if ((envp = hook_envp(cfg, type, id)) == NULL)
		return false;
	if (pipe(in) != 0) {
		free(envp);
		return false;
	}
	signal(SIGPIPE, SIG_IGN);
	deadline = util_now_usec() + (int64_t)cfg->audit_hook_timeout *
	    1000000;
	if ((pid = fork()) == 0)
		hook_exec(cfg, in[0], envp);
	free(envp);
	close(in[0]);
	fd = in[1];
	if (pid < 0) {
		close(fd);
		return false;
	}
	setpgid(pid, pid);	/* also here: no race with kill() below */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		if (fd >= 0 && off < len && ((n = write(fd, text + off,
		    len - off)) > 0))
			off += (size_t)n;
		else if (fd >= 0 && off < len && errno != EAGAIN &&
		    errno != EINTR)
			off = len;	/* the hook closed its input */
		if (fd >= 0 && off == len) {
			close(fd);
			fd = -1;
		}
		if ((w = waitpid(pid, &st, WNOHANG)) == pid)
			break;
		if ((w < 0 && errno != EINTR) || util_now_usec() > deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			if (fd >= 0)
				close(fd);
			log_warn("audit hook timed out on event %s", id);
			return false;
		}
		pf.fd = fd;
		pf.events = POLLOUT;
		poll(&pf, fd >= 0 ? 1 : 0, 20);
	}
	if (fd >= 0)
		close(fd);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		log_warn("audit hook failed on event %s (status %d)", id, st);
		return false;
	}
	return true;
}

unsigned
audit_deliver(struct store *s, const struct scim_config *cfg, unsigned max,
    unsigned *failed)
{
	struct claim_ctx	 cc;
	struct settle_ctx	 sc;
	struct scim_error	 err;
	const cJSON		*ev, *att, *type, *id;
	unsigned		 done = 0, bad = 0, i;
	int64_t			 backoff;
	char			*text;

	if (failed != NULL)
		*failed = 0;
	if (cfg->audit_hook[0] == '\0')
		return 0;
	memset(&cc, 0, sizeof(cc));
	for (i = 0; i < max; i++) {
		cc.now = util_now_usec();
		cc.lease = ((int64_t)cfg->audit_hook_timeout + 30) * 1000000;
		if (store_run(s, claim_fn, &cc, &err) != SCIM_OK) {
			log_warn("audit outbox: %s", err.detail);
			break;
		}
		if (cc.box == NULL)
			break;
		ev = cJSON_GetObjectItemCaseSensitive(cc.box, "event");
		type = cJSON_GetObjectItemCaseSensitive(ev, "type");
		id = cJSON_GetObjectItemCaseSensitive(ev, "id");
		if (!cJSON_IsString(type) || !cJSON_IsString(id) ||
		    (text = cJSON_PrintUnformatted(ev)) == NULL) {
			cJSON_Delete(cc.box);
			cc.box = NULL;
			continue;
		}
		memset(&sc, 0, sizeof(sc));
		sc.key = cc.key;
		sc.box = cc.box;
		sc.ok = run_hook(cfg, text, type->valuestring, id->valuestring);
		free(text);
		if (!sc.ok) {
			bad++;
			att = cJSON_GetObjectItemCaseSensitive(cc.box,
			    "attempts");
			backoff = (int64_t)cfg->audit_hook_retry * 1000000;
			for (int k = 1; cJSON_IsNumber(att) &&
			    k < att->valueint && backoff < RETRY_MAX_USEC; k++)
				backoff *= 2;
			if (backoff > RETRY_MAX_USEC)
				backoff = RETRY_MAX_USEC;
			sc.retry_at = util_now_usec() + backoff;
		}
		if (store_run(s, settle_fn, &sc, &err) != SCIM_OK)
			log_warn("audit outbox: %s", err.detail);
		else if (sc.ok)
			done++;
		cJSON_Delete(cc.box);
		cc.box = NULL;
		if (!sc.ok)
			break;		/* the hook is failing: later */
	}
	cJSON_Delete(cc.box);
	if (failed != NULL)
		*failed = bad;
	return done;
}
