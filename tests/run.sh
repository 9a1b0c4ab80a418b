#!/bin/sh
# Runs every test binary in BUILD/tests (unit tests first, then end-to-end,
# then the SMS end-to-end suite a second time with the simulator and the
# gateway speaking Telnyx, shown as "e2e_relay[telnyx]", and a third time on
# PostgreSQL, shown as "e2e_relay[pg]" (each binary starts a throwaway
# cluster of its own), then `make install`
# into a throwaway tree, tests/install.sh), each under a
# timeout, and ends with one line: "N passed, M failed". A binary that
# crashes or times out counts as one failure on top of its own. Tests that
# skip themselves (a Twilio-only test under Telnyx) count as neither.
#
#   sh tests/run.sh [BUILD]        BUILD defaults to "build"
#   TESTS="test_form e2e_relay" sh tests/run.sh    run only these (in the
#       provider PEERLINE_E2E_PROVIDER names; "e2e_relay[telnyx]" for Telnyx,
#       "e2e_relay[pg]" on PostgreSQL)
#   JOBS=1 sh tests/run.sh         one binary at a time (default 3 at once;
#       results are printed in order either way)
#   TIMES=1 sh tests/run.sh        each binary's wall-clock seconds too

BUILD=${1:-build}
JOBS=${JOBS:-3}
PEERLINE_BIN=$(cd "$(dirname "$BUILD/peerline")" && pwd)/peerline
PEERLINE_BUILD=$BUILD
CMOCKA_MESSAGE_OUTPUT=TAP
export PEERLINE_BIN PEERLINE_BUILD CMOCKA_MESSAGE_OUTPUT

# The end-to-end binaries about conversations over SMS: run under both providers.
# (Not: e2e_hostile, e2e_disk - Twilio's wire, the spool and reconciliation;
# e2e_dashboard - the page; e2e_telnyx - Telnyx's own wire, always Telnyx;
# the voice binaries - calls, Twilio Voice.)
SMS_SUITE="e2e_relay e2e_texter e2e_matching e2e_endings e2e_safety e2e_debrief e2e_carrier e2e_edges e2e_notes e2e_res e2e_shadow
           e2e_crash e2e_faults e2e_admin e2e_reload e2e_retention e2e_simpage"

pass=0
fail=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# The work list, one "name binary provider database" per line.
default_provider=${PEERLINE_E2E_PROVIDER:-twilio}
if [ -n "$TESTS" ]; then
    for t in $TESTS; do
        case "$t" in
        *"[telnyx]") echo "$t $BUILD/tests/${t%\[telnyx\]} telnyx sqlite" ;;
        *"[pg]") echo "$t $BUILD/tests/${t%\[pg\]} twilio pg" ;;
        install) echo "install tests/install.sh twilio sqlite" ;;
        *) echo "$t $BUILD/tests/$t $default_provider sqlite" ;;
        esac
    done >"$logdir/list"
else
    {
        for t in $(ls "$BUILD"/tests/test_* 2>/dev/null) $(ls "$BUILD"/tests/e2e_* 2>/dev/null); do
            echo "$(basename "$t") $t twilio sqlite"
        done
        for n in $SMS_SUITE; do
            [ -x "$BUILD/tests/$n" ] && echo "$n[telnyx] $BUILD/tests/$n telnyx sqlite"
        done
        for n in $SMS_SUITE; do
            [ -x "$BUILD/tests/$n" ] && echo "$n[pg] $BUILD/tests/$n twilio pg"
        done
        echo "install tests/install.sh twilio sqlite"
    } >"$logdir/list"
fi
total=$(wc -l <"$logdir/list")

# One binary: its TAP output in N.log, then its exit code in N.rc (written last).
run_one() {
    i=$1
    set -- $(sed -n "${i}p" "$logdir/list")
    start=$(date +%s)
    PEERLINE_E2E_PROVIDER=$3 PEERLINE_E2E_DB=$4 timeout 180 "$2" >"$logdir/$i.log" 2>&1
    echo $? >"$logdir/$i.rc.tmp"
    echo $(($(date +%s) - start)) >"$logdir/$i.secs"
    mv "$logdir/$i.rc.tmp" "$logdir/$i.rc"
}

# A worker takes the next binary nobody has claimed (mkdir is atomic) until none is left.
worker() {
    i=1
    while [ "$i" -le "$total" ]; do
        mkdir "$logdir/claim.$i" 2>/dev/null && run_one "$i"
        i=$((i + 1))
    done
}

w=0
while [ "$w" -lt "$JOBS" ]; do
    worker &
    w=$((w + 1))
done

# Results in list order, each as soon as it and those before it are done.
i=1
while [ "$i" -le "$total" ]; do
    while [ ! -f "$logdir/$i.rc" ]; do sleep 0.2; done
    name=$(sed -n "${i}p" "$logdir/list" | cut -d' ' -f1)
    log="$logdir/$i.log"
    rc=$(cat "$logdir/$i.rc")
    p=$(grep -c '^ok ' "$log")
    s=$(grep -c '^not ok [0-9]* # SKIP' "$log")
    f=$(($(grep -c '^not ok ' "$log") - s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        [ "$rc" -eq 124 ] && echo "$name: timed out" >>"$log"
    fi
    pass=$((pass + p))
    fail=$((fail + f))
    skipped=""
    [ "$s" -ne 0 ] && skipped=", $s skipped"
    secs=""
    [ -n "$TIMES" ] && secs=" ($(cat "$logdir/$i.secs") s)"
    if [ "$f" -ne 0 ]; then
        printf '%-24s %3d passed%s, %d FAILED%s\n' "$name" "$p" "$skipped" "$f" "$secs"
        sed 's/^/    /' "$log" | tail -n 60
    else
        printf '%-24s %3d passed%s%s\n' "$name" "$p" "$skipped" "$secs"
    fi
    i=$((i + 1))
done
wait

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
