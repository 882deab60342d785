"""HTTPS deployment harness: the shipped etc/apache-scim.conf and
etc/lighttpd-scim.conf run under a real Apache httpd (mod_fcgid, mod_ssl)
and a real lighttpd (mod_fastcgi, mod_openssl), each on an ephemeral
loopback port with a self-signed certificate made here.

The shipped files are copied verbatim except for their settings block:
each ``Define SCIM_*`` (Apache) or ``var.scim_*`` (lighttpd) line that a
test sets is replaced, and must be there exactly once.  Those settings are
ports, paths, the certificate, and (for some runs) the admin address range
and the requests per process.  The small main configuration around them
(modules, log and pid files, the account) is written here, as a
distribution's apache2.conf or lighttpd.conf would be.

Both servers subclass scimtest.Server, so a test gets the same data home,
scim.conf, Secret Token and request helpers as the HTTP suite, with every
request sent over TLS to a client context pinned to the test certificate.
"""

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import scimtest  # noqa: E402  (after the path is set)
import weberrors  # noqa: E402

SBIN_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
APACHE2 = os.environ.get("APACHE2") or shutil.which("apache2", path=SBIN_PATH) \
    or shutil.which("httpd", path=SBIN_PATH)
APACHE_MODULES = os.environ.get("APACHE_MODULES", "/usr/lib/apache2/modules")
LIGHTTPD = scimtest.LIGHTTPD
LIGHTTPD_MODULES = os.environ.get("LIGHTTPD_MODULES", "/usr/lib/lighttpd")
OPENSSL = shutil.which("openssl")
ETC = os.path.join(scimtest.TOP_SRCDIR, "etc")

# The TLS 1.2 suites Microsoft Entra ID offers that an RSA certificate can
# serve (reference/entra-scim.md section 3).
ENTRA_RSA_SUITES = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                    "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384"]


def missing_tools(kind):
    """Names of the Debian packages this machine lacks for kind, or []."""
    need = []
    if OPENSSL is None:
        need.append("openssl")
    if kind == "apache":
        if APACHE2 is None:
            need.append("apache2-bin")
        if not os.path.exists(os.path.join(APACHE_MODULES, "mod_fcgid.so")):
            need.append("libapache2-mod-fcgid")
    else:
        if not os.path.exists(LIGHTTPD):
            need.append("lighttpd")
        if not os.path.exists(os.path.join(LIGHTTPD_MODULES, "mod_openssl.so")):
            need.append("lighttpd-mod-openssl")
    return need


def make_certificate(directory):
    """A self-signed RSA-2048 certificate for 127.0.0.1: (cert, key) paths."""
    cert = os.path.join(directory, "tls-cert.pem")
    key = os.path.join(directory, "tls-key.pem")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:FALSE",
                    "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
                    "-addext", "extendedKeyUsage=serverAuth"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.chmod(key, 0o600)
    return cert, key


def client_context(cert, ciphers=None, version=None):
    """A client context that trusts only cert (and checks the IP in it).
    ciphers: an OpenSSL cipher string for TLS 1.2; version: pin one
    ssl.TLSVersion."""
    ctx = ssl.create_default_context(cafile=cert)
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    if version is not None:
        ctx.minimum_version = version
        ctx.maximum_version = version
    return ctx


def fill_settings(text, pattern, settings, what):
    """Replace each settings line of a shipped file.  pattern has one %s for
    the name; settings maps a name to the whole new line."""
    for name, line in settings.items():
        text, n = re.subn(pattern % re.escape(name), lambda m: line, text, flags=re.M)
        if n != 1:
            raise RuntimeError("%s: setting %s found %d times" % (what, name, n))
    return text


