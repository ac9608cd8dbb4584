//! Generates ssc(1) and the bash, zsh and fish completions from ssc's own clap
//! definition, `ssc::cli::command()`, so that the options and their help never drift
//! from the binary. `ssc.profile(5)` is written by hand in `man/ssc.profile.5`.
//!
//! The completions for `-p`/`--profile`/`--isolation` ask the installed `ssc` for its
//! profile names at completion time (`ssc --list-profiles` prints one unindented
//! `NAME (SOURCE)` line per profile). clap_complete only knows static value lists, so the
//! generator gives the profile argument a single sentinel value, lets clap_complete write
//! the script, and replaces the sentinel with a call to a small shell function. If
//! clap_complete ever changes its output so that the sentinel is not found exactly where
//! expected, generation fails instead of shipping a script without profile names.

#![forbid(unsafe_code)]

use std::io;

use clap::builder::{PossibleValuesParser, ValueHint};
use clap_complete::Shell;
use roff::{bold, italic, roman, Roff};

/// The shell pipeline that prints the installed profile names, one per line.
pub const PROFILE_NAMES_PIPELINE: &str = "ssc --list-profiles 2>/dev/null | awk '!/^ / {print $1}'";

/// What clap_complete is given as the profile argument's only value.
const SENTINEL: &str = "SSC_GEN_PROFILE_NAMES_SENTINEL";

/// The shells ssc ships completions for, with the file name each one is installed as.
pub const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "ssc.bash"),
    (Shell::Zsh, "_ssc"),
    (Shell::Fish, "ssc.fish"),
];

/// Every file `ssc-gen OUTDIR` writes: (file name, contents).
pub fn generate_all() -> io::Result<Vec<(String, String)>> {
    let mut files = vec![("ssc.1".to_string(), man_page()?)];
    for (shell, file) in SHELLS {
        files.push((file.to_string(), completion(shell)?));
    }
    Ok(files)
}

/// ssc(1): clap_mangen's sections for the definition, then EXIT STATUS, ENVIRONMENT,
/// FILES and SEE ALSO, which clap has no place for.
pub fn man_page() -> io::Result<String> {
    let cmd = with_alias_notes(ssc::cli::command());
    let version = cmd.get_version().unwrap_or_default().to_string();
    let man = clap_mangen::Man::new(cmd)
        .title("SSC")
        .section("1")
        .source(format!("ssc {version}"))
        .manual("User Commands");

    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut part = |f: &dyn Fn(&mut Vec<u8>) -> io::Result<()>| -> io::Result<()> {
        let mut buf = Vec::new();
        f(&mut buf)?;
        parts.push(buf);
        Ok(())
    };
    part(&|w| man.render_title(w))?;
    part(&|w| man.render_name_section(w))?;
    part(&|w| man.render_synopsis_section(w))?;
    part(&|w| man.render_description_section(w))?;
    part(&|w| man.render_options_section(w))?;

    let mut out = String::new();
    for (i, p) in parts.into_iter().enumerate() {
        let text = String::from_utf8(p).map_err(io::Error::other)?;
        // Every clap_mangen render_* call writes roff's two-line apostrophe preamble;
        // keep the first one only.
        out.push_str(if i == 0 { &text } else { strip_preamble(&text) });
    }
    out.push_str(&extra_sections().to_roff());
    Ok(out)
}

/// clap_mangen does not show visible aliases; name them in the option's help, from the
/// definition, so that `--isolation` is documented wherever the definition has it.
fn with_alias_notes(mut cmd: clap::Command) -> clap::Command {
    let notes: Vec<(clap::Id, String)> = cmd
        .get_arguments()
        .filter_map(|a| {
            let mut names: Vec<String> = Vec::new();
            names.extend(
                a.get_visible_short_aliases()
                    .unwrap_or_default()
                    .iter()
                    .map(|c| format!("-{c}")),
            );
            names.extend(
                a.get_visible_aliases()
                    .unwrap_or_default()
                    .iter()
                    .map(|l| format!("--{l}")),
            );
            if names.is_empty() {
                return None;
            }
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            let word = if names.len() == 1 { "alias" } else { "aliases" };
            Some((
                a.get_id().clone(),
                format!("{help} ({word}: {})", names.join(", ")),
            ))
        })
        .collect();
    for (id, help) in notes {
        cmd = cmd.mut_arg(id, |a| a.help(help));
    }
    cmd
}

