//! CI matrices from one gopin call: `ls-remote --json --latest-patch --since go.mod` and the
//! `stable`/`oldstable` specs, through the real binary against the real 2021 release index.

use crate::support;

use support::*;

const INDEX_2021: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/go-dl-index-2021-11.json"
);

/// An environment reading the real index of 2021-11-08 from its file (go1.17.3 is newest).
fn env_2021() -> Env {
    Env::with_urls(INDEX_2021, "http://127.0.0.1:9/dl/")
}

fn versions(env: &Env, args: &[&str]) -> Vec<String> {
    let mut all = vec!["ls-remote", "--json"];
    all.extend_from_slice(args);
    let out = env.gopin(&all).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.iter()
        .map(|r| r["version"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn latest_patch_lists_one_release_per_minor() {
    let env = env_2021();
    let all = versions(&env, &["--latest-patch"]);
    assert_eq!(
        all[..5],
        [
            "go1.17.3",
            "go1.16.10",
            "go1.15.15",
            "go1.14.15",
            "go1.13.15"
        ]
    );
    // 1.2 through 1.17 each once, and the go1 pseudo-release as its own minor.
    assert_eq!(all.len(), 17, "{all:?}");
    assert_eq!(all.last().unwrap(), "go1");
    // --all admits pre-releases, which are never newer than a minor's releases here.
    assert_eq!(versions(&env, &["--latest-patch", "--all"]), all);
    assert_eq!(versions(&env, &["1.16", "--latest-patch"]), ["go1.16.10"]);
}

#[test]
fn since_starts_at_the_modules_go_line() {
    let env = env_2021();
    let modfile = env.work().join("go.mod");
    std::fs::write(
        &modfile,
        "module example.com/m\n\ngo 1.15\n\ntoolchain go1.17.3\n",
    )
    .unwrap();
    let want = ["go1.17.3", "go1.16.10", "go1.15.15"];
    assert_eq!(
        versions(&env, &["--latest-patch", "--since", "go.mod"]),
        want
    );
    assert_eq!(
        versions(
            &env,
            &["--latest-patch", "--since", &modfile.to_string_lossy()]
        ),
        want
    );
    assert_eq!(versions(&env, &["--latest-patch", "--since", "1.15"]), want);
    assert_eq!(
        versions(&env, &["--latest-patch", "--since", "oldstable"]),
        want[..2]
    );
    // An exact start is that release and newer.
    let from = versions(&env, &["--since", "1.16.8"]);
    assert_eq!(
        from,
        [
            "go1.17.3",
            "go1.17.2",
            "go1.17.1",
            "go1.17",
            "go1.16.10",
            "go1.16.9",
            "go1.16.8"
        ]
    );
    std::fs::write(&modfile, "module m\ngo 1.16.9\n").unwrap();
    assert_eq!(
        versions(&env, &["--latest-patch", "--since", "go.mod"]),
        ["go1.17.3", "go1.16.10"]
    );
}

#[test]
fn since_errors_name_the_file_and_the_fix() {
    let env = env_2021();
    let cases: [(&str, Option<&str>, &str); 3] = [
        (
            "go.mod",
            None,
            "--since go.mod: no such file; give a go.mod or go.work file",
        ),
        (
            "go.mod",
            Some("module m\n"),
            "go.mod has no `go` line to start from",
        ),
        (
            "go.mod",
            Some("module m\ngo 1.x\n"),
            "go.mod line 2: 'go 1.x' is not a Go version",
        ),
    ];
    for (arg, body, message) in cases {
        if let Some(body) = body {
            std::fs::write(env.work().join("go.mod"), body).unwrap();
        }
        let out = env.gopin(&["ls-remote", "--since", arg]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{message}");
        let err = stderr_of(&out);
        assert!(err.contains(message) && err.lines().count() == 1, "{err}");
        assert!(stdout_of(&out).is_empty());
    }
}

#[test]
fn stable_and_oldstable_wherever_a_spec_is_accepted() {
    let env = env_2021();
    assert_eq!(versions(&env, &["stable"]), ["go1.17.3"]);
    assert_eq!(versions(&env, &["oldstable"]), ["go1.16.10"]);
    assert_eq!(versions(&env, &["latest"]), ["go1.17.3"]);

    // install resolves them against the index (the archive itself comes from a mirror).
    let mirror = Mirror::start();
    publish(
        &mirror,
        &[
            Release::linux("go1.22.10"),
            Release::linux("go1.22.9"),
            Release::linux("go1.21.13"),
            Release::linux("go1.23rc1"),
        ],
    );
    let env = Env::new(&mirror);
    env.gopin(&["install", "oldstable"]).assert().success();
    assert!(env.goroot("go1.21.13.linux-amd64").is_dir());
    env.gopin(&["install", "stable"]).assert().success();
    assert!(env.goroot("go1.22.10.linux-amd64").is_dir());
    let out = env
        .gopin(&["exec", "stable", "--", "go", "version"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&out).trim(), "go version go1.22.10 linux/amd64");
    let out = env
        .gopin(&["exec", "oldstable", "--install", "--", "go", "version"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&out).trim(), "go version go1.21.13 linux/amd64");
    let out = env.gopin(&["install", "stablest"]).output().unwrap();
    assert!(
        stderr_of(&out).contains("latest, stable, oldstable"),
        "{}",
        stderr_of(&out)
    );
}
