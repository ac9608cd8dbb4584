//! The name of an ssc scope, `ssc-PROFILE-PID-RANDOM.scope`: made here, parsed here, and
//! matched here, so that --status, the origin check and the per-user count read exactly
//! what the launch wrote.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use crate::error::{Context, Result};
use crate::profile::valid_name;

/// The pattern that matches every ssc scope, for ListUnitsByPatterns.
pub const GLOB: &str = "ssc-*.scope";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitName {
    pub profile: String,
    pub pid: u32,
    /// 32 random bits: no other ssc run picks the same name, even with a reused pid.
    pub random: u32,
}

impl UnitName {
    /// A fresh name for this process: its pid and 32 bits from /dev/urandom.
    pub fn new(profile: &str) -> Result<UnitName> {
        let mut r = [0u8; 4];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut r))
            .context("/dev/urandom")?;
        Ok(UnitName {
            profile: profile.to_string(),
            pid: std::process::id(),
            random: u32::from_ne_bytes(r),
        })
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ssc-{}-{}-{:08x}.scope",
            self.profile, self.pid, self.random
        )
    }
}

impl FromStr for UnitName {
    type Err = ();

    /// Profile names may contain '-', so the pid and the random part are taken from the
    /// end.
    fn from_str(unit: &str) -> Result<UnitName, ()> {
        let middle = unit
            .strip_prefix("ssc-")
            .and_then(|u| u.strip_suffix(".scope"))
            .ok_or(())?;
        let mut parts = middle.rsplitn(3, '-');
        let (random, pid, profile) = (
            parts.next().ok_or(())?,
            parts.next().ok_or(())?,
            parts.next().ok_or(())?,
        );
        let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
        let hex = random.len() == 8 && random.bytes().all(|b| b.is_ascii_hexdigit());
        if !digits || !hex || !valid_name(profile) || random.bytes().any(|b| b.is_ascii_uppercase())
        {
            return Err(());
        }
        Ok(UnitName {
            profile: profile.to_string(),
            pid: pid.parse().map_err(|_| ())?,
            random: u32::from_str_radix(random, 16).map_err(|_| ())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for profile in ["strict", "web-apps", "a", "x_y-z"] {
            let name = UnitName {
                profile: profile.into(),
                pid: 4242,
                random: 0xabcd,
            };
            let text = name.to_string();
            assert_eq!(text, format!("ssc-{profile}-4242-0000abcd.scope"));
            assert_eq!(text.parse::<UnitName>(), Ok(name));
        }
        let fresh = UnitName::new("strict").unwrap();
        assert_eq!(fresh.to_string().parse::<UnitName>(), Ok(fresh));
    }

    #[test]
    fn other_names_are_not_ssc_scopes() {
        for no in [
            "ssc-42-0000abcd.scope",
            "run-u1.scope",
            "ssc-strict-x-0000abcd.scope",
            "ssc-strict-42-abcd.scope",
            "ssc-strict-42-0000ABCD.scope",
            "ssc-Strict-42-0000abcd.scope",
            "ssc-strict-42-0000abcd.service",
            "ssc-strict--0000abcd.scope",
        ] {
            assert!(no.parse::<UnitName>().is_err(), "{no}");
        }
        // The glob that --status asks systemd for matches every name made here.
        let name = UnitName::new("web").unwrap().to_string();
        assert!(name.starts_with(&GLOB[..4]) && name.ends_with(&GLOB[5..]));
    }
}
