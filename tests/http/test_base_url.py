"""[http] base_url unset: the programs build Location, meta.location and the
admin page's Tenant URL from the client's Host header.  That is fine on
loopback, but not where clients reach the server, so a program says so in
one log line, at its first request that came from or arrived on an address
other than loopback.  Run here as plain CGI, with the addresses set."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402

WARNING = "base_url is not set"


class BaseUrlWarning(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.mkdtemp(prefix="scim-test-")
        os.chmod(cls.home, 0o755)
        os.mkdir(os.path.join(cls.home, "db"))
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam("www-data")
            os.chown(os.path.join(cls.home, "db"), pw.pw_uid, pw.pw_gid)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.home])

    def stderr_of(self, base_url, server_addr, remote_addr, program="scim-meta",
                  script="/scim/v2/ServiceProviderConfig"):
        conf = os.path.join(self.home, "scim.conf")
        with open(conf, "w") as f:
            f.write("[store]\nhome = %s/db\n[http]\nbase_url = %s\n" % (self.home, base_url))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GATEWAY_INTERFACE": "CGI/1.1",
               "REQUEST_METHOD": "GET", "SCRIPT_NAME": script, "PATH_INFO": "",
               "SERVER_NAME": "evil.example", "SERVER_PORT": "443", "HTTPS": "on",
               "HTTP_HOST": "evil.example", "SERVER_PROTOCOL": "HTTP/1.1", "SCIM_CONF": conf}
        if server_addr:
            env["SERVER_ADDR"] = server_addr
        if remote_addr:
            env["REMOTE_ADDR"] = remote_addr
        r = subprocess.run([os.path.join(scimtest.CGI_BIN, program)], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertNotRegex(r.stdout.split("\r\n\r\n")[0], r"Status: 5", r.stderr)
        return r.stderr

    def test_warns_off_loopback(self):
        for srv, rem in (("192.0.2.10", "192.0.2.20"), ("127.0.0.1", "192.0.2.20"),
                         ("192.0.2.10", "127.0.0.1"), ("2001:db8::1", "::1")):
            err = self.stderr_of("", srv, rem)
            self.assertEqual(err.count(WARNING), 1, (srv, rem, err))

    def test_page_warns_too(self):
        err = self.stderr_of("", "192.0.2.10", "192.0.2.20", "scim-tokens", "/scim-tokens")
        self.assertEqual(err.count(WARNING), 1, err)

    def test_quiet_on_loopback(self):
        for srv, rem in (("127.0.0.1", "127.0.0.1"), ("::1", "::1"), (None, "127.0.0.5"),
                         ("::ffff:127.0.0.1", None)):
            err = self.stderr_of("", srv, rem)
            self.assertNotIn(WARNING, err, (srv, rem))

    def test_quiet_with_base_url(self):
        err = self.stderr_of("https://scim.example.com/scim/v2", "192.0.2.10", "192.0.2.20")
        self.assertNotIn(WARNING, err)


if __name__ == "__main__":
    scimtest.main()
