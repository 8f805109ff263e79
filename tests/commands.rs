//! `use`, `current`, `which`, `env`, `exec` and `doctor` through the real binary.

use crate::support;

use std::path::Path;

use support::*;

fn world() -> (Mirror, Env) {
    let mirror = Mirror::start();
    let mut r = Release::linux("go1.22.10");
    r.archives.push((
        "linux",
        "arm64",
        tar_gz(&go_tree("go1.22.10", "linux/arm64")),
    ));
    publish(
        &mirror,
        &[r, Release::linux("go1.22.9"), Release::linux("go1.21.13")],
    );
    let env = Env::new(&mirror);
    (mirror, env)
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn use_pins_installs_and_current_reports() {
    let (_m, env) = world();
    let out = env.gopin(&["current"]).assert().code(1);
    assert!(stderr_of(out.get_output()).contains("no Go version is selected"));

    // `use` writes the exact release it resolved, so every checkout runs the same Go.
    env.gopin(&["use", "1.22"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(env.work().join(".go-version")).unwrap(),
        "1.22.10\n"
    );
    assert!(env.goroot("go1.22.10.linux-amd64").is_dir(), "use installs");
    let out = env.gopin(&["current"]).assert().success();
    let line = stdout_of(out.get_output());
    assert!(
        line.starts_with("go1.22.10\t") && line.contains(".go-version"),
        "{line}"
    );
    let out = env.gopin(&["current", "--json"]).assert().success();
    let j = json(out.get_output());
    assert_eq!(j["version"], "go1.22.10");
    assert_eq!(j["installed"], true);
    assert_eq!(j["request"], "go1.22.10");
    assert_eq!(j["picked_by"]["spec"], "go1.22.10");
    // --prefix keeps the spec as typed.
    env.gopin(&["use", "--prefix", "go1.22"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(env.work().join(".go-version")).unwrap(),
        "1.22\n"
    );

    // A pinned but missing version is reported, with exit 0 (something is selected).
    std::fs::write(env.work().join(".go-version"), "1.21.13\n").unwrap();
    let out = env.gopin(&["current", "--json"]).assert().success();
    let j = json(out.get_output());
    assert_eq!(j["installed"], false);
    assert_eq!(j["version"], "go1.21.13");
}

#[test]
fn use_global_sets_the_default() {
    let (_m, env) = world();
    env.gopin(&["use", "--global", "1.21"]).assert().success();
    let out = env.gopin(&["current"]).assert().success();
    let line = stdout_of(out.get_output());
    assert!(
        line.starts_with("go1.21.13\t") && line.contains("default-version"),
        "{line}"
    );
    std::fs::write(env.work().join(".go-version"), "1.21.13\n").unwrap();
    let out = env.gopin(&["use", "--global", "1.22.9"]).assert().success();
    assert!(stderr_of(out.get_output()).contains("which takes precedence"));
}

#[test]
fn use_takes_an_installed_match_without_the_network() {
    let (mirror, env) = world();
    env.gopin(&["install", "1.22.9"]).assert().success();
    mirror.set("/index.json", Reply::Status(500));
    let out = env.gopin(&["use", "1.22", "-v"]).assert().success();
    let err = stderr_of(out.get_output());
    assert!(err.contains("pinned 1.22.9 (go1.22.9)"), "{err}");
    assert_eq!(
        mirror.hits("/index.json"),
        1,
        "only the install above fetched it"
    );
}

#[test]
fn use_rejects_bad_specs_and_writes_nothing() {
    let (_m, env) = world();
    env.gopin(&["use", "1.22;id"]).assert().code(2);
    env.gopin(&["use", "1.99"]).assert().code(1);
    assert!(!env.work().join(".go-version").exists());
}

#[test]
fn which_finds_tools_of_the_selected_version() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    std::fs::write(env.work().join(".go-version"), "1.22.10\n").unwrap();
    let out = env.gopin(&["which"]).assert().success();
    let goroot = env.goroot("go1.22.10.linux-amd64");
    assert_eq!(
        stdout_of(out.get_output()),
        format!("{}\n", goroot.join("bin/go").display())
    );
    let out = env.gopin(&["which", "gofmt"]).assert().success();
    assert!(
        stdout_of(out.get_output())
            .trim_end()
            .ends_with("bin/gofmt")
    );
    // Tools from `go install` live in the version's GOBIN, outside its directory.
    let gobin = env.store().join("gobins/go1.22.10.linux-amd64");
    std::fs::create_dir_all(&gobin).unwrap();
    std::fs::write(gobin.join("stringer"), "").unwrap();
    let out = env.gopin(&["which", "stringer"]).assert().success();
    assert_eq!(
        stdout_of(out.get_output()),
        format!("{}\n", gobin.join("stringer").display())
    );
    let out = env.gopin(&["which", "nope"]).assert().code(1);
    assert!(stderr_of(out.get_output()).contains("go install"));
    env.gopin(&["which", "../../bin/sh"]).assert().code(1);
}

#[test]
fn env_prints_for_each_shell_and_json() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let goroot = env.goroot("go1.22.10.linux-amd64");
    let out = env
        .gopin(&["env", "1.22", "--shell", "bash"])
        .assert()
        .success();
    let text = stdout_of(out.get_output());
    assert!(
        text.contains(&format!("export GOROOT={}\n", goroot.display())),
        "{text}"
    );
    assert!(text.contains("export GOTOOLCHAIN=local\n"), "{text}");
    assert!(text.contains("unset GOPIN_SOURCE\n"), "{text}");
    let out = env
        .gopin(&["env", "1.22", "--shell", "fish"])
        .assert()
        .success();
    assert!(stdout_of(out.get_output()).contains("set -gx GOROOT "));

    // The bash output really works when evaluated.
    let script = format!(
        "eval \"$('{}' env 1.22 --shell bash)\"; go version; go env GOROOT",
        gopin_bin().display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .envs(env.vars())
        .current_dir(env.work())
        .output()
        .unwrap();
    assert_eq!(
        stdout_of(&out),
        format!("go version go1.22.10 linux/amd64\n{}\n", goroot.display())
    );

    let out = env.gopin(&["env", "1.22", "--json"]).assert().success();
    let j = json(out.get_output());
    assert_eq!(j["GOROOT"], goroot.display().to_string());
    assert_eq!(j["GOPIN_VERSION"], "go1.22.10");
    assert!(
        j["PATH"]
            .as_str()
            .unwrap()
            .starts_with(&goroot.join("bin").display().to_string())
    );

    let out = env.gopin(&["env", "1.21"]).assert().code(1);
    assert!(stderr_of(out.get_output()).contains("gopin install 1.21"));
}

#[test]
fn env_json_describes_another_platform() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22", "--os", "linux", "--arch", "arm64"])
        .assert()
        .success();
    let out = env
        .gopin(&["env", "1.22", "--json", "--os", "linux", "--arch", "arm64"])
        .assert()
        .success();
    let j = json(out.get_output());
    assert_eq!(
        j["GOROOT"],
        env.goroot("go1.22.10.linux-arm64").display().to_string()
    );
    // It is never activated on this (amd64) host.
    let out = env
        .gopin(&["env", "1.22", "--os", "linux", "--arch", "arm64"])
        .assert()
        .code(1);
    assert!(stderr_of(out.get_output()).contains("--json"));
    std::fs::write(env.work().join(".go-version"), "1.22\n").unwrap();
    let out = env.gopin(&["current", "--json"]).assert().success();
    assert_eq!(json(out.get_output())["installed"], false);
    let out = env.gopin(&["ls"]).assert().success();
    assert_eq!(
        ls_without_sizes(&stdout_of(out.get_output())),
        "  go1.22.10  linux/arm64\n"
    );
}

#[test]
fn env_github_appends_to_the_actions_files() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let dir = tempfile::tempdir().unwrap();
    let (genv, gpath) = (dir.path().join("env"), dir.path().join("path"));
    std::fs::write(&genv, "EXISTING=1\n").unwrap();
    env.gopin(&["env", "1.22.10", "--github"])
        .env("GITHUB_ENV", &genv)
        .env("GITHUB_PATH", &gpath)
        .assert()
        .success();
    let goroot = env.goroot("go1.22.10.linux-amd64");
    let written = std::fs::read_to_string(&genv).unwrap();
    assert!(written.starts_with("EXISTING=1\n"));
    assert!(
        written.contains(&format!("GOROOT={}\n", goroot.display())),
        "{written}"
    );
    assert!(written.contains("GOTOOLCHAIN=local\n"));
    let paths = std::fs::read_to_string(&gpath).unwrap();
    let gobin = env.store().join("gobins/go1.22.10.linux-amd64");
    assert_eq!(
        paths,
        format!("{}\n{}\n", gobin.display(), goroot.join("bin").display())
    );
    let out = env.gopin(&["env", "1.22.10", "--github"]).assert().code(1);
    assert!(stderr_of(out.get_output()).contains("GITHUB_ENV"));
}

