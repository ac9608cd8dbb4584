# shellcheck shell=bash
# The root connection to systemd: the caller cannot stop ssc while it holds it, cannot
# make it hang through her rlimits or a tiny TasksMax, and can hold at most 16 of them.

D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D

# NPROC: ssc starts no thread, so a limit the caller chose cannot make it spin.
out=$(as_user 'timeout 120 prlimit --nproc=1 ssc -p relaxed -- echo ran 2>&1; echo "rc=$?"')
if [[ $out != *rc=124* ]]; then pass "prlimit --nproc=1: ssc does not hang"
else fail "prlimit --nproc=1: ssc does not hang" "$out"; fi
if grep -qx ran <<<"$out" || grep -q '^ssc: ' <<<"$out"; then
    pass "prlimit --nproc=1: the command runs or ssc says why ($(tr '\n' ' ' <<<"$out"))"
else
    fail "prlimit --nproc=1: the command runs or ssc says why" "$out"
fi
printf '[Profile]\nTasksMax=4\n' >$D/tasks4.conf && chmod 644 $D/tasks4.conf
out=$(as_user 'timeout 120 ssc -p tasks4 -- sh -c "echo ran; cat /sys/fs/cgroup\$(cut -d: -f3 /proc/self/cgroup)/pids.max" 2>&1; echo "rc=$?"')
check_eq "TasksMax=4: the command runs in its scope" $'ran\n4\nrc=0' "$out"
out=$(as_user 'timeout 120 ssc --no-tty -p tasks4 -- true 2>&1; echo "rc=$?"')
check_eq "TasksMax=4, detached: started" "rc=0" "$out"
rm -f $D/tasks4.conf

# SIGSTOP at random moments. ssc's real uid is root's from its first steps, so the caller
# cannot stop it; root watches for an ssc that is stopped while it holds a socket.
rm -f /run/ssc-test/held /run/ssc-test/launches
as_user 'for i in $(seq 40); do ssc -p relaxed -- true && echo ok; done' >/run/ssc-test/launches 2>&1 &
launcher=$!
as_user 'while :; do for p in $(pgrep -x ssc); do
    kill -STOP "$p" 2>/dev/null && { echo "stopped $p"; kill -CONT "$p"; }; done; done' >/run/ssc-test/stopper 2>&1 &
stopper=$!
samples=0
while kill -0 $launcher 2>/dev/null; do
    for p in $(pgrep -x ssc); do
        state=$(awk '/^State:/ {print $2}' /proc/"$p"/status 2>/dev/null)
        if [[ $state == T ]] && find /proc/"$p"/fd -lname 'socket:*' 2>/dev/null | grep -q .; then
            echo "$p" >>/run/ssc-test/held
        fi
        samples=$((samples + 1))
    done
    sleep 0.01
done
kill $stopper 2>/dev/null; pkill -u alice -f 'pgrep -x ssc' 2>/dev/null; wait $stopper 2>/dev/null
check_eq "SIGSTOP loop: all 40 launches finished" 40 "$(grep -c '^ok$' /run/ssc-test/launches)"
check_eq "SIGSTOP loop: no ssc was stopped while it held a socket ($samples samples)" "" \
    "$(cat /run/ssc-test/held 2>/dev/null)"
echo "    | stops that landed before ssc took real uid 0: $(grep -c '^stopped' /run/ssc-test/stopper)"

# Slots: with all 16 of alice's taken (root holds them here for 10 s, as 16 frozen launches
# would), her next launch waits for one; bob's launches are not affected. The bounds are
# far from the launch times (0.3-2 s under TCG, on a host busy with other work).
getent passwd bob >/dev/null || useradd --create-home --uid 1001 --user-group bob
as_user 'ssc -p relaxed -- true'
check_eq "/run/ssc is root's, mode 700" "700 root" "$(stat -c '%a %U' /run/ssc 2>&1)"
for i in $(seq 0 15); do flock "/run/ssc/1000.$i" sleep 10 & done
sleep 0.5
start=$(date +%s%N)
SSC_TEST_USER=bob as_user 'ssc -p relaxed -- true'
bob_ms=$(( ($(date +%s%N) - start) / 1000000 ))
if (( bob_ms < 5000 )); then pass "bob's launch is not held up by alice's slots (${bob_ms} ms)"
else fail "bob's launch is not held up by alice's slots" "took ${bob_ms} ms"; fi
out=$(as_user 'ssc -p relaxed -- echo ran 2>&1')
alice_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "alice's launch ran once a slot was free" ran "$out"
if (( alice_ms >= 8000 )); then pass "alice's launch waited for a slot (${alice_ms} ms)"
else fail "alice's launch waited for a slot" "took ${alice_ms} ms"; fi
wait

