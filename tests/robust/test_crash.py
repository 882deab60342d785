"""Crash suite: clients create, patch and delete users and groups while the
test SIGKILLs random FastCGI workers, then lighttpd alone (its workers are
orphaned, then killed), then lighttpd with all its workers at once.  After
each web server kill the test starts lighttpd again on the same home, as a
supervisor would; no other step is taken (Berkeley DB recovery is the
programs' own business).

Each client owns the resources it makes, so it knows what each must look
like.  Every request ends as acknowledged (2xx), refused (a SCIM error from
our programs) or unknown (no answer, or the web server's own error page when
a worker died).  At the end:

  - every acknowledged write is present and intact: created resources
    exist, the last acknowledged patch (or a later unknown one) is what a
    resource shows, acknowledged member additions are there, acknowledged
    deletes are gone;
  - nothing refused is applied, and nothing unknown is half-applied: every
    patch sets the same marker in five attributes (or a group's name and
    two members), so a partial patch shows mixed markers; an unknown create
    either exists with exactly what was sent, or not at all;
  - the service answers again within 30 s of the last kill, with no help;
    on failure the test prints what every program is waiting for;
  - after the stop every program has ended by itself, and the store passes
    db_verify once a program has opened and closed it (running recovery if
    one is due).

Bounded: the load runs LOAD_SECONDS (25 s), the whole suite stays well under
90 s.  ROBUST_SEED repeats a run's choices of what to kill.
"""

import os
import random
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robust  # noqa: E402
from robust import ENTERPRISE, ERR, OK, UNKNOWN, attempt, patch_body  # noqa: E402
import scimtest  # noqa: E402

LOAD_SECONDS = float(os.environ.get("CRASH_LOAD_SECONDS", "25"))
CLIENTS = 6
PROCS = 3


class Tracked:
    """What one client did to one resource."""

    def __init__(self, name, body):
        self.name = name            # userName / displayName at creation
        self.body = body            # the create body sent
        self.id = None
        self.create = None          # OK / ERR / UNKNOWN
        self.patches = []           # [(k, outcome, members added)]
        self.delete = None          # None, or the delete's outcome
        self.in_group = False       # users: ever sent as a member
        self.when = None            # (sent, answered) of the create


