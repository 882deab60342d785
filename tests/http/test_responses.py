"""Response bytes over HTTP: a fixed script of requests (users with every
attribute kind, a custom extension, groups with members, ?attributes= and
?excludedAttributes= variants, lists, PATCH, PUT, errors) whose answers must
match tests/http/responses.golden byte for byte once ids and times are
replaced by placeholders.  The other suites compare parsed JSON; this one
keeps the member order and the printing of the answers from changing by
accident (the renderer and printer are tuned for speed).

SCIM_GOLDEN_UPDATE=1 rewrites the golden file instead of comparing."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "responses.golden")
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_U = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_G = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
HOST = re.compile(r"http://127\.0\.0\.1:\d+")
HEADERS = ("content-type", "location", "etag")


def full_user(name, ext_id, manager=None, group=None):
    """A User body with every kind of attribute, some sent loosely."""
    u = {"schemas": [CORE_U, ENT], "UserName": name, "externalId": ext_id, "id": "ignored",
         "name": {"givenName": "Full", "familyName": "User", "middleName": "M",
                  "honorificPrefix": "Dr"},
         "displayName": "Full User", "nickName": "F", "profileUrl": "https://x/f", "title": "T",
         "userType": "Employee", "preferredLanguage": "de", "locale": "de-DE",
         "timezone": "Europe/Berlin", "active": "False", "password": "secret",
         "emails": [{"value": "a@example.com", "type": "work", "primary": "true"},
                    {"value": "b@example.com", "type": "home", "display": "B"}],
         "phoneNumbers": {"value": "+1 555", "type": "mobile"},
         "ims": [{"value": "im", "type": "xmpp"}],
         "photos": [{"value": "https://p/1", "type": "photo"}],
         "addresses": [{"streetAddress": "1 Main", "locality": "X", "postalCode": "1",
                        "country": "US", "type": "work", "formatted": "1 Main X"}],
         "entitlements": [{"value": "e1"}], "roles": [{"value": "r1", "primary": False}],
         "x509Certificates": [{"value": "MIIB"}], "meta": {"created": "x"},
         ENT: {"employeeNumber": "7", "costCenter": "c", "organization": "o",
               "division": "d", "department": "dep"},
         "urn:example:custom:1.0": {"alpha": 1, "beta": [1, 2.5, 1e21, -0.0, 3.14159],
                                    "gamma": {"x": None, "y": True}}}
    if manager:
        u[ENT]["manager"] = manager
    if group:
        u["groups"] = [{"value": group}]
    return u


class Responses(ScimTestCase):
    def test_golden(self):
        srv = self.srv
        ids = {}
        out = []

        def norm(text):
            text = HOST.sub("http://HOST", TIME.sub("TIME", text))
            return UUID.sub(lambda m: ids.setdefault(m.group(0), "ID%d" % (len(ids) + 1)),
                            text)

        def req(label, method, path, body=None, headers=None):
            r = srv.request(method, path, body, headers=headers)
            hs = "".join("%s: %s\n" % (h, r.headers[h]) for h in HEADERS if h in r.headers)
            out.append("%s %s %s\n%d\n%s%s\n" % (label, method, norm(path), r.status,
                                                norm(hs), norm(r.text)))
            return r

        a = req("plain user", "POST", "/Users", {"schemas": [CORE_U], "userName": "plain@example.com",
                                                 "name": {"givenName": "P"}}).json["id"]
        b = req("second user", "POST", "/Users", {"schemas": [CORE_U], "userName": "second@example.com",
                                                  "externalId": "s2", "active": True}).json["id"]
        # Members and scans come in id order, and ids are random: every
        # list here holds one entry, or is sorted by name.
        g = req("group", "POST", "/Groups", {"schemas": [CORE_G], "displayName": "G1",
                                             "externalId": "g1",
                                             "members": [{"value": a, "display": "custom"},
                                                         "unknown"]}).json["id"]
        g2 = req("nested group", "POST", "/Groups", {"schemas": [CORE_G], "displayName": "G2",
                                                     "members": [{"value": g}]}).json["id"]
        g3 = req("empty group", "POST", "/Groups?excludedAttributes=members",
                 {"schemas": [CORE_G], "displayName": "G3"}).json["id"]
        f = req("full user", "POST", "/Users",
                full_user("Full.User@example.com", "full-1", manager=a, group=g)).json["id"]
        req("duplicate", "POST", "/Users", full_user("full.user@EXAMPLE.com", "full-2"))
        req("bad json", "POST", "/Users", "{bad json")
        req("blank name", "POST", "/Users", {"schemas": [], "userName": "   "})
        req("wrong type", "POST", "/Users", {"schemas": [CORE_U], "userName": "w", "active": 3})
        req("created with attributes", "POST", "/Users?attributes=userName,emails.value",
            full_user("attrs@example.com", "a2"))
        req("created with excludedAttributes", "POST",
            "/Users?excludedAttributes=emails,name.givenName," + ENT + ":manager",
            full_user("excl@example.com", "a3", manager=b))
        req("add member", "PATCH", "/Groups/" + g3,
            {"schemas": [PATCH], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": f}]}]})
        for q in ["", "?attributes=userName,emails.value",
                  "?excludedAttributes=emails,name.givenName",
                  "?attributes=" + ENT + ":department", "?excludedAttributes=groups",
                  "?attributes=groups", '?attributes=emails[type eq "work"].value',
                  "?attributes=urn:example:custom:1.0:alpha", "?attributes=meta.version,id",
                  "?excludedAttributes=meta,externalId", "?attributes=nonsense",
                  "?excludedAttributes=urn:example:custom:1.0"]:
            req("get", "GET", "/Users/" + f + q.replace(" ", "%20").replace('"', "%22"))
        req("get plain", "GET", "/Users/" + a)
        req("not found", "GET", "/Users/nonexistent")
        req("not modified", "GET", "/Users/" + f, headers={"If-None-Match": 'W/"1"'})
        for q in ['filter=userName eq "plain@example.com"', 'filter=userName eq "nobody"',
                  'filter=userName eq "FULL.USER@example.com"&attributes=userName',
                  'filter=externalId eq "s2"', 'filter=userName sw "s"&count=3&startIndex=1',
                  "filter=bad filter", "startIndex=2&count=2",
                  "count=3&sortBy=userName&sortOrder=descending",
                  'filter=emails[type eq "work" and value co "a@"]&sortBy=userName',
                  'filter=groups.value eq "' + g + '"&excludedAttributes=groups',
                  'filter=groups.value eq "' + g3 + '"',
                  "count=0", "startIndex=-4&count=1"]:
            req("list", "GET", "/Users?" + q.replace(" ", "%20").replace('"', "%22"))
        req("search", "POST", "/Users/.search",
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
             "filter": 'userName eq "second@example.com"', "attributes": ["userName", "name"]})
        req("patch user", "PATCH", "/Users/" + b,
            {"schemas": [PATCH], "Operations": [
                {"op": "Replace", "path": "title", "value": "New"},
                {"op": "add", "path": 'emails[type eq "work"].value', "value": "n@x"},
                {"op": "Replace", "value": {"active": "False", ENT + ":department": "D2"}}]})
        req("put user", "PUT", "/Users/" + b, full_user("second@example.com", "put"))
        req("put precondition", "PUT", "/Users/" + b, full_user("second@example.com", "put"),
            headers={"If-Match": 'W/"1"'})
        req("get group", "GET", "/Groups/" + g)
        req("get group", "GET", "/Groups/" + g + "?excludedAttributes=members")
        req("get group", "GET", "/Groups/" + g + "?attributes=members.value")
        req("get group", "GET", "/Groups/" + g2)
        req("get group", "GET", "/Groups/" + g3)
        req("list groups", "GET", "/Groups?filter=displayName%20eq%20%22G1%22")
        req("patch group", "PATCH", "/Groups/" + g,
            {"schemas": [PATCH], "Operations": [
                {"op": "remove", "path": 'members[value eq "' + a + '"]'}]})
        req("patch group shown", "PATCH", "/Groups/" + g + "?attributes=displayName",
            {"schemas": [PATCH], "Operations": [
                {"op": "replace", "path": "displayName", "value": "Renamed"}]})
        req("delete", "DELETE", "/Users/" + a)
        req("deleted", "GET", "/Users/" + a)
        req("group after delete", "GET", "/Groups/" + g2)
        text = "".join(out)
        if os.environ.get("SCIM_GOLDEN_UPDATE"):
            with open(GOLDEN, "w") as fh:
                fh.write(text)
            return
        with open(GOLDEN) as fh:
            want = fh.read()
        if text != want:
            for i, (x, y) in enumerate(zip(want.split("\n"), text.split("\n"))):
                if x != y:
                    self.fail("line %d differs\n want: %s\n  got: %s" % (i + 1, x[:2000],
                                                                       y[:2000]))
            self.fail("the answers differ in length from %s" % GOLDEN)


if __name__ == "__main__":
    scimtest.main()
