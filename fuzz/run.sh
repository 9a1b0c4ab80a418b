#!/bin/sh
# Runs each libFuzzer target for a bounded time: `make fuzz` (FUZZ_SECONDS
# each, 60 by default; CI uses 30). Seeds are read from fuzz/corpus/NAME and
# what the fuzzer learns is kept in BUILD/corpus/NAME, never in the repo.
# A crash, leak or timeout leaves its input as BUILD/crashes/NAME-*; rerun
# it with `BUILD/NAME BUILD/crashes/NAME-...`. Ends with one summary line.
#
#   sh fuzz/run.sh BUILD SECONDS TARGET...
set -u
BUILD=$1
SECONDS_EACH=$2
shift 2
pass=0
fail=0
mkdir -p "$BUILD/crashes"
for bin in "$@"; do
    name=$(basename "$bin")
    seeds=fuzz/corpus/${name#fuzz_}
    mkdir -p "$BUILD/corpus/$name"
    if "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$BUILD/crashes/$name-" "$BUILD/corpus/$name" "$seeds" \
        >"$BUILD/$name.log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$BUILD/$name.log")
        printf '%-16s ok    %s runs in %ss\n' "$name" "${runs:-?}" "$SECONDS_EACH"
        pass=$((pass + 1))
    else
        printf '%-16s FAILED (see %s)\n' "$name" "$BUILD/$name.log"
        grep -E 'ERROR|SUMMARY|Test unit written' "$BUILD/$name.log" | head -5
        fail=$((fail + 1))
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
