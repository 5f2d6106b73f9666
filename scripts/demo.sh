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
FAX_PORT=$(free_port)           # the fax machine that offramp calls reach

# The example, pointed at the temporary spool and loopback ports.
EXAMPLE=$SRCDIR/contrib/t37gw.conf.example
CONF=$D/t37gw.conf
if [ -f "$EXAMPLE" ]; then
    sed -e "s|^spool .*|spool $D/spool|" \
        -e "s|^mta send maildir .*|mta send maildir $D/Maildir|" \
        -e "s|^mta receive listen .*|mta receive listen 127.0.0.1 $SMTP_PORT|" \
        -e "s|^\( *listen udp\) .*|\1 127.0.0.1 $SIP_PORT|" \
        -e "/^ *listen tcp /d" \
        -e "s|127.0.0.1:5070|127.0.0.1:$FAX_PORT|g" \
        -e "/^user /d" "$EXAMPLE" > "$CONF"
    grep -q "^spool " "$CONF" || echo "spool $D/spool" >> "$CONF"
else
    printf 'hostname demo.example.com\nspool %s/spool\n' "$D" > "$CONF"
fi
# Started as root, the gateway insists on dropping privileges.
[ "$(id -u)" -eq 0 ] && echo "user nobody" >> "$CONF"
mkdir -p "$D/Maildir"
[ "$(id -u)" -eq 0 ] && chown nobody "$D/Maildir"
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

echo "== an incoming fax: t37fax calls 9913170 (two pages) -> Maildir"
FAXOK=0
if command -v gs >/dev/null 2>&1 && [ -x "$BUILD/t37fax" ]; then
    printf '%%!PS\n/Helvetica findfont 28 scalefont setfont\n72 720 moveto (t37gw demo fax, page 1) show showpage\n72 720 moveto (page 2: the quick brown fox) show showpage\n' > "$D/fax.ps"
    gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 -sOutputFile="$D/fax.tif" "$D/fax.ps"
    timeout 240 "$BUILD/t37fax" send --from 9194724118 --ident "+1 919 472 4118" \
        "sip:9913170@127.0.0.1:$SIP_PORT" "$D/fax.tif" || true
    i=0
    until [ -n "$(ls "$D/Maildir/new" 2>/dev/null)" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
    if [ -n "$(ls "$D/Maildir/new" 2>/dev/null)" ]; then
        FAXOK=1
        echo "-- $D/Maildir/new/$(ls "$D/Maildir/new" | head -n 1) (headers and text part):"
        sed -n '1,/^Content-Type: image\/tiff/p' "$D/Maildir/new/$(ls "$D/Maildir/new" | head -n 1)"
    fi
    grep 'dir=onramp\|relay=maildir' "$D/gw.log" || true
else
    echo "(skipped: ghostscript or t37fax missing)"
    FAXOK=2
fi

echo "== an outgoing fax: mail to FAX=5551234@localhost -> t37fax answering on 127.0.0.1:$FAX_PORT"
OUTOK=0
mkdir -p "$D/faxout"
timeout 240 "$BUILD/t37fax" answer --listen "127.0.0.1:$FAX_PORT" --out "$D/faxout" \
    --count 1 --ident "+1 555 1234" > "$D/answer.log" 2>&1 &
ANSPID=$!
sleep 0.5
python3 - "$SMTP_PORT" <<'PY'
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "Alice <alice@example.com>"
m["To"] = "FAX=5551234@localhost"
m["Subject"] = "t37gw demo: mail to fax"
m.set_content("Hello from the t37gw demo.\n\nThis text was mailed to FAX=5551234@localhost,\n"
              "rendered to a fax page, and sent over SIP to a fax machine.\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as s:
    s.send_message(m, mail_options=["RET=HDRS"], rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
print("mail accepted by t37gw")
PY
set +e; wait "$ANSPID"; arc=$?; set -e
cat "$D/answer.log"
[ "$arc" -eq 0 ] && [ -n "$(ls "$D/faxout" 2>/dev/null)" ] && OUTOK=1
sleep 1
grep 'dir=offramp\|event=report' "$D/gw.log" || true

echo "== t37gwctl: what the operator sees"
if [ -x "$BUILD/t37gwctl" ]; then
    "$BUILD/t37gwctl" -c "$CONF" status || true
    "$BUILD/t37gwctl" -c "$CONF" queue || true
fi

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
case $FAXOK in
1) echo "fax:      received and delivered to $D/Maildir/new" ;;
2) echo "fax:      skipped" ;;
*) echo "fax:      NOT delivered"; ok=0 ;;
esac
[ "$OUTOK" -eq 1 ] && echo "mail:     sent as a fax to $D/faxout/$(ls "$D/faxout" | head -n 1)" || { echo "mail:     NOT faxed"; ok=0; }
[ "$rc" -eq 0 ] && echo "stopped:  yes (exit 0)" || { echo "stopped:  NO (exit $rc)"; ok=0; }
echo "spool:    $(cd "$D/spool" && ls -d * | tr '\n' ' ')"
[ "$ok" -eq 1 ]
