#!/bin/bash
# Guest-side test runner.  Started by ssc-test.service (as root, after
# multi-user.target) from the 9p share; see vm/README.md.
#
#  1. prepares the guest (user alice + group ssctest, sudoers, setuid ssc)
#  2. runs vm/guest/scenarios/*.sh in sorted order, each in its own bash
#     process with lib.sh sourced and a timeout
#  3. writes "N passed, M failed" to results/log, then results/SUITE.done
#     as its very last step; ssc-test.service's ExecStopPost powers off.
#
# Deliberately no `set -e`: one broken step must not stop the others.
set -u
export LC_ALL=C.UTF-8

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHARE=${SSC_SHARE:-/mnt/share}
RESULTS=$SHARE/results
LOG=$RESULTS/log
# Settings from the host harness (run.sh writes share/env).
if [[ -f $SHARE/env ]]; then
    # shellcheck source=/dev/null
    . "$SHARE/env"
fi
SCENARIO_TIMEOUT=${SSC_SCENARIO_TIMEOUT:-300}
export SSC_TALLY=/run/ssc-test/tally
export SSC_RESULTS=$RESULTS
export SSC_SHARE=$SHARE

# shellcheck source=/dev/null
. /etc/os-release
SUITE=${VERSION_CODENAME:-unknown}
export SSC_SUITE=$SUITE

mkdir -p "$RESULTS" /run/ssc-test
: >"$SSC_TALLY"
: >"$LOG"

# Everything goes to the console/journal (stdout of the unit) and the log.
say() { printf '%s\n' "$*" | tee -a "$LOG"; }

# shellcheck source=lib.sh
. "$GUEST_DIR/lib.sh"
export SSC_SCENARIO=setup

say "=== ssc VM test run: suite $SUITE, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "systemd: $(systemctl --version | head -1)"
say "kernel: $(uname -r)"
say "boot: $(cut -d' ' -f1 /proc/uptime) s since kernel start"

# ------------------------------------------------------------------ setup
setup_guest() {
    local ok=1
    getent group ssctest >/dev/null || groupadd ssctest || ok=0
    if ! getent passwd alice >/dev/null; then
        useradd --create-home --uid 1000 --user-group --groups ssctest \
            --shell /bin/bash alice || ok=0
    fi
    printf 'alice ALL=(ALL) NOPASSWD: ALL\n' >/etc/sudoers.d/alice &&
        chmod 0440 /etc/sudoers.d/alice || ok=0
    if [[ -f $SHARE/bin/ssc ]]; then
        install -o root -g root -m 4755 "$SHARE/bin/ssc" /usr/local/bin/ssc || ok=0
    else
        echo "no $SHARE/bin/ssc on the share"
        ok=0
    fi
    [[ $ok -eq 1 ]]
}
if out=$(setup_guest 2>&1); then
    pass "guest setup"
else
    fail "guest setup" "$out"
fi | tee -a "$LOG"

# -------------------------------------------------------------- scenarios
shopt -s nullglob
scenarios=("$GUEST_DIR"/scenarios/*.sh)
shopt -u nullglob
mapfile -t scenarios < <(printf '%s\n' "${scenarios[@]}" | LC_ALL=C sort)

# SSC_VM_SCENARIOS: only run scenarios whose name (no .sh) matches one of
# these globs; the smoke test always runs.
wanted() {
    local name=$1 pat pats
    [[ -z ${SSC_VM_SCENARIOS:-} || $name == 00-smoke ]] && return 0
    read -r -a pats <<<"$SSC_VM_SCENARIOS"
    for pat in "${pats[@]}"; do
        # shellcheck disable=SC2053 # glob match on purpose
        [[ $name == $pat ]] && return 0
    done
    return 1
}
[[ -n ${SSC_VM_SCENARIOS:-} ]] && say "scenario filter: $SSC_VM_SCENARIOS"

for scenario in "${scenarios[@]}"; do
    name=$(basename "$scenario" .sh)
    wanted "$name" || continue
    say ""
    say "--- scenario $name"
    start=$SECONDS
    # Each scenario: fresh bash, lib.sh sourced, cwd /, stdin closed.
    SSC_SCENARIO=$name timeout --kill-after=10 "$SCENARIO_TIMEOUT" \
        bash -c '. "$1" && . "$2"; exit 0' scenario "$GUEST_DIR/lib.sh" "$scenario" \
        </dev/null 2>&1 | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        SSC_SCENARIO=$name fail "scenario finished" "timed out after ${SCENARIO_TIMEOUT}s" | tee -a "$LOG"
    elif [[ $rc -ne 0 ]]; then
        SSC_SCENARIO=$name fail "scenario finished" "scenario aborted with exit status $rc" | tee -a "$LOG"
    fi
    say "--- scenario $name done in $((SECONDS - start)) s"
done

# ---------------------------------------------------------------- summary
journalctl -b --no-pager -o short-monotonic >"$RESULTS/journal.txt" 2>&1

passed=$(passed_count)
failed=$(failed_count)
skipped=$(skipped_count)
say ""
if [[ $failed -gt 0 ]]; then
    say "failures:"
    grep '^FAIL ' "$SSC_TALLY" | sed 's/^FAIL /  /' | tee -a "$LOG"
fi
[[ $skipped -gt 0 ]] && say "skipped: $skipped"
say "$passed passed, $failed failed"

# The harness only trusts results that end with this marker.
printf 'suite=%s\npassed=%s\nfailed=%s\nskipped=%s\n' \
    "$SUITE" "$passed" "$failed" "$skipped" >"$RESULTS/.$SUITE.done.tmp"
mv "$RESULTS/.$SUITE.done.tmp" "$RESULTS/$SUITE.done"
sync

# ssc-test.service's ExecStopPost powers off as well; this covers running
# the script from a different unit.  SSC_NO_POWEROFF=1 for manual runs.
if [[ ${SSC_NO_POWEROFF:-0} != 1 ]]; then
    systemctl poweroff --no-block
fi
exit 0
