//! Isolation profiles: the compiled-in `strict` and `relaxed`, and admin files in
//! /etc/ssc/profiles.d/NAME.conf written in systemd's unit-file syntax.
//!
//! Only keys on the allow-list are accepted, and a file is trusted only if it and every
//! directory above it are owned by root and not writable by group or others.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, openat, OFlag};
use nix::sys::stat::{fstat, Mode, SFlag};

use crate::error::{Context, Error, Result};

pub const PROFILE_DIR: &str = "/etc/ssc/profiles.d";
pub const DEFAULT_PROFILE: &str = "strict";
const BUILT_IN: [&str; 2] = ["relaxed", "strict"];
/// A profile is a few lines; a larger file is refused rather than cut.
const MAX_FILE: u64 = 1 << 20;

/// A memory or task limit as systemd writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Bytes for memory, a count for TasksMax.
    Absolute(u64),
    /// Hundredths of a percent of physical memory or of the system's task limit.
    Permyriad(u32),
    Infinity,
}

/// One allowed setting. Names and value syntax are systemd's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    Description(String),
    MemoryMax(Limit),
    MemoryHigh(Limit),
    MemorySwapMax(Limit),
    /// Hundredths of a percent of one CPU; may exceed 10000.
    CPUQuota(u64),
    CPUWeight(u64),
    IOWeight(u64),
    TasksMax(Limit),
    PrivateTmp(bool),
    NoNewPrivileges(bool),
}

/// A D-Bus property value for StartTransientUnit, with the type systemd expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusValue {
    Str(String),
    U32(u32),
    U64(u64),
}