fn strip_preamble(text: &str) -> &str {
    let mut rest = text;
    for line in [".ie \\n(.g .ds Aq \\(aq\n", ".el .ds Aq '\n"] {
        rest = rest.strip_prefix(line).unwrap_or(rest);
    }
    rest
}

fn extra_sections() -> Roff {
    let mut r = Roff::new();
    let para = |r: &mut Roff| {
        r.control("PP", []);
    };
    let tagged = |r: &mut Roff, tag: Vec<roff::Inline>, text: &str| {
        r.control("TP", []);
        r.text(tag);
        r.text([roman(text)]);
    };

    r.control("SH", ["WHAT SSC CONTAINS"]);
    r.text([roman(
        "ssc's limits contain a cooperative process tree: a browser, a build or a terminal \
         tab that runs away cannot take the machine with it, and nothing that ssc or its \
         package installs lets that tree loosen its limits. A launch from inside an ssc \
         scope may not loosen any setting of the scope it starts from. ssc is not a \
         sandbox: a program that wants out can ask the user's own systemd manager to start \
         it elsewhere, and the command runs with the caller's uid and files. For a hard \
         ceiling on everything a user runs, set limits on user-UID.slice in a systemd \
         drop-in. See SECURITY.md.",
    )]);
    para(&mut r);
    r.text([roman(
        "Network, device, I/O and CPU settings (the built-in offline profile, \
         IPAddressDeny=, DevicePolicy= and others) are enforced by systemd or refused: \
         after the scope starts and before the command runs, ssc checks that systemd's \
         filters are attached to the scope's cgroup and its cgroup files hold the limits, \
         and exits 125 naming any setting that is not in force. They do not cover AF_UNIX \
         sockets, file descriptors opened before the launch or passed in, or access \
         brokered by daemons. See ssc.profile(5).",
    )]);

    r.control("SH", ["EXIT STATUS"]);
    r.text([
        roman(
            "In attached mode (the default) ssc becomes the command, so the exit status \
             is the command's own. In detached mode (",
        ),
        bold("--no-tty"),
        roman(") it is 0 once the command was started."),
    ]);
    para(&mut r);
    r.text([
        roman("The informational options exit 0 on success and 125 on error; "),
        bold("--list-profiles"),
        roman(" still lists the good profiles when a file is refused, and exits 125."),
    ]);
    for (code, meaning) in ssc::error::EXIT_STATUSES {
        tagged(&mut r, vec![bold(code.to_string())], &format!("{meaning}."));
    }
    para(&mut r);
    r.text([
        roman("Every error of ssc's own is a single line on standard error that starts with "),
        bold("ssc:"),
        roman("."),
    ]);

    r.control("SH", ["ENVIRONMENT"]);
    r.text([
        roman(
            "The command gets the caller's environment byte for byte, including the variables \
         the C library removes from a set-user-ID process (for example ",
        ),
        bold("LD_LIBRARY_PATH"),
        roman(", "),
        bold("LD_PRELOAD"),
        roman(", "),
        bold("TMPDIR"),
        roman("), and the caller's "),
        bold("PATH"),
        roman(" is used to find it. ssc itself trusts none of it: it connects only to "),
        italic("/run/systemd/private"),
        roman(" or "),
        italic("/run/dbus/system_bus_socket"),
        roman(" and ignores "),
        bold("DBUS_SYSTEM_BUS_ADDRESS"),
        roman("."),
    ]);
    tagged(
        &mut r,
        vec![bold("XAUTHORITY")],
        "With a private /tmp, an X authority file under /tmp or /var/tmp is bound back \
         read-only into the new /tmp, like the X11 sockets in /tmp/.X11-unix.",
    );

    r.control("SH", ["FILES"]);
    tagged(
        &mut r,
        vec![
            italic("/etc/ssc/profiles.d/"),
            italic("NAME"),
            italic(".conf"),
        ],
        "Isolation profiles set by the administrator; a file named like a built-in \
         profile replaces it. See ssc.profile(5).",
    );
    tagged(
        &mut r,
        vec![italic("/etc/ssc/ssc.conf")],
        "Administrator settings: [Launch] MaxScopesPerUser=N, the most ssc scopes one user \
         may have at once (default 256).",
    );
    tagged(
        &mut r,
        vec![italic("/run/systemd/private")],
        "The system manager's own socket, through which ssc asks for the scope.",
    );
    tagged(
        &mut r,
        vec![italic("/run/dbus/system_bus_socket")],
        "The system bus, used instead if the manager's socket is missing or refuses, and \
         always for a caller who may write ssc's cgroup or one above it (and could freeze \
         ssc there).",
    );
    tagged(
        &mut r,
        vec![italic("/run/ssc/")],
        "Root's launch slots: at most 16 launches of one user talk to the manager at once.",
    );

    r.control("SH", ["SEE ALSO"]);
    r.text([
        bold("ssc.profile"),
        roman("(5), "),
        bold("systemd.resource-control"),
        roman("(5), "),
        bold("systemd.scope"),
        roman("(5), "),
        bold("systemd-run"),
        roman("(1), "),
        bold("systemd-cgls"),
        roman("(1), "),
        bold("journalctl"),
        roman("(1)"),
    ]);
    r
}

