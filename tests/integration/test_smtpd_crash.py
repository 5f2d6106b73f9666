#!/usr/bin/env python3
# t37-test: exclusive (loads the machine or measures timing; runs alone)
"""Crash safety of the offramp intake: kill -9 during a flood of
submissions from parallel clients, restart, and check the spool: every
message that got its 250 is there, byte for byte; every job there is a
whole message whose final dot was sent (a commit finished after the
client's last byte but before its 250 went out is allowed: SMTP's
duplicate window); nothing of a message cut before its final dot, and
nothing left in tmp/."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check  # noqa: E402

CLIENTS = 8
gw = Gateway(max_size=200000).start()
lock = threading.Lock()
acked = {}          # marker -> job id (got 250)
dotted = set()      # markers whose final dot was sent
stop = threading.Event()


def body_of(marker):
    return ("Subject: %s\r\n\r\n" % marker + ("%s line\r\n" % marker) * (20 + hash(marker) % 400))


def flood(n):
    i = 0
    while not stop.is_set():
        try:
            c = gw.client(timeout=5)
            c.expect("EHLO flood.test", 250)
            while not stop.is_set():
                marker = "m%d-%d" % (n, i)
                i += 1
                c.expect("MAIL FROM:<alice@example.com>", 250)
                c.expect("RCPT TO:<FAX=+19195551234@fax.test>", 250)
                c.expect("DATA", 354)
                c.send(body_of(marker))
                with lock:
                    dotted.add(marker)
                c.send(".\r\n")
                code, text = c.reply()
                if code == 250:
                    with lock:
                        acked[marker] = text[-1].split()[-1]
        except Exception:
            time.sleep(0.01)     # the daemon is gone; keep trying until told to stop


threads = [threading.Thread(target=flood, args=(n,), daemon=True) for n in range(CLIENTS)]
for t in threads:
    t.start()
time.sleep(3)
gw.kill9()
stop.set()
for t in threads:
    t.join(10)
check(len(acked) > 20, "too few messages accepted before the kill: %d" % len(acked))

gw.start()          # recovery at start-up (tmp/ emptied)
time.sleep(0.5)
jobs = gw.jobs()
for marker, jid in acked.items():
    check(jid in jobs, "message %s got 250 (job %s) but is not in the spool" % (marker, jid))
    msg = gw.job(jid, "msg")
    check(msg.endswith(body_of(marker).encode()), "job %s is not message %s intact" % (jid, marker))
acked_ids = set(acked.values())
unacked = 0
for jid in jobs:
    msg = gw.job(jid, "msg").decode()
    marker = msg.split("Subject: ", 1)[1].split("\r\n", 1)[0]
    check(marker in dotted, "job %s holds %s whose final dot was never sent" % (jid, marker))
    check(msg.endswith(body_of(marker)), "job %s (%s) is not whole" % (jid, marker))
    check("\nsize " in gw.job(jid, "env").decode(), "job %s env incomplete" % jid)
    if jid not in acked_ids:
        unacked += 1
check(gw.tmp_entries() == [], "tmp/ not empty after restart: %s" % gw.tmp_entries())
print("accepted=%d in-spool=%d committed-but-unacknowledged=%d" % (len(acked), len(jobs), unacked))
check(unacked <= CLIENTS, "more unacknowledged jobs than sessions in flight: %d" % unacked)
gw.stop()
print("all passed")
