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
# moves it into: nobody else may), in the background; prints its pid and its output file.
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
    echo "$(cat "$go.pid") $go.out"
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
# (Rust's UnixStream sends with sendto(…, MSG_NOSIGNAL).)
sends='^[0-9]+ +(write|sendto|sendmsg|writev)\('
check "not freezable: the first syscall on the private socket is a send..." \
    grep -Eq "$sends" <<<"$(head -n 1 <<<"$calls")"
check_contains "...with the authentication" 'AUTH EXTERNAL 30\r\nBEGIN\r\n' "$(head -n 1 <<<"$calls")"
check_contains "...and the whole request" 'StartTransientUnit' "$(head -n 1 <<<"$calls")"
check "...and the next one is not a send" bash -c '! grep -Eq "$1" <<<"$2"' bash "$sends" "$(sed -n 2p <<<"$calls")"

tr=$(mkpark alice trace)
sh -c 'echo $$ >"$1/cgroup.procs"; exec '"$trace"' /run/ssc-test/trace.bus ssc -p relaxed -- true' sh "$tr"
check_eq "freezable: no connection to the private socket" 0 \
    "$(grep -c 'sun_path="/run/systemd/private"' /run/ssc-test/trace.bus)"
calls=$(first_write /run/ssc-test/trace.bus /run/dbus/system_bus_socket)
line=$(head -n 1 <<<"$calls")
check "freezable: the first syscall on the bus is a send" grep -Eq "$sends" <<<"$line"
for what in 'AUTH EXTERNAL 30\r\nBEGIN\r\n' Hello AddMatch GetNameOwner StartTransientUnit; do
    check_contains "...which has $what" "$what" "$line"
done
check "...and the next one is not a send" bash -c '! grep -Eq "$1" <<<"$2"' bash "$sends" "$(sed -n 2p <<<"$calls")"
rmdir "$tr"

# --- What the bus costs a launch, printed and not asserted: one wrapper moves itself into
# a cgroup of root's (this scenario's: the private socket) or of alice's (the bus), then
# runs ssc as alice.
via() {
    printf "sh -c 'echo \$\$ >%s/cgroup.procs; exec setpriv --reuid=1000 --regid=1000 --init-groups -- ssc -p relaxed -- true'" "$1"
}
bench=$(mkpark alice bench)
times=$(hyperfine -N --warmup 2 --runs 10 "$(via "/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)")" \
    "$(via "$bench")" 2>&1 | sed -n 's/^ *Time (mean ± σ): *//p' | paste -sd';')
echo "    | launch time, mean ± σ of 10, over the private socket; over the bus: $times"
rmdir "$bench"

