//! The last steps before the command: file-descriptor hygiene and the PATH search.

use std::collections::BTreeSet;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{fcntl, open, FcntlArg, FdFlag, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::{execve, isatty, User};

use crate::credentials::Caller;
use crate::environment::Environment;
use crate::error::{Context, Error, Result};

/// The program to exec and its argv.
#[derive(Debug)]
pub struct Command {
    pub program: OsString,
    pub argv: Vec<OsString>,
}

impl Command {
    /// The exec as --dry-run shows it.
    pub fn describe(&self) -> String {
        let argv: Vec<String> = self.argv.iter().map(|a| format!("{a:?}")).collect();
        format!(
            "exec {:?} argv [{}] with the caller's environment and PATH",
            self.program,
            argv.join(", ")
        )
    }
}

/// The caller's login shell from the password database, not $SHELL, which the caller
/// controls; a login shell when stdin is a terminal.
pub fn resolve_command(command: Vec<OsString>, caller: &Caller) -> Result<Command> {
    if let Some(program) = command.first() {
        return Ok(Command {
            program: program.clone(),
            argv: command,
        });
    }
    let user = User::from_uid(caller.uid)
        .context("password database")?
        .ok_or_else(|| {
            Error::sys(
                "password database",
                format!("uid {} has no entry", caller.uid),
            )
        })?;
    let shell = if user.shell.as_os_str().is_empty() {
        Path::new("/bin/sh").to_path_buf()
    } else {
        user.shell
    };
    let mut argv0 = OsString::new();
    if isatty(std::io::stdin()).unwrap_or(false) {
        argv0.push("-");
    }
    argv0.push(shell.file_name().unwrap_or(shell.as_os_str()));
    Ok(Command {
        program: shell.into_os_string(),
        argv: vec![argv0],
    })
}

/// How the command is named in the journal: its basename, as systemd-cat -t would be.
pub fn identifier(program: &std::ffi::OsStr) -> String {
    let bytes = program.as_bytes();
    let base = bytes.rsplit(|&b| b == b'/').next().unwrap_or(bytes);
    String::from_utf8_lossy(base).into_owned()
}

/// glibc's default when PATH is unset (confstr(_CS_PATH)).
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// A set-user-ID program started with fd 0, 1 or 2 closed would hand that number to the
/// next file it opens, and later write errors into it. Fill the gaps with /dev/null.
/// (glibc already does this for a set-user-ID program; this holds without it.) Asks
/// /proc with stat(), which opens no fd of its own.
pub fn ensure_std_fds() -> Result<()> {
    for fd in 0..3 {
        if std::fs::symlink_metadata(format!("/proc/self/fd/{fd}")).is_err() {
            let null = open("/dev/null", OFlag::O_RDWR, Mode::empty()).context("/dev/null")?;
            if null.as_raw_fd() != fd {
                return Err(Error::Privilege(format!("could not fill closed fd {fd}")));
            }
            // Deliberately kept open for the life of the process, as fd 0, 1 or 2.
            std::mem::forget(null);
        }
    }
    Ok(())
}

/// The fds open at startup: the caller's, which the command inherits as exec would.
pub fn open_fds() -> Result<BTreeSet<RawFd>> {
    let mut dir = Dir::open(
        "/proc/self/fd",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .context("/proc/self/fd")?;
    let own = dir.as_raw_fd();
    let mut fds = BTreeSet::new();
    for entry in dir.iter() {
        let entry = entry.context("/proc/self/fd")?;
        if let Some(fd) = entry.file_name().to_str().ok().and_then(|n| n.parse().ok()) {
            if fd != own {
                fds.insert(fd);
            }
        }
    }
    Ok(fds)
}

/// Marks close-on-exec every fd that was not open at startup, whatever opened it. Must
/// run with one thread (launch.rs checks), so that nothing opens or closes fds meanwhile.
pub fn close_on_exec_all_but(inherited: &BTreeSet<RawFd>) -> Result<()> {
    for &fd in open_fds()?.difference(inherited) {
        // SAFETY: `fd` was listed in /proc/self/fd just now, its directory fd excluded,
        // and this is the only thread: it is open for the whole of this borrow, which
        // ends with the fcntl() call.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        fcntl(borrowed, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).context(format!("fd {fd}"))?;
    }
    Ok(())
}

/// execvp() with the caller's PATH (glibc's execvp would use ssc's own), and its fallback
/// for a file the kernel cannot run (see `exec`). The candidate paths are made before the
/// seccomp filters go in (`Search::new`), so that the search itself needs only execve(),
/// but for the `/bin/sh` fallback and the error, which allocate.
pub struct Search {
    name: String,
    /// None: the name cannot be a path (an empty one, or one with a NUL).
    candidates: Option<Vec<CString>>,
    /// Whether the name has a slash, and so is the only candidate.
    direct: bool,
}

impl Search {
    pub fn new(program: &OsStr, env: &Environment) -> Search {
        let name = program.to_string_lossy().into_owned();
        let direct = program.as_bytes().contains(&b'/');
        let candidates = match CString::new(program.as_bytes()) {
            Err(_) => None,
            Ok(_) if program.is_empty() => None,
            Ok(c) if direct => Some(vec![c]),
            Ok(_) => {
                let path = env.get("PATH").map_or(DEFAULT_PATH, |p| p.as_bytes());
                let candidates = path.split(|&b| b == b':').filter_map(|dir| {
                    let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
                    let mut candidate = dir.to_vec();
                    candidate.push(b'/');
                    candidate.extend_from_slice(program.as_bytes());
                    CString::new(candidate).ok()
                });
                Some(candidates.collect())
            }
        };
        Search {
            name,
            candidates,
            direct,
        }
    }

    /// Returns only on failure: 127 if nothing was found, 126 if something was found but
    /// could not run.
    pub fn exec(self, argv: &[CString], env: &Environment) -> Error {
        let Some(candidates) = self.candidates else {
            return Error::NotFound(self.name);
        };
        if self.direct {
            return classify(self.name, exec(&candidates[0], argv, env));
        }
        let mut denied = None;
        for candidate in &candidates {
            match exec(candidate, argv, env) {
                Errno::ENOENT
                | Errno::ENOTDIR
                | Errno::ESTALE
                | Errno::ENODEV
                | Errno::ETIMEDOUT => {}
                Errno::EACCES => {
                    denied.get_or_insert((candidate, Errno::EACCES));
                }
                e => return classify(candidate.to_string_lossy().into_owned(), e),
            }
        }
        match denied {
            Some((path, e)) => classify(path.to_string_lossy().into_owned(), e),
            None => Error::NotFound(self.name),
        }
    }
}

/// The shell glibc's execvp runs a script without `#!` with (_PATH_BSHELL).
const SHELL: &CStr = c"/bin/sh";

/// execve(), and if the kernel does not know the file's format (ENOEXEC: a script without
/// `#!`), what glibc's execvp does then: `/bin/sh FILE ARGS...`. The file passed the
/// kernel's permission checks; the shell runs as the caller, as the file would have.
fn exec(path: &CStr, argv: &[CString], env: &Environment) -> Errno {
    let e = execve(path, argv, env.entries()).unwrap_err();
    if e != Errno::ENOEXEC {
        return e;
    }
    match execve(SHELL, &shell_argv(path, argv), env.entries()).unwrap_err() {
        // No /bin/sh: the file's own error says more than "not found".
        Errno::ENOENT | Errno::ENOTDIR => Errno::ENOEXEC,
        e => e,
    }
}

/// glibc's maybe_script_execute: argv[0] is the shell, then the file, then argv[1..].
fn shell_argv(path: &CStr, argv: &[CString]) -> Vec<CString> {
    [SHELL.to_owned(), path.to_owned()]
        .into_iter()
        .chain(argv.iter().skip(1).cloned())
        .collect()
}

fn classify(path: String, e: Errno) -> Error {
    match e {
        Errno::ENOENT | Errno::ENOTDIR => Error::NotFound(path),
        source => Error::NotExecutable {
            path,
            source: source.into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_is_the_basename() {
        assert_eq!(
            identifier(std::ffi::OsStr::new("/usr/bin/firefox")),
            "firefox"
        );
        assert_eq!(identifier(std::ffi::OsStr::new("chromium")), "chromium");
    }

    #[test]
    fn a_script_without_shebang_runs_as_glibc_runs_it() {
        let shown = |argv: Vec<CString>| -> Vec<String> {
            argv.iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        let argv = [c"myscript".to_owned(), c"a b".to_owned(), c"-x".to_owned()];
        assert_eq!(
            shown(shell_argv(c"/home/alice/myscript", &argv)),
            ["/bin/sh", "/home/alice/myscript", "a b", "-x"]
        );
        assert_eq!(
            shown(shell_argv(c"./s", &[c"s".to_owned()])),
            ["/bin/sh", "./s"]
        );
    }

    #[test]
    fn explicit_command_is_taken_as_is() {
        let caller = Caller::from_process().unwrap();
        let c = resolve_command(vec!["bash".into(), "-i".into()], &caller).unwrap();
        assert_eq!(c.program, "bash");
        assert_eq!(c.argv, ["bash", "-i"]);
    }
}
