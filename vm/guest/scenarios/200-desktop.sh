# shellcheck shell=bash
# ssc-desktop: wrap a D-Bus-activatable app's desktop entry, start it the way a
# desktop does (GLib's gio, with a session bus), see it run in an ssc-strict
# scope, then unwrap it.  The file id is a D-Bus name on purpose: with such an
# id and a session bus, GLib activates the app over D-Bus and ignores Exec, so
# the app only runs through ssc if the override turned DBusActivatable off.

id=org.example.SscDemo.desktop
entry=/usr/share/applications/$id
override=/home/alice/.local/share/applications/$id
out=/home/alice/sscdemo.out
scope_re='^/user\.slice/user-1000\.slice/ssc-strict-[0-9]+-[^/]+\.scope$'

# Installed by the package, or staged on the test share by run.sh.
desktop_bin=$(command -v ssc-desktop || printf '%s' "$SSC_SHARE/bin/ssc-desktop")
if [[ ! -x $desktop_bin ]]; then
    fail "ssc-desktop is available" "not on PATH and no $SSC_SHARE/bin/ssc-desktop"
    return 0
fi
check "gio is installed (libglib2.0-bin)" command -v gio || return 0

# The fake GUI app records its cgroup and arguments, then lingers a little.
cat >/usr/local/bin/sscdemo <<'APP'
#!/bin/sh
out=/home/alice/sscdemo.out
{ cut -d: -f3 /proc/self/cgroup; printf '%s\n' "$@"; } >"$out.tmp" && mv "$out.tmp" "$out"
sleep 3
APP
chmod 0755 /usr/local/bin/sscdemo
cat >"$entry" <<'ENTRY'
[Desktop Entry]
Type=Application
Name=ssc demo
Comment=Fake GUI app for the ssc-desktop scenario
Exec=/usr/local/bin/sscdemo %u
DBusActivatable=true
MimeType=x-scheme-handler/sscdemo;
Actions=new-window;

[Desktop Action new-window]
Name=New Window
Exec=/usr/local/bin/sscdemo --new-window %u
ENTRY
# What the package manager's trigger does: GLib finds handlers through this cache.
update-desktop-database -q /usr/share/applications
entry_sum=$(sha256sum "$entry")

# launch 'GIO ARGS': runs gio as alice with a session bus, then prints what
# the app recorded (nothing if it did not start within 10 s).
launch() {
    rm -f "$out"
    as_user "dbus-run-session -- gio $1" >/run/ssc-test/gio.log 2>&1
    for _ in $(seq 20); do
        [[ -s $out ]] && break
        sleep 0.5
    done
    cat "$out" 2>/dev/null
}

# control WHEN: unwrapped, the desktop hands the app to D-Bus and Exec never runs.
control() {
    rm -f "$out"
    as_user 'dbus-run-session -- gio open sscdemo://control' >/run/ssc-test/gio.log 2>&1
    sleep 2
    check_contains "$1: the original entry is activated over D-Bus" \
        "org.example.SscDemo" "$(cat /run/ssc-test/gio.log)"
    check "$1: ...so its Exec does not run" test ! -e "$out"
}
control "before wrap"

msg=$(as_user '"$1" wrap org.example.SscDemo -p strict 2>&1; echo "rc=$?"' "$desktop_bin")
check_eq "wrap succeeds" "wrapped $id with profile strict: $override"$'\n'"rc=0" "$msg"
check_eq "the override belongs to alice, mode 644" "alice 644" "$(stat -c '%U %a' "$override" 2>&1)"
wrapped=$(cat "$override" 2>&1)
check_contains "main Exec is prefixed" $'\nExec=ssc --no-tty -p strict -- /usr/local/bin/sscdemo %u\n' "$wrapped"
check_contains "action Exec is prefixed" \
    $'\nExec=ssc --no-tty -p strict -- /usr/local/bin/sscdemo --new-window %u' "$wrapped"
check_contains "D-Bus activation is off" $'\nDBusActivatable=false\n' "$wrapped"
check_contains "the override is marked" $'\nX-SSC-Wrapped=strict\n' "$wrapped"
check_eq "the original is untouched" "$entry_sum" "$(sha256sum "$entry")"
check_contains "the override is in alice's MIME index" "x-scheme-handler/sscdemo=$id;" \
    "$(cat /home/alice/.local/share/applications/mimeinfo.cache 2>&1)"

# By file id, as a desktop opens a link: the override shadows the original.
mapfile -t got < <(launch 'open sscdemo://by-id')
if [[ ${got[0]:-} =~ $scope_re ]]; then pass "gio open: the app runs in an ssc-strict scope (${got[0]})"
else fail "gio open: the app runs in an ssc-strict scope" "app recorded: ${got[*]:-nothing}"$'\n'"$(cat /run/ssc-test/gio.log)"; fi
check_eq "gio open: %u is the URI" "sscdemo://by-id" "${got[1]:-}"

# The entry file itself, as a launcher or panel starts it.
mapfile -t got < <(launch "launch $override sscdemo://launched")
if [[ ${got[0]:-} =~ $scope_re ]]; then pass "gio launch: the app runs in an ssc-strict scope"
else fail "gio launch: the app runs in an ssc-strict scope" "app recorded: ${got[*]:-nothing}"$'\n'"$(cat /run/ssc-test/gio.log)"; fi
check_eq "gio launch: %u is the URI" "sscdemo://launched" "${got[1]:-}"

# gio cannot start an action; GLib runs an action's Exec exactly like a main
# Exec, so start the override's action Exec line, verbatim, as an entry of its own.
action_exec=$(sed -n '/^\[Desktop Action new-window\]/,/^\[/s/^Exec=/&/p' "$override")
printf '[Desktop Entry]\nType=Application\nName=action\n%s\n' "$action_exec" >/home/alice/action.desktop
chown alice: /home/alice/action.desktop
mapfile -t got < <(launch 'launch /home/alice/action.desktop sscdemo://action')
if [[ ${got[0]:-} =~ $scope_re ]]; then pass "action: runs in an ssc-strict scope"
else fail "action: runs in an ssc-strict scope" "app recorded: ${got[*]:-nothing}"$'\n'"$(cat /run/ssc-test/gio.log)"; fi
check_eq "action: its arguments" "--new-window sscdemo://action" "${got[*]:1}"

check_eq "list shows the override" $'org.example.SscDemo.desktop\tstrict\t'"$override" \
    "$(as_user '"$1" list 2>&1' "$desktop_bin")"
msg=$(as_user '"$1" unwrap org.example.SscDemo.desktop 2>&1; echo "rc=$?"' "$desktop_bin")
check_eq "unwrap succeeds" "unwrapped $id: removed $override"$'\n'"rc=0" "$msg"
check "unwrap removed the override" test ! -e "$override"
control "after unwrap"
check_eq "list is empty after unwrap" "" "$(as_user '"$1" list 2>&1' "$desktop_bin")"
msg=$(as_user '"$1" unwrap org.example.SscDemo 2>&1; echo "rc=$?"' "$desktop_bin")
check_eq "unwrap again fails with one line" "ssc-desktop: $id is not wrapped: there is no $override"$'\n'"rc=1" "$msg"

sleep 3 # let the last app finish
rm -f "$entry" /usr/local/bin/sscdemo /home/alice/action.desktop "$out" \
    /home/alice/.local/share/applications/mimeinfo.cache
update-desktop-database -q /usr/share/applications
