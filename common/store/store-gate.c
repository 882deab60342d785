/*
 * The gate: the process slots and fcntl locks of <home>/scim.gate that
 * keep Berkeley DB recovery apart from every transaction of every
 * process, the door that lets an opener in ahead of new transactions, the
 * ending (SIGKILL) of a process stalled inside one, and the few words of
 * shared memory the file also holds (the closing flag, the slots,
 * store_records_gen()'s counters).  It knows nothing of databases or
 * records.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "store/store-int.h"

/*
 * The gate keeps Berkeley DB recovery apart from every transaction.
 *
 * With DB_REGISTER, recovery runs inside the environment open of whichever
 * process first notices that another died, while the rest may be halfway
 * through a commit or a page write in the old environment: Berkeley DB
 * only panics it and carries on (env_register.c: "the only way to avoid
 * that window entirely is to ensure that all processes in the Berkeley DB
 * environment exit before we run recovery").  The crash suite lost
 * acknowledged writes through that window.
 *
 * So the environment is opened (the only moment recovery can run) by an
 * opener holding the gate closed: store_gate_close() returns once no
 * transaction of any process is running, and none begins until
 * store_gate_open().  A commit that returned is then in the log that
 * recovery reads, and a process that was idle during a recovery meets the
 * panic at its next call, before it touches a file.
 *
 * A transaction enters one of two ways.  The fast one costs no system
 * call (a syscall is ~1 us here; the fcntl pair below was 2 of the 7.6 a
 * GET made):
 *
 *   Slots.  The gate file holds STORE_GATE_SLOTS process slots.  At
 *   store_gate_init() a process claims a free one by taking an fcntl
 *   write lock on its first byte, held for the process's life (so the
 *   kernel drops it at any death, SIGKILL included), and writes its pid
 *   there.  Entering: store in_txn = 1, then load the closing flag (both
 *   seq_cst); if it is set, store 0 again and take the slow way.
 *   Leaving: store in_txn = 0 (release).  The opener stores closing = 1
 *   (seq_cst) before it loads any in_txn (seq_cst): of the two stores
 *   each side makes before its load, one is seen by the other (Dekker),
 *   so either the enterer sees closing and goes the slow way, or the
 *   opener sees in_txn = 1 and waits for it.  A slot whose byte is not
 *   locked (F_GETLK) has a dead owner: its in_txn is ignored, and the
 *   next claimer resets it.  An owner's liveness is the kernel's lock,
 *   never its pid, so a reused pid is never waited for or killed: the
 *   opener kills only the pid F_GETLK reports, and only when the slot
 *   holds that pid.  A forked copy of a process (util_fork_gen() has
 *   moved) holds no lock: it uses the slow way and never touches the
 *   slot; exec (the checkpoint process, service_renew()) closes the
 *   file (O_CLOEXEC) and the new image claims its own.  A process that
 *   finds no free slot uses the slow way for its life.
 *
 *   fcntl.  A shared lock on byte GATE_IN for the length of the
 *   transaction, and the opener takes it exclusively.  When the closing
 *   flag is set the enterer first passes GATE_DOOR, which the opener
 *   holds exclusively, so new transactions queue behind it instead of
 *   starving it.  (A stale flag, its opener killed, only costs every
 *   process the slow way until the next opener clears it.)
 *
 * The opener shuts the door, sets closing, and polls until it holds
 * GATE_IN exclusively and every live owner's slot shows in_txn = 0.  A
 * process stuck inside a transaction (waiting for a latch a dead process
 * held) would hold it off for ever, so once it has waited 5 times [store]
 * lock_timeout_ms (10 s by default) it ends the process holding GATE_IN,
 * or the live owner of a busy slot; its web server starts another.  The
 * opener itself is ended by SIGALRM if its open (with recovery) takes
 * STORE_OPEN_STALL_SECONDS.  A process that attaches meanwhile queues at
 * the door like any opener; its slot says in_txn = 0 until then.
 *
 * fcntl locks belong to the process and every close() of the file drops
 * them all: a process must open one store per home (as every program
 * does), and nothing else may open scim.gate while it runs
 * (store_rep_status() maps it only in scimctl, which opens no store).
 *
 * Every process also holds GATE_ATTACHED shared while it has the
 * environment open, so that an opener can tell whether it is alone in
 * it (store_gate_alone()) before re-creating it with another cache size.
 */
