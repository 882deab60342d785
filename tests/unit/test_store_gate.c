/*
 * The store's gate, against a real Berkeley DB environment in a
 * temporary directory: recovery kept apart from transactions (a
 * latecomer waits, a stalled transaction is ended, two first opens race;
 * the process slots: a transaction on one holds an opener off without
 * an fcntl lock, a killed owner's does not, a closing gate and full slots
 * send transactions the fcntl way).  The cache and the regions are in
 * test_store_cache.c.
 */

#include "store_fixture.h"
#include <sys/mman.h>

#include "store/store-int.h"	/* the gate file's layout, struct store */

/*
 * The gate: a process opening the environment after another died (so
 * Berkeley DB recovers it) waits until every open transaction has ended,
 * and a commit made meanwhile survives the recovery.  Before the gate,
 * recovery ran at once under the open transaction, which then committed
 * into the abandoned environment.
 */
struct gate_arg {
	int	 fds[2];		/* the opener and the latecomer say
					   "o" and "l" here when done */
	int	 go[2];			/* the latecomer starts on a byte */
	pid_t	 opener, late;
	bool	 waited;		/* the opener was still waiting */
	bool	 held;		/* the latecomer was held at the door */
};

/* Attached before the opener comes; starts a transaction when told. */
static void
latecomer(struct gate_arg *g)
{
	struct store		*cs;
	struct store_stats	 st;
	struct scim_error	 err;
	cJSON			*u;
	char			 c;

	close(g->go[1]);
	if (store_open(&cs, &cfg, &err) != SCIM_OK ||
	    write(g->fds[1], "r", 1) != 1 || read(g->go[0], &c, 1) != 1)
		_exit(2);
	u = mkuser("gate-late", "gate-late-user", NULL);
	if (put(cs, STORE_USER, "gate", u, NULL) != SCIM_OK)
		_exit(3);
	/* 'L': it ran after opening the recovered environment itself. */
	store_stats(cs, &st);
	if (write(g->fds[1], st.reopens > 0 ? "L" : "l", 1) != 1)
		_exit(4);
	_exit(0);
}

/*
 * Open the store and say so on fd (as soon as it is open: closing may
 * wait for the latecomer's own reopen), then look for the held write.
 */
static int
open_and_check(int fd)
{
	struct store		*cs;
	struct scim_error	 err;
	int			 found;

	if (store_open(&cs, &cfg, &err) != SCIM_OK)
		return 2;
	if (write(fd, "o", 1) != 1)
		return 4;
	found = get_name(cs, STORE_USER, "gate", "gate-held") != NULL;
	store_close(cs);
	return found ? 0 : 1;
}

static enum scim_err
gate_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct gate_arg	*g = arg;
	struct pollfd	 pfd;
	cJSON		*u = mkuser("gate-held", "gate-user", NULL);
	enum scim_err	 rc;
	int		 st;

	rc = put_rec(t, STORE_USER, "gate", u, NULL, err);
	cJSON_Delete(u);
	if (rc != SCIM_OK || g->opener != 0)
		return rc;
	if ((g->opener = fork()) == 0) {
		close(g->fds[0]);
		st = open_and_check(g->fds[1]);
		_exit(st);
	}
	/* Still in the transaction: the opener must be waiting. */
	pfd.fd = g->fds[0];
	pfd.events = POLLIN;
	g->waited = poll(&pfd, 1, 500) == 0;
	/* A transaction that starts now waits behind the opener. */
	if (write(g->go[1], "g", 1) != 1)
		return scim_fail(err, SCIM_E_INTERNAL, "pipe");
	g->held = poll(&pfd, 1, 500) == 0;
	return SCIM_OK;
}

