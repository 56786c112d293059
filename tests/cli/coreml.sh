#!/usr/bin/env bash
# coreml.sh — CoreML models end to end: a tiny ML Program with file-backed weights runs and computes
# W x + b; malformed packages and truncated .mlmodel files get exit 2 and a message naming the problem.
. "$(dirname "$0")/../lib.sh"
F=tests/fixtures/coreml
X=$F/x_1x4.npy

expect_ok coreml_ml_program_linear_from_weight_bin 'output y f32 \[1,2\]: 1.5 4.5' \
    "$CS" run $F/tiny_program.mlpackage --input $X
expect_fail coreml_weight_blob_shorter_than_declared "blob_short\.mlpackage: layer 'W' \(const\): .*weight\.bin: blob data \[128, \+32\) runs past the end of the file \(152 bytes\)" \
    "$CS" run $F/blob_short.mlpackage --input $X
expect_fail coreml_weight_offset_past_end "offset_past_end\.mlpackage: layer 'W' \(const\): .*blob metadata offset 4096 is past the end of the file" \
    "$CS" run $F/offset_past_end.mlpackage --input $X
head -c 3000 samples/lenet5/lenet5.mlmodel >"$TMP/truncated.mlmodel"
expect_fail coreml_truncated_protobuf "truncated\.mlmodel: .*(truncated|corrupt|not a valid)" "$CS" inspect "$TMP/truncated.mlmodel"
expect_ok coreml_inspect_shows_fp16_weights 'weight .* f16' "$CS" inspect samples/lenet5/lenet5_fp16.mlmodel
expect_ok coreml_classifier_shows_labels "top-5: 7 'Sneaker'" \
    "$CS" run samples/lenet5/lenet5.mlmodel --input samples/lenet5/images/7_sneaker.png
expect_ok coreml_image_input_uses_model_preprocessing 'raw 0\.\.255 pixels' \
    sh -c "\"$CS\" run samples/lenet5/lenet5.mlmodel --input samples/lenet5/images/7_sneaker.png 2>&1"
# The fp16 variant's weights differ from the float32 original by fp16 rounding only, layer by layer.
out=$("$CS" diff samples/lenet5/lenet5.pt samples/lenet5/lenet5_fp16.mlmodel --weights-only 2>&1)
n_weighted=$(printf '%s\n' "$out" | grep -cE '^(conv|fc)[0-9]')
n_fp16=$(printf '%s\n' "$out" | grep -E '^(conv|fc)[0-9]' | grep -c 'fp16 rounding')
if [ "$n_weighted" -eq 5 ] && [ "$n_fp16" -eq 5 ]; then echo "ok coreml_fp16_variant_weights_are_fp16_rounding_of_the_original"
else echo "FAIL coreml_fp16_variant_weights_are_fp16_rounding_of_the_original ($n_fp16 of $n_weighted layers): $out"; fi

# --precision: an ML Program that declares fp16 runs with every fp16-typed op output rounded (model, the default)
# or entirely in fp32; Silero VAD's ML Program (1-D convolutions, an LSTM) agrees with its ONNX conversion.
R=../shared/realworld
if [ -d $R/silero-vad/silero-vad-unified-v6.0.0.mlpackage ]; then
    M=$R/silero-vad/silero-vad-unified-v6.0.0.mlpackage
    vad() { "$CS" run $M --precision "$1" --input audio_input=$F/vad_audio.npy --input hidden_state=$F/vad_state.npy \
        --input cell_state=$F/vad_state.npy 2>/dev/null | sed -n 's/^output vad_output f32 \[1,1,1\]: //p'; }
    p16=$(vad fp16); p32=$(vad fp32); pm=$(vad model)
    po=$("$CS" run $R/silero-vad/silero_vad.onnx --input input=$F/vad_audio.npy --input state=$F/vad_state2.npy \
        --input sr=$F/vad_sr.npy 2>/dev/null | sed -n 's/^output output f32 \[1,1\]: //p')
    # fp32 vs ONNX: the package stores fp16 weights and adds a 2^-24 epsilon under the STFT magnitude's sqrt
    # (measured 1.3e-4 on this input); 2e-3 allows that and nothing like a wrong operation. fp16 vs fp32: the
    # rounding of every activation moves the probability, but by well under 1e-2 (measured 1.3e-4).
    if awk -v a="$p32" -v b="$po" -v h="$p16" -v m="$pm" 'BEGIN { d = a - b; e = h - a; if (d < 0) d = -d; if (e < 0) e = -e;
            exit !(a != "" && b != "" && d < 2e-3 && h != a && e < 1e-2 && m == h) }'; then
        echo "ok coreml_silero_ml_program_fp16_fp32_onnx_agree_${p16}_${p32}_${po}"
    else echo "FAIL coreml_silero_ml_program_fp16_fp32_onnx_agree (fp16 '$p16', fp32 '$p32', model '$pm', onnx '$po')"; fi
fi
expect_ok precision_diff_reports_each_side 'precision: A fp16, B fp16' \
    "$CS" diff samples/lenet5/lenet5.onnx samples/lenet5/lenet5.onnx --precision fp16 --input samples/lenet5/images/7_sneaker.png
o32=$("$CS" run samples/lenet5/lenet5.onnx --precision fp32 --input samples/lenet5/images/7_sneaker.png 2>/dev/null | grep -m1 '^output')
o16=$("$CS" run samples/lenet5/lenet5.onnx --precision fp16 --input samples/lenet5/images/7_sneaker.png 2>/dev/null | grep -m1 '^output')
if [ -n "$o32" ] && [ -n "$o16" ] && [ "$o32" != "$o16" ]; then echo "ok precision_fp16_rounds_an_onnx_run"
else echo "FAIL precision_fp16_rounds_an_onnx_run (fp32: $o32; fp16: $o16)"; fi
expect_fail precision_unknown_value 'precision needs fp32, fp16 or model' "$CS" run samples/lenet5/lenet5.onnx --precision fp8
