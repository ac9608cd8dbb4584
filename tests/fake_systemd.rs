//! `ssc::scope::start` against a fake systemd on a private dbus-daemon.
//!
//! Each test starts its own `dbus-daemon` and a fake manager that owns
//! `org.freedesktop.systemd1` on it. The fake reads raw messages, so it records exactly what
//! ssc put on the wire (body signature, property names, variant signatures, values, the
//! process behind a passed pidfd), and answers with a per-test script of replies, errors and
//! JobRemoved signals. Needs the `dbus-daemon` binary (Debian package `dbus-daemon`, or
//! `dbus` on older releases); runs as root or not.

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::unistd::{Pid, Uid};
use ssc::error::Error;
use ssc::profile::{built_in, parse};
use ssc::scope::{start, Placement, Request};
use zbus::blocking::{Connection, MessageIterator};
use zbus::message::{Message, Type as MessageType};
use zbus::names::BusName;
use zbus::zvariant::{ObjectPath, Value};
use zbus::MatchRule;

const DBUS_DAEMON: &str = "/usr/bin/dbus-daemon";
const SYSTEMD: &str = "org.freedesktop.systemd1";
const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";
/// StartTransientUnit(s name, s mode, a(sv) properties, a(sa(sv)) aux).
const START_SIGNATURE: &str = "ssa(sv)a(sa(sv))";
/// The job path the fake hands out, known in advance so a third party can forge it.
const JOB: &str = "/org/freedesktop/systemd1/job/4242";
const UNIQUE: &str = "4242-0000abcd";
const UNIT: &str = "ssc-strict-4242-0000abcd.scope";
const TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------
// A private bus.

/// A `dbus-daemon` listening in its own temporary directory; killed on drop.
struct Bus {
    dir: PathBuf,
    socket: PathBuf,
    daemon: Child,
}

impl Bus {
    fn start() -> Bus {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ssc-fake-systemd-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let socket = dir.join("bus");
        let config = dir.join("bus.conf");
        let log = dir.join("stderr");
        fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                 <busconfig>\n\
                 <type>session</type>\n\
                 <listen>unix:path={}</listen>\n\
                 <auth>EXTERNAL</auth>\n\
                 <policy context=\"default\">\n\
                 <allow send_destination=\"*\" eavesdrop=\"true\"/>\n\
                 <allow eavesdrop=\"true\"/>\n\
                 <allow own=\"*\"/>\n\
                 </policy>\n\
                 </busconfig>\n",
                xml_escape(&socket.to_string_lossy())
            ),
        )
        .unwrap();
        let program = if Path::new(DBUS_DAEMON).exists() {
            DBUS_DAEMON
        } else {
            "dbus-daemon"
        };
        let mut daemon = Command::new(program)
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .arg("--print-address")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // A file, not a pipe: a pipe nobody reads could fill up and stall the daemon.
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                let _ = fs::remove_dir_all(&dir);
                panic!(
                    "cannot run {program}: {e}; these tests need a private bus: \
                     install the Debian package `dbus-daemon` (`dbus` on older releases)"
                )
            });
        // The address is printed once the socket is listening.
        let mut line = String::new();
        let _ = BufReader::new(daemon.stdout.take().unwrap()).read_line(&mut line);
        if !line.starts_with("unix:") {
            let _ = daemon.kill();
            let _ = daemon.wait();
            let err = fs::read_to_string(&log).unwrap_or_default();
            let _ = fs::remove_dir_all(&dir);
            panic!("{program} did not start (stdout {line:?}): {err}");
        }
        Bus {
            dir,
            socket,
            daemon,
        }
    }

    fn connect(&self) -> Connection {
        zbus::blocking::connection::Builder::address(
            format!("unix:path={}", self.socket.display()).as_str(),
        )
        .unwrap()
        .build()
        .unwrap()
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

// ---------------------------------------------------------------------------------------
// The fake manager.

/// A property value as received, with its variant signature kept separately.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Str(String),
    U32(u32),
    U64(u64),
    /// For each fd of an `ah`: the `Pid:` of its /proc/self/fdinfo (None if not a pidfd).
    PidFds(Vec<Option<i32>>),
    Pids(Vec<u32>),
    Other(String),
}

