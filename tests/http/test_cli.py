"""The command lines of scim-tokens and scimctl, as a new operator meets them:

- every bad argument (unknown command or option, missing value, bad
  number, time, category, tenant, role, label, a stray argument, an option
  of another command) gets exactly one line on stderr naming it, nothing
  on stdout, and exit status 2; --help prints the usage on stdout, exit 0;
- every command that changes something says in one line what it did;
  create and regenerate keep the token alone on stdout (their sentence is
  on stderr);
- show, list and admin list name fields as the JSON does (snake_case),
  with times in RFC 3339;
- with no scim.conf anywhere and no store, a command says which -c to give
  (the quick start's scim.conf when there is one) and creates nothing.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402

TOKENS = os.path.join(scimtest.CGI_BIN, "scim-tokens")
SCIMCTL = os.path.join(scimtest.CGI_BIN, "scimctl")
PASSWORD = "correct horse battery staple"
RFC3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"


def run(prog, conf, *args, input=None, env=None, cwd=None):
    cmd = [prog] + (["-c", conf] if conf else []) + list(args)
    return subprocess.run(cmd, input=input, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, cwd=cwd,
                          stdin=None if input is not None else subprocess.DEVNULL)


def token_id(tok):
    return tok.split("_")[1]


class BadArguments(ScimTestCase):
    """One line naming the mistake, exit 2, for both programs."""

    # (arguments, what the one line must contain)
    TOKENS_CASES = [
        (["frobnicate"], 'unknown command "frobnicate" (scim-tokens --help lists them)'),
        (["admin", "frob"], 'unknown command "admin frob"'),
        (["admin"], "admin needs a command"),
        (["--frob"], 'unknown option "--frob"'),
        (["-x", "list"], 'unknown option "-x"'),
        (["list", "--days"], "--days needs a value"),
        (["list", "--json=yes"], "--json takes no value"),
        (["create", "--days", "45"], "--days: 45 is not 30, 60, 90, 180 or 365"),
        (["create", "--days", "ten"], "--days: ten"),
        (["create", "--expires-in-seconds", "0"],
         "--expires-in-seconds: 0 is not a number from 1 to 315360000"),
        (["create", "--label", ""], "--label is empty"),
        (["create", "--label", " \t "], "--label is empty"),
        (["create", "--label", "x" * 101], "--label:"),
        (["create", "--tenant", "a b"], '--tenant: "a b" is not a tenant'),
        (["list", "--label", "x"], "list does not take --label"),
        (["list", "--all", "--tenant", "t"], "give --tenant or --all, not both"),
        (["renew", "0123456789abcdef", "--days", "30", "--expires-in-seconds", "60"],
         "give --days or --expires-in-seconds, not both"),
        (["revoke"], "revoke: missing ID"),
        (["revoke", "0123456789abcdef", "extra"], 'revoke: unexpected argument "extra"'),
        (["list", "extra"], 'list: unexpected argument "extra"'),
        (["show", "0123456789abcdef", "--dry-run"], "show does not take --dry-run"),
        (["admin", "add", "alice"], "admin add needs --role owner or --role admin"),
        (["admin", "add", "alice", "--role", "boss"], '--role: "boss" is not owner or admin'),
        (["admin", "add", "a b", "--role", "owner"], 'admin add: "a b" is not a name'),
        (["admin", "add", "alice", "--role", "owner", "--email", "nope"],
         '--email: "nope" is not an address'),
        (["admin", "passwd"], "admin passwd: missing NAME"),
        (["admin", "list", "--role", "owner"], "admin list does not take --role"),
    ]

    SCIMCTL_CASES = [
        (["audit", "--category", "users"],
         '--category: "users" is not scim, tokens, auth, admin, sync or other'),
        (["audit", "--limit", "0"], "--limit: 0 is not a number from 1 to"),
        (["audit", "--limit", "many"], "--limit: many is not a number"),
        (["deliver", "--max", "-1"], "--max: -1 is not a number"),
        (["audit", "--since", "yesterday"], '--since: "yesterday" is not an RFC 3339 time'),
        (["audit", "--until", "2026-13-01T00:00:00Z"], "--until:"),
        (["audit", "--since", "1h", "--until", "2h"], "--since is after --until"),
        (["audit", "--tenant", "a b"], '--tenant: "a b" is not a tenant'),
        (["audit", "--limit"], "--limit needs a value"),
        (["audit", "extra"], 'audit: unexpected argument "extra"'),
        (["deliver", "--limit", "5"], "deliver does not take --limit"),
        (["frob"], 'unknown command "frob" (scimctl --help lists them)'),
        ([], "no command given"),
        (["--frob", "audit"], 'unknown option "--frob"'),
    ]

    def check(self, prog, name, cases):
        for args, want in cases:
            with self.subTest(prog=name, args=args):
                r = run(prog, self.srv.conf, *args)
                self.assertEqual(r.returncode, 2, (args, r.stderr))
                self.assertEqual(r.stdout, "", args)
                lines = r.stderr.splitlines()
                self.assertEqual(len(lines), 1, (args, r.stderr))
                self.assertTrue(lines[0].startswith(name + ": "), lines)
                self.assertIn(want, lines[0])

    def test_scim_tokens(self):
        self.check(TOKENS, "scim-tokens", self.TOKENS_CASES)

    def test_scimctl(self):
        self.check(SCIMCTL, "scimctl", self.SCIMCTL_CASES)

    def test_refused_arguments_change_nothing(self):
        run(TOKENS, self.srv.conf, "create", "--tenant", "blank", "--label", "  ")
        out = run(TOKENS, self.srv.conf, "list", "--tenant", "blank", "--json").stdout
        self.assertEqual(json.loads(out), [])

    def test_help(self):
        for prog, cmds in ((TOKENS, ["create", "list", "show", "revoke", "admin add"]),
                           (SCIMCTL, ["audit", "deliver", "prune"])):
            for flag in ("--help", "-h"):
                r = run(prog, None, flag)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stderr, "")
                self.assertTrue(r.stdout.startswith("usage: "), r.stdout)
                for c in cmds:
                    self.assertIn(c, r.stdout)


class SuccessLines(ScimTestCase):
    """Every change says what it did, in one line."""

    def tokens(self, *args, **kw):
        r = run(TOKENS, self.srv.conf, *args, **kw)
        self.assertEqual(r.returncode, 0, (args, r.stderr))
        return r

    def test_token_lifecycle(self):
        r = self.tokens("create", "--tenant", "said", "--label", "Entra prod", "--days", "30")
        tok = r.stdout.strip()
        self.assertRegex(r.stdout, r"^scim_[0-9a-f]{16}_[0-9a-f]{64}\n$")
        tid = token_id(tok)
        self.assertRegex(r.stderr, r'^Token %s \("Entra prod"\) created for tenant said, '
                         r'expires %s\.\n$' % (tid, RFC3339))
        r = self.tokens("renew", tid, "--days", "60")
        self.assertRegex(r.stdout, r'^Token %s \("Entra prod"\) renewed: expires %s\.\n$'
                         % (tid, RFC3339))
        for cmd, done in (("disable", "disabled"), ("enable", "enabled")):
            r = self.tokens(cmd, tid)
            self.assertEqual(r.stdout, 'Token %s ("Entra prod") %s.\n' % (tid, done))
        r = self.tokens("regenerate", tid)
        new = token_id(r.stdout.strip())
        self.assertRegex(r.stdout, r"^scim_[0-9a-f]{16}_[0-9a-f]{64}\n$")
        self.assertRegex(r.stderr, r'^Token %s \("Entra prod"\) made for tenant said, expires %s; '
                         r'it replaces %s, now revoked\.\n$' % (new, RFC3339, tid))
        self.assertEqual(self.tokens("delete", tid).stdout,
                         'Token %s ("Entra prod") deleted.\n' % tid)
        self.assertEqual(self.tokens("revoke", new).stdout,
                         'Token %s ("Entra prod") revoked.\n' % new)
        r = self.tokens("create", "--tenant", "said")
        self.assertIn("Token %s created for tenant said" % token_id(r.stdout.strip()), r.stderr)

    def test_create_json_keeps_stdout_json(self):
        r = self.tokens("create", "--tenant", "js", "--label", "j", "--json")
        made = json.loads(r.stdout)
        self.assertIn('Token %s ("j") created' % made["id"], r.stderr)

    def test_admin_accounts(self):
        r = self.tokens("admin", "add", "alice", "--role", "owner", "--password-file", "-",
                        input=PASSWORD + "\n")
        self.assertEqual(r.stdout, 'Admin account "alice" added (role owner, tenant default).\n')
        r = self.tokens("admin", "add", "bob", "--role", "admin", "--tenant", "t2",
                        "--password-file", "-", input=PASSWORD + "\n")
        self.assertEqual(r.stdout, 'Admin account "bob" added (role admin, tenant t2).\n')
        r = self.tokens("admin", "passwd", "alice", "--password-file", "-",
                        input="another password\n")
        self.assertEqual(r.stdout, 'Password of admin account "alice" changed.\n')
        r = self.tokens("admin", "list")
        self.assertRegex(r.stdout, r"(?m)^alice\s+owner\s+default\s+-\s+last_login never$")
        self.assertEqual(self.tokens("admin", "delete", "bob").stdout,
                         'Admin account "bob" deleted.\n')


class Naming(ScimTestCase):
    """Text output uses the JSON's names; its times are RFC 3339."""

    def test_show_and_list(self):
        tok = run(TOKENS, self.srv.conf, "create", "--tenant", "nm", "--label", "n").stdout
        tid = token_id(tok.strip())
        run(TOKENS, self.srv.conf, "renew", tid)
        text = run(TOKENS, self.srv.conf, "show", tid).stdout
        js = json.loads(run(TOKENS, self.srv.conf, "show", tid, "--json").stdout)
        keys = [line.split(":", 1)[0] for line in text.splitlines()]
        self.assertEqual(keys, ["id", "tenant", "label", "status", "created_by", "created",
                                "expires", "last_used", "renewed", "reminded"])
        for k in keys:
            self.assertIn(k, js)
            self.assertRegex(k, r"^[a-z_]+$")
        for k in ("created", "expires", "renewed"):
            self.assertRegex(text, r"(?m)^%s: +%s$" % (k, RFC3339))
            self.assertRegex(js[k], "^%s$" % RFC3339)
        self.assertIsNone(js["last_used"])
        self.assertRegex(text, r"(?m)^last_used: +never$")
        line = run(TOKENS, self.srv.conf, "list", "--tenant", "nm").stdout
        self.assertRegex(line, r"^%s\s+Active\s+nm\s+created %s  expires %s  last_used never  n\n$"
                         % (tid, RFC3339, RFC3339))


