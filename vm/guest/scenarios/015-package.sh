# shellcheck shell=bash
# The installed .deb: files and modes, the packaged bash completion asking the
# real ssc for profile names, and the shipped example profiles (packaging/
# examples, staged on the share: the image's dpkg leaves /usr/share/doc out)
# applied for real by this systemd.

check_eq "the package is installed" "install ok installed" "$(dpkg-query -W -f '${Status}' ssc 2>&1)"
check_eq "/usr/bin/ssc is 4755 root:root" "4755 root:root" "$(stat -c '%a %U:%G' /usr/bin/ssc 2>&1)"
check_eq "/usr/bin/ssc-desktop is 755 root:root" "755 root:root" "$(stat -c '%a %U:%G' /usr/bin/ssc-desktop 2>&1)"
check_eq "alice finds ssc on PATH" /usr/bin/ssc "$(as_user 'command -v ssc' 2>&1)"
check_eq "ssc --version is the package's" "ssc $(dpkg-query -W -f '${Version}' ssc)" \
    "$(as_user 'ssc --version' 2>&1)"
for f in /usr/share/bash-completion/completions/ssc /usr/share/zsh/vendor-completions/_ssc \
    /usr/share/fish/vendor_completions.d/ssc.fish; do
    check "installed: $f" test -f "$f"
done
desktop=$(dpkg-query -L ssc | grep '^/usr/share/applications/.*\.desktop$')
check "the package has desktop files" test -n "$desktop"
for f in $desktop; do
    check "installed: $f" test -f "$f"
done

# What bash does on TAB after `ssc -p `, with the packaged completion and the
# real ssc (bash-completion itself is not needed for this).
complete_p='. /usr/share/bash-completion/completions/ssc
COMP_WORDS=(ssc -p ""); COMP_CWORD=2; COMPREPLY=()
_ssc ssc "" -p
printf "%s\n" "${COMPREPLY[@]}" | sort | xargs'
check_eq "bash completion of -p offers the built-in profiles" "offline relaxed strict" \
    "$(as_user 'bash -c "$1"' "$complete_p" 2>&1)"

D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
names=()
for f in "$SSC_SHARE"/examples/*.conf; do
    install -o root -g root -m 0644 "$f" "$D/"
    names+=("$(basename "$f" .conf)")
done
check "example profiles are on the share" test "${#names[@]}" -ge 2

check_eq "bash completion of -p offers the example profiles too" \
    "$(printf "%s\n" "${names[@]}" offline relaxed strict | sort | xargs)" \
    "$(as_user 'bash -c "$1"' "$complete_p" 2>&1)"
list=$(as_user 'ssc --list-profiles 2>&1; echo "rc=$?"')
check_contains "--list-profiles accepts every example" "rc=0" "$list"
for name in "${names[@]}"; do
    check_contains "--list-profiles lists $name" "$name ($D/$name.conf)" "$list"
done

# The limits this systemd applied, read inside the scope; and whether the
# scope sees the host's /tmp (where this marker is).
marker=/tmp/ssc-015-package-marker
touch $marker && chmod 644 $marker
limits='cg=$(cut -d: -f3 /proc/self/cgroup); cd /sys/fs/cgroup$cg || exit 1
echo ${cg##*/} $(cat memory.max memory.high memory.swap.max pids.max cpu.max cpu.weight) \
    $(awk "/^NoNewPrivs:/ {print \$2}" /proc/self/status) \
    $(if [ -e '$marker' ]; then echo shared-tmp; else echo private-tmp; fi)'
applied() { as_user "ssc -p $1 -- sh -c '$limits' 2>&1; echo rc=\$?"; }

out=$(applied web)
check_contains "web: runs in its own scope" "ssc-web-" "$out"
check_contains "web: MemoryMax=4G MemoryHigh=3G TasksMax=512 CPUQuota=150%, NoNewPrivileges, private /tmp" \
    ".scope 4294967296 3221225472 max 512 150000 100000 100 1 private-tmp"$'\n'"rc=0" "$out"

out=$(applied untrusted)
check_contains "untrusted: MemoryMax=1G MemorySwapMax=0 TasksMax=256 CPUQuota=50%, NoNewPrivileges, private /tmp" \
    ".scope 1073741824 max 0 256 50000 100000 100 1 private-tmp"$'\n'"rc=0" "$out"

out=$(applied build)
check_contains "build: ran" "rc=0" "$out"
read -r _ mmax mhigh rest <<<"$out"
check_eq "build: MemorySwapMax=0 TasksMax=4096 no CPUQuota CPUWeight=20, no NoNewPrivileges, shared /tmp" \
    "0 4096 max 100000 20 0 shared-tmp" "$rest"
if [[ $mmax =~ ^[0-9]+$ && $mhigh =~ ^[0-9]+$ ]] && ((mhigh < mmax)); then
    pass "build: MemoryMax=60% and MemoryHigh=50% of RAM ($mmax, $mhigh)"
else
    fail "build: MemoryMax=60% and MemoryHigh=50% of RAM" "$out"
fi

for name in "${names[@]}"; do
    rm -f "$D/$name.conf"
done
rm -f $marker
