//! seccomp(SECCOMP_SET_MODE_FILTER) for programs compiled earlier: the last step before
//! exec, as the caller, under no_new_privs.

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
