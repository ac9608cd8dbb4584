//! desktop-file-validate (Debian: desktop-file-utils) on the entries shipped in
//! desktop/ and on an override written by ssc-desktop.  A missing tool is a
//! failure, never a skip.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{stderr, Sandbox, FIXTURE};
use freedesktop_desktop_entry::DesktopEntry;

/// Asserts that desktop-file-validate accepts `path` without a word.
fn validate(path: &Path) {
    let out = Command::new("desktop-file-validate")
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run desktop-file-validate ({e}): install it with `apt-get install desktop-file-utils`")
        });
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.is_empty(),
        "{}:\n{said}",
        path.display()
    );
}

fn shipped() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../desktop");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "desktop"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn shipped_entries_are_valid_and_start_the_browser_through_ssc() {
    let paths = shipped();
    let names: Vec<_> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["chromium-ssc.desktop", "firefox-ssc.desktop"]);
    for (path, (name, browser, code)) in paths.iter().zip([
        ("Chromium (ssc strict)", "/usr/bin/chromium", "%U"),
        (
            "Firefox (ssc strict)",
            "/usr/lib/firefox-esr/firefox-esr",
            "%u",
        ),
    ]) {
        validate(path);
        let entry = DesktopEntry::from_path(path, None::<&[&str]>).unwrap();
        assert_eq!(entry.desktop_entry("Name"), Some(name));
        assert_eq!(
            entry.exec(),
            Some(format!("ssc --no-tty -p strict -- {browser} {code}").as_str())
        );
        assert_eq!(entry.try_exec(), Some(browser));
        let mime = entry.mime_type().unwrap();
        assert!(mime.contains(&"text/html") && mime.contains(&"x-scheme-handler/https"));
    }
}

#[test]
fn a_wrapped_override_is_valid() {
    let sb = Sandbox::new();
    sb.put("sys1/applications/org.example.MyApp.desktop", FIXTURE);
    let out = sb.run(&["wrap", "org.example.MyApp"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    validate(&sb.user_entry("org.example.MyApp.desktop"));
}
