"""Tenant isolation: a token of tenant B can neither read, list, filter,
patch, replace nor delete tenant A's users or groups, cannot tie A's
resources into its own groups, and cannot even learn whether an id or a
name exists in A: every answer about A's resources is byte for byte the
answer about an id nobody has (after putting the id itself aside), and
names are unique per tenant, so creating A's userName in B succeeds
instead of revealing a conflict.  Finally, the store's own keys are
checked: every record of B lies under B's prefix and names only B's ids.
"""

import json
import os
import sys
import uuid
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robust  # noqa: E402
from robust import ENTERPRISE, patch_body  # noqa: E402
import scimtest  # noqa: E402
from scimtest import group, user  # noqa: E402

TENANT_B = "tenant-b.example"


def q(s):
    return quote(s, safe="")


class Isolation(scimtest.ScimTestCase):

    @classmethod
    def setUpClass(cls):
        srv = cls.srv = robust.Server(procs=2).start()
        cls.a = srv.token
        cls.b = srv.make_token(tenant=TENANT_B)

        def mk(path, body, tok):
            r = srv.post(path, body, token=tok)
            assert r.status == 201, r
            return r.json

        cls.ua2 = mk("/Users", user("a.two@a.example"), cls.a)
        cls.ua1 = mk("/Users", user("a.one@a.example", externalId="shared-ext", displayName="Alpha One",
                                    emails=[{"value": "a.one@a.example", "type": "work"}],
                                    **{ENTERPRISE: {"manager": cls.ua2["id"], "department": "Secret"}}),
                     cls.a)
        cls.ga = mk("/Groups", group("A Team", externalId="shared-group",
                                     members=[{"value": cls.ua1["id"]}]), cls.a)
        cls.ub1 = mk("/Users", user("b.one@b.example", externalId="shared-ext", displayName="Beta One"), cls.b)
        cls.gb = mk("/Groups", group("B Team", members=[{"value": cls.ub1["id"]}]), cls.b)
        cls.a_ids = [cls.ua1["id"], cls.ua2["id"], cls.ga["id"]]

    def as_b(self, method, path, body=None, headers=None):
        return self.srv.request(method, path, body, token=self.b, headers=headers)

    def assertNoTraceOfA(self, r):
        for s in self.a_ids + ["a.one@a.example", "a.two@a.example", "A Team", "Secret", "Alpha One"]:
            self.assertNotIn(s, r.text, r)

    def assertLikeMissing(self, method, path_fmt, real_id, body=None, headers=None):
        """B's answer about A's real_id equals its answer about a fresh id,
        apart from the id itself."""
        fake = str(uuid.uuid4())
        self.assertEqual(len(fake), len(real_id))
        answers = []
        for i in (real_id, fake):
            r = self.as_b(method, path_fmt % i, body, headers)
            hdrs = sorted((k, v) for k, v in r.headers.items() if k not in ("date",))
            answers.append((r.status, r.text.replace(i, "<id>"), hdrs))
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0][0], 404, answers[0])
        return answers[0]

    def assertAUnchanged(self):
        for res, ep in ((self.ua1, "/Users/"), (self.ua2, "/Users/"), (self.ga, "/Groups/")):
            r = self.srv.get(ep + res["id"])
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["meta"]["version"], res["meta"]["version"], r)
        r = self.srv.get("/Groups/" + self.ga["id"])
        self.assertEqual([m["value"] for m in r.json["members"]], [self.ua1["id"]])

    def test_read(self):
        for path in ("/Users/%s", "/Users/%s?attributes=userName", "/Users/%s?excludedAttributes=groups"):
            self.assertLikeMissing("GET", path, self.ua1["id"])
        self.assertLikeMissing("GET", "/Groups/%s", self.ga["id"])
        self.assertLikeMissing("GET", "/Groups/%s?excludedAttributes=members", self.ga["id"])
        # Conditional reads do not tell either (304/412 would).
        self.assertLikeMissing("GET", "/Users/%s", self.ua1["id"], headers={"If-None-Match": "*"})
        self.assertLikeMissing("GET", "/Users/%s", self.ua1["id"],
                               headers={"If-None-Match": self.ua1["meta"]["version"]})

    def test_list_and_page(self):
        for ep, mine in (("/Users", {self.ub1["id"]}), ("/Groups", {self.gb["id"]})):
            r = self.as_b("GET", ep + "?startIndex=1&count=1000")
            self.assertEqual(r.status, 200, r)
            self.assertEqual({x["id"] for x in r.json["Resources"]}, mine)
            self.assertEqual(r.json["totalResults"], len(mine))
            self.assertNoTraceOfA(r)
            # Paging past B's own resources never reaches A's.
            r = self.as_b("GET", ep + "?startIndex=2&count=10")
            self.assertEqual((r.json["totalResults"], r.json["Resources"]), (len(mine), []))
            r = self.as_b("GET", ep + "?sortBy=meta.created&sortOrder=descending")
            self.assertEqual({x["id"] for x in r.json["Resources"]}, mine)

    def test_filter(self):
        ua1, ua2, ga = self.ua1["id"], self.ua2["id"], self.ga["id"]
        none = [
            "/Users?filter=" + q('id eq "%s"' % ua1),
            "/Users?filter=" + q('id eq "%s" or id eq "%s"' % (ua1, ua2)),
            "/Users?filter=" + q('userName eq "a.one@a.example"'),
            "/Users?filter=" + q('userName sw "a."'),
            "/Users?filter=" + q('emails.value eq "a.one@a.example"'),
            "/Users?filter=" + q('emails[type eq "work" and value co "a.example"]'),
            "/Users?filter=" + q('displayName eq "Alpha One"'),
            "/Users?filter=" + q('%s:department eq "Secret"' % ENTERPRISE),
            "/Users?filter=" + q('manager eq "%s"' % ua2),
            "/Users?filter=" + q('id eq "%s" and manager eq "%s"' % (ua1, ua2)),
            "/Users?filter=" + q('groups eq "%s"' % ga),
            "/Groups?filter=" + q('displayName eq "A Team"'),
            "/Groups?filter=" + q('externalId eq "shared-group"'),
            "/Groups?filter=" + q('members eq "%s"' % ua1),
            "/Groups?filter=" + q('id eq "%s" and members eq "%s"' % (ga, ua1)),
            "/Groups?filter=" + q('members[value eq "%s"]' % ua1) + "&excludedAttributes=members",
        ]
        for path in none:
            r = self.as_b("GET", path)
            self.assertEqual((r.status, r.json["totalResults"]), (200, 0), (path, r))
            self.assertNoTraceOfA(r)
        # The externalId both tenants use finds only B's user.
        r = self.as_b("GET", "/Users?filter=" + q('externalId eq "shared-ext"'))
        self.assertEqual([x["id"] for x in r.json["Resources"]], [self.ub1["id"]])
        r = self.as_b("GET", "/Users?filter=" + q("userName pr"))
        self.assertEqual([x["id"] for x in r.json["Resources"]], [self.ub1["id"]])
        for body in ({"filter": 'userName eq "a.one@a.example"'}, {"filter": 'id eq "%s"' % ua1},
                     {"filter": 'externalId eq "shared-ext"', "attributes": ["id"]}):
            r = self.as_b("POST", "/Users/.search", body)
            self.assertEqual(r.status, 200, r)
            self.assertNoTraceOfA(r)
            self.assertLessEqual(r.json["totalResults"], 1)

    def test_write(self):
        ua1, ga = self.ua1["id"], self.ga["id"]
        p = patch_body({"op": "replace", "path": "displayName", "value": "pwned"})
        self.assertLikeMissing("PATCH", "/Users/%s", ua1, p)
        self.assertLikeMissing("PATCH", "/Users/%s", ua1, p, headers={"If-Match": self.ua1["meta"]["version"]})
        self.assertLikeMissing("PATCH", "/Users/%s", ua1, p, headers={"If-Match": 'W/"999"'})
        self.assertLikeMissing("PUT", "/Users/%s", ua1, user("pwned"))
        self.assertLikeMissing("DELETE", "/Users/%s", ua1)
        self.assertLikeMissing("DELETE", "/Users/%s", ua1, headers={"If-Match": 'W/"999"'})
        self.assertLikeMissing("PATCH", "/Groups/%s", ga,
                               patch_body({"op": "add", "path": "members", "value": [{"value": self.ub1["id"]}]}))
        self.assertLikeMissing("PATCH", "/Groups/%s", ga, patch_body({"op": "remove", "path": "members"}))
        self.assertLikeMissing("PUT", "/Groups/%s", ga, group("pwned"))
        self.assertLikeMissing("DELETE", "/Groups/%s", ga)
        self.assertAUnchanged()

    def test_membership_across_tenants(self):
        ua1, ga = self.ua1["id"], self.ga["id"]
        gb = self.gb["id"]
        # B names A's user as a member: skipped, never stored.
        r = self.as_b("PATCH", "/Groups/" + gb,
                      patch_body({"op": "add", "path": "members", "value": [{"value": ua1}, {"value": ga}]}))
        self.assertIn(r.status, (200, 204), r)
        r = self.as_b("POST", "/Groups", group("B Mixed", members=[{"value": ua1}, {"value": self.ub1["id"]}]))
        self.assertEqual(r.status, 201, r)
        self.assertEqual([m["value"] for m in r.json["members"]], [self.ub1["id"]])
        mixed = r.json["id"]
        r = self.as_b("PUT", "/Groups/" + mixed, group("B Mixed", members=[{"value": ua1}]))
        self.assertEqual((r.status, r.json["members"]), (200, []), r)
        r = self.as_b("GET", "/Groups/" + gb)
        self.assertEqual([m["value"] for m in r.json["members"]], [self.ub1["id"]])
        # ... and A's user shows no group of B.
        r = self.srv.get("/Users/" + ua1)
        self.assertEqual([g["value"] for g in r.json["groups"]], [ga])
        # A cannot pull B's user into its group either.
        r = self.srv.patch_ops("/Groups/" + ga, {"op": "add", "path": "members", "value": [{"value": self.ub1["id"]}]})
        self.assertIn(r.status, (200, 204), r)
        self.assertAUnchanged()
        # B's manager pointing at A's user is not a link to A either.
        # (B wrote that string itself: it stays B's data, and is removed
        # here so test_store_keys finds no id of A under B.)
        r = self.as_b("POST", "/Users", user("b.two@b.example", **{ENTERPRISE: {"manager": ua1}}))
        self.assertEqual(r.status, 201, r)
        b2 = r.json["id"]
        r = self.srv.get("/Users?filter=" + q('manager eq "%s"' % ua1))
        self.assertEqual(r.json["totalResults"], 0, r)
        r = self.srv.get("/Users/" + ua1)
        self.assertNotIn(b2, r.text)
        self.assertEqual(self.as_b("DELETE", "/Users/" + b2).status, 204)

    def test_names_unique_per_tenant(self):
        # A 409 would tell B that A has this name: names are per tenant.
        r = self.as_b("POST", "/Users", user("A.ONE@a.example"))
        self.assertEqual(r.status, 201, r)
        r = self.as_b("POST", "/Groups", group("a team"))
        self.assertEqual(r.status, 201, r)
        r = self.as_b("PATCH", "/Users/" + self.ub1["id"],
                      patch_body({"op": "replace", "path": "userName", "value": "a.two@a.example"}))
        self.assertEqual(r.status, 200, r)
        r = self.as_b("PATCH", "/Users/" + self.ub1["id"],
                      patch_body({"op": "replace", "path": "userName", "value": "b.one@b.example"}))
        self.assertEqual(r.status, 200, r)
        self.assertAUnchanged()

    def test_store_keys(self):
        """Every record of B in the store is under B's key prefix and
        names no id of A."""
        dump = robust.dump_store(self.srv)
        prefix = TENANT_B.encode() + b"\0"
        a_ids = [i.encode() for i in self.a_ids]
        seen = 0
        for f in ("users.db", "groups.db", "members.db", "memberof.db", "users_name.db", "groups_name.db",
                  "users_ext.db", "groups_ext.db"):
            for k, v in dump[f]:
                if k.startswith(prefix):
                    seen += 1
                    for i in a_ids:
                        self.assertNotIn(i, k + v, (f, k, v))
                else:
                    self.assertTrue(k.startswith(b"default\0"), (f, k))
        self.assertGreater(seen, 4)
        toks = [json.loads(v) for _, v in dump["tokens.db"]]
        self.assertEqual(sorted(t["tenant"] for t in toks), sorted(["default", TENANT_B]))


if __name__ == "__main__":
    scimtest.main()
