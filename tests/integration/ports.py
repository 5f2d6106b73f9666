#!/usr/bin/env python3
"""Loopback ports for the tests' servers (the gateway's SIP and SMTP
listeners, t37fax answerers, Postfix, Kamailio, sinks).

A port the kernel hands out with bind(("127.0.0.1", 0)) lies in the
ephemeral range, and between the moment a test closes it and the moment
its server binds it, any connect() or unbound sendto() on the machine can
take it as a source port, or another test running beside this one can be
handed the same number. Both happened. So the ports come from below the
ephemeral range, where the kernel never picks a port by itself, and above
the default rtp-ports range (20000-29999) that the gateways and t37fax
take media ports from. They are handed out in turn through a counter file
locked with flock, so that tests running side by side never get the same
port until the pool wraps around. Each one is checked free for TCP and
UDP before it is given (SIP listens on both with the same number).

When the ephemeral range leaves no such room on this machine, the port is
one the kernel picks, as before.

usage: ports.py            prints one free port
"""
import fcntl
import os
import socket
import tempfile

POOL_LO = 30000         # above the default rtp-ports 20000-29999
POOL_MIN_SIZE = 500     # fewer ports than this: use the kernel's
COUNTER = os.path.join(tempfile.gettempdir(), "t37-test-ports-%d" % os.getuid())


def _ephemeral_lo():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free_both(port):
    """True when port is free on 127.0.0.1 for TCP and for UDP."""
    t = socket.socket()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t.bind(("127.0.0.1", port))
        u.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        t.close()
        u.close()


def _kernel_port():
    while True:
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
        finally:
            t.close()
        if _free_both(port):
            return port


def free_port():
    """A port free for TCP and UDP on 127.0.0.1 that no other test is
    given at the same time (see the module's text)."""
    hi = _ephemeral_lo() - 1
    size = hi - POOL_LO + 1
    if size < POOL_MIN_SIZE:
        return _kernel_port()
    fd = os.open(COUNTER, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            nxt = int(os.read(fd, 32) or b"0")
        except ValueError:
            nxt = 0
        port = None
        for _ in range(size):
            cand = POOL_LO + nxt % size
            nxt = (nxt + 1) % size
            if _free_both(cand):
                port = cand
                break
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, b"%d" % nxt)
    finally:
        os.close(fd)        # releases the lock
    return port if port is not None else _kernel_port()


if __name__ == "__main__":
    print(free_port())
