"""Manual User Sync against a Graph stand-in (graph_standin.py) and a real
lighttpd: credentials (stored 0600, never shown), the token endpoint's
refusals with their hints, groups with absolute nextLink paging and an
empty page, $search, the preview, the sync (first mapping wins, nested
groups, users without mail, disabled accounts), SCIM GETs and the gate
seeing synced users, the audit trail, an idempotent rerun, a role update,
no removal, a SCIM-managed user left alone but for its role, 429 with and
without Retry-After, 503, a token that expires mid-sync, and a
10,000-user group killed mid-sync (SIGKILL) then run again."""

import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
sys.path.insert(0, HERE)
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402
from graph_standin import Directory, Standin  # noqa: E402

SCIMCTL = os.path.join(scimtest.CGI_BIN, "scimctl")


def directory():
    d = Directory()
    d.add_user("u-alice", "alice@example.com", mail="alice@example.com", given="Alice",
               surname="Able", display="Alice Able", lang="en-GB", mobile="+44 1")
    d.add_user("u-bob", "bob@example.com", mail="bob@example.com", given="Bob",
               surname="Baker", display="Bob Baker")
    d.add_user("u-carol", "carol@example.com", mail="carol@example.com",
               display="Carol Cook")
    d.add_user("u-dave", "dave@example.com", mail=None, given="Dave", surname="Dunn")
    d.add_user("u-erin", "erin@example.com", mail="erin@example.com",
               display="Erin Eve", enabled=False)
    d.add_user("u-frank", "frank@example.com", mail="frank@example.com",
               display="Frank from Entra")
    d.add_group("g-eng", "Engineering", ["u-carol"])
    d.add_group("g-sales", "Sales", ["u-alice", "u-frank"])
    d.add_group("g-staff", "Staff", ["u-alice", "u-bob", "g-eng", "u-dave", "u-erin"])
    for i in range(5):
        d.add_group("g-extra-%d" % i, "Extra %d" % i)
    return d


