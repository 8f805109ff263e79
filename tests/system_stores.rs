//! System stores (docs/store.md, "System stores"): a store provisioned once (an image, an
//! admin), mounted read-only, serves a pinned version with no network; the user's writable
//! state (GOBIN) stays in the user's store; nothing of gopin writes or removes there.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{self, Entry, Env, Release, namespaces_available, stderr_of, stdout_of};

/// A Go whose `go install PKG` builds a tool named after PKG's last element into `$GOBIN`,
/// as the real one does (and fails where GOBIN cannot be written).
fn go_script(version: &str) -> Vec<u8> {
    format!(
        r#"#!/bin/sh
case "$1" in
  version) echo "go version {version} linux/amd64" ;;
  install)
    [ -n "$GOBIN" ] || {{ echo "GOBIN is not set" >&2; exit 2; }}
    mkdir -p "$GOBIN" || exit 1
    tool="$GOBIN/$(basename "$2")"
    printf '#!/bin/sh\necho built by {version}\n' > "$tool" || exit 1
    chmod +x "$tool" ;;
  *) echo "fake go: $*" ;;
esac
"#
    )
    .into_bytes()
}

fn release(version: &'static str) -> Release {
    let tree = vec![
        Entry::Dir("go/"),
        Entry::Dir("go/bin/"),
        Entry::File("go/bin/go".into(), 0o755, go_script(version)),
        Entry::File("go/bin/gofmt".into(), 0o755, b"#!/bin/sh\n".to_vec()),
        Entry::File(
            "go/VERSION".into(),
            0o644,
            format!("{version}\ntime 2024-01-01T00:00:00Z\n").into_bytes(),
        ),
    ];
    Release::with_archive(version, support::tar_gz(&tree))
}

/// A system store at `<dir>/system` with go1.22.10 installed from a mirror that is then gone,
/// and a user whose network is gone too (nothing listens on the index's port). The builder's
/// environment holds the system store: keep it alive with the user's.
fn provisioned() -> (Env, PathBuf, Env) {
    let (mirror, builder) = support::mirror_with(&[release("go1.22.10")]);
    let system = builder.dir.path().join("system");
    builder
        .gopin(&["install", "1.22.10"])
        .env("GOPIN_HOME", &system)
        .assert()
        .success();
    drop(mirror);
    let user = Env::with_urls("http://127.0.0.1:9/index.json", "http://127.0.0.1:9/dl/");
    std::fs::write(user.work().join(".go-version"), "1.22.10\n").unwrap();
    let user = user.with_var("GOPIN_SYSTEM_STORE", system.to_str().unwrap());
    (user, system, builder)
}

/// `gopin ARGS` with `system` bind-mounted read-only onto itself in a private mount
/// namespace: even root cannot write there. Fails the test if the store is writable.
fn gopin_ro(env: &Env, system: &Path, args: &[&str]) -> Output {
    let script = r#"set -e
mount --bind "$1" "$1"
mount -o remount,bind,ro "$1"
if touch "$1/written" 2>/dev/null; then echo "the system store is writable" >&2; exit 99; fi
shift
exec "$@"
"#;
    let plain = env.command(args);
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "sh", "-c", script, "sh"])
        .arg(system)
        .arg(plain.get_program())
        .args(plain.get_args())
        .current_dir(env.work())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_ne!(out.status.code(), Some(99), "{}", stderr_of(&out));
    out
}

