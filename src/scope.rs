//! The transient scope: what ssc asks systemd for, and asking it over D-Bus.
//!
//! This follows systemd-run --scope (src/run/run.c): subscribe to JobRemoved, call
//! StartTransientUnit with ssc's own process in the scope (PIDFDs, or PIDs on systemd
//! older than 255), then wait for that job to finish with result "done".

use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::unistd::{Pid, Uid};
use zbus::blocking::{Connection, MessageIterator};
use zbus::message::Type as MessageType;
use zbus::zvariant::{Fd, OwnedObjectPath, Value};
use zbus::{MatchRule, Message};

use crate::error::{Error, Result};
use crate::profile::{BusValue, Profile};

/// The fixed system bus socket. DBUS_SYSTEM_BUS_ADDRESS is never consulted: it belongs to
/// the caller, and zbus would even run a `unixexec:` address.
pub const SYSTEM_BUS_SOCKET: &str = "/run/dbus/system_bus_socket";
pub const SYSTEMD: &str = "org.freedesktop.systemd1";
pub const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
pub const MANAGER: &str = "org.freedesktop.systemd1.Manager";
/// systemd-run's answers that mean "this systemd does not know PIDFDs" (before v255).
const NO_PIDFDS: [&str; 2] = [
    "org.freedesktop.DBus.Error.UnknownProperty",
    "org.freedesktop.DBus.Error.PropertyReadOnly",
];
pub const JOB_TIMEOUT: Duration = Duration::from_secs(30);
/// systemd refuses a scope whose slice has a stop job queued: user-UID.slice just after
/// the user's last unit in it ended. That passes once the stop job has run.
const DESTRUCTIVE: &str = "org.freedesktop.systemd1.TransactionIsDestructive";
const ATTEMPTS: u32 = 6;

/// Everything about the scope that is known before talking to systemd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub profile: String,
    pub unit: String,
    /// (D-Bus name, value, the setting in systemd syntax) in the order sent.
    pub properties: Vec<(&'static str, BusValue, String)>,
}

/// How ssc's own process is put into the scope.
#[derive(Debug)]
pub enum Placement {
    PidFd(OwnedFd),
    Pid(Pid),
}

impl Request {
    pub fn new(profile: &Profile, uid: Uid, command: &[OsString], unique: &str) -> Request {
        let slice = format!("user-{uid}.slice");
        let description = description(profile, command);
        let mut properties = vec![
            (
                "Description",
                BusValue::Str(description.clone()),
                format!("Description={description}"),
            ),
            (
                "Slice",
                BusValue::Str(slice.clone()),
                format!("Slice={slice}"),
            ),
            (
                "CollectMode",
                BusValue::Str("inactive-or-failed".into()),
                "CollectMode=inactive-or-failed".into(),
            ),
        ];
        properties.extend(profile.bus_properties());
        Request {
            profile: profile.name.clone(),
            unit: unit_name(&profile.name, unique),
            properties,
        }
    }

    /// A refused unit stays loaded until systemd collects it, so a retry needs a new name.
    fn rename(&mut self) -> Result<()> {
        self.unit = unit_name(&self.profile, &unique_suffix()?);
        Ok(())
    }
}

fn unit_name(profile: &str, unique: &str) -> String {
    format!("ssc-{profile}-{unique}.scope")
}

/// "ssc strict: firefox https://…": the profile and the command line, on one bounded line.
fn description(profile: &Profile, command: &[OsString]) -> String {
    let mut line = format!("ssc {}:", profile.name);
    for arg in command {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    let mut line: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() > 200 {
        line = line.chars().take(199).chain(['…']).collect();
    }
    line
}

/// A unit-name suffix that no other ssc run will pick: our pid plus 32 random bits.
pub fn unique_suffix() -> Result<String> {
    use std::io::Read;
    let mut r = [0u8; 4];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut r))
        .map_err(|e| Error::Bus(format!("/dev/urandom: {e}")))?;
    Ok(format!(
        "{}-{:08x}",
        std::process::id(),
        u32::from_ne_bytes(r)
    ))
}

