//! The hook in real bash, zsh and fish: init scripts render and run cleanly, and interactive
//! sessions switch Go per directory and restore the user's environment on the way out.
//!
//! bash and zsh run interactively (`-i`) reading commands from a pipe, which runs their prompt
//! hooks before each command as at a terminal; fish needs a terminal for its prompt events, so
//! it runs under `script`, which gives it a pseudo-terminal.

use crate::support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Sh {
    Bash,
    Zsh,
    Fish,
}

impl Sh {
    fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }

    /// Whether this shell is installed (CI installs all three; elsewhere a missing one skips).
    fn available(self) -> bool {
        shell_available(self.name())
    }
}

/// One `#[test]` per shell for a scenario function.
macro_rules! per_shell {
    ($scenario:ident: $($name:ident => $sh:expr),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                $scenario($sh);
            }
        )+
    };
}

per_shell!(switching_between_projects:
    bash_switches_per_directory_and_restores => Sh::Bash,
    zsh_switches_per_directory_and_restores => Sh::Zsh,
    fish_switches_per_directory_and_restores => Sh::Fish,
);

per_shell!(no_process_when_nothing_changed:
    bash_spawns_nothing_when_nothing_changed => Sh::Bash,
    zsh_spawns_nothing_when_nothing_changed => Sh::Zsh,
    fish_spawns_nothing_when_nothing_changed => Sh::Fish,
);

#[test]
fn bash_hook_survives_set_e() {
    strict_interactive_shell(Sh::Bash, "set -euo pipefail");
}

#[test]
fn zsh_hook_survives_set_e() {
    strict_interactive_shell(Sh::Zsh, "set -eu");
}

/// A world with installed Go versions, projects pinned in each way, and a "system" Go.
struct World {
    env: Env,
    _mirror: Mirror,
    root: PathBuf,
}

impl World {
    /// The start of every scenario: the standard world, or `None` if `sh` is not installed
    /// (the test is then skipped).
    fn for_shell(sh: Sh) -> Option<World> {
        sh.available().then(World::new)
    }

    fn new() -> World {
        World::with(
            &["go1.22.10", "go1.22.9", "go1.21.13"],
            &["1.22.10", "1.22.9", "1.21.13"],
        )
    }

    /// The same projects, with `published` on the mirror and `installed` of them installed.
    fn with(published: &[&'static str], installed: &[&str]) -> World {
        let (mirror, env) = world_with(published, installed);
        let root = env.work();
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("proj/.go-version", "1.22.10\n");
        std::fs::create_dir_all(root.join("proj/sub/deeper")).unwrap();
        write("modproj/go.mod", "module example.com/m\n\ngo 1.21.3\n");
        write("toolproj/.tool-versions", "nodejs 20.1.0\ngolang 1.22.9\n");
        write(&format!("{}/.go-version", HOSTILE), "1.21\n");
        write_executable(
            &root.join("sysgo/bin/go"),
            "#!/bin/sh\necho go version system\n",
        );
        std::fs::create_dir_all(root.join("plain")).unwrap();
        World {
            env,
            _mirror: mirror,
            root,
        }
    }

    /// The PATH the user starts with: a "system" Go first.
    fn user_path(&self) -> String {
        format!(
            "{}:/usr/local/bin:/usr/bin:/bin",
            self.root.join("sysgo/bin").display()
        )
    }

    fn goroot(&self, name: &str) -> String {
        self.env.goroot(name).display().to_string()
    }
}

/// A directory name with a space, quotes, `$` and non-ASCII.
const HOSTILE: &str = "it's a \"$dir\" ünï";

/// The `report LABEL` function each session defines: one line with what the user would see.
fn report_fn(sh: Sh) -> &'static str {
    match sh {
        Sh::Bash | Sh::Zsh => {
            r#"report() {
  local v
  v="$(go version 2>/dev/null || echo no-go)"
  printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "$1" "${GOROOT-<unset>}" "${GOBIN-<unset>}" \
    "${GOTOOLCHAIN-<unset>}" "${GOPIN_VERSION-<unset>}" "$v" "$(go env GOROOT 2>/dev/null)" "$PATH" >> "$OUT"
}
"#
        }
        Sh::Fish => {
            r#"function report
  set -l vals
  for name in GOROOT GOBIN GOTOOLCHAIN GOPIN_VERSION
    if set -q $name
      set -a vals $$name
    else
      set -a vals '<unset>'
    end
  end
  set -l v (go version 2>/dev/null; or echo no-go)
  set -l r (go env GOROOT 2>/dev/null)
  printf '%s|%s|%s|%s|%s|%s|%s|%s\n' $argv[1] $vals "$v" "$r" "$PATH" >> $OUT
end
"#
        }
    }
}

/// One reported line, split.
#[derive(Debug, Clone, PartialEq)]
struct Report {
    label: String,
    goroot: String,
    gobin: String,
    toolchain: String,
    version: String,
    go_version: String,
    go_env_goroot: String,
    path: String,
}

/// A session's reports, in order (`reports[0]`), or found by label (`reports.by("start")`).
struct Reports {
    sh: Sh,
    text: String,
    list: Vec<Report>,
    /// More to show when a report is missing (what the shell printed).
    context: String,
}

impl Reports {
    fn new(sh: Sh, text: &str) -> Reports {
        Reports {
            sh,
            text: text.to_string(),
            list: parse_reports(text),
            context: String::new(),
        }
    }

    /// The same, showing `err` too when a report is missing.
    fn with_err(mut self, err: &str) -> Reports {
        self.context = format!("\n{err}");
        self
    }

    /// The report labelled `label`; the test fails, showing the session's output, without it.
    fn by(&self, label: &str) -> Report {
        let (sh, text, context) = (self.sh, &self.text, &self.context);
        self.list
            .iter()
            .find(|r| r.label == label)
            .unwrap_or_else(|| panic!("{sh:?}: no report {label}:\n{text}{context}"))
            .clone()
    }

    /// Each labelled report shows the version (`GOPIN_VERSION`, or `<unset>`) it goes with.
    fn assert_versions(&self, want: &[(&str, &str)]) {
        for (label, version) in want {
            let (sh, text) = (self.sh, &self.text);
            assert_eq!(self.by(label).version, *version, "{sh:?} {label}: {text}");
        }
    }
}

impl std::ops::Deref for Reports {
    type Target = [Report];
    fn deref(&self) -> &[Report] {
        &self.list
    }
}

fn parse_reports(text: &str) -> Vec<Report> {
    text.lines()
        .filter(|l| l.contains('|'))
        .map(|l| {
            let f: Vec<&str> = l.splitn(8, '|').collect();
            Report {
                label: f[0].into(),
                goroot: f[1].into(),
                gobin: f[2].into(),
                toolchain: f[3].into(),
                version: f[4].into(),
                go_version: f[5].into(),
                go_env_goroot: f[6].into(),
                path: f[7].into(),
            }
        })
        .collect()
}

/// Runs an interactive `sh` session: `rc` first (as the user's rc file would), then each
/// command at its own prompt. Returns everything written to `$OUT`.
fn session(world: &World, sh: Sh, rc: &str, commands: &[&str]) -> String {
    let t = session_with(world, sh, rc, commands, &[]);
    let text = t.text();
    assert!(
        !text.is_empty(),
        "{sh:?} session wrote nothing; stderr: {}",
        t.err
    );
    text
}

/// What a session left: the bytes written to `$OUT`, and what the shell printed on stderr
/// (for fish, which runs on a terminal, the whole terminal transcript).
struct Transcript {
    dir: tempfile::TempDir,
    out: Vec<u8>,
    err: String,
}

impl Transcript {
    /// What the session wrote to `$OUT`, as text.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }

    /// What the session wrote to `$OUT.<suffix>`, as text.
    fn file_text(&self, suffix: &str) -> String {
        String::from_utf8_lossy(&self.file(suffix)).into_owned()
    }

    /// The bytes the session wrote to `$OUT.<suffix>`.
    fn file(&self, suffix: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(format!("out.{suffix}")))
            .unwrap_or_else(|_| panic!("no $OUT.{suffix}; stderr:\n{}", self.err))
    }
}

/// A session with extra environment for the shell. It is killed (and the test fails) if it
/// does not finish within two minutes: a hook must never hang a shell.
fn session_with(
    world: &World,
    sh: Sh,
    rc: &str,
    commands: &[&str],
    vars: &[(&str, &std::ffi::OsStr)],
) -> Transcript {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let typescript = dir.path().join("typescript");
    let rc_file = dir.path().join("rc");
    std::fs::write(&rc_file, rc).unwrap();
    let mut cmd = match sh {
        Sh::Bash => {
            let mut c = Command::new("bash");
            c.args(["--noprofile", "--rcfile"]).arg(&rc_file).arg("-i");
            c
        }
        Sh::Zsh => {
            let mut c = Command::new("zsh");
            // -f: no startup files, so the rc is fed as the first commands instead.
            c.args(["-f", "-i"]);
            c
        }
        Sh::Fish => {
            let mut c = Command::new("script");
            c.args([
                "-qec",
                "fish -i --no-config --init-command 'source $GOPIN_TEST_RC'",
            ])
            .arg(&typescript);
            c
        }
    };
    cmd.current_dir(world.env.dir.path().join("home"))
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in world.env.vars() {
        cmd.env(k, v);
    }
    cmd.env("PATH", world.user_path())
        .env("OUT", &out)
        .env("GOPIN_TEST_RC", &rc_file)
        .env("HOSTILE_DIR", world.root.join(HOSTILE))
        .env("W", &world.root)
        .env("SHELL", "/bin/sh")
        .env("TERM", "dumb")
        // A user's locale: fish cannot even name a non-ASCII directory in the C locale.
        .env("LC_ALL", "C.UTF-8")
        .env("GOROOT", "/opt/user-goroot")
        .env_remove("GOBIN");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pid = child.id() as i32;
    {
        let finished = std::sync::Arc::clone(&finished);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(120));
            if !finished.load(std::sync::atomic::Ordering::SeqCst) {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        });
    }
    {
        let stdin = child.stdin.as_mut().unwrap();
        if sh == Sh::Zsh {
            stdin.write_all(rc.as_bytes()).unwrap();
        }
        for c in commands {
            writeln!(stdin, "{c}").unwrap();
            if sh == Sh::Fish {
                // fish reads a terminal: the kernel keeps only 4 KiB of typed-ahead input for
                // it (and drops the rest), so type at a human-ish pace.
                stdin.flush().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(3));
            }
        }
        writeln!(stdin, "exit").unwrap();
    }
    let output = child.wait_with_output().unwrap();
    finished.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(
        output.status.code().is_some(),
        "{sh:?}: the shell hung and was killed"
    );
    let err = match sh {
        Sh::Fish => {
            String::from_utf8_lossy(&std::fs::read(&typescript).unwrap_or_default()).into_owned()
        }
        _ => String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    Transcript {
        out: std::fs::read(&out).unwrap_or_default(),
        err,
        dir,
    }
}

fn init_line(sh: Sh) -> String {
    let bin = gopin_bin();
    match sh {
        Sh::Bash | Sh::Zsh => format!("eval \"$('{}' init {})\"\n", bin.display(), sh.name()),
        Sh::Fish => format!("'{}' init fish | source\n", bin.display()),
    }
}

fn user_hook(sh: Sh) -> &'static str {
    match sh {
        Sh::Bash => "PROMPT_COMMAND='echo \"user-hook status=$?\" >> \"$OUT\"'\n",
        Sh::Zsh => "precmd() { echo \"user-hook status=$?\" >> \"$OUT\"; }\n",
        Sh::Fish => {
            "function user_hook --on-event fish_prompt\n  echo \"user-hook status=$status\" >> $OUT\nend\n"
        }
    }
}

/// `set -u` in bash and zsh: a strict user the hook must cope with (fish has no such mode).
fn set_u(sh: Sh) -> &'static str {
    if sh == Sh::Fish { "" } else { "set -u\n" }
}

/// The rc most scenarios start from: the `report` function, then the hook.
fn report_rc(sh: Sh) -> String {
    format!("{}{}", report_fn(sh), init_line(sh))
}

/// The rc of the full scenario: `set -u`, a prompt hook of the user's own, `report`, and the
/// hook loaded twice.
fn rc_for(sh: Sh) -> String {
    let mut rc = String::from(set_u(sh));
    rc.push_str(user_hook(sh));
    rc.push_str(report_fn(sh));
    // Loading the hook twice must be harmless.
    rc.push_str(&init_line(sh));
    rc.push_str(&init_line(sh));
    rc
}

/// A command that appends the last command's exit status to `$OUT` as `status=N`.
fn status_line(sh: Sh) -> &'static str {
    match sh {
        Sh::Fish => "echo \"status=$status\" >> $OUT",
        _ => "echo \"status=$?\" >> \"$OUT\"",
    }
}

