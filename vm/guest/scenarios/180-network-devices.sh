# shellcheck shell=bash
# Network, device, I/O and CPU settings: enforced by systemd, or the launch is refused.
# Everything here is checked by what the command can and cannot do, not by what systemd
# reports: connections, opens of device nodes, the time of direct writes, the affinity.

D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
write() { printf '%b' "$2" >"$D/$1.conf"; chmod 644 "$D/$1.conf"; chown root:root "$D/$1.conf"; }
example() { install -o root -g root -m 0644 "$SSC_SHARE/examples/$1.conf" "$D/"; }
# refused PROFILE WHAT MESSAGE: exit 125, the one-line message, and the command did not run.
refused() {
    local out
    out=$(as_user "rm -f \$HOME/ran; ssc -p $1 -- touch \$HOME/ran 2>&1; echo rc=\$?")
    check_contains "$1, $2: exit 125" "rc=125" "$out"
    check_contains "$1, $2: the message names the setting" "$3" "$out"
    check "$1, $2: the command did not run" test ! -e /home/alice/ran
}
if systemctl --version | grep -q -- '+BPF_FRAMEWORK'; then bpf_framework=1; else bpf_framework=0; fi
echo "# systemd $(systemctl --version | head -1 | awk '{print $2}'), BPF_FRAMEWORK=$bpf_framework"

# A "LAN" address on a dummy interface, a "public" one on another, and TCP servers on
# 0.0.0.0 that answer every connection with "hello".
ip link add ssc-lan type dummy && ip addr add 10.77.0.1/24 dev ssc-lan && ip link set ssc-lan up
ip link add ssc-wan type dummy && ip addr add 203.0.113.1/24 dev ssc-wan && ip link set ssc-wan up
python3 - <<'EOF' &
import socket, threading
def serve(port):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(64)
    while True:
        c, _ = s.accept(); c.sendall(b"hello"); c.close()
def unix():
    s = socket.socket(socket.AF_UNIX)
    s.bind("/run/ssc-180.sock"); s.listen(8)
    while True:
        c, _ = s.accept(); c.sendall(b"hello"); c.close()
import os, sys
try: os.unlink("/run/ssc-180.sock")
except FileNotFoundError: pass
threading.Thread(target=unix, daemon=True).start()
serve(7777)
EOF
server=$!
for _ in $(seq 50); do [[ -S /run/ssc-180.sock ]] && break; sleep 0.1; done
chmod 666 /run/ssc-180.sock

# connect HOST: "hello" if a TCP connection to HOST:7777 got the greeting, else the error.
cat >/run/ssc-180-connect <<'EOF'
import socket, sys
try:
    if sys.argv[1] == "unix":
        s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect("/run/ssc-180.sock")
    else:
        s = socket.create_connection((sys.argv[1], 7777), timeout=3)
    print(s.recv(5).decode())
except OSError as e:
    print("failed:", e)
EOF
chmod 644 /run/ssc-180-connect
reach() { as_user "ssc -p $1 -- python3 /run/ssc-180-connect $2 2>&1"; }
expect_reach() { check_eq "$1: $2 is reachable" hello "$(reach "$1" "$2")"; }
expect_blocked() {
    local out
    out=$(reach "$1" "$2")
    if [[ $out == failed:* ]]; then pass "$1: $2 is blocked ($out)"; else fail "$1: $2 is blocked" "$out"; fi
}

# ---- offline: no IPv4 or IPv6 at all, loopback included; AF_UNIX still works.
expect_reach relaxed 127.0.0.1
expect_reach relaxed 10.77.0.1
expect_reach relaxed ::1
expect_blocked offline 127.0.0.1
expect_blocked offline ::1
expect_blocked offline 10.77.0.1
expect_reach offline unix
out=$(as_user 'ssc -p offline -- sh -c "findmnt -n -o FSTYPE /tmp; grep ^NoNewPrivs: /proc/self/status"')
check_contains "offline: strict's private /tmp" tmpfs "$out"
check_contains "offline: strict's NoNewPrivileges" "NoNewPrivs:	1" "$out"

