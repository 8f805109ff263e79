//! The projects gopin has seen (docs/store.md, "Projects gopin has seen"): `prune` keeps what
//! a project visited earlier still pins, says which, and lets it go once the pin is gone.

use crate::support::{self, stderr_of, stdout_of};

#[test]
fn prune_keeps_what_a_project_visited_earlier_pins_until_the_pin_goes() {
    let (_m, env) = support::world_with(
        &["1.21.11", "1.21.12", "1.21.13"],
        &["1.21.11", "1.21.12", "1.21.13"],
    );
    // The default pins the oldest; a project elsewhere pins 1.21.12 exactly.
    env.gopin(&["use", "--global", "1.21.11"])
        .assert()
        .success();
    let project = env.dir.path().join("elsewhere/app");
    std::fs::create_dir_all(&project).unwrap();
    let pin = project.join(".go-version");
    std::fs::write(&pin, "1.21.12\n").unwrap();

    // Before anyone visits it, nothing knows the project: a dry run would remove it.
    let out = env.gopin(&["prune", "--dry-run"]).output().unwrap();
    assert!(
        stdout_of(&out).contains("would remove go1.21.12\n"),
        "{}",
        stdout_of(&out)
    );

    // The hook visits it (as a `cd` there does).
    let out = env
        .gopin(&["hook-env", "bash"])
        .current_dir(&project)
        .env("PWD", &project)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));

    // From the work directory, which pins nothing: the decision for each version, with why.
    let out = env.gopin(&["prune", "--dry-run"]).output().unwrap();
    assert_eq!(
        stdout_of(&out),
        format!(
            "keep go1.21.13: the newest 1.21\nkeep go1.21.12: selected by project {}\nkeep go1.21.11: selected by {}\n",
            pin.display(),
            env.store().join("default-version").display()
        )
    );
    let out = env.gopin(&["prune"]).output().unwrap();
    assert!(out.status.success());
    assert!(
        stderr_of(&out).contains(&format!(
            "keeping go1.21.12: selected by project {}",
            pin.display()
        )),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(env.store_entries("versions").len(), 3);

    // `ls -v` says who uses what.
    let out = env.gopin(&["ls", "-v"]).output().unwrap();
    let ls = stdout_of(&out);
    assert!(
        ls.contains("go1.21.12") && ls.contains("last used "),
        "{ls}"
    );
    assert!(ls.contains(&format!("    {} (", pin.display())), "{ls}");

    // The pin goes: the next prune forgets the project and removes what only it needed,
    // never the default's version nor the one active in this shell.
    std::fs::remove_file(&pin).unwrap();
    let out = env
        .gopin(&["prune"])
        .env("GOROOT", env.goroot("go1.21.13.linux-amd64"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "removing go1.21.12\n");
    assert_eq!(
        env.store_entries("versions"),
        ["go1.21.11.linux-amd64", "go1.21.13.linux-amd64"]
    );
    let remembered =
        std::fs::read(env.dir.path().join("home/.local/state/gopin/projects")).unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&remembered).contains("elsewhere"),
        "forgotten: {}",
        String::from_utf8_lossy(&remembered)
    );
}

#[test]
fn exec_and_use_remember_their_pin_file_and_a_changed_pin_moves_it() {
    let (_m, env) = support::world_with(&["1.22.9", "1.22.10"], &["1.22.9", "1.22.10"]);
    let project = env.dir.path().join("svc");
    std::fs::create_dir_all(&project).unwrap();
    // `use` writes the pin and remembers it.
    env.gopin(&["use", "1.22.9"])
        .current_dir(&project)
        .env("PWD", &project)
        .assert()
        .success();
    let out = env.gopin(&["prune", "--dry-run"]).output().unwrap();
    let pin = project.join(".go-version");
    assert!(
        stdout_of(&out).contains(&format!(
            "keep go1.22.9: selected by project {}",
            pin.display()
        )),
        "{}",
        stdout_of(&out)
    );
    // The pin now says something else: 1.22.9 is no longer kept for it.
    std::fs::write(&pin, "1.22.10\n").unwrap();
    env.gopin(&["exec", "--", "go", "version"])
        .current_dir(&project)
        .env("PWD", &project)
        .assert()
        .success();
    let out = env.gopin(&["prune", "--dry-run"]).output().unwrap();
    assert_eq!(
        stdout_of(&out),
        format!(
            "keep go1.22.10: the newest 1.22; selected by project {}\nwould remove go1.22.9\n",
            pin.display()
        )
    );
}

#[test]
fn du_gives_the_space_of_each_version_and_what_prune_would_free() {
    let (_m, env) = support::world_with(&["1.21.12", "1.21.13"], &["1.21.12", "1.21.13"]);
    let tools = env.store().join("gobins/go1.21.12.linux-amd64");
    std::fs::create_dir_all(&tools).unwrap();
    std::fs::write(tools.join("stringer"), vec![7u8; 100_000]).unwrap();
    let out = env.gopin(&["du", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["versions"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let row = |v: &str| rows.iter().find(|r| r["version"] == v).unwrap();
    let (old, new) = (row("go1.21.12"), row("go1.21.13"));
    assert_eq!(old["pruned"], true);
    assert_eq!(new["pruned"], false);
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    assert!(n(&old["bytes"]) > 0 && n(&new["bytes"]) > 0);
    assert!(n(&old["tools_bytes"]) >= 100_000);
    assert_eq!(
        n(&report["total_bytes"]),
        n(&old["bytes"]) + n(&old["tools_bytes"]) + n(&new["bytes"])
    );
    assert_eq!(
        n(&report["prune_frees_bytes"]),
        n(&old["bytes"]) + n(&old["tools_bytes"])
    );
    let out = env.gopin(&["du"]).output().unwrap();
    let text = stdout_of(&out);
    assert!(
        text.contains("go1.21.12 linux/amd64") && text.contains("(prune removes it)"),
        "{text}"
    );
    assert!(text.contains("freed by `gopin prune`"), "{text}");
    // And prune frees exactly that.
    env.gopin(&["prune"]).assert().success();
    let out = env.gopin(&["du", "--json"]).output().unwrap();
    let after: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(n(&after["total_bytes"]), n(&new["bytes"]));
    assert!(!tools.exists(), "its tools went with it");
}
