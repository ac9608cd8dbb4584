//! The override files in `$XDG_DATA_HOME/applications`.  Their final path
//! component is never followed if it is a symbolic link: reads use
//! O_NOFOLLOW, writes go to a fresh temporary file renamed over the path, and
//! removal unlinks the name itself.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process;

/// Reads the regular file at `path`; `None` if there is none.
pub fn read(path: &Path) -> Result<Option<String>, String> {
    let shown = path.display();
    // O_NONBLOCK: a FIFO at the path must not hang the open.
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let mut file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(format!("{shown} is a symbolic link; not touching it"))
        }
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    if !file
        .metadata()
        .map_err(|e| format!("{shown}: {e}"))?
        .is_file()
    {
        return Err(format!("{shown} is not a regular file; not touching it"));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| format!("{shown}: {e}"))?;
    Ok(Some(text))
}

/// Replaces `path` with `text` atomically: readers see the old or the new file.
pub fn write(path: &Path, text: &str) -> Result<(), String> {
    let dir = path.parent().expect("override path has a directory");
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let name = path.file_name().expect("override path has a file name");
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), process::id()));
    let written = write_new(&tmp, text).and_then(|()| fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

/// Creates `path`, which must not exist yet (O_EXCL: never through a link).
fn write_new(path: &Path, text: &str) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

pub fn remove(path: &Path) -> Result<(), String> {
    fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Regular `*.desktop` files directly in `dir`, sorted; none if `dir` is missing.
pub fn entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let list = match fs::read_dir(dir) {
        Ok(list) => list,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut paths = Vec::new();
    for item in list {
        let item = item.map_err(|e| format!("{}: {e}", dir.display()))?;
        // file_type() does not follow symbolic links.
        let regular = item.file_type().is_ok_and(|t| t.is_file());
        if regular && item.file_name().to_string_lossy().ends_with(".desktop") {
            paths.push(item.path());
        }
    }
    paths.sort();
    Ok(paths)
}
