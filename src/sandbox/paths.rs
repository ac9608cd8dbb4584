//! The values of ProtectSystem=, ProtectHome=, ReadWritePaths=, ReadOnlyPaths=,
//! InaccessiblePaths=, BindPaths= and BindReadOnlyPaths=, parsed as systemd's
//! load-fragment.c parses them and shown back in systemd's syntax.
//!
//! Paths keep their specifiers until launch: `PathTemplate::parse` checks them and
//! `PathTemplate::expand` fills them in from the caller's `Specifiers`.

use std::fmt;

use super::words::{quote, words};
use crate::profile::parse_bool;

/// What systemd's path_is_valid() allows: a path shorter than PATH_MAX, NAME_MAX a name.
const PATH_MAX: usize = 4096;
const NAME_MAX: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtectSystem {
    No,
    Yes,
    Full,
    Strict,
}

impl ProtectSystem {
    /// From loose to tight, for the rule that a nested launch may not loosen it.
    pub const ALL: [ProtectSystem; 4] = [
        ProtectSystem::No,
        ProtectSystem::Yes,
        ProtectSystem::Full,
        ProtectSystem::Strict,
    ];

    /// protect_system_from_string: a boolean (true is yes), full or strict.
    pub fn parse(v: &str) -> Result<ProtectSystem, String> {
        Ok(match (parse_bool(v), v) {
            (Some(true), _) => ProtectSystem::Yes,
            (Some(false), _) => ProtectSystem::No,
            (None, "full") => ProtectSystem::Full,
            (None, "strict") => ProtectSystem::Strict,
            _ => return Err(format!("'{v}': expected a boolean, full or strict")),
        })
    }
}

impl fmt::Display for ProtectSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtectSystem::No => "no",
            ProtectSystem::Yes => "yes",
            ProtectSystem::Full => "full",
            ProtectSystem::Strict => "strict",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtectHome {
    No,
    Yes,
    ReadOnly,
    Tmpfs,
}

impl ProtectHome {
    /// From loose to tight: read-only keeps the files in view, tmpfs an empty directory.
    pub const ALL: [ProtectHome; 4] = [
        ProtectHome::No,
        ProtectHome::ReadOnly,
        ProtectHome::Tmpfs,
        ProtectHome::Yes,
    ];

    /// protect_home_from_string: a boolean (true is yes), read-only or tmpfs.
    pub fn parse(v: &str) -> Result<ProtectHome, String> {
        Ok(match (parse_bool(v), v) {
            (Some(true), _) => ProtectHome::Yes,
            (Some(false), _) => ProtectHome::No,
            (None, "read-only") => ProtectHome::ReadOnly,
            (None, "tmpfs") => ProtectHome::Tmpfs,
            _ => return Err(format!("'{v}': expected a boolean, read-only or tmpfs")),
        })
    }
}

impl fmt::Display for ProtectHome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtectHome::No => "no",
            ProtectHome::Yes => "yes",
            ProtectHome::ReadOnly => "read-only",
            ProtectHome::Tmpfs => "tmpfs",
        })
    }
}

/// What %h, %u, %U and %t stand for: the caller's home and name from the password database,
/// uid, and /run/user/UID. (systemd's %t is /run for a system unit; ssc means the caller's.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Specifiers {
    home: String,
    user: String,
    uid: u32,
    runtime_dir: String,
}

impl Specifiers {
    /// Refuses what would make a path name another one than it says: a home that is "/"
    /// (%h/.ssh would be /.ssh), relative or not normalized, and a user name that is not
    /// exactly one path component.
    pub fn new(home: &str, user: &str, uid: u32) -> Result<Specifiers, String> {
        if home == "/" {
            return Err("a home directory of / cannot stand for %h".into());
        }
        check_normalized(home).map_err(|e| format!("home directory '{home}' {e}"))?;
        if matches!(user, "" | "." | "..") || user.contains('/') || user.contains(char::is_control)
        {
            return Err(format!("user name '{user}' cannot stand for %u in a path"));
        }
        Ok(Specifiers {
            home: home.into(),
            user: user.into(),
            uid,
            runtime_dir: format!("/run/user/{uid}"),
        })
    }
}

