#!/bin/sh
# bench.sh — `make bench`: convscope against ONNX Runtime (npm onnxruntime-node, CPU) on the same ONNX models in
# the same run, at batch 1 and 64 and at 1 and 2 threads: median latency and the convscope/ORT ratio, throughput,
# first (cold) run, GFLOP/s of the convolutions against the measured FMA peak, and memory. cpu_rat is the ratio
# of CPU time per run (user+sys, median): on a machine other work shares, the wall ratio also counts waits.
# Usage: tests/bench.sh [BUILD_DIR]
# env: BENCH_RUNS (timed runs at batch 1, default 20), BENCH_RUNS_BIG (at batch 64, default 3), BENCH_WARMUP (3),
#      BENCH_ROUNDS (3: convscope and ORT alternate this many times per row, each side keeping its round with
#      the lower median, so a burst of load from elsewhere on the host cannot land on one side only),
#      BENCH_THREADS ("1 2"), BENCH_BATCHES ("1 64"), BENCH_MODELS (a folder of NAME.onnx to use instead of
#      generating them), BENCH_ONLY (a substring: only matching models), ORT_VERSION.
set -u
BUILD=${1:-build}
CS=$BUILD/convscope
RUNS=${BENCH_RUNS:-20}
RUNS_BIG=${BENCH_RUNS_BIG:-3}
WARMUP=${BENCH_WARMUP:-3}
ROUNDS=${BENCH_ROUNDS:-3}
THREADS=${BENCH_THREADS:-1 2}
BATCHES=${BENCH_BATCHES:-1 64}
ORT_PREFIX=${ORT_PREFIX:-$BUILD/ort-cache}
ORT_VERSION=${ORT_VERSION:-1.30.0}
MODELS_DIR=${BENCH_MODELS:-$BUILD/bench-models}
HERE=$(cd "$(dirname "$0")/.." && pwd)

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

# The models: the bundled samples (with a free batch dim, python3-onnx) and the paper-scale set (python3-torchvision).
mkdir -p "$MODELS_DIR"
if [ -z "${BENCH_MODELS:-}" ]; then
    /usr/bin/python3 "$HERE/tools/bench_models.py" "$MODELS_DIR" ||
        echo "bench: cannot export the torchvision models (needs python3-torchvision and python3-onnx: make deps)"
fi
MODELS=""
for m in samples/lenet5/lenet5.onnx samples/resnet/resnet.onnx; do
    dyn="$MODELS_DIR/$(basename "$m" .onnx)_batchN.onnx"
    if [ -f "$m" ] && { [ -f "$dyn" ] || /usr/bin/python3 "$HERE/tools/onnx_dynamic_batch.py" "$m" "$dyn" 2>/dev/null; }; then
        MODELS="$MODELS $dyn"
    else
        echo "bench: no free-batch copy of $m (make samples; python3-onnx), skipped"
    fi
done
for name in resnet50 mobilenet_v2 efficientnet_b0 transformer_block; do
    [ -f "$MODELS_DIR/$name.onnx" ] && MODELS="$MODELS $MODELS_DIR/$name.onnx"
done

cc -O2 -o "$BUILD/fma_peak" "$HERE/tools/fma_peak.c" 2>/dev/null && PEAK=$("$BUILD/fma_peak") || PEAK="0 none"
PEAK_GF=${PEAK%% *}
echo "single-core FMA peak: $PEAK_GF GFLOP/s (${PEAK#* }, measured now by tools/fma_peak.c)"

