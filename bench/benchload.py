"""make bench's load and profiles: wrk runs of one scenario (alone or in
A B B A pairs), their CPU per request, and perf samples of a worker.

OWNS driving wrk and perf and merging their figures.  MUST NOT KNOW the
targets (run-bench.py) or how a server is set up (benchserver).
"""

import collections
import json
import os
import re
import resource
import shutil
import subprocess
import time

from benchscenarios import AUTH_FUNCS, PROFILE_FUNCS, PROGRAM
from benchutil import BenchError, CLK_TCK, cpu_ticks, log, machine_ticks, run
from benchserver import db_stat


# --- wrk ---------------------------------------------------------------------

RECLEN = 96     # bytes per line of the files scim.lua reads (as there)


def write_records(srv, ids):
    """From bench-load's ids file, the fixed-width files scim.lua seeks in:
    the users requests pick from, and the spare users."""
    srv.users_rec = os.path.join(srv.home, "users.rec")
    srv.spares_rec = os.path.join(srv.home, "spares.rec")
    srv.group = None
    with open(ids) as f, open(srv.users_rec, "w") as u, open(srv.spares_rec, "w") as sp:
        for line in f:
            kind, i, name = line.split()
            if kind == "g":
                srv.group = i
                continue
            rec = "%s %s" % (i, name)
            if len(rec) >= RECLEN:
                raise BenchError("id and name too long for a record: %s" % rec)
            (u if kind == "u" else sp).write(rec.ljust(RECLEN - 1) + "\n")


def wrk_cmd(args, srv, scenario, ids, seconds, seed):
    files = [srv.users_rec, srv.spares_rec] if ids else ["-", "-"]
    return ["wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % seconds,
            "--timeout", "10s", "-s", os.path.join(args.srcdir, "bench", "scim.lua"),
            "http://127.0.0.1:%d" % srv.port, "--", scenario] + files + [
            srv.group or "-",
            (srv.gate_cred if scenario.startswith("gate_") else srv.token) or "",
            str(args.threads), str(seed),
            str(args.null_bytes)]


def merge(a, b):
    """One result from two runs of a scenario (percentiles: the
    request-weighted mean of the two, marked approximate)."""
    n = a["requests"] + b["requests"]
    w = lambda x, y: (x * a["requests"] + y * b["requests"]) / max(n, 1)
    r = dict(a)
    r["requests"] = n
    r["duration_us"] = a["duration_us"] + b["duration_us"]
    r["seconds"] = a["seconds"] + b["seconds"]
    r["rps"] = n / r["seconds"] if r["seconds"] else 0.0
    r["errors"] = {k: a["errors"][k] + b["errors"][k] for k in a["errors"]}
    r["errors_total"] = a["errors_total"] + b["errors_total"]
    r["latency_us"] = {k: w(a["latency_us"][k], b["latency_us"][k])
                       for k in a["latency_us"]}
    r["latency_us"]["max"] = max(a["latency_us"]["max"], b["latency_us"]["max"])
    r["latency_approx"] = True
    r["cpu_us_per_req"] = {k: w(a["cpu_us_per_req"][k], b["cpu_us_per_req"][k])
                           for k in a["cpu_us_per_req"]}
    r["machine_pct"] = {k: (a["machine_pct"][k] + b["machine_pct"][k]) / 2
                        for k in a["machine_pct"]}
    if "bdb" in a and "bdb" in b:
        r["bdb"] = {k: a["bdb"].get(k, 0) + b["bdb"].get(k, 0) for k in a["bdb"]}
        r["bdb"]["page_misses_per_req"] = r["bdb"].get("page_misses", 0) / max(n, 1)
        r["bdb"]["lock_waits_per_req"] = r["bdb"].get("lock_waits", 0) / max(n, 1)
    r["runs"] = [a, b]
    return r


def drain(srv, limit=60.0):
    """Wait until the workers are idle: wrk stops counting at its deadline,
    but requests already queued (a slow path queues many) still run, and
    must not be charged to the next scenario.  Bounded by limit seconds."""
    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        now = sum(cpu_ticks(p) for p in srv.workers())
        if now == last:
            return
        last = now
        time.sleep(0.2)
    log("  workers still busy after %.0f s" % limit)


def wrk(args, srv, key, scenario, ids, seed, seconds=None):
    seconds = seconds or args.seconds
    prog = PROGRAM.get(key, "scim-users")
    workers = srv.workers()
    before = {pid: cpu_ticks(pid) for pid in workers}
    lt0 = cpu_ticks(srv.proc.pid)
    st0 = db_stat(args, srv)
    m0 = machine_ticks()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = run(wrk_cmd(args, srv, scenario, ids, seconds, seed), seconds + 60)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m1 = machine_ticks()
    after = {p: (exe, cpu_ticks(p)) for p, exe in srv.workers().items()}
    lt1 = cpu_ticks(srv.proc.pid)
    st1 = db_stat(args, srv)
    m = re.search(r"^BENCH-JSON (\{.*\})$", out, re.M)
    if not m:
        raise BenchError("wrk printed no result for %s:\n%s" % (key, out[-2000:]))
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    n = max(r["requests"], 1)
    r["rps"] = r["requests"] / secs if secs > 0 else 0.0
    r["errors_total"] = sum(r["errors"].values())
    r["program"] = prog
    r["seconds"] = secs
    r["loadavg"] = list(os.getloadavg())
    # CPU per request: the program that served it, lighttpd, wrk, the rest.
    ticks = sum(t - before.get(p, 0) for p, (exe, t) in after.items() if exe == prog)
    other_workers = sum(t - before.get(p, 0) for p, (exe, t) in after.items() if exe != prog)
    us = lambda t: t / CLK_TCK * 1e6 / n
    r["cpu_us_per_req"] = {
        "worker": us(ticks),
        "lighttpd": us(lt1 - lt0),
        "wrk": ((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)) * 1e6 / n,
    }
    ours = ticks + other_workers + (lt1 - lt0) + \
        ((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)) * CLK_TCK
    total = max(m1[2] - m0[2], 1)
    r["machine_pct"] = {
        "busy": 100.0 * (m1[0] + m1[1] - m0[0] - m0[1]) / total,
        "benchmark": 100.0 * ours / total,
        "irq": 100.0 * (m1[1] - m0[1]) / total,
        # Processes that are not part of this benchmark (noise).
        "other": max(0.0, 100.0 * ((m1[0] - m0[0]) - ours) / total),
    }
    if st0 and st1:
        d = {k: st1.get(k, 0) - st0.get(k, 0) for k in st1}
        r["bdb"] = dict(d, page_misses_per_req=d.get("page_misses", 0) / n,
                        lock_waits_per_req=d.get("lock_waits", 0) / n)
    drain(srv)
    return r