/// The `status=N` lines a session wrote, in order.
fn statuses(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("status=")).collect()
}

/// Dates `paths` an hour back: nothing the hook watches may look freshly changed, or its
/// two-second margin would make it look again at the next prompt.
fn backdate(paths: &[&Path]) {
    let status = Command::new("touch")
        .args(["-d", "1 hour ago"])
        .args(paths)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The standard world with its projects and the store's `versions/` dated an hour back, so
/// that nothing looks freshly changed to the hook (which looks again for two seconds after
/// a change), or `None` if `sh` is not installed.
fn settled_world(sh: Sh) -> Option<World> {
    let w = World::for_shell(sh)?;
    backdate(&[
        &w.root.join("proj"),
        &w.root.join("proj/.go-version"),
        &w.root.join("proj/sub"),
        &w.root.join("plain"),
        &w.root,
        &w.env.store().join("versions"),
    ]);
    Some(w)
}

/// A session in [`settled_world`] with the standard rc file, whose labelled reports each show
/// the version paired with them (skipped if `sh` is not installed).
fn assert_session_versions(sh: Sh, commands: &[&str], want: &[(&str, &str)]) {
    let Some(w) = settled_world(sh) else {
        return;
    };
    let t = session_with(&w, sh, &rc_for(sh), commands, &[]);
    Reports::new(sh, &t.text()).assert_versions(want);
}

fn switching_between_projects(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let text = session(
        &w,
        sh,
        &rc_for(sh),
        &[
            "report start",
            "cd \"$W/proj\"",
            "report proj",
            "cd sub/deeper",
            "report deeper",
            "cd \"$W/modproj\"",
            "report mod",
            "cd \"$W/toolproj\"",
            "report tool",
            "cd \"$HOSTILE_DIR\"",
            "report hostile",
            "cd \"$W/plain\"",
            "report left",
            "cd \"$W/proj\"",
            "echo 1.21.13 > .go-version",
            "report edited",
            "false",
            "cd /",
            "report end",
        ],
    );
    let reports = Reports::new(sh, &text);
    let by = |label: &str| reports.by(label);
    let start = by("start");
    assert_eq!(start.goroot, "/opt/user-goroot", "{sh:?}");
    assert_eq!(start.gobin, "<unset>");
    assert_eq!(start.go_version, "go version system");

    let check = |label: &str, name: &str, version: &str| {
        let r = by(label);
        let goroot = w.goroot(name);
        assert_eq!(r.goroot, goroot, "{sh:?} {label}");
        assert_eq!(r.go_env_goroot, goroot, "{sh:?} {label}: go env GOROOT");
        assert_eq!(
            r.go_version,
            format!("go version {version} linux/amd64"),
            "{sh:?} {label}"
        );
        assert_eq!(r.version, version);
        assert_eq!(r.toolchain, "local");
        let gobin = w.env.store().join("gobins").join(name);
        assert_eq!(r.gobin, gobin.display().to_string(), "{sh:?} {label}");
        let expected_path = format!("{goroot}/bin:{}:{}", gobin.display(), w.user_path());
        assert_eq!(r.path, expected_path, "{sh:?} {label}: PATH");
    };
    check("proj", "go1.22.10.linux-amd64", "go1.22.10");
    check("deeper", "go1.22.10.linux-amd64", "go1.22.10");
    check("mod", "go1.21.13.linux-amd64", "go1.21.13");
    check("tool", "go1.22.9.linux-amd64", "go1.22.9");
    check("hostile", "go1.21.13.linux-amd64", "go1.21.13");
    check("edited", "go1.21.13.linux-amd64", "go1.21.13");

    // Leaving restores everything exactly, PATH included.
    for label in ["left", "end"] {
        let r = by(label);
        assert_eq!(
            Report {
                label: "start".into(),
                ..r
            },
            start,
            "{sh:?} {label}"
        );
    }
    // The user's own hook still ran at every prompt and saw the real exit status.
    assert!(text.matches("user-hook").count() >= 15, "{sh:?}:\n{text}");
    assert!(
        text.contains("user-hook status=1"),
        "{sh:?}: $? was lost:\n{text}"
    );
}

#[test]
fn bash_prompt_command_array_form_is_kept() {
    let Some(w) = World::for_shell(Sh::Bash) else {
        return;
    };
    let mut rc = String::from(
        "set -u\nPROMPT_COMMAND=('echo first >> \"$OUT\"' 'echo second >> \"$OUT\"')\n",
    );
    rc.push_str(report_fn(Sh::Bash));
    rc.push_str(&init_line(Sh::Bash));
    rc.push_str(&init_line(Sh::Bash));
    let text = session(
        &w,
        Sh::Bash,
        &rc,
        &[
            "cd \"$W/proj\"",
            "report proj",
            "echo \"pc=${PROMPT_COMMAND[*]}\" >> \"$OUT\"",
        ],
    );
    let version = bash_version();
    if version >= (5, 1) {
        // Last, so gopin has the final word over tools that change the environment.
        let pc = text.lines().find(|l| l.starts_with("pc=")).unwrap();
        assert!(
            pc.starts_with("pc=echo first") && pc.ends_with(" _gopin_hook"),
            "{text}"
        );
        assert_eq!(parse_reports(&text)[0].version, "go1.22.10");
    }
    assert!(text.contains("first\nsecond"), "{text}");
    assert_eq!(text.matches("_gopin_hook").count(), 1, "{text}");
}

/// A wrapper of the user's around `_gopin_hook` (and the copy of it the wrapper calls) keeps
/// running at every prompt, and edits are still seen through it: gopin rewrites only its
/// own `_gopin_check` after a run, never the function PROMPT_COMMAND names.
#[test]
fn bash_hook_wrapped_by_the_user_keeps_working() {
    let Some(w) = settled_world(Sh::Bash) else {
        return;
    };
    let mut rc = String::from(report_fn(Sh::Bash));
    rc.push_str(&init_line(Sh::Bash));
    rc.push_str(
        "eval \"_orig_gopin_hook() $(declare -f _gopin_hook | tail -n +2)\"\n\
         _gopin_hook() { _orig_gopin_hook; echo wrapped >> \"$OUT\"; }\n",
    );
    let text = session(
        &w,
        Sh::Bash,
        &rc,
        &[
            "cd \"$W/proj\"",
            "report pinned",
            "echo 1.21.13 > \"$W/proj/.go-version\"",
            "report edited",
            "true",
        ],
    );
    let reports = Reports::new(Sh::Bash, &text);
    reports.assert_versions(&[("pinned", "go1.22.10"), ("edited", "go1.21.13")]);
    assert!(text.matches("wrapped").count() >= 4, "{text}");
}

fn bash_version() -> (u32, u32) {
    let out = Command::new("bash")
        .args(["-c", "echo ${BASH_VERSINFO[0]} ${BASH_VERSINFO[1]}"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().map(|n| n.parse().unwrap());
    (it.next().unwrap(), it.next().unwrap())
}

/// The hint is shown once, not at every prompt; meanwhile the guard answers for `go` (see
/// `pinned_but_missing_never_runs_another_go`).
#[test]
fn missing_version_hints_once() {
    let Some(w) = World::for_shell(Sh::Bash) else {
        return;
    };
    std::fs::write(w.root.join("proj/.go-version"), "1.20.3\n").unwrap();
    let mut rc = String::from("set -u\n");
    rc.push_str(report_fn(Sh::Bash));
    rc.push_str(&init_line(Sh::Bash));
    let dir = tempfile::tempdir().unwrap();
    let err_file = dir.path().join("err");
    let text = session(
        &w,
        Sh::Bash,
        &rc,
        &[
            &format!("exec 2>>'{}'", err_file.display()),
            "cd \"$W/proj\"",
            "true",
            "true",
            "report missing",
        ],
    );
    let r = &parse_reports(&text)[0];
    assert_eq!(r.goroot, "<unset>");
    assert_eq!(r.go_version, "no-go");
    let err = std::fs::read_to_string(&err_file).unwrap();
    let hint = "go1.20.3 is pinned by";
    assert_eq!(err.matches(hint).count(), 1, "{err}");
    assert!(err.contains("not installed — run: gopin install"), "{err}");
}

/// Each init script runs under the strictest settings with no output at all.
#[test]
fn init_scripts_run_clean_under_strict_modes() {
    let gopin = gopin_bin();
    let cases: [(Sh, &[&str], String); 3] = [
        (
            Sh::Bash,
            &["-euo", "pipefail", "-c"],
            format!(
                "eval \"$('{}' init bash)\"; _gopin_hook; _gopin_hook",
                gopin.display()
            ),
        ),
        (
            Sh::Zsh,
            &["-eu", "-c"],
            format!(
                "setopt warn_create_global sh_glob; eval \"$('{}' init zsh)\"; _gopin_hook; _gopin_hook",
                gopin.display()
            ),
        ),
        (
            Sh::Fish,
            &["--no-config", "-c"],
            format!(
                "'{}' init fish | source; _gopin_hook; _gopin_hook",
                gopin.display()
            ),
        ),
    ];
    let mirror = Mirror::start();
    let env = Env::new(&mirror);
    for (sh, flags, script) in cases {
        if !sh.available() {
            continue;
        }
        let mut cmd = Command::new(sh.name());
        cmd.args(flags).arg(script).current_dir(env.work());
        for (k, v) in env.vars() {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{sh:?}: {}", stderr_of(&out));
        assert_eq!(stdout_of(&out), "", "{sh:?}");
        assert_eq!(stderr_of(&out), "", "{sh:?}");
    }
}

#[test]
fn bash_init_passes_shellcheck() {
    let Ok(out) = Command::new("shellcheck").arg("--version").output() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "shellcheck is required in CI"
        );
        return;
    };
    assert!(out.status.success());
    let init = Command::new(gopin_bin())
        .args(["init", "bash"])
        .output()
        .unwrap();
    let mut check = Command::new("shellcheck")
        .args(["--shell=bash", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .as_mut()
        .unwrap()
        .write_all(&init.stdout)
        .unwrap();
    let result = check.wait_with_output().unwrap();
    assert!(result.status.success(), "{}", stdout_of(&result));
}

#[test]
fn init_embeds_the_absolute_binary_path_quoted() {
    let runtime = tempfile::tempdir().unwrap();
    let hostile = runtime.path().join("it's $here");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "eval \"$('{}' init bash)\"; printf '%s\\n%s\\n%s' \"$_GOPIN_BIN\" \"$_GOPIN_STAMP\" \"$$\"",
            gopin_bin().display()
        ))
        .env("XDG_RUNTIME_DIR", &hostile)
        .output()
        .unwrap();
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}{}", stderr_of(&out));
    let bin = gopin_bin().canonicalize().unwrap();
    assert_eq!(lines[0], bin.display().to_string());
    assert_eq!(
        lines[1],
        format!("{}/gopin/{}", hostile.display(), lines[2])
    );
}

/// A relative `XDG_RUNTIME_DIR` is ignored (as the XDG spec says): a stamp under it would be
/// created inside every directory the shell visits.
#[test]
fn a_relative_runtime_dir_is_not_where_stamps_go() {
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "eval \"$('{}' init bash)\"; printf '%s' \"$_GOPIN_STAMP\"",
            gopin_bin().display()
        ))
        .env("XDG_RUNTIME_DIR", "rel")
        .env("GOPIN_CACHE_DIR", cache.path())
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap();
    let stamp = stdout_of(&out);
    assert!(stamp.starts_with('/'), "{stamp}{}", stderr_of(&out));
    assert!(!stamp.starts_with("rel"), "{stamp}");
}

