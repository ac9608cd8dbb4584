//! A launch from inside an ssc scope may not loosen any limit of that scope: otherwise a
//! command under a tight profile could start itself again under a looser one.
//!
//! RuntimeMaxSec is a deadline, not only a length: systemd counts it from each scope's
//! start, so a command that launched itself again before its end would start its time
//! anew, for ever. A launch from a scope with a RuntimeMaxSec gets at most what is left of
//! it, as systemd itself reports it (status.rs reads it with no privileges), or none.

use std::time::Instant;

use nix::time::{clock_gettime, ClockId};
use nix::unistd::geteuid;

use crate::error::{Context, Error, Result};
use crate::oomd;
use crate::profile::managed_oom::ManagedOOMMode;
use crate::profile::{self, Profile};
use crate::scope;
use crate::status;

/// When systemd stops the scope a launch comes from, for its RuntimeMaxSec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeEnd {
    pub unit: String,
    /// Microseconds of CLOCK_MONOTONIC, systemd's clock for that timer.
    pub at: u64,
}

impl RuntimeEnd {
    /// The microseconds left now; 0 once it has passed.
    pub fn left(&self) -> u64 {
        self.at.saturating_sub(monotonic_usec())
    }
}

pub(crate) fn monotonic_usec() -> u64 {
    // CLOCK_MONOTONIC cannot fail: it exists and the pointer is nix's own.
    let now = clock_gettime(ClockId::CLOCK_MONOTONIC).expect("CLOCK_MONOTONIC");
    (now.tv_sec() as u64) * 1_000_000 + (now.tv_nsec() as u64) / 1_000
}

/// Refuses `profile` if this process runs in an ssc scope whose profile it would loosen.
/// If that scope has a RuntimeMaxSec, returns when it ends: the new scope's RuntimeMaxSec
/// must end no later (request.rs). If ssc cannot learn when, it refuses (fail closed).
pub fn check(profile: &Profile, cpus: u64) -> Result<Option<RuntimeEnd>> {
    let Some(origin) = scope::origin_profile()? else {
        return Ok(None);
    };
    let origin = profile::load(&origin, cpus).map_err(|e| {
        Error::Profile(format!(
            "this runs in a scope of profile '{origin}', which cannot be checked: {}",
            e.one_line()
        ))
    })?;
    // Read only when it matters: oomd.conf is the administrator's, and a file there that
    // ssc cannot trust must not stop launches from scopes that do not use it.
    let oomd_limit = match origin.policy().oom_mode {
        Some(ManagedOOMMode::Kill) => oomd::default_limit().map_err(|e| {
            Error::Profile(format!(
                "cannot read systemd-oomd's DefaultMemoryPressureLimit: {}",
                e.one_line()
            ))
        })?,
        _ => oomd::BUILT_IN,
    };
    let (ram, tasks) = (physical_memory()?, system_tasks()?);
    if let Some(why) = profile.loosens(&origin, ram, tasks, oomd_limit) {
        return Err(Error::Refused(format!(
            "refusing profile '{}' inside a scope of profile '{}': {why}",
            profile.name, origin.name
        )));
    }
    if origin
        .policy()
        .runtime_max_usec
        .is_none_or(|usec| usec == u64::MAX)
    {
        return Ok(None);
    }
    let unit = scope::current_unit()?;
    let refused = |why: String| {
        Error::Refused(format!(
            "refusing to launch inside {unit}, a scope of profile '{}' with RuntimeMaxSec: {why}",
            origin.name
        ))
    };
    let read = status::connect(geteuid(), Instant::now() + scope::DEADLINE).and_then(|mut bus| {
        let end = status::runtime_end(&mut bus, &unit);
        bus.close();
        end
    });
    let Some(at) =
        read.map_err(|e| refused(format!("cannot learn when it ends: {}", e.one_line())))?
    else {
        return Ok(None);
    };
    let end = RuntimeEnd {
        unit: unit.clone(),
        at,
    };
    match end.left() {
        0 => Err(refused("its time has run out".into())),
        _ => Ok(Some(end)),
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
