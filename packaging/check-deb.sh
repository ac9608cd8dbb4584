#!/bin/bash
# Checks a built ssc .deb without installing it (make deb runs this).
#
#   packaging/check-deb.sh target/debian/ssc_VERSION_ARCH.deb
#
# Asserts, from dpkg-deb -c and the control data: /usr/bin/ssc is
# -rwsr-xr-x root/root; ssc-desktop is 0755 and not set-user-ID; no other
# file is set-user-ID or set-group-ID; every file is root/root; the man pages
# (gzipped), completions, desktop files, example profiles and copyright are
# where Debian looks for them; the control file is right; nothing is a
# conffile.  TAP output (tools/check.sh); ends with "N passed, M failed" and fails if
# M > 0.
set -uo pipefail

[[ $# -eq 1 && -f $1 ]] || { echo "usage: $0 PACKAGE.deb" >&2; exit 2; }
DEB=$1
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/check.sh
. "$REPO/tools/check.sh"

listing=$(dpkg-deb -c "$DEB") || { echo "dpkg-deb -c $DEB failed" >&2; exit 1; }
# "MODE OWNER/GROUP SIZE DATE TIME ./PATH" -> "MODE OWNER/GROUP /PATH"
entries=$(awk '{ p = $6; sub(/^\./, "", p); print $1, $2, p }' <<<"$listing")
entry() { awk -v p="$1" '$3 == p { print $1, $2 }' <<<"$entries"; }

echo "== $DEB"
check_eq "/usr/bin/ssc is setuid root" "-rwsr-xr-x root/root" "$(entry /usr/bin/ssc)"
check_eq "/usr/bin/ssc-desktop is 0755 root, not setuid" "-rwxr-xr-x root/root" "$(entry /usr/bin/ssc-desktop)"
others=$(awk '$3 != "/usr/bin/ssc" && $1 ~ /^...[sS]|^......[sS]/' <<<"$entries")
check_eq "no other setuid or setgid file" "" "$others"
check_eq "every entry is root/root" "" "$(awk '$2 != "root/root"' <<<"$entries")"
check_eq "no world-writable entry" "" "$(awk '$1 ~ /^l/ { next } $1 ~ /w.$|w[tT]$/' <<<"$entries")"

for f in /usr/share/man/man1/ssc.1.gz /usr/share/man/man5/ssc.profile.5.gz \
    /usr/share/bash-completion/completions/ssc /usr/share/zsh/vendor-completions/_ssc \
    /usr/share/fish/vendor_completions.d/ssc.fish /usr/share/doc/ssc/copyright \
    /usr/share/doc/ssc/changelog.Debian.gz; do
    check_eq "$f is 0644 root" "-rw-r--r-- root/root" "$(entry "$f")"
done
shopt -s nullglob
for f in "$REPO"/desktop/*.desktop; do
    check_eq "desktop file ${f##*/}" "-rw-r--r-- root/root" "$(entry "/usr/share/applications/${f##*/}")"
done
examples=("$REPO"/packaging/examples/*.conf)
if [[ ${#examples[@]} -ge 2 ]]; then ok "at least two example profiles"; else not_ok "example profiles" "${#examples[@]} in packaging/examples"; fi
for f in "${examples[@]}"; do
    check_eq "example ${f##*/} is a doc" "-rw-r--r-- root/root" "$(entry "/usr/share/doc/ssc/examples/${f##*/}")"
done
check_eq "the D-Bus policy is a doc, not installed" "-rw-r--r-- root/root" "$(entry /usr/share/doc/ssc/deny-attach-processes.conf)"
check_eq "nothing under /etc" "" "$(awk '$3 ~ /^\/etc\// && $3 != "/etc/"' <<<"$entries")"
check_eq "no uncompressed man page" "" "$(awk '$3 ~ /^\/usr\/share\/man\/.*[^z\/]$/' <<<"$entries")"

version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$REPO/Cargo.toml" | head -n 1)
check_eq "Package" ssc "$(dpkg-deb -f "$DEB" Package)"
check_eq "Version is Cargo.toml's" "$version" "$(dpkg-deb -f "$DEB" Version)"
check_eq "Architecture is dpkg's" "$(dpkg --print-architecture)" "$(dpkg-deb -f "$DEB" Architecture)"
depends=$(dpkg-deb -f "$DEB" Depends)
for dep in libc6 libseccomp2 systemd dbus; do
    if [[ ", $depends," == *", $dep"[\ ,]* ]]; then ok "Depends on $dep"; else not_ok "Depends on $dep" "Depends: $depends"; fi
done
if [[ $(dpkg-deb -f "$DEB" Installed-Size) =~ ^[0-9]+$ ]]; then ok "Installed-Size"; else not_ok "Installed-Size" "missing"; fi
control_files=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -t | sed 's|^\./||' | grep -v '^$' | LC_ALL=C sort | xargs)
check_eq "control members (no conffiles, no maintainer scripts)" "control md5sums" "$control_files"

tap_done
