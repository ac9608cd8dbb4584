//! At most `SLOTS` launches of one user inside the root-connection window at once, and at
//! most `MaxScopesPerUser` ssc scopes of hers, counting her launches still starting.
//!
//! A caller whose shell sits in a cgroup she may freeze (her delegated user@UID.service)
//! can freeze ssc while it is connected (she then gets the bus: scope::sockets_for).
//! Nothing ssc does can end that wait: a frozen process runs no code. So each window holds
//! one of `SLOTS` lock files of its user, and a user can park at most `SLOTS` root
//! connections, however she tries. The bus accepts 256 connections of root's and systemd
//! 4096 direct ones, so one user cannot use them up and deny another user's launches. A
//! launch that finds all of its user's slots taken waits for one, for at most `WAIT`.
//!
//! The cap: a launch that holds its slot takes its user's count lock, `UID.count`, and
//! under it counts her live ssc scopes plus her launches admitted but not yet in a scope.
//! Below the cap it writes its pid into its slot file, which admits it, and lets go of the
//! count lock; it empties the file before it gives up the slot, once its scope exists or
//! its launch failed. So an admitted launch counts once: in flight while a slot file that
//! someone holds names its pid and no scope bears that pid (scope names carry the pid,
//! unit_name.rs), live once one does. A launch killed while admitted leaves its pid in a
//! file no one holds, which is not counted. A caller who freezes one of her launches while
//! it holds the count lock delays her own launches only, each for at most `WAIT`: the
//! lock is hers alone.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::unistd::alarm;

use nix::errno::Errno;
use nix::fcntl::{open, openat, Flock, FlockArg, OFlag};
use nix::sys::stat::{fstat, Mode, SFlag};
use nix::unistd::mkdir;
use nix::unistd::Uid;

use crate::bus::remaining;
use crate::config;
use crate::error::{Context, Error, Result};

const DIR: &str = "/run/ssc";
pub const SLOTS: u32 = 16;
/// How long a launch waits for one of its user's slots, and then for her count lock. Each
/// launch ahead holds its slot for at most `scope::DEADLINE`, so a wave of launches by one
/// user queues here: 200 at once took 182 s to get through on systemd 252 under emulation,
/// on a host overloaded on purpose (VM scenario 145-storm). Nothing of root's is held
/// while waiting.
pub const WAIT: Duration = Duration::from_secs(300);

/// A slot taken, its launch not yet admitted; dropping it releases it. Close-on-exec, like
/// every fd ssc opens.
#[derive(Debug)]
pub struct Taken {
    lock: Flock<File>,
    /// The user's other slot files, open, not locked by this launch.
    others: Vec<File>,
    count: File,
    uid: Uid,
}

/// A slot whose launch is admitted: its file names the launch's pid. Dropping it empties
/// the file and releases the slot.
#[derive(Debug)]
pub struct Slot(Flock<File>);

/// The slot files and the count lock file of one user, open; close-on-exec, like every fd
/// ssc opens.
pub struct Files {
    slots: Vec<File>,
    count: File,
}

/// Runs as root: opens `/run/ssc/UID.0` to `UID.15` and `UID.count`, creating what is
/// missing.
pub fn open_files(uid: Uid) -> Result<Files> {
    let dir = open_dir()?;
    let flags = OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let open = |name: String| {
        let fd = openat(&dir, name.as_str(), flags, Mode::from_bits_truncate(0o600))
            .context(format!("{DIR}/{name}"))?;
        Ok(File::from(fd))
    };
    Ok(Files {
        slots: (0..SLOTS)
            .map(|i| open(format!("{uid}.{i}")))
            .collect::<Result<_>>()?,
        count: open(format!("{uid}.count"))?,
    })
}

/// Runs as the caller: a lock needs nothing but the open file. Takes a free slot of `uid`,
/// or waits for one until `deadline`.
pub fn acquire(files: Files, uid: Uid, deadline: Instant) -> Result<Taken> {
    let mut others = Vec::with_capacity(files.slots.len());
    let mut free = None;
    for file in files.slots {
        if free.is_some() {
            others.push(file);
            continue;
        }
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => free = Some(lock),
            Err((file, Errno::EWOULDBLOCK)) => others.push(file),
            Err((_, e)) => return Err(e).context(format!("locking a slot in {DIR}")),
        }
    }
    let lock = match free {
        Some(lock) => lock,
        // All taken: wait in the kernel for one of them, chosen by pid so that a crowd of
        // launches spreads over all of them, rather than poll and eat the CPU that systemd
        // needs to work through the launches ahead.
        None => {
            let file = others.swap_remove(std::process::id() as usize % others.len());
            lock_until(file, deadline, "a slot")?.ok_or_else(|| too_many(uid))?
        }
    };
    Ok(Taken {
        lock,
        others,
        count: files.count,
        uid,
    })
}

