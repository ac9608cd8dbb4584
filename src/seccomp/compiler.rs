//! The filters of one setting, compiled for each ABI it applies to, and the two settings
//! whose filters are more than a list of rules: SystemCallArchitectures= and
//! SystemCallFilter=.

use nix::errno::Errno;

use super::libseccomp::{self, Arch, Filter};
use super::settings::{Settings, SyscallFilter};
use super::{groups, names, steps, values, Step};
use crate::error::{Error, Result};

pub struct Compiler<'a> {
    pub s: &'a Settings,
    /// The ABIs still to filter: SystemCallArchitectures= takes out those it refuses.
    pub archs: Vec<Arch>,
    pub steps: Vec<Step>,
}

impl Compiler<'_> {
    pub fn each_arch(
        &mut self,
        key: &'static str,
        what: &str,
        mut add: impl FnMut(&mut Filter, Arch) -> std::result::Result<(), Errno>,
    ) -> Result<()> {
        self.some_archs(key, what, |f, a| add(f, a).map(|()| true))
    }

    /// A filter on each ABI for which `add` returns true (false: the setting does not
    /// apply there, as systemd decides).
    pub fn some_archs(
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
            mdwe: false,
        });
    }

    /// MemoryDenyWriteExecute= through the kernel's own prctl, in the filters' order.
    pub fn push_mdwe(&mut self, key: &'static str, what: &str) {
        self.push(key, what, Vec::new());
        if let Some(step) = self.steps.last_mut() {
            step.mdwe = true;
        }
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
    pub fn restrict_archs(&mut self) -> Result<()> {
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
    pub fn syscall_filter(&mut self, filter: &SyscallFilter) -> Result<()> {
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
        let own = filter.calls.values().filter(|e| e.is_some()).count();
        let listed = filter.calls.len() - own;
        let what = match filter.allow_list {
            true => format!(
                "allow list of {listed} system calls (@default and write() included), {own} with \
                 their own errno; any other: {}, or ENOSYS if systemd does not know it",
                verdict(self.s.syscall_errno)
            ),
            false => format!(
                "deny list of {listed} system calls: {}; {own} with their own errno",
                verdict(self.s.syscall_errno)
            ),
        };
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
pub fn personality() -> u64 {
    const PER_LINUX32: u64 = 0x0008;
    const QUERY: libc::c_ulong = 0xffff_ffff;
    // SAFETY: the query value only reads the personality.
    let current = unsafe { libc::personality(QUERY) };
    match current >= 0 && (current as u64 & 0xff) == PER_LINUX32 {
        true => PER_LINUX32,
        false => 0,
    }
}

pub fn arch_name(arch: Arch) -> &'static str {
    match arch {
        libseccomp::X86 => "x86",
        libseccomp::X32 => "x32",
        libseccomp::X86_64 => "x86-64",
        _ => "native",
    }
}