class HttpsServer(scimtest.Server):
    """A web server on https://127.0.0.1:port running the shipped
    configuration; request() and friends speak TLS."""

    name = "?"

    def __init__(self, settings=None):
        super().__init__()
        self.libexec = scimtest.CGI_BIN
        # The plain-HTTP lighttpd configuration scimtest writes is not used.
        os.remove(self.lighttpd_conf)
        self.settings = dict(settings or {})
        self.cert, self.key = make_certificate(self.home)
        self.context = client_context(self.cert)
        # The SCIM error bodies, where SCIM_ERRORS / var.scim_errors name
        # them (the installed ones when ETC is an installed tree), and a
        # static file in the document root.
        installed = os.path.join(ETC, "errors")
        self.errors = weberrors.stage_error_bodies(
            self.home, installed if os.path.isdir(installed) else weberrors.ERRORS_SRC)
        self.log_dir = os.path.join(self.home, "log")
        os.mkdir(self.log_dir)
        if self.as_root:
            pw = scimtest.pwd.getpwnam("www-data")
            os.chown(self.log_dir, pw.pw_uid, pw.pw_gid)
            os.chown(os.path.join(self.home, "sock"), pw.pw_uid, pw.pw_gid)

    # --- to be provided by a subclass ---
    def write_config(self):
        """Write the configuration files; return the command to run."""
        raise NotImplementedError

    def errorlog_path(self):
        raise NotImplementedError

    # --- life cycle ---
    def start(self):
        """Start the server and make a token; on failure, stop and clean
        up (the exception carries the end of the error log)."""
        try:
            cmd = self.write_config()
            with open(os.path.join(self.home, "server.stderr"), "w") as err:
                self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err,
                                             start_new_session=True)
            self.wait_listening()
            self.token = self.make_token()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_listening(self):
        deadline = time.time() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("%s exited: %s" % (self.name, self.errorlog()))
                if time.time() > deadline:
                    raise RuntimeError("%s did not start: %s" % (self.name, self.errorlog()))
                time.sleep(0.05)

    def errorlog(self):
        out = ""
        for p in (self.errorlog_path(), os.path.join(self.home, "server.stderr")):
            try:
                with open(p, errors="replace") as f:
                    out += f.read()[-3000:]
            except OSError:
                pass
        return out

    # --- requests, over TLS ---
    def connect(self, context=None, timeout=30):
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=context or self.context)

    def burst(self, n, path, body_fn, token=None):
        """POST body_fn(i) to path from n connections at once: the TLS
        handshakes are done first, then every request leaves together.
        token: the bearer token (default the server's).  Returns
        [(status, seconds)] in order."""
        conns = [self.connect() for _ in range(n)]
        for c in conns:
            c.connect()
        gate = threading.Barrier(n)
        out = [None] * n

        def one(i):
            data = json.dumps(body_fn(i)).encode()
            h = {"Authorization": "Bearer " + (token or self.token),
                 "Content-Type": "application/scim+json"}
            gate.wait()
            t0 = time.monotonic()
            try:
                conns[i].request("POST", self.url(path), body=data, headers=h)
                r = conns[i].getresponse()
                r.read()
                out[i] = (r.status, time.monotonic() - t0)
            except (OSError, http.client.HTTPException) as e:
                out[i] = (repr(e), time.monotonic() - t0)
            finally:
                conns[i].close()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    def handshake(self, context):
        """TLS handshake only: (version, cipher) or raises ssl.SSLError."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            with context.wrap_socket(s, server_hostname="127.0.0.1") as t:
                return t.version(), t.cipher()[0]

    def base_url(self):
        return "https://127.0.0.1:%d%s" % (self.port, self.base)

    def pids(self, program):
        """The running processes of one of our programs (by argv[0])."""
        return self.watch().scan().get(program, set())

    def watch(self):
        """A ProcessWatch of this server's programs."""
        return ProcessWatch(self.libexec, self.proc.pid)


