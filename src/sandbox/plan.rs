//! The mounts ssc's file-system settings ask for, in the order to make them: systemd's
//! setup_namespace() (src/core/namespace.c, v252 and v257) up to the end of its
//! sort_and_drop_unused_mounts(), as a pure function of expanded settings.
//!
//! Each setting adds entries (append_access_mounts, append_bind_mounts,
//! append_tmpfs_mounts, the private /tmp, the ProtectKernel*= and ProtectControlGroups=
//! tables (protect_kernel.rs), append_protect_home, append_protect_system, in that order);
//! then they are sorted, parents first and, for one path, by priority
//! (mount_path_compare), and pruned: duplicates (drop_duplicates), whatever lies beneath an
//! inaccessible path (drop_inaccessible), and read-only, read-write or implicit read-write
//! entries under a parent of the same kind (drop_nop).
//!
//! Applying the list is build.rs's. systemd mounts in this order, then remounts read-only
//! in this order again, recursively but for a Tmpfs, skipping the other entries' paths
//! (its deny list) so that a ReadWrite or Bind entry under a ReadOnly one stays as it is.
//! build.rs gets the same result another way: each entry's tree is copied from the host
//! and made read-only before anything is attached, and the entries beneath it are then
//! attached on top.

use std::cmp::Ordering;
use std::fmt;

use super::paths::{ProtectHome, ProtectSystem};
use super::protect_kernel;
use super::tmpfs::Tmpfs;

/// Where an entry comes from, for --dry-run and error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub key: &'static str,
    /// "FILE:LINE", or "built-in".
    pub at: String,
}

/// One ReadWritePaths=, ReadOnlyPaths= or InaccessiblePaths= path, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub path: String,
    pub ignore_missing: bool,
    pub origin: Origin,
}

/// One BindPaths= or BindReadOnlyPaths= entry, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub source: String,
    pub destination: String,
    pub read_only: bool,
    pub recursive: bool,
    pub ignore_missing: bool,
    pub origin: Origin,
}

/// One TemporaryFileSystem= entry, expanded, with its options resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Temporary {
    pub path: String,
    pub tmpfs: Tmpfs,
    pub read_only: bool,
    pub origin: Origin,
}

/// The settings of one profile. Paths are absolute and normalized (`PathTemplate::expand`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub protect_system: Option<(ProtectSystem, Origin)>,
    pub protect_home: Option<(ProtectHome, Origin)>,
    pub read_write_paths: Vec<Access>,
    pub read_only_paths: Vec<Access>,
    pub inaccessible_paths: Vec<Access>,
    /// BindPaths= and BindReadOnlyPaths= in the order written: systemd keeps one list.
    pub bind_paths: Vec<Bind>,
    pub temporary_file_systems: Vec<Temporary>,
    /// ssc's PrivateTmp=yes: /tmp and /var/tmp join the list as systemd's PRIVATE_TMP does.
    pub private_tmp: Option<Origin>,
    /// ProtectKernelTunables=, ProtectKernelModules=, ProtectKernelLogs= and
    /// ProtectControlGroups=, where yes.
    pub protect_kernel_tunables: Option<Origin>,
    pub protect_kernel_modules: Option<Origin>,
    pub protect_kernel_logs: Option<Origin>,
    pub protect_control_groups: Option<Origin>,
}

/// What becomes of a path, in systemd's order of priority (enum MountMode): of two entries
/// for one path, the one of the earlier kind stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// An inaccessible node of the path's type, over everything beneath.
    Inaccessible,
    /// The source bound here; with its submounts (rbind) if `recursive`, which ranks
    /// after a bind without.
    Bind { source: String, recursive: bool },
    /// ssc's private /tmp or /var/tmp: a tmpfs (build.rs).
    PrivateTmp,
    /// Made a mount point if it is none, and read-only with everything beneath.
    ReadOnly,
    /// Made a mount point if it is none, and left out of its parents' read-only remount.
    ReadWrite,
    /// A new tmpfs.
    Tmpfs(Tmpfs),
    /// ProtectSystem=strict's API and home directories: read-write, below any other setting
    /// for the same path.
    ReadWriteImplicit,
}

