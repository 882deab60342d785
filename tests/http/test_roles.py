"""Roles and the access gate over HTTP against a real lighttpd: users and
groups provisioned with Entra-shaped requests (the group's objectId in
externalId, members added by PATCH), role mappings set with scimctl roles,
and `scimctl user` answering what the gate would: exit 0 (may sign in), 4
(exists but may not: inactive, or no role), 3 (unknown); its --json fields;
a PATCH active:false taking effect on the next call; moving a user between
groups changing its role; managedBy naming the token that created it; and
none of this in SCIM answers."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402

SCIMCTL = os.path.join(scimtest.CGI_BIN, "scimctl")
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_G = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
JSON_KEYS = ["id", "userName", "displayName", "active", "role", "products", "groups",
             "managedBy"]


def entra_user(name, ext):
    return {"schemas": [CORE, ENT], "externalId": ext, "userName": name, "active": True,
            "displayName": name.split("@")[0].title(),
            "emails": [{"primary": True, "type": "work", "value": name}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Given Family", "familyName": "Family",
                     "givenName": "Given"}}


def entra_group(name, object_id):
    return {"schemas": [CORE_G, ADSCIM], "externalId": object_id, "displayName": name,
            "meta": {"resourceType": "Group"}}


class Roles(ScimTestCase):

    def ctl(self, *args):
        """Run scimctl against this server's store: (exit status, stdout, stderr)."""
        r = subprocess.run([SCIMCTL, "-c", self.srv.conf] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return r.returncode, r.stdout, r.stderr

    def user_json(self, name):
        rc, out, err = self.ctl("user", name, "--json")
        return rc, (json.loads(out) if out.strip() else None), err

    def mkuser(self, name, ext):
        r = self.srv.post("/Users", entra_user(name, ext))
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def mkgroup(self, name, object_id):
        r = self.srv.post("/Groups", entra_group(name, object_id))
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def add_member(self, gid, uid):
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "Add", "path": "members",
                                                  "value": [{"value": uid}]})
        self.assertEqual(r.status, 204, r)

    def remove_member(self, gid, uid):
        r = self.srv.patch_ops("/Groups/" + gid, {"op": "Remove",
                                                  "path": 'members[value eq "%s"]' % uid})
        self.assertEqual(r.status, 204, r)

    def test_exit_statuses_and_json(self):
        uid = self.mkuser("ana@example.com", "ext-ana")
        gid = self.mkgroup("Gate Staff", "11111111-aaaa-4bbb-8ccc-000000000001")
        self.add_member(gid, uid)
        self.assertEqual(self.ctl("roles", "add", "11111111-aaaa-4bbb-8ccc-000000000001",
                                  "member", "--products", "crm,wiki")[0], 0)
        rc, j, err = self.user_json("ANA@example.com")
        self.assertEqual(rc, 0, err)
        self.assertEqual(list(j.keys()), JSON_KEYS)
        self.assertEqual((j["id"], j["userName"], j["displayName"], j["active"], j["role"]),
                         (uid, "ana@example.com", "Ana", True, "member"))
        self.assertEqual(j["products"], ["crm", "wiki"])
        self.assertEqual(j["groups"], [{"id": gid, "displayName": "Gate Staff"}])
        token_id = self.srv.token.split("_")[1]
        self.assertEqual(j["managedBy"], "scim:" + token_id)
        self.assertEqual(self.user_json(uid)[0], 0, "by id")

        rc, out, err = self.ctl("user", "nobody@example.com")
        self.assertEqual((rc, out), (3, ""))
        self.assertIn("no such user", err)

        # Deprovisioned: the next call says no.
        r = self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "active",
                                                 "value": "False"})
        self.assertEqual(r.status, 200, r)
        rc, j, err = self.user_json("ana@example.com")
        self.assertEqual((rc, j["active"]), (4, False))
        self.assertIn("inactive", err)

        # SCIM answers never show the gate's data.
        r = self.srv.get("/Users/" + uid)
        self.assertNotIn("managedBy", r.text)
        self.assertNotIn("managed", json.dumps(r.json).lower())

    def test_moving_between_groups(self):
        uid = self.mkuser("ben@example.com", "ext-ben")
        admins = self.mkgroup("Gate Admins", "22222222-aaaa-4bbb-8ccc-000000000002")
        owners = self.mkgroup("Gate Owners", "33333333-aaaa-4bbb-8ccc-000000000003")
        self.assertEqual(self.ctl("roles", "add", "Gate Owners", "owner", "--position", "1")[0], 0)
        self.assertEqual(self.ctl("roles", "add", "22222222-aaaa-4bbb-8ccc-000000000002",
                                  "admin", "--position", "2")[0], 0)
        self.add_member(admins, uid)
        self.assertEqual(self.user_json("ben@example.com")[1]["role"], "admin")
        self.add_member(owners, uid)
        self.assertEqual(self.user_json("ben@example.com")[1]["role"], "owner",
                         "first mapping wins")
        self.remove_member(owners, uid)
        self.remove_member(admins, uid)
        rc, j, err = self.user_json("ben@example.com")
        self.assertEqual((rc, j["role"], j["groups"]), (0, "member", []),
                         "no group: the default, member")

    def test_default_none_and_nesting(self):
        uid = self.mkuser("cy@example.com", "ext-cy")
        outer = self.mkgroup("Gate Outer", "44444444-aaaa-4bbb-8ccc-000000000004")
        inner = self.mkgroup("Gate Inner", "55555555-aaaa-4bbb-8ccc-000000000005")
        r = self.srv.patch_ops("/Groups/" + outer, {"op": "Add", "path": "members",
                                                    "value": [{"value": inner, "type": "Group"}]})
        self.assertEqual(r.status, 204, r)
        self.add_member(inner, uid)
        self.assertEqual(self.ctl("roles", "add", "gate outer", "admin")[0], 0)
        rc, j, err = self.user_json("cy@example.com")
        self.assertEqual((rc, j["role"]), (0, "admin"), "through the nested group")
        self.assertEqual([g["id"] for g in j["groups"]], [inner, outer])
        # The same store under [roles] default = none.
        none_conf = os.path.join(self.srv.home, "none.conf")
        with open(self.srv.conf) as f, open(none_conf, "w") as g:
            g.write(f.read() + "\n[roles]\ndefault = none\n")
        os.chmod(none_conf, 0o644)
        lone = self.mkuser("dee@example.com", "ext-dee")
        r = subprocess.run([SCIMCTL, "-c", none_conf, "user", "dee@example.com"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("no role", r.stderr)
        r = subprocess.run([SCIMCTL, "-c", none_conf, "user", "cy@example.com"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(lone)

    def test_bad_input_and_listing(self):
        for args in (("roles", "add", "G", "root"),
                     ("roles", "add", "G", "admin", "--products", "x"),
                     ("roles", "add", "G", "member", "--position", "999"),
                     ("roles", "add", "G", "member", "--auto-sync", "maybe"),
                     ("users", "--role", "king")):
            rc, out, err = self.ctl(*args)
            self.assertEqual(rc, 2, (args, err))
            self.assertEqual(len(err.strip().splitlines()), 1, (args, err))
        self.assertEqual(self.ctl("roles", "add", "Dup Group", "member")[0], 0)
        rc, out, err = self.ctl("roles", "add", "dup group", "admin")
        self.assertEqual(rc, 2, err)
        rc, out, err = self.ctl("roles", "list", "--json")
        lines = [json.loads(x) for x in out.splitlines()]
        self.assertIn({"group": "Dup Group", "role": "member", "products": [],
                       "autoSync": True, "position": len(lines)}, lines)
        self.assertEqual(self.ctl("roles", "delete", "DUP GROUP")[0], 0)
        self.assertEqual(self.ctl("roles", "delete", "Dup Group")[0], 2)
        self.mkuser("eve@example.com", "ext-eve")
        rc, out, err = self.ctl("users", "--json")
        self.assertEqual(rc, 0, err)
        users = [json.loads(x) for x in out.splitlines()]
        self.assertIn("eve@example.com", [u["userName"] for u in users])
        self.assertTrue(all(list(u.keys()) == JSON_KEYS for u in users))
        rc, out, err = self.ctl("users", "--role", "owner")
        self.assertNotIn("eve@example.com", out)
        rc, out, err = self.ctl("users", "--role", "member")
        self.assertIn("eve@example.com\tmember\tactive\tscim:", out)
        rc, out, err = self.ctl("audit", "--type", "role.mapping.")
        types = [json.loads(x)["type"] for x in out.splitlines()]
        self.assertIn("role.mapping.deleted", types)
        self.assertIn("role.mapping.added", types)


if __name__ == "__main__":
    scimtest.main()
