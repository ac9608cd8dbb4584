//! systemd's seccomp settings for a scope, which systemd refuses on one: the filters its
//! executor installs for a service, compiled when the profile loads and installed as the
//! caller, under no_new_privs, as the last step before exec. No root code is involved.
//!
//! Like systemd (exec_invoke(), v252 and v257), ssc installs one filter per setting and
//! per ABI, in systemd's order. Filters stack: for a call, the kernel runs every one, and
//! the strictest action wins (kill before errno before allow); of two errnos, the filter
//! installed later wins. Same filters in the same order give the same verdicts, errno
//! included. ssc's own terminal rule goes first, so that any of systemd's settings that
//! also covers ioctl() decides as it would under systemd.
//!
//! Each filter covers one ABI, and lets the others pass to theirs: on x86-64, i386
//! (int 0x80) and x32 are filtered as well as the native ABI, so a deny list cannot be
//! bypassed through a second ABI. SystemCallArchitectures= then refuses whole ABIs.

pub mod groups;
mod install;
mod libseccomp;
pub mod names;
mod settings;
mod steps;
pub mod values;

use nix::errno::Errno;

use crate::error::{Error, Result};
use crate::profile::Profile;
use libseccomp::{Arch, Filter};
use settings::Settings;

/// systemd's seccomp_local_archs: the ABIs the kernel accepts from a process of ssc's
/// architecture, the native one last.
#[cfg(target_arch = "x86_64")]
const LOCAL_ARCHS: &[Arch] = &[libseccomp::X86, libseccomp::X32, libseccomp::X86_64];
#[cfg(not(target_arch = "x86_64"))]
compile_error!("ssc's seccomp settings know the ABIs of x86-64 only (src/seccomp/mod.rs)");

/// One setting's filters: one program per ABI it covers.
#[derive(Debug)]
pub struct Step {
    pub key: &'static str,
    /// "FILE:LINE", or "built-in NAME".
    pub at: String,
    /// What the filters do, for --dry-run.
    pub what: String,
    programs: Vec<(Arch, Vec<libc::sock_filter>)>,
}

/// Every filter a profile asks for, in the order they are installed.
#[derive(Debug, Default)]
pub struct Filters(Vec<Step>);

/// The filters of a profile, compiled. Errors are the profile's: exit 125 before any
/// privileged step.
pub fn compile(profile: &Profile) -> Result<Filters> {
    let s = Settings::of(profile);
    let mut c = Compiler {
        s: &s,
        archs: LOCAL_ARCHS.to_vec(),
        steps: Vec::new(),
    };
    if s.terminal {
        let what = "ioctl(TIOCSTI, TIOCLINUX), low 32 bits of the request: EPERM";
        c.each_arch("NoNewPrivileges", what, steps::terminal)?;
    }
    let (allow_list, families) = &s.address_families;
    if *allow_list || families.as_ref().is_some_and(|f| !f.is_empty()) {
        let set = families.clone().unwrap_or_default();
        let what = format!(
            "socket() {} families {:?}: EAFNOSUPPORT (not on i386, where socket() is socketcall)",
            if *allow_list { "outside the" } else { "in the" },
            set
        );
        c.some_archs("RestrictAddressFamilies", &what, |f, a| {
            steps::address_families(f, a, *allow_list, &set)
        })?;
    }
    if s.memory_deny_write_execute {
        let what = "mmap() writable and executable, mprotect()/pkey_mprotect() to executable, shmat(SHM_EXEC): EPERM";
        c.each_arch(
            "MemoryDenyWriteExecute",
            what,
            steps::memory_deny_write_execute,
        )?;
    }
    if s.restrict_realtime {
        let what = "sched_setscheduler() to a realtime policy: EPERM";
        c.each_arch("RestrictRealtime", what, steps::restrict_realtime)?;
    }
    if s.restrict_suid_sgid {
        let what = "chmod(), mkdir(), mknod(), open(O_CREAT) and their kin with S_ISUID or S_ISGID: EPERM; openat2(): ENOSYS";
        c.each_arch("RestrictSUIDSGID", what, steps::restrict_suid_sgid)?;
    }
    if let Some(kept) = s
        .restrict_namespaces
        .filter(|k| k & names::ALL_NAMESPACES != names::ALL_NAMESPACES)
    {
        let kept_names: Vec<&str> = names::NAMESPACES
            .iter()
            .filter(|(_, f)| kept & f != 0)
            .map(|(n, _)| *n)
            .collect();
        let what = format!(
            "unshare(), clone() and setns() of any namespace type but [{}]: EPERM; clone3(): ENOSYS",
            kept_names.join(" ")
        );
        c.each_arch("RestrictNamespaces", &what, |f, a| {
            steps::restrict_namespaces(f, a, kept)
        })?;
    }
    if s.protect_kernel_tunables {
        c.some_archs(
            "ProtectKernelTunables",
            "_sysctl(): EPERM",
            steps::protect_sysctl,
        )?;
    }
    if s.protect_kernel_modules {
        let what = "init_module(), finit_module(), delete_module() (@module): EPERM";
        c.each_arch("ProtectKernelModules", what, steps::protect_kernel_modules)?;
    }
    if s.protect_kernel_logs {
        c.each_arch(
            "ProtectKernelLogs",
            "syslog(): EPERM",
            steps::protect_syslog,
        )?;
    }
    if !s.archs.is_empty() {
        c.restrict_archs()?;
    }
    if s.lock_personality {
        let p = personality();
        let what = format!("personality() other than {p:#x}: EPERM");
        c.each_arch("LockPersonality", &what, |f, a| {
            steps::lock_personality(f, a, p)
        })?;
    }
    if let Some(filter) = &s.syscall_filter {
        c.syscall_filter(filter)?;
    }
    Ok(Filters(c.steps))
}

