#!/bin/sh
# Who may call a gateway configured the Cisco way, without a trunk: the
# address a voip dial-peer calls (session target ipv4:) is the carrier, and
# its INVITEs are admitted (here 404: no mmoip dial-peer takes the number);
# any other address, loopback included, gets 403 before any call exists.
. tests/integration/lib.sh
python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.3", 0))' \
    2>/dev/null || skip "cannot bind 127.0.0.3"
sport=$(free_port)
cat > "$T/gw.conf" <<CONF
hostname gw.test
spool $T/spool
sip
 listen udp 127.0.0.1 $sport
mta send maildir maildir
mta receive listen 127.0.0.1 $(free_port)
dial-peer voice 400 voip
 destination-pattern 1919.......
 session target ipv4:127.0.0.2:5060
 clid network-number +19195550100
CONF
"$BUILD/t37gw" -t -c "$T/gw.conf" || fail "config rejected"
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_for 10 grep -q 'event=start result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "t37gw did not start"; }
for src in 127.0.0.2 127.0.0.3 127.0.0.1; do
    python3 tests/integration/sip_flood.py "$src" "$sport" 5 1 "$T/none" > "$T/$src.out"
    cat "$T/$src.out"
done
grep -q ' 404=' "$T/127.0.0.2.out" && ! grep -q ' 403=' "$T/127.0.0.2.out" \
    || fail "the carrier's calls were not admitted"
grep -q ' 403=5$' "$T/127.0.0.3.out" || fail "a stranger was admitted"
grep -q ' 403=5$' "$T/127.0.0.1.out" || fail "loopback was admitted beside the carrier"
kill "$gw"; wait "$gw" 2>/dev/null || true
echo "session target addresses admitted: ok"
