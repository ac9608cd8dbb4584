//! What ssc reads of systemd's units with no privileges at all, over the system bus:
//! `ssc --status`, the running ssc scopes, and when the scope a launch comes from reaches
//! its RuntimeMaxSec (origin.rs).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;

use nix::unistd::{Uid, User};
use zvariant::{OwnedObjectPath, OwnedValue};

use crate::bus::{self, Connection, Kind, Peer};
use crate::display::sanitize;
use crate::error::{Context, Error, Result};
use crate::profile::devices::DevicePolicy;
use crate::profile::network::{IpPrefix, SocketBind};
use crate::profile::Policy;
use crate::scope::{MANAGER, MANAGER_PATH, SYSTEMD};
use crate::unit_name::{UnitName, GLOB};

/// One running scope, as systemd reports it. None where systemd does not know a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeStatus {
    pub unit: String,
    pub profile: String,
    pub uid: Option<u32>,
    pub user: Option<String>,
    pub command: String,
    pub memory_current: Option<u64>,
    pub memory_max: Option<u64>,
    pub memory_peak: Option<u64>,
    pub cpu_usage_nsec: Option<u64>,
    pub tasks_current: Option<u64>,
    /// The network and device policy systemd holds for the scope, in systemd's syntax.
    pub policy: Vec<String>,
}

type Unit = (
    String,
    String,
    String,
    String,
    String,
    String,
    OwnedObjectPath,
    u32,
    String,
    OwnedObjectPath,
);

/// A connection to the system bus with this process's credentials (its effective uid,
/// which the socket carries), not root's. Only the owner of org.freedesktop.systemd1, a
/// name only root can own, can answer what is asked of it.
pub fn connect(uid: Uid, deadline: Instant) -> Result<Connection> {
    let socket = bus::connect(bus::SYSTEM_BUS, deadline).context(format!(
        "cannot connect to the system bus at {}",
        bus::SYSTEM_BUS
    ))?;
    Connection::open(socket, Peer::Bus, uid, deadline).map_err(|e| match e {
        bus::OpenError::Refused(why) => Error::Bus(format!("system bus: {why}")),
        bus::OpenError::Failed(e) => e,
    })
}

/// The properties of one interface of the unit at `path`; None if the unit is gone.
fn properties(
    bus: &mut Connection,
    path: &str,
    interface: &str,
) -> Result<Option<HashMap<String, OwnedValue>>> {
    let reply = bus.call(
        Some(SYSTEMD),
        path,
        "org.freedesktop.DBus.Properties",
        "GetAll",
        &(interface,),
    )?;
    if reply.kind == Kind::Error {
        return Ok(None);
    }
    let (props,): (HashMap<String, OwnedValue>,) = reply.body()?;
    Ok(Some(props))
}

/// systemd answers u64::MAX for "unknown" or "no limit".
fn number(props: &HashMap<String, OwnedValue>, name: &str) -> Option<u64> {
    props
        .get(name)
        .and_then(|v| u64::try_from(v).ok())
        .filter(|&n| n != u64::MAX)
}

/// When systemd stops the scope `unit` for its RuntimeMaxSec, in microseconds of
/// CLOCK_MONOTONIC: scope.c arms that timer at ActiveEnterTimestampMonotonic +
/// RuntimeMaxUSec (RuntimeRandomizedExtraUSec only adds to it). None if it has no
/// RuntimeMaxSec.
pub fn runtime_end(bus: &mut Connection, unit: &str) -> Result<Option<u64>> {
    let fail = |e: String| Error::Bus(format!("reading {unit} from systemd: {e}"));
    let reply = bus.call(Some(SYSTEMD), MANAGER_PATH, MANAGER, "GetUnit", &(unit,))?;
    if reply.kind == Kind::Error {
        return Err(fail(reply.error_text()));
    }
    let (path,): (OwnedObjectPath,) = reply.body()?;
    let gone = || fail("the unit is gone".into());
    let scope =
        properties(bus, path.as_str(), "org.freedesktop.systemd1.Scope")?.ok_or_else(gone)?;
    let Some(max) = number(&scope, "RuntimeMaxUSec") else {
        return Ok(None);
    };
    let unit_props =
        properties(bus, path.as_str(), "org.freedesktop.systemd1.Unit")?.ok_or_else(gone)?;
    match number(&unit_props, "ActiveEnterTimestampMonotonic") {
        Some(start) if start > 0 => Ok(Some(start.saturating_add(max))),
        _ => Err(fail("it has not started".into())),
    }
}

