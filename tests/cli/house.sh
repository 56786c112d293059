#!/usr/bin/env bash
# house.sh — the shared orchestration seen from the CLI: bench takes --input and probes undeclared sizes, per-layer
# figures say their statistic, a cancelled run exits 130 and says how far it got, no JSON is hand-written in src/.
. "$(dirname "$0")/../lib.sh"

# --- bench on a TorchScript model whose input declares no size, and with --input
expect_ok bench_torchscript_without_declared_size 'input \[1,1,28,28\]' \
    "$CS" bench samples/lenet5/lenet5.pt --runs 2 --warmup 0
expect_ok bench_input_spec '"input": "samples/lenet5/images/9_ankle_boot.png"' \
    "$CS" bench samples/lenet5/lenet5.pt --runs 2 --warmup 0 --input samples/lenet5/images/9_ankle_boot.png --json
expect_ok bench_layers_labelled_with_their_statistic '[0-9] ms mean +[^ ]' \
    "$CS" bench samples/lenet5/lenet5.onnx --runs 2 --warmup 0
expect_fail bench_input_missing_file "nope.png" "$CS" bench samples/lenet5/lenet5.onnx --input "$TMP/nope.png"

# --- Ctrl-C: exit 130, say how far it got, no report of zeros before the first batch
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    # one sample per run over 10000: interrupted ~1 s after its Ctrl-C handler is armed, well before the end
    "$CS" eval samples/resnet/resnet.onnx --data fashion-mnist:test --batch 1 >"$TMP/cancel.out" 2>"$TMP/cancel.err" &
    pid=$!
    wait_sigint_caught "$pid"
    sleep 1
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    if [ "$rc" -eq 130 ] && grep -q "cancelled after [0-9]* of 10000" "$TMP/cancel.err" && grep -q "(cancelled)" "$TMP/cancel.out"; then
        echo "ok cli_cancel_exits_130_and_says_how_far"
    else
        echo "FAIL cli_cancel_exits_130_and_says_how_far (exit $rc; $(tr '\r' '\n' <"$TMP/cancel.err" | tail -2))"
    fi
    # a batch of 10000 takes seconds: Ctrl-C as soon as the handler is armed lands before the first result
    "$CS" eval samples/resnet/resnet.onnx --data fashion-mnist:test --batch 10000 >"$TMP/early.out" 2>"$TMP/early.err" &
    pid=$!
    wait_sigint_caught "$pid"
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    if [ "$rc" -eq 130 ] && ! grep -q "accuracy" "$TMP/early.out"; then
        echo "ok cli_cancel_before_first_batch_prints_no_report"
    else
        echo "FAIL cli_cancel_before_first_batch_prints_no_report (exit $rc; stdout: $(head -c 200 "$TMP/early.out"))"
    fi
fi

# --- every JSON document is built with jansson (src/engine/report/): no JSON keys in printf-style format strings
hits=$(grep -rnE '"[^"]*\\"[a-z_]+\\": *(%|\\")' src/ || true)
if [ -z "$hits" ]; then echo "ok no_json_written_with_format_strings"
else echo "FAIL no_json_written_with_format_strings: $hits"; fi

# --- import cycles between source files (tools/cycles.py, the include graph) stay at most two, each explained
# in docs/ARCHITECTURE.md (the house's bound; 0 since the diff result, cause and plan types got headers of their own)
if command -v python3 >/dev/null; then
    cyc=$(python3 tools/cycles.py 2>&1)
    n=$(printf '%s\n' "$cyc" | sed -n 's/^\([0-9][0-9]*\) include cycles$/\1/p')
    if [ -n "$n" ] && [ "$n" -le 2 ]; then echo "ok include_cycles_at_most_two ($n)"
    else echo "FAIL include_cycles_at_most_two: $(printf '%s\n' "$cyc" | tail -20 | tr '\n' ' ')"; fi
fi

# --- on a terminal the progress line is rewritten in place (\r, never a new line per update), <= 100 columns
if command -v script >/dev/null && [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    COLUMNS=200 script -qc "stty cols 200; '$CS' eval samples/lenet5/lenet5.onnx --data fashion-mnist:test --limit 2000 --batch 1" \
        "$TMP/tty.txt" >/dev/null 2>&1 </dev/null
    updates=$(tr '\r' '\n' <"$TMP/tty.txt" | grep -c 'eval \[')
    widest=$(tr '\r' '\n' <"$TMP/tty.txt" | grep 'eval \[' | sed 's/\x1b\[K//g' | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
    lines=$(grep -c 'eval \[' "$TMP/tty.txt")
    if [ "$updates" -ge 2 ] && [ "$widest" -le 100 ] && [ "$lines" -le 2 ]; then
        echo "ok cli_progress_line_in_place_within_100_columns ($updates updates, widest $widest)"
    else
        echo "FAIL cli_progress_line_in_place_within_100_columns ($updates updates on $lines lines, widest $widest)"
    fi
fi
