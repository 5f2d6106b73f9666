#!/bin/sh
# A fax call through Kamailio, a real SIP proxy, on loopback: the sender
# uses it as outbound proxy and must answer its digest challenge (407);
# Kamailio record-routes, so the T.38 re-INVITE (from the receiver) and the
# BYE travel through it too. The call completes on T.38.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

KAMAILIO=$(command -v kamailio || echo /usr/sbin/kamailio)
[ -x "$KAMAILIO" ] || skip "kamailio not installed"
MODS=/usr/lib/x86_64-linux-gnu/kamailio/modules
[ -f "$MODS/auth.so" ] || skip "kamailio modules not found in $MODS"

kport=$(free_port)
aport=$(free_port)
cat > "$T/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
log_facility=LOG_LOCAL0
children=2
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:$kport
alias="127.0.0.1:$kport"
mpath="$MODS/"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
modparam("rr", "enable_full_lr", 1)

request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (has_totag()) {
        if (loose_route()) {
            xlog("L_NOTICE", "kam: in-dialog \$rm via record-route\n");
            t_relay();
            exit;
        }
        if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
        sl_send_reply("404", "Not here");
        exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
    if (is_method("INVITE")) {
        if (!pv_proxy_authenticate("t37gw.test", "faxsecret", "0")) {
            xlog("L_NOTICE", "kam: challenge \$rm from \$fu\n");
            proxy_challenge("t37gw.test", "0");
            exit;
        }
        consume_credentials();
        xlog("L_NOTICE", "kam: authenticated \$rm for \$au\n");
    }
    loose_route();
    record_route();
    if (!t_relay()) sl_reply_error();
    exit;
}
CFG
"$KAMAILIO" -c -f "$T/kamailio.cfg" > "$T/kam.check" 2>&1 || { cat "$T/kam.check"; fail "kamailio rejects the config"; }
"$KAMAILIO" -f "$T/kamailio.cfg" -DD -E -m 32 -M 8 -P "$T/kam.pid" -Y "$T" \
    > "$T/kam.log" 2>&1 &
t37_bg $!
sleep 1
kill -0 $! 2>/dev/null || { cat "$T/kam.log"; fail "kamailio did not start"; }

make_page "$T/p1.tif" "Through Kamailio"
start_answer k "$aport" --count 1 --t38
sleep 0.3
# a wrong password is refused by the proxy (407 again): rejected, not sent
run_send bad "$aport" "$T/p1.tif" --proxy "sip:127.0.0.1:$kport;lr" --auth fax:wrong --timeout 10
cat "$T/bad.s.out"
[ "$(cat "$T/bad.s.rc")" = 1 ] || fail "wrong password: send exited $(cat "$T/bad.s.rc")"
expect bad s result failed
expect bad s sip 407
run_send k "$aport" "$T/p1.tif" --proxy "sip:127.0.0.1:$kport;lr" --auth fax:faxsecret \
    --from 4000
wait_answer k
cat "$T/k.s.out" "$T/k.a.out"
grep 'kam:' "$T/kam.log" | sed 's/^.*kam:/kam:/' | sort | uniq -c
exited k s 0
exited k a 0
expect k s result ok
expect k s t38 1
expect k a result ok
expect k a t38 1
same_pages "$T/p1.tif" "$(received k)"
grep -q 'kam: challenge INVITE' "$T/kam.log" || fail "kamailio did not challenge"
grep -q 'kam: authenticated INVITE for fax' "$T/kam.log" || fail "not authenticated"
grep -q 'kam: in-dialog INVITE via record-route' "$T/kam.log" || fail "re-INVITE not via proxy"
grep -q 'kam: in-dialog BYE via record-route' "$T/kam.log" || fail "BYE not via proxy"
echo "kamailio: ok"
