//! `gopin tools`, `tools sync`, the `upgrade` that carries tools, and doctor's stale-tool
//! warning, through the real binary. The tools are ELF files carrying the build info Go's
//! linker writes; the target's `go` is a script that logs how it was run and "builds" by
//! copying a prepared binary (the end-to-end script, scripts/e2e-tools.sh, runs the real go).

use crate::support;

use std::path::{Path, PathBuf};

use support::*;

const OLD: &str = "go1.21.13";
const NEW: &str = "go1.22.10";

/// An ELF executable: `package` of `module@version`, built by `go` with `settings`.
fn tool_binary(go: &str, package: &str, module: &str, version: &str, settings: &str) -> Vec<u8> {
    let mut text = format!("path\t{package}\nmod\t{module}\t{version}\t\n");
    for s in settings.split_whitespace() {
        text.push_str(&format!("build\t{s}\n"));
    }
    text.push_str("build\tGOOS=linux\nbuild\tGOARCH=amd64\n");
    let modinfo = go_modinfo(&text);
    elf_exe(Some(".go.buildinfo"), |_| go_blob_inline(go, &modinfo))
}

/// A `go` that logs each `install` (arguments and the variables that matter) to
/// `$FAKE_GO_LOG` and copies `$FAKE_BUILDS/<name>` into `$GOBIN`; a package with no prepared
/// build fails as a proxy that lacks the module does.
fn logging_go(version: &str) -> String {
    format!(
        r#"#!/bin/sh
case "$1" in
  version) echo "go version {version} linux/amd64" ;;
  install)
    for last; do :; done
    echo "${{*}} | GOBIN=$GOBIN GOROOT=$GOROOT GOTOOLCHAIN=$GOTOOLCHAIN CGO_ENABLED=${{CGO_ENABLED-unset}} GOFLAGS=$GOFLAGS GOWORK=$GOWORK GOOS=${{GOOS-unset}}" >>"$FAKE_GO_LOG"
    name=${{last%@*}}
    name=${{name##*/}}
    if [ -f "$FAKE_BUILDS/$name" ]; then
      mkdir -p "$GOBIN" && cp "$FAKE_BUILDS/$name" "$GOBIN/$name"
    else
      echo "go: downloading $last" >&2
      echo "go: $last: reading http://127.0.0.1:9/example.com/gone/@v/v1.0.0.info: 404 Not Found" >&2
      exit 1
    fi ;;
  *) echo "fake go: $*" ;;
esac
"#
    )
}

