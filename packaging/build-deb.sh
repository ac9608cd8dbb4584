#!/bin/bash
# Builds the Debian package from the release binaries and generated files that
# `make files` produced, using the Makefile's own install rule.
#
#   packaging/build-deb.sh target/debian/ssc_VERSION_ARCH.deb     (make deb)
#
# The tree is staged as whoever runs this; dpkg-deb --root-owner-group makes
# every file root:root in the package, and install keeps ssc's mode 4755.
# Needs dpkg-deb, dpkg-shlibdeps (dpkg-dev) and gzip.
set -euo pipefail

die() { printf 'build-deb.sh: error: %s\n' "$*" >&2; exit 1; }
[[ $# -eq 1 ]] || { echo "usage: $0 OUT.deb" >&2; exit 2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(realpath -m "$1")
cd "$REPO"
for tool in dpkg-deb dpkg-shlibdeps dpkg gzip; do
    command -v "$tool" >/dev/null || die "missing tool '$tool' (apt-get install dpkg-dev)"
done

VERSION=${VERSION:?the Makefile passes VERSION (make deb, make rpm)}
ARCH=$(dpkg --print-architecture)
[[ -n $VERSION ]] || die "no version in Cargo.toml"
MAINTAINER="ssc developers <dev@ssc.invalid>"

umask 022
WORK=$(dirname "$OUT")/build
ROOT=$WORK/root
rm -rf "$WORK"
mkdir -p "$ROOT/DEBIAN"

# Debian's zsh looks for packaged completions in vendor-completions.
make --no-print-directory install DESTDIR="$ROOT" PREFIX=/usr \
    zshcompdir=/usr/share/zsh/vendor-completions >"$WORK/install.log" 2>&1 ||
    { cat "$WORK/install.log" >&2; die "make install into $ROOT failed"; }

# Policy: man pages and the changelog are gzipped (-n: no name or time stamp).
find "$ROOT/usr/share/man" -type f -exec gzip -9n {} +
install -m 0644 packaging/copyright "$ROOT/usr/share/doc/ssc/copyright"
changed=$(git log -1 --format=%cD 2>/dev/null || date -R)
printf 'ssc (%s) unstable; urgency=medium\n\n  * Built from the ssc repository with make deb.\n\n -- %s  %s\n' \
    "$VERSION" "$MAINTAINER" "$changed" | gzip -9n >"$ROOT/usr/share/doc/ssc/changelog.Debian.gz"
chmod 0644 "$ROOT/usr/share/doc/ssc/changelog.Debian.gz"

# Shared-library dependencies of the two binaries (libc6, libgcc-s1), as debhelper
# would compute them; dpkg-shlibdeps wants a debian/control beside it.
mkdir -p "$WORK/src/debian"
printf 'Source: ssc\n\nPackage: ssc\nArchitecture: any\n' >"$WORK/src/debian/control"
shlibs=$(cd "$WORK/src" && dpkg-shlibdeps -O -e"$ROOT/usr/bin/ssc" -e"$ROOT/usr/bin/ssc-desktop" 2>"$WORK/shlibdeps.log") ||
    { cat "$WORK/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
shlibs=${shlibs#shlibs:Depends=}
[[ -n $shlibs ]] || die "dpkg-shlibdeps found no dependencies"

size=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: ssc
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $size
Depends: $shlibs, systemd, dbus
Section: admin
Priority: optional
Description: run a command in a transient systemd scope chosen by a profile
$(sed 's/^$/./; s/^/ /' packaging/description.txt)
CONTROL
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
    xargs -0 md5sum) >"$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/md5sums"

rm -f "$OUT"
dpkg-deb --root-owner-group --build "$ROOT" "$OUT" >/dev/null
echo "build-deb.sh: built $OUT"
