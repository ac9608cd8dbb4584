//! Enforced or refused. On a scope, systemd applies every BPF-based setting best-effort:
//! if the kernel or systemd's build cannot do it, the scope starts anyway and the property
//! reads back as set. So after the job and before exec, ssc looks at its own scope's
//! cgroup: the BPF programs attached to it (bpf.rs) and the cgroup files systemd wrote.
//! Anything the profile asked for that is not there stops the launch.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::{sysconf, SysconfVar};
use zvariant::OwnedValue;

use crate::bpf;
use crate::bus::{self, Connection, Kind, Peer};
use crate::error::{Error, Result};
use crate::profile::cpu_set::CpuSet;
use crate::profile::devices::DevicePolicy;
use crate::profile::io::IoLimitKind;
use crate::profile::{Limit, Policy, Profile, Setting};
use crate::scope::{MANAGER, MANAGER_PATH, SYSTEMD};

/// One BPF program systemd attaches for a setting, by attach type and by the name it
/// gives the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub setting: String,
    pub attach_type: u32,
    pub name: &'static str,
    /// Built from systemd's libbpf skeletons: only with BPF_FRAMEWORK.
    pub needs_bpf_framework: bool,
}

/// The programs `policy` needs on the scope's own cgroup.
pub fn programs(policy: &Policy) -> Vec<Program> {
    // The keys the profile used, for the refusal message.
    let keys = |pairs: [(&str, bool); 2]| {
        let used: Vec<&str> = pairs.iter().filter(|(_, u)| *u).map(|(k, _)| *k).collect();
        used.join("/")
    };
    let mut programs = Vec::new();
    let mut add = |setting: String, pairs: &[(u32, &'static str)], needs_bpf_framework| {
        for &(attach_type, name) in pairs {
            programs.push(Program {
                setting: setting.clone(),
                attach_type,
                name,
                needs_bpf_framework,
            });
        }
    };
    if policy.has_ip_firewall() {
        add(
            keys([
                ("IPAddressAllow", !policy.ip_allow.is_empty()),
                ("IPAddressDeny", !policy.ip_deny.is_empty()),
            ]),
            &[
                (bpf::CGROUP_INET_INGRESS, "sd_fw_ingress"),
                (bpf::CGROUP_INET_EGRESS, "sd_fw_egress"),
            ],
            false,
        );
    }
    if policy.interfaces.is_some() {
        add(
            "RestrictNetworkInterfaces".into(),
            &[
                (bpf::CGROUP_INET_INGRESS, "sd_restrictif_i"),
                (bpf::CGROUP_INET_EGRESS, "sd_restrictif_e"),
            ],
            true,
        );
    }
    if policy.has_socket_bind() {
        add(
            keys([
                ("SocketBindAllow", !policy.bind_allow.is_empty()),
                ("SocketBindDeny", !policy.bind_deny.is_empty()),
            ]),
            &[
                (bpf::CGROUP_INET4_BIND, "sd_bind4"),
                (bpf::CGROUP_INET6_BIND, "sd_bind6"),
            ],
            true,
        );
    }
    if policy.has_device_policy() {
        add(
            keys([
                ("DevicePolicy", policy.device_policy != DevicePolicy::Auto),
                ("DeviceAllow", !policy.device_allow.is_empty()),
            ]),
            &[(bpf::CGROUP_DEVICE, "sd_devices")],
            false,
        );
    }
    programs
}

/// What this machine can enforce, as far as ssc can tell without starting anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    /// systemd's build has BPF_FRAMEWORK; None if systemd could not be asked.
    pub bpf_framework: Option<bool>,
    /// The controllers the kernel offers at the cgroup root.
    pub controllers: BTreeSet<String>,
    /// systemd-oomd is installed.
    pub oomd: bool,
}

