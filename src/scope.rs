//! The transient scope: what ssc asks systemd for, and asking it.
//!
//! This follows systemd-run --scope (src/run/run.c) as root: connect to systemd's own
//! socket, call StartTransientUnit with ssc's own process in the scope, and wait for that
//! job to finish with result "done". If the private socket is missing or refuses the
//! connection, the same is asked over the system bus, where ssc must also subscribe to
//! JobRemoved and check who sent it.

use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use nix::unistd::{Pid, Uid};
use zvariant::OwnedObjectPath;

use crate::bus::{self, Connection, Kind, Message, Peer, ReadError};
use crate::error::{Context, Error, Result};
pub use crate::request::Request;
use crate::unit_name::UnitName;

pub const SYSTEMD: &str = "org.freedesktop.systemd1";
pub const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
pub const MANAGER: &str = "org.freedesktop.systemd1.Manager";
/// Where ssc asks for its scope, in this order. Both paths are fixed; nothing is taken
/// from the caller's environment.
pub const SOCKETS: [(&str, Peer); 2] = [
    (bus::SYSTEMD_PRIVATE, Peer::Systemd),
    (bus::SYSTEM_BUS, Peer::Bus),
];
/// One deadline for one launch's conversation with systemd: connect, authentication, the
/// call, its retries and the job. The wait for a slot comes before it, with a deadline of
/// its own (`slots::WAIT`). Past it, ssc gives up with 125 rather than wait for ever.
pub const DEADLINE: Duration = Duration::from_secs(90);
/// systemd refuses a scope whose slice has a stop job queued: user-UID.slice just after
/// the user's last unit in it ended (it is StopWhenUnneeded). That passes once the stop
/// job has run, so ssc waits for the slice's JobRemoved and asks again, until the
/// deadline. It must not ask again sooner: systemd runs queued jobs only when it has
/// nothing else to do, and a crowd of launches asking again and again keeps it busy and the
/// stop job queued (seen on systemd 252 in the VMs: refused for 90 s on end). systemd
/// sends that JobRemoved after its refusal, on the same connection, so it is not missed;
/// the pause of 5 s, doubling to 10 s and spread by the pid, is only a safety net. Job mode
/// "replace" would cancel the stop job instead, but that stop job may be the
/// administrator's `systemctl stop user-UID.slice`, which a user must not defeat by launching.
const DESTRUCTIVE: &str = "org.freedesktop.systemd1.TransactionIsDestructive";
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(10);
/// On the bus, only signals from the owner of org.freedesktop.systemd1 (a name only root
/// can own) are routed to us; each is also checked against the unique name that answered.
const JOB_REMOVED_RULE: &str = "type='signal',sender='org.freedesktop.systemd1',\
    path='/org/freedesktop/systemd1',interface='org.freedesktop.systemd1.Manager',\
    member='JobRemoved'";

/// The profile of the ssc scope this process runs in, from /proc/self/cgroup; None if it
/// is not in one.
pub fn origin_profile() -> Result<Option<String>> {
    Ok(current_unit()?.parse::<UnitName>().ok().map(|u| u.profile))
}

/// How one try on one socket ended.
#[derive(Debug)]
pub enum Attempt {
    /// The socket is missing, refuses connections, or the peer closed it or rejected us
    /// before authentication finished: nothing was acted on, and the next socket may work.
    Refused(String),
    Failed(Error),
}

/// Creates the scope with this process in it: over systemd's private socket, or over the
/// system bus if that is missing or refuses the connection. `connect` makes the socket
/// connection (as root, in ssc), which then authenticates as `uid`. On retry the unit gets
/// a new name, so `req.unit` is the name of the scope that was started.
pub fn create(
    sockets: &[(&str, Peer)],
    mut connect: impl FnMut(&str, Instant) -> Result<std::io::Result<UnixStream>>,
    uid: Uid,
    req: &mut Request,
    deadline: Instant,
) -> Result<()> {
    let mut refused = Vec::new();
    for &(path, peer) in sockets {
        let stream = match connect(path, deadline)? {
            Ok(stream) => stream,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                refused.push(format!("{path}: {e}"));
                continue;
            }
            // A full backlog makes connect() wait until its timeout: the deadline.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                return Err(fail(
                    &req.unit,
                    format!("{path}: no answer before the deadline"),
                ))
            }
            Err(e) => return Err(fail(&req.unit, format!("cannot connect to {path}: {e}"))),
        };
        match start(stream, peer, uid, req, deadline) {
            Ok(()) => return Ok(()),
            Err(Attempt::Refused(why)) => refused.push(format!("{path}: {why}")),
            Err(Attempt::Failed(e)) => return Err(e),
        }
    }
    Err(Error::Bus(format!(
        "cannot reach systemd: {}",
        refused.join("; ")
    )))
}

fn fail(unit: &str, what: String) -> Error {
    Error::Bus(format!("cannot create scope {unit}: {what}"))
}

/// One try on one connected socket. The connection is shut down before this returns,
/// the moment the job is done: systemd sends every direct connection every signal.
pub fn start(
    stream: UnixStream,
    peer: Peer,
    uid: Uid,
    req: &mut Request,
    deadline: Instant,
) -> Result<(), Attempt> {
    let mut conn = Connection::open(stream, peer, uid, deadline).map_err(|e| match e {
        bus::OpenError::Refused(why) => Attempt::Refused(why),
        bus::OpenError::Failed(e) => Attempt::Failed(e),
    })?;
    let result = converse(&mut conn, req, deadline);
    conn.close();
    result
}

