"""The admin page's Entra ID User Sync and Synced Users tabs over HTTP (no
browser) against a real lighttpd and the Graph stand-in: the forms need
the CSRF token, viewers see no form and get 403, bad input gets a clear
message; credentials are saved 0600 and the secret never comes back;
Test reports success or the AADSTS error with its hint; the groups
picker and the preview come from Graph; Sync Now starts scimctl as its
own process and the tab shows its result; a second Sync Now while one
runs says so; Synced Users lists what the sync imported."""

import fcntl
import html
import os
import re
import stat
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
sys.path.insert(0, HERE)
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402
from graph_standin import Standin  # noqa: E402
from test_sync import GraphCase, directory  # noqa: E402
from test_tokens import PASSWORD, PageClient, add_accounts  # noqa: E402

TAB = "/scim-tokens/sync"


def flash(text):
    m = re.search(r'id="flash">(.*?)</div>', text, re.S)
    return html.unescape(m.group(1)) if m else None


def forms(text):
    """The forms of a view other than sign-out."""
    return [f for f in re.findall(r'<form[^>]*>', text) if "/logout" not in f]


class PageSync(GraphCase):

    @classmethod
    def setUpClass(cls):
        cls.standin = Standin(directory(), page_size=2).start()
        cls.server_args = {"conf_extra": "[graph]\nauthority = %s\nurl = %s\n"
                           "timeout = 10\nmax_wait = 30\nscimctl = %s\n" % (
                               cls.standin.base, cls.standin.base,
                               os.path.join(scimtest.CGI_BIN, "scimctl"))}
        super(GraphCase, cls).setUpClass()
        add_accounts(cls.srv.conf, ("sync-owner", "owner"), ("sync-viewer", "viewer"))

    def client(self, name="sync-owner"):
        c = PageClient(self.srv)
        self.assertEqual(c.login(name, PASSWORD).status, 303)
        return c

    def act(self, c, form, csrf=True):
        page = c.req("GET", TAB)
        if csrf:
            form = dict(form, csrf=c.csrf(page.text))
        return c.req("POST", "/scim-tokens/sync-action", form)

    def follow(self, c, r):
        self.assertEqual(r.status, 303, r.text)
        return c.req("GET", r.headers["location"])

    def save(self, c, secret):
        return self.follow(c, self.act(c, {"action": "credentials", "tenant_id": "tenant-1",
                                           "client_id": "client-1",
                                           "client_secret": secret}))

    def test_01_viewer_sees_no_form_and_gets_403(self):
        c = self.client("sync-viewer")
        r = c.req("GET", TAB)
        self.assertEqual(r.status, 200)
        self.assertIn('id="sync-viewer"', r.text)
        self.assertEqual(forms(r.text), [])
        for action in ("credentials", "test", "run"):
            r = self.act(c, {"action": action, "tenant_id": "t", "client_id": "c",
                             "client_secret": "x"})
            self.assertEqual(r.status, 403, action)
        self.assertEqual(c.req("GET", "/scim-tokens/synced").status, 200)
        r = c.req("GET", TAB + "?view=groups")
        self.assertNotIn('id="groups-pick"', r.text)

    def test_02_csrf_required(self):
        c = self.client()
        r = self.act(c, {"action": "run"}, csrf=False)
        self.assertEqual(r.status, 403)
        self.assertIn("CSRF", r.text)
        r = c.req("POST", "/scim-tokens/sync-action", {"action": "run", "csrf": "0" * 64})
        self.assertEqual(r.status, 403)

    def test_03_bad_input(self):
        c = self.client()
        r = self.save(c, "")
        self.assertIn("all needed", flash(r.text))
        r = self.follow(c, self.act(c, {"action": "credentials", "tenant_id": "t" * 500,
                                        "client_id": "c", "client_secret": "s"}))
        self.assertIn("too long", flash(r.text))
        r = self.follow(c, self.act(c, {"action": "nonsense"}))
        self.assertIn("Unknown action", flash(r.text))
        self.assertIn('id="creds-none"', r.text)

    def test_04_credentials_saved_secret_never_shown(self):
        c = self.client()
        r = self.save(c, "wrong-secret-123")
        self.assertIn("Credentials saved", flash(r.text))
        self.assertNotIn("wrong-secret-123", r.text)
        self.assertIn("tenant-1", r.text)
        self.assertRegex(r.text, r'type="password" name="client_secret"[^>]*>')
        self.assertNotRegex(r.text, r'name="client_secret"[^>]*value=')
        path = os.path.join(self.srv.home, "db", "graph-%s.json" % b"default".hex())
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        r = self.follow(c, self.act(c, {"action": "test"}))
        self.assertIn("AADSTS7000215", flash(r.text))
        self.assertIn("regenerate the client secret", flash(r.text))
        self.assertNotIn("wrong-secret-123", r.text)
        r = self.save(c, "s3cret")
        r = self.follow(c, self.act(c, {"action": "test"}))
        self.assertIn("Test succeeded", flash(r.text))
        self.assertNotIn("s3cret", r.text)

    def test_05_groups_picker(self):
        c = self.client()
        r = c.req("GET", TAB + "?view=groups")
        self.assertIn("Sales", r.text)
        self.assertIn('name="group" value="g-sales"', r.text)
        r = c.req("GET", TAB + "?view=groups&q=zzz")
        self.assertIn('id="groups-none"', r.text)
        self.assertIn("No group matches", r.text)

    def test_06_preview(self):
        c = self.client()
        r = c.req("GET", TAB + "?view=preview")
        self.assertIn('id="preview-error"', r.text)
        self.assertIn("no role mappings", r.text)
        r = self.srv.post("/Users", scimtest.user("frank@example.com",
                                                  displayName="Frank from SCIM"))
        self.assertEqual(r.status, 201, r)
        self.ctl("roles", "add", "Sales", "admin", check=0)
        self.ctl("roles", "add", "g-staff", "member", check=0)
        r = c.req("GET", TAB + "?view=preview")
        table = re.search(r'<table id="preview-rows".*?</table>', r.text, re.S).group(0)
        rows = re.findall(r"<tr><td[^>]*>([^<]*)</td>", table)
        self.assertEqual(len(rows), 6, rows)
        self.assertIn("dave@example.com", rows)            # no mail: the UPN
        self.assertIn("managed by SCIM", table)
        self.assertIn(">Create", table)
        self.assertIn(">Update", table)

    def test_07_sync_now_and_result(self):
        c = self.client()
        r = self.act(c, {"action": "run"})
        self.assertEqual(r.status, 303)
        self.assertTrue(r.headers["location"].endswith("/sync?started=1"))
        r = c.req("GET", r.headers["location"])
        self.assertIn("Sync started", flash(r.text))
        self.assertIn('http-equiv="refresh"', r.text)
        for _ in range(100):
            r = c.req("GET", TAB)
            if 'id="sync-last"' in r.text and 'id="sync-running"' not in r.text:
                break
            time.sleep(0.2)
        last = re.search(r'id="sync-last".*?</dl>', r.text, re.S).group(0)
        self.assertIn("success", last)
        self.assertIn('class="created">5<', last)
        self.assertIn('class="updated">1<', last)
        self.assertNotIn('http-equiv="refresh"', r.text)

    def test_08_second_click_while_running(self):
        c = self.client()
        lock = os.path.join(self.srv.home, "db", "sync-%s.lock" % b"default".hex())
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            r = c.req("GET", TAB)
            self.assertIn('id="sync-progress"', r.text)
            self.assertIn('http-equiv="refresh"', r.text)
            r = self.follow(c, self.act(c, {"action": "run"}))
            self.assertIn("already running", flash(r.text))
        finally:
            os.close(fd)

    def test_09_synced_users(self):
        c = self.client()
        r = c.req("GET", "/scim-tokens/synced")
        self.assertEqual(r.status, 200)
        names = re.findall(r'class="un"><a [^>]*>([^<]*)</a>', r.text)
        self.assertEqual(names, ["alice@example.com", "bob@example.com", "carol@example.com",
                                 "dave@example.com", "erin@example.com"])
        self.assertIn("Staff", r.text)
        r = c.req("GET", "/scim-tokens/synced?page=99")
        self.assertEqual(r.status, 200)
        r = c.req("GET", "/scim-tokens/synced?page=x")
        self.assertEqual(r.status, 200)
        # Sync events reach the audit log.
        r = c.req("GET", "/scim-tokens/audit")
        self.assertIn("sync.completed", r.text)

    def test_10_failed_sync_gives_advice(self):
        c = self.client()
        self.save(c, "expired-or-wrong")
        try:
            r = self.act(c, {"action": "run"})
            self.assertEqual(r.status, 303)
            for _ in range(100):
                r = c.req("GET", TAB)
                if "Last sync: failed" in r.text and 'id="sync-running"' not in r.text:
                    break
                time.sleep(0.2)
            self.assertIn("Last sync: failed", r.text)
            err = re.search(r'id="sync-last-error">(.*?)</p>', r.text, re.S).group(1)
            self.assertIn("AADSTS7000215", html.unescape(err))
            self.assertIn("regenerate the client secret", r.text)
            self.assertNotIn("expired-or-wrong", r.text)
        finally:
            self.save(c, "s3cret")


if __name__ == "__main__":
    scimtest.main()
