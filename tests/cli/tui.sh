#!/usr/bin/env bash
# tui.sh — drives the explorer in a real terminal (tmux, 80x24): the sample pair opens, walking shows weights
# and activations, f finds the first divergence, jobs stream and cancel, a job over --max-memory fails and the
# session goes on, help, resize, quit restores the terminal.
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
start() { start_at 80 24 "$@"; }
# start_at W H ARGS...: the same at another terminal size.
start_at() {
    local w=$1 h=$2
    shift 2
    fresh_server
    rm -f "$TMP/tui-exit"
    for ((try = 0; try < 3; try++)); do # a server still exiting can refuse the first session: try again
        tm new-session -d -s t -x "$w" -y "$h" \
            "CONVSCOPE_TRACE_REDRAW='$TRACE' '$CS' $*; echo EXITED \$? >'$TMP/tui-exit'; echo EXITED; sleep 60" \
            2>/dev/null && break
        sleep 0.3
    done
}
# fresh_server: ends the previous session's server and waits until it is gone.
fresh_server() {
    tm kill-server 2>/dev/null
    for ((i = 0; i < 40; i++)); do tm list-sessions >/dev/null 2>&1 || break; sleep 0.05; done
    sleep 0.1
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
        expect_screen "tui_corpus_${name}_verdict" "DIVERGE at $layer" 300
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

# --- the first screen: the predicted class of each model, f in the bottom bar at 80x24, a faulty pair to try
start
expect_screen tui_first_screen_prediction "^A lenet5.pt +→ 0 'T-shirt/top' [0-9]+%"
expect_screen tui_first_screen_bar_has_f "^ f first"
expect_screen tui_first_screen_tip "try: :open .*faults/lenet5s.pt .*lenet5s_pool2_floor.onnx"
keys G a
expect_screen tui_output_row_top5 "^A predicts 0 'T-shirt/top' [0-9]+%, "
keys q

# --- bug 1: a shape-changing fault is a divergent row showing both shapes, and f lands on it
start samples/faults/lenet5s.pt samples/faults/lenet5s_pool2_floor.onnx --input samples/lenet5/images/9_ankle_boot.png
expect_screen tui_shape_fault_verdict "DIVERGE at pool2"
keys f a
expect_screen tui_shape_fault_f_lands "^> pool2 .*\[1,16,6,6\] +B \[1,16,5,5\] .*✗"
expect_screen tui_shape_fault_detail "shapes differ: A \[1,16,6,6\], B \[1,16,5,5\]"
keys q
start samples/faults/x_incep.pt samples/faults/x_incep_b1_stride.onnx
expect_screen tui_shape_fault_incep_verdict "DIVERGE at" 100
keys f
sleep 0.3
if cap | grep -q "no divergent layer"; then echo "FAIL tui_shape_fault_incep_f (f found no divergent layer)"; cap | sed 's/^/    /'
else expect_screen tui_shape_fault_incep_f "^> .*✗"; fi
keys q

# --- bug 2: a failed command leaves the state as it was and says why once
start
expect_screen tui_bad_cmd_ready "match \(output"
keys : 'input nope.png' Enter
expect_screen tui_bad_input_says_why "error: nope.png: "
keys : 'tol 0.01 0.001' Enter
expect_screen tui_tol_after_bad_input "rtol 0.01 atol 0.001"
if cap | grep -q "nope.png"; then echo "FAIL tui_bad_input_said_once"; cap | sed 's/^/    /'; else echo "ok tui_bad_input_said_once"; fi
keys : 'open /nonexistent.onnx' Enter
expect_screen tui_bad_open_says_why "error: /nonexistent.onnx"
expect_screen tui_bad_open_keeps_models "^A lenet5.pt"
keys : 'tol 0.02' Enter
expect_screen tui_tol_after_bad_open "rtol 0.02 atol 0.001"
keys : 'map /etc/passwd' Enter
expect_screen tui_bad_map_says_why "error: /etc/passwd:1"
if cap | grep -q "unmatched"; then echo "FAIL tui_bad_map_keeps_matching"; cap | sed 's/^/    /'; else echo "ok tui_bad_map_keeps_matching"; fi
keys q

# --- bug 3: nothing of the help or of a zoomed heatmap stays behind, at 120 and 160 columns
for size in "120 35" "160 45"; do
    read -r w h <<<"$size"
    start_at "$w" "$h"
    expect_screen "tui_${w}_ready" "match \(output"
    keys j j j a
    sleep 0.5
    before=$(cap | sed '$d' | sed '$d')   # all but the status line and the bar
    keys '?'
    expect_screen "tui_${w}_help" "first divergent layer"
    for ((i = 0; i < 8; i++)); do keys NPage; done
    keys q Tab z
    expect_screen "tui_${w}_zoomed" "channel 0 of 16"
    keys z Tab
    sleep 0.5
    after=$(cap | sed '$d' | sed '$d')
    if [ "$before" = "$after" ]; then echo "ok tui_${w}_no_stale_cells"; else
        echo "FAIL tui_${w}_no_stale_cells"; diff <(echo "$before") <(echo "$after") | sed 's/^/    /'; fi
    keys q
done
# names get the width at 120 columns (the layers pane is full width below 150)
start_at 120 35 samples/faults/x_incep.pt samples/faults/x_incep.onnx
expect_screen tui_120_names_wide "^  A layer {20,}B layer"
keys q

# --- bug 4: the attack form shows over a zoomed jobs pane
start
expect_screen tui_form_ready "match \(output"
keys : 'bench 1000000' Enter
expect_screen tui_form_job_running "timing, 1000000 runs +running"
for ((t = 0; t < 3; t++)); do cap | grep -q "▶ Jobs" && break; keys Tab; sleep 0.2; done
keys z x
expect_screen tui_form_over_zoomed_jobs "method \(fgsm\|pgd\|simba\) +fgsm"
keys Escape
sleep 0.2
keys c q y

# --- bug 5: without a terminal the explorer refuses at once (exit 2, one line, no spinning)
t0=$(date +%s%N)
timeout 5 "$CS" samples/lenet5/lenet5.pt </dev/null >"$TMP/notty.out" 2>"$TMP/notty.err"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/notty.err")" = 1 ] && grep -q "needs a terminal" "$TMP/notty.err" && [ "$ms" -lt 3000 ]; then
    echo "ok tui_no_tty_refuses ($ms ms)"
