"""The shipped etc/apache-scim.conf under a real Apache httpd 2.4 with
mod_fcgid and mod_ssl, over HTTPS on an ephemeral loopback port."""

import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploytest  # noqa: E402
import scimtest  # noqa: E402
import suite  # noqa: E402


class Apache(suite.Deployment, unittest.TestCase):
    server_class = deploytest.ApacheServer
    warm_pool = 6


class ApacheAdminRestricted(suite.AdminRestricted, unittest.TestCase):
    server_class = deploytest.ApacheServer
    # TEST-NET-1 (RFC 5737): an address range, never contacted.
    server_settings = {"SCIM_ADMIN_FROM": "192.0.2.0/24"}


if __name__ == "__main__":
    scimtest.main()