impl fmt::Display for BusValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BusValue::Str(s) => write!(f, "s {s:?}"),
            BusValue::U32(n) => write!(f, "u {n}"),
            BusValue::U64(n) => write!(f, "t {n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    BuiltIn,
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::BuiltIn => f.write_str("built-in"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub source: Source,
    /// In the order written; each key at most once.
    pub settings: Vec<Setting>,
}

impl Profile {
    pub fn description(&self) -> Option<&str> {
        self.settings.iter().find_map(|s| match s {
            Setting::Description(d) => Some(d.as_str()),
            _ => None,
        })
    }

    pub fn private_tmp(&self) -> bool {
        self.settings.contains(&Setting::PrivateTmp(true))
    }

    /// PrivateTmp implies it: a set-user-ID program must not run in a /tmp that the
    /// caller's own processes shaped.
    pub fn no_new_privileges(&self) -> bool {
        self.settings.contains(&Setting::NoNewPrivileges(true)) || self.private_tmp()
    }

    /// Why this profile, started from inside a scope of `origin`, would loosen one of
    /// origin's limits; None if every setting is at least as tight. `ram` and `tasks` turn
    /// percentages into numbers, as systemd does. A missing limit is no limit, and a
    /// missing weight is systemd's default, 100.
    pub fn loosens(&self, origin: &Profile, ram: u64, tasks: u64) -> Option<String> {
        let limit = |p: &Profile, key: &str, total: u64| {
            p.settings.iter().find_map(|s| match s {
                Setting::MemoryMax(l)
                | Setting::MemoryHigh(l)
                | Setting::MemorySwapMax(l)
                | Setting::TasksMax(l)
                    if s.key() == key =>
                {
                    Some(match *l {
                        Limit::Absolute(n) => n,
                        Limit::Permyriad(pm) => {
                            (u128::from(total) * u128::from(pm) / 10_000) as u64
                        }
                        Limit::Infinity => u64::MAX,
                    })
                }
                Setting::CPUQuota(q) if key == "CPUQuota" => Some(*q),
                Setting::CPUWeight(w) if key == "CPUWeight" => Some(*w),
                Setting::IOWeight(w) if key == "IOWeight" => Some(*w),
                _ => None,
            })
        };
        let shown = |p: &Profile, key: &str| {
            p.settings
                .iter()
                .find(|s| s.key() == key)
                .map_or_else(|| format!("{key} unset"), |s| s.to_string())
        };
        for (key, total, unset) in [
            ("MemoryMax", ram, u64::MAX),
            ("MemoryHigh", ram, u64::MAX),
            ("MemorySwapMax", ram, u64::MAX),
            ("TasksMax", tasks, u64::MAX),
            ("CPUQuota", 0, u64::MAX),
            ("CPUWeight", 0, 100),
            ("IOWeight", 0, 100),
        ] {
            let new = limit(self, key, total).unwrap_or(unset);
            let old = limit(origin, key, total).unwrap_or(unset);
            if new > old {
                return Some(format!(
                    "{} is looser than {}",
                    shown(self, key),
                    shown(origin, key)
                ));
            }
        }
        for (key, new, old) in [
            ("PrivateTmp", self.private_tmp(), origin.private_tmp()),
            (
                "NoNewPrivileges",
                self.no_new_privileges(),
                origin.no_new_privileges(),
            ),
        ] {
            if old && !new {
                return Some(format!("{key}=no is looser than {key}=yes"));
            }
        }
        None
    }

    /// The cgroup settings as StartTransientUnit properties: (D-Bus name, value, systemd syntax).
    pub fn bus_properties(&self) -> Vec<(&'static str, BusValue, String)> {
        self.settings
            .iter()
            .filter_map(|s| s.bus_property().map(|(n, v)| (n, v, s.to_string())))
            .collect()
    }
}

impl Setting {
    pub fn key(&self) -> &'static str {
        match self {
            Setting::Description(_) => "Description",
            Setting::MemoryMax(_) => "MemoryMax",
            Setting::MemoryHigh(_) => "MemoryHigh",
            Setting::MemorySwapMax(_) => "MemorySwapMax",
            Setting::CPUQuota(_) => "CPUQuota",
            Setting::CPUWeight(_) => "CPUWeight",
            Setting::IOWeight(_) => "IOWeight",
            Setting::TasksMax(_) => "TasksMax",
            Setting::PrivateTmp(_) => "PrivateTmp",
            Setting::NoNewPrivileges(_) => "NoNewPrivileges",
        }
    }

    /// The translation systemd-run makes (src/shared/bus-unit-util.c). Description goes
    /// into the unit's own Description, and PrivateTmp and NoNewPrivileges are not scope
    /// properties: ssc builds them itself.
    fn bus_property(&self) -> Option<(&'static str, BusValue)> {
        let limit = |name: &'static str, scale: &'static str, l: &Limit| match *l {
            Limit::Absolute(n) => (name, BusValue::U64(n)),
            Limit::Infinity => (name, BusValue::U64(u64::MAX)),
            Limit::Permyriad(p) => (scale, BusValue::U32(scale_from_permyriad(p))),
        };
        Some(match self {
            Setting::MemoryMax(l) => limit("MemoryMax", "MemoryMaxScale", l),
            Setting::MemoryHigh(l) => limit("MemoryHigh", "MemoryHighScale", l),
            Setting::MemorySwapMax(l) => limit("MemorySwapMax", "MemorySwapMaxScale", l),
            Setting::TasksMax(l) => limit("TasksMax", "TasksMaxScale", l),
            Setting::CPUQuota(p) => ("CPUQuotaPerSecUSec", BusValue::U64(p.saturating_mul(100))),
            Setting::CPUWeight(w) => ("CPUWeight", BusValue::U64(*w)),
            Setting::IOWeight(w) => ("IOWeight", BusValue::U64(*w)),
            Setting::Description(_) | Setting::PrivateTmp(_) | Setting::NoNewPrivileges(_) => {
                return None
            }
        })
    }
}

/// systemd's UINT32_SCALE_FROM_PERMYRIAD: 100% is u32::MAX, rounded to nearest.
fn scale_from_permyriad(p: u32) -> u32 {
    ((u64::from(p.min(10_000)) * u64::from(u32::MAX) + 5_000) / 10_000) as u32
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Absolute(n) => write!(f, "{n}"),
            Limit::Permyriad(p) => write_percent(f, u64::from(*p)),
            Limit::Infinity => f.write_str("infinity"),
        }
    }
}