fn s(v: &str) -> Val {
    Val::Str(v.into())
}

/// One StartTransientUnit call as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    body_signature: String,
    unit: String,
    mode: String,
    /// (name, variant signature, value), in the order sent.
    props: Vec<(String, String, Val)>,
    aux_len: usize,
}

/// What the fake does after recording a call, in order.
#[derive(Debug, Clone)]
enum Step {
    /// Method return with this job path.
    Reply(&'static str),
    /// Error reply: (error name, message).
    Fail(&'static str, &'static str),
    /// JobRemoved(job, result) from the manager itself.
    JobRemoved(&'static str, &'static str),
    /// The same signal, but from a third connection that does not own the manager's name.
    /// It is on the bus (and routed) before the fake takes its next step.
    Forged(&'static str, &'static str),
    /// A forged signal sent to ssc's connection by name: the bus delivers a unicast
    /// message whatever the match rules say.
    ForgedUnicast(&'static str, &'static str),
}

type Script = dyn Fn(usize, &Call) -> Vec<Step> + Send;

#[derive(Default)]
struct Record {
    calls: Vec<Call>,
    /// Anything the fake could not do; the test fails on it.
    problems: Vec<String>,
}

/// A bus with the fake manager on it and the client connection that ssc uses.
struct Harness {
    client: Connection,
    record: Arc<Mutex<Record>>,
    _fake: Connection,
    _bus: Bus,
}

impl Harness {
    fn new(script: impl Fn(usize, &Call) -> Vec<Step> + Send + 'static) -> Harness {
        let bus = Bus::start();
        let fake = bus.connect();
        let forger = bus.connect();
        // Listen before taking the name, so that no call can be missed.
        let incoming = MessageIterator::for_match_rule(
            MatchRule::builder()
                .msg_type(MessageType::MethodCall)
                .build(),
            &fake,
            Some(256),
        )
        .unwrap();
        fake.request_name(SYSTEMD).unwrap();
        let record = Arc::new(Mutex::new(Record::default()));
        {
            let (fake, record) = (fake.clone(), record.clone());
            std::thread::spawn(move || serve(fake, forger, incoming, Box::new(script), record));
        }
        Harness {
            client: bus.connect(),
            record,
            _fake: fake,
            _bus: bus,
        }
    }

    fn start(&self, req: &Request, placement: Placement, timeout: Duration) -> Result<(), Error> {
        start(&self.client, &mut req.clone(), placement, timeout)
    }

