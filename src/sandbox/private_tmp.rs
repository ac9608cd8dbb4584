//! PrivateTmp's two binds back into the private /tmp: the X11 socket directory, and an
//! XAUTHORITY file under /tmp or /var/tmp. ssc's own, as PrivateTmp itself is ssc's
//! tmpfs rather than systemd's directory under /tmp/systemd-private-*.

use std::ffi::OsStr;
use std::path::{Component, Path};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sys::stat::{fstat, Mode, SFlag};

use super::build::Creation;
use super::plan::{Mode as MountMode, Mount, Origin};
use crate::error::{Context, Error, Result};

pub const PRIVATE_DIRS: [&str; 2] = ["/tmp", "/var/tmp"];
pub const X11_DIR: &str = "/tmp/.X11-unix";

/// The binds that apply to this caller, as entries of the mount list, with how their
/// mount points are made: the X11 directory as the system makes it, root's and sticky;
/// the XAUTHORITY file and the directories above it hers.
pub fn binds(xauthority: Option<&OsStr>) -> Result<Vec<(Mount, Creation)>> {
    let origin = |what: &str| Origin {
        key: "PrivateTmp",
        at: what.to_string(),
    };
    let mut binds = Vec::new();
    if x11_is_the_systems()? {
        binds.push((
            Mount {
                path: X11_DIR.into(),
                mode: MountMode::Bind {
                    source: X11_DIR.into(),
                    recursive: true,
                },
                read_only: true,
                ignore_missing: true,
                origin: origin("the X11 socket directory"),
            },
            Creation {
                mode: 0o1777,
                for_caller: false,
            },
        ));
    }
    if let Some(path) = xauthority.and_then(under_private_dir) {
        if !readable_file(Path::new(&path))? {
            return Ok(binds);
        }
        binds.push((
            Mount {
                path: path.clone(),
                mode: MountMode::Bind {
                    source: path,
                    recursive: false,
                },
                read_only: true,
                // A stale XAUTHORITY must not stop a non-X11 command.
                ignore_missing: true,
                origin: origin("$XAUTHORITY"),
            },
            Creation {
                mode: 0o700,
                for_caller: true,
            },
        ));
    }
    Ok(binds)
}

/// Whether the caller can read `path` as a regular file; false if it is missing: a stale
/// XAUTHORITY must not stop a non-X11 command. Anything else is refused here, with the
/// variable's name, rather than bound. The bind itself looks the path up again, as the
/// caller and following no link (build.rs).
fn readable_file(path: &Path) -> Result<bool> {
    let what = || format!("XAUTHORITY {}", path.display());
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let fd = match open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(false),
        Err(e) => return Err(e).context(what()),
    };
    let st = fstat(&fd).context(what())?;
    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFREG {
        return Err(Error::Refused(format!("{}: not a regular file", what())));
    }
    Ok(true)
}

/// Only the system's own: a directory another user made in the shared /tmp would hand
/// the caller's X connections, and her cookie, to that user.
fn x11_is_the_systems() -> Result<bool> {
    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    match open(X11_DIR, flags, Mode::empty()) {
        Ok(fd) => Ok(fstat(&fd).context(X11_DIR)?.st_uid == 0),
        Err(Errno::ENOENT) | Err(Errno::ENOTDIR) | Err(Errno::ELOOP) => Ok(false),
        Err(e) => Err(e).context(X11_DIR),
    }
}

/// `path` if it names a file under /tmp or /var/tmp: absolute, with no `.` or `..`, so
/// that the same path can be recreated inside the private dir.
pub fn under_private_dir(path: &OsStr) -> Option<String> {
    let path = Path::new(path);
    if !path.is_absolute() || path.as_os_str().to_string_lossy().ends_with('/') {
        return None;
    }
    if path
        .components()
        .any(|c| !matches!(c, Component::RootDir | Component::Normal(_)))
    {
        return None;
    }
    PRIVATE_DIRS.into_iter().find_map(|dir| {
        let rest = path.strip_prefix(dir).ok()?;
        (rest.components().count() > 0)
            .then(|| Path::new(dir).join(rest).to_str().map(String::from))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_under_tmp_are_bound() {
        let ok = |p: &str| under_private_dir(OsStr::new(p));
        assert_eq!(ok("/tmp/xauth_AbC"), Some("/tmp/xauth_AbC".into()));
        assert_eq!(ok("/var/tmp/a/b"), Some("/var/tmp/a/b".into()));
        assert_eq!(ok("//tmp//x"), Some("/tmp/x".into()));
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
