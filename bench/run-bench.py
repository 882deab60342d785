#!/usr/bin/env python3
"""make bench: every scim-fcgi hot path against the stack's own ceiling.

One run, on loopback only:

1. bench-load measures Berkeley DB's durable commit rate (one writer, 1 KB
   values) in a scratch environment on the same file system as the store;
2. bench-load fills a fresh store with BENCH_USERS users, a pool of spare
   users (those PATCH /Groups adds) and a 100,000-member group, through the
   store API in nosync batches; and a second store with 1,000 users for the
   "flat index" comparison;
3. bench-load times the cached bearer check and GET handlers in-process;
4. lighttpd starts from etc/lighttpd-local.conf.in (as the HTTP tests and
   the quick start do: www-data when root, the same max-procs everywhere)
   plus one FastCGI entry, /bench/null, served by bench/null-responder;
5. wrk drives each scenario for BENCH_SECONDS with the same threads and
   connections, the null responder first and last;
6. /proc gives each scenario's CPU time per request (workers, lighttpd, wrk,
   and whatever else ran on the machine), db5.3_stat the cache misses and
   lock waits, and after the run each worker's memory; perf, when present,
   profiles the workers in two extra runs (GET by id, and the slowest path).

Prints a table and writes results.json.  Every process it starts is ended
by PID before it exits, and every wait is bounded (BENCH_MAX_SECONDS).

This file is the run and its targets; beside it, benchscenarios.py (what
each scenario is), benchutil.py (commands, /proc), benchserver.py (the
lighttpd servers) and benchload.py (wrk and perf).
"""

import argparse
import datetime
import glob
import json
import os
import platform
import pwd
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types

# The modules beside this script; no bytecode left in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchutil  # noqa: E402
from benchscenarios import (ACTIVITY_PAIRS, AUTH_FUNCS, LABELS,  # noqa: E402
                            ONLY_GROUPS, SCENARIOS, SMALL_TWIN, TWIN)
from benchutil import (BASE, BenchError, T_START, chown_www, env_int,  # noqa: E402
                       last_json, log, machine_ticks, mem_of, run)
from benchserver import Server, gate_setup, gate_smoke  # noqa: E402
from benchload import paired, perf_usable, profile, write_records, wrk  # noqa: E402


# --- the run -------------------------------------------------------------------

def read_ids(path):
    users, spares, group = [], [], None
    with open(path) as f:
        for line in f:
            kind, i, name = line.split()
            if kind == "u":
                users.append((i, name))
            elif kind == "s":
                spares.append((i, name))
            else:
                group = i
    return users, spares, group


def smoke(srv, users, group, procs):
    """Each path once per worker and more, so no scenario measures a stream
    of errors and every worker has verified the token before timing."""
    uid, name = users[0]
    fq = BASE + '/Users?filter=userName%20eq%20%22' + name + '%22'
    checks = [("GET", "/bench/null", None, 200), ("GET", BASE + "/Users/" + uid, None, 200),
              ("GET", fq, None, 200), ("GET", BASE + "/Users?startIndex=1&count=100", None, 200)]
    if group:
        checks.append(("GET", BASE + "/Groups/" + group + "?excludedAttributes=members",
                       None, 200))
    checks = checks * (4 * procs)
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}
    checks += [
        ("POST", BASE + "/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                   "userName": "smoke-%d@bench.example.com" % os.getpid()},
         201),
        ("PATCH", BASE + "/Users/" + uid, dict(patch, Operations=[
            {"op": "Replace", "path": "title", "value": "Smoke"}]), 200),
    ]
    if group:
        # An existing member: a no-op that leaves the spare pool whole.
        checks.append(("PATCH", BASE + "/Groups/" + group, dict(patch, Operations=[
            {"op": "Add", "path": "members", "value": [{"value": uid}]}]), 204))
    for method, path, body, want in checks:
        status, text = srv.request(method, path, body)
        if status != want:
            raise BenchError("%s %s on %s: %d, wanted %d: %s" % (
                method, path, srv.name, status, want, text[:300]))
    status, text = srv.request("GET", fq)
    if json.loads(text).get("totalResults") != 1:
        raise BenchError("the filter found no single user: %s" % text[:300])
    # The size of a GET /Users/{id} answer, for the null_sized scenario.
    status, text = srv.request("GET", BASE + "/Users/" + users[-1][0])
    return len(text)


def du(pattern):
    """Bytes on disk (allocated blocks) of the files matching a glob."""
    total = 0
    for p in glob.glob(pattern):
        try:
            total += os.stat(p).st_blocks * 512
        except OSError:
            pass
    return total


def store_sizes(srv, users):
    files = {os.path.basename(p): du(p)
             for p in sorted(glob.glob(os.path.join(srv.db, "*.db")))}
    data = sum(files.values())
    return {"data_bytes": data, "log_bytes": du(os.path.join(srv.db, "log.*")),
            "region_bytes": du(os.path.join(srv.db, "__db.*")), "files": files,
            "users": users, "data_bytes_per_user": data / users if users else 0}


