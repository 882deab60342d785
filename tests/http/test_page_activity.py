"""The admin page's Activity tab and held deprovisions over HTTP (no
browser) against a real lighttpd: Entra-shaped requests made in set-up are
listed, filtered by errors and user, and shown one at a time with their
body and the record before and after, and with what was skipped or
ignored (a member not of the tenant, an attribute not in the schema); a
user's detail shows its history from the recorder (its lookup by
userName, creation, change and group membership, each linking to the
request), and no other user's; with [safety] max_deprovisions = 1,
three deactivations hold two, every tab says so, the Held view lists
them, a viewer cannot decide (403), an owner approves one and rejects the
other and the list empties."""

import html
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402
from test_activity import ENTRA, entra_user  # noqa: E402
from test_tokens import PASSWORD, PageClient, add_accounts  # noqa: E402

BASE = "/scim-tokens"


def rows(text, table):
    """The data-id of the rows of table id, in order."""
    m = re.search(r'<table id="%s".*?</table>' % table, text, re.S)
    if not m:
        return []
    return [html.unescape(v) for v in re.findall(r'<tr data-id="([^"]*)"', m.group(0))]


def flash(text):
    m = re.search(r'id="flash">(.*?)</div>', text, re.S)
    return html.unescape(m.group(1)) if m else None