static void
test_gate(struct store *s)
{
	struct gate_arg		 g;
	struct store_stats	 before, after;
	struct scim_error	 err;
	int			 ready[2], st;
	char			 c;
	pid_t			 dead;
	ssize_t			 n1, n2;
	char			 two[2];

	memset(&g, 0, sizeof(g));
	if (pipe(ready) != 0 || pipe(g.fds) != 0 || pipe(g.go) != 0) {
		ok(0, "pipe");
		return;
	}
	if ((g.late = fork()) == 0)
		latecomer(&g);
	close(g.go[0]);
	ok(read(g.fds[0], &c, 1) == 1 && c == 'r',
	    "a second process has the store open");
	/* A process dies inside the environment: the next open recovers. */
	if ((dead = fork()) == 0) {
		struct store *ds;

		if (store_open(&ds, &cfg, &err) != SCIM_OK)
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	ok(read(ready[0], &c, 1) == 1, "a process opened the store");
	kill(dead, SIGKILL);
	waitpid(dead, &st, 0);
	close(ready[0]);
	close(ready[1]);
	store_stats(s, &before);
	is_int(store_run(s, gate_fn, &g, &err), SCIM_OK,
	    "a transaction committed while the next opener waited");
	ok(g.waited, "the opener (it will recover) waited for the open "
	    "transaction to end");
	ok(g.held, "a transaction begun while the opener waited was held "
	    "back at the door");
	/*
	 * Which comes first on the pipe is up to the scheduler (the opener
	 * may be preempted right after opening); what counts is that the
	 * held transaction ran in the recovered environment, which the
	 * latecomer had to open again: it never ran beside the recovery.
	 */
	n1 = read(g.fds[0], two, 1);
	n2 = read(g.fds[0], two + 1, 1);
	ok(n1 == 1 && n2 == 1 && memchr(two, 'o', 2) != NULL,
	    "then the opener opened the store");
	ok(n1 == 1 && n2 == 1 && memchr(two, 'L', 2) != NULL,
	    "and the held transaction ran (and committed) only in the "
	    "recovered environment, which it opened again");
	waitpid(g.late, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "in the recovered environment, with no error");
	waitpid(g.opener, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "after recovery the opener sees the committed write (status %d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	ok(get_name(s, STORE_USER, "gate", "gate-held") != NULL,
	    "this process reads it too, from the recovered environment");
	store_stats(s, &after);
	ok(after.reopens == before.reopens + 1,
	    "by opening the store again on its own (%llu reopen)",
	    (unsigned long long)(after.reopens - before.reopens));
	close(g.fds[0]);
	close(g.fds[1]);
	close(g.go[1]);
}

/*
 * A process stuck inside a transaction (here: paused, as on a latch that
 * a killed process held) would keep the gate from closing for ever; the
 * next opener ends it after 5 x lock_timeout_ms and recovers.
 */
static enum scim_err
stuck_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	int		*fd = arg;
	cJSON		*u = mkuser("stuck", "stuck-user", NULL);
	enum scim_err	 rc;

	rc = put_rec(t, STORE_USER, "stall", u, NULL, err);
	cJSON_Delete(u);
	if (rc != SCIM_OK)
		return rc;
	if (write(*fd, "s", 1) != 1)
		return SCIM_E_INTERNAL;
	for (;;)
		pause();
}

/* Fork a process that opens the store with c and sticks in stuck_fn. */
static pid_t
stuck_child(const struct scim_config *c, int fds[2])
{
	struct store		*cs;
	struct scim_error	 err;
	pid_t			 pid;

	if ((pid = fork()) == 0) {
		close(fds[0]);
		if (store_open(&cs, c, &err) != SCIM_OK)
			_exit(2);
		store_run(cs, stuck_fn, &fds[1], &err);
		_exit(3);
	}
	return pid;
}

