"""A replication group of three sites, as `./bootstrap cluster` starts it
(tests/cluster/cluster.py), through failures.  TAP, one point per promise:

 - the banner: three Site lines and one Secret Token, accepted at every
   site; each site is its own process group (siteN/pgid) holding its
   lighttpd and its scim-repd, which runs as www-data when we are root;
   one master, two replicas;
 - a user created through each site is read back through every site;
 - POSTs at once through the master (one batch: one replicated commit):
   a taken name's 409 fails alone, every 201 is read back everywhere;
 - both replicas killed: POSTs through the master all get 503 with
   Retry-After, none a 2xx (no quorum acknowledged them); restarted,
   the group is whole again;
 - scim-repd SIGKILLed alone comes back by itself, and the site writes;
 - a replica's whole process group SIGKILLed: writes through the other
   two go on; restarted (./bootstrap cluster-site N) it is a replica again
   and its local copy (scimctl users, which answers locally) holds every
   user written while it was down;
 - the master's whole process group SIGKILLed while WRITERS threads POST
   through the two other sites: a new master within FAILOVER_BOUND
   seconds (the time is printed, with the time to the first acknowledged
   write after the kill); writes through both survivors succeed again;
   every write that got a 2xx, before or after the kill, is there by id
   on both survivors;
 - the old master restarted rejoins as a replica and its local copy
   catches up (any write of its own that no other site confirmed is rolled
   back there: the election's rollback);
 - no worker is left wedged: many requests through every site, from
   several threads at once, all answer 2xx within a time-out;
 - scimctl replication remove takes a running replica out of the group
   (bad addresses: one line, exit 2): the master lists one peer, and
   writes through the two sites left go on;
 - Ctrl-C stops every site; each site's databases pass db_verify.

Bounded: every request has a time-out, every wait a deadline, the writers
a count; CLUSTER_MAX_SECONDS (900) bounds the whole run.  Loopback only.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402
from cluster import request  # noqa: E402
import scimtest  # noqa: E402

FAILOVER_BOUND = float(os.environ.get("CLUSTER_FAILOVER_BOUND", "30"))
MAX_SECONDS = int(os.environ.get("CLUSTER_MAX_SECONDS", "900"))
WRITERS = 3
WRITES_PER_WRITER = 1000        # a bound only: the writers stop when told
WRITE_PAUSE = 0.05              # between a writer's writes: ~60 a second
USERS = "/scim/v2/Users"

tap = cluster.Tap()
ok = tap.ok


def create(port, token, name, timeout=15):
    """POST a user named name through port: (status, id) when 2xx, else
    (what came instead: status and detail, or the error; None)."""
    try:
        st, _, doc = request(port, "POST", USERS, token, scimtest.user(name), timeout=timeout)
    except (OSError, cluster.http.client.HTTPException) as e:
        return repr(e), None
    if 200 <= st < 300 and isinstance(doc, dict) and doc.get("id"):
        return st, doc["id"]
    return "%d %s" % (st, (doc or {}).get("detail", "") if isinstance(doc, dict) else ""), None


def visible(sites, token, acked, timeout=30):
    """Wait until every (id, name) of acked reads back 200 with its
    userName through every site of sites; returns the misses left
    ["siteN id name: status"] (empty when all are there)."""
    deadline = time.monotonic() + timeout
    todo = [(s, uid, name) for s in sites for uid, name in acked]
    while True:
        left = []
        for s, uid, name in todo:
            try:
                st, _, doc = request(s.port, "GET", USERS + "/" + uid, token, timeout=10)
            except (OSError, cluster.http.client.HTTPException) as e:
                st, doc = repr(e), None
            if not (st == 200 and isinstance(doc, dict) and doc.get("userName") == name):
                left.append((s, uid, name, st))
        if not left or time.monotonic() > deadline:
            return ["%s %s %s: %s" % x for x in left]
        todo = [x[:3] for x in left]
        time.sleep(0.5)


def caught_up(site, names, timeout=60):
    """Wait until site's local copy holds every name: the names still
    missing (a set, empty when caught up), or None when scimctl failed
    throughout."""
    deadline = time.monotonic() + timeout
    missing = None
    while True:
        have = site.local_users()
        if have is not None:
            missing = set(names) - have
            if not missing:
                return missing
        if time.monotonic() > deadline:
            return missing
        time.sleep(0.5)


class Writer(threading.Thread):
    """POSTs new users through ports in turn, one at a time, WRITE_PAUSE
    apart, until stop is set or it made WRITES_PER_WRITER attempts.  done: [(sent,
    answered, port, name, status, id)]."""

    def __init__(self, ports, token, tag, stop):
        super().__init__(daemon=True)
        self.ports = ports
        self.token = token
        self.tag = tag
        self.stop = stop
        self.done = []

    def run(self):
        for i in range(WRITES_PER_WRITER):
            if self.stop.is_set():
                break
            port = self.ports[i % len(self.ports)]
            name = "%s-%d" % (self.tag, i)
            t0 = time.monotonic()
            st, uid = create(port, self.token, name)
            self.done.append((t0, time.monotonic(), port, name, st, uid))
            time.sleep(WRITE_PAUSE if uid is not None else 0.2)


def step_banner(c):
    good = c.start()
    out = c.banner()
    want = ["Site %d: http://127.0.0.1:%d/scim/v2" % (n, c.http_base + n - 1)
            for n in cluster.SITES]
    got = [ln for ln in c.lines if ln.startswith("Site ")]
    ok(good and got == want, "the banner names the three sites", out)
    ok(c.token is not None and c.token.startswith("scim_"), "the banner has a Secret Token", out)
    return good and c.token is not None and c.token.startswith("scim_")


def step_groups(c):
    why = []
    groups = set()
    for s in c.sites:
        g = s.pgid()
        progs = {v[0] for v in s.pids().values()} if g else set()
        groups.add(g)
        if g is None or g == os.getpgrp() or not {"lighttpd", "scim-repd"} <= progs:
            why.append("%s: group %s holds %s" % (s, g, sorted(progs)))
    ok(not why and len(groups) == 3, "each site is a process group of its own with lighttpd "
       "and scim-repd", "\n".join(why))
    if cluster.AS_ROOT:
        uid = cluster.scimtest.pwd.getpwnam("www-data").pw_uid
        bad = ["%s: %s uid %d" % (s, v[0], v[1]) for s in c.sites for v in s.pids().values()
               if v[0] in ("scim-repd", "scim-users") and v[1] != uid]
        ok(not bad, "scim-repd and the workers run as www-data, never root", "\n".join(bad))
    master = c.wait_master(timeout=60)
    ok(master is not None, "one site is master, the two others replicas",
       "roles %s" % c.roles())
    return master


def step_token(c):
    bad = []
    for s in c.sites:
        try:
            st = request(s.port, "GET", USERS + "?count=0", c.token)[0]
        except OSError as e:
            st = repr(e)
        if st != 200:
            bad.append("%s: %s" % (s, st))
    ok(not bad, "the printed token is accepted at every site", "\n".join(bad))


def post_each(sites, token, prefix):
    """One new user POSTed through each of sites: (acknowledged [(id,
    name)], refusals ["siteN: what came"])."""
    acked, bad = [], []
    for s in sites:
        name = "%s-%d-%s" % (prefix, s.n, uuid.uuid4().hex[:6])
        st, uid = create(s.port, token, name)
        if uid is None:
            bad.append("%s: %s" % (s, st))
        else:
            acked.append((uid, name))
    return acked, bad


def step_write_everywhere(c):
    acked, bad = post_each(c.sites, c.token, "every")
    ok(not bad, "a POST through each site is acknowledged", "\n".join(bad))
    miss = visible(c.sites, c.token, acked)
    ok(len(acked) == 3 and not miss, "each is read back by id through every site",
       "%d acknowledged; missing:\n%s" % (len(acked), "\n".join(miss)))
    return acked


def burst(port, token, names):
    """POST a user of each name at once, one thread each: {name: (status,
    headers, id or None)}."""
    out = {}
    lock = threading.Lock()

    def one(name):
        try:
            st, hd, doc = request(port, "POST", USERS, token, timeout=30, body={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": name})
            uid = doc.get("id") if st == 201 and isinstance(doc, dict) else None
        except (OSError, cluster.http.client.HTTPException) as e:
            st, hd, uid = repr(e), {}, None
        with lock:
            out[name] = (st, hd, uid)

    ts = [threading.Thread(target=one, args=(n,), daemon=True) for n in names]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    return out


def step_batch(c, master, acked):
    """Concurrent POSTs through the master run as one batch's children
    (store-txn.c): a child that fails (409) fails alone, and every 201 of
    the batch is on both replicas."""
    taken = [n for _, n in acked[:4]]
    fresh = ["batch-%d-%s" % (i, uuid.uuid4().hex[:6]) for i in range(20)]
    got = burst(master.port, c.token, fresh + taken)
    new = [(v[2], n) for n, v in got.items() if n in fresh and v[0] == 201 and v[2]]
    dup = [n for n in taken if got.get(n, (0,))[0] == 409]
    ok(len(new) == len(fresh) and len(dup) == len(taken),
       "20 new users and 4 taken names POSTed at once through the master: "
       "each new one 201, each taken one 409",
       "%s" % sorted((n, v[0]) for n, v in got.items() if
                     (n in fresh and v[0] != 201) or (n in taken and v[0] != 409)))
    miss = visible(c.sites, c.token, new)
    ok(new and not miss, "... and every 201 of the burst is read back through every site",
       "\n".join(miss[:10]))
    return new


def step_no_quorum(c, master):
    """Both replicas down: the master cannot have a write acknowledged by a
    quorum, so a burst of POSTs gets 503 with Retry-After, never a 2xx."""
    replicas = [s for s in c.sites if s is not master]
    killed = all(r.kill() for r in replicas)
    ok(killed, "both replicas' process groups are SIGKILLed (%s)" % replicas)
    names = ["noquorum-%d-%s" % (i, uuid.uuid4().hex[:6]) for i in range(8)]
    got = burst(master.port, c.token, names)
    good = [(n, v[0]) for n, v in got.items() if isinstance(v[0], int) and 200 <= v[0] < 300]
    unavailable = [n for n, v in got.items() if v[0] == 503 and "retry-after" in v[1]]
    ok(len(got) == len(names) and not good and len(unavailable) == len(names),
       "... 8 POSTs at once through the master with no quorum: every one "
       "503 with Retry-After, none 2xx",
       "%s" % sorted((n, v[0]) for n, v in got.items()))
    back = True
    for r in replicas:
        rc, out = c.restart_site(r.n)
        back = back and rc == 0
    ok(back and c.wait_master(timeout=90) is not None,
       "... both restarted, the group has a master and two replicas again",
       "roles %s" % c.roles())


def step_repd_alone(c, site):
    """SIGKILL scim-repd alone: the supervisor starts it again."""
    old = set(site.pids("scim-repd"))
    for p in old:
        os.kill(p, signal.SIGKILL)
    deadline = time.monotonic() + 20
    new = set()
    while time.monotonic() < deadline:
        new = set(site.pids("scim-repd")) - old
        if new:
            break
        time.sleep(0.1)
    ok(old and new, "scim-repd SIGKILLed alone is started again (%s)" % site,
       "before %s, after %s\n%s" % (old, new, site.log_tail()))
    back = c.wait_master(timeout=60) is not None
    ok(back, "... and the group has a master and two replicas again", "roles %s" % c.roles())
    # Its workers may answer 503 (Retry-After) for a moment while they
    # find the master again: a client retries.
    t0 = time.monotonic()
    tries = []
    uid = None
    while uid is None and time.monotonic() < t0 + 20:
        name = "after-repd-%s" % uuid.uuid4().hex[:6]
        st, uid = create(site.port, c.token, name)
        if uid is None:
            tries.append(st)
            time.sleep(0.5)
    ok(uid is not None, "... and a write through %s succeeds within 20 s (%.1f s, %d refused)" % (
        site, time.monotonic() - t0, len(tries)), "got %s" % tries[-5:])
    return [(uid, name)] if uid else []


def step_replica_down(c, master):
    """A replica's whole group killed; writes go on; it comes back."""
    replica = next(s for s in c.sites if s is not master)
    other = next(s for s in c.sites if s is not master and s is not replica)
    ok(replica.kill(), "a replica's whole process group is SIGKILLed (%s)" % replica)
    acked, bad = [], []
    for i in range(20):
        port = (master.port, other.port)[i % 2]
        name = "while-down-%d-%s" % (i, uuid.uuid4().hex[:6])
        st, uid = create(port, c.token, name)
        if uid is None:
            bad.append("%d: %s" % (port, st))
        else:
            acked.append((uid, name))
    ok(not bad, "writes through the two other sites go on (20 POSTs)", "\n".join(bad))
    rc, out = c.restart_site(replica.n)
    ok(rc == 0 and out.strip() == "Site %d: %s" % (replica.n, replica.url),
       "./bootstrap cluster-site %d restarts it" % replica.n,
       "exit %s\n%s\n%s" % (rc, out, replica.log_tail()))
    ok(replica.wait_role("replica"), "... it is a replica again",
       "role %s\n%s" % (replica.role(), replica.log_tail()))
    missing = caught_up(replica, [n for _, n in acked])
    ok(acked and missing == set(),
       "... its local copy holds the users written while it was down (%d)" % len(acked),
       "missing %s" % (sorted(missing)[:10] if missing else missing))
    miss = visible([replica], c.token, acked)
    ok(acked and not miss, "... and answers them by id over HTTP", "\n".join(miss[:10]))
    return acked


