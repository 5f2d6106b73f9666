#!/usr/bin/env python3
"""A scripted SIP peer over UDP on 127.0.0.1 for the call tests.

    sip_peer.py PORT reply STATUS    answer every INVITE with STATUS ("503
                                     Service Unavailable"), take the ACK
    sip_peer.py PORT voice           answer 200 with G.711 SDP, then stay
                                     silent (no RTP, never T.30): a line
                                     that is not a fax machine; answers
                                     OPTIONS and BYE with 200
    sip_peer.py PORT blackhole       read and never answer

It runs until SIGTERM or for at most 300 s."""
import re
import signal
import socket
import sys
import time

LIMIT_S = 300


def header(msg, name):
    m = re.search(r"^%s:[ \t]*(.*?)\r$" % name, msg, re.M | re.I)
    return m.group(1) if m else ""


def reply(sock, addr, req, status, body="", extra=""):
    to = header(req, "To")
    if ";tag=" not in to:
        to += ";tag=peer%d" % sock.getsockname()[1]
    lines = ["SIP/2.0 " + status]
    lines += ["Via: " + v for v in re.findall(r"^Via:[ \t]*(.*?)\r$", req, re.M | re.I)]
    lines += ["From: " + header(req, "From"), "To: " + to,
              "Call-ID: " + header(req, "Call-ID"), "CSeq: " + header(req, "CSeq"),
              "Contact: <sip:peer@127.0.0.1:%d>" % sock.getsockname()[1]]
    if body:
        lines.append("Content-Type: application/sdp")
    msg = "\r\n".join(lines + [extra + "Content-Length: %d" % len(body), "", body])
    sock.sendto(msg.encode(), addr)


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    status = sys.argv[3] if len(sys.argv) > 3 else ""
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    sock.settimeout(1)
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", 0))
    sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % rtp.getsockname()[1])
    end = time.time() + LIMIT_S
    while time.time() < end:
        try:
            data, addr = sock.recvfrom(65535)
        except socket.timeout:
            continue
        req = data.decode("utf-8", "replace")
        method = req.split(" ", 1)[0]
        if mode == "blackhole" or method in ("ACK", "SIP/2.0"):
            continue
        if method == "INVITE" and mode == "reply":
            reply(sock, addr, req, status)
        elif method == "INVITE":
            reply(sock, addr, req, "200 OK", sdp)
        elif method in ("OPTIONS", "BYE", "CANCEL"):
            reply(sock, addr, req, "200 OK")
        else:
            reply(sock, addr, req, "501 Not Implemented")


if __name__ == "__main__":
    main()
