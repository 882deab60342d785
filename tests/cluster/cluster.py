"""Harness for the replication group suite (tests/cluster/) and for
make bench-cluster: a three-site group started as an operator starts
one, with `./bootstrap cluster`, from a copy of this (built) checkout in a
private directory (mode 0700, like /root or any mktemp -d: bootstrap
copies the programs into each site), on free loopback ports, with
SCIM_HOME in a fresh directory www-data can reach.

A Site is one of the three (its URL, directory, process group); the
Cluster starts the group, reads the banner, restarts one site with
`./bootstrap cluster-site N`, stops everything as Ctrl-C does, and
db_verifies each site's databases afterwards.  Every wait is bounded;
every request has a time-out.  Nothing listens beyond 127.0.0.1.
"""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy"))
import scimtest  # noqa: E402  (after the path is set)
import test_quickstart  # noqa: E402  (its banner reader)

AS_ROOT = os.geteuid() == 0
DB_VERIFY = os.environ.get("DB_VERIFY") or shutil.which("db5.3_verify") or "db5.3_verify"
# What the copy leaves out: history, caches, logs of the running suite,
# the data homes of an earlier quick start or group.
SKIP_NAMES = shutil.ignore_patterns(".git", ".cache", "run", "run-cluster", "artifacts",
                                    "*.log", "*.trs", "__pycache__")
SITES = (1, 2, 3)


