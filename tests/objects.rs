//! The object store (docs/store.md): each file of every installed tree kept once by content
//! and mode, hard-linked into each version, read-only; garbage collected on uninstall, also
//! under kill -9; checked by doctor; and a store of whole trees converted by `doctor --fix`.

use crate::support;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use support::*;

const A: &str = "go1.22.10.linux-amd64";
const B: &str = "go1.22.11.linux-amd64";

/// Two patch releases that share all but their `bin/go` and `VERSION`: a library of 200
/// files, an executable script in both, and one file that is executable in one release and
/// not in the other (the same bytes, so two objects).
fn two_releases() -> (Mirror, Env) {
    let tree = |version: &'static str, odd_mode: u32| {
        let mut tree = go_tree(version, "linux/amd64");
        tree.push(Entry::Dir("go/src/lib/"));
        for i in 0..200 {
            tree.push(Entry::File(
                format!("go/src/lib/f{i}.go"),
                0o644,
                noise(2000, i),
            ));
        }
        tree.push(Entry::File(
            "go/src/make.bash".into(),
            0o755,
            b"#!/bin/sh\n".to_vec(),
        ));
        tree.push(Entry::File(
            "go/src/odd".into(),
            odd_mode,
            b"the same bytes\n".to_vec(),
        ));
        // Large files (streamed, not queued): one the same in both, one that differs after
        // its first 400 kB.
        tree.push(Entry::Dir("go/pkg/"));
        tree.push(Entry::File(
            "go/pkg/same.bin".into(),
            0o644,
            noise(600_000, 5),
        ));
        let mut changed = noise(600_000, 6);
        if odd_mode == 0o755 {
            changed.truncate(400_000);
            changed.extend(noise(200_000, 7));
        }
        tree.push(Entry::File("go/pkg/changed.bin".into(), 0o644, changed));
        tree.push(Entry::File(
            "go/src/lib/copy-of-f0.go".into(),
            0o644,
            noise(2000, 0),
        ));
        tree.push(Entry::Symlink("go/src/link", "lib/f1.go"));
        tree.push(Entry::Dir("go/src/empty/"));
        Release::with_archive(version, tar_gz(&tree))
    };
    mirror_with(&[tree("go1.22.10", 0o644), tree("go1.22.11", 0o755)])
}

/// Every object, by path, with (mode, link count).
fn objects(env: &Env) -> BTreeMap<PathBuf, (u32, u64)> {
    let mut found = BTreeMap::new();
    let dir = env.store().join("objects");
    for head in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        for entry in std::fs::read_dir(head.path()).unwrap().flatten() {
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            found.insert(
                entry.path(),
                (meta.permissions().mode() & 0o7777, meta.nlink()),
            );
        }
    }
    found
}

/// `gopin doctor --fix`, which must not fail (its exit status counts other checks too).
fn fix(env: &Env) {
    let out = env.gopin(&["doctor", "--fix"]).output().unwrap();
    assert!(!stderr_of(&out).contains("error"), "{}", stderr_of(&out));
    assert!(out.status.code().is_some_and(|c| c <= 1));
}

fn inode(path: &Path) -> u64 {
    std::fs::symlink_metadata(path).unwrap().ino()
}