/// The GOBIN gopin gives `version`, as `gopin env` reports it.
fn gobin(env: &Env, version: &str) -> PathBuf {
    let out = env.gopin(&["env", version, "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    PathBuf::from(json["GOBIN"].as_str().expect("a GOBIN"))
}

fn write_exe(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    write_executable(&dir.join(name), bytes);
}

struct World {
    _mirror: Mirror,
    env: Env,
    old_bin: PathBuf,
    new_bin: PathBuf,
    log: PathBuf,
}

/// OLD and NEW installed; OLD's GOBIN holds `tool` (a module version, with flags), `local`
/// (built in its directory), `gone` (a module version the fake proxy lacks) and a script.
fn world() -> World {
    let (mirror, env) = world_with(&[NEW, OLD], &[NEW, OLD]);
    let builds = env.dir.path().join("builds");
    let log = env.dir.path().join("go.log");
    let env = env
        .with_var("FAKE_BUILDS", builds.to_str().unwrap())
        .with_var("FAKE_GO_LOG", log.to_str().unwrap())
        .with_var("GOFLAGS", "-mod=mod");
    let old_bin = gobin(&env, OLD);
    let new_bin = gobin(&env, NEW);
    let tool = |go| {
        tool_binary(
            go,
            "example.com/tool/cmd/tool",
            "example.com/tool",
            "v1.0.0",
            "-tags=netgo -trimpath=true CGO_ENABLED=0",
        )
    };
    write_exe(&old_bin, "tool", &tool(OLD));
    write_exe(
        &old_bin,
        "local",
        &tool_binary(OLD, "example.com/local", "example.com/local", "(devel)", ""),
    );
    write_exe(
        &old_bin,
        "gone",
        &tool_binary(OLD, "example.com/gone", "example.com/gone", "v1.0.0", ""),
    );
    write_exe(&old_bin, "notes.sh", b"#!/bin/sh\necho notes\n");
    write_exe(&builds, "tool", &tool(NEW));
    write_executable(
        &env.goroot(&format!("{NEW}.linux-amd64")).join("bin/go"),
        logging_go(NEW),
    );
    World {
        _mirror: mirror,
        env,
        old_bin,
        new_bin,
        log,
    }
}

fn log_lines(w: &World) -> Vec<String> {
    std::fs::read_to_string(&w.log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn lists_module_version_package_builder_and_rebuildability() {
    let w = world();
    let out = w.env.gopin(&["tools", OLD, "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], OLD);
    assert_eq!(json["gobin"], w.old_bin.to_str().unwrap());
    let tools = json["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gone", "local", "notes.sh", "tool"]);
    let tool = &tools[3];
    assert_eq!(tool["module"], "example.com/tool");
    assert_eq!(tool["version"], "v1.0.0");
    assert_eq!(tool["package"], "example.com/tool/cmd/tool");
    assert_eq!(tool["built_by"], OLD);
    assert_eq!(tool["rebuildable"], true);
    assert_eq!(
        tool["command"],
        "CGO_ENABLED=0 go install -tags=netgo -trimpath example.com/tool/cmd/tool@v1.0.0"
    );
    assert_eq!(tools[1]["rebuildable"], false);
    assert!(
        tools[1]["why"].as_str().unwrap().contains("(devel)"),
        "{}",
        tools[1]
    );
    assert_eq!(tools[2]["go"], false);
    assert!(
        tools[2]["why"]
            .as_str()
            .unwrap()
            .starts_with("not a Go binary")
    );

    let text = stdout_of(&w.env.gopin(&["tools", OLD]).output().unwrap());
    assert!(text.starts_with(&format!("{OLD}: ")), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("  tool ")
            && l.contains("example.com/tool@v1.0.0")
            && l.contains(&format!("built by {OLD}"))
            && l.ends_with("package example.com/tool/cmd/tool")),
        "{text}"
    );
    assert!(
        text.contains("cannot be rebuilt: built from a local directory"),
        "{text}"
    );
    // An empty GOBIN, and the selected version by default.
    std::fs::write(w.env.work().join(".go-version"), "1.22.10\n").unwrap();
    let empty = stdout_of(&w.env.gopin(&["tools"]).output().unwrap());
    assert!(
        empty.starts_with(&format!("{NEW}: no tools in ")),
        "{empty}"
    );
    // --all: both.
    let all = w.env.gopin(&["tools", "--all", "--json"]).output().unwrap();
    let all: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
}

#[test]
fn sync_rebuilds_reports_each_tool_and_fails_for_a_missing_module() {
    let w = world();
    // A dry run runs nothing.
    let dry = w
        .env
        .gopin(&["tools", "sync", "--from", OLD, "--to", NEW, "--dry-run"])
        .output()
        .unwrap();
    assert!(dry.status.success(), "{}", stderr_of(&dry));
    assert!(
        stdout_of(&dry).contains(
            "tool: would run CGO_ENABLED=0 go install -tags=netgo -trimpath example.com/tool/cmd/tool@v1.0.0"
        ),
        "{}",
        stdout_of(&dry)
    );
    assert!(log_lines(&w).is_empty());

    let out = w
        .env
        .gopin(&["tools", "sync", "--from", OLD, "--to", NEW])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr_of(&out));
    assert!(
        text.contains(&format!(
            "tool: rebuilt with {NEW} (example.com/tool/cmd/tool@v1.0.0)"
        )),
        "{text}"
    );
    assert!(text.contains("local: cannot be rebuilt: built from a local directory"));
    assert!(text.contains("notes.sh: cannot be rebuilt: not a Go binary"));
    assert!(
        text.contains("gone: failed: go: example.com/gone@v1.0.0: reading http://127.0.0.1:9/example.com/gone/@v/v1.0.0.info: 404 Not Found"),
        "{text}"
    );
    assert!(stderr_of(&out).contains("] tool: CGO_ENABLED=0 go install"));
    // What the go command was given: the recorded flags, the target's environment, the
    // user's GOFLAGS.
    let log = log_lines(&w);
    assert_eq!(log.len(), 2, "{log:?}");
    let tool_line = log.iter().find(|l| l.contains("example.com/tool")).unwrap();
    let goroot = w.env.goroot(&format!("{NEW}.linux-amd64"));
    assert_eq!(
        tool_line,
        &format!(
            "install -tags=netgo -trimpath example.com/tool/cmd/tool@v1.0.0 | GOBIN={} GOROOT={} GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off GOOS=unset",
            w.new_bin.display(),
            goroot.display()
        )
    );
    assert!(w.new_bin.join("tool").is_file());
    assert!(!w.new_bin.join("local").exists() && !w.new_bin.join("gone").exists());

    // Again, with the failing tool gone: nothing to build, exit 0.
    std::fs::remove_file(w.old_bin.join("gone")).unwrap();
    let again = w
        .env
        .gopin(&["tools", "sync", "--from", OLD, "--to", NEW])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert!(
        stdout_of(&again).contains(&format!(
            "tool: already there (example.com/tool/cmd/tool@v1.0.0, built by {NEW})"
        )),
        "{}",
        stdout_of(&again)
    );
    assert_eq!(log_lines(&w).len(), 2, "nothing more ran");
}

#[test]
fn sync_needs_from_and_a_gobin() {
    let w = world();
    let out = w
        .env
        .gopin(&["tools", "sync", "--to", NEW])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        one_error_line(&out).contains("gopin tools sync --from VERSION"),
        "{}",
        stderr_of(&out)
    );
    let off = w
        .env
        .gopin(&["tools", OLD])
        .env("GOPIN_GOBIN", "off")
        .output()
        .unwrap();
    assert_eq!(off.status.code(), Some(1));
    assert!(one_error_line(&off).contains("gobin = \"off\""));
    let missing = w
        .env
        .gopin(&["tools", "sync", "--from", "1.20", "--to", NEW])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(one_error_line(&missing).contains("gopin install 1.20"));
    assert!(log_lines(&w).is_empty());
}

#[test]
fn shared_gobin_is_listed_and_rebuilt_in_place() {
    let w = world();
    let env = w.env.with_var("GOPIN_GOBIN", "shared");
    let shared = gobin(&env, NEW);
    assert_eq!(gobin(&env, OLD), shared);
    write_exe(
        &shared,
        "tool",
        &tool_binary(
            OLD,
            "example.com/tool/cmd/tool",
            "example.com/tool",
            "v1.0.0",
            "-tags=netgo -trimpath=true CGO_ENABLED=0",
        ),
    );
    let listed = stdout_of(&env.gopin(&["tools", NEW]).output().unwrap());
    assert!(listed.contains("(the shared GOBIN)"), "{listed}");
    let out = env.gopin(&["tools", "sync", "--to", NEW]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains(&format!("tool: rebuilt with {NEW}")));
    let json = env.gopin(&["tools", NEW, "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["tools"][0]["built_by"], NEW);
}

#[test]
fn upgrade_carries_tools_to_the_new_patch_unless_told_not_to() {
    for no_tools in [false, true] {
        let mut tree = go_tree(NEW, "linux/amd64");
        for entry in &mut tree {
            if let Entry::File(name, _, data) = entry
                && name == "go/bin/go"
            {
                *data = logging_go(NEW).into_bytes();
            }
        }
        let releases = [
            Release::with_archive(NEW, tar_gz(&tree)),
            Release::linux("go1.22.9"),
        ];
        let (_mirror, env) = mirror_with(&releases);
        env.gopin(&["install", "1.22.9"]).assert().success();
        let builds = env.dir.path().join("builds");
        let log = env.dir.path().join("go.log");
        let env = env
            .with_var("FAKE_BUILDS", builds.to_str().unwrap())
            .with_var("FAKE_GO_LOG", log.to_str().unwrap());
        let tool = |go| tool_binary(go, "example.com/tool", "example.com/tool", "v1.0.0", "");
        write_exe(&gobin(&env, "go1.22.9"), "tool", &tool("go1.22.9"));
        write_exe(&builds, "tool", &tool(NEW));
        let mut args = vec!["upgrade", "1.22"];
        if no_tools {
            args.push("--no-tools");
        }
        let out = env.gopin(&args).output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let new_tool = gobin(&env, NEW).join("tool");
        if no_tools {
            assert!(!new_tool.exists());
            assert!(!log.exists());
        } else {
            assert!(
                stdout_of(&out).contains(&format!("tool: rebuilt with {NEW}")),
                "{}",
                stdout_of(&out)
            );
            assert!(new_tool.is_file());
        }
    }
}

#[test]
fn use_hints_at_the_previous_versions_tools() {
    let w = world();
    std::fs::write(w.env.work().join(".go-version"), "1.21.13\n").unwrap();
    let out = w.env.gopin(&["use", "1.22.10"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!(
            "note: {OLD} has tools that {NEW} lacks (gone, tool): rebuild them with `gopin tools sync --from {OLD} --to {NEW}`"
        )),
        "{err}"
    );
}

#[test]
fn doctor_warns_about_a_tool_on_path_built_by_an_older_minor() {
    let w = world();
    std::fs::write(w.env.work().join(".go-version"), "1.22.10\n").unwrap();
    let path = format!(
        "{}:{}",
        w.old_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = w
        .env
        .gopin(&["doctor", "--json"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr_of(&out)));
    let checks = json
        .as_array()
        .or_else(|| json["checks"].as_array())
        .unwrap();
    let tools: Vec<&serde_json::Value> = checks.iter().filter(|c| c["name"] == "tool").collect();
    let names: Vec<String> = tools
        .iter()
        .map(|c| {
            c["detail"]
                .as_str()
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["gone", "local", "tool"], "{tools:?}");
    assert!(
        tools[1]["fix"]
            .as_str()
            .unwrap()
            .starts_with(&format!("rebuild it from its source with {NEW}")),
        "{}",
        tools[1]
    );
    let fix = tools[2]["fix"].as_str().unwrap();
    assert_eq!(
        fix,
        format!("rebuild {OLD}'s tools with {NEW}: `gopin tools sync --from {OLD} --to {NEW}`")
    );
    // Once rebuilt and first on PATH, nothing to say.
    let path = format!("{}:{}", w.new_bin.display(), path);
    std::fs::create_dir_all(&w.new_bin).unwrap();
    std::fs::copy(w.env.dir.path().join("builds/tool"), w.new_bin.join("tool")).unwrap();
    let out = w
        .env
        .gopin(&["doctor", "--json"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = json
        .as_array()
        .or_else(|| json["checks"].as_array())
        .unwrap();
    let names: Vec<&str> = checks
        .iter()
        .filter(|c| c["name"] == "tool")
        .map(|c| c["detail"].as_str().unwrap().split(' ').next().unwrap())
        .collect();
    assert_eq!(names, ["gone", "local"]);
}

#[test]
fn help_shows_examples() {
    let env = Env::with_urls("http://127.0.0.1:9/index.json", "http://127.0.0.1:9/dl/");
    for args in [&["tools", "--help"][..], &["tools", "sync", "--help"]] {
        let out = env.gopin(args).assert().success();
        let text = stdout_of(out.get_output());
        assert!(text.contains("Examples:\n"), "{args:?}:\n{text}");
    }
}

#[test]
fn a_name_that_is_not_utf8_is_listed_not_lost() {
    use std::os::unix::ffi::OsStrExt;
    let w = world();
    let odd = w.old_bin.join(std::ffi::OsStr::from_bytes(b"to\xffol"));
    std::fs::copy(w.old_bin.join("tool"), &odd).unwrap();
    let out = w.env.gopin(&["tools", OLD, "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let odd = json["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "to\u{fffd}ol")
        .expect("listed");
    assert_eq!(odd["rebuildable"], false);
    assert!(odd["why"].as_str().unwrap().contains("renamed"), "{odd}");
    let text = w.env.gopin(&["tools", OLD]).output().unwrap();
    assert!(text.status.success());
}

#[test]
fn install_hints_at_the_selected_versions_tools() {
    let (_mirror, env) = world_with(&[NEW, OLD], &[OLD]);
    std::fs::write(env.work().join(".go-version"), "1.21.13\n").unwrap();
    let tool = tool_binary(OLD, "example.com/tool", "example.com/tool", "v1.0.0", "");
    write_exe(&gobin(&env, OLD), "tool", &tool);
    let out = env.gopin(&["install", "1.22.10"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains(&format!(
            "note: {OLD} has tools that {NEW} lacks (tool): rebuild them with `gopin tools sync --from {OLD} --to {NEW}`"
        )),
        "{}",
        stderr_of(&out)
    );
    // Installed already: nothing new, no hint.
    let again = env.gopin(&["install", "1.22.10"]).output().unwrap();
    assert!(!stderr_of(&again).contains("has tools"));
}
