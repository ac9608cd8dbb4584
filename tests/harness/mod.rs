//! Fake systemd managers for `ssc::scope`, at the wire level.
//!
//! Two ways to reach the fake, as ssc reaches systemd:
//! - `Harness::direct`: a Unix socket of its own, spoken to peer to peer, as systemd's
//!   private socket is (zbus as a p2p server);
//! - `Harness::bus`: a private `dbus-daemon` on which the fake owns
//!   `org.freedesktop.systemd1`, with a third connection that forges signals.
//!
//! The fake decodes each call itself, so it records exactly what ssc put on the wire (body
//! signature, property names, variant signatures, values), and answers with a per-test
//! script of replies, errors, JobRemoved signals and dropped connections. zbus is an
//! independent implementation of the protocol, so ssc's own encoder is checked against it.
//! The bus needs the `dbus-daemon` binary (Debian package `dbus-daemon`).

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::unistd::geteuid;
use ssc::bus::{self, Peer};
use ssc::scope::{self, Attempt, FirstWrite, Request};
use zbus::blocking::{Connection, MessageIterator};
use zbus::message::{Message, Type as MessageType};
use zbus::names::BusName;
use zbus::zvariant::{ObjectPath, Value};
use zbus::MatchRule;

pub const SYSTEMD: &str = "org.freedesktop.systemd1";
pub const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
pub const MANAGER: &str = "org.freedesktop.systemd1.Manager";
/// StartTransientUnit(s name, s mode, a(sv) properties, a(sa(sv)) aux).
pub const START_SIGNATURE: &str = "ssa(sv)a(sa(sv))";
/// The job path the fake hands out, known in advance so a third party can forge it.
pub const JOB: &str = "/org/freedesktop/systemd1/job/4242";

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ssc-fake-systemd-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------
// A private bus.

/// A `dbus-daemon` listening in its own temporary directory; killed on drop.
pub struct Bus {
    pub socket: PathBuf,
    daemon: Child,
    _dir: TempDir,
}

impl Bus {
    pub fn start() -> Bus {
        let dir = TempDir::new();
        let socket = dir.0.join("bus");
        let config = dir.0.join("bus.conf");
        let log = dir.0.join("stderr");
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
        let program = "dbus-daemon";
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
            panic!("{program} did not start (stdout {line:?}): {err}");
        }
        Bus {
            socket,
            daemon,
            _dir: dir,
        }
    }

    pub fn connect(&self) -> Connection {
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
pub enum Val {
    Str(String),
    U32(u32),
    U64(u64),
    Pids(Vec<u32>),
    Other(String),
}

pub fn s(v: &str) -> Val {
    Val::Str(v.into())
}

/// One StartTransientUnit call as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub body_signature: String,
    pub unit: String,
    pub mode: String,
    /// (name, variant signature, value), in the order sent.
    pub props: Vec<(String, String, Val)>,
    pub aux_len: usize,
}

