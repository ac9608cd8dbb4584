# shellcheck shell=bash
# 40 launches at once, all succeed, and no unit is left behind.

out=$(as_user 'for i in $(seq 40); do ssc -p strict -- sh -c "echo ok-\$0" "$i" & done; wait' 2>&1)
check_eq "40 parallel launches all ran" 40 "$(printf '%s\n' "$out" | grep -c '^ok-')"
check_eq "40 distinct launches" 40 "$(printf '%s\n' "$out" | grep '^ok-' | sort -u | wc -l)"
check "no ssc error" sh -c "! printf '%s' '$out' | grep -q '^ssc:'"
wait_until 30 no_ssc_units
check_eq "no ssc unit left behind" "" "$(ssc_units)"
