//! systemd-oomd's DefaultMemoryPressureLimit: what a unit's ManagedOOMMemoryPressureLimit
//! stands for when it is unset or 0%. systemd-oomd takes a unit's limit of 0 as "use my
//! default" (oomd-manager.c), read from oomd.conf when it starts, 60% if not set there.

use std::path::Path;

use crate::error::Result;
use crate::profile::{self, TrustedDir};

/// DEFAULT_MEM_PRESSURE_LIMIT_PERCENT, in hundredths of a percent.
pub const BUILT_IN: u32 = 6_000;

/// Where systemd looks for oomd.conf and oomd.conf.d, most important first: /etc/systemd
/// (the only place of oomd.conf on systemd 252), /run, /usr/local/lib and /usr/lib.
const DIRS: [&str; 4] = [
    "/etc/systemd",
    "/run/systemd",
    "/usr/local/lib/systemd",
    "/usr/lib/systemd",
];

/// DefaultMemoryPressureLimit, in hundredths of a percent, as systemd-oomd reads it: the
/// first oomd.conf found, then the drop-ins of every oomd.conf.d by file name (a name in a
/// more important directory hides the same name in the others), the last value winning.
/// Only files that root owns and no one else can write count: any other is an error.
pub fn default_limit() -> Result<u32> {
    let mut texts = Vec::new();
    for dir in DIRS {
        if let Some(text) = read(Path::new(dir), "oomd.conf")? {
            texts.push(text);
            break;
        }
    }
    let mut drop_ins: Vec<(String, &str)> = Vec::new();
    for dir in DIRS {
        let Some(d) = TrustedDir::open(&Path::new(dir).join("oomd.conf.d"))? else {
            continue;
        };
        for name in d.file_names()? {
            if name.ends_with(".conf") && !drop_ins.iter().any(|(n, _)| *n == name) {
                drop_ins.push((name, dir));
            }
        }
    }
    drop_ins.sort();
    for (name, dir) in drop_ins {
        texts.extend(read(&Path::new(dir).join("oomd.conf.d"), &name)?);
    }
    Ok(from_texts(&texts))
}

fn read(dir: &Path, file: &str) -> Result<Option<String>> {
    match TrustedDir::open(dir)? {
        Some(d) => d.read(file),
        None => Ok(None),
    }
}

/// The last valid DefaultMemoryPressureLimit= of section [OOM], in files read in order.
/// systemd ignores a value it cannot parse, with a warning; so does this.
fn from_texts(texts: &[String]) -> u32 {
    let mut limit = BUILT_IN;
    for text in texts {
        let mut section = "";
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') && line.ends_with(']') {
                section = &line[1..line.len() - 1];
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if section == "OOM" && key.trim() == "DefaultMemoryPressureLimit" {
                if let Some(p) = profile::parse_percent(value.trim()) {
                    limit = p;
                }
            }
        }
    }
    limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_valid_value_in_section_oom_wins() {
        let t = |s: &[&str]| from_texts(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(t(&[]), 6_000);
        assert_eq!(t(&["[OOM]\n#DefaultMemoryPressureLimit=20%\n"]), 6_000);
        assert_eq!(t(&["[OOM]\nDefaultMemoryPressureLimit = 40%\n"]), 4_000);
        assert_eq!(
            t(&[
                "[OOM]\nDefaultMemoryPressureLimit=40%\n",
                "[OOM]\nDefaultMemoryPressureLimit=75.5%\n"
            ]),
            7_550
        );
        assert_eq!(
            t(&["[OOM]\nDefaultMemoryPressureLimit=40%\nDefaultMemoryPressureLimit=lots\n"]),
            4_000
        );
        assert_eq!(
            t(&["[Other]\nDefaultMemoryPressureLimit=10%\n[OOM]\nSwapUsedLimit=10%\n"]),
            6_000
        );
        assert_eq!(t(&["[OOM]\nDefaultMemoryPressureLimit=101%\n"]), 6_000);
    }
}
