//! Building the mount list in the new namespace, in two passes.
//!
//! `prepare`, as the caller: every path the list names is looked up (resolve.rs) to an fd,
//! a bind's source and the object it covers alike; a missing mount point in a directory
//! the caller may write is created, as the caller. Nothing is mounted yet, so each object
//! is the host's.
//!
//! `Prepared::build`: first every tree is made, detached, from those fds (a copy of the
//! host's tree at the path, made read-only where the list says so; a bind's source; a new
//! tmpfs; all nosuid), so that each is the host's state, not one an earlier step changed.
//! Then, in the list's order (parents first), each tree is attached: its path is looked up
//! again as the caller, in the tree being built and without following any link, and must
//! lead to the very object `prepare` found; a mount point inside a tmpfs ssc made is
//! created there. Read-only tmpfs become so last, after their mount points exist. Root's part is
//! the named operations of privileged.rs: clone, new tmpfs, restrict, attach, mount point.

use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::stat::{fstat, SFlag};
use nix::sys::statvfs::{fstatvfs, FsFlags};

use super::kernel::Restrict;
use super::plan::{Mode, Mount};
use super::resolve::{self, Found, Links, MountPoint, Refusal};
use crate::credentials::Caller;
use crate::error::{Error, Result};
use crate::privileged;

/// systemd's inaccessible nodes, made by PID 1 at boot: what covers a hidden path.
const INACCESSIBLE: &str = "/run/systemd/inaccessible";

/// How a mount point that is missing gets created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Creation {
    pub mode: u32,
    pub for_caller: bool,
}

/// systemd's mkdir_p_label: root's, 0755.
pub const AS_SYSTEMD: Creation = Creation {
    mode: 0o755,
    for_caller: false,
};

/// One entry of the list, with what `prepare` found for it.
#[derive(Debug)]
struct Step {
    mount: Mount,
    creation: Creation,
    target: Target,
    /// A bind's source, or the inaccessible node of the target's type.
    source: Option<Found>,
}

#[derive(Debug)]
enum Target {
    /// The host's object at the path (or at a bind's source, for a path beneath a bind).
    Host(Found),
    /// Beneath the tmpfs of entry `tmpfs`: the mount point is made when that exists.
    InTmpfs { tmpfs: usize, kind: MountPoint },
}

/// What `prepare` found, to be built.
#[derive(Debug)]
pub struct Prepared {
    steps: Vec<Step>,
}

fn refused(m: &Mount, why: impl std::fmt::Display) -> Error {
    let (key, path, at) = (m.origin.key, &m.path, &m.origin.at);
    Error::Refused(format!("{key}={path} ({at}): {why}"))
}

/// Where entry `i`'s path lies before anything is mounted: a host path, or a place in
/// the tmpfs of an earlier entry. systemd resolves a bind's source on the host, so a path
/// beneath a bind lies beneath its source. Entries skipped as missing (`kept[j]` false)
/// mount nothing, so they are no one's parent.
fn host_place(
    list: &[(Mount, Creation)],
    kept: &[bool],
    i: usize,
) -> std::result::Result<PathBuf, (usize, PathBuf)> {
    let path = Path::new(&list[i].0.path);
    let parent = (0..i).rev().find(|&j| {
        let p = Path::new(&list[j].0.path);
        kept[j] && p != path && path.starts_with(p)
    });
    let Some(j) = parent else {
        return Ok(path.to_path_buf());
    };
    let rel = path.strip_prefix(&list[j].0.path).expect("a prefix");
    match &list[j].0.mode {
        Mode::Bind { source, .. } => Ok(Path::new(source).join(rel)),
        Mode::Tmpfs { .. } | Mode::PrivateTmp => Err((j, rel.to_path_buf())),
        _ => match host_place(list, kept, j) {
            Ok(host) => Ok(host.join(rel)),
            Err((t, r)) => Err((t, r.join(rel))),
        },
    }
}

