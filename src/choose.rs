//! The Go a command acts on, and the environment that runs it: a version the command names,
//! else what the working directory selects (docs/selection.md), installed first when the
//! command may install. `which`, `env`, `exec` and the `go` shim ask here; the environment is
//! the one the hook would export (docs/shell.md), for processes that run without it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

use crate::activate::{self, Activation};
use crate::config::Config;
use crate::hook::{self, HookState};
use crate::install::{InstallError, install_request};
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve;
use crate::store::{Installed, Store};
use crate::ui;
use crate::version::VersionSpec;

/// What a command does when the version it acts on is not installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Install it first (`exec --install`).
    Install,
    /// Fail, naming `gopin install` and the command's own `--install` (`exec`).
    OfferFlag,
    /// Fail, naming `gopin install` (commands with no `--install`).
    Fail,
}

/// What a command acts on: an installed Go (and the file that selected it), or `system`
/// (and the file that pins it).
pub enum Chosen {
    Go(Installed, Option<PathBuf>),
    System(PathBuf),
}

/// The installed version a command acts on: `spec` if given, else the directory's
/// selection. `install` says what a missing version does: installed first, or an error. A directory that pins
/// `system` is an error here: see [`choose_or_system`].
pub fn choose(
    config: &Config,
    store: &Store,
    spec: Option<&str>,
    platform: &Platform,
    install: Missing,
) -> Result<(Installed, Option<PathBuf>)> {
    match choose_or_system(config, store, spec, platform, install)? {
        Chosen::Go(installed, source) => Ok((installed, source)),
        Chosen::System(file) => Err(anyhow!(
            "{} pins system (the Go already on PATH), which gopin does not manage: use `go env GOROOT`, or name a version",
            ui::tilde(&file)
        )),
    }
}

/// As [`choose`], with `system` as an answer of its own.
pub fn choose_or_system(
    config: &Config,
    store: &Store,
    spec: Option<&str>,
    platform: &Platform,
    install: Missing,
) -> Result<Chosen> {
    let (request, source) = match spec {
        Some(raw) => (Request::spec(raw.parse::<VersionSpec>()?), None),
        None => {
            let r = resolve::for_cwd(store, platform)?;
            if let Some(file) = r.system() {
                return Ok(Chosen::System(file.to_path_buf()));
            }
            if let Some(note) = r.override_note() {
                ui::note(&format!("gopin: {note}"));
            }
            let source = r.source().map(Path::to_path_buf);
            if let Some(installed) = r.installed.clone() {
                return usable(installed, source);
            }
            let Some(request) = r.request else {
                return Err(anyhow!(resolve::nothing_selected(&resolve::cwd())));
            };
            if install != Missing::Install {
                let hint = r.missing_hint().unwrap_or_default();
                return Err(match install {
                    Missing::OfferFlag => anyhow!("{hint} (or pass --install)"),
                    _ => anyhow!(hint),
                });
            }
            (request, source)
        }
    };
    let found = if install == Missing::Install {
        install_request(config, store, &request, platform, false)?
            .installed()
            .clone()
    } else {
        let or_flag = if install == Missing::OfferFlag {
            ", or pass --install"
        } else {
            ""
        };
        store.find(platform, &request)?.ok_or_else(|| anyhow!(
            "no installed Go matches {request} for {platform}: run `gopin install {request}`{or_flag}"
        ))?
    };
    usable(found, source)
}

/// `installed`, unless it is a linked tree that now holds another release.
fn usable(installed: Installed, source: Option<PathBuf>) -> Result<Chosen> {
    match installed.link_problem() {
        Some(problem) => Err(anyhow!(problem)),
        None => Ok(Chosen::Go(installed, source)),
    }
}

/// Installs `request`, which `selected_by` selects, because `auto_install` is on (the hook,
/// and the shim run as the hook's guard), saying so first.
pub fn auto_install(
    config: &Config,
    store: &Store,
    request: &Request,
    platform: &Platform,
    selected_by: &str,
) -> Result<(), InstallError> {
    ui::note(&format!(
        "gopin: installing {} (selected by {selected_by}; auto_install is on)",
        request
            .exact()
            .map_or_else(|| format!("Go {request}"), |v| v.to_string()),
    ));
    install_request(config, store, request, platform, false)?;
    Ok(())
}

/// What `env`, `exec` and the shim apply: the activation for `installed` (selected by
/// `source`), and the PATH it gives this process.
pub fn environment(
    config: &Config,
    store: &Store,
    installed: &Installed,
    source: Option<&Path>,
) -> (Activation, OsString) {
    with_path(store, Activation::new(config, store, installed, source))
}

/// What `env` and `exec` apply where a file pins `system`: nothing of gopin's, and PATH
/// without gopin's entries.
pub fn system_environment(store: &Store) -> (Activation, OsString) {
    let env = |name: &str| std::env::var_os(name);
    with_path(store, Activation::system(store, &env))
}

/// `activation` and the PATH it gives this process, with gopin's earlier entries (the hook's
/// record, anything inside the store) taken out first, as the hook does.
fn with_path(store: &Store, activation: Activation) -> (Activation, OsString) {
    let path = std::env::var_os("PATH");
    let state = HookState::parse(std::env::var_os(hook::STATE_VAR).as_deref());
    let ours = activate::gopin_path_entries(path.as_deref(), store, &state.added());
    let new_path = activation.path_with(path.as_deref(), &ours);
    (activation, new_path)
}
