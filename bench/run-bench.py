#!/usr/bin/env python3
"""make bench: every scim-fcgi hot path against the stack's own ceiling.

One run, on loopback only:

1. bench-load measures Berkeley DB's durable commit rate (one writer, 1 KB
   values) in a scratch environment on the same file system as the store;
2. bench-load fills a fresh store with BENCH_USERS users, a pool of spare
   users (those PATCH /Groups adds) and a 100,000-member group, through the
   store API in nosync batches; and a second store with 1,000 users for the
   "flat index" comparison;
3. bench-load times the cached bearer check and GET handlers in-process;
4. lighttpd starts from etc/lighttpd-local.conf.in (as the HTTP tests and
   the quick start do: www-data when root, the same max-procs everywhere)
   plus one FastCGI entry, /bench/null, served by bench/null-responder;
5. wrk drives each scenario for BENCH_SECONDS with the same threads and
   connections, the null responder first and last;
6. /proc gives each scenario's CPU time per request (workers, lighttpd, wrk,
   and whatever else ran on the machine), db5.3_stat the cache misses and
   lock waits, and after the run each worker's memory; perf, when present,
   profiles the workers in two extra runs (GET by id, and the slowest path).

Prints a table and writes results.json.  Every process it starts is ended
by PID before it exits, and every wait is bounded (BENCH_MAX_SECONDS).
"""

import argparse
import base64
import collections
import datetime
import glob
import http.client
import json
import os
import platform
import pwd
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BASE = "/scim/v2"
CLK_TCK = os.sysconf("SC_CLK_TCK")
T_START = time.monotonic()

# key, label in the table, the request
SCENARIOS = [
    ("null", "null responder", "GET /bench/null"),
    ("get_id", "GET /Users/{id}", "GET /Users/{id}, paired A B B A with the next"),
    ("null_get", "  null responder, paired", "GET /bench/null?id={id}, in turns with GET "
     "/Users/{id} (its ceiling for the GET's target, measured in the same minutes); wrk "
     "picks the id at random from the same file, so that the client does the same work "
     "for both"),
    ("null_sized", "  null responder, same body size",
     "GET /bench/null?bytes=N, N = the size of a GET /Users/{id} body: what moving "
     "that response costs the stack"),
    ("filter", "GET /Users?filter=userName eq", 'GET /Users?filter=userName eq "..."'),
    ("filter_small", "  same, on the 1,000-user store",
     'GET /Users?filter=userName eq "..." on a store of 1,000 users'),
    ("page", "GET /Users?startIndex&count=100",
     "GET /Users?startIndex=N&count=100, N at random over the whole store"),
    ("page_small", "  same, on the 1,000-user store",
     "GET /Users?startIndex=N&count=100 on a store of 1,000 users"),
    ("cursor", "GET /Users?cursor=...&count=100",
     "an RFC 9865 cursor walk: GET /Users?count=100&cursor= the last page's nextCursor "
     "(per wrk thread), from an empty cursor again after the last page"),
    ("cursor_small", "  same, on the 1,000-user store",
     "the cursor walk on a store of 1,000 users"),
    ("group_get", "GET /Groups/{id}?excl.=members",
     "GET /Groups/{id}?excludedAttributes=members (the 100k group)"),
    ("gate_basic", "static page, basic auth alone",
     "GET a static page behind lighttpd's basic authentication (plain user file), "
     "the access gate's stack without a gate"),
    ("gate_null", "  + do-nothing FastCGI authorizer",
     "the same page behind basic authentication and the null responder as a FastCGI "
     "authorizer: the ceiling of any authorizer"),
    ("gate_authz", "  + scim-authz (the access gate)",
     "the same page behind basic authentication and scim-authz: a user of the big "
     "store, active, in the mapped 100k group"),
    ("act_get_on", "GET /Users/{id}, activity on",
     "GET /Users/{id} with the activity recorder on (the default), paired A B B A "
     "with the next scenario; with the reads, before any write (a read pair "
     "measured after the writes saw their checkpoints, on one side more than the other)"),
    ("act_get_off", "  same, activity off",
     "GET /Users/{id} on the same store through a second lighttpd whose scim.conf "
     "says [activity] enabled = no"),
    ("post", "POST /Users (durable)", "POST /Users, sync = full"),
    ("sync", "Manual User Sync (users/s)",
     "scimctl graph sync of one BENCH_SYNC_USERS-user (10,000) Entra group from the Graph "
     "stand-in (tests/sync/graph_standin.py) into a fresh tenant of the big store, "
     "sync = full: users per second, wall clock, Graph reads included"),
    ("patch_user", "PATCH /Users/{id} (2 replaces)",
     "PATCH /Users/{id}, replace title and name.familyName"),
    ("patch_group", "PATCH /Groups/{id} add 1 member",
     "PATCH /Groups/{id}, add one member to the 100k group"),
    ("act_post_on", "POST /Users (durable), activity on",
     "POST /Users, sync = full, activity recorder on, paired with the next"),
    ("act_post_off", "  same, activity off", "POST /Users, activity recorder off"),
    ("null_end", "null responder (again)", "GET /bench/null"),
]
LABELS = {k: label.strip() for k, label, _ in SCENARIOS}
# Which FastCGI program serves a scenario.
PROGRAM = {"null": "null-responder", "null_end": "null-responder", "sync": "scimctl",
           "null_get": "null-responder",
           "null_sized": "null-responder", "gate_basic": "-", "gate_null": "null-responder",
           "gate_authz": "scim-authz",
           "group_get": "scim-groups", "patch_group": "scim-groups"}
# BENCH_ONLY names that stand for several scenarios.
ONLY_GROUPS = {"gate": ("gate_basic", "gate_null", "gate_authz"),
               "activity": ("act_get_on", "act_get_off", "act_post_on",
                            "act_post_off"),
               "paging": ("get_id", "page", "page_small", "cursor", "cursor_small"),
               "get": ("get_id", "null_get")}
# The activity pairs: the "on" scenario runs with its "off" twin.
ACTIVITY_PAIRS = {"act_get_on": ("act_get_off", "get_id"),
                  "act_post_on": ("act_post_off", "post")}
# Scenarios run as a pair with their twin on the 1,000-user store.
SMALL_TWIN = {"filter": "filter_small", "page": "page_small", "cursor": "cursor_small"}
# The gate scenarios' basic authentication (a plain user file: the cost of
# checking a password must not hide the authorizer's).
GATE_PASSWORD = "bench"
# Functions whose inclusive share of the worker's CPU samples is reported.
PROFILE_FUNCS = [
    "service_main", "FCGX_Accept_r", "http_req_read", "token_check", "token_check_txn",
    "crud_get", "crud_list", "store_page_ids", "store_scan_after", "crud_read_one",
    "members_read_backref", "page_add_answer",
    "crud_create", "crud_patch", "load_backref", "store_scan", "store_get",
    "store_put", "cJSON_ParseWithLengthOpts", "resource_render", "resource_normalize",
    "filter_match", "http_resp_send", "__txn_commit", "__os_fsync", "__memp_pgread",
    "_int_malloc", "malloc_consolidate",
]


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


# --- lighttpd ------------------------------------------------------------------

def conf_depth(text):
    """Parentheses left open at the end of a lighttpd config (strings and
    comments skipped), so an entry can be appended to a template that ends
    inside fastcgi.server."""
    depth, i, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        i += 1
    return depth


