"""/Users over HTTP against a real lighttpd: every item of the Entra checklist
(shared/reference/entra-scim.md section 6) that concerns users, plus RFC 7644
behaviour (ETags, sorting, paging, .search, attributes)."""

import os
import subprocess
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase, group, user  # noqa: E402

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

# The body Microsoft's tutorial documents for a create, nulls and all.
ENTRA_POST = {
    "schemas": [CORE, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": True,
    "addresses": None,
    "displayName": "Test User",
    "emails": [{"primary": True, "type": "work", "value": "Test_User_11bb@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName",
             "givenName": "givenName"},
    "phoneNumbers": None,
    "title": None,
    "department": None,
    "manager": None,
    "roles": [],
}


def ops(*o):
    return list(o)


class Create(ScimTestCase):
    def test_entra_post_body(self):  # checklist 6
        r = self.srv.post("/Users", ENTRA_POST)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers["content-type"], "application/scim+json")
        d = r.json
        self.assertTrue(d["id"])
        self.assertEqual(r.headers["location"], d["meta"]["location"])
        self.assertTrue(d["meta"]["location"].endswith("/scim/v2/Users/" + d["id"]))
        self.assertEqual(d["meta"]["resourceType"], "User")
        self.assertTrue(d["meta"]["created"] and d["meta"]["lastModified"])
        self.assertIs(d["active"], True)
        self.assertEqual(r.headers["etag"], d["meta"]["version"])
        self.assertNotIn("title", d)
        self.assertNotIn("roles", d)
        self.assertEqual(d["schemas"], [CORE])
        self.assertEqual(d["emails"][0]["value"], "Test_User_11bb@testuser.com")

    def test_string_true(self):  # checklist 7
        r = self.srv.post("/Users", user("strbool", active="True"))
        self.assertEqual(r.status, 201, r)
        self.assertIs(r.json["active"], True)
        r = self.srv.post("/Users", user("strbool2", active="False"))
        self.assertIs(r.json["active"], False)

    def test_duplicate_any_case(self):  # checklist 8
        self.assertEqual(self.srv.post("/Users", user("Dup.User@x.com")).status, 201)
        r = self.srv.post("/Users", user("dup.user@X.COM"))
        self.assertScimError(r, 409, "uniqueness")

    def test_missing_username_and_junk(self):  # checklist 9
        r = self.srv.post("/Users", {"schemas": [CORE], "displayName": "x"})
        self.assertScimError(r, 400, "invalidValue")
        self.assertScimError(self.srv.post("/Users", '{"userName": "a",'), 400, "invalidSyntax")
        self.assertScimError(self.srv.post("/Users", user("")), 400, "invalidValue")

    def test_unknown_attributes_ignored(self):  # checklist 10
        r = self.srv.post("/Users", user("unk", adreses=[{"country": "DE"}], favouriteColour="blue"))
        self.assertEqual(r.status, 201, r)
        self.assertNotIn("adreses", r.text)
        self.assertNotIn("favouriteColour", r.text)

    def test_any_case_names(self):  # checklist 11
        body = {"schemas": [CORE, ENT], "UserName": "casey", "Active": True,
                "Emails": [{"Primary": True, "Type": "work", "Value": "c@x.com"}],
                ENT: {"Department": "Ops", "Manager": {"Value": "m-1"}}}
        r = self.srv.post("/Users", body)
        self.assertEqual(r.status, 201, r)
        d = r.json
        self.assertEqual(d["userName"], "casey")
        self.assertEqual(d["emails"], [{"value": "c@x.com", "type": "work", "primary": True}])
        self.assertEqual(d[ENT]["department"], "Ops")
        self.assertEqual(d[ENT]["manager"]["value"], "m-1")

    def test_blank_and_control_names_refused(self):
        # Regression: a userName or displayName of blanks only, or with a
        # control character, was stored (and then shown, logged and
        # exported as is).  Refused with 400 invalidValue on POST, PUT and
        # PATCH; inner spaces and non-ASCII letters are fine.
        for i, (name, why) in enumerate((("   ", "only blanks"), ("\u00a0\u3000", "only blanks"),
                                         ("a\tb", "U+0009 at character 2"), ("line\nbreak", "U+000A"),
                                         ("bell\u0007", "U+0007"), ("del\u007f", "U+007F"))):
            r = self.srv.post("/Users", user(name))
            self.assertScimError(r, 400, "invalidValue")
            self.assertIn("userName must not", r.json["detail"])
            self.assertIn(why, r.json["detail"])
            # The same in a displayName after a letter: blanks are fine
            # there, control characters not.
            r = self.srv.post("/Users", user("named-%d@x.com" % i, displayName="x" + name))
            if why == "only blanks":
                self.assertEqual(r.status, 201, r)
            else:
                self.assertScimError(r, 400, "invalidValue")
                self.assertIn("displayName must not contain control characters", r.json["detail"])
        self.assertScimError(self.srv.post("/Users", user("dn@x.com", displayName=" ")), 400, "invalidValue")
        uid = self.srv.post("/Users", user("J\u00fcrgen M\u00fcller", displayName="\u5c71\u7530 \u592a\u90ce")).json["id"]
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "userName", "value": " \t "})
        self.assertScimError(r, 400, "invalidValue")
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "value": {"displayName": "a\u0001"}})
        self.assertScimError(r, 400, "invalidValue")
        r = self.srv.put("/Users/" + uid, user("  "))
        self.assertScimError(r, 400, "invalidValue")
        self.assertEqual(self.srv.get("/Users/" + uid).json["userName"], "J\u00fcrgen M\u00fcller")

    def test_wrong_types(self):
        self.assertScimError(self.srv.post("/Users", user("t1", active="maybe")), 400, "invalidValue")
        self.assertScimError(self.srv.post("/Users", user("t2", emails="a@b")), 400, "invalidValue")
        self.assertScimError(self.srv.post("/Users", user("t3", name="x")), 400, "invalidValue")

    def test_values_kept_as_sent(self):  # checklist 45
        body = user("Keep.As.Sent@Example.COM", phoneNumbers=[{"type": "work", "value": "+1 (555) 010-0000 x12"}],
                    emails=[{"type": "work", "value": "Keep.As.Sent@Example.COM"}])
        r = self.srv.post("/Users", body)
        self.assertEqual(r.json["phoneNumbers"][0]["value"], "+1 (555) 010-0000 x12")
        self.assertEqual(r.json["userName"], "Keep.As.Sent@Example.COM")

    def test_custom_extension_without_schema(self):  # checklist 44
        ext = "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User"
        r = self.srv.post("/Users", dict(user("custom"), **{ext: {"badge": "B-7"}}))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json[ext], {"badge": "B-7"})
        self.assertIn(ext, r.json["schemas"])

    def test_manager_string(self):
        r = self.srv.post("/Users", dict(user("mgr-str"), **{ENT: {"manager": "boss-id"}}))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json[ENT]["manager"]["value"], "boss-id")


