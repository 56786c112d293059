# lib.sh — helpers for the shell test suites: each check prints "ok NAME" or "FAIL NAME" plus
# the evidence, so tests/run.sh can count outcomes. Sourced with CS (the binary) and TMP set.

# expect_fail NAME PATTERN CMD...: CMD must exit 2 with exactly one "convscope..." error line on stderr
# matching PATTERN (informational lines such as input notes may precede it).
expect_fail() {
    local name=$1 pattern=$2
    shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    local lines
    lines=$(printf '%s\n' "$err" | grep -c '^convscope')
    if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep '^convscope' | grep -Eq -- "$pattern"; then
        echo "ok $name"
    else
        echo "FAIL $name (exit $rc, want 2; stderr: $err; want one line matching /$pattern/)"
    fi
}

# expect_ok NAME PATTERN CMD...: CMD must exit 0 with stdout matching PATTERN.
expect_ok() {
    local name=$1 pattern=$2
    shift 2
    local out rc
    out=$("$@" 2>/dev/null)
    rc=$?
    if [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -Eq -- "$pattern"; then
        echo "ok $name"
    else
        echo "FAIL $name (exit $rc; stdout head: $(printf '%s' "$out" | head -c 300); want /$pattern/)"
    fi
}

# check NAME CONDITION-CMD...: passes when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then echo "ok $name"; else echo "FAIL $name"; fi
}

# wait_sigint_caught PID: waits (up to 20 s) until process PID has installed its own SIGINT handler (bit 2 of
# SigCgt in /proc/PID/status). A background job of a non-interactive shell starts with SIGINT ignored, so a
# Ctrl-C sent before the handler is in place would be lost and the test would measure start-up time instead.
wait_sigint_caught() {
    local pid=$1 k mask
    for ((k = 0; k < 400; k++)); do
        mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
        [ -n "$mask" ] || return 1
        if (( (16#$mask & 2) != 0 )); then return 0; fi
        sleep 0.05
    done
    return 1
}