def step_failover(c, master):
    """The master's whole group killed under concurrent writes."""
    survivors = [s for s in c.sites if s is not master]
    ports = [s.port for s in survivors]
    stop = threading.Event()
    writers = [Writer(ports, c.token, "fo%d-%s" % (k, uuid.uuid4().hex[:6]), stop)
               for k in range(WRITERS)]
    for w in writers:
        w.start()
    time.sleep(1.5)
    t_kill = time.monotonic()
    killed = master.kill()
    t_gone = time.monotonic()
    ok(killed, "the master's whole process group is SIGKILLed under writes (%s)" % master)
    new_master = None
    t_elected = None
    deadline = t_kill + max(FAILOVER_BOUND, 60)
    while time.monotonic() < deadline:
        roles = c.roles(survivors)
        m = [n for n, r in roles.items() if r == "master"]
        if m:
            new_master = c.site(m[0])
            t_elected = time.monotonic()
            break
        time.sleep(0.1)
    # The first write sent after the kill to be acknowledged (when its
    # answer came), then a few more seconds of writes.
    t_first = None
    while time.monotonic() < deadline and t_first is None:
        ends = [d[1] for w in writers for d in list(w.done)
                if d[0] > t_gone and d[5] is not None]
        if ends:
            t_first = min(ends)
            break
        time.sleep(0.1)
    time.sleep(3)
    stop.set()
    for w in writers:
        w.join(60)
    done = [d for w in writers for d in w.done]
    acked = [(d[5], d[3]) for d in done if d[5] is not None]
    elect_s = None if t_elected is None else t_elected - t_kill
    first_s = None if t_first is None else t_first - t_kill
    tap.note("failover: new master %s after %s s; first write acknowledged %s s after "
             "the kill; %d writes sent, %d acknowledged, %d refused or unanswered" % (
                 new_master, "%.2f" % elect_s if elect_s is not None else "-",
                 "%.2f" % first_s if first_s is not None else "-",
                 len(done), len(acked), len(done) - len(acked)))
    ok(new_master is not None and elect_s < FAILOVER_BOUND,
       "a new master within %g s (took %s)" % (
           FAILOVER_BOUND, "%.2f s" % elect_s if elect_s is not None else "none"),
       "roles %s\n%s" % (c.roles(survivors), "\n".join(s.log_tail() for s in survivors)))
    ok(t_first is not None, "writes through the survivors are acknowledged again",
       "statuses after the kill: %s" % sorted({str(d[4]) for d in done if d[0] > t_gone}))
    hung = [w for w in writers if w.is_alive()]
    ok(not hung, "every writer ended (no request hung)", "%d still running" % len(hung))
    more, bad = post_each(survivors, c.token, "after-fo")
    acked += more
    ok(not bad, "a POST through each survivor succeeds", "\n".join(bad))
    miss = visible(survivors, c.token, acked, timeout=60)
    ok(acked and not miss, "every acknowledged write (%d) is there by id on both survivors" % len(acked),
       "%d missing:\n%s" % (len(miss), "\n".join(miss[:20])))
    return new_master, acked, elect_s, first_s


