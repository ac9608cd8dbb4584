//! TemporaryFileSystem=: `PATH[:OPTIONS]`, and what the kernel gets for a tmpfs.

use std::fmt;

use super::paths::PathTemplate;
use super::words::{quote, words};

/// One TemporaryFileSystem= entry: `PATH[:OPTIONS]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryFileSystem {
    pub path: PathTemplate,
    pub options: TmpfsOptions,
}

/// config_parse_temporary_filesystems: the unquoted word is cut at its first ':', quoted or
/// not. systemd undoes escapes in the path a second time; a path that would need that (one
/// with ':' or '\\') is refused.
pub fn parse_temporary_filesystems(value: &str) -> Result<Vec<TemporaryFileSystem>, String> {
    let mut tmpfs = Vec::new();
    for fields in words(value, false)? {
        let word = fields.concat();
        let (path, options) = word.split_once(':').unwrap_or((&word, ""));
        if path.contains('\\') {
            return Err(format!("'{word}': a '\\' in a TemporaryFileSystem= path"));
        }
        tmpfs.push(TemporaryFileSystem {
            path: PathTemplate::parse(path)?,
            options: TmpfsOptions::parse(options)?,
        });
    }
    Ok(tmpfs)
}

impl fmt::Display for TemporaryFileSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.options.0.is_empty() {
            return f.write_str(&quote(&self.path.to_string(), false));
        }
        f.write_str(&quote(&format!("{}:{}", self.path, self.options), false))
    }
}

/// What the kernel gets for one tmpfs: the data of mount(2), and noexec. ssc mounts every
/// tmpfs nosuid,nodev,strictatime (systemd: nodev,strictatime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tmpfs {
    pub mode: u32,
    /// Bytes with k, m or g, or a percentage of RAM; never 0, which is no limit.
    pub size: String,
    /// A count with k, m or g; never 0.
    pub nr_inodes: String,
    pub noexec: bool,
}

impl Tmpfs {
    /// The data of mount(2), or fsconfig()'s keys: mode=, size= and nr_inodes=.
    pub fn data(&self) -> String {
        format!(
            "mode={:04o},size={},nr_inodes={}",
            self.mode, self.size, self.nr_inodes
        )
    }
}

