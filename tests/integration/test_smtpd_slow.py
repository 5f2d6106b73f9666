#!/usr/bin/env python3
"""Slow clients on the offramp listener, against the running daemon with
`mta receive session-deadline 10`: a client that sends one byte per second
(every byte used to restart the read timeout, so it was never cut off), one
that sends a NOOP every second, and one that dribbles its message after
DATA are all closed with 421 4.4.2 once the deadline passes, and nothing
they sent is spooled; a normal client meanwhile is served at once."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check, send_mail  # noqa: E402

DEADLINE = 10
gw = Gateway(extra="mta receive session-deadline %d\nfax send hold\n" % DEADLINE).start()
results = {}


def slow(name, setup, chunks):
    """Sends chunks one per second after setup; records (seconds, reply)."""
    c = gw.client(timeout=DEADLINE + 20)
    t0 = time.time()
    for line, code in setup:
        c.expect(line, code)
    reply = b""
    try:
        for i, chunk in enumerate(chunks):
            c.sock.sendall(chunk)
            # read what comes until this chunk's second is over
            while time.time() < t0 + i + 1 and b"421 " not in reply:
                c.sock.settimeout(max(0.01, t0 + i + 1 - time.time()))
                try:
                    data = c.sock.recv(4096)
                except socket.timeout:
                    break
                if not data:
                    raise EOFError
                reply += data
            if b"421 " in reply:
                break
        c.sock.settimeout(5)
        while b"421 " not in reply:
            data = c.sock.recv(4096)
            if not data:
                break
            reply += data
    except (OSError, EOFError):
        pass
    results[name] = (time.time() - t0, reply.decode("utf-8", "replace"))
    c.close()


trickle = [bytes([b]) for b in b"MAIL FROM:<slow@loris.example>\r\n" * 4]
noops = [b"NOOP\r\n"] * 40
body = [b"line %d of a message that never ends\r\n" % i for i in range(40)]
tx = [("EHLO slow.test", 250), ("MAIL FROM:<slow@loris.example>", 250),
      ("RCPT TO:<FAX=+19195551234@fax.test>", 250), ("DATA", 354)]
threads = [threading.Thread(target=slow, args=("byte-per-second", [], trickle)),
           threading.Thread(target=slow, args=("noop-per-second", [("EHLO n.test", 250)], noops)),
           threading.Thread(target=slow, args=("slow-data", tx, body))]
for th in threads:
    th.start()
time.sleep(2)
t = time.time()
code, text = send_mail(gw.client(timeout=5))
check(code == 250, "a normal client beside the slow ones: %d %s" % (code, text))
print("normal transaction beside three slow clients: %.3fs" % (time.time() - t))
for th in threads:
    th.join(DEADLINE + 30)
for name, (secs, reply) in sorted(results.items()):
    print("%s: closed after %.1fs: %r" % (name, secs, reply[-90:]))
    check("421 4.4.2 gw.test Session time limit reached" in reply,
          "%s: no 421 for the session deadline: %r" % (name, reply[-200:]))
    check(DEADLINE - 1 <= secs <= DEADLINE + 5, "%s: cut after %.1fs, deadline %ds"
          % (name, secs, DEADLINE))
check(len(results) == 3, "a slow client did not finish: %s" % sorted(results))
check(len(gw.jobs()) == 1, "%d jobs spooled, want only the normal one" % len(gw.jobs()))
log = gw.logtext(None)
check(log.count("event=timeout reason=session-deadline") == 3, "deadline timeouts not logged")
check("event=lost phase=body" in log, "the dropped message is not logged as lost")
gw.stop()
print("all passed")
