#!/bin/sh
# T.38 three ways, in parallel: re-INVITE from the sender (on CED), from
# the receiver (on CNG), and T.38 in the initial INVITE. Each completes on
# T.38 with pixel-identical pages.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

make_page "$T/p1.tif" "T38 page"
p1=$(free_port); p2=$(free_port); p3=$(free_port)
start_answer snd "$p1" --count 1
start_answer rcv "$p2" --count 1 --t38
start_answer ini "$p3" --count 1
sleep 0.3
run_send snd "$p1" "$T/p1.tif" --t38 &
s1=$!
run_send rcv "$p2" "$T/p1.tif" &
s2=$!
run_send ini "$p3" "$T/p1.tif" --t38-offer &
s3=$!
wait $s1 $s2 $s3
for n in snd rcv ini; do
    wait_answer $n
    cat "$T/$n.s.out" "$T/$n.a.out"
    exited $n s 0
    exited $n a 0
    expect $n s result ok
    expect $n s t38 1
    expect $n a result ok
    expect $n a t38 1
    expect $n a pages 1
    same_pages "$T/p1.tif" "$(received $n)"
done
grep -q 't38 re-INVITE sent' "$T/snd.s.err" || fail "the sender did not re-INVITE"
grep -q 't38 re-INVITE sent' "$T/rcv.a.err" || fail "the receiver did not re-INVITE"
! grep -q 't38 re-INVITE sent' "$T/ini.s.err" "$T/ini.a.err" || fail "re-INVITE with T.38 offered at once"
echo "t38: ok"
