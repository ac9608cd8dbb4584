//! Output of detached commands goes to the journal, the way systemd-cat sends it: a
//! stream connection to journald that starts with a header naming the identifier.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use nix::sys::socket::{setsockopt, sockopt};
use nix::sys::time::TimeVal;

use crate::bus;
use crate::error::{Context, Result};

const STREAM_SOCKET: &str = "/run/systemd/journal/stdout";
const LOG_INFO: u8 = 6;
const LOG_ERR: u8 = 3;

/// Points stdout and stderr at journald. Done after joining the scope, because journald
/// takes the unit of a stream from the cgroup of the process that connected.
pub fn redirect_output(identifier: &str) -> Result<()> {
    let out = stream(STREAM_SOCKET, identifier, LOG_INFO)?;
    let err = stream(STREAM_SOCKET, identifier, LOG_ERR)?;
    nix::unistd::dup2_stdout(&out).context("dup2 stdout")?;
    nix::unistd::dup2_stderr(&err).context("dup2 stderr")?;
    Ok(())
}

/// The socket as systemd-cat hands it over: connected, shut for reading, header written,
/// blocking, and with no send timeout.
fn stream(path: &str, identifier: &str, priority: u8) -> Result<OwnedFd> {
    // journald answers at once; a full backlog must not hold ssc for ever.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sock = bus::connect(path, deadline).context(path)?;
    sock.shutdown(std::net::Shutdown::Read).context(path)?;
    sock.write_all(header(identifier, priority).as_bytes())
        .context(path)?;
    // The command's writes wait while journald is busy, as they would on a pipe: the
    // timeout that bounds ssc's own connect and header would turn them into EAGAIN.
    setsockopt(&sock, sockopt::SendTimeout, &TimeVal::new(0, 0)).context(path)?;
    Ok(sock.into())
}

/// identifier, unit (empty), priority, level prefix, then forward to syslog, kmsg, console.
fn header(identifier: &str, priority: u8) -> String {
    let identifier: String = identifier.chars().filter(|c| !c.is_control()).collect();
    format!("{identifier}\n\n{priority}\n0\n0\n0\n0\n")
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::os::unix::net::UnixListener;

    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    use nix::sys::socket::{getsockopt, sockopt};

    #[test]
    fn the_command_gets_a_blocking_socket_without_send_timeout() {
        let dir = std::env::temp_dir().join(format!("ssc-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stdout");
        let listener = UnixListener::bind(&path).unwrap();
        let fd = super::stream(path.to_str().unwrap(), "app", 6).unwrap();
        let timeout = getsockopt(&fd, sockopt::SendTimeout).unwrap();
        assert_eq!((timeout.tv_sec(), timeout.tv_usec()), (0, 0));
        let flags = OFlag::from_bits_truncate(fcntl(&fd, FcntlArg::F_GETFL).unwrap());
        assert!(!flags.contains(OFlag::O_NONBLOCK), "{flags:?}");
        drop(fd);
        let mut got = String::new();
        listener
            .accept()
            .unwrap()
            .0
            .read_to_string(&mut got)
            .unwrap();
        assert_eq!(got, super::header("app", 6));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn header_is_systemd_cat_format() {
        assert_eq!(super::header("firefox", 6), "firefox\n\n6\n0\n0\n0\n0\n");
        assert_eq!(super::header("a\nb", 3), "ab\n\n3\n0\n0\n0\n0\n");
    }
}
