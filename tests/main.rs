//! The integration tests: one test binary, `integration`, with a module per file of tests/
//! (CONTRIBUTING.md, "The tests"). One binary links the support code and gopin's dependencies
//! once, where a binary per file linked them eighteen times.
//!
//! Run one file's tests with `cargo test --test integration shell::`, one test with its
//! whole name: `cargo test --test integration shell::bash_hook_survives_set_e -- --exact`.

mod support;

mod action;
mod audit;
mod commands;
mod completions;
mod credentials;
mod delta;
mod export;
mod faults;
mod goproxy;
mod goproxy_support;
mod import;
mod install;
mod lock;
mod maintain;
mod man;
mod matrix;
mod objects;
mod projects;
mod selection;
mod shell;
mod shims;
mod store;
mod system_stores;
mod tls;
mod tools;
mod vuln;

/// With `autotests = false` a file of tests not named above is never built: each file of
/// tests/ must have its `mod` line here.
#[test]
fn every_file_of_tests_is_a_module_of_this_binary() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");
    let main = std::fs::read_to_string(format!("{dir}/main.rs")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let is_module =
            path.extension().is_some_and(|e| e == "rs") || path.join("mod.rs").is_file();
        if is_module && name != "main" && !main.contains(&format!("\nmod {name};\n")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "tests/main.rs has no `mod` line for {missing:?}"
    );
}
