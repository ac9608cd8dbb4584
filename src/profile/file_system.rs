//! The file-system keys: systemd's ProtectSystem, ProtectHome and path settings, which
//! systemd refuses on a scope and ssc builds in its own mount namespace (sandbox/). Their
//! values are parsed as systemd parses them (sandbox/paths.rs, sandbox/tmpfs.rs); the
//! specifiers in their paths are expanded for the caller at launch.

use std::fmt;

use crate::sandbox::paths::{
    parse_access_paths, parse_bind_paths, AccessPath, BindPath, ProtectHome, ProtectSystem,
};
use crate::sandbox::tmpfs::{parse_temporary_filesystems, TemporaryFileSystem};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSystem {
    ProtectSystem(ProtectSystem),
    ProtectHome(ProtectHome),
    // The list keys: each line adds to the list, and an empty one resets it.
    ReadWritePaths(Vec<AccessPath>),
    ReadOnlyPaths(Vec<AccessPath>),
    InaccessiblePaths(Vec<AccessPath>),
    TemporaryFileSystem(Vec<TemporaryFileSystem>),
    BindPaths(Vec<BindPath>),
    BindReadOnlyPaths(Vec<BindPath>),
}

impl FileSystem {
    /// None if `key` is not one of these.
    pub fn parse(key: &str, value: &str) -> Option<Result<FileSystem, String>> {
        Some(match key {
            "ProtectSystem" => ProtectSystem::parse(value).map(FileSystem::ProtectSystem),
            "ProtectHome" => ProtectHome::parse(value).map(FileSystem::ProtectHome),
            "ReadWritePaths" => parse_access_paths(value).map(FileSystem::ReadWritePaths),
            "ReadOnlyPaths" => parse_access_paths(value).map(FileSystem::ReadOnlyPaths),
            "InaccessiblePaths" => parse_access_paths(value).map(FileSystem::InaccessiblePaths),
            "TemporaryFileSystem" => {
                parse_temporary_filesystems(value).map(FileSystem::TemporaryFileSystem)
            }
            "BindPaths" => parse_bind_paths(value).map(FileSystem::BindPaths),
            "BindReadOnlyPaths" => parse_bind_paths(value).map(FileSystem::BindReadOnlyPaths),
            _ => return None,
        })
    }

    pub fn key(&self) -> &'static str {
        match self {
            FileSystem::ProtectSystem(_) => "ProtectSystem",
            FileSystem::ProtectHome(_) => "ProtectHome",
            FileSystem::ReadWritePaths(_) => "ReadWritePaths",
            FileSystem::ReadOnlyPaths(_) => "ReadOnlyPaths",
            FileSystem::InaccessiblePaths(_) => "InaccessiblePaths",
            FileSystem::TemporaryFileSystem(_) => "TemporaryFileSystem",
            FileSystem::BindPaths(_) => "BindPaths",
            FileSystem::BindReadOnlyPaths(_) => "BindReadOnlyPaths",
        }
    }

    pub fn is_list(&self) -> bool {
        !matches!(
            self,
            FileSystem::ProtectSystem(_) | FileSystem::ProtectHome(_)
        )
    }

    /// Whether the setting asks for anything: every one that does needs the namespace,
    /// and implies NoNewPrivileges, so that a reshaped tree never feeds a set-user-ID
    /// program.
    pub fn protects(&self) -> bool {
        match self {
            FileSystem::ProtectSystem(s) => *s != ProtectSystem::No,
            FileSystem::ProtectHome(h) => *h != ProtectHome::No,
            FileSystem::ReadWritePaths(l)
            | FileSystem::ReadOnlyPaths(l)
            | FileSystem::InaccessiblePaths(l) => !l.is_empty(),
            FileSystem::TemporaryFileSystem(l) => !l.is_empty(),
            FileSystem::BindPaths(l) | FileSystem::BindReadOnlyPaths(l) => !l.is_empty(),
        }
    }
}