else
    echo "FAIL tui_no_tty_refuses (exit $rc after $ms ms: $(cat "$TMP/notty.err"))"
fi

# --- bug 6: Ctrl-C on a CLI run in a terminal exits 130 and says how far it got
fresh_server
rm -f "$TMP/tui-exit"
tm new-session -d -s t -x 100 -y 24 \
    "'$CS' bench samples/lenet5/lenet5.onnx --runs 100000000; echo EXITED \$? >'$TMP/tui-exit'; sleep 60"
sleep 2
keys C-c
for ((i = 0; i < 50; i++)); do [ -f "$TMP/tui-exit" ] && break; sleep 0.1; done
if grep -q "EXITED 130" "$TMP/tui-exit" 2>/dev/null && cap | grep -Eqi "cancel|interrupt"; then
    echo "ok tui_cli_ctrl_c_exits_130"
else
    echo "FAIL tui_cli_ctrl_c_exits_130 ($(cat "$TMP/tui-exit" 2>/dev/null))"; cap | sed 's/^/    /'
fi

# --- bug 7: a terminal gone without a SIGHUP (the explorer outside its foreground group, here under setsid) ends
# the explorer within a second or two, instead of leaving it spinning on failed reads at full CPU
fresh_server
cp samples/lenet5/lenet5.pt "$TMP/hup_probe.pt"
tm new-session -d -s t -x 100 -y 30 "setsid -w '$CS' '$TMP/hup_probe.pt' samples/lenet5/lenet5.onnx; sleep 60"
wait_for "lenet5\.onnx" 100
probe() { pgrep -f "^$CS $TMP/hup_probe\.pt"; }
if [ -z "$(probe)" ]; then
    echo "FAIL tui_lost_terminal_ends (the explorer did not start under setsid)"
else
    tm kill-server
    for ((i = 0; i < 50; i++)); do [ -z "$(probe)" ] && break; sleep 0.1; done
    if [ -z "$(probe)" ]; then echo "ok tui_lost_terminal_ends"; else
        echo "FAIL tui_lost_terminal_ends (still running 5 s after its terminal went)"; pkill -9 -f "^$CS $TMP/hup_probe\.pt"; fi
fi

