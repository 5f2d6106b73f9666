#!/bin/sh
# t37-test: long
# A whole Cisco IOS running-config (tests/data/cisco-ios-full.conf: the
# 'show running-config' header, interfaces, routing, AAA, crypto, voice
# ports, POTS and voice dial-peers, a banner, console lines, and the T.37
# fax lines) loads as it is: t37gw -t accepts it and warns once for each
# line of another feature, never for a fax line. Then the daemon runs it,
# with only what a migration changes: the addresses of the mail server and
# the SIP carrier, and where t37gw listens and spools. Its fax lines do
# what they say:
#  - onramp: a standard-resolution fax to 9913170 is mailed to
#    fax-9913170@example.com with DSN, its pages at fine resolution
#    ('image resolution fine'), the dial-peer's description in the log;
#  - offramp: mail to FAX=+1919... goes out to the carrier with the TSI of
#    'fax send transmitting-subscriber' and a cover page
#    ('coverpage enable'), and without one when the address says
#    /cover=no ('coverpage e-mail-controllable').
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
. tests/integration/sip_lib.sh
command -v smtp-sink >/dev/null || skip "smtp-sink not installed"
IOS=tests/data/cisco-ios-full.conf

# 1. As it is.
rc=0
"$BUILD/t37gw" -t -c "$IOS" > "$T/check.out" 2> "$T/check.err" || rc=$?
cat "$T/check.out"
[ "$rc" -eq 0 ] || { cat "$T/check.err"; fail "t37gw -t refuses the IOS config ($rc)"; }
grep -v ': warning: ' "$T/check.err" | grep -v '^t37gw: .* warnings$' \
    && fail "messages other than warnings"
nwarn=$(grep -c ': warning: ' "$T/check.err")
[ "$nwarn" -ge 60 ] || fail "only $nwarn warnings"
# one per line at most, and none for a line of the fax configuration
dups=$(grep ': warning: .* ignored' "$T/check.err" | cut -d: -f2 | sort | uniq -d)
[ -z "$dups" ] || fail "lines warned twice: $dups"
for l in $(grep ': warning: .* ignored' "$T/check.err" | cut -d: -f2); do
    line=$(sed -n "${l}p" "$IOS")
    case $line in
    mta\ *|"fax send"*|"fax receive"*|" destination-pattern"*|" session target"*|\
    " information-type"*|" incoming called-number"*|" dsn "*|" image "*|" description"*)
        fail "line $l of the fax configuration was ignored: $line" ;;
    esac
done
grep -q ":197: warning: dial-peer voice 100 voip places calls without a calling number" \
    "$T/check.err" || fail "no warning about the calling number"
grep -q "cisco-ios-full.conf: 76 warnings$" "$T/check.err" || fail "no summary"

# 2. Migrated: the servers' addresses, and where t37gw itself lives.
make_page "$T/fine.tif" "Offramp attachment"
gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg3 -r204x98 -sPAPERSIZE=a4 -sOutputFile="$T/std.tif" \
    "$T/page.ps" || fail "gs"
sport=$(free_port); mport=$(free_port); aport=$(free_port); sink=$(free_port)
sed -e "s/^mta send server 10\.1\.1\.25$/mta send server 127.0.0.1 port $sink/" \
    -e "s/session target ipv4:10\.1\.1\.40$/session target ipv4:127.0.0.1:$aport/" "$IOS" \
    > "$T/gw.conf"
cat >> "$T/gw.conf" <<CONF
spool $T/spool
sip
 listen udp 127.0.0.1 $sport
mta receive listen 127.0.0.1 $mport
CONF
smtp_sink "$sink" "$T/sink"
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_for 10 grep -q 'event=start result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "t37gw did not start"; }
grep -q "event=config-warning warning=.*cisco-ios-full\|event=config-warning" "$T/gw.log" \
    || fail "the daemon did not log the ignored lines"

# onramp
rc=0
timeout 240 "$BUILD/t37fax" send --from 9194724118 "sip:9913170@127.0.0.1:$sport" "$T/std.tif" \
    > "$T/on.out" 2> "$T/on.err" || rc=$?
cat "$T/on.out"
[ "$rc" -eq 0 ] || { tail -n 30 "$T/gw.log"; fail "onramp call failed"; }
wait_for 30 grep -q 'status=sent dsn=2.0.0' "$T/gw.log" || { tail -n 30 "$T/gw.log"; fail "fax not mailed"; }
grep -q 'dir=onramp .*peer=200 desc="onramp: the fax mailboxes" .*result=queued' "$T/gw.log" \
    || { grep 'dir=onramp' "$T/gw.log"; fail "no description in the onramp log line"; }
python3 - "$(find "$T/sink" -type f | head -n 1)" <<'PY' || fail "mailed fax"
import email, email.policy, sys
sys.path.insert(0, "tests/integration")
from onramp_check import tiff_tags
raw = open(sys.argv[1], "rb").read()
env, _, body = raw.partition(b"\n\n") if not raw.startswith(b"X-") else (None, None, None)
lines = raw.split(b"\n")
k = 0
while k < len(lines) and lines[k].startswith(b"X-"):
    k += 1
msg = email.message_from_bytes(b"\n".join(lines[k:]), policy=email.policy.default)
assert msg["To"].addresses[0].addr_spec == "fax-9913170@example.com", msg["To"]
assert "[DNIS=9913170][ANI=9194724118]" in msg["Subject"], msg["Subject"]
tif = [p for p in msg.walk() if p.get_content_type() == "image/tiff"][0]
ifds = tiff_tags(tif.get_content())
assert len(ifds) == 1, len(ifds)
assert round(ifds[0][283]) == 196, "YResolution %r, want fine" % ifds[0][283]
assert ifds[0][259] == 3, "not MH"
print("onramp mail ok: fine resolution from a standard page")
PY

# offramp: with and without a cover page
start_answer a "$aport" --count 2
python3 - "$mport" "$T/fine.tif" <<'PY' || fail "mail not accepted"
import smtplib, sys
from email.message import EmailMessage
for to in ("FAX=+19195551234/cover=no@fax-gw1.example.com",
           "FAX=+19195550000@fax-gw1.example.com"):
    m = EmailMessage()
    m["From"] = "alice@example.com"
    m["To"] = to
    m["Subject"] = "Scan"
    m.make_mixed()
    m.add_attachment(open(sys.argv[2], "rb").read(), maintype="image", subtype="tiff",
                     filename="scan.tif")
    with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as s:
        s.send_message(m, from_addr="alice@example.com", to_addrs=[to])
PY
wait_answer a
cat "$T/a.a.out"
grep -q 'result=ok pages=1 .* dnis=+19195551234 remote=+19194724118 ' "$T/a.a.out" \
    || fail "/cover=no: want one page from TSI +19194724118"
grep -q 'result=ok pages=2 .* dnis=+19195550000 remote=+19194724118 ' "$T/a.a.out" \
    || fail "coverpage enable: want a cover page"
grep -q 'event=dial .*peer=400 desc="offramp: the SIP carrier"' "$T/gw.log" \
    || fail "no description in the dial line"
kill "$gw"; wait "$gw" 2>/dev/null || true
echo "Cisco IOS running-config: ok"
