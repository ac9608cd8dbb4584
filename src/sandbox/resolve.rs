//! Looking up a profile's paths as the caller, to fds, before root mounts anything.
//!
//! systemd follows every symlink in a unit's paths, because it trusts them. ssc may not:
//! the caller owns her home and can plant links there, also from an earlier sandboxed run.
//! So the walk goes one component at a time with O_NOFOLLOW, runs with the caller's
//! credentials, and follows a link only if root owns it and the directory it lies in,
//! and no one else may write that directory: the system's own chains such as
//! /lib -> usr/lib. Any other link is refused.

use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, openat, readlinkat, OFlag};
use nix::sys::stat::{fstat, mkdirat, FileStat, Mode, SFlag};

/// How many links one lookup may follow, as the kernel's MAXSYMLINKS.
const MAX_LINKS: usize = 40;

/// An object the walk reached.
#[derive(Debug)]
pub struct Found {
    pub fd: OwnedFd,
    pub dev: u64,
    pub ino: u64,
    pub kind: SFlag,
}

impl Found {
    fn of(fd: OwnedFd, st: &FileStat) -> Found {
        Found {
            fd,
            dev: st.st_dev,
            ino: st.st_ino,
            kind: kind_of(st),
        }
    }

    /// Whether `st` is this very object.
    pub fn is(&self, st: &FileStat) -> bool {
        (self.dev, self.ino) == (st.st_dev, st.st_ino)
    }
}

/// Why a walk stopped.
#[derive(Debug)]
pub enum Refusal {
    /// A component is missing: how many were found, and the last directory found.
    Missing(usize, OwnedFd),
    /// A link that root does not own, or that lies in a directory others may write, or
    /// any link where none may be followed.
    UntrustedLink(OsString),
    TooManyLinks,
    Failed(OsString, Errno),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Missing(..) => f.write_str("No such file or directory"),
            Refusal::UntrustedLink(at) => write!(
                f,
                "{} is a symbolic link that root does not own in a directory only root may write; ssc follows no other",
                Path::new(at).display()
            ),
            Refusal::TooManyLinks => f.write_str("too many levels of symbolic links"),
            Refusal::Failed(at, e) => write!(f, "{}: {}", Path::new(at).display(), e.desc()),
        }
    }
}

pub fn kind_of(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT
}

fn path_flags() -> OFlag {
    OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC
}

/// A directory only root can change: owned by root, not writable by group or others.
fn root_only(st: &FileStat) -> bool {
    st.st_uid == 0 && st.st_mode & 0o022 == 0
}

/// Which links a walk follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Root's, in directories only root may write.
    Trusted,
    None,
}

/// The process's root directory.
pub fn root() -> Result<OwnedFd, Refusal> {
    open("/", path_flags() | OFlag::O_DIRECTORY, Mode::empty())
        .map_err(|e| Refusal::Failed("/".into(), e))
}

/// Looks up the absolute `path` from the process's root directory.
pub fn lookup(path: &Path, links: Links) -> Result<Found, Refusal> {
    walk(root()?, path, links)
}

/// Looks up `path` from the directory `start`, which is also where an absolute link
/// leads: the root of the tree being looked at.
pub fn walk(start: OwnedFd, path: &Path, links: Links) -> Result<Found, Refusal> {
    walk_named(start, path, links).map(|(found, _)| found)
}

/// Looks up the absolute `path` following root's links, and says where it leads: the
/// path with no link in it, as systemd's chase_symlinks() would make it.
pub fn real_path(path: &Path) -> Result<(Found, PathBuf), Refusal> {
    walk_named(root()?, path, Links::Trusted)
}