/// The completion script for one shell, with the profile names looked up at completion
/// time.
pub fn completion(shell: Shell) -> io::Result<String> {
    let mut cmd = ssc::cli::command()
        .mut_arg("profile", |a| {
            // The default is not among the sentinel "values"; completions never show it.
            a.value_parser(PossibleValuesParser::new([SENTINEL]))
                .default_value(None::<&str>)
        })
        .mut_arg("command", |a| a.value_hint(ValueHint::CommandWithArguments));
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "ssc", &mut buf);
    let script = String::from_utf8(buf).map_err(io::Error::other)?;
    let (from, to, prelude) = match shell {
        // `compgen -W "SENTINEL" -- "${cur}"` in the case for -p and --profile.
        Shell::Bash => (
            format!("\"{SENTINEL}\""),
            "\"$(_ssc_profile_names)\"".to_string(),
            format!(
                "# Profile names come from the installed ssc at completion time.\n\
                 _ssc_profile_names() {{\n    {PROFILE_NAMES_PIPELINE}\n}}\n\n"
            ),
        ),
        // The `_arguments` action `:NAME:(SENTINEL)` for -p, --profile and --isolation.
        Shell::Zsh => (
            format!(":({SENTINEL})"),
            ":_ssc_profile_names".to_string(),
            format!(
                "# Profile names come from the installed ssc at completion time.\n\
                 (( $+functions[_ssc_profile_names] )) ||\n\
                 _ssc_profile_names() {{\n    \
                 local -a names\n    \
                 names=(${{(f)\"$({PROFILE_NAMES_PIPELINE})\"}})\n    \
                 _describe -t profiles 'ssc profile' names\n}}\n\n"
            ),
        ),
        // `-a "SENTINEL\t''"` (value and empty help) on the line for -p/--profile.
        Shell::Fish => (
            format!("-a \"{SENTINEL}\\t''\""),
            "-a \"(__ssc_profile_names)\"".to_string(),
            format!(
                "# Profile names come from the installed ssc at completion time.\n\
                 function __ssc_profile_names\n    {PROFILE_NAMES_PIPELINE}\nend\n\n"
            ),
        ),
        other => {
            return Err(io::Error::other(format!(
                "no profile-name completion for {other}"
            )))
        }
    };
    let found = script.matches(&from).count();
    if found == 0 || script.matches(SENTINEL).count() != found {
        return Err(io::Error::other(format!(
            "{shell}: clap_complete's output changed: expected the profile sentinel as \
             {from:?}, found {found} such and {} in all",
            script.matches(SENTINEL).count()
        )));
    }
    let body = script.replace(&from, &to);
    // After a zsh script's `#compdef` line; at the top of the others.
    Ok(match body.split_once('\n') {
        Some((first, rest)) if first.starts_with("#compdef") => {
            format!("{first}\n\n{prelude}{rest}")
        }
        _ => format!("{prelude}{body}"),
    })
}