struct Compiler<'a> {
    s: &'a Settings,
    /// The ABIs still to filter: SystemCallArchitectures= takes out those it refuses.
    archs: Vec<Arch>,
    steps: Vec<Step>,
}

impl Compiler<'_> {
    fn each_arch(
        &mut self,
        key: &'static str,
        what: &str,
        mut add: impl FnMut(&mut Filter, Arch) -> std::result::Result<(), Errno>,
    ) -> Result<()> {
        self.some_archs(key, what, |f, a| add(f, a).map(|()| true))
    }

    /// A filter on each ABI for which `add` returns true (false: the setting does not
    /// apply there, as systemd decides).
    fn some_archs(
        &mut self,
        key: &'static str,
        what: &str,
        mut add: impl FnMut(&mut Filter, Arch) -> std::result::Result<bool, Errno>,
    ) -> Result<()> {
        self.with_default(key, what, libseccomp::ALLOW, |f, a| add(f, a))
    }

    fn with_default(
        &mut self,
        key: &'static str,
        what: &str,
        default_action: u32,
        mut add: impl FnMut(&mut Filter, Arch) -> std::result::Result<bool, Errno>,
    ) -> Result<()> {
        let mut programs = Vec::new();
        for &arch in &self.archs {
            let failed = |e: Errno| self.failed(key, arch, e);
            let mut f = Filter::for_arch(arch, default_action).map_err(failed)?;
            if add(&mut f, arch).map_err(failed)? {
                programs.push((arch, f.export().map_err(failed)?));
            }
        }
        self.push(key, what, programs);
        Ok(())
    }

    fn push(
        &mut self,
        key: &'static str,
        what: &str,
        programs: Vec<(Arch, Vec<libc::sock_filter>)>,
    ) {
        let at = match self.s.at.get(key) {
            Some(at) => at.clone(),
            None => "ssc's own rule, under NoNewPrivileges".into(),
        };
        self.steps.push(Step {
            key,
            at,
            what: what.into(),
            programs,
        });
    }

    fn failed(&self, key: &str, arch: Arch, e: Errno) -> Error {
        let at = self.s.at.get(key).map_or("", String::as_str);
        Error::Profile(format!(
            "{at}: {key}: cannot compile the seccomp filter for {}: {e}",
            arch_name(arch)
        ))
    }

    /// seccomp_restrict_archs(): one filter that kills a process calling through any
    /// ABI but the native one and those listed. Later settings skip the ABIs it refuses.
    fn restrict_archs(&mut self) -> Result<()> {
        let native = libseccomp::native();
        let (kept, refused): (Vec<Arch>, Vec<Arch>) = self
            .archs
            .iter()
            .filter(|&&a| a != native)
            .partition(|a| self.s.archs.contains(a));
        if refused.is_empty() {
            return Ok(());
        }
        let failed = |e| self.failed("SystemCallArchitectures", native, e);
        let f = Filter::only_archs(&kept).map_err(failed)?;
        let program = f.export().map_err(failed)?;
        self.archs.retain(|a| !refused.contains(a));
        let names: Vec<&str> = refused.iter().map(|&a| arch_name(a)).collect();
        let what = format!(
            "any system call through {}: the process is killed (SIGSYS)",
            names.join(", ")
        );
        self.push("SystemCallArchitectures", &what, vec![(native, program)]);
        Ok(())
    }

    /// apply_syscall_filter(), as systemd 257: write() is always allowed, because ssc
    /// must be able to report an exec that fails.
    fn syscall_filter(&mut self, filter: &settings::SyscallFilter) -> Result<()> {
        let mut filter = filter.clone();
        if let Some(write) = libseccomp::resolve("write") {
            match filter.allow_list {
                true => filter.calls.insert(write, None),
                false => filter.calls.remove(&write),
            };
        }
        let negative = match self.s.syscall_errno {
            values::ErrorNumber::Kill => libseccomp::kill_process(),
            values::ErrorNumber::Errno(e) => libseccomp::errno_action(e),
        };
        let known: Vec<i32> = groups::GROUPS
            .iter()
            .find(|(g, _)| *g == "@known")
            .map_or(&[][..], |(_, m)| m)
            .iter()
            .filter_map(|n| libseccomp::resolve(n))
            .filter(|&nr| nr >= 0)
            .collect();
        let default_action = match filter.allow_list {
            true => libseccomp::errno_action(libc::ENOSYS as u16),
            false => libseccomp::ALLOW,
        };
        let what = format!(
            "{} {} system calls{}; {}",
            if filter.allow_list {
                "allow list of"
            } else {
                "deny list of"
            },
            filter.calls.len(),
            if filter.allow_list {
                " (@default and write included)"
            } else {
                ""
            },
            match (filter.allow_list, self.s.syscall_errno) {
                (true, e) => format!(
                    "any other: {} ({}), ENOSYS if systemd does not know it",
                    verdict(e),
                    "SystemCallErrorNumber"
                ),
                (false, e) => format!("those listed: {} unless given their own", verdict(e)),
            }
        );
        self.with_default("SystemCallFilter", &what, default_action, |f, a| {
            steps::syscall_filter(f, a, &filter, negative, &known).map(|()| true)
        })
    }
}

