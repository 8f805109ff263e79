//! What the shell hook does when something may have changed: resolve the directory, compare
//! the environment the shell has with the one it should have, and print only the difference.
//!
//! It reconciles rather than trusting its own bookkeeping, so a shell that inherited gopin's
//! variables but rebuilt PATH in its rc file, or another tool (direnv, mise) that restored a
//! stale snapshot, is put right. The invariant (docs/shell.md): while a version is
//! active, `$GOROOT/bin` and its GOBIN lead PATH and GOROOT is gopin's; while none is, no PATH
//! entry inside the store remains and GOROOT is not one of gopin's.
//!
//! The shell carries gopin's bookkeeping in one exported variable, `_GOPIN_STATE` (JSON): the
//! user's own values of the managed variables from before gopin first changed them, the values
//! gopin set, and the PATH entries it added. Restoring is therefore exact, and a value another
//! tool set after gopin did is that tool's to keep.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::activate::{self, Activation, MANAGED_VARS};
use crate::config::Config;
use crate::fsio::{hex, unhex};
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve;
use crate::selection::{FILE_NAMES, Watch};
use crate::shell::{Script, Shell};
use crate::store::Store;

pub const STATE_VAR: &str = "_GOPIN_STATE";

/// Stamps are dated this far back, so a change within the same second as the stamp (on file
/// systems or shells that compare whole seconds) still counts as newer.
const STAMP_MARGIN: Duration = Duration::from_secs(2);

/// An environment value in the state: text when it is UTF-8, else its bytes in hex, so a
/// value that is not UTF-8 comes back byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value(pub OsString);

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ValueRepr {
    Text(String),
    Bytes { hex: String },
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.to_str() {
            Some(text) => ValueRepr::Text(text.to_string()),
            None => ValueRepr::Bytes {
                hex: hex(self.0.as_bytes()),
            },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Value(match ValueRepr::deserialize(d)? {
            ValueRepr::Text(t) => t.into(),
            ValueRepr::Bytes { hex } => {
                OsString::from_vec(unhex(&hex).ok_or_else(|| serde::de::Error::custom("bad hex"))?)
            }
        }))
    }
}

type Values = BTreeMap<String, Option<Value>>;

/// gopin's bookkeeping in the shell, present exactly while a version is active.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookState {
    /// The user's values of the managed variables from before gopin changed them (`None`
    /// inside: unset).
    #[serde(default)]
    pub saved: Values,
    /// The values gopin set: a variable whose value differs from this was changed by someone
    /// else since, and is theirs.
    #[serde(default)]
    pub set: Values,
    /// The PATH entries gopin put in front.
    #[serde(default)]
    pub added: Vec<Value>,
    /// For values gopin set before (`GOROOT` of an earlier version, say), what was
    /// underneath each: a tool that puts back a snapshot taken while gopin was active (direnv
    /// leaving its directory) restores one of them, and this says what the user's was then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<(String, Value, Option<Value>)>,
    /// The values when nothing was last active: a tool that changes a variable to one of
    /// these while gopin is active is giving the user's value back, not setting its own.
    #[serde(default, skip_serializing_if = "Values::is_empty")]
    pub user: Values,
}

/// How many earlier values the state remembers.
const HISTORY: usize = 16;

impl HookState {
    /// Reads the state; anything unreadable is no state (the environment is then reconciled
    /// from what it holds).
    pub fn parse(raw: Option<&OsStr>) -> HookState {
        raw.and_then(|s| serde_json::from_slice(s.as_bytes()).ok())
            .unwrap_or_default()
    }

    fn added(&self) -> Vec<PathBuf> {
        self.added.iter().map(|v| PathBuf::from(&v.0)).collect()
    }
}

/// What the hook decided for one directory.
#[derive(Debug)]
pub enum Target {
    /// Activate this environment.
    Active(Activation),
    /// Nothing applies: give the user back their own environment.
    Inactive,
    /// gopin cannot tell (its config is broken): change nothing.
    Unchanged,
}

/// The outcome of resolving a directory for the hook: the environment to apply, messages to
/// show once, and what to watch.
#[derive(Debug)]
pub struct Decision {
    pub target: Target,
    pub messages: Vec<String>,
    pub watch: Watch,
}

