#!/bin/sh
# Onramp to a private Postfix instance on loopback (own config, queue and
# mailbox directories; started and stopped here; needs root), with
# `mta send tls required verify ca CERT`: the message goes over STARTTLS
# with the server certificate checked, Postfix stores it in a Maildir,
# and Postfix's log shows the DSN request it received (NOTIFY=SUCCESS makes
# it send a "delivery status notification" to our envelope sender).
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
[ "$(id -u)" = 0 ] || skip "a private Postfix instance needs root"
command -v postfix >/dev/null || skip "postfix not installed"
id postfix >/dev/null 2>&1 || skip "no postfix user"
onramp_build_driver

PF=$T/pf
mkdir -p "$PF/conf" "$PF/queue" "$PF/data" "$PF/mail"
chmod 711 "$T" "$PF"
port=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$PF/key.pem" -out "$PF/cert.pem" >/dev/null 2>&1 || fail "openssl req"
nobody_uid=$(id -u nobody); nobody_gid=$(id -g nobody)
chown "$nobody_uid:$nobody_gid" "$PF/mail"
cat > "$PF/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test.example
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
virtual_mailbox_domains = example.com
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$nobody_uid
virtual_gid_maps = static:$nobody_gid
smtpd_tls_cert_file = $PF/cert.pem
smtpd_tls_key_file = $PF/key.pem
smtpd_tls_security_level = encrypt
smtpd_tls_loglevel = 1
smtpd_relay_restrictions = permit_mynetworks, reject
maillog_file = $PF/maillog
maillog_file_prefixes = $T
default_transport = error:no outbound mail in tests
bounce_queue_lifetime = 0
CF
# The system master.cf, without chroot, with our SMTP port.
awk -v port="$port" '
  /^#/ || /^[ \t]/ || NF < 8 { print; next }
  $1 == "smtp" && $2 == "inet" { $1 = "127.0.0.1:" port }
  $2 == "inet" && $1 !~ /^127\.0\.0\.1:/ { next }
  { $5 = "n"; print }' /etc/postfix/master.cf > "$PF/conf/master.cf"
grep -q "^postlog" "$PF/conf/master.cf" || \
    echo "postlog unix-dgram n - n - 1 postlogd" >> "$PF/conf/master.cf"
trap 'postfix -c "$PF/conf" stop >/dev/null 2>&1; t37_cleanup' EXIT
chown postfix "$PF/data"
postfix -c "$PF/conf" create-missing >/dev/null 2>&1 || true
postfix -c "$PF/conf" start >"$T/pf.start" 2>&1 || { cat "$T/pf.start"; fail "postfix start"; }
wait_port "$port" 15 || { cat "$T/pf.start" "$PF/maillog" 2>/dev/null; fail "postfix not listening"; }

onramp_conf "$T/gw.conf" "mta send server 127.0.0.1 port $port" \
    "mta send tls required verify ca $PF/cert.pem"
"$T/onramp_driver" -c "$T/gw.conf" -w 30 -f "$T/fax.tif" 2> "$T/drv.log" \
    || { cat "$T/drv.log" "$PF/maillog"; fail "not accepted by Postfix"; }
cat "$T/drv.log"
grep -q "relay=127.0.0.1\[127.0.0.1\]:$port .*status=sent dsn=2.0.0" "$T/drv.log" || fail "no sent line"
wait_for 20 sh -c "ls '$PF/mail/inbox/new/' | grep -q ." || { cat "$PF/maillog"; fail "not delivered to the mailbox"; }
cat "$PF/maillog"
grep -q 'TLS connection established from localhost\[127.0.0.1\]\|TLS connection established from unknown\[127.0.0.1\]' "$PF/maillog" \
    || fail "Postfix saw no TLS"
wait_for 20 grep -q 'sender delivery status notification' "$PF/maillog" \
    || fail "Postfix got no NOTIFY=SUCCESS request"
grep -q 'ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1' "$PF/maillog" \
    || fail "session not ended with QUIT inside TLS"
f=$(find "$PF/mail/inbox/new" -type f | head -n 1)
grep -q 'with ESMTPS' "$f" || fail "the message did not come over ESMTPS"
python3 tests/integration/onramp_check.py "$f" 2 || fail "message check"

# Wrong CA: verification fails, nothing goes out in clear, the job waits.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other \
    -keyout "$T/other.key" -out "$T/other.pem" >/dev/null 2>&1
onramp_conf "$T/bad.conf" "mta send server 127.0.0.1 port $port" \
    "mta send tls required verify ca $T/other.pem"
"$T/onramp_driver" -c "$T/bad.conf" -w 5 -f "$T/fax.tif" 2> "$T/bad.log" && fail "sent despite a bad certificate"
grep -q 'status=deferred dsn=4.7.5 (TLS handshake failed' "$T/bad.log" || { cat "$T/bad.log"; fail "no TLS failure logged"; }
[ "$(spool_jobs "$T/spool" mail)" -eq 1 ] || fail "job not kept"
echo "onramp to Postfix with STARTTLS: ok"
