# shellcheck shell=bash
# Compliance with systemd-run: for every profile key, the same setting given to
# `systemd-run --scope -p KEY=VALUE` and to ssc through a profile reads back identically
# in `systemctl show`. This pins ssc's translation (properties.rs) to systemd's own.

D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
# KEY=VALUE and the property systemctl shows for it.
cases=(
    "MemoryMax=300M MemoryMax"
    "MemoryMax=40% MemoryMax"
    "MemoryMax=infinity MemoryMax"
    "MemoryHigh=200M MemoryHigh"
    "MemoryHigh=30% MemoryHigh"
    "MemorySwapMax=0 MemorySwapMax"
    "MemorySwapMax=10% MemorySwapMax"
    "CPUQuota=150% CPUQuotaPerSecUSec"
    "CPUQuota=20% CPUQuotaPerSecUSec"
    "CPUQuota=12.5% CPUQuotaPerSecUSec"
    "CPUWeight=50 CPUWeight"
    "IOWeight=300 IOWeight"
    "TasksMax=77 TasksMax"
    "TasksMax=10% TasksMax"
    "TasksMax=infinity TasksMax"
)
i=0
for c in "${cases[@]}"; do
    read -r kv prop <<<"$c"
    i=$((i + 1))
    printf '[Profile]\n%s\n' "$kv" >$D/compl.conf && chmod 644 $D/compl.conf
    as_user 'ssc --no-tty -p compl -- sleep 6'
    systemd-run --scope -q --unit="ssc-compliance-ref-$i" -p "$kv" --uid=1000 --gid=1000 sleep 6 &
    sleep 2
    unit=$(systemctl list-units --plain --no-legend 'ssc-compl-*.scope' | awk '{print $1}' | head -1)
    ours=$(systemctl show -P "$prop" "$unit" 2>&1)
    theirs=$(systemctl show -P "$prop" "ssc-compliance-ref-$i.scope" 2>&1)
    if [[ -n $unit && -n $theirs && $ours == "$theirs" ]]; then
        pass "$kv: $prop is $ours through ssc and systemd-run"
    else
        fail "$kv: $prop agrees with systemd-run" "ssc ($unit): '$ours', systemd-run: '$theirs'"
    fi
    # Both scopes end with their sleep, well before the next case's.
    wait
    sleep 1
done
rm -f $D/compl.conf
