#!/usr/bin/env bash
# kernels.sh — the global --kernels and --threads options: bad values exit 2 with one line, the fast and the
# reference kernels give the same outputs (float32 reassociation only) and the same diff verdicts, and bench
# reports the kernels, threads and convolution figures it ran with.
. "$(dirname "$0")/../lib.sh"
L=samples/lenet5
R=samples/resnet
IMG=$R/images/0_tshirt.png

expect_fail kernels_bad_value "--kernels takes 'fast' or 'reference', not 'turbo'" "$CS" --kernels turbo inspect $L/lenet5.onnx
expect_fail threads_zero "--threads takes a count from 1 to 1024, not '0'" "$CS" inspect $L/lenet5.onnx --threads 0
expect_fail threads_not_a_number "--threads takes a count from 1 to 1024, not 'two'" "$CS" --threads=two inspect $L/lenet5.onnx

# Largest |fast - reference| over the outputs, relative to the largest |reference| (reassociation: < 1e-5).
same_outputs() {
    local model=$1 fast ref
    fast=$("$CS" --kernels fast --threads 2 run "$model" --input $IMG --json 2>/dev/null) || return 1
    ref=$("$CS" --kernels reference run "$model" --input $IMG --json 2>/dev/null) || return 1
    FAST="$fast" REF="$ref" node -e '
const a = JSON.parse(process.env.FAST).outputs, b = JSON.parse(process.env.REF).outputs;
let worst = 0, scale = 1e-30;
a.forEach((o, i) => o.data.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - b[i].data[k]));
                                              scale = Math.max(scale, Math.abs(b[i].data[k])); }));
if (!(worst / scale < 1e-5)) { console.error(`relative difference ${worst / scale}`); process.exit(1); }'
}
for m in $R/resnet.onnx $R/resnet_bn.onnx $R/resnet.pt $L/lenet5.onnx $L/lenet5.pt; do
    [ -f "$m" ] && check "kernels_same_outputs_$(basename "$m")" same_outputs "$m"
done

verdict() { "$CS" "$@" 2>/dev/null | grep -E '^verdict' ; }
same_verdict() {
    local a b
    a=$(verdict --kernels fast diff "$1" "$2" --input $IMG)
    b=$(verdict --kernels reference diff "$1" "$2" --input $IMG)
    [ -n "$a" ] && [ "$a" = "$b" ]
}
check kernels_same_diff_verdict_lenet5 same_verdict $L/lenet5.pt $L/lenet5.onnx
for f in samples/faults/*.onnx; do
    [ -f "$f" ] && case "$(basename "$f")" in lenet5*) check "kernels_same_diff_verdict_$(basename "$f" .onnx)" \
        same_verdict $L/lenet5.pt "$f" ;; esac
done

expect_ok bench_reports_kernels_and_threads '"kernels": "fast".*"threads": 2|"threads": 2.*"kernels": "fast"' \
    bash -c "'$CS' --threads 2 bench $L/lenet5.onnx --runs 2 --warmup 0 --json | tr -d '\n'"
expect_ok bench_reports_conv_macs '"conv_macs": [1-9][0-9]*' "$CS" bench $L/lenet5.onnx --runs 2 --warmup 0 --json
