#!/bin/sh
# A flood on the media ports: from before the first call to after the
# last, another host (127.0.0.5) sends RTP-shaped datagrams to every port
# of the gateway's rtp-ports range, 20,000 a second in all. A G.711 call
# and then a T.38 call come in meanwhile from t37fax. Both faxes are
# mailed with the page that was sent, row for row: the frames read and
# drop the foreign datagrams (the log counts them, foreign=N, on the
# call's rtp and udptl lines), and where a foreign datagram reached a port
# before the peer's first one, the peer, sending from its SDP address,
# takes the latch back. The clock skips no frame.
. tests/integration/lib.sh
. tests/integration/sip_lib.sh

# Ten free ports from an even one: the range the gateway takes them from.
# Above the kernel's ephemeral ports (32768-60999 by default): the ports
# it hands out and the ones the tests running beside this one listen on
# (ports.py) lie below, so the flood reaches no other test.
base=$(python3 - <<'PY'
import random, socket, sys
lo, hi = (int(x) for x in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
first = max(hi + 1, 61000) // 10 * 10 + 10
if first >= 65520:
    sys.exit(2)         # no room above the ephemeral ports
for _ in range(200):
    b = random.randrange(first, 65520, 10)
    held = []
    try:
        for p in range(b, b + 10):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            held.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in held:
            s.close()
    print(b)
    sys.exit(0)
sys.exit(1)
PY
) || { [ $? -eq 2 ] && skip "no ports above the ephemeral range"; fail "no ten free UDP ports"; }
sport=$(free_port); mport=$(free_port)
cat > "$T/gw.conf" <<CONF
hostname gw.test
spool $T/spool
sip
 listen udp 127.0.0.1 $sport
 rtp-ports $base $((base + 9))
 max-calls 2
mta send maildir $T/maildir
mta receive listen 127.0.0.1 $mport
dial-peer voice 200 mmoip
 destination-pattern 99131..
 information-type fax
 session target mailto:fax-\$d\$@example.com
CONF
"$BUILD/t37gw" -t -c "$T/gw.conf" || fail "config rejected"
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_port "$mport" 10 || { cat "$T/gw.log"; fail "t37gw does not listen"; }

# The flood: RTP version 2, PCMU, random SSRC and sequence, silence, in
# bursts of 100 every 5 ms; it ends at the stop file or after 300 s.
python3 - "$base" "$T/stop" "$T/flood.count" <<'PY' &
import os, random, socket, struct, sys, time
base, stop, count = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.5", 0))
ssrc, seq, n = random.getrandbits(32), random.getrandbits(16), 0
end = time.monotonic() + 300
while not os.path.exists(stop) and time.monotonic() < end:
    for i in range(100):
        seq = (seq + 1) & 0xffff
        pkt = struct.pack("!BBHII", 0x80, 0, seq, seq * 160 & 0xffffffff, ssrc) + b"\xff" * 160
        try:
            s.sendto(pkt, ("127.0.0.1", base + i % 10))
            n += 1
        except OSError:
            pass        # the port's ICMP unreachable, reported on a later send
    time.sleep(0.005)
open(count, "w").write("%d\n" % n)
PY
flood=$!; t37_bg $flood
sleep 1

make_page "$T/p.tif" "Media flood"
count_mail() { find "$T/maildir/new" -type f 2>/dev/null | wc -l; }
mailed() { [ "$(count_mail)" -ge "$1" ]; }
timeout 240 "$T37FAX" send --g711 "sip:9913170@127.0.0.1:$sport" "$T/p.tif" \
    > "$T/g.out" 2> "$T/g.err" || true
grep -q ' result=ok ' "$T/g.out" ||
    { cat "$T/g.out" "$T/g.err"; tail -n 30 "$T/gw.log"; fail "the G.711 call failed in the flood"; }
timeout 240 "$T37FAX" send --t38 "sip:9913170@127.0.0.1:$sport" "$T/p.tif" \
    > "$T/t.out" 2> "$T/t.err" || true
grep -q ' result=ok .*t38=1 ' "$T/t.out" ||
    { cat "$T/t.out" "$T/t.err"; tail -n 30 "$T/gw.log"; fail "the T.38 call failed in the flood"; }
touch "$T/stop"
wait $flood || true
sent=$(cat "$T/flood.count" 2>/dev/null || echo 0)
wait_for 60 mailed 2 || { tail -n 30 "$T/gw.log"; fail "want 2 mails, have $(count_mail)"; }
mailed_tiffs "$T/maildir/new" "$T/rx"
for f in "$T"/rx/*.tif; do same_pages "$T/p.tif" "$f"; done

# What the frames dropped, from the calls' closing lines.
rtp=$(sed -n 's/.* rtp stored=.* foreign=\([0-9]*\).*/\1/p' "$T/gw.log" | head -n 1)
udptl=$(sed -n 's/.* udptl received=.* foreign=\([0-9]*\).*/\1/p' "$T/gw.log" | head -n 1)
[ "${rtp:-0}" -ge 1000 ] || { grep -E ' (rtp|udptl) ' "$T/gw.log"; fail "RTP foreign=${rtp:-none}"; }
[ "${udptl:-0}" -ge 1000 ] ||
    { grep -E ' (rtp|udptl) ' "$T/gw.log"; fail "UDPTL foreign=${udptl:-none}"; }
grep -q 'frames skipped' "$T/gw.log" && { grep 'frames skipped' "$T/gw.log"; fail "the clock skipped frames"; }
grep -q 'LeakSanitizer\|AddressSanitizer\|runtime error' "$T/gw.log" && fail "sanitizer report"
echo "media flood: $sent datagrams sent; G.711 and T.38 faxes whole; dropped by the frames:" \
    "RTP $rtp, UDPTL $udptl"