impl Taken {
    /// Runs as the caller. Admits this launch if its user has fewer than `max` ssc scopes,
    /// those in `slice` and her other admitted launches not yet in theirs together; waits
    /// for her count lock until `deadline`.
    pub fn admit(self, max: u32, slice: &Path, deadline: Instant) -> Result<Slot> {
        let Taken {
            lock,
            others,
            count,
            uid,
        } = self;
        // A launch killed while it held this slot left its pid here.
        lock.set_len(0)
            .context(format!("emptying a slot in {DIR}"))?;
        let count = lock_until(count, deadline, &format!("{uid}.count"))?
            .ok_or_else(|| counting_too_long(uid))?;
        // The slot files before the scopes: a launch empties its file only once its scope
        // exists, so it is seen in one or the other.
        let mut in_flight = Vec::new();
        for file in others {
            let pid = contents(&file)?;
            if !pid.is_empty() && held(file)? {
                in_flight.push(pid);
            }
        }
        let live = config::scopes_of(slice)?;
        // What is not a pid (a launch killed as it wrote it) counts as starting.
        let starting = in_flight
            .iter()
            .filter(|pid| !pid.parse().is_ok_and(|pid: u32| live.contains(&pid)))
            .count();
        if live.len() + starting >= max as usize {
            return Err(Error::Refused(format!(
                "uid {uid} already has {max} ssc scopes, the most allowed (MaxScopesPerUser in /etc/ssc/ssc.conf)"
            )));
        }
        lock.write_all_at(std::process::id().to_string().as_bytes(), 0)
            .context(format!("admitting a launch in {DIR}"))?;
        drop(count);
        Ok(Slot(lock))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // A file left as it is, unlocked, is not counted, and its next holder empties it.
        let _ = self.0.set_len(0);
    }
}

/// What a slot file holds: the pid of the launch it admitted, or nothing.
fn contents(file: &File) -> Result<String> {
    let mut buf = [0u8; 16];
    let n = file
        .read_at(&mut buf, 0)
        .context(format!("reading a slot in {DIR}"))?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Whether another launch holds a slot file: a lock attempt through this open file, which
/// is not the holder's, fails. One that succeeds is let go at once.
fn held(file: File) -> Result<bool> {
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        Ok(_) => Ok(false),
        Err((_, Errno::EWOULDBLOCK)) => Ok(true),
        Err((_, e)) => Err(e).context(format!("testing a slot in {DIR}")),
    }
}

/// Waits in the kernel for `file`'s lock until `deadline`: `None` past it. An alarm ends
/// the wait at the deadline: SIGALRM is not blocked, whatever the caller's mask
/// (signals::CallerMask).
fn lock_until(mut file: File, deadline: Instant, what: &str) -> Result<Option<Flock<File>>> {
    loop {
        let Some(left) = remaining(deadline) else {
            return Ok(None);
        };
        let alarm = Alarm::set(left)?;
        let locked = Flock::lock(file, FlockArg::LockExclusive);
        alarm.cancel()?;
        match locked {
            Ok(lock) => return Ok(Some(lock)),
            Err((f, Errno::EINTR)) => file = f,
            Err((_, e)) => return Err(e).context(format!("locking {what} in {DIR}")),
        }
    }
}