def first_line(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=10).stdout
        return out.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def machine_info(args, version):
    info = {"hostname": platform.node(), "cpus": os.cpu_count(),
            "kernel": platform.release(), "loadavg_at_start": list(os.getloadavg())}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next((l.split(":", 1)[1].strip() for l in f
                                if l.startswith("model name")), None)
        with open("/proc/meminfo") as f:
            info["memory_mib"] = int(f.readline().split()[1]) // 1024
        with open("/etc/os-release") as f:
            info["os"] = next((l.split("=", 1)[1].strip().strip('"') for l in f
                               if l.startswith("PRETTY_NAME=")), None)
    except (OSError, ValueError, IndexError):
        pass
    versions = dict(version)
    versions.update({
        "lighttpd": first_line([args.lighttpd, "-v"]),
        "wrk": first_line(["wrk", "-v"]),
        "cc": first_line([os.environ.get("CC") or "cc", "--version"]),
        "python": platform.python_version(),
        "perf": first_line(["perf", "--version"]) if shutil.which("perf") else None,
    })
    return info, versions


def commit_rate(bl, work):
    """Berkeley DB's durable commit rate, one writer, in a scratch home."""
    cdir = os.path.join(work, "commit")
    os.mkdir(cdir)
    if os.geteuid() == 0:
        chown_www(cdir)
    log("Berkeley DB durable commit rate, 3 s ...")
    try:
        r = last_json(run([bl, "commit", "-d", cdir, "-t", "3"], 120))
    finally:
        shutil.rmtree(cdir, ignore_errors=True)
    log("  %.0f commits/s" % r["raw_commits_per_s"])
    return r


def sync_scenario(args, srv, work):
    """Manual User Sync of BENCH_SYNC_USERS users from the Graph stand-in
    into tenant "bench-sync" of srv's store: one scimctl process, timed
    from start to exit, in the shape of a wrk result (rps = users/s)."""
    standin = os.path.join(args.srcdir, "tests", "sync", "graph_standin.py")
    port_file = os.path.join(work, "graph.port")
    secret = os.path.join(work, "graph.secret")
    with open(secret, "w") as f:
        f.write("s3cret\n")
    os.chmod(secret, 0o644)          # scimctl reads it as the home's owner
    proc = subprocess.Popen([sys.executable, standin, "--users", str(args.sync_users),
                             "--port-file", port_file])
    try:
        t_end = time.monotonic() + 120
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.monotonic() > t_end:
                raise BenchError("the Graph stand-in did not start")
            time.sleep(0.1)
        with open(port_file) as f:
            base = "http://127.0.0.1:%d" % int(f.read())
        with open(srv.conf, "a") as f:
            f.write("\n[graph]\nauthority = %s\nurl = %s\n" % (base, base))
        ctl = [os.path.join(args.bindir, "scimctl"), "-c", srv.conf]
        run(ctl + ["graph", "credentials", "--tenant", "bench-sync", "--tenant-id",
                   "tenant-1", "--client-id", "client-1", "--secret-file", secret], 60)
        run(ctl + ["roles", "add", "Bench", "member", "--tenant", "bench-sync"], 60)
        m0, ru0, t0 = machine_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN), \
            time.monotonic()
        out = run(ctl + ["graph", "sync", "--tenant", "bench-sync", "--quiet"], 900)
        secs = time.monotonic() - t0
        ru1, m1 = resource.getrusage(resource.RUSAGE_CHILDREN), machine_ticks()
    finally:
        proc.terminate()
        proc.wait(30)
    m = re.search(r"created (\d+), updated (\d+), unchanged (\d+), failed (\d+) of "
                  r"(\d+) users in (\d+) ms", out)
    if not m:
        raise BenchError("graph sync said: %s" % out.strip()[:300])
    created, _, _, failed, total, _ = (int(x) for x in m.groups())
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    busy = (m1[0] - m0[0]) / max(1, m1[2] - m0[2])
    return {"rps": total / secs, "requests": total, "errors_total": failed,
            "created": created, "seconds": secs,
            "latency_us": {"p50": 0.0, "p99": 0.0},
            "cpu_us_per_req": {"worker": 1e6 * cpu / max(1, total), "lighttpd": 0.0},
            "machine_pct": {"other": 0.0, "busy": 100.0 * busy},
            "loadavg": os.getloadavg()}


def load_stores(args, bl, work, commit):
    """The big store and the 1,000-user one, loaded, with a token each and
    the in-process timing of the bearer check (steps 2 and 3)."""
    st = types.SimpleNamespace()
    # Spare users: one per add-member request.  With group commit (one
    # flush for the writes queued on a worker) those run at up to ~1.2
    # times the durable commit rate of one writer: twice that rate leaves
    # room; a run that used them all up says so.
    st.spare = env_int("BENCH_SPARE", max(10000, int(2 * commit["raw_commits_per_s"] *
                                                      args.seconds)), 0, 10**7)
    st.big = Server("big", work, args)
    st.small = Server("small", work, args)
    if os.geteuid() == 0:
        chown_www(st.big.home)
        chown_www(st.small.home)
    st.ids, st.ids_small = (os.path.join(s.home, "ids.txt") for s in (st.big, st.small))
    st.members = min(args.members, args.users)
    log("loading %d users + %d spare + a %d-member group ..." % (args.users, st.spare,
                                                                  st.members))
    st.load = last_json(run([bl, "-c", st.big.conf, "load", "-n", str(args.users), "-s",
                             str(st.spare), "-m", str(args.members), "-o", st.ids], 1800))
    st.sizes = store_sizes(st.big, args.users + st.spare)
    log("  users %.1f s (%.0f/s), members %.1f s: loaded in %.1f s, %.0f MiB of .db files"
        % (st.load["users_seconds"], st.load["users_per_s"], st.load["members_seconds"],
           st.load["seconds"], st.sizes["data_bytes"] / 2**20))
    # The small store has the same shape: the same share of its users is
    # in one group, so a filter answers the same work on both on average.
    members_small = round(args.small * st.members / args.users)
    st.load_small = last_json(run([bl, "-c", st.small.conf, "load", "-n", str(args.small),
                                   "-s", "0", "-m", str(members_small), "-o", st.ids_small],
                                  600))
    st.sizes_small = store_sizes(st.small, args.small)
    tokens = os.path.join(args.bindir, "scim-tokens")
    for s in (st.big, st.small):
        s.token = run([tokens, "-c", s.conf, "create", "--tenant", "default",
                       "--label", "bench"], 60).strip()
    log("token_check and GET handlers in-process, 3 s ...")
    st.auth = last_json(run([bl, "-c", st.big.conf, "auth", "-k", st.big.token, "-o",
                             st.ids, "-t", "2"], 120))
    return st


