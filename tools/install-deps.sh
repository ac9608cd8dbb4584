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
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    --allow-downgrades "${need[@]}" >/dev/null
for tool in cc qemu-system-x86_64 qemu-img mmdebstrap dbus-daemon shellcheck rpmbuild groff zsh fish; do
    have "$tool" || { echo "install-deps: $tool is still missing after installing ${need[*]}" >&2; exit 1; }
done
