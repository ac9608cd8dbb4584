//! The values of DevicePolicy= and DeviceAllow=, parsed as systemd-run and PID 1 parse them
//! and shown in systemd's syntax.

use std::fmt;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum DevicePolicy {
    #[default]
    Auto,
    Closed,
    Strict,
}

impl DevicePolicy {
    pub fn parse(v: &str) -> Option<DevicePolicy> {
        Some(match v {
            "auto" => DevicePolicy::Auto,
            "closed" => DevicePolicy::Closed,
            "strict" => DevicePolicy::Strict,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DevicePolicy::Auto => "auto",
            DevicePolicy::Closed => "closed",
            DevicePolicy::Strict => "strict",
        }
    }
}

/// One DeviceAllow= entry: `(ss)`, a device node under /dev or `char-GROUP`/`block-GROUP`,
/// and some of "rwm" (empty: systemd's default, all three).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeviceRule {
    pub path: String,
    pub access: String,
}

impl DeviceRule {
    /// Split at the first space, as systemd-run does, and checked as PID 1 would check it.
    pub fn parse(v: &str) -> Option<DeviceRule> {
        // The rest goes as it is: " rw" after two spaces is refused, as PID1 refuses it.
        let (path, access) = v.split_once(' ').unwrap_or((v, ""));
        let group = |p: &str| {
            p.strip_prefix("char-")
                .or_else(|| p.strip_prefix("block-"))
                .is_some_and(|g| !g.is_empty())
        };
        let node = path.strip_prefix("/dev/").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .split('/')
                    .all(|c| !c.is_empty() && c != "." && c != "..")
        });
        let plain = path.bytes().all(|b| b.is_ascii_graphic());
        if !(plain && (node || group(path))) || !access.bytes().all(|b| b"rwm".contains(&b)) {
            return None;
        }
        Some(DeviceRule {
            path: path.into(),
            access: access.into(),
        })
    }
}

impl fmt::Display for DeviceRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.access.is_empty() {
            true => f.write_str(&self.path),
            false => write!(f, "{} {}", self.path, self.access),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_rules() {
        let d = DeviceRule::parse("/dev/video0 rw").unwrap();
        assert_eq!((d.path.as_str(), d.access.as_str()), ("/dev/video0", "rw"));
        assert_eq!(DeviceRule::parse("char-drm").unwrap().access, "");
        for bad in [
            "/dev/",
            "/etc/passwd rw",
            "/dev/../etc r",
            "char- rw",
            "video0",
            "/dev/null x",
            "/dev/null  rw",
        ] {
            assert_eq!(DeviceRule::parse(bad), None, "{bad}");
        }
    }
}