/// Runs as the caller, in the new namespace before anything is mounted in it.
pub fn prepare(list: Vec<(Mount, Creation)>) -> Result<Prepared> {
    let mut steps: Vec<Step> = Vec::with_capacity(list.len());
    // Entry indices in `list` to those in `steps`, for the tmpfs an entry lies in.
    let mut index = vec![None; list.len()];
    for i in 0..list.len() {
        let (m, creation) = &list[i];
        let source = match &m.mode {
            Mode::Bind { source, .. } => match resolve::lookup(Path::new(source), Links::Trusted) {
                Ok(found) => Some(found),
                Err(Refusal::Missing(..)) if m.ignore_missing => continue,
                Err(e) => return Err(refused(m, format!("{source}: {e}"))),
            },
            _ => None,
        };
        let kind = match &source {
            Some(s) => MountPoint::for_source(s.kind),
            None => MountPoint::Directory,
        };
        let kept: Vec<bool> = index.iter().map(Option::is_some).collect();
        let target = match host_place(&list, &kept, i) {
            Err((tmpfs, _)) => {
                let tmpfs = index[tmpfs].expect("host_place names only kept entries");
                if !creates(&m.mode) {
                    if m.ignore_missing {
                        continue;
                    }
                    return Err(refused(
                        m,
                        "No such file or directory (it lies in a tmpfs the profile makes)",
                    ));
                }
                Target::InTmpfs { tmpfs, kind }
            }
            Ok(host) => match resolve::lookup(&host, Links::None) {
                Ok(found) => Target::Host(found),
                Err(Refusal::Missing(..)) if m.ignore_missing && !creates(&m.mode) => continue,
                Err(Refusal::UntrustedLink(_)) if hidden_elsewhere(&list, i, &host) => continue,
                Err(Refusal::Missing(n, dir)) if creates(&m.mode) => {
                    let names: Vec<&OsStr> = host.iter().skip(1 + n).collect();
                    let found = resolve::create(dir, &names, kind, 0o755).map_err(|e| {
                        refused(
                            m,
                            format!("creating the mount point as the caller: {}", e.desc()),
                        )
                    })?;
                    Target::Host(found)
                }
                Err(e) => return Err(refused(m, e)),
            },
        };
        let source = match (&m.mode, &target) {
            (Mode::Inaccessible, Target::Host(t)) => Some(inaccessible_node(m, t.kind)?),
            _ => source,
        };
        index[i] = Some(steps.len());
        steps.push(Step {
            mount: m.clone(),
            creation: *creation,
            target,
            source,
        });
    }
    Ok(Prepared { steps })
}

/// Whether entry `i`, inaccessible at `host` through a link, may be skipped: where root's
/// links (/lib -> usr/lib) lead is missing, if that is allowed, or at or beneath another
/// inaccessible entry, which hides it already (systemd follows the links and hides it twice).
fn hidden_elsewhere(list: &[(Mount, Creation)], i: usize, host: &Path) -> bool {
    let m = &list[i].0;
    let hides = |o: &Mount, real: &Path| {
        o.mode == Mode::Inaccessible && o.path != m.path && real.starts_with(&o.path)
    };
    match (&m.mode, resolve::real_path(host)) {
        (Mode::Inaccessible, Ok((_, real))) => list.iter().any(|(o, _)| hides(o, &real)),
        (Mode::Inaccessible, Err(Refusal::Missing(..))) => m.ignore_missing,
        _ => false,
    }
}

/// Bind mounts and tmpfs get a mount point made for them, as systemd makes one.
fn creates(mode: &Mode) -> bool {
    matches!(
        mode,
        Mode::Bind { .. } | Mode::Tmpfs { .. } | Mode::PrivateTmp
    )
}

fn inaccessible_node(m: &Mount, kind: SFlag) -> Result<Found> {
    let name = match kind {
        SFlag::S_IFDIR => "dir",
        SFlag::S_IFREG => "reg",
        SFlag::S_IFCHR => "chr",
        SFlag::S_IFBLK => "blk",
        SFlag::S_IFIFO => "fifo",
        SFlag::S_IFSOCK => "sock",
        _ => return Err(refused(m, "cannot be made inaccessible: unknown file type")),
    };
    let path = Path::new(INACCESSIBLE).join(name);
    let found = resolve::lookup(&path, Links::None)
        .map_err(|e| refused(m, format!("{}: {e}", path.display())))?;
    let st = fstat(&found.fd).map_err(|e| refused(m, format!("{}: {e}", path.display())))?;
    if st.st_uid != 0 || st.st_mode & 0o7777 != 0 {
        return Err(refused(
            m,
            format!("{} is not root's mode 0000 node", path.display()),
        ));
    }
    Ok(found)
}

