//! The transient scope: what ssc asks systemd for, and asking it.
//!
//! This follows systemd-run --scope (src/run/run.c) as root: connect to systemd's own
//! socket, call StartTransientUnit with ssc's own process in the scope, and wait for that
//! job to finish with result "done". If the private socket is missing or refuses the
//! connection, the same is asked over the system bus, where ssc must also subscribe to
//! JobRemoved and check who sent it.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, AT_FDCWD};
use nix::unistd::{faccessat, AccessFlags, Pid, Uid};
use zvariant::OwnedObjectPath;

use crate::bus::{self, Connection, Kind, Message, Opening, Peer, ReadError};
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
/// For a caller who may freeze ssc: the bus only (see `sockets_for`).
pub const BUS_ONLY: [(&str, Peer); 1] = [(bus::SYSTEM_BUS, Peer::Bus)];
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

/// The sockets to ask on, for a process in `cgroup` (from /proc/self/cgroup), checked with
/// the caller's credentials.
///
/// systemd sends every signal to every authenticated direct connection, and keeps what a
/// connection does not read in its own memory: up to 384Ki messages each. A caller who can
/// freeze ssc while it holds such a connection could make PID 1 grow with every signal
/// she provokes. A connection that has not authenticated gets nothing, and ssc's first and
/// only write before the reply carries the authentication and the whole request, which
/// moves ssc into its new scope and so thaws it; what is left is a request that fails
/// while ssc is frozen. So a caller who may freeze ssc is served over the bus, where PID 1
/// sends each signal once to dbus-daemon and dbus-daemon routes to ssc only what its
/// match rule asks for, within its per-connection limits; she does not fall back to the
/// private socket, since any user can make the bus drop a connection.
pub fn sockets_for(cgroup: &str) -> Result<&'static [(&'static str, Peer)]> {
    Ok(match caller_may_freeze(cgroup)? {
        true => &BUS_ONLY,
        false => &SOCKETS,
    })
}

