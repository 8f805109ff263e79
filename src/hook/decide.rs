//! The reconcile step's first half: what a directory should have (its Go, the guard, or the
//! user's own environment), the messages to show once, and the files whose change can alter
//! the answer (docs/shell.md).

use std::ffi::OsString;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::activate::Activation;
use crate::config::{self, Config};
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve::{self, Resolution};
use crate::selection::{SelectionError, Watch};
use crate::store::Store;

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
    /// gopin cannot read its settings (or tell the platform), so it steps aside until they
    /// are fixed, and says so once. Where the directory selects a Go (a pin, the default, a
    /// go line) the guard goes in front of PATH, so that `go` there says why instead of
    /// another Go on PATH running in the pinned one's place; where nothing is selected, the
    /// user's own environment. Without a usable GOPIN_HOME (`store` is `None`) there is no
    /// place for the guard, nor a store to tell gopin's PATH entries by: the environment
    /// stays as it is, and the message says that `go` is whatever PATH finds
    /// (docs/shell.md, "When gopin steps aside").
    pub fn stepped_aside(
        e: anyhow::Error,
        store: Option<&Store>,
        cwd: &Path,
        env: &dyn Fn(&str) -> Option<OsString>,
    ) -> Decision {
        let mut watch = Watch::default();
        let target = match store {
            None => Target::Unchanged,
            Some(store) => match resolve::select(store, cwd, env) {
                Ok(selection) => {
                    watch = selection.watch;
                    let selects = selection.system.is_none()
                        && (selection.pick.is_some() || selection.minimum.is_some());
                    if selects {
                        Target::Active(Activation::guard(store))
                    } else {
                        Target::Inactive
                    }
                }
                // A pin file that cannot be read is said once it can be (after the fix).
                Err(_) => {
                    watch = Watch::around(cwd);
                    Target::Inactive
                }
            },
        };
        let until = match target {
            Target::Unchanged => {
                "until it is fixed gopin leaves this shell's environment as it is, so `go` is whatever PATH finds: the guard that would stop it lives in GOPIN_HOME"
            }
            _ => {
                "until it is fixed gopin steps aside: where a pin or a go line selects a Go, `go` and `gofmt` say so instead of running another Go"
            }
        };
        // The config file is looked at again when it is edited or deleted.
        watch
            .files
            .extend(config::config_file().filter(|f| std::fs::symlink_metadata(f).is_ok()));
        Decision {
            target,
            messages: vec![format!("{e:#} ({until})")],
            watch,
        }
    }

    /// A digest of the messages, so the shell can show each set of them once.
    pub fn messages_digest(&self) -> String {
        if self.messages.is_empty() {
            return String::new();
        }
        let digest = Sha256::digest(self.messages.join("\n").as_bytes());
        crate::fsio::hex(&digest[..8])
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
    // A system store that cannot be read is named (once: the shell shows a set of messages
    // once) and skipped, never fatal.
    let mut messages = crate::stores::problems(store);
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
    // The pin file that selects a version here is remembered for `prune` (only when it is
    // new or an hour old: the hook runs this only when the selection may have changed).
    if let Ok(r) = &resolved {
        crate::projects::remember_resolution(&config::state_dir(&config.home), r, false);
    }
    let mut decision = match resolved {
        Err(e) => {
            let mut decision = unresolved(&e, cwd, messages);
            watch_versions(&mut decision.watch, store);
            decision
        }
        Ok(r) => {
            let mut decision = resolved_to(config, store, &r, messages);
            // A tree that cannot run (the guard stands in for it) is noticed being installed
            // again (`--force`) by its store's date, as a prefix's new version is.
            let guarded = matches!(&decision.target, Target::Active(a) if a.is_guard(store));
            match r.request.as_ref().and_then(|q| q.exact()) {
                Some(version) if r.installed.is_none() || !guarded => {
                    let found = r.installed.as_ref().map(|i| i.dir.as_path());
                    watch_entry(&mut decision.watch, store, &version, platform, found);
                }
                _ => watch_versions(&mut decision.watch, store),
            }
            decision
        }
    };
    watch_settings(&mut decision.watch, config, env);
    decision
}

/// Installs and uninstalls change what a prefix or a go line resolves to: the stores'
/// `versions/` directories are watched by date.
fn watch_versions(watch: &mut Watch, store: &Store) {
    for root in store.roots() {
        let versions = root.join("versions");
        if versions.exists() {
            watch.files.push(versions);
        }
    }
}

/// An exact version is looked up by its own entry in each store, the user's first: only
/// that entry appearing before the one `found`, or the one found ceasing to be a directory,
/// changes the answer, which bash and fish test in one `stat` or two where `versions/` took
/// three (its date, the stamp's, whether it is there). An entry there in a form that does
/// not count (a link, a file) would look like one appearing at every prompt: its store's
/// `versions/` is watched by date instead.
fn watch_entry(
    watch: &mut Watch,
    store: &Store,
    version: &crate::version::GoVersion,
    platform: &Platform,
    found: Option<&Path>,
) {
    let name = crate::store::entry_name(version, platform);
    for root in store.roots() {
        let versions = root.join("versions");
        let entry = versions.join(&name);
        let dated = versions.is_dir();
        if Some(entry.as_path()) == found {
            watch.present.push(entry);
            watch.stores.push(versions);
            return;
        }
        if std::fs::symlink_metadata(&entry).is_ok() {
            watch.files.push(versions);
        } else if dated {
            watch.absent.push(entry);
            watch.stores.push(versions);
        } else {
            // No `versions/` to date yet: every shell tests for the entry.
            watch.add_absent(&entry);
        }
    }
}

/// Adds the files that change every directory's answer.
fn watch_settings(watch: &mut Watch, config: &Config, env: &dyn Fn(&str) -> Option<OsString>) {
    // The config changes what an activation sets.
    if config.config_file.exists() {
        watch.files.push(config.config_file.clone());
    }
    // Go's env file can set GOWORK (by hand: `go env -w` refuses it).
    if let Some(go_env) = crate::goenv::GoEnv::new(env).file()
        && go_env.is_file()
    {
        watch.files.push(go_env);
    }
}

/// A directory gopin cannot resolve (a broken file, say): the user's own environment, and
/// the problem said once.
fn unresolved(e: &resolve::ResolveError, cwd: &Path, mut messages: Vec<String>) -> Decision {
    messages.push(e.to_string());
    let mut watch = Watch::around(cwd);
    // Editing the broken file in place must be noticed too.
    if let resolve::ResolveError::Selection(problem) = e
        && let Some(path) = problem.path()
    {
        watch.files.push(path.to_path_buf());
    }
    // Creating the file GOWORK names, as the message says, must be noticed.
    if let resolve::ResolveError::Selection(SelectionError::MissingWorkspace(path)) = e {
        watch.add_missing(path);
    }
    Decision {
        target: Target::Inactive,
        messages,
        watch,
    }
}

/// What a resolved directory gets: its Go, the guard where that cannot run, or the user's
/// own environment where nothing is selected; and the files whose change can alter that.
fn resolved_to(
    config: &Config,
    store: &Store,
    r: &Resolution,
    mut messages: Vec<String>,
) -> Decision {
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
