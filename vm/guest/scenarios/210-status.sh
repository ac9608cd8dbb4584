# shellcheck shell=bash
# ssc --status lists running ssc scopes, unprivileged, as text and as JSON.

as_user 'ssc --no-tty -p strict -- sleep 30'
as_user 'ssc --no-tty -p relaxed -- sh -c "head -c 20000000 /dev/zero | tail -c 1 >/dev/null; sleep 30"'
sleep 3
out=$(as_user 'ssc --status 2>&1; echo "rc=$?"')
printf '%s\n' "$out" | sed 's/^/    | /'
check_contains "--status exits 0" "rc=0" "$out"
check_contains "--status has a header" "UNIT" "$out"
check "--status lists the strict scope with profile, user and command" sh -c \
    "printf '%s\n' '$out' | grep -E '^ssc-strict-[0-9]+-[0-9a-f]{8}\.scope +strict +alice +.* / [0-9.]+[KMG] +.*sleep 30$'"
check "--status lists the relaxed scope" sh -c \
    "printf '%s\n' '$out' | grep -E '^ssc-relaxed-[0-9]+-[0-9a-f]{8}\.scope +relaxed +alice '"
json=$(as_user 'ssc --status --json')
printf '%s\n' "$json" | sed 's/^/    | /'
check "--json is one array" sh -c "printf '%s' '$json' | grep -Eq '^\[.*\]$'"
check "--json has the strict scope's fields" sh -c \
    "printf '%s' '$json' | grep -Eq '\"unit\":\"ssc-strict-[0-9]+-[0-9a-f]{8}\.scope\",\"profile\":\"strict\",\"uid\":1000,\"user\":\"alice\",\"command\":\"sleep 30\",\"memory_current\":[0-9]+,\"memory_max\":[0-9]+,\"memory_peak\":([0-9]+|null),\"cpu_usage_nsec\":[0-9]+,\"tasks_current\":1,\"policy\":\[\]\}'"
want_max=$(systemctl show -P MemoryMax "$(systemctl list-units --plain --no-legend 'ssc-strict-*.scope' | awk '{print $1}' | head -1)")
check_contains "--json memory_max is systemd's MemoryMax" "\"memory_max\":$want_max," "$json"
pkill -u alice -x sleep || true
wait_until 30 no_ssc_units
check_contains "--status with nothing running says so" "no ssc scopes are running" "$(as_user 'ssc --status')"
