//! Rewriting one desktop entry into its ssc override.
//!
//! The parsed [`DesktopEntry`] decides *what* to change (is it an application,
//! which groups start a program other than ssc); the text is then copied line
//! by line and only the affected lines are edited, so everything else stays
//! byte for byte.

use std::collections::HashSet;
use std::path::Path;

use freedesktop_desktop_entry::{parse_line, DesktopEntry, Line};

/// Key in `[Desktop Entry]` that marks an override as ours; its value is the profile.
pub const MARKER: &str = "X-SSC-Wrapped";

const MAIN_GROUP: &str = "Desktop Entry";
const ACTION_GROUP: &str = "Desktop Action ";

/// Parses `text` (read from `path`, which gives the crate the file id).
pub fn parse(text: &str, path: &Path) -> Result<DesktopEntry, String> {
    DesktopEntry::from_str(path, text, None::<&[&str]>)
        .map_err(|e| format!("{}: not a valid desktop entry: {e}", path.display()))
}

/// The profile recorded by an override that ssc-desktop wrote, if `text` is one.
pub fn wrapped_profile(text: &str, path: &Path) -> Option<String> {
    let entry = parse(text, path).ok()?;
    entry.desktop_entry(MARKER).map(str::to_owned)
}

/// Whether the entry declares file or link types (a non-empty MimeType).
pub fn has_mime_types(text: &str, path: &Path) -> bool {
    parse(text, path)
        .ok()
        .and_then(|e| {
            e.mime_type()
                .map(|types| types.iter().any(|t| !t.is_empty()))
        })
        .unwrap_or(false)
}

/// Returns the override for the original entry `text`: each `Exec` of the main
/// and action groups prefixed with ssc, D-Bus activation off, the marker added.
pub fn wrap(text: &str, path: &Path, profile: &str) -> Result<String, String> {
    let entry = parse(text, path)?;
    let name = path.display();
    if entry.desktop_entry(MARKER).is_some() {
        return Err(format!("{name} is itself an ssc-desktop override"));
    }
    if entry.type_() != Some("Application") {
        return Err(format!(
            "{name} is not an application (Type is not Application)"
        ));
    }
    let groups = groups_to_wrap(&entry)?;
    if groups.is_empty() {
        return Err(match entry.exec() {
            None => format!("{name} has no Exec: the desktop can only start it through D-Bus"),
            Some(_) => format!("{name} already starts its program through ssc"),
        });
    }
    // A terminal app keeps its terminal: ssc's detached mode would give it /dev/null.
    let prefix = if entry.terminal() {
        format!("ssc -p {profile} -- ")
    } else {
        format!("ssc --no-tty -p {profile} -- ")
    };
    Ok(rewrite(text, &groups, &prefix, profile))
}

/// Names of the groups whose Exec must get the prefix: those that do not
/// already start ssc (never prefix twice).
fn groups_to_wrap(entry: &DesktopEntry) -> Result<HashSet<String>, String> {
    let mut wrap = HashSet::new();
    for (group, keys) in &entry.groups.0 {
        if keys.entry("Exec").is_none() {
            continue;
        }
        let argv = if group == MAIN_GROUP {
            entry.parse_exec()
        } else if let Some(action) = group.strip_prefix(ACTION_GROUP) {
            entry.parse_exec_action(action)
        } else {
            continue;
        }
        .map_err(|e| format!("{}: Exec in [{group}]: {e}", entry.path.display()))?;
        let program = Path::new(&argv[0]).file_name();
        if program.is_none_or(|p| p != "ssc") {
            wrap.insert(group.clone());
        }
    }
    Ok(wrap)
}