#[test]
fn exec_runs_with_the_environment_and_passes_exit_status() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10", "1.21.13"])
        .assert()
        .success();
    let out = env
        .gopin(&["exec", "1.21", "--", "go", "version"])
        .assert()
        .success();
    assert_eq!(
        stdout_of(out.get_output()),
        "go version go1.21.13 linux/amd64\n"
    );
    let out = env
        .gopin(&[
            "exec",
            "1.22.10",
            "--",
            "sh",
            "-c",
            "echo $GOROOT $GOTOOLCHAIN $GOPIN_VERSION; exit 7",
        ])
        .assert()
        .code(7);
    let goroot = env.goroot("go1.22.10.linux-amd64");
    assert_eq!(
        stdout_of(out.get_output()),
        format!("{} local go1.22.10\n", goroot.display())
    );
    // Without a spec: the directory's selection.
    std::fs::write(env.work().join("go.mod"), "module m\n\ngo 1.21.0\n").unwrap();
    let out = env
        .gopin(&["exec", "--", "go", "version"])
        .assert()
        .success();
    assert_eq!(
        stdout_of(out.get_output()),
        "go version go1.21.13 linux/amd64\n"
    );
    let out = env
        .gopin(&["exec", "1.22", "--", "no-such-command-xyz"])
        .assert()
        .code(127);
    assert!(stderr_of(out.get_output()).contains("no-such-command-xyz"));
}

