#!/bin/sh
# make demo: runs the gateway on loopback with the example configuration,
# adapted to a temporary spool and free loopback ports, shows its log,
# checks the file with -t, reloads it with SIGHUP and stops it with
# SIGTERM, then prints a summary. Ends by itself; exit 0 when every step
# behaved. Environment: BUILD (build directory, default build).
set -eu
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRCDIR/$BUILD ;; esac
GW=$BUILD/t37gw
[ -x "$GW" ] || { echo "demo: $GW is not built (run make)" >&2; exit 1; }

D=$(mktemp -d "${TMPDIR:-/tmp}/t37demo.XXXXXX")
GWPID=""
cleanup() {
    [ -n "$GWPID" ] && kill "$GWPID" 2>/dev/null || true
    rm -rf "$D"
}
trap cleanup EXIT
chmod 755 "$D"          # readable by the unprivileged user when run as root

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
SMTP_PORT=$(free_port)
SIP_PORT=$(free_port)

# The example, pointed at the temporary spool and loopback ports.
EXAMPLE=$SRCDIR/contrib/t37gw.conf.example
CONF=$D/t37gw.conf
if [ -f "$EXAMPLE" ]; then
    sed -e "s|^spool .*|spool $D/spool|" \
        -e "s|^mta send maildir .*|mta send maildir $D/Maildir|" \
        -e "s|^mta receive listen .*|mta receive listen 127.0.0.1 $SMTP_PORT|" \
        -e "s|^\( *listen udp\) .*|\1 127.0.0.1 $SIP_PORT|" \
        -e "/^user /d" "$EXAMPLE" > "$CONF"
    grep -q "^spool " "$CONF" || echo "spool $D/spool" >> "$CONF"
else
    printf 'hostname demo.example.com\nspool %s/spool\n' "$D" > "$CONF"
fi
# Started as root, the gateway insists on dropping privileges.
[ "$(id -u)" -eq 0 ] && echo "user nobody" >> "$CONF"
chmod 644 "$CONF"

echo "== t37gw -t: checking the configuration"
"$GW" -t -c "$CONF"

echo "== starting t37gw on loopback (spool $D/spool)"
"$GW" -c "$CONF" 2> "$D/gw.log" &
GWPID=$!
i=0
until grep -q 'event=start ' "$D/gw.log" 2>/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 2
echo "== log after start"
cat "$D/gw.log"

echo "== SIGHUP: reload"
lines=$(wc -l < "$D/gw.log")
kill -HUP "$GWPID"
sleep 1
tail -n +"$((lines + 1))" "$D/gw.log"

echo "== SIGTERM: stop"
lines=$(wc -l < "$D/gw.log")
kill -TERM "$GWPID"
i=0
while kill -0 "$GWPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
set +e; wait "$GWPID"; rc=$?; set -e
GWPID=""
tail -n +"$((lines + 1))" "$D/gw.log"

echo "== summary"
ok=1
grep -q 'event=start result=ok' "$D/gw.log" && echo "started:  yes" || { echo "started:  NO"; ok=0; }
grep -q 'event=reload result=ok' "$D/gw.log" && echo "reloaded: yes" || { echo "reloaded: NO"; ok=0; }
[ "$rc" -eq 0 ] && echo "stopped:  yes (exit 0)" || { echo "stopped:  NO (exit $rc)"; ok=0; }
echo "spool:    $(cd "$D/spool" && ls -d * | tr '\n' ' ')"
[ "$ok" -eq 1 ]
