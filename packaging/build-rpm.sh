#!/bin/bash
# Builds the RPM from packaging/rpm/ssc.spec with rpmbuild, in target/rpm, and
# checks it with rpm -qlvp (make rpm).
#
# The source tarball is the working tree's files that git knows or would add
# (git ls-files -co --exclude-standard; in CI's fresh clone that is HEAD), plus,
# unless RPM_FROM_SOURCE=1, the release binaries and generated files that
# `make files` just made, so that the spec's `make files` finds them up to date
# instead of compiling everything again.
#
# Asserts: /usr/bin/ssc is -rwsr-xr-x root root; ssc-desktop -rwxr-xr-x root
# root; no other file is setuid or setgid; every file is root root; the man
# pages, completions, desktop files, examples (as docs) and license are there.
# Ends with "N passed, M failed" and fails if M > 0.
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
if ! rpmbuild -bb --nodeps "${defines[@]}" "$SPEC" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "rpmbuild failed; full log in $log"
fi
arch=$(rpm --eval '%{_arch}')
RPM=$TOP/RPMS/$arch/ssc-$VERSION-1.$arch.rpm
[[ -f $RPM ]] || die "rpmbuild did not produce $RPM (see $log)"
echo "build-rpm.sh: built $RPM"

# ------------------------------------------------------------------ checks
passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf 'FAIL %s: %s\n' "$1" "$2"; }
check_eq() { if [[ $2 == "$3" ]]; then ok "$1"; else bad "$1" "expected '$2', got '$3'"; fi; }

# "MODE LINKS OWNER GROUP SIZE MON DAY TIME PATH" -> "MODE OWNER GROUP PATH"
entries=$(rpm -qlvp "$RPM" | awk '{ print $1, $3, $4, $9 }')
entry() { awk -v p="$1" '$4 == p { print $1, $2, $3 }' <<<"$entries"; }
docdir=$(rpm --eval '%{_defaultdocdir}')/ssc
echo "== $RPM"
check_eq "/usr/bin/ssc is setuid root" "-rwsr-xr-x root root" "$(entry /usr/bin/ssc)"
check_eq "/usr/bin/ssc-desktop is 0755 root, not setuid" "-rwxr-xr-x root root" "$(entry /usr/bin/ssc-desktop)"
check_eq "no other setuid or setgid file" "" "$(awk '$4 != "/usr/bin/ssc" && $1 ~ /^...[sS]|^......[sS]/' <<<"$entries")"
check_eq "every file is root root" "" "$(awk '$2 != "root" || $3 != "root"' <<<"$entries")"
for f in /usr/share/man/man1/ssc.1 /usr/share/man/man5/ssc.profile.5; do
    check_eq "man page $f (compressed)" 1 "$(awk -v p="$f" 'index($4, p ".") == 1 && $1 ~ /^-rw-r--r--/' <<<"$entries" | wc -l)"
done
for f in /usr/share/bash-completion/completions/ssc /usr/share/zsh/site-functions/_ssc \
    /usr/share/fish/vendor_completions.d/ssc.fish; do
    check_eq "completion $f" "-rw-r--r-- root root" "$(entry "$f")"
done
shopt -s nullglob
for f in desktop/*.desktop; do
    check_eq "desktop file ${f##*/}" "-rw-r--r-- root root" "$(entry "/usr/share/applications/${f##*/}")"
done
for f in packaging/examples/*.conf; do
    check_eq "example ${f##*/}" "-rw-r--r-- root root" "$(entry "$docdir/examples/${f##*/}")"
done
docs=$(rpm -qdp "$RPM")
check_eq "examples are marked as docs" "$(find packaging/examples -name '*.conf' | wc -l)" \
    "$(grep -c "^$docdir/examples/.*\.conf$" <<<"$docs")"
check_eq "no config files" "" "$(rpm -qcp "$RPM")"
check_eq "license file" 1 "$(rpm -qLp "$RPM" | grep -c '/copyright$')"
requires=$(rpm -qRp "$RPM")
for dep in systemd dbus; do
    check_eq "Requires $dep" 1 "$(grep -cx "$dep" <<<"$requires")"
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
