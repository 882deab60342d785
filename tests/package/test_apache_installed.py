"""The Apache site the package installed (/etc/scim-fcgi/apache-scim.conf)
under a real Apache httpd with mod_fcgid, over HTTPS, serving the INSTALLED
programs (/usr/libexec/scim-fcgi): the requests of tests/deploy/suite.py,
as tests/deploy/test_apache.py runs them against the build tree.

Only where the harness finds the site file and the programs changes; the
data home, scim.conf and Secret Token are the harness's own (a scratch
home), so the package's /var/lib/scim-fcgi is not touched.  Run by
tests/package/test_package.sh after it installed the package; set
SCIM_PKG_LIBEXEC and SCIM_PKG_CONFDIR to test another installed tree.
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "deploy"))
import deploytest  # noqa: E402  (puts tests/http on the path)
import scimtest  # noqa: E402
import suite  # noqa: E402

# deploytest and scimtest look these up when a server starts and when
# scim-tokens runs: set before any server exists.
scimtest.CGI_BIN = os.environ.get("SCIM_PKG_LIBEXEC", "/usr/libexec/scim-fcgi")
deploytest.ETC = os.environ.get("SCIM_PKG_CONFDIR", "/etc/scim-fcgi")


class InstalledApache(suite.Deployment, unittest.TestCase):
    server_class = deploytest.ApacheServer
    warm_pool = 6

    def test_installed_programs(self):
        """The processes Apache started are the installed programs."""
        r = self.srv.get("/ServiceProviderConfig")
        self.assertEqual(r.status, 200, r)
        exe = set()
        for pid in self.srv.pids("scim-meta"):
            try:
                exe.add(os.readlink("/proc/%d/exe" % pid))
            except OSError:
                pass
        self.assertEqual(exe, {os.path.join(scimtest.CGI_BIN, "scim-meta")})


class InstalledApacheAdminRestricted(suite.AdminRestricted, unittest.TestCase):
    server_class = deploytest.ApacheServer
    server_settings = {"SCIM_ADMIN_FROM": "192.0.2.0/24"}


if __name__ == "__main__":
    scimtest.main()
