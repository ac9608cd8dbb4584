//! The translation of profile settings into StartTransientUnit properties, as systemd-run
//! makes it: ssc's counterpart of systemd's src/shared/bus-unit-util.c.

use std::fmt;

use crate::profile::{Limit, Profile, Setting};

/// A D-Bus property value for StartTransientUnit, with the type systemd expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusValue {
    Str(String),
    U32(u32),
    U64(u64),
    /// `ay`: AllowedCPUs.
    Bytes(Vec<u8>),
    /// `a(iayu)`: IPAddressAllow/Deny (family, address, prefix length).
    Addresses(Vec<(i32, Vec<u8>, u32)>),
    /// `(bas)`: RestrictNetworkInterfaces (allow list?, names).
    Interfaces(bool, Vec<String>),
    /// `a(iiqq)`: SocketBindAllow/Deny (family, protocol, number of ports, first port).
    SocketBinds(Vec<(i32, i32, u16, u16)>),
    /// `a(ss)`: DeviceAllow (path, access).
    Devices(Vec<(String, String)>),
    /// `a(st)`: IO*Max (path, limit).
    IoLimits(Vec<(String, u64)>),
}

impl fmt::Display for BusValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BusValue::Str(s) => write!(f, "s {s:?}"),
            BusValue::U32(n) => write!(f, "u {n}"),
            BusValue::U64(n) => write!(f, "t {n}"),
            BusValue::Bytes(b) => write!(f, "ay {b:?}"),
            BusValue::Addresses(a) => write!(f, "a(iayu) {a:?}"),
            BusValue::Interfaces(allow, names) => write!(f, "(bas) ({allow}, {names:?})"),
            BusValue::SocketBinds(b) => write!(f, "a(iiqq) {b:?}"),
            BusValue::Devices(d) => write!(f, "a(ss) {d:?}"),
            BusValue::IoLimits(l) => write!(f, "a(st) {l:?}"),
        }
    }
}

/// The cgroup settings as StartTransientUnit properties: (D-Bus name, value, systemd syntax).
pub fn bus_properties(profile: &Profile) -> Vec<(&'static str, BusValue, String)> {
    profile
        .settings
        .iter()
        .filter_map(|s| bus_property(s).map(|(n, v)| (n, v, s.to_string())))
        .collect()
}

/// The translation systemd-run makes (src/shared/bus-unit-util.c). A profile's
/// Description is a note for the administrator, not sent: the unit's own is request.rs's,
/// the profile and the program's name. PrivateTmp, NoNewPrivileges and the file-system
/// keys are not scope properties: ssc builds them itself.
pub fn bus_property(setting: &Setting) -> Option<(&'static str, BusValue)> {
    let limit = |name: &'static str, scale: &'static str, l: &Limit| match *l {
        Limit::Absolute(n) => (name, BusValue::U64(n)),
        Limit::Infinity => (name, BusValue::U64(u64::MAX)),
        Limit::Permyriad(p) => (scale, BusValue::U32(scale_from_permyriad(p))),
    };
    Some(match setting {
        Setting::MemoryMax(l) => limit("MemoryMax", "MemoryMaxScale", l),
        Setting::MemoryHigh(l) => limit("MemoryHigh", "MemoryHighScale", l),
        Setting::MemorySwapMax(l) => limit("MemorySwapMax", "MemorySwapMaxScale", l),
        Setting::MemoryLow(l) => limit("MemoryLow", "MemoryLowScale", l),
        Setting::MemoryMin(l) => limit("MemoryMin", "MemoryMinScale", l),
        Setting::TasksMax(l) => limit("TasksMax", "TasksMaxScale", l),
        Setting::CPUQuota(p) => ("CPUQuotaPerSecUSec", BusValue::U64(p.saturating_mul(100))),
        Setting::CPUWeight(w) => ("CPUWeight", BusValue::U64(*w)),
        Setting::IOWeight(w) => ("IOWeight", BusValue::U64(*w)),
        Setting::AllowedCPUs(c) => ("AllowedCPUs", BusValue::Bytes(c.to_bytes())),
        Setting::IPAddressAllow(a) | Setting::IPAddressDeny(a) => (
            setting.key(),
            BusValue::Addresses(
                a.prefixes
                    .iter()
                    .map(|p| {
                        let bytes = p.address_bytes().to_vec();
                        (p.family, bytes, u32::from(p.prefix_len))
                    })
                    .collect(),
            ),
        ),
        Setting::RestrictNetworkInterfaces(i) => (
            "RestrictNetworkInterfaces",
            BusValue::Interfaces(i.allow, i.names.clone()),
        ),
        Setting::SocketBindAllow(b) | Setting::SocketBindDeny(b) => (
            setting.key(),
            BusValue::SocketBinds(
                b.iter()
                    .map(|b| (b.family, b.protocol, b.nr_ports, b.port_min))
                    .collect(),
            ),
        ),
        Setting::DevicePolicy(p) => ("DevicePolicy", BusValue::Str(p.as_str().into())),
        Setting::DeviceAllow(d) => (
            "DeviceAllow",
            BusValue::Devices(
                d.iter()
                    .map(|d| (d.path.clone(), d.access.clone()))
                    .collect(),
            ),
        ),
        Setting::IOLimit(kind, l) => (
            kind.key(),
            BusValue::IoLimits(l.iter().map(|l| (l.path.clone(), l.limit)).collect()),
        ),
        Setting::ManagedOOMMemoryPressure(m) => {
            ("ManagedOOMMemoryPressure", BusValue::Str(m.as_str().into()))
        }
        Setting::ManagedOOMMemoryPressureLimit(p) => (
            "ManagedOOMMemoryPressureLimit",
            BusValue::U32(scale_from_permyriad(*p)),
        ),
        Setting::ManagedOOMPreference(p) => {
            ("ManagedOOMPreference", BusValue::Str(p.as_str().into()))
        }
        Setting::RuntimeMaxSec(usec, _) => ("RuntimeMaxUSec", BusValue::U64(*usec)),
        Setting::Description(_)
        | Setting::PrivateTmp(_)
        | Setting::NoNewPrivileges(_)
        | Setting::FileSystem(..)
        | Setting::Kernel(..) => return None,
    })
}

/// systemd's UINT32_SCALE_FROM_PERMYRIAD: 100% is u32::MAX, rounded to nearest.
pub fn scale_from_permyriad(p: u32) -> u32 {
    ((u64::from(p.min(10_000)) * u64::from(u32::MAX) + 5_000) / 10_000) as u32
}
