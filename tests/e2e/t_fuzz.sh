#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/fuzz_*.c: /v1 and TMF621 request bodies,
# configuration loader, rule matcher, evidence verifier), each over its corpus
# in tests/fuzz/corpus (which must pass: it keeps past crashes) and then a few
# seconds more (FUZZ_SECONDS, default 5): no crash, leak or sanitizer report.
# make fuzz runs them for longer.
set -u
cd "$(dirname "$0")/../.."
FUZZ_SECONDS=${FUZZ_SECONDS:-5} exec tests/fuzz/run.sh
