# shellcheck shell=bash
# Benchmark, not a test (make bench): what the file-system keys cost a launch. Side by
# side in one boot: strict as it was before ProtectSystem=full (PrivateTmp and
# NoNewPrivileges only), today's strict, and the firefox example (ProtectSystem=strict,
# ProtectHome=tmpfs and nine binds). alice is logged in (linger), as on a desktop.

[[ -e $SSC_SHARE/bench-requested ]] || return 0
out=$SSC_RESULTS/bench-fs-$SSC_SUITE
runs=${SSC_BENCH_RUNS:-60}
D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
loginctl enable-linger alice
for _ in $(seq 60); do systemctl -q is-active user@1000.service && break; sleep 0.5; done
cpus=$(nproc)
quota=$(((cpus > 1 ? cpus - 1 : 1) * 100))
cat >$D/oldstrict.conf <<CONF
[Profile]
MemoryMax=70%
CPUQuota=$quota%
PrivateTmp=yes
NoNewPrivileges=yes
CONF
install -o root -g root -m 0644 "$SSC_SHARE/examples/firefox.conf" $D/
chmod 644 $D/oldstrict.conf
as_user 'mkdir -p ~/.mozilla ~/.cache/mozilla ~/Downloads'

as_alice='setpriv --reuid=1000 --regid=1000 --init-groups --'
hyperfine -N --warmup 5 --runs "$runs" --export-json "$out.json" \
    "$as_alice ssc -p oldstrict -- true" \
    "$as_alice ssc -p strict -- true" \
    "$as_alice ssc -p firefox -- true" >"$out.txt" 2>&1
loginctl disable-linger alice
cat "$out.txt"
check "file-system benchmark produced results" test -s "$out.json"
