//! A throwaway home and system data dirs, and the real binary run in them.

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub const FIXTURE: &str = include_str!("../data/org.example.MyApp.desktop");
pub const FIXTURE_WRAPPED: &str = include_str!("../data/org.example.MyApp.wrapped");

pub struct Sandbox {
    pub root: TempDir,
    /// The binary's environment besides HOME (PATH, XDG_DATA_DIRS, ...).
    pub env: BTreeMap<String, String>,
}

impl Sandbox {
    /// HOME is `root/home`; XDG_DATA_DIRS is `root/sys1:root/sys2`; PATH is ours.
    pub fn new() -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir(root.path().join("home")).unwrap();
        let dirs = format!("{0}/sys1:{0}/sys2", root.path().display());
        let mut env = BTreeMap::from([("XDG_DATA_DIRS".to_owned(), dirs)]);
        env.insert("PATH".into(), env::var("PATH").unwrap());
        Sandbox { root, env }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Writes `text` to `root/rel`, creating directories.
    pub fn put(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    /// The override written for `id` with the default XDG_DATA_HOME.
    pub fn user_entry(&self, id: &str) -> PathBuf {
        self.path("home/.local/share/applications").join(id)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ssc-desktop"))
            .args(args)
            .env_clear()
            .env("HOME", self.path("home"))
            .envs(&self.env)
            .output()
            .unwrap()
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Asserts exit status 1 with one `ssc-desktop: ` line containing `needle`.
pub fn assert_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(
        err.starts_with("ssc-desktop: ") && err.lines().count() == 1,
        "{err}"
    );
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    assert_eq!(stdout(out), "");
}

pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}