def start_servers(args, st, work, servers):
    """lighttpd on each store, and a second one on the big store with the
    recorder off when the activity pairs run; each checked once (step 4).
    Sets st.quiet (or None) and st.group."""
    users, _, st.group = read_ids(st.ids)
    users_small = read_ids(st.ids_small)[0]
    write_records(st.big, st.ids)
    write_records(st.small, st.ids_small)
    for s in (st.big, st.small):
        servers.append(s)
        s.start()
    st.quiet = None
    if not args.only or args.only.intersection(ONLY_GROUPS["activity"]):
        q = Server("quiet", work, args, db=st.big.db,
                   conf_extra="[activity]\nenabled = no\n")
        if os.geteuid() == 0:
            chown_www(q.home)
        q.token, q.users_rec, q.spares_rec, q.group = (
            st.big.token, st.big.users_rec, st.big.spares_rec, st.big.group)
        servers.append(q)
        q.start()
        st.quiet = q
    args.null_bytes = smoke(st.big, users, st.group, args.procs)
    smoke(st.small, users_small, None, args.procs)
    if not args.only or args.only.intersection(ONLY_GROUPS["gate"]):
        st.big.gate_cred = gate_setup(st.big, users, args.bindir)
        gate_smoke(st.big, st.big.gate_cred)


def log_result(r):
    log("  %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  errors %d  worker %.0f us/req"
        "  other load %.0f%%" % (r["rps"], r["latency_us"]["p50"] / 1000,
                                 r["latency_us"]["p99"] / 1000, r["errors_total"],
                                 r["cpu_us_per_req"]["worker"], r["machine_pct"]["other"]))


def run_pair(args, st, sc, key, seed):
    """Measure key with its twin in A B B A turns, if it has one that runs:
    True when it did (both are in sc)."""
    big, small, ids = st.big, st.small, st.ids
    if key not in TWIN or (args.only and TWIN[key] not in args.only):
        return False
    if key in SMALL_TWIN:
        # The flatness pairs, on the big store and the small one.
        sc[key], sc[SMALL_TWIN[key]] = paired(
            args, seed, (big, key, key, ids), (small, SMALL_TWIN[key], key, st.ids_small),
            warm=True)
    elif key == "get_id":
        # The GET against its ceiling, in turns: the machine's speed drifts
        # by a quarter within minutes, and the null responder's runs at the
        # start and the end of the whole run do not see the GET's minutes.
        sc["get_id"], sc["null_get"] = paired(
            args, seed, (big, "get_id", "get_id", ids), (big, "null_get", "null_pick", ids),
            warm=True)
    elif key == "gate_null":
        # The gate against its ceiling.
        sc["gate_null"], sc["gate_authz"] = paired(
            args, seed, (big, "gate_null", "gate_null", None),
            (big, "gate_authz", "gate_authz", None), warm=True)
    else:
        # The recorder on and off, A B B A on the same store.  Seeds apart
        # from "post"'s and each other's: POST names its users by seed.
        twin, scen = ACTIVITY_PAIRS[key]
        sc[key], sc[twin] = paired(args, seed + 10, (big, key, scen, ids),
                                   (st.quiet, twin, scen, ids), seed + 20,
                                   warm=scen == "get_id")
    return True


def profile_into(args, st, work, profiles, key, seed):
    """profiles[key]: perf samples of key's worker in an extra run."""
    log("profiling %s with perf, %d s ..." % (key, min(5, args.seconds)))
    try:
        profiles[key] = profile(args, st.big, key, key, st.ids, seed + 1, work)
    except (BenchError, subprocess.TimeoutExpired, OSError) as e:
        profiles[key] = {"error": str(e)[:300]}