#[test]
fn exec_install_installs_missing_versions() {
    let (_m, env) = world();
    let out = env
        .gopin(&["exec", "1.22", "--", "go", "version"])
        .assert()
        .code(1);
    assert!(stderr_of(out.get_output()).contains("--install"));
    let out = env
        .gopin(&["exec", "1.22", "--install", "--", "go", "version"])
        .assert()
        .success();
    assert_eq!(
        stdout_of(out.get_output()),
        "go version go1.22.10 linux/amd64\n"
    );
}

#[test]
fn exec_passes_signals_through() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let out = env
        .gopin(&["exec", "1.22.10", "--", "sh", "-c", "kill -TERM $$"])
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(15),
        "the child's own death by signal"
    );
}

fn doctor(env: &Env, dir: &Path, extra: &[(&str, String)]) -> (bool, serde_json::Value) {
    let goroot = env.goroot("go1.22.10.linux-amd64");
    let gobin = env.store().join("gobins/go1.22.10.linux-amd64");
    let mut cmd = env.gopin(&["doctor", "--json"]);
    cmd.current_dir(dir)
        .env("_GOPIN_HOOK", "bash")
        .env("_GOPIN_PWD", dir)
        .env("GOROOT", &goroot)
        .env("GOTOOLCHAIN", "local")
        .env(
            "PATH",
            format!(
                "{}:{}:/usr/bin:/bin",
                goroot.join("bin").display(),
                gobin.display()
            ),
        );
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.success(), json(&out))
}

fn problems(report: &serde_json::Value) -> Vec<String> {
    report
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| format!("{}: {}", c["name"], c["detail"]))
        .collect()
}

#[test]
fn doctor_is_clean_when_all_is_well_and_finds_each_problem() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let proj = env.work().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(proj.join(".go-version"), "1.22.10\n").unwrap();
    std::fs::write(proj.join("go.mod"), "module p\n\ngo 1.22.3\n").unwrap();
    let (ok, report) = doctor(&env, &proj, &[]);
    assert!(ok, "{:?}", problems(&report));

    // Another go earlier on PATH.
    let sys = env.dir.path().join("sys/bin");
    std::fs::create_dir_all(&sys).unwrap();
    let fake = sys.join("go");
    std::fs::write(&fake, "#!/bin/sh\necho go version go1.19 linux/amd64\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let goroot = env.goroot("go1.22.10.linux-amd64");
    let (ok, report) = doctor(
        &env,
        &proj,
        &[(
            "PATH",
            format!("{}:{}", sys.display(), goroot.join("bin").display()),
        )],
    );
    assert!(!ok);
    assert!(
        problems(&report)
            .iter()
            .any(|p| p.contains("go on PATH") && p.contains("sys/bin/go")),
        "{:?}",
        problems(&report)
    );

    // A GOROOT the user exported that disagrees.
    let (ok, report) = doctor(&env, &proj, &[("GOROOT", "/usr/local/go".into())]);
    assert!(!ok);
    assert!(
        problems(&report)
            .iter()
            .any(|p| p.contains("/usr/local/go"))
    );

    // `go env -w GOTOOLCHAIN=auto` in the go env file.
    let goenv = env.dir.path().join("goenv");
    std::fs::write(&goenv, "GOTOOLCHAIN=go1.23.0+auto\n").unwrap();
    let (ok, report) = doctor(&env, &proj, &[("GOENV", goenv.display().to_string())]);
    assert!(!ok);
    assert!(problems(&report).iter().any(|p| p.contains("go env -w")));

    // A pin older than go.mod's go line.
    std::fs::write(proj.join("go.mod"), "module p\n\ngo 1.23\n").unwrap();
    let (ok, report) = doctor(&env, &proj, &[]);
    assert!(!ok);
    assert!(
        problems(&report)
            .iter()
            .any(|p| p.contains("older than go 1.23")
                && p.contains(".go-version")
                && p.contains("go.mod")),
        "{:?}",
        problems(&report)
    );
    std::fs::write(proj.join("go.mod"), "module p\n\ngo 1.22.3\n").unwrap();

    // The hook loaded, but it has not run here (PROMPT_COMMAND replaced, or `bash -c`).
    let (ok, report) = doctor(&env, &proj, &[("_GOPIN_PWD", "/elsewhere".into())]);
    assert!(!ok);
    assert!(
        problems(&report)
            .iter()
            .any(|p| p.contains("loaded but has not run")),
        "{:?}",
        problems(&report)
    );
    // No hook, but the environment was applied by `gopin exec`: not a problem.
    let out = env
        .gopin(&[
            "exec",
            "--",
            env!("CARGO_BIN_EXE_gopin"),
            "doctor",
            "--json",
        ])
        .current_dir(&proj)
        .env_remove("_GOPIN_HOOK")
        .output()
        .unwrap();
    let report = json(&out);
    assert!(
        !problems(&report).iter().any(|p| p.contains("hook")),
        "{:?}",
        problems(&report)
    );

    // The hook not loaded.
    let mut cmd = env.gopin(&["doctor"]);
    cmd.current_dir(&proj);
    let out = cmd.env("SHELL", "/usr/bin/zsh").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout_of(&out).contains("not loaded"));
    assert!(
        stdout_of(&out).contains("~/.zshrc"),
        "the fix names the user's shell"
    );

    // A modified, a deleted and a no-longer-executable file in the store.
    std::fs::write(goroot.join("VERSION"), "tampered").unwrap();
    std::fs::set_permissions(
        goroot.join("bin/gofmt"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::remove_file(goroot.join("src/runtime/runtime.go")).unwrap();
    let (ok, report) = doctor(&env, &proj, &[]);
    assert!(!ok);
    let found = problems(&report).join("\n");
    assert!(found.contains("VERSION was modified"), "{found}");
    assert!(
        found.contains("src/runtime/runtime.go is missing"),
        "{found}"
    );
    assert!(found.contains("src/runtime"), "{found}");
}

#[test]
fn gobin_and_toolchain_settings_shape_the_environment() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let goroot = env.goroot("go1.22.10.linux-amd64");
    let get = |vars: &[(&str, &str)]| {
        let mut cmd = env.gopin(&["env", "1.22.10", "--json"]);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        json(cmd.output().as_ref().unwrap())
    };
    let shared = get(&[("GOPIN_GOBIN", "shared")]);
    assert_eq!(
        shared["GOBIN"],
        env.store().join("gobin").display().to_string()
    );
    let off = get(&[("GOPIN_GOBIN", "off"), ("GOPIN_TOOLCHAIN", "inherit")]);
    assert!(off.get("GOBIN").is_none(), "{off}");
    assert!(off.get("GOTOOLCHAIN").is_none(), "{off}");
    assert!(
        off["PATH"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}:", goroot.join("bin").display()))
    );
    // The same keys in the config file.
    std::fs::write(
        env.dir.path().join("config.toml"),
        "gobin = \"off\"\ntoolchain = \"inherit\"\n",
    )
    .unwrap();
    let from_file = get(&[]);
    assert!(from_file.get("GOBIN").is_none() && from_file.get("GOTOOLCHAIN").is_none());
    std::fs::write(
        env.dir.path().join("config.toml"),
        "gobin = \"sometimes\"\n",
    )
    .unwrap();
    let out = env.gopin(&["env", "1.22.10"]).assert().code(1);
    let err = stderr_of(out.get_output());
    assert!(
        err.contains("config.toml") && err.contains("sometimes"),
        "{err}"
    );
}

