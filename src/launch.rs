//! The whole of what ssc does, top to bottom, in the order it happens.
//!
//! ssc starts as root through its set-user-ID bit. It reads what only root can read of
//! its own process, sets its effective uid to the caller's and stays that way, except
//! for the steps done as root: taking one of the caller's launch slots, connecting to
//! systemd, and building the mount namespace. Then it drops root for good, checks that it
//! did, and execs.
//!
//! Threads: ssc has exactly one, from start to exec. Its D-Bus connection is its own
//! synchronous code (bus.rs), not zbus's threaded one. The fork of detached mode copies
//! only the calling thread, unshare() and prctl() act on the calling thread only, and the
//! close-on-exec sweep would race a thread that can still receive fds, so `single_threaded`
//! checks it before each of these.

use std::convert::Infallible;
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;
use nix::sys::wait::WaitStatus;
use nix::unistd::{geteuid, isatty, sysconf, SysconfVar, Uid, User};

use crate::bus::{self, Connection, Peer};
use crate::cli::{self, Cli, Parsed};
use crate::config;
use crate::credentials::{self, Caller};
use crate::environment::{self, Environment};
use crate::error::{Context, Error, Result, EXIT_SSC};
use crate::exec;
use crate::journal;
use crate::namespace::{self, Plan};
use crate::profile::{self, Profile};
use crate::scope::{self, Request};
use crate::signals;
use crate::slots;

/// The program to exec and its argv.
#[derive(Debug)]
struct Command {
    program: OsString,
    argv: Vec<OsString>,
}

pub fn run() -> Result<u8> {
    // A caller that closed fd 2 must not receive our error messages in some file we open.
    exec::ensure_std_fds()?;
    let setuid_root = geteuid().is_root();
    let inherited_fds = exec::open_fds()?;
    // Only root can read a set-user-ID process's environ. Then the process environment
    // goes: nothing ssc runs (NSS modules included) may act on the caller's variables.
    let env = Environment::from_proc()?;
    environment::clear_process_environment();
    let caller = Caller::from_process()?;
    if setuid_root {
        credentials::become_caller_keeping_root(&caller)?;
    }
    // From here on the effective uid is the caller's.

    let args: Vec<OsString> = std::env::args_os().collect();
    match args.first() {
        None => {
            return Err(Error::Usage(
                "refusing to run with an empty argument list (argc == 0)".into(),
            ))
        }
        Some(a) if a.is_empty() => {
            return Err(Error::Usage("refusing to run with an empty argv[0]".into()))
        }
        Some(_) => {}
    }
    let cli = match cli::parse(args)? {
        Parsed::Run(cli) => cli,
        Parsed::Info(text) => return output(&text),
    };
    // Only a launch needs root again; everything else gives it up for good first.
    if !cli.launches() && setuid_root && !caller.uid.is_root() {
        credentials::drop_for_good(&caller)?;
    }
    if cli.status {
        return status(&caller, cli.json);
    }
    let cpus = online_cpus();
    if cli.list_profiles {
        return list_profiles(cpus);
    }
    let profile = profile::load(&cli.profile, cpus)?;
    let command = resolve_command(cli.command.clone(), &caller)?;
    check_origin(&profile, cpus)?;
    if cli.dry_run {
        return output(&dry_run(&cli, &profile, &command, &caller));
    }
    if caller.uid.is_root() {
        return Err(Error::Privilege(
            "refusing to run a command as root: ssc drops to the caller's uid, and root keeps its capabilities".into(),
        ));
    }
    if !setuid_root {
        return Err(not_installed());
    }
    let max = config::load()?.max_scopes_per_user;
    if config::scopes_of(caller.uid)? >= max {
        return Err(Error::Usage(format!(
            "uid {} already has {max} ssc scopes, the most allowed (MaxScopesPerUser in /etc/ssc/ssc.conf)",
            caller.uid
        )));
    }

    if !cli.no_tty {
        let Err(e) = launch(&caller, &env, &profile, &command, &inherited_fds, false);
        return Err(e);
    }
    match detach(&caller)? {
        Detached::Parent(code) => Ok(code),
        Detached::Child => {
            let Err(e) = launch(&caller, &env, &profile, &command, &inherited_fds, true);
            report_to_parent(e.exit_code(), &e.one_line());
            std::process::exit(i32::from(e.exit_code()));
        }
    }
}

