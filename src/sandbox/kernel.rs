//! The kernel's fd-based mount API (Linux 5.12 and later), which nix does not wrap:
//! open_tree, fsopen/fsconfig/fsmount, mount_setattr and move_mount. Every mount ssc makes
//! goes through these, so that it acts on the objects it opened, never on a path resolved
//! again. The calls need root; `privileged.rs` is the only caller of the ones that mount.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use nix::errno::Errno;

/// Mount attributes that only restrict. There is no way to ask this module to clear one:
/// `restrict` passes them as `attr_set` with an empty `attr_clr`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restrict {
    pub read_only: bool,
    pub nosuid: bool,
    pub nodev: bool,
    pub noexec: bool,
}

impl Restrict {
    pub const READ_ONLY: Restrict = Restrict {
        read_only: true,
        nosuid: false,
        nodev: false,
        noexec: false,
    };

    fn bits(self) -> u64 {
        [
            (self.read_only, libc::MOUNT_ATTR_RDONLY),
            (self.nosuid, libc::MOUNT_ATTR_NOSUID),
            (self.nodev, libc::MOUNT_ATTR_NODEV),
            (self.noexec, libc::MOUNT_ATTR_NOEXEC),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .fold(0, |acc, (_, bit)| acc | bit)
    }
}

/// A system call that returns a new fd or -1.
fn new_fd(ret: libc::c_long) -> Result<OwnedFd, Errno> {
    if ret < 0 {
        return Err(Errno::last());
    }
    let fd = i32::try_from(ret).map_err(|_| Errno::EBADF)?;
    // SAFETY: the kernel just returned `fd` as a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn done(ret: libc::c_long) -> Result<(), Errno> {
    if ret < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

const EMPTY: &CStr = c"";

/// A detached copy of the mount tree at `from` (open_tree with OPEN_TREE_CLONE): the mount
/// that `from` lies on, and with `recursive` every mount below it. The copy is private: it
/// neither receives nor sends mount events.
pub fn clone_tree(from: &OwnedFd, recursive: bool) -> Result<OwnedFd, Errno> {
    let mut flags = libc::OPEN_TREE_CLONE | libc::OPEN_TREE_CLOEXEC | libc::AT_EMPTY_PATH as u32;
    if recursive {
        flags |= libc::AT_RECURSIVE as u32;
    }
    // SAFETY: open_tree reads a valid fd, a NUL-terminated empty path and flags; it
    // touches no memory of ours beyond the path.
    new_fd(unsafe { libc::syscall(libc::SYS_open_tree, from.as_raw_fd(), EMPTY.as_ptr(), flags) })
}

/// A new, detached tmpfs with `options` (`key=value` or a bare flag name, as fsconfig
/// takes them), mounted with `attrs`.
pub fn new_tmpfs(options: &[(String, Option<String>)], attrs: Restrict) -> Result<OwnedFd, Errno> {
    // SAFETY: fsopen reads a NUL-terminated name and flags.
    let fs = new_fd(unsafe {
        libc::syscall(libc::SYS_fsopen, c"tmpfs".as_ptr(), libc::FSOPEN_CLOEXEC)
    })?;
    for (key, value) in options {
        let key = CString::new(key.as_str()).map_err(|_| Errno::EINVAL)?;
        let value = value
            .as_deref()
            .map(CString::new)
            .transpose()
            .map_err(|_| Errno::EINVAL)?;
        let (cmd, value_ptr) = match &value {
            Some(v) => (libc::FSCONFIG_SET_STRING, v.as_ptr()),
            None => (libc::FSCONFIG_SET_FLAG, std::ptr::null()),
        };
        // SAFETY: `key` and `value` are NUL-terminated and outlive the call; a flag takes
        // a null value, as fsconfig(2) requires.
        done(unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                fs.as_raw_fd(),
                cmd,
                key.as_ptr(),
                value_ptr,
                0,
            )
        })?;
    }
    // SAFETY: as above, with no key or value.
    done(unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            libc::FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_char>(),
            0,
        )
    })?;
    // SAFETY: fsmount reads a valid fd and two integers.
    new_fd(unsafe {
        libc::syscall(
            libc::SYS_fsmount,
            fs.as_raw_fd(),
            libc::FSMOUNT_CLOEXEC,
            attrs.bits(),
        )
    })
}

/// Adds `attrs` to the mount at `tree` (and with `recursive` to every mount below it).
/// Nothing is ever cleared.
pub fn restrict(tree: &OwnedFd, attrs: Restrict, recursive: bool) -> Result<(), Errno> {
    let attr = libc::mount_attr {
        attr_set: attrs.bits(),
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let mut flags = libc::AT_EMPTY_PATH as libc::c_uint;
    if recursive {
        flags |= libc::AT_RECURSIVE as libc::c_uint;
    }
    // SAFETY: mount_setattr reads a valid fd, a NUL-terminated empty path, and `attr`,
    // whose size is passed with it and which outlives the call.
    done(unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            EMPTY.as_ptr(),
            flags,
            &attr as *const libc::mount_attr,
            std::mem::size_of::<libc::mount_attr>(),
        )
    })
}

/// Mounts the detached `tree` on top of `target` (move_mount from fd to fd).
pub fn attach(tree: &OwnedFd, target: &OwnedFd) -> Result<(), Errno> {
    // SAFETY: move_mount reads two valid fds, two NUL-terminated empty paths and flags.
    done(unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            EMPTY.as_ptr(),
            target.as_raw_fd(),
            EMPTY.as_ptr(),
            libc::MOVE_MOUNT_F_EMPTY_PATH | libc::MOVE_MOUNT_T_EMPTY_PATH,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restrict_bits_are_the_kernels() {
        assert_eq!(Restrict::default().bits(), 0);
        assert_eq!(Restrict::READ_ONLY.bits(), 1);
        let all = Restrict {
            read_only: true,
            nosuid: true,
            nodev: true,
            noexec: true,
        };
        assert_eq!(all.bits(), 0xf);
    }
}
