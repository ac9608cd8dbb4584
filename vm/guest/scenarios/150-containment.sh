# shellcheck shell=bash
# What ssc holds, and the review's findings: no loosening by launching again (a
# RuntimeMaxSec not renewed either), detached
# deaths reported, nothing secret in the Description, a per-user cap on scopes, a squatted
# /tmp/.X11-unix, noexec kept, the working directory, spoofing characters, EPIPE, a broken
# stderr, and inheritable and ambient capabilities from the caller.

D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
write() { printf '%b' "$2" >"$D/$1.conf"; chmod 644 "$D/$1.conf"; }

# --- Scope hopping: a launch from inside an ssc scope may not loosen its limits.
write tight '[Profile]\nMemoryMax=40%\nTasksMax=300\n'
write loose '[Profile]\nMemoryMax=90%\n'
out=$(as_user 'ssc -p tight -- sh -c "rm -f \$HOME/ran; ssc -p loose -- touch \$HOME/ran 2>&1; echo rc=\$?"')
check_contains "tight -> loose: refused with 125" "rc=125" "$out"
check_contains "tight -> loose: says which setting" \
    "ssc: refusing profile 'loose' inside a scope of profile 'tight': MemoryMax=90% is looser than MemoryMax=40%" "$out"
check "tight -> loose: the command did not run" test ! -e /home/alice/ran
out=$(as_user 'ssc -p relaxed -- sh -c "ssc -p relaxed -- true; echo rc=\$?; ssc --no-tty -p strict -- true; echo rc=\$?" 2>&1')
check_eq "relaxed -> relaxed and relaxed -> strict (tighter) work" $'rc=0\nrc=0' "$out"
out=$(as_user 'ssc -p relaxed -- ssc -p tight -- sh -c "ssc -p relaxed -- true 2>&1; echo rc=\$?"')
check_contains "relaxed -> tight -> relaxed: refused" "MemoryMax=70% is looser than MemoryMax=40%"$'\n'"rc=125" "$out"
rm -f $D/tight.conf $D/loose.conf

# --- RuntimeMaxSec is a deadline: launching again near the end does not start it anew
# (which would end 5 + 8 = 13 s or more after the outer start).
write timed '[Profile]\nRuntimeMaxSec=8\n'
start=$SECONDS
out=$(as_user 'ssc -p timed -- sh -c "sleep 5; ssc --dry-run -p timed -- true | grep RuntimeMaxUSec; exec ssc -p timed -- sleep 60" 2>&1')
elapsed=$((SECONDS - start))
check_contains "RuntimeMaxSec=8, nested after 5 s: --dry-run sends what is left" "(what is left of ssc-timed-" "$out"
if ((elapsed >= 7 && elapsed < 12)); then
    pass "RuntimeMaxSec=8, exec ssc -p timed again after 5 s: stopped ${elapsed}s after the outer start"
else
    fail "RuntimeMaxSec=8, exec ssc -p timed again after 5 s: stopped about 8 s after the outer start" "ran ${elapsed}s: $out"
fi
rm -f $D/timed.conf

# --- Detached: a child that dies before exec is a failure, not a success. Root holds all
# of alice's launch slots so that her child waits, and kills it there.
rm -f /home/alice/ran
as_user 'ssc -p relaxed -- true'
for i in $(seq 0 15); do flock "/run/ssc/1000.$i" sleep 8 & done
sleep 0.5
as_user 'ssc --no-tty -p relaxed -- touch $HOME/ran 2>&1; echo "rc=$?"' >/run/ssc-test/detached-death &
waiter=$!
child=
for _ in $(seq 40); do
    for p in $(pgrep -x ssc); do
        [[ $(ps -o comm= -p "$(ps -o ppid= -p "$p" | tr -d ' ')" 2>/dev/null) == ssc ]] && child=$p
    done
    [[ -n $child ]] && break
    sleep 0.1
done
check "the detached child is waiting for a slot" test -n "$child"
[[ -n $child ]] && kill -KILL "$child"
wait $waiter
out=$(cat /run/ssc-test/detached-death)
check_contains "detached child killed before exec: exit 125" "rc=125" "$out"
check_contains "...saying how it died" "ssc: the detached launch was killed by SIGKILL before it could start the command" "$out"
check "...and the command did not run" test ! -e /home/alice/ran
wait

