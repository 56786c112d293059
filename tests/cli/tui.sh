#!/usr/bin/env bash
# tui.sh — drives the explorer in a real terminal (tmux, 80x24): the sample pair opens, walking shows weights
# and activations, f finds the first divergence, jobs stream and cancel, help, resize, quit restores the terminal.
set -u
cd "$(dirname "$0")/../.."
CS=${CS:-$PWD/build/convscope}
TMP=${TMP:-$(mktemp -d)}
. tests/lib.sh

if ! command -v tmux >/dev/null; then
    echo "FAIL tui_tmux_available (tmux is a build dependency: make deps)"
    exit 0
fi

SOCK=convscope-tui-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null' EXIT
TRACE=$TMP/tui-trace.log
: >"$TRACE"

# start ARGS...: the explorer in a fresh 80x24 session; the pane stays after exit to show the restored terminal.
start() {
    tm kill-session -t t 2>/dev/null
    rm -f "$TMP/tui-exit"
    tm new-session -d -s t -x 80 -y 24 \
        "CONVSCOPE_TRACE_REDRAW='$TRACE' '$CS' $*; echo EXITED \$? >'$TMP/tui-exit'; echo EXITED; sleep 60"
}
cap() { tm capture-pane -p -t t; }
keys() { tm send-keys -t t "$@"; }
# wait_for PATTERN [TENTHS]: polls the screen until PATTERN (grep -E) shows, 5 s by default.
wait_for() {
    local n=${2:-50}
    for ((i = 0; i < n; i++)); do
        cap | grep -Eq -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
# expect_screen NAME PATTERN [TENTHS]
expect_screen() {
    if wait_for "$2" "${3:-50}"; then echo "ok $1"; else echo "FAIL $1 (no /$2/ on screen:)"; cap | sed 's/^/    /'; fi
}

# --- the sample pair opens with both layer lists at 80x24
start
expect_screen tui_sample_pair_header "^B lenet5.onnx .*onnx"
expect_screen tui_sample_pair_both_lists "conv1 +/conv1/Conv +Conv2d"
expect_screen tui_sample_pair_verdict "match \(output"

# --- walking to conv2 shows its weights, then its activations
keys j j j
expect_screen tui_walk_selects_conv2 "^> conv2 +/conv2/Conv"
keys w
expect_screen tui_weights_view "A conv2.weight \[16,6,5,5\] OIHW f32"
keys a
expect_screen tui_activations_view "A output \[1,16,10,10\] f32"
keys Tab z
expect_screen tui_zoomed_heatmaps "channel 0 of 16"
expect_screen tui_heatmap_abs_diff "\|A-B\|"
keys z Tab Tab

# --- help is generated from the key tables
keys '?'
expect_screen tui_help "first divergent layer"
keys q
expect_screen tui_help_closes "Layers \("

# --- a timing job streams while the user keeps moving; cancelling keeps the partial result
keys : 'bench 1000000' Enter
expect_screen tui_job_starts "timing, 1000000 runs +running"
a=$(cap | grep -E '^#1 timing')
keys j k j
sleep 0.4
b=$(cap | grep -E '^#1 timing')
if [ -n "$a" ] && [ "$a" != "$b" ]; then echo "ok tui_job_pane_updates"; else echo "FAIL tui_job_pane_updates ('$a' then '$b')"; fi
keys q
expect_screen tui_quit_asks_while_a_job_runs "a job is running: quit anyway\? y/n"
keys n
keys c
expect_screen tui_job_cancel "#1 timing, 1000000 runs +cancelled"
# the pane is a status, one line per job; the log is behind Enter
if [ "$(cap | grep -c '^#1 timing')" = 1 ]; then echo "ok tui_job_one_status_line"; else echo "FAIL tui_job_one_status_line"; cap | sed 's/^/    /'; fi
for ((t = 0; t < 3; t++)); do cap | grep -q "▶ Jobs" && break; keys Tab; sleep 0.2; done
keys Enter
expect_screen tui_job_log_behind_enter "Job #1 log"
expect_screen tui_job_partial_kept "A lenet5.pt: [0-9]+ runs, median .* \(cancelled\)"
keys Enter Tab

# --- a resize to 60x20 and back redraws
tm resize-window -t t -x 60 -y 20 2>/dev/null || tm resize-pane -t t -x 60 -y 20
expect_screen tui_resize_small "^A lenet5.pt"
w=$(cap | wc -L)
if [ "$w" -le 60 ]; then echo "ok tui_resize_fits"; else echo "FAIL tui_resize_fits (a line of $w columns)"; fi
tm resize-window -t t -x 80 -y 24 2>/dev/null || tm resize-pane -t t -x 80 -y 24
expect_screen tui_resize_back "max abs cosine"

# --- q quits (asking while a job runs) and restores the terminal
keys q
for ((i = 0; i < 50; i++)); do [ -f "$TMP/tui-exit" ] && break; sleep 0.1; done
if grep -q "EXITED 0" "$TMP/tui-exit" 2>/dev/null && ! cap | grep -q "Layers ("; then
    echo "ok tui_quit_restores_terminal"
else
    echo "FAIL tui_quit_restores_terminal"; cap | sed 's/^/    /'
fi

# --- f lands on the first divergent layer of a faulty pair: the corpus (samples/faults/MANIFEST.tsv) when
# present, and always a self-made fault (one output channel of conv2 scaled in a copy of the ONNX sample).
manifest=samples/faults/MANIFEST.tsv
# fault NAME: prints "original converted a_layer input" for the MANIFEST row NAME.
fault() { awk -F'\t' -v n="$1" '$1 == n { print $2, $3, $5, $7 }' "$manifest"; }
if [ -f "$manifest" ]; then
    for name in conv2_kernel_transposed bn_epsilon; do
        read -r orig conv layer input <<<"$(fault "$name")"
        if [ -z "${orig:-}" ]; then
            echo "FAIL tui_corpus_$name (no such row in $manifest)"
            continue
        fi
        start "$orig" "$conv" --input "$input"
        expect_screen "tui_corpus_${name}_verdict" "DIVERGE at $layer" 100
        keys f
        # inside a block a row shows its name relative to the block (layer1.0.bn1 -> bn1)
        expect_screen "tui_corpus_${name}_f_lands" "^> +${layer##*.} .*✗"
        expect_screen "tui_corpus_${name}_detail_names_it" "^$layer "
        if [ "$name" = bn_epsilon ]; then
            keys h h   # to the enclosing block, then fold it
            expect_screen tui_fold_marks_block "^> +▸0 +· +BasicBlock"
            if cap | grep -Eq "^ +bn1 +bn1/Batch"; then echo "FAIL tui_fold_hides_rows"; else echo "ok tui_fold_hides_rows"; fi
            keys l
            expect_screen tui_unfold_shows_rows "^ +bn1 +bn1/Batch"
        fi
        keys q
    done
else
    echo "# samples/faults/MANIFEST.tsv is absent: the corpus checks are skipped, the self-made fault runs"
fi
python3 - samples/lenet5/lenet5.onnx "$TMP/faulty.onnx" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
name, i = b'conv2.weight', -1
while True:
    i = d.find(name, i + 1)
    if i < 0 or d[i + len(name)] == 0x4a:   # the initializer's name followed by raw_data (field 9)
        break
k = i + len(name) + 1
while d[k] & 0x80:                          # skip the varint length
    k += 1
k += 1
for o in range(k, k + 600, 4):
    struct.pack_into('<f', d, o, struct.unpack_from('<f', d, o)[0] * 1.5 + 0.05)
open(sys.argv[2], 'wb').write(d)
PY
start samples/lenet5/lenet5.pt "$TMP/faulty.onnx"
expect_screen tui_faulty_verdict "DIVERGE at conv2"
keys f
expect_screen tui_f_first_divergence "^> conv2 +/conv2/Conv .*✗"
keys a
expect_screen tui_local_error "local error \(B's layer fed A's input\): max abs 6.11, the layer itself is faulty"
keys q

# --- one model alone: every view, no diff columns
start samples/lenet5/lenet5.onnx
expect_screen tui_one_model "^B — +\(one model"
keys j a
expect_screen tui_one_model_activations "A output \[1,6,28,28\]"
keys q

# --- SIGTERM restores the terminal too
start
wait_for "conv1 +/conv1/Conv" >/dev/null
pid=$(pgrep -P "$(tm display-message -p -t t '#{pane_pid}')" convscope)
[ -n "$pid" ] && kill -TERM "$pid"
for ((i = 0; i < 50; i++)); do [ -f "$TMP/tui-exit" ] && break; sleep 0.1; done
if grep -q "EXITED 143" "$TMP/tui-exit" 2>/dev/null && ! cap | grep -q "Layers ("; then
    echo "ok tui_sigterm_restores_terminal"
else
    echo "FAIL tui_sigterm_restores_terminal (pid '$pid')"; cap | sed 's/^/    /'
fi

# --- a missing model is an error before the screen is taken
expect_fail tui_missing_model "neither a command nor a readable model" "$CS" "$TMP/missing.onnx"

# --- every keypress redrew in under 50 ms
if [ -s "$TRACE" ]; then
    max=$(awk '{ if ($3 > m) m = $3 } END { printf "%.3f", m }' "$TRACE")
    n=$(wc -l <"$TRACE")
    if awk -v m="$max" 'BEGIN { exit !(m < 50) }'; then
        echo "ok tui_redraw_under_50ms ($n keys, slowest $max ms)"
    else
        echo "FAIL tui_redraw_under_50ms ($n keys, slowest $max ms)"
    fi
else
    echo "FAIL tui_redraw_under_50ms (no trace written)"
fi