static void
test_stall(void)
{
	struct scim_config	 fast = cfg;
	struct store		*cs;
	struct scim_error	 err;
	struct timespec		 t0, t1;
	int			 fds[2], st_stuck = 0, st_open = 0;
	char			 c;
	pid_t			 stuck, opener;
	double			 secs;

	fast.lock_timeout_ms = 100;		/* stuck after 0.5 s */
	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	stuck = stuck_child(&fast, fds);
	close(fds[1]);
	ok(read(fds[0], &c, 1) == 1, "a process is stuck inside a transaction");
	close(fds[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((opener = fork()) == 0) {
		if (store_open(&cs, &fast, &err) != SCIM_OK)
			_exit(2);
		store_close(cs);
		_exit(0);
	}
	waitpid(opener, &st_open, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	waitpid(stuck, &st_stuck, 0);
	ok(WIFSIGNALED(st_stuck) && WTERMSIG(st_stuck) == SIGKILL,
	    "the next opener ended the stuck process");
	ok(WIFEXITED(st_open) && WEXITSTATUS(st_open) == 0,
	    "and opened the store (recovering it)");
	ok(secs >= 0.45 && secs < 30.0, "after %.1f s (5 x 100 ms, then "
	    "recovery)", secs);
	ok(get_name(s_main, STORE_USER, "stall",
	    "stuck") == NULL, "nothing of the stuck transaction remains");
}

/* --- the process slots (store-gate.c) --- */

/*
 * From a child (a process's own fcntl locks never conflict with it, and
 * closing a descriptor of the file in this one would drop them): the lock
 * some process holds on byte of cfg.home's gate file, F_UNLCK, F_RDLCK or
 * F_WRLCK; -1 when the probe failed.
 */
static int
gate_probe(off_t byte)
{
	struct flock	 fl;
	char		 path[4200];
	int		 fd, st;
	pid_t		 pid;

	if ((pid = fork()) == 0) {
		snprintf(path, sizeof(path), "%s/scim.gate", cfg.home);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = byte;
		fl.l_len = 1;
		if ((fd = open(path, O_RDWR)) < 0 ||
		    fcntl(fd, F_GETLK, &fl) != 0)
			_exit(9);
		_exit(fl.l_type == F_UNLCK ? 0 : fl.l_type == F_RDLCK ? 1 : 2);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) > 2)
		return -1;
	return (int[]){ F_UNLCK, F_RDLCK, F_WRLCK }[WEXITSTATUS(st)];
}

/* The byte of the gate file whose fcntl lock holds s's slot. */
static off_t
gate_slot_lock_byte(struct store *s)
{
	return STORE_GATE_SLOTS_OFFSET +
	    (off_t)((size_t)(s->slot - s->slots) * sizeof(*s->slot));
}

/* The slot of the gate file s maps whose pid is pid, or NULL. */
static struct store_gate_slot *
slot_of(struct store *s, pid_t pid)
{
	size_t	 i;

	for (i = 0; i < STORE_GATE_SLOTS; i++)
		if (atomic_load(&s->slots[i].pid) == pid)
			return &s->slots[i];
	return NULL;
}

/* Child: open the store, close it, exit 0; it says 'o' on fd once open. */
static void
opener_child(int fd, const struct scim_config *c)
{
	struct store		*cs;
	struct scim_error	 err;

	if (store_open(&cs, c, &err) != SCIM_OK)
		_exit(2);
	if (write(fd, "o", 1) != 1)
		_exit(3);
	store_close(cs);
	_exit(0);
}

struct fast_arg {
	struct store	*s;
	int		 in_txn;	/* the slot's word, inside */
	bool		 fast;		/* s->gate_fast, inside */
	int		 gate_in;	/* GATE_IN as a child saw it */
	int		 fds[2];	/* the opener says 'o' */
	pid_t		 opener;	/* 0: start none */
	bool		 waited;	/* the opener waited for the end */
};

static enum scim_err
fast_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	static int	 n;
	struct fast_arg	*f = arg;
	struct pollfd	 pfd;
	cJSON		*u;
	enum scim_err	 rc;
	char		 id[16], name[24];

	f->in_txn = f->s->slot != NULL ?
	    atomic_load(&f->s->slot->in_txn) : -1;
	f->fast = f->s->gate_fast;
	f->gate_in = gate_probe(STORE_GATE_IN_BYTE);
	snprintf(id, sizeof(id), "fast%d", ++n);
	snprintf(name, sizeof(name), "fast-user%d", n);
	u = mkuser(id, name, NULL);
	rc = put_rec(t, STORE_USER, "slots", u, NULL, err);
	cJSON_Delete(u);
	if (rc != SCIM_OK)
		return rc;
	if (f->opener != 0 || f->fds[1] < 0)
		return SCIM_OK;
	if ((f->opener = fork()) == 0) {
		close(f->fds[0]);
		opener_child(f->fds[1], &cfg);
	}
	pfd.fd = f->fds[0];
	pfd.events = POLLIN;
	f->waited = poll(&pfd, 1, 500) == 0;
	return SCIM_OK;
}

/* Wait up to secs for a byte on fd; true when it came. */
static bool
byte_within(int fd, int secs)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	char		 c;

	return poll(&pfd, 1, secs * 1000) == 1 && read(fd, &c, 1) == 1;
}

/*
 * A transaction on the slot holds no fcntl lock (GATE_IN is free while it
 * runs), and still holds off an opener until it ends.
 */
static void
test_slot_fast(struct store *s)
{
	struct fast_arg		 f;
	struct scim_error	 err;
	int			 st;

	memset(&f, 0, sizeof(f));
	f.s = s;
	f.gate_in = -1;
	if (pipe(f.fds) != 0) {
		ok(0, "pipe");
		return;
	}
	(void)get_name(s, STORE_USER, "slots", "none");	/* reopened */
	ok(s->slot != NULL && atomic_load(&s->slot->pid) == getpid(),
	    "this process holds a slot of the gate file, with its pid");
	is_int(gate_probe(gate_slot_lock_byte(s)), F_WRLCK,
	    "and an fcntl lock on the slot's byte");
	is_int(store_run(s, fast_fn, &f, &err), SCIM_OK,
	    "a transaction on the slot committed");
	ok(f.in_txn == 1 && f.fast, "inside, the slot said in_txn = 1");
	is_int(f.gate_in, F_UNLCK, "and GATE_IN was not locked: no fcntl");
	ok(f.waited, "an opener waited while the transaction ran");
	ok(byte_within(f.fds[0], 20), "and opened once it ended");
	waitpid(f.opener, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "with no error");
	is_int(atomic_load(&s->slot->in_txn), 0, "the slot says in_txn = 0");
	close(f.fds[0]);
	close(f.fds[1]);
}

