#!/bin/sh
# t37-test: exclusive (loads the machine or measures timing; runs alone)
# sip realtime-priority: the line thread and the media thread beside it
# (sip threads 2), and only they, run under SCHED_RR at the priority
# configured; a fax comes in through it (t37fax sending
# with --realtime-priority too) and is mailed; a reload to 0 puts it back
# to normal scheduling. Where the kernel refuses (no CAP_SYS_NICE, real-time
# limit 0), t37gw and t37fax say so and work at normal priority.
. tests/integration/lib.sh
. tests/integration/sip_lib.sh

[ "$(id -u)" = 0 ] || skip "needs root to grant and to take away real-time scheduling"
command -v setpriv >/dev/null 2>&1 || skip "setpriv (util-linux) not installed"

# rr_threads PID: "TID:PRIORITY" for each of PID's threads under SCHED_RR
# (/proc/PID/task/TID/stat: after the command name in parentheses, field
# 40 is rt_priority and 41 the policy; SCHED_RR is 2).
rr_threads() {
    for s in /proc/"$1"/task/*/stat; do
        [ -r "$s" ] || continue
        sed 's/^.*) //' "$s" | awk -v t="$(basename "$(dirname "$s")")" \
            '$39 == 2 { printf "%s:%s\n", t, $38 }'
    done
}

# gw_conf FILE SIPPORT SMTPPORT PRIORITY
gw_conf() {
    cat > "$1" <<CONF
hostname gw.test
spool $T/spool.$2
sip
 listen udp 127.0.0.1 $2
 realtime-priority $4
 threads 2
mta send maildir $T/maildir.$2
mta receive listen 127.0.0.1 $3
dial-peer voice 200 mmoip
 destination-pattern 99131..
 information-type fax
 session target mailto:fax-\$d\$@example.com
CONF
}

# 1. Granted (root): two SCHED_RR threads at priority 7, the line and its
# media thread.
sport=$(free_port); mport=$(free_port)
gw_conf "$T/gw.conf" "$sport" "$mport" 7
"$BUILD/t37gw" -t -c "$T/gw.conf" || fail "config rejected"
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_port "$mport" 10 || { cat "$T/gw.log"; fail "t37gw does not listen"; }
grep -q 'sip: event=realtime policy=rr priority=7 result=ok' "$T/gw.log" \
    || { cat "$T/gw.log"; fail "no event=realtime result=ok line"; }
rr=$(rr_threads $gw)
[ "$(echo "$rr" | grep -c .)" = 2 ] || fail "want two SCHED_RR threads, got: '$rr'"
[ "$(echo "$rr" | grep -c ':7$')" = 2 ] || fail "SCHED_RR threads not at priority 7: $rr"
names=$(for t in $(echo "$rr" | cut -d: -f1); do cat "/proc/$gw/task/$t/comm"; done | sort | tr '\n' ' ')
[ "$names" = "t37-line t37-media1 " ] || fail "SCHED_RR threads are '$names', want the line and t37-media1"

# A fax through the real-time line, from a real-time sender, is mailed.
make_page "$T/p.tif" "Real-time line"
run_send rt "$sport" "$T/p.tif" --t38 --realtime-priority 5
exited rt s 0
expect rt s result ok
grep -q 'event=realtime policy=rr priority=5 result=ok' "$T/rt.s.err" \
    || { cat "$T/rt.s.err"; fail "t37fax did not get SCHED_RR"; }
wait_for 20 sh -c "ls '$T/maildir.$sport/new/'* >/dev/null 2>&1" \
    || { cat "$T/gw.log"; fail "the fax was not mailed"; }

# A reload to 0: back to normal scheduling, logged.
sed -i 's/^ realtime-priority 7$/ realtime-priority 0/' "$T/gw.conf"
kill -HUP $gw
wait_for 10 grep -q 'sip: event=realtime policy=other result=ok' "$T/gw.log" \
    || { cat "$T/gw.log"; fail "the reload did not restore normal scheduling"; }
rr=$(rr_threads $gw)
[ -z "$rr" ] || fail "SCHED_RR threads left after the reload: $rr"

# 2. Refused: no CAP_SYS_NICE and a real-time limit of 0. The gateway says
# why, runs at normal priority, and still takes a fax.
sport2=$(free_port); mport2=$(free_port)
gw_conf "$T/gw2.conf" "$sport2" "$mport2" 7
setpriv --bounding-set -sys_nice --inh-caps -sys_nice \
    prlimit --rtprio=0:0 -- "$BUILD/t37gw" -c "$T/gw2.conf" 2> "$T/gw2.log" &
gw2=$!; t37_bg $gw2
wait_port "$mport2" 10 || { cat "$T/gw2.log"; fail "t37gw (no real-time) does not listen"; }
grep -q 'sip: event=realtime policy=rr priority=7 result=refused rtprio-limit=0' "$T/gw2.log" \
    || { cat "$T/gw2.log"; fail "no event=realtime result=refused line"; }
gpid=$(pgrep -f "t37gw -c $T/gw2.conf" | head -n 1)
[ -n "$gpid" ] || fail "t37gw (no real-time) is gone"
[ -z "$(rr_threads "$gpid")" ] || fail "a thread got SCHED_RR without the right to it"
setpriv --bounding-set -sys_nice --inh-caps -sys_nice prlimit --rtprio=0:0 -- \
    sh -c "$(printf '%s ' timeout 240 "$T37FAX" send --t38 --realtime-priority 5 \
        "sip:9913170@127.0.0.1:$sport2" "$T/p.tif")" > "$T/nrt.s.out" 2> "$T/nrt.s.err" \
    || { cat "$T/nrt.s.err"; fail "t37fax without real-time failed"; }
expect nrt s result ok
grep -q 'event=realtime policy=rr priority=5 result=refused' "$T/nrt.s.err" \
    || { cat "$T/nrt.s.err"; fail "t37fax did not say real-time was refused"; }
wait_for 20 sh -c "ls '$T/maildir.$sport2/new/'* >/dev/null 2>&1" \
    || { cat "$T/gw2.log"; fail "the fax (no real-time) was not mailed"; }
grep -q 'LeakSanitizer\|AddressSanitizer\|runtime error' "$T/gw.log" "$T/gw2.log" \
    && fail "sanitizer report"
echo "realtime priority: granted, used for a call, reloaded away, refused with a reason"