class PageActivity(ScimTestCase):
    server_args = {"conf_extra": "[safety]\nmax_deprovisions = 1\nwindow_minutes = 60\n"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_accounts(cls.srv.conf, ("act-owner", "owner"), ("act-viewer", "viewer"))
        s = cls.srv
        r = s.get('/Users?filter=userName+eq+%22alice%40contoso.com%22', headers=ENTRA)
        assert r.status == 200, r
        r = s.post("/Users", entra_user("alice@contoso.com", password="hunter2-secret",
                                        nickName2="x"),
                   headers=ENTRA)
        assert r.status == 201, r
        cls.alice = r.json["id"]
        r = s.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                               "displayName": "Sales"}, headers=ENTRA)
        assert r.status == 201, r
        cls.sales = r.json["id"]
        r = s.patch_ops("/Groups/" + cls.sales, {"op": "Add", "path": "members",
                                                 "value": [{"value": cls.alice},
                                                           {"value": "1234"}]},
                        headers=ENTRA)
        assert r.status in (200, 204), r
        r = s.patch_ops("/Users/" + cls.alice, {"op": "Replace", "path": "displayName",
                                                "value": "Alice <b>A</b>"}, headers=ENTRA)
        assert r.status == 200, r
        # An error: a filter the server refuses.
        r = s.get('/Users?filter=userName+zz+%22x%22', headers=ENTRA)
        assert r.status == 400, r
        cls.users = []
        for i in range(3):
            r = s.post("/Users", entra_user("leaver%d@contoso.com" % i), headers=ENTRA)
            assert r.status == 201, r
            cls.users.append(r.json["id"])
        cls.deact = []
        for uid in cls.users:
            r = s.patch_ops("/Users/" + uid, {"op": "Replace", "path": "active",
                                              "value": "False"}, headers=ENTRA)
            cls.deact.append(r.status)

    def client(self, name):
        c = PageClient(self.srv)
        self.assertEqual(c.login(name, PASSWORD).status, 303)
        return c

    def get(self, c, path, want=None):
        """GET path; with want, until want is in the text (records are
        written after the answer)."""
        for _ in range(50):
            r = c.req("GET", BASE + path)
            if want is None or want in r.text:
                return r
            time.sleep(0.1)
        self.fail("%r never showed on %s" % (want, path))

    def test_list_filters_detail(self):
        c = self.client("act-viewer")
        r = self.get(c, "/activity", want="Microsoft Entra ID")
        self.assertEqual(r.status, 200)
        self.assertIn('aria-current="page">Activity', r.text)
        ids = rows(r.text, "activitylist")
        self.assertGreaterEqual(len(ids), 8)
        self.assertIn("POST /scim/v2/Users", r.text)
        self.assertEqual(ids, sorted(ids, reverse=True))     # newest first
        r = self.get(c, "/activity?errors=1", want="400")
        errs = rows(r.text, "activitylist")
        self.assertGreaterEqual(len(errs), 1)
        self.assertLess(len(errs), len(ids))
        self.assertNotIn('"badge b-active">201', r.text, "errors filter")
        r = self.get(c, "/activity?user=alice%40contoso.com", want="PATCH")
        mine = rows(r.text, "activitylist")
        self.assertGreaterEqual(len(mine), 2)
        self.assertNotIn("leaver", r.text, "user filter")
        # The PATCH: its body, and the user before and after it, escaped.
        patch = [i for i in mine if re.search(
            r'data-id="%s".*?PATCH' % i, r.text, re.S)][0]
        r = self.get(c, "/activity?id=" + patch)
        self.assertEqual(r.status, 200)
        self.assertIn('id="act-body"', r.text)
        self.assertIn('id="act-before"', r.text)
        self.assertIn('id="act-after"', r.text)
        self.assertIn("Alice &lt;b&gt;A&lt;/b&gt;", r.text)
        self.assertNotIn("<b>A</b>", r.text)
        r = self.get(c, "/activity?errors=1&before=" + ids[-1])
        self.assertEqual(r.status, 200)
        # The time filter: nothing until 2001, everything since 2001.
        r = self.get(c, "/activity?until=2001-01-01")
        self.assertEqual(rows(r.text, "activitylist"), [])
        self.assertRegex(r.text, r'name="until"[^>]*value="2001-01-01"')
        self.assertEqual(rows(self.get(c, "/activity?since=2001-01-01").text,
                              "activitylist"), ids)
        # The POST's password is not on the page.
        for i in mine:
            self.assertNotIn("hunter2", self.get(c, "/activity?id=" + i).text)
        self.assertEqual(self.get(c, "/activity?id=00000000000000000000").status, 404)

    def test_user_history(self):
        c = self.client("act-viewer")
        r = self.get(c, "/users?id=" + self.alice, want="added 1 member to Sales")
        self.assertIn('id="history"', r.text)
        hist = rows(r.text, "userhistory")
        # The lookup, the POST, the group's PATCH and the user's PATCH.
        self.assertEqual(len(hist), 4, r.text)
        self.assertEqual(hist, sorted(hist, reverse=True))     # newest first
        table = re.search(r'<table id="userhistory".*?</table>', r.text, re.S).group(0)
        for words in ("Microsoft Entra ID", "GET /scim/v2/Users", "POST /scim/v2/Users",
                      "PATCH /scim/v2/Groups/" + self.sales, "updated alice@contoso.com",
                      '"badge b-active">201'):
            self.assertIn(words, table)
        self.assertNotIn("leaver", table)
        # Each row links to the request's detail on the Activity tab.
        links = re.findall(r'<td data-label="Time" class="time"><a href="([^"]*)"', table)
        self.assertEqual([html.unescape(u) for u in links],
                         [BASE + "/activity?id=" + i for i in hist])
        # And all of them are on the Activity tab, by userName.
        m = re.search(r'class="user-activity" href="([^"]*)"', r.text)
        self.assertTrue(m, "no activity link")
        path = urllib.parse.unquote(html.unescape(m.group(1)))
        self.assertEqual(path, BASE + "/activity?user=alice@contoso.com")
        r = self.get(c, html.unescape(m.group(1))[len(BASE):], want="PATCH")
        self.assertEqual(rows(r.text, "activitylist"), hist)
        # Another user's history is its own: its POST and its held PATCH.
        r = self.get(c, "/users?id=" + self.users[2])
        table = re.search(r'<table id="userhistory".*?</table>', r.text, re.S).group(0)
        self.assertEqual(len(rows(r.text, "userhistory")), 2, table)
        self.assertIn('"badge b-expired">503', table)
        self.assertNotIn("alice", table)

    def test_skipped_and_ignored_in_detail(self):
        c = self.client("act-viewer")
        r = self.get(c, "/activity?user=" + self.alice, want="added 1 member to Sales")
        seen = []
        for i in rows(r.text, "activitylist"):
            d = self.get(c, "/activity?id=" + i).text
            req = re.search(r'<h2><code>(.*?)</code></h2>', d, re.S).group(1)
            notes = re.search(r'id="act-notes">(.*?)</dd>', d, re.S).group(1)
            seen.append((html.unescape(req), html.unescape(notes)))
        self.assertIn(("PATCH /scim/v2/Groups/" + self.sales,
                       "<div>skipped member 1234: not a user of this tenant</div>"), seen)
        self.assertIn(("POST /scim/v2/Users",
                       "<div>ignored attribute nickName2: not in the schema</div>"), seen)

    def test_held(self):
        self.assertEqual(self.deact, [200, 503, 503])
        v = self.client("act-viewer")
        r = self.get(v, "")
        self.assertIn('id="held-banner"', r.text)
        self.assertIn("2 deprovisions are held for approval", r.text)
        self.assertIn('id="held-banner"', self.get(v, "/users").text)
        r = self.get(v, "/held")
        held = rows(r.text, "heldlist")
        self.assertEqual(len(held), 2)
        self.assertNotIn("/held-action", r.text)
        r = v.req("POST", BASE + "/held-action",
                  {"action": "approve", "id": held[0], "csrf": v.csrf(r.text)})
        self.assertEqual(r.status, 403)
        o = self.client("act-owner")
        page = self.get(o, "/held")
        self.assertIn("Approve all", page.text)
        r = o.req("POST", BASE + "/held-action",
                  {"action": "approve", "id": held[0], "csrf": o.csrf(page.text)})
        self.assertEqual(r.status, 303)
        page = self.get(o, "/held")
        self.assertIn("Approved 1 operation", flash(page.text))
        self.assertEqual(rows(page.text, "heldlist"), [held[1]])
        r = o.req("POST", BASE + "/held-action",
                  {"action": "reject", "id": held[1], "reason": "still employed",
                   "csrf": o.csrf(page.text)})
        self.assertEqual(r.status, 303)
        page = self.get(o, "/held")
        self.assertIn("Rejected 1 operation", flash(page.text))
        self.assertNotIn('id="held-banner"', page.text)
        # What is left is the rejected one, with no buttons.
        self.assertNotIn('value="approve"', page.text)
        r = self.srv.get("/Users/" + self.users[1])
        self.assertIn(r.json["active"], (False, "False"))


if __name__ == "__main__":
    scimtest.main()
