"""/Bulk (RFC 7644 section 3.7) over HTTP against a real lighttpd: Users and
Groups written in Entra ID's request shapes inside one BulkRequest, bulkId
references forward and backward (members, paths, the enterprise manager), a
reference cycle refused with 409 (section 3.7.1), failOnErrors, the limits
advertised in /ServiceProviderConfig and enforced with 413, each operation's
own status, location and version, the state a GET sees afterwards, and the
audit events, which are those of single requests."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402
from test_audit import audit  # noqa: E402  (scimctl audit, as JSON)

BULK_REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESP = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CORE_U = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_G = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_OPS = 20
MAX_PAYLOAD = 65536


def bulk(*ops, **kw):
    b = {"schemas": [BULK_REQ], "Operations": list(ops)}
    b.update(kw)
    return b


def entra_user(name, external_id, **extra):
    """A user as Entra ID's provisioning service POSTs it."""
    u = {"schemas": [CORE_U, ENTERPRISE], "externalId": external_id, "userName": name,
         "active": True, "displayName": name.split("@")[0].title(),
         "emails": [{"primary": True, "type": "work", "value": name}],
         "meta": {"resourceType": "User"},
         "name": {"formatted": "Given Family", "familyName": "Family", "givenName": "Given"},
         ENTERPRISE: {"department": "Eng"}}
    u.update(extra)
    return u


def entra_group(name, external_id, members=()):
    return {"schemas": [CORE_G], "externalId": external_id, "displayName": name,
            "meta": {"resourceType": "Group"}, "members": [{"value": m} for m in members]}


def entra_patch(*ops):
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


def post(path, bulk_id, data):
    return {"method": "POST", "path": path, "bulkId": bulk_id, "data": data}