enum {
	GATE_IN = STORE_GATE_IN_BYTE,
	GATE_DOOR,
	GATE_ATTACHED,
	GATE_CHECKPOINTER	/* held by the home's checkpoint process */
};

#define STALL_FACTOR	5	/* x lock_timeout_ms: a transaction is stuck */
#define GATE_FILE_SIZE	STORE_GATE_FILE_SIZE	/* mapped, all of it */
#define GATE_FLAG_OFFSET STORE_GATE_CLOSING_OFFSET /* (locks on bytes 0-3
						   and each slot's first) */
#define GATE_BUSY_OFFSET 128	/* store_records_gen()'s two counters */
#define GATE_GEN_OFFSET	136
_Static_assert(STORE_GATE_REP_OFFSET >= GATE_GEN_OFFSET + 8 &&
    STORE_GATE_REP_OFFSET + STORE_GATE_REP_SIZE <= STORE_GATE_SLOTS_OFFSET,
    "the replication words fit in the gate file, after the others");
_Static_assert(sizeof(struct store_gate_slot) == 64 &&
    STORE_GATE_FILE_SIZE == STORE_GATE_SLOTS_OFFSET +
    STORE_GATE_SLOTS * sizeof(struct store_gate_slot),
    "the slots fill the gate file's end, a cache line each");

/* The fcntl lock byte of slot i: its first. */
static off_t
gate_slot_byte(size_t i)
{
	return (off_t)(STORE_GATE_SLOTS_OFFSET +
	    i * sizeof(struct store_gate_slot));
}

/* An fcntl lock request of type on one byte of the gate file. */
static struct flock
gate_byte(short type, off_t byte)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	return fl;
}

static bool
gate_lock(struct store *s, short type, off_t byte)
{
	struct flock	 fl = gate_byte(type, byte);

	while (fcntl(s->gate, type == F_UNLCK ? F_SETLK : F_SETLKW,
	    &fl) == -1)
		if (errno != EINTR) {
			log_err("%s/scim.gate: %s", s->home, strerror(errno));
			return false;
		}
	return true;
}

/* Is s's slot this process's (not a forked copy's)? */
static bool
gate_slot_mine(const struct store *s)
{
	unsigned long	 gen;

	return s->slot != NULL && util_fork_gen(&gen) && gen == s->slot_gen;
}

/* The fast way in: true when inside on the slot, no system call. */
static bool
gate_slot_enter(struct store *s)
{
	if (!gate_slot_mine(s))
		return false;
	atomic_store_explicit(&s->slot->in_txn, 1, memory_order_seq_cst);
	if (atomic_load_explicit(s->closing, memory_order_seq_cst) == 0) {
		s->gate_fast = true;
		return true;
	}
	atomic_store_explicit(&s->slot->in_txn, 0, memory_order_release);
	return false;
}

/*
 * Enter for one transaction; nested calls only count.  The slot when the
 * gate is not closing, else GATE_IN shared, passing the door first when
 * an opener has said it is closing the gate.
 */
bool
store_gate_enter(struct store *s)
{
	if (s->gate_depth++ > 0 || gate_slot_enter(s))
		return true;
	if ((atomic_load_explicit(s->closing, memory_order_acquire) &&
	    (!gate_lock(s, F_RDLCK, GATE_DOOR) ||
	    !gate_lock(s, F_UNLCK, GATE_DOOR))) ||
	    !gate_lock(s, F_RDLCK, GATE_IN)) {
		s->gate_depth--;
		return false;
	}
	return true;
}

void
store_gate_leave(struct store *s)
{
	if (--s->gate_depth > 0)
		return;
	if (s->gate_fast) {
		s->gate_fast = false;
		if (gate_slot_mine(s))
			atomic_store_explicit(&s->slot->in_txn, 0,
			    memory_order_release);
		return;
	}
	gate_lock(s, F_UNLCK, GATE_IN);
}

