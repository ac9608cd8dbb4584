//! A profile's network, device, I/O, CPU and memory-protection settings as systemd holds
//! them once it has merged the profile's lines, one StartTransientUnit property each, in
//! the order written (src/core/dbus-cgroup.c). What ssc checks after the job, what
//! --status and --list-profiles show, and what a launch from inside a scope may not loosen
//! are all worked out from this.

use std::collections::{BTreeMap, BTreeSet};

use super::cpu_set::CpuSet;
use super::devices::DevicePolicy;
use super::io::IoLimitKind;
use super::managed_oom::{ManagedOOMMode, ManagedOOMPreference};
use super::network::{IpPrefix, SocketBind, AF_INET, AF_INET6};
use super::{Limit, Profile, Setting};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub ip_allow: BTreeSet<IpPrefix>,
    pub ip_deny: BTreeSet<IpPrefix>,
    /// (allow list?, names); None if unrestricted.
    pub interfaces: Option<(bool, BTreeSet<String>)>,
    pub bind_allow: BTreeSet<SocketBind>,
    pub bind_deny: BTreeSet<SocketBind>,
    pub device_policy: DevicePolicy,
    /// Path or group → access; a later entry for the same path replaces the earlier one.
    pub device_allow: BTreeMap<String, String>,
    /// Path → the four limits in IoLimitKind::ALL order, u64::MAX where unlimited.
    pub io: BTreeMap<String, [u64; 4]>,
    pub allowed_cpus: Option<CpuSet>,
    pub memory_low: Option<Limit>,
    pub memory_min: Option<Limit>,
    pub oom_mode: Option<ManagedOOMMode>,
    pub oom_limit: Option<u32>,
    pub oom_preference: Option<ManagedOOMPreference>,
    pub runtime_max_usec: Option<u64>,
}

impl Policy {
    pub fn of(profile: &Profile) -> Policy {
        let mut p = Policy::default();
        for s in &profile.settings {
            match s {
                Setting::IPAddressAllow(a) | Setting::IPAddressDeny(a) => {
                    let list = match s {
                        Setting::IPAddressAllow(_) => &mut p.ip_allow,
                        _ => &mut p.ip_deny,
                    };
                    match a.prefixes.is_empty() {
                        true => list.clear(),
                        false => list.extend(a.prefixes.iter().copied()),
                    }
                }
                Setting::RestrictNetworkInterfaces(i) => {
                    if i.names.is_empty() {
                        p.interfaces = None;
                        continue;
                    }
                    let (allow, set) = p.interfaces.get_or_insert((i.allow, BTreeSet::new()));
                    if set.is_empty() {
                        *allow = i.allow;
                    }
                    for n in &i.names {
                        match *allow == i.allow {
                            true => set.insert(n.clone()),
                            false => set.remove(n),
                        };
                    }
                    if set.is_empty() {
                        p.interfaces = None;
                    }
                }
                Setting::SocketBindAllow(b) | Setting::SocketBindDeny(b) => {
                    let list = match s {
                        Setting::SocketBindAllow(_) => &mut p.bind_allow,
                        _ => &mut p.bind_deny,
                    };
                    match b {
                        None => list.clear(),
                        Some(b) => {
                            list.insert(*b);
                        }
                    }
                }
                Setting::DeviceAllow(d) => match d {
                    None => p.device_allow.clear(),
                    Some(d) => {
                        p.device_allow.insert(d.path.clone(), d.access.clone());
                    }
                },
                Setting::IOLimit(kind, l) => {
                    let i = kind.index();
                    match l {
                        None => p.io.values_mut().for_each(|limits| limits[i] = u64::MAX),
                        Some(l) => p.io.entry(l.path.clone()).or_insert([u64::MAX; 4])[i] = l.limit,
                    }
                    p.io.retain(|_, limits| limits.iter().any(|&l| l != u64::MAX));
                }
                Setting::DevicePolicy(d) => p.device_policy = *d,
                Setting::AllowedCPUs(c) => {
                    p.allowed_cpus = (!c.0.is_empty()).then(|| c.clone());
                }
                Setting::MemoryLow(l) => p.memory_low = Some(*l),
                Setting::MemoryMin(l) => p.memory_min = Some(*l),
                Setting::ManagedOOMMemoryPressure(m) => p.oom_mode = Some(*m),
                Setting::ManagedOOMMemoryPressureLimit(l) => p.oom_limit = Some(*l),
                Setting::ManagedOOMPreference(o) => p.oom_preference = Some(*o),
                Setting::RuntimeMaxSec(usec, _) => p.runtime_max_usec = Some(*usec),
                _ => {}
            }
        }
        p
    }

