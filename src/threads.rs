//! ssc has one thread from start to exec. The fork of detached mode copies only the
//! calling thread, unshare() and prctl() act on the calling thread only, and the
//! close-on-exec sweep would race a thread that can still receive fds: each checks first.

use crate::error::{Context, Error, Result};

/// Fails closed unless this process has exactly one thread.
pub fn single_threaded(step: &str) -> Result<()> {
    let threads = std::fs::read_dir("/proc/self/task")
        .context("/proc/self/task")?
        .count();
    if threads != 1 {
        return Err(Error::Privilege(format!(
            "{step}: ssc has {threads} threads where it must have one"
        )));
    }
    Ok(())
}
