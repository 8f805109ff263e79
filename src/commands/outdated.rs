//! Keeping installed versions current: `outdated` reports, `upgrade` installs the newest patch
//! of each installed minor, `prune` removes what nothing needs any more.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{Context, print_json};
use crate::cli::{OutdatedArgs, PruneArgs, UpgradeArgs};
use crate::install;
use crate::pinfile::{self, PinKind, Pinned};
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve;
use crate::source::{self, Releases};
use crate::store::Installed;
use crate::ui::{self, tilde};
use crate::version::{GoVersion, VersionSpec};
use crate::vuln;

/// The newest stable release of `v`'s minor that the source offers.
fn newest_patch(offered: &Releases, v: &GoVersion) -> Option<GoVersion> {
    let minor = VersionSpec::Prefix {
        major: v.major,
        minor: Some(v.minor),
    };
    offered.resolve(&minor).map(|r| r.version)
}

/// What selects each installed version: this directory's selection and the user default.
fn selected_by(ctx: &Context, platform: &Platform) -> BTreeMap<PathBuf, Vec<String>> {
    let mut by: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    if let Ok(r) = resolve::for_cwd(&ctx.store, platform)
        && let Some(i) = &r.installed
    {
        by.entry(i.dir.clone()).or_default().push(r.source_label());
    }
    let default = ctx.store.default_file();
    if let Ok(Some(Pinned::Version(spec))) = pinfile::read_pin(&default, PinKind::Default)
        && let Ok(Some(i)) = ctx.store.find(platform, &Request::spec(spec))
    {
        by.entry(i.dir).or_default().push(tilde(&default));
    }
    by
}

#[derive(Serialize)]
struct Row<'a> {
    version: GoVersion,
    newest: Option<GoVersion>,
    outdated: bool,
    selected_by: Vec<String>,
    /// Whether its minor is one of the two newest (docs/security.md, "Security status").
    supported: bool,
    /// Its known vulnerabilities (`null`: the database could not be read, or is `off`).
    vulnerabilities: Option<Vec<vuln::osv::Summary<'a>>>,
    /// The release that fixes them all.
    vulnerabilities_fixed_in: Option<GoVersion>,
    #[serde(skip)]
    security: Option<String>,
}

