//! Finding a profile by name: the admin's NAME.conf in /etc/ssc/profiles.d, read through
//! the directory that trust.rs checked, else the built-in.

use std::path::Path;

use super::trust::TrustedDir;
use super::{built_in, parse, valid_name, Profile, BUILT_IN, PROFILE_DIR};
use crate::error::{Error, Result};

/// Loads the profile NAME: the admin's file if there is one, else the built-in.
pub fn load(name: &str, online_cpus: u64) -> Result<Profile> {
    if !valid_name(name) {
        return Err(Error::Usage(format!(
            "invalid profile name '{name}': it must match [a-z0-9][a-z0-9_-]{{0,31}}"
        )));
    }
    let dir = TrustedDir::open(Path::new(PROFILE_DIR))?;
    load_from(dir.as_ref(), name, online_cpus)
}

/// NAME from the checked directory (None: there is none), else the built-in.
fn load_from(dir: Option<&TrustedDir>, name: &str, online_cpus: u64) -> Result<Profile> {
    if let Some(dir) = dir {
        if let Some(text) = dir.read(&format!("{name}.conf"))? {
            return parse(name, &dir.path.join(format!("{name}.conf")), &text);
        }
    }
    built_in(name, online_cpus).ok_or_else(|| {
        let names = list_names(dir).unwrap_or_default();
        Error::Usage(format!(
            "unknown profile '{name}' (available: {})",
            names.join(", ")
        ))
    })
}

/// Every profile, by name, from one walk of the directory. Files that fail to load are
/// returned as errors, so that the others can still be listed.
pub fn load_all(online_cpus: u64) -> Result<Vec<Result<Profile>>> {
    let dir = TrustedDir::open(Path::new(PROFILE_DIR))?;
    Ok(list_names(dir.as_ref())?
        .iter()
        .map(|n| load_from(dir.as_ref(), n, online_cpus))
        .collect())
}

/// The built-in names and those of the directory's NAME.conf files, listed through the
/// fd that was checked.
fn list_names(dir: Option<&TrustedDir>) -> Result<Vec<String>> {
    let mut names: Vec<String> = BUILT_IN.iter().map(|s| s.to_string()).collect();
    if let Some(dir) = dir {
        for file in dir.file_names()? {
            if let Some(name) = file.strip_suffix(".conf") {
                if valid_name(name) && !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
        }
    }
    names.sort();
    Ok(names)
}
