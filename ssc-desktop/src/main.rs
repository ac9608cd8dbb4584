//! ssc-desktop: makes desktop launchers start apps through ssc, as firecfg does
//! for firejail.  An unprivileged helper, never installed setuid: it only
//! writes the user's own `$XDG_DATA_HOME/applications`.
//!
//! Parsing uses the `freedesktop-desktop-entry` crate (pop-os, COSMIC's
//! launcher): it validates the file, decodes the string escapes and splits Exec
//! by the spec's quoting rules, which we need to tell whether a group already
//! starts ssc.  It has no writer and keeps groups and keys in sorted maps, so
//! it cannot reproduce the file; neither can the other candidate,
//! `freedesktop_entry_parser`, which also neither decodes escapes nor splits
//! Exec (and joins lines ending in `\`, which desktop entries do not).  So the
//! override is the original text with only the affected lines edited
//! (`entry.rs`), using the crate's own line classifier for that.

#![forbid(unsafe_code)]

use ssc_desktop::entry;
mod mime;
mod store;
mod xdg;

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ssc-desktop",
    version,
    about = "Make desktop launchers start apps through ssc"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write an override of APP's desktop entry that starts it through ssc.
    ///
    /// The entry is looked up in the applications/ directories of
    /// $XDG_DATA_DIRS (default /usr/local/share:/usr/share), first match wins,
    /// and copied to $XDG_DATA_HOME/applications (default ~/.local/share) with
    /// every Exec of [Desktop Entry] and [Desktop Action *] prefixed with
    /// `ssc --no-tty -p PROFILE --` (`ssc -p PROFILE --` for Terminal=true
    /// apps), DBusActivatable set to false and X-SSC-Wrapped=PROFILE added.
    /// An Exec that already starts ssc is left alone.  Wrapping an app that
    /// is already wrapped writes the override anew from the original, with
    /// the new profile.  An override that ssc-desktop did not write is never
    /// replaced.  For an app with MIME types the directory's MIME index is
    /// rebuilt, so update-desktop-database (desktop-file-utils) must be on PATH.
    Wrap {
        /// desktop file id, e.g. firefox-esr or firefox-esr.desktop
        #[arg(value_parser = app_id)]
        app: String,
        /// ssc isolation profile
        #[arg(short, long, default_value = "strict", value_parser = profile_name)]
        profile: String,
    },
    /// Remove the override that `wrap` wrote (and only such an override).
    Unwrap {
        /// desktop file id, e.g. firefox-esr or firefox-esr.desktop
        #[arg(value_parser = app_id)]
        app: String,
    },
    /// Show the wrapped apps: file id, profile and override path, tab-separated.
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = match cli.command {
        Command::Wrap { app, profile } => wrap(&app, &profile),
        Command::Unwrap { app } => unwrap(&app),
        Command::List => list(),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ssc-desktop: {message}");
            ExitCode::FAILURE
        }
    }
}

fn wrap(id: &str, profile: &str) -> Result<(), String> {
    let home = xdg::data_home()?;
    let dir = home.join("applications");
    let target = dir.join(id);
    if let Some(text) = store::read(&target)? {
        if entry::wrapped_profile(&text, &target).is_none() {
            return Err(not_ours(&target));
        }
    }
    let original = xdg::find_original(id, &home).ok_or_else(|| {
        let dirs: Vec<String> = xdg::data_dirs()
            .iter()
            .map(|d| d.join("applications").display().to_string())
            .collect();
        format!("{id}: not found in {}", dirs.join(", "))
    })?;
    let text = fs::read_to_string(&original).map_err(|e| format!("{}: {e}", original.display()))?;
    let wrapped = entry::wrap(&text, &original, profile)?;
    // Looked up before anything is written, so a missing indexer changes nothing.
    let indexer = if entry::has_mime_types(&wrapped, &target) {
        Some(mime::indexer(id)?)
    } else {
        None
    };
    store::write(&target, &wrapped)?;
    if let Some(tool) = indexer {
        mime::reindex(&tool, &dir)?;
    }
    println!("wrapped {id} with profile {profile}: {}", target.display());
    Ok(())
}

fn unwrap(id: &str) -> Result<(), String> {
    let dir = xdg::data_home()?.join("applications");
    let target = dir.join(id);
    let text = store::read(&target)?
        .ok_or_else(|| format!("{id} is not wrapped: there is no {}", target.display()))?;
    if entry::wrapped_profile(&text, &target).is_none() {
        return Err(not_ours(&target));
    }
    store::remove(&target)?;
    // Without the indexer a stale index is harmless: its ids then resolve to
    // the originals.
    if entry::has_mime_types(&text, &target) {
        if let Ok(tool) = mime::indexer(id) {
            mime::reindex(&tool, &dir)?;
        }
    }
    println!("unwrapped {id}: removed {}", target.display());
    Ok(())
}

fn list() -> Result<(), String> {
    let dir = xdg::data_home()?.join("applications");
    for path in store::entries(&dir)? {
        let Some(text) = store::read(&path)? else {
            continue; // removed meanwhile
        };
        if let Some(profile) = entry::wrapped_profile(&text, &path) {
            let id = path.file_name().unwrap_or_default().to_string_lossy();
            println!("{id}\t{profile}\t{}", path.display());
        }
    }
    Ok(())
}

fn not_ours(path: &Path) -> String {
    format!(
        "{} was not written by ssc-desktop (no {} key); not touching it",
        path.display(),
        entry::MARKER
    )
}

/// A desktop file id, normalized to end in `.desktop`; never a path.
fn app_id(arg: &str) -> Result<String, String> {
    let stem = arg.strip_suffix(".desktop").unwrap_or(arg);
    if stem.is_empty() || stem.starts_with('.') || stem.contains(['/', '\0']) {
        return Err("expected a desktop file id such as firefox-esr, not a path".into());
    }
    Ok(format!("{stem}.desktop"))
}

/// Profile names as ssc accepts them: `[a-z0-9][a-z0-9_-]{0,31}`.
/// ssc's own rule for profile names, so that nothing is wrapped that ssc would refuse.
fn profile_name(arg: &str) -> Result<String, String> {
    if ssc::profile::valid_name(arg) {
        Ok(arg.to_owned())
    } else {
        Err("a profile name matches [a-z0-9][a-z0-9_-]{0,31}".into())
    }
}
