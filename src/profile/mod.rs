//! Isolation profiles: the compiled-in `strict` and `relaxed`, and admin files in
//! /etc/ssc/profiles.d/NAME.conf written in systemd's unit-file syntax.
//!
//! Only keys on the allow-list are accepted, and a file is trusted only if it and every
//! directory above it are owned by root and not writable by group or others.

use std::fmt;
use std::path::PathBuf;

pub mod cpu_set;
pub mod devices;
pub mod file_system;
pub mod io;
pub mod kernel;
mod load;
mod loosen;
pub mod managed_oom;
pub mod network;
mod parse;
mod policy;
mod trust;

use crate::sandbox::paths::ProtectSystem;
use cpu_set::CpuSet;
use devices::{DevicePolicy, DeviceRule};
use file_system::FileSystem;
use io::{IoLimit, IoLimitKind};
use kernel::Kernel;
pub use load::{load, load_all};
use managed_oom::{ManagedOOMMode, ManagedOOMPreference};
use network::{Addresses, Interfaces, SocketBind};
pub use parse::parse;
pub(crate) use parse::{parse_bool, parse_percent};
pub use policy::Policy;
pub(crate) use trust::TrustedDir;

pub const PROFILE_DIR: &str = "/etc/ssc/profiles.d";
pub const DEFAULT_PROFILE: &str = "strict";
const BUILT_IN: [&str; 3] = ["offline", "relaxed", "strict"];
/// Every key a profile may set, in systemd's spelling: the allow-list. The parser, its
/// error message, ssc.profile(5)'s test and ssc-gen all read it from here.
pub const KEYS: [&str; 49] = [
    "Description",
    "MemoryMax",
    "MemoryHigh",
    "MemorySwapMax",
    "MemoryLow",
    "MemoryMin",
    "CPUQuota",
    "CPUWeight",
    "AllowedCPUs",
    "IOWeight",
    "IOReadBandwidthMax",
    "IOWriteBandwidthMax",
    "IOReadIOPSMax",
    "IOWriteIOPSMax",
    "TasksMax",
    "IPAddressAllow",
    "IPAddressDeny",
    "RestrictNetworkInterfaces",
    "SocketBindAllow",
    "SocketBindDeny",
    "DevicePolicy",
    "DeviceAllow",
    "ManagedOOMMemoryPressure",
    "ManagedOOMMemoryPressureLimit",
    "ManagedOOMPreference",
    "RuntimeMaxSec",
    "PrivateTmp",
    "NoNewPrivileges",
    "ProtectSystem",
    "ProtectHome",
    "ReadWritePaths",
    "ReadOnlyPaths",
    "InaccessiblePaths",
    "TemporaryFileSystem",
    "BindPaths",
    "BindReadOnlyPaths",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "SystemCallFilter",
    "SystemCallErrorNumber",
    "SystemCallArchitectures",
    "RestrictAddressFamilies",
    "RestrictNamespaces",
    "LockPersonality",
    "MemoryDenyWriteExecute",
    "RestrictRealtime",
    "RestrictSUIDSGID",
];
/// A memory or task limit as systemd writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Bytes for memory, a count for TasksMax.
    Absolute(u64),
    /// Hundredths of a percent of physical memory or of the system's task limit.
    Permyriad(u32),
    Infinity,
}

