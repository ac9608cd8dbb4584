# shellcheck shell=bash
# Benchmark, not a test (make bench): what the seccomp filters cost a launch. Side by side
# in one boot: strict without its three filter-only keys (nofilter: the same mounts, the
# ProtectKernel* filters and the terminal filter), the built-in strict, and strict with
# every filter ssc has (bigfilter); then the same three under --dry-run, which compiles
# the filters and installs none. With hyperfine, then interleaved; and the time inside
# seccomp(2) under strace. alice is logged in (linger), as on a desktop.
# timeout: 900

[[ -e $SSC_SHARE/bench-requested ]] || return 0
out=$SSC_RESULTS/bench-seccomp-$SSC_SUITE
runs=${SSC_BENCH_RUNS:-60}
D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
loginctl enable-linger alice
for _ in $(seq 60); do systemctl -q is-active user@1000.service && break; sleep 0.5; done
cpus=$(nproc)
quota=$(((cpus > 1 ? cpus - 1 : 1) * 100))
# The built-in strict (src/profile/mod.rs) less LockPersonality, RestrictRealtime and
# RestrictSUIDSGID, the keys that are filters and nothing else.
cat >$D/nofilter.conf <<CONF
[Profile]
MemoryMax=70%
CPUQuota=$quota%
PrivateTmp=yes
NoNewPrivileges=yes
ProtectSystem=full
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
CONF
{
    cat $D/nofilter.conf
    cat <<CONF
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
RestrictNamespaces=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
CONF
} >$D/bigfilter.conf
chmod 644 $D/nofilter.conf $D/bigfilter.conf

as_alice='setpriv --reuid=1000 --regid=1000 --init-groups --'
# nofilter and strict differ in their filters only (same properties, mounts and drop),
# and strict's filters are nofilter's and three more.
dry() { as_user "ssc --dry-run -p $1 -- true" | sed 's/ at [^)]*)/)/; s/ ([^)]*\.conf:[0-9]*)\|(built-in [a-z]*)//'; }
filters() { dry "$1" | grep '^seccomp '; }
rest() { dry "$1" | grep -v '^profile \|^StartTransientUnit\|Description\|^seccomp '; }
check_eq "nofilter and strict differ in their filters only" "$(rest nofilter)" "$(rest strict)"
check_eq "strict's filters are nofilter's and three more" 3 \
    "$(($(filters strict | wc -l) - $(filters nofilter | wc -l)))"
filters bigfilter >"$out-filters.txt"
check "bigfilter has a SystemCallFilter" grep -q '^seccomp SystemCallFilter' "$out-filters.txt"

hyperfine -N --warmup 5 --runs "$runs" --export-json "$out.json" --export-csv "$out.csv" \
    "$as_alice ssc -p nofilter -- true" \
    "$as_alice ssc -p strict -- true" \
    "$as_alice ssc -p bigfilter -- true" \
    "$as_alice ssc --dry-run -p nofilter -- true" \
    "$as_alice ssc --dry-run -p strict -- true" \
    "$as_alice ssc --dry-run -p bigfilter -- true" >"$out.txt" 2>&1
cat "$out.txt"
check "seccomp benchmark produced results" test -s "$out.json"
# Medians, and each case against nofilter, launched or dry (python3-minimal has no json).
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
{
    name = $1; sub(/^.* -- ssc /, "ssc ", name); sub(/ -- true$/, "", name)
    base = name ~ /dry-run/ ? "dry" : "launch"
    if (!(base in b)) b[base] = $c["median"]
    printf "%s: median %.1f ms (mean %.1f ± %.1f, user+sys %.1f), ÷ nofilter %.3f\n", name,
        $c["median"] * 1000, $c["mean"] * 1000, $c["stddev"] * 1000,
        ($c["user"] + $c["system"]) * 1000, $c["median"] / b[base]
}' "$out.csv" | tee -a "$out.txt"

