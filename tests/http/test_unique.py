"""Uniqueness of declared extension attributes (scim.conf(5) "uniqueness",
RFC 7644 section 3.3) over HTTP against a real lighttpd: a declared
extension with a unique badgeId (folded as userName is), a caseExact unique
serial, a unique integer and a unique multi-valued attribute.  A second
holder is refused with 409 "uniqueness" naming the attribute, by POST, PUT,
PATCH (paths with the URN prefix as Entra sends them) and /Bulk; PUT, PATCH
and DELETE free the value they drop; tenants are apart; and `scimctl unique`
claims what records written before a declaration hold, naming values two of
them hold (exit 2)."""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase, user  # noqa: E402

CORE_U = "urn:ietf:params:scim:schemas:core:2.0:User"
ACME = "urn:example:params:scim:schemas:extension:acme:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SCIMCTL = os.path.join(scimtest.CGI_BIN, "scimctl")


def definition(cost_center_unique):
    attrs = [
        {"name": "badgeId", "type": "string", "uniqueness": "server"},
        {"name": "serial", "type": "string", "caseExact": True, "uniqueness": "global"},
        {"name": "employeeNo", "type": "integer", "uniqueness": "server"},
        {"name": "aliases", "type": "string", "multiValued": True, "uniqueness": "server"},
        {"name": "costCenter", "type": "string",
         "uniqueness": "server" if cost_center_unique else "none"},
    ]
    return {"id": ACME, "resourceType": "User", "attributes": attrs}