fn write_percent(f: &mut fmt::Formatter<'_>, permyriad: u64) -> fmt::Result {
    match permyriad % 100 {
        0 => write!(f, "{}%", permyriad / 100),
        r => write!(f, "{}.{:02}%", permyriad / 100, r),
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=", self.key())?;
        match self {
            Setting::Description(d) => f.write_str(d),
            Setting::MemoryMax(l)
            | Setting::MemoryHigh(l)
            | Setting::MemorySwapMax(l)
            | Setting::TasksMax(l) => write!(f, "{l}"),
            Setting::CPUQuota(p) => write_percent(f, *p),
            Setting::CPUWeight(w) | Setting::IOWeight(w) => write!(f, "{w}"),
            Setting::PrivateTmp(b) | Setting::NoNewPrivileges(b) => {
                f.write_str(if *b { "yes" } else { "no" })
            }
        }
    }
}

/// `strict`'s CPUQuota: all online CPUs but one, and never less than one whole CPU.
pub fn strict_cpu_quota(online_cpus: u64) -> u64 {
    online_cpus.saturating_sub(1).max(1) * 10_000
}

pub fn built_in(name: &str, online_cpus: u64) -> Option<Profile> {
    let settings = match name {
        "strict" => vec![
            Setting::Description("Built-in strict isolation".into()),
            Setting::MemoryMax(Limit::Permyriad(7_000)),
            Setting::CPUQuota(strict_cpu_quota(online_cpus)),
            Setting::PrivateTmp(true),
            Setting::NoNewPrivileges(true),
        ],
        "relaxed" => vec![
            Setting::Description("Built-in relaxed isolation".into()),
            Setting::MemoryMax(Limit::Permyriad(7_000)),
        ],
        _ => return None,
    };
    Some(Profile {
        name: name.into(),
        source: Source::BuiltIn,
        settings,
    })
}

/// `[a-z0-9][a-z0-9_-]{0,31}`: never a path, always a valid unit-name fragment.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
}

/// Loads the profile NAME: the admin's file if there is one, else the built-in.
pub fn load(name: &str, online_cpus: u64) -> Result<Profile> {
    if !valid_name(name) {
        return Err(Error::Usage(format!(
            "invalid profile name '{name}': it must match [a-z0-9][a-z0-9_-]{{0,31}}"
        )));
    }
    let dir = TrustedDir::open(Path::new(PROFILE_DIR))?;
    if let Some(dir) = &dir {
        if let Some(text) = dir.read(&format!("{name}.conf"))? {
            return parse(name, &dir.path.join(format!("{name}.conf")), &text);
        }
    }
    built_in(name, online_cpus).ok_or_else(|| {
        let names = list_names(dir.as_ref()).unwrap_or_default();
        Error::Usage(format!(
            "unknown profile '{name}' (available: {})",
            names.join(", ")
        ))
    })
}

/// Every profile, by name. Files that fail to load are returned as errors, so that the
/// others can still be listed.
pub fn load_all(online_cpus: u64) -> Result<Vec<Result<Profile>>> {
    let dir = TrustedDir::open(Path::new(PROFILE_DIR))?;
    Ok(list_names(dir.as_ref())?
        .iter()
        .map(|n| load(n, online_cpus))
        .collect())
}