    /// Every StartTransientUnit call so far. A Ping to the fake on the connection ssc used
    /// goes behind any call ssc made, so once it is answered the record is complete.
    fn calls(&self) -> Vec<Call> {
        self.client
            .call_method(
                Some(SYSTEMD),
                "/",
                Some("org.freedesktop.DBus.Peer"),
                "Ping",
                &(),
            )
            .expect("fake manager answers Ping");
        let record = self.record.lock().unwrap();
        assert!(
            record.problems.is_empty(),
            "fake manager: {:?}",
            record.problems
        );
        record.calls.clone()
    }
}

fn serve(
    fake: Connection,
    forger: Connection,
    incoming: MessageIterator,
    script: Box<Script>,
    record: Arc<Mutex<Record>>,
) {
    // Ends when the bus goes away.
    for msg in incoming {
        let Ok(msg) = msg else { break };
        if let Err(e) = handle(&fake, &forger, &msg, &*script, &record) {
            record.lock().unwrap().problems.push(e.to_string());
        }
    }
}

fn handle(
    fake: &Connection,
    forger: &Connection,
    msg: &Message,
    script: &Script,
    record: &Mutex<Record>,
) -> zbus::Result<()> {
    let hdr = msg.header();
    let path = hdr.path().map(|p| p.as_str()).unwrap_or_default();
    let iface = hdr.interface().map(|i| i.as_str()).unwrap_or_default();
    let member = hdr.member().map(|m| m.as_str()).unwrap_or_default();
    match (path, iface, member) {
        (MANAGER_PATH, MANAGER, "StartTransientUnit") => {}
        (_, "org.freedesktop.DBus.Peer", "Ping") => {
            return fake.send(&Message::method_return(&hdr)?.build(&())?);
        }
        _ => {
            record
                .lock()
                .unwrap()
                .problems
                .push(format!("unexpected call {path} {iface}.{member}"));
            return fake.send(
                &Message::error(&hdr, "org.freedesktop.DBus.Error.UnknownMethod")?
                    .build(&("not faked",))?,
            );
        }
    }
    let call = decode(msg);
    let n = {
        let mut record = record.lock().unwrap();
        record.calls.push(call.clone());
        record.calls.len() - 1
    };
    if call.body_signature != START_SIGNATURE {
        return fake.send(
            &Message::error(&hdr, "org.freedesktop.DBus.Error.InvalidArgs")?
                .build(&("wrong signature",))?,
        );
    }
    for step in script(n, &call) {
        match step {
            Step::Reply(job) => {
                fake.send(&Message::method_return(&hdr)?.build(&(ObjectPath::try_from(job)?,))?)?
            }
            Step::Fail(name, text) => {
                fake.send(&Message::error(&hdr, name)?.build(&(text,))?)?;
            }
            Step::JobRemoved(job, result) => job_removed(fake, None, job, &call.unit, result)?,
            Step::Forged(job, result) | Step::ForgedUnicast(job, result) => {
                let to = match step {
                    Step::ForgedUnicast(..) => hdr.sender().map(|s| BusName::from(s.to_owned())),
                    _ => None,
                };
                job_removed(forger, to, job, &call.unit, result)?;
                // The bus handles a connection's messages in order: once this is answered,
                // the forged signal has been routed to whoever it matched.
                forger.call_method(
                    Some("org.freedesktop.DBus"),
                    "/org/freedesktop/DBus",
                    Some("org.freedesktop.DBus"),
                    "GetId",
                    &(),
                )?;
            }
        }
    }
    Ok(())
}

fn job_removed(
    conn: &Connection,
    to: Option<BusName<'_>>,
    job: &str,
    unit: &str,
    result: &str,
) -> zbus::Result<()> {
    let id: u32 = job.rsplit('/').next().unwrap().parse().unwrap_or(0);
    conn.emit_signal(
        to,
        MANAGER_PATH,
        MANAGER,
        "JobRemoved",
        &(id, ObjectPath::try_from(job)?, unit, result),
    )
}

type Props<'m> = Vec<(String, Value<'m>)>;

fn decode(msg: &Message) -> Call {
    let body = msg.body();
    let body_signature = body.signature().to_string_no_parens();
    let mut call = Call {
        body_signature,
        unit: String::new(),
        mode: String::new(),
        props: Vec::new(),
        aux_len: 0,
    };
    if call.body_signature != START_SIGNATURE {
        return call;
    }
    let (unit, mode, props, aux): (String, String, Props<'_>, Vec<(String, Props<'_>)>) =
        match body.deserialize() {
            Ok(b) => b,
            Err(e) => {
                call.body_signature = format!("{} (undecodable: {e})", call.body_signature);
                return call;
            }
        };
    call.unit = unit;
    call.mode = mode;
    call.aux_len = aux.len();
    call.props = props
        .iter()
        .map(|(name, v)| (name.clone(), v.value_signature().to_string(), value(v)))
        .collect();
    call
}