/*
 * A process SIGKILLed inside a transaction leaves in_txn = 1 in its slot,
 * but its lock died with it: the next opener does not wait for it (with
 * lock_timeout_ms at 2 s it would wait 10 s, then find no one to end).
 */
static void
test_slot_killed(struct store *s)
{
	struct scim_config	 slow = cfg;
	struct store_gate_slot	*sl;
	struct timespec		 t0, t1;
	int			 fds[2], st;
	pid_t			 victim, opener;
	double			 secs;

	slow.lock_timeout_ms = 2000;
	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	victim = stuck_child(&slow, fds);
	ok(byte_within(fds[0], 20), "a process is inside a transaction");
	sl = slot_of(s, victim);
	ok(sl != NULL && atomic_load(&sl->in_txn) == 1,
	    "on its slot (in_txn = 1)");
	kill(victim, SIGKILL);
	waitpid(victim, &st, 0);
	ok(sl != NULL && atomic_load(&sl->in_txn) == 1 &&
	    atomic_load(&sl->pid) == victim,
	    "SIGKILLed there, its slot still says so");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((opener = fork()) == 0) {
		close(fds[0]);
		opener_child(fds[1], &slow);
	}
	waitpid(opener, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && byte_within(fds[0], 1),
	    "the next opener opened (and recovered) the store");
	ok(secs < 5.0, "without waiting for the dead slot (%.1f s, a stall "
	    "is 10 s)", secs);
	ok(get_name(s, STORE_USER, "stall", "stuck") == NULL,
	    "nothing of the killed transaction remains");
	close(fds[0]);
	close(fds[1]);
}

/*
 * With the closing flag set (an opener is on its way) a transaction goes
 * the fcntl way: GATE_IN shared, the slot left at 0.
 */
static void
test_slot_closing(struct store *s)
{
	struct fast_arg		 f;
	struct scim_error	 err;

	memset(&f, 0, sizeof(f));
	f.s = s;
	f.gate_in = -1;
	f.fds[0] = f.fds[1] = -1;
	(void)get_name(s, STORE_USER, "slots", "none");	/* reopened */
	atomic_store(s->closing, 1);
	is_int(store_run(s, fast_fn, &f, &err), SCIM_OK,
	    "with the gate closing, a transaction committed");
	atomic_store(s->closing, 0);
	ok(f.in_txn == 0 && !f.fast, "not on its slot (in_txn = 0)");
	is_int(f.gate_in, F_RDLCK, "but holding GATE_IN shared");
	memset(&f, 0, sizeof(f));
	f.s = s;
	f.gate_in = -1;
	f.fds[0] = f.fds[1] = -1;
	is_int(store_run(s, fast_fn, &f, &err), SCIM_OK,
	    "the flag cleared, the next one committed");
	ok(f.in_txn == 1 && f.gate_in == F_UNLCK,
	    "on its slot again, GATE_IN free");
}

/* Child: lock every slot byte it can, say 'h', hold them until told. */
static void
slot_hog(int ready, int go)
{
	struct store_gate_slot	*slots;
	struct flock		 fl;
	void			*map;
	char			 path[4200], c;
	size_t			 i;
	int			 fd;

	snprintf(path, sizeof(path), "%s/scim.gate", cfg.home);
	if ((fd = open(path, O_RDWR)) < 0 || (map = mmap(NULL,
	    STORE_GATE_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) == MAP_FAILED)
		_exit(2);
	slots = (struct store_gate_slot *)((char *)map +
	    STORE_GATE_SLOTS_OFFSET);
	/* As a claimer does: the lock, then its pid, in_txn 0. */
	for (i = 0; i < STORE_GATE_SLOTS; i++) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = STORE_GATE_SLOTS_OFFSET +
		    (off_t)(i * sizeof(struct store_gate_slot));
		fl.l_len = 1;
		if (fcntl(fd, F_SETLK, &fl) == 0) {
			atomic_store(&slots[i].pid, getpid());
			atomic_store(&slots[i].in_txn, 0);
		}
	}
	if (write(ready, "h", 1) != 1 || read(go, &c, 1) < 0)
		_exit(3);
	_exit(0);
}

