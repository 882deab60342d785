"""/Groups over HTTP against a real lighttpd: every Groups item of the Entra
checklist (shared/reference/entra-scim.md section 6, items 31-39), the
membership rules of scim-fcgi(8), the users' groups back-reference, and a
100,000-member group whose add/remove/read cost is asserted by counting store
operations (X-Scim-Store-Ops), not by timing."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase, group, user  # noqa: E402

ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
CORE_G = "urn:ietf:params:scim:schemas:core:2.0:Group"


def store_ops(r):
    """The X-Scim-Store-Ops header as a dict of ints."""
    h = r.headers.get("x-scim-store-ops", "")
    return {k: int(v) for k, v in (kv.split("=") for kv in h.split())}


class Groups(ScimTestCase):
    server_args = {"conf_extra": "[log]\nstore_ops_header = yes\n"}

    def mkuser(self, name):
        r = self.srv.post("/Users", user(name, displayName=name.title()))
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def mkgroup(self, name, **kw):
        r = self.srv.post("/Groups", group(name, **kw))
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def members(self, gid):
        return sorted(m["value"] for m in self.srv.get("/Groups/" + gid).json["members"])

    def test_create_entra_shape(self):  # checklist 31
        r = self.srv.post("/Groups", {"schemas": [CORE_G, ADSCIM], "externalId": "obj-1",
                                      "displayName": "Entra Group", "meta": {"resourceType": "Group"}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["members"], [])
        self.assertEqual(r.json["schemas"], [CORE_G])
        self.assertTrue(r.headers["location"].endswith("/Groups/" + r.json["id"]))
        self.assertEqual(r.json["meta"]["resourceType"], "Group")

    def test_duplicate_name_any_case(self):  # checklist 32
        self.mkgroup("Finance")
        self.assertScimError(self.srv.post("/Groups", group("FINANCE")), 409, "uniqueness")
        gid = self.mkgroup("Legal")
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "replace", "path": "displayName", "value": "finance"})
        self.assertScimError(r, 409, "uniqueness")

    def test_lookup_excluding_members(self):  # checklist 33, 34
        uid = self.mkuser("lookup-member")
        gid = self.mkgroup("Lookup Group", members=[{"value": uid}])
        r = self.srv.get("/Groups?excludedAttributes=members&filter=displayName+eq+%22lookup+group%22")
        self.assertEqual(r.json["totalResults"], 1, r)
        self.assertNotIn("members", r.json["Resources"][0])
        r = self.srv.get("/Groups/%s?excludedAttributes=members" % gid)
        self.assertNotIn("members", r.json)
        r = self.srv.get("/Groups/" + gid)
        self.assertEqual([m["value"] for m in r.json["members"]], [uid])
        m = r.json["members"][0]
        self.assertEqual((m["type"], m["display"]), ("User", "Lookup-Member"))
        self.assertTrue(m["$ref"].endswith("/Users/" + uid))
        r = self.srv.get("/Groups?filter=externalId+eq+%22nope%22")
        self.assertEqual((r.json["totalResults"], r.json["Resources"]), (0, []))

    def test_add_members_batch(self):  # checklist 35
        a, b, c = (self.mkuser("batch-%s" % x) for x in "abc")
        gid = self.mkgroup("Batch")
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "Add", "path": "members",
                                                  "value": [{"$ref": None, "value": a}, {"value": b}]})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.text, "")
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "add", "path": "members",
                                                  "value": [{"value": a}, {"value": c}]})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.members(gid), sorted([a, b, c]), "re-adding a member is a no-op")

    def test_remove_listed_only(self):  # checklist 36
        a, b, c = (self.mkuser("rm-%s" % x) for x in "abc")
        gid = self.mkgroup("Remove Listed", members=[{"value": a}, {"value": b}, {"value": c}])
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "Remove", "path": "members", "value": [{"value": a}]})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.members(gid), sorted([b, c]), "Entra's remove shape removes only the listed id")
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "remove", "path": 'members[value eq "%s"]' % b})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.members(gid), [c])
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "remove", "path": 'members[value eq "%s"]' % a})
        self.assertEqual(r.status, 204, "removing a non-member is a no-op")

    def test_remove_all(self):  # checklist 37
        a, b = (self.mkuser("all-%s" % x) for x in "ab")
        gid = self.mkgroup("Remove All", members=[{"value": a}, {"value": b}])
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "remove", "path": "members"})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.members(gid), [])

    def test_rename(self):  # checklist 38
        gid = self.mkgroup("Old Name")
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "Replace", "path": "displayName", "value": "New Name"})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.srv.get("/Groups/" + gid).json["displayName"], "New Name")
        r = self.srv.get("/Groups?filter=displayName+eq+%22old+name%22")
        self.assertEqual(r.json["totalResults"], 0)

    def test_delete(self):  # checklist 39
        uid = self.mkuser("del-member")
        gid = self.mkgroup("Deleted Group", members=[{"value": uid}])
        self.assertEqual([g["value"] for g in self.srv.get("/Users/" + uid).json["groups"]], [gid])
        self.assertEqual(self.srv.delete("/Groups/" + gid).status, 204)
        self.assertScimError(self.srv.get("/Groups/" + gid), 404)
        self.assertNotIn("groups", self.srv.get("/Users/" + uid).json, "membership rows are gone")
        self.assertEqual(self.mkgroup("Deleted Group") != gid, True, "the name is free again")

    def test_backref_and_user_delete(self):
        uid = self.mkuser("backref")
        g1 = self.mkgroup("Back One", members=[{"value": uid}])
        g2 = self.mkgroup("Back Two")
        self.srv.patch_ops("/Groups/" + g2, {"op": "add", "path": "members", "value": [{"value": uid}]})
        r = self.srv.get("/Users/" + uid)
        got = sorted((g["value"], g["display"]) for g in r.json["groups"])
        self.assertEqual(got, sorted([(g1, "Back One"), (g2, "Back Two")]))
        r = self.srv.get('/Users?filter=groups.value+eq+%22' + g1 + '%22')
        self.assertEqual([u["id"] for u in r.json["Resources"]], [uid])
        # Every worker has seen the group (its name is kept by record bytes)...
        for _ in range(6):
            self.assertEqual(self.srv.get("/Users/" + uid).status, 200)
        self.srv.patch_ops("/Groups/" + g1, {"op": "replace", "path": "displayName", "value": "Back Renamed"})
        # ... and each one shows the new name at once.
        for _ in range(6):
            disp = {g["value"]: g["display"] for g in self.srv.get("/Users/" + uid).json["groups"]}
            self.assertEqual(disp[g1], "Back Renamed", "display follows renames")
        self.assertScimError(self.srv.patch_ops("/Users/" + uid, {"op": "add", "path": "groups",
                                                                  "value": [{"value": g2}]}), 400, "mutability")
        self.assertEqual(self.srv.delete("/Users/" + uid).status, 204)
        self.assertEqual(self.members(g1), [], "a deleted user leaves every group")
        self.assertEqual(self.members(g2), [])

    def test_backref_text_as_rendered(self):
        """A user's groups are written as text for a whole answer (GET, list
        pages) and rendered from a tree for a partial one: the same bytes,
        names that need escaping included."""
        uid = self.mkuser("backref-text")
        names = ['Sales "EU" \\ é/</x>', "日本 Ops", "Zed"]
        gids = [self.mkgroup(n, members=[{"value": uid}]) for n in names]
        whole = self.srv.get("/Users/" + uid)
        # excludedAttributes of something the user lacks: parsed, rendered.
        rendered = self.srv.get("/Users/" + uid + "?excludedAttributes=nickName")
        self.assertEqual(whole.status, 200)
        self.assertEqual(whole.body, rendered.body)
        self.assertEqual(sorted(g["display"] for g in whole.json["groups"]), sorted(names))
        self.assertEqual(sorted(g["value"] for g in whole.json["groups"]), sorted(gids))
        for g in whole.json["groups"]:
            self.assertEqual(list(g), ["value", "$ref", "display", "type"])
            self.assertTrue(g["$ref"].endswith("/Groups/" + g["value"]))
        listed = self.srv.get('/Users?filter=id+eq+%22' + uid + '%22')
        self.assertEqual(listed.json["Resources"], [whole.json])
        # A user in no group shows none, as rendering does.
        lone = self.mkuser("backref-none")
        self.assertNotIn("groups", self.srv.get("/Users/" + lone).json)
        self.assertEqual(self.srv.get("/Users/" + lone).body,
                         self.srv.get("/Users/" + lone + "?excludedAttributes=nickName").body)

    def test_member_rules(self):
        uid = self.mkuser("rules")
        inner = self.mkgroup("Inner")
        gid = self.mkgroup("Outer")
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "add", "path": "members", "value": [
            {"value": uid, "display": "Kept As Sent"}, {"value": inner}, {"value": "no-such-id"}]})
        self.assertEqual(r.status, 204, r)
        got = {m["value"]: m for m in self.srv.get("/Groups/" + gid).json["members"]}
        self.assertEqual(sorted(got), sorted([uid, inner]), "unknown ids are skipped")
        self.assertEqual(got[uid]["display"], "Kept As Sent")
        self.assertEqual(got[inner]["type"], "Group")
        self.assertTrue(got[inner]["$ref"].endswith("/Groups/" + inner))
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "add", "path": "members", "value": [{"value": gid}]})
        self.assertScimError(r, 400, "invalidValue")
        # Microsoft's collection sends plain strings and a displayName sub-attribute.
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "add", "path": "members", "value": "string id 1"})
        self.assertEqual(r.status, 204, r)

    def test_filters(self):  # checklist 16 (groups half)
        uid = self.mkuser("filter-member")
        gid = self.mkgroup("Filter Group", externalId="ext-fg", members=[{"value": uid}])
        q = "/Groups?filter=id+eq+%%22%s%%22+and+members+eq+%%22%s%%22&attributes=id" % (gid, uid)
        r = self.srv.get(q)
        self.assertEqual(r.json["totalResults"], 1, r)
        self.assertEqual(set(r.json["Resources"][0]), {"schemas", "id"})
        q = "/Groups?filter=id+eq+%%22%s%%22+and+members+eq+%%22%s%%22" % (gid, "someone-else")
        self.assertEqual(self.srv.get(q).json["totalResults"], 0)
        r = self.srv.get("/Groups?filter=externalId+eq+%22ext-fg%22&excludedAttributes=members")
        self.assertEqual([g["id"] for g in r.json["Resources"]], [gid])

    def test_put_and_patch_with_attributes(self):
        a, b = (self.mkuser("put-%s" % x) for x in "ab")
        gid = self.mkgroup("Put Group", members=[{"value": a}])
        r = self.srv.put("/Groups/" + gid, group("Put Group 2", members=[{"value": b, "display": "VP"}]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["displayName"], "Put Group 2")
        self.assertEqual([m["value"] for m in r.json["members"]], [b])
        r = self.srv.patch_ops("/Groups/%s?attributes=displayName" % gid,
                               {"op": "replace", "path": "displayName", "value": "Put Group 3"})
        self.assertEqual(r.status, 200, "PATCH answers with the resource when attributes are asked for")
        self.assertEqual(r.json["displayName"], "Put Group 3")

    def test_failed_patch_is_atomic(self):
        a = self.mkuser("atomic-member")
        gid = self.mkgroup("Atomic")
        before = self.srv.get("/Groups/" + gid).json
        r = self.srv.patch_ops("/Groups/" + gid,
                               {"op": "add", "path": "members", "value": [{"value": a}]},
                               {"op": "replace", "path": "displayName", "value": "Renamed"},
                               {"op": "replace", "path": "id", "value": "x"})
        self.assertScimError(r, 400, "mutability")
        self.assertEqual(self.srv.get("/Groups/" + gid).json, before, "no member added, no rename")

    def test_blank_and_control_names_refused(self):
        # Regression: see test_users; the group's displayName is its name.
        for name in ("  ", "\u2003", "Sales\tEMEA", "a\u001bb"):
            self.assertScimError(self.srv.post("/Groups", group(name)), 400, "invalidValue")
        gid = self.mkgroup("Named Group")
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "replace", "path": "displayName", "value": "x\ny"})
        self.assertScimError(r, 400, "invalidValue")
        self.assertIn("displayName must not contain control characters", r.json["detail"])
        self.assertScimError(self.srv.put("/Groups/" + gid, group(" ")), 400, "invalidValue")
        self.assertEqual(self.srv.get("/Groups/" + gid).json["displayName"], "Named Group")

    def test_operations_capped(self):
        # At most 1000 Operations per PATCH (see test_users): more is 413
        # and adds no member; one operation may carry many members.
        ids = [self.mkuser("capped-%d" % i) for i in range(3)]
        gid = self.mkgroup("Capped")
        one = {"op": "add", "path": "members", "value": [{"value": ids[0]}]}
        r = self.srv.patch_ops("/Groups/" + gid, *([one] * 1001))
        self.assertScimError(r, 413)
        self.assertIn("at most 1000 Operations", r.json["detail"])
        self.assertEqual(self.members(gid), [])
        r = self.srv.patch_ops("/Groups/" + gid, *([one] * 1000))
        self.assertEqual(r.status, 204, r)
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "add", "path": "members",
                                                  "value": [{"value": i} for i in ids]})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.members(gid), sorted(ids))

    def test_hundred_thousand_members(self):
        n = int(os.environ.get("SCIM_BIG_GROUP", "100000"))
        t0 = time.time()
        out = subprocess.run([os.path.join(scimtest.TOP_BUILDDIR, "tests", "unit", "load_members"),
                              self.srv.conf, "default", str(n), "Everyone"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        gid = out.stdout.strip()
        print("# built a %d-member group in %.1f s" % (n, time.time() - t0))
        newbie = self.mkuser("newbie-for-big-group")
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "add", "path": "members", "value": [{"value": newbie}]})
        self.assertEqual(r.status, 204, r)
        add = store_ops(r)
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "remove", "path": 'members[value eq "%s"]' % newbie})
        self.assertEqual(r.status, 204, r)
        rm = store_ops(r)
        r = self.srv.get("/Groups/%s?excludedAttributes=members" % gid)
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("members", r.json)
        get = store_ops(r)
        r = self.srv.get("/Users/bulk-00004242")
        self.assertEqual([g["value"] for g in r.json["groups"]], [gid])
        back = store_ops(r)
        print("# store operations: add member %s; remove member %s; GET excluding members %s; "
              "GET a member's user %s" % (add, rm, get, back))
        for what, ops in (("add", add), ("remove", rm), ("get", get), ("user", back)):
            total = sum(v for k, v in ops.items() if k != "retries")
            self.assertLessEqual(total, 16, "%s touched %s records in a %d-member group" % (what, ops, n))
        # The same operations on a 1-member group cost the same.
        small = self.mkgroup("Small", members=[{"value": newbie}])
        r = self.srv.patch_ops("/Groups/" + small, {"op": "remove", "path": 'members[value eq "%s"]' % newbie})
        self.assertEqual({k: v for k, v in store_ops(r).items() if k != "retries"},
                         {k: v for k, v in rm.items() if k != "retries"},
                         "removing one member costs the same in a 1- and a %d-member group" % n)


if __name__ == "__main__":
    scimtest.main()
