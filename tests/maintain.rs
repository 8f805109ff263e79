//! Keeping versions current through the real binary: `outdated`, `upgrade [--pin]`,
//! `prune [--dry-run]` against a loopback index with several patches of each minor.

use crate::support;

use support::*;

fn world() -> (Mirror, Env) {
    let (mirror, env) = world_with(
        &["go1.22.10", "go1.22.9", "go1.21.13", "go1.21.12"],
        &["1.22.9", "1.21.12", "1.21.13"],
    );
    std::fs::write(env.work().join(".go-version"), "1.22.9\n").unwrap();
    (mirror, env)
}

#[test]
fn outdated_reports_newer_patches_and_what_selects_each() {
    let (_m, env) = world();
    let out = env.gopin(&["outdated", "--json"]).assert().success();
    let rows: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let row = |v: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["version"] == v)
            .unwrap_or_else(|| panic!("{v}: {rows}"))
            .clone()
    };
    assert_eq!(row("go1.22.9")["newest"], "go1.22.10");
    assert_eq!(row("go1.22.9")["outdated"], true);
    assert!(
        row("go1.22.9")["selected_by"][0]
            .as_str()
            .unwrap()
            .ends_with(".go-version")
    );
    assert_eq!(row("go1.21.13")["outdated"], false);
    assert_eq!(row("go1.21.12")["newest"], "go1.21.13");
    let out = env.gopin(&["outdated"]).assert().success();
    assert!(stdout_of(out.get_output()).contains("go1.22.9  go1.22.10 is out  (selected by"));
}

#[test]
fn upgrade_installs_newest_patches_and_moves_the_pin() {
    let (_m, env) = world();
    env.gopin(&["upgrade", "--pin"]).assert().success();
    assert!(env.goroot("go1.22.10.linux-amd64").is_dir());
    assert_eq!(
        std::fs::read_to_string(env.work().join(".go-version")).unwrap(),
        "1.22.10\n"
    );
    // SPEC limits it to one minor.
    let (_m2, env) = world();
    env.gopin(&["upgrade", "1.21"]).assert().success();
    assert!(!env.goroot("go1.22.10.linux-amd64").exists());
}

#[test]
fn prune_lists_first_and_keeps_what_is_needed() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let out = env.gopin(&["prune", "--dry-run"]).assert().success();
    // 1.22.9 is pinned here, 1.21.13 and 1.22.10 are the newest of their minors: the
    // decision for each version, with why.
    let pin = env.work().join(".go-version");
    assert_eq!(
        stdout_of(out.get_output()),
        format!(
            "keep go1.22.10: the newest 1.22\nkeep go1.22.9: selected by {}\nkeep go1.21.13: the newest 1.21\nwould remove go1.21.12\n",
            pin.display()
        )
    );
    assert_eq!(
        env.store_entries("versions").len(),
        4,
        "a dry run removes nothing"
    );
    // Never the version active in this shell, even when nothing else needs it.
    std::fs::remove_file(env.work().join(".go-version")).unwrap();
    let active = env.goroot("go1.22.9.linux-amd64");
    let out = env
        .gopin(&["prune"])
        .env("GOROOT", &active)
        .assert()
        .success();
    assert_eq!(stdout_of(out.get_output()), "removing go1.21.12\n");
    assert_eq!(
        env.store_entries("versions"),
        [
            "go1.21.13.linux-amd64",
            "go1.22.10.linux-amd64",
            "go1.22.9.linux-amd64"
        ]
    );
}
