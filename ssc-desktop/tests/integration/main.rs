//! Integration tests: the real binary against throwaway XDG directories.

mod cli;
mod common;
mod validate;
