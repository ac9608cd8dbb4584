# shellcheck shell=bash
# No fd that ssc opened reaches the command; the caller's own fds do, as with exec.

# The glob's own directory fd shows up too, so compare with the same listing run directly.
list='for f in /proc/$$/fd/*; do printf "%s " "${f##*/}"; done'
direct=$(as_user "sh -c '$list'")
check_eq "baseline: a plain shell sees 0 1 2 and its glob's fd" "0 1 2 3 " "$direct"
check_eq "strict: no fd beyond the caller's" "$direct" "$(as_user "ssc -p strict -- sh -c '$list'")"
check_eq "relaxed: no fd beyond the caller's" "$direct" "$(as_user "ssc -p relaxed -- sh -c '$list'")"
check_eq "an fd the caller passes (7) is kept" "$(as_user "sh -c '$list' 7</etc/hostname")" \
    "$(as_user "ssc -p strict -- sh -c '$list' 7</etc/hostname")"
# exec>, not a redirection on the loop, which dash would implement by saving fd 1 as fd 10.
as_user "rm -f \$HOME/fds; ssc --no-tty -p strict -- sh -c 'exec >\$HOME/fds; $list'"
for _ in $(seq 20); do [[ -s /home/alice/fds ]] && break; sleep 0.5; done
check_eq "detached: no fd beyond 0 1 2" "$direct" "$(cat /home/alice/fds 2>&1)"
# With fd 2 closed, ssc must not write its error into a file it opened.
out=$(as_user 'ssc -p nosuchprofile -- true 2>&-; echo "rc=$?"')
check_eq "closed stderr: ssc still fails cleanly" "rc=125" "$out"
