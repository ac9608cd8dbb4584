//! wrap, unwrap and list: outputs, files and exit codes.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::common::{assert_error, read, stderr, stdout, Sandbox, FIXTURE, FIXTURE_WRAPPED};
use freedesktop_desktop_entry::DesktopEntry;

const ID: &str = "org.example.MyApp.desktop";
const SIMPLE: &str = "[Desktop Entry]\nType=Application\nName=S\nExec=simple %f\n";

/// argv of the main Exec and of each action, with two URIs substituted.
fn argvs(path: &Path) -> Vec<Vec<String>> {
    let entry = DesktopEntry::from_path(path, None::<&[&str]>).unwrap();
    let uris = ["file:///a", "file:///b"];
    let mut all = vec![entry.parse_exec_with_uris(&uris, &[] as &[&str]).unwrap()];
    for action in entry.actions().unwrap_or_default() {
        if !action.is_empty() {
            all.push(
                entry
                    .parse_exec_action_with_uris(action, &uris, &[] as &[&str])
                    .unwrap(),
            );
        }
    }
    all
}

#[test]
fn wrap_writes_the_exact_override() {
    let sb = Sandbox::new();
    let original = sb.put(&format!("sys1/applications/{ID}"), FIXTURE);
    let out = sb.run(&["wrap", "org.example.MyApp"]);
    let target = sb.user_entry(ID);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("wrapped {ID} with profile strict: {}\n", target.display())
    );
    assert_eq!(read(&target), FIXTURE_WRAPPED);
    assert_eq!(read(&original), FIXTURE, "the original is untouched");
    // Indexed, or GLib would lose the app's types (see src/mime.rs).
    let cache = read(&sb.path("home/.local/share/applications/mimeinfo.cache"));
    assert!(cache.contains(&format!("\ntext/plain={ID};\n")), "{cache}");
    assert!(
        cache.contains(&format!("\nx-scheme-handler/myapp={ID};\n")),
        "{cache}"
    );

    // What a launcher runs: ssc's argv, then exactly the original's.
    let prefix = ["ssc", "--no-tty", "-p", "strict", "--"];
    let wrapped = argvs(&target);
    let originals = argvs(&original);
    assert_eq!(wrapped.len(), 3);
    for (w, o) in wrapped.iter().zip(&originals) {
        assert_eq!(w[..5], prefix);
        assert_eq!(w[5..], o[..]);
    }
    assert_eq!(
        originals[2],
        [
            "env",
            "MYAPP_PRIVATE=1",
            "/opt/My App/bin/app",
            "--private",
            "with \"quotes\", $HOME and \\ backslash",
            "file:///a"
        ]
    );
}

