#!/bin/sh
# t37-test: long
# A two-page fax over G.711 between t37fax send and t37fax answer on
# loopback: both sides report ok without T.38, the received pages are
# pixel-identical to the sent ones.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

make_page "$T/p1.tif" "G711 page one"
make_page "$T/p2.tif" "G711 page two"
tiffcp "$T/p1.tif" "$T/p2.tif" "$T/sent.tif"
port=$(free_port)
start_answer g "$port" --count 1 --ident "RX 1"
sleep 0.3
run_send g "$port" "$T/p1.tif $T/p2.tif" --g711 --ident "TX 1" --from 4000
wait_answer g
cat "$T/g.s.out" "$T/g.a.out"
[ "$(cat "$T/g.s.rc")" = 0 ] || { cat "$T/g.s.err"; fail "send exited $(cat "$T/g.s.rc")"; }
[ "$(cat "$T/g.a.rc")" = 0 ] || fail "answer exited $(cat "$T/g.a.rc")"
expect g s result ok
expect g s pages 2
expect g s t38 0
expect g s sip 200
expect g a result ok
expect g a pages 2
expect g a t38 0
grep -q 'remote="TX 1"' "$T/g.a.out" || fail "answer side did not see TSI 'TX 1'"
grep -q 'remote="RX 1"' "$T/g.s.out" || fail "send side did not see CSI 'RX 1'"
same_pages "$T/sent.tif" "$(received g)"
# the answering side logged the call with the numbers
grep -q 'dir=onramp ani=4000 dnis=9913170 .*media=g711 sip=200 result=ok pages=2' "$T/g.a.err" ||
    fail "no call= log line on the answering side"
echo "g711: ok"
