//! The values of the network keys, IPAddressAllow=/IPAddressDeny=,
//! RestrictNetworkInterfaces= and SocketBindAllow=/SocketBindDeny=, parsed as systemd-run
//! parses them (src/shared/bus-unit-util.c and the helpers it calls) and shown in systemd's
//! syntax.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

pub const AF_INET: i32 = 2;
pub const AF_INET6: i32 = 10;
pub const IPPROTO_TCP: i32 = 6;
pub const IPPROTO_UDP: i32 = 17;

/// One IPAddressAllow=/IPAddressDeny= prefix, as systemd sends it: `(iayu)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IpPrefix {
    pub family: i32,
    /// 4 bytes for AF_INET, all 16 for AF_INET6; not masked, as systemd-run sends it.
    pub address: [u8; 16],
    pub prefix_len: u8,
}

impl IpPrefix {
    pub fn address_bytes(&self) -> &[u8] {
        match self.family {
            AF_INET => &self.address[..4],
            _ => &self.address,
        }
    }

    fn v4(a: [u8; 4], prefix_len: u8) -> IpPrefix {
        let mut address = [0; 16];
        address[..4].copy_from_slice(&a);
        IpPrefix {
            family: AF_INET,
            address,
            prefix_len,
        }
    }

    fn v6(address: [u8; 16], prefix_len: u8) -> IpPrefix {
        IpPrefix {
            family: AF_INET6,
            address,
            prefix_len,
        }
    }

    /// in_addr_prefix_from_string_auto: ADDRESS[/LEN]; without a length, the whole address.
    fn parse(word: &str) -> Option<IpPrefix> {
        let (addr, len) = match word.split_once('/') {
            Some((a, l)) if !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) => {
                (a, Some(l.parse::<u8>().ok()?))
            }
            Some(_) => return None,
            None => (word, None),
        };
        if let Ok(a) = addr.parse::<Ipv4Addr>() {
            let len = len.unwrap_or(32);
            return (len <= 32).then(|| IpPrefix::v4(a.octets(), len));
        }
        let a = addr.parse::<Ipv6Addr>().ok()?;
        let len = len.unwrap_or(128);
        (len <= 128).then(|| IpPrefix::v6(a.octets(), len))
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.family == AF_INET {
            let a: [u8; 4] = self.address[..4].try_into().map_err(|_| fmt::Error)?;
            write!(f, "{}/{}", Ipv4Addr::from(a), self.prefix_len)
        } else {
            write!(f, "{}/{}", Ipv6Addr::from(self.address), self.prefix_len)
        }
    }
}

/// The value of one IPAddressAllow=/IPAddressDeny= line: as written, and its prefixes.
/// No prefixes: the empty assignment, which resets the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addresses {
    pub written: String,
    pub prefixes: Vec<IpPrefix>,
}

impl Addresses {
    /// The keywords stand alone, as in systemd-run; anything else is a list of prefixes.
    pub fn parse(v: &str) -> Option<Addresses> {
        let prefixes = if v.is_empty() {
            Vec::new()
        } else if v == "any" {
            vec![IpPrefix::v4([0; 4], 0), IpPrefix::v6([0; 16], 0)]
        } else if is_localhost(v) {
            vec![
                IpPrefix::v4([127, 0, 0, 0], 8),
                IpPrefix::v6(Ipv6Addr::LOCALHOST.octets(), 128),
            ]
        } else if v == "link-local" {
            vec![
                IpPrefix::v4([169, 254, 0, 0], 16),
                IpPrefix::v6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0).octets(), 64),
            ]
        } else if v == "multicast" {
            vec![
                IpPrefix::v4([224, 0, 0, 0], 4),
                IpPrefix::v6(Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0).octets(), 8),
            ]
        } else {
            v.split_ascii_whitespace()
                .map(IpPrefix::parse)
                .collect::<Option<Vec<_>>>()?
        };
        Some(Addresses {
            written: v.to_string(),
            prefixes,
        })
    }
}