/// A JobRemoved signal: who sent it, the job, its unit and its result.
struct JobRemoved {
    sender: Option<String>,
    job: OwnedObjectPath,
    unit: String,
    result: String,
}

fn converse(conn: &mut Connection, req: &mut Request, deadline: Instant) -> Result<(), Attempt> {
    let failed = |unit: &str, what: String| Attempt::Failed(fail(unit, what));
    let add_match = match conn.peer() {
        // Sent without waiting for its answer: the bus handles a connection's messages in
        // order, so the match is in place before StartTransientUnit reaches systemd.
        Peer::Bus => Some(
            conn.send(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "AddMatch",
                &(JOB_REMOVED_RULE,),
            )
            .map_err(|e| attempt(e, &req.unit))?,
        ),
        // systemd sends its signals to every direct connection unconditionally.
        Peer::Systemd => None,
    };
    // JobRemoved may arrive before the reply that names the job.
    let mut seen: Vec<JobRemoved> = Vec::new();
    // Launches that were refused together must not all ask again together.
    let mut pause = RETRY_FIRST + Duration::from_millis(u64::from(std::process::id() % 1000));
    let (job, manager) = loop {
        let serial = conn
            .send(
                Some(SYSTEMD),
                MANAGER_PATH,
                MANAGER,
                "StartTransientUnit",
                &req.body(Pid::this()),
            )
            .map_err(|e| attempt(e, &req.unit))?;
        let reply = loop {
            let msg = next(conn, &req.unit)?;
            if msg.reply_serial == Some(serial) {
                break msg;
            }
            if msg.kind == Kind::Error
                && msg.reply_serial.is_some()
                && msg.reply_serial == add_match
            {
                return Err(failed(
                    &req.unit,
                    format!("subscribing to JobRemoved: {}", msg.error_text()),
                ));
            }
            seen.extend(job_removed(&msg));
        };
        match reply.kind {
            Kind::MethodReturn => {
                let (job,): (OwnedObjectPath,) =
                    reply.body().map_err(|e| failed(&req.unit, e.to_string()))?;
                break (job, reply.sender);
            }
            Kind::Error if reply.error_name.as_deref() == Some(DESTRUCTIVE) => {
                let refused = || failed(&req.unit, reply.error_text());
                let left = bus::remaining(deadline).ok_or_else(refused)?;
                let until = Instant::now() + pause.min(left);
                loop {
                    match conn.receive_until(until) {
                        Ok(Some(msg)) if job_removed(&msg).is_some_and(|j| j.unit == req.slice) => {
                            break
                        }
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        // The deadline passed while waiting: systemd's answer says why.
                        Err(ReadError::Failed(_)) if bus::remaining(deadline).is_none() => {
                            return Err(refused())
                        }
                        Err(e) => return Err(attempt(e, &req.unit)),
                    }
                }
                pause = (pause * 2).min(RETRY_MAX);
                req.rename().map_err(Attempt::Failed)?;
            }
            _ => return Err(failed(&req.unit, reply.error_text())),
        }
    };
    // On the bus anyone may send a JobRemoved; only the manager that answered counts. A
    // direct connection has no sender names: its only peer is systemd.
    if conn.peer() == Peer::Bus && manager.is_none() {
        return Err(failed(&req.unit, "the reply names no sender".into()));
    }
    let ours = |s: &JobRemoved| s.job == job && s.sender == manager;
    let mut found = seen.into_iter().find(|s| ours(s));
    while found.is_none() {
        let msg = next(conn, &req.unit)?;
        found = job_removed(&msg).filter(|s| ours(s));
    }
    let result = found.map(|s| s.result).unwrap_or_default();
    match result.as_str() {
        "done" => Ok(()),
        other => Err(failed(
            &req.unit,
            format!("job {} finished with result '{other}'", job.as_str()),
        )),
    }
}

fn next(conn: &mut Connection, unit: &str) -> Result<Message, Attempt> {
    conn.receive_or_refused().map_err(|e| attempt(e, unit))
}

fn attempt(e: ReadError, unit: &str) -> Attempt {
    match e {
        ReadError::Refused(why) => Attempt::Refused(why),
        ReadError::Failed(e) => Attempt::Failed(fail(unit, e.to_string())),
    }
}

fn job_removed(msg: &Message) -> Option<JobRemoved> {
    if !msg.is_signal(MANAGER_PATH, MANAGER, "JobRemoved") {
        return None;
    }
    let (_, job, unit, result): (u32, OwnedObjectPath, String, String) = msg.body().ok()?;
    Some(JobRemoved {
        sender: msg.sender.clone(),
        job,
        unit,
        result,
    })
}

/// The scope ssc's process is now in, from /proc/self/cgroup (cgroup v2's "0::" line).
pub fn current_unit() -> Result<String> {
    let cgroup = current_cgroup()?;
    Ok(cgroup.rsplit('/').next().unwrap_or_default().to_string())
}

/// This process's cgroup v2 path, below /sys/fs/cgroup.
pub fn current_cgroup() -> Result<String> {
    let text = std::fs::read_to_string("/proc/self/cgroup").context("/proc/self/cgroup")?;
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(str::to_string)
        .ok_or_else(|| Error::sys("/proc/self/cgroup", "no cgroup v2 entry"))
}
