use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use crate::cli::InstallArgs;
use crate::install::{self, Outcome};
use crate::platform::Platform;
use crate::resolve;
use crate::source::{self, Releases};
use crate::ui;
use crate::version::VersionSpec;

pub fn run(ctx: &Context, args: InstallArgs) -> Result<ExitCode> {
    let platform = args.platform.resolve()?;
    // Even when everything asked for is already installed, leftovers of killed runs go.
    ctx.store.clean_stale(None);
    let specs = args
        .specs
        .iter()
        .map(|s| s.parse::<VersionSpec>())
        .collect::<Result<Vec<_>, _>>()?;
    if specs.is_empty() {
        return install_selected(ctx, &platform, args.refresh);
    }
    let source = source::open(&ctx.config, args.refresh)?;
    let mut releases: Option<Releases> = None;
    for spec in specs {
        // An exact version already in the store needs no release list (and works offline).
        if let VersionSpec::Exact(v) = spec
            && !args.force
            && let Some(found) = ctx.store.get(&v, &platform)
        {
            report(&Outcome::AlreadyInstalled(found));
            continue;
        }
        if releases.is_none() {
            releases = Some(source.releases(&platform)?);
        }
        let releases = releases.as_ref().expect("listed above");
        let release = install::resolve(releases, &spec)?;
        let outcome = install::install(
            &ctx.store,
            source.as_ref(),
            &release.version,
            &platform,
            args.force,
        )?;
        report(&outcome);
    }
    if Platform::host().is_ok_and(|host| host != platform) {
        ui::note(&format!(
            "note: {platform} is not this host's platform; it is kept beside the host's versions and never activated here"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn report(outcome: &Outcome) {
    let i = outcome.installed();
    match outcome {
        Outcome::Installed(_) => ui::note(&format!(
            "installed {} ({}) in {}",
            i.version,
            i.platform,
            ui::tilde(&i.goroot())
        )),
        Outcome::AlreadyInstalled(_) if let Some(store) = i.system_store() => ui::note(&format!(
            "{} ({}) is already in the system store {} ({}): nothing to install (`gopin install --force {}` installs your own copy)",
            i.version,
            i.platform,
            ui::tilde(store),
            ui::tilde(&i.goroot()),
            i.version
        )),
        Outcome::AlreadyInstalled(_) => ui::note(&format!(
            "{} ({}) is already installed in {}",
            i.version,
            i.platform,
            ui::tilde(&i.goroot())
        )),
    }
}

/// `gopin install` with no version: whatever the current directory selects.
fn install_selected(ctx: &Context, platform: &Platform, refresh: bool) -> Result<ExitCode> {
    let r = resolve::for_cwd(&ctx.store, platform)?;
    let Some(request) = r.request else {
        bail!(resolve::nothing_selected(&resolve::cwd()));
    };
    if let Some(note) = r.override_note() {
        ui::note(&format!("note: {note}"));
    }
    let outcome = install::install_request(&ctx.config, &ctx.store, &request, platform, refresh)?;
    report(&outcome);
    if let Some(source) = r.source()
        && r.picked_by()
            .is_none_or(|p| p.kind != crate::selection::SourceKind::Default)
    {
        super::remember_project(ctx, source, &outcome.installed().version);
    }
    Ok(ExitCode::SUCCESS)
}