fn value(v: &Value<'_>) -> Val {
    match v {
        Value::Str(s) => Val::Str(s.to_string()),
        Value::U32(n) => Val::U32(*n),
        Value::U64(n) => Val::U64(*n),
        Value::Array(a) if a.element_signature().to_string() == "h" => Val::PidFds(
            a.inner()
                .iter()
                .map(|e| match e {
                    Value::Fd(fd) => pidfd_pid(fd.as_raw_fd()),
                    _ => None,
                })
                .collect(),
        ),
        Value::Array(a) if a.element_signature().to_string() == "u" => Val::Pids(
            a.inner()
                .iter()
                .filter_map(|e| match e {
                    Value::U32(n) => Some(*n),
                    _ => None,
                })
                .collect(),
        ),
        other => Val::Other(format!("{other:?}")),
    }
}

/// The process a pidfd refers to, from the `Pid:` line of its fdinfo.
fn pidfd_pid(fd: i32) -> Option<i32> {
    fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Pid:"))?
        .trim()
        .parse()
        .ok()
}

// ---------------------------------------------------------------------------------------
// What ssc sends.

fn strict_request() -> Request {
    let strict = built_in("strict", 4).unwrap();
    let cmd = [OsString::from("firefox"), OsString::from("--private")];
    Request::new(&strict, Uid::from_raw(1000), &cmd, UNIQUE)
}

fn pidfd() -> Placement {
    let fd = rustix::process::pidfd_open(
        rustix::process::getpid(),
        rustix::process::PidfdFlags::empty(),
    )
    .expect("pidfd_open (Linux >= 5.3)");
    Placement::PidFd(fd)
}

fn our_pid() -> u32 {
    std::process::id()
}

/// The strict profile with 4 CPUs, up to (not including) the placement property.
fn strict_props() -> Vec<(String, String, Val)> {
    [
        ("Description", "s", s("ssc strict: firefox --private")),
        ("Slice", "s", s("user-1000.slice")),
        ("CollectMode", "s", s("inactive-or-failed")),
        // 70% of u32::MAX, rounded as systemd does.
        ("MemoryMaxScale", "u", Val::U32(3_006_477_107)),
        // 4 online CPUs: all but one, 3 CPUs = 3 s per second.
        ("CPUQuotaPerSecUSec", "t", Val::U64(3_000_000)),
    ]
    .into_iter()
    .map(|(n, sig, v)| (n.to_string(), sig.to_string(), v))
    .collect()
}

fn with_placement(
    mut props: Vec<(String, String, Val)>,
    last: (&str, &str, Val),
) -> Vec<(String, String, Val)> {
    props.push((last.0.into(), last.1.into(), last.2));
    props
}

fn pidfds_prop() -> (&'static str, &'static str, Val) {
    ("PIDFDs", "ah", Val::PidFds(vec![Some(our_pid() as i32)]))
}

fn pids_prop() -> (&'static str, &'static str, Val) {
    ("PIDs", "au", Val::Pids(vec![our_pid()]))
}

fn assert_strict_call(call: &Call, placement: (&str, &str, Val)) {
    assert_eq!(call.body_signature, START_SIGNATURE);
    assert_eq!(call.unit, UNIT);
    assert_eq!(call.mode, "fail");
    assert_eq!(call.props, with_placement(strict_props(), placement));
    assert_eq!(call.aux_len, 0);
}

fn expect_err(r: Result<(), Error>) -> Error {
    match r {
        Ok(()) => panic!("scope::start succeeded, expected an error"),
        Err(e) => {
            assert_eq!(e.exit_code(), 125, "{e}");
            e
        }
    }
}

// ---------------------------------------------------------------------------------------
// The tests.

