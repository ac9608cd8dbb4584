# shellcheck shell=bash
# The environment arrives byte for byte, glibc's setuid-stripped variables included;
# non-UTF-8 arguments pass through; cwd and the caller's PATH are used.

# Spliced into the command line of the user's shell, which parses the quotes.
vars='LD_LIBRARY_PATH=/opt/nowhere LD_PRELOAD= TMPDIR=/tmp/t TZDIR=/z LOCPATH=/l NLSPATH=/n GCONV_PATH=/g MALLOC_TRACE=/m HOSTALIASES=/h RES_OPTIONS=ndots:1 LOCALDOMAIN=x TZ=UTC SPACES="a b" ODD=x=y=z'
direct=$(as_user "env -i $vars /usr/bin/env | od -c")
via=$(as_user "env -i $vars /usr/bin/ssc -p relaxed -- /usr/bin/env | od -c")
check_eq "relaxed: environment identical, byte for byte" "$direct" "$via"
via=$(as_user "env -i $vars /usr/bin/ssc -p strict -- /usr/bin/env | od -c")
check_eq "strict: environment identical, byte for byte" "$direct" "$via"
check_contains "LD_LIBRARY_PATH reached the command" "LD_LIBRARY_PATH=/opt/nowhere" \
    "$(as_user "env -i $vars /usr/bin/ssc -p strict -- /usr/bin/env")"
nonutf=$(as_user 'env -i NONUTF8="$(printf "\377\376")" /usr/bin/ssc -p relaxed -- /usr/bin/env | od -An -c | tr -s " "')
check_contains "non-UTF-8 value in the environment" "N O N U T F 8 = 377 376" "$nonutf"

bytes=$(as_user 'ssc -p relaxed -- printf "%s|%s" "$(printf "\377a\376")" "é" | od -An -tx1 | tr -d " \n"')
check_eq "non-UTF-8 arguments pass through" "ff61fe7cc3a9" "$bytes"

as_user 'mkdir -p "$HOME/work dir"'
check_eq "the working directory is kept" "/home/alice/work dir" \
    "$(as_user 'cd "$HOME/work dir" && ssc -p strict -- pwd')"

as_user 'mkdir -p $HOME/bin && printf "#!/bin/sh\necho mine\n" >$HOME/bin/mytool && chmod +x $HOME/bin/mytool'
check_eq "PATH lookup uses the caller's PATH" mine "$(as_user 'PATH=$HOME/bin:$PATH ssc -p strict -- mytool')"
out=$(as_user 'ssc -p strict -- mytool 2>&1; echo "rc=$?"')
check_contains "not on PATH: 127" "rc=127" "$out"
check_contains "...with a one-line message" "ssc: mytool: command not found" "$out"
as_user 'printf "data\n" >$HOME/notexec; chmod 644 $HOME/notexec'
out=$(as_user 'ssc -p strict -- $HOME/notexec 2>&1; echo "rc=$?"')
check_contains "found but not executable: 126" "rc=126" "$out"
check_contains "...naming the file" "ssc: /home/alice/notexec: cannot execute" "$out"
# A script without #!: run by /bin/sh with its arguments, as execvp runs it.
as_user 'printf "echo \"script \$0 \$1\"\nexit 7\n" >$HOME/noshebang; chmod 755 $HOME/noshebang'
out=$(as_user 'ssc -p relaxed -- ./noshebang "a b" 2>&1; echo "rc=$?"')
check_eq "a script without #!: /bin/sh runs it, and its status is ssc's" $'script ./noshebang a b\nrc=7' "$out"
out=$(as_user 'PATH=$HOME:$PATH ssc -p strict -- noshebang x 2>&1; echo "rc=$?"')
check_eq "...found on PATH too" $'script /home/alice/noshebang x\nrc=7' "$out"
