//! The MIME index of the user's applications directory.
//!
//! GLib (GNOME, and xdg-open there) reads an app's file and link types only
//! from each directory's `mimeinfo.cache`, and an entry in a directory hides
//! the entry with the same id in the directories below, together with its
//! associations there.  An override that is not indexed therefore makes the
//! app lose its types: links no longer open in the wrapped browser.
//! `update-desktop-database` (desktop-file-utils) rebuilds that index.

use std::env;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const INDEXER: &str = "update-desktop-database";

/// The indexer on PATH, or an error that says why it is needed.
pub fn indexer(id: &str) -> Result<PathBuf, String> {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .map(|dir| dir.join(INDEXER))
        .find(|tool| {
            tool.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| {
            format!(
                "{id} opens files or links (MimeType), and the override must be indexed \
                 for that to keep working, but {INDEXER} is not on PATH \
                 (Debian package desktop-file-utils)"
            )
        })
}

/// Rebuilds `dir/mimeinfo.cache`.
pub fn reindex(tool: &Path, dir: &Path) -> Result<(), String> {
    let failed = |why: String| format!("{INDEXER} {}: {why}", dir.display());
    let status = Command::new(tool)
        .arg("-q")
        .arg(dir)
        .status()
        .map_err(|e| failed(e.to_string()))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(status.to_string()))
    }
}
