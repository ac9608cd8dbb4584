//! The mount namespace ssc builds for a scope, because systemd refuses exec settings such
//! as PrivateTmp and ProtectSystem on one: systemd's mount list, made by ssc from fds.
//!
//! - `plan`: the profile's settings to systemd's ordered, pruned mount list (pure);
//! - `private_tmp`: PrivateTmp's binds of X11 and XAUTHORITY into the private /tmp;
//! - `resolve`: paths to fds, as the caller, following no link the caller could plant;
//! - `build`: the list made from those fds, root's part through privileged.rs;
//! - `kernel`: the fd-based mount system calls.

pub mod build;
pub mod kernel;
pub mod plan;
pub mod private_tmp;
pub mod resolve;

use std::ffi::OsStr;

use build::Creation;
use plan::{Mode, Mount, Origin};

use crate::credentials::Caller;
use crate::error::{Error, Result};
use crate::privileged;
use crate::profile::Profile;

/// The mount list for `profile`, with PrivateTmp's binds for this caller; empty if the
/// profile asks for no namespace.
pub fn mount_list(profile: &Profile, xauthority: Option<&OsStr>) -> Result<Vec<(Mount, Creation)>> {
    let mut list = Vec::new();
    if profile.private_tmp() {
        for dir in private_tmp::PRIVATE_DIRS {
            list.push((
                Mount {
                    path: dir.into(),
                    mode: Mode::PrivateTmp,
                    ignore_missing: false,
                    origin: Origin {
                        key: "PrivateTmp",
                        at: profile.source.to_string(),
                    },
                },
                build::AS_SYSTEMD,
            ));
        }
        list.extend(private_tmp::binds(xauthority)?);
    }
    Ok(list)
}

/// The namespace steps as --dry-run shows them.
pub fn describe(list: &[(Mount, Creation)]) -> Vec<String> {
    if list.is_empty() {
        return Vec::new();
    }
    let mut lines =
        vec!["mount namespace: unshare(CLONE_NEWNS); mount --make-rslave /".to_string()];
    for (m, _) in list {
        lines.push(format!("    {}", describe_one(m)));
    }
    lines.push("    enter the working directory again by its path".into());
    lines
}

fn describe_one(m: &Mount) -> String {
    let what = match &m.mode {
        Mode::Inaccessible => "inaccessible".to_string(),
        Mode::ReadOnly => "read-only".into(),
        Mode::ReadWrite => "read-write".into(),
        Mode::ReadWriteImplicit => "read-write (implicit)".into(),
        Mode::Bind {
            source,
            read_only,
            recursive,
        } => format!(
            "bind {}{}{}",
            source.display(),
            if *read_only { ", read-only" } else { "" },
            if *recursive { "" } else { ", not recursive" }
        ),
        Mode::Tmpfs { options, read_only } => format!(
            "tmpfs {options}{}",
            if *read_only { ", read-only" } else { "" }
        ),
        Mode::PrivateTmp => "tmpfs mode=1777, nosuid, nodev (noexec if the host's has it)".into(),
    };
    format!(
        "{} {what}{}  # {}",
        m.path.display(),
        if m.ignore_missing {
            ", if it exists"
        } else {
            ""
        },
        m.origin
    )
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
