//! seccomp(SECCOMP_SET_MODE_FILTER) for programs compiled earlier, and the kernel's own
//! MemoryDenyWriteExecute: the last step before exec, as the caller, under no_new_privs.

use nix::errno::Errno;

/// Installs one program. The kernel copies it; `program` may go afterwards.
pub fn install(program: &[libc::sock_filter]) -> Result<(), Errno> {
    let len = u16::try_from(program.len()).map_err(|_| Errno::E2BIG)?;
    let fprog = libc::sock_fprog {
        len,
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: fprog points to `len` instructions that live across the call; the kernel
    // only reads them. Flags 0: no thread sync (ssc has one thread), no logging.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &fprog as *const libc::sock_fprog,
        )
    };
    match r {
        0 => Ok(()),
        _ => Err(Errno::last()),
    }
}

const PR_SET_MDWE: libc::c_int = 65;
const PR_GET_MDWE: libc::c_int = 66;
const PR_MDWE_REFUSE_EXEC_GAIN: libc::c_ulong = 1;

/// Whether the kernel has PR_SET_MDWE (Linux 6.3). Asking changes nothing.
pub fn has_mdwe() -> bool {
    // SAFETY: PR_GET_MDWE only reads this process's flags; older kernels say EINVAL.
    unsafe { libc::prctl(PR_GET_MDWE, 0, 0, 0, 0) >= 0 }
}

/// prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN): no mapping may become writable and
/// executable, or executable later; kept across fork and exec, never undone.
pub fn refuse_exec_gain() -> Result<(), Errno> {
    // SAFETY: sets a flag of this process; no pointers.
    match unsafe { libc::prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) } {
        0 => Ok(()),
        _ => Err(Errno::last()),
    }
}
