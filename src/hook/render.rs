//! The reconcile step's second half, printing the difference: the script that takes the
//! shell from the environment it has to the one the hook decided on, the `_GOPIN_STATE` that
//! goes with it, and the shell variables the init script's fast checks read (docs/shell.md).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::decide::{Decision, Target};
use super::state::{Earlier, HISTORY, HookState, STATE_VAR, Under, Value, Values};
use crate::activate::{self, Activation, MANAGED_VARS};
use crate::selection::WATCHED_NAMES;
use crate::shell::{Script, Shell};
use crate::store::Store;

/// The script that takes the shell from what it has (`env`, `state`) to `decision`, plus the
/// bookkeeping the init script's fast checks read.
pub fn render(
    shell: Shell,
    store: &Store,
    state: &HookState,
    decision: &Decision,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Script {
    let mut script = Script::new(shell);
    let shell_env = ShellEnv::read(store, state, env);
    let next = match &decision.target {
        Target::Unchanged => None,
        Target::Active(activation) => Some(enter(&mut script, &shell_env, activation)),
        Target::Inactive => Some(leave(&mut script, &shell_env)),
    };
    if let Some(next) = next {
        export_state(&mut script, &next, env);
    }
    bookkeeping(&mut script, decision, cwd);
    script
}

/// What the shell has now, as the steps below read it.
struct ShellEnv<'a> {
    store: &'a Store,
    state: &'a HookState,
    env: &'a dyn Fn(&str) -> Option<OsString>,
    path: Option<OsString>,
    /// The PATH entries that are gopin's (its record, and anything inside the store).
    ours: Vec<PathBuf>,
}

impl<'a> ShellEnv<'a> {
    fn read(
        store: &'a Store,
        state: &'a HookState,
        env: &'a dyn Fn(&str) -> Option<OsString>,
    ) -> ShellEnv<'a> {
        let path = env("PATH");
        let ours = activate::gopin_path_entries(path.as_deref(), store, &state.added());
        ShellEnv {
            store,
            state,
            env,
            path,
            ours,
        }
    }

    fn current(&self, name: &str) -> Option<Value> {
        (self.env)(name).map(Value)
    }

    fn underneath(&self, name: &str) -> Under {
        self.state.underneath(self.store, name, self.current(name))
    }
}

/// Applies `activation`: each managed variable set (or left as the user has it), its
/// directories in front of PATH. Returns the state to keep while it is active.
fn enter(script: &mut Script, shell: &ShellEnv, activation: &Activation) -> HookState {
    let (saved, theirs) = saved_values(shell);
    let mut history = shell.state.history.clone();
    let mut set = Values::new();
    for name in MANAGED_VARS {
        let value = match activation.vars.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => value.clone().map(Value),
            // A variable this configuration leaves alone keeps the user's value.
            None => saved.get(name).cloned().flatten(),
        };
        let changes = shell.current(name) != value;
        if changes {
            script.set_or_unset(name, value.as_ref().map(|v| v.0.as_os_str()));
        }
        if let Some(v) = &value
            && changes
        {
            remember(&mut history, name, v, &saved, theirs.contains(&name));
        }
        set.insert(name.to_string(), value);
    }
    let excess = history.len().saturating_sub(HISTORY);
    history.drain(..excess);
    let new_path = activation.path_with(shell.path.as_deref(), &shell.ours);
    if Some(&new_path) != shell.path.as_ref() {
        script.export_path(&new_path);
    }
    HookState {
        saved,
        set,
        history,
        // Kept while active, to tell the user's value coming back from a tool's own.
        user: shell.state.user.clone(),
        added: activation
            .path_front
            .iter()
            .map(|p| Value(p.clone().into_os_string()))
            .collect(),
    }
}

/// The user's value under each managed variable, and the variables another tool holds.
fn saved_values(shell: &ShellEnv) -> (Values, Vec<&'static str>) {
    let mut theirs = Vec::new();
    let saved = MANAGED_VARS
        .iter()
        .map(|&name| match shell.underneath(name) {
            Under::Ours(under) => (name.to_string(), under),
            Under::Theirs(under) => {
                theirs.push(name);
                (name.to_string(), under)
            }
        })
        .collect();
    (saved, theirs)
}

