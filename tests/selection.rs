//! The selection rule (docs/selection.md) through the real binary: version files and toolchain lines pick, a `go` line only
//! sets a minimum, the workspace governs the modules below it, and the settings and command
//! line around it.

use crate::support;

use std::path::{Path, PathBuf};

use support::*;

/// go1.21.13, go1.22.9 and go1.22.10 published; `installed` of them installed.
fn world(installed: &[&str]) -> (Mirror, Env) {
    world_with(&["go1.22.10", "go1.22.9", "go1.21.13"], installed)
}

fn write(env: &Env, rel: &str, text: &str) -> PathBuf {
    let path = env.work().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// `gopin current --json` in `rel` (with extra environment), as JSON.
fn current(env: &Env, rel: &str, vars: &[(&str, &str)]) -> serde_json::Value {
    let dir = env.work().join(rel);
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = env.gopin(&["current", "--json"]);
    cmd.current_dir(&dir);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr_of(&out)))
}

/// The version `rel` resolves to (installed), or the request when none is installed.
fn chosen(env: &Env, rel: &str) -> String {
    let j = current(env, rel, &[]);
    j["version"]
        .as_str()
        .or(j["request"].as_str())
        .unwrap_or("none")
        .to_string()
}

fn file_of(j: &serde_json::Value, key: &str) -> String {
    Path::new(j[key]["file"].as_str().unwrap_or("-"))
        .components()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<PathBuf>()
        .display()
        .to_string()
}

#[test]
fn a_workspace_governs_its_modules_unless_gowork_says_otherwise() {
    let (_m, env) = world(&["1.21.13", "1.22.10"]);
    write(&env, "ws/go.work", "go 1.22\n\nuse ./mod\n");
    write(&env, "ws/mod/go.mod", "module example.com/m\n\ngo 1.21\n");
    let j = current(&env, "ws/mod", &[]);
    assert_eq!(j["version"], "go1.22.10", "{j}");
    assert_eq!(file_of(&j, "constrained_by"), "ws/go.work");
    // GOWORK=off: the module's own go.mod decides.
    let j = current(&env, "ws/mod", &[("GOWORK", "off")]);
    assert_eq!(j["version"], "go1.21.13", "{j}");
    assert_eq!(file_of(&j, "constrained_by"), "mod/go.mod");
    // GOWORK=/path names another workspace, wherever we are.
    let other = write(&env, "other/ws.work", "go 1.22\ntoolchain go1.22.9\n");
    env.gopin(&["install", "1.22.9"]).assert().success();
    let j = current(&env, "ws/mod", &[("GOWORK", other.to_str().unwrap())]);
    assert_eq!(j["version"], "go1.22.9", "{j}");
    assert_eq!(file_of(&j, "picked_by"), "other/ws.work");
    // GOWORK from `go env -w`, read from Go's env file as go does.
    let goenv = write(&env, "goenv", "GOWORK=off\n");
    let j = current(&env, "ws/mod", &[("GOENV", goenv.to_str().unwrap())]);
    assert_eq!(j["version"], "go1.21.13", "{j}");
    // A relative GOWORK is refused, as go refuses it.
    let dir = env.work().join("ws/mod");
    let out = env
        .gopin(&["current"])
        .current_dir(&dir)
        .env("GOWORK", "rel/go.work")
        .assert()
        .code(1);
    assert!(stderr_of(out.get_output()).contains("GOWORK=rel/go.work is not an absolute path"));
}

#[test]
fn toolchain_lines_older_newer_and_default() {
    let (_m, env) = world(&["1.21.13", "1.22.10"]);
    // Go ignores a toolchain line older than the go line.
    write(
        &env,
        "old/go.mod",
        "module o\ngo 1.22\ntoolchain go1.21.13\n",
    );
    let j = current(&env, "old", &[]);
    assert_eq!(j["version"], "go1.22.10", "{j}");
    assert!(j["picked_by"].is_null(), "{j}");
    write(
        &env,
        "new/go.mod",
        "module n\ngo 1.21\ntoolchain go1.22.10\n",
    );
    let j = current(&env, "new", &[]);
    assert_eq!(j["version"], "go1.22.10", "{j}");
    assert_eq!(file_of(&j, "picked_by"), "new/go.mod");
    write(
        &env,
        "dflt/go.mod",
        "module d\ngo 1.21\ntoolchain default\n",
    );
    assert_eq!(chosen(&env, "dflt"), "go1.21.13");
}