#[test]
fn install_without_a_spec_installs_the_pinned_version() {
    let (_m, env) = world();
    std::fs::write(env.work().join("go.mod"), "module m\n\ngo 1.22.0\n").unwrap();
    env.gopin(&["install"]).assert().success();
    assert_eq!(env.store_entries("versions"), ["go1.22.10.linux-amd64"]);
    std::fs::remove_file(env.work().join("go.mod")).unwrap();
    let out = env.gopin(&["install"]).assert().code(1);
    assert!(stderr_of(out.get_output()).contains("no Go version is selected for"));
}

#[test]
fn hook_env_auto_installs_when_configured() {
    let (_m, env) = world();
    std::fs::write(env.work().join(".go-version"), "1.21\n").unwrap();
    let out = env
        .gopin(&["hook-env", "bash"])
        .env("GOPIN_AUTO_INSTALL", "true")
        .assert()
        .success();
    let script = stdout_of(out.get_output());
    let goroot = env.goroot("go1.21.13.linux-amd64");
    assert!(
        script.contains(&format!("export GOROOT={}\n", goroot.display())),
        "{script}"
    );
    assert!(stderr_of(out.get_output()).contains("auto_install"));
    // Without it: a hint, the user's environment, and no network.
    std::fs::write(env.work().join(".go-version"), "1.22.9\n").unwrap();
    let out = env.gopin(&["hook-env", "bash"]).assert().success();
    assert!(stderr_of(out.get_output()).contains("go1.22.9 is pinned by"));
    assert!(!stdout_of(out.get_output()).contains("export GOROOT"));
    assert!(!env.goroot("go1.22.9.linux-amd64").exists());
}

#[test]
fn every_command_shows_examples_and_rm_removes() {
    let (_m, env) = world();
    for cmd in [
        "install",
        "uninstall",
        "ls",
        "ls-remote",
        "use",
        "shell",
        "current",
        "which",
        "env",
        "exec",
        "doctor",
        "init",
        "audit",
        "outdated",
        "upgrade",
        "prune",
        "completions",
    ] {
        let out = env.gopin(&[cmd, "--help"]).assert().success();
        let text = stdout_of(out.get_output());
        assert!(
            text.contains("Examples:\n"),
            "{cmd} --help has no examples:\n{text}"
        );
    }
    env.gopin(&["install", "1.21.13"]).assert().success();
    env.gopin(&["rm", "1.21.13"]).assert().success();
    assert!(env.store_entries("versions").is_empty());
}

