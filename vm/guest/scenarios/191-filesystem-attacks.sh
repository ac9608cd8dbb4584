# shellcheck shell=bash
# The caller against the filesystem keys: symbolic links planted where a profile's path
# points, paths swapped while ssc launches, a working directory inside a hidden path, a
# mount point raced while ssc makes it, and launching again to loosen ProtectSystem or
# ProtectHome. Each must fail closed (exit 125, one ssc: line, the command not run) or
# keep the protection. Each profile is first shown to work without the attack, so that a
# profile ssc refuses for another reason cannot pass for a protection.
# timeout: 600

TOOLS=$SSC_SHARE/vm/guest/tools
# shellcheck source=vm/guest/tools/fs-fixtures.sh
. "$TOOLS/fs-fixtures.sh"
D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
write() { printf '%b' "$2" >"$D/$1.conf"; chmod 644 "$D/$1.conf"; }
H=/home/alice
fs_fixtures_make || fail "fixtures" "could not set up the fixtures (linger, /run/user/1000)"

# launch PROFILE DIR [COMMAND...]: as alice, from DIR, ssc -p PROFILE -- COMMAND (by default
# echo COMMAND-RAN). Sets rc, out (stdout) and err (stderr).
launch() {
    local p=$1 d=$2
    shift 2
    (($#)) || set -- echo COMMAND-RAN
    out=$(as_user 'p=$1 d=$2; shift 2; cd "$d" && exec ssc -p "$p" -- "$@"' "$p" "$d" "$@" \
        2>/run/ssc-test/191.err)
    rc=$?
    err=$(cat /run/ssc-test/191.err)
}

# closed LABEL NEEDLE...: the last launch failed closed: 125, exactly one line, an ssc:
# one, holding every NEEDLE (a|b: either), and the command did not run.
closed() {
    local label=$1 n bad=
    shift
    ((rc == 125)) || bad+="exit $rc, not 125"$'\n'
    [[ $(grep -c . <<<"$err") -eq 1 && $err == "ssc: "* ]] || bad+="not one ssc: line"$'\n'
    for n; do
        [[ $err == *"${n%%|*}"* || $err == *"${n#*|}"* ]] || bad+="the line does not say '$n'"$'\n'
    done
    [[ $out != *COMMAND-RAN* ]] || bad+="the command ran"$'\n'
    if [[ -z $bad ]]; then
        pass "$label: fails closed: $err"
    else
        fail "$label: fails closed" "${bad}stdout: $out"$'\n'"stderr: $err"
    fi
}

# ran LABEL: the last launch ran its command (which echoes COMMAND-RAN).
ran() {
    if ((rc == 0)) && [[ $out == *COMMAND-RAN* ]]; then
        pass "$1"
    else
        fail "$1" "exit $rc"$'\n'"stdout: $out"$'\n'"stderr: $err"
    fi
}

# --- A symbolic link planted where ReadWritePaths points, to lift the read-only mount
# from what it points to (/etc/ssc-probe is alice's: only the mount keeps her out).
write atk-rw '[Profile]\nProtectSystem=strict\nProtectHome=read-only\nReadWritePaths=%h/dl\n'
as_user 'mkdir -p dl'
launch atk-rw / sh -c 'touch /home/alice/dl/ok && echo COMMAND-RAN'
ran "control: ProtectSystem=strict + ReadWritePaths=%h/dl, a real ~/dl is writable"
as_user 'rm -rf dl && ln -s /etc/ssc-probe dl'
launch atk-rw / sh -c 'touch /etc/ssc-probe/pwned; echo COMMAND-RAN'
closed "ReadWritePaths=%h/dl, ~/dl -> /etc/ssc-probe" "$D/atk-rw.conf:4" "%h/dl|$H/dl"
check "...and /etc/ssc-probe was not written" test ! -e /etc/ssc-probe/pwned
write atk-rw2 '[Profile]\nProtectHome=read-only\nReadWritePaths=%h/dl\n'
as_user 'rm -f dl && ln -s /etc dl'
launch atk-rw2 /
closed "ProtectHome=read-only + ReadWritePaths=%h/dl, ~/dl -> /etc" "$D/atk-rw2.conf:3" "%h/dl|$H/dl"
as_user 'rm -f dl'

# --- InaccessiblePaths where the caller made the path a symbolic link.
write atk-ssh '[Profile]\nInaccessiblePaths=%h/.ssh\n'
launch atk-ssh / sh -c 'cat /home/alice/.ssh/id_test; echo COMMAND-RAN'
ran "control: InaccessiblePaths=%h/.ssh runs"
check_eq "control: ...and hides ~/.ssh" "" "$(grep SECRET-KEY <<<"$out")"
as_user 'mv .ssh .ssh-real && ln -s .ssh-real .ssh'
launch atk-ssh / sh -c 'cat /home/alice/.ssh/id_test; echo COMMAND-RAN'
closed "InaccessiblePaths=%h/.ssh, ~/.ssh -> ~/.ssh-real" "$D/atk-ssh.conf:2" "%h/.ssh|$H/.ssh"
as_user 'rm .ssh && mv .ssh-real .ssh'

# --- The working directory inside a hidden path: the command would start in what the
# profile hides.
as_user 'mkdir -p .ssh/sub'
launch atk-ssh "$H/.ssh"
closed "InaccessiblePaths=%h/.ssh, run from ~/.ssh" "$H/.ssh"
launch atk-ssh "$H/.ssh/sub"
closed "InaccessiblePaths=%h/.ssh, run from ~/.ssh/sub" "$H/.ssh"
as_user 'rmdir .ssh/sub'

# --- ~/dl swapped between a real directory and a symbolic link to ~/.ssh while ssc
# launches: each launch fails closed, or ~/.ssh stays hidden, through ~/dl too, and
# whatever it writes lands in the real directory.
write atk-race '[Profile]\nProtectHome=read-only\nInaccessiblePaths=%h/.ssh\nReadWritePaths=%h/dl\n'
as_user 'mkdir -p dl'
launch atk-race / sh -c 'touch /home/alice/dl/ok && echo COMMAND-RAN'
ran "control: ProtectHome=read-only + InaccessiblePaths=%h/.ssh + ReadWritePaths=%h/dl"
as_user 'mv dl dl.d && ln -s /home/alice/.ssh dl.l'
rm -f /run/ssc-probe/stop
swapper() { # the loop, bounded in time, stopped by /run/ssc-probe/stop
    as_user 'exec timeout 300 sh -c "cd /home/alice; while [ ! -e /run/ssc-probe/stop ]; do
        mv -T dl.d dl; mv -T dl dl.d; mv -T dl.l dl; mv -T dl dl.l; done" 2>/dev/null'
}
swapper &
loop=$!
refused=0 held=0 bad=
for i in $(seq 30); do
    launch atk-race / sh -c "cat $H/.ssh/id_test $H/dl/id_test 2>/dev/null
        touch $H/dl/w-$i 2>/dev/null && echo WROTE; echo COMMAND-RAN"
    if ((rc == 125)) && [[ $err == "ssc: "* && $out != *COMMAND-RAN* ]]; then
        refused=$((refused + 1))
    elif ((rc == 0)) && [[ $out == *COMMAND-RAN* && $out != *SECRET-KEY* ]]; then
        held=$((held + 1))
    else
        bad+="launch $i: exit $rc, stdout: $out, stderr: $err"$'\n'
    fi
done
touch /run/ssc-probe/stop
wait $loop
if [[ -z $bad ]]; then
    pass "race: ~/dl swapped with a link to ~/.ssh: 30 launches, $refused failed closed, $held kept ~/.ssh hidden"
else
    fail "race: ~/dl swapped with a link to ~/.ssh: every launch fails closed or keeps ~/.ssh hidden" "$bad"
fi
check_eq "...nothing was written into ~/.ssh" "id_test" "$(ls -A $H/.ssh)"
check_eq "...nor anywhere but the real directory" "" \
    "$(find $H -name 'w-*' ! -path "$H/dl.d/*" ! -path "$H/dl/*" 2>&1)"
check_eq "...and the key is intact" "SECRET-KEY" "$(cat $H/.ssh/id_test)"
as_user 'rm -rf dl dl.d dl.l'
rm -f /run/ssc-probe/stop

# --- A mount point ssc must make (~/mnt is missing) while alice keeps putting a symbolic
# link to /etc in its way: the bind lands in her own directory or nowhere, never in /etc.
write atk-mnt '[Profile]\nBindPaths=/srv/ssc-probe/data:%h/mnt/x\n'
as_user 'mkdir -p mnt/x'
launch atk-mnt / sh -c 'cat /home/alice/mnt/x/data-marker && echo COMMAND-RAN'
ran "control: BindPaths=/srv/ssc-probe/data:%h/mnt/x onto an existing ~/mnt/x"
as_user 'rm -rf mnt'
mounter() {
    as_user 'exec timeout 300 sh -c "cd /home/alice; while [ ! -e /run/ssc-probe/stop ]; do
        ln -s /etc mnt; rm -f mnt || rm -rf mnt; done" 2>/dev/null'
}
mounter &
loop=$!
refused=0 held=0 bad=
for i in $(seq 30); do
    launch atk-mnt / sh -c "test -e /etc/x && echo ETC-X; cat $H/mnt/x/data-marker; echo COMMAND-RAN"
    if ((rc == 125)) && [[ $err == "ssc: "* && $out != *COMMAND-RAN* ]]; then
        refused=$((refused + 1))
    elif ((rc == 0)) && [[ $out == *COMMAND-RAN* && $out != *ETC-X* ]]; then
        held=$((held + 1))
    else
        bad+="launch $i: exit $rc, stdout: $out, stderr: $err"$'\n'
    fi
done
touch /run/ssc-probe/stop
wait $loop
if [[ -z $bad ]]; then
    pass "race: ~/mnt raced with a link to /etc: 30 launches, $refused failed closed, $held bound into ~"
else
    fail "race: ~/mnt raced with a link to /etc: every launch fails closed or binds into ~" "$bad"
fi
check "...nothing was made in /etc" test ! -e /etc/x
check_eq "...and all ssc made in ~ is alice's" "" "$(find $H/mnt ! -user alice 2>/dev/null)"
as_user 'rm -rf mnt'
rm -f /run/ssc-probe/stop

# --- Launching again from a protected scope may not loosen ProtectSystem or ProtectHome.
# Every such profile implies NoNewPrivileges, so the inner ssc runs without its
# set-user-ID root: the check of the outer scope's profile comes first all the same.
# Each has relaxed's MemoryMax, so that only the key under test can be looser.
write atk-strict '[Profile]\nMemoryMax=70%\nProtectSystem=strict\n'
write atk-full '[Profile]\nMemoryMax=70%\nProtectSystem=full\n'
write atk-strict-rw '[Profile]\nMemoryMax=70%\nProtectSystem=strict\nReadWritePaths=/usr/local/share/ssc-probe\n'
write atk-home '[Profile]\nMemoryMax=70%\nProtectHome=read-only\n'
nested() { # OUTER INNER: sets rc, out, err as launch does, for OUTER -> INNER
    launch "$1" / sh -c 'echo OUTER; ssc -p "$1" -- touch /usr/local/share/ssc-probe/nested "$2/nested"
        echo "rc=$?"' sh "$2" "$H"
}
for pair in "atk-strict relaxed ProtectSystem" "atk-strict atk-full ProtectSystem" \
    "atk-strict atk-strict-rw ReadWritePaths" "atk-home relaxed ProtectHome"; do
    read -r outer inner key <<<"$pair"
    nested "$outer" "$inner"
    if [[ $out == OUTER*rc=125 && $err == *"refusing profile '$inner' inside a scope of profile '$outer'"*"$key"* ]]; then
        pass "$outer -> $inner: refused (125), naming $key"
    else
        fail "$outer -> $inner: refused (125), naming $key" "exit $rc"$'\n'"stdout: $out"$'\n'"stderr: $err"
    fi
done
check "...and nothing was written" sh -c "! test -e /usr/local/share/ssc-probe/nested && ! test -e $H/nested"
# Equal: not refused as looser (without set-user-ID root, it may fail for that alone).
launch atk-strict / sh -c 'ssc -p atk-strict -- echo INNER 2>&1; echo "rc=$?"; echo COMMAND-RAN'
if [[ $out == *COMMAND-RAN* && $out != *"refusing profile"* ]] &&
    [[ $out == *INNER*rc=0* || $out == *"no_new_privs"*rc=125* ]]; then
    pass "atk-strict -> atk-strict: not refused as looser ($(grep -c INNER <<<"$out") ran)"
else
    fail "atk-strict -> atk-strict: not refused as looser" "exit $rc"$'\n'"stdout: $out"$'\n'"stderr: $err"
fi
# Stricter from a scope without NoNewPrivileges: runs, and is strict.
launch relaxed / ssc -p atk-strict -- sh -c 'echo COMMAND-RAN; touch /usr/local/share/ssc-probe/nested 2>&1; exit 0'
ran "relaxed -> atk-strict: runs"
check_contains "relaxed -> atk-strict: ...with ProtectSystem=strict" "Read-only file system" "$out"
check "relaxed -> atk-strict: ...and nothing was written" test ! -e /usr/local/share/ssc-probe/nested

for p in atk-rw atk-rw2 atk-ssh atk-race atk-mnt atk-strict atk-full atk-strict-rw atk-home; do
    rm -f "$D/$p.conf"
done
rm -f /run/ssc-test/191.err
fs_fixtures_remove