struct slotless_arg {
	int	 ready, go;		/* says 'i' inside; waits for a byte */
	bool	 fast;			/* s->gate_fast, inside */
	struct store *s;
};

static enum scim_err
slotless_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct slotless_arg	*a = arg;
	cJSON			*u = mkuser("slotless", "slotless-user", NULL);
	enum scim_err		 rc;
	char			 c;

	rc = put_rec(t, STORE_USER, "slots", u, NULL, err);
	cJSON_Delete(u);
	a->fast = a->s->gate_fast;
	if (rc != SCIM_OK || write(a->ready, "i", 1) != 1 ||
	    read(a->go, &c, 1) != 1)
		return SCIM_E_INTERNAL;
	return SCIM_OK;
}

/*
 * Child: open with no slot free (exit 4 if it got one), run a transaction
 * that waits for the parent's go.
 */
static void
slotless(int ready, int go)
{
	struct slotless_arg	 a = { ready, go, false, NULL };
	struct scim_error	 err;

	if (store_open(&a.s, &cfg, &err) != SCIM_OK)
		_exit(2);
	if (a.s->slot != NULL)
		_exit(4);
	if (store_run(a.s, slotless_fn, &a, &err) != SCIM_OK)
		_exit(5);
	store_close(a.s);
	_exit(a.fast ? 6 : 0);
}

/*
 * Every slot taken: a process that opens the store then enters by fcntl
 * (GATE_IN shared), and that still holds off an opener.
 */
static void
test_slots_full(void)
{
	int	 hog[2], hog_go[2], in[2], go[2], op[2], st;
	pid_t	 hogger, worker, opener;
	bool	 waited;

	if (pipe(hog) != 0 || pipe(hog_go) != 0 || pipe(in) != 0 ||
	    pipe(go) != 0 || pipe(op) != 0) {
		ok(0, "pipe");
		return;
	}
	if ((hogger = fork()) == 0)
		slot_hog(hog[1], hog_go[0]);
	ok(byte_within(hog[0], 20), "a process took every free slot");
	if ((worker = fork()) == 0)
		slotless(in[1], go[0]);
	ok(byte_within(in[0], 20), "another opened the store and is inside "
	    "a transaction");
	is_int(gate_probe(STORE_GATE_IN_BYTE), F_RDLCK,
	    "with no slot, it holds GATE_IN shared");
	if ((opener = fork()) == 0)
		opener_child(op[1], &cfg);
	waited = !byte_within(op[0], 1);
	ok(waited, "an opener waits for it");
	if (write(go[1], "g", 1) != 1)
		ok(0, "pipe");
	waitpid(worker, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "it committed, by fcntl "
	    "(exit %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	ok(byte_within(op[0], 20), "then the opener opened");
	waitpid(opener, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "with no error");
	if (write(hog_go[1], "g", 1) != 1)
		ok(0, "pipe");
	waitpid(hogger, &st, 0);
	close(hog[0]); close(hog[1]); close(hog_go[0]); close(hog_go[1]);
	close(in[0]); close(in[1]); close(go[0]); close(go[1]);
	close(op[0]); close(op[1]);
}
/*
 * Eight processes creating the same new home at once (as lighttpd's
 * freshly spawned workers and scim-tokens do on a first start) all open
 * it and write.
 */
static void
test_first_open_race(const char *dir)
{
	struct scim_config	 saved = cfg;
	pid_t			 pids[8];
	int			 round, i, st, bad = 0;
	char			 tag[16];

	for (round = 0; round < 5; round++) {
		snprintf(cfg.home, sizeof(cfg.home), "%s/race%d", dir, round);
		for (i = 0; i < 8; i++) {
			snprintf(tag, sizeof(tag), "r%d", i);
			if ((pids[i] = fork()) == 0)
				_exit(writer(tag, 3));
		}
		for (i = 0; i < 8; i++) {
			waitpid(pids[i], &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				bad++;
		}
	}
	cfg = saved;
	is_int(bad, 0, "5 rounds of 8 processes creating a new home at once "
	    "all open it and write");
}

int
main(void)
{
	struct tmp_store	 ts;
	struct store		*s;

	if (!store_fixture_open(&ts, "store-gate"))
		goto out;
	s = ts.s;
	test_gate(s);
	s_main = s;
	test_stall();
	test_slot_fast(s);
	test_slot_killed(s);
	test_slot_closing(s);
	test_slots_full();
	test_first_open_race(ts.dir);
out:
	tmp_store_done(&ts);
	return tap_done();
}
