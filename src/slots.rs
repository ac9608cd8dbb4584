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
/// once took 182 s to get through on systemd 252 under emulation, on a host overloaded on
/// purpose (VM scenario 145-storm). Nothing of root's is held while waiting.
pub const WAIT: Duration = Duration::from_secs(300);

/// A held slot; dropping it releases it. Close-on-exec, like every fd ssc opens.
#[derive(Debug)]
pub struct Slot(#[allow(dead_code)] Flock<File>);

/// The slot files of one user, open; close-on-exec, like every fd ssc opens.
pub struct Files(Vec<File>);

/// Runs as root: opens `/run/ssc/UID.0` to `UID.15`, creating what is missing.
pub fn open_files(uid: Uid) -> Result<Files> {
    let dir = open_dir()?;
    let flags = OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    (0..SLOTS)
        .map(|i| {
            let name = format!("{uid}.{i}");
            let fd = openat(&dir, name.as_str(), flags, Mode::from_bits_truncate(0o600))
                .context(format!("{DIR}/{name}"))?;
            Ok(File::from(fd))
        })
        .collect::<Result<_>>()
        .map(Files)
}

/// Runs as the caller: a lock needs nothing but the open file. Takes a free slot of `uid`,
/// or waits for one until `deadline`.
pub fn acquire(files: Files, uid: Uid, deadline: Instant) -> Result<Slot> {
    let mut taken = Vec::with_capacity(files.0.len());
    for file in files.0 {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(Slot(lock)),
            Err((file, Errno::EWOULDBLOCK)) => taken.push(file),
            Err((_, e)) => return Err(e).context(format!("locking a slot in {DIR}")),
        }
    }
    // All taken: wait in the kernel for one of them, chosen by pid so that a crowd of
    // launches spreads over all of them, rather than poll and eat the CPU that systemd
    // needs to work through the launches ahead. An alarm ends the wait at the deadline:
    // SIGALRM is not blocked, whatever the caller's mask (signals::CallerMask).
    let mut file = taken.swap_remove(std::process::id() as usize % taken.len());
    drop(taken);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::thread;

    /// SLOTS files in a fresh directory, each also locked through a second open file, as
    /// other launches would hold them.
    fn all_taken(name: &str) -> (PathBuf, Files, Vec<Flock<File>>) {
        let dir = std::env::temp_dir().join(format!("ssc-slots-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |i: u32| dir.join(i.to_string());
        let open = |i| {
            File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path(i))
        };
        let held = (0..SLOTS)
            .map(|i| Flock::lock(open(i).unwrap(), FlockArg::LockExclusiveNonblock).unwrap())
            .collect();
        let files = Files((0..SLOTS).map(|i| open(i).unwrap()).collect());
        (dir, files, held)
    }

    #[test]
    fn takes_the_free_slot() {
        let (dir, files, mut held) = all_taken("free");
        let freed = held.remove(7).unlock().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let slot = acquire(files, Uid::from_raw(1000), deadline).unwrap();
        // The slot is the freed file: locking it again through another open file fails.
        assert!(matches!(
            Flock::lock(freed, FlockArg::LockExclusiveNonblock),
            Err((_, Errno::EWOULDBLOCK))
        ));
        drop(slot);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn waits_for_a_slot_to_free_up() {
        let (dir, files, held) = all_taken("wait");
        let start = Instant::now();
        let releaser = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            drop(held);
        });
        let slot = acquire(files, Uid::from_raw(1000), start + Duration::from_secs(30));
        releaser.join().unwrap();
        assert!(slot.is_ok(), "{slot:?}");
        assert!(start.elapsed() >= Duration::from_millis(300));
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A caller who blocked SIGALRM (the mask survives exec) still gets refused at the
    /// deadline once ssc has taken her mask at start, as `launch::run` does. The alarm goes
    /// to the process, whose main thread here is the test harness's, so the wait runs in
    /// a forked child, whose only thread is the one waiting.
    #[test]
    fn a_blocked_sigalrm_does_not_remove_the_deadline() {
        use nix::sys::signal::kill;
        use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
        use nix::unistd::{fork, ForkResult};

        let (dir, files, held) = all_taken("sigalrm");
        // SAFETY: the child only sets its mask, waits for a slot and _exits: no lock that
        // another thread of the harness might hold is taken on the way but malloc's,
        // which glibc makes safe across fork.
        match unsafe { fork() }.unwrap() {
            ForkResult::Child => {
                // No panic here: it would unwind into a copy of the harness's thread.
                let refused = || -> Result<bool> {
                    let mut alrm = SigSet::empty();
                    alrm.add(Signal::SIGALRM);
                    alrm.thread_block().context("sigprocmask")?;
                    let _caller = crate::signals::CallerMask::take()?;
                    let deadline = Instant::now() + Duration::from_secs(1);
                    let slot = acquire(files, Uid::from_raw(1000), deadline);
                    Ok(matches!(slot, Err(Error::Refused(_))))
                };
                let code = if matches!(refused(), Ok(true)) { 0 } else { 1 };
                // SAFETY: ends the child without running the harness's exit handlers.
                unsafe { nix::libc::_exit(code) }
            }
            ForkResult::Parent { child } => {
                let start = Instant::now();
                let status = loop {
                    match waitpid(child, Some(WaitPidFlag::WNOHANG)).unwrap() {
                        WaitStatus::StillAlive if start.elapsed() < Duration::from_secs(10) => {
                            std::thread::sleep(Duration::from_millis(50))
                        }
                        WaitStatus::StillAlive => {
                            kill(child, Signal::SIGKILL).unwrap();
                            waitpid(child, None).unwrap();
                            break None;
                        }
                        other => break Some(other),
                    }
                };
                drop(held);
                std::fs::remove_dir_all(dir).unwrap();
                assert_eq!(
                    status,
                    Some(WaitStatus::Exited(child, 0)),
                    "after {:?}",
                    start.elapsed()
                );
            }
        }
    }

    #[test]
    fn refuses_after_the_deadline() {
        let (dir, files, held) = all_taken("deadline");
        let e = acquire(files, Uid::from_raw(1000), Instant::now()).unwrap_err();
        assert_eq!(e.exit_code(), 125);
        assert!(
            e.to_string()
                .contains("16 launches by uid 1000 are already starting"),
            "{e}"
        );
        drop(held);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
