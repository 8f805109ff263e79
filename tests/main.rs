//! The integration tests: one test binary, `integration`, with a module per file of tests/
//! (CONTRIBUTING.md, "The tests"). One binary links the support code and gopin's dependencies
//! once, where a binary per file linked them eighteen times.
//!
//! Run one file's tests with `cargo test --test integration shell::`, one test with its
//! whole name: `cargo test --test integration shell::bash_hook_survives_set_e -- --exact`.

mod support;

mod audit;
mod commands;
mod completions;
mod credentials;
mod export;
mod faults;
mod goproxy;
mod goproxy_support;
mod import;
mod install;
mod maintain;
mod man;
mod matrix;
mod selection;
mod shell;
mod shims;
mod store;
mod tls;