class Client:
    """One provisioning client: its own users and groups, one request at
    a time, until the deadline."""

    def __init__(self, srv, n, rng, deadline, stats):
        self.srv = srv
        self.n = n
        self.rng = rng
        self.deadline = deadline
        self.stats = stats
        self.users = []
        self.groups = []
        self.problems = []
        self.tag = uuid.uuid4().hex[:8]

    def note(self, kind, outcome, r):
        with self.stats["lock"]:
            self.stats[outcome] += 1
            if outcome == ERR:
                self.stats["err_status"][r.status] = self.stats["err_status"].get(r.status, 0) + 1
        # Every request sent is valid: the only refusal allowed is 503
        # (the store was recovering or busy past its limit).
        if outcome == ERR and r.status != 503:
            self.problems.append("%s refused with %d: %s" % (kind, r.status, r.text[:300]))
        if outcome == UNKNOWN:
            time.sleep(0.05)    # the web server is restarting: back off

    def run(self):
        i = 0
        while not self.deadline.passed():
            i += 1
            live = [u for u in self.users if u.create == OK and u.delete is None]
            x = self.rng.random()
            if x < 0.30 or len(live) < 3:
                self.create_user(i)
            elif x < 0.70:
                self.patch_user(self.rng.choice(live))
            elif x < 0.75:
                self.delete_user(live)
            elif x < 0.80 or not [g for g in self.groups if g.create == OK]:
                self.create_group(i)
            else:
                self.patch_group(self.rng.choice([g for g in self.groups if g.create == OK]), live)

    def create_user(self, i):
        name = "crash-%d-%s-%d" % (self.n, self.tag, i)
        body = {"schemas": [robust.CORE_USER, ENTERPRISE], "userName": name,
                "externalId": "ext-" + name, "displayName": "c0", "title": "c0",
                "name": {"givenName": "c0", "familyName": "Crash"},
                "emails": [{"type": "work", "value": "c0@crash.test", "primary": True}],
                ENTERPRISE: {"department": "c0"}}
        u = Tracked(name, body)
        self.users.append(u)
        t0 = time.monotonic()
        u.create, r = attempt(self.srv, "POST", "/Users", body)
        u.when = (t0, time.monotonic())
        self.note("create user", u.create, r)
        if u.create == OK:
            u.id = r.json["id"]

    def patch_user(self, u):
        k = len(u.patches) + 1
        m = "p%d" % k
        body = patch_body(
            {"op": "replace", "path": "displayName", "value": m},
            {"op": "Replace", "path": "title", "value": m},
            {"op": "replace", "path": "name.givenName", "value": m},
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": m + "@crash.test"},
            {"op": "replace", "path": ENTERPRISE + ":department", "value": m})
        outcome, r = attempt(self.srv, "PATCH", "/Users/" + u.id, body)
        u.patches.append((k, outcome, ()))
        self.note("patch user", outcome, r)

    def delete_user(self, live):
        cands = [u for u in live if not u.in_group]
        if not cands:
            return
        u = self.rng.choice(cands)
        u.delete, r = attempt(self.srv, "DELETE", "/Users/" + u.id)
        self.note("delete user", u.delete, r)

    def create_group(self, i):
        name = "crash-group-%d-%s-%d" % (self.n, self.tag, i)
        body = {"schemas": [robust.CORE_GROUP], "displayName": name, "externalId": "ext-" + name}
        g = Tracked(name, body)
        self.groups.append(g)
        g.create, r = attempt(self.srv, "POST", "/Groups", body)
        self.note("create group", g.create, r)
        if g.create == OK:
            g.id = r.json["id"]

    def patch_group(self, g, live):
        taken = {m for _, _, ms in g.patches for m in ms}
        cands = [u for u in live if u.id not in taken]
        if len(cands) < 2:
            return
        pick = self.rng.sample(cands, 2)
        for u in pick:
            u.in_group = True
        k = len(g.patches) + 1
        body = patch_body(
            {"op": "Add", "path": "members", "value": [{"value": u.id} for u in pick]},
            {"op": "Replace", "path": "displayName", "value": "%s-p%d" % (g.name, k)})
        outcome, r = attempt(self.srv, "PATCH", "/Groups/" + g.id, body)
        g.patches.append((k, outcome, tuple(u.id for u in pick)))
        self.note("patch group", outcome, r)


def marker(value, prefix=""):
    """The patch number a value carries: "p7" -> 7, the create's "c0" -> 0."""
    v = value[len(prefix):] if value.startswith(prefix) else value
    v = v.split("@")[0]
    if v == "c0":
        return 0
    if v.startswith("-"):
        v = v[1:]
    return int(v[1:]) if v.startswith("p") and v[1:].isdigit() else None


def allowed_final(patches):
    """Patch numbers a resource may show: the last acknowledged one (0 if
    none), or any unknown one after it."""
    acked = [k for k, o, _ in patches if o == OK]
    last = acked[-1] if acked else 0
    return {last} | {k for k, o, _ in patches if o == UNKNOWN and k > last}