impl Mode {
    fn priority(&self) -> u8 {
        match self {
            Mode::Inaccessible => 0,
            Mode::Bind {
                recursive: false, ..
            } => 1,
            Mode::Bind {
                recursive: true, ..
            } => 2,
            Mode::PrivateTmp => 3,
            Mode::ReadOnly => 4,
            Mode::ReadWrite => 5,
            Mode::Tmpfs(_) => 6,
            Mode::ReadWriteImplicit => 7,
        }
    }
}

/// One entry of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub path: String,
    pub mode: Mode,
    /// systemd's MountEntry.read_only: set by BindReadOnlyPaths=, a tmpfs's ro or
    /// ProtectHome=tmpfs, or taken over from a duplicate dropped for this entry.
    pub read_only: bool,
    /// The '-' prefix, or a table entry (/boot, /efi, the homes) that may not exist: skip
    /// the entry if its path (a bind's: its source) is missing.
    pub ignore_missing: bool,
    pub origin: Origin,
}

impl Mount {
    /// mount_entry_read_only: whether the executor remounts it read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only || matches!(self.mode, Mode::ReadOnly | Mode::Inaccessible)
    }
}

/// One line for --dry-run: the path, what becomes of it, and the setting behind it.
impl fmt::Display for Mount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path)?;
        match &self.mode {
            Mode::Inaccessible => f.write_str("inaccessible")?,
            Mode::Bind { source, recursive } => {
                write!(f, "bind of {source}")?;
                if !recursive {
                    f.write_str(", norbind")?;
                }
            }
            Mode::PrivateTmp => f.write_str("private tmpfs")?,
            Mode::ReadOnly => f.write_str("read-only")?,
            Mode::ReadWrite => f.write_str("read-write")?,
            Mode::Tmpfs(t) => write!(f, "tmpfs {t}")?,
            Mode::ReadWriteImplicit => f.write_str("read-write (implicit)")?,
        }
        if self.read_only && !matches!(self.mode, Mode::ReadOnly | Mode::Inaccessible) {
            f.write_str(", read-only")?;
        }
        if self.ignore_missing {
            f.write_str(", if it exists")?;
        }
        write!(f, " ({}= at {})", self.origin.key, self.origin.at)
    }
}

/// protect_system_yes_table and protect_system_full_table: path, ignore if missing. (v252
/// built with split-usr adds /bin, /sbin, /lib and /lib64; v257 has no such option.)
const SYSTEM_YES: [(&str, bool); 3] = [("/usr", false), ("/boot", true), ("/efi", true)];
const SYSTEM_FULL: [(&str, bool); 4] = [
    ("/usr", false),
    ("/boot", true),
    ("/efi", true),
    ("/etc", false),
];
/// protect_system_strict_table after its "/": left read-write, for ProtectHome= and the
/// API file system settings to decide.
const STRICT_IMPLICIT: [(&str, bool); 6] = [
    ("/proc", false),
    ("/sys", false),
    ("/dev", false),
    ("/home", true),
    ("/run/user", true),
    ("/root", true),
];
/// The protect_home_*_table paths; all ignored if missing.
const HOMES: [&str; 3] = ["/home", "/run/user", "/root"];

