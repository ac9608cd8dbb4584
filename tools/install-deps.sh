#!/bin/bash
# Installs what `make check` needs from Debian's packages, if it is missing.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
# Together: a machine may ship a newer qemu-utils (a backport) that Debian's
# qemu-system-x86 conflicts with, and installing one alone would remove the other.
have qemu-system-x86_64 && have qemu-img || need+=(qemu-system-x86 qemu-utils)
have mmdebstrap || need+=(mmdebstrap)
have mkfs.ext4 || need+=(e2fsprogs)
have dbus-daemon || need+=(dbus-daemon)
# ssc links libseccomp (src/seccomp/libseccomp.rs).
[[ -e /usr/include/seccomp.h ]] || need+=(libseccomp-dev)
# The VM's BPF test helper is built with the host's C compiler, statically.
have cc && [[ -e /usr/include/linux/bpf.h ]] && { [[ -e /usr/lib/x86_64-linux-gnu/libc.a ]] || [[ -e /usr/lib64/libc.a ]]; } ||
    need+=(gcc libc6-dev linux-libc-dev)
have shellcheck || need+=(shellcheck)
# Packaging: make deb (dpkg-shlibdeps), make rpm (rpmbuild), lint of the desktop files.
have dpkg-shlibdeps || need+=(dpkg-dev)
have rpmbuild || need+=(rpm)
have desktop-file-validate || need+=(desktop-file-utils)
# ssc-gen's tests: groff checks the man pages, zsh and fish run the completions.
have groff || need+=(groff-base)
have zsh || need+=(zsh)
have fish || need+=(fish)
[[ ${#need[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
    exit 1
fi
echo "install-deps: installing ${need[*]}" >&2
# A freshly booted machine may be running unattended-upgrades: wait for apt's and
# dpkg's locks (up to 10 minutes) instead of failing at once. apt-get install waits for
# dpkg's lock by itself (DPkg::Lock::Timeout); apt-get update (apt 2.6) does not wait for
# the lists lock, so it is tried again while that lock is what failed.
lock=(-o DPkg::Lock::Timeout=600)
deadline=$((SECONDS + 600))
until err=$(apt-get "${lock[@]}" update -qq 2>&1 >/dev/null); do
    if [[ $err != *'Could not get lock'* || $SECONDS -ge $deadline ]]; then
        printf '%s\n' "$err" >&2
        exit 1
    fi
    sleep 5
done
# qemu-utils at exactly qemu-system-x86's version: apt never downgrades by itself, and a
# fresh machine here ships a backported qemu-utils that Debian's qemu-system-x86 breaks.
for i in "${!need[@]}"; do
    if [[ ${need[$i]} == qemu-utils ]]; then
        version=$(apt-cache policy qemu-system-x86 | sed -n 's/^ *Candidate: *//p')
        [[ -n $version && $version != '(none)' ]] && need[i]=qemu-utils=$version
    fi
done
DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -qq --no-install-recommends \
    --allow-downgrades "${need[@]}" >/dev/null
for tool in cc qemu-system-x86_64 qemu-img mmdebstrap dbus-daemon shellcheck rpmbuild groff zsh fish; do
    have "$tool" || { echo "install-deps: $tool is still missing after installing ${need[*]}" >&2; exit 1; }
done
