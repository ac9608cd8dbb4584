//! A small synchronous D-Bus connection: EXTERNAL authentication, method calls and
//! signals over one Unix socket, every wait bounded by one deadline, and no threads.
//!
//! ssc does not use zbus's connection: it runs reader and executor threads (async-io's
//! reactor thread never ends), and closes through a thread pool that spins when a thread
//! cannot be spawned. ssc must fork, unshare and sweep its fds with a single thread, and
//! must never wait without a deadline while it holds a root connection (see launch.rs).
//! The message bodies are encoded and decoded by zvariant, zbus's own serialization crate;
//! the header, a handful of fixed fields, is written here.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    connect as connect_socket, setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType,
    UnixAddr,
};
use nix::sys::time::TimeVal;
use nix::unistd::Uid;
use serde::Serialize;
use zvariant::Type;

use crate::error::{Error, Result};

mod message;

use message::message_len;
pub use message::{method_call, Kind, Message};

/// systemd's own socket, which only root can open: what systemd-run uses as root.
pub const SYSTEMD_PRIVATE: &str = "/run/systemd/private";
/// The fixed system bus socket. DBUS_SYSTEM_BUS_ADDRESS is never consulted: it belongs to
/// the caller (zbus would even run a `unixexec:` address).
pub const SYSTEM_BUS: &str = "/run/dbus/system_bus_socket";

const DEADLINE: &str = "no answer before the deadline";

/// Connects a Unix stream socket to `path`. A listener with a full backlog makes connect()
/// wait, for at most the socket's send timeout: set to what is left of the deadline.
pub fn connect(path: &str, deadline: Instant) -> std::io::Result<UnixStream> {
    let left = remaining(deadline).ok_or(ErrorKind::TimedOut)?;
    let fd: OwnedFd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    let timeout = TimeVal::new(
        left.as_secs().try_into().unwrap_or(i64::MAX),
        left.subsec_micros().max(1).into(),
    );
    setsockopt(&fd, sockopt::SendTimeout, &timeout)?;
    connect_socket(fd.as_raw_fd(), &UnixAddr::new(path)?)?;
    Ok(UnixStream::from(fd))
}

/// The time left before `deadline`, or None once it has passed.
pub fn remaining(deadline: Instant) -> Option<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    (!left.is_zero()).then_some(left)
}

/// Who is at the other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// systemd itself, peer to peer: no bus, no Hello, no sender names, no match rules.
    Systemd,
    /// dbus-daemon: Hello first, and messages carry their sender's unique name.
    Bus,
}

/// Why a connection ended before it was usable.
#[derive(Debug)]
pub enum OpenError {
    /// The peer closed the socket or rejected the authentication: systemd does this when
    /// it has too many connections, so there may be another way.
    Refused(String),
    /// Anything else, the deadline included.
    Failed(Error),
}

pub struct Connection {
    stream: UnixStream,
    peer: Peer,
    deadline: Instant,
    serial: u32,
    input: Vec<u8>,
    /// Until the server's "OK" line has been read, bytes in `input` are authentication.
    authenticated: bool,
}

impl Connection {
    /// Starts EXTERNAL authentication as `uid` and, on a bus, says Hello. Nothing is
    /// awaited: AUTH, BEGIN and the first messages go out together, as sd-bus does it, and
    /// the server's answer is read with the first reply.
    pub fn open(
        stream: UnixStream,
        peer: Peer,
        uid: Uid,
        deadline: Instant,
    ) -> Result<Connection, OpenError> {
        stream
            .set_nonblocking(true)
            .map_err(|e| OpenError::Failed(Error::Bus(format!("socket: {e}"))))?;
        let mut conn = Connection {
            stream,
            peer,
            deadline,
            serial: 0,
            input: Vec::new(),
            authenticated: false,
        };
        let uid_hex: String = uid
            .to_string()
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        let auth = format!("\0AUTH EXTERNAL {uid_hex}\r\nBEGIN\r\n");
        conn.write_all(auth.as_bytes()).map_err(refused_or_failed)?;
        if peer == Peer::Bus {
            conn.send(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "Hello",
                &(),
            )
            .map_err(|e| OpenError::Failed(e.into()))?;
        }
        Ok(conn)
    }

    pub fn peer(&self) -> Peer {
        self.peer
    }

    /// Sends a method call and returns its serial, without waiting for the reply. A peer
    /// that closed the socket before authentication finished is told apart: nothing sent
    /// was acted on.
    pub fn send<B: Serialize + Type>(
        &mut self,
        destination: Option<&str>,
        path: &str,
        interface: &str,
        member: &str,
        body: &B,
    ) -> Result<u32, ReadError> {
        self.serial += 1;
        let bytes = method_call(self.serial, destination, path, interface, member, body)
            .map_err(ReadError::Failed)?;
        match self.write_all(&bytes) {
            Ok(()) => Ok(self.serial),
            Err(e) if !self.authenticated && e.is_refusal() => Err(ReadError::Refused(e.text())),
            Err(e) => Err(ReadError::Failed(Error::Bus(format!(
                "sending {member}: {}",
                e.text()
            )))),
        }
    }