class Crash(scimtest.ScimTestCase):

    @classmethod
    def setUpClass(cls):
        # Short lock time-out: after a kill, a survivor stuck on the dead
        # worker's locks opens the store again (and recovers it) within
        # 0.2 s instead of 2 s, if no new process has done so already;
        # and an opener ends a process stuck 1 s inside a transaction (on
        # a latch of a killed one) instead of 10 s.  Durable commits, as
        # in production: the commit-then-flush path is the one to kill.
        cls.srv = robust.Server(procs=PROCS, conf_extra="[store]\nlock_timeout_ms = 200\nsync = full\n").start()

    def check_user(self, u, found, problems, checked):
        if u.create == ERR:
            if found:
                problems.append("refused create %s is present" % u.name)
            return
        if found is None:
            # Gone is right after an acknowledged delete, and possible
            # after one that got no answer; otherwise a write was lost.
            if u.create == OK and u.delete not in (OK, UNKNOWN):
                problems.append("acknowledged user %s (%s) is missing (created between %.2f and %.2f s)"
                                % (u.name, u.id, u.when[0] - self.t_start, u.when[1] - self.t_start))
            return
        if u.create == UNKNOWN:
            # Never patched (we had no id): exactly what was sent.
            want = u.body
            got = {k: found.get(k) for k in ("userName", "externalId", "displayName", "title", "emails")}
            got["name"] = found.get("name")
            if (got["userName"] != want["userName"] or got["externalId"] != want["externalId"]
                    or got["displayName"] != "c0" or got["title"] != "c0"
                    or found.get("name", {}).get("givenName") != "c0"
                    or found.get(ENTERPRISE, {}).get("department") != "c0"
                    or [e.get("value") for e in found.get("emails", [])] != ["c0@crash.test"]):
                problems.append("unacknowledged create %s is not intact: %r" % (u.name, found))
            return
        if u.delete == OK:
            problems.append("acknowledged delete of %s (%s): still present" % (u.name, u.id))
            return
        checked["writes"] += 1 + sum(1 for _, o, _ in u.patches if o == OK)
        marks = {
            marker(found.get("displayName", "")),
            marker(found.get("title", "")),
            marker(found.get("name", {}).get("givenName", "")),
            marker(([e.get("value", "") for e in found.get("emails", []) if e.get("type") == "work"]
                    or [""])[0]),
            marker(found.get(ENTERPRISE, {}).get("department", "")),
        }
        if len(marks) != 1 or None in marks:
            problems.append("user %s is half-patched: %r" % (u.id, found))
            return
        k = marks.pop()
        if k not in allowed_final(u.patches):
            problems.append("user %s shows patch %d; its patches were %r" % (u.id, k, u.patches))
        if found.get("userName") != u.name:
            problems.append("user %s lost its userName: %r" % (u.id, found.get("userName")))

    def check_group(self, g, found, problems, checked):
        if g.create == ERR:
            if found:
                problems.append("refused group create %s is present" % g.name)
            return
        if found is None:
            if g.create == OK:
                problems.append("acknowledged group %s (%s) is missing" % (g.name, g.id))
            return
        if g.create == UNKNOWN:
            if found.get("displayName") != g.name or found.get("members"):
                problems.append("unacknowledged group create %s not intact: %r" % (g.name, found))
            return
        checked["writes"] += 1 + sum(1 for _, o, _ in g.patches if o == OK)
        have = {m["value"] for m in found.get("members", [])}
        for k, o, ms in g.patches:
            present = [m in have for m in ms]
            if o == OK and not all(present):
                problems.append("group %s lost acknowledged members of patch %d" % (g.id, k))
            elif o == ERR and any(present):
                problems.append("group %s has members of refused patch %d" % (g.id, k))
            elif o == UNKNOWN and any(present) != all(present):
                problems.append("group %s: patch %d half-applied" % (g.id, k))
        name = found.get("displayName", "")
        k = 0 if name == g.name else marker(name, g.name)
        if k not in allowed_final(g.patches):
            problems.append("group %s shows name %r; its patches were %r" % (g.id, name, g.patches))
        # A member only ever comes from one of our patches.
        sent = {m for _, _, ms in g.patches for m in ms}
        if not have <= sent:
            problems.append("group %s has members nobody added: %r" % (g.id, have - sent))

    def test_kill_workers_and_web_server(self):
        srv = self.srv
        rng = robust.new_rng("crash")
        deadline = robust.Deadline(LOAD_SECONDS)
        stats = {"lock": threading.Lock(), OK: 0, ERR: 0, UNKNOWN: 0, "err_status": {}}
        clients = [Client(srv, n, random.Random(rng.random()), deadline, stats)
                   for n in range(CLIENTS)]
        kills = {"workers": 0, "web server": 0, "web server and workers": 0}

        events = []                 # (time, what) of every kill and restart

        def killer():
            t0 = time.monotonic()
            plan = [(LOAD_SECONDS * 0.4, False), (LOAD_SECONDS * 0.7, True)]
            while not deadline.passed():
                time.sleep(rng.uniform(0.2, 0.6))
                if plan and time.monotonic() - t0 >= plan[0][0]:
                    _, workers_too = plan.pop(0)
                    events.append((time.monotonic(), "kill lighttpd" + (" and workers" if workers_too else "")))
                    srv.kill_web_server(workers_too)
                    kills["web server and workers" if workers_too else "web server"] += 1
                    time.sleep(rng.uniform(0.1, 0.5))
                    events.append((time.monotonic(), "restart"))
                    srv.restart()
                    events.append((time.monotonic(), "restarted"))
                else:
                    pid = srv.kill_random_worker(rng, rng.choice(["scim-users", "scim-groups"]))
                    if pid:
                        events.append((time.monotonic(), "kill worker %d" % pid))
                        kills["workers"] += 1

        self.t_start = time.monotonic()
        errors = robust.run_threads([c.run for c in clients] + [killer], LOAD_SECONDS + 40)
        self.assertEqual(errors, [], "client or killer thread failed")
        print("# kills: %r" % kills)
        print("# requests: %d acknowledged, %d refused %r, %d unknown"
              % (stats[OK], stats[ERR], stats["err_status"], stats[UNKNOWN]))
        self.assertEqual(kills["web server"], 1)
        self.assertEqual(kills["web server and workers"], 1)
        self.assertGreater(kills["workers"], 5)

        # The service is back by itself: within a few seconds it answers.
        back = robust.Deadline(30)
        while attempt(srv, "GET", "/Users?count=1", timeout=5)[0] != OK:
            if back.passed():
                for t, what in events:
                    print("# %7.2f s  %s" % (t - self.t_start, what))
                diag = srv.diagnose()
                for line in diag:
                    print("# " + line)
                self.fail("the service did not come back within 30 s after the kills")
            time.sleep(0.1)
        users = {u["id"]: u for u in robust.list_all(srv, "/Users")}
        by_name = {u["userName"]: u for u in users.values()}
        groups = {g["id"]: g for g in robust.list_all(srv, "/Groups")}
        gby_name = {}
        for g in groups.values():
            gby_name[g.get("externalId", "")[4:]] = g

        problems = [p for c in clients for p in c.problems]
        checked = {"writes": 0}
        mine = set()
        for c in clients:
            for u in c.users:
                found = users.get(u.id) if u.id else by_name.get(u.name)
                if found is not None:
                    mine.add(found["id"])
                self.check_user(u, found, problems, checked)
            for g in c.groups:
                found = groups.get(g.id) if g.id else gby_name.get(g.name)
                if found is not None:
                    mine.add(found["id"])
                self.check_group(g, found, problems, checked)
        stray = set(users) | set(groups)
        stray -= mine
        if stray:
            problems.append("resources nobody created: %r" % sorted(stray)[:10])
        acked_deletes = sum(1 for c in clients for u in c.users if u.delete == OK)
        checked["writes"] += acked_deletes
        print("# acknowledged writes checked: %d (%d users, %d groups, %d deletes)"
              % (checked["writes"], len(users), len(groups), acked_deletes))
        if problems:
            for t, what in events:
                print("# %7.2f s  %s" % (t - self.t_start, what))
            for p in problems[:30]:
                print("# problem: " + p)
        self.assertEqual(problems, [], "\n".join(problems[:30]))
        self.assertGreater(checked["writes"], 200, "too little load to mean anything")

        # Stop: every program must end by itself on SIGTERM (one stuck on
        # a lock or mutex of a killed process would not).  Then let a
        # program open and close the store (recovery if due), and
        # db_verify every database.
        srv.stop_processes()
        self.assertEqual(srv.stragglers, [], "programs still running 15 s after the stop:\n"
                         + "\n".join(srv.straggler_notes))
        r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scim-tokens"), "-c", srv.conf, "list"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(robust.verify_store(srv), [])

    @classmethod
    def tearDownClass(cls):
        # What the programs said about the store (their standard error
        # goes to lighttpd's error log): how often a process opened the
        # environment again, recovered it, or was replaced.
        log = cls.srv.errorlog_all()
        for what, mark in (("reopens after lasting lock conflicts", "opening the store again"),
                           ("workers renewed after a recovery", "starting afresh"),
                           ("transactions met a recovery", "environment was recovered or panicked"),
                           ("recoveries run", "recovering it"),
                           ("stuck processes ended", "inside one store transaction for")):
            print("# %s: %d" % (what, sum(1 for ln in log if mark in ln)))
        for ln in [ln for ln in log if "may not have been applied" in ln or "panicked around" in ln][:5]:
            print("# log: " + ln)
        super().tearDownClass()


if __name__ == "__main__":
    scimtest.main()
