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
use serde::{Deserialize, Serialize};
use zvariant::serialized::{Context, Data};
use zvariant::{Endian, OwnedValue, Type, Value};

use crate::error::{Error, Result};

/// systemd's own socket, which only root can open: what systemd-run uses as root.
pub const SYSTEMD_PRIVATE: &str = "/run/systemd/private";
/// The fixed system bus socket. DBUS_SYSTEM_BUS_ADDRESS is never consulted: it belongs to
/// the caller (zbus would even run a `unixexec:` address).
pub const SYSTEM_BUS: &str = "/run/dbus/system_bus_socket";

const DEADLINE: &str = "no answer before the deadline";
/// Far above anything systemd or the bus sends ssc; a larger message is an error.
const MAX_MESSAGE: usize = 16 << 20;

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
            conn.call_no_reply(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "Hello",
                &(),
            )
            .map_err(OpenError::Failed)?;
        }
        Ok(conn)
    }

    pub fn peer(&self) -> Peer {
        self.peer
    }

    /// Sends a method call and returns its serial, without waiting for the reply.
    pub fn call_no_reply<B: Serialize + Type>(
        &mut self,
        destination: Option<&str>,
        path: &str,
        interface: &str,
        member: &str,
        body: &B,
    ) -> Result<u32> {
        self.send(destination, path, interface, member, body)
            .map_err(|e| match e {
                ReadError::Refused(why) => Error::Bus(why),
                ReadError::Failed(e) => e,
            })
    }

    /// `call_no_reply`, telling apart a peer that closed the socket before authentication
    /// finished: nothing sent was acted on.
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
        let serial = self.call_no_reply(destination, path, interface, member, body)?;
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

/// The D-Bus message types ssc tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    MethodCall,
    MethodReturn,
    Error,
    Signal,
}

/// A received message: the header fields ssc looks at, and the body, decoded on demand.
#[derive(Debug)]
pub struct Message {
    pub kind: Kind,
    pub reply_serial: Option<u32>,
    pub sender: Option<String>,
    pub path: Option<String>,
    pub interface: Option<String>,
    pub member: Option<String>,
    pub error_name: Option<String>,
    /// The body's signature, without enclosing parentheses ("" for no body).
    pub signature: String,
    body: Data<'static, 'static>,
}

const HEADER_PATH: u8 = 1;
const HEADER_INTERFACE: u8 = 2;
const HEADER_MEMBER: u8 = 3;
const HEADER_ERROR_NAME: u8 = 4;
const HEADER_REPLY_SERIAL: u8 = 5;
const HEADER_DESTINATION: u8 = 6;
const HEADER_SENDER: u8 = 7;
const HEADER_SIGNATURE: u8 = 8;

/// The whole length of the message that starts `input`, once its fixed header is there.
fn message_len(input: &[u8]) -> Result<Option<usize>> {
    if input.len() < 16 {
        return Ok(None);
    }
    let u32_at = |at: usize| {
        let b: [u8; 4] = input[at..at + 4].try_into().expect("4 bytes");
        match input[0] {
            b'B' => u32::from_be_bytes(b),
            _ => u32::from_le_bytes(b),
        }
    };
    if !matches!(input[0], b'l' | b'B') || input[3] != 1 {
        return Err(Error::Bus("malformed message from the peer".into()));
    }
    let fields = u32_at(12) as usize;
    let body = u32_at(4) as usize;
    let header = (16 + fields).next_multiple_of(8);
    let len = header.saturating_add(body);
    if len > MAX_MESSAGE {
        return Err(Error::Bus(format!("message of {len} bytes from the peer")));
    }
    Ok(Some(len))
}

type Header = (u8, u8, u8, u8, u32, u32, Vec<(u8, OwnedValue)>);

impl Message {
    /// Decodes one whole message; anything malformed is an error, never a panic.
    pub fn decode(bytes: Vec<u8>) -> Result<Message> {
        let bad = |what: String| Error::Bus(format!("malformed message from the peer: {what}"));
        let len = message_len(&bytes)?.ok_or_else(|| bad("truncated".into()))?;
        if len != bytes.len() {
            return Err(bad("wrong length".into()));
        }
        let endian = if bytes[0] == b'B' {
            Endian::Big
        } else {
            Endian::Little
        };
        let fields_len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes"));
        let fields_len = if endian == Endian::Big {
            fields_len.swap_bytes()
        } else {
            fields_len
        } as usize;
        let body_offset = (16 + fields_len).next_multiple_of(8);
        let data = Data::new(bytes, Context::new_dbus(endian, 0));
        let (header, _): (Header, usize) = data
            .slice(..16 + fields_len)
            .deserialize()
            .map_err(|e| bad(e.to_string()))?;
        let (_, kind, _, _, _, _, fields) = header;
        let kind = match kind {
            1 => Kind::MethodCall,
            2 => Kind::MethodReturn,
            3 => Kind::Error,
            4 => Kind::Signal,
            other => return Err(bad(format!("message type {other}"))),
        };
        let mut msg = Message {
            kind,
            reply_serial: None,
            sender: None,
            path: None,
            interface: None,
            member: None,
            error_name: None,
            signature: String::new(),
            body: data.slice(body_offset..),
        };
        for (code, value) in fields {
            let text = match &*value {
                Value::Str(s) => Some(s.as_str().to_string()),
                Value::ObjectPath(p) => Some(p.as_str().to_string()),
                Value::Signature(s) => Some(s.to_string_no_parens()),
                _ => None,
            };
            match (code, text, &*value) {
                (HEADER_PATH, Some(t), _) => msg.path = Some(t),
                (HEADER_INTERFACE, Some(t), _) => msg.interface = Some(t),
                (HEADER_MEMBER, Some(t), _) => msg.member = Some(t),
                (HEADER_ERROR_NAME, Some(t), _) => msg.error_name = Some(t),
                (HEADER_SENDER, Some(t), _) => msg.sender = Some(t),
                (HEADER_SIGNATURE, Some(t), _) => msg.signature = t,
                (HEADER_REPLY_SERIAL, _, Value::U32(n)) => msg.reply_serial = Some(*n),
                _ => {}
            }
        }
        Ok(msg)
    }