/// One allowed setting. Names and value syntax are systemd's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    Description(String),
    MemoryMax(Limit),
    MemoryHigh(Limit),
    MemorySwapMax(Limit),
    /// Hundredths of a percent of one CPU; may exceed 10000.
    CPUQuota(u64),
    CPUWeight(u64),
    IOWeight(u64),
    TasksMax(Limit),
    PrivateTmp(bool),
    NoNewPrivileges(bool),
    MemoryLow(Limit),
    MemoryMin(Limit),
    AllowedCPUs(CpuSet),
    // The list keys: each line adds to the list, and an empty one resets it.
    IPAddressAllow(Addresses),
    IPAddressDeny(Addresses),
    RestrictNetworkInterfaces(Interfaces),
    SocketBindAllow(Option<SocketBind>),
    SocketBindDeny(Option<SocketBind>),
    DeviceAllow(Option<DeviceRule>),
    IOLimit(IoLimitKind, Option<IoLimit>),
    DevicePolicy(DevicePolicy),
    ManagedOOMMemoryPressure(ManagedOOMMode),
    /// Hundredths of a percent, at most 10000.
    ManagedOOMMemoryPressureLimit(u32),
    ManagedOOMPreference(ManagedOOMPreference),
    /// Microseconds (u64::MAX: infinity), and the value as written.
    RuntimeMaxSec(u64, String),
    /// A file-system key, and the line it was written on (0 in a built-in profile).
    FileSystem(FileSystem, usize),
    /// A kernel-surface key, and the line it was written on (0 in a built-in profile).
    Kernel(Kernel, usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    BuiltIn,
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::BuiltIn => f.write_str("built-in"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub source: Source,
    /// In the order written; each key at most once.
    pub settings: Vec<Setting>,
}

impl Profile {
    pub fn private_tmp(&self) -> bool {
        self.settings.contains(&Setting::PrivateTmp(true))
    }

    /// Whether the profile asks for a file-system setting (file_system.rs).
    pub fn protects_file_system(&self) -> bool {
        self.settings
            .iter()
            .any(|s| matches!(s, Setting::FileSystem(f, _) if f.protects()))
    }

    /// PrivateTmp and the file-system keys imply it: a set-user-ID program must not run
    /// in a tree that the caller's own processes shaped.
    /// caller's own processes shaped.
    pub fn no_new_privileges(&self) -> bool {
        self.settings.contains(&Setting::NoNewPrivileges(true))
            || self.private_tmp()
            || self.protects_file_system()
            || self.protects_kernel()
    }

    /// Whether the profile asks for a kernel-surface setting (kernel.rs).
    pub fn protects_kernel(&self) -> bool {
        self.settings
            .iter()
            .any(|s| matches!(s, Setting::Kernel(k, _) if k.protects()))
    }

    /// The settings systemd merges from this profile's lines.
    pub fn policy(&self) -> Policy {
        Policy::of(self)
    }
}

impl Setting {
    pub fn key(&self) -> &'static str {
        match self {
            Setting::Description(_) => "Description",
            Setting::MemoryMax(_) => "MemoryMax",
            Setting::MemoryHigh(_) => "MemoryHigh",
            Setting::MemorySwapMax(_) => "MemorySwapMax",
            Setting::CPUQuota(_) => "CPUQuota",
            Setting::CPUWeight(_) => "CPUWeight",
            Setting::IOWeight(_) => "IOWeight",
            Setting::TasksMax(_) => "TasksMax",
            Setting::PrivateTmp(_) => "PrivateTmp",
            Setting::NoNewPrivileges(_) => "NoNewPrivileges",
            Setting::MemoryLow(_) => "MemoryLow",
            Setting::MemoryMin(_) => "MemoryMin",
            Setting::AllowedCPUs(_) => "AllowedCPUs",
            Setting::IPAddressAllow(_) => "IPAddressAllow",
            Setting::IPAddressDeny(_) => "IPAddressDeny",
            Setting::RestrictNetworkInterfaces(_) => "RestrictNetworkInterfaces",
            Setting::SocketBindAllow(_) => "SocketBindAllow",
            Setting::SocketBindDeny(_) => "SocketBindDeny",
            Setting::DeviceAllow(_) => "DeviceAllow",
            Setting::IOLimit(kind, _) => kind.key(),
            Setting::DevicePolicy(_) => "DevicePolicy",
            Setting::ManagedOOMMemoryPressure(_) => "ManagedOOMMemoryPressure",
            Setting::ManagedOOMMemoryPressureLimit(_) => "ManagedOOMMemoryPressureLimit",
            Setting::ManagedOOMPreference(_) => "ManagedOOMPreference",
            Setting::RuntimeMaxSec(..) => "RuntimeMaxSec",
            Setting::FileSystem(f, _) => f.key(),
            Setting::Kernel(k, _) => k.key(),
        }
    }

    /// A list key: it may be given again, and an empty value resets it, as in systemd.
    pub fn is_list(&self) -> bool {
        matches!(
            self,
            Setting::IPAddressAllow(_)
                | Setting::IPAddressDeny(_)
                | Setting::RestrictNetworkInterfaces(_)
                | Setting::SocketBindAllow(_)
                | Setting::SocketBindDeny(_)
                | Setting::DeviceAllow(_)
                | Setting::IOLimit(..)
        ) || matches!(self, Setting::FileSystem(f, _) if f.is_list())
            || matches!(self, Setting::Kernel(k, _) if k.is_list())
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Absolute(n) => write!(f, "{n}"),
            Limit::Permyriad(p) => write_percent(f, u64::from(*p)),
            Limit::Infinity => f.write_str("infinity"),
        }
    }
}

