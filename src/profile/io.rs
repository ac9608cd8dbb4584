//! The values of IOReadBandwidthMax=, IOWriteBandwidthMax=, IOReadIOPSMax= and
//! IOWriteIOPSMax=, parsed as systemd-run parses them and shown in systemd's syntax.

use std::fmt;

use super::parse::parse_size;

/// The four io.max limits, in systemd's and the kernel's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IoLimitKind {
    ReadBandwidth,
    WriteBandwidth,
    ReadIops,
    WriteIops,
}

impl IoLimitKind {
    pub const ALL: [IoLimitKind; 4] = [
        IoLimitKind::ReadBandwidth,
        IoLimitKind::WriteBandwidth,
        IoLimitKind::ReadIops,
        IoLimitKind::WriteIops,
    ];

    /// Its place in `ALL`, and in the limits of one path.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn key(self) -> &'static str {
        match self {
            IoLimitKind::ReadBandwidth => "IOReadBandwidthMax",
            IoLimitKind::WriteBandwidth => "IOWriteBandwidthMax",
            IoLimitKind::ReadIops => "IOReadIOPSMax",
            IoLimitKind::WriteIops => "IOWriteIOPSMax",
        }
    }

    /// The field of the cgroup's io.max line.
    pub fn io_max_field(self) -> &'static str {
        match self {
            IoLimitKind::ReadBandwidth => "rbps",
            IoLimitKind::WriteBandwidth => "wbps",
            IoLimitKind::ReadIops => "riops",
            IoLimitKind::WriteIops => "wiops",
        }
    }
}

/// One IO*Max= entry: `(st)`, a path and a limit (u64::MAX: infinity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoLimit {
    pub path: String,
    pub limit: u64,
}

impl IoLimit {
    /// "PATH LIMIT": the limit in bytes (or operations) per second, with K, M, G or T in
    /// powers of 1000, as systemd-run's parse_size(…, 1000); or "infinity".
    pub fn parse(v: &str) -> Option<IoLimit> {
        let (path, limit) = v.split_once(' ')?;
        let limit = limit.trim();
        let limit = match limit {
            "infinity" => u64::MAX,
            _ => parse_size(limit, 1_000).filter(|&n| n > 0 && n != u64::MAX)?,
        };
        let absolute = path.starts_with('/') && path.bytes().all(|b| b.is_ascii_graphic());
        absolute.then(|| IoLimit {
            path: path.into(),
            limit,
        })
    }
}

impl fmt::Display for IoLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            u64::MAX => write!(f, "{} infinity", self.path),
            n => write!(f, "{} {n}", self.path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_limits_use_powers_of_1000() {
        let l = IoLimit::parse("/dev/vda 5M").unwrap();
        assert_eq!((l.path.as_str(), l.limit), ("/dev/vda", 5_000_000));
        assert_eq!(IoLimit::parse("/ infinity").unwrap().limit, u64::MAX);
        for bad in [
            "/dev/vda",
            "/dev/vda 0",
            "dev 1M",
            "/dev/vda 1.5M",
            "/dev/vda -1",
        ] {
            assert_eq!(IoLimit::parse(bad), None, "{bad}");
        }
    }
}