# One row from convscope's and ORT's JSON (env CSJ, ORTJ): the columns of the header below.
row() {
    CSJ="$1" ORTJ="$2" node -e '
const c = JSON.parse(process.env.CSJ).models[0], o = process.env.ORTJ ? JSON.parse(process.env.ORTJ) : null;
const [name, threads, peak] = process.argv.slice(1);
const f = (v, d) => (v === undefined || v === null || Number.isNaN(v) ? "-" : v.toFixed(d));
const mb = (b) => f(b / 1048576, 1);
const gf = c.conv_ms > 0 ? (2e-6 * c.conv_macs) / c.conv_ms : NaN;
const pct = peak > 0 && gf > 0 ? (100 * gf) / (peak * threads) : NaN;
const ratio = o ? c.latency_ms.median / o.latency_ms.median : NaN;
const cpuRatio = o && o.cpu_ms_median > 0 ? c.cpu_ms_median / o.cpu_ms_median : NaN;
console.log([name.padEnd(22), String(c.batch).padStart(5), threads.padStart(3), f(c.latency_ms.median, 2).padStart(10),
  (o ? f(o.latency_ms.median, 2) : "-").padStart(10), f(ratio, 2).padStart(6), f(cpuRatio, 2).padStart(7),
  f(c.throughput_per_s, 1).padStart(9),
  (o ? f(o.throughput_per_s, 1) : "-").padStart(9), f(c.first_run_ms, 1).padStart(9), (o ? f(o.first_run_ms, 1) : "-").padStart(9),
  f(gf, 1).padStart(7), f(pct, 0).padStart(5), mb(c.peak_bytes).padStart(8), mb(c.rss_bytes).padStart(8),
  (o ? mb(o.rss_peak_bytes) : "-").padStart(8)].join(" "));
' "$3" "$4" "$PEAK_GF"
}

# Of two JSON results (convscope's {"models":[...]} or ORT's flat object), the one with the lower median latency.
better() {
    [ -z "$1" ] && { printf '%s' "$2"; return; }
    A="$1" B="$2" node -e '
const m = (s) => { const j = JSON.parse(s); return (j.models ? j.models[0] : j).latency_ms.median; };
process.stdout.write(m(process.env.B) < m(process.env.A) ? process.env.B : process.env.A);'
}

printf '%-22s %5s %3s %10s %10s %6s %7s %9s %9s %9s %9s %7s %5s %8s %8s %8s\n' model batch thr cs_ms ort_ms ratio cpu_rat \
    cs_img/s ort_img/s cs_first ort_first conv_GF %peak plan_MB cs_RSS ort_RSS
FAILED=0
for m in $MODELS; do
    name=$(basename "$m" .onnx)
    case "$name" in *"${BENCH_ONLY:-}"*) ;; *) continue ;; esac
    for batch in $BATCHES; do
        runs=$RUNS warm=$WARMUP
        [ "$batch" -gt 1 ] && runs=$RUNS_BIG warm=1
        for t in $THREADS; do
            csj="" ortj=""
            for _ in $(seq "$ROUNDS"); do # alternating rounds; each side keeps its round with the lower median
                j=$("$CS" --threads "$t" bench "$m" --json --runs "$runs" --warmup "$warm" --batch "$batch") ||
                    { echo "bench: convscope failed on $m (batch $batch, $t threads)" >&2; FAILED=1; csj=""; break; }
                csj=$(better "$csj" "$j")
                [ $HAVE_ORT = 1 ] && j=$(ORT_PREFIX="$ORT_PREFIX" node "$HERE/tools/ort_bench.js" "$m" --batch "$batch" \
                    --runs "$runs" --warmup "$warm" --threads "$t") && ortj=$(better "$ortj" "$j")
            done
            [ -n "$csj" ] && row "$csj" "$ortj" "$name" "$t"
        done
    done
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
bash "$HERE/tests/bench_tui.sh" "$BUILD" # the explorer at ResNet-50 scale: open, f, key-to-refresh times
cat <<EOF
cs_ms / ort_ms: median latency per run (convscope times its executor; ORT times session.run from Node, about
0.05-0.1 ms of binding overhead, so ratios of the tiny samples mean little); ratio = cs_ms / ort_ms, both measured
in this run, one after the other, at the same thread count (oneDNN/OpenMP + OpenBLAS for convscope, intra-op for ORT).
cpu_rat: the same ratio of median CPU time (user+sys, all threads) per run: on a shared machine it leaves out the
time a run waited for a core, which the wall ratio counts.
img/s: samples per second at the median. first: the first run after loading (convscope: primitives built and weights
packed; ORT: after session creation). conv_GF: GFLOP/s of the convolutions (2 x Conv MACs / time in Conv nodes, fused
post-ops included); %peak: of the FMA peak above times the threads. plan_MB: the peak of convscope's activations in
a run (of one sub-batch per thread where a large batch runs split, see README);
cs_RSS: convscope's resident set after the runs; ort_RSS: the Node process's peak RSS (Node itself included).
Runs: $RUNS timed after $WARMUP warm-up at batch 1, $RUNS_BIG after 1 at larger batches, in $ROUNDS alternating rounds
per side (convscope, ORT, convscope, ...): each side's row is its round with the lower median.
EOF
exit $FAILED
