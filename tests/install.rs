//! `gopin install`, `uninstall`, `ls` and `ls-remote` through the real binary against a
//! loopback mirror.

use crate::support;

use std::time::Duration;

use support::*;

fn standard_releases() -> Vec<Release> {
    vec![
        Release::linux("go1.23rc1"),
        Release::linux("go1.22.10"),
        Release::linux("go1.22.9"),
        Release::linux("go1.21.13"),
        Release::linux("go1.20"),
        Release::linux("go1.20.14"),
    ]
}

#[test]
fn installs_an_exact_version_and_the_tree_works() {
    let (_m, env) = mirror_with(&standard_releases());
    let out = env.gopin(&["install", "1.22.9"]).assert().success();
    assert!(stderr_of(out.get_output()).contains("installed go1.22.9 (linux/amd64)"));
    let goroot = env.goroot("go1.22.9.linux-amd64");
    let version = std::process::Command::new(goroot.join("bin/go"))
        .arg("version")
        .output()
        .unwrap();
    assert_eq!(stdout_of(&version), "go version go1.22.9 linux/amd64\n");
    assert!(goroot.join("src/runtime/runtime.go").is_file());
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(goroot.parent().unwrap().join("install.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["version"], "go1.22.9");
    assert!(
        record["url"]
            .as_str()
            .unwrap()
            .ends_with("/dl/go1.22.9.linux-amd64.tar.gz")
    );
    assert_eq!(record["files"]["bin/go"]["type"], "file");
    assert_eq!(record["files"]["bin/go"]["mode"], 0o755);
    assert!(env.store_entries("tmp").is_empty(), "no leftovers");
}

#[test]
fn prefix_and_latest_pick_the_newest_stable() {
    let (_m, env) = mirror_with(&standard_releases());
    env.gopin(&["install", "1.22"]).assert().success();
    env.gopin(&["install", "go1.20"]).assert().success();
    env.gopin(&["install", "latest"]).assert().success();
    // 1.20 is a prefix: numbers compare as numbers, so 1.20.14 beats 1.20 (= 1.20.0).
    assert_eq!(
        env.store_entries("versions"),
        ["go1.20.14.linux-amd64", "go1.22.10.linux-amd64"]
    );
    env.gopin(&["install", "1.20.0"]).assert().success();
    assert!(env.goroot("go1.20.linux-amd64").is_dir());
}

#[test]
fn already_installed_says_so_without_the_network() {
    let (mirror, env) = mirror_with(&standard_releases());
    env.gopin(&["install", "1.21.13"]).assert().success();
    let archive = "/dl/go1.21.13.linux-amd64.tar.gz";
    assert_eq!(mirror.hits(archive), 1);
    mirror.set("/index.json", Reply::Status(500));
    let out = env.gopin(&["install", "1.21.13"]).assert().success();
    assert!(stderr_of(out.get_output()).contains("already installed"));
    assert_eq!(mirror.hits(archive), 1);
}

#[test]
fn unknown_and_malformed_versions_are_clear_errors() {
    let (_m, env) = mirror_with(&standard_releases());
    let out = env.gopin(&["install", "1.22.99"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(err.contains("no Go release matches 'go1.22.99'"), "{err}");
    assert!(err.contains("go1.22.10"), "suggests the newest 1.22: {err}");
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    // A malformed spec is a usage error (exit 2).
    let out = env.gopin(&["install", "1.22;rm -rf /"]).assert().code(2);
    assert!(stderr_of(out.get_output()).contains("is not a Go version"));
    assert!(env.store_entries("versions").is_empty());
}

#[test]
fn http_404_fails_without_retrying_or_leftovers() {
    let (mirror, env) = mirror_with(&standard_releases());
    let archive = "/dl/go1.22.10.linux-amd64.tar.gz";
    mirror.set(archive, Reply::Status(404));
    let out = env.gopin(&["install", "1.22.10"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(err.contains("404") && err.contains(archive), "{err}");
    assert_eq!(mirror.hits(archive), 1, "4xx is not retried");
    assert!(env.store_entries("versions").is_empty());
    assert!(env.store_entries("tmp").is_empty());
}

#[test]
fn server_errors_are_retried() {
    let releases = standard_releases();
    let (mirror, env) = mirror_with(&releases);
    let archive = "/dl/go1.22.10.linux-amd64.tar.gz";
    let body = releases[1].archives[0].2.clone();
    mirror.set(
        archive,
        Reply::FailFirst {
            n: 2,
            status: 503,
            body,
        },
    );
    env.gopin(&["install", "1.22.10"]).assert().success();
    assert_eq!(mirror.hits(archive), 3);
    assert!(env.goroot("go1.22.10.linux-amd64").join("bin/go").is_file());
}

#[test]
fn persistent_server_errors_give_up() {
    let (mirror, env) = mirror_with(&standard_releases());
    let archive = "/dl/go1.22.10.linux-amd64.tar.gz";
    mirror.set(archive, Reply::Status(502));
    let out = env.gopin(&["install", "1.22.10"]).assert().code(1);
    assert!(stderr_of(out.get_output()).contains("502"));
    assert_eq!(mirror.hits(archive), 4);
    assert!(env.store_entries("versions").is_empty());
}

#[test]
fn wrong_checksum_names_both_hashes_and_installs_nothing() {
    let mut r = Release::linux("go1.22.10");
    let bogus = "ab".repeat(32);
    r.sha_override = Some(bogus.clone());
    let actual = sha256_hex(&r.archives[0].2);
    let (_m, env) = mirror_with(&[r]);
    let out = env.gopin(&["install", "1.22.10"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(&bogus) && err.contains(&actual), "{err}");
    assert!(env.store_entries("versions").is_empty());
    assert!(env.store_entries("tmp").is_empty());
    // A first install links its files into the object store as it unpacks, before the
    // archive's checksum is known: a refused one leaves no object behind.
    let objects = env.store().join("objects");
    let left: Vec<String> = env
        .store_entries("objects")
        .iter()
        .flat_map(|head| list_dir(&objects.join(head)))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn tampered_archive_is_refused() {
    let r = Release::linux("go1.22.10");
    let mut tampered = r.archives[0].2.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0xff;
    let (mirror, env) = mirror_with(&[r]);
    mirror.set("/dl/go1.22.10.linux-amd64.tar.gz", Reply::Body(tampered));
    let out = env.gopin(&["install", "1.22.10"]).assert().code(1);
    assert!(stderr_of(out.get_output()).contains("checksum mismatch"));
    assert!(env.store_entries("versions").is_empty());
}

#[test]
fn truncated_download_is_retried_then_refused() {
    let r = Release::linux("go1.22.10");
    let body = r.archives[0].2.clone();
    let (mirror, env) = mirror_with(&[r]);
    let archive = "/dl/go1.22.10.linux-amd64.tar.gz";
    let send = body.len() / 2;
    mirror.set(archive, Reply::Truncated { body, send });
    let out = env.gopin(&["install", "1.22.10"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(err.contains(archive), "{err}");
    assert_eq!(mirror.hits(archive), 4, "a dropped connection is transient");
    assert!(env.store_entries("versions").is_empty());
    assert!(env.store_entries("tmp").is_empty());
}

fn assert_refused(entries: Vec<Entry>, expect: &str) {
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.extend(entries);
    let (_m, env) = mirror_with(&[Release::with_archive("go1.22.10", tar_gz(&tree))]);
    let out = env.gopin(&["install", "1.22.10"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("refusing to install") && err.contains(expect),
        "{err}"
    );
    assert!(env.store_entries("versions").is_empty());
    assert!(env.store_entries("tmp").is_empty());
    assert!(!env.dir.path().join("escape").exists());
    assert!(!env.store().join("escape").exists());
}

#[test]
fn entries_escaping_the_tree_are_refused() {
    assert_refused(vec![Entry::RawName("go/../../../escape")], "contains '..'");
    assert_refused(vec![Entry::RawName("/tmp/gopin-escape")], "absolute path");
    assert_refused(
        vec![Entry::RawName("notgo/escape")],
        "outside the go/ directory",
    );
}

#[test]
fn links_leaving_the_tree_and_devices_are_refused() {
    assert_refused(
        vec![Entry::Symlink("go/evil", "../../../../escape")],
        "outside the go/ tree",
    );
    assert_refused(
        vec![Entry::Symlink("go/evil", "/etc")],
        "outside the go/ tree",
    );
    assert_refused(vec![Entry::Hardlink("go/evil", "/etc/passwd")], "hard link");
    assert_refused(vec![Entry::CharDevice("go/null")], "device");
}

#[test]
fn links_inside_the_tree_are_kept() {
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::Symlink("go/bin/gofmt2", "gofmt"));
    tree.push(Entry::Hardlink("go/bin/go2", "go/bin/go"));
    let (_m, env) = mirror_with(&[Release::with_archive("go1.22.10", tar_gz(&tree))]);
    env.gopin(&["install", "1.22.10"]).assert().success();
    let bin = env.goroot("go1.22.10.linux-amd64").join("bin");
    assert_eq!(
        std::fs::read_link(bin.join("gofmt2")).unwrap().to_str(),
        Some("gofmt")
    );
    assert_eq!(
        std::fs::read(bin.join("go2")).unwrap(),
        std::fs::read(bin.join("go")).unwrap()
    );
}

#[test]
fn concurrent_installs_download_once() {
    let r = Release::linux("go1.22.10");
    let body = r.archives[0].2.clone();
    let (mirror, env) = mirror_with(&[r]);
    let archive = "/dl/go1.22.10.linux-amd64.tar.gz";
    mirror.set(
        archive,
        Reply::Slow {
            body,
            pause: Duration::from_millis(100),
        },
    );
    let spawn = || {
        let mut cmd = env.command(&["install", "1.22.10"]);
        cmd.stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success());
    assert_eq!(mirror.hits(archive), 1, "the second waited and reused it");
    let messages = stderr_of(&a) + &stderr_of(&b);
    assert!(messages.contains("already installed"), "{messages}");
    assert_eq!(env.store_entries("versions"), ["go1.22.10.linux-amd64"]);
}

#[test]
fn stale_temporary_directories_are_cleaned() {
    let (_m, env) = mirror_with(&standard_releases());
    let stale = env.store().join("tmp/go1.22.10.linux-amd64.killed");
    std::fs::create_dir_all(stale.join("go/bin")).unwrap();
    env.gopin(&["install", "1.21.13"]).assert().success();
    assert!(!stale.exists());
}

#[test]
fn uninstall_exact_prefix_and_all() {
    let (_m, env) = mirror_with(&standard_releases());
    env.gopin(&["install", "1.22.10", "1.22.9", "1.21.13"])
        .assert()
        .success();
    let out = env.gopin(&["uninstall", "1.22"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(err.contains("--all") && err.contains("go1.22.9"), "{err}");
    env.gopin(&["uninstall", "1.21.13"]).assert().success();
    env.gopin(&["uninstall", "1.22", "--all"])
        .assert()
        .success();
    assert!(env.store_entries("versions").is_empty());
    let out = env.gopin(&["uninstall", "1.21.13"]).assert().code(1);
    assert!(stderr_of(out.get_output()).contains("not installed"));
}

#[test]
fn ls_and_ls_remote_json() {
    let (_m, env) = mirror_with(&standard_releases());
    env.gopin(&["install", "1.22.9"]).assert().success();
    let out = env.gopin(&["ls", "--json"]).assert().success();
    let ls: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(ls[0]["version"], "go1.22.9");
    assert_eq!(ls[0]["os"], "linux");
    assert_eq!(ls[0]["active"], false);
    assert_eq!(ls.as_array().unwrap().len(), 1);
    std::fs::write(env.work().join(".go-version"), "1.22\n").unwrap();
    let out = env.gopin(&["ls"]).assert().success();
    let text = ls_without_sizes(&stdout_of(out.get_output()));
    assert!(
        text.starts_with("* go1.22.9  linux/amd64  (selected by "),
        "{text}"
    );
    assert!(text.trim_end().ends_with(".go-version)"), "{text}");

    let out = env.gopin(&["ls-remote", "--json"]).assert().success();
    let remote: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let versions: Vec<&str> = remote
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        versions,
        ["go1.22.10", "go1.22.9", "go1.21.13", "go1.20.14", "go1.20"]
    );
    assert_eq!(remote[1]["installed"], true);
    let out = env
        .gopin(&["ls-remote", "1.23", "--all"])
        .assert()
        .success();
    // Piped: bare versions, one a line (annotations are for a terminal, or --json).
    assert_eq!(stdout_of(out.get_output()), "go1.23rc1\n");
    let out = env.gopin(&["ls-remote", "1.23"]).assert().success();
    assert_eq!(stdout_of(out.get_output()), "");
    assert!(stderr_of(out.get_output()).contains("only pre-releases"));
    let out = env.gopin(&["ls-remote", "1.20"]).assert().success();
    assert_eq!(stdout_of(out.get_output()), "go1.20.14\ngo1.20\n");
}

#[test]
fn index_is_cached_and_used_offline() {
    let (mirror, env) = mirror_with(&standard_releases());
    env.gopin(&["ls-remote"]).assert().success();
    env.gopin(&["ls-remote"]).assert().success();
    assert_eq!(mirror.hits("/index.json"), 1, "the cache is fresh");
    env.gopin(&["ls-remote", "--refresh"]).assert().success();
    assert_eq!(mirror.hits("/index.json"), 2);
    mirror.set("/index.json", Reply::Status(503));
    let out = env.gopin(&["ls-remote", "--refresh"]).assert().success();
    let err = stderr_of(out.get_output());
    assert!(err.contains("cached"), "{err}");
    assert_eq!(
        stdout_of(out.get_output()).lines().next(),
        Some("go1.22.10")
    );
}

#[test]
fn unreachable_index_without_cache_is_a_clear_error() {
    let env = Env::with_urls("http://127.0.0.1:9/index.json", "http://127.0.0.1:9/");
    let out = env.gopin(&["install", "1.22"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("127.0.0.1:9") && err.contains("GOPIN_INDEX_URL"),
        "{err}"
    );
}

#[test]
fn lying_index_is_a_clear_error() {
    let mirror = Mirror::start();
    mirror.set("/index.json", Reply::Body(b"<html>oops</html>".to_vec()));
    let env = Env::new(&mirror);
    let out = env.gopin(&["install", "1.22"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("is not valid") && err.contains("/index.json"),
        "{err}"
    );
}

#[test]
fn file_urls_and_plain_paths_serve_an_air_gapped_mirror() {
    let releases = standard_releases();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.json"), index_json(&releases)).unwrap();
    for r in &releases {
        std::fs::write(
            dir.path().join(r.filename("linux", "amd64")),
            &r.archives[0].2,
        )
        .unwrap();
    }
    let d = dir.path().display();
    let env = Env::with_urls(&format!("file://{d}/index.json"), &format!("file://{d}"));
    env.gopin(&["install", "1.22"]).assert().success();
    let env = Env::with_urls(&format!("{d}/index.json"), &format!("{d}/"));
    env.gopin(&["install", "1.21"]).assert().success();
    assert_eq!(env.store_entries("versions"), ["go1.21.13.linux-amd64"]);
}

#[test]
fn missing_checksum_falls_back_to_sha256_file_or_refuses() {
    let mut r = Release::linux("go1.22.10");
    r.sha_override = Some(String::new());
    let sum = sha256_hex(&r.archives[0].2);
    let (mirror, env) = mirror_with(&[r]);
    let out = env.gopin(&["install", "1.22.10"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("no SHA-256") && err.contains(".sha256"),
        "{err}"
    );
    assert!(env.store_entries("versions").is_empty());
    mirror.set(
        "/dl/go1.22.10.linux-amd64.tar.gz.sha256",
        Reply::Body(sum.into_bytes()),
    );
    env.gopin(&["install", "1.22.10"]).assert().success();
}

#[test]
fn other_platforms_install_beside_the_host() {
    let mut r = Release::linux("go1.22.10");
    r.archives.push((
        "linux",
        "arm64",
        tar_gz(&go_tree("go1.22.10", "linux/arm64")),
    ));
    let (_m, env) = mirror_with(&[r]);
    env.gopin(&["install", "1.22", "--os", "linux", "--arch", "aarch64"])
        .assert()
        .success();
    env.gopin(&["install", "1.22"]).assert().success();
    assert_eq!(
        env.store_entries("versions"),
        ["go1.22.10.linux-amd64", "go1.22.10.linux-arm64"]
    );
    let out = env
        .gopin(&["install", "1.22", "--os", "darwin", "--arch", "arm64"])
        .assert()
        .code(1);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("no .tar.gz archive for darwin/arm64") && err.contains("linux/arm64"),
        "{err}"
    );
}

#[test]
fn plain_http_to_other_hosts_needs_opt_in() {
    let env = Env::with_urls("http://mirror.invalid/index.json", "http://mirror.invalid/");
    let out = env.gopin(&["ls-remote"]).assert().code(1);
    assert!(stderr_of(out.get_output()).contains("allow_http"));
}

#[test]
fn a_killed_install_leaves_nothing_visible_and_is_cleaned_up() {
    let r = Release::linux("go1.22.10");
    let body = r.archives[0].2.clone();
    let (mirror, env) = mirror_with(&[r, Release::linux("go1.21.13")]);
    mirror.set(
        "/dl/go1.22.10.linux-amd64.tar.gz",
        Reply::Slow {
            body,
            pause: Duration::from_millis(300),
        },
    );
    let mut child = env
        .command(&["install", "1.22.10"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the download is under way, then kill it the hard way.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while env.store_entries("tmp").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !env.store_entries("tmp").is_empty(),
        "the kill left a temporary dir"
    );
    assert!(
        env.store_entries("versions").is_empty(),
        "nothing half-installed is visible"
    );
    env.gopin(&["install", "1.21.13"]).assert().success();
    assert!(
        env.store_entries("tmp").is_empty(),
        "the next run cleaned up"
    );
    assert_eq!(env.store_entries("versions"), ["go1.21.13.linux-amd64"]);
}

#[test]
fn unsupported_host_platforms_are_a_clear_error() {
    let (_m, env) = mirror_with(&standard_releases());
    let out = env
        .gopin(&["install", "1.22"])
        .env("GOPIN_ARCH", "sparc")
        .assert()
        .code(1);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("'sparc' is not an architecture Go ships for"),
        "{err}"
    );
    let out = env
        .gopin(&["install", "1.22", "--os", "beos"])
        .assert()
        .code(1);
    assert!(stderr_of(out.get_output()).contains("'beos'"));
    // Empty is unset, as for Go's GOOS and GOARCH: the shell hook cannot tell them apart.
    env.gopin(&["install", "1.22"])
        .env("GOPIN_OS", "")
        .env("GOPIN_ARCH", "")
        .assert()
        .success();
}

#[test]
fn a_matching_checksum_on_a_non_go_archive_is_refused() {
    // The index's checksum is right, but the bytes are not a gzip'd tar.
    let (_m, env) = mirror_with(&[Release::with_archive(
        "go1.22.10",
        b"<html>maintenance</html>".to_vec(),
    )]);
    let out = env.gopin(&["install", "1.22.10"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("is not a valid Go archive") && err.contains("download_url"),
        "{err}"
    );
    assert!(env.store_entries("versions").is_empty());
    assert!(env.store_entries("tmp").is_empty());

    // A well-formed archive that is not a Go distribution.
    let (_m, env) = mirror_with(&[Release::with_archive(
        "go1.22.10",
        tar_gz(&[Entry::File("go/README".into(), 0o644, b"hi".to_vec())]),
    )]);
    let out = env.gopin(&["install", "1.22.10"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(err.contains("it has no go/bin/go"), "{err}");
    assert!(env.store_entries("versions").is_empty());
}

#[test]
fn a_fifo_sha256_on_a_file_mirror_whose_index_lacks_the_digest_is_refused_unopened() {
    let mut r = Release::linux("go1.22.10");
    r.sha_override = Some(String::new());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.json"),
        index_json(std::slice::from_ref(&r)),
    )
    .unwrap();
    let name = r.filename("linux", "amd64");
    std::fs::write(dir.path().join(&name), &r.archives[0].2).unwrap();
    mkfifo(&dir.path().join(format!("{name}.sha256")));
    let d = dir.path().display();
    let env = Env::with_urls(&format!("file://{d}/index.json"), &format!("file://{d}"));
    let out = output_within(env.command(&["install", "1.22.10"]), 60);
    let err = one_error_line(&out);
    assert!(
        err.contains("the index lists no SHA-256")
            && err.contains(&format!("{name}.sha256 is a FIFO (named pipe)")),
        "{err}"
    );
    assert!(env.store_entries("versions").is_empty());
}
