//! Carrying tools from one GOBIN to another Go (README, "Tools"): what to do with each tool,
//! and `go install <package>@<version>` run for those that need it, a few at a time.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Kind, Rebuild, Tool};
use crate::buildinfo;
use crate::version::GoVersion;

/// What sync decides for one tool of the source GOBIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Rebuild(Rebuild),
    /// The target already has it, built by the target release at the same version.
    AlreadyThere,
    /// It cannot be built again, and why.
    Cannot(String),
}

/// How it went for one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Rebuilt,
    AlreadyThere,
    Cannot(String),
    /// The go command's last error line (or why it did not run).
    Failed(String),
    /// `--dry-run`: what would run.
    WouldRun(String),
}

/// The decision for each tool of `from`, given what `to` (the target GOBIN) holds already and
/// the target release.
pub fn plan(from: &[Tool], to: &[Tool], target: &GoVersion) -> Vec<Action> {
    from.iter()
        .map(|tool| match &tool.kind {
            Kind::Other(problem) => Action::Cannot(format!("not a Go binary: it {problem}")),
            Kind::Go {
                rebuild: Err(why), ..
            } => Action::Cannot(why.to_string()),
            Kind::Go {
                rebuild: Ok(rebuild),
                ..
            } => {
                if to
                    .iter()
                    .any(|t| t.name == tool.name && already_built(t, rebuild, target))
                {
                    Action::AlreadyThere
                } else {
                    Action::Rebuild(rebuild.clone())
                }
            }
        })
        .collect()
}

/// Whether `tool` is `rebuild`'s package at its version, built by `target`.
fn already_built(tool: &Tool, rebuild: &Rebuild, target: &GoVersion) -> bool {
    tool.info().is_some_and(|info| {
        info.release().as_ref() == Some(target)
            && info.path.as_deref() == Some(rebuild.package.as_str())
            && info
                .main
                .as_ref()
                .is_some_and(|(m, v)| *m == rebuild.module && *v == rebuild.version)
    })
}

/// How to run the target's `go`: the binary, the variables to set (`None`: unset), where to
/// run it, and the GOBIN it installs into.
pub struct GoCommand {
    pub go: PathBuf,
    pub vars: Vec<(OsString, Option<OsString>)>,
    pub dir: PathBuf,
    pub gobin: PathBuf,
    pub release: GoVersion,
}

impl GoCommand {
    /// `go install` for `rebuild`, its output captured.
    fn command(&self, rebuild: &Rebuild) -> Command {
        let mut cmd = Command::new(&self.go);
        cmd.args(rebuild.args()).current_dir(&self.dir);
        for (k, v) in &self.vars {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        for (k, v) in &rebuild.env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Builds one tool, and checks that the binary it left is the one asked for.
    fn build(&self, name: &std::ffi::OsStr, rebuild: &Rebuild) -> Outcome {
        let out = match self.command(rebuild).output() {
            Ok(out) => out,
            Err(e) => {
                return Outcome::Failed(format!("cannot run {}: {e}", crate::ui::shown(&self.go)));
            }
        };
        if !out.status.success() {
            let text = String::from_utf8_lossy(&out.stderr);
            let last = text
                .lines()
                .rev()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(crate::ui::redacted)
                .unwrap_or_else(|| format!("go install exited with {}", out.status));
            return Outcome::Failed(last);
        }
        let file = self.gobin.join(name);
        match buildinfo::read(&file) {
            Ok(info)
                if info.release().as_ref() == Some(&self.release)
                    && info
                        .main
                        .as_ref()
                        .is_some_and(|(_, v)| *v == rebuild.version) =>
            {
                Outcome::Rebuilt
            }
            Ok(info) => Outcome::Failed(format!(
                "go install succeeded, but {} holds {} built by {}",
                crate::ui::shown(&file),
                info.main
                    .map(|(m, v)| format!("{m}@{v}"))
                    .unwrap_or_else(|| "no module".into()),
                crate::ui::shown_bytes(info.go_version.as_bytes())
            )),
            Err(e) => Outcome::Failed(format!("go install succeeded, but {e}")),
        }
    }
}

/// Carries out `actions` (one per tool of `tools`), up to `jobs` builds at a time, calling
/// `started` as each build starts. With `dry_run`, nothing runs.
pub fn run(
    tools: &[Tool],
    actions: &[Action],
    go: &GoCommand,
    jobs: usize,
    dry_run: bool,
    started: &(dyn Fn(&Tool, &Rebuild) + Sync),
) -> Vec<Outcome> {
    let outcomes: Vec<Mutex<Option<Outcome>>> = actions
        .iter()
        .map(|a| {
            Mutex::new(match a {
                Action::AlreadyThere => Some(Outcome::AlreadyThere),
                Action::Cannot(why) => Some(Outcome::Cannot(why.clone())),
                Action::Rebuild(r) if dry_run => Some(Outcome::WouldRun(r.command_line())),
                Action::Rebuild(_) => None,
            })
        })
        .collect();
    let todo: Vec<usize> = (0..actions.len())
        .filter(|&i| outcomes[i].lock().unwrap().is_none())
        .collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, todo.len().max(1)) {
            scope.spawn(|| {
                while let Some(&i) = todo.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let Action::Rebuild(rebuild) = &actions[i] else {
                        continue;
                    };
                    started(&tools[i], rebuild);
                    let outcome = go.build(&tools[i].name, rebuild);
                    *outcomes[i].lock().unwrap() = Some(outcome);
                }
            });
        }
    });
    outcomes
        .into_iter()
        .map(|o| o.into_inner().unwrap().expect("every tool has an outcome"))
        .collect()
}

