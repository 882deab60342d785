#!/usr/bin/env python3
"""make bench-cluster: durable writes through a replicated group against one
site alone, and the time a failover takes, measured in one run.

On loopback only (bench/README, "make bench-cluster"):

1. one site alone: lighttpd from etc/lighttpd-local.conf.in (as the HTTP
   tests), its store durable (sync = full, the default), no replication;
2. a group of three sites started by `./bootstrap cluster` from a copy of
   the checkout (tests/cluster/cluster.py), durable too, ack policy quorum:
   each write is acknowledged once a second site has it;
3. wrk (bench/scim.lua, scenario post: a new user per request) drives
   POST /Users for BENCH_SECONDS per half, in A B B A order: the single
   site, the master, the master, the single site; then once through a
   replica (its workers relay each write to the master);
4. BENCH_FAILOVERS times: one writer POSTs through a replica in a loop
   while the master's whole process group is SIGKILLed; measured are the
   time until a survivor says it is master (scimctl replication status)
   and until the first write sent after the kill is acknowledged; then
   the killed site is restarted (./bootstrap cluster-site N) and rejoins.

Goals (issue 23): the master's rate >= 50% of the single site's, the first
write after a kill within 10 s.  Prints a table and writes
bench/results-cluster.json.  Every process started is ended before it
exits; BENCH_MAX_SECONDS (600) bounds the whole run.
"""

import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True

GOAL_RATIO = 0.50
GOAL_FAILOVER_S = 10.0


def log(msg):
    print(msg, flush=True)


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("bench-cluster: %s must be a number" % name)