# --- The Description carries the profile and the program's name only.
# (300 s: with the host loaded, the checks below once outlasted a 20 s sleep.)
as_user 'ssc --no-tty -p relaxed -- sh -c "sleep 300" -pSECRET-1234'
sleep 1
unit=$(systemctl list-units --plain --no-legend 'ssc-relaxed-*.scope' | awk '{print $1}' | head -1)
check_eq "Description is 'ssc relaxed: sh'" "ssc relaxed: sh" "$(systemctl show -P Description "$unit")"
check "the secret is not in /run/systemd/transient" sh -c "! grep -rq SECRET-1234 /run/systemd/transient/"
check "the secret is not in the journal" sh -c "! journalctl -b --no-pager | grep -q SECRET-1234"
check_contains "--status still shows the command line, from /proc" "sh -c sleep 300 -pSECRET-1234" "$(as_user 'ssc --status')"
pkill -u alice -x -f 'sleep 300' || true

# --- Unicode format characters cannot spoof what others see.
as_user 'mkdir -p $HOME/bin; ln -sf /bin/sleep "$HOME/bin/$(printf "evil\342\200\256gnp.sh")"'
as_user 'PATH=$HOME/bin:$PATH ssc --no-tty -p relaxed -- "$(printf "evil\342\200\256gnp.sh")" 20'
sleep 1
unit=$(systemctl list-units --plain --no-legend 'ssc-relaxed-*.scope' | awk '{print $1}' | head -1)
desc=$(systemctl show -P Description "$unit")
check_eq "U+202E in the program name becomes U+FFFD in the Description" "ssc relaxed: evil"$'\357\277\275'"gnp.sh" "$desc"
check "...and in --status" sh -c "! ssc --status 2>/dev/null | grep -q \$(printf '\342\200\256')"
pkill -u alice -f 'gnp.sh 20' || true

# --- At most MaxScopesPerUser scopes per user.
printf '[Launch]\nMaxScopesPerUser=3\n' >/etc/ssc/ssc.conf && chmod 644 /etc/ssc/ssc.conf
for _ in 1 2 3; do as_user 'ssc --no-tty -p relaxed -- sleep 30'; done
sleep 1
out=$(as_user 'ssc -p relaxed -- touch $HOME/ran 2>&1; echo "rc=$?"')
check_contains "a fourth scope is refused with 125" "rc=125" "$out"
check_contains "...saying why" "ssc: uid 1000 already has 3 ssc scopes, the most allowed (MaxScopesPerUser in /etc/ssc/ssc.conf)" "$out"
check "...and the command did not run" test ! -e /home/alice/ran
check_eq "bob is not affected" ok "$(getent passwd bob >/dev/null || useradd -m -u 1001 bob; SSC_TEST_USER=bob as_user 'ssc -p relaxed -- echo ok')"
pkill -u alice -x -f 'sleep 30' || true
# A burst counts too: 12 launches at once, each waiting 1 s after the loop started them,
# leave 3 scopes. Before, each counted the scopes that existed when it started: 12.
wait_until 30 no_ssc_units
check_eq "burst: no ssc scope before" "" "$(ssc_units)"
as_user 'rm -f $HOME/burst.*; for _ in $(seq 12); do
    { sleep 1; ssc --no-tty -p relaxed -- sleep 60 2>>$HOME/burst.err; echo "rc=$?" >>$HOME/burst.rc; } &
done; wait'
check_eq "12 launches at once: 3 scopes" 3 "$(ssc_units | grep -c 'ssc-relaxed-.* running ')"
check_eq "...3 ran" 3 "$(grep -cx 'rc=0' /home/alice/burst.rc)"
check_eq "...9 refused with 125" 9 "$(grep -cx 'rc=125' /home/alice/burst.rc)"
check_eq "...each saying why" 9 "$(grep -cxF 'ssc: uid 1000 already has 3 ssc scopes, the most allowed (MaxScopesPerUser in /etc/ssc/ssc.conf)' /home/alice/burst.err)"
check_eq "...and nothing else" 9 "$(wc -l </home/alice/burst.err)"
pkill -u alice -x -f 'sleep 60' || true
wait_until 30 no_ssc_units
rm -f /home/alice/burst.*
rm -f /etc/ssc/ssc.conf
sleep 1
check_eq "without the file the default applies" ok "$(as_user 'ssc -p relaxed -- echo ok')"