# --- the teaching view at 80x24 walks LeNet-5 from input to output
start
expect_screen tui_teach_ready "match \(output"
keys j j j l
expect_screen tui_teach_title "Learn: conv2 +Conv2d = Conv"
expect_screen tui_teach_formula "y\[o,i,j\] = b\[o\] \+ sum c<6, u<5, v<5 of w\[o,c,u,v\] \* x\[c, i\+u, j\+v\]"
expect_screen tui_teach_shapes "shapes +in \[1,6,14,14\] → out \[1,16,10,10\]"
expect_screen tui_teach_params "params +2416: 2400 weight \[16,6,5,5\] \+ 16 bias \[16\]"
expect_screen tui_teach_macs "MACs +240000: 1600 outputs x 150 \(6x5x5\)"
expect_screen tui_teach_rf "sees +14x14 pixels of the 28x28 input"
expect_screen tui_teach_pictures "w\[0,[0-5]\] +in ch [0-5] +out ch 0 of 16"
w=$(cap | wc -L)
if [ "$w" -le 80 ]; then echo "ok tui_teach_fits_80x24"; else echo "FAIL tui_teach_fits_80x24 ($w columns)"; fi
keys j
expect_screen tui_teach_walks_to_relu "y = max\(0, x\)"
keys '>'
expect_screen tui_teach_channel "out ch 1 of 16"
keys q : 'explain fc1' Enter
expect_screen tui_teach_explain_fc1 "every one of 120 outputs is a weighted sum of all 400 inputs"
expect_screen tui_teach_fc1_rf "sees +the whole input"
keys q q

# --- a CoreML .mlpackage: MIL consts get no row, G lands on the output
mlp=../shared/realworld/drawmnist/MNIST.mlpackage
if [ -d "$mlp" ]; then
    start "$mlp"
    expect_screen tui_mlpackage_ready "Layers \("
    keys G
    expect_screen tui_mlpackage_G_output "^> Prediction_probs +classify"
    if cap | grep -q " const "; then echo "FAIL tui_mlpackage_no_const_rows"; else echo "ok tui_mlpackage_no_const_rows"; fi
    keys k k k w
    expect_screen tui_mlpackage_const_weights_shown "^A model_Dense2_weight_to_fp16 \[10,800\]"
    keys q
else
    echo "# $mlp is absent: the .mlpackage checks are skipped"
fi

# --- at real scale: a ResNet-50 pair of the zoo opens folded with keys live while loading, f lands on the
# first divergence, every key redraws fast (the slowest redraw is checked below with all the others)
zoo=""
for d in "${ZOO_DIR:-build/zoo}" build/zoo; do [ -d "$d/resnet50" ] && [ -d "$d/faults" ] && zoo=$d && break; done
if [ -n "$zoo" ] && [ -f "$zoo/faults/resnet50_kernel_hw.onnx" ]; then
    start_at 120 40 "$zoo/resnet50/model.pt" "$zoo/faults/resnet50_kernel_hw.onnx" --input "$zoo/resnet50/input.npy"
    expect_screen tui_resnet50_progress "(loading|running).*keys work meanwhile" 100
    keys j k
    expect_screen tui_resnet50_ready "DIVERGE at" 1800
    expect_screen tui_resnet50_folded "Layers \(([0-9]|[12][0-9]|30) of 1[0-9]{2} rows"
    first=$(cap | sed -n 3p | sed 's/.*DIVERGE at //; s/+.*//')
    keys f
    expect_screen tui_resnet50_f_lands "^> .*✗"
    expect_screen tui_resnet50_f_detail_names_it "^${first}[+ ]"
    for ((i = 0; i < 20; i++)); do keys j; done
    keys G g a
    sleep 1
    keys q
else
    echo "# no ResNet-50 zoo (${ZOO_DIR:-build/zoo}; torchvision missing?): the real-scale checks are skipped (make zoo builds it)"
fi

# --- ] and [ step through layers with an error of their own, skipping the ones that only inherit it
start samples/lenet5/lenet5.pt samples/faults/lenet5_conv2_kernel_transposed.onnx --input samples/lenet5/images/2_pullover.png
expect_screen tui_local_ready "DIVERGE at conv2" 100
keys g ']'
expect_screen tui_next_local_error "^> conv2 +/conv2/Conv .*✗"
keys ']'
expect_screen tui_no_next_local_error "no next layer with a local error"
expect_screen tui_inherited_glyph "^  relu +/Relu .*↓"
keys q

