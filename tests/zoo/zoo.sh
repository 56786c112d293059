#!/usr/bin/env bash
# zoo.sh — the diff judged on real-size torchvision models (tools/zoo/make_zoo.py, built into build/zoo when
# missing): every correct .pt/.onnx pair diffs as "match" with no value-computing layer left unmatched, and
# every planted fault (faults.tsv) is localised on its layer with the cause tools/zoo/zoo_faults.py expects
# (kind, and the attribute for "attribute"), and no correct pair gets a cause. Needs python3-torchvision; says so when absent.
. "$(dirname "$0")/../lib.sh"
ZOO=${ZOO_DIR:-build/zoo}
GAPS=tests/zoo/reader_gaps.tsv

if ! /usr/bin/python3 -c 'import torchvision, onnx' 2>/dev/null; then
    echo "zoo: python3-torchvision or python3-onnx not installed (make deps installs them): zoo suite not run"
    exit 0
fi
if [ ! -f "$ZOO/faults.tsv" ]; then
    echo "zoo: generating $ZOO (about a minute)"
    nice -n 10 /usr/bin/python3 tools/zoo/make_zoo.py "$ZOO" >/dev/null || { echo "FAIL zoo_generated"; exit 0; }
fi

# A model listed in reader_gaps.tsv does not load yet: the check is that it still fails with that message
# (so the line is removed the day the reader learns it).
gap_of() { awk -F'\t' -v m="$1" '$1 == m { print $2 }' "$GAPS"; }

# json_field FILE EXPR: a python expression over the parsed JSON `j`.
json_field() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }

check_pair() {
    local m=$1 opset=$2 out="$TMP/zoo_${1}_$2.json" err="$TMP/zoo_${1}_$2.err" rc gap
    "$CS" diff "$ZOO/$m/model.pt" "$ZOO/$m/model$opset.onnx" --input "$ZOO/$m/input.npy" --json >"$out" 2>"$err"
    rc=$?
    gap=$(gap_of "$m")
    if [ -n "$gap" ]; then
        if [ $rc -eq 2 ] && grep -qF -- "$gap" "$err"; then echo "ok zoo_known_reader_gap_${m}_$opset"
        else echo "FAIL zoo_known_reader_gap_${m}_$opset (exit $rc; the gap '$gap' changed: update $GAPS): $(head -c 300 "$err")"; fi
        return
    fi
    local verdict unmatched
    verdict=$(json_field "$out" 'j["verdict"]')
    unmatched=$(json_field "$out" 'len(j["unmatched_a"]) + len(j["unmatched_b"])')
    local cause
    cause=$(json_field "$out" '((j.get("first_divergence") or {}).get("cause") or {}).get("kind", "")')
    if [ $rc -eq 0 ] && [ "$verdict" = match ] && [ "$unmatched" = 0 ] && [ -z "$cause" ]; then
        echo "ok zoo_correct_pair_matches_${m}_$opset"
    else
        echo "FAIL zoo_correct_pair_matches_${m}_$opset (exit $rc, verdict '$verdict', unmatched $unmatched, cause '$cause'): $(json_field "$out" '(j.get("first_divergence") or {}).get("a_layers"), j["unmatched_a"][:5], j["unmatched_b"][:5]') $(head -c 200 "$err")"
    fi
}

# The expected cause of every planted fault, "kind" or "attribute:NAME", from the generator itself (not from
# $ZOO/faults.tsv, which a zoo generated before a change to the expectations still carries).
expected_causes() {
    /usr/bin/python3 -c 'import sys; sys.path.insert(0, "tools/zoo"); import zoo_faults
for f in zoo_faults.FAULTS: print(f[0] + "\t" + f[6])'
}
EXPECTED=$(expected_causes)
cause_of() { awk -F'\t' -v id="$1" '$1 == id { print $2 }' <<<"$EXPECTED"; }

check_cause() {
    local id=$1 out=$2 want got
    want=$(cause_of "$id")
    got=$(json_field "$out" '(lambda c: c.get("kind", "") + (":" + c["attribute"] if c.get("attribute") else ""))((j.get("first_divergence") or {}).get("cause") or {})')
    if [ -n "$want" ] && [ "$got" = "$want" ]; then
        echo "ok zoo_fault_cause_$id"
    else
        echo "FAIL zoo_fault_cause_$id (want '${want:-a row in tools/zoo/zoo_faults.py}', got '$got'): $(json_field "$out" '((j.get("first_divergence") or {}).get("cause") or {}).get("summary")')"
    fi
}

check_fault() {
    local id=$1 m=$2 a_layer=$3 out="$TMP/zoo_fault_$1.json" rc got
    [ -n "$(gap_of "$m")" ] && return
    "$CS" diff "$ZOO/$m/model.pt" "$ZOO/faults/$id.onnx" --input "$ZOO/$m/input.npy" --json >"$out" 2>/dev/null
    rc=$?
    got=$(json_field "$out" '"+".join((j.get("first_divergence") or {}).get("a_layers") or [])')
    if [ $rc -eq 1 ] && [[ "+$got+" == *"+$a_layer+"* ]]; then
        echo "ok zoo_fault_localised_$id"
        check_cause "$id" "$out"
        json_field "$out" '"zoo: %s at %s: local error %s, noise floor %s, inherited %s" % (sys.argv[1].split("_fault_")[1][:-5], "+".join(j["first_divergence"]["a_layers"]), j["first_divergence"].get("local_max_abs"), j["first_divergence"].get("local_noise_floor"), j["first_divergence"].get("inherited_max_abs"))'
    else
        echo "FAIL zoo_fault_localised_$id (exit $rc, want 1; want A '$a_layer'; got '${got:-no divergence}')"
    fi
}

while IFS=$'\t' read -r m _shape; do
    [ "${m#\#}" != "$m" ] && continue
    for opset in 13 17; do check_pair "$m" "$opset"; done
done <"$ZOO/models.tsv"

while IFS=$'\t' read -r id m _opset a_layer _cause _node _desc; do
    [ "${id#\#}" != "$id" ] && continue
    check_fault "$id" "$m" "$a_layer"
done <"$ZOO/faults.tsv"
