//! What systemd wrote into the scope's cgroup files for the settings that are not BPF
//! programs: io.max, cpuset.cpus(.effective), memory.low and memory.min.

use std::path::Path;

use nix::unistd::{sysconf, SysconfVar};

use super::block_device::whole_disk;
use super::not_in_force;
use crate::error::Result;
use crate::profile::cpu_set::CpuSet;
use crate::profile::io::IoLimitKind;
use crate::profile::{Limit, Policy};

/// io.max, cpuset.cpus and memory.low/min: what systemd wrote for the rest.
pub(super) fn check_files(policy: &Policy, cgroup: &Path) -> Result<()> {
    let read = |file: &str| std::fs::read_to_string(cgroup.join(file));
    if !policy.io.is_empty() {
        let io_max = read("io.max").unwrap_or_default();
        for (path, limits) in &policy.io {
            let device = whole_disk(Path::new(path)).map_err(|e| {
                not_in_force(
                    "IO limits",
                    &format!("{path}: no block device to limit ({e})"),
                )
            })?;
            let line = io_max
                .lines()
                .find(|l| l.split_ascii_whitespace().next() == Some(device.as_str()));
            for (i, kind) in IoLimitKind::ALL.iter().enumerate() {
                if limits[i] == u64::MAX {
                    continue;
                }
                let field = format!("{}={}", kind.io_max_field(), limits[i]);
                if !line.is_some_and(|l| l.split_ascii_whitespace().any(|f| f == field)) {
                    return Err(not_in_force(
                        kind.key(),
                        &format!(
                            "io.max has no {field} for {path} (device {device}): '{}'",
                            line.unwrap_or("")
                        ),
                    ));
                }
            }
        }
    }
    if let Some(want) = &policy.allowed_cpus {
        let cpus = read("cpuset.cpus")
            .ok()
            .and_then(|t| CpuSet::parse_kernel(&t));
        let effective = read("cpuset.cpus.effective")
            .ok()
            .and_then(|t| CpuSet::parse_kernel(&t));
        let ok = cpus.as_ref() == Some(want)
            && effective
                .as_ref()
                .is_some_and(|e| !e.0.is_empty() && e.0.is_subset(&want.0));
        if !ok {
            let show = |c: Option<CpuSet>| c.map_or("missing".into(), |c| format!("'{c}'"));
            return Err(not_in_force(
                "AllowedCPUs",
                &format!(
                    "cpuset.cpus is {} and cpuset.cpus.effective {}, not within {want}",
                    show(cpus),
                    show(effective)
                ),
            ));
        }
    }
    for (key, file, limit) in [
        ("MemoryLow", "memory.low", policy.memory_low),
        ("MemoryMin", "memory.min", policy.memory_min),
    ] {
        let Some(limit) = limit else { continue };
        let text = read(file).unwrap_or_default();
        let value = text.trim();
        let ram = crate::origin::physical_memory()?;
        if !memory_protection_matches(limit, value, ram, page_size()) {
            return Err(not_in_force(
                key,
                &format!("{file} of the scope is '{value}'"),
            ));
        }
    }
    Ok(())
}

/// The kernel's page size: 4 KiB on x86, 4, 16 or 64 KiB on arm64 and others.
fn page_size() -> u64 {
    sysconf(SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(4096)
}

/// The kernel keeps memory.low and memory.min in pages of `page` bytes; systemd turns a
/// percentage into bytes of its own idea of physical memory, so that one is allowed a 1%
/// margin.
fn memory_protection_matches(limit: Limit, value: &str, ram: u64, page: u64) -> bool {
    let Ok(actual) = value.parse::<u64>() else {
        return value == "max" && limit == Limit::Infinity;
    };
    match limit {
        Limit::Infinity => false,
        Limit::Absolute(n) => actual == n / page * page || actual == n,
        Limit::Permyriad(p) => {
            let want = (u128::from(ram) * u128::from(p) / 10_000) as u64;
            actual.abs_diff(want) <= ram / 100 + page
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_protection_in_pages() {
        let ram = 2 << 30;
        let matches = |limit, value| memory_protection_matches(limit, value, ram, 4096);
        assert!(matches(Limit::Absolute(1 << 20), "1048576"));
        assert!(matches(Limit::Absolute(5000), "4096"));
        assert!(!matches(Limit::Absolute(1 << 20), "0"));
        assert!(matches(Limit::Infinity, "max"));
        assert!(matches(Limit::Permyriad(1_000), "214745088"));
        assert!(!matches(Limit::Permyriad(1_000), "0"));
        // 40000 bytes: 9 pages of 4 KiB, 2 of 16 KiB, none of 64 KiB.
        for (page, kept) in [(4096, "36864"), (16384, "32768"), (65536, "0")] {
            assert!(
                memory_protection_matches(Limit::Absolute(40_000), kept, ram, page),
                "{page}"
            );
        }
        assert!(!memory_protection_matches(
            Limit::Absolute(40_000),
            "32768",
            ram,
            4096
        ));
    }

    /// sysconf's page size is the kernel's: the size of the pages this process is mapped in.
    #[test]
    fn page_size_is_the_kernels() {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let kib: u64 = smaps
            .lines()
            .find_map(|l| l.strip_prefix("KernelPageSize:"))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap();
        assert_eq!(page_size(), kib * 1024);
    }
}
