//! The profile file parser: systemd's unit-file syntax, one [Profile] section, keys from
//! `KEYS` only, each at most once, and every error naming file:line.

use std::collections::BTreeMap;
use std::path::Path;

use super::cpu_set::CpuSet;
use super::devices::{DevicePolicy, DeviceRule};
use super::io::{IoLimit, IoLimitKind};
use super::managed_oom::{ManagedOOMMode, ManagedOOMPreference};
use super::network::{Addresses, Interfaces, SocketBind};
use super::{Limit, Profile, Setting, Source, KEYS};
use crate::error::{Error, Result};

/// Parses a profile file. Every error names file:line.
pub fn parse(name: &str, path: &Path, text: &str) -> Result<Profile> {
    let mut in_section = false;
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut settings = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let err = |msg: String| Error::Profile(format!("{}:{lineno}: {msg}", path.display()));
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            if line != "[Profile]" {
                return Err(err(format!("unknown section {line}, expected [Profile]")));
            }
            if in_section {
                return Err(err("duplicate [Profile] section".into()));
            }
            in_section = true;
            continue;
        }
        if !in_section {
            return Err(err(
                "missing section: the file must start with [Profile]".into()
            ));
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(format!("expected Key=Value, got '{line}'")));
        };
        let (key, value) = (key.trim(), value.trim());
        let bad_value = |e: String| err(format!("{key}={value}: {e}"));
        let setting = match (
            super::file_system::FileSystem::parse(key, value),
            super::kernel::Kernel::parse(key, value),
        ) {
            (Some(fs), _) => Setting::FileSystem(fs.map_err(bad_value)?, lineno),
            (_, Some(k)) => Setting::Kernel(k.map_err(bad_value)?, lineno),
            _ => parse_setting(key, value).map_err(err)?,
        };
        if let Some(first) = seen.insert(setting.key(), lineno) {
            if !setting.is_list() {
                return Err(err(format!("{key} already set on line {first}")));
            }
        }
        settings.push(setting);
    }
    if !in_section {
        return Err(Error::Profile(format!(
            "{}: missing section [Profile]",
            path.display()
        )));
    }
    let profile = Profile {
        name: name.into(),
        source: Source::File(path.into()),
        settings,
    };
    if profile.settings.contains(&Setting::NoNewPrivileges(false)) {
        let implied_by = if profile.private_tmp() {
            Some("PrivateTmp=yes")
        } else if profile.protects_file_system() {
            Some("a file-system setting")
        } else if profile.protects_kernel() {
            Some("a kernel-surface setting")
        } else {
            None
        };
        if let Some(by) = implied_by {
            let line = seen.get("NoNewPrivileges").copied().unwrap_or(0);
            return Err(Error::Profile(format!(
                "{}:{line}: NoNewPrivileges=no contradicts {by}, which implies it",
                path.display()
            )));
        }
    }
    Ok(profile)
}

