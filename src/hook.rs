//! What the shell hook does when something may have changed: resolve the directory, compare
//! with what the shell already has, and print only the difference.
//!
//! The shell carries gopin's bookkeeping in one exported variable, `_GOPIN_STATE` (JSON): the
//! user's own values of the managed variables from before gopin first changed them, the PATH
//! entries gopin added, and a key naming what is active. Restoring is therefore exact, and a
//! nested shell inherits a consistent picture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::activate::{self, Activation, MANAGED_VARS, Resolved};
use crate::config::Config;
use crate::platform::Platform;
use crate::selection::{self, Pin};
use crate::shell::{Script, Shell};
use crate::store::Store;

pub const STATE_VAR: &str = "_GOPIN_STATE";

/// Stamps are dated this far back, so a change within the same second as the stamp (on file
/// systems or shells that compare whole seconds) still counts as newer.
const STAMP_MARGIN: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookState {
    /// What the last run settled on; while it is unchanged nothing is printed.
    pub key: String,
    /// The user's values of the managed variables from before gopin changed them (`None`
    /// inside: unset). Present exactly while a version is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved: Option<BTreeMap<String, Option<String>>>,
    /// The PATH entries gopin put in front.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<PathBuf>,
}

impl HookState {
    pub fn parse(raw: Option<&str>) -> HookState {
        raw.and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }
}

/// What the hook decided for one directory.
pub enum Target {
    /// Activate this environment.
    Active(Activation),
    /// Nothing applies: give the user back their own environment.
    Inactive,
}

/// The outcome of resolving a directory for the hook: a key that identifies it, the
/// environment to apply, a message to show once, and the paths whose change invalidates it.
pub struct Decision {
    pub key: String,
    pub target: Target,
    pub message: Option<String>,
    pub watch: Vec<PathBuf>,
}

impl Decision {
    /// Nothing to activate: the user's own environment, and maybe a message to show once.
    fn inactive(key: String, message: Option<String>, watch: Vec<PathBuf>) -> Decision {
        Decision {
            key,
            target: Target::Inactive,
            message,
            watch,
        }
    }
}

/// Resolves `cwd` for the hook. Never fails: problems become a message and an inactive
/// environment, so a broken version file cannot break the prompt. `install_missing` is
/// called for a pinned version that is not installed when `auto_install` is on.
pub fn decide(
    config: &Config,
    store: &Store,
    cwd: &Path,
    install_missing: &dyn Fn(&Pin, &Platform) -> anyhow::Result<()>,
) -> Decision {
    let default_file = activate::default_file(store);
    let platform = match Platform::host() {
        Ok(p) => p,
        Err(e) => return Decision::inactive(format!("error:{e}"), Some(e.to_string()), vec![]),
    };
    let mut resolved = activate::resolve_dir(store, &platform, cwd);
    if config.settings.auto_install
        && let Ok(Resolved::Missing(pin)) = &resolved
    {
        if let Err(e) = install_missing(pin, &platform) {
            let watch = selection::watch_list(cwd, Some(pin), &default_file);
            return Decision::inactive(format!("error:{e}"), Some(format!("{e:#}")), watch);
        }
        resolved = activate::resolve_pin(store, &platform, pin.clone()).map_err(Into::into);
    }
    // Installs and uninstalls change what a prefix resolves to.
    let mut watch = vec![store.versions_dir()];
    let pin = match &resolved {
        Ok(Resolved::Missing(pin) | Resolved::Ready(pin, _)) => Some(pin),
        _ => None,
    };
    watch.extend(selection::watch_list(cwd, pin, &default_file));
    match resolved {
        Err(e) => {
            // Editing the broken file in place must be noticed too.
            if let activate::ResolveError::Selection(problem) = &e {
                watch.push(problem.path().to_path_buf());
            }
            Decision::inactive(format!("error:{e}"), Some(e.to_string()), watch)
        }
        Ok(Resolved::Nothing) => Decision::inactive(String::new(), None, watch),
        Ok(Resolved::Missing(pin)) => Decision::inactive(
            format!("missing:{}:{}", pin.request, pin.source.display()),
            Some(activate::missing_hint(&pin)),
            watch,
        ),
        Ok(Resolved::Ready(pin, installed)) => {
            let activation = Activation::new(config, store, &installed, Some(&pin.source));
            Decision {
                key: format!("{activation:?}"),
                target: Target::Active(activation),
                message: None,
                watch,
            }
        }
    }
}