/* /proc/<pid>/<what>'s first line into buf, "?" if it cannot be read. */
static void
proc_word(pid_t pid, const char *what, char *buf, size_t size)
{
	FILE	*f;
	char	 path[64];

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, what);
	buf[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(buf, (int)size, f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (buf[0] == '\0')
		snprintf(buf, size, "?");
}

/*
 * End process pid, found inside one transaction for STALL_FACTOR *
 * lock_timeout_ms with the door shut: stuck on a latch of a dead process.
 * A death, which the coming open recovers, or the gate would never close.
 */
static void
gate_end_stalled(struct store *s, pid_t pid)
{
	char		 wchan[64], comm[64];

	/*
	 * Say which program it is and what it waits for: a futex is a latch
	 * of a dead process.
	 */
	proc_word(pid, "wchan", wchan, sizeof(wchan));
	proc_word(pid, "comm", comm, sizeof(comm));
	log_err("process %ld (%s) has been inside one store transaction for "
	    "%u ms (waiting in %s): ending it so that the store can be "
	    "recovered", (long)pid, comm, STALL_FACTOR * s->lock_timeout_ms,
	    wchan);
	if (kill(pid, SIGKILL) != 0)
		log_err("kill %ld: %s", (long)pid, strerror(errno));
}

/*
 * The pid of a live process inside a transaction on its slot, 0 when
 * there is none; -1 when one is but its pid is not known (the holder of
 * its lock has not yet written its pid: a claimer resetting a dead
 * owner's slot).  A slot whose byte no process holds is a dead owner's:
 * ignored.  late (the opener has waited a stall): a slot whose lock
 * holder has still not written its pid is no transaction either, or a
 * process holding a slot byte without claiming it would hold the gate
 * closed for ever.
 */
static pid_t
gate_slots_busy(struct store *s, bool late)
{
	struct store_gate_slot	*sl;
	struct flock		 fl;
	size_t			 i;

	for (i = 0; i < STORE_GATE_SLOTS; i++) {
		sl = &s->slots[i];
		if (sl == s->slot ||
		    atomic_load_explicit(&sl->in_txn, memory_order_seq_cst) == 0)
			continue;
		fl = gate_byte(F_WRLCK, gate_slot_byte(i));
		if (fcntl(s->gate, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK)
			continue;
		/* Read again: a new owner resets it just after its lock. */
		if (atomic_load_explicit(&sl->in_txn, memory_order_seq_cst) == 0)
			continue;
		if (fl.l_type != F_UNLCK && fl.l_pid > 0 &&
		    fl.l_pid == atomic_load(&sl->pid))
			return fl.l_pid;
		if (!late)
			return -1;
	}
	return 0;
}

/* Hold the gate alone: every transaction of every process has ended. */
bool
store_gate_close(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_IN);
	struct timespec	 ts = { 0, 1000000 };
	int64_t		 late, stall;
	pid_t		 busy = 0;
	bool		 in = false;

	if (!gate_lock(s, F_WRLCK, GATE_DOOR))
		return false;
	atomic_store_explicit(s->closing, 1, memory_order_seq_cst);
	late = stall = util_now_usec() +
	    (int64_t)STALL_FACTOR * s->lock_timeout_ms * 1000;
	/* Poll: a blocking wait could not notice a stalled holder. */
	for (;;) {
		if (!in && fcntl(s->gate, F_SETLK, &fl) == 0)
			in = true;
		else if (!in && errno != EAGAIN && errno != EACCES &&
		    errno != EINTR) {
			log_err("%s/scim.gate: %s", s->home, strerror(errno));
			atomic_store_explicit(s->closing, 0,
			    memory_order_release);
			gate_lock(s, F_UNLCK, GATE_DOOR);
			return false;
		}
		if (in && (busy = gate_slots_busy(s,
		    util_now_usec() >= late)) == 0)
			break;
		if (util_now_usec() >= stall) {
			fl = gate_byte(F_WRLCK, GATE_IN);
			if (!in && fcntl(s->gate, F_GETLK, &fl) == 0 &&
			    fl.l_type != F_UNLCK && fl.l_pid > 0)
				gate_end_stalled(s, fl.l_pid);
			else if (in && busy > 0)
				gate_end_stalled(s, busy);
			fl = gate_byte(F_WRLCK, GATE_IN);
			stall = util_now_usec() + 1000000;
		}
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 16000000)
			ts.tv_nsec *= 2;
	}
	s->gate_depth = 1;		/* store_run() inside: no relock */
	s->gate_fast = false;
	/*
	 * No transaction of any process is running: a writer counted busy
	 * now died in one (store_records_gen()).
	 */
	atomic_store_explicit(s->busy, 0, memory_order_release);
	atomic_fetch_add_explicit(s->gen, 1, memory_order_acq_rel);
	alarm(STORE_OPEN_STALL_SECONDS);
	return true;
}

/* With the gate closed: has no other process the environment open? */
bool
store_gate_alone(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_ATTACHED);

	return fcntl(s->gate, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK;
}

