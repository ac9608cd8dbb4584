//! ssc: a set-user-ID launcher that runs a command in a transient systemd scope chosen
//! by an isolation profile. `launch` holds the privileged flow from top to bottom.

pub mod bus;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod display;
pub mod environment;
pub mod error;
pub mod exec;
pub mod journal;
pub mod launch;
pub mod namespace;
pub mod profile;
pub mod scope;
pub mod signals;
pub mod slots;
pub mod status;

use std::process::ExitCode;

/// Runs ssc and turns any error into one `ssc: ` line and its exit status.
pub fn main() -> ExitCode {
    // A bug must fail closed like any other error: one line and 125, not an abort.
    std::panic::set_hook(Box::new(|info| {
        let line = format!("internal error: {}", info.to_string().replace('\n', " "));
        error::print_line(&line);
        launch::report_to_parent(error::EXIT_SSC, &line);
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
