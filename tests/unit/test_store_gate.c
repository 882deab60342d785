/*
 * The store's gate and its cache, against a real Berkeley DB environment
 * in a temporary directory: recovery kept apart from transactions (a
 * latecomer waits, a stalled transaction is ended, two first opens race;
 * the process slots: a transaction on one holds an opener off without
 * an fcntl lock, a killed owner's does not, a closing gate and full slots
 * send transactions the fcntl way),
 * the cache sized to the data and an old DB_CONFIG, and the regions in
 * huge pages.
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

/* --- the cache sized to the data --- */

#define MIB		(1024ULL * 1024)
#define BLOB_MIB	56	/* enough data for more than the floor */

static const struct {
	uint64_t	 data, max, want;
} cache_wants[] = {
	{ 0, 1024 * 1024 * MIB, 80 * MIB },		/* the floor */
	{ 38 * MIB, 1024 * 1024 * MIB, 80 * MIB },	/* 79.5 rounds up */
	{ 48 * MIB, 1024 * 1024 * MIB, 96 * MIB },	/* 92 rounds up */
	{ 292 * MIB, 1024 * 1024 * MIB, 400 * MIB },	/* 397 */
	{ 1024 * MIB, 1024 * 1024 * MIB, 1312 * MIB },
	{ 100 * 1024 * MIB, 16 * 1024 * MIB, 16 * 1024 * MIB }, /* capped */
	{ 0, 16 * MIB, 16 * MIB },			/* cap below floor */
};

/* Within Berkeley DB's rounding (a few KB) of the size wanted? */
static bool
cache_near(uint64_t size, uint64_t want)
{
	return size >= want && size < want + MIB;
}

struct blob_arg {
	char		 key[8];
	const char	*value;
};

static enum scim_err
blob_fn(struct store_txn *t, void *arg, struct scim_error *err)
{
	struct blob_arg	*b = arg;
	cJSON		*v = cJSON_CreateString(b->value);
	enum scim_err	 rc;

	rc = store_kv_put(t, "cache", "blob", b->key, v, err);
	cJSON_Delete(v);
	return rc;
}

/* Write n values of 1 MiB into the store at cfg.home. */
static bool
fill_mib(int n)
{
	struct store		*s;
	struct scim_error	 err;
	struct blob_arg		 b;
	char			*value;
	bool			 good;
	int			 i;

	if ((value = malloc(MIB + 1)) == NULL)
		return false;
	memset(value, 'x', MIB);
	value[MIB] = '\0';
	b.value = value;
	if (store_open(&s, &cfg, &err) != SCIM_OK) {
		free(value);
		return false;
	}
	for (i = 0, good = true; i < n && good; i++) {
		snprintf(b.key, sizeof(b.key), "%04d", i);
		good = store_run_nosync(s, blob_fn, &b, &err) == SCIM_OK;
	}
	store_close(s);
	free(value);
	return good;
}

/* Open the store at cfg.home, note its cache and close it again. */
static bool
cache_of(struct store_cache *c)
{
	struct store		*s;
	struct scim_error	 err;

	memset(c, 0, sizeof(*c));
	if (store_open(&s, &cfg, &err) != SCIM_OK) {
		printf("# %s\n", err.detail);
		return false;
	}
	store_cache(s, c);
	store_close(s);
	return true;
}

/* Child: keep the store at cfg.home open until told to go. */
static void
cache_holder(int ready, int go)
{
	struct store		*s;
	struct scim_error	 err;
	char			 c;

	if (store_open(&s, &cfg, &err) != SCIM_OK ||
	    write(ready, "r", 1) != 1)
		_exit(2);
	if (read(go, &c, 1) < 0)
		_exit(3);
	store_close(s);
	_exit(0);
}

/* The DB_CONFIG every home got before the cache was sized to the data. */
static const char db_config_v1[] =
    "# Berkeley DB environment settings for scim-fcgi.\n"
    "#\n"
    "# scim-fcgi writes this file into a new data home the first time a program\n"
    "# opens it; afterwards the copy in the home is the one that counts (edit it\n"
    "# there and restart the programs).  Settings here override the defaults\n"
    "# compiled into the programs.  See db/README and scim.conf(5).\n"
    "\n"
    "# Shared cache for all processes: ~1 KB per user record, 64 MiB keeps\n"
    "# about 50,000 users and their indexes hot; raise it for larger tenants.\n"
    "set_cachesize 0 67108864 1\n"
    "\n"
    "# Resolve deadlocks as soon as a lock request conflicts.\n"
    "set_lk_detect DB_LOCK_DEFAULT\n"
    "\n"
    "# Room for large transactions (bulk member loads, group deletes).\n"
    "set_lk_max_locks 200000\n"
    "set_lk_max_objects 200000\n"
    "set_lk_max_lockers 20000\n"
    "\n"
    "# Transaction log: 1 MiB buffer, 16 MiB files, removed once no longer\n"
    "# needed for normal recovery (use db_hotbackup for backups).\n"
    "set_lg_bsize 1048576\n"
    "set_lg_max 16777216\n"
    "log_set_config db_log_auto_remove on\n";