/// Puts this process into a new scope and execs the command there. Returns only on error.
fn launch(
    caller: &Caller,
    env: &Environment,
    profile: &Profile,
    command: &Command,
    inherited_fds: &std::collections::BTreeSet<i32>,
    detached: bool,
) -> Result<Infallible> {
    if detached {
        nix::unistd::setsid().context("setsid")?;
        let null = open(
            "/dev/null",
            OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .context("/dev/null")?;
        nix::unistd::dup2_stdin(&null).context("dup2 stdin")?;
    }

    let mut request = Request::new(profile, caller.uid, &command.argv, &scope::unique_suffix()?);
    // The window in which ssc holds a root connection. It cannot be stopped (signals.rs),
    // never waits past one deadline, and holds one of the caller's slots (slots.rs).
    let deadline = Instant::now() + scope::DEADLINE;
    let window = signals::Window::enter()?;
    // Privileged step 1: a slot, in root's /run/ssc.
    let slot = credentials::as_root(caller, || slots::acquire(caller.uid, deadline))?;
    // Privileged step 2: connect() as root to systemd's own socket, or to the system bus if
    // that is missing or refuses us, so that systemd sees uid 0. The paths are fixed and
    // nothing of the caller's is read; the conversation runs with the caller's euid.
    let created = scope::create(
        &scope::SOCKETS,
        |path, deadline| credentials::as_root(caller, || Ok(bus::connect(path, deadline))),
        Uid::from_raw(0),
        &mut request,
        deadline,
    );
    drop(slot);
    window.leave()?;
    created?;
    let unit = scope::current_unit()?;
    if unit != request.unit {
        return Err(Error::Bus(format!(
            "systemd reported {} started, but this process is in {unit}",
            request.unit
        )));
    }

    if detached {
        journal::redirect_output(&identifier(&command.program))?;
    }

    if profile.private_tmp() {
        // Privileged step 3: the mount namespace, around one unprivileged step that opens
        // the paths the caller names with the caller's credentials.
        single_threaded("unshare")?;
        credentials::as_root(caller, namespace::unshare_mounts)?;
        let plan = Plan::prepare(env.get("XAUTHORITY"))?;
        credentials::as_root(caller, || plan.build(caller))?;
        namespace::reenter_cwd()?;
    }

    single_threaded("closing ssc's fds")?;
    exec::close_on_exec_all_but(inherited_fds)?;
    credentials::drop_for_good(caller)?;
    if profile.no_new_privileges() {
        nix::sys::prctl::set_no_new_privs().context("prctl(PR_SET_NO_NEW_PRIVS)")?;
        if !nix::sys::prctl::get_no_new_privs().context("prctl(PR_GET_NO_NEW_PRIVS)")? {
            return Err(Error::Privilege(
                "privilege check failed: no_new_privs is not set".into(),
            ));
        }
    }
    signals::restore_sigpipe()?;
    let argv = environment::to_cstrings(&command.argv);
    if detached {
        report_about_to_exec()?;
    }
    Err(exec::execvp(&command.program, &argv, env))
}

/// Fails closed unless this process has exactly one thread (see the header).
fn single_threaded(step: &str) -> Result<()> {
    let threads = std::fs::read_dir("/proc/self/task")
        .context("/proc/self/task")?
        .count();
    if threads != 1 {
        return Err(Error::Privilege(format!(
            "{step}: ssc has {threads} threads where it must have one"
        )));
    }
    Ok(())
}

enum Detached {
    Parent(u8),
    Child,
}

/// The detached child's end of the report pipe; also used by the panic hook.
static REPORT: OnceLock<File> = OnceLock::new();
/// Written just before exec. Without it, end of file means the child died on the way.
const ABOUT_TO_EXEC: u8 = 0;

/// Forks for --no-tty. The parent drops root for good and waits on a close-on-exec pipe:
/// the "about to exec" mark followed by end of file means the exec succeeded; otherwise
/// the child sends its exit status and error line, or dies, and the parent says how.
fn detach(caller: &Caller) -> Result<Detached> {
    let (read_end, write_end) = nix::unistd::pipe2(OFlag::O_CLOEXEC).context("pipe")?;
    single_threaded("fork")?;
    // SAFETY: checked just above: this is the only thread, so the child is a whole copy
    // of it, with no lock held by a thread that would not exist there.
    match unsafe { nix::unistd::fork() }.context("fork")? {
        nix::unistd::ForkResult::Child => {
            drop(read_end);
            let _ = REPORT.set(File::from(write_end));
            Ok(Detached::Child)
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(write_end);
            // The parent only waits and reports: it needs nothing of root's.
            if let Err(e) = credentials::drop_for_good(caller) {
                let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                return Err(e);
            }
            let mut report = Vec::new();
            File::from(read_end)
                .read_to_end(&mut report)
                .context("reading the detached child's status")?;
            let (marked, rest) = match report.split_first() {
                Some((&ABOUT_TO_EXEC, rest)) => (true, rest),
                _ => (false, &report[..]),
            };
            if let Some((&code, message)) = rest.split_first() {
                let _ = nix::sys::wait::waitpid(child, None);
                return Err(Error::Detached(
                    code,
                    String::from_utf8_lossy(message).into_owned(),
                ));
            }
            if marked {
                return Ok(Detached::Parent(0));
            }
            let how = match nix::sys::wait::waitpid(child, None) {
                Ok(WaitStatus::Exited(_, n)) => format!("exited with status {n}"),
                Ok(WaitStatus::Signaled(_, sig, _)) => format!("was killed by {sig}"),
                Ok(other) => format!("ended: {other:?}"),
                Err(e) => format!("could not be waited for: {e}"),
            };
            Err(Error::Detached(
                EXIT_SSC,
                format!("the detached launch {how} before it could start the command"),
            ))
        }
    }
}

fn report_about_to_exec() -> Result<()> {
    let report = REPORT
        .get()
        .ok_or_else(|| Error::Privilege("no report pipe".into()))?;
    (&*report)
        .write_all(&[ABOUT_TO_EXEC])
        .context("reporting to the detached parent")
}

/// Sends the exit status and error line to a waiting detached parent, if there is one.
pub(crate) fn report_to_parent(code: u8, line: &str) {
    if let Some(report) = REPORT.get() {
        let mut msg = vec![code];
        msg.extend_from_slice(line.as_bytes());
        let _ = (&*report).write_all(&msg);
    }
}

/// Prints to stdout. A reader that went away (`ssc --list-profiles | head -1`) is not an
/// error, as in ripgrep and sudo-rs.
fn output(text: &str) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(e).context("writing to standard output"),
    }
}

