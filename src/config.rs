//! /etc/ssc/ssc.conf: the administrator's settings that are not a profile, trusted the
//! same way as profile files (root's, not group- or world-writable, no symbolic links).
//!
//! ```ini
//! [Launch]
//! MaxScopesPerUser=256
//! ```

use std::path::{Path, PathBuf};

use nix::unistd::Uid;

use crate::error::{Context, Error, Result};
use crate::profile::TrustedDir;
use crate::unit_name::UnitName;

const DIR: &str = "/etc/ssc";
const FILE: &str = "ssc.conf";
/// Every live ssc scope is a unit of PID 1's and a cgroup: a user gets this many at once.
pub const DEFAULT_MAX_SCOPES: u32 = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub max_scopes_per_user: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_scopes_per_user: DEFAULT_MAX_SCOPES,
        }
    }
}

/// The settings in force: the file's, or the defaults if there is none.
pub fn load() -> Result<Config> {
    let Some(dir) = TrustedDir::open(Path::new(DIR))? else {
        return Ok(Config::default());
    };
    match dir.read(FILE)? {
        Some(text) => parse(&Path::new(DIR).join(FILE), &text),
        None => Ok(Config::default()),
    }
}

pub fn parse(path: &Path, text: &str) -> Result<Config> {
    let mut config = Config::default();
    let mut in_section = false;
    let mut seen = false;
    for (i, raw) in text.lines().enumerate() {
        let err = |msg: String| Error::Profile(format!("{}:{}: {msg}", path.display(), i + 1));
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            if line != "[Launch]" || in_section {
                return Err(err(format!(
                    "unexpected section {line}, expected one [Launch]"
                )));
            }
            in_section = true;
            continue;
        }
        if !in_section {
            return Err(err(
                "missing section: the file must start with [Launch]".into()
            ));
        }
        match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("MaxScopesPerUser", value)) => {
                if seen {
                    return Err(err("MaxScopesPerUser is already set".into()));
                }
                seen = true;
                config.max_scopes_per_user = value
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| err(format!("bad value '{value}' for MaxScopesPerUser: expected a count of at least 1")))?;
            }
            _ => {
                return Err(err(format!(
                    "unknown setting '{line}' (allowed: MaxScopesPerUser)"
                )))
            }
        }
    }
    Ok(config)
}

/// Where `uid`'s scopes are in cgroupfs.
pub fn user_slice(uid: Uid) -> PathBuf {
    PathBuf::from(format!("/sys/fs/cgroup/user.slice/user-{uid}.slice"))
}

/// The pid in the name of each ssc scope in `slice`, one per scope: a readdir of the user's
/// slice in cgroupfs, which anyone may list, rather than a round trip to systemd.
pub fn scopes_of(slice: &Path) -> Result<Vec<u32>> {
    let entries = match std::fs::read_dir(slice) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).context(slice.display()),
    };
    let mut pids = Vec::new();
    for entry in entries {
        let name = entry.context(slice.display())?.file_name();
        if let Ok(unit) = name.to_string_lossy().parse::<UnitName>() {
            pids.push(unit.pid);
        }
    }
    Ok(pids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Config> {
        parse(Path::new("/etc/ssc/ssc.conf"), text)
    }

    #[test]
    fn parses_and_refuses() {
        assert_eq!(p("").unwrap(), Config::default());
        assert_eq!(
            p("# admin\n[Launch]\nMaxScopesPerUser=8\n")
                .unwrap()
                .max_scopes_per_user,
            8
        );
        for (text, want) in [
            ("MaxScopesPerUser=8\n", ":1: missing section"),
            ("[Launch]\nMaxScopesPerUser=0\n", ":2: bad value '0'"),
            ("[Launch]\nMaxScopesPerUser=-1\n", ":2: bad value '-1'"),
            (
                "[Launch]\nMaxScopesPerUser=1\nMaxScopesPerUser=2\n",
                ":3: MaxScopesPerUser is already set",
            ),
            ("[Launch]\nMemoryMax=1G\n", ":2: unknown setting"),
            ("[Profile]\n", ":1: unexpected section"),
        ] {
            let e = p(text).unwrap_err().to_string();
            assert!(e.starts_with("/etc/ssc/ssc.conf"), "{e}");
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