fn write_percent(f: &mut fmt::Formatter<'_>, permyriad: u64) -> fmt::Result {
    match permyriad % 100 {
        0 => write!(f, "{}%", permyriad / 100),
        r => write!(f, "{}.{:02}%", permyriad / 100, r),
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=", self.key())?;
        match self {
            Setting::Description(d) => f.write_str(d),
            Setting::MemoryMax(l)
            | Setting::MemoryHigh(l)
            | Setting::MemorySwapMax(l)
            | Setting::MemoryLow(l)
            | Setting::MemoryMin(l)
            | Setting::TasksMax(l) => write!(f, "{l}"),
            Setting::CPUQuota(p) => write_percent(f, *p),
            Setting::ManagedOOMMemoryPressureLimit(p) => write_percent(f, u64::from(*p)),
            Setting::CPUWeight(w) | Setting::IOWeight(w) => write!(f, "{w}"),
            Setting::PrivateTmp(b) | Setting::NoNewPrivileges(b) => {
                f.write_str(if *b { "yes" } else { "no" })
            }
            Setting::AllowedCPUs(c) => write!(f, "{c}"),
            Setting::IPAddressAllow(a) | Setting::IPAddressDeny(a) => f.write_str(&a.written),
            Setting::RestrictNetworkInterfaces(i) => write!(f, "{i}"),
            Setting::SocketBindAllow(b) | Setting::SocketBindDeny(b) => {
                b.map_or(Ok(()), |b| write!(f, "{b}"))
            }
            Setting::DeviceAllow(d) => d.as_ref().map_or(Ok(()), |d| write!(f, "{d}")),
            Setting::IOLimit(_, l) => l.as_ref().map_or(Ok(()), |l| write!(f, "{l}")),
            Setting::DevicePolicy(p) => f.write_str(p.as_str()),
            Setting::ManagedOOMMemoryPressure(m) => f.write_str(m.as_str()),
            Setting::ManagedOOMPreference(p) => f.write_str(p.as_str()),
            Setting::RuntimeMaxSec(_, written) => f.write_str(written),
            Setting::FileSystem(fs, _) => write!(f, "{fs}"),
            Setting::Kernel(k, _) => write!(f, "{k}"),
        }
    }
}

/// `strict`'s CPUQuota: all online CPUs but one, and never less than one whole CPU.
pub fn strict_cpu_quota(online_cpus: u64) -> u64 {
    online_cpus.saturating_sub(1).max(1) * 10_000
}

pub fn built_in(name: &str, online_cpus: u64) -> Option<Profile> {
    let settings = match name {
        "strict" => vec![
            Setting::Description("Built-in strict isolation".into()),
            Setting::MemoryMax(Limit::Permyriad(7_000)),
            Setting::CPUQuota(strict_cpu_quota(online_cpus)),
            Setting::PrivateTmp(true),
            Setting::NoNewPrivileges(true),
            // /usr, /boot, /efi and /etc read-only.
            Setting::FileSystem(FileSystem::ProtectSystem(ProtectSystem::Full), 0),
            // The kernel's tunables, modules, logs and cgroup tree, and what browsers and
            // 32-bit programs do not need; not MemoryDenyWriteExecute (every JavaScript
            // engine writes code), RestrictNamespaces (the browsers' own sandboxes) or
            // SystemCallArchitectures (32-bit programs). See ssc.profile(5).
            Setting::Kernel(Kernel::ProtectKernelTunables(true), 0),
            Setting::Kernel(Kernel::ProtectKernelModules(true), 0),
            Setting::Kernel(Kernel::ProtectKernelLogs(true), 0),
            Setting::Kernel(Kernel::ProtectControlGroups(true), 0),
            Setting::Kernel(Kernel::LockPersonality(true), 0),
            Setting::Kernel(Kernel::RestrictRealtime(true), 0),
            Setting::Kernel(Kernel::RestrictSUIDSGID(true), 0),
        ],
        "relaxed" => vec![
            Setting::Description("Built-in relaxed isolation".into()),
            Setting::MemoryMax(Limit::Permyriad(7_000)),
        ],
        // strict, and no IPv4 or IPv6 at all, loopback included. AF_UNIX still works.
        "offline" => {
            let mut settings = built_in("strict", online_cpus)?.settings;
            settings[0] = Setting::Description("Built-in strict isolation, offline".into());
            settings.push(Setting::IPAddressDeny(Addresses::parse("any")?));
            settings
        }
        _ => return None,
    };
    Some(Profile {
        name: name.into(),
        source: Source::BuiltIn,
        settings,
    })
}

