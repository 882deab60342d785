"""Foundation HTTP tests against a real lighttpd: discovery endpoints,
authentication, routing errors (404, 405 with Allow), body limits (413) --
every failure a SCIM error body with application/scim+json."""

import json
import os
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def walk(v):
    """Every value in a JSON tree."""
    yield v
    if isinstance(v, dict):
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)


class Discovery(ScimTestCase):
    def test_service_provider_config(self):
        r = self.srv.get("/ServiceProviderConfig")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["content-type"], "application/scim+json")
        d = r.json
        self.assertEqual(d["schemas"], ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
        self.assertTrue(d["patch"]["supported"])
        self.assertTrue(d["bulk"]["supported"])  # scim-bulk (test_bulk.py)
        self.assertTrue(d["filter"]["supported"])
        self.assertGreater(d["filter"]["maxResults"], 0)
        self.assertFalse(d["changePassword"]["supported"])
        self.assertEqual(d["authenticationSchemes"][0]["type"], "oauthbearertoken")
        self.assertTrue(d["meta"]["location"].endswith("/scim/v2/ServiceProviderConfig"))

    def test_service_configuration_alias(self):
        # Microsoft's reference collection asks for this name.
        r = self.srv.get("/serviceConfiguration")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["patch"]["supported"])

    def test_schemas_list(self):
        r = self.srv.get("/Schemas")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["schemas"], ["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
        ids = [s["id"] for s in r.json["Resources"]]
        self.assertEqual(sorted(ids), sorted([CORE_USER, ENTERPRISE, CORE_GROUP]))
        self.assertEqual(r.json["totalResults"], 3)
        self.assertIn("User Account", r.text)
        self.assertNotIn(None, list(walk(r.json)), "no nulls in /Schemas")

    def test_schema_characteristics(self):
        r = self.srv.get("/Schemas/" + CORE_USER)
        self.assertEqual(r.status, 200, r)
        attrs = {a["name"]: a for a in r.json["attributes"]}
        un = attrs["userName"]
        self.assertEqual((un["required"], un["caseExact"], un["uniqueness"], un["mutability"]),
                         (True, False, "server", "readWrite"))
        emails = {s["name"]: s for s in attrs["emails"]["subAttributes"]}
        self.assertEqual(emails["type"]["canonicalValues"], ["work", "home", "other"])
        self.assertNotIn("display", emails, "emails.display is left out for Entra's validator")
        phones = {s["name"]: s for s in attrs["phoneNumbers"]["subAttributes"]}
        self.assertIn("mobile", phones["type"]["canonicalValues"])
        addrs = {s["name"]: s for s in attrs["addresses"]["subAttributes"]}
        self.assertIn("work", addrs["type"]["canonicalValues"])
        self.assertEqual(attrs["groups"]["mutability"], "readOnly")
        self.assertEqual(attrs["password"]["returned"], "never")
        for a in walk(r.json):
            if isinstance(a, dict) and "mutability" in a:
                self.assertIn(a["mutability"], ("readWrite", "readOnly", "immutable", "writeOnly"))
                self.assertIn(a["returned"], ("always", "never", "default", "request"))

    def test_enterprise_and_group_schema(self):
        r = self.srv.get("/Schemas/" + ENTERPRISE)
        self.assertEqual(r.status, 200, r)
        attrs = {a["name"]: a for a in r.json["attributes"]}
        self.assertEqual(sorted(attrs), sorted(["employeeNumber", "costCenter", "organization",
                                                "division", "department", "manager"]))
        mgr = {s["name"]: s for s in attrs["manager"]["subAttributes"]}
        self.assertEqual(mgr["displayName"]["mutability"], "readOnly")
        r = self.srv.get("/Schemas/" + CORE_GROUP.upper())
        self.assertEqual(r.status, 200, "schema URNs match in any case")
        members = {a["name"]: a for a in r.json["attributes"]}["members"]
        self.assertTrue(members["multiValued"])

    def test_flattened_schema_has_entra_mappings(self):  # checklist 41
        # The Logic App validator flattens /Schemas: multi-valued complex
        # attributes become attr[type eq "<canonical>"].<sub> for each
        # canonical type and sub-attribute other than type/primary; single
        # complex ones attr.<sub>; extension attributes "<urn>:<name>".
        flat = set()
        for sch in self.srv.get("/Schemas").json["Resources"]:
            ext = sch["id"] if "extension" in sch["id"] else None
            for a in sch["attributes"]:
                name = (ext + ":" if ext else "") + a["name"]
                flat.add(name.lower())
                subs = a.get("subAttributes", [])
                types = next((s.get("canonicalValues", []) for s in subs if s["name"] == "type"), [])
                for sub in subs:
                    if sub["name"] in ("type", "primary"):
                        continue
                    if a["multiValued"]:
                        for t in types or ['primary eq "True"']:
                            sel = 'type eq "%s"' % t if types else t
                            flat.add(('%s[%s].%s' % (name, sel, sub["name"])).lower())
                    else:
                        flat.add(("%s.%s" % (name, sub["name"])).lower())
        ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
        mapped = ["userName", "active", "displayName", "title", 'emails[type eq "work"].value',
                  "preferredLanguage", "name.givenName", "name.familyName", "name.formatted",
                  'addresses[type eq "work"].formatted', 'addresses[type eq "work"].streetAddress',
                  'addresses[type eq "work"].locality', 'addresses[type eq "work"].region',
                  'addresses[type eq "work"].postalCode', 'addresses[type eq "work"].country',
                  'phoneNumbers[type eq "work"].value', 'phoneNumbers[type eq "mobile"].value',
                  'phoneNumbers[type eq "fax"].value', 'emails[type eq "other"].value', "externalId",
                  ent + "employeeNumber", ent + "department", ent + "manager", "members"]
        missing = [m for m in mapped if m.lower() not in flat]
        self.assertEqual(missing, [], "Entra's default mappings missing from /Schemas")

    def test_unknown_schema(self):
        self.assertScimError(self.srv.get("/Schemas/urn:nope"), 404)

    def test_resource_types(self):
        r = self.srv.get("/ResourceTypes")
        self.assertEqual(r.status, 200, r)
        res = r.json["Resources"]
        self.assertEqual(res[0]["endpoint"], "/Users")
        self.assertEqual(res[0]["schemaExtensions"], [{"schema": ENTERPRISE, "required": False}])
        self.assertEqual(res[1]["endpoint"], "/Groups")
        r = self.srv.get("/ResourceTypes/Group")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["schema"], CORE_GROUP)
        self.assertScimError(self.srv.get("/ResourceTypes/Widget"), 404)