# ---- the example profiles for networks: what is allowed connects, what is not does not.
example lan-only
example localhost-only
expect_reach lan-only 127.0.0.1
expect_reach lan-only 10.77.0.1
expect_blocked lan-only 203.0.113.1
expect_reach localhost-only 127.0.0.1
expect_reach localhost-only ::1
expect_blocked localhost-only 10.77.0.1
expect_blocked localhost-only 203.0.113.1

# ---- RestrictNetworkInterfaces and SocketBind*: enforced with BPF_FRAMEWORK, refused without.
# Sending a datagram out through ssc-lan (10.77.0.2 is not local) fails with EPERM when
# the interface filter drops it; the dummy device swallows it otherwise.
send='python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b\"x\", (\"10.77.0.2\", 9)); print(\"sent\")" 2>&1 | tail -1'
bind='python3 -c "import socket; socket.socket().bind((\"127.0.0.1\", 7788)); print(\"bound\")" 2>&1 | tail -1'
write only-lo '[Profile]\nRestrictNetworkInterfaces=lo\n'
write nobind '[Profile]\nSocketBindDeny=any\nSocketBindAllow=tcp:8000-8080\n'
example vpn-only
check_eq "relaxed: a datagram goes out through ssc-lan" sent "$(as_user "ssc -p relaxed -- sh -c '$send'")"
check_eq "relaxed: bind to port 7788 works" bound "$(as_user "ssc -p relaxed -- sh -c '$bind'")"
if ((bpf_framework)); then
    check_contains "RestrictNetworkInterfaces=lo: a datagram through ssc-lan is refused" \
        "PermissionError" "$(as_user "ssc -p only-lo -- sh -c '$send'")"
    expect_reach only-lo 127.0.0.1
    check_contains "vpn-only (lo wg0, no wg0 here): nothing leaves through ssc-lan" \
        "PermissionError" "$(as_user "ssc -p vpn-only -- sh -c '$send'")"
    check_contains "SocketBindDeny=any: bind to port 7788 is refused" "PermissionError" \
        "$(as_user "ssc -p nobind -- sh -c '$bind'")"
    check_eq "SocketBindAllow=tcp:8000-8080: bind to port 8080 works" bound \
        "$(as_user "ssc -p nobind -- sh -c '${bind//7788/8080}'")"
else
    for p in only-lo:RestrictNetworkInterfaces vpn-only:RestrictNetworkInterfaces \
        nobind:SocketBindAllow/SocketBindDeny; do
        refused "${p%%:*}" "no BPF_FRAMEWORK" "ssc: ${p#*:}: this systemd was built without BPF support"
    done
    check_contains "--list-profiles marks RestrictNetworkInterfaces as not enforceable here" \
        "RestrictNetworkInterfaces=lo    [cannot be enforced here: this systemd was built without BPF support]" \
        "$(as_user 'ssc --list-profiles')"
    check_contains "--dry-run marks it too" \
        "CANNOT BE ENFORCED HERE: RestrictNetworkInterfaces=lo wg0: this systemd was built without BPF support" \
        "$(as_user 'ssc --dry-run -p vpn-only -- true')"
fi

# ---- devices: DevicePolicy=strict with a DeviceAllow list.
mknod -m 666 /dev/ssc-listed c 1 8
mknod -m 666 /dev/ssc-unlisted c 1 9
write devs '[Profile]\nDevicePolicy=strict\nDeviceAllow=/dev/ssc-listed r\n'
# No shell redirection to /dev/null here: under DevicePolicy=strict it is not allowed.
open_dev='python3 -c "import sys; open(sys.argv[1], \"rb\").read(1); print(\"opened\")" /dev/ssc-$0 2>&1 | tail -1'
check_eq "relaxed: the unlisted node opens" opened "$(as_user "ssc -p relaxed -- sh -c '$open_dev' unlisted")"
check_eq "DevicePolicy=strict: the listed node opens" opened "$(as_user "ssc -p devs -- sh -c '$open_dev' listed")"
check_contains "DevicePolicy=strict: the unlisted node fails with EPERM" "Operation not permitted: '/dev/ssc-unlisted'" \
    "$(as_user "ssc -p devs -- sh -c '$open_dev' unlisted")"
