//! ssc: a set-user-ID launcher that runs a command in a transient systemd scope chosen
//! by an isolation profile. `launch` holds the privileged flow from top to bottom.
//!
//! Modules are crate-private but for what the tests outside the crate drive: the D-Bus
//! code against fake managers, and the parsers the fuzz targets feed.

pub(crate) mod bpf;
pub mod bus;
pub mod cli;
pub(crate) mod config;
pub(crate) mod credentials;
pub(crate) mod detach;
pub(crate) mod display;
pub(crate) mod enforcement;
pub mod environment;
pub mod error;
pub(crate) mod exec;
pub(crate) mod info;
pub(crate) mod journal;
pub(crate) mod launch;
pub(crate) mod oomd;
pub(crate) mod origin;
pub(crate) mod privileged;
pub mod profile;
pub(crate) mod properties;
pub(crate) mod request;
pub mod sandbox;
pub mod scope;
pub mod seccomp;
pub(crate) mod signals;
pub(crate) mod slots;
pub(crate) mod status;
pub(crate) mod threads;
pub(crate) mod unit_name;

use std::process::ExitCode;

/// Runs ssc and turns any error into one `ssc: ` line and its exit status.
pub fn main() -> ExitCode {
    // A bug must fail closed like any other error: one line and 125, not an abort.
    std::panic::set_hook(Box::new(|info| {
        let line = format!("internal error: {}", info.to_string().replace('\n', " "));
        error::print_line(&line);
        detach::report_to_parent(error::EXIT_SSC, &line);
        std::process::exit(i32::from(error::EXIT_SSC));
    }));
    match launch::run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            error::print(&e);
            ExitCode::from(e.exit_code())
        }
    }
}