/// A launch from inside an ssc scope may not loosen any limit of that scope: otherwise a
/// command under a tight profile could start itself again under a looser one.
fn check_origin(profile: &Profile, cpus: u64) -> Result<()> {
    let Some(origin) = scope::origin_profile()? else {
        return Ok(());
    };
    let origin = profile::load(&origin, cpus).map_err(|e| {
        Error::Profile(format!(
            "this runs in a scope of profile '{origin}', which cannot be checked: {}",
            e.one_line()
        ))
    })?;
    match profile.loosens(&origin, physical_memory()?, system_tasks()?) {
        None => Ok(()),
        Some(why) => Err(Error::Profile(format!(
            "refusing profile '{}' inside a scope of profile '{}': {why}",
            profile.name, origin.name
        ))),
    }
}

/// MemTotal, the base of systemd's memory percentages.
fn physical_memory() -> Result<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").context("/proc/meminfo")?;
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| Error::Usage("/proc/meminfo: no MemTotal".into()))
}

/// The base of systemd's TasksMax percentages: the smaller of pid_max and threads-max.
fn system_tasks() -> Result<u64> {
    let read = |path: &str| -> Result<u64> {
        std::fs::read_to_string(path)
            .context(path)?
            .trim()
            .parse()
            .map_err(|_| Error::Usage(format!("{path}: not a number")))
    };
    Ok(read("/proc/sys/kernel/pid_max")?.min(read("/proc/sys/kernel/threads-max")?))
}

/// The caller's login shell from the password database, not $SHELL, which the caller
/// controls; a login shell when stdin is a terminal.
fn resolve_command(command: Vec<OsString>, caller: &Caller) -> Result<Command> {
    if let Some(program) = command.first() {
        return Ok(Command {
            program: program.clone(),
            argv: command,
        });
    }
    let user = User::from_uid(caller.uid)
        .context("password database")?
        .ok_or_else(|| {
            Error::Usage(format!("uid {} has no password database entry", caller.uid))
        })?;
    let shell = if user.shell.as_os_str().is_empty() {
        Path::new("/bin/sh").to_path_buf()
    } else {
        user.shell
    };
    let mut argv0 = OsString::new();
    if isatty(std::io::stdin()).unwrap_or(false) {
        argv0.push("-");
    }
    argv0.push(shell.file_name().unwrap_or(shell.as_os_str()));
    Ok(Command {
        program: shell.into_os_string(),
        argv: vec![argv0],
    })
}

/// How the command is named in the journal: its basename, as systemd-cat -t would be.
fn identifier(program: &std::ffi::OsStr) -> String {
    let bytes = program.as_bytes();
    let base = bytes.rsplit(|&b| b == b'/').next().unwrap_or(bytes);
    String::from_utf8_lossy(base).into_owned()
}

fn online_cpus() -> u64 {
    sysconf(SysconfVar::_NPROCESSORS_ONLN)
        .ok()
        .flatten()
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(1)
}

fn not_installed() -> Error {
    let exe = std::fs::read_link("/proc/self/exe")
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "ssc".into());
    Error::Privilege(format!(
        "{exe} is not installed setuid root; install it with: sudo chown root:root {exe} && sudo chmod 4755 {exe}"
    ))
}

