//! The few libseccomp calls ssc makes, as safe functions: the only code that calls into
//! libseccomp. They run while the profile loads, as the caller; what they produce is
//! plain BPF, installed later by install.rs.

use std::ffi::CString;
use std::io::{Read, Seek};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

use libseccomp_sys as sys;
use nix::errno::Errno;

pub use sys::scmp_arg_cmp as Cmp;
pub use sys::scmp_compare::{
    SCMP_CMP_EQ, SCMP_CMP_GT, SCMP_CMP_LT, SCMP_CMP_MASKED_EQ, SCMP_CMP_NE,
};

/// A libseccomp architecture token (SCMP_ARCH_*).
pub type Arch = u32;
pub const X86: Arch = sys::SCMP_ARCH_X86;
pub const X86_64: Arch = sys::SCMP_ARCH_X86_64;
pub const X32: Arch = sys::SCMP_ARCH_X32;

pub const ALLOW: u32 = sys::SCMP_ACT_ALLOW;

pub fn errno_action(errno: u16) -> u32 {
    sys::SCMP_ACT_ERRNO(errno)
}

/// systemd's scmp_act_kill_process(): the whole process where the kernel can (API
/// level 3, Linux 4.14), else the thread.
pub fn kill_process() -> u32 {
    // SAFETY: no arguments; libseccomp probes the kernel once and caches the level.
    match unsafe { sys::seccomp_api_get() } >= 3 {
        true => sys::SCMP_ACT_KILL_PROCESS,
        false => sys::SCMP_ACT_KILL,
    }
}

/// The architecture ssc is built for.
pub fn native() -> Arch {
    // SAFETY: no arguments, returns a constant.
    unsafe { sys::seccomp_arch_native() }
}

/// seccomp_syscall_resolve_name(): the native number of a system call, or libseccomp's
/// negative pseudo-number for one that exists only on other architectures (socketcall on
/// x86-64); None for a name libseccomp does not know.
pub fn resolve(name: &str) -> Option<i32> {
    let name = CString::new(name).ok()?;
    // SAFETY: name is a valid NUL-terminated string that outlives the call.
    let nr = unsafe { sys::seccomp_syscall_resolve_name(name.as_ptr()) };
    (nr != sys::__NR_SCMP_ERROR).then_some(nr)
}

/// A filter being compiled, for one architecture.
pub struct Filter(NonNull<std::ffi::c_void>);

impl Filter {
    /// systemd's seccomp_init_for_arch(): a filter for `arch` alone, whose other
    /// architectures pass untouched (they get filters of their own), and which leaves
    /// no_new_privs to ssc.
    pub fn for_arch(arch: Arch, default_action: u32) -> Result<Filter, Errno> {
        let f = Filter::new(default_action)?;
        if arch != native() {
            // SAFETY: f.0 is a live context; the tokens are libseccomp's constants.
            check(unsafe { sys::seccomp_arch_remove(f.0.as_ptr(), native()) })?;
            // SAFETY: as above.
            check(unsafe { sys::seccomp_arch_add(f.0.as_ptr(), arch) })?;
        }
        f.attr(
            sys::scmp_filter_attr::SCMP_FLTATR_ACT_BADARCH,
            sys::SCMP_ACT_ALLOW,
        )?;
        Ok(f)
    }

    /// seccomp_init() for the native architecture plus `others`, the rest of the
    /// architectures getting libseccomp's default bad-architecture action (kill): systemd's
    /// seccomp_restrict_archs().
    pub fn only_archs(others: &[Arch]) -> Result<Filter, Errno> {
        let f = Filter::new(sys::SCMP_ACT_ALLOW)?;
        for &arch in others {
            // SAFETY: f.0 is a live context; arch is one of libseccomp's tokens.
            match unsafe { sys::seccomp_arch_add(f.0.as_ptr(), arch) } {
                r if r == -libc::EEXIST => {}
                r => check(r)?,
            }
        }
        Ok(f)
    }

    fn new(default_action: u32) -> Result<Filter, Errno> {
        // SAFETY: no pointers; returns NULL on failure, checked below.
        let ctx = unsafe { sys::seccomp_init(default_action) };
        let f = Filter(NonNull::new(ctx).ok_or(Errno::ENOMEM)?);
        // ssc sets no_new_privs itself, and checks it (launch.rs).
        f.attr(sys::scmp_filter_attr::SCMP_FLTATR_CTL_NNP, 0)?;
        Ok(f)
    }

    fn attr(&self, attr: sys::scmp_filter_attr, value: u32) -> Result<(), Errno> {
        // SAFETY: self.0 is a live context.
        check(unsafe { sys::seccomp_attr_set(self.0.as_ptr(), attr, value) })
    }

    /// Binary-tree mode, as systemd 257 sets for its large allow and deny lists.
    pub fn optimize(&self) -> Result<(), Errno> {
        self.attr(sys::scmp_filter_attr::SCMP_FLTATR_CTL_OPTIMIZE, 2)
    }

    /// seccomp_rule_add_exact(): EDOM when the call does not exist on this filter's
    /// architecture.
    pub fn rule(&mut self, action: u32, syscall: i32, cmps: &[Cmp]) -> Result<(), Errno> {
        let n = u32::try_from(cmps.len()).map_err(|_| Errno::EINVAL)?;
        // SAFETY: self.0 is a live context; cmps points to n comparisons that outlive the
        // call, which copies them.
        check(unsafe {
            sys::seccomp_rule_add_exact_array(self.0.as_ptr(), action, syscall, n, cmps.as_ptr())
        })
    }

    /// The compiled program, as seccomp(SECCOMP_SET_MODE_FILTER) takes it.
    pub fn export(&self) -> Result<Vec<libc::sock_filter>, Errno> {
        // SAFETY: the name is a valid C string; returns a new fd or -1.
        let fd = unsafe { libc::memfd_create(c"ssc-seccomp".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(Errno::last());
        }
        // SAFETY: fd was just created and is owned by nothing else.
        let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        // SAFETY: self.0 is a live context; fd is open for writing.
        check(unsafe { sys::seccomp_export_bpf(self.0.as_ptr(), file.as_raw_fd()) })?;
        let mut bytes = Vec::new();
        file.rewind().map_err(io_errno)?;
        file.read_to_end(&mut bytes).map_err(io_errno)?;
        const SIZE: usize = std::mem::size_of::<libc::sock_filter>();
        if bytes.is_empty() || bytes.len() % SIZE != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(bytes
            .chunks_exact(SIZE)
            .map(|c| libc::sock_filter {
                code: u16::from_ne_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect())
    }
}

impl Drop for Filter {
    fn drop(&mut self) {
        // SAFETY: self.0 came from seccomp_init and is released once, here.
        unsafe { sys::seccomp_release(self.0.as_ptr()) }
    }
}

/// libseccomp returns 0 or a negative errno.
fn check(r: i32) -> Result<(), Errno> {
    match r {
        0.. => Ok(()),
        r => Err(Errno::from_raw(-r)),
    }
}

fn io_errno(e: std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// An argument comparison, as libseccomp's SCMP_An() macros make them.
pub fn arg(arg: u32, op: sys::scmp_compare, a: u64, b: u64) -> Cmp {
    Cmp {
        arg,
        op,
        datum_a: a,
        datum_b: b,
    }
}
