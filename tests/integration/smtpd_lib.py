"""Helpers for the offramp SMTP listener tests (tests/integration/test_smtpd_*.py).

Starts the real daemon (BUILD/t37gw -c FILE) on free loopback ports with a
config written for the test, and talks to it over raw sockets, so every
byte on the wire is under the test's control. Everything lives in a temp
directory that is removed at exit; the daemon is stopped at exit.
"""
import atexit
import glob
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from ports import free_port

BUILD = os.environ.get("BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
SKIP = 77


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


BASE_CONFIG = """\
hostname gw.test
spool {spool}
{user}
log stderr level info
sip
 listen udp 127.0.0.1 {sip_port}
trunk pstn
 proxy sip:127.0.0.1:{trunk_port}
mta send maildir maildir
mta send postmaster fax-admin@example.com
mta receive listen 127.0.0.1 {smtp_port}
mta receive aliases fax.test
mta receive aliases FAX2.test
mta receive maximum-recipients {max_rcpt}
mta receive maximum-size {max_size}
{extra}
fax deny-pattern 1900.......
fax deny-pattern 011T
dial-peer voice 300 mmoip
 incoming called-number 1919.......
 information-type fax
dial-peer voice 301 mmoip
 incoming called-number 1900.......
 information-type fax
dial-peer voice 302 mmoip
 incoming called-number 1212.......
 information-type fax
dial-peer voice 400 voip
 destination-pattern 1919.......
 session target sip:$d$@127.0.0.1:{trunk_port}
dial-peer voice 401 voip
 destination-pattern 1900.......
 session target sip:$d$@127.0.0.1:{trunk_port}
"""


class Gateway:
    """One t37gw daemon with its own spool and config."""

    def __init__(self, extra="", max_rcpt=10, max_size=100000):
        self.dir = tempfile.mkdtemp(prefix="t37smtpd.")
        os.chmod(self.dir, 0o755)       # run as root, the daemon drops to "nobody"
        atexit.register(self.cleanup)
        self.spool = os.path.join(self.dir, "spool")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "t37gw.conf")
        with open(self.conf, "w") as f:
            os.fchmod(f.fileno(), 0o644)
            f.write(BASE_CONFIG.format(spool=self.spool,
                                       user="user nobody" if os.getuid() == 0 else "", sip_port=free_port(),
                                       trunk_port=free_port(), smtp_port=self.port,
                                       max_rcpt=max_rcpt, max_size=max_size,
                                       extra=extra.format(dir=self.dir)))
        self.proc = None
        self.log = os.path.join(self.dir, "t37gw.log")

    def start(self):
        exe = os.path.join(BUILD, "t37gw")
        probe = subprocess.run([exe, "-t", "-c", self.conf], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        if b"usage:" in probe.stdout:
            print("t37gw cannot load a config yet (-c not supported)")
            sys.exit(SKIP)
        if probe.returncode != 0:
            fail("t37gw -t rejects the test config:\n" + probe.stdout.decode("utf-8", "replace"))
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([exe, "-c", self.conf], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        end = time.time() + 15
        while time.time() < end:
            if self.proc.poll() is not None:
                fail("t37gw exited with %s:\n%s" % (self.proc.returncode, self.logtext()))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        fail("t37gw does not listen on %d:\n%s" % (self.port, self.logtext()))

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        if not os.environ.get("T37_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def logtext(self, tail=4000):
        try:
            with open(self.log, "rb") as f:
                text = f.read().decode("utf-8", "replace")
                return text[-tail:] if tail else text
        except OSError:
            return ""

    def jobs(self):
        """Committed intake jobs: {job id: directory}, in any queue."""
        out = {}
        for d in glob.glob(os.path.join(self.spool, "*", "*")):
            if os.path.basename(os.path.dirname(d)) == "tmp":
                continue
            if os.path.exists(os.path.join(d, "env")) and os.path.exists(os.path.join(d, "msg")):
                out[os.path.basename(d)] = d
        return out

    def job(self, jid, name):
        with open(os.path.join(self.jobs()[jid], name), "rb") as f:
            return f.read()

    def tmp_entries(self):
        return os.listdir(os.path.join(self.spool, "tmp")) if os.path.isdir(
            os.path.join(self.spool, "tmp")) else []

    def client(self, **kw):
        return Client(self.port, **kw)


class Client:
    """A raw SMTP client: send bytes, read replies (multi-line assembled)."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; buffered %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """(code, [text lines]) of one whole reply."""
        lines = []
        while True:
            line = self._line()
            lines.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def expect(self, line, code, enh=None):
        c, text = self.cmd(line) if line is not None else self.reply()
        check(c == code, "%r: expected %d, got %d %s" % (line, code, c, text))
        if enh is not None:
            check(text[-1].startswith(enh + " "),
                  "%r: expected enhanced code %s, got %s" % (line, enh, text))
        return text

    def closed(self, wait=5):
        """True when the server closed the connection (EOF) within wait seconds."""
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True

    def starttls(self, ctx=None):
        if ctx is None:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname="gw.test")
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def make_cert(directory):
    """A self-signed test certificate made with openssl now; (cert, key)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=gw.test"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        print("openssl req failed: " + r.stderr.decode())
        sys.exit(SKIP)
    return cert, key


def send_mail(c, sender="<alice@example.com>", rcpts=("<FAX=+19195551234@fax.test>",),
              body="Subject: test\r\n\r\nhello\r\n", mail_params=""):
    """A whole transaction; returns the final reply (code, text)."""
    c.expect("EHLO client.test", 250)
    c.expect("MAIL FROM:%s%s" % (sender, mail_params), 250)
    for r in rcpts:
        c.expect("RCPT TO:%s" % r, 250)
    c.expect("DATA", 354)
    c.send(body + ".\r\n")
    return c.reply()
