//! What each fuzz target checks, shared by the libFuzzer targets (fuzz/fuzz_targets) and
//! by the corpus replay that `make check` runs on the stable toolchain
//! (tests/fuzz_corpus.rs). Each function panics on a property violation.

#![allow(dead_code)] // each fuzz target uses one of these

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use nix::unistd::Uid;
use ssc::bus::{self, Kind};
use ssc::environment::Environment;
use ssc::profile;
use ssc::scope::Request;
use zvariant::OwnedValue;

/// A profile file: parsed, or refused with file:line; once parsed, translated to
/// StartTransientUnit's arguments, encoded, and decoded back to the same properties.
pub fn profile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/etc/ssc/profiles.d/fuzz.conf");
    let prof = match profile::parse("fuzz", path, text) {
        Ok(p) => p,
        Err(e) => {
            let line = e.to_string();
            assert!(line.starts_with("/etc/ssc/profiles.d/fuzz.conf"), "{line}");
            assert!(!e.one_line().contains('\n'));
            return;
        }
    };
    for s in &prof.settings {
        let shown = s.to_string();
        assert!(shown.starts_with(s.key()), "{shown}");
    }
    let req = Request::new(
        &prof,
        Uid::from_raw(1000),
        &[OsString::from("prog")],
        "ssc-fuzz-1-00000000.scope".into(),
    );
    let body = req.body(nix::unistd::Pid::from_raw(1));
    let bytes = bus::method_call(
        1,
        Some("org.freedesktop.systemd1"),
        "/org/freedesktop/systemd1",
        "org.freedesktop.systemd1.Manager",
        "StartTransientUnit",
        &body,
    )
    .expect("a parsed profile encodes");
    let msg = bus::Message::decode(bytes).expect("what ssc encodes decodes");
    assert_eq!(msg.kind, Kind::MethodCall);
    #[allow(clippy::type_complexity)]
    let (unit, mode, props, aux): (
        String,
        String,
        Vec<(String, OwnedValue)>,
        Vec<(String, Vec<(String, OwnedValue)>)>,
    ) = msg.body().expect("StartTransientUnit's signature");
    assert_eq!(unit, req.unit);
    assert_eq!(mode, "fail");
    assert!(aux.is_empty());
    let names: Vec<&str> = props.iter().map(|(n, _)| n.as_str()).collect();
    let mut want: Vec<&str> = req.properties.iter().map(|(n, _, _)| *n).collect();
    want.push("PIDs");
    assert_eq!(names, want);
    // Every profile is at least as tight as itself.
    // (systemd-oomd's built-in DefaultMemoryPressureLimit, 60%, for an unset one.)
    assert_eq!(prof.loosens(&prof, 8 << 30, 4_194_304, 6_000), None);
    // What --list-profiles shows is systemd syntax that reads back as the same settings.
    let shown: String = prof.settings.iter().map(|s| format!("{s}\n")).collect();
    let again = profile::parse("fuzz", path, &format!("[Profile]\n{shown}"))
        .unwrap_or_else(|e| panic!("{shown:?} does not parse again: {e}"));
    assert_eq!(again.policy(), prof.policy(), "{shown:?}");
    assert_eq!(
        again
            .settings
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        prof.settings
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
}

/// The command line: parsed or refused with one line; the command is the argv's tail.
pub fn cli(data: &[u8]) {
    let mut args: Vec<OsString> = vec![OsString::from("ssc")];
    args.extend(
        data.split(|&b| b == 0)
            .map(|a| OsString::from_vec(a.to_vec())),
    );
    match ssc::cli::parse(args.clone()) {
        Ok(ssc::cli::Parsed::Run(cli)) => {
            assert!(args.ends_with(&cli.command), "{args:?} {cli:?}");
        }
        Ok(ssc::cli::Parsed::Info(text)) => assert!(!text.is_empty()),
        Err(e) => {
            assert!(!e.one_line().contains('\n'));
            assert_eq!(e.exit_code(), 125);
        }
    }
}

/// The environment from /proc/self/environ: every non-empty entry kept byte for byte, and
/// getenv's answer for each key; argv turned into C strings.
pub fn environment(data: &[u8]) {
    let env = Environment::from_bytes(data);
    let kept: Vec<&[u8]> = data.split(|&b| b == 0).filter(|e| !e.is_empty()).collect();
    let got: Vec<&[u8]> = env.entries().iter().map(|e| e.as_bytes()).collect();
    assert_eq!(got, kept);
    for entry in &kept {
        if let Some(eq) = entry.iter().position(|&b| b == b'=') {
            if let Ok(key) = std::str::from_utf8(&entry[..eq]) {
                // getenv returns the first entry with that key.
                let first = kept
                    .iter()
                    .find(|e| e.starts_with(key.as_bytes()) && e.get(eq) == Some(&b'='))
                    .unwrap();
                use std::os::unix::ffi::OsStrExt;
                assert_eq!(env.get(key).map(|v| v.as_bytes()), Some(&first[eq + 1..]));
            }
        }
    }
    let args: Vec<OsString> = kept
        .iter()
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect();
    assert_eq!(ssc::environment::to_cstrings(&args).len(), args.len());
}

