"""Declared schema extensions ([scim] extensions, scim.conf(5)) over HTTP
against a real lighttpd: the sample etc/extensions.json (an Entra ID custom
extension) declared, then a User carrying it written by POST, PUT and PATCH
(paths with the URN prefix as Entra sends them) and read back; its values
type-checked (400 invalidValue), in /Bulk too; filtered with eq and sorted on; listed in
/Schemas and as a schemaExtension in /ResourceTypes.  A second server
refuses undeclared extensions ([scim] undeclared_extensions = refuse); a
third is given a bad definition file and does not start."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase, user  # noqa: E402

CORE_U = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
UNDECLARED = "urn:example:params:scim:schemas:extension:other:2.0:User"


def definitions_file():
    """The sample definitions, copied where the web server's user reads them."""
    d = tempfile.mkdtemp(prefix="scim-ext-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "extensions.json")
    shutil.copy(os.path.join(scimtest.TOP_SRCDIR, "etc", "extensions.json"), path)
    os.chmod(path, 0o644)
    return path


EXT_FILE = definitions_file()


def entra_user(name, **custom):
    """A user as Entra ID POSTs it with a custom extension mapped."""
    u = user(name, schemas=[CORE_U, ENTERPRISE, CUSTOM], active=True,
             externalId=name.split("@")[0])
    u[ENTERPRISE] = {"department": "Eng"}
    u[CUSTOM] = custom
    return u


def patch(*ops):
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


class Declared(ScimTestCase):
    server_args = {"conf_extra": "[scim]\nextensions = %s\n" % EXT_FILE}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tok = cls.srv.make_token()

    def post(self, body):
        return self.srv.post("/Users", body, token=self.tok)

    def test_post_get_round_trip(self):
        r = self.post(entra_user("rt@example.com", costCenter="CC-1", badgeNumber=42,
                                 contractor="True", startDate="2024-05-01T08:00:00Z",
                                 tags=["onsite"], office={"building": "B1", "floor": 3}))
        self.assertEqual(r.status, 201, r)
        self.assertIn(CUSTOM, r.json["schemas"])
        ext = r.json[CUSTOM]
        self.assertEqual(ext["costCenter"], "CC-1")
        self.assertEqual(ext["badgeNumber"], 42)
        self.assertIs(ext["contractor"], True)      # "True" is a boolean
        self.assertEqual(ext["office"], {"building": "B1", "floor": 3})
        g = self.srv.get("/Users/" + r.json["id"], token=self.tok)
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.json[CUSTOM], ext)
        # Attribute names are matched in any case and stored canonically.
        r = self.post(entra_user("case@example.com", COSTCENTER="CC-9"))
        self.assertEqual(r.json[CUSTOM], {"costCenter": "CC-9"}, r)

    def test_put_replaces(self):
        r = self.post(entra_user("put@example.com", costCenter="A", badgeNumber=1))
        uid = r.json["id"]
        body = entra_user("put@example.com", costCenter="B")
        r = self.srv.put("/Users/" + uid, body, token=self.tok)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json[CUSTOM], {"costCenter": "B"})

    def test_patch_with_urn_paths(self):
        r = self.post(entra_user("patch@example.com", costCenter="A"))
        uid = r.json["id"]
        r = self.srv.patch("/Users/" + uid, patch(
            {"op": "Replace", "path": CUSTOM + ":costCenter", "value": "CC-7"},
            {"op": "Add", "path": CUSTOM + ":badgeNumber", "value": 7},
            {"op": "add", "path": CUSTOM + ":office.building", "value": "B2"}),
            token=self.tok)
        self.assertIn(r.status, (200, 204), r)
        g = self.srv.get("/Users/" + uid, token=self.tok)
        self.assertEqual(g.json[CUSTOM], {"costCenter": "CC-7", "badgeNumber": 7,
                                          "office": {"building": "B2"}}, g)
        # Entra's no-path form: the URN-qualified key inside the value.
        r = self.srv.patch("/Users/" + uid, patch(
            {"op": "replace", "value": {CUSTOM + ":costCenter": "CC-8"}}), token=self.tok)
        self.assertIn(r.status, (200, 204), r)
        r = self.srv.patch("/Users/" + uid, patch(
            {"op": "remove", "path": CUSTOM + ":badgeNumber"}), token=self.tok)
        self.assertIn(r.status, (200, 204), r)
        g = self.srv.get("/Users/" + uid, token=self.tok)
        self.assertEqual(g.json[CUSTOM], {"costCenter": "CC-8", "office": {"building": "B2"}}, g)
        # A PATCH value of the wrong type is refused as a POST's is.
        r = self.srv.patch("/Users/" + uid, patch(
            {"op": "replace", "path": CUSTOM + ":badgeNumber", "value": "seven"}), token=self.tok)
        self.assertScimError(r, 400, "invalidValue")

    def test_type_errors(self):
        for bad in ({"badgeNumber": "12"}, {"badgeNumber": 1.5}, {"contractor": "maybe"},
                    {"startDate": "yesterday"}, {"costCenter": 5}, {"costCenter": ["a"]},
                    {"tags": [1]}, {"office": "B1"}, {"office": {"floor": "3"}}):
            r = self.post(entra_user("bad@example.com", **bad))
            self.assertScimError(r, 400, "invalidValue")
            self.assertIn(list(bad)[0], r.json["detail"], r)
        r = self.post(user("bad2@example.com", **{CUSTOM: "not an object"}))
        self.assertScimError(r, 400, "invalidValue")

    def test_filter_and_sort(self):
        for n, (cc, badge) in enumerate((("F-3", 30), ("F-1", 10), ("F-2", 20))):
            r = self.post(entra_user("sort%d@example.com" % n, costCenter=cc, badgeNumber=badge,
                                     tags=["remote"]))
            self.assertEqual(r.status, 201, r)
        q = "/Users?filter=" + CUSTOM + ":costCenter%20eq%20%22f-2%22"
        r = self.srv.get(q, token=self.tok)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([u["userName"] for u in r.json["Resources"]], ["sort2@example.com"])
        r = self.srv.get("/Users?filter=" + CUSTOM + ":badgeNumber%20gt%2015"
                         "%20and%20userName%20sw%20%22sort%22", token=self.tok)
        self.assertEqual(sorted(u["userName"] for u in r.json["Resources"]),
                         ["sort0@example.com", "sort2@example.com"], r)
        r = self.srv.get("/Users?filter=userName%20sw%20%22sort%22&sortBy=" + CUSTOM +
                         ":badgeNumber&sortOrder=descending", token=self.tok)
        self.assertEqual([u["userName"] for u in r.json["Resources"]],
                         ["sort0@example.com", "sort2@example.com", "sort1@example.com"], r)
        r = self.srv.get("/Users?filter=userName%20sw%20%22sort%22&sortBy=" + CUSTOM +
                         ":costCenter", token=self.tok)
        self.assertEqual([u["userName"] for u in r.json["Resources"]],
                         ["sort1@example.com", "sort2@example.com", "sort0@example.com"], r)
        # A comparison the type forbids is refused at parse time.
        r = self.srv.get("/Users?filter=" + CUSTOM + ":badgeNumber%20eq%20%22x%22",
                         token=self.tok)
        self.assertScimError(r, 400, "invalidFilter")
        # caseExact tags: "REMOTE" does not match "remote".
        r = self.srv.get("/Users?filter=" + CUSTOM + ":tags%20eq%20%22REMOTE%22",
                         token=self.tok)
        self.assertEqual(r.json["totalResults"], 0, r)

    def test_discovery(self):
        r = self.srv.get("/Schemas/" + CUSTOM, token=self.tok)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["id"], CUSTOM)
        self.assertEqual(r.json["name"], "CustomExtensionName")
        attrs = {a["name"]: a for a in r.json["attributes"]}
        self.assertEqual(attrs["badgeNumber"]["type"], "integer")
        self.assertEqual(attrs["tags"]["multiValued"], True)
        self.assertEqual(attrs["tags"]["caseExact"], True)
        self.assertEqual(attrs["tags"]["canonicalValues"], ["onsite", "remote", "hybrid"])
        self.assertEqual([s["name"] for s in attrs["office"]["subAttributes"]],
                         ["building", "floor"])
        self.assertEqual(attrs["costCenter"]["mutability"], "readWrite")
        r = self.srv.get("/Schemas", token=self.tok)
        self.assertIn(CUSTOM, [s["id"] for s in r.json["Resources"]])
        r = self.srv.get("/ResourceTypes/User", token=self.tok)
        self.assertIn({"schema": CUSTOM, "required": False}, r.json["schemaExtensions"], r)
        self.assertIn({"schema": ENTERPRISE, "required": False}, r.json["schemaExtensions"], r)

    def test_bulk(self):
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [
                    {"method": "POST", "path": "/Users", "bulkId": "good",
                     "data": entra_user("bulk1@example.com", badgeNumber=5)},
                    {"method": "POST", "path": "/Users", "bulkId": "bad",
                     "data": entra_user("bulk2@example.com", badgeNumber="five")},
                    {"method": "PATCH", "path": "/Users/bulkId:good",
                     "data": patch({"op": "replace", "path": CUSTOM + ":costCenter",
                                    "value": "B-1"})}]}
        r = self.srv.post("/Bulk", body, token=self.tok)
        self.assertEqual(r.status, 200, r)
        ops = r.json["Operations"]
        self.assertEqual([o["status"] for o in ops], ["201", "400", "200"], ops)
        self.assertEqual(ops[1]["response"].get("scimType"), "invalidValue", ops)
        g = self.srv.get(ops[0]["location"].split("/scim/v2", 1)[1], token=self.tok)
        self.assertEqual(g.json[CUSTOM], {"badgeNumber": 5, "costCenter": "B-1"}, g)

    def test_undeclared_still_stored(self):
        r = self.post(user("undeclared@example.com", **{UNDECLARED: {"x": "y"}}))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json[UNDECLARED], {"x": "y"})


