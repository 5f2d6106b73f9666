#!/usr/bin/env python3
"""The offramp acceptance policy against the running daemon: relay attempts,
toll-fraud attempts, client networks, AUTH, allow-sender, aliases,
maximum-recipients, and the spool contents of an accepted message."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check, send_mail  # noqa: E402


def rcpt_code(gw, rcpt, sender="<alice@example.com>"):
    c = gw.client()
    c.expect("EHLO client.test", 250)
    c.expect("MAIL FROM:%s" % sender, 250)
    code, text = c.cmd("RCPT TO:%s" % rcpt)
    c.close()
    return code, text[-1]


# ---- the default policy: loopback clients, aliases, dial-peers, deny-patterns
gw = Gateway().start()

RELAY = [
    "<bob@elsewhere.example>",
    "<FAX=+19195551234@elsewhere.example>",
    "<postmaster@elsewhere.example>",
    "<bob%elsewhere.example@fax.test>",                 # % hack
    "<elsewhere.example!bob@fax.test>",                 # UUCP bang path
    "<@fax.test:bob@elsewhere.example>",                # source route
    "<@fax.test,@fax2.test:FAX=+19195551234@fax.test>",
    '<"bob@elsewhere.example"@fax.test>',               # quoted local part
    "<FAX=+19195551234@[127.0.0.1]>",                   # address literal
    "<FAX=+19195551234@fax.test.elsewhere.example>",
]
for r in RELAY:
    code, text = rcpt_code(gw, r)
    check(code == 550 and text.startswith("5.7.1") and "relaying denied" in text,
          "relay %s: %d %s" % (r, code, text))
print("ok relay attempts refused")

TOLL = [
    ("<FAX=+19005551234@fax.test>", "deny-pattern 1900"),   # premium rate
    ("<19005551234@fax.test>", "deny-pattern 1900"),
    ("<FAX=011441234567@fax.test>", "deny-pattern 011T"),   # international
    ("<FAX=+12125551234@fax.test>", "voip"),                # mmoip ok, no voip peer
    ("<FAX=+14155551234@fax.test>", "mmoip"),               # no mmoip peer
    ("<FAX=+1919555123@fax.test>", "mmoip"),                # one digit short
    ("<FAX=+191955512345@fax.test>", "mmoip"),              # one digit long
]
for r, why in TOLL:
    code, text = rcpt_code(gw, r)
    check(code == 550 and text.startswith("5.7.1") and why in text, "toll %s: %d %s" % (r, code, text))
print("ok toll-fraud attempts refused with the rule named")

MALFORMED = ["<FAX=+1919ABC5551@fax.test>", "<FAX=@fax.test>", "<FAX=+1919--5551234@fax.test>",
             "<FAX=+19195551234/T33S=x@fax.test>", "</FAX=+19195551234@fax.test>x"]
for r in MALFORMED[:4]:
    code, text = rcpt_code(gw, r)
    check(code == 553 and text.startswith("5.1.3"), "malformed %s: %d %s" % (r, code, text))
code, text = rcpt_code(gw, "<alice@fax.test>")
check(code == 550 and text.startswith("5.1.1"), "mailbox at alias: %d %s" % (code, text))
print("ok malformed numbers 553 5.1.3")

ACCEPTED = ["<FAX=+19195551234@fax.test>", "<fax=+1-919-555.1234@FAX.TEST>",
            "<FAX=+19195551234/T33S=77@fax.test>", "</FAX=+19195551234/@fax2.test>",
            "<19195551234@fax.test>", "<Fax=19195551234@fax.test>",
            "<postmaster@fax.test>", "<POSTMASTER>"]
for r in ACCEPTED:
    code, text = rcpt_code(gw, r)
    check(code == 250 and text.startswith("2.1.5"), "accepted form %s: %d %s" % (r, code, text))
print("ok RFC 3192 forms accepted")

# maximum-recipients 10: the 11th gets 452 4.5.3
c = gw.client()
c.expect("EHLO client.test", 250)
c.expect("MAIL FROM:<alice@example.com>", 250)
for i in range(10):
    c.expect("RCPT TO:<FAX=+1919555%04d@fax.test>" % i, 250)
c.expect("RCPT TO:<FAX=+19195559999@fax.test>", 452, "4.5.3")
c.expect("DATA", 354)
c.send("Subject: ten\r\n\r\nten faxes\r\n.\r\n")
code, text = c.reply()
check(code == 250, "ten recipients: %d %s" % (code, text))
jid = text[-1].split()[-1]
env = gw.job(jid, "env").decode()
check(env.count("\nrcpt ") == 10, "ten rcpt records: %s" % env)
check("rcpt.peer 400" in env and "smtp " in env and "client 127.0.0.1" in env, "env: %s" % env)
msg = gw.job(jid, "msg")
check(msg.startswith(b"Received: ") and msg.endswith(b"ten faxes\r\n"), "msg: %r" % msg)
print("ok maximum-recipients and the spooled job")
gw.stop()

# ---- maximum-recipients 0: all mail refused, and the reply says why
gw0 = Gateway(max_rcpt=0).start()
code, text = rcpt_code(gw0, "<FAX=+19195551234@fax.test>")
check(code == 452 and text.startswith("4.5.3") and "maximum-recipients is 0" in text,
      "max 0: %d %s" % (code, text))
gw0.stop()
print("ok maximum-recipients 0 refuses all mail")

# ---- clients outside the allowed networks; AUTH; allow-sender
gwa = Gateway(extra="mta receive allow 10.0.0.0/8\nmta receive auth alice s3cret\n"
              "mta receive auth-clear\nmta receive allow-sender *@example.com\n").start()
c = gwa.client()
c.expect("EHLO client.test", 250)
c.expect("MAIL FROM:<alice@example.com>", 530, "5.7.0")
c.expect("AUTH PLAIN AGFsaWNlAHdyb25n", 535, "5.7.8")             # alice / wrong
c.expect("AUTH PLAIN AGFsaWNlAHMzY3JldA==", 235, "2.7.0")         # alice / s3cret
c.expect("MAIL FROM:<mallory@evil.example>", 550, "5.7.1")
c.expect("MAIL FROM:<alice@example.com>", 250)
c.expect("RCPT TO:<FAX=+19195551234@fax.test>", 250)
c.expect("DATA", 354)
c.send("Subject: authed\r\n\r\nx\r\n.\r\n")
code, text = c.reply()
check(code == 250, "authenticated message: %d %s" % (code, text))
env = gwa.job(text[-1].split()[-1], "env").decode()
check("auth alice" in env, "auth user not recorded: %s" % env)
check(b"with ESMTPA id" in gwa.job(text[-1].split()[-1], "msg"), "Received: lacks ESMTPA")
gwa.stop()
print("ok networks, AUTH and allow-sender")

gwn = Gateway(extra="mta receive allow 10.0.0.0/8\n").start()
c = gwn.client()
check(c.greeting[0] == 554 and c.greeting[1][0].startswith("5.7.1") and "allow" in c.greeting[1][0],
      "client outside allow without AUTH: %s" % (c.greeting,))
check(c.closed(), "refused client not closed")
gwn.stop()
print("ok clients outside mta receive allow refused")

# ---- the log: one line per session and per accepted message
log = gw.logtext(None)
check("result=accepted job=%s" % jid in log and "size=" in log, "accepted line missing:\n" + log)
time.sleep(0)
print("all passed")
