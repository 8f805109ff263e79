//! The `go` and `gofmt` proxies (`gopin shims`) through the real binary: they run the Go the
//! hook would select, with the hook's environment, pass arguments, exit status and signals
//! through, and fail with one line (never another `go`) when the selection is missing or
//! broken; and the hook, in bash, zsh and fish, keeps their directory on PATH.

use crate::support;

use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::*;

/// A `go/bin/go` for these tests. Besides `version` it prints variables (`env NAME...`), its
/// arguments one per `<>`, exits with a status, becomes `sleep`, looks `go` up on its own
/// PATH as the real one's children do (`go generate`, `go tool`), and runs a command as a child.
fn proxy_go(version: &str) -> Vec<u8> {
    format!(
        r#"#!/bin/sh
case "$1" in
  version) echo "go version {version} linux/amd64" ;;
  env) shift; for name in "$@"; do printenv "$name" || echo "<unset>"; done ;;
  args) shift; printf '<%s>' "$@" ;;
  exit) exit "$2" ;;
  sleep) exec sleep "$2" ;;
  child) command -v go ;;
  run) shift; "$@"; exit $? ;;
esac
"#
    )
    .into_bytes()
}

fn release(version: &'static str) -> Release {
    let mut entries = go_tree(version, "linux/amd64");
    for entry in &mut entries {
        if let Entry::File(path, _, data) = entry
            && path == "go/bin/go"
        {
            *data = proxy_go(version);
        }
    }
    Release::with_archive(version, tar_gz(&entries))
}

/// Two installed versions, the proxies, a "system" Go after them on PATH, and projects.
struct World {
    env: Env,
    _mirror: Mirror,
    shims: PathBuf,
}

