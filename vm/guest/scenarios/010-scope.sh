# shellcheck shell=bash
# The command runs in its own scope under user-1000.slice, with the profile's limits.

cg_of_command='cut -d: -f3 /proc/self/cgroup'
cg=$(as_user "ssc -p relaxed -- sh -c '$cg_of_command'")
check "relaxed: command runs in an ssc-relaxed scope under user-1000.slice" \
    sh -c "printf '%s' '$cg' | grep -Eqx '/user.slice/user-1000.slice/ssc-relaxed-[0-9]+-[0-9a-f]{8}.scope'" || true

read_limits='cg=$(cut -d: -f3 /proc/self/cgroup); echo "$cg"; cat /sys/fs/cgroup$cg/memory.max /sys/fs/cgroup$cg/cpu.max /sys/fs/cgroup$cg/pids.max'
strict_unit() { systemctl list-units --plain --no-legend 'ssc-strict-*' | awk '{print $1}' | grep .; }
out=$(as_user "ssc -p strict -- sh -c '$read_limits; sleep 3'" & wait_until 3 strict_unit >/dev/null; \
      systemctl show -P TasksMax "$(strict_unit | head -1)" >/tmp/strict-tasksmax; wait)
mapfile -t lines <<<"$out"
check_contains "strict: command runs in an ssc-strict scope" "/user.slice/user-1000.slice/ssc-strict-" "${lines[0]}"

mem_total_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
want_mem=$((mem_total_kib * 1024 * 70 / 100))
have_mem=${lines[1]}
if [[ $have_mem =~ ^[0-9]+$ ]] && (( have_mem > want_mem * 99 / 100 && have_mem < want_mem * 101 / 100 )); then
    pass "strict: memory.max is 70% of RAM ($have_mem of $((mem_total_kib * 1024)))"
else
    fail "strict: memory.max is 70% of RAM" "want ~$want_mem, have '$have_mem'"
fi

cpus=$(nproc --all)
quota=$(( (cpus > 1 ? cpus - 1 : 1) * 100000 ))
check_eq "strict: cpu.max is (CPUs-1)x100% with $cpus CPUs" "$quota 100000" "${lines[2]}"
check_eq "strict: pids.max is the scope's TasksMax" "$(cat /tmp/strict-tasksmax)" "${lines[3]}"

# Without CPUQuota systemd may not even enable the cpu controller for the scope.
rel=$(as_user "ssc -p relaxed -- sh -c 'cg=\$(cut -d: -f3 /proc/self/cgroup); cat /sys/fs/cgroup\$cg/cpu.max 2>/dev/null || echo no-cpu-controller'")
case $rel in
    "max 100000"|no-cpu-controller) pass "relaxed: no CPU quota ($rel)" ;;
    *) fail "relaxed: no CPU quota" "cpu.max: '$rel'" ;;
esac

# The scope is gone once the command has exited (CollectMode=inactive-or-failed).
wait_until 30 no_ssc_units
check_eq "no ssc scope is left after the commands exit" "" "$(ssc_units)"