class Auth(ScimTestCase):
    def test_no_token(self):
        for path in ("/Users", "/Groups", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes"):
            r = self.srv.get(path, token="")
            self.assertScimError(r, 401)
            self.assertIn("Bearer", r.headers.get("www-authenticate", ""))

    def test_wrong_tokens(self):
        good = self.srv.token
        forged = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
        for tok in ("nonsense", "scim_0123456789abcdef_" + "0" * 64, forged, good + "x"):
            self.assertScimError(self.srv.get("/Users", token=tok), 401)

    def test_wrong_scheme(self):
        r = self.srv.get("/Users", token="", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        self.assertScimError(r, 401)

    def test_scheme_any_case(self):
        r = self.srv.get("/Users", token="", headers={"Authorization": "bearer " + self.srv.token})
        self.assertEqual(r.status, 200, r)

    def test_revoked_token(self):
        tok = self.srv.make_token(label="to-revoke")
        self.assertEqual(self.srv.get("/Users", token=tok).status, 200)
        tid = tok.split("_")[1]
        self.srv.tokens_cmd("revoke", tid)
        self.assertScimError(self.srv.get("/Users", token=tok), 401)

    def test_no_user_agent_no_accept(self):
        # Entra's Test Connection sends neither; never 406.
        r = self.srv.get("/Users?filter=userName+eq+%22" + "7d420df3-0000-4000-8000-000000000000" + "%22")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["totalResults"], 0)
        self.assertEqual(r.json["Resources"], [])



def fcgi_record(rtype, content, req_id=1):
    """One FastCGI record (version 1), no padding."""
    return struct.pack(">BBHHBB", 1, rtype, req_id, len(content), 0, 0) + content


def fcgi_request(params, body=b""):
    """A whole FastCGI responder request: BEGIN_REQUEST (no keep-conn),
    PARAMS, an empty PARAMS, STDIN, an empty STDIN."""
    pairs = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            pairs += struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
        pairs += k + v
    out = fcgi_record(1, struct.pack(">HB5x", 1, 0))
    out += fcgi_record(4, pairs) + fcgi_record(4, b"")
    if body:
        out += fcgi_record(5, body)
    return out + fcgi_record(5, b"")


def fcgi_answer(sock):
    """The STDOUT of the request on sock, up to its END_REQUEST, parsed
    as CGI output: (status, {lower-case header: value})."""
    buf, out = b"", b""
    while True:
        while len(buf) < 8:
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed before END_REQUEST")
            buf += chunk
        _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
        while len(buf) < 8 + clen + plen:
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed inside a record")
            buf += chunk
        content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
        if rtype == 6:
            out += content
        elif rtype == 3:
            break
    head = out.split(b"\r\n\r\n", 1)[0].decode()
    headers = {}
    for line in head.split("\r\n"):
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(headers.get("status", "200").split()[0]), headers


class OneBatch(ScimTestCase):
    """Answers held together by one batch (group commit: a worker that
    committed a change takes the requests already waiting before it
    flushes) are each their own: two 405s in one batch each carry their
    own Allow.  The program is run here on a FastCGI socket of the test's
    own, with three requests already waiting before it starts, so they
    are one batch for certain."""
    server_args = {"conf_extra": "sync = full\n[log]\nstore_ops_header = yes\n"}

    def test_two_405s_in_one_batch(self):
        path = os.path.join(self.srv.home, "sock", "batch.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(8)
        base = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
                "SCRIPT_NAME": "/scim/v2/Users", "HTTP_HOST": "127.0.0.1",
                "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
                "REQUEST_SCHEME": "http", "REMOTE_ADDR": "127.0.0.1",
                "HTTP_AUTHORIZATION": "Bearer " + self.srv.token,
                "CONTENT_TYPE": "application/scim+json"}
        body = json.dumps(scimtest.user("batch@x.com")).encode()
        reqs = [dict(base, REQUEST_METHOD="POST", PATH_INFO="",
                     CONTENT_LENGTH=str(len(body))),
                dict(base, REQUEST_METHOD="DELETE", PATH_INFO=""),
                dict(base, REQUEST_METHOD="POST", PATH_INFO="/abc",
                     CONTENT_LENGTH="2")]
        bodies = [body, b"", b"{}"]
        conns = []
        proc = None
        try:
            for params, b in zip(reqs, bodies):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.settimeout(30)
                c.connect(path)
                c.sendall(fcgi_request(params, b))
                conns.append(c)
            proc = subprocess.Popen([os.path.join(scimtest.CGI_BIN, "scim-users"),
                                     "-c", self.srv.conf], stdin=lsock.fileno(),
                                    stdout=subprocess.DEVNULL, start_new_session=True)
            answers = [fcgi_answer(c) for c in conns]
        finally:
            for c in conns:
                c.close()
            lsock.close()
            if proc is not None:
                proc.terminate()
                proc.wait(10)
        self.assertEqual(answers[0][0], 201, answers[0])
        self.assertEqual([a[1].get("x-scim-batch") for a in answers], ["3", "3", "3"],
                         "the three requests were not one batch")
        self.assertEqual(answers[1][0], 405, answers[1])
        self.assertEqual(answers[1][1].get("allow"), "GET, POST")
        self.assertEqual(answers[2][0], 405, answers[2])
        self.assertEqual(answers[2][1].get("allow"), "GET, PUT, PATCH, DELETE")


class PageLoop(ScimTestCase):
    """scim-tokens' page is served by the same accept loop as the SCIM
    programs (group commit, store-ops header), not a loop of its own."""
    server_args = {"conf_extra": "[log]\nstore_ops_header = yes\n"}

    def test_page_in_the_shared_loop(self):
        conn = self.srv.connect()
        conn.request("GET", "/scim-tokens")
        r = conn.getresponse()
        r.read()
        conn.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("X-Scim-Batch"), "1")
        self.assertIn("gets=", r.getheader("X-Scim-Store-Ops") or "")


