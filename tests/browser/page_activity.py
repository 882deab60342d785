"""Set-up for the browser test of the Activity tab and held deprovisions
(browsertest.run): with [safety] max_deprovisions = 1, Entra-shaped
requests (a user looked up, created and renamed, a refused filter) and three
deactivations, two of them held; a viewer account.  Then
tests/browser/page_activity.js drives Chromium and prints TAP."""

import os
import sys

import browsertest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
from test_activity import ENTRA, entra_user  # noqa: E402

NAME = "actor"
PASSWORD = "activity and more 42"
VIEWER = "vic"


def prepare(srv):
    browsertest.add_viewer(srv, VIEWER, PASSWORD)
    token = srv.tokens_cmd("create", "--label", "Entra ID activity").stdout.strip()

    def ok(r, want, what):
        if r.status != want:
            raise RuntimeError("%s: %d %r" % (what, r.status, r.text))
        return r

    ok(srv.get('/Users?filter=userName+eq+%22alice%40contoso.com%22', token=token,
               headers=ENTRA), 200, "lookup")
    uid = ok(srv.post("/Users", entra_user("alice@contoso.com"), token=token,
                      headers=ENTRA), 201, "POST /Users").json["id"]
    ok(srv.patch_ops("/Users/" + uid, {"op": "Replace", "path": "displayName",
                                       "value": "Alice <i>A</i>"},
                     token=token, headers=ENTRA), 200, "PATCH")
    ok(srv.get('/Users?filter=userName+zz+%22x%22', token=token, headers=ENTRA),
       400, "bad filter")
    for i in range(3):
        u = ok(srv.post("/Users", entra_user("leaver%d@contoso.com" % i), token=token,
                        headers=ENTRA), 201, "POST leaver").json["id"]
        ok(srv.patch_ops("/Users/" + u, {"op": "Replace", "path": "active",
                                         "value": "False"}, token=token, headers=ENTRA),
           200 if i == 0 else 503, "deactivate")
    return {"VIEWER": VIEWER, "ALICE": uid}


if __name__ == "__main__":
    browsertest.run("page_activity.js", NAME, PASSWORD, "actor@example.com", prepare,
                    conf_extra="[safety]\nmax_deprovisions = 1\nwindow_minutes = 60\n")
