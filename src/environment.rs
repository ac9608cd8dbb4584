//! The caller's environment, exactly as it was passed to execve.
//!
//! glibc deletes LD_PRELOAD, LD_LIBRARY_PATH, TMPDIR and others from a set-user-ID
//! process's `environ` at startup, so ssc reads the untouched copy in /proc/self/environ.
//! Nothing here is acted on while privileged; it is handed back to the command.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::error::{Context, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// `KEY=VALUE` entries, byte for byte and in order.
    entries: Vec<CString>,
}

impl Environment {
    /// Must run before the effective uid changes: a set-user-ID process's
    /// /proc/self/environ is readable only by root.
    pub fn from_proc() -> Result<Environment> {
        let raw = std::fs::read("/proc/self/environ").context("/proc/self/environ")?;
        Ok(Environment::from_bytes(&raw))
    }

    pub fn from_bytes(raw: &[u8]) -> Environment {
        let entries = raw
            .split(|&b| b == 0)
            .filter(|e| !e.is_empty())
            .map(|e| CString::new(e).expect("split on NUL"))
            .collect();
        Environment { entries }
    }

    /// The first value of KEY, as getenv() would return it.
    pub fn get(&self, key: &str) -> Option<&OsStr> {
        self.entries.iter().find_map(|e| {
            let e = e.as_bytes();
            let rest = e.strip_prefix(key.as_bytes())?;
            rest.strip_prefix(b"=").map(OsStr::from_bytes)
        })
    }

    pub fn entries(&self) -> &[CString] {
        &self.entries
    }
}

/// Empties this process's own environment (the copy from /proc/self/environ is what the
/// command gets). All of it, entries std cannot name included: `std::env::remove_var`
/// panics on a key like "=a", which any caller can put in her envp.
///
/// # Safety
///
/// clearenv() is not thread-safe: the process must have one thread, and nothing may hold
/// a pointer into `environ` (a string std::env::var_os or getenv() returned).
pub unsafe fn clear_process_environment() -> Result<()> {
    // SAFETY: one thread and no pointer into environ, as this function's caller promised.
    unsafe { nix::env::clearenv() }.map_err(|e| crate::error::Error::sys("clearenv", e))
}

/// Turns arguments into the C strings execve takes. An argument cannot contain NUL: the
/// kernel split argv on it.
pub fn to_cstrings(args: &[OsString]) -> Vec<CString> {
    args.iter()
        .map(|a| CString::new(a.clone().into_vec()).expect("argv has no NUL"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_entry_byte_for_byte() {
        let raw = b"PATH=/bin\0LD_PRELOAD=/x.so\0NOTUTF8=\xff\xfe\0EMPTY=\0A=1=2\0";
        let env = Environment::from_bytes(raw);
        assert_eq!(env.entries().len(), 5);
        assert_eq!(env.get("LD_PRELOAD"), Some(OsStr::new("/x.so")));
        assert_eq!(env.get("NOTUTF8").unwrap().as_bytes(), b"\xff\xfe");
        assert_eq!(env.get("EMPTY"), Some(OsStr::new("")));
        assert_eq!(env.get("A"), Some(OsStr::new("1=2")));
        assert_eq!(env.get("PAT"), None);
        let joined: Vec<u8> = env
            .entries()
            .iter()
            .flat_map(|e| e.as_bytes_with_nul().to_vec())
            .collect();
        assert_eq!(joined, raw);
    }
}
