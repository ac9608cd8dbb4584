# shellcheck shell=bash
# Benchmark, not a test (make bench): what the seccomp filters cost a launch. Side by side
# in one boot: strict without its three filter-only keys (nofilter: the same mounts, the
# ProtectKernel* filters and the terminal filter), the built-in strict, and strict with
# every filter ssc has (bigfilter); then the same three under --dry-run, which compiles
# the filters and installs none. alice is logged in (linger), as on a desktop.
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
loginctl disable-linger alice
rm -f $D/nofilter.conf $D/bigfilter.conf
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
