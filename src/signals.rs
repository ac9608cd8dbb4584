//! Signal dispositions and the signal mask: at start, around the root connection, and
//! before exec.
//!
//! From connect() until the connection is closed, the caller must not be able to stop
//! ssc: a stopped ssc would hold a root connection for as long as she liked. Its real uid
//! is root's then, so she cannot send it signals (SIGCONT aside); what remains is what a
//! terminal sends to its foreground process group without any permission check.

use nix::sys::signal::{
    sigaction, signal, sigprocmask, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal,
};

use crate::error::{Context, Result};

/// The signal mask the caller started ssc with: it survives exec, even into a set-user-ID
/// program. ssc runs with none blocked: the wait for a launch slot ends on SIGALRM
/// (slots.rs), and a blocked SIGALRM would make it endless. The command gets the caller's
/// mask back, as plain exec would have given it.
pub struct CallerMask(SigSet);

impl CallerMask {
    /// Unblocks every signal; keeps the mask it found.
    pub fn take() -> Result<CallerMask> {
        let mut mask = SigSet::empty();
        sigprocmask(
            SigmaskHow::SIG_SETMASK,
            Some(&SigSet::empty()),
            Some(&mut mask),
        )
        .context("sigprocmask")?;
        Ok(CallerMask(mask))
    }

    /// Just before exec.
    pub fn restore(&self) -> Result<()> {
        sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.0), None).context("sigprocmask")
    }
}

/// The terminal's job-control stops are ignored; its signals that kill (hang-up, ^C, ^\)
/// are held back until the window ends, so that ssc is alive while systemd resolves its pid.
pub struct Window {
    mask: SigSet,
    stops: Vec<(Signal, SigAction)>,
}

const STOPS: [Signal; 3] = [Signal::SIGTSTP, Signal::SIGTTIN, Signal::SIGTTOU];
const HELD: [Signal; 4] = [
    Signal::SIGHUP,
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGTERM,
];

impl Window {
    pub fn enter() -> Result<Window> {
        let mut held = SigSet::empty();
        for s in HELD {
            held.add(s);
        }
        let mut mask = SigSet::empty();
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&held), Some(&mut mask)).context("sigprocmask")?;
        let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
        let mut stops = Vec::with_capacity(STOPS.len());
        for s in STOPS {
            // SAFETY: installs SIG_IGN, not a handler: no code of ours runs on the signal.
            let old = unsafe { sigaction(s, &ignore) }.context(format!("ignoring {s}"))?;
            stops.push((s, old));
        }
        Ok(Window { mask, stops })
    }

    /// Puts back what `enter` found. A signal held back meanwhile is delivered now.
    pub fn leave(self) -> Result<()> {
        for (s, old) in self.stops {
            // SAFETY: restores the disposition ssc was started with. exec resets handlers,
            // so it is SIG_DFL or SIG_IGN: no code of ours runs on the signal.
            unsafe { sigaction(s, &old) }.context(format!("restoring {s}"))?;
        }
        sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.mask), None).context("sigprocmask")
    }
}

/// Rust's runtime ignores SIGPIPE, and an ignored signal survives exec.
pub fn restore_sigpipe() -> Result<()> {
    // SAFETY: installs the default disposition, not a handler; no Rust code runs on SIGPIPE.
    unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }
        .map(drop)
        .context("restoring SIGPIPE")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask is the calling thread's, so this test's own thread is all it touches.
    #[test]
    fn caller_mask_is_cleared_and_given_back_exactly() {
        let mut blocked = SigSet::empty();
        blocked.add(Signal::SIGALRM);
        blocked.add(Signal::SIGUSR1);
        let before = blocked.thread_swap_mask(SigmaskHow::SIG_SETMASK).unwrap();
        let caller = CallerMask::take().unwrap();
        assert_eq!(SigSet::thread_get_mask().unwrap(), SigSet::empty());
        caller.restore().unwrap();
        assert_eq!(SigSet::thread_get_mask().unwrap(), blocked);
        before.thread_set_mask().unwrap();
    }
}