    /// Sends a method call and waits for its reply, dropping anything else that arrives.
    /// The reply may be an error (`Kind::Error`).
    pub fn call<B: Serialize + Type>(
        &mut self,
        destination: Option<&str>,
        path: &str,
        interface: &str,
        member: &str,
        body: &B,
    ) -> Result<Message> {
        let serial = self.send(destination, path, interface, member, body)?;
        loop {
            let msg = self.receive()?;
            if msg.reply_serial == Some(serial) {
                return Ok(msg);
            }
        }
    }

    /// The next message, waiting at most until the deadline.
    pub fn receive(&mut self) -> Result<Message> {
        self.receive_or_refused().map_err(|e| match e {
            ReadError::Refused(what) => Error::Bus(what),
            ReadError::Failed(e) => e,
        })
    }

    /// The next message that arrives before `until` (at the latest the deadline), or None.
    pub fn receive_until(&mut self, until: Instant) -> Result<Option<Message>, ReadError> {
        let deadline = self.deadline;
        self.deadline = until.min(deadline);
        let msg = self.receive_or_refused();
        self.deadline = deadline;
        match msg {
            Err(ReadError::Failed(Error::Bus(e))) if e == DEADLINE && until < deadline => Ok(None),
            other => other.map(Some),
        }
    }

    /// Like `receive`, but tells a refused connection apart: the peer closed the socket
    /// or rejected us before authentication finished, so nothing we sent was acted on.
    pub fn receive_or_refused(&mut self) -> Result<Message, ReadError> {
        loop {
            if !self.authenticated {
                if let Some(end) = self.input.windows(2).position(|w| w == b"\r\n") {
                    let line = String::from_utf8_lossy(&self.input[..end]).into_owned();
                    self.input.drain(..end + 2);
                    if !line.starts_with("OK ") {
                        return Err(ReadError::Refused(format!(
                            "authentication refused: {line}"
                        )));
                    }
                    self.authenticated = true;
                    continue;
                }
                if self.input.len() > 512 {
                    return Err(ReadError::Refused("authentication: no answer line".into()));
                }
            } else if let Some(msg) = self.take_message().map_err(ReadError::Failed)? {
                return Ok(msg);
            }
            match self.fill() {
                Ok(()) => {}
                Err(e) if !self.authenticated && e.is_refusal() => {
                    return Err(ReadError::Refused(e.text()))
                }
                Err(e) => return Err(ReadError::Failed(Error::Bus(e.text()))),
            }
        }
    }

    /// Closes the socket at once: shutdown() ends it for the peer even if a copy of the fd
    /// existed somewhere.
    pub fn close(self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> std::result::Result<(), IoError> {
        while !bytes.is_empty() {
            match self.stream.write(bytes) {
                Ok(0) => return Err(IoError::Closed),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.wait(PollFlags::POLLOUT)?,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(IoError::Io(e)),
            }
        }
        Ok(())
    }

    /// Reads what is there into `input`, waiting for it until the deadline.
    fn fill(&mut self) -> std::result::Result<(), IoError> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return Err(IoError::Closed),
                Ok(n) => {
                    self.input.extend_from_slice(&buf[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.wait(PollFlags::POLLIN)?,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(IoError::Io(e)),
            }
        }
    }

    fn wait(&self, events: PollFlags) -> std::result::Result<(), IoError> {
        let left = remaining(self.deadline).ok_or(IoError::Deadline)?;
        // Rounded up, so that poll never returns early and spins at zero.
        let ms = left.as_millis().saturating_add(1).min(i32::MAX as u128);
        let timeout = PollTimeout::try_from(ms as i32).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(self.stream.as_fd(), events)];
        match poll(&mut fds, timeout) {
            Ok(0) => Err(IoError::Deadline),
            Ok(_) => Ok(()),
            Err(nix::errno::Errno::EINTR) => Ok(()),
            Err(e) => Err(IoError::Io(e.into())),
        }
    }

    /// One whole message from the front of `input`, if it has arrived.
    fn take_message(&mut self) -> Result<Option<Message>> {
        let Some(len) = message_len(&self.input)? else {
            return Ok(None);
        };
        if self.input.len() < len {
            return Ok(None);
        }
        let bytes: Vec<u8> = self.input.drain(..len).collect();
        Message::decode(bytes).map(Some)
    }
}

/// What can end a wait for a message.
#[derive(Debug)]
pub enum ReadError {
    Refused(String),
    Failed(Error),
}

impl From<ReadError> for Error {
    fn from(e: ReadError) -> Error {
        match e {
            ReadError::Refused(why) => Error::Bus(why),
            ReadError::Failed(e) => e,
        }
    }
}

#[derive(Debug)]
enum IoError {
    Closed,
    Deadline,
    Io(std::io::Error),
}

impl IoError {
    fn is_refusal(&self) -> bool {
        match self {
            IoError::Closed => true,
            IoError::Io(e) => matches!(
                e.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionRefused
            ),
            IoError::Deadline => false,
        }
    }

    fn text(&self) -> String {
        match self {
            IoError::Closed => "the connection was closed".into(),
            IoError::Deadline => DEADLINE.into(),
            IoError::Io(e) => e.to_string(),
        }
    }
}

fn refused_or_failed(e: IoError) -> OpenError {
    if e.is_refusal() {
        OpenError::Refused(e.text())
    } else {
        OpenError::Failed(Error::Bus(e.text()))
    }
}