/// When nothing changed, the hook must not run gopin at all: each run of `gopin hook-env`
/// re-dates the shell's stamp file, so an unchanged stamp across prompts proves no process
/// was spawned. An edit to the version file must still be noticed at the next prompt.
fn no_process_when_nothing_changed(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    // Nothing watched may look freshly changed (the hook re-checks for two seconds after).
    backdate(&[
        &w.root.join("proj"),
        &w.root.join("proj/.go-version"),
        &w.env.store().join("versions"),
    ]);
    let stamp_line = match sh {
        Sh::Fish => "stat -c %y $_gopin_stamp >> $OUT",
        _ => "stat -c %y \"$_GOPIN_STAMP\" >> \"$OUT\"",
    };
    let rc = format!("{}{}", set_u(sh), init_line(sh));
    let text = session(
        &w,
        sh,
        &rc,
        &[
            "cd \"$W/proj\"",
            stamp_line,
            "true",
            "true",
            stamp_line,
            "echo 1.21.13 > .go-version",
            stamp_line,
            "echo \"version=$GOPIN_VERSION\" >> \"$OUT\"",
        ],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{sh:?}: {text}");
    assert_eq!(
        lines[0], lines[1],
        "{sh:?}: gopin ran although nothing changed"
    );
    assert_ne!(lines[1], lines[2], "{sh:?}: the edit was not noticed");
    assert_eq!(lines[3], "version=go1.21.13", "{sh:?}");
}

/// fish is told of gopin's settings by events: a prompt handler that sets one to the value it
/// has, and a setting exported as a local of the command line (which lasts the session),
/// start gopin at no prompt after the one that follows them (after a `cd`, one more).
#[test]
fn fish_settings_start_gopin_only_when_they_change() {
    let sh = Sh::Fish;
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    backdate(&[
        &w.root.join("proj"),
        &w.root.join("proj/.go-version"),
        &w.root,
        &w.env.store().join("versions"),
    ]);
    let stamp_line = "stat -c %y $_gopin_stamp >> $OUT";
    let rc = format!(
        "{}function _my_prompt_hook --on-event fish_prompt; set -gx GOPIN_HOME $GOPIN_HOME; end\n",
        init_line(sh)
    );
    let text = session(
        &w,
        sh,
        &rc,
        &[
            "cd \"$W/proj\"",
            "set -lx GOPIN_AUTO_INSTALL 0",
            "true",
            stamp_line,
            "true",
            "true",
            stamp_line,
            "cd ..; cd proj",
            "true",
            stamp_line,
            "true",
            "true",
            stamp_line,
            "echo \"version=$GOPIN_VERSION\" >> $OUT",
        ],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(
        lines[0], lines[1],
        "gopin ran although nothing changed: {text}"
    );
    assert_eq!(
        lines[2], lines[3],
        "gopin ran although nothing changed: {text}"
    );
    assert_eq!(lines[4], "version=go1.22.10", "{text}");
}

/// `set -e` (and `-u`, `pipefail`) in the user's interactive shell: the hook must never make
/// it exit.
fn strict_interactive_shell(sh: Sh, strict: &str) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let rc = format!("{strict}\n{}", report_rc(sh));
    let text = session(
        &w,
        sh,
        &rc,
        &[
            "cd \"$W/proj\"",
            "report in",
            "cd \"$W/plain\"",
            "report out",
        ],
    );
    let reports = parse_reports(&text);
    assert_eq!(reports.len(), 2, "{sh:?}: the shell exited early:\n{text}");
    assert_eq!(reports[0].version, "go1.22.10");
    assert_eq!(reports[1].goroot, "/opt/user-goroot");
}

per_shell!(churn_starts_no_process:
    bash_starts_gopin_only_when_a_pin_changes => Sh::Bash,
    zsh_starts_gopin_only_when_a_pin_changes => Sh::Zsh,
    fish_starts_gopin_only_when_a_pin_changes => Sh::Fish,
);

/// Points the hook at a wrapper that counts each start of gopin (one line in `$COUNT`).
fn counting_wrapper(dir: &std::path::Path, sh: Sh) -> (PathBuf, String) {
    let wrapper = dir.join("gopin-counting");
    let count = dir.join("count");
    write_executable(
        &wrapper,
        format!(
            "#!/bin/sh\necho start >> '{}'\nexec '{}' \"$@\"\n",
            count.display(),
            gopin_bin().display()
        ),
    );
    let line = match sh {
        Sh::Fish => format!("set -g _gopin_bin '{}'\n", wrapper.display()),
        _ => format!("_GOPIN_BIN='{}'\n", wrapper.display()),
    };
    (count, line)
}

/// Files come and go in the project, in `$HOME` and in `/tmp` every tenth prompt (a build's
/// output, an editor's swap file, zsh's shared history): gopin must not start for that, but
/// creating, editing or deleting a file that decides still takes effect at the next prompt.
fn churn_starts_no_process(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let home = w.env.dir.path().join("home");
    std::fs::create_dir_all(home.join("unpinned/deep")).unwrap();
    std::fs::write(w.root.join("proj/go.mod"), "module p\n\ngo 1.21\n").unwrap();
    // Nothing that decides may look freshly changed (the hook re-checks for two seconds).
    backdate(&[
        &w.root.join("proj/.go-version"),
        &w.root.join("proj/go.mod"),
        &w.env.store().join("versions"),
        &w.env.store(),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let (count, wrap) = counting_wrapper(tmp.path(), sh);
    let mut rc = String::from(set_u(sh));
    if sh == Sh::Zsh {
        rc.push_str("HISTFILE=$HOME/.zsh_history\nsetopt share_history inc_append_history\n");
    }
    rc.push_str(report_fn(sh));
    rc.push_str(&init_line(sh));
    rc.push_str(&wrap);
    let mark = |label: &str| match sh {
        Sh::Fish => format!("echo \"{label} $(starts)\" >> $OUT"),
        _ => format!("echo \"{label} $(starts)\" >> \"$OUT\""),
    };
    let count_fn = format!(
        "{}\n",
        match sh {
            Sh::Fish => format!(
                "function starts; test -f '{0}'; and wc -l < '{0}'; or echo 0; end",
                count.display()
            ),
            _ => format!(
                "starts() {{ if [ -f '{0}' ]; then wc -l < '{0}'; else echo 0; fi; }}",
                count.display()
            ),
        }
    );
    rc.push_str(&count_fn);
    let mut commands: Vec<String> = vec!["cd \"$W/proj/sub\"".into(), mark("pinned-before")];
    let churn = |commands: &mut Vec<String>, dir: &str| {
        for i in 1..=100 {
            commands.push(if i % 10 == 0 {
                format!(
                    "touch {dir}/junk{i} $HOME/h{i} \"$W/above{i}\" /tmp/gopin-churn-{i}; rm -f {dir}/junk{}",
                    i - 10
                )
            } else {
                "true".into()
            });
        }
    };
    churn(&mut commands, "\"$W/proj/sub\"");
    commands.push(mark("pinned-after"));
    // Editing, creating and deleting the files that decide still take effect at once.
    commands.extend([
        "echo 1.21.13 > \"$W/proj/.go-version\"".into(),
        "report edited".into(),
        "echo 1.22.9 > \"$W/proj/sub/.go-version\"".into(),
        "report created".into(),
        "rm \"$W/proj/sub/.go-version\"".into(),
        "report deleted".into(),
        // Above the pin file (and the module beside it) only a go.work still counts.
        "echo 'go 1.22' > \"$W/go.work\"".into(),
        "report workspace-above".into(),
        "rm \"$W/go.work\"".into(),
        "report workspace-gone".into(),
        "echo 'go 1.22' > \"$W/proj/go.work\"".into(),
        "report workspace".into(),
        "cd \"$HOME/unpinned/deep\"".into(),
        mark("unpinned-before"),
    ]);
    churn(&mut commands, "\"$HOME/unpinned/deep\"");
    commands.push(mark("unpinned-after"));
    let refs: Vec<&str> = commands.iter().map(String::as_str).collect();
    let text = session(&w, sh, &rc, &refs);
    let n = |label: &str| -> usize {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{label} ")))
            .unwrap_or_else(|| panic!("{sh:?}: no {label} in:\n{text}"))
            .trim()
            .parse()
            .unwrap()
    };
    let pinned = n("pinned-after") - n("pinned-before");
    let unpinned = n("unpinned-after") - n("unpinned-before");
    assert!(
        pinned <= 1,
        "{sh:?}: {pinned} starts in 100 prompts in a pinned project"
    );
    assert!(
        unpinned <= 1,
        "{sh:?}: {unpinned} starts in 100 prompts under $HOME"
    );
    let reports = Reports::new(sh, &text);
    let version = |label: &str| reports.by(label).version;
    assert_eq!(version("edited"), "go1.21.13", "{sh:?}");
    assert_eq!(version("created"), "go1.22.9", "{sh:?}");
    assert_eq!(version("deleted"), "go1.21.13", "{sh:?}");
    assert_eq!(version("workspace-above"), "go1.22.10", "{sh:?}");
    assert_eq!(version("workspace-gone"), "go1.21.13", "{sh:?}");
    // The workspace's go 1.22 overrules the go1.21.13 pin.
    assert_eq!(version("workspace"), "go1.22.10", "{sh:?}");
    eprintln!(
        "{sh:?}: {pinned} start(s) in a pinned project, {unpinned} under $HOME, per 100 prompts"
    );
}

per_shell!(hostile_environment:
    bash_keeps_bytes_and_never_hangs => Sh::Bash,
    zsh_keeps_bytes_and_never_hangs => Sh::Zsh,
    fish_keeps_bytes_and_never_hangs => Sh::Fish,
);

per_shell!(quiet_failures:
    bash_reports_each_failure_once => Sh::Bash,
    zsh_reports_each_failure_once => Sh::Zsh,
    fish_reports_each_failure_once => Sh::Fish,
);

/// `printf` of a variable's bytes into a file (fish keeps PATH as a list).
fn dump(sh: Sh, var: &str, file: &str) -> String {
    match (sh, var) {
        (Sh::Fish, "PATH") => format!("printf '%s' (string join : -- $PATH) > $OUT.{file}"),
        (Sh::Fish, _) => format!("printf '%s' \"${var}\" > $OUT.{file}"),
        _ => format!("printf '%s' \"${{{var}-}}\" > \"$OUT.{file}\""),
    }
}

/// A PATH entry and a GOROOT that are not UTF-8, a project directory whose name is not
/// UTF-8, and a FIFO where a version file should be: the user's bytes come back exactly, the
/// hook settles (no start at every prompt), and the prompt always returns.
fn hostile_environment(sh: Sh) {
    use std::os::unix::ffi::OsStrExt;
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let odd = w.root.join(std::ffi::OsStr::from_bytes(b"odd-\xff-dir"));
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join(".go-version"), "1.21.13\n").unwrap();
    let fifo = w.root.join("fifo");
    std::fs::create_dir_all(&fifo).unwrap();
    let c = std::ffi::CString::new(fifo.join(".go-version").as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    backdate(&[&odd.join(".go-version"), &w.env.store().join("versions")]);
    let tmp = tempfile::tempdir().unwrap();
    let (count, wrap) = counting_wrapper(tmp.path(), sh);
    let mut rc = format!("{}{}", set_u(sh), init_line(sh));
    rc.push_str(&wrap);
    let mut path = w.user_path().into_bytes();
    path.extend_from_slice(b":/opt/\xffbin");
    let path = std::ffi::OsStr::from_bytes(&path);
    let goroot = std::ffi::OsStr::from_bytes(b"/opt/\xfego");
    let cd_odd = match sh {
        Sh::Fish => "cd $ODD",
        _ => "cd \"$ODD\"",
    };
    let commands = [
        dump(sh, "PATH", "path0"),
        dump(sh, "GOROOT", "goroot0"),
        "cd \"$W/proj\"".to_string(),
        dump(sh, "PATH", "path1"),
        cd_odd.to_string(),
        dump(sh, "GOPIN_VERSION", "odd"),
        format!("cp '{}' \"$OUT.count\"", count.display()),
        "true".into(),
        "true".into(),
        "true".into(),
        format!("cp '{}' \"$OUT.count2\"", count.display()),
        "cd \"$W/fifo\"".into(),
        dump(sh, "GOPIN_VERSION", "fifo"),
        "cd /".into(),
        dump(sh, "PATH", "path2"),
        dump(sh, "GOROOT", "goroot2"),
    ];
    let refs: Vec<&str> = commands.iter().map(String::as_str).collect();
    let t = session_with(
        &w,
        sh,
        &rc,
        &refs,
        &[("PATH", path), ("GOROOT", goroot), ("ODD", odd.as_os_str())],
    );
    let read = |suffix: &str| t.file(suffix);
    let front = format!(
        "{0}/bin:{1}:",
        w.goroot("go1.22.10.linux-amd64"),
        w.env.store().join("gobins/go1.22.10.linux-amd64").display()
    );
    assert_eq!(read("path0"), path.as_bytes(), "{sh:?}");
    assert_eq!(read("goroot0"), goroot.as_bytes(), "{sh:?}");
    assert_eq!(
        read("path1"),
        [front.as_bytes(), path.as_bytes()].concat(),
        "{sh:?}: entering a project keeps every entry"
    );
    assert_eq!(
        read("odd"),
        b"go1.21.13",
        "{sh:?}: a directory name that is not UTF-8"
    );
    let lines = |suffix: &str| String::from_utf8_lossy(&read(suffix)).lines().count();
    assert!(
        lines("count2") <= lines("count") + 1,
        "{sh:?}: gopin started at every prompt in a directory whose name is not UTF-8"
    );
    assert_eq!(
        read("path2"),
        path.as_bytes(),
        "{sh:?}: leaving restores PATH byte for byte"
    );
    assert_eq!(read("goroot2"), goroot.as_bytes(), "{sh:?}: and GOROOT");
    assert_eq!(
        t.err.matches("is a FIFO (named pipe)").count(),
        1,
        "{sh:?}: {}",
        t.err
    );
}

/// A broken config, a bad GOPIN_* variable and a vanished gopin binary are each reported
/// once, not at every prompt (what `go` does meanwhile: `stepping_aside_keeps_the_guard`).
fn quiet_failures(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let rc = format!("{}{}", set_u(sh), init_line(sh));
    let (export_bad, unset_bad, lose_binary) = match sh {
        Sh::Fish => (
            "set -gx GOPIN_INDEX_TTL soon",
            "set -e GOPIN_INDEX_TTL",
            "set -g _gopin_bin /nonexistent/gopin",
        ),
        _ => (
            "export GOPIN_INDEX_TTL=soon",
            "unset GOPIN_INDEX_TTL",
            "_GOPIN_BIN=/nonexistent/gopin",
        ),
    };
    let commands = [
        "cd \"$W/proj\"",
        "echo 'gobin = ' > \"$GOPIN_CONFIG\"",
        "true",
        "cd sub",
        "cd ..",
        "true",
        &dump(sh, "GOPIN_VERSION", "kept"),
        "rm \"$GOPIN_CONFIG\"",
        "true",
        export_bad,
        "true",
        "cd sub",
        "true",
        unset_bad,
        lose_binary,
        "cd /",
        "true",
        "cd \"$W/proj\"",
        "true",
    ];
    let t = session_with(&w, sh, &rc, &commands, &[]);
    assert_eq!(
        t.file("kept"),
        b"",
        "{sh:?}: a broken config puts the guard in a pinned directory"
    );
    assert!(
        t.err.contains("until it is fixed gopin steps aside"),
        "{sh:?}: the hook says that it steps aside:\n{}",
        t.err
    );
    for needle in [
        "is not valid TOML",
        "GOPIN_INDEX_TTL=soon is not valid",
        "/nonexistent/gopin is gone",
    ] {
        assert_eq!(
            t.err.matches(needle).count(),
            1,
            "{sh:?}: {needle}:\n{}",
            t.err
        );
    }
}

per_shell!(stepping_aside_keeps_the_guard:
    bash_a_broken_config_never_runs_another_go => Sh::Bash,
    zsh_a_broken_config_never_runs_another_go => Sh::Zsh,
    fish_a_broken_config_never_runs_another_go => Sh::Fish,
);

/// While the config is broken gopin steps aside, but a directory that selects a Go (a pin, a
/// go line) gets the guard: `go` there names the broken file and the fix (status 1) instead
/// of the "system" Go further down PATH running; an unpinned directory has the user's own
/// environment, exactly. Deleting the config file is noticed at the next prompt. With
/// GOPIN_HOME unusable there is no guard: the environment stays as it was, and the hook
/// says once that `go` is whatever PATH finds.
fn stepping_aside_keeps_the_guard(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let rc = format!("{}{}", set_u(sh), report_rc(sh));
    let status = if sh == Sh::Fish { "$status" } else { "$?" };
    let go_status = format!("go version 2>> \"$OUT.err\"; echo \"go-status={status}\" >> \"$OUT\"");
    let store = w.env.store();
    let (bad_home, good_home) = match sh {
        Sh::Fish => (
            "set -gx GOPIN_HOME relative-home".to_string(),
            format!("set -gx GOPIN_HOME '{}'", store.display()),
        ),
        _ => (
            "export GOPIN_HOME=relative-home".to_string(),
            format!("export GOPIN_HOME='{}'", store.display()),
        ),
    };
    let t = session_with(
        &w,
        sh,
        &rc,
        &[
            "report start",
            "cd \"$W/proj\"",
            "report pinned",
            "echo 'gobin = ' > \"$GOPIN_CONFIG\"",
            "cd sub",
            "report broken-pinned",
            &go_status,
            "cd \"$W/plain\"",
            "report broken-unpinned",
            "cd \"$W/modproj\"",
            "report broken-module",
            "rm \"$GOPIN_CONFIG\"",
            "report fixed",
            "cd \"$W/proj\"",
            "report before-home",
            &bad_home,
            "cd \"$W/modproj\"",
            "report home-unusable",
            &good_home,
            "report home-back",
            "cd \"$W/plain\"",
            "report end",
        ],
        &[],
    );
    let text = t.text();
    let reports = Reports::new(sh, &text).with_err(&t.err);
    let by = |label: &str| reports.by(label);
    let start = by("start");
    assert_eq!(start.go_version, "go version system", "{sh:?}");
    assert_eq!(by("pinned").version, "go1.22.10", "{sh:?}");
    let guarded = format!("{}:{}", store.join("guard").display(), w.user_path());
    for label in ["broken-pinned", "broken-module"] {
        let r = by(label);
        assert_eq!(r.go_version, "no-go", "{sh:?} {label}: another Go ran");
        assert_eq!(r.goroot, "<unset>", "{sh:?} {label}: GOROOT");
        assert_eq!(r.version, "<unset>", "{sh:?} {label}: GOPIN_VERSION");
        assert_eq!(r.path, guarded, "{sh:?} {label}: PATH");
    }
    assert!(text.contains("go-status=1\n"), "{sh:?}: {text}");
    let err = t.file_text("err");
    assert!(
        err.contains(&format!(
            "the config file {} is not valid TOML",
            w.env.dir.path().join("config.toml").display()
        )) && err.contains("fix it, or delete it to use the defaults"),
        "{sh:?}: the guard's go names the file and the fix: {err}"
    );
    assert_eq!(
        Report {
            label: "start".into(),
            ..by("broken-unpinned")
        },
        start,
        "{sh:?}: an unpinned directory has the user's own environment"
    );
    assert_eq!(
        by("fixed").version,
        "go1.21.13",
        "{sh:?}: fixed at the next prompt"
    );
    assert_eq!(
        Report {
            label: "before-home".into(),
            ..by("home-unusable")
        },
        by("before-home"),
        "{sh:?}: without GOPIN_HOME, nothing changes"
    );
    assert_eq!(by("home-back").version, "go1.21.13", "{sh:?}");
    assert_eq!(
        Report {
            label: "start".into(),
            ..by("end")
        },
        start,
        "{sh:?}: leaving restores everything"
    );
    for (needle, what) in [
        ("is not valid TOML", "the broken config"),
        ("until it is fixed gopin steps aside", "stepping aside"),
        (
            "GOPIN_HOME=relative-home is not valid",
            "the unusable GOPIN_HOME",
        ),
        ("so `go` is whatever PATH finds", "what that means"),
    ] {
        assert_eq!(
            t.err.matches(needle).count(),
            1,
            "{sh:?}: {what}, said once:\n{}",
            t.err
        );
    }
}

per_shell!(child_shell_with_a_rebuilt_path:
    bash_child_shell_puts_gopin_back_in_front => Sh::Bash,
    zsh_child_shell_puts_gopin_back_in_front => Sh::Zsh,
    fish_child_shell_puts_gopin_back_in_front => Sh::Fish,
);

/// A shell started inside a pinned project inherits gopin's variables, but its rc file puts a
/// system Go first on PATH (Debian's /etc/profile under `bash -l`, a tmux window, a nested
/// shell): at its first prompt the hook puts the pinned Go back in front, so `command -v go`,
/// `go env GOROOT` and GOROOT agree.
fn child_shell_with_a_rebuilt_path(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let sysgo = w.root.join("sysgo/bin");
    let mut child_rc = match sh {
        Sh::Fish => format!("set -gx PATH '{}' $PATH\n", sysgo.display()),
        _ => format!("export PATH='{}':$PATH\n", sysgo.display()),
    };
    child_rc.push_str(report_fn(sh));
    child_rc.push_str(&init_line(sh));
    let child_rc_file = tmp.path().join("child-rc");
    std::fs::write(&child_rc_file, &child_rc).unwrap();
    let child_in = tmp.path().join("child-in");
    let first_prompt = match sh {
        Sh::Bash => {
            std::fs::write(&child_in, "report child\nexit\n").unwrap();
            format!(
                "bash --noprofile --rcfile '{}' -i < '{}' 2>/dev/null",
                child_rc_file.display(),
                child_in.display()
            )
        }
        Sh::Zsh => {
            std::fs::write(&child_in, format!("{child_rc}report child\nexit\n")).unwrap();
            format!("zsh -f -i < '{}' 2>/dev/null", child_in.display())
        }
        // A fish that reads a file fires no prompt events: emit the first prompt's.
        Sh::Fish => format!(
            "fish --no-config -c 'source {}; emit fish_prompt; report child'",
            child_rc_file.display()
        ),
    };
    let rc = report_rc(sh);
    let text = session(
        &w,
        sh,
        &rc,
        &["cd \"$W/proj\"", "report parent", &first_prompt],
    );
    let reports = Reports::new(sh, &text);
    let v22 = Some(("go1.22.10.linux-amd64", "go1.22.10"));
    check_reports(&w, &reports, &[("parent", v22), ("child", v22)]);
    let goroot = w.goroot("go1.22.10.linux-amd64");
    for label in ["parent", "child"] {
        let r = reports.by(label);
        assert!(
            r.path.starts_with(&format!("{goroot}/bin:")),
            "{sh:?} {label}: {}",
            r.path
        );
    }
}

/// A later `PROMPT_COMMAND=…` replaces the hook: doctor says the hook did not run, instead of
/// "hook loaded". (`builtin cd`, since gopin's `cd` would switch by itself.)
#[test]
fn doctor_notices_a_replaced_prompt_command() {
    let Some(w) = World::for_shell(Sh::Bash) else {
        return;
    };
    let mut rc = init_line(Sh::Bash);
    rc.push_str("PROMPT_COMMAND='history -a'\n");
    let text = session(
        &w,
        Sh::Bash,
        &rc,
        &[&format!(
            "builtin cd \"$W/proj\"; '{}' doctor > \"$OUT\"",
            gopin_bin().display()
        )],
    );
    assert!(text.contains("loaded but has not run"), "{text}");
    // gopin's cd still switches, but an edit of the pin is never applied: doctor says the
    // hook has not run since the selection changed (not that another tool is to blame).
    let text = session(
        &w,
        Sh::Bash,
        &rc,
        &[
            "cd \"$W/proj\"",
            "echo 1.21.13 > .go-version",
            "true",
            &format!("'{}' doctor > \"$OUT\"", gopin_bin().display()),
        ],
    );
    assert!(
        text.contains("has not run since the selection changed"),
        "{text}"
    );
}

/// Whether a tool the tests drive alongside gopin is installed; CI installs it.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "{tool} is required in CI");
        eprintln!("skipping: {tool} is not installed");
    }
    ok
}

macro_rules! per_shell_and_order {
    ($scenario:ident: $($name:ident => $sh:expr, $first:expr),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                $scenario($sh, $first);
            }
        )+
    };
}

