#!/usr/bin/env bash
# Runs the unit tests (TAP binaries) and the end-to-end scripts (TAP), then
# prints one line "N passed, N failed" and exits non-zero on any failure.
#   tests/run.sh [unit|e2e]    VALGRIND=1 runs the unit tests under valgrind.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
what=${1:-all}
passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

tally() { # name, exit status; counts the TAP lines in $out
    local name=$1 rc=$2 p f
    p=$(grep -c '^ok ' "$out")
    f=$(grep -c '^not ok ' "$out")
    s=$(grep -c '^ok .*# SKIP' "$out")
    skipped=$((skipped + s))
    passed=$((passed + p - s))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited with status $rc"
        failed=$((failed + 1))
    fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$rc" -eq 0 ]; then
        echo "not ok - $name ran no test"
        failed=$((failed + 1))
    fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
    for t in "$BUILD"/tests/test_* "$BUILD"-faults/tests/test_*; do
        [ -x "$t" ] || continue
        echo "# $t"
        if [ "${VALGRIND:-0}" = 1 ]; then
            valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
                "$t" >"$out" 2>&1
        else
            "$t" >"$out" 2>&1
        fi
        rc=$?
        cat "$out"
        tally "$t" "$rc"
    done
fi
# The e2e scripts run E2E_JOBS at a time (default 3), each with its own
# broker, port and data directory, the long ones ("# e2e: long") first and
# those that read the others' results ("# e2e: last", through SEAM_RUN_LOGS,
# where each script's exit status lands as NAME.rc) last; a script whose
# header says "# e2e: alone" (load and timing tests) runs by itself after the
# others. Outputs are printed in name order once all have
# ended, each with its wall time.
if [ "$what" = all ] || [ "$what" = e2e ]; then
    jobs_max=${E2E_JOBS:-3}
    logs=$(mktemp -d "${TMPDIR:-/tmp}/seam-run.XXXXXX")
    SEAM_RUN_LOGS=$logs
    export SEAM_RUN_LOGS
    trap 'rm -f "$out"; rm -rf "$logs"' EXIT
    run_one() { # script
        local b
        b=$(basename "$1" .sh)
        local t0=$SECONDS
        bash "$1" >"$logs/$b.out" 2>&1
        local rc=$?
        echo $((SECONDS - t0)) >"$logs/$b.time"
        echo $rc >"$logs/$b.rc.tmp" && mv "$logs/$b.rc.tmp" "$logs/$b.rc"
    }
    alone=()
    # The longest first ("# e2e: long" in the header), so that none of them
    # starts last and runs on alone.
    mapfile -t scripts < <(grep -l '^# e2e: long' tests/e2e/t_*.sh
        grep -L '^# e2e: \(long\|last\)' tests/e2e/t_*.sh
        grep -l '^# e2e: last' tests/e2e/t_*.sh)
    for t in "${scripts[@]}"; do
        if grep -q '^# e2e: alone' "$t"; then
            alone+=("$t")
            continue
        fi
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
            wait -n
        done
        run_one "$t" &
    done
    wait
    for t in "${alone[@]}"; do
        run_one "$t"
    done
    for t in tests/e2e/t_*.sh; do
        b=$(basename "$t" .sh)
        echo "# $t ($(cat "$logs/$b.time" 2>/dev/null || echo ?) s)"
        cp "$logs/$b.out" "$out"
        cat "$out"
        tally "$t" "$(cat "$logs/$b.rc" 2>/dev/null || echo 1)"
    done
fi
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
