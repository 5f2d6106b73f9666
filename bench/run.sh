#!/bin/sh
# Runs every benchmark: each compiled bench/NAME.c (as $BUILD/bench/NAME) and
# each bench/NAME.sh script other than this one. Each prints its own measurement and the ratio
# to a reference measured in the same run. `BENCH_ONLY=NAME` runs one.
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$SRCDIR/${BUILD:-build}" && pwd)
export SRCDIR BUILD
rc=0
for b in "$SRCDIR"/bench/*.c "$SRCDIR"/bench/*.sh; do
    [ -e "$b" ] || continue
    n=$(basename "$b"); n=${n%.*}
    [ "$n" = run ] && continue          # this script
    [ -n "${BENCH_ONLY:-}" ] && [ "$n" != "$BENCH_ONLY" ] && continue
    echo "== bench $n"
    case "$b" in
    *.c) "$BUILD/bench/$n" || rc=1 ;;
    *.sh) sh "$b" || rc=1 ;;
    esac
done
exit $rc