def run_scenarios(args, bl, work, st, seed, profiles):
    """Every scenario asked for, in SCENARIOS' order (step 5): their results,
    and the durable commit rates measured before and after the writes.  The
    GET by id is profiled (profiles) right after it ran, on the store it
    was measured on: at the end of the run the writes have grown the store
    past the cache it started with, and its profile was of reading pages in."""
    on_small = {v: k for k, v in SMALL_TWIN.items()}     # and the wrk scenario
    on_quiet = {twin for twin, _ in ACTIVITY_PAIRS.values()}
    runs_as = dict(on_small, null_end="null")
    no_ids = {"null", "null_sized", "sync", "null_end", "gate_basic", "gate_null",
              "gate_authz"}
    sc, commit_near = {}, []
    for key, _, _ in SCENARIOS:
        if args.only and key not in args.only:
            continue
        if key == "post" or (key == "null_end" and commit_near):
            # The durable commit rate right before and after the writes:
            # the disk is shared too.
            commit_near.append(commit_rate(bl, work))
        if key in TWIN.values() and key in sc:
            continue            # measured with its twin
        srv = st.small if key in on_small else st.quiet if key in on_quiet else st.big
        idfile = None if key in no_ids else (st.ids_small if key in on_small else st.ids)
        log("%-13s %s ..." % (key, "%d users" % args.sync_users if key == "sync" else
                              "%d s" % args.seconds))
        try:
            if key == "sync":
                r = sc[key] = sync_scenario(args, srv, work)
                log("  %9.0f users/s (%d users in %.1f s)  scimctl %.0f us/user  "
                    "load average %.2f" % (r["rps"], r["requests"], r["seconds"],
                                           r["cpu_us_per_req"]["worker"], r["loadavg"][0]))
                continue
            if not run_pair(args, st, sc, key, seed):     # a pair logs itself
                sc[key] = wrk(args, srv, key, runs_as.get(key, key), idfile, seed)
                log_result(sc[key])
            if key == "get_id" and perf_usable(args):
                profile_into(args, st, work, profiles, key, seed)
        except (BenchError, subprocess.TimeoutExpired) as e:
            if "BENCH_MAX_SECONDS" in str(e):
                raise
            sc[key] = {"skipped": str(e)[:500]}
            log("  " + sc[key]["skipped"])
    return sc, commit_near


def ok_in(sc):
    """ok(key): key ran without being skipped; rps(key): its rate, or 0."""
    ok = lambda k: k in sc and "skipped" not in sc[k]
    return ok, (lambda k: sc[k]["rps"] if ok(k) else 0.0)


def ratio(sc, a, b):
    """rps(a) / rps(b), or 0 when b did not run."""
    _, rps = ok_in(sc)
    return rps(a) / rps(b) if rps(b) else 0.0


def after_run(args, bl, work, st, sc, servers, seed, profiles):
    """Step 6: every worker's memory, the slowest path's profile (an extra
    run, not timed) into profiles, the store counted and its layout made
    again, and whether it holds what the writes wrote.  Stops the servers."""
    ok, rps = ok_in(sc)
    a = types.SimpleNamespace(workers=[], profiles=profiles)
    for s in servers:
        for pid, prog in sorted(s.workers().items()):
            m = mem_of(pid)
            m.update({"program": prog, "pid": pid, "server": s.name})
            a.workers.append(m)
    real = [k for k, _, _ in SCENARIOS if ok(k) and not k.startswith("null")
            and not k.startswith("gate_") and k not in SMALL_TWIN.values() and k != "sync"]
    a.slow = min(real, key=rps) if real else None
    a.sizes = store_sizes(st.big, args.users + st.spare)
    a.count = last_json(run([bl, "-c", st.big.conf, "count", "-g", st.group], 300))
    if perf_usable(args) and a.slow and a.slow not in profiles:
        profile_into(args, st, work, profiles, a.slow, seed)
    for s in servers:
        s.stop()
    servers.clear()
    # What an upgrade to store layout 5 costs this store: its first count
    # and numbered name indexes, made by an open that is alone.
    log("store layout 5 made again (count + numbered indexes) ...")
    a.relayout = last_json(run([bl, "-c", st.big.conf, "relayout"], 1800))
    log("  %.1f s for %d users" % (a.relayout["seconds"], a.relayout["users"]))
    a.verify = verify_counts(args, st, sc, a.count)
    return a


def verify_counts(args, st, sc, count):
    """What the writes did, counted in the store, against what they said."""
    ok, _ = ok_in(sc)
    done = lambda k: sc[k]["requests"] - sc[k]["errors_total"] if ok(k) else 0
    v = {
        "users_expected": args.users + st.spare + 1 + done("post") +   # +1: smoke POST
        done("act_post_on") + done("act_post_off"),
        "users_counted": count["users"],
        "members_expected": st.members + min(done("patch_group"), st.spare),
        "members_counted": count["group_members"],
    }
    # wrk does not count the answers still in flight when it stops: up to
    # one per connection may have been written on top (per run: a paired
    # scenario runs twice).
    slack = lambda k: args.connections if ok(k) else 0
    v["ok"] = (0 <= v["users_counted"] - v["users_expected"] <=
               slack("post") + 2 * (slack("act_post_on") + slack("act_post_off"))
               and 0 <= v["members_counted"] - v["members_expected"]
               <= slack("patch_group"))
    return v


