"""HTTP test harness for scim-fcgi: a real lighttpd on an ephemeral loopback
port, the real FastCGI programs, a fresh Berkeley DB home per server, and TAP
output for automake's tap-driver.

A test file defines unittest.TestCase classes and ends with
``scimtest.main()``.  ``Server`` starts lighttpd from etc/lighttpd-local.conf.in
(the same template ``./bootstrap run`` uses); when the tests run as root the
web server and the programs run as www-data, as in production.

www-data must reach the programs, and a checkout often sits where it cannot
(under /root, or in a ``mktemp -d`` directory: mode 0700).  So the built
programs are staged, once per test process, into a fresh directory of
their own (``stage_programs``, mode 0755 under $TMPDIR) and CGI_BIN names
that copy; nothing outside it and the data homes changes mode.
"""

import atexit
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import unittest

TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
TOP_BUILDDIR = os.environ.get("top_builddir") or TOP_SRCDIR
LIGHTTPD = os.environ.get("LIGHTTPD") or shutil.which("lighttpd") or "/usr/sbin/lighttpd"
BUILT_BIN = os.path.join(TOP_BUILDDIR, "cgi-bin")


def stage_programs(built=BUILT_BIN):
    """Copy every built program of built (an executable file, not an
    object) into a fresh directory, mode 0755, that any account can reach
    whatever the modes above the checkout; it is removed when this
    process exits.  Returns its path.  Done even when not root, so every
    run takes the same path."""
    stage = tempfile.mkdtemp(prefix="scim-bin-")
    os.chmod(stage, 0o755)
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(stage, True))
    for name in sorted(os.listdir(built)) if os.path.isdir(built) else []:
        src = os.path.join(built, name)
        if "." in name or not os.path.isfile(src) or not os.access(src, os.X_OK):
            continue
        shutil.copy2(src, os.path.join(stage, name))
        os.chmod(os.path.join(stage, name), 0o755)
    return stage


CGI_BIN = stage_programs()


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



# What AddressSanitizer, LeakSanitizer and UBSan print when they find
# something (see Server.stop).
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "ERROR: UndefinedBehaviorSanitizer")

