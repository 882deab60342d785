"""Bad input catalogue: hostile or broken requests, each with the answer it
must get, sent over raw sockets (so nothing is cleaned up on the way) to a
real lighttpd and the real programs.

Every entry expects one of:
  scim(status, scimType)  a SCIM error from our programs (RFC 7644 section
                          3.12 body, application/scim+json);
  web(statuses)           lighttpd refuses the request itself before any
                          program sees it (malformed HTTP, oversized
                          headers, unsafe paths); None in statuses allows no
                          answer at all (the client hung up mid-body);
  safe(status, check)     a harmless request with a normal answer, which
                          check() inspects (a filter full of SQL finds
                          nothing, a negative count gives an empty page...).

The store is dumped (db_dump of every database) before and after the whole
catalogue and must not change: no entry may write anything.  The only
records allowed to appear are audit events of refused bearer tokens
("outcome": "failure" in the audit key space), and a token's last_used time
stamp is ignored.  A second test sends SQL, HTML and script in every string
attribute of a real create and checks they are stored and returned byte for
byte and found by filter exactly.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robust  # noqa: E402
from robust import CORE_GROUP, CORE_USER, ENTERPRISE, ERROR, raw_request  # noqa: E402
import scimtest  # noqa: E402

BASE = "/scim/v2"
INJECT = [
    "' OR '1'='1' --",
    "\"; DROP TABLE users; --",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}${7*7}<%= 7*7 %>",
    "../../../../etc/passwd",
    "%00%0d%0aSet-Cookie: x=1",
    "\r\nX-Injected: 1",
    "\u202e\ufeff\U0001F600 \\ \" / \t",
    "Robert'); DELETE FROM members WHERE ('1'='1",
]


def scim(status, scim_type=None):
    return ("scim", status, scim_type)


def web(*statuses):
    return ("web", statuses)


def safe(status=200, check=None):
    return ("safe", status, check)


class Req:
    """One raw HTTP request.  path is under /scim/v2 unless it starts with
    "!" (then it is sent as is)."""

    def __init__(self, method, path, body=None, ct="application/scim+json", token="A",
                 headers=(), cl=None, version="HTTP/1.1", raw=None, shut_write=False, limit=10):
        self.method, self.path, self.body, self.ct = method, path, body, ct
        self.token, self.headers, self.cl, self.version = token, list(headers), cl, version
        self.raw, self.shut_write = raw, shut_write
        self.limit = limit          # seconds the answer may take

    def bytes(self, tokens):
        if self.raw is not None:
            return self.raw
        path = self.path[1:] if self.path.startswith("!") else BASE + self.path
        body = self.body
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        h = [("Host", "127.0.0.1")]
        if self.token is not None:
            h.append(("Authorization", "Bearer " + tokens.get(self.token, self.token)))
        if body is not None and self.ct is not None:
            h.append(("Content-Type", self.ct))
        if body is not None or self.cl is not None:
            h.append(("Content-Length", str(self.cl if self.cl is not None else len(body))))
        h += self.headers
        h.append(("Connection", "close"))
        head = "%s %s %s\r\n" % (self.method, path, self.version)
        head += "".join("%s: %s\r\n" % kv for kv in h) + "\r\n"
        return head.encode("utf-8", "surrogateescape") + (body or b"")


def deep(n, opener, closer, inner=b"1"):
    return b'{"userName":"deep","x":' + opener * n + inner + closer * n + b"}"


def patch(*ops):
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(ops)}


def injected_user(user_name):
    """A user with an injection string in every string attribute."""
    s = iter(INJECT * 4)
    return {"schemas": [CORE_USER, ENTERPRISE], "userName": user_name,
            "externalId": next(s), "displayName": next(s), "nickName": next(s),
            "title": next(s), "userType": next(s), "locale": next(s), "timezone": next(s),
            "profileUrl": next(s), "preferredLanguage": next(s),
            "name": {"givenName": next(s), "familyName": next(s), "formatted": next(s),
                     "middleName": next(s), "honorificPrefix": next(s)},
            "emails": [{"value": next(s), "type": next(s), "display": next(s)}],
            "phoneNumbers": [{"value": next(s), "type": "work"}],
            "addresses": [{"type": "work", "streetAddress": next(s), "locality": next(s),
                           "region": next(s), "postalCode": next(s), "country": next(s)}],
            "roles": [{"value": next(s), "display": next(s), "type": next(s)}],
            ENTERPRISE: {"employeeNumber": next(s), "department": next(s),
                         "costCenter": next(s), "organization": next(s), "division": next(s)}}


def total(n):
    """check(): a ListResponse with n results."""
    def check(tc, status, hdrs, body):
        j = json.loads(body)
        tc.assertEqual(j["totalResults"], n, j)
    return check


def page(start, items):
    def check(tc, status, hdrs, body):
        j = json.loads(body)
        tc.assertEqual((j["startIndex"], j["itemsPerPage"], len(j["Resources"])),
                       (start, items, items), j)
    return check


class BadInput(scimtest.ScimTestCase):

    @classmethod
    def setUpClass(cls):
        srv = cls.srv = robust.Server(procs=2).start()
        cls.tokens = {"A": srv.token, "B": srv.make_token(tenant="other-tenant")}
        tid = srv.token[5:21]
        cls.tokens["wrong-secret"] = "scim_%s_%s" % (tid, "0" * 64)
        r = srv.post("/Users", {"schemas": [CORE_USER], "userName": "victim@example.com",
                                "displayName": "Victim", "emails": [{"value": "v@example.com", "type": "work"}],
                                "title": "t"})
        assert r.status == 201, r
        cls.uid = r.json["id"]
        cls.uver = r.json["meta"]["version"]
        r = srv.post("/Groups", {"schemas": [CORE_GROUP], "displayName": "Victims",
                                 "members": [{"value": cls.uid}]})
        assert r.status == 201, r
        cls.gid = r.json["id"]
        r = srv.post("/Users", scimtest.user("b-user"), token=cls.tokens["B"])
        assert r.status == 201, r
        cls.b_uid = r.json["id"]

    def catalogue(self):
        """(name, Req, expectation) for every entry."""
        U, G, BU = self.uid, self.gid, self.b_uid
        big_filter = 'userName eq "%s"' % ("a" * 1000000)
        C = []

        def add(name, req, exp):
            C.append((name, req, exp))

        # --- authentication ---
        add("no Authorization", Req("GET", "/Users", token=None), scim(401))
        add("Basic scheme", Req("GET", "/Users", token=None,
                                headers=[("Authorization", "Basic YWRtaW46YWRtaW4=")]), scim(401))
        add("garbage bearer", Req("GET", "/Users", token="not-a-token"), scim(401))
        add("16 KB bearer", Req("GET", "/Users", token="scim_" + "f" * 16000), scim(401))
        add("token with trailing junk", Req("GET", "/Users", token=self.tokens["A"] + "x"), scim(401))
        add("right id, wrong secret", Req("GET", "/Users", token="wrong-secret"), scim(401))
        add("two Authorization headers", Req("GET", "/Users",
                                             headers=[("Authorization", "Bearer x")]), scim(401))
        add("token in the query string", Req("GET", "/Users?access_token=" + self.tokens["A"],
                                             token=None), scim(401))
        add("bearer in lower case", Req("GET", "/Users", token=None,
                                        headers=[("Authorization", "bearer " + self.tokens["A"])]),
            safe(200, total(1)))

        # --- size and truncation ---
        add("body over max_body (1.1 MB)", Req("POST", "/Users", b'{"userName":"big","title":"'
                                               + b"x" * (1100 * 1024) + b'"}'), scim(413))
        add("Content-Length above what is sent, then hang up",
            Req("POST", "/Users", b'{"userName":"cut"', cl=100, shut_write=True), web(None, 400, 408))
        add("truncated JSON", Req("POST", "/Users", '{"userName":"x","emails":[{"value":'),
            scim(400, "invalidSyntax"))
        add("lone brace", Req("POST", "/Users", "{"), scim(400, "invalidSyntax"))
        add("empty body", Req("POST", "/Users", b""), scim(400, "invalidSyntax"))
        add("JSON null", Req("POST", "/Users", "null"), scim(400, "invalidSyntax"))
        add("JSON array", Req("POST", "/Users", '["userName","x"]'), scim(400, "invalidSyntax"))
        add("JSON string", Req("POST", "/Users", '"userName"'), scim(400, "invalidSyntax"))
        add("data after the JSON value", Req("POST", "/Users", '{"userName":"smuggled"} junk'),
            scim(400, "invalidSyntax"))
        add("two JSON objects", Req("POST", "/Users", '{"userName":"one"}{"userName":"two"}'),
            scim(400, "invalidSyntax"))
        # RFC 8259 lets a parser ignore a byte order mark: the body is
        # then judged on its content (here: no userName).
        add("byte order mark, no userName", Req("POST", "/Users", b'\xef\xbb\xbf{"title":"bom"}'),
            scim(400, "invalidValue"))
        add("byte order mark inside", Req("POST", "/Users", b'{\xef\xbb\xbf"userName":"bom"}'),
            scim(400, "invalidSyntax"))

        # --- content type ---
        add("text/plain", Req("POST", "/Users", '{"userName":"x"}', ct="text/plain"), scim(415))
        add("application/xml", Req("POST", "/Users", "<User><userName>x</userName></User>",
                                   ct="application/xml"), scim(415))
        add("multipart/form-data", Req("POST", "/Users", "--b\r\n\r\nx\r\n--b--",
                                       ct="multipart/form-data; boundary=b"), scim(415))
        add("form-urlencoded", Req("POST", "/Users", "userName=x",
                                   ct="application/x-www-form-urlencoded"), scim(415))
        add("no Content-Type, broken JSON", Req("POST", "/Users", '{"userName":', ct=None),
            scim(400, "invalidSyntax"))
        add("PATCH as text/html", Req("PATCH", "/Users/" + U, "<b>hi</b>", ct="text/html"), scim(415))

        # --- encodings ---
        add("invalid UTF-8", Req("POST", "/Users", b'{"userName":"\xc3\x28"}'), scim(400, "invalidSyntax"))
        add("overlong UTF-8 slash", Req("POST", "/Users", b'{"userName":"\xc0\xaf"}'),
            scim(400, "invalidSyntax"))
        add("UTF-8 encoded surrogate", Req("POST", "/Users", b'{"userName":"\xed\xa0\x80"}'),
            scim(400, "invalidSyntax"))
        add("0xFF byte", Req("POST", "/Users", b'{"userName":"\xff"}'), scim(400, "invalidSyntax"))
        add("raw NUL byte", Req("POST", "/Users", b'{"userName":"a\x00b"}'), scim(400, "invalidSyntax"))
        add("\\u0000 in a value", Req("POST", "/Users", '{"userName":"admin\\u0000evil"}'),
            scim(400, "invalidSyntax"))
        add("\\u0000 in a name", Req("POST", "/Users", '{"userName":"x","title\\u0000":"y"}'),
            scim(400, "invalidSyntax"))
        add("lone surrogate escape", Req("POST", "/Users", '{"userName":"s\\ud800x"}'),
            scim(400, "invalidSyntax"))

        # --- structure: nesting, duplicates, numbers ---
        add("arrays nested 100,000 deep", Req("POST", "/Users", deep(100000, b"[", b"]")),
            scim(400, "invalidSyntax"))
        add("objects nested 100,000 deep", Req("POST", "/Users", deep(100000, b'{"a":', b"}")),
            scim(400, "invalidSyntax"))
        add("PATCH value nested 100,000 deep", Req("PATCH", "/Users/" + U,
                                                   b'{"Operations":[{"op":"add","path":"title","value":'
                                                   + b"[" * 100000 + b"]" * 100000 + b"}]}"),
            scim(400, "invalidSyntax"))
        add("duplicate key", Req("POST", "/Users", '{"userName":"a","userName":"b"}'),
            scim(400, "invalidSyntax"))
        add("duplicate key, other case", Req("POST", "/Users", '{"userName":"a","USERNAME":"b"}'),
            scim(400, "invalidSyntax"))
        add("duplicate nested key", Req("POST", "/Users",
                                        '{"userName":"a","name":{"givenName":"x","givenname":"y"}}'),
            scim(400, "invalidSyntax"))
        add("duplicate among 100 keys", Req("POST", "/Users", json.dumps(
            dict([("k%03d" % i, i) for i in range(100)] + [("userName", "d")]))[:-1] + ',"K050":1}'),
            scim(400, "invalidSyntax"))
        # Duplicate names were once found by comparing every pair: 10 s
        # of CPU for this body.  Now it must be answered at once.
        add("70,000 distinct keys, no userName (answered within 3 s)",
            Req("POST", "/Users", json.dumps({"k%06d" % i: 0 for i in range(70000)}), limit=3),
            scim(400, "invalidValue"))
        add("1e999 for a boolean", Req("POST", "/Users", '{"userName":"n","active":1e999}'),
            scim(400, "invalidValue"))
        add("huge integer for a string", Req("POST", "/Users",
                                             '{"userName":"n","title":123456789012345678901234567890}'),
            scim(400, "invalidValue"))
        add("number for userName", Req("POST", "/Users", '{"userName":1e308}'), scim(400, "invalidValue"))
        add("PATCH 1e999 into title", Req("PATCH", "/Users/" + U,
                                          '{"Operations":[{"op":"replace","path":"title","value":1e999}]}'),
            scim(400, "invalidValue"))
        add(".search count 1e300", Req("POST", "/Users/.search", '{"count":1e300}'), scim(400, "invalidValue"))

        # --- filters ---
        def f(q):
            return "/Users?filter=" + q
        add("unbalanced (", Req("GET", f('(userName+eq+%22a%22')), scim(400, "invalidFilter"))
        add("unbalanced )", Req("GET", f('userName+eq+%22a%22)')), scim(400, "invalidFilter"))
        add("unbalanced [", Req("GET", f('emails[type+eq+%22work%22')), scim(400, "invalidFilter"))
        add("unterminated string", Req("GET", f('userName+eq+%22abc')), scim(400, "invalidFilter"))
        add("100 nested parentheses", Req("GET", f("(" * 100 + "userName+pr" + ")" * 100)),
            scim(400, "invalidFilter"))
        add("unknown operator", Req("GET", f("userName+xx+1")), scim(400, "invalidFilter"))
        add("30 KB filter", Req("GET", f("userName+eq+%22" + "a" * 30000 + "%22")),
            scim(400, "invalidFilter"))
        add("1 MB filter in the URL", Req("GET", f("a" * 1000000)), web(414, 431, 400))
        add("1 MB filter in .search", Req("POST", "/Users/.search", {"filter": big_filter}),
            scim(400, "invalidFilter"))
        add("filter as a number in .search", Req("POST", "/Users/.search", {"filter": 5}),
            scim(400, "invalidFilter"))
        add("SQL after a filter", Req("GET", f("userName+eq+%22x%22+or+1%3D1--")),
            scim(400, "invalidFilter"))
        add("SQL inside a filter value", Req("GET", f("userName+eq+%22x%27+OR+%271%27%3D%271%22")),
            safe(200, total(0)))
        add("script inside a filter value",
            Req("GET", f("displayName+co+%22%3Cscript%3Ealert(1)%3C%2Fscript%3E%22")), safe(200, total(0)))
        add("filter on a password", Req("GET", f("password+pr")), safe(200, total(0)))

        # --- paging and query parameters ---
        add("startIndex -5, count -1", Req("GET", "/Users?startIndex=-5&count=-1"), safe(200, page(1, 0)))
        add("startIndex 0", Req("GET", "/Users?startIndex=0&count=10"), safe(200, page(1, 1)))
        add("startIndex 2^62, count 10^6", Req("GET", "/Users?startIndex=4611686018427387904&count=1000000"),
            safe(200, page(4611686018427387904, 0)))
        add("startIndex 10^20", Req("GET", "/Users?startIndex=99999999999999999999"), scim(400, "invalidValue"))
        add("count 1e3", Req("GET", "/Users?count=1e3"), scim(400, "invalidValue"))
        add("count empty", Req("GET", "/Users?count="), scim(400, "invalidValue"))
        add("count with spaces", Req("GET", "/Users?count=+5"), scim(400, "invalidValue"))
        add("sortBy ../../etc", Req("GET", "/Users?sortBy=../../etc"), scim(400, "invalidValue"))
        add("sortOrder sideways", Req("GET", "/Users?sortOrder=sideways"), scim(400, "invalidValue"))
        add("100 query parameters", Req("GET", "/Users?" + "&".join("p%d=1" % i for i in range(100))),
            scim(400, "invalidValue"))
        # lighttpd passes a bad %-escape on as %25 (so the program sees a
        # literal '%'), and refuses %00 in the query itself.
        add("bad %-escape", Req("GET", "/Users?filter=%ZZ"), scim(400, "invalidFilter"))
        add("bad %-escape in count", Req("GET", "/Users?count=%G1"), scim(400, "invalidValue"))
        add("%00 in a parameter", Req("GET", "/Users?filter=userName+eq+%22a%00b%22"), web(400))
        add("invalid UTF-8 in a parameter", Req("GET", "/Users?filter=userName+eq+%22%C3%28%22"),
            scim(400, "invalidSyntax"))
        add("attributes=<script>", Req("GET", "/Users?attributes=%3Cscript%3Ealert(1)%3C/script%3E"),
            safe(200, total(1)))
        add("excludedAttributes=' OR 1=1", Req("GET", "/Users?excludedAttributes=%27+OR+1%3D1"),
            safe(200, total(1)))

        # --- paths and ids ---
        add("../ in the path", Req("GET", "/Users/../../../../etc/passwd"), web(400, 404))
        add("%2F-encoded ../", Req("GET", "/Users/..%2F..%2F..%2Fetc%2Fpasswd"), web(400, 404))
        add("%2e%2e segments", Req("GET", "/Users/%2e%2e/%2e%2e/Groups"), web(400, 404))
        add("%00 in the id", Req("GET", "/Users/" + U + "%00"), web(400))
        add("%FF%FE in the id", Req("GET", "/Users/%FF%FE"), web(400))
        add("10,000-character id", Req("GET", "/Users/" + "a" * 10000), scim(404))
        add("id with a slash inside", Req("GET", "/Users/a/b"), scim(404))
        add("SQL as the id", Req("GET", "/Users/x%27%20OR%20%271%27%3D%271"), scim(404))
        add("script as the id", Req("DELETE", "/Users/%3Cscript%3E"), scim(404))
        add("unknown schema URN", Req("GET", "/Schemas/urn:bogus"), scim(404))
        add("unknown endpoint", Req("GET", "/Nothing"), web(404))

        # --- methods ---
        add("method FOO", Req("FOO", "/Users"), web(501, 400, 405))
        add("TRACE", Req("TRACE", "/Users"), scim(405))
        add("OPTIONS", Req("OPTIONS", "/Users"), scim(405))
        add("PUT on the collection", Req("PUT", "/Users", '{"userName":"x"}'), scim(405))
        add("DELETE on the collection", Req("DELETE", "/Users"), scim(405))
        add("PATCH on the collection", Req("PATCH", "/Users", patch()), scim(405))
        add("POST to an id", Req("POST", "/Users/" + U, '{"userName":"x"}'), scim(405))
        add("GET .search", Req("GET", "/Users/.search"), scim(405))
        add("POST /ServiceProviderConfig", Req("POST", "/ServiceProviderConfig", "{}"), scim(405))
        add("X-HTTP-Method-Override: DELETE", Req("GET", "/Users/" + U,
                                                  headers=[("X-HTTP-Method-Override", "DELETE")]), safe(200))

        # --- headers and HTTP framing ---
        add("2,000 small headers", Req("GET", "/Users", headers=[("X-F%d" % i, "v") for i in range(2000)]),
            safe(200, total(1)))
        add("20,000 headers", Req("GET", "/Users", headers=[("X-F%d" % i, "v") for i in range(20000)]),
            web(431, 400))
        add("one 200 KB header", Req("GET", "/Users", headers=[("X-Big", "v" * 200000)]), web(431, 400))
        add("Host with a path and markup", Req("GET", "/Users",
                                               raw=b"GET " + BASE.encode() + b"/Users HTTP/1.1\r\n"
                                               b"Host: evil.example/<script>\r\nConnection: close\r\n\r\n"),
            web(400))
        add("garbage request line", Req("GET", "", raw=b"\x00\x01\x02 garbage\r\n\r\n"), web(400))
        add("HTTP/0.9 request", Req("GET", "", raw=b"GET " + BASE.encode() + b"/Users\r\n\r\n"), web(400, None))
        add("Content-Length -1", Req("POST", "/Users", b"{}", cl=-1), web(400))
        add("two Content-Lengths", Req("POST", "/Users", b"{}", headers=[("Content-Length", "3")]), web(400))
        add("malformed chunked body", Req("POST", "/Users", b"zz\r\nxx\r\n0\r\n\r\n", cl=None,
                                          headers=[("Transfer-Encoding", "chunked")]), web(400))
        add("Content-Length 100 GB", Req("POST", "/Users", b"{}", cl=99999999999), web(413))
        add("If-Match garbage", Req("PATCH", "/Users/" + U, patch({"op": "replace", "path": "title", "value": "x"}),
                                    headers=[("If-Match", "<script>")]), scim(412))
        add("If-Match stale on DELETE", Req("DELETE", "/Users/" + U, headers=[("If-Match", 'W/"999"')]),
            scim(412))
        add("If-Match stale on PUT", Req("PUT", "/Users/" + U, scimtest.user("victim@example.com"),
                                         headers=[("If-Match", 'W/"0"')]), scim(412))

        # --- another tenant's ids (token B) ---
        add("tenant B GETs A's user", Req("GET", "/Users/" + U, token="B"), scim(404))
        add("tenant B PATCHes A's user", Req("PATCH", "/Users/" + U, patch(
            {"op": "replace", "path": "title", "value": "owned"}), token="B"), scim(404))
        add("tenant B PUTs A's user", Req("PUT", "/Users/" + U, scimtest.user("owned"), token="B"), scim(404))
        add("tenant B DELETEs A's user", Req("DELETE", "/Users/" + U, token="B"), scim(404))
        add("tenant B GETs A's group", Req("GET", "/Groups/" + G, token="B"), scim(404))
        add("tenant B adds itself to A's group", Req("PATCH", "/Groups/" + G, patch(
            {"op": "add", "path": "members", "value": [{"value": BU}]}), token="B"), scim(404))
        add("tenant B DELETEs A's group", Req("DELETE", "/Groups/" + G, token="B"), scim(404))
        add("tenant B filters on A's id", Req("GET", "/Users?filter=id+eq+%22" + U + "%22", token="B"),
            safe(200, total(0)))

        # --- writes that must be refused whole ---
        add("PATCH Operations not an array", Req("PATCH", "/Users/" + U, {"Operations": {"op": "add"}}),
            scim(400, "invalidSyntax"))
        add("PATCH op move", Req("PATCH", "/Users/" + U, patch({"op": "move", "path": "title", "value": "x"})),
            scim(400, "invalidSyntax"))
        add("PATCH path emails[", Req("PATCH", "/Users/" + U, patch({"op": "add", "path": "emails[", "value": "x"})),
            scim(400, "invalidPath"))
        add("PATCH remove without path", Req("PATCH", "/Users/" + U, patch({"op": "remove"})),
            scim(400, "noTarget"))
        add("PATCH replace id", Req("PATCH", "/Users/" + U, patch({"op": "replace", "path": "id", "value": "x"})),
            scim(400, "mutability"))
        add("PATCH active maybe", Req("PATCH", "/Users/" + U, patch({"op": "replace", "path": "active",
                                                                    "value": "maybe"})),
            scim(400, "invalidValue"))
        ops = [{"op": "replace", "path": p, "value": v} for p, v in zip(
            ["title", "displayName", "nickName", "name.givenName", 'emails[type eq "work"].value',
             ENTERPRISE + ":department", "userType", "locale", "profileUrl", "externalId"], INJECT)]
        add("PATCH injection everywhere, last op fails", Req("PATCH", "/Users/" + U, patch(
            *ops, {"op": "remove", "path": 'emails[type eq "nowhere"]'})), scim(400, "noTarget"))
        add("PATCH pathless injection, then a bad op", Req("PATCH", "/Users/" + U, patch(
            {"op": "replace", "value": {"name.familyName": INJECT[0], "title": INJECT[2]}},
            {"op": "replace", "path": "id", "value": INJECT[1]})), scim(400, "mutability"))
        add("POST injection everywhere, duplicate userName",
            Req("POST", "/Users", injected_user("VICTIM@example.com")), scim(409, "uniqueness"))
        add("POST group injection, duplicate displayName",
            Req("POST", "/Groups", {"displayName": "victims", "externalId": INJECT[0],
                                    "members": [{"value": INJECT[2], "display": INJECT[3]}]}),
            scim(409, "uniqueness"))
        add("PUT without userName", Req("PUT", "/Users/" + U, {"displayName": INJECT[2]}),
            scim(400, "invalidValue"))
        add("POST empty userName", Req("POST", "/Users", {"userName": ""}), scim(400, "invalidValue"))
        add("PATCH group with 5,000 unknown members", Req("PATCH", "/Groups/" + G, patch(
            {"op": "add", "path": "members", "value": [{"value": "ghost-%d" % i} for i in range(5000)]})),
            safe(204))
        add(".search attributes [1]", Req("POST", "/Users/.search", {"attributes": [1]}),
            scim(400, "invalidValue"))
        add(".search body not JSON", Req("POST", "/Users/.search", "filter=userName"), scim(400, "invalidSyntax"))
        add("DELETE an unknown id", Req("DELETE", "/Groups/00000000-0000-0000-0000-000000000000"), scim(404))
        return C

    def check_entry(self, name, req, exp):
        t0 = time.monotonic()
        status, hdrs, body = raw_request(self.srv.port, req.bytes(self.tokens), timeout=20,
                                         shut_write=req.shut_write)
        took = time.monotonic() - t0
        self.assertLess(took, req.limit, "took %.1f s" % took)
        kind = exp[0]
        if kind == "web":
            self.assertIn(status, exp[1], body[:300])
            if status is not None:
                # Not ours: the web server's own error, which is one of its
                # SCIM error bodies (etc/scim-errors/), never our programs'.
                self.assertTrue(scimtest.web_error_body(body), body[:300])
            return
        self.assertTrue(hdrs.get("content-type", "").startswith("application/scim+json"), (status, hdrs))
        if kind == "safe":
            self.assertEqual(status, exp[1], body[:300])
            if exp[2] is not None:
                exp[2](self, status, hdrs, body)
            return
        _, want, scim_type = exp
        self.assertEqual(status, want, body[:300])
        j = json.loads(body)
        self.assertEqual(j.get("schemas"), [ERROR], j)
        self.assertEqual(j.get("status"), str(want), j)
        self.assertTrue(j.get("detail"), j)
        self.assertEqual(j.get("scimType"), scim_type, j)
        if want == 401:
            self.assertIn("www-authenticate", hdrs)
        if want == 405:
            self.assertIn("allow", hdrs)

    def test_catalogue(self):
        # Use every token once first, so last_used is written before the
        # dump (and is ignored anyway: it may tick during the run).
        for t in ("A", "B"):
            self.srv.get("/Users", token=self.tokens[t])
        before = robust.dump_store(self.srv)
        entries = self.catalogue()
        failed = []
        for name, req, exp in entries:
            try:
                self.check_entry(name, req, exp)
            except Exception as e:  # noqa: B902 - collected and reported
                failed.append("%s: %s" % (name, str(e)[:400]))
        print("# catalogue: %d entries, %d failed" % (len(entries), len(failed)))
        after = robust.dump_store(self.srv)
        events = []
        diffs = robust.diff_dumps(normalise(before), normalise(after),
                                  allowed=lambda *rec: refused_token_event(*rec) and not events.append(1))
        print("# store: %d audit events of refused tokens added, %d other changes" % (len(events), len(diffs)))
        self.assertEqual(failed, [], "\n".join(failed))
        self.assertEqual(diffs, [], "\n".join(diffs[:20]))
        self.assertGreaterEqual(len(entries), 60)
        # The fixture is still served as it was.
        r = self.srv.get("/Users/" + self.uid)
        self.assertEqual((r.status, r.json["meta"]["version"]), (200, self.uver))

    def test_injection_stored_verbatim(self):
        body = injected_user("inject-" + INJECT[0])
        r = self.srv.post("/Users", body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers["content-type"], "application/scim+json")
        uid = r.json["id"]
        got = self.srv.get("/Users/" + uid).json
        for k in ("userName", "externalId", "displayName", "nickName", "title", "userType",
                  "locale", "timezone", "profileUrl", "preferredLanguage"):
            self.assertEqual(got[k], body[k], k)
        self.assertEqual(got["name"], body["name"])
        # emails.display is not in the schema (Entra's validator rejects
        # it), so it is not kept.
        self.assertEqual(got["emails"], [{k: v for k, v in e.items() if k != "display"}
                                         for e in body["emails"]])
        self.assertEqual(got["addresses"][0]["streetAddress"], body["addresses"][0]["streetAddress"])
        self.assertEqual(got[ENTERPRISE]["department"], body[ENTERPRISE]["department"])
        # The header-splitting strings never became headers.
        self.assertNotIn("x-injected", r.headers)
        self.assertNotIn("set-cookie", r.headers)
        # Filtering by each value finds exactly this user.
        for attr in ("externalId", "displayName", "title", "nickName"):
            q = json.dumps(body[attr])
            r = self.srv.post("/Users/.search", {"filter": "%s eq %s" % (attr, q)})
            self.assertEqual((r.status, r.json.get("totalResults")), (200, 1), (attr, r))
        self.assertEqual(self.srv.delete("/Users/" + uid).status, 204)
        self.assertEqual(self.srv.get("/Users/" + uid).status, 404)


def normalise(dump):
    """A dump without what may change by itself: tokens' last_used."""
    out = {}
    for f, recs in dump.items():
        if f == "tokens.db":
            recs = [(k, _without_last_used(v)) for k, v in recs]
        out[f] = recs
    return out


def _without_last_used(v):
    try:
        j = json.loads(v)
    except ValueError:
        return v
    j.pop("last_used", None)
    return json.dumps(j, sort_keys=True).encode()


def refused_token_event(f, key, value):
    """New records allowed: audit events of failures (refused tokens)."""
    if f != "kv.db":
        return False
    parts = key.split(b"\0")
    if len(parts) < 3 or parts[1] != b"audit":
        return False
    try:
        ev = json.loads(value)
    except ValueError:
        return False
    return ev.get("outcome") == "failure"


if __name__ == "__main__":
    scimtest.main()
