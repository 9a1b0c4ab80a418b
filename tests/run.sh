#!/bin/sh
# Runs every test binary in BUILD/tests (unit tests first, then end-to-end),
# each under a timeout, and ends with one line: "N passed, M failed".
# A binary that crashes or times out counts as one failure on top of its own.
#
#   sh tests/run.sh [BUILD]        BUILD defaults to "build"
#   TESTS="test_form e2e_relay" sh tests/run.sh    run only these

BUILD=${1:-build}
PEERLINE_BIN=$(cd "$(dirname "$BUILD/peerline")" && pwd)/peerline
CMOCKA_MESSAGE_OUTPUT=TAP
export PEERLINE_BIN CMOCKA_MESSAGE_OUTPUT

pass=0
fail=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

if [ -n "$TESTS" ]; then
    list=""
    for t in $TESTS; do list="$list $BUILD/tests/$t"; done
else
    list="$(ls "$BUILD"/tests/test_* 2>/dev/null) $(ls "$BUILD"/tests/e2e_* 2>/dev/null)"
fi

for t in $list; do
    name=$(basename "$t")
    log="$logdir/$name.log"
    timeout 180 "$t" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        [ "$rc" -eq 124 ] && echo "$name: timed out" >>"$log"
    fi
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$f" -ne 0 ]; then
        printf '%-24s %3d passed, %d FAILED\n' "$name" "$p" "$f"
        sed 's/^/    /' "$log" | tail -n 60
    else
        printf '%-24s %3d passed\n' "$name" "$p"
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