fn verdict(e: values::ErrorNumber) -> String {
    match e {
        values::ErrorNumber::Kill => "killed (SIGSYS)".into(),
        values::ErrorNumber::Errno(n) => names::errno_name(n),
    }
}

/// systemd's opinionated_personality(): PER_LINUX32 if ssc runs under it, else PER_LINUX.
fn personality() -> u64 {
    const PER_LINUX32: u64 = 0x0008;
    const QUERY: libc::c_ulong = 0xffff_ffff;
    // SAFETY: the query value only reads the personality.
    let current = unsafe { libc::personality(QUERY) };
    match current >= 0 && (current as u64 & 0xff) == PER_LINUX32 {
        true => PER_LINUX32,
        false => 0,
    }
}

fn arch_name(arch: Arch) -> &'static str {
    match arch {
        libseccomp::X86 => "x86",
        libseccomp::X32 => "x32",
        libseccomp::X86_64 => "x86-64",
        _ => "native",
    }
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// For --dry-run: one line per setting, in the order of installation.
    pub fn describe(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|s| {
                let abis: Vec<String> = s
                    .programs
                    .iter()
                    .map(|(a, p)| format!("{} {}", arch_name(*a), p.len()))
                    .collect();
                format!(
                    "seccomp {} ({}): {} [instructions: {}]",
                    s.key,
                    s.at,
                    s.what,
                    abis.join(", ")
                )
            })
            .collect()
    }

    /// Installs every filter. Needs no_new_privs; the caller checks it first.
    pub fn install(&self) -> Result<()> {
        for step in &self.0 {
            for (arch, program) in &step.programs {
                install::install(program).map_err(|e| {
                    Error::Privilege(format!(
                        "cannot install the seccomp filter for {} ({}, {}): {e}",
                        step.key,
                        step.at,
                        arch_name(*arch)
                    ))
                })?;
            }
        }
        Ok(())
    }
}

/// `ssc --list-syscall-groups`: the groups in `systemd-analyze syscall-filter`'s layout.
pub fn list_groups() -> String {
    let mut out = format!("# systemd {}\n\n", groups::REFERENCE);
    for (name, members) in groups::GROUPS {
        out.push_str(name);
        out.push('\n');
        for m in *members {
            out.push_str("    ");
            out.push_str(m);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
