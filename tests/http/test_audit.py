"""The audit log and the event hook, over HTTP against a real lighttpd: every
SCIM operation writes exactly its events (read back with scimctl audit),
failed operations write nothing but what they should, refused tokens are
recorded as auth.failed, a hook that fails three times is retried until
it succeeds, with no duplicate effect, and scimctl prune removes exactly
the events older than [audit] retention_days, 500 per transaction."""

import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scimtest  # noqa: E402
from scimtest import ScimTestCase, group, user  # noqa: E402

SCIMCTL = os.path.join(scimtest.CGI_BIN, "scimctl")
# Writes back-dated events through the audit API (tests/unit/audit_events.c).
AUDIT_EVENTS = os.path.join(scimtest.TOP_BUILDDIR, "tests", "unit", "audit_events")
DAY = 86400


def audit(srv, *args):
    r = subprocess.run([SCIMCTL, "-c", srv.conf, "audit"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


class Events(ScimTestCase):
    def since_now(self):
        """Events from here on (the log's newest-first order reversed)."""
        mark = {e["id"] for e in audit(self.srv, "--category", "scim")}
        return lambda: [e for e in reversed(audit(self.srv, "--category", "scim")) if e["id"] not in mark]

    def types(self, events):
        return [e["type"] for e in events]

    def test_user_lifecycle(self):
        new = self.since_now()
        uid = self.srv.post("/Users", user("audited@x.com", active=True)).json["id"]
        self.srv.patch_ops("/Users/" + uid, {"op": "replace", "path": "displayName", "value": "Au Dited"},
                           {"op": "add", "path": 'emails[type eq "work"].value', "value": "a@x.com"})
        self.srv.patch_ops("/Users/" + uid, {"op": "Replace", "path": "active", "value": "False"})
        self.srv.patch_ops("/Users/" + uid, {"op": "Replace", "path": "active", "value": "True"})
        self.srv.patch_ops("/Users/" + uid, {"op": "Replace", "path": "active", "value": "True"})  # no-op
        self.srv.delete("/Users/" + uid)
        ev = new()
        self.assertEqual(self.types(ev), ["scim.user.provisioned", "scim.user.updated",
                                          "scim.user.deprovisioned", "scim.user.reactivated",
                                          "scim.user.deleted"])
        upd = ev[1]
        self.assertEqual(sorted(upd["details"]["changed"]), ["displayName", "emails"])
        for e in ev:
            self.assertEqual(e["target"]["id"], uid)
            self.assertEqual(e["target"]["name"], "audited@x.com")
            self.assertEqual(e["tenant"], "default")
            self.assertEqual(e["outcome"], "success")
            self.assertEqual(e["category"], "scim")
            self.assertTrue(e["actor"].startswith("token:"))
            self.assertNotIn(self.srv.token.split("_")[2], json.dumps(e), "never the secret")

    def test_group_lifecycle(self):
        a = self.srv.post("/Users", user("ga@x.com")).json["id"]
        b = self.srv.post("/Users", user("gb@x.com")).json["id"]
        new = self.since_now()
        gid = self.srv.post("/Groups", group("Audited", members=[{"value": a}])).json["id"]
        self.srv.patch_ops("/Groups/" + gid, {"op": "Add", "path": "members", "value": [{"value": b}]})
        self.srv.patch_ops("/Groups/" + gid, {"op": "Remove", "path": "members", "value": [{"value": a}]})
        self.srv.patch_ops("/Groups/" + gid, {"op": "Replace", "path": "displayName", "value": "Audited 2"})
        self.srv.delete("/Groups/" + gid)
        ev = new()
        self.assertEqual(self.types(ev), ["scim.group.created", "scim.group.members_added",
                                          "scim.group.members_added", "scim.group.members_removed",
                                          "scim.group.updated", "scim.group.deleted"])
        self.assertEqual(ev[1]["details"], {"count": 1, "ids": [a]})
        self.assertEqual(ev[2]["details"], {"count": 1, "ids": [b]})
        self.assertEqual(ev[3]["details"], {"count": 1, "ids": [a]})
        self.assertEqual(ev[4]["details"]["changed"], ["displayName"])
        self.assertEqual(ev[5]["target"]["name"], "Audited 2")

    def test_failures_write_nothing(self):
        uid = self.srv.post("/Users", user("fails@x.com")).json["id"]
        etag = self.srv.get("/Users/" + uid).headers["etag"]
        self.srv.patch_ops("/Users/" + uid, {"op": "add", "path": "nickName", "value": "v2"})
        new = self.since_now()
        self.assertEqual(self.srv.post("/Users", user("FAILS@x.com")).status, 409)
        self.assertEqual(self.srv.post("/Users", {"displayName": "no name"}).status, 400)
        self.assertEqual(self.srv.patch_ops("/Users/" + uid, {"op": "add", "path": "nickName", "value": "x"},
                                            {"op": "replace", "path": "id", "value": "y"}).status, 400)
        self.assertEqual(self.srv.patch_ops("/Users/" + uid, {"op": "add", "path": "nickName", "value": "z"},
                                            headers={"If-Match": etag}).status, 412)
        self.assertEqual(self.srv.delete("/Users/nope").status, 404)
        self.assertEqual(new(), [], "failed operations changed nothing and recorded nothing")

    def test_auth_failed(self):
        before = len(audit(self.srv, "--tenant", "", "--category", "auth"))
        r = self.srv.get("/Users", token="scim_0123456789abcdef_" + "0" * 64)
        self.assertEqual(r.status, 401)
        ev = audit(self.srv, "--tenant", "", "--category", "auth")
        self.assertEqual(len(ev), before + 1)
        e = ev[0]
        self.assertEqual((e["type"], e["outcome"], e["target"]["id"]),
                         ("auth.failed", "failure", "0123456789abcdef"))
        self.assertIn("not known", e["details"]["reason"])
        self.assertNotIn("0" * 64, json.dumps(e), "the presented secret is never logged")

    def test_export_filters(self):
        uid = self.srv.post("/Users", user("exported@x.com")).json["id"]
        ev = audit(self.srv, "--target", uid)
        self.assertEqual([e["type"] for e in ev], ["scim.user.provisioned"])
        self.assertEqual(audit(self.srv, "--target", "exported@x.com")[0]["target"]["id"], uid)
        self.assertTrue(all(e["type"].startswith("scim.group.") for e in audit(self.srv, "--type", "scim.group.")))
        self.assertEqual(audit(self.srv, "--since", "1s", "--until", "0s", "--target", uid)[:0], [])
        self.assertEqual(audit(self.srv, "--until", "2000-01-01T00:00:00Z"), [])
        self.assertEqual(len(audit(self.srv, "--limit", "2")), 2)


class TokenEvents(ScimTestCase):
    def test_token_lifecycle_events(self):
        t = self.srv.tokens_cmd
        mark = {e["id"] for e in audit(self.srv, "--category", "tokens")}
        tok = t("create", "--label", "events", "--days", "30").stdout.strip()
        tid = tok.split("_")[1]
        new = t("regenerate", tid).stdout.strip()
        nid = new.split("_")[1]
        t("renew", nid, "--days", "60")
        t("disable", nid)
        t("enable", nid)
        t("revoke", nid)
        t("delete", nid)
        soon = t("create", "--label", "soon", "--expires-in-seconds", str(5 * 86400)).stdout.strip()
        t("remind")
        ev = [e for e in reversed(audit(self.srv, "--category", "tokens")) if e["id"] not in mark]
        got = [(e["type"], e["target"]["id"]) for e in ev]
        sid = soon.split("_")[1]
        self.assertEqual(got, [("token.created", tid), ("token.regenerated", tid), ("token.created", nid),
                               ("token.renewed", nid), ("token.disabled", nid), ("token.enabled", nid),
                               ("token.revoked", nid), ("token.deleted", nid), ("token.created", sid),
                               ("token.expiring", sid)])
        self.assertEqual(ev[1]["details"]["regenerated_as"], nid)
        for e in ev:
            self.assertEqual(e["category"], "tokens")
            self.assertNotIn(tok.split("_")[2], json.dumps(e))
            self.assertNotIn(new.split("_")[2], json.dumps(e))


HOOK = r"""#!/bin/sh
# Test hook: fails on its first three calls, then records each event id.
home=$(dirname "$0")
n=$(cat "$home/hook.calls" 2>/dev/null || echo 0)
echo $((n + 1)) > "$home/hook.calls"
[ "$n" -lt 3 ] && exit 1
id=$(sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
grep -qx "$id" "$home/hook.record" 2>/dev/null || echo "$id" >> "$home/hook.record"
echo "$SCIM_EVENT_TYPE $id" >> "$home/hook.seen"
"""


class Hook(ScimTestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = scimtest.Server(conf_extra="[audit]\nhook = %s\nhook_events = scim.user.provisioned\n"
                                  "hook_retry = 0\nhook_timeout = 5\n" % "@HOME@/hook.sh")
        # The hook lives in the data home, where www-data may write.
        path = os.path.join(cls.srv.home, "hook.sh")
        with open(cls.srv.conf) as f:
            conf = f.read().replace("@HOME@", cls.srv.home)
        with open(cls.srv.conf, "w") as f:
            f.write(conf)
        with open(path, "w") as f:
            f.write(HOOK)
        os.chmod(path, 0o755)
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam("www-data")
            os.chown(path, pw.pw_uid, pw.pw_gid)
        cls.srv.start()

    def read(self, name):
        try:
            with open(os.path.join(self.srv.home, name)) as f:
                return f.read().split("\n")[:-1]
        except OSError:
            return []

    def test_retried_until_it_succeeds(self):
        uid = self.srv.post("/Users", user("hooked@x.com")).json["id"]
        event = audit(self.srv, "--target", uid)[0]
        self.srv.post("/Users", {"no": "userName"})  # a failing request writes no event
        for _ in range(20):  # each request lets the worker retry once
            if self.read("hook.record"):
                break
            self.srv.get("/Users?count=0")
            time.sleep(0.05)
        self.assertEqual(self.read("hook.calls"), ["4"], "three failures, then one success")
        self.assertEqual(self.read("hook.record"), [event["id"]])
        for _ in range(5):
            self.srv.get("/Users?count=0")
        r = subprocess.run([SCIMCTL, "-c", self.srv.conf, "deliver"], stdout=subprocess.PIPE, text=True)
        self.assertEqual(r.stdout.strip(), "0 delivered, 0 failed", "the outbox is empty")
        self.assertEqual(self.read("hook.seen"), ["scim.user.provisioned " + event["id"]],
                         "delivered once: no duplicate effect")
        self.srv.patch_ops("/Users/" + uid, {"op": "add", "path": "nickName", "value": "n"})
        self.srv.get("/Users?count=0")
        self.assertEqual(len(self.read("hook.seen")), 1, "only the chosen event types go to the hook")


def cgi_users(srv, method, path="", body=None, token=None, env=None):
    """Run scim-users as a plain CGI program against srv's store, no web
    server: after answering it delivers the hook's waiting events itself,
    then exits.  Returns (status, seconds it ran).  Its standard error
    (the hook's too) goes to programs.log."""
    data = json.dumps(body).encode() if body is not None else b""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GATEWAY_INTERFACE": "CGI/1.1",
         "REQUEST_METHOD": method, "SCRIPT_NAME": "/scim/v2/Users", "PATH_INFO": path,
         "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_ADDR": "127.0.0.1",
         "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
         "SCIM_CONF": srv.conf, "CONTENT_TYPE": "application/scim+json",
         "CONTENT_LENGTH": str(len(data))}
    if token:
        e["HTTP_AUTHORIZATION"] = "Bearer " + token
    e.update(env or {})
    t0 = time.monotonic()
    with open(os.path.join(srv.home, "programs.log"), "ab") as log:
        r = subprocess.run([os.path.join(scimtest.CGI_BIN, "scim-users")], env=e, input=data,
                           stdout=subprocess.PIPE, stderr=log)
    took = time.monotonic() - t0
    m = re.search(rb"^Status: (\d+)", r.stdout, re.M)
    return (int(m.group(1)) if m else 200), took


def hook_server(hook, audit_conf, start=False):
    """A Server whose [audit] section is audit_conf plus hook = the script
    hook (text, "@HOME@" standing for the data home), written into the
    data home where the programs' account may run it and write."""
    srv = scimtest.Server(conf_extra="[audit]\nhook = @HOME@/hook.sh\nhook_retry = 0\n" + audit_conf)
    with open(srv.conf) as f:
        conf = f.read().replace("@HOME@", srv.home)
    with open(srv.conf, "w") as f:
        f.write(conf)
    path = os.path.join(srv.home, "hook.sh")
    with open(path, "w") as f:
        f.write(hook.replace("@HOME@", srv.home))
    os.chmod(path, 0o755)
    if os.geteuid() == 0:
        import pwd
        pw = pwd.getpwnam("www-data")
        os.chown(path, pw.pw_uid, pw.pw_gid)
    if start:
        return srv.start()
    srv.token = srv.make_token()
    return srv


def wait_for(path, seconds=10):
    """The lines of file path once it exists (waits up to seconds)."""
    deadline = time.time() + seconds
    while True:
        try:
            with open(path) as f:
                return f.read().splitlines()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


ENV_HOOK = r"""#!/bin/sh
cat > "@HOME@/stdin.$SCIM_EVENT_ID"
env > "@HOME@/env.tmp.$$"
mv "@HOME@/env.tmp.$$" "@HOME@/env.$SCIM_EVENT_ID"
"""


class HookEnvironment(unittest.TestCase):
    """The hook's environment is defined by scim.conf alone, in FastCGI
    and in CGI: PATH, SCIM_EVENT_TYPE, SCIM_EVENT_ID and [audit]
    hook_env; never the request's variables (its Authorization, its
    Cookie)."""
    ALLOWED = {"PATH", "SCIM_EVENT_TYPE", "SCIM_EVENT_ID", "SCIM_HOOK_FROM", "SCIM_HOOK_APP",
               "PWD", "SHLVL", "_", "OLDPWD"}

    @classmethod
    def setUpClass(cls):
        cls.srv = hook_server(ENV_HOOK, "hook_events = scim.user.*\n"
                              'hook_env = SCIM_HOOK_FROM=noreply@example.com '
                              'SCIM_HOOK_APP="Our App"\n', start=True)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def hook_env(self, uid):
        event = audit(self.srv, "--target", uid)[0]
        lines = wait_for(os.path.join(self.srv.home, "env." + event["id"]))
        env = dict(line.split("=", 1) for line in lines if "=" in line)
        text = "\n".join(lines)
        self.assertEqual(env.get("SCIM_EVENT_TYPE"), "scim.user.provisioned", text)
        self.assertEqual(env.get("SCIM_EVENT_ID"), event["id"], text)
        self.assertEqual(env.get("SCIM_HOOK_FROM"), "noreply@example.com", text)
        self.assertEqual(env.get("SCIM_HOOK_APP"), "Our App", text)
        self.assertTrue(env.get("PATH"), text)
        self.assertEqual(set(env) - self.ALLOWED, set(), text)
        self.assertNotIn(self.srv.token.split("_")[2], text, "never the client's token")
        self.assertNotIn("sessioncookie", text)

    def test_fastcgi(self):
        uid = self.srv.post("/Users", user("envfcgi@x.com"),
                            headers={"Cookie": "scim_admin=sessioncookie"}).json["id"]
        for _ in range(10):  # the worker delivers after its next answers
            self.srv.get("/Users?count=0")
        self.hook_env(uid)

    def test_cgi(self):
        status, _ = cgi_users(self.srv, "POST", body=user("envcgi@x.com"), token=self.srv.token,
                              env={"HTTP_COOKIE": "scim_admin=sessioncookie"})
        self.assertEqual(status, 201)
        uid = audit(self.srv, "--target", "envcgi@x.com")[0]["target"]["id"]
        self.hook_env(uid)

    def test_large_event_capped(self):
        """The hook gets at most 16384 bytes of JSON; the log keeps all."""
        name = "big" + "\u00e9" * 50000 + "@x.com"
        uid = self.srv.post("/Users", user(name)).json["id"]
        for _ in range(10):
            self.srv.get("/Users?count=0")
        event = audit(self.srv, "--target", uid)[0]
        self.assertEqual(event["target"]["name"], name, "the log keeps the whole event")
        wait_for(os.path.join(self.srv.home, "env." + event["id"]))
        with open(os.path.join(self.srv.home, "stdin." + event["id"]), "rb") as f:
            raw = f.read()
        self.assertLessEqual(len(raw.rstrip(b"\n")), 16384)
        sent = json.loads(raw)
        self.assertEqual(sent["id"], event["id"])
        self.assertTrue(name.startswith(sent["target"]["name"]), "cut at a character")
        self.assertGreater(len(sent["target"]["name"].encode()), 1000)
        self.assertLessEqual(len(sent["target"]["name"].encode()), 1024)
        self.assertEqual(sent["details"], {"truncated": True})

    def test_bad_hook_env_refused(self):
        for value in ("SCIM_EVENT_TYPE=x", "1A=b", "A", 'A="b', "A=b\"c", "=b"):
            conf = os.path.join(self.srv.home, "bad-env.conf")
            with open(conf, "w") as f:
                f.write("[store]\nhome = %s/db\n[audit]\nhook_env = %s\n" % (self.srv.home, value))
            r = subprocess.run([SCIMCTL, "-c", conf, "deliver"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
            self.assertEqual(r.returncode, 1, value)
            self.assertIn("hook_env", r.stderr, value)


STUCK_HOOK = r"""#!/bin/sh
sleep 8 &
echo $! > "@HOME@/sleep.pid"
wait
exit 1
"""


def process_alive(pid):
    """Is pid a process that has not ended (a zombie has)?"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class HookTimeout(unittest.TestCase):
    """hook_timeout bounds a delivery whatever the hook does: one that
    reads nothing cannot hold the worker with a large event, and at the
    deadline the hook's children are killed with it; events are capped
    in size.  A store per test, so that the event the test makes is the
    one the program delivers."""

    def setUp(self):
        self.srv = hook_server(STUCK_HOOK, "hook_timeout = 1\nhook_events = scim.user.*\n")

    def tearDown(self):
        self.srv.stop()

    def test_children_killed(self):
        status, took = cgi_users(self.srv, "POST", body=user("stuck@x.com"), token=self.srv.token)
        self.assertEqual(status, 201)
        pid = int(wait_for(os.path.join(self.srv.home, "sleep.pid"))[0])
        alive = process_alive(pid)
        if alive:
            os.kill(pid, 9)
        self.assertFalse(alive, "the hook's child outlived the time-out")
        self.assertLess(took, 4, "took %.1f s with hook_timeout = 1" % took)

    def test_large_event_cannot_block(self):
        name = "big" + "x" * 100000 + "@x.com"
        status, took = cgi_users(self.srv, "POST", body=user(name), token=self.srv.token)
        self.assertEqual(status, 201)
        self.assertLess(took, 4, "took %.1f s with hook_timeout = 1" % took)


RECORD_HOOK = r"""#!/bin/sh
cat >/dev/null
echo "$SCIM_EVENT_TYPE" >> "@HOME@/types"
"""


class HookAuthEvents(unittest.TestCase):
    """Refusals of unauthenticated requests reach the hook only when
    hook_events names auth events itself: not by default, nor by '*'."""

    def types_after_refusal(self, audit_conf):
        srv = hook_server(RECORD_HOOK, audit_conf)
        try:
            status, _ = cgi_users(srv, "GET", token="scim_0123456789abcdef_" + "0" * 64)
            self.assertEqual(status, 401)
            self.assertEqual(cgi_users(srv, "POST", body=user("a@x.com"), token=srv.token)[0], 201)
            subprocess.run([SCIMCTL, "-c", srv.conf, "deliver"], stdout=subprocess.PIPE)
            return wait_for(os.path.join(srv.home, "types"))
        finally:
            srv.stop()

    def test_default(self):
        types = self.types_after_refusal("")
        self.assertIn("scim.user.provisioned", types)
        self.assertNotIn("auth.failed", types)

    def test_star(self):
        types = self.types_after_refusal("hook_events = *\n")
        self.assertIn("scim.user.provisioned", types)
        self.assertNotIn("auth.failed", types)

    def test_listed(self):
        self.assertEqual(sorted(self.types_after_refusal("hook_events = auth.* scim.*\n")),
                         ["auth.failed", "scim.user.provisioned"])


def backdate(conf, tenant, n, age):
    """n events of type test.backdated for tenant, the newest age seconds old."""
    r = subprocess.run([AUDIT_EVENTS, conf, tenant, str(n), str(age)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr


def prune(conf, *args):
    """Run scimctl prune; returns (events, transactions) from its summary."""
    r = subprocess.run([SCIMCTL, "-c", conf, "prune"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
    m = re.fullmatch(r"pruned (\d+) events? in (\d+) transactions?\n", r.stdout)
    assert m, "summary line: %r" % r.stdout
    return int(m.group(1)), int(m.group(2))


def event_age(e):
    """Age in seconds, from the id (16 hex digits of the time in usec)."""
    return time.time() - int(e["id"][:16], 16) / 1e6


class Retention(ScimTestCase):
    server_args = {"conf_extra": "[audit]\nretention_days = 30\n"}
    confs = 0

    def log(self, tenant="default", conf=None):
        """Every event of tenant, by id."""
        r = subprocess.run([SCIMCTL, "-c", conf or self.srv.conf, "audit", "--tenant", tenant,
                            "--limit", "1000000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return {e["id"]: e for e in map(json.loads, r.stdout.splitlines())}

    def conf_with(self, audit_section):
        """Another scim.conf for the same store, with this [audit] section."""
        Retention.confs += 1
        path = os.path.join(self.srv.home, "scim-%d.conf" % Retention.confs)
        with open(self.srv.conf) as f:
            text = f.read().split("[audit]")[0]
        with open(path, "w") as f:
            f.write(text + audit_section)
        return path

    def test_prune_removes_exactly_the_old_events(self):
        for i in range(3):
            self.assertEqual(self.srv.post("/Users", user("kept%d@x.com" % i)).status, 201)
        backdate(self.srv.conf, "default", 2999, 31 * DAY)      # 31 days and older
        backdate(self.srv.conf, "default", 1, 30 * DAY + 120)   # just past 30 days
        backdate(self.srv.conf, "default", 1, 30 * DAY - 120)   # just within
        backdate(self.srv.conf, "default", 200, 29 * DAY)
        backdate(self.srv.conf, "other", 700, 400 * DAY)        # another tenant
        before = self.log()
        old = {i for i, e in before.items() if event_age(e) > 30 * DAY}
        self.assertEqual(sum(1 for e in before.values() if e["type"] == "test.backdated"), 3000 + 1 + 200)
        self.assertEqual(len(old), 3000)
        self.assertEqual(prune(self.srv.conf, "--tenant", "default"), (3000, 6),
                         "3000 events in ceil(3000/500) transactions")
        after = self.log()
        self.assertEqual(set(after), set(before) - old, "exactly the old events are gone")
        self.assertEqual(sum(1 for e in after.values() if e["target"].get("name", "").startswith("kept")), 3)
        self.assertEqual(len(self.log("other")), 700, "other tenants are not touched")
        self.assertEqual(prune(self.srv.conf, "--tenant", "default"), (0, 0), "nothing left to prune")
        self.assertEqual(prune(self.srv.conf, "--tenant", "other"), (700, 2))
        self.assertEqual(self.log("other"), {})
        backdate(self.srv.conf, "default", 1001, 100 * DAY)
        self.assertEqual(prune(self.srv.conf), (1001, 3), "a partial last batch")
        self.assertEqual(set(self.log()), set(after))

    def test_prune_every_tenant_by_default(self):
        """Without --tenant (the cron line) every tenant is pruned, the
        tenant-less refusals of unauthenticated clients too."""
        self.assertEqual(self.srv.get("/Users", token="scim_0123456789abcdef_" + "0" * 64).status, 401)
        backdate(self.srv.conf, "every-a", 10, 40 * DAY)
        backdate(self.srv.conf, "", 5, 40 * DAY)
        backdate(self.srv.conf, "every-b", 3, 10 * DAY)
        old = {t: [e for e in self.log(t).values() if event_age(e) > 30 * DAY]
               for t in ("every-a", "", "every-b")}
        self.assertEqual([len(v) for v in old.values()], [10, 5, 0])
        events, txns = prune(self.srv.conf)
        self.assertGreaterEqual(events, 15)
        for t in ("every-a", "", "every-b"):
            self.assertEqual([e for e in self.log(t).values() if event_age(e) > 30 * DAY], [], t)
        self.assertEqual(len(self.log("every-b")), 3)
        self.assertTrue([e for e in self.log("").values() if e["type"] == "auth.failed"],
                        "recent refusals are kept")

    def test_default_retention_is_365_days(self):
        backdate(self.srv.conf, "dflt", 10, 366 * DAY)
        backdate(self.srv.conf, "dflt", 20, 364 * DAY)
        conf = self.conf_with("")
        self.assertEqual(prune(conf, "--tenant", "dflt"), (10, 1))
        self.assertEqual(len(self.log("dflt")), 20)
        self.assertEqual(prune(self.conf_with("[audit]\nretention_days = 1\n"), "--tenant", "dflt"), (20, 1))

    def test_bad_retention_is_refused(self):
        backdate(self.srv.conf, "bad", 5, 3 * DAY)
        for value in ("0", "36501", "-3", "ten", "7d"):
            conf = self.conf_with("[audit]\nretention_days = %s\n" % value)
            r = subprocess.run([SCIMCTL, "-c", conf, "prune", "--tenant", "bad"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(r.returncode, 1, value)
            self.assertIn("retention_days", r.stderr, value)
            self.assertEqual(r.stdout, "", value)
        self.assertEqual(len(self.log("bad")), 5, "a refused configuration prunes nothing")
        self.assertEqual(prune(self.conf_with("[audit]\nretention_days = 36500\n"), "--tenant", "bad"), (0, 0))

    def test_provisioning_goes_on_while_pruning(self):
        backdate(self.srv.conf, "default", 6000, 60 * DAY)
        p = subprocess.Popen([SCIMCTL, "-c", self.srv.conf, "prune"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        n = 0
        while p.poll() is None or n < 3:
            r = self.srv.post("/Users", user("during%d@x.com" % n))
            self.assertEqual(r.status, 201, r)
            n += 1
        out, err = p.communicate()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, "pruned 6000 events in 12 transactions\n")
        self.assertEqual([e for e in self.log().values() if event_age(e) > 30 * DAY], [])
        self.assertEqual(sum(1 for e in self.log().values() if e["target"].get("name", "").startswith("during")), n)


if __name__ == "__main__":
    scimtest.main()
