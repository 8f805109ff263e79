//! Which Go for this directory: the selection (what the files say) met with the store (what
//! is installed). This is the one answer the hook, `current`, `ls`, `which`, `env`, `exec`,
//! `doctor` and `install` with no argument all ask for. No network: a version that is not
//! installed is reported as missing, and only commands that may install act on that.
//!
//! "This directory" is [`cwd`] everywhere, so the completions offer the tools of the Go that
//! the command they complete will pick.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::goenv::GoEnv;
use crate::lock::place;
use crate::platform::Platform;
use crate::request::Request;
use crate::selection::{self, Minimum, Pick, Selection, SelectionError, SourceKind, Workspace};
use crate::store::{Installed, Store, StoreError};
use crate::ui::tilde;

#[derive(Debug, Error)]
pub enum ResolveError {
    #[error(transparent)]
    Selection(#[from] SelectionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The answer for one directory.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub selection: Selection,
    /// What must be satisfied; `None` when nothing picks and nothing constrains.
    pub request: Option<Request>,
    /// A pick older than the minimum, which is never used here.
    pub overridden: Option<Pick>,
    /// The installed Go that satisfies the request.
    pub installed: Option<Installed>,
}

/// Resolves `dir` for `platform`, reading `GOWORK` the way `go` does through `env`.
pub fn resolve(
    store: &Store,
    platform: &Platform,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Resolution, ResolveError> {
    let selection = select(store, dir, env)?;
    let floor = selection.minimum.as_ref().map(|m| m.floor);
    let (request, overridden) = match (&selection.pick, floor) {
        // `system`: the Go on PATH, whatever it is; gopin asks for nothing.
        _ if selection.system.is_some() => (None, None),
        (None, None) => (None, None),
        (Some(pick), Some(floor)) if !floor.reachable_by(&pick.spec) => (
            Some(Request {
                spec: None,
                floor: Some(floor),
            }),
            Some(pick.clone()),
        ),
        (pick, floor) => (
            Some(Request {
                spec: pick.as_ref().map(|p| p.spec),
                floor,
            }),
            None,
        ),
    };
    let mut r = Resolution {
        selection,
        request,
        overridden,
        installed: None,
    };
    // A lock beside the pin narrows the request to the locked release (docs/lock.md); an
    // unreadable lock narrows nothing here, and the install that would use it reports it.
    let overridden = r.overridden.is_some();
    if let Some(path) = place::find(&r.selection, overridden, r.request.is_some(), dir) {
        if let Some(request) = &mut r.request
            && let Some(version) = place::locked_release(request, &path)
        {
            request.spec = Some(crate::version::VersionSpec::Exact(version));
        }
        // Rewriting the lock (or removing it) can change the answer.
        r.selection.watch.files.push(path);
    }
    r.installed = match &r.request {
        Some(request) => store.find(platform, request)?,
        None => None,
    };
    Ok(r)
}

/// What selects Go for `dir` (its pin, the default, `gopin shell`, the go line), before
/// anything is looked up among the installed versions.
pub fn select(
    store: &Store,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Selection, ResolveError> {
    let workspace = Workspace::from_gowork(GoEnv::new(env).get("GOWORK"))?;
    // The system temp directory as `go` finds it (os.TempDir: $TMPDIR, else /tmp).
    let temp_dir = env("TMPDIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    let mut selection = selection::select(dir, &store.default_file(), &workspace, &temp_dir)?;
    // `gopin shell` picks over every file, for this shell only (the go line still applies).
    if let Some(pick) = shell_pick(env)? {
        selection.pick = Some(pick);
        selection.system = None;
    }
    Ok(selection)
}

/// Resolves the working directory ([`cwd`]) for `platform`, with this process's
/// environment.
pub fn for_cwd(store: &Store, platform: &Platform) -> Result<Resolution, ResolveError> {
    resolve(store, platform, &cwd(), &|name: &str| {
        std::env::var_os(name)
    })
}

/// The working directory as `go` sees it: `$PWD` when it names this directory (the logical
/// path, through symlinks: a go.work above a symlinked module counts, as it does for `go`),
/// else the physical one; when it has been deleted under the shell, `$PWD`.
pub fn cwd() -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let pwd = std::env::var_os("PWD")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let physical = std::env::current_dir().ok();
    let same = |p: &PathBuf| match (std::fs::metadata(p), std::fs::metadata(".")) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    };
    match (pwd, physical) {
        (Some(pwd), _) if same(&pwd) => pwd,
        (_, Some(physical)) => physical,
        (Some(pwd), None) => pwd,
        (None, None) => PathBuf::from("/"),
    }
}

/// What every command says where nothing selects a Go for `dir`: neither a pin, nor a `go`
/// line, nor a default (docs/selection.md).
pub fn nothing_selected(dir: &Path) -> String {
    format!(
        "no Go version is selected for {}: pin one with `gopin use 1.22`, or set a default for every directory with `gopin use --global 1.22`",
        crate::ui::shown(dir)
    )
}

/// The variable `gopin shell` sets.
pub const SHELL_VAR: &str = "GOPIN_SHELL_VERSION";

/// The pick `gopin shell` made, if it made one.
fn shell_pick(env: &dyn Fn(&str) -> Option<OsString>) -> Result<Option<Pick>, SelectionError> {
    let Some(raw) = env(SHELL_VAR).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let spec = raw.to_str().and_then(|v| v.parse().ok()).ok_or_else(|| {
        SelectionError::Environment(format!(
            "{SHELL_VAR}={} is not a Go version: run `gopin shell --unset`, or `gopin shell 1.22`",
            crate::ui::shown_bytes(raw.as_encoded_bytes())
        ))
    })?;
    Ok(Some(Pick {
        spec,
        source: PathBuf::from(SHELL_VAR),
        kind: SourceKind::Shell,
    }))
}

impl Pick {
    /// Where the pick came from, for messages: a file, or `gopin shell`.
    pub fn label(&self) -> String {
        match self.kind {
            SourceKind::Shell => "gopin shell".to_string(),
            _ => tilde(&self.source),
        }
    }
}

impl Resolution {
    /// The file that pins `system` here, if one does: the Go already on PATH is used and
    /// nothing of gopin's is applied (docs/selection.md).
    pub fn system(&self) -> Option<&Path> {
        self.selection.system.as_deref()
    }

    /// The pick that decided, if one did (not one that was overridden).
    pub fn picked_by(&self) -> Option<&Pick> {
        self.selection
            .pick
            .as_ref()
            .filter(|_| self.overridden.is_none())
    }

    /// The `go` line that constrained the choice, if any.
    pub fn constrained_by(&self) -> Option<&Minimum> {
        self.selection.minimum.as_ref()
    }

    /// The file that selected the version (`GOPIN_SOURCE`): the one that picked, else the
    /// one whose `go` line decided.
    pub fn source(&self) -> Option<&Path> {
        match self.picked_by() {
            Some(pick) if pick.kind == SourceKind::Shell => None,
            Some(pick) => Some(&pick.source),
            None => self.constrained_by().map(|m| m.source.as_path()),
        }
    }

    /// What selected the version, for messages: a file, or `gopin shell`.
    pub fn source_label(&self) -> String {
        match self.picked_by() {
            Some(pick) => pick.label(),
            None => self.source().map(tilde).unwrap_or_default(),
        }
    }

    /// A line for a pin that is older than the minimum, naming both files. The user default
    /// being older than a project's `go` line is normal and gets no line.
    pub fn override_note(&self) -> Option<String> {
        let pick = self
            .overridden
            .as_ref()
            .filter(|p| p.kind != SourceKind::Default)?;
        let minimum = self.constrained_by()?;
        let using = match &self.installed {
            Some(i) => format!("using {}", i.version),
            None => "it is not used here".to_string(),
        };
        Some(format!(
            "{} in {} is older than go {} in {}: {using}",
            pick.spec,
            pick.label(),
            minimum.floor,
            tilde(&minimum.source)
        ))
    }

    /// Lines that say why the choice is not what the files seem to say at a glance: a
    /// directive that raised the minimum above the `go` line, a custom toolchain gopin
    /// cannot provide (docs/selection.md). Not for `system`, where gopin applies nothing.
    pub fn notes(&self) -> Vec<String> {
        if self.system().is_some() {
            return Vec::new();
        }
        let mut notes = self.selection.notes.clone();
        notes.extend(self.constrained_by().and_then(|m| m.reason()));
        notes
    }

    /// The one-line hint for a selection that nothing installed satisfies.
    pub fn missing_hint(&self) -> Option<String> {
        let request = self.request.as_ref().filter(|_| self.installed.is_none())?;
        let source = self.source_label();
        Some(match (request.exact(), request.spec) {
            (Some(v), _) => {
                format!("{v} is pinned by {source} but not installed — run: gopin install")
            }
            (None, Some(_)) => format!(
                "no installed Go matches {request}, pinned by {source} — run: gopin install"
            ),
            (None, None) => {
                format!("{source} requires {request}, and none is installed — run: gopin install")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::GoVersion;

    /// A store with fake installed trees and a project tree beside it.
    struct World {
        dir: tempfile::TempDir,
        store: Store,
    }

    impl World {
        fn new(installed: &[&str]) -> World {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::new(dir.path().join("store"));
            for v in installed {
                let name = format!("go{v}.linux-amd64");
                std::fs::create_dir_all(store.versions_dir().join(name).join("go")).unwrap();
            }
            World { dir, store }
        }
        fn write(&self, rel: &str, text: &str) {
            let path = self.dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        fn resolve_with(&self, rel: &str, gowork: Option<&str>) -> Resolution {
            let dir = self.dir.path().join(rel);
            std::fs::create_dir_all(&dir).unwrap();
            let env = |name: &str| match (name, gowork) {
                ("GOWORK", Some(v)) => Some(OsString::from(v)),
                ("GOENV", _) => Some("off".into()),
                _ => None,
            };
            resolve(&self.store, &"linux/amd64".parse().unwrap(), &dir, &env).unwrap()
        }
        fn chosen(&self, rel: &str) -> Option<String> {
            self.resolve_with(rel, None)
                .installed
                .map(|i| i.version.to_string())
        }
    }

    #[test]
    fn a_workspace_minimum_beats_the_nearer_module() {
        let w = World::new(&["1.21.13", "1.22.10"]);
        w.write("ws/go.work", "go 1.22\nuse ./mod\n");
        w.write("ws/mod/go.mod", "module m\ngo 1.21\n");
        assert_eq!(w.chosen("ws/mod").as_deref(), Some("go1.22.10"));
        let off = w.resolve_with("ws/mod", Some("off")).installed.unwrap();
        assert_eq!(off.version, "1.21.13".parse::<GoVersion>().unwrap());
    }

    #[test]
    fn a_go_line_is_met_by_another_minor_when_its_own_is_missing() {
        let w = World::new(&["1.22.10"]);
        w.write("m/go.mod", "module m\ngo 1.21\n");
        assert_eq!(w.chosen("m").as_deref(), Some("go1.22.10"));
        let w = World::new(&["1.21.13"]);
        w.write("m/go.mod", "module m\ngo 1.22\n");
        let r = w.resolve_with("m", None);
        assert!(r.installed.is_none());
        assert!(
            r.missing_hint()
                .unwrap()
                .contains("requires Go 1.22 or newer")
        );
    }

    #[test]
    fn pins_meet_the_minimum_or_are_overridden_with_a_note() {
        let w = World::new(&["1.21.13", "1.22.10"]);
        w.write("repo/.go-version", "1.22.10\n");
        w.write("repo/svc/go.mod", "module svc\ngo 1.21\n");
        assert_eq!(w.chosen("repo/svc").as_deref(), Some("go1.22.10"));
        // A pin older than the module's minimum is never used there.
        w.write("old/.go-version", "1.21.13\n");
        w.write("old/mod/go.mod", "module m\ngo 1.22\n");
        let r = w.resolve_with("old/mod", None);
        assert_eq!(
            r.installed.as_ref().unwrap().version.to_string(),
            "go1.22.10"
        );
        let note = r.override_note().unwrap();
        assert!(
            note.contains("old/.go-version") && note.contains("old/mod/go.mod"),
            "{note}"
        );
        assert_eq!(r.source().unwrap(), w.dir.path().join("old/mod/go.mod"));
        // The default is a pick too: used when it meets the minimum, silently passed over
        // when it does not.
        w.write("store/default-version", "1.21.13\n");
        w.write("d/go.mod", "module d\ngo 1.21\n");
        assert_eq!(w.chosen("d").as_deref(), Some("go1.21.13"));
        w.write("e/go.mod", "module e\ngo 1.22\n");
        let r = w.resolve_with("e", None);
        assert_eq!(
            r.installed.as_ref().unwrap().version.to_string(),
            "go1.22.10"
        );
        assert_eq!(r.override_note(), None);
    }

    /// The deliberate difference from `go` (docs/selection.md): cmd/go's toolchain.Select
    /// only ever switches up from the running toolchain (a toolchain or go line older than
    /// the local Go is ignored), while a gopin pin or toolchain line picks even below the
    /// user's default, so every checkout runs the release the project names.
    #[test]
    fn a_pin_picks_even_below_the_users_default() {
        let w = World::new(&["1.21.13", "1.22.10"]);
        w.write("store/default-version", "1.22.10\n");
        w.write("p/.go-version", "1.21.13\n");
        assert_eq!(w.chosen("p").as_deref(), Some("go1.21.13"));
        w.write("t/go.mod", "module t\ngo 1.21\ntoolchain go1.21.13\n");
        assert_eq!(w.chosen("t").as_deref(), Some("go1.21.13"));
        // A go line alone does not pick: the default meets it and is used.
        w.write("g/go.mod", "module g\ngo 1.21\n");
        assert_eq!(w.chosen("g").as_deref(), Some("go1.22.10"));
    }

    /// A directive newer than the go line raises the minimum, and `notes` say why.
    #[test]
    fn a_newer_directive_is_explained() {
        let w = World::new(&["1.22.10", "1.23.4"]);
        w.write(
            "k/go.mod",
            "module k\ngo 1.22.0\ngodebug (\n\tdefault=go1.21\n)\n",
        );
        let r = w.resolve_with("k", None);
        assert_eq!(
            r.installed.as_ref().unwrap().version.to_string(),
            "go1.23.4"
        );
        let notes = r.notes();
        assert!(
            notes[0].contains("says go 1.22.0") && notes[0].contains("`godebug`"),
            "{notes:?}"
        );
    }

    #[test]
    fn toolchain_lines_older_or_newer() {
        let w = World::new(&["1.21.13", "1.22.10"]);
        w.write("a/go.mod", "module a\ngo 1.22\ntoolchain go1.21.13\n");
        assert_eq!(w.chosen("a").as_deref(), Some("go1.22.10"));
        w.write("b/go.mod", "module b\ngo 1.21\ntoolchain go1.22.10\n");
        assert_eq!(w.chosen("b").as_deref(), Some("go1.22.10"));
        w.write("c/go.mod", "module c\ngo 1.21\ntoolchain default\n");
        assert_eq!(w.chosen("c").as_deref(), Some("go1.21.13"));
    }
}
