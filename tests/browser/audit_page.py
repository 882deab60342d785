"""Set-up for the audit log browser test: a real lighttpd with scim-fcgi
and the scim-tokens page (tests/http/scimtest.Server), an owner account,
and events of every category made over SCIM and the command line; then
tests/browser/audit_page.js drives Chromium through the log's filters and
pages and prints TAP."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
import scimtest  # noqa: E402

NAME = "olivia"
PASSWORD = "audit log pass phrase 42"
USERS = 30          # more SCIM events than one page of the log holds


def main():
    artifacts = os.path.join(scimtest.TOP_BUILDDIR, "tests", "browser", "artifacts")
    os.makedirs(artifacts, exist_ok=True)
    srv = scimtest.Server(procs=2)
    rc = 1
    try:
        srv.start()
        r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scim-tokens"), "-c", srv.conf,
                            "admin", "add", NAME, "--role", "owner",
                            "--email", "olivia@example.com", "--password-file", "-"],
                           input=PASSWORD + "\n", text=True, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("admin add: " + r.stderr)
        # The harness's own token would count against the tenant's limit.
        srv.tokens_cmd("delete", srv.token.split("_")[1])
        # Provisioning the way Entra ID does, with a token of its own.
        token = srv.tokens_cmd("create", "--label", "Entra ID audit").stdout.strip()
        ids = {}
        for i in range(USERS):
            name = "user%02d@example.com" % i
            r = srv.post("/Users", scimtest.user(name, active=True), token=token)
            if r.status != 201:
                raise RuntimeError("POST /Users %s: %d %r" % (name, r.status, r.text))
            ids[name] = r.json["id"]
        # Deprovision one user: a second event with that user as target.
        target = "user07@example.com"
        r = srv.patch_ops("/Users/" + ids[target],
                          {"op": "replace", "path": "active", "value": False}, token=token)
        if r.status != 200:
            raise RuntimeError("PATCH active=false: %d %r" % (r.status, r.text))
        # A token that is revoked and then still used: a refused request.
        stale = srv.tokens_cmd("create", "--label", "old connector").stdout.strip()
        srv.tokens_cmd("revoke", stale.split("_")[1])
        r = srv.get("/Users", token=stale)
        if r.status != 401:
            raise RuntimeError("revoked token: %d" % r.status)
        env = dict(os.environ, BASE_URL="http://127.0.0.1:%d" % srv.port,
                   ADMIN_NAME=NAME, ADMIN_PASSWORD=PASSWORD, ARTIFACTS=artifacts,
                   TARGET_NAME=target, TARGET_ID=ids[target],
                   STALE_ID=stale.split("_")[1], USERS=str(USERS))
        sys.stdout.flush()
        rc = subprocess.call([os.environ.get("NODE") or "node",
                              os.path.join(HERE, "audit_page.js")], env=env)
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