/// How many builds to run at once: the core count.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buildinfo::BuildInfo;
    use crate::platform::Platform;

    fn tool(name: &str, go: &str, version: &str) -> Tool {
        let info = BuildInfo {
            go_version: go.into(),
            path: Some(format!("example.com/{name}")),
            main: Some((format!("example.com/{name}"), version.into())),
            settings: vec![],
            replaces: vec![],
        };
        let platform = Platform::new("linux", "amd64").unwrap();
        let rebuild = super::super::rebuild_of(&info, name, &platform);
        Tool {
            name: name.into(),
            file: PathBuf::from("/gobin").join(name),
            kind: Kind::Go {
                info: Box::new(info),
                rebuild,
            },
        }
    }

    #[test]
    fn decisions() {
        let target: GoVersion = "1.22.10".parse().unwrap();
        let from = vec![
            tool("a", "go1.21.13", "v1.0.0"),
            tool("b", "go1.21.13", "v1.0.0"),
            tool("c", "go1.21.13", "v1.0.0"),
            tool("d", "go1.21.13", "(devel)"),
            Tool {
                name: "notes.sh".into(),
                file: "/gobin/notes.sh".into(),
                kind: Kind::Other("is not an executable in a format gopin reads".into()),
            },
        ];
        let to = vec![
            // Same version, target release: nothing to do.
            tool("a", "go1.22.10", "v1.0.0"),
            // Another version: rebuilt.
            tool("b", "go1.22.10", "v0.9.0"),
            // Another release: rebuilt.
            tool("c", "go1.22.9", "v1.0.0"),
        ];
        let actions = plan(&from, &to, &target);
        assert_eq!(actions[0], Action::AlreadyThere);
        assert!(matches!(&actions[1], Action::Rebuild(r) if r.target() == "example.com/b@v1.0.0"));
        assert!(matches!(&actions[2], Action::Rebuild(_)));
        assert!(matches!(&actions[3], Action::Cannot(w) if w.contains("(devel)")));
        assert!(matches!(&actions[4], Action::Cannot(w) if w.starts_with("not a Go binary")));
    }

    #[test]
    fn dry_run_runs_nothing() {
        let target: GoVersion = "1.22.10".parse().unwrap();
        let from = vec![tool("a", "go1.21.13", "v1.0.0")];
        let actions = plan(&from, &[], &target);
        let go = GoCommand {
            go: "/nonexistent/go".into(),
            vars: vec![],
            dir: "/".into(),
            gobin: "/nonexistent".into(),
            release: target,
        };
        let started = |_: &Tool, _: &Rebuild| panic!("nothing starts in a dry run");
        let out = run(&from, &actions, &go, 4, true, &started);
        assert_eq!(
            out,
            [Outcome::WouldRun(
                "go install example.com/a@v1.0.0".to_string()
            )]
        );
        // Run for real, the missing go is a failure of that tool, not a panic.
        let out = run(&from, &actions, &go, 4, false, &|_: &Tool, _: &Rebuild| {});
        assert!(matches!(&out[0], Outcome::Failed(m) if m.contains("cannot run")));
    }
}
