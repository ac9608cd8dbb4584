//! At most `SLOTS` launches of one user inside the root-connection window at once.
//!
//! A caller whose shell sits in a cgroup she may freeze (her delegated user@UID.service)
//! can freeze ssc between connect() and the moment systemd moves it into its new scope.
//! Nothing ssc does can end that wait: a frozen process runs no code. So each window holds
//! one of `SLOTS` lock files of its user, and a user can park at most `SLOTS` root
//! connections, however she tries. systemd accepts 4096 direct connections and the bus 256
//! for root, so one user cannot use them up and deny another user's launches.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{open, openat, Flock, FlockArg, OFlag};
use nix::sys::stat::{fstat, Mode, SFlag};
use nix::unistd::mkdir;
use nix::unistd::Uid;

use crate::bus::remaining;
use crate::error::{Context, Error, Result};

const DIR: &str = "/run/ssc";
pub const SLOTS: u32 = 16;

/// A held slot; dropping it releases it. Close-on-exec, like every fd ssc opens.
#[derive(Debug)]
pub struct Slot(#[allow(dead_code)] Flock<File>);

/// Runs as root. Waits for a free slot of `uid` until `deadline`.
pub fn acquire(uid: Uid, deadline: Instant) -> Result<Slot> {
    let dir = open_dir()?;
    let mut files = Vec::new();
    for i in 0..SLOTS {
        let name = format!("{uid}.{i}");
        let flags = OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(&dir, name.as_str(), flags, Mode::from_bits_truncate(0o600))
            .context(format!("{DIR}/{name}"))?;
        files.push(File::from(fd));
    }
    // Backing off from 2 ms to 64 ms: a window lasts milliseconds, and a storm of waiting
    // launches must not eat the CPU that systemd needs to work through them.
    let mut pause = Duration::from_millis(2);
    loop {
        let mut still = Vec::with_capacity(files.len());
        for file in files {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(lock) => return Ok(Slot(lock)),
                Err((file, Errno::EWOULDBLOCK)) => still.push(file),
                Err((_, e)) => return Err(e).context(format!("locking a slot in {DIR}")),
            }
        }
        files = still;
        match remaining(deadline) {
            Some(left) if left > pause => std::thread::sleep(pause),
            _ => {
                return Err(Error::Bus(format!(
                    "{SLOTS} launches by uid {uid} are already starting; none finished in time"
                )))
            }
        }
        pause = (pause * 2).min(Duration::from_millis(64));
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