per_shell_and_order!(with_direnv:
    bash_with_direnv_loaded_first => Sh::Bash, true,
    bash_with_direnv_loaded_last => Sh::Bash, false,
    zsh_with_direnv_loaded_first => Sh::Zsh, true,
    zsh_with_direnv_loaded_last => Sh::Zsh, false,
    fish_with_direnv_loaded_first => Sh::Fish, true,
    fish_with_direnv_loaded_last => Sh::Fish, false,
);

/// The `report` function and the hook with another tool's `hook` line loaded before it
/// (`hook_first`) or after it.
fn rc_beside(sh: Sh, hook: &str, hook_first: bool) -> String {
    let mut rc = String::from(report_fn(sh));
    if hook_first {
        rc.push_str(hook);
        rc.push_str(&init_line(sh));
    } else {
        rc.push_str(&init_line(sh));
        rc.push_str(hook);
    }
    rc
}

/// Checks that in each labelled report the pinned Go runs (`Some(version)`), or that the
/// user's own environment is back exactly (`None`).
fn check_reports(w: &World, reports: &Reports, expect: &[(&str, Option<(&str, &str)>)]) {
    let sh = reports.sh;
    for (label, want) in expect {
        let r = reports.by(label);
        match want {
            Some((name, version)) => {
                let goroot = w.goroot(name);
                assert_eq!(
                    r.go_version,
                    format!("go version {version} linux/amd64"),
                    "{sh:?} {label}: {r:?}"
                );
                assert_eq!(r.goroot, goroot, "{sh:?} {label}");
                assert_eq!(r.go_env_goroot, goroot, "{sh:?} {label}");
            }
            None => {
                assert_eq!(r.goroot, "/opt/user-goroot", "{sh:?} {label}: {r:?}");
                assert_eq!(r.toolchain, "<unset>", "{sh:?} {label}: {r:?}");
                assert_eq!(r.path, w.user_path(), "{sh:?} {label}: PATH");
                assert_eq!(r.go_version, "go version system", "{sh:?} {label}");
            }
        }
    }
}