impl Support {
    /// Reads the cgroup root and, only if one of `settings` depends on it, asks systemd
    /// over the system bus, without privileges, how it was built: shell completion runs
    /// --list-profiles at every Tab.
    pub fn probe<'a>(settings: impl IntoIterator<Item = &'a Setting>) -> Support {
        let controllers = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(String::from)
            .collect();
        let ask = settings.into_iter().any(|s| {
            matches!(
                s,
                Setting::RestrictNetworkInterfaces(_)
                    | Setting::SocketBindAllow(_)
                    | Setting::SocketBindDeny(_)
            )
        });
        Support {
            bpf_framework: match ask {
                true => systemd_features().map(|f| f.contains("+BPF_FRAMEWORK")),
                false => None,
            },
            controllers,
            oomd: Path::new(OOMD).exists(),
        }
    }

    /// Why `setting` cannot be enforced here; None if it can, as far as ssc can tell.
    pub fn unenforceable(&self, setting: &Setting) -> Option<String> {
        let controller = |c: &str| {
            (!self.controllers.contains(c))
                .then(|| format!("the kernel offers no {c} cgroup controller"))
        };
        match setting {
            Setting::RestrictNetworkInterfaces(_)
            | Setting::SocketBindAllow(_)
            | Setting::SocketBindDeny(_) => match self.bpf_framework {
                Some(true) => None,
                Some(false) => Some(NO_BPF_FRAMEWORK.into()),
                None => {
                    Some("systemd could not be asked whether it was built with BPF support".into())
                }
            },
            Setting::IOLimit(..) => controller("io"),
            Setting::AllowedCPUs(_) => controller("cpuset"),
            Setting::MemoryLow(_) | Setting::MemoryMin(_) => controller("memory"),
            Setting::ManagedOOMMemoryPressure(_)
            | Setting::ManagedOOMMemoryPressureLimit(_)
            | Setting::ManagedOOMPreference(_) => {
                (!self.oomd).then(|| format!("systemd-oomd is not installed ({OOMD})"))
            }
            _ => None,
        }
    }
}

const NO_BPF_FRAMEWORK: &str = "this systemd was built without BPF support";
const OOMD: &str = "/usr/lib/systemd/systemd-oomd";

/// The Manager's Features property, e.g. "+PAM … -BPF_FRAMEWORK …".
fn systemd_features() -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let socket = bus::connect(bus::SYSTEM_BUS, deadline).ok()?;
    let mut conn = Connection::open(socket, Peer::Bus, nix::unistd::geteuid(), deadline).ok()?;
    let reply = conn.call(
        Some(SYSTEMD),
        MANAGER_PATH,
        "org.freedesktop.DBus.Properties",
        "Get",
        &(MANAGER, "Features"),
    );
    conn.close();
    let reply = reply.ok().filter(|r| r.kind != Kind::Error)?;
    let (value,): (OwnedValue,) = reply.body().ok()?;
    String::try_from(value).ok()
}

/// What a profile needs in force on this process's own scope cgroup.
pub struct Expected {
    cgroup: PathBuf,
    policy: Policy,
    programs: Vec<Program>,
    /// The cgroup directory, opened with the caller's credentials if any program is needed.
    dir: Option<OwnedFd>,
}

/// Attach type → the names of the programs attached to the cgroup itself.
pub type Attached = BTreeMap<u32, Vec<String>>;

impl Expected {
    pub fn new(profile: &Profile, cgroup: PathBuf) -> Result<Expected> {
        let policy = profile.policy();
        let programs = programs(&policy);
        let dir = match programs.is_empty() {
            true => None,
            false => Some(
                open(
                    &cgroup,
                    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )
                .map_err(|e| Error::sys(cgroup.display().to_string(), e))?,
            ),
        };
        Ok(Expected {
            cgroup,
            policy,
            programs,
            dir,
        })
    }

    /// Whether any BPF program is expected, and so `query` must run.
    pub fn needs_query(&self) -> bool {
        self.dir.is_some()
    }

