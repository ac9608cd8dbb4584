//! Output of detached commands goes to the journal, the way systemd-cat sends it: a
//! stream connection to journald that starts with a header naming the identifier.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use crate::bus;
use crate::error::{Context, Result};

const STREAM_SOCKET: &str = "/run/systemd/journal/stdout";
const LOG_INFO: u8 = 6;
const LOG_ERR: u8 = 3;

/// Points stdout and stderr at journald. Done after joining the scope, because journald
/// takes the unit of a stream from the cgroup of the process that connected.
pub fn redirect_output(identifier: &str) -> Result<()> {
    let out = stream(identifier, LOG_INFO)?;
    let err = stream(identifier, LOG_ERR)?;
    nix::unistd::dup2_stdout(&out).context("dup2 stdout")?;
    nix::unistd::dup2_stderr(&err).context("dup2 stderr")?;
    Ok(())
}

fn stream(identifier: &str, priority: u8) -> Result<OwnedFd> {
    // journald answers at once; a full backlog must not hold ssc for ever.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sock = bus::connect(STREAM_SOCKET, deadline).context(STREAM_SOCKET)?;
    sock.shutdown(std::net::Shutdown::Read)
        .context(STREAM_SOCKET)?;
    sock.write_all(header(identifier, priority).as_bytes())
        .context(STREAM_SOCKET)?;
    Ok(sock.into())
}

/// identifier, unit (empty), priority, level prefix, then forward to syslog, kmsg, console.
fn header(identifier: &str, priority: u8) -> String {
    let identifier: String = identifier.chars().filter(|c| !c.is_control()).collect();
    format!("{identifier}\n\n{priority}\n0\n0\n0\n0\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_is_systemd_cat_format() {
        assert_eq!(super::header("firefox", 6), "firefox\n\n6\n0\n0\n0\n0\n");
        assert_eq!(super::header("a\nb", 3), "ab\n\n3\n0\n0\n0\n0\n");
    }
}