def gate_conf(tmpl, home, conf, args):
    """The access gate's scenarios added to a lighttpd config: a static
    page under /gate-basic/, /gate-null/ and /gate-authz/, all behind basic
    authentication, the last two behind a FastCGI authorizer too (the null
    responder, scim-authz).  mod_auth must run before mod_fastcgi's
    authorizer, so it is loaded before it."""
    tmpl, n = re.subn(r'"mod_fastcgi"', '"mod_auth", "mod_authn_file", "mod_fastcgi"',
                      tmpl, count=1)
    if n != 1:
        raise BenchError("lighttpd template: no mod_fastcgi in server.modules")
    for d in ("gate-basic", "gate-null", "gate-authz"):
        os.makedirs(os.path.join(home, "www", d), exist_ok=True)
        with open(os.path.join(home, "www", d, "index.html"), "w") as f:
            f.write("<!DOCTYPE html><title>app</title><p>the application\n")
    authz = lambda path, prog, env: """
$HTTP["url"] =^ "%s" {
	fastcgi.server = ( "%s" => ((
		"bin-path" => "%s",
		"socket" => "%s/sock/%s.sock",
		"mode" => "authorizer",
		"check-local" => "disable",
		"max-procs" => %d,
		"bin-environment" => ( %s ),
	)) )
}
""" % (path, path, os.path.join(args.bindir, prog), home, prog, args.procs, env)
    return tmpl + """
# make bench: the access gate (scenarios gate_*).
auth.backend = "plain"
auth.backend.plain.userfile = "%s/gate-users"
$HTTP["url"] =^ "/gate-" {
	auth.require = ( "" => ( "method" => "basic", "realm" => "bench",
		"require" => "valid-user" ) )
}
""" % home + authz("/gate-null/", "null-responder", '"BENCH_HOME" => "%s"' % home) + \
        authz("/gate-authz/", "scim-authz", '"SCIM_CONF" => "%s"' % conf)


def gate_setup(srv, users, bindir):
    """The gate's user (the first of the big group) in the user file, and a
    role mapping for the group, as an operator makes it.  Returns the
    basic credential (base64)."""
    name = users[0][1]
    with open(os.path.join(srv.home, "gate-users"), "w") as f:
        f.write("%s:%s\n" % (name, GATE_PASSWORD))
    if os.geteuid() == 0:
        chown_www(os.path.join(srv.home, "gate-users"))
    run([os.path.join(bindir, "scimctl"), "-c", srv.conf, "roles", "add",
         "bench-group-all", "member", "--products", "bench"], 60)
    return base64.b64encode(("%s:%s" % (name, GATE_PASSWORD)).encode()).decode()


