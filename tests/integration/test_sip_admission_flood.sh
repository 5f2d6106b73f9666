#!/bin/sh
# t37-test: exclusive (loads the machine or measures timing; runs alone)
# SIP admission under an INVITE flood, on loopback. The trunk is
# 127.0.0.1; a flooder at 127.0.0.2 sends 500 INVITEs a second (each a new
# Call-ID, a valid audio offer, never an ACK) while the trunk places a real
# fax with t37fax send. The gateway has 4 lines.
#  1. The flooder is not a trunk and not allowed: every INVITE gets 403
#     before any call exists; the fax gets through and is mailed; the log
#     carries a handful of refusal lines, not thousands.
#  2. After a reload that allows 127.0.0.2 with max-call-rate 5 and
#     max-calls-per-source 2: the flooder holds at most two lines, the
#     rest of its INVITEs get 486, and the trunk's fax still gets a line.
. tests/integration/lib.sh
. tests/integration/sip_lib.sh
python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.2", 0))' \
    2>/dev/null || skip "cannot bind 127.0.0.2"

make_page "$T/p1.tif" "Through the flood"
sport=$(free_port); tport=$(free_port)
write_conf() {
    cat > "$T/gw.conf" <<CONF
hostname gw.test
spool $T/spool
sip
 listen udp 127.0.0.1 $sport
 max-calls 4
$1
trunk carrier
 proxy sip:127.0.0.1:$tport
mta send maildir maildir
dial-peer voice 200 mmoip
 destination-pattern 99131..
 information-type fax
 session target mailto:fax-\$d\$@example.com
CONF
}
write_conf ""
"$BUILD/t37gw" -t -c "$T/gw.conf" || fail "config rejected"
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_for 10 grep -q 'event=start result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "t37gw did not start"; }

# flood_and_fax NAME: the flood runs while the trunk sends the fax.
flood_and_fax() {
    rm -f "$T/stop"
    python3 tests/integration/sip_flood.py 127.0.0.2 "$sport" 500 150 "$T/stop" \
        > "$T/$1.flood" 2>&1 &
    fl=$!; t37_bg $fl
    sleep 1
    rc=0
    timeout 150 "$BUILD/t37fax" send --from 9194724118 "sip:9913170@127.0.0.1:$sport" \
        "$T/p1.tif" > "$T/$1.out" 2> "$T/$1.err" || rc=$?
    touch "$T/stop"
    wait "$fl" || true
    cat "$T/$1.out" "$T/$1.flood"
    [ "$rc" -eq 0 ] || { tail -n 30 "$T/gw.log"; fail "$1: the trunk's fax failed during the flood"; }
    sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$T/$1.flood")
    [ "${sent:-0}" -ge 1000 ] || fail "$1: the flood sent only ${sent:-0} INVITEs"
}
count() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$2" | head -n 1; }

# 1. Not admitted: 403 to all of it.
flood_and_fax refused
n403=$(count 403 "$T/refused.flood")
[ "${n403:-0}" -ge 1000 ] || fail "want 403 to the flood, got ${n403:-0}"
grep -q ' 200=\| 486=\| 404=' "$T/refused.flood" && fail "the flood got past admission"
wait_for 30 sh -c "ls '$T/spool/maildir/new' 2>/dev/null | grep -q ." || fail "fax not mailed"
grep 'event=routed' "$T/gw.log" | grep -q 'src=127.0.0.2' && fail "a flood call was routed"
grep 'event=routed' "$T/gw.log" | grep -q 'src=127.0.0.1' || fail "no routed line for the trunk"
refusals=$(grep -c 'event=sip-refused' "$T/gw.log")
echo "refusal log lines: $refusals for $n403 refusals"
[ "$refusals" -ge 1 ] && [ "$refusals" -le 60 ] || { grep 'event=sip-refused' "$T/gw.log" | head; fail "$refusals refusal lines"; }
grep -q 'event=sip-refused src=127.0.0.2 reason=not-allowed sip=403 method=INVITE' "$T/gw.log" \
    || fail "no refusal line naming the source"
grep -q 'event=sip-refused-summary src=127.0.0.2 secs=10 not-allowed=' "$T/gw.log" \
    || wait_for 12 grep -q 'event=sip-refused-summary src=127.0.0.2' "$T/gw.log" \
    || fail "no summary of the refusals"

# 2. Admitted but limited (reload).
write_conf " allow 127.0.0.2/32
 max-call-rate 5
 max-calls-per-source 2"
kill -HUP "$gw"
wait_for 10 grep -q 'event=reload result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "reload failed"; }
flood_and_fax limited
n486=$(count 486 "$T/limited.flood")
n200=$(count 200 "$T/limited.flood")
[ "${n486:-0}" -ge 500 ] || fail "want 486 to most of the flood, got ${n486:-0}"
[ "${n200:-0}" -ge 1 ] || fail "the allowed source got no call at all"
wait_for 30 sh -c "[ \$(ls '$T/spool/maildir/new' | wc -l) -eq 2 ]" || fail "second fax not mailed"
grep -q 'event=sip-refused.*src=127.0.0.2.*\(calls-per-source\|call-rate\)' "$T/gw.log" \
    || wait_for 12 grep -q 'event=sip-refused-summary src=127.0.0.2 .*call' "$T/gw.log" \
    || fail "no log of the limits"
kill "$gw"; wait "$gw" 2>/dev/null || true
echo "admission under a flood: ok"
