"""The access gate (scim-authz) in front of an application, under the
shipped etc/apache-app-gate.conf and etc/lighttpd-app-gate.conf, each
beside the shipped SCIM configuration in one real web server over HTTPS.

HTTP basic authentication stands in for single sign-on (the password file
is made here with `openssl passwd -apr1`, which Apache and lighttpd both
read), and the application is a CGI program that prints its environment.
Users and groups are provisioned through the SCIM endpoints of the same
server, in the shapes Entra ID sends; the role mappings are made with
`scimctl roles add`.  Each test then signs in to the application and looks
at what the gate let through.

A refusal is 403 with the gate's page under lighttpd; under Apache,
mod_fcgid answers every refusal of an authorizer with 401 and a page of
its own (GateServer.refused).
"""

import base64
import os
import re
import subprocess
import sys
import uuid

sys.dont_write_bytecode = True
import deploytest  # noqa: E402
import scimtest  # noqa: E402
import suite  # noqa: E402

PASSWORD = "gate-test-password"
BREAK_GLASS = "owner-breakglass@example.com"

APP_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
env | sort
"""

GATE_CONF = """
[roles]
default = none
[gate]
always_allow = %s
""" % BREAK_GLASS


class GateServer:
    """Mixed into a deploytest server class: adds the gate fragment, the
    application directory and the password file, and the settings above
    to scim.conf."""

    refused = 403
    gate_file = None

    def prepare_gate(self):
        with open(self.conf, "a") as f:
            f.write(GATE_CONF)
        self.app_root = os.path.join(self.home, "app")
        os.mkdir(self.app_root)
        cgi = os.path.join(self.app_root, "env.cgi")
        with open(cgi, "w") as f:
            f.write(APP_CGI)
        os.chmod(cgi, 0o755)
        self.users_file = os.path.join(self.home, "app-users.htpasswd")
        self.passwords = []
        with open(self.users_file, "w") as f:
            pass
        os.chmod(self.users_file, 0o644)
        self.add_login(BREAK_GLASS)

    def add_login(self, name):
        """Let name sign in (step 1) with PASSWORD."""
        h = subprocess.run([deploytest.OPENSSL, "passwd", "-apr1", PASSWORD],
                           check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
        with open(self.users_file, "a") as f:
            f.write("%s:%s\n" % (name, h))

    def gate_text(self, settings, pattern, line_fmt):
        with open(os.path.join(deploytest.ETC, self.gate_file)) as f:
            return deploytest.fill_settings(
                f.read(), pattern, {k: line_fmt(k, v) for k, v in settings.items()},
                "etc/" + self.gate_file)

    def scimctl(self, *args):
        r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scimctl"), "-c", self.conf]
                           + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("scimctl %s: %s" % (args, r.stderr))
        return r.stdout

    def app(self, name, path="/app/env.cgi"):
        """GET path as name: (status, {variable: value} the application
        saw, body)."""
        auth = base64.b64encode(("%s:%s" % (name, PASSWORD)).encode()).decode()
        r = self.request("GET", path, token="", raw=True,
                         headers={"Authorization": "Basic " + auth})
        env = {}
        if r.status == 200:
            for line in r.text.splitlines():
                k, _, v = line.partition("=")
                env[k] = v
        return r.status, env, r.text


class ApacheGate(GateServer, deploytest.ApacheServer):
    refused = 401
    gate_file = "apache-app-gate.conf"
    modules = deploytest.ApacheServer.modules + [
        "authn_core", "authn_file", "auth_basic", "authz_user", "cgi", "dir"]

    def write_config(self):
        cmd = super().write_config()
        self.prepare_gate()
        gate = self.gate_text({"GATE_ROOT": self.app_root, "GATE_LIBEXEC": self.libexec,
                               "GATE_CONF": self.conf, "GATE_USERS": self.users_file},
                              r"^Define %s .*$", lambda k, v: 'Define %s "%s"' % (k, v))
        path = os.path.join(self.home, self.gate_file)
        with open(path, "w") as f:
            f.write(gate)
        with open(self.httpd_conf, "a") as f:
            f.write('Include "%s"\n' % path)
        return cmd


class LighttpdGate(GateServer, deploytest.LighttpdServer):
    gate_file = "lighttpd-app-gate.conf"

    def write_config(self):
        cmd = super().write_config()
        self.prepare_gate()
        gate = self.gate_text({"gate_root": self.app_root, "gate_libexec": self.libexec,
                               "gate_conf": self.conf, "gate_users": self.users_file,
                               "gate_sockets": os.path.join(self.home, "sock")},
                              r"^var\.%s = .*$", lambda k, v: 'var.%s = "%s"' % (k, v))
        path = os.path.join(self.home, self.gate_file)
        with open(path, "w") as f:
            f.write(gate)
        # Before the SCIM fragment: mod_auth must come before mod_fastcgi.
        with open(self.main_conf) as f:
            main = f.read()
        main = main.replace('include "%s"' % self.fragment,
                            'include "%s"\ninclude "%s"' % (path, self.fragment))
        with open(self.main_conf, "w") as f:
            f.write(main)
        return cmd


class Gate(suite.ServerClass):
    """The decisions, as the application sees them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.srv
        cls.admins = cls.make_group("App Admins")
        cls.members = cls.make_group("App Users, EU")
        s.scimctl("roles", "add", "App Admins", "admin")
        s.scimctl("roles", "add", "App Users, EU", "member", "--products", "crm,wiki")

    # --- provisioning, as Entra ID does it ---
    @classmethod
    def make_group(cls, name):
        r = cls.srv.post("/Groups", scimtest.group(name, externalId=str(uuid.uuid4()),
                                                   members=[]))
        assert r.status == 201, r
        return r.json["id"]

    def make_user(self, prefix, group=None):
        name = self.unique(prefix)
        body = scimtest.user(name, active=True, externalId=str(uuid.uuid4()),
                             name={"givenName": prefix, "familyName": "Example"},
                             emails=[{"primary": True, "type": "work", "value": name}])
        r = self.srv.post("/Users", body)
        self.assertEqual(r.status, 201, r)
        self.srv.add_login(name)
        if group is not None:
            self.members_op(group, "Add", r.json["id"])
        return name, r.json["id"]

    def members_op(self, gid, op, uid):
        if op == "Add":
            o = {"op": "Add", "path": "members", "value": [{"value": uid}]}
        else:
            o = {"op": "Remove", "path": 'members[value eq "%s"]' % uid}
        r = self.srv.patch_ops("/Groups/" + gid, o)
        self.assertIn(r.status, (200, 204), r)

    def set_active(self, uid, active):
        r = self.srv.patch_ops("/Users/" + uid, {"op": "Replace", "path": "active",
                                                 "value": "True" if active else "False"})
        self.assertIn(r.status, (200, 204), r)

    def assertPasses(self, name, role):
        status, env, text = self.srv.app(name)
        self.assertEqual(status, 200, text[:500])
        self.assertEqual(env.get("REMOTE_USER"), name)
        self.assertEqual(env.get("SCIM_ROLE"), role, text[:2000])
        return env

    def assertRefused(self, name, words):
        status, env, text = self.srv.app(name)
        self.assertEqual(status, self.srv.refused, text[:500])
        if self.srv.refused == 403:
            self.assertIn(words, text)
        return text

    # --- the tests ---
    def test_active_user_with_role(self):
        """The variables reach the application."""
        name, uid = self.make_user("ada", self.admins)
        env = self.assertPasses(name, "admin")
        self.assertEqual(env.get("SCIM_USER_ID"), uid)
        self.assertEqual(env.get("SCIM_GROUPS"), "App Admins")
        self.assertEqual(env.get("SCIM_PRODUCTS"), "")

    def test_products_and_escaped_group(self):
        """A ',' inside a group's name is written %2C."""
        name, uid = self.make_user("mia", self.members)
        env = self.assertPasses(name, "member")
        self.assertEqual(env.get("SCIM_GROUPS"), "App Users%2C EU")
        self.assertEqual(env.get("SCIM_PRODUCTS"), "crm,wiki")

    def test_deactivate_reactivate(self):
        """PATCH active counts from the very next request."""
        name, uid = self.make_user("bo", self.admins)
        self.assertPasses(name, "admin")
        self.set_active(uid, False)
        self.assertRefused(name, "blocked")
        self.set_active(uid, True)
        self.assertPasses(name, "admin")

    def test_deleted(self):
        name, uid = self.make_user("cy", self.admins)
        self.assertPasses(name, "admin")
        r = self.srv.delete("/Users/" + uid)
        self.assertEqual(r.status, 204, r)
        self.assertRefused(name, "not provisioned")

    def test_unknown(self):
        """Signed in (step 1) but never provisioned."""
        name = self.unique("stranger")
        self.srv.add_login(name)
        self.assertRefused(name, "not provisioned")

    def test_no_role(self):
        """In no mapped group, with [roles] default = none."""
        name, uid = self.make_user("dee")
        self.assertRefused(name, "no role")

    def test_role_change(self):
        """Moved from the members' group to the admins': the new role, at
        once."""
        name, uid = self.make_user("eve", self.members)
        self.assertPasses(name, "member")
        self.members_op(self.members, "Remove", uid)
        self.members_op(self.admins, "Add", uid)
        self.assertPasses(name, "admin")
        self.members_op(self.admins, "Remove", uid)
        self.assertRefused(name, "no role")

    def test_break_glass(self):
        """Not in the directory, yet in [gate] always_allow: owner, and an
        audit event says so."""
        self.assertPasses(BREAK_GLASS, "owner")
        out = self.srv.scimctl("audit", "--type", "auth.break_glass")
        self.assertIn(BREAK_GLASS, out)

    def test_not_an_authorizer(self):
        """Run as a plain CGI responder without REMOTE_USER it refuses,
        with a Status line."""
        env = {"SCIM_CONF": self.srv.conf, "REQUEST_METHOD": "GET",
               "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scim-authz")], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        self.assertTrue(re.match(rb"Status: 403 ", r.stdout), r.stdout[:200])
