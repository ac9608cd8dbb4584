//! What ssc asks systemd for: the transient scope's name, its properties and the
//! StartTransientUnit arguments, all known before talking to systemd.

use std::ffi::OsString;

use nix::unistd::{Pid, Uid};
use zvariant::Value;

use crate::bus;
use crate::error::Result;
use crate::origin::RuntimeEnd;
use crate::profile::Profile;
use crate::properties::{self, BusValue};
use crate::unit_name::UnitName;

/// StartTransientUnit's job mode: fail rather than replace a conflicting queued job.
pub const JOB_MODE: &str = "fail";

/// Everything about the scope that is known before talking to systemd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub profile: String,
    pub unit: String,
    pub slice: String,
    /// (D-Bus name, value, the setting in systemd syntax) in the order sent.
    pub properties: Vec<(&'static str, BusValue, String)>,
    /// When the scope this launch comes from ends (origin.rs): RuntimeMaxUSec is cut to
    /// what is left of it each time the request is sent, so that no wait before that
    /// (a slot, a retry) adds to it.
    pub runtime_end: Option<RuntimeEnd>,
}

impl Request {
    /// `unit` is a fresh `UnitName`, or a placeholder for --dry-run.
    pub fn new(profile: &Profile, uid: Uid, command: &[OsString], unit: String) -> Request {
        let slice = format!("user-{uid}.slice");
        let description = description(profile, command);
        let mut properties = vec![
            (
                "Description",
                BusValue::Str(description.clone()),
                format!("Description={description}"),
            ),
            (
                "Slice",
                BusValue::Str(slice.clone()),
                format!("Slice={slice}"),
            ),
            (
                "CollectMode",
                BusValue::Str("inactive-or-failed".into()),
                "CollectMode=inactive-or-failed".into(),
            ),
        ];
        properties.extend(properties::bus_properties(profile));
        Request {
            slice: slice.clone(),
            profile: profile.name.clone(),
            unit,
            properties,
            runtime_end: None,
        }
    }

    /// RuntimeMaxUSec if it must be cut to what is left of the outer scope's: the smaller
    /// of the two, at least 1 µs (systemd stops the scope as it starts). None: as the
    /// profile has it.
    fn runtime_cut(&self) -> Option<u64> {
        let left = self.runtime_end.as_ref()?.left().max(1);
        let own = self
            .properties
            .iter()
            .find_map(|(name, value, _)| match value {
                BusValue::U64(usec) if *name == "RuntimeMaxUSec" => Some(*usec),
                _ => None,
            });
        own.is_none_or(|own| own > left).then_some(left)
    }