def derive(args, st, sc, commit, commit_near, a):
    """The figures the targets judge, from the scenarios' results."""
    ok, rps = ok_in(sc)
    d = types.SimpleNamespace()
    nulls = [rps(k) for k in ("null", "null_end") if ok(k)]
    d.null = sum(nulls) / len(nulls) if nulls else 0.0
    d.vs_null = {k: (rps(k) / d.null if d.null else 0.0) for k in sc if ok(k)}
    cpu = lambda k, what: sc[k]["cpu_us_per_req"][what] if ok(k) else 0.0
    d.get_server_us = cpu("get_id", "worker") + cpu("get_id", "lighttpd")
    prof = a.profiles.get("get_id", {})
    if "inclusive_pct" in prof:
        d.auth_us = prof["auth_pct"] / 100.0 * cpu("get_id", "worker")
        d.auth_how = ("perf: the bearer check (%s) is %.1f%% of scim-users' CPU samples "
                      "in GET by id x %.1f us worker CPU per GET" % (
                          ", ".join(sorted(AUTH_FUNCS)), prof["auth_pct"],
                          cpu("get_id", "worker")))
    else:
        d.auth_us = st.auth["auth_added_us"]
        d.auth_how = ("in-process (no perf): GET handler with token_check minus without; "
                      "underestimates what a worker pays")
    d.auth_share = d.auth_us / d.get_server_us if d.get_server_us else 0.0
    d.flat = ratio(sc, "filter", "filter_small")
    # POST against the commit rate measured next to it (before and after
    # the writes), the start-of-run figure when the writes did not run.
    d.near = [c["raw_commits_per_s"] for c in commit_near] or [commit["raw_commits_per_s"]]
    d.raw_commit = sum(d.near) / len(d.near)
    d.post_vs_commit = rps("post") / d.raw_commit
    d.add_vs_post = ratio(sc, "patch_group", "post")
    d.sync_vs_post = ratio(sc, "sync", "post")
    scim_workers = [w for w in a.workers if w["program"].startswith("scim-")
                    and w["server"] == "big"]
    d.max_anon = max((w.get("RssAnon", 0) for w in scim_workers), default=0)
    d.max_rss = max((w.get("VmRSS", 0) for w in scim_workers), default=0)
    d.max_pss = max((w.get("Pss", 0) for w in scim_workers), default=0)
    d.pool_ok = ok("patch_group") and sc["patch_group"].get("exhausted", 0) == 0
    return d


