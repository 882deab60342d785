"""Set-up for the browser test: a real lighttpd with scim-fcgi and the
scim-tokens page (tests/http/scimtest.Server), an owner account made with
the command line, then tests/browser/admin_page.js drives Chromium against
it and prints TAP."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
import scimtest  # noqa: E402

NAME = "alice"
PASSWORD = "correct horse battery staple"


def main():
    artifacts = os.path.join(scimtest.TOP_BUILDDIR, "tests", "browser", "artifacts")
    os.makedirs(artifacts, exist_ok=True)
    srv = scimtest.Server(procs=2)
    rc = 1
    try:
        srv.start()
        r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scim-tokens"), "-c", srv.conf,
                            "admin", "add", NAME, "--role", "owner",
                            "--email", "alice@example.com", "--password-file", "-"],
                           input=PASSWORD + "\n", text=True, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("admin add: " + r.stderr)
        # The harness's own token is not part of this test: revoke it so
        # the page starts with a clean slate.
        tid = srv.token.split("_")[1]
        srv.tokens_cmd("delete", tid)
        # A token three days from expiry, for the banner.
        near = srv.tokens_cmd("create", "--label", "Entra ID staging",
                              "--expires-in-seconds", str(3 * 86400)).stdout.strip()
        env = dict(os.environ, BASE_URL="http://127.0.0.1:%d" % srv.port,
                   NEAR_ID=near.split("_")[1],
                   ADMIN_NAME=NAME, ADMIN_PASSWORD=PASSWORD, ARTIFACTS=artifacts)
        sys.stdout.flush()
        rc = subprocess.call([os.environ.get("NODE") or "node",
                              os.path.join(HERE, "admin_page.js")], env=env)
        if rc != 0:
            sys.stderr.write(srv.errorlog())
    except Exception as e:  # the set-up failed: one failing test point
        print("not ok 1 - set-up: %s" % e)
        print("1..1")
        rc = 1
    finally:
        srv.stop()
    sys.exit(rc)


if __name__ == "__main__":
    main()
