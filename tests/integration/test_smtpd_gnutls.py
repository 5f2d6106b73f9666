#!/usr/bin/env python3
"""STARTTLS on the offramp listener with a GnuTLS client (gnutls-cli
--starttls-proto=smtp, the TLS stack of Debian's Exim), TLS 1.2 and 1.3.

GnuTLS sends the first command in the same flight as the end of its
handshake; the listener used to leave such input unread until more bytes
came. Each version is tried with the commands written at once (right
behind the handshake), after a pause, and with the client closing its side
right behind a whole pipelined transaction (close_notify in the same read
as the final dot: the message must still be answered and spooled)."""
import base64
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import SKIP, Gateway, check, make_cert  # noqa: E402

if shutil.which("gnutls-cli") is None:
    print("gnutls-cli (gnutls-bin) not installed")
    sys.exit(SKIP)
if shutil.which("openssl") is None:
    print("openssl not installed")
    sys.exit(SKIP)

certdir = tempfile.mkdtemp(prefix="t37cert.")
cert, key = make_cert(certdir)
gw = Gateway(extra="mta receive tls cert %s key %s\nmta receive auth alice s3cret\n"
             % (cert, key)).start()
PLAIN = base64.b64encode(b"\0alice\0s3cret").decode()
PRIORITY = {"1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.2", "1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3"}


def gnutls(version):
    return subprocess.Popen(
        ["gnutls-cli", "--insecure", "--starttls-proto=smtp", "--priority",
         PRIORITY[version], "-p", str(gw.port), "127.0.0.1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def read_until(p, want, limit=10.0):
    """Output of p until every string in want appeared, EOF or limit s."""
    out = b""
    end = time.time() + limit
    while time.time() < end and not all(w.encode() in out for w in want):
        r, _, _ = select.select([p.stdout], [], [], 0.1)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
    return out.decode("utf-8", "replace")


def stop(p):
    if p.poll() is None:
        p.kill()
    p.wait()


def transaction(tag):
    return ("EHLO client.test\r\nAUTH PLAIN %s\r\nMAIL FROM:<alice@example.com>\r\n"
            "RCPT TO:<FAX=+19195551234@fax.test>\r\nDATA\r\n"
            "Subject: %s\r\n\r\nsent through GnuTLS\r\n.\r\n" % (PLAIN, tag))


def spooled(tag):
    for jid in gw.jobs():
        if ("Subject: %s\r\n" % tag).encode() in gw.job(jid, "msg"):
            return jid
    return None


for version in ("1.3", "1.2"):
    # 1. EHLO written at once: it rides behind the client's Finished.
    p = gnutls(version)
    p.stdin.write(b"EHLO client.test\r\n")
    p.stdin.flush()
    out = read_until(p, ["250 ENHANCEDSTATUSCODES"], 8)
    stop(p)
    check("250 ENHANCEDSTATUSCODES" in out, "TLS %s, EHLO at once: no reply (the session hangs): %r"
          % (version, out[-300:]))
    check("AUTH PLAIN LOGIN" in out and "STARTTLS" not in out,
          "TLS %s: EHLO inside TLS offers %r" % (version, out))
    print("ok TLS %s: EHLO sent with the handshake is answered" % version)

    # 2. after a pause, one command at a time, AUTH and a whole message
    p = gnutls(version)
    time.sleep(1.0)
    steps = [("EHLO client.test\r\n", "250 ENHANCEDSTATUSCODES"),
             ("AUTH PLAIN %s\r\n" % PLAIN, "235 2.7.0"),
             ("MAIL FROM:<alice@example.com>\r\n", "250 2.1.0"),
             ("RCPT TO:<FAX=+19195551234@fax.test>\r\n", "250 2.1.5"),
             ("DATA\r\n", "354 "),
             ("Subject: paused-%s\r\n\r\nhello\r\n.\r\n" % version, "250 2.0.0 Ok: queued as"),
             ("QUIT\r\n", "221 2.0.0")]
    seen = ""
    for line, want in steps:
        p.stdin.write(line.encode())
        p.stdin.flush()
        seen += read_until(p, [want], 8)
        check(want in seen, "TLS %s after a pause: %r got no %r: %r"
              % (version, line.strip(), want, seen[-300:]))
    stop(p)
    check(spooled("paused-%s" % version), "TLS %s: the message is not in the spool" % version)
    print("ok TLS %s: commands after a pause, AUTH and a message" % version)

    # 3. a whole pipelined transaction at once (AUTH, MAIL ... final dot)
    p = gnutls(version)
    p.stdin.write((transaction("piped-%s" % version) + "QUIT\r\n").encode())
    p.stdin.flush()
    out = read_until(p, ["221 2.0.0"], 10)
    stop(p)
    check("235 2.7.0" in out and "250 2.0.0 Ok: queued as" in out and "221 2.0.0" in out,
          "TLS %s: pipelined transaction at once: %r" % (version, out[-400:]))
    check(spooled("piped-%s" % version), "TLS %s: pipelined message not spooled" % version)
    print("ok TLS %s: a pipelined transaction right behind the handshake" % version)

    # 4. the client closes its side right behind the final dot: the 250
    # still comes and the message is spooled exactly once
    p = gnutls(version)
    p.stdin.write(transaction("closed-%s" % version).encode())
    p.stdin.close()                         # gnutls-cli sends close_notify
    out = read_until(p, ["250 2.0.0 Ok: queued as"], 10)
    stop(p)
    check("250 2.0.0 Ok: queued as" in out, "TLS %s: half-closed client: no 250: %r"
          % (version, out[-400:]))
    n = sum(1 for j in gw.jobs() if b"Subject: closed-%s\r\n" % version.encode() in gw.job(j, "msg"))
    check(n == 1, "TLS %s: half-closed client: %d spooled copies" % (version, n))
    print("ok TLS %s: a close right behind the final dot is still answered" % version)

log = gw.logtext(None)
check("tls-error" not in log, "TLS errors logged:\n" + log[-2000:])
check("accepted-unconfirmed" not in log, "a 250 was never sent:\n" + log[-2000:])
gw.stop()
shutil.rmtree(certdir, ignore_errors=True)
print("all passed")
