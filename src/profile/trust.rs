//! The trust walk: a profile file is read only if it and every directory above it are
//! owned by root and writable by nobody else, checked one component at a time through
//! O_PATH handles, so that what is read is what was checked.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{open, openat, OFlag};
use nix::sys::stat::{fstat, Mode, SFlag};

use crate::error::{Context, Error, Result};

/// A profile is a few lines; a larger file is refused rather than cut.
const MAX_FILE: u64 = 1 << 20;

/// An O_PATH handle on a directory whose every component was checked on the way down,
/// so that what is read later is the directory that was checked.
pub(crate) struct TrustedDir {
    pub(crate) path: PathBuf,
    fd: OwnedFd,
}

impl TrustedDir {
    /// None if the directory does not exist: then there are only built-in profiles.
    pub(crate) fn open(path: &Path) -> Result<Option<TrustedDir>> {
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let mut fd = open("/", flags, Mode::empty()).context("/")?;
        trusted(&fd, Path::new("/"))?;
        let mut walked = PathBuf::from("/");
        for part in path.iter().skip(1) {
            walked.push(part);
            fd = match openat(&fd, part, flags, Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::ENOENT) => return Ok(None),
                Err(Errno::ELOOP) | Err(Errno::ENOTDIR) => {
                    return Err(Error::Profile(format!(
                        "{}: not a directory (symbolic links are refused)",
                        walked.display()
                    )))
                }
                Err(e) => return Err(e).context(walked.display()),
            };
            trusted(&fd, &walked)?;
        }
        Ok(Some(TrustedDir { path: walked, fd }))
    }

    /// The names in the directory, read through the fd that was checked.
    pub(crate) fn file_names(&self) -> Result<Vec<String>> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let mut dir =
            Dir::openat(&self.fd, ".", flags, Mode::empty()).context(self.path.display())?;
        let mut names = Vec::new();
        for entry in dir.iter() {
            let entry = entry.context(self.path.display())?;
            if let Ok(name) = entry.file_name().to_str() {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }

    /// The file's text, or None if there is no such file.
    pub(crate) fn read(&self, file: &str) -> Result<Option<String>> {
        let path = self.path.join(file);
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
        let fd = match openat(&self.fd, file, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => return Ok(None),
            Err(Errno::ELOOP) => {
                return Err(Error::Profile(format!(
                    "{}: symbolic links are refused",
                    path.display()
                )))
            }
            Err(e) => return Err(e).context(path.display()),
        };
        let st = trusted(&fd, &path)?;
        if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFREG {
            return Err(Error::Profile(format!(
                "{}: not a regular file",
                path.display()
            )));
        }
        let mut bytes = Vec::new();
        std::fs::File::from(fd)
            .take(MAX_FILE + 1)
            .read_to_end(&mut bytes)
            .context(path.display())?;
        if bytes.len() as u64 > MAX_FILE {
            return Err(Error::Profile(format!(
                "{}: refused: larger than {MAX_FILE} bytes",
                path.display()
            )));
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::Profile(format!("{}: not valid UTF-8", path.display())))
    }
}

/// Refuses anything that a non-root user could have written.
fn trusted(fd: &OwnedFd, path: &Path) -> Result<nix::sys::stat::FileStat> {
    let st = fstat(fd).context(path.display())?;
    if st.st_uid != 0 {
        return Err(Error::Profile(format!(
            "{}: refused: owned by uid {}, not root",
            path.display(),
            st.st_uid
        )));
    }
    if st.st_mode & 0o022 != 0 {
        return Err(Error::Profile(format!(
            "{}: refused: writable by group or others (mode {:o})",
            path.display(),
            st.st_mode & 0o7777
        )));
    }
    Ok(st)
}