# --- the help's columns line up by display width (multi-byte glyphs), paths read without ../
start
expect_screen tui_help_ready "match \(output"
if cap | grep -q '\.\./'; then echo "FAIL tui_paths_normalised"; cap | sed 's/^/    /'; else echo "ok tui_paths_normalised"; fi
keys '?'
expect_screen tui_help_open "first divergent layer"
cols=$(cap | python3 -c '
import sys, re
for line in sys.stdin:
    m = re.match(r"^  (j ↓|PgDn|/|Enter) +(\S)", line)
    if m: print(len(line[:m.start(2)]))' | sort -u | wc -l)
if [ "$cols" = 1 ]; then echo "ok tui_help_aligned_by_width"; else echo "FAIL tui_help_aligned_by_width ($cols note columns)"; cap | sed 's/^/    /'; fi
keys q q

# --- unrelated models are paired with a warning; a file that is no model is refused before the screen
start samples/lenet5/lenet5.pt samples/faults/x_mlp.onnx
expect_screen tui_low_match_warned "LOW MATCHING CONFIDENCE 0\.[0-4]"
keys q
start samples/faults/x_incep.pt samples/faults/x_incep.onnx
expect_screen tui_related_ready "Layers \("
sleep 1
if cap | grep -q "LOW MATCHING"; then echo "FAIL tui_related_not_warned"; else echo "ok tui_related_not_warned"; fi
keys q
expect_fail tui_non_model_b "README.md: not a model file" "$CS" samples/lenet5/lenet5.pt README.md

# --- the picker previews the highlighted file; :open drops an input made for the previous model
start
expect_screen tui_picker_ready "match \(output"
keys i
expect_screen tui_picker_open "Input: \[file\]"
keys j j
expect_screen tui_picker_preview_highlighted "^ .*│? *1_trouser.png|1_trouser.png *$|  1_trouser.png"
keys Escape q
start samples/faults/x_mlp.pt samples/faults/x_mlp.onnx --input samples/faults/images/x_8x8.npy
expect_screen tui_open_npy_ready "input x_8x8.npy .*match"
keys : 'open samples/lenet5/lenet5.pt samples/lenet5/lenet5.onnx' Enter
expect_screen tui_open_drops_input "the input was made for the previous model"
expect_screen tui_open_new_policy "input 0_tshirt.png .*match"
keys q

# --- the cause of the first divergence, in the header and the detail pane
start_at 100 30 samples/lenet5/lenet5.pt samples/faults/lenet5_conv2_kernel_transposed.onnx --input samples/lenet5/images/2_pullover.png
expect_screen tui_cause_in_header "DIVERGE at conv2: weights_layout" 100
keys f
expect_screen tui_cause_in_detail "^cause: "
keys q

# --- the attribute table pairs attributes by canonical name: TorchScript's conv1 (no attributes of its own) shows
# its canonical values beside ONNX's, the differing pads row is marked and drawn in the alert colour (bold red)
start_at 100 60 samples/lenet5/lenet5.pt samples/faults/lenet5_conv1_pad_asymmetric.onnx --input samples/lenet5/images/7_sneaker.png
expect_screen tui_attrs_ready "DIVERGE at conv1" 100
keys f w
expect_screen tui_attrs_canonical_both_sides "^  kernel_shape +\[5,5\] +\[5,5\]"
expect_screen tui_attrs_differing_row_marked "^≠ pads +\[2,2,2,2\] +\[1,1,3,3\]"
if tm capture-pane -e -p -t t | grep -a "≠ pads" | grep -aq $'\e\[1m\e\[31m'; then
    echo "ok tui_attrs_differing_row_highlighted"
else
    echo "FAIL tui_attrs_differing_row_highlighted"; tm capture-pane -e -p -t t | grep -a "pads" | cat -v | sed 's/^/    /'
fi
keys q
# Keras names beside the canonical ones (kernel_size, padding) on one row with ONNX's, defaults marked
rw=../shared/realworld/nharish-onnx
if [ -f "$rw/mnist.h5" ] && [ -f "$rw/onnx_mnist.onnx" ]; then
    start_at 100 60 "$rw/mnist.h5" "$rw/onnx_mnist.onnx"
    expect_screen tui_attrs_keras_ready "match \(output" 100
    keys j w
    expect_screen tui_attrs_keras_pool_size "^  kernel_shape \(pool_size\) +\[2,2\] +\[2,2\]"
    expect_screen tui_attrs_auto_pad_resolved "^  pads \(padding/auto_pad\) +\[0,0,0,0\] +\[0,0,0,0\]"
    expect_screen tui_attrs_default_marked "^  ceil_mode +0 \(default\) +0"
    keys j
    expect_screen tui_attrs_keras_kernel_size "^  kernel_shape \(kernel_size\) +\[3,3\] +\[3,3\]"
    keys q
else
    echo "# ../shared/realworld/nharish-onnx is absent: the Keras attribute-table checks are skipped"
fi

# --- --max-memory: a job over the budget fails in the jobs pane, and the session goes on under the same budget.
# LeNet-5's diff on one image needs about 290 KiB (0.24 MiB of weights + batch-1 activations) and opens under
# 400 KiB; an eval job runs batches of 32, whose first conv output alone is 0.4 MiB: it fails. 200 columns: the
# job's status line holds the whole error. A malformed size is refused before the screen is taken.
out=$("$CS" samples/lenet5/lenet5.pt --max-memory 0 </dev/null 2>&1); rc=$?
if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && grep -q -- "--max-memory needs a size" <<<"$out"; then
    echo "ok tui_max_memory_malformed_refused"
else
    echo "FAIL tui_max_memory_malformed_refused (exit $rc: $out)"
fi
start_at 200 30 samples/lenet5/lenet5.pt samples/lenet5/lenet5.onnx --max-memory 400K
expect_screen tui_budget_pair_opens "match \(output" 100
keys : 'eval fashion-mnist:test 20' Enter
expect_screen tui_budget_job_fails "^#1 eval .* failed .*error: .*over the memory budget \(.*--max-memory\)" 100
keys : 'input samples/lenet5/images/1_trouser.png' Enter
expect_screen tui_budget_then_input_diffs "^input 1_trouser.png .*match \(output" 100
expect_screen tui_budget_then_input_predicts "^B lenet5.onnx +→ 1 'Trouser'"
keys : 'bench 5' Enter
expect_screen tui_budget_then_job_runs "^#2 timing, 5 runs +done .*B lenet5.onnx: 5 runs, median" 100
keys j j
expect_screen tui_budget_keys_still_move "^> pool1 "
keys q
for ((i = 0; i < 50; i++)); do [ -f "$TMP/tui-exit" ] && break; sleep 0.1; done
if grep -q "EXITED 0" "$TMP/tui-exit" 2>/dev/null && ! cap | grep -q "Layers ("; then
    echo "ok tui_budget_quit_restores_terminal"
else
    echo "FAIL tui_budget_quit_restores_terminal"; cap | sed 's/^/    /'
fi

# --- SIGHUP ends the explorer cleanly: the attack job's temporary folder is removed
start
expect_screen tui_hup_ready "match \(output"
keys : 'attack fgsm 0.1 1 fashion-mnist:test 20' Enter
sleep 2
pid=$(pgrep -P "$(tm display-message -p -t t '#{pane_pid}')" convscope)
dirs=$(ls -d "${TMPDIR:-/tmp}"/convscope-adv-"$pid"-* 2>/dev/null)
[ -n "$pid" ] && kill -HUP "$pid"
for ((i = 0; i < 50; i++)); do [ -f "$TMP/tui-exit" ] && break; sleep 0.1; done
if grep -q "EXITED 129" "$TMP/tui-exit" 2>/dev/null && ! ls -d "${TMPDIR:-/tmp}"/convscope-adv-"$pid"-* >/dev/null 2>&1; then
    echo "ok tui_sighup_cleans_up (${dirs:-no folder made yet})"
else
    echo "FAIL tui_sighup_cleans_up (exit '$(cat "$TMP/tui-exit" 2>/dev/null)', left: $(ls -d "${TMPDIR:-/tmp}"/convscope-adv-"$pid"-* 2>/dev/null))"
fi

# --- an installed convscope (make install into a staging folder) finds its samples with no arguments
bdir=$(dirname "$CS")
if make -s -q BUILD="$bdir" "$CS" 2>/dev/null; then
    make -s install BUILD="$bdir" DESTDIR="$TMP/inst" PREFIX=/usr >/dev/null 2>&1
    if [ -f "$TMP/inst/usr/share/convscope/samples/lenet5/lenet5.pt" ]; then
        echo "ok tui_install_ships_samples"
        fresh_server
        tm new-session -d -s t -x 80 -y 24 "cd /; '$TMP/inst/usr/bin/convscope'; echo EXITED \$? >'$TMP/tui-exit'; sleep 60"
        expect_screen tui_installed_opens_samples "^A lenet5.pt .*torchscript"
        keys q
    else
        echo "FAIL tui_install_ships_samples (no lenet5.pt under $TMP/inst/usr/share/convscope/samples)"
    fi
else
    echo "# $CS is not the up-to-date build of this tree: the install check is skipped"
fi

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
