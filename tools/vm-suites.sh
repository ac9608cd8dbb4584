#!/bin/bash
# tools/vm-suites.sh SUITE...: runs the VM suites at once, each line of output prefixed
# with its suite, and fails if any of them failed (or did not finish). Each VM runs under
# plain TCG on one host CPU at most. On the 2-core host, two at once took 10.5 to 12.5
# minutes (2026-11-23); one after the other had taken 18 minutes, before scenario 180 was
# added. The benchmarks (make bench) still run one at a time.
set -uo pipefail
[[ $# -gt 0 ]] || { echo "usage: tools/vm-suites.sh SUITE..." >&2; exit 2; }
pids=()
for suite in "$@"; do
    (vm/run.sh "$suite" 2>&1 | sed -u "s/^/[$suite] /") &
    pids+=($!)
done
failed=()
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${@:i+1:1}")
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "vm-suites: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "vm-suites: passed: $*"
