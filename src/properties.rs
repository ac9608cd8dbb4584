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
}

impl fmt::Display for BusValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BusValue::Str(s) => write!(f, "s {s:?}"),
            BusValue::U32(n) => write!(f, "u {n}"),
            BusValue::U64(n) => write!(f, "t {n}"),
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

/// The translation systemd-run makes (src/shared/bus-unit-util.c). Description goes
/// into the unit's own Description, and PrivateTmp and NoNewPrivileges are not scope
/// properties: ssc builds them itself.
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
        Setting::TasksMax(l) => limit("TasksMax", "TasksMaxScale", l),
        Setting::CPUQuota(p) => ("CPUQuotaPerSecUSec", BusValue::U64(p.saturating_mul(100))),
        Setting::CPUWeight(w) => ("CPUWeight", BusValue::U64(*w)),
        Setting::IOWeight(w) => ("IOWeight", BusValue::U64(*w)),
        Setting::Description(_) | Setting::PrivateTmp(_) | Setting::NoNewPrivileges(_) => {
            return None
        }
    })
}

/// systemd's UINT32_SCALE_FROM_PERMYRIAD: 100% is u32::MAX, rounded to nearest.
pub fn scale_from_permyriad(p: u32) -> u32 {
    ((u64::from(p.min(10_000)) * u64::from(u32::MAX) + 5_000) / 10_000) as u32
}
