#!/bin/sh
# bench/smtp-intake: offramp SMTP intake throughput, t37gw against a private
# Postfix instance, same machine, same run, same client.
#
# Client: Postfix's smtp-source, 20 parallel sessions, messages of 1 KB and
# 50 KB. Both servers make every message durable before the 250 to the
# final dot: t37gw fsyncs each job (files, job directory, queue directory,
# batched across sessions by its committer thread: one syncfs() and one
# queue directory fsync per batch); Postfix's cleanup fsyncs each queue
# file. The Postfix instance has its own config, queue and data directories
# under a temp dir, listens on loopback, and puts every message on hold (no
# delivery work); t37gw likewise runs with `fax send hold` (jobs spooled,
# no document prepared, no call placed), so both measure intake alone.
#
# Measured on the 2-core build machine (ext4 without a journal, virtio
# disk): 1 KB 2.3x-5.2x, 50 KB 2.3x-2.8x. Runs vary by up to 2x from one
# minute to the next on that machine (ext4 skips recently deleted inodes
# when it allocates, and the previous run just deleted thousands): compare
# ratios from the same run only.
#
# Prints msgs/s for each server and size and the ratio t37gw / Postfix.
# Environment: BUILD (build dir), BENCH_MSGS_1K, BENCH_MSGS_50K, BENCH_SESSIONS.
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$SRCDIR/build}
SESSIONS=${BENCH_SESSIONS:-20}
MSGS_1K=${BENCH_MSGS_1K:-3000}
MSGS_50K=${BENCH_MSGS_50K:-1000}

skip() { echo "smtp-intake: skipped: $*"; exit 0; }
command -v smtp-source >/dev/null || skip "smtp-source (postfix) not installed"
command -v postfix >/dev/null || skip "postfix not installed"
[ -x "$BUILD/t37gw" ] || skip "$BUILD/t37gw not built"
[ "$(id -u)" -eq 0 ] || skip "a private Postfix instance needs root"
getent passwd postfix >/dev/null || skip "no postfix user"

T=$(mktemp -d "${TMPDIR:-/tmp}/t37bench.XXXXXX")
GW_PID=""
PF_DIR="$T/pf"
cleanup() {
    if [ -n "$GW_PID" ]; then
        kill "$GW_PID" 2>/dev/null || true
        wait "$GW_PID" 2>/dev/null || true
    fi
    postfix -c "$PF_DIR/etc" stop >/dev/null 2>&1 || true
    sleep 0.3
    [ -n "${T37_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
    i=0
    while ! python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.5)" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "port $1 never opened" >&2; exit 1; }
        sleep 0.1
    done
}

# ---- t37gw (as root it drops to nobody, which must reach the spool)
chmod 755 "$T"
GW_PORT=$(port)
cat > "$T/t37gw.conf" <<EOF
hostname gw.bench
spool $T/spool
user nobody
log stderr level warn
sip
 listen udp 127.0.0.1 $(port)
mta send maildir maildir
mta receive listen 127.0.0.1 $GW_PORT
mta receive aliases fax.bench
mta receive maximum-recipients 10
mta receive maximum-size 1048576
fax send hold
dial-peer voice 300 mmoip
 incoming called-number 1919.......
 information-type fax
dial-peer voice 400 voip
 destination-pattern 1919.......
 session target sip:\$d\$@127.0.0.1:5099
EOF
chmod 644 "$T/t37gw.conf"
"$BUILD/t37gw" -c "$T/t37gw.conf" 2> "$T/t37gw.log" &
GW_PID=$!
wait_port "$GW_PORT"

# ---- private Postfix
PF_PORT=$(port)
mkdir -p "$PF_DIR/etc" "$PF_DIR/queue" "$PF_DIR/data"
chmod 755 "$T" "$PF_DIR"                # the postfix user walks down to data/
chown postfix "$PF_DIR/data"
cat > "$PF_DIR/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = pf.bench
mydomain = bench
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_client_restrictions = check_client_access static:HOLD
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 100
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $PF_DIR
biff = no
EOF
cat > "$PF_DIR/etc/master.cf" <<EOF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
showq     unix n - n - - showq
EOF
postfix -c "$PF_DIR/etc" check >/dev/null 2>"$T/pf-check.log" || true
postfix -c "$PF_DIR/etc" start >/dev/null 2>"$T/pf-start.log" ||
    { cat "$T/pf-start.log" "$PF_DIR/maillog" >&2; echo "smtp-intake: cannot start postfix" >&2; exit 1; }
wait_port "$PF_PORT"

# rate SERVER_PORT RCPT COUNT SIZE -> msgs/s
rate() {
    python3 - "$@" <<'EOF'
import subprocess, sys, time
port, rcpt, count, size, sessions = sys.argv[1:6]
t = time.time()
r = subprocess.run(["smtp-source", "-d", "-s", sessions, "-m", count, "-l", size,
                    "-f", "alice@example.com", "-t", rcpt, "127.0.0.1:" + port],
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
el = time.time() - t
if r.returncode != 0:
    sys.stderr.write(r.stderr.decode())
    sys.exit(1)
print("%.1f" % (int(count) / el))
EOF
}

count_jobs() { find "$T/spool" -mindepth 3 -maxdepth 3 -name msg | grep -v "/spool/tmp/" | wc -l; }
count_pf() { find "$PF_DIR/queue/hold" "$PF_DIR/queue/incoming" "$PF_DIR/queue/active" \
    "$PF_DIR/queue/deferred" -type f 2>/dev/null | wc -l; }

echo "smtp-intake: $SESSIONS sessions; t37gw spool and Postfix queue both fsync'd before 250"
status=0
for spec in "1024 $MSGS_1K 1KB" "51200 $MSGS_50K 50KB"; do
    set -- $spec
    size=$1 count=$2 label=$3
    jobs0=$(count_jobs); pf0=$(count_pf)
    pf=$(rate "$PF_PORT" "FAX=+19195551234@fax.bench" "$count" "$size" "$SESSIONS")
    gw=$(rate "$GW_PORT" "FAX=+19195551234@fax.bench" "$count" "$size" "$SESSIONS")
    sleep 0.5
    jobs=$(( $(count_jobs) - jobs0 )); pfq=$(( $(count_pf) - pf0 ))
    ratio=$(python3 -c "print('%.2f' % ($gw / $pf))")
    echo "smtp-intake $label: t37gw $gw msgs/s ($jobs spooled), postfix $pf msgs/s ($pfq queued), ratio ${ratio}x"
    if [ "$jobs" -ne "$count" ]; then
        echo "smtp-intake: t37gw spooled $jobs of $count messages" >&2; status=1
    fi
done
exit $status
