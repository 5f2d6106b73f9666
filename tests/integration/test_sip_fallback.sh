#!/bin/sh
# The sender asks for T.38 by re-INVITE, the answering side refuses it
# (t38 off: 488); the call stays on G.711 and completes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

make_page "$T/p1.tif" "Fallback page"
port=$(free_port)
start_answer f "$port" --count 1 --g711
sleep 0.3
run_send f "$port" "$T/p1.tif" --t38
wait_answer f
cat "$T/f.s.out" "$T/f.a.out"
exited f s 0
exited f a 0
expect f s result ok
expect f s t38 0
expect f a result ok
expect f a t38 0
grep -q 't38 re-INVITE sent' "$T/f.s.err" || fail "no re-INVITE was tried"
grep -q 're-INVITE refused' "$T/f.a.err" || fail "the answering side did not refuse"
grep -q 'staying on g711' "$T/f.s.err" || fail "no fallback logged"
same_pages "$T/p1.tif" "$(received f)"
echo "fallback: ok"
