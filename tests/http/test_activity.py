#!/usr/bin/env python3
"""The provisioning activity recorder (issue 20 items 1 and 4), through a
real lighttpd: Entra-shaped requests appear in `scimctl activity` with the
right fields, secrets redacted, skipped members and ignored attributes
noted on the request that caused them; --errors, --since, --user; the
files' retention and size cap with small settings; the recorder off."""

import datetime
import json
import os
import subprocess
import time

import scimtest

ENTRA = {"User-Agent": "Azure AD SCIM Client"}
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def scimctl(srv, *args, check=True):
    r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scimctl"), "-c", srv.conf] +
                       list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError("scimctl %s: %d %s" % (args, r.returncode, r.stderr))
    return r


def activity(srv, *args, want=None):
    """The records `scimctl activity --json` prints, newest first.  A
    record is written just after the client has its answer: with want (a
    predicate on the records), read again until it holds (5 s at most)."""
    for _ in range(50):
        out = scimctl(srv, "activity", "--json", "--limit", "1000", *args).stdout
        recs = [json.loads(line) for line in out.splitlines()]
        if want is None or want(recs):
            break
        time.sleep(0.1)
    return recs


def has(method, path_end=""):
    """A predicate for activity(): a record of method on a path ending so."""
    return lambda recs: any(r["method"] == method and r["path"].endswith(path_end)
                            for r in recs)


def wait_dir(srv):
    """The activity directory, once the worker has made it (5 s at most)."""
    for _ in range(50):
        if os.path.isdir(activity_dir(srv)):
            break
        time.sleep(0.1)


def activity_dir(srv):
    return os.path.join(srv.home, "db", "activity")


def entra_user(name, **extra):
    u = {"schemas": [USER_URN, ENT_URN], "userName": name, "active": True,
         "externalId": name.split("@")[0], "displayName": name,
         "name": {"givenName": "A", "familyName": "B"},
         "emails": [{"primary": True, "type": "work", "value": name}]}
    u.update(extra)
    return u


