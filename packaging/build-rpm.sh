#!/bin/bash
# Builds the RPM from packaging/rpm/ssc.spec with rpmbuild, in target/rpm, and writes
# its path to target/rpm/built (make rpm,
# which then checks it with packaging/check-rpm.sh). The spec's %description is
# packaging/description.txt, the same text as the .deb's.
#
# The source tarball is the working tree's files that git knows or would add
# (git ls-files -co --exclude-standard; in CI's fresh clone that is HEAD), plus,
# unless RPM_FROM_SOURCE=1, the release binaries and generated files that
# `make files` just made, so that the spec's `make files` finds them up to date
# instead of compiling everything again.
set -euo pipefail

die() { printf 'build-rpm.sh: error: %s\n' "$*" >&2; exit 1; }
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
for tool in rpmbuild rpm git tar; do
    command -v "$tool" >/dev/null || die "missing tool '$tool' (apt-get install rpm)"
done

VERSION=${VERSION:?the Makefile passes VERSION (make deb, make rpm)}
SPEC=packaging/rpm/ssc.spec
spec_version=$(sed -n 's/^Version: *//p' "$SPEC")
[[ $spec_version == "$VERSION" ]] ||
    die "$SPEC has Version: $spec_version but Cargo.toml has $VERSION; update the spec (and its %changelog)"

TOP=$REPO/target/rpm
rm -rf "$TOP"
mkdir -p "$TOP/SOURCES"

# The tarball, with everything under ssc-VERSION/.
list=$TOP/files
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done >"$list"
if [[ ${RPM_FROM_SOURCE:-0} != 1 ]]; then
    for f in target/release/ssc target/release/ssc-desktop target/gen/ssc.1 \
        target/gen/ssc.bash target/gen/_ssc target/gen/ssc.fish; do
        [[ -f $f ]] || die "$f is missing: run make files first"
        printf '%s\0' "$f"
    done >>"$list"
fi
tar --create --gzip --file "$TOP/SOURCES/ssc-$VERSION.tar.gz" --null --files-from "$list" \
    --transform "s|^|ssc-$VERSION/|" --owner=0 --group=0 --numeric-owner

# Debian's rpm has an empty package database, so BuildRequires cannot be
# checked (--nodeps). Its brp-compress uses bash's `read -d` under #!/bin/sh
# (dash), so run it with bash, or the man pages stay uncompressed. Cargo uses
# the caller's CARGO_HOME and never updates the lock file (--locked).
log=$TOP/rpmbuild.log
brp_compress=$(rpm --eval '%{?__brp_compress}')
defines=(--define "_topdir $TOP")
if [[ $brp_compress == /* && $(head -n 1 "${brp_compress%% *}" 2>/dev/null) == '#!/bin/sh' ]]; then
    defines+=(--define "__brp_compress /bin/bash $brp_compress")
fi
# The spec with the shared description in place of its @DESCRIPTION@ line.
spec=$TOP/ssc.spec
awk -v desc=packaging/description.txt \
    '$0 == "@DESCRIPTION@" { while ((getline line < desc) > 0) print line; next } { print }' \
    "$SPEC" >"$spec"
if ! rpmbuild -bb --nodeps "${defines[@]}" "$spec" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "rpmbuild failed; full log in $log"
fi
arch=$(rpm --eval '%{_arch}')
RPM=$TOP/RPMS/$arch/ssc-$VERSION-1.$arch.rpm
[[ -f $RPM ]] || die "rpmbuild did not produce $RPM (see $log)"
printf '%s\n' "$RPM" >"$TOP/built"
echo "build-rpm.sh: built $RPM"