fn list_names(dir: Option<&TrustedDir>) -> Result<Vec<String>> {
    let mut names: Vec<String> = BUILT_IN.iter().map(|s| s.to_string()).collect();
    if let Some(dir) = dir {
        for entry in std::fs::read_dir(&dir.path).context(dir.path.display())? {
            let entry = entry.context(dir.path.display())?;
            let file = entry.file_name();
            if let Some(name) = file.to_str().and_then(|f| f.strip_suffix(".conf")) {
                if valid_name(name) && !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
        }
    }
    names.sort();
    Ok(names)
}

/// An O_PATH handle on a directory whose every component was checked on the way down,
/// so that what is read later is the directory that was checked.
pub(crate) struct TrustedDir {
    path: PathBuf,
    fd: OwnedFd,
}

impl TrustedDir {
    /// None if the directory does not exist: then there are only built-in profiles.
    pub(crate) fn open(path: &Path) -> Result<Option<TrustedDir>> {
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let mut fd = open("/", flags, Mode::empty()).context("/")?;
        trusted(&fd, Path::new("/"))?;
        let mut walked = PathBuf::from("/");
        for part in path.iter().skip(1) {
            walked.push(part);
            fd = match openat(&fd, part, flags, Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::ENOENT) => return Ok(None),
                Err(Errno::ELOOP) | Err(Errno::ENOTDIR) => {
                    return Err(Error::Profile(format!(
                        "{}: not a directory (symbolic links are refused)",
                        walked.display()
                    )))
                }
                Err(e) => return Err(e).context(walked.display()),
            };
            trusted(&fd, &walked)?;
        }
        Ok(Some(TrustedDir { path: walked, fd }))
    }

    /// The file's text, or None if there is no such file.
    pub(crate) fn read(&self, file: &str) -> Result<Option<String>> {
        let path = self.path.join(file);
        let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
        let fd = match openat(&self.fd, file, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => return Ok(None),
            Err(Errno::ELOOP) => {
                return Err(Error::Profile(format!(
                    "{}: symbolic links are refused",
                    path.display()
                )))
            }
            Err(e) => return Err(e).context(path.display()),
        };
        let st = trusted(&fd, &path)?;
        if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFREG {
            return Err(Error::Profile(format!(
                "{}: not a regular file",
                path.display()
            )));
        }
        let mut bytes = Vec::new();
        std::fs::File::from(fd)
            .take(MAX_FILE + 1)
            .read_to_end(&mut bytes)
            .context(path.display())?;
        if bytes.len() as u64 > MAX_FILE {
            return Err(Error::Profile(format!(
                "{}: refused: larger than {MAX_FILE} bytes",
                path.display()
            )));
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::Profile(format!("{}: not valid UTF-8", path.display())))
    }
}

/// Refuses anything that a non-root user could have written.
fn trusted(fd: &OwnedFd, path: &Path) -> Result<nix::sys::stat::FileStat> {
    let st = fstat(fd).context(path.display())?;
    if st.st_uid != 0 {
        return Err(Error::Profile(format!(
            "{}: refused: owned by uid {}, not root",
            path.display(),
            st.st_uid
        )));
    }
    if st.st_mode & 0o022 != 0 {
        return Err(Error::Profile(format!(
            "{}: refused: writable by group or others (mode {:o})",
            path.display(),
            st.st_mode & 0o7777
        )));
    }
    Ok(st)
}

/// Parses a profile file. Every error names file:line.
pub fn parse(name: &str, path: &Path, text: &str) -> Result<Profile> {
    let mut in_section = false;
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut settings = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let err = |msg: String| Error::Profile(format!("{}:{lineno}: {msg}", path.display()));
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            if line != "[Profile]" {
                return Err(err(format!("unknown section {line}, expected [Profile]")));
            }
            if in_section {
                return Err(err("duplicate [Profile] section".into()));
            }
            in_section = true;
            continue;
        }
        if !in_section {
            return Err(err(
                "missing section: the file must start with [Profile]".into()
            ));
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(format!("expected Key=Value, got '{line}'")));
        };
        let (key, value) = (key.trim(), value.trim());
        let setting = parse_setting(key, value).map_err(err)?;
        if let Some(first) = seen.insert(setting.key(), lineno) {
            return Err(err(format!("{key} already set on line {first}")));
        }
        settings.push(setting);
    }
    if !in_section {
        return Err(Error::Profile(format!(
            "{}: missing section [Profile]",
            path.display()
        )));
    }
    if settings.contains(&Setting::PrivateTmp(true))
        && settings.contains(&Setting::NoNewPrivileges(false))
    {
        let line = seen.get("NoNewPrivileges").copied().unwrap_or(0);
        return Err(Error::Profile(format!(
            "{}:{line}: NoNewPrivileges=no contradicts PrivateTmp=yes, which implies it",
            path.display()
        )));
    }
    Ok(Profile {
        name: name.into(),
        source: Source::File(path.into()),
        settings,
    })
}

