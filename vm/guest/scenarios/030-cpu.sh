# shellcheck shell=bash
# CPU is throttled to the profile's CPUQuota.

mkdir -p /etc/ssc/profiles.d
printf '[Profile]\nCPUQuota=20%%\n' >/etc/ssc/profiles.d/cpu20.conf
chmod 644 /etc/ssc/profiles.d/cpu20.conf

# Two busy loops for 4 s of wall time; cpu.stat's usage_usec over wall time is the share used.
measure='cg=$(cut -d: -f3 /proc/self/cgroup)
u0=$(awk "/^usage_usec/ {print \$2}" /sys/fs/cgroup$cg/cpu.stat); t0=$(date +%s%N)
timeout 4 sh -c "while :; do :; done" & timeout 4 sh -c "while :; do :; done"; wait
u1=$(awk "/^usage_usec/ {print \$2}" /sys/fs/cgroup$cg/cpu.stat); t1=$(date +%s%N)
echo $(( (u1 - u0) * 100000 / ((t1 - t0) / 1000) ))'
share=$(as_user "ssc -p cpu20 -- sh -c '$measure'")
# In thousandths of a percent... of one CPU: 20% is 20000.
if [[ $share =~ ^[0-9]+$ ]] && (( share <= 24000 && share >= 10000 )); then
    pass "CPUQuota=20%: two busy loops got $((share / 1000))% of a CPU"
else
    fail "CPUQuota=20% throttles" "measured share (x1000 %): '$share'"
fi

unthrottled=$(as_user "ssc -p relaxed -- sh -c '$measure'")
if [[ $unthrottled =~ ^[0-9]+$ ]] && (( unthrottled > 50000 )); then
    pass "without a quota the same loops get $((unthrottled / 1000))% of a CPU"
else
    fail "control run without a quota is not throttled" "measured: '$unthrottled'"
fi
rm -f /etc/ssc/profiles.d/cpu20.conf
