//! The module-proxy source through the real binary (docs/sources.md): a loopback module proxy and
//! checksum database (`support::goproxy`) serve `golang.org/toolchain`, and gopin must install
//! only what the database proves, refusing every way of tampering with nothing installed.

use crate::support;

use support::goproxy::{GoProxy, Key, Published, SUMDB_NAME, h1_of_zip, toolchain_zip};
use support::*;

const NAME: &str = "go1.22.10.linux-amd64";
const MODULE_VERSION: &str = "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64";
const ZIP: &str = "/proxy/golang.org/toolchain/@v/v0.0.1-go1.22.10.linux-amd64.zip";

/// A proxy with go1.21.13, go1.22.9, go1.22.10 (whose tree holds nested go.mod files, as a
/// real one does) and go1.23rc1 for linux/amd64, and go1.22.10 for linux/arm64. Returns the
/// server and go1.22.10 for linux/amd64 as published.
fn server() -> (GoProxy, Published) {
    let s = GoProxy::start();
    s.publish("go1.21.13", "linux/amd64");
    s.publish("go1.22.9", "linux/amd64");
    let published = s.publish_tree("go1.22.10", "linux/amd64", &tree_with_go_mods());
    s.publish("go1.22.10", "linux/arm64");
    s.publish("go1.23rc1", "linux/amd64");
    (s, published)
}

fn tree_with_go_mods() -> Vec<Entry> {
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::File(
        "go/src/go.mod".into(),
        0o644,
        b"module std\n".to_vec(),
    ));
    tree.push(Entry::File(
        "go/src/cmd/go.mod".into(),
        0o644,
        b"module cmd\n".to_vec(),
    ));
    tree
}

/// go1.22.10's zip with one file more (`path`, `mode`, `data`) than the database records,
/// served in place of the published one; returns it.
fn serve_evil_zip(s: &GoProxy, path: &str, mode: u32, data: &[u8]) -> Vec<u8> {
    let mut tree = tree_with_go_mods();
    tree.push(Entry::File(path.into(), mode, data.to_vec()));
    let evil = toolchain_zip(&tree, "v0.0.1-go1.22.10.linux-amd64");
    s.replace_zip("go1.22.10", "linux/amd64", evil.clone());
    evil
}