# --- What a parked connection costs PID 1. dbus-client.py park stands in for a frozen ssc
# (it authenticates as root, as ssc does, and stops itself); a flood of LoadUnit calls,
# open to every user, makes PID 1 emit UnitNew and UnitRemoved signals.
# flooding: two of alice's floods of LoadUnit calls, in the background, until unflood.
# Every unit loaded is a UnitNew and a UnitRemoved for each subscriber (logind among them),
# so the floods are kept small: logind answered nobody for minutes after 2 x 20000.
flooding() {
    for _ in 1 2; do
        as_user 'python3 "$1" flood 3000 >/dev/null' "$TOOLS/dbus-client.py" &
    done
}
unflood() { pkill -u alice -f 'dbus-client.py flood'; wait; }
rss() { awk '/^RssAnon:/ {print $2}' /proc/1/status; }
# PID 1's unread send queues, in bytes: what it wrote that its peers have not read.
sendq() { ss -xanp | awk '/pid=1,/ {q += $4} END {print q + 0}'; }
names() { systemctl show -P NNames; }
# growth: PID 1's RssAnon growth (KiB) over one flood of 1000 calls, once the units it
# loaded are gone again (their UnitRemoved signals come with the garbage collection).
growth() {
    local before names0
    before=$(rss)
    names0=$(names)
    as_user 'python3 "$1" flood 1000 >/dev/null' "$TOOLS/dbus-client.py"
    wait_until 120 sh -c '[ "$(systemctl show -P NNames)" -le "$1" ]' sh "$((names0 + 20))"
    sleep 2
    echo $(($(rss) - before))
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
unpark() { kill -9 "${stand_ins[@]}"; wait "${stand_ins[@]}" 2>/dev/null; }
base=$(growth)
base_q=$(sendq)
park_on /run/dbus/system_bus_socket
bus=$(growth)
bus_q=$(sendq)
unpark
park_on /run/systemd/private
private=$(growth)
private_q=$(sendq)
unpark
echo "    | PID 1 over 1000 LoadUnit calls, RssAnon growth and unread send queues after:" \
    "none parked ${base} KiB, ${base_q} bytes; 2 parked on the bus ${bus} KiB, ${bus_q} bytes;" \
    "2 parked on the private socket ${private} KiB, ${private_q} bytes"
if ((private - base > 2048 || private_q - base_q > 2097152)); then
    pass "parked on the private socket, PID 1 keeps what they do not read (the measure works)"
else
    fail "parked on the private socket, PID 1 keeps what they do not read (the measure works)" \
        "growth ${private} KiB against ${base} KiB, send queues ${private_q} bytes"
fi
if ((bus - base < 1024 && bus_q - base_q < 65536)); then
    pass "parked on the bus, PID 1 keeps nothing for them (${bus} KiB, ${bus_q} bytes)"
else
    fail "parked on the bus, PID 1 keeps nothing for them" \
        "growth ${bus} KiB against ${base} KiB, send queues ${bus_q} against ${base_q} bytes"
fi

# --- Real launches from cgroups alice made and may freeze, while PID 1 works through a
# flood (so that they wait for their reply), frozen as soon as they hold a socket: each
# one caught connected is connected to dbus-daemon, never to PID 1.
# catch PID CGROUP: freezes CGROUP once PID holds a connected socket; prints its peers.
catch() {
    local end=$((SECONDS + 60)) peer
    while ((SECONDS < end)) && kill -0 "$1" 2>/dev/null; do
        if find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | grep -q .; then
            echo 1 >"$2/cgroup.freeze"
            peer=$(peers "$1")
            [[ -n $peer ]] && { echo "$peer"; return 0; }
            echo 0 >"$2/cgroup.freeze"
        fi
        sleep 0.01
    done
    return 1
}
flooding
pids=()
cgs=()
held=
for i in 1 2 3; do
    cg=$(mkpark alice park$i)
    read -r pid _ < <(start_in "$cg" alice ssc -p relaxed -- echo ran)
    pids+=("$pid")
    cgs+=("$cg")
    held+=$(catch "$pid" "$cg")$'\n'
done
echo "    | frozen while connected, their peers: $(tr '\n' ' ' <<<"$held")"
check "at least one launch was frozen while connected" grep -q . <<<"$held"
check_eq "frozen launches are connected to dbus-daemon only, never to PID 1" "" \
    "$(grep -v -e '^dbus-daemon$' -e '^$' <<<"$held")"
for cg in "${cgs[@]}"; do echo 0 >"$cg/cgroup.freeze"; done
ended() { for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
unflood
check "thawed, every launch ends within its deadline" wait_until 120 ended
out=$(cat /run/ssc-test/park/go.*.out)
check_eq "...each ran, or said why in one ssc: line" "" "$(grep -v -e '^ran$' -e '^ssc: ' <<<"$out")"
echo "    | $(grep -c '^ran$' <<<"$out") ran; $(grep '^ssc: ' <<<"$out" | sort | uniq -c | tr '\n' ' ')"
for cg in "${cgs[@]}"; do rmdir "$cg" 2>/dev/null; done

# --- Jamming, on the bus. bob's launch must wait on the bus for a while, and
# deterministically: his slice is being stopped (a unit in it ignores SIGTERM), so systemd
# refuses the scope as destructive and ssc waits for the slice's stop job. He launches
# from a cgroup he may write outside his slice, so he gets the bus. alice finds his
# connection by its pid and sends it three 17 MB signals; then the stop is let finish, and
# bob's launch must still run.
loginctl disable-linger bob
wait_until 60 sh -c '! systemctl -q is-active user-1001.slice'
systemd-run -q --unit=ssc-test-hold --slice=user-1001.slice --uid=1001 -p TimeoutStopSec=150 \
    sh -c 'trap "" TERM; sleep 600'
wait_until 20 systemctl -q is-active ssc-test-hold.service
systemctl stop --no-block user-1001.slice
wait_until 20 sh -c 'systemctl list-jobs --no-legend | grep -q "user-1001.slice.*stop"'
cg=/sys/fs/cgroup/ssc-test-jam
mkdir "$cg" && chown bob "$cg"
read -r bob bob_out < <(start_in "$cg" bob ssc -p relaxed -- echo ran)
jam=$(as_user 'python3 "$1" jam "$2" 17000000 3' "$TOOLS/dbus-client.py" "$bob" 2>&1)
echo "    | $jam"
waiting=$(kill -0 "$bob" 2>/dev/null && echo yes)
systemctl kill -s KILL ssc-test-hold.service
wait_until 120 sh -c '! kill -0 "$1" 2>/dev/null' sh "$bob"
check_contains "alice's 3 x 17 MB signals reached bob's launch waiting on the bus" delivered "$jam"
check_eq "...while it waited" yes "$waiting"
check_eq "...and bob's command ran all the same" ran "$(cat "$bob_out")"
rmdir "$cg"

# The scenarios after this one need logind, which works through the floods' signals.
check "logind answers again after the floods" wait_until 300 loginctl list-users
loginctl disable-linger alice
loginctl disable-linger bob
wait_until 60 sh -c '! systemctl -q is-active user@1001.service'
userdel -r bob 2>/dev/null || true