example no-camera
mknod -m 666 /dev/ssc-video c 81 0
check_contains "no-camera: a video4linux node (81:0) fails with EPERM" "Operation not permitted: '/dev/ssc-video'" \
    "$(as_user "ssc -p no-camera -- sh -c '$open_dev' video")"
check_eq "no-camera: /dev/null still opens" opened "$(as_user "ssc -p no-camera -- sh -c 'head -c 0 /dev/null && echo opened'")"

# A device filter that does not attach: a device program attached to alice's slice
# without BPF_F_ALLOW_MULTI makes the kernel refuse systemd's attach to every scope below.
# systemd starts the scope anyway (best-effort); ssc must refuse.
# A scope of alice's keeps her slice, and its cgroup, in place meanwhile.
as_user 'ssc --no-tty -p relaxed -- sleep 120' >/dev/null 2>&1
slice=/sys/fs/cgroup/user.slice/user-1000.slice
if check "a non-multi device program attaches to user-1000.slice" "$SSC_SHARE/bin/bpf-exclusive" attach $slice; then
    refused devs "filter not attached" "ssc: DevicePolicy/DeviceAllow: systemd did not attach its sd_devices program"
    "$SSC_SHARE/bin/bpf-exclusive" detach $slice
    check_eq "after the detach the same profile runs again" opened \
        "$(as_user "ssc -p devs -- sh -c '$open_dev' listed")"
fi
systemctl stop 'ssc-relaxed-*.scope' 2>/dev/null
# A DeviceAllow group missing from /proc/devices: systemd attaches its program without
# it, so the profile is tighter, not looser: the listed node opens, the other does not.
write devgroup '[Profile]\nDevicePolicy=strict\nDeviceAllow=char-nosuchgroup rw\nDeviceAllow=/dev/ssc-listed r\n'
check_eq "DeviceAllow=char-nosuchgroup: the listed node still opens" opened \
    "$(as_user "ssc -p devgroup -- sh -c '$open_dev' listed")"
check_contains "DeviceAllow=char-nosuchgroup: the unlisted node still fails with EPERM" "Operation not permitted: '/dev/ssc-unlisted'" \
    "$(as_user "ssc -p devgroup -- sh -c '$open_dev' unlisted")"

# ---- I/O: direct writes under IOWriteBandwidthMax take at least what the limit implies.
write slowio '[Profile]\nIOWriteBandwidthMax=/home 2M\nIOReadBandwidthMax=/home 50M\n'
dd_time='s=$(date +%s.%N); dd if=/dev/zero of=$HOME/ssc-io bs=1M count=8 oflag=direct 2>/dev/null; e=$(date +%s.%N); rm -f $HOME/ssc-io; awk "BEGIN {print $e - $s}"'
t_limited=$(as_user "ssc -p slowio -- sh -c '$dd_time'")
t_free=$(as_user "ssc -p relaxed -- sh -c '$dd_time'")
echo "# 8 MiB of direct writes: ${t_free}s under relaxed, ${t_limited}s under IOWriteBandwidthMax=2M"
if awk -v t="$t_limited" 'BEGIN {exit !(t >= 3.5)}'; then
    pass "IOWriteBandwidthMax=/home 2M: 8 MiB of direct writes take at least 3.5 s (${t_limited}s)"
else
    fail "IOWriteBandwidthMax=/home 2M: 8 MiB of direct writes take at least 3.5 s" "took ${t_limited}s; relaxed ${t_free}s"
fi
disk=$(lsblk -dno MAJ:MIN "$(findmnt -n -o SOURCE --target /home)" | tr -d ' ')
check_contains "io.max of the scope has the disk's limits" "$disk rbps=50000000 wbps=2000000 riops=max wiops=max" \
    "$(as_user 'ssc -p slowio -- sh -c "cat /sys/fs/cgroup\$(cut -d: -f3 /proc/self/cgroup)/io.max"')"
example build
check_contains "build example: its I/O limits are in force" "rbps=200000000 wbps=100000000" \
    "$(as_user 'ssc -p build -- sh -c "cat /sys/fs/cgroup\$(cut -d: -f3 /proc/self/cgroup)/io.max; echo rc=\$?"')"
