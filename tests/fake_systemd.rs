//! `ssc::scope` against fake systemd managers (tests/harness): peer to peer, as over
//! systemd's private socket, and through a private dbus-daemon, as over the system bus.

mod harness;

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use harness::{missing, refusing_socket, s, Call, Harness, Step, TempDir, Val, JOB};
use nix::unistd::{geteuid, Uid};
use ssc::bus::{self, Peer};
use ssc::error::Error;
use ssc::profile::{built_in, parse};
use ssc::scope::{self, Attempt, FirstWrite, Request};

const START_SIGNATURE: &str = harness::START_SIGNATURE;
const UNIT: &str = "ssc-strict-4242-0000abcd.scope";
const TIMEOUT: Duration = Duration::from_secs(5);

fn strict_request() -> Request {
    let strict = built_in("strict", 4).unwrap();
    let cmd = [OsString::from("firefox"), OsString::from("--private")];
    Request::new(&strict, Uid::from_raw(1000), &cmd, UNIT.into())
}

/// The strict profile with 4 CPUs, then ssc's own pid as PIDs.
fn strict_props() -> Vec<(String, String, Val)> {
    [
        ("Description", "s", s("ssc strict: firefox")),
        ("Slice", "s", s("user-1000.slice")),
        ("CollectMode", "s", s("inactive-or-failed")),
        // 70% of u32::MAX, rounded as systemd does.
        ("MemoryMaxScale", "u", Val::U32(3_006_477_107)),
        // 4 online CPUs: all but one, 3 CPUs = 3 s per second.
        ("CPUQuotaPerSecUSec", "t", Val::U64(3_000_000)),
        ("PIDs", "au", Val::Pids(vec![std::process::id()])),
    ]
    .into_iter()
    .map(|(n, sig, v)| (n.to_string(), sig.to_string(), v))
    .collect()
}

fn assert_strict_call(call: &Call) {
    assert_eq!(call.body_signature, START_SIGNATURE);
    assert_eq!(call.unit, UNIT);
    assert_eq!(call.mode, "fail");
    assert_eq!(call.props, strict_props());
    assert_eq!(call.aux_len, 0);
}

fn expect_failed(r: Result<(), Attempt>) -> Error {
    match r {
        Ok(()) => panic!("scope::start succeeded, expected an error"),
        Err(Attempt::Refused(why)) => panic!("refused ({why}), expected a failure"),
        Err(Attempt::Failed(e)) => {
            assert_eq!(e.exit_code(), 125, "{e}");
            e
        }
    }
}

/// Both ways ssc reaches systemd.
fn both(
    script: impl Fn(usize, &Call) -> Vec<Step> + Send + Sync + Clone + 'static,
) -> [Harness; 2] {
    [Harness::direct(script.clone()), Harness::bus(script)]
}

// ---------------------------------------------------------------------------------------
// One conversation.

/// One StartTransientUnit, with PIDs, on systemd 252 as on 257; the job finishes "done".
#[test]
fn one_call_and_job_done() {
    for h in both(|_, _| vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")]) {
        h.start(&strict_request(), TIMEOUT).unwrap();
        let calls = h.calls();
        assert_eq!(calls.len(), 1, "{:?}: {calls:#?}", h.peer);
        assert_strict_call(&calls[0]);
    }
}