fn record(env: &Env, name: &str) -> serde_json::Value {
    let path = env.store().join("versions").join(name).join("install.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Runs `args`, which must fail with one error sentence holding each of `want`, leaving
/// nothing installed and nothing in `tmp/`.
fn refused(env: &Env, args: &[&str], want: &[&str]) -> String {
    let out = env.gopin(args).output().unwrap();
    let err = one_error_line(&out);
    for w in want {
        assert!(err.contains(w), "wanted {w:?} in: {err}");
    }
    assert!(env.store_entries("versions").is_empty(), "{err}");
    assert!(env.store_entries("tmp").is_empty(), "{err}");
    err
}

#[test]
fn with_goproxy_set_install_takes_a_verified_go_from_the_proxy() {
    let (s, published) = server();
    let env = s.env();
    let out = env.gopin(&["install", "1.22"]).assert().success();
    let err = stderr_of(out.get_output());
    assert!(err.contains("installed go1.22.10 (linux/amd64)"), "{err}");
    assert!(
        err.contains("downloading v0.0.1-go1.22.10.linux-amd64.zip"),
        "{err}"
    );
    let goroot = env.goroot(NAME);
    let version = std::process::Command::new(goroot.join("bin/go"))
        .arg("version")
        .output()
        .unwrap();
    assert_eq!(stdout_of(&version), "go version go1.22.10 linux/amd64\n");
    // The nested go.mod files come back, as `go` restores them after unzipping a toolchain.
    for (file, text) in [
        ("src/go.mod", "module std\n"),
        ("src/_go.mod", "module std\n"),
        ("src/cmd/go.mod", "module cmd\n"),
    ] {
        assert_eq!(std::fs::read_to_string(goroot.join(file)).unwrap(), text);
    }
    assert!(env.store_entries("tmp").is_empty());

    // The record says where it came from and what proved it.
    let r = record(&env, NAME);
    let source = &r["source"];
    assert_eq!(source["kind"], "goproxy");
    assert_eq!(source["module"], MODULE_VERSION);
    assert_eq!(source["proxy"], s.proxy_url().as_str());
    assert_eq!(source["h1"], published.h1.as_str());
    assert!(source.get("unverified").is_none(), "{source}");
    let proof = &source["verification"];
    assert_eq!(proof["kind"], "sumdb");
    assert_eq!(proof["database"], SUMDB_NAME);
    assert_eq!(proof["h1"], published.h1.as_str());
    assert_eq!(proof["record"], published.id);
    assert_eq!(proof["tree_size"], s.tree_size());
    assert!(
        proof["tree_note"]
            .as_str()
            .unwrap()
            .starts_with(&format!("go.sum database tree\n{}\n", s.tree_size())),
        "{proof}"
    );
    assert_eq!(r["url"], s.mirror.url(ZIP).as_str());
    assert_eq!(r["sha256"], sha256_hex(&published.zip).as_str());
    assert_eq!(r["files"]["bin/go"]["mode"], 0o755);
    assert_eq!(r["files"]["src/go.mod"]["type"], "file");
    // The database was asked through the proxy, which says it serves it.
    let lookup = format!("/proxy/sumdb/{SUMDB_NAME}/lookup/{MODULE_VERSION}");
    assert_eq!(s.mirror.hits(&lookup), 1);

    // ls and doctor treat it like any other install.
    let out = env.gopin(&["ls"]).assert().success();
    assert_eq!(
        ls_without_sizes(&stdout_of(out.get_output())),
        "  go1.22.10  linux/amd64\n"
    );
    let checks = doctor_store_checks(&env);
    assert_eq!(checks.len(), 1);
    assert!(checks[0].0, "{checks:?}");
    assert!(
        checks[0].1.contains("files match the install record")
            && !checks[0].1.contains("UNVERIFIED"),
        "{checks:?}"
    );
    // A changed file is found as for any install.
    std::fs::write(goroot.join("src/go.mod"), "module evil\n").unwrap();
    let checks = doctor_store_checks(&env);
    assert!(
        !checks[0].0 && checks[0].1.contains("src/go.mod was modified"),
        "{checks:?}"
    );
}

#[test]
fn ls_remote_lists_the_proxy_s_releases_for_the_platform() {
    let (s, _) = server();
    let env = s.env();
    let out = env.gopin(&["-v", "ls-remote", "--json"]).assert().success();
    let err = stderr_of(out.get_output());
    assert!(
        err.contains(&format!(
            "source: the module proxy (GOPROXY={})",
            s.proxy_url()
        )) && err.contains(&format!(
            "as source = \"auto\" and GOPROXY={} names a proxy",
            s.proxy_url()
        )),
        "{err}"
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let versions: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["go1.22.10", "go1.22.9", "go1.21.13"]);
    let out = env.gopin(&["ls-remote", "--all"]).assert().success();
    assert_eq!(
        stdout_of(out.get_output()),
        "go1.23rc1\ngo1.22.10\ngo1.22.9\ngo1.21.13\n"
    );
    let out = env.gopin(&["ls-remote", "1.22"]).assert().success();
    assert_eq!(stdout_of(out.get_output()), "go1.22.10\ngo1.22.9\n");
    let arm = s.env().with_var("GOPIN_ARCH", "arm64");
    let out = arm.gopin(&["ls-remote"]).assert().success();
    assert_eq!(stdout_of(out.get_output()), "go1.22.10\n");
    // What the proxy does not list is named with where gopin looked.
    let err = refused(
        &env,
        &["install", "1.24"],
        &[
            "no Go release matches",
            "golang.org/toolchain",
            "linux/amd64",
        ],
    );
    assert!(err.contains(&s.proxy_url()), "{err}");
}

#[test]
fn use_outdated_and_upgrade_work_from_the_proxy() {
    let s = GoProxy::start();
    s.publish("go1.21.12", "linux/amd64");
    let env = s.env();
    env.gopin(&["use", "1.21"]).assert().success();
    let pin = std::fs::read_to_string(env.work().join(".go-version")).unwrap();
    assert_eq!(pin, "1.21.12\n");
    s.publish("go1.21.13", "linux/amd64");
    let out = env.gopin(&["outdated"]).assert().success();
    assert!(
        stdout_of(out.get_output()).starts_with("go1.21.12  go1.21.13 is out"),
        "{}",
        stdout_of(out.get_output())
    );
    env.gopin(&["upgrade", "--pin"]).assert().success();
    assert_eq!(
        env.store_entries("versions"),
        ["go1.21.12.linux-amd64", "go1.21.13.linux-amd64"]
    );
    let pin = std::fs::read_to_string(env.work().join(".go-version")).unwrap();
    assert_eq!(pin, "1.21.13\n");
    assert_eq!(
        record(&env, "go1.21.13.linux-amd64")["source"]["kind"],
        "goproxy"
    );
}

#[test]
fn go_s_default_goproxy_or_source_go_dev_keep_the_index() {
    let (mirror, env) = mirror_with(&[Release::linux("go1.22.10")]);
    // An index the user set is a choice of go.dev, whatever GOPROXY says (src/source's
    // unit tests cover Go's default GOPROXY without one).
    let env = env.with_var("GOPROXY", "https://proxy.golang.org,direct");
    let out = env.gopin(&["-v", "install", "1.22"]).assert().success();
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("source: go.dev's index at")
            && err.contains("as source = \"auto\" and GOPIN_INDEX_URL names a go.dev-style source"),
        "{err}"
    );
    let r = record(&env, NAME);
    assert_eq!(r["source"]["kind"], "go.dev");
    assert_eq!(r["source"]["index"], mirror.url("/index.json").as_str());
    assert_eq!(r["source"]["sha256_from"], "index");
    // source = "go.dev" wins over any GOPROXY.
    let env = env
        .with_var("GOPROXY", "http://127.0.0.1:9/nowhere")
        .with_var("GOPIN_SOURCE_KIND", "go.dev");
    env.gopin(&["install", "--force", "1.22"])
        .assert()
        .success();
    assert_eq!(mirror.hits("/dl/go1.22.10.linux-amd64.tar.gz"), 2);
    // And a bad value names the variable.
    let env = env.with_var("GOPIN_SOURCE_KIND", "github");
    let out = env.gopin(&["ls-remote"]).output().unwrap();
    assert!(one_error_line(&out).contains("GOPIN_SOURCE_KIND=github is not valid"));
}

#[test]
fn a_goproxy_written_by_go_env_w_is_honoured() {
    let (s, _) = server();
    let env = Env::with_urls("", "").with_var("HTTPS_PROXY", "http://127.0.0.1:9");
    let go_env = env.dir.path().join("home/.config/go");
    std::fs::create_dir_all(&go_env).unwrap();
    std::fs::write(
        go_env.join("env"),
        format!(
            "GOPROXY={}\nGOSUMDB={}\n",
            s.proxy_url(),
            s.gosumdb_direct()
        ),
    )
    .unwrap();
    env.gopin(&["install", "1.21"]).assert().success();
    // GOSUMDB named the database's own URL: no proxy was asked for it.
    let lookup = "/sumdb/lookup/golang.org/toolchain@v0.0.1-go1.21.13.linux-amd64";
    assert_eq!(s.mirror.hits(lookup), 1);
    assert_eq!(
        record(&env, "go1.21.13.linux-amd64")["source"]["verification"]["url"],
        s.mirror.url(lookup).as_str()
    );
}

#[test]
fn a_zip_changed_after_its_record_is_refused() {
    let (s, published) = server();
    let evil = serve_evil_zip(
        &s,
        "go/src/runtime/zz_evil.go",
        0o644,
        b"package runtime\n\nfunc init() {}\n",
    );
    refused(
        &s.env(),
        &["install", "1.22.10"],
        &[
            &format!("checksum mismatch for {MODULE_VERSION}"),
            &format!(
                "the zip from {} hashes to {}",
                s.mirror.url(ZIP),
                h1_of_zip(&evil)
            ),
            &format!(
                "the checksum database {SUMDB_NAME} records {}",
                published.h1
            ),
        ],
    );
}

#[test]
fn a_record_changed_after_signing_is_refused_before_the_download() {
    let (s, _) = server();
    let evil = serve_evil_zip(&s, "go/bin/evil", 0o755, b"#!/bin/sh\n");
    s.tamper_record("go1.22.10", "linux/amd64", &h1_of_zip(&evil));
    refused(
        &s.env(),
        &["install", "1.22.10"],
        &["SECURITY ERROR", SUMDB_NAME, "nothing was installed"],
    );
    assert_eq!(s.mirror.hits(ZIP), 0, "the zip is never fetched");
}

#[test]
fn a_tree_signed_by_another_key_is_refused() {
    let (s, _) = server();
    s.sign_with(Key::new(SUMDB_NAME, 7));
    refused(
        &s.env(),
        &["install", "1.22.10"],
        &["does not verify against the key", SUMDB_NAME],
    );
    assert_eq!(s.mirror.hits(ZIP), 0);
}

#[test]
fn a_tree_that_does_not_hold_the_record_is_refused() {
    let (s, published) = server();
    s.answer_with_tree_before("go1.22.10", "linux/amd64");
    refused(
        &s.env(),
        &["install", "1.22.10"],
        &[
            "SECURITY ERROR",
            &format!(
                "record #{} is in the tree of size {}",
                published.id, published.id
            ),
        ],
    );
    assert_eq!(s.mirror.hits(ZIP), 0);
}

#[test]
fn a_forked_or_rolled_back_log_is_refused_and_a_lagging_one_is_not() {
    let s = GoProxy::start();
    s.publish("go1.22.9", "linux/amd64");
    s.publish("go1.22.10", "linux/amd64");
    let env = s.env();
    // A lagging copy of the same history is fine: this machine keeps tree #2 afterwards.
    s.serve_earlier_tree(1);
    env.gopin(&["install", "1.22.9"]).assert().success();
    s.serve_earlier_tree(2);
    env.gopin(&["install", "1.22.10"]).assert().success();
    for v in ["1.22.9", "1.22.10"] {
        env.gopin(&["uninstall", v]).assert().success();
    }
    // The log is rewritten after its first record: tree #3 does not extend tree #2.
    s.rewrite_history(1);
    let err = refused(
        &env,
        &["install", "1.22.10"],
        &[
            "SECURITY ERROR",
            "tree #3",
            "not consistent with tree #2",
            "rewritten or forked",
        ],
    );
    assert!(err.contains("sumdb"), "names the kept tree's file: {err}");
    // Rolled back to a tree of the same size as the one kept, with another history.
    s.serve_earlier_tree(2);
    refused(
        &env,
        &["install", "1.22.9"],
        &["SECURITY ERROR", "tree #2", "not consistent with tree #2"],
    );
}

#[test]
fn a_proxy_that_answers_not_found_hands_over_to_the_next() {
    let (s, _) = server();
    let other = Mirror::start();
    let list = "golang.org/toolchain/@v/list";
    let env = s.env().with_var(
        "GOPROXY",
        &format!("{},{}", other.url("/empty"), s.proxy_url()),
    );
    env.gopin(&["install", "1.22"]).assert().success();
    assert_eq!(other.hits(&format!("/empty/{list}")), 1);
    assert_eq!(
        other.hits("/empty/golang.org/toolchain/@v/v0.0.1-go1.22.10.linux-amd64.zip"),
        1
    );
    assert_eq!(
        record(&env, NAME)["source"]["proxy"],
        s.proxy_url().as_str()
    );

    // A failure that is not "not found" stops a comma-separated list, not a pipe.
    other.set(&format!("/broken/{list}"), Reply::Status(500));
    let broken = |sep: &str| {
        s.env().with_var(
            "GOPROXY",
            &format!("{}{sep}{}", other.url("/broken"), s.proxy_url()),
        )
    };
    refused(&broken(","), &["install", "1.22"], &["500", "/broken/"]);
    broken("|").gopin(&["install", "1.22"]).assert().success();
}

#[test]
fn an_index_the_user_set_wins_over_goproxy_off_or_direct() {
    for goproxy in ["off", "direct"] {
        let (mirror, env) = mirror_with(&[Release::linux("go1.22.10")]);
        let env = env.with_var("GOPROXY", goproxy);
        let out = env.gopin(&["-v", "install", "1.22"]).assert().success();
        let err = stderr_of(out.get_output());
        assert!(
            err.contains(&format!(
                "source: go.dev's index at {}, as source = \"auto\" and GOPIN_INDEX_URL names a go.dev-style source",
                mirror.url("/index.json")
            )),
            "{goproxy}: {err}"
        );
        assert_eq!(record(&env, NAME)["source"]["kind"], "go.dev");
        // The same from the config file.
        let (mirror, env) = mirror_with(&[Release::linux("go1.22.10")]);
        let config = format!(
            "index_url = \"{}\"\ndownload_url = \"{}\"\n",
            mirror.url("/index.json"),
            mirror.url("/dl/")
        );
        std::fs::write(env.dir.path().join("config.toml"), config).unwrap();
        let env = Env {
            index_url: String::new(),
            download_url: String::new(),
            ..env
        }
        .with_var("GOPROXY", goproxy);
        let out = env.gopin(&["-v", "install", "1.22"]).assert().success();
        let err = stderr_of(out.get_output());
        assert!(err.contains("and index_url in "), "{goproxy}: {err}");
        assert_eq!(record(&env, NAME)["source"]["kind"], "go.dev");
    }
}

#[test]
fn goproxy_off_is_refused_with_the_way_out() {
    let (s, _) = server();
    refused(
        &s.env()
            .with_var("GOPROXY", "off")
            .with_var("GOPIN_SOURCE_KIND", "goproxy"),
        &["install", "1.22"],
        &[
            "GOPROXY=off",
            "source = \"go.dev\"",
            "GOPIN_SOURCE_KIND=go.dev",
        ],
    );
}

#[test]
fn nothing_unverified_is_installed_unless_allowed_and_then_it_says_so() {
    let (s, published) = server();
    let off = s.env().with_var("GOSUMDB", "off");
    refused(
        &off,
        &["install", "1.22.10"],
        &[
            &format!("refusing to install {MODULE_VERSION}: GOSUMDB=off"),
            "allow_unverified = true",
            "GOPIN_ALLOW_UNVERIFIED=1",
        ],
    );
    let private = s.env().with_var("GONOSUMDB", "golang.org/*");
    refused(
        &private,
        &["install", "1.22.10"],
        &[
            "GONOSUMDB=golang.org/* covers golang.org/toolchain",
            "allow_unverified",
        ],
    );
    assert_eq!(s.mirror.hits(ZIP), 0);

    let allowed = off.with_var("GOPIN_ALLOW_UNVERIFIED", "1");
    let out = allowed.gopin(&["install", "1.22.10"]).assert().success();
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("warning: installing") && err.contains("unverified (GOSUMDB=off)"),
        "{err}"
    );
    let source = &record(&allowed, NAME)["source"];
    assert_eq!(source["unverified"], "GOSUMDB=off");
    assert_eq!(source["verification"]["kind"], "unverified");
    assert_eq!(source["h1"], published.h1.as_str());
    let out = allowed.gopin(&["ls"]).assert().success();
    assert_eq!(
        ls_without_sizes(&stdout_of(out.get_output())),
        "  go1.22.10  linux/amd64  (unverified: GOSUMDB=off)\n"
    );
    let out = allowed.gopin(&["ls", "--json"]).assert().success();
    let ls: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(ls[0]["unverified"], "GOSUMDB=off");
    let checks = doctor_store_checks(&allowed);
    assert!(
        checks[0].0 && checks[0].1.contains("UNVERIFIED (GOSUMDB=off)"),
        "{checks:?}"
    );
}

