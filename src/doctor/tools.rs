//! Tools on PATH built by an older Go minor than the active one (README, "Tools"): gopls built
//! by go1.21 rejects a module whose go line says 1.22, and nothing else says why.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{Check, Inputs};
use crate::activate;
use crate::config::Config;
use crate::goenv::GoEnv;
use crate::store::{Installed, Store};
use crate::ui::{shown, shown_bytes, tilde};
use crate::version::GoVersion;

/// The directories `go install` writes that are on PATH: each installed version's GOBIN (and
/// the version whose it is), the shared one, the GOBIN the environment sets, and the first
/// GOPATH's `bin`.
fn tool_dirs(
    config: &Config,
    store: &Store,
    inputs: &Inputs,
    installed: &[Installed],
) -> Vec<(PathBuf, Option<GoVersion>)> {
    let mut dirs: Vec<(PathBuf, Option<GoVersion>)> = installed
        .iter()
        .filter_map(|i| crate::tools::gobin(config, store, i).map(|d| (d, Some(i.version))))
        .collect();
    dirs.push((store.shared_gobin(), None));
    let go = GoEnv::new(inputs.env);
    if let Some(gobin) = go.get("GOBIN") {
        dirs.push((PathBuf::from(gobin), None));
    }
    let gopath = go
        .get("GOPATH")
        .map(|p| {
            let first = p
                .as_bytes()
                .split(|&b| b == b':')
                .next()
                .unwrap_or_default();
            PathBuf::from(OsStr::from_bytes(first))
        })
        .or_else(|| (inputs.env)("HOME").map(|h| PathBuf::from(h).join("go")));
    if let Some(gopath) = gopath.filter(|p| p.is_absolute()) {
        dirs.push((gopath.join("bin"), None));
    }
    dirs
}

/// A problem for each tool that PATH runs from a GOBIN or GOPATH/bin and that an older minor
/// than `active` built.
pub fn stale_tools(
    config: &Config,
    store: &Store,
    active: &Installed,
    inputs: &Inputs,
) -> Vec<Check> {
    let installed = store.list_for(&active.platform).unwrap_or_default();
    let dirs = tool_dirs(config, store, inputs, &installed);
    let path = activate::split_path((inputs.env)("PATH").as_deref());
    let mut seen_dirs = HashSet::new();
    let mut checks = Vec::new();
    for (k, entry) in path.iter().enumerate() {
        if entry.as_os_str().is_empty() || !seen_dirs.insert(entry.clone()) {
            continue;
        }
        let Some((_, owner)) = dirs.iter().find(|(d, _)| d == entry) else {
            continue;
        };
        let Ok(tools) = crate::tools::list(entry, &active.platform) else {
            continue;
        };
        for tool in tools {
            let Some(built) = tool.built_by() else {
                continue;
            };
            if (built.major, built.minor) >= (active.version.major, active.version.minor) {
                continue;
            }
            // Only the one PATH runs: none of that name in an earlier entry.
            if path[..k]
                .iter()
                .filter(|d| !d.as_os_str().is_empty())
                .any(|d| crate::fsio::is_executable(&d.join(&tool.name)))
            {
                continue;
            }
            checks.push(problem(&tool, built, active, owner.as_ref()));
        }
    }
    checks
}

fn problem(
    tool: &crate::tools::Tool,
    built: GoVersion,
    active: &Installed,
    owner: Option<&GoVersion>,
) -> Check {
    let name = shown(Path::new(&tool.name));
    let detail = format!(
        "{name} on PATH ({}) was built by {built}, an older minor than the active {}: it may misread code for go{}.{} (gopls, linters and vet tools reject or misparse newer go lines)",
        tilde(&tool.file),
        active.version,
        active.version.major,
        active.version.minor
    );
    let fix = match (tool.rebuild(), owner) {
        (None, _) => format!(
            "rebuild it from its source with {} (gopin cannot: `gopin tools` says why)",
            active.version
        ),
        (Some(_), Some(from)) if *from != active.version => format!(
            "rebuild {built}'s tools with {}: `gopin tools sync --from {from} --to {}`",
            active.version, active.version
        ),
        (Some(rebuild), _) => format!(
            "rebuild it with {}: `gopin exec {} -- {}{}`",
            active.version,
            active.version,
            if rebuild.env.is_empty() { "" } else { "env " },
            shown_bytes(rebuild.command_line().as_bytes())
        ),
    };
    Check::problem("tool", detail, fix)
}