#[test]
fn a_go_line_is_met_by_a_pin_the_default_or_another_minor() {
    let (_m, env) = world(&["1.21.13", "1.22.10"]);
    // The team's pin at the repo root meets a nested module's minimum: the pin is used.
    write(&env, "repo/.go-version", "1.22.10\n");
    write(&env, "repo/svc/go.mod", "module svc\ngo 1.21\n");
    let j = current(&env, "repo/svc", &[]);
    assert_eq!(j["version"], "go1.22.10", "{j}");
    assert_eq!(file_of(&j, "picked_by"), "repo/.go-version");
    assert_eq!(file_of(&j, "constrained_by"), "svc/go.mod");
    // The user default meets it: used.
    env.gopin(&["use", "--global", "1.21.13"])
        .assert()
        .success();
    write(&env, "m21/go.mod", "module m\ngo 1.21\n");
    assert_eq!(chosen(&env, "m21"), "go1.21.13");
    // The default does not meet it: the newest installed release of that minor.
    write(&env, "m22/go.mod", "module m\ngo 1.22\n");
    assert_eq!(chosen(&env, "m22"), "go1.22.10");
    env.gopin(&["use", "--global", "--unset"])
        .assert()
        .success();
    assert!(!env.store().join("default-version").exists());
    // Only a newer minor installed: it builds the module, so it is used.
    let (_m2, env) = world(&["1.22.10"]);
    write(&env, "m21/go.mod", "module m\ngo 1.21\n");
    assert_eq!(chosen(&env, "m21"), "go1.22.10");
    // Nothing installed meets it: not installed, and `gopin install` fetches the newest of
    // the minor.
    write(&env, "m23/go.mod", "module m\ngo 1.22.11\n");
    let j = current(&env, "m23", &[]);
    assert_eq!(j["installed"], false, "{j}");
    let dir = env.work().join("m21");
    let (_m3, env) = world(&[]);
    std::fs::create_dir_all(&dir).unwrap();
    write(&env, "m21/go.mod", "module m\ngo 1.21\n");
    env.gopin(&["install"])
        .current_dir(env.work().join("m21"))
        .assert()
        .success();
    assert_eq!(env.store_entries("versions"), ["go1.21.13.linux-amd64"]);
}

#[test]
fn a_pin_older_than_the_minimum_is_never_used_and_is_named() {
    let (_m, env) = world(&["1.21.13", "1.22.10"]);
    write(&env, "p/.go-version", "1.21.13\n");
    write(&env, "p/mod/go.mod", "module m\ngo 1.22\n");
    let j = current(&env, "p/mod", &[]);
    assert_eq!(j["version"], "go1.22.10", "{j}");
    assert_eq!(file_of(&j, "overridden"), "p/.go-version");
    let out = env
        .gopin(&["exec", "--", "go", "version"])
        .current_dir(env.work().join("p/mod"))
        .assert()
        .success();
    assert_eq!(
        stdout_of(out.get_output()),
        "go version go1.22.10 linux/amd64\n"
    );
    assert!(stderr_of(out.get_output()).contains("older than go 1.22"));
    // The hook says so once.
    let dir = env.work().join("p/mod");
    let hook = |shown: &str| {
        let out = env
            .gopin(&["hook-env", "bash", "--shown", shown])
            .current_dir(&dir)
            .output()
            .unwrap();
        (stdout_of(&out), stderr_of(&out))
    };
    let (script, err) = hook("");
    assert_eq!(err.matches("older than go 1.22").count(), 1, "{err}");
    let digest = script
        .lines()
        .find_map(|l| l.strip_prefix("_GOPIN_SHOWN="))
        .unwrap()
        .to_string();
    let (_, err) = hook(&digest);
    assert_eq!(err, "", "a message already shown is not shown again");
}