    /// systemd's IP firewall: any allow or deny prefix.
    pub fn has_ip_firewall(&self) -> bool {
        !self.ip_allow.is_empty() || !self.ip_deny.is_empty()
    }

    pub fn has_socket_bind(&self) -> bool {
        !self.bind_allow.is_empty() || !self.bind_deny.is_empty()
    }

    /// systemd's cgroup_context_has_device_policy.
    pub fn has_device_policy(&self) -> bool {
        self.device_policy != DevicePolicy::Auto || !self.device_allow.is_empty()
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

    /// The network and device policy in systemd's syntax, one setting per line, as
    /// --status and --list-profiles show it. Empty: neither is restricted.
    pub fn describe_network_and_devices(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let prefixes = |set: &BTreeSet<IpPrefix>| {
            set.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        if !self.ip_allow.is_empty() {
            lines.push(format!("IPAddressAllow={}", prefixes(&self.ip_allow)));
        }
        if !self.ip_deny.is_empty() {
            lines.push(format!("IPAddressDeny={}", prefixes(&self.ip_deny)));
        }
        if let Some((allow, names)) = &self.interfaces {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let tilde = if *allow { "" } else { "~" };
            lines.push(format!(
                "RestrictNetworkInterfaces={tilde}{}",
                names.join(" ")
            ));
        }
        for (key, set) in [
            ("SocketBindAllow", &self.bind_allow),
            ("SocketBindDeny", &self.bind_deny),
        ] {
            if !set.is_empty() {
                let rules: Vec<String> = set.iter().map(|b| b.to_string()).collect();
                lines.push(format!("{key}={}", rules.join(" ")));
            }
        }
        if self.has_device_policy() {
            lines.push(format!("DevicePolicy={}", self.device_policy.as_str()));
            for (path, access) in &self.device_allow {
                lines.push(
                    format!("DeviceAllow={path} {access}")
                        .trim_end()
                        .to_string(),
                );
            }
        }
        lines
    }

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
        if self.oom_preference.unwrap_or(ManagedOOMPreference::None)
            > origin.oom_preference.unwrap_or(ManagedOOMPreference::None)
        {
            return Some("ManagedOOMPreference is looser than the scope's".into());
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{built_in, parse};
    use std::path::Path;

    fn policy(body: &str) -> Policy {
        let text = format!("[Profile]\n{body}\n");
        Policy::of(&parse("t", Path::new("/etc/ssc/profiles.d/t.conf"), &text).unwrap())
    }

    #[test]
    fn lists_accumulate_and_empty_resets() {
        let p = policy("IPAddressDeny=10.0.0.0/8\nIPAddressDeny=any\nIPAddressAllow=localhost\nIPAddressAllow=\nIPAddressAllow=192.168.0.0/16");
        assert_eq!(p.ip_deny.len(), 3);
        assert_eq!(p.ip_allow.len(), 1);
        let p = policy("DeviceAllow=/dev/null r\nDeviceAllow=/dev/null rw\nDeviceAllow=char-drm");
        assert_eq!(
            p.device_allow.get("/dev/null").map(String::as_str),
            Some("rw")
        );
        assert_eq!(p.device_allow.len(), 2);
        assert!(p.has_device_policy());
        let p = policy(
            "IOWriteBandwidthMax=/dev/vda 1M\nIOReadIOPSMax=/dev/vda 100\nIOWriteBandwidthMax=",
        );
        assert_eq!(
            p.io.get("/dev/vda"),
            Some(&[u64::MAX, u64::MAX, 100, u64::MAX])
        );
        let p = policy("SocketBindDeny=any\nSocketBindAllow=tcp:8080\nSocketBindDeny=");
        assert!(p.bind_deny.is_empty() && p.bind_allow.len() == 1);
    }

    #[test]
    fn interfaces_merge_as_systemd_does() {
        let names = |p: &Policy| {
            p.interfaces
                .as_ref()
                .map(|(a, n)| (*a, n.iter().cloned().collect::<Vec<_>>()))
        };
        let p = policy("RestrictNetworkInterfaces=lo wg0\nRestrictNetworkInterfaces=~wg0");
        assert_eq!(names(&p), Some((true, vec!["lo".to_string()])));
        let p = policy("RestrictNetworkInterfaces=~eth0\nRestrictNetworkInterfaces=eth1");
        assert_eq!(names(&p), Some((false, vec!["eth0".to_string()])));
        let p = policy("RestrictNetworkInterfaces=lo\nRestrictNetworkInterfaces=");
        assert_eq!(names(&p), None);
        let p = policy("RestrictNetworkInterfaces=lo\nRestrictNetworkInterfaces=~lo");
        assert_eq!(names(&p), None);
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
}
