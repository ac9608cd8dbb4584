//! D-Bus messages on the wire: ssc encodes its method calls (a little-endian header of
//! fixed fields, and a body that zvariant encodes) and decodes whatever the peer sends,
//! turning anything malformed into an error, never a panic.

use serde::{Deserialize, Serialize};
use zvariant::serialized::{Context, Data};
use zvariant::{Endian, OwnedValue, Type, Value};

use crate::error::{Error, Result};

/// Far above anything systemd or the bus sends ssc. A larger message is an error from
/// systemd itself; on the bus, where any user may send a unicast signal to any connection,
/// it is skipped unread (bus/mod.rs).
pub(super) const MAX_MESSAGE: usize = 16 << 20;

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

/// The whole length of the message that starts `input`, once its fixed header is there;
/// it may exceed `MAX_MESSAGE`. An error means the stream itself is broken.
pub(super) fn message_len(input: &[u8]) -> Result<Option<usize>> {
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
    Ok(Some(header.saturating_add(body)))
}

type Header = (u8, u8, u8, u8, u32, u32, Vec<(u8, OwnedValue)>);

impl Message {
    /// Decodes one whole message; anything malformed is an error, never a panic.
    pub fn decode(bytes: Vec<u8>) -> Result<Message> {
        let bad = |what: String| Error::Bus(format!("malformed message from the peer: {what}"));
        let len = message_len(&bytes)?.ok_or_else(|| bad("truncated".into()))?;
        if len > MAX_MESSAGE {
            return Err(Error::Bus(format!("message of {len} bytes from the peer")));
        }
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
