"""Paging over HTTP: RFC 9865 cursors beside RFC 7644 index paging, and
totalResults from the per-tenant count (layout 5).

A cursor walk runs while other threads create and delete users: every user
that existed for the whole walk must be returned exactly once, whatever
moved around it.  Index pages must agree with one full listing, and
totalResults must be right straight after creates and deletes."""

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase, group, user  # noqa: E402

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


def q(s):
    return urllib.parse.quote(s, safe="")


class Cursors(ScimTestCase):
    N = 60

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ids = set()
        for i in range(cls.N):
            r = cls.srv.post("/Users", user("cur%03d" % i, title="odd" if i % 2 else "even"))
            assert r.status == 201, r
            cls.ids.add(r.json["id"])

    def page(self, path, cursor, count):
        """One cursor page, checked for what every cursor page must be."""
        sep = "&" if "?" in path else "?"
        r = self.srv.get("%s%scursor=%s&count=%d" % (path, sep, cursor, count))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["schemas"], [LIST])
        self.assertNotIn("startIndex", r.json, "a cursor page has no startIndex")
        self.assertLessEqual(len(r.json["Resources"]), count)
        self.assertEqual(r.json["itemsPerPage"], len(r.json["Resources"]))
        for k in ("nextCursor", "previousCursor"):
            if k in r.json:
                self.assertRegex(r.json[k], r"^[A-Za-z0-9_-]+$", "RFC 3986 unreserved characters")
        return r

    def walk(self, path, count, token=None, pages_out=None):
        """Follow nextCursor from an empty cursor; the pages' ids in order.
        pages_out gets each page's (ids, previousCursor)."""
        seen, cursor, pages = [], "", 0
        sep = "&" if "?" in path else "?"
        while True:
            r = self.srv.get("%s%scursor=%s&count=%d" % (path, sep, cursor, count), token=token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["schemas"], [LIST])
            self.assertNotIn("startIndex", r.json, "a cursor page has no startIndex")
            # RFC 9865 section 2: "previousCursor MUST NOT be returned
            # with the first page"; we return it with every other.
            self.assertEqual("previousCursor" in r.json, pages > 0, r.json)
            self.assertLessEqual(len(r.json["Resources"]), count)
            self.assertEqual(r.json["itemsPerPage"], len(r.json["Resources"]))
            seen += [u["id"] for u in r.json["Resources"]]
            if pages_out is not None:
                pages_out.append(([u["id"] for u in r.json["Resources"]],
                                  r.json.get("previousCursor")))
            pages += 1
            self.assertLess(pages, 1000)
            if "nextCursor" not in r.json:
                return seen, r
            cursor = r.json["nextCursor"]
            self.assertRegex(cursor, r"^[A-Za-z0-9_-]+$", "RFC 3986 unreserved characters")

    def walk_back(self, path, count):
        """A walk forwards, then back by previousCursor from the last page:
        every page seen again, the same, in reverse order; and forwards
        again from the first page reached back, by its nextCursor."""
        pages = []
        self.walk(path, count, pages_out=pages)
        self.assertGreater(len(pages), 2)
        back, cursor = [], pages[-1][1]
        while cursor is not None:
            r = self.page(path, cursor, count)
            back.append([u["id"] for u in r.json["Resources"]])
            self.assertIn("nextCursor", r.json, "a page walked back to has a next page")
            cursor = r.json.get("previousCursor")
            self.assertLess(len(back), 1000)
        self.assertEqual(back, [ids for ids, _ in reversed(pages[:-1])])
        # The first page reached back has no previousCursor, as the
        # first page must not; its nextCursor leads to the second page.
        self.assertEqual(self.page(path, r.json["nextCursor"], count).json["Resources"][0]["id"],
                         pages[1][0][0])

    def test_advertised(self):
        """RFC 9865 section 4: the pagination attribute, index the default."""
        p = self.srv.get("/ServiceProviderConfig").json["pagination"]
        self.assertEqual(p["cursor"], True)
        self.assertEqual(p["index"], True)
        self.assertEqual(p["defaultPaginationMethod"], "index")
        for k in ("defaultPageSize", "maxPageSize", "cursorTimeout"):
            self.assertIsInstance(p[k], int)
            self.assertGreater(p[k], 0)

    def test_walk(self):
        seen, last = self.walk("/Users", 7)
        self.assertEqual(len(seen), len(set(seen)), "no user twice")
        self.assertTrue(self.ids <= set(seen), "every user")
        self.assertEqual(last.json["totalResults"], len(seen))
        # RFC 9865 section 2's own form: "cursor" with no value.
        r = self.srv.get("/Users?cursor&count=7")
        self.assertEqual([u["id"] for u in r.json["Resources"]], seen[:7])
        self.assertIn("nextCursor", r.json)
        # Without a cursor the default method is index (RFC 9865 section 2.4).
        r = self.srv.get("/Users?count=5")
        self.assertIn("startIndex", r.json)
        self.assertNotIn("nextCursor", r.json)

    def test_walk_back(self):
        """RFC 9865 section 2's previousCursor: forwards then back."""
        self.walk_back("/Users", 7)
        self.walk_back("/Users?filter=" + q('title eq "odd" and userName sw "cur"'), 4)
        self.walk_back("/Users?attributes=userName", 10)
        for i in range(5):
            self.assertEqual(self.srv.post("/Groups", group("curb%d" % i)).status, 201)
        self.walk_back("/Groups", 2)

    def test_last_page_full(self):
        """A filtered walk whose last page is full ends there (no empty page
        after it), and back from it is the page before."""
        f = q('title eq "odd" and userName sw "cur"')
        pages = []
        self.walk("/Users?filter=" + f, self.N // 4, pages_out=pages)
        self.assertEqual([len(ids) for ids, _ in pages], [self.N // 4, self.N // 4])
        r = self.page("/Users?filter=" + f, pages[-1][1], self.N // 4)
        self.assertEqual([u["id"] for u in r.json["Resources"]], pages[0][0])
        self.assertNotIn("previousCursor", r.json, "it is the first page")

    def test_walk_filtered(self):
        """A filter is kept by the walk; its totalResults is left out (RFC
        9865 section 2: MAY omit it when it cannot be estimated)."""
        f = q('title eq "odd" and userName sw "cur"')
        seen, last = self.walk("/Users?filter=" + f, 4)
        self.assertEqual(len(seen), self.N // 2)
        self.assertEqual(len(set(seen)), self.N // 2)
        r = self.srv.get("/Users?filter=%s&cursor=&count=4" % f)
        self.assertNotIn("totalResults", r.json)
        # A filter that pins one user: one page, no cursor, a total.
        r = self.srv.get("/Users?filter=%s&cursor=" % q('userName eq "cur005"'))
        self.assertEqual((r.json["totalResults"], len(r.json["Resources"])), (1, 1))
        self.assertNotIn("nextCursor", r.json)

    def test_search(self):
        """RFC 9865 section 3: the cursor in a .search body."""
        seen, pages, body = [], [], {"schemas": [SEARCH], "cursor": "", "count": 25,
                                     "filter": 'userName sw "cur"', "attributes": ["userName"]}
        while True:
            r = self.srv.post("/Users/.search", body)
            self.assertEqual(r.status, 200, r)
            pages.append([u["id"] for u in r.json["Resources"]])
            seen += pages[-1]
            self.assertTrue(all(set(u) <= {"id", "userName", "schemas"} for u in r.json["Resources"]))
            if "nextCursor" not in r.json:
                break
            body["cursor"] = r.json["nextCursor"]
        self.assertEqual(set(seen), self.ids)
        self.assertEqual(len(seen), self.N)
        # Back one page, the cursor in the body too.
        body["cursor"] = r.json["previousCursor"]
        r = self.srv.post("/Users/.search", body)
        self.assertEqual([u["id"] for u in r.json["Resources"]], pages[-2])

    def test_groups(self):
        gids = {self.srv.post("/Groups", group("curg%d" % i)).json["id"] for i in range(5)}
        seen, _ = self.walk("/Groups", 2)
        self.assertEqual(sorted(seen), sorted(gids))
        # A Users cursor is not a Groups cursor.
        r = self.srv.get("/Users?cursor=&count=2")
        self.assertScimError(self.srv.get("/Groups?cursor=%s&count=2" % r.json["nextCursor"]), 400,
                             "invalidCursor")

    def test_errors(self):
        """RFC 9865 section 2.1: invalidCursor, invalidCount; and what we
        refuse beside a cursor."""
        r = self.srv.get("/Users?cursor=&count=3")
        nxt = r.json["nextCursor"]
        for bad in ("junk", "AAAA", nxt[:-2], nxt[:10] + ("A" if nxt[10] != "A" else "B") + nxt[11:],
                    nxt + "A", "%2B%2F%3D"):
            self.assertScimError(self.srv.get("/Users?cursor=%s&count=3" % bad), 400, "invalidCursor")
        # The query must stay the same; so must count.
        self.assertScimError(self.srv.get("/Users?cursor=%s&count=3&filter=%s" % (nxt, q('title eq "odd"'))),
                             400, "invalidCursor")
        self.assertScimError(self.srv.get("/Users?cursor=%s&count=4" % nxt), 400, "invalidCount")
        self.assertScimError(self.srv.get("/Users?cursor=%s" % nxt), 400, "invalidCount")
        # Another tenant cannot follow it (and sees nothing of ours).
        other = self.srv.make_token(tenant="other-cursor", label="other-cursor")
        self.assertScimError(self.srv.get("/Users?cursor=%s&count=3" % nxt, token=other), 400,
                             "invalidCursor")
        # Two paging methods at once, and sortBy with a cursor.
        self.assertScimError(self.srv.get("/Users?cursor=&startIndex=2"), 400, "invalidValue")
        self.assertScimError(self.srv.get("/Users?cursor=&sortBy=userName"), 400, "invalidValue")

    def install_key(self):
        """The install's cursor key, read from meta.db as an operator could."""
        out = subprocess.run(["db5.3_dump", "-p", "-h", os.path.join(self.srv.home, "db"),
                              "meta.db"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, timeout=60, check=True).stdout
        lines = [l.strip() for l in out.splitlines()]
        return bytes.fromhex(lines[lines.index("cursor_hmac_key") + 1])

    def reseal(self, cursor, issued):
        """cursor with another issue date, sealed again as the server does
        (store-cursor.c): what a cursor kept past cursorTimeout looks like."""
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))[:-16]
        raw = raw[:2] + issued.to_bytes(8, "big") + raw[10:]
        mac = hmac.new(self.install_key(), b"scim-fcgi cursor 1\0default\0" + raw,
                       hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(raw + mac).decode().rstrip("=")

    def test_expired(self):
        """RFC 9865 section 2.1 expiredCursor, past the advertised
        cursorTimeout; a page's previousCursor expires the same way."""
        timeout = self.srv.get("/ServiceProviderConfig").json["pagination"]["cursorTimeout"]
        r = self.srv.get("/Users?cursor=&count=3")
        r = self.srv.get("/Users?cursor=%s&count=3" % r.json["nextCursor"])
        now = int(time.time())
        for k in ("nextCursor", "previousCursor"):
            fresh = self.reseal(r.json[k], now - timeout + 60)
            self.assertEqual(self.srv.get("/Users?cursor=%s&count=3" % fresh).status, 200,
                             "the test seals as the server does")
            old = self.reseal(r.json[k], now - timeout - 60)
            e = self.srv.get("/Users?cursor=%s&count=3" % old)
            self.assertScimError(e, 400, "expiredCursor")
            self.assertIn("cursorTimeout", e.json["detail"])
            # Sealed with any other key, the same old cursor is invalid.
            bad = old[:-2] + ("AA" if old[-2:] != "AA" else "BB")
            self.assertScimError(self.srv.get("/Users?cursor=%s&count=3" % bad), 400,
                                 "invalidCursor")
        # .search answers the same.
        body = {"schemas": [SEARCH], "cursor": old, "count": 3}
        self.assertScimError(self.srv.post("/Users/.search", body), 400, "expiredCursor")

    def test_count_zero_and_cut(self):
        r = self.srv.get("/Users?cursor=&count=0")
        self.assertEqual((r.status, r.json["Resources"]), (200, []))
        self.assertNotIn("nextCursor", r.json)
        spc = self.srv.get("/ServiceProviderConfig").json["pagination"]
        r = self.srv.get("/Users?cursor=&count=%d" % (spc["maxPageSize"] + 5))
        self.assertLessEqual(len(r.json["Resources"]), spc["maxPageSize"])


class CursorChurn(ScimTestCase):
    """A walk while two threads create and delete users."""

    def test_walk_with_churn(self):
        stable = set()
        for i in range(80):
            stable.add(self.srv.post("/Users", user("stay%03d" % i)).json["id"])
        doomed = [self.srv.post("/Users", user("doom%03d" % i)).json["id"] for i in range(60)]
        stop = threading.Event()
        errors = []

        def creator():
            i = 0
            while not stop.is_set():
                r = self.srv.post("/Users", user("new%05d" % i))
                if r.status != 201:
                    errors.append(r)
                i += 1

        def deleter():
            for uid in doomed:
                if stop.is_set():
                    break
                r = self.srv.delete("/Users/" + uid)
                if r.status != 204:
                    errors.append(r)

        threads = [threading.Thread(target=creator), threading.Thread(target=deleter)]
        for t in threads:
            t.start()
        seen, cursor, pages = [], "", 0
        try:
            while True:
                r = self.srv.get("/Users?cursor=%s&count=5" % cursor)
                self.assertEqual(r.status, 200, r)
                seen += [u["id"] for u in r.json["Resources"]]
                pages += 1
                if "nextCursor" not in r.json:
                    break
                cursor = r.json["nextCursor"]
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])
        self.assertGreater(pages, 10, "the walk overlapped the writes")
        self.assertEqual(len(seen), len(set(seen)), "nobody twice")
        self.assertEqual(stable - set(seen), set(), "nobody who stayed is missed")


class Totals(ScimTestCase):
    """totalResults from the per-tenant count, right after each write."""

    def test_totals(self):
        tok = self.srv.make_token(tenant="totals", label="totals")

        def total(path="/Users"):
            return self.srv.get(path + "?count=1", token=tok).json["totalResults"]
        self.assertEqual(total(), 0)
        ids = [self.srv.post("/Users", user("tot%02d" % i), token=tok).json["id"] for i in range(10)]
        self.assertEqual(total(), 10)
        self.assertEqual(self.srv.post("/Users", user("TOT03"), token=tok).status, 409)
        self.assertEqual(total(), 10, "a refused create counts nothing")
        for uid in ids[:4]:
            self.assertEqual(self.srv.delete("/Users/" + uid, token=tok).status, 204)
        self.assertEqual(self.srv.delete("/Users/" + ids[0], token=tok).status, 404)
        self.assertEqual(total(), 6)
        r = self.srv.patch_ops("/Users/" + ids[5], {"op": "replace", "path": "userName", "value": "renamed"},
                               token=tok)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(total(), 6, "a rename is no create")
        self.assertEqual(self.srv.get("/Users?cursor=&count=2", token=tok).json["totalResults"], 6)
        g = self.srv.post("/Groups", group("totg"), token=tok).json["id"]
        self.assertEqual((total("/Groups"), total()), (1, 6))
        self.srv.delete("/Groups/" + g, token=tok)
        self.assertEqual(total("/Groups"), 0)
        other = self.srv.make_token(tenant="other-totals", label="other-totals")
        self.assertEqual(self.srv.get("/Users", token=other).json["totalResults"], 0)

    def test_index_pages_agree_with_one_listing(self):
        for i in range(37):
            self.srv.post("/Users", user("agree%02d" % i))
        whole = self.srv.get("/Users?count=1000").json
        order = [u["id"] for u in whole["Resources"]]
        self.assertEqual(len(order), whole["totalResults"])
        n = len(order)
        for start, count in ((1, 5), (6, 5), (n - 3, 10), (n // 2, 7), (n - n // 4, 3), (n, 1), (n + 1, 5)):
            r = self.srv.get("/Users?startIndex=%d&count=%d" % (start, count)).json
            self.assertEqual([u["id"] for u in r["Resources"]], order[start - 1:start - 1 + count],
                             "startIndex=%d count=%d" % (start, count))
            self.assertEqual(r["totalResults"], n)


if __name__ == "__main__":
    scimtest.main()
