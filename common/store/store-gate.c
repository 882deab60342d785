/*
 * The gate: fcntl locks on <home>/scim.gate that keep Berkeley DB
 * recovery apart from every transaction of every process, the door that
 * lets an opener in ahead of new transactions, the ending (SIGKILL) of a
 * process stalled inside one, and the few words of shared memory the file
 * also holds (the closing flag, store_records_gen()'s counters).  It
 * knows nothing of databases or records.
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
 * So each process holds a shared fcntl lock on byte GATE_IN of
 * <home>/scim.gate for the length of every transaction, and opens the
 * environment (the only moment recovery can run) under an exclusive lock
 * on it.  Recovery then never overlaps a transaction: a commit that
 * returned is in the log that recovery reads, and a process that was idle
 * during a recovery meets the panic at its next call, before it touches a
 * file.  An opener first takes GATE_DOOR exclusively, which new
 * transactions pass through, so they queue behind it instead of starving
 * it.  fcntl locks end with their process: a SIGKILLed one never blocks
 * the gate.  A process stuck inside a transaction (waiting for a latch a
 * dead process held) would, so an opener that has waited 5 times
 * [store] lock_timeout_ms (10 s by default) with the door shut ends it;
 * its web server starts another.  The opener itself is ended by SIGALRM
 * if its open (with recovery) takes STORE_OPEN_STALL_SECONDS.
 *
 * Every process also holds GATE_ATTACHED shared while it has the
 * environment open, so that an opener can tell whether it is alone in
 * it (store_gate_alone()) before re-creating it with another cache size.
 */
enum {
	GATE_IN,
	GATE_DOOR,
	GATE_ATTACHED,
	GATE_CHECKPOINTER	/* held by the home's checkpoint process */
};

#define STALL_FACTOR	5	/* x lock_timeout_ms: a transaction is stuck */
#define GATE_FILE_SIZE	4096	/* mapped: holds the closing flag */
#define GATE_FLAG_OFFSET 64	/* (locks are on bytes 0 to 3: advisory) */
#define GATE_BUSY_OFFSET 128	/* store_records_gen()'s two counters */
#define GATE_GEN_OFFSET	136
_Static_assert(STORE_GATE_REP_OFFSET >= GATE_GEN_OFFSET + 8 &&
    STORE_GATE_REP_OFFSET + STORE_GATE_REP_SIZE <= GATE_FILE_SIZE,
    "the replication words fit in the gate file, after the others");

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

/*
 * Enter for one transaction (shared); nested calls only count.  The door
 * is passed only while an opener has said it is closing the gate (a flag
 * in the gate file, mapped by every process): two system calls per
 * transaction instead of four.  The flag only spares the opener from
 * starving; a stale one (its setter was killed) costs the slow path until
 * the next opener clears it.
 */
bool
store_gate_enter(struct store *s)
{
	if (s->gate_depth++ > 0)
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
	gate_lock(s, F_UNLCK, GATE_IN);
}

/*
 * With the door shut no transaction can begin, so whoever still holds
 * GATE_IN after STALL_FACTOR * lock_timeout_ms has been inside one
 * transaction all that time: stuck on a latch of a dead process.  End
 * it (a death, which the coming open recovers), or the gate would never
 * close.
 */
static void
gate_end_stalled(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_IN);
	FILE		*f;
	char		 path[64], wchan[64] = "";

	if (fcntl(s->gate, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK ||
	    fl.l_pid <= 0)
		return;
	/* Say what it waits for: a futex is a latch of a dead process. */
	snprintf(path, sizeof(path), "/proc/%ld/wchan", (long)fl.l_pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(wchan, sizeof(wchan), f) == NULL)
			wchan[0] = '\0';
		fclose(f);
	}
	log_err("process %ld has been inside one store transaction for "
	    "%u ms (waiting in %s): ending it so that the store can be "
	    "recovered", (long)fl.l_pid, STALL_FACTOR * s->lock_timeout_ms,
	    wchan[0] != '\0' ? wchan : "?");
	if (kill(fl.l_pid, SIGKILL) != 0)
		log_err("kill %ld: %s", (long)fl.l_pid, strerror(errno));
}

/* Hold the gate alone: every transaction of every process has ended. */
bool
store_gate_close(struct store *s)
{
	struct flock	 fl = gate_byte(F_WRLCK, GATE_IN);
	struct timespec	 ts = { 0, 1000000 };
	int64_t		 stall;

	if (!gate_lock(s, F_WRLCK, GATE_DOOR))
		return false;
	atomic_store_explicit(s->closing, 1, memory_order_release);
	stall = util_now_usec() +
	    (int64_t)STALL_FACTOR * s->lock_timeout_ms * 1000;
	/* Poll: a blocking wait could not notice a stalled holder. */
	while (fcntl(s->gate, F_SETLK, &fl) == -1) {
		if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
			log_err("%s/scim.gate: %s", s->home, strerror(errno));
			atomic_store_explicit(s->closing, 0,
			    memory_order_release);
			gate_lock(s, F_UNLCK, GATE_DOOR);
			return false;
		}
		if (util_now_usec() >= stall) {
			gate_end_stalled(s);
			stall = util_now_usec() + 1000000;
		}
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 16000000)
			ts.tv_nsec *= 2;
	}
	s->gate_depth = 1;		/* store_run() inside: no relock */
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

/* Close the databases and the environment, keeping s for store_env_attach(). */

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
	s->busy = (_Atomic uint64_t *)((char *)map + GATE_BUSY_OFFSET);
	s->gen = (_Atomic uint64_t *)((char *)map + GATE_GEN_OFFSET);
	/* What scim-repd publishes for the site (store-rep-int.h). */
	s->rep_area = (char *)map + STORE_GATE_REP_OFFSET;
	return SCIM_OK;
}

void
store_gate_fini(struct store *s)
{
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