/// Absolute, without "//", "." or ".." or a trailing '/', within PATH_MAX and NAME_MAX and
/// free of control characters: what path_simplify() leaves and path_is_normalized() and
/// path_is_valid() accept. The error says why not.
fn check_normalized(p: &str) -> Result<(), &'static str> {
    if !p.starts_with('/') {
        return Err("is not an absolute path");
    }
    if p.len() >= PATH_MAX || p[1..].split('/').any(|c| c.len() > NAME_MAX) {
        return Err("is longer than PATH_MAX or has a name longer than NAME_MAX");
    }
    if p.contains(char::is_control) {
        return Err("holds control characters");
    }
    if p != "/" && p[1..].split('/').any(|c| matches!(c, "" | "." | "..")) {
        return Err("is not normalized: it has '.', '..' or '//'");
    }
    Ok(())
}

/// A path as written, specifiers included. "//" and a trailing '/' are taken out, as
/// path_simplify() does; "." and ".." components are refused, not resolved (systemd
/// refuses "..", and drops "." silently), so the path shown is the path used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate(String);

impl PathTemplate {
    /// Must start with '/', %h or %t (followed by '/' or nothing): a specifier that expands to
    /// part of a name (%hx would be a sibling of the home) is refused. Specifiers other than
    /// %h, %u, %U, %t and %% are refused here rather than at launch.
    pub fn parse(s: &str) -> Result<PathTemplate, String> {
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                continue;
            }
            match chars.next() {
                Some('h' | 'u' | 'U' | 't' | '%') => {}
                Some(x) => {
                    return Err(format!(
                        "'{s}': unknown specifier %{x} (ssc knows %h %u %U %t and %%)"
                    ))
                }
                None => return Err(format!("'{s}': a '%' at the end; %% is a '%'")),
            }
        }
        let mut simple = String::with_capacity(s.len());
        for c in s.chars() {
            if !(c == '/' && simple.ends_with('/')) {
                simple.push(c);
            }
        }
        if simple.len() > 1 && simple.ends_with('/') {
            simple.pop();
        }
        // %h and %t expand to normalized absolute paths: check the rest as if under "/".
        let probe = match ["%h", "%t"].iter().find_map(|sp| simple.strip_prefix(sp)) {
            Some("") => "/",
            Some(rest) => rest,
            None => &simple,
        };
        if !probe.starts_with('/') {
            return Err(format!(
                "'{s}' is not an absolute path: it must start with /, %h/ or %t/"
            ));
        }
        check_normalized(probe).map_err(|e| format!("'{s}' {e}"))?;
        Ok(PathTemplate(simple))
    }

    /// The path for this caller, checked again: absolute and normalized.
    pub fn expand(&self, sp: &Specifiers) -> Result<String, String> {
        let mut out = String::with_capacity(self.0.len());
        let mut chars = self.0.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('h') => out.push_str(&sp.home),
                Some('u') => out.push_str(&sp.user),
                Some('U') => out.push_str(&sp.uid.to_string()),
                Some('t') => out.push_str(&sp.runtime_dir),
                Some('%') => out.push('%'),
                _ => return Err(format!("'{}': bad specifier", self.0)),
            }
        }
        check_normalized(&out).map_err(|e| format!("'{}' gives '{out}', which {e}", self.0))?;
        Ok(out)
    }
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The '-' prefix: ignore the path if it does not exist.
fn strip_minus(word: &str) -> (bool, &str) {
    match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word),
    }
}

/// One ReadWritePaths=, ReadOnlyPaths= or InaccessiblePaths= entry: `[-]PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPath {
    pub path: PathTemplate,
    pub ignore_missing: bool,
}

/// config_parse_namespace_path_strv. An empty value gives no paths: the assignment that
/// resets the list.
pub fn parse_access_paths(value: &str) -> Result<Vec<AccessPath>, String> {
    let mut paths = Vec::new();
    for fields in words(value, false)? {
        // One field: ':' separates nothing here.
        let word = fields.concat();
        let (ignore_missing, path) = strip_minus(&word);
        if path.starts_with('+') || word.starts_with('+') {
            return Err(format!(
                "'{word}': '+' is relative to RootDirectory=, which ssc does not support"
            ));
        }
        let path = PathTemplate::parse(path)?;
        paths.push(AccessPath {
            path,
            ignore_missing,
        });
    }
    Ok(paths)
}

