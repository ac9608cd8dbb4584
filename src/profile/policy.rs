//! A profile's network, device, I/O, CPU and memory-protection settings as systemd holds
//! them once it has merged the profile's lines, one StartTransientUnit property each, in
//! the order written (src/core/dbus-cgroup.c). What ssc checks after the job, what
//! --status and --list-profiles show, and what a launch from inside a scope may not loosen
//! (loosen.rs) are all worked out from this.

use std::collections::{BTreeMap, BTreeSet};

use super::cpu_set::CpuSet;
use super::devices::DevicePolicy;
use super::managed_oom::{ManagedOOMMode, ManagedOOMPreference};
use super::network::{IpPrefix, SocketBind};
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse;
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
}
