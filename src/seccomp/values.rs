//! The values of systemd's seccomp settings, parsed as systemd's load-fragment.c parses
//! them, but strictly: where systemd logs "ignoring" and carries on without a word or a
//! line, ssc refuses the profile, so that a typo never leaves a command unfiltered.
//! Words are split at whitespace; quotes and escapes are refused.

use std::fmt;

use super::groups::GROUPS;
use super::libseccomp::{self, Arch};
use super::names::{self, ALL_NAMESPACES, NAMESPACES};

/// What a denied system call gets: SystemCallErrorNumber= and `NAME:ERRNO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorNumber {
    /// The process is killed with SIGSYS: systemd's default.
    Kill,
    Errno(u16),
}

impl ErrorNumber {
    /// SystemCallErrorNumber=: empty or `kill` is the default; 0 is refused, as systemd
    /// ignores it.
    pub fn parse(value: &str) -> Result<ErrorNumber, String> {
        match value {
            "" | "kill" => Ok(ErrorNumber::Kill),
            v => match names::errno_from_str(v) {
                Some(0) | None => Err(format!(
                    "'{v}' is not an errno name (EPERM...) or a number from 1 to 4095, or kill"
                )),
                Some(n) => Ok(ErrorNumber::Errno(n)),
            },
        }
    }

    /// The `:ERRNO` of a SystemCallFilter= entry: seccomp_parse_errno_or_action().
    fn parse_suffix(value: &str) -> Result<ErrorNumber, String> {
        match value {
            "kill" => Ok(ErrorNumber::Kill),
            v => names::errno_from_str(v)
                .map(ErrorNumber::Errno)
                .ok_or_else(|| {
                    format!(
                        "'{v}' is not an errno name (EPERM...) or a number from 0 to 4095, or kill"
                    )
                }),
        }
    }
}

impl fmt::Display for ErrorNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorNumber::Kill => f.write_str("kill"),
            ErrorNumber::Errno(n) => f.write_str(&names::errno_name(*n)),
        }
    }
}

/// One SystemCallFilter= line. An empty one resets the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallList {
    /// `~`: the names are denied, not allowed.
    pub invert: bool,
    /// A system call or `@group` name, and its own errno (deny lists only).
    pub entries: Vec<(String, Option<ErrorNumber>)>,
    written: String,
}

impl SyscallList {
    pub fn parse(value: &str) -> Result<SyscallList, String> {
        let (invert, rest) = match value.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let mut entries = Vec::new();
        for word in words(rest)? {
            let (name, errno) = match word.split_once(':') {
                Some((name, e)) => (name, Some(ErrorNumber::parse_suffix(e)?)),
                None => (word, None),
            };
            if errno.is_some() && !invert {
                return Err(format!(
                    "{word}: only a deny list (~) takes an error number, as in systemd"
                ));
            }
            check_syscall_name(name)?;
            entries.push((name.to_string(), errno));
        }
        Ok(SyscallList {
            invert,
            entries,
            written: value.to_string(),
        })
    }

    pub fn is_reset(&self) -> bool {
        !self.invert && self.entries.is_empty()
    }
}

/// A name the profile writes must be a group ssc knows or a system call libseccomp
/// knows; systemd ignores one it does not know.
fn check_syscall_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an empty system call name".into());
    }
    if name.starts_with('@') {
        return match GROUPS.iter().any(|(g, _)| *g == name) {
            true => Ok(()),
            false => Err(format!(
                "unknown system call group {name} (ssc --list-syscall-groups lists them)"
            )),
        };
    }
    match libseccomp::resolve(name) {
        Some(_) => Ok(()),
        None => Err(format!("unknown system call {name}")),
    }
}

impl fmt::Display for SyscallList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// SystemCallArchitectures=: the architectures this machine runs, by systemd's names.
/// An empty value resets the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archs(pub Vec<(String, Arch)>);

