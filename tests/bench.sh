#!/bin/sh
# bench.sh — `make bench`: convscope bench against ONNX Runtime (npm onnxruntime-node, one intra-op thread)
# on the same ONNX models in the same run; prints latency, memory and the convscope/ORT latency ratio.
# Usage: tests/bench.sh [BUILD_DIR]   (env: BENCH_RUNS, BENCH_WARMUP, ORT_VERSION)
set -u
BUILD=${1:-build}
CS=$BUILD/convscope
RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-5}
ORT_PREFIX=${ORT_PREFIX:-$BUILD/ort-cache}
ORT_VERSION=${ORT_VERSION:-1.30.0}
HERE=$(cd "$(dirname "$0")/.." && pwd)
CONFORM=/usr/share/libonnx-testdata/data/pytorch-converted

[ -x "$CS" ] || { echo "bench: $CS not built" >&2; exit 2; }

# ONNX Runtime from the npm registry only. The project .npmrc says onnxruntime-node-install=skip: the package's
# install script must not download anything (only the npm registry is reachable); the linux-x64 CPU binding
# ships inside the npm tarball (bin/napi-v*/linux/x64/onnxruntime_binding.node), so nothing else is needed.
install_ort() {
    mkdir -p "$ORT_PREFIX"
    cp "$HERE/.npmrc" "$ORT_PREFIX/.npmrc"
    if [ ! -d "$ORT_PREFIX/node_modules/onnxruntime-node" ]; then
        echo "bench: installing onnxruntime-node@$ORT_VERSION into $ORT_PREFIX"
        (cd "$ORT_PREFIX" && npm_config_onnxruntime_node_install=skip \
            npm install --prefix . --no-save --no-audit --no-fund "onnxruntime-node@$ORT_VERSION" >npm.log 2>&1) ||
            { echo "bench: npm install failed, see $ORT_PREFIX/npm.log" >&2; return 1; }
    fi
    ls "$ORT_PREFIX"/node_modules/onnxruntime-node/bin/napi-v*/linux/x64/onnxruntime_binding.node >/dev/null 2>&1 ||
        { echo "bench: onnxruntime-node has no linux/x64 binding in its tarball" >&2; return 1; }
}

HAVE_ORT=1
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "bench: node/npm missing, ORT skipped"; HAVE_ORT=0; }
[ $HAVE_ORT = 1 ] && { install_ort || HAVE_ORT=0; }

# Reads a field path (a.b.c) from the JSON on stdin.
jget() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=/^\d+$/.test(k)?v[+k]:v[k];console.log(v)})' "$1"; }

printf '%-58s %5s %11s %11s %7s %12s %12s\n' model batch convscope_ms ort_ms ratio planned_B rss_B
FAILED=0
bench_one() { # MODEL BATCH TARGET(0/1)
    model=$1 batch=$2 target=$3
    out=$(OPENBLAS_NUM_THREADS=1 "$CS" bench "$model" --json --runs "$RUNS" --warmup "$WARMUP" --threads 1 --batch "$batch") ||
        { echo "bench: convscope failed on $model" >&2; FAILED=1; return; }
    cs_ms=$(echo "$out" | jget models.0.latency_ms.median)
    real_batch=$(echo "$out" | jget models.0.batch)
    peak=$(echo "$out" | jget models.0.peak_bytes)
    rss=$(echo "$out" | jget models.0.rss_peak_bytes)
    ort_ms=- ratio=-
    if [ $HAVE_ORT = 1 ]; then
        if ort=$(ORT_PREFIX="$ORT_PREFIX" node "$HERE/tools/ort_bench.js" "$model" --batch "$batch" --runs "$RUNS" --warmup "$WARMUP"); then
            ort_ms=$(echo "$ort" | jget latency_ms.median | xargs printf "%.4f")
            ratio=$(node -e "console.log(($cs_ms/$ort_ms).toFixed(2))")
        fi
    fi
    verdict=""
    if [ "$target" = 1 ] && [ "$ratio" != - ]; then
        verdict=$(node -e "console.log($ratio <= 2.0 ? 'ok (<= 2.0)' : 'OVER TARGET (> 2.0)')")
    fi
    printf '%-58s %5s %11.4f %11s %7s %12s %12s %s\n' "$(echo "$model" | sed "s|$CONFORM/||")" "$real_batch" "$cs_ms" \
        "$ort_ms" "$ratio" "$peak" "$rss" "$verdict"
}

for m in "$CONFORM"/test_Conv2d*/model.onnx "$CONFORM"/test_Linear*/model.onnx; do
    [ -f "$m" ] && bench_one "$m" 1 0
done
for m in samples/lenet5/lenet5.onnx samples/resnet/resnet.onnx; do
    if [ ! -f "$m" ]; then
        echo "bench: $m is absent (make samples), skipped"
        continue
    fi
    bench_one "$m" 1 1
    # The samples are exported with batch 1; batch 64 runs a copy whose batch dim is free (python3-onnx).
    mkdir -p "$BUILD/bench-models"
    dyn="$BUILD/bench-models/$(basename "$m" .onnx)_batchN.onnx"
    if /usr/bin/python3 "$HERE/tools/onnx_dynamic_batch.py" "$m" "$dyn" 2>/dev/null; then
        bench_one "$dyn" 64 1
    else
        echo "bench: cannot make a free-batch copy of $m (needs python3-onnx: make sample-deps); batch 64 skipped"
    fi
done
# Diff cost (issue #12): a ResNet-50 diff against running each model once, same machine, same run; each command's
# best wall time of 3 (model loading included on both sides). Uses the zoo (make zoo) when present.
ZOO=${ZOO_DIR:-$BUILD/zoo}
best_ms() { # CMD...: best wall milliseconds of 3 runs
    best=
    for _ in 1 2 3; do
        t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
        ms=$(( (t1 - t0) / 1000000 ))
        [ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
    done
    echo "$best"
}
if [ -f "$ZOO/resnet50/model.pt" ]; then
    z=$ZOO/resnet50
    ra=$(best_ms "$CS" run "$z/model.pt" --input "$z/input.npy")
    rb=$(best_ms "$CS" run "$z/model13.onnx" --input "$z/input.npy")
    rd=$(best_ms "$CS" diff "$z/model.pt" "$z/model13.onnx" --input "$z/input.npy")
    printf 'diff cost, zoo resnet50 1x3x64x64: run .pt %d ms, run .onnx %d ms, diff %d ms: %s x the two runs (target <= 2)\n' \
        "$ra" "$rb" "$rd" "$(awk -v d="$rd" -v a="$ra" -v b="$rb" 'BEGIN { printf "%.2f", d / (a + b) }')"
else
    echo "bench: $ZOO/resnet50 absent (make zoo): diff cost skipped"
fi
echo "latency: median of $RUNS runs after $WARMUP warm-up runs, one thread each (OpenBLAS / ORT intra-op); the batch-1"
echo "row of each model is its single-image latency. convscope times its executor only; ORT times session.run from"
echo "Node (about 0.05-0.1 ms of binding overhead), so ratios of the microsecond-sized conformance models mean little;"
echo "batch shows the batch actually run (fixed-shape models run their declared batch); planned_B: convscope's"
echo "planned peak activation bytes; rss_B: process peak RSS after the run (convscope)."
exit $FAILED
