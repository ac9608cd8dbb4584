#!/bin/bash
# Guest-side test runner.  Started by ssc-test.service (as root, after
# multi-user.target) from the 9p share; see vm/README.md.
#
#  1. prepares the guest (user alice + group ssctest, sudoers) and installs
#     the ssc package from the share with dpkg -i (ssc at /usr/bin/ssc)
#  2. runs vm/guest/scenarios/*.sh in sorted order, each in its own bash
#     process with lib.sh sourced and a timeout
#  3. removes the package with dpkg -r and checks that nothing of it, and no
#     set-user-ID ssc file, is left
#  4. writes "N passed, M failed" to results/log, then results/SUITE.done
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
    [[ $ok -eq 1 ]]
}
if out=$(setup_guest 2>&1); then
    pass "guest setup"
else
    fail "guest setup" "$out"
fi | tee -a "$LOG"

# The package under test, exactly as a user would install it.
install_package() {
    local debs
    shopt -s nullglob
    debs=("$SHARE"/pkg/*.deb)
    shopt -u nullglob
    if [[ ${#debs[@]} -ne 1 ]]; then
        echo "expected one .deb in $SHARE/pkg, found ${#debs[@]}"
        return 1
    fi
    echo "installing ${debs[0]##*/}"
    DEBIAN_FRONTEND=noninteractive dpkg -i "${debs[0]}" &&
        [[ $(dpkg-query -W -f '${Status}' ssc) == "install ok installed" ]]
}
if out=$(install_package 2>&1); then
    pass "dpkg -i installs the ssc package"
else
    fail "dpkg -i installs the ssc package" "$out"
fi | tee -a "$LOG"
# What the package installed, for the removal check at the end.
dpkg-query -L ssc 2>/dev/null >/run/ssc-test/package-files || true
say "package: $(dpkg-query -W -f '${Package} ${Version} ${Architecture}' ssc 2>&1)"

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
    # A scenario may ask for more than the default in a line "# timeout: SECONDS".
    limit=$(sed -n 's/^# timeout: \([0-9][0-9]*\)$/\1/p' "$scenario" | head -n 1)
    ((${limit:-0} > SCENARIO_TIMEOUT)) || limit=$SCENARIO_TIMEOUT
    # Each scenario: fresh bash, lib.sh sourced, cwd /, stdin closed.
    SSC_SCENARIO=$name timeout --kill-after=10 "$limit" \
        bash -c '. "$1" && . "$2"; exit 0' scenario "$GUEST_DIR/lib.sh" "$scenario" \
        </dev/null 2>&1 | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        SSC_SCENARIO=$name fail "scenario finished" "timed out after ${limit}s" | tee -a "$LOG"
    elif [[ $rc -ne 0 ]]; then
        SSC_SCENARIO=$name fail "scenario finished" "scenario aborted with exit status $rc" | tee -a "$LOG"
    fi
    say "--- scenario $name done in $((SECONDS - start)) s"
done

# ----------------------------------------------------------- package removal
# Last, after every scenario (900-bus-stopped restarts dbus; 990-bench needs
# ssc): dpkg -r must take everything with it, above all the setuid binary.
export SSC_SCENARIO=package-removal
say ""
say "--- dpkg -r ssc"
{
    if out=$(DEBIAN_FRONTEND=noninteractive dpkg -r ssc 2>&1); then
        pass "dpkg -r ssc"
    else
        fail "dpkg -r ssc" "$out"
    fi
    check_eq "ssc is no longer installed" "" \
        "$(dpkg-query -W -f '${db:Status-Status}' ssc 2>/dev/null | grep -x installed)"
    check "/usr/bin/ssc is gone" test ! -e /usr/bin/ssc
    check "/usr/bin/ssc-desktop is gone" test ! -e /usr/bin/ssc-desktop
    check_eq "no setuid ssc file left anywhere" "" \
        "$(find / -xdev -perm -4000 -name 'ssc*' 2>&1)"
    left=$(while IFS= read -r f; do
        [[ -e $f && ! -d $f ]] && printf '%s\n' "$f"
    done </run/ssc-test/package-files)
    check_eq "no file of the package is left" "" "$left"
    check "the package had installed files" test -s /run/ssc-test/package-files
} 2>&1 | tee -a "$LOG"

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
