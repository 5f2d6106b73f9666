#!/bin/sh
# Onramp submission over STARTTLS to a server whose TLS is GnuTLS
# (tests/integration/gnutls_smtpd.py), TLS 1.2 and TLS 1.3, with
# `mta send tls required verify ca CERT`: the fax mail arrives, encrypted
# with the version the server was pinned to, after AUTH. A second run per
# version has the server answer the pipelined MAIL, RCPT and DATA in one
# TLS record, so the client finds several replies buffered in one read.
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
command -v openssl >/dev/null || skip "openssl not installed"
python3 -c 'import ctypes.util,sys; sys.exit(0 if ctypes.util.find_library("gnutls") else 1)' ||
    skip "libgnutls (libgnutls30) not installed"
onramp_build_driver

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
    -days 1 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null ||
    fail "cannot make a certificate"

run() {     # run NAME VERSION [--lump]
    _n=$1 _v=$2; shift 2
    _port=$(free_port)
    mkdir -p "$T/$_n"
    python3 tests/integration/gnutls_smtpd.py --port "$_port" --cert "$T/cert.pem" \
        --key "$T/key.pem" --dir "$T/$_n" --tls "$_v" "$@" > "$T/$_n.ready" 2> "$T/$_n.srv.log" &
    t37_bg $!
    wait_for 10 grep -q ready "$T/$_n.ready" || { cat "$T/$_n.srv.log"; fail "$_n: server did not start"; }
    rm -rf "$T/spool"
    onramp_conf "$T/$_n.conf" "mta send server 127.0.0.1 port $_port" \
        "mta send tls required verify ca $T/cert.pem" "mta send auth fax s3cret"
    "$T/onramp_driver" -c "$T/$_n.conf" -w 30 -f "$T/fax.tif" -p 2 2> "$T/$_n.log" ||
        { cat "$T/$_n.log" "$T/$_n.srv.log"; fail "$_n: not delivered"; }
    grep -q "relay=127.0.0.1\[127.0.0.1\]:$_port .*status=sent dsn=2.0.0" "$T/$_n.log" ||
        { cat "$T/$_n.log"; fail "$_n: no sent line"; }
    [ -f "$T/$_n/1.eml" ] || { cat "$T/$_n.srv.log"; fail "$_n: no message at the server"; }
    grep -q "^tls=TLS$_v$" "$T/$_n/1.meta" || { cat "$T/$_n/1.meta"; fail "$_n: not TLS $_v"; }
    grep -q "^commands=EHLO STARTTLS EHLO AUTH MAIL RCPT DATA QUIT$" "$T/$_n/1.meta" ||
        { cat "$T/$_n/1.meta"; fail "$_n: unexpected command sequence"; }
    python3 tests/integration/onramp_check.py "$T/$_n/1.eml" 2 || fail "$_n: message check"
    echo "ok: $_n (TLS $_v $*)"
}

run tls13 1.3
run tls12 1.2
run tls13-lump 1.3 --lump
run tls12-lump 1.2 --lump
echo "onramp to a GnuTLS server: ok"