class Read(ScimTestCase):
    server_args = {"conf_extra": "[log]\nstore_ops_header = yes\n"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.srv.post("/Users", dict(user("reader@x.com", externalId="ext-R", displayName="Rea Der",
                                             emails=[{"type": "work", "value": "reader@work.example"},
                                                     {"type": "home", "value": "reader@home.example"}]),
                                        **{ENT: {"department": "Sales"}}))
        cls.uid = r.json["id"]

    def test_get(self):  # checklist 12
        r = self.srv.get("/Users/" + self.uid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["id"], self.uid)
        self.assertEqual(r.json["schemas"], [CORE, ENT])
        self.assertEqual(r.json[ENT]["department"], "Sales")
        self.assertTrue(r.headers["etag"].startswith('W/"'))

    def test_one_transaction_per_read(self):
        # With the token verified (cached), a GET by id or by a userName
        # filter reads the token, the user and its groups in one read
        # transaction (it used to take two and three).
        g = self.srv.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                      "displayName": "Readers",
                                      "members": [{"value": self.uid}]})
        self.assertEqual(g.status, 201, g)
        for _ in range(8):      # every worker verifies and caches the token
            self.assertEqual(self.srv.get("/Users/" + self.uid).status, 200)
        for path in ("/Users/" + self.uid,
                     "/Users?filter=userName+eq+%22reader@x.com%22",
                     "/Users?filter=externalId+eq+%22ext-R%22",
                     "/Users?filter=id+eq+%22" + self.uid + "%22"):
            r = self.srv.get(path)
            self.assertEqual(r.status, 200, r)
            body = r.json["Resources"][0] if "Resources" in r.json else r.json
            self.assertEqual([x["value"] for x in body["groups"]], [g.json["id"]], path)
            ops = dict(kv.split("=") for kv in r.headers["x-scim-store-ops"].split())
            self.assertEqual(ops["txns"], "1", (path, ops))
        self.srv.delete("/Groups/" + g.json["id"])

    def test_write_answers_read_groups_after_commit(self):
        # A PATCH or PUT of a user answers with its groups.  Reading them
        # inside the write transaction would write-lock every group's page
        # until the durable commit, so writes to any two members of one
        # group would conflict: they are read after the commit instead:
        # the write, then that read (txns=2), and before them the bearer
        # check's own read of its token when this worker has not read it
        # within the last second (STORE_GEN_TRUST_USEC): then one get and
        # one transaction more.
        r = self.srv.post("/Users", user("grouped@x.com"))
        self.assertEqual(r.status, 201, r)
        uid = r.json["id"]
        g = self.srv.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                      "displayName": "Writers", "members": [{"value": uid}]})
        self.assertEqual(g.status, 201, g)
        for _ in range(8):      # every worker verifies and caches the token
            self.srv.get("/Users/" + uid)
        # ... the writer too (writes have a process of their own).
        self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "title", "value": "S"})
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "title", "value": "T"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([x["value"] for x in r.json["groups"]], [g.json["id"]])
        self.assertEqual(r.json["title"], "T")
        ops_ = dict(kv.split("=") for kv in r.headers["x-scim-store-ops"].split())
        bearer = int(ops_["gets"]) - 1      # the write reads the user once
        self.assertIn(bearer, (0, 1), ops_)
        self.assertEqual(int(ops_["txns"]) - bearer, 2, ops_)
        r = self.srv.put("/Users/" + uid, user("grouped@x.com", title="U"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([x["value"] for x in r.json["groups"]], [g.json["id"]])
        r = self.srv.patch_ops("/Groups/" + g.json["id"] + "?attributes=members",
                               {"op": "remove", "path": "members"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["members"], [])
        self.srv.delete("/Groups/" + g.json["id"])
        self.srv.delete("/Users/" + uid)

    def test_get_unknown(self):  # checklist 13
        self.assertScimError(self.srv.get("/Users/" + str(uuid.uuid4())), 404)

    def test_filters(self):  # checklist 14, 15
        for f, n in (('userName eq "READER@X.COM"', 1),
                     ('UserName Eq "reader@x.com"', 1),
                     ('externalId eq "ext-R"', 1),
                     ('externalId eq "EXT-R"', 0),
                     ('id eq "%s"' % self.uid, 1),
                     ('id eq "%s"' % self.uid.upper(), 0),
                     ('displayName eq "rea der"', 1),
                     ('emails[type eq "work"].value eq "reader@work.example"', 1),
                     ('emails.value eq "reader@home.example"', 1),
                     ('emails[type eq "home"].value eq "reader@work.example"', 0),
                     ('active pr', 0),
                     ('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"', 1)):
            r = self.srv.get("/Users?filter=" + f.replace(" ", "+").replace('"', "%22"))
            self.assertEqual(r.status, 200, (f, r))
            self.assertEqual(r.json["totalResults"], n, f)

    def test_bad_filter(self):  # checklist 17
        for f in ('userName eq', 'userName zz "a"', '(userName eq "a"', 'active gt true', 'a' * 9000):
            self.assertScimError(self.srv.get("/Users?filter=" + f.replace(" ", "+").replace('"', "%22")),
                                 400, "invalidFilter")

    def test_manager_check(self):  # checklist 16
        boss = self.srv.post("/Users", user("boss@x.com")).json["id"]
        emp = self.srv.post("/Users", dict(user("emp@x.com"), **{ENT: {"manager": {"value": boss}}})).json["id"]
        q = '/Users?filter=id+eq+%%22%s%%22+and+manager+eq+%%22%s%%22&attributes=id' % (emp, boss)
        r = self.srv.get(q)
        self.assertEqual(r.json["totalResults"], 1, r)
        self.assertEqual(set(r.json["Resources"][0]), {"id", "schemas"})
        q = '/Users?filter=id+eq+%%22%s%%22+and+manager+eq+%%22%s%%22&attributes=id' % (emp, "other")
        self.assertEqual(self.srv.get(q).json["totalResults"], 0)

    def test_attributes(self):
        r = self.srv.get("/Users/%s?attributes=userName,emails" % self.uid)
        self.assertEqual(set(r.json), {"schemas", "id", "userName", "emails"})
        r = self.srv.get("/Users/%s?excludedAttributes=emails,id" % self.uid)
        self.assertNotIn("emails", r.json)
        self.assertIn("id", r.json, "id is returned always")
        r = self.srv.get('/Users?attributes=emails%5Btype+eq+%22work%22%5D&filter=id+eq+%22' + self.uid + '%22')
        self.assertIn("reader@work.example", r.text)

    def test_if_none_match(self):
        etag = self.srv.get("/Users/" + self.uid).headers["etag"]
        r = self.srv.get("/Users/" + self.uid, headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304)

    def test_search(self):
        r = self.srv.post("/Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                             "filter": 'userName eq "reader@x.com"',
                                             "attributes": ["userName"], "startIndex": 1, "count": 10})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["totalResults"], 1)
        self.assertEqual(set(r.json["Resources"][0]), {"schemas", "id", "userName"})


class GroupCommit(ScimTestCase):
    """Writes waiting on a worker's socket share one flush of the log.

    A worker that has committed a change takes the requests already
    waiting for it before it flushes and answers: X-Scim-Batch says how
    many shared that flush.  Every answer still comes after the flush, and
    every acknowledged write is there.  Only durable commits (sync = full)
    are flushed, so only they are grouped."""
    server_args = {"conf_extra": "sync = full\n[log]\nstore_ops_header = yes\n"}

    def test_waiting_writes_share_a_flush(self):
        import threading
        batches, bad, ids = [], [], []
        lock = threading.Lock()

        def writer(t, n):
            for i in range(n):
                r = self.srv.post("/Users", user("gc-%d-%d@x.com" % (t, i)))
                with lock:
                    if r.status != 201:
                        bad.append(r)
                    else:
                        ids.append(r.json["id"])
                        batches.append(int(r.headers["x-scim-batch"]))

        for _ in range(3):      # bounded: three rounds of 16 x 8 creates
            threads = [threading.Thread(target=writer, args=(len(ids) + t, 8))
                       for t in range(16)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(120)
            if max(batches, default=1) > 1:
                break
        self.assertEqual(bad, [])
        self.assertGreater(max(batches), 1, "no two writes ever shared a flush")
        self.assertLessEqual(max(batches), 16, batches)     # HTTP_BATCH_MAX
        for uid in ids:
            self.assertEqual(self.srv.get("/Users/" + uid).status, 200, uid)
        # A lone request is a batch of its own.
        r = self.srv.get("/Users/" + ids[0])
        self.assertEqual(r.headers["x-scim-batch"], "1")

    def test_writes_go_to_one_writer(self):
        """lighttpd sends every write to /Users and /Groups to one process
        of each program (etc/lighttpd-local.conf.in), and reads to the
        others: concurrent writes of every method share one pid, which
        never answers a read."""
        seen, bad = scimtest.workers_seen(self.srv, lambda t, i: "ww-%d-%d@x.com" % (t, i))
        for _ in range(20):
            seen["r/Users"].add(self.srv.get("/Users?count=1").headers["x-scim-worker"])
        scimtest.assert_one_writer(self, seen, bad)

    def checkpointers(self):
        """pids of the --checkpoint processes started for this server."""
        return self.srv.programs(arg="--checkpoint")

    def test_one_checkpoint_process(self):
        # Checkpoints run in a process of their own, started by a worker
        # once it has made CKP_COMMITS (256) writes, one for the home.
        import threading

        def writer(t):
            for i in range(100):
                self.srv.post("/Users", user("ckp-%d-%d@x.com" % (t, i)))

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        # Two workers may find a checkpoint due at once and both start
        # one; the one that cannot claim the home's checkpoint byte ends
        # as soon as its store is open.  So wait for one to appear, then
        # for any such loser to be gone.
        found = []
        for _ in range(50):     # bounded: 5 s
            found = self.checkpointers()
            if found:
                break
            time.sleep(0.1)
        for _ in range(50):     # bounded: 5 s
            if len(found) <= 1:
                break
            time.sleep(0.1)
            found = self.checkpointers()
        self.assertEqual(len(found), 1, found)

    def checkpoint_cmd(self, name, script):
        """A home of its own, and the command running script with $0 the
        scim-users program and $1 that home's scim.conf (as www-data when
        root: the programs refuse to run as root)."""
        home = os.path.join(self.srv.home, name)
        os.mkdir(home)
        conf = os.path.join(home, "scim.conf")
        with open(conf, "w") as f:
            f.write("[store]\nhome = %s/db\n" % home)
        cmd = ["sh", "-c", script, os.path.join(scimtest.CGI_BIN, "scim-users"), conf]
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam("www-data")
            os.chown(home, pw.pw_uid, pw.pw_gid)
            os.chown(conf, pw.pw_uid, pw.pw_gid)
            cmd = ["runuser", "-u", "www-data", "--"] + cmd
        return home, cmd

    @staticmethod
    def ended(pid):
        """Has pid ended within 5 s?"""
        for _ in range(50):
            try:
                with open("/proc/%d/stat" % pid) as f:
                    if f.read().split(") ")[1][0] == "Z":
                        return True
            except OSError:
                return True
            time.sleep(0.1)
        return False

    def test_checkpoint_process_ends_with_its_parent(self):
        # Started by hand with a parent that exits at once, it leaves
        # within about a second instead of outliving it.
        home, cmd = self.checkpoint_cmd(
            "ckp-alone", '"$0" --checkpoint -c "$1" & echo $!; sleep 0.3')
        out = subprocess.run(cmd, capture_output=True, timeout=30, check=True)
        pid = int(out.stdout.split()[0])
        if not self.ended(pid):
            os.kill(pid, 9)
            self.fail("the checkpoint process outlived its parent")
        self.assertTrue(os.path.exists(os.path.join(home, "db", "users.db")),
                        "it opened the store")

    def test_checkpoint_process_ends_cleanly_on_sigterm(self):
        # A web server that signals its process group ends it between two
        # checkpoints: it closes the store, so the next open finds no dead
        # process to recover after it.
        import signal
        home, cmd = self.checkpoint_cmd(
            "ckp-term", '"$0" --checkpoint -c "$1" 2>/dev/null & echo $!; sleep 4')
        sh = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        try:
            pid = int(sh.stdout.readline())
            time.sleep(0.6)         # it has opened the store
            os.kill(pid, signal.SIGTERM)
            self.assertTrue(self.ended(pid), "SIGTERM did not end the checkpoint process")
        finally:
            sh.kill()
            sh.wait(10)
        # The next open: its parent (sh) ends after 0.3 s and it ends then.
        # Told who its parent is, as a worker's is, so that on a busy
        # machine where sh has ended before it starts it ends at once
        # instead of taking its adopter for its parent (stop 18: it ran
        # on, and this waited its 30 s out).
        cmd[cmd.index("-c") + 1] = ('SCIM_CHECKPOINT_PARENT=$$ "$0" --checkpoint -c "$1" & '
                                    'sleep 0.3')
        again = subprocess.run(cmd, capture_output=True, timeout=30)
        self.assertNotIn(b"recover", again.stderr, again.stderr)

    def test_checkpoint_process_whose_parent_ended_before_it_started(self):
        # Regression (stop 18): a checkpoint process whose starter had
        # ended before it read getppid() took its adopter for its parent
        # and ran on for ever.  Here the starter (the outer sh, named in
        # SCIM_CHECKPOINT_PARENT as a worker names itself) ends at once;
        # the program starts 0.5 s later and must end at once too, which
        # ends the pipes this waits on.
        home, cmd = self.checkpoint_cmd(
            "ckp-orphan", '( (sleep 0.5; SCIM_CHECKPOINT_PARENT=$$ exec "$0" --checkpoint '
            '-c "$1") & )')
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.monotonic() - t0, 10, "the orphan ran on")
        self.assertFalse(os.path.exists(os.path.join(home, "db", "scim.gate")),
                         "it opened the store of a starter that had ended")


class StoredForms(ScimTestCase):
    """Records written before the stored form (load_members writes them
    plain, as the store did) are read, filtered and patched like any; once
    written again they are answered from their stored text, byte for byte
    what rendering them gives."""

    def test_plain_records(self):
        out = subprocess.run([os.path.join(scimtest.TOP_BUILDDIR, "tests", "unit", "load_members"),
                              self.srv.conf, "default", "3", "Plain Group"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        gid = out.stdout.strip()
        uid = "bulk-00000001"
        r = self.srv.get("/Users/" + uid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(list(r.json)[:3], ["schemas", "id", "userName"], r.text)
        self.assertEqual([g["value"] for g in r.json["groups"]], [gid])
        self.assertTrue(r.json["meta"]["location"].endswith("/Users/" + uid))
        f = self.srv.get('/Users?filter=userName+eq+%22BULK.user.00000001@example.com%22')
        self.assertEqual(f.json["totalResults"], 1, f.text)
        self.assertEqual(f.json["Resources"][0], r.json, "the filter shows what GET shows")
        # Written again, in the stored form: the PATCH answer is rendered,
        # the GET answer is the stored text with groups and location put in.
        p = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "displayName",
                                                 "value": "Plain \u00e9 \"q\""})
        self.assertEqual(p.status, 200, p)
        for _ in range(4):      # every worker
            g = self.srv.get("/Users/" + uid)
            self.assertEqual(g.body, p.body, "GET answers the bytes PATCH rendered")
            self.assertEqual(g.headers["etag"], p.headers["etag"])
            f = self.srv.get('/Users?filter=userName+eq+%22bulk.user.00000001@example.com%22')
            self.assertEqual(f.json["Resources"][0], g.json)
            self.assertIn(b'"Resources":[' + g.body + b"]", f.body)
        n = self.srv.get("/Users/" + uid, headers={"If-None-Match": p.headers["etag"]})
        self.assertEqual((n.status, n.headers.get("etag")), (304, p.headers["etag"]))
        # The stored form's "schemas" is the answer's: filters see it on
        # no record, plain or not.
        f = self.srv.get('/Users?filter=schemas+eq+%22urn:ietf:params:scim:schemas:core:2.0:User%22')
        self.assertEqual((f.status, f.json["totalResults"]), (200, 0), f.text)


class Paging(ScimTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in range(12):
            cls.srv.post("/Users", user("page%02d" % i, displayName="P %02d" % (11 - i)))

    def test_pages(self):  # checklist 18
        seen = []
        for start in (1, 6, 11):
            r = self.srv.get("/Users?startIndex=%d&count=5" % start)
            self.assertEqual(r.json["schemas"], [LIST])
            self.assertEqual(r.json["totalResults"], 12)
            self.assertEqual(r.json["startIndex"], start)
            self.assertEqual(r.json["itemsPerPage"], len(r.json["Resources"]))
            seen += [u["id"] for u in r.json["Resources"]]
        self.assertEqual(len(seen), 12)
        self.assertEqual(len(set(seen)), 12, "pages do not overlap")

    def test_edges(self):  # checklist 19
        r = self.srv.get("/Users?startIndex=100&count=5")
        self.assertEqual((r.status, r.json["totalResults"], r.json["Resources"]), (200, 12, []))
        r = self.srv.get("/Users?count=0")
        self.assertEqual((r.json["totalResults"], r.json["Resources"]), (12, []))
        r = self.srv.get("/Users?startIndex=-4&count=-1")
        self.assertEqual((r.json["startIndex"], r.json["Resources"]), (1, []))
        self.assertScimError(self.srv.get("/Users?count=abc"), 400)
        r = self.srv.get("/Users?count=1000000")
        self.assertEqual(len(r.json["Resources"]), 12)

    def test_sort(self):
        r = self.srv.get("/Users?sortBy=displayName&count=3")
        self.assertEqual([u["displayName"] for u in r.json["Resources"]], ["P 00", "P 01", "P 02"])
        r = self.srv.get("/Users?sortBy=userName&sortOrder=descending&count=2")
        self.assertEqual([u["userName"] for u in r.json["Resources"]], ["page11", "page10"])
        self.assertScimError(self.srv.get("/Users?sortBy=userName&sortOrder=sideways"), 400)


class Patch(ScimTestCase):
    def mk(self, name, **kw):
        r = self.srv.post("/Users", user(name, **kw))
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def test_op_any_case(self):  # checklist 20, 27
        uid = self.mk("ops")
        for i, op in enumerate(("Add", "add", "ADD", "Replace", "replace")):
            r = self.srv.patch_ops("/Users/" + uid, {"op": op, "path": "nickName", "value": "n%d" % i})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["nickName"], "n%d" % i)
        r = self.srv.patch_ops("/Users/" + uid, {"op": "Remove", "path": "nickName"})
        self.assertNotIn("nickName", r.json)

    def test_work_email(self):  # checklist 21
        uid = self.mk("mail")
        r = self.srv.patch_ops("/Users/" + uid, {"op": "Add", "path": 'emails[type eq "work"].value', "value": "a@x"})
        self.assertEqual(r.json["emails"], [{"value": "a@x", "type": "work"}])
        r = self.srv.patch_ops("/Users/" + uid, {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "b@x"})
        self.assertEqual(r.json["emails"], [{"value": "b@x", "type": "work"}])

    def test_one_work_address(self):  # checklist 22
        uid = self.mk("addr")
        r = self.srv.patch_ops("/Users/" + uid,
                               {"op": "Add", "path": 'addresses[type eq "work"].streetAddress', "value": "1 Main St"},
                               {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Springfield"},
                               {"op": "Add", "path": 'addresses[type eq "work"].postalCode', "value": "12345"})
        self.assertEqual(len(r.json["addresses"]), 1, r)
        a = r.json["addresses"][0]
        self.assertEqual((a["type"], a["streetAddress"], a["locality"], a["postalCode"]),
                         ("work", "1 Main St", "Springfield", "12345"))

    def test_disable_enable(self):  # checklist 23, 29
        uid = self.mk("toggle", active=True)
        for op, v, want in (("Replace", "False", False), ("replace", True, True), ("replace", False, False),
                            ("Replace", "True", True), ("Add", False, False)):
            r = self.srv.patch_ops("/Users/" + uid, {"op": op, "path": "active", "value": v})
            self.assertIs(r.json["active"], want, (op, v))
        self.assertEqual(self.srv.get("/Users/" + uid).status, 200, "disabled users are still returned")
        r = self.srv.get("/Users?filter=userName+eq+%22toggle%22")
        self.assertEqual(r.json["totalResults"], 1)
        r = self.srv.get("/Users?filter=active+eq+false+and+userName+eq+%22toggle%22")
        self.assertEqual(r.json["totalResults"], 1)

    def test_pathless_dotted(self):  # checklist 24
        uid = self.mk("pathless")
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "value": {
            "displayName": "Path Less", "name.givenName": "Path", "name.familyName": "Less",
            ENT + ":employeeNumber": "E-42", "active": False}})
        d = r.json
        self.assertEqual((d["displayName"], d["name"]["givenName"], d["name"]["familyName"],
                          d[ENT]["employeeNumber"], d["active"]), ("Path Less", "Path", "Less", "E-42", False))

    def test_clear_optional(self):  # checklist 25
        uid = self.mk("clear", title="Boss", nickName="B", displayName="Cl Ear")
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "title", "value": ""},
                               {"op": "replace", "path": "nickName", "value": None},
                               {"op": "replace", "value": {"displayName": ""}})
        self.assertEqual(r.status, 200, r)
        for a in ("title", "nickName", "displayName"):
            self.assertNotIn(a, self.srv.get("/Users/" + uid).json)
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "userName", "value": ""})
        self.assertScimError(r, 400)
        self.assertEqual(self.srv.get("/Users/" + uid).json["userName"], "clear")

    def test_empty_operations(self):  # checklist 26
        uid = self.mk("noop")
        v = self.srv.get("/Users/" + uid).headers["etag"]
        r = self.srv.patch("/Users/" + uid, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                             "Operations": []})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["etag"], v, "a no-op does not make a new version")

    def test_manager_shapes(self):  # checklist 28
        uid = self.mk("managed")
        boss = self.mk("boss2")
        path = ENT + ":manager"
        r = self.srv.patch_ops("/Users/" + uid, {"op": "Add", "path": path, "value": boss})
        self.assertEqual(r.json[ENT]["manager"]["value"], boss)
        r = self.srv.patch_ops("/Users/" + uid, {"op": "Add", "path": "manager",
                                                 "value": [{"$ref": "../Users/x", "value": "other"}]})
        self.assertEqual(r.json[ENT]["manager"]["value"], "other")
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": path, "value": boss})
        self.assertEqual(r.json[ENT]["manager"]["value"], boss)
        r = self.srv.patch_ops("/Users/" + uid, {"op": "remove", "path": 'manager[value eq "%s"]' % boss})
        self.assertNotIn(ENT, r.json)
        self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": path, "value": boss})
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": path, "value": ""})
        self.assertNotIn(ENT, r.json)

    def test_errors_change_nothing(self):
        uid = self.mk("atomic", nickName="before")
        before = self.srv.get("/Users/" + uid)
        for o, st, t in (({"op": "replace", "path": "id", "value": "x"}, 400, "mutability"),
                         ({"op": "replace", "path": "meta.created", "value": "x"}, 400, "mutability"),
                         ({"op": "remove"}, 400, "noTarget"),
                         ({"op": "replace", "path": 'emails[type eq "nope"]', "value": {"value": "x"}}, 400, "noTarget"),
                         ({"op": "add", "path": "emails[type eq", "value": "x"}, 400, "invalidPath"),
                         ({"op": "jump", "path": "nickName", "value": "x"}, 400, "invalidSyntax")):
            r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "nickName", "value": "during"}, o)
            self.assertScimError(r, st, t)
        after = self.srv.get("/Users/" + uid)
        self.assertEqual(after.json, before.json, "a failed PATCH left the user byte-identical")

    def test_if_match(self):
        uid = self.mk("etag")
        v1 = self.srv.get("/Users/" + uid).headers["etag"]
        r = self.srv.patch_ops("/Users/" + uid, {"op": "add", "path": "nickName", "value": "x"},
                               headers={"If-Match": v1})
        self.assertEqual(r.status, 200, r)
        self.assertNotEqual(r.headers["etag"], v1)
        r = self.srv.patch_ops("/Users/" + uid, {"op": "add", "path": "nickName", "value": "y"},
                               headers={"If-Match": v1})
        self.assertScimError(r, 412)
        self.assertEqual(self.srv.get("/Users/" + uid).json["nickName"], "x")
        r = self.srv.delete("/Users/" + uid, headers={"If-Match": v1})
        self.assertScimError(r, 412)

    def test_operations_capped(self):
        # Regression: each add to a growing array costs its length, so a
        # 1 MiB body of 10,000 email adds took seconds of CPU.  At most
        # 1000 Operations per request; more is 413 and changes nothing.
        uid = self.mk("many-ops")

        def adds(n, tag):
            return [{"op": "add", "path": "emails", "value": [{"value": "%s%d@x.com" % (tag, i)}]}
                    for i in range(n)]
        r = self.srv.patch_ops("/Users/" + uid, *adds(1000, "a"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["emails"]), 1000)
        r = self.srv.patch_ops("/Users/" + uid, *adds(1001, "b"))
        self.assertScimError(r, 413)
        self.assertIn("at most 1000 Operations", r.json["detail"])
        t0 = time.time()
        r = self.srv.patch_ops("/Users/" + uid, *adds(20000, "c"))
        self.assertScimError(r, 413)
        self.assertLess(time.time() - t0, 2.0, "refused without applying anything")
        self.assertEqual(len(self.srv.get("/Users/" + uid).json["emails"]), 1000)

    def test_rename_clash(self):
        a = self.mk("clash-a")
        self.mk("clash-b")
        r = self.srv.patch_ops("/Users/" + a, {"op": "replace", "path": "userName", "value": "CLASH-B"})
        self.assertScimError(r, 409, "uniqueness")