#[test]
fn use_writes_the_exact_release_readable_by_everyone() {
    let (_m, env) = world(&[]);
    let mirror = Mirror::start();
    publish(&mirror, &[Release::linux("go1.20")]);
    let env20 = Env::new(&mirror);
    env20.gopin(&["use", "1.20.0"]).assert().success();
    let text = std::fs::read_to_string(env20.work().join(".go-version")).unwrap();
    assert_eq!(
        text, "1.20.0\n",
        "three numbers read back as exact, never as the prefix 1.20"
    );
    assert_eq!(chosen(&env20, ""), "go1.20");

    // A usual umask gives the usual mode, so teammates and CI users can read the pin.
    use std::os::unix::fs::PermissionsExt;
    env.gopin(&["use", "1.22"]).assert().success();
    let mode = std::fs::metadata(env.work().join(".go-version"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o044, 0o044, "mode {mode:o}");
    env.gopin(&["use", "--unset"]).assert().success();
    assert!(!env.work().join(".go-version").exists());
}

#[test]
fn usage_errors_exit_2_with_the_fix() {
    let (_m, env) = world(&["1.22.10"]);
    for args in [
        &["install", "1.22.x"][..],
        &["use", "banana"],
        &["uninstall", "1..2"],
        &["exec", "1.2.3.4", "--", "true"],
    ] {
        let out = env.gopin(args).assert().code(2);
        let err = stderr_of(out.get_output());
        assert!(
            err.contains("expected a version such as 1.22.10, 1.22"),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = env.gopin(&["exec", "go", "version"]).assert().code(2);
    assert!(stderr_of(out.get_output()).contains("gopin exec [SPEC] -- CMD"));
}

#[test]
fn settings_parse_as_their_type_and_errors_name_the_variable() {
    let (_m, env) = world(&[]);
    for ttl in ["0", "1", "60"] {
        env.gopin(&["ls-remote"])
            .env("GOPIN_INDEX_TTL", ttl)
            .assert()
            .success();
    }
    let out = env
        .gopin(&["ls"])
        .env("GOPIN_AUTO_INSTALL", "maybe")
        .assert()
        .code(1);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("GOPIN_AUTO_INSTALL=maybe is not valid"),
        "{err}"
    );
    assert!(!err.contains("config.toml"), "{err}");
}

#[test]
fn uninstall_says_what_goes_and_removes_each_once() {
    let (_m, env) = world(&["1.22.10", "1.21.13"]);
    write(&env, ".go-version", "1.22.10\n");
    let gobin = env.store().join("gobins/go1.22.10.linux-amd64");
    std::fs::create_dir_all(&gobin).unwrap();
    std::fs::write(gobin.join("stringer"), "").unwrap();
    let out = env
        .gopin(&["uninstall", "1.22.10", "1.21.13", "go1.22.10"])
        .assert()
        .success();
    let err = stderr_of(out.get_output());
    assert!(err.contains("go1.22.10 is selected by"), "{err}");
    assert!(err.contains("1 tool(s)"), "{err}");
    assert_eq!(err.matches("removed go1.22.10").count(), 1, "{err}");
    assert!(env.store_entries("versions").is_empty());
}

#[test]
fn doctor_quiet_prints_only_problems() {
    let (_m, env) = world(&["1.22.10"]);
    write(&env, ".go-version", "1.22.10\n");
    let out = env.gopin(&["doctor", "-q"]).output().unwrap();
    let text = stdout_of(&out);
    assert!(!text.lines().any(|l| l.starts_with("ok")), "{text}");
    assert!(
        text.contains("PROBLEM"),
        "the hook is not loaded here: {text}"
    );
}

#[test]
fn use_edits_the_file_that_already_pins_in_place() {
    let (_m, env) = world(&["1.21.13"]);
    let tv = "# asdf\nnodejs 20.1.0\ngolang 1.21.13 # keep this comment\npython 3.12.1\n";
    let path = write(&env, "a/.tool-versions", tv);
    let dir = env.work().join("a");
    env.gopin(&["use", "1.22"])
        .current_dir(&dir)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        tv.replace("1.21.13 #", "1.22.10 #"),
        "byte for byte but the Go entry"
    );
    assert!(
        !dir.join(".go-version").exists(),
        "no second, conflicting pin"
    );
    assert_eq!(chosen(&env, "a"), "go1.22.10");

    let toml = "# tools for this repo\n[tools]\nnode = \"20\"\ngo = [\"1.21\", \"1.22\"]  # first wins\n\n[env]\nGOFLAGS = \"-mod=mod\"\n";
    let path = write(&env, "b/mise.toml", toml);
    let dir = env.work().join("b");
    env.gopin(&["use", "1.21.13"])
        .current_dir(&dir)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        toml.replace("[\"1.21\",", "[\"1.21.13\",")
    );
    assert!(!dir.join(".go-version").exists());
    // --file chooses; --unset takes just the Go entry out of a shared file.
    env.gopin(&["use", "--file", ".go-version", "1.22.10"])
        .current_dir(&dir)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.join(".go-version")).unwrap(),
        "1.22.10\n"
    );
    env.gopin(&["use", "--unset", "--file", "mise.toml"])
        .current_dir(&dir)
        .assert()
        .success();
    let left = std::fs::read_to_string(&path).unwrap();
    assert!(
        !left.contains("go =") && left.contains("node = \"20\"") && left.contains("GOFLAGS"),
        "{left}"
    );
}

