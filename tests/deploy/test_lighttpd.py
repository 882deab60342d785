"""The shipped etc/lighttpd-scim.conf under a real lighttpd 1.4 with
mod_fastcgi and mod_openssl, over HTTPS on an ephemeral loopback port."""

import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploytest  # noqa: E402
import scimtest  # noqa: E402
import suite  # noqa: E402


class Lighttpd(suite.Deployment, unittest.TestCase):
    server_class = deploytest.LighttpdServer

    def test_plain_http_refused(self):
        """On the plain-HTTP listener of the main configuration (Debian's
        port 80) nothing of scim-fcgi answers: not the SCIM API, whatever
        the case of its path, nor the admin page, even with a good token
        and from an address the admin page accepts."""
        auth = {"Authorization": "Bearer " + self.srv.token}
        for path in ("/scim/v2/Users", "/scim/v2/users?count=1", "/scim/v2/Groups",
                     "/scim/v2/ServiceProviderConfig", "/scim/v2/serviceConfiguration",
                     "/scim/v2/Schemas", "/scim/v2/ResourceTypes", "/scim/v2/Users/x",
                     "/scim-tokens", "/scim-tokens/login", "/SCIM/v2/Users"):
            status, headers, body = self.srv.plain_request("GET", path, auth)
            self.assertEqual(status, 403, (path, status, body[:200]))
            self.assertNotIn(b"urn:ietf:params:scim", body, path)
        status, _, body = self.srv.plain_request("POST", "/scim-tokens/login")
        self.assertEqual(status, 403, body[:200])


class LighttpdAdminRestricted(suite.AdminRestricted, unittest.TestCase):
    server_class = deploytest.LighttpdServer
    # TEST-NET-1 (RFC 5737): an address range, never contacted.
    server_settings = {"scim_admin_from": "192.0.2.0/24"}

    def test_admin_prefix_forbidden(self):
        """lighttpd maps by prefix: /scim-tokensX reaches the same program
        and is restricted the same way."""
        r = self.srv.get("/scim-tokens.x", raw=True, token="")
        self.assertEqual(r.status, 403, r)


class LighttpdWriters(suite.ServerClass, unittest.TestCase):
    """The shipped configuration sends writes to /Users and /Groups to one
    process of each program and reads to the others (X-Scim-Worker, with
    [log] store_ops_header, names the process that answered)."""
    server_class = deploytest.LighttpdServer

    @classmethod
    def setUpClass(cls):
        need = deploytest.missing_tools(cls.server_class.name)
        if need:
            raise RuntimeError("missing: apt-get install " + " ".join(need))
        cls.srv = cls.server_class(settings=cls.server_settings)
        with open(cls.srv.conf, "a") as f:
            f.write("[log]\nstore_ops_header = yes\n")
        cls.srv.start()

    def test_writes_go_to_one_writer(self):
        seen, bad = scimtest.workers_seen(self.srv, lambda t, i: self.unique("w%d" % t))
        scimtest.assert_one_writer(self, seen, bad)


if __name__ == "__main__":
    scimtest.main()
