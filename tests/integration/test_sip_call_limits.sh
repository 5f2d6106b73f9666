#!/bin/sh
# t37-test: exclusive (loads the machine or measures timing; runs alone)
# The daemon at its resource limits, with real calls from t37fax:
#  1. descriptors: t37gw started with 84 of them says at start that they
#     leave room for (84 - 64) / 5 = 4 calls (event=limits ...
#     limit=descriptors); of 5 simultaneous calls 4 are received and
#     mailed, the fifth gets 503 and the log names the limit;
#  2. ports: the first RTP pair of a two-pair range is held by another
#     program: the call is carried on the second pair, not refused; a
#     second call meanwhile is over max-calls 1 (486, limit=max-calls);
#     with both pairs held, a call gets 503 and limit=ports;
#  3. SIP bursts: the SIP socket has its large receive buffer; datagrams
#     that overflow it anyway (the daemon stopped while a flood arrives)
#     are counted and logged, and the daemon answers again after.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

make_page "$T/p.tif" "Call limits"

# gw_conf NAME SIP_PORT RTP_MIN RTP_MAX MAX_CALLS: a gateway mailing into
# $T/NAME/spool/maildir; every call from loopback, at any rate.
gw_conf() {
    mkdir -p "$T/$1"
    cat > "$T/$1/gw.conf" <<CONF
hostname gw.test
spool $T/$1/spool
sip
 listen udp 127.0.0.1 $2
 t38 off
 rtp-ports $3 $4
 max-calls $5
 max-call-rate 100
mta send maildir maildir
dial-peer voice 200 mmoip
 destination-pattern 99131..
 information-type fax
 session target mailto:fax-\$d\$@example.com
CONF
}

# gw_start NAME [NOFILE]: t37gw in the background (with that many
# descriptors), until it says it started.
gw_start() {
    if [ -n "${2:-}" ]; then
        ( ulimit -n "$2" && exec "$BUILD/t37gw" -c "$T/$1/gw.conf" ) 2> "$T/$1/gw.log" &
    else
        "$BUILD/t37gw" -c "$T/$1/gw.conf" 2> "$T/$1/gw.log" &
    fi
    eval "GW_$1=$!"; t37_bg $!
    wait_for 15 grep -q 'event=start result=ok' "$T/$1/gw.log" ||
        { cat "$T/$1/gw.log"; fail "$1: t37gw did not start"; }
}

# hold PORT...: another program holds these UDP ports on 127.0.0.1 until
# killed; its pid in HOLDER.
hold() {
    rm -f "$T/held"
    python3 - "$T/held" "$@" <<'PY' &
import socket, sys, time
socks = []
for p in sys.argv[2:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(p)))
    socks.append(s)
open(sys.argv[1], "w").close()
time.sleep(300)
PY
    HOLDER=$!; t37_bg $HOLDER
    wait_for 10 test -f "$T/held" || fail "cannot hold ports $*"
}

# mailed NAME: messages in that gateway's Maildir.
mailed() { count_files "$T/$1/spool/maildir/new"; }
count_files() { find "$1" -type f 2>/dev/null | wc -l; }

# --- 1. descriptors ---------------------------------------------------------
sport=$(free_port)
gw_conf fd "$sport" 16384 32767 20
gw_start fd 84
grep -q 'event=limits nofile=84 .*calls=4 limit=descriptors .*fd-capacity=4 ' "$T/fd/gw.log" ||
    { cat "$T/fd/gw.log"; fail "no capacity in the event=limits line"; }
rc=0
timeout 200 "$BUILD/t37fax" send --g711 --calls 5 "sip:9913170@127.0.0.1:$sport" "$T/p.tif" \
    > "$T/fd.out" 2> "$T/fd.err" || rc=$?
cat "$T/fd.out"
[ "$(grep -c ' result=ok ' "$T/fd.out")" = 4 ] || { cat "$T/fd/gw.log"; fail "want 4 calls ok"; }
grep -q ' sip=503 ' "$T/fd.out" || fail "the fifth call did not get 503"
grep -q 'event=call-limit limit=descriptors calls=4 nofile=84 fd-capacity=4 ' "$T/fd/gw.log" ||
    { cat "$T/fd/gw.log"; fail "the refusal does not name the limit"; }
