//! One function per filter systemd's executor installs, after src/shared/seccomp-util.c
//! (v252 and v257): each adds its rules to a filter for one architecture, with systemd's
//! actions and errnos. mod.rs calls them in systemd's order, once per architecture.
//!
//! Where systemd logs a rule it could not add and skips that architecture's filter, ssc
//! refuses (the caller gets exit 125). A call that does not exist on an architecture
//! (libseccomp's EDOM) is left out, as systemd leaves it out: there is nothing to filter.

use std::collections::BTreeSet;

use nix::errno::Errno;

use super::libseccomp::{
    self as lib, arg, Arch, Filter, SCMP_CMP_EQ, SCMP_CMP_GT, SCMP_CMP_LT, SCMP_CMP_MASKED_EQ,
    SCMP_CMP_NE,
};
use super::names::{self, ALL_NAMESPACES, NAMESPACES};
use super::settings::SyscallFilter;
use super::values::ErrorNumber;

fn eperm() -> u32 {
    lib::errno_action(libc::EPERM as u16)
}

/// Adds a rule for the call named, if libseccomp knows the name and the call exists on
/// the filter's architecture.
pub fn rule(f: &mut Filter, action: u32, name: &str, cmps: &[lib::Cmp]) -> Result<(), Errno> {
    match lib::resolve(name) {
        Some(nr) => rule_nr(f, action, nr, cmps),
        None => Ok(()),
    }
}

fn rule_nr(f: &mut Filter, action: u32, nr: i32, cmps: &[lib::Cmp]) -> Result<(), Errno> {
    match f.rule(action, nr, cmps) {
        Err(Errno::EDOM) => Ok(()),
        r => r,
    }
}

/// ssc's terminal rule: ioctl(TIOCSTI) would push input into the caller's terminal, to be
/// read by her shell after the command ends; TIOCLINUX can do the same on a virtual
/// console. The kernel compares only the low 32 bits of the request (its `cmd` is an
/// unsigned int), so the rule does too: a 64-bit compare is what CVE-2019-10063 bypassed.
pub fn terminal(f: &mut Filter, _: Arch) -> Result<(), Errno> {
    for request in [libc::TIOCSTI, libc::TIOCLINUX] {
        let low = u64::from(request as u32);
        rule(
            f,
            eperm(),
            "ioctl",
            &[arg(1, SCMP_CMP_MASKED_EQ, 0xffff_ffff, low)],
        )?;
    }
    Ok(())
}

/// seccomp_restrict_address_families(). systemd leaves out the ABIs that reach socket()
/// through socketcall(2), whose arguments a filter cannot see: on x86-64, i386.
pub fn address_families(
    f: &mut Filter,
    arch: Arch,
    allow_list: bool,
    set: &BTreeSet<i32>,
) -> Result<bool, Errno> {
    if arch == lib::X86 {
        return Ok(false);
    }
    let deny = lib::errno_action(libc::EAFNOSUPPORT as u16);
    let family = |op, af: i32| [arg(0, op, af as u64, 0)];
    if !allow_list {
        for &af in set {
            rule(f, deny, "socket", &family(SCMP_CMP_EQ, af))?;
        }
        return Ok(true);
    }
    let valid: Vec<i32> = set
        .iter()
        .copied()
        .filter(|&af| af > 0 && af < names::family_max())
        .collect();
    let (Some(&first), Some(&last)) = (valid.first(), valid.last()) else {
        rule(f, deny, "socket", &[])?;
        return Ok(true);
    };
    rule(f, deny, "socket", &family(SCMP_CMP_LT, first))?;
    rule(f, deny, "socket", &family(SCMP_CMP_GT, last))?;
    for af in 1..names::family_max() {
        if !set.contains(&af) {
            rule(f, deny, "socket", &family(SCMP_CMP_EQ, af))?;
        }
    }
    Ok(true)
}

