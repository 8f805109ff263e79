//! `gopin lock`, `lock --check` and installs under a lock, through the real binary
//! (docs/lock.md): a loopback go.dev-style mirror and a module proxy with a checksum
//! database under a test key (`support::goproxy`) on the same server.

use std::path::{Path, PathBuf};

use crate::support;

use support::goproxy::{GoProxy, toolchain_zip};
use support::*;

const PLATFORMS: [(&str, &str); 5] = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
];
const ARCHIVE: &str = "/dl/go1.22.10.linux-amd64.tar.gz";

/// go1.22.10 for the five default platforms and go1.22.9 for linux/amd64: in go.dev's index
/// and archives, and as toolchain modules recorded in the checksum database.
fn releases() -> Vec<Release> {
    let archive = |os: &str, arch: &str| tar_gz(&go_tree("go1.22.10", &format!("{os}/{arch}")));
    let mut r = Release::linux("go1.22.10");
    r.archives = PLATFORMS
        .iter()
        .map(|&(os, arch)| (os, arch, archive(os, arch)))
        .collect();
    vec![r, Release::linux("go1.22.9")]
}

pub(crate) fn world() -> (GoProxy, Env) {
    let s = GoProxy::start();
    for (os, arch) in PLATFORMS {
        s.publish("go1.22.10", &format!("{os}/{arch}"));
    }
    s.publish("go1.22.9", "linux/amd64");
    publish(&s.mirror, &releases());
    let env = env_for(&s);
    pin(&env, "1.22.10");
    (s, env)
}

/// An isolated environment on `s`: go.dev-style index and archives from the mirror, the
/// checksum database by its URL, the module proxy as GOPROXY.
pub(crate) fn env_for(s: &GoProxy) -> Env {
    Env::new(&s.mirror)
        .with_var("GOSUMDB", &s.gosumdb_direct())
        .with_var("GOPROXY", &s.proxy_url())
}

pub(crate) fn pin(env: &Env, version: &str) {
    std::fs::write(env.work().join(".go-version"), format!("{version}\n")).unwrap();
}

pub(crate) fn lock_path(env: &Env) -> PathBuf {
    env.work().join("gopin.lock")
}

fn lock_text(env: &Env) -> String {
    std::fs::read_to_string(lock_path(env)).unwrap()
}

fn ok(env: &Env, args: &[&str]) -> String {
    let out = env.gopin(args).output().unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{args:?}: {err}");
    err
}