#[test]
fn a_relative_home_is_refused_rather_than_a_store_that_moves_with_cd() {
    let dir = tempfile::tempdir().unwrap();
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(gopin_bin());
        cmd.arg("ls")
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[("HOME", "rel")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr_of(&out),
        "gopin: error: HOME=rel is not valid: it is relative, so gopin's store would move with the current directory; use an absolute path, or set GOPIN_HOME; fix or unset HOME\n"
    );
    assert!(
        !dir.path().join("rel").exists(),
        "nothing made under the cwd"
    );
    // GOPIN_HOME decides where the store is; the config and cache go beside it.
    let store = dir.path().join("store");
    let out = run(&[("HOME", "rel"), ("GOPIN_HOME", store.to_str().unwrap())]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        !dir.path().join("rel").exists(),
        "nothing made under the cwd"
    );
}

/// A pin file that came from git as a symlink out of the project (`.go-version ->
/// ../../outside/file`) is never written through and never read as a version: `use` and
/// `current` refuse it, naming the link and its target, and the target keeps every byte. A
/// link that stays inside the project keeps working (docs/security.md).
#[test]
fn pin_file_symlinks_out_of_the_project_are_refused() {
    use std::os::unix::fs::symlink;
    let (_m, env) = world();
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let secret = b"1.21.13\nssh-ed25519 AAAAC3Nz user@host\r\n";
    std::fs::write(outside.join("file"), secret).unwrap();
    let repo = env.work().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join("go.mod"), "module r\n\ngo 1.21\n").unwrap();
    for name in [".go-version", ".tool-versions", "mise.toml", ".mise.toml"] {
        let link = repo.join(name);
        symlink("../../outside/file", &link).unwrap();
        let args: Vec<&str> = if name == ".go-version" {
            vec!["use", "1.22"]
        } else {
            vec!["use", "--file", name, "1.22"]
        };
        let out = env.gopin(&args).current_dir(&repo).assert().failure();
        let err = one_error_line(out.get_output());
        assert!(
            err.contains(&*link.to_string_lossy())
                && err.contains(&*outside.join("file").to_string_lossy())
                && err.contains("symlink"),
            "{name}: {err}"
        );
        assert_eq!(
            std::fs::read(outside.join("file")).unwrap(),
            secret,
            "{name}"
        );
        assert!(link.is_symlink(), "{name}");
        // Nothing was installed for a pin that cannot be written.
        assert!(!env.goroot("go1.22.10.linux-amd64").exists(), "{name}");
        let out = env
            .gopin(&["current"])
            .current_dir(&repo)
            .assert()
            .failure();
        let o = out.get_output();
        assert!(
            !stdout_of(o).contains("1.21.13"),
            "{name}: {}",
            stdout_of(o)
        );
        assert!(
            stderr_of(o).contains(&*link.to_string_lossy()),
            "{name}: {}",
            stderr_of(o)
        );
        std::fs::remove_file(&link).unwrap();
    }
    // mise's `.config` directory linked out of the project is refused the same way.
    std::fs::create_dir_all(outside.join("conf")).unwrap();
    std::fs::write(
        outside.join("conf/mise.toml"),
        "[tools]\ngo = \"1.21.13\"\n",
    )
    .unwrap();
    symlink("../../outside/conf", repo.join(".config")).unwrap();
    let out = env
        .gopin(&["current"])
        .current_dir(&repo)
        .assert()
        .failure();
    assert!(
        stderr_of(out.get_output()).contains("symlink"),
        "{}",
        stderr_of(out.get_output())
    );
    std::fs::remove_file(repo.join(".config")).unwrap();
    // Inside the project, a shared pin through a link is read and written through.
    std::fs::write(repo.join("shared-go-version"), "1.21.13\n").unwrap();
    std::fs::create_dir_all(repo.join("svc")).unwrap();
    symlink("../shared-go-version", repo.join("svc/.go-version")).unwrap();
    env.gopin(&["use", "1.22.9"])
        .current_dir(repo.join("svc"))
        .assert()
        .success();
    assert!(repo.join("svc/.go-version").is_symlink());
    assert_eq!(
        std::fs::read_to_string(repo.join("shared-go-version")).unwrap(),
        "1.22.9\n"
    );
    let out = env
        .gopin(&["current"])
        .current_dir(repo.join("svc"))
        .assert()
        .success();
    assert!(stdout_of(out.get_output()).starts_with("go1.22.9\t"));
    // A module of its own inside the repository (its own go.mod) shares the repository's pin
    // through a link: the repository is the project, not the module.
    std::fs::create_dir_all(repo.join("mod2")).unwrap();
    std::fs::write(repo.join("mod2/go.mod"), "module r/mod2\n\ngo 1.21\n").unwrap();
    symlink("../shared-go-version", repo.join("mod2/.go-version")).unwrap();
    let out = env
        .gopin(&["current"])
        .current_dir(repo.join("mod2"))
        .assert()
        .success();
    assert!(stdout_of(out.get_output()).starts_with("go1.22.9\t"));
}

