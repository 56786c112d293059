#!/usr/bin/env bash
# run.sh — runs every test suite against a build folder (unit tests, CLI suites, ONNX conformance)
# and ends with the line "N passed, N failed". Usage: tests/run.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
export CS="$PWD/$BUILD/convscope"
export TMP
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
log="$TMP/all.log"
: >"$log"

run_suite() {
    local title=$1
    shift
    echo "== $title"
    "$@" 2>&1 | tee -a "$log" | grep -E '^(FAIL|ok) ' | grep -v '^ok ' || true
}

run_suite "unit tests" "$BUILD/unit_tests"
for suite in tests/cli/*.sh tests/zoo/*.sh; do
    run_suite "$suite" bash "$suite"
done

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
