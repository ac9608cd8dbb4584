//! A profile's file-system keys and PrivateTmp as `plan::Settings` for one caller: lists
//! accumulated and reset as systemd does, specifiers expanded with the caller's home and
//! name from the password database and her uid, never from her environment, and each
//! entry marked with the profile's file:line.

use nix::unistd::User;

use super::paths::Specifiers;
use super::plan::{Access, Bind, Origin, Settings, Temporary};
use crate::credentials::Caller;
use crate::error::{Error, Result};
use crate::profile::file_system::FileSystem;
use crate::profile::{Profile, Setting, Source};

pub fn of(profile: &Profile, caller: &Caller) -> Result<Settings> {
    let origin = |key: &'static str, line: usize| Origin {
        key,
        at: match &profile.source {
            Source::BuiltIn => format!("built-in {}", profile.name),
            Source::File(p) => format!("{}:{line}", p.display()),
        },
    };
    let mut specifiers = None;
    let mut s = Settings::default();
    if profile.private_tmp() {
        s.private_tmp = Some(origin("PrivateTmp", 0));
    }
    for setting in &profile.settings {
        let Setting::FileSystem(fs, line) = setting else {
            continue;
        };
        let origin = origin(fs.key(), *line);
        let refused =
            |e: String| Error::Profile(format!("{}: {}={fs}: {e}", origin.at, origin.key));
        let mut expand = |t: &super::paths::PathTemplate| -> Result<String> {
            if specifiers.is_none() {
                specifiers = Some(specifiers_of(caller).map_err(refused)?);
            }
            let sp = specifiers.as_ref().expect("set just now");
            t.expand(sp).map_err(refused)
        };
        match fs {
            FileSystem::ProtectSystem(v) => s.protect_system = Some((*v, origin)),
            FileSystem::ProtectHome(v) => s.protect_home = Some((*v, origin)),
            FileSystem::ReadWritePaths(l)
            | FileSystem::ReadOnlyPaths(l)
            | FileSystem::InaccessiblePaths(l) => {
                let list = match fs {
                    FileSystem::ReadWritePaths(_) => &mut s.read_write_paths,
                    FileSystem::ReadOnlyPaths(_) => &mut s.read_only_paths,
                    _ => &mut s.inaccessible_paths,
                };
                if l.is_empty() {
                    list.clear();
                }
                for a in l {
                    list.push(Access {
                        path: expand(&a.path)?,
                        ignore_missing: a.ignore_missing,
                        origin: origin.clone(),
                    });
                }
            }
            // One list for both keys, as in systemd: an empty one resets both.
            FileSystem::BindPaths(l) | FileSystem::BindReadOnlyPaths(l) => {
                if l.is_empty() {
                    s.bind_paths.clear();
                }
                for b in l {
                    s.bind_paths.push(Bind {
                        source: expand(&b.source)?,
                        destination: expand(&b.destination)?,
                        read_only: matches!(fs, FileSystem::BindReadOnlyPaths(_)),
                        recursive: b.recursive,
                        ignore_missing: b.ignore_missing,
                        origin: origin.clone(),
                    });
                }
            }
            FileSystem::TemporaryFileSystem(l) => {
                if l.is_empty() {
                    s.temporary_file_systems.clear();
                }
                for t in l {
                    let (tmpfs, read_only) = t.options.resolve();
                    s.temporary_file_systems.push(Temporary {
                        path: expand(&t.path)?,
                        tmpfs,
                        read_only,
                        origin: origin.clone(),
                    });
                }
            }
        }
    }
    Ok(s)
}

/// The caller's %h, %u, %U and %t, from the password database.
fn specifiers_of(caller: &Caller) -> std::result::Result<Specifiers, String> {
    let user = User::from_uid(caller.uid)
        .map_err(|e| format!("password database: {e}"))?
        .ok_or_else(|| format!("uid {} has no entry in the password database", caller.uid))?;
    let home = user
        .dir
        .to_str()
        .ok_or("the home directory is not UTF-8")?
        .to_string();
    Specifiers::new(&home, &user.name, caller.uid.as_raw())
}