pub fn query(bus: &mut Connection) -> Result<Vec<ScopeStatus>> {
    let fail = |e: String| Error::Bus(format!("reading ssc scopes from systemd: {e}"));
    let reply = bus.call(
        Some(SYSTEMD),
        MANAGER_PATH,
        MANAGER,
        "ListUnitsByPatterns",
        &(vec!["active"], vec![GLOB]),
    )?;
    if reply.kind == Kind::Error {
        return Err(fail(reply.error_text()));
    }
    let (units,): (Vec<Unit>,) = reply.body()?;
    let mut scopes = Vec::new();
    for (unit, description, _, _, _, _, path, _, _, _) in units {
        // None: the unit is gone between the two calls.
        if let Some(props) = properties(bus, path.as_str(), "org.freedesktop.systemd1.Scope")? {
            scopes.push(from_properties(&unit, &description, &props));
        }
    }
    scopes.sort_by(|a, b| a.unit.cmp(&b.unit));
    Ok(scopes)
}

fn from_properties(
    unit: &str,
    description: &str,
    props: &HashMap<String, OwnedValue>,
) -> ScopeStatus {
    let number = |name: &str| number(props, name);
    let slice = props
        .get("Slice")
        .and_then(|v| <&str>::try_from(v).ok())
        .unwrap_or_default();
    let uid = slice
        .strip_prefix("user-")
        .and_then(|s| s.strip_suffix(".slice"))
        .and_then(|s| s.parse::<u32>().ok());
    let user = uid.and_then(|u| {
        User::from_uid(Uid::from_raw(u))
            .ok()
            .flatten()
            .map(|u| u.name)
    });
    let profile = unit
        .parse::<UnitName>()
        .map(|u| u.profile)
        .unwrap_or_default();
    let cgroup = props
        .get("ControlGroup")
        .and_then(|v| <&str>::try_from(v).ok())
        .unwrap_or_default();
    // The Description holds only the program's name; the command line is read from
    // /proc, where this caller may read it (hidepid decides), like ps does.
    let command = command_line(cgroup).unwrap_or_else(|| {
        sanitize(
            description
                .strip_prefix(&format!("ssc {profile}: "))
                .unwrap_or(description),
        )
    });
    ScopeStatus {
        unit: unit.to_string(),
        profile,
        uid,
        user,
        command,
        memory_current: number("MemoryCurrent"),
        memory_max: number("MemoryMax"),
        memory_peak: number("MemoryPeak"),
        cpu_usage_nsec: number("CPUUsageNSec"),
        tasks_current: number("TasksCurrent"),
        policy: policy(props).describe_network_and_devices(),
    }
}

/// The scope's network and device properties, as systemd reports them.
fn policy(props: &HashMap<String, OwnedValue>) -> Policy {
    fn get<T: TryFrom<OwnedValue>>(props: &HashMap<String, OwnedValue>, name: &str) -> Option<T> {
        props
            .get(name)
            .and_then(|v| v.try_clone().ok())
            .and_then(|v| T::try_from(v).ok())
    }
    let prefixes = |name| {
        get::<Vec<(i32, Vec<u8>, u32)>>(props, name)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(family, bytes, len)| {
                let mut address = [0; 16];
                address.get_mut(..bytes.len())?.copy_from_slice(&bytes);
                Some(IpPrefix {
                    family,
                    address,
                    prefix_len: u8::try_from(len).ok()?,
                })
            })
            .collect()
    };
    let binds = |name| {
        get::<Vec<(i32, i32, u16, u16)>>(props, name)
            .unwrap_or_default()
            .into_iter()
            .map(|(family, protocol, nr_ports, port_min)| SocketBind {
                family,
                protocol,
                nr_ports,
                port_min,
            })
            .collect()
    };
    Policy {
        ip_allow: prefixes("IPAddressAllow"),
        ip_deny: prefixes("IPAddressDeny"),
        interfaces: get::<(bool, Vec<String>)>(props, "RestrictNetworkInterfaces")
            .filter(|(_, names)| !names.is_empty())
            .map(|(allow, names)| (allow, names.into_iter().collect())),
        bind_allow: binds("SocketBindAllow"),
        bind_deny: binds("SocketBindDeny"),
        device_policy: get::<String>(props, "DevicePolicy")
            .and_then(|p| DevicePolicy::parse(&p))
            .unwrap_or_default(),
        device_allow: get::<Vec<(String, String)>>(props, "DeviceAllow")
            .unwrap_or_default()
            .into_iter()
            .collect(),
        ..Policy::default()
    }
}

/// The command line of the first process in the scope's cgroup, if this caller may read it.
fn command_line(cgroup: &str) -> Option<String> {
    if cgroup.is_empty() || cgroup.contains("..") {
        return None;
    }
    let procs = std::fs::read_to_string(format!("/sys/fs/cgroup{cgroup}/cgroup.procs")).ok()?;
    let pid: u32 = procs.lines().next()?.trim().parse().ok()?;
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| sanitize(&String::from_utf8_lossy(a)))
        .collect();
    (!args.is_empty()).then(|| args.join(" "))
}