fn parse_setting(key: &str, value: &str) -> std::result::Result<Setting, String> {
    let bad = |what: &str| format!("bad value '{value}' for {key}: expected {what}");
    Ok(match key {
        "Description" => {
            if value.is_empty() || value.chars().any(char::is_control) {
                return Err(bad("a non-empty line of text"));
            }
            Setting::Description(value.into())
        }
        "MemoryMax" | "MemoryHigh" | "MemorySwapMax" => {
            let l =
                parse_memory(value).ok_or_else(|| bad("bytes with K/M/G/T, N%, or infinity"))?;
            match key {
                "MemoryMax" => Setting::MemoryMax(l),
                "MemoryHigh" => Setting::MemoryHigh(l),
                _ => Setting::MemorySwapMax(l),
            }
        }
        // Sent as microseconds per second, 100 times the permyriad: it must fit.
        "CPUQuota" => Setting::CPUQuota(
            parse_permyriad(value)
                .filter(|&p| p > 0 && p.checked_mul(100).is_some())
                .ok_or_else(|| bad("N% greater than 0"))?,
        ),
        "CPUWeight" | "IOWeight" => {
            let w = value
                .parse::<u64>()
                .ok()
                .filter(|w| (1..=10_000).contains(w))
                .ok_or_else(|| bad("an integer from 1 to 10000"))?;
            if key == "CPUWeight" {
                Setting::CPUWeight(w)
            } else {
                Setting::IOWeight(w)
            }
        }
        "TasksMax" => {
            Setting::TasksMax(parse_tasks(value).ok_or_else(|| bad("a count, N%, or infinity"))?)
        }
        "PrivateTmp" => Setting::PrivateTmp(parse_bool(value).ok_or_else(|| bad("a boolean"))?),
        "NoNewPrivileges" => {
            Setting::NoNewPrivileges(parse_bool(value).ok_or_else(|| bad("a boolean"))?)
        }
        _ => {
            return Err(format!(
                "unknown key '{key}' (allowed: Description, MemoryMax, MemoryHigh, MemorySwapMax, \
                 CPUQuota, CPUWeight, IOWeight, TasksMax, PrivateTmp, NoNewPrivileges)"
            ))
        }
    })
}

/// systemd's parse_boolean.
fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

