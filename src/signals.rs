//! Signal dispositions around the root connection, and before exec.
//!
//! From connect() until the connection is closed, the caller must not be able to stop
//! ssc: a stopped ssc would hold a root connection for as long as she liked. Its real uid
//! is root's then, so she cannot send it signals (SIGCONT aside); what remains is what a
//! terminal sends to its foreground process group without any permission check.

use nix::sys::signal::{
    sigaction, signal, sigprocmask, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal,
};

use crate::error::{Context, Result};

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