/// What the fake does after recording a call, in order.
#[derive(Debug, Clone)]
pub enum Step {
    /// Method return with this job path.
    Reply(&'static str),
    /// Error reply: (error name, message).
    Fail(&'static str, &'static str),
    /// JobRemoved(job, result) from the manager itself.
    JobRemoved(&'static str, &'static str),
    /// JobRemoved of a stop job of user-1000.slice, from the manager itself.
    SliceStopped,
    /// A signal named JobRemoved for this job, from the manager's connection but on another
    /// interface: not systemd's JobRemoved.
    Impostor(&'static str),
    /// On the bus: the same signal, but from a third connection that does not own the
    /// manager's name. It is on the bus (and routed) before the fake takes its next step.
    Forged(&'static str, &'static str),
    /// On the bus: a forged signal sent to ssc's connection by name, which the bus delivers
    /// whatever the match rules say.
    ForgedUnicast(&'static str, &'static str),
    /// On the bus: a forged JobRemoved of a stop job of user-1000.slice, sent to ssc's
    /// connection by name.
    ForgedSliceStopped,
    /// On the bus: a signal of about this many bytes, sent to ssc's connection by name.
    Jam(usize),
    /// Close the connection without answering.
    Hangup,
}

pub type Script = dyn Fn(usize, &Call) -> Vec<Step> + Send + Sync;

#[derive(Default)]
pub struct Record {
    pub calls: Vec<Call>,
    /// Every method call, as "interface.member".
    pub methods: Vec<String>,
    /// When the fake saw ssc close a direct connection.
    pub closed: Option<Instant>,
    /// Anything the fake could not do; the test fails on it.
    pub problems: Vec<String>,
}

/// A fake manager and the socket that ssc connects to.
pub struct Harness {
    pub peer: Peer,
    pub socket: PathBuf,
    pub record: Arc<Mutex<Record>>,
    _bus: Option<(Bus, Connection)>,
    _dir: Option<TempDir>,
}

impl Harness {
    /// The fake on its own socket, peer to peer, as systemd's private socket.
    pub fn direct(script: impl Fn(usize, &Call) -> Vec<Step> + Send + Sync + 'static) -> Harness {
        let dir = TempDir::new();
        let socket = dir.0.join("private");
        let listener = UnixListener::bind(&socket).unwrap();
        let record = Arc::new(Mutex::new(Record::default()));
        let script: Arc<Script> = Arc::new(script);
        {
            let record = record.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(client) = stream else { break };
                    let (record, script) = (record.clone(), script.clone());
                    let (ours, theirs) = UnixStream::pair().unwrap();
                    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
                    std::thread::spawn(move || serve_direct(theirs, &*script, &record, ready_tx));
                    relay(client, ours, ready_rx);
                }
            });
        }
        Harness {
            peer: Peer::Systemd,
            socket,
            record,
            _bus: None,
            _dir: Some(dir),
        }
    }

    /// The fake on a private dbus-daemon, owning org.freedesktop.systemd1.
    pub fn bus(script: impl Fn(usize, &Call) -> Vec<Step> + Send + Sync + 'static) -> Harness {
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
            std::thread::spawn(move || {
                for msg in incoming {
                    let Ok(msg) = msg else { break };
                    if let Err(e) = handle(&fake, Some(&forger), &msg, &script, &record) {
                        record.lock().unwrap().problems.push(e.to_string());
                    }
                }
            });
        }
        Harness {
            peer: Peer::Bus,
            socket: bus.socket.clone(),
            record,
            _bus: Some((bus, fake)),
            _dir: None,
        }
    }

    /// What ssc does on one socket: encode, connect, then `scope::start`.
    pub fn start(&self, req: &Request, within: Duration) -> Result<(), Attempt> {
        let deadline = Instant::now() + within;
        let first = FirstWrite::new(self.peer, geteuid(), req).unwrap();
        let stream = bus::connect(&self.socket.to_string_lossy(), deadline).unwrap();
        scope::start(stream, first, &mut req.clone(), deadline)
    }

    /// Every StartTransientUnit call so far. The fake records a call before it answers,
    /// so once `start` has returned the record is complete.
    pub fn calls(&self) -> Vec<Call> {
        let record = self.record.lock().unwrap();
        assert!(
            record.problems.is_empty(),
            "fake manager: {:?}",
            record.problems
        );
        record.calls.clone()
    }

    pub fn methods(&self) -> Vec<String> {
        self.record.lock().unwrap().methods.clone()
    }

    /// How long after `since` the fake saw ssc close its direct connection.
    pub fn closed_within(&self, since: Instant, limit: Duration) -> Option<Duration> {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if let Some(t) = self.record.lock().unwrap().closed {
                return Some(t.saturating_duration_since(since));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }
}

/// A listener that accepts each connection and closes it at once, as systemd does when it
/// has too many.
pub fn refusing_socket(dir: &TempDir) -> PathBuf {
    let socket = dir.0.join("refusing");
    let listener = UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    socket
}

/// Copies bytes between ssc and the zbus server, holding back what ssc sends after its
/// BEGIN until the fake listens. ssc sends AUTH, BEGIN and its call at once (as sd-bus
/// does, and systemd reads them in order); a zbus server would dispatch a call that came
/// with BEGIN before the fake could subscribe to it, and lose it.
fn relay(client: UnixStream, server: UnixStream, ready: std::sync::mpsc::Receiver<()>) {
    use std::io::{Read, Write};
    let (mut from_server, mut to_client) =
        (server.try_clone().unwrap(), client.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(std::net::Shutdown::Both);
    });
    let (mut from_client, mut to_server) = (client, server);
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let mut held = true;
        loop {
            let n = match from_client.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if !held {
                if to_server.write_all(&buf[..n]).is_err() {
                    break;
                }
                continue;
            }
            seen.extend_from_slice(&buf[..n]);
            if let Some(end) = seen.windows(7).position(|w| w == b"BEGIN\r\n") {
                let (auth, rest) = seen.split_at(end + 7);
                if to_server.write_all(auth).is_err() || ready.recv().is_err() {
                    break;
                }
                if to_server.write_all(rest).is_err() {
                    break;
                }
                held = false;
            }
        }
        let _ = to_server.shutdown(std::net::Shutdown::Both);
    });
}

fn serve_direct(
    stream: UnixStream,
    script: &Script,
    record: &Mutex<Record>,
    ready: std::sync::mpsc::Sender<()>,
) {
    let guid = zbus::Guid::generate();
    let conn = match zbus::blocking::connection::Builder::async_io_unix_stream(stream)
        .server(guid)
        .and_then(|b| b.p2p().build())
    {
        Ok(c) => c,
        Err(e) => {
            record
                .lock()
                .unwrap()
                .problems
                .push(format!("p2p handshake: {e}"));
            return;
        }
    };
    let incoming = MessageIterator::from(&conn);
    let _ = ready.send(());
    for msg in incoming {
        let Ok(msg) = msg else { break };
        if msg.message_type() != MessageType::MethodCall {
            continue;
        }
        match handle(&conn, None, &msg, script, record) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => record.lock().unwrap().problems.push(e.to_string()),
        }
    }
    record.lock().unwrap().closed = Some(Instant::now());
}

