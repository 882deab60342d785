"""Forwarding to the master (web/forward.c), without a replication group:
tests/unit/forward_probe runs one request as plain CGI in the role its
command line names, in front of a stand-in master here (a loopback HTTP
server that records what it receives and answers fixed SCIM answers).
Checks that the method, the path after the SCIM base, the query string,
the client's headers and the body reach the master exactly; that status,
Content-Type, Location, ETag, Retry-After, WWW-Authenticate and the body
come back, and X-Scim-Commit does not; that an unreachable or slow master
is 503 with Retry-After and a SCIM error; that an answer over the bound
is refused; and that a forwarded request is never forwarded again.  Then,
through lighttpd, that a site alone serves a marked request itself.
The hook on a real replica is tests/cluster's (three sites)."""

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402

PROBE = os.path.join(scimtest.TOP_BUILDDIR, "tests", "unit", "forward_probe")
SELF = "http://127.0.0.1:9/scim/v2"
BIG = 64 * 1024


class Master(http.server.BaseHTTPRequestHandler):
    """The stand-in master: records each request, answers by path."""
    protocol_version = "HTTP/1.1"
    seen = []

    def log_message(self, *a):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        Master.seen.append({"method": self.command, "path": self.path,
                            "headers": dict(self.headers.items()),
                            "body": body})
        scim = ("Content-Type", "application/scim+json")
        if "/slow" in self.path:
            time.sleep(5)
            self.answer(200, b"{}", [scim])
        elif "/big" in self.path:
            self.answer(200, b"[" + b" " * BIG + b"]", [scim])
        elif "/denied" in self.path:
            self.answer(401, b'{"status":"401"}', [
                scim, ("WWW-Authenticate", 'Bearer realm="SCIM"')])
        elif "/busy" in self.path:
            self.answer(503, b'{"status":"503"}', [scim, ("Retry-After", "7")])
        elif self.command == "DELETE":
            self.answer(204, b"", [("X-Scim-Commit", "1/400")])
        elif self.command == "POST":
            self.answer(201, b'{"id":"u1","userName":"alice"}', [
                scim, ("Location", "http://master.example/scim/v2/Users/u1"),
                ("ETag", 'W/"3"'), ("X-Scim-Commit", "1/300"),
                ("X-Other", "not relayed")])
        else:
            self.answer(200, b'{"totalResults":0}', [
                ("Content-Type", "application/json; charset=utf-8")])

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


class MasterServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass            # a client that gave up (time-out, too large)


def parse_cgi(out):
    """A CGI answer: (status, {lower-case name: value}, body bytes)."""
    head, _, body = out.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode().split("\r\n"):
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    status = int(headers.pop("status").split()[0])
    return status, headers, body


