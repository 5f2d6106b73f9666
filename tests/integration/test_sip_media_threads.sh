#!/bin/sh
# sip threads: the calls' media runs on several threads. Calls, G.711 and
# T.38 at once, come in through a gateway with `sip threads 2`; every fax
# is mailed with the page that was sent, row for row; both threads ran
# call frames (the line's own count and the media thread's, logged when
# the set of threads changes or the line stops). A reload to `threads 1`
# while calls are up swaps the threads between two ticks, and those calls
# finish too.
. tests/integration/lib.sh
. tests/integration/sip_lib.sh

sport=$(free_port); mport=$(free_port)
cat > "$T/gw.conf" <<CONF
hostname gw.test
spool $T/spool
sip
 listen udp 127.0.0.1 $sport
 threads 2
mta send maildir $T/maildir
mta receive listen 127.0.0.1 $mport
dial-peer voice 200 mmoip
 destination-pattern 99131..
 information-type fax
 session target mailto:fax-\$d\$@example.com
CONF
"$BUILD/t37gw" -t -c "$T/gw.conf" || fail "config rejected"
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_port "$mport" 10 || { cat "$T/gw.log"; fail "t37gw does not listen"; }
grep -q 'sip: event=media-threads threads=2' "$T/gw.log" ||
    { cat "$T/gw.log"; fail "no line for the two media threads"; }
[ -n "$(grep -l '^t37-media1$' /proc/$gw/task/*/comm 2>/dev/null)" ] ||
    fail "no thread t37-media1 in the gateway"

make_page "$T/p.tif" "Media threads"
mailed() { [ "$(count_mail)" -ge "$1" ]; }
count_mail() { find "$T/maildir/new" -type f 2>/dev/null | wc -l; }

# 1. Six G.711 and six T.38 calls at the same time.
timeout 240 "$T37FAX" send --g711 --calls 6 "sip:9913170@127.0.0.1:$sport" "$T/p.tif" \
    > "$T/g.out" 2> "$T/g.err" &
g=$!
timeout 240 "$T37FAX" send --t38 --calls 6 "sip:9913170@127.0.0.1:$sport" "$T/p.tif" \
    > "$T/t.out" 2> "$T/t.err" || true
wait $g || true
[ "$(grep -c ' result=ok ' "$T/g.out")" = 6 ] ||
    { cat "$T/g.out"; tail -n 30 "$T/gw.log"; fail "want 6 G.711 calls ok"; }
[ "$(grep -c ' result=ok .*t38=1 ' "$T/t.out")" = 6 ] ||
    { cat "$T/t.out"; tail -n 30 "$T/gw.log"; fail "want 6 T.38 calls ok"; }
wait_for 60 mailed 12 || { tail -n 30 "$T/gw.log"; fail "want 12 mails, have $(count_mail)"; }

# Every mailed page is the page sent, row for row.
mailed_tiffs "$T/maildir/new" "$T/rx"
for f in "$T"/rx/*.tif; do same_pages "$T/p.tif" "$f"; done

# 2. A reload to one thread while calls are up.
timeout 240 "$T37FAX" send --g711 --calls 4 "sip:9913170@127.0.0.1:$sport" "$T/p.tif" \
    > "$T/r.out" 2> "$T/r.err" &
r=$!
wait_for 30 sh -c "[ \$(grep -c 'event=routed' '$T/gw.log') -ge 16 ]" ||
    { tail -n 30 "$T/gw.log"; fail "the calls of the reload did not come in"; }
sleep 2
sed -i 's/^ threads 2$/ threads 1/' "$T/gw.conf"
kill -HUP $gw
wait_for 10 grep -q 'sip: event=media-threads threads=1' "$T/gw.log" ||
    { tail -n 30 "$T/gw.log"; fail "the reload did not change the media threads"; }
wait $r || true
[ "$(grep -c ' result=ok ' "$T/r.out")" = 4 ] ||
    { cat "$T/r.out"; tail -n 30 "$T/gw.log"; fail "want 4 calls ok across the reload"; }
wait_for 60 mailed 16 || fail "want 16 mails, have $(count_mail)"

# The two threads' counts, logged when the reload let them go: both ran
# frames.
frames=$(sed -n 's/.*event=media-threads-done threads=2 frames=\([0-9]*\/[0-9]*\).*/\1/p' \
    "$T/gw.log" | head -n 1)
[ -n "$frames" ] || { tail -n 30 "$T/gw.log"; fail "no media-threads-done line"; }
[ "${frames%/*}" -gt 0 ] && [ "${frames#*/}" -gt 0 ] ||
    fail "the frames did not spread over both threads: $frames"
[ -z "$(grep -l '^t37-media1$' /proc/$gw/task/*/comm 2>/dev/null)" ] ||
    fail "t37-media1 still runs after the reload to one thread"
grep -q 'LeakSanitizer\|AddressSanitizer\|runtime error' "$T/gw.log" &&
    fail "sanitizer report"
echo "media threads: 12 calls on 2 threads (frames $frames), 4 across a reload to 1"