/// Answers one method call. Ok(false): the script hung up.
fn handle(
    fake: &Connection,
    forger: Option<&Connection>,
    msg: &Message,
    script: &Script,
    record: &Mutex<Record>,
) -> zbus::Result<bool> {
    let hdr = msg.header();
    let path = hdr.path().map(|p| p.as_str()).unwrap_or_default();
    let iface = hdr.interface().map(|i| i.as_str()).unwrap_or_default();
    let member = hdr.member().map(|m| m.as_str()).unwrap_or_default();
    record
        .lock()
        .unwrap()
        .methods
        .push(format!("{iface}.{member}"));
    if (path, iface, member) != (MANAGER_PATH, MANAGER, "StartTransientUnit") {
        record
            .lock()
            .unwrap()
            .problems
            .push(format!("unexpected call {path} {iface}.{member}"));
        fake.send(
            &Message::error(&hdr, "org.freedesktop.DBus.Error.UnknownMethod")?
                .build(&("not faked",))?,
        )?;
        return Ok(true);
    }
    let call = decode(msg);
    let n = {
        let mut record = record.lock().unwrap();
        record.calls.push(call.clone());
        record.calls.len() - 1
    };
    if call.body_signature != START_SIGNATURE {
        fake.send(
            &Message::error(&hdr, "org.freedesktop.DBus.Error.InvalidArgs")?
                .build(&("wrong signature",))?,
        )?;
        return Ok(true);
    }
    for step in script(n, &call) {
        match step {
            Step::Reply(job) => {
                fake.send(&Message::method_return(&hdr)?.build(&(ObjectPath::try_from(job)?,))?)?
            }
            Step::Fail(name, text) => {
                fake.send(&Message::error(&hdr, name)?.build(&(text,))?)?;
            }
            Step::JobRemoved(job, result) => {
                job_removed(fake, None, MANAGER, job, &call.unit, result)?
            }
            Step::SliceStopped => job_removed(
                fake,
                None,
                MANAGER,
                "/org/freedesktop/systemd1/job/17",
                "user-1000.slice",
                "done",
            )?,
            Step::Impostor(job) => job_removed(
                fake,
                None,
                "org.example.NotTheManager",
                job,
                &call.unit,
                "done",
            )?,
            Step::Forged(..)
            | Step::ForgedUnicast(..)
            | Step::ForgedSliceStopped
            | Step::Jam(_) => {
                let forger = forger.expect("forging needs the bus");
                let ssc = || hdr.sender().map(|s| BusName::from(s.to_owned()));
                match step {
                    Step::Forged(job, result) => {
                        job_removed(forger, None, MANAGER, job, &call.unit, result)?
                    }
                    Step::ForgedUnicast(job, result) => {
                        job_removed(forger, ssc(), MANAGER, job, &call.unit, result)?
                    }
                    Step::ForgedSliceStopped => job_removed(
                        forger,
                        ssc(),
                        MANAGER,
                        "/org/freedesktop/systemd1/job/17",
                        "user-1000.slice",
                        "done",
                    )?,
                    Step::Jam(size) => forger.emit_signal(
                        ssc(),
                        "/org/example/Jam",
                        "org.example.Jam",
                        "Jam",
                        &("x".repeat(size),),
                    )?,
                    _ => unreachable!(),
                }
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
            Step::Hangup => {
                let _ = fake.clone().close();
                return Ok(false);
            }
        }
    }
    Ok(true)
}

fn job_removed(
    conn: &Connection,
    to: Option<BusName<'_>>,
    interface: &str,
    job: &str,
    unit: &str,
    result: &str,
) -> zbus::Result<()> {
    let id: u32 = job.rsplit('/').next().unwrap().parse().unwrap_or(0);
    conn.emit_signal(
        to,
        MANAGER_PATH,
        interface,
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
        Value::Array(a) if a.element_signature().to_string() == "u" => Val::Pids(
            a.inner()
                .iter()
                .filter_map(|e| match e {
                    Value::U32(n) => Some(*n),
                    _ => None,
                })
                .collect(),
        ),
        other => Val::Other(compact(other)),
    }
}

/// Any other value, compactly: numbers, "strings", [arrays] and (structures).
fn compact(v: &Value) -> String {
    let list = |items: Vec<String>| items.join(",");
    match v {
        Value::U8(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::I32(n) => n.to_string(),
        Value::U16(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::Str(s) => format!("{:?}", s.as_str()),
        Value::Array(a) => format!("[{}]", list(a.inner().iter().map(compact).collect())),
        Value::Structure(s) => format!("({})", list(s.fields().iter().map(compact).collect())),
        other => format!("{other:?}"),
    }
}

/// Whether `path` is a Unix socket nobody listens on.
pub fn missing(dir: &Path) -> PathBuf {
    dir.join("no-such-socket")
}
