//! Errors carry the exit status ssc ends with, so that main has one place to map them.

use std::fmt;

/// 125: ssc itself failed; the command did not run.
pub const EXIT_SSC: u8 = 125;
/// 126: the command was found but could not be executed.
pub const EXIT_NOT_EXECUTABLE: u8 = 126;
/// 127: the command was not found.
pub const EXIT_NOT_FOUND: u8 = 127;

/// What each of ssc's own exit statuses means: the one source for --help, ssc(1) and the
/// README (a test in ssc-gen holds them to it).
pub const EXIT_STATUSES: [(u8, &str); 3] = [
    (
        EXIT_SSC,
        "ssc itself failed and the command did not run: bad usage, an unknown or refused \
         profile, systemd unreachable, a D-Bus error or failed job, a failed privilege check, \
         ssc not installed setuid root, or an empty argv",
    ),
    (
        EXIT_NOT_EXECUTABLE,
        "the command was found but could not be executed",
    ),
    (EXIT_NOT_FOUND, "the command was not found"),
];

/// The exit-status paragraph of --help.
pub fn exit_status_help() -> String {
    let mut text = String::from("Exit status: the command's own, or");
    for (i, (code, meaning)) in EXIT_STATUSES.iter().enumerate() {
        let sep = if i + 1 == EXIT_STATUSES.len() {
            "; or"
        } else {
            ";"
        };
        let sep = if i == 0 { "" } else { sep };
        text.push_str(&format!("{sep} {code} if {meaning}"));
    }
    text.push('.');
    text
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line: an option, the argument list, a profile name.
    #[error("{0}")]
    Usage(String),

    /// A profile or /etc/ssc/ssc.conf: untrusted, unreadable or malformed.
    #[error("{0}")]
    Profile(String),

    /// A launch that a rule refuses: the per-user limits, loosening the scope it starts
    /// from, an XAUTHORITY or working directory a private /tmp cannot take.
    #[error("{0}")]
    Refused(String),

    #[error("{what}: {source}")]
    Sys {
        what: String,
        source: std::io::Error,
    },

    /// Talking to systemd: no way to reach it, an error it answered, a failed job.
    #[error("{0}")]
    Bus(String),

    /// Credentials: not installed setuid root, a root caller, a failed drop check.
    #[error("{0}")]
    Privilege(String),

    #[error("{0}: command not found")]
    NotFound(String),

    #[error("{path}: cannot execute: {source}")]
    NotExecutable {
        path: String,
        source: std::io::Error,
    },

    /// What a detached child reported: its exit status and its error line.
    #[error("{1}")]
    Detached(u8, String),
}

impl Error {
    /// A system call or file of the system that did not answer as expected.
    pub fn sys(what: impl fmt::Display, problem: impl fmt::Display) -> Error {
        Error::Sys {
            what: what.to_string(),
            source: std::io::Error::other(problem.to_string()),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::NotFound(_) => EXIT_NOT_FOUND,
            Error::NotExecutable { .. } => EXIT_NOT_EXECUTABLE,
            Error::Detached(code, _) => *code,
            _ => EXIT_SSC,
        }
    }

    /// The one line printed after `ssc: `; messages from systemd may contain newlines.
    pub fn one_line(&self) -> String {
        self.to_string().replace(['\n', '\r'], " ")
    }
}

/// Prints `ssc: LINE` to stderr. A stderr that cannot be written to must not turn the
/// error's exit status into an abort.
pub fn print(e: &Error) {
    print_line(&e.one_line());
}

/// One write(), so that the lines of launches sharing a stderr never interleave.
pub fn print_line(line: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("ssc: {line}\n").as_bytes());
}

/// Attaches what was being done to a failed system call.
pub trait Context<T> {
    fn context(self, what: impl fmt::Display) -> Result<T, Error>;
}

impl<T> Context<T> for nix::Result<T> {
    fn context(self, what: impl fmt::Display) -> Result<T, Error> {
        self.map_err(std::io::Error::from).context(what)
    }
}

impl<T> Context<T> for std::io::Result<T> {
    fn context(self, what: impl fmt::Display) -> Result<T, Error> {
        self.map_err(|source| Error::Sys {
            what: what.to_string(),
            source,
        })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
