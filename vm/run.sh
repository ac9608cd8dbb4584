#!/bin/bash
# Host harness for the ssc VM end-to-end tests.
#
#   vm/run.sh SUITE [STAGING_DIR]        SUITE = bookworm | trixie
#
# Builds the cached image if needed (vm/build-image.sh), boots it under QEMU
# TCG on a throwaway qcow2 overlay with a 9p share holding vm/, the ssc .deb
# under test, the example profiles and an empty results/ directory, waits for
# the guest to run vm/guest/run-all.sh (which installs the .deb with dpkg -i,
# runs the scenarios and removes it with dpkg -r) and power off, then reports
# the guest's results.  Exit status 0 only if the guest completed and reported
# 0 failures.
#
# Environment:
#   SSC_DEB            package under test (default: the one
#                      <repo>/target/debian/ssc_*.deb; make deb builds it)
#   SSC_VM_TIMEOUT     wall-clock limit for the VM in seconds (default 3600)
#   SSC_VM_CACHE       image cache root (default /var/cache/ssc-vm)
#   SSC_VM_CONSOLE=1   also stream the guest console to stderr
#   SSC_VM_INTERACTIVE=1  boot without running the tests, console on stdio
#                      (log in as root, empty password; Ctrl-A X quits)
#   SSC_VM_APPEND      extra kernel command line arguments
#   SSC_VM_MEM / SSC_VM_SMP   guest RAM in MiB (2048) / CPUs (2)
# Passed on to the guest (via share/env, sourced by run-all.sh):
#   SSC_VM_SCENARIOS   space-separated globs of scenario names to run, e.g.
#                      "010-scope 09*" (default: all; 00-smoke always runs)
#   SSC_SCENARIO_TIMEOUT  per-scenario limit in the guest, seconds (300)
#   SSC_BENCH=1        also run the benchmark scenario (creates
#                      share/bench-requested); SSC_BENCH_RUNS is passed on
#
# STAGING_DIR (default <repo>/target/vm/SUITE) receives share/ (the 9p
# share, incl. share/results/ after the run) and the temporary overlay.
# The console log is <repo>/target/vm/SUITE-console.log, or
# STAGING_DIR/console.log when STAGING_DIR is given.
set -euo pipefail

die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'run.sh: %s\n' "$*" >&2; }
usage() { printf 'usage: %s bookworm|trixie [STAGING_DIR]\n' "$0" >&2; exit 2; }

[[ $# -ge 1 && $# -le 2 ]] || usage
SUITE=$1
case "$SUITE" in
    bookworm|trixie) ;;
    *) usage ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