# hyperfine runs each command's runs in one block, so the host's load drifting between
# blocks moves whole medians. The same six again, interleaved: each round runs all six,
# in an order rotated every round, timed with $EPOCHREALTIME (no fork); then the median
# of each round's difference to nofilter.
cases=("-p nofilter" "-p strict" "-p bigfilter"
    "--dry-run -p nofilter" "--dry-run -p strict" "--dry-run -p bigfilter")
rm -f "$out-interleaved.txt" "$out-interleaved.err" "$out-install.txt" "$out-strace.txt"
for i in $(seq "$runs"); do
    for k in 0 1 2 3 4 5; do
        c=$(((i + k) % 6))
        t0=$EPOCHREALTIME
        # shellcheck disable=SC2086 # the options are split on purpose
        $as_alice ssc ${cases[c]} -- true >/dev/null 2>>"$out-interleaved.err" ||
            echo "round $i: ssc ${cases[c]} failed" >>"$out-interleaved.err"
        t1=$EPOCHREALTIME
        echo "$i $c $((${t1/./} - ${t0/./}))" >>"$out-interleaved.txt"
    done
done
check "interleaved launches all succeeded" test ! -s "$out-interleaved.err"
for c in 0 1 2 3 4 5; do
    b=$((c < 3 ? 0 : 3))
    # Each round's time of case c, and its difference to the round's nofilter; medians.
    awk -v c=$c -v b=$b '$2 == c { t[$1] = $3 } $2 == b { u[$1] = $3 }
        END { for (i in t) print t[i], t[i] - u[i] }' "$out-interleaved.txt" >/tmp/pairs
    m=$(cut -d' ' -f1 /tmp/pairs | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    d=$(cut -d' ' -f2 /tmp/pairs | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    awk -v n="ssc ${cases[c]}" -v bn="ssc ${cases[b]}" -v m="$m" -v d="$d" 'BEGIN {
        printf "interleaved: %s: median %.1f ms, median difference to %s %+.1f ms\n",
            n, m / 1000, bn, d / 1000 }'
done | tee -a "$out.txt"

# The installation alone: the time inside seccomp(2), from strace -T (an upper bound: it
# includes the stops for the tracer), summed over a launch. strace -u runs ssc as alice
# and, being root, keeps its setuid bit.
for p in nofilter strict bigfilter; do
    programs=$(dry "$p" | grep '^seccomp ' | grep -o '\(x86\|x32\|x86-64\) [0-9]*' | wc -l)
    for _ in $(seq 10); do
        env HOME=~alice USER=alice LOGNAME=alice strace -u alice -f -T -e trace=seccomp -o /tmp/strace.out ssc -p "$p" -- true
        # Only the calls that succeed: libseccomp probes the kernel's flags with a
        # seccomp(SECCOMP_SET_MODE_FILTER, FLAG, NULL) that fails with EFAULT.
        awk -F'[<>]' '/seccomp\(SECCOMP_SET_MODE_FILTER.*\) = 0 </ { n++; s += $(NF - 1) }
            END { printf "%d %d\n", n, s * 1e6 }' /tmp/strace.out
        cat /tmp/strace.out >>"$out-strace.txt"
    done >/tmp/installs
    check_eq "$p: strace sees one seccomp() per program" "$programs" \
        "$(cut -d' ' -f1 /tmp/installs | sort -u | paste -sd' ')"
    printf 'install: ssc -p %s: %d programs, seccomp() per launch median %d µs (of 10)\n' \
        "$p" "$programs" "$(cut -d' ' -f2 /tmp/installs | sort -n | sed -n 5p)" >>"$out-install.txt"
done
# What strace adds to a call: libseccomp's probes fail at once, in the same kind of call.
grep 'SECCOMP_SET_MODE_FILTER.* = -1 E' "$out-strace.txt" | sed 's/.*<\(.*\)>$/\1/' |
    sort -n | awk '{ a[NR] = $1 } END { printf "install: a probe that fails at once: median %d µs of %d\n",
        a[int((NR + 1) / 2)] * 1e6, NR }' >>"$out-install.txt"
tee -a "$out.txt" <"$out-install.txt"
loginctl disable-linger alice
rm -f $D/nofilter.conf $D/bigfilter.conf
