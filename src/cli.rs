//! The command line. This one definition also produces --help (and, through clap, man
//! pages and completions).

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use crate::error::{Error, Result};
use crate::profile::DEFAULT_PROFILE;

#[derive(Debug, Parser, PartialEq, Eq)]
#[command(
    name = "ssc",
    version,
    about = "Run a command in a transient systemd scope chosen by an isolation profile",
    long_about = "Run a command in a transient systemd scope whose limits come from an \
                  isolation profile set by the administrator. With no COMMAND, runs your \
                  login shell.",
    after_help = crate::error::exit_status_help()
)]
pub struct Cli {
    /// Isolation profile: a built-in (strict, relaxed, offline) or /etc/ssc/profiles.d/NAME.conf
    #[arg(short = 'p', long = "profile", visible_alias = "isolation", value_name = "NAME",
          default_value = DEFAULT_PROFILE)]
    pub profile: String,

    /// Detached mode for GUI apps: no terminal, output to the journal, return once started
    #[arg(long = "no-tty")]
    pub no_tty: bool,

    /// Print every profile with its source and settings, then exit
    #[arg(long, conflicts_with_all = ["dry_run", "no_tty", "command"])]
    pub list_profiles: bool,

    /// Print the exact scope request and namespace steps, and start nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Print the system call groups SystemCallFilter= takes (@system-service...), then exit
    #[arg(long, conflicts_with_all = ["list_profiles", "dry_run", "no_tty", "command"])]
    pub list_syscall_groups: bool,

    /// List the running ssc scopes (unit, profile, user, command, memory, CPU, tasks)
    #[arg(long, conflicts_with_all = ["list_profiles", "dry_run", "no_tty", "command"])]
    pub status: bool,

    /// With --status: machine-readable JSON output
    #[arg(long, requires = "status")]
    pub json: bool,

    /// The command and its arguments; everything from the first one on belongs to it
    #[arg(value_name = "COMMAND", trailing_var_arg = true,
          value_parser = clap::value_parser!(OsString))]
    pub command: Vec<OsString>,
}

/// What this invocation does. Only `Launch` needs root again; ssc gives root up for good
/// before anything else in every other mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Launch { detached: bool },
    DryRun,
    ListProfiles,
    ListSyscallGroups,
    Status { json: bool },
}

impl Cli {
    pub fn mode(&self) -> Mode {
        if self.status {
            Mode::Status { json: self.json }
        } else if self.list_profiles {
            Mode::ListProfiles
        } else if self.list_syscall_groups {
            Mode::ListSyscallGroups
        } else if self.dry_run {
            Mode::DryRun
        } else {
            Mode::Launch {
                detached: self.no_tty,
            }
        }
    }
}

pub enum Parsed {
    Run(Cli),
    /// --help or --version text, printed to stdout with exit 0.
    Info(String),
}

pub fn parse(args: Vec<OsString>) -> Result<Parsed> {
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(Parsed::Run(cli)),
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            Ok(Parsed::Info(e.render().to_string()))
        }
        Err(e) => {
            // clap's message is several lines; ssc's errors are one.
            let text = e.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = first.join(" ");
            let first = first.strip_prefix("error: ").unwrap_or(&first);
            Err(Error::Usage(format!("{first} (see ssc --help)")))
        }
    }
}

pub fn command() -> clap::Command {
    Cli::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Cli {
        let args = args.iter().map(OsString::from).collect();
        match parse(args).unwrap() {
            Parsed::Run(c) => c,
            Parsed::Info(_) => panic!("info"),
        }
    }

    #[test]
    fn definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn everything_after_the_command_is_its_own() {
        let c = run(&["ssc", "-p", "relaxed", "bash", "-i", "--no-tty", "-p", "x"]);
        assert_eq!(c.profile, "relaxed");
        assert!(!c.no_tty);
        assert_eq!(c.command, ["bash", "-i", "--no-tty", "-p", "x"]);
        let c = run(&[
            "ssc",
            "--no-tty",
            "--isolation=strict",
            "--",
            "firefox",
            "%u",
        ]);
        assert!(c.no_tty);
        assert_eq!(c.profile, "strict");
        assert_eq!(c.command, ["firefox", "%u"]);
        let c = run(&["ssc", "--", "--help"]);
        assert_eq!(c.command, ["--help"]);
        assert_eq!(run(&["ssc"]).profile, "strict");
        assert!(run(&["ssc"]).command.is_empty());
    }

    #[test]
    fn each_invocation_has_one_mode() {
        let mode = |args: &[&str]| run(args).mode();
        assert_eq!(mode(&["ssc", "true"]), Mode::Launch { detached: false });
        assert_eq!(
            mode(&["ssc", "--no-tty", "x"]),
            Mode::Launch { detached: true }
        );
        assert_eq!(mode(&["ssc", "--dry-run", "--no-tty", "x"]), Mode::DryRun);
        assert_eq!(mode(&["ssc", "--list-profiles"]), Mode::ListProfiles);
        assert_eq!(
            mode(&["ssc", "--status", "--json"]),
            Mode::Status { json: true }
        );
    }

    #[test]
    fn non_utf8_arguments_pass_through() {
        use std::os::unix::ffi::OsStringExt;
        let raw = OsString::from_vec(vec![0xff, b'a', 0xfe]);
        let args = vec![OsString::from("ssc"), OsString::from("echo"), raw.clone()];
        let Parsed::Run(c) = parse(args).unwrap() else {
            panic!()
        };
        assert_eq!(c.command, [OsString::from("echo"), raw]);
    }

    #[test]
    fn usage_errors_are_one_line() {
        let args = ["ssc", "--bogus"].iter().map(OsString::from).collect();
        let Err(e) = parse(args) else { panic!() };
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert!(msg.contains("--bogus"), "{msg}");
        assert_eq!(e.exit_code(), 125);
    }
}
