# shellcheck shell=bash
# Benchmark, not a test: runs only when the harness asks for it (make bench), and records
# the numbers for BENCHMARKS.md. alice is logged in (linger), as on a desktop, and every
# command starts through the same setpriv wrapper: ssc as alice, systemd-run as root
# doing the same work (a scope in user-1000.slice with MemoryMax=70%, then uid/gid 1000).

[[ -e $SSC_SHARE/bench-requested ]] || return 0
out=$SSC_RESULTS/bench-$SSC_SUITE
runs=${SSC_BENCH_RUNS:-60}
loginctl enable-linger alice
for _ in $(seq 60); do systemctl -q is-active user@1000.service && break; sleep 0.5; done

as_alice='setpriv --reuid=1000 --regid=1000 --init-groups --'
as_root='setpriv --reuid=0 --regid=0 --keep-groups --'
ssc_cmd="$as_alice ssc -p relaxed -- true"
run_cmd="$as_root systemd-run --scope -q --slice=user-1000.slice -p MemoryMax=70% --uid=1000 --gid=1000 true"
true_cmd="$as_alice true"

hyperfine -N --warmup 5 --runs "$runs" --export-json "$out-median.json" \
    "$ssc_cmd" "$run_cmd" "$true_cmd" >"$out-median.txt" 2>&1

# A wave of 200 parallel launches: wall time and failures.
wave() { # NAME CMD
    local start fails
    rm -f /tmp/wave.err
    start=$(date +%s%N)
    for _ in $(seq 200); do
        # shellcheck disable=SC2086 # the command is split on purpose
        $2 >/dev/null 2>>/tmp/wave.err || echo "exit $?" >>/tmp/wave.err &
    done
    wait
    fails=$(grep -c '^exit' /tmp/wave.err)
    printf '%s wave of 200: %d ms, %d failures\n' "$1" $((($(date +%s%N) - start) / 1000000)) "$fails"
    sed 's/^/    /' /tmp/wave.err | sort | uniq -c | head -5
}
{
    for _ in 1 2 3; do
        wave ssc "$ssc_cmd"
        sleep 5
        wave systemd-run "$run_cmd"
        sleep 5
    done
} >"$out-wave.txt" 2>&1

loginctl disable-linger alice
cat "$out-wave.txt"
check "benchmark produced results" test -s "$out-median.json" -a -s "$out-wave.txt"
