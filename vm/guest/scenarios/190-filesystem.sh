# shellcheck shell=bash
# The filesystem keys against systemd's own executor: for each case, fs-probe.py runs as
# alice in a service that systemd-run gives the same keys (systemd builds the namespace)
# and under ssc with a profile holding them. What each sees of ~40 paths (stat, read,
# write, the mount's flags) must be the same, but for the known differences below.
# The outputs go to results/190-filesystem/ (NN.keys, NN.systemd, NN.ssc).
# timeout: 900

TOOLS=$SSC_SHARE/vm/guest/tools
# shellcheck source=vm/guest/tools/fs-fixtures.sh
. "$TOOLS/fs-fixtures.sh"
D=/etc/ssc/profiles.d
mkdir -p $D && chmod 755 /etc/ssc $D
OUT=$SSC_RESULTS/190-filesystem
rm -rf "$OUT" && mkdir -p "$OUT"

# One case a line: the profile's keys, separated by |, as ssc takes them (with the caller's
# specifiers); then, after " > ", what systemd's side must show, separated by ";": "PATH
# FIELD=VALUE" (a field of the probe's line for PATH) or "refused" (the launch fails).
# Those keep the reference itself honest: two broken sides would otherwise agree.
cases=(
    " > /etc/ssc-probe/file write=ok; /usr/local/share/ssc-probe/dir write=ok"
    "NoNewPrivileges=yes > /home/alice/.ssh/id_test read=ok"
    "PrivateTmp=yes > /tmp/ssc-probe stat=ENOENT; /var/tmp/ssc-probe stat=ENOENT"
    "ProtectSystem=no > /usr/local/share/ssc-probe/file write=ok"
    "ProtectSystem=yes > /usr/local/share/ssc-probe/file write=EROFS; /boot write=EROFS; /etc/ssc-probe/file write=ok"
    "ProtectSystem=full > /etc/ssc-probe/file write=EROFS; /etc/ssc-probe/dir write=EROFS; /var/lib/ssc-probe/file write=ok"
    # strict leaves /home, /root and /run/user to ProtectHome (systemd's table has them
    # read-write), and /dev, /proc and /sys to the keys ssc does not have.
    "ProtectSystem=strict > /var/lib/ssc-probe/dir write=EROFS; /srv/ssc-probe write=EROFS; /tmp write=EROFS; /run/ssc-probe write=EROFS; /home/alice/src write=ok; /run/user/1000/ssc-probe write=ok; /dev/shm write=ok; /proc/sys/kernel/domainname write=EACCES"
    "ProtectHome=no > /home/alice/probe-file write=ok"
    "ProtectHome=yes > /home/alice stat=EACCES; /run/user/1000 stat=EACCES; /etc/ssc-probe/file write=ok"
    "ProtectHome=read-only > /home/alice/probe-file write=EROFS; /run/user/1000/ssc-probe write=EROFS"
    "ProtectHome=tmpfs > /home/alice stat=ENOENT; /run/user/1000 stat=ENOENT"
    "ProtectHome=read-only|ReadWritePaths=%h/Downloads > /home/alice/Downloads write=ok; /home/alice/src write=EROFS"
    # An exception inside what ProtectHome=yes hides stays hidden.
    "ProtectHome=yes|ReadWritePaths=%h/Downloads > /home/alice/Downloads stat=EACCES"
    "ProtectHome=tmpfs|BindPaths=%h/src > /home/alice/src/src-marker read=ok; /home/alice/probe-file stat=ENOENT"
    "ProtectSystem=strict|ReadWritePaths=/var/lib/ssc-probe %h > /var/lib/ssc-probe/file write=ok; /home/alice/src write=ok; /etc/ssc-probe/file write=EROFS"
    "ProtectSystem=strict|ReadWritePaths=-/srv/no-such %t > /run/user/1000/ssc-probe write=ok; /run/ssc-probe write=EROFS"
    "ProtectSystem=full|ProtectHome=read-only|InaccessiblePaths=%h/.ssh > /home/alice/.ssh/id_test stat=EACCES; /home/alice/src write=EROFS"
    "ReadOnlyPaths=/srv/ssc-probe > /srv/ssc-probe/file write=EROFS; /srv mnt=rw"
    "ReadOnlyPaths=/run/user/%U/ssc-probe > /run/user/1000/ssc-probe write=EROFS; /run/user/1000 write=ok"
    "ReadOnlyPaths=-/srv/no-such -%h/no-such > /srv/ssc-probe/file write=ok"
    "ReadOnlyPaths=/srv/no-such > refused"
    "InaccessiblePaths=-/opt/ssc-probe -%h/.ssh > /opt/ssc-probe stat=dir:0000:0; /home/alice/.ssh/id_test stat=EACCES"
    "InaccessiblePaths=/home/%u/.ssh > /home/alice/.ssh read=EACCES"
    "InaccessiblePaths=-/srv/ssc-probe/100%% > /srv/ssc-probe/100% stat=reg:0000:0"
    "InaccessiblePaths=/srv/no-such > refused"
    "TemporaryFileSystem=/srv:mode=0755 > /srv stat=dir:0755:0; /srv/ssc-probe stat=ENOENT"
    "TemporaryFileSystem=/srv > /srv/ssc-probe stat=ENOENT"
    "TemporaryFileSystem=/srv:ro > /srv write=EROFS"
    "TemporaryFileSystem=%h/Downloads:mode=0700 > /home/alice/Downloads stat=dir:0700:0"
    "BindPaths=%h/src:/srv/ssc-probe/bound > /srv/ssc-probe/bound/src-marker read=ok; /srv/ssc-probe/bound write=ok"
    "BindReadOnlyPaths=%h/src:/srv/ssc-probe/bound > /srv/ssc-probe/bound/src-marker read=ok; /srv/ssc-probe/bound write=EROFS"
    "BindPaths=%h/src:/srv/ssc-probe/bound:norbind > /srv/ssc-probe/bound/src-marker read=ok"
    "BindReadOnlyPaths=/etc/ssc-probe > /etc/ssc-probe/file write=EROFS; /etc write=EACCES"
    "BindPaths=-/srv/no-such:/srv/ssc-probe/bound > /srv/ssc-probe/bound/src-marker stat=ENOENT"
    "BindPaths=/srv/no-such:/srv/ssc-probe/bound > refused"
    "TemporaryFileSystem=/srv|BindReadOnlyPaths=/srv/ssc-probe/data:/srv/ssc-probe/data > /srv/ssc-probe/data/data-marker read=ok; /srv/ssc-probe/file stat=ENOENT"
    "PrivateTmp=yes|ProtectSystem=strict > /tmp write=ok; /tmp/ssc-probe stat=ENOENT; /etc write=EROFS"
)