fn walk_named(start: OwnedFd, path: &Path, links: Links) -> Result<(Found, PathBuf), Refusal> {
    let again = dup(&start).map_err(|e| Refusal::Failed("/".into(), e))?;
    let st = fstat(&start).map_err(|e| Refusal::Failed(".".into(), e))?;
    // The directories walked so far, for `..` in a trusted link; the last is the current.
    let mut dirs: Vec<(OwnedFd, FileStat)> = vec![(start, st)];
    // The names of `dirs` after the first: the path walked, links resolved.
    let mut names: Vec<OsString> = Vec::new();
    let mut todo: Vec<OsString> = components(path).into_iter().rev().collect();
    let mut followed = 0;
    let mut found = 0;
    let mut at = OsString::new();
    while let Some(name) = todo.pop() {
        let (dir, dir_st) = dirs.last().expect("never empty");
        if name == ".." {
            if dirs.len() > 1 {
                dirs.pop();
                names.pop();
            }
            continue;
        }
        at.push("/");
        at.push(&name);
        let fd = match openat(dir, name.as_os_str(), path_flags(), Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => {
                let (dir, _) = dirs.pop().expect("never empty");
                return Err(Refusal::Missing(found, dir));
            }
            Err(e) => return Err(Refusal::Failed(at, e)),
        };
        let st = fstat(&fd).map_err(|e| Refusal::Failed(at.clone(), e))?;
        if kind_of(&st) != SFlag::S_IFLNK {
            found += 1;
            dirs.push((fd, st));
            names.push(name);
            continue;
        }
        if links == Links::None || st.st_uid != 0 || !root_only(dir_st) {
            return Err(Refusal::UntrustedLink(at));
        }
        followed += 1;
        if followed > MAX_LINKS {
            return Err(Refusal::TooManyLinks);
        }
        let target = readlinkat(&fd, "").map_err(|e| Refusal::Failed(at.clone(), e))?;
        if target.as_bytes().starts_with(b"/") {
            let root = dup(&again).map_err(|e| Refusal::Failed("/".into(), e))?;
            let st = fstat(&root).map_err(|e| Refusal::Failed("/".into(), e))?;
            dirs = vec![(root, st)];
            names.clear();
        }
        todo.extend(components(Path::new(&target)).into_iter().rev());
    }
    let (fd, st) = dirs.pop().expect("never empty");
    let real = names.iter().fold(PathBuf::from("/"), |p, n| p.join(n));
    Ok((Found::of(fd, &st), real))
}

/// A second fd for the same open file.
pub fn dup(fd: &OwnedFd) -> Result<OwnedFd, Errno> {
    fd.try_clone()
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EBADF)))
}

/// The names in `path`, `..` kept, `.` and `/` dropped.
fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect()
}

/// What a missing mount point is created as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountPoint {
    Directory,
    File,
}

impl MountPoint {
    pub fn for_source(kind: SFlag) -> MountPoint {
        match kind {
            SFlag::S_IFDIR => MountPoint::Directory,
            _ => MountPoint::File,
        }
    }
}