/// Peer to peer there is no bus: no Hello, no AddMatch, only the call.
#[test]
fn direct_connection_sends_only_the_call() {
    let h = Harness::direct(|_, _| vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")]);
    h.start(&strict_request(), TIMEOUT).unwrap();
    assert_eq!(
        h.methods(),
        ["org.freedesktop.systemd1.Manager.StartTransientUnit"]
    );
}

/// The connection is shut down the moment the job is done, not left to linger.
#[test]
fn direct_connection_is_closed_when_the_job_is_done() {
    let h = Harness::direct(|_, _| vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")]);
    h.start(&strict_request(), TIMEOUT).unwrap();
    let returned = Instant::now();
    let after = h.closed_within(returned, Duration::from_secs(2));
    assert!(after.is_some(), "the fake never saw the connection close");
}

/// A job that ends in anything but "done" is a failure that names the result.
#[test]
fn job_results_other_than_done_fail() {
    for result in ["failed", "canceled"] {
        for h in both(move |_, _| vec![Step::Reply(JOB), Step::JobRemoved(JOB, result)]) {
            let e = expect_failed(h.start(&strict_request(), TIMEOUT));
            let text = e.to_string();
            assert!(text.contains(&format!("'{result}'")), "{text}");
            assert!(text.contains(JOB), "{text}");
            assert!(text.contains(UNIT), "{text}");
            assert_eq!(h.calls().len(), 1);
        }
    }
}

/// A job that never ends: ssc gives up at the deadline it was given, with 125.
#[test]
fn job_that_never_ends_hits_the_deadline() {
    for h in both(|_, _| vec![Step::Reply(JOB)]) {
        let begin = Instant::now();
        let e = expect_failed(h.start(&strict_request(), Duration::from_secs(1)));
        let took = begin.elapsed();
        assert!(e.to_string().contains("deadline"), "{e}");
        assert!(took >= Duration::from_secs(1), "gave up early: {took:?}");
        assert!(took < Duration::from_secs(3), "gave up late: {took:?}");
    }
}

/// No reply at all: the same deadline covers the call.
#[test]
fn call_without_reply_hits_the_deadline() {
    for h in both(|_, _| vec![]) {
        let begin = Instant::now();
        let e = expect_failed(h.start(&strict_request(), Duration::from_secs(1)));
        assert!(e.to_string().contains("deadline"), "{e}");
        assert!(begin.elapsed() < Duration::from_secs(3));
    }
}

/// The job may finish before the reply reaches ssc.
#[test]
fn job_removed_before_method_return() {
    for h in both(|_, _| vec![Step::JobRemoved(JOB, "done"), Step::Reply(JOB)]) {
        h.start(&strict_request(), TIMEOUT).unwrap();
        assert_eq!(h.calls().len(), 1);
    }
}

/// Other jobs' signals, and a JobRemoved on another interface, are not ours.
#[test]
fn other_jobs_and_impostors_are_ignored() {
    for h in both(|_, _| {
        vec![
            Step::JobRemoved("/org/freedesktop/systemd1/job/1", "failed"),
            Step::Impostor(JOB),
            Step::Reply(JOB),
            Step::JobRemoved("/org/freedesktop/systemd1/job/4243", "failed"),
            Step::JobRemoved("/org/freedesktop/systemd1/job/424", "canceled"),
            Step::Impostor(JOB),
            Step::JobRemoved(JOB, "done"),
        ]
    }) {
        h.start(&strict_request(), TIMEOUT).unwrap();
        assert_eq!(h.calls().len(), 1);
    }
}

/// Before its job is done, an impostor's "done" must not count: with only impostors the
/// wait ends at the deadline.
#[test]
fn impostor_done_alone_does_not_count() {
    for h in both(|_, _| vec![Step::Reply(JOB), Step::Impostor(JOB)]) {
        let e = expect_failed(h.start(&strict_request(), Duration::from_secs(1)));
        assert!(e.to_string().contains("deadline"), "{e}");
    }
}

/// The connection dropped mid-call, after authentication: a failure, not a refusal (the
/// call may have been acted on), so there is no second try elsewhere.
#[test]
fn connection_dropped_mid_call_fails() {
    for h in both(|_, _| vec![Step::Hangup]) {
        if h.peer == Peer::Bus {
            // On the bus, the fake hanging up is systemd leaving the bus: the call gets an
            // error from the bus, or no answer.
            let e = expect_failed(h.start(&strict_request(), Duration::from_secs(2)));
            assert!(e.to_string().contains(UNIT), "{e}");
            continue;
        }
        let e = expect_failed(h.start(&strict_request(), TIMEOUT));
        assert!(e.to_string().contains("closed"), "{e}");
    }
}

/// Any error but TransactionIsDestructive is final.
#[test]
fn errors_are_not_retried() {
    for h in both(|_, _| {
        vec![Step::Fail(
            "org.freedesktop.DBus.Error.AccessDenied",
            "Access denied",
        )]
    }) {
        let e = expect_failed(h.start(&strict_request(), TIMEOUT));
        let text = e.to_string();
        assert!(
            text.contains("org.freedesktop.DBus.Error.AccessDenied: Access denied"),
            "{text}"
        );
        assert!(text.contains(UNIT), "{text}");
        assert_eq!(h.calls().len(), 1);
    }
}

const DESTRUCTIVE: &str = "org.freedesktop.systemd1.TransactionIsDestructive";

/// While user-UID.slice has a stop job queued systemd refuses the scope as destructive;
/// ssc asks again under a new unit name (the refused one stays loaded until collected).
#[test]
fn destructive_transaction_is_retried_under_a_new_name() {
    for h in both(|n, _| {
        match n {
        0 | 1 => vec![
            Step::Fail(
                DESTRUCTIVE,
                "Transaction for ssc-strict-1.scope/start is destructive (user-1000.slice has 'stop' job queued, but 'start' is included in transaction).",
            ),
            Step::SliceStopped,
        ],
        _ => vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")],
    }
    }) {
        h.start(&strict_request(), TIMEOUT).unwrap();
        let calls = h.calls();
        assert_eq!(calls.len(), 3, "{calls:#?}");
        let names: Vec<&str> = calls.iter().map(|c| c.unit.as_str()).collect();
        assert_ne!(names[0], names[1]);
        assert_ne!(names[1], names[2]);
        for name in names {
            let rest = name
                .strip_prefix("ssc-strict-")
                .and_then(|r| r.strip_suffix(".scope"))
                .unwrap_or_else(|| panic!("{name}"));
            assert!(
                rest.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
                "{name}"
            );
        }
    }
}

/// A slice that never settles: ssc asks again after its pause, until the deadline, and then
/// fails with systemd's error.
#[test]
fn destructive_retries_stop_at_the_deadline() {
    for h in both(|_, _| vec![Step::Fail(DESTRUCTIVE, "destructive")]) {
        let begin = Instant::now();
        let e = expect_failed(h.start(&strict_request(), Duration::from_millis(7000)));
        let took = begin.elapsed();
        assert!(e.to_string().contains(DESTRUCTIVE), "{e}");
        assert!(took < Duration::from_millis(7500), "{took:?}");
        // No JobRemoved of the slice: a pause of 5 to 6 s, then the deadline: 2 calls.
        let n = h.calls().len();
        assert_eq!(n, 2, "{:?}: {n} calls after {took:?}", h.peer);
    }
}

/// ssc asks again as soon as the slice's stop job is gone, not after its pause.
#[test]
fn destructive_retry_follows_the_slice_stop_job() {
    for h in both(|n, _| match n {
        0..=3 => vec![Step::Fail(DESTRUCTIVE, "destructive"), Step::SliceStopped],
        _ => vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")],
    }) {
        let begin = Instant::now();
        h.start(&strict_request(), TIMEOUT).unwrap();
        // The pauses alone would add up to 5 + 10 + 10 + 10 s.
        let took = begin.elapsed();
        assert!(took < Duration::from_millis(500), "{:?}: {took:?}", h.peer);
        assert_eq!(h.calls().len(), 5);
    }
}

// ---------------------------------------------------------------------------------------
// The bus only: anyone on it can send signals.

/// A JobRemoved "done" from someone other than systemd does not count; systemd's own
/// "failed", sent after it, does.
#[test]
fn forged_job_removed_is_ignored() {
    let h = Harness::bus(|_, _| {
        vec![
            Step::Forged(JOB, "done"),
            Step::Reply(JOB),
            Step::Forged(JOB, "done"),
            Step::JobRemoved(JOB, "failed"),
        ]
    });
    let e = expect_failed(h.start(&strict_request(), TIMEOUT));
    assert!(e.to_string().contains("'failed'"), "{e}");
    assert_eq!(h.calls().len(), 1);
}

/// A forged "done" sent straight to ssc's connection gets past any match rule; ssc must
/// still take only the manager's word.
#[test]
fn unicast_forged_job_removed_is_ignored() {
    let h = Harness::bus(|_, _| {
        vec![
            Step::ForgedUnicast(JOB, "done"),
            Step::Reply(JOB),
            Step::ForgedUnicast(JOB, "done"),
            Step::JobRemoved(JOB, "failed"),
        ]
    });
    let e = expect_failed(h.start(&strict_request(), TIMEOUT));
    assert!(e.to_string().contains("'failed'"), "{e}");
}

/// A ForgedSliceStopped from another user does not end the pause after a refusal early:
/// only systemd's word on user-UID.slice does.
#[test]
fn forged_slice_stop_does_not_cut_the_pause_short() {
    let h = Harness::bus(|n, _| match n {
        0 => vec![
            Step::Fail(DESTRUCTIVE, "destructive"),
            Step::ForgedSliceStopped,
        ],
        _ => vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")],
    });
    let begin = Instant::now();
    h.start(&strict_request(), Duration::from_secs(15)).unwrap();
    let took = begin.elapsed();
    // The pause is 5 s and up to 1 s more, by pid.
    assert!(took >= Duration::from_secs(5), "{took:?}");
    assert_eq!(h.calls().len(), 2);
}

/// Another user can send ssc's bus connection signals of any size the bus allows: they
/// are skipped, before and after the reply, and the launch goes on.
#[test]
fn oversized_unicast_signals_are_skipped() {
    const BIG: usize = 17 << 20;
    let h = Harness::bus(|_, _| {
        vec![
            Step::Jam(BIG),
            Step::Jam(BIG),
            Step::Jam(100),
            Step::Reply(JOB),
            Step::Jam(BIG),
            Step::JobRemoved(JOB, "done"),
        ]
    });
    let r = h.start(&strict_request(), Duration::from_secs(20));
    assert_eq!(h.calls().len(), 1);
    r.unwrap();
}

/// What goes on the wire first, encoded before connect(): authentication, and the whole
/// request behind it; on the bus Hello, the match and GetNameOwner before the call.
#[test]
fn first_write_is_the_whole_request() {
    use ssc::bus::Message;
    for (peer, want) in [
        (Peer::Systemd, vec!["StartTransientUnit"]),
        (
            Peer::Bus,
            vec!["Hello", "AddMatch", "GetNameOwner", "StartTransientUnit"],
        ),
    ] {
        let first = FirstWrite::new(peer, Uid::from_raw(0), &strict_request()).unwrap();
        let auth = b"\0AUTH EXTERNAL 30\r\nBEGIN\r\n";
        let bytes = first.bytes();
        assert!(bytes.starts_with(auth), "{peer:?}");
        let mut rest = bytes[auth.len()..].to_vec();
        let mut members = Vec::new();
        while !rest.is_empty() {
            let len = 16 + u32::from_le_bytes(rest[12..16].try_into().unwrap()) as usize;
            let len = len.next_multiple_of(8)
                + u32::from_le_bytes(rest[4..8].try_into().unwrap()) as usize;
            let msg = Message::decode(rest.drain(..len).collect()).unwrap();
            members.push(msg.member.unwrap());
        }
        assert_eq!(members, want, "{peer:?}");
    }
}

/// On the bus ssc says Hello, subscribes, then calls; nothing else.
#[test]
fn bus_connection_subscribes_before_the_call() {
    let h = Harness::bus(|_, _| vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")]);
    h.start(&strict_request(), TIMEOUT).unwrap();
    assert_eq!(
        h.methods(),
        ["org.freedesktop.systemd1.Manager.StartTransientUnit"]
    );
}

/// Nobody owns org.freedesktop.systemd1: an error, not a hang.
#[test]
fn no_systemd_on_the_bus() {
    let bus = harness::Bus::start();
    let begin = Instant::now();
    let deadline = begin + TIMEOUT;
    let first = FirstWrite::new(Peer::Bus, geteuid(), &strict_request()).unwrap();
    let stream = bus::connect(&bus.socket.to_string_lossy(), deadline).unwrap();
    let r = scope::start(stream, first, &mut strict_request(), deadline);
    let e = expect_failed(r);
    assert!(begin.elapsed() < TIMEOUT, "{e}");
    assert!(e.to_string().contains(UNIT), "{e}");
}

// ---------------------------------------------------------------------------------------
// Which socket: systemd's own, or the bus if that is missing or refuses.

fn create(sockets: &[(&Path, Peer)]) -> Result<(), Error> {
    let sockets: Vec<(String, Peer)> = sockets
        .iter()
        .map(|(p, peer)| (p.to_string_lossy().into_owned(), *peer))
        .collect();
    let sockets: Vec<(&str, Peer)> = sockets
        .iter()
        .map(|(p, peer)| (p.as_str(), *peer))
        .collect();
    scope::create(
        &sockets,
        |path, deadline| Ok(bus::connect(path, deadline)),
        geteuid(),
        &mut strict_request(),
        Instant::now() + TIMEOUT,
    )
}

fn done(_: usize, _: &Call) -> Vec<Step> {
    vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")]
}

#[test]
fn private_socket_is_used_when_it_answers() {
    let direct = Harness::direct(done);
    let bus = Harness::bus(done);
    create(&[(&direct.socket, Peer::Systemd), (&bus.socket, Peer::Bus)]).unwrap();
    assert_eq!(direct.calls().len(), 1);
    assert_eq!(bus.calls().len(), 0);
}

#[test]
fn falls_back_to_the_bus_when_the_private_socket_is_missing() {
    let dir = TempDir::new();
    let bus = Harness::bus(done);
    create(&[(&missing(&dir.0), Peer::Systemd), (&bus.socket, Peer::Bus)]).unwrap();
    let calls = bus.calls();
    assert_eq!(calls.len(), 1);
    assert_strict_call(&calls[0]);
}

#[test]
fn falls_back_to_the_bus_when_the_private_socket_refuses() {
    let dir = TempDir::new();
    let refusing = refusing_socket(&dir);
    let bus = Harness::bus(done);
    create(&[(&refusing, Peer::Systemd), (&bus.socket, Peer::Bus)]).unwrap();
    assert_eq!(bus.calls().len(), 1);
}

/// A failure after the private socket answered is final: the call may have been acted on.
#[test]
fn no_fallback_after_the_private_socket_answered() {
    let direct =
        Harness::direct(|_, _| vec![Step::Fail("org.freedesktop.DBus.Error.AccessDenied", "no")]);
    let bus = Harness::bus(done);
    let e = create(&[(&direct.socket, Peer::Systemd), (&bus.socket, Peer::Bus)]).unwrap_err();
    assert!(e.to_string().contains("AccessDenied"), "{e}");
    assert_eq!(bus.calls().len(), 0);
}

#[test]
fn both_ways_refused_is_125() {
    let dir = TempDir::new();
    let refusing = refusing_socket(&dir);
    let e = create(&[(&refusing, Peer::Systemd), (&missing(&dir.0), Peer::Bus)]).unwrap_err();
    assert_eq!(e.exit_code(), 125);
    let text = e.to_string();
    assert!(text.starts_with("cannot reach systemd: "), "{text}");
    assert!(text.contains("refusing"), "{text}");
    assert!(text.contains("no-such-socket"), "{text}");
}

// ---------------------------------------------------------------------------------------
// What is sent.

/// A custom profile's settings, with the wire types systemd expects.
#[test]
fn custom_profile_wire_types() {
    let profile = parse(
        "web",
        Path::new("/etc/ssc/profiles.d/web.conf"),
        "[Profile]\nDescription=Web browsers\nMemoryMax=2G\nMemoryHigh=50%\nMemorySwapMax=0\n\
         CPUQuota=150%\nCPUWeight=50\nIOWeight=200\nTasksMax=infinity\nPrivateTmp=yes\n",
    )
    .unwrap();
    let req = Request::new(
        &profile,
        Uid::from_raw(1234),
        &[OsString::from("chromium")],
        "ssc-web-4242-0000abcd.scope".into(),
    );
    let h = Harness::direct(done);
    h.start(&req, TIMEOUT).unwrap();
    let calls = h.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let call = &calls[0];
    assert_eq!(call.body_signature, START_SIGNATURE);
    assert_eq!(call.unit, "ssc-web-4242-0000abcd.scope");
    assert_eq!(call.mode, "fail");
    assert_eq!(call.aux_len, 0);
    let want: Vec<(String, String, Val)> = [
        ("Description", "s", s("ssc web: chromium")),
        ("Slice", "s", s("user-1234.slice")),
        ("CollectMode", "s", s("inactive-or-failed")),
        ("MemoryMax", "t", Val::U64(2_147_483_648)),
        ("MemoryHighScale", "u", Val::U32(2_147_483_648)),
        ("MemorySwapMax", "t", Val::U64(0)),
        ("CPUQuotaPerSecUSec", "t", Val::U64(1_500_000)),
        ("CPUWeight", "t", Val::U64(50)),
        ("IOWeight", "t", Val::U64(200)),
        ("TasksMax", "t", Val::U64(u64::MAX)),
        ("PIDs", "au", Val::Pids(vec![std::process::id()])),
    ]
    .into_iter()
    .map(|(n, sig, v)| (n.to_string(), sig.to_string(), v))
    .collect();
    assert_eq!(call.props, want);
}

/// The network, device, I/O and CPU keys, each line one property in the order written,
/// with the D-Bus types and values systemd-run sends (src/shared/bus-unit-util.c).
#[test]
fn network_and_device_wire_types() {
    let profile = parse(
        "net",
        Path::new("/etc/ssc/profiles.d/net.conf"),
        "[Profile]\nIPAddressDeny=any\nIPAddressAllow=localhost\nIPAddressAllow=10.1.2.3/8 fd00::1\n\
         IPAddressAllow=\nRestrictNetworkInterfaces=~eth0 wlan0\nSocketBindDeny=any\n\
         SocketBindAllow=ipv6:udp:5000-5009\nSocketBindAllow=\nDevicePolicy=closed\n\
         DeviceAllow=/dev/video0 rw\nDeviceAllow=char-drm\nDeviceAllow=\n\
         IOReadBandwidthMax=/dev/vda 5M\nIOWriteIOPSMax=/home infinity\nIOWriteBandwidthMax=\n\
         AllowedCPUs=0-2 9\nMemoryLow=10%\nMemoryMin=64M\nManagedOOMMemoryPressure=kill\n\
         ManagedOOMMemoryPressureLimit=40%\nManagedOOMPreference=omit\nRuntimeMaxSec=1h 30s\n",
    )
    .unwrap();
    let req = Request::new(
        &profile,
        Uid::from_raw(1234),
        &[OsString::from("app")],
        "ssc-net-4242-0000abcd.scope".into(),
    );
    let h = Harness::bus(done);
    h.start(&req, TIMEOUT).unwrap();
    let calls = h.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let got: Vec<(String, String, Val)> = calls[0].props[3..].to_vec();
    let o = |v: &str| Val::Other(v.to_string());
    let v6 = |last: &str| format!("0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,{last}");
    let want: Vec<(String, String, Val)> = [
        (
            "IPAddressDeny",
            "a(iayu)",
            o(&format!("[(2,[0,0,0,0],0),(10,[{}],0)]", v6("0"))),
        ),
        (
            "IPAddressAllow",
            "a(iayu)",
            o(&format!("[(2,[127,0,0,0],8),(10,[{}],128)]", v6("1"))),
        ),
        // As written, not masked: systemd masks it when it stores it.
        (
            "IPAddressAllow",
            "a(iayu)",
            o("[(2,[10,1,2,3],8),(10,[253,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1],128)]"),
        ),
        ("IPAddressAllow", "a(iayu)", o("[]")),
        (
            "RestrictNetworkInterfaces",
            "(bas)",
            o("(false,[\"eth0\",\"wlan0\"])"),
        ),
        ("SocketBindDeny", "a(iiqq)", o("[(0,0,0,0)]")),
        ("SocketBindAllow", "a(iiqq)", o("[(10,17,10,5000)]")),
        ("SocketBindAllow", "a(iiqq)", o("[]")),
        ("DevicePolicy", "s", s("closed")),
        ("DeviceAllow", "a(ss)", o("[(\"/dev/video0\",\"rw\")]")),
        ("DeviceAllow", "a(ss)", o("[(\"char-drm\",\"\")]")),
        ("DeviceAllow", "a(ss)", o("[]")),
        ("IOReadBandwidthMax", "a(st)", o("[(\"/dev/vda\",5000000)]")),
        (
            "IOWriteIOPSMax",
            "a(st)",
            o(&format!("[(\"/home\",{})]", u64::MAX)),
        ),
        ("IOWriteBandwidthMax", "a(st)", o("[]")),
        // CPUs 0, 1, 2 and 9, in one 64-bit word.
        ("AllowedCPUs", "ay", o("[7,2,0,0,0,0,0,0]")),
        ("MemoryLowScale", "u", Val::U32(429_496_730)),
        ("MemoryMin", "t", Val::U64(64 << 20)),
        ("ManagedOOMMemoryPressure", "s", s("kill")),
        (
            "ManagedOOMMemoryPressureLimit",
            "u",
            Val::U32(1_717_986_918),
        ),
        ("ManagedOOMPreference", "s", s("omit")),
        ("RuntimeMaxUSec", "t", Val::U64(3_630_000_000)),
        ("PIDs", "au", Val::Pids(vec![std::process::id()])),
    ]
    .into_iter()
    .map(|(n, sig, v)| (n.to_string(), sig.to_string(), v))
    .collect();
    assert_eq!(got, want);
}
