#!/bin/sh
# t37-test: long
# Two gateways behind Kamailio with the shipped configuration
# (contrib/kamailio/t37gw-dispatch.cfg): gateway B starts after the proxy,
# whose OPTIONS probes first find it down, then up (it admits the proxy
# and answers 200); the dispatcher spreads calls across both, each fax is received on T.38 (the gateway's re-INVITE goes
# through the proxy's record-route) and mailed by the gateway that took
# it; the proxy's OPTIONS probes are answered (the gateways admit the
# proxy). Then gateway A is stopped: every new call still succeeds, on B
# (a call sent to A times out and fails over, A is marked inactive).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

KAMAILIO=$(command -v kamailio || echo /usr/sbin/kamailio)
[ -x "$KAMAILIO" ] || skip "kamailio not installed"
MODS=/usr/lib/x86_64-linux-gnu/kamailio/modules
[ -f "$MODS/dispatcher.so" ] || skip "kamailio's dispatcher module not found in $MODS"

make_page "$T/p.tif" "Behind Kamailio"

# gw NAME PORT: a gateway admitting the proxy (loopback) at any rate.
gw() {
    mkdir -p "$T/$1"
    cat > "$T/$1/gw.conf" <<CONF
hostname $1.test
spool $T/$1/spool
sip
 listen udp 127.0.0.1 $2
 t38 on
 allow 127.0.0.1/32
 max-call-rate 100
 max-calls-per-source 0
mta send maildir maildir
dial-peer voice 200 mmoip
 destination-pattern 99131..
 information-type fax
 session target mailto:fax-\$d\$@example.com
CONF
    "$BUILD/t37gw" -c "$T/$1/gw.conf" 2> "$T/$1/gw.log" &
    eval "GW_$1=$!"; t37_bg $!
    wait_for 15 grep -q 'event=start result=ok' "$T/$1/gw.log" ||
        { cat "$T/$1/gw.log"; fail "$1: t37gw did not start"; }
}
mailed() { find "$T/$1/spool/maildir/new" -type f 2>/dev/null | wc -l; }

# send NAME N: N calls through the proxy; every one must succeed.
send() {
    rc=0
    timeout 240 "$BUILD/t37fax" send --calls "$2" "sip:9913170@127.0.0.1:$kport" "$T/p.tif" \
        > "$T/$1.out" 2> "$T/$1.err" || rc=$?
    cat "$T/$1.out"
    [ "$rc" = 0 ] || { tail -n 40 "$T/kam.log"; fail "$1: t37fax send exited $rc"; }
    [ "$(grep -c ' result=ok .* t38=1 ' "$T/$1.out")" = "$2" ] || fail "$1: not all ok on T.38"
}

aport=$(free_port); bport=$(free_port); kport=$(free_port)
gw a "$aport"
printf '1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n' "$aport" "$bport" > "$T/gateways.list"
# kam ARGS...: kamailio on the shipped config, on loopback, in place of the
# (sub)shell that calls it: run in the background, $! is kamailio itself,
# so the cleanup's kill reaches it (and it stops its children)
kam() {
    exec "$KAMAILIO" -f "$SRCDIR/contrib/kamailio/t37gw-dispatch.cfg" \
        -A "LISTEN=udp:127.0.0.1:$kport" -A "DS_LIST=\"$T/gateways.list\"" \
        -A PING_INTERVAL=1 -A FR_TIMER=2000 -A "MPATH=\"$MODS/\"" "$@"
}
(kam -c) > "$T/kam.check" 2>&1 || { cat "$T/kam.check"; fail "kamailio rejects the shipped config"; }
kam -DD -E -m 32 -M 8 -P "$T/kam.pid" -Y "$T" > "$T/kam.log" 2>&1 &
t37_bg $!
sleep 1
kill -0 $! 2>/dev/null || { cat "$T/kam.log"; fail "kamailio did not start"; }
# B is down until it starts; then its answers to the probes bring it up
wait_for 20 grep -q "t37gw-dispatch: gateway sip:127.0.0.1:$bport down" "$T/kam.log" ||
    { cat "$T/kam.log"; fail "the probes did not find B down"; }
gw b "$bport"
wait_for 20 grep -q "t37gw-dispatch: gateway sip:127.0.0.1:$bport up" "$T/kam.log" ||
    { cat "$T/kam.log" "$T/b/gw.log"; fail "B did not come up on the probes"; }
grep -q 'event=sip-refused' "$T/a/gw.log" "$T/b/gw.log" && fail "a gateway refused the proxy"

send one 4
wait_for 30 eval 'test "$(( $(mailed a) + $(mailed b) ))" -ge 4' || fail "not every fax mailed"
echo "round 1: a=$(mailed a) b=$(mailed b)"
[ "$(mailed a)" -ge 1 ] && [ "$(mailed b)" -ge 1 ] || fail "calls not spread: a=$(mailed a) b=$(mailed b)"
grep -q 't37gw-dispatch: in-dialog INVITE .* via record-route' "$T/kam.log" ||
    fail "the T.38 re-INVITE did not go through the proxy"
grep -q 't37gw-dispatch: in-dialog BYE .* via record-route' "$T/kam.log" ||
    fail "the BYE did not go through the proxy"

# gateway A stops; its queue is empty (every fax was mailed)
a_before=$(mailed a); b_before=$(mailed b)
kill "$GW_a"; wait "$GW_a" 2>/dev/null || true
send two 4
wait_for 30 eval 'test "$(mailed b)" -ge $((b_before + 4))' || fail "B did not mail the 4 faxes"
[ "$(mailed a)" = "$a_before" ] || fail "stopped gateway A mailed something"
grep -E 't37gw-dispatch: (gateway .* does not answer|call .* failover)' "$T/kam.log" || true
echo "kamailio dispatch: ok"