#[test]
fn a_read_only_system_store_serves_a_pinned_version_offline() {
    if !namespaces_available() {
        eprintln!(
            "skipped: no mount namespaces here (`unshare -m true` failed), so no read-only bind mount"
        );
        return;
    }
    let (env, system, _builder) = provisioned();
    let goroot = system.join("versions/go1.22.10.linux-amd64/go");

    let out = gopin_ro(&env, &system, &["exec", "--", "go", "version"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "go version go1.22.10 linux/amd64\n");

    // `go install` writes to GOBIN, outside the read-only tree; the tool runs from PATH.
    let out = gopin_ro(
        &env,
        &system,
        &["exec", "--", "go", "install", "./cmd/hello"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let tool = env.store().join("gobins/go1.22.10.linux-amd64/hello");
    assert!(tool.is_file(), "{}", tool.display());
    let out = gopin_ro(&env, &system, &["exec", "--", "hello"]);
    assert_eq!(
        stdout_of(&out),
        "built by go1.22.10\n",
        "{}",
        stderr_of(&out)
    );

    // The hook activates it, with GOBIN in the user's store.
    let out = gopin_ro(&env, &system, &["hook-env", "bash"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let script = stdout_of(&out);
    let gobin = env.store().join("gobins/go1.22.10.linux-amd64");
    assert!(
        script.contains(&format!("GOROOT={}", goroot.display()))
            && script.contains(&format!("GOBIN={}", gobin.display())),
        "{script}"
    );
    let out = gopin_ro(&env, &system, &["current"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).starts_with("go1.22.10"),
        "{}",
        stdout_of(&out)
    );
    let out = gopin_ro(&env, &system, &["env"]);
    assert!(
        stdout_of(&out).contains(&goroot.display().to_string()),
        "{}",
        stdout_of(&out)
    );
    let snapshot = env.dir.path().join("go.tar.gz");
    let out = gopin_ro(
        &env,
        &system,
        &["export", "1.22.10", "-o", snapshot.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(snapshot.is_file());

    let out = gopin_ro(&env, &system, &["which", "--goroot"]);
    assert_eq!(stdout_of(&out), format!("{}\n", goroot.display()));

    let out = gopin_ro(&env, &system, &["ls"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let ls = stdout_of(&out);
    assert!(
        ls.contains("go1.22.10") && ls.contains(&format!("system store {}", system.display())),
        "{ls}"
    );

    // Installing it again does nothing, offline; uninstalling and pruning refuse or skip it.
    let out = gopin_ro(&env, &system, &["install", "1.22.10"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("already in the system store"),
        "{}",
        stderr_of(&out)
    );
    let out = gopin_ro(&env, &system, &["uninstall", "1.22.10"]);
    assert_eq!(out.status.code(), Some(1));
    let err = support::one_error_line(&out);
    assert!(
        err.contains("system store") && err.contains(&system.display().to_string()),
        "{err}"
    );
    let out = gopin_ro(&env, &system, &["prune"]);
    assert!(out.status.success(), "{}", stderr_of(&out));

    let out = gopin_ro(&env, &system, &["doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems: Vec<&serde_json::Value> = report
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false && (c["name"] == "store" || c["name"] == "system store"))
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    let store_checks: Vec<&serde_json::Value> = report
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "store")
        .collect();
    assert_eq!(store_checks.len(), 1, "{report}");
    assert!(goroot.join("bin/go").is_file(), "nothing removed it");
}

#[test]
fn a_system_version_that_fails_its_check_is_not_used() {
    let (env, system, _builder) = provisioned();
    // A record changed after a first use (which keeps what it read of the record) is read
    // again: here it no longer matches bin/go's size.
    env.gopin(&["exec", "--", "go", "version"])
        .assert()
        .success();
    let record_path = system.join("versions/go1.22.10.linux-amd64/install.json");
    let original = std::fs::read(&record_path).unwrap();
    let mut record: serde_json::Value = serde_json::from_slice(&original).unwrap();
    let size = record["files"]["bin/go"]["size"].as_u64().unwrap();
    record["files"]["bin/go"]["size"] = (size + 1).into();
    std::fs::write(&record_path, serde_json::to_vec(&record).unwrap()).unwrap();
    let out = env
        .gopin(&["exec", "--", "go", "version"])
        .output()
        .unwrap();
    let err = support::one_error_line(&out);
    assert!(err.contains("bin/go has changed size"), "{err}");
    std::fs::write(&record_path, &original).unwrap();
    env.gopin(&["exec", "--", "go", "version"])
        .assert()
        .success();
    // The tree changed: refused at once, whatever was kept.
    let go = system.join("versions/go1.22.10.linux-amd64/go/bin/go");
    let mut script = std::fs::read(&go).unwrap();
    script.extend_from_slice(b"echo tampered\n");
    std::fs::write(&go, script).unwrap();
    let out = env
        .gopin(&["exec", "--", "go", "version"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout_of(&out));
    let err = support::one_error_line(&out);
    assert!(
        err.contains("fails its integrity check")
            && err.contains(&system.display().to_string())
            && err.contains("install --force"),
        "{err}"
    );
    assert!(stdout_of(&out).is_empty());
    // doctor hashes it and names it, with the fix for a system store.
    let checks = support::doctor_store_checks(&env);
    assert!(
        checks
            .iter()
            .any(|(ok, d)| !ok && d.contains("system store") && d.contains("go1.22.10")),
        "{checks:?}"
    );
}

#[test]
fn a_missing_system_store_is_named_and_skipped() {
    let (_m, env) = support::world_with(&["1.22.10"], &["1.22.10"]);
    let gone = env.dir.path().join("no-such-store");
    let env = env.with_var("GOPIN_SYSTEM_STORE", gone.to_str().unwrap());
    std::fs::write(env.work().join(".go-version"), "1.22.10\n").unwrap();
    let out = env.gopin(&["ls"]).output().unwrap();
    assert!(out.status.success());
    assert!(
        stderr_of(&out).contains(&format!("the system store {} is not used", gone.display())),
        "{}",
        stderr_of(&out)
    );
    // The hook says so, and still activates the user's version.
    let out = env.gopin(&["hook-env", "bash"]).output().unwrap();
    assert!(out.status.success());
    assert!(
        stderr_of(&out).contains("does not exist"),
        "{}",
        stderr_of(&out)
    );
    assert!(stdout_of(&out).contains("go1.22.10"), "{}", stdout_of(&out));
}

#[test]
fn tools_inside_the_versions_of_an_older_store_move_out_and_are_kept() {
    let (_m, env) = support::world_with(&["1.22.10"], &["1.22.10"]);
    std::fs::write(env.work().join(".go-version"), "1.22.10\n").unwrap();
    // The layout of earlier gopins: each version's GOBIN inside its directory.
    let _ = std::fs::remove_file(env.store().join("gobins/.migrated"));
    let old = env.store().join("versions/go1.22.10.linux-amd64/gobin");
    std::fs::create_dir_all(&old).unwrap();
    support::write_executable(&old.join("stringer"), "#!/bin/sh\necho stringer\n");
    let out = env.gopin(&["exec", "--", "stringer"]).output().unwrap();
    assert_eq!(stdout_of(&out), "stringer\n", "{}", stderr_of(&out));
    let new = env.store().join("gobins/go1.22.10.linux-amd64/stringer");
    assert!(new.is_file());
    assert!(!old.exists(), "nothing writable is left in the version");
    let out = env.gopin(&["which", "stringer"]).output().unwrap();
    assert_eq!(stdout_of(&out), format!("{}\n", new.display()));
}

#[test]
fn install_force_makes_a_copy_of_your_own_that_is_found_first() {
    let (mirror, builder) = support::mirror_with(&[release("go1.22.10")]);
    let system = builder.dir.path().join("system");
    builder
        .gopin(&["install", "1.22.10"])
        .env("GOPIN_HOME", &system)
        .assert()
        .success();
    let archive = "/dl/go1.22.10.linux-amd64.tar.gz";
    let fetched = mirror.hits(archive);
    let env = Env::new(&mirror).with_var("GOPIN_SYSTEM_STORE", system.to_str().unwrap());
    let out = env.gopin(&["install", "1.22.10"]).output().unwrap();
    assert!(out.status.success());
    assert!(
        stderr_of(&out).contains("already in the system store"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(mirror.hits(archive), fetched, "nothing downloaded");
    assert!(env.store_entries("versions").is_empty());

    env.gopin(&["install", "--force", "1.22.10"])
        .assert()
        .success();
    assert_eq!(env.store_entries("versions"), ["go1.22.10.linux-amd64"]);
    let ls = |env: &Env| -> serde_json::Value {
        serde_json::from_slice(&env.gopin(&["ls", "--json"]).output().unwrap().stdout).unwrap()
    };
    let rows = ls(&env);
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["system_store"], serde_json::Value::Null);
    // Removing your copy leaves the system store's in use again, and its tools with it: the
    // uninstall does not say they go.
    let gobin = env.store().join("gobins/go1.22.10.linux-amd64");
    std::fs::create_dir_all(&gobin).unwrap();
    support::write_executable(&gobin.join("stringer"), "#!/bin/sh\n");
    let out = env.gopin(&["uninstall", "1.22.10"]).output().unwrap();
    assert!(out.status.success());
    assert!(
        !stderr_of(&out).contains("go with it"),
        "{}",
        stderr_of(&out)
    );
    assert!(gobin.join("stringer").is_file(), "the tools are kept");
    let rows = ls(&env);
    assert_eq!(rows[0]["system_store"], system.to_str().unwrap(), "{rows}");
    assert!(
        system
            .join("versions/go1.22.10.linux-amd64/go/bin/go")
            .is_file()
    );
}

#[test]
fn the_bash_hook_switches_to_a_system_version_and_back() {
    if !support::shell_available("bash") {
        return;
    }
    let (env, system, _builder) = provisioned();
    let plain = env.dir.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let script = format!(
        "eval \"$('{gopin}' init bash)\"\ncd '{work}'\n_gopin_hook\nprintf '%s|%s|%s\\n' \"$GOROOT\" \"$GOBIN\" \"$PATH\"\ncd '{plain}'\n_gopin_hook\nprintf '%s|%s|%s\\n' \"${{GOROOT-unset}}\" \"${{GOBIN-unset}}\" \"$PATH\"\n",
        gopin = support::gopin_bin().display(),
        work = env.work().display(),
        plain = plain.display(),
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "-c", &script])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}\n{}", stderr_of(&out));
    let goroot = system.join("versions/go1.22.10.linux-amd64/go");
    let gobin = env.store().join("gobins/go1.22.10.linux-amd64");
    assert_eq!(
        lines[0],
        format!(
            "{0}|{1}|{0}/bin:{1}:/usr/bin:/bin",
            goroot.display(),
            gobin.display()
        )
    );
    // Leaving: nothing of either store is left.
    assert_eq!(lines[1], "unset|unset|/usr/bin:/bin");
}

#[test]
fn the_proxies_and_audit_use_a_system_version_as_if_installed() {
    let (env, _system, _builder) = provisioned();
    // A prefix chooses among every store's versions.
    std::fs::write(env.work().join(".go-version"), "1.22\n").unwrap();
    let app = env.work().join("app");
    std::fs::write(
        &app,
        support::go_binary_with_buildinfo("go1.22.10", "linux/amd64"),
    )
    .unwrap();
    let out = env.gopin(&["audit", "app"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let out = env
        .gopin(&["audit", "app", "--against", "1.22"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    env.gopin(&["shims"]).assert().success();
    let out = Command::new(env.store().join("bin/go"))
        .arg("version")
        .current_dir(env.work())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .envs(env.vars())
        .output()
        .unwrap();
    assert_eq!(
        stdout_of(&out),
        "go version go1.22.10 linux/amd64\n",
        "{}",
        stderr_of(&out)
    );
}

/// GOPIN_SYSTEM_STORE decides which versions are installed: naming a system store at the
/// prompt (or taking it away) is noticed at the next prompt, as any deciding setting is
/// (docs/shell.md, "What runs at each prompt"), not only at the next `cd`.
#[test]
fn the_bash_hook_sees_gopin_system_store_change_at_the_prompt() {
    if !support::shell_available("bash") {
        return;
    }
    let (env, system, _builder) = provisioned();
    let script = format!(
        "unset GOPIN_SYSTEM_STORE\ntouch -d '1 hour ago' '{work}' '{work}/.go-version' '{system}/versions' '{system}' '{store}' '{store}/versions' 2>/dev/null\neval \"$('{gopin}' init bash)\"\ncd '{work}'\n_gopin_hook 2>/dev/null\nprintf '%s\\n' \"${{GOROOT-unset}}\"\nexport GOPIN_SYSTEM_STORE='{system}'\n_gopin_hook\nprintf '%s\\n' \"${{GOROOT-unset}}\"\nunset GOPIN_SYSTEM_STORE\n_gopin_hook 2>/dev/null\nprintf '%s\\n' \"${{GOROOT-unset}}\"\n",
        gopin = support::gopin_bin().display(),
        work = env.work().display(),
        system = system.display(),
        store = env.store().display(),
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "-c", &script])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    let goroot = system.join("versions/go1.22.10.linux-amd64/go");
    let guard = |line: &str| !line.starts_with(system.to_str().unwrap());
    assert_eq!(lines.len(), 3, "{text}\n{}", stderr_of(&out));
    assert!(guard(lines[0]), "{text}");
    assert_eq!(
        lines[1],
        goroot.display().to_string(),
        "{}",
        stderr_of(&out)
    );
    assert!(guard(lines[2]), "{text}");
}

/// A system store's trees are not the user's object store's to link: `doctor` does not report
/// them as unlinked, and `doctor --fix` (or an install's lazy conversion) writes nothing
/// there, neither linking its files into the user's objects nor replacing them with links
/// (docs/store.md, "System stores").
#[test]
fn doctor_fix_never_links_a_system_store_s_files_into_the_user_s_objects() {
    use std::os::unix::fs::MetadataExt;
    let (mirror, builder) = support::mirror_with(&[release("go1.22.10"), release("go1.22.11")]);
    let system = builder.dir.path().join("system");
    builder
        .gopin(&["install", "1.22.10"])
        .env("GOPIN_HOME", &system)
        .assert()
        .success();
    let tree = system.join("versions/go1.22.10.linux-amd64/go");
    let inodes = |tree: &Path| -> Vec<(u64, u64)> {
        ["VERSION", "bin/go", "bin/gofmt"]
            .iter()
            .map(|f| {
                let m = std::fs::metadata(tree.join(f)).unwrap();
                (m.ino(), m.nlink())
            })
            .collect()
    };
    let before = inodes(&tree);
    let env = Env::new(&mirror).with_var("GOPIN_SYSTEM_STORE", system.to_str().unwrap());
    // The user's own store has objects of its own.
    env.gopin(&["install", "1.22.11"]).assert().success();
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
    let out = env.gopin(&["doctor", "--fix"]).output().unwrap();
    assert!(
        !stderr_of(&out).contains("go1.22.10"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(
        inodes(&tree),
        before,
        "the system store's files are untouched"
    );
    assert_eq!(support::store_problems(&env), Vec::<String>::new());
}
