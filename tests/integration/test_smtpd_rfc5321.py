#!/usr/bin/env python3
"""The offramp SMTP listener against the server requirements of RFC 5321
(and of the extensions it offers), over real sockets to the running
daemon. Each check is named after the requirement it covers."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check, send_mail  # noqa: E402

gw = Gateway(max_size=20000).start()
FAX = "<FAX=+19195551234@fax.test>"


def queued_id(reply):
    code, text = reply
    check(code == 250 and text[-1].startswith("2.0.0 "), "final dot: %d %s" % reply)
    jid = text[-1].split()[-1]
    check(jid in gw.jobs(), "job %s of a 250 is not in the spool" % jid)
    return jid


def t_greeting_and_ehlo():
    c = gw.client()
    check(c.greeting[0] == 220 and c.greeting[1][0].startswith("gw.test"), "greeting %s" % (c.greeting,))
    code, lines = c.cmd("EHLO client.test")
    check(code == 250, "EHLO")
    kw = [l.split()[0] for l in lines[1:]]
    for k in ("PIPELINING", "SIZE", "8BITMIME", "DSN", "ENHANCEDSTATUSCODES"):
        check(k in kw, "EHLO lacks %s: %s" % (k, lines))
    check("SIZE 20000" in lines, "SIZE value: %s" % lines)
    check("STARTTLS" not in kw and "AUTH" not in kw, "STARTTLS/AUTH without cert/users")
    check("SMTPUTF8" not in kw, "SMTPUTF8 advertised")
    c.expect("QUIT", 221, "2.0.0")
    check(c.closed(), "QUIT did not close")


def t_crlf_only_bare_lf_command():
    # Only CRLF ends a line; LF-only lines are refused
    c = gw.client()
    c.send("EHLO client.test\n")
    c.expect(None, 521, "5.5.2")
    check(c.closed(), "bare LF command: not closed")


def t_smuggling():
    # \n.\n, \n.\r\n, \r\n.\n never end the message (CVE-2023-51764)
    for seq in ("\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r\n"):
        c = gw.client()
        before = set(gw.jobs())
        c.expect("EHLO client.test", 250)
        c.expect("MAIL FROM:<alice@example.com>", 250)
        c.expect("RCPT TO:" + FAX, 250)
        c.expect("DATA", 354)
        c.send("Subject: smuggle\r\n\r\nfirst" + seq +
               "MAIL FROM:<evil@example.org>\r\nRCPT TO:<FAX=+19195550000@fax.test>\r\n"
               "DATA\r\nsmuggled\r\n.\r\n")
        code, text = c.reply()
        check(code == 521 and text[0].startswith("5.5.2"), "smuggling %r: %d %s" % (seq, code, text))
        check(c.closed(), "smuggling %r: session not closed" % seq)
        time.sleep(0.2)
        check(set(gw.jobs()) == before, "smuggling %r: a job was spooled" % seq)


def t_dot_stuffing():
    c = gw.client()
    r = send_mail(c, body="Subject: dots\r\n\r\n..one\r\n...two\r\n")
    jid = queued_id(r)
    msg = gw.job(jid, "msg")
    check(b"\r\n.one\r\n..two\r\n" in msg, "unstuffing: %r" % msg[-40:])
    check(not msg.endswith(b".\r\n.\r\n"), "final dot stored")


def t_minimum_lengths():
    # local part 64, domain 255, path 256, command line 1036 with DSN, text line 1000
    c = gw.client()
    c.expect("EHLO client.test", 250)
    local = "a" * 64
    c.expect("MAIL FROM:<%s@example.com>" % local, 250, "2.1.0")
    c.expect("RSET", 250)
    dom = ".".join(["d" * 63] * 3) + "." + "e" * 59      # 251 octets
    c.expect("MAIL FROM:<a@%s>" % dom, 250, "2.1.0")
    # the longest DSN RCPT: a 256-octet path, NOTIFY (28) and a 500-char ORCPT
    local = "FAX=+19195551234"
    orcpt = "rfc822;" + "x" * (500 - 7 - 9) + "@fax.test"
    c.expect("RCPT TO:<%s@fax.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=%s" % (local, orcpt), 250, "2.1.5")
    # a command line of 1036 octets incl. CRLF (RFC 3461 5.4) is read whole
    line = "NOOP " + "n" * (1036 - 2 - 5)
    c.expect(line, 250, "2.0.0")
    # 100 recipients must be accepted by the server (the policy cap is 10 here,
    # see test_smtpd_policy.py for the config side)
    c.expect("DATA", 354)
    c.send("Subject: long\r\n\r\n" + "z" * 998 + "\r\n.\r\n")
    queued_id(c.reply())
    # text line of 1001 octets: refused after the final dot
    c.expect("MAIL FROM:<alice@example.com>", 250)
    c.expect("RCPT TO:" + FAX, 250)
    c.expect("DATA", 354)
    c.send("Subject: long\r\n\r\n" + "z" * 999 + "\r\n.\r\n")
    code, text = c.reply()
    check(code == 500 and text[0].startswith("5.5.2"), "1001-octet text line: %d %s" % (code, text))
    # command line far over the limit: 500, session stays usable
    c.expect("NOOP " + "n" * 3000, 500, "5.5.2")
    c.expect("NOOP", 250, "2.0.0")
    # local part over 64: syntax refusal
    c.expect("MAIL FROM:<%s@example.com>" % ("a" * 65), 501, "5.1.7")


def t_sequencing():
    # RCPT without MAIL 503; bad MAIL args 501; second EHLO resets; NOOP/HELP/RSET/VRFY before EHLO
    c = gw.client()
    c.expect("NOOP", 250, "2.0.0")
    c.expect("HELP", 214, "2.0.0")
    c.expect("RSET", 250, "2.0.0")
    c.expect("VRFY alice", 252, "2.5.0")
    c.expect("MAIL FROM:<a@example.com>", 503, "5.5.1")
    c.expect("EHLO client.test", 250)
    c.expect("RCPT TO:" + FAX, 503, "5.5.1")
    c.expect("DATA", 503, "5.5.1")
    c.expect("MAIL FROM:alice@example.com", 501, "5.1.7")
    c.expect("MAIL FROM:<alice@example.com> SIZE=abc", 501, "5.5.4")
    c.expect("MAIL FROM:<alice@example.com>", 250)
    c.expect("RCPT TO:" + FAX, 250)
    c.expect("EHLO client.test", 250)
    c.expect("RCPT TO:" + FAX, 503, "5.5.1")     # the EHLO reset the transaction
    c.expect("EXPN staff", 502, "5.5.1")


def t_rset_quit_unknown():
    # RSET -> 250 and clears state, never closes; QUIT -> 221; unknown -> 500, never close
    c = gw.client()
    c.expect("EHLO client.test", 250)
    c.expect("MAIL FROM:<alice@example.com>", 250)
    c.expect("RCPT TO:" + FAX, 250)
    c.expect("RSET", 250, "2.0.0")
    c.expect("DATA", 503, "5.5.1")
    for _ in range(3):
        c.expect("XYZZY", 500, "5.5.2")
    check(not c.closed(0.5), "unknown command closed the session")
    c.expect("QUIT", 221, "2.0.0")
    check(c.closed(), "QUIT did not close")


def t_lost_connection():
    # connection lost mid-transaction: nothing spooled, nothing dialed
    before = set(gw.jobs())
    c = gw.client()
    c.expect("EHLO client.test", 250)
    c.expect("MAIL FROM:<alice@example.com>", 250)
    c.expect("RCPT TO:" + FAX, 250)
    c.expect("DATA", 354)
    c.send("Subject: cut\r\n\r\nhalf a mess")
    c.close()
    time.sleep(0.5)
    check(set(gw.jobs()) == before, "a lost transaction left a job")
    check(gw.tmp_entries() == [], "a lost transaction left tmp/ entries: %s" % gw.tmp_entries())


def t_postmaster_and_null_sender():
    # postmaster@alias and bare <Postmaster> accepted, never dialed; <> accepted
    # (a fax recipient keeps the job in the spool while the test reads it:
    # a postmaster-only job is forwarded and gone at once)
    c = gw.client()
    r = send_mail(c, sender="<>", rcpts=("<Postmaster>", "<postmaster@fax.test>", FAX))
    jid = queued_id(r)
    env = gw.job(jid, "env").decode()
    blocks = env.split("\nrcpt ")[1:]          # one block per recipient
    check(len(blocks) == 3, "three recipients: %s" % env)
    for b in blocks[:2]:
        check("rcpt.kind postmaster" in b and "rcpt.number" not in b, "postmaster env: %s" % b)
    check("rcpt.kind fax" in blocks[2] and "rcpt.number +19195551234" in blocks[2], "fax env: %s" % env)
    check("rcpt.forward fax-admin@example.com" in env, "postmaster forward: %s" % env)
    check("\nfrom \n" in env, "null sender: %s" % env)


def t_received_and_loop():
    # prepend Received:; >= 100 Received: lines -> 554 5.4.6
    c = gw.client()
    jid = queued_id(send_mail(c, body="Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                              "Subject: trace\r\n\r\nbody\r\n"))
    msg = gw.job(jid, "msg")
    check(msg.startswith(b"Received: from client.test ([127.0.0.1])\r\n\tby gw.test"),
          "Received: not prepended: %r" % msg[:120])
    c = gw.client()
    hops = "".join("Received: from h%d by h%d; Mon, 1 Jan 2024 00:00:00 +0000\r\n" % (i, i + 1)
                   for i in range(100))
    code, text = send_mail(c, body=hops + "Subject: loop\r\n\r\nx\r\n")
    check(code == 554 and text[0].startswith("5.4.6"), "loop: %d %s" % (code, text))


def t_server_waits():
    # the server waits for a command (>= 5 min; here: it does not drop an idle client quickly)
    c = gw.client()
    c.expect("EHLO client.test", 250)
    check(not c.closed(3), "idle client dropped within 3 s")
    c.expect("NOOP", 250)


def t_pipelining():
    # replies in order, never loses buffered input, 354 iff >= 1 valid RCPT
    c = gw.client()
    c.send("EHLO p.test\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@elsewhere.example>\r\n"
           "RCPT TO:%s\r\nRCPT TO:<FAX=+19195550001@fax.test>\r\nDATA\r\n" % FAX)
    check(c.reply()[0] == 250, "EHLO")
    check(c.reply()[0] == 250, "MAIL")
    check(c.reply()[0] == 550, "relay RCPT")
    check(c.reply()[0] == 250, "RCPT 1")
    check(c.reply()[0] == 250, "RCPT 2")
    check(c.reply()[0] == 354, "DATA")
    c.send("Subject: p1\r\n\r\none\r\n.\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<x@elsewhere.example>\r\n"
           "DATA\r\nNOOP\r\n")
    queued_id(c.reply())
    check(c.reply()[0] == 250, "MAIL 2")
    check(c.reply()[0] == 550, "relay RCPT 2")
    code, _ = c.reply()
    check(code in (503, 554), "DATA without valid RCPT: %d" % code)
    check(c.reply()[0] == 250, "NOOP after the group")


def t_size_8bit_dsn():
    # SIZE=n over the limit -> 552 5.3.4; message over the limit after the dot -> 552 5.3.4;
    # BODY=8BITMIME kept 8-bit clean; DSN params stored; duplicates 501; unknown 555
    c = gw.client()
    c.expect("EHLO client.test", 250)
    c.expect("MAIL FROM:<alice@example.com> SIZE=20001", 552, "5.3.4")
    c.expect("MAIL FROM:<alice@example.com> SIZE=100", 250)
    c.expect("RCPT TO:" + FAX, 250)
    c.expect("DATA", 354)
    c.send("Subject: big\r\n\r\n" + ("x" * 98 + "\r\n") * 250 + ".\r\n")
    code, text = c.reply()
    check(code == 552 and text[0].startswith("5.3.4"), "oversize: %d %s" % (code, text))
    c.expect("MAIL FROM:<alice@example.com> BODY=8BITMIME RET=HDRS ENVID=QQ+2B1", 250)
    c.expect("RCPT TO:%s NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;FAX+3D+2B19195551234@fax.test" % FAX, 250)
    c.expect("DATA", 354)
    c.send("Subject: 8bit\r\n\r\ncaf\xe9\r\n.\r\n".encode("latin-1"))
    jid = queued_id(c.reply())
    check(b"caf\xe9\r\n" in gw.job(jid, "msg"), "8-bit octet not preserved")
    env = gw.job(jid, "env").decode("latin-1")
    for want in ("envid QQ+2B1", "ret HDRS", "body 8BITMIME", "rcpt.notify SUCCESS,FAILURE",
                 "rcpt.orcpt rfc822;FAX+3D+2B19195551234@fax.test", "rcpt.number +19195551234"):
        check(want in env, "env lacks %r: %s" % (want, env))
    c.expect("MAIL FROM:<alice@example.com> RET=FULL RET=HDRS", 501, "5.5.4")
    c.expect("MAIL FROM:<alice@example.com> XFOO=1", 555, "5.5.4")
    c.expect("MAIL FROM:<alice@example.com>", 250)
    c.expect("RCPT TO:%s NOTIFY=NEVER,SUCCESS" % FAX, 501, "5.5.4")
    c.expect("RCPT TO:%s ORCPT=rfc822;a+zz" % FAX, 501, "5.5.4")
    c.expect("RCPT TO:%s NOTIFY=NEVER NOTIFY=NEVER" % FAX, 501, "5.5.4")
    # valid DSN params never change the reply code
    c.expect("RCPT TO:%s NOTIFY=NEVER" % FAX, 250, "2.1.5")


def t_enhanced_codes():
    # every 2xx/4xx/5xx reply (not greeting/EHLO/HELO) carries a matching enhanced code
    c = gw.client()
    c.expect("EHLO client.test", 250)
    for line, code in (("NOOP", 250), ("MAIL FROM:<a@example.com>", 250), ("RCPT TO:<x@y.example>", 550),
                       ("BOGUS", 500), ("VRFY x", 252), ("RSET", 250), ("HELP", 214)):
        got, text = c.cmd(line)
        check(got == code, "%s: %d" % (line, got))
        enh = text[-1].split()[0]
        check(enh[0] == str(code)[0] and enh.count(".") == 2, "%s: enhanced code %r" % (line, enh))


def t_nul_refused():
    c = gw.client()
    c.expect("EHLO client.test", 250)
    c.send(b"NO\x00OP\r\n")
    code, _ = c.reply()
    check(code == 500, "NUL in command: %d" % code)


def t_stress_open_close():
    # many short sessions: the listener keeps accepting
    for _ in range(30):
        c = gw.client()
        c.expect("QUIT", 221)
        c.close()


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("t_")]
for t in TESTS:
    t()
    print("ok", t.__name__)
gw.stop()
log = gw.logtext(None)
check("result=accepted job=" in log, "no accepted-message log line:\n" + log)
check("result=closed" in log, "no per-session log line")
print("all %d passed" % len(TESTS))
