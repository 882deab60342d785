"""The errors a web server answers itself, checked the same way against
every shipped configuration: the quick start's lighttpd
(tests/http/test_webserver_errors.py) and, over HTTPS, the production
lighttpd and Apache samples (tests/deploy/suite.py).

Some requests never reach the programs: a POST without Content-Length, a
malformed request line or header, a URL with %00 or an encoded slash, a path
no program serves, a body over the web server's own limit, a request line
or head too long, a method a static file does not take.  Each answer must
still be a SCIM error (RFC 7644 section 3.12): application/scim+json, the
Error schema, "status" the HTTP status as a string, and a detail.  Which
status each server picks differs (lighttpd answers a long URI with 431,
Apache with 414; a wrong method on a static file is 501 in lighttpd, 405
in Apache), so a test names the statuses it accepts.

The requests are written by hand on a socket: http.client would add the
Content-Length these tests leave out.  stage_error_bodies copies
etc/scim-errors/ where a test server's configuration expects it.
"""

import http.client
import json
import os
import shutil
import socket

import scimtest

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
ERRORS_SRC = os.path.join(scimtest.TOP_SRCDIR, "etc", "scim-errors")
# A static file in the document root, for the wrong-method case.
STATIC_FILE = "robots.txt"


def stage_error_bodies(home, src=ERRORS_SRC):
    """Copy the error bodies of src (etc/scim-errors/ by default) into
    home/errors (mode 0755, files 0644, so the web server's account reads
    them whoever owns them) and put a static file in home/www.  Returns
    the errors directory."""
    dest = scimtest.stage_errors(home) if src == ERRORS_SRC else None
    if dest is None:
        dest = os.path.join(home, "errors")
        os.makedirs(dest, exist_ok=True)
        os.chmod(dest, 0o755)
        for name in os.listdir(src):
            if name.endswith(".html"):
                shutil.copyfile(os.path.join(src, name),
                                os.path.join(dest, name))
                os.chmod(os.path.join(dest, name), 0o644)
    static = os.path.join(home, "www", STATIC_FILE)
    with open(static, "w") as f:
        f.write("User-agent: *\nDisallow: /\n")
    os.chmod(static, 0o644)
    return dest


def raw_request(srv, head, body=b""):
    """Send head (a str: request line and headers, without the blank line
    that ends them) and body as they are, on a connection of their own
    (TLS when srv speaks it); returns a scimtest.Response."""
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    context = getattr(srv, "context", None)
    if context is not None:
        sock = context.wrap_socket(sock, server_hostname="127.0.0.1")
    try:
        sent = None
        try:
            sock.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
        except OSError as e:
            # The server may answer (431, 413) and close before it has
            # read all of it: its answer can still be there to read.
            sent = e
        try:
            r = http.client.HTTPResponse(sock, method=head.split(" ", 1)[0])
            r.begin()
            return scimtest.Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                                     r.read())
        except (OSError, http.client.HTTPException):
            if sent is not None:
                raise sent
            raise
    finally:
        sock.close()


def raw_request_retried(srv, head, body=b"", tries=3):
    """raw_request, again when the connection broke before an answer
    could be read (a server that answers an oversized request at once and
    closes may reset the connection under the unread rest: the client
    then loses the answer; which happens first is a race)."""
    for i in range(tries):
        try:
            return raw_request(srv, head, body)
        except OSError:
            if i == tries - 1:
                raise
    return None


class WebServerErrors:
    """Mixed into a TestCase whose srv is a running server of a shipped
    configuration, with stage_error_bodies done in its home."""

    def head(self, method, path, *headers):
        """A request head for path (under the base URL unless it starts
        with "//": then the rest is the path as is)."""
        target = path[1:] if path.startswith("//") else self.srv.base + path
        lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1:%d" % self.srv.port,
                 "Authorization: Bearer " + self.srv.token, "Connection: close"]
        return "\r\n".join(lines + list(headers))

    def assertWebError(self, r, statuses, what):
        """r is a SCIM error whose status is one of statuses."""
        self.assertIn(r.status, statuses, "%s: %r" % (what, r))
        ctype = r.headers.get("content-type", "")
        self.assertTrue(ctype.startswith("application/scim+json"),
                        "%s: Content-Type %r: %r" % (what, ctype, r))
        self.assertIsInstance(r.json, dict, "%s: not JSON: %r" % (what, r))
        self.assertEqual(r.json.get("schemas"), [ERROR_SCHEMA], what)
        self.assertEqual(r.json.get("status"), str(r.status), what)
        self.assertTrue(r.json.get("detail"), what)

    def test_web_400_malformed(self):
        """A header line without a colon, a NUL byte in the path: 400 (a
        server may also call the %00 path not found)."""
        r = raw_request(self.srv, self.head("GET", "/Users", "Bad header line"))
        self.assertWebError(r, (400,), "header without colon")
        r = raw_request(self.srv, self.head("GET", "/Users/a%00b"))
        self.assertWebError(r, (400, 404), "%00 in the path")

    def test_web_404_no_such_path(self):
        """Paths no program serves, whatever the web server made of them."""
        for path in ("/Bogus", "", "/", "/Users/..%2f..", "/Users/..%2F..%2F..%2Fetc",
                     "//scim/v3/Users", "//scim-errors/scim-error-404.html"):
            r = raw_request(self.srv, self.head("GET", path))
            self.assertWebError(r, (400, 403, 404), path)

    def test_web_405_static_method(self):
        """A method a static file does not take: Apache says 405, lighttpd
        501."""
        r = raw_request(self.srv, self.head("PUT", "//" + "/" + STATIC_FILE,
                                            "Content-Length: 2"), b"{}")
        self.assertWebError(r, (405, 501), "PUT on a static file")

    def test_web_405_trace(self):
        """TRACE is refused, never echoed (it would show the bearer
        token): by the web server (Apache) or by the program (lighttpd
        passes it on)."""
        r = raw_request(self.srv, self.head("TRACE", "/Users"))
        self.assertWebError(r, (405,), "TRACE")
        self.assertNotIn(self.srv.token, r.text)

    def test_web_411_no_length(self):
        """POST without Content-Length: lighttpd wants one (411); Apache
        hands the program an empty body, and the program refuses it."""
        r = raw_request(self.srv, self.head("POST", "/Users",
                                            "Content-Type: application/scim+json"))
        self.assertWebError(r, (400, 411), "POST without Content-Length")

    def test_web_413_body(self):
        """A body announced over every web server's limit (64 MiB): refused
        before it is sent."""
        r = raw_request(self.srv, self.head("POST", "/Users",
                                            "Content-Type: application/scim+json",
                                            "Content-Length: %d" % (64 << 20),
                                            "Expect: 100-continue"))
        self.assertWebError(r, (413,), "64 MiB body")

    def test_web_414_431_long(self):
        """A request line or a header longer than the web server takes."""
        r = raw_request_retried(self.srv, self.head("GET", "/Users?filter=" + "a" * 70000))
        self.assertWebError(r, (414, 431), "70,000-byte URI")
        r = raw_request_retried(self.srv, self.head("GET", "/Users", "X-Long: " + "a" * 70000))
        self.assertWebError(r, (400, 431), "70,000-byte header")

    def test_web_programs_answers_kept(self):
        """The programs' own errors are theirs, not the static bodies."""
        with open(os.path.join(ERRORS_SRC, "scim-error-404.html")) as f:
            static = json.load(f)["detail"]
        r = raw_request(self.srv, self.head("GET", "/Users/no-such-id"))
        self.assertWebError(r, (404,), "unknown user")
        self.assertNotEqual(r.json["detail"], static)