/// Runs with root already dropped for good.
fn status(caller: &Caller, json: bool) -> Result<u8> {
    let deadline = Instant::now() + scope::DEADLINE;
    let socket = bus::connect(bus::SYSTEM_BUS, deadline).context(format!(
        "cannot connect to the system bus at {}",
        bus::SYSTEM_BUS
    ))?;
    let mut conn =
        Connection::open(socket, Peer::Bus, caller.uid, deadline).map_err(|e| match e {
            bus::OpenError::Refused(why) => Error::Bus(format!("system bus: {why}")),
            bus::OpenError::Failed(e) => e,
        })?;
    let scopes = crate::status::query(&mut conn);
    conn.close();
    let scopes = scopes?;
    if json {
        output(&crate::status::json(&scopes))
    } else {
        output(&crate::status::text(&scopes))
    }
}

fn list_profiles(cpus: u64) -> Result<u8> {
    use std::fmt::Write as _;
    let mut status = 0;
    let mut text = String::new();
    for loaded in profile::load_all(cpus)? {
        match loaded {
            Ok(p) => {
                let _ = writeln!(text, "{} ({})", p.name, p.source);
                for s in &p.settings {
                    let _ = writeln!(text, "    {s}");
                }
                if p.private_tmp()
                    && !p
                        .settings
                        .contains(&profile::Setting::NoNewPrivileges(true))
                {
                    let _ = writeln!(text, "    NoNewPrivileges=yes (implied by PrivateTmp=yes)");
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

fn dry_run(cli: &Cli, profile: &Profile, command: &Command, caller: &Caller) -> String {
    use std::fmt::Write as _;
    let req = Request::new(profile, caller.uid, &command.argv, "<pid>-<random>");
    let mut out = String::new();
    let _ = writeln!(out, "profile {} ({})", profile.name, profile.source);
    let _ = writeln!(
        out,
        "StartTransientUnit(\"{}\", \"fail\", properties):",
        req.unit
    );
    for (name, value, syntax) in &req.properties {
        let _ = writeln!(out, "    {syntax:<40} {name} = {value}");
    }
    let _ = writeln!(
        out,
        "    {:<40} PIDs = au [pid of ssc]",
        "(ssc's own process)"
    );
    let _ = writeln!(
        out,
        "on {} (or, if it is missing or refuses, {}); wait for JobRemoved of that job; any result but \"done\" fails",
        bus::SYSTEMD_PRIVATE,
        bus::SYSTEM_BUS
    );
    if cli.no_tty {
        let _ = writeln!(
            out,
            "detached: fork, setsid, stdin /dev/null, stdout and stderr to the journal as '{}'",
            identifier(&command.program)
        );
    }
    if profile.private_tmp() {
        let _ = writeln!(
            out,
            "PrivateTmp=yes: unshare(CLONE_NEWNS); mount --make-rslave /"
        );
        for dir in namespace::PRIVATE_DIRS {
            let _ = writeln!(
                out,
                "    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs {dir}"
            );
        }
        let _ = writeln!(
            out,
            "    bind {} read-only, if it exists",
            namespace::X11_DIR
        );
        let _ = writeln!(
            out,
            "    bind $XAUTHORITY read-only, if it is a file under /tmp or /var/tmp"
        );
    }
    let groups: Vec<String> = caller.groups.iter().map(|g| g.to_string()).collect();
    let _ = writeln!(
        out,
        "drop privileges: setgroups [{}], setresgid {g} {g} {g}, setresuid {u} {u} {u}, no capabilities",
        groups.join(","),
        g = caller.gid,
        u = caller.uid
    );
    if profile.no_new_privileges() {
        let _ = writeln!(out, "NoNewPrivileges=yes: prctl(PR_SET_NO_NEW_PRIVS, 1)");
    }
    let argv: Vec<String> = command.argv.iter().map(|a| format!("{a:?}")).collect();
    let _ = writeln!(
        out,
        "exec {:?} argv [{}] with the caller's environment and PATH",
        command.program,
        argv.join(", ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_is_the_basename() {
        assert_eq!(
            identifier(std::ffi::OsStr::new("/usr/bin/firefox")),
            "firefox"
        );
        assert_eq!(identifier(std::ffi::OsStr::new("chromium")), "chromium");
    }

    #[test]
    fn explicit_command_is_taken_as_is() {
        let caller = Caller::from_process().unwrap();
        let c = resolve_command(vec!["bash".into(), "-i".into()], &caller).unwrap();
        assert_eq!(c.program, "bash");
        assert_eq!(c.argv, ["bash", "-i"]);
    }
}