    /// The body as `T`, if its signature is exactly `T`'s.
    pub fn body<'m, T: Deserialize<'m> + Type>(&'m self) -> Result<T> {
        let want = T::SIGNATURE.to_string_no_parens();
        if self.signature != want {
            return Err(Error::Bus(format!(
                "unexpected reply signature '{}', expected '{want}'",
                self.signature
            )));
        }
        self.body
            .deserialize()
            .map(|(v, _)| v)
            .map_err(|e| Error::Bus(format!("undecodable reply: {e}")))
    }

    /// Whether this is the signal INTERFACE.MEMBER from PATH.
    pub fn is_signal(&self, path: &str, interface: &str, member: &str) -> bool {
        self.kind == Kind::Signal
            && self.path.as_deref() == Some(path)
            && self.interface.as_deref() == Some(interface)
            && self.member.as_deref() == Some(member)
    }

    /// "org.freedesktop.DBus.Error.X: text" for an error reply.
    pub fn error_text(&self) -> String {
        let name = self.error_name.as_deref().unwrap_or("unnamed error");
        match self.body::<(String,)>() {
            Ok((text,)) => format!("{name}: {text}"),
            Err(_) => name.to_string(),
        }
    }
}

/// Encodes a method call, little-endian, with the header fields D-Bus requires. Public
/// for the fuzz targets, which check it against the decoder.
pub fn method_call<B: Serialize + Type>(
    serial: u32,
    destination: Option<&str>,
    path: &str,
    interface: &str,
    member: &str,
    body: &B,
) -> Result<Vec<u8>> {
    let bad = |e: zvariant::Error| Error::Bus(format!("encoding {member}: {e}"));
    let ctxt = Context::new_dbus(Endian::Little, 0);
    let signature = B::SIGNATURE.to_string_no_parens();
    let body = if signature.is_empty() {
        Vec::new()
    } else {
        zvariant::to_bytes(ctxt, body).map_err(bad)?.to_vec()
    };
    let mut fields = Vec::new();
    field(&mut fields, HEADER_PATH, 'o', path.as_bytes());
    field(&mut fields, HEADER_INTERFACE, 's', interface.as_bytes());
    field(&mut fields, HEADER_MEMBER, 's', member.as_bytes());
    if let Some(d) = destination {
        field(&mut fields, HEADER_DESTINATION, 's', d.as_bytes());
    }
    if !signature.is_empty() {
        field(&mut fields, HEADER_SIGNATURE, 'g', signature.as_bytes());
    }
    let body_len = u32::try_from(body.len()).map_err(|_| Error::Bus("message too large".into()))?;
    let mut out = vec![b'l', 1, 0, 1];
    out.extend_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(&serial.to_le_bytes());
    out.extend_from_slice(&(fields.len() as u32).to_le_bytes());
    out.extend_from_slice(&fields);
    out.resize(out.len().next_multiple_of(8), 0);
    out.extend_from_slice(&body);
    Ok(out)
}

/// One `(yv)` header field whose value is a string, object path or signature, appended
/// at its offset within the fields array (which starts 8-aligned, at byte 16).
fn field(out: &mut Vec<u8>, code: u8, kind: char, value: &[u8]) {
    out.resize(out.len().next_multiple_of(8), 0);
    out.extend_from_slice(&[code, 1, kind as u8, 0]);
    if kind == 'g' {
        out.push(value.len() as u8);
    } else {
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(value);
    out.push(0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use zvariant::OwnedObjectPath;

    fn reply_to(bytes: &[u8]) -> Message {
        Message::decode(bytes.to_vec()).unwrap()
    }

    #[test]
    fn method_call_round_trips() {
        let body = (
            "ssc-x.scope",
            "fail",
            vec![("Slice", Value::from("user-1.slice"))],
        );
        let bytes = method_call(
            7,
            Some("org.freedesktop.systemd1"),
            "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager",
            "StartTransientUnit",
            &body,
        )
        .unwrap();
        assert_eq!(message_len(&bytes).unwrap(), Some(bytes.len()));
        let msg = reply_to(&bytes);
        assert_eq!(msg.kind, Kind::MethodCall);
        assert_eq!(msg.path.as_deref(), Some("/org/freedesktop/systemd1"));
        assert_eq!(msg.member.as_deref(), Some("StartTransientUnit"));
        assert_eq!(msg.signature, "ssa(sv)");
        let (unit, mode, props): (String, String, Vec<(String, OwnedValue)>) = msg.body().unwrap();
        assert_eq!((unit.as_str(), mode.as_str()), ("ssc-x.scope", "fail"));
        assert_eq!(props.len(), 1);
        assert!(msg.body::<(OwnedObjectPath,)>().is_err());
    }

    #[test]
    fn empty_body_has_no_signature() {
        let bytes = method_call(1, None, "/", "a.b", "Hello", &()).unwrap();
        let msg = reply_to(&bytes);
        assert_eq!(msg.signature, "");
        assert_eq!(bytes.len() % 8, 0);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            vec![0u8; 16],
            b"l\x02\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00\xff\xff\xff\x7f".to_vec(),
            b"l\x02\x00\x01\x00\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x00\x05\x01u\x00".to_vec(),
        ] {
            assert!(Message::decode(bytes).is_err());
        }
    }
}
