# shellcheck shell=bash
# Admin profiles: good ones apply, bad ones are refused with file:line and nothing runs.

D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
write() { printf '%b' "$2" >"$D/$1.conf"; chmod 644 "$D/$1.conf"; chown root:root "$D/$1.conf"; }
limits='cg=$(cut -d: -f3 /proc/self/cgroup); cd /sys/fs/cgroup$cg; echo $(cat memory.max memory.high pids.max cpu.max cpu.weight)'

write web '# browsers\n[Profile]\nDescription=Web browsers\nMemoryMax=300M\nMemoryHigh=200M\nTasksMax=77\nCPUQuota=50%\nCPUWeight=50\nPrivateTmp=yes\n'
check_eq "admin profile: limits applied" "314572800 209715200 77 50000 100000 50" \
    "$(as_user "ssc -p web -- sh -c '$limits'")"
check "admin profile: PrivateTmp=yes gives a private /tmp" as_user 'ssc -p web -- sh -c "findmnt -n -o FSTYPE /tmp | grep -qx tmpfs"'
check_eq "admin profile: PrivateTmp=yes implies NoNewPrivileges" 1 \
    "$(as_user 'ssc -p web -- awk "/^NoNewPrivs:/ {print \$2}" /proc/self/status')"
write nonnp '[Profile]\nMemoryMax=300M\n'
check_eq "admin profile: NoNewPrivileges not set unless asked (or implied)" 0 \
    "$(as_user 'ssc -p nonnp -- awk "/^NoNewPrivs:/ {print \$2}" /proc/self/status')"
rm -f $D/nonnp.conf

write relaxed '[Profile]\nMemoryMax=100M\n'
check_eq "a file named like a built-in replaces it" "104857600 max" \
    "$(as_user "ssc -p relaxed -- sh -c 'cg=\$(cut -d: -f3 /proc/self/cgroup); echo \$(cat /sys/fs/cgroup\$cg/memory.max /sys/fs/cgroup\$cg/memory.high)'")"
list=$(as_user 'ssc --list-profiles')
check_contains "--list-profiles shows the file's source" "web ($D/web.conf)" "$list"
check_contains "--list-profiles shows the replaced built-in" "relaxed ($D/relaxed.conf)" "$list"
check_contains "--list-profiles shows settings" "    CPUQuota=50%" "$list"
check_contains "--list-profiles shows built-ins" "strict (built-in)" "$list"
rm -f $D/relaxed.conf

refused() { # NAME EXPECTED-MESSAGE
    local out
    out=$(as_user "rm -f \$HOME/ran; ssc -p $1 -- touch \$HOME/ran 2>&1; echo \"rc=\$?\"")
    check_contains "refused $1: exit 125" "rc=125" "$out"
    check_contains "refused $1: message" "$2" "$out"
    check "refused $1: the command did not run" test ! -e /home/alice/ran
}
write bad1 '[Profile]\nMemoryMax=1G\nExecStartPre=/bin/sh\n'
refused bad1 "ssc: $D/bad1.conf:3: unknown key 'ExecStartPre'"
write bad2 '[Profile]\nMemoryMax=lots\n'
refused bad2 "ssc: $D/bad2.conf:2: bad value 'lots' for MemoryMax"
write bad3 'MemoryMax=1G\n'
refused bad3 "ssc: $D/bad3.conf:1: missing section"
write bad4 '[Profile]\nMemoryMax=1G\n'; chmod 664 $D/bad4.conf
refused bad4 "writable by group or others"
write bad5 '[Profile]\nMemoryMax=1G\n'; chown alice $D/bad5.conf
refused bad5 "owned by uid 1000, not root"
ln -sf /etc/ssc/profiles.d/web.conf $D/bad6.conf
refused bad6 "symbolic links are refused"
write bad7 '[Profile]\nPrivateTmp=yes\nNoNewPrivileges=no\n'
refused bad7 "ssc: $D/bad7.conf:3: NoNewPrivileges=no contradicts PrivateTmp=yes"
head -c 1048577 /dev/zero | tr '\0' '#' >$D/bad8.conf; chmod 644 $D/bad8.conf
refused bad8 "$D/bad8.conf: refused: larger than 1048576 bytes"
refused nosuch "unknown profile 'nosuch' (available: "
refused 'Bad/../x' "invalid profile name"
rm -f $D/bad*.conf

chmod 777 $D
refused strict "$D: refused: writable by group or others"
chmod 755 $D
chown alice /etc/ssc
refused web "/etc/ssc: refused: owned by uid 1000, not root"
chown root /etc/ssc
# A symbolic link to a root-owned directory is refused too: each component is checked.
mv $D /etc/ssc/real.d && ln -s /etc/ssc/real.d $D
refused web "$D: not a directory (symbolic links are refused)"
rm $D && mv /etc/ssc/real.d $D
check "profiles work again once the directory is fixed" as_user 'ssc -p web -- true'
rm -f $D/web.conf