class Forward(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = MasterServer(("127.0.0.1", 0), Master)
        cls.port = cls.server.server_address[1]
        cls.thread = threading.Thread(target=cls.server.serve_forever,
                                      daemon=True)
        cls.thread.start()
        cls.master = "http://127.0.0.1:%d/other/base" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        Master.seen.clear()

    def probe(self, method, path, query="", body=b"", role="replica",
              master=None, env=None, timeout_ms=1500, max_answer=BIG // 2):
        """Run one request through forward_probe; (status, headers, body)."""
        uri = path + ("?" + query if query else "")
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
             "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method,
             "SCRIPT_NAME": path, "PATH_INFO": "", "REQUEST_URI": uri,
             "QUERY_STRING": query, "REMOTE_ADDR": "192.0.2.7",
             "HTTP_HOST": "127.0.0.1:9", "CONTENT_LENGTH": str(len(body))}
        e.update(env or {})
        p = subprocess.run(
            [PROBE, role, master or self.master, SELF, "500",
             str(timeout_ms), str(max_answer)],
            input=body, env=e, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return parse_cgi(p.stdout)

    def assertNoMaster(self, r, what):
        status, headers, body = r
        self.assertEqual(status, 503)
        self.assertEqual(headers.get("retry-after"), "2")
        doc = json.loads(body)
        self.assertEqual(doc["status"], "503")
        self.assertIn("urn:ietf:params:scim:api:messages:2.0:Error",
                      doc["schemas"])
        self.assertIn("no master is reachable", doc["detail"])
        self.assertIn(what, doc["detail"])

    def test_write_relayed_exactly(self):
        body = json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:"
                                       "2.0:User"], "userName": "alice"}
                          ).encode()
        status, headers, rbody = self.probe(
            "POST", "/scim/v2/Users", body=body, env={
                "CONTENT_TYPE": "application/scim+json",
                "HTTP_AUTHORIZATION": "Bearer scim_secret",
                "HTTP_ACCEPT": "application/scim+json",
                "HTTP_USER_AGENT": "Entra-Test/1.0",
                "HTTP_X_FORWARDED_FOR": "198.51.100.1"})
        self.assertEqual(len(Master.seen), 1)
        got = Master.seen[0]
        h = {k.lower(): v for k, v in got["headers"].items()}
        self.assertEqual(got["method"], "POST")
        self.assertEqual(got["path"], "/other/base/Users")
        self.assertEqual(got["body"], body)
        self.assertEqual(h["authorization"], "Bearer scim_secret")
        self.assertEqual(h["content-type"], "application/scim+json")
        self.assertEqual(h["accept"], "application/scim+json")
        self.assertEqual(h["user-agent"], "Entra-Test/1.0")
        self.assertEqual(h["x-forwarded-for"], "198.51.100.1, 192.0.2.7")
        self.assertEqual(h["x-scim-forwarded-by"], SELF)
        self.assertNotIn("expect", h)
        self.assertEqual(status, 201)
        self.assertEqual(headers["content-type"], "application/scim+json")
        self.assertEqual(headers["location"],
                         "http://master.example/scim/v2/Users/u1")
        self.assertEqual(headers["etag"], 'W/"3"')
        self.assertEqual(json.loads(rbody)["id"], "u1")
        # The commit token is the sites' business: kept, not relayed.
        self.assertNotIn("x-scim-commit", headers)
        self.assertEqual(headers.get("x-probe-commit"), "1/300")
        self.assertNotIn("x-other", headers)

    def test_read_path_and_query_as_sent(self):
        q = "filter=userName%20eq%20%22a%2Bb%40x%22&startIndex=1&count=2"
        status, headers, body = self.probe(
            "GET", "/scim/v2/Users", query=q,
            env={"SCRIPT_NAME": "/scim/v2/Users", "PATH_INFO": "/a b",
                 "REQUEST_URI": "/scim/v2/users/a%20b?" + q,
                 "HTTP_IF_NONE_MATCH": 'W/"2"'})
        got = Master.seen[0]
        h = {k.lower(): v for k, v in got["headers"].items()}
        self.assertEqual(got["method"], "GET")
        self.assertEqual(got["path"], "/other/base/users/a%20b?" + q)
        self.assertEqual(h["if-none-match"], 'W/"2"')
        # Nothing the client did not send: libcurl's own defaults held back.
        for name in ("content-type", "accept", "user-agent", "if-match"):
            self.assertNotIn(name, h)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"],
                         "application/json; charset=utf-8")
        self.assertEqual(json.loads(body), {"totalResults": 0})

    def test_path_encoded_without_request_uri(self):
        self.probe("GET", "/scim/v2/Users", env={
            "SCRIPT_NAME": "/scim/v2/Users", "PATH_INFO": "/a b/\u00e9",
            "REQUEST_URI": "/elsewhere"})
        self.assertEqual(Master.seen[0]["path"],
                         "/other/base/Users/a%20b/%C3%A9")

    def test_path_resolved_here_goes_as_routed(self):
        # The web server resolved the dot segments: the master gets the
        # path this site routed, not the raw one.
        self.probe("GET", "/scim/v2/Users", env={
            "PATH_INFO": "/y", "REQUEST_URI": "/scim/v2/Users/x/../y"})
        self.assertEqual(Master.seen[0]["path"], "/other/base/Users/y")

    def test_methods_and_conditions(self):
        for method in ("PUT", "PATCH"):
            self.probe(method, "/scim/v2/Groups", body=b'{"x":1}', env={
                "PATH_INFO": "/g1", "REQUEST_URI": "/scim/v2/Groups/g1",
                "CONTENT_TYPE": "application/scim+json",
                "HTTP_IF_MATCH": 'W/"5"'})
        status, headers, body = self.probe("DELETE", "/scim/v2/Groups", env={
            "PATH_INFO": "/g1", "REQUEST_URI": "/scim/v2/Groups/g1"})
        self.assertEqual([(s["method"], s["path"], s["body"])
                          for s in Master.seen],
                         [("PUT", "/other/base/Groups/g1", b'{"x":1}'),
                          ("PATCH", "/other/base/Groups/g1", b'{"x":1}'),
                          ("DELETE", "/other/base/Groups/g1", b"")])
        self.assertEqual(Master.seen[0]["headers"]["If-Match"], 'W/"5"')
        self.assertEqual(status, 204)
        self.assertEqual(body, b"")
        self.assertEqual(headers.get("x-probe-commit"), "1/400")

    def test_bulk(self):
        self.probe("POST", "/scim/v2/Bulk", body=b'{"Operations":[]}',
                   env={"CONTENT_TYPE": "application/scim+json"})
        self.assertEqual(Master.seen[0]["path"], "/other/base/Bulk")

    def test_master_errors_relayed(self):
        status, headers, _ = self.probe("GET", "/scim/v2/Users", env={
            "PATH_INFO": "/denied", "REQUEST_URI": "/scim/v2/Users/denied"})
        self.assertEqual(status, 401)
        self.assertEqual(headers["www-authenticate"], 'Bearer realm="SCIM"')
        status, headers, _ = self.probe("GET", "/scim/v2/Users", env={
            "PATH_INFO": "/busy", "REQUEST_URI": "/scim/v2/Users/busy"})
        self.assertEqual(status, 503)
        self.assertEqual(headers["retry-after"], "7")

    def test_unreachable(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = self.probe("GET", "/scim/v2/Users",
                       master="http://127.0.0.1:%d/scim/v2" % port)
        self.assertNoMaster(r, "127.0.0.1:%d" % port)

    def test_timeout(self):
        t0 = time.monotonic()
        r = self.probe("GET", "/scim/v2/Users", timeout_ms=400, env={
            "PATH_INFO": "/slow", "REQUEST_URI": "/scim/v2/Users/slow"})
        self.assertLess(time.monotonic() - t0, 4)
        self.assertNoMaster(r, "did not answer within 400 ms")

    def test_oversized_answer(self):
        status, _, body = self.probe("GET", "/scim/v2/Users", env={
            "PATH_INFO": "/big", "REQUEST_URI": "/scim/v2/Users/big"})
        self.assertEqual(status, 500)
        self.assertIn("larger than %d bytes" % (BIG // 2),
                      json.loads(body)["detail"])
        status, _, body = self.probe(
            "GET", "/scim/v2/Users", max_answer=BIG * 2, env={
                "PATH_INFO": "/big", "REQUEST_URI": "/scim/v2/Users/big"})
        self.assertEqual((status, len(body)), (200, BIG + 2))

    def test_no_loops(self):
        for role in ("replica", "none"):
            r = self.probe("POST", "/scim/v2/Users", body=b"{}", role=role,
                           env={"HTTP_X_SCIM_FORWARDED_BY":
                                "http://127.0.0.1:8/scim/v2"})
            self.assertNoMaster(r, "forwarded this request here")
        self.assertEqual(Master.seen, [])

    def test_election_and_unknown_master(self):
        self.assertNoMaster(self.probe("GET", "/scim/v2/Users", role="none"),
                            "election")
        self.assertNoMaster(self.probe("GET", "/scim/v2/Users", master="-"),
                            "election")
        self.assertEqual(Master.seen, [])

    def test_master_and_alone_serve_here(self):
        for role in ("master", "alone"):
            status, _, body = self.probe(
                "GET", "/scim/v2/Users", role=role,
                env={"HTTP_X_SCIM_FORWARDED_BY": SELF})
            self.assertEqual((status, json.loads(body)),
                             (200, {"servedHere": True}))
        self.assertEqual(Master.seen, [])


class AloneSite(scimtest.ScimTestCase):
    """The hook in the programs' loop, with replication off (the store
    answers STORE_ROLE_ALONE): a marked request is served here, there is
    no master to loop to, and no commit token goes out."""

    def test_marked_request_served_here(self):
        mark = {"X-Scim-Forwarded-By": "http://127.0.0.1:9/scim/v2"}
        r = self.srv.post("/Users", scimtest.user("fwd.alone"), headers=mark)
        self.assertEqual(r.status, 201, r)
        self.assertNotIn("x-scim-commit", r.headers)
        r = self.srv.get("/Users/" + r.json["id"], headers=mark)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["userName"], "fwd.alone")


if __name__ == "__main__":
    scimtest.main()
