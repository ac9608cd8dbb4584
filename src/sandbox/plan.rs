//! STUB until the fs-plan branch lands: the types the builder reads.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub key: &'static str,
    pub at: String,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}= ({})", self.key, self.at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Inaccessible,
    ReadOnly,
    ReadWrite,
    ReadWriteImplicit,
    Bind {
        source: PathBuf,
        read_only: bool,
        recursive: bool,
    },
    Tmpfs {
        options: String,
        read_only: bool,
    },
    PrivateTmp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub path: PathBuf,
    pub mode: Mode,
    pub ignore_missing: bool,
    pub origin: Origin,
}
