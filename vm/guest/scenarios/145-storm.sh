# shellcheck shell=bash
# 200 parallel launches by one user: all run and no unit is left behind, both with the
# user logged in (user-1000.slice stays) and without (it comes and goes, and systemd
# refuses some scopes as destructive until it has).
# timeout: 600
# (Each wave took up to 182 s with the host loaded; two waves passed 300 s in a fresh-clone
# run on 2026-12-02 while other builds ran.)

storm() { # LABEL
    rm -f /home/alice/storm.out /home/alice/storm.err
    local start=$SECONDS out
    as_user 'for i in $(seq 200); do
        { ssc -p relaxed -- echo ran 2>>$HOME/storm.err || echo "rc=$?" >>$HOME/storm.err; } >>$HOME/storm.out &
    done; wait'
    echo "    | $1: 200 launches in $((SECONDS - start)) s"
    check_eq "$1: 200 parallel launches all ran" 200 "$(grep -c '^ran$' /home/alice/storm.out 2>/dev/null)"
    out=$(cat /home/alice/storm.err 2>/dev/null)
    check_eq "$1: no failure" "" "$out"
    out=$(grep -v '^ssc: ' /home/alice/storm.err 2>/dev/null | grep -v '^rc=')
    check_eq "$1: every failure has its ssc: line" "" "$out"
    wait_until 30 no_ssc_units
    check_eq "$1: no ssc unit left behind" "" "$(ssc_units)"
}

loginctl enable-linger alice
for _ in $(seq 60); do systemctl -q is-active user@1000.service && break; sleep 0.5; done
check "alice is logged in (linger): her user manager runs" systemctl -q is-active user@1000.service
storm "logged in"

loginctl disable-linger alice
for _ in $(seq 60); do systemctl -q is-active user-1000.slice || break; sleep 0.5; done
check "alice is not logged in: user-1000.slice is gone" sh -c '! systemctl -q is-active user-1000.slice'
storm "not logged in"