impl Decision {
    /// A digest of the messages, so the shell can show each set of them once.
    pub fn messages_digest(&self) -> String {
        if self.messages.is_empty() {
            return String::new();
        }
        let digest = Sha256::digest(self.messages.join("\n").as_bytes());
        hex(&digest[..8])
    }
}

/// Resolves `cwd` for the hook. Never fails: problems become a message (shown once) and the
/// user's own environment, so a broken version file cannot break the prompt.
/// `install_missing` is called for a selection that nothing installed satisfies when
/// `auto_install` is on.
pub fn decide(
    config: &Config,
    store: &Store,
    platform: &Platform,
    cwd: &Path,
    env: &dyn Fn(&str) -> Option<OsString>,
    install_missing: &dyn Fn(&Request, &Path) -> anyhow::Result<()>,
) -> Decision {
    let mut messages = Vec::new();
    let mut resolved = resolve::resolve(store, platform, cwd, env);
    if config.settings.auto_install
        && let Ok(r) = &resolved
        && let (Some(request), None) = (&r.request, &r.installed)
    {
        let source = r.source().unwrap_or(cwd).to_path_buf();
        match install_missing(request, &source) {
            Ok(()) => resolved = resolve::resolve(store, platform, cwd, env),
            Err(e) => messages.push(format!("{e:#}")),
        }
    }
    let mut decision = match resolved {
        Err(e) => {
            messages.push(e.to_string());
            let mut watch = Watch::around(cwd);
            // Editing the broken file in place must be noticed too.
            if let resolve::ResolveError::Selection(problem) = &e
                && let Some(path) = problem.path()
            {
                watch.files.push(path.to_path_buf());
            }
            Decision {
                target: Target::Inactive,
                messages,
                watch,
            }
        }
        Ok(r) => {
            messages.extend(r.notes());
            messages.extend(r.override_note());
            // A selection that cannot run puts the guard in front of PATH: `go` there says
            // why instead of another Go on PATH running in the pinned one's place.
            let guarded = "until then, `go` and `gofmt` here say so instead of running another Go";
            let target = match &r.installed {
                None if r.request.is_none() => Target::Inactive,
                None => {
                    messages.extend(r.missing_hint().map(|h| format!("{h} ({guarded})")));
                    Target::Active(Activation::guard(store))
                }
                Some(installed) => match installed
                    .go_binary_problem()
                    .or_else(|| installed.link_problem())
                {
                    Some(problem) => {
                        messages.push(format!("{problem} ({guarded})"));
                        Target::Active(Activation::guard(store))
                    }
                    None => Target::Active(Activation::new(config, store, installed, r.source())),
                },
            };
            let mut watch = r.selection.watch.clone();
            // A linked tree replaced by another release is noticed at the next prompt.
            if let Some(installed) = &r.installed {
                watch.files.extend(installed.link_watch());
            }
            if r.selection.pick.is_none() && store.root().exists() {
                // `gopin use --global` would create the default here.
                watch.files.push(store.root().to_path_buf());
            }
            Decision {
                target,
                messages,
                watch,
            }
        }
    };
    // Installs and uninstalls change what a prefix or a go line resolves to; the config
    // changes what an activation sets.
    let versions = store.versions_dir();
    if versions.exists() {
        decision.watch.files.push(versions);
    }
    if config.config_file.exists() {
        decision.watch.files.push(config.config_file.clone());
    }
    // Go's env file can set GOWORK (by hand: `go env -w` refuses it).
    if let Some(go_env) = crate::goenv::GoEnv::new(env).file()
        && go_env.is_file()
    {
        decision.watch.files.push(go_env);
    }
    decision
}

/// Whose value a managed variable holds now, and what the user's value underneath is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Under {
    /// gopin's (what it set, or one of its earlier values that a tool put back), or nobody
    /// else's: the user's value underneath is this.
    Ours(Option<Value>),
    /// Another tool changed it after gopin set it: theirs to keep while nothing is active.
    /// The user's value underneath is this.
    Theirs(Option<Value>),
}

