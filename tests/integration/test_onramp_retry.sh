#!/bin/sh
# Onramp resilience against real smtp-sinks:
#  1. the mail server is down at first: the job is deferred, then
#     delivered by the retry once the server is up;
#  2. kill -9 of the process between queueing and the 250: a restart
#     resumes the job from the spool and it is delivered exactly once;
#  3. failover: the first server refuses the connection, the second
#     answers 4xx to MAIL, the third takes the message.
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
command -v smtp-sink >/dev/null || skip "smtp-sink not installed"
onramp_build_driver

# 1. down, then up.
port=$(free_port)
onramp_conf "$T/a.conf" "mta send server 127.0.0.1 port $port" "mta send retry 10"
"$T/onramp_driver" -c "$T/a.conf" -w 60 -f "$T/fax.tif" 2> "$T/a.log" &
drv=$!; t37_bg $drv
wait_for 15 grep -q 'status=deferred attempt=1 next_try=+10s' "$T/a.log" \
    || { cat "$T/a.log"; fail "no deferral while the server is down"; }
grep -q "relay=127.0.0.1\[127.0.0.1\]:$port failed=tcp .*dsn=4.4.1 (connect to 127.0.0.1 port $port: Connection refused)" "$T/a.log" ||
    fail "no connect failure logged"
smtp_sink "$port" "$T/sinkA"
wait "$drv" || { cat "$T/a.log"; fail "not delivered after the retry"; }
cat "$T/a.log"
grep -q 'attempt=2 status=sent' "$T/a.log" || fail "no sent line on attempt 2"
[ "$(count_files "$T/sinkA")" -eq 1 ] || fail "want 1 message after retry"
python3 tests/integration/onramp_check.py "$(find "$T/sinkA" -type f)" 2 --sink --dsn || fail "check"
kill "$SINK_PID"; sleep 0.2

# 2. kill -9 between queueing and the 250, restart: delivered once.
rm -rf "$T/spool"
port=$(free_port)
onramp_conf "$T/b.conf" "mta send server 127.0.0.1 port $port" "mta send retry 10"
"$T/onramp_driver" -c "$T/b.conf" -w 60 -f "$T/fax.tif" 2> "$T/b1.log" &
drv=$!; t37_bg $drv
wait_for 15 grep -q 'status=deferred attempt=1' "$T/b1.log" || fail "no deferral before the kill"
kill -9 "$drv"; wait "$drv" 2>/dev/null || true
[ "$(spool_jobs "$T/spool" mail)" -eq 1 ] || fail "the job is not in the spool after kill -9"
smtp_sink "$port" "$T/sinkB"
"$T/onramp_driver" -c "$T/b.conf" -w 40 2> "$T/b2.log" || { cat "$T/b2.log"; fail "not resumed"; }
cat "$T/b2.log"
grep -q 'event=resume jobs=1' "$T/b2.log" || fail "no resume line"
[ "$(count_files "$T/sinkB")" -eq 1 ] || fail "want exactly 1 message after restart"
[ "$(spool_jobs "$T/spool" mail)" -eq 0 ] || fail "job left after delivery"
kill "$SINK_PID"; sleep 0.2

# 3. failover in configured order.
rm -rf "$T/spool"
dead=$(free_port); soft=$(free_port); good=$(free_port)
smtp_sink "$soft" "$T/sinkSoft" -r MAIL
smtp_sink "$good" "$T/sinkGood"
onramp_conf "$T/c.conf" "mta send server 127.0.0.1 port $dead" \
    "mta send server 127.0.0.1 port $soft" "mta send server 127.0.0.1 port $good"
"$T/onramp_driver" -c "$T/c.conf" -w 30 -f "$T/fax.tif" 2> "$T/c.log" \
    || { cat "$T/c.log"; fail "failover did not deliver"; }
cat "$T/c.log"
grep -q ":$dead .*attempt=1 status=deferred dsn=4.4.1" "$T/c.log" || fail "dead server not tried first"
grep -q ":$soft .*attempt=1 status=deferred dsn=4" "$T/c.log" || fail "4xx server not tried second"
grep -q ":$good .*attempt=1 status=sent" "$T/c.log" || fail "third server not used"
[ "$(count_files "$T/sinkSoft")" -eq 0 ] || fail "the refusing server got a message"
[ "$(count_files "$T/sinkGood")" -eq 1 ] || fail "want 1 message at the third server"
echo "onramp retry, crash and failover: ok"
