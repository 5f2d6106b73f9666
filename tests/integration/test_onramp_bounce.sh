#!/bin/sh
# Onramp permanent failure and Maildir delivery:
#  1. the server refuses the recipient with 550: the fax is not dropped but
#     sent from <> to the postmaster, wrapped with the reason, and the job
#     leaves the spool only after that 250;
#  2. `mta send maildir DIR`: the message lands in DIR/new (tmp/ empty),
#     checked with Python's email module, a partial fax says so.
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
onramp_build_driver

port=$(free_port)
python3 tests/integration/onramp_smtpd.py "$port" "$T/srv" --reject fax-9913170 &
t37_bg $!
wait_port "$port" 10 || fail "test SMTP server did not start"
onramp_conf "$T/a.conf" "mta send server 127.0.0.1 port $port"
"$T/onramp_driver" -c "$T/a.conf" -w 30 -f "$T/fax.tif" 2> "$T/a.log" \
    || { cat "$T/a.log"; fail "bounce not delivered"; }
cat "$T/a.log"
grep -q 'status=bounced dsn=5.1.1 (550 5.1.1' "$T/a.log" || fail "no bounced line"
grep -q 'to=<postmaster@example.com> .*notice=postmaster status=sent' "$T/a.log" \
    || fail "postmaster notice not sent"
[ "$(spool_jobs "$T/spool" mail)" -eq 0 ] || fail "job left in the spool"
[ -f "$T/srv/1.env" ] || fail "no postmaster message at the server"
grep -qx 'MAIL FROM:<> SIZE=[0-9]*' "$T/srv/1.env" || { cat "$T/srv/1.env"; fail "bounce not from <> (or with DSN)"; }
grep -qx 'RCPT TO:<postmaster@example.com>' "$T/srv/1.env" || fail "bounce not to the postmaster"
python3 - "$T/srv/1.eml" "$T/fax.tif" <<'PY' || fail "postmaster message check"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert m["To"].addresses[0].addr_spec == "postmaster@example.com"
parts = list(m.iter_parts())
assert "Reason: 550 5.1.1" in parts[0].get_content()
inner = parts[1].get_content()          # message/rfc822
assert inner["Subject"] == "Incoming Fax[DNIS=9913170][ANI=9194724118]"
tif = [p for p in inner.iter_parts() if p.get_content_type() == "image/tiff"][0]
assert tif.get_content() == open(sys.argv[2], "rb").read(), "fax altered"
print("postmaster notice: ok")
PY

# 2. Maildir (relative to the spool), a complete and a partial fax.
rm -rf "$T/spool"
onramp_conf "$T/b.conf" "mta send maildir inbox"
"$T/onramp_driver" -c "$T/b.conf" -w 20 -f "$T/fax.tif" 2> "$T/b.log" \
    || { cat "$T/b.log"; fail "maildir delivery"; }
cat "$T/b.log"
grep -q "relay=maildir\[$T/spool/inbox\] .*status=sent" "$T/b.log" || fail "no maildir sent line"
[ "$(count_files "$T/spool/inbox/new")" -eq 1 ] || fail "want 1 message in new/"
[ "$(count_files "$T/spool/inbox/tmp")" -eq 0 ] || fail "tmp/ not empty"
python3 tests/integration/onramp_check.py "$(find "$T/spool/inbox/new" -type f)" 2 || fail "check"
rm -f "$T"/spool/inbox/new/*
"$T/onramp_driver" -c "$T/b.conf" -w 20 -f "$T/fax.tif" -p 1 -P "the sender hung up on page 2" \
    2> "$T/c.log" || fail "partial fax"
f=$(find "$T/spool/inbox/new" -type f)
grep -q '^X-Fax-Result: partial; the sender hung up on page 2' "$f" || fail "no partial result header"
grep -q 'PARTIAL FAX' "$f" || fail "partial not said in the text"
echo "onramp bounce and maildir: ok"