/// systemd >= 255: PIDFDs is accepted, the job finishes with "done".
#[test]
fn pidfds_accepted_and_job_done() {
    let h = Harness::new(|_, _| vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")]);
    h.start(&strict_request(), pidfd(), TIMEOUT).unwrap();
    let calls = h.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_strict_call(&calls[0], pidfds_prop());
}

/// Placement::Pid goes out as PIDs (au) on the first call.
#[test]
fn pid_placement_sends_pids() {
    let h = Harness::new(|_, _| vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")]);
    let pid = Pid::from_raw(our_pid() as i32);
    h.start(&strict_request(), Placement::Pid(pid), TIMEOUT)
        .unwrap();
    let calls = h.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_strict_call(&calls[0], pids_prop());
}

/// systemd < 255 refuses PIDFDs (252 says PropertyReadOnly, others UnknownProperty): ssc
/// asks again, identically but with PIDs.
#[test]
fn falls_back_to_pids_when_pidfds_unknown() {
    for error in [
        "org.freedesktop.DBus.Error.PropertyReadOnly",
        "org.freedesktop.DBus.Error.UnknownProperty",
    ] {
        let h = Harness::new(move |n, _| match n {
            0 => vec![Step::Fail(
                error,
                "Cannot set property PIDFDs, or unknown property.",
            )],
            _ => vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")],
        });
        h.start(&strict_request(), pidfd(), TIMEOUT)
            .unwrap_or_else(|e| panic!("{error}: {e}"));
        let calls = h.calls();
        assert_eq!(calls.len(), 2, "{error}: {calls:#?}");
        assert_strict_call(&calls[0], pidfds_prop());
        assert_strict_call(&calls[1], pids_prop());
    }
}

/// If the PIDs call is refused too, ssc gives up after it: no third call.
#[test]
fn fallback_is_tried_once() {
    let h = Harness::new(|_, _| {
        vec![Step::Fail(
            "org.freedesktop.DBus.Error.UnknownProperty",
            "Cannot set property PIDs, or unknown property.",
        )]
    });
    let e = expect_err(h.start(&strict_request(), pidfd(), TIMEOUT));
    assert!(
        e.to_string()
            .contains("org.freedesktop.DBus.Error.UnknownProperty"),
        "{e}"
    );
    let calls = h.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_strict_call(&calls[1], pids_prop());
}

/// Any other error is final.
#[test]
fn other_errors_are_not_retried() {
    let h = Harness::new(|_, _| {
        vec![Step::Fail(
            "org.freedesktop.DBus.Error.AccessDenied",
            "Access denied",
        )]
    });
    let e = expect_err(h.start(&strict_request(), pidfd(), TIMEOUT));
    let text = e.to_string();
    assert!(
        text.contains("org.freedesktop.DBus.Error.AccessDenied"),
        "{text}"
    );
    assert!(text.contains(UNIT), "{text}");
    let calls = h.calls();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_strict_call(&calls[0], pidfds_prop());
}

/// A job that ends in anything but "done" is a failure that names the result.
#[test]
fn job_results_other_than_done_fail() {
    for result in ["failed", "canceled"] {
        let h = Harness::new(move |_, _| vec![Step::Reply(JOB), Step::JobRemoved(JOB, result)]);
        let e = expect_err(h.start(&strict_request(), pidfd(), TIMEOUT));
        let text = e.to_string();
        assert!(text.contains(&format!("'{result}'")), "{text}");
        assert!(text.contains(JOB), "{text}");
        assert_eq!(h.calls().len(), 1);
    }
}

/// No JobRemoved at all: ssc gives up after the timeout it was given.
#[test]
fn no_job_removed_times_out() {
    let h = Harness::new(|_, _| vec![Step::Reply(JOB)]);
    let begin = Instant::now();
    let e = expect_err(h.start(&strict_request(), pidfd(), Duration::from_secs(1)));
    let took = begin.elapsed();
    assert!(e.to_string().contains("no JobRemoved"), "{e}");
    assert!(e.to_string().contains(JOB), "{e}");
    assert!(took >= Duration::from_secs(1), "gave up early: {took:?}");
    assert!(took < Duration::from_secs(4), "gave up late: {took:?}");
}

/// The job may finish before the reply reaches ssc: it subscribed before calling.
#[test]
fn job_removed_before_method_return() {
    let h = Harness::new(|_, _| vec![Step::JobRemoved(JOB, "done"), Step::Reply(JOB)]);
    h.start(&strict_request(), pidfd(), TIMEOUT).unwrap();
    assert_eq!(h.calls().len(), 1);
}

/// Other jobs' signals, before and after the reply, are not ours.
#[test]
fn other_jobs_are_ignored() {
    let h = Harness::new(|_, _| {
        vec![
            Step::JobRemoved("/org/freedesktop/systemd1/job/1", "failed"),
            Step::Reply(JOB),
            Step::JobRemoved("/org/freedesktop/systemd1/job/4243", "failed"),
            Step::JobRemoved("/org/freedesktop/systemd1/job/424", "canceled"),
            Step::JobRemoved(JOB, "done"),
        ]
    });
    h.start(&strict_request(), pidfd(), TIMEOUT).unwrap();
    assert_eq!(h.calls().len(), 1);
}

/// A JobRemoved "done" from someone other than systemd does not count; systemd's own
/// "failed", sent after it, does.
#[test]
fn forged_job_removed_is_ignored() {
    let h = Harness::new(|_, _| {
        vec![
            Step::Forged(JOB, "done"),
            Step::Reply(JOB),
            Step::Forged(JOB, "done"),
            Step::JobRemoved(JOB, "failed"),
        ]
    });
    let e = expect_err(h.start(&strict_request(), pidfd(), TIMEOUT));
    assert!(e.to_string().contains("'failed'"), "{e}");
    assert_eq!(h.calls().len(), 1);
}

/// A forged "done" sent straight to ssc's connection gets past any match rule; ssc must
/// still take only the manager's word.
#[test]
fn unicast_forged_job_removed_is_ignored() {
    let h = Harness::new(|_, _| {
        vec![
            Step::ForgedUnicast(JOB, "done"),
            Step::Reply(JOB),
            Step::ForgedUnicast(JOB, "done"),
            Step::JobRemoved(JOB, "failed"),
        ]
    });
    let e = expect_err(h.start(&strict_request(), pidfd(), TIMEOUT));
    assert!(e.to_string().contains("'failed'"), "{e}");
}

/// Nobody owns org.freedesktop.systemd1: an error, not a hang.
#[test]
fn no_systemd_on_the_bus() {
    let bus = Bus::start();
    let client = bus.connect();
    let begin = Instant::now();
    let e = expect_err(start(&client, &mut strict_request(), pidfd(), TIMEOUT));
    assert!(begin.elapsed() < TIMEOUT, "{e}");
    assert!(e.to_string().contains(UNIT), "{e}");
}

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
        UNIQUE,
    );
    let h = Harness::new(|_, _| vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")]);
    h.start(&req, pidfd(), TIMEOUT).unwrap();
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
        pidfds_prop(),
    ]
    .into_iter()
    .map(|(n, sig, v)| (n.to_string(), sig.to_string(), v))
    .collect();
    assert_eq!(call.props, want);
}

