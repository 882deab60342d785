"""make bench's plumbing: errors, logging, bounded commands, /proc.

OWNS the run's clock and deadline (BENCH_MAX_SECONDS) and reading
/proc.  MUST NOT KNOW scenarios, servers or targets.
"""

import glob
import json
import os
import pwd
import subprocess
import sys
import time


BASE = "/scim/v2"
CLK_TCK = os.sysconf("SC_CLK_TCK")
T_START = time.monotonic()
# The run's limit (BENCH_MAX_SECONDS), set by main() before anything runs.
DEADLINE = 600


class BenchError(Exception):
    pass


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def env_int(name, default, lo, hi):
    try:
        v = int(os.environ.get(name, default))
    except ValueError:
        raise BenchError("%s must be an integer" % name)
    if not lo <= v <= hi:
        raise BenchError("%s must be between %d and %d" % (name, lo, hi))
    return v


def run(cmd, timeout, **kw):
    """Run a command to completion within timeout seconds; its stdout."""
    left = DEADLINE - (time.monotonic() - T_START)
    if left <= 0:
        raise BenchError("over the BENCH_MAX_SECONDS limit (%d s)" % DEADLINE)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=min(timeout, left + 5), **kw)
    if r.returncode != 0:
        raise BenchError("%s failed (%d): %s" % (" ".join(cmd[:4]), r.returncode,
                                                 r.stderr.strip()[-2000:]))
    return r.stdout


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        if line.strip().startswith("{"):
            return json.loads(line)
    raise BenchError("no JSON in output: %r" % text[-500:])


def service_cmd(cmd):
    """cmd run as the service account (www-data) when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "www-data", "--"] + cmd
    return cmd


def chown_www(path):
    pw = pwd.getpwnam("www-data")
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for n in files:
            os.chown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)


# --- /proc -------------------------------------------------------------------

def proc_stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()


def children(ppid):
    for d in glob.glob("/proc/[0-9]*"):
        pid = int(d.rsplit("/", 1)[1])
        f = proc_stat(pid)
        if f and int(f[1]) == ppid and f[0] != "Z":
            yield pid


def alive(pid):
    f = proc_stat(pid)
    return f is not None and f[0] != "Z"


def proc_prog(pid):
    """Program name of pid (a rebuilt binary shows as "... (deleted)")."""
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None
    return os.path.basename(exe.replace(" (deleted)", ""))


def cpu_ticks(pid):
    f = proc_stat(pid)
    # utime + stime, and cutime + cstime: the children a worker waits
    # for (hook commands) are its work too.
    return sum(int(x) for x in f[11:15]) if f else 0


def machine_ticks():
    """Clock ticks of the whole machine so far: (busy in processes, in
    interrupts and softirqs, total)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = v
    return user + nice + system, irq + softirq, sum(v)


def mem_of(pid):
    """Memory of one process in KiB.  RssAnon is the process's own (heap,
    stack); RssFile is mostly the Berkeley DB environment's region files,
    which every process maps shared (the cache pages a process has touched
    count in its VmRSS, and as "private" while no other process maps them)."""
    m = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    m[k] = int(v.split()[0])
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Pss", "Pss_Anon", "Pss_File"):
                    m[k] = int(v.split()[0])
    except OSError:
        pass
    return m
