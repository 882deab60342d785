#!/usr/bin/env python3
"""Count what one request costs scim-users, without a stopwatch.

On a shared machine request rates are noise, but counts are not: this runs
scim-users as FastCGI on a unix socket (as lighttpd does: the listening
socket on its standard input), sends it N and then 2N requests of each
scenario, one at a time, and reports per request the difference of the two
runs (start-up and exit cancel out):

  callgrind   instructions executed in the program (valgrind, user space);
  strace      system calls, by name (strace -c -f);
  dbstat      Berkeley DB work: log records and bytes, transactions, cache
              page requests and pages written (db5.3_stat -l -t -m before
              and after each run: what a process does when it starts, and
              at its first request, cancels out too).

Scenarios: get (GET /Users/{id} of a random user), filter (GET
/Users?filter=userName eq "..."), page (GET /Users?startIndex=N&count=100
at a random N: divide by 100 for a user's share), cursor (GET
/Users?count=100&cursor=... walking the store with each page's nextCursor,
RFC 9865), post (POST /Users,
durable: sync = full, each its own commit and flush since requests come
one at a time).  The
store is a fresh one of 2,000 users (bench-load load) per scenario and tool.

A long run may start the data home's checkpoint process; it runs outside
the tools (valgrind says it "cannot run" the program "directly": that is
it), and what it does is not counted.

Compare two builds by running it in each tree (--builddir).  Every process
it starts is ended by PID; work files go to a temporary directory
(BENCH_DIR, default /var/tmp) removed at the end.  Runs the programs as
www-data when started as root, as make bench does.
"""

import argparse
import glob
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

USERS = 2000
SCENARIOS = ("get", "filter", "page", "cursor", "post")
TOOLS = ("callgrind", "strace", "dbstat")
USER_BODY = ('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",'
             '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],'
             '"userName":"%s","externalId":"%s","name":{"givenName":"Given%d",'
             '"familyName":"Family%d","formatted":"Given%d Family%d"},'
             '"displayName":"Given%d Family%d","emails":[{"value":"%s",'
             '"type":"work","primary":true}],"title":"Engineer",'
             '"preferredLanguage":"en-US","active":true,'
             '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":'
             '{"employeeNumber":"%d","department":"Department %d",'
             '"organization":"Bench Inc."}}')   # as bench/scim.lua POSTs
DB_STAT_LINES = {
    "Records entered into the log": "log_records",
    "Log bytes written": "log_bytes",
    "Total log file flushes": "log_flushes",
    "Number of transactions committed": "txns",
    "Requested pages found in the cache": "page_gets",
    "Requested pages not found in the cache": "page_misses",
    "Pages written from the cache to the backing file": "pages_written",
}


class CountError(Exception):
    pass


def as_service(cmd):
    """cmd run as www-data when we are root."""
    return (["runuser", "-u", "www-data", "--"] + cmd) if os.geteuid() == 0 else cmd


