#!/usr/bin/env bash
# keras.sh — the Keras loader from the command line: fixtures load and run, malformed Keras files are
# refused with exit 2 and a message naming the file, the layer and the reason. Needs CS and TMP.
. "$(dirname "$0")/../lib.sh"
F=tests/fixtures/keras

expect_ok keras_inspect_lists_layers 'c1 +Conv2D' "$CS" inspect $F/conv_cl.h5
expect_ok keras_inspect_counts_params 'total parameters' "$CS" inspect $F/functional.h5
expect_ok keras_run_fixture '"name": "d"' "$CS" run $F/conv_cl.h5 --input $F/conv_cl.in0.npy --json
expect_fail keras_missing_model_config 'bad_no_config.h5: no model_config attribute' "$CS" inspect $F/bad_no_config.h5
expect_fail keras_json_not_a_model 'bad_not_model.h5: model_config: the JSON is not a Keras model' "$CS" inspect $F/bad_not_model.h5
expect_fail keras_weight_shape_disagrees "layer 'd' \(Dense\): weight kernel has shape \[5,3\] in the file, the config implies \[4,3\]" \
    "$CS" inspect $F/bad_weight_shape.h5
expect_fail keras_unknown_layer_class "layer 'fancy': layer class 'FancyLayer' is not supported" "$CS" inspect $F/bad_unknown_layer.h5
head -c 3000 $F/conv_cl.h5 >"$TMP/truncated.h5"
expect_fail keras_truncated_hdf5 'truncated.h5: not a readable HDF5 file' "$CS" inspect "$TMP/truncated.h5"
expect_ok keras3_nested_archive_loads 'seq_block' "$CS" inspect $F/k3_nested.keras
# weights-only files (model.save_weights): weights alone, or a runnable model with --arch (the same as the full .h5)
expect_ok keras_weights_only_loads_as_weights 'note: +weights only' "$CS" inspect $F/conv_cl_weights.h5
expect_ok keras_weights_only_infers_lstm 'lstm +LSTM +params=240' "$CS" inspect $F/rnn_lstm_weights.h5
expect_ok keras_weights_only_with_arch_runs 'top-5: 2 \(0.9567' "$CS" run $F/conv_cl_weights.h5 --arch $F/conv_cl.arch.json \
    --input $F/conv_cl.in0.npy
expect_fail keras_arch_file_missing 'nope.json' "$CS" inspect $F/conv_cl_weights.h5 --arch $F/nope.json
printf '[1,2]' >"$TMP/arch_list.json"
expect_fail keras_arch_not_a_model 'arch_list.json is not a Keras model' "$CS" inspect $F/conv_cl_weights.h5 --arch "$TMP/arch_list.json"
