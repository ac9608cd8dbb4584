//! The value of AllowedCPUs=, parsed as systemd's parse_cpu_set parses it, sent as
//! cpu_set_to_dbus sends it, and shown in systemd's syntax.

use std::collections::BTreeSet;
use std::fmt;

/// The highest CPU number systemd's cpu_set_add accepts, plus one.
const CPU_SET_MAX: u32 = 8192;

/// AllowedCPUs=: parse_cpu_set's "0-3 5,7". Empty: no restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuSet(pub BTreeSet<u32>);

impl CpuSet {
    pub fn parse(v: &str) -> Option<CpuSet> {
        let mut set = BTreeSet::new();
        for word in v
            .split(|c: char| c.is_ascii_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
        {
            let cpu = |s: &str| {
                s.parse::<u32>()
                    .ok()
                    .filter(|&c| c < CPU_SET_MAX && s.bytes().all(|b| b.is_ascii_digit()))
            };
            let (low, high) = match word.split_once('-') {
                Some((l, h)) => (cpu(l)?, cpu(h)?),
                None => (cpu(word)?, cpu(word)?),
            };
            if low > high {
                return None;
            }
            set.extend(low..=high);
        }
        Some(CpuSet(set))
    }

    /// The kernel's list format, as in cpuset.cpus: "0-3,5".
    pub fn parse_kernel(v: &str) -> Option<CpuSet> {
        CpuSet::parse(v.trim())
    }

    /// cpu_set_to_dbus: bit N of byte N/8, over whole 64-bit words, as CPU_ALLOC_SIZE
    /// allocates them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let Some(&max) = self.0.last() else {
            return Vec::new();
        };
        let mut bytes = vec![0u8; (max as usize / 64 + 1) * 8];
        for &cpu in &self.0 {
            bytes[cpu as usize / 8] |= 1 << (cpu % 8);
        }
        bytes
    }
}

impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for &c in &self.0 {
            match ranges.last_mut() {
                Some((_, high)) if *high + 1 == c => *high = c,
                _ => ranges.push((c, c)),
            }
        }
        let words: Vec<String> = ranges
            .iter()
            .map(|&(l, h)| match l == h {
                true => l.to_string(),
                false => format!("{l}-{h}"),
            })
            .collect();
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_sets_like_cpu_set_to_dbus() {
        let s = CpuSet::parse("0-2 5,7").unwrap();
        assert_eq!(s.to_string(), "0-2 5 7");
        assert_eq!(s.to_bytes(), [0b1010_0111, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(CpuSet::parse("64").unwrap().to_bytes().len(), 16);
        assert!(CpuSet::parse("").unwrap().to_bytes().is_empty());
        assert_eq!(
            CpuSet::parse_kernel("0-1,3\n").unwrap().to_string(),
            "0-1 3"
        );
        for bad in ["3-1", "8192", "x", "1-"] {
            assert_eq!(CpuSet::parse(bad), None, "{bad}");
        }
    }
}
