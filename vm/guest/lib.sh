# shellcheck shell=bash
# Assertion library for the ssc VM scenarios (sourced; runs as root in the
# guest).  Every scenario runs in its own bash process with this file
# sourced first; results are appended to a shared tally file so that a
# scenario that dies half-way still keeps the results it recorded.
#
#   pass NAME                    record a pass
#   fail NAME DETAIL             record a failure
#   skip NAME REASON             record a skip (not a failure)
#   check NAME CMD...            pass if CMD exits 0 (its output is shown on failure)
#   check_fails NAME CMD...      pass if CMD exits non-zero
#   check_eq NAME EXPECTED ACTUAL
#   check_contains NAME NEEDLE HAYSTACK
#   as_user 'SHELL CMD' [ARGS...]  run a sh command string as alice (uid 1000)
#                                with a clean login-like environment;
#                                ARGS become $1.. of the command string
#   passed_count / failed_count / skipped_count
#
# check/check_fails/check_eq/check_contains return 0 on pass and 1 on
# failure, so `check ... || return` style early exits work.  pass/fail/skip
# always return 0.  A scenario must not `exit` non-zero: that (or a timeout)
# is recorded as an extra failure of the scenario itself.

SSC_TALLY=${SSC_TALLY:-/run/ssc-test/tally}
SSC_TEST_USER=${SSC_TEST_USER:-alice}
SSC_SCENARIO=${SSC_SCENARIO:-adhoc}
mkdir -p "$(dirname "$SSC_TALLY")"

_ssc_record() { # STATUS NAME
    printf '%s %s: %s\n' "$1" "$SSC_SCENARIO" "$2" >>"$SSC_TALLY"
}

# TAP lines, as tools/check.sh prints them on the host, numbered across the whole run
# (the tally file outlives each scenario's process).
_ssc_n() { wc -l <"$SSC_TALLY" 2>/dev/null | tr -d ' '; }

pass() {
    _ssc_record PASS "$1"
    printf 'ok %s - %s\n' "$(_ssc_n)" "$1"
    return 0
}

fail() {
    _ssc_record FAIL "$1"
    printf 'not ok %s - %s\n' "$(_ssc_n)" "$1"
    if [[ -n ${2:-} ]]; then
        printf '%s\n' "$2" | sed 's/^/# | /'
    fi
    return 0
}

skip() {
    _ssc_record SKIP "$1"
    printf 'ok %s - %s # SKIP %s\n' "$(_ssc_n)" "$1" "${2:-no reason given}"
    return 0
}

# Last ~30 lines of a command's output, for failure details.
_ssc_tail() { printf '%s\n' "$1" | tail -n 30; }

check() {
    local name=$1 out rc
    shift
    out=$("$@" 2>&1) && rc=0 || rc=$?
    if [[ $rc -eq 0 ]]; then
        pass "$name"
    else
        fail "$name" "command: $*"$'\n'"exit status: $rc"$'\n'"$(_ssc_tail "$out")"
        return 1
    fi
}

check_fails() {
    local name=$1 out rc
    shift
    out=$("$@" 2>&1) && rc=0 || rc=$?
    if [[ $rc -ne 0 ]]; then
        pass "$name"
    else
        fail "$name" "command unexpectedly succeeded: $*"$'\n'"$(_ssc_tail "$out")"
        return 1
    fi
}

check_eq() {
    local name=$1 expected=$2 actual=$3
    if [[ $expected == "$actual" ]]; then
        pass "$name"
    else
        fail "$name" "expected: '$expected'"$'\n'"actual:   '$actual'"
        return 1
    fi
}

check_contains() {
    local name=$1 needle=$2 haystack=$3
    if [[ $haystack == *"$needle"* ]]; then
        pass "$name"
    else
        fail "$name" "expected to contain: '$needle'"$'\n'"actual: '$(_ssc_tail "$haystack")'"
        return 1
    fi
}

# wait_until SECONDS COMMAND [ARGS...]: retry COMMAND every 0.2 s until it succeeds or
# SECONDS have passed. systemd's pace depends on the machine; a fixed sleep does not.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# ssc_units: the ssc scopes systemd has loaded, running or not; no_ssc_units: there are none.
ssc_units() { systemctl list-units --all --plain --no-legend 'ssc-*.scope' 2>&1; }
no_ssc_units() { [[ -z $(ssc_units) ]]; }

# as_user 'CMD STRING' [ARGS...]: run CMD STRING with sh as the test user,
# with fds 3-9 closed (once, on trixie, 3-5 were seen open before any ssc had run),
# from its home directory, with only a login-like environment.  runuser (not
# su) so no password is involved.  Exit status is that of the command.
as_user() {
    local cmd=$1
    shift
    runuser -u "$SSC_TEST_USER" -- env -i \
        HOME="/home/$SSC_TEST_USER" USER="$SSC_TEST_USER" LOGNAME="$SSC_TEST_USER" \
        PATH=/usr/local/bin:/usr/bin:/bin SHELL=/bin/bash LANG=C.UTF-8 \
        sh -c "exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; cd \"\$HOME\" || exit 125; $cmd" sh "$@"
}

_ssc_count() { grep -c "^$1 " "$SSC_TALLY" 2>/dev/null || true; }
passed_count() { _ssc_count PASS; }
failed_count() { _ssc_count FAIL; }
skipped_count() { _ssc_count SKIP; }
