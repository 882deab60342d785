"""Set-up for the browser test of the admin page's tabs (browsertest.run):
users and a group provisioned through the SCIM API the way Entra ID does
(more users than one page), one user blocked, and a viewer account; then
tests/browser/page_tabs.js drives Chromium and prints TAP."""

import os
import sys

import browsertest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from test_roles import entra_group, entra_user  # noqa: E402

NAME = "tabby"
PASSWORD = "tabs and more tabs 42"
VIEWER = "vera"
USERS = 60
MEMBERS = 55


def prepare(srv):
    browsertest.add_viewer(srv, VIEWER, PASSWORD)
    token = srv.tokens_cmd("create", "--label", "Entra ID tabs").stdout.strip()
    ids = []
    for i in range(USERS):
        r = srv.post("/Users", entra_user("member%02d@example.com" % i, "ext-%02d" % i),
                     token=token)
        if r.status != 201:
            raise RuntimeError("POST /Users: %d %r" % (r.status, r.text))
        ids.append(r.json["id"])
    r = srv.patch_ops("/Users/" + ids[5], {"op": "replace", "path": "active",
                                           "value": False}, token=token)
    if r.status != 200:
        raise RuntimeError("PATCH active: %d" % r.status)
    r = srv.post("/Groups", entra_group("Browser Admins", "obj-browser-admins"), token=token)
    if r.status != 201:
        raise RuntimeError("POST /Groups: %d" % r.status)
    gid = r.json["id"]
    r = srv.patch_ops("/Groups/" + gid, {"op": "Add", "path": "members", "value": [
        {"value": u} for u in ids[:MEMBERS]]}, token=token)
    if r.status != 204:
        raise RuntimeError("PATCH members: %d" % r.status)
    return {"VIEWER": VIEWER, "USERS": str(USERS), "MEMBERS": str(MEMBERS),
            "GROUP_ID": gid, "USER3": ids[3]}


if __name__ == "__main__":
    browsertest.run("page_tabs.js", NAME, PASSWORD, "tabby@example.com", prepare)
