#!/bin/sh
# The incoming jobs made ahead of the calls (spare jobs): after start-up
# "incoming" holds them, committed, with the spare marker alone. At the
# next start a spare job no call used is taken back silently, and a job
# holding pages but no call record (the gateway stopped before the record
# was written) is mailed as a partial fax with unknown numbers that says
# so, to the postmaster (no called number: no dial-peer).
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
. tests/integration/sip_lib.sh
command -v smtp-sink >/dev/null || skip "smtp-sink not installed"

SPARE=16        # ONRAMP_SPARE_JOBS
# Spare jobs are committed with syncfs(): on a machine writing much else to
# the same file system a refill can take tens of seconds, hence the waits
# of up to 90 s below (bounds, not timings).
make_page "$T/p1.tif" "Spare job page"
mport=$(free_port)
smtp_sink "$mport" "$T/sink"
onramp_conf "$T/gw.conf" "mta send server 127.0.0.1 port $mport"
if [ "$(id -u)" = 0 ]; then
    echo "user nobody" >> "$T/gw.conf"; chmod 711 "$T"; chmod 644 "$T/gw.conf"
    mkdir -p "$T/spool"; chown nobody "$T/spool"
fi

spares() {
    n=0
    for j in "$T/spool/incoming"/*; do
        [ -d "$j" ] || continue
        [ "$(ls "$j")" = spare ] && n=$((n + 1))
    done
    echo $n
}
full() { [ "$(spares)" -eq $SPARE ]; }

"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_for 10 grep -q 'event=start result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "t37gw did not start"; }
wait_for 90 full || { ls -R "$T/spool/incoming"; fail "want $SPARE spare jobs, have $(spares)"; }
[ "$(spool_jobs "$T/spool" incoming)" -eq $SPARE ] || fail "more than the spare jobs in incoming"
kill -9 "$gw"; wait "$gw" 2>/dev/null || true

# One spare job gets pages and no record, as if the gateway had died
# before the record of the call that took it was written.
used=$(ls "$T/spool/incoming" | head -n 1)
cp "$T/p1.tif" "$T/spool/incoming/$used/fax.tif"
[ "$(id -u)" = 0 ] && chown -R nobody "$T/spool/incoming/$used"

"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw2.log" &
gw=$!; t37_bg $gw
wait_for 30 grep -q 'status=sent dsn=2.0.0' "$T/gw2.log" || { cat "$T/gw2.log"; fail "the pages were not mailed"; }
grep -q "job=$used event=rx-recovered pages=1 result=queued" "$T/gw2.log" ||
    { cat "$T/gw2.log"; fail "no recovery line for the job with pages"; }
[ "$(grep -c 'event=rx-recovered' "$T/gw2.log")" -eq 1 ] ||
    { cat "$T/gw2.log"; fail "the unused spare jobs were treated as calls"; }
wait_for 90 full || fail "the spare jobs were not refilled to $SPARE (have $(spares))"
[ ! -e "$T/spool/incoming/$used" ] || fail "the recovered job is still in incoming"
[ "$(spool_jobs "$T/spool" incoming)" -eq $SPARE ] || fail "more than the spare jobs in incoming"
sleep 1
[ "$(count_files "$T/sink")" -eq 1 ] || fail "want exactly one message at the sink"
python3 - "$(find "$T/sink" -type f)" <<'PY' || fail "message check"
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
lines = raw.split(b"\n")
k = 0
while k < len(lines) and lines[k].startswith((b"X-Client", b"X-Helo", b"X-Mail", b"X-Rcpt")):
    k += 1
msg = email.message_from_bytes(b"\n".join(lines[k:]), policy=email.policy.default)
assert msg["To"].addresses[0].addr_spec == "postmaster@example.com", msg["To"]
assert msg["X-Fax-Result"] != "ok", msg["X-Fax-Result"]
assert int(msg["X-Fax-Pages"]) == 1, msg["X-Fax-Pages"]
text = next(msg.iter_parts()).get_content()
assert "before its numbers were recorded" in text, text
print("pages without a call record: mailed to the postmaster, partial")
PY

# A burst of calls faster than the spare jobs are made: the calls beyond
# the spare jobs get 486, and the gateway keeps twice as many from then on.
# How fast a refill is depends on the disk and on everything else the
# machine runs (on a quiet one the keeper kept up with a whole burst), so
# the spool stands still for the burst: "incoming" takes no new job (a
# spool far behind), and the burst must meet the end of the spare jobs.
# max-calls well above the burst, so that the spare jobs are what runs out
# (a slower build, under sanitizers, otherwise meets max-calls first).
kill "$gw"; wait "$gw" 2>/dev/null || true
sport=$(free_port)
onramp_conf "$T/gw3.conf" "mta send server 127.0.0.1 port $mport" \
    "sip" " listen udp 127.0.0.1 $sport" " max-call-rate 1000" " max-calls 500"
if [ "$(id -u)" = 0 ]; then
    echo "user nobody" >> "$T/gw3.conf"; chmod 644 "$T/gw3.conf"
fi
"$BUILD/t37gw" -c "$T/gw3.conf" 2> "$T/gw3.log" &
gw=$!; t37_bg $gw
wait_for 10 grep -q 'event=start result=ok' "$T/gw3.log" || { cat "$T/gw3.log"; fail "t37gw did not start"; }
wait_for 90 full || fail "want $SPARE spare jobs at start, have $(spares)"
grep -q "event=rx-spare target=$SPARE reason=\"start\"" "$T/gw3.log" ||
    { cat "$T/gw3.log"; fail "no start line for the spare jobs"; }
# On disk is not yet in hand: the gateway takes the jobs made when the
# keeper reports back; a burst before that finds the pool empty too early.
ready() {
    "$BUILD/t37gwctl" -s "$T/spool/control" --json status |
        python3 -c 'import json, sys; q = json.load(sys.stdin)["queues"]["onramp"]; sys.exit(q["spare"] != q["spare_target"])'
}
wait_for 10 ready || fail "the gateway does not hold its $SPARE spare jobs"
"$BUILD/t37gwctl" -s "$T/spool/control" status | grep '^spare'
chmod 555 "$T/spool/incoming"
# about 200 INVITEs within 40 ms from the trunk's address; never ACKed
python3 tests/integration/sip_flood.py 127.0.0.1 "$sport" 5000 0.04 "$T/nostop" > "$T/burst.out"
echo "burst: $(cat "$T/burst.out")"
# The flood stops listening after 40 ms; a slower build (sanitizers) goes
# on answering the INVITEs queued in its socket for a while. The spool
# must stand still until the last of them is answered, or the calls still
# queued meet a refilled pool and grow it again.
burst_sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' "$T/burst.out")
answers() { grep -c -e 'event=routed' -e 'result=refused' "$T/gw3.log"; }
answered() { [ "$(answers)" -ge "$burst_sent" ]; }
wait_for 30 answered || { chmod 755 "$T/spool/incoming"
    fail "the gateway answered $(answers) of $burst_sent INVITEs"; }
wait_for 10 grep -q 'reason="no spare incoming job is ready' "$T/gw3.log" ||
    { tail -n 20 "$T/gw3.log"; chmod 755 "$T/spool/incoming"; fail "the burst did not outrun the spare jobs"; }
wait_for 10 grep -q "event=rx-spare target=$((SPARE * 2)) reason=\"a burst of calls found no spare job\"" \
    "$T/gw3.log" || { tail -n 20 "$T/gw3.log"; chmod 755 "$T/spool/incoming"; fail "the pool did not grow"; }
wait_for 10 grep -q 'event=rx-spare made=0 wanted=' "$T/gw3.log" ||
    { tail -n 20 "$T/gw3.log"; chmod 755 "$T/spool/incoming"; fail "no line for the refill the spool refused"; }
routed=$(grep -c 'event=routed' "$T/gw3.log")
[ "$routed" -eq $SPARE ] || { chmod 755 "$T/spool/incoming"; fail "want $SPARE calls routed with the spool standing still, have $routed"; }
# The spool moves again: the next calls refused find the pool refilled
# behind them (a refused call asks for a refill; nothing else is needed).
chmod 755 "$T/spool/incoming"
python3 tests/integration/sip_flood.py 127.0.0.1 "$sport" 100 0.05 "$T/nostop" > "$T/burst2.out"
echo "after: $(cat "$T/burst2.out")"
grown() { [ "$(spares)" -ge $((SPARE * 2)) ]; }     # counted again each try
wait_for 90 grown ||
    fail "want $((SPARE * 2)) spare jobs after the burst, have $(spares)"
# Once per refill, not once per refused call: each size logged is twice
# the one before (a pool doubled per refused call jumps 16 -> 256).
targets=$(grep -o 'event=rx-spare target=[0-9]*' "$T/gw3.log" | cut -d= -f3 | tr '\n' ' ')
prev=0
for n in $targets; do
    [ "$prev" -eq 0 ] || [ "$n" -eq $((prev * 2)) ] ||
        fail "the pool grew from $prev to $n at once (sizes logged: $targets)"
    prev=$n
done
echo "burst: pool of $SPARE grew to $(grep -o 'event=rx-spare target=[0-9]*' "$T/gw3.log" | tail -n 1 | cut -d= -f3)"
last=$(grep -o 'event=rx-spare target=[0-9]*' "$T/gw3.log" | tail -n 1 | cut -d= -f3)
[ "$last" -eq $((SPARE * 2)) ] ||
    fail "the pool grew to $last, not once to $((SPARE * 2)), while the spool refused new jobs"