class Refused(ScimTestCase):
    server_args = {"conf_extra": "[scim]\nextensions = %s\nundeclared_extensions = refuse\n"
                   % EXT_FILE}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tok = cls.srv.make_token()

    def test_undeclared_refused(self):
        r = self.srv.post("/Users", user("ref@example.com", **{UNDECLARED: {"x": "y"}}),
                          token=self.tok)
        self.assertScimError(r, 400, "invalidValue")
        self.assertIn(UNDECLARED, r.json["detail"])
        r = self.srv.post("/Users", entra_user("ok@example.com", costCenter="C"), token=self.tok)
        self.assertEqual(r.status, 201, r)
        r = self.srv.patch("/Users/" + r.json["id"], patch(
            {"op": "add", "path": UNDECLARED + ":x", "value": "y"}), token=self.tok)
        self.assertScimError(r, 400)
        self.assertIn(UNDECLARED, r.json["detail"])


class BadDefinitions(scimtest.unittest.TestCase):
    def test_bad_file_stops_the_program(self):
        d = tempfile.mkdtemp(prefix="scim-ext-")
        try:
            bad = os.path.join(d, "ext.json")
            with open(bad, "w") as f:
                f.write('{"id": "urn:x:y", "resourceType": "User", '
                        '"attributes": [{"name": "a", "type": "strng"}]}')
            conf = os.path.join(d, "scim.conf")
            with open(conf, "w") as f:
                f.write("[store]\nhome = %s\n[scim]\nextensions = %s\n" % (d, bad))
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SCIM_CONF": conf,
                   "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET",
                   "SCRIPT_NAME": "/scim/v2/Schemas", "PATH_INFO": ""}
            r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scim-meta")], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
            self.assertEqual(r.returncode, 1, r)
            lines = r.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn(bad, lines[0])
            self.assertIn("strng", lines[0])
        finally:
            shutil.rmtree(d)

    def test_bad_file_stops_scimctl(self):
        # scimctl loads the same definitions as the programs (the sync
        # writes users through it): a bad one stops it, in one line.
        d = tempfile.mkdtemp(prefix="scim-ext-")
        try:
            bad = os.path.join(d, "ext.json")
            with open(bad, "w") as f:
                f.write('{"id": "urn:x:y", "resourceType": "User", '
                        '"attributes": [{"name": "a", "type": "strng"}]}')
            conf = os.path.join(d, "scim.conf")
            with open(conf, "w") as f:
                f.write("[store]\nhome = %s\n[scim]\nextensions = %s\n" % (d, bad))
            r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scimctl"), "-c", conf,
                                "user", "nobody@example.com"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
            self.assertEqual(r.returncode, 1, r)
            lines = r.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertTrue(lines[0].startswith("scimctl: "), lines[0])
            self.assertIn(bad, lines[0])
            self.assertIn("strng", lines[0])
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    scimtest.main()