/// A desktop entry: wrapped or refused; a wrapped one keeps every untouched byte, changes
/// only Exec and DBusActivatable lines, adds one marker line, and is not wrapped again.
pub fn desktop_entry(data: &[u8]) {
    use ssc_desktop::entry;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/usr/share/applications/org.example.Fuzz.desktop");
    let Ok(out) = entry::wrap(text, path, "strict") else {
        return;
    };
    let marker = format!("{}=strict", entry::MARKER);
    let out_lines: Vec<&str> = out.split_inclusive('\n').collect();
    let original: Vec<&str> = text.split_inclusive('\n').collect();
    // The input may hold marker-like lines of its own (in other groups): one of the
    // marker lines in the output is the inserted one, and with it taken out, every other
    // line is the original's, or its Exec with the prefix, or DBusActivatable turned off.
    let explained = |at: usize| -> Result<(), String> {
        let mut lines = out_lines.clone();
        lines.remove(at);
        if lines.len() != original.len() {
            return Err(format!("{} lines for {}", lines.len(), original.len()));
        }
        for (i, (o, w)) in original.iter().zip(&lines).enumerate() {
            // The line before the marker gets a line end if it had none (the last line).
            let w: &str = match w.strip_suffix('\n') {
                Some(body) if at > 0 && i == at - 1 && !o.ends_with('\n') => body,
                _ => w,
            };
            if *o == w {
                continue;
            }
            // The prefix went in once, in front of the program; taking it out again
            // gives back the original line.
            let exec = ["ssc --no-tty -p strict -- ", "ssc -p strict -- "]
                .iter()
                .any(|prefix| w.contains(prefix) && w.replacen(prefix, "", 1) == *o);
            let dbus = w.contains("DBusActivatable") && w.trim_end().ends_with("false");
            if !(exec || dbus) {
                return Err(format!("line {i} changed: {o:?} -> {w:?}"));
            }
        }
        Ok(())
    };
    let candidates: Vec<usize> = (0..out_lines.len())
        .filter(|&i| out_lines[i].trim_end_matches(['\r', '\n']) == marker)
        .collect();
    let results: Vec<Result<(), String>> = candidates.iter().map(|&at| explained(at)).collect();
    assert!(
        results.iter().any(Result::is_ok),
        "{text:?} -> {out:?}: {results:?}"
    );
    assert!(
        entry::wrap(&out, path, "strict").is_err(),
        "wrapped twice: {out:?}"
    );
}

/// Whatever a peer sends: decoded or refused, never a panic; bodies read as the types ssc
/// asks for are checked against the signature.
pub fn dbus_message(data: &[u8]) {
    let Ok(msg) = bus::Message::decode(data.to_vec()) else {
        return;
    };
    let _ = msg.body::<(zvariant::OwnedObjectPath,)>();
    let _ = msg.body::<(u32, zvariant::OwnedObjectPath, String, String)>();
    let _ = msg.body::<(String,)>();
    let _ = msg.error_text();
}

