//! The mount namespace ssc builds for a scope, because systemd refuses exec settings such
//! as PrivateTmp and ProtectSystem on one: systemd's mount list, made by ssc from fds.
//!
//! - `paths`, `tmpfs`: the keys' values, parsed as systemd parses them, and specifiers;
//! - `settings`: a profile's keys for this caller, specifiers expanded;
//! - `plan`: those settings to systemd's ordered, pruned mount list (pure);
//! - `protect_kernel`: ProtectKernelTunables=, -Modules=, -Logs= and ProtectControlGroups=
//!   as systemd's tables of mounts;
//! - `private_tmp`: PrivateTmp's binds of X11 and XAUTHORITY into the private /tmp;
//! - `resolve`: paths to fds, as the caller, following no link the caller could plant;
//! - `build`: the list made from those fds, root's part through privileged.rs;
//! - `kernel`: the fd-based mount system calls.

pub mod build;
pub mod kernel;
pub mod paths;
pub mod plan;
pub mod private_tmp;
mod protect_kernel;
pub mod resolve;
mod settings;
pub mod tmpfs;
mod words;

use std::ffi::OsStr;

use build::Creation;
use plan::Mount;

use crate::credentials::Caller;
use crate::error::{Error, Result};
use crate::privileged;
use crate::profile::Profile;

/// The mount list for `profile`, for this caller: systemd's, from the file-system keys
/// and PrivateTmp, then PrivateTmp's binds; empty if the profile asks for no namespace.
pub fn mount_list(
    profile: &Profile,
    caller: &Caller,
    xauthority: Option<&OsStr>,
) -> Result<Vec<(Mount, Creation)>> {
    let settings = settings::of(profile, caller)?;
    let mut list: Vec<(Mount, Creation)> = plan::plan(&settings)
        .into_iter()
        .map(|m| (m, build::AS_SYSTEMD))
        .collect();
    if settings.private_tmp.is_some() {
        list.extend(private_tmp::binds(xauthority)?);
    }
    Ok(list)
}

/// The namespace steps as --dry-run shows them.
pub fn describe(list: &[(Mount, Creation)]) -> Vec<String> {
    if list.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        "mount namespace: unshare(CLONE_NEWNS); mount --make-rslave /; in this order:".to_string(),
    ];
    for (m, _) in list {
        lines.push(format!("    {m}"));
    }
    lines.push("    enter the working directory again by its path".into());
    lines
}

/// Builds the namespace for `list` on this thread, which must be ssc's only one. Runs as
/// the caller; root's part goes through privileged.rs.
pub fn set_up(caller: &Caller, list: Vec<(Mount, Creation)>) -> Result<()> {
    // Taken before: once "/" may be another tree, the old one has no path in it.
    let cwd = std::env::current_dir().map_err(|e| {
        Error::Refused(format!(
            "the working directory has no path, so it may be outside the namespace: {e}"
        ))
    })?;
    privileged::unshare_mount_namespace(caller)?;
    // In the new namespace: the kernel clones only mounts of the caller's own.
    let prepared = build::prepare(list)?;
    prepared.build(caller)?;
    // Again by its path: a handle from before would still reach the host's tree.
    std::env::set_current_dir(&cwd).map_err(|e| {
        Error::Refused(format!(
            "the working directory {} is hidden in this profile's namespace ({e}); start ssc from another directory",
            cwd.display()
        ))
    })
}
