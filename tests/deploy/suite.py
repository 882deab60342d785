"""The requests every deployment must serve, written once and run against
each web server over HTTPS: TLS as Entra ID needs it, the bearer token
passed through, users and groups created, patched and deleted, discovery,
the request-size limits, and the admin page: its sign-in, and its
restriction to an address range.

A test file mixes these into unittest.TestCase classes and names the
server class (deploytest.ApacheServer or deploytest.LighttpdServer).
"""

import os
import re
import socket
import ssl
import sys
import time
import urllib.parse
import uuid
import warnings

sys.dont_write_bytecode = True
import deploytest  # noqa: E402
import scimtest  # noqa: E402
import weberrors  # noqa: E402

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class ServerClass:
    """Starts one server of server_class (with server_settings) for the
    whole TestCase class; fails the class when the server is missing."""

    server_class = None
    server_settings = {}

    @classmethod
    def setUpClass(cls):
        need = deploytest.missing_tools(cls.server_class.name)
        if need:
            raise RuntimeError("missing: apt-get install " + " ".join(need))
        cls.srv = cls.server_class(settings=cls.server_settings).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def assertScimError(self, r, status, scim_type=None):
        scimtest.ScimTestCase.assertScimError(self, r, status, scim_type)

    def unique(self, prefix):
        return "%s-%s@example.com" % (prefix, uuid.uuid4().hex[:12])