fn join<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// The value in systemd's syntax.
impl fmt::Display for FileSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileSystem::ProtectSystem(s) => write!(f, "{s}"),
            FileSystem::ProtectHome(h) => write!(f, "{h}"),
            FileSystem::ReadWritePaths(l)
            | FileSystem::ReadOnlyPaths(l)
            | FileSystem::InaccessiblePaths(l) => join(f, l),
            FileSystem::TemporaryFileSystem(l) => join(f, l),
            FileSystem::BindPaths(l) | FileSystem::BindReadOnlyPaths(l) => join(f, l),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{built_in, parse, Setting};
    use std::path::Path;

    fn p(text: &str) -> crate::error::Result<crate::profile::Profile> {
        parse("fs", Path::new("/etc/ssc/profiles.d/fs.conf"), text)
    }

    #[test]
    fn bad_values_name_file_line_and_key() {
        for (text, want) in [
            (
                "[Profile]\nProtectSystem=sometimes\n",
                "fs.conf:2: ProtectSystem=sometimes",
            ),
            (
                "[Profile]\n\nProtectHome=private\n",
                "fs.conf:3: ProtectHome=private",
            ),
            (
                "[Profile]\nReadWritePaths=relative/x\n",
                "fs.conf:2: ReadWritePaths=",
            ),
            ("[Profile]\nReadOnlyPaths=+/usr\n", "RootDirectory"),
            (
                "[Profile]\nInaccessiblePaths=%x/y\n",
                "fs.conf:2: InaccessiblePaths=",
            ),
            (
                "[Profile]\nBindPaths=/a:/b:sideways\n",
                "fs.conf:2: BindPaths=",
            ),
            (
                "[Profile]\nTemporaryFileSystem=/srv:suid\n",
                "fs.conf:2: TemporaryFileSystem=",
            ),
        ] {
            let e = p(text).expect_err(text).to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn every_key_implies_no_new_privileges() {
        for text in [
            "ProtectSystem=yes",
            "ProtectHome=read-only",
            "ReadWritePaths=/srv",
            "InaccessiblePaths=-%h/.ssh",
            "TemporaryFileSystem=/srv",
            "BindReadOnlyPaths=/srv",
        ] {
            let profile = p(&format!("[Profile]\n{text}\n")).unwrap();
            assert!(profile.no_new_privileges(), "{text}");
            let e = p(&format!("[Profile]\n{text}\nNoNewPrivileges=no\n")).unwrap_err();
            assert!(
                e.to_string()
                    .contains(":3: NoNewPrivileges=no contradicts a file-system setting"),
                "{e}"
            );
        }
        // Set to nothing, they ask for nothing.
        for text in ["ProtectSystem=no", "ProtectHome=false", "ReadWritePaths="] {
            assert!(!p(&format!("[Profile]\n{text}\n"))
                .unwrap()
                .no_new_privileges());
        }
    }

    #[test]
    fn values_show_in_systemd_syntax_and_lists_repeat() {
        let profile = p("[Profile]\nProtectSystem=true\nProtectHome=read-only\n\
             BindPaths=-%h/a:/b:norbind /c\nBindPaths=\nInaccessiblePaths=-%h/.ssh /opt\n")
        .unwrap();
        let shown: Vec<String> = profile.settings.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            shown,
            [
                "ProtectSystem=yes",
                "ProtectHome=read-only",
                "BindPaths=-%h/a:/b:norbind /c",
                "BindPaths=",
                "InaccessiblePaths=-%h/.ssh /opt",
            ]
        );
        assert!(matches!(profile.settings[4], Setting::FileSystem(_, 6)));
        assert!(p("[Profile]\nProtectSystem=yes\nProtectSystem=full\n").is_err());
    }

    #[test]
    fn strict_makes_the_system_read_only() {
        let strict = built_in("strict", 2).unwrap();
        assert!(strict.settings.contains(&Setting::FileSystem(
            FileSystem::ProtectSystem(ProtectSystem::Full),
            0
        )));
        assert!(!built_in("relaxed", 2).unwrap().protects_file_system());
    }
}
