#!/usr/bin/env python3
"""STARTTLS on the offramp listener (RFC 3207) with a certificate made by
openssl for this run: the handshake, the state reset after it, no second
STARTTLS, the CVE-2011-0411 injection test, and AUTH offered only once TLS
is active."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import SKIP, Gateway, check, make_cert  # noqa: E402

if shutil.which("openssl") is None:
    print("openssl not installed")
    sys.exit(SKIP)

certdir = tempfile.mkdtemp(prefix="t37cert.")
cert, key = make_cert(certdir)
gw = Gateway(extra="mta receive tls cert %s key %s\nmta receive auth alice s3cret\n" % (cert, key)).start()


def ehlo_keywords(c):
    code, lines = c.cmd("EHLO client.test")
    check(code == 250, "EHLO %d" % code)
    return [l.split()[0] for l in lines[1:]]


# STARTTLS advertised before TLS; AUTH not (no AUTH in clear)
c = gw.client()
kw = ehlo_keywords(c)
check("STARTTLS" in kw, "STARTTLS not advertised: %s" % kw)
check("AUTH" not in kw, "AUTH advertised in clear: %s" % kw)
c.expect("AUTH PLAIN AGFsaWNlAHMzY3JldA==", 538, "5.7.11")
c.expect("STARTTLS now", 501, "5.5.4")
c.expect("MAIL FROM:<alice@example.com>", 250)      # loopback is allowed
c.expect("STARTTLS", 220, "2.0.0")
c.starttls()
# after the handshake the session is reset: no EHLO, no transaction
c.expect("MAIL FROM:<alice@example.com>", 503, "5.5.1")
kw = ehlo_keywords(c)
check("STARTTLS" not in kw, "STARTTLS advertised again inside TLS")
check("AUTH" in kw, "AUTH not advertised inside TLS: %s" % kw)
c.expect("STARTTLS", 503, "5.5.1")
c.expect("AUTH PLAIN AGFsaWNlAHMzY3JldA==", 235, "2.7.0")
c.expect("MAIL FROM:<alice@example.com>", 250)
c.expect("RCPT TO:<FAX=+19195551234@fax.test>", 250)
c.expect("DATA", 354)
c.send("Subject: over tls\r\n\r\nsecret fax\r\n.\r\n")
code, text = c.reply()
check(code == 250, "message over TLS: %d %s" % (code, text))
msg = gw.job(text[-1].split()[-1], "msg")
check(b"with ESMTPSA id" in msg, "Received: lacks ESMTPSA: %r" % msg[:200])
c.expect("QUIT", 221)
print("ok STARTTLS, reset after the handshake, AUTH only inside TLS")

# CVE-2011-0411: "STARTTLS\r\nRSET\r\n" in one packet; the RSET must not run inside TLS
c = gw.client()
c.expect("EHLO client.test", 250)
c.send("STARTTLS\r\nRSET\r\n")
code, text = c.reply()
check(code == 220, "STARTTLS: %d %s" % (code, text))
c.starttls()
# the first reply inside TLS must answer our NOOP, not the injected RSET
code, text = c.cmd("NOOP")
check(code == 250 and text[0].startswith("2.0.0 Ok"), "NOOP: %d %s" % (code, text))
c.sock.settimeout(1)
try:
    extra = c.sock.recv(1024)
except Exception:
    extra = b""
check(extra == b"" or extra is None, "a reply to the injected command arrived: %r" % extra)
check("starttls-injection" in gw.logtext(None), "the injection was not logged")
print("ok plaintext after STARTTLS discarded")

# a handshake that never comes (garbage instead of ClientHello) closes the session
c = gw.client()
c.expect("EHLO client.test", 250)
c.expect("STARTTLS", 220)
c.send("this is not TLS\r\n")
check(c.closed(), "garbage handshake: not closed")
print("ok failed handshake closes")
gw.stop()
shutil.rmtree(certdir, ignore_errors=True)
print("all passed")
