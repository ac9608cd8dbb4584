//! What a launch from inside an ssc scope may not loosen (origin.rs refuses it). Every
//! rule that orders a key's values from tight to loose is here, and only here: a key that
//! could loosen a scope gets its rule here when it joins `KEYS`. A yes/no key whose yes is
//! the tighter is an entry in `SWITCHES`, a key whose values are ordered an entry in
//! `ORDERED`; anything else is a check in `Profile::loosens` or `Policy::loosens`.
//! (RuntimeMaxSec's deadline, which counts from the outer scope's start, is origin.rs's.)

use super::devices::DevicePolicy;
use super::file_system::FileSystem;
use super::io::IoLimitKind;
use super::managed_oom::ManagedOOMMode;
use super::network::{IpPrefix, AF_INET, AF_INET6};
use super::{Limit, Policy, Profile, Setting};
use crate::sandbox::paths::{ProtectHome, ProtectSystem};

/// A yes/no key whose yes is the tighter: from a scope with yes, no launch with no.
type Switch = (&'static str, fn(&Profile) -> bool);

const SWITCHES: &[Switch] = &[
    ("PrivateTmp", Profile::private_tmp),
    ("NoNewPrivileges", Profile::no_new_privileges),
];

/// A key whose values its type orders from tight to loose: whether the new policy's value
/// is looser than the scope's.
type Ordered = (&'static str, fn(new: &Policy, old: &Policy) -> bool);

const ORDERED: &[Ordered] = &[("ManagedOOMPreference", |new, old| {
    after(new.oom_preference, old.oom_preference)
})];

/// Whether `new` comes after `old` in their type's order; unset is systemd's default.
fn after<T: Ord + Default>(new: Option<T>, old: Option<T>) -> bool {
    new.unwrap_or_default() > old.unwrap_or_default()
}

impl Profile {
    /// Why this profile, started from inside a scope of `origin`, would loosen one of
    /// origin's limits; None if every setting is at least as tight. `ram` and `tasks` turn
    /// percentages into numbers, as systemd does. A missing limit is no limit, a missing
    /// weight is systemd's default, 100, and a missing or 0% ManagedOOMMemoryPressureLimit
    /// is systemd-oomd's default, `oomd_limit` (oomd.rs).
    pub fn loosens(
        &self,
        origin: &Profile,
        ram: u64,
        tasks: u64,
        oomd_limit: u32,
    ) -> Option<String> {
        let limit = |p: &Profile, key: &str, total: u64| {
            p.settings.iter().find_map(|s| match s {
                Setting::MemoryMax(l)
                | Setting::MemoryHigh(l)
                | Setting::MemorySwapMax(l)
                | Setting::TasksMax(l)
                    if s.key() == key =>
                {
                    Some(match *l {
                        Limit::Absolute(n) => n,
                        Limit::Permyriad(pm) => {
                            (u128::from(total) * u128::from(pm) / 10_000) as u64
                        }
                        Limit::Infinity => u64::MAX,
                    })
                }
                Setting::CPUQuota(q) if key == "CPUQuota" => Some(*q),
                Setting::CPUWeight(w) if key == "CPUWeight" => Some(*w),
                Setting::IOWeight(w) if key == "IOWeight" => Some(*w),
                _ => None,
            })
        };
        let shown = |p: &Profile, key: &str| {
            p.settings
                .iter()
                .find(|s| s.key() == key)
                .map_or_else(|| format!("{key} unset"), |s| s.to_string())
        };
        for (key, total, unset) in [
            ("MemoryMax", ram, u64::MAX),
            ("MemoryHigh", ram, u64::MAX),
            ("MemorySwapMax", ram, u64::MAX),
            ("TasksMax", tasks, u64::MAX),
            ("CPUQuota", 0, u64::MAX),
            ("CPUWeight", 0, 100),
            ("IOWeight", 0, 100),
        ] {
            let new = limit(self, key, total).unwrap_or(unset);
            let old = limit(origin, key, total).unwrap_or(unset);
            if new > old {
                return Some(format!(
                    "{} is looser than {}",
                    shown(self, key),
                    shown(origin, key)
                ));
            }
        }
        // Before the switches: a file-system key implies NoNewPrivileges, and is the
        // better reason to give.
        if let Some(why) = self.file_system_loosens(origin) {
            return Some(why);
        }
        for (key, tight) in SWITCHES {
            if tight(origin) && !tight(self) {
                return Some(format!("{key}=no is looser than {key}=yes"));
            }
        }
        self.policy().loosens(&origin.policy(), ram, oomd_limit)
    }

    /// ProtectSystem and ProtectHome by how much they hide; and from a scope with any
    /// file-system key, the path lists must be the scope's, as a network policy must: one
    /// ReadWritePaths= more is looser. (Such a scope also has NoNewPrivileges, under which
    /// ssc's set-user-ID bit does nothing: the launch fails anyway, this says why.)
    fn file_system_loosens(&self, origin: &Profile) -> Option<String> {
        let rank = |p: &Profile, key: &str| {
            p.settings.iter().rev().find_map(|s| match s {
                Setting::FileSystem(FileSystem::ProtectSystem(v), _) if key == "ProtectSystem" => {
                    Some((
                        ProtectSystem::ALL.iter().position(|x| x == v)?,
                        v.to_string(),
                    ))
                }
                Setting::FileSystem(FileSystem::ProtectHome(v), _) if key == "ProtectHome" => {
                    Some((ProtectHome::ALL.iter().position(|x| x == v)?, v.to_string()))
                }
                _ => None,
            })
        };
        for key in ["ProtectSystem", "ProtectHome"] {
            let new = rank(self, key).unwrap_or((0, "no".into()));
            let old = rank(origin, key).unwrap_or((0, "no".into()));
            if new.0 < old.0 {
                return Some(format!("{key}={} is looser than {key}={}", new.1, old.1));
            }
        }
        let lists = |p: &Profile| -> Vec<FileSystem> {
            p.settings
                .iter()
                .filter_map(|s| match s {
                    Setting::FileSystem(f, _) if f.is_list() => Some(f.clone()),
                    _ => None,
                })
                .collect()
        };
        let shown = |l: Vec<FileSystem>| match l.is_empty() {
            true => "none".to_string(),
            false => l
                .iter()
                .map(|f| format!("{}={f}", f.key()))
                .collect::<Vec<_>>()
                .join(" "),
        };
        let (new, old) = (lists(self), lists(origin));
        (origin.protects_file_system() && new != old).then(|| {
            format!(
                "its file-system paths ({}) differ from the scope's ({})",
                shown(new),
                shown(old)
            )
        })
    }
}

impl Policy {
    /// Why this policy, launched from inside a scope of `origin`, would loosen it. The new
    /// scope is not below the old one, so the old one's filters do not reach it: a network
    /// or device policy must be the same, or the tightest there is. `oomd_limit` is what
    /// systemd-oomd applies for a ManagedOOMMemoryPressureLimit that is unset or 0%.
    pub fn loosens(&self, origin: &Policy, ram: u64, oomd_limit: u32) -> Option<String> {
        if origin.has_network_policy()
            && !self.denies_all_ip()
            && (self.ip_allow != origin.ip_allow
                || self.ip_deny != origin.ip_deny
                || self.interfaces != origin.interfaces
                || self.bind_allow != origin.bind_allow
                || self.bind_deny != origin.bind_deny)
        {
            return Some(format!(
                "its network policy differs from {}",
                origin.describe_network_and_devices().join(", ")
            ));
        }
        let no_devices = self.device_policy == DevicePolicy::Strict && self.device_allow.is_empty();
        if origin.has_device_policy()
            && !no_devices
            && (self.device_policy != origin.device_policy
                || self.device_allow != origin.device_allow)
        {
            return Some("its device policy differs from the scope's".into());
        }
        for (path, old) in &origin.io {
            let new = self.io.get(path).copied().unwrap_or([u64::MAX; 4]);
            for (i, kind) in IoLimitKind::ALL.iter().enumerate() {
                if new[i] > old[i] {
                    return Some(format!("{} for {path} is looser", kind.key()));
                }
            }
        }
        if let Some(old) = &origin.allowed_cpus {
            match &self.allowed_cpus {
                Some(new) if new.0.is_subset(&old.0) => {}
                _ => return Some(format!("AllowedCPUs is wider than {old}")),
            }
        }
        // Protection taken from everyone else: more is looser.
        let bytes = |l: Option<Limit>| match l {
            None => 0,
            Some(Limit::Absolute(n)) => n,
            Some(Limit::Permyriad(p)) => (u128::from(ram) * u128::from(p) / 10_000) as u64,
            Some(Limit::Infinity) => u64::MAX,
        };
        for (key, new, old) in [
            ("MemoryLow", self.memory_low, origin.memory_low),
            ("MemoryMin", self.memory_min, origin.memory_min),
        ] {
            if bytes(new) > bytes(old) {
                return Some(format!("{key} is higher than the scope's"));
            }
        }
        for (key, looser) in ORDERED {
            if looser(self, origin) {
                return Some(format!("{key} is looser than the scope's"));
            }
        }
        // systemd-oomd kills above the limit: higher is looser. It takes 0 as "my default".
        let pressure = |l: Option<u32>| match l {
            None | Some(0) => oomd_limit,
            Some(p) => p,
        };
        if origin.oom_mode == Some(ManagedOOMMode::Kill)
            && (self.oom_mode != Some(ManagedOOMMode::Kill)
                || pressure(self.oom_limit) > pressure(origin.oom_limit))
        {
            return Some("ManagedOOMMemoryPressure is looser than the scope's".into());
        }
        if self.runtime_max_usec.unwrap_or(u64::MAX) > origin.runtime_max_usec.unwrap_or(u64::MAX) {
            return Some("RuntimeMaxSec is longer than the scope's".into());
        }
        None
    }

    fn has_network_policy(&self) -> bool {
        self.has_ip_firewall() || self.interfaces.is_some() || self.has_socket_bind()
    }

    /// No IPv4 or IPv6 traffic at all: nothing could be tighter.
    fn denies_all_ip(&self) -> bool {
        let any = |family| IpPrefix {
            family,
            address: [0; 16],
            prefix_len: 0,
        };
        self.ip_allow.is_empty()
            && self.ip_deny.contains(&any(AF_INET))
            && self.ip_deny.contains(&any(AF_INET6))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use crate::profile::{built_in, parse};
    use std::path::Path;

    fn p(text: &str) -> Result<Profile> {
        parse("web", Path::new("/etc/ssc/profiles.d/web.conf"), text)
    }

    fn policy(body: &str) -> Policy {
        let text = format!("[Profile]\n{body}\n");
        Policy::of(&parse("t", Path::new("/etc/ssc/profiles.d/t.conf"), &text).unwrap())
    }

    #[test]
    fn a_launch_may_tighten_but_not_loosen() {
        const RAM: u64 = 8 << 30;
        const TASKS: u64 = 4_194_304;
        const OOMD: u32 = crate::oomd::BUILT_IN;
        let strict = built_in("strict", 4).unwrap();
        let relaxed = built_in("relaxed", 4).unwrap();
        // From a relaxed terminal, strict is tighter; the same profile again is equal.
        assert_eq!(strict.loosens(&relaxed, RAM, TASKS, OOMD), None);
        assert_eq!(relaxed.loosens(&relaxed, RAM, TASKS, OOMD), None);
        assert_eq!(strict.loosens(&strict, RAM, TASKS, OOMD), None);
        // From strict, relaxed drops CPUQuota, PrivateTmp and NoNewPrivileges.
        let why = relaxed.loosens(&strict, RAM, TASKS, OOMD).unwrap();
        assert!(
            why.contains("CPUQuota unset is looser than CPUQuota=300%"),
            "{why}"
        );
        let cases = [
            (
                "MemoryMax=100%",
                "[Profile]\nMemoryMax=70%\n",
                "MemoryMax=100%",
            ),
            (
                "MemoryMax=6G",
                "[Profile]\nMemoryMax=5G\n",
                "MemoryMax=6442450944",
            ),
            ("TasksMax=100", "[Profile]\nTasksMax=50\n", "TasksMax=100"),
            ("CPUWeight=200", "[Profile]\n", "CPUWeight=200"),
            ("IOWeight=101", "[Profile]\nIOWeight=100\n", "IOWeight=101"),
            (
                "MemoryHigh=infinity",
                "[Profile]\nMemoryHigh=1G\n",
                "MemoryHigh=infinity",
            ),
            (
                "PrivateTmp=no",
                "[Profile]\nPrivateTmp=yes\n",
                "PrivateTmp=no",
            ),
        ];
        for (new, origin, want) in cases {
            let new = p(&format!("[Profile]\n{new}\n")).unwrap();
            let origin = p(origin).unwrap();
            let why = new.loosens(&origin, RAM, TASKS, OOMD).expect(want);
            assert!(why.starts_with(want), "{why}");
        }
        // 70% of 8 GiB is 5.6 GiB: 5G is tighter, 6G looser.
        let pct = p("[Profile]\nMemoryMax=70%\n").unwrap();
        assert_eq!(
            p("[Profile]\nMemoryMax=5G\n")
                .unwrap()
                .loosens(&pct, RAM, TASKS, OOMD),
            None
        );
        assert!(p("[Profile]\nMemoryMax=6G\n")
            .unwrap()
            .loosens(&pct, RAM, TASKS, OOMD)
            .is_some());
    }

    #[test]
    fn network_and_device_policies_may_only_tighten() {
        const RAM: u64 = 8 << 30;
        const OOMD: u32 = crate::oomd::BUILT_IN;
        let offline = Policy::of(&built_in("offline", 2).unwrap());
        let strict = Policy::of(&built_in("strict", 2).unwrap());
        let lan = policy("IPAddressDeny=any\nIPAddressAllow=10.0.0.0/8");
        assert_eq!(offline.loosens(&strict, RAM, OOMD), None);
        assert_eq!(offline.loosens(&lan, RAM, OOMD), None);
        assert_eq!(lan.loosens(&lan, RAM, OOMD), None);
        assert!(lan
            .loosens(&offline, RAM, OOMD)
            .unwrap()
            .contains("network policy"));
        assert!(strict
            .loosens(&offline, RAM, OOMD)
            .unwrap()
            .contains("IPAddressDeny"));
        let vpn = policy("RestrictNetworkInterfaces=lo wg0");
        assert!(strict.loosens(&vpn, RAM, OOMD).is_some());
        let cam = policy("DevicePolicy=closed\nDeviceAllow=char-drm rw");
        assert!(strict
            .loosens(&cam, RAM, OOMD)
            .unwrap()
            .contains("device policy"));
        assert_eq!(policy("DevicePolicy=strict").loosens(&cam, RAM, OOMD), None);
        let io = policy("IOWriteBandwidthMax=/dev/vda 1M");
        assert!(strict
            .loosens(&io, RAM, OOMD)
            .unwrap()
            .contains("IOWriteBandwidthMax"));
        assert_eq!(
            policy("IOWriteBandwidthMax=/dev/vda 1K").loosens(&io, RAM, OOMD),
            None
        );
        let cpus = policy("AllowedCPUs=0-1");
        assert_eq!(policy("AllowedCPUs=1").loosens(&cpus, RAM, OOMD), None);
        assert!(policy("AllowedCPUs=1-2")
            .loosens(&cpus, RAM, OOMD)
            .is_some());
        assert!(strict.loosens(&cpus, RAM, OOMD).is_some());
        assert!(policy("MemoryMin=1G").loosens(&strict, RAM, OOMD).is_some());
        assert!(policy("ManagedOOMPreference=avoid")
            .loosens(&strict, RAM, OOMD)
            .is_some());
        assert!(policy("RuntimeMaxSec=2h")
            .loosens(&policy("RuntimeMaxSec=1h"), RAM, OOMD)
            .is_some());
        let kill = policy("ManagedOOMMemoryPressure=kill");
        assert!(strict.loosens(&kill, RAM, OOMD).is_some());
    }

    /// systemd-oomd reads a unit's limit of 0 (unset, or 0%) as its own default.
    #[test]
    fn an_unset_or_zero_pressure_limit_is_oomds_default() {
        const RAM: u64 = 8 << 30;
        let kill = |limit: &str| match limit {
            "" => policy("ManagedOOMMemoryPressure=kill"),
            l => policy(&format!(
                "ManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit={l}"
            )),
        };
        let loosens =
            |new: &str, origin: &str, oomd: u32| kill(new).loosens(&kill(origin), RAM, oomd);
        // Unset and 0% are 60% with the built-in default: 70% is looser, 50% is not.
        for unset in ["", "0%"] {
            assert!(loosens("70%", unset, 6_000).is_some(), "{unset}");
            assert_eq!(loosens("50%", unset, 6_000), None, "{unset}");
            assert!(loosens(unset, "50%", 6_000).is_some(), "{unset}");
            assert_eq!(loosens(unset, "70%", 6_000), None, "{unset}");
            // With oomd.conf's DefaultMemoryPressureLimit=80%.
            assert_eq!(loosens("70%", unset, 8_000), None, "{unset}");
            assert!(loosens(unset, "70%", 8_000).is_some(), "{unset}");
        }
        assert_eq!(loosens("", "0%", 6_000), None);
        assert_eq!(loosens("0%", "", 6_000), None);
        assert!(loosens("60.01%", "0%", 6_000).is_some());
    }

    #[test]
    fn file_system_keys_may_only_tighten() {
        let loosens = |origin: &str, new: &str| {
            let (origin, new) = (
                p(&format!("[Profile]\n{origin}\n")),
                p(&format!("[Profile]\n{new}\n")),
            );
            new.unwrap().loosens(&origin.unwrap(), 1 << 30, 1000, 6000)
        };
        let why = loosens("ProtectSystem=strict", "ProtectSystem=full").unwrap();
        assert_eq!(
            why,
            "ProtectSystem=full is looser than ProtectSystem=strict"
        );
        let why = loosens("ProtectHome=yes", "ProtectHome=tmpfs").unwrap();
        assert_eq!(why, "ProtectHome=tmpfs is looser than ProtectHome=yes");
        assert!(loosens("ProtectHome=read-only", "ProtectHome=tmpfs").is_none());
        assert!(loosens("ProtectSystem=yes", "ProtectSystem=strict").is_none());
        // One path more is looser, even under the same ProtectSystem.
        let why = loosens(
            "ProtectSystem=strict",
            "ProtectSystem=strict\nReadWritePaths=/srv",
        )
        .unwrap();
        assert!(
            why.contains("(ReadWritePaths=/srv) differ from the scope's (none)"),
            "{why}"
        );
        assert!(loosens(
            "ProtectSystem=strict\nInaccessiblePaths=%h/.ssh",
            "ProtectSystem=strict\nInaccessiblePaths=%h/.ssh"
        )
        .is_none());
        // From a scope without file-system keys, anything goes, as far as they are concerned.
        assert!(loosens("MemoryMax=1G", "MemoryMax=1G\nBindPaths=/srv").is_none());
        // The reason given is the file system's, not the NoNewPrivileges it implies.
        let why = loosens("ProtectHome=read-only", "").unwrap();
        assert_eq!(why, "ProtectHome=no is looser than ProtectHome=read-only");
    }
}