/// The ordered, pruned mount list for `s`.
pub fn plan(s: &Settings) -> Vec<Mount> {
    let mut mounts = Vec::new();
    let mut add = |path: &str, mode, read_only, ignore_missing, origin: &Origin| {
        mounts.push(Mount {
            path: path.into(),
            mode,
            read_only,
            ignore_missing,
            origin: origin.clone(),
        })
    };
    for (list, mode) in [
        (&s.read_write_paths, Mode::ReadWrite),
        (&s.read_only_paths, Mode::ReadOnly),
        (&s.inaccessible_paths, Mode::Inaccessible),
    ] {
        for a in list {
            add(&a.path, mode.clone(), false, a.ignore_missing, &a.origin);
        }
    }
    for b in &s.bind_paths {
        let mode = Mode::Bind {
            source: b.source.clone(),
            recursive: b.recursive,
        };
        add(
            &b.destination,
            mode,
            b.read_only,
            b.ignore_missing,
            &b.origin,
        );
    }
    for t in &s.temporary_file_systems {
        add(
            &t.path,
            Mode::Tmpfs(t.tmpfs.clone()),
            t.read_only,
            false,
            &t.origin,
        );
    }
    if let Some(origin) = &s.private_tmp {
        for dir in ["/tmp", "/var/tmp"] {
            add(dir, Mode::PrivateTmp, false, false, origin);
        }
    }
    for (path, mode, ignore, origin) in protect_kernel::entries(s) {
        add(path, mode, false, ignore, origin);
    }
    if let Some((home, origin)) = &s.protect_home {
        for path in HOMES {
            let (mode, read_only) = match home {
                ProtectHome::No => continue,
                ProtectHome::Yes => (Mode::Inaccessible, false),
                ProtectHome::ReadOnly => (Mode::ReadOnly, false),
                // protect_home_tmpfs_table; v252's append_static_mounts() dropped all but
                // path, mode and ignore, giving a writable default tmpfs: v257 (#34834) and
                // the manual make it read-only.
                ProtectHome::Tmpfs => {
                    let mode = if path == "/root" { 0o700 } else { 0o755 };
                    let tmpfs = Tmpfs {
                        mode,
                        size: "4m".into(),
                        nr_inodes: "1k".into(),
                        noexec: false,
                    };
                    (Mode::Tmpfs(tmpfs), true)
                }
            };
            add(path, mode, read_only, true, origin);
        }
    }
    if let Some((system, origin)) = &s.protect_system {
        let table: &[(&str, bool)] = match system {
            ProtectSystem::No => &[],
            ProtectSystem::Yes => &SYSTEM_YES,
            ProtectSystem::Full => &SYSTEM_FULL,
            ProtectSystem::Strict => &[("/", false)],
        };
        for (path, ignore) in table {
            add(path, Mode::ReadOnly, false, *ignore, origin);
        }
        if *system == ProtectSystem::Strict {
            for (path, ignore) in STRICT_IMPLICIT {
                add(path, Mode::ReadWriteImplicit, false, ignore, origin);
            }
        }
    }
    normalize(mounts)
}

fn components(p: &str) -> impl Iterator<Item = &str> {
    p.split('/').filter(|c| !c.is_empty())
}

/// path_compare: component by component, bytewise, a prefix first ("/a" < "/a/b" < "/a-b").
fn compare_paths(a: &str, b: &str) -> Ordering {
    components(a).cmp(components(b))
}

/// path_startswith, by components; a path starts with itself.
fn starts_with(path: &str, prefix: &str) -> bool {
    let mut p = components(path);
    components(prefix).all(|c| p.next() == Some(c))
}

