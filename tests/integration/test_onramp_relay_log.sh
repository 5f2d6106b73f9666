#!/bin/sh
# The onramp's delivery log names the server honestly: relay=host[address]:port
# for the address an attempt concerned, also when it refused the connection
# or timed out (it used to log "relay=127.0.0.1[]"), host:port when the name
# gave no address, and failed=dns|tcp|tls|smtp says which layer failed:
#   1. refused connection             failed=tcp
#   2. connection never completed     failed=tcp (connection timed out)
#   3. server silent after connecting failed=smtp (greeting timeout)
#   4. a name from /etc/hosts, refused failed=tcp with the address it gave
#   5. a name that does not resolve   failed=dns, no address (in a network
#      namespace of the test's own, so no query leaves the machine)
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
onramp_build_driver

attempt() {     # attempt NAME SERVER-LINE: one delivery attempt, its log in $T/NAME.log
    rm -rf "$T/spool"
    onramp_conf "$T/$1.conf" "$2" "mta send retry 600"
    set +e
    "$T/onramp_driver" -c "$T/$1.conf" -w "${WAIT:-8}" -t 2000 -f "$T/fax.tif" 2> "$T/$1.log"
    set -e
    grep -q 'status=deferred attempt=1' "$T/$1.log" || { cat "$T/$1.log"; fail "$1: no deferral"; }
    grep 'attempt=1 status=deferred' "$T/$1.log" | head -1
}

# 1. refused
dead=$(free_port)
WAIT=3 attempt refused "mta send server 127.0.0.1 port $dead"
grep -q "relay=127.0.0.1\[127.0.0.1\]:$dead failed=tcp delay=[0-9]* attempt=1 status=deferred dsn=4.4.1 (connect to 127.0.0.1 port $dead: Connection refused)" \
    "$T/refused.log" || fail "refused: relay line"
grep -q 'relay=127.0.0.1\[\]' "$T/refused.log" && fail "refused: empty address logged"

# 2. the connection never completes: a listener whose accept queue is full
full=$(free_port)
python3 - "$full" "$T/full.ready" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(0)
fill = []
for _ in range(4):          # fill the accept queue; nothing is accepted
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError: pass
    fill.append(c)
time.sleep(0.3)
open(sys.argv[2], "w").write("ready")
time.sleep(60)
PY
t37_bg $!
wait_for 10 test -s "$T/full.ready" || fail "full listener not ready"
WAIT=5 attempt timeout "mta send server 127.0.0.1 port $full"
grep -q "relay=127.0.0.1\[127.0.0.1\]:$full failed=tcp .*status=deferred dsn=4.4.1 (connect to 127.0.0.1 port $full: connection timed out)" \
    "$T/timeout.log" || fail "connect timeout: relay line"

# 3. connected, but the server never speaks
silent=$(free_port)
python3 - "$silent" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
conns = []
while True:
    conns.append(s.accept()[0])
PY
t37_bg $!
wait_port "$silent" 10 || fail "silent server did not start"
WAIT=5 attempt silent "mta send server 127.0.0.1 port $silent"
grep -q "relay=127.0.0.1\[127.0.0.1\]:$silent failed=smtp .*status=deferred dsn=4.4.2 (timeout waiting for the greeting reply)" \
    "$T/silent.log" || fail "greeting timeout: relay line"

# 4. a name from /etc/hosts
WAIT=3 attempt hosts "mta send server localhost port $dead"
grep -Eq "relay=localhost\[(127\.0\.0\.1|::1)\]:$dead failed=tcp .*status=deferred dsn=4.4.1 \(connect to (127\.0\.0\.1|::1) port $dead: Connection refused" \
    "$T/hosts.log" || fail "localhost: relay line"

# 5. a name that does not resolve, with no way out of the test's namespace
if command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
    rm -rf "$T/spool"
    onramp_conf "$T/dns.conf" "mta send server nx.invalid port 25" "mta send retry 600"
    set +e
    unshare -n sh -c "ip link set lo up 2>/dev/null; '$T/onramp_driver' -c '$T/dns.conf' -w 25 -t 2000 -f '$T/fax.tif'" \
        2> "$T/dns.log"
    set -e
    grep 'attempt=1 status=deferred' "$T/dns.log" | head -1
    grep -q "relay=nx.invalid:25 failed=dns delay=[0-9]* attempt=1 status=deferred dsn=4.4.3 (cannot resolve nx.invalid: " \
        "$T/dns.log" || { cat "$T/dns.log"; fail "dns failure: relay line"; }
    grep -q 'relay=nx.invalid\[' "$T/dns.log" && fail "dns failure: an address was logged"
    echo "ok: dns failure"
else
    echo "note: no network namespace here (unshare -n): the DNS failure case is not run"
fi
echo "onramp relay logging: ok"
