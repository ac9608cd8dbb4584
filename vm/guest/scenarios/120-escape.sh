# shellcheck shell=bash
# The user can neither raise a limit nor leave the scope, nor point ssc at another bus.

try='cg=$(cut -d: -f3 /proc/self/cgroup); unit=${cg##*/}
systemctl set-property --runtime --no-ask-password "$unit" MemoryMax=infinity >/dev/null 2>&1 && echo raised-via-systemd
echo max 2>/dev/null >/sys/fs/cgroup$cg/memory.max && echo raised-via-cgroupfs
echo $$ 2>/dev/null >/sys/fs/cgroup/user.slice/user-1000.slice/cgroup.procs && echo left-to-user-slice
echo $$ 2>/dev/null >/sys/fs/cgroup/cgroup.procs && echo left-to-root
echo +memory 2>/dev/null >/sys/fs/cgroup$cg/cgroup.subtree_control && echo delegated
echo "still=$(cut -d: -f3 /proc/self/cgroup)"
echo "mem=$(cat /sys/fs/cgroup$cg/memory.max)"'
for p in strict relaxed; do
    out=$(as_user "ssc -p $p -- sh -c '$try'")
    check "$p: systemctl set-property MemoryMax=infinity is refused" sh -c "! printf '%s' '$out' | grep -q raised-via-systemd"
    check "$p: memory.max cannot be written" sh -c "! printf '%s' '$out' | grep -q raised-via-cgroupfs"
    check "$p: cannot move into user-1000.slice" sh -c "! printf '%s' '$out' | grep -q left-to-user-slice"
    check "$p: cannot move to the root cgroup" sh -c "! printf '%s' '$out' | grep -q left-to-root"
    check "$p: cannot delegate controllers" sh -c "! printf '%s' '$out' | grep -q delegated"
    check_contains "$p: still in its scope afterwards" "still=/user.slice/user-1000.slice/ssc-$p-" "$out"
    check "$p: limit unchanged" sh -c "printf '%s' '$out' | grep -Eq '^mem=[0-9]+$'"
done

# DBUS_SYSTEM_BUS_ADDRESS is the caller's and is ignored, unixexec: included.
rm -f /tmp/pwned
out=$(as_user 'DBUS_SYSTEM_BUS_ADDRESS="unixexec:path=/bin/sh,argv1=-c,argv2=touch%20/tmp/pwned" ssc -p relaxed -- echo ran 2>&1')
check_eq "DBUS_SYSTEM_BUS_ADDRESS is ignored" ran "$out"
check "nothing ran from a unixexec: address" test ! -e /tmp/pwned
out=$(as_user 'DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent ssc -p relaxed -- echo ran 2>&1')
check_eq "a bogus DBUS_SYSTEM_BUS_ADDRESS changes nothing" ran "$out"

# argv[0] must be non-empty; a copy without the setuid bit says how to install it.
out=$(as_user 'perl -e '\''exec {"/usr/bin/ssc"} ("", "--", "true")'\'' 2>&1; echo "rc=$?"')
check_contains "empty argv[0] is refused with 125" "rc=125" "$out"
check_contains "...saying why" "empty argv[0]" "$out"
out=$(as_user 'cp /usr/bin/ssc $HOME/ssc-copy; $HOME/ssc-copy -p relaxed -- touch $HOME/ran-copy 2>&1; echo "rc=$?"')
check_contains "not setuid: 125" "rc=125" "$out"
check_contains "not setuid: says how to install" "is not installed setuid root; install it with: sudo chown root:root /home/alice/ssc-copy && sudo chmod 4755 /home/alice/ssc-copy" "$out"
check "not setuid: the command did not run" test ! -e /home/alice/ran-copy
check_eq "not setuid: --dry-run still works" 0 "$(as_user '$HOME/ssc-copy --dry-run -- true >/dev/null; echo $?')"
