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


class LighttpdAdminRestricted(suite.AdminRestricted, unittest.TestCase):
    server_class = deploytest.LighttpdServer
    # TEST-NET-1 (RFC 5737): an address range, never contacted.
    server_settings = {"scim_admin_from": "192.0.2.0/24"}

    def test_admin_prefix_forbidden(self):
        """lighttpd maps by prefix: /scim-tokensX reaches the same program
        and is restricted the same way."""
        r = self.srv.get("/scim-tokens.x", raw=True, token="")
        self.assertEqual(r.status, 403, r)


if __name__ == "__main__":
    scimtest.main()