wait_for 30 eval 'test "$(mailed fd)" -ge 4' || fail "$(mailed fd) of 4 faxes mailed"
kill "$GW_fd"; wait "$GW_fd" 2>/dev/null || true

# --- 2. ports and max-calls -------------------------------------------------
# a two-pair range where nothing else listens (below the default ranges)
while :; do
    rmin=$(( $(free_port) % 4000 / 2 * 2 + 12000 ))
    python3 -c 'import socket,sys
for p in range(int(sys.argv[1]), int(sys.argv[1]) + 4):
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", p))' "$rmin" 2>/dev/null &&
        break
done
sport=$(free_port)
gw_conf pt "$sport" "$rmin" $((rmin + 3)) 1
hold "$rmin"
gw_start pt
grep -q "event=limits .*calls=1 limit=max-calls .*rtp-ports=$rmin-$((rmin + 3)) " \
    "$T/pt/gw.log" || { cat "$T/pt/gw.log"; fail "no capacity line"; }
rc=0
timeout 200 "$BUILD/t37fax" send --g711 --calls 2 "sip:9913170@127.0.0.1:$sport" "$T/p.tif" \
    > "$T/pt.out" 2> "$T/pt.err" || rc=$?
cat "$T/pt.out"
[ "$(grep -c ' result=ok ' "$T/pt.out")" = 1 ] || { cat "$T/pt/gw.log"; fail "want 1 call ok"; }
grep -q ' result=busy .*sip=486 ' "$T/pt.out" || fail "the second call did not get 486"
grep -q 'event=call-limit limit=max-calls calls=1 max-calls=1' "$T/pt/gw.log" ||
    { cat "$T/pt/gw.log"; fail "max-calls refusal not logged"; }
wait_for 30 eval 'test "$(mailed pt)" -ge 1' || fail "the call on the free pair was not mailed"
# both pairs held: the range is full
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true
hold "$rmin" $((rmin + 2))
rc=0
timeout 100 "$BUILD/t37fax" send --g711 "sip:9913170@127.0.0.1:$sport" "$T/p.tif" \
    > "$T/full.out" 2> "$T/full.err" || rc=$?
cat "$T/full.out"
[ "$rc" = 1 ] || fail "send into a full range exited $rc"
grep -q ' sip=503 ' "$T/full.out" || fail "no 503 for a full port range"
grep -q "event=call-limit limit=ports calls=1 rtp-ports=$rmin-$((rmin + 3)) held=0 taken-by-others=2 " \
    "$T/pt/gw.log" || { cat "$T/pt/gw.log"; fail "ports refusal not logged"; }
grep -q 'dir=onramp .*sip=503 result=rejected .*reason="ports exhausted (limit=ports)"' \
    "$T/pt/gw.log" || fail "no call line for the refused call"
# --- 3. a burst that overflows the SIP socket ------------------------------
grep -q "sip listen=udp:127.0.0.1:$sport rcvbuf=" "$T/pt/gw.log" || fail "no rcvbuf line"
kill -STOP "$GW_pt"
python3 - "$sport" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(30000):          # 4-byte datagrams: libre drops them unparsed
    s.sendto(b"\r\n\r\n", ("127.0.0.1", int(sys.argv[1])))
PY
kill -CONT "$GW_pt"
wait_for 15 grep -q "event=sip-overflow listen=udp:127.0.0.1:$sport dropped=" "$T/pt/gw.log" ||
    { tail -n 5 "$T/pt/gw.log"; fail "the overflow was not logged"; }
grep "event=sip-overflow" "$T/pt/gw.log"
python3 - "$sport" <<'PY' || fail "no answer to OPTIONS after the burst"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)
p = s.getsockname()[1]
s.sendto(("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKo1\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
          "Call-ID: o1@t\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % p).encode(),
         ("127.0.0.1", int(sys.argv[1])))
assert s.recv(4096).startswith(b"SIP/2.0 200")
PY
echo "call limits: ok"