/// systemd's is_localhost(): RFC 6761 names and the "localdomain" variants.
fn is_localhost(v: &str) -> bool {
    let v = v.to_ascii_lowercase();
    [
        "localhost",
        "localhost.",
        "localhost.localdomain",
        "localhost.localdomain.",
    ]
    .contains(&v.as_str())
        || [
            ".localhost",
            ".localhost.",
            ".localhost.localdomain",
            ".localhost.localdomain.",
        ]
        .iter()
        .any(|s| v.ends_with(s))
}

/// One RestrictNetworkInterfaces= line: `(bas)`, true for an allow list. No names: the
/// empty assignment, which resets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interfaces {
    pub allow: bool,
    pub names: Vec<String>,
}

impl Interfaces {
    pub fn parse(v: &str) -> Option<Interfaces> {
        let (allow, rest) = match v.strip_prefix('~') {
            Some(rest) => (false, rest),
            None => (true, v),
        };
        let names: Vec<String> = rest.split_ascii_whitespace().map(String::from).collect();
        if !names.iter().all(|n| interface_name_valid(n)) || (!allow && names.is_empty()) {
            return None;
        }
        Some(Interfaces { allow, names })
    }
}

/// The kernel's rule for an interface name (systemd's ifname_valid): 1 to 15 bytes of
/// printable ASCII, without '/', ':' or whitespace, and not "." or "..".
fn interface_name_valid(n: &str) -> bool {
    (1..=15).contains(&n.len())
        && n != "."
        && n != ".."
        && n.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b':')
}

impl fmt::Display for Interfaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.allow {
            f.write_str("~")?;
        }
        f.write_str(&self.names.join(" "))
    }
}

/// One SocketBindAllow=/SocketBindDeny= rule: `(iiqq)`. family 0 and protocol 0 mean any,
/// and 0 ports means every port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SocketBind {
    pub family: i32,
    pub protocol: i32,
    pub nr_ports: u16,
    pub port_min: u16,
}

impl SocketBind {
    /// parse_socket_bind_item: `[ipv4|ipv6:][tcp|udp:](any|PORT|LOW-HIGH)`, in that order,
    /// where trailing parts may be left out (`ipv4`, `tcp`, `ipv6:udp` mean any port).
    pub fn parse(v: &str) -> Option<SocketBind> {
        let mut rule = SocketBind {
            family: 0,
            protocol: 0,
            nr_ports: 0,
            port_min: 0,
        };
        let mut tokens = v.split(':').peekable();
        if let Some(family) = tokens.peek().and_then(|t| match *t {
            "ipv4" => Some(AF_INET),
            "ipv6" => Some(AF_INET6),
            _ => None,
        }) {
            rule.family = family;
            tokens.next();
        }
        if let Some(protocol) = tokens
            .peek()
            .and_then(|t| match t.to_ascii_lowercase().as_str() {
                "tcp" => Some(IPPROTO_TCP),
                "udp" => Some(IPPROTO_UDP),
                _ => None,
            })
        {
            rule.protocol = protocol;
            tokens.next();
        }
        let Some(ports) = tokens.next() else {
            // Only a family or a protocol (an empty value never gets here).
            return Some(rule);
        };
        if tokens.next().is_some() {
            return None;
        }
        if ports == "any" {
            return Some(rule);
        }
        let port = |s: &str| {
            s.parse::<u16>()
                .ok()
                .filter(|&p| p > 0 && s.bytes().all(|b| b.is_ascii_digit()))
        };
        let (low, high) = match ports.split_once('-') {
            Some((l, h)) => (port(l)?, port(h)?),
            None => (port(ports)?, port(ports)?),
        };
        if low > high {
            return None;
        }
        rule.port_min = low;
        // 1-65535 is 65535 ports: it fits.
        rule.nr_ports = high - low + 1;
        Some(rule)
    }
}

