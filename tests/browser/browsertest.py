"""Set-up shared by the browser tests: a real lighttpd with scim-fcgi and
the scim-tokens page (tests/http/scimtest.Server), an owner account made
with the command line, the harness's own token deleted so the page starts
with a clean slate; then a JavaScript driver (tests/browser/*.js, see
harness.js) drives Chromium against it and prints TAP.  A set-up that
fails is one failing test point."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
import scimtest  # noqa: E402,F401  (the drivers' set-ups use it too)


def add_viewer(srv, name, password):
    """Add a page account of role viewer."""
    r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scim-tokens"), "-c", srv.conf,
                        "admin", "add", name, "--role", "viewer",
                        "--password-file", "-"],
                       input=password + "\n", text=True, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("admin add viewer: " + r.stderr)


def run(driver, name, password, email, prepare=None, conf_extra=""):
    """Start the server (conf_extra appended to its scim.conf), add owner
    name, run prepare(srv) (its dict is added to the driver's
    environment), then node on driver; exit with the driver's status."""
    artifacts = os.path.join(scimtest.TOP_BUILDDIR, "tests", "browser", "artifacts")
    os.makedirs(artifacts, exist_ok=True)
    srv = scimtest.Server(procs=2, conf_extra=conf_extra)
    rc = 1
    try:
        srv.start()
        r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scim-tokens"), "-c", srv.conf,
                            "admin", "add", name, "--role", "owner",
                            "--email", email, "--password-file", "-"],
                           input=password + "\n", text=True, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("admin add: " + r.stderr)
        # The harness's own token is not part of these tests, and would
        # count against the tenant's limit of live tokens.
        srv.tokens_cmd("delete", srv.token.split("_")[1])
        env = dict(os.environ, BASE_URL="http://127.0.0.1:%d" % srv.port,
                   ADMIN_NAME=name, ADMIN_PASSWORD=password, ARTIFACTS=artifacts)
        if prepare is not None:
            env.update(prepare(srv))
        sys.stdout.flush()
        rc = subprocess.call([os.environ.get("NODE") or "node",
                              os.path.join(HERE, driver)], env=env)
        if rc != 0:
            sys.stderr.write(srv.errorlog())
    except Exception as e:  # the set-up failed: one failing test point
        print("not ok 1 - set-up: %s" % e)
        print("1..1")
        rc = 1
    finally:
        srv.stop()
    sys.exit(rc)