class Replace(ScimTestCase):
    def test_put(self):
        uid = self.srv.post("/Users", user("put-me", nickName="n", title="t")).json["id"]
        r = self.srv.put("/Users/" + uid, user("put-me", name={"formatted": "NewName"}, id="ignored"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["id"], uid)
        self.assertEqual(r.json["name"]["formatted"], "NewName")
        self.assertNotIn("nickName", r.json, "PUT replaces: unsent attributes are cleared")
        self.assertScimError(self.srv.put("/Users/" + uid, {"userame": "typo"}), 400)
        self.assertScimError(self.srv.put("/Users/nope", user("x")), 404)


class Delete(ScimTestCase):
    def test_delete(self):  # checklist 30
        uid = self.srv.post("/Users", user("gone")).json["id"]
        self.assertEqual(self.srv.delete("/Users/" + uid).status, 204)
        self.assertScimError(self.srv.get("/Users/" + uid), 404)
        self.assertScimError(self.srv.delete("/Users/" + uid), 404)
        self.assertScimError(self.srv.patch_ops("/Users/" + uid, {"op": "add", "path": "nickName", "value": "x"}), 404)
        self.assertScimError(self.srv.put("/Users/" + uid, user("gone")), 404)
        r = self.srv.post("/Users", user("gone"))
        self.assertEqual(r.status, 201, "the userName is free again")


class Tenants(ScimTestCase):
    def test_isolation(self):
        other = self.srv.make_token(tenant="other", label="other")
        uid = self.srv.post("/Users", user("mine")).json["id"]
        self.assertScimError(self.srv.get("/Users/" + uid, token=other), 404)
        self.assertEqual(self.srv.get("/Users", token=other).json["totalResults"], 0)
        self.assertEqual(self.srv.get("/Users?filter=userName+eq+%22mine%22", token=other).json["totalResults"], 0)
        self.assertScimError(self.srv.delete("/Users/" + uid, token=other), 404)
        self.assertScimError(self.srv.patch_ops("/Users/" + uid, {"op": "add", "path": "nickName", "value": "x"},
                                                token=other), 404)
        r = self.srv.post("/Users", user("mine"), token=other)
        self.assertEqual(r.status, 201, "userName uniqueness is per tenant")


class NameFold(ScimTestCase):
    """Regression: userName uniqueness folded ASCII case only, so names that
    read alike (fullwidth letters, NFC and NFD accents, the Kelvin sign, an
    invisible character, a space at an end) were different users.  The
    unique index now compares NFKC case folds, and a new userName holding
    an invisible character or outer white space is refused."""

    PAIRS = (("Alice.Fold", "\uff21lice.Fold", "fullwidth A"),
             ("Jos\u00e9.Fold", "Jose\u0301.Fold", "NFC and NFD"),
             ("Kelvin.Fold", "\u212aelvin.Fold", "Kelvin sign"),
             ("STRASSE.Fold", "stra\u00dfe.fold", "sharp s"))

    def test_lookalikes_are_taken(self):
        for first, second, why in self.PAIRS:
            r = self.srv.post("/Users", user(first))
            self.assertEqual(r.status, 201, (why, r))
            r = self.srv.post("/Users", user(second))
            self.assertScimError(r, 409, "uniqueness")
        # Renaming onto a look-alike is the same clash.
        uid = self.srv.post("/Users", user("other.fold")).json["id"]
        for _, second, _ in self.PAIRS:
            r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "userName", "value": second})
            self.assertScimError(r, 409, "uniqueness")

    def test_invisible_and_outer_space_refused(self):
        self.assertEqual(self.srv.post("/Users", user("alice.space")).status, 201)
        for name, why in (("A\u200blice.space", "invisible"), (" alice.space", "white space"),
                          ("alice.space ", "white space"), ("alice.space\u00a0", "white space"),
                          ("al\u00adice.space", "invisible")):
            r = self.srv.post("/Users", user(name))
            self.assertScimError(r, 400, "invalidValue")
            self.assertIn("userName must not contain", r.json["detail"])
            self.assertIn(why, r.json["detail"])
        uid = self.srv.post("/Users", user("bob.space")).json["id"]
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "userName", "value": "bob.space "})
        self.assertScimError(r, 400, "invalidValue")
        self.assertEqual(self.srv.get("/Users/" + uid).json["userName"], "bob.space")

    def test_filter_agrees_with_the_index(self):
        uid = self.srv.post("/Users", user("Filter.Fold@x.com")).json["id"]
        for name in ("\uff26ilter.fold@x.com", "FILTER.FOLD@X.COM", "filter.fold@x.com ",
                     "Fil\u200bter.Fold@x.com"):
            q = urllib.parse.quote('userName eq "%s"' % name)
            r = self.srv.get("/Users?filter=" + q)
            self.assertEqual([u["id"] for u in r.json["Resources"]], [uid], name)
            # The same filter on a scan (no index hint under "or").
            q = urllib.parse.quote('userName eq "%s" or userName eq "none.fold"' % name)
            r = self.srv.get("/Users?filter=" + q)
            self.assertEqual([u["id"] for u in r.json["Resources"]], [uid], name)

    def test_group_names_fold(self):
        # Group displayNames are folded (not refused): a look-alike group
        # is the same group name.
        self.assertEqual(self.srv.post("/Groups", group("Fold Admins")).status, 201)
        for name in ("\uff26old Admins", "FOLD ADMINS", " Fold Admins", "Fold\u200b Admins"):
            self.assertScimError(self.srv.post("/Groups", group(name)), 409, "uniqueness")


