//! Errors carry the exit status ssc ends with, so that main has one place to map them.

use std::fmt;

/// 125: ssc itself failed; the command did not run.
pub const EXIT_SSC: u8 = 125;
/// 126: the command was found but could not be executed.
pub const EXIT_NOT_EXECUTABLE: u8 = 126;
/// 127: the command was not found.
pub const EXIT_NOT_FOUND: u8 = 127;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),

    #[error("{0}")]
    Profile(String),

    #[error("{what}: {source}")]
    Sys {
        what: String,
        source: std::io::Error,
    },

    #[error("{0}")]
    Bus(String),

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

pub fn print_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "ssc: {line}");
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
