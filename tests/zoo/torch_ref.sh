#!/usr/bin/env bash
# torch_ref.sh — every zoo model run by convscope from each of its files (.pt, opset-13 and opset-17 ONNX)
# gives torch's own output (ref.npy, written by tools/zoo/make_zoo.py from the same input) and torch's top class.
# Needs the zoo (zoo.sh generates it) and python3-torchvision; says so when absent.
. "$(dirname "$0")/../lib.sh"
ZOO=${ZOO_DIR:-build/zoo}

if [ ! -f "$ZOO/models.tsv" ] || ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    echo "torch_ref: no zoo in $ZOO (or no numpy): not run"
    exit 0
fi

# Tolerance: max |convscope - torch| <= 2e-4 x max |torch output|. Both compute in float32 but sum in different
# orders (oneDNN convolution blocking, BatchNorm folded into the weights, fused activations), and the rounding
# grows with depth: measured when written, the worst of the 45 runs is Inception-v3 at 1.0e-4 (ResNet-50 5e-5,
# most below 1e-5). The subtlest planted fault of the zoo (faults.tsv: DenseNet-121's BatchNorm epsilon) moves the
# output by 2.5e-3 on this measure, the others by 8e-3 to 2.9.
compare() { # compare JSON REF: prints "REL TOP1SAME" or an error
    /usr/bin/python3 - "$1" "$2" <<'PY' 2>&1
import json, sys
import numpy as np
out = json.load(open(sys.argv[1]))["outputs"][0]
a = np.array(out["data"], dtype=np.float64).ravel()
r = np.load(sys.argv[2]).astype(np.float64).ravel()
if a.size != r.size:
    print("size %d vs torch %d" % (a.size, r.size)); sys.exit()
print("%.3g %s" % (np.abs(a - r).max() / max(np.abs(r).max(), 1e-30), a.argmax() == r.argmax()))
PY
}

for dir in "$ZOO"/*/; do
    m=$(basename "$dir")
    [ -f "$dir/ref.npy" ] && [ -f "$dir/input.npy" ] || continue
    for f in model.pt model13.onnx model17.onnx; do
        [ -f "$dir/$f" ] || continue
        out="$TMP/torch_ref_${m}_$f.json"
        if ! "$CS" run "$dir/$f" --input "$dir/input.npy" --json >"$out" 2>"$TMP/torch_ref.err"; then
            echo "FAIL zoo_run_matches_torch_${m}_${f%.*} (run failed: $(head -c 200 "$TMP/torch_ref.err"))"
            continue
        fi
        read -r rel top <<<"$(compare "$out" "$dir/ref.npy")"
        if [ "$top" = True ] && /usr/bin/python3 -c "import sys; sys.exit(0 if float('$rel') <= 2e-4 else 1)" 2>/dev/null; then
            echo "ok zoo_run_matches_torch_${m}_${f%.*} (rel $rel)"
        else
            echo "FAIL zoo_run_matches_torch_${m}_${f%.*} (relative error '$rel' over 2e-4, or top class differs: '$top')"
        fi
    done
done
