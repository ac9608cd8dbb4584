# shellcheck shell=bash
# What ssc cannot hold: with her user manager running (as on a desktop), a command can ask
# it to move itself out of its ssc scope. The shipped D-Bus policy closes that way, at the
# cost of user scopes from systemd-run for everyone but root.

policy=/etc/dbus-1/system.d/ssc-deny-attach.conf
loginctl enable-linger alice
for _ in $(seq 60); do systemctl -q is-active user@1000.service && break; sleep 0.5; done
check "alice's user manager runs" systemctl -q is-active user@1000.service
user_env='export XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus'
leave="$user_env; systemd-run --user --scope -q -- cut -d: -f3 /proc/self/cgroup 2>&1; echo rc=\$?"

out=$(as_user "ssc -p strict -- sh -c '$leave'")
check_contains "without the policy: a strict command leaves its scope for the user manager's" \
    "/user.slice/user-1000.slice/user@1000.service/" "$out"

install -m 0644 "$SSC_SHARE/dbus/deny-attach-processes.conf" "$policy"
systemctl reload dbus
sleep 1
out=$(as_user "ssc -p strict -- sh -c '$leave'")
check "with the policy: the command stays in its ssc scope" sh -c "! grep -q 'user@1000.service' <<EOT
$out
EOT"
check_contains "...because the user manager's move is refused" "rc=1" "$out"
check_contains "the cost: systemd-run --user --scope fails outside ssc too" "rc=1" \
    "$(as_user "$leave")"

rm -f "$policy"
systemctl reload dbus
loginctl disable-linger alice
for _ in $(seq 60); do systemctl -q is-active user@1000.service || break; sleep 0.5; done