/* The default DB_CONFIG of the version that sized the cache (no db_log_zero). */
static const char db_config_v2[] =
    "# Berkeley DB environment settings for scim-fcgi.\n"
    "#\n"
    "# scim-fcgi writes this file into a new data home the first time a program\n"
    "# opens it; afterwards the copy in the home is the one that counts (edit it\n"
    "# there and restart the programs).  Settings here override the defaults\n"
    "# compiled into the programs.  See scim.conf(5) and scim-fcgi(8).\n"
    "\n"
    "# Shared cache for all processes: no set_cachesize line, because the\n"
    "# programs size the cache to the data whenever the environment is created\n"
    "# (5/4 of the databases plus 32 MiB, at least 80 MiB, at most [store]\n"
    "# cache_max_mb; see scim.conf(5)).  A set_cachesize line in the home's\n"
    "# copy of this file wins over that, for example for 1 GiB:\n"
    "#set_cachesize 1 0 1\n"
    "\n"
    "# Resolve deadlocks as soon as a lock request conflicts.\n"
    "set_lk_detect DB_LOCK_DEFAULT\n"
    "\n"
    "# Room for large transactions (bulk member loads, group deletes).\n"
    "set_lk_max_locks 200000\n"
    "set_lk_max_objects 200000\n"
    "set_lk_max_lockers 20000\n"
    "\n"
    "# Transaction log: 1 MiB buffer, 16 MiB files, removed once no longer\n"
    "# needed for normal recovery (use db_hotbackup for backups).\n"
    "set_lg_bsize 1048576\n"
    "set_lg_max 16777216\n"
    "log_set_config db_log_auto_remove on\n";

/* Write text into cfg.home's DB_CONFIG, open, and read DB_CONFIG back. */
static bool
open_with_db_config(const char *text, struct store_cache *c, char *back,
    size_t sz)
{
	char	 path[4200];
	FILE	*f;
	size_t	 n;

	mkdir(cfg.home, 0750);
	snprintf(path, sizeof(path), "%s/DB_CONFIG", cfg.home);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 ||
	    fclose(f) != 0 || !cache_of(c) || (f = fopen(path, "r")) == NULL)
		return false;
	n = fread(back, 1, sz - 1, f);
	back[n] = '\0';
	fclose(f);
	return true;
}

static void
test_old_db_config(const char *dir)
{
	static const char	*olds[] = { db_config_v1, db_config_v2 };
	struct store_cache	 c;
	static char		 back[4096], edited[sizeof(db_config_v2) + 16];
	bool			 opened;
	size_t			 i;

	cfg.cache_max_mb = 1024;
	for (i = 0; i < sizeof(olds) / sizeof(olds[0]); i++) {
		snprintf(cfg.home, sizeof(cfg.home), "%s/old-default-%zu",
		    dir, i + 1);
		opened = open_with_db_config(olds[i], &c, back, sizeof(back));
		ok(opened && strcmp(back, store_db_config_text) == 0 &&
		    c.want == 80 * MIB && cache_near(c.size, c.want),
		    "a home with old default DB_CONFIG v%zu gets the current "
		    "one, and a cache sized to the data (%llu bytes)", i + 1,
		    (unsigned long long)c.size);
		snprintf(cfg.home, sizeof(cfg.home), "%s/old-edited-%zu", dir,
		    i + 1);
		snprintf(edited, sizeof(edited), "%s#\n", olds[i]);
		opened = open_with_db_config(edited, &c, back, sizeof(back));
		ok(opened && strcmp(back, edited) == 0 &&
		    (i > 0 || c.want == 0),
		    "an edited v%zu is the operator's: left as it is", i + 1);
	}
}

