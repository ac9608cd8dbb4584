//! Where desktop entries live (XDG Base Directory and Desktop Entry specs).

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

/// `$XDG_DATA_HOME`, or `~/.local/share`; a relative value is ignored, as the spec says.
pub fn data_home() -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("XDG_DATA_HOME").map(PathBuf::from) {
        if dir.is_absolute() {
            return Ok(dir);
        }
    }
    match env::var_os("HOME").map(PathBuf::from) {
        Some(home) if home.is_absolute() => Ok(home.join(".local/share")),
        _ => Err("HOME is not set to an absolute path and XDG_DATA_HOME is not set".into()),
    }
}

/// `$XDG_DATA_DIRS` (default `/usr/local/share:/usr/share`), relative entries ignored.
pub fn data_dirs() -> Vec<PathBuf> {
    let dirs = env::var_os("XDG_DATA_DIRS")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| OsString::from("/usr/local/share:/usr/share"));
    env::split_paths(&dirs)
        .filter(|d| d.is_absolute())
        .collect()
}

/// The system entry for desktop file `id`: the first match in the
/// `applications/` directories of the data dirs.  The user's own data dir is
/// skipped even if listed there, so an override is never taken for an original.
pub fn find_original(id: &str, data_home: &Path) -> Option<PathBuf> {
    let home = fs::canonicalize(data_home).ok();
    data_dirs()
        .into_iter()
        .filter(|dir| home.is_none() || fs::canonicalize(dir).ok() != home)
        .find_map(|dir| lookup(&dir.join("applications"), id))
}

/// A file id maps `/` to `-` (`kde4/foo.desktop` is `kde4-foo.desktop`), so
/// each `-` may also stand for a subdirectory.
fn lookup(dir: &Path, id: &str) -> Option<PathBuf> {
    let direct = dir.join(id);
    if direct.is_file() {
        return Some(direct);
    }
    id.match_indices('-').find_map(|(i, _)| {
        let sub = dir.join(&id[..i]);
        sub.is_dir().then(|| lookup(&sub, &id[i + 1..])).flatten()
    })
}