#[test]
fn small_breaks_stay_fixed() {
    let (_m, env) = world(&["1.22.10"]);
    // A relative GOPIN_HOME is refused: made absolute against each directory the hook runs
    // in, it would name (and make) another store in each, so GOROOT and PATH would change
    // meaning with cd.
    let out = env
        .gopin(&["env", "1.22.10", "--json"])
        .env("GOPIN_HOME", "store")
        .current_dir(env.dir.path())
        .assert()
        .failure();
    let err = one_error_line(out.get_output());
    assert!(
        err.contains("GOPIN_HOME") && err.contains("relative") && err.contains("absolute path"),
        "{err}"
    );
    assert!(out.get_output().stdout.is_empty());

    // A directory name holding a terminal escape sequence reaches the terminal escaped.
    let evil = "evil\u{1b}]0;pwned\u{7}dir";
    write(&env, &format!("{evil}/.go-version"), "not-a-version\n");
    let out = env
        .gopin(&["current"])
        .current_dir(env.work().join(evil))
        .assert()
        .code(1);
    let err = stderr_of(out.get_output());
    assert!(
        !err.contains('\u{1b}') && err.contains("\\u{1b}]0;pwned"),
        "{err:?}"
    );

    // A GOROOT whose bin/go is gone is not put on PATH: one line says how to repair it.
    write(&env, "p/.go-version", "1.22.10\n");
    let go = env.goroot("go1.22.10.linux-amd64").join("bin/go");
    std::fs::remove_file(&go).unwrap();
    let out = env
        .gopin(&["hook-env", "bash"])
        .current_dir(env.work().join("p"))
        .output()
        .unwrap();
    assert!(
        stderr_of(&out).contains("bin/go is missing or not executable")
            && stderr_of(&out).contains("gopin install --force go1.22.10"),
        "{}",
        stderr_of(&out)
    );
    assert!(
        !stdout_of(&out).contains("export GOROOT"),
        "{}",
        stdout_of(&out)
    );
}