impl Archs {
    pub fn parse(value: &str) -> Result<Archs, String> {
        let mut archs = Vec::new();
        for word in words(value)? {
            let arch = match word {
                "native" => libseccomp::native(),
                "x86" => libseccomp::X86,
                "x86-64" => libseccomp::X86_64,
                "x32" => libseccomp::X32,
                w => {
                    return Err(format!(
                        "{w}: expected native, x86, x86-64 or x32 (the ABIs of this machine)"
                    ))
                }
            };
            archs.push((word.to_string(), arch));
        }
        Ok(Archs(archs))
    }
}

impl fmt::Display for Archs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|(n, _)| n.as_str()).collect();
        f.write_str(&names.join(" "))
    }
}

/// RestrictAddressFamilies=.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Families {
    /// An empty value: the list is reset.
    Reset,
    /// `none`: no family at all.
    None,
    /// `[~]AF_...`: allowed, or with `~` denied.
    List {
        invert: bool,
        families: Vec<(String, i32)>,
    },
}

impl Families {
    pub fn parse(value: &str) -> Result<Families, String> {
        match value {
            "" => return Ok(Families::Reset),
            "none" => return Ok(Families::None),
            _ => {}
        }
        let (invert, rest) = match value.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let mut families = Vec::new();
        for word in words(rest)? {
            let af = names::family_from_str(word)
                .ok_or_else(|| format!("unknown address family {word}"))?;
            families.push((word.to_string(), af));
        }
        Ok(Families::List { invert, families })
    }
}

impl fmt::Display for Families {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Families::Reset => Ok(()),
            Families::None => f.write_str("none"),
            Families::List { invert, families } => {
                let names: Vec<&str> = families.iter().map(|(n, _)| n.as_str()).collect();
                write!(f, "{}{}", if *invert { "~" } else { "" }, names.join(" "))
            }
        }
    }
}

/// RestrictNamespaces=.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    /// An empty value: back to the default, nothing restricted.
    Reset,
    /// `yes` (none kept) or `no` (all kept): replaces what came before.
    Bool(bool),
    /// `[~]TYPE...`: the types kept, or with `~` the types taken away.
    List {
        invert: bool,
        flags: u64,
        written: String,
    },
}

impl Namespaces {
    pub fn parse(value: &str) -> Result<Namespaces, String> {
        if value.is_empty() {
            return Ok(Namespaces::Reset);
        }
        if let Some(b) = crate::profile::parse_bool(value) {
            return Ok(Namespaces::Bool(b));
        }
        let (invert, rest) = match value.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let mut flags = 0;
        for word in words(rest)? {
            let &(_, f) = NAMESPACES.iter().find(|(n, _)| *n == word).ok_or_else(|| {
                format!("unknown namespace type {word}: expected cgroup, ipc, net, mnt, pid, user or uts")
            })?;
            flags |= f;
        }
        Ok(Namespaces::List {
            invert,
            flags,
            written: value.to_string(),
        })
    }

    /// config_parse_restrict_namespaces(): the namespace types kept after this line,
    /// given those kept before it (None: the key was never set).
    pub fn apply(&self, kept: Option<u64>) -> Option<u64> {
        match self {
            Namespaces::Reset => None,
            Namespaces::Bool(restrict) => Some(if *restrict { 0 } else { ALL_NAMESPACES }),
            Namespaces::List { invert, flags, .. } => Some(match (kept, invert) {
                (None, false) => *flags,
                (None, true) => !flags & ALL_NAMESPACES,
                (Some(k), false) => k | flags,
                (Some(k), true) => k & !flags,
            }),
        }
    }
}

impl fmt::Display for Namespaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Namespaces::Reset => Ok(()),
            Namespaces::Bool(b) => f.write_str(if *b { "yes" } else { "no" }),
            Namespaces::List { written, .. } => f.write_str(written),
        }
    }
}

