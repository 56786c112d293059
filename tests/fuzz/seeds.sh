#!/usr/bin/env bash
# seeds.sh TARGET DIR — copies the seed corpus of a fuzz target (small valid files already in the repository,
# and the ONNX test data of libonnx-testdata) into DIR. Files over 256 KB are skipped: seeds stay small.
set -u
t=$1
d=$2
T=/usr/share/libonnx-testdata/data
seed() { for f in "$@"; do [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 262144 ] && cp "$f" "$d/$(echo "$f" | tr '/' '_')"; done; }
# extracts the zip member matching PATTERN of each archive into DIR (python3's zipfile; skipped without it)
member() {
    local pat=$1
    shift
    command -v python3 >/dev/null || return 0
    python3 - "$pat" "$d" "$@" <<'PY'
import fnmatch, os, sys, zipfile
pat, out = sys.argv[1], sys.argv[2]
for a in sys.argv[3:]:
    try:
        with zipfile.ZipFile(a) as z:
            for n in z.namelist():
                if fnmatch.fnmatch(n, pat) and z.getinfo(n).file_size <= 262144:
                    open(os.path.join(out, a.replace("/", "_") + "_" + os.path.basename(n)), "wb").write(z.read(n))
    except (zipfile.BadZipFile, OSError):
        pass
PY
}
case $t in
onnx) seed tests/fixtures/onnx/*.onnx samples/*/*.onnx $(ls $T/node/*/model.onnx 2>/dev/null | head -400) ;;
pb) seed $(ls $T/node/*/test_data_set_0/*.pb 2>/dev/null | head -300) ;;
torchscript) seed tests/fixtures/torch/*.pt tests/malformed/ts_*.pt ;;
pickle) member '*.pkl' tests/fixtures/torch/*.pt tests/fixtures/torch/*.pth ;;
ts_source) member '*/code/*.py' tests/fixtures/torch/*.pt ;;
checkpoint) seed tests/fixtures/torch/*.pth tests/malformed/ckpt_*.pt ;;
keras_h5) seed tests/fixtures/keras/*.h5 tests/fuzz/seeds/keras_h5/*.h5 ;;
keras) seed tests/fixtures/keras/*.keras ;;
mlmodel) seed tests/fixtures/coreml/layers/*.mlmodel samples/*/*.mlmodel ;;
mlpackage)
    for p in tests/fixtures/coreml/*.mlpackage samples/*/*.mlpackage; do
        m=$p/Data/com.apple.CoreML/model.mlmodel w=$p/Data/com.apple.CoreML/weights/weight.bin
        [ -f "$m" ] && [ -f "$w" ] || continue
        [ "$(stat -c %s "$m")" -le 262144 ] && [ "$(stat -c %s "$w")" -le 262144 ] || continue
        { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($(stat -c %s "$m") & 255)) $(($(stat -c %s "$m") >> 8 & 255)) \
            $(($(stat -c %s "$m") >> 16 & 255)) 0)"; cat "$m" "$w"; } >"$d/$(echo "$p" | tr '/' '_')"
    done ;;
milblob) seed tests/fixtures/coreml/*.mlpackage/Data/com.apple.CoreML/weights/weight.bin ;;
npy) seed tests/fixtures/onnx/*.npy tests/fixtures/keras/*.npy tests/malformed/*.npy ;;
image) seed samples/*/images/*.png samples/*/images/*.jpg tests/malformed/*.jpg tests/malformed/*.psd ;;
idx)
    for f in /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz; do
        [ -f "$f" ] && zcat "$f" | head -c 64 >"$d/labels.idx" && break
    done
    printf '\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03\x04' >"$d/images.idx" ;;
regex) # the patterns of the RegexFullMatch fixtures (make_opset18_fixtures.py), each followed by a subject
    n=0
    for p in '(\W|^)[\w.\-]{0,25}@(yahoo|gmail)\.com(\W|$)' 'www\.[\w.-]+\.\bcom\b' '\p{Greek}+ [a-z]+ .' \
             '(?i)\w+\d?' 'a\sb|c\Sd' 'x{,2}|y{2}' '[[:alpha:]]\Qa.b\E(?P<n>x)*' '(a+)+b'; do
        printf '%s\0%s' "$p" 'account@gmail.com' >"$d/regex_$n"
        n=$((n + 1))
    done ;;
*) echo "seeds.sh: unknown target $t" >&2; exit 2 ;;
esac
exit 0
