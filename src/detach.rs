//! Detached mode (--no-tty): the fork, and the report pipe through which the child tells
//! the waiting parent that it is about to exec, or why it failed.

use std::fs::File;
use std::io::{Read, Write};
use std::sync::OnceLock;

use nix::fcntl::OFlag;
use nix::sys::wait::WaitStatus;

use crate::credentials::Caller;
use crate::error::{Context, Error, Result, EXIT_SSC};
use crate::privileged;

pub enum Detached {
    Parent(u8),
    Child,
}

/// The detached child's end of the report pipe; also used by the panic hook.
static REPORT: OnceLock<File> = OnceLock::new();
/// Written just before exec. Without it, end of file means the child died on the way.
const ABOUT_TO_EXEC: u8 = 0;

/// Forks for --no-tty. The parent drops root for good and waits on a close-on-exec pipe:
/// the "about to exec" mark followed by end of file means the exec succeeded; otherwise
/// the child sends its exit status and error line, or dies, and the parent says how.
pub fn detach(caller: &Caller) -> Result<Detached> {
    let (read_end, write_end) = nix::unistd::pipe2(OFlag::O_CLOEXEC).context("pipe")?;
    crate::threads::single_threaded("fork")?;
    // SAFETY: checked just above: this is the only thread, so the child is a whole copy
    // of it, with no lock held by a thread that would not exist there.
    match unsafe { nix::unistd::fork() }.context("fork")? {
        nix::unistd::ForkResult::Child => {
            drop(read_end);
            let _ = REPORT.set(File::from(write_end));
            Ok(Detached::Child)
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(write_end);
            // The parent only waits and reports: it needs nothing of root's.
            if let Err(e) = privileged::drop_for_good(caller) {
                let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                return Err(e);
            }
            let mut report = Vec::new();
            File::from(read_end)
                .read_to_end(&mut report)
                .context("reading the detached child's status")?;
            let (marked, rest) = match report.split_first() {
                Some((&ABOUT_TO_EXEC, rest)) => (true, rest),
                _ => (false, &report[..]),
            };
            if let Some((&code, message)) = rest.split_first() {
                let _ = nix::sys::wait::waitpid(child, None);
                return Err(Error::Detached(
                    code,
                    String::from_utf8_lossy(message).into_owned(),
                ));
            }
            if marked {
                return Ok(Detached::Parent(0));
            }
            let how = match nix::sys::wait::waitpid(child, None) {
                Ok(WaitStatus::Exited(_, n)) => format!("exited with status {n}"),
                Ok(WaitStatus::Signaled(_, sig, _)) => format!("was killed by {sig}"),
                Ok(other) => format!("ended: {other:?}"),
                Err(e) => format!("could not be waited for: {e}"),
            };
            Err(Error::Detached(
                EXIT_SSC,
                format!("the detached launch {how} before it could start the command"),
            ))
        }
    }
}

pub fn report_about_to_exec() -> Result<()> {
    let report = REPORT
        .get()
        .ok_or_else(|| Error::Privilege("no report pipe".into()))?;
    (&*report)
        .write_all(&[ABOUT_TO_EXEC])
        .context("reporting to the detached parent")
}

/// Sends the exit status and error line to a waiting detached parent, if there is one.
pub fn report_to_parent(code: u8, line: &str) {
    if let Some(report) = REPORT.get() {
        let mut msg = vec![code];
        msg.extend_from_slice(line.as_bytes());
        let _ = (&*report).write_all(&msg);
    }
}
