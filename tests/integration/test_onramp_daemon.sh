#!/bin/sh
# The onramp queue inside the real daemon (t37gw): a received fax handed
# over by the driver while the mail server is down stays in the spool;
# t37gw picks it up at start-up, is killed with -9 before the 250, and
# after a restart with the server up delivers it exactly once; the
# daemon's log carries the Postfix-style delivery line.
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
command -v smtp-sink >/dev/null || skip "smtp-sink not installed"
onramp_build_driver

port=$(free_port)
onramp_conf "$T/gw.conf" "mta send server 127.0.0.1 port $port" "mta send retry 10"
rc=0
"$T/onramp_driver" -c "$T/gw.conf" -w 2 -f "$T/fax.tif" 2> "$T/drv.log" || rc=$?
[ "$rc" -eq 3 ] || { cat "$T/drv.log"; fail "driver: want exit 3 (job left), got $rc"; }
grep -q 'result=queued' "$T/drv.log" || { cat "$T/drv.log"; fail "not queued"; }
[ "$(spool_jobs "$T/spool" mail)" -eq 1 ] || fail "want 1 queued job"
if [ "$(id -u)" = 0 ]; then
    echo "user nobody" >> "$T/gw.conf"
    chmod 711 "$T"; chown -R nobody "$T/spool"; chmod 644 "$T/gw.conf"
fi

# Start with the server still down: the job is resumed and deferred.
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw1.log" &
gw=$!; t37_bg $gw
wait_for 20 grep -q 'status=deferred' "$T/gw1.log" || { cat "$T/gw1.log"; fail "daemon did not try the job"; }
grep -q 'queue=mail event=resume jobs=1' "$T/gw1.log" || fail "no resume line"
kill -9 "$gw"; wait "$gw" 2>/dev/null || true

# Restart with the server up: delivered once, removed from the spool.
smtp_sink "$port" "$T/sink"
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw2.log" &
gw=$!; t37_bg $gw
wait_for 30 grep -q 'status=sent dsn=2.0.0' "$T/gw2.log" || { cat "$T/gw2.log"; fail "not delivered after restart"; }
cat "$T/gw2.log"
wait_for 10 sh -c "[ -d '$T/spool/mail' ] && [ -z \"\$(ls '$T/spool/mail')\" ]" || fail "job left in the spool"
kill "$gw"; wait "$gw" 2>/dev/null || true
[ "$(count_files "$T/sink")" -eq 1 ] || fail "want exactly one message"
python3 tests/integration/onramp_check.py "$(find "$T/sink" -type f)" 2 --sink --dsn || fail "check"
echo "onramp in the daemon: ok"
