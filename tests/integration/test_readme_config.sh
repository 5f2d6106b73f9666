#!/bin/sh
# The configuration shown in README.md is valid (t37gw -t accepts it).
. tests/integration/lib.sh
awk '/^    hostname fax-gw/,/session target trunk pstn/' README.md | sed 's/^    //' > "$T/readme.conf"
[ "$(wc -l < "$T/readme.conf")" -gt 20 ] || fail "README example not found"
"$BUILD/t37gw" -t -c "$T/readme.conf" || fail "README example rejected"