def step_rejoin(c, old, acked_names):
    rc, out = c.restart_site(old.n)
    ok(rc == 0, "the old master restarted (./bootstrap cluster-site %d)" % old.n,
       "exit %s\n%s\n%s" % (rc, out, old.log_tail()))
    ok(old.wait_role("replica"), "... rejoins as a replica",
       "role %s\n%s" % (old.role(), old.log_tail()))
    missing = caught_up(old, acked_names, timeout=90)
    ok(acked_names and missing == set(), "... and its local copy catches up (%d users)" % len(acked_names),
       "missing %d: %s" % (len(missing), sorted(missing)[:10]) if missing else "scimctl failed")


def step_no_wedge(c, some_ids, threads=4, per_site=30):
    """Many requests through every site at once: all answer 2xx."""
    results = []
    lock = threading.Lock()

    def hammer(site, k):
        for i in range(per_site // threads):
            try:
                if i % 3 == 0:
                    st = create(site.port, c.token, "hammer-%d-%d-%d-%s" % (
                        site.n, k, i, uuid.uuid4().hex[:4]))[0]
                elif i % 3 == 1:
                    st = request(site.port, "GET", USERS + "/" + some_ids[i % len(some_ids)],
                                 c.token, timeout=15)[0]
                else:
                    st = request(site.port, "GET", USERS + "?count=5", c.token, timeout=15)[0]
            except (OSError, cluster.http.client.HTTPException) as e:
                st = repr(e)
            with lock:
                results.append((site.n, st))

    ts = [threading.Thread(target=hammer, args=(s, k), daemon=True)
          for s in c.sites for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    bad = [r for r in results if not (isinstance(r[1], int) and 200 <= r[1] < 300)]
    ok(not any(t.is_alive() for t in ts) and not bad and results,
       "no worker wedged: %d requests through every site all answer 2xx" % len(results),
       "failed: %s" % bad[:20])


def step_remove(c):
    """scimctl replication remove: a running replica taken out of the
    group; bad addresses refused with one line and exit 2."""
    master = c.wait_master(timeout=60)
    if master is None:
        ok(False, "a master before the removal", "roles %s" % c.roles())
        return
    gone = next(s for s in c.sites if s is not master)
    kept = next(s for s in c.sites if s is not master and s is not gone)
    st = master.status() or {}
    addr = next((p.get("address") for p in st.get("peers", [])
                 if p.get("url") == gone.url), None)
    own = "127.0.0.1:%s" % (st.get("master") or ":").split(":")[-1]
    bad = [master.scimctl("replication", "remove", a) for a in
           ("127.0.0.1:1", own, "nohostport")]
    ok(all(r.returncode == 2 and r.stderr.count("\n") == 1 for r in bad),
       "replication remove refuses an address of no site, this site's own, "
       "and no HOST:PORT: one line, exit 2",
       "\n".join("%d %r" % (r.returncode, r.stderr) for r in bad))
    r = master.scimctl("replication", "remove", addr or "?")
    ok(addr and r.returncode == 0 and r.stdout.strip() ==
       "removed %s from the replication group" % addr,
       "replication remove %s (a running replica, %s) through the master" % (addr, gone),
       "exit %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    deadline = time.monotonic() + 30
    peers = None
    while time.monotonic() < deadline:
        peers = [p.get("address") for p in (master.status() or {}).get("peers", [])]
        if addr not in peers:
            break
        time.sleep(0.5)
    ok(addr not in (peers or [addr]) and len(peers) == 1,
       "... the master's status lists the one site left", "peers %s" % peers)
    acked, fails = post_each([master, kept], c.token, "after-remove")
    miss = visible([master, kept], c.token, acked)
    ok(not fails and len(acked) == 2 and not miss,
       "... and writes through the two sites left are acknowledged and read back",
       "%s %s" % (fails, miss))


def step_stop(c):
    rc, left = c.stop()
    ok(rc == 0 and not left, "Ctrl-C stops the three sites", "exit %s, left running %s" % (
        rc, left))
    bad = []
    for s in c.sites:
        bad += s.verify()
    ok(not bad, "db_verify: every database of every site is clean", "\n".join(bad))


def main():
    why = cluster.skip_reason()
    if why:
        cluster.skip_all(why)

    def too_long(*_):
        raise TimeoutError("the suite ran over CLUSTER_MAX_SECONDS=%d" % MAX_SECONDS)
    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(MAX_SECONDS)
    c = cluster.Cluster()
    try:
        if not step_banner(c):
            return
        master = step_groups(c)
        if master is None:
            return
        step_token(c)
        acked = step_write_everywhere(c)
        acked += step_batch(c, master, acked)
        step_no_quorum(c, master)
        master = c.wait_master(timeout=60) or master
        replica = next(s for s in c.sites if s is not master)
        acked += step_repd_alone(c, replica)
        master = c.wait_master(timeout=30) or master
        acked += step_replica_down(c, master)
        master = c.wait_master(timeout=60)
        if master is None:
            ok(False, "a master before the failover", "roles %s" % c.roles())
            return
        new_master, fo_acked, elect_s, first_s = step_failover(c, master)
        acked += fo_acked
        step_rejoin(c, master, [n for _, n in acked])
        step_no_wedge(c, [u for u, _ in acked])
        step_remove(c)
        tap.note("acknowledged writes checked across the failovers: %d" % len(acked))
    except Exception as e:  # noqa: BLE001  (reported as a failed point)
        ok(False, "the suite ran to its end", "%r\n%s" % (e, "\n".join(
            s.log_tail() for s in c.sites)))
    finally:
        signal.alarm(0)
        step_stop(c)
        c.cleanup()
        tap.done()


if __name__ == "__main__":
    main()