fn install_record(env: &Env, name: &str) -> serde_json::Value {
    let path = env.store().join("versions").join(name).join("install.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_lock_is_the_same_bytes_every_time_and_holds_a_proof_per_platform() {
    let (_s, env) = world();
    let err = ok(&env, &["lock"]);
    assert!(err.contains("locked go1.22.10 for darwin/amd64, darwin/arm64, linux/amd64, linux/arm64, windows/amd64"), "{err}");
    let first = std::fs::read(lock_path(&env)).unwrap();
    ok(&env, &["lock"]);
    assert_eq!(std::fs::read(lock_path(&env)).unwrap(), first, "same bytes");
    // And from another machine (another store and cache), the same bytes again.
    let other = env_for(&_s);
    pin(&other, "1.22.10");
    ok(&other, &["lock"]);
    assert_eq!(std::fs::read(lock_path(&other)).unwrap(), first);
    let text = String::from_utf8(first).unwrap();
    assert_eq!(text.matches("[[platform]]").count(), 5, "{text}");
    assert_eq!(text.matches("[platform.proof]").count(), 5, "{text}");
    assert!(!text.contains("proof_missing"), "{text}");
    let sha = sha256_hex(&releases()[0].archives[0].2);
    assert!(text.contains(&format!("sha256 = \"{sha}\"")), "{text}");
    assert!(
        text.contains("module = \"golang.org/toolchain@v0.0.1-go1.22.10.windows-amd64\""),
        "{text}"
    );
    ok(&env, &["lock", "--check"]);
}

#[test]
fn lock_check_passes_offline_on_an_honest_lock_and_catches_a_one_byte_tampered_proof() {
    let (_s, env) = world();
    ok(&env, &["lock"]);
    // Nothing reachable: no index, no database (the same key).
    let key = env
        .extra
        .iter()
        .find(|(k, _)| k == "GOSUMDB")
        .unwrap()
        .1
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let offline = Env::with_urls("http://127.0.0.1:9/index.json", "http://127.0.0.1:9/dl/")
        .with_var("GOSUMDB", &format!("{key} http://127.0.0.1:9/sumdb"))
        .with_var("GOPROXY", "http://127.0.0.1:9/proxy");
    pin(&offline, "1.22.10");
    std::fs::copy(lock_path(&env), lock_path(&offline)).unwrap();
    let err = ok(
        &offline,
        &["lock", "--check", "--offline", "--require-proof"],
    );
    assert!(err.contains("matches: go1.22.10 on 5 platforms"), "{err}");
    // Without --offline the check asks the index, which is not there.
    let err = one_error_line(&offline.gopin(&["lock", "--check"]).output().unwrap());
    assert!(err.contains("cannot be checked against the index"), "{err}");
    assert!(err.contains("pass --offline"), "{err}");

    // One byte of one proof hash changed: the proof no longer folds to the signed root.
    let text = lock_text(&offline);
    let at = text.find("hashes = [\"").unwrap() + "hashes = [\"".len();
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(lock_path(&offline), &bytes).unwrap();
    let out = offline
        .gopin(&["lock", "--check", "--offline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = one_error_line(&out);
    assert!(err.contains("gopin.lock does not match"), "{err}");
    assert!(
        err.contains("proof does not verify: its inclusion proof does not show record"),
        "{err}"
    );

    // One byte of a signed tree head: the signature fails.
    let text = std::fs::read_to_string(lock_path(&env)).unwrap();
    let tampered = text.replacen("go.sum database tree\n", "go.sum database tree\n1", 1);
    assert_ne!(tampered, text);
    std::fs::write(lock_path(&offline), tampered).unwrap();
    let err = one_error_line(
        &offline
            .gopin(&["lock", "--check", "--offline"])
            .output()
            .unwrap(),
    );
    assert!(err.contains("does not verify against the key"), "{err}");
}

#[test]
fn lock_check_catches_a_moved_pin_and_a_missing_platform() {
    let (_s, env) = world();
    ok(
        &env,
        &[
            "lock",
            "--platform",
            "linux/amd64",
            "--platform",
            "darwin/arm64",
        ],
    );
    let out = env.gopin(&["lock", "--check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = one_error_line(&out);
    assert!(
        err.contains("the lock has no entry for darwin/amd64"),
        "{err}"
    );
    assert!(
        err.contains("the lock has no entry for windows/amd64"),
        "{err}"
    );
    assert!(!err.contains("linux/amd64"), "{err}");
    ok(
        &env,
        &[
            "lock",
            "--check",
            "--platform",
            "linux/amd64",
            "--platform",
            "darwin/arm64",
        ],
    );
    // The setting says the same as the flags.
    let set = env_for(&_s).with_var("GOPIN_LOCK_PLATFORMS", "darwin/arm64,linux/amd64");
    pin(&set, "1.22.10");
    std::fs::copy(lock_path(&env), lock_path(&set)).unwrap();
    ok(&set, &["lock", "--check"]);

    pin(&set, "1.22.9");
    let out = set
        .gopin(&["lock", "--check", "--offline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = one_error_line(&out);
    assert!(err.contains("the pin moved"), "{err}");
    assert!(
        err.contains("asks for go1.22.9, but the lock holds go1.22.10"),
        "{err}"
    );
    // An install the directory triggers is refused too: nothing unchecked goes in.
    let err = one_error_line(&set.gopin(&["install"]).output().unwrap());
    assert!(
        err.contains("the pin moved since the lock was written"),
        "{err}"
    );
    assert!(set.store_entries("versions").is_empty());
    // Locking again follows the pin.
    ok(&set, &["lock", "--platform", "linux/amd64"]);
    assert!(lock_text(&set).contains("release = \"go1.22.9\""));
}

#[test]
fn a_platform_the_index_does_not_carry_is_an_error_naming_it() {
    let (_s, env) = world();
    let err = one_error_line(
        &env.gopin(&[
            "lock",
            "--platform",
            "linux/amd64",
            "--platform",
            "linux/386",
        ])
        .output()
        .unwrap(),
    );
    assert!(
        err.contains("no archive of go1.22.10 for linux/386"),
        "{err}"
    );
    assert!(!lock_path(&env).exists(), "nothing written");
}

#[test]
fn install_locked_needs_no_index() {
    let (s, env) = world();
    ok(&env, &["lock"]);
    s.mirror.set("/index.json", Reply::Status(503));
    let fresh = env_for(&s);
    pin(&fresh, "1.22.10");
    std::fs::copy(lock_path(&env), lock_path(&fresh)).unwrap();
    let before = s.mirror.hits("/index.json");
    let err = ok(&fresh, &["install", "--locked"]);
    assert!(err.contains("installed go1.22.10 (linux/amd64)"), "{err}");
    assert_eq!(
        s.mirror.hits("/index.json"),
        before,
        "the index was not asked"
    );
    let record = install_record(&fresh, "go1.22.10.linux-amd64");
    let digest = support_digest(&lock_path(&fresh));
    assert_eq!(record["source"]["lock_sha256"], digest.as_str(), "{record}");
    // Another platform the lock holds, also without the index.
    ok(
        &fresh,
        &["install", "--locked", "--os", "darwin", "--arch", "arm64"],
    );
    // And --locked where there is no lock says so.
    std::fs::remove_file(lock_path(&fresh)).unwrap();
    let err = one_error_line(&fresh.gopin(&["install", "--locked"]).output().unwrap());
    assert!(err.contains("--locked needs a gopin.lock"), "{err}");
}

fn support_digest(path: &Path) -> String {
    format!("sha256:{}", sha256_hex(&std::fs::read(path).unwrap()))
}

#[test]
fn a_mirror_that_swapped_an_archive_and_rewrote_its_index_is_refused_under_the_lock_only() {
    let (s, env) = world();
    ok(&env, &["lock"]);
    let honest = sha256_hex(&releases()[0].archives[0].2);
    // The mirror swaps linux/amd64's archive and rewrites its index to match.
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::File(
        "go/bin/backdoor".into(),
        0o755,
        b"#!/bin/sh\n".to_vec(),
    ));
    let evil = tar_gz(&tree);
    let mut swapped = releases();
    swapped[0].archives[0].2 = evil.clone();
    publish(&s.mirror, &swapped);
    let evil_sha = sha256_hex(&evil);

    // Without a lock, the index is the root of trust: the swap goes in.
    let unlocked = env_for(&s);
    pin(&unlocked, "1.22.10");
    ok(&unlocked, &["install"]);
    assert!(
        unlocked
            .goroot("go1.22.10.linux-amd64")
            .join("bin/backdoor")
            .exists()
    );

    // Under the lock: refused, by every install the directory triggers.
    for args in [
        &["install"][..],
        &["install", "--locked"],
        &["exec", "--install", "--", "go", "version"],
    ] {
        let err = one_error_line(&env.gopin(args).output().unwrap());
        for want in [
            "gopin.lock",
            "for linux/amd64",
            &format!("SHA-256 is {evil_sha}"),
            &format!("holds {honest}"),
            ARCHIVE,
        ] {
            assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
        }
        assert!(env.store_entries("versions").is_empty(), "{err}");
    }
}

#[test]
fn a_proxy_zip_that_does_not_match_the_lock_s_h1_is_refused() {
    let (s, env) = world();
    ok(&env, &["lock"]);
    let via_proxy = |env: Env| env.with_var("GOPIN_SOURCE_KIND", "goproxy");
    // First the honest zip, under the lock, from the proxy.
    let honest = via_proxy(env_for(&s));
    pin(&honest, "1.22.10");
    std::fs::copy(lock_path(&env), lock_path(&honest)).unwrap();
    let err = ok(&honest, &["install", "--locked"]);
    assert!(err.contains("installed go1.22.10"), "{err}");
    let record = install_record(&honest, "go1.22.10.linux-amd64");
    assert_eq!(record["source"]["kind"], "goproxy", "{record}");
    assert_eq!(
        record["source"]["verification"]["kind"], "sumdb",
        "{record}"
    );

    // Then a proxy that serves another zip.
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::File(
        "go/bin/backdoor".into(),
        0o755,
        b"#!/bin/sh\n".to_vec(),
    ));
    s.replace_zip(
        "go1.22.10",
        "linux/amd64",
        toolchain_zip(&tree, "v0.0.1-go1.22.10.linux-amd64"),
    );
    let evil = via_proxy(env_for(&s));
    pin(&evil, "1.22.10");
    std::fs::copy(lock_path(&env), lock_path(&evil)).unwrap();
    let text = lock_text(&env);
    let linux = &text[text.find("os = \"linux\"\narch = \"amd64\"").unwrap()..];
    let want_h1 = linux
        .lines()
        .find_map(|l| l.strip_prefix("h1 = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    let err = one_error_line(&evil.gopin(&["install", "--locked"]).output().unwrap());
    for want in [
        "refusing golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64 for linux/amd64",
        "whose h1 is h1:",
        &format!("gopin.lock holds {want_h1}"),
        "/proxy/golang.org/toolchain/@v/v0.0.1-go1.22.10.linux-amd64.zip",
    ] {
        assert!(err.contains(want), "wanted {want:?} in {err}");
    }
    assert!(evil.store_entries("versions").is_empty(), "{err}");
}

#[test]
fn with_the_checksum_database_off_or_unreachable_the_lock_says_its_proof_is_missing() {
    let (s, env) = world();
    let off = env.with_var("GOSUMDB", "off");
    let err = ok(&off, &["lock"]);
    assert!(
        err.contains("holds no checksum database proof for linux/amd64"),
        "{err}"
    );
    let text = lock_text(&off);
    assert!(
        text.contains("proof_missing = \"the checksum database was not asked (GOSUMDB=off)\""),
        "{text}"
    );
    assert!(!text.contains("[platform.proof]"), "{text}");
    let err = ok(&off, &["lock", "--check", "--offline"]);
    assert!(err.contains("has no checksum database proof"), "{err}");
    let err = one_error_line(
        &off.gopin(&["lock", "--check", "--offline", "--require-proof"])
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("linux/amd64 has no checksum database proof"),
        "{err}"
    );
    // An unproved lock still pins the archive's bytes.
    ok(&off, &["install", "--locked"]);

    let key = s.gosumdb();
    let gone = env_for(&s).with_var("GOSUMDB", &format!("{key} http://127.0.0.1:9/sumdb"));
    pin(&gone, "1.22.10");
    let err = ok(&gone, &["lock", "--platform", "linux/amd64"]);
    assert!(
        err.contains("the checksum database could not be reached"),
        "{err}"
    );
    assert!(
        lock_text(&gone).contains("proof_missing = \"the checksum database could not be reached")
    );
}

#[test]
fn a_bad_lock_is_one_error_naming_it_and_nothing_is_installed() {
    let (_s, env) = world();
    ok(&env, &["lock"]);
    let good = lock_text(&env);
    let path = lock_path(&env);
    let cases = [
        ("format = [".to_string(), "is not valid TOML"),
        (
            good.replace("format = 1", "format = 7"),
            "is of format 7, newer than this gopin reads",
        ),
        (
            good.replacen("sha256 = \"", "sha256 = \"zz", 1),
            "is not a lowercase hex SHA-256 digest",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(&path, text).unwrap();
        for args in [
            &["lock", "--check"][..],
            &["install", "--locked"],
            &["install"],
        ] {
            let err = one_error_line(&env.gopin(args).output().unwrap());
            assert!(
                err.contains(&format!("the lock file {}", path.display())),
                "{err}"
            );
            assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
        }
        assert!(env.store_entries("versions").is_empty());
    }
    // `gopin lock` does not overwrite a newer gopin's lock with an older format.
    let newer = good.replace("format = 1", "format = 7");
    std::fs::write(&path, &newer).unwrap();
    let err = one_error_line(&env.gopin(&["lock"]).output().unwrap());
    assert!(err.contains("newer than this gopin reads"), "{err}");
    assert_eq!(lock_text(&env), newer);
    std::fs::remove_file(&path).unwrap();
    mkfifo(&path);
    let out = output_within(env.command(&["install", "--locked"]), 30);
    let err = one_error_line(&out);
    assert!(
        err.contains("is a FIFO (named pipe), not a regular file"),
        "{err}"
    );
    // `gopin lock` replaces it whole, never writing into it.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, "format = [").unwrap();
    ok(&env, &["lock"]);
    assert_eq!(lock_text(&env), good);
}

#[test]
fn audit_against_lock_passes_only_the_locked_release_and_export_keeps_the_lock_digest() {
    let (_s, env) = world();
    ok(&env, &["lock"]);
    let bin = env.work().join("server");
    std::fs::write(&bin, go_binary_with_buildinfo("go1.22.10", "linux/amd64")).unwrap();
    ok(&env, &["audit", "--against-lock", "server"]);
    std::fs::write(&bin, go_binary_with_buildinfo("go1.22.11", "linux/amd64")).unwrap();
    let out = env
        .gopin(&["audit", "--against-lock", "server"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout_of(&out).contains("not go1.22.10 locked by"),
        "{}",
        stdout_of(&out)
    );

    ok(&env, &["install"]);
    ok(&env, &["export", "1.22.10", "-o", "go.tar.gz"]);
    let file = std::fs::File::open(env.work().join("go.tar.gz")).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut record = None;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().ends_with(".gopin/install.json") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            record = Some(serde_json::from_str::<serde_json::Value>(&text).unwrap());
            break;
        }
    }
    let record = record.expect("the snapshot holds its record");
    let digest = support_digest(&lock_path(&env));
    assert_eq!(record["source"]["lock_sha256"], digest.as_str(), "{record}");
}

#[test]
fn a_locked_directory_uses_the_locked_release_over_a_newer_installed_patch() {
    let (_s, env) = world();
    pin(&env, "1.22");
    ok(&env, &["install", "1.22.9"]);
    let err = ok(&env, &["lock", "--platform", "linux/amd64"]);
    assert!(
        err.contains("locked go1.22.9"),
        "the installed release: {err}"
    );
    ok(&env, &["install", "1.22.10"]);
    let version = |env: &Env| {
        let out = env
            .gopin(&["exec", "--", "go", "version"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        stdout_of(&out).trim().to_string()
    };
    assert_eq!(version(&env), "go version go1.22.9 linux/amd64");
    // Locking again keeps the release while the pin accepts it.
    ok(&env, &["lock", "--platform", "linux/amd64"]);
    assert!(lock_text(&env).contains("release = \"go1.22.9\""));
    std::fs::remove_file(lock_path(&env)).unwrap();
    assert_eq!(version(&env), "go version go1.22.10 linux/amd64");
}

#[test]
fn use_in_a_locked_directory_installs_through_the_lock() {
    let (s, env) = world();
    ok(&env, &["lock"]);
    let mut swapped = releases();
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::File("go/extra".into(), 0o644, b"x".to_vec()));
    swapped[0].archives[0].2 = tar_gz(&tree);
    publish(&s.mirror, &swapped);
    let err = one_error_line(&env.gopin(&["use", "1.22.10"]).output().unwrap());
    assert!(
        err.contains("refusing go1.22.10.linux-amd64.tar.gz for linux/amd64"),
        "{err}"
    );
    assert!(env.store_entries("versions").is_empty());
    // Another version typed on the command line is not the lock's business: it goes in, with
    // a note.
    let err = ok(&env, &["use", "1.22.9"]);
    assert!(
        err.contains("locks go1.22.10, which go1.22.9 is not"),
        "{err}"
    );
}

#[test]
fn the_hook_s_auto_install_goes_through_the_lock() {
    let (s, env) = world();
    ok(&env, &["lock"]);
    let mut swapped = releases();
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::File("go/extra".into(), 0o644, b"x".to_vec()));
    swapped[0].archives[0].2 = tar_gz(&tree);
    publish(&s.mirror, &swapped);
    let out = env
        .gopin(&["hook-env", "bash"])
        .env("GOPIN_AUTO_INSTALL", "true")
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(
        err.contains("refusing go1.22.10.linux-amd64.tar.gz for linux/amd64"),
        "{err}"
    );
    assert!(err.contains("gopin.lock"), "{err}");
    assert!(!stdout_of(&out).contains("export GOROOT"));
    assert!(env.store_entries("versions").is_empty());
    // The honest archive back: the hook installs it, recorded as checked against the lock.
    publish(&s.mirror, &releases());
    let out = env
        .gopin(&["hook-env", "bash"])
        .env("GOPIN_AUTO_INSTALL", "true")
        .output()
        .unwrap();
    assert!(
        stdout_of(&out).contains("export GOROOT="),
        "{}",
        stderr_of(&out)
    );
    let record = install_record(&env, "go1.22.10.linux-amd64");
    assert_eq!(
        record["source"]["lock_sha256"],
        support_digest(&lock_path(&env)).as_str()
    );
}

#[test]
fn where_only_a_go_line_constrains_the_lock_is_written_here_and_found_below() {
    let (_s, env) = world();
    std::fs::remove_file(env.work().join(".go-version")).unwrap();
    std::fs::write(env.work().join("go.mod"), "module m\n\ngo 1.22\n").unwrap();
    let sub = env.work().join("cmd/tool");
    std::fs::create_dir_all(&sub).unwrap();
    let err = ok(&env, &["lock", "--platform", "linux/amd64"]);
    assert!(err.contains("locked go1.22.10 for linux/amd64"), "{err}");
    assert!(lock_path(&env).exists());
    let out = env
        .gopin(&["lock", "--check", "--offline", "--platform", "linux/amd64"])
        .current_dir(&sub)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // A directory only the global default selects for is not locked.
    std::fs::remove_file(env.work().join("go.mod")).unwrap();
    std::fs::remove_file(lock_path(&env)).unwrap();
    ok(&env, &["use", "--global", "1.22.10"]);
    let err = one_error_line(&env.gopin(&["lock"]).output().unwrap());
    assert!(err.contains("only your global default"), "{err}");
    assert!(!lock_path(&env).exists());
}

/// A lock that appears beside the pin (a `git pull` brings it) or goes away changes what the
/// directory uses: the hook notices at the next prompt, as it notices a pin file appearing
/// (docs/shell.md, "What runs at each prompt"), not only at the next `cd`. In each shell.
#[test]
fn the_hook_notices_a_lock_that_appears_or_goes() {
    let (_s, env) = world();
    pin(&env, "1.22");
    ok(&env, &["install", "1.22.9"]);
    ok(&env, &["lock", "--platform", "linux/amd64"]);
    ok(&env, &["install", "1.22.10"]);
    let saved = env.dir.path().join("saved.lock");
    std::fs::rename(lock_path(&env), &saved).unwrap();
    let goroot = |name: &str| env.goroot(name).display().to_string();
    let (newest, locked) = (
        goroot("go1.22.10.linux-amd64"),
        goroot("go1.22.9.linux-amd64"),
    );
    for shell in ["bash", "zsh", "fish"] {
        if !shell_available(shell) {
            continue;
        }
        let (load, flag) = match shell {
            "bash" => ("eval \"$('{gopin}' init bash)\"", "--norc"),
            "zsh" => ("eval \"$('{gopin}' init zsh)\"", "-f"),
            _ => ("'{gopin}' init fish | source", "--no-config"),
        };
        let script = format!(
            "touch -d '1 hour ago' '{{work}}' '{{work}}/.go-version' '{{store}}' '{{store}}/versions'\n\
             {load}\ncd '{{work}}'\n_gopin_hook\nprintf '%s\\n' \"$GOROOT\"\n\
             cp '{{saved}}' gopin.lock\n_gopin_hook\nprintf '%s\\n' \"$GOROOT\"\n\
             rm gopin.lock\n_gopin_hook\nprintf '%s\\n' \"$GOROOT\"\n"
        )
        .replace("{gopin}", &gopin_bin().display().to_string())
        .replace("{work}", &env.work().display().to_string())
        .replace("{store}", &env.store().display().to_string())
        .replace("{saved}", &saved.display().to_string());
        let mut cmd = std::process::Command::new(shell);
        cmd.args([flag, "-c", &script])
            .env_clear()
            .env("PATH", "/usr/bin:/bin");
        for (k, v) in env.vars() {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = stdout_of(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [newest.as_str(), locked.as_str(), newest.as_str()],
            "{shell}: {}",
            stderr_of(&out)
        );
    }
}

/// `install --locked` checks every byte against the lock, also when the release is already
/// installed: a copy whose record holds neither the lock's archive SHA-256 nor its `h1:` (one
/// installed from a swapped mirror before the lock came, say) is refused, and `--force`
/// replaces it with the locked bytes (docs/lock.md, "Locked installs").
#[test]
fn install_locked_refuses_an_installed_copy_the_lock_does_not_vouch_for() {
    let (s, env) = world();
    ok(&env, &["lock", "--platform", "linux/amd64"]);
    let lock = std::fs::read(lock_path(&env)).unwrap();
    std::fs::remove_file(lock_path(&env)).unwrap();
    let mut swapped = releases();
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::File("go/extra".into(), 0o644, b"x".to_vec()));
    swapped[0].archives[0].2 = tar_gz(&tree);
    publish(&s.mirror, &swapped);
    // Without a lock, the index (read again) is the root of trust: the swapped archive goes in.
    env.gopin(&["install", "1.22.10"])
        .env("GOPIN_INDEX_TTL", "0")
        .assert()
        .success();
    assert!(env.goroot("go1.22.10.linux-amd64").join("extra").exists());
    std::fs::write(lock_path(&env), &lock).unwrap();
    let out = env.gopin(&["install", "--locked"]).output().unwrap();
    let err = one_error_line(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("go1.22.10 (linux/amd64) is installed"),
        "{err}"
    );
    assert!(err.contains("gopin install --locked --force"), "{err}");
    // --force fetches the locked bytes: refused from the swapped mirror, taken from the honest one.
    let out = env
        .gopin(&["install", "--locked", "--force"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    publish(&s.mirror, &releases());
    ok(&env, &["install", "--locked", "--force"]);
    assert!(!env.goroot("go1.22.10.linux-amd64").join("extra").exists());
    // Now the record holds the lock's SHA-256: already installed, and fine.
    ok(&env, &["install", "--locked"]);
}
