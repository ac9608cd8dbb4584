# shellcheck shell=bash
# The file-system example profiles as the package ships them, used as their headers say:
# build-shell (writes only ~/src) and chromium (its own directories, in an empty home).
# The firefox example runs the real Firefox in 195-firefox.

D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
for p in build-shell chromium; do
    install -o root -g root -m 0644 "$SSC_SHARE/examples/$p.conf" "$D/"
done
loginctl enable-linger alice
wait_until 30 test -S /run/user/1000/bus || fail "alice's user manager" "no /run/user/1000/bus"
as_user 'mkdir -p src .ssh .gnupg .config/chromium .cache/chromium Downloads &&
    echo SECRET-196 >.ssh/id_196 && chmod 600 .ssh/id_196 && touch .bashrc-196'

# What a command sees, one line each; run as the profile's command.
cat >/usr/local/bin/ssc-196-look <<'LOOK'
#!/bin/sh
try() { if "$@" >/dev/null 2>&1; then echo ok; else echo no; fi; }
echo "src-write $(try touch "$HOME/src/built-196")"
echo "bashrc-write $(try touch "$HOME/.bashrc-196")"
echo "ssh-read $(try cat "$HOME/.ssh/id_196")"
echo "gnupg-list $(try ls "$HOME/.gnupg")"
echo "home-list $(try ls "$HOME")"
echo "etc-write $(try touch /etc/ssc-196)"
echo "var-write $(try touch /var/lib/ssc-196)"
echo "tmp-write $(try touch /tmp/ssc-196)"
echo "config-write $(try touch "$HOME/.config/chromium/state-196")"
echo "bus $(if [ -S "/run/user/$(id -u)/bus" ]; then echo socket; else echo none; fi)"
echo "pwd $(pwd)"
LOOK
chmod 0755 /usr/local/bin/ssc-196-look

out=$(as_user 'cd src && ssc -p build-shell -- ssc-196-look 2>&1; echo "rc=$?"')
check_contains "build-shell: runs from ~/src" "pwd /home/alice/src"$'\n'"rc=0" "$out"
check_contains "build-shell: ~/src is writable" "src-write ok" "$out"
check_contains "build-shell: ~/.bashrc-196 is not" "bashrc-write no" "$out"
check_contains "build-shell: ~/.ssh is hidden" "ssh-read no" "$out"
check_contains "build-shell: ~/.gnupg is hidden" "gnupg-list no" "$out"
check_contains "build-shell: /etc is read-only" "etc-write no" "$out"
check_contains "build-shell: /var is read-only" "var-write no" "$out"
check_contains "build-shell: its /tmp is writable" "tmp-write ok" "$out"
check "build-shell: what it built in ~/src is on the host" test -e /home/alice/src/built-196
check "build-shell: nothing leaked into /etc" test ! -e /etc/ssc-196

out=$(as_user 'ssc -p chromium -- ssc-196-look 2>&1; echo "rc=$?"')
check_contains "chromium: runs from the home directory" "pwd /home/alice"$'\n'"rc=0" "$out"
check_contains "chromium: its profile directory is writable" "config-write ok" "$out"
check "chromium: ...and kept on the host" test -e /home/alice/.config/chromium/state-196
check_contains "chromium: ~/.ssh is not there" "ssh-read no" "$out"
check_contains "chromium: ~/src is not there" "src-write no" "$out"
check_contains "chromium: the session bus is bound back from %t" "bus socket" "$out"
check_contains "chromium: /etc is read-only" "etc-write no" "$out"
out=$(as_user 'ssc -p chromium -- ls -A /home/alice 2>&1')
check_eq "chromium: the home directory holds only its binds" ".cache .config Downloads" "$(printf '%s\n' "$out" | xargs)"

rm -f "$D/build-shell.conf" "$D/chromium.conf" /usr/local/bin/ssc-196-look
as_user 'rm -rf src/built-196 .ssh/id_196 .bashrc-196 .config/chromium .cache/chromium'
loginctl disable-linger alice
