#!/usr/bin/env python3
# t37-test: exclusive (loads the machine or measures timing; runs alone)
"""No host can lock the offramp listener: 2,000 idle connections from 40
loopback addresses (127.0.0.2-127.0.0.41, 50 each) are opened and held,
then a legitimate client on 127.0.0.1 must complete a whole transaction
within LEGIT_SECONDS (a correctness bound, generous for the machine, not a
benchmark). The daemon runs with its default limits: at most 20 sessions
per client address, 200 in all; at the cap the idlest session is shed.

Also checked: the daemon holds no more sockets than its cap allows, the
sheds and refusals are logged rate-limited (a few lines and a summary, not
one per connection), the start-up log states the descriptor limit and the
session capacity, and legitimate clients still get through while the
attacker keeps reconnecting."""
import os
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import SKIP, Gateway, check, send_mail  # noqa: E402

ADDRS = ["127.0.0.%d" % i for i in range(2, 42)]
PER_ADDR = 50
LEGIT_SECONDS = 2.0 * (5 if os.environ.get("T37_SANITIZED") else 1)
MAX_SESSIONS, OVERFLOW = 200, 200 // 4 + 64

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
need = len(ADDRS) * PER_ADDR + 200
if hard != resource.RLIM_INFINITY and hard < need:
    print("RLIMIT_NOFILE hard limit %d is below the %d descriptors this test needs" % (hard, need))
    sys.exit(SKIP)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else need, hard))
try:
    s = socket.socket()
    s.bind((ADDRS[-1], 0))
    s.close()
except OSError as e:
    print("cannot bind %s: %s" % (ADDRS[-1], e))
    sys.exit(SKIP)

gw = Gateway(extra="fax send hold\n").start()
log0 = gw.logtext(None)
check("event=limits nofile=" in log0, "the descriptor limit is not logged")
check("smtp max-sessions=200 per-client=20 session-deadline=3600s minimum-rate=500" in log0,
      "the session limits and capacity are not logged:\n" + log0[-1500:])


def open_idle(addrs, per_addr):
    """Connects per_addr sockets from each address, never sends a byte.
    Returns (sockets, {state: count}) once every one has an answer."""
    sel = selectors.DefaultSelector()
    socks = []
    for a in addrs:
        for _ in range(per_addr):
            c = socket.socket()
            c.setblocking(False)
            c.bind((a, 0))
            try:
                c.connect(("127.0.0.1", gw.port))
            except BlockingIOError:
                pass
            socks.append(c)
            sel.register(c, selectors.EVENT_READ, c)
    first = {}
    end = time.time() + 30
    while len(first) < len(socks) and time.time() < end:
        for key, _ in sel.select(0.2):
            c = key.data
            try:
                data = c.recv(512)
            except OSError:
                data = b""
            first[c] = first.get(c, b"") + data
            if not data or b"\r\n" in first[c]:
                sel.unregister(c)
                first.setdefault(c, b"")
    states = {"greeted": 0, "per-client": 0, "full": 0, "closed": 0, "silent": 0}
    for c in socks:
        d = first.get(c)
        if d is None:
            states["silent"] += 1
        elif d.startswith(b"421 4.7.0"):
            states["per-client"] += 1
        elif d.startswith(b"421 4.3.2"):
            states["full"] += 1
        elif d.startswith(b"220 "):
            states["greeted"] += 1
        else:
            states["closed"] += 1
    sel.close()
    return socks, states


def legit(tag):
    """One whole transaction from 127.0.0.1; returns the seconds it took."""
    t = time.time()
    c = gw.client(timeout=LEGIT_SECONDS)
    code, text = send_mail(c, body="Subject: %s\r\n\r\nthrough the flood\r\n" % tag)
    c.expect("QUIT", 221)
    c.close()
    el = time.time() - t
    check(code == 250, "%s: %d %s" % (tag, code, text))
    return el


def daemon_sockets():
    out = subprocess.run(["ss", "-Htn", "state", "established", "( sport = :%d )" % gw.port],
                         stdout=subprocess.PIPE).stdout.decode()
    return len([line for line in out.splitlines() if line.strip()])


t0 = time.time()
idle, states = open_idle(ADDRS, PER_ADDR)
print("2,000 idle connections in %.1fs: %s" % (time.time() - t0, states))
check(states["greeted"] > 0, "no attacker connection was ever greeted")
check(states["per-client"] > 0, "the per-client cap never refused anyone")
check(states["silent"] == 0, "%d connections never got an answer" % states["silent"])
held = daemon_sockets()
check(held <= MAX_SESSIONS + OVERFLOW, "the daemon holds %d sockets, cap %d + %d"
      % (held, MAX_SESSIONS, OVERFLOW))

for i in range(3):
    el = legit("legit-%d" % i)
    print("legitimate transaction %d with 2,000 idle connections held: %.3fs" % (i, el))
    check(el < LEGIT_SECONDS, "legitimate transaction took %.2fs (bound %.1fs)" % (el, LEGIT_SECONDS))

# the attacker keeps reconnecting (each closed socket is opened again)
stop = threading.Event()
churned = [0]


def churn():
    while not stop.is_set():
        socks, _ = open_idle(ADDRS[:20], 10)
        churned[0] += len(socks)
        for c in socks:
            c.close()


th = threading.Thread(target=churn)
th.start()
try:
    time.sleep(0.5)
    for i in range(3):
        el = legit("churn-%d" % i)
        print("legitimate transaction %d while the attacker reconnects: %.3fs" % (i, el))
        check(el < LEGIT_SECONDS, "legitimate transaction took %.2fs (bound %.1fs)"
              % (el, LEGIT_SECONDS))
finally:
    stop.set()
    th.join()
print("the attacker reconnected %d times meanwhile" % churned[0])

for c in idle:
    c.close()
time.sleep(1)
check(gw.proc.poll() is None, "the daemon died")
log = gw.logtext(None)
events = [line for line in log.splitlines() if "event=shed" in line or "event=refused" in line]
per_conn = [line for line in log.splitlines() if "result=closed" in line and "client=127.0.0." in line
            and "client=127.0.0.1 " not in line]
print("log: %d shed/refusal lines, %d session lines for attacker addresses, %d bytes in all"
      % (len(events), len(per_conn), len(log)))
check(len(events) <= 60, "%d shed/refusal lines: not rate-limited" % len(events))
check(len(per_conn) <= 60, "%d per-session lines for the attacker: not rate-limited" % len(per_conn))
check(log.count("result=accepted") == 6, "not 6 accepted messages logged")
gw.stop()
log = gw.logtext(None)
check("event=overload" in log, "no overload summary line:\n" + log[-2000:])
print(log[log.index("event=overload") - 40:][:300])
print("all passed")
