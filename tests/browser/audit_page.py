"""Set-up for the audit log browser test (browsertest.run): events of every
category made over SCIM and the command line; then tests/browser/
audit_page.js drives Chromium through the log's filters and pages and
prints TAP."""

import browsertest
from browsertest import scimtest

NAME = "olivia"
PASSWORD = "audit log pass phrase 42"
USERS = 30          # more SCIM events than one page of the log holds


def prepare(srv):
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
    return {"TARGET_NAME": target, "TARGET_ID": ids[target],
            "STALE_ID": stale.split("_")[1], "USERS": str(USERS)}


if __name__ == "__main__":
    browsertest.run("audit_page.js", NAME, PASSWORD, "olivia@example.com", prepare)