fn parse_setting(key: &str, value: &str) -> std::result::Result<Setting, String> {
    let bad = |what: &str| format!("bad value '{value}' for {key}: expected {what}");
    Ok(match key {
        "Description" => {
            if value.is_empty() || value.chars().any(char::is_control) {
                return Err(bad("a non-empty line of text"));
            }
            Setting::Description(value.into())
        }
        "MemoryMax" | "MemoryHigh" | "MemorySwapMax" | "MemoryLow" | "MemoryMin" => {
            let l =
                parse_memory(value).ok_or_else(|| bad("bytes with K/M/G/T, N%, or infinity"))?;
            match key {
                "MemoryMax" => Setting::MemoryMax(l),
                "MemoryHigh" => Setting::MemoryHigh(l),
                "MemoryLow" => Setting::MemoryLow(l),
                "MemoryMin" => Setting::MemoryMin(l),
                _ => Setting::MemorySwapMax(l),
            }
        }
        "AllowedCPUs" => Setting::AllowedCPUs(
            CpuSet::parse(value).ok_or_else(|| bad("CPU numbers and ranges, as in 0-3 6"))?,
        ),
        "IPAddressAllow" | "IPAddressDeny" => {
            let a = Addresses::parse(value).ok_or_else(|| {
                bad("any, localhost, link-local, multicast, or addresses with optional /prefix")
            })?;
            match key {
                "IPAddressAllow" => Setting::IPAddressAllow(a),
                _ => Setting::IPAddressDeny(a),
            }
        }
        "RestrictNetworkInterfaces" => Setting::RestrictNetworkInterfaces(
            Interfaces::parse(value)
                .ok_or_else(|| bad("interface names, with ~ first for a deny list"))?,
        ),
        "SocketBindAllow" | "SocketBindDeny" => {
            let b = match value {
                "" => None,
                v => Some(SocketBind::parse(v).ok_or_else(|| {
                    bad("any, or [ipv4:|ipv6:][tcp:|udp:]PORT[-PORT] with ports from 1")
                })?),
            };
            match key {
                "SocketBindAllow" => Setting::SocketBindAllow(b),
                _ => Setting::SocketBindDeny(b),
            }
        }
        "DevicePolicy" => Setting::DevicePolicy(
            DevicePolicy::parse(value).ok_or_else(|| bad("auto, closed or strict"))?,
        ),
        "DeviceAllow" => Setting::DeviceAllow(match value {
            "" => None,
            v => Some(DeviceRule::parse(v).ok_or_else(|| {
                bad("a node under /dev/ or char-GROUP or block-GROUP, then some of rwm")
            })?),
        }),
        "IOReadBandwidthMax" | "IOWriteBandwidthMax" | "IOReadIOPSMax" | "IOWriteIOPSMax" => {
            let kind = IoLimitKind::ALL
                .into_iter()
                .find(|k| k.key() == key)
                .ok_or_else(|| bad("a known key"))?;
            let limit = match value {
                "" => None,
                v => Some(IoLimit::parse(v).ok_or_else(|| {
                    bad("an absolute path, a space, and N with K/M/G/T (powers of 1000) or infinity")
                })?),
            };
            Setting::IOLimit(kind, limit)
        }
        "ManagedOOMMemoryPressure" => Setting::ManagedOOMMemoryPressure(
            ManagedOOMMode::parse(value).ok_or_else(|| bad("auto or kill"))?,
        ),
        "ManagedOOMMemoryPressureLimit" => Setting::ManagedOOMMemoryPressureLimit(
            parse_percent(value).ok_or_else(|| bad("N% from 0% to 100%"))?,
        ),
        "ManagedOOMPreference" => Setting::ManagedOOMPreference(
            ManagedOOMPreference::parse(value).ok_or_else(|| bad("none, avoid or omit"))?,
        ),
        "RuntimeMaxSec" => Setting::RuntimeMaxSec(
            parse_sec(value)
                .ok_or_else(|| bad("a time span such as 90, 30min or 2h 30min, or infinity"))?,
            value.into(),
        ),
        // Sent as microseconds per second, 100 times the permyriad: it must fit.
        "CPUQuota" => Setting::CPUQuota(
            parse_permyriad(value)
                .filter(|&p| p > 0 && p.checked_mul(100).is_some())
                .ok_or_else(|| bad("N% greater than 0"))?,
        ),
        "CPUWeight" | "IOWeight" => {
            let w = value
                .parse::<u64>()
                .ok()
                .filter(|w| (1..=10_000).contains(w))
                .ok_or_else(|| bad("an integer from 1 to 10000"))?;
            if key == "CPUWeight" {
                Setting::CPUWeight(w)
            } else {
                Setting::IOWeight(w)
            }
        }
        "TasksMax" => {
            Setting::TasksMax(parse_tasks(value).ok_or_else(|| bad("a count, N%, or infinity"))?)
        }
        "PrivateTmp" => Setting::PrivateTmp(parse_bool(value).ok_or_else(|| bad("a boolean"))?),
        "NoNewPrivileges" => {
            Setting::NoNewPrivileges(parse_bool(value).ok_or_else(|| bad("a boolean"))?)
        }
        _ => {
            return Err(format!(
                "unknown key '{key}' (allowed: {})",
                KEYS.join(", ")
            ))
        }
    })
}

