//! PrivateTmp, built by ssc because systemd refuses it on a scope: a new mount namespace
//! in which /tmp and /var/tmp are fresh tmpfs, with the X11 socket directory and an
//! XAUTHORITY file under /tmp bound back in read-only.
//!
//! Three steps: `unshare_mounts` as root; `Plan::prepare`, which opens the paths the
//! caller names with the caller's credentials (inside the new namespace, because the
//! kernel binds only from mounts of the caller's own namespace); and `Plan::build` as
//! root, which mounts the tmpfs and binds only through those open fds.

use std::ffi::OsStr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, openat, OFlag};
use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::stat::{fstat, mkdirat, Mode, SFlag};
use nix::sys::statvfs::{fstatvfs, FsFlags};
use nix::unistd::{fchownat, FchownatFlags};

use crate::credentials::Caller;
use crate::error::{Context, Error, Result};

pub const PRIVATE_DIRS: [&str; 2] = ["/tmp", "/var/tmp"];
const TMPFS_OPTIONS: &str = "mode=1777";
const TMPFS_FLAGS: &str = "nosuid,nodev (noexec if the host's has it)";
pub const X11_DIR: &str = "/tmp/.X11-unix";

/// What to bind into the private /tmp, opened while still the caller.
#[derive(Debug)]
pub struct Plan {
    x11: Option<OwnedFd>,
    /// The XAUTHORITY file and its path relative to the private dir holding it.
    xauthority: Option<(OwnedFd, &'static str, PathBuf)>,
}

impl Plan {
    /// Runs with the caller's effective uid: whatever it opens, the caller could open.
    pub fn prepare(xauthority: Option<&OsStr>) -> Result<Plan> {
        let dir_flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let x11 = match open(X11_DIR, dir_flags, Mode::empty()) {
            // Only the system's own: a directory another user made in the shared /tmp
            // would hand the caller's X connections, and her cookie, to that user.
            Ok(fd) if fstat(&fd).context(X11_DIR)?.st_uid == 0 => Some(fd),
            Ok(_) => None,
            Err(Errno::ENOENT) | Err(Errno::ENOTDIR) | Err(Errno::ELOOP) => None,
            Err(e) => return Err(e).context(X11_DIR),
        };
        let xauthority = match xauthority.and_then(under_private_dir) {
            None => None,
            Some((dir, rel)) => {
                let path = Path::new(dir).join(&rel);
                let flags =
                    OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
                match open(&path, flags, Mode::empty()) {
                    Ok(fd) => {
                        let st = fstat(&fd).context(path.display())?;
                        if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFREG {
                            return Err(Error::Refused(format!(
                                "XAUTHORITY {}: not a regular file",
                                path.display()
                            )));
                        }
                        Some((fd, dir, rel))
                    }
                    // A stale XAUTHORITY must not stop a non-X11 command.
                    Err(Errno::ENOENT) => None,
                    Err(e) => return Err(e).context(format!("XAUTHORITY {}", path.display())),
                }
            }
        };
        Ok(Plan { x11, xauthority })
    }

