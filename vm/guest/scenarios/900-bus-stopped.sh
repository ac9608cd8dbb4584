# shellcheck shell=bash
# systemd's private socket needs no dbus-daemon: with the bus stopped a launch still works
# and is confined. With the private socket refusing as well, nothing runs and ssc exits 125.
# Runs last: it stops dbus.

# A cgroup of alice's own, in her user manager's subtree: from there she could freeze ssc.
loginctl enable-linger alice
wait_until 60 systemctl -q is-active user@1000.service
own=/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/own
as_user 'mkdir "$1"' "$own"

systemctl stop dbus.socket dbus.service
check "the system bus is down" sh -c '! busctl --system status >/dev/null 2>&1'
# A caller who may freeze ssc is never served over the private socket (issue 15): with the
# bus down her launch is refused, naming the bus only.
out=$(echo "$BASHPID" >"$own/cgroup.procs"
    as_user 'rm -f $HOME/ran; ssc -p relaxed -- touch $HOME/ran 2>&1; echo "rc=$?"')
check_contains "from a cgroup alice may freeze, bus stopped: refused" "rc=125" "$out"
check_contains "...naming the bus" "ssc: cannot reach systemd: /run/dbus/system_bus_socket: " "$out"
check "...and not the private socket" bash -c '! grep -q /run/systemd/private <<<"$1"' bash "$out"
check "...and the command did not run" test ! -e /home/alice/ran
for p in strict relaxed; do
    out=$(as_user "ssc -p $p -- sh -c 'cut -d: -f3 /proc/self/cgroup; cat /sys/fs/cgroup\$(cut -d: -f3 /proc/self/cgroup)/memory.max' 2>&1; echo \"rc=\$?\"")
    check_contains "$p, bus stopped: the launch works" "rc=0" "$out"
    check "$p, bus stopped: ...in its own scope" grep -Eq "^/user.slice/user-1000.slice/ssc-$p-[0-9]+-[0-9a-f]{8}\.scope$" <<<"$out"
    check "$p, bus stopped: ...with its memory limit" grep -Eqx '[0-9]+' <<<"$(sed -n 2p <<<"$out")"
done
# What is left of a RuntimeMaxSec is read over the bus: without it, a nested launch from a
# scope with one is refused, and one from a scope without one is not.
mkdir -p /etc/ssc/profiles.d && printf '[Profile]\nRuntimeMaxSec=1h\n' >/etc/ssc/profiles.d/timed.conf
chmod 644 /etc/ssc/profiles.d/timed.conf
out=$(as_user 'ssc -p timed -- sh -c "ssc -p timed -- true 2>&1; echo rc=\$?"')
check_contains "bus stopped, nested in a scope with RuntimeMaxSec: refused (125)" "rc=125" "$out"
check_contains "...saying why" "with RuntimeMaxSec: cannot learn when it ends" "$out"
check_eq "bus stopped, nested in a scope without RuntimeMaxSec: works" ok \
    "$(as_user 'ssc -p relaxed -- ssc -p relaxed -- echo ok 2>&1')"
rm -f /etc/ssc/profiles.d/timed.conf
rm -f /home/alice/ran
as_user 'ssc --no-tty -p strict -- touch $HOME/ran'
for _ in $(seq 20); do [[ -e /home/alice/ran ]] && break; sleep 0.5; done
check "detached, bus stopped: the command ran" test -e /home/alice/ran

# Both ways refused: a plain file over the private socket makes connect() refuse.
touch /run/ssc-test/not-a-socket
mount --bind /run/ssc-test/not-a-socket /run/systemd/private
for p in strict relaxed; do
    out=$(as_user "rm -f \$HOME/ran; ssc -p $p -- touch \$HOME/ran 2>&1; echo \"rc=\$?\"")
    check_contains "$p, both refused: exit 125" "rc=125" "$out"
    check_contains "$p, both refused: one line naming both sockets" \
        "ssc: cannot reach systemd: /run/systemd/private: Connection refused" "$out"
    check_contains "$p, both refused: ...and the bus" "/run/dbus/system_bus_socket" "$out"
    check_eq "$p, both refused: one line" 2 "$(wc -l <<<"$out")"
    check "$p, both refused: the command did not run" test ! -e /home/alice/ran
done
out=$(as_user 'ssc --no-tty -p strict -- touch $HOME/ran 2>&1; echo "rc=$?"')
check_contains "detached, both refused: exit 125" "rc=125" "$out"
sleep 1
check "detached, both refused: the command did not run" test ! -e /home/alice/ran

# The bus alone, with the private socket refusing: ssc falls back to it. (systemctl needs
# one of the two, so the private socket comes back to start the bus.)
umount /run/systemd/private
systemctl start dbus.socket dbus.service
sleep 2
mount --bind /run/ssc-test/not-a-socket /run/systemd/private
out=$(as_user 'ssc -p relaxed -- cut -d: -f3 /proc/self/cgroup 2>&1; echo "rc=$?"')
check_contains "private socket refused, bus up: falls back to the bus" "rc=0" "$out"
check_contains "...into its scope" "/user.slice/user-1000.slice/ssc-relaxed-" "$out"
umount /run/systemd/private
check_eq "with both back, ssc works" ok "$(as_user 'ssc -p relaxed -- echo ok 2>&1')"
# (alice keeps her linger: logind does not answer for a while after the bus restarts, and
# this scenario runs last.)
rmdir "$own" 2>/dev/null