/// extract_first_word() without quoting: ssc refuses quotes and escapes instead.
fn words(value: &str) -> Result<Vec<&str>, String> {
    if value.contains(['"', '\'', '\\']) {
        return Err("quotes and backslashes are not supported here".into());
    }
    Ok(value.split_ascii_whitespace().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_lists_parse_as_systemd_writes_them() {
        let l = SyscallList::parse("~@mount unshare:ENOENT personality:kill").unwrap();
        assert!(l.invert);
        assert_eq!(
            l.entries,
            vec![
                ("@mount".to_string(), None),
                ("unshare".to_string(), Some(ErrorNumber::Errno(2))),
                ("personality".to_string(), Some(ErrorNumber::Kill)),
            ]
        );
        assert!(SyscallList::parse("").unwrap().is_reset());
        assert!(!SyscallList::parse("~").unwrap().is_reset());
        let e = SyscallList::parse("@system-service read:EPERM").unwrap_err();
        assert!(e.contains("only a deny list"), "{e}");
        assert!(SyscallList::parse("~no_such_call")
            .unwrap_err()
            .contains("unknown system call no_such_call"));
        assert!(SyscallList::parse("@no-such-group")
            .unwrap_err()
            .contains("unknown system call group"));
        assert!(SyscallList::parse("~read:ENOSUCH").is_err());
        assert!(SyscallList::parse("~read:4096").is_err());
        assert!(SyscallList::parse("~\"read\"").is_err());
        assert!(SyscallList::parse("~read:").is_err());
        assert!(SyscallList::parse("~:EPERM").is_err());
        assert_eq!(
            SyscallList::parse("~read:0").unwrap().entries[0].1,
            Some(ErrorNumber::Errno(0))
        );
    }

    #[test]
    fn error_numbers_are_systemds() {
        assert_eq!(ErrorNumber::parse("EPERM"), Ok(ErrorNumber::Errno(1)));
        assert_eq!(
            ErrorNumber::parse("EWOULDBLOCK"),
            Ok(ErrorNumber::Errno(11))
        );
        assert_eq!(ErrorNumber::parse("4095"), Ok(ErrorNumber::Errno(4095)));
        assert_eq!(ErrorNumber::parse("kill"), Ok(ErrorNumber::Kill));
        assert_eq!(ErrorNumber::parse(""), Ok(ErrorNumber::Kill));
        for bad in ["0", "4096", "-1", "eperm", "EPERM ", "1e3"] {
            assert!(ErrorNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(ErrorNumber::Errno(13).to_string(), "EACCES");
    }

    #[test]
    fn architectures_are_this_machines() {
        let a = Archs::parse("native x86").unwrap();
        assert_eq!(a.0[0].1, libseccomp::native());
        assert_eq!(a.0[1].1, libseccomp::X86);
        assert!(Archs::parse("arm64").is_err());
        assert!(Archs::parse("").unwrap().0.is_empty());
    }

    #[test]
    fn families_and_namespaces() {
        assert_eq!(Families::parse("none"), Ok(Families::None));
        assert_eq!(Families::parse(""), Ok(Families::Reset));
        let Families::List { invert, families } = Families::parse("~AF_NETLINK AF_PACKET").unwrap()
        else {
            panic!()
        };
        assert!(invert);
        assert_eq!(
            families,
            vec![("AF_NETLINK".into(), 16), ("AF_PACKET".into(), 17)]
        );
        assert!(Families::parse("AF_NOPE").is_err());

        let user = libc::CLONE_NEWUSER as u64;
        let net = libc::CLONE_NEWNET as u64;
        let apply = |lines: &[&str]| {
            lines
                .iter()
                .fold(None, |k, l| Namespaces::parse(l).unwrap().apply(k))
        };
        assert_eq!(apply(&["yes"]), Some(0));
        assert_eq!(apply(&["no"]), Some(ALL_NAMESPACES));
        assert_eq!(apply(&["user"]), Some(user));
        assert_eq!(apply(&["~user"]), Some(ALL_NAMESPACES & !user));
        assert_eq!(apply(&["user", "net"]), Some(user | net));
        assert_eq!(
            apply(&["~user", "~net"]),
            Some(ALL_NAMESPACES & !user & !net)
        );
        assert_eq!(apply(&["yes", ""]), None);
        assert!(Namespaces::parse("time").is_err());
    }
}