pub fn outdated(ctx: &Context, args: OutdatedArgs) -> Result<ExitCode> {
    let platform = Platform::host()?;
    let offered = source::open(&ctx.config, args.refresh)?.releases(&platform)?;
    let by = selected_by(ctx, &platform);
    let installed = ctx.store.list_for(&platform)?;
    let db = if installed.is_empty() {
        None
    } else {
        vuln::load_or_warn(&ctx.config, args.refresh)
    };
    let minors = vuln::supported_minors(offered.versions());
    let rows: Vec<Row> = installed
        .into_iter()
        .map(|i| {
            let newest = newest_patch(&offered, &i.version);
            let status = db.as_ref().map(|db| db.status(&i.version));
            let supported = vuln::is_supported(&i.version, &minors);
            let mut security: Vec<String> = status.iter().map(|s| s.phrase()).collect();
            if !supported {
                security.push(vuln::unsupported_phrase(&i.version, &minors));
            }
            Row {
                outdated: newest.is_some_and(|n| n > i.version),
                version: i.version,
                newest,
                selected_by: by.get(&i.dir).cloned().unwrap_or_default(),
                supported,
                vulnerabilities_fixed_in: status.as_ref().and_then(|s| s.fixed_in),
                vulnerabilities: status.as_ref().map(vuln::Status::summaries),
                security: (!security.is_empty()).then(|| security.join("; ")),
            }
        })
        .collect();
    if args.json {
        print_json(&rows);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        ui::note("no Go versions are installed: run `gopin install latest`");
    }
    for row in &rows {
        let state = match (row.outdated, row.newest) {
            (true, Some(n)) => format!("{n} is out"),
            (false, Some(_)) => "up to date".to_string(),
            (_, None) => "not offered by the source".to_string(),
        };
        let by = if row.selected_by.is_empty() {
            String::new()
        } else {
            format!("  (selected by {})", row.selected_by.join(", "))
        };
        let security = row
            .security
            .as_ref()
            .map(|s| format!("; {s}"))
            .unwrap_or_default();
        println!("{}  {state}{security}{by}", row.version);
    }
    if let Some(db) = &db {
        ui::note(&vuln::source_note(db));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn upgrade(ctx: &Context, args: UpgradeArgs) -> Result<ExitCode> {
    let platform = Platform::host()?;
    let spec: Option<VersionSpec> = args.spec.as_deref().map(str::parse).transpose()?;
    let source = source::open(&ctx.config, args.refresh)?;
    let offered = source.releases(&platform)?;
    // The minors to bring up to date: SPEC's, else every installed one.
    let minors: BTreeSet<(u32, u32)> = match spec {
        Some(spec) => {
            let release = install::resolve(&offered, &spec)?;
            BTreeSet::from([(release.version.major, release.version.minor)])
        }
        None => ctx
            .store
            .list_for(&platform)?
            .iter()
            .map(|i| (i.version.major, i.version.minor))
            .collect(),
    };
    if minors.is_empty() {
        ui::note("no Go versions are installed: nothing to upgrade");
    }
    let mut upgraded = Vec::new();
    for (major, minor) in minors {
        let spec = VersionSpec::Prefix {
            major,
            minor: Some(minor),
        };
        let release = install::resolve(&offered, &spec)?;
        match install::install(
            &ctx.store,
            source.as_ref(),
            &release.version,
            &platform,
            false,
        )? {
            install::Outcome::Installed(i) => {
                ui::note(&format!("installed {} ({})", i.version, i.platform));
                if !args.no_tools {
                    carry_tools(ctx, &i)?;
                }
                upgraded.push(i.version);
            }
            install::Outcome::AlreadyInstalled(i) => {
                ui::note(&format!("{} is the newest {major}.{minor}", i.version));
                upgraded.push(i.version);
            }
        }
    }
    if args.pin {
        repin(&upgraded)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// After `upgrade` installed `new`: the tools of the newest older patch of its minor rebuilt
/// with it (README, "Tools"). A tool that fails is reported, and the upgrade stands.
fn carry_tools(ctx: &Context, new: &Installed) -> Result<()> {
    let previous = ctx
        .store
        .list_for(&new.platform)?
        .into_iter()
        .filter(|i| {
            (i.version.major, i.version.minor) == (new.version.major, new.version.minor)
                && i.version < new.version
        })
        .max_by(|a, b| a.version.cmp(&b.version));
    let Some(previous) = previous else {
        return Ok(());
    };
    let (Ok(from), Ok(to)) = (
        super::tools::gobin_of(&ctx.config, &ctx.store, &previous),
        super::tools::gobin_of(&ctx.config, &ctx.store, new),
    ) else {
        return Ok(());
    };
    // A shared GOBIN stays as it is: its tools are on PATH for every version. An empty GOBIN
    // has nothing to carry, and nothing to say.
    if from == to || crate::tools::list(&from, &new.platform).is_ok_and(|t| t.is_empty()) {
        return Ok(());
    }
    let summary = super::tools::carry(ctx, &previous, new, false)?;
    if summary.failed > 0 {
        ui::warn(&format!(
            "{} of {}'s tools could not be rebuilt with {} (see above); the upgrade itself is done. Retry with `gopin tools sync --from {} --to {}`",
            summary.failed, previous.version, new.version, previous.version, new.version
        ));
    }
    Ok(())
}

/// `upgrade --pin`: the directory's own pin moves to the newest patch of its minor.
fn repin(newest: &[GoVersion]) -> Result<()> {
    let cwd = resolve::cwd();
    let (file, kind) = pinfile::pinning_file(&cwd)?;
    let Ok(Some(Pinned::Version(VersionSpec::Exact(pinned)))) = pinfile::read_pin(&file, kind)
    else {
        ui::note(&format!(
            "nothing to re-pin: {} does not pin an exact version here",
            tilde(&file)
        ));
        return Ok(());
    };
    let Some(new) = newest
        .iter()
        .find(|n| (n.major, n.minor) == (pinned.major, pinned.minor) && **n > pinned)
    else {
        ui::note(&format!(
            "{} already pins the newest {pinned}",
            tilde(&file)
        ));
        return Ok(());
    };
    let text = pinfile::pin_text(new);
    pinfile::write_pin(&file, kind, &text)?;
    ui::note(&format!("pinned {text} ({new}) in {}", tilde(&file)));
    Ok(())
}

pub fn prune(ctx: &Context, args: PruneArgs) -> Result<ExitCode> {
    let platform = Platform::host()?;
    let installed = ctx.store.list_for(&platform)?;
    let keep = keepers(ctx, &platform, &installed, !args.dry_run);
    // A system store's versions are never touched (docs/store.md, "System stores").
    let doomed: Vec<&Installed> = installed
        .iter()
        .filter(|i| !keep.contains_key(&i.dir))
        .collect();
    for i in &installed {
        match keep.get(&i.dir) {
            Some(why) if args.dry_run => println!("keep {}: {}", i.version, why.join("; ")),
            Some(why) if why.iter().any(|w| w.starts_with(PROJECT)) => {
                ui::note(&format!("keeping {}: {}", i.version, why.join("; ")))
            }
            Some(_) => {}
            None if args.dry_run => println!("would remove {}", i.version),
            None => println!("removing {}", i.version),
        }
    }
    if doomed.is_empty() && !args.dry_run {
        ui::note("nothing to prune: every installed version is the newest of its minor or in use");
        return Ok(ExitCode::SUCCESS);
    }
    if !args.dry_run {
        for i in doomed {
            ctx.store.remove(i)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How a reason to keep a version for a remembered project begins.
const PROJECT: &str = "selected by project";

/// What prune keeps, each with why: the newest installed patch of each minor, what the default
/// and this directory select, the version active in this shell, what every remembered project
/// still selects (see `projects`; `forget`: forget the pin files that are gone), and what a
/// system store holds.
pub(super) fn keepers(
    ctx: &Context,
    platform: &Platform,
    installed: &[Installed],
    forget: bool,
) -> BTreeMap<PathBuf, Vec<String>> {
    let mut keep: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    let mut why = |dir: &PathBuf, reason: String| {
        let reasons = keep.entry(dir.clone()).or_default();
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    };
    for (dir, by) in selected_by(ctx, platform) {
        for b in by {
            why(&dir, format!("selected by {b}"));
        }
    }
    let mut newest: BTreeMap<(u32, u32), &Installed> = BTreeMap::new();
    for i in installed {
        let slot = newest
            .entry((i.version.major, i.version.minor))
            .or_insert(i);
        if i.version > slot.version {
            *slot = i;
        }
    }
    for ((major, minor), i) in &newest {
        why(&i.dir, format!("the newest {major}.{minor}"));
    }
    if let Some(goroot) = std::env::var_os("GOROOT") {
        for i in installed
            .iter()
            .filter(|i| i.goroot() == std::path::Path::new(&goroot))
        {
            why(&i.dir, "active in this shell".to_string());
        }
    }
    let state = crate::config::state_dir(&ctx.config.home);
    for (project, i) in crate::projects::still_selecting(&ctx.store, platform, &state, forget) {
        why(&i.dir, format!("{PROJECT} {}", tilde(&project.file)));
    }
    for i in installed {
        if let Some(store) = i.system_store() {
            why(
                &i.dir,
                format!("in the system store {}, never pruned", tilde(store)),
            );
        }
    }
    keep
}
