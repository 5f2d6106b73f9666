#!/bin/sh
# The daemon's command line and life cycle, black-box: -V, -h, bad
# arguments, -t on good and bad files, then a running daemon with a temp
# spool: spool tree created, SIGHUP with a broken file (keeps running, logs
# every error), SIGHUP with a fixed file (reload ok), SIGTERM (exit 0 within
# the deadline), and an unusable spool (clear error, exit 1).
. "$(dirname "$0")/lib.sh"
GW="$BUILD/t37gw"
[ -x "$GW" ] || fail "$GW not built"
chmod 755 "$T"          # the daemon drops to "nobody" when run as root

# ---- command line ----
out=$("$GW" -V) || fail "-V exit $?"
echo "$out" | grep -Eq '^t37gw [0-9]+\.[0-9]+' || fail "-V printed: $out"

"$GW" -h > "$T/h.out" 2> "$T/h.err" || fail "-h exit $?"
grep -q 'usage: t37gw' "$T/h.out" || fail "-h: no usage on stdout"
[ -s "$T/h.err" ] && fail "-h wrote to stderr"

for args in "-x" "-c" "" "-c a b" "-t"; do
    set +e
    # shellcheck disable=SC2086
    "$GW" $args > "$T/bad.out" 2> "$T/bad.err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || fail "t37gw $args: exit $rc, want 2"
    grep -q 'usage: t37gw' "$T/bad.err" || fail "t37gw $args: no usage on stderr"
    [ -s "$T/bad.out" ] && fail "t37gw $args: wrote to stdout"
done
echo "ok: -V -h and bad arguments"

# ---- -t ----
if [ -f "$SRCDIR/contrib/t37gw.conf.example" ]; then
    "$GW" -t -c "$SRCDIR/contrib/t37gw.conf.example" || fail "-t on the example: exit $?"
    echo "ok: -t on contrib/t37gw.conf.example"
else
    echo "note: contrib/t37gw.conf.example not there yet, not checked"
fi

if [ -f "$SRCDIR/tests/data/five-mistakes.conf" ]; then
    f="$SRCDIR/tests/data/five-mistakes.conf"
    set +e; "$GW" -t -c "$f" > /dev/null 2> "$T/five.err"; rc=$?; set -e
    [ "$rc" -eq 1 ] || fail "-t on five-mistakes.conf: exit $rc, want 1"
    n=$(grep -c "^$f:[0-9][0-9]*: " "$T/five.err" || true)
    [ "$n" -eq 5 ] || { cat "$T/five.err"; fail "five-mistakes.conf: $n file:line errors, want 5"; }
    echo "ok: five mistakes, five errors"
fi

# Our own bad file: unknown commands on lines 2, 4 and 6, all reported in one run.
cat > "$T/bad.conf" <<EOF
hostname gw.example.com
frobnicate on
! a comment
warp-drive 9
# another comment
self-destruct now
EOF
set +e; "$GW" -t -c "$T/bad.conf" > /dev/null 2> "$T/bad.err"; rc=$?; set -e
[ "$rc" -eq 1 ] || fail "-t on a bad file: exit $rc, want 1"
for l in 2 4 6; do
    grep -q "^$T/bad.conf:$l: " "$T/bad.err" || { cat "$T/bad.err"; fail "no error for line $l"; }
done
[ "$(grep -c "^$T/bad.conf:[0-9]*: " "$T/bad.err")" -eq 3 ] || fail "not exactly 3 errors"
set +e; "$GW" -t -c "$T/missing.conf" 2> "$T/miss.err"; rc=$?; set -e
[ "$rc" -eq 1 ] || fail "-t on a missing file: exit $rc, want 1"
grep -q "missing.conf" "$T/miss.err" || fail "missing file not named"
echo "ok: -t reports every error as file:line and exits 1"

# ---- a running daemon ----
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user nobody"
# listeners on free ports, not the defaults (25, 5060) that another daemon
# on the machine may hold
smtp_port=$(free_port); sip_port=$(free_port)
write_conf() {   # write_conf EXTRA-LINE
    cat > "$T/gw.conf" <<EOF
hostname gw.example.com
spool $T/spool
$user_line
$1
mta receive listen 127.0.0.1 $smtp_port
sip
 listen udp 127.0.0.1 $sip_port
EOF
    chmod 644 "$T/gw.conf"
}
write_conf ""
"$GW" -t -c "$T/gw.conf" > /dev/null || fail "-t on the test config"

"$GW" -c "$T/gw.conf" 2> "$T/gw.log" &
pid=$!
t37_bg "$pid"
wait_for 10 grep -q 'event=start result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "daemon did not start"; }
for d in tmp incoming mail offramp failed; do
    [ -d "$T/spool/$d" ] || fail "spool/$d not created"