class Bulk(ScimTestCase):
    server_args = {"conf_extra": "[scim]\nbulk_max_operations = %d\nbulk_max_payload = %d\n"
                   % (MAX_OPS, MAX_PAYLOAD)}

    def send(self, body, status=200, **kw):
        r = self.srv.post("/Bulk", body, **kw)
        self.assertEqual(r.status, status, r)
        if status == 200:
            self.assertEqual(r.json["schemas"], [BULK_RESP], r)
            self.assertTrue(r.headers["content-type"].startswith("application/scim+json"))
        return r

    def ops(self, body, **kw):
        return self.send(body, **kw).json["Operations"]

    def full(self, path):
        """The absolute URL of path, as locations are written."""
        return "http://127.0.0.1:%d%s" % (self.srv.port, self.srv.url(path))

    def id_of(self, op):
        return op["location"].rsplit("/", 1)[1]

    def assertOpError(self, op, status, scim_type=None):
        self.assertEqual(op["status"], str(status), op)
        self.assertEqual(op["response"]["schemas"], ["urn:ietf:params:scim:api:messages:2.0:Error"], op)
        self.assertEqual(op["response"]["status"], str(status), op)
        self.assertTrue(op["response"]["detail"], op)
        if scim_type is not None:
            self.assertEqual(op["response"].get("scimType"), scim_type, op)

    def test_service_provider_config(self):
        d = self.srv.get("/ServiceProviderConfig").json
        self.assertEqual(d["bulk"], {"supported": True, "maxOperations": MAX_OPS,
                                     "maxPayloadSize": MAX_PAYLOAD})

    def test_entra_shapes_forward_references(self):
        # The group comes first and names members created after it.
        ops = self.ops(bulk(
            post("/Groups", "g1", entra_group("Bulk Eng", "g-ext-1", ["bulkId:u1", "bulkId:u2"])),
            post("/Users", "u1", entra_user("ada@bulk.example", "e-1")),
            post("/Users", "u2", entra_user("bob@bulk.example", "e-2",
                                            **{ENTERPRISE: {"manager": {"value": "bulkId:u1"}}})),
            {"method": "PATCH", "path": "/Users/bulkId:u1",
             "data": entra_patch({"op": "Replace", "path": "active", "value": "False"},
                                 {"op": "Add", "path": 'emails[type eq "work"].value',
                                  "value": "ada2@bulk.example"})},
            {"method": "PATCH", "path": "/Groups/bulkId:g1",
             "data": entra_patch({"op": "Replace", "path": "displayName", "value": "Bulk Engineering"})},
        ))
        self.assertEqual([(o["method"], o.get("bulkId"), o["status"]) for o in ops],
                         [("POST", "g1", "201"), ("POST", "u1", "201"), ("POST", "u2", "201"),
                          ("PATCH", None, "200"), ("PATCH", None, "204")])
        g, u1, u2 = (self.id_of(o) for o in ops[:3])
        base = self.full("")
        self.assertEqual(ops[0]["location"], base + "/Groups/" + g)
        self.assertEqual(ops[1]["location"], base + "/Users/" + u1)
        self.assertEqual(ops[3]["location"], base + "/Users/" + u1)
        self.assertEqual(ops[4]["location"], base + "/Groups/" + g)
        self.assertEqual([o["version"] for o in ops], ['W/"1"', 'W/"1"', 'W/"1"', 'W/"2"', 'W/"2"'])
        for o in ops:
            self.assertNotIn("response", o)
        # What a GET sees afterwards, with each version the one reported.
        r = self.srv.get("/Groups/" + g)
        self.assertEqual(r.json["displayName"], "Bulk Engineering")
        self.assertEqual(sorted(m["value"] for m in r.json["members"]), sorted([u1, u2]))
        self.assertEqual(r.headers["etag"], ops[4]["version"])
        r = self.srv.get("/Users/" + u1)
        self.assertFalse(r.json["active"])
        self.assertEqual(r.json["emails"][0]["value"], "ada2@bulk.example")
        self.assertEqual(r.headers["etag"], ops[3]["version"])
        self.assertEqual([x["value"] for x in r.json["groups"]], [g])
        r = self.srv.get("/Users/" + u2)
        self.assertEqual(r.json[ENTERPRISE]["manager"]["value"], u1)

    def test_put_delete_and_versions(self):
        ops = self.ops(bulk(post("/Users", "a", entra_user("carol@bulk.example", "e-3")),
                            post("/Users", "b", entra_user("dan@bulk.example", "e-4"))))
        a, b = self.id_of(ops[0]), self.id_of(ops[1])
        ops = self.ops(bulk(
            {"method": "PUT", "path": "/Users/" + a, "version": 'W/"1"',
             "data": entra_user("carol@bulk.example", "e-3", displayName="Carol C")},
            {"method": "PUT", "path": "/Users/" + b, "version": 'W/"7"',
             "data": entra_user("dan@bulk.example", "e-4")},
            {"method": "DELETE", "path": "/Users/" + b, "version": 'W/"1"'},
            {"method": "DELETE", "path": "/Users/" + b},
        ))
        base = self.full("")
        self.assertEqual(ops[0]["status"], "200")
        self.assertEqual(ops[0]["version"], 'W/"2"')
        self.assertEqual(ops[0]["location"], base + "/Users/" + a)
        self.assertOpError(ops[1], 412)
        self.assertEqual(ops[1]["location"], base + "/Users/" + b, "a failed PUT has a location")
        self.assertEqual(ops[2]["status"], "204")
        self.assertNotIn("version", ops[2])
        self.assertOpError(ops[3], 404)
        self.assertEqual(self.srv.get("/Users/" + a).json["displayName"], "Carol C")
        self.assertEqual(self.srv.get("/Users/" + b).status, 404)

    def test_cycle_refused(self):
        ops = self.ops(bulk(
            post("/Groups", "qwerty", entra_group("Cycle A", "c-a", ["bulkId:ytrewq"])),
            post("/Groups", "ytrewq", entra_group("Cycle B", "c-b", ["bulkId:qwerty"])),
            post("/Groups", "self", entra_group("Cycle self", "c-s", ["bulkId:self"])),
            post("/Groups", "after", entra_group("After cycle", "c-c", ["bulkId:qwerty"])),
            post("/Users", "free", entra_user("free@bulk.example", "e-5")),
        ))
        self.assertEqual(len(ops), 5)
        for o in ops[:3]:
            self.assertOpError(o, 409)
            self.assertNotIn("location", o, "a failed POST has no location")
        self.assertOpError(ops[3], 409)
        self.assertIn("qwerty", ops[3]["response"]["detail"])
        self.assertEqual(ops[4]["status"], "201")
        r = self.srv.get('/Groups?filter=displayName+sw+%22Cycle%22')
        self.assertEqual(r.json["totalResults"], 0)

    def test_fail_on_errors(self):
        self.ops(bulk(post("/Users", "x", entra_user("dup@bulk.example", "e-6"))))
        body = bulk(post("/Users", "d1", entra_user("dup@bulk.example", "e-6")),
                    post("/Users", "d2", entra_user("dup@bulk.example", "e-6")),
                    post("/Users", "ok", entra_user("ok1@bulk.example", "e-7")),
                    failOnErrors=1)
        ops = self.ops(body)
        self.assertEqual(len(ops), 1, "stopped after the first error")
        self.assertOpError(ops[0], 409, "uniqueness")
        self.assertEqual(self.srv.get('/Users?filter=userName+eq+%22ok1@bulk.example%22')
                         .json["totalResults"], 0, "the rest did not run")
        body["failOnErrors"] = 2
        ops = self.ops(body)
        self.assertEqual([o["status"] for o in ops], ["409", "409"])
        del body["failOnErrors"]
        ops = self.ops(body)
        self.assertEqual([o["status"] for o in ops], ["409", "409", "201"])
        for bad in (0, -1, 1.5, "1"):
            body["failOnErrors"] = bad
            self.assertScimError(self.srv.post("/Bulk", body), 400, "invalidValue")

    def test_limits(self):
        many = bulk(*[post("/Users", "m%d" % i, entra_user("m%d@bulk.example" % i, "m%d" % i))
                      for i in range(MAX_OPS + 1)])
        r = self.srv.post("/Bulk", many)
        self.assertScimError(r, 413)
        self.assertIn("maxOperations (%d)" % MAX_OPS, r.json["detail"])
        self.assertEqual(self.srv.get('/Users?filter=userName+sw+%22m1%22').json["totalResults"], 0)
        big = bulk(post("/Users", "big", entra_user("big@bulk.example", "big",
                                                    nickName="x" * MAX_PAYLOAD)))
        r = self.srv.post("/Bulk", big)
        self.assertScimError(r, 413)
        self.assertIn("maxPayloadSize (%d)" % MAX_PAYLOAD, r.json["detail"])
        # At the limits, it runs.
        ops = self.ops(bulk(*[post("/Users", "n%d" % i, entra_user("n%d@bulk.example" % i, "n%d" % i))
                              for i in range(MAX_OPS)]))
        self.assertEqual({o["status"] for o in ops}, {"201"})

    def test_whole_request_refused(self):
        for body, scim_type in (("not json", "invalidSyntax"),
                                ({"Operations": []}, "invalidSyntax"),
                                ({"schemas": [PATCH_OP], "Operations": []}, "invalidSyntax"),
                                ({"schemas": [BULK_REQ]}, "invalidSyntax"),
                                ({"schemas": [BULK_REQ], "Operations": {}}, "invalidSyntax"),
                                (bulk("POST"), "invalidSyntax"),
                                (bulk(post("/Users", "same", entra_user("s1@bulk.example", "s1")),
                                      post("/Users", "same", entra_user("s2@bulk.example", "s2"))),
                                 "invalidValue")):
            self.assertScimError(self.srv.post("/Bulk", body), 400, scim_type)
        self.assertEqual(self.srv.get('/Users?filter=userName+sw+%22s1%22').json["totalResults"], 0)
        self.assertScimError(self.srv.post("/Bulk", bulk(), token=""), 401)
        self.assertScimError(self.srv.post("/Bulk", bulk(), token="scim_00_00"), 401)
        self.assertScimError(self.srv.get("/Bulk"), 405)
        self.assertEqual(self.ops(bulk()), [])

    def test_operation_refused(self):
        u = entra_user("opbad@bulk.example", "ob")
        ops = self.ops(bulk(
            {"path": "/Users", "bulkId": "nm", "data": u},
            {"method": "GET", "path": "/Users/x"},
            {"method": "POST", "bulkId": "np", "data": u},
            {"method": "POST", "path": "/Tokens", "bulkId": "t", "data": u},
            {"method": "POST", "path": "/Users/abc", "bulkId": "pi", "data": u},
            {"method": "DELETE", "path": "/Users/abc", "data": u},
            {"method": "PUT", "path": "/Users/abc"},
            {"method": "POST", "path": "/Users", "bulkId": "ref", "data": dict(u, nickName="bulkId:nowhere")},
            {"method": "POST", "path": "/Users", "bulkId": "inv", "data": {"schemas": [CORE_U]}},
            {"method": "patch", "path": "/Users/none", "data": entra_patch(
                {"op": "replace", "path": "active", "value": False})},
        ))
        self.assertEqual(len(ops), 10)
        self.assertOpError(ops[0], 400, "invalidSyntax")
        self.assertOpError(ops[1], 400, "invalidValue")
        self.assertEqual(ops[1]["location"], self.full("/Users/x"))
        self.assertOpError(ops[2], 400, "invalidSyntax")
        self.assertOpError(ops[3], 404)
        self.assertOpError(ops[4], 405)
        self.assertOpError(ops[5], 400, "invalidSyntax")
        self.assertOpError(ops[6], 400, "invalidSyntax")
        self.assertOpError(ops[7], 400, "invalidValue")
        self.assertOpError(ops[8], 400)
        self.assertOpError(ops[9], 404)
        self.assertEqual(ops[9]["method"], "PATCH")
        self.assertEqual(self.srv.get('/Users?filter=userName+eq+%22opbad@bulk.example%22')
                         .json["totalResults"], 0)

    def test_reference_to_failed_operation(self):
        ops = self.ops(bulk(
            post("/Users", "bad", {"schemas": [CORE_U]}),
            post("/Groups", "grp", entra_group("Refers to bad", "rb", ["bulkId:bad"])),
            {"method": "DELETE", "path": "/Users/bulkId:bad"},
        ))
        self.assertOpError(ops[0], 400)
        self.assertOpError(ops[1], 409)
        self.assertOpError(ops[2], 409)
        self.assertTrue(ops[2]["location"].endswith("/Users/bulkId:bad"))

    def test_audit_events(self):
        mark = {e["id"] for e in audit(self.srv, "--category", "scim")}
        ops = self.ops(bulk(
            post("/Groups", "ag", entra_group("Audited bulk", "ag", ["bulkId:au"])),
            post("/Users", "au", entra_user("audit@bulk.example", "au")),
            {"method": "PATCH", "path": "/Users/bulkId:au",
             "data": entra_patch({"op": "Replace", "path": "active", "value": "False"})},
            {"method": "DELETE", "path": "/Groups/bulkId:ag"},
        ))
        self.assertEqual([o["status"] for o in ops], ["201", "201", "200", "204"])
        uid, gid = self.id_of(ops[1]), self.id_of(ops[0])
        ev = [e for e in reversed(audit(self.srv, "--category", "scim")) if e["id"] not in mark]
        self.assertEqual([(e["type"], e["target"]["id"]) for e in ev],
                         [("scim.user.provisioned", uid), ("scim.group.created", gid),
                          ("scim.group.members_added", gid), ("scim.user.deprovisioned", uid),
                          ("scim.group.deleted", gid)])
        for e in ev:
            self.assertEqual(e["tenant"], "default")
            self.assertTrue(e["actor"].startswith("token:"))

    def test_tenant_applies_to_every_operation(self):
        other = self.srv.make_token(tenant="other-bulk")
        ops = self.ops(bulk(post("/Users", "t", entra_user("tenant@bulk.example", "t"))), token=other)
        uid = self.id_of(ops[0])
        self.assertEqual(self.srv.get("/Users/" + uid).status, 404, "not in the default tenant")
        self.assertEqual(self.srv.get("/Users/" + uid, token=other).status, 200)
        ops = self.ops(bulk({"method": "DELETE", "path": "/Users/" + uid}))
        self.assertOpError(ops[0], 404)


if __name__ == "__main__":
    scimtest.main()