/// direnv alongside, in either order, with an `.envrc` that adds a `bin` (holding a `go` of
/// its own) to PATH and exports GOROOT: inside, gopin's Go runs and GOROOT is its own; after
/// leaving, the user's PATH and GOROOT are back exactly, with nothing of gopin's left behind,
/// and no stale entry follows into another project.
fn with_direnv(sh: Sh, direnv_first: bool) {
    if !sh.available() || !have("direnv") {
        return;
    }
    let w = World::new();
    let proj = w.root.join("proj");
    std::fs::write(
        proj.join(".envrc"),
        "PATH_add bin\nexport GOROOT=/opt/direnv-goroot\nexport GOTOOLCHAIN=auto\n",
    )
    .unwrap();
    std::fs::create_dir_all(proj.join("bin")).unwrap();
    write_executable(&proj.join("bin/go"), "#!/bin/sh\necho go version direnv\n");
    let direnv = match sh {
        Sh::Fish => "direnv hook fish | source\n",
        Sh::Bash => "eval \"$(direnv hook bash)\"\n",
        Sh::Zsh => "eval \"$(direnv hook zsh)\"\n",
    };
    let rc = rc_beside(sh, direnv, direnv_first);
    let t = session_with(
        &w,
        sh,
        &rc,
        &[
            "direnv allow \"$W/proj\"",
            "cd \"$W/proj\"",
            "report in",
            "cd \"$W/plain\"",
            "report out",
            "cd \"$W/proj\"",
            "report in2",
            "cd \"$W/toolproj\"",
            "report other",
            "cd \"$W/plain\"",
            "report out2",
        ],
        &[("DIRENV_LOG_FORMAT", std::ffi::OsStr::new(""))],
    );
    let reports = Reports::new(sh, &t.text());
    let v22 = Some(("go1.22.10.linux-amd64", "go1.22.10"));
    check_reports(
        &w,
        &reports,
        &[
            ("in", v22),
            ("out", None),
            ("in2", v22),
            ("other", Some(("go1.22.9.linux-amd64", "go1.22.9"))),
            ("out2", None),
        ],
    );
    let other = reports.by("other");
    assert!(
        !other.path.contains("go1.22.10") && !other.path.contains("proj/bin"),
        "{sh:?}: a stale entry followed into another project: {}",
        other.path
    );
}

/// The mise binary for the mise tests: `$GOPIN_TEST_MISE`, else `mise` on PATH (CI installs
/// one from npm, see .ci/run).
fn mise_bin() -> Option<PathBuf> {
    let found = std::env::var_os("GOPIN_TEST_MISE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join("mise"))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "mise is required in CI");
        eprintln!("skipping: mise is not installed");
    }
    found
}

per_shell_and_order!(with_mise:
    bash_with_mise_activated_first => Sh::Bash, true,
    bash_with_mise_activated_last => Sh::Bash, false,
    zsh_with_mise_activated_first => Sh::Zsh, true,
    zsh_with_mise_activated_last => Sh::Zsh, false,
    fish_with_mise_activated_first => Sh::Fish, true,
    fish_with_mise_activated_last => Sh::Fish, false,
);

/// mise activated alongside, in either order, in a project whose `mise.toml` asks for
/// go1.21.13 (a linked install: mise works offline with it) and whose `.go-version` pins
/// go1.22.10: `mise.toml` selects, as it does for mise (docs/selection.md), and inside,
/// gopin's own go1.21.13 runs (not mise's linked one) and GOROOT is its own; after leaving,
/// GOROOT is the user's (not mise's, not gopin's) and nothing of gopin's is left on PATH.
fn with_mise(sh: Sh, mise_first: bool) {
    let Some(mise) = mise_bin() else { return };
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let miseroot = w.root.join("mise-go");
    std::fs::create_dir_all(miseroot.join("bin")).unwrap();
    write_executable(
        &miseroot.join("bin/go"),
        "#!/bin/sh\ncase \"$1\" in version) echo go version mise;; env) echo \"$GOROOT\";; esac\n",
    );
    std::fs::write(w.root.join("proj/mise.toml"), "[tools]\ngo = \"1.21.13\"\n").unwrap();
    // A directory that only mise.toml pins: gopin reads it too, and runs the same release.
    std::fs::create_dir_all(w.root.join("miseonly")).unwrap();
    std::fs::write(
        w.root.join("miseonly/mise.toml"),
        "[tools]\ngo = \"1.21.13\"\n",
    )
    .unwrap();
    let mise_dir = w.env.dir.path().join("mise");
    let mise_env = [
        ("MISE_DATA_DIR", mise_dir.join("data")),
        ("MISE_CONFIG_DIR", mise_dir.join("config")),
        ("MISE_CACHE_DIR", mise_dir.join("cache")),
        ("MISE_STATE_DIR", mise_dir.join("state")),
        ("MISE_TRUSTED_CONFIG_PATHS", w.root.clone()),
    ];
    let link = Command::new(&mise)
        .args(["link", "go@1.21.13"])
        .arg(&miseroot)
        .envs(mise_env.iter().map(|(k, v)| (k, v)))
        .env("MISE_YES", "1")
        .output()
        .unwrap();
    assert!(link.status.success(), "mise link: {}", stderr_of(&link));
    let activate = match sh {
        Sh::Fish => format!("'{}' activate fish | source\n", mise.display()),
        _ => format!("eval \"$('{}' activate {})\"\n", mise.display(), sh.name()),
    };
    let rc = rc_beside(sh, &activate, mise_first);
    let mut vars: Vec<(&str, &std::ffi::OsStr)> =
        mise_env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    vars.push(("MISE_OFFLINE", std::ffi::OsStr::new("1")));
    vars.push(("MISE_YES", std::ffi::OsStr::new("1")));
    let t = session_with(
        &w,
        sh,
        &rc,
        &[
            "cd \"$W/proj\"",
            "report in",
            "cd \"$W/plain\"",
            "report out",
            "cd \"$W/proj\"",
            "report in2",
            "cd \"$W/toolproj\"",
            "report other",
            "cd /",
            "report out2",
            "cd \"$W/proj\"",
            "cd \"$W/miseonly\"",
            "report mise-only",
            "cd /",
            "report out3",
        ],
        &vars,
    );
    let text = t.text();
    let reports = Reports::new(sh, &text).with_err(&t.err);
    let by = |label: &str| reports.by(label);
    let v21 = Some(("go1.21.13.linux-amd64", "go1.21.13"));
    check_reports(
        &w,
        &reports,
        &[
            ("in", v21),
            ("in2", v21),
            ("other", Some(("go1.22.9.linux-amd64", "go1.22.9"))),
        ],
    );
    let only = by("mise-only");
    assert_eq!(
        only.go_version, "go version go1.21.13 linux/amd64",
        "{sh:?}: {only:?}"
    );
    assert_eq!(only.goroot, w.goroot("go1.21.13.linux-amd64"), "{sh:?}");
    for label in ["out", "out2", "out3"] {
        let r = by(label);
        assert_eq!(r.goroot, "/opt/user-goroot", "{sh:?} {label}: {r:?}");
        assert!(
            !r.path.contains(&w.env.store().display().to_string()),
            "{sh:?} {label}: {}",
            r.path
        );
    }
}

/// bash has no chpwd hook: `cd p && go version` on one line must still run p's Go, through
/// the user's own `cd` function, autocd, pushd/popd, CDPATH, `set -eu`, and keep `$?`.
#[test]
fn bash_switches_at_cd_not_one_command_late() {
    let Some(w) = World::for_shell(Sh::Bash) else {
        return;
    };
    let mut rc = String::from("set -u\n");
    rc.push_str("cd() { builtin cd \"$@\" && echo user-cd >> \"$OUT\"; }\n");
    rc.push_str("shopt -s autocd\nCDPATH=$W\n");
    rc.push_str(report_fn(Sh::Bash));
    rc.push_str(&init_line(Sh::Bash));
    rc.push_str(&init_line(Sh::Bash));
    let text = session(
        &w,
        Sh::Bash,
        &rc,
        &[
            "cd \"$W/proj\" && report one-line",
            "cd \"$W/plain\"; report left",
            "\"$W/toolproj\"",
            "report autocd",
            "cd modproj >/dev/null && report cdpath",
            "pushd \"$W/proj\" >/dev/null && report pushd",
            "popd >/dev/null && report popd",
            "cd /nonexistent 2>/dev/null; echo \"status=$?\" >> \"$OUT\"",
        ],
    );
    let reports = parse_reports(&text);
    let version = |label: &str| {
        reports
            .iter()
            .find(|r| r.label == label)
            .unwrap_or_else(|| panic!("no report {label}:\n{text}"))
            .go_version
            .clone()
    };
    assert_eq!(
        version("one-line"),
        "go version go1.22.10 linux/amd64",
        "{text}"
    );
    assert_eq!(version("left"), "go version system", "{text}");
    assert_eq!(
        version("autocd"),
        "go version go1.22.9 linux/amd64",
        "{text}"
    );
    assert_eq!(
        version("cdpath"),
        "go version go1.21.13 linux/amd64",
        "{text}"
    );
    assert_eq!(
        version("pushd"),
        "go version go1.22.10 linux/amd64",
        "{text}"
    );
    assert_eq!(
        version("popd"),
        "go version go1.21.13 linux/amd64",
        "{text}"
    );
    assert!(text.contains("status=1"), "{text}");
    assert!(
        text.matches("user-cd").count() >= 4,
        "the user's cd function still runs: {text}"
    );
}

per_shell!(gopin_shell_overrides_pins:
    bash_gopin_shell_sets_a_version_for_this_shell => Sh::Bash,
    zsh_gopin_shell_sets_a_version_for_this_shell => Sh::Zsh,
    fish_gopin_shell_sets_a_version_for_this_shell => Sh::Fish,
);

/// `gopin shell 1.22.9` overrides every pin in this shell until `--unset`, at once; other
/// commands, their arguments and their exit status pass through the `gopin` function.
fn gopin_shell_overrides_pins(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    // Nothing may look freshly changed, or the hook's two-second margin would switch for it.
    backdate(&[
        &w.root.join("proj"),
        &w.root.join("proj/.go-version"),
        &w.root.join("modproj"),
        &w.root.join("modproj/go.mod"),
        &w.env.store().join("versions"),
    ]);
    let rc = format!("{}{}", set_u(sh), report_rc(sh));
    let status = status_line(sh);
    let text = session(
        &w,
        sh,
        &rc,
        &[
            "cd \"$W/proj\"",
            "gopin shell 1.22.9 2>/dev/null; report shell",
            "gopin current >> \"$OUT\"",
            "cd \"$W/modproj\"",
            "report elsewhere",
            "gopin shell 1.x 2>/dev/null",
            status,
            "report after-error",
            "gopin shell --unset 2>/dev/null; report unset",
            "cd \"$W/plain\"",
            "gopin current 2>/dev/null",
            status,
        ],
    );
    let reports = Reports::new(sh, &text);
    let version = |label: &str| reports.by(label).version;
    assert_eq!(
        version("shell"),
        "go1.22.9",
        "{sh:?}: at once, over .go-version"
    );
    assert!(
        text.contains("go1.22.9\tset by gopin shell"),
        "{sh:?}: {text}"
    );
    assert_eq!(
        version("elsewhere"),
        "go1.22.9",
        "{sh:?}: in every directory"
    );
    assert_eq!(
        version("after-error"),
        "go1.22.9",
        "{sh:?}: a bad spec changes nothing"
    );
    assert_eq!(
        version("unset"),
        "go1.21.13",
        "{sh:?}: back to modproj's go.mod"
    );
    let statuses = statuses(&text);
    assert_eq!(statuses, ["status=2", "status=1"], "{sh:?}: {text}");
}

per_shell!(settings_changed_at_the_prompt:
    bash_sees_a_setting_changed_by_hand_or_in_a_function => Sh::Bash,
    zsh_sees_a_setting_changed_by_hand_or_in_a_function => Sh::Zsh,
    fish_sees_a_setting_changed_by_hand_or_in_a_function => Sh::Fish,
);

