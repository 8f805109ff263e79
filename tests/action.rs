//! The composite action in `action.yml` (docs/ci.md, "The lock in CI"), its shell steps run
//! the way the GitHub Actions runner runs them: each `run:` with `bash --noprofile --norc -eo
//! pipefail`, its `env:` inputs set, fresh `GITHUB_ENV`, `GITHUB_PATH` and `GITHUB_OUTPUT`
//! files per step whose lines are applied to the steps after it. `uses:` steps (the cache)
//! are the runner's own and are skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::lock::{lock_path, pin, world};
use crate::support::*;

/// One step of the action: its id, and its script when it is a `run:` step.
#[derive(Debug)]
struct Step {
    name: String,
    id: Option<String>,
    run: Option<String>,
}

/// The steps of action.yml, read by indentation (the file is this repository's own, written
/// in the plain block style this reader expects; a test below checks it found every step).
fn steps() -> Vec<Step> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.trim() == "steps:").unwrap();
    let mut steps: Vec<Step> = Vec::new();
    let mut i = start + 1;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("- name: ") {
            steps.push(Step {
                name: name.to_string(),
                id: None,
                run: None,
            });
        } else if let Some(id) = trimmed.strip_prefix("id: ") {
            steps.last_mut().unwrap().id = Some(id.to_string());
        } else if trimmed == "run: |" {
            let indent = line.len() - trimmed.len();
            let mut body = String::new();
            let mut j = i + 1;
            let mut block_indent = None;
            while j < lines.len() {
                let l = lines[j];
                let t = l.trim_start();
                if !t.is_empty() && l.len() - t.len() <= indent {
                    break;
                }
                let bi = *block_indent.get_or_insert(l.len() - t.len());
                body.push_str(l.get(bi..).unwrap_or(""));
                body.push('\n');
                j += 1;
            }
            steps.last_mut().unwrap().run = Some(body);
            i = j;
            continue;
        }
        i += 1;
    }
    steps
}

/// Reads a runner command file: `NAME=value` lines and `NAME<<DELIM` … `DELIM` blocks.
fn command_file(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.push((name.to_string(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            out.push((name.to_string(), value.to_string()));
        }
    }
    out
}

/// What a run of the action left: each step's outputs, the job's environment after it, and
/// whether every step passed (else the failing step's stderr).
struct Run {
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    env: BTreeMap<String, String>,
    failed: Option<(String, String)>,
}

/// Runs the action's shell steps in `env`'s work directory with `inputs`.
fn run_action(env: &Env, inputs: &[(&str, &str)]) -> Run {
    let runner = env.dir.path().join("runner");
    std::fs::create_dir_all(&runner).unwrap();
    let bin_dir: PathBuf = gopin_bin().parent().unwrap().to_path_buf();
    let mut job: BTreeMap<String, String> = env.vars().into_iter().collect();
    job.insert(
        "PATH".into(),
        format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    job.insert("RUNNER_OS".into(), "Linux".into());
    job.insert("RUNNER_ARCH".into(), "X64".into());
    job.insert("RUNNER_TEMP".into(), runner.display().to_string());
    job.insert(
        "GITHUB_ACTION_PATH".into(),
        env!("CARGO_MANIFEST_DIR").into(),
    );
    let defaults = [
        ("INPUT_VERSION", ""),
        ("INPUT_WORKING_DIRECTORY", "."),
        ("INPUT_CHECK", "true"),
    ];
    let mut outputs = BTreeMap::new();
    for (n, step) in steps().into_iter().enumerate() {
        let Some(script) = &step.run else { continue };
        let files: Vec<PathBuf> = ["env", "path", "output"]
            .iter()
            .map(|f| runner.join(format!("{n}-{f}")))
            .collect();
        for f in &files {
            std::fs::write(f, "").unwrap();
        }
        let script_path = runner.join(format!("{n}.sh"));
        std::fs::write(&script_path, script).unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_path)
            .current_dir(env.work())
            .env_clear()
            .envs(&job)
            .env("GITHUB_ENV", &files[0])
            .env("GITHUB_PATH", &files[1])
            .env("GITHUB_OUTPUT", &files[2]);
        for (k, v) in defaults {
            cmd.env(k, v);
        }
        for (k, v) in inputs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        if !out.status.success() {
            return Run {
                outputs,
                env: job,
                failed: Some((step.name, stderr_of(&out))),
            };
        }
        for (k, v) in command_file(&files[0]) {
            job.insert(k, v);
        }
        for dir in std::fs::read_to_string(&files[1]).unwrap().lines() {
            let path = format!("{dir}:{}", job["PATH"]);
            job.insert("PATH".into(), path);
        }
        if let Some(id) = step.id {
            outputs.insert(id, command_file(&files[2]).into_iter().collect());
        }
    }
    Run {
        outputs,
        env: job,
        failed: None,
    }
}

/// `go version` in the job's environment after the action.
fn go_version(run: &Run, dir: &Path) -> String {
    let out = Command::new("bash")
        .args(["-c", "go version"])
        .current_dir(dir)
        .env_clear()
        .envs(&run.env)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    stdout_of(&out).trim().to_string()
}

#[test]
fn the_reader_finds_every_step_of_the_action() {
    let steps = steps();
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Install gopin",
            "Prepare the store and its cache key",
            "Cache gopin's store",
            "Install Go"
        ]
    );
    assert_eq!(steps.iter().filter(|s| s.run.is_some()).count(), 3);
    for step in &steps {
        if let Some(run) = &step.run {
            assert!(
                !run.contains("${{"),
                "inputs come through env:, never into a script: {run}"
            );
        }
    }
}