/// seccomp_memory_deny_write_execute(): no mapping both writable and executable, and no
/// making one executable later. On i386 the old mmap() takes its arguments in memory and
/// is refused whole, and shmat() is multiplexed through ipc(), which systemd leaves alone.
pub fn memory_deny_write_execute(f: &mut Filter, arch: Arch) -> Result<(), Errno> {
    let wx = u64::from((libc::PROT_WRITE | libc::PROT_EXEC) as u32);
    let x = u64::from(libc::PROT_EXEC as u32);
    let (mmap, old_mmap, shmat) = match arch {
        lib::X86 => ("mmap2", Some("mmap"), None),
        _ => ("mmap", None, Some("shmat")),
    };
    rule(f, eperm(), mmap, &[arg(2, SCMP_CMP_MASKED_EQ, wx, wx)])?;
    if let Some(old) = old_mmap {
        rule(f, eperm(), old, &[])?;
    }
    rule(f, eperm(), "mprotect", &[arg(2, SCMP_CMP_MASKED_EQ, x, x)])?;
    rule(
        f,
        eperm(),
        "pkey_mprotect",
        &[arg(2, SCMP_CMP_MASKED_EQ, x, x)],
    )?;
    if let Some(shmat) = shmat {
        let shm_exec = libc::SHM_EXEC as u64;
        rule(
            f,
            eperm(),
            shmat,
            &[arg(2, SCMP_CMP_MASKED_EQ, shm_exec, shm_exec)],
        )?;
    }
    Ok(())
}

/// seccomp_restrict_realtime(): sched_setscheduler() to any policy but SCHED_OTHER,
/// SCHED_BATCH and SCHED_IDLE. Like systemd, sched_setattr() is not filtered.
pub fn restrict_realtime(f: &mut Filter, _: Arch) -> Result<(), Errno> {
    let permitted = [libc::SCHED_OTHER, libc::SCHED_BATCH, libc::SCHED_IDLE];
    let max = *permitted.iter().max().expect("not empty");
    for policy in (0..max).filter(|p| !permitted.contains(p)) {
        let cmp = [arg(1, SCMP_CMP_EQ, policy as u64, 0)];
        rule(f, eperm(), "sched_setscheduler", &cmp)?;
    }
    rule(
        f,
        eperm(),
        "sched_setscheduler",
        &[arg(1, SCMP_CMP_GT, max as u64, 0)],
    )
}

/// seccomp_restrict_suid_sgid(): no set-user-ID or set-group-ID bit set on any file, by
/// any of the calls that take a mode. openat2() hides its flags in memory and is refused
/// with ENOSYS, so that programs fall back to openat().
pub fn restrict_suid_sgid(f: &mut Filter, arch: Arch) -> Result<(), Errno> {
    for bit in [libc::S_ISUID, libc::S_ISGID] {
        let m = u64::from(bit);
        let mode = |n| arg(n, SCMP_CMP_MASKED_EQ, m, m);
        let creat = |n| {
            arg(
                n,
                SCMP_CMP_MASKED_EQ,
                libc::O_CREAT as u64,
                libc::O_CREAT as u64,
            )
        };
        rule(f, eperm(), "chmod", &[mode(1)])?;
        rule(f, eperm(), "fchmod", &[mode(1)])?;
        rule(f, eperm(), "fchmodat", &[mode(2)])?;
        match lib::resolve("fchmodat2") {
            Some(_) => rule(f, eperm(), "fchmodat2", &[mode(2)])?,
            // A libseccomp older than fchmodat2 (2.5.4 in Debian 12): systemd, built
            // against it, refuses the call by its number, on the native ABI only.
            None if arch == lib::native() => rule_nr(
                f,
                lib::errno_action(libc::ENOSYS as u16),
                libc::SYS_fchmodat2 as i32,
                &[],
            )?,
            None => {}
        }
        rule(f, eperm(), "mkdir", &[mode(1)])?;
        rule(f, eperm(), "mkdirat", &[mode(2)])?;
        rule(f, eperm(), "mknod", &[mode(1)])?;
        rule(f, eperm(), "mknodat", &[mode(2)])?;
        rule(f, eperm(), "open", &[creat(1), mode(2)])?;
        rule(f, eperm(), "openat", &[creat(2), mode(3)])?;
        rule(f, lib::errno_action(libc::ENOSYS as u16), "openat2", &[])?;
        rule(f, eperm(), "creat", &[mode(1)])?;
    }
    Ok(())
}

