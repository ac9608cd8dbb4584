//! The modes that start nothing: --status, --list-profiles and --dry-run, and printing
//! --help and --version. Each runs with root already dropped for good.

use std::io::Write;
use std::time::Instant;

use crate::cli::{Cli, Mode};
use crate::credentials::{self, Caller};
use crate::enforcement::{self, Support};
use crate::error::{Context, Error, Result, EXIT_SSC};
use crate::exec::{self, Command};
use crate::origin::{self, RuntimeEnd};
use crate::profile::{self, Profile};
use crate::sandbox;
use crate::scope::{self, Request};
use crate::seccomp::{self, Filters};

/// Runs a mode that starts nothing.
pub fn run(mode: Mode, cli: &Cli, caller: &Caller, cpus: u64) -> Result<u8> {
    match mode {
        Mode::Status { json } => status(caller, json),
        Mode::ListProfiles => list_profiles(cpus),
        Mode::ListSyscallGroups => output(&seccomp::list_groups()),
        Mode::DryRun => {
            let profile = profile::load(&cli.profile, cpus)?;
            let command = exec::resolve_command(cli.command.clone(), caller)?;
            let runtime_end = origin::check(&profile, cpus)?;
            let filters = seccomp::compile(&profile)?;
            output(&dry_run(
                cli,
                &profile,
                &filters,
                &command,
                caller,
                runtime_end,
            ))
        }
        Mode::Launch { .. } => Err(Error::Usage("a launch is not an informational mode".into())),
    }
}

/// Prints to stdout. A reader that went away (`ssc --list-profiles | head -1`) is not an
/// error, as in ripgrep and sudo-rs.
pub fn output(text: &str) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(e).context("writing to standard output"),
    }
}

/// Runs with root already dropped for good.
pub fn status(caller: &Caller, json: bool) -> Result<u8> {
    let mut conn = crate::status::connect(caller.uid, Instant::now() + scope::DEADLINE)?;
    let scopes = crate::status::query(&mut conn);
    conn.close();
    let scopes = scopes?;
    if json {
        output(&crate::status::json(&scopes))
    } else {
        output(&crate::status::text(&scopes))
    }
}

pub fn list_profiles(cpus: u64) -> Result<u8> {
    use std::fmt::Write as _;
    let mut status = 0;
    let mut text = String::new();
    let profiles = profile::load_all(cpus)?;
    let settings = profiles.iter().flatten().flat_map(|p| &p.settings);
    let support = Support::probe(settings);
    for loaded in profiles {
        match loaded {
            Ok(p) => {
                let _ = writeln!(text, "{} ({})", p.name, p.source);
                for s in &p.settings {
                    match support.unenforceable(s) {
                        None => {
                            let _ = writeln!(text, "    {s}");
                        }
                        Some(why) => {
                            let _ = writeln!(text, "    {s}    [cannot be enforced here: {why}]");
                        }
                    }
                }
                let by = match (
                    p.private_tmp(),
                    p.protects_file_system(),
                    p.protects_kernel(),
                ) {
                    (true, _, _) => "PrivateTmp=yes",
                    (false, true, _) => "the file-system keys",
                    (false, false, true) => "the kernel-surface keys",
                    (false, false, false) => "",
                };
                let explicit = p
                    .settings
                    .contains(&profile::Setting::NoNewPrivileges(true));
                if !by.is_empty() && !explicit {
                    let _ = writeln!(text, "    NoNewPrivileges=yes (implied by {by})");
                }
            }
            Err(e) => {
                crate::error::print(&e);
                status = EXIT_SSC;
            }
        }
    }
    Ok(output(&text)?.max(status))
}

/// What a launch would do, step by step, as each step describes itself.
pub fn dry_run(
    cli: &Cli,
    profile: &Profile,
    filters: &Filters,
    command: &Command,
    caller: &Caller,
    runtime_end: Option<RuntimeEnd>,
) -> String {
    let unit = format!("ssc-{}-<pid>-<random>.scope", profile.name);
    let mut req = Request::new(profile, caller.uid, &command.argv, unit);
    req.runtime_end = runtime_end;
    let mut lines = vec![format!("profile {} ({})", profile.name, profile.source)];
    lines.extend(req.describe());
    let support = Support::probe(&profile.settings);
    lines.extend(enforcement::describe(profile, &support));
    if cli.no_tty {
        lines.push(format!(
            "detached: fork, setsid, stdin /dev/null, stdout and stderr to the journal as '{}'",
            exec::identifier(&command.program)
        ));
    }
    // The launch adds PrivateTmp's bind of $XAUTHORITY when it names a file in /tmp.
    match sandbox::mount_list(profile, caller, None) {
        Ok(list) => lines.extend(sandbox::describe(&list)),
        Err(e) => lines.push(format!("mount namespace: {}", e.one_line())),
    }
    lines.push(credentials::describe_drop(caller));
    if profile.no_new_privileges() {
        lines.push("NoNewPrivileges=yes: prctl(PR_SET_NO_NEW_PRIVS, 1)".into());
    }
    lines.extend(filters.describe());
    lines.push(command.describe());
    lines.iter().map(|l| format!("{l}\n")).collect()
}
