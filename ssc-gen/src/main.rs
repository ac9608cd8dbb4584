//! `ssc-gen OUTDIR`: writes ssc.1 and the completions (ssc.bash, _ssc, ssc.fish) to
//! OUTDIR. Run as `cargo run --locked -p ssc-gen -- OUTDIR` (the Makefile does).

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [dir] = args.as_slice() else {
        eprintln!("usage: ssc-gen OUTDIR");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let run = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        for (name, text) in ssc_gen::generate_all()? {
            // Write then rename, so that make never sees a half-written file.
            let tmp = dir.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, dir.join(&name))?;
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ssc-gen: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