def run(cmd, timeout=600):
    r = subprocess.run(as_service(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise CountError("%s: %s" % (" ".join(cmd[:3]), r.stderr.strip()[-500:]))
    return r.stdout


# --- FastCGI, as lighttpd speaks it -------------------------------------------

def fcgi_record(kind, content):
    out = b""
    while True:
        chunk, content = content[:65535], content[65535:]
        pad = (-len(chunk)) % 8
        out += struct.pack(">BBHHBB", 1, kind, 1, len(chunk), pad, 0) + chunk + b"\0" * pad
        if not content:
            return out


def fcgi_pair(k, v):
    k, v = k.encode(), v.encode()
    enc = lambda n: bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return enc(len(k)) + enc(len(v)) + k + v


def fcgi_request(path, params, body):
    """Send one request on a new connection; its HTTP status."""
    deadline = time.monotonic() + 120
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(300)
        try:
            s.connect(path)
            break
        except (ConnectionRefusedError, FileNotFoundError):
            s.close()
            if time.monotonic() > deadline:
                raise CountError("the program did not listen on %s" % path)
            time.sleep(0.1)
    msg = fcgi_record(1, struct.pack(">HB5x", 1, 0))
    msg += fcgi_record(4, b"".join(fcgi_pair(k, v) for k, v in params.items()))
    msg += fcgi_record(4, b"") + (fcgi_record(5, body) if body else b"") + fcgi_record(5, b"")
    s.sendall(msg)
    buf, out = b"", b""
    while True:
        while len(buf) < 8 or len(buf) < 8 + struct.unpack(">H", buf[4:6])[0] + buf[6]:
            d = s.recv(65536)
            if not d:
                raise CountError("the program closed the connection")
            buf += d
        _, kind, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
        content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
        if kind == 6:
            out += content
        elif kind == 3:
            s.close()
            m = re.search(rb"^Status: (\d+)", out, re.M)
            fcgi_request.last = out
            return int(m.group(1)) if m else 200


class Requests:
    """The requests of a scenario, the same sequence for every build."""

    def __init__(self, scenario, users, token, tag):
        self.scenario, self.users, self.tag = scenario, users, tag
        self.rnd = random.Random(1)
        self.k = 0
        self.base = {
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "lighttpd",
            "SERVER_NAME": "127.0.0.1", "SERVER_ADDR": "127.0.0.1",
            "SERVER_PORT": "8080", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
            "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:8080",
            "REQUEST_SCHEME": "http", "HTTP_AUTHORIZATION": "Bearer " + token,
            "HTTP_ACCEPT": "application/scim+json", "HTTP_USER_AGENT": "wrk",
            "SCRIPT_NAME": "/scim/v2/Users", "PATH_INFO": "", "QUERY_STRING": ""}

    def next(self):
        p, body = dict(self.base), b""
        self.k += 1
        uid, name = self.users[self.rnd.randrange(len(self.users))]
        if self.scenario == "get":
            p.update(REQUEST_METHOD="GET", PATH_INFO="/" + uid)
        elif self.scenario == "filter":
            p.update(REQUEST_METHOD="GET", QUERY_STRING="filter=" +
                     urllib.parse.quote('userName eq "%s"' % name))
        elif self.scenario == "page":
            p.update(REQUEST_METHOD="GET", QUERY_STRING="startIndex=%d&count=100" %
                     (1 + self.rnd.randrange(len(self.users) - 100)))
        elif self.scenario == "cursor":
            # A walk with RFC 9865 cursors: each page's nextCursor, from
            # the first page again at the end.
            m = re.search(rb'"nextCursor":"([^"]+)"', getattr(
                fcgi_request, "last", b"")) if self.k > 1 else None
            p.update(REQUEST_METHOD="GET", QUERY_STRING="count=100&cursor=" + (
                urllib.parse.quote(m.group(1).decode()) if m else ""))
        else:
            n = self.k
            user = "post-%s-%d@bench.example.com" % (self.tag, n)
            body = (USER_BODY % (user, user, n, n, n, n, n, n, user, n, n % 50)).encode()
            p.update(REQUEST_METHOD="POST", CONTENT_TYPE="application/scim+json",
                     CONTENT_LENGTH=str(len(body)))
        p["REQUEST_URI"] = p["SCRIPT_NAME"] + p["PATH_INFO"] + (
            "?" + p["QUERY_STRING"] if p["QUERY_STRING"] else "")
        return p, body


# --- one run -------------------------------------------------------------------

def children_of(pid):
    for d in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(d) as f:
                st = f.read()
        except OSError:
            continue
        if int(st[st.rindex(")") + 2:].split()[1]) == pid:
            yield int(d.split("/")[2])


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def serve(args, home, wrap, scenario, n, tag):
    """scim-users under wrap answering n requests; raises unless all are 2xx."""
    sock = os.path.join(home, "s.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(sock)
    ls.listen(64)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("www-data")
        os.chown(sock, pw.pw_uid, pw.pw_gid)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "SCIM_CONF": os.path.join(home, "scim.conf")}
    proc = subprocess.Popen(as_service(wrap + [os.path.join(args.bin, "scim-users")]),
                            stdin=ls.fileno(), stdout=subprocess.DEVNULL, env=env)
    ls.close()
    try:
        reqs = Requests(scenario, home_users(home), home_token(home), tag)
        for _ in range(n):
            status = fcgi_request(sock, *reqs.next())
            if status >= 300:
                raise CountError("%s answered %d" % (scenario, status))
    finally:
        # The program itself ends (its tool then writes its counts): the
        # descendant nearest to us that is neither runuser nor strace (a
        # checkpoint process it started is further down).
        target, level = proc.pid, [proc.pid]
        for _ in range(4):
            if proc_comm(target) not in ("runuser", "strace"):
                break
            level = [c for p in level for c in children_of(p)]
            if not level:
                break
            target = level[0]
        try:
            os.kill(target, signal.SIGTERM)
        except OSError:
            pass
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            for pid in (target, proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            proc.wait(30)


def home_users(home):
    with open(os.path.join(home, "ids.txt")) as f:
        return [tuple(line.split()[1:3]) for line in f if line.startswith("u ")]


def home_token(home):
    with open(os.path.join(home, "token")) as f:
        return f.read().strip()


def fresh_home(args, work, name):
    home = os.path.join(work, name)
    os.makedirs(os.path.join(home, "db"))
    with open(os.path.join(home, "scim.conf"), "w") as f:
        f.write("[store]\nhome = %s/db\nsync = full\n" % home)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "www-data:www-data", home], check=True)
    run([os.path.join(args.bin, "bench-load"), "-c", os.path.join(home, "scim.conf"),
         "load", "-n", str(USERS), "-s", "0", "-m", "10", "-o",
         os.path.join(home, "ids.txt")])
    token = run([os.path.join(args.bin, "scim-tokens"), "-c",
                 os.path.join(home, "scim.conf"), "create", "--tenant", "default",
                 "--label", "count"]).strip()
    with open(os.path.join(home, "token"), "w") as f:
        f.write(token)
    return home


def callgrind(args, home, scenario, n, tag):
    out = os.path.join(home, "cg.%s.%d" % (tag, n))
    serve(args, home, ["valgrind", "-q", "--tool=callgrind",
                       "--callgrind-out-file=" + out + ".%p"], scenario, n, tag)
    files = glob.glob(out + ".*")
    if len(files) != 1:
        raise CountError("callgrind wrote %d files" % len(files))
    with open(files[0]) as f:
        m = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
    if not m:
        raise CountError("no totals in %s" % files[0])
    return {"instructions": int(m.group(1))}


def strace(args, home, scenario, n, tag):
    out = os.path.join(home, "st.%s.%d" % (tag, n))
    serve(args, home, ["strace", "-c", "-f", "-o", out], scenario, n, tag)
    calls = {}
    with open(out) as f:
        for line in f:
            p = line.split()
            if len(p) >= 5 and p[0][0].isdigit() and p[-1] != "total":
                calls[p[-1]] = int(p[3])
    return calls


def stat_number(text):
    """A db_stat figure: "1234", "18K" (rounded: db_stat prints big counts
    so), or bytes as "12MB 169KB 483B"; None when it is none of those."""
    m = re.match(r"^(\d+)([KM]?)$", text)
    if m:
        return int(m.group(1)) * {"": 1, "K": 1000, "M": 10**6}[m.group(2)]
    parts = re.findall(r"(\d+)(GB|MB|KB|B)", text)
    if parts and "".join(a + b for a, b in parts) == text.replace(" ", ""):
        return sum(int(a) * {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}[b]
                   for a, b in parts)
    return None


def dbstat_snapshot(args, home):
    out = {}
    for flag in ("-l", "-t", "-m"):
        text = run([args.db_stat, "-h", os.path.join(home, "db"), flag])
        for line in text.splitlines():
            num, _, what = line.strip().partition("\t")
            what = re.sub(r"\s*\(\d+%\)$", "", what)
            if what in DB_STAT_LINES and DB_STAT_LINES[what] not in out:
                v = stat_number(num)
                if v is not None:
                    out[DB_STAT_LINES[what]] = v
    return out


def dbstat(args, home, scenario, n, tag):
    before = dbstat_snapshot(args, home)
    serve(args, home, [], scenario, n, tag)
    after = dbstat_snapshot(args, home)
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


def measure(args, work):
    tools = {"callgrind": callgrind, "strace": strace, "dbstat": dbstat}
    res = {}
    for scenario in args.scenarios:
        for tool in args.tools:
            home = fresh_home(args, work, "%s-%s" % (scenario, tool))
            a = tools[tool](args, home, scenario, args.n, "a")
            b = tools[tool](args, home, scenario, 2 * args.n, "b")
            res.setdefault(scenario, {})[tool] = {
                k: (b.get(k, 0) - a.get(k, 0)) / args.n for k in set(a) | set(b)}
            print("count-requests: %s %s done" % (scenario, tool), file=sys.stderr)
    return res


def table(res):
    out = []
    for scenario, tools in res.items():
        out.append("%s (per request)" % scenario)
        for tool, d in tools.items():
            items = sorted(((v, k) for k, v in d.items() if abs(v) >= 0.005), reverse=True)
            if tool == "strace":
                items = [(sum(v for v, _ in items), "total")] + items
            out.append("  %-10s %s" % (tool, ", ".join(
                "%s %s" % (k, ("{:,.0f}" if v >= 100 else "{:.2f}").format(v))
                for v, k in items)))
    return "\n".join(out)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        description="Per-request instructions, system calls and Berkeley DB work of "
                    "scim-users over FastCGI (see the top of this file).")
    ap.add_argument("--builddir", default=os.path.dirname(here),
                    help="the build tree whose programs to count (default: this one)")
    ap.add_argument("-n", type=int, default=200,
                    help="requests of the shorter run (the longer sends twice as many)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="comma-separated, of: " + ", ".join(SCENARIOS))
    ap.add_argument("--tools", default=",".join(TOOLS),
                    help="comma-separated, of: " + ", ".join(TOOLS))
    ap.add_argument("--json", default="", help="also write the figures to this file")
    args = ap.parse_args()
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.tools = [t for t in args.tools.split(",") if t]
    bad = [x for x in args.scenarios if x not in SCENARIOS] + \
        [x for x in args.tools if x not in TOOLS]
    if bad or not 10 <= args.n <= 100000:
        sys.exit("count-requests: unknown %s" % ", ".join(bad) if bad else
                 "count-requests: -n must be between 10 and 100000")
    args.db_stat = shutil.which("db5.3_stat") or "db5.3_stat"
    for prog, pkg in (("valgrind", "valgrind"), ("strace", "strace"),
                      (args.db_stat, "db5.3-util")):
        if not shutil.which(prog) and (prog.startswith("db") and "dbstat" in args.tools or
                                       prog in args.tools or prog == "valgrind" and
                                       "callgrind" in args.tools):
            sys.exit("count-requests: %s not found: apt-get install %s" % (prog, pkg))
    work = tempfile.mkdtemp(prefix="scim-count-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    os.chmod(work, 0o755)
    try:
        # Copies of the programs: a tree being rebuilt must not mix builds.
        args.bin = os.path.join(work, "bin")
        os.mkdir(args.bin)
        for p in ("cgi-bin/scim-users", "cgi-bin/scim-tokens", "bench/bench-load"):
            src = os.path.join(args.builddir, p)
            if not os.access(src, os.X_OK):
                sys.exit("count-requests: %s is not built (make; make bench/bench-load)" % src)
            shutil.copy2(src, args.bin)
        os.chmod(args.bin, 0o755)
        res = measure(args, work)
    except (CountError, subprocess.TimeoutExpired) as e:
        sys.exit("count-requests: %s" % e)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(res))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"builddir": args.builddir, "n": args.n, "per_request": res}, f,
                      indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
