"""Concurrency suite: many clients writing the same records at once.

  - 8 clients each add 500 distinct members (users made for the purpose) to
    one group, 5 per PATCH, all at the same time: the group ends with
    exactly the 4,000 members sent, and no request gets a 5xx;
  - meanwhile 4 clients increment a counter kept in one user's title with
    read-modify-write PATCHes carrying If-Match: a stale version gets 412
    (never a 5xx, never a silent overwrite), so the final counter equals the
    number of acknowledged increments, and every acknowledged increment got
    a version of its own.  The first round starts from a barrier so that
    the clients certainly collide;
  - concurrent creates of one userName: exactly one 201, the rest 409.

Bounded: every loop has a count and a deadline; the suite takes well under
60 s on two cores.
"""

import os
import sys
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robust  # noqa: E402
from robust import OK, attempt, patch_body  # noqa: E402
import scimtest  # noqa: E402
from scimtest import user  # noqa: E402

MEMBER_CLIENTS = 8
MEMBERS_EACH = 500
BATCH = 5
COUNTER_CLIENTS = 4
INCREMENTS_EACH = 25


class Concurrency(scimtest.ScimTestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = robust.Server(procs=4).start()

    def make_users(self, n, prefix):
        """n users made by MEMBER_CLIENTS clients at once; their ids."""
        ids = [None] * n
        bad = []

        def maker(part):
            for i in range(part, n, MEMBER_CLIENTS):
                outcome, r = attempt(self.srv, "POST", "/Users", user("%s-%d" % (prefix, i)))
                if outcome != OK or r.status != 201:
                    bad.append(r)
                    return
                ids[i] = r.json["id"]

        errors = robust.run_threads([lambda p=p: maker(p) for p in range(MEMBER_CLIENTS)], 40)
        self.assertEqual(errors, [])
        self.assertEqual(bad, [])
        return ids

    def test_members_and_if_match(self):
        srv = self.srv
        total = MEMBER_CLIENTS * MEMBERS_EACH
        ids = self.make_users(total, "member-" + uuid.uuid4().hex[:6])
        r = srv.post("/Groups", scimtest.group("Everyone"))
        self.assertEqual(r.status, 201, r)
        gid = r.json["id"]
        r = srv.post("/Users", user("counter", title="0"))
        self.assertEqual(r.status, 201, r)
        uid = r.json["id"]

        deadline = robust.Deadline(45)
        statuses = {}
        lock = threading.Lock()
        fails = []

        def count(kind, r):
            with lock:
                key = (kind, r.status if r is not None else None)
                statuses[key] = statuses.get(key, 0) + 1

        def adder(c):
            mine = ids[c * MEMBERS_EACH:(c + 1) * MEMBERS_EACH]
            for i in range(0, len(mine), BATCH):
                if deadline.passed():
                    fails.append("adder %d ran out of time" % c)
                    return
                body = patch_body({"op": "Add", "path": "members",
                                   "value": [{"value": m} for m in mine[i:i + BATCH]]})
                outcome, r = attempt(srv, "PATCH", "/Groups/" + gid, body, timeout=30)
                count("members", r)
                if outcome != OK:
                    fails.append("member PATCH: %r" % (r,))
                    return

        barrier = threading.Barrier(COUNTER_CLIENTS, timeout=20)
        acked = []

        def incrementer(c):
            done = 0
            first = True
            tries = 0
            while done < INCREMENTS_EACH and tries < 2000 and not deadline.passed():
                tries += 1
                outcome, r = attempt(srv, "GET", "/Users/" + uid)
                if outcome != OK:
                    fails.append("counter GET: %r" % (r,))
                    return
                etag, value = r.headers["etag"], int(r.json["title"])
                if first:
                    barrier.wait()
                    first = False
                body = patch_body({"op": "replace", "path": "title", "value": str(value + 1)})
                outcome, r = attempt(srv, "PATCH", "/Users/" + uid, body, headers={"If-Match": etag})
                count("if-match", r)
                if outcome == OK:
                    done += 1
                    with lock:
                        acked.append((value + 1, r.headers["etag"]))
                elif r is None or r.status != 412:
                    fails.append("counter PATCH: %r" % (r,))
                    return
            if done < INCREMENTS_EACH:
                fails.append("incrementer %d did %d increments" % (c, done))

        threads = [lambda c=c: adder(c) for c in range(MEMBER_CLIENTS)]
        threads += [lambda c=c: incrementer(c) for c in range(COUNTER_CLIENTS)]
        errors = robust.run_threads(threads, 50)
        print("# statuses: %r" % sorted(statuses.items(), key=str))
        self.assertEqual(errors, [])
        self.assertEqual(fails, [])
        self.assertFalse([k for k in statuses if k[1] is None or k[1] >= 500], statuses)

        # The member count is exact, and the members are the ones sent.
        r = srv.get("/Groups/" + gid)
        self.assertEqual(r.status, 200, r)
        got = sorted(m["value"] for m in r.json["members"])
        self.assertEqual(len(got), total)
        self.assertEqual(got, sorted(ids))
        r = srv.get('/Groups?filter=id+eq+%%22%s%%22&attributes=id' % gid)
        self.assertEqual(r.json["totalResults"], 1)
        # Each member's groups back-reference is there too.
        r = srv.get("/Users/" + ids[-1])
        self.assertEqual([g["value"] for g in r.json.get("groups", [])], [gid])

        # No lost update: the counter counts every acknowledged increment,
        # each of which got its own value and version; collisions did
        # happen (412s).
        n = COUNTER_CLIENTS * INCREMENTS_EACH
        self.assertEqual(len(acked), n)
        self.assertEqual(sorted(v for v, _ in acked), list(range(1, n + 1)))
        self.assertEqual(len({e for _, e in acked}), n)
        self.assertEqual(srv.get("/Users/" + uid).json["title"], str(n))
        self.assertGreaterEqual(statuses.get(("if-match", 412), 0), COUNTER_CLIENTS - 1)

    def test_same_username_created_at_once(self):
        name = "race-" + uuid.uuid4().hex[:6]
        barrier = threading.Barrier(8, timeout=20)
        got = []
        lock = threading.Lock()

        def creator():
            barrier.wait()
            outcome, r = attempt(self.srv, "POST", "/Users", user(name.upper() if len(got) % 2 else name))
            with lock:
                got.append(r.status if r is not None else None)

        self.assertEqual(robust.run_threads([creator] * 8, 30), [])
        self.assertEqual(sorted(got), [201] + [409] * 7, got)
        r = self.srv.get('/Users?filter=userName+eq+%%22%s%%22' % name)
        self.assertEqual(r.json["totalResults"], 1)


if __name__ == "__main__":
    scimtest.main()