def targets_of(args, st, sc, d):
    """The targets, each judged: a table, one entry a line of the output."""
    ok, rps = ok_in(sc)
    cpu = lambda k, what: sc[k]["cpu_us_per_req"][what] if ok(k) else 0.0
    pct = lambda v: "%.1f%%" % (100 * v)
    # Listing: the big store against the small one, and a page of 100
    # against one GET by id (its cost: how many GETs one page is worth).
    twin = lambda k: ratio(sc, k, SMALL_TWIN[k])
    per_get = lambda k: ratio(sc, "get_id", k)
    load_of = lambda *ks: ", ".join("%s %s" % (k, "/".join("%.2f" % v for v in sc[k]["loadavg"]))
                                    for k in ks if ok(k) and "loadavg" in sc[k])
    stores = "%s users / at %s users" % ("{:,}".format(args.users + st.spare),
                                         "{:,}".format(args.small))

    def target(name, keys, measured, goal, met, mtext, gtext, note=""):
        bad = "; ".join("%s did not run" % k if not ok(k) else
                        "%s had %d errors" % (k, sc[k]["errors_total"])
                        for k in keys if not ok(k) or sc[k]["errors_total"])
        status = "info" if met is None else ("met" if met and not bad else "MISSED")
        if "patch_group" in keys and not d.pool_ok and ok("patch_group"):
            status = "invalid"
        return {"name": name, "measured": measured, "goal": goal, "status": status,
                "measured_text": mtext, "goal_text": gtext,
                "evidence": "; ".join(x for x in (bad, note) if x)}

    gate_a, gate_n = ratio(sc, "gate_authz", "gate_null"), ratio(sc, "gate_null", "gate_basic")
    # The same by CPU per request (worker + lighttpd + wrk): what the ratio
    # would be on a machine the benchmark has to itself.
    stack_us = lambda k: sum(sc[k]["cpu_us_per_req"].values()) if ok(k) else 0.0
    gate_cpu = stack_us("gate_null") / stack_us("gate_authz") if stack_us("gate_authz") \
        else 0.0
    g, f = d.vs_null.get("get_id", 0), d.vs_null.get("filter", 0)
    g_ends = g              # against the null responder of the run's two ends
    if ok("null_get"):
        g = ratio(sc, "get_id", "null_get")
    gs = ratio(sc, "get_id", "null_sized")
    act_get = ratio(sc, "act_get_on", "act_get_off")
    act_post = ratio(sc, "act_post_on", "act_post_off")
    return [
        target("GET /Users/{id}: activity recorder on vs off", ["act_get_on", "act_get_off"],
               act_get, 0.95, act_get >= 0.95, pct(act_get), ">= 95%",
               "one store, two lighttpds; worker CPU %.1f vs %.1f us/req" % (
                   cpu("act_get_on", "worker"), cpu("act_get_off", "worker"))),
        target("POST /Users: activity recorder on vs off", ["act_post_on", "act_post_off"],
               act_post, 0.95, act_post >= 0.95, pct(act_post), ">= 95%",
               "durable; worker CPU %.1f vs %.1f us/req" % (
                   cpu("act_post_on", "worker"), cpu("act_post_off", "worker"))),
        target("GET /Users/{id} vs null responder", ["get_id", "null_get"], g, 0.85,
               g >= 0.85, pct(g), ">= 85%",
               "paired A B B A with the null responder (%s req/s); against the null "
               "responder of the run's start and end (%s req/s): %s; worker CPU %.1f vs "
               "%.1f us/req" % (fmt(rps("null_get")), fmt(d.null), pct(g_ends),
                                cpu("get_id", "worker"), cpu("null_get", "worker"))),
        target("GET /Users/{id} vs null responder with the same body", ["get_id",
               "null_sized"], gs, None, None, pct(gs) if ok("null_sized") else "-", "info",
               "the stack alone, answering %d bytes, runs at %s of the null responder" % (
                   args.null_bytes, pct(d.vs_null.get("null_sized", 0)))),
        target("filter userName eq vs null responder", ["filter", "null"], f, 0.60,
               f >= 0.60, pct(f), ">= 60%"),
        target("filter at " + stores, ["filter", "filter_small"], d.flat, 0.90,
               d.flat >= 0.90, "%.2f" % d.flat, ">= 0.90"),
        target("startIndex page at " + stores,
               ["page", "page_small"], twin("page"), 0.80, twin("page") >= 0.80,
               "%.2f" % twin("page"), ">= 0.80",
               "random startIndex; the page is found by walking the name index from "
               "its nearer end (no record read); load average %s" % load_of("page", "page_small")),
        target("cursor walk at " + stores,
               ["cursor", "cursor_small"], twin("cursor"), 0.80, twin("cursor") >= 0.80,
               "%.2f" % twin("cursor"), ">= 0.80",
               "load average %s" % load_of("cursor", "cursor_small")),
        target("startIndex page of 100: cost in GETs by id", ["page", "get_id"],
               per_get("page"), 10.0, 0 < per_get("page") <= 10.0,
               "%.1fx" % per_get("page"), "<= 10x"),
        target("cursor page of 100: cost in GETs by id", ["cursor", "get_id"],
               per_get("cursor"), 10.0, 0 < per_get("cursor") <= 10.0,
               "%.1fx" % per_get("cursor"), "<= 10x",
               "load average %s" % load_of("get_id")),
        target("durable POST vs raw durable commit rate", ["post"], d.post_vs_commit, 1.00,
               d.post_vs_commit >= 1.00, pct(d.post_vs_commit), ">= 100%",
               "raw rate %.0f/s (mean of %s, measured next to the writes)" % (
                   d.raw_commit, ", ".join("%.0f" % v for v in d.near))),
        target("add member (100k group) vs POST", ["patch_group", "post"], d.add_vs_post,
               0.75, d.add_vs_post >= 0.75, pct(d.add_vs_post), ">= 75%",
               "" if d.pool_ok else "the spare pool ran out, so later adds were no-ops: "
               "raise BENCH_SPARE"),
        target("Manual User Sync users/s vs durable POST", ["sync", "post"], d.sync_vs_post,
               2.0, d.sync_vs_post >= 2.0, "%.1fx" % d.sync_vs_post, ">= 2x",
               "%s users/s (%s users from the Graph stand-in, %d per transaction) against "
               "%s POST/s; load average %s" % (
                   fmt(rps("sync")), fmt(args.sync_users), 500, fmt(rps("post")),
                   "%.2f" % sc["sync"]["loadavg"][0] if ok("sync") else "-")),
        target("auth share of a GET by id's server CPU", ["get_id"], d.auth_share, 0.05,
               d.auth_share < 0.05, pct(d.auth_share), "< 5%",
               "%.1f us of %.1f us (worker + lighttpd); %s" % (d.auth_us, d.get_server_us,
                                                               d.auth_how)),
        target("scim-authz vs do-nothing authorizer", ["gate_authz", "gate_null"], gate_a,
               0.80, gate_a >= 0.80, pct(gate_a), ">= 80%",
               "both behind basic authentication; by CPU per request (worker + "
               "lighttpd + wrk) %s; the do-nothing authorizer keeps %s of basic "
               "authentication alone (the stack's ceiling)" % (pct(gate_cpu), pct(gate_n))),
        target("worker RSS of its own (RssAnon), max (KiB)", [], d.max_anon, 8192,
               0 < d.max_anon < 8192, "%d" % d.max_anon, "< 8192",
               "heap and stack; the shared environment files are counted below"),
        target("worker VmRSS incl. shared BDB regions, max (KiB)", [], d.max_rss, None, None,
               "%d" % d.max_rss, "info",
               "VmRSS adds the pages of the Berkeley DB region files (cache, locks) "
               "that every process maps shared, as far as this one touched them; "
               "PSS max %d KiB" % d.max_pss),
    ]


def bench(args, bl, work, servers):
    """The whole run; its results (the JSON written to results.json)."""
    started = datetime.datetime.now(datetime.timezone.utc)
    machine, versions = machine_info(args, last_json(run([bl, "version"], 30)))
    fs = run(["stat", "-f", "-c", "%T", work], 10).strip()
    log("scratch directory %s (%s)" % (work, fs))
    # 1. The durable commit ceiling, on the store's file system.
    commit = commit_rate(bl, work)
    st = load_stores(args, bl, work, commit)
    start_servers(args, st, work, servers)
    # 5. The scenarios: reads first, then the writes that grow the store.
    seed = random.randint(1, 10**6)
    profiles = {}
    sc, commit_near = run_scenarios(args, bl, work, st, seed, profiles)
    a = after_run(args, bl, work, st, sc, servers, seed, profiles)
    d = derive(args, st, sc, commit, commit_near, a)
    _, rps = ok_in(sc)
    return {
        "schema": "scim-fcgi-bench/1",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": time.monotonic() - T_START,
        "machine": machine,
        "versions": versions,
        "settings": settings_of(args, st, fs, seed),
        "scenarios_described": {k: what for k, _, what in SCENARIOS},
        "load": {"big": st.load, "small": st.load_small},
        "commit": dict(commit, near_writes=commit_near, used_for_post=d.raw_commit),
        "auth": dict(st.auth, in_situ_us=d.auth_us, method=d.auth_how),
        "null_rps": d.null,
        "scenarios": sc,
        "ratios_vs_null": d.vs_null,
        "profiles": a.profiles,
        "workers": a.workers,
        "store": {"after_load": st.sizes, "after_run": a.sizes, "small": st.sizes_small,
                  "counts_after_run": a.count, "verify": a.verify, "relayout": a.relayout},
        "derived": {
            "auth_share": d.auth_share, "auth_us": d.auth_us,
            "get_id_server_us": d.get_server_us,
            "filter_flatness": d.flat, "post_vs_raw_commit": d.post_vs_commit,
            "add_member_vs_post": d.add_vs_post, "sync_vs_post": d.sync_vs_post,
            "slowest": {"scenario": a.slow, "label": LABELS.get(a.slow, "-"),
                        "rps": rps(a.slow), "vs_null": d.vs_null.get(a.slow, 0.0)},
        },
        "targets": targets_of(args, st, sc, d),
    }