pub fn text(scopes: &[ScopeStatus]) -> String {
    let mut rows = vec![[
        "UNIT".to_string(),
        "PROFILE".into(),
        "USER".into(),
        "MEMORY".into(),
        "PEAK".into(),
        "CPU".into(),
        "TASKS".into(),
        "COMMAND".into(),
    ]];
    for s in scopes {
        let user = s
            .user
            .clone()
            .or_else(|| s.uid.map(|u| u.to_string()))
            .unwrap_or_else(|| "-".into());
        let memory = format!(
            "{} / {}",
            opt(s.memory_current, bytes),
            s.memory_max.map_or("max".into(), bytes)
        );
        rows.push([
            s.unit.clone(),
            s.profile.clone(),
            user,
            memory,
            opt(s.memory_peak, bytes),
            opt(s.cpu_usage_nsec, |n| format!("{:.3}s", n as f64 / 1e9)),
            opt(s.tasks_current, |n| n.to_string()),
            s.command.clone(),
        ]);
    }
    let mut widths = [0usize; 8];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for s in scopes.iter().filter(|s| !s.policy.is_empty()) {
        let _ = writeln!(out, "{}: {}", s.unit, s.policy.join(", "));
    }
    if scopes.is_empty() {
        out.push_str("(no ssc scopes are running)\n");
    }
    out
}

fn opt(v: Option<u64>, f: impl Fn(u64) -> String) -> String {
    v.map_or("-".into(), f)
}

/// Binary units, as systemctl prints them.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1}{}", UNITS[unit])
}

pub fn json(scopes: &[ScopeStatus]) -> String {
    let num = |v: Option<u64>| v.map_or("null".into(), |n| n.to_string());
    let items: Vec<String> = scopes
        .iter()
        .map(|s| {
            format!(
                "{{\"unit\":{},\"profile\":{},\"uid\":{},\"user\":{},\"command\":{},\
                 \"memory_current\":{},\"memory_max\":{},\"memory_peak\":{},\
                 \"cpu_usage_nsec\":{},\"tasks_current\":{},\"policy\":[{}]}}",
                json_string(&s.unit),
                json_string(&s.profile),
                num(s.uid.map(u64::from)),
                s.user.as_deref().map_or("null".into(), json_string),
                json_string(&s.command),
                num(s.memory_current),
                num(s.memory_max),
                num(s.memory_peak),
                num(s.cpu_usage_nsec),
                num(s.tasks_current),
                s.policy
                    .iter()
                    .map(|p| json_string(p))
                    .collect::<Vec<_>>()
                    .join(","),
            )
        })
        .collect();
    format!("[{}]\n", items.join(","))
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ScopeStatus {
        ScopeStatus {
            unit: "ssc-web-apps-12-0000abcd.scope".into(),
            profile: "web-apps".into(),
            uid: Some(1000),
            user: Some("alice".into()),
            command: "firefox \"x\"\n".into(),
            memory_current: Some(3 << 20),
            memory_max: None,
            memory_peak: Some(5 << 20),
            cpu_usage_nsec: Some(1_500_000_000),
            tasks_current: Some(7),
            policy: vec!["IPAddressDeny=0.0.0.0/0 ::/0".into()],
        }
    }

    #[test]
    fn text_has_a_row_per_scope() {
        let out = text(&[sample()]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("UNIT"), "{out}");
        assert!(
            lines[1].starts_with("ssc-web-apps-12-0000abcd.scope  web-apps"),
            "{out}"
        );
        assert!(lines[1].contains("3.0M / max"), "{out}");
        assert!(lines[1].contains("5.0M"), "{out}");
        assert!(lines[1].contains("1.500s"), "{out}");
        assert_eq!(
            lines[2],
            "ssc-web-apps-12-0000abcd.scope: IPAddressDeny=0.0.0.0/0 ::/0"
        );
        assert!(text(&[]).contains("no ssc scopes"));
    }

    #[test]
    fn json_escapes_and_uses_null() {
        assert_eq!(
            json(&[sample()]),
            "[{\"unit\":\"ssc-web-apps-12-0000abcd.scope\",\"profile\":\"web-apps\",\"uid\":1000,\
             \"user\":\"alice\",\"command\":\"firefox \\\"x\\\"\\u000a\",\"memory_current\":3145728,\
             \"memory_max\":null,\"memory_peak\":5242880,\"cpu_usage_nsec\":1500000000,\
             \"tasks_current\":7,\"policy\":[\"IPAddressDeny=0.0.0.0/0 ::/0\"]}]\n"
        );
        assert_eq!(json(&[]), "[]\n");
    }
}