class GraphCase(ScimTestCase):
    standin = None

    @classmethod
    def setUpClass(cls):
        cls.standin = Standin(directory(), page_size=2).start()
        cls.server_args = {"conf_extra": "[graph]\nauthority = %s\nurl = %s\n"
                           "timeout = 10\nmax_wait = 30\n" % (cls.standin.base,
                                                              cls.standin.base)}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.standin.stop()

    def ctl(self, *args, check=None):
        r = subprocess.run([SCIMCTL, "-c", self.srv.conf] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if check is not None:
            self.assertEqual(r.returncode, check, r.stderr + r.stdout)
        return r

    def creds(self, secret="s3cret", tenant_id="tenant-1"):
        path = os.path.join(self.srv.home, "secret.txt")
        with open(path, "w") as f:
            f.write(secret + "\n")
        return self.ctl("graph", "credentials", "--tenant-id", tenant_id, "--client-id",
                        "client-1", "--secret-file", path)

    def find(self, name):
        """GET /Users?filter=userName eq name: the ListResponse."""
        return self.srv.get("/Users?filter=" + urllib.parse.quote(
            'userName eq "%s"' % name))

    def lines(self, out):
        return [json.loads(line) for line in out.splitlines() if line.strip()]


class Sync(GraphCase):

    def test_01_credentials_refused(self):
        self.assertEqual(self.creds(secret="wrong-secret").returncode, 0)
        r = self.ctl("graph", "test", check=1)
        self.assertIn("AADSTS7000215", r.stderr)
        self.assertIn("regenerate the client secret", r.stderr)
        self.assertNotIn("wrong-secret", r.stderr + r.stdout)
        self.standin.secret_expired = True
        r = self.ctl("graph", "test", check=1)
        self.standin.secret_expired = False
        self.assertIn("AADSTS7000222", r.stderr)
        self.creds(tenant_id="no-such-tenant")
        r = self.ctl("graph", "test", check=1)
        self.assertIn("AADSTS90002", r.stderr)
        self.assertIn("tenant id", r.stderr)

    def test_02_credentials_stored_privately(self):
        self.assertEqual(self.creds().returncode, 0)
        files = [f for f in os.listdir(os.path.join(self.srv.home, "db"))
                 if f.startswith("graph-")]
        self.assertEqual(len(files), 1, files)
        mode = os.stat(os.path.join(self.srv.home, "db", files[0])).st_mode
        self.assertEqual(stat.S_IMODE(mode), 0o600)
        r = self.ctl("graph", "test", check=0)
        t = json.loads(r.stdout)
        self.assertTrue(t["ok"])
        self.assertEqual(t["credentials"]["clientId"], "client-1")
        self.assertNotIn("s3cret", r.stdout)
        r = self.ctl("audit", "--category", "sync")
        self.assertIn("sync.credentials.changed", r.stdout)
        self.assertNotIn("s3cret", r.stdout)

    def test_03_groups_paged_with_an_empty_page(self):
        self.standin.empty_page = True
        try:
            r = self.ctl("graph", "groups", "--json", check=0)
        finally:
            self.standin.empty_page = False
        names = sorted(g["displayName"] for g in self.lines(r.stdout))
        self.assertEqual(len(names), 8, names)
        self.assertIn("Sales", names)
        pages = self.standin.calls("/v1.0/groups?")
        self.assertTrue(any("%24empty=1" in p[1] or "$empty=1" in p[1] for p in pages))
        r = self.ctl("graph", "groups", "--search", "sal", check=0)
        self.assertEqual(r.stdout.strip(), "g-sales\tSales")

    def test_04_no_mappings(self):
        r = self.ctl("graph", "preview", check=1)
        self.assertIn("no role mappings", r.stderr)

    def test_05_preview(self):
        # frank exists already, provisioned by SCIM.
        r = self.srv.post("/Users", scimtest.user("frank@example.com",
                                                  displayName="Frank from SCIM"))
        self.assertEqual(r.status, 201, r)
        self.ctl("roles", "add", "Sales", "admin", check=0)
        self.ctl("roles", "add", "g-staff", "member", "--products", "crm", check=0)
        self.ctl("roles", "add", "Extra 0", "owner", "--auto-sync", "off", check=0)
        r = self.ctl("graph", "preview", "--json", check=0)
        p = {u["userName"]: u for u in self.lines(r.stdout)}
        self.assertEqual(sorted(p), ["alice@example.com", "bob@example.com",
                                     "carol@example.com", "dave@example.com",
                                     "erin@example.com", "frank@example.com"])
        self.assertEqual(p["alice@example.com"]["role"], "admin")   # first match
        self.assertEqual(p["alice@example.com"]["groups"], ["Sales", "Staff"])
        self.assertEqual(p["alice@example.com"]["action"], "create")
        self.assertEqual(p["carol@example.com"]["role"], "member")  # nested
        self.assertEqual(p["dave@example.com"]["mail"], "")
        self.assertEqual(p["dave@example.com"]["name"], "Dave Dunn")
        self.assertEqual(p["frank@example.com"]["action"], "update")
        self.assertEqual(p["frank@example.com"]["note"], "managed by SCIM")
        r = self.ctl("graph", "preview", check=0)
        self.assertIn("(managed by SCIM)", r.stdout)
        self.assertEqual(self.find("alice@example.com")
                         .json["totalResults"], 0)

    def test_06_sync(self):
        r = self.ctl("graph", "sync", check=0)
        self.assertIn("created 5, updated 1, unchanged 0, failed 0 of 6", r.stdout)
        u = self.find("alice@example.com").json
        self.assertEqual(u["totalResults"], 1)
        a = u["Resources"][0]
        self.assertEqual(a["emails"], [{"value": "alice@example.com", "type": "work",
                                        "primary": True}])
        self.assertEqual(a["name"], {"givenName": "Alice", "familyName": "Able"})
        self.assertEqual(a["preferredLanguage"], "en-GB")
        self.assertEqual(a["phoneNumbers"], [{"value": "+44 1", "type": "mobile"}])
        self.assertEqual(a["externalId"], "u-alice")
        e = self.find("erin@example.com").json
        self.assertFalse(e["Resources"][0]["active"])
        d = self.find("dave@example.com").json
        self.assertNotIn("emails", d["Resources"][0])
        j = json.loads(self.ctl("user", "alice@example.com", "--json", check=0).stdout)
        self.assertEqual((j["role"], j["managedBy"]), ("admin", "sync"))
        j = json.loads(self.ctl("user", "bob@example.com", "--json", check=0).stdout)
        self.assertEqual((j["role"], j["products"]), ("member", ["crm"]))
        self.ctl("user", "erin@example.com", check=4)     # inactive
        # frank: SCIM's record untouched, role from the sync.
        f = self.find("frank@example.com").json
        self.assertEqual(f["Resources"][0]["displayName"], "Frank from SCIM")
        j = json.loads(self.ctl("user", "frank@example.com", "--json", check=0).stdout)
        self.assertEqual(j["role"], "admin")
        self.assertTrue(j["managedBy"].startswith("scim"))
        ev = self.lines(self.ctl("audit", "--category", "sync", "--limit", "100",
                                 check=0).stdout)
        types = [e["type"] for e in ev]
        self.assertEqual(types.count("sync.user.created"), 5, types)
        self.assertIn("sync.started", types)
        done = [e for e in ev if e["type"] == "sync.completed"][0]
        self.assertEqual(done["details"]["created"], 5)
        self.assertEqual(done["category"], "sync")
        st = json.loads(self.ctl("graph", "status", check=0).stdout)
        self.assertFalse(st["running"])
        self.assertEqual(st["last"]["outcome"], "success")
        self.assertEqual(st["last"]["created"], 5)
        users = self.lines(self.ctl("graph", "users", "--json", check=0).stdout)
        self.assertEqual([u["userName"] for u in users],
                         ["alice@example.com", "bob@example.com", "carol@example.com",
                          "dave@example.com", "erin@example.com"])
        self.assertEqual(users[2]["groups"], ["Staff"])

    def test_07_rerun_is_idempotent(self):
        r = self.ctl("graph", "sync", check=0)
        self.assertIn("created 0, updated 0, unchanged 6, failed 0 of 6", r.stdout)

    def test_08_role_update_and_no_removal(self):
        d = self.standin.dir
        d.groups["g-sales"]["members"].append("u-bob")       # bob: member -> admin
        d.groups["g-eng"]["members"].remove("u-carol")       # carol leaves Entra groups
        d.users["u-dave"]["surname"] = "Dunn-Smith"           # an attribute changes
        r = self.ctl("graph", "sync", check=0)
        self.assertIn("created 0, updated 2, unchanged 3", r.stdout)
        j = json.loads(self.ctl("user", "bob@example.com", "--json", check=0).stdout)
        self.assertEqual(j["role"], "admin")
        self.ctl("user", "carol@example.com", check=0)       # still there
        dv = self.find("dave@example.com").json
        self.assertEqual(dv["Resources"][0]["name"]["familyName"], "Dunn-Smith")
        ev = self.lines(self.ctl("audit", "--type", "sync.user.updated",
                                 check=0).stdout)
        bob = [e for e in ev if e["target"]["name"] == "bob@example.com"][0]
        self.assertEqual((bob["details"]["oldRole"], bob["details"]["newRole"]),
                         ("member", "admin"))

    def test_08a_deleted_users_role_record_forgotten(self):
        """A user deleted through SCIM leaves its sync role record behind
        (the SCIM layer cannot know it); the next sync removes it, and a
        user still in Entra's groups comes back with its role."""
        old = self.find("bob@example.com").json["Resources"][0]["id"]
        self.assertEqual(self.srv.delete("/Users/" + old).status, 204)
        r = self.ctl("graph", "sync", check=0)
        self.assertIn("created 1, updated 0, unchanged 4", r.stdout)
        self.assertIn("forgot the role records of 1 deleted user(s)", r.stdout)
        new = self.find("bob@example.com").json["Resources"][0]["id"]
        self.assertNotEqual(new, old)
        j = json.loads(self.ctl("user", "bob@example.com", "--json", check=0).stdout)
        self.assertEqual(j["role"], "admin")
        st = json.loads(self.ctl("graph", "status", check=0).stdout)
        self.assertEqual(st["last"]["pruned"], 1)
        r = self.ctl("graph", "sync", check=0)
        self.assertNotIn("forgot", r.stdout)

    def test_09_throttling(self):
        self.standin.faults = [(429, "1"), (429, None), (503, None), (503, "0")]
        self.standin.token_faults = [503]
        t0 = time.time()
        r = self.ctl("graph", "sync", check=0)
        self.assertIn("unchanged", r.stdout)
        self.assertGreaterEqual(time.time() - t0, 1.0)      # Retry-After honoured
        statuses = [c[2] for c in self.standin.calls("/v1.0/")]
        self.assertIn(429, statuses)
        self.assertIn(503, statuses)
        self.assertEqual(self.standin.faults, [])
        self.assertEqual(self.standin.token_faults, [])

    def test_10_throttling_past_the_budget(self):
        self.standin.faults = [(429, "3600")]
        r = self.ctl("graph", "sync", check=1)
        self.standin.faults = []
        self.assertIn("HTTP 429", r.stderr)
        st = json.loads(self.ctl("graph", "status", check=0).stdout)
        self.assertEqual(st["last"]["outcome"], "failure")
        ev = self.lines(self.ctl("audit", "--type", "sync.failed", check=0).stdout)
        self.assertEqual(len(ev), 1)

    def test_11_token_expires_mid_sync(self):
        before = len(self.standin.calls("/tenant-1/oauth2"))
        self.standin.expire_after = 2
        r = self.ctl("graph", "sync", check=0)
        self.assertIn("failed 0", r.stdout)
        self.assertEqual(len(self.standin.calls("/tenant-1/oauth2")) - before, 2)
        self.assertIn(401, [c[2] for c in self.standin.calls("/v1.0/")])

    def test_12_usage(self):
        self.ctl("graph", "sync", "--search", "x", check=2)
        self.ctl("graph", "frobnicate", check=2)
        self.ctl("graph", "credentials", "--tenant-id", "x", check=2)


class BigSync(GraphCase):
    """A 10,000-user group; a sync killed mid-way and run again."""

    N = 10000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.standin.dir
        ids = [d.add_user("b-%05d" % i, "big%05d@example.com" % i,
                          mail="big%05d@example.com" % i, display="Big %d" % i)
               for i in range(cls.N)]
        d.add_group("g-big", "Big", ids)
        cls.standin.page_size = 999

    def test_kill_and_rerun(self):
        self.creds()
        self.ctl("roles", "add", "Big", "member", check=0)
        # One sync at a time: the tenant's lock, held here.
        lock = os.path.join(self.srv.home, "db", "sync-%s.lock" % b"default".hex())
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        owner = os.stat(os.path.join(self.srv.home, "db"))
        os.chown(lock, owner.st_uid, owner.st_gid)     # scimctl drops root
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        r = self.ctl("graph", "sync", check=3)
        self.assertIn("already running (pid %d)" % os.getpid(), r.stderr)
        st = json.loads(self.ctl("graph", "status", check=0).stdout)
        self.assertEqual((st["running"], st["pid"]), (True, os.getpid()))
        os.close(fd)
        # Killed after its first batch, at whatever point it has reached.
        p = subprocess.Popen([SCIMCTL, "-c", self.srv.conf, "graph", "sync"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = p.stderr.readline()       # "sync: 500 of 10000 users"
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.assertIn("of %d users" % self.N, line)
        st = json.loads(self.ctl("graph", "status", check=0).stdout)
        self.assertFalse(st["running"])
        self.assertEqual(st["total"], self.N)
        self.assertGreater(st["done"], 0)
        self.assertTrue(st["interrupted"])
        r = self.ctl("graph", "sync", "--quiet", check=0)
        self.assertIn("failed 0 of %d users" % self.N, r.stdout)
        self.assertEqual(self.srv.get("/Users?count=1").json["totalResults"], self.N)
        r = self.ctl("graph", "sync", "--quiet", "--auto", check=0)
        self.assertIn("created 0, updated 0, unchanged %d" % self.N, r.stdout)
        st = json.loads(self.ctl("graph", "status", check=0).stdout)
        self.assertFalse(st["interrupted"])


if __name__ == "__main__":
    scimtest.main()
