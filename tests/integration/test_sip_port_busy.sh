#!/bin/sh
# A SIP port that another program holds: t37gw says so and exits 1, and
# frees what it had set up for the line (under `make asan`, LeakSanitizer
# reports nothing).
. tests/integration/lib.sh
sport=$(free_port)
cat > "$T/gw.conf" <<CONF
hostname gw.test
spool $T/spool
sip
 listen udp 127.0.0.1 $sport
mta send maildir maildir
mta receive listen 127.0.0.1 $(free_port)
CONF
python3 - "$sport" "$T/held" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
time.sleep(30)
PY
t37_bg $!
wait_for 10 test -f "$T/held" || fail "could not hold the port"
rc=0
timeout 30 "$BUILD/t37gw" -c "$T/gw.conf" > "$T/gw.log" 2>&1 || rc=$?
cat "$T/gw.log"
[ "$rc" -eq 1 ] || fail "want exit 1, got $rc"
grep -q "sip: cannot listen on udp 127.0.0.1:$sport" "$T/gw.log" || fail "no reason given"
grep -q 'event=start subsystem=line result=failed' "$T/gw.log" || fail "no start failure line"
grep -q 'LeakSanitizer\|AddressSanitizer' "$T/gw.log" && fail "sanitizer report"
echo "busy SIP port: ok"