/// Whether the caller may write a cgroup this process is in, or one above it: a
/// delegated subtree such as her user@UID.service. There she can freeze ssc (through
/// cgroup.freeze, or by making a child cgroup, moving ssc into it and freezing that) or
/// throttle it (cpu.max). Outside such a subtree she cannot move ssc into one either:
/// that needs write access to the common ancestor. Runs with the caller's euid.
pub fn caller_may_freeze(cgroup: &str) -> Result<bool> {
    let mut dir = PathBuf::from("/sys/fs/cgroup");
    for part in cgroup.split('/').filter(|p| !p.is_empty()) {
        dir.push(part);
        for path in [dir.clone(), dir.join("cgroup.freeze")] {
            match faccessat(AT_FDCWD, &path, AccessFlags::W_OK, AtFlags::AT_EACCESS) {
                Ok(()) => return Ok(true),
                Err(Errno::EACCES | Errno::EPERM | Errno::EROFS) => {}
                Err(e) => return Err(e).context(path.display().to_string()),
            }
        }
    }
    Ok(false)
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
        // Encoded before connect(): nothing but the one write follows it (see `FirstWrite`).
        let first = FirstWrite::new(peer, uid, req)?;
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
        match start(stream, first, req, deadline) {
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

/// The first bytes of one try, encoded before connect() and sent in one write():
/// authentication, on the bus Hello, AddMatch and GetNameOwner, then StartTransientUnit.
/// A caller who freezes ssc after connect() then leaves either a connection that has not
/// authenticated, to which systemd sends nothing and which it drops after its
/// authentication timeout, or the whole request, which moves ssc into its scope and thaws
/// it.
pub struct FirstWrite {
    opening: Opening,
    start: u32,
    add_match: Option<u32>,
    owner: Option<u32>,
}

impl FirstWrite {
    pub fn new(peer: Peer, uid: Uid, req: &Request) -> Result<FirstWrite> {
        let mut opening = Opening::new(peer, uid)?;
        let (add_match, owner) = match peer {
            // The bus handles a connection's messages in order: the match is in place, and
            // the manager's unique name known, before StartTransientUnit reaches systemd.
            Peer::Bus => (
                Some(opening.call(
                    Some("org.freedesktop.DBus"),
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus",
                    "AddMatch",
                    &(JOB_REMOVED_RULE,),
                )?),
                Some(opening.call(
                    Some("org.freedesktop.DBus"),
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus",
                    "GetNameOwner",
                    &(SYSTEMD,),
                )?),
            ),
            // systemd sends its signals to every direct connection unconditionally.
            Peer::Systemd => (None, None),
        };
        let start = opening.call(
            Some(SYSTEMD),
            MANAGER_PATH,
            MANAGER,
            "StartTransientUnit",
            &req.body(Pid::this()),
        )?;
        Ok(FirstWrite {
            opening,
            start,
            add_match,
            owner,
        })
    }

    /// What goes on the wire.
    pub fn bytes(&self) -> &[u8] {
        self.opening.bytes()
    }
}

/// One try on one connected socket. The connection is shut down before this returns,
/// the moment the job is done: systemd sends every direct connection every signal.
pub fn start(
    stream: UnixStream,
    first: FirstWrite,
    req: &mut Request,
    deadline: Instant,
) -> Result<(), Attempt> {
    let FirstWrite {
        opening,
        start,
        add_match,
        owner,
    } = first;
    let mut conn = Connection::open_with(stream, opening, deadline).map_err(|e| match e {
        bus::OpenError::Refused(why) => Attempt::Refused(why),
        bus::OpenError::Failed(e) => Attempt::Failed(e),
    })?;
    let result = converse(&mut conn, start, add_match, owner, req, deadline);
    conn.close();
    result
}

/// A JobRemoved signal: the job, its unit and its result.
struct JobRemoved {
    job: OwnedObjectPath,
    unit: String,
    result: String,
}

/// Who may speak for systemd. On the bus any user may send a unicast signal to any
/// connection: only the unique name that owns org.freedesktop.systemd1 (a name only root
/// can own), as the bus itself answered GetNameOwner, counts. A direct connection has no
/// sender names: its only peer is systemd.
struct Manager {
    peer: Peer,
    name: Option<String>,
}

impl Manager {
    fn sent(&self, msg: &Message) -> bool {
        match self.peer {
            Peer::Systemd => true,
            Peer::Bus => self.name.is_some() && msg.sender == self.name,
        }
    }

    /// A JobRemoved from systemd, or None for anything else.
    fn job_removed(&self, msg: &Message) -> Option<JobRemoved> {
        job_removed(msg).filter(|_| self.sent(msg))
    }
}

fn converse(
    conn: &mut Connection,
    first: u32,
    add_match: Option<u32>,
    owner: Option<u32>,
    req: &mut Request,
    deadline: Instant,
) -> Result<(), Attempt> {
    let failed = |unit: &str, what: String| Attempt::Failed(fail(unit, what));
    let mut manager = Manager {
        peer: conn.peer(),
        name: None,
    };
    // JobRemoved may arrive before the reply that names the job.
    let mut seen: Vec<JobRemoved> = Vec::new();
    // Launches that were refused together must not all ask again together.
    let mut pause = RETRY_FIRST + Duration::from_millis(u64::from(std::process::id() % 1000));
    let mut serial = first;
    let job = loop {
        let reply = loop {
            let msg = next(conn, &req.unit)?;
            if msg.reply_serial == Some(serial) {
                break msg;
            }
            let answers = |to: Option<u32>| to.is_some() && msg.reply_serial == to;
            if answers(add_match) && msg.kind == Kind::Error {
                return Err(failed(
                    &req.unit,
                    format!("subscribing to JobRemoved: {}", msg.error_text()),
                ));
            }
            if answers(owner) {
                let (name,): (String,) = match msg.kind {
                    Kind::MethodReturn => {
                        msg.body().map_err(|e| failed(&req.unit, e.to_string()))?
                    }
                    _ => {
                        return Err(failed(
                            &req.unit,
                            format!("systemd is not on the bus: {}", msg.error_text()),
                        ))
                    }
                };
                manager.name = Some(name);
                continue;
            }
            // Only systemd's own, and only about this unit: nobody else can grow this list.
            seen.extend(manager.job_removed(&msg).filter(|j| j.unit == req.unit));
        };
        match reply.kind {
            Kind::MethodReturn => {
                // The bus answered GetNameOwner before it passed the call on.
                if !manager.sent(&reply) {
                    return Err(failed(
                        &req.unit,
                        "the reply is not from the owner of org.freedesktop.systemd1".into(),
                    ));
                }
                let (job,): (OwnedObjectPath,) =
                    reply.body().map_err(|e| failed(&req.unit, e.to_string()))?;
                break job;
            }
            Kind::Error if reply.error_name.as_deref() == Some(DESTRUCTIVE) => {
                let refused = || failed(&req.unit, reply.error_text());
                let left = bus::remaining(deadline).ok_or_else(refused)?;
                let until = Instant::now() + pause.min(left);
                loop {
                    match conn.receive_until(until) {
                        Ok(Some(msg))
                            if manager
                                .job_removed(&msg)
                                .is_some_and(|j| j.unit == req.slice) =>
                        {
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
                serial = conn
                    .send(
                        Some(SYSTEMD),
                        MANAGER_PATH,
                        MANAGER,
                        "StartTransientUnit",
                        &req.body(Pid::this()),
                    )
                    .map_err(|e| attempt(e, &req.unit))?;
            }
            _ => return Err(failed(&req.unit, reply.error_text())),
        }
    };
    let mut found = seen.into_iter().find(|s| s.job == job);
    while found.is_none() {
        let msg = next(conn, &req.unit)?;
        found = manager.job_removed(&msg).filter(|s| s.job == job);
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
    Some(JobRemoved { job, unit, result })
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