def write_file(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


DIR = tempfile.mkdtemp(prefix="scim-uniq-")
os.chmod(DIR, 0o755)
EXT_FILE = write_file(DIR, "ext.json", json.dumps(definition(False)))
# The same with costCenter unique: for scimctl, as after the operator
# declared it over data already stored.
EXT_FILE_LATER = write_file(DIR, "ext-later.json", json.dumps(definition(True)))


def acme_user(name, **acme):
    u = user(name, schemas=[CORE_U, ACME])
    u[ACME] = acme
    return u


def patch(*ops):
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


class Unique(ScimTestCase):
    server_args = {"conf_extra": "[scim]\nextensions = %s\n" % EXT_FILE}

    def post(self, body, **kw):
        return self.srv.post("/Users", body, **kw)

    def created(self, name, **acme):
        r = self.post(acme_user(name, **acme))
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def assertTaken(self, r, attr, value):
        self.assertScimError(r, 409, "uniqueness")
        self.assertIn('%s:%s "%s"' % (ACME, attr, value), r.json["detail"])

    def test_post_duplicate_and_folding(self):
        self.created("p1@example.com", badgeId="B-100", serial="Sx-1")
        r = self.post(acme_user("p2@example.com", badgeId="B-100"))
        self.assertTaken(r, "badgeId", "b-100")
        self.assertIn("another user", r.json["detail"])
        # Folded as userName is: case and white space at the ends.
        self.assertTaken(self.post(acme_user("p2@example.com", badgeId=" b-100")),
                         "badgeId", "b-100")
        # caseExact: another case is another value; the same is not.
        self.created("p3@example.com", serial="sx-1")
        self.assertTaken(self.post(acme_user("p4@example.com", serial="Sx-1")),
                         "serial", "Sx-1")
        # Integers, and each value of a multi-valued attribute.
        self.created("p5@example.com", employeeNo=4711, aliases=["al", "AL2"])
        self.assertTaken(self.post(acme_user("p6@example.com", employeeNo=4711)),
                         "employeeNo", "4711")
        self.assertTaken(self.post(acme_user("p6@example.com", aliases=["x", "al2"])),
                         "aliases", "al2")
        # Nothing of a refused POST was stored.
        r = self.srv.get('/Users?filter=userName+eq+%22p6@example.com%22')
        self.assertEqual(r.json["totalResults"], 0, r)

    def test_put_moves_the_value(self):
        uid = self.created("put1@example.com", badgeId="P-1")
        r = self.srv.put("/Users/" + uid, acme_user("put1@example.com", badgeId="P-2"))
        self.assertEqual(r.status, 200, r)
        self.created("put2@example.com", badgeId="P-1")
        self.assertTaken(self.post(acme_user("put3@example.com", badgeId="p-2")),
                         "badgeId", "p-2")
        # A PUT that keeps its own value is no conflict with itself.
        r = self.srv.put("/Users/" + uid, acme_user("put1@example.com", badgeId="P-2",
                                                    costCenter="x"))
        self.assertEqual(r.status, 200, r)
        # A PUT onto another's value is refused.
        r = self.srv.put("/Users/" + uid, acme_user("put1@example.com", badgeId="P-1"))
        self.assertTaken(r, "badgeId", "p-1")

    def test_patch_moves_the_value(self):
        a = self.created("pa1@example.com", badgeId="A-1")
        b = self.created("pa2@example.com")
        # Entra's URN-prefixed path, op in any case.
        r = self.srv.patch("/Users/" + a, patch(
            {"op": "Replace", "path": ACME + ":badgeId", "value": "A-2"}))
        self.assertEqual(r.status, 200, r)
        self.created("pa3@example.com", badgeId="a-1")          # freed
        r = self.srv.patch("/Users/" + b, patch(
            {"op": "Add", "path": ACME + ":badgeId", "value": "A-2"}))
        self.assertTaken(r, "badgeId", "a-2")
        # The no-path form with a URN-qualified key.
        r = self.srv.patch("/Users/" + b, patch(
            {"op": "replace", "value": {ACME + ":badgeId": "a-2"}}))
        self.assertTaken(r, "badgeId", "a-2")
        # Removing the attribute frees the value.
        r = self.srv.patch("/Users/" + a, patch(
            {"op": "Remove", "path": ACME + ":badgeId"}))
        self.assertEqual(r.status, 200, r)
        r = self.srv.patch("/Users/" + b, patch(
            {"op": "Add", "path": ACME + ":badgeId", "value": "A-2"}))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json[ACME]["badgeId"], "A-2")
        # One value of a list, added by PATCH.
        self.created("pa4@example.com", aliases=["one"])
        r = self.srv.patch("/Users/" + b, patch(
            {"op": "add", "path": ACME + ":aliases", "value": ["two", "ONE"]}))
        self.assertTaken(r, "aliases", "one")

    def test_delete_frees_the_value(self):
        uid = self.created("del1@example.com", badgeId="D-1")
        self.assertTaken(self.post(acme_user("del2@example.com", badgeId="D-1")),
                         "badgeId", "d-1")
        self.assertEqual(self.srv.delete("/Users/" + uid).status, 204)
        self.created("del2@example.com", badgeId="D-1")

    def test_tenants_apart(self):
        other = self.srv.make_token(tenant="other", label="other")
        self.created("t1@example.com", badgeId="T-1")
        r = self.post(acme_user("t1@example.com", badgeId="T-1"), token=other)
        self.assertEqual(r.status, 201, "uniqueness is per tenant: %s" % r)
        self.assertTaken(self.post(acme_user("t2@example.com", badgeId="T-1"), token=other),
                         "badgeId", "t-1")

    def test_bulk(self):
        ops = [{"method": "POST", "path": "/Users", "bulkId": "b%d" % i,
                "data": acme_user("bulk%d@example.com" % i, badgeId="K-1")} for i in (1, 2)]
        r = self.srv.post("/Bulk", {"schemas": [BULK_REQ], "Operations": ops})
        self.assertEqual(r.status, 200, r)
        got = r.json["Operations"]
        self.assertEqual(got[0]["status"], "201", got)
        self.assertEqual(got[1]["status"], "409", got)
        self.assertEqual(got[1]["response"]["scimType"], "uniqueness", got)
        self.assertIn(ACME + ':badgeId "k-1"', got[1]["response"]["detail"])

    def scimctl_unique(self, ext_file):
        conf = write_file(DIR, "scimctl-%s.conf" % os.path.basename(ext_file),
                          "[store]\nhome = %s/db\n[scim]\nextensions = %s\n"
                          % (self.srv.home, ext_file))
        return subprocess.run([SCIMCTL, "-c", conf, "unique"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_scimctl_unique_rebuild(self):
        # Stored while costCenter was not unique: two users share a value.
        a = self.created("cc1@example.com", costCenter="CC-9")
        b = self.created("cc2@example.com", costCenter="cc-9")
        r = self.scimctl_unique(EXT_FILE_LATER)
        self.assertEqual(r.returncode, 2, r)
        self.assertEqual(r.stderr, "", r)
        dup = [ln for ln in r.stdout.splitlines() if ln.startswith("duplicate: ")]
        self.assertEqual(len(dup), 1, r.stdout)
        self.assertIn((ACME + ":costCenter").lower() + ' "cc-9"', dup[0])
        self.assertIn(a, dup[0])
        self.assertIn(b, dup[0])
        self.assertIn("1 value held twice", r.stdout)
        # One of them changes: claims agree, nothing held twice.
        r = self.srv.delete("/Users/" + b)
        self.assertEqual(r.status, 204, r)
        r = self.scimctl_unique(EXT_FILE_LATER)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("0 values held twice", r.stdout)
        # The server's own declaration again: the costCenter claim is stale.
        r = self.scimctl_unique(EXT_FILE)
        self.assertEqual(r.returncode, 0, r)
        self.assertRegex(r.stdout, r"[1-9]\d* stale claims? removed")


if __name__ == "__main__":
    scimtest.main()
