//! A profile's seccomp keys, accumulated line by line as systemd's load-fragment.c does:
//! the allow or deny list of SystemCallFilter= with its per-call errno, the address
//! families, the namespace types kept, the architectures.

use std::collections::{BTreeMap, BTreeSet};

use super::groups::GROUPS;
use super::libseccomp::{self, Arch};
use super::values::{ErrorNumber, Families, SyscallList};
use crate::profile::kernel::Kernel;
use crate::profile::{Profile, Setting, Source};

/// SystemCallFilter=: systemd's syscall_filter hashmap and syscall_allow_list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallFilter {
    pub allow_list: bool,
    /// Native system call number (libseccomp's negative pseudo-number for a call only
    /// other ABIs have), and the errno the entry was given, if any.
    pub calls: BTreeMap<i32, Option<ErrorNumber>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// ssc's own: no TIOCSTI or TIOCLINUX under NoNewPrivileges.
    pub terminal: bool,
    /// systemd's address_families_allow_list and address_families: an allow list with
    /// no set (`none`) allows no family.
    pub address_families: (bool, Option<BTreeSet<i32>>),
    pub memory_deny_write_execute: bool,
    pub restrict_realtime: bool,
    pub restrict_suid_sgid: bool,
    /// The namespace types kept; None: RestrictNamespaces= not set.
    pub restrict_namespaces: Option<u64>,
    pub protect_kernel_tunables: bool,
    pub protect_kernel_modules: bool,
    pub protect_kernel_logs: bool,
    pub archs: BTreeSet<Arch>,
    pub lock_personality: bool,
    pub syscall_filter: Option<SyscallFilter>,
    pub syscall_errno: ErrorNumber,
    /// Where each key was set: "FILE:LINE[,LINE...]" or "built-in NAME".
    pub at: BTreeMap<&'static str, String>,
}

impl Settings {
    pub fn of(profile: &Profile) -> Settings {
        let mut s = Settings {
            terminal: profile.no_new_privileges(),
            address_families: (false, None),
            memory_deny_write_execute: false,
            restrict_realtime: false,
            restrict_suid_sgid: false,
            restrict_namespaces: None,
            protect_kernel_tunables: false,
            protect_kernel_modules: false,
            protect_kernel_logs: false,
            archs: BTreeSet::new(),
            lock_personality: false,
            syscall_filter: None,
            syscall_errno: ErrorNumber::Kill,
            at: BTreeMap::new(),
        };
        for setting in &profile.settings {
            let Setting::Kernel(k, line) = setting else {
                continue;
            };
            let at = match &profile.source {
                Source::BuiltIn => format!("built-in {}", profile.name),
                Source::File(p) => format!("{}:{line}", p.display()),
            };
            s.at.entry(k.key())
                .and_modify(|a| a.push_str(&format!(",{line}")))
                .or_insert(at);
            match k {
                Kernel::ProtectKernelTunables(b) => s.protect_kernel_tunables = *b,
                Kernel::ProtectKernelModules(b) => s.protect_kernel_modules = *b,
                Kernel::ProtectKernelLogs(b) => s.protect_kernel_logs = *b,
                // The mount half only (sandbox/plan.rs): systemd has no filter for it.
                Kernel::ProtectControlGroups(_) => {}
                Kernel::LockPersonality(b) => s.lock_personality = *b,
                Kernel::MemoryDenyWriteExecute(b) => s.memory_deny_write_execute = *b,
                Kernel::RestrictRealtime(b) => s.restrict_realtime = *b,
                Kernel::RestrictSUIDSGID(b) => s.restrict_suid_sgid = *b,
                Kernel::SystemCallErrorNumber(e) => s.syscall_errno = *e,
                Kernel::SystemCallArchitectures(a) if a.0.is_empty() => s.archs.clear(),
                Kernel::SystemCallArchitectures(a) => s.archs.extend(a.0.iter().map(|(_, t)| t)),
                Kernel::RestrictNamespaces(n) => {
                    s.restrict_namespaces = n.apply(s.restrict_namespaces)
                }
                Kernel::RestrictAddressFamilies(f) => add_families(&mut s.address_families, f),
                Kernel::SystemCallFilter(l) => add_syscalls(&mut s.syscall_filter, l),
            }
        }
        s
    }
}

/// config_parse_address_families().
fn add_families((allow_list, set): &mut (bool, Option<BTreeSet<i32>>), line: &Families) {
    match line {
        Families::Reset => (*allow_list, *set) = (false, None),
        Families::None => (*allow_list, *set) = (true, None),
        Families::List { invert, families } => {
            let set = set.get_or_insert_with(|| {
                *allow_list = !invert;
                BTreeSet::new()
            });
            for &(_, af) in families {
                match *invert != *allow_list {
                    true => set.insert(af),
                    false => set.remove(&af),
                };
            }
        }
    }
}

