# shellcheck shell=bash
# Same uid, gid and supplementary groups as the caller; no capabilities in any set.

ids='printf "%s|%s|%s\n" "$(id -u)" "$(id -g)" "$(id -G | tr " " "\n" | sort -n | tr "\n" " ")"'
outside=$(as_user "$ids")
for p in strict relaxed; do
    check_eq "$p: uid, gid and groups are the caller's" "$outside" "$(as_user "ssc -p $p -- sh -c '$ids'")"
done
check_contains "the caller has the supplementary group ssctest" "$(getent group ssctest | cut -d: -f3)" "$outside"

# A caller whose primary group was changed with sg keeps it.
sg_out=$(as_user "sg ssctest -c 'ssc -p relaxed -- id -gn'")
check_eq "sg ssctest: gid stays ssctest" ssctest "$sg_out"

caps='grep -E "^Cap(Inh|Prm|Eff|Amb):" /proc/self/status | tr -s "\t " " "'
want='CapInh: 0000000000000000
CapPrm: 0000000000000000
CapEff: 0000000000000000
CapAmb: 0000000000000000'
for p in strict relaxed; do
    check_eq "$p: no capabilities in any set" "$want" "$(as_user "ssc -p $p -- sh -c '$caps'")"
done
check_eq "real, effective, saved and fs uids are all 1000" "1000 1000 1000 1000" \
    "$(as_user 'ssc -p strict -- awk "/^Uid:/ {print \$2, \$3, \$4, \$5}" /proc/self/status')"
gid=$(id -g alice)
check_eq "and so are the gids" "$gid $gid $gid $gid" \
    "$(as_user 'ssc -p strict -- awk "/^Gid:/ {print \$2, \$3, \$4, \$5}" /proc/self/status')"

# Running as root is refused: root would keep its capabilities.
out=$(ssc -p relaxed -- true 2>&1; echo "rc=$?")
check_contains "root caller is refused with 125" "rc=125" "$out"