/// `[a-z0-9][a-z0-9_-]{0,31}`: never a path, always a valid unit-name fragment.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::trust::TrustedDir;
    use super::*;
    use crate::error::Result;
    use crate::properties::{bus_properties, scale_from_permyriad, BusValue};

    fn p(text: &str) -> Result<Profile> {
        parse("web", Path::new("/etc/ssc/profiles.d/web.conf"), text)
    }

    #[test]
    fn names() {
        for ok in ["strict", "a", "0web", "x_y-z", &"a".repeat(32)] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "Web",
            "a/b",
            "..",
            "a.conf",
            &"a".repeat(33),
            "é",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn strict_quota_follows_online_cpus() {
        assert_eq!(strict_cpu_quota(1), 10_000);
        assert_eq!(strict_cpu_quota(2), 10_000);
        assert_eq!(strict_cpu_quota(8), 70_000);
        let strict = built_in("strict", 4).unwrap();
        assert!(strict.private_tmp() && strict.no_new_privileges());
        assert!(strict.settings.contains(&Setting::CPUQuota(30_000)));
        let relaxed = built_in("relaxed", 4).unwrap();
        assert!(!relaxed.private_tmp() && !relaxed.no_new_privileges());
        assert_eq!(
            bus_properties(&relaxed),
            vec![(
                "MemoryMaxScale",
                BusValue::U32(3_006_477_107),
                "MemoryMax=70%".to_string()
            )]
        );
    }

    #[test]
    fn full_profile_translates_like_systemd_run() {
        let prof = p(
            "# web browsers\n[Profile]\n; comment\n\nDescription=Web browsers\n\
             MemoryMax=2G\nMemoryHigh=50%\nMemorySwapMax=0\nCPUQuota=150%\nCPUWeight=50\n\
             IOWeight=10000\nTasksMax=infinity\nPrivateTmp=no\nNoNewPrivileges=off\n",
        )
        .unwrap();
        assert_eq!(
            prof.settings[0],
            Setting::Description("Web browsers".into())
        );
        assert!(!prof.private_tmp());
        assert!(!prof.no_new_privileges());
        let props: Vec<_> = bus_properties(&prof)
            .into_iter()
            .map(|(n, v, _)| (n, v))
            .collect();
        assert_eq!(
            props,
            vec![
                ("MemoryMax", BusValue::U64(2 << 30)),
                ("MemoryHighScale", BusValue::U32(2_147_483_648)),
                ("MemorySwapMax", BusValue::U64(0)),
                ("CPUQuotaPerSecUSec", BusValue::U64(1_500_000)),
                ("CPUWeight", BusValue::U64(50)),
                ("IOWeight", BusValue::U64(10_000)),
                ("TasksMax", BusValue::U64(u64::MAX)),
            ]
        );
    }

    #[test]
    fn values_round_trip_in_systemd_syntax() {
        let prof =
            p("[Profile]\nMemoryMax=12.5%\nCPUQuota=20%\nTasksMax=64\nMemoryHigh=512M\n").unwrap();
        let shown: Vec<String> = prof.settings.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            shown,
            [
                "MemoryMax=12.50%",
                "CPUQuota=20%",
                "TasksMax=64",
                "MemoryHigh=536870912"
            ]
        );
        assert_eq!(scale_from_permyriad(10_000), u32::MAX);
        assert_eq!(scale_from_permyriad(0), 0);
    }

    #[test]
    fn refusals_name_file_and_line() {
        let cases = [
            (
                "[Profile]\nMemoryMax=1G\nExecStart=/bin/sh\n",
                ":3: unknown key 'ExecStart'",
            ),
            ("MemoryMax=1G\n", ":1: missing section"),
            ("[Service]\nMemoryMax=1G\n", ":1: unknown section [Service]"),
            (
                "[Profile]\nMemoryMax=lots\n",
                ":2: bad value 'lots' for MemoryMax",
            ),
            ("[Profile]\nMemoryMax=101%\n", ":2: bad value '101%'"),
            ("[Profile]\nMemoryMax=\n", ":2: bad value '' for MemoryMax"),
            (
                "[Profile]\nCPUQuota=0%\n",
                ":2: bad value '0%' for CPUQuota",
            ),
            (
                "[Profile]\nCPUQuota=50\n",
                ":2: bad value '50' for CPUQuota",
            ),
            (
                "[Profile]\nCPUWeight=0\n",
                ":2: bad value '0' for CPUWeight",
            ),
            (
                "[Profile]\nPrivateTmp=maybe\n",
                ":2: bad value 'maybe' for PrivateTmp",
            ),
            (
                "[Profile]\nTasksMax=-1\n",
                ":2: bad value '-1' for TasksMax",
            ),
            ("[Profile]\nMemoryMax=99999999999T\n", ":2: bad value"),
            (
                "[Profile]\nMemoryMax=1G\nMemoryMax=2G\n",
                ":3: MemoryMax already set on line 2",
            ),
            ("[Profile]\nmemorymax=1G\n", ":2: unknown key 'memorymax'"),
            (
                "[Profile]\nIPAddressDeny=any localhost\n",
                ":2: bad value 'any localhost' for IPAddressDeny",
            ),
            (
                "[Profile]\nDeviceAllow=/etc/shadow rw\n",
                ":2: bad value '/etc/shadow rw' for DeviceAllow",
            ),
            ("[Profile]\nAllowedCPUs=3-1\n", ":2: bad value '3-1'"),
            ("[Profile]\nSocketBindAllow=0\n", ":2: bad value '0'"),
            (
                "[Profile]\nDevicePolicy=closed\nDeviceAllow=char-drm\nDevicePolicy=strict\n",
                ":4: DevicePolicy already set on line 2",
            ),
            (
                "[Profile]\nRuntimeMaxSec=1h\nRuntimeMaxSec=2h\n",
                ":3: RuntimeMaxSec already set on line 2",
            ),
            ("[Profile]\njust words\n", ":2: expected Key=Value"),
            ("", "missing section [Profile]"),
        ];
        for (text, want) in cases {
            let e = p(text).unwrap_err().to_string();
            assert!(e.starts_with("/etc/ssc/profiles.d/web.conf"), "{e}");
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn private_tmp_implies_no_new_privileges() {
        let prof = p("[Profile]\nPrivateTmp=yes\n").unwrap();
        assert!(prof.no_new_privileges());
        let e = p("[Profile]\nPrivateTmp=yes\nNoNewPrivileges=no\n").unwrap_err();
        assert!(
            e.to_string()
                .contains(":3: NoNewPrivileges=no contradicts PrivateTmp=yes"),
            "{e}"
        );
        assert!(p("[Profile]\nPrivateTmp=no\nNoNewPrivileges=no\n").is_ok());
    }

    #[test]
    fn huge_cpu_quota_is_refused_not_wrapped() {
        let e = p(&format!("[Profile]\nCPUQuota={}%\n", u64::MAX / 100)).unwrap_err();
        assert!(e.to_string().contains("bad value"), "{e}");
        assert!(p(&format!("[Profile]\nCPUQuota={}%\n", u64::MAX / 10_000)).is_ok());
    }

    #[test]
    fn list_keys_may_repeat() {
        let prof = p("[Profile]\nIPAddressAllow=localhost\nIPAddressAllow=10.0.0.0/8\nDeviceAllow=/dev/null r\nDeviceAllow=\nIOWriteBandwidthMax=/dev/vda 1M\nIOWriteBandwidthMax=/dev/vdb 2M\n").unwrap();
        assert_eq!(prof.settings.len(), 6);
        assert!(prof.settings.iter().all(Setting::is_list));
    }

    #[test]
    fn empty_profile_section_is_valid() {
        let prof = p("[Profile]\n").unwrap();
        assert!(prof.settings.is_empty());
        assert!(bus_properties(&prof).is_empty());
    }

    #[test]
    fn refuses_untrusted_directories() {
        // /tmp is world-writable: nothing below it can hold profiles.
        let dir = std::env::temp_dir().join(format!("ssc-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = TrustedDir::open(&dir).err().expect("refused").to_string();
        let _ = std::fs::remove_dir(&dir);
        assert!(e.contains("writable by group or others"), "{e}");
    }
}