void
store_gate_open(struct store *s)
{
	alarm(0);
	s->gate_depth = 0;
	atomic_store_explicit(s->closing, 0, memory_order_release);
	gate_lock(s, F_UNLCK, GATE_IN);
	gate_lock(s, F_UNLCK, GATE_DOOR);
}

/*
 * Claim a free slot for this process: the first, from pid's, whose byte
 * no process holds.  One this process's pid already names is skipped (a
 * second store of the home in this process would share the lock).  None
 * free: s->slot stays NULL, and every transaction takes the fcntl way.
 */
static void
gate_slot_claim(struct store *s)
{
	struct store_gate_slot	*sl;
	struct flock		 fl;
	unsigned long		 gen;
	pid_t			 pid = getpid();
	size_t			 i, n;

	if (!util_fork_gen(&gen))
		return;
	for (n = 0; n < STORE_GATE_SLOTS; n++) {
		i = ((size_t)pid + n) % STORE_GATE_SLOTS;
		sl = &s->slots[i];
		fl = gate_byte(F_WRLCK, gate_slot_byte(i));
		if (atomic_load(&sl->pid) == pid ||
		    fcntl(s->gate, F_SETLK, &fl) != 0)
			continue;
		atomic_store(&sl->pid, pid);
		atomic_store(&sl->in_txn, 0);
		s->slot = sl;
		s->slot_gen = gen;
		return;
	}
	log_info("%s/scim.gate: all %d process slots taken: this process "
	    "enters the gate by fcntl locks", s->home, STORE_GATE_SLOTS);
}

/* Give the slot back (a forked copy leaves it to its owner). */
static void
gate_slot_release(struct store *s)
{
	if (gate_slot_mine(s)) {
		atomic_store(&s->slot->in_txn, 0);
		atomic_store(&s->slot->pid, 0);
		gate_lock(s, F_UNLCK, gate_slot_byte((size_t)(s->slot -
		    s->slots)));
	}
	s->slot = NULL;
}

/*
 * Open <home>/scim.gate (creating it), make it GATE_FILE_SIZE bytes and
 * map it: the closing flag and store_records_gen()'s counters live there,
 * shared by every process of the home.  On failure nothing stays open.
 */
enum scim_err
store_gate_init(struct store *s, struct scim_error *err)
{
	struct stat	 st;
	enum scim_err	 rc;
	void		*map;
	char		 path[4200];

	snprintf(path, sizeof(path), "%s/scim.gate", s->home);
	if ((s->gate = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) < 0 ||
	    fstat(s->gate, &st) != 0 ||
	    (st.st_size < GATE_FILE_SIZE &&
	    ftruncate(s->gate, GATE_FILE_SIZE) != 0) ||
	    (map = mmap(NULL, GATE_FILE_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED, s->gate, 0)) == MAP_FAILED) {
		rc = scim_fail(err, SCIM_E_INTERNAL, "%s: %s", path,
		    strerror(errno));
		if (s->gate >= 0)
			close(s->gate);
		return rc;
	}
	s->closing = (_Atomic int *)((char *)map + GATE_FLAG_OFFSET);
	s->slots = (struct store_gate_slot *)((char *)map +
	    STORE_GATE_SLOTS_OFFSET);
	s->busy = (_Atomic uint64_t *)((char *)map + GATE_BUSY_OFFSET);
	s->gen = (_Atomic uint64_t *)((char *)map + GATE_GEN_OFFSET);
	/* What scim-repd publishes for the site (store-rep-int.h). */
	s->rep_area = (char *)map + STORE_GATE_REP_OFFSET;
	gate_slot_claim(s);
	return SCIM_OK;
}

void
store_gate_fini(struct store *s)
{
	gate_slot_release(s);
	munmap((char *)s->closing - GATE_FLAG_OFFSET, GATE_FILE_SIZE);
	close(s->gate);
}

/*
 * GATE_ATTACHED, held shared while this process has the environment open
 * (store_gate_alone() asks whether another does).
 */
void
store_gate_hold_attached(struct store *s)
{
	gate_lock(s, F_RDLCK, GATE_ATTACHED);
}

void
store_gate_drop_attached(struct store *s)
{
	gate_lock(s, F_UNLCK, GATE_ATTACHED);
}

/* GATE_CHECKPOINTER: the home's one checkpoint process (store.h). */
bool
store_checkpointer_running(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_CHECKPOINTER);

	return fcntl(s->gate, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

bool
store_checkpointer_claim(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_CHECKPOINTER);

	return fcntl(s->gate, F_SETLK, &fl) == 0;
}