impl fmt::Display for SocketBind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            AF_INET => f.write_str("ipv4:")?,
            AF_INET6 => f.write_str("ipv6:")?,
            _ => {}
        }
        match self.protocol {
            IPPROTO_TCP => f.write_str("tcp:")?,
            IPPROTO_UDP => f.write_str("udp:")?,
            _ => {}
        }
        match self.nr_ports {
            0 => f.write_str("any"),
            1 => write!(f, "{}", self.port_min),
            n => write!(
                f,
                "{}-{}",
                self.port_min,
                u32::from(self.port_min) + u32::from(n) - 1
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_like_systemd_run() {
        let any = Addresses::parse("any").unwrap();
        let shown: Vec<String> = any.prefixes.iter().map(|p| p.to_string()).collect();
        assert_eq!(shown, ["0.0.0.0/0", "::/0"]);
        for (v, want) in [
            ("localhost", vec!["127.0.0.0/8", "::1/128"]),
            ("foo.localhost.", vec!["127.0.0.0/8", "::1/128"]),
            ("link-local", vec!["169.254.0.0/16", "fe80::/64"]),
            ("multicast", vec!["224.0.0.0/4", "ff00::/8"]),
            (
                "10.0.0.0/8 192.168.1.7",
                vec!["10.0.0.0/8", "192.168.1.7/32"],
            ),
            ("fd00::/8 ::1", vec!["fd00::/8", "::1/128"]),
            // Not masked: systemd-run sends the bits as written.
            ("10.1.2.3/8", vec!["10.1.2.3/8"]),
        ] {
            let got: Vec<String> = Addresses::parse(v)
                .unwrap()
                .prefixes
                .iter()
                .map(|p| p.to_string())
                .collect();
            assert_eq!(got, want, "{v}");
        }
        assert_eq!(Addresses::parse("").unwrap().prefixes, vec![]);
        assert_eq!(
            Addresses::parse("127.0.0.1").unwrap().prefixes[0].address_bytes(),
            [127, 0, 0, 1]
        );
        for bad in [
            "any localhost",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "example.org",
            "010.0.0.1",
            "fe80::1%eth0",
        ] {
            assert_eq!(Addresses::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn interfaces_allow_and_deny() {
        let i = Interfaces::parse("lo wg0").unwrap();
        assert!(i.allow);
        assert_eq!(i.names, ["lo", "wg0"]);
        let d = Interfaces::parse("~eth0").unwrap();
        assert!(!d.allow);
        assert_eq!(d.to_string(), "~eth0");
        assert_eq!(Interfaces::parse("").unwrap().names.len(), 0);
        for bad in ["~", "a/b", "x:1", "..", "abcdefghijklmnop"] {
            assert_eq!(Interfaces::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn socket_bind_items() {
        let r = |v| SocketBind::parse(v).map(|s| (s.family, s.protocol, s.nr_ports, s.port_min));
        assert_eq!(r("any"), Some((0, 0, 0, 0)));
        assert_eq!(r("ipv4:tcp:80"), Some((AF_INET, IPPROTO_TCP, 1, 80)));
        assert_eq!(r("8000-8080"), Some((0, 0, 81, 8000)));
        assert_eq!(r("udp:53"), Some((0, IPPROTO_UDP, 1, 53)));
        assert_eq!(r("ipv6:any"), Some((AF_INET6, 0, 0, 0)));
        assert_eq!(r("1-65535"), Some((0, 0, 65535, 1)));
        for bad in [
            "0",
            "80-79",
            "sctp:80",
            "ipv4:tcp:",
            "65536",
            "tcp:ipv4:80",
            "",
        ] {
            assert_eq!(r(bad), None, "{bad}");
        }
        for v in ["any", "ipv4:tcp:80", "8000-8080", "ipv6:udp:any", "1-65535"] {
            assert_eq!(SocketBind::parse(v).unwrap().to_string(), v);
        }
    }
}
