#!/usr/bin/env bash
# Runs each libFuzzer target (tests/fuzz/fuzz_NAME.c; FUZZ_NAMES picks some)
# over its corpus (tests/fuzz/corpus/NAME, which keeps every input that ever
# crashed or poisoned something) and then for FUZZ_SECONDS more (default 5),
# one target after the other, printing TAP. New inputs go to a
# temporary directory, so the committed corpus changes only by hand
# (FUZZ_KEEP=DIR keeps them there). Any crash, leak or sanitizer report fails.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-5}
n=0 failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/seam-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
names=${FUZZ_NAMES:-$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done | sed 's/^fuzz_//')}
for name in $names; do
    bin=$FUZZ_BUILD/fuzz_$name
    n=$((n + 1))
    mkdir -p "$work/$name"
    if ! "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$work/$name-" "$work/$name" "tests/fuzz/corpus/$name" \
        >"$work/$name.log" 2>&1; then
        echo "not ok $n - fuzz_$name: a crash, leak or sanitizer report"
        grep -E -A25 '^tests/fuzz/[^ ]+:[0-9]+: |ERROR|runtime error|==[0-9]+==' "$work/$name.log" | head -60 | sed 's/^/# /'
        mkdir -p "$FUZZ_BUILD/artifacts"
        for a in "$work/$name"-*; do
            [ -f "$a" ] || continue
            cp "$a" "$FUZZ_BUILD/artifacts/"
            echo "# the input: $FUZZ_BUILD/artifacts/$(basename "$a") (replay: $bin FILE)"
        done
        failed=$((failed + 1))
        continue
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
    echo "ok $n - fuzz_$name: the corpus and ${SECONDS_EACH}s more ($runs runs), no crash, leak or report"
    if [ -n "${FUZZ_KEEP:-}" ]; then
        mkdir -p "$FUZZ_KEEP/$name"
        cp -n "$work/$name"/* "$FUZZ_KEEP/$name/" 2>/dev/null || true
    fi
done
echo "1..$n"
[ "$failed" = 0 ]