# The known differences: SIDE (systemd or ssc) and the case's keys; the probe's output
# in, what is to be compared out.
known_differences() { # SIDE KEYS < probe output
    local side=$1 keys=$2 sed=()
    if [[ $keys == *PrivateTmp=yes* ]]; then
        # systemd's PrivateTmp binds a directory from the host's /tmp, so it is nodev where
        # that is (trixie's tmp.mount) and not where it is not (bookworm's /); ssc's is
        # a tmpfs of its own (namespace.rs), always nodev.
        sed+=(-e 's#^(/tmp|/var/tmp)( .* mnt=[a-z,]*),nodev$#\1\2#')
    fi
    if [[ $side == systemd && $keys == *BindPaths=-/srv/no-such:/srv/ssc-probe/bound* ]]; then
        # systemd 252 leaves the target of an optional bind whose source is missing a
        # nosuid mount of its own (257 leaves it alone, as ssc does).
        sed+=(-e 's#^(/srv/ssc-probe/bound .* mnt=rw),nosuid$#\1#')
    fi
    if [[ $side == systemd && $keys == *ProtectHome=tmpfs* ]]; then
        # systemd 252 mounts ProtectHome=tmpfs's tmpfs without its options: mode 1777,
        # read-write, no nodev (systemd issue 34825). ssc does what systemd.exec(5) says,
        # and what 257 does: read-only, 0755 (/root 0700), nodev; the reference is
        # corrected to that, mount points made in it included.
        sed+=(-e 's#^(/home|/run/user) stat=dir:1777:0 read=ok write=ok mnt=rw,nosuid$#\1 stat=dir:0755:0 read=ok write=EROFS mnt=ro,nosuid,nodev#'
            -e 's#^/root stat=dir:1777:0 read=ok write=ok mnt=rw,nosuid$#/root stat=dir:0700:0 read=EACCES write=EACCES mnt=ro,nosuid,nodev#'
            -e 's#^(/home/[^/ ]+) stat=dir:0755:0 read=ok write=EACCES mnt=rw,nosuid$#\1 stat=dir:0755:0 read=ok write=EROFS mnt=ro,nosuid,nodev#')
    fi
    if ((${#sed[@]})); then sed -E "${sed[@]}"; else cat; fi
}

# The caller's specifiers, as they are for alice: systemd would expand %h in a system
# service to root's home, so its side gets them literally.
expand() {
    local s=$1 out=
    while [[ -n $s ]]; do
        if [[ $s == %* ]]; then
            case ${s:1:1} in
            h) out+=/home/alice ;;
            u) out+=alice ;;
            U) out+=1000 ;;
            t) out+=/run/user/1000 ;;
            %) out+=% ;;
            *) return 1 ;;
            esac
            s=${s:2}
        else
            out+=${s:0:1}
            s=${s:1}
        fi
    done
    printf '%s' "$out"
}

# Field FIELD of the probe's line for PATH in OUTPUT.
field() { # OUTPUT PATH FIELD
    awk -v p="$2" -v f="$3=" '$1 == p { for (i = 2; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1) }' <<<"$1"
}

