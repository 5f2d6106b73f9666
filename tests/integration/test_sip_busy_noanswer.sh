#!/bin/sh
# Distinct results for a busy callee (486) and one that never answers
# (ring timeout, CANCEL: 487), and OPTIONS answered 200 with Allow.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

make_page "$T/p1.tif" "Busy page"
pb=$(free_port); pn=$(free_port)
start_answer b "$pb" --count 1 --busy
start_answer n "$pn" --count 1 --no-answer
sleep 0.3
# OPTIONS ping
python3 - "$pb" <<'PY' || fail "OPTIONS not answered 200 with Allow"
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); s.settimeout(3)
me = s.getsockname()[1]
req = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKopt1\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
       "Call-ID: opt1@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n") % (port, me)
s.sendto(req.encode(), ("127.0.0.1", port))
r = s.recv(4096).decode()
print(r.splitlines()[0])
sys.exit(0 if r.startswith("SIP/2.0 200") and "Allow: INVITE" in r else 1)
PY
run_send b "$pb" "$T/p1.tif" &
s1=$!
run_send n "$pn" "$T/p1.tif" --timeout 3 &
s2=$!
wait $s1 $s2
wait_answer b
wait_answer n
cat "$T/b.s.out" "$T/n.s.out"
[ "$(cat "$T/b.s.rc")" = 1 ] || fail "busy: send exited $(cat "$T/b.s.rc")"
[ "$(cat "$T/n.s.rc")" = 1 ] || fail "noanswer: send exited $(cat "$T/n.s.rc")"
exited b a 1
exited n a 1
expect b s result busy
expect b s sip 486
expect n s result noanswer
expect n s sip 487
expect n a result failed
echo "busy/noanswer: ok"
