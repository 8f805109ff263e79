//! Delta installs from a module proxy (docs/store.md): with a release of the platform
//! installed, only the members of the next one that changed are downloaded, through Range
//! requests as a CDN serves them; the assembled tree is proved like a whole zip, and anything
//! else (a proxy without ranges, a tree that is not the proved one) falls back to the whole
//! zip. Killed at any point, the store stays consistent.

use crate::support;

use std::time::Instant;

use support::goproxy::{GoProxy, Published, toolchain_zip};
use support::*;

const OLD: &str = "go1.22.10.linux-amd64";
const NEW: &str = "go1.22.11.linux-amd64";
const NEW_ZIP: &str = "/proxy/golang.org/toolchain/@v/v0.0.1-go1.22.11.linux-amd64.zip";

/// A release with 300 library files, of which `changed` differ between the two versions,
/// and an `_go.mod` (restored as `go.mod`) that does not change.
fn tree(version: &str, changed: u64) -> Vec<Entry> {
    let mut tree = go_tree(version, "linux/amd64");
    tree.push(Entry::Dir("go/src/lib/"));
    for i in 0..300u64 {
        let seed = if i < changed && version == "go1.22.11" {
            1000 + i
        } else {
            i
        };
        tree.push(Entry::File(
            format!("go/src/lib/f{i}.go"),
            0o644,
            noise(3000, seed),
        ));
    }
    tree.push(Entry::Dir("go/src/cmd/"));
    tree.push(Entry::File(
        "go/src/cmd/go.mod".into(),
        0o644,
        b"module cmd\n".to_vec(),
    ));
    tree.push(Entry::File(
        "go/src/make.bash".into(),
        0o755,
        b"#!/bin/sh\necho make\n".to_vec(),
    ));
    tree
}

fn proxy(changed: u64) -> (GoProxy, Published) {
    let s = GoProxy::start();
    s.publish_tree("go1.22.10", "linux/amd64", &tree("go1.22.10", 0));
    let new = s.publish_tree("go1.22.11", "linux/amd64", &tree("go1.22.11", changed));
    (s, new)
}