class Routing(ScimTestCase):
    def test_unknown_path(self):
        self.assertScimError(self.srv.get("/Users/a/b"), 404)

    def test_method_not_allowed(self):
        r = self.srv.request("DELETE", "/Users")
        self.assertScimError(r, 405)
        self.assertEqual(r.headers.get("allow"), "GET, POST")
        r = self.srv.request("PATCH", "/ServiceProviderConfig", {})
        self.assertScimError(r, 405)
        self.assertEqual(r.headers.get("allow"), "GET")
        r = self.srv.request("POST", "/Users/abc", {})
        self.assertScimError(r, 405)
        self.assertEqual(r.headers.get("allow"), "GET, PUT, PATCH, DELETE")

    def test_unknown_method(self):
        r = self.srv.request("BREW", "/Users")
        self.assertIn(r.status, (400, 405, 501), r)

    def test_too_large(self):
        body = '{"userName":"big","x":"' + "a" * (1024 * 1024 + 10) + '"}'
        r = self.srv.post("/Users", body)
        self.assertScimError(r, 413)

    def test_long_query_strings(self):
        # What etc/lighttpd-local.conf.in says: query strings up to about
        # 32 KiB reach the programs (a too long filter gets our SCIM
        # error); longer ones are refused by lighttpd itself, because
        # mod_fastcgi passes all of a request's parameters in one 64 KiB
        # record where the query string counts twice (QUERY_STRING and
        # REQUEST_URI).  Measured with lighttpd 1.4.69: 32,480 bytes pass.
        q = "/Users?filter=userName+eq+%22" + "a" * 32000 + "%22"
        self.assertGreater(len(q), 32000)
        r = self.srv.get(q)
        self.assertScimError(r, 400, "invalidFilter")
        self.assertIn("8192", r.json["detail"], "the filter cap, 8 KiB")
        r = self.srv.get("/Users?filter=userName+eq+%22" + "a" * 33000 + "%22")
        self.assertIn(r.status, (400, 414, 431), r)
        # Refused by lighttpd, not by the program (update the comment in
        # etc/lighttpd-local.conf.in if this changed), and still a SCIM
        # error: the web server's own error bodies (etc/scim-errors/).
        self.assertEqual(r.json["status"], str(r.status), r.body)
        self.assertNotIn("8192", r.json.get("detail", ""))

    def test_not_json(self):
        r = self.srv.post("/Users", "<xml/>", content_type="application/xml")
        self.assertScimError(r, 415)
        self.assertScimError(self.srv.post("/Users", "{nope"), 400, "invalidSyntax")

    def test_invalid_utf8_body(self):
        r = self.srv.post("/Users", b'{"userName":"\xff\xfe"}')
        self.assertScimError(r, 400, "invalidSyntax")

    def test_lowercase_users_path(self):
        r = self.srv.get("/users")
        self.assertEqual(r.status, 200, r)
        # Regression: the rewrite lost paths with a query string (404).
        r = self.srv.get("/users?filter=userName+eq+%22nobody%22&count=1")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["totalResults"], 0)
        r = self.srv.get("/serviceConfiguration?x=1")
        self.assertEqual(r.status, 200, r)


if __name__ == "__main__":
    scimtest.main()