def settings_of(args, st, fs, seed):
    """How the run was set up, for results.json."""
    return {
        "users": args.users, "spare_users": st.spare, "users_total": args.users + st.spare,
        "group_members": st.load["group_members"], "small_store_users": args.small,
        "seconds_per_scenario": args.seconds, "wrk_threads": args.threads,
        "wrk_connections": args.connections, "fastcgi_procs": args.procs,
        "store_sync": "full", "filesystem": fs,
        "bdb_cache": "%d MiB (BENCH_CACHE_MB)" % args.cache_mb if args.cache_mb
        else "sized to the data by the programs (no set_cachesize in DB_CONFIG)",
        "lighttpd_template_left_open": st.big.template_open,
        "runs_as": "www-data" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name,
        "seed": seed, "only": sorted(args.only) if args.only else None,
        "get_id_body_bytes": args.null_bytes,
        "binaries": args.binaries,
    }


def fmt(v, digits=0):
    return "-" if v is None else ("{:,.%df}" % digits).format(v)


def table(res):
    sc, null, out = res["scenarios"], res["null_rps"], []
    hdr = "%-34s %9s %8s %8s %6s %8s %8s %8s" % (
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "vs null", "worker", "lighttpd")
    out += [hdr, "%-34s %9s %8s %8s %6s %8s %8s %8s" % (
        "", "", "", "", "", "", "us/req", "us/req"), "-" * len(hdr)]
    for key, label, _ in SCENARIOS:
        r = sc.get(key)
        if r is None:
            continue
        if "skipped" in r:
            out.append("%-34s skipped: %s" % (label, r["skipped"][:60]))
            continue
        out.append("%-34s %9s %8.2f %8.2f %6d %7.1f%% %8.0f %8.0f" % (
            label, fmt(r["rps"]), r["latency_us"]["p50"] / 1000.0,
            r["latency_us"]["p99"] / 1000.0, r["errors_total"],
            100.0 * r["rps"] / null if null else 0.0, r["cpu_us_per_req"]["worker"],
            r["cpu_us_per_req"]["lighttpd"]))
    st, s, d = res["store"]["after_load"], res["settings"], res["derived"]
    out += ["",
            "raw Berkeley DB durable commits/s (1 KB, 1 writer): %s next to the writes, "
            "%s at the start (store_run(): %s)" % (
                fmt(res["commit"]["used_for_post"]), fmt(res["commit"]["raw_commits_per_s"]),
                fmt(res["commit"]["store_commits_per_s"])),
            "auth: token_check %.1f us per GET in the worker (%s%.1f us in-process, "
            "GET handler %.1f us in-process)" % (
                d["auth_us"], "" if "perf" in res["auth"]["method"] else "n/a; ",
                res["auth"]["token_check_us"], res["auth"]["get_handler_us"]),
            "store on disk: %s bytes per user (%s MiB of .db files for %s users, "
            "%s of them spare, and a %s-member group)" % (
                fmt(st["data_bytes"] / s["users_total"]), fmt(st["data_bytes"] / 2**20, 1),
                fmt(s["users_total"]), fmt(s["spare_users"]), fmt(s["group_members"])),
            "load: %s users in %.1f s (%s users/s; %.1f s of it the group's members), "
            "layout 5 rebuilt from layout 4 in %s s; the whole run took %.0f s" % (
                fmt(s["users_total"]), res["load"]["big"]["seconds"],
                fmt(res["load"]["big"]["users_per_s"]), res["load"]["big"]["members_seconds"],
                "%.1f" % res["store"]["relayout"]["seconds"]
                if res["store"].get("relayout") else "-", res["seconds"]),
            "worker memory after the run, KiB RssAnon / PSS / VmRSS: " + ", ".join(
                "%s %d/%d/%d" % (w["program"], w.get("RssAnon", 0), w.get("Pss", 0),
                                 w.get("VmRSS", 0))
                for w in res["workers"] if w["server"] == "big"),
            "", "%-48s %10s %8s  %s" % ("target", "measured", "goal", "")]
    for t in res["targets"]:
        out.append("%-48s %10s %8s  %s" % (t["name"], t["measured_text"], t["goal_text"],
                                          t["status"]))
    sl = d["slowest"]
    out += ["", "slowest path: %s, %s req/s (%.2f%% of the null responder)" % (
        sl["label"], fmt(sl["rps"]), 100 * sl["vs_null"])]
    prof = res["profiles"].get(sl["scenario"] or "", {})
    if "inclusive_pct" in prof:
        top = sorted(((v, k) for k, v in prof["inclusive_pct"].items() if v >= 5),
                     reverse=True)
        out.append("  where its worker spends CPU (perf, inclusive): " + ", ".join(
            "%s %.0f%%" % (k, v) for v, k in top))
    noise = max((r["machine_pct"]["other"] for r in sc.values() if "machine_pct" in r),
                default=0.0)
    if noise > 10:
        out.append("WARNING: other processes used up to %.0f%% of the machine during a "
                   "scenario: the ratios are unreliable (see machine_pct in the JSON)" % noise)
    v = res["store"]["verify"]
    if not v["ok"]:
        out.append("WARNING: the store does not hold what the writes should have "
                   "written: %s" % json.dumps(v))
    return "\n".join(out)


