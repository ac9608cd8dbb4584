# shellcheck shell=bash
# strict gives a private /tmp and /var/tmp; the X11 socket directory and an XAUTHORITY
# file under /tmp stay visible, read-only.

touch /tmp/host-marker /var/tmp/host-marker
mkdir -p /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix
rm -f /tmp/.X11-unix/X0
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("/tmp/.X11-unix/X0")'
as_user 'umask 077; printf cookie >/tmp/xauth_alice'
host_tmp_mounts=$(findmnt -rn -o TARGET | grep -c '^/tmp' || true)

inside='for f in /tmp/host-marker /var/tmp/host-marker; do test -e $f && echo "sees $f"; done
test -S /tmp/.X11-unix/X0 && echo x11-socket
printf "xauth=%s\n" "$(cat "$XAUTHORITY")"
echo overwrite 2>/dev/null >"$XAUTHORITY" && echo xauth-writable
touch /tmp/.X11-unix/new 2>/dev/null && echo x11-writable
touch /tmp/inner /var/tmp/inner && echo created-inner
stat -c "%a %U" /tmp /var/tmp
findmnt -n -o FSTYPE,OPTIONS /tmp'
out=$(as_user "XAUTHORITY=/tmp/xauth_alice ssc -p strict -- sh -c '$inside'")
check_contains "/tmp and /var/tmp are private" "created-inner" "$out"
check "host files in /tmp and /var/tmp are not visible" sh -c "! printf '%s' '$out' | grep -q '^sees '"
check_contains "the X11 socket is visible" "x11-socket" "$out"
check_contains "XAUTHORITY under /tmp is visible" "xauth=cookie" "$out"
check "XAUTHORITY is read-only" sh -c "! printf '%s' '$out' | grep -q xauth-writable"
check "/tmp/.X11-unix is read-only" sh -c "! printf '%s' '$out' | grep -q x11-writable"
check_contains "private /tmp is mode 1777 root" "1777 root"$'\n'"1777 root" "$out"
check "private /tmp is a nosuid,nodev tmpfs" sh -c "printf '%s' '$out' | grep -E '^tmpfs .*nosuid.*nodev|^tmpfs .*nodev.*nosuid'"
check "nothing created inside leaks to the host" sh -c '! test -e /tmp/inner && ! test -e /var/tmp/inner'
check_eq "the host's /tmp mounts are unchanged" "$host_tmp_mounts" "$(findmnt -rn -o TARGET | grep -c '^/tmp' || true)"
check_eq "the host XAUTHORITY was not modified" cookie "$(cat /tmp/xauth_alice)"

rel=$(as_user 'ssc -p relaxed -- sh -c "test -e /tmp/host-marker && echo shared"')
check_eq "relaxed keeps the host's /tmp" shared "$rel"

# XAUTHORITY is opened as the caller and never through a symlink.
ln -sf /etc/shadow /tmp/xauth_evil
rc=$(as_user 'XAUTHORITY=/tmp/xauth_evil ssc -p strict -- cat /tmp/xauth_evil 2>&1; echo "rc=$?"')
check_contains "XAUTHORITY symlink to /etc/shadow is refused (125)" "rc=125" "$rc"
check "no shadow content leaked" sh -c "! printf '%s' '$rc' | grep -q '^root:'"
install -m 600 -o root /dev/null /tmp/xauth_root
rc=$(as_user 'XAUTHORITY=/tmp/xauth_root ssc -p strict -- true 2>&1; echo "rc=$?"')
check_contains "XAUTHORITY the caller cannot read is refused (125)" "rc=125" "$rc"
check_contains "...with a message naming it" "XAUTHORITY /tmp/xauth_root" "$rc"
rc=$(as_user 'XAUTHORITY=/tmp/no-such-file ssc -p strict -- echo ran; echo "rc=$?"')
check_contains "a stale XAUTHORITY does not stop the command" "ran"$'\n'"rc=0" "$rc"
rm -f /tmp/xauth_evil /tmp/xauth_root /tmp/xauth_alice /tmp/host-marker /var/tmp/host-marker
