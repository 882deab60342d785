"""The README's quick start, as an operator meets it: `./bootstrap run` from
a copy of this (built) checkout placed in a private directory (mode 0700,
like /root or any mktemp -d), on a free loopback port, with SCIM_HOME in a
fresh directory.  TAP, one point per promise:

 - it prints the Tenant URL, the Secret Token, the admin page and, the
   first time, the owner account "admin" with its password;
 - the Tenant URL answers 401 without a token and 200 with the printed one;
 - the admin page answers, and the printed password signs in;
 - the errors lighttpd answers itself (a path no program serves, a POST
   without Content-Length) are SCIM errors, not HTML pages;
 - a second run revokes the first token, makes a new one, and prints how
   to reset the password instead of a password;
 - a tenant already full of live tokens made elsewhere does not stop it:
   it says no token was made, and serves;
 - (as root) a SCIM_HOME that www-data cannot reach is refused in one
   line, exit 2, before anything is made.

Every wait is bounded; the server is stopped (its process group) after
each run.  bootstrap builds in its own tree, so this runs only in an
in-tree build (not a VPATH one such as distcheck's): otherwise it skips.
"""

import http.client
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import scimtest  # noqa: E402
import weberrors  # noqa: E402

AS_ROOT = os.geteuid() == 0
# What the copy leaves out: history, caches, logs of the running suite,
# and a ./run data home of an earlier quick start.
SKIP_NAMES = shutil.ignore_patterns(".git", ".cache", "run", "artifacts",
                                    "*.log", "*.trs", "__pycache__")

n = 0
failed = 0


def ok(good, name, why=""):
    global n, failed
    n += 1
    print("%sok %d - %s" % ("" if good else "not ", n, name))
    if not good:
        failed += 1
        for line in str(why).rstrip().splitlines()[-40:]:
            print("# " + line)
    sys.stdout.flush()
    return good


def skip_all(reason):
    print("1..0 # SKIP " + reason)
    sys.exit(0)