/// The in-place editor changes exactly the entry the reader selects and keeps every other
/// byte (a BOM, CRLF line ends, comments, other keys), or refuses, naming it, a shape it
/// cannot edit without changing its meaning, leaving the file as it was. Each case: `file`
/// holding `before`, `gopin use ARGS 1.22.10` in its directory, then `after` (`Err(needle)`:
/// refused with an error holding `needle`), and what `current` says.
fn edit_case(file: &str, before: &str, args: &[&str], after: Result<&str, &str>) {
    let (_m, env) = world();
    let d = env.work().join("p");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(file), before).unwrap();
    let mut all = vec!["use"];
    all.extend_from_slice(args);
    all.push("1.22.10");
    let out = env.gopin(&all).current_dir(&d).output().unwrap();
    let now = std::fs::read_to_string(d.join(file)).unwrap();
    match after {
        Ok(after) => {
            assert!(out.status.success(), "{}", stderr_of(&out));
            assert_eq!(now, after);
            let out = env.gopin(&["current"]).current_dir(&d).output().unwrap();
            assert!(
                stdout_of(&out).starts_with("go1.22.10\t"),
                "{}{}",
                stdout_of(&out),
                stderr_of(&out)
            );
        }
        Err(needle) => {
            assert!(!out.status.success(), "{now}");
            let err = one_error_line(&out);
            assert!(err.contains(needle) && err.contains(file), "{err}");
            assert_eq!(now, before);
        }
    }
}

#[test]
fn editing_a_bom_tool_versions_adds_no_second_golang_line() {
    edit_case(
        ".tool-versions",
        "\u{feff}golang 1.21.13\nnodejs 20\n",
        &[],
        Ok("\u{feff}golang 1.22.10\nnodejs 20\n"),
    );
}

#[test]
fn editing_keeps_crlf_line_ends() {
    let text = "# tools\r\n[tools]\r\nnode = \"20\"\r\ngo = \"1.21.13\" # pinned\r\n\r\n[env]\r\nX = \"1\"\r\n";
    edit_case(
        "mise.toml",
        text,
        &[],
        Ok(&text.replace("1.21.13", "1.22.10")),
    );
    edit_case(
        ".tool-versions",
        "nodejs 20\r\n",
        &["--file", ".tool-versions"],
        Ok("nodejs 20\r\ngolang 1.22.10\r\n"),
    );
}

#[test]
fn editing_never_turns_a_comment_into_a_version() {
    edit_case(
        ".tool-versions",
        "golang   # TODO\n",
        &["--file", ".tool-versions"],
        Ok("golang   1.22.10 # TODO\n"),
    );
}

#[test]
fn editing_keeps_a_tables_other_keys() {
    edit_case(
        "mise.toml",
        "[tools]\ngo = { postinstall = \"go install x@latest\" }\n",
        &["--file", "mise.toml"],
        Ok("[tools]\ngo = { postinstall = \"go install x@latest\", version = \"1.22.10\" }\n"),
    );
}

#[test]
fn editing_refuses_a_list_limited_by_os() {
    edit_case(
        "mise.toml",
        "[tools]\ngo = [{ version = \"1.21.13\", os = [\"linux\"] }, \"1.20.1\"]\n",
        &[],
        Err("`os`"),
    );
}

#[test]
fn editing_refuses_two_tools_go_tables() {
    edit_case(
        "mise.toml",
        "[[tools.go]]\nversion = \"1.21.13\"\n\n[[tools.go]]\nversion = \"1.20.1\"\n",
        &["--file", "mise.toml"],
        Err("2 [[tools.go]] tables"),
    );
}