def default_paths():
    """(SYSCONFDIR/scim-fcgi/scim.conf, LOCALSTATEDIR/lib/scim-fcgi) of this build."""
    v = {}
    with open(os.path.join(scimtest.TOP_BUILDDIR, "Makefile")) as f:
        for line in f:
            m = re.match(r"^(prefix|sysconfdir|localstatedir) = (.*)$", line.rstrip("\n"))
            if m:
                v[m.group(1)] = m.group(2)
    exp = {k: v[k].replace("${prefix}", v["prefix"]) for k in v}
    return (os.path.join(exp["sysconfdir"], "scim-fcgi", "scim.conf"),
            os.path.join(exp["localstatedir"], "lib", "scim-fcgi"))


class NoConfig(unittest.TestCase):
    """No -c, no $SCIM_CONF, no default scim.conf and no store: say which -c."""

    def setUp(self):
        conf, self.home = default_paths()
        if os.path.exists(conf) or os.path.exists(self.home):
            self.skipTest("this machine has %s or %s" % (conf, self.home))
        self.tmp = tempfile.mkdtemp(prefix="scim-cli-")
        self.env = {k: v for k, v in os.environ.items() if k != "SCIM_CONF"}

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def stage(self, where, prog):
        os.makedirs(where, exist_ok=True)
        shutil.copy2(os.path.join(scimtest.CGI_BIN, prog), where)
        return os.path.join(where, prog)

    def test_quick_start_conf_named(self):
        # The quick start's layout: <home>/bin/<program>, <home>/scim.conf.
        qs = os.path.realpath(os.path.join(self.tmp, "qs"))
        for prog, args in (("scim-tokens", ["admin", "add", "alice", "--role", "owner"]),
                           ("scimctl", ["audit"])):
            exe = self.stage(os.path.join(qs, "bin"), prog)
            with open(os.path.join(qs, "scim.conf"), "w") as f:
                f.write("[store]\nhome = %s/db\n" % qs)
            r = run(exe, None, *args, env=self.env, cwd=self.tmp, input="")
            conf = os.path.join(qs, "scim.conf")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(r.stderr, "%s: no scim.conf found; the quick start's is %s: "
                             "%s -c %s ...\n" % (prog, conf, prog, conf))
            self.assertFalse(os.path.exists(self.home))

    def test_no_conf_at_all(self):
        empty = os.path.join(self.tmp, "x")
        for prog in ("scim-tokens", "scimctl"):
            exe = self.stage(os.path.join(empty, "bin"), prog)
            r = run(exe, None, "list" if prog == "scim-tokens" else "prune",
                    env=self.env, cwd=self.tmp)
            self.assertEqual(r.returncode, 2, r.stderr)
            if "quick start" in r.stderr:  # a root quick start on this machine
                continue
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn("%s: no scim.conf found" % prog, r.stderr)
            self.assertIn("%s -c FILE" % prog, r.stderr)
            self.assertFalse(os.path.exists(self.home))


if __name__ == "__main__":
    scimtest.main()