class Recorder(scimtest.ScimTestCase):
    server_args = {"conf_extra": "[activity]\nredact = employeeNumber\n"}

    def entra_flow(self, name):
        """What Entra does for one assignment, then its deactivation; returns
        the user's and the group's ids."""
        s = self.srv
        r = s.get('/Users?filter=userName+eq+%22' + name.replace("@", "%40") + '%22',
                  headers=ENTRA)
        self.assertEqual(r.status, 200)
        r = s.post("/Users", entra_user(name, password="hunter2-secret",
                                        nickName2="x",
                                        **{ENT_URN: {"employeeNumber": "E-4711",
                                                     "department": "Sales"}}),
                   headers=ENTRA)
        self.assertEqual(r.status, 201, r.text)
        self.assertNotIn("nickName2", r.text)     # the answer is as before
        uid = r.json["id"]
        r = s.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                               "displayName": "Sales " + name}, headers=ENTRA)
        self.assertEqual(r.status, 201, r.text)
        gid = r.json["id"]
        r = s.patch_ops("/Groups/" + gid, {"op": "Add", "path": "members",
                                           "value": [{"value": uid}, {"value": "1234"}]},
                        headers=ENTRA)
        self.assertIn(r.status, (200, 204), r.text)
        r = s.patch_ops("/Users/" + uid, {"op": "Replace", "path": "active",
                                          "value": "False"}, headers=ENTRA)
        self.assertEqual(r.status, 200, r.text)
        return uid, gid

    def test_entra_requests_are_recorded(self):
        name = "alice@contoso.com"
        uid, gid = self.entra_flow(name)
        recs = activity(self.srv, "--user", name, want=has("PATCH", uid))
        for rec in recs:
            for k in ("time", "token", "client", "method", "path", "status", "action",
                      "duration_ms"):
                self.assertIn(k, rec)
            self.assertEqual(rec["client"], "Microsoft Entra ID")
            self.assertEqual(rec["token"]["label"], "test")
            self.assertEqual(rec["tenant"], "default")
            self.assertIsInstance(rec["duration_ms"], (int, float))
        actions = [r["action"] for r in recs]
        self.assertIn("deactivated " + name, actions)
        self.assertTrue(any(a.startswith("created " + name) for a in actions), actions)
        self.assertTrue(any(a.startswith("looked up users where userName eq")
                            for a in actions), actions)
        self.assertTrue(any(a.startswith("added 1 member to Sales " + name)
                            for a in actions), actions)
        post = [r for r in recs if r["method"] == "POST" and "/Users" in r["path"]][0]
        self.assertEqual(post["status"], 201)
        self.assertEqual(post["target"], {"type": "User", "id": uid, "name": name})
        self.assertEqual(post["after"]["id"], uid)

    def test_secrets_redacted(self):
        self.entra_flow("bob@contoso.com")
        post = [r for r in activity(self.srv, "--user", "bob@contoso.com",
                                    want=has("POST", "/Users"))
                if r["method"] == "POST"][0]
        self.assertEqual(post["body"]["password"], "(redacted)")
        self.assertEqual(post["body"][ENT_URN]["employeeNumber"], "(redacted)")
        self.assertEqual(post["body"][ENT_URN]["department"], "Sales")
        # Not in any file, in any form.
        for n in os.listdir(activity_dir(self.srv)):
            with open(os.path.join(activity_dir(self.srv), n)) as f:
                text = f.read()
            self.assertNotIn("hunter2-secret", text)
            self.assertNotIn("E-4711", text)

    def test_skipped_member_and_ignored_attribute_noted(self):
        name = "carol@contoso.com"
        uid, gid = self.entra_flow(name)
        recs = activity(self.srv, want=has("PATCH", uid))
        patch = [r for r in recs if r["path"].endswith("/Groups/" + gid)
                 and r["method"] == "PATCH"][0]
        self.assertIn("skipped member 1234: not a user of this tenant", patch["notes"])
        self.assertIn("skipped member 1234: not a user of this tenant", patch["action"])
        post = [r for r in recs if r.get("target", {}).get("id") == uid
                and r["method"] == "POST"][0]
        self.assertIn("ignored attribute nickName2: not in the schema", post["notes"])

    def test_errors_only(self):
        s = self.srv
        s.post("/Users", entra_user("dave@contoso.com"), headers=ENTRA)
        r = s.post("/Users", entra_user("dave@contoso.com"),
                   headers={"User-Agent": "Okta SCIM Client 1.0.0"})
        self.assertEqual(r.status, 409)
        errs = activity(self.srv, "--errors",
                        want=lambda rs: any(e["status"] == 409 for e in rs))
        self.assertTrue(errs)
        self.assertTrue(all(e["status"] >= 400 for e in errs))
        dup = [e for e in errs if e["status"] == 409][0]
        self.assertEqual(dup["client"], "Okta")
        self.assertEqual(dup["scimType"], "uniqueness")
        self.assertIn("dave@contoso.com", dup["detail"])
        self.assertEqual(dup["action"], "failed to create dave@contoso.com")
        # A refused token is recorded too, without a tenant.
        r = s.get("/Users", token="scim_0000000000000000_" + "0" * 64,
                  headers={"User-Agent": "curl/8.5.0"})
        self.assertEqual(r.status, 401)
        e = activity(self.srv, "--errors", "--limit", "1",
                     want=lambda rs: rs and rs[0]["status"] == 401)[0]
        self.assertEqual((e["status"], e["client"], e["tenant"]), (401, "curl", ""))
        human = scimctl(self.srv, "activity", "--errors", "--limit", "5").stdout
        self.assertIn("409  POST /scim/v2/Users  [Okta, test]", human)

    def test_since(self):
        self.srv.get("/Users?count=1", headers=ENTRA)
        time.sleep(0.05)
        cut = datetime.datetime.now(datetime.timezone.utc)
        time.sleep(0.05)
        self.srv.get("/Groups?count=1", headers=ENTRA)
        since = cut.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (cut.microsecond // 1000)
        recs = activity(self.srv, "--since", since, want=has("GET", "/Groups"))
        self.assertEqual([r["path"] for r in recs], ["/scim/v2/Groups"])
        self.assertTrue(activity(self.srv, "--since", "1h"))
        r = scimctl(self.srv, "activity", "--since", "yesterday", check=False)
        self.assertEqual(r.returncode, 2)

    def test_user_filter(self):
        uid, _ = self.entra_flow("erin@contoso.com")
        self.entra_flow("frank@contoso.com")
        self.assertEqual(self.srv.delete("/Users/" + uid, headers=ENTRA).status, 204)
        recs = activity(self.srv, "--user", "erin@contoso.com",
                        want=has("DELETE", uid))
        self.assertTrue(recs)
        for r in recs:
            self.assertNotIn("frank", json.dumps(r))
        self.assertEqual(recs[0]["method"], "DELETE")    # found by its id
        self.assertEqual(recs[0]["action"], "deleted user " + uid)
        methods = sorted(set(r["method"] for r in recs))
        self.assertEqual(methods, ["DELETE", "GET", "PATCH", "POST"])


class RetentionAndCap(scimtest.ScimTestCase):
    """Small settings: one day kept, 1 MiB in all."""

    server_args = {"conf_extra": "[activity]\nretention_days = 1\nmax_mb = 1\n"}

    def write(self, start_usec, size, age_days, line=""):
        d = activity_dir(self.srv)
        path = os.path.join(d, "%016x-1.jsonl" % start_usec)
        with open(path, "w") as f:
            f.write(line)
            f.write(("x" * 99 + "\n") * ((size - len(line)) // 100))
        t = time.time() - age_days * 86400
        os.utime(path, (t, t))
        return path

    def test_retention(self):
        self.srv.get("/Users", headers=ENTRA)    # makes the directory
        wait_dir(self.srv)
        old = int((time.time() - 3 * 86400) * 1e6)
        rec = {"id": "%016x00000000" % old, "tenant": "default", "status": 500,
               "method": "GET", "path": "/old", "action": "x"}
        stale = self.write(old, 200, 3, json.dumps(rec) + "\n")
        fresh = self.write(old + 1, 200, 0, json.dumps(rec) + "\n")
        self.assertNotIn("/old", [r["path"] for r in activity(self.srv)])
        scimctl(self.srv, "prune")
        self.assertFalse(os.path.exists(stale))
        self.assertTrue(os.path.exists(fresh))    # written today: kept
        os.unlink(fresh)

    def test_size_cap(self):
        self.srv.get("/Users", headers=ENTRA)
        wait_dir(self.srv)
        now = int(time.time() * 1e6)
        files = [self.write(now - 3000000 + i, 600 * 1024, 0) for i in range(3)]
        scimctl(self.srv, "prune")
        d = activity_dir(self.srv)
        total = sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
        self.assertLessEqual(total, 1024 * 1024)
        self.assertEqual([os.path.exists(f) for f in files], [False, False, True])
        # The programs go on recording (into a file of their own).
        self.srv.get("/Groups?count=2", headers=ENTRA)
        self.assertIn("/scim/v2/Groups", [r["path"] for r in activity(
            self.srv, want=has("GET", "/Groups"))])


class Disabled(scimtest.ScimTestCase):
    server_args = {"conf_extra": "[activity]\nenabled = no\n"}

    def test_nothing_recorded(self):
        self.assertEqual(self.srv.get("/Users", headers=ENTRA).status, 200)
        time.sleep(0.3)     # what a record would take to be written
        self.assertEqual(activity(self.srv), [])


if __name__ == "__main__":
    scimtest.main()