    /// Runs as root, after `unshare_mounts`.
    pub fn build(self, caller: &Caller) -> Result<()> {
        for dir in PRIVATE_DIRS {
            // The host's noexec on /tmp stays: the private one must not be looser.
            let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | noexec_of(&open_dir(dir)?)?;
            mount(
                Some("tmpfs"),
                dir,
                Some("tmpfs"),
                flags,
                Some(TMPFS_OPTIONS),
            )
            .context(format!("mounting tmpfs on {dir}"))?;
        }
        if let Some(src) = &self.x11 {
            let tmp = open_dir("/tmp")?;
            mkdirat(&tmp, ".X11-unix", Mode::from_bits_truncate(0o1777)).context(X11_DIR)?;
            bind_read_only(src, &tmp, OsStr::new(".X11-unix"), X11_DIR)?;
        }
        if let Some((src, dir, rel)) = &self.xauthority {
            let what = Path::new(dir).join(rel).display().to_string();
            let (parent, name) = create_mount_point(dir, rel, caller)?;
            bind_read_only(src, &parent, name, &what)?;
        }
        Ok(())
    }
}

/// The namespace steps as --dry-run shows them.
pub fn describe() -> Vec<String> {
    let mut lines = vec!["PrivateTmp=yes: unshare(CLONE_NEWNS); mount --make-rslave /".to_string()];
    for dir in PRIVATE_DIRS {
        lines.push(format!(
            "    mount -t tmpfs -o {TMPFS_OPTIONS} tmpfs {dir}, {TMPFS_FLAGS}"
        ));
    }
    lines.push(format!(
        "    bind {X11_DIR} read-only, if it exists and root owns it"
    ));
    lines.push("    bind $XAUTHORITY read-only, if it is a file under /tmp or /var/tmp".into());
    lines.push("    enter the working directory again if it is under /tmp or /var/tmp".into());
    lines
}

/// Runs as root, on the thread that will exec: mount namespaces are per thread.
pub fn unshare_mounts() -> Result<()> {
    unshare(CloneFlags::CLONE_NEWNS).context("unshare(CLONE_NEWNS)")?;
    // Without this our tmpfs mounts would propagate back to the host.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )
    .context("making / a recursive slave")
}

/// `Some((dir, rest))` when `path` names a file under /tmp or /var/tmp: absolute, with no
/// `.` or `..`, so that the same path can be recreated inside the private dir.
fn under_private_dir(path: &OsStr) -> Option<(&'static str, PathBuf)> {
    let path = Path::new(path);
    if !path.is_absolute() || path.as_os_str().as_bytes().ends_with(b"/") {
        return None;
    }
    let parts: Vec<Component> = path.components().collect();
    if parts
        .iter()
        .any(|c| !matches!(c, Component::RootDir | Component::Normal(_)))
    {
        return None;
    }
    PRIVATE_DIRS.into_iter().find_map(|dir| {
        let rest = path.strip_prefix(dir).ok()?;
        (rest.components().count() > 0).then(|| (dir, rest.to_path_buf()))
    })
}

/// MS_NOEXEC if the mount that `fd` lies on has it, so that it is kept.
fn noexec_of(fd: &OwnedFd) -> Result<MsFlags> {
    let st = fstatvfs(fd).context("fstatvfs")?;
    Ok(if st.flags().contains(FsFlags::ST_NOEXEC) {
        MsFlags::MS_NOEXEC
    } else {
        MsFlags::empty()
    })
}

/// The working directory again, by its path, inside the new namespace: an fd opened
/// before would still reach the host's /tmp through ".". Runs as the caller.
/// A working directory whose path the kernel cannot give is refused: it could lie under
/// the host's /tmp, and ".." from it would lead there.
pub fn reenter_cwd() -> Result<()> {
    let cwd = std::env::current_dir().map_err(|e| {
        Error::Refused(format!(
            "the working directory has no path, so it may be in the host's /tmp: {e}"
        ))
    })?;
    if !PRIVATE_DIRS.iter().any(|d| cwd.starts_with(d)) {
        return Ok(());
    }
    std::env::set_current_dir(&cwd).map_err(|e| {
        Error::Refused(format!(
            "the working directory {} is in the host's {}, not in the private one: {e}",
            cwd.display(),
            PRIVATE_DIRS
                .iter()
                .find(|d| cwd.starts_with(d))
                .unwrap_or(&"/tmp")
        ))
    })
}

fn path_flags() -> OFlag {
    OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC
}

fn open_dir(path: &str) -> Result<OwnedFd> {
    open(path, path_flags() | OFlag::O_DIRECTORY, Mode::empty()).context(path)
}

/// Creates `rel` under the fresh tmpfs at `dir`, directory by directory, never following a
/// link, and gives what it creates to the caller so the private /tmp stays theirs.
/// Returns the parent directory and the file's name in it.
fn create_mount_point<'a>(
    dir: &str,
    rel: &'a Path,
    caller: &Caller,
) -> Result<(OwnedFd, &'a OsStr)> {
    let mut parent = open_dir(dir)?;
    let parts: Vec<&OsStr> = rel.iter().collect();
    let (file, dirs) = parts.split_last().expect("rel has at least one component");
    for d in dirs {
        match mkdirat(&parent, *d, Mode::from_bits_truncate(0o700)) {
            Ok(()) => chown_to_caller(&parent, d, caller)?,
            Err(Errno::EEXIST) => {}
            Err(e) => return Err(e).context(Path::new(d).display()),
        }
        parent = openat(
            &parent,
            *d,
            path_flags() | OFlag::O_DIRECTORY,
            Mode::empty(),
        )
        .context(Path::new(d).display())?;
    }
    let flags =
        OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let created = openat(&parent, *file, flags, Mode::from_bits_truncate(0o600))
        .context(Path::new(file).display())?;
    drop(created);
    chown_to_caller(&parent, file, caller)?;
    Ok((parent, file))
}

fn chown_to_caller(parent: &OwnedFd, name: &OsStr, caller: &Caller) -> Result<()> {
    fchownat(
        parent,
        name,
        Some(caller.uid),
        Some(caller.gid),
        FchownatFlags::AT_SYMLINK_NOFOLLOW,
    )
    .context(Path::new(name).display())
}

/// Binds `src` onto `name` in `parent`, then makes the new mount read-only. Both go through
/// /proc/self/fd, so the mounts act on exactly the objects opened, not on whatever a path
/// resolves to now. The remount needs a handle on the new mount's root, opened after the
/// bind.
fn bind_read_only(src: &OwnedFd, parent: &OwnedFd, name: &OsStr, what: &str) -> Result<()> {
    let proc_fd = |fd: &OwnedFd| format!("/proc/self/fd/{}", fd.as_raw_fd());
    let target = openat(parent, name, path_flags(), Mode::empty()).context(what)?;
    mount(
        Some(proc_fd(src).as_str()),
        proc_fd(&target).as_str(),
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .context(format!("binding {what}"))?;
    let mounted = openat(parent, name, path_flags(), Mode::empty()).context(what)?;
    let ro = MsFlags::MS_BIND
        | MsFlags::MS_REMOUNT
        | MsFlags::MS_RDONLY
        | MsFlags::MS_NOSUID
        | MsFlags::MS_NODEV
        | noexec_of(src)?;
    mount(
        None::<&str>,
        proc_fd(&mounted).as_str(),
        None::<&str>,
        ro,
        None::<&str>,
    )
    .context(format!("making {what} read-only"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_under_tmp_are_bound() {
        let ok = |p: &str| under_private_dir(OsStr::new(p));
        assert_eq!(
            ok("/tmp/xauth_AbC"),
            Some(("/tmp", PathBuf::from("xauth_AbC")))
        );
        assert_eq!(ok("/var/tmp/a/b"), Some(("/var/tmp", PathBuf::from("a/b"))));
        assert_eq!(ok("//tmp//x"), Some(("/tmp", PathBuf::from("x"))));
        for no in [
            "/tmp",
            "/tmp/",
            "/tmp/../etc/shadow",
            "/tmp/a/../x",
            "tmp/x",
            "/home/u/.Xauthority",
            "/tmpx/y",
            "/run/user/1000/gdm/Xauthority",
            "",
        ] {
            assert_eq!(ok(no), None, "{no}");
        }
    }
}