class Tap:
    """TAP points printed as they come: ok(good, name, why)."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, good, name, why=""):
        self.n += 1
        print("%sok %d - %s" % ("" if good else "not ", self.n, name))
        if not good:
            self.failed += 1
            for line in str(why).rstrip().splitlines()[-40:]:
                print("# " + line)
        sys.stdout.flush()
        return good

    def note(self, text):
        for line in str(text).splitlines():
            print("# " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


def skip_all(reason):
    print("1..0 # SKIP " + reason)
    sys.exit(0)


def skip_reason():
    """Why this machine cannot run a group here, or None."""
    if os.path.realpath(scimtest.TOP_SRCDIR) != os.path.realpath(scimtest.TOP_BUILDDIR):
        return "bootstrap builds in its own tree: not in a VPATH build"
    if not os.path.exists(scimtest.LIGHTTPD):
        return "lighttpd is not installed"
    if not os.access(os.path.join(scimtest.BUILT_BIN, "scim-repd"), os.X_OK):
        return "scim-repd is not built"
    if shutil.which("curl") is None or shutil.which("setsid") is None:
        return "curl or setsid is missing"
    return None


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_runs(count=3, tries=200):
    """Two runs of count consecutive free loopback ports (HTTP and
    replication): (first HTTP port, first replication port)."""
    rng = random.Random()
    for _ in range(tries):
        http_base = rng.randrange(20000, 40000)
        rep_base = rng.randrange(40000, 60000)
        ports = [http_base + i for i in range(count)] + [rep_base + i for i in range(count)]
        if all(port_free(p) for p in ports):
            return http_base, rep_base
    raise RuntimeError("no free loopback ports found")


def request(port, method, path, token, body=None, timeout=10):
    """One request to 127.0.0.1:port: (status, headers (lower-case),
    parsed JSON or None).  Raises OSError / HTTPException when no answer
    came in timeout."""
    h = {"Authorization": "Bearer " + token} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/scim+json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        return r.status, {k.lower(): v for k, v in r.getheaders()}, doc
    finally:
        conn.close()


def group_pids(pgid):
    """{pid: (program name, real uid)} of every live process in group
    pgid (ps: no zombie)."""
    r = subprocess.run(["ps", "-e", "-o", "pid=,pgid=,ruid=,stat=,args="],
                       stdout=subprocess.PIPE, text=True, timeout=30)
    out = {}
    for line in r.stdout.splitlines():
        f = line.split(None, 4)
        if len(f) == 5 and int(f[1]) == pgid and not f[3].startswith("Z"):
            out[int(f[0])] = (os.path.basename(f[4].split()[0]), int(f[2]))
    return out


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Site:
    """Site n of the group in home: what ./bootstrap cluster made."""

    def __init__(self, n, home, http_base):
        self.n = n
        self.dir = os.path.join(home, "site%d" % n)
        self.port = http_base + n - 1
        self.url = "http://127.0.0.1:%d/scim/v2" % self.port
        self.conf = os.path.join(self.dir, "scim.conf")
        self.seen_groups = set()    # every process group id read

    def __repr__(self):
        return "site%d" % self.n

    def pgid(self):
        """The process group the supervisor wrote, or None."""
        try:
            with open(os.path.join(self.dir, "pgid")) as f:
                g = int(f.read().strip())
        except (OSError, ValueError):
            return None
        self.seen_groups.add(g)
        return g

    def kill(self, timeout=10):
        """SIGKILL the site's whole process group, as if its machine
        died; True once no process of it is left (bounded)."""
        g = self.pgid()
        if g is None:
            return False
        try:
            os.killpg(g, signal.SIGKILL)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + timeout
        while group_alive(g) and time.monotonic() < deadline:
            time.sleep(0.05)
        return not group_alive(g)

    def pids(self, program=None):
        g = self.pgid()
        if g is None:
            return {}
        return {p: v for p, v in group_pids(g).items()
                if program is None or v[0] == program}

    def scimctl(self, *args, timeout=30):
        """Run the site's own scimctl on its own scim.conf (it answers
        from the site's local copy of the store)."""
        return subprocess.run([os.path.join(self.dir, "bin", "scimctl"), "-c", self.conf]
                              + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout)

    def status(self):
        """`scimctl replication status --json` as a dict, or None."""
        try:
            r = self.scimctl("replication", "status", "--json", timeout=10)
        except subprocess.TimeoutExpired:
            return None
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def role(self):
        s = self.status()
        return s.get("role") if isinstance(s, dict) else None

    def wait_role(self, want, timeout=60):
        """True once this site's role is want; False after timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.role() == want:
                return True
            time.sleep(0.2)
        return False

    def local_users(self):
        """The userNames this site's local copy holds (scimctl users), or
        None when scimctl failed."""
        try:
            r = self.scimctl("users", timeout=60)
        except subprocess.TimeoutExpired:
            return None
        if r.returncode != 0:
            return None
        return {ln.split("\t", 1)[0] for ln in r.stdout.splitlines() if ln}

    def db_files(self):
        """The site's databases.  Berkeley DB's own (__db.*: the
        replication group's membership, the log records a replica holds
        back) are left out: they are kept in orders db_verify does not
        know (__db.rep.db is sorted by LSN) and are not our data."""
        d = os.path.join(self.dir, "db")
        return sorted(f for f in os.listdir(d)
                      if f.endswith(".db") and not f.startswith("__db."))

    def verify(self):
        """db_verify each database of this (stopped) site: failures."""
        d = os.path.join(self.dir, "db")
        if not os.path.isdir(d):
            return ["site%d: no data home %s" % (self.n, d)]
        bad = []
        for f in self.db_files():
            argv = [DB_VERIFY, "-h", d, f]
            if AS_ROOT:
                argv = ["runuser", "-u", "www-data", "--"] + argv
            r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=120)
            if r.returncode != 0:
                bad.append("site%d %s: %s" % (self.n, f, r.stdout.strip()[-500:]))
        return bad

    def log_tail(self, n=30):
        out = []
        for name in ("site.log", "lighttpd-error.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    out += ["%s %s: %s" % (self, name, ln.rstrip())
                            for ln in f.readlines()[-n:]]
            except OSError:
                pass
        return "\n".join(out)


class Cluster:
    """A `./bootstrap cluster` run in a private copy of the checkout."""

    def __init__(self, procs=2):
        self.http_base, self.rep_base = free_port_runs()
        self.parent = tempfile.mkdtemp(prefix="scim-cluster-")
        os.chmod(self.parent, 0o700)
        self.checkout = os.path.join(self.parent, "scim-fcgi")
        shutil.copytree(scimtest.TOP_SRCDIR, self.checkout, symlinks=True,
                        ignore=SKIP_NAMES)
        self.data = tempfile.mkdtemp(prefix="scim-cluster-home-")
        os.chmod(self.data, 0o755)
        self.home = os.path.join(self.data, "home")
        self.env = dict(os.environ, SCIM_PORT=str(self.http_base),
                        SCIM_REP_PORT=str(self.rep_base), SCIM_HOME=self.home,
                        SCIM_PROCS=str(procs))
        for k in ("top_srcdir", "top_builddir", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
            self.env.pop(k, None)
        self.sites = [Site(n, self.home, self.http_base) for n in SITES]
        self.proc = None
        self.lines = []
        self.token = None

    def site(self, n):
        return self.sites[n - 1]

    def start(self, timeout=300):
        """Start ./bootstrap cluster; read its output up to the line that
        ends its banner (bounded), as the quick start's test reads
        ./bootstrap run's.  Returns True when the banner came."""
        run = test_quickstart.Run.__new__(test_quickstart.Run)
        # SIGINT back to its default: a shell started with it ignored (as
        # make's background jobs are) could not trap Ctrl-C.
        run.proc = subprocess.Popen([os.path.join(self.checkout, "bootstrap"), "cluster"],
                                    cwd=self.checkout, env=self.env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                     signal.SIG_DFL))
        run.lines = self.lines
        self.proc = run.proc
        done = run.read_banner(timeout)
        self.token = run.value("Secret Token: ")
        return done and self.token is not None

    def banner(self):
        return "\n".join(self.lines)

    def restart_site(self, n, timeout=180):
        """./bootstrap cluster-site n: (exit status, output)."""
        r = subprocess.run([os.path.join(self.checkout, "bootstrap"), "cluster-site", str(n)],
                           cwd=self.checkout, env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
        return r.returncode, r.stdout

    def roles(self, sites=None):
        return {s.n: s.role() for s in (sites or self.sites)}

    def wait_master(self, sites=None, timeout=60, replicas=True):
        """The site among sites (default all) that is master, once one is
        and (replicas) every other one of them says replica; None after
        timeout."""
        sites = sites or self.sites
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            roles = self.roles(sites)
            masters = [n for n, r in roles.items() if r == "master"]
            if len(masters) == 1 and (not replicas or all(
                    r == "replica" for n, r in roles.items() if n != masters[0])):
                return self.site(masters[0])
            time.sleep(0.2)
        return None

    def stop(self, timeout=60):
        """Ctrl-C: SIGINT to the bootstrap run's process group; then
        SIGKILL whatever of it and of the sites is left.  Returns (exit
        status or None, sites whose groups outlived the stop)."""
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
                try:
                    rc = self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
            else:
                rc = self.proc.returncode
            self.proc.stdout.close()
        left = []
        for s in self.sites:
            s.pgid()
            for g in s.seen_groups:
                if group_alive(g) and group_pids(g):
                    left.append(s)
                    os.killpg(g, signal.SIGKILL)
        return rc, left

    def cleanup(self):
        if os.environ.get("SCIM_TEST_KEEP") is None:
            shutil.rmtree(self.parent, ignore_errors=True)
            shutil.rmtree(self.data, ignore_errors=True)
