//! The compiled-in profiles: strict, relaxed and offline.

use super::file_system::FileSystem;
use super::kernel::Kernel;
use super::network::Addresses;
use super::{Limit, Profile, Setting, Source};
use crate::sandbox::paths::ProtectSystem;

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
