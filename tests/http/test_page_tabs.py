"""The admin page's tabs over HTTP (no browser) against a real lighttpd:
the Role mappings forms (CSRF required, viewers refused with 403, bad
input answered with a clear message, add / move / delete through
roles.h with their audit events), the Users tab (search, filters,
paging, a user's detail with its role and the mapping that gave it) and
the Groups tab (member counts, members paged), with users and groups
provisioned through the SCIM API as Entra ID does."""

import html
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase  # noqa: E402
from test_roles import entra_group, entra_user  # noqa: E402
from test_tokens import PASSWORD, PageClient, add_accounts  # noqa: E402

USERS = 60      # more than one page of the Users tab (50)


def rows(text, table):
    """The data-group / data-id of the rows of table id, in order."""
    m = re.search(r'<table id="%s".*?</table>' % table, text, re.S)
    if not m:
        return []
    return [html.unescape(v) for v in
            re.findall(r'<tr data-(?:group|id)="([^"]*)"', m.group(0))]


def flash(text):
    m = re.search(r'id="flash">(.*?)</div>', text, re.S)
    return html.unescape(m.group(1)) if m else None


class PageTabs(ScimTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_accounts(cls.srv.conf, ("tabs-owner", "owner"), ("tabs-viewer", "viewer"))
        cls.uids = {}
        for i in range(USERS):
            name = "person%02d@example.com" % i
            r = cls.srv.post("/Users", entra_user(name, "ext-%02d" % i))
            assert r.status == 201, r
            cls.uids[name] = r.json["id"]
        r = cls.srv.patch_ops("/Users/" + cls.uids["person07@example.com"],
                              {"op": "replace", "path": "active", "value": False})
        assert r.status == 200, r
        # A userName that is not the email: found by the exact email.
        odd = entra_user("jdoe", "ext-jdoe")
        odd["emails"] = [{"primary": True, "type": "work", "value": "John.Doe@corp.example"}]
        r = cls.srv.post("/Users", odd)
        assert r.status == 201, r
        cls.uids["jdoe"] = r.json["id"]
        r = cls.srv.post("/Groups", entra_group("Tab Admins", "obj-admins"))
        assert r.status == 201, r
        cls.gid = r.json["id"]
        r = cls.srv.patch_ops("/Groups/" + cls.gid, {"op": "Add", "path": "members", "value": [
            {"value": cls.uids["person%02d@example.com" % i]} for i in range(55)]})
        assert r.status == 204, r

    def owner(self):
        c = PageClient(self.srv)
        self.assertEqual(c.login("tabs-owner", PASSWORD).status, 303)
        return c

    def post(self, c, form, tab="/scim-tokens/roles"):
        page = c.req("GET", tab)
        form = dict(form, csrf=c.csrf(page.text))
        return c.req("POST", "/scim-tokens/mapping", form)

    def test_tabs_on_every_view(self):
        c = self.owner()
        for path, tab in (("", "tokens"), ("/roles", "roles"), ("/users", "users"),
                          ("/groups", "groups"), ("/audit", "audit")):
            r = c.req("GET", "/scim-tokens" + path)
            self.assertEqual(r.status, 200, path)
            self.assertRegex(r.text, r'id="tab-%s" aria-current="page"' % tab)
            for other in ("tokens", "roles", "users", "groups", "audit"):
                self.assertIn('id="tab-%s"' % other, r.text)
        # Old links to the log on the page's own path still show the log.
        r = c.req("GET", "/scim-tokens?category=scim")
        self.assertIn('id="audit-filter"', r.text)
        self.assertIn('id="tab-audit" aria-current="page"', r.text)
        # Signed out, a tab is the sign-in form.
        r = PageClient(self.srv).req("GET", "/scim-tokens/users")
        self.assertIn('name="password"', r.text)
        self.assertNotIn("person00", r.text)

    def test_mapping_forms_refuse(self):
        c = self.owner()
        r = c.req("POST", "/scim-tokens/mapping", {"action": "add", "group": "X",
                                                   "role": "member"})
        self.assertEqual(r.status, 403)
        self.assertIn("CSRF", r.text)
        v = PageClient(self.srv)
        self.assertEqual(v.login("tabs-viewer", PASSWORD).status, 303)
        page = v.req("GET", "/scim-tokens/roles").text
        self.assertNotIn('value="add"', page, "a viewer sees no add form")
        self.assertIn('id="roles-viewer"', page)
        r = self.post(v, {"action": "add", "group": "Viewer Group", "role": "owner"})
        self.assertEqual(r.status, 403)
        self.assertIn("Only owners", r.text)
        self.assertNotIn("Viewer Group", c.req("GET", "/scim-tokens/roles").text)
        r = c.req("GET", "/scim-tokens/mapping")
        self.assertEqual(r.status, 303, "GET of the action goes back to the page")

    def test_mapping_bad_input(self):
        c = self.owner()
        cases = [
            ({"action": "add", "group": "G", "role": "boss"},
             "The role must be owner, admin or member."),
            ({"action": "add", "group": "G", "role": "member", "position": "x"},
             "The position must be a number"),
            ({"action": "add", "group": "", "role": "member"}, "group"),
            ({"action": "add", "group": "G", "role": "admin", "products": "crm"},
             "member"),
            ({"action": "add", "group": "G", "role": "member", "products": "a,a"},
             "a"),
            ({"action": "add", "group": "G", "role": "member", "position": "40"},
             "position"),
            ({"action": "delete", "group": "no such group"}, "no such group"),
            ({"action": "up"}, "named no group"),
            ({"action": "fly", "group": "G"}, "Unknown action."),
        ]
        for form, words in cases:
            r = self.post(c, form)
            self.assertEqual(r.status, 303, form)
            self.assertEqual(r.headers["location"], "/scim-tokens/roles")
            msg = flash(c.req("GET", "/scim-tokens/roles").text)
            self.assertIsNotNone(msg, form)
            self.assertIn(words, msg, form)

    def test_mapping_add_move_delete(self):
        c = self.owner()
        for group, role, extra in (("obj-admins", "admin", {}),
                                   ("Sales", "member", {"products": "crm,billing"}),
                                   ("Owners", "owner", {"position": "1",
                                                        "auto_sync": "no"})):
            r = self.post(c, dict({"action": "add", "group": group, "role": role}, **extra))
            self.assertEqual(r.status, 303)
            self.assertIn("added", flash(c.req("GET", "/scim-tokens/roles").text))
        page = c.req("GET", "/scim-tokens/roles").text
        self.assertEqual(rows(page, "mappings")[:3], ["Owners", "obj-admins", "Sales"])
        self.assertIn("crm, billing", page)
        self.assertIn("first matching mapping wins", page)
        self.assertIn("externalId", page)
        self.post(c, {"action": "down", "group": "Owners"})
        page = c.req("GET", "/scim-tokens/roles").text
        self.assertIn("moved to position 2", flash(page))
        self.assertEqual(rows(page, "mappings")[:3], ["obj-admins", "Owners", "Sales"])
        self.post(c, {"action": "up", "group": "obj-admins"})
        self.assertIn("already first", flash(c.req("GET", "/scim-tokens/roles").text))
        # The user's detail names the role and the mapping that gave it.
        uid = self.uids["person03@example.com"]
        page = c.req("GET", "/scim-tokens/users?id=" + uid).text
        self.assertRegex(page, r'id="user-role"><strong>admin</strong>.*mapping #1, '
                         r'group “obj-admins”')
        self.assertIn("scim.user.provisioned", page)
        self.assertIn("Tab Admins", page)
        for g in ("Owners", "Sales", "obj-admins"):
            self.post(c, {"action": "delete", "group": g})
        page = c.req("GET", "/scim-tokens/roles").text
        self.assertNotIn('data-group="Sales"', page)
        log = c.req("GET", "/scim-tokens/audit?target=Sales").text
        self.assertIn("role.mapping.added", log)
        self.assertIn("role.mapping.deleted", log)

    def test_users_tab(self):
        c = self.owner()
        page = c.req("GET", "/scim-tokens/users").text
        first = rows(page, "userlist")
        self.assertEqual(len(first), 50)
        self.assertIn("Entra ID (or your SCIM client) is the source of truth", page)
        # Each row's last change, from the record's meta.lastModified.
        self.assertEqual(len(re.findall(r'<td data-label="Last change \(UTC\)" class="lc">'
                                        r'\d{4}-\d\d-\d\d \d\d:\d\d</td>', page)), 50)
        m = re.search(r'<a class="next" href="([^"]+)"', page)
        self.assertIsNotNone(m)
        page2 = c.req("GET", html.unescape(m.group(1))).text
        second = rows(page2, "userlist")
        self.assertEqual(len(second), USERS + 1 - 50)
        self.assertFalse(set(first) & set(second))
        m = re.search(r'<a class="prev" href="([^"]+)"', page2)
        self.assertEqual(rows(c.req("GET", html.unescape(m.group(1))).text, "userlist"),
                         first)
        # Search by the start of the userName, any case.
        page = c.req("GET", "/scim-tokens/users?q=PERSON1").text
        self.assertEqual(len(rows(page, "userlist")), 10)
        # An email finds the user whose emails hold it (any case).
        page = c.req("GET", "/scim-tokens/users?q=john.doe%40CORP.example").text
        self.assertEqual(rows(page, "userlist"), [self.uids["jdoe"]])
        page = c.req("GET", "/scim-tokens/users?q=person05%40example.com").text
        self.assertEqual(rows(page, "userlist"), [self.uids["person05@example.com"]])
        # Status and managedBy filters.
        page = c.req("GET", "/scim-tokens/users?status=blocked").text
        self.assertEqual(rows(page, "userlist"), [self.uids["person07@example.com"]])
        page = c.req("GET", "/scim-tokens/users?managed=sync").text
        self.assertEqual(rows(page, "userlist"), [])
        page = c.req("GET", "/scim-tokens/users?managed=scim&q=person00").text
        self.assertEqual(rows(page, "userlist"), [self.uids["person00@example.com"]])
        # Bad filter values are ignored, not errors; values are escaped.
        r = c.req("GET", "/scim-tokens/users?status=maybe&role=king&q=%3Cb%3E")
        self.assertEqual(r.status, 200)
        self.assertIn("&lt;b&gt;", r.text)
        self.assertEqual(c.req("GET", "/scim-tokens/users?id=nope").status, 404)

    def test_groups_tab(self):
        c = self.owner()
        page = c.req("GET", "/scim-tokens/groups").text
        self.assertIn(self.gid, rows(page, "grouplist"))
        self.assertRegex(page, r'obj-admins</td><td data-label="Members" class="mc">55<')
        page = c.req("GET", "/scim-tokens/groups?id=" + self.gid).text
        self.assertIn('id="group-count">55<', page)
        self.assertEqual(page.count("<li>"), 50)
        page = c.req("GET", "/scim-tokens/groups?id=%s&mpage=2" % self.gid).text
        self.assertEqual(page.count("<li>"), 5)
        self.assertEqual(c.req("GET", "/scim-tokens/groups?id=nope").status, 404)


if __name__ == "__main__":
    scimtest.main()