def paired(args, seed, a, b, b_seed=None, warm=False):
    """Two scenarios a and b, each (server, key, scenario, ids file), in
    A B B A halves of BENCH_SECONDS, so that drifting load on a shared
    machine falls on both alike.  Returns their merged results.  b_seed:
    b's seeds when they must differ from a's (POST names users by seed).
    warm: first run each side for a half, not counted (reads only: a
    warm-up of a write would add to the store).  A worker's first touches
    of the shared cache's pages fault them into its page tables: 10,700
    faults in a GET's first 2 s on the big store, 2,100 in the next 2,
    and its worker CPU 42 us a request cold against 37 warm; the null
    responder has nothing to warm.  The workers of a deployment live for
    many requests: the steady state is the one to measure."""
    half = max(1, args.seconds // 2)
    b_seed = seed if b_seed is None else b_seed
    if warm:
        log("  warming %s and %s, %d s each ..." % (a[1], b[1], half))
        wrk(args, *a, seed + 100, half)
        wrk(args, *b, b_seed + 100, half)
    a1 = wrk(args, *a, seed, half)
    b1 = wrk(args, *b, b_seed, half)
    b2 = wrk(args, *b, b_seed + 1, half)
    a2 = wrk(args, *a, seed + 1, half)
    out = merge(a1, a2), merge(b1, b2)
    for (_, k, _, _), r in zip((a, b), out):
        log("  %-12s %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %d  "
            "worker %.0f us/req  other load %.0f%%" % (
                k, r["rps"], r["latency_us"]["p50"] / 1000, r["latency_us"]["p99"] / 1000,
                r["errors_total"], r["cpu_us_per_req"]["worker"],
                r["machine_pct"]["other"]))
    return out


# --- perf --------------------------------------------------------------------

def perf_usable(args):
    if args.profile == "0" or not shutil.which("perf"):
        return False
    if os.geteuid() == 0:
        return True
    try:
        with open("/proc/sys/kernel/perf_event_paranoid") as f:
            return int(f.read()) <= 1
    except (OSError, ValueError):
        return False


def stack_shares(text, funcs):
    """Inclusive share of samples per function, and the top self symbols."""
    samples, cur = [], None
    for line in text.splitlines():
        if not line.strip():
            if cur is not None:
                samples.append(cur)
            cur = None
        elif not line[0].isspace():
            cur = []
        elif cur is not None:
            parts = line.split()
            if len(parts) >= 2:
                cur.append(re.sub(r"\+0x[0-9a-f]+$", "", parts[1]))
    if cur:
        samples.append(cur)
    n = len(samples) or 1
    inc = collections.Counter()
    top = collections.Counter()
    auth = 0
    for s in samples:
        for f in set(s):
            inc[f] += 1
        if AUTH_FUNCS.intersection(s):
            auth += 1
        if s:
            top[s[0]] += 1
    return {
        "samples": len(samples),
        "inclusive_pct": {f: round(100.0 * inc[f] / n, 1) for f in funcs},
        "auth_pct": round(100.0 * auth / n, 1),
        "self_top_pct": {f: round(100.0 * c / n, 1) for f, c in top.most_common(15)},
    }


def profile(args, srv, key, scenario, ids, seed, work):
    """perf samples of the program serving a scenario during an extra run."""
    prog = PROGRAM.get(key, "scim-users")
    pids = [p for p, exe in srv.workers().items() if exe == prog]
    secs = min(5, args.seconds)
    data = os.path.join(work, "perf-%s.data" % key)
    rec = subprocess.Popen(["perf", "record", "-q", "-F", "499", "--call-graph",
                            "dwarf,16384", "-o", data, "-p", ",".join(map(str, pids)),
                            "--", "sleep", str(secs + 1)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)
        run(wrk_cmd(args, srv, scenario, ids, secs, seed), secs + 60)
        rec.wait(secs + 30)
    finally:
        if rec.poll() is None:
            rec.kill()
            rec.wait(10)
    text = run(["perf", "script", "-i", data, "--no-inline"], 300)
    os.unlink(data)
    r = stack_shares(text, PROFILE_FUNCS)
    r.update({"program": prog, "seconds": secs, "pids": pids})
    # Every sample of a worker is under service_serve(), its accept loop
    # (service_main() ends in a tail call to it, so it is never on the
    # stack: checking for it failed every run).
    if r["inclusive_pct"]["service_serve"] < 50:
        # perf could not name the program's functions (a concurrent build
        # replaced the binary?): the shares would be wrong, not zero.
        return {"error": "perf resolved too few of %s's symbols (service_serve in "
                         "%.0f%% of samples)" % (prog, r["inclusive_pct"]["service_serve"]),
                "samples": r["samples"]}
    return r
