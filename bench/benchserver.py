"""make bench's servers: a lighttpd from etc/lighttpd-local.conf.in on a
store of its own, the access gate's site, and Berkeley DB's statistics.

OWNS starting, watching and stopping a server and its workers.  MUST NOT
KNOW the scenarios or how they are timed.
"""

import base64
import glob
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time

from benchscenarios import GATE_PASSWORD
from benchutil import (BenchError, alive, children, chown_www, log, proc_prog, run,
                       service_cmd)


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
