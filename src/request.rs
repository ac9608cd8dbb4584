//! What ssc asks systemd for: the transient scope's name, its properties and the
//! StartTransientUnit arguments, all known before talking to systemd.

use std::ffi::OsString;

use nix::unistd::{Pid, Uid};
use zvariant::Value;

use crate::bus;
use crate::error::Result;
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
        }
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
        for (name, value, syntax) in &self.properties {
            lines.push(format!("    {syntax:<40} {name} = {value}"));
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