/// Creates `names` one by one in `dir`, with the credentials this process has now, and
/// opens the last one without following links. A link or another object put there in the
/// meantime is refused, never followed.
pub fn create(dir: OwnedFd, names: &[&OsStr], last: MountPoint, mode: u32) -> Result<Found, Errno> {
    let mut dir = dir;
    let (file, parents) = names.split_last().ok_or(Errno::EINVAL)?;
    for name in parents {
        match mkdirat(&dir, *name, Mode::from_bits_truncate(mode)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
        dir = openat(
            &dir,
            *name,
            path_flags() | OFlag::O_DIRECTORY,
            Mode::empty(),
        )?;
    }
    match last {
        MountPoint::Directory => match mkdirat(&dir, *file, Mode::from_bits_truncate(mode)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        },
        MountPoint::File => {
            let flags = OFlag::O_CREAT | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
            drop(openat(
                &dir,
                *file,
                flags,
                Mode::from_bits_truncate(mode & 0o666),
            )?);
        }
    }
    let fd = openat(&dir, *file, path_flags(), Mode::empty())?;
    let st = fstat(&fd)?;
    let want = match last {
        MountPoint::Directory => SFlag::S_IFDIR,
        MountPoint::File => SFlag::S_IFREG,
    };
    if kind_of(&st) != want {
        return Err(Errno::EEXIST);
    }
    Ok(Found::of(fd, &st))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ssc-resolve-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        d
    }

    fn refusal(r: Result<Found, Refusal>) -> Refusal {
        r.expect_err("the walk should have stopped")
    }

    #[test]
    fn plain_paths_are_found_and_missing_ones_counted() {
        let d = tempdir("plain");
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        let found = lookup(&d.join("a/b"), Links::None).unwrap();
        assert!(found.is(&nix::sys::stat::stat(&d.join("a/b")).unwrap()));
        assert_eq!(found.kind, SFlag::S_IFDIR);
        let depth = components(&d).len();
        match refusal(lookup(&d.join("a/x/y"), Links::None)) {
            Refusal::Missing(n, dir) => {
                assert_eq!(n, depth + 1);
                assert!(Found::of(dir.try_clone().unwrap(), &fstat(&dir).unwrap())
                    .is(&nix::sys::stat::stat(&d.join("a")).unwrap()));
            }
            other => panic!("{other}"),
        }
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn only_roots_links_in_roots_directories_are_followed() {
        let d = tempdir("links");
        std::fs::create_dir_all(d.join("real/inner")).unwrap();
        symlink("real", d.join("rel")).unwrap();
        symlink(d.join("real"), d.join("abs")).unwrap();
        symlink("./real/../real", d.join("dots")).unwrap();
        let dir_st = nix::sys::stat::stat(&d).unwrap();
        let link_st = nix::sys::stat::lstat(&d.join("rel")).unwrap();
        let trusted = link_st.st_uid == 0 && root_only(&dir_st);
        let real = nix::sys::stat::stat(&d.join("real/inner")).unwrap();
        for link in ["rel", "abs", "dots"] {
            assert!(matches!(
                refusal(lookup(&d.join(link).join("inner"), Links::None)),
                Refusal::UntrustedLink(_)
            ));
            match real_path(&d.join(link).join("inner")) {
                Ok((found, path)) => {
                    assert!(trusted && found.is(&real), "{link}");
                    assert_eq!(path, d.join("real/inner"));
                }
                Err(Refusal::UntrustedLink(at)) => {
                    assert!(!trusted, "{link}");
                    assert!(Path::new(&at).ends_with(link));
                }
                Err(e) => panic!("{link}: {e}"),
            }
        }
        // In a directory others may write, no link is trusted, root's included.
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            refusal(lookup(&d.join("rel/inner"), Links::Trusted)),
            Refusal::UntrustedLink(_)
        ));
        // The final component is not followed either.
        assert!(matches!(
            refusal(lookup(&d.join("rel"), Links::Trusted)),
            Refusal::UntrustedLink(_)
        ));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_loop_of_trusted_links_ends() {
        let d = tempdir("loop");
        symlink("b", d.join("a")).unwrap();
        symlink("a", d.join("b")).unwrap();
        let r = refusal(lookup(&d.join("a"), Links::Trusted));
        let trusted = nix::sys::stat::lstat(&d.join("a")).unwrap().st_uid == 0;
        match trusted {
            true => assert!(matches!(r, Refusal::TooManyLinks)),
            false => assert!(matches!(r, Refusal::UntrustedLink(_))),
        }
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn create_makes_what_is_missing_and_refuses_a_link() {
        let d = tempdir("create");
        let dir = open(&d, path_flags() | OFlag::O_DIRECTORY, Mode::empty()).unwrap();
        let names = [OsStr::new("x"), OsStr::new("y"), OsStr::new("f")];
        let found = create(dir, &names, MountPoint::File, 0o755).unwrap();
        assert_eq!(found.kind, SFlag::S_IFREG);
        assert!(d.join("x/y/f").is_file());
        symlink("/etc", d.join("l")).unwrap();
        let dir = open(&d, path_flags() | OFlag::O_DIRECTORY, Mode::empty()).unwrap();
        let names = [OsStr::new("l"), OsStr::new("z")];
        assert_eq!(
            create(dir, &names, MountPoint::Directory, 0o755).unwrap_err(),
            Errno::ENOTDIR
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