class ApacheServer(HttpsServer):
    """Apache httpd 2.4 in the foreground (-DFOREGROUND), event MPM, with the
    shipped site file included; children and programs run as www-data."""

    name = "apache"
    modules = ["mpm_event", "authz_core", "authz_host", "alias", "rewrite", "ssl", "fcgid",
               "headers"]

    def errorlog_path(self):
        return os.path.join(self.home, "apache-error.log")

    def write_config(self):
        settings = {"SCIM_SERVER_NAME": "127.0.0.1", "SCIM_PORT": str(self.port),
                    "SCIM_LIBEXEC": self.libexec, "SCIM_CONF": self.conf,
                    "SCIM_ERRORS": self.errors,
                    "SCIM_CERT": self.cert, "SCIM_KEY": self.key}
        settings.update(self.settings)
        with open(os.path.join(ETC, "apache-scim.conf")) as f:
            site = fill_settings(f.read(), r"^Define %s .*$",
                                 {k: 'Define %s "%s"' % (k, v) for k, v in settings.items()},
                                 "etc/apache-scim.conf")
        self.site_conf = os.path.join(self.home, "apache-scim.conf")
        with open(self.site_conf, "w") as f:
            f.write(site)
        lines = ['ServerRoot "%s"' % self.home,
                 'DefaultRuntimeDir "%s"' % self.home,
                 'PidFile "%s/apache.pid"' % self.home,
                 'ErrorLog "%s"' % self.errorlog_path(),
                 # fcgid:info logs each program process started and ended.
                 "LogLevel warn fcgid:info",
                 'DocumentRoot "%s/www"' % self.home,
                 "ServerName 127.0.0.1",
                 "Listen 127.0.0.1:%d" % self.port,
                 'FcgidIPCDir "%s/fcgid"' % self.home,
                 'FcgidProcessTableFile "%s/fcgid-shm"' % self.home]
        for m in self.modules:
            lines.append("LoadModule %s_module %s/mod_%s.so" % (m, APACHE_MODULES, m))
        if self.as_root:
            lines += ["User www-data", "Group www-data"]
        lines.append('Include "%s"' % self.site_conf)
        self.httpd_conf = os.path.join(self.home, "httpd.conf")
        with open(self.httpd_conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [APACHE2, "-DFOREGROUND", "-f", self.httpd_conf]

    def fcgid_events(self):
        """(program, pid, event) for each mod_fcgid start and exit logged;
        event is "started" or the exit reason ("lifetime expired", ...)."""
        out = []
        with open(self.errorlog_path(), errors="replace") as f:
            for line in f:
                m = re.search(r"mod_fcgid: server \S*?([^/\s]+)\((\d+)\) started", line)
                if m:
                    out.append((m.group(1), int(m.group(2)), "started"))
                    continue
                m = re.search(r"mod_fcgid: process \S*?([^/\s]+)\((\d+)\) exit\(([^)]*)\)", line)
                if m:
                    out.append((m.group(1), int(m.group(2)), m.group(3)))
        return out


class LighttpdServer(HttpsServer):
    """lighttpd in the foreground (-D) with Debian's base module list and the
    shipped fragment included; it and the programs run as www-data.  As
    Debian's lighttpd.conf, the main configuration listens in plain HTTP
    (on plain_port, Debian's port 80), the fragment adds its TLS socket."""

    name = "lighttpd"

    def __init__(self, settings=None):
        super().__init__(settings)
        self.plain_port = scimtest.free_port()

    def plain_request(self, method, path, headers=None):
        """A request over plain HTTP to the main listener: (status,
        headers, body)."""
        c = http.client.HTTPConnection("127.0.0.1", self.plain_port, timeout=30)
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            c.close()

    def errorlog_path(self):
        return os.path.join(self.log_dir, "lighttpd-error.log")

    def write_config(self):
        settings = {"scim_listen": "127.0.0.1:%d" % self.port,
                    "scim_libexec": self.libexec, "scim_conf": self.conf,
                    "scim_errors": self.errors,
                    "scim_cert": self.cert, "scim_key": self.key,
                    "scim_sockets": os.path.join(self.home, "sock")}
        settings.update(self.settings)
        with open(os.path.join(ETC, "lighttpd-scim.conf")) as f:
            frag = fill_settings(
                f.read(), r"^var\.%s = .*$",
                {k: ("var.%s = %d" % (k, v)) if isinstance(v, int) else
                 ('var.%s = "%s"' % (k, v)) for k, v in settings.items()},
                "etc/lighttpd-scim.conf")
        self.fragment = os.path.join(self.home, "lighttpd-scim.conf")
        with open(self.fragment, "w") as f:
            f.write(frag)
        lines = ['server.modules = ( "mod_indexfile", "mod_access", "mod_alias", "mod_redirect" )',
                 'server.document-root = "%s/www"' % self.home,
                 'server.errorlog = "%s"' % self.errorlog_path(),
                 'server.breakagelog = "%s"' % self.errorlog_path(),
                 'server.pid-file = "%s/lighttpd.pid"' % self.home,
                 'server.bind = "127.0.0.1"',
                 "server.port = %d" % self.plain_port]
        if self.as_root:
            lines += ['server.username = "www-data"', 'server.groupname = "www-data"']
        lines.append('include "%s"' % self.fragment)
        self.main_conf = os.path.join(self.home, "lighttpd.conf")
        with open(self.main_conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [LIGHTTPD, "-D", "-f", self.main_conf]


class ProcessWatch:
    """Samples /proc every few milliseconds (in a thread, as a context
    manager) and remembers each process of session sid (a web server
    started with start_new_session, and everything it started) whose
    argv[0] is a program in libexec: seen = {program: set(pids)}."""

    def __init__(self, libexec, sid, interval=0.01):
        self.prefix = libexec.rstrip("/") + "/"
        self.sid = sid
        self.interval = interval
        self.seen = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def scan(self):
        """One sample; returns {program: set(pids)} of what runs now."""
        now = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    stat = f.read()
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv0 = f.read().split(b"\0", 1)[0].decode(errors="replace")
            except OSError:
                continue
            # Fields after "(comm)": state ppid pgrp session ...
            if int(stat[stat.rindex(")") + 2:].split()[3]) != self.sid:
                continue
            if argv0.startswith(self.prefix):
                now.setdefault(os.path.basename(argv0), set()).add(int(d))
        for k, v in now.items():
            self.seen.setdefault(k, set()).update(v)
        return now

    def _run(self):
        while not self._stop.is_set():
            self.scan()
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        self._thread.join()
        self.scan()