/// Every mount ssc makes is nosuid, with its submounts: systemd's make_nosuid() under
/// NoNewPrivileges, which every namespace of ssc's implies.
const NOSUID: Restrict = Restrict {
    read_only: false,
    nosuid: true,
    nodev: false,
    noexec: false,
};
const READ_ONLY: Restrict = Restrict {
    read_only: true,
    ..NOSUID
};

/// The tree an entry mounts, made detached.
fn make_tree(caller: &Caller, step: &Step) -> std::result::Result<OwnedFd, Errno> {
    let m = &step.mount;
    match (&m.mode, &step.target, &step.source) {
        (Mode::Bind { recursive, .. }, _, Some(src)) => privileged::clone_tree(
            caller,
            &src.fd,
            *recursive,
            if m.read_only { READ_ONLY } else { NOSUID },
        ),
        (Mode::Inaccessible, _, Some(node)) => {
            privileged::clone_tree(caller, &node.fd, false, READ_ONLY)
        }
        (Mode::ReadOnly, Target::Host(t), _) => {
            privileged::clone_tree(caller, &t.fd, true, READ_ONLY)
        }
        (Mode::ReadWrite | Mode::ReadWriteImplicit, Target::Host(t), _) => {
            privileged::clone_tree(caller, &t.fd, true, NOSUID)
        }
        (Mode::Tmpfs(t), _, _) => {
            let options = [
                ("mode", format!("{:04o}", t.mode)),
                ("size", t.size.clone()),
                ("nr_inodes", t.nr_inodes.clone()),
            ]
            .map(|(k, v)| (k.to_string(), Some(v)));
            let attrs = Restrict {
                nosuid: true,
                nodev: true,
                noexec: t.noexec,
                read_only: false,
            };
            privileged::new_tmpfs(caller, &options, attrs)
        }
        (Mode::PrivateTmp, Target::Host(t), _) => {
            // The host's noexec on /tmp stays: the private one must not be looser.
            let noexec = fstatvfs(&t.fd)?.flags().contains(FsFlags::ST_NOEXEC);
            let attrs = Restrict {
                nosuid: true,
                nodev: true,
                noexec,
                read_only: false,
            };
            privileged::new_tmpfs(caller, &[("mode".into(), Some("1777".into()))], attrs)
        }
        _ => Err(Errno::EINVAL),
    }
}

