"""Held deprovisioning ([safety] max_deprovisions, window_minutes) over HTTP
against a real lighttpd, with Entra-shaped requests: a burst of N+5
deactivations (PATCH active "False") applies N and holds 5 with 503 +
Retry-After, and so does a parallel burst over several processes; a
retry of a held one is answered 503 again without a second record;
approving replays them (the retries then settle: 200, 404); rejecting
makes retries 409 saying why; a DELETE burst; a burst inside one /Bulk
request (each held operation 503 with a detail saying when to retry,
the whole answer 200 with Retry-After); held 503s logged as info, not
errors; a PUT setting active false;
removing members from a group a role mapping names counts (by PATCH, or
what a PUT drops), from another group not; the owners get one mail per
window; every decision is audited; a new window applies again; and
without [safety] nothing changes.  Each test works in a tenant of its
own, so that windows do not mix."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402

SCIMCTL = os.path.join(scimtest.CGI_BIN, "scimctl")
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_G = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
N = 3
MAILDIR = tempfile.mkdtemp(prefix="scim-held-mail-")
os.chmod(MAILDIR, 0o777)
MAIL = os.path.join(MAILDIR, "mail")


def entra_user(name):
    return {"schemas": [CORE, ENT], "externalId": name.split("@")[0], "userName": name,
            "active": True, "displayName": name.split("@")[0].title(),
            "emails": [{"primary": True, "type": "work", "value": name}],
            "meta": {"resourceType": "User"}}


def entra_deactivate():
    """What Entra sends when a user leaves the scope: Replace active "False"."""
    return {"schemas": [PATCHOP], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"}]}


class HeldBase(ScimTestCase):

    window = 60

    @classmethod
    def setUpClass(cls):
        cls.server_args = {"conf_extra": (
            "[safety]\nmax_deprovisions = %d\nwindow_minutes = %d\n"
            "[admin]\nsendmail = cat >> %s\n" % (N, cls.window, MAIL))}
        super().setUpClass()

    def tenant(self, name):
        """A token for a tenant of this test's own."""
        self.tok = self.srv.make_token(tenant=name)
        self.ten = name
        return self.tok

    def req(self, method, path, body=None):
        return self.srv.request(method, path, body, token=self.tok)

    def ctl(self, *args):
        r = subprocess.run([SCIMCTL, "-c", self.srv.conf] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return r.returncode, r.stdout, r.stderr

    def held(self):
        rc, out, err = self.ctl("held", "list", "--json", "--tenant", self.ten)
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines()]

    def mkusers(self, prefix, n):
        ids = []
        for i in range(n):
            r = self.req("POST", "/Users", entra_user("%s%d@contoso.com" % (prefix, i)))
            self.assertEqual(r.status, 201, r)
            ids.append(r.json["id"])
        return ids

    def assertHeld(self, r):
        self.assertScimError(r, 503)
        self.assertIn("owner's approval", r.json["detail"])
        self.assertGreaterEqual(int(r.headers.get("retry-after", "0")), 60, r.headers)
        # The detail says when too, in the header's seconds.
        self.assertIn("retry after %s seconds" % r.headers["retry-after"], r.json["detail"])

    def bulk(self, ops):
        return self.req("POST", "/Bulk", {"schemas": [BULK_REQ], "Operations": ops})

    def events(self, prefix):
        rc, out, err = self.ctl("audit", "--tenant", self.ten, "--type", prefix)
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines()]


