# shellcheck shell=bash
# Parked launches (issue 15). A caller whose shell sits in a cgroup she may write (her user
# manager's, as on a desktop) can freeze ssc while it holds its connection. Over systemd's
# private socket PID 1 would keep every signal for it in its own memory; so such a launch
# asks over the bus, where PID 1 sends each signal once to dbus-daemon. Any launch sends its
# whole request in the first write after connect(). On the bus, another user's signals to
# ssc's connection, however large, do not stop the launch.
# timeout: 900

TOOLS=$SSC_SHARE/vm/guest/tools
client() { python3 "$TOOLS/dbus-client.py" "$@"; }
mkdir -p /run/ssc-test/park && chmod 1777 /run/ssc-test/park
getent passwd bob >/dev/null || useradd --create-home --uid 1001 --user-group bob
loginctl enable-linger alice
loginctl enable-linger bob
wait_until 60 systemctl -q is-active user@1000.service user@1001.service
check "alice and bob have their user managers" systemctl -q is-active user@1000.service user@1001.service

# mkpark USER NAME: a cgroup USER makes in her own delegated subtree; prints its path.
mkpark() {
    local uid cg
    uid=$(id -u "$1")
    cg=/sys/fs/cgroup/user.slice/user-$uid.slice/user@$uid.service/$2
    SSC_TEST_USER=$1 as_user 'mkdir "$1"' "$cg"
    echo "$cg"
}

# start_in CGROUP USER CMD...: USER's CMD, started with its process in CGROUP (which root
# moves it into: nobody else may), in the background; prints its pid.
start_in() {
    local cg=$1 user=$2 go
    shift 2
    go=/run/ssc-test/park/go.$RANDOM
    mkfifo -m 666 "$go"
    SSC_TEST_USER=$user as_user 'echo $$ >"$1.pid"; read -r _ <"$1"; shift; exec "$@"' \
        "$go" "$@" >"$go.out" 2>&1 &
    wait_until 20 test -s "$go.pid"
    cat "$go.pid" >"$cg/cgroup.procs"
    echo go >"$go"
    cat "$go.pid"
}

