# shellcheck shell=bash
# Fail closed: with the system bus stopped, nothing runs and ssc exits 125.
# Runs last: it stops dbus.

systemctl stop dbus.socket dbus.service
for p in strict relaxed; do
    out=$(as_user "rm -f \$HOME/ran; ssc -p $p -- touch \$HOME/ran 2>&1; echo \"rc=\$?\"")
    check_contains "$p, bus stopped: exit 125" "rc=125" "$out"
    check_contains "$p, bus stopped: one-line message naming the bus" "ssc: cannot connect to the system bus at /run/dbus/system_bus_socket" "$out"
    check "$p, bus stopped: the command did not run" test ! -e /home/alice/ran
done
out=$(as_user 'ssc --no-tty -p strict -- touch $HOME/ran 2>&1; echo "rc=$?"')
check_contains "detached, bus stopped: exit 125" "rc=125" "$out"
sleep 1
check "detached, bus stopped: the command did not run" test ! -e /home/alice/ran
systemctl start dbus.socket dbus.service
sleep 2
check_eq "with the bus back, ssc works again" ok "$(as_user 'ssc -p relaxed -- echo ok 2>&1')"
