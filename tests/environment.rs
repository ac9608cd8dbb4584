//! The caller's environment as ssc receives it, through the real binary.

use std::process::Command;

/// Any envp a caller passes, "=a=b" included (an entry no getenv can name, which
/// `std::env::remove_var` panics on), must not stop ssc.
#[test]
fn odd_environment_entries_do_not_stop_ssc() {
    let out = Command::new(env!("CARGO_BIN_EXE_ssc"))
        .env_clear()
        .env("=a", "b")
        .env("PATH", "/usr/bin:/bin")
        .args(["--dry-run", "-p", "relaxed", "--", "true"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("internal error"), "{stderr}");
}