#[test]
fn the_action_installs_the_locked_go_keyed_by_the_lock_s_digest() {
    let (s, env) = world();
    let out = env.gopin(&["lock"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // The job's runner has no index to read: the lock says what to download.
    s.mirror.set("/index.json", Reply::Status(503));
    let run = run_action(&env, &[]);
    assert!(run.failed.is_none(), "{:?}", run.failed);
    let digest = sha256_hex(&std::fs::read(lock_path(&env)).unwrap());
    assert_eq!(
        run.outputs["prep"]["key"],
        format!("gopin-Linux-X64-lock-{digest}")
    );
    assert_eq!(
        run.outputs["prep"]["store"],
        env.store().display().to_string()
    );
    assert_eq!(run.outputs["go"]["go-version"], "go1.22.10");
    assert_eq!(run.env["GOPIN_VERSION"], "go1.22.10");
    assert_eq!(
        go_version(&run, &env.work()),
        "go version go1.22.10 linux/amd64"
    );
    let record = env
        .store()
        .join("versions/go1.22.10.linux-amd64/install.json");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(record).unwrap()).unwrap();
    assert_eq!(record["source"]["lock_sha256"], format!("sha256:{digest}"));

    // A stale lock (the pin moved) fails the job at the check, before anything is installed.
    pin(&env, "1.22.9");
    let run = run_action(&env, &[]);
    let (step, err) = run.failed.expect("the stale lock fails");
    assert_eq!(step, "Install Go");
    assert!(err.contains("the pin moved"), "{err}");
}

#[test]
fn without_a_lock_the_action_installs_the_pin() {
    let (_s, env) = world();
    let run = run_action(&env, &[]);
    assert!(run.failed.is_none(), "{:?}", run.failed);
    assert!(run.outputs["prep"]["key"].starts_with("gopin-Linux-X64-pin-"));
    assert_eq!(
        go_version(&run, &env.work()),
        "go version go1.22.10 linux/amd64"
    );
    let run = run_action(&env, &[("INPUT_VERSION", "1.22.9")]);
    assert!(run.failed.is_none(), "{:?}", run.failed);
    assert_eq!(run.outputs["go"]["go-version"], "go1.22.9");
}

#[test]
fn the_action_s_steps_pass_shellcheck() {
    let Ok(out) = Command::new("shellcheck").arg("--version").output() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "shellcheck is required in CI"
        );
        return;
    };
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    for (n, step) in steps().iter().enumerate() {
        let Some(run) = &step.run else { continue };
        let path = dir.path().join(format!("{n}.sh"));
        std::fs::write(&path, run).unwrap();
        let out = Command::new("shellcheck")
            .args(["--shell=bash"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {}", step.name, stdout_of(&out));
    }
}