#[test]
fn adversarial_pass_regressions() {
    let (_m, env) = world(&["1.21.13", "1.22.10"]);
    // A module reached through a symlink inside a workspace: the workspace governs, as go
    // sees it through $PWD (the logical path).
    write(&env, "real/lm/go.mod", "module lm\ngo 1.21\n");
    write(&env, "ws2/go.work", "go 1.22\n\nuse ./lnk\n");
    std::os::unix::fs::symlink(env.work().join("real/lm"), env.work().join("ws2/lnk")).unwrap();
    let out = env
        .gopin(&["current", "--json"])
        .current_dir(env.work().join("real/lm"))
        .env("PWD", env.work().join("ws2/lnk"))
        .assert()
        .success();
    let j: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(j["version"], "go1.22.10", "{j}");
    // A PWD that is not this directory is not believed.
    let out = env
        .gopin(&["current", "--json"])
        .current_dir(env.work().join("real/lm"))
        .env("PWD", env.work().join("ws2"))
        .assert()
        .success();
    let j: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(j["version"], "go1.21.13", "{j}");

    // `gopin use` writes through a symlinked pin file (a dotfiles-managed .tool-versions)
    // that stays inside its project (here the home-like directory itself, which holds no
    // go.mod or .git: a link out of it is refused, see docs/security.md).
    let real = write(&env, "home-ish/dotfiles/tool-versions", "golang 1.21.13\n");
    std::fs::create_dir_all(env.work().join("home-ish")).unwrap();
    std::os::unix::fs::symlink(&real, env.work().join("home-ish/.tool-versions")).unwrap();
    env.gopin(&["use", "1.22.10"])
        .current_dir(env.work().join("home-ish"))
        .assert()
        .success();
    assert!(
        std::fs::symlink_metadata(env.work().join("home-ish/.tool-versions"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "golang 1.22.10\n");

    // GOPIN_CONFIG naming a directory is an error, not "no config".
    let out = env
        .gopin(&["ls"])
        .env("GOPIN_CONFIG", env.work())
        .assert()
        .code(1);
    assert!(stderr_of(out.get_output()).contains("is a directory"));
}

/// `system` (goenv's `goenv local system`, asdf's `golang system`, mise's `go = "system"`):
/// the Go already on PATH, nothing of gopin's applied, and the parent's pin not used —
/// through `current`, `which`, `env`, `exec` and the hook alike.
#[test]
fn system_means_the_go_already_on_path() {
    use std::os::unix::fs::PermissionsExt;
    let (_m, env) = world(&["1.22.10"]);
    let sysbin = env.dir.path().join("sysbin");
    std::fs::create_dir_all(&sysbin).unwrap();
    std::fs::write(sysbin.join("go"), "#!/bin/sh\necho go version system\n").unwrap();
    std::fs::set_permissions(sysbin.join("go"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let goroot = env.goroot("go1.22.10.linux-amd64");
    let store_bin = goroot.join("bin");
    // As the shell has it after the parent's pin was active: gopin's Go first on PATH.
    let path = format!(
        "{}:{}:{}",
        store_bin.display(),
        sysbin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    write(&env, "p/.go-version", "1.22.10\n");
    for (file, body) in [
        ("p/a/.go-version", "system\n"),
        ("p/b/.tool-versions", "golang system\n"),
        ("p/c/mise.toml", "[tools]\ngo = \"system\"\n"),
    ] {
        let file = write(&env, file, body);
        let dir = file.parent().unwrap();
        let run = |args: &[&str]| {
            env.gopin(args)
                .current_dir(dir)
                .env("PATH", &path)
                .env("GOROOT", &goroot)
                .env("GOPIN_VERSION", "go1.22.10")
                .output()
                .unwrap()
        };
        let out = run(&["current"]);
        assert!(out.status.success(), "{}", stderr_of(&out));
        assert_eq!(
            stdout_of(&out).split('\t').next(),
            Some("system"),
            "{}",
            stdout_of(&out)
        );
        assert!(stdout_of(&out).contains(&*file.file_name().unwrap().to_string_lossy()));
        let out = run(&["current", "--json"]);
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["version"], "system", "{j}");
        let out = run(&["which", "go"]);
        assert_eq!(
            stdout_of(&out).trim(),
            sysbin.join("go").to_str().unwrap(),
            "{}",
            stderr_of(&out)
        );
        let out = run(&["env", "--json"]);
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["GOROOT"], serde_json::Value::Null, "{j}");
        assert_eq!(j["GOPIN_VERSION"], serde_json::Value::Null, "{j}");
        assert!(
            !j["PATH"]
                .as_str()
                .unwrap()
                .contains(store_bin.to_str().unwrap()),
            "{j}"
        );
        let out = run(&["exec", "--", "sh", "-c", "echo \"[$GOROOT]\"; go version"]);
        assert_eq!(
            stdout_of(&out),
            "[]\ngo version system\n",
            "{}",
            stderr_of(&out)
        );
        // The hook gives the user's environment back: gopin's GOROOT goes, nothing is set.
        let out = run(&["hook-env", "bash"]);
        let script = stdout_of(&out);
        assert!(!script.contains("export GOROOT="), "{script}");
        assert!(stderr_of(&out).trim().is_empty(), "{}", stderr_of(&out));
    }
}

/// In one directory, the peers' order: mise's files, then `.tool-versions`, then
/// `.go-version` (asdf reads `.tool-versions` before legacy files; mise ranks idiomatic
/// files such as `.go-version` below its own). `use` edits the file that selects.
#[test]
fn one_directory_follows_the_peers_order() {
    let (_m, env) = world(&["1.21.13", "1.22.9", "1.22.10"]);
    write(&env, "d/.go-version", "1.21.13\n");
    write(&env, "d/.tool-versions", "golang 1.22.9\n");
    assert_eq!(chosen(&env, "d"), "go1.22.9");
    write(&env, "d/mise.toml", "[tools]\ngo = { prefix = \"1.22\" }\n");
    assert_eq!(chosen(&env, "d"), "go1.22.10");
    write(
        &env,
        "d/.mise.toml",
        "[tools]\ngo = { version = \"1.21.13\" }\n",
    );
    assert_eq!(chosen(&env, "d"), "go1.21.13");
    // `use` rewrites the file that selects, not the `.go-version` below it.
    env.gopin(&["use", "1.22.9"])
        .current_dir(env.work().join("d"))
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(env.work().join("d/.mise.toml")).unwrap(),
        "[tools]\ngo = { version = \"1.22.9\" }\n"
    );
    assert_eq!(chosen(&env, "d"), "go1.22.9");
}

/// Where `go` decides on its own edge cases, gopin agrees (docs/selection.md): a custom
/// toolchain name newer than the go line is named and its release used, `GOWORK=auto` is
/// unset, a go.mod directly in `$TMPDIR` is no module; and where `go` fails itself (a
/// `godebug` block under `go 1.22.0`) gopin raises the minimum and says why.
#[test]
fn go_edge_cases_through_the_binary() {
    let (_m, env) = world_with(
        &["go1.23.4", "go1.22.10", "go1.22.9", "go1.21.13"],
        &["1.21.13", "1.22.10", "1.23.4"],
    );
    let run = |rel: &str, args: &[&str], vars: &[(&str, &std::path::Path)]| {
        let dir = env.work().join(rel);
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = env.gopin(args);
        cmd.current_dir(&dir);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    // A kubernetes-like go.mod: go 1.22.0 and a godebug block.
    write(
        &env,
        "k8s/go.mod",
        "module k8s.io/kubernetes\n\ngo 1.22.0\n\ngodebug default=go1.20\n\nrequire (\n\tk8s.io/api v0.31.0\n)\n",
    );
    let out = run("k8s", &["current"], &[]);
    assert!(
        stdout_of(&out).starts_with("go1.23.4\t"),
        "{}",
        stdout_of(&out)
    );
    assert!(
        stderr_of(&out).contains("says go 1.22.0") && stderr_of(&out).contains("`godebug`"),
        "{}",
        stderr_of(&out)
    );
    let out = run("k8s", &["hook-env", "bash"], &[]);
    assert!(stderr_of(&out).contains("`godebug`"), "{}", stderr_of(&out));
    // A custom toolchain newer than the go line: named, and its release used.
    write(
        &env,
        "custom/go.mod",
        "module c\ngo 1.21.0\ntoolchain go1.22.10-bigcorp\n",
    );
    let out = run("custom", &["current"], &[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).starts_with("go1.22.10\t"),
        "{}",
        stdout_of(&out)
    );
    assert!(
        stderr_of(&out).contains("go1.22.10-bigcorp"),
        "{}",
        stderr_of(&out)
    );
    // Older than the go line: ignored, as go ignores it.
    write(
        &env,
        "oldcustom/go.mod",
        "module c\ngo 1.22.0\ntoolchain go1.21.13-bigcorp\n",
    );
    let out = run("oldcustom", &["current"], &[]);
    assert!(
        stdout_of(&out).starts_with("go1.22.10\t"),
        "{}",
        stdout_of(&out)
    );
    assert!(!stderr_of(&out).contains("bigcorp"), "{}", stderr_of(&out));
    // GOWORK=auto: the nearest go.work, as unset.
    write(&env, "ws/go.work", "go 1.22\nuse ./m\n");
    write(&env, "ws/m/go.mod", "module m\ngo 1.21\n");
    let j = current(&env, "ws/m", &[("GOWORK", "auto")]);
    assert_eq!(j["version"], "go1.22.10", "{j}");
    // A go.mod directly in $TMPDIR is ignored; one below it counts.
    let tmp = write(&env, "tmp/go.mod", "module t\ngo 1.23\n");
    let tmp = tmp.parent().unwrap();
    let out = run("tmp/scratch", &["current"], &[("TMPDIR", tmp)]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout_of(&out));
    let out = run("tmp/scratch", &["current"], &[]);
    assert!(
        stdout_of(&out).starts_with("go1.23.4\t"),
        "{}",
        stdout_of(&out)
    );
}
