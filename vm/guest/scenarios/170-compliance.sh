# shellcheck shell=bash
# Compliance with systemd-run: for every profile key, the same setting given to
# `systemd-run --scope -p KEY=VALUE` and to ssc through a profile reads back identically
# in `systemctl show`. This pins ssc's translation (properties.rs) to systemd's own.
# All cases run at once: each ssc scope is started detached, each reference in the
# background. Their commands sleep far longer than the reading takes, however slow the
# machine, and are stopped at the end.

D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
if systemctl --version | grep -q -- '+BPF_FRAMEWORK'; then bpf_framework=1; else bpf_framework=0; fi
# KEY=VALUE|the property systemctl shows for it.
cases=(
    "MemoryMax=300M|MemoryMax"
    "MemoryMax=40%|MemoryMax"
    "MemoryMax=infinity|MemoryMax"
    "MemoryHigh=200M|MemoryHigh"
    "MemoryHigh=30%|MemoryHigh"
    "MemorySwapMax=0|MemorySwapMax"
    "MemorySwapMax=10%|MemorySwapMax"
    "MemoryLow=100M|MemoryLow"
    "MemoryLow=5%|MemoryLow"
    "MemoryMin=50M|MemoryMin"
    "MemoryMin=2.5%|MemoryMin"
    "CPUQuota=150%|CPUQuotaPerSecUSec"
    "CPUQuota=20%|CPUQuotaPerSecUSec"
    "CPUQuota=12.5%|CPUQuotaPerSecUSec"
    "CPUWeight=50|CPUWeight"
    "AllowedCPUs=1|AllowedCPUs"
    "AllowedCPUs=0-1|AllowedCPUs"
    "IOWeight=300|IOWeight"
    "IOReadBandwidthMax=/dev/vda 5M|IOReadBandwidthMax"
    "IOWriteBandwidthMax=/home 1G|IOWriteBandwidthMax"
    "IOReadIOPSMax=/dev/vda 1000|IOReadIOPSMax"
    "IOWriteIOPSMax=/dev/vda 2K|IOWriteIOPSMax"
    "TasksMax=77|TasksMax"
    "TasksMax=10%|TasksMax"
    "TasksMax=infinity|TasksMax"
    "IPAddressDeny=any|IPAddressDeny"
    "IPAddressAllow=localhost|IPAddressAllow"
    "IPAddressAllow=link-local|IPAddressAllow"
    "IPAddressDeny=multicast|IPAddressDeny"
    "IPAddressAllow=10.0.0.0/8 192.168.1.7 fd00::/8|IPAddressAllow"
    "SocketBindDeny=any|SocketBindDeny"
    "SocketBindAllow=ipv4:tcp:8000-8080|SocketBindAllow"
    "SocketBindAllow=udp:53|SocketBindAllow"
    "RestrictNetworkInterfaces=lo ssc-none|RestrictNetworkInterfaces"
    "RestrictNetworkInterfaces=~ssc-none|RestrictNetworkInterfaces"
    "DevicePolicy=closed|DevicePolicy"
    "DevicePolicy=strict|DevicePolicy"
    "DeviceAllow=/dev/null rw|DeviceAllow"
    "DeviceAllow=char-drm r|DeviceAllow"
    "ManagedOOMMemoryPressure=kill|ManagedOOMMemoryPressure"
    "ManagedOOMMemoryPressureLimit=40%|ManagedOOMMemoryPressureLimit"
    "ManagedOOMPreference=avoid|ManagedOOMPreference"
    "RuntimeMaxSec=1h 30min|RuntimeMaxUSec"
)
# What systemd cannot enforce without BPF_FRAMEWORK, ssc refuses (180 checks why).
needs_bpf_framework() { [[ $1 == SocketBind* || $1 == RestrictNetworkInterfaces* ]]; }

refs=()
for i in "${!cases[@]}"; do
    IFS='|' read -r kv prop <<<"${cases[$i]}"
    printf '[Profile]\n%s\n' "$kv" >"$D/compl$i.conf" && chmod 644 "$D/compl$i.conf"
    as_user "ssc --no-tty -p compl$i -- sleep 900" >"/run/ssc-compl$i.out" 2>&1
    echo "rc=$?" >>"/run/ssc-compl$i.out"
    if [[ $kv == RestrictNetworkInterfaces=* ]]; then
        # systemd-run cannot set it on a scope ("Unknown assignment"): the reference is
        # the property as systemd itself takes it, (bas), through busctl.
        value=${kv#*=}
        allow=true
        [[ $value == "~"* ]] && allow=false && value=${value#"~"}
        read -ra names <<<"$value"
        setpriv --reuid=1000 --regid=1000 --init-groups sleep 900 &
        refs+=($!)
        busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
            org.freedesktop.systemd1.Manager StartTransientUnit 'ssa(sv)a(sa(sv))' \
            "ssc-compliance-ref-$i.scope" fail 2 PIDs au 1 "$!" \
            RestrictNetworkInterfaces '(bas)' "$allow" "${#names[@]}" "${names[@]}" 0 >/dev/null
    else
        systemd-run --scope -q --unit="ssc-compliance-ref-$i" -p "$kv" --uid=1000 --gid=1000 sleep 900 &
        refs+=($!)
    fi
done
# The references start in the background: wait for each, with a deadline.
for i in "${!cases[@]}"; do
    wait_until 120 systemctl is-active -q "ssc-compliance-ref-$i.scope"
done
# ssc names its scopes ssc-PROFILE-PID-RANDOM.scope: case i's is ssc-compl$i-….
declare -A unit_of
for u in $(systemctl list-units --plain --no-legend 'ssc-compl[0-9]*.scope' | awk '{print $1}'); do
    n=${u#ssc-compl}
    unit_of[${n%%-*}]=$u
done

for i in "${!cases[@]}"; do
    IFS='|' read -r kv prop <<<"${cases[$i]}"
    out=$(cat "/run/ssc-compl$i.out")
    theirs=$(systemctl show -P "$prop" "ssc-compliance-ref-$i.scope" 2>&1)
    if needs_bpf_framework "$kv" && ((!bpf_framework)); then
        check_contains "$kv: refused by ssc (125) where systemd lacks BPF_FRAMEWORK" "rc=125" "$out"
        if [[ -n $theirs ]]; then
            pass "$kv: systemd itself takes it silently ($prop=$theirs), without enforcing it"
        else
            fail "$kv: systemd itself takes it" "systemctl show -P $prop: '$theirs'"
        fi
        continue
    fi
    unit=${unit_of[$i]:-}
    ours=$(systemctl show -P "$prop" "$unit" 2>&1)
    if [[ -n $unit && -n $theirs && $ours == "$theirs" ]]; then
        pass "$kv: $prop is $ours through ssc and systemd-run"
    else
        fail "$kv: $prop agrees with systemd-run" "ssc ($unit): '$ours', systemd-run: '$theirs'"$'\n'"$out"
    fi
done

systemctl stop 'ssc-compl*.scope' 'ssc-compliance-ref-*.scope' 2>/dev/null
kill "${refs[@]}" 2>/dev/null
wait
for i in "${!cases[@]}"; do
    rm -f "$D/compl$i.conf" "/run/ssc-compl$i.out"
done
