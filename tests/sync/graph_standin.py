"""A stand-in for Microsoft Graph and the identity platform's token
endpoint, for Manual User Sync's tests and benchmark: Python's http.server
on 127.0.0.1, an ephemeral port, the real wire format
(docs: learn.microsoft.com/graph, paging, throttling, group-list-members,
group-list-transitivemembers; the client-credentials flow):

  POST /{tenant}/oauth2/v2.0/token   form grant_type=client_credentials,
       client_id, client_secret, scope=https://graph.microsoft.com/.default;
       200 {"token_type": "Bearer", "expires_in", "ext_expires_in",
       "access_token"} or the AADSTS errors (400/401 {"error",
       "error_description": "AADSTS7000215: ...", "error_codes": [...]}).
  GET /v1.0/groups?$select=id,displayName&$top=N[&$search="displayName:X"]
       ($search needs ConsistencyLevel: eventual, as Graph does)
  GET /v1.0/groups/{id}/members              direct members, nested groups
       as "@odata.type": "#microsoft.graph.group" entries
  GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user
       users only, nesting flattened
  Every collection pages by an absolute "@odata.nextLink" carrying a
  $skiptoken; a page may be empty and still have one (empty_page).
  Every Graph call needs "Authorization: Bearer <token>"; a token that is
  unknown or expired gets 401 {"error": {"code":
  "InvalidAuthenticationToken", ...}}.

Faults, set by the test: `faults` (a list of (status, retry_after or None)
served to the next Graph calls, one each: 429, 503), `token_faults` (statuses
served to the next token calls), `expire_after` (the
current token stops working after that many more Graph calls: a token
that expires mid-sync), `secret_expired` (AADSTS7000222).  `log` records
(method, path, status) of every call.

Run alone (the benchmark): python3 graph_standin.py --users N --port-file F
serves one group "Bench" of N users until killed.
"""

import argparse
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCOPE = "https://graph.microsoft.com/.default"


class Directory:
    """Users and groups of one Entra tenant, and the app registration."""

    def __init__(self, tenant_id="tenant-1", client_id="client-1", secret="s3cret"):
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.secret = secret
        self.users = {}      # id -> Graph user object
        self.groups = {}     # id -> {"displayName", "members": [ids]}
        self.order = []      # user ids in creation order

    def add_user(self, uid, upn, mail=None, given=None, surname=None, display=None,
                 enabled=True, lang=None, mobile=None):
        self.users[uid] = {"@odata.type": "#microsoft.graph.user", "id": uid,
                           "userPrincipalName": upn, "mail": mail, "givenName": given,
                           "surname": surname, "displayName": display,
                           "accountEnabled": enabled, "preferredLanguage": lang,
                           "mobilePhone": mobile}
        self.order.append(uid)
        return uid

    def add_group(self, gid, name, members=()):
        self.groups[gid] = {"displayName": name, "members": list(members)}
        return gid

    def transitive_users(self, gid):
        """Users in gid, nested groups flattened, each once, in order."""
        out, users, groups = [], set(), {gid}
        stack = [iter(self.groups[gid]["members"])]
        while stack:
            m = next(stack[-1], None)
            if m is None:
                stack.pop()
            elif m in self.groups:
                if m not in groups:
                    groups.add(m)
                    stack.append(iter(self.groups[m]["members"]))
            elif m in self.users and m not in users:
                users.add(m)
                out.append(m)
        return out


