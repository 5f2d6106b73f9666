# Shared helpers for integration tests (sourced by tests/integration/test_*.sh).
# Every test runs in its own temporary directory ($T), picks free loopback
# ports, starts what it needs, and stops everything on exit.
set -eu
: "${SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=$SRCDIR/build}"
T=$(mktemp -d "${TMPDIR:-/tmp}/t37test.XXXXXX")
T37_PIDS=""

t37_cleanup() {
    for p in $T37_PIDS; do kill "$p" 2>/dev/null || true; done
    sleep 0.2
    for p in $T37_PIDS; do kill -9 "$p" 2>/dev/null || true; done
    [ -n "${T37_KEEP:-}" ] || rm -rf "$T"
}
trap t37_cleanup EXIT

# Remember a background process so it is stopped at exit.
t37_bg() { T37_PIDS="$T37_PIDS $1"; }

# A TCP/UDP port on 127.0.0.1 that nothing listens on right now and that
# no test running beside this one is given (ports.py).
free_port() {
    python3 tests/integration/ports.py
}

# wait_port PORT [SECONDS]: until something accepts TCP on 127.0.0.1:PORT.
wait_port() {
    python3 - "$1" "${2:-10}" <<'PY'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
end = time.time() + limit
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds (polled every 0.1 s).
# The caller's shell expands the arguments once: a count that must be taken
# again at each try goes in a function or in eval '...'.
wait_for() {
    _limit=$(( $1 * 10 )); shift
    while [ "$_limit" -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1; _limit=$((_limit - 1))
    done
    return 1
}

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
# Jobs in one spool queue: the number of entries of DIR/QUEUE; a missing
# queue directory fails the test (an empty answer would prove nothing).
spool_jobs() {
    [ -d "$1/$2" ] || fail "spool queue $1/$2 does not exist"
    ls "$1/$2" | wc -l
}
