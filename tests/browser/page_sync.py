"""Set-up for the browser test of the admin page's sync tabs
(browsertest.run): the Graph stand-in (tests/sync/graph_standin.py) with
the directory of tests/sync/test_sync.py, scim.conf's [graph] pointed at
it and at the built scimctl (what Sync Now runs), a user that SCIM
manages, two role mappings and a viewer account; then
tests/browser/page_sync.js drives Chromium and prints TAP."""

import os
import subprocess
import sys

import browsertest
from browsertest import scimtest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sync"))
from graph_standin import Standin  # noqa: E402
from test_sync import directory  # noqa: E402

NAME = "syncer"
PASSWORD = "sync them all 42"
VIEWER = "vicky"
SCIMCTL = os.path.join(scimtest.CGI_BIN, "scimctl")


def prepare(srv):
    browsertest.add_viewer(srv, VIEWER, PASSWORD)
    token = srv.tokens_cmd("create", "--label", "Entra ID sync").stdout.strip()
    r = srv.post("/Users", scimtest.user("frank@example.com", displayName="Frank from SCIM"),
                 token=token)
    if r.status != 201:
        raise RuntimeError("POST /Users: %d" % r.status)
    for args in (("Sales", "admin"), ("g-staff", "member")):
        r = subprocess.run([SCIMCTL, "-c", srv.conf, "roles", "add"] + list(args),
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("roles add: " + r.stderr)
    return {"VIEWER": VIEWER,
            "SYNC_LOCK": os.path.join(srv.home, "db", "sync-%s.lock" % b"default".hex())}


if __name__ == "__main__":
    standin = Standin(directory(), page_size=2).start()
    try:
        browsertest.run("page_sync.js", NAME, PASSWORD, "syncer@example.com", prepare,
                        conf_extra="[graph]\nauthority = %s\nurl = %s\ntimeout = 10\n"
                        "max_wait = 30\nscimctl = %s\n" % (standin.base, standin.base,
                                                          SCIMCTL))
    finally:
        standin.stop()