/// seccomp_restrict_namespaces(), keeping the types in `kept`. clone3() hides its flags
/// in memory and gets ENOSYS, so that programs fall back to clone().
pub fn restrict_namespaces(f: &mut Filter, _: Arch, kept: u64) -> Result<(), Errno> {
    rule(f, lib::errno_action(libc::ENOSYS as u16), "clone3", &[])?;
    match kept & ALL_NAMESPACES {
        0 => rule(f, eperm(), "setns", &[])?,
        _ => rule(f, eperm(), "setns", &[arg(1, SCMP_CMP_EQ, 0, 0)])?,
    }
    for &(_, flag) in NAMESPACES.iter().filter(|&&(_, flag)| kept & flag == 0) {
        let with_flag = |n| [arg(n, SCMP_CMP_MASKED_EQ, flag, flag)];
        rule(f, eperm(), "unshare", &with_flag(0))?;
        rule(f, eperm(), "clone", &with_flag(0))?;
        if kept & ALL_NAMESPACES != 0 {
            rule(f, eperm(), "setns", &with_flag(1))?;
        }
    }
    Ok(())
}

/// seccomp_protect_sysctl(): the old sysctl(2). x32 has none.
pub fn protect_sysctl(f: &mut Filter, arch: Arch) -> Result<bool, Errno> {
    if arch == lib::X32 {
        return Ok(false);
    }
    rule(f, eperm(), "_sysctl", &[])?;
    Ok(true)
}

/// ProtectKernelModules=: systemd's @module group, EPERM.
pub fn protect_kernel_modules(f: &mut Filter, _: Arch) -> Result<(), Errno> {
    for name in ["delete_module", "finit_module", "init_module"] {
        rule(f, eperm(), name, &[])?;
    }
    Ok(())
}

/// seccomp_protect_syslog().
pub fn protect_syslog(f: &mut Filter, _: Arch) -> Result<(), Errno> {
    rule(f, eperm(), "syslog", &[])
}

/// seccomp_lock_personality(): personality(2) only with the one ssc runs under.
pub fn lock_personality(f: &mut Filter, _: Arch, personality: u64) -> Result<(), Errno> {
    rule(
        f,
        eperm(),
        "personality",
        &[arg(0, SCMP_CMP_NE, personality, 0)],
    )
}

/// seccomp_load_syscall_filter_set_raw() for SystemCallFilter=, as systemd 257 builds it:
/// in an allow list, calls systemd does not know (not in @known) get ENOSYS instead of
/// the error or the kill, so that programs fall back from calls newer than the list.
pub fn syscall_filter(
    f: &mut Filter,
    _: Arch,
    filter: &SyscallFilter,
    negative: u32,
    known: &[i32],
) -> Result<(), Errno> {
    let action = if filter.allow_list {
        lib::ALLOW
    } else {
        negative
    };
    for (&nr, errno) in &filter.calls {
        let a = match errno {
            Some(ErrorNumber::Kill) => lib::kill_process(),
            Some(ErrorNumber::Errno(e)) => lib::errno_action(*e),
            None => action,
        };
        rule_nr(f, a, nr, &[])?;
    }
    if filter.allow_list {
        for &nr in known.iter().filter(|nr| !filter.calls.contains_key(nr)) {
            rule_nr(f, negative, nr, &[])?;
        }
    }
    f.optimize()
}