static void
test_cache(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct store_cache	 c;
	uint64_t		 grown;
	size_t			 i;
	int			 ready[2], go[2], st, fd;
	char			 ch, path[4200];
	bool			 opened;
	pid_t			 pid;

	for (i = 0; i < sizeof(cache_wants) / sizeof(cache_wants[0]); i++)
		ok(store_cache_want(cache_wants[i].data, cache_wants[i].max) ==
		    cache_wants[i].want, "%llu MiB of data, at most %llu MiB: "
		    "a cache of %llu MiB",
		    (unsigned long long)(cache_wants[i].data / MIB),
		    (unsigned long long)(cache_wants[i].max / MIB),
		    (unsigned long long)(cache_wants[i].want / MIB));

	snprintf(cfg.home, sizeof(cfg.home), "%s/cache", dir);
	cfg.cache_max_mb = 1024;
	opened = cache_of(&c);
	ok(opened && c.want == 80 * MIB && cache_near(c.size, c.want),
	    "a new store gets the 80 MiB floor (%llu bytes)",
	    (unsigned long long)c.size);
	ok(fill_mib(BLOB_MIB), "%d MiB written", BLOB_MIB);
	opened = cache_of(&c);
	ok(opened && c.data >= BLOB_MIB * MIB &&
	    c.data < (BLOB_MIB + 8) * MIB,
	    "the data counted: %llu bytes", (unsigned long long)c.data);
	ok(c.want == store_cache_want(c.data, 1024 * MIB) &&
	    c.want >= 96 * MIB && cache_near(c.size, c.want),
	    "opened alone, the environment is made again for the data: "
	    "%llu bytes", (unsigned long long)c.size);
	grown = c.size;

	if (pipe(ready) != 0 || pipe(go) != 0) {
		ok(0, "pipe");
		cfg = saved;
		return;
	}
	if ((pid = fork()) == 0) {
		close(ready[0]);
		close(go[1]);
		cache_holder(ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	ok(read(ready[0], &ch, 1) == 1, "another process holds the store");
	cfg.cache_max_mb = 64;
	opened = cache_of(&c);
	ok(opened && c.want == 64 * MIB && c.size == grown,
	    "while it does, an opener joins the cache in place");
	close(go[1]);
	close(ready[0]);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the other process left");
	opened = cache_of(&c);
	ok(opened && cache_near(c.size, 64 * MIB),
	    "alone again, cache_max_mb caps the cache: %llu bytes",
	    (unsigned long long)c.size);

	/* 48 MiB asked in DB_CONFIG: Berkeley DB adds its quarter. */
	snprintf(cfg.home, sizeof(cfg.home), "%s/manual", dir);
	mkdir(cfg.home, 0750);
	snprintf(path, sizeof(path), "%s/DB_CONFIG", cfg.home);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) < 0 ||
	    write(fd, "set_cachesize 0 50331648 1\n", 27) != 27) {
		ok(0, "%s", path);
		cfg = saved;
		return;
	}
	close(fd);
	opened = cache_of(&c);
	ok(opened && c.want == 0 && cache_near(c.size, 60 * MIB),
	    "a set_cachesize line in the home's DB_CONFIG wins: %llu bytes",
	    (unsigned long long)c.size);
	test_old_db_config(dir);
	cfg = saved;
}

/* --- the regions in huge pages (region.h) --- */

struct regions {
	int	 n;		/* region mappings of the home */
	int	 grown;		/* ... but __db.001, as long as their file */
	int	 others;	/* ... but __db.001 */
	int	 huge;		/* ... asking for huge pages */
};

static void
region_maps(const char *home, struct regions *r)
{
	FILE		*f;
	char		 line[PATH_MAX + 160], real[PATH_MAX], prefix[PATH_MAX + 8];
	unsigned long	 lo, hi;
	struct stat	 st;
	bool		 in = false;
	int		 at;
	char		*nl;

	memset(r, 0, sizeof(*r));
	if (realpath(home, real) == NULL ||
	    (f = fopen("/proc/self/smaps", "r")) == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "%s/__db.0", real);
	while (fgets(line, sizeof(line), f) != NULL) {
		at = 0;
		if (sscanf(line, "%lx-%lx %*s %*x %*x:%*x %*u %n", &lo, &hi,
		    &at) == 2 && at > 0) {
			if ((nl = strchr(line + at, '\n')) != NULL)
				*nl = '\0';
			in = strncmp(line + at, prefix, strlen(prefix)) == 0 &&
			    strlen(line + at) == strlen(prefix) + 2;
			if (!in)
				continue;
			r->n++;
			if (strcmp(line + at + strlen(prefix), "01") == 0)
				continue;
			r->others++;
			if (stat(line + at, &st) == 0 &&
			    (unsigned long)st.st_size == hi - lo)
				r->grown++;
		} else if (in && strncmp(line, "VmFlags:", 8) == 0 &&
		    strstr(line, " hg") != NULL)
			r->huge++;
	}
	fclose(f);
}

/*
 * Every region file but the primary is as long as its mapping (so that
 * the page cache can use huge folios for it), and every region mapping
 * asks for huge pages; a second process still joins the environment.
 */
static void
test_regions(const char *dir)
{
	struct scim_config	 saved = cfg;
	struct store		*s;
	struct scim_error	 err;
	struct regions		 r;

	snprintf(cfg.home, sizeof(cfg.home), "%s/regions", dir);
	if (!ok(store_open(&s, &cfg, &err) == SCIM_OK, "open a new store"))
		goto out;
	region_maps(cfg.home, &r);
	ok(r.n >= 2 && r.others >= 1, "its region files are mapped");
	is_int(r.grown, r.others, "all but __db.001 as long as their mapping");
	is_int(r.huge, r.n, "every region mapping asks for huge pages");
	is_int(open_in_child(), 0, "another process joins the environment");
	store_close(s);
out:
	cfg = saved;
}

int
main(void)
{
	struct store		*s;
	char			 tmpl[] = "/tmp/scim-store-test-XXXXXX";

	if (!store_fixture_open(tmpl, &s))
		return tap_done();
	test_gate(s);
	s_main = s;
	test_stall();
	test_slot_fast(s);
	test_slot_killed(s);
	test_slot_closing(s);
	test_slots_full();
	test_first_open_race(tmpl);
	test_cache(tmpl);
	test_regions(tmpl);
	store_close(s);
	store_fixture_done(tmpl);
	return tap_done();
}