#[test]
fn two_releases_share_each_identical_file_once_read_only() {
    let (_m, env) = two_releases();
    // Into an empty store, the small files become objects as they are unpacked (the rest
    // after): docs/performance.md.
    let out = env.gopin(&["-v", "install", "1.22.10"]).assert().success();
    let err = stderr_of(out.get_output());
    let unpacked: u64 = err
        .split("object store: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(unpacked >= 200, "{err}");
    let after_one = objects(&env);
    // 200 library files, runtime.go, gofmt, make.bash, odd, go, VERSION, two large ones.
    assert_eq!(after_one.len(), 208);
    env.gopin(&["install", "1.22.11"]).assert().success();
    let after_two = objects(&env);
    // Only bin/go, VERSION, the changed large file and odd (same bytes, another mode) are
    // new.
    assert_eq!(after_two.len(), 212);
    for (path, (mode, links)) in &after_two {
        assert_eq!(mode & 0o222, 0, "{path:?} has a write bit: {mode:o}");
        assert!(*links >= 2, "{path:?} is linked by no tree");
    }
    let (a, b) = (env.goroot(A), env.goroot(B));
    for rel in [
        "src/lib/f0.go",
        "src/lib/f199.go",
        "bin/gofmt",
        "src/make.bash",
    ] {
        assert_eq!(inode(&a.join(rel)), inode(&b.join(rel)), "{rel}");
    }
    for rel in ["bin/go", "VERSION", "src/odd", "pkg/changed.bin"] {
        assert_ne!(inode(&a.join(rel)), inode(&b.join(rel)), "{rel}");
    }
    let changed = std::fs::read(b.join("pkg/changed.bin")).unwrap();
    assert_eq!(changed[..400_000], noise(600_000, 6)[..400_000]);
    assert_eq!(changed[400_000..], noise(200_000, 7)[..]);
    // Modes, links and empty directories stay exactly as each release has them.
    let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(a.join("src/odd")), 0o444);
    assert_eq!(mode(b.join("src/odd")), 0o555);
    assert_eq!(mode(b.join("bin/go")), 0o555);
    assert_eq!(
        std::fs::read_link(b.join("src/link")).unwrap(),
        Path::new("lib/f1.go")
    );
    assert!(b.join("src/empty").is_dir());
    // The releases run as before.
    let go = env
        .command(&["exec", "1.22.11", "--", "go", "version"])
        .output()
        .unwrap();
    assert!(stdout_of(&go).contains("go1.22.11"), "{}", stderr_of(&go));
    assert_eq!(support::store_problems(&env), Vec::<String>::new());

    // ls tells each version's size and what it shares.
    let out = env.gopin(&["ls", "--json"]).output().unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for row in rows.as_array().unwrap() {
        let (size, shared) = (
            row["size"].as_u64().unwrap(),
            row["shared"].as_u64().unwrap(),
        );
        assert!(size > 400_000, "{row}");
        assert!(shared >= 400_000 && shared < size, "{row}");
    }
    let text = stdout_of(&env.gopin(&["ls"]).output().unwrap());
    assert!(text.contains(" MB shared"), "{text}");

    // Uninstalling one deletes what only it held, and nothing the other holds.
    env.gopin(&["uninstall", "1.22.10"]).assert().success();
    let left = objects(&env);
    assert_eq!(left.len(), 208);
    assert!(left.values().all(|(_, links)| *links >= 2));
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
    // Alone, it shares nothing (a file linked at two paths of one tree is not sharing).
    let out = env.gopin(&["ls", "--json"]).output().unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["shared"], 0, "{rows}");
    env.gopin(&["uninstall", "1.22.11"]).assert().success();
    assert_eq!(objects(&env).len(), 0);
}

#[test]
fn doctor_names_every_version_of_a_modified_object_and_finds_write_bits() {
    let (_m, env) = two_releases();
    env.gopin(&["install", "1.22.10", "1.22.11"])
        .assert()
        .success();
    // Written through one version's link: both change (root ignores the missing write bit).
    std::fs::write(env.goroot(A).join("src/lib/f7.go"), noise(2000, 99)).unwrap();
    let found = support::store_problems(&env);
    assert!(
        found
            .iter()
            .any(|p| p.contains("no longer holds the bytes its name says")
                && p.contains(A)
                && p.contains(B)),
        "{found:?}"
    );
    // Each tree's own check finds it too.
    assert_eq!(
        found
            .iter()
            .filter(|p| p.contains("src/lib/f7.go was modified"))
            .count(),
        2,
        "{found:?}"
    );
    // Reinstalling both repairs it; the bad object is replaced, not reused.
    env.gopin(&["install", "--force", "1.22.10", "1.22.11"])
        .assert()
        .success();
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
    assert_eq!(
        std::fs::read(env.goroot(B).join("src/lib/f7.go")).unwrap(),
        noise(2000, 7)
    );

    // A write bit on an object is found, and `doctor --fix` takes it away.
    let f3 = env.goroot(B).join("src/lib/f3.go");
    std::fs::set_permissions(&f3, std::fs::Permissions::from_mode(0o644)).unwrap();
    let found = support::store_problems(&env);
    assert!(
        found
            .iter()
            .any(|p| p.contains("has mode 0644: objects have no write bit")),
        "{found:?}"
    );
    fix(&env);
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
    assert_eq!(
        std::fs::metadata(&f3).unwrap().permissions().mode() & 0o777,
        0o444
    );
}

