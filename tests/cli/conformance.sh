#!/usr/bin/env bash
# conformance.sh — the ONNX backend test suite from Debian's libonnx-testdata: every pytorch-converted,
# pytorch-operator and simple test passes (skips only from skip.txt), and node passes stay above the checked-in floor.
. "$(dirname "$0")/../lib.sh"
D=/usr/share/libonnx-testdata/data
C=tests/conformance
if [ ! -d $D/node ]; then
    echo "FAIL conformance_data_present (install libonnx-testdata: make deps)"
    exit 0
fi
# Every suite runs on both kernel sets: the fast path (default) and the reference oracle.
summary() { "$CS" --kernels "$K" conform "$D/$1" --skip-list $C/skip.txt --tolerances $C/tolerances.txt --report "$TMP/report_$1.md" | tail -n 1; }
field() { printf '%s' "$1" | sed -E "s/.* ([0-9]+) $2.*/\1/"; }

for K in fast reference; do
for suite in pytorch-converted pytorch-operator; do
    s=$(summary $suite)
    failed=$(field "$s" failed)
    skipped=$(field "$s" skipped)
    if [ "$failed" = 0 ] && [ "$skipped" -le 3 ]; then echo "ok conformance_${K}_${suite}_all_pass ($s)"
    else echo "FAIL conformance_${K}_${suite}_all_pass ($s)"; grep -E '\| failed \|' "$TMP/report_$suite.md" | head -20; fi
done
s=$(summary node)
passed=$(field "$s" passed)
floor=$(cat $C/node_floor.txt)
if [ "$passed" -ge "$floor" ]; then echo "ok conformance_${K}_node_at_least_floor ($s; floor $floor)"
else echo "FAIL conformance_${K}_node_at_least_floor ($s; floor $floor)"; fi
s=$(summary simple)
failed=$(field "$s" failed)
skipped=$(field "$s" skipped)
# nothing skipped: sequences, string tensors and training gradients all run
if [ "$failed" = 0 ] && [ "$skipped" = 0 ]; then echo "ok conformance_${K}_simple_all_pass_or_skipped_with_reason ($s)"
else echo "FAIL conformance_${K}_simple_all_pass_or_skipped_with_reason ($s)"; grep -E '\| failed \|' "$TMP/report_simple.md" | head; fi
done

# Operators and versions of opsets 18-21 (fixtures from the operator documentation, make_opset18_fixtures.py).
s=$("$CS" conform tests/fixtures/onnx/opset18 --report "$TMP/report_opset18.md" | tail -n 1)
if [ "$(field "$s" failed)" = 0 ] && [ "$(field "$s" skipped)" = 0 ] && [ "$(field "$s" passed)" -ge 37 ]; then
    echo "ok conformance_opset18_to_21_fixtures ($s)"
else echo "FAIL conformance_opset18_to_21_fixtures ($s)"; grep -E '\| failed \|' "$TMP/report_opset18.md" | head; fi

# Sequences, optionals and strings outside the conformance runner: `run` reads SequenceProto/OptionalProto
# inputs as the model declares them and prints what comes out (values from the test's own output_0.pb).
N=$D/node
expect_ok run_prints_a_sequence_output_element_by_element '\[2\] f32 \[4\]: 0\.951273 1\.61308' \
    "$CS" run $N/test_sequence_map_add_2_sequences/model.onnx \
    --input x0=$N/test_sequence_map_add_2_sequences/test_data_set_0/input_0.pb \
    --input x1=$N/test_sequence_map_add_2_sequences/test_data_set_0/input_1.pb
expect_ok run_json_gives_string_outputs_as_strings '"data":\["TUESDAY","WEDNESDAY","THURSDAY"\]' \
    sh -c "\"$CS\" run $N/test_strnormalizer_export_monday_casesensintive_upper/model.onnx --json \
    --input $N/test_strnormalizer_export_monday_casesensintive_upper/test_data_set_0/input_0.pb | tr -d ' \n'"
expect_ok run_reads_an_empty_optional_input 'output output bool \[\]: 0' \
    "$CS" run $N/test_optional_has_element_empty/model.onnx \
    --input $N/test_optional_has_element_empty/test_data_set_0/input_0.pb
# a string tensor fed to an op that computes on numbers: one line naming the node and the kind, exit 2
expect_fail run_refuses_a_string_tensor_at_a_numeric_op "node .*: input 0 is a string tensor, which this op does not take" \
    "$CS" run tests/fixtures/onnx/string_to_relu.onnx --input $N/test_strnormalizer_nostopwords_nochangecase/test_data_set_0/input_0.pb

# RegexFullMatch: a pattern RE2 rejects (a backreference) is refused when the model is planned, before any input;
# one that backtracks exponentially in PCRE2 stops at the match limit instead of hanging (exit 2 both).
F=tests/fixtures/onnx
expect_fail regex_refuses_a_pattern_re2_rejects "node 'RegexFullMatch_0' \(RegexFullMatch\): pattern refused .*backreferences" \
    "$CS" inspect $F/regex_backref.onnx
expect_fail regex_stops_a_hostile_pattern_at_the_match_limit "string 0: the pattern backtracks past the match limit" \
    timeout 20 "$CS" run $F/regex_hostile.onnx --input $F/regex_hostile_input.pb