/// The file-system values, one value after a selector byte: parsed or refused, never a
/// panic; what parses is shown in systemd's syntax that reads back the same, and expands
/// to normalized absolute paths. The selector picks ProtectSystem=, ProtectHome=,
/// PrivateTmp= and which access list the paths join; the plan from them is sorted parents
/// first, holds each path once, nothing beneath an inaccessible path, and no read-only,
/// read-write or implicit entry under a nearest parent of the same kind.
pub fn fs_paths(data: &[u8]) {
    use ssc::sandbox::paths::{self, ProtectHome, ProtectSystem, Specifiers};
    use ssc::sandbox::plan::{self, Access, Bind, Mode, Origin, Settings, Temporary};
    use ssc::sandbox::tmpfs;

    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };
    let origin = |key| Origin {
        key,
        at: "fuzz.conf:1".into(),
    };
    let sp = Specifiers::new("/home/fuzz", "fuzz", 1000).unwrap();
    let normalized = |p: &str| {
        p.starts_with('/') && (p == "/" || p[1..].split('/').all(|c| !matches!(c, "" | "." | "..")))
    };
    let expand = |t: &paths::PathTemplate| {
        let p = t.expand(&sp).ok()?;
        assert!(normalized(&p), "{t} -> {p}");
        Some(p)
    };
    let shown = |items: Vec<String>| items.join(" ");
    if let Ok(v) = ProtectSystem::parse(value) {
        assert_eq!(ProtectSystem::parse(&v.to_string()), Ok(v));
    }
    if let Ok(v) = ProtectHome::parse(value) {
        assert_eq!(ProtectHome::parse(&v.to_string()), Ok(v));
    }
    let mut s = Settings {
        protect_system: Some((
            [
                ProtectSystem::No,
                ProtectSystem::Yes,
                ProtectSystem::Full,
                ProtectSystem::Strict,
            ][usize::from(sel & 3)],
            origin("ProtectSystem"),
        )),
        protect_home: Some((
            [
                ProtectHome::No,
                ProtectHome::Yes,
                ProtectHome::ReadOnly,
                ProtectHome::Tmpfs,
            ][usize::from(sel >> 2 & 3)],
            origin("ProtectHome"),
        )),
        private_tmp: (sel & 16 != 0).then(|| origin("PrivateTmp")),
        ..Settings::default()
    };
    if let Ok(list) = paths::parse_access_paths(value) {
        let again = paths::parse_access_paths(&shown(list.iter().map(|a| a.to_string()).collect()));
        assert_eq!(again.as_ref(), Ok(&list), "{value:?}");
        let access: Vec<Access> = list
            .iter()
            .filter_map(|a| {
                Some(Access {
                    path: expand(&a.path)?,
                    ignore_missing: a.ignore_missing,
                    origin: origin("ReadWritePaths"),
                })
            })
            .collect();
        match sel >> 5 & 3 {
            0 => s.read_write_paths = access,
            1 => s.read_only_paths = access,
            _ => s.inaccessible_paths = access,
        }
    }
    if let Ok(list) = paths::parse_bind_paths(value) {
        let again = paths::parse_bind_paths(&shown(list.iter().map(|b| b.to_string()).collect()));
        assert_eq!(again.as_ref(), Ok(&list), "{value:?}");
        s.bind_paths = list
            .iter()
            .filter_map(|b| {
                Some(Bind {
                    source: expand(&b.source)?,
                    destination: expand(&b.destination)?,
                    read_only: sel & 128 != 0,
                    recursive: b.recursive,
                    ignore_missing: b.ignore_missing,
                    origin: origin("BindPaths"),
                })
            })
            .collect();
    }
    if let Ok(list) = tmpfs::parse_temporary_filesystems(value) {
        let again = tmpfs::parse_temporary_filesystems(&shown(
            list.iter().map(|t| t.to_string()).collect(),
        ));
        assert_eq!(again.as_ref(), Ok(&list), "{value:?}");
        s.temporary_file_systems = list
            .iter()
            .filter_map(|t| {
                let (tmpfs, read_only) = t.options.resolve();
                assert!(tmpfs.data().starts_with("mode="));
                Some(Temporary {
                    path: expand(&t.path)?,
                    tmpfs,
                    read_only,
                    origin: origin("TemporaryFileSystem"),
                })
            })
            .collect();
    }
    let mounts = plan::plan(&s);
    let parts = |p: &str| {
        p.split('/')
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let under = |p: &str, parent: &str| parts(p).starts_with(&parts(parent));
    for (i, m) in mounts.iter().enumerate() {
        let line = m.to_string();
        assert!(line.starts_with(&m.path) && !line.contains('\n'), "{line}");
        let before = &mounts[..i];
        if let Some(prev) = before.last() {
            assert!(
                parts(&prev.path) < parts(&m.path),
                "{} then {}",
                prev.path,
                m.path
            );
        }
        assert!(
            !before
                .iter()
                .any(|p| p.mode == Mode::Inaccessible && under(&m.path, &p.path)),
            "{} beneath an inaccessible path",
            m.path
        );
        if matches!(
            m.mode,
            Mode::ReadOnly | Mode::ReadWrite | Mode::ReadWriteImplicit
        ) {
            let parent = before.iter().rev().find(|p| under(&m.path, &p.path));
            assert!(
                parent.is_none_or(|p| p.mode != m.mode),
                "{} is a nop",
                m.path
            );
        }
    }
}

/// One kernel-surface key (chosen by the first byte) and its value: parsed, or refused;
/// once parsed, shown in systemd's syntax and parsed back to the same value, and the
/// one-line profile holding it compiles to filters (libseccomp must accept every rule
/// the parser lets through), which are never empty when the line asks for anything.
pub fn seccomp(data: &[u8]) {
    use ssc::profile::kernel::Kernel;

    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };
    let value = value.trim();
    if value.contains(['\n', '\r', '#', ';']) {
        return;
    }
    let keys: Vec<&str> = profile::KEYS
        .into_iter()
        .filter(|k| Kernel::parse(k, "").is_some())
        .collect();
    let key = keys[usize::from(sel) % keys.len()];
    let Some(Ok(k)) = Kernel::parse(key, value) else {
        return;
    };
    let shown = k.to_string();
    assert_eq!(
        Kernel::parse(key, &shown).map(|r| r.map(|k| k.to_string())),
        Some(Ok(shown.clone())),
        "{key}={value} shown as {shown}"
    );
    let text = format!("[Profile]\n{key}={value}\n");
    let Ok(prof) = profile::parse("fuzz", Path::new("/etc/ssc/profiles.d/fuzz.conf"), &text) else {
        return;
    };
    let filters = ssc::seccomp::compile(&prof).expect("a profile that parses compiles");
    assert_eq!(filters.is_empty(), !k.protects(), "{key}={value}");
}