fn counting_too_long(uid: Uid) -> Error {
    Error::Refused(format!(
        "another launch by uid {uid} is counting its ssc scopes and did not finish in time"
    ))
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

    const ALICE: Uid = Uid::from_raw(1000);
    const MAX: u32 = 3;

    /// A fresh directory for one user's slot files and count lock file, and a slice
    /// directory for her scopes.
    struct Run(PathBuf);

    impl Run {
        fn new(name: &str) -> Run {
            let dir = std::env::temp_dir().join(format!("ssc-slots-{name}-{}", std::process::id()));
            std::fs::create_dir_all(dir.join("slice")).unwrap();
            Run(dir)
        }

        fn open(&self, name: &str) -> File {
            File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(self.0.join(name))
                .unwrap()
        }

        /// The files as `open_files` opens them for one launch.
        fn files(&self) -> Files {
            Files {
                slots: (0..SLOTS).map(|i| self.open(&i.to_string())).collect(),
                count: self.open("count"),
            }
        }

        /// Slot `i` held by another launch, through its own open file, its pid written if
        /// it is admitted.
        fn other_launch(&self, i: u32, pid: &str) -> Flock<File> {
            let lock =
                Flock::lock(self.open(&i.to_string()), FlockArg::LockExclusiveNonblock).unwrap();
            lock.write_all_at(pid.as_bytes(), 0).unwrap();
            lock
        }

        /// A live ssc scope of the user, named with `pid`.
        fn scope(&self, pid: u32) {
            std::fs::create_dir(
                self.0
                    .join(format!("slice/ssc-relaxed-{pid}-0000abcd.scope")),
            )
            .unwrap();
        }

        fn slice(&self) -> PathBuf {
            self.0.join("slice")
        }

        fn contents(&self, i: u32) -> String {
            std::fs::read_to_string(self.0.join(i.to_string())).unwrap()
        }

        /// This launch: a slot, then the count.
        fn admit(&self, max: u32, deadline: Instant) -> Result<Slot> {
            acquire(self.files(), ALICE, deadline)
                .unwrap()
                .admit(max, &self.slice(), deadline)
        }
    }

    impl Drop for Run {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).unwrap();
        }
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    /// All SLOTS files held by other launches.
    fn all_taken(name: &str) -> (Run, Vec<Flock<File>>) {
        let run = Run::new(name);
        let held = (0..SLOTS).map(|i| run.other_launch(i, "")).collect();
        (run, held)
    }

    #[test]
    fn takes_the_free_slot() {
        let (run, mut held) = all_taken("free");
        let freed = held.remove(7).unlock().unwrap();
        let slot = acquire(run.files(), ALICE, soon()).unwrap();
        // The slot is the freed file: locking it again through another open file fails.
        assert!(matches!(
            Flock::lock(freed, FlockArg::LockExclusiveNonblock),
            Err((_, Errno::EWOULDBLOCK))
        ));
        drop(slot);
    }

    #[test]
    fn waits_for_a_slot_to_free_up() {
        let (run, held) = all_taken("wait");
        let start = Instant::now();
        let releaser = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            drop(held);
        });
        let slot = acquire(run.files(), ALICE, start + Duration::from_secs(30));
        releaser.join().unwrap();
        assert!(slot.is_ok(), "{slot:?}");
        assert!(start.elapsed() >= Duration::from_millis(300));
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

        let (run, held) = all_taken("sigalrm");
        let files = run.files();
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
                    let slot = acquire(files, ALICE, deadline);
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
        let (run, held) = all_taken("deadline");
        let e = acquire(run.files(), ALICE, Instant::now()).unwrap_err();
        assert_eq!(e.exit_code(), 125);
        assert!(
            e.to_string()
                .contains("16 launches by uid 1000 are already starting"),
            "{e}"
        );
        drop(held);
    }

    #[test]
    fn counts_live_scopes_and_admitted_launches_in_flight() {
        let run = Run::new("cap");
        run.scope(101);
        run.scope(102);
        let _starting = run.other_launch(0, "103");
        let e = run.admit(MAX, soon()).unwrap_err();
        assert_eq!(e.exit_code(), 125);
        assert_eq!(
            e.to_string(),
            "uid 1000 already has 3 ssc scopes, the most allowed (MaxScopesPerUser in /etc/ssc/ssc.conf)"
        );
        // Not admitted: its slot file (the first free one) names no one.
        assert_eq!(run.contents(1), "");
        // One more allowed: admitted, and named in its slot file until it lets go.
        let slot = run.admit(MAX + 1, soon()).unwrap();
        assert_eq!(run.contents(1), std::process::id().to_string());
        drop(slot);
        assert_eq!(run.contents(1), "");
    }

    #[test]
    fn a_launch_whose_scope_is_live_counts_once() {
        let run = Run::new("once");
        run.scope(101);
        run.scope(102);
        // Its scope exists, and it has not emptied its slot file yet.
        let _done = run.other_launch(0, "101");
        assert!(run.admit(MAX, soon()).is_ok());
    }

    #[test]
    fn unadmitted_launches_and_released_slots_do_not_count() {
        let run = Run::new("ignored");
        run.scope(101);
        run.scope(102);
        // Holds a slot, not yet admitted.
        let _waiting = run.other_launch(0, "");
        // Killed while admitted: its pid stays, its lock went with it.
        drop(run.other_launch(15, "104"));
        let slot = run.admit(MAX, soon()).unwrap();
        assert_eq!(run.contents(1), std::process::id().to_string());
        assert_eq!(run.contents(15), "104");
        drop(slot);
    }

    #[test]
    fn the_next_holder_empties_what_a_killed_launch_left() {
        let run = Run::new("killed");
        drop(run.other_launch(0, "4194304"));
        run.scope(101);
        assert!(run.admit(1, soon()).is_err());
        assert_eq!(run.contents(0), "");
    }

    #[test]
    fn waits_for_the_count_lock_until_the_deadline() {
        let run = Run::new("count");
        let counting = Flock::lock(run.open("count"), FlockArg::LockExclusiveNonblock).unwrap();
        let e = run.admit(MAX, Instant::now()).unwrap_err();
        assert_eq!(e.exit_code(), 125);
        assert_eq!(
            e.to_string(),
            "another launch by uid 1000 is counting its ssc scopes and did not finish in time"
        );
        let start = Instant::now();
        let releaser = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            drop(counting);
        });
        let slot = run.admit(MAX, start + Duration::from_secs(30));
        releaser.join().unwrap();
        assert!(slot.is_ok(), "{slot:?}");
        assert!(start.elapsed() >= Duration::from_millis(300));
    }
}
