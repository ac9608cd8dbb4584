//! The file-system settings systemd refuses on a scope, which ssc builds itself.

pub mod paths;
pub mod plan;
pub mod tmpfs;
mod words;
