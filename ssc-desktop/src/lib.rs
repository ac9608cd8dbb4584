//! ssc-desktop's desktop-entry rewriting, as a library so that it can be fuzzed.

#![forbid(unsafe_code)]

pub mod entry;
