//! From a directory's selection to the environment a Go version needs (SPEC §3). The hook,
//! `env`, `exec`, `which`, `current` and `doctor` all go through here.

use std::path::{Path, PathBuf};

use crate::config::{Config, GobinMode, ToolchainMode};
use crate::platform::Platform;
use crate::selection::{self, Pin, Request, SelectionError};
use crate::store::{Installed, Store, StoreError};
use crate::ui::tilde;

/// The variables gopin sets while a version is active (PATH is handled apart).
pub const MANAGED_VARS: [&str; 5] = [
    "GOROOT",
    "GOBIN",
    "GOTOOLCHAIN",
    "GOPIN_VERSION",
    "GOPIN_SOURCE",
];

/// The user default's file: `$GOPIN_HOME/default-version`, in `.go-version` format.
pub fn default_file(store: &Store) -> PathBuf {
    store.root().join("default-version")
}

/// A directory's selection, resolved against what is installed for the host.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// Nothing pinned and no default.
    Nothing,
    /// Pinned, but no installed version satisfies it.
    Missing(Pin),
    /// Pinned and installed.
    Ready(Pin, Installed),
}

/// Resolves the selection for `dir`. Only installed versions are considered: no network.
pub fn resolve_dir(
    store: &Store,
    platform: &Platform,
    dir: &Path,
) -> Result<Resolved, ResolveError> {
    let Some(pin) = selection::select(dir, &default_file(store))? else {
        return Ok(Resolved::Nothing);
    };
    Ok(resolve_pin(store, platform, pin)?)
}

/// Resolves one pin against the installed versions for `platform`.
pub fn resolve_pin(store: &Store, platform: &Platform, pin: Pin) -> Result<Resolved, StoreError> {
    Ok(match find_installed(store, platform, &pin.request)? {
        Some(found) => Resolved::Ready(pin, found),
        None => Resolved::Missing(pin),
    })
}

/// The installed version for `platform` that best satisfies `request` (see
/// [`Request::pick`]), if any. Every "is a matching Go installed?" question goes through here.
pub fn find_installed(
    store: &Store,
    platform: &Platform,
    request: &Request,
) -> Result<Option<Installed>, StoreError> {
    let installed = store.list_for(platform)?;
    let picked = request.pick(installed.iter().map(|i| &i.version));
    Ok(installed.into_iter().find(|i| Some(i.version) == picked))
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Selection(#[from] SelectionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The one-line hint for a pinned version that is not installed.
pub fn missing_hint(pin: &Pin) -> String {
    let what = match pin.request.exact() {
        Some(v) => v.to_string(),
        None => format!("Go {}", pin.request),
    };
    format!(
        "{what} is pinned by {} but not installed — run: gopin install",
        tilde(&pin.source)
    )
}

/// What activating a version sets: each managed variable's new value (`None`: leave it as
/// the user has it), and the directories to put at the front of PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub vars: Vec<(&'static str, Option<String>)>,
    pub path_front: Vec<PathBuf>,
}

impl Activation {
    /// The environment for `installed`, selected by `source` (if a file selected it).
    pub fn new(
        config: &Config,
        store: &Store,
        installed: &Installed,
        source: Option<&Path>,
    ) -> Activation {
        let goroot = installed.goroot();
        let gobin = match config.settings.gobin {
            GobinMode::PerVersion => Some(installed.gobin()),
            GobinMode::Shared => Some(store.shared_gobin()),
            GobinMode::Off => None,
        };
        let text = |p: &Path| p.to_string_lossy().into_owned();
        let mut vars = vec![("GOROOT", Some(text(&goroot)))];
        if let Some(dir) = &gobin {
            vars.push(("GOBIN", Some(text(dir))));
        }
        if config.settings.toolchain == ToolchainMode::Local {
            vars.push(("GOTOOLCHAIN", Some("local".to_string())));
        }
        vars.push(("GOPIN_VERSION", Some(installed.version.to_string())));
        vars.push(("GOPIN_SOURCE", source.map(text)));
        let mut path_front = vec![goroot.join("bin")];
        path_front.extend(gobin);
        Activation { vars, path_front }
    }

    /// `PATH` with `remove` taken out and this activation's directories put in front.
    pub fn path_with(&self, current: &str, remove: &[PathBuf]) -> String {
        let front = self
            .path_front
            .iter()
            .map(|p| p.to_string_lossy().into_owned());
        let rest = strip_path(current, remove);
        front.chain(rest).collect::<Vec<_>>().join(":")
    }
}

/// The entries of `path` that gopin put there: those in `added` (the hook's record), and any
/// inside the store (from an earlier `eval "$(gopin env)"`, say).
pub fn gopin_path_entries(path: &str, store: &Store, added: &[PathBuf]) -> Vec<PathBuf> {
    let versions = store.versions_dir();
    let shared = store.shared_gobin();
    let mut found: Vec<PathBuf> = added.to_vec();
    found.extend(
        path.split(':')
            .map(PathBuf::from)
            .filter(|p| p.starts_with(&versions) || *p == shared),
    );
    found
}

/// PATH entries of `current` that are not in `remove`, in order (empty entries, which mean
/// the current directory, are the user's and stay).
pub fn strip_path(current: &str, remove: &[PathBuf]) -> Vec<String> {
    if current.is_empty() {
        return Vec::new();
    }
    current
        .split(':')
        .filter(|e| e.is_empty() || !remove.iter().any(|r| Path::new(e) == r))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_edits_keep_the_users_entries_in_order() {
        let act = Activation {
            vars: vec![],
            path_front: vec!["/s/go1.22/go/bin".into(), "/s/go1.22/gobin".into()],
        };
        let old = vec![
            PathBuf::from("/s/go1.21/go/bin"),
            PathBuf::from("/s/go1.21/gobin"),
        ];
        assert_eq!(
            act.path_with(
                "/s/go1.21/go/bin:/s/go1.21/gobin:/usr/bin:/home/u/bin",
                &old
            ),
            "/s/go1.22/go/bin:/s/go1.22/gobin:/usr/bin:/home/u/bin"
        );
        assert_eq!(strip_path("/a::/b:/c", &["/b".into()]), ["/a", "", "/c"]);
        assert!(strip_path("", &[]).is_empty());
    }
}