class Deployment(weberrors.WebServerErrors, ServerClass):
    """The representative part of the HTTP suite, over HTTPS, and the
    errors the web server answers itself (weberrors.py)."""

    # --- TLS ---
    def test_tls_entra_suites(self):
        """Each ECDHE-RSA suite Entra ID offers is accepted over TLS 1.2."""
        for suite in deploytest.ENTRA_RSA_SUITES:
            ctx = deploytest.client_context(self.srv.cert, suite, ssl.TLSVersion.TLSv1_2)
            self.assertEqual(self.srv.handshake(ctx), ("TLSv1.2", suite))

    def test_tls_refuses_weak(self):
        """No RSA key exchange, no SHA-1 CBC suite, no TLS 1.1."""
        for suite in ("AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"):
            ctx = deploytest.client_context(self.srv.cert, suite, ssl.TLSVersion.TLSv1_2)
            with self.assertRaises(ssl.SSLError, msg=suite):
                self.srv.handshake(ctx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx = deploytest.client_context(self.srv.cert, "DEFAULT:@SECLEVEL=0",
                                            ssl.TLSVersion.TLSv1_1)
        with self.assertRaises(ssl.SSLError) as cm:
            self.srv.handshake(ctx)
        # The server's alert, not the client refusing to try.
        self.assertIn("PROTOCOL_VERSION", str(cm.exception))

    # --- the bearer token ---
    def test_auth_missing_token(self):
        r = self.srv.get("/Users", token="")
        self.assertScimError(r, 401)
        self.assertTrue(r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers)

    def test_auth_wrong_token(self):
        self.assertScimError(self.srv.get("/Users", token="scim_0000000000000000_" + "0" * 64),
                             401)

    def test_auth_test_connection(self):
        """Entra ID's Test Connection: a random userName, 200 and no one."""
        r = self.srv.get('/Users?filter=userName+eq+%22' + uuid.uuid4().hex + '%22')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["schemas"], [LIST])
        self.assertEqual(r.json["totalResults"], 0)
        self.assertEqual(r.json["Resources"], [])

    # --- discovery ---
    def test_discovery(self):
        r = self.srv.get("/ServiceProviderConfig")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["patch"]["supported"])
        self.assertEqual(r.json["meta"]["location"],
                         self.srv.base_url() + "/ServiceProviderConfig")
        r = self.srv.get("/ResourceTypes")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["Resources"][0]["endpoint"], "/Users")
        r = self.srv.get("/Schemas")
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(r.json["totalResults"], 2)
        r = self.srv.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
        self.assertEqual(r.status, 200, r)

    def test_paths_any_case(self):
        """Microsoft's reference collection writes /users and
        /serviceConfiguration."""
        for path in ("/users", "/USERS?count=1", "/groups", "/serviceConfiguration",
                     "/schemas", "/resourcetypes"):
            r = self.srv.get(path)
            self.assertEqual(r.status, 200, "%s: %r" % (path, r))
            self.assertTrue(r.headers["content-type"].startswith("application/scim+json"))

    # --- users ---
    def test_user_create_patch_delete(self):
        name = self.unique("alice")
        body = scimtest.user(name, active=True)
        body["name"] = {"givenName": "Alice", "familyName": "Example"}
        r = self.srv.post("/Users", body)
        self.assertEqual(r.status, 201, r)
        uid = r.json["id"]
        # The program saw HTTPS and the Host: the Location is the https URL.
        self.assertEqual(r.headers["location"], self.srv.base_url() + "/Users/" + uid)
        self.assertEqual(r.json["meta"]["location"], r.headers["location"])
        r = self.srv.get("/Users/" + uid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["userName"], name)
        # Entra ID's soft delete: op in any case, the boolean as a string.
        r = self.srv.patch_ops("/Users/" + uid, {"op": "Replace", "path": "active",
                                                 "value": "False"})
        self.assertIn(r.status, (200, 204), r)
        r = self.srv.get('/Users?filter=userName+eq+%22' + name + '%22')
        self.assertEqual(r.json["totalResults"], 1, r)
        self.assertIs(r.json["Resources"][0]["active"], False)
        r = self.srv.delete("/Users/" + uid)
        self.assertEqual(r.status, 204, r)
        self.assertScimError(self.srv.get("/Users/" + uid), 404)

    def test_user_duplicate_name(self):
        name = self.unique("bob")
        self.assertEqual(self.srv.post("/Users", scimtest.user(name)).status, 201)
        self.assertScimError(self.srv.post("/Users", scimtest.user(name.upper())), 409,
                             "uniqueness")

    # --- groups ---
    def test_group_members(self):
        u1 = self.srv.post("/Users", scimtest.user(self.unique("carol"))).json["id"]
        u2 = self.srv.post("/Users", scimtest.user(self.unique("dave"))).json["id"]
        r = self.srv.post("/Groups", scimtest.group("Sales " + uuid.uuid4().hex[:8],
                                                    members=[{"value": u1}]))
        self.assertEqual(r.status, 201, r)
        gid = r.json["id"]
        self.assertEqual(r.headers["location"], self.srv.base_url() + "/Groups/" + gid)
        r = self.srv.patch_ops("/Groups/" + gid,
                               {"op": "Add", "path": "members", "value": [{"value": u2}]})
        self.assertIn(r.status, (200, 204), r)
        r = self.srv.get("/Groups/" + gid)
        self.assertEqual(sorted(m["value"] for m in r.json["members"]), sorted([u1, u2]))
        r = self.srv.get("/Groups/" + gid + "?excludedAttributes=members")
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("members", r.json)
        r = self.srv.get("/Users/" + u2)
        self.assertIn(gid, [g["value"] for g in r.json.get("groups", [])])
        r = self.srv.patch_ops("/Groups/" + gid,
                               {"op": "remove", "path": 'members[value eq "%s"]' % u1})
        self.assertIn(r.status, (200, 204), r)
        r = self.srv.get("/Groups/" + gid)
        self.assertEqual([m["value"] for m in r.json["members"]], [u2])
        self.assertEqual(self.srv.delete("/Groups/" + gid).status, 204)
        self.assertScimError(self.srv.get("/Groups/" + gid), 404)
        r = self.srv.get("/Users/" + u2)
        self.assertEqual(r.json.get("groups", []), [])

    # --- /Bulk (scim-bulk, mapped by the shipped configuration) ---
    def test_bulk_forward_reference(self):
        """A group that names a user created later in the same request."""
        name = self.unique("bulk")
        r = self.srv.post("/Bulk", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Groups", "bulkId": "g",
                 "data": scimtest.group("Bulk " + uuid.uuid4().hex[:8],
                                        members=[{"value": "bulkId:u"}])},
                {"method": "POST", "path": "/Users", "bulkId": "u",
                 "data": scimtest.user(name)}]})
        self.assertEqual(r.status, 200, r)
        ops = r.json["Operations"]
        self.assertEqual([o["status"] for o in ops], ["201", "201"], r)
        self.assertTrue(ops[0]["location"].startswith(self.srv.base_url() + "/Groups/"))
        uid = ops[1]["location"].rsplit("/", 1)[1]
        r = self.srv.get(ops[0]["location"][len(self.srv.base_url()):])
        self.assertEqual([m["value"] for m in r.json["members"]], [uid])
        self.assertTrue(self.srv.get("/ServiceProviderConfig").json["bulk"]["supported"])

    # --- request sizes ---
    def test_body_above_fcgid_default(self):
        """A 200 KB request: above mod_fcgid's 128 KB default, below our limits.
        Its answers are as big: written in FastCGI records of 64 KB (fcgi-out.h)
        and a tail that goes with the end of the request, in order."""
        nick = "".join(chr(97 + (i * 7 + i // 26) % 26) for i in range(200000))
        r = self.srv.post("/Users", scimtest.user(self.unique("erin"), nickName=nick))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["nickName"], nick)
        r = self.srv.get("/Users/" + r.json["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.body), int(r.headers["content-length"]))
        self.assertEqual(r.json["nickName"], nick)

    def test_body_program_limit(self):
        """1.5 MiB: past [http] max_body; the program's SCIM 413 gets through."""
        r = self.srv.post("/Users", scimtest.user(self.unique("frank"),
                                                  nickName="n" * (1536 * 1024)))
        self.assertScimError(r, 413)

    def test_body_server_limit(self):
        """3 MiB announced: the web server answers 413 itself, before the
        body is sent (the client asks with "Expect: 100-continue", as curl
        does for large bodies)."""
        head = ("POST %s/Users HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/scim+json\r\n"
                "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                % (self.srv.base, self.srv.port, self.srv.token, 3 * 1024 * 1024))
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=10) as s:
            with self.srv.context.wrap_socket(s, server_hostname="127.0.0.1") as t:
                t.sendall(head.encode())
                status = t.recv(4096).split(b"\r\n", 1)[0]
        self.assertEqual(status.split()[1:2], [b"413"], status)

    # --- concurrency ---
    # Processes of scim-users to have before the timed burst.  Under
    # mod_fcgid a request that finds every process busy sleeps a second,
    # and a process is added only when one is still missing after that
    # sleep, so the pool is first grown (FcgidMinProcessesPerClass then
    # keeps it) by bursts of 24 creates, until it has warm_pool processes
    # or a whole burst went through without a wait (the pool then serves
    # 24 creates at once as it is, so five cannot wait).  The warm-up used
    # to send wrong secrets, each holding a process for a full scrypt;
    # refusals run no scrypt any more and cost microseconds, too little to
    # keep any process busy.
    # lighttpd starts all its max-procs at once: nothing to grow.
    warm_pool = 0

    def burst(self, n, token=None):
        return self.srv.burst(n, "/Users",
                              lambda i: scimtest.user(self.unique("burst%d" % i)),
                              token=token)

    def test_parallel_creates(self):
        """Five users created at once (as Entra ID's validation does): all
        201, none held back by a web server waiting for a free process."""
        rounds, waited, last = 0, 0, 0
        deadline = time.monotonic() + 60
        while len(self.srv.pids("scim-users")) < self.warm_pool and \
                time.monotonic() < deadline:
            got = self.burst(24)
            self.assertEqual([s for s, _ in got], [201] * 24, got)
            rounds += 1
            last = sum(1 for _, t in got if t >= 0.9)
            waited += last
            if last == 0:
                break
        have = len(self.srv.pids("scim-users"))
        print("# %s: %d scim-users processes after %d warm-up bursts of 24 "
              "(%d requests waited >= 0.9 s)" % (self.srv.name, have, rounds, waited))
        if have < self.warm_pool:
            self.assertEqual(last, 0, "the pool did not grow while requests "
                             "still waited for a process")
        # mod_fcgid grows its pool by its own rules (a process only after
        # a request waited, at a limited rate): if the pool still had to
        # grow, grow it and try again; once warm, five never wait.
        for attempt in range(4):
            got = self.burst(5)
            self.assertEqual([s for s, _ in got], [201] * 5, got)
            slowest = max(t for _, t in got)
            if slowest < 0.9:
                break
            self.burst(24)
        print("# %s: slowest of 5 parallel creates: %.3f s (try %d)"
              % (self.srv.name, slowest, attempt + 1))
        self.assertLess(slowest, 0.9, "a request waited %.2f s" % slowest)

    def test_hsts(self):
        """Every HTTPS answer, the SCIM API's, its errors' and the admin
        page's, tells browsers to keep to HTTPS for at least a year."""
        for r in (self.srv.get("/ServiceProviderConfig"), self.srv.get("/Users?count=1"),
                  self.srv.get("/Users", token="scim_0000000000000000_" + "0" * 64),
                  self.srv.get("/scim-tokens", raw=True, token="")):
            hsts = r.headers.get("strict-transport-security", "")
            m = re.match(r"max-age=(\d+)", hsts)
            self.assertTrue(m and int(m.group(1)) >= 31536000, (r, r.headers))

    # --- the admin page ---
    def admin_get(self, cookie=None):
        return self.srv.get("/scim-tokens", raw=True, token="",
                            headers={"Cookie": cookie} if cookie else None)

    def admin_login(self, name, password):
        """Sign in as the page does: the form's CSRF token sent back both as
        a field and as the cookie it came with.  Returns the response."""
        r = self.admin_get()
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("text/html"), r.headers)
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', r.text).group(1)
        self.assertTrue(any(c.startswith("scim_login=" + csrf + ";") for c in r.cookies),
                        r.cookies)
        form = urllib.parse.urlencode({"name": name, "password": password, "csrf": csrf})
        return self.srv.request("POST", "/scim-tokens/login", form, raw=True, token="",
                                content_type="application/x-www-form-urlencoded",
                                headers={"Cookie": "scim_login=" + csrf})

    def test_admin_login(self):
        """The admin page over HTTPS: a wrong password is refused, the right
        one gives a Secure session cookie, and the page then lists the
        tenant's Secret Tokens."""
        pwfile = os.path.join(self.srv.home, "admin-password")
        with open(pwfile, "w") as f:
            f.write("correct horse battery staple\n")
        self.srv.tokens_cmd("admin", "add", "ops", "--role", "owner",
                            "--password-file", pwfile)
        r = self.admin_login("ops", "wrong password")
        self.assertEqual(r.status, 401, r)
        self.assertFalse([c for c in r.cookies if c.startswith("scim_admin=")], r.cookies)
        r = self.admin_login("ops", "correct horse battery staple")
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers["location"].rsplit("/", 1)[-1], "scim-tokens", r.headers)
        session = [c for c in r.cookies if c.startswith("scim_admin=")]
        self.assertEqual(len(session), 1, r.cookies)
        m = re.match(r"scim_admin=([0-9a-f]+);.*; Secure\b", session[0])
        self.assertIsNotNone(m, session[0])
        r = self.admin_get("scim_admin=" + m.group(1))
        self.assertEqual(r.status, 200, r)
        tid = self.srv.token.split("_")[1]
        self.assertIn(tid, r.text)
        self.assertIn("no-store", r.headers.get("cache-control", ""))

class AdminRestricted(ServerClass):
    """The same configuration with the admin page allowed only from a range
    the test client is not in: 403 there, the SCIM endpoints unaffected."""

    def test_admin_forbidden(self):
        for path in ("/scim-tokens", "/scim-tokens/", "/scim-tokens/login"):
            r = self.srv.get(path, raw=True, token="")
            self.assertEqual(r.status, 403, "%s: %r" % (path, r))

    def test_admin_errors_not_scim(self):
        """The web server's refusal on the admin page is its own page, not
        one of the SCIM error bodies the API's errors get."""
        r = self.srv.get("/scim-tokens", raw=True, token="")
        self.assertEqual(r.status, 403, r)
        self.assertNotIn(weberrors.ERROR_SCHEMA, r.text)

    def test_scim_still_served(self):
        r = self.srv.get("/ServiceProviderConfig")
        self.assertEqual(r.status, 200, r)