const DESTRUCTIVE: &str = "org.freedesktop.systemd1.TransactionIsDestructive";

/// While user-UID.slice has a stop job queued systemd refuses the scope as destructive;
/// ssc asks again under a new unit name (the refused one stays loaded until collected).
#[test]
fn destructive_transaction_is_retried_under_a_new_name() {
    let h = Harness::new(|n, _| {
        match n {
        0 | 1 => vec![Step::Fail(
            DESTRUCTIVE,
            "Transaction for ssc-strict-1.scope/start is destructive (user-1000.slice has 'stop' job queued, but 'start' is included in transaction).",
        )],
        _ => vec![Step::Reply(JOB), Step::JobRemoved(JOB, "done")],
    }
    });
    h.start(&strict_request(), pidfd(), TIMEOUT).unwrap();
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
    for c in &calls {
        assert_eq!(c.props.last().unwrap().0, "PIDFDs");
    }
}

/// A slice that never settles: ssc gives up after six attempts, with the error.
#[test]
fn destructive_transaction_retries_are_bounded() {
    let h = Harness::new(|_, _| vec![Step::Fail(DESTRUCTIVE, "destructive")]);
    let e = expect_err(h.start(&strict_request(), pidfd(), TIMEOUT));
    assert!(e.to_string().contains(DESTRUCTIVE), "{e}");
    assert_eq!(e.exit_code(), 125);
    assert_eq!(h.calls().len(), 6);
}
