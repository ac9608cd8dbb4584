//! The kernel-surface keys: systemd's ProtectKernel*, ProtectControlGroups and seccomp
//! settings, which systemd refuses on a scope. ssc builds their mount half in its
//! namespace (sandbox/plan.rs) and their seccomp half as filters installed just before
//! exec (seccomp/). Values are parsed as systemd parses them (seccomp/values.rs), and every
//! system call and group name is checked when the profile loads.

use std::fmt;

use super::parse_bool;
use crate::seccomp::values::{Archs, ErrorNumber, Families, Namespaces, SyscallList};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kernel {
    ProtectKernelTunables(bool),
    ProtectKernelModules(bool),
    ProtectKernelLogs(bool),
    ProtectControlGroups(bool),
    LockPersonality(bool),
    MemoryDenyWriteExecute(bool),
    RestrictRealtime(bool),
    RestrictSUIDSGID(bool),
    // The list keys: each line adds to the list (or merges), and an empty one resets it.
    SystemCallFilter(SyscallList),
    SystemCallArchitectures(Archs),
    RestrictAddressFamilies(Families),
    RestrictNamespaces(Namespaces),
    SystemCallErrorNumber(ErrorNumber),
}

impl Kernel {
    /// None if `key` is not one of these.
    pub fn parse(key: &str, value: &str) -> Option<Result<Kernel, String>> {
        let boolean = |make: fn(bool) -> Kernel| {
            parse_bool(value)
                .map(make)
                .ok_or_else(|| format!("bad value '{value}' for {key}: expected a boolean"))
        };
        Some(match key {
            "ProtectKernelTunables" => boolean(Kernel::ProtectKernelTunables),
            "ProtectKernelModules" => boolean(Kernel::ProtectKernelModules),
            "ProtectKernelLogs" => boolean(Kernel::ProtectKernelLogs),
            "ProtectControlGroups" => boolean(Kernel::ProtectControlGroups),
            "LockPersonality" => boolean(Kernel::LockPersonality),
            "MemoryDenyWriteExecute" => boolean(Kernel::MemoryDenyWriteExecute),
            "RestrictRealtime" => boolean(Kernel::RestrictRealtime),
            "RestrictSUIDSGID" => boolean(Kernel::RestrictSUIDSGID),
            "SystemCallFilter" => SyscallList::parse(value).map(Kernel::SystemCallFilter),
            "SystemCallArchitectures" => Archs::parse(value).map(Kernel::SystemCallArchitectures),
            "RestrictAddressFamilies" => {
                Families::parse(value).map(Kernel::RestrictAddressFamilies)
            }
            "RestrictNamespaces" => Namespaces::parse(value).map(Kernel::RestrictNamespaces),
            "SystemCallErrorNumber" => ErrorNumber::parse(value).map(Kernel::SystemCallErrorNumber),
            _ => return None,
        })
    }

    pub fn key(&self) -> &'static str {
        match self {
            Kernel::ProtectKernelTunables(_) => "ProtectKernelTunables",
            Kernel::ProtectKernelModules(_) => "ProtectKernelModules",
            Kernel::ProtectKernelLogs(_) => "ProtectKernelLogs",
            Kernel::ProtectControlGroups(_) => "ProtectControlGroups",
            Kernel::LockPersonality(_) => "LockPersonality",
            Kernel::MemoryDenyWriteExecute(_) => "MemoryDenyWriteExecute",
            Kernel::RestrictRealtime(_) => "RestrictRealtime",
            Kernel::RestrictSUIDSGID(_) => "RestrictSUIDSGID",
            Kernel::SystemCallFilter(_) => "SystemCallFilter",
            Kernel::SystemCallArchitectures(_) => "SystemCallArchitectures",
            Kernel::RestrictAddressFamilies(_) => "RestrictAddressFamilies",
            Kernel::RestrictNamespaces(_) => "RestrictNamespaces",
            Kernel::SystemCallErrorNumber(_) => "SystemCallErrorNumber",
        }
    }

    pub fn is_list(&self) -> bool {
        matches!(
            self,
            Kernel::SystemCallFilter(_)
                | Kernel::SystemCallArchitectures(_)
                | Kernel::RestrictAddressFamilies(_)
                | Kernel::RestrictNamespaces(_)
        )
    }

    /// Whether the line asks for anything. Every one that does implies NoNewPrivileges:
    /// a seccomp filter needs it, and a set-user-ID program must not run under a filter
    /// or in a tree the caller's profile shaped.
    pub fn protects(&self) -> bool {
        match self {
            Kernel::SystemCallFilter(l) => !l.is_reset(),
            Kernel::SystemCallArchitectures(a) => !a.0.is_empty(),
            Kernel::RestrictAddressFamilies(f) => *f != Families::Reset,
            Kernel::RestrictNamespaces(n) => *n != Namespaces::Reset,
            Kernel::SystemCallErrorNumber(_) => true,
            boolean => boolean.boolean() == Some(true),
        }
    }

    /// The value of a boolean key.
    fn boolean(&self) -> Option<bool> {
        match self {
            Kernel::ProtectKernelTunables(b)
            | Kernel::ProtectKernelModules(b)
            | Kernel::ProtectKernelLogs(b)
            | Kernel::ProtectControlGroups(b)
            | Kernel::LockPersonality(b)
            | Kernel::MemoryDenyWriteExecute(b)
            | Kernel::RestrictRealtime(b)
            | Kernel::RestrictSUIDSGID(b) => Some(*b),
            _ => None,
        }
    }
}

/// The value in systemd's syntax.
impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(b) = self.boolean() {
            return f.write_str(if b { "yes" } else { "no" });
        }
        match self {
            Kernel::SystemCallFilter(l) => write!(f, "{l}"),
            Kernel::SystemCallArchitectures(a) => write!(f, "{a}"),
            Kernel::RestrictAddressFamilies(a) => write!(f, "{a}"),
            Kernel::RestrictNamespaces(n) => write!(f, "{n}"),
            Kernel::SystemCallErrorNumber(e) => write!(f, "{e}"),
            _ => Ok(()),
        }
    }
}