/// `N%` or `N.N%`/`N.NN%`, in hundredths of a percent, unbounded above.
fn parse_permyriad(v: &str) -> Option<u64> {
    let v = v.strip_suffix('%')?;
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if int.is_empty() || !all_digits(int) || frac.len() > 2 || !all_digits(frac) {
        return None;
    }
    let frac = format!("{frac:0<2}").parse::<u64>().ok()?;
    int.parse::<u64>().ok()?.checked_mul(100)?.checked_add(frac)
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_percent_limit(v: &str) -> Option<Limit> {
    let p = parse_permyriad(v)?;
    (p <= 10_000).then_some(Limit::Permyriad(p as u32))
}

fn parse_memory(v: &str) -> Option<Limit> {
    if v == "infinity" {
        return Some(Limit::Infinity);
    }
    if v.ends_with('%') {
        return parse_percent_limit(v);
    }
    let (digits, shift) = match v.as_bytes().last()? {
        b'K' => (&v[..v.len() - 1], 10),
        b'M' => (&v[..v.len() - 1], 20),
        b'G' => (&v[..v.len() - 1], 30),
        b'T' => (&v[..v.len() - 1], 40),
        _ => (v, 0),
    };
    if digits.is_empty() || !all_digits(digits) {
        return None;
    }
    let n = digits.parse::<u64>().ok()?;
    let bytes = n.checked_mul(1u64 << shift)?;
    // u64::MAX is systemd's "infinity"; any other value is taken literally.
    (bytes != u64::MAX).then_some(Limit::Absolute(bytes))
}

fn parse_tasks(v: &str) -> Option<Limit> {
    if v == "infinity" {
        return Some(Limit::Infinity);
    }
    if v.ends_with('%') {
        return parse_percent_limit(v);
    }
    if v.is_empty() || !all_digits(v) {
        return None;
    }
    let n = v.parse::<u64>().ok()?;
    (n >= 1 && n != u64::MAX).then_some(Limit::Absolute(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Profile> {
        parse("web", Path::new("/etc/ssc/profiles.d/web.conf"), text)
    }

    #[test]
    fn names() {
        for ok in ["strict", "a", "0web", "x_y-z", &"a".repeat(32)] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "Web",
            "a/b",
            "..",
            "a.conf",
            &"a".repeat(33),
            "é",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn strict_quota_follows_online_cpus() {
        assert_eq!(strict_cpu_quota(1), 10_000);
        assert_eq!(strict_cpu_quota(2), 10_000);
        assert_eq!(strict_cpu_quota(8), 70_000);
        let strict = built_in("strict", 4).unwrap();
        assert!(strict.private_tmp() && strict.no_new_privileges());
        assert!(strict.settings.contains(&Setting::CPUQuota(30_000)));
        let relaxed = built_in("relaxed", 4).unwrap();
        assert!(!relaxed.private_tmp() && !relaxed.no_new_privileges());
        assert_eq!(
            relaxed.bus_properties(),
            vec![(
                "MemoryMaxScale",
                BusValue::U32(3_006_477_107),
                "MemoryMax=70%".to_string()
            )]
        );
    }

    #[test]
    fn full_profile_translates_like_systemd_run() {
        let prof = p(
            "# web browsers\n[Profile]\n; comment\n\nDescription=Web browsers\n\
             MemoryMax=2G\nMemoryHigh=50%\nMemorySwapMax=0\nCPUQuota=150%\nCPUWeight=50\n\
             IOWeight=10000\nTasksMax=infinity\nPrivateTmp=no\nNoNewPrivileges=off\n",
        )
        .unwrap();
        assert_eq!(prof.description(), Some("Web browsers"));
        assert!(!prof.private_tmp());
        assert!(!prof.no_new_privileges());
        let props: Vec<_> = prof
            .bus_properties()
            .into_iter()
            .map(|(n, v, _)| (n, v))
            .collect();
        assert_eq!(
            props,
            vec![
                ("MemoryMax", BusValue::U64(2 << 30)),
                ("MemoryHighScale", BusValue::U32(2_147_483_648)),
                ("MemorySwapMax", BusValue::U64(0)),
                ("CPUQuotaPerSecUSec", BusValue::U64(1_500_000)),
                ("CPUWeight", BusValue::U64(50)),
                ("IOWeight", BusValue::U64(10_000)),
                ("TasksMax", BusValue::U64(u64::MAX)),
            ]
        );
    }

    #[test]
    fn values_round_trip_in_systemd_syntax() {
        let prof =
            p("[Profile]\nMemoryMax=12.5%\nCPUQuota=20%\nTasksMax=64\nMemoryHigh=512M\n").unwrap();
        let shown: Vec<String> = prof.settings.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            shown,
            [
                "MemoryMax=12.50%",
                "CPUQuota=20%",
                "TasksMax=64",
                "MemoryHigh=536870912"
            ]
        );
        assert_eq!(scale_from_permyriad(10_000), u32::MAX);
        assert_eq!(scale_from_permyriad(0), 0);
    }

    #[test]
    fn refusals_name_file_and_line() {
        let cases = [
            (
                "[Profile]\nMemoryMax=1G\nExecStart=/bin/sh\n",
                ":3: unknown key 'ExecStart'",
            ),
            ("MemoryMax=1G\n", ":1: missing section"),
            ("[Service]\nMemoryMax=1G\n", ":1: unknown section [Service]"),
            (
                "[Profile]\nMemoryMax=lots\n",
                ":2: bad value 'lots' for MemoryMax",
            ),
            ("[Profile]\nMemoryMax=101%\n", ":2: bad value '101%'"),
            ("[Profile]\nMemoryMax=\n", ":2: bad value '' for MemoryMax"),
            (
                "[Profile]\nCPUQuota=0%\n",
                ":2: bad value '0%' for CPUQuota",
            ),
            (
                "[Profile]\nCPUQuota=50\n",
                ":2: bad value '50' for CPUQuota",
            ),
            (
                "[Profile]\nCPUWeight=0\n",
                ":2: bad value '0' for CPUWeight",
            ),
            (
                "[Profile]\nPrivateTmp=maybe\n",
                ":2: bad value 'maybe' for PrivateTmp",
            ),
            (
                "[Profile]\nTasksMax=-1\n",
                ":2: bad value '-1' for TasksMax",
            ),
            ("[Profile]\nMemoryMax=99999999999T\n", ":2: bad value"),
            (
                "[Profile]\nMemoryMax=1G\nMemoryMax=2G\n",
                ":3: MemoryMax already set on line 2",
            ),
            ("[Profile]\nmemorymax=1G\n", ":2: unknown key 'memorymax'"),
            ("[Profile]\njust words\n", ":2: expected Key=Value"),
            ("", "missing section [Profile]"),
        ];
        for (text, want) in cases {
            let e = p(text).unwrap_err().to_string();
            assert!(e.starts_with("/etc/ssc/profiles.d/web.conf"), "{e}");
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn private_tmp_implies_no_new_privileges() {
        let prof = p("[Profile]\nPrivateTmp=yes\n").unwrap();
        assert!(prof.no_new_privileges());
        let e = p("[Profile]\nPrivateTmp=yes\nNoNewPrivileges=no\n").unwrap_err();
        assert!(
            e.to_string()
                .contains(":3: NoNewPrivileges=no contradicts PrivateTmp=yes"),
            "{e}"
        );
        assert!(p("[Profile]\nPrivateTmp=no\nNoNewPrivileges=no\n").is_ok());
    }

    #[test]
    fn huge_cpu_quota_is_refused_not_wrapped() {
        let e = p(&format!("[Profile]\nCPUQuota={}%\n", u64::MAX / 100)).unwrap_err();
        assert!(e.to_string().contains("bad value"), "{e}");
        assert!(p(&format!("[Profile]\nCPUQuota={}%\n", u64::MAX / 10_000)).is_ok());
    }

    #[test]
    fn a_launch_may_tighten_but_not_loosen() {
        const RAM: u64 = 8 << 30;
        const TASKS: u64 = 4_194_304;
        let strict = built_in("strict", 4).unwrap();
        let relaxed = built_in("relaxed", 4).unwrap();
        // From a relaxed terminal, strict is tighter; the same profile again is equal.
        assert_eq!(strict.loosens(&relaxed, RAM, TASKS), None);
        assert_eq!(relaxed.loosens(&relaxed, RAM, TASKS), None);
        assert_eq!(strict.loosens(&strict, RAM, TASKS), None);
        // From strict, relaxed drops CPUQuota, PrivateTmp and NoNewPrivileges.
        let why = relaxed.loosens(&strict, RAM, TASKS).unwrap();
        assert!(
            why.contains("CPUQuota unset is looser than CPUQuota=300%"),
            "{why}"
        );
        let cases = [
            (
                "MemoryMax=100%",
                "[Profile]\nMemoryMax=70%\n",
                "MemoryMax=100%",
            ),
            (
                "MemoryMax=6G",
                "[Profile]\nMemoryMax=5G\n",
                "MemoryMax=6442450944",
            ),
            ("TasksMax=100", "[Profile]\nTasksMax=50\n", "TasksMax=100"),
            ("CPUWeight=200", "[Profile]\n", "CPUWeight=200"),
            ("IOWeight=101", "[Profile]\nIOWeight=100\n", "IOWeight=101"),
            (
                "MemoryHigh=infinity",
                "[Profile]\nMemoryHigh=1G\n",
                "MemoryHigh=infinity",
            ),
            (
                "PrivateTmp=no",
                "[Profile]\nPrivateTmp=yes\n",
                "PrivateTmp=no",
            ),
        ];
        for (new, origin, want) in cases {
            let new = p(&format!("[Profile]\n{new}\n")).unwrap();
            let origin = p(origin).unwrap();
            let why = new.loosens(&origin, RAM, TASKS).expect(want);
            assert!(why.starts_with(want), "{why}");
        }
        // 70% of 8 GiB is 5.6 GiB: 5G is tighter, 6G looser.
        let pct = p("[Profile]\nMemoryMax=70%\n").unwrap();
        assert_eq!(
            p("[Profile]\nMemoryMax=5G\n")
                .unwrap()
                .loosens(&pct, RAM, TASKS),
            None
        );
        assert!(p("[Profile]\nMemoryMax=6G\n")
            .unwrap()
            .loosens(&pct, RAM, TASKS)
            .is_some());
    }

    #[test]
    fn empty_profile_section_is_valid() {
        let prof = p("[Profile]\n").unwrap();
        assert!(prof.settings.is_empty());
        assert!(prof.bus_properties().is_empty());
    }

    #[test]
    fn refuses_untrusted_directories() {
        // /tmp is world-writable: nothing below it can hold profiles.
        let dir = std::env::temp_dir().join(format!("ssc-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = TrustedDir::open(&dir).err().expect("refused").to_string();
        let _ = std::fs::remove_dir(&dir);
        assert!(e.contains("writable by group or others"), "{e}");
    }
}
