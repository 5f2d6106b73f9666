#!/bin/sh
# Onramp to Postfix's smtp-sink: a received 2-page fax handed over through
# onramp_mail() is queued durably, submitted with PIPELINING,
# SIZE and DSN, and the message checked with Python's email module (headers,
# multipart/mixed, Profile S TIFF, DSN envelope parameters). A second run
# against a sink without DSN must send no DSN parameters.
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
command -v smtp-sink >/dev/null || skip "smtp-sink not installed"
onramp_build_driver

port=$(free_port)
smtp_sink "$port" "$T/sink"
onramp_conf "$T/gw.conf" "mta send server 127.0.0.1 port $port"
"$T/onramp_driver" -c "$T/gw.conf" -w 30 -f "$T/fax.tif" -p 2 2> "$T/drv.log" \
    || { cat "$T/drv.log"; fail "queue did not drain"; }
cat "$T/drv.log"
grep -q 'result=queued' "$T/drv.log" || fail "no queued line"
grep -q "relay=127.0.0.1\[127.0.0.1\]:$port .*status=sent dsn=2.0.0" "$T/drv.log" \
    || fail "no Postfix-style sent line"
[ "$(count_files "$T/sink")" -eq 1 ] || fail "want 1 message at the sink"
python3 tests/integration/onramp_check.py "$(find "$T/sink" -type f)" 2 --sink --dsn \
    || fail "message check"
[ "$(spool_jobs "$T/spool" mail)" -eq 0 ] || fail "job left in the spool after 250"

# No DSN in EHLO: no DSN parameters at all.
kill "$SINK_PID"; sleep 0.2
port2=$(free_port)
smtp_sink "$port2" "$T/sink2" -N
onramp_conf "$T/gw2.conf" "mta send server 127.0.0.1 port $port2"
"$T/onramp_driver" -c "$T/gw2.conf" -w 30 -f "$T/fax.tif" -p 2 2> "$T/drv2.log" \
    || { cat "$T/drv2.log"; fail "queue did not drain (no DSN)"; }
python3 tests/integration/onramp_check.py "$(find "$T/sink2" -type f)" 2 --sink \
    || fail "message check (no DSN)"
echo "onramp to smtp-sink: ok"
