#!/bin/sh
# Runs every test: the Check unit runner, then each integration test under
# tests/integration (executable files named test_*), each under a time limit.
# An integration test exits 0 (pass), 77 (skipped, with the reason on its
# last line) or anything else (fail). Environment for them: BUILD (absolute
# build directory), SRCDIR (the source tree), T37_SANITIZED=1 under `make asan`.
# With T37_NO_SKIP=1 (CI, where every dependency is installed) a skipped test
# counts as failed: a skip there means the test did not check what it claims.
# The run ends with one line: "tests: N passed, N failed".
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$SRCDIR/${BUILD:-build}" && pwd)
export SRCDIR BUILD
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
passed=0 failed=0 skipped=0 failures=""

# Check kills a test after 4 s by default; sanitizer builds and busy
# machines are slower, so allow more before calling it a hang.
: "${CK_TIMEOUT_MULTIPLIER:=5}"; export CK_TIMEOUT_MULTIPLIER

out=$(mktemp); trap 'rm -f "$out"' EXIT
"$BUILD/tests/unit" 2>&1 | tee "$out"
summary=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$out" | tail -n 1)
if [ -n "$summary" ]; then
    n=$(echo "$summary" | sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/')
    set -- $n
    passed=$(( $1 - $2 - $3 )); failed=$(( $2 + $3 ))
else
    failed=1; failures=" unit"
fi

for t in "$SRCDIR"/tests/integration/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    [ -n "${T37_ONLY:-}" ] && [ "$name" != "$T37_ONLY" ] && continue
    log="$BUILD/tests/$name.log"; mkdir -p "$BUILD/tests"
    start=$(date +%s)
    ( cd "$SRCDIR" && timeout -k 10 "$TEST_TIMEOUT" "$t" ) > "$log" 2>&1
    rc=$?; secs=$(( $(date +%s) - start ))
    case $rc in
    0)  passed=$((passed + 1)); echo "PASS: $name (${secs}s)" ;;
    77) if [ "${T37_NO_SKIP:-0}" = 1 ]; then
            failed=$((failed + 1)); failures="$failures $name"
            echo "FAIL: $name skipped where nothing may be: $(tail -n 1 "$log")"
        else
            skipped=$((skipped + 1)); echo "SKIP: $name: $(tail -n 1 "$log")"
        fi ;;
    *)  failed=$((failed + 1)); failures="$failures $name"
        echo "FAIL: $name (exit $rc, ${secs}s); last lines of $log:"
        tail -n 25 "$log" | sed 's/^/    /' ;;
    esac
done

[ -n "$failures" ] && echo "failed:$failures"
if [ "$skipped" -gt 0 ]; then
    echo "tests: $passed passed, $failed failed, $skipped skipped"
else
    echo "tests: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