/// The script that takes the shell from `state` (and the environment `env` reads) to
/// `decision`. Empty of assignments when nothing changed.
pub fn render(
    shell: Shell,
    state: &HookState,
    decision: &Decision,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Script {
    let mut script = Script::new(shell);
    if state.key != decision.key {
        let path = env("PATH").unwrap_or_default();
        let next = match &decision.target {
            Target::Active(activation) => {
                let saved = state.saved.clone().unwrap_or_else(|| {
                    MANAGED_VARS
                        .iter()
                        .map(|name| (name.to_string(), env(name)))
                        .collect()
                });
                for name in MANAGED_VARS {
                    let value = match activation.vars.iter().find(|(n, _)| *n == name) {
                        Some((_, value)) => value.clone(),
                        // A variable this configuration leaves alone gets the user's value.
                        None => saved.get(name).cloned().flatten(),
                    };
                    script.set_or_unset(name, value.as_deref());
                }
                let new_path = activation.path_with(&path, &state.added);
                script.export_path(&split_path(&new_path));
                HookState {
                    key: decision.key.clone(),
                    saved: Some(saved),
                    added: activation.path_front.clone(),
                }
            }
            Target::Inactive => {
                if let Some(saved) = &state.saved {
                    for name in MANAGED_VARS {
                        script.set_or_unset(name, saved.get(name).cloned().flatten().as_deref());
                    }
                    script.export_path(&activate::strip_path(&path, &state.added));
                }
                HookState {
                    key: decision.key.clone(),
                    ..HookState::default()
                }
            }
        };
        if next == HookState::default() {
            script.unset(STATE_VAR);
        } else {
            script.export(
                STATE_VAR,
                &serde_json::to_string(&next).expect("state serialises"),
            );
        }
    }
    script.set_shell_var("_GOPIN_PWD", &cwd.to_string_lossy());
    let watch: Vec<String> = decision
        .watch
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    script.set_shell_list("_GOPIN_WATCH", &watch);
    script
}

fn split_path(path: &str) -> Vec<String> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split(':').map(str::to_string).collect()
    }
}

/// Marks "the hook looked at everything now": creates or re-dates the shell's stamp file.
pub fn touch_stamp(stamp: &Path) -> std::io::Result<()> {
    if let Some(dir) = stamp.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(stamp)?;
    file.set_modified(SystemTime::now() - STAMP_MARGIN)
}

/// Removes stamps nobody has touched for a week (their shells are long gone; a live shell
/// whose stamp vanishes simply re-checks once and makes a new one).
pub fn prune_stamps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let week = Duration::from_secs(7 * 24 * 3600);
    for entry in entries.filter_map(Result::ok) {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > week);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_from(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn active(key: &str) -> Decision {
        Decision {
            key: key.to_string(),
            target: Target::Active(Activation {
                vars: vec![
                    ("GOROOT", Some("/s/go1.22/go".into())),
                    ("GOPIN_VERSION", Some("go1.22.1".into())),
                ],
                path_front: vec!["/s/go1.22/go/bin".into()],
            }),
            message: None,
            watch: vec!["/w".into()],
        }
    }

    #[test]
    fn activation_saves_and_leaving_restores() {
        let env = env_from(&[("PATH", "/usr/bin"), ("GOROOT", "/usr/local/go")]);
        let out = render(
            Shell::Bash,
            &HookState::default(),
            &active("k1"),
            Path::new("/p"),
            &env,
        )
        .into_string();
        assert!(out.contains("export GOROOT=/s/go1.22/go\n"), "{out}");
        assert!(
            out.contains("export PATH=/s/go1.22/go/bin:/usr/bin\n"),
            "{out}"
        );
        assert!(out.contains("unset GOBIN\n"), "{out}");
        let state_line = out.lines().find(|l| l.contains(STATE_VAR)).unwrap();
        assert!(state_line.contains("/usr/local/go"), "{state_line}");

        let state = HookState {
            key: "k1".into(),
            saved: Some(BTreeMap::from([
                ("GOROOT".to_string(), Some("/usr/local/go".to_string())),
                ("GOBIN".to_string(), None),
            ])),
            added: vec!["/s/go1.22/go/bin".into()],
        };
        let env = env_from(&[("PATH", "/s/go1.22/go/bin:/usr/bin:/added/later")]);
        let leave = Decision {
            key: String::new(),
            target: Target::Inactive,
            message: None,
            watch: vec![],
        };
        let out = render(Shell::Bash, &state, &leave, Path::new("/"), &env).into_string();
        assert!(out.contains("export GOROOT=/usr/local/go\n"), "{out}");
        assert!(out.contains("unset GOBIN\n"), "{out}");
        assert!(out.contains("export PATH=/usr/bin:/added/later\n"), "{out}");
        assert!(out.contains(&format!("unset {STATE_VAR}\n")), "{out}");
    }

    #[test]
    fn a_broken_version_file_is_reported_and_watched() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            settings: crate::config::Settings::default(),
            home: dir.path().join("store"),
            cache_dir: dir.path().join("cache"),
            config_file: dir.path().join("config.toml"),
        };
        let store = Store::new(&config.home);
        let project = dir.path().join("p");
        std::fs::create_dir_all(project.join("sub")).unwrap();
        std::fs::write(project.join(".go-version"), "1.22; rm -rf ~\n").unwrap();
        let never = |_: &Pin, _: &Platform| -> anyhow::Result<()> { unreachable!() };
        let decision = decide(&config, &store, &project.join("sub"), &never);
        assert!(matches!(decision.target, Target::Inactive));
        let message = decision.message.unwrap();
        assert!(message.contains(".go-version line 1"), "{message}");
        assert!(decision.watch.contains(&project.join(".go-version")));
        assert!(decision.watch.contains(&store.versions_dir()));
    }

    #[test]
    fn nothing_changed_prints_only_bookkeeping() {
        let state = HookState {
            key: "k1".into(),
            saved: Some(BTreeMap::new()),
            added: vec![],
        };
        let out = render(
            Shell::Zsh,
            &state,
            &active("k1"),
            Path::new("/p"),
            &env_from(&[]),
        )
        .into_string();
        assert_eq!(out, "_GOPIN_PWD=/p\n_GOPIN_WATCH=(/w)\n");
    }
}