/// Copies `text` line by line, editing only Exec lines of `groups`, the
/// DBusActivatable line, and adding the marker after the last key of
/// `[Desktop Entry]`.
fn rewrite(text: &str, groups: &HashSet<String>, prefix: &str, profile: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut group = "";
    let mut marker_after = None;
    for line in text.split_inclusive('\n') {
        let (body, eol) = split_eol(line);
        let mut out = line.to_owned();
        match parse_line(body) {
            Ok(Line::Group(name)) => group = name,
            Ok(Line::Entry(key, value)) => {
                let start = body.len() - value.trim_start_matches([' ', '\t']).len();
                let (head, value) = body.split_at(start);
                match key.trim() {
                    "Exec" if groups.contains(group) => out = format!("{head}{prefix}{value}{eol}"),
                    // Otherwise the desktop activates the app over D-Bus and never runs Exec.
                    "DBusActivatable" if group == MAIN_GROUP && value.trim_end() != "false" => {
                        out = format!("{head}false{eol}");
                    }
                    _ => {}
                }
                if group == MAIN_GROUP {
                    marker_after = Some(lines.len());
                }
            }
            // Comments and blank lines: kept (parse() already refused malformed lines).
            _ => {}
        }
        lines.push(out);
    }
    // The entry parsed as an application, so [Desktop Entry] has keys.
    let at = marker_after.expect("[Desktop Entry] has keys");
    // The marker gets the line end of the line before it. A last line without one (or
    // with a bare "\r", which no parser ends a line at) gets a "\n" first, or the marker
    // would run on from it.
    let eol = match split_eol(&lines[at]).1 {
        eol if eol.ends_with('\n') => eol.to_owned(),
        _ => {
            lines[at].push('\n');
            "\n".to_owned()
        }
    };
    lines.insert(at + 1, format!("{MARKER}={profile}{eol}"));
    lines.concat()
}

