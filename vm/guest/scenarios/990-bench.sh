# shellcheck shell=bash
# Benchmark, not a test: runs only when the harness asks for it (make bench), and
# records hyperfine's JSON for BENCHMARKS.md.

[[ -e $SSC_SHARE/bench-requested ]] || return 0
out=$SSC_RESULTS/bench-$SSC_SUITE
runs=${SSC_BENCH_RUNS:-40}
# A logged-in user always has units in user-UID.slice (user@UID.service, a session scope).
# alice has none here, so keep one alive; otherwise every run would meet the empty slice
# being stopped and wait for that (systemd-run's scope goes to system.slice instead).
as_user 'ssc --no-tty -p relaxed -- sleep 600'
as_user "hyperfine -N --warmup 5 --runs $runs --export-json /tmp/bench-ssc.json 'ssc -p relaxed -- true' 'true'" >"$out-ssc.txt" 2>&1
cp /tmp/bench-ssc.json "$out-ssc.json"
pkill -u alice -x -f 'sleep 600' || true
# systemd-run needs root for --uid/--gid; it does the same work as ssc -p relaxed.
hyperfine -N --warmup 5 --runs "$runs" --export-json "$out-systemd-run.json" \
    'systemd-run --scope -q -p MemoryMax=70% --uid=1000 --gid=1000 true' >"$out-systemd-run.txt" 2>&1
check "benchmark produced results" test -s "$out-ssc.json" -a -s "$out-systemd-run.json"
