//! What this machine can enforce, as far as ssc can tell before it starts anything: the
//! cgroup controllers the kernel offers, whether systemd was built with BPF_FRAMEWORK, and
//! whether systemd-oomd is installed. --dry-run and --list-profiles show it; the check
//! after the job (mod.rs) names the missing BPF_FRAMEWORK when a program is absent.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use zvariant::OwnedValue;

use crate::bus::{self, Connection, Kind, Peer};
use crate::profile::Setting;
use crate::scope::{MANAGER, MANAGER_PATH, SYSTEMD};

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

pub(super) const NO_BPF_FRAMEWORK: &str = "this systemd was built without BPF support";
pub(super) const OOMD: &str = "/usr/lib/systemd/systemd-oomd";

/// The Manager's Features property, e.g. "+PAM … -BPF_FRAMEWORK …".
pub(super) fn systemd_features() -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{parse, Profile};

    fn profile(body: &str) -> Profile {
        let text = format!("[Profile]\n{body}\n");
        parse("t", Path::new("/etc/ssc/profiles.d/t.conf"), &text).unwrap()
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
}