    /// The StartTransientUnit arguments, with `pid` as the scope's process. PIDs, not
    /// PIDFDs: systemd before 255 knows only PIDs, and asking twice would cost a round
    /// trip on every launch there. A pid is safe here because it is ssc's own, and ssc is
    /// alive and blocked until the job is done: its real uid is root's, so the caller cannot
    /// signal it, and the signals a terminal sends are blocked or ignored (launch.rs).
    #[allow(clippy::type_complexity)]
    pub fn body(
        &self,
        pid: Pid,
    ) -> (
        &str,
        &str,
        Vec<(&str, Value<'_>)>,
        Vec<(&str, Vec<(&str, Value<'_>)>)>,
    ) {
        let mut props: Vec<(&str, Value)> = self
            .properties
            .iter()
            .map(|(name, value, _)| {
                let v = match value {
                    BusValue::Str(s) => Value::from(s.as_str()),
                    BusValue::U32(n) => Value::from(*n),
                    BusValue::U64(n) => Value::from(*n),
                    BusValue::Bytes(b) => Value::from(b.clone()),
                    BusValue::Addresses(a) => Value::from(a.clone()),
                    BusValue::Interfaces(allow, names) => {
                        Value::from(zvariant::Structure::from((*allow, names.clone())))
                    }
                    BusValue::SocketBinds(b) => Value::from(b.clone()),
                    BusValue::Devices(d) => Value::from(d.clone()),
                    BusValue::IoLimits(l) => Value::from(l.clone()),
                };
                (*name, v)
            })
            .collect();
        if let Some(usec) = self.runtime_cut() {
            props.retain(|(name, _)| *name != "RuntimeMaxUSec");
            props.push(("RuntimeMaxUSec", Value::from(usec)));
        }
        props.push(("PIDs", Value::from(vec![pid.as_raw() as u32])));
        (&self.unit, JOB_MODE, props, Vec::new())
    }

    /// The request as --dry-run shows it: the call, each property in systemd's syntax and
    /// on the wire, and where it goes.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "StartTransientUnit(\"{}\", \"{JOB_MODE}\", properties):",
            self.unit
        )];
        let cut = self.runtime_cut();
        for (name, value, syntax) in &self.properties {
            if cut.is_none() || *name != "RuntimeMaxUSec" {
                lines.push(format!("    {syntax:<40} {name} = {value}"));
            }
        }
        if let (Some(usec), Some(end)) = (cut, &self.runtime_end) {
            let syntax = format!("RuntimeMaxSec={}", seconds(usec));
            lines.push(format!(
                "    {syntax:<40} RuntimeMaxUSec = {} (what is left of {}'s)",
                BusValue::U64(usec),
                end.unit
            ));
        }
        lines.push(format!(
            "    {:<40} PIDs = au [pid of ssc]",
            "(ssc's own process)"
        ));
        lines.push(format!(
            "on {} (or, if it is missing or refuses, {}); wait for JobRemoved of that job; \
             any result but \"done\" fails",
            bus::SYSTEMD_PRIVATE,
            bus::SYSTEM_BUS
        ));
        lines
    }

    /// A refused unit stays loaded until systemd collects it, so a retry needs a new name.
    pub(crate) fn rename(&mut self) -> Result<()> {
        self.unit = UnitName::new(&self.profile)?.to_string();
        Ok(())
    }
}

/// Microseconds in systemd's time-span syntax, e.g. "59.5s".
fn seconds(usec: u64) -> String {
    let (s, us) = (usec / 1_000_000, usec % 1_000_000);
    match us {
        0 => format!("{s}s"),
        _ => format!("{s}.{}s", format!("{us:06}").trim_end_matches('0')),
    }
}

