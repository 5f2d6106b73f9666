#!/bin/sh
# t37-test: long
# The whole onramp: `t37fax send` calls t37gw over SIP on loopback with a
# two-page fax, the gateway receives it, matches the mmoip dial-peer,
# mails it to Postfix's smtp-sink with DSN, and the message is checked
# with Python's email module (headers with DNIS/ANI, structure, a Profile S
# TIFF with the two pages, DSN parameters on the envelope).
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
. tests/integration/sip_lib.sh
command -v smtp-sink >/dev/null || skip "smtp-sink not installed"

make_page "$T/p1.tif" "Onramp page one"
make_page "$T/p2.tif" "Onramp page two"
sport=$(free_port); mport=$(free_port)
smtp_sink "$mport" "$T/sink"
onramp_conf "$T/gw.conf" "mta send server 127.0.0.1 port $mport" \
    "sip" " listen udp 127.0.0.1 $sport"
if [ "$(id -u)" = 0 ]; then
    echo "user nobody" >> "$T/gw.conf"; chmod 711 "$T"; chmod 644 "$T/gw.conf"
    mkdir -p "$T/spool"; chown nobody "$T/spool"
fi
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_for 10 grep -q 'event=start result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "t37gw did not start"; }
rc=0
timeout 240 "$BUILD/t37fax" send --from 9194724118 --ident "+1 919 472 4118" \
    "sip:9913170@127.0.0.1:$sport" "$T/p1.tif" "$T/p2.tif" > "$T/send.out" 2> "$T/send.err" || rc=$?
cat "$T/send.out"
[ "$rc" -eq 0 ] || { cat "$T/send.err" "$T/gw.log"; fail "t37fax send failed ($rc)"; }
wait_for 30 grep -q 'status=sent dsn=2.0.0' "$T/gw.log" || { cat "$T/gw.log"; fail "fax not mailed"; }
cat "$T/gw.log"
grep -q 'dir=onramp .*result=queued' "$T/gw.log" || fail "no queued line"
[ "$(count_files "$T/sink")" -eq 1 ] || fail "want one message at the sink"
python3 tests/integration/onramp_check.py "$(find "$T/sink" -type f)" 2 --sink --dsn || fail "message check"
echo "fax call -> mail: ok"