done
echo "ok: started, spool tree created"

set +e; "$GW" -c "$T/gw.conf" 2> "$T/second.log"; rc=$?; set -e
[ "$rc" -eq 1 ] || fail "a second daemon on the same spool: exit $rc, want 1"
grep -q "spool $T/spool: in use by another process (pid $pid)" "$T/second.log" ||
    { cat "$T/second.log"; fail "second daemon: no clear error"; }
kill -0 "$pid" || fail "the first daemon died"
[ -z "$(ls -A "$T/spool/tmp")" ] || fail "tmp/ touched"
echo "ok: one daemon per spool"

write_conf "bogus-command 1
another-bogus 2"
kill -HUP "$pid"
wait_for 10 grep -q 'event=reload result=failed errors=2' "$T/gw.log" || { cat "$T/gw.log"; fail "no failed reload"; }
grep -q "gw.conf:4: " "$T/gw.log" || fail "reload error for line 4 not logged"
grep -q "gw.conf:5: " "$T/gw.log" || fail "reload error for line 5 not logged"
kill -0 "$pid" || fail "daemon died on a broken reload"
echo "ok: SIGHUP with a broken file keeps running and logs every error"

write_conf "! fixed"
kill -HUP "$pid"
wait_for 10 grep -q 'event=reload result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "no reload ok"; }
echo "ok: SIGHUP with a fixed file reloads"

kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && fail "still running 10 s after SIGTERM"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -eq 0 ] || { cat "$T/gw.log"; fail "exit $rc after SIGTERM"; }
grep -q 'event=shutdown phase=drained' "$T/gw.log" || fail "no drain logged"
grep -q 'event=stop result=ok' "$T/gw.log" || fail "no stop logged"
echo "ok: SIGTERM exits 0"

# SIGINT stops it the same way; -d logs at debug level.
"$GW" -d -c "$T/gw.conf" 2> "$T/gw2.log" &
pid=$!
t37_bg "$pid"
wait_for 10 grep -q 'event=start result=ok' "$T/gw2.log" || { cat "$T/gw2.log"; fail "restart"; }
grep -q 'recovered=0' "$T/gw2.log" || fail "recovery count not logged"
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -eq 0 ] || fail "exit $rc after SIGINT"
grep -q 'event=signal signal=INT' "$T/gw2.log" || fail "SIGINT not logged"
echo "ok: SIGINT exits 0"

# A crash leaves a half-written job in tmp/: the next start removes it.
mkdir -p "$T/spool/tmp/0123456789abcdef" && echo half > "$T/spool/tmp/0123456789abcdef/msg"
"$GW" -c "$T/gw.conf" 2> "$T/gw3.log" &
pid=$!
t37_bg "$pid"
wait_for 10 grep -q 'event=start result=ok' "$T/gw3.log" || { cat "$T/gw3.log"; fail "restart 2"; }
grep -q 'recovered=1' "$T/gw3.log" || { cat "$T/gw3.log"; fail "leftover not recovered"; }
[ -z "$(ls -A "$T/spool/tmp")" ] || fail "tmp/ not emptied"
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM (restart 2)"
echo "ok: start-up recovery empties tmp/"

# ---- unusable spools ----
: > "$T/afile"
cat > "$T/nospool.conf" <<EOF
spool $T/afile/spool
$user_line
EOF
chmod 644 "$T/nospool.conf"
set +e; "$GW" -c "$T/nospool.conf" 2> "$T/nospool.log"; rc=$?; set -e
[ "$rc" -eq 1 ] || fail "spool under a file: exit $rc, want 1"
grep -q "spool $T/afile/spool: cannot create: Not a directory" "$T/nospool.log" ||
    { cat "$T/nospool.log"; fail "no clear spool error"; }

mkdir -p "$T/ro/spool"
chmod 555 "$T/ro/spool"
cat > "$T/ro.conf" <<EOF
spool $T/ro/spool
EOF
chmod 644 "$T/ro.conf"
set +e
if [ "$(id -u)" -eq 0 ]; then
    # root writes anywhere: run as an unprivileged user instead
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$GW" -c "$T/ro.conf" 2> "$T/ro.log"
else
    "$GW" -c "$T/ro.conf" 2> "$T/ro.log"
fi
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "read-only spool: exit $rc, want 1"
grep -q "spool $T/ro/spool: not writable: Permission denied" "$T/ro.log" ||
    { cat "$T/ro.log"; fail "no clear read-only spool error"; }
echo "ok: unusable spool is a clear error and exit 1"
