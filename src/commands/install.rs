use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use crate::cli::InstallArgs;
use crate::install::{self, Outcome};
use crate::lock;
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
    if args.locked {
        return install_locked(ctx, &platform, args.force);
    }
    if specs.is_empty() {
        return install_selected(ctx, &platform, args.refresh);
    }
    let source = source::open(&ctx.config, args.refresh)?;
    // What this directory ran before, whose tools the new version may want (README, "Tools").
    let before = resolve::for_cwd(&ctx.store, &platform)
        .ok()
        .and_then(|r| r.installed);
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
        if let Outcome::Installed(i) = &outcome {
            super::tools::hint_after_switch(ctx, before.as_ref(), i);
        }
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

/// `gopin install --locked`: the release the lock here holds, checked against it, with no
/// release index (docs/lock.md).
fn install_locked(ctx: &Context, platform: &Platform, force: bool) -> Result<ExitCode> {
    let host = Platform::host()?;
    let cwd = resolve::cwd();
    let env = |name: &str| std::env::var_os(name);
    let r = resolve::resolve(&ctx.store, &host, &cwd, &env)?;
    let Some(path) = lock::find(&r, &cwd) else {
        bail!(
            "--locked needs a gopin.lock, and none governs {}: run `gopin lock` and commit the file, or install without --locked",
            ui::shown(&cwd)
        );
    };
    let Some(found) = lock::Found::read(&path)? else {
        bail!(
            "the lock file {} vanished while it was read",
            ui::shown(&path)
        );
    };
    let request = r
        .request
        .expect("a lock is only found where a version is asked for");
    if !lock::admits(&request, &found.lock.release) {
        return Err(
            source::SourceError::from(source::locked::LockedError::Moved {
                lock: found.label(),
                release: found.lock.release.to_string(),
                selected_by: r.source_label(),
                request: request.to_string(),
            })
            .into(),
        );
    }
    // Already installed: only if its record shows the locked bytes (docs/lock.md).
    if !force && let Some(installed) = ctx.store.get(&found.lock.release, platform) {
        source::locked::check_installed(&found, platform, &installed)?;
    }
    let outcome = install::install_under_lock(&ctx.config, &ctx.store, &found, platform, force)?;
    report(&outcome);
    Ok(ExitCode::SUCCESS)
}