/// Records `value`, which gopin is setting `name` to, with the user's value under it.
fn remember(history: &mut Vec<Earlier>, name: &str, value: &Value, saved: &Values, theirs: bool) {
    // What was under this value when gopin set it over the user's stays: a snapshot another
    // tool took then is what it will put back.
    let known = |h: &Earlier| h.0 == name && h.1 == *value;
    if theirs && history.iter().any(known) {
        return;
    }
    history.retain(|h| !known(h));
    let under = saved.get(name).cloned().flatten();
    history.push((name.to_string(), value.clone(), under));
}

/// Gives the user back their own environment: each managed variable as it was under gopin's
/// (another tool's value stays), gopin's PATH entries taken out. Returns the state to keep.
fn leave(script: &mut Script, shell: &ShellEnv) -> HookState {
    let mut user = Values::new();
    for name in MANAGED_VARS {
        let now = shell.current(name);
        let value = match shell.underneath(name) {
            // Another tool's value is theirs to keep.
            Under::Theirs(_) => now.clone(),
            Under::Ours(under) => under,
        };
        if now != value {
            script.set_or_unset(name, value.as_ref().map(|v| v.0.as_os_str()));
        }
        user.insert(name.to_string(), value);
    }
    let path = shell.path.as_ref();
    let stripped = activate::join_path(&activate::strip_path(
        path.map(|p| p.as_os_str()),
        &shell.ours,
    ));
    if path.is_some() && Some(&stripped) != path {
        script.export_path(&stripped);
    }
    // The history stays: a tool that puts back its snapshot after gopin's prompt hook (direnv
    // in fish restores at the prompt, after gopin has left at the directory change) may still
    // restore one of gopin's values, and this says what was underneath it.
    HookState {
        history: shell.state.history.clone(),
        user,
        ..HookState::default()
    }
}

/// Exports `next` as `_GOPIN_STATE` when it differs from what the shell holds; an empty state
/// is no variable.
fn export_state(script: &mut Script, next: &HookState, env: &dyn Fn(&str) -> Option<OsString>) {
    let held = env(STATE_VAR);
    if *next == HookState::default() {
        if held.is_some() {
            script.unset(STATE_VAR);
        }
        return;
    }
    let json = serde_json::to_string(next).expect("state serialises");
    if held.as_deref() != Some(OsStr::new(&json)) {
        script.export(STATE_VAR, OsStr::new(&json));
    }
}

