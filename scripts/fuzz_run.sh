#!/bin/sh
# fuzz_run.sh DIR SECONDS NAME: one libFuzzer target (DIR/NAME, built by
# `make fuzz`) for SECONDS on its corpus in DIR/corpus/NAME, seeded from
# tests/fuzz/corpus/NAME (and the mail corpus for fuzz_mime_offramp).
# Prints one line of runs; on a crash the tail of its log and the input's
# place, adds NAME to DIR/failed and exits 1. `make fuzz` runs several of
# these at a time.
set -u
dir=$1 secs=$2 n=$3
mkdir -p "$dir/corpus/$n"
seeds=
[ -d "tests/fuzz/corpus/$n" ] && seeds="tests/fuzz/corpus/$n"
case $n in fuzz_mime_offramp) seeds="$seeds tests/data/mail" ;; esac
LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp \
    "$dir/$n" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$dir/$n-" "$dir/corpus/$n" $seeds > "$dir/$n.log" 2>&1
rc=$?
awk -v n="$n" '/^Done [0-9]+ runs in/ { printf "fuzz: %s: %d runs in %d s (%d runs/s)\n",
    n, $2, $5, $2 / ($5 > 0 ? $5 : 1) }' "$dir/$n.log"
if [ $rc -ne 0 ]; then
    tail -n 40 "$dir/$n.log"
    echo "fuzz: $n FAILED (exit $rc); log $dir/$n.log"
    echo "$n" >> "$dir/failed"
    exit 1
fi
exit 0
