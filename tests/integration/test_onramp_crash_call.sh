#!/bin/sh
# A crash during an incoming fax call: t37gw is killed with SIGKILL after
# the first of three pages arrived. At the next start the pages already in
# the spool (queue "incoming") are mailed as a partial fax that says why,
# once, as a Profile S TIFF; nothing stays behind in "incoming".
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
. tests/integration/sip_lib.sh
command -v smtp-sink >/dev/null || skip "smtp-sink not installed"
command -v tiffinfo >/dev/null || skip "tiffinfo not installed"

make_page "$T/p1.tif" "Crash page one"
make_page "$T/p2.tif" "Crash page two"
make_page "$T/p3.tif" "Crash page three"
sport=$(free_port); mport=$(free_port)
smtp_sink "$mport" "$T/sink"
onramp_conf "$T/gw.conf" "mta send server 127.0.0.1 port $mport" \
    "sip" " listen udp 127.0.0.1 $sport" " t38 off"
if [ "$(id -u)" = 0 ]; then
    echo "user nobody" >> "$T/gw.conf"; chmod 711 "$T"; chmod 644 "$T/gw.conf"
    mkdir -p "$T/spool"; chown nobody "$T/spool"
fi
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_for 10 grep -q 'event=start result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "t37gw did not start"; }

timeout 240 "$BUILD/t37fax" send --from 9194724118 --g711 \
    "sip:9913170@127.0.0.1:$sport" "$T/p1.tif" "$T/p2.tif" "$T/p3.tif" \
    > "$T/send.out" 2>&1 &
snd=$!; t37_bg $snd

# Wait until the first page is complete in the incoming job.
pages_in() {
    f=$(find "$T/spool/incoming" -name fax.tif 2>/dev/null | head -n 1)
    [ -n "$f" ] && [ "$(tiffinfo "$f" 2>/dev/null | grep -c 'TIFF Directory')" -ge 1 ]
}
wait_for 120 pages_in || { cat "$T/gw.log" "$T/send.out"; fail "no page arrived"; }
kill -9 "$gw"
wait "$gw" 2>/dev/null || true
kill "$snd" 2>/dev/null || true
[ "$(spool_jobs "$T/spool" incoming)" -gt 0 ] || fail "the incoming job is gone before the restart"
[ "$(count_files "$T/sink")" -eq 0 ] || fail "mail sent before the restart"

"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw2.log" &
gw=$!; t37_bg $gw
wait_for 30 grep -q 'status=sent dsn=2.0.0' "$T/gw2.log" || { cat "$T/gw2.log"; fail "partial fax not mailed"; }
cat "$T/gw2.log"
grep -q 'event=rx-recovered pages=[1-9].*result=queued' "$T/gw2.log" || fail "no recovery line"
# What stays in "incoming" are spare jobs made ahead of the next calls:
# the marker alone, no call record, no pages.
used=$(find "$T/spool/incoming" -mindepth 2 \( -name call -o -name 'fax*.tif' \) | wc -l)
[ "$used" -eq 0 ] || { find "$T/spool/incoming"; fail "incoming job left behind"; }
sleep 1
[ "$(count_files "$T/sink")" -eq 1 ] || fail "want exactly one message at the sink"
python3 - "$(find "$T/sink" -type f)" <<'PY' || fail "message check"
import email, email.policy, sys
sys.path.insert(0, "tests/integration")
from onramp_check import check_profile_s
raw = open(sys.argv[1], "rb").read()
lines = raw.split(b"\n")
k = 0
while k < len(lines) and lines[k].startswith((b"X-Client", b"X-Helo", b"X-Mail", b"X-Rcpt")):
    k += 1
msg = email.message_from_bytes(b"\n".join(lines[k:]), policy=email.policy.default)
assert msg["X-Fax-Result"] != "ok", msg["X-Fax-Result"]
pages = int(msg["X-Fax-Pages"])
assert 1 <= pages < 3, pages
text = next(msg.iter_parts()).get_content()
assert "the gateway stopped during the call" in text, text
assert msg["Subject"].startswith("Incoming Fax[DNIS=9913170]"), msg["Subject"]
tif = list(msg.iter_parts())[1]
check_profile_s(tif.get_content(), pages)
print("partial fax after a crash: %d page(s), %s" % (pages, msg["X-Fax-Result"]))
PY
