//! Replays every committed fuzz corpus file (fuzz/corpus/TARGET/*) through the checks the
//! fuzz targets run, on the stable toolchain: a regression test for what fuzzing found.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| check(&data));
        assert!(result.is_ok(), "{target}: {} fails", path.display());
        n += 1;
    }
    assert!(n > 0, "{target}: empty corpus in {}", dir.display());
}

#[test]
fn profile_corpus() {
    replay("profile", checks::profile);
}

#[test]
fn cli_corpus() {
    replay("cli", checks::cli);
}

#[test]
fn environment_corpus() {
    replay("environment", checks::environment);
}

#[test]
fn desktop_entry_corpus() {
    replay("desktop_entry", checks::desktop_entry);
}

#[test]
fn dbus_message_corpus() {
    replay("dbus_message", checks::dbus_message);
}

#[test]
fn fs_paths_corpus() {
    replay("fs_paths", checks::fs_paths);
}

#[test]
fn seccomp_corpus() {
    replay("seccomp", checks::seccomp);
}