/// `use` in the home directory or in `/` would pin every directory below: it asks for
/// `--global` (or `--here`) instead, whatever bytes HOME holds or however it is reached.
#[test]
fn use_in_home_or_root_asks_for_global_or_here() {
    use std::os::unix::ffi::OsStrExt;
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let check_refused = |dir: &Path, home: &std::ffi::OsStr, shown: &str| {
        let out = env
            .gopin(&["use", "1.22.10"])
            .current_dir(dir)
            .env("HOME", home)
            .env("PWD", dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
        let err = one_error_line(&out);
        for needle in [
            shown,
            "`gopin use --global 1.22.10`",
            "`gopin use --here 1.22.10`",
        ] {
            assert!(err.contains(needle), "{needle:?} not in {err}");
        }
        assert!(!dir.join(".go-version").exists(), "nothing is written");
    };
    // A HOME whose name is not UTF-8, reached directly and through a symlink.
    let home = env
        .dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"h\xffome"));
    std::fs::create_dir_all(&home).unwrap();
    check_refused(&home, home.as_os_str(), "your home directory (");
    check_refused(&home, home.as_os_str(), "h\\xffome");
    let link = env.dir.path().join("home-link");
    std::os::unix::fs::symlink(&home, &link).unwrap();
    check_refused(&home, link.as_os_str(), "your home directory");
    check_refused(&link, home.as_os_str(), "your home directory");
    // The root directory (nothing is ever written there).
    check_refused(Path::new("/"), home.as_os_str(), "the root directory /");

    // --here pins it all the same; --global sets the default; below HOME needs neither.
    env.gopin(&["use", "--here", "1.22.10"])
        .current_dir(&home)
        .env("HOME", &home)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(home.join(".go-version")).unwrap(),
        "1.22.10\n"
    );
    std::fs::remove_file(home.join(".go-version")).unwrap();
    env.gopin(&["use", "--global", "1.22.10"])
        .current_dir(&home)
        .env("HOME", &home)
        .assert()
        .success();
    assert!(!home.join(".go-version").exists());
    assert!(env.store().join("default-version").exists());
    std::fs::create_dir_all(home.join("src/app")).unwrap();
    env.gopin(&["use", "1.22.10"])
        .current_dir(home.join("src/app"))
        .env("HOME", &home)
        .assert()
        .success();
    assert!(home.join("src/app/.go-version").exists());
    // --unset in HOME is always allowed (it removes).
    env.gopin(&["use", "--unset"])
        .current_dir(&home)
        .env("HOME", &home)
        .assert()
        .success();
}

