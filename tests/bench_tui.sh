#!/usr/bin/env bash
# bench_tui.sh — part of `make bench`: the explorer at real scale, driven in tmux (120x40) on the zoo's ResNet-50
# pair with a planted fault: milliseconds to the first screen with a progress line, to the verdict, whether `f`
# lands on the planted layer, and the key-to-refresh times (CONVSCOPE_TRACE_REDRAW) of 40 keys after loading.
# Usage: tests/bench_tui.sh [BUILD_DIR]; ZOO_DIR (default BUILD/zoo) holds resnet50/ and faults/.
set -u
BUILD=${1:-build}
CS=$(cd "$(dirname "$BUILD/convscope")" && pwd)/convscope
ZOO=${ZOO_DIR:-$BUILD/zoo}
A=$ZOO/resnet50/model.pt B=$ZOO/faults/resnet50_kernel_hw.onnx IN=$ZOO/resnet50/input.npy
if ! command -v tmux >/dev/null || [ ! -f "$A" ] || [ ! -f "$B" ]; then
    echo "bench: explorer at scale skipped (needs tmux and $A, $B: make zoo)"
    exit 0
fi
SOCK=convscope-bench-tui-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cap() { tm capture-pane -p -t b; }
TRACE=$(mktemp)
trap 'tm kill-server 2>/dev/null; rm -f "$TRACE"' EXIT
t0=$(date +%s%N)
tm new-session -d -s b -x 120 -y 40 "CONVSCOPE_TRACE_REDRAW='$TRACE' '$CS' '$A' '$B' --input '$IN'; sleep 600"
for ((i = 0; i < 3000; i++)); do cap 2>/dev/null | grep -q "keys work meanwhile" && break; sleep 0.02; done
t1=$(date +%s%N)
tm send-keys -t b j k # keys while it loads
for ((i = 0; i < 6000; i++)); do cap 2>/dev/null | grep -q "DIVERGE\|✓ match" && break; sleep 0.05; done
t2=$(date +%s%N)
rows=$(cap | grep -o "Layers ([0-9]* of [0-9]*" | sed 's/Layers (//')
: >"$TRACE"
tm send-keys -t b f
sleep 0.5
landed=$(cap | awk 'found { print $1; exit } /\(w weights, a activations\)/ { found = 1 }') # the detail names it in full
for ((k = 0; k < 36; k++)); do tm send-keys -t b j; done
tm send-keys -t b G g a w
sleep 2
stats=$(awk '{ n++; s += $3; if ($3 > m) m = $3 } END { printf "%d keys: mean %.2f ms, slowest %.2f ms", n, s / n, m }' "$TRACE")
printf 'explorer, zoo resnet50 .pt vs resnet50_kernel_hw.onnx at 120x40: progress line after %d ms, verdict after %d ms, %s rows at first; f lands on %s (planted: layer3.2.conv2); %s (target < 50 ms)\n' \
    $(( (t1 - t0) / 1000000 )) $(( (t2 - t0) / 1000000 )) "$rows" "$landed" "$stats"
