#!/usr/bin/env python3
# t37-test: exclusive (loads the machine or measures timing; runs alone)
"""SMTP AUTH guessing on the offramp listener, against the running daemon:

1. 2,000 wrong passwords from one address (127.0.0.2) as fast as it can
   send them (20 sessions at a time, AUTH lines pipelined up to each
   session's error budget): only the first 5 are checked (535), every
   later one gets 454 4.7.0 unchecked, and the lock is logged once.
2. The right password from another address (127.0.0.3) still works at
   once, and from the locked one it gets 454 (no oracle).
3. One account guessed from many addresses, one try each: after 10
   failures for that name each failing address is locked at once, while
   the owner, from an address that never failed, logs in."""
import base64
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check  # noqa: E402

ADDR_MAX, USER_MAX = 5, 10
gw = Gateway(extra="mta receive auth alice s3cret\nmta receive auth bob hunter2\n"
                   "mta receive auth-clear\nfax send hold\n").start()


def plain(user, password):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def client_from(addr, timeout=10):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((addr, 0))
    s.connect(("127.0.0.1", gw.port))
    return s


def replies(s, n):
    """Codes of the next n replies after the greeting and the EHLO reply
    (fewer at EOF)."""
    buf, codes = b"", []
    while True:
        lines = buf.split(b"\r\n")[:-1]
        final = [l for l in lines if len(l) >= 4 and l[3:4] == b" "]
        if len(final) >= n + 2:
            break
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    for l in buf.split(b"\r\n"):
        if len(l) >= 4 and l[3:4] == b" ":
            codes.append(l[:3].decode())
    return codes[2:]        # the 220 and the EHLO reply


def session(addr, lines):
    """EHLO, then lines pipelined; codes of the replies to lines."""
    s = client_from(addr)
    s.sendall(b"EHLO attacker.test\r\n" + "".join(l + "\r\n" for l in lines).encode())
    codes = replies(s, len(lines))
    s.close()
    return codes[:len(lines)]


# ---- 1. 2,000 wrong passwords from one address
t0 = time.time()
counts = {}
sent = 0
while sent < 2000:
    socks = []
    for _ in range(20):                     # the per-client session cap
        s = client_from("127.0.0.2")
        s.sendall(b"EHLO attacker.test\r\n" + b"".join(
            ("AUTH PLAIN %s\r\n" % plain("alice", "guess%d-%d" % (sent, i))).encode()
            for i in range(10)))
        socks.append(s)
        sent += 10
    for s in socks:
        for code in replies(s, 10 + 1):
            counts[code] = counts.get(code, 0) + 1
        s.close()
el = time.time() - t0
print("2,000 wrong passwords from 127.0.0.2 in %.2fs: replies %s" % (el, counts))
check(counts.get("535", 0) == ADDR_MAX, "%d passwords were checked, want %d"
      % (counts.get("535", 0), ADDR_MAX))
check(counts.get("454", 0) >= 1990 - ADDR_MAX, "throttled replies: %s" % counts)
check("235" not in counts, "a wrong password was accepted")
log = gw.logtext(None)
check(log.count("client=127.0.0.2 auth=throttled reason=address") == 1,
      "the address lock is not logged exactly once")
check(log.count("client=127.0.0.2 auth=failed") == ADDR_MAX,
      "%d failures logged, want %d" % (log.count("client=127.0.0.2 auth=failed"), ADDR_MAX))
print("ok: only %d guesses checked, the rest got 454 4.7.0, one log line" % ADDR_MAX)

# ---- 2. the right password: from elsewhere it works, from the locked address not
codes = session("127.0.0.3", ["AUTH PLAIN " + plain("alice", "s3cret")])
check(codes == ["235"], "alice from 127.0.0.3: %s" % codes)
codes = session("127.0.0.2", ["AUTH PLAIN " + plain("alice", "s3cret")])
check(codes == ["454"], "the locked address learns nothing: %s" % codes)
print("ok: the owner logs in from another address; the locked one gets 454")

# ---- 3. one account, many addresses, one guess each
locked = []
for i in range(USER_MAX + 5):
    addr = "127.0.1.%d" % (i + 1)
    codes = session(addr, ["AUTH PLAIN " + plain("bob", "guess%d" % i)])
    check(codes == ["535"], "%s: %s" % (addr, codes))
    again = session(addr, ["AUTH PLAIN " + plain("bob", "hunter2")])
    locked.append(again == ["454"])
check(locked == [False] * (USER_MAX - 1) + [True] * 6,
      "addresses locked after the attack on bob: %s" % locked)
codes = session("127.0.0.4", ["AUTH PLAIN " + plain("bob", "hunter2")])
check(codes == ["235"], "bob from an address that never failed: %s" % codes)
log = gw.logtext(None)
check("auth=throttled reason=user user=bob failures=%d" % USER_MAX in log,
      "the attack on bob is not logged")
print("ok: a guessed account locks each guessing address, its owner gets in")
check(gw.proc.poll() is None, "the daemon died")
gw.stop()
print("all passed")