impl World {
    fn new() -> World {
        let mirror = Mirror::start();
        publish(&mirror, &[release("go1.22.10"), release("go1.21.13")]);
        let env = Env::new(&mirror);
        env.gopin(&["install", "1.22.10", "1.21.13"])
            .assert()
            .success();
        let out = env.gopin(&["shims"]).output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let shims = PathBuf::from(stdout_of(&out).trim_end());
        let w = World {
            env,
            _mirror: mirror,
            shims,
        };
        w.write("sysgo/bin/go", "#!/bin/sh\necho system go\n");
        use std::os::unix::fs::PermissionsExt;
        let sysgo = w.env.work().join("sysgo/bin/go");
        std::fs::set_permissions(sysgo, std::fs::Permissions::from_mode(0o755)).unwrap();
        w.write("proj/.go-version", "1.22.10\n");
        w.write(
            "proj/nested/go.mod",
            "module example.com/n\n\ngo 1.21\n\ntoolchain go1.21.13\n",
        );
        std::fs::create_dir_all(w.env.work().join("plain")).unwrap();
        w
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.env.work().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn dir(&self, rel: &str) -> PathBuf {
        self.env.work().join(rel)
    }

    /// PATH as an IDE or cron would have it: the proxies, then a system Go.
    fn path(&self) -> String {
        format!(
            "{}:{}:/usr/bin:/bin",
            self.shims.display(),
            self.dir("sysgo/bin").display()
        )
    }

    /// `tool ARGS` through the proxy in `dir`, with no hook anywhere.
    fn command(&self, dir: &Path, tool: &str, args: &[&std::ffi::OsStr]) -> Command {
        let mut cmd = Command::new(self.shims.join(tool));
        cmd.args(args).current_dir(dir).env_clear();
        for (k, v) in self.env.vars() {
            cmd.env(k, v);
        }
        cmd.env("PATH", self.path());
        cmd
    }

    fn run(&self, rel: &str, tool: &str, args: &[&str]) -> Output {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        self.command(&self.dir(rel), tool, &args).output().unwrap()
    }

    fn goroot(&self, version: &str) -> PathBuf {
        self.env.goroot(&format!("{version}.linux-amd64"))
    }
}

/// Asserts a proxy failure: status 1, one line on stderr containing each of `needles`,
/// nothing on stdout, and no other `go` run.
fn assert_fails(out: &Output, needles: &[&str]) {
    let err = stderr_of(out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(out.stdout.is_empty(), "stdout: {}", stdout_of(out));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("gopin: error: "), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
}

#[test]
fn shims_links_both_tools_and_running_it_again_changes_nothing() {
    let w = World::new();
    let gopin = gopin_bin().canonicalize().unwrap();
    assert_eq!(w.shims, w.env.store().join("bin"));
    let inode = |tool: &str| {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(w.shims.join(tool)).unwrap().ino()
    };
    let before: Vec<u64> = ["go", "gofmt"].map(inode).to_vec();
    for tool in ["go", "gofmt"] {
        assert_eq!(std::fs::read_link(w.shims.join(tool)).unwrap(), gopin);
    }
    let again = w.env.gopin(&["shims"]).output().unwrap();
    assert!(again.status.success());
    assert_eq!(stdout_of(&again), format!("{}\n", w.shims.display()));
    assert!(
        stderr_of(&again).contains("already run"),
        "{}",
        stderr_of(&again)
    );
    assert_eq!(["go", "gofmt"].map(inode).to_vec(), before);
    assert_eq!(list_dir(&w.shims), ["go", "gofmt"]);

    // A link left by a gopin that has since moved is replaced.
    std::fs::remove_file(w.shims.join("go")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/gopin", w.shims.join("go")).unwrap();
    w.env.gopin(&["-q", "shims"]).assert().success().stderr("");
    assert_eq!(std::fs::read_link(w.shims.join("go")).unwrap(), gopin);

    // A file that is not a link is not gopin's to replace.
    std::fs::remove_file(w.shims.join("gofmt")).unwrap();
    std::fs::write(w.shims.join("gofmt"), "mine\n").unwrap();
    let out = w.env.gopin(&["shims"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("bin/gofmt exists and is not a link gopin made"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(w.shims.join("gofmt")).unwrap(),
        "mine\n"
    );
}

#[test]
fn the_proxy_runs_the_selected_go_in_the_environment_the_hook_exports() {
    if !shell_available("bash") {
        return;
    }
    let w = World::new();
    let names = [
        "GOROOT",
        "GOBIN",
        "GOTOOLCHAIN",
        "GOPIN_VERSION",
        "GOPIN_SOURCE",
        "PATH",
    ];
    for (rel, version) in [("proj", "go1.22.10"), ("proj/nested", "go1.21.13")] {
        let out = w.run(rel, "go", &["version"]);
        assert!(out.status.success(), "{}", stderr_of(&out));
        assert_eq!(
            stdout_of(&out),
            format!("go version {version} linux/amd64\n")
        );
        assert_eq!(stderr_of(&out), "", "nothing printed on success");

        let mut args = vec!["env"];
        args.extend(names);
        let proxied = stdout_of(&w.run(rel, "go", &args));
        // The same variables from the bash hook, in the same directory and PATH.
        let script = format!(
            "eval \"$('{}' init bash)\"; cd '{}'; _gopin_hook; for n in {}; do printenv \"$n\" || echo '<unset>'; done",
            gopin_bin().display(),
            w.dir(rel).display(),
            names.join(" ")
        );
        let mut bash = Command::new("bash");
        bash.args(["--norc", "--noprofile", "-c", &script])
            .env_clear()
            .env("PATH", w.path());
        for (k, v) in w.env.vars() {
            bash.env(k, v);
        }
        let hooked = bash.output().unwrap();
        assert_eq!(proxied, stdout_of(&hooked), "{rel}: {}", stderr_of(&hooked));

        let goroot = w.goroot(version);
        let lines: Vec<&str> = proxied.lines().collect();
        assert_eq!(lines[0], goroot.display().to_string());
        assert_eq!(lines[2], "local");
        assert_eq!(lines[3], version);
        let front = format!("{}:{}:", goroot.join("bin").display(), lines[1]);
        assert_eq!(lines[5], format!("{front}{}", w.path()));

        // A child that looks `go` up (go generate, go tool) finds the same Go.
        let child = w.run(rel, "go", &["child"]);
        assert_eq!(
            stdout_of(&child),
            format!("{}\n", goroot.join("bin/go").display())
        );
    }
    let gofmt = w.run("proj/nested", "gofmt", &["-l", "."]);
    assert_eq!(stdout_of(&gofmt), "gofmt\n");
}

#[test]
fn arguments_exit_status_and_signals_pass_through() {
    let w = World::new();
    let arg = |b: &[u8]| std::ffi::OsStr::from_bytes(b).to_owned();
    let args = [
        arg(b"args"),
        arg(b"a b"),
        arg(b""),
        arg(b"-x"),
        arg(b"\xff\xfe$HOME"),
    ];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let out = w.command(&w.dir("proj"), "go", &args).output().unwrap();
    assert_eq!(out.stdout, b"<a b><><-x><\xff\xfe$HOME>");

    for code in [0, 1, 2, 7, 126, 127] {
        let out = w.run("proj", "go", &["exit", &code.to_string()]);
        assert_eq!(out.status.code(), Some(code));
        assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
    }

    // The proxy replaces itself: the process is the tool, and a signal is its own.
    let sleep = std::ffi::OsStr::new("sleep");
    let mut child = w
        .command(&w.dir("proj"), "go", &[sleep, std::ffi::OsStr::new("30")])
        .spawn()
        .unwrap();
    let comm = format!("/proc/{}/comm", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::read_to_string(&comm).unwrap_or_default() != "sleep\n" {
        assert!(std::time::Instant::now() < deadline, "never became sleep");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM));
}

#[test]
fn a_missing_or_broken_selection_is_one_line_and_never_another_go() {
    let w = World::new();
    w.write("notinstalled/.go-version", "1.23.4\n");
    assert_fails(
        &w.run("notinstalled", "go", &["version"]),
        &[
            "go1.23.4 is pinned by",
            "notinstalled/.go-version",
            "run: gopin install",
        ],
    );
    w.write("mod/go.mod", "module m\n\ngo 1.24\n");
    assert_fails(
        &w.run("mod", "go", &["build"]),
        &["mod/go.mod requires Go 1.24 or newer", "gopin install"],
    );
    w.write("bad/.go-version", "1.22.x; rm -rf /\n");
    assert_fails(
        &w.run("bad", "gofmt", &[]),
        &["bad/.go-version line 1", "fix or delete the file"],
    );
    assert_fails(
        &w.run("plain", "go", &["version"]),
        &["no Go version is selected for", "gopin use --global"],
    );
    // A default selects a Go everywhere else.
    w.env
        .gopin(&["use", "--global", "1.21.13"])
        .assert()
        .success();
    assert_eq!(
        stdout_of(&w.run("plain", "go", &["version"])),
        "go version go1.21.13 linux/amd64\n"
    );

    // A tree that lost a tool.
    std::fs::remove_file(w.goroot("go1.21.13").join("bin/gofmt")).unwrap();
    assert_fails(
        &w.run("proj/nested", "gofmt", &["-l"]),
        &["bin/gofmt is missing", "gopin install --force go1.21.13"],
    );

    // A broken config is named, not ignored.
    std::fs::write(w.env.dir.path().join("config.toml"), "gobin = [\n").unwrap();
    assert_fails(
        &w.run("proj", "go", &["version"]),
        &["config.toml is not valid TOML"],
    );
}

#[test]
fn a_proxy_never_runs_itself() {
    let w = World::new();
    let go = w.goroot("go1.22.10").join("bin/go");
    for target in [w.shims.join("go"), gopin_bin()] {
        std::fs::remove_file(&go).unwrap();
        std::os::unix::fs::symlink(&target, &go).unwrap();
        assert_fails(
            &w.run("proj", "go", &["version"]),
            &["bin/go is gopin itself", "gopin install --force go1.22.10"],
        );
    }
}

#[test]
fn a_target_that_execs_the_proxy_again_is_caught() {
    let w = World::new();
    // A wrapper in the store that hands over to the proxy: the same process would start the
    // proxy forever.
    let go = w.goroot("go1.22.10").join("bin/go");
    let wrapper = format!(
        "#!/bin/sh\nexec '{}' \"$@\"\n",
        w.shims.join("go").display()
    );
    std::fs::write(&go, wrapper).unwrap();
    assert_fails(
        &w.run("proj", "go", &["version"]),
        &[
            "bin/go started the go proxy again instead of running Go",
            "gopin install --force go1.22.10",
        ],
    );
    // A child process that runs the proxy again (as a `go generate` step may) is no loop.
    let proxy = w.shims.join("go");
    let out = w.run(
        "proj/nested",
        "go",
        &["run", proxy.to_str().unwrap(), "version"],
    );
    assert_eq!(
        stdout_of(&out),
        "go version go1.21.13 linux/amd64\n",
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_target_that_runs_the_proxy_again_as_a_child_is_stopped_at_the_second_re_entry() {
    let w = World::new();
    // A wrapper in the store that runs the proxy without exec: each proxy is a new process,
    // so only a count handed down the environment can see the loop. The wrapper gives up by
    // itself after 10 rounds, so a proxy that never stops fails this test instead of running
    // until the machine has no processes left.
    let go = w.goroot("go1.22.10").join("bin/go");
    let wrapper = format!(
        "#!/bin/sh\n\
         n=${{WRAPPER_ROUNDS:-0}}\n\
         if [ \"$n\" -ge 10 ]; then echo \"the proxy let the wrapper run $n times\" >&2; exit 99; fi\n\
         WRAPPER_ROUNDS=$((n + 1)) '{}' \"$@\"\n",
        w.shims.join("go").display()
    );
    std::fs::write(&go, wrapper).unwrap();
    let args: Vec<&std::ffi::OsStr> = vec!["version".as_ref()];
    let out = output_within(w.command(&w.dir("proj"), "go", &args), 60);
    assert_fails(
        &out,
        &[
            "the go proxy was started again by the go it ran, 2 deep (_GOPIN_PROXY_DEPTH=2)",
            "bin/go runs the proxy instead of being Go",
            "gopin install --force go1.22.10",
        ],
    );
}

#[test]
fn a_stream_that_cannot_be_written_is_status_1_not_a_crash() {
    let w = World::new();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    // The proxy's one line, to a full stderr.
    let out = w
        .command(&w.dir("plain"), "go", &[std::ffi::OsStr::new("version")])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let gopin = |args: &[&str]| {
        let mut cmd = Command::new(gopin_bin());
        cmd.args(args).current_dir(w.dir("proj")).env_clear();
        for (k, v) in w.env.vars() {
            cmd.env(k, v);
        }
        cmd
    };
    // A command's output, to a full stdout: one line on stderr, status 1.
    let out = gopin(&["ls"]).stdout(full()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        stderr_of(&out),
        "gopin: error: cannot write to standard output: No space left on device (os error 28)\n"
    );
    // Both full: status 1 and nothing else.
    let out = gopin(&["current"])
        .stdout(full())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

/// In each shell with the hook: inside a project the hook's Go comes first and the proxy is
/// not involved; outside, PATH is what the user had, proxies included.
fn hook_keeps_the_shims_on_path(shell: &str) {
    if !shell_available(shell) {
        return;
    }
    let w = World::new();
    let gopin = gopin_bin();
    let (init, path, args) = match shell {
        "fish" => (
            format!("'{}' init fish | source", gopin.display()),
            "string join : $PATH",
            ["--no-config", "-c"],
        ),
        _ => (
            format!("eval \"$('{}' init {shell})\"", gopin.display()),
            "printf '%s\\n' \"$PATH\"",
            if shell == "bash" {
                ["--norc", "-c"]
            } else {
                ["-f", "-c"]
            },
        ),
    };
    let script = format!(
        "{init}\ncd '{}'\n_gopin_hook\n{path}\ncommand -v go\ncd '{}'\n_gopin_hook\n{path}\ncommand -v go\n",
        w.dir("proj").display(),
        w.dir("plain").display()
    );
    let mut cmd = Command::new(shell);
    cmd.args(args)
        .arg(&script)
        .env_clear()
        .env("PATH", w.path());
    for (k, v) in w.env.vars() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{shell}: {text}\n{}", stderr_of(&out));
    let goroot = w.goroot("go1.22.10");
    let gobin = w.env.store().join("gobins/go1.22.10.linux-amd64");
    assert_eq!(
        lines[0],
        format!(
            "{}:{}:{}",
            goroot.join("bin").display(),
            gobin.display(),
            w.path()
        ),
        "{shell}"
    );
    assert_eq!(
        lines[1],
        goroot.join("bin/go").display().to_string(),
        "{shell}"
    );
    assert_eq!(lines[2], w.path(), "{shell}: leaving keeps the proxies");
    assert_eq!(
        lines[3],
        w.shims.join("go").display().to_string(),
        "{shell}"
    );
}

#[test]
fn bash_hook_keeps_the_shims_on_path() {
    hook_keeps_the_shims_on_path("bash");
}

#[test]
fn zsh_hook_keeps_the_shims_on_path() {
    hook_keeps_the_shims_on_path("zsh");
}

#[test]
fn fish_hook_keeps_the_shims_on_path() {
    hook_keeps_the_shims_on_path("fish");
}

#[test]
fn which_goroot_prints_the_selected_goroot() {
    let w = World::new();
    let run = |rel: &str| {
        let mut cmd = w.env.command(&["which", "--goroot"]);
        cmd.current_dir(w.dir(rel));
        cmd.output().unwrap()
    };
    let out = run("proj/nested");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        stdout_of(&out),
        format!("{}\n", w.goroot("go1.21.13").display())
    );
    std::fs::remove_file(w.goroot("go1.22.10").join("bin/go")).unwrap();
    let out = run("proj");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        stderr_of(&out).contains("gopin install --force go1.22.10"),
        "{}",
        stderr_of(&out)
    );
    let out = w
        .env
        .gopin(&["which", "--goroot", "gofmt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--goroot takes no tool");
}

/// The hook's guard (the `go` it puts first on PATH while the directory's pin is not
/// installed) installs the pin first when `auto_install` is on, as the hook does; the proxies
/// an IDE runs never download.
#[test]
fn the_guard_installs_first_with_auto_install_and_the_proxies_never_do() {
    let w = World::new();
    w.env.gopin(&["uninstall", "1.21.13"]).assert().success();
    w.write("old/.go-version", "1.21.13\n");
    // The hook puts the guard in front of PATH there.
    let out = w
        .env
        .gopin(&["hook-env", "bash"])
        .current_dir(w.dir("old"))
        .env("PATH", w.path())
        .env("GOROOT", "/usr/local/go")
        .output()
        .unwrap();
    let guard = w.env.store().join("guard");
    let script = stdout_of(&out);
    assert!(
        script.contains(&format!("export PATH={}:", guard.display())),
        "{script}"
    );
    assert!(script.contains("unset GOROOT"), "{script}");
    assert!(
        stderr_of(&out).contains("go1.21.13 is pinned by"),
        "{out:?}"
    );

    let run = |tool_dir: &Path, auto: &str| {
        let mut cmd = Command::new(tool_dir.join("go"));
        cmd.arg("version").current_dir(w.dir("old")).env_clear();
        for (k, v) in w.env.vars() {
            cmd.env(k, v);
        }
        cmd.env("GOPIN_AUTO_INSTALL", auto)
            .env("PATH", format!("{}:{}", tool_dir.display(), w.path()))
            .output()
            .unwrap()
    };
    // Without auto_install, the guard refuses with the pin, its file and the fix.
    assert_fails(
        &run(&guard, "0"),
        &["go1.21.13 is pinned by", "old/.go-version", "gopin install"],
    );
    // An IDE's proxy does not download, auto_install or not.
    assert_fails(&run(&w.shims, "1"), &["go1.21.13 is pinned by"]);
    assert!(!w.goroot("go1.21.13").exists());
    // The guard does, then runs it.
    let out = run(&guard, "1");
    assert_eq!(
        stdout_of(&out),
        "go version go1.21.13 linux/amd64\n",
        "{}",
        stderr_of(&out)
    );
    assert!(stderr_of(&out).contains("installing go1.21.13"), "{out:?}");
}
