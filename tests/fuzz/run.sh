#!/usr/bin/env bash
# run.sh — runs every libFuzzer target of tests/fuzz for N seconds each (nice'd), seeded from small valid
# files of the repository and the target's dictionary; prints executions, coverage and findings per target
# and fails when any target crashed, leaked, timed out or ran out of memory. Usage: run.sh BUILD_DIR SECONDS [TARGET...]
# env: FUZZ_CORPUS (corpus root, default BUILD_DIR/corpus: keep it between runs so executions accumulate),
#      FUZZ_LOG (a TSV each run appends "date target seconds executions cov ft result" to, default BUILD_DIR/fuzz-runs.tsv),
#      FUZZ_NICE (the fuzzers' nice increment, default 10).
set -u
cd "$(dirname "$0")/../.."
B=$1
SECS=${2:-60}
shift 2
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(onnx pb torchscript pickle ts_source checkpoint keras_h5 keras mlmodel mlpackage milblob npy image idx regex)
export CS_FUZZ_ROOT=$PWD OPENBLAS_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp
CORPUS=${FUZZ_CORPUS:-$B/corpus}
RUNLOG=${FUZZ_LOG:-$B/fuzz-runs.tsv}
# inputs longer than this are not generated: the readers' interesting structure is in the first kilobytes, and
# long inputs only make each execution slower (zip containers and packages need room for their seeds' members)
max_len() {
    case $1 in
    npy | idx | pb | pickle | ts_source) echo 4096 ;;
    regex) echo 512 ;;
    image | onnx | mlmodel | milblob) echo 16384 ;;
    *) echo 65536 ;;
    esac
}
# libhdf5 parses in the sandbox, whose server (fuzz_common.h) the HDF5 targets start: its crashes and hangs there are
# the sandbox's clean errors, and the target saves each such input as an artifact "hdf5-REASON-HASH". Each one
# saved is then replayed with the real sandbox (a fork per file, CS_FUZZ_SANDBOX=1): an input the real sandbox
# turns into a clean error is "contained", any other is a finding. Any other artifact is a finding in our code.
# The target saves the first 20 inputs per reason ("signal 11"...; about 7% of the mutants break libhdf5) and
# prints how many there were in all: the server is confined by the same code as the real sandbox.
sandboxed() { [ "$1" = keras_h5 ] || [ "$1" = keras ]; }
fail=0
printf '%-12s %12s %8s %8s %s\n' target executions cov ft findings
for t in "${targets[@]}"; do
    corpus=$CORPUS/$t art=$B/artifacts/$t/ log=$B/logs/$t.log
    mkdir -p "$corpus" "$art" "$B/logs"
    ./tests/fuzz/seeds.sh "$t" "$corpus"
    before=$(ls "$art" 2>/dev/null | wc -l)
    nice -n "${FUZZ_NICE:-10}" "$B/fuzz_$t" -max_total_time="$SECS" -dict="tests/fuzz/dict/$t.dict" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -max_len="$(max_len "$t")" -use_value_profile=0 -print_final_stats=1 -artifact_prefix="$art" \
        "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    if sandboxed "$t"; then
        contained=0 open=0
        failed=$(grep -oE 'libhdf5 failed in the sandbox server on [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
        for a in $(ls -tr "$art" 2>/dev/null | tail -n +$((before + 1)) | grep '^hdf5-'); do
            if CS_FUZZ_SANDBOX=1 timeout 60 "$B/fuzz_$t" "$art$a" >"$B/logs/$t-$a.sandboxed.log" 2>&1; then
                contained=$((contained + 1))
            else
                open=$((open + 1))
            fi
        done
        [ "$open" -eq 0 ] || rc=1
        [ $((contained + open)) -eq 0 ] || echo "$t: libhdf5 failed on ${failed:-?} input(s); $contained saved one(s) contained by the real sandbox, $open open" >>"$log"
    fi
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    found=$(ls "$art" 2>/dev/null | wc -l)
    result=$([ $rc -eq 0 ] && echo "none" || echo "exit $rc, $found artifact(s) in $art, see $log")
    sandboxed "$t" && [ $((contained + open)) -gt 0 ] &&
        result="$result; libhdf5 failed on ${failed:-?} input(s), $contained saved and replayed: contained by the sandbox"
    printf '%-12s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$SECS" "${execs:-0}" "${cov:-?}" "${ft:-?}" \
        "$result" >>"$RUNLOG"
    [ $rc -eq 0 ] || fail=1
done
exit $fail