def gate_smoke(srv, cred):
    """Each gate path answers 200 for the user, and scim-authz refuses a
    user the directory does not hold (basic auth lets it through)."""
    for path in ("/gate-basic/index.html", "/gate-null/index.html",
                 "/gate-authz/index.html"):
        for _ in range(4 * srv.args.procs):
            status, text = srv.request("GET", path, auth="Basic " + cred)
            if status != 200:
                raise BenchError("GET %s: %d: %s" % (path, status, text[:300]))
    with open(os.path.join(srv.home, "gate-users"), "a") as f:
        f.write("nobody@bench.example.com:%s\n" % GATE_PASSWORD)
    other = base64.b64encode(("nobody@bench.example.com:%s" % GATE_PASSWORD).encode())
    status, text = srv.request("GET", "/gate-authz/index.html",
                               auth="Basic " + other.decode())
    if status != 403:
        raise BenchError("scim-authz let an unknown user in: %d" % status)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """lighttpd with the scim programs and the null responder, on one home."""

    def __init__(self, name, work, args, db=None, conf_extra=""):
        """db: another server's store to serve (its home is shared);
        conf_extra: more scim.conf lines."""
        self.name = name
        self.home = os.path.join(work, name)
        self.db = db or os.path.join(self.home, "db")
        self.args = args
        self.port = free_port()
        self.proc = None
        self.kids = []
        self.token = None
        self.gate_cred = None
        self.users_rec = self.spares_rec = self.group = None
        for d in ("www", "sock", "db"):
            os.makedirs(os.path.join(self.home, d), exist_ok=True)
        self.conf = os.path.join(self.home, "scim.conf")
        with open(self.conf, "w") as f:
            # Durable commits, as shipped: a POST is on disk before its 201.
            f.write("[store]\nhome = %s\nsync = full\n%s" % (self.db, conf_extra))
        if args.cache_mb:
            # An experiment knob: the shipped DB_CONFIG with another cache.
            with open(os.path.join(args.srcdir, "db", "DB_CONFIG")) as f:
                dbc = f.read()
            # (The shipped file has no set_cachesize line: the programs
            # size the cache to the data.  One in the home wins.)
            dbc = re.sub(r"(?m)^set_cachesize .*\n?", "", dbc)
            dbc += "set_cachesize %d %d 1\n" % divmod(args.cache_mb * 2**20, 2**30)
            with open(os.path.join(self.db, "DB_CONFIG"), "w") as f:
                f.write(dbc)
        user_line = ""
        if os.geteuid() == 0:
            user_line = 'server.username = "www-data"\nserver.groupname = "www-data"'
        with open(os.path.join(args.srcdir, "etc", "lighttpd-local.conf.in")) as f:
            tmpl = f.read()
        for k, v in (("@BIND@", "127.0.0.1"), ("@PORT@", str(self.port)),
                     ("@HOME@", self.home),
                     ("@BINDIR@", args.bindir),
                     ("@CONF@", self.conf), ("@PROCS@", str(args.procs)),
                     ("@USER@", user_line)):
            tmpl = tmpl.replace(k, v)
        depth = conf_depth(tmpl)
        self.template_open = depth
        if depth > 0:
            tmpl += "\n" + ")" * depth + "\n"
        tmpl += """
# make bench: the do-nothing responder, with the programs' max-procs.
fastcgi.server += (
\t"/bench/null" => ((
\t\t"bin-path" => "%s",
\t\t"socket" => "%s/sock/null.sock",
\t\t"check-local" => "disable",
\t\t"max-procs" => %d,
\t\t"bin-environment" => ( "BENCH_HOME" => "%s" ),
\t)),
)
""" % (os.path.join(args.bindir, "null-responder"), self.home, args.procs,
       self.home)
        tmpl = gate_conf(tmpl, self.home, self.conf, args)
        self.lighttpd_conf = os.path.join(self.home, "lighttpd.conf")
        with open(self.lighttpd_conf, "w") as f:
            f.write(tmpl)

    def start(self, attempts=2):
        """Start lighttpd and wait for its port.  A second attempt covers a
        program that failed to spawn because a concurrent build was
        replacing its binary."""
        for attempt in range(attempts):
            try:
                return self._start()
            except BenchError:
                self.stop()
                if attempt + 1 == attempts:
                    raise
                log("lighttpd (%s) did not start; again in 2 s" % self.name)
                time.sleep(2)

    def _start(self):
        # stderr to a file: FastCGI children inherit it, and a pipe they
        # hold open would outlive a lighttpd that failed.
        with open(os.path.join(self.home, "lighttpd-stderr.log"), "ab") as err:
            self.proc = subprocess.Popen([self.args.lighttpd, "-D", "-f", self.lighttpd_conf],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None:
                    raise BenchError("lighttpd (%s) exited: %s" % (self.name, self.errorlog()))
                time.sleep(0.05)
        else:
            raise BenchError("lighttpd (%s) did not start" % self.name)
        self.kids = list(children(self.proc.pid))
        return self

    def errorlog(self):
        try:
            with open(os.path.join(self.home, "lighttpd-error.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def workers(self):
        """{pid: program} of lighttpd's live FastCGI children."""
        if self.proc is None:
            return {}
        out = {}
        for pid in children(self.proc.pid):
            prog = proc_prog(pid)
            if prog:
                out[pid] = prog
                if pid not in self.kids:
                    self.kids.append(pid)
        return out

    def ours(self):
        """Live processes started for this home, found by the environment
        lighttpd gives them (SCIM_CONF, BENCH_HOME), orphans included."""
        mark = ("SCIM_CONF=%s" % self.conf).encode()
        mark2 = ("BENCH_HOME=%s" % self.home).encode()
        out = []
        for d in glob.glob("/proc/[0-9]*"):
            try:
                with open(d + "/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if mark in env or mark2 in env:
                pid = int(d.rsplit("/", 1)[1])
                if alive(pid):
                    out.append(pid)
        return out

    def stop(self):
        if self.proc is None:
            return
        self.workers()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        # lighttpd ends its FastCGI children on SIGTERM; make sure, by PID,
        # also of those a failed lighttpd left behind.
        deadline = time.monotonic() + 5
        for pid in set(self.kids) | set(self.ours()):
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.proc = None

    def request(self, method, path, body=None, auth=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Authorization": auth or "Bearer " + (self.token or "")}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/scim+json"
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        text = r.read()
        conn.close()
        return r.status, text


# --- Berkeley DB statistics -------------------------------------------------

DB_STAT_KEYS = {
    "-m": {"Requested pages not found in the cache": "page_misses",
           "Pages written from the cache to the backing file": "pages_written",
           "Dirty pages forced from the cache": "dirty_evictions"},
    "-c": {"Lock requests not available due to conflicts, for which we waited": "lock_waits",
           "Number of deadlocks": "deadlocks",
           "Number of locks that have timed out": "lock_timeouts"},
    "-t": {"Number of transactions committed": "commits",
           "Number of transactions aborted": "aborts"},
}


def db_stat(args, srv):
    """Counters of the environment (exact below 10 million: db_stat prints
    larger numbers as "18M")."""
    if not args.db_stat:
        return None
    out = {}
    for flag, keys in DB_STAT_KEYS.items():
        try:
            text = run(service_cmd([args.db_stat, "-h", srv.db, flag]), 30)
        except (BenchError, subprocess.TimeoutExpired):
            return None
        for line in text.splitlines():
            num, _, what = line.strip().partition("\t")
            what = re.sub(r"\s*\(\d+%\)$", "", what)
            # -m goes on per file after the totals: keep the first.
            if what in keys and keys[what] not in out:
                m = re.match(r"^(\d+)([KMG]?)$", num)
                if m:
                    out[keys[what]] = int(m.group(1)) * {"": 1, "K": 10**3, "M": 10**6,
                                                         "G": 10**9}[m.group(2)]
    return out


# --- wrk ---------------------------------------------------------------------

RECLEN = 96     # bytes per line of the files scim.lua reads (as there)


def write_records(srv, ids):
    """From bench-load's ids file, the fixed-width files scim.lua seeks in:
    the users requests pick from, and the spare users."""
    srv.users_rec = os.path.join(srv.home, "users.rec")
    srv.spares_rec = os.path.join(srv.home, "spares.rec")
    srv.group = None
    with open(ids) as f, open(srv.users_rec, "w") as u, open(srv.spares_rec, "w") as sp:
        for line in f:
            kind, i, name = line.split()
            if kind == "g":
                srv.group = i
                continue
            rec = "%s %s" % (i, name)
            if len(rec) >= RECLEN:
                raise BenchError("id and name too long for a record: %s" % rec)
            (u if kind == "u" else sp).write(rec.ljust(RECLEN - 1) + "\n")


def wrk_cmd(args, srv, scenario, ids, seconds, seed):
    files = [srv.users_rec, srv.spares_rec] if ids else ["-", "-"]
    return ["wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % seconds,
            "--timeout", "10s", "-s", os.path.join(args.srcdir, "bench", "scim.lua"),
            "http://127.0.0.1:%d" % srv.port, "--", scenario] + files + [
            srv.group or "-",
            (srv.gate_cred if scenario.startswith("gate_") else srv.token) or "",
            str(args.threads), str(seed),
            str(args.null_bytes)]


def merge(a, b):
    """One result from two runs of a scenario (percentiles: the
    request-weighted mean of the two, marked approximate)."""
    n = a["requests"] + b["requests"]
    w = lambda x, y: (x * a["requests"] + y * b["requests"]) / max(n, 1)
    r = dict(a)
    r["requests"] = n
    r["duration_us"] = a["duration_us"] + b["duration_us"]
    r["seconds"] = a["seconds"] + b["seconds"]
    r["rps"] = n / r["seconds"] if r["seconds"] else 0.0
    r["errors"] = {k: a["errors"][k] + b["errors"][k] for k in a["errors"]}
    r["errors_total"] = a["errors_total"] + b["errors_total"]
    r["latency_us"] = {k: w(a["latency_us"][k], b["latency_us"][k])
                       for k in a["latency_us"]}
    r["latency_us"]["max"] = max(a["latency_us"]["max"], b["latency_us"]["max"])
    r["latency_approx"] = True
    r["cpu_us_per_req"] = {k: w(a["cpu_us_per_req"][k], b["cpu_us_per_req"][k])
                           for k in a["cpu_us_per_req"]}
    r["machine_pct"] = {k: (a["machine_pct"][k] + b["machine_pct"][k]) / 2
                        for k in a["machine_pct"]}
    if "bdb" in a and "bdb" in b:
        r["bdb"] = {k: a["bdb"].get(k, 0) + b["bdb"].get(k, 0) for k in a["bdb"]}
        r["bdb"]["page_misses_per_req"] = r["bdb"].get("page_misses", 0) / max(n, 1)
        r["bdb"]["lock_waits_per_req"] = r["bdb"].get("lock_waits", 0) / max(n, 1)
    r["runs"] = [a, b]
    return r


def drain(srv, limit=60.0):
    """Wait until the workers are idle: wrk stops counting at its deadline,
    but requests already queued (a slow path queues many) still run, and
    must not be charged to the next scenario.  Bounded by limit seconds."""
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        now = sum(cpu_ticks(p) for p in srv.workers())
        if now == last:
            return
        last = now
        time.sleep(0.2)
    log("  workers still busy after %.0f s" % limit)


def wrk(args, srv, key, scenario, ids, seed, seconds=None):
    seconds = seconds or args.seconds
    prog = PROGRAM.get(key, "scim-users")
    workers = srv.workers()
    before = {pid: cpu_ticks(pid) for pid in workers}
    lt0 = cpu_ticks(srv.proc.pid)
    st0 = db_stat(args, srv)
    m0 = machine_ticks()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = run(wrk_cmd(args, srv, scenario, ids, seconds, seed), seconds + 60)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m1 = machine_ticks()
    after = {p: (exe, cpu_ticks(p)) for p, exe in srv.workers().items()}
    lt1 = cpu_ticks(srv.proc.pid)
    st1 = db_stat(args, srv)
    m = re.search(r"^BENCH-JSON (\{.*\})$", out, re.M)
    if not m:
        raise BenchError("wrk printed no result for %s:\n%s" % (key, out[-2000:]))
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    n = max(r["requests"], 1)
    r["rps"] = r["requests"] / secs if secs > 0 else 0.0
    r["errors_total"] = sum(r["errors"].values())
    r["program"] = prog
    r["seconds"] = secs
    r["loadavg"] = list(os.getloadavg())
    # CPU per request: the program that served it, lighttpd, wrk, the rest.
    ticks = sum(t - before.get(p, 0) for p, (exe, t) in after.items() if exe == prog)
    other_workers = sum(t - before.get(p, 0) for p, (exe, t) in after.items() if exe != prog)
    us = lambda t: t / CLK_TCK * 1e6 / n
    r["cpu_us_per_req"] = {
        "worker": us(ticks),
        "lighttpd": us(lt1 - lt0),
        "wrk": ((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)) * 1e6 / n,
    }
    ours = ticks + other_workers + (lt1 - lt0) + \
        ((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)) * CLK_TCK
    total = max(m1[2] - m0[2], 1)
    r["machine_pct"] = {
        "busy": 100.0 * (m1[0] + m1[1] - m0[0] - m0[1]) / total,
        "benchmark": 100.0 * ours / total,
        "irq": 100.0 * (m1[1] - m0[1]) / total,
        # Processes that are not part of this benchmark (noise).
        "other": max(0.0, 100.0 * ((m1[0] - m0[0]) - ours) / total),
    }
    if st0 and st1:
        d = {k: st1.get(k, 0) - st0.get(k, 0) for k in st1}
        r["bdb"] = dict(d, page_misses_per_req=d.get("page_misses", 0) / n,
                        lock_waits_per_req=d.get("lock_waits", 0) / n)
    drain(srv)
    return r


def paired(args, seed, a, b, b_seed=None):
    """Two scenarios a and b, each (server, key, scenario, ids file), in
    A B B A halves of BENCH_SECONDS, so that drifting load on a shared
    machine falls on both alike.  Returns their merged results.  b_seed:
    b's seeds when they must differ from a's (POST names users by seed)."""
    half = max(1, args.seconds // 2)
    b_seed = seed if b_seed is None else b_seed
    a1 = wrk(args, *a, seed, half)
    b1 = wrk(args, *b, b_seed, half)
    b2 = wrk(args, *b, b_seed + 1, half)
    a2 = wrk(args, *a, seed + 1, half)
    out = merge(a1, a2), merge(b1, b2)
    for (_, k, _, _), r in zip((a, b), out):
        log("  %-12s %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %d  "
            "worker %.0f us/req  other load %.0f%%" % (
                k, r["rps"], r["latency_us"]["p50"] / 1000, r["latency_us"]["p99"] / 1000,
                r["errors_total"], r["cpu_us_per_req"]["worker"],
                r["machine_pct"]["other"]))
    return out


# --- perf --------------------------------------------------------------------

def perf_usable(args):
    if args.profile == "0" or not shutil.which("perf"):
        return False
    if os.geteuid() == 0:
        return True
    try:
        with open("/proc/sys/kernel/perf_event_paranoid") as f:
            return int(f.read()) <= 1
    except (OSError, ValueError):
        return False


# The bearer check, wherever it runs: before the handler (token_check,
# token_check_start), inside the handler's transaction (token_check_txn),
# after it (token_check_finish, token_touch).  Its share is that of the
# samples with any of them on the stack.
AUTH_FUNCS = {"token_check", "token_check_start", "token_check_txn",
              "token_check_finish", "token_touch"}


def stack_shares(text, funcs):
    """Inclusive share of samples per function, and the top self symbols."""
    samples, cur = [], None
    for line in text.splitlines():
        if not line.strip():
            if cur is not None:
                samples.append(cur)
            cur = None
        elif not line[0].isspace():
            cur = []
        elif cur is not None:
            parts = line.split()
            if len(parts) >= 2:
                cur.append(re.sub(r"\+0x[0-9a-f]+$", "", parts[1]))
    if cur:
        samples.append(cur)
    n = len(samples) or 1
    inc = collections.Counter()
    top = collections.Counter()
    auth = 0
    for s in samples:
        for f in set(s):
            inc[f] += 1
        if AUTH_FUNCS.intersection(s):
            auth += 1
        if s:
            top[s[0]] += 1
    return {
        "samples": len(samples),
        "inclusive_pct": {f: round(100.0 * inc[f] / n, 1) for f in funcs},
        "auth_pct": round(100.0 * auth / n, 1),
        "self_top_pct": {f: round(100.0 * c / n, 1) for f, c in top.most_common(15)},
    }


def profile(args, srv, key, scenario, ids, seed, work):
    """perf samples of the program serving a scenario during an extra run."""
    prog = PROGRAM.get(key, "scim-users")
    pids = [p for p, exe in srv.workers().items() if exe == prog]
    secs = min(5, args.seconds)
    data = os.path.join(work, "perf-%s.data" % key)
    rec = subprocess.Popen(["perf", "record", "-q", "-F", "499", "--call-graph",
                            "dwarf,16384", "-o", data, "-p", ",".join(map(str, pids)),
                            "--", "sleep", str(secs + 1)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)
        run(wrk_cmd(args, srv, scenario, ids, secs, seed), secs + 60)
        rec.wait(secs + 30)
    finally:
        if rec.poll() is None:
            rec.kill()
            rec.wait(10)
    text = run(["perf", "script", "-i", data, "--no-inline"], 300)
    os.unlink(data)
    r = stack_shares(text, PROFILE_FUNCS)
    r.update({"program": prog, "seconds": secs, "pids": pids})
    if r["inclusive_pct"]["service_main"] < 50:
        # perf could not name the program's functions (a concurrent build
        # replaced the binary?): the shares would be wrong, not zero.
        return {"error": "perf resolved too few of %s's symbols (service_main in "
                         "%.0f%% of samples)" % (prog, r["inclusive_pct"]["service_main"]),
                "samples": r["samples"]}
    return r


# --- the run -------------------------------------------------------------------

def read_ids(path):
    users, spares, group = [], [], None
    with open(path) as f:
        for line in f:
            kind, i, name = line.split()
            if kind == "u":
                users.append((i, name))
            elif kind == "s":
                spares.append((i, name))
            else:
                group = i
    return users, spares, group


def smoke(srv, users, group, procs):
    """Each path once per worker and more, so no scenario measures a stream
    of errors and every worker has verified the token before timing."""
    uid, name = users[0]
    fq = BASE + '/Users?filter=userName%20eq%20%22' + name + '%22'
    checks = [("GET", "/bench/null", None, 200), ("GET", BASE + "/Users/" + uid, None, 200),
              ("GET", fq, None, 200), ("GET", BASE + "/Users?startIndex=1&count=100", None, 200)]
    if group:
        checks.append(("GET", BASE + "/Groups/" + group + "?excludedAttributes=members",
                       None, 200))
    checks = checks * (4 * procs)
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}
    checks += [
        ("POST", BASE + "/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                   "userName": "smoke-%d@bench.example.com" % os.getpid()},
         201),
        ("PATCH", BASE + "/Users/" + uid, dict(patch, Operations=[
            {"op": "Replace", "path": "title", "value": "Smoke"}]), 200),
    ]
    if group:
        # An existing member: a no-op that leaves the spare pool whole.
        checks.append(("PATCH", BASE + "/Groups/" + group, dict(patch, Operations=[
            {"op": "Add", "path": "members", "value": [{"value": uid}]}]), 204))
    for method, path, body, want in checks:
        status, text = srv.request(method, path, body)
        if status != want:
            raise BenchError("%s %s on %s: %d, wanted %d: %s" % (
                method, path, srv.name, status, want, text[:300]))
    status, text = srv.request("GET", fq)
    if json.loads(text).get("totalResults") != 1:
        raise BenchError("the filter found no single user: %s" % text[:300])
    # The size of a GET /Users/{id} answer, for the null_sized scenario.
    status, text = srv.request("GET", BASE + "/Users/" + users[-1][0])
    return len(text)


def du(pattern):
    """Bytes on disk (allocated blocks) of the files matching a glob."""
    total = 0
    for p in glob.glob(pattern):
        try:
            total += os.stat(p).st_blocks * 512
        except OSError:
            pass
    return total


def store_sizes(srv, users):
    files = {os.path.basename(p): du(p)
             for p in sorted(glob.glob(os.path.join(srv.db, "*.db")))}
    data = sum(files.values())
    return {"data_bytes": data, "log_bytes": du(os.path.join(srv.db, "log.*")),
            "region_bytes": du(os.path.join(srv.db, "__db.*")), "files": files,
            "users": users, "data_bytes_per_user": data / users if users else 0}


def first_line(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=10).stdout
        return out.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def machine_info(args, version):
    info = {"hostname": platform.node(), "cpus": os.cpu_count(),
            "kernel": platform.release(), "loadavg_at_start": list(os.getloadavg())}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next((l.split(":", 1)[1].strip() for l in f
                                if l.startswith("model name")), None)
        with open("/proc/meminfo") as f:
            info["memory_mib"] = int(f.readline().split()[1]) // 1024
        with open("/etc/os-release") as f:
            info["os"] = next((l.split("=", 1)[1].strip().strip('"') for l in f
                               if l.startswith("PRETTY_NAME=")), None)
    except (OSError, ValueError, IndexError):
        pass
    versions = dict(version)
    versions.update({
        "lighttpd": first_line([args.lighttpd, "-v"]),
        "wrk": first_line(["wrk", "-v"]),
        "cc": first_line([os.environ.get("CC") or "cc", "--version"]),
        "python": platform.python_version(),
        "perf": first_line(["perf", "--version"]) if shutil.which("perf") else None,
    })
    return info, versions


def commit_rate(bl, work):
    """Berkeley DB's durable commit rate, one writer, in a scratch home."""
    cdir = os.path.join(work, "commit")
    os.mkdir(cdir)
    if os.geteuid() == 0:
        chown_www(cdir)
    log("Berkeley DB durable commit rate, 3 s ...")
    try:
        r = last_json(run([bl, "commit", "-d", cdir, "-t", "3"], 120))
    finally:
        shutil.rmtree(cdir, ignore_errors=True)
    log("  %.0f commits/s" % r["raw_commits_per_s"])
    return r


def sync_scenario(args, srv, work):
    """Manual User Sync of BENCH_SYNC_USERS users from the Graph stand-in
    into tenant "bench-sync" of srv's store: one scimctl process, timed
    from start to exit, in the shape of a wrk result (rps = users/s)."""
    standin = os.path.join(args.srcdir, "tests", "sync", "graph_standin.py")
    port_file = os.path.join(work, "graph.port")
    secret = os.path.join(work, "graph.secret")
    with open(secret, "w") as f:
        f.write("s3cret\n")
    os.chmod(secret, 0o644)          # scimctl reads it as the home's owner
    proc = subprocess.Popen([sys.executable, standin, "--users", str(args.sync_users),
                             "--port-file", port_file])
    try:
        t_end = time.monotonic() + 120
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.monotonic() > t_end:
                raise BenchError("the Graph stand-in did not start")
            time.sleep(0.1)
        with open(port_file) as f:
            base = "http://127.0.0.1:%d" % int(f.read())
        with open(srv.conf, "a") as f:
            f.write("\n[graph]\nauthority = %s\nurl = %s\n" % (base, base))
        ctl = [os.path.join(args.bindir, "scimctl"), "-c", srv.conf]
        run(ctl + ["graph", "credentials", "--tenant", "bench-sync", "--tenant-id",
                   "tenant-1", "--client-id", "client-1", "--secret-file", secret], 60)
        run(ctl + ["roles", "add", "Bench", "member", "--tenant", "bench-sync"], 60)
        m0, ru0, t0 = machine_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN), \
            time.monotonic()
        out = run(ctl + ["graph", "sync", "--tenant", "bench-sync", "--quiet"], 900)
        secs = time.monotonic() - t0
        ru1, m1 = resource.getrusage(resource.RUSAGE_CHILDREN), machine_ticks()
    finally:
        proc.terminate()
        proc.wait(30)
    m = re.search(r"created (\d+), updated (\d+), unchanged (\d+), failed (\d+) of "
                  r"(\d+) users in (\d+) ms", out)
    if not m:
        raise BenchError("graph sync said: %s" % out.strip()[:300])
    created, _, _, failed, total, _ = (int(x) for x in m.groups())
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    busy = (m1[0] - m0[0]) / max(1, m1[2] - m0[2])
    return {"rps": total / secs, "requests": total, "errors_total": failed,
            "created": created, "seconds": secs,
            "latency_us": {"p50": 0.0, "p99": 0.0},
            "cpu_us_per_req": {"worker": 1e6 * cpu / max(1, total), "lighttpd": 0.0},
            "machine_pct": {"other": 0.0, "busy": 100.0 * busy},
            "loadavg": os.getloadavg()}


def bench(args, bl, work, servers):
    started = datetime.datetime.now(datetime.timezone.utc)
    machine, versions = machine_info(args, last_json(run([bl, "version"], 30)))
    fs = run(["stat", "-f", "-c", "%T", work], 10).strip()
    log("scratch directory %s (%s)" % (work, fs))

    # 1. The durable commit ceiling, on the store's file system.
    commit = commit_rate(bl, work)

    # 2. The stores.  Spare users: one per add-member request.  With group
    #    commit (one flush for the writes queued on a worker) those run at
    #    up to ~1.2 times the durable commit rate of one writer: twice that
    #    rate leaves room; a run that used them all up says so.
    spare = env_int("BENCH_SPARE", max(10000, int(2 * commit["raw_commits_per_s"] *
                                                   args.seconds)), 0, 10**7)
    big = Server("big", work, args)
    small = Server("small", work, args)
    if os.geteuid() == 0:
        chown_www(big.home)
        chown_www(small.home)
    ids, ids_small = (os.path.join(s.home, "ids.txt") for s in (big, small))
    members = min(args.members, args.users)
    log("loading %d users + %d spare + a %d-member group ..." % (args.users, spare, members))
    load = last_json(run([bl, "-c", big.conf, "load", "-n", str(args.users), "-s", str(spare),
                          "-m", str(args.members), "-o", ids], 1800))
    sizes = store_sizes(big, args.users + spare)
    log("  users %.1f s (%.0f/s), members %.1f s: loaded in %.1f s, %.0f MiB of .db files"
        % (load["users_seconds"], load["users_per_s"], load["members_seconds"],
           load["seconds"], sizes["data_bytes"] / 2**20))
    # The small store has the same shape: the same share of its users is
    # in one group, so a filter answers the same work on both on average.
    members_small = round(args.small * members / args.users)
    load_small = last_json(run([bl, "-c", small.conf, "load", "-n", str(args.small),
                                "-s", "0", "-m", str(members_small), "-o", ids_small], 600))
    sizes_small = store_sizes(small, args.small)
    tokens = os.path.join(args.bindir, "scim-tokens")
    for s in (big, small):
        s.token = run([tokens, "-c", s.conf, "create", "--tenant", "default",
                       "--label", "bench"], 60).strip()

    # 3. The bearer check and the GET handler, in-process.
    log("token_check and GET handlers in-process, 3 s ...")
    auth = last_json(run([bl, "-c", big.conf, "auth", "-k", big.token, "-o", ids,
                          "-t", "2"], 120))

    # 4. The servers.
    users, spares, group = read_ids(ids)
    users_small = read_ids(ids_small)[0]
    write_records(big, ids)
    write_records(small, ids_small)
    for s in (big, small):
        servers.append(s)
        s.start()
    # The recorder off: a second lighttpd on the big store (same token).
    quiet = None
    if not args.only or args.only.intersection(ONLY_GROUPS["activity"]):
        quiet = Server("quiet", work, args, db=big.db,
                       conf_extra="[activity]\nenabled = no\n")
        if os.geteuid() == 0:
            chown_www(quiet.home)
        quiet.token, quiet.users_rec, quiet.spares_rec, quiet.group = (
            big.token, big.users_rec, big.spares_rec, big.group)
        servers.append(quiet)
        quiet.start()
    args.null_bytes = smoke(big, users, group, args.procs)
    smoke(small, users_small, None, args.procs)
    if not args.only or args.only.intersection(ONLY_GROUPS["gate"]):
        big.gate_cred = gate_setup(big, users, args.bindir)
        gate_smoke(big, big.gate_cred)

    # 5. The scenarios: reads first, then the writes that grow the store.
    seed = random.randint(1, 10**6)
    plan = {"null": (big, None), "get_id": (big, ids), "null_sized": (big, None),
            "null_get": (big, ids),
            "filter": (big, ids),
            "filter_small": (small, ids_small), "page": (big, ids), "group_get": (big, ids),
            "page_small": (small, ids_small), "cursor": (big, ids),
            "cursor_small": (small, ids_small),
            "post": (big, ids), "sync": (big, None),
            "patch_user": (big, ids), "patch_group": (big, ids),
            "null_end": (big, None), "gate_basic": (big, None), "gate_null": (big, None),
            "gate_authz": (big, None), "act_get_on": (big, ids), "act_get_off": (quiet, ids),
            "act_post_on": (big, ids), "act_post_off": (quiet, ids)}
    sc = {}
    commit_near = []
    for key, _, _ in SCENARIOS:
        if args.only and key not in args.only:
            continue
        if key == "post" or (key == "null_end" and commit_near):
            # The durable commit rate right before and after the writes:
            # the disk is shared too.
            commit_near.append(commit_rate(bl, work))
        srv, idfile = plan[key]
        scen = {"filter_small": "filter", "page_small": "page", "cursor_small": "cursor",
                "null_end": "null"}.get(key, key)
        if key in SMALL_TWIN.values() and key in sc:
            continue            # measured with its big-store twin, below
        if key == "gate_authz" and "gate_authz" in sc:
            continue            # measured with "gate_null", below
        if key == "null_get" and key in sc:
            continue            # measured with "get_id", below
        if key in ("act_get_off", "act_post_off") and key in sc:
            continue            # measured with its "on" twin, below
        log("%-13s %s ..." % (key, "%d users" % args.sync_users if key == "sync" else
                              "%d s" % args.seconds))
        try:
            if key == "sync":
                sc[key] = sync_scenario(args, srv, work)
                log("  %9.0f users/s (%d users in %.1f s)  scimctl %.0f us/user  "
                    "load average %.2f" % (sc[key]["rps"], sc[key]["requests"],
                                           sc[key]["seconds"],
                                           sc[key]["cpu_us_per_req"]["worker"],
                                           sc[key]["loadavg"][0]))
                continue
            if key in SMALL_TWIN and (not args.only or SMALL_TWIN[key] in args.only):
                # The flatness pairs, on the big store and the small one.
                sc[key], sc[SMALL_TWIN[key]] = paired(
                    args, seed, (big, key, key, ids),
                    (small, SMALL_TWIN[key], key, ids_small))
                continue
            if key == "get_id" and (not args.only or "null_get" in args.only):
                # The GET against its ceiling, in turns: the machine's
                # speed drifts by a quarter within minutes, and the null
                # responder's runs at the start and the end of the whole
                # run do not see the GET's minutes.
                sc["get_id"], sc["null_get"] = paired(
                    args, seed, (big, "get_id", "get_id", ids),
                    (big, "null_get", "null_pick", ids))
                continue
            if key == "gate_null" and (not args.only or "gate_authz" in args.only):
                # The gate against its ceiling.
                sc["gate_null"], sc["gate_authz"] = paired(
                    args, seed, (big, "gate_null", "gate_null", None),
                    (big, "gate_authz", "gate_authz", None))
                continue
            if key in ACTIVITY_PAIRS and (not args.only or
                                          ACTIVITY_PAIRS[key][0] in args.only):
                # The recorder on and off, A B B A on the same store.
                twin, scen = ACTIVITY_PAIRS[key]
                # Seeds apart from "post"'s and each other's: POST names
                # its users by seed.
                sc[key], sc[twin] = paired(args, seed + 10, (big, key, scen, ids),
                                           (quiet, twin, scen, ids), seed + 20)
                continue
            sc[key] = wrk(args, srv, key, scen, idfile, seed)
        except (BenchError, subprocess.TimeoutExpired) as e:
            if "BENCH_MAX_SECONDS" in str(e):
                raise
            sc[key] = {"skipped": str(e)[:500]}
            log("  " + sc[key]["skipped"])
            continue
        r = sc[key]
        log("  %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %d  worker %.0f us/req"
            "  other load %.0f%%" % (r["rps"], r["latency_us"]["p50"] / 1000,
                                     r["latency_us"]["p99"] / 1000, r["errors_total"],
                                     r["cpu_us_per_req"]["worker"],
                                     r["machine_pct"]["other"]))

    # 6. Memory of every worker, then profiles (extra runs, not timed).
    workers = []
    for s in servers:
        for pid, prog in sorted(s.workers().items()):
            m = mem_of(pid)
            m.update({"program": prog, "pid": pid, "server": s.name})
            workers.append(m)
    ok = lambda k: k in sc and "skipped" not in sc[k]
    rps = lambda k: sc[k]["rps"] if ok(k) else 0.0
    real = [k for k, _, _ in SCENARIOS if ok(k) and not k.startswith("null")
            and not k.startswith("gate_") and k not in SMALL_TWIN.values() and k != "sync"]
    slow = min(real, key=rps) if real else None
    after = store_sizes(big, args.users + spare)
    count = last_json(run([bl, "-c", big.conf, "count", "-g", group], 300))
    profiles = {}
    if perf_usable(args):
        for key in dict.fromkeys(k for k in ("get_id", slow) if k and ok(k)):
            log("profiling %s with perf, %d s ..." % (key, min(5, args.seconds)))
            try:
                profiles[key] = profile(args, big, key, key, ids, seed + 1, work)
            except (BenchError, subprocess.TimeoutExpired, OSError) as e:
                profiles[key] = {"error": str(e)[:300]}
    for s in servers:
        s.stop()
    servers.clear()
    # What an upgrade to store layout 5 costs this store: its first count
    # and numbered name indexes, made by an open that is alone.
    log("store layout 5 made again (count + numbered indexes) ...")
    relayout = last_json(run([bl, "-c", big.conf, "relayout"], 1800))
    log("  %.1f s for %d users" % (relayout["seconds"], relayout["users"]))

    # What the writes did, counted in the store.
    done = lambda k: sc[k]["requests"] - sc[k]["errors_total"] if ok(k) else 0
    verify = {
        "users_expected": args.users + spare + 1 + done("post") +   # +1: smoke POST
        done("act_post_on") + done("act_post_off"),
        "users_counted": count["users"],
        "members_expected": members + min(done("patch_group"), spare),
        "members_counted": count["group_members"],
    }
    # wrk does not count the answers still in flight when it stops: up to
    # one per connection may have been written on top (per run: a paired
    # scenario runs twice).
    slack = lambda k: args.connections if ok(k) else 0
    verify["ok"] = (0 <= verify["users_counted"] - verify["users_expected"] <=
                    slack("post") + 2 * (slack("act_post_on") + slack("act_post_off"))
                    and 0 <= verify["members_counted"] - verify["members_expected"]
                    <= slack("patch_group"))

    # Derived figures and targets.
    nulls = [rps(k) for k in ("null", "null_end") if ok(k)]
    null = sum(nulls) / len(nulls) if nulls else 0.0
    vs_null = {k: (rps(k) / null if null else 0.0) for k in sc if ok(k)}
    cpu = lambda k, what: sc[k]["cpu_us_per_req"][what] if ok(k) else 0.0
    get_server_us = cpu("get_id", "worker") + cpu("get_id", "lighttpd")
    prof = profiles.get("get_id", {})
    if "inclusive_pct" in prof:
        auth_us = prof["auth_pct"] / 100.0 * cpu("get_id", "worker")
        auth_how = ("perf: the bearer check (%s) is %.1f%% of scim-users' CPU samples "
                    "in GET by id x %.1f us worker CPU per GET" % (
                        ", ".join(sorted(AUTH_FUNCS)), prof["auth_pct"],
                        cpu("get_id", "worker")))
    else:
        auth_us = auth["auth_added_us"]
        auth_how = ("in-process (no perf): GET handler with token_check minus without; "
                    "underestimates what a worker pays")
    auth_share = auth_us / get_server_us if get_server_us else 0.0
    flat = rps("filter") / rps("filter_small") if rps("filter_small") else 0.0
    # Listing: the big store against the small one, and a page of 100
    # against one GET by id (its cost: how many GETs one page is worth).
    twin = lambda k: rps(k) / rps(SMALL_TWIN[k]) if rps(SMALL_TWIN[k]) else 0.0
    per_get = lambda k: rps("get_id") / rps(k) if rps(k) else 0.0
    load_of = lambda *ks: ", ".join("%s %s" % (k, "/".join("%.2f" % v for v in sc[k]["loadavg"]))
                                    for k in ks if ok(k) and "loadavg" in sc[k])
    # POST against the commit rate measured next to it (before and after
    # the writes), the start-of-run figure when the writes did not run.
    near = [c["raw_commits_per_s"] for c in commit_near] or [commit["raw_commits_per_s"]]
    raw_commit = sum(near) / len(near)
    post_vs_commit = rps("post") / raw_commit
    add_vs_post = rps("patch_group") / rps("post") if rps("post") else 0.0
    sync_vs_post = rps("sync") / rps("post") if rps("post") else 0.0
    scim_workers = [w for w in workers if w["program"].startswith("scim-")
                    and w["server"] == "big"]
    max_anon = max((w.get("RssAnon", 0) for w in scim_workers), default=0)
    max_rss = max((w.get("VmRSS", 0) for w in scim_workers), default=0)
    max_pss = max((w.get("Pss", 0) for w in scim_workers), default=0)
    pool_ok = ok("patch_group") and sc["patch_group"].get("exhausted", 0) == 0

    def target(name, keys, measured, goal, met, mtext, gtext, note=""):
        bad = "; ".join("%s did not run" % k if not ok(k) else
                        "%s had %d errors" % (k, sc[k]["errors_total"])
                        for k in keys if not ok(k) or sc[k]["errors_total"])
        status = "info" if met is None else ("met" if met and not bad else "MISSED")
        if "patch_group" in keys and not pool_ok and ok("patch_group"):
            status = "invalid"
        return {"name": name, "measured": measured, "goal": goal, "status": status,
                "measured_text": mtext, "goal_text": gtext,
                "evidence": "; ".join(x for x in (bad, note) if x)}

    pct = lambda v: "%.1f%%" % (100 * v)
    gate_a = rps("gate_authz") / rps("gate_null") if rps("gate_null") else 0.0
    gate_n = rps("gate_null") / rps("gate_basic") if rps("gate_basic") else 0.0
    # The same by CPU per request (worker + lighttpd + wrk): what the ratio
    # would be on a machine the benchmark has to itself.
    stack_us = lambda k: sum(sc[k]["cpu_us_per_req"].values()) if ok(k) else 0.0
    gate_cpu = stack_us("gate_null") / stack_us("gate_authz") if stack_us("gate_authz") \
        else 0.0
    g, f = vs_null.get("get_id", 0), vs_null.get("filter", 0)
    g_ends = g              # against the null responder of the run's two ends
    if ok("null_get"):
        g = rps("get_id") / rps("null_get")
    gs = rps("get_id") / rps("null_sized") if rps("null_sized") else 0.0
    act_get = rps("act_get_on") / rps("act_get_off") if rps("act_get_off") else 0.0
    act_post = rps("act_post_on") / rps("act_post_off") if rps("act_post_off") else 0.0
    targets = [
        target("GET /Users/{id}: activity recorder on vs off", ["act_get_on", "act_get_off"],
               act_get, 0.95, act_get >= 0.95, pct(act_get), ">= 95%",
               "one store, two lighttpds; worker CPU %.1f vs %.1f us/req" % (
                   cpu("act_get_on", "worker"), cpu("act_get_off", "worker"))),
        target("POST /Users: activity recorder on vs off", ["act_post_on", "act_post_off"],
               act_post, 0.95, act_post >= 0.95, pct(act_post), ">= 95%",
               "durable; worker CPU %.1f vs %.1f us/req" % (
                   cpu("act_post_on", "worker"), cpu("act_post_off", "worker"))),
        target("GET /Users/{id} vs null responder", ["get_id", "null_get"], g, 0.85,
               g >= 0.85, pct(g), ">= 85%",
               "paired A B B A with the null responder (%s req/s); against the null "
               "responder of the run's start and end (%s req/s): %s; worker CPU %.1f vs "
               "%.1f us/req" % (fmt(rps("null_get")), fmt(null), pct(g_ends),
                                cpu("get_id", "worker"), cpu("null_get", "worker"))),
        target("GET /Users/{id} vs null responder with the same body", ["get_id",
               "null_sized"], gs, None, None, pct(gs) if ok("null_sized") else "-", "info",
               "the stack alone, answering %d bytes, runs at %s of the null responder" % (
                   args.null_bytes, pct(vs_null.get("null_sized", 0)))),
        target("filter userName eq vs null responder", ["filter", "null"], f, 0.60,
               f >= 0.60, pct(f), ">= 60%"),
        target("filter at %s users / at %s users" % ("{:,}".format(args.users + spare),
                                                     "{:,}".format(args.small)),
               ["filter", "filter_small"], flat, 0.90, flat >= 0.90, "%.2f" % flat,
               ">= 0.90"),
        target("startIndex page at %s users / at %s users" % (
               "{:,}".format(args.users + spare), "{:,}".format(args.small)),
               ["page", "page_small"], twin("page"), 0.80, twin("page") >= 0.80,
               "%.2f" % twin("page"), ">= 0.80",
               "random startIndex; the page is found by walking the name index from "
               "its nearer end (no record read); load average %s" % load_of("page", "page_small")),
        target("cursor walk at %s users / at %s users" % (
               "{:,}".format(args.users + spare), "{:,}".format(args.small)),
               ["cursor", "cursor_small"], twin("cursor"), 0.80, twin("cursor") >= 0.80,
               "%.2f" % twin("cursor"), ">= 0.80",
               "load average %s" % load_of("cursor", "cursor_small")),
        target("startIndex page of 100: cost in GETs by id", ["page", "get_id"],
               per_get("page"), 10.0, 0 < per_get("page") <= 10.0,
               "%.1fx" % per_get("page"), "<= 10x"),
        target("cursor page of 100: cost in GETs by id", ["cursor", "get_id"],
               per_get("cursor"), 10.0, 0 < per_get("cursor") <= 10.0,
               "%.1fx" % per_get("cursor"), "<= 10x",
               "load average %s" % load_of("get_id")),
        target("durable POST vs raw durable commit rate", ["post"], post_vs_commit, 1.00,
               post_vs_commit >= 1.00, pct(post_vs_commit), ">= 100%",
               "raw rate %.0f/s (mean of %s, measured next to the writes)" % (
                   raw_commit, ", ".join("%.0f" % v for v in near))),
        target("add member (100k group) vs POST", ["patch_group", "post"], add_vs_post,
               0.75, add_vs_post >= 0.75, pct(add_vs_post), ">= 75%",
               "" if pool_ok else "the spare pool ran out, so later adds were no-ops: "
               "raise BENCH_SPARE"),
        target("Manual User Sync users/s vs durable POST", ["sync", "post"], sync_vs_post,
               2.0, sync_vs_post >= 2.0, "%.1fx" % sync_vs_post, ">= 2x",
               "%s users/s (%s users from the Graph stand-in, %d per transaction) against "
               "%s POST/s; load average %s" % (
                   fmt(rps("sync")), fmt(args.sync_users), 500, fmt(rps("post")),
                   "%.2f" % sc["sync"]["loadavg"][0] if ok("sync") else "-")),
        target("auth share of a GET by id's server CPU", ["get_id"], auth_share, 0.05,
               auth_share < 0.05, pct(auth_share), "< 5%",
               "%.1f us of %.1f us (worker + lighttpd); %s" % (auth_us, get_server_us,
                                                               auth_how)),
        target("scim-authz vs do-nothing authorizer", ["gate_authz", "gate_null"], gate_a,
               0.80, gate_a >= 0.80, pct(gate_a), ">= 80%",
               "both behind basic authentication; by CPU per request (worker + "
               "lighttpd + wrk) %s; the do-nothing authorizer keeps %s of basic "
               "authentication alone (the stack's ceiling)" % (pct(gate_cpu), pct(gate_n))),
        target("worker RSS of its own (RssAnon), max (KiB)", [], max_anon, 8192,
               0 < max_anon < 8192, "%d" % max_anon, "< 8192",
               "heap and stack; the shared environment files are counted below"),
        target("worker VmRSS incl. shared BDB regions, max (KiB)", [], max_rss, None, None,
               "%d" % max_rss, "info",
               "VmRSS adds the pages of the Berkeley DB region files (cache, locks) "
               "that every process maps shared, as far as this one touched them; "
               "PSS max %d KiB" % max_pss),
    ]
    return {
        "schema": "scim-fcgi-bench/1",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": time.monotonic() - T_START,
        "machine": machine,
        "versions": versions,
        "settings": {
            "users": args.users, "spare_users": spare, "users_total": args.users + spare,
            "group_members": load["group_members"], "small_store_users": args.small,
            "seconds_per_scenario": args.seconds, "wrk_threads": args.threads,
            "wrk_connections": args.connections, "fastcgi_procs": args.procs,
            "store_sync": "full", "filesystem": fs,
            "bdb_cache": "%d MiB (BENCH_CACHE_MB)" % args.cache_mb if args.cache_mb
            else "sized to the data by the programs (no set_cachesize in DB_CONFIG)",
            "lighttpd_template_left_open": big.template_open,
            "runs_as": "www-data" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name,
            "seed": seed, "only": sorted(args.only) if args.only else None,
            "get_id_body_bytes": args.null_bytes,
            "binaries": args.binaries,
        },
        "scenarios_described": {k: what for k, _, what in SCENARIOS},
        "load": {"big": load, "small": load_small},
        "commit": dict(commit, near_writes=commit_near, used_for_post=raw_commit),
        "auth": dict(auth, in_situ_us=auth_us, method=auth_how),
        "null_rps": null,
        "scenarios": sc,
        "ratios_vs_null": vs_null,
        "profiles": profiles,
        "workers": workers,
        "store": {"after_load": sizes, "after_run": after, "small": sizes_small,
                  "counts_after_run": count, "verify": verify, "relayout": relayout},
        "derived": {
            "auth_share": auth_share, "auth_us": auth_us, "get_id_server_us": get_server_us,
            "filter_flatness": flat, "post_vs_raw_commit": post_vs_commit,
            "add_member_vs_post": add_vs_post, "sync_vs_post": sync_vs_post,
            "slowest": {"scenario": slow, "label": LABELS.get(slow, "-"), "rps": rps(slow),
                        "vs_null": vs_null.get(slow, 0.0)},
        },
        "targets": targets,
    }


def fmt(v, digits=0):
    return "-" if v is None else ("{:,.%df}" % digits).format(v)


def table(res):
    sc, null, out = res["scenarios"], res["null_rps"], []
    hdr = "%-34s %9s %8s %8s %6s %8s %8s %8s" % (
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "vs null", "worker", "lighttpd")
    out += [hdr, "%-34s %9s %8s %8s %6s %8s %8s %8s" % (
        "", "", "", "", "", "", "us/req", "us/req"), "-" * len(hdr)]
    for key, label, _ in SCENARIOS:
        r = sc.get(key)
        if r is None:
            continue
        if "skipped" in r:
            out.append("%-34s skipped: %s" % (label, r["skipped"][:60]))
            continue
        out.append("%-34s %9s %8.2f %8.2f %6d %7.1f%% %8.0f %8.0f" % (
            label, fmt(r["rps"]), r["latency_us"]["p50"] / 1000.0,
            r["latency_us"]["p99"] / 1000.0, r["errors_total"],
            100.0 * r["rps"] / null if null else 0.0, r["cpu_us_per_req"]["worker"],
            r["cpu_us_per_req"]["lighttpd"]))
    st, s, d = res["store"]["after_load"], res["settings"], res["derived"]
    out += ["",
            "raw Berkeley DB durable commits/s (1 KB, 1 writer): %s next to the writes, "
            "%s at the start (store_run(): %s)" % (
                fmt(res["commit"]["used_for_post"]), fmt(res["commit"]["raw_commits_per_s"]),
                fmt(res["commit"]["store_commits_per_s"])),
            "auth: token_check %.1f us per GET in the worker (%s%.1f us in-process, "
            "GET handler %.1f us in-process)" % (
                d["auth_us"], "" if "perf" in res["auth"]["method"] else "n/a; ",
                res["auth"]["token_check_us"], res["auth"]["get_handler_us"]),
            "store on disk: %s bytes per user (%s MiB of .db files for %s users, "
            "%s of them spare, and a %s-member group)" % (
                fmt(st["data_bytes"] / s["users_total"]), fmt(st["data_bytes"] / 2**20, 1),
                fmt(s["users_total"]), fmt(s["spare_users"]), fmt(s["group_members"])),
            "load: %s users in %.1f s (%s users/s; %.1f s of it the group's members), "
            "layout 5 rebuilt from layout 4 in %s s; the whole run took %.0f s" % (
                fmt(s["users_total"]), res["load"]["big"]["seconds"],
                fmt(res["load"]["big"]["users_per_s"]), res["load"]["big"]["members_seconds"],
                "%.1f" % res["store"]["relayout"]["seconds"]
                if res["store"].get("relayout") else "-", res["seconds"]),
            "worker memory after the run, KiB RssAnon / PSS / VmRSS: " + ", ".join(
                "%s %d/%d/%d" % (w["program"], w.get("RssAnon", 0), w.get("Pss", 0),
                                 w.get("VmRSS", 0))
                for w in res["workers"] if w["server"] == "big"),
            "", "%-48s %10s %8s  %s" % ("target", "measured", "goal", "")]
    for t in res["targets"]:
        out.append("%-48s %10s %8s  %s" % (t["name"], t["measured_text"], t["goal_text"],
                                          t["status"]))
    sl = d["slowest"]
    out += ["", "slowest path: %s, %s req/s (%.2f%% of the null responder)" % (
        sl["label"], fmt(sl["rps"]), 100 * sl["vs_null"])]
    prof = res["profiles"].get(sl["scenario"] or "", {})
    if "inclusive_pct" in prof:
        top = sorted(((v, k) for k, v in prof["inclusive_pct"].items() if v >= 5),
                     reverse=True)
        out.append("  where its worker spends CPU (perf, inclusive): " + ", ".join(
            "%s %.0f%%" % (k, v) for v, k in top))
    noise = max((r["machine_pct"]["other"] for r in sc.values() if "machine_pct" in r),
                default=0.0)
    if noise > 10:
        out.append("WARNING: other processes used up to %.0f%% of the machine during a "
                   "scenario: the ratios are unreliable (see machine_pct in the JSON)" % noise)
    v = res["store"]["verify"]
    if not v["ok"]:
        out.append("WARNING: the store does not hold what the writes should have "
                   "written: %s" % json.dumps(v))
    return "\n".join(out)


DEADLINE = 600


def main():
    global DEADLINE
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="scim-fcgi benchmark (make bench)")
    ap.add_argument("--srcdir", default=os.path.dirname(here))
    ap.add_argument("--builddir", default=os.path.dirname(here))
    ap.add_argument("--lighttpd", default="")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    try:
        args.lighttpd = args.lighttpd or shutil.which("lighttpd") or "/usr/sbin/lighttpd"
        args.out = args.out or os.path.join(args.builddir, "bench", "results.json")
        args.users = env_int("BENCH_USERS", 100000, 100, 10**7)
        args.small = env_int("BENCH_SMALL_USERS", 1000, 100, 10**7)
        args.seconds = env_int("BENCH_SECONDS", 10, 1, 120)
        args.procs = env_int("BENCH_PROCS", 2, 1, 64)
        args.threads = env_int("BENCH_THREADS", 2, 1, 64)
        args.connections = env_int("BENCH_CONNECTIONS", 16, 1, 1024)
        args.members = env_int("BENCH_GROUP_MEMBERS", 100000, 0, 10**7)
        args.cache_mb = env_int("BENCH_CACHE_MB", 0, 0, 65536)
        # The load, the layout rebuild and the store's checks grow with
        # the store: a second more per 1,000 users (1,600 s at 1,000,000).
        DEADLINE = env_int("BENCH_MAX_SECONDS", 600 + args.users // 1000, 60, 86400)
        args.profile = os.environ.get("BENCH_PROFILE", "auto")
        args.only = set()
        for x in os.environ.get("BENCH_ONLY", "").split(","):
            if x:
                args.only.update(ONLY_GROUPS.get(x, (x,)))
        args.sync_users = env_int("BENCH_SYNC_USERS", 10000, 100, 10**6)
        if "sync" in args.only:
            args.only.add("post")       # its figure is against the POST rate
        unknown = args.only - set(LABELS)
        if unknown:
            raise BenchError("BENCH_ONLY: unknown scenario %s (known: %s)" % (
                ", ".join(sorted(unknown)), ", ".join(list(LABELS) + list(ONLY_GROUPS))))
        if args.connections < args.threads:
            raise BenchError("BENCH_CONNECTIONS must be at least BENCH_THREADS")
        if not shutil.which("wrk") and os.geteuid() == 0 and shutil.which("apt-get"):
            # As ./bootstrap does for the build: install what is missing.
            log("installing wrk (apt-get install wrk) ...")
            subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                            "wrk"], stdout=subprocess.DEVNULL, timeout=600,
                           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if not shutil.which("wrk"):
            raise BenchError("wrk not found: apt-get install wrk")
        if not os.access(args.lighttpd, os.X_OK):
            raise BenchError("lighttpd not found: apt-get install lighttpd")
        if os.geteuid() == 0:
            pwd.getpwnam("www-data")
        args.db_stat = shutil.which("db5.3_stat")
    except (BenchError, KeyError) as e:
        sys.exit("run-bench: %s" % e)
    work = tempfile.mkdtemp(prefix="scim-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    os.chmod(work, 0o755)
    # Run copies of the programs: in a tree others build in, a binary
    # replaced mid-run would mix two builds (and lose perf its symbols).
    args.bindir = os.path.join(work, "bin")
    os.mkdir(args.bindir)
    args.binaries = {}
    for p in sorted(glob.glob(os.path.join(args.builddir, "cgi-bin", "*")) +
                    [os.path.join(args.builddir, "bench", n)
                     for n in ("bench-load", "null-responder")]):
        if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in os.path.basename(p):
            shutil.copy2(p, args.bindir)
            st = os.stat(p)
            args.binaries[os.path.basename(p)] = {
                "bytes": st.st_size, "built": datetime.datetime.fromtimestamp(
                    st.st_mtime, datetime.timezone.utc).isoformat(timespec="seconds")}
    os.chmod(args.bindir, 0o755)
    bl = os.path.join(args.bindir, "bench-load")
    servers = []

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        res = bench(args, bl, work, servers)
    except KeyboardInterrupt as e:
        sys.exit("run-bench: interrupted (%s)" % e)
    except (BenchError, subprocess.TimeoutExpired, OSError) as e:
        sys.exit("run-bench: %s" % e)
    finally:
        for s in servers:
            s.stop()
        if os.environ.get("BENCH_KEEP"):
            log("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".tmp", "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    os.replace(args.out + ".tmp", args.out)
    print(table(res))
    print("\nresults: " + args.out)


if __name__ == "__main__":
    main()
