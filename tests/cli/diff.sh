#!/usr/bin/env bash
# diff.sh — the comparison core end to end: clean pairs agree (exit 0); every planted fault in
# samples/faults/ diverges (exit 1) with its first divergence on the faulty layer of both sides.
. "$(dirname "$0")/../lib.sh"

# in_list NAME 'a+b+c': is NAME one of the '+'-joined names?
in_list() {
    local IFS=+ item
    for item in $2; do [ "$item" = "$1" ] && return 0; done
    return 1
}

# check_cause NAME OUT KIND ATTRIBUTE: the 'cause:' line names the expected kind (and canonical attribute).
check_cause() {
    local name=$1 out=$2 kind=$3 attr=$4 line want
    line=$(printf '%s\n' "$out" | grep '^cause: ')
    want="cause: $kind"
    [ "$attr" != - ] && want="$want ($attr)"
    case "$line" in
    "$want: "*) echo "ok diff_cause_named_$name" ;;
    *) echo "FAIL diff_cause_named_$name (want '$want: ...'; got: ${line:-no cause line})" ;;
    esac
}

check_row() {
    local name=$1 a=$2 b=$3 fault=$4 a_layer=$5 b_layer=$6 input=$7 kind=${8:-} attr=${9:--} out rc line a_part b_part
    local strict=
    case $name in
    fp16_*) # a precision change: its own verdict (exit 0); --strict makes it a divergence localised like a fault
        out=$("$CS" diff "$a" "$b" --input "$input" 2>/dev/null)
        rc=$?
        if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^verdict: match within fp16 rounding$'; then
            echo "ok diff_precision_verdict_$name"
        else
            echo "FAIL diff_precision_verdict_$name (exit $rc, want 0): $(printf '%s' "$out" | grep -E 'first divergence|verdict')"
        fi
        strict=--strict ;;
    esac
    out=$("$CS" diff "$a" "$b" --input "$input" $strict 2>/dev/null)
    rc=$?
    if [ "$fault" = clean ]; then
        if [ $rc -eq 0 ]; then echo "ok diff_clean_pair_agrees_$name"
        else echo "FAIL diff_clean_pair_agrees_$name (exit $rc): $(printf '%s' "$out" | grep -E 'first divergence|verdict')"; fi
        if printf '%s\n' "$out" | grep -q '^cause: '; then echo "FAIL diff_clean_pair_has_no_cause_$name"
        else echo "ok diff_clean_pair_has_no_cause_$name"; fi
        return
    fi
    if [ -n "$kind" ]; then check_cause "$name" "$out" "$kind" "$attr"
    else echo "FAIL diff_cause_named_$name (the manifest gives no expected cause)"; fi
    line=$(printf '%s\n' "$out" | grep '^first divergence:')
    a_part=${line#*A \'}; a_part=${a_part%%\' <-> B*}
    b_part=${line#*<-> B \'}; b_part=${b_part%%\': max*}
    if [ $rc -eq 1 ] && in_list "$a_layer" "$a_part" && in_list "$b_layer" "$b_part"; then
        echo "ok diff_fault_found_at_its_layer_$name"
    else
        echo "FAIL diff_fault_found_at_its_layer_$name (exit $rc, want 1; want A '$a_layer' B '$b_layer'; got: ${line:-no divergence})"
    fi
}

M=samples/faults/MANIFEST.tsv
if [ -f $M ]; then
    while IFS=$'\t' read -r name a b fault a_layer b_layer input kind attr; do
        [ "$name" = name ] && continue
        check_row "$name" "$a" "$b" "$fault" "$a_layer" "$b_layer" "$input" "$kind" "$attr"
    done <$M
else
    echo "FAIL diff_fault_corpus_present ($M missing: run make samples)"
fi

expect_ok diff_weights_only_lenet5_identical 'fc1 +/fc1/Gemm +- +- +- +identical' \
    "$CS" diff samples/lenet5/lenet5.pt samples/lenet5/lenet5.onnx --weights-only
expect_ok diff_json_has_verdict_and_layers '"verdict": "match"' \
    "$CS" diff samples/lenet5/lenet5.pt samples/lenet5/lenet5.onnx --input samples/lenet5/images/1_trouser.png --json
# the cause in JSON: kind, canonical attribute, both values, the measured residual, the sentence
out=$("$CS" diff samples/lenet5/lenet5.pt samples/faults/lenet5_conv1_pad_asymmetric.onnx \
      --input samples/lenet5/images/7_sneaker.png --json --node-data "$TMP" 2>/dev/null)
if printf '%s' "$out" | python3 -c '
import json, sys
c = json.load(sys.stdin)["first_divergence"]["cause"]
assert (c["kind"], c["attribute"], c["a"], c["b"]) == ("attribute", "pads", "[2,2,2,2]", "[1,1,3,3]"), c
assert c["evidence"]["residual"] < 1e-4 and "pads" in c["summary"], c
'; then echo "ok diff_json_cause_names_the_attribute"; else echo "FAIL diff_json_cause_names_the_attribute ($out)"; fi
# Model Explorer node data, one file per side keyed by its node names, the first divergence in red
if python3 -c '
import json, sys
a, b = (json.load(open(sys.argv[1] + "/%s_node_data.json" % s)) for s in "ab")
assert a["results"]["conv1"]["bgColor"] == "#e53935" and a["results"]["conv1"]["value"] > 0.1, a
assert b["results"]["/conv1/Conv"]["bgColor"] == "#e53935" and "/fc1/Gemm" in b["results"], b
assert b["convscope_cause"]["kind"] == "attribute"
' "$TMP"; then echo "ok diff_node_data_per_side"; else echo "FAIL diff_node_data_per_side"; fi
out=$("$CS" diff samples/lenet5/lenet5.pt samples/lenet5/lenet5.onnx --input samples/lenet5/images/1_trouser.png --json 2>/dev/null)
if printf '%s' "$out" | python3 -c 'import json,sys; assert json.load(sys.stdin)["first_divergence"] is None'; then
    echo "ok diff_json_clean_pair_has_no_cause"; else echo "FAIL diff_json_clean_pair_has_no_cause"; fi
expect_ok inspect_torchscript_canonical_attributes 'canonical: kernel_shape=\[5,5\] strides=\[1,1\] pads=\[2,2,2,2\]' \
    "$CS" inspect samples/lenet5/lenet5.pt
expect_ok inspect_coreml_canonical_native_names 'pads\(paddingAmounts\)=\[2,2,2,2\]' \
    "$CS" inspect samples/lenet5/lenet5.mlmodel
printf 'fc1 -> /fc2/Gemm\n' >"$TMP/map.txt"
expect_ok diff_user_map_overrides_matching 'fc1 +/fc2/Gemm' \
    "$CS" diff samples/lenet5/lenet5.pt samples/lenet5/lenet5.onnx --weights-only --map "$TMP/map.txt"
printf 'nosuchlayer -> /fc2/Gemm\n' >"$TMP/badmap.txt"
expect_fail diff_user_map_names_unknown_layer "badmap\.txt:1: model A has no layer 'nosuchlayer'" \
    "$CS" diff samples/lenet5/lenet5.pt samples/lenet5/lenet5.onnx --weights-only --map "$TMP/badmap.txt"
expect_fail diff_needs_an_input "give --input SPEC" "$CS" diff samples/lenet5/lenet5.pt samples/lenet5/lenet5.onnx

R=../shared/realworld
if [ -d $R ]; then
    out=$("$CS" diff $R/nharish-onnx/mnist.h5 $R/nharish-onnx/onnx_mnist.onnx --weights-only 2>&1)
    n=$(printf '%s\n' "$out" | grep -cE '^conv2d_[0-9]+ .*identical after layout change')
    if [ "$n" -eq 2 ]; then echo "ok diff_keras_to_onnx_conv_kernels_identical_after_layout_change"
    else echo "FAIL diff_keras_to_onnx_conv_kernels_identical_after_layout_change ($out)"; fi
    for pair in "nharish-onnx/mnist.h5 nharish-onnx/onnx_mnist.onnx" \
                "bracketmaster-thesis/mnist-ncwh.h5 bracketmaster-thesis/mnist-ncwh.onnx" \
                "lime-experimentation/my_mnist_model.h5 lime-experimentation/model.onnx" \
                "r4ghu-coreml-mnist/mnistCNN.h5 r4ghu-coreml-mnist/mnistCNN.mlmodel"; do
        set -- $pair
        "$CS" diff $R/$1 $R/$2 --input $R/digits28/linghu_7.png >/dev/null 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then echo "ok diff_realworld_pair_agrees_${1%%/*}"
        else echo "FAIL diff_realworld_pair_agrees_${1%%/*} (exit $rc)"; fi
    done
else
    echo "note: $R is absent; the real-world pair checks were not run" >&2
fi

# Recurrent weights compared as the function they compute: one LSTM written by PyTorch, ONNX and Keras
# (gate orders i,f,g,o / i,o,f,c / i,f,c,o, transposed Keras kernels, one Keras bias = bias_ih + bias_hh).
RF=tests/fixtures
for pair in "keras/rnn_lstm_weights.h5 torch/rnn_lstm_state.pth" "keras/rnn_lstm_weights.h5 onnx/rnn_lstm.onnx" \
            "torch/rnn_lstm_state.pth onnx/rnn_lstm.onnx"; do
    set -- $pair
    expect_ok "diff_rnn_same_function_${1##*/}_${2##*/}" 'identical after layout change +ok' \
        "$CS" diff $RF/$1 $RF/$2 --weights-only
done
"$CS" diff $RF/keras/rnn_lstm_swapped.h5 $RF/onnx/rnn_lstm.onnx --weights-only --json >"$TMP/rnn_swap.json" 2>/dev/null
rc=$?
if [ $rc -eq 1 ] && grep -q "gate order differs: A's i,f,g,o are B's f,i,g,o" "$TMP/rnn_swap.json"; then
    echo "ok diff_rnn_swapped_gates_named"
else echo "FAIL diff_rnn_swapped_gates_named (exit $rc, want 1 and the swapped gates named)"; fi
if [ -f "$R/dtln-keras/model.h5" ]; then
    for pair in "dtln-keras/model.h5 dtln-pytorch/model.pth" "dtln-keras/model_1.onnx dtln-pytorch/model_p1.onnx" \
                "dtln-keras/model.h5 dtln-keras/model_1.onnx" "dtln-pytorch/model.pth dtln-pytorch/model_p2.onnx"; do
        set -- $pair
        out=$("$CS" diff $R/$1 $R/$2 --weights-only 2>&1)
        rc=$?
        if [ $rc -eq 0 ] && ! printf '%s' "$out" | grep -q 'different'; then echo "ok diff_dtln_${1//\//_}_${2//\//_}"
        else echo "FAIL diff_dtln_${1//\//_}_${2//\//_} (exit $rc: $(printf '%s' "$out" | grep -m2 -E 'different|verdict'))"; fi
    done
fi

# A decomposed LSTM (the MatMul/Add/Split/Sigmoid/Tanh/Mul cells keras2onnx writes, unrolled over two steps, Keras
# gate order, layer 2 with In == H) against the same LSTM as ONNX LSTM nodes: weights compared as one function
# (fixtures and their numpy check: tests/fixtures/onnx/make_lstm_cell_fixtures.py).
LC=tests/fixtures/onnx/lstm_cell
out=$("$CS" diff $LC/lstm_cells.onnx $LC/lstm_node.onnx --weights-only 2>&1)
rc=$?
n=$(printf '%s\n' "$out" | grep -cE ' lstm[01] .*identical after layout change')
if [ $rc -eq 0 ] && [ "$n" = 2 ]; then echo "ok diff_decomposed_lstm_cells_match_lstm_nodes"
else echo "FAIL diff_decomposed_lstm_cells_match_lstm_nodes (exit $rc, $n of 2 LSTM rows identical)"; fi
"$CS" diff $LC/lstm_cells_fo_swapped.onnx $LC/lstm_node.onnx --weights-only --json >"$TMP/cells_swap.json" 2>/dev/null
rc=$?
if [ $rc -eq 1 ] && grep -q "gate order differs: A's i,f,g,o are B's i,o,g,f" "$TMP/cells_swap.json"; then
    echo "ok diff_decomposed_lstm_swapped_gates_named"
else echo "FAIL diff_decomposed_lstm_swapped_gates_named (exit $rc, want 1 and the f/o swap named)"; fi
# torch.onnx writes nn.LSTMCell as Gemm (transB, C = a bias) cells: the state_dict's cells (weight_ih, no layer
# suffix) compare with them as functions, not tensor by tensor
out=$("$CS" diff $LC/torch_cells.pth $LC/torch_cells.onnx --weights-only 2>&1)
rc=$?
n=$(printf '%s\n' "$out" | grep -cE '^c[12] .*identical after layout change')
if [ $rc -eq 0 ] && [ "$n" = 2 ]; then echo "ok diff_lstmcell_state_dict_matches_its_gemm_cells"
else echo "FAIL diff_lstmcell_state_dict_matches_its_gemm_cells (exit $rc, $n of 2 cells identical)"; fi
LI="--input x=$LC/x.npy --input h0_0=$LC/h0_0.npy --input c0_0=$LC/c0_0.npy --input h0_1=$LC/h0_1.npy --input c0_1=$LC/c0_1.npy"
y1=$("$CS" run $LC/lstm_cells.onnx $LI 2>&1 | grep '^output y')
y2=$("$CS" run $LC/lstm_node.onnx $LI 2>&1 | grep '^output y')
if [ -n "$y1" ] && [ "$y1" = "$y2" ]; then echo "ok run_decomposed_lstm_cells_compute_the_lstm ($y1)"
else echo "FAIL run_decomposed_lstm_cells_compute_the_lstm ('$y1' vs '$y2')"; fi
if [ -f "$R/dtln-keras/model_2.onnx" ]; then
    # keras2onnx wrote DTLN part 2's LSTMs as decomposed cells, torch.onnx as LSTM nodes; the weights-only
    # .h5 holds all four LSTMs of which part 2 has the last two (found by shape)
    for pair in "dtln-keras/model_2.onnx dtln-pytorch/model_p2.onnx LSTM_1[35]" "dtln-keras/model.h5 dtln-keras/model_2.onnx lstm_[23]"; do
        set -- $pair
        n=$("$CS" diff $R/$1 $R/$2 --weights-only 2>&1 | grep -cE "^$3 .*identical after layout change|[ +]$3 .*identical after layout change")
        if [ "$n" = 2 ]; then echo "ok diff_dtln_decomposed_lstm_${1//\//_}_${2//\//_}"
        else echo "FAIL diff_dtln_decomposed_lstm_${1//\//_}_${2//\//_} ($n of 2 LSTMs identical)"; fi
    done
    # the cells are matched as one layer with the LSTM node, so the dense layer after them pairs with B's dense
    out=$("$CS" diff $R/dtln-keras/model_2.onnx $R/dtln-pytorch/model_p2.onnx --weights-only 2>&1)
    if printf '%s' "$out" | grep -q 'Tensordot/MatMul_add  *MatMul_18 .*identical' && ! printf '%s' "$out" | grep -q incomparable
    then echo "ok diff_dtln_decomposed_lstm_cells_matched_as_one_layer"
    else echo "FAIL diff_dtln_decomposed_lstm_cells_matched_as_one_layer ($(printf '%s' "$out" | grep -m2 -E 'incomparable|MatMul_18'))"; fi
fi