/// The shell variables the init script's checks read before each prompt (see `shell/`).
fn bookkeeping(script: &mut Script, decision: &Decision, cwd: &Path) {
    // Exported: `gopin doctor` reads it to tell whether the hook ran for its directory.
    script.export("_GOPIN_PWD", cwd.as_os_str());
    script.set_shell_var("_GOPIN_SHOWN", OsStr::new(&decision.messages_digest()));
    let w = &decision.watch;
    // zsh reads a path's date with one stat (its zstat reads them all), which costs it less
    // than a `test` of the names that could appear there: it watches the directories above
    // the pin file by date, as those below, and the stores' `versions/` rather than an exact
    // version's entries. bash and fish need two stats for a date, one for a name.
    if script.shell() == Shell::Zsh {
        let files = w.files.iter().chain(&w.stores);
        script.set_shell_list("_GOPIN_FILES", files.map(|p| p.as_os_str()));
        let dirs = w.dirs.iter().chain(&w.above);
        script.set_shell_list("_GOPIN_DIRS", dirs.map(|p| p.as_os_str()));
        // A dangling link's target appearing changes no directory's date: it is tested
        // for appearing (and the file GOWORK names that is not there).
        script.set_shell_list("_GOPIN_ABSENT", w.dangling.iter().map(|p| p.as_os_str()));
    } else {
        script.set_shell_list("_GOPIN_FILES", w.files.iter().map(|p| p.as_os_str()));
        script.set_shell_list("_GOPIN_PRESENT", w.present.iter().map(|p| p.as_os_str()));
        script.set_shell_list("_GOPIN_DIRS", w.dirs.iter().map(|p| p.as_os_str()));
        script.set_shell_list("_GOPIN_ABSENT", w.absent.iter().map(|p| p.as_os_str()));
    }
    script.set_shell_list("_GOPIN_KNOWN", w.known.iter().map(|p| p.as_os_str()));
    script.set_shell_list("_GOPIN_NAMES", WATCHED_NAMES.iter().map(OsStr::new));
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};

    use super::*;
    use crate::selection::Watch;

    fn env_from(vars: &[(&str, &[u8])]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let map: BTreeMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from_vec(v.to_vec())))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn store() -> Store {
        Store::new("/s")
    }

    fn active() -> Decision {
        Decision {
            target: Target::Active(Activation {
                vars: vec![
                    ("GOROOT", Some("/s/versions/go1.22/go".into())),
                    ("GOPIN_VERSION", Some("go1.22.1".into())),
                ],
                path_front: vec!["/s/versions/go1.22/go/bin".into()],
            }),
            messages: vec![],
            watch: Watch {
                files: vec!["/w".into()],
                ..Watch::default()
            },
        }
    }

    fn inactive() -> Decision {
        Decision {
            target: Target::Inactive,
            messages: vec![],
            watch: Watch::default(),
        }
    }

    fn run(state: &HookState, d: &Decision, env: &dyn Fn(&str) -> Option<OsString>) -> String {
        String::from_utf8(
            render(Shell::Bash, &store(), state, d, Path::new("/p"), env).into_bytes(),
        )
        .unwrap()
    }

    fn state_of(out: &str) -> HookState {
        let line = out
            .lines()
            .find(|l| l.starts_with("export _GOPIN_STATE="))
            .unwrap();
        let quoted = line.trim_start_matches("export _GOPIN_STATE=");
        let raw = quoted.trim_start_matches('$').trim_matches('\'');
        HookState::parse(Some(OsStr::new(raw)))
    }

    #[test]
    fn activation_saves_and_leaving_restores() {
        let env = env_from(&[("PATH", b"/usr/bin"), ("GOROOT", b"/usr/local/go")]);
        let out = run(&HookState::default(), &active(), &env);
        assert!(
            out.contains("export GOROOT=/s/versions/go1.22/go\n"),
            "{out}"
        );
        assert!(
            out.contains("export PATH=/s/versions/go1.22/go/bin:/usr/bin\n"),
            "{out}"
        );
        assert!(
            !out.contains("export GOBIN") && !out.contains("unset GOBIN"),
            "GOBIN was unset and stays so: {out}"
        );
        let state = state_of(&out);
        assert_eq!(
            state.saved["GOROOT"],
            Some(Value("/usr/local/go".into())),
            "{out}"
        );

        // Later, the user added a PATH entry; leaving restores the rest exactly.
        let env = env_from(&[
            ("PATH", b"/s/versions/go1.22/go/bin:/usr/bin:/added/later"),
            ("GOROOT", b"/s/versions/go1.22/go"),
            ("GOPIN_VERSION", b"go1.22.1"),
            ("_GOPIN_STATE", b"x"),
        ]);
        let out = run(&state, &inactive(), &env);
        assert!(out.contains("export GOROOT=/usr/local/go\n"), "{out}");
        assert!(out.contains("unset GOPIN_VERSION\n"), "{out}");
        assert!(out.contains("export PATH=/usr/bin:/added/later\n"), "{out}");
        assert!(
            out.contains("export _GOPIN_STATE="),
            "only the history stays: {out}"
        );
        assert!(state_of(&out).saved.is_empty());
    }

    #[test]
    fn a_value_another_tool_set_after_gopin_is_theirs() {
        let state = HookState {
            saved: Values::from([("GOROOT".into(), Some(Value("/mise/go".into())))]),
            set: Values::from([("GOROOT".into(), Some(Value("/s/versions/go1.22/go".into())))]),
            ..HookState::default()
        };
        // direnv/mise restored their own snapshot (GOROOT unset) before gopin ran.
        let out = run(&state, &inactive(), &env_from(&[("PATH", b"/usr/bin")]));
        assert!(
            !out.contains("export GOROOT") && !out.contains("unset GOROOT"),
            "{out}"
        );
        // A GOROOT inside the store is never left behind, whoever put it there.
        let env = env_from(&[("PATH", b"/usr/bin"), ("GOROOT", b"/s/versions/go1.21/go")]);
        let out = run(&state, &inactive(), &env);
        assert!(out.contains("export GOROOT=/mise/go\n"), "{out}");
    }

    #[test]
    fn a_snapshot_restored_by_another_tool_gives_back_what_was_underneath() {
        let goroot = |v: &str| format!("/s/versions/{v}/go");
        let decision = |v: &str| Decision {
            target: Target::Active(Activation {
                vars: vec![("GOROOT", Some(goroot(v).into()))],
                path_front: vec![format!("{}/bin", goroot(v)).into()],
            }),
            messages: vec![],
            watch: Watch::default(),
        };
        // Project A: gopin active, the user had no GOROOT.
        let a = state_of(&run(
            &HookState::default(),
            &decision("a"),
            &env_from(&[("PATH", b"/usr/bin")]),
        ));
        // Project B: direnv (first in the prompt) exported its own GOROOT over gopin's.
        let env_b = env_from(&[("PATH", b"/usr/bin"), ("GOROOT", b"/opt/direnv")]);
        let b = state_of(&run(&a, &decision("b"), &env_b));
        // direnv's own value is an override: the user's (unset) stays the one to give back.
        assert_eq!(b.saved["GOROOT"], None);
        // Leaving B for an unpinned directory, direnv puts back its snapshot: A's GOROOT.
        let ga = goroot("a");
        let env_c = env_from(&[("PATH", b"/usr/bin"), ("GOROOT", ga.as_bytes())]);
        let out = run(&b, &inactive(), &env_c);
        assert!(
            out.contains("unset GOROOT\n"),
            "what was under A's GOROOT: {out}"
        );
    }

    #[test]
    fn an_inherited_state_with_a_rebuilt_path_is_repaired() {
        let first = run(
            &HookState::default(),
            &active(),
            &env_from(&[("PATH", b"/usr/bin")]),
        );
        let state = state_of(&first);
        // A child shell's rc put a system Go first; GOROOT is still gopin's.
        let env = env_from(&[
            ("PATH", b"/opt/sysgo/bin:/usr/bin:/s/versions/go1.22/go/bin"),
            ("GOROOT", b"/s/versions/go1.22/go"),
            ("GOPIN_VERSION", b"go1.22.1"),
        ]);
        let out = run(&state, &active(), &env);
        assert!(
            out.contains("export PATH=/s/versions/go1.22/go/bin:/opt/sysgo/bin:/usr/bin\n"),
            "{out}"
        );
        assert!(!out.contains("export GOROOT"), "{out}");
    }

    #[test]
    fn values_that_are_not_utf8_survive() {
        let env = env_from(&[
            ("PATH", b"/usr/bin:/opt/\xffbin"),
            ("GOROOT", b"/opt/\xfego"),
        ]);
        let out = render(
            Shell::Bash,
            &store(),
            &HookState::default(),
            &active(),
            Path::new("/p"),
            &env,
        )
        .into_bytes();
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("export PATH=$'/s/versions/go1.22/go/bin:/usr/bin:/opt/\\xFFbin'"),
            "{text}"
        );
        let state = state_of(&text);
        assert_eq!(
            state.saved["GOROOT"].as_ref().unwrap().0.as_bytes(),
            b"/opt/\xfego"
        );
    }

    #[test]
    fn nothing_changed_prints_only_bookkeeping() {
        let env = env_from(&[("PATH", b"/usr/bin")]);
        let first = run(&HookState::default(), &active(), &env);
        let state = state_of(&first);
        let json = serde_json::to_string(&state).unwrap();
        let env = env_from(&[
            ("PATH", b"/s/versions/go1.22/go/bin:/usr/bin"),
            ("GOROOT", b"/s/versions/go1.22/go"),
            ("GOPIN_VERSION", b"go1.22.1"),
            ("_GOPIN_STATE", json.as_bytes()),
        ]);
        let out = run(&state, &active(), &env);
        let changes: Vec<&str> = out
            .lines()
            .filter(|l| {
                (l.starts_with("export") || l.starts_with("unset")) && !l.contains("_GOPIN_PWD")
            })
            .collect();
        assert!(changes.is_empty(), "{out}");
        assert!(out.contains("export _GOPIN_PWD=/p\n"), "{out}");
    }
}