/// `gopin ARGS` under umask 0, so a file is created with exactly the mode gopin asks for.
fn under_umask_0(env: &Env, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = env.command(args);
    // SAFETY: umask is async-signal-safe and touches nothing but this child.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    cmd.output().unwrap()
}

#[test]
fn zip_modes_are_not_honoured_and_doctor_flags_writable_files_whatever_the_record_says() {
    use std::os::unix::fs::PermissionsExt;
    // The honest tree, zipped with modes no release has: the h1 covers names and contents
    // only, so the database proves this zip.
    let mut tree = tree_with_go_mods();
    for entry in &mut tree {
        if let Entry::File(path, mode, _) = entry {
            match path.as_str() {
                "go/bin/go" | "go/src/runtime/runtime.go" => *mode = 0o777,
                "go/bin/gofmt" => *mode = 0o4777,
                "go/VERSION" => *mode = 0o666,
                _ => {}
            }
        }
    }
    let s = GoProxy::start();
    s.publish_tree("go1.22.10", "linux/amd64", &tree);
    let env = s.env();
    let out = under_umask_0(&env, &["install", "1.22.10"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let goroot = env.goroot(NAME);
    let r = record(&env, NAME);
    support::assert_installed_modes(
        &goroot,
        &r,
        &[
            ("bin/go", 0o755),
            ("bin/gofmt", 0o755),
            ("src/runtime/runtime.go", 0o644),
            ("VERSION", 0o644),
        ],
    );
    assert!(doctor_store_checks(&env)[0].0);

    // A record that allows it does not make a writable file fine: doctor flags it anyway.
    let path = env.store().join("versions").join(NAME).join("install.json");
    let mut edited = r.clone();
    edited["files"]["src/runtime/runtime.go"]["mode"] = 0o777.into();
    edited["files"]["bin/gofmt"]["mode"] = 0o4755.into();
    std::fs::write(&path, serde_json::to_vec(&edited).unwrap()).unwrap();
    let chmod = |rel: &str, mode| {
        std::fs::set_permissions(goroot.join(rel), std::fs::Permissions::from_mode(mode)).unwrap()
    };
    chmod("src/runtime/runtime.go", 0o777);
    chmod("bin/gofmt", 0o4755);
    let checks = doctor_store_checks(&env);
    assert!(!checks[0].0, "{checks:?}");
    assert!(
        checks[0]
            .1
            .contains("src/runtime/runtime.go has mode 0777 (group-writable, world-writable)")
            && checks[0].1.contains("bin/gofmt has mode 4755 (setuid)"),
        "{checks:?}"
    );
}

#[test]
fn an_older_tree_is_proved_from_the_kept_tiles_and_a_fork_of_it_is_a_security_error() {
    let s = GoProxy::start();
    s.publish("go1.22.9", "linux/amd64");
    s.publish("go1.22.10", "linux/amd64");
    let env = s.env();
    env.gopin(&["install", "1.22.10"]).assert().success();
    // Now a server that only knows tree #1, a true prefix of the kept #2, and has no tile of
    // #2: proved from the tiles this machine kept.
    s.serve_earlier_tree(1);
    let out = env.gopin(&["install", "1.22.9"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    for v in ["1.22.9", "1.22.10"] {
        env.gopin(&["uninstall", v]).assert().success();
    }
    // Another server under the same key whose history is not this one: go1.22.10 is its first
    // record, so its tree #1 is no prefix of the kept #2.
    let other = GoProxy::start();
    other.publish("go1.22.10", "linux/amd64");
    let forked = env.with_var("GOPROXY", &other.proxy_url());
    let err = refused(
        &forked,
        &["install", "1.22.10"],
        &["SECURITY ERROR", "tree #1"],
    );
    assert!(
        err.contains("not consistent with tree #2") && !err.contains("index_url"),
        "{err}"
    );
    // It grows past the kept tree without ever having held it: a fork after it.
    other.publish("go1.22.9", "linux/amd64");
    other.add_other_records(3);
    let err = refused(
        &forked,
        &["install", "1.22.9"],
        &["SECURITY ERROR", "tree #5"],
    );
    assert!(err.contains("not consistent with tree #2"), "{err}");
    // A server that lost tiles is not a fork, and is named as GOSUMDB's, never index_url's.
    let lost = GoProxy::start();
    lost.publish("go1.22.9", "linux/amd64");
    lost.publish("go1.22.10", "linux/amd64");
    lost.add_other_records(1);
    for base in ["/sumdb".to_string(), format!("/proxy/sumdb/{SUMDB_NAME}")] {
        lost.mirror
            .set(&format!("{base}/tile/8/0/000.p/3"), Reply::Status(404));
    }
    let fresh = lost.env();
    let err = refused(
        &fresh,
        &["install", "1.22.9"],
        &["tile/8/0/000.p/3", "GOSUMDB"],
    );
    assert!(
        !err.contains("index_url") && !err.contains("SECURITY ERROR"),
        "{err}"
    );
}