class Run:
    """One `./bootstrap run` of checkout with env; start() reads its
    output until the line that ends the banner (bounded), stop() ends it
    and its server."""

    def __init__(self, checkout, env):
        self.proc = subprocess.Popen([os.path.join(checkout, "bootstrap"), "run"],
                                     cwd=checkout, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.lines = []

    def read_banner(self, timeout=240):
        """Lines up to "(data and programs in ...)", or to the end of
        the output; False when neither came in time."""
        deadline = time.time() + timeout
        buf = b""
        while time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if not r:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                self.lines += buf.decode(errors="replace").splitlines()
                return True
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.append(line.decode(errors="replace"))
                if self.lines[-1].startswith("(data and programs in"):
                    return True
        return False

    def value(self, prefix):
        for line in self.lines:
            if line.startswith(prefix):
                return line[len(prefix):]
        return None

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM the run's process group (lighttpd ends its programs);
        SIGKILL it after 10 s."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if self.wait_exit(10) is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc.stdout.close()


def request(port, method, path, token=None, form=None, cookies=None, timeout=20):
    """(status, headers list, body text) of one request to 127.0.0.1:port."""
    h = {}
    if token:
        h["Authorization"] = "Bearer " + token
    if cookies:
        h["Cookie"] = "; ".join("%s=%s" % kv for kv in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        h["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read().decode(errors="replace")
    finally:
        conn.close()


def wait_listening(port, timeout=20):
    """The first status lighttpd answers on port, or None in time."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            return request(port, "GET", "/scim/v2/ServiceProviderConfig", timeout=2)[0]
        except OSError:
            time.sleep(0.1)
    return None


def web_error(port, head):
    """What a request written by hand (head: request line and headers)
    got: "<status> <Content-Type> <body's status>", to compare."""
    srv = type("QuickStart", (), {"port": port})()
    r = weberrors.raw_request(srv, head + "\r\nHost: 127.0.0.1:%d\r\nConnection: close" % port)
    body_status = r.json.get("status") if isinstance(r.json, dict) else None
    return "%d %s %s" % (r.status, r.headers.get("content-type"), body_status)


def sign_in(port, name, password):
    """GET the page for its CSRF field and cookie, POST the sign-in form:
    the status of the POST (303 when signed in)."""
    status, headers, body = request(port, "GET", "/scim-tokens")
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', body)
    cookies = {}
    for k, v in headers:
        if k.lower() == "set-cookie":
            name_, val = v.split(";")[0].split("=", 1)
            cookies[name_] = val
    form = {"csrf": m.group(1) if m else "", "name": name, "password": password}
    return request(port, "POST", "/scim-tokens/login", form=form, cookies=cookies)[0]


def private_copy():
    """A copy of this built checkout in a fresh mode-0700 directory:
    (parent, checkout).  Modification times are kept, so bootstrap's make
    finds nothing to do."""
    parent = tempfile.mkdtemp(prefix="scim-quickstart-")
    os.chmod(parent, 0o700)
    copy = os.path.join(parent, "scim-fcgi")
    shutil.copytree(scimtest.TOP_SRCDIR, copy, symlinks=True, ignore=SKIP_NAMES)
    return parent, copy


def tokens_cmd(home, *args):
    return subprocess.run([os.path.join(home, "bin", "scim-tokens"), "-c",
                           os.path.join(home, "scim.conf")] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)


def first_run(checkout, env, port, home):
    """Returns the token printed (or None)."""
    run = Run(checkout, env)
    try:
        done = run.read_banner()
        out = "\n".join(run.lines)
        ok(done and run.value("Tenant URL: ") == "http://127.0.0.1:%d/scim/v2" % port,
           "first run prints the Tenant URL", out)
        token = run.value("Secret Token: ")
        ok(token is not None and token.startswith("scim_"), "first run prints a Secret Token", out)
        ok(run.value("Admin page: ") == "http://127.0.0.1:%d/scim-tokens" % port,
           "first run prints the admin page", out)
        signin = run.value("Admin sign-in: admin / ")
        ok(signin is not None and len(signin) >= 12,
           "first run prints the new owner account and its password", out)
        ok(os.path.isfile(os.path.join(home, "bin", "scim-users")),
           "the programs are staged in the data home", out)
        status = wait_listening(port)
        ok(status == 401, "the server answers without a token: 401", "got %s\n%s" % (status, out))
        status = request(port, "GET", "/scim/v2/Users", token=token or "")[0]
        ok(status == 200, "the printed token is accepted: 200", "got %s" % status)
        status, _, body = request(port, "GET", "/scim-tokens")
        ok(status == 200 and 'name="csrf"' in body,
           "the admin page answers from 127.0.0.1", "got %s" % status)
        status = sign_in(port, "admin", signin or "")
        ok(status == 303, "the printed password signs in", "got %s" % status)
        got = web_error(port, "GET /scim/v2/Bogus HTTP/1.1")
        ok(got == "404 application/scim+json 404",
           "a path no program serves: a SCIM 404", "got %s" % got)
        got = web_error(port, "POST /scim/v2/Users HTTP/1.1")
        ok(got == "411 application/scim+json 411",
           "a POST without Content-Length: lighttpd's 411 as a SCIM error", "got %s" % got)
        return token
    finally:
        run.stop()


def second_run(checkout, env, port, home, old):
    run = Run(checkout, env)
    try:
        done = run.read_banner()
        out = "\n".join(run.lines)
        token = run.value("Secret Token: ")
        reset = "%s/bin/scim-tokens -c %s/scim.conf admin passwd admin" % (home, home)
        ok(done and any(reset in line for line in run.lines)
           and run.value("Admin sign-in: admin / ") is None,
           "a second run prints how to reset the password, and no password", out)
        wait_listening(port)
        ok(token is not None and token != old and
           request(port, "GET", "/scim/v2/Users", token=token)[0] == 200,
           "a second run makes a new token that is accepted", out)
        status = request(port, "GET", "/scim/v2/Users", token=old or "x")[0]
        ok(status == 401, "the first run's token is revoked", "got %s" % status)
        return token
    finally:
        run.stop()


def full_run(checkout, env, port, home, last):
    """The tenant holds as many live tokens as it may, none of them the
    quick start's: the run still serves."""
    tokens_cmd(home, "revoke", last.split("_")[1])
    for label in ("page-a", "page-b"):
        r = tokens_cmd(home, "create", "--label", label)
        if r.returncode != 0:
            return ok(False, "two tokens made elsewhere", r.stderr)
    run = Run(checkout, env)
    try:
        done = run.read_banner()
        out = "\n".join(run.lines)
        said = run.value("Secret Token: ") or ""
        ok(done and said.startswith("none made (") and "live tokens" in said,
           "a tenant full of live tokens: says why no token was made", out)
        status = wait_listening(port)
        page = request(port, "GET", "/scim-tokens")[0] if status else None
        ok(status == 401 and page == 200, "... and serves anyway",
           "got %s, page %s\n%s" % (status, page, out))
    finally:
        run.stop()


def unreachable_run(checkout, env):
    if not AS_ROOT:
        ok(True, "an unreachable SCIM_HOME is refused # SKIP not root")
        return
    private = tempfile.mkdtemp(prefix="scim-quickstart-private-")
    try:
        home = os.path.join(private, "home")
        run = Run(checkout, dict(env, SCIM_HOME=home))
        run.read_banner(60)
        rc = run.wait_exit(30)
        run.stop()
        lines = [ln for ln in run.lines if ln.strip()]
        ok(rc == 2 and len(lines) == 1 and "cannot reach" in lines[0]
           and private in lines[0] and not os.path.exists(home),
           "an unreachable SCIM_HOME: one line, exit 2, nothing made",
           "exit %s\n%s" % (rc, "\n".join(run.lines)))
    finally:
        shutil.rmtree(private, ignore_errors=True)


def main():
    if os.path.realpath(scimtest.TOP_SRCDIR) != os.path.realpath(scimtest.TOP_BUILDDIR):
        skip_all("bootstrap builds in its own tree: not in a VPATH build")
    if not os.path.exists(scimtest.LIGHTTPD):
        skip_all("lighttpd is not installed")
    parent, checkout = private_copy()
    data = tempfile.mkdtemp(prefix="scim-quickstart-home-")
    os.chmod(data, 0o755)
    home = os.path.join(data, "home")
    port = scimtest.free_port()
    env = dict(os.environ, SCIM_PORT=str(port), SCIM_HOME=home, SCIM_PROCS="1")
    for k in ("top_srcdir", "top_builddir", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(k, None)
    try:
        if not AS_ROOT:
            # Only root may install what is missing: elsewhere a machine
            # without, say, chromium cannot run the quick start at all.
            r = subprocess.run([os.path.join(checkout, "bootstrap"), "build"], cwd=checkout,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=600)
            if "missing Debian packages" in r.stdout:
                skip_all(r.stdout.strip().splitlines()[0])
        token = first_run(checkout, env, port, home)
        token = second_run(checkout, env, port, home, token)
        if token:
            full_run(checkout, env, port, home, token)
        else:
            ok(False, "a tenant full of live tokens # no token from the second run")
        unreachable_run(checkout, env)
        mode = os.stat(parent).st_mode & 0o777
        ok(mode == 0o700, "the directory above the checkout is still mode 0700",
           "mode %o" % mode)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
    print("1..%d" % n)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
