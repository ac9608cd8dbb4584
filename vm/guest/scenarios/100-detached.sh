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

# journald stalls (here: stopped): the command's writes wait for it, as under systemd-cat,
# instead of failing with EAGAIN once ssc's own 10 s connect timeout has passed. The probe
# reports its stdout and stderr, waits until journald is stopped, then writes 1 MiB, far
# more than the socket buffer holds.
cat >/run/ssc-100-stall <<'EOF'
import os, socket, struct, sys, time
def report(line):
    with open(sys.argv[1], "a") as f:
        f.write(line + "\n")
for fd in (1, 2):
    s = socket.socket(fileno=os.dup(fd))
    sec, usec = struct.unpack("ll", s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, 16))
    s.close()
    report(f"fd{fd} sndtimeo={sec}.{usec:06d} blocking={os.get_blocking(fd)}")
report("ready")
for _ in range(600):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
report("writing")
start = time.monotonic()
line = b"x" * 1023 + b"\n"
try:
    for _ in range(1024):
        view = memoryview(line)
        while view:
            view = view[os.write(1, view):]
except OSError as e:
    report(f"error {os.strerror(e.errno)} after {time.monotonic() - start:.0f} s")
else:
    report(f"done after {time.monotonic() - start:.0f} s")
EOF
chmod 644 /run/ssc-100-stall
rm -f /home/alice/stall.out /home/alice/stall.go
out=$(as_user 'ssc --no-tty -p strict -- python3 /run/ssc-100-stall $HOME/stall.out $HOME/stall.go 2>&1; echo "rc=$?"')
check_eq "journald stalled: the launch started" "rc=0" "$out"
ready() { grep -qx ready /home/alice/stall.out 2>/dev/null; }
writing() { grep -qx writing /home/alice/stall.out 2>/dev/null; }
ended() { grep -q -e '^done' -e '^error' /home/alice/stall.out 2>/dev/null; }
journald=$(systemctl show -p MainPID --value systemd-journald)
check "journald's pid is known ($journald)" test "$journald" -gt 1 &&
if check "journald stalled: the probe runs" wait_until 30 ready; then
    check_contains "the command's stdout has no send timeout and blocks" \
        "fd1 sndtimeo=0.000000 blocking=True" "$(cat /home/alice/stall.out)"
    check_contains "the command's stderr has no send timeout and blocks" \
        "fd2 sndtimeo=0.000000 blocking=True" "$(cat /home/alice/stall.out)"
    kill -STOP "$journald"
    touch /home/alice/stall.go
    if check "journald stopped: the command writes" wait_until 10 writing; then
        sleep 15
        if ended; then fail "journald stopped: 15 s on, past ssc's 10 s, the write still waits" \
            "$(cat /home/alice/stall.out)"
        else pass "journald stopped: 15 s on, past ssc's 10 s, the write still waits"; fi
    fi
    kill -CONT "$journald"
    wait_until 60 ended
    stall=$(grep -e '^done' -e '^error' /home/alice/stall.out)
    if [[ $stall =~ ^done\ after\ ([0-9]+)\ s$ ]] && ((BASH_REMATCH[1] >= 15)); then
        pass "journald resumed: the write succeeded ($stall)"
    else
        fail "journald resumed: the write succeeded, after at least 15 s" "$(cat /home/alice/stall.out)"
    fi
fi
if ((journald > 1)); then kill -CONT "$journald"; fi
