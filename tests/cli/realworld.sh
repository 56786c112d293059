#!/usr/bin/env bash
# realworld.sh — real model files written by the real tools (../shared/realworld, not in this repository):
# every model opens in `inspect`, the digit classifiers classify the 15 digit images, and pairs agree.
. "$(dirname "$0")/../lib.sh"
R=../shared/realworld
if [ ! -f $R/MANIFEST.tsv ]; then
    echo "note: $R is absent; the real-world checks were not run" >&2
    exit 0
fi

models=$(cut -f1 $R/MANIFEST.tsv | grep -E '\.(onnx|pt|pth|h5|hdf5|keras|mlmodel)$' | grep -v '/Data/com.apple')
models="$models drawmnist/MNIST.mlpackage coremljs/mnist.mlpackage"
for m in $models; do
    case $m in
        akinobu-tf2onnx/mnist.pb) ;;  # a TensorFlow GraphDef, not a format convscope reads
        *) expect_ok "realworld_inspect_$m" 'total parameters: [0-9]+' "$CS" inspect $R/$m ;;
    esac
done

# int8 QNNPACK MobileNetV2 (hoisted packed params): torch 1.13 (qnnpack engine) gives top-5 270 269 248 250 249 with
# values 8.2674 7.8081 7.3488 6.7364 6.5833 on the sample image at 400x400, ImageNet mean/std; integer semantics
# reproduce them exactly (one quantum is 0.153 here).
expect_ok realworld_quantized_mobilenet_top5_as_torch \
    'top-5: 270 \(8\.2673.\) 269 \(7\.8080.\) 248 \(7\.3487.\) 250 \(6\.7363.\) 249 \(6\.5832.\)' \
    "$CS" run $R/mobilenet_v2-quant-torchscript/mobilenet_quantized.pt \
    --input $R/mobilenet_v2-quant-torchscript/sample_image.png --scale 0.00392156862745098 \
    --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225

# Silero VAD: the TorchScript (sr fixed at load with --ts-arg, fresh state) and the ONNX model (its 64 context
# samples prepended, zero state) on one 512-sample chunk; torch 1.13 gives 0.3515445 for this chunk. Both are
# checked against that within 1e-5 (float32 rounding through an STFT, four convs and an LSTM cell).
S=$R/silero-vad
if [ -f $S/silero_vad.jit ]; then
    d=$(mktemp -d)
    python3 - "$d" <<'PY'
import math, struct, sys
def npy(path, shape, fmt, vals):
    dims = "".join("%d," % k for k in shape) if len(shape) != 1 else "%d," % shape[0]
    hdr = ("{'descr': '<%s', 'fortran_order': False, 'shape': (%s), }" % (fmt, dims)).ljust(117) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
        f.write(struct.pack("<%d%s" % (len(vals), "f" if fmt == "f4" else "q"), *vals))
x = [0.5 * math.sin(2 * math.pi * 220 * i / 16000) + 0.1 * math.sin(2 * math.pi * 1234 * i / 16000) for i in range(512)]
npy(sys.argv[1] + "/x.npy", (1, 512), "f4", x)
npy(sys.argv[1] + "/x576.npy", (1, 576), "f4", [0.0] * 64 + x)
npy(sys.argv[1] + "/state.npy", (2, 1, 128), "f4", [0.0] * 256)
npy(sys.argv[1] + "/sr.npy", (), "i8", [16000])
PY
    jit=$("$CS" run $S/silero_vad.jit --ts-arg sr=16000 --ts-arg 'x=[1,512]' --input "$d/x.npy" --json 2>/dev/null |
        grep -A1 '"data"' | tail -1 | tr -d ' ,')
    onnx=$("$CS" run $S/silero_vad.onnx --input input="$d/x576.npy" --input state="$d/state.npy" \
        --input sr="$d/sr.npy" --json 2>/dev/null | grep -m1 -A1 '"data"' | tail -1 | tr -d ' ,')
    rm -rf "$d"
    for pair in "jit:$jit" "onnx:$onnx"; do
        v=${pair#*:}
        if [ -n "$v" ] && awk -v v="$v" 'BEGIN { d = v - 0.3515445; exit !(d < 1e-5 && d > -1e-5) }'; then
            echo "ok realworld_silero_${pair%%:*}_matches_torch_$v"
        else
            echo "FAIL realworld_silero_${pair%%:*}_matches_torch (got '$v', torch 0.3515445)"
        fi
    done
fi

# correct_count MODEL [OPTIONS...]: how many of the 15 labelled digit images the model gets right
correct_count() {
    local model=$1 img base label pred c=0
    shift
    for img in $R/digits28/*.png; do
        base=$(basename "$img" .png)
        label=${base#*_}
        case $label in one) label=1 ;; two) label=2 ;; three) label=3 ;; four) label=4 ;; eight) label=8 ;; esac
        pred=$("$CS" run $R/$model --input "$img" "$@" 2>/dev/null | grep -m1 'top-' | sed -E 's/.*: ([0-9]+).*/\1/')
        [ "$pred" = "$label" ] && c=$((c + 1))
    done
    echo $c
}

# At least as many as measured when these checks were written (a drop means a regression).
while read -r model want opts; do
    got=$(correct_count "$model" $opts)
    if [ "$got" -ge "$want" ]; then echo "ok realworld_digits_${model}_${got}_of_15"
    else echo "FAIL realworld_digits_${model} ($got of 15 correct, expected at least $want)"; fi
done <<'LIST'
nharish-onnx/mnist.h5 14
nharish-onnx/onnx_mnist.onnx 14
akinobu-tf2onnx/model.onnx 15
codychen-tfdemo/MNIST.mlmodel 14
r4ghu-coreml-mnist/mnistCNN.h5 14
r4ghu-coreml-mnist/mnistCNN.mlmodel 14
linghu-lenet/mnist_net.onnx 13 --mean 0.1307 --std 0.3081
bsusheel-digit/model_scripted.pt 13
drawmnist/MNIST.mlpackage 11
astroplayground/mnist.model.best.hdf5 13
astroplayground/MNIST.mlmodel 13
coremljs/mnist.mlpackage 14
swiftbrain-awesome-coreml/MNIST.mlmodel 14
lime-experimentation/my_mnist_model.h5 12
lime-experimentation/model.onnx 12
LIST

# .mlpackage metadata: the size is the package's total (not the directory entry), every bias is a parameter
expect_ok realworld_mlpackage_size_is_package_total 'size: +1276592 bytes' "$CS" inspect $R/drawmnist/MNIST.mlpackage
expect_ok realworld_mlpackage_counts_small_bias 'total parameters: 636010' "$CS" inspect $R/drawmnist/MNIST.mlpackage
# weights inside If/Loop subgraphs are parameters too (Silero's ONNX keeps both sample-rate models in If branches)
out=$("$CS" inspect $R/silero-vad/silero_vad.onnx 2>&1 | sed -n 's/^total parameters: //p')
if [ -n "$out" ] && [ "$out" -gt 400000 ]; then echo "ok realworld_onnx_subgraph_parameters_counted_$out"
else echo "FAIL realworld_onnx_subgraph_parameters_counted (got '$out', want > 400000)"; fi
