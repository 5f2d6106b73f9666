#!/usr/bin/env python3
"""An INVITE flood for the admission tests: well-formed INVITEs with an
audio offer and a new Call-ID each, RATE a second from SRC_ADDR to the
gateway on 127.0.0.1:PORT, until STOPFILE exists or SECS have passed. It
never ACKs nor answers. At the end it prints one line with what it sent
and the final responses it got by status: "sent=N 403=N 486=N 200=N ...".

usage: sip_flood.py SRC_ADDR PORT RATE SECS STOPFILE
"""
import collections
import os
import socket
import sys
import time


def main():
    src, port, rate, secs, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        float(sys.argv[4]), sys.argv[5]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setblocking(False)
    me = s.getsockname()[1]
    sdp = ("v=0\r\no=flood 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
           "m=audio 9 RTP/AVP 0\r\n" % (src, src))
    got = collections.Counter()
    sent = 0
    start = time.time()
    while time.time() - start < secs and not os.path.exists(stop):
        due = int((time.time() - start) * rate) + 1
        while sent < due:
            cid = "flood-%d-%d" % (os.getpid(), sent)
            msg = ("INVITE sip:9913170@127.0.0.1:%d SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:666@%s>;tag=%s\r\n"
                   "To: <sip:9913170@127.0.0.1>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"
                   "Contact: <sip:666@%s:%d>\r\nContent-Type: application/sdp\r\n"
                   "Content-Length: %d\r\n\r\n%s"
                   % (port, src, me, cid, src, cid, cid, src, me, len(sdp), sdp))
            try:
                s.sendto(msg.encode(), ("127.0.0.1", port))
            except OSError:
                got["send-error"] += 1
            sent += 1
        while True:
            try:
                data = s.recv(65535)
            except BlockingIOError:
                break
            parts = data.split(b" ", 2)
            if parts[0] == b"SIP/2.0" and len(parts) > 1:
                code = parts[1].decode()
                if not code.startswith("1"):
                    got[code] += 1
        time.sleep(0.001)
    print("sent=%d %s" % (sent, " ".join("%s=%d" % kv for kv in sorted(got.items()))))


if __name__ == "__main__":
    main()