class SortBound(ScimTestCase):
    """Regression: a query with sortBy held every match of the tenant in one
    worker.  Past [scim] max_sort matches it is 400 tooMany."""

    server_args = {"conf_extra": "[scim]\nmax_sort = 3\n"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in range(4):
            cls.srv.post("/Users", user("sorted%d" % i, displayName="S %d" % (3 - i)))

    def test_sort_past_the_bound_refused(self):
        r = self.srv.get("/Users?sortBy=displayName")
        self.assertScimError(r, 400, "tooMany")
        self.assertIn("max_sort", r.json["detail"])
        self.assertIn("narrow the filter", r.json["detail"])
        r = self.srv.post("/Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                             "sortBy": "userName", "count": 1})
        self.assertScimError(r, 400, "tooMany")

    def test_within_the_bound(self):
        q = urllib.parse.quote('userName ne "sorted0"')
        r = self.srv.get("/Users?sortBy=displayName&filter=" + q)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([u["displayName"] for u in r.json["Resources"]], ["S 0", "S 1", "S 2"])
        # Unsorted, a scan holds only its page: no bound.
        r = self.srv.get("/Users?filter=" + urllib.parse.quote('userName sw "sorted"') + "&count=1")
        self.assertEqual((r.status, r.json["totalResults"]), (200, 4))
        self.assertEqual(self.srv.get("/Users").json["totalResults"], 4)


if __name__ == "__main__":
    scimtest.main()
