#!/bin/bash
# Build (or reuse) the cached VM image for the ssc end-to-end test bed.
#
#   vm/build-image.sh SUITE        SUITE = bookworm | trixie
#
# Output, in ${SSC_VM_CACHE:-/var/cache/ssc-vm}/SUITE/:
#   rootfs.img   raw, sparse ext4 image (never modified by run.sh)
#   vmlinuz      kernel copied out of the rootfs
#   initrd.img   initramfs copied out of the rootfs
#   key          hash of the recipe this image was built from
#   versions     kernel / systemd package versions in the image
#
# The cache is keyed on a hash of this script, of everything under vm/image/
# (the customize hook it runs), of the suite and of the mirror.  Editing the
# recipe therefore rebuilds; an unchanged recipe reuses the image.  The build
# happens in a temporary directory that is renamed into place only when it
# is complete, so an interrupted build never leaves a half image behind.
#
# Environment:
#   SSC_VM_CACHE   cache root (default /var/cache/ssc-vm)
#   SSC_VM_MIRROR  Debian mirror URL (default: the host's own, see host_mirror)
#   SSC_VM_FORCE   set to 1 to rebuild even if the cache is valid
set -euo pipefail

die() { printf 'build-image.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'build-image.sh: %s\n' "$*" >&2; }

usage() { printf 'usage: %s bookworm|trixie\n' "$0" >&2; exit 2; }

[[ $# -eq 1 ]] || usage
SUITE=$1
case "$SUITE" in
    bookworm|trixie) ;;
    *) usage ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${SSC_VM_CACHE:-/var/cache/ssc-vm}

# The Debian mirror the host's apt is configured with: the first URI whose path
# ends in /debian, from the URIs: fields of enabled stanzas in
# /etc/apt/sources.list.d/*.sources, then from the deb/deb-src lines of
# /etc/apt/sources.list and /etc/apt/sources.list.d/*.list.  A trailing slash
# is dropped.  Prints nothing if there is none.
host_mirror() (
    shopt -s nullglob
    {
        for f in /etc/apt/sources.list.d/*.sources; do
            awk 'BEGIN { RS = ""; FS = "\n" }
                {
                    k = 0; off = 0
                    for (i = 1; i <= NF; i++) {
                        line = $i
                        if (line ~ /^[ \t]*#/) continue
                        if (tolower(line) ~ /^enabled:[ \t]*no[ \t]*$/) off = 1
                        if (tolower(line) ~ /^uris:/) {
                            sub(/^[^:]*:/, "", line)
                            m = split(line, more, /[ \t]+/)
                            for (j = 1; j <= m; j++) if (more[j] != "") uris[++k] = more[j]
                        }
                    }
                    if (!off) for (j = 1; j <= k; j++) print uris[j]
                }' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [[ -f $f ]] || continue
            awk '$1 == "deb" || $1 == "deb-src" {
                    i = 2
                    if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
                    print $i
                }' "$f"
        done
    } | sed 's|/*$||' | grep -m 1 -E '^[a-z][a-z0-9+.-]*://[^/]+(/.*)?/debian$' || true
)
MIRROR=${SSC_VM_MIRROR:-$(host_mirror)}
[[ -n $MIRROR ]] || die "no Debian mirror found in the host's apt sources (a URIs: field in /etc/apt/sources.list.d/*.sources or a deb line in /etc/apt/sources.list{,.d/*.list} whose path ends in /debian); set SSC_VM_MIRROR=URL"
DEST=$CACHE/$SUITE
IMAGE_SIZE=3G

# Packages on top of --variant=minbase.  Edit freely: the cache key covers
# this file, so the image is rebuilt on the next run.
PACKAGES=(
    systemd systemd-sysv dbus dbus-user-session udev libpam-systemd
    linux-image-amd64 initramfs-tools kmod
    sudo passwd login procps util-linux bsdutils psmisc
    coreutils findutils grep gawk iproute2
    python3-minimal hyperfine time systemd-oomd strace
    libglib2.0-bin desktop-file-utils
    firefox-esr fonts-dejavu-core
)

# ---------------------------------------------------------------- cache key
recipe_key() (
    {
        printf 'suite=%s\nmirror=%s\nsize=%s\n' "$SUITE" "$MIRROR" "$IMAGE_SIZE"
        # Contents and repo-relative names only, so that any checkout of the
        # same recipe (e.g. CI's fresh clone) shares the cached image.
        # Everything the build reads from the repo lives in vm/image/.
        cd "$HERE"
        sha256sum build-image.sh
        find image -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    } | sha256sum | cut -c1-16
)
KEY=$(recipe_key)

cache_valid() {
    [[ -f $DEST/key && $(cat "$DEST/key") == "$KEY" &&
       -s $DEST/rootfs.img && -s $DEST/vmlinuz && -s $DEST/initrd.img ]]
}

if [[ ${SSC_VM_FORCE:-0} != 1 ]] && cache_valid; then
    log "$SUITE image is up to date ($DEST, key $KEY)"
    exit 0
fi

# ---------------------------------------------------------------- checks
[[ $(id -u) -eq 0 ]] || die "building the $SUITE image needs root (mmdebstrap runs in root mode to create device nodes, setuid files and root-owned files); re-run as root, e.g. sudo $0 $SUITE"
for tool in mmdebstrap mkfs.ext4 flock findmnt sha256sum; do
    command -v "$tool" >/dev/null || die "missing tool '$tool' (apt-get install mmdebstrap e2fsprogs util-linux coreutils)"
done

mkdir -p "$CACHE"
exec 9>"$CACHE/.$SUITE.lock"
flock 9
# Another build may have finished while we waited for the lock.
if [[ ${SSC_VM_FORCE:-0} != 1 ]] && cache_valid; then
    log "$SUITE image is up to date ($DEST, key $KEY)"
    exit 0
fi

# Remove a build directory safely: never descend into mount points that a
# killed mmdebstrap may have left behind (proc, sys, dev binds).
remove_tree() {
    local dir=$1 mnt
    [[ -e $dir ]] || return 0
    findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r |
        while read -r mnt; do umount -l "$mnt" || true; done
    rm -rf --one-file-system "$dir"
}

# Leftovers from interrupted builds (we hold the lock, so nobody uses them).
for stale in "$CACHE/.$SUITE".tmp.* "$CACHE/.$SUITE".old.*; do
    [[ -e $stale ]] && { log "removing stale $stale"; remove_tree "$stale"; }
done

TMP=$(mktemp -d "$CACHE/.$SUITE.tmp.XXXXXX")
chmod 755 "$TMP"
trap 'remove_tree "$TMP"' EXIT
trap 'exit 130' INT TERM

DEBS=$CACHE/debs/$SUITE
mkdir -p "$DEBS"

log "building $SUITE image (key $KEY) in $TMP"
start=$SECONDS
include=$(IFS=,; printf '%s' "${PACKAGES[*]}")
rootfs=$TMP/rootfs

# The .deb cache ($DEBS) only speeds up rebuilds; it does not change what
# ends up in the image and is therefore not part of the key.
# shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell
SSC_VM_SUITE=$SUITE mmdebstrap \
    --mode=root \
    --variant=minbase \
    --components=main \
    --include="$include" \
    --aptopt='Acquire::Languages "none"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --skip=essential/unlink \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
    --setup-hook="sync-in $DEBS /var/cache/apt/archives" \
    --customize-hook="$HERE/image/customize.sh" \
    --customize-hook="sync-out /var/cache/apt/archives $DEBS" \
    "$SUITE" "$rootfs" "deb $MIRROR $SUITE main"
log "mmdebstrap done in $((SECONDS - start)) s"

# mmdebstrap's reproducible cleanup empties /etc/machine-id, which systemd
# treats as "first boot".  Every test boot starts from a fresh overlay, so a
# fixed id is fine and avoids first-boot units.
printf '%s\n' "$(printf 'ssc-vm-%s' "$SUITE" | md5sum | cut -c1-32)" >"$rootfs/etc/machine-id"

# Copy the kernel and initramfs out (exactly one kernel is installed).
shopt -s nullglob
kernels=("$rootfs"/boot/vmlinuz-*)
initrds=("$rootfs"/boot/initrd.img-*)
shopt -u nullglob
[[ ${#kernels[@]} -eq 1 ]] || die "expected exactly one kernel in $rootfs/boot, found ${#kernels[@]}"
[[ ${#initrds[@]} -eq 1 ]] || die "expected exactly one initrd in $rootfs/boot, found ${#initrds[@]}"
cp "${kernels[0]}" "$TMP/vmlinuz"
cp "${initrds[0]}" "$TMP/initrd.img"

{
    printf 'suite=%s\n' "$SUITE"
    printf 'kernel=%s\n' "${kernels[0]##*/vmlinuz-}"
    # shellcheck disable=SC2016 # dpkg-query format, not a shell expansion
    printf 'systemd=%s\n' "$(chroot "$rootfs" dpkg-query -W -f '${Version}' systemd)"
    printf 'built=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$TMP/versions"

# mkfs.ext4 -d copies ownership, modes (incl. setuid bits), hard links,
# device nodes and extended attributes (file capabilities) from the tree.
log "creating ext4 image ($IMAGE_SIZE, sparse)"
truncate -s "$IMAGE_SIZE" "$TMP/rootfs.img"
mkfs.ext4 -q -F -L sscroot -E root_owner=0:0 -d "$rootfs" "$TMP/rootfs.img"
remove_tree "$rootfs"

printf '%s\n' "$KEY" >"$TMP/key"

# Swap into place.  A valid cache dir only ever appears via this rename.
if [[ -e $DEST ]]; then
    mv "$DEST" "$CACHE/.$SUITE.old.$$"
fi
mv "$TMP" "$DEST"
trap - EXIT
remove_tree "$CACHE/.$SUITE.old.$$"
log "$SUITE image ready in $DEST after $((SECONDS - start)) s: $(tr '\n' ' ' <"$DEST/versions")"