/// Authenticates on a socket connected to the system bus as `uid`. The bus takes the uid
/// from SO_PEERCRED, fixed at connect(): a socket connected as root stays root's even
/// though the handshake runs with the caller's euid.
pub fn connect(stream: UnixStream, uid: u32) -> Result<Connection> {
    zbus::blocking::connection::Builder::async_io_unix_stream(stream)
        .user_id(uid)
        // Room for the messages that arrive while the JobRemoved thread starts.
        .max_queued(1024)
        .method_timeout(JOB_TIMEOUT)
        .build()
        .map_err(|e| Error::Bus(format!("system bus: {}", describe(&e))))
}

/// Starts the scope with this process in it and waits for its job to succeed. On retry
/// the unit gets a new name, so `req.unit` is the name of the scope that was started.
pub fn start(
    bus: &Connection,
    req: &mut Request,
    mut placement: Placement,
    timeout: Duration,
) -> Result<()> {
    let fail = |unit: &str, what: String| Error::Bus(format!("cannot create scope {unit}: {what}"));
    let jobs = subscribe_job_removed(bus).map_err(|e| fail(&req.unit, describe(&e)))?;
    let mut attempt = 1;
    let (job, manager) = loop {
        let result = match start_transient_unit(bus, req, &placement) {
            Err(zbus::Error::MethodError(name, _, _)) if NO_PIDFDS.contains(&name.as_str()) => {
                placement = Placement::Pid(Pid::this());
                start_transient_unit(bus, req, &placement)
            }
            other => other,
        };
        match result {
            Err(zbus::Error::MethodError(name, _, _))
                if name.as_str() == DESTRUCTIVE && attempt < ATTEMPTS =>
            {
                // 25 ms, doubling: the stop job of an empty slice takes milliseconds.
                std::thread::sleep(Duration::from_millis(25 << (attempt - 1)));
                attempt += 1;
                req.rename()?;
            }
            other => break other.map_err(|e| fail(&req.unit, describe(&e)))?,
        }
    };
    let fail = |what: String| fail(&req.unit, what);
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match jobs.recv_timeout(left) {
            Ok(Event::AddMatchFailed(e)) => {
                return Err(fail(format!("subscribing to JobRemoved: {e}")))
            }
            Ok(Event::JobRemoved {
                sender,
                job: path,
                result,
            }) if path == job && sender.is_some() && sender == manager => {
                return match result.as_str() {
                    "done" => Ok(()),
                    other => Err(fail(format!(
                        "job {} finished with result '{other}'",
                        job.as_str()
                    ))),
                }
            }
            Ok(_) => {}
            Err(_) => {
                return Err(fail(format!(
                    "no JobRemoved for {} within {timeout:?}",
                    job.as_str()
                )))
            }
        }
    }
}

/// What the subscription thread passes on.
enum Event {
    /// A JobRemoved signal: who sent it, the job and its result.
    JobRemoved {
        sender: Option<String>,
        job: OwnedObjectPath,
        result: String,
    },
    /// The bus refused the match rule, so no JobRemoved would ever arrive.
    AddMatchFailed(String),
}