class Held(HeldBase):

    def test_deactivation_burst_approve(self):
        self.tenant("burst")
        ids = self.mkusers("b", N + 5)
        answers = [self.req("PATCH", "/Users/" + i, entra_deactivate()) for i in ids]
        for r in answers[:N]:
            self.assertEqual(r.status, 200, r)
            self.assertIs(r.json["active"], False)
        for r in answers[N:]:
            self.assertHeld(r)
        for i in ids[N:]:
            self.assertIs(self.req("GET", "/Users/" + i).json["active"], True)
        held = self.held()
        self.assertEqual(len(held), 5)
        self.assertEqual([h["user"]["id"] for h in held], ids[N:])
        for h in held:
            self.assertEqual(h["op"], "deactivate")
            self.assertEqual(h["state"], "held")
            self.assertTrue(h["user"]["userName"].endswith("@contoso.com"))
            self.assertTrue(h["id"] and h["since"])
        # Entra's retry of a held one: 503 again, not held twice.
        self.assertHeld(self.req("PATCH", "/Users/" + ids[-1], entra_deactivate()))
        self.assertEqual(len(self.held()), 5)
        # Approve one, then the rest: applied in order, through the handler.
        rc, out, err = self.ctl("held", "approve", held[0]["id"], "--tenant", self.ten)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.split("\t")[:2], [held[0]["id"], "200"])
        self.assertIs(self.req("GET", "/Users/" + ids[N]).json["active"], False)
        rc, out, err = self.ctl("held", "approve", "--all", "--tenant", self.ten)
        self.assertEqual(rc, 0, err)
        self.assertEqual([line.split("\t")[1] for line in out.splitlines()], ["200"] * 4)
        self.assertEqual(self.held(), [])
        for i in ids:
            self.assertIs(self.req("GET", "/Users/" + i).json["active"], False)
        # The retries settle: the same answer as if applied then.
        for i in ids[N:]:
            r = self.req("PATCH", "/Users/" + i, entra_deactivate())
            self.assertEqual(r.status, 200, r)
            self.assertIs(r.json["active"], False)
        self.assertEqual(len(self.events("held.engaged")), 5)
        approved = self.events("held.approved")
        self.assertEqual(len(approved), 5)
        self.assertEqual(approved[0]["details"]["op"], "deactivate")
        self.assertEqual(approved[0]["details"]["status"], 200)
        self.assertEqual(approved[0]["actor"], "cli")
        # Approving what is not held is exit 3.
        self.assertEqual(self.ctl("held", "approve", held[0]["id"], "--tenant",
                                  self.ten)[0], 3)

    def test_delete_burst_reject(self):
        self.tenant("deletes")
        ids = self.mkusers("d", N + 2)
        answers = [self.req("DELETE", "/Users/" + i) for i in ids]
        self.assertEqual([r.status for r in answers], [204] * N + [503] * 2)
        self.assertHeld(answers[-1])
        held = self.held()
        self.assertEqual([(h["op"], h["user"]["id"]) for h in held],
                         [("delete", ids[N]), ("delete", ids[N + 1])])
        rc, out, err = self.ctl("held", "reject", held[0]["id"], "--reason",
                                "scoping filter mistake", "--tenant", self.ten)
        self.assertEqual((rc, out), (0, "rejected 1 operation\n"), err)
        r = self.req("DELETE", "/Users/" + ids[N])
        self.assertScimError(r, 409)
        self.assertIn("scoping filter mistake", r.json["detail"])
        self.assertEqual(self.req("GET", "/Users/" + ids[N]).status, 200)
        # The other is still held; approved, its retry finds it gone.
        self.assertHeld(self.req("DELETE", "/Users/" + ids[N + 1]))
        self.assertEqual(self.ctl("held", "approve", held[1]["id"], "--tenant",
                                  self.ten)[0], 0)
        self.assertEqual(self.req("DELETE", "/Users/" + ids[N + 1]).status, 404)
        states = [(h["id"], h["state"]) for h in self.held()]
        self.assertEqual(states, [(held[0]["id"], "rejected")])
        rej = self.events("held.rejected")
        self.assertEqual(len(rej), 1)
        self.assertEqual(rej[0]["details"]["reason"], "scoping filter mistake")

    def test_bulk_burst(self):
        self.tenant("bulk")
        ids = self.mkusers("k", N + 3)
        r = self.bulk([{"method": "PATCH", "path": "/Users/" + i, "data": entra_deactivate()}
                       for i in ids[:N + 2]] + [{"method": "DELETE", "path": "/Users/" + ids[-1]}])
        self.assertEqual(r.status, 200, r)
        ops = r.json["Operations"]
        self.assertEqual([o["status"] for o in ops], ["200"] * N + ["503"] * 3)
        # The whole answer says when to retry; so does each held operation.
        wait = int(r.headers.get("retry-after", "0"))
        self.assertGreaterEqual(wait, 60, r.headers)
        for o in ops[N:]:
            self.assertEqual(o["response"]["status"], "503")
            self.assertIn("owner's approval", o["response"]["detail"])
            m = re.search(r"retry after (\d+) seconds", o["response"]["detail"])
            self.assertTrue(m, o)
            self.assertLessEqual(abs(int(m.group(1)) - wait), 2)
        held = self.held()
        self.assertEqual([(h["op"], h["user"]["id"]) for h in held],
                         [("deactivate", ids[N]), ("deactivate", ids[N + 1]),
                          ("delete", ids[-1])])
        # A bulk request with nothing held carries no Retry-After.
        r = self.bulk([{"method": "POST", "path": "/Users", "bulkId": "n",
                        "data": entra_user("knew@contoso.com")}])
        self.assertEqual((r.status, r.json["Operations"][0]["status"]), (200, "201"), r)
        self.assertNotIn("retry-after", r.headers)
        # The retry as a plain request is the same operation, still held.
        self.assertHeld(self.req("DELETE", "/Users/" + ids[-1]))
        self.assertEqual(len(self.held()), 3)
        self.assertEqual(self.ctl("held", "approve", "--all", "--tenant", self.ten)[0], 0)
        r = self.bulk([{"method": "PATCH", "path": "/Users/" + i, "data": entra_deactivate()}
                       for i in ids[N:N + 2]] + [{"method": "DELETE", "path": "/Users/" + ids[-1]}])
        self.assertEqual([o["status"] for o in r.json["Operations"]], ["200", "200", "404"], r)
        self.assertNotIn("retry-after", r.headers)

    def test_held_logged_as_info(self):
        self.tenant("logged")
        ids = self.mkusers("l", N + 1)
        codes = [self.req("DELETE", "/Users/" + i).status for i in ids]
        self.assertEqual(codes, [204] * N + [503])
        lines = [line for line in self.srv.errorlog_all()
                 if "this deprovision is held" in line and ids[-1] in line]
        self.assertTrue(lines, "the held 503 is logged")
        for line in lines:
            self.assertIn(": info: ", line)

    def test_parallel_burst(self):
        # Two FastCGI processes, eight clients at once: never more than N.
        self.tenant("parallel")
        ids = self.mkusers("c", N + 9)
        with ThreadPoolExecutor(max_workers=8) as ex:
            codes = list(ex.map(lambda i: self.req("DELETE", "/Users/" + i).status, ids))
        self.assertEqual(sorted(codes), [204] * N + [503] * 9)
        self.assertEqual(len(self.held()), 9)
        gone = [i for i, c in zip(ids, codes) if c == 204]
        for i in ids:
            self.assertEqual(self.req("GET", "/Users/" + i).status,
                             404 if i in gone else 200)

    def test_put_inactive_counts(self):
        self.tenant("puts")
        ids = self.mkusers("p", N + 1)
        for i in ids[:N]:
            self.assertEqual(self.req("DELETE", "/Users/" + i).status, 204)
        body = entra_user("p%d@contoso.com" % N)
        body["active"] = False
        self.assertHeld(self.req("PUT", "/Users/" + ids[N], body))
        # A PUT that keeps the user active is no deprovision.
        body["active"] = True
        body["displayName"] = "Still Here"
        self.assertEqual(self.req("PUT", "/Users/" + ids[N], body).status, 200)
        rc, out, err = self.ctl("held", "reject", "--all", "--tenant", self.ten)
        self.assertEqual((rc, out), (0, "rejected 1 operation\n"), err)

    def test_group_members(self):
        self.tenant("groups")
        ids = self.mkusers("g", 6)
        mapped = self.req("POST", "/Groups", {
            "schemas": [CORE_G], "displayName": "Sales", "externalId": "obj-sales",
            "members": [{"value": i} for i in ids]})
        other = self.req("POST", "/Groups", {
            "schemas": [CORE_G], "displayName": "Lunch Club",
            "members": [{"value": i} for i in ids]})
        self.assertEqual((mapped.status, other.status), (201, 201))
        rc, out, err = self.ctl("roles", "add", "obj-sales", "member", "--tenant", self.ten)
        self.assertEqual(rc, 0, err)

        def remove(gid, uids):
            return self.req("PATCH", "/Groups/" + gid, {"schemas": [PATCHOP], "Operations": [
                {"op": "Remove", "path": "members", "value": [{"value": u} for u in uids]}]})

        # The unmapped group: as many removals as one likes.
        self.assertEqual(remove(other.json["id"], ids).status, 204)
        # The mapped one: N apply (here in two requests), the next is held.
        self.assertEqual(remove(mapped.json["id"], ids[:2]).status, 204)
        self.assertEqual(remove(mapped.json["id"], ids[2:3]).status, 204)
        r = remove(mapped.json["id"], ids[3:5])
        self.assertHeld(r)
        held = self.held()
        self.assertEqual(len(held), 1)
        self.assertEqual(held[0]["op"], "remove-members")
        self.assertEqual(held[0]["group"]["displayName"], "Sales")
        self.assertEqual(held[0]["members"], ids[3:5])
        self.assertEqual(held[0]["count"], 2)
        members = self.req("GET", "/Groups/" + mapped.json["id"]).json["members"]
        self.assertEqual(sorted(m["value"] for m in members), sorted(ids[3:]))
        self.assertEqual(self.ctl("held", "approve", "--all", "--tenant", self.ten)[0], 0)
        members = self.req("GET", "/Groups/" + mapped.json["id"]).json["members"]
        self.assertEqual([m["value"] for m in members], ids[5:])
        self.assertEqual(remove(mapped.json["id"], ids[3:5]).status, 204)

    def test_group_put_counts_what_it_drops(self):
        self.tenant("groupput")
        ids = self.mkusers("q", 5)
        self.assertEqual(self.ctl("roles", "add", "Ops", "admin", "--tenant", self.ten)[0], 0)
        body = {"schemas": [CORE_G], "displayName": "Ops",
                "members": [{"value": i} for i in ids]}
        gid = self.req("POST", "/Groups", body).json["id"]
        # Keeping four of five (and adding none) removes one: applies.
        body["members"] = [{"value": i} for i in ids[1:]]
        self.assertEqual(self.req("PUT", "/Groups/" + gid, body).status, 200)
        # Dropping the other four is more than the window's rest: held.
        body["members"] = []
        self.assertHeld(self.req("PUT", "/Groups/" + gid, body))
        held = self.held()
        self.assertEqual((held[0]["op"], held[0]["count"]), ("remove-members", 4))
        self.assertEqual(sorted(held[0]["members"]), sorted(ids[1:]))
        self.assertEqual(len(self.req("GET", "/Groups/" + gid).json["members"]), 4)

    def test_mail_once_per_window(self):
        self.tenant("mailed")
        r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scim-tokens"), "-c",
                            self.srv.conf, "admin", "add", "olga", "--role", "owner",
                            "--tenant", self.ten, "--email", "olga@contoso.com",
                            "--password-file", "-"], input="a long enough password\n",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        before = open(MAIL).read() if os.path.exists(MAIL) else ""
        ids = self.mkusers("m", N + 2)
        codes = [self.req("DELETE", "/Users/" + i).status for i in ids]
        self.assertEqual(codes, [204] * N + [503] * 2)
        mail = open(MAIL).read()[len(before):]
        self.assertEqual(mail.count("Subject: [scim-fcgi] Deprovisioning held for tenant "
                                    "mailed"), 1, mail)
        self.assertIn("To: olga@contoso.com", mail)
        self.assertIn("scimctl held approve --all --tenant mailed", mail)
        engaged = self.events("held.engaged")
        self.assertEqual(sorted(e["details"]["first"] for e in engaged), [False, True])

    def test_cli_usage(self):
        for args, words in ((["held"], "list, approve or reject"),
                            (["held", "approve"], "give an ID or --all"),
                            (["held", "approve", "x", "--all"], "give an ID or --all"),
                            (["held", "list", "x"], "takes only"),
                            (["held", "frob"], 'unknown command "frob"'),
                            (["held", "approve", "--all", "--reason", "r"],
                             "does not take --reason"),
                            (["held", "list", "--tenant", "a b"], '"a b" is not a tenant')):
            rc, out, err = self.ctl(*args)
            self.assertEqual(rc, 2, args)
            self.assertIn(words, err, args)
        rc, out, err = self.ctl("held", "reject", "0123", "--tenant", "nobody")
        self.assertEqual(rc, 3, err)
        rc, out, err = self.ctl("held", "reject", "--all", "--reason", "x" * 201)
        self.assertEqual(rc, 2, err)
        self.assertIn("at most 200 bytes", err)