/// "ssc strict: firefox": the profile and the program's basename, never its arguments.
/// Any user can read a unit's Description (and PID 1 logs it, and keeps it in a
/// world-readable file under /run/systemd/transient), so `ssc -- mysql -pSECRET` must not
/// put the password there. `--status` reads the command line from /proc instead.
fn description(profile: &Profile, command: &[OsString]) -> String {
    let program = command
        .first()
        .map(|p| p.to_string_lossy())
        .unwrap_or_default();
    let base = program.rsplit('/').next().unwrap_or_default();
    let line = format!("ssc {}: {}", profile.name, crate::display::sanitize(base));
    if line.chars().count() > 200 {
        return line.chars().take(199).chain(['…']).collect();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::built_in;

    #[test]
    fn request_names_slice_profile_and_command() {
        let strict = built_in("strict", 4).unwrap();
        let cmd = vec![
            OsString::from("/usr/bin/firefox"),
            OsString::from("https://example.org/?password=secret"),
        ];
        let req = Request::new(
            &strict,
            Uid::from_raw(1000),
            &cmd,
            "ssc-strict-42-0000abcd.scope".into(),
        );
        assert_eq!(req.unit, "ssc-strict-42-0000abcd.scope");
        let props: Vec<(&str, BusValue)> = req
            .properties
            .iter()
            .map(|(n, v, _)| (*n, v.clone()))
            .collect();
        assert_eq!(
            props,
            vec![
                (
                    "Description",
                    // The basename only: arguments may hold secrets, and anyone can read this.
                    BusValue::Str("ssc strict: firefox".into())
                ),
                ("Slice", BusValue::Str("user-1000.slice".into())),
                ("CollectMode", BusValue::Str("inactive-or-failed".into())),
                ("MemoryMaxScale", BusValue::U32(3_006_477_107)),
                ("CPUQuotaPerSecUSec", BusValue::U64(3_000_000)),
            ]
        );
    }

    /// RuntimeMaxUSec as sent, and its line in --dry-run.
    fn runtime(req: &Request) -> (Option<u64>, Option<String>) {
        let (_, _, props, _) = req.body(Pid::from_raw(1));
        let sent = props
            .iter()
            .find(|(n, _)| *n == "RuntimeMaxUSec")
            .map(|(_, v)| u64::try_from(v).unwrap());
        let line = req
            .describe()
            .into_iter()
            .find(|l| l.contains("RuntimeMaxUSec"));
        (sent, line)
    }

    #[test]
    fn runtime_is_cut_to_what_the_outer_scope_has_left() {
        let path = std::path::Path::new("/etc/ssc/profiles.d/t.conf");
        let timed = |v: &str| {
            crate::profile::parse("t", path, &format!("[Profile]\nRuntimeMaxSec={v}\n")).unwrap()
        };
        let request = |p: &Profile, left: Option<u64>| {
            let mut req = Request::new(p, Uid::from_raw(1000), &[OsString::from("sh")], "u".into());
            req.runtime_end = left.map(|left| RuntimeEnd {
                unit: "ssc-t-1-00000000.scope".into(),
                at: crate::origin::monotonic_usec() + left,
            });
            req
        };
        const HOUR: u64 = 3_600_000_000;
        // Not nested: the profile's own.
        assert_eq!(runtime(&request(&timed("1h"), None)).0, Some(HOUR));
        // 10 s left of the outer scope: 1h becomes at most 10 s, and --dry-run says so.
        let (sent, line) = runtime(&request(&timed("1h"), Some(10_000_000)));
        let sent = sent.unwrap();
        assert!(sent <= 10_000_000 && sent > 9_000_000, "{sent}");
        let line = line.unwrap();
        assert!(
            line.contains("RuntimeMaxUSec = t ")
                && line.ends_with("(what is left of ssc-t-1-00000000.scope's)"),
            "{line}"
        );
        assert!(
            line.trim_start().starts_with("RuntimeMaxSec=9.")
                || line.trim_start().starts_with("RuntimeMaxSec=10s"),
            "{line}"
        );
        // Shorter than what is left: kept.
        let (sent, line) = runtime(&request(&timed("5s"), Some(HOUR)));
        assert_eq!(sent, Some(5_000_000));
        assert!(line.unwrap().trim_start().starts_with("RuntimeMaxSec=5s "));
        // A profile without RuntimeMaxSec gets one.
        let relaxed = built_in("relaxed", 1).unwrap();
        assert!(runtime(&request(&relaxed, Some(HOUR))).0.unwrap() <= HOUR);
        // Sent exactly once.
        let req = request(&timed("1h"), Some(10_000_000));
        let (_, _, props, _) = req.body(Pid::from_raw(1));
        assert_eq!(
            props.iter().filter(|(n, _)| *n == "RuntimeMaxUSec").count(),
            1
        );
        // Run out since the check: 1 µs, systemd stops the scope as it starts it.
        let mut req = request(&timed("1h"), Some(0));
        req.runtime_end.as_mut().unwrap().at = 0;
        assert_eq!(runtime(&req).0, Some(1));
    }

    #[test]
    fn seconds_in_systemd_syntax() {
        assert_eq!(seconds(5_000_000), "5s");
        assert_eq!(seconds(9_500_000), "9.5s");
        assert_eq!(seconds(1), "0.000001s");
    }

    #[test]
    fn long_descriptions_are_cut() {
        let relaxed = built_in("relaxed", 1).unwrap();
        let req = Request::new(
            &relaxed,
            Uid::from_raw(1),
            &[OsString::from("x".repeat(500))],
            "ssc-relaxed-1-00000000.scope".into(),
        );
        let BusValue::Str(d) = &req.properties[0].1 else {
            panic!()
        };
        assert_eq!(d.chars().count(), 200);
        assert!(d.ends_with('…'));
    }
}
