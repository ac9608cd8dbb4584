# shellcheck shell=bash
# A memory hog is OOM-killed inside its own scope; the VM carries on.

mkdir -p /etc/ssc/profiles.d
printf '[Profile]\nDescription=OOM test\nMemoryMax=64M\nMemorySwapMax=0\n' >/etc/ssc/profiles.d/oomtest.conf
chmod 644 /etc/ssc/profiles.d/oomtest.conf

since=$(date +%s)
status=$(as_user 'ssc -p oomtest -- sh -c "exec tail /dev/zero"; echo $?')
check_eq "hog is killed by SIGKILL (exit 137)" 137 "$status"
sleep 1
journal=$(journalctl --since "@$since" --no-pager -o cat 2>&1)
check_contains "systemd reports the OOM kill in the hog's scope" "killed by the OOM killer" "$journal"
check "the OOM kill was in an ssc-oomtest scope" sh -c "journalctl --since @$since --no-pager | grep -E 'ssc-oomtest-[0-9]+-[0-9a-f]+\.scope: A process of this unit has been killed by the OOM killer'"
check_eq "the VM carries on: a new command runs" "alive" "$(as_user 'ssc -p relaxed -- echo alive')"
check_eq "the test service (this script's unit) was not killed" "activating start" \
    "$(systemctl show -P ActiveState ssc-test.service) $(systemctl show -P SubState ssc-test.service)"
rm -f /etc/ssc/profiles.d/oomtest.conf
