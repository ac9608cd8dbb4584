//! Enforced or refused. On a scope, systemd applies every BPF-based setting best-effort:
//! if the kernel or systemd's build cannot do it, the scope starts anyway and the property
//! reads back as set. So after the job and before exec, ssc looks at its own scope's
//! cgroup: the BPF programs attached to it (bpf.rs) and the cgroup files systemd wrote
//! (cgroup_files.rs). Anything the profile asked for that is not there stops the launch.
//! What this machine cannot enforce at all, --dry-run and --list-profiles say beforehand
//! (support.rs).

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;

use crate::bpf;
use crate::error::{Error, Result};
use crate::profile::devices::DevicePolicy;
use crate::profile::{Policy, Profile};

mod block_device;
mod cgroup_files;
mod support;

use cgroup_files::check_files;
pub use support::Support;
use support::{systemd_features, NO_BPF_FRAMEWORK, OOMD};

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
}
