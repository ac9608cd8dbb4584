# shellcheck shell=bash
# Sourced by the package checks (packaging/check-deb.sh, packaging/check-rpm.sh): TAP
# output, as bubblewrap's tests/test-run.sh prints it, then the plan and one summary line
# that CI reads.
#
#   ok NAME / not_ok NAME [DETAIL] / check_eq NAME EXPECTED ACTUAL / tap_done

_tap_n=0
_tap_failed=0

ok() {
    _tap_n=$((_tap_n + 1))
    printf 'ok %d - %s\n' "$_tap_n" "$1"
}

not_ok() {
    _tap_n=$((_tap_n + 1))
    _tap_failed=$((_tap_failed + 1))
    printf 'not ok %d - %s\n' "$_tap_n" "$1"
    if [[ -n ${2:-} ]]; then
        printf '%s\n' "$2" | sed 's/^/# /'
    fi
}

check_eq() {
    if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1" "expected '$2', got '$3'"; fi
}

# The plan, the summary, and the verdict as the exit status.
tap_done() {
    printf '1..%d\n' "$_tap_n"
    printf '%d passed, %d failed\n' $((_tap_n - _tap_failed)) "$_tap_failed"
    [[ $_tap_failed -eq 0 ]]
}