# --- A /tmp/.X11-unix that another user made is not bound into the private /tmp.
rm -rf /tmp/.X11-unix
SSC_TEST_USER=bob as_user 'mkdir -m 1777 /tmp/.X11-unix && touch /tmp/.X11-unix/X0'
check_eq "bob's /tmp/.X11-unix is not bound" absent \
    "$(as_user 'ssc -p strict -- sh -c "test -e /tmp/.X11-unix && echo present || echo absent"')"
rm -rf /tmp/.X11-unix; mkdir -m 1777 /tmp/.X11-unix
check_eq "root's is" present \
    "$(as_user 'ssc -p strict -- sh -c "test -e /tmp/.X11-unix && echo present || echo absent"')"
userdel -r bob 2>/dev/null || true

# --- A host noexec on /tmp is kept by the private /tmp and by the binds.
mkdir -p /run/ssc-test/tmp-save
mount -t tmpfs -o noexec,nosuid,nodev,mode=1777 tmpfs /tmp
mkdir -m 1777 /tmp/.X11-unix
as_user 'umask 077; printf cookie >/tmp/xauth_alice'
out=$(as_user 'XAUTHORITY=/tmp/xauth_alice ssc -p strict -- sh -c "for m in /tmp /tmp/xauth_alice /var/tmp; do findmnt -n -o TARGET,OPTIONS --mountpoint \$m; done" 2>&1')
for m in /tmp /tmp/xauth_alice; do
    if grep -Eq "^$m .*noexec" <<<"$out"; then pass "host noexec /tmp: $m is noexec inside"
    else fail "host noexec /tmp: $m is noexec inside" "$out"; fi
done
if ! grep -Eq '^/var/tmp .*noexec' <<<"$out"; then pass "the private /var/tmp follows the host's /var/tmp (exec)"
else fail "the private /var/tmp follows the host's /var/tmp (exec)" "$out"; fi
umount /tmp

# --- A working directory under /tmp is entered again inside the private /tmp.
as_user 'mkdir -p /tmp/alice-work && touch /tmp/alice-host-file'
out=$(as_user 'cd /tmp/alice-work && ssc -p strict -- ls -a 2>&1; echo "rc=$?"')
check_contains "cwd under the host /tmp: refused with 125" "rc=125" "$out"
check_contains "...saying why" "the working directory /tmp/alice-work is hidden in this profile's namespace" "$out"
out=$(as_user 'cd /tmp && ssc -p strict -- ls -a .')
if [[ $out != *alice-host-file* ]]; then pass "cwd /tmp: '.' is the private /tmp"
else fail "cwd /tmp: '.' is the private /tmp" "$out"; fi
out=$(as_user 'mkdir /tmp/alice-gone && cd /tmp/alice-gone && rmdir /tmp/alice-gone && ssc -p strict -- ls -a .. 2>&1; echo "rc=$?"')
check_contains "cwd deleted from the host /tmp: refused with 125" "rc=125" "$out"
if [[ $out != *alice-host-file* ]]; then pass "cwd deleted from the host /tmp: '..' does not reach it"
else fail "cwd deleted from the host /tmp: '..' does not reach it" "$out"; fi
rm -rf /tmp/alice-work /tmp/alice-host-file

# --- Closed pipes and a broken stderr.
out=$(as_user 'bash -c "ssc --list-profiles | head -c0; echo \${PIPESTATUS[0]}; ssc --dry-run -- true | head -c0; echo \${PIPESTATUS[0]}"' 2>&1)
check_eq "--list-profiles and --dry-run into a closed pipe: 0, no message" $'0\n0' "$out"
check_eq "a broken stderr does not turn 125 into an abort" 125 \
    "$(as_user 'ssc -p nosuch -- true 2>/dev/full; echo $?')"

# --- Capabilities the caller holds in the inheritable and ambient sets do not survive.
caps='grep -E "^Cap(Inh|Amb):" /proc/self/status | tr -s "\t " " "'
pre=$(setpriv --reuid=1000 --regid=1000 --init-groups --inh-caps=+net_raw --ambient-caps=+net_raw -- sh -c "$caps" 2>&1)
check_contains "precondition: setpriv gives alice inheritable and ambient CAP_NET_RAW" "CapAmb: 0000000000002000" "$pre"
out=$(setpriv --reuid=1000 --regid=1000 --init-groups --inh-caps=+net_raw --ambient-caps=+net_raw -- ssc -p relaxed -- sh -c "$caps" 2>&1)
check_eq "inside: no inheritable or ambient capability" $'CapInh: 0000000000000000\nCapAmb: 0000000000000000' "$out"
