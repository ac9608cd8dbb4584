# shellcheck shell=bash
# --no-tty: returns at once, runs in its own session without a tty, logs to the journal,
# and survives the terminal closing.

rm -f /home/alice/detached.info
start=$(date +%s%N)
rc=$(as_user 'ssc --no-tty -p strict -- sh -c "echo hello-from-detached; echo oops-on-stderr >&2; ps -o sid=,tty= -p \$\$ >\$HOME/detached.info; cut -d: -f3 /proc/self/cgroup >>\$HOME/detached.info; echo \$\$ >>\$HOME/detached.info; sleep 5"; echo $?')
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "detached: ssc returns 0 once the command started" 0 "$rc"
if (( elapsed_ms < 4000 )); then pass "detached: returned after ${elapsed_ms} ms, before the 5 s command ended"
else fail "detached: returns at once" "took ${elapsed_ms} ms"; fi
for _ in $(seq 20); do [[ $(wc -l </home/alice/detached.info 2>/dev/null) -ge 3 ]] && break; sleep 0.5; done
mapfile -t info </home/alice/detached.info
read -r sid tty <<<"${info[0]:-}"
check_eq "detached: the command leads its own session" "${info[2]:-none}" "${sid:-}"
check_eq "detached: no controlling tty" "?" "${tty:-}"
check_contains "detached: in an ssc-strict scope" "/user.slice/user-1000.slice/ssc-strict-" "${info[1]:-}"
unit=${info[1]##*/}
sleep 1
check_contains "detached: stdout is in the journal for the scope" "hello-from-detached" \
    "$(journalctl --no-pager -o cat _SYSTEMD_UNIT="$unit" SYSLOG_IDENTIFIER=sh 2>&1)"
check_eq "detached: stderr is in the journal at priority err" "oops-on-stderr" \
    "$(journalctl --no-pager -o cat _SYSTEMD_UNIT="$unit" SYSLOG_IDENTIFIER=sh PRIORITY=3 2>&1)"

out=$(as_user 'ssc --no-tty -p strict -- no-such-command 2>&1; echo "rc=$?"')
check_contains "detached: missing command is 127" "rc=127" "$out"
check_contains "detached: ...with the message on the caller's stderr" "ssc: no-such-command: command not found" "$out"
out=$(as_user 'ssc --no-tty -p nope -- true 2>&1; echo "rc=$?"')
check_contains "detached: bad profile is 125" "rc=125" "$out"

# Closing the terminal does not kill the app: script(1) exits, its pty goes away.
as_user "script -qec 'ssc --no-tty -p relaxed -- sleep 61' /dev/null" >/dev/null
sleep 2
check "detached: the app outlives its terminal" pgrep -u alice -x -f 'sleep 61'
pkill -u alice -x -f 'sleep 61' || true
