#!/bin/sh
# Who offramp calls are from. Mail to three numbers goes out through two
# trunks:
#  - FAX=+19195551234 through trunk "carrier" (calling-number, calling-name,
#    asserted-id pai) to t37fax answer, which receives the page and shows
#    the calling number it got (P-Asserted-Identity) and the sender's TSI:
#    the calling number, since the TSI follows it by default;
#  - FAX=+12125551234 (dial-peer clid network-number) and FAX=+16465551234
#    (clid restrict) through trunk "capture" (asserted-id ppi) to a SIP
#    listener that keeps the INVITEs: From, P-Preferred-Identity and
#    Privacy are checked as they are on the wire.
. tests/integration/lib.sh
. tests/integration/sip_lib.sh

sport=$(free_port); aport=$(free_port); cport=$(free_port); mport=$(free_port)
cat > "$T/gw.conf" <<CONF
hostname gw.test
spool $T/spool
sip
 listen udp 127.0.0.1 $sport
trunk carrier
 proxy sip:127.0.0.1:$aport
 calling-number +19195550100
 calling-name ACME Fax
 asserted-id pai
trunk capture
 proxy sip:127.0.0.1:$cport
 calling-number +19195550100
 asserted-id ppi
mta send maildir maildir
mta receive listen 127.0.0.1 $mport
mta receive aliases fax.test
mta receive maximum-recipients 10
fax send retry busy 1 60
dial-peer voice 300 mmoip
 incoming called-number +1T
 information-type fax
dial-peer voice 400 voip
 destination-pattern 1919.......
 session target trunk carrier
dial-peer voice 401 voip
 destination-pattern 1212.......
 session target trunk capture
 clid network-number 2125550199
dial-peer voice 402 voip
 destination-pattern 1646.......
 session target trunk capture
 clid restrict
CONF
"$BUILD/t37gw" -t -c "$T/gw.conf" || fail "config rejected"
start_answer a "$aport" --count 1
python3 tests/integration/sip_capture.py "$cport" "$T/cap" 2 120 > "$T/cap.out" 2>&1 &
cap=$!; t37_bg $cap
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_port "$mport" 10 || { cat "$T/gw.log"; fail "t37gw does not listen"; }

python3 - "$mport" <<'PY' || fail "mail not accepted"
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "alice@example.com"
m["Subject"] = "Caller identity"
m.set_content("One page for the identity test.\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as s:
    for to in ("FAX=+19195551234@fax.test", "FAX=+12125551234@fax.test",
               "FAX=+16465551234@fax.test"):
        s.send_message(m, from_addr="alice@example.com", to_addrs=[to])
PY

wait_answer a
cat "$T/a.a.out"
expect a a result ok
expect a a ani +19195550100
expect a a remote +19195550100
wait "$cap" || true
cat "$T/cap.out"
grep -q 'invites=2' "$T/cap.out" || { tail -n 30 "$T/gw.log"; fail "the capture trunk did not get two INVITEs"; }
grep -q 'event=dial .*desc="" from=+19195550100' "$T/gw.log" || fail "dial line without the calling number"
for f in "$T"/cap/invite-*.txt; do
    case $(head -n 1 "$f") in
    "INVITE sip:+12125551234@"*)
        grep -q '^From: <sip:2125550199@127\.0\.0\.1>;tag=' "$f" || { cat "$f"; fail "From of the clid call"; }
        grep -q '^P-Preferred-Identity: <sip:2125550199@127\.0\.0\.1>' "$f" || { cat "$f"; fail "PPI"; }
        grep -q '^Privacy:' "$f" && fail "Privacy on a call without clid restrict"
        grep -q '^P-Asserted-Identity:' "$f" && fail "PAI on a ppi trunk" ;;
    "INVITE sip:+16465551234@"*)
        grep -q '^From: "Anonymous" <sip:anonymous@anonymous\.invalid>;tag=' "$f" || { cat "$f"; fail "anonymous From"; }
        grep -q '^Privacy: id' "$f" || { cat "$f"; fail "no Privacy: id"; }
        grep -q '^P-Preferred-Identity: <sip:+19195550100@' "$f" || { cat "$f"; fail "PPI of the restricted call"; } ;;
    *) cat "$f"; fail "unexpected INVITE" ;;
    esac
done
kill "$gw"; wait "$gw" 2>/dev/null || true
echo "caller identity: ok"