write badio '[Profile]\nIOWriteBandwidthMax=/dev/ssc-listed 1M\n'
refused badio "an I/O limit on a path with no block device" "ssc: IO limits: /dev/ssc-listed: no block device to limit"

# ---- AllowedCPUs: the affinity and cpuset.cpus.
write cpu1 '[Profile]\nAllowedCPUs=1\n'
check_eq "AllowedCPUs=1: the command's affinity is CPU 1" 1 \
    "$(as_user "ssc -p cpu1 -- awk '/^Cpus_allowed_list:/ {print \$2}' /proc/self/status")"
check_eq "AllowedCPUs=1: cpuset.cpus and cpuset.cpus.effective of the scope" "1 1" \
    "$(as_user 'ssc -p cpu1 -- sh -c "cd /sys/fs/cgroup\$(cut -d: -f3 /proc/self/cgroup); echo \$(cat cpuset.cpus cpuset.cpus.effective)"')"
write cpu7 '[Profile]\nAllowedCPUs=7\n'
refused cpu7 "AllowedCPUs=7 on a 2-CPU machine" "ssc: AllowedCPUs: "

# ---- MemoryLow/MemoryMin, ManagedOOM, RuntimeMaxSec.
write protect '[Profile]\nMemoryLow=64M\nMemoryMin=32M\nRuntimeMaxSec=3\n'
check_eq "MemoryLow=64M MemoryMin=32M in memory.low and memory.min" "67108864 33554432" \
    "$(as_user 'ssc -p protect -- sh -c "cd /sys/fs/cgroup\$(cut -d: -f3 /proc/self/cgroup); echo \$(cat memory.low memory.min)"')"
start=$(date +%s)
as_user 'ssc -p protect -- sleep 30' >/dev/null 2>&1
elapsed=$(($(date +%s) - start))
if ((elapsed < 15)); then pass "RuntimeMaxSec=3: systemd stopped a 30 s sleep after ${elapsed}s"; else fail "RuntimeMaxSec=3 stops the scope" "ran ${elapsed}s"; fi
example terminal
check_eq "terminal example (ManagedOOMPreference=avoid) runs with systemd-oomd installed" ok \
    "$(as_user 'ssc -p terminal -- echo ok 2>&1')"

# ---- --status shows each scope's network and device policy.
as_user 'ssc --no-tty -p offline -- sleep 20' >/dev/null 2>&1
as_user 'ssc --no-tty -p devs -- sleep 20' >/dev/null 2>&1
status=$(as_user 'ssc --status')
check_contains "--status: offline's IPAddressDeny" "IPAddressDeny=0.0.0.0/0 ::/0" "$status"
check_contains "--status: DevicePolicy and DeviceAllow" "DevicePolicy=strict, DeviceAllow=/dev/ssc-listed r" "$status"
check_contains "--status --json: the policy" '"policy":["IPAddressDeny=0.0.0.0/0 ::/0"]' "$(as_user 'ssc --status --json')"

# ---- from inside a scope, a network or device policy may not be dropped.
out=$(as_user 'ssc -p offline -- ssc -p strict -- python3 /run/ssc-180-connect 127.0.0.1 2>&1; echo rc=$?')
check_contains "offline -> strict (the same but for the network) is refused (125)" "rc=125" "$out"
check_contains "... because the network policy would be dropped" "its network policy differs" "$out"
check_eq "relaxed -> offline is allowed, and offline" "failed" \
    "$(as_user 'ssc -p relaxed -- ssc -p offline -- python3 /run/ssc-180-connect 127.0.0.1 2>&1 | cut -d: -f1')"

systemctl stop 'ssc-offline-*.scope' 'ssc-devs-*.scope' 2>/dev/null
kill $server 2>/dev/null
wait $server 2>/dev/null
ip link del ssc-lan
ip link del ssc-wan
rm -f /dev/ssc-listed /dev/ssc-unlisted /dev/ssc-video /run/ssc-180.sock /run/ssc-180-connect
for p in only-lo nobind vpn-only devs devgroup no-camera slowio build badio cpu1 cpu7 protect terminal lan-only localhost-only; do
    rm -f "$D/$p.conf"
done
