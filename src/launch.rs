//! The whole of what ssc does as a launcher, top to bottom, in the order it happens.
//!
//! ssc starts as root through its set-user-ID bit. It reads what only root can read of
//! its own process, sets its effective uid to the caller's and stays that way, except
//! for the steps done as root: opening the caller's launch-slot files, connecting to
//! systemd, asking the kernel which BPF programs the scope has, and building the mount
//! namespace. Then it drops root for good, checks that it did, and execs. Every mode that
//! starts nothing (info.rs) drops root for good first.
//!
//! Threads: ssc has exactly one, from start to exec. Its D-Bus connection is its own
//! synchronous code (bus/), not zbus's threaded one. The fork of detached mode copies
//! only the calling thread, unshare() and prctl() act on the calling thread only, and the
//! close-on-exec sweep would race a thread that can still receive fds, so `single_threaded`
//! checks it before each of these.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::ffi::OsString;
use std::os::fd::RawFd;
use std::path::Path;
use std::time::Instant;

use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::{geteuid, sysconf, SysconfVar, Uid};

use crate::cli::{self, Parsed};
use crate::config;
use crate::credentials::{self, Caller};
use crate::detach::{self, Detached};
use crate::enforcement::{Attached, Expected};
use crate::environment::{self, Environment};
use crate::error::{Context, Error, Result};
use crate::exec::{self, Command};
use crate::info;
use crate::journal;
use crate::origin::{self, RuntimeEnd};
use crate::privileged;
use crate::profile::{self, Profile};
use crate::sandbox;
use crate::scope::{self, Request};
use crate::seccomp::{self, Filters};
use crate::signals;
use crate::slots;
use crate::threads::single_threaded;
use crate::unit_name::UnitName;

/// Everything a launch needs, gathered before the first privileged step.
struct Launch<'a> {
    caller: &'a Caller,
    env: &'a Environment,
    profile: &'a Profile,
    /// The profile's seccomp filters, installed last (seccomp/).
    filters: &'a Filters,
    command: &'a Command,
    /// The fds open at startup: the caller's, which the command inherits.
    inherited_fds: &'a BTreeSet<RawFd>,
    /// The signal mask the caller started ssc with, which the command inherits.
    caller_mask: &'a signals::CallerMask,
    detached: bool,
    /// MaxScopesPerUser.
    max_scopes: u32,
    /// When the scope this launch comes from ends, if it has a RuntimeMaxSec.
    runtime_end: Option<RuntimeEnd>,
}

pub fn run() -> Result<u8> {
    // A caller that closed fd 2 must not receive our error messages in some file we open.
    exec::ensure_std_fds()?;
    // Before anything waits: a wait that ends on a signal must not find it blocked.
    let caller_mask = signals::CallerMask::take()?;
    let setuid_root = geteuid().is_root();
    let inherited_fds = exec::open_fds()?;
    // Only root can read a set-user-ID process's environ. Then the process environment
    // goes: nothing ssc runs (NSS modules included) may act on the caller's variables.
    let env = Environment::from_proc()?;
    single_threaded("clearing the environment")?;
    // SAFETY: one thread, checked just now, and nothing in ssc holds a pointer into environ.
    unsafe { environment::clear_process_environment() }?;
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
    // Only a launch needs root again; everything else, --help and --version included,
    // gives it up for good before it does anything.
    let give_up_root = || match setuid_root && !caller.uid.is_root() {
        true => privileged::drop_for_good(&caller),
        false => Ok(()),
    };
    let cli = match cli::parse(args)? {
        Parsed::Run(cli) => cli,
        Parsed::Info(text) => {
            give_up_root()?;
            return info::output(&text);
        }
    };
    let cli::Mode::Launch { detached } = cli.mode() else {
        give_up_root()?;
        return info::run(cli.mode(), &cli, &caller, online_cpus());
    };

    let cpus = online_cpus();
    let profile = profile::load(&cli.profile, cpus)?;
    let command = exec::resolve_command(cli.command.clone(), &caller)?;
    let runtime_end = origin::check(&profile, cpus)?;
    // Compiled now, as the caller and before anything privileged: a name libseccomp does
    // not know, or a filter it cannot build, fails the launch here.
    let filters = seccomp::compile(&profile)?;
    if caller.uid.is_root() {
        return Err(Error::Privilege(
            "refusing to run a command as root: ssc drops to the caller's uid, and root keeps its capabilities".into(),
        ));
    }
    if !setuid_root {
        return Err(not_installed());
    }
    let max_scopes = config::load()?.max_scopes_per_user;

    let this = Launch {
        caller: &caller,
        env: &env,
        profile: &profile,
        filters: &filters,
        command: &command,
        inherited_fds: &inherited_fds,
        caller_mask: &caller_mask,
        detached,
        max_scopes,
        runtime_end,
    };
    if !detached {
        let Err(e) = launch(&this);
        return Err(e);
    }
    match detach::detach(&caller)? {
        Detached::Parent(code) => Ok(code),
        Detached::Child => {
            let Err(e) = launch(&this);
            detach::report_to_parent(e.exit_code(), &e.one_line());
            std::process::exit(i32::from(e.exit_code()));
        }
    }
}