#[test]
fn a_store_of_whole_trees_is_converted_by_doctor_fix_and_by_the_next_install() {
    let (_m, env) = two_releases();
    env.gopin(&["install", "1.22.10", "1.22.11"])
        .assert()
        .success();
    // What a store from before the object store looks like: every file its own copy.
    for name in [A, B] {
        let goroot = env.goroot(name);
        for rel in ["src/lib/f0.go", "src/lib/f5.go", "bin/go", "VERSION"] {
            let path = goroot.join(rel);
            let data = std::fs::read(&path).unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() | 0o200;
            std::fs::remove_file(&path).unwrap();
            std::fs::write(&path, data).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    std::fs::remove_dir_all(env.store().join("objects")).unwrap();
    let found = support::store_problems(&env);
    assert!(
        found
            .iter()
            .any(|p| p.contains("files not linked to the object store")),
        "{found:?}"
    );
    fix(&env);
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
    assert_eq!(
        inode(&env.goroot(A).join("src/lib/f0.go")),
        inode(&env.goroot(B).join("src/lib/f0.go"))
    );
    assert_eq!(objects(&env).len(), 212);

    // The next install converts an old tree by itself (its VERSION not yet linked).
    std::fs::remove_dir_all(env.store().join("objects")).unwrap();
    env.gopin(&["uninstall", "1.22.11"]).assert().success();
    env.gopin(&["install", "1.22.11"]).assert().success();
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
    assert_eq!(objects(&env).len(), 212);
}

#[test]
fn a_killed_uninstall_leaves_only_garbage_collected_later() {
    let (_m, env) = two_releases();
    env.gopin(&["install", "1.22.11"]).assert().success();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let start = Instant::now();
    env.gopin(&["uninstall", "1.22.10"]).assert().success();
    let span = start.elapsed() * 11 / 10;
    let nanos = support::kill_seed();
    for trial in 0..8u64 {
        env.gopin(&["install", "1.22.10"]).assert().success();
        let delay = support::kill_during(&env, &["uninstall", "1.22.10"], span, nanos, trial);
        let what = format!("uninstall killed after {delay:?} (trial {trial})");
        // Whatever the kill interrupted, the other version is whole and every object that a
        // tree links is there.
        assert_eq!(
            support::store_problems(&env),
            Vec::<String>::new(),
            "{what}"
        );
        if env.store().join("versions").join(A).exists() {
            env.gopin(&["uninstall", "1.22.10"]).assert().success();
        }
        // The next collection leaves exactly the other version's objects.
        fix(&env);
        let left = objects(&env);
        assert_eq!(left.len(), 208, "{what}");
        assert!(left.values().all(|(_, links)| *links >= 2), "{what}");
    }
}

/// Where the object store is on another file system than the versions (here a tmpfs mounted
/// on `objects/` in a private mount namespace), hard links are impossible: each version keeps
/// its own copy of every file, the installs still succeed, and `gopin doctor` says so rather
/// than calling the copies unlinked.
#[test]
fn where_hard_links_are_impossible_each_version_keeps_copies_and_doctor_says_so() {
    if !namespaces_available() {
        eprintln!("skipped: no mount namespaces here (`unshare -m true` failed)");
        return;
    }
    let (_m, env) = two_releases();
    let objects_dir = env.store().join("objects");
    std::fs::create_dir_all(&objects_dir).unwrap();
    let report = env.dir.path().join("doctor.json");
    let script = r#"set -e
mount -t tmpfs tmpfs "$1"
"$2" install 1.22.10
"$2" install 1.22.11
"$2" doctor --json > "$3" || true
"#;
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["-m", "sh", "-c", script, "sh"])
        .arg(&objects_dir)
        .arg(gopin_bin())
        .arg(&report)
        .current_dir(env.work())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // The versions are on this side of the mount: whole, and copies (one link each).
    let (a, b) = (env.goroot(A), env.goroot(B));
    for goroot in [&a, &b] {
        let meta = std::fs::symlink_metadata(goroot.join("src/lib/f1.go")).unwrap();
        assert_eq!(meta.nlink(), 1, "{}", goroot.display());
    }
    assert_ne!(
        inode(&a.join("src/lib/f1.go")),
        inode(&b.join("src/lib/f1.go"))
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let objects: Vec<&serde_json::Value> = report
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "objects")
        .collect();
    assert!(
        objects.iter().all(|c| c["ok"] == true),
        "the copies are not a problem: {objects:?}"
    );
    assert!(
        objects.iter().any(|c| c["detail"]
            .as_str()
            .unwrap()
            .contains("hard links are impossible, so each version keeps its own copy")),
        "{objects:?}"
    );
    let trees: Vec<&serde_json::Value> = report
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "store" && c["ok"] == false)
        .collect();
    assert!(trees.is_empty(), "{trees:?}");
}