def wrk_post(args, port, token, seconds, seed):
    """wrk's POST /Users on 127.0.0.1:port for seconds: its BENCH-JSON
    result with rps added."""
    cmd = ["wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % seconds,
           "--timeout", "10s", "-s", os.path.join(args.srcdir, "bench", "scim.lua"),
           "http://127.0.0.1:%d" % port, "--", "post", "-", "-", "-", token,
           str(args.threads), str(seed), "0"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=seconds + 60)
    m = re.search(r"^BENCH-JSON (\{.*\})$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise RuntimeError("wrk failed (%d): %s" % (r.returncode, (r.stdout + r.stderr)[-1500:]))
    res = json.loads(m.group(1))
    secs = res["duration_us"] / 1e6
    res["rps"] = res["requests"] / secs if secs > 0 else 0.0
    res["errors_total"] = sum(res["errors"].values())
    return res


def cpu_by_group():
    """{process group id: CPU seconds (user + system) of its live
    processes}, from /proc: where the machine's time goes."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                f = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state ppid pgrp ... utime (14th field) stime
        out[int(f[2])] = out.get(int(f[2]), 0.0) + (int(f[11]) + int(f[12])) / tick
    return out


def cpu_split(before, after, sites, seconds):
    """Each site's share of the CPU time used between two cpu_by_group()
    samples, and everything else's (wrk, the idle single site, ...)."""
    used = {g: after.get(g, 0.0) - before.get(g, 0.0) for g in after}
    total = sum(v for v in used.values() if v > 0)
    split = {"seconds": seconds, "cpu_s": total, "sites": {}}
    for site in sites:
        g = site.pgid()
        split["sites"]["site%d" % site.n] = used.get(g, 0.0) if g else 0.0
    split["other_s"] = total - sum(split["sites"].values())
    return split


def lock_conflicts(home):
    """Lock requests refused at once (DB_TXN_NOWAIT: each one aborts a
    transaction, which runs again after a back-off) in the data home so
    far, from db5.3_stat -c; None when it cannot tell."""
    r = subprocess.run(["db5.3_stat", "-c", "-h", home], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    m = re.search(r"^(\d+)\s+Lock requests not available due to conflicts, "
                  r"for which we did not wait", r.stdout, re.M)
    return int(m.group(1)) if m else None


def merge(a, b):
    n = a["requests"] + b["requests"]
    secs = (a["duration_us"] + b["duration_us"]) / 1e6
    return {"requests": n, "seconds": secs, "rps": n / secs if secs else 0.0,
            "errors_total": a["errors_total"] + b["errors_total"],
            "latency_us": {k: (a["latency_us"][k] * a["requests"] +
                               b["latency_us"][k] * b["requests"]) / max(n, 1)
                           for k in ("p50", "p90", "p99")},
            "runs": [a, b]}


def failover(c, cluster, bound):
    """SIGKILL the master's group while one writer POSTs through a
    replica: {elected_s, first_write_s, ...}; then restart the site."""
    master = c.wait_master(timeout=60)
    if master is None:
        raise RuntimeError("no master before the failover: %s" % c.roles())
    replica = next(s for s in c.sites if s is not master)
    survivors = [s for s in c.sites if s is not master]
    for i in range(5):      # the writer's path works before the kill
        if cluster.request(replica.port, "POST", "/scim/v2/Users", c.token,
                           {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                            "userName": "pre-%d-%d" % (i, time.time_ns())})[0] == 201:
            break
        time.sleep(0.5)
    t_kill = time.monotonic()
    master.kill()
    t_gone = time.monotonic()
    elected = first = None
    deadline = t_kill + bound
    k = 0
    while time.monotonic() < deadline and (elected is None or first is None):
        if elected is None and any(s.role() == "master" for s in survivors):
            elected = time.monotonic() - t_kill
        if first is None:
            t0 = time.monotonic()
            try:
                st = cluster.request(replica.port, "POST", "/scim/v2/Users", c.token,
                                     {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:"
                                                  "User"],
                                      "userName": "fo-%d-%d" % (k, time.time_ns())},
                                     timeout=5)[0]
            except OSError:
                st = None
            k += 1
            if st == 201 and t0 >= t_gone:
                first = time.monotonic() - t_kill
            elif st != 201:
                time.sleep(0.05)
        else:
            time.sleep(0.05)
    rc, out = c.restart_site(master.n)
    rejoined = rc == 0 and master.wait_role("replica", 60)
    return {"killed": master.n, "elected_s": elected, "first_write_s": first,
            "writes_tried": k, "rejoined": bool(rejoined)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--srcdir", required=True)
    p.add_argument("--builddir", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    a.seconds = env_int("BENCH_SECONDS", 10)
    a.threads = env_int("BENCH_THREADS", 2)
    a.connections = env_int("BENCH_CONNECTIONS", 16)
    a.procs = env_int("BENCH_PROCS", 2)
    a.failovers = env_int("BENCH_FAILOVERS", 2)
    max_seconds = env_int("BENCH_MAX_SECONDS", 600)
    os.environ["top_srcdir"] = a.srcdir
    os.environ["top_builddir"] = a.builddir
    sys.path.insert(0, os.path.join(a.srcdir, "tests", "cluster"))
    import cluster  # noqa: E402  (reads top_srcdir when imported)
    import scimtest  # noqa: E402

    why = cluster.skip_reason()
    if why:
        sys.exit("bench-cluster: cannot run: " + why)
    if subprocess.run(["sh", "-c", "command -v wrk"], stdout=subprocess.DEVNULL).returncode:
        sys.exit("bench-cluster: wrk is not installed (apt-get install wrk)")

    def too_long(*_):
        raise TimeoutError("over BENCH_MAX_SECONDS=%d" % max_seconds)
    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(max_seconds)

    single = scimtest.Server(procs=a.procs)
    # Durable as the group's sites are: the HTTP suite's sync = write off.
    with open(single.conf, "w") as f:
        f.write("[store]\nhome = %s/db\n" % single.home)
    c = cluster.Cluster(procs=a.procs)
    res = {"settings": {"seconds_per_half": a.seconds, "threads": a.threads,
                        "connections": a.connections, "procs": a.procs}}
    rc = 1
    try:
        single.start()
        log("bench-cluster: starting the group (./bootstrap cluster) ...")
        if not c.start():
            raise RuntimeError("./bootstrap cluster did not print its banner:\n" + c.banner())
        master = c.wait_master(timeout=60)
        if master is None:
            raise RuntimeError("no master: %s" % c.roles())
        replica = next(s for s in c.sites if s is not master)
        log("bench-cluster: POST /Users, %d s per half, A B B A" % a.seconds)
        s1 = wrk_post(a, single.port, single.token, a.seconds, 1)
        cpu0, t0 = cpu_by_group(), time.monotonic()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        nowait0 = lock_conflicts(os.path.join(master.dir, "db"))
        g1 = wrk_post(a, master.port, c.token, a.seconds, 2)
        g2 = wrk_post(a, master.port, c.token, a.seconds, 3)
        res["master_cpu"] = cpu_split(cpu0, cpu_by_group(), c.sites,
                                      time.monotonic() - t0)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        res["master_cpu"]["wrk_s"] = (ru1.ru_utime + ru1.ru_stime -
                                      ru0.ru_utime - ru0.ru_stime)
        nowait1 = lock_conflicts(os.path.join(master.dir, "db"))
        res["master_lock_conflicts"] = (nowait1 - nowait0 if None not in
                                        (nowait0, nowait1) else None)
        s2 = wrk_post(a, single.port, single.token, a.seconds, 4)
        via = wrk_post(a, replica.port, c.token, a.seconds, 5)
        res["single"] = merge(s1, s2)
        res["master"] = merge(g1, g2)
        res["via_replica"] = via
        ratio = res["master"]["rps"] / max(res["single"]["rps"], 1e-9)
        res["ratio"] = ratio
        res["failovers"] = [failover(c, cluster, 60) for _ in range(a.failovers)]
        firsts = [f["first_write_s"] for f in res["failovers"]]
        worst = None if None in firsts or not firsts else max(firsts)
        res["goals"] = {"ratio": {"goal": GOAL_RATIO, "met": ratio >= GOAL_RATIO},
                        "failover_s": {"goal": GOAL_FAILOVER_S,
                                       "met": worst is not None and worst < GOAL_FAILOVER_S}}

        def row(name, r):
            lat = r.get("latency_us", {})
            log("  %-34s %8.1f req/s  p50 %6.1f ms  p99 %7.1f ms  errors %d" % (
                name, r["rps"], lat.get("p50", 0) / 1e3, lat.get("p99", 0) / 1e3,
                r["errors_total"]))
        log("")
        log("make bench-cluster: durable POST /Users (sync = full), one run")
        row("one site alone", res["single"])
        row("3-site group, through the master", res["master"])
        row("3-site group, through a replica", via)
        log("  group / single: %.2f (goal >= %.2f: %s)" % (
            ratio, GOAL_RATIO, "met" if ratio >= GOAL_RATIO else "missed"))
        mc = res["master_cpu"]
        log("  CPU during the master's runs (%.0f s): %s, wrk %.1f s, other %.1f s" % (
            mc["seconds"], ", ".join("%s%s %.1f s" % (
                n, " (master)" if n == "site%d" % master.n else "", v)
                for n, v in sorted(mc["sites"].items())), mc["wrk_s"], mc["other_s"]))
        if res["master_lock_conflicts"] is not None:
            log("  lock conflicts on the master (each a transaction run again): "
                "%d, %.2f per request" % (res["master_lock_conflicts"],
                                          res["master_lock_conflicts"] /
                                          max(res["master"]["requests"], 1)))
        for f in res["failovers"]:
            fmt = lambda v: "%.2f s" % v if v is not None else "none in 60 s"
            log("  SIGKILL of site %d (master): new master %s, first write %s%s" % (
                f["killed"], fmt(f["elected_s"]), fmt(f["first_write_s"]),
                "" if f["rejoined"] else " (did not rejoin)"))
        log("  failover: worst first write %s (goal < %.0f s: %s)" % (
            "%.2f s" % worst if worst is not None else "-", GOAL_FAILOVER_S,
            "met" if res["goals"]["failover_s"]["met"] else "missed"))
        rc = 0
    finally:
        signal.alarm(0)
        single.stop()
        code, left = c.stop()
        c.cleanup()
        if left:
            log("bench-cluster: sites still running at the end were killed: %s" % left)
        with open(a.out, "w") as f:
            json.dump(res, f, indent=2)
        log("bench-cluster: results in %s" % a.out)
    return rc


if __name__ == "__main__":
    sys.exit(main())