fs_fixtures_make || fail "fixtures" "could not set up the fixtures (linger, /run/user/1000)"
started=$SECONDS
pending=()
for i in "${!cases[@]}"; do
    n=$(printf '%02d' "$i")
    keys=${cases[$i]%% > *}
    keys=${keys# }
    expects=
    [[ ${cases[$i]} == *" > "* ]] && expects=${cases[$i]#* > }
    IFS='|' read -r -a kv <<<"$keys"
    label=${keys:-no keys}

    props=()
    for l in "${kv[@]}"; do
        props+=(-p "${l%%=*}=$(expand "${l#*=}")")
    done
    printf '%s\n' "${kv[@]}" >"$OUT/$n.keys"
    # Both sides at once (the probes' --tag keep them apart): the machine has two CPUs.
    systemd-run --wait --pipe --quiet -p User=alice -p NoNewPrivileges=yes "${props[@]}" \
        python3 "$FS_PROBE" --tag "s$n" "${FS_PATHS[@]}" >"$OUT/$n.systemd" 2>"$OUT/$n.systemd.err" &
    ref_pid=$!

    { printf '[Profile]\n'; printf '%s\n' "${kv[@]}"; } >"$D/fs$n.conf"
    chmod 644 "$D/fs$n.conf"
    as_user 'p=$1; shift; cd / && exec ssc -p "$p" -- python3 "$@"' \
        "fs$n" "$FS_PROBE" --tag "c$n" "${FS_PATHS[@]}" >"$OUT/$n.ssc" 2>"$OUT/$n.ssc.err"
    our_rc=$?
    wait $ref_pid
    ref_rc=$?
    echo "$ref_rc" >"$OUT/$n.systemd.rc"
    echo "$our_rc" >"$OUT/$n.ssc.rc"
    ref=$(cat "$OUT/$n.systemd")
    ours=$(cat "$OUT/$n.ssc")
    our_err=$(cat "$OUT/$n.ssc.err")
    rm -f "$D/fs$n.conf"

    # The reference first: what systemd does must be what its documentation says.
    bad=
    IFS=';' read -r -a exps <<<"$expects"
    for e in "${exps[@]}"; do
        e=${e# }
        [[ -z $e ]] && continue
        if [[ $e == refused ]]; then
            ((ref_rc != 0)) || bad+="expected systemd to refuse, it ran (exit 0)"$'\n'
            continue
        fi
        path=${e%% *}
        want=${e#* }
        got=$(field "$ref" "$path" "${want%%=*}")
        [[ $got == "${want#*=}" ]] || bad+="$path: expected ${want}, systemd shows ${want%%=*}=${got:-(nothing)}"$'\n'
    done
    if ((ref_rc == 0)) && [[ $(wc -l <<<"$ref") -ne ${#FS_PATHS[@]} ]]; then
        bad+="the probe printed $(wc -l <<<"$ref") lines for ${#FS_PATHS[@]} paths"$'\n'
    fi
    if [[ -z $bad ]]; then
        pass "$n $label: systemd's reference is as documented"
    else
        fail "$n $label: systemd's reference is as documented" \
            "$bad(systemd-run exit $ref_rc) $(cat "$OUT/$n.systemd.err")"
    fi

    # Then ssc against it. A refused launch is one outcome, whatever the exit status says.
    if ((ref_rc != 0)); then ref_view="launch refused"; else ref_view=$(known_differences systemd "$keys" <<<"$ref"); fi
    if ((our_rc != 0)); then our_view="launch refused"; else our_view=$(known_differences ssc "$keys" <<<"$ours"); fi
    if [[ $our_err == *"unknown key"* ]]; then
        pending+=("$n")
        fail "$n $label: ssc sees what systemd sees" \
            "NOT YET IMPLEMENTED in ssc: the profile is refused (exit $our_rc): ${our_err%% (allowed: *}"
    elif ((our_rc != 0 && our_rc != 125)); then
        fail "$n $label: ssc sees what systemd sees" "ssc exit $our_rc (a refusal is 125): $our_err"
    elif ((our_rc == 125)) && [[ $(grep -c '^ssc: ' <<<"$our_err") -ne 1 || $(wc -l <<<"$our_err") -ne 1 ]]; then
        fail "$n $label: ssc sees what systemd sees" "a refusal is one ssc: line, got: $our_err"
    elif [[ $ref_view == "$our_view" ]]; then
        pass "$n $label: ssc sees what systemd sees$( ((our_rc == 125)) && echo ' (refused by both)')"
    else
        fail "$n $label: ssc sees what systemd sees" \
            "$(diff -u --label "systemd (exit $ref_rc)" --label "ssc (exit $our_rc)" \
                <(printf '%s\n' "$ref_view") <(printf '%s\n' "$our_view"))${our_err:+$'\n'$our_err}"
    fi
done
echo "# ${#cases[@]} cases in $((SECONDS - started)) s; ssc does not take the keys of ${#pending[@]} yet: ${pending[*]}"

fs_fixtures_remove