    /// The BPF programs on the cgroup, for each attach type needed. The kernel answers
    /// root only.
    pub fn query(&self) -> Result<Attached> {
        let Some(dir) = &self.dir else {
            return Ok(Attached::new());
        };
        let types: BTreeSet<u32> = self.programs.iter().map(|p| p.attach_type).collect();
        types
            .into_iter()
            .map(|t| {
                bpf::attached_programs(dir.as_fd(), t)
                    .map(|names| (t, names))
                    .map_err(|e| Error::sys("BPF_PROG_QUERY on the scope's cgroup", e))
            })
            .collect()
    }

    /// Refuses the launch, naming the setting, if anything asked for is not in force.
    pub fn check(&self, attached: &Attached) -> Result<()> {
        let missing = self.programs.iter().find(|p| {
            !attached
                .get(&p.attach_type)
                .is_some_and(|names| names.iter().any(|n| n == p.name))
        });
        if let Some(p) = missing {
            let why = match p.needs_bpf_framework
                && systemd_features().is_some_and(|f| f.contains("-BPF_FRAMEWORK"))
            {
                true => NO_BPF_FRAMEWORK.to_string(),
                false => format!(
                    "systemd did not attach its {} program to {} (its journal may say why)",
                    p.name,
                    self.cgroup.display()
                ),
            };
            return Err(not_in_force(&p.setting, &why));
        }
        let oom = self.policy.oom_mode.is_some()
            || self.policy.oom_limit.is_some()
            || self.policy.oom_preference.is_some();
        if oom && !Path::new(OOMD).exists() {
            return Err(not_in_force(
                "ManagedOOM settings",
                &format!("only systemd-oomd acts on them, and it is not installed ({OOMD})"),
            ));
        }
        check_files(&self.policy, &self.cgroup)
    }
}

/// The check as --dry-run shows it, and what this machine cannot enforce.
pub fn describe(profile: &Profile, support: &Support) -> Vec<String> {
    let policy = profile.policy();
    let mut lines = Vec::new();
    for p in programs(&policy) {
        lines.push(format!(
            "enforced or refused: {}: BPF program {} ({}) attached to the scope's cgroup \
             (BPF_PROG_QUERY, as root)",
            p.setting,
            p.name,
            attach_type_name(p.attach_type)
        ));
    }
    for (present, what) in [
        (
            !policy.io.is_empty(),
            "IO limits: the disk's line in io.max",
        ),
        (
            policy.allowed_cpus.is_some(),
            "AllowedCPUs: cpuset.cpus and cpuset.cpus.effective",
        ),
        (policy.memory_low.is_some(), "MemoryLow: memory.low"),
        (policy.memory_min.is_some(), "MemoryMin: memory.min"),
    ] {
        if present {
            lines.push(format!("enforced or refused: {what} of the scope's cgroup"));
        }
    }
    for s in &profile.settings {
        if let Some(why) = support.unenforceable(s) {
            lines.push(format!(
                "CANNOT BE ENFORCED HERE: {s}: {why}; a launch is refused (125)"
            ));
        }
    }
    lines
}

fn attach_type_name(t: u32) -> &'static str {
    match t {
        bpf::CGROUP_INET_INGRESS => "inet ingress",
        bpf::CGROUP_INET_EGRESS => "inet egress",
        bpf::CGROUP_DEVICE => "device",
        bpf::CGROUP_INET4_BIND => "inet4 bind",
        bpf::CGROUP_INET6_BIND => "inet6 bind",
        _ => "other",
    }
}

fn not_in_force(setting: &str, why: &str) -> Error {
    Error::Refused(format!(
        "{setting}: {why}; refusing to run the command without it"
    ))
}