/// `current` exits 1 when nothing is selected: a go line alone does not pick, so one that
/// nothing installed meets leaves `"version": null`, and status 1 as with no file at all.
#[test]
fn current_is_status_1_when_no_release_can_be_named() {
    let (_m, env) = world();
    std::fs::write(env.work().join("go.mod"), "module m\n\ngo 1.22\n").unwrap();
    let check = |code: i32, version: serde_json::Value| {
        let out = env.gopin(&["current", "--json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", stdout_of(&out));
        let j = json(&out);
        assert_eq!(j["version"], version, "{j}");
        assert_eq!(j["request"], "Go 1.22 or newer", "{j}");
        let out = env.gopin(&["current"]).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", stdout_of(&out));
    };
    check(1, serde_json::Value::Null);
    env.gopin(&["install", "1.21.13"]).assert().success();
    check(1, serde_json::Value::Null);
    env.gopin(&["install", "1.22.9"]).assert().success();
    check(0, "go1.22.9".into());
    // An exact pin names its release even before it is installed.
    std::fs::write(env.work().join(".go-version"), "1.22.10\n").unwrap();
    let out = env.gopin(&["current", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["version"], "go1.22.10");
    assert_eq!(json(&out)["installed"], false);
}

/// `which` finds the toolchain's own tools (`vet` in pkg/tool/<goos>_<goarch>), and a tool
/// every release ships that is missing means a damaged tree (`install --force`), never
/// "install it with go install".
#[test]
fn which_finds_toolchain_tools_and_calls_a_missing_one_damage() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    std::fs::write(env.work().join(".go-version"), "1.22.10\n").unwrap();
    let goroot = env.goroot("go1.22.10.linux-amd64");
    let tools = goroot.join("pkg/tool/linux_amd64");
    std::fs::create_dir_all(&tools).unwrap();
    std::fs::write(tools.join("vet"), "").unwrap();
    let out = env.gopin(&["which", "vet"]).assert().success();
    assert_eq!(
        stdout_of(out.get_output()),
        format!("{}\n", tools.join("vet").display())
    );
    std::fs::remove_file(tools.join("vet")).unwrap();
    std::fs::remove_file(goroot.join("bin/gofmt")).unwrap();
    for (tool, path) in [
        ("vet", tools.join("vet")),
        ("gofmt", goroot.join("bin/gofmt")),
    ] {
        let out = env.gopin(&["which", tool]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let line = one_error_line(&out);
        assert!(
            line.contains(&format!("{} is missing", path.display()))
                && line.contains("tree is damaged")
                && line.contains("gopin install --force go1.22.10")
                && !line.contains("go install`"),
            "{line}"
        );
    }
    // `which go` with bin/go gone: damaged too (`which` names the tree, the hook the guard).
    std::fs::remove_file(goroot.join("bin/go")).unwrap();
    let line = one_error_line(&env.gopin(&["which", "go"]).output().unwrap());
    assert!(
        line.contains("bin/go is missing") && line.contains("gopin install --force go1.22.10"),
        "{line}"
    );
}

/// The environment a GitHub Actions runner gives later steps from `$GITHUB_ENV` (last
/// assignment wins) and `$GITHUB_PATH` (each line put in front, in order).
fn actions_environment(genv: &Path, gpath: &Path, path: &str) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for line in std::fs::read_to_string(genv).unwrap().lines() {
        let (name, value) = line.split_once('=').unwrap();
        vars.retain(|(n, _)| n != name);
        vars.push((name.to_string(), value.to_string()));
    }
    let mut path = path.to_string();
    for dir in std::fs::read_to_string(gpath).unwrap_or_default().lines() {
        path = format!("{dir}:{path}");
    }
    vars.push(("PATH".into(), path));
    vars
}

/// `gopin env --github` twice in one job: the second call sets or clears every variable the
/// first set (no stale GOPIN_SOURCE), and `gopin doctor` in a later step, where no hook runs,
/// finds nothing wrong.
#[test]
fn env_github_twice_is_consistent_and_doctor_is_clean_after_it() {
    let (_m, env) = world();
    env.gopin(&["install", "1.22.10", "1.21.13"])
        .assert()
        .success();
    std::fs::write(env.work().join(".go-version"), "1.22.10\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (genv, gpath) = (dir.path().join("env"), dir.path().join("path"));
    let step = |args: &[&str], vars: &[(String, String)]| {
        let mut cmd = env.gopin(args);
        cmd.env("GITHUB_ENV", &genv).env("GITHUB_PATH", &gpath);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = step(&["env", "--github"], &[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let vars = actions_environment(&genv, &gpath, "/usr/bin:/bin");
    let get = |vars: &[(String, String)], name: &str| {
        vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    };
    let pin = env.work().join(".go-version").display().to_string();
    assert_eq!(get(&vars, "GOPIN_SOURCE"), Some(pin));
    // doctor in the next step: clean.
    let out = step(&["doctor"], &vars);
    assert!(
        out.status.success(),
        "doctor after env --github:\n{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    // A second call for a named version: nothing of the first one's stays.
    let out = step(&["env", "--github", "1.21.13"], &vars);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let vars = actions_environment(&genv, &gpath, "/usr/bin:/bin");
    assert_eq!(get(&vars, "GOPIN_VERSION").as_deref(), Some("go1.21.13"));
    assert_eq!(get(&vars, "GOPIN_SOURCE").as_deref(), Some(""), "cleared");
    let goroot = env.goroot("go1.21.13.linux-amd64");
    assert_eq!(get(&vars, "GOROOT"), Some(goroot.display().to_string()));
    assert!(
        get(&vars, "PATH")
            .unwrap()
            .starts_with(&format!("{}:", goroot.join("bin").display())),
        "{vars:?}"
    );

    // The usual CI job: nothing pinned, the version named in the workflow.
    std::fs::remove_file(env.work().join(".go-version")).unwrap();
    std::fs::remove_file(&genv).unwrap();
    std::fs::remove_file(&gpath).unwrap();
    let out = step(&["env", "--github", "1.21.13"], &[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let vars = actions_environment(&genv, &gpath, "/usr/bin:/bin");
    let out = step(&["doctor"], &vars);
    assert!(
        out.status.success(),
        "doctor after env --github 1.21.13 where nothing is pinned:\n{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    assert!(
        stdout_of(&out).contains("the environment was applied by `gopin env`"),
        "{}",
        stdout_of(&out)
    );
}

/// `use --file` names one of the pin files gopin reads, in the current directory: any other
/// path (absolute, outside the project, a name no selection reads) is refused before anything
/// is installed, and the file it names keeps every byte.
#[test]
fn use_file_takes_only_the_pin_files_names() {
    let (_m, env) = world();
    let d = env.work().join("p");
    std::fs::create_dir_all(&d).unwrap();
    let victim = env.dir.path().join("victim");
    std::fs::write(&victim, "SECRET KEY\n").unwrap();
    let outside = env.work().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("file"), "keep\n").unwrap();
    for file in [
        victim.to_str().unwrap(),
        "../outside/file",
        "foo.txt",
        "sub/.go-version",
    ] {
        let out = env
            .gopin(&["use", "--file", file, "1.22"])
            .current_dir(&d)
            .assert()
            .failure();
        let err = one_error_line(out.get_output());
        assert!(
            err.contains("is not one of the pin files gopin reads")
                && err.contains(".tool-versions"),
            "{file}: {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "SECRET KEY\n");
    assert_eq!(
        std::fs::read_to_string(outside.join("file")).unwrap(),
        "keep\n"
    );
    assert!(!d.join("foo.txt").exists());
    assert!(!env.goroot("go1.22.10.linux-amd64").exists());
}

/// A pinned version that is not installed: each command names `gopin install`, and only the
/// one that has an `--install` of its own (`exec`) offers it.
#[test]
fn a_missing_version_s_fix_names_only_flags_the_command_has() {
    let (_m, env) = world();
    std::fs::write(env.work().join(".go-version"), "1.21.13\n").unwrap();
    for args in [
        &["which", "go"][..],
        &["which", "--goroot"],
        &["env"],
        &["tools"],
    ] {
        let line = one_error_line(&env.gopin(args).output().unwrap());
        assert!(line.contains("gopin install"), "{args:?}: {line}");
        assert!(!line.contains("--install"), "{args:?}: {line}");
    }
    let line = one_error_line(
        &env.gopin(&["exec", "--", "go", "version"])
            .output()
            .unwrap(),
    );
    assert!(line.contains("gopin install"), "{line}");
    assert!(line.contains("(or pass --install)"), "{line}");
}