/// One of gopin's settings set or unset by hand takes effect at the next prompt; one exported
/// in a function's own scope holds while it runs, and is gone at the prompt after (fish is
/// told of settings by events, and none fires when a function's scope ends).
fn settings_changed_at_the_prompt(sh: Sh) {
    let Some(w) = settled_world(sh) else {
        return;
    };
    let (set, unset, function) = match sh {
        Sh::Fish => (
            "set -gx GOPIN_SHELL_VERSION 1.21.13",
            "set -e GOPIN_SHELL_VERSION",
            "function f; set -lx GOPIN_SHELL_VERSION 1.22.9; cd \"$W/plain\"; cd \"$W/proj\"; report inside; end",
        ),
        Sh::Zsh => (
            "export GOPIN_SHELL_VERSION=1.21.13",
            "unset GOPIN_SHELL_VERSION",
            "f() { local -x GOPIN_SHELL_VERSION=1.22.9; cd \"$W/plain\"; cd \"$W/proj\"; report inside; }",
        ),
        Sh::Bash => (
            "export GOPIN_SHELL_VERSION=1.21.13",
            "unset GOPIN_SHELL_VERSION",
            "f() { local GOPIN_SHELL_VERSION=1.22.9; export GOPIN_SHELL_VERSION; cd \"$W/plain\"; cd \"$W/proj\"; report inside; }",
        ),
    };
    let t = session_with(
        &w,
        sh,
        &rc_for(sh),
        &[
            "cd \"$W/proj\"",
            "report pinned",
            set,
            "report set",
            unset,
            "report unset",
            function,
            "f",
            "report after",
        ],
        &[],
    );
    let text = t.text();
    Reports::new(sh, &text).assert_versions(&[
        ("pinned", "go1.22.10"),
        ("set", "go1.21.13"),
        ("unset", "go1.22.10"),
        ("inside", "go1.22.9"),
        ("after", "go1.22.10"),
    ]);
}

per_shell!(environment_moved_at_the_prompt:
    bash_puts_the_pinned_go_back_when_path_or_goroot_move => Sh::Bash,
    zsh_puts_the_pinned_go_back_when_path_or_goroot_move => Sh::Zsh,
    fish_puts_the_pinned_go_back_when_path_or_goroot_move => Sh::Fish,
);

/// Another Go put in front of PATH, or GOROOT pointed elsewhere, by hand at the prompt (in
/// each of fish's ways: `set`, `fish_add_path`, `read`) or inside a function that changes
/// directory, never outlives the next prompt: gopin's Go is the one that runs. (fish is told
/// of these by events, not by comparing them at each prompt.)
fn environment_moved_at_the_prompt(sh: Sh) {
    let Some(w) = settled_world(sh) else {
        return;
    };
    let moves: &[&str] = match sh {
        Sh::Fish => &[
            "set -gx PATH \"$W/sysgo/bin\" $PATH",
            "fish_add_path -gPm \"$W/sysgo/bin\"",
            "echo \"$W/sysgo\" | read -gx GOROOT",
            "function f; set -lx PATH \"$W/sysgo/bin\" $PATH; cd \"$W/plain\"; cd \"$W/proj\"; report inside; end",
        ],
        Sh::Zsh => &[
            "export PATH=\"$W/sysgo/bin:$PATH\"",
            "path=(\"$W/sysgo/bin\" $path)",
            "export GOROOT=\"$W/sysgo\"",
            "f() { local -x PATH=\"$W/sysgo/bin:$PATH\"; cd \"$W/plain\"; cd \"$W/proj\"; report inside; }",
        ],
        Sh::Bash => &[
            "export PATH=\"$W/sysgo/bin:$PATH\"",
            "PATH=\"$W/sysgo/bin:$PATH\"",
            "export GOROOT=\"$W/sysgo\"",
            "f() { local PATH=\"$W/sysgo/bin:$PATH\"; cd \"$W/plain\"; cd \"$W/proj\"; report inside; }",
        ],
    };
    let script = [
        "cd \"$W/proj\"",
        "report pinned",
        moves[0],
        "report path",
        moves[1],
        "report path-again",
        moves[2],
        "report goroot",
        moves[3],
        "f",
        "report after",
    ];
    let t = session_with(&w, sh, &rc_for(sh), &script, &[]);
    let text = t.text();
    let reports = Reports::new(sh, &text);
    let goroot = w.goroot("go1.22.10.linux-amd64");
    for label in ["pinned", "path", "path-again", "goroot", "inside", "after"] {
        // A fish function's own PATH is seen by none of the functions it calls, gopin's
        // handlers included (fish has no dynamic scope): inside it, its PATH stands.
        if sh == Sh::Fish && label == "inside" {
            continue;
        }
        let r = reports.by(label);
        assert!(r.go_version.contains("go1.22.10"), "{sh:?} {label}: {text}");
        assert_eq!(r.goroot, goroot, "{sh:?} {label}: {text}");
    }
}

per_shell!(edits_within_one_second:
    bash_sees_each_of_two_edits_in_the_same_second => Sh::Bash,
    zsh_sees_each_of_two_edits_in_the_same_second => Sh::Zsh,
    fish_sees_each_of_two_edits_in_the_same_second => Sh::Fish,
);

/// A pin edited in place twice within a second, a prompt after each, and a directory that
/// changed without a pin (build output), long enough ago for zsh to record its date again:
/// each edit is seen at the next prompt. zsh compares whole-second dates, so it must not
/// record a date as fresh as the look (the second edit would keep the first one's second).
fn edits_within_one_second(sh: Sh) {
    assert_session_versions(
        sh,
        &[
            "cd \"$W/proj/sub\"",
            "report start",
            "echo 1.21.13 > \"$W/proj/.go-version\"",
            "report first",
            "echo 1.22.9 > \"$W/proj/.go-version\"",
            "report second",
            // Build output, dated an hour back as if it had settled.
            "touch \"$W/proj/sub/out.o\"; touch -d '1 hour ago' \"$W/proj/sub\"",
            "report settled",
            "true",
            "echo 1.22.10 > \"$W/proj/sub/.go-version\"",
            "report nearer",
        ],
        &[
            ("start", "go1.22.10"),
            ("first", "go1.21.13"),
            ("second", "go1.22.9"),
            ("settled", "go1.22.9"),
            ("nearer", "go1.22.10"),
        ],
    );
}

per_shell!(cd_in_a_subshell:
    bash_cd_in_a_subshell_leaves_the_shells_check_alone => Sh::Bash,
    zsh_cd_in_a_subshell_leaves_the_shells_check_alone => Sh::Zsh,
);

/// A `cd` inside `$(…)` runs no hook: its run would re-date the shell's stamp (the subshell
/// has the same `$$`), and a pin edited more than the stamp's two seconds before it would
/// then look older than the stamp and never be seen.
fn cd_in_a_subshell(sh: Sh) {
    assert_session_versions(
        sh,
        &[
            "cd \"$W/proj\"",
            "report pinned",
            "echo 1.21.13 > \"$W/proj/.go-version\"; sleep 3; x=$(cd \"$W/plain\" && pwd)",
            "report edited",
            "true",
            "report later",
        ],
        &[
            ("pinned", "go1.22.10"),
            ("edited", "go1.21.13"),
            ("later", "go1.21.13"),
        ],
    );
}

/// Under `shopt -s nocasematch`, `[[ == ]]` ignores case: the check must still tell `p1`
/// from `P1`.
#[test]
fn bash_nocasematch_still_tells_directories_apart() {
    let Some(w) = World::for_shell(Sh::Bash) else {
        return;
    };
    std::fs::create_dir_all(w.root.join("p1")).unwrap();
    std::fs::create_dir_all(w.root.join("P1")).unwrap();
    std::fs::write(w.root.join("p1/.go-version"), "1.22.10\n").unwrap();
    std::fs::write(w.root.join("P1/.go-version"), "1.21.13\n").unwrap();
    backdate(&[
        &w.root.join("p1"),
        &w.root.join("p1/.go-version"),
        &w.root.join("P1"),
        &w.root.join("P1/.go-version"),
        &w.root,
        &w.env.store().join("versions"),
    ]);
    let mut rc = String::from("shopt -s nocasematch\n");
    rc.push_str(report_fn(Sh::Bash));
    rc.push_str(&init_line(Sh::Bash));
    let text = session(
        &w,
        Sh::Bash,
        &rc,
        &[
            "cd \"$W/p1\"",
            "report lower",
            "builtin cd \"$W/P1\"",
            "report upper",
        ],
    );
    Reports::new(Sh::Bash, &text)
        .assert_versions(&[("lower", "go1.22.10"), ("upper", "go1.21.13")]);
}

/// Every init script parses in its shell (`zsh -n`, `fish -n`), as shellcheck checks bash's.
#[test]
fn zsh_and_fish_init_scripts_parse() {
    for (sh, check) in [(Sh::Zsh, &["-n"][..]), (Sh::Fish, &["--no-execute"][..])] {
        if !sh.available() {
            continue;
        }
        let init = Command::new(gopin_bin())
            .args(["init", sh.name()])
            .output()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("init");
        std::fs::write(&file, &init.stdout).unwrap();
        let out = Command::new(sh.name())
            .args(check)
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{sh:?}: {}", stderr_of(&out));
    }
}

per_shell!(go_files_appearing_above_a_pin:
    bash_sees_a_module_or_workspace_appear_above_the_pin => Sh::Bash,
    zsh_sees_a_module_or_workspace_appear_above_the_pin => Sh::Zsh,
    fish_sees_a_module_or_workspace_appear_above_the_pin => Sh::Fish,
);

/// A pin outside any module: above its directory the hook looks only for a go.mod and a
/// go.work to appear (bash and fish test those names, zsh the directories' dates). Each
/// takes effect at the next prompt, and going away too; other files coming and going there
/// change nothing.
fn go_files_appearing_above_a_pin(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let outer = w.root.join("outer");
    std::fs::create_dir_all(outer.join("loose/sub")).unwrap();
    std::fs::write(outer.join("loose/.go-version"), "1.21.13\n").unwrap();
    // The same directory reached through a link: above it, `..` is not the search's parent.
    std::os::unix::fs::symlink(outer.join("loose"), w.root.join("link")).unwrap();
    // Nothing watched may look freshly changed (the hook re-checks for two seconds), so
    // only the test of the names above can notice them.
    let dir = w.env.dir.path();
    backdate(&[
        &outer.join("loose/.go-version"),
        &outer.join("loose/sub"),
        &outer.join("loose"),
        &outer,
        &w.root,
        dir,
        &w.env.store().join("versions"),
        &w.env.store(),
    ]);
    let (gowork_off, gowork_unset) = match sh {
        Sh::Fish => ("set -gx GOWORK off", "set -e GOWORK"),
        _ => ("export GOWORK=off", "unset GOWORK"),
    };
    let t = session_with(
        &w,
        sh,
        &rc_for(sh),
        &[
            "cd \"$W/outer/loose/sub\"",
            "report pinned",
            "touch \"$W/outer/notes.txt\" \"$W/build.log\"",
            "report churn",
            // A module above: its go line is the minimum, which the pin does not meet.
            "printf 'module m\\n\\ngo 1.22.9\\n' > \"$W/outer/go.mod\"",
            "report module",
            "rm \"$W/outer/go.mod\"",
            "report module-gone",
            // A workspace two levels up governs.
            "echo 'go 1.22' > \"$W/go.work\"",
            "report workspace",
            // GOWORK=off turns it off at the next prompt, and unsetting it back on.
            gowork_off,
            "report workspace-off",
            gowork_unset,
            "report workspace-on",
            "rm \"$W/go.work\"",
            "report workspace-gone",
            "cd \"$W/link/sub\"",
            "report linked",
            "printf 'module m\\n\\ngo 1.22.9\\n' > \"$W/go.mod\"",
            "report linked-module",
        ],
        &[],
    );
    let text = t.text();
    Reports::new(sh, &text).assert_versions(&[
        ("pinned", "go1.21.13"),
        ("churn", "go1.21.13"),
        ("module", "go1.22.10"),
        ("module-gone", "go1.21.13"),
        ("workspace", "go1.22.10"),
        ("workspace-off", "go1.21.13"),
        ("workspace-on", "go1.22.10"),
        ("workspace-gone", "go1.21.13"),
        ("linked", "go1.21.13"),
        ("linked-module", "go1.22.10"),
    ]);
}

per_shell!(go_files_in_a_form_that_does_not_count_above_a_pin:
    bash_sees_a_go_work_directory_or_dangling_link_become_a_file => Sh::Bash,
    zsh_sees_a_go_work_directory_or_dangling_link_become_a_file => Sh::Zsh,
    fish_sees_a_go_work_directory_or_dangling_link_become_a_file => Sh::Fish,
);

