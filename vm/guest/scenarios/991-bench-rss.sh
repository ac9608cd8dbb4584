# shellcheck shell=bash
# Benchmark, not a test (make bench): the peak RSS of the launcher itself, the largest of
# 20 runs each, from GNU time's %M (the kernel's ru_maxrss, which keeps the peak of a
# process across exec, so the launcher's and not `true`'s), through the same wrapper.

[[ -e $SSC_SHARE/bench-requested ]] || return 0
out=$SSC_RESULTS/bench-$SSC_SUITE-rss.txt
loginctl enable-linger alice
for _ in $(seq 60); do systemctl -q is-active user@1000.service && break; sleep 0.5; done
peak() { # NAME CMD...
    local name=$1 max=0 kib
    shift
    for _ in $(seq 20); do
        kib=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1)
        [[ $kib =~ ^[0-9]+$ ]] && ((kib > max)) && max=$kib
    done
    printf '%s KiB peak RSS: %s\n' "$max" "$name"
}
{
    peak ssc setpriv --reuid=1000 --regid=1000 --init-groups -- ssc -p relaxed -- true
    peak systemd-run setpriv --reuid=0 --regid=0 --keep-groups -- systemd-run --scope -q \
        --slice=user-1000.slice -p MemoryMax=70% --uid=1000 --gid=1000 true
    peak "true (the wrapper alone)" setpriv --reuid=1000 --regid=1000 --init-groups -- true
} >"$out" 2>&1
loginctl disable-linger alice
cat "$out"
check "RSS benchmark produced results" grep -q 'KiB peak RSS: ssc' "$out"
