//! A launch from inside an ssc scope may not loosen any limit of that scope: otherwise a
//! command under a tight profile could start itself again under a looser one.

use crate::error::{Context, Error, Result};
use crate::profile::{self, Profile};
use crate::scope;

/// Refuses `profile` if this process runs in an ssc scope whose profile it would loosen.
pub fn check(profile: &Profile, cpus: u64) -> Result<()> {
    let Some(origin) = scope::origin_profile()? else {
        return Ok(());
    };
    let origin = profile::load(&origin, cpus).map_err(|e| {
        Error::Profile(format!(
            "this runs in a scope of profile '{origin}', which cannot be checked: {}",
            e.one_line()
        ))
    })?;
    match profile.loosens(&origin, physical_memory()?, system_tasks()?) {
        None => Ok(()),
        Some(why) => Err(Error::Refused(format!(
            "refusing profile '{}' inside a scope of profile '{}': {why}",
            profile.name, origin.name
        ))),
    }
}

/// MemTotal, the base of systemd's memory percentages.
pub(crate) fn physical_memory() -> Result<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").context("/proc/meminfo")?;
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| Error::sys("/proc/meminfo", "no MemTotal"))
}

/// The base of systemd's TasksMax percentages: the smaller of pid_max and threads-max.
fn system_tasks() -> Result<u64> {
    let read = |path: &str| -> Result<u64> {
        std::fs::read_to_string(path)
            .context(path)?
            .trim()
            .parse()
            .map_err(|_| Error::sys(path, "not a number"))
    };
    Ok(read("/proc/sys/kernel/pid_max")?.min(read("/proc/sys/kernel/threads-max")?))
}
