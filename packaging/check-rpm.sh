#!/bin/bash
# Checks a built ssc RPM without installing it (make rpm runs this).
#
#   packaging/check-rpm.sh target/rpm/RPMS/ARCH/ssc-VERSION-1.ARCH.rpm
#
# Asserts: /usr/bin/ssc is -rwsr-xr-x root root; ssc-desktop -rwxr-xr-x root
# root; no other file is setuid or setgid; every file is root root; the man
# pages, completions, desktop files, examples (as docs) and license are there.
# TAP output (tools/check.sh); ends with "N passed, M failed" and fails if M > 0.
set -uo pipefail

[[ $# -eq 1 && -f $1 ]] || { echo "usage: $0 PACKAGE.rpm" >&2; exit 2; }
RPM=$1
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
# shellcheck source=tools/check.sh
. "$REPO/tools/check.sh"


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

tap_done