def settings_from_env(args):
    """The BENCH_* settings into args, and the tools the run needs; raises
    BenchError (or KeyError: no www-data) for a bad value or a missing tool."""
    args.lighttpd = args.lighttpd or shutil.which("lighttpd") or "/usr/sbin/lighttpd"
    args.out = args.out or os.path.join(args.builddir, "bench", "results.json")
    args.users = env_int("BENCH_USERS", 100000, 100, 10**7)
    args.small = env_int("BENCH_SMALL_USERS", 1000, 100, 10**7)
    args.seconds = env_int("BENCH_SECONDS", 10, 1, 120)
    args.procs = env_int("BENCH_PROCS", 2, 1, 64)
    args.threads = env_int("BENCH_THREADS", 2, 1, 64)
    args.connections = env_int("BENCH_CONNECTIONS", 16, 1, 1024)
    args.members = env_int("BENCH_GROUP_MEMBERS", 100000, 0, 10**7)
    args.cache_mb = env_int("BENCH_CACHE_MB", 0, 0, 65536)
    # The load, the layout rebuild and the store's checks grow with
    # the store: a second more per 1,000 users (1,600 s at 1,000,000).
    benchutil.DEADLINE = env_int("BENCH_MAX_SECONDS", 600 + args.users // 1000, 60, 86400)
    args.profile = os.environ.get("BENCH_PROFILE", "auto")
    args.only = set()
    for x in os.environ.get("BENCH_ONLY", "").split(","):
        if x:
            args.only.update(ONLY_GROUPS.get(x, (x,)))
    args.sync_users = env_int("BENCH_SYNC_USERS", 10000, 100, 10**6)
    if "sync" in args.only:
        args.only.add("post")       # its figure is against the POST rate
    unknown = args.only - set(LABELS)
    if unknown:
        raise BenchError("BENCH_ONLY: unknown scenario %s (known: %s)" % (
            ", ".join(sorted(unknown)), ", ".join(list(LABELS) + list(ONLY_GROUPS))))
    if args.connections < args.threads:
        raise BenchError("BENCH_CONNECTIONS must be at least BENCH_THREADS")
    if not shutil.which("wrk") and os.geteuid() == 0 and shutil.which("apt-get"):
        # As ./bootstrap does for the build: install what is missing.
        log("installing wrk (apt-get install wrk) ...")
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        "wrk"], stdout=subprocess.DEVNULL, timeout=600,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if not shutil.which("wrk"):
        raise BenchError("wrk not found: apt-get install wrk")
    if not os.access(args.lighttpd, os.X_OK):
        raise BenchError("lighttpd not found: apt-get install lighttpd")
    if os.geteuid() == 0:
        pwd.getpwnam("www-data")
    args.db_stat = shutil.which("db5.3_stat")


def copy_binaries(args, work):
    """Run copies of the programs: in a tree others build in, a binary
    replaced mid-run would mix two builds (and lose perf its symbols)."""
    args.bindir = os.path.join(work, "bin")
    os.mkdir(args.bindir)
    args.binaries = {}
    for p in sorted(glob.glob(os.path.join(args.builddir, "cgi-bin", "*")) +
                    [os.path.join(args.builddir, "bench", n)
                     for n in ("bench-load", "null-responder")]):
        if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in os.path.basename(p):
            shutil.copy2(p, args.bindir)
            st = os.stat(p)
            args.binaries[os.path.basename(p)] = {
                "bytes": st.st_size, "built": datetime.datetime.fromtimestamp(
                    st.st_mtime, datetime.timezone.utc).isoformat(timespec="seconds")}
    os.chmod(args.bindir, 0o755)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="scim-fcgi benchmark (make bench)")
    ap.add_argument("--srcdir", default=os.path.dirname(here))
    ap.add_argument("--builddir", default=os.path.dirname(here))
    ap.add_argument("--lighttpd", default="")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    try:
        settings_from_env(args)
    except (BenchError, KeyError) as e:
        sys.exit("run-bench: %s" % e)
    work = tempfile.mkdtemp(prefix="scim-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    os.chmod(work, 0o755)
    copy_binaries(args, work)
    bl = os.path.join(args.bindir, "bench-load")
    servers = []

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        res = bench(args, bl, work, servers)
    except KeyboardInterrupt as e:
        sys.exit("run-bench: interrupted (%s)" % e)
    except (BenchError, subprocess.TimeoutExpired, OSError) as e:
        sys.exit("run-bench: %s" % e)
    finally:
        for s in servers:
            s.stop()
        if os.environ.get("BENCH_KEEP"):
            log("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".tmp", "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    os.replace(args.out + ".tmp", args.out)
    print(table(res))
    print("\nresults: " + args.out)


if __name__ == "__main__":
    main()