/// io.max, cpuset.cpus and memory.low/min: what systemd wrote for the rest.
fn check_files(policy: &Policy, cgroup: &Path) -> Result<()> {
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

/// MAJ:MIN of the disk whose io.max line limits `path`, found as systemd's
/// lookup_block_device finds it: the node itself if it is a block device, else the device
/// of the file system; then down through device-mapper layers with a single backing
/// device (LUKS, a one-disk LVM), and from a partition to its disk.
fn whole_disk(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    let dev = match meta.file_type().is_block_device() {
        true => meta.rdev(),
        false => meta.dev(),
    };
    let mut sys = PathBuf::from(format!(
        "/sys/dev/block/{}:{}",
        nix::sys::stat::major(dev),
        nix::sys::stat::minor(dev)
    ));
    // block_get_originating, repeated; a stack this deep is not a real one.
    for _ in 0..16 {
        let slaves: Vec<_> = match std::fs::read_dir(sys.join("slaves")) {
            Ok(entries) => entries.collect::<std::io::Result<_>>()?,
            Err(_) => Vec::new(),
        };
        let [only] = slaves.as_slice() else { break };
        let dev = std::fs::read_to_string(only.path().join("dev"))?;
        sys = PathBuf::from(format!("/sys/dev/block/{}", dev.trim()));
    }
    let disk = match sys.join("partition").exists() {
        true => std::fs::read_to_string(sys.join("../dev"))?,
        false => std::fs::read_to_string(sys.join("dev"))?,
    };
    Ok(disk.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse;

    fn profile(body: &str) -> Profile {
        let text = format!("[Profile]\n{body}\n");
        parse("t", Path::new("/etc/ssc/profiles.d/t.conf"), &text).unwrap()
    }

    #[test]
    fn each_bpf_setting_names_its_programs() {
        let names = |body: &str| -> Vec<(String, u32, &str)> {
            programs(&profile(body).policy())
                .into_iter()
                .map(|p| (p.setting, p.attach_type, p.name))
                .collect()
        };
        let s = String::from;
        assert_eq!(
            names("IPAddressDeny=any"),
            [
                (s("IPAddressDeny"), 0, "sd_fw_ingress"),
                (s("IPAddressDeny"), 1, "sd_fw_egress")
            ]
        );
        assert_eq!(
            names("RestrictNetworkInterfaces=lo wg0"),
            [
                (s("RestrictNetworkInterfaces"), 0, "sd_restrictif_i"),
                (s("RestrictNetworkInterfaces"), 1, "sd_restrictif_e")
            ]
        );
        assert_eq!(
            names("SocketBindDeny=any\nSocketBindAllow=tcp:80")[1].0,
            "SocketBindAllow/SocketBindDeny"
        );
        assert_eq!(
            names("DevicePolicy=closed"),
            [(s("DevicePolicy"), 6, "sd_devices")]
        );
        assert_eq!(names("DeviceAllow=/dev/null r")[0].0, "DeviceAllow");
        assert!(names("DevicePolicy=auto\nMemoryMax=1G\nIPAddressDeny=").is_empty());
    }

    #[test]
    fn support_marks_what_cannot_be_enforced() {
        let none = Support {
            bpf_framework: Some(false),
            controllers: BTreeSet::new(),
            oomd: false,
        };
        let p = profile(
            "RestrictNetworkInterfaces=lo\nIPAddressDeny=any\nAllowedCPUs=0\nManagedOOMPreference=avoid",
        );
        let why: Vec<Option<String>> = p.settings.iter().map(|s| none.unenforceable(s)).collect();
        assert_eq!(why[0].as_deref(), Some(NO_BPF_FRAMEWORK));
        assert_eq!(why[1], None);
        assert!(why[2].as_deref().unwrap().contains("cpuset"));
        assert!(why[3].as_deref().unwrap().contains("systemd-oomd"));
        let all = Support {
            bpf_framework: Some(true),
            controllers: ["cpuset", "io", "memory"].map(String::from).into(),
            oomd: true,
        };
        assert!(p.settings.iter().all(|s| all.unenforceable(s).is_none()));
    }

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
