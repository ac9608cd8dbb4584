//! At most `SLOTS` launches of one user inside the root-connection window at once.
//!
//! A caller whose shell sits in a cgroup she may freeze (her delegated user@UID.service)
//! can freeze ssc between connect() and the moment systemd moves it into its new scope.
//! Nothing ssc does can end that wait: a frozen process runs no code. So each window holds
//! one of `SLOTS` lock files of its user, and a user can park at most `SLOTS` root
//! connections, however she tries. systemd accepts 4096 direct connections and the bus 256
//! for root, so one user cannot use them up and deny another user's launches. A launch
//! that finds all of its user's slots taken waits for one, for at most `WAIT`.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::unistd::alarm;

use nix::errno::Errno;
use nix::fcntl::{open, openat, Flock, FlockArg, OFlag};
use nix::sys::stat::{fstat, Mode, SFlag};
use nix::unistd::mkdir;
use nix::unistd::Uid;

use crate::bus::remaining;
use crate::error::{Context, Error, Result};

const DIR: &str = "/run/ssc";
pub const SLOTS: u32 = 16;
/// How long a launch waits for one of its user's slots. Each launch ahead holds its slot
/// for at most `scope::DEADLINE`, so a wave of launches by one user queues here: 200 at
/// once took up to 118 s to get through under emulation on an overloaded host (VM
/// scenario 145-storm). Nothing of root's is held while waiting.
pub const WAIT: Duration = Duration::from_secs(180);

/// A held slot; dropping it releases it. Close-on-exec, like every fd ssc opens.
#[derive(Debug)]
pub struct Slot(#[allow(dead_code)] Flock<File>);

/// Runs as root. Waits for a free slot of `uid` until `deadline`.
pub fn acquire(uid: Uid, deadline: Instant) -> Result<Slot> {
    let dir = open_dir()?;
    let open = |i: u32| -> Result<File> {
        let name = format!("{uid}.{i}");
        let flags = OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(&dir, name.as_str(), flags, Mode::from_bits_truncate(0o600))
            .context(format!("{DIR}/{name}"))?;
        Ok(File::from(fd))
    };
    for i in 0..SLOTS {
        match Flock::lock(open(i)?, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(Slot(lock)),
            Err((_, Errno::EWOULDBLOCK)) => {}
            Err((_, e)) => return Err(e).context(format!("locking a slot in {DIR}")),
        }
    }
    // All taken: wait in the kernel for one of them, chosen by pid so that a crowd of
    // launches spreads over all of them, rather than poll and eat the CPU that systemd
    // needs to work through the launches ahead. An alarm ends the wait at the deadline.
    let mut file = open(std::process::id() % SLOTS)?;
    loop {
        let left = remaining(deadline).ok_or_else(|| too_many(uid))?;
        let alarm = Alarm::set(left)?;
        let locked = Flock::lock(file, FlockArg::LockExclusive);
        alarm.cancel()?;
        match locked {
            Ok(lock) => return Ok(Slot(lock)),
            Err((f, Errno::EINTR)) => file = f,
            Err((_, e)) => return Err(e).context(format!("locking a slot in {DIR}")),
        }
    }
}

fn too_many(uid: Uid) -> Error {
    Error::Refused(format!(
        "{SLOTS} launches by uid {uid} are already starting; none finished in time"
    ))
}

/// SIGALRM after a while, which interrupts a blocking flock() with EINTR.
struct Alarm(SigAction);

extern "C" fn interrupt(_: nix::libc::c_int) {}

impl Alarm {
    fn set(after: Duration) -> Result<Alarm> {
        let handler = SigAction::new(
            SigHandler::Handler(interrupt),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler does nothing at all, so it is async-signal-safe; it exists so
        // that the alarm interrupts flock() (no SA_RESTART) instead of killing ssc.
        let old = unsafe { sigaction(Signal::SIGALRM, &handler) }.context("sigaction")?;
        let secs = after.as_secs().saturating_add(1).min(u64::from(u32::MAX)) as u32;
        alarm::set(secs);
        Ok(Alarm(old))
    }

    fn cancel(self) -> Result<()> {
        alarm::cancel();
        // SAFETY: puts back the disposition found in `set`: SIG_DFL or SIG_IGN, as ssc
        // installs no other handler for SIGALRM.
        unsafe { sigaction(Signal::SIGALRM, &self.0) }
            .map(drop)
            .context("sigaction")
    }
}

/// /run/ssc, created if missing; refused unless root owns it and only root may enter it.
fn open_dir() -> Result<OwnedFd> {
    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let dir = match open(DIR, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => {
            match mkdir(DIR, Mode::from_bits_truncate(0o700)) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(e).context(DIR),
            }
            open(DIR, flags, Mode::empty()).context(DIR)?
        }
        Err(e) => return Err(e).context(DIR),
    };
    let st = fstat(&dir).context(DIR)?;
    let is_dir = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR;
    if !is_dir || st.st_uid != 0 || st.st_mode & 0o077 != 0 {
        return Err(Error::Privilege(format!(
            "{DIR}: refused: must be a directory owned by root with mode 0700 (owner {}, mode {:o})",
            st.st_uid,
            st.st_mode & 0o7777
        )));
    }
    Ok(dir)
}
