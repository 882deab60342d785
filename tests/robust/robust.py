"""Shared helpers for the robustness suites in tests/robust/: a scimtest
Server that can be killed and started again on the same data home, access to
its FastCGI workers, logical dumps of the Berkeley DB store and their
comparison, db_verify, raw-socket requests for input http.client refuses to
send, and a thread pool with a deadline.

The suites import scimtest from tests/http unchanged and build on it here.
"""

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP_SRCDIR, "tests", "http"))
import scimtest  # noqa: E402

DB_DUMP = os.environ.get("DB_DUMP") or "db5.3_dump"
DB_VERIFY = os.environ.get("DB_VERIFY") or "db5.3_verify"

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

def as_service_user(argv):
    """argv run as the owner of the data home when we are root (the
    programs refuse root, and files must stay owned by www-data)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "www-data", "--"] + argv
    return argv


def patch_body(*ops):
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


class Server(scimtest.Server):
    """A scimtest.Server that survives its web server: kill_web_server()
    SIGKILLs lighttpd (and, if asked, its FastCGI workers), restart() starts
    a new lighttpd on the same home and port with the same tokens.

    Its programs are found by the SCIM_CONF that lighttpd puts in their
    environment (programs(): lighttpd's children and orphans alike), so
    stop() can let every one of them finish and end only those that do not,
    by PID."""

    def start(self):
        with self.sanitizer_env():
            super().start()
        return self

    @contextlib.contextmanager
    def sanitizer_env(self):
        """While lighttpd starts (its workers inherit its environment, so
        respawned ones too), send sanitizer reports to files in the home
        instead of the workers' standard error, which is /dev/null.  Has
        no effect on a build without sanitizers."""
        saved = {k: os.environ.get(k) for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS")}
        log = os.path.join(self.home, "sanitizer")
        for k, v in saved.items():
            os.environ[k] = (v + ":" if v else "") + "log_path=" + log
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    del os.environ[k]
                else:
                    os.environ[k] = v

    def restart(self):
        """Start lighttpd again on the same home and port, keeping the
        token (scimtest's start() would make a new one)."""
        self._restarting = True
        try:
            with self.sanitizer_env():
                super().start()
        finally:
            self._restarting = False
        return self

    def make_token(self, tenant="default", label="test"):
        if getattr(self, "_restarting", False):
            return self.token
        return super().make_token(tenant=tenant, label=label)

    def kill_random_worker(self, rng, name=None):
        """SIGKILL one program chosen by rng; returns its PID or None."""
        pids = self.programs(name)
        if not pids:
            return None
        pid = rng.choice(sorted(pids))
        _kill(pid, signal.SIGKILL)
        return pid

    def kill_web_server(self, workers_too):
        """SIGKILL lighttpd.  With workers_too its workers die with it (a
        crash of the whole service); without, they are orphaned, as after
        a crash of lighttpd alone, and are killed a moment later, as a
        supervisor cleaning up the service would."""
        killed = set()
        if workers_too:
            killed.update(self.programs())
            for pid in killed:
                _kill(pid, signal.SIGKILL)
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if not workers_too:
            time.sleep(0.3)
        # Whatever is left (all orphans now) goes, including any worker
        # lighttpd was spawning at the moment it died.
        for _ in range(3):
            pids = self.programs()
            killed.update(pids)
            for pid in pids:
                _kill(pid, signal.SIGKILL)
            _reap(killed)

    def stop_processes(self, grace=15):
        """Stop lighttpd, give its programs grace seconds to finish (they
        close the store on SIGTERM; killing one while it does can leave a
        Berkeley DB mutex held for ever), then SIGKILL any left, by PID.
        The home stays."""
        self.stop_web_server()
        deadline = time.time() + grace
        pids = self.programs()
        seen = set(pids)
        while pids and time.time() < deadline:
            for pid in pids:
                _kill(pid, signal.SIGTERM)
            time.sleep(0.1)
            pids = self.programs()
            seen.update(pids)
        self.stragglers = pids
        # What they were doing, for the failure message: a straggler is
        # usually stuck on a lock or mutex of a process killed earlier.
        self.straggler_notes = self.diagnose() if pids else []
        for pid in pids:
            _kill(pid, signal.SIGKILL)
        _reap(seen)

    def halt(self):
        """For stop(): every program of this home ends, not only
        lighttpd's children (see stop_processes)."""
        self.stop_processes()

    def diagnose(self):
        """Lines saying what the programs are doing (for a failure
        message): each one's state and kernel wait channel, and Berkeley
        DB's view of the threads in the environment."""
        out = []
        for pid in self.programs():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    stat = f.read()
                with open("/proc/%d/wchan" % pid) as f:
                    wchan = f.read()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            out.append("pid %d %s state %s waiting in %s"
                       % (pid, comm, stat[stat.rindex(")") + 2], wchan or "-"))
        try:
            r = subprocess.run(as_service_user(["db5.3_stat", "-h", self.db_dir(), "-e"]),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=10)
            out += [ln for ln in r.stdout.splitlines() if "process/thread" in ln or "!Own" in ln]
        except subprocess.TimeoutExpired:
            out.append("db5.3_stat -e hangs too")
        return out

    def db_dir(self):
        return os.path.join(self.home, "db")

    def db_files(self):
        return sorted(f for f in os.listdir(self.db_dir()) if f.endswith(".db"))


def _become_subreaper():
    """Have the workers that a killed lighttpd orphans reparented to this
    process instead of PID 1, so _reap() can collect them: the PID 1 of a
    container may never reap (platform notes, trap 7)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


_become_subreaper()


def _kill(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pids, timeout=10):
    """Wait until every pid is gone, collecting those reparented to us
    (orphans of a killed lighttpd); lighttpd's own children it reaps."""
    deadline = time.time() + timeout
    for pid in pids:
        while time.time() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            except ChildProcessError:
                pass
            try:
                with open("/proc/%d/stat" % pid) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                break
            if state == "Z":
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    break       # not ours: its parent reaps it
            time.sleep(0.02)


# --- logical dumps of the store ---

def _unprint(s):
    """Bytes of a db_dump -p value: printable characters as themselves,
    backslash-escaped hex pairs for the rest, and \\\\ for a backslash."""
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if s[i + 1] == "\\":
                out.append(0x5C)
                i += 2
            else:
                out.append(int(s[i + 1:i + 3], 16))
                i += 3
        else:
            out += c.encode("latin-1")
            i += 1
    return bytes(out)


def dump_db(home_db, name):
    """Every (key, value) of database file name, as bytes, in order, read
    through the environment (so committed data in the shared cache is seen
    while the server runs)."""
    r = subprocess.run(as_service_user([DB_DUMP, "-p", "-h", home_db, name]),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       encoding="latin-1", timeout=60)
    if r.returncode != 0:
        raise RuntimeError("%s %s: %s" % (DB_DUMP, name, r.stderr))
    lines = r.stdout.split("\n")
    start = lines.index("HEADER=END") + 1
    end = lines.index("DATA=END")
    data = [_unprint(ln[1:]) for ln in lines[start:end]]
    return list(zip(data[0::2], data[1::2]))


def dump_store(srv):
    """{file: [(key, value), ...]} for every database of srv's home."""
    return {f: dump_db(srv.db_dir(), f) for f in srv.db_files()}


def diff_dumps(before, after, allowed=None):
    """Differences between two dump_store() results, as readable lines.
    allowed(file, key, value) may accept a record added in after."""
    diffs = []
    for f in sorted(set(before) | set(after)):
        b = dict(before.get(f, []))
        a = dict(after.get(f, []))
        for k in sorted(set(b) | set(a)):
            if k not in a:
                diffs.append("%s: removed %r" % (f, k))
            elif k not in b:
                if not (allowed and allowed(f, k, a[k])):
                    diffs.append("%s: added %r = %r" % (f, k, a[k][:300]))
            elif a[k] != b[k]:
                diffs.append("%s: changed %r: %r -> %r" % (f, k, b[k][:300], a[k][:300]))
    return diffs


def verify_store(srv):
    """db_verify every database of a stopped server's home; returns a list
    of failures (empty when all verify)."""
    bad = []
    for f in srv.db_files():
        r = subprocess.run(as_service_user([DB_VERIFY, "-h", srv.db_dir(), f]),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        if r.returncode != 0:
            bad.append("%s: %s" % (f, r.stdout.strip()[-500:]))
    return bad


# --- raw HTTP, for requests http.client will not send ---

def raw_request(port, data, timeout=10, shut_write=False):
    """Send data (bytes) on a new loopback connection and read until the
    server closes it or timeout.  Returns (status or None, headers dict,
    body bytes); status None means no answer at all."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
            if shut_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not c:
                break
            chunks.append(c)
            # One response is enough: stop once its body is complete.
            resp = b"".join(chunks)
            head, sep, body = resp.partition(b"\r\n\r\n")
            if sep:
                hdrs = _headers(head)
                n = hdrs.get("content-length")
                if n is not None and len(body) >= int(n):
                    break
    finally:
        s.close()
    resp = b"".join(chunks)
    if not resp.startswith(b"HTTP/"):
        return None, {}, resp
    head, _, body = resp.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    hdrs = _headers(head)
    if "content-length" in hdrs:
        body = body[:int(hdrs["content-length"])]
    return status, hdrs, body


def _headers(head):
    h = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        h[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    return h


# --- load generation ---

class Deadline:
    """A point in time that loops check; bounds every load loop."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def passed(self):
        return time.monotonic() >= self.end

    def left(self):
        return max(0.0, self.end - time.monotonic())


def run_threads(fns, timeout):
    """Run each fn in a thread of its own, wait at most timeout seconds in
    all; returns the exceptions raised (a thread still running at the end
    counts as an error)."""
    errors = []
    lock = threading.Lock()

    def wrap(fn):
        try:
            fn()
        except BaseException as e:  # noqa: B902 - reported to the test
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=wrap, args=(fn,), daemon=True) for fn in fns]
    for t in threads:
        t.start()
    end = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    for t in threads:
        if t.is_alive():
            errors.append(RuntimeError("a client thread did not finish in %d s" % timeout))
    return errors


def new_rng(name):
    """A random generator with a seed printed for reproduction (override
    with ROBUST_SEED)."""
    seed = int(os.environ.get("ROBUST_SEED") or random.SystemRandom().randrange(1 << 30))
    print("# %s: seed %d (set ROBUST_SEED to repeat)" % (name, seed))
    sys.stdout.flush()
    return random.Random(seed)



# --- requests that report what happened instead of raising ---

OK, ERR, UNKNOWN = "ok", "err", "unknown"


def attempt(srv, method, path, body=None, token=None, headers=None, timeout=15):
    """Send one request; returns (outcome, response or None).  outcome is OK
    for a 2xx, ERR for a SCIM error body from our programs (the request was
    refused: nothing may have been written), UNKNOWN when there was no
    answer, only the web server's own error (its page, or its SCIM body
    from etc/scim-errors/), or a 503 saying the
    change "may not have been applied" (the write may or may not have
    happened, but never half)."""
    import http.client
    import json
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    h = {"Authorization": "Bearer " + (token or srv.token)}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/scim+json"
    h.update(headers or {})
    try:
        conn.request(method, srv.url(path), body=data, headers=h)
        r = conn.getresponse()
        resp = scimtest.Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    except (OSError, http.client.HTTPException):
        return UNKNOWN, None
    finally:
        conn.close()
    if 200 <= resp.status < 300:
        return OK, resp
    if scimtest.web_error_body(resp.body):
        # The web server's own error, in SCIM dress (etc/scim-errors/):
        # a killed worker, say.  Not our programs' refusal.
        return UNKNOWN, resp
    if isinstance(resp.json, dict) and resp.json.get("schemas") == [ERROR]:
        # The store's answer when another process began recovery around
        # this request's commit: the outcome is unknown, said so.
        if resp.status == 503 and "may not have been applied" in str(resp.json.get("detail")):
            return UNKNOWN, resp
        return ERR, resp
    return UNKNOWN, resp


def list_all(srv, endpoint, token=None, page=1000, extra=""):
    """Every resource of endpoint ("/Users"), paging through ListResponses.
    Raises on any non-200 answer."""
    out = []
    start = 1
    while True:
        # 503 means "try again" (the store was recovering): do, briefly.
        for _ in range(50):
            outcome, r = attempt(srv, "GET", "%s?startIndex=%d&count=%d%s" % (endpoint, start, page, extra),
                                 token=token, timeout=60)
            if r is None or getattr(r, "status", None) != 503:
                break
            time.sleep(0.1)
        if outcome != OK:
            raise RuntimeError("listing %s failed: %r" % (endpoint, r))
        res = r.json["Resources"]
        out.extend(res)
        start += len(res)
        if not res or start > r.json["totalResults"]:
            return out