class Standin:
    """The server; start() returns self, stop() ends it."""

    def __init__(self, directory=None, page_size=999, expires_in=3599):
        self.dir = directory or Directory()
        self.page_size = page_size
        self.expires_in = expires_in
        self.tokens = {}          # token -> calls left (None: unlimited)
        self.faults = []
        self.token_faults = []    # statuses served to the next token calls
        self.expire_after = None
        self.empty_page = False
        self.secret_expired = False
        self.log = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def calls(self, prefix):
        with self.lock:
            return [e for e in self.log if e[1].startswith(prefix)]

    # --- what the handler asks ---

    def token_answer(self, form):
        """(status, body) for a token request."""
        def aad(status, error, code, text):
            return status, {"error": error,
                            "error_description": "AADSTS%d: %s Trace ID: %s" % (
                                code, text, secrets.token_hex(8)),
                            "error_codes": [code], "timestamp": time.strftime(
                                "%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                            "trace_id": secrets.token_hex(8),
                            "correlation_id": secrets.token_hex(8)}
        if form.get("grant_type") != "client_credentials":
            return aad(400, "unsupported_grant_type", 70003, "The app requested an "
                       "unsupported grant type.")
        if form.get("scope") != SCOPE:
            return aad(400, "invalid_scope", 1002012, "The provided value for scope "
                       "is not valid.")
        if form.get("client_id") != self.dir.client_id:
            return aad(400, "unauthorized_client", 700016, "Application with identifier "
                       "'%s' was not found in the directory." % form.get("client_id"))
        if self.secret_expired:
            return aad(401, "invalid_client", 7000222, "The provided client secret "
                       "keys for app '%s' are expired." % self.dir.client_id)
        if form.get("client_secret") != self.dir.secret:
            return aad(401, "invalid_client", 7000215, "Invalid client secret provided. "
                       "Ensure the secret being sent in the request is the client "
                       "secret value, not the client secret ID.")
        tok = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[tok] = None
        return 200, {"token_type": "Bearer", "expires_in": self.expires_in,
                     "ext_expires_in": self.expires_in, "access_token": tok}

    def authorize(self, header):
        """True when header carries a live token (and count the call)."""
        if not header or not header.startswith("Bearer "):
            return False
        tok = header[7:]
        with self.lock:
            if tok not in self.tokens:
                return False
            if self.expire_after is not None:
                self.tokens[tok] = self.expire_after
                self.expire_after = None
            left = self.tokens[tok]
            if left is not None:
                if left <= 0:
                    del self.tokens[tok]
                    return False
                self.tokens[tok] = left - 1
            return True

    def next_fault(self):
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def page(self, path, query, items):
        """One page of items from $skiptoken, with an absolute nextLink."""
        top = min(int(query.get("$top", ["100"])[0]), 999, self.page_size)
        skip = int(query.get("$skiptoken", ["0"])[0] or 0)
        empty_turn = query.get("$empty", ["0"])[0] == "1"
        q = {k: v[0] for k, v in query.items() if k not in ("$skiptoken", "$empty")}
        if self.empty_page and skip > 0 and not empty_turn:
            # Graph may answer a page with nothing in it, and a nextLink.
            q.update({"$skiptoken": str(skip), "$empty": "1"})
            return {"value": [], "@odata.nextLink": "%s%s?%s" % (
                self.base, path, urllib.parse.urlencode(q, safe="$,"))}
        body = {"@odata.context": "%s/v1.0/$metadata#directoryObjects" % self.base,
                "value": items[skip:skip + top]}
        if skip + top < len(items):
            q["$skiptoken"] = str(skip + top)
            body["@odata.nextLink"] = "%s%s?%s" % (self.base, path,
                                                    urllib.parse.urlencode(q, safe="$,"))
        return body

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def answer(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("request-id", secrets.token_hex(8))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                with standin.lock:
                    standin.log.append((self.command, self.path, status))

            def graph_error(self, status, code, message, headers=()):
                self.answer(status, {"error": {"code": code, "message": message,
                                               "innerError": {"date": "now",
                                                              "request-id": "x"}}},
                            headers)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                parts = self.path.split("/")
                if len(parts) != 5 or parts[2:] != ["oauth2", "v2.0", "token"]:
                    return self.answer(404, {"error": "not_found"})
                if parts[1] != standin.dir.tenant_id:
                    return self.answer(400, {
                        "error": "invalid_request",
                        "error_description": "AADSTS90002: Tenant '%s' not found." %
                        parts[1], "error_codes": [90002]})
                with standin.lock:
                    fault = standin.token_faults.pop(0) if standin.token_faults else None
                if fault is not None:
                    return self.answer(fault, {
                        "error": "temporarily_unavailable",
                        "error_description": "AADSTS50196: The server is busy.",
                        "error_codes": [50196]})
                status, body = standin.token_answer(form)
                self.answer(status, body)

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(u.query)
                if not standin.authorize(self.headers.get("Authorization")):
                    return self.graph_error(401, "InvalidAuthenticationToken",
                                            "Lifetime validation failed, the token is "
                                            "expired.")
                fault = standin.next_fault()
                if fault is not None:
                    status, after = fault
                    hdrs = [("Retry-After", after)] if after is not None else []
                    return self.graph_error(status, "TooManyRequests" if status == 429
                                            else "serviceNotAvailable",
                                            "Too many requests" if status == 429 else
                                            "Service unavailable", hdrs)
                self.route(u.path, query)

            def route(self, path, query):
                d = standin.dir
                parts = path.split("/")
                if path == "/v1.0/groups":
                    items = [{"id": gid, "displayName": g["displayName"]}
                             for gid, g in d.groups.items()]
                    if "$search" in query:
                        if self.headers.get("ConsistencyLevel") != "eventual":
                            return self.graph_error(400, "Request_UnsupportedQuery",
                                                    "$search requires ConsistencyLevel")
                        term = query["$search"][0].strip('"').split(":", 1)[-1].lower()
                        items = [i for i in items if term in i["displayName"].lower()]
                    return self.answer(200, standin.page(path, query, items))
                if len(parts) >= 5 and parts[:3] == ["", "v1.0", "groups"]:
                    gid = parts[3]
                    if gid not in d.groups:
                        return self.graph_error(404, "Request_ResourceNotFound",
                                                "Resource '%s' does not exist." % gid)
                    rest = "/".join(parts[4:])
                    if rest == "members":
                        items = []
                        for m in d.groups[gid]["members"]:
                            if m in d.groups:
                                items.append({"@odata.type": "#microsoft.graph.group",
                                              "id": m,
                                              "displayName": d.groups[m]["displayName"]})
                            elif m in d.users:
                                items.append(d.users[m])
                        return self.answer(200, standin.page(path, query, items))
                    if rest == "transitiveMembers/microsoft.graph.user":
                        items = [d.users[i] for i in d.transitive_users(gid)]
                        return self.answer(200, standin.page(path, query, items))
                self.graph_error(400, "BadRequest", "Unsupported path %s" % path)

        return Handler


def bench_directory(n):
    d = Directory()
    members = []
    for i in range(n):
        members.append(d.add_user("u-%06d" % i, "bench%06d@example.com" % i,
                                  mail="bench%06d@example.com" % i, given="Bench",
                                  surname="User %d" % i, display="Bench User %d" % i))
    d.add_group("g-bench", "Bench", members)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    s = Standin(bench_directory(a.users)).start()
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % s.port)
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
