#!/bin/sh
# An onramp-only gateway (no "mta receive listen" line) opens no SMTP
# listener: it starts while another process holds 127.0.0.1:25 (as the
# host's Postfix would), logs "smtp listener=none", and holds no listening
# TCP socket at all. With maximum-recipients above 0 and still no listener,
# the start-up log warns that no mail can arrive.
. "$(dirname "$0")/lib.sh"
GW="$BUILD/t37gw"
[ -x "$GW" ] || fail "$GW not built"
command -v ss >/dev/null || skip "ss (iproute2) not installed"
chmod 755 "$T"          # the daemon drops to "nobody" when run as root
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user nobody"

# Hold port 25 on loopback, like a local MTA. When something else already
# holds it, that is the same situation; without the right to bind it, the
# listening-socket check below still tells.
python3 - "$T/hold.ready" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", 25)); s.listen(1); msg = "held"
except OSError as e:
    msg = "not held: %s" % e
open(sys.argv[1], "w").write(msg)
time.sleep(120)
PY
t37_bg $!
wait_for 10 test -s "$T/hold.ready" || fail "port 25 holder did not start"
echo "port 25: $(cat "$T/hold.ready")"

run_gw() {      # run_gw NAME EXTRA-LINES: starts the daemon, sets $pid
    cat > "$T/$1.conf" <<EOF
hostname gw.example.com
spool $T/spool-$1
$user_line
sip
 listen udp 127.0.0.1 $(free_port)
mta send maildir maildir
$2
dial-peer voice 200 mmoip
 destination-pattern 99131..
 information-type fax
 session target mailto:fax-\$d\$@example.com
EOF
    chmod 644 "$T/$1.conf"
    "$GW" -t -c "$T/$1.conf" > /dev/null || fail "$1: -t rejects the config"
    "$GW" -c "$T/$1.conf" 2> "$T/$1.log" &
    pid=$!
    t37_bg "$pid"
    wait_for 10 grep -q 'event=start result=ok' "$T/$1.log" ||
        { cat "$T/$1.log"; fail "$1: the daemon did not start"; }
}

no_tcp_listener() {     # no_tcp_listener PID
    if ss -Hltnp | grep -q "pid=$1,"; then
        ss -Hltnp | grep "pid=$1,"
        return 1
    fi
    return 0
}

run_gw onramp ""
grep -q 'smtp listener=none reason="no .mta receive listen. line"' "$T/onramp.log" ||
    { cat "$T/onramp.log"; fail "no 'smtp listener=none' line"; }
kill -0 "$pid" || fail "the daemon exited"
no_tcp_listener "$pid" || fail "an onramp-only gateway holds a TCP listener"
grep -q 'smtp listen=' "$T/onramp.log" && fail "a listener was opened"
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -eq 0 ] || { cat "$T/onramp.log"; fail "exit $rc after SIGTERM"; }
echo "ok: no 'mta receive listen' line, no listener, clean stop"

# The offramp configured but no listener: it runs, and says why no mail comes.
run_gw offramp "mta receive aliases fax.example.com
mta receive maximum-recipients 5
dial-peer voice 300 mmoip
 incoming called-number 1919.......
 information-type fax"
grep -q 'warn.*smtp listener=none maximum-recipients=5 reason="no .mta receive listen. line: no mail can arrive"' \
    "$T/offramp.log" || { cat "$T/offramp.log"; fail "no warning about the missing listener"; }
no_tcp_listener "$pid" || fail "a listener was opened without 'mta receive listen'"
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM (offramp)"
echo "ok: offramp without a listener warns"

# And a listen line still opens exactly that listener.
port=$(free_port)
run_gw listen "mta receive listen 127.0.0.1 $port"
wait_port "$port" 5 || fail "mta receive listen 127.0.0.1 $port: not listening"
ss -Hltnp | grep "pid=$pid," | grep -q "127.0.0.1:$port " || fail "listener not owned by the daemon"
[ "$(ss -Hltnp | grep -c "pid=$pid,")" -eq 1 ] || { ss -Hltnp | grep "pid=$pid,"; fail "more than one listener"; }
kill -TERM "$pid"
set +e; wait "$pid"; set -e
echo "ok: a listen line opens that listener only"
