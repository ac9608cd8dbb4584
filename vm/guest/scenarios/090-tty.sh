# shellcheck shell=bash
# Attached mode: ssc becomes the command. The tty, the foreground process group, job
# control, the exit status and signal deaths are the command's own.

P=/usr/local/libexec/ssc-test
mkdir -p $P
cat >$P/tty-probe <<'PROBE'
#!/bin/sh
tty
ps -o pgid= -o tpgid= -p $$
PROBE
cat >$P/job-control <<'PROBE'
sleep 30 &
jobs
kill %1
wait
echo "done-$((40 + 2))"
exit
PROBE
printf 'echo "zero=$0"; exit\n' >$P/login-shell
chmod 755 $P/tty-probe; chmod 644 $P/job-control $P/login-shell

# script(1) gives the command a real pseudo-terminal, as a terminal emulator would.
for p in relaxed strict; do
    out=$(as_user "script -qec 'ssc -p $p -- $P/tty-probe' /dev/null" | tr -d '\r')
    check "$p: the command has the terminal" sh -c "printf '%s\n' '$out' | head -1 | grep -q '^/dev/pts/'"
    read -r pgid tpgid < <(printf '%s\n' "$out" | sed -n 2p)
    if [[ -n ${pgid:-} && $pgid == "${tpgid:-}" ]]; then
        pass "$p: the command is the terminal's foreground process group ($pgid)"
    else
        fail "$p: the command is the terminal's foreground process group" "$out"
    fi
done

# No ssc process remains: the command's parent is whoever ran ssc.
mapfile -t l < <(as_user 'echo "$$"; ssc -p strict -- sh -c "echo \$PPID; cat /proc/\$\$/comm"; true')
check_eq "no ssc process stays between the caller and the command" "${l[0]:-}" "${l[1]:-}"
check_eq "the command replaced ssc in the same process" sh "${l[2]:-}"

check_eq "exit status is passed on" 42 "$(as_user 'ssc -p strict -- sh -c "exit 42"; echo $?')"
check_eq "death by SIGTERM is passed on (143)" 143 "$(as_user 'ssc -p relaxed -- sh -c "kill -TERM \$\$"; echo $?')"
check_eq "death by SIGKILL is passed on (137)" 137 "$(as_user 'ssc -p strict -- sh -c "kill -KILL \$\$"; echo $?')"
check_eq "SIGPIPE is back to default in the command (141)" 141 \
    "$(as_user 'bash -c "ssc -p strict -- yes | head -c1 >/dev/null; echo \${PIPESTATUS[0]}"')"

# With no command: the caller's login shell from the password database, as a login
# shell because stdin is a terminal; $SHELL is not consulted.
out=$(as_user "script -qec 'SHELL=/bin/false ssc -p relaxed' /dev/null <$P/login-shell" | tr -d '\r')
check_contains "no command: the login shell from passwd, as a login shell" "zero=-bash" "$out"

# Job control in an interactive shell started by ssc.
out=$(as_user "script -qec 'ssc -p relaxed -- bash -i' /dev/null <$P/job-control" | tr -d '\r')
check_contains "job control: jobs lists the running background job" "Running" "$out"
check_contains "job control: kill %1 and wait work" "done-42" "$out"