/// Whose `name`'s value `now` is, and the value it would have if gopin had not touched it:
/// - what gopin set: the value gopin saved;
/// - one of gopin's own earlier values, put back by a tool that restored a snapshot taken
///   while gopin was active (direnv leaving a directory): what was underneath that value;
/// - another tool's, set over gopin's: if it is the user's own value coming back (the value
///   it had when nothing was active, or one that was underneath gopin's), that; otherwise
///   an override (mise or an `.envrc` setting its own), and the user's value is still the
///   saved one, never the tool's.
fn underneath(store: &Store, state: &HookState, name: &str, now: Option<Value>) -> Under {
    let saved = || state.saved.get(name).cloned().flatten();
    let ours = now.as_ref().is_some_and(|v| gopin_owned(store, name, &v.0));
    // One of gopin's own earlier values (a store path, or `GOTOOLCHAIN=local`), put back.
    let earlier = state
        .history
        .iter()
        .find(|(n, v, _)| n == name && Some(v) == now.as_ref());
    match state.set.get(name) {
        Some(set) if *set == now => Under::Ours(saved()),
        _ if earlier.is_some() => Under::Ours(earlier.and_then(|(_, _, under)| under.clone())),
        _ if ours => Under::Ours(saved()),
        Some(_) => {
            let users = state.user.get(name) == Some(&now)
                || state
                    .history
                    .iter()
                    .any(|(n, _, under)| n == name && *under == now);
            Under::Theirs(if users { now } else { saved() })
        }
        // Nothing of gopin's is active. A value that changed since the last prompt gopin
        // saw (the hook checks every prompt at which these change) changed in the same
        // command line or prompt as this switch: another tool's (mise or direnv entering the
        // directory first), and the user's is the one gopin saw.
        None => match state.user.get(name) {
            Some(user) if *user != now && !ours => Under::Theirs(user.clone()),
            _ => Under::Ours(now),
        },
    }
}

/// Whether `value` of `name` is one gopin makes, and so never the user's.
fn gopin_owned(store: &Store, name: &str, value: &OsStr) -> bool {
    match name {
        "GOPIN_VERSION" | "GOPIN_SOURCE" => true,
        "GOROOT" | "GOBIN" => store.owns_path_entry(Path::new(value)),
        _ => false,
    }
}

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
    let path = env("PATH");
    let ours = activate::gopin_path_entries(path.as_deref(), store, &state.added());
    let current = |name: &str| env(name).map(Value);
    let next = match &decision.target {
        Target::Unchanged => None,
        Target::Active(activation) => {
            let mut theirs = Vec::new();
            let saved: Values = MANAGED_VARS
                .iter()
                .map(
                    |&name| match underneath(store, state, name, current(name)) {
                        Under::Ours(under) => (name.to_string(), under),
                        Under::Theirs(under) => {
                            theirs.push(name);
                            (name.to_string(), under)
                        }
                    },
                )
                .collect();
            let mut history = state.history.clone();
            let mut set = Values::new();
            for name in MANAGED_VARS {
                let value = match activation.vars.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => value.clone().map(Value),
                    // A variable this configuration leaves alone keeps the user's value.
                    None => saved.get(name).cloned().flatten(),
                };
                let changes = current(name) != value;
                if changes {
                    script.set_or_unset(name, value.as_ref().map(|v| v.0.as_os_str()));
                }
                // What was under this value when gopin set it over the user's stays: a
                // snapshot another tool took then is what it will put back.
                let known = |h: &(String, Value, Option<Value>)| {
                    h.0 == name && Some(&h.1) == value.as_ref()
                };
                if let Some(v) = &value
                    && changes
                    && !(theirs.contains(&name) && history.iter().any(known))
                {
                    history.retain(|h| !known(h));
                    let under = saved.get(name).cloned().flatten();
                    history.push((name.to_string(), v.clone(), under));
                }
                set.insert(name.to_string(), value);
            }
            let excess = history.len().saturating_sub(HISTORY);
            history.drain(..excess);
            let new_path = activation.path_with(path.as_deref(), &ours);
            if Some(&new_path) != path.as_ref() {
                script.export_path(&new_path);
            }
            Some(HookState {
                saved,
                set,
                history,
                // Kept while active, to tell the user's value coming back from a tool's own.
                user: state.user.clone(),
                added: activation
                    .path_front
                    .iter()
                    .map(|p| Value(p.clone().into_os_string()))
                    .collect(),
            })
        }
        Target::Inactive => {
            let mut user = Values::new();
            for name in MANAGED_VARS {
                let now = current(name);
                let value = match underneath(store, state, name, now.clone()) {
                    // Another tool's value is theirs to keep.
                    Under::Theirs(_) => now.clone(),
                    Under::Ours(under) => under,
                };
                if now != value {
                    script.set_or_unset(name, value.as_ref().map(|v| v.0.as_os_str()));
                }
                user.insert(name.to_string(), value);
            }
            let stripped = activate::join_path(&activate::strip_path(path.as_deref(), &ours));
            if path.is_some() && Some(&stripped) != path.as_ref() {
                script.export_path(&stripped);
            }
            // The history stays: a tool that puts back its snapshot after gopin's prompt
            // hook (direnv in fish restores at the prompt, after gopin has left at the
            // directory change) may still restore one of gopin's values, and this says what
            // was underneath it.
            Some(HookState {
                history: state.history.clone(),
                user,
                ..HookState::default()
            })
        }
    };
    match next {
        Some(next) if next == HookState::default() && env(STATE_VAR).is_some() => {
            script.unset(STATE_VAR);
        }
        Some(next) if next == HookState::default() => {}
        Some(next) => {
            let json = serde_json::to_string(&next).expect("state serialises");
            if env(STATE_VAR).as_deref() != Some(OsStr::new(&json)) {
                script.export(STATE_VAR, OsStr::new(&json));
            }
        }
        None => {}
    }
    bookkeeping(&mut script, store, decision, cwd);
    script
}

