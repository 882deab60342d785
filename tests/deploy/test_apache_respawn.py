"""Workers replaced under load: the shipped etc/apache-scim.conf with one
setting changed, SCIM_MAX_REQUESTS (FcgidMaxRequestsPerProcess) = 5, so
mod_fcgid ends every program process after five requests and starts a new
one while users and groups are created, patched, read and deleted, some of
them five at a time.  No request may fail.

The replacements are counted twice, independently: from mod_fcgid's own
log lines (LogLevel fcgid:info logs each process started and each exit
with its reason) and from the process IDs seen in /proc while the run
goes on.  The counts are printed as TAP comments.
"""

import collections
import os
import sys
import time
import unittest
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploytest  # noqa: E402
import scimtest  # noqa: E402
import suite  # noqa: E402

MAX_REQUESTS = 5
ROUNDS = 12     # each: 10 requests in sequence; every third also 5 at once


class ApacheRespawn(suite.ServerClass, unittest.TestCase):
    server_class = deploytest.ApacheServer
    server_settings = {"SCIM_MAX_REQUESTS": str(MAX_REQUESTS)}

    def expect(self, r, status, what):
        self.sent += 1
        if r.status not in status:
            self.failures.append("%s: %r" % (what, r))
        return r

    def one_round(self, n):
        s = self.srv
        name = "respawn-%d-%s@example.com" % (n, uuid.uuid4().hex[:8])
        r = self.expect(s.post("/Users", scimtest.user(name)), (201,), "create user")
        uid = r.json["id"] if r.status == 201 else "missing"
        self.expect(s.get("/Users/" + uid), (200,), "get user")
        self.expect(s.patch_ops("/Users/" + uid, {"op": "replace", "path": "displayName",
                                                  "value": "Respawn %d" % n}),
                    (200, 204), "patch user")
        r = self.expect(s.post("/Groups", scimtest.group("respawn %d %s" % (n, uid),
                                                         members=[{"value": uid}])),
                        (201,), "create group")
        gid = r.json["id"] if r.status == 201 else "missing"
        self.expect(s.patch_ops("/Groups/" + gid, {"op": "remove", "path": "members"}),
                    (200, 204), "patch group")
        self.expect(s.get("/ServiceProviderConfig"), (200,), "get config")
        self.expect(s.get("/Schemas"), (200,), "get schemas")
        self.expect(s.get("/ResourceTypes"), (200,), "get resource types")
        self.expect(s.delete("/Groups/" + gid), (204,), "delete group")
        self.expect(s.delete("/Users/" + uid), (204,), "delete user")
        if n % 3 == 2:
            got = s.burst(5, "/Users", lambda i: scimtest.user(
                "respawn-burst-%d-%d-%s@example.com" % (n, i, uuid.uuid4().hex[:8])))
            for status, _ in got:
                self.sent += 1
                if status != 201:
                    self.failures.append("burst create: %r" % (status,))

    def test_workers_replaced_no_request_fails(self):
        self.sent = 0
        self.failures = []
        t0 = time.monotonic()
        with self.srv.watch() as watch:
            for n in range(ROUNDS):
                self.one_round(n)
            # mod_fcgid ends used-up processes on its next scan (every
            # 3 s): wait for the last ones, so every replacement is logged.
            time.sleep(3.5)
        elapsed = time.monotonic() - t0
        events = self.srv.fcgid_events()
        started = collections.Counter(p for p, _, e in events if e == "started")
        expired = collections.Counter(p for p, _, e in events if e == "lifetime expired")
        other = [(p, pid, e) for p, pid, e in events if e not in ("started", "lifetime expired")]
        seen = {p: len(pids) for p, pids in watch.seen.items()}
        respawned = sum(expired.values())
        print("# %d requests in %.1f s, %d failed" % (self.sent, elapsed, len(self.failures)))
        print("# processes started (mod_fcgid log): %s" % dict(sorted(started.items())))
        print("# processes ended after %d requests (mod_fcgid log): %s"
              % (MAX_REQUESTS, dict(sorted(expired.items()))))
        print("# distinct process IDs seen in /proc: %s" % dict(sorted(seen.items())))
        print("# workers respawned: %d" % respawned)
        self.assertEqual(self.failures, [])
        self.assertEqual(other, [], "processes ended for another reason")
        # Each program served well over MAX_REQUESTS requests, so each had
        # processes replaced, and every replacement started a new one.
        for prog in ("scim-users", "scim-groups", "scim-meta"):
            self.assertGreaterEqual(expired[prog], 1, prog)
            self.assertGreater(started[prog], expired[prog], prog)
            self.assertGreaterEqual(seen.get(prog, 0), started[prog] - 1, prog)
        self.assertGreaterEqual(respawned, 10)


if __name__ == "__main__":
    scimtest.main()
