//! Completions in the real shells: bash through the function `complete -p gopin` names (with
//! COMP_WORDS as bash sets them), zsh at a real prompt on a pseudo-terminal (`zpty`), fish
//! through `complete -C`. Each loads what `gopin completions SHELL` prints, as a user's rc
//! file would.

use crate::support;

use std::path::PathBuf;
use std::process::Command;

use support::*;

/// A store with three versions installed, and an index that has one more.
struct World {
    env: Env,
    mirror: Mirror,
}

impl World {
    fn new() -> World {
        let mirror = Mirror::start();
        publish(
            &mirror,
            &[
                Release::linux("go1.23.4"),
                Release::linux("go1.22.10"),
                Release::linux("go1.22.9"),
                Release::linux("go1.21.13"),
                Release::linux("go1.20"),
            ],
        );
        let env = Env::new(&mirror);
        env.gopin(&["install", "1.22.10", "1.22.9", "1.21.13"])
            .assert()
            .success();
        World { env, mirror }
    }

    /// Runs `shell ARGS` with gopin's environment and gopin's directory on PATH.
    fn shell(&self, shell: &str, args: &[&str]) -> std::process::Output {
        let bin_dir = gopin_bin().parent().unwrap().to_path_buf();
        let mut cmd = Command::new("timeout");
        cmd.arg("60").arg(shell).args(args);
        cmd.current_dir(self.env.work()).env_clear();
        for (k, v) in self.env.vars() {
            cmd.env(k, v);
        }
        cmd.env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
            .env("TERM", "xterm")
            .env("LC_ALL", "C.UTF-8");
        cmd.output().unwrap()
    }