impl Prepared {
    /// Whether the list mounts anything on "/" itself.
    fn root_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.mount.path == "/")
    }

    /// Runs as the caller; root's part goes through privileged.rs.
    pub fn build(self, caller: &Caller) -> Result<()> {
        let mut trees = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let tree = make_tree(caller, step).map_err(|e| refused(&step.mount, e.desc()))?;
            trees.push(tree);
        }
        let root_step = self.root_step();
        for (i, step) in self.steps.iter().enumerate() {
            let m = &step.mount;
            // Looked up in the tree being built: from the new root once there is one.
            let start = match root_step {
                Some(r) if r < i => trees[r].try_clone().map_err(|e| refused(m, e))?,
                _ => resolve::root().map_err(|e| refused(m, e))?,
            };
            let target = match &step.target {
                Target::Host(expected) => {
                    let found = resolve::walk(start, Path::new(&m.path), Links::None)
                        .map_err(|e| refused(m, e))?;
                    if !expected.is(&fstat(&found.fd).map_err(|e| refused(m, e.desc()))?) {
                        return Err(refused(m, "changed while ssc built the namespace"));
                    }
                    found
                }
                Target::InTmpfs { tmpfs, kind } => {
                    let dev = fstat(&trees[*tmpfs])
                        .map_err(|e| refused(m, e.desc()))?
                        .st_dev;
                    match resolve::walk(start, Path::new(&m.path), Links::None) {
                        Ok(found) => found,
                        Err(Refusal::Missing(n, dir)) => {
                            let names: Vec<&OsStr> =
                                Path::new(&m.path).iter().skip(1 + n).collect();
                            privileged::make_mount_point(
                                caller,
                                dir,
                                dev,
                                &names,
                                *kind,
                                step.creation.mode,
                                step.creation.for_caller,
                            )
                            .map_err(|e| {
                                refused(m, format!("creating the mount point: {}", e.desc()))
                            })?
                        }
                        Err(e) => return Err(refused(m, e)),
                    }
                }
            };
            privileged::attach(caller, &trees[i], &target.fd).map_err(|e| refused(m, e.desc()))?;
        }
        for (step, tree) in self.steps.iter().zip(&trees) {
            if matches!(step.mount.mode, Mode::Tmpfs(_)) && step.mount.read_only {
                privileged::restrict(caller, tree, Restrict::READ_ONLY)
                    .map_err(|e| refused(&step.mount, e.desc()))?;
            }
        }
        if let Some(r) = root_step {
            privileged::enter_root(caller, &trees[r])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::plan::Origin;
    use crate::sandbox::tmpfs::TmpfsOptions;
    use std::os::unix::fs::symlink;

    fn mount(path: &Path, mode: Mode, read_only: bool) -> (Mount, Creation) {
        let origin = Origin {
            key: "Test",
            at: "test:1".into(),
        };
        let m = Mount {
            path: path.to_str().unwrap().into(),
            mode,
            read_only,
            ignore_missing: false,
            origin,
        };
        (m, AS_SYSTEMD)
    }

    fn read_only(path: &Path) -> bool {
        nix::sys::statvfs::statvfs(path)
            .unwrap()
            .flags()
            .contains(FsFlags::ST_RDONLY)
    }

    /// In a child, with its own mount namespace: root only (the kernel's rule), else the
    /// first privileged step must fail with EPERM.
    fn in_child(check: impl FnOnce() -> std::result::Result<(), String>) {
        // SAFETY: the child runs `check` and leaves with _exit, never returning into the
        // test harness; what it calls allocates, which glibc's fork handlers make safe.
        match unsafe { nix::unistd::fork() }.unwrap() {
            nix::unistd::ForkResult::Child => {
                let code = match check() {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("{e}");
                        1
                    }
                };
                // SAFETY: ends the child without running the parent's atexit handlers.
                unsafe { libc::_exit(code) }
            }
            nix::unistd::ForkResult::Parent { child } => {
                let status = nix::sys::wait::waitpid(child, None).unwrap();
                assert_eq!(status, nix::sys::wait::WaitStatus::Exited(child, 0));
            }
        }
    }

    #[test]
    fn builds_the_list_from_fds_parents_first_and_only_narrows() {
        let caller = Caller::from_process().unwrap();
        let d = std::env::temp_dir().join(format!("ssc-build-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("ro/rw")).unwrap();
        std::fs::create_dir_all(d.join("src")).unwrap();
        std::fs::write(d.join("src/f"), "bound").unwrap();
        std::fs::create_dir_all(d.join("tmp")).unwrap();
        symlink(d.join("src"), d.join("link")).unwrap();
        let (tmpfs, _) = TmpfsOptions::parse("mode=0755").unwrap().resolve();
        let list = vec![
            mount(&d.join("ro"), Mode::ReadOnly, false),
            mount(&d.join("ro/rw"), Mode::ReadWrite, false),
            mount(&d.join("tmp"), Mode::Tmpfs(tmpfs), true),
            mount(
                &d.join("tmp/in/bound"),
                Mode::Bind {
                    source: d.join("src").to_str().unwrap().into(),
                    recursive: true,
                },
                true,
            ),
        ];
        let dir = d.clone();
        in_child(move || {
            let unshared = privileged::unshare_mount_namespace(&caller);
            if !caller.uid.is_root() {
                return match unshared {
                    Err(_) => Ok(()),
                    Ok(()) => Err("unshare worked without root".into()),
                };
            }
            unshared.map_err(|e| e.to_string())?;
            let prepared = prepare(list).map_err(|e| e.to_string())?;
            prepared.build(&caller).map_err(|e| e.to_string())?;
            let checks = [
                ("ro is read-only", read_only(&dir.join("ro"))),
                ("ro/rw is not", !read_only(&dir.join("ro/rw"))),
                ("the tmpfs is read-only", read_only(&dir.join("tmp"))),
                (
                    "the bind is there",
                    std::fs::read_to_string(dir.join("tmp/in/bound/f")).ok()
                        == Some("bound".into()),
                ),
                (
                    "the bind is read-only",
                    read_only(&dir.join("tmp/in/bound")),
                ),
                ("the host's src is not", !read_only(&dir.join("src"))),
            ];
            match checks.iter().find(|(_, ok)| !ok) {
                Some((what, _)) => Err(format!("not so: {what}")),
                None => Ok(()),
            }
        });
        // A link in a target is refused, even a link root made.
        let refused = prepare(vec![mount(&d.join("link"), Mode::ReadOnly, false)]).unwrap_err();
        assert!(refused.to_string().contains("symbolic link"), "{refused}");
        assert!(refused.to_string().contains("test:1"), "{refused}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// In a child that has unshared its mount namespace: what a host without systemd
    /// lacks, made only there. systemd's inaccessible nodes on a tmpfs over /run, and
    /// a /usr/lib/modules on a tmpfs over /usr/lib, both root's and as PID 1 makes them.
    fn stand_in_for_systemd() -> std::result::Result<(), String> {
        use nix::mount::{mount, MsFlags};
        use nix::sys::stat::{makedev, mknod, Mode as Perm};
        let tmpfs = |at: &str| {
            mount(
                Some("tmpfs"),
                at,
                Some("tmpfs"),
                MsFlags::empty(),
                Some("mode=0755"),
            )
            .map_err(|e| format!("tmpfs on {at}: {e}"))
        };
        if !Path::new(INACCESSIBLE).exists() {
            tmpfs("/run")?;
            let dir = Path::new(INACCESSIBLE);
            std::fs::create_dir_all(dir.join("dir")).map_err(|e| e.to_string())?;
            std::fs::write(dir.join("reg"), "").map_err(|e| e.to_string())?;
            mknod(
                &dir.join("chr"),
                SFlag::S_IFCHR,
                Perm::empty(),
                makedev(0, 0),
            )
            .map_err(|e| e.to_string())?;
            for node in ["dir", "reg", "chr"] {
                nix::sys::stat::fchmodat(
                    nix::fcntl::AT_FDCWD,
                    &dir.join(node),
                    Perm::empty(),
                    nix::sys::stat::FchmodatFlags::NoFollowSymlink,
                )
                .map_err(|e| e.to_string())?;
            }
        }
        if !Path::new("/usr/lib/modules").exists() {
            tmpfs("/usr/lib")?;
            std::fs::create_dir_all("/usr/lib/modules/6.1.0").map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Every mount point at or beneath `under`, and whether what is visible there is
    /// read-only (mountinfo also lists the host's mounts ssc's cover). Nothing in the
    /// child may panic: the test harness would run on in it.
    fn mounts_beneath(under: &str) -> std::result::Result<Vec<(String, bool)>, String> {
        let info = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
        let mut points: Vec<&str> = info
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|at| Path::new(at).starts_with(under))
            .collect();
        points.sort();
        points.dedup();
        let ro = |at: &str| match nix::sys::statvfs::statvfs(at) {
            Ok(st) => Ok((at.to_string(), st.flags().contains(FsFlags::ST_RDONLY))),
            Err(e) => Err(format!("{at}: {e}")),
        };
        points.into_iter().map(ro).collect()
    }

    /// `path` is now the inaccessible node of its type (if the host has `path`).
    fn hidden(path: &str, node: &str) -> std::result::Result<(), String> {
        let Ok(st) = nix::sys::stat::stat(path) else {
            return Ok(());
        };
        let want = nix::sys::stat::stat(&Path::new(INACCESSIBLE).join(node))
            .map_err(|e| format!("{INACCESSIBLE}/{node}: {e}"))?;
        match (st.st_dev, st.st_ino, st.st_mode & 0o7777) == (want.st_dev, want.st_ino, 0) {
            true => Ok(()),
            false => Err(format!("{path} is not the inaccessible {node}")),
        }
    }

    fn errno_of(r: std::io::Result<impl Sized>) -> Option<Errno> {
        r.err().and_then(|e| e.raw_os_error()).map(Errno::from_raw)
    }

    /// The four ProtectKernel*=/ProtectControlGroups= settings, built from systemd's list
    /// for real; with `only_tunables`, ProtectKernelTunables= alone.
    fn build_kernel_settings(only_tunables: bool) {
        use crate::sandbox::plan::{plan, Settings};
        let caller = Caller::from_process().unwrap();
        if !caller.uid.is_root() {
            // The first test shows unprivileged callers stop at unshare.
            return;
        }
        let on = |key| {
            Some(Origin {
                key,
                at: "test:1".into(),
            })
        };
        let all = |key| if only_tunables { None } else { on(key) };
        let settings = Settings {
            protect_kernel_tunables: on("ProtectKernelTunables"),
            protect_kernel_modules: all("ProtectKernelModules"),
            protect_kernel_logs: all("ProtectKernelLogs"),
            protect_control_groups: all("ProtectControlGroups"),
            ..Settings::default()
        };
        in_child(move || {
            privileged::unshare_mount_namespace(&caller).map_err(|e| e.to_string())?;
            // domainname is per UTS namespace: a failing check leaves the host's alone.
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWUTS).map_err(|e| e.to_string())?;
            stand_in_for_systemd()?;
            let list = plan(&settings)
                .into_iter()
                .map(|m| (m, AS_SYSTEMD))
                .collect();
            let prepared = prepare(list).map_err(|e| e.to_string())?;
            prepared.build(&caller).map_err(|e| e.to_string())?;
            let domainname = std::fs::OpenOptions::new()
                .write(true)
                .open("/proc/sys/kernel/domainname");
            if errno_of(domainname) != Some(Errno::EROFS) {
                return Err("/proc/sys/kernel/domainname is writable".into());
            }
            let sys = mounts_beneath("/sys")?;
            if mounts_beneath("/proc/sys")? != [("/proc/sys".to_string(), true)] {
                return Err("/proc/sys is not one read-only mount".into());
            }
            let cgroup = |at: &str| Path::new(at).starts_with("/sys/fs/cgroup");
            // Only ProtectKernelTunables=: /sys/fs/cgroup keeps its host's read-write.
            let wrong = sys
                .iter()
                .find(|(at, ro)| *ro == (only_tunables && cgroup(at)));
            if let Some((at, ro)) = wrong {
                return Err(format!("{at} is read-only: {ro}"));
            }
            hidden("/proc/kallsyms", "reg")?;
            hidden("/proc/kcore", "reg")?;
            if only_tunables {
                return Ok(());
            }
            hidden("/proc/kmsg", "reg")?;
            hidden("/dev/kmsg", "chr")?;
            hidden("/usr/lib/modules", "dir")?;
            // Through root's /lib -> usr/lib on merged /usr, or an entry of its own.
            hidden("/lib/modules", "dir")?;
            // And as someone else than root, they cannot be opened.
            nix::unistd::setgroups(&[]).map_err(|e| e.to_string())?;
            let nobody = nix::unistd::Uid::from_raw(65534);
            let nogroup = nix::unistd::Gid::from_raw(65534);
            nix::unistd::setresgid(nogroup, nogroup, nogroup).map_err(|e| e.to_string())?;
            nix::unistd::setresuid(nobody, nobody, nobody).map_err(|e| e.to_string())?;
            let denied = [
                errno_of(std::fs::File::open("/proc/kallsyms")),
                errno_of(std::fs::File::open("/dev/kmsg")),
                errno_of(std::fs::read_dir("/usr/lib/modules")),
                errno_of(std::fs::read_dir("/lib/modules")),
            ];
            match denied.iter().all(|e| *e == Some(Errno::EACCES)) {
                true => Ok(()),
                false => Err(format!("opened as nobody: {denied:?}")),
            }
        });
    }

    #[test]
    fn builds_protect_kernel_and_control_groups_for_real() {
        build_kernel_settings(false);
    }

    #[test]
    fn builds_protect_kernel_tunables_alone_for_real() {
        build_kernel_settings(true);
    }
}