impl fmt::Display for AccessPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minus = if self.ignore_missing { "-" } else { "" };
        write!(f, "{minus}{}", quote(&self.path.0, false))
    }
}

/// One BindPaths= or BindReadOnlyPaths= entry: `[-]SOURCE[:DESTINATION[:rbind|norbind]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindPath {
    pub source: PathTemplate,
    pub destination: PathTemplate,
    /// The '-' prefix: ignore the entry if the source does not exist.
    pub ignore_missing: bool,
    pub recursive: bool,
}

/// config_parse_bind_paths: the destination is the source unless given, and the bind
/// recursive unless norbind. ':' in a path is quoted or written `\:`.
pub fn parse_bind_paths(value: &str) -> Result<Vec<BindPath>, String> {
    let mut binds = Vec::new();
    for fields in words(value, true)? {
        let (ignore_missing, source) = strip_minus(&fields[0]);
        let source = PathTemplate::parse(source)?;
        let destination = match fields.get(1).map(String::as_str) {
            None => source.clone(),
            Some("") => return Err(format!("'{source}:': no destination after ':'")),
            Some(d) => PathTemplate::parse(d)?,
        };
        let recursive = match fields.get(2).map(String::as_str) {
            None | Some("" | "rbind") => true,
            Some("norbind") => false,
            Some(o) => return Err(format!("'{o}': expected rbind or norbind")),
        };
        if fields.len() > 3 {
            return Err(format!("'{}': too many ':'", fields.join(":")));
        }
        binds.push(BindPath {
            source,
            destination,
            ignore_missing,
            recursive,
        });
    }
    Ok(binds)
}

