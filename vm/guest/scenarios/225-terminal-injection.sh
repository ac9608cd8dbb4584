# shellcheck shell=bash
# Terminal injection (TIOCSTI, CVE-2019-10063) and job control, in an interactive bash
# under a real pty (script(1), from bsdutils): under strict, a command cannot push input
# into the shell that started it, with or without bit 32 set in the request; under
# relaxed it can, where the kernel lets it (dev.tty.legacy_tiocsti, Linux 6.2). ^Z, fg
# and ^C still reach a command that ssc runs under strict.
# python3-minimal has fcntl but no termios: TIOCSTI is spelled 0x5412; the request with
# bit 32 set comes from kernel-probe --sti --high (no ctypes either).

PROBE=/usr/local/lib/ssc-kernel-probe
install -m 0755 "$SSC_SHARE/bin/kernel-probe" $PROBE
H=/home/alice

# interactive FEEDER [ARGS...]: FEEDER's output (a sh command, ARGS its $1...) is typed into an interactive bash that script(1)
# runs as alice; prints what the terminal showed, \r removed. Feeders sleep between
# lines, so that the terminal's input queue holds only what has been typed so far.
interactive() {
    as_user "$1 | timeout 90 script -qec 'bash --norc --noprofile -i' /dev/null" "${@:2}" 2>&1 | tr -d '\r'
}

legacy=$(sysctl -n dev.tty.legacy_tiocsti 2>/dev/null)
echo "# kernel $(uname -r): dev.tty.legacy_tiocsti=${legacy:-(none: TIOCSTI always allowed)}"

# The injected line runs in the outer shell, outside ssc (strict's /tmp is private):
# a file in alice's home says whether it ran.
inject_py() { # MARKER
    printf '%s' "python3 -c 'import fcntl; [fcntl.ioctl(0, 0x5412, bytes([c])) for c in b\"touch $H/$1\\n\"]'"
}
inject_probe() { # MARKER
    printf '%s' "$PROBE --sti --high \$'touch $H/$1\\n'"
}
for p in strict relaxed; do
    for form in py probe; do
        marker=INJECTED-$p-$form
        rm -f "$H/$marker"
        cmd="ssc -p $p -- $(inject_$form "$marker")"
        out=$(interactive "{ printf '%s\n' \"\$1\"; sleep 4; echo 'echo alive-\$((40 + 2))'; sleep 1; echo exit; }" "$cmd")
        printf '%s\n' "$out" >"$SSC_RESULTS/225-$marker.txt"
        what="$p ($([[ $form == py ]] && echo TIOCSTI || echo 'TIOCSTI|1<<32'))"
        check_contains "$what: the shell goes on" alive-42 "$out"
        if [[ $p == strict ]]; then
            check "$what: nothing was injected" test ! -e "$H/$marker"
            if [[ $form == py ]]; then
                check_contains "$what: the command is told EPERM" "[Errno 1] Operation not permitted" "$out"
            else
                check_contains "$what: the command is told EPERM" "tiocsti EPERM" "$out"
            fi
        elif [[ $legacy == 0 ]]; then
            check "$what: the kernel refuses TIOCSTI (legacy_tiocsti=0): nothing injected" test ! -e "$H/$marker"
            if [[ $form == py ]]; then
                check_contains "$what: the command is told EIO" "[Errno 5] Input/output error" "$out"
            else
                check_contains "$what: the command is told EIO" "tiocsti EIO" "$out"
            fi
        else
            check "$what: the injected line ran in the shell" test -e "$H/$marker"
        fi
        rm -f "$H/$marker"
    done
done

# Job control: the feeder waits for the sleep to run (ssc exec'ed it), then types ^Z,
# jobs, fg, ^C. Without the signals, the sleep would take 30 s.
# shellcheck disable=SC2016 # for the feeder's shell
wait_sleep='for i in $(seq 100); do pgrep -u alice -xf "sleep 30" >/dev/null && break; sleep 0.2; done'
started=$SECONDS
out=$(interactive "{ echo 'ssc -p strict -- sleep 30'; $wait_sleep; sleep 1; printf '\\032'; sleep 2
    echo jobs; sleep 1; echo fg; sleep 2; printf '\\003'; sleep 2
    echo 'echo alive-\$((40 + 2))'; sleep 1; echo exit; }")
took=$((SECONDS - started))
printf '%s\n' "$out" >"$SSC_RESULTS/225-job-control.txt"
after() { grep -A1 -E "\\\$ $1\$" <<<"$out" | sed -n 2p; } # the line after the prompt and COMMAND
check "strict: ^Z stops the command" grep -Eq '^\[1\]\+ +Stopped +ssc -p strict -- sleep 30$' <<<"$out"
check_contains "strict: jobs lists it, stopped" Stopped "$(after jobs)"
check_eq "strict: fg brings it back" "ssc -p strict -- sleep 30" "$(after fg)"
check_contains "strict: ^C after fg ends it, the shell goes on" alive-42 "$out"
if ((took < 28)); then pass "strict: ^Z, fg, ^C took ${took} s, not the sleep's 30"; else fail "strict: ^Z, fg, ^C end the command promptly" "took ${took} s"; fi
check "no sleep is left" sh -c '! pgrep -u alice -xf "sleep 30"'

started=$SECONDS
out=$(interactive "{ echo 'ssc -p strict -- sleep 30'; $wait_sleep; sleep 1; printf '\\003'; sleep 2
    echo 'echo alive-\$((40 + 2))'; sleep 1; echo exit; }")
took=$((SECONDS - started))
printf '%s\n' "$out" >"$SSC_RESULTS/225-interrupt.txt"
check_contains "strict: ^C ends a foreground command, the shell goes on" alive-42 "$out"
if ((took < 28)); then pass "strict: ^C took ${took} s, not the sleep's 30"; else fail "strict: ^C ends the command promptly" "took ${took} s"; fi
check "no sleep is left" sh -c '! pgrep -u alice -xf "sleep 30"'
rm -f $PROBE
