#!/bin/sh
# bench/gateway-channels: N simultaneous fax calls into t37gw itself, G.711
# and T.38, each fax received, spooled and mailed into a Maildir; the
# sender (`t37fax send --calls N`, calls 50 ms apart) runs on the same
# machine. Prints per media: calls OK (sender, gateway) and mailed, t37gw
# CPU per call as a ratio to raw spandsp (`t37fax loopback`, the same page,
# measured in the same run), RSS per active call, and the count of "frames
# skipped" lines (bench/gateway_channels.py says how each is measured).
#
#   CALLS=N         calls per media (default 50; the target is 500)
#   MEDIA="g711 t38"   which media to run (default both)
#   BUSY_LOOPS=N    N CPU-bound busy loops run beside the calls
#   RT_PRIORITY=N   t37gw's `sip realtime-priority` and t37fax's
#                   --realtime-priority (default 0: normal scheduling)
#   THREADS=N       t37gw's `sip threads` (default 0: one per core)
#
# Targets on a 2-core machine with the sender on it: 500 G.711 and 500 T.38
# calls, all OK and mailed; CPU per call <= 1.2x raw spandsp; <= 160 KB RSS
# per active call; no "frames skipped" line. With BUSY_LOOPS=2 and
# RT_PRIORITY=10: 200 G.711 calls all OK.
#
# Measured on the 2-core build machine with other builds running, CALLS=200
# MEDIA=g711 BUSY_LOOPS=2: RT_PRIORITY=10 200 of 200 OK and mailed;
# RT_PRIORITY=0 (normal scheduling) 120 of 200. 150 KB per active call.
# CALLS=500, nothing else running: G.711 500 of 500 OK and mailed, CPU
# 0.98-1.18x raw spandsp (the reference varies from run to run), 142 KB
# per active call; T.38 500 of 500, 0.87-1.03x, 158 KB; no frames skipped,
# nothing refused. The received pages' memory files add at most 8 MB in
# all (a page of about 40 KB for each call between its page and its end).
# With the frames on two media threads (sip threads 0 = one per core),
# nothing else running: G.711 500 of 500 OK and mailed, 1.00x, 143 KB per
# active call, frames per thread 384149/320679; T.38 500 of 500, 0.55x,
# 157 KB, 364085/372590; no frames skipped. CALLS=200 BUSY_LOOPS=2: 200 of
# 200 with RT_PRIORITY=10 and also with 0 (THREADS=1 as well on a machine
# this quiet), 165-170 KB per active call at 200 calls.
# With the frames also reading the calls' RTP and UDPTL (recvmmsg, instead
# of libre's poll loop on the line thread): G.711 500 of 500, 0.76x, 143 KB,
# 360770/343284; T.38 500 of 500, 0.61x, 158 KB, 361161/375292; no frames
# skipped. CALLS=200 BUSY_LOOPS=2 RT_PRIORITY=10: 200 of 200, 0.87x.
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$SRCDIR/build}
command -v gs >/dev/null 2>&1 || { echo "gateway-channels: skipped (no ghostscript)"; exit 0; }
[ -x "$BUILD/t37gw" ] && [ -x "$BUILD/t37fax" ] ||
    { echo "gateway-channels: skipped ($BUILD/t37gw and t37fax not built)"; exit 0; }
T=$(mktemp -d "${TMPDIR:-/tmp}/t37bench.XXXXXX")
trap '[ -n "${T37_KEEP:-}" ] || rm -rf "$T"' EXIT

# the page of bench/channels: one fine A4 page of text
cat > "$T/page.ps" <<'PS'
%!PS
/Helvetica findfont 22 scalefont setfont
0 1 30 { /i exch def 72 740 i 20 mul sub moveto (Channel benchmark row ) show i 10 string cvs show } for
showpage
PS
gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 -sOutputFile="$T/p.tif" "$T/page.ps"
python3 "$SRCDIR/bench/gateway_channels.py" "$SRCDIR" "$BUILD" "$T"