class HeldWindow(HeldBase):
    """A window of one minute: after it, deprovisions apply again."""

    window = 1

    def test_rollover(self):
        self.tenant("rollover")
        ids = self.mkusers("w", N + 2)
        start = time.time()
        for i in ids[:N]:
            self.assertEqual(self.req("PATCH", "/Users/" + i, entra_deactivate()).status, 200)
        self.assertHeld(self.req("PATCH", "/Users/" + ids[N], entra_deactivate()))
        time.sleep(max(0, 61 - (time.time() - start)))
        # A new window: the next one applies; the held one waits still.
        r = self.req("PATCH", "/Users/" + ids[N + 1], entra_deactivate())
        self.assertEqual(r.status, 200, r)
        self.assertHeld(self.req("PATCH", "/Users/" + ids[N], entra_deactivate()))
        self.assertEqual(len(self.held()), 1)


class Off(ScimTestCase):
    """Without [safety], a burst is applied whole (no behaviour change)."""

    def test_no_brake(self):
        ids = []
        for i in range(12):
            r = self.srv.post("/Users", entra_user("o%d@contoso.com" % i))
            self.assertEqual(r.status, 201, r)
            ids.append(r.json["id"])
        for i in ids[:6]:
            self.assertEqual(self.srv.patch("/Users/" + i, entra_deactivate()).status, 200)
        for i in ids[6:]:
            self.assertEqual(self.srv.delete("/Users/" + i).status, 204)


if __name__ == "__main__":
    scimtest.main()