fn record(env: &Env, name: &str) -> serde_json::Value {
    let path = env.store().join("versions").join(name).join("install.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn an_upgrade_downloads_only_the_changed_members_and_is_proved_like_a_whole_zip() {
    let (s, new) = proxy(30);
    let env = s.env();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let out = env.gopin(&["install", "1.22.11"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let said = stderr_of(&out);
    assert!(said.contains("files taken from the store"), "{said}");
    // 30 of 300 library files changed, plus bin/go and VERSION: far less than the zip
    // (its end, for the central directory, and the changed members with the small gaps
    // between them).
    let sent = s.mirror.bytes_sent(NEW_ZIP);
    let zip = new.zip.len() as u64;
    assert!(sent * 2 < zip, "{sent} of {zip} bytes sent");
    let asked = s.mirror.ranges_asked(NEW_ZIP);
    assert!(asked[0].starts_with("bytes=-"), "{asked:?}");
    assert!(asked.len() >= 2, "{asked:?}");
    // The record proves the same h1 as a whole zip would, and says how it was assembled.
    let r = record(&env, NEW);
    assert_eq!(r["source"]["h1"], new.h1.as_str());
    assert_eq!(r["source"]["delta"], true);
    assert_eq!(r["files"]["src/cmd/go.mod"]["type"], "file");
    assert_eq!(r["files"]["src/cmd/_go.mod"]["type"], "file");
    assert_eq!(r["files"]["src/make.bash"]["mode"], 0o755);
    // The same tree, file for file, as a whole-zip install in another store.
    let whole = s.env();
    whole.gopin(&["install", "1.22.11"]).assert().success();
    let (a, b) = (record(&env, NEW), record(&whole, NEW));
    assert_eq!(a["files"], b["files"]);
    assert_eq!(b["source"].get("delta"), None);
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
    let go = env
        .command(&["exec", "1.22.11", "--", "go", "version"])
        .output()
        .unwrap();
    assert!(stdout_of(&go).contains("go1.22.11"), "{}", stderr_of(&go));
    // ls and uninstall treat it like any other.
    let ls = stdout_of(&env.gopin(&["ls"]).output().unwrap());
    assert!(ls.contains("shared"), "{ls}");
    env.gopin(&["uninstall", "1.22.10"]).assert().success();
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
}

/// An object whose content is not what its name says, and happens to be what the new release
/// holds at that path: the delta takes it (its CRC-32 matches), the tree is proved by what
/// it holds, and the new release's file gets an object of its own name; the damage stays the
/// old release's, as doctor says.
#[test]
fn an_object_holding_other_content_than_its_name_is_adopted_by_its_content() {
    let (s, new) = proxy(30);
    let env = s.env();
    env.gopin(&["install", "1.22.10"]).assert().success();
    // lib/f0.go changes between the releases, keeping its size and mode.
    let (old_body, new_body) = (noise(3000, 0), noise(3000, 1000));
    let object = |body: &[u8]| {
        let sha = sha256_hex(body);
        env.store()
            .join("objects")
            .join(&sha[..2])
            .join(format!("{}.444", &sha[2..]))
    };
    let damaged = object(&old_body);
    let mut perms = std::fs::metadata(&damaged).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
    std::fs::set_permissions(&damaged, perms.clone()).unwrap();
    std::fs::write(&damaged, &new_body).unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o444);
    std::fs::set_permissions(&damaged, perms).unwrap();
    let out = env.gopin(&["install", "1.22.11"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let r = record(&env, NEW);
    assert_eq!(r["source"]["h1"], new.h1.as_str());
    assert_eq!(r["source"]["delta"], true);
    assert_eq!(
        r["files"]["src/lib/f0.go"]["sha256"],
        sha256_hex(&new_body).as_str()
    );
    assert!(object(&new_body).exists(), "the new file's own object");
    let problems = support::store_problems(&env);
    assert!(
        problems.iter().any(|p| p.contains("go1.22.10")),
        "{problems:?}"
    );
}

#[test]
fn a_proxy_that_ignores_ranges_gets_the_whole_zip_downloaded() {
    let (s, new) = proxy(30);
    s.mirror.ignore_ranges(true);
    let env = s.env();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let out = env.gopin(&["install", "1.22.11"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let r = record(&env, NEW);
    assert_eq!(r["source"]["h1"], new.h1.as_str());
    assert_eq!(r["source"].get("delta"), None);
    assert!(s.mirror.bytes_sent(NEW_ZIP) >= new.zip.len() as u64);
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
}

#[test]
fn a_tree_that_is_not_the_proved_one_is_never_installed() {
    let (s, _new) = proxy(30);
    let env = s.env();
    env.gopin(&["install", "1.22.10"]).assert().success();
    // The proxy serves another zip than the database vouches for (one more file changed):
    // the assembled tree is refused, then the whole zip is.
    let other = toolchain_zip(
        &tree("go1.22.11", 31),
        &support::goproxy::module_version("go1.22.11", "linux/amd64"),
    );
    s.replace_zip("go1.22.11", "linux/amd64", other);
    let out = env.gopin(&["install", "1.22.11"]).output().unwrap();
    assert!(!out.status.success());
    let said = stderr_of(&out);
    assert!(
        said.contains("is not the release vouched for")
            && said.contains("downloading the whole zip"),
        "{said}"
    );
    assert!(!env.store().join("versions").join(NEW).exists());
    assert_eq!(
        env.store_entries("tmp")
            .iter()
            .filter(|e| e.starts_with("go1"))
            .count(),
        0
    );
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
}

#[test]
fn range_answers_follow_what_a_cdn_does() {
    // The test server itself: single ranges, suffix ranges, open ends, 416, and ignored
    // headers (several ranges, another unit) that get the whole body.
    assert_eq!(range_of("bytes=0-9", 100), Some(Ok((0, 10))));
    assert_eq!(range_of("bytes=90-", 100), Some(Ok((90, 100))));
    assert_eq!(range_of("bytes=-10", 100), Some(Ok((90, 100))));
    assert_eq!(range_of("bytes=-500", 100), Some(Ok((0, 100))));
    assert_eq!(range_of("bytes=95-200", 100), Some(Ok((95, 100))));
    assert_eq!(range_of("bytes=100-", 100), Some(Err(())));
    assert_eq!(range_of("bytes=-0", 100), Some(Err(())));
    assert_eq!(range_of("bytes=0-1,5-6", 100), None);
    assert_eq!(range_of("items=0-1", 100), None);
    // A delta against a zip whose end is asked past its length never happens: gopin asks
    // for a suffix, which a short zip satisfies whole.
    let (s, _new) = proxy(300);
    let env = s.env();
    env.gopin(&["install", "1.22.10"]).assert().success();
    // Everything changed: not worth ranges, the whole zip is fetched.
    env.gopin(&["install", "1.22.11"]).assert().success();
    assert_eq!(record(&env, NEW)["source"].get("delta"), None);
}

#[test]
fn a_killed_delta_install_leaves_the_store_consistent() {
    let (s, _new) = proxy(60);
    let env = s.env();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let start = Instant::now();
    env.gopin(&["install", "1.22.11"]).assert().success();
    let span = start.elapsed() * 11 / 10;
    let nanos = support::kill_seed();
    for trial in 0..8u64 {
        env.gopin(&["uninstall", "1.22.11"]).assert().success();
        let delay = support::kill_during(&env, &["install", "1.22.11"], span, nanos, trial);
        let what = format!("install killed after {delay:?} (trial {trial}, seed {nanos})");
        assert_eq!(
            support::store_problems(&env),
            Vec::<String>::new(),
            "{what}"
        );
        // The next install finishes (by delta again) and leaves a clean store.
        env.gopin(&["install", "1.22.11"]).assert().success();
        assert_eq!(
            support::store_problems(&env),
            Vec::<String>::new(),
            "{what}"
        );
        assert_eq!(record(&env, NEW)["source"]["delta"], true, "{what}");
    }
    assert!(std::fs::symlink_metadata(env.goroot(OLD)).is_ok());
}

/// A locked install from the proxy is a delta too: the lock's `h1:` is the hash of the tree,
/// so it vouches for an assembled tree as it does for a zip; a lock that says another `h1:`
/// refuses the assembled tree and then the whole zip, and nothing is installed.
#[test]
fn a_locked_install_is_a_delta_the_lock_vouches_for() {
    let (s, new) = proxy(30);
    let env = s.env();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let lock = |h1: &str| {
        format!(
            "format = 1\nrelease = \"go1.22.11\"\n\n[[platform]]\nos = \"linux\"\narch = \"amd64\"\narchive = \"go1.22.11.linux-amd64.tar.gz\"\nsize = 1000\nsha256 = \"{}\"\nmodule = \"golang.org/toolchain@v0.0.1-go1.22.11.linux-amd64\"\nh1 = \"{h1}\"\nproof_missing = \"written by the test\"\n",
            "a".repeat(64)
        )
    };
    std::fs::write(env.work().join(".go-version"), "1.22.11\n").unwrap();
    let wrong = format!("h1:{}=", "A".repeat(43));
    std::fs::write(env.work().join("gopin.lock"), lock(&wrong)).unwrap();
    let out = env.gopin(&["install", "--locked"]).output().unwrap();
    let said = stderr_of(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("not the release vouched for"), "{said}");
    assert!(said.contains(&wrong), "{said}");
    assert!(!env.goroot(NEW).exists());

    std::fs::write(env.work().join("gopin.lock"), lock(&new.h1)).unwrap();
    let before = s.mirror.bytes_sent(NEW_ZIP);
    let out = env.gopin(&["install", "--locked"]).output().unwrap();
    let said = stderr_of(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("files taken from the store"), "{said}");
    let sent = s.mirror.bytes_sent(NEW_ZIP) - before;
    let zip = new.zip.len() as u64;
    assert!(sent * 2 < zip, "{sent} of {zip} bytes sent");
    let r = record(&env, NEW);
    assert_eq!(r["source"]["delta"], true);
    assert_eq!(r["source"]["h1"], new.h1.as_str());
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
}
