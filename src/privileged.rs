//! The privileged operations: the only place where ssc's effective uid becomes 0.
//!
//! ssc runs with the caller's effective uid and keeps root as its real and saved uid
//! (credentials.rs). Each function here is one named step that takes root back, does one
//! thing, and returns to the caller's uid; there is no way to run anything else as root.
//! The README's security model lists exactly these. If switching back fails the error
//! wins, so nothing runs on with a root euid.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Instant;

use nix::errno::Errno;
use nix::sched::{unshare, CloneFlags};
use nix::sys::stat::{fchmodat, FchmodatFlags, Mode};
use nix::unistd::{fchownat, seteuid, FchownatFlags, Uid};

use crate::bus;
use crate::credentials::{self, Caller};
use crate::enforcement::{Attached, Expected};
use crate::error::{Context, Result};
use crate::sandbox::kernel::{self, Restrict};
use crate::sandbox::resolve::{self, Found, MountPoint};
use crate::slots;

fn as_root<T>(caller: &Caller, step: impl FnOnce() -> Result<T>) -> Result<T> {
    seteuid(Uid::from_raw(0)).context("seteuid(0)")?;
    let result = step();
    seteuid(caller.uid).context("seteuid back to the caller")?;
    result
}

/// Operation 1: opens the caller's launch-slot files and count lock in root's /run/ssc.
pub fn open_slot_files(caller: &Caller) -> Result<slots::Files> {
    as_root(caller, || slots::open_files(caller.uid))
}

/// Operation 2: connect() to one of systemd's fixed sockets, so that it knows ssc as
/// uid 0.
pub fn connect(
    caller: &Caller,
    path: &str,
    deadline: Instant,
) -> Result<std::io::Result<UnixStream>> {
    as_root(caller, || Ok(bus::connect(path, deadline)))
}

/// Operation 3: asks the kernel which BPF programs are attached to the scope's cgroup.
pub fn query_bpf(caller: &Caller, expected: &Expected) -> Result<Attached> {
    as_root(caller, || expected.query())
}

/// Operation 4: a new mount namespace for this thread, in which no mount propagates back
/// to the host. The mounts below act only in it.
pub fn unshare_mount_namespace(caller: &Caller) -> Result<()> {
    as_root(caller, || {
        unshare(CloneFlags::CLONE_NEWNS).context("unshare(CLONE_NEWNS)")?;
        nix::mount::mount(
            None::<&str>,
            "/",
            None::<&str>,
            nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_SLAVE,
            None::<&str>,
        )
        .context("making / a recursive slave")
    })
}

/// Operation 5: a detached copy of the mount tree at an fd the caller opened, with
/// `attrs` added.
pub fn clone_tree(
    caller: &Caller,
    from: &OwnedFd,
    recursive: bool,
    attrs: Restrict,
) -> std::result::Result<OwnedFd, Errno> {
    with_root(caller, || {
        let tree = kernel::clone_tree(from, recursive)?;
        if attrs != Restrict::default() {
            kernel::restrict(&tree, attrs, recursive)?;
        }
        Ok(tree)
    })
}

/// Operation 6: a new detached tmpfs.
pub fn new_tmpfs(
    caller: &Caller,
    options: &[(String, Option<String>)],
    attrs: Restrict,
) -> std::result::Result<OwnedFd, Errno> {
    with_root(caller, || kernel::new_tmpfs(options, attrs))
}

/// Operation 7: adds restricting attributes to one mount ssc made.
pub fn restrict(
    caller: &Caller,
    tree: &OwnedFd,
    attrs: Restrict,
) -> std::result::Result<(), Errno> {
    with_root(caller, || kernel::restrict(tree, attrs, false))
}

/// Operation 8: mounts a tree ssc made on top of an object the caller opened: it covers
/// it.
pub fn attach(caller: &Caller, tree: &OwnedFd, target: &OwnedFd) -> std::result::Result<(), Errno> {
    with_root(caller, || kernel::attach(tree, target))
}

/// Operation 9: creates a mount point inside a tmpfs ssc made (and only there: `dir` must
/// lie on the device `tmpfs_dev`), owned by root, or by the caller with `for_caller`.
pub fn make_mount_point(
    caller: &Caller,
    dir: OwnedFd,
    tmpfs_dev: u64,
    names: &[&std::ffi::OsStr],
    last: MountPoint,
    mode: u32,
    for_caller: bool,
) -> std::result::Result<Found, Errno> {
    if nix::sys::stat::fstat(&dir)?.st_dev != tmpfs_dev {
        return Err(Errno::EXDEV);
    }
    with_root(caller, || {
        let mut parent = dir;
        for (i, name) in names.iter().enumerate() {
            let kind = if i + 1 == names.len() {
                last
            } else {
                MountPoint::Directory
            };
            let mode = match kind {
                MountPoint::Directory => mode,
                MountPoint::File => mode & 0o666,
            };
            let found = resolve::create(resolve::dup(&parent)?, &[*name], kind, mode)?;
            // The exact mode, whatever the caller's umask; through the fd, because `create`
            // made sure it is no link. Only this process sees the fresh tmpfs.
            let magic = format!("/proc/self/fd/{}", found.fd.as_raw_fd());
            fchmodat(
                nix::fcntl::AT_FDCWD,
                magic.as_str(),
                Mode::from_bits_truncate(mode),
                FchmodatFlags::FollowSymlink,
            )?;
            if for_caller {
                fchownat(
                    &parent,
                    *name,
                    Some(caller.uid),
                    Some(caller.gid),
                    FchownatFlags::AT_SYMLINK_NOFOLLOW,
                )?;
            }
            if i + 1 == names.len() {
                return Ok(found);
            }
            parent = found.fd;
        }
        Err(Errno::EINVAL)
    })
}

/// Operation 10: makes the tree mounted at "/" this process's root (ProtectSystem=strict):
/// a mount on top of "/" is not seen by lookups that start at the old root.
pub fn enter_root(caller: &Caller, tree: &OwnedFd) -> Result<()> {
    as_root(caller, || {
        nix::unistd::fchdir(tree).context("fchdir to the new root")?;
        nix::unistd::chroot(".").context("chroot to the new root")
    })
}

/// Operation 11: the final drop (credentials.rs says how), after which root cannot come
/// back.
pub fn drop_for_good(caller: &Caller) -> Result<()> {
    seteuid(Uid::from_raw(0)).context("seteuid(0)")?;
    credentials::drop_all(caller)
}

/// `as_root` for steps whose errors the sandbox names itself.
fn with_root<T>(
    caller: &Caller,
    step: impl FnOnce() -> std::result::Result<T, Errno>,
) -> std::result::Result<T, Errno> {
    seteuid(Uid::from_raw(0))?;
    let result = step();
    if seteuid(caller.uid).is_err() {
        // Never carry on with a root euid; this cannot be mistaken for success.
        return Err(Errno::EPERM);
    }
    result
}