# peers PID: for each connected Unix socket of PID, the command of the process at the
# other end (ss: Netid State Recv-Q Send-Q Local Port Peer Port Process).
peers() {
    local table ino peer
    table=$(ss -xanp)
    for ino in $(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n'); do
        peer=$(awk -v i="$ino" '$6 == i && $8 != 0 {print $8}' <<<"$table")
        [[ -n $peer ]] && awk -v p="$peer" '$6 == p {print $9}' <<<"$table" |
            sed -n 's/^users:(("\([^"]*\)".*/\1/p'
    done
}

# --- The first write: a trace of the launch (strace as root runs ssc as alice with its
# set-user-ID bit honoured). On the fd connected to systemd, the first syscall is one
# write() with the authentication and the whole request, and the next is not a write.
first_write() { # TRACE SOCKET: the first two syscalls on the fd connected to SOCKET
    awk -v sock="$2" '
        match($0, /connect\(([0-9]+), \{sa_family=AF_UNIX, sun_path="([^"]*)"/, m) && m[2] == sock { fd = m[1]; next }
        fd != "" && $0 ~ ("^[0-9]+ +[a-z0-9_]+\\(" fd "[,)]") { print; if (++n == 2) exit }' "$1"
}
trace='strace -f -qq -u alice -s 100000 -e trace=connect,read,write,writev,sendmsg,sendto,recvmsg,recvfrom,close -o'
$trace /run/ssc-test/trace.private ssc -p relaxed -- true
calls=$(first_write /run/ssc-test/trace.private /run/systemd/private)
check_contains "not freezable: the first syscall on the private socket is a write..." \
    'write(' "$(head -n 1 <<<"$calls")"
check_contains "...with the authentication" 'AUTH EXTERNAL 30\r\nBEGIN\r\n' "$(head -n 1 <<<"$calls")"
check_contains "...and the whole request" 'StartTransientUnit' "$(head -n 1 <<<"$calls")"
check "...and the next one is not a write" bash -c '! grep -q "write" <<<"$1"' bash "$(sed -n 2p <<<"$calls")"

tr=$(mkpark alice trace)
sh -c 'echo $$ >"$1/cgroup.procs"; exec '"$trace"' /run/ssc-test/trace.bus ssc -p relaxed -- true' sh "$tr"
check_eq "freezable: no connection to the private socket" 0 \
    "$(grep -c 'sun_path="/run/systemd/private"' /run/ssc-test/trace.bus)"
calls=$(first_write /run/ssc-test/trace.bus /run/dbus/system_bus_socket)
line=$(head -n 1 <<<"$calls")
for what in 'write(' 'AUTH EXTERNAL 30\r\nBEGIN\r\n' Hello AddMatch GetNameOwner StartTransientUnit; do
    check_contains "freezable: the first write on the bus has $what" "$what" "$line"
done
check "...and the next syscall is not a write" bash -c '! grep -q "write" <<<"$1"' bash "$(sed -n 2p <<<"$calls")"
rmdir "$tr"

# --- What a parked connection costs PID 1. dbus-client.py park stands in for a frozen ssc
# (it authenticates as root, as ssc does, and stops itself); a flood of LoadUnit calls,
# open to every user, makes PID 1 emit UnitNew and UnitRemoved signals.
rss() { awk '/^RssAnon:/ {print $2}' /proc/1/status; }
growth() { # SECONDS-to-settle: PID 1's RssAnon growth (KiB) over one flood
    local before after
    before=$(rss)
    as_user 'python3 "$1" flood 6000 >/dev/null' "$TOOLS/dbus-client.py"
    sleep 3
    after=$(rss)
    echo $((after - before))
}
stand_ins=()
park_on() { # SOCKET: two stand-ins parked there
    local p
    stand_ins=()
    for _ in 1 2; do
        client park "$1" >/dev/null &
        p=$!
        wait_until 10 sh -c '[ "$(ps -o stat= -p "$1")" = T ]' sh "$p"
        stand_ins+=("$p")
    done
}
base=$(growth)
park_on /run/systemd/private
private=$(growth)
sendq=$(ss -xanp | awk '/pid=1,/ {q += $4} END {print q + 0}')
kill -9 "${stand_ins[@]}"; wait "${stand_ins[@]}" 2>/dev/null
park_on /run/dbus/system_bus_socket
bus=$(growth)
kill -9 "${stand_ins[@]}"; wait "${stand_ins[@]}" 2>/dev/null
echo "    | PID 1 RssAnon growth over 6000 LoadUnit calls: none parked ${base} KiB," \
    "2 parked on the private socket ${private} KiB (its unread send queues: ${sendq} bytes)," \
    "2 parked on the bus ${bus} KiB"
if ((private - base > 2048 || sendq > 1048576)); then
    pass "parked on the private socket, PID 1 keeps what they do not read (the measure works)"
else
    fail "parked on the private socket, PID 1 keeps what they do not read (the measure works)" \
        "growth ${private} KiB against ${base} KiB, send queues ${sendq} bytes"
fi
if ((bus - base < 1024)); then
    pass "parked on the bus, PID 1 keeps nothing for them (${bus} against ${base} KiB)"
else
    fail "parked on the bus, PID 1 keeps nothing for them" "growth ${bus} KiB against ${base} KiB"
fi

# --- Real launches from cgroups alice made and may freeze, while PID 1 works through a
# flood (so that they wait for their reply), frozen as soon as they are connected: each
# is connected to dbus-daemon, never to PID 1.
as_user 'python3 "$1" flood 10000 >/dev/null' "$TOOLS/dbus-client.py" &
flood=$!
pids=()
cgs=()
for i in 1 2 3; do
    cg=$(mkpark alice park$i)
    pids+=("$(start_in "$cg" alice ssc -p relaxed -- echo ran)")
    cgs+=("$cg")
done
held=
connected() { [[ $(cat "/proc/$1/comm" 2>/dev/null) == ssc && -n $(peers "$1") ]]; }
for i in 0 1 2; do
    if wait_until 60 connected "${pids[$i]}"; then
        echo 1 >"${cgs[$i]}/cgroup.freeze"
        sleep 0.5
        held+=$(peers "${pids[$i]}")$'\n'
    fi
done
echo "    | frozen while connected, their peers: $(tr '\n' ' ' <<<"$held")"
check "at least one launch was frozen while connected" grep -q . <<<"$held"
check_eq "frozen launches are connected to dbus-daemon only, never to PID 1" "" \
    "$(grep -v -e '^dbus-daemon$' -e '^$' <<<"$held")"
for cg in "${cgs[@]}"; do echo 0 >"$cg/cgroup.freeze"; done
ended() { for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
check "thawed, every launch ends within its deadline" wait_until 120 ended
wait "$flood"
out=$(cat /run/ssc-test/park/go.*.out)
check_eq "...each ran, or said why in one ssc: line" "" "$(grep -v -e '^ran$' -e '^ssc: ' <<<"$out")"
echo "    | $(grep -c '^ran$' <<<"$out") ran; $(grep '^ssc: ' <<<"$out" | sort | uniq -c | tr '\n' ' ')"
for cg in "${cgs[@]}"; do rmdir "$cg" 2>/dev/null; done

# --- Jamming, on the bus: while PID 1 works through a flood, bob's launch waits for its
# reply; alice sends its connection three 17 MB signals. It still runs.
rm -f /run/ssc-test/park/go.*
as_user 'python3 "$1" flood 10000 >/dev/null' "$TOOLS/dbus-client.py" &
flood=$!
cg=$(mkpark bob jam)
bob=$(start_in "$cg" bob ssc -p relaxed -- echo ran)
jammed=
for _ in $(seq 100); do
    for name in $(busctl --system list --unique --no-legend 2>/dev/null | awk -v p="$bob" '$2 == p {print $1}'); do
        out=$(as_user 'python3 "$1" jam "$2" 17000000 3' "$TOOLS/dbus-client.py" "$name" 2>&1)
        [[ $out == *delivered* ]] && jammed="$jammed $name"
    done
    [[ -n $jammed ]] && break
    kill -0 "$bob" 2>/dev/null || break
    sleep 0.1
done
wait_until 120 sh -c '! kill -0 "$1" 2>/dev/null' sh "$bob"
wait "$flood"
check "alice's 3 x 17 MB signals reached bob's waiting launch (${jammed:-none})" test -n "$jammed"
check_eq "...and bob's command ran all the same" ran "$(cat /run/ssc-test/park/go.*.out)"
rmdir "$cg" 2>/dev/null

loginctl disable-linger alice
loginctl disable-linger bob
wait_until 60 sh -c '! systemctl -q is-active user@1001.service'
userdel -r bob 2>/dev/null || true