/// config_parse_syscall_filter(): the first line decides allow or deny list, and an
/// allow list starts with @default.
fn add_syscalls(current: &mut Option<SyscallFilter>, line: &SyscallList) {
    if line.is_reset() {
        *current = None;
        return;
    }
    let filter = current.get_or_insert_with(|| {
        let mut f = SyscallFilter {
            allow_list: !line.invert,
            calls: BTreeMap::new(),
        };
        if f.allow_list {
            parse_filter(&mut f, "@default", None, false);
        }
        f
    });
    for (name, errno) in &line.entries {
        parse_filter(filter, name, *errno, line.invert);
    }
}

/// seccomp_parse_syscall_filter(): a name a line adds to the list, or takes out of it.
/// Group members libseccomp does not know are skipped, as systemd skips them; a name the
/// profile wrote itself was checked when it loaded (values.rs).
fn parse_filter(f: &mut SyscallFilter, name: &str, errno: Option<ErrorNumber>, invert: bool) {
    if name.starts_with('@') {
        let members = GROUPS.iter().find(|(g, _)| *g == name).map(|(_, m)| *m);
        for member in members.unwrap_or_default() {
            parse_filter(f, member, errno, invert);
        }
        return;
    }
    let Some(nr) = libseccomp::resolve(name) else {
        return;
    };
    if invert != f.allow_list || (invert && f.allow_list && errno.is_some()) {
        f.calls.insert(nr, errno);
    } else {
        f.calls.remove(&nr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse;
    use std::path::Path;

    fn settings(text: &str) -> Settings {
        let p = parse("k", Path::new("/etc/ssc/profiles.d/k.conf"), text).unwrap();
        Settings::of(&p)
    }

    fn nr(name: &str) -> i32 {
        libseccomp::resolve(name).unwrap()
    }

    #[test]
    fn an_allow_list_starts_with_default_and_later_lines_edit_it() {
        let s = settings("[Profile]\nSystemCallFilter=@basic-io\nSystemCallFilter=~write\n");
        let f = s.syscall_filter.unwrap();
        assert!(f.allow_list);
        assert!(f.calls.contains_key(&nr("execve")), "@default is implied");
        assert!(f.calls.contains_key(&nr("read")));
        assert!(!f.calls.contains_key(&nr("write")), "~ takes it out again");
        assert!(!f.calls.contains_key(&nr("mount")));
        assert!(s.terminal, "a seccomp key implies NoNewPrivileges");
        assert_eq!(s.at["SystemCallFilter"], "/etc/ssc/profiles.d/k.conf:2,3");
    }

    #[test]
    fn a_deny_list_keeps_each_calls_errno_and_an_allow_line_removes_it() {
        let s = settings(
            "[Profile]\nSystemCallFilter=~@mount unshare:ENOENT\nSystemCallFilter=umount2\n\
             SystemCallErrorNumber=EACCES\n",
        );
        let f = s.syscall_filter.unwrap();
        assert!(!f.allow_list);
        assert_eq!(f.calls[&nr("unshare")], Some(ErrorNumber::Errno(2)));
        assert_eq!(f.calls[&nr("mount")], None);
        assert!(!f.calls.contains_key(&nr("umount2")));
        assert!(
            !f.calls.contains_key(&nr("execve")),
            "no @default in a deny list"
        );
        assert_eq!(s.syscall_errno, ErrorNumber::Errno(13));
    }

    #[test]
    fn in_an_allow_list_a_denied_call_with_an_errno_stays_with_it() {
        let f = settings(
            "[Profile]\nSystemCallFilter=@system-service\nSystemCallFilter=~mount:EPERM\n",
        )
        .syscall_filter
        .unwrap();
        assert_eq!(f.calls[&nr("mount")], Some(ErrorNumber::Errno(1)));
        let f = settings("[Profile]\nSystemCallFilter=@system-service\nSystemCallFilter=~read\n")
            .syscall_filter
            .unwrap();
        assert!(!f.calls.contains_key(&nr("read")));
    }

    #[test]
    fn an_empty_line_resets_and_the_next_decides_again() {
        let f = settings(
            "[Profile]\nSystemCallFilter=read\nSystemCallFilter=\nSystemCallFilter=~mount\n",
        )
        .syscall_filter
        .unwrap();
        assert!(!f.allow_list);
        assert_eq!(
            f.calls.keys().copied().collect::<Vec<_>>(),
            vec![nr("mount")]
        );
    }

    #[test]
    fn address_families_follow_the_first_lines_kind() {
        let s = settings(
            "[Profile]\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\nRestrictAddressFamilies=~AF_INET6\n",
        );
        assert_eq!(s.address_families, (true, Some(BTreeSet::from([1, 2]))));
        let s = settings(
            "[Profile]\nRestrictAddressFamilies=~AF_PACKET\nRestrictAddressFamilies=none\n",
        );
        assert_eq!(s.address_families, (true, None));
        // After none, the next line starts a list of its own kind, as in systemd.
        let s =
            settings("[Profile]\nRestrictAddressFamilies=none\nRestrictAddressFamilies=~AF_INET\n");
        assert_eq!(s.address_families, (false, Some(BTreeSet::from([2]))));
        let s = settings("[Profile]\nRestrictAddressFamilies=none\nRestrictAddressFamilies=\n");
        assert_eq!(s.address_families, (false, None));
    }
}