/// The shell variables the init script's checks read before each prompt (see `shell/`).
fn bookkeeping(script: &mut Script, store: &Store, decision: &Decision, cwd: &Path) {
    let expected = match &decision.target {
        Target::Active(a) => Some((
            a.get("GOROOT").map(OsStr::to_owned).unwrap_or_default(),
            a.path_front.as_slice(),
        )),
        Target::Inactive => Some((OsString::new(), &[][..])),
        // What the last good run set stays in force, and so do its checks.
        Target::Unchanged => None,
    };
    if let Some((goroot, front)) = expected {
        script.set_shell_var("_GOPIN_GOROOT", &goroot);
        if script.shell() == Shell::Fish {
            // fish compares list slices (a *PATH variable joins with colons in quotes, as PATH does):
            // cheaper there than joining PATH at every prompt.
            script.set_shell_list("_GOPIN_FRONT_PATH", front.iter().map(|p| p.as_os_str()));
            script.set_shell_var("_GOPIN_NFRONT", OsStr::new(&front.len().to_string()));
        } else {
            script.set_shell_var("_GOPIN_FRONT", &activate::join_path(front));
        }
    }
    // Exported: `gopin doctor` reads it to tell whether the hook ran for its directory.
    script.export("_GOPIN_PWD", cwd.as_os_str());
    script.set_shell_var("_GOPIN_VERSIONS", store.versions_dir().as_os_str());
    script.set_shell_var("_GOPIN_SHARED", store.shared_gobin().as_os_str());
    script.set_shell_var("_GOPIN_GUARD", store.guard_dir().as_os_str());
    script.set_shell_var("_GOPIN_SHOWN", OsStr::new(&decision.messages_digest()));
    let w = &decision.watch;
    script.set_shell_list("_GOPIN_FILES", w.files.iter().map(|p| p.as_os_str()));
    script.set_shell_list("_GOPIN_DIRS", w.dirs.iter().map(|p| p.as_os_str()));
    script.set_shell_list("_GOPIN_KNOWN", w.known.iter().map(|p| p.as_os_str()));
    script.set_shell_list("_GOPIN_NAMES", FILE_NAMES.iter().map(OsStr::new));
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

    #[test]
    fn old_states_still_parse() {
        let old =
            r#"{"key":"k","saved":{"GOROOT":"/usr/local/go","GOBIN":null},"added":["/s/go/bin"]}"#;
        let state = HookState::parse(Some(OsStr::new(old)));
        assert_eq!(state.saved["GOROOT"], Some(Value("/usr/local/go".into())));
        assert_eq!(state.added(), [PathBuf::from("/s/go/bin")]);
    }
}
