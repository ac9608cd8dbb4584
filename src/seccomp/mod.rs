//! systemd's seccomp settings for a scope, which systemd refuses on one: the filters its
//! executor installs for a service, compiled when the profile loads and installed as the
//! caller, under no_new_privs, as the last step before exec. No root code is involved.
//!
//! Like systemd (exec_child() in v252, exec_invoke() in v257), ssc installs one filter per setting and
//! per ABI, in systemd's order. Filters stack: for a call, the kernel runs every one, and
//! the strictest action wins (kill before errno before allow); of two errnos, the filter
//! installed later wins. Same filters in the same order give the same verdicts, errno
//! included. ssc's own terminal rule goes first, so that any of systemd's settings that
//! also covers ioctl() decides as it would under systemd.
//!
//! Each filter covers one ABI, and lets the others pass to theirs: on x86-64, i386
//! (int 0x80) and x32 are filtered as well as the native ABI, so a deny list cannot be
//! bypassed through a second ABI. SystemCallArchitectures= then refuses whole ABIs.

mod compiler;
pub mod groups;
mod install;
mod libseccomp;
pub mod names;
mod settings;
mod steps;
pub mod values;

use crate::error::{Error, Result};
use crate::profile::Profile;
use compiler::{arch_name, personality, Compiler};
use libseccomp::Arch;
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
    /// MemoryDenyWriteExecute= through prctl(PR_SET_MDWE) instead of programs.
    mdwe: bool,
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
        let shown: Vec<&str> = set.iter().map(|&af| names::family_name(af)).collect();
        let what = format!(
            "socket() of {} [{}]: EAFNOSUPPORT (not on i386, where socket() is socketcall)",
            if *allow_list {
                "any family but"
            } else {
                "the families"
            },
            shown.join(" ")
        );
        c.some_archs("RestrictAddressFamilies", &what, |f, a| {
            steps::address_families(f, a, *allow_list, &set)
        })?;
    }
    // systemd 257 asks the kernel where it can (Linux 6.3), and filters only where not.
    if s.memory_deny_write_execute && install::has_mdwe() {
        let what = "PR_MDWE_REFUSE_EXEC_GAIN: no memory writable and executable, or made executable later: EACCES";
        c.push_mdwe("MemoryDenyWriteExecute", what);
    } else if s.memory_deny_write_execute {
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
                if s.mdwe {
                    return format!("prctl {} ({}): {}", s.key, s.at, s.what);
                }
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
            if step.mdwe {
                install::refuse_exec_gain().map_err(|e| {
                    Error::Privilege(format!(
                        "cannot set MemoryDenyWriteExecute ({}): prctl(PR_SET_MDWE): {e}",
                        step.at
                    ))
                })?;
            }
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

#[cfg(test)]
mod tests {
    //! The filters for real, on this machine's kernel: each call runs in a child of its
    //! own that installed them, so that a kill or a personality change stays there.

    use super::*;
    use crate::profile::parse;
    use std::path::Path;

    #[derive(Debug, PartialEq, Eq)]
    enum Verdict {
        Done,
        Errno(i32),
        Killed,
    }
    use Verdict::*;

    fn verdict(text: &str, call: fn() -> i64) -> Verdict {
        let p = parse("k", Path::new("/etc/ssc/profiles.d/k.conf"), text).unwrap();
        let filters = compile(&p).unwrap();
        // SAFETY: the child only makes system calls and exits; it returns nothing to the
        // test harness's threads.
        match unsafe { libc::fork() } {
            0 => {
                // SAFETY: plain system calls; _exit never returns.
                unsafe {
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                    let code = match filters.install() {
                        Err(_) => 255,
                        Ok(()) => match call() {
                            r if r < 0 => *libc::__errno_location(),
                            _ => 0,
                        },
                    };
                    libc::_exit(code)
                }
            }
            pid => {
                let mut status = 0;
                // SAFETY: waits for the child forked above.
                assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
                if libc::WIFSIGNALED(status) {
                    assert_eq!(libc::WTERMSIG(status), libc::SIGSYS);
                    return Killed;
                }
                match libc::WEXITSTATUS(status) {
                    255 => panic!("the filters did not install"),
                    0 => Done,
                    e => Errno(e),
                }
            }
        }
    }

    /// A system call through the i386 ABI (int 0x80), as a 32-bit program makes it.
    fn int80(nr: u32, a: u32, b: u32) -> i64 {
        let ret: i32;
        // SAFETY: int 0x80 takes its arguments in eax, ebx, ecx (rbx is LLVM's, hence the
        // exchange), edx; it changes only eax; none of the calls used here touch memory.
        unsafe {
            std::arch::asm!(
                "xchg {a:r}, rbx", "int 0x80", "xchg {a:r}, rbx",
                a = inout(reg) u64::from(a) => _,
                inlateout("eax") nr as i32 => ret,
                in("ecx") b,
                in("edx") 0u32,
            );
        }
        match ret {
            r if r < 0 => {
                // SAFETY: errno is this thread's.
                unsafe { *libc::__errno_location() = -r };
                -1
            }
            r => i64::from(r),
        }
    }

    const I386_UNSHARE: u32 = 310;
    const I386_SOCKET: u32 = 359;

    fn tiocsti_high_bits() -> i64 {
        let c = b'x';
        // SAFETY: a raw system call; a pointer argument is live across it.
        unsafe { libc::syscall(libc::SYS_ioctl, -1, (1u64 << 32) | libc::TIOCSTI, &c) }
    }
    fn unshare_user() -> i64 {
        // SAFETY: a raw system call; a pointer argument is live across it.
        unsafe { libc::syscall(libc::SYS_unshare, libc::CLONE_NEWUSER) }
    }
    fn i386_unshare_user() -> i64 {
        int80(I386_UNSHARE, libc::CLONE_NEWUSER as u32, 0)
    }
    fn i386_socket_inet() -> i64 {
        int80(I386_SOCKET, libc::AF_INET as u32, libc::SOCK_STREAM as u32)
    }
    fn socket_inet() -> i64 {
        // SAFETY: a raw system call; a pointer argument is live across it.
        unsafe { libc::syscall(libc::SYS_socket, libc::AF_INET, libc::SOCK_STREAM, 0) }
    }
    fn socket_netlink_high_bits() -> i64 {
        let family = (1i64 << 32) | i64::from(libc::AF_NETLINK);
        // SAFETY: a raw system call; a pointer argument is live across it.
        unsafe { libc::syscall(libc::SYS_socket, family, libc::SOCK_RAW, 0) }
    }
    fn personality_linux32() -> i64 {
        // SAFETY: a raw system call; a pointer argument is live across it.
        unsafe { libc::syscall(libc::SYS_personality, 0x0008) }
    }
    fn chmod_setuid() -> i64 {
        // SAFETY: a raw system call; a pointer argument is live across it.
        unsafe { libc::syscall(libc::SYS_chmod, c"/nonexistent/ssc".as_ptr(), 0o4755) }
    }
    fn mmap_wx() -> i64 {
        let prot = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        // SAFETY: a raw system call; a pointer argument is live across it.
        unsafe { libc::syscall(libc::SYS_mmap, 0, 4096, prot, flags, -1, 0) }
    }
    fn mount_nothing() -> i64 {
        // SAFETY: a raw system call; a pointer argument is live across it.
        unsafe { libc::syscall(libc::SYS_mount, 0, 0, 0, 0, 0) }
    }

    const NNP: &str = "[Profile]\nNoNewPrivileges=yes\n";

    #[test]
    fn the_terminal_rule_compares_the_low_32_bits() {
        assert_eq!(
            verdict("[Profile]\n", tiocsti_high_bits),
            Errno(libc::EBADF)
        );
        assert_eq!(verdict(NNP, tiocsti_high_bits), Errno(libc::EPERM));
    }

    #[test]
    fn each_setting_gives_systemds_errno() {
        let with = |keys: &str| format!("{NNP}{keys}\n");
        assert_eq!(
            verdict(&with("LockPersonality=yes"), personality_linux32),
            Errno(libc::EPERM)
        );
        assert_eq!(
            verdict(&with("RestrictSUIDSGID=yes"), chmod_setuid),
            Errno(libc::EPERM)
        );
        assert_eq!(verdict(NNP, chmod_setuid), Errno(libc::ENOENT));
        // The kernel's own refusal where it has one (Linux 6.3), as systemd 257 asks for.
        let mdwe = match install::has_mdwe() {
            true => libc::EACCES,
            false => libc::EPERM,
        };
        assert_eq!(
            verdict(&with("MemoryDenyWriteExecute=yes"), mmap_wx),
            Errno(mdwe)
        );
        assert_eq!(verdict(NNP, mmap_wx), Done);
        let unix_only = with("RestrictAddressFamilies=AF_UNIX");
        assert_eq!(verdict(&unix_only, socket_inet), Errno(libc::EAFNOSUPPORT));
        // As in systemd: i386 reaches socket() through socketcall too, so it is left alone.
        assert_eq!(verdict(&unix_only, i386_socket_inet), Done);
        // The kernel reads an int: the high bits must not get a denied family through.
        let no_netlink = with("RestrictAddressFamilies=~AF_NETLINK");
        assert_eq!(
            verdict(&no_netlink, socket_netlink_high_bits),
            Errno(libc::EAFNOSUPPORT)
        );
        assert_eq!(verdict(NNP, socket_netlink_high_bits), Done);
        assert_eq!(
            verdict(&with("RestrictNamespaces=yes"), unshare_user),
            Errno(libc::EPERM)
        );
        assert_eq!(
            verdict(&with("RestrictNamespaces=~user"), i386_unshare_user),
            Errno(libc::EPERM)
        );
    }

    #[test]
    fn deny_lists_reach_every_abi_and_the_later_filter_decides() {
        let deny = "[Profile]\nSystemCallFilter=~unshare:ENOENT mount\n";
        assert_eq!(verdict(deny, unshare_user), Errno(libc::ENOENT));
        assert_eq!(verdict(deny, i386_unshare_user), Errno(libc::ENOENT));
        assert_eq!(verdict(deny, mount_nothing), Killed);
        // RestrictNamespaces's EPERM is installed before SystemCallFilter's ENOENT.
        let both = format!("{deny}RestrictNamespaces=yes\n");
        assert_eq!(verdict(&both, unshare_user), Errno(libc::ENOENT));
        let errno = format!("{deny}SystemCallErrorNumber=EACCES\n");
        assert_eq!(verdict(&errno, mount_nothing), Errno(libc::EACCES));
        // A kill wins over any errno.
        let native =
            "[Profile]\nSystemCallArchitectures=native\nSystemCallFilter=~unshare:ENOENT\n";
        assert_eq!(verdict(native, i386_unshare_user), Killed);
        assert_eq!(verdict(native, unshare_user), Errno(libc::ENOENT));
    }

    #[test]
    fn an_allow_list_denies_the_rest() {
        let allow = "[Profile]\nSystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\n";
        assert_eq!(verdict(allow, mount_nothing), Errno(libc::EPERM));
        assert_eq!(verdict(allow, socket_inet), Done);
        let kill = "[Profile]\nSystemCallFilter=@system-service\n";
        assert_eq!(verdict(kill, mount_nothing), Killed);
    }

    #[test]
    fn a_program_the_kernel_refuses_fails_the_launch() {
        // An opcode BPF does not have: the kernel refuses the program (EINVAL), and
        // install() must say so rather than go on without it.
        let bad = Filters(vec![Step {
            key: "SystemCallFilter",
            at: "k.conf:2".into(),
            what: String::new(),
            programs: vec![(
                libseccomp::X86_64,
                vec![libc::sock_filter {
                    code: 0xffff,
                    jt: 0,
                    jf: 0,
                    k: 0,
                }],
            )],
            mdwe: false,
        }]);
        // SAFETY: the child only makes system calls and exits.
        match unsafe { libc::fork() } {
            0 => {
                // SAFETY: plain system calls; _exit never returns.
                unsafe {
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                    libc::_exit(match bad.install() {
                        Err(e) if e.to_string().contains("SystemCallFilter (k.conf:2") => 0,
                        _ => 1,
                    })
                }
            }
            pid => {
                let mut status = 0;
                // SAFETY: waits for the child forked above.
                assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
                assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
            }
        }
    }

    #[test]
    fn strict_compiles_its_filters_in_systemds_order() {
        let strict = crate::profile::built_in("strict", 2).unwrap();
        let keys: Vec<&str> = compile(&strict).unwrap().0.iter().map(|s| s.key).collect();
        assert_eq!(
            keys,
            [
                "NoNewPrivileges",
                "RestrictRealtime",
                "RestrictSUIDSGID",
                "ProtectKernelTunables",
                "ProtectKernelModules",
                "ProtectKernelLogs",
                "LockPersonality"
            ]
        );
        let relaxed = crate::profile::built_in("relaxed", 2).unwrap();
        assert!(compile(&relaxed).unwrap().is_empty());
    }
}
