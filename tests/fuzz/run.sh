#!/usr/bin/env bash
# run.sh — runs every libFuzzer target of tests/fuzz for N seconds each (nice'd), seeded from small valid
# files of the repository and the target's dictionary; prints executions, coverage and findings per target
# and fails when any target crashed, leaked, timed out or ran out of memory. Usage: run.sh BUILD_DIR SECONDS [TARGET...]
set -u
cd "$(dirname "$0")/../.."
B=$1
SECS=${2:-60}
shift 2
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(onnx pb torchscript pickle ts_source checkpoint keras_h5 keras mlmodel mlpackage milblob npy image idx)
export CS_FUZZ_ROOT=$PWD OPENBLAS_NUM_THREADS=1 HDF5_USE_FILE_LOCKING=FALSE
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp
fail=0
printf '%-12s %12s %8s %8s %s\n' target executions cov ft findings
for t in "${targets[@]}"; do
    corpus=$B/corpus/$t art=$B/artifacts/$t/ log=$B/logs/$t.log
    mkdir -p "$corpus" "$art" "$B/logs"
    ./tests/fuzz/seeds.sh "$t" "$corpus"
    nice -n 10 "$B/fuzz_$t" -max_total_time="$SECS" -dict="tests/fuzz/dict/$t.dict" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$art" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    found=$(ls "$art" 2>/dev/null | wc -l)
    printf '%-12s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
        "$([ $rc -eq 0 ] && echo "none" || echo "exit $rc, $found artifact(s) in $art, see $log")"
    [ $rc -eq 0 ] || fail=1
done
exit $fail