/// Above a pin, a go.work that does not count yet (a directory by that name, a link to a
/// file not there) becoming one that does takes effect at the next prompt: a file replacing
/// the directory, the link's target appearing (which changes no directory that holds the
/// link).
fn go_files_in_a_form_that_does_not_count_above_a_pin(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let outer = w.root.join("outer");
    std::fs::create_dir_all(outer.join("loose/sub")).unwrap();
    std::fs::create_dir_all(w.root.join("elsewhere")).unwrap();
    std::fs::write(outer.join("loose/.go-version"), "1.21.13\n").unwrap();
    let dir = w.env.dir.path();
    backdate(&[
        &outer.join("loose/.go-version"),
        &outer.join("loose/sub"),
        &outer.join("loose"),
        &outer,
        &w.root,
        dir,
        &w.env.store().join("versions"),
        &w.env.store(),
    ]);
    let t = session_with(
        &w,
        sh,
        &rc_for(sh),
        &[
            "cd \"$W/outer/loose/sub\"",
            "report pinned",
            "mkdir \"$W/outer/go.work\"",
            "report directory",
            "rmdir \"$W/outer/go.work\"",
            "echo 'go 1.22' > \"$W/outer/go.work\"",
            "report file",
            "rm \"$W/outer/go.work\"",
            "ln -s \"$W/elsewhere/go.work\" \"$W/outer/go.work\"",
            "report dangling",
            // Long enough that no date zsh watches looks recent (its check looks again at
            // anything changed within three seconds of gopin's last run): only the test of
            // the link itself can see its target appear.
            "sleep 4",
            // gopin runs with the link there (a cd away and back).
            "cd ..",
            "cd sub",
            "report dangling-again",
            "echo 'go 1.22' > \"$W/elsewhere/go.work\"",
            "report target",
        ],
        &[],
    );
    let text = t.text();
    let reports = Reports::new(sh, &text);
    for (label, want) in [
        ("pinned", "go1.21.13"),
        ("directory", "go1.21.13"),
        ("file", "go1.22.10"),
        ("dangling", "go1.21.13"),
        ("dangling-again", "go1.21.13"),
        ("target", "go1.22.10"),
    ] {
        assert_eq!(reports.by(label).version, want, "{sh:?} {label}: {text}");
    }
}

per_shell!(gowork_naming_a_file_not_there:
    bash_sees_the_file_gowork_names_created => Sh::Bash,
    zsh_sees_the_file_gowork_names_created => Sh::Zsh,
    fish_sees_the_file_gowork_names_created => Sh::Fish,
);

/// GOWORK names a file that is not there: gopin says to create it, and creating it (outside
/// the directories searched, under a name of the user's) takes effect at the next prompt.
fn gowork_naming_a_file_not_there(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    std::fs::create_dir_all(w.root.join("proj")).unwrap();
    std::fs::create_dir_all(w.root.join("workspaces")).unwrap();
    std::fs::write(w.root.join("proj/.go-version"), "1.21.13\n").unwrap();
    let dir = w.env.dir.path();
    backdate(&[
        &w.root.join("proj/.go-version"),
        &w.root.join("proj"),
        &w.root.join("workspaces"),
        &w.root,
        dir,
        &w.env.store().join("versions"),
        &w.env.store(),
    ]);
    let gowork = match sh {
        Sh::Fish => "set -gx GOWORK \"$W/workspaces/mine.work\"",
        _ => "export GOWORK=\"$W/workspaces/mine.work\"",
    };
    let t = session_with(
        &w,
        sh,
        &rc_for(sh),
        &[
            "cd \"$W/proj\"",
            "report pinned",
            gowork,
            "report missing",
            "report missing-again",
            "echo 'go 1.22' > \"$W/workspaces/mine.work\"",
            "report created",
        ],
        &[],
    );
    let text = t.text();
    let reports = Reports::new(sh, &text);
    assert_eq!(reports.by("pinned").version, "go1.21.13", "{sh:?}: {text}");
    assert_eq!(reports.by("created").version, "go1.22.10", "{sh:?}: {text}");
}

per_shell!(tmpdir_decides_whether_a_go_mod_counts:
    bash_sees_tmpdir_change_whether_a_go_mod_counts => Sh::Bash,
    zsh_sees_tmpdir_change_whether_a_go_mod_counts => Sh::Zsh,
    fish_sees_tmpdir_change_whether_a_go_mod_counts => Sh::Fish,
);

/// A go.mod directly in the system temp directory is no module (as for `go`): setting
/// TMPDIR to its directory, and unsetting it, takes effect at the next prompt.
fn tmpdir_decides_whether_a_go_mod_counts(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let root = w.root.join("tmproot");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("go.mod"), "module t\n\ngo 1.22.9\n").unwrap();
    // Nothing watched may look freshly changed (the hook re-checks for two seconds).
    backdate(&[
        &root.join("go.mod"),
        &root.join("sub"),
        &root,
        &w.root,
        w.env.dir.path(),
        &w.env.store().join("versions"),
        &w.env.store(),
    ]);
    let (set, unset) = match sh {
        Sh::Fish => ("set -gx TMPDIR \"$W/tmproot\"", "set -e TMPDIR"),
        _ => ("export TMPDIR=\"$W/tmproot\"", "unset TMPDIR"),
    };
    let t = session_with(
        &w,
        sh,
        &rc_for(sh),
        &[
            "cd \"$W/tmproot/sub\"",
            "report module",
            set,
            "report temp-root",
            unset,
            "report module-again",
        ],
        &[],
    );
    let text = t.text();
    let reports = Reports::new(sh, &text);
    let version = |label: &str| reports.by(label).version;
    assert_eq!(version("module"), "go1.22.10", "{sh:?}: {text}");
    assert_eq!(version("temp-root"), "<unset>", "{sh:?}: {text}");
    assert_eq!(version("module-again"), "go1.22.10", "{sh:?}: {text}");
}

per_shell!(system_in_a_child_of_a_pinned_directory:
    bash_system_pin_gives_the_go_on_path => Sh::Bash,
    zsh_system_pin_gives_the_go_on_path => Sh::Zsh,
    fish_system_pin_gives_the_go_on_path => Sh::Fish,
);

/// `system` below a pinned directory (goenv's `goenv local system`, asdf's `golang system`,
/// mise's `go = "system"`): entering it gives the user's own environment back — the Go
/// already on PATH, the user's GOROOT, nothing of gopin's on PATH — though the parent pins
/// go1.22.10; leaving it for the parent activates gopin's Go again.
fn system_in_a_child_of_a_pinned_directory(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    std::fs::create_dir_all(w.root.join("proj/sys")).unwrap();
    std::fs::write(w.root.join("proj/sys/.go-version"), "system\n").unwrap();
    std::fs::create_dir_all(w.root.join("proj/asdf")).unwrap();
    std::fs::write(w.root.join("proj/asdf/.tool-versions"), "golang system\n").unwrap();
    let t = session_with(
        &w,
        sh,
        &rc_for(sh),
        &[
            "cd \"$W/proj\"",
            "report proj",
            "cd sys",
            "report sys",
            "cd ../asdf",
            "report asdf",
            "cd ..",
            "report back",
        ],
        &[],
    );
    let text = t.text();
    // `system` is a choice, not a broken file: nothing is reported.
    assert!(!t.err.contains("not a Go version"), "{sh:?}: {}", t.err);
    let reports = Reports::new(sh, &text);
    let by = |label: &str| reports.by(label);
    let goroot = w.goroot("go1.22.10.linux-amd64");
    for label in ["proj", "back"] {
        let r = by(label);
        assert_eq!(r.goroot, goroot, "{sh:?} {label}");
        assert_eq!(
            r.go_version, "go version go1.22.10 linux/amd64",
            "{sh:?} {label}"
        );
    }
    for label in ["sys", "asdf"] {
        let r = by(label);
        assert_eq!(r.go_version, "go version system", "{sh:?} {label}: {r:?}");
        assert_eq!(r.goroot, "/opt/user-goroot", "{sh:?} {label}");
        assert_eq!(r.version, "<unset>", "{sh:?} {label}");
        assert_eq!(r.path, w.user_path(), "{sh:?} {label}: PATH");
    }
}

per_shell!(pinned_but_missing_never_runs_another_go:
    bash_a_missing_pin_never_runs_another_go => Sh::Bash,
    zsh_a_missing_pin_never_runs_another_go => Sh::Zsh,
    fish_a_missing_pin_never_runs_another_go => Sh::Fish,
);

/// A directory that pins a version that is not installed: `go` and `gofmt` there say what is
/// pinned, by which file, and how to install it (status 1) instead of running the "system" Go
/// further down PATH, and GOROOT points at nothing; leaving restores the environment exactly,
/// and `gopin install && report` on one line runs the Go just installed.
fn pinned_but_missing_never_runs_another_go(sh: Sh) {
    if !sh.available() {
        return;
    }
    let w = World::with(
        &["go1.22.10", "go1.22.9", "go1.21.13", "go1.20.3"],
        &["1.22.10", "1.22.9", "1.21.13"],
    );
    std::fs::create_dir_all(w.root.join("missing")).unwrap();
    std::fs::write(w.root.join("missing/.go-version"), "1.20.3\n").unwrap();
    let rc = format!("{}{}", set_u(sh), report_rc(sh));
    let (status, and) = match sh {
        Sh::Fish => ("$status", "; and"),
        _ => ("$?", " &&"),
    };
    let go_status = format!("go version 2>> \"$OUT.err\"; echo \"go-status={status}\" >> \"$OUT\"");
    let gofmt_status =
        format!("gofmt -l . 2>> \"$OUT.err\"; echo \"gofmt-status={status}\" >> \"$OUT\"");
    let install = format!("gopin install 2>/dev/null{and} report installed");
    let t = session_with(
        &w,
        sh,
        &rc,
        &[
            "report start",
            "cd \"$W/missing\"",
            "report guarded",
            &go_status,
            &gofmt_status,
            "cd \"$W/proj\"",
            "report proj",
            "cd \"$W/missing\"",
            "report guarded-again",
            "cd \"$W/plain\"",
            "report left",
            "cd \"$W/missing\"",
            &install,
            "cd \"$W/plain\"",
            "report end",
        ],
        &[],
    );
    let text = t.text();
    let reports = Reports::new(sh, &text).with_err(&t.err);
    let by = |label: &str| reports.by(label);
    let start = by("start");
    assert_eq!(start.go_version, "go version system", "{sh:?}");
    let guard = w.env.store().join("guard");
    for label in ["guarded", "guarded-again"] {
        let r = by(label);
        assert_eq!(r.go_version, "no-go", "{sh:?} {label}: the system Go ran");
        assert_eq!(r.goroot, "<unset>", "{sh:?} {label}: GOROOT");
        assert_eq!(r.version, "<unset>", "{sh:?} {label}: GOPIN_VERSION");
        assert_eq!(
            r.path,
            format!("{}:{}", guard.display(), w.user_path()),
            "{sh:?} {label}: PATH"
        );
    }
    assert!(text.contains("go-status=1\n"), "{sh:?}: {text}");
    assert!(text.contains("gofmt-status=1\n"), "{sh:?}: {text}");
    let err = t.file_text("err");
    let line = format!(
        "gopin: error: go1.20.3 is pinned by {} but not installed — run: gopin install\n",
        w.root.join("missing/.go-version").display()
    );
    assert_eq!(err, line.repeat(2), "{sh:?}: one line from each tool");
    assert_eq!(by("proj").version, "go1.22.10", "{sh:?}");
    for label in ["left", "end"] {
        let r = by(label);
        assert_eq!(
            Report {
                label: "start".into(),
                ..r
            },
            start,
            "{sh:?} {label}: leaving restores everything"
        );
    }
    let installed = by("installed");
    assert_eq!(installed.version, "go1.20.3", "{sh:?}: on the same line");
    assert_eq!(
        installed.go_version, "go version go1.20.3 linux/amd64",
        "{sh:?}"
    );
}

per_shell!(an_exact_pin_installed_elsewhere:
    bash_sees_an_exact_pin_installed_repaired_and_removed_elsewhere => Sh::Bash,
    zsh_sees_an_exact_pin_installed_repaired_and_removed_elsewhere => Sh::Zsh,
    fish_sees_an_exact_pin_installed_repaired_and_removed_elsewhere => Sh::Fish,
);

/// An exact pin's version installed, repaired (`install --force`) and removed by another
/// process, not through the shell's `gopin` function: each is seen at the next prompt, with
/// nothing else changing.
fn an_exact_pin_installed_elsewhere(sh: Sh) {
    if !sh.available() {
        return;
    }
    let w = World::with(&["go1.22.10", "go1.20.3"], &["1.22.10"]);
    std::fs::create_dir_all(w.root.join("exact")).unwrap();
    std::fs::write(w.root.join("exact/.go-version"), "1.20.3\n").unwrap();
    let store = w.env.store();
    backdate(&[
        &w.root.join("exact/.go-version"),
        &w.root.join("exact"),
        &w.root,
        &store.join("versions"),
        &store,
    ]);
    let bin = match sh {
        Sh::Fish => "$_gopin_bin",
        _ => "\"$_GOPIN_BIN\"",
    };
    let run = |args: &str| format!("{bin} {args} >/dev/null 2>&1");
    let entry = store.join("versions/go1.20.3.linux-amd64");
    let go = entry.join("go/bin/go");
    let break_it = format!("rm -f '{}'", go.display());
    // The entry moved away and a link to it put in its place: a link does not count.
    let moved = w.root.join("moved");
    let link_it = format!(
        "mv '{e}' '{m}' && ln -s '{m}' '{e}'",
        e = entry.display(),
        m = moved.display()
    );
    let unlink_it = format!(
        "rm '{e}' && mv '{m}' '{e}'",
        e = entry.display(),
        m = moved.display()
    );
    let t = session_with(
        &w,
        sh,
        &rc_for(sh),
        &[
            "cd \"$W/exact\"",
            "report missing",
            &run("install 1.20.3"),
            "report installed",
            &break_it,
            // The tree's `go` going is not watched: a new directory makes the hook look.
            "cd \"$W\"",
            "cd \"$W/exact\"",
            "report broken",
            &run("install --force 1.20.3"),
            "report repaired",
            &link_it,
            "report linked",
            &unlink_it,
            "report back",
            &run("uninstall 1.20.3"),
            "report removed",
        ],
        &[],
    );
    let text = t.text();
    Reports::new(sh, &text).assert_versions(&[
        ("missing", "<unset>"),
        ("installed", "go1.20.3"),
        ("broken", "<unset>"),
        ("repaired", "go1.20.3"),
        ("linked", "<unset>"),
        ("back", "go1.20.3"),
        ("removed", "<unset>"),
    ]);
}

