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

use message::{message_len, MAX_MESSAGE};
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

/// What a connection sends first, all of it encoded before connect() and sent in one
/// write(): EXTERNAL authentication as `uid`, on a bus Hello, then the calls queued with
/// `call`. Nothing is awaited in between, as sd-bus does it; the server's answer to AUTH
/// is read with the first reply.
pub struct Opening {
    peer: Peer,
    bytes: Vec<u8>,
    serial: u32,
}

impl Opening {
    pub fn new(peer: Peer, uid: Uid) -> Result<Opening> {
        let uid_hex: String = uid
            .to_string()
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut opening = Opening {
            peer,
            bytes: format!("\0AUTH EXTERNAL {uid_hex}\r\nBEGIN\r\n").into_bytes(),
            serial: 0,
        };
        if peer == Peer::Bus {
            opening.call(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "Hello",
                &(),
            )?;
        }
        Ok(opening)
    }

    /// Queues a method call behind what is there; returns its serial.
    pub fn call<B: Serialize + Type>(
        &mut self,
        destination: Option<&str>,
        path: &str,
        interface: &str,
        member: &str,
        body: &B,
    ) -> Result<u32> {
        self.serial += 1;
        let bytes = method_call(self.serial, destination, path, interface, member, body)?;
        self.bytes.extend_from_slice(&bytes);
        Ok(self.serial)
    }

    /// Everything queued, as it goes on the wire.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

pub struct Connection {
    stream: UnixStream,
    peer: Peer,
    deadline: Instant,
    serial: u32,
    input: Vec<u8>,
    /// Until the server's "OK" line has been read, bytes in `input` are authentication.
    authenticated: bool,
    /// Bytes still to drop of a message too large to read (on a bus only).
    skip: usize,
}

impl Connection {
    /// Authenticates as `uid` and, on a bus, says Hello (see `Opening`).
    pub fn open(
        stream: UnixStream,
        peer: Peer,
        uid: Uid,
        deadline: Instant,
    ) -> Result<Connection, OpenError> {
        let opening = Opening::new(peer, uid).map_err(OpenError::Failed)?;
        Connection::open_with(stream, opening, deadline)
    }

    /// Sends the whole `opening`, its first action on the connected socket, so that nothing
    /// ssc does runs between connect() and the request. The socket is still blocking: a
    /// Unix socket takes these few KiB in one write() (VM scenario 135-parked traces it).
    pub fn open_with(
        stream: UnixStream,
        opening: Opening,
        deadline: Instant,
    ) -> Result<Connection, OpenError> {
        let mut conn = Connection {
            stream,
            peer: opening.peer,
            deadline,
            serial: opening.serial,
            input: Vec::new(),
            authenticated: false,
            skip: 0,
        };
        conn.write_all(&opening.bytes).map_err(refused_or_failed)?;
        conn.stream
            .set_nonblocking(true)
            .map_err(|e| OpenError::Failed(Error::Bus(format!("socket: {e}"))))?;
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

    /// Reads what is there into `input`, waiting for it until the deadline. A peer that
    /// never stops sending does not hold ssc past it either.
    fn fill(&mut self) -> std::result::Result<(), IoError> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            remaining(self.deadline).ok_or(IoError::Deadline)?;
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

    /// One whole message from the front of `input`, if it has arrived. On a bus any user
    /// may send a unicast signal to any connection: a message too large or not decodable
    /// is skipped there (the bus has checked its framing), never an error, and one too
    /// large is dropped as it arrives, without being held. From systemd itself, either is
    /// an error.
    fn take_message(&mut self) -> Result<Option<Message>> {
        loop {
            if self.skip > 0 {
                let n = self.skip.min(self.input.len());
                self.input.drain(..n);
                self.skip -= n;
                if self.skip > 0 {
                    return Ok(None);
                }
            }
            let Some(len) = message_len(&self.input)? else {
                return Ok(None);
            };
            if len > MAX_MESSAGE {
                if self.peer == Peer::Bus {
                    self.skip = len;
                    continue;
                }
                return Err(Error::Bus(format!("message of {len} bytes from the peer")));
            }
            if self.input.len() < len {
                return Ok(None);
            }
            let bytes: Vec<u8> = self.input.drain(..len).collect();
            match Message::decode(bytes) {
                Ok(msg) => return Ok(Some(msg)),
                Err(_) if self.peer == Peer::Bus => continue,
                Err(e) => return Err(e),
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// An authenticated connection of `peer` whose other end the test writes.
    fn fed(peer: Peer) -> (Connection, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let opening = Opening::new(peer, Uid::from_raw(0)).unwrap();
        let mut conn = Connection::open_with(ours, opening, deadline).unwrap();
        conn.authenticated = true;
        (conn, theirs)
    }

    /// The 16 bytes of a little-endian header with no fields, of message type `kind`,
    /// announcing a body of `body` bytes.
    fn header(kind: u8, body: u32) -> Vec<u8> {
        let mut h = vec![b'l', kind, 0, 1];
        h.extend_from_slice(&body.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h
    }

    /// Streams a message over the limit, then one of an unknown type, then a real one.
    fn jam(mut theirs: UnixStream) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let big = MAX_MESSAGE + 1;
            let _ = theirs.write_all(&header(4, big as u32));
            let chunk = vec![0u8; 1 << 20];
            let mut left = big;
            while left > 0 {
                let n = left.min(chunk.len());
                if theirs.write_all(&chunk[..n]).is_err() {
                    return;
                }
                left -= n;
            }
            let _ = theirs.write_all(&header(9, 0));
            let ping = method_call(9, None, "/x", "a.b", "Ping", &()).unwrap();
            let _ = theirs.write_all(&ping);
        })
    }

    /// On a bus, a message over the limit is dropped as it streams in (never held whole),
    /// and one that does not decode is skipped: the next message is read.
    #[test]
    fn bus_skips_what_it_cannot_take() {
        let (mut conn, theirs) = fed(Peer::Bus);
        let writer = jam(theirs);
        let msg = loop {
            if let Some(msg) = conn.take_message().unwrap() {
                break msg;
            }
            assert!(
                conn.input.len() <= 1 << 20,
                "{} bytes held",
                conn.input.len()
            );
            conn.fill().unwrap();
        };
        writer.join().unwrap();
        assert_eq!(msg.member.as_deref(), Some("Ping"));
    }

    /// From systemd itself the same is an error, at once.
    #[test]
    fn direct_connection_refuses_an_oversized_message() {
        let (mut conn, theirs) = fed(Peer::Systemd);
        let writer = jam(theirs);
        let e = conn.receive().unwrap_err();
        assert!(e.to_string().contains("bytes from the peer"), "{e}");
        drop(conn);
        writer.join().unwrap();
    }
}
