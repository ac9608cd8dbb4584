//! The caller's identity, the temporary switches to root, and the final drop.
//!
//! ssc runs with its effective uid set to the caller's, and root kept as the real and the
//! saved uid, from which privileged.rs regains it for one named step at a time. The final
//! drop sets every id to the caller's and then proves that root cannot come back.

use caps::CapSet;
use nix::unistd::{
    getgroups, getresgid, getresuid, setegid, seteuid, setgroups, setresgid, setresuid, Gid, Uid,
};

use crate::error::{Context, Error, Result};

/// Who ran ssc: the real uid and gid, and the supplementary groups it was started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub uid: Uid,
    pub gid: Gid,
    pub groups: Vec<Gid>,
}

impl Caller {
    /// Read before anything changes them: the groups are the caller's own, not a fresh
    /// initgroups() from the database, so `sg` and `newgrp` keep working.
    pub fn from_process() -> Result<Caller> {
        let uid = getresuid().context("getresuid")?.real;
        let gid = getresgid().context("getresgid")?.real;
        let mut groups = getgroups().context("getgroups")?;
        groups.sort_by_key(|g| g.as_raw());
        groups.dedup();
        Ok(Caller { uid, gid, groups })
    }
}

/// Sets the effective uid to the caller's. Root stays the real uid, so that the caller
/// cannot signal ssc (and so stop it while it holds a root connection), and the saved uid,
/// from which `as_root` takes it back. With real and effective uids apart, any library that
/// checks for set-user-ID that way sees it. The gids become the caller's for good: nothing
/// ssc does needs another group.
pub fn become_caller_keeping_root(caller: &Caller) -> Result<()> {
    setresgid(caller.gid, caller.gid, caller.gid).context("setresgid")?;
    setresuid(Uid::from_raw(0), caller.uid, Uid::from_raw(0)).context("setresuid")
}

/// Drops root for good, from an effective uid of 0 (privileged.rs): supplementary
/// groups, then gid, then uid; then clears the capability sets that survive a uid change
/// and checks everything.
pub(crate) fn drop_all(caller: &Caller) -> Result<()> {
    setgroups(&caller.groups).context("setgroups")?;
    setresgid(caller.gid, caller.gid, caller.gid).context("setresgid")?;
    setresuid(caller.uid, caller.uid, caller.uid).context("setresuid")?;
    // Inheritable is not cleared by a uid change, and may come from the caller.
    for set in [CapSet::Inheritable, CapSet::Ambient] {
        caps::clear(None, set)
            .map_err(|e| Error::Privilege(format!("clearing {set:?} capabilities: {e}")))?;
    }
    verify_dropped(caller)
}

/// The final drop as --dry-run shows it.
pub fn describe_drop(caller: &Caller) -> String {
    let groups: Vec<String> = caller.groups.iter().map(|g| g.to_string()).collect();
    format!(
        "drop privileges: setgroups [{}], setresgid {g} {g} {g}, setresuid {u} {u} {u}, \
         no capabilities",
        groups.join(","),
        g = caller.gid,
        u = caller.uid
    )
}

/// Proves the drop: any surprise is fatal.
pub fn verify_dropped(caller: &Caller) -> Result<()> {
    let fail = |what: String| Err(Error::Privilege(format!("privilege check failed: {what}")));
    let u = getresuid().context("getresuid")?;
    if (u.real, u.effective, u.saved) != (caller.uid, caller.uid, caller.uid) {
        return fail(format!("uids are {}/{}/{}", u.real, u.effective, u.saved));
    }
    let g = getresgid().context("getresgid")?;
    if (g.real, g.effective, g.saved) != (caller.gid, caller.gid, caller.gid) {
        return fail(format!("gids are {}/{}/{}", g.real, g.effective, g.saved));
    }
    let mut groups = getgroups().context("getgroups")?;
    groups.sort_by_key(|g| g.as_raw());
    groups.dedup();
    if groups != caller.groups {
        return fail(format!("supplementary groups are {groups:?}"));
    }
    if !caller.uid.is_root() && seteuid(Uid::from_raw(0)).is_ok() {
        return fail("root could be regained".into());
    }
    if caller.gid.as_raw() != 0 && setegid(Gid::from_raw(0)).is_ok() {
        return fail("gid 0 could be regained".into());
    }
    for set in [
        CapSet::Effective,
        CapSet::Permitted,
        CapSet::Inheritable,
        CapSet::Ambient,
    ] {
        let held = caps::read(None, set)
            .map_err(|e| Error::Privilege(format!("reading {set:?} capabilities: {e}")))?;
        if !held.is_empty() {
            return fail(format!("{set:?} capabilities remain: {held:?}"));
        }
    }
    Ok(())
}