CACHE=${SSC_VM_CACHE:-/var/cache/ssc-vm}
IMG_DIR=$CACHE/$SUITE
if [[ $# -eq 2 ]]; then
    STAGING=$2
    CONSOLE_LOG=$STAGING/console.log
else
    STAGING=$REPO/target/vm/$SUITE
    CONSOLE_LOG=$REPO/target/vm/$SUITE-console.log
fi
TIMEOUT=${SSC_VM_TIMEOUT:-3600}
INTERACTIVE=${SSC_VM_INTERACTIVE:-0}

[[ $TIMEOUT =~ ^[0-9]+$ && $TIMEOUT -gt 0 ]] || die "SSC_VM_TIMEOUT must be a positive number of seconds, got '$TIMEOUT'"
for tool in qemu-system-x86_64 qemu-img dpkg-deb; do
    command -v "$tool" >/dev/null || die "missing tool '$tool' (apt-get install qemu-system-x86 qemu-utils dpkg)"
done
[[ -z ${SSC_BIN:-} ]] || die "SSC_BIN is no longer used: the guest installs the .deb (run 'make deb', or set SSC_DEB=/path/to/ssc.deb)"
if [[ -z ${SSC_DEB:-} ]]; then
    shopt -s nullglob
    debs=("$REPO"/target/debian/ssc_*.deb)
    shopt -u nullglob
    [[ ${#debs[@]} -gt 0 ]] || die "package under test not found: no $REPO/target/debian/ssc_*.deb (run 'make deb' or set SSC_DEB=/path/to/ssc.deb)"
    [[ ${#debs[@]} -eq 1 ]] || die "several packages in $REPO/target/debian (${debs[*]##*/}); set SSC_DEB to the one to test"
    SSC_DEB=${debs[0]}
    # Guard against testing a stale package after a plain cargo build.
    for bin in ssc ssc-desktop; do
        if [[ $REPO/target/release/$bin -nt $SSC_DEB ]]; then
            die "target/release/$bin is newer than $SSC_DEB: run 'make deb' (or set SSC_DEB to test that package anyway)"
        fi
    done
fi
[[ -f $SSC_DEB ]] || die "package under test not found: $SSC_DEB (run 'make deb' or set SSC_DEB=/path/to/ssc.deb)"
pkg=$(dpkg-deb -f "$SSC_DEB" Package 2>/dev/null) || die "not a Debian package: $SSC_DEB"
[[ $pkg == ssc ]] || die "$SSC_DEB is package '$pkg', not ssc"

# ------------------------------------------------------------------ image
"$HERE/build-image.sh" "$SUITE"
for f in rootfs.img vmlinuz initrd.img; do
    [[ -s $IMG_DIR/$f ]] || die "image build did not produce $IMG_DIR/$f"
done

# ------------------------------------------------------------------ share
SHARE=$STAGING/share
OVERLAY=$STAGING/overlay.qcow2
RESULTS=$SHARE/results
mkdir -p "$STAGING" "$(dirname "$CONSOLE_LOG")"
rm -rf "$SHARE" "$OVERLAY"
mkdir -p "$SHARE/pkg" "$SHARE/examples" "$RESULTS"
cp -R "$HERE" "$SHARE/vm"
# The guest has no compiler: the C test helpers are built here, statically.
mkdir -p "$SHARE/bin"
for tool in bpf-exclusive kernel-probe; do
    cc -static -O2 -Wall -Werror -o "$SHARE/bin/$tool" "$HERE/guest/tools/$tool.c" ||
        die "cannot build vm/guest/tools/$tool.c (needs cc and a static libc: tools/install-deps.sh)"
done
install -m 0644 "$SSC_DEB" "$SHARE/pkg/"
# The image's dpkg leaves /usr/share/doc out; the package scenario tries these.
install -m 0644 "$REPO"/packaging/examples/*.conf "$SHARE/examples/"
install -m 0644 -D "$REPO"/packaging/dbus/deny-attach-processes.conf "$SHARE/dbus/deny-attach-processes.conf"
log "package under test: $SSC_DEB"
# Settings for the guest side.
for var in SSC_VM_SCENARIOS SSC_SCENARIO_TIMEOUT SSC_BENCH SSC_BENCH_RUNS; do
    if [[ -n ${!var:-} ]]; then
        printf 'export %s=%q\n' "$var" "${!var}"
    fi
done >"$SHARE/env"
if [[ ${SSC_BENCH:-0} == 1 ]]; then
    touch "$SHARE/bench-requested"
fi
: >"$CONSOLE_LOG"

# Copy-on-write overlay: the cached image is only ever read.
qemu-img create -q -f qcow2 -b "$IMG_DIR/rootfs.img" -F raw "$OVERLAY"

QEMU_PID=
TAIL_PID=
cleanup() {
    if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
        kill "$QEMU_PID" 2>/dev/null || true
        sleep 1
        kill -9 "$QEMU_PID" 2>/dev/null || true
    fi
    if [[ -n $TAIL_PID ]]; then
        kill "$TAIL_PID" 2>/dev/null || true
    fi
    rm -f "$OVERLAY"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

append="root=/dev/vda rw rootfstype=ext4 console=ttyS0 panic=-1 ${SSC_VM_APPEND:-}"
qemu=(
    qemu-system-x86_64
    -no-user-config -nodefaults
    -machine "q35,accel=tcg"
    -cpu max -smp "${SSC_VM_SMP:-2}" -m "${SSC_VM_MEM:-2048}"
    -kernel "$IMG_DIR/vmlinuz" -initrd "$IMG_DIR/initrd.img"
    -drive "file=$OVERLAY,format=qcow2,if=virtio,cache=unsafe,discard=unmap"
    -virtfs "local,path=$SHARE,mount_tag=share,security_model=none,id=share"
    -device virtio-rng-pci
    -nic none
    -display none
    -no-reboot
)

if [[ $INTERACTIVE == 1 ]]; then
    log "interactive boot of $SUITE (tests not started; Ctrl-A X quits)"
    "${qemu[@]}" -append "$append ssc.notest" -serial mon:stdio
    exit $?
fi

log "booting $SUITE under TCG (timeout ${TIMEOUT}s, console: $CONSOLE_LOG)"
start=$SECONDS
"${qemu[@]}" -append "$append" -serial "file:$CONSOLE_LOG" -monitor none &
QEMU_PID=$!
if [[ ${SSC_VM_CONSOLE:-0} == 1 ]]; then
    tail -n +1 -f --pid="$QEMU_PID" "$CONSOLE_LOG" >&2 &
    TAIL_PID=$!
fi

timed_out=0
while kill -0 "$QEMU_PID" 2>/dev/null; do
    if (( SECONDS - start >= TIMEOUT )); then
        timed_out=1
        log "timeout: VM still running after ${TIMEOUT}s, killing qemu"
        kill "$QEMU_PID" 2>/dev/null || true
        for _ in 1 2 3 4 5; do
            kill -0 "$QEMU_PID" 2>/dev/null || break
            sleep 1
        done
        kill -9 "$QEMU_PID" 2>/dev/null || true
        break
    fi
    sleep 0.5
done
qemu_rc=0
wait "$QEMU_PID" || qemu_rc=$?
QEMU_PID=
elapsed=$((SECONDS - start))

# ---------------------------------------------------------------- verdict
DONE=$RESULTS/$SUITE.done
if [[ $timed_out == 1 || ! -f $DONE ]]; then
    printf '\n----- last 60 console lines (%s) -----\n' "$CONSOLE_LOG" >&2
    tail -n 60 "$CONSOLE_LOG" >&2 || true
    printf -- '----- end of console -----\n' >&2
    if [[ -s $RESULTS/log ]]; then
        printf '\n----- partial guest results log -----\n' >&2
        cat "$RESULTS/log" >&2
        printf -- '----- end of results log -----\n' >&2
    fi
    why="qemu exited with status $qemu_rc after ${elapsed}s"
    [[ $timed_out == 1 ]] && why="timed out after ${TIMEOUT}s"
    die "VM suite $SUITE did not complete: VM failed to boot or the test runner died ($why; no $DONE)"
fi

printf '\n===== guest results log (%s) =====\n' "$RESULTS/log"
cat "$RESULTS/log"
printf '===== end of guest results log =====\n'

summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$RESULTS/log" | tail -n 1 || true)
[[ -n $summary ]] || die "VM suite $SUITE: no 'N passed, M failed' summary in $RESULTS/log"
failed=${summary#*passed, }
failed=${failed% failed}
log "$SUITE VM finished in ${elapsed}s; results in $RESULTS, console in $CONSOLE_LOG"
printf '%s: %s\n' "$SUITE" "$summary"
[[ $failed -eq 0 ]]
