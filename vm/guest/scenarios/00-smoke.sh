# shellcheck shell=bash
# Smoke test of the VM test bed itself (not of ssc's behaviour).

check_eq "systemd is PID 1" systemd "$(cat /proc/1/comm)"

case "$SSC_SUITE" in
    bookworm) want=252 ;;
    trixie) want=257 ;;
    *) want=unknown ;;
esac
have=$(systemctl --version | awk 'NR == 1 { print $2 }')
check_eq "systemd version matches $SSC_SUITE" "$want" "$have"

check "system bus socket exists" test -S /run/dbus/system_bus_socket
check "system bus answers" busctl --system --no-pager status org.freedesktop.DBus
check "test share is 9p" sh -c 'findmnt -n -o FSTYPE /mnt/share | grep -qx 9p'

check_eq "ssc is setuid root" 4755root "$(stat -c %a%U /usr/bin/ssc 2>&1)"
check_eq "image kept setuid bits (sudo)" 4755root "$(stat -c %a%U /usr/bin/sudo 2>&1)"
check "root fs allows setuid" sh -c '! findmnt -n -o OPTIONS / | tr , "\n" | grep -qx nosuid'

check_eq "alice has uid 1000" 1000 "$(id -u alice 2>&1)"
check_contains "alice is in group ssctest" " ssctest" " $(id -nG alice 2>&1)"
check_eq "as_user runs as alice" "alice:/home/alice" "$(as_user 'printf "%s:%s" "$(id -un)" "$PWD"')"
check_eq "as_user passes arguments" "a b|c" "$(as_user 'printf "%s|%s" "$1" "$2"' 'a b' c)"
# Listed by a child (ls): a glob over /proc/$$/fd in the shell itself would
# also show the directory fd the shell opened to expand it.
check_eq "as_user leaks no fds beyond 0 1 2" "0 1 2" \
    "$(as_user 'ls /proc/$$/fd | sort -n | xargs')"
check "alice has passwordless sudo" as_user 'sudo -n true'
check "hyperfine is installed" hyperfine --version
check "python3 runs (with socket)" python3 -c 'import socket, os'
check "script(1) gives a pty" sh -c "script -qec tty /dev/null | grep -q '^/dev/pts/'"
