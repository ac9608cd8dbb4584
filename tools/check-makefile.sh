#!/bin/bash
# tools/check-makefile.sh (make lint): every $(shell …) that make runs while it reads the
# Makefile may call only tools a fresh Debian already has. make reads the Makefile before
# `make deps` installs anything, so a parse-time `rpm --eval` on a fresh machine expands
# to nothing and broke the first `make check` (issue 15).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
# Essential on every Debian: coreutils (id, head), sed, findutils, dpkg.
allowed=' id sed find dpkg head '
call="\$(shell "
bad=0
n=0
while IFS= read -r line; do
    n=$((n + 1))
    # Recipe lines run when their target is built, after deps; comments never run.
    [[ $line == $'\t'* || $line == '#'* ]] && continue
    rest=$line
    while [[ $rest == *"$call"* ]]; do
        rest=${rest#*"$call"}
        # The first word of the command and of each command piped into.
        read -ra tools < <(sed -E 's/\).*//; s/(^|\|) *([^ |]+)[^|]*/\2 /g' <<<"$rest")
        for tool in "${tools[@]}"; do
            if [[ $allowed != *" $tool "* ]]; then
                echo "Makefile:$n: \$(shell $tool …) runs when make reads the Makefile, before \`make deps\` can install $tool" >&2
                bad=1
            fi
        done
    done
done <Makefile
[[ $bad -eq 0 ]] && echo "check-makefile: every parse-time \$(shell …) calls only:$allowed"
exit "$bad"