impl fmt::Display for BindPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minus = if self.ignore_missing { "-" } else { "" };
        write!(f, "{minus}{}", quote(&self.source.0, true))?;
        if self.destination != self.source || !self.recursive {
            write!(f, ":{}", quote(&self.destination.0, true))?;
        }
        if !self.recursive {
            f.write_str(":norbind")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Specifiers {
        Specifiers::new("/home/alice", "alice", 1000).unwrap()
    }

    fn shown<T: fmt::Display>(items: &[T]) -> String {
        items
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn protect_values_are_systemds() {
        use ProtectSystem as S;
        for (v, want) in [
            ("yes", S::Yes),
            ("TRUE", S::Yes),
            ("1", S::Yes),
            ("on", S::Yes),
            ("no", S::No),
            ("Off", S::No),
            ("0", S::No),
            ("full", S::Full),
            ("strict", S::Strict),
        ] {
            assert_eq!(S::parse(v), Ok(want), "{v}");
            assert_eq!(S::parse(&want.to_string()), Ok(want));
        }
        for v in ["Full", "STRICT", "", "read-only", "2", "yes "] {
            assert!(S::parse(v).is_err(), "{v}");
        }
        use ProtectHome as H;
        for (v, want) in [
            ("y", H::Yes),
            ("false", H::No),
            ("read-only", H::ReadOnly),
            ("tmpfs", H::Tmpfs),
        ] {
            assert_eq!(H::parse(v), Ok(want), "{v}");
            assert_eq!(H::parse(&want.to_string()), Ok(want));
        }
        for v in ["Tmpfs", "readonly", "strict", "full"] {
            assert!(H::parse(v).is_err(), "{v}");
        }
    }

    #[test]
    fn access_paths_unquote_unescape_and_take_minus() {
        let v = r#"-/var/lib/a "/srv/with space" '/x/it\'s' /a\"b /q"u o"te %h/Downloads"#;
        let paths = parse_access_paths(v).unwrap();
        let got: Vec<(String, bool)> = paths
            .iter()
            .map(|p| (p.path.to_string(), p.ignore_missing))
            .collect();
        let want = [
            ("/var/lib/a", true),
            ("/srv/with space", false),
            ("/x/it's", false),
            ("/a\"b", false),
            ("/qu ote", false),
            ("%h/Downloads", false),
        ];
        assert_eq!(got, want.map(|(p, i)| (p.to_string(), i)));
        assert_eq!(parse_access_paths(""), Ok(vec![]));
        assert_eq!(parse_access_paths("/a \t /b").unwrap().len(), 2);
        // What is shown reads back as the same paths.
        assert_eq!(parse_access_paths(&shown(&paths)), Ok(paths));
    }

    #[test]
    fn access_paths_refuse_what_they_cannot_mean() {
        for v in [
            "+/x",
            "-+/x",
            "relative",
            "-",
            "\"\"",
            "/a/../b",
            "/a/./b",
            "/..",
            "%x/y",
            "/y%",
            "%hx",
            "%tx/y",
            "%u/x",
            "%U",
            "%%/x",
            "/a\\nb",
            "/a\\ b",
            "/a\\:b",
            "/a\\",
            "\"/unterminated",
            "'/a\u{1}b'",
        ] {
            assert!(parse_access_paths(v).is_err(), "{v}");
        }
        let long = format!("/{}", "a".repeat(256));
        assert!(parse_access_paths(&long).is_err());
        assert!(parse_access_paths(&format!("/{}", "a".repeat(255))).is_ok());
    }

    #[test]
    fn paths_are_simplified_as_systemd_does() {
        for (v, want) in [
            ("//a//b/", "/a/b"),
            ("%h/", "%h"),
            ("/", "/"),
            ("%t//bus", "%t/bus"),
        ] {
            assert_eq!(PathTemplate::parse(v).unwrap().to_string(), want);
        }
    }

    #[test]
    fn specifiers_expand_to_the_callers() {
        let sp = alice();
        for (v, want) in [
            ("%h/Downloads", "/home/alice/Downloads"),
            ("%h", "/home/alice"),
            ("%t/bus", "/run/user/1000/bus"),
            ("/srv/%u/%U", "/srv/alice/1000"),
            ("/a%%b", "/a%b"),
        ] {
            let t = PathTemplate::parse(v).unwrap();
            assert_eq!(t.expand(&sp).as_deref(), Ok(want), "{v}");
        }
    }

    #[test]
    fn specifiers_refuse_what_would_change_a_path() {
        for home in [
            "/",
            "home",
            "",
            "/home//a",
            "/home/a/",
            "/home/./a",
            "/home/a/..",
        ] {
            assert!(Specifiers::new(home, "a", 1).is_err(), "{home}");
        }
        for user in ["", ".", "..", "a/b", "a\nb"] {
            assert!(Specifiers::new("/home/a", user, 1).is_err(), "{user:?}");
        }
    }

    #[test]
    fn bind_paths_take_destination_and_recursion() {
        let b = |v| parse_bind_paths(v).unwrap();
        let one = |v| b(v).remove(0);
        let src = one("/srv/src");
        assert_eq!(src.destination, src.source);
        assert!(src.recursive && !src.ignore_missing);
        let nor = one("-/a:/b:norbind");
        assert_eq!(
            (nor.source.to_string(), nor.destination.to_string()),
            ("/a".into(), "/b".into())
        );
        assert!(!nor.recursive && nor.ignore_missing);
        assert!(one("/a:/b:rbind").recursive);
        assert!(one("/a:/b:").recursive);
        assert_eq!(one(r#""/a:b":/c"#).source.to_string(), "/a:b");
        assert_eq!(one(r"/a\:b:/c").source.to_string(), "/a:b");
        assert_eq!(one("%h/src:/srv/%u").destination.to_string(), "/srv/%u");
        assert_eq!(b("/a /b:/c -/d").len(), 3);
        assert_eq!(b(""), vec![]);
        let all = b(r#"/a "/b c":/d -/e:/f:norbind "/g:h" /i:/i"#);
        assert_eq!(parse_bind_paths(&shown(&all)), Ok(all));
        for v in [
            "/a:",
            "/a:/b:x",
            "/a:/b:rbind:x",
            ":/b",
            "/a::rbind",
            "rel:/b",
            "/a:rel",
            "+/a",
        ] {
            assert!(parse_bind_paths(v).is_err(), "{v}");
        }
    }
}