/// The sort and the three drops of sort_and_drop_unused_mounts (v252: drop_unused_mounts),
/// less drop_outside_root, which has nothing to do without RootDirectory=. The sort is
/// stable where systemd's qsort is not: of two entries equal in path and kind, the one
/// written first stays.
fn normalize(mut mounts: Vec<Mount>) -> Vec<Mount> {
    mounts.sort_by(|a, b| {
        compare_paths(&a.path, &b.path).then(a.mode.priority().cmp(&b.mode.priority()))
    });
    let mut kept: Vec<Mount> = Vec::with_capacity(mounts.len());
    // drop_duplicates: the first stays, read-only if either was.
    for m in mounts {
        match kept.last_mut() {
            Some(prev) if compare_paths(&prev.path, &m.path) == Ordering::Equal => {
                prev.read_only |= m.is_read_only();
            }
            _ => kept.push(m),
        }
    }
    // drop_inaccessible: a subtree follows its root in this order.
    let mut clear: Option<String> = None;
    kept.retain(|m| {
        if clear.as_deref().is_some_and(|c| starts_with(&m.path, c)) {
            return false;
        }
        clear = (m.mode == Mode::Inaccessible).then(|| m.path.clone());
        true
    });
    // drop_nop: the nearest kept parent already does the same.
    let mut out: Vec<Mount> = Vec::with_capacity(kept.len());
    for m in kept {
        if matches!(
            m.mode,
            Mode::ReadOnly | Mode::ReadWrite | Mode::ReadWriteImplicit
        ) {
            let parent = out.iter().rev().find(|p| starts_with(&m.path, &p.path));
            if parent.is_some_and(|p| p.mode == m.mode) {
                continue;
            }
        }
        out.push(m);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::paths::{parse_access_paths, parse_bind_paths, Specifiers};
    use crate::sandbox::tmpfs::parse_temporary_filesystems;

    fn at(key: &'static str) -> Origin {
        Origin {
            key,
            at: format!("/etc/ssc/profiles.d/t.conf:{}", key.len()),
        }
    }

    fn access(key: &'static str, paths: &[&str]) -> Vec<Access> {
        paths
            .iter()
            .map(|p| Access {
                path: p.trim_start_matches('-').into(),
                ignore_missing: p.starts_with('-'),
                origin: at(key),
            })
            .collect()
    }

    fn bind(source: &str, destination: &str, read_only: bool, recursive: bool) -> Bind {
        Bind {
            source: source.into(),
            destination: destination.into(),
            read_only,
            recursive,
            ignore_missing: false,
            origin: at(if read_only {
                "BindReadOnlyPaths"
            } else {
                "BindPaths"
            }),
        }
    }

    fn tmpfs(path: &str, read_only: bool) -> Temporary {
        let (tmpfs, _) = parse_temporary_filesystems("/x").unwrap()[0]
            .options
            .resolve();
        Temporary {
            path: path.into(),
            tmpfs,
            read_only,
            origin: at("TemporaryFileSystem"),
        }
    }

    fn system(ps: ProtectSystem) -> Option<(ProtectSystem, Origin)> {
        Some((ps, at("ProtectSystem")))
    }

    fn home(ph: ProtectHome) -> Option<(ProtectHome, Origin)> {
        Some((ph, at("ProtectHome")))
    }

    /// Each mount as "PATH KIND", "+ro" when made read-only besides its kind, "?" when
    /// ignored if missing.
    fn summary(s: &Settings) -> Vec<String> {
        plan(s)
            .iter()
            .map(|m| {
                let kind = match &m.mode {
                    Mode::Inaccessible => "inaccessible".to_string(),
                    Mode::Bind { source, recursive } => {
                        format!("{}bind={source}", if *recursive { "r" } else { "" })
                    }
                    Mode::PrivateTmp => "private-tmp".into(),
                    Mode::ReadOnly => "ro".into(),
                    Mode::ReadWrite => "rw".into(),
                    Mode::Tmpfs(t) => format!("tmpfs={:o}", t.mode),
                    Mode::ReadWriteImplicit => "rw-implicit".into(),
                };
                let implied = matches!(m.mode, Mode::ReadOnly | Mode::Inaccessible);
                let ro = if m.read_only && !implied { "+ro" } else { "" };
                let ignore = if m.ignore_missing { "?" } else { "" };
                format!("{} {kind}{ro}{ignore}", m.path)
            })
            .collect()
    }

    #[test]
    fn protect_home_yes_hides_read_write_paths_beneath() {
        // ReadWritePaths=%h/Downloads, as the profile layer expands it.
        let sp = Specifiers::new("/home/alice", "alice", 1000).unwrap();
        let rw = parse_access_paths("%h/Downloads -%t/doc").unwrap();
        let s = Settings {
            protect_home: home(ProtectHome::Yes),
            read_write_paths: rw
                .iter()
                .map(|a| Access {
                    path: a.path.expand(&sp).unwrap(),
                    ignore_missing: a.ignore_missing,
                    origin: at("ReadWritePaths"),
                })
                .collect(),
            ..Settings::default()
        };
        assert_eq!(
            summary(&s),
            [
                "/home inaccessible?",
                "/root inaccessible?",
                "/run/user inaccessible?"
            ]
        );
    }

    #[test]
    fn duplicates_keep_the_entry_of_higher_priority() {
        let s = Settings {
            read_write_paths: access("ReadWritePaths", &["/var/lib/x", "/m"]),
            read_only_paths: access(
                "ReadOnlyPaths",
                &["/var/lib/x", "/srv/x", "/cache", "-/y", "/y"],
            ),
            inaccessible_paths: access("InaccessiblePaths", &["/opt"]),
            bind_paths: vec![
                bind("/srv/a", "/data", false, true),
                bind("/srv/b", "/data", false, false),
                bind("/src", "/srv/x", false, true),
                bind("/src", "/opt", false, true),
            ],
            temporary_file_systems: vec![tmpfs("/cache", false), tmpfs("/m", true)],
            ..Settings::default()
        };
        assert_eq!(
            summary(&s),
            [
                // ReadOnlyPaths= wins over TemporaryFileSystem=, as in systemd.
                "/cache ro",
                // norbind ranks before rbind.
                "/data bind=/srv/b",
                // The tmpfs's ro stays with the ReadWritePaths= entry that wins.
                "/m rw+ro",
                "/opt inaccessible",
                "/srv/x rbind=/src+ro",
                "/var/lib/x ro",
                // Equal in path and kind: the first written stays.
                "/y ro?",
            ]
        );
        let p = plan(&s);
        assert_eq!(p[5].origin.key, "ReadOnlyPaths");
        assert!(p.iter().all(|m| m.path != "/cache" || m.is_read_only()));
    }

    #[test]
    fn nop_entries_are_dropped() {
        let s = Settings {
            protect_system: system(ProtectSystem::Yes),
            read_only_paths: access("ReadOnlyPaths", &["/usr/share", "/a", "/a/b/c"]),
            read_write_paths: access("ReadWritePaths", &["/var", "/var/lib", "/a/b"]),
            ..Settings::default()
        };
        assert_eq!(
            summary(&s),
            [
                "/a ro",
                "/a/b rw",
                // Its nearest parent is read-write: not a nop.
                "/a/b/c ro",
                "/boot ro?",
                "/efi ro?",
                "/usr ro",
                "/var rw",
            ]
        );
    }

    #[test]
    fn parents_come_first() {
        let s = Settings {
            read_only_paths: access("ReadOnlyPaths", &["/a-b", "/a/b/c", "/b", "/a"]),
            read_write_paths: access("ReadWritePaths", &["/a/b", "/a/bb", "/a/B"]),
            ..Settings::default()
        };
        let paths: Vec<String> = plan(&s).into_iter().map(|m| m.path).collect();
        assert_eq!(
            paths,
            ["/a", "/a/B", "/a/b", "/a/b/c", "/a/bb", "/a-b", "/b"]
        );
    }

    #[test]
    fn strict_adds_its_implicit_read_write_entries() {
        let strict = Settings {
            protect_system: system(ProtectSystem::Strict),
            ..Settings::default()
        };
        assert_eq!(
            summary(&strict),
            [
                "/ ro",
                "/dev rw-implicit",
                "/home rw-implicit?",
                "/proc rw-implicit",
                "/root rw-implicit?",
                "/run/user rw-implicit?",
                "/sys rw-implicit",
            ]
        );
        let with = |s: Settings| summary(&s)[1..].join(", ");
        let rw = Settings {
            read_write_paths: access("ReadWritePaths", &["/home", "/var/lib/app", "/proc/x"]),
            ..strict.clone()
        };
        assert_eq!(
            with(rw),
            "/dev rw-implicit, /home rw, /proc rw-implicit, /proc/x rw, /root rw-implicit?, \
             /run/user rw-implicit?, /sys rw-implicit, /var/lib/app rw"
        );
        // Read-only homes under a read-only / are nops.
        let ro = Settings {
            protect_home: home(ProtectHome::ReadOnly),
            ..strict.clone()
        };
        assert_eq!(
            with(ro),
            "/dev rw-implicit, /proc rw-implicit, /sys rw-implicit"
        );
        let tmp = Settings {
            protect_home: home(ProtectHome::Tmpfs),
            ..strict.clone()
        };
        assert_eq!(
            with(tmp),
            "/dev rw-implicit, /home tmpfs=755+ro?, /proc rw-implicit, /root tmpfs=700+ro?, \
             /run/user tmpfs=755+ro?, /sys rw-implicit"
        );
    }

    #[test]
    fn private_tmp_joins_the_list() {
        let s = Settings {
            protect_system: system(ProtectSystem::Full),
            private_tmp: Some(at("PrivateTmp")),
            ..Settings::default()
        };
        assert_eq!(
            summary(&s),
            [
                "/boot ro?",
                "/efi ro?",
                "/etc ro",
                "/tmp private-tmp",
                "/usr ro",
                "/var/tmp private-tmp"
            ]
        );
        let s = Settings {
            inaccessible_paths: access("InaccessiblePaths", &["/var"]),
            read_only_paths: access("ReadOnlyPaths", &["/tmp"]),
            private_tmp: Some(at("PrivateTmp")),
            ..Settings::default()
        };
        assert_eq!(summary(&s), ["/tmp private-tmp+ro", "/var inaccessible"]);
        let s = Settings {
            bind_paths: vec![bind("/srv/t", "/tmp", false, true)],
            private_tmp: Some(at("PrivateTmp")),
            ..Settings::default()
        };
        assert_eq!(summary(&s), ["/tmp rbind=/srv/t", "/var/tmp private-tmp"]);
    }

    #[test]
    fn binds_and_tmpfs_go_into_protect_home_tmpfs() {
        let sp = Specifiers::new("/home/alice", "alice", 1000).unwrap();
        let b = &parse_bind_paths("%h/src").unwrap()[0];
        let s = Settings {
            protect_home: home(ProtectHome::Tmpfs),
            bind_paths: vec![bind(
                &b.source.expand(&sp).unwrap(),
                &b.destination.expand(&sp).unwrap(),
                false,
                b.recursive,
            )],
            temporary_file_systems: vec![tmpfs("/home/foo", false)],
            ..Settings::default()
        };
        assert_eq!(
            summary(&s),
            [
                "/home tmpfs=755+ro?",
                "/home/alice/src rbind=/home/alice/src",
                "/home/foo tmpfs=755",
                "/root tmpfs=700+ro?",
                "/run/user tmpfs=755+ro?",
            ]
        );
        let hidden = Settings {
            protect_home: home(ProtectHome::Yes),
            ..s
        };
        assert_eq!(summary(&hidden).len(), 3);
    }

    #[test]
    fn missing_paths_are_ignored_where_systemd_ignores_them() {
        let mut b = bind("/srv/maybe", "/data", true, false);
        b.ignore_missing = true;
        let s = Settings {
            protect_system: system(ProtectSystem::Yes),
            read_only_paths: access("ReadOnlyPaths", &["-/opt/maybe"]),
            bind_paths: vec![b],
            ..Settings::default()
        };
        assert_eq!(
            summary(&s),
            [
                "/boot ro?",
                "/data bind=/srv/maybe+ro?",
                "/efi ro?",
                "/opt/maybe ro?",
                "/usr ro"
            ]
        );
    }

    #[test]
    fn each_mount_shows_as_one_line_with_its_origin() {
        let s = Settings {
            protect_home: home(ProtectHome::Tmpfs),
            bind_paths: vec![bind("/srv/src", "/home/alice/src", true, false)],
            ..Settings::default()
        };
        let lines: Vec<String> = plan(&s).iter().map(|m| m.to_string()).collect();
        assert_eq!(
            lines[..2],
            [
                "/home: tmpfs mode=0755,size=4m,nr_inodes=1k, read-only, if it exists \
                 (ProtectHome= at /etc/ssc/profiles.d/t.conf:11)",
                "/home/alice/src: bind of /srv/src, norbind, read-only \
                 (BindReadOnlyPaths= at /etc/ssc/profiles.d/t.conf:17)",
            ]
        );
        assert!(lines.iter().all(|l| !l.contains('\n')));
    }

    /// ProtectKernelTunables='s /proc entries, all skipped if missing.
    const PROC_TUNABLES: [&str; 14] = [
        "/proc/acpi ro?",
        "/proc/apm ro?",
        "/proc/asound ro?",
        "/proc/bus ro?",
        "/proc/fs ro?",
        "/proc/irq ro?",
        "/proc/kallsyms inaccessible?",
        "/proc/kcore inaccessible?",
        "/proc/latency_stats ro?",
        "/proc/mtrr ro?",
        "/proc/scsi ro?",
        "/proc/sys ro?",
        "/proc/sysrq-trigger ro?",
        "/proc/timer_stats ro?",
    ];

    fn kernel(tunables: bool, modules: bool, logs: bool, cgroups: bool) -> Settings {
        let on = |yes: bool, key| yes.then(|| at(key));
        Settings {
            protect_kernel_tunables: on(tunables, "ProtectKernelTunables"),
            protect_kernel_modules: on(modules, "ProtectKernelModules"),
            protect_kernel_logs: on(logs, "ProtectKernelLogs"),
            protect_control_groups: on(cgroups, "ProtectControlGroups"),
            ..Settings::default()
        }
    }

    #[test]
    fn each_kernel_setting_alone() {
        let mut tunables = PROC_TUNABLES.to_vec();
        // /sys/fs/bpf and /sys/kernel/* are read-only under a read-only /sys: nops.
        tunables.extend([
            "/sys ro",
            "/sys/fs/cgroup rw-implicit",
            "/sys/fs/selinux rw-implicit?",
        ]);
        assert_eq!(summary(&kernel(true, false, false, false)), tunables);
        assert_eq!(
            summary(&kernel(false, true, false, false)),
            [
                "/lib/modules inaccessible?",
                "/usr/lib/modules inaccessible?"
            ]
        );
        assert_eq!(
            summary(&kernel(false, false, true, false)),
            ["/dev/kmsg inaccessible?", "/proc/kmsg inaccessible?"]
        );
        assert_eq!(
            summary(&kernel(false, false, false, true)),
            ["/sys/fs/cgroup ro"]
        );
        // Each entry names its key for --dry-run.
        for (s, key) in [
            (kernel(true, false, false, false), "ProtectKernelTunables"),
            (kernel(false, true, false, false), "ProtectKernelModules"),
            (kernel(false, false, true, false), "ProtectKernelLogs"),
            (kernel(false, false, false, true), "ProtectControlGroups"),
        ] {
            assert!(plan(&s).iter().all(|m| m.origin.key == key), "{key}");
        }
        let line = plan(&kernel(false, false, true, false))[0].to_string();
        assert_eq!(
            line,
            "/dev/kmsg: inaccessible, if it exists (ProtectKernelLogs= at /etc/ssc/profiles.d/t.conf:17)"
        );
    }

    #[test]
    fn control_groups_make_the_tunables_cgroup_entry_read_only() {
        let s = kernel(true, false, false, true);
        let mut want = PROC_TUNABLES.to_vec();
        // /sys/fs/cgroup read-only outranks its implicit read-write entry, and is then a
        // nop under the read-only /sys.
        want.extend(["/sys ro", "/sys/fs/selinux rw-implicit?"]);
        assert_eq!(summary(&s), want);
        let sys = plan(&s).into_iter().find(|m| m.path == "/sys").unwrap();
        assert_eq!(sys.origin.key, "ProtectKernelTunables");
        // ReadWritePaths= for /sys/fs/cgroup itself ranks after read-only, as in systemd;
        // one beneath it stays.
        let rw = Settings {
            read_write_paths: access("ReadWritePaths", &["/sys/fs/cgroup", "/sys/fs/cgroup/x"]),
            ..s.clone()
        };
        let mut with_rw = want.clone();
        with_rw.insert(want.len() - 1, "/sys/fs/cgroup/x rw");
        assert_eq!(summary(&rw), with_rw);
    }

    #[test]
    fn kernel_tunables_under_protect_system_strict() {
        let s = Settings {
            protect_system: system(ProtectSystem::Strict),
            ..kernel(true, true, true, false)
        };
        let mut want = vec![
            "/ ro",
            "/dev rw-implicit",
            "/dev/kmsg inaccessible?",
            "/home rw-implicit?",
            "/lib/modules inaccessible?",
            "/proc rw-implicit",
        ];
        want.extend(PROC_TUNABLES[..7].iter().copied());
        want.extend(["/proc/kcore inaccessible?", "/proc/kmsg inaccessible?"]);
        want.extend(PROC_TUNABLES[8..].iter().copied());
        // /sys read-only outranks strict's implicit read-write entry, and is then a nop
        // under "/"; its implicitly read-write entries stay.
        want.extend([
            "/root rw-implicit?",
            "/run/user rw-implicit?",
            "/sys/fs/cgroup rw-implicit",
            "/sys/fs/selinux rw-implicit?",
            "/usr/lib/modules inaccessible?",
        ]);
        assert_eq!(summary(&s), want);
    }

    #[test]
    fn kernel_settings_with_private_tmp_and_protect_home() {
        let s = Settings {
            private_tmp: Some(at("PrivateTmp")),
            protect_home: home(ProtectHome::Yes),
            inaccessible_paths: access("InaccessiblePaths", &["/usr/lib"]),
            ..kernel(false, true, true, true)
        };
        assert_eq!(
            summary(&s),
            [
                "/dev/kmsg inaccessible?",
                "/home inaccessible?",
                "/lib/modules inaccessible?",
                "/proc/kmsg inaccessible?",
                "/root inaccessible?",
                "/run/user inaccessible?",
                "/sys/fs/cgroup ro",
                "/tmp private-tmp",
                // /usr/lib/modules goes with everything beneath /usr/lib.
                "/usr/lib inaccessible",
                "/var/tmp private-tmp",
            ]
        );
    }
}