#[test]
fn first_match_in_xdg_data_dirs_wins_and_subdirectories_count() {
    let sb = Sandbox::new();
    sb.put(
        "sys1/applications/app.desktop",
        &SIMPLE.replace("simple", "first"),
    );
    sb.put(
        "sys2/applications/app.desktop",
        &SIMPLE.replace("simple", "second"),
    );
    assert_eq!(sb.run(&["wrap", "app.desktop"]).status.code(), Some(0));
    assert!(
        read(&sb.user_entry("app.desktop")).contains("\nExec=ssc --no-tty -p strict -- first %f\n")
    );

    // kde4/tool.desktop has the file id kde4-tool.desktop.
    sb.put(
        "sys2/applications/kde4/tool.desktop",
        &SIMPLE.replace("simple", "tool"),
    );
    let out = sb.run(&["wrap", "kde4-tool", "-p", "relaxed"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(read(&sb.user_entry("kde4-tool.desktop"))
        .contains("\nExec=ssc --no-tty -p relaxed -- tool %f\n"));
}

#[test]
fn xdg_data_home_is_respected_and_never_searched_for_originals() {
    let mut sb = Sandbox::new();
    let data_home = sb.path("data");
    sb.env
        .insert("XDG_DATA_HOME".into(), data_home.display().to_string());
    sb.put("sys2/applications/app.desktop", SIMPLE);
    assert_eq!(sb.run(&["wrap", "app"]).status.code(), Some(0));
    assert!(read(&data_home.join("applications/app.desktop")).contains("X-SSC-Wrapped=strict"));
    assert!(!sb.path("home/.local").exists());

    // An entry in the user's own dir is no original, even if that dir is also
    // listed in XDG_DATA_DIRS (sub/mine.desktop has the id sub-mine.desktop).
    sb.put("data/applications/sub/mine.desktop", SIMPLE);
    let dirs = format!("{}:{}", data_home.display(), sb.env["XDG_DATA_DIRS"]);
    sb.env.insert("XDG_DATA_DIRS".into(), dirs);
    assert_error(
        &sb.run(&["wrap", "sub-mine"]),
        "sub-mine.desktop: not found in",
    );
    assert!(!data_home.join("applications/sub-mine.desktop").exists());
}

#[test]
fn rewrap_is_idempotent_and_switches_the_profile() {
    let sb = Sandbox::new();
    sb.put(&format!("sys1/applications/{ID}"), FIXTURE);
    let target = sb.user_entry(ID);
    assert_eq!(sb.run(&["wrap", ID]).status.code(), Some(0));
    assert_eq!(
        sb.run(&["wrap", ID, "--profile", "strict"]).status.code(),
        Some(0)
    );
    assert_eq!(read(&target), FIXTURE_WRAPPED);

    assert_eq!(sb.run(&["wrap", ID, "-p", "web_2"]).status.code(), Some(0));
    let expected = FIXTURE_WRAPPED
        .replace("-p strict", "-p web_2")
        .replace("Wrapped=strict", "Wrapped=web_2");
    assert_eq!(read(&target), expected);
}

#[test]
fn an_override_not_written_by_us_is_left_alone() {
    let sb = Sandbox::new();
    sb.put("sys1/applications/app.desktop", SIMPLE);
    let own = sb.put(
        "home/.local/share/applications/app.desktop",
        "[Desktop Entry]\nType=Application\nName=Mine\nExec=mine\n",
    );
    assert_error(
        &sb.run(&["wrap", "app"]),
        "was not written by ssc-desktop (no X-SSC-Wrapped key)",
    );
    assert_error(
        &sb.run(&["unwrap", "app"]),
        "was not written by ssc-desktop",
    );
    assert!(read(&own).contains("Exec=mine\n") && !read(&own).contains("ssc"));
    assert_eq!(stdout(&sb.run(&["list"])), "");
}

#[test]
fn a_symlink_at_the_override_path_is_never_followed() {
    let sb = Sandbox::new();
    sb.put("sys1/applications/app.desktop", SIMPLE);
    // Even a link to one of our own overrides: the name is not a file we wrote.
    let victim = sb.put(
        "elsewhere/app.desktop",
        &SIMPLE.replace("Name=S\n", "Name=S\nX-SSC-Wrapped=strict\n"),
    );
    let link = sb.user_entry("app.desktop");
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink(&victim, &link).unwrap();
    assert_error(
        &sb.run(&["wrap", "app"]),
        "is a symbolic link; not touching it",
    );
    assert_error(
        &sb.run(&["unwrap", "app"]),
        "is a symbolic link; not touching it",
    );
    assert_eq!(stdout(&sb.run(&["list"])), "");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(read(&victim).starts_with(&SIMPLE[..40]));
    assert_eq!(
        fs::read_dir(link.parent().unwrap()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn unwrap_removes_only_the_override() {
    let sb = Sandbox::new();
    let original = sb.put("sys1/applications/app.desktop", SIMPLE);
    assert_eq!(sb.run(&["wrap", "app"]).status.code(), Some(0));
    let target = sb.user_entry("app.desktop");
    let out = sb.run(&["unwrap", "app.desktop"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("unwrapped app.desktop: removed {}\n", target.display())
    );
    assert!(!target.exists());
    assert_eq!(read(&original), SIMPLE);
    let cache = sb.path("home/.local/share/applications/mimeinfo.cache");
    assert!(!cache.exists(), "SIMPLE has no MimeType: no index");
    assert_error(
        &sb.run(&["unwrap", "app"]),
        "app.desktop is not wrapped: there is no ",
    );
}

#[test]
fn list_shows_wrapped_apps_only() {
    let sb = Sandbox::new();
    assert_eq!(stdout(&sb.run(&["list"])), "", "no applications dir yet");
    sb.put("sys1/applications/b-app.desktop", SIMPLE);
    sb.put(&format!("sys2/applications/{ID}"), FIXTURE);
    assert_eq!(
        sb.run(&["wrap", "b-app", "-p", "relaxed"]).status.code(),
        Some(0)
    );
    assert_eq!(sb.run(&["wrap", ID]).status.code(), Some(0));
    sb.put("home/.local/share/applications/mine.desktop", SIMPLE);
    sb.put(
        "home/.local/share/applications/notes.txt",
        "X-SSC-Wrapped=strict\n",
    );
    let out = sb.run(&["list"]);
    assert_eq!(out.status.code(), Some(0));
    let dir = sb.path("home/.local/share/applications");
    assert_eq!(
        stdout(&out),
        format!(
            "b-app.desktop\trelaxed\t{0}/b-app.desktop\n{ID}\tstrict\t{0}/{ID}\n",
            dir.display()
        )
    );
}

#[test]
fn app_not_found() {
    let sb = Sandbox::new();
    let out = sb.run(&["wrap", "nope"]);
    assert_error(&out, "nope.desktop: not found in ");
    assert!(stderr(&out).contains(&format!("{}/sys2/applications", sb.root.path().display())));
    assert!(!sb.path("home/.local").exists());
}

#[test]
fn bad_profile_names_and_ids_are_usage_errors() {
    let sb = Sandbox::new();
    sb.put("sys1/applications/app.desktop", SIMPLE);
    let long = "a".repeat(33);
    for bad in ["Strict", "../x", "-x", "_x", "", long.as_str()] {
        let out = sb.run(&["wrap", "app", &format!("--profile={bad}")]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "profile {bad:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("[a-z0-9][a-z0-9_-]{0,31}"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!sb.user_entry("app.desktop").exists());
    let ok = "a".repeat(32);
    assert_eq!(sb.run(&["wrap", "app", "-p", &ok]).status.code(), Some(0));
    for bad in ["../app", "a/b", ".desktop", ".hidden"] {
        assert_eq!(
            sb.run(&["unwrap", bad]).status.code(),
            Some(2),
            "id {bad:?}"
        );
    }
    assert_eq!(sb.run(&[]).status.code(), Some(2));
    assert_eq!(sb.run(&["frob"]).status.code(), Some(2));
}

#[test]
fn the_mime_index_follows_wrap_and_unwrap() {
    let sb = Sandbox::new();
    sb.put(&format!("sys1/applications/{ID}"), FIXTURE);
    let cache = sb.path("home/.local/share/applications/mimeinfo.cache");
    assert_eq!(sb.run(&["wrap", ID]).status.code(), Some(0));
    assert!(read(&cache).contains(ID));
    assert_eq!(sb.run(&["unwrap", ID]).status.code(), Some(0));
    assert!(!read(&cache).contains(ID), "{}", read(&cache));
}

#[test]
fn an_app_with_mime_types_is_not_wrapped_without_the_indexer() {
    let mut sb = Sandbox::new();
    sb.put(&format!("sys1/applications/{ID}"), FIXTURE);
    sb.put("sys1/applications/app.desktop", SIMPLE);
    fs::create_dir(sb.path("empty")).unwrap();
    sb.env
        .insert("PATH".into(), sb.path("empty").display().to_string());
    assert_error(
        &sb.run(&["wrap", ID]),
        "but update-desktop-database is not on PATH (Debian package desktop-file-utils)",
    );
    assert!(!sb.path("home/.local").exists(), "nothing written");
    assert_eq!(
        sb.run(&["wrap", "app"]).status.code(),
        Some(0),
        "no MimeType: not needed"
    );
}