class Response:
    """What came back: status, headers (lower-case names), body and JSON."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if self.text else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.text[:300])


def stage_errors(home):
    """Copy the web server's SCIM error bodies (etc/scim-errors/) into
    home/errors, where etc/lighttpd-local.conf.in looks for them, as
    ./bootstrap run does: errors lighttpd answers itself are SCIM errors
    in every suite, as in the quick start.  Returns the directory."""
    src = os.path.join(TOP_SRCDIR, "etc", "scim-errors")
    dest = os.path.join(home, "errors")
    os.makedirs(dest, exist_ok=True)
    os.chmod(dest, 0o755)
    for name in os.listdir(src):
        if name.endswith(".html"):
            shutil.copyfile(os.path.join(src, name), os.path.join(dest, name))
            os.chmod(os.path.join(dest, name), 0o644)
    return dest


_WEB_ERROR_BODIES = None


def web_error_body(body):
    """Is body (bytes) one of the web server's own SCIM error bodies
    (etc/scim-errors/), that is, an error the web server answered without
    asking our programs (a killed worker, a malformed request)?"""
    global _WEB_ERROR_BODIES
    bodies = _WEB_ERROR_BODIES
    if bodies is None:
        # Filled whole before it is published: client threads of the
        # crash suite ask at once, and one that saw a half-filled set took
        # a killed worker's 500 for our programs' refusal.
        src = os.path.join(TOP_SRCDIR, "etc", "scim-errors")
        bodies = set()
        for name in os.listdir(src):
            if name.endswith(".html"):
                with open(os.path.join(src, name), "rb") as f:
                    bodies.add(f.read().strip())
        _WEB_ERROR_BODIES = bodies
    return body is not None and body.strip() in bodies


class Server:
    """One lighttpd + scim-fcgi with its own data home; stop() ends it all."""

    def __init__(self, procs=2, conf_extra="", base="/scim/v2"):
        self.port = free_port()
        self.base = base
        self.home = tempfile.mkdtemp(prefix="scim-test-")
        os.chmod(self.home, 0o755)
        for d in ("www", "sock", "db"):
            os.mkdir(os.path.join(self.home, d))
        stage_errors(self.home)
        self.conf = os.path.join(self.home, "scim.conf")
        with open(self.conf, "w") as f:
            f.write("[store]\nhome = %s/db\nsync = write\n%s" % (self.home, conf_extra))
        self.as_root = os.geteuid() == 0
        user_line = ""
        if self.as_root:
            pw = pwd.getpwnam("www-data")
            for root, dirs, files in os.walk(self.home):
                os.chown(root, pw.pw_uid, pw.pw_gid)
                for n in files:
                    os.chown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
            user_line = 'server.username = "www-data"\nserver.groupname = "www-data"'
        with open(os.path.join(TOP_SRCDIR, "etc", "lighttpd-local.conf.in")) as f:
            tmpl = f.read()
        for k, v in (("@BIND@", "127.0.0.1"), ("@PORT@", str(self.port)),
                     ("@HOME@", self.home), ("@BINDIR@", CGI_BIN),
                     ("@CONF@", self.conf), ("@PROCS@", str(procs)),
                     ("@USER@", user_line)):
            tmpl = tmpl.replace(k, v)
        self.lighttpd_conf = os.path.join(self.home, "lighttpd.conf")
        with open(self.lighttpd_conf, "w") as f:
            f.write(tmpl)
        self.proc = None
        self.token = None

    def start(self):
        # The programs inherit lighttpd's standard error: keep it.
        with open(os.path.join(self.home, "programs.log"), "ab") as log:
            self.proc = subprocess.Popen([LIGHTTPD, "-D", "-f", self.lighttpd_conf],
                                         stdout=subprocess.DEVNULL, stderr=log,
                                         start_new_session=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("lighttpd exited: " + self.errorlog())
                time.sleep(0.05)
        else:
            raise RuntimeError("lighttpd did not start")
        self.token = self.make_token()
        return self

    def errorlog_all(self):
        """Every line of lighttpd's error log and of the programs' standard
        error."""
        lines = []
        for name in ("lighttpd-error.log", "programs.log"):
            try:
                with open(os.path.join(self.home, name), errors="replace") as f:
                    lines += f.read().splitlines()
            except OSError:
                pass
        return lines

    def errorlog(self):
        try:
            with open(os.path.join(self.home, "lighttpd-error.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def tokens_cmd(self, *args, check=True):
        """Run scim-tokens against this server's store; returns stdout."""
        r = subprocess.run([os.path.join(CGI_BIN, "scim-tokens"), "-c", self.conf] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("scim-tokens %s: %s" % (args, r.stderr))
        return r

    def make_token(self, tenant="default", label="test"):
        return self.tokens_cmd("create", "--tenant", tenant, "--label", label).stdout.strip()

    def stop_web_server(self):
        """SIGTERM lighttpd; SIGKILL its process group after 10 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def stop(self):
        """Stop lighttpd and remove the home.  In an --enable-sanitizers
        build a program's ASan/UBSan/LSan report (on its standard error,
        kept in programs.log) fails the suite: the request it broke may
        well have been answered."""
        self.halt()
        reports = self.sanitizer_reports()
        if os.environ.get("SCIM_TEST_KEEP") is None:
            shutil.rmtree(self.home, ignore_errors=True)
        if reports:
            raise AssertionError("sanitizer reports from the programs:\n"
                                 + "\n".join(reports[:40]))

    def halt(self):
        """End the web server and its programs (lighttpd ends its FastCGI
        children itself on SIGTERM), then whatever it left: a program
        blocked on a latch of a process a test killed does not end on
        SIGTERM, and would outlive the suite."""
        self.stop_web_server()
        deadline = time.monotonic() + 3
        left = self.programs()
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = self.programs()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if left:
            print("# %d program(s) still running 3 s after the web server "
                  "ended, killed: %s" % (len(left), left), flush=True)

    def programs(self, name=None, arg=None):
        """PIDs of the live processes started with this server's scim.conf
        (SCIM_CONF=<it> in their environment); only those running program
        name (e.g. "scim-users"), or with arg among their arguments, when
        given."""
        mark = ("SCIM_CONF=%s" % self.conf).encode()
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == os.getpid():
                continue
            try:
                with open("/proc/%s/environ" % d, "rb") as f:
                    env = f.read().split(b"\0")
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read().split(b"\0")
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
            except OSError:
                continue
            # "pid (comm) state ...": a zombie is gone already.
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            if mark not in env or stat[stat.rindex(")") + 2] == "Z":
                continue
            if (name is None or comm == name[:15]) and \
                    (arg is None or arg.encode() in cmd):
                pids.append(int(d))
        return pids

    def sanitizer_reports(self):
        """Sanitizer reports in the home: whole files a sanitizer's
        log_path wrote (sanitizer.*), and from the programs' standard error
        and lighttpd's error log each report from its first line on."""
        out = []
        for name in sorted(os.listdir(self.home)):
            if not (name.startswith("sanitizer") or
                    name in ("programs.log", "lighttpd-error.log")):
                continue
            with open(os.path.join(self.home, name), errors="replace") as f:
                lines = [ln.rstrip() for ln in f]
            hits = [i for i, ln in enumerate(lines)
                    if any(m in ln for m in SANITIZER_MARKS)]
            if hits:
                start = 0 if name.startswith("sanitizer") else hits[0]
                out += ["%s: %s" % (name, ln) for ln in lines[start:start + 60]]
        return out

    def url(self, path):
        return self.base + path

    def connect(self, timeout=30):
        """A connection to the web server (deploytest's are HTTPS)."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, token=None, headers=None, raw=False,
                content_type="application/scim+json"):
        """Send one request to base + path.  body: dict/list (JSON), str or bytes.
        The Response also has .cookies: every Set-Cookie value."""
        h = {}
        if token is None:
            token = self.token
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = body
            if content_type:
                h["Content-Type"] = content_type
        h.update(headers or {})
        conn = self.connect()
        try:
            conn.request(method, path if raw else self.url(path), body=data, headers=h)
            r = conn.getresponse()
            resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
            # Every Set-Cookie (the dict above keeps the last of each name).
            resp.cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
            return resp
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def patch_ops(self, path, *ops, **kw):
        return self.patch(path, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                 "Operations": list(ops)}, **kw)

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def user(user_name, **extra):
    """A minimal User body."""
    u = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name}
    u.update(extra)
    return u


def workers_seen(srv, name, clients=6, rounds=3):
    """Writes and reads of /Users and /Groups from clients threads at once
    (create, PATCH, GET, a group with the user, GET, DELETE both), with
    [log] store_ops_header on: ({"w/Users": pids, "r/Users": pids,
    "w/Groups": ..., "r/Groups": ...}, failed requests), the pids from
    X-Scim-Worker.  name(t, i) names the users and groups."""
    import threading
    seen, bad = {}, []
    lock = threading.Lock()

    def note(kind, r, want):
        with lock:
            if r.status == want:
                seen.setdefault(kind, set()).add(r.headers.get("x-scim-worker"))
            else:
                bad.append((kind, r.status, r.body[:200]))

    def client(t):
        for i in range(rounds):
            r = srv.post("/Users", user(name(t, i)))
            note("w/Users", r, 201)
            if r.status != 201:
                continue
            uid = r.json["id"]
            note("w/Users", srv.patch("/Users/" + uid, {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": "t"}]}), 200)
            note("r/Users", srv.get("/Users/" + uid), 200)
            g = srv.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                     "displayName": "g-" + name(t, i),
                                     "members": [{"value": uid}]})
            note("w/Groups", g, 201)
            if g.status == 201:
                note("r/Groups", srv.get("/Groups/" + g.json["id"]), 200)
                note("w/Groups", srv.delete("/Groups/" + g.json["id"]), 204)
            note("w/Users", srv.delete("/Users/" + uid), 204)

    threads = [threading.Thread(target=client, args=(t,)) for t in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    return seen, bad


def assert_one_writer(tc, seen, bad):
    """What workers_seen() found, as the shipped lighttpd configurations
    route it: no request failed, and for /Users and /Groups one process
    answered every write and none of the reads, each naming itself."""
    tc.assertEqual(bad, [])
    for prog in ("/Users", "/Groups"):
        tc.assertEqual(len(seen["w" + prog]), 1, (prog, seen))
        tc.assertFalse(seen["w" + prog] & seen["r" + prog], (prog, seen))
        tc.assertNotIn(None, seen["w" + prog] | seen["r" + prog], prog)


def group(display_name, **extra):
    g = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": display_name}
    g.update(extra)
    return g


class ScimTestCase(unittest.TestCase):
    """A test case with one server for the whole class (fresh store)."""

    server_args = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(**cls.server_args).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def assertScimError(self, r, status, scim_type=None):
        """r is a SCIM error with this status (and scimType)."""
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.headers.get("content-type", "").startswith("application/scim+json"), r.headers)
        self.assertIsInstance(r.json, dict, r)
        self.assertEqual(r.json.get("schemas"), ["urn:ietf:params:scim:api:messages:2.0:Error"], r)
        self.assertEqual(r.json.get("status"), str(status), r)
        self.assertTrue(r.json.get("detail"), r)
        if scim_type is not None:
            self.assertEqual(r.json.get("scimType"), scim_type, r)


class KnownIssue(Exception):
    """Raised by a test that detected a documented defect not yet fixed:
    reported as a TAP "not ok ... # TODO <reason>" (automake's XFAIL), so
    the finding shows in every run without failing it.  Use it only for a
    defect written up in the project's notes."""


class TapResult(unittest.TestResult):
    """Prints one TAP line per test as it ends."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, test, ok, directive="", diag=None):
        self.n += 1
        name = "%s.%s" % (type(test).__name__, test._testMethodName) if hasattr(test, "_testMethodName") else str(test)
        print("%sok %d - %s%s" % ("" if ok else "not ", self.n, name, directive))
        if diag:
            for line in diag.rstrip().splitlines():
                print("# " + line)
        sys.stdout.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(test, True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(test, False, diag="".join(traceback.format_exception(*err))[-3000:])

    def addError(self, test, err):
        if issubclass(err[0], KnownIssue):
            self._line(test, False, " # TODO known issue: " + " ".join(str(err[1]).split()))
            return
        super().addError(test, err)
        self._line(test, False, diag="".join(traceback.format_exception(*err))[-3000:])

    def addSubTest(self, test, subtest, err):
        # A failing subTest is a failing test point of its own: without
        # this it would only turn the exit status to 1, its test still
        # printed "ok" and nothing said what failed.
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._line("%s.%s %s" % (type(test).__name__, test._testMethodName,
                                     subtest._subDescription()), False,
                       diag="".join(traceback.format_exception(*err))[-3000:])

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(test, True, " # SKIP " + reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._line(test, False, " # TODO expected failure")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._line(test, True, " # TODO unexpectedly passed")


def main():
    """Run every TestCase of the calling module; print TAP; exit 0/1."""
    mod = sys.modules["__main__"]
    suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
    result = TapResult()
    try:
        suite.run(result)
    except Exception:  # a setUpClass failure is reported by unittest itself
        traceback.print_exc()
    if result.n == 0:
        print("not ok 1 - no test ran")
        result.n = 1
        print("1..1")
        sys.exit(1)
    print("1..%d" % result.n)
    sys.exit(0 if result.wasSuccessful() else 1)