per_shell!(env_with_a_version_holds_in_a_hook_shell:
    bash_gopin_env_with_a_version_holds_like_gopin_shell => Sh::Bash,
    zsh_gopin_env_with_a_version_holds_like_gopin_shell => Sh::Zsh,
    fish_gopin_env_with_a_version_holds_like_gopin_shell => Sh::Fish,
);

/// `eval "$(gopin env 1.21.13)"` (the README's usage) in a shell with the hook is not undone at
/// the next prompt: it holds over every pin, as `gopin shell 1.21.13` does, until
/// `gopin shell --unset`. The script is in the calling shell's syntax (fish's too, whatever
/// `$SHELL` says).
fn env_with_a_version_holds_in_a_hook_shell(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let rc = format!("{}{}", set_u(sh), report_rc(sh));
    let apply = match sh {
        Sh::Fish => "gopin env 1.21.13 2>/dev/null | source; report now",
        _ => "eval \"$(gopin env 1.21.13 2>/dev/null)\"; report now",
    };
    let text = session(
        &w,
        sh,
        &rc,
        &[
            "cd \"$W/proj\"",
            "report proj",
            apply,
            "report next-prompt",
            "true",
            "report later",
            "cd \"$W/toolproj\"",
            "report elsewhere",
            "gopin shell --unset 2>/dev/null",
            "report unset",
            "cd \"$W/plain\"",
            "report left",
        ],
    );
    let reports = Reports::new(sh, &text);
    let by = |label: &str| reports.by(label);
    assert_eq!(by("proj").version, "go1.22.10", "{sh:?}");
    let goroot = w.goroot("go1.21.13.linux-amd64");
    let gobin = w.env.store().join("gobins/go1.21.13.linux-amd64");
    for label in ["now", "next-prompt", "later", "elsewhere"] {
        let r = by(label);
        assert_eq!(r.version, "go1.21.13", "{sh:?} {label}");
        assert_eq!(
            r.go_version, "go version go1.21.13 linux/amd64",
            "{sh:?} {label}"
        );
        assert_eq!(r.goroot, goroot, "{sh:?} {label}");
        assert_eq!(
            r.path,
            format!("{goroot}/bin:{}:{}", gobin.display(), w.user_path()),
            "{sh:?} {label}: PATH"
        );
    }
    assert_eq!(by("unset").version, "go1.22.9", "{sh:?}: toolproj's own");
    let left = by("left");
    assert_eq!(left.goroot, "/opt/user-goroot", "{sh:?}");
    assert_eq!(left.path, w.user_path(), "{sh:?}");
}

per_shell!(use_without_and_with_the_hook:
    bash_use_without_the_hook_names_the_line_and_with_it_switches_on_the_same_line => Sh::Bash,
    zsh_use_without_the_hook_names_the_line_and_with_it_switches_on_the_same_line => Sh::Zsh,
    fish_use_without_the_hook_names_the_line_and_with_it_switches_on_the_same_line => Sh::Fish,
);

/// Runs `commands` in an interactive `sh` without any rc file, on a terminal (under `script`),
/// with the gopin under test on PATH as `gopin`; returns the terminal transcript.
fn terminal_session(w: &World, sh: Sh, commands: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let typescript = dir.path().join("typescript");
    let shell = match sh {
        Sh::Bash => "bash --noprofile --norc -i",
        Sh::Zsh => "zsh -f -i",
        Sh::Fish => "fish --no-config -i",
    };
    let mut cmd = Command::new("script");
    cmd.args(["-qec", shell])
        .arg(&typescript)
        .current_dir(w.root.join("plain"))
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in w.env.vars() {
        cmd.env(k, v);
    }
    let bin_dir = gopin_bin().parent().unwrap().to_path_buf();
    cmd.env("PATH", format!("{}:{}", bin_dir.display(), w.user_path()))
        .env("W", &w.root)
        .env("SHELL", "/bin/sh")
        .env("TERM", "dumb")
        .env("LC_ALL", "C.UTF-8");
    let mut child = cmd.spawn().unwrap();
    {
        let stdin = child.stdin.as_mut().unwrap();
        for c in commands {
            writeln!(stdin, "{c}").unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        writeln!(stdin, "exit").unwrap();
    }
    let status = child.wait().unwrap();
    assert!(status.code().is_some(), "{sh:?}: killed");
    String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned()
}

/// `gopin use` and `gopin install` typed in a shell without the hook say the one line to add,
/// and to which rc file, for that shell (and `gopin shell` says it instead of failing
/// obscurely); with the hook loaded they say nothing of the kind, and `gopin use X && go …` on
/// one line runs X.
fn use_without_and_with_the_hook(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let (line, rc) = match sh {
        Sh::Bash => ("eval \"$(gopin init bash)\"", "~/.bashrc"),
        Sh::Zsh => ("eval \"$(gopin init zsh)\"", "~/.zshrc"),
        Sh::Fish => ("gopin init fish | source", "~/.config/fish/config.fish"),
    };
    let transcript = terminal_session(
        &w,
        sh,
        &[
            "gopin use 1.22.10",
            "gopin install 1.22.9",
            "gopin shell 1.22.9",
            line,
            "gopin use 1.21.13",
        ],
    );
    let advice = format!("add `{line}` to {rc} and open a new shell");
    assert_eq!(
        transcript.matches(&advice).count(),
        3,
        "{sh:?}: use, install and shell without the hook, and not use with it:\n{transcript}"
    );
    assert!(
        transcript.contains("this shell has no gopin hook"),
        "{sh:?}:\n{transcript}"
    );

    // With the hook, on one command line, in a directory nothing pinned before.
    std::fs::create_dir_all(w.root.join("fresh")).unwrap();
    let rc_text = report_rc(sh);
    let and = if sh == Sh::Fish { "; and" } else { " &&" };
    let text = session(
        &w,
        sh,
        &rc_text,
        &[
            "cd \"$W/fresh\"",
            "report before",
            &format!("gopin use 1.21.13 2>/dev/null{and} report same-line"),
            &format!("gopin use 1.22.9 2>/dev/null{and} report again"),
        ],
    );
    let reports = parse_reports(&text);
    assert_eq!(reports[0].go_version, "go version system", "{sh:?}: {text}");
    assert_eq!(reports[1].label, "same-line", "{text}");
    assert_eq!(reports[1].version, "go1.21.13", "{sh:?}: {text}");
    assert_eq!(
        reports[1].go_version, "go version go1.21.13 linux/amd64",
        "{sh:?}"
    );
    assert_eq!(reports[2].version, "go1.22.9", "{sh:?}: {text}");
}

per_shell!(use_in_home_asks_first:
    bash_use_in_home_asks_for_global_or_here => Sh::Bash,
    zsh_use_in_home_asks_for_global_or_here => Sh::Zsh,
    fish_use_in_home_asks_for_global_or_here => Sh::Fish,
);

/// `gopin use` typed in `~` or `/` asks for `--global` or `--here` (status 1, nothing written);
/// `--here` pins it, `--global` sets the default.
fn use_in_home_asks_first(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let rc = report_rc(sh);
    let status = status_line(sh);
    let t = session_with(
        &w,
        sh,
        &rc,
        &[
            "cd ~",
            "gopin use 1.22.9 2>> \"$OUT.err\"",
            status,
            "cd /",
            "gopin use 1.22.9 2>> \"$OUT.err\"",
            status,
            "cd ~",
            "report refused",
            "gopin use --here 1.22.9 2>/dev/null",
            "report here",
            "gopin use --unset 2>/dev/null",
            "gopin use --global 1.21.13 2>/dev/null",
            "report global",
        ],
        &[],
    );
    let text = t.text();
    let statuses = statuses(&text);
    assert_eq!(statuses, ["status=1", "status=1"], "{sh:?}: {text}");
    let err = t.file_text("err");
    assert!(err.contains("this is your home directory"), "{sh:?}: {err}");
    assert!(
        err.contains("this is the root directory /"),
        "{sh:?}: {err}"
    );
    assert_eq!(
        err.matches("`gopin use --global 1.22.9`").count(),
        2,
        "{err}"
    );
    let reports = parse_reports(&text);
    assert_eq!(reports[0].version, "<unset>", "{sh:?}: nothing was pinned");
    assert_eq!(reports[1].version, "go1.22.9", "{sh:?}: --here");
    assert_eq!(reports[2].version, "go1.21.13", "{sh:?}: --global");
    assert!(!w.env.dir.path().join("home/.go-version").exists());
}

per_shell!(linked_tree_replaced_by_another_release:
    bash_a_linked_tree_replaced_by_another_release_is_refused => Sh::Bash,
    zsh_a_linked_tree_replaced_by_another_release_is_refused => Sh::Zsh,
    fish_a_linked_tree_replaced_by_another_release_is_refused => Sh::Fish,
);

/// A tree imported with `--link` that the system replaced by another release (deleted and
/// unpacked again, keeping the archive's dates, as a package manager does) is noticed at the
/// next prompt, without a `cd`: the guard answers for `go`, naming both releases.
fn linked_tree_replaced_by_another_release(sh: Sh) {
    let Some(w) = World::for_shell(sh) else {
        return;
    };
    let sdk = w.root.join("sdk/go");
    write_tree(&importable_tree("go1.20.14", "linux/amd64"), &sdk);
    w.env
        .gopin(&["import", "--link", sdk.to_str().unwrap()])
        .env("GOSUMDB", "off")
        .env("GOPROXY", "off")
        .assert()
        .success();
    // A runnable stand-in for its go, now that it is recorded.
    std::fs::write(
        sdk.join("bin/go"),
        fake_go_script("go1.20.14", "linux/amd64"),
    )
    .unwrap();
    let next = w.root.join("sdk-new/go");
    write_tree(&go_tree("go1.22.11", "linux/amd64"), &next);
    backdate(&[&next, &next.join("VERSION")]);
    std::fs::create_dir_all(w.root.join("linked")).unwrap();
    std::fs::write(w.root.join("linked/.go-version"), "1.20.14\n").unwrap();
    // Nothing may look freshly changed, or the hook's two-second margin would look again
    // at the next prompt whatever it watches.
    backdate(&[
        &w.root.join("linked"),
        &w.root.join("linked/.go-version"),
        &w.env.store().join("versions"),
        &w.root.join("sdk"),
        &sdk,
        &sdk.join("VERSION"),
    ]);
    let rc = report_rc(sh);
    // fish's stderr is the terminal's transcript already.
    let stderr_to_file = match sh {
        Sh::Fish => "true",
        _ => "exec 2>> \"$OUT.err\"",
    };
    let t = session_with(
        &w,
        sh,
        &rc,
        &[
            "cd \"$W/linked\"",
            "report before",
            stderr_to_file,
            "rm -rf \"$W/sdk/go\"; cp -a \"$W/sdk-new/go\" \"$W/sdk/go\"",
            "true",
            "report after",
        ],
        &[],
    );
    let text = t.text();
    let reports = parse_reports(&text);
    assert_eq!(
        reports[0].go_version, "go version go1.20.14 linux/amd64",
        "{sh:?}: {text}"
    );
    let after = &reports[1];
    assert_eq!(after.label, "after");
    assert_eq!(
        after.go_version, "no-go",
        "{sh:?}: go1.22.11 ran as go1.20.14"
    );
    assert_eq!(after.version, "<unset>", "{sh:?}");
    assert!(
        after
            .path
            .starts_with(&w.env.store().join("guard").display().to_string()),
        "{sh:?}: {}",
        after.path
    );
    let err = match sh {
        Sh::Fish => t.err.clone(),
        _ => t.file_text("err"),
    };
    assert!(
        err.contains("go1.20.14 was imported with --link from")
            && err.contains("which now holds go1.22.11"),
        "{sh:?}: {err}"
    );
}