    fn script(&self, name: &str, text: &str) -> PathBuf {
        let path = self.env.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

const INSTALLED: [&str; 3] = ["go1.22.10", "go1.22.9", "go1.21.13"];

fn words(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// What bash's completion function offers for `line` (the word under the cursor last).
fn bash_complete(w: &World, line: &str) -> Vec<String> {
    bash_complete_in(w, ".", line)
}

/// As [`bash_complete`], after `cd DIR` (relative to the work directory) in the shell.
fn bash_complete_in(w: &World, dir: &str, line: &str) -> Vec<String> {
    let script = w.script(
        "complete.bash",
        r#"source <(gopin completions bash)
read -ra COMP_WORDS <<< "$LINE"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE=$LINE COMP_POINT=${#LINE} COMP_TYPE=9
spec=$(complete -p gopin)
fn=${spec#*-F }; fn=${fn%% *}
"$fn" gopin "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#,
    );
    let out = w.shell(
        "bash",
        &[
            "--norc",
            "--noprofile",
            "-c",
            &format!("cd '{dir}' && LINE='{line}' source '{}'", script.display()),
        ],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    words(&stdout_of(&out))
}

#[test]
fn bash_completes_installed_versions() {
    if !shell_available("bash") {
        return;
    }
    let w = World::new();
    assert_eq!(bash_complete(&w, "gopin uninstall go1.2"), INSTALLED);
    assert_eq!(bash_complete(&w, "gopin use 1.22"), ["1.22.10", "1.22.9"]);
    for sub in ["exec", "env"] {
        assert_eq!(
            bash_complete(&w, &format!("gopin {sub} go1.21")),
            ["go1.21.13"]
        );
    }
    // The index the install cached offers what is available; without it there is nothing to
    // offer, and no request is made.
    assert_eq!(
        bash_complete(&w, "gopin install go1.2"),
        ["go1.23.4", "go1.22.10", "go1.22.9", "go1.21.13", "go1.20"]
    );
    std::fs::remove_dir_all(w.env.dir.path().join("cache")).unwrap();
    let hits = w.mirror.hits("/index.json");
    assert!(bash_complete(&w, "gopin install go1.2").is_empty());
    assert_eq!(
        w.mirror.hits("/index.json"),
        hits,
        "completion reached the network"
    );
    // `which` takes a tool: those of the Go selected here.
    assert!(
        bash_complete(&w, "gopin which gof").is_empty(),
        "nothing is selected yet"
    );
    w.env.gopin(&["use", "1.22.10"]).assert().success();
    assert_eq!(bash_complete(&w, "gopin which gof"), ["gofmt"]);
    let offered = bash_complete(&w, "gopin which ");
    assert_eq!(offered[..2], ["go", "gofmt"]);
    assert!(
        offered[2..].iter().all(|o| o.starts_with("--")),
        "{offered:?}"
    );
    let commands = bash_complete(&w, "gopin ");
    for visible in [
        "install",
        "uninstall",
        "use",
        "exec",
        "env",
        "which",
        "shims",
        "man",
    ] {
        assert!(
            commands.iter().any(|c| c == visible),
            "{visible}: {commands:?}"
        );
    }
    assert!(
        !commands.iter().any(|c| c.starts_with("hook")),
        "the hook's worker is offered: {commands:?}"
    );
    assert!(bash_complete(&w, "gopin h").iter().all(|c| c == "help"));
}

#[test]
fn zsh_completes_installed_versions() {
    if !shell_available("zsh") {
        return;
    }
    let w = World::new();
    // A real prompt on a pseudo-terminal: type the line and <TAB> twice, which lists the
    // candidates when they share nothing more than what was typed.
    let driver = w.script(
        "drive.zsh",
        r#"zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; autoload -U compinit; compinit -u -D; source <(gopin completions zsh); echo RE""ADY'
zpty -r z line '*READY*'
zpty -w -n z $'gopin uninstall go1.2\t\t'
out=""
zpty -r z out '*go1.21.13*'
print -r -- "$out"
zpty -w -n z $'\C-u'
zpty -w -n z $'gopin h\t\t'
zpty -r z out '*help*'
print -r -- "$out"
zpty -d z
"#,
    );
    let out = w.shell("zsh", &["-f", driver.to_str().unwrap()]);
    let text = stdout_of(&out);
    // zsh lists the candidates on one line under the prompt.
    assert!(
        text.lines()
            .any(|l| INSTALLED.iter().all(|v| l.contains(v))),
        "the installed versions are not listed: {text:?} {}",
        stderr_of(&out)
    );
    assert!(!text.contains("go1.23.4"), "{text:?}");
    assert!(!text.contains("hook-env"), "{text:?}");
}

#[test]
fn fish_completes_installed_versions() {
    if !shell_available("fish") {
        return;
    }
    let w = World::new();
    let out = w.shell(
        "fish",
        &[
            "--no-config",
            "-c",
            "gopin completions fish | source; complete -C 'gopin uninstall go1.2'; echo ---; complete -C 'gopin '",
        ],
    );
    let text = stdout_of(&out);
    let (versions, commands) = text
        .split_once("---\n")
        .unwrap_or_else(|| panic!("{}", stderr_of(&out)));
    assert_eq!(words(versions), INSTALLED);
    let commands = words(commands);
    assert!(commands.iter().any(|c| c == "shims"), "{commands:?}");
    assert!(
        !commands.iter().any(|c| c.starts_with("hook")),
        "{commands:?}"
    );
}

#[test]
fn completions_call_this_gopin_by_its_absolute_path() {
    let w = World::new();
    let gopin = gopin_bin().canonicalize().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = w.env.gopin(&["completions", shell]).output().unwrap();
        assert!(out.status.success());
        let text = stdout_of(&out);
        assert!(text.contains(&*gopin.to_string_lossy()), "{shell}: {text}");
        assert!(text.contains("_GOPIN_COMPLETE"), "{shell}: {text}");
    }
    // The registration is a file the user may keep: gopin with a broken config still prints it.
    std::fs::write(w.env.dir.path().join("config.toml"), "[[[").unwrap();
    w.env.gopin(&["completions", "bash"]).assert().success();
}

/// `which <Tab>` offers the tools of the Go `which` picks: both resolve the directory the
/// shell is in (its logical path), not where a symlink on the way leads.
#[test]
fn which_completes_for_the_directory_the_shell_is_in() {
    if !shell_available("bash") {
        return;
    }
    let w = World::new();
    let work = w.env.work();
    std::fs::create_dir_all(work.join("pinned")).unwrap();
    std::fs::create_dir_all(work.join("elsewhere")).unwrap();
    std::fs::write(work.join("pinned/.go-version"), "1.22.10\n").unwrap();
    std::os::unix::fs::symlink(work.join("elsewhere"), work.join("pinned/link")).unwrap();
    assert!(bash_complete_in(&w, "elsewhere", "gopin which gof").is_empty());
    assert_eq!(
        bash_complete_in(&w, "pinned/link", "gopin which gof"),
        ["gofmt"]
    );
}