impl fmt::Display for Tmpfs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noexec = if self.noexec { ",noexec" } else { "" };
        write!(f, "{}{noexec}", self.data())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TmpfsOption {
    ReadOnly(bool),
    NoExec(bool),
    /// nosuid or nodev: always in effect.
    Implied(&'static str),
    Mode(u32),
    Size(String),
    NrInodes(String),
}

/// TemporaryFileSystem='s options, as written. Root hands them to the kernel, so only an
/// allow-list is taken: ro, rw, nosuid, nodev, noexec, exec, mode= (at most 1777), size=
/// (bytes with k, m or g, or 1% to 100%) and nr_inodes= (a count with k, m or g). suid and
/// dev would loosen ssc's nosuid,nodev, size=0 and nr_inodes=0 would lift the limit, and
/// anything else is refused as unknown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TmpfsOptions(Vec<TmpfsOption>);

impl TmpfsOptions {
    pub fn parse(v: &str) -> Result<TmpfsOptions, String> {
        if v.is_empty() {
            return Ok(TmpfsOptions::default());
        }
        v.split(',')
            .map(tmpfs_option)
            .collect::<Result<_, _>>()
            .map(TmpfsOptions)
    }

    /// append_tmpfs_mounts: systemd's "mode=0755" NESTED_TMPFS_LIMITS, then the options in
    /// the order written, the last one winning; and whether ro is in effect.
    pub fn resolve(&self) -> (Tmpfs, bool) {
        let mut t = Tmpfs {
            mode: 0o755,
            size: "10%".into(),
            nr_inodes: "400k".into(),
            noexec: false,
        };
        let mut read_only = false;
        for o in &self.0 {
            match o {
                TmpfsOption::ReadOnly(ro) => read_only = *ro,
                TmpfsOption::NoExec(noexec) => t.noexec = *noexec,
                TmpfsOption::Implied(_) => {}
                TmpfsOption::Mode(m) => t.mode = *m,
                TmpfsOption::Size(s) => t.size = s.clone(),
                TmpfsOption::NrInodes(n) => t.nr_inodes = n.clone(),
            }
        }
        (t, read_only)
    }
}

fn tmpfs_option(o: &str) -> Result<TmpfsOption, String> {
    Ok(match o {
        "ro" | "rw" => TmpfsOption::ReadOnly(o == "ro"),
        "noexec" | "exec" => TmpfsOption::NoExec(o == "noexec"),
        "nosuid" => TmpfsOption::Implied("nosuid"),
        "nodev" => TmpfsOption::Implied("nodev"),
        "suid" | "dev" => return Err(format!("'{o}': ssc mounts tmpfs nosuid,nodev")),
        _ => match o.split_once('=') {
            Some(("mode", m)) => {
                let octal =
                    (1..=5).contains(&m.len()) && m.bytes().all(|b| matches!(b, b'0'..=b'7'));
                match u32::from_str_radix(m, 8) {
                    Ok(mode) if octal && mode <= 0o1777 => TmpfsOption::Mode(mode),
                    _ => return Err(format!("'{o}': expected an octal mode up to 1777")),
                }
            }
            Some(("size", s)) => TmpfsOption::Size(tmpfs_limit(s, true)?),
            Some(("nr_inodes", n)) => TmpfsOption::NrInodes(tmpfs_limit(n, false)?),
            _ => return Err(format!("'{o}': unknown or unsupported tmpfs option")),
        },
    })
}

/// The kernel's memparse, or for size= a percentage: not 0, which is no limit.
fn tmpfs_limit(v: &str, percent: bool) -> Result<String, String> {
    let bad = || format!("'{v}': expected a number above 0 with k, m or g, or 1% to 100%");
    let (digits, shift) = match v.as_bytes().last() {
        Some(b'%') if percent => {
            let n: u32 = v[..v.len() - 1].parse().map_err(|_| bad())?;
            if !(1..=100).contains(&n) || v.starts_with('+') {
                return Err(bad());
            }
            return Ok(v.into());
        }
        Some(b'k' | b'K') => (&v[..v.len() - 1], 10),
        Some(b'm' | b'M') => (&v[..v.len() - 1], 20),
        Some(b'g' | b'G') => (&v[..v.len() - 1], 30),
        _ => (v, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
    {
        Some(n) if n > 0 => Ok(v.into()),
        _ => Err(bad()),
    }
}

impl fmt::Display for TmpfsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, o) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match o {
                TmpfsOption::ReadOnly(ro) => f.write_str(if *ro { "ro" } else { "rw" })?,
                TmpfsOption::NoExec(n) => f.write_str(if *n { "noexec" } else { "exec" })?,
                TmpfsOption::Implied(name) => f.write_str(name)?,
                TmpfsOption::Mode(m) => write!(f, "mode={m:04o}")?,
                TmpfsOption::Size(s) => write!(f, "size={s}")?,
                TmpfsOption::NrInodes(n) => write!(f, "nr_inodes={n}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: &str) -> (String, Tmpfs, bool) {
        let mut t = parse_temporary_filesystems(v).unwrap();
        assert_eq!(t.len(), 1);
        let t = t.remove(0);
        let (tmpfs, ro) = t.options.resolve();
        (t.path.to_string(), tmpfs, ro)
    }

    #[test]
    fn defaults_are_systemds_nested_tmpfs() {
        let (path, t, ro) = one("/var");
        assert_eq!(path, "/var");
        assert_eq!(t.data(), "mode=0755,size=10%,nr_inodes=400k");
        assert!(!t.noexec && !ro);
        assert_eq!(one("/var:").1, t);
    }

    #[test]
    fn options_apply_in_order() {
        let (_, t, ro) = one("/var:mode=0700,ro,size=10m,nr_inodes=1k,noexec,nosuid,nodev");
        assert_eq!(t.to_string(), "mode=0700,size=10m,nr_inodes=1k,noexec");
        assert!(ro);
        assert!(!one("/a:ro,rw").2);
        assert!(!one("/a:noexec,exec").1.noexec);
        assert_eq!(one("/a:mode=0700,mode=1777").1.mode, 0o1777);
        assert_eq!(one("/a:size=50%").1.size, "50%");
        let (path, t, _) = one("\"/a b:mode=1777\"");
        assert_eq!((path.as_str(), t.mode), ("/a b", 0o1777));
        assert_eq!(one("%h/cache").0, "%h/cache");
    }

    #[test]
    fn options_off_the_list_are_refused() {
        for v in [
            "/a:suid",
            "/a:dev",
            "/a:uid=0",
            "/a:defaults",
            "/a:size=0",
            "/a:size=0k",
            "/a:size=0%",
            "/a:size=101%",
            "/a:size=+5",
            "/a:size=5x",
            "/a:size=",
            "/a:size=99999999999999999999",
            "/a:size=99999999999999g",
            "/a:nr_inodes=0",
            "/a:nr_inodes=5%",
            "/a:mode=4755",
            "/a:mode=8",
            "/a:mode=+755",
            "/a:mode=",
            "/a:ro,,rw",
            // The quotes do not keep the ':' in the path.
            "\"/a:b\"",
            r"/a\\b",
            "-/a",
            "rel",
        ] {
            assert!(parse_temporary_filesystems(v).is_err(), "{v}");
        }
    }

    #[test]
    fn shown_reads_back() {
        let all =
            parse_temporary_filesystems("/a \"/b c:ro,mode=0700\" %t/x:size=1g,exec /d:").unwrap();
        let shown: Vec<String> = all.iter().map(|t| t.to_string()).collect();
        assert_eq!(shown[1], "\"/b c:ro,mode=0700\"");
        assert_eq!(parse_temporary_filesystems(&shown.join(" ")), Ok(all));
    }
}
