#!/usr/bin/env python3
"""Bare LF on the offramp listener, against the running daemon, in both
modes of `mta receive bare-newline`:

reject (the default): a bare LF in a command or in DATA gets 521 5.5.2 and
the connection is closed; no smuggling sequence ends a message.

normalize: commands and message lines may end in a bare LF (as scanners and
scripts send them) and are stored with CRLF; only CRLF "." CRLF ends the
message, so every smuggling sequence (<LF>.<LF>, <LF>.<CRLF>, <CRLF>.<LF>,
<CR>.<CR>, <CR>.<CRLF>) is message content: one job is spooled, holding the
injected commands as text, and the injected MAIL never runs."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check  # noqa: E402

SMUGGLE = [b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r", b"\r.\r\n", b"\r\n.\r.\r\n"]
INJECT = b"MAIL FROM:<evil@example.net>\r\nRCPT TO:<FAX=+19195550000@fax.test>\r\nDATA\r\n"

# ---- reject (no bare-newline line)
gw = Gateway().start()
c = gw.client()
c.send("EHLO scanner.test\n")
code, text = c.reply()
check(code == 521 and text[0].startswith("5.5.2"), "bare LF EHLO: %d %s" % (code, text))
check(c.closed(), "bare LF EHLO: not closed")
for seq in SMUGGLE:
    c = gw.client()
    c.expect("EHLO client.test", 250)
    c.expect("MAIL FROM:<alice@example.com>", 250)
    c.expect("RCPT TO:<FAX=+19195551234@fax.test>", 250)
    c.expect("DATA", 354)
    c.send(b"Subject: smuggle\r\n\r\nhello" + seq + INJECT + b"body\r\n.\r\n")
    code, text = c.reply()
    check(code == 521, "reject, %r: %d %s" % (seq, code, text))
    check(c.closed(), "reject, %r: not closed" % seq)
check(gw.jobs() == {}, "reject mode spooled %d jobs" % len(gw.jobs()))
check("error=\"bare CR or LF\"" in gw.logtext(None), "framing error not logged")
gw.stop()
print("ok reject: 521 and close on every bare LF/CR, nothing spooled")

# ---- normalize
gw = Gateway(extra="mta receive bare-newline normalize\n").start()
for i, seq in enumerate(SMUGGLE):
    c = gw.client()
    # the whole dialogue with LF-only commands, one message per sequence
    c.send("EHLO scanner.test\n")
    code, _ = c.reply()
    check(code == 250, "normalize: LF EHLO: %d" % code)
    c.send("MAIL FROM:<scan@example.com>\nRCPT TO:<FAX=+19195551234@fax.test>\nDATA\r\n")
    for want in (250, 250, 354):
        code, text = c.reply()
        check(code == want, "normalize, %r: %d %s (want %d)" % (seq, code, text, want))
    c.send(b"Subject: smuggle %d\n\nhello" % i + seq + INJECT + b"body\n")
    c.send(b".\r\n")        # LF "." CRLF: still content
    c.send(b"last\r\n.\r\n")
    code, text = c.reply()
    check(code == 250 and "queued as" in text[0], "normalize, %r: %d %s" % (seq, code, text))
    jid = text[0].split()[-1]
    msg = gw.job(jid, "msg")
    check(b"MAIL FROM:<evil@example.net>\r\nRCPT TO:<FAX=+19195550000@fax.test>\r\n" in msg,
          "normalize, %r: injected lines not kept as content: %r" % (seq, msg[-300:]))
    check(b"\r\nbody\r\n.\r\nlast\r\n" in msg, "normalize, %r: LF lines not stored as CRLF: %r"
          % (seq, msg[-200:]))
    check(b"\n" not in msg.replace(b"\r\n", b""), "normalize: a bare LF was stored")
    c.expect("QUIT", 221)
check(len(gw.jobs()) == len(SMUGGLE), "normalize: %d jobs for %d messages"
      % (len(gw.jobs()), len(SMUGGLE)))
env = b"".join(gw.job(j, "env") for j in gw.jobs())
check(b"evil@example.net" not in env and b"19195550000" not in env,
      "an injected envelope reached the spool")
log = gw.logtext(None)
check("bare-newline=normalized" in log, "normalized bare LF not logged")

# a bare CR in a command is refused, not a line end
c = gw.client()
c.send("EHLO c\r\nNO\rOP\r\n")
c.reply()
code, text = c.reply()
check(code == 500 and "Bare <CR>" in text[0], "bare CR in a command: %d %s" % (code, text))
c.expect("QUIT", 221)
gw.stop()
print("ok normalize: LF lines taken as CRLF, only CRLF.CRLF ends a message")
print("all passed")
