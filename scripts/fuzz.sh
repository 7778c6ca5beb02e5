#!/bin/sh
# scripts/fuzz.sh SECONDS TARGET...: runs each fuzz target (built by `cargo fuzz build`) for
# SECONDS on its seeds and its corpus, then prints a table of executions per target. Exits
# non-zero when any target crashed; the input that did it is in fuzz/artifacts/<target>/.
set -u
seconds=$1
shift
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
failed=
summary=
for target in "$@"; do
    corpus=fuzz/corpus/$target
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    log=fuzz/artifacts/$target/last-run.log
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "$corpus" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -max_len=65536 \
        >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    coverage=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [ "$status" -ne 0 ]; then
        failed="$failed $target"
        echo "fuzz: $target FAILED (exit $status); last lines of $log:" >&2
        tail -n 30 "$log" >&2
    fi
    summary="$summary$(printf '%-16s %12s %8s %s' "$target" "${runs:-?}" "${coverage:-?}" \
        "$([ "$status" -eq 0 ] && echo ok || echo CRASH)")
"
done
printf '%-16s %12s %8s %s\n' target executions coverage result
printf '%s' "$summary"
[ -z "$failed" ] || { echo "fuzz: crashed:$failed" >&2; exit 1; }
