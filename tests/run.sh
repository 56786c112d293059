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

# The zoo of real-size models (tools/zoo/make_zoo.py) is built first when torchvision is installed, so that
# both the explorer's real-scale checks (tui.sh) and the zoo suite run on it.
export ZOO_DIR=${ZOO_DIR:-build/zoo}
if [ ! -f "$ZOO_DIR/faults.tsv" ] && /usr/bin/python3 -c 'import torchvision, onnx' 2>/dev/null; then
    echo "== building the zoo in $ZOO_DIR (about a minute)"
    nice -n 10 /usr/bin/python3 tools/zoo/make_zoo.py "$ZOO_DIR" >/dev/null 2>&1 || echo "FAIL zoo_generated" >>"$log"
fi
# quantized MobileNetV2 and ResNet-18 with torch's int8 outputs (`make zoo-quant`, about 15 s of CPU), checked by the
# unit test torchscript_quantized_zoo_matches_torch_int8
if [ ! -f "$ZOO_DIR/quant/q_resnet18_qnnpack.out.f32" ] && /usr/bin/python3 -c 'import torchvision' 2>/dev/null; then
    echo "== building the quantized zoo in $ZOO_DIR/quant"
    nice -n 10 /usr/bin/python3 tests/fixtures/make_quant_fixtures.py "$ZOO_DIR/quant" --zoo >/dev/null 2>&1 ||
        echo "FAIL zoo_quant_generated" >>"$log"
fi

run_suite "unit tests" "$BUILD/unit_tests"
for suite in tests/cli/*.sh tests/zoo/*.sh; do
    run_suite "$suite" bash "$suite"
done

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
