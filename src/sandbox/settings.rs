//! A profile's file-system keys, the mount half of ProtectKernel* and ProtectControlGroups,
//! and PrivateTmp as `plan::Settings` for one caller: lists
//! accumulated and reset as systemd does, specifiers expanded with the caller's home and
//! name from the password database and her uid, never from her environment, and each
//! entry marked with the profile's file:line.

use nix::unistd::User;

use super::paths::Specifiers;
use super::plan::{Access, Bind, Origin, Settings, Temporary};
use crate::credentials::Caller;
use crate::error::{Error, Result};
use crate::profile::file_system::FileSystem;
use crate::profile::kernel::Kernel;
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
        if let Setting::Kernel(k, line) = setting {
            let field = match k {
                Kernel::ProtectKernelTunables(on) => Some((&mut s.protect_kernel_tunables, on)),
                Kernel::ProtectKernelModules(on) => Some((&mut s.protect_kernel_modules, on)),
                Kernel::ProtectKernelLogs(on) => Some((&mut s.protect_kernel_logs, on)),
                Kernel::ProtectControlGroups(on) => Some((&mut s.protect_control_groups, on)),
                _ => None,
            };
            if let Some((field, on)) = field {
                *field = on.then(|| origin(k.key(), *line));
            }
            continue;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse;
    use std::path::Path;

    #[test]
    fn lists_reset_and_specifiers_are_the_callers() {
        let caller = Caller::from_process().unwrap();
        let user = User::from_uid(caller.uid).unwrap().unwrap();
        let home = user.dir.to_str().unwrap().to_string();
        let profile = parse(
            "fs",
            Path::new("/etc/ssc/profiles.d/fs.conf"),
            "[Profile]\nReadOnlyPaths=/usr\nReadOnlyPaths=\nReadOnlyPaths=-%h/x /run/u%U\n\
             BindPaths=/a\nBindReadOnlyPaths=%t/b:/c\nProtectHome=tmpfs\n",
        )
        .unwrap();
        if home == "/" {
            // Such a home cannot stand for %h: the launch is refused, naming the line.
            let e = of(&profile, &caller).unwrap_err().to_string();
            assert!(e.contains("fs.conf:4"), "{e}");
            return;
        }
        let s = of(&profile, &caller).unwrap();
        let paths: Vec<(&str, bool, &str)> = s
            .read_only_paths
            .iter()
            .map(|a| (a.path.as_str(), a.ignore_missing, a.origin.at.as_str()))
            .collect();
        let uid = caller.uid.as_raw();
        assert_eq!(
            paths,
            [
                (
                    format!("{home}/x").as_str(),
                    true,
                    "/etc/ssc/profiles.d/fs.conf:4"
                ),
                (
                    format!("/run/u{uid}").as_str(),
                    false,
                    "/etc/ssc/profiles.d/fs.conf:4"
                ),
            ]
        );
        let binds: Vec<(&str, &str, bool)> = s
            .bind_paths
            .iter()
            .map(|b| (b.source.as_str(), b.destination.as_str(), b.read_only))
            .collect();
        assert_eq!(
            binds,
            [
                ("/a", "/a", false),
                (format!("/run/user/{uid}/b").as_str(), "/c", true)
            ]
        );
        assert!(s.protect_home.is_some() && s.private_tmp.is_none());
    }
}