/// Puts this process into a new scope and execs the command there. Returns only on error.
fn launch(l: &Launch) -> Result<Infallible> {
    let caller = l.caller;
    if l.detached {
        nix::unistd::setsid().context("setsid")?;
        let null = open(
            "/dev/null",
            OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .context("/dev/null")?;
        nix::unistd::dup2_stdin(&null).context("dup2 stdin")?;
    }

    let unit = UnitName::new(&l.profile.name)?.to_string();
    let mut request = Request::new(l.profile, caller.uid, &l.command.argv, unit);
    request.runtime_end = l.runtime_end.clone();
    // A caller who may freeze ssc gets the bus, never systemd's private socket, where PID 1
    // would keep every signal for a frozen connection (scope::sockets_for).
    let sockets = scope::sockets_for(&scope::current_cgroup()?)?;
    // Privileged step 1: the caller's slot files and count lock file, in root's /run/ssc.
    // Locking, waiting, reading and writing need only the open files: that is done as the
    // caller, before the window, so that the waits hold nothing of root's and the
    // terminal's ^C still ends them.
    let slot_files = privileged::open_slot_files(caller)?;
    let wait = Instant::now() + slots::WAIT;
    let taken = slots::acquire(slot_files, caller.uid, wait)?;
    // At most MaxScopesPerUser: her live scopes and her launches admitted but not yet in
    // theirs, counted under her count lock. This launch counts from here on: its slot file
    // names it until its scope exists or it failed.
    let slot = taken.admit(l.max_scopes, &config::user_slice(caller.uid), wait)?;
    // The window in which ssc holds a root connection. It cannot be stopped (signals.rs),
    // never waits past one deadline, and holds one of the caller's slots.
    let window = signals::Window::enter()?;
    let deadline = Instant::now() + scope::DEADLINE;
    // Privileged step 2: connect() as root to systemd's own socket, or to the system bus if
    // that is missing or refuses us (or for a caller who may freeze ssc), so that systemd
    // sees uid 0. The paths are fixed and nothing of the caller's is read; the request is
    // encoded before connect() and the conversation runs with the caller's euid.
    let created = scope::create(
        sockets,
        |path, deadline| privileged::connect(caller, path, deadline),
        Uid::from_raw(0),
        &mut request,
        deadline,
    );
    drop(slot);
    window.leave()?;
    created?;
    let cgroup = scope::current_cgroup()?;
    if !cgroup.ends_with(&format!("/{}", request.unit)) {
        return Err(Error::Bus(format!(
            "systemd reported {} started, but this process is in {cgroup}",
            request.unit
        )));
    }
    // Enforced or refused: systemd applies BPF-based settings to a scope best-effort, so
    // what the profile asks for is looked up on the scope's cgroup (enforcement/).
    let expected = Expected::new(
        l.profile,
        Path::new("/sys/fs/cgroup").join(cgroup.trim_start_matches('/')),
    )?;
    // Privileged step 3, for network and device settings only: ask the kernel which BPF
    // programs are attached; it answers root only.
    let attached = match expected.needs_query() {
        true => privileged::query_bpf(caller, &expected)?,
        false => Attached::new(),
    };
    expected.check(&attached)?;

    if l.detached {
        journal::redirect_output(&exec::identifier(&l.command.program))?;
    }

    let mounts = sandbox::mount_list(l.profile, caller, l.env.get("XAUTHORITY"))?;
    if !mounts.is_empty() {
        // Privileged steps 4 to 10: the mount namespace (sandbox/build.rs). The paths are
        // opened as the caller; root only clones, mounts and attaches from those fds.
        single_threaded("unshare")?;
        sandbox::set_up(caller, mounts)?;
    }

    single_threaded("closing ssc's fds")?;
    exec::close_on_exec_all_but(l.inherited_fds)?;
    privileged::drop_for_good(caller)?;
    if l.profile.no_new_privileges() {
        nix::sys::prctl::set_no_new_privs().context("prctl(PR_SET_NO_NEW_PRIVS)")?;
        if !nix::sys::prctl::get_no_new_privs().context("prctl(PR_GET_NO_NEW_PRIVS)")? {
            return Err(Error::Privilege(
                "privilege check failed: no_new_privs is not set".into(),
            ));
        }
    }
    signals::restore_sigpipe()?;
    l.caller_mask.restore()?;
    let argv = environment::to_cstrings(&l.command.argv);
    let search = exec::Search::new(&l.command.program, l.env);
    if l.detached {
        detach::report_about_to_exec()?;
    }
    // The seccomp filters, as the caller, under no_new_privs (checked above: every filter
    // implies NoNewPrivileges), last: the PATH search after it makes execve() calls only.
    // A failure is reported as before, which allocates: under an allow list without the
    // memory calls it may end in SIGSYS instead of the ssc: line (ssc.profile(5)).
    l.filters.install()?;
    Err(search.exec(&argv, l.env))
}

fn online_cpus() -> u64 {
    sysconf(SysconfVar::_NPROCESSORS_ONLN)
        .ok()
        .flatten()
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(1)
}

fn not_installed() -> Error {
    // Under no_new_privs (a scope with NoNewPrivileges, or a file-system key) the kernel
    // ignores the set-user-ID bit: a launch from there cannot work, however installed.
    if nix::sys::prctl::get_no_new_privs().unwrap_or(false) {
        return Error::Privilege(
            "ssc runs with no_new_privs (NoNewPrivileges of the scope it was started from), \
             under which its set-user-ID bit does nothing: launch from outside that scope"
                .into(),
        );
    }
    let exe = std::fs::read_link("/proc/self/exe")
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "ssc".into());
    Error::Privilege(format!(
        "{exe} is not installed setuid root; install it with: sudo chown root:root {exe} && sudo chmod 4755 {exe}"
    ))
}