/// Subscribes to JobRemoved(id, job, unit, result) with a match rule that lets the bus route
/// only signals from the owner of org.freedesktop.systemd1, a name only root can own; `start`
/// also checks each against the unique name that answered its call. AddMatch is sent without
/// waiting for its answer, which saves a round trip: the bus handles a connection's messages
/// in order, so the match is in place before StartTransientUnit arrives. A thread drains the
/// messages because the blocking iterator has no timeout of its own.
fn subscribe_job_removed(bus: &Connection) -> zbus::Result<mpsc::Receiver<Event>> {
    let rule = MatchRule::builder()
        .msg_type(MessageType::Signal)
        .sender(SYSTEMD)?
        .path(MANAGER_PATH)?
        .interface(MANAGER)?
        .member("JobRemoved")?
        .build();
    // Everything that arrives from now on, so nothing is missed before AddMatch's answer.
    let incoming = MessageIterator::from(bus);
    let add_match = Message::method_call("/org/freedesktop/DBus", "AddMatch")?
        .destination("org.freedesktop.DBus")?
        .interface("org.freedesktop.DBus")?
        .build(&(rule.to_string(),))?;
    let add_match_serial = add_match.primary_header().serial_num();
    bus.send(&add_match)?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for msg in incoming.flatten() {
            let event = match msg.message_type() {
                MessageType::Error if msg.header().reply_serial() == Some(add_match_serial) => {
                    Event::AddMatchFailed(describe(&zbus::Error::from(msg)))
                }
                MessageType::Signal if rule.matches(&msg).unwrap_or(false) => {
                    let sender = msg.header().sender().map(|s| s.to_string());
                    match msg
                        .body()
                        .deserialize::<(u32, OwnedObjectPath, String, String)>()
                    {
                        Ok((_, job, _, result)) => Event::JobRemoved {
                            sender,
                            job,
                            result,
                        },
                        Err(_) => continue,
                    }
                }
                _ => continue,
            };
            if tx.send(event).is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

/// The job, and the unique bus name of the manager that answered.
fn start_transient_unit(
    bus: &Connection,
    req: &Request,
    placement: &Placement,
) -> zbus::Result<(OwnedObjectPath, Option<String>)> {
    let mut props: Vec<(&str, Value)> = req
        .properties
        .iter()
        .map(|(name, value, _)| {
            let v = match value {
                BusValue::Str(s) => Value::from(s.as_str()),
                BusValue::U32(n) => Value::from(*n),
                BusValue::U64(n) => Value::from(*n),
            };
            (*name, v)
        })
        .collect();
    props.push(match placement {
        Placement::PidFd(fd) => ("PIDFDs", Value::from(vec![Fd::from(fd.as_fd())])),
        Placement::Pid(pid) => ("PIDs", Value::from(vec![pid.as_raw() as u32])),
    });
    let aux: Vec<(&str, Vec<(&str, Value)>)> = Vec::new();
    let reply = bus.call_method(
        Some(SYSTEMD),
        MANAGER_PATH,
        Some(MANAGER),
        "StartTransientUnit",
        &(req.unit.as_str(), "fail", props, aux),
    )?;
    let manager = reply.header().sender().map(|s| s.to_string());
    Ok((reply.body().deserialize()?, manager))
}

fn describe(e: &zbus::Error) -> String {
    match e {
        zbus::Error::MethodError(name, Some(msg), _) => format!("{}: {msg}", name.as_str()),
        zbus::Error::MethodError(name, None, _) => name.as_str().to_string(),
        other => other.to_string(),
    }
}

/// The scope ssc's process is now in, from /proc/self/cgroup (cgroup v2's "0::" line).
pub fn current_unit() -> Result<String> {
    let text = std::fs::read_to_string("/proc/self/cgroup")
        .map_err(|e| Error::Bus(format!("/proc/self/cgroup: {e}")))?;
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .and_then(|path| path.rsplit('/').next())
        .map(str::to_string)
        .ok_or_else(|| Error::Bus("/proc/self/cgroup: no cgroup v2 entry".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::built_in;

    #[test]
    fn request_names_slice_profile_and_command() {
        let strict = built_in("strict", 4).unwrap();
        let cmd = vec![
            OsString::from("firefox"),
            OsString::from("https://example.org/\n"),
        ];
        let req = Request::new(&strict, Uid::from_raw(1000), &cmd, "42-0000abcd");
        assert_eq!(req.unit, "ssc-strict-42-0000abcd.scope");
        let props: Vec<(&str, BusValue)> = req
            .properties
            .iter()
            .map(|(n, v, _)| (*n, v.clone()))
            .collect();
        assert_eq!(
            props,
            vec![
                (
                    "Description",
                    BusValue::Str("ssc strict: firefox https://example.org/ ".into())
                ),
                ("Slice", BusValue::Str("user-1000.slice".into())),
                ("CollectMode", BusValue::Str("inactive-or-failed".into())),
                ("MemoryMaxScale", BusValue::U32(3_006_477_107)),
                ("CPUQuotaPerSecUSec", BusValue::U64(3_000_000)),
            ]
        );
    }

    #[test]
    fn long_descriptions_are_cut() {
        let relaxed = built_in("relaxed", 1).unwrap();
        let req = Request::new(
            &relaxed,
            Uid::from_raw(1),
            &[OsString::from("x".repeat(500))],
            "1-0",
        );
        let BusValue::Str(d) = &req.properties[0].1 else {
            panic!()
        };
        assert_eq!(d.chars().count(), 200);
        assert!(d.ends_with('…'));
    }
}