/// Splits a line into its content and its terminator ("\n", "\r\n" or "").
fn split_eol(line: &str) -> (&str, &str) {
    let body = line.strip_suffix('\n').unwrap_or(line);
    let body = body.strip_suffix('\r').unwrap_or(body);
    line.split_at(body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap_ok(text: &str) -> String {
        wrap(
            text,
            Path::new("/usr/share/applications/t.desktop"),
            "strict",
        )
        .unwrap()
    }

    fn wrap_err(text: &str) -> String {
        wrap(
            text,
            Path::new("/usr/share/applications/t.desktop"),
            "strict",
        )
        .unwrap_err()
    }

    /// argv of the main Exec with `uris` substituted, as a launcher computes it.
    fn argv(text: &str, uris: &[&str]) -> Vec<String> {
        parse(text, Path::new("/x/applications/t.desktop"))
            .unwrap()
            .parse_exec_with_uris(uris, &[] as &[&str])
            .unwrap()
    }

    #[test]
    fn prefix_keeps_value_escapes_and_field_codes() {
        let text = "[Desktop Entry]\nType=Application\nName=T\nExec=app\\s--x \"a\\\\\\\\b\" %F\n";
        let wrapped = wrap_ok(text);
        assert_eq!(
            wrapped,
            "[Desktop Entry]\nType=Application\nName=T\n\
             Exec=ssc --no-tty -p strict -- app\\s--x \"a\\\\\\\\b\" %F\nX-SSC-Wrapped=strict\n"
        );
        let uris = ["file:///1", "file:///2"];
        let mut expected: Vec<String> = ["ssc", "--no-tty", "-p", "strict", "--"]
            .map(String::from)
            .into();
        expected.extend(argv(text, &uris));
        assert_eq!(argv(&wrapped, &uris), expected);
        assert_eq!(
            expected[5..],
            ["app", "--x", "a\\b", "file:///1", "file:///2"]
        );
    }

    #[test]
    fn crlf_spaces_around_equals_and_no_final_newline() {
        let text = "[Desktop Entry]\r\nType=Application\r\nName=T\r\nExec =  app %u\r\nDBusActivatable = 1";
        assert_eq!(
            wrap_ok(text),
            "[Desktop Entry]\r\nType=Application\r\nName=T\r\nExec =  ssc --no-tty -p strict -- app %u\r\n\
             DBusActivatable = false\nX-SSC-Wrapped=strict\n"
        );
    }

    #[test]
    fn terminal_app_keeps_its_tty() {
        let text = "[Desktop Entry]\nType=Application\nName=T\nTerminal=true\nExec=htop\n";
        assert!(wrap_ok(text).contains("\nExec=ssc -p strict -- htop\n"));
    }

    #[test]
    fn only_entry_and_action_groups_and_plain_exec_keys_change() {
        let text = "[Desktop Entry]\nType=Application\nName=T\nExec=app\nExec[de]=app-de\n\
                    DBusActivatable=false\n\n[X-Other]\nExec=other\nDBusActivatable=true\n\
                    [Desktop Action a]\nName=A\nExec=app --a\n";
        assert_eq!(
            wrap_ok(text),
            "[Desktop Entry]\nType=Application\nName=T\nExec=ssc --no-tty -p strict -- app\n\
             Exec[de]=app-de\nDBusActivatable=false\nX-SSC-Wrapped=strict\n\n[X-Other]\nExec=other\n\
             DBusActivatable=true\n[Desktop Action a]\nName=A\nExec=ssc --no-tty -p strict -- app --a\n"
        );
    }

    #[test]
    fn ssc_is_never_prefixed_twice() {
        let text = "[Desktop Entry]\nType=Application\nName=T\nExec=/usr/local/bin/ssc -p relaxed -- app\n\
                    [Desktop Action a]\nName=A\nExec=app --a\n";
        let wrapped = wrap_ok(text);
        assert!(
            wrapped.contains("\nExec=/usr/local/bin/ssc -p relaxed -- app\n"),
            "{wrapped}"
        );
        assert!(
            wrapped.contains("\nExec=ssc --no-tty -p strict -- app --a\n"),
            "{wrapped}"
        );
        let all_ssc = "[Desktop Entry]\nType=Application\nName=T\nExec=ssc -- app\n";
        assert!(wrap_err(all_ssc).contains("already starts its program through ssc"));
    }

    #[test]
    fn refuses_what_cannot_be_wrapped() {
        let ours = "[Desktop Entry]\nType=Application\nName=T\nExec=app\nX-SSC-Wrapped=strict\n";
        assert!(wrap_err(ours).contains("is itself an ssc-desktop override"));
        let link = "[Desktop Entry]\nType=Link\nName=T\nURL=https://example.org/\n";
        assert!(wrap_err(link).contains("is not an application"));
        let dbus_only = "[Desktop Entry]\nType=Application\nName=T\nDBusActivatable=true\n";
        assert!(wrap_err(dbus_only).contains("has no Exec"));
        let unmatched = "[Desktop Entry]\nType=Application\nName=T\nExec=\"app\n";
        assert!(wrap_err(unmatched).contains("Exec in [Desktop Entry]"));
        assert!(wrap_err("Exec=app\n").contains("not a valid desktop entry"));
    }

    #[test]
    fn marker_is_read_back() {
        let path = Path::new("/h/applications/t.desktop");
        let wrapped = wrap(
            "[Desktop Entry]\nType=Application\nName=T\nExec=app\n",
            path,
            "web_2",
        )
        .unwrap();
        assert_eq!(wrapped_profile(&wrapped, path).as_deref(), Some("web_2"));
        assert_eq!(wrapped_profile("[Desktop Entry]\nName=T\n", path), None);
    }

    #[test]
    fn marker_after_a_last_line_ending_in_a_bare_cr_is_a_line_of_its_own() {
        let text = "[Desktop Entry]\nType=Application\nName=A\nExec=a\r";
        let out = wrap(text, Path::new("a.desktop"), "strict").unwrap();
        assert_eq!(
            out,
            "[Desktop Entry]\nType=Application\nName=A\nExec=ssc --no-tty -p strict -- a\r\n\
             X-SSC-Wrapped=strict\n"
        );
        assert_eq!(
            wrapped_profile(&out, Path::new("a.desktop")).as_deref(),
            Some("strict")
        );
    }
}
