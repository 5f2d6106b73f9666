#!/usr/bin/env python3
"""A SIP trunk that writes down every INVITE it gets and answers 486 Busy
Here (so the caller's retry ladder keeps the job and places no other
call for a while). Each INVITE goes to DIR/invite-N.txt as received.
Listens on 127.0.0.1:PORT until COUNT INVITEs arrived or SECS passed.

usage: sip_capture.py PORT DIR COUNT SECS
"""
import os
import re
import socket
import sys
import time


def header(msg, name):
    m = re.search(r"^%s:[ \t]*(.*?)\r$" % re.escape(name), msg, re.M | re.I)
    return m.group(1) if m else None


def main():
    port, out, count, secs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    os.makedirs(out, exist_ok=True)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.5)
    seen = {}
    end = time.time() + secs
    while time.time() < end and len(seen) < count:
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        msg = data.decode("utf-8", "replace")
        if not msg.startswith("INVITE "):
            continue                    # ACKs to our 486
        cid = header(msg, "Call-ID")
        if cid not in seen:
            seen[cid] = len(seen)
            with open(os.path.join(out, "invite-%d.txt" % seen[cid]), "w") as f:
                f.write(msg)
        resp = "SIP/2.0 486 Busy Here\r\n"
        for h in re.findall(r"^Via:.*?\r$", msg, re.M | re.I):
            resp += h.rstrip("\r") + "\r\n"
        resp += "From: %s\r\nTo: %s;tag=cap%d\r\nCall-ID: %s\r\nCSeq: %s\r\n" \
            "Content-Length: 0\r\n\r\n" % (header(msg, "From"), header(msg, "To"),
                                             seen[cid], cid, header(msg, "CSeq"))
        s.sendto(resp.encode(), peer)
    print("invites=%d" % len(seen))


if __name__ == "__main__":
    main()
