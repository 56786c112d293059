#!/usr/bin/env bash
# batch_split.sh — zoo models run on a batch of 24 (a copy of each opset-13 ONNX file with a free batch dim) give,
# at --threads 1 and 2, what the reference kernels give for the batch and what each sample gives run alone:
# the executor's batch splitting (sub-batches, shared out to the threads) changes no result beyond float32
# reassociation, and models it must run whole (ops that mix samples) still run. Needs the zoo and python3-onnx.
. "$(dirname "$0")/../lib.sh"
ZOO=${ZOO_DIR:-build/zoo}

if [ ! -f "$ZOO/models.tsv" ] || ! /usr/bin/python3 -c 'import numpy, onnx' 2>/dev/null; then
    echo "batch_split: no zoo in $ZOO (or no numpy/onnx): not run"
    exit 0
fi

# A batch of 24 from the zoo input: sample i is the input plus a small pattern scaled by i, so samples differ.
make_batch() { # INPUT.npy OUT.npy
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import numpy as np
x = np.load(sys.argv[1]).astype(np.float32)
rng = np.random.default_rng(5)
noise = rng.standard_normal(x.shape[1:]).astype(np.float32)
np.save(sys.argv[2], np.stack([x[0] + 0.004 * i * noise for i in range(24)]).astype(np.float32))
PY
}

# Largest |a - b| over the largest |b| of the first outputs of two `run --json` files; with ROW, a is compared
# with row ROW of b (a is then a batch-1 run).
rel() { # A.json B.json [ROW]
    /usr/bin/python3 - "$@" <<'PY' 2>&1
import json, sys
import numpy as np
def first(p):
    o = json.load(open(p))["outputs"][0]
    return np.array(o["data"], dtype=np.float64).reshape(o["shape"])
a, b = first(sys.argv[1]), first(sys.argv[2])
if len(sys.argv) > 3:
    b = b[int(sys.argv[3]):int(sys.argv[3]) + 1]
if a.shape != b.shape:
    print("shape %s vs %s" % (list(a.shape), list(b.shape))); sys.exit()
print("%.3g" % (np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)))
PY
}

# Tolerance 2e-4 of the largest |reference|: the zoo's fast-against-torch bound (torch_ref.sh), for the same
# float32 reassociation; a sample mixed with another or misplaced in the batch is off by the whole output scale.
within() { /usr/bin/python3 -c "import sys; sys.exit(0 if float('$1') <= 2e-4 else 1)" 2>/dev/null; }

for m in mobilenet_v2 efficientnet_b0 resnet18 densenet121 squeezenet1_1 mobilenet_v3_small googlenet convnext_tiny regnet_y_400mf inception_v3; do
    dir="$ZOO/$m"
    [ -f "$dir/model13.onnx" ] && [ -f "$dir/input.npy" ] || continue
    dyn="$TMP/split_$m.onnx" batch="$TMP/split_$m.npy"
    if ! /usr/bin/python3 tools/onnx_dynamic_batch.py "$dir/model13.onnx" "$dyn" 2>"$TMP/split.err" ||
        ! make_batch "$dir/input.npy" "$batch" 2>>"$TMP/split.err"; then
        echo "FAIL batch_split_$m (could not prepare: $(head -c 200 "$TMP/split.err"))"
        continue
    fi
    "$CS" --kernels reference run "$dyn" --input "$batch" --json >"$TMP/split_ref.json" 2>"$TMP/split.err" ||
        { echo "FAIL batch_split_$m (reference run failed: $(head -c 200 "$TMP/split.err"))"; continue; }
    for t in 1 2; do
        out="$TMP/split_${m}_$t.json"
        if ! "$CS" --threads "$t" run "$dyn" --input "$batch" --json >"$out" 2>"$TMP/split.err"; then
            echo "FAIL batch_split_${m}_threads_$t (run failed: $(head -c 200 "$TMP/split.err"))"
            continue
        fi
        r=$(rel "$out" "$TMP/split_ref.json")
        within "$r" && echo "ok batch_split_${m}_threads_${t}_matches_reference (rel $r)" ||
            echo "FAIL batch_split_${m}_threads_${t}_matches_reference (rel '$r' over 2e-4)"
    done
    # samples 0, 11 and 23 alone (batch 1) against their rows of the two-thread batch run
    for i in 0 11 23; do
        /usr/bin/python3 -c "import numpy as np, sys; np.save(sys.argv[2], np.load(sys.argv[1])[$i:$i + 1])" \
            "$batch" "$TMP/split_one.npy"
        "$CS" run "$dyn" --input "$TMP/split_one.npy" --json >"$TMP/split_one.json" 2>"$TMP/split.err" ||
            { echo "FAIL batch_split_${m}_sample_$i (run failed)"; continue; }
        r=$(rel "$TMP/split_one.json" "$TMP/split_${m}_2.json" "$i")
        within "$r" && echo "ok batch_split_${m}_sample_${i}_as_alone (rel $r)" ||
            echo "FAIL batch_split_${m}_sample_${i}_as_alone (rel '$r' over 2e-4)"
    done
done