# Waiting for a slot holds nothing of root's, so it is outside the window in which the
# terminal's ^C is held back: SIGINT (which a terminal sends without any permission check)
# ends the wait at once, and the command does not run.
holders=()
for i in $(seq 0 15); do flock "/run/ssc/1000.$i" sleep 20 & holders+=($!); done
sleep 0.5
rm -f /home/alice/ran
as_user 'ssc -p relaxed -- touch $HOME/ran' &
waiter=$!
in_flock() { [[ $(cut -d' ' -f1 "/proc/$(pgrep -n -x ssc)/syscall" 2>/dev/null) == 73 ]]; }
if check "alice's launch is blocked in flock(2), waiting for a slot" wait_until 10 in_flock; then
    pid=$(pgrep -n -x ssc)
    start=$(date +%s%N)
    kill -INT "$pid"
    wait $waiter
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    check_eq "^C ends a launch waiting for a slot (exit 130)" 130 "$rc"
    if (( ms < 5000 )); then pass "...at once (${ms} ms), not when a slot frees up"
    else fail "...at once, not when a slot frees up" "took ${ms} ms"; fi
    check "...and the command did not run" test ! -e /home/alice/ran
fi
for p in "${holders[@]}"; do pkill -P "$p"; done
wait

# The caller's signal mask survives exec, even into a set-user-ID program. A blocked
# SIGALRM would keep the alarm from ending the wait for a slot (300 s, too long to wait
# for here): so ssc waits with nothing blocked, its SIGALRM handler installed, and a SIGALRM
# reaches it; and the command gets the caller's mask back, attached and detached.
cat >/run/ssc-130-block <<'EOF'
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGUSR1})
os.execvp(sys.argv[1], sys.argv[1:])
EOF
chmod 644 /run/ssc-130-block
# No sh between the mask and what reads it: dash clears the mask at start.
caller_mask=$(as_user 'python3 /run/ssc-130-block grep SigBlk /proc/self/status')
sigblk() { awk '$1 == "SigBlk:" {print $2}' <<<"$1"; }
if (( (0x$(sigblk "$caller_mask") & 0x2200) == 0x2200 )); then
    pass "the caller's mask blocks SIGALRM and SIGUSR1 ($caller_mask)"
else fail "the caller's mask blocks SIGALRM and SIGUSR1" "$caller_mask"; fi
holders=()
for i in $(seq 0 15); do flock "/run/ssc/1000.$i" sleep 30 & holders+=($!); done
sleep 0.5
as_user 'python3 /run/ssc-130-block ssc -p relaxed -- grep SigBlk /proc/self/status' \
    >/run/ssc-test/mask-attached 2>&1 &
waiter=$!
status_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
if check "SIGALRM blocked: alice's launch is waiting for a slot in flock(2)" wait_until 10 in_flock; then
    pid=$(pgrep -n -x ssc)
    check_eq "...with no signal blocked" 0000000000000000 "$(status_of "$pid" SigBlk)"
    if (( 0x$(status_of "$pid" SigCgt) & 0x2000 )); then pass "...and its SIGALRM handler installed"
    else fail "...and its SIGALRM handler installed" "SigCgt $(status_of "$pid" SigCgt)"; fi
    kill -ALRM "$pid"
    sleep 1
    pending=$(( 0x$(status_of "$pid" ShdPnd) | 0x$(status_of "$pid" SigPnd) ))
    check_eq "...a SIGALRM is delivered, not left pending" 0 "$(( pending & 0x2000 ))"
    check "...and the wait goes on until the deadline" in_flock
fi
for p in "${holders[@]}"; do pkill -P "$p"; done
wait $waiter
check_eq "SIGALRM blocked: the command gets the caller's mask back" "$caller_mask" \
    "$(cat /run/ssc-test/mask-attached)"
wait
rm -f /home/alice/mask-detached
out=$(as_user 'python3 /run/ssc-130-block ssc --no-tty -p relaxed -- cp /proc/self/status $HOME/mask-detached; echo rc=$?')
check_eq "SIGALRM blocked, detached: started" "rc=0" "$out"
wait_until 10 test -s /home/alice/mask-detached
check_eq "SIGALRM blocked, detached: the command gets the caller's mask back" "$caller_mask" \
    "$(grep SigBlk /home/alice/mask-detached 2>&1)"
userdel -r bob 2>/dev/null || true
