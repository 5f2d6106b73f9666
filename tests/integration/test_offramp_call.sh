#!/bin/sh
# Offramp end to end without SMTP: a spooled job is rendered, called out
# through a real SIP line to `t37fax answer` on loopback, retried on busy,
# and reported with a DSN (the offramp_e2e unit suite does the work).
. "$(dirname "$0")/lib.sh"
[ -x "$BUILD/t37fax" ] || skip "t37fax is not built"
p1=$(free_port); p2=$(free_port)
while [ "$p2" = "$p1" ]; do p2=$(free_port); done
out=$(T37_OFFRAMP_E2E="$BUILD/t37fax" T37_E2E_PORTS="$p1 $p2" T37_SUITE=offramp_e2e \
    "$BUILD/tests/unit" 2>&1) || { echo "$out" | tail -40; fail "offramp_e2e"; }
echo "$out" | tail -5
echo "$out" | grep -q '^100%: Checks: 2, Failures: 0, Errors: 0' || fail "not every case ran"