/// systemd's parse_boolean.
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

/// `N%` or `N.N%`/`N.NN%`, in hundredths of a percent, unbounded above.
fn parse_permyriad(v: &str) -> Option<u64> {
    let v = v.strip_suffix('%')?;
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if int.is_empty() || !all_digits(int) || frac.len() > 2 || !all_digits(frac) {
        return None;
    }
    let frac = format!("{frac:0<2}").parse::<u64>().ok()?;
    int.parse::<u64>().ok()?.checked_mul(100)?.checked_add(frac)
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `N%` from 0% to 100%, in hundredths of a percent.
pub(crate) fn parse_percent(v: &str) -> Option<u32> {
    match parse_percent_limit(v)? {
        Limit::Permyriad(p) => Some(p),
        _ => None,
    }
}

fn parse_percent_limit(v: &str) -> Option<Limit> {
    let p = parse_permyriad(v)?;
    (p <= 10_000).then_some(Limit::Permyriad(p as u32))
}

/// systemd's parse_size, for whole numbers: N with an optional K, M, G or T, in powers of
/// `base` (1024 for memory, 1000 for I/O limits).
pub(super) fn parse_size(v: &str, base: u64) -> Option<u64> {
    let (digits, power) = match v.as_bytes().last()? {
        b'K' => (&v[..v.len() - 1], 1),
        b'M' => (&v[..v.len() - 1], 2),
        b'G' => (&v[..v.len() - 1], 3),
        b'T' => (&v[..v.len() - 1], 4),
        _ => (v, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse::<u64>()
        .ok()?
        .checked_mul(base.checked_pow(power)?)
}

fn parse_memory(v: &str) -> Option<Limit> {
    if v == "infinity" {
        return Some(Limit::Infinity);
    }
    if v.ends_with('%') {
        return parse_percent_limit(v);
    }
    let bytes = parse_size(v, 1024)?;
    // u64::MAX is systemd's "infinity"; any other value is taken literally.
    (bytes != u64::MAX).then_some(Limit::Absolute(bytes))
}

fn parse_tasks(v: &str) -> Option<Limit> {
    if v == "infinity" {
        return Some(Limit::Infinity);
    }
    if v.ends_with('%') {
        return parse_percent_limit(v);
    }
    if v.is_empty() || !all_digits(v) {
        return None;
    }
    let n = v.parse::<u64>().ok()?;
    (n >= 1 && n != u64::MAX).then_some(Limit::Absolute(n))
}

/// RuntimeMaxSec=: parse_sec's "90", "5min", "1h 30min" or "infinity", in microseconds
/// (u64::MAX: infinity). Whole numbers only.
fn parse_sec(v: &str) -> Option<u64> {
    if v == "infinity" {
        return Some(u64::MAX);
    }
    let mut total: u64 = 0;
    let mut rest = v.trim_start();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let per = match &rest[..unit_len] {
            "usec" | "us" => 1,
            "msec" | "ms" => 1_000,
            "" | "seconds" | "second" | "sec" | "s" => 1_000_000,
            "minutes" | "minute" | "min" | "m" => 60_000_000,
            "hours" | "hour" | "hr" | "h" => 3_600_000_000,
            "days" | "day" | "d" => 86_400_000_000,
            "weeks" | "week" | "w" => 604_800_000_000,
            _ => return None,
        };
        rest = rest[unit_len..].trim_start();
        total = total.checked_add(n.checked_mul(per)?)?;
    }
    (total != u64::MAX).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_like_parse_sec() {
        assert_eq!(parse_sec("90"), Some(90_000_000));
        assert_eq!(parse_sec("1h 30min"), Some(5_400_000_000));
        assert_eq!(parse_sec("2d"), Some(172_800_000_000));
        assert_eq!(parse_sec("infinity"), Some(u64::MAX));
        for bad in ["", "1.5h", "5 parsecs", "h", "-1"] {
            assert_eq!(parse_sec(bad), None, "{bad}");
        }
    }
}
